#!/usr/bin/env python3
"""Tiny HF-layout checkpoints + independent reference outputs for the llama-like families.

What this is
------------
An *independent* numpy float64 re-implementation of the HuggingFace transformers forward pass for the
"llama-like" decoder families (Llama incl. Llama-3 rope scaling, Mistral, Qwen2, Qwen3).  It creates tiny
random checkpoints in the exact HF on-disk layout (config.json + safetensors, one of them sharded with a
model.safetensors.index.json, one stored as BF16 with a transformers-v5 style config) and writes, for each,
a reference.safetensors with the logits and hook-point activations our Java implementation must reproduce.
It uses numpy only (no torch, no transformers) so it does not share code or bugs with the Java side.

How to run
----------
    python3 tools/make_family_fixtures.py

(from the repository root).  Output goes to interp-core/src/test/resources/families/<name>/.
The script is deterministic: fixed seeds, fixed tensor order, sorted JSON, so running it twice produces
byte-identical files (check with `sha256sum interp-core/src/test/resources/families/*/*`).

Semantics implemented (transformers' modeling_llama / mistral / qwen2 / qwen3, eager attention)
--------------------------------------------------------------------------------------------
  x = embed_tokens[ids]
  per layer:  h = x + o_proj(attn(RMSNorm(x) * w_in));   x = h + down(silu(gate(n)) * up(n)),  n = RMSNorm(h) * w_post
  logits = lm_head(RMSNorm(x) * model.norm)   (lm_head = embed_tokens when tie_word_embeddings)
  RMSNorm(x) = x / sqrt(mean(x^2, -1) + eps);  Linear weights are [out, in]: y = x @ W.T + b
  attention: q/k/v projections (Qwen2: q,k,v biases), Qwen3: per-head RMSNorm (q_norm/k_norm over head_dim)
  before RoPE; RoPE rotate_half convention (optionally Llama-3 scaled inverse frequencies); GQA (query head h
  uses kv head h // (H/KV)); scores = q.k / sqrt(head_dim), causal mask, softmax, @ v, o_proj (no bias).
  Sliding windows (masking_utils.sliding_window_overlay): key j visible to query i iff j <= i and j > i - window;
  per layer from the config as HF reads it (Mistral: sliding_window on every layer; Qwen2/3: only with
  use_sliding_window, on layers >= max_window_layers unless layer_types says otherwise).
All arithmetic is float64 on the weights exactly as stored (F32, or BF16 upcast exactly); outputs are cast
to F32 only when written.

Weights: N(0, 0.3^2) (times sqrt(D/in) for inputs wider than D), o_proj/down_proj N(0, 0.12^2) (times the same
factor) so the residual stream stays O(1..10); biases N(0, 0.3^2); norm weights 1 + N(0, 0.1^2); fixed seeds.
Values are drawn in float64, rounded to float32 (and, for the BF16 model, to bf16 with round-to-nearest-even);
the reference uses exactly the stored values.

Self-checks printed on every run: bf16 rounding, checkpoint round trip, softmax rows sum to 1, causal upper
triangle 0, feature-ablation checks (Qwen2 biases, Qwen3 q/k norm, Llama-3 rope scaling must change logits),
"bug probes" (interleaved RoPE, wrong GQA mapping, llama3 interpolation band skipped must be visible), a numpy
float32 run of the same forward staying within 1e-4, and greedy top1-top2 margins >= 1e-3.  Exit status 1 if
any check fails.

reference.safetensors contents
------------------------------
  input_ids                   I64 [T]
  logits                      F32 [T, V]
  blocks.{L}.hook_resid_post  F32 [T, D]   residual after layer L (pre final norm; HF hidden_states[L+1])
  unembed.hook_in             F32 [T, D]   output of the final norm (weight applied)
  blocks.0.attn.hook_pattern  F32 [H, T, T] post-softmax attention of layer 0 (every layer for the -sw models)
  greedy_ids                  I64 [T+8]    input ids + 8 greedy argmax tokens (full re-forward each step, no cache)
"""

import hashlib
import json
import math
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "interp-core", "src", "test", "resources", "families")
T = 12
N_GREEDY = 8
WEIGHT_STD = 0.3
NORM_STD = 0.1
RESID_WRITE_STD = 0.12


# ----------------------------------------------------------------------------------------------------------
# safetensors writing (numpy only)
# ----------------------------------------------------------------------------------------------------------

