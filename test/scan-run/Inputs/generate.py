#!/usr/bin/env python3
"""Writes the .npy inputs of the scan-run tests (run from anywhere).

The tests themselves need neither Python nor NumPy; rerun this script only to
change the checked-in files."""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, a):
    np.save(os.path.join(here, name), a)


rng = np.random.default_rng(7)
x = rng.standard_normal((4, 3)).astype(np.float32)
w = rng.standard_normal((3, 5)).astype(np.float32)
save("x.npy", x)
save("w.npy", w)
# References for @f.
t = np.tanh(x.astype(np.float64) @ w.astype(np.float64))
save("f.0.npy", t.astype(np.float32))
save("f.1.npy", np.array(t.sum(), dtype=np.float32))
# A reference that is wrong in one element.
bad = t.astype(np.float32)
bad[2, 3] += 0.5
save("f.0.wrong.npy", bad)
# Error cases.
save("x_f64.npy", x.astype(np.float64))
save("x_fortran.npy", np.asfortranarray(x.T.copy().T))
save("x_bigendian.npy", x.astype(">f4"))
with open(os.path.join(here, "x_truncated.npy"), "wb") as f:
    f.write(open(os.path.join(here, "x.npy"), "rb").read()[:-7])
with open(os.path.join(here, "x_header.npy"), "wb") as f:
    f.write(open(os.path.join(here, "x.npy"), "rb").read()[:30])
with open(os.path.join(here, "not_npy.npy"), "wb") as f:
    f.write(b"this is not a NumPy file\n")
# Version 2.0 and 3.0 headers.
with open(os.path.join(here, "w_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, w, version=(2, 0))
with open(os.path.join(here, "w_v3.npy"), "wb") as f:
    np.lib.format.write_array(f, w, version=(3, 0))
# Inputs of @scalars: a rank-0 f64 and an i32 vector.
save("s.npy", np.array(1.25, dtype=np.float64))
save("v.npy", np.array([1, -2, 40], dtype=np.int32))
# References for @scalars.
save("scalars.0.npy", np.array(2.5, dtype=np.float64))
save("scalars.1.npy", np.array([2, -4, 80], dtype=np.int32))
# Non-finite values (refused unless --allow-non-finite).
nonfinite = x.copy()
nonfinite[0, 1] = np.nan
nonfinite[2, 2] = np.inf
save("x_nonfinite.npy", nonfinite)
# Headers claiming shapes far beyond memory, followed by x's 48 bytes.
for name, shape in [("x_huge_header.npy", (10**9, 10**9)),
                    ("x_overflow_header.npy", (10**11, 10**11))]:
    with open(os.path.join(here, name), "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": shape})
        f.write(x.tobytes())
# Zero-sized arrays are valid inputs.
save("empty_0x4.npy", np.zeros((0, 4), dtype=np.float32))
