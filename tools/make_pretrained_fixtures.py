#!/usr/bin/env python3
"""Writes tiny SAEs in the layouts of public pretrained releases, with expected encodings, for interp-sae tests.

Only numpy is needed. Layouts (see README "Pretrained SAEs"):
  Gemma Scope  <release>/layer_L/width_W/average_l0_A/params.npz: W_enc [d, m], W_dec [m, d], b_enc [m], b_dec [d],
               threshold [m]. JumpReLU on the raw input (no b_dec subtraction), as in the Gemma Scope tutorial and
               SAELens: z = x @ W_enc + b_enc, f = relu(z) * (z > threshold), x_hat = f @ W_dec + b_dec.
  Llama Scope  <folder>/hyperparams.json + <folder>/checkpoints/final.safetensors (encoder.weight [m, d],
               encoder.bias [m], decoder.weight [d, m], decoder.bias [d]). The expected codes follow OpenMOSS
               lm_saes SparseAutoEncoder.from_pretrained (release of Oct 2024), written out literally below.
  Qwen-Scope   <release>/layerN.sae.safetensors (the official layerN.sae.pt converted to safetensors, same keys):
               W_enc [m, d], W_dec [d, m], b_enc [m], b_dec [d]; TopK: f = topk_k(relu(x @ W_enc.T + b_enc)),
               x_hat = f @ W_dec.T + b_dec.
  Gemma Scope transcoders  gemma-scope-<size>-pt-transcoders/layer_L/width_W/average_l0_A/params.npz: the same five
               arrays; as SAELens' gemma_2_transcoder loader: a JumpReLU transcoder from blocks.L.ln2.hook_normalized
               to blocks.L.hook_mlp_out, d_out = d_in, no b_dec subtraction: y_hat = f @ W_dec + b_dec.
  SAELens JumpReLU with a negative threshold  cfg.json + sae_weights.safetensors; SAELens computes
               f = relu(z) * (z > threshold) with z = (x - b_dec) @ W_enc + b_enc (apply_b_dec_to_input true).
Weights are stored as float32 unless said otherwise; expected values are computed in float64 from the values as
stored (float64 arrays rounded to float32 first, since the Java readers hold float32 weights).

Also writes bad inputs: an npz with a pickled object array, a truncated npz, a wrong shape, a NaN, a missing and
an extra array.

Usage: python3 tools/make_pretrained_fixtures.py   (writes interp-sae/src/test/resources/sae-fixtures/pretrained/)
"""
import json
import os
import shutil
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interp-sae", "src", "test", "resources",
                   "sae-fixtures", "pretrained")
D, M, K, ROWS = 6, 16, 3, 5


def f32(a):
    return np.asarray(a, dtype=np.float32)


