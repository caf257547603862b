"""Gemma 2, Gemma 3 and GPT-NeoX (Pythia) fixtures for tools/make_family_fixtures.py.

Run through `python3 tools/make_family_fixtures.py` (which imports this module); output goes to
interp-core/src/test/resources/families/<name>/ like the llama-like fixtures.

An independent numpy float64 re-implementation of HuggingFace transformers' eager forward pass, written from
modeling_gemma2.py, modeling_gemma3.py, modeling_gpt_neox.py and their configuration files (never from the Java):

Gemma 2 / Gemma 3 (Gemma*ForCausalLM, Gemma3ForConditionalGeneration's language model)
  x = embed_tokens[ids] * float32(sqrt(hidden_size))        (the normaliser in the compute dtype, float32 here)
  RMSNorm(x) = x / sqrt(mean(x^2) + eps) * (1 + w)            (Gemma*RMSNorm, float32 math)
  per layer:
    h = input_layernorm(x); q,k,v = projections, [T, heads, head_dim] (head_dim explicit, != D/H)
    Gemma 3: q = q_norm(q), k = k_norm(k)  (Gemma RMSNorm (1 + w) over head_dim)
    RoPE rotate_half; Gemma 2: rope_theta; Gemma 3: sliding layers rope_local_base_freq (default rope), full
      layers rope_theta with rope_scaling (linear: inv_freq / factor); transformers-5 configs: rope_parameters per kind
    s = q.k * query_pre_attn_scalar**-0.5; if attn_logit_softcapping: s = cap * tanh(s / cap); then the mask
      (causal, and on sliding layers key j visible iff j > i - sliding_window)
    attn_out = post_attention_layernorm(o_proj(softmax(s) @ v));  x = x + attn_out
    mlp_out = post_feedforward_layernorm(down(gelu_tanh(gate(n)) * up(n))), n = pre_feedforward_layernorm(x)
    x = x + mlp_out
  logits = norm(x) @ embed_tokens.T (tied); if final_logit_softcapping: logits = cap * tanh(logits / cap)
  Layer kinds: layer_types, else Gemma 2 "sliding iff (i + 1) % 2", Gemma 3 "sliding iff (i + 1) %
  sliding_window_pattern" (default 6).

GPT-NeoX (GPTNeoXForCausalLM)
  x = embed_in[ids]; LayerNorm(x) = (x - mean) / sqrt(var + eps) * w + b
  qkv = query_key_value(ln1(x)) viewed [T, H, 3 * head_dim]: q = [..., :hd], k = [..., hd:2hd], v = [..., 2hd:]
  RoPE on the first rotary_ndims = int(head_dim * rotary_pct) channels (base rotary_emb_base, or
    rope_parameters {rope_theta, partial_rotary_factor}); s = q.k * head_dim**-0.5, causal; dense(softmax(s) @ v)
  use_parallel_residual: x = mlp(ln2(x)) + attn_out + x; else x = x + attn_out, x = mlp(ln2(x)) + x
  mlp = dense_4h_to_h(gelu(dense_h_to_4h(.)))  with exact gelu x * Phi(x); logits = final_layer_norm(x) @ embed_out.T

reference.safetensors adds to the llama-like layout every layer's blocks.L.hook_attn_out, blocks.L.hook_mlp_out
(what is added to the residual stream, after Gemma's post norms) and blocks.L.attn.hook_pattern, and hook_embed.
Every feature is probed: removing it (soft-caps, windows, the 1 + w offset, the embedding scale, the
query_pre_attn_scalar scale, local/global rope, q/k norms, post norms, partial rotary, the per-head qkv layout,
the parallel residual) must change the logits by > 1e-3.
"""

import math

import numpy as np

import make_family_fixtures as base

T = base.T
N_GREEDY = base.N_GREEDY
check = base.check


# ----------------------------------------------------------------------------------------------------------
# shared pieces
# ----------------------------------------------------------------------------------------------------------

def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


_erf = np.vectorize(math.erf)