def f32_to_bf16_bits(a):
    """float32 array -> uint16 bf16 bit patterns, round-to-nearest-even (finite inputs)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    assert np.all(np.isfinite(a))
    bits = a.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_bits_to_f64(b):
    return (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def encode_tensor(arr, dtype):
    """Returns little-endian bytes for arr stored as dtype ('F32', 'BF16', 'I64')."""
    if dtype == "F32":
        return np.ascontiguousarray(arr, dtype="<f4").tobytes()
    if dtype == "BF16":
        return np.ascontiguousarray(f32_to_bf16_bits(arr), dtype="<u2").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(np.asarray(arr, dtype=np.float32).astype(np.float16), dtype="<f2").tobytes()
    if dtype == "I64":
        return np.ascontiguousarray(arr, dtype="<i8").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: list of (name, array, dtype) in the order they are laid out in the file."""
    header = {}
    blobs = []
    offset = 0
    for name, arr, dtype in tensors:
        data = encode_tensor(arr, dtype)
        header[name] = {"dtype": dtype, "shape": [int(s) for s in np.shape(arr)],
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return offset  # total data bytes


def read_safetensors(path):
    """Minimal reader used to verify round trips (returns {name: float64/int64 array})."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        buf = raw[base + b: base + e]
        shape = info["shape"]
        if info["dtype"] == "F32":
            out[name] = np.frombuffer(buf, dtype="<f4").astype(np.float64).reshape(shape)
        elif info["dtype"] == "BF16":
            out[name] = bf16_bits_to_f64(np.frombuffer(buf, dtype="<u2")).reshape(shape)
        elif info["dtype"] == "F16":
            out[name] = np.frombuffer(buf, dtype="<f2").astype(np.float64).reshape(shape)
        elif info["dtype"] == "I64":
            out[name] = np.frombuffer(buf, dtype="<i8").reshape(shape)
        else:
            raise ValueError(info["dtype"])
    return out


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True))
        f.write("\n")


# ----------------------------------------------------------------------------------------------------------
# float64 reference forward (HF semantics)
# ----------------------------------------------------------------------------------------------------------

def rope_theta_of(cfg):
    if "rope_theta" in cfg:
        return float(cfg["rope_theta"])
    return float(cfg["rope_parameters"]["rope_theta"])


def rope_scaling_of(cfg):
    rs = cfg.get("rope_scaling")
    if rs is None and "rope_parameters" in cfg:
        rs = cfg["rope_parameters"]
    if rs is None:
        return None
    rtype = rs.get("rope_type", rs.get("type", "default"))
    if rtype == "default":
        return None
    return rs


def head_dim_of(cfg):
    hd = cfg.get("head_dim")
    return int(hd) if hd is not None else cfg["hidden_size"] // cfg["num_attention_heads"]


def default_inv_freq(theta, head_dim):
    i = np.arange(0, head_dim, 2, dtype=np.float64)
    return 1.0 / (theta ** (i / head_dim))


def llama3_inv_freq(inv_freq, rs):
    """transformers' _compute_llama3_parameters. Returns (inv_freq, regime labels)."""
    factor = float(rs["factor"])
    lf = float(rs["low_freq_factor"])
    hf = float(rs["high_freq_factor"])
    L = float(rs["original_max_position_embeddings"])
    low_freq_wavelen = L / lf
    high_freq_wavelen = L / hf
    out = np.empty_like(inv_freq)
    regimes = []
    for j, f in enumerate(inv_freq):
        wavelen = 2.0 * math.pi / f
        if wavelen > low_freq_wavelen:
            out[j] = f / factor
            regimes.append("divided")
        elif wavelen < high_freq_wavelen:
            out[j] = f
            regimes.append("kept")
        else:
            smooth = (L / wavelen - lf) / (hf - lf)
            out[j] = (1.0 - smooth) * f / factor + smooth * f
            regimes.append("interpolated")
    return out, regimes


def inv_freq_of(cfg):
    hd = head_dim_of(cfg)
    inv = default_inv_freq(rope_theta_of(cfg), hd)
    rs = rope_scaling_of(cfg)
    if rs is None:
        return inv, None
    rtype = rs.get("rope_type", rs.get("type"))
    if rtype != "llama3":
        raise ValueError("unsupported rope type " + str(rtype))
    return llama3_inv_freq(inv, rs)


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def rotate_half(x):
    d = x.shape[-1] // 2
    return np.concatenate([-x[..., d:], x[..., :d]], axis=-1)


def rotate_pairs(x):
    out = np.empty_like(x)
    out[..., 0::2] = -x[..., 1::2]
    out[..., 1::2] = x[..., 0::2]
    return out


def apply_rope(x, cos, sin, interleaved=False):
    # x [T, nh, hd], cos/sin [T, hd]
    rot = rotate_pairs(x) if interleaved else rotate_half(x)
    return x * cos[:, None, :] + rot * sin[:, None, :]


def linear(x, W, b=None):
    y = x @ W.T
    return y + b if b is not None else y


def softmax(s):
    m = np.max(s, axis=-1, keepdims=True)
    e = np.exp(s - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def layer_windows(cfg):
    """Per-layer sliding window (None = full causal attention), as the HF configs define it.

    Mistral (configuration_mistral.py): `sliding_window` (int or null) applies to every layer.
    Qwen2/Qwen3 (configuration_qwen2.py __post_init__): sliding_window = sliding_window if use_sliding_window else
    None; layer_types defaults to "sliding_attention" for layer i >= max_window_layers (when a window is set), else
    "full_attention"; an explicit layer_types list wins. A sliding layer uses config.sliding_window.
    """
    n = cfg["num_hidden_layers"]
    mt = cfg["model_type"]
    if mt == "mistral":
        return [cfg.get("sliding_window")] * n
    if mt in ("qwen2", "qwen3"):
        w = cfg.get("sliding_window", 4096) if cfg.get("use_sliding_window", False) else None
        types = cfg.get("layer_types")
        if types is None:
            mwl = cfg.get("max_window_layers", 28)
            types = ["sliding_attention" if w is not None and i >= mwl else "full_attention" for i in range(n)]
        return [w if t == "sliding_attention" else None for t in types]
    return [None] * n


def visible(Tn, window, off_by_one=False):
    """HF masking_utils: causal_mask_function (kv_idx <= q_idx) AND sliding_window_overlay
    (kv_idx > q_idx - sliding_window). off_by_one is a bug probe (kv_idx >= q_idx - sliding_window)."""
    q = np.arange(Tn)[:, None]
    kv = np.arange(Tn)[None, :]
    ok = kv <= q
    if window is not None:
        ok &= (kv >= q - window) if off_by_one else (kv > q - window)
    return ok


def forward(cfg, W, ids, opts=None):
    """W: {name: float64 array} (HF names). Returns dict with logits, resid_post list, unembed_in, pattern0."""
    opts = opts or {}
    dt = opts.get("dtype", np.float64)  # np.float32 only for the fp32 error estimate
    if dt != np.float64:
        W = {k: v.astype(dt) for k, v in W.items()}
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    hd = head_dim_of(cfg)
    eps = float(cfg["rms_norm_eps"])
    n_rep = H // KV
    assert H % KV == 0
    assert cfg.get("hidden_act", "silu") == "silu"
    Tn = len(ids)

    inv_freq, regimes = inv_freq_of(cfg)
    if opts.get("llama3_medium_kept") and regimes is not None:  # bug probe: skip the interpolation band
        base = default_inv_freq(rope_theta_of(cfg), hd)
        inv_freq = np.where(np.array(regimes) == "interpolated", base, inv_freq)
    if opts.get("no_rope_scaling"):
        inv_freq = default_inv_freq(rope_theta_of(cfg), hd)
    pos = np.arange(Tn, dtype=np.float64)
    ang = np.outer(pos, inv_freq)
    emb = np.concatenate([ang, ang], axis=-1)
    cos, sin = np.cos(emb).astype(dt), np.sin(emb).astype(dt)
    if opts.get("rope_interleaved"):  # bug probe: GPT-J style pairs (2i, 2i+1) instead of rotate_half
        cos = np.repeat(np.cos(ang), 2, axis=-1).astype(dt)
        sin = np.repeat(np.sin(ang), 2, axis=-1).astype(dt)

    windows = [None] * cfg["num_hidden_layers"] if opts.get("no_window") else layer_windows(cfg)
    x = W["model.embed_tokens.weight"][np.asarray(ids)]
    resid_post = []
    pattern0 = None
    patterns = []
    for L in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % L
        masked = ~visible(Tn, windows[L], opts.get("window_off_by_one", False))
        n = rms_norm(x, W[p + "input_layernorm.weight"], eps)

        def bias(name):
            if opts.get("zero_bias"):
                return None
            return W.get(p + "self_attn." + name + ".bias")

        q = linear(n, W[p + "self_attn.q_proj.weight"], bias("q_proj")).reshape(Tn, H, hd)
        k = linear(n, W[p + "self_attn.k_proj.weight"], bias("k_proj")).reshape(Tn, KV, hd)
        v = linear(n, W[p + "self_attn.v_proj.weight"], bias("v_proj")).reshape(Tn, KV, hd)
        if (p + "self_attn.q_norm.weight") in W and not opts.get("no_qk_norm"):
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps)
        q = apply_rope(q, cos, sin, opts.get("rope_interleaved", False))
        k = apply_rope(k, cos, sin, opts.get("rope_interleaved", False))
        z = np.empty((Tn, H, hd), dtype=dt)
        pats = np.empty((H, Tn, Tn), dtype=dt)
        for h in range(H):
            g = (h % KV) if opts.get("gqa_modulo") else h // n_rep  # gqa_modulo: bug probe
            s = (q[:, h, :] @ k[:, g, :].T) / dt(math.sqrt(hd))
            s = np.where(masked, -np.inf, s)
            a = softmax(s)
            pats[h] = a
            z[:, h, :] = a @ v[:, g, :]
        if L == 0:
            pattern0 = pats
        patterns.append(pats)
        attn_out = linear(z.reshape(Tn, H * hd), W[p + "self_attn.o_proj.weight"])
        hmid = x + attn_out
        n2 = rms_norm(hmid, W[p + "post_attention_layernorm.weight"], eps)
        mlp = linear(silu(linear(n2, W[p + "mlp.gate_proj.weight"])) * linear(n2, W[p + "mlp.up_proj.weight"]),
                     W[p + "mlp.down_proj.weight"])
        x = hmid + mlp
        resid_post.append(x)
    unembed_in = rms_norm(x, W["model.norm.weight"], eps)
    if cfg.get("tie_word_embeddings"):
        assert "lm_head.weight" not in W
        lm = W["model.embed_tokens.weight"]
    else:
        lm = W["lm_head.weight"]
    logits = unembed_in @ lm.T
    return {"logits": logits, "resid_post": resid_post, "unembed_in": unembed_in, "pattern0": pattern0,
            "patterns": patterns, "windows": windows}


def greedy(cfg, W, ids, n):
    seq = list(int(i) for i in ids)
    margins = []
    for _ in range(n):
        lg = forward(cfg, W, seq)["logits"][-1]
        order = np.argsort(-lg, kind="stable")
        margins.append(float(lg[order[0]] - lg[order[1]]))
        seq.append(int(np.argmax(lg)))
    return seq, margins


# ----------------------------------------------------------------------------------------------------------
# tiny checkpoints
# ----------------------------------------------------------------------------------------------------------

def make_weights(cfg, seed, with_bias=False, with_qk_norm=False):
    """Returns ordered list of (name, float32 array)."""
    rng = np.random.default_rng(seed)
    D = cfg["hidden_size"]
    I = cfg["intermediate_size"]
    H = cfg["num_attention_heads"]
    KV = cfg["num_key_value_heads"]
    hd = head_dim_of(cfg)
    V = cfg["vocab_size"]

    def mat(o, i, out_std=WEIGHT_STD):
        # N(0, 0.3^2) for hidden-sized inputs; wider inputs scaled by sqrt(D/in)
        std = out_std * min(1.0, math.sqrt(D / i))
        return (rng.standard_normal((o, i)) * std).astype(np.float32)

    def wmat(o, i):
        # the two matrices that write into the residual stream (o_proj, down_proj) use a smaller std so
        # the residual stays O(1..10) and fp32 round-off stays far below the 1e-4 tolerance
        return mat(o, i, RESID_WRITE_STD)

    def vec(n):
        return (rng.standard_normal(n) * WEIGHT_STD).astype(np.float32)

    def normw(n):
        return (1.0 + rng.standard_normal(n) * NORM_STD).astype(np.float32)

    ts = [("model.embed_tokens.weight", mat(V, D))]
    for L in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % L
        ts.append((p + "input_layernorm.weight", normw(D)))
        ts.append((p + "self_attn.q_proj.weight", mat(H * hd, D)))
        if with_bias:
            ts.append((p + "self_attn.q_proj.bias", vec(H * hd)))
        ts.append((p + "self_attn.k_proj.weight", mat(KV * hd, D)))
        if with_bias:
            ts.append((p + "self_attn.k_proj.bias", vec(KV * hd)))
        ts.append((p + "self_attn.v_proj.weight", mat(KV * hd, D)))
        if with_bias:
            ts.append((p + "self_attn.v_proj.bias", vec(KV * hd)))
        ts.append((p + "self_attn.o_proj.weight", wmat(D, H * hd)))
        if with_qk_norm:
            ts.append((p + "self_attn.q_norm.weight", normw(hd)))
            ts.append((p + "self_attn.k_norm.weight", normw(hd)))
        ts.append((p + "post_attention_layernorm.weight", normw(D)))
        ts.append((p + "mlp.gate_proj.weight", mat(I, D)))
        ts.append((p + "mlp.up_proj.weight", mat(I, D)))
        ts.append((p + "mlp.down_proj.weight", wmat(D, I)))
    ts.append(("model.norm.weight", normw(D)))
    if not cfg.get("tie_word_embeddings"):
        ts.append(("lm_head.weight", mat(V, D)))
    return ts


def base_cfg(model_type, arch, D, I, layers, H, KV, V, eps, theta, tied, bos, eos, max_pos=2048):
    return {
        "architectures": [arch],
        "attention_dropout": 0.0,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "hidden_act": "silu",
        "hidden_size": D,
        "initializer_range": 0.02,
        "intermediate_size": I,
        "max_position_embeddings": max_pos,
        "model_type": model_type,
        "num_attention_heads": H,
        "num_hidden_layers": layers,
        "num_key_value_heads": KV,
        "rms_norm_eps": eps,
        "rope_theta": theta,
        "tie_word_embeddings": tied,
        "torch_dtype": "float32",
        "transformers_version": "4.51.3",
        "use_cache": True,
        "vocab_size": V,
    }


def model_specs():
    specs = []

    # 1. qwen2: GQA 4/2, q/k/v biases, tied embeddings, sliding_window present but unused.
    c = base_cfg("qwen2", "Qwen2ForCausalLM", D=32, I=96, layers=2, H=4, KV=2, V=96, eps=1e-6,
                 theta=1000000.0, tied=True, bos=1, eos=2, max_pos=32768)
    c.update({"max_window_layers": 2, "rope_scaling": None, "sliding_window": 4096, "use_sliding_window": False})
    specs.append({"name": "qwen2", "cfg": c, "seed": 1001, "bias": True, "qk_norm": False, "dtype": "F32",
                  "shards": 1,
                  "exercises": "Qwen2: GQA (4 query heads, 2 kv heads), q/k/v biases (no o bias), tied embeddings "
                               "(no lm_head.weight), sliding_window 4096 with use_sliding_window=false (ignored)"})

    # 2. qwen3: explicit head_dim 16 != 32/4, q_norm/k_norm, untied.
    c = base_cfg("qwen3", "Qwen3ForCausalLM", D=32, I=96, layers=3, H=4, KV=2, V=80, eps=1e-6,
                 theta=1000000.0, tied=False, bos=1, eos=2, max_pos=40960)
    c.update({"attention_bias": False, "head_dim": 16, "max_window_layers": 3, "rope_scaling": None,
              "sliding_window": None, "use_sliding_window": False})
    specs.append({"name": "qwen3", "cfg": c, "seed": 2002, "bias": False, "qk_norm": True, "dtype": "F32",
                  "shards": 1,
                  "exercises": "Qwen3: explicit head_dim 16 != hidden/heads (=8), so q_proj is [64,32] and o_proj "
                               "[32,64]; per-head q_norm/k_norm (RMSNorm over head_dim, before RoPE); GQA 4/2; "
                               "untied lm_head; 3 layers"})

    # 3. mistral: GQA 4/2, untied, sliding_window null, sharded in two files.
    c = base_cfg("mistral", "MistralForCausalLM", D=40, I=112, layers=2, H=4, KV=2, V=72, eps=1e-5,
                 theta=10000.0, tied=False, bos=1, eos=2, max_pos=32768)
    c.update({"sliding_window": None})  # no head_dim key, as Mistral-7B-v0.1
    specs.append({"name": "mistral", "cfg": c, "seed": 3003, "bias": False, "qk_norm": False, "dtype": "F32",
                  "shards": 2,
                  "exercises": "Mistral: GQA 4/2, no head_dim key (derive hidden/heads = 10), untied lm_head, "
                               "sliding_window null, weights SHARDED over "
                               "model-00001-of-00002.safetensors + model-00002-of-00002.safetensors with "
                               "model.safetensors.index.json (no model.safetensors)"})

    # 4. llama3: rope_scaling llama3, GQA 2/1, untied.
    c = base_cfg("llama", "LlamaForCausalLM", D=32, I=96, layers=2, H=2, KV=1, V=128, eps=1e-5,
                 theta=500000.0, tied=False, bos=0, eos=1, max_pos=512)
    c.update({"attention_bias": False, "head_dim": 16, "mlp_bias": False, "pretraining_tp": 1,
              "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                               "original_max_position_embeddings": 64, "rope_type": "llama3"}})
    specs.append({"name": "llama3", "cfg": c, "seed": 4004, "bias": False, "qk_norm": False, "dtype": "F32",
                  "shards": 1,
                  "exercises": "Llama-3: rope_scaling {rope_type: llama3, factor 8, low_freq_factor 1, "
                               "high_freq_factor 4, original_max_position_embeddings 64}, rope_theta 500000, "
                               "head_dim 16 so the 8 inverse frequencies fall in all three regimes (kept / "
                               "interpolated / divided); GQA 2 query heads sharing 1 kv head; untied"})

    # 5. qwen3-bf16-v5: BF16 weights, transformers-v5 style config.
    c = base_cfg("qwen3", "Qwen3ForCausalLM", D=32, I=96, layers=2, H=4, KV=1, V=96, eps=1e-6,
                 theta=1000000.0, tied=False, bos=1, eos=[2, 3], max_pos=40960)
    del c["rope_theta"]
    del c["torch_dtype"]
    c.update({"attention_bias": False, "dtype": "bfloat16", "head_dim": 16, "layer_types":
              ["full_attention", "full_attention"], "max_window_layers": 2,
              "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"},
              "sliding_window": None, "transformers_version": "5.0.0", "use_sliding_window": False})
    specs.append({"name": "qwen3-bf16-v5", "cfg": c, "seed": 5005, "bias": False, "qk_norm": True,
                  "dtype": "BF16", "shards": 1,
                  "exercises": "Qwen3 with BF16 weights (round-to-nearest-even) and a transformers-v5 config: "
                               "no top-level rope_theta/rope_scaling but rope_parameters {rope_theta, rope_type: "
                               "default}, \"dtype\": \"bfloat16\" instead of torch_dtype, eos_token_id a list "
                               "[2, 3]; MQA (4 query heads, 1 kv head), head_dim 16 != 32/4, q_norm/k_norm"})

    # 6. mistral-sw: Mistral with a sliding window of 3 over the 12 + 8 tokens: every layer windowed.
    c = base_cfg("mistral", "MistralForCausalLM", D=32, I=96, layers=2, H=4, KV=2, V=64, eps=1e-5,
                 theta=10000.0, tied=False, bos=1, eos=2, max_pos=32768)
    c.update({"sliding_window": 3})
    specs.append({"name": "mistral-sw", "cfg": c, "seed": 6006, "bias": False, "qk_norm": False, "dtype": "F32",
                  "shards": 1, "all_patterns": True,
                  "exercises": "Mistral sliding_window 3 (every layer): key j visible to query i iff "
                               "i - 3 < j <= i; GQA 4/2; untied"})

    # 7. qwen2-sw: Qwen2 with use_sliding_window, window 4, max_window_layers 1: layer 0 full, layers 1-2 windowed.
    c = base_cfg("qwen2", "Qwen2ForCausalLM", D=32, I=96, layers=3, H=4, KV=2, V=64, eps=1e-6,
                 theta=1000000.0, tied=True, bos=1, eos=2, max_pos=32768)
    c.update({"max_window_layers": 1, "rope_scaling": None, "sliding_window": 4, "use_sliding_window": True})
    specs.append({"name": "qwen2-sw", "cfg": c, "seed": 7007, "bias": True, "qk_norm": False, "dtype": "F32",
                  "shards": 1, "all_patterns": True,
                  "exercises": "Qwen2 use_sliding_window true, sliding_window 4, max_window_layers 1: layer 0 full "
                               "attention, layers 1 and 2 sliding (i - 4 < j <= i); q/k/v biases, tied"})
    return specs


def stored_values(arr32, dtype):
    """The float64 values a reader gets back from the stored tensor."""
    if dtype == "F32":
        return arr32.astype(np.float64)
    if dtype == "BF16":
        return bf16_bits_to_f64(f32_to_bf16_bits(arr32))
    if dtype == "F16":
        return arr32.astype(np.float16).astype(np.float64)
    raise ValueError(dtype)


def write_checkpoint(d, spec, tensors):
    dtype = spec["dtype"]
    if spec["shards"] == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), [(n, a, dtype) for n, a in tensors])
        return
    nshard = spec["shards"]
    total = sum(a.size * (4 if dtype == "F32" else 2) for _, a in tensors)  # multi-shard: F32/BF16 specs only
    groups = [[] for _ in range(nshard)]
    acc = 0
    for n, a in tensors:
        idx = min(nshard - 1, acc * nshard // total)
        groups[idx].append((n, a, dtype))
        acc += a.size * (4 if dtype == "F32" else 2)
    weight_map = {}
    total_size = 0
    for i, g in enumerate(groups):
        fname = "model-%05d-of-%05d.safetensors" % (i + 1, nshard)
        total_size += write_safetensors(os.path.join(d, fname), g)
        for n, _, _ in g:
            weight_map[n] = fname
    write_json(os.path.join(d, "model.safetensors.index.json"),
               {"metadata": {"total_size": total_size}, "weight_map": weight_map})


def load_checkpoint(d):
    if os.path.exists(os.path.join(d, "model.safetensors")):
        return read_safetensors(os.path.join(d, "model.safetensors"))
    with open(os.path.join(d, "model.safetensors.index.json")) as f:
        idx = json.load(f)
    W = {}
    for fname in sorted(set(idx["weight_map"].values())):
        W.update(read_safetensors(os.path.join(d, fname)))
    assert set(W) == set(idx["weight_map"])
    return W


def check(label, ok, detail=""):
    print("  [%s] %s%s" % ("ok" if ok else "FAIL", label, (": " + detail) if detail else ""))
    if not ok:
        check.failures += 1


check.failures = 0


def check_bf16_rounding():
    # exact cases: ties go to even, above-half rounds up, below-half rounds down, sign preserved
    one = 1.0
    cases = [(one, 0x3F80), (one + 2.0 ** -8, 0x3F80), (one + 3 * 2.0 ** -8, 0x3F82),
             (one + 2.0 ** -8 + 2.0 ** -20, 0x3F81), (one + 2.0 ** -7 - 2.0 ** -20, 0x3F81),
             (-(one + 3 * 2.0 ** -8), 0xBF82), (0.0, 0x0000), (3.140625, 0x4049)]
    got = f32_to_bf16_bits(np.array([c[0] for c in cases], dtype=np.float32))
    check("bf16 round-to-nearest-even on tie/near-tie cases", [int(g) for g in got] == [c[1] for c in cases],
          " ".join("%04x" % int(g) for g in got))
    # brute force against nearest-of-two-neighbours on random floats
    rng = np.random.default_rng(99)
    x = (rng.standard_normal(20000) * 0.3).astype(np.float32)
    b = f32_to_bf16_bits(x)
    lo = (x.view(np.uint32) & 0xFFFF0000).view(np.float32).astype(np.float64)
    hi_bits = ((x.view(np.uint32) >> 16) + 1).astype(np.uint32) << 16
    hi = hi_bits.view(np.float32).astype(np.float64)
    xv = x.astype(np.float64)
    r = bf16_bits_to_f64(b)
    best = np.minimum(np.abs(xv - lo), np.abs(xv - hi))
    check("bf16 conversion picks the nearest bf16 (20000 random values)", np.all(np.abs(xv - r) == best))


def build(spec):
    name, cfg = spec["name"], spec["cfg"]
    d = os.path.join(OUT_DIR, name)
    os.makedirs(d, exist_ok=True)
    print("== %s (%s)" % (name, spec["exercises"]))
    tensors = make_weights(cfg, spec["seed"], with_bias=spec["bias"], with_qk_norm=spec["qk_norm"])
    write_json(os.path.join(d, "config.json"), cfg)
    write_checkpoint(d, spec, tensors)

    W = {n: stored_values(a, spec["dtype"]) for n, a in tensors}
    # round trip through our own files: the reference uses exactly what is on disk
    W_disk = load_checkpoint(d)
    check("checkpoint round trip (reader sees the same float64 values)",
          set(W_disk) == set(W) and all(np.array_equal(W_disk[k], W[k]) for k in W))
    if spec["dtype"] == "BF16":
        f32 = {n: a.astype(np.float64) for n, a in tensors}
        maxrel = max(float(np.max(np.abs(W[k] - f32[k]) / np.maximum(np.abs(f32[k]), 1e-30))) for k in W)
        check("bf16 rounding error <= 2^-8 relative (half ulp)", maxrel <= 2.0 ** -8, "max rel %.3e" % maxrel)

    rng = np.random.default_rng(spec["seed"] + 7)
    ids = rng.integers(0, cfg["vocab_size"], size=T).astype(np.int64)
    out = forward(cfg, W, ids)
    logits = out["logits"]
    V, D, H = cfg["vocab_size"], cfg["hidden_size"], cfg["num_attention_heads"]
    assert logits.shape == (T, V)

    pat = out["pattern0"]
    check("layer-0 pattern rows sum to 1", np.allclose(pat.sum(-1), 1.0, atol=1e-12),
          "max |sum-1| %.1e" % float(np.max(np.abs(pat.sum(-1) - 1.0))))
    upper = pat[:, np.triu(np.ones((T, T), dtype=bool), k=1)]
    check("layer-0 pattern upper triangle is 0 (causal)", np.all(upper == 0.0))
    print("  pattern0: max %.3f, mean row max %.3f" % (float(pat.max()), float(pat.max(-1).mean())))

    inv, regimes = inv_freq_of(cfg)
    if regimes is not None:
        counts = {r: regimes.count(r) for r in ("kept", "interpolated", "divided")}
        print("  llama3 inv_freq regimes per index: %s" % regimes)
        check("llama3 scaling: all three regimes occur", all(v > 0 for v in counts.values()), str(counts))
        dl = float(np.max(np.abs(forward(cfg, W, ids, {"no_rope_scaling": True})["logits"] - logits)))
        check("llama3: removing rope scaling changes logits by > 1e-3", dl > 1e-3, "max |dlogit| %.4f" % dl)
    if spec["bias"]:
        dl = float(np.max(np.abs(forward(cfg, W, ids, {"zero_bias": True})["logits"] - logits)))
        check("qwen2: zeroing q/k/v biases changes logits by > 1e-2", dl > 1e-2, "max |dlogit| %.4f" % dl)
    if spec["qk_norm"]:
        dl = float(np.max(np.abs(forward(cfg, W, ids, {"no_qk_norm": True})["logits"] - logits)))
        check("qwen3: removing q_norm/k_norm changes logits by > 1e-2", dl > 1e-2, "max |dlogit| %.4f" % dl)

    windows = out["windows"]
    if any(w is not None for w in windows):
        print("  sliding windows per layer: %s" % windows)
        dl = float(np.max(np.abs(forward(cfg, W, ids, {"no_window": True})["logits"] - logits)))
        check("sliding window: full attention instead changes logits by > 1e-2", dl > 1e-2, "max |dlogit| %.4f" % dl)
        for L, w in enumerate(windows):
            outside = out["patterns"][L][:, ~visible(T, w)]
            check("layer-%d pattern is 0 outside the window %s and the causal triangle" % (L, w),
                  np.all(outside == 0.0))
    probes = [("rope_interleaved", "RoPE pairs (2i,2i+1) instead of rotate_half")]
    if any(w is not None for w in windows):
        probes.append(("window_off_by_one", "sliding window one key too wide (kv >= q - w)"))
    if cfg["num_key_value_heads"] > 1 and cfg["num_attention_heads"] // cfg["num_key_value_heads"] > 1:
        probes.append(("gqa_modulo", "GQA kv head h % KV instead of h // (H/KV)"))
    if regimes is not None:
        probes.append(("llama3_medium_kept", "llama3 interpolation band left unscaled"))
    for key, what in probes:
        dl = float(np.max(np.abs(forward(cfg, W, ids, {key: True})["logits"] - logits)))
        check("bug probe '%s' is detected (max |dlogit| > 1e-3)" % what, dl > 1e-3, "%.4f" % dl)

    o32 = forward(cfg, W, ids, {"dtype": np.float32})
    assert o32["logits"].dtype == np.float32
    e_log = float(np.max(np.abs(o32["logits"] - logits)))
    e_res = max(float(np.max(np.abs(a - b))) for a, b in zip(o32["resid_post"], out["resid_post"]))
    e_pat = float(np.max(np.abs(o32["pattern0"] - out["pattern0"])))
    check("numpy fp32 forward within 1e-4 of the float64 reference (logits, every resid_post)",
          e_log < 1e-4 and e_res < 1e-4,
          "max |d| logits %.1e, resid_post %.1e, pattern0 %.1e" % (e_log, e_res, e_pat))

    seq, margins = greedy(cfg, W, ids, N_GREEDY)
    assert seq[:T] == [int(i) for i in ids]
    # first greedy token must agree with the argmax of the reference logits at the last position
    check("greedy step 1 == argmax(logits[T-1])", seq[T] == int(np.argmax(logits[-1])))
    check("greedy top1-top2 margins >= 1e-3 (robust to fp32)", min(margins) >= 1e-3,
          "min margin %.4f" % min(margins))
    print("  input_ids  %s" % [int(i) for i in ids])
    print("  greedy     %s" % seq[T:])
    print("  logits range [%.4f, %.4f], std %.4f; resid_post rms per layer %s" % (
        float(logits.min()), float(logits.max()), float(logits.std()),
        ["%.3f" % float(np.sqrt(np.mean(r * r))) for r in out["resid_post"]]))
    print("  max |resid_post| %.3f, max |unembed.hook_in| %.3f" % (
        max(float(np.max(np.abs(r))) for r in out["resid_post"]), float(np.max(np.abs(out["unembed_in"])))))

    ref = [("input_ids", ids, "I64"), ("logits", logits, "F32")]
    for L, r in enumerate(out["resid_post"]):
        ref.append(("blocks.%d.hook_resid_post" % L, r, "F32"))
    ref.append(("unembed.hook_in", out["unembed_in"], "F32"))
    ref.append(("blocks.0.attn.hook_pattern", pat, "F32"))
    if spec.get("all_patterns"):
        for L in range(1, len(out["patterns"])):
            ref.append(("blocks.%d.attn.hook_pattern" % L, out["patterns"][L], "F32"))
    ref.append(("greedy_ids", np.asarray(seq, dtype=np.int64), "I64"))
    write_safetensors(os.path.join(d, "reference.safetensors"), ref)
    return {"name": name, "logits_min": float(logits.min()), "logits_max": float(logits.max())}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    print("== bf16 conversion")
    check_bf16_rounding()
    results = [build(s) for s in model_specs()]
    import family_fixtures_gemma_neox as more  # Gemma 2, Gemma 3, GPT-NeoX: same helpers, same checks
    results += [more.build(s) for s in more.model_specs()]
    print("== files")
    total = 0
    for root, _, files in sorted(os.walk(OUT_DIR)):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            with open(p, "rb") as f:
                data = f.read()
            total += len(data)
            print("  %s  %7d  %s" % (hashlib.sha256(data).hexdigest()[:16], len(data), os.path.relpath(p, ROOT)))
    print("  total %d bytes" % total)
    print("== logits ranges: " + ", ".join("%s [%.3f, %.3f]" % (r["name"], r["logits_min"], r["logits_max"])
                                          for r in results))
    if check.failures:
        print("%d self-check(s) FAILED" % check.failures)
        sys.exit(1)
    print("all self-checks passed")


if __name__ == "__main__":
    sys.modules["make_family_fixtures"] = sys.modules["__main__"]  # one module instance (shared check counter)
    main()
