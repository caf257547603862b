#!/usr/bin/env python3
"""Writes the .npy fixtures of interp-nd4j's tests with numpy (the independent reference for ND4J's reader).

Element i (C order) of every array is value(dtype, i), the formula in Nd4jNpyTest's Values helper:
floats (i - 11) * 0.25, int32 i * 1000003 - 7, int64 i * 3000000019 - 5, int8 (i * 37 % 256) - 128,
uint8 i * 37 % 256, bool i % 3 == 0. File names: <dtype>_<shape>.npy with shape dims joined by 'x' ('scalar'
for rank 0), plus f32_3x4_fortran.npy (the same values, stored in Fortran order).
Run: python3 tools/make_npy_fixtures.py interp-nd4j/src/test/resources/npy
"""
import sys
from pathlib import Path

import numpy as np

DTYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64, "i32": np.int32, "i64": np.int64,
          "i8": np.int8, "u8": np.uint8, "bool": np.bool_}
SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (0,), (0, 3), (2, 0, 4)]


def value(name, i):
    i = np.int64(i)
    if name in ("f32", "f16", "f64"):
        return (i - 11) * 0.25
    if name == "i32":
        return i * 1000003 - 7
    if name == "i64":
        return i * 3000000019 - 5
    if name == "i8":
        return (i * 37 % 256) - 128
    if name == "u8":
        return i * 37 % 256
    return i % 3 == 0


def array(name, shape):
    n = int(np.prod(shape)) if shape else 1
    flat = np.array([value(name, i) for i in range(n)], dtype=np.float64)
    return flat.astype(DTYPES[name]).reshape(shape)


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in DTYPES:
        for shape in SHAPES:
            label = "x".join(str(d) for d in shape) if shape else "scalar"
            np.save(out / f"{name}_{label}.npy", array(name, shape))
    np.save(out / "f32_3x4_fortran.npy", np.asfortranarray(array("f32", (3, 4))))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "interp-nd4j/src/test/resources/npy")