def gelu_exact(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def rope_tables(inv_freq, n):
    ang = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([ang, ang], axis=-1)
    return np.cos(emb), np.sin(emb)


def attend(q, k, v, scale, masked, softcap=None, dt=np.float64):
    """q [T,H,hd], k/v [T,KV,hd]; GQA head h uses kv head h // (H/KV). Returns z [T,H,hd], patterns [H,T,T]."""
    Tn, H, hd = q.shape
    KV = k.shape[1]
    z = np.empty((Tn, H, v.shape[2]), dtype=dt)
    pats = np.empty((H, Tn, Tn), dtype=dt)
    for h in range(H):
        g = h // (H // KV)
        s = (q[:, h, :] @ k[:, g, :].T) * dt(scale)
        if softcap is not None:
            s = softcap * np.tanh(s / softcap)
        s = np.where(masked, -np.inf, s)
        a = base.softmax(s)
        pats[h] = a
        z[:, h, :] = a @ v[:, g, :]
    return z, pats


def text_cfg(cfg):
    return cfg.get("text_config", cfg)


# ----------------------------------------------------------------------------------------------------------
# Gemma 2 / Gemma 3
# ----------------------------------------------------------------------------------------------------------

def gemma_layer_types(cfg):
    tc = text_cfg(cfg)
    if tc.get("layer_types") is not None:
        return list(tc["layer_types"])
    pattern = 2 if tc["model_type"] == "gemma2" else tc.get("sliding_window_pattern", 6)
    return ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(tc["num_hidden_layers"])]


def scaled_inv_freq(theta, hd, params):
    inv = base.default_inv_freq(theta, hd)
    rtype = (params or {}).get("rope_type", (params or {}).get("type", "default"))
    if rtype == "linear":
        return inv / float(params["factor"])
    assert rtype == "default", rtype
    return inv


def gemma_inv_freq(cfg, layer_type):
    tc = text_cfg(cfg)
    hd = tc["head_dim"]
    if tc["model_type"] == "gemma2":
        return base.default_inv_freq(tc.get("rope_theta", 10000.0), hd)
    rp = tc.get("rope_parameters")
    if isinstance(rp, dict) and layer_type in rp:          # transformers 5: one entry per layer kind
        p = rp[layer_type]
        return scaled_inv_freq(float(p["rope_theta"]), hd, p)
    if layer_type == "sliding_attention":                 # transformers 4: local layers, default rope
        return base.default_inv_freq(tc.get("rope_local_base_freq", 10000.0), hd)
    return scaled_inv_freq(tc.get("rope_theta", 1000000.0), hd, tc.get("rope_scaling"))


def gemma_prefix(W):
    for p in ("model.", "model.language_model.", "language_model.model."):
        if p + "embed_tokens.weight" in W:
            return p
    raise KeyError("embed_tokens")


