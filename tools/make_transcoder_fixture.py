#!/usr/bin/env python3
"""Writes tiny transcoder checkpoints in the SAELens transcoder layout, with expected outputs, for interp-sae tests.

Only numpy is needed: safetensors bytes are written by hand (8-byte little-endian header length, JSON header,
raw little-endian data). Weights are float32; the expected codes and outputs are computed in float64 from those
float32 weights with SAELens 6's transcoder formulas (sae_lens/saes/transcoder.py):
  z = x @ W_enc + b_enc                        (apply_b_dec_to_input is false for transcoders)
  transcoder: f = relu(z);  jumprelu_*: f = relu(z) * (z > threshold);  topk_* (our extension): f = relu(topk_k(z))
  y_hat = f @ W_dec + b_dec (+ x @ W_skip.T for the skip variants; W_skip is [d_out, d_in])
Layouts: W_enc [d_in, d_sae], W_dec [d_sae, d_out], b_enc [d_sae], b_dec [d_out], W_skip [d_out, d_in],
threshold [d_sae]; cfg.json with d_in, d_out, d_sae, metadata.hook_name and metadata.hook_name_out. The plain
"transcoder" fixture uses the flat config of SAELens' pretrained transcoder loaders (hook names at the top level).

Usage: python3 tools/make_transcoder_fixture.py   (writes interp-sae/src/test/resources/sae-fixtures/)
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interp-sae", "src", "test", "resources",
                   "sae-fixtures")
D_IN, D_OUT, D_SAE, K, ROWS = 6, 5, 16, 3, 5


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def encode(arch, x, w_enc, b_enc, threshold):
    z = x @ w_enc + b_enc
    if arch.startswith("jumprelu"):
        return np.maximum(z, 0) * (z > threshold)
    if arch.startswith("topk"):
        f = np.zeros_like(z)
        for r in range(z.shape[0]):
            top = np.argsort(-z[r], kind="stable")[:K]
            f[r, top] = np.maximum(z[r, top], 0)
        return f
    return np.maximum(z, 0)


def main():
    rng = np.random.default_rng(20261206)
    x = rng.normal(size=(ROWS, D_IN)).astype(np.float32).astype(np.float64)
    for arch in ("jumprelu_skip_transcoder", "topk_transcoder", "transcoder"):
        w_enc = rng.normal(scale=0.5, size=(D_IN, D_SAE)).astype(np.float32)
        w_dec = rng.normal(scale=0.5, size=(D_SAE, D_OUT)).astype(np.float32)
        b_enc = rng.normal(scale=0.1, size=(D_SAE,)).astype(np.float32)
        b_dec = rng.normal(scale=0.1, size=(D_OUT,)).astype(np.float32)
        w_skip = rng.normal(scale=0.3, size=(D_OUT, D_IN)).astype(np.float32)
        threshold = np.abs(rng.normal(scale=0.3, size=(D_SAE,))).astype(np.float32)
        skip = "skip" in arch
        d = os.path.join(OUT, "saelens-" + arch.replace("_", "-"))
        os.makedirs(d, exist_ok=True)
        tensors = {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec}
        if arch.startswith("jumprelu"):
            tensors["threshold"] = threshold
        if skip:
            tensors["W_skip"] = w_skip
        write_safetensors(os.path.join(d, "sae_weights.safetensors"), tensors)
        hooks = {"hook_name": "blocks.1.ln2.hook_normalized", "hook_name_out": "blocks.1.hook_mlp_out"}
        cfg = {"architecture": arch, "d_in": D_IN, "d_out": D_OUT, "d_sae": D_SAE, "dtype": "float32",
               "device": "cpu", "apply_b_dec_to_input": False, "normalize_activations": "none"}
        if arch == "transcoder":
            cfg.update({"model_name": "tiny-test-model", "hook_head_index": None, "hook_head_index_out": None,
                        "prepend_bos": True, "context_size": 128, "activation_fn": "relu"}, **hooks)
        else:
            cfg["metadata"] = {"model_name": "tiny-test-model", "hook_head_index": None, "context_size": 128,
                               "prepend_bos": True, **hooks}
        if arch.startswith("topk"):
            cfg["k"] = K
        with open(os.path.join(d, "cfg.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        f64 = [t.astype(np.float64) for t in (w_enc, b_enc, threshold, w_dec, b_dec, w_skip)]
        codes = encode(arch, x, f64[0], f64[1], f64[2])
        out = codes @ f64[3] + f64[4]
        if skip:
            out = out + x @ f64[5].T
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump({"inputs": x.tolist(), "codes": codes.tolist(), "reconstructions": out.tolist()}, f)


if __name__ == "__main__":
    main()
