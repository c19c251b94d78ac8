#!/usr/bin/env python3
"""Writes the inputs and NumPy references of the CPU integration tests.

The tests need neither Python nor NumPy; rerun this script only to change the
checked-in .npy files."""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, a):
    np.save(os.path.join(here, name), a)


# tanh-layer.mlir: cost = sum(tanh(x W)) and its gradients, at f64.
rng = np.random.default_rng(2024)
x = rng.standard_normal((3, 4))
W = rng.standard_normal((4, 2))
t = np.tanh(x @ W)
da = 1.0 - t * t
save("tanh_x.npy", x)
save("tanh_W.npy", W)
save("tanh_cost.npy", np.array(t.sum()))
save("tanh_dx.npy", da @ W.T)
save("tanh_dW.npy", x.T @ da)