def bf16_bits(a):
    """Rounds float32 values to bfloat16 (nearest, ties to even) and returns the 16-bit patterns."""
    u = f32(a).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_value(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string 'F32' | 'BF16', array of float32 values or uint16 bf16 patterns)."""
    header, offset, blobs = {}, 0, []
    for name, (dt, arr) in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4" if dt == "F32" else "<u2").tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_expected(d, x, codes, recon):
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"inputs": x.tolist(), "codes": codes.tolist(), "reconstructions": recon.tolist()}, f)


def gemma_weights(rng, x):
    w_enc = rng.normal(scale=0.5, size=(D, M))
    w_dec = rng.normal(scale=0.5, size=(M, D))
    b_enc = rng.normal(scale=0.1, size=(M,))
    b_dec = rng.normal(scale=0.1, size=(D,))
    threshold = np.abs(rng.normal(scale=0.3, size=(M,)))
    threshold[0] = -0.2  # a negative threshold: relu(z) * (z > theta) must still give no negative code,
    b_enc[0] = -0.1 - x[0] @ w_enc[:, 0]  # and row 0 has z_0 = -0.1 between it and 0
    return {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec, "threshold": threshold}


def gemma_expected(x, p):
    z = x @ p["W_enc"] + p["b_enc"]
    f = np.maximum(z, 0) * (z > p["threshold"])
    return f, f @ p["W_dec"] + p["b_dec"]


def gemma(rng, x):
    # residual-stream release: float32, C order, stored (np.savez)
    p = {k: f32(v) for k, v in gemma_weights(rng, x).items()}
    d = os.path.join(OUT, "gemma-scope-2b-pt-res", "layer_3", "width_16", "average_l0_5")
    os.makedirs(d, exist_ok=True)
    np.savez(os.path.join(d, "params.npz"), **p)
    codes, recon = gemma_expected(x, {k: v.astype(np.float64) for k, v in p.items()})
    write_expected(d, x, codes, recon)
    good = p
    # MLP-output release: deflated (np.savez_compressed), W_enc float64 in Fortran order, W_dec float16
    q = gemma_weights(rng, x)
    stored = {"W_enc": np.asfortranarray(q["W_enc"]), "W_dec": q["W_dec"].astype("<f2"),
              "b_enc": f32(q["b_enc"]), "b_dec": f32(q["b_dec"]), "threshold": f32(q["threshold"])}
    d = os.path.join(OUT, "gemma-scope-9b-it-mlp", "layer_7", "width_16", "average_l0_4")
    os.makedirs(d, exist_ok=True)
    np.savez_compressed(os.path.join(d, "params.npz"), **stored)
    as_read = {k: f32(v).astype(np.float64) for k, v in stored.items()}
    codes, recon = gemma_expected(x, as_read)
    write_expected(d, x, codes, recon)
    return good


def gemma_bad(good):
    bad = os.path.join(OUT, "bad")
    os.makedirs(bad, exist_ok=True)
    pickled = dict(good)
    pickled["threshold"] = np.array([{"not": "an array"}, 1.0], dtype=object)
    np.savez(os.path.join(bad, "pickled.npz"), **pickled)
    shape = dict(good)
    shape["W_dec"] = np.zeros((M, D + 1), np.float32)
    np.savez(os.path.join(bad, "wrong-shape.npz"), **shape)
    nan = dict(good)
    nan["b_enc"] = good["b_enc"].copy()
    nan["b_enc"][5] = np.nan
    np.savez(os.path.join(bad, "nan.npz"), **nan)
    missing = {k: v for k, v in good.items() if k != "threshold"}
    np.savez(os.path.join(bad, "missing.npz"), **missing)
    extra = dict(good)
    extra["scaling_factor"] = np.ones(M, np.float32)
    np.savez(os.path.join(bad, "extra.npz"), **extra)
    np.savez(os.path.join(bad, "full.npz"), **good)
    with open(os.path.join(bad, "full.npz"), "rb") as f:
        data = f.read()
    os.remove(os.path.join(bad, "full.npz"))
    with open(os.path.join(bad, "truncated.npz"), "wb") as f:
        f.write(data[: len(data) * 2 // 3])


def lm_saes_from_pretrained(hp, enc_w, enc_b, dec_w, dec_b):
    """lm_saes (Oct 2024) SparseAutoEncoder.from_pretrained: standardize the dataset-wise scaling, then move the
    decoder norms into the encoder; returns the inference parameters (norm_activation becomes 'inference')."""
    enc_w, enc_b, dec_w, dec_b = (a.astype(np.float64).copy() for a in (enc_w, enc_b, dec_w, dec_b))
    if hp["norm_activation"] == "dataset-wise":
        s_in = np.sqrt(hp["d_model"]) / hp["dataset_average_activation_norm"]["in"]
        s_out = np.sqrt(hp["d_model"]) / hp["dataset_average_activation_norm"]["out"]
        enc_b = enc_b / s_in
        dec_b = dec_b / s_out
        dec_w = dec_w * s_in / s_out
    if hp["sparsity_include_decoder_norm"]:
        norm = np.linalg.norm(dec_w, axis=0)
        dec_w = dec_w / norm
        enc_w = enc_w * norm[:, None]
        enc_b = enc_b * norm
    return enc_w, enc_b, dec_w, dec_b


def lm_saes_encode(hp, x, enc_w, enc_b, dec_w, dec_b):
    xin = x - dec_b if hp["apply_decoder_bias_to_pre_encoder"] else x
    z = xin @ enc_w.T + enc_b
    act = hp["act_fn"]
    if act == "topk" and hp["jump_relu_threshold"] > 0:
        act = "jumprelu"
    if act == "jumprelu":
        f = np.where(z > hp["jump_relu_threshold"], z, 0.0)
    elif act == "topk":
        r = np.maximum(z, 0)
        f = np.zeros_like(r)
        for row in range(r.shape[0]):
            top = np.argsort(-r[row], kind="stable")[: hp["top_k"]]
            f[row, top] = r[row, top]
    else:
        f = np.maximum(z, 0)
    return f, f @ dec_w.T + dec_b


def llama(rng, x):
    cases = {
        # trained TopK, released as JumpReLU with one threshold, dataset-wise norm, decoder norms not 1, bf16
        "Llama3_1-8B-Base-L3R-8x": dict(act_fn="topk", jump_relu_threshold=0.35, apply_decoder_bias_to_pre_encoder=False,
                                        norm_activation="dataset-wise", hook="blocks.3.hook_resid_post",
                                        norm=0.8, dtype="BF16"),
        # plain TopK, b_dec applied before the encoder, float32
        "Llama3_1-8B-Base-L5M-8x": dict(act_fn="topk", jump_relu_threshold=0.0, apply_decoder_bias_to_pre_encoder=True,
                                        norm_activation="dataset-wise", hook="blocks.5.hook_mlp_out", norm=3.5,
                                        dtype="F32"),
    }
    for name, c in cases.items():
        enc_w = f32(rng.normal(scale=0.5, size=(M, D)))
        enc_b = f32(rng.normal(scale=0.1, size=(M,)))
        dec_w = f32(rng.normal(scale=0.5, size=(D, M)))
        dec_b = f32(rng.normal(scale=0.1, size=(D,)))
        hp = {"hook_point_in": c["hook"], "hook_point_out": c["hook"], "use_decoder_bias": True,
              "apply_decoder_bias_to_pre_encoder": c["apply_decoder_bias_to_pre_encoder"], "expansion_factor": M // D,
              "d_model": D, "d_sae": M, "act_fn": c["act_fn"], "jump_relu_threshold": c["jump_relu_threshold"],
              "norm_activation": c["norm_activation"],
              "dataset_average_activation_norm": {"in": c["norm"], "out": c["norm"]},
              "sparsity_include_decoder_norm": True, "use_glu_encoder": False, "top_k": K, "lp": 1}
        d = os.path.join(OUT, "llama-scope", name)
        os.makedirs(os.path.join(d, "checkpoints"), exist_ok=True)
        with open(os.path.join(d, "hyperparams.json"), "w") as f:
            json.dump(hp, f, indent=2)
        tensors = {"encoder.weight": enc_w, "encoder.bias": enc_b, "decoder.weight": dec_w, "decoder.bias": dec_b}
        if c["dtype"] == "BF16":
            bits = {k: bf16_bits(v) for k, v in tensors.items()}
            write_safetensors(os.path.join(d, "checkpoints", "final.safetensors"),
                              {k: ("BF16", v) for k, v in bits.items()})
            values = {k: bf16_value(v) for k, v in bits.items()}
        else:
            write_safetensors(os.path.join(d, "checkpoints", "final.safetensors"),
                              {k: ("F32", v) for k, v in tensors.items()})
            values = {k: v.astype(np.float64) for k, v in tensors.items()}
        params = lm_saes_from_pretrained(hp, values["encoder.weight"], values["encoder.bias"],
                                         values["decoder.weight"], values["decoder.bias"])
        codes, recon = lm_saes_encode(hp, x, *params)
        write_expected(d, x, codes, recon)


def qwen(rng, x):
    d = os.path.join(OUT, "SAE-Res-Qwen3.5-2B-Base-W16-L0_3")
    os.makedirs(d, exist_ok=True)
    w_enc = f32(rng.normal(scale=0.5, size=(M, D)))
    w_dec = f32(rng.normal(scale=0.5, size=(D, M)))
    b_enc = f32(rng.normal(scale=0.1, size=(M,)))
    b_dec = f32(rng.normal(scale=0.1, size=(D,)))
    write_safetensors(os.path.join(d, "layer5.sae.safetensors"),
                      {"W_enc": ("F32", w_enc), "W_dec": ("F32", w_dec), "b_enc": ("F32", b_enc),
                       "b_dec": ("F32", b_dec)})
    r = np.maximum(x @ w_enc.astype(np.float64).T + b_enc, 0)
    f = np.zeros_like(r)
    for row in range(r.shape[0]):
        top = np.argsort(-r[row], kind="stable")[:K]
        f[row, top] = r[row, top]
    write_expected(d, x, f, f @ w_dec.astype(np.float64).T + b_dec)


def gemma_transcoder(rng, x):
    # one negative threshold with a row whose pre-activation lies between it and 0 (as in gemma_weights)
    p = {k: f32(v) for k, v in gemma_weights(rng, x).items()}
    d = os.path.join(OUT, "gemma-scope-2b-pt-transcoders", "layer_4", "width_16", "average_l0_6")
    os.makedirs(d, exist_ok=True)
    np.savez(os.path.join(d, "params.npz"), **p)
    codes, out = gemma_expected(x, {k: v.astype(np.float64) for k, v in p.items()})
    write_expected(d, x, codes, out)


def saelens_jumprelu_negative(rng, x):
    d = os.path.join(OUT, "saelens-jumprelu-negative-threshold")
    os.makedirs(d, exist_ok=True)
    w_enc = f32(rng.normal(scale=0.5, size=(D, M)))
    w_dec = f32(rng.normal(scale=0.5, size=(M, D)))
    b_enc = rng.normal(scale=0.1, size=(M,))
    b_dec = f32(rng.normal(scale=0.1, size=(D,)))
    threshold = np.abs(rng.normal(scale=0.3, size=(M,)))
    threshold[:3] = [-0.2, -0.5, -1e-3]
    # rows 0..2 get z in (threshold, 0) for latents 0..2: SAELens gives 0 there, z * (z > threshold) would not
    for i in range(3):
        b_enc[i] = threshold[i] / 2 - (x[i] - b_dec) @ w_enc[:, i]
    b_enc, threshold = f32(b_enc), f32(threshold)
    write_safetensors(os.path.join(d, "sae_weights.safetensors"),
                      {"W_enc": ("F32", w_enc), "W_dec": ("F32", w_dec), "b_enc": ("F32", b_enc),
                       "b_dec": ("F32", b_dec), "threshold": ("F32", threshold)})
    with open(os.path.join(d, "cfg.json"), "w") as f:
        json.dump({"architecture": "jumprelu", "d_in": D, "d_sae": M, "dtype": "float32", "device": "cpu",
                   "apply_b_dec_to_input": True, "normalize_activations": "none",
                   "metadata": {"model_name": "tiny-test-model", "hook_name": "blocks.1.hook_resid_post",
                                "hook_head_index": None, "context_size": 128, "prepend_bos": True}}, f, indent=2)
    w_enc, w_dec, b_enc, b_dec, threshold = (a.astype(np.float64) for a in (w_enc, w_dec, b_enc, b_dec, threshold))
    z = (x - b_dec) @ w_enc + b_enc
    f = np.maximum(z, 0) * (z > threshold)
    assert all(threshold[i] < z[i, i] < 0 for i in range(3))
    write_expected(d, x, f, f @ w_dec + b_dec)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    rng = np.random.default_rng(20261206)
    x = rng.normal(size=(ROWS, D)).astype(np.float32).astype(np.float64)
    good = gemma(rng, x)
    gemma_bad(good)
    llama(rng, x)
    qwen(rng, x)
    extra = np.random.default_rng(20261207)  # a second stream, so the fixtures above stay as they were
    gemma_transcoder(extra, x)
    saelens_jumprelu_negative(extra, x)


if __name__ == "__main__":
    main()
