#!/usr/bin/env python3
"""Writes tiny SAE checkpoints in the SAELens and sparsify layouts, with expected encodings, for interp-sae tests.

Only numpy is needed: safetensors bytes are written by hand (8-byte little-endian header length, JSON header,
raw little-endian data). Weights are float32; the expected codes and reconstructions are computed in float64 from
those float32 weights with the published formulas:
  z = (x - b_dec) @ W_enc + b_enc                      (apply_b_dec_to_input = true)
  standard: f = relu(z);  topk: f = relu(topk_k(z));  jumprelu: f = z * (z > threshold)
  x_hat = f @ W_dec + b_dec
sparsify: encoder.weight [n, d] = W_enc^T, encoder.bias = b_enc, same TopK.

Usage: python3 tools/make_saelens_fixture.py   (writes interp-sae/src/test/resources/sae-fixtures/)
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interp-sae", "src", "test", "resources",
                   "sae-fixtures")
D_IN, D_SAE, K, ROWS = 6, 16, 3, 5


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


def encode(arch, x, w_enc, b_enc, b_dec, threshold):
    z = (x - b_dec) @ w_enc + b_enc
    if arch == "standard":
        return np.maximum(z, 0)
    if arch == "jumprelu":
        return z * (z > threshold)
    f = np.zeros_like(z)
    for r in range(z.shape[0]):
        top = np.argsort(-z[r], kind="stable")[:K]
        f[r, top] = np.maximum(z[r, top], 0)
    return f


def main():
    rng = np.random.default_rng(20260101)
    x = rng.normal(size=(ROWS, D_IN)).astype(np.float32).astype(np.float64)
    for arch in ("standard", "topk", "jumprelu"):
        w_enc = rng.normal(scale=0.5, size=(D_IN, D_SAE)).astype(np.float32)
        w_dec = rng.normal(scale=0.5, size=(D_SAE, D_IN)).astype(np.float32)
        b_enc = rng.normal(scale=0.1, size=(D_SAE,)).astype(np.float32)
        b_dec = rng.normal(scale=0.1, size=(D_IN,)).astype(np.float32)
        threshold = np.abs(rng.normal(scale=0.3, size=(D_SAE,))).astype(np.float32)
        d = os.path.join(OUT, "saelens-" + arch)
        os.makedirs(d, exist_ok=True)
        tensors = {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec}
        if arch == "jumprelu":
            tensors["threshold"] = threshold
        write_safetensors(os.path.join(d, "sae_weights.safetensors"), tensors)
        cfg = {"architecture": arch, "d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu",
               "apply_b_dec_to_input": True, "normalize_activations": "none",
               "metadata": {"model_name": "tiny-test-model", "hook_name": "blocks.1.hook_resid_post",
                            "hook_head_index": None, "context_size": 128, "prepend_bos": True}}
        if arch == "topk":
            cfg["k"] = K
        with open(os.path.join(d, "cfg.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        f64 = [t.astype(np.float64) for t in (w_enc, b_enc, b_dec, threshold, w_dec)]
        codes = encode(arch, x, f64[0], f64[1], f64[2], f64[3])
        recon = codes @ f64[4] + f64[2]
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump({"inputs": x.tolist(), "codes": codes.tolist(), "reconstructions": recon.tolist()}, f)
        if arch == "topk":
            s = os.path.join(OUT, "sparsify-topk")
            os.makedirs(s, exist_ok=True)
            write_safetensors(os.path.join(s, "sae.safetensors"),
                              {"encoder.weight": np.ascontiguousarray(w_enc.T), "encoder.bias": b_enc,
                               "W_dec": w_dec, "b_dec": b_dec})
            with open(os.path.join(s, "cfg.json"), "w") as f:
                json.dump({"expansion_factor": 0, "normalize_decoder": True, "num_latents": D_SAE, "k": K,
                           "multi_topk": False, "skip_connection": False, "d_in": D_IN}, f, indent=2)
            with open(os.path.join(s, "expected.json"), "w") as f:
                json.dump({"inputs": x.tolist(), "codes": codes.tolist(), "reconstructions": recon.tolist()}, f)
    # a checkpoint whose W_enc disagrees with its cfg (d_sae 16 in cfg, 12 columns stored)
    bad = os.path.join(OUT, "saelens-bad-shape")
    os.makedirs(bad, exist_ok=True)
    write_safetensors(os.path.join(bad, "sae_weights.safetensors"),
                      {"W_enc": np.zeros((D_IN, 12), np.float32), "W_dec": np.zeros((D_SAE, D_IN), np.float32),
                       "b_enc": np.zeros(D_SAE, np.float32), "b_dec": np.zeros(D_IN, np.float32)})
    with open(os.path.join(bad, "cfg.json"), "w") as f:
        json.dump({"architecture": "standard", "d_in": D_IN, "d_sae": D_SAE, "dtype": "float32",
                   "apply_b_dec_to_input": True, "normalize_activations": "none", "metadata": {}}, f, indent=2)


if __name__ == "__main__":
    main()