def gemma_forward(cfg, W, ids, opts=None):
    opts = opts or {}
    dt = opts.get("dtype", np.float64)
    if dt != np.float64:
        W = {k: v.astype(dt) for k, v in W.items()}
    tc = text_cfg(cfg)
    H, KV, hd, D = tc["num_attention_heads"], tc["num_key_value_heads"], tc["head_dim"], tc["hidden_size"]
    eps = tc["rms_norm_eps"]
    off = 0.0 if opts.get("norm_no_offset") else 1.0
    gemma3 = tc["model_type"] == "gemma3_text"
    Tn = len(ids)
    pre = gemma_prefix(W)

    def rms(x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * (off + w)

    types = gemma_layer_types(cfg)
    if opts.get("swap_rope"):
        tables = {t: rope_tables(gemma_inv_freq(cfg, o), Tn) for t, o in
                  (("sliding_attention", "full_attention"), ("full_attention", "sliding_attention"))}
    else:
        tables = {t: rope_tables(gemma_inv_freq(cfg, t), Tn) for t in set(types)}
    scale = (tc["head_dim"] if opts.get("head_dim_scale") else tc.get("query_pre_attn_scalar", 256)) ** -0.5
    attn_cap = None if opts.get("no_attn_softcap") else tc.get("attn_logit_softcapping")
    final_cap = None if opts.get("no_final_softcap") else tc.get("final_logit_softcapping")
    normaliser = 1.0 if opts.get("no_embed_scale") else float(np.float32(math.sqrt(D)))
    x = W[pre + "embed_tokens.weight"][np.asarray(ids)] * dt(normaliser)
    out = {"embed": x, "resid_post": [], "attn_out": [], "mlp_out": [], "patterns": [], "windows": []}
    for L in range(tc["num_hidden_layers"]):
        p = pre + "layers.%d." % L
        a = p + "self_attn."
        window = tc.get("sliding_window") if types[L] == "sliding_attention" and not opts.get("no_window") else None
        out["windows"].append(window)
        masked = ~base.visible(Tn, window)
        n = rms(x, W[p + "input_layernorm.weight"])
        q = base.linear(n, W[a + "q_proj.weight"]).reshape(Tn, H, hd)
        k = base.linear(n, W[a + "k_proj.weight"]).reshape(Tn, KV, hd)
        v = base.linear(n, W[a + "v_proj.weight"]).reshape(Tn, KV, hd)
        if gemma3 and not opts.get("no_qk_norm"):
            q = rms(q, W[a + "q_norm.weight"])
            k = rms(k, W[a + "k_norm.weight"])
        cos, sin = (t.astype(dt) for t in tables[types[L]])
        q = base.apply_rope(q, cos, sin)
        k = base.apply_rope(k, cos, sin)
        z, pats = attend(q, k, v, scale, masked, attn_cap, dt)
        attn = base.linear(z.reshape(Tn, H * hd), W[a + "o_proj.weight"])
        attn_out = attn if opts.get("no_post_norms") else rms(attn, W[p + "post_attention_layernorm.weight"])
        x = x + attn_out
        n2 = rms(x, W[p + "pre_feedforward_layernorm.weight"])
        mlp = base.linear(gelu_tanh(base.linear(n2, W[p + "mlp.gate_proj.weight"]))
                          * base.linear(n2, W[p + "mlp.up_proj.weight"]), W[p + "mlp.down_proj.weight"])
        mlp_out = mlp if opts.get("no_post_norms") else rms(mlp, W[p + "post_feedforward_layernorm.weight"])
        x = x + mlp_out
        for key, val in (("resid_post", x), ("attn_out", attn_out), ("mlp_out", mlp_out), ("patterns", pats)):
            out[key].append(val)
    out["unembed_in"] = rms(x, W[pre + "norm.weight"])
    logits = out["unembed_in"] @ W[pre + "embed_tokens.weight"].T
    if final_cap is not None:
        logits = final_cap * np.tanh(logits / final_cap)
    out["logits"] = logits
    return out


def gemma_weights(cfg, seed):
    tc = text_cfg(cfg)
    rng = np.random.default_rng(seed)
    D, I, H, KV, hd, V = (tc[k] for k in ("hidden_size", "intermediate_size", "num_attention_heads",
                                          "num_key_value_heads", "head_dim", "vocab_size"))
    pre = "model.language_model." if cfg["model_type"] == "gemma3" else "model."

    def mat(o, i, std=base.WEIGHT_STD):
        return (rng.standard_normal((o, i)) * std * min(1.0, math.sqrt(D / i))).astype(np.float32)

    def normw(n):  # Gemma stores w for x * (1 + w): centred on 0
        return (rng.standard_normal(n) * 0.3).astype(np.float32)

    ts = [(pre + "embed_tokens.weight", mat(V, D))]
    for L in range(tc["num_hidden_layers"]):
        p = pre + "layers.%d." % L
        ts += [(p + "input_layernorm.weight", normw(D)),
               (p + "self_attn.q_proj.weight", mat(H * hd, D)),
               (p + "self_attn.k_proj.weight", mat(KV * hd, D)),
               (p + "self_attn.v_proj.weight", mat(KV * hd, D)),
               (p + "self_attn.o_proj.weight", mat(D, H * hd, base.RESID_WRITE_STD))]
        if tc["model_type"] == "gemma3_text":
            ts += [(p + "self_attn.q_norm.weight", normw(hd)), (p + "self_attn.k_norm.weight", normw(hd))]
        ts += [(p + "post_attention_layernorm.weight", normw(D)),
               (p + "pre_feedforward_layernorm.weight", normw(D)),
               (p + "mlp.gate_proj.weight", mat(I, D)),
               (p + "mlp.up_proj.weight", mat(I, D)),
               (p + "mlp.down_proj.weight", mat(D, I, base.RESID_WRITE_STD)),
               (p + "post_feedforward_layernorm.weight", normw(D))]
    ts.append((pre + "norm.weight", normw(D)))
    return ts


# ----------------------------------------------------------------------------------------------------------
# GPT-NeoX
# ----------------------------------------------------------------------------------------------------------

def neox_rotary(cfg):
    rp = cfg.get("rope_parameters") or {}
    pct = cfg.get("rotary_pct", rp.get("partial_rotary_factor", 0.25))
    theta = cfg.get("rotary_emb_base", rp.get("rope_theta", 10000.0))
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    return int(hd * pct), float(theta)


def layer_norm(x, w, b, eps):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def neox_forward(cfg, W, ids, opts=None):
    opts = opts or {}
    dt = opts.get("dtype", np.float64)
    if dt != np.float64:
        W = {k: v.astype(dt) for k, v in W.items()}
    H, D = cfg["num_attention_heads"], cfg["hidden_size"]
    hd = D // H
    eps = cfg["layer_norm_eps"]
    Tn = len(ids)
    rd, theta = neox_rotary(cfg)
    if opts.get("full_rotary"):
        rd = hd
    cos, sin = (t.astype(dt) for t in rope_tables(base.default_inv_freq(theta, rd), Tn))
    parallel = cfg.get("use_parallel_residual", True) != bool(opts.get("flip_parallel"))
    act = gelu_tanh if opts.get("gelu_tanh") else gelu_exact
    masked = ~base.visible(Tn, None)
    x = W["gpt_neox.embed_in.weight"][np.asarray(ids)]
    out = {"embed": x, "resid_post": [], "attn_out": [], "mlp_out": [], "patterns": [],
           "windows": [None] * cfg["num_hidden_layers"]}

    def rope(t):
        return np.concatenate([base.apply_rope(t[..., :rd], cos, sin), t[..., rd:]], axis=-1)

    def mlp(h, p):
        return base.linear(act(base.linear(h, W[p + "mlp.dense_h_to_4h.weight"], W[p + "mlp.dense_h_to_4h.bias"])),
                           W[p + "mlp.dense_4h_to_h.weight"], W[p + "mlp.dense_4h_to_h.bias"])

    for L in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % L
        a = p + "attention."
        n = layer_norm(x, W[p + "input_layernorm.weight"], W[p + "input_layernorm.bias"], eps)
        bias = (lambda key: None) if opts.get("no_attn_bias") else W.get
        qkv = base.linear(n, W[a + "query_key_value.weight"], bias(a + "query_key_value.bias"))
        if opts.get("qkv_blocked"):   # bug probe: q | k | v as three contiguous blocks
            q, k, v = (qkv[:, i * D:(i + 1) * D].reshape(Tn, H, hd) for i in range(3))
        else:                         # HF: view [T, H, 3*hd], split per head
            per = qkv.reshape(Tn, H, 3 * hd)
            q, k, v = per[..., :hd], per[..., hd:2 * hd], per[..., 2 * hd:]
        z, pats = attend(rope(q), rope(k), v, hd ** -0.5, masked, None, dt)
        attn_out = base.linear(z.reshape(Tn, D), W[a + "dense.weight"], bias(a + "dense.bias"))
        ln2 = (p + "post_attention_layernorm.weight", p + "post_attention_layernorm.bias")
        if parallel:
            mlp_out = mlp(layer_norm(x, W[ln2[0]], W[ln2[1]], eps), p)
            x = mlp_out + attn_out + x
        else:
            x = attn_out + x
            mlp_out = mlp(layer_norm(x, W[ln2[0]], W[ln2[1]], eps), p)
            x = mlp_out + x
        for key, val in (("resid_post", x), ("attn_out", attn_out), ("mlp_out", mlp_out), ("patterns", pats)):
            out[key].append(val)
    out["unembed_in"] = layer_norm(x, W["gpt_neox.final_layer_norm.weight"], W["gpt_neox.final_layer_norm.bias"], eps)
    out["logits"] = out["unembed_in"] @ W["embed_out.weight"].T
    return out


def neox_weights(cfg, seed):
    rng = np.random.default_rng(seed)
    D, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    bias = cfg.get("attention_bias", True)

    def mat(o, i, std=base.WEIGHT_STD):
        return (rng.standard_normal((o, i)) * std * min(1.0, math.sqrt(D / i))).astype(np.float32)

    def vec(n, std=base.WEIGHT_STD):
        return (rng.standard_normal(n) * std).astype(np.float32)

    def ln(prefix):
        return [(prefix + ".weight", (1.0 + rng.standard_normal(D) * 0.1).astype(np.float32)),
                (prefix + ".bias", vec(D, 0.1))]

    ts = [("gpt_neox.embed_in.weight", mat(V, D))]
    for L in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % L
        ts += ln(p + "input_layernorm") + ln(p + "post_attention_layernorm")
        ts.append((p + "attention.query_key_value.weight", mat(3 * D, D)))
        if bias:
            ts.append((p + "attention.query_key_value.bias", vec(3 * D)))
        ts.append((p + "attention.dense.weight", mat(D, D, base.RESID_WRITE_STD)))
        if bias:
            ts.append((p + "attention.dense.bias", vec(D, 0.1)))
        ts += [(p + "mlp.dense_h_to_4h.weight", mat(I, D)), (p + "mlp.dense_h_to_4h.bias", vec(I)),
               (p + "mlp.dense_4h_to_h.weight", mat(D, I, base.RESID_WRITE_STD)),
               (p + "mlp.dense_4h_to_h.bias", vec(D, 0.1))]
    ts += ln("gpt_neox.final_layer_norm")
    ts.append(("embed_out.weight", mat(V, D)))
    return ts


# ----------------------------------------------------------------------------------------------------------
# specs, checks, files
# ----------------------------------------------------------------------------------------------------------

def gemma_text(model_type, D, I, layers, H, KV, hd, V, **extra):
    c = {"architectures": ["Gemma2ForCausalLM" if model_type == "gemma2" else "Gemma3ForCausalLM"],
         "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 2, "eos_token_id": 1,
         "head_dim": hd, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": D, "initializer_range": 0.02,
         "intermediate_size": I, "max_position_embeddings": 8192, "model_type": model_type,
         "num_attention_heads": H, "num_hidden_layers": layers, "num_key_value_heads": KV, "pad_token_id": 0,
         "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "torch_dtype": "float32",
         "transformers_version": "4.51.3", "use_cache": True, "vocab_size": V}
    c.update(extra)
    return c


def neox_cfg(D, I, layers, H, V, **extra):
    c = {"architectures": ["GPTNeoXForCausalLM"], "attention_bias": True, "attention_dropout": 0.0,
         "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu", "hidden_dropout": 0.0, "hidden_size": D,
         "initializer_range": 0.02, "intermediate_size": I, "layer_norm_eps": 1e-5, "max_position_embeddings": 2048,
         "model_type": "gpt_neox", "num_attention_heads": H, "num_hidden_layers": layers,
         "tie_word_embeddings": False, "torch_dtype": "float32", "transformers_version": "4.51.3",
         "use_cache": True, "vocab_size": V}
    c.update(extra)
    return c


GEMMA_PROBES = [("no_window", "sliding window removed"), ("norm_no_offset", "RMSNorm weight w instead of 1 + w"),
                ("no_embed_scale", "embedding not scaled by sqrt(D)"),
                ("head_dim_scale", "scores scaled by head_dim^-0.5 instead of query_pre_attn_scalar^-0.5"),
                ("no_post_norms", "post-attention / post-feedforward norms skipped")]
GEMMA2_PROBES = [("no_attn_softcap", "attention-logit soft-cap removed"),
                 ("no_final_softcap", "final-logit soft-cap removed")]
GEMMA3_PROBES = [("swap_rope", "local and global rope settings swapped"), ("no_qk_norm", "q/k norms skipped")]
NEOX_PROBES = [("full_rotary", "rotary on all of head_dim instead of rotary_pct"),
               ("qkv_blocked", "query_key_value read as q|k|v blocks instead of per head"),
               ("flip_parallel", "use_parallel_residual flipped"), ("no_attn_bias", "attention biases dropped")]
PYTHIA_PROBES = NEOX_PROBES + [("gelu_tanh", "tanh GELU instead of exact")]


def model_specs():
    specs = []
    c = gemma_text("gemma2", D=32, I=64, layers=3, H=4, KV=2, hd=16, V=96, query_pre_attn_scalar=24,
                   sliding_window=4, attn_logit_softcapping=4.0, final_logit_softcapping=2.5, rope_theta=10000.0,
                   cache_implementation="hybrid")
    specs.append({"name": "gemma2", "cfg": c, "seed": 8008, "dtype": "F32", "forward": gemma_forward,
                  "weights": gemma_weights, "probes": GEMMA_PROBES + GEMMA2_PROBES,
                  "exercises": "Gemma 2: (1+w) RMSNorms, pre/post norms, embedding * sqrt(32), head_dim 16 != 32/4, "
                               "GQA 4/2, query_pre_attn_scalar 24, attention soft-cap 4 and final soft-cap 2.5 "
                               "(both binding), sliding window 4 on layers 0 and 2 (no layer_types), tied"})
    c = gemma_text("gemma2", D=32, I=64, layers=2, H=2, KV=1, hd=16, V=80, query_pre_attn_scalar=20,
                   sliding_window=3, attn_logit_softcapping=3.0, final_logit_softcapping=3.0, rope_theta=10000.0,
                   layer_types=["sliding_attention", "full_attention"], eos_token_id=[1, 107], torch_dtype="float16")
    specs.append({"name": "gemma2-f16", "cfg": c, "seed": 9009, "dtype": "F16", "forward": gemma_forward,
                  "weights": gemma_weights, "probes": GEMMA_PROBES + GEMMA2_PROBES,
                  "exercises": "Gemma 2 with F16 weights, explicit layer_types, MQA 2/1, window 3, soft-caps 3"})
    c = gemma_text("gemma3_text", D=32, I=64, layers=4, H=4, KV=2, hd=16, V=96, query_pre_attn_scalar=32,
                   sliding_window=5, sliding_window_pattern=3, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                   rope_scaling={"factor": 8.0, "rope_type": "linear"}, attn_logit_softcapping=None,
                   final_logit_softcapping=None)
    specs.append({"name": "gemma3", "cfg": c, "seed": 10010, "dtype": "F32", "forward": gemma_forward,
                  "weights": gemma_weights, "probes": GEMMA_PROBES + GEMMA3_PROBES,
                  "exercises": "Gemma 3 text (transformers-4 config): sliding_window_pattern 3 (layers 0, 1, 3 "
                               "sliding, window 5; layer 2 global), local rope base 1e4, global rope 1e6 with "
                               "linear scaling x8, q/k norms (1+w), no soft-caps, tied"})
    text = gemma_text("gemma3_text", D=32, I=64, layers=3, H=2, KV=1, hd=16, V=80, query_pre_attn_scalar=8,
                      sliding_window=4, layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                      rope_parameters={"full_attention": {"factor": 4.0, "rope_theta": 1000000.0,
                                                          "rope_type": "linear"},
                                       "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"}})
    del text["architectures"], text["torch_dtype"], text["transformers_version"]
    c = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "dtype": "bfloat16",
         "text_config": text, "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 16},
         "mm_tokens_per_image": 4, "image_token_index": 79, "eos_token_id": [1, 106], "transformers_version": "5.0.0"}
    specs.append({"name": "gemma3-mm-bf16", "cfg": c, "seed": 11011, "dtype": "BF16", "forward": gemma_forward,
                  "weights": gemma_weights, "probes": GEMMA_PROBES + GEMMA3_PROBES,
                  "exercises": "Gemma 3 multimodal config (model_type gemma3, text_config, transformers-5 "
                               "rope_parameters per layer kind), BF16 weights under model.language_model., "
                               "explicit layer_types, MQA"})
    c = neox_cfg(D=48, I=128, layers=3, H=3, V=80, rotary_pct=0.25, rotary_emb_base=10000, rope_scaling=None,
                 use_parallel_residual=True)
    specs.append({"name": "pythia", "cfg": c, "seed": 12012, "dtype": "F32", "forward": neox_forward,
                  "weights": neox_weights, "probes": PYTHIA_PROBES,
                  "exercises": "GPT-NeoX / Pythia: parallel residual, rotary_pct 0.25 (4 of 16 channels), fused "
                               "per-head query_key_value, LayerNorm biases, exact GELU, untied embed_out"})
    c = neox_cfg(D=32, I=96, layers=2, H=2, V=72, use_parallel_residual=False, dtype="bfloat16",
                 rope_parameters={"partial_rotary_factor": 0.5, "rope_theta": 10000.0, "rope_type": "default"},
                 transformers_version="5.0.0")
    del c["torch_dtype"]
    specs.append({"name": "neox-seq-bf16", "cfg": c, "seed": 13013, "dtype": "BF16", "forward": neox_forward,
                  "weights": neox_weights, "probes": NEOX_PROBES,
                  "exercises": "GPT-NeoX sequential residual (use_parallel_residual false), transformers-5 "
                               "rope_parameters with partial_rotary_factor 0.5, BF16 weights"})
    return specs


def greedy(spec, W, ids, n):
    seq = [int(i) for i in ids]
    margins = []
    for _ in range(n):
        lg = spec["forward"](spec["cfg"], W, seq)["logits"][-1]
        order = np.argsort(-lg, kind="stable")
        margins.append(float(lg[order[0]] - lg[order[1]]))
        seq.append(int(order[0]))
    return seq, margins


def build(spec):
    import os
    name, cfg, fwd = spec["name"], spec["cfg"], spec["forward"]
    d = os.path.join(base.OUT_DIR, name)
    os.makedirs(d, exist_ok=True)
    print("== %s (%s)" % (name, spec["exercises"]))
    tensors = spec["weights"](cfg, spec["seed"])
    base.write_json(os.path.join(d, "config.json"), cfg)
    base.write_safetensors(os.path.join(d, "model.safetensors"), [(n, a, spec["dtype"]) for n, a in tensors])
    W = {n: base.stored_values(a, spec["dtype"]) for n, a in tensors}
    W_disk = base.read_safetensors(os.path.join(d, "model.safetensors"))
    check("checkpoint round trip (reader sees the same float64 values)",
          set(W_disk) == set(W) and all(np.array_equal(W_disk[k], W[k]) for k in W))

    rng = np.random.default_rng(spec["seed"] + 7)
    V = text_cfg(cfg)["vocab_size"]
    ids = rng.integers(0, V, size=T).astype(np.int64)
    out = fwd(cfg, W, ids)
    logits = out["logits"]
    for L, pat in enumerate(out["patterns"]):
        w = out["windows"][L]
        check("layer-%d pattern rows sum to 1, zero outside causal%s" % (L, " + window %d" % w if w else ""),
              np.allclose(pat.sum(-1), 1.0, atol=1e-12) and np.all(pat[:, ~base.visible(T, w)] == 0.0))
    for key, what in spec["probes"]:
        dl = float(np.max(np.abs(fwd(cfg, W, ids, {key: True})["logits"] - logits)))
        check("feature probe '%s' changes logits (max |dlogit| > 1e-3)" % what, dl > 1e-3, "%.4f" % dl)

    o32 = fwd(cfg, W, ids, {"dtype": np.float32})
    errs = [float(np.max(np.abs(o32["logits"] - logits)))]
    for key in ("resid_post", "attn_out", "mlp_out"):
        errs.append(max(float(np.max(np.abs(a - b))) for a, b in zip(o32[key], out[key])))
    check("numpy fp32 forward within 1e-4 of float64 (logits, resid_post, attn_out, mlp_out)",
          max(errs) < 1e-4, "max |d| %s" % ", ".join("%.1e" % e for e in errs))

    seq, margins = greedy(spec, W, ids, N_GREEDY)
    check("greedy step 1 == argmax(logits[T-1])", seq[T] == int(np.argmax(logits[-1])))
    check("greedy top1-top2 margins >= 1e-3 (robust to fp32)", min(margins) >= 1e-3, "min %.4f" % min(margins))
    print("  input_ids  %s" % [int(i) for i in ids])
    print("  greedy     %s" % seq[T:])
    print("  logits range [%.4f, %.4f]; resid_post rms per layer %s" % (
        float(logits.min()), float(logits.max()),
        ["%.3f" % float(np.sqrt(np.mean(r * r))) for r in out["resid_post"]]))

    ref = [("input_ids", ids, "I64"), ("logits", logits, "F32"), ("hook_embed", out["embed"], "F32")]
    for L in range(len(out["resid_post"])):
        ref += [("blocks.%d.hook_resid_post" % L, out["resid_post"][L], "F32"),
                ("blocks.%d.hook_attn_out" % L, out["attn_out"][L], "F32"),
                ("blocks.%d.hook_mlp_out" % L, out["mlp_out"][L], "F32"),
                ("blocks.%d.attn.hook_pattern" % L, out["patterns"][L], "F32")]
    ref.append(("unembed.hook_in", out["unembed_in"], "F32"))
    ref.append(("greedy_ids", np.asarray(seq, dtype=np.int64), "I64"))
    base.write_safetensors(os.path.join(d, "reference.safetensors"), ref)
    return {"name": name, "logits_min": float(logits.min()), "logits_max": float(logits.max())}
