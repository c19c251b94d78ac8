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

# rnn-small.mlir: h_t = tanh(x_t + h_{t-1} W), cost = sum(h_T), at f64 with
# B = 2, T = 3, D = 4; the gradients are written out by hand (no autodiff).
rng = np.random.default_rng(7)
B, T, D = 2, 3, 4
x = rng.standard_normal((T, B, D))
h0 = 0.5 * rng.standard_normal((B, D))
W = rng.standard_normal((D, D)) / np.sqrt(D)
hs = [h0]
for t in range(T):
    hs.append(np.tanh(x[t] + hs[-1] @ W))
dh = np.ones((B, D))
dW = np.zeros((D, D))
dx = np.zeros((T, B, D))
for t in reversed(range(T)):
    dpre = dh * (1.0 - hs[t + 1] ** 2)
    dW += hs[t].T @ dpre
    dx[t] = dpre
    dh = dpre @ W.T
save("rnn_x.npy", x)
save("rnn_h0.npy", h0)
save("rnn_W.npy", W)
save("rnn_cost.npy", np.array(hs[-1].sum()))
save("rnn_dx.npy", dx)
save("rnn_dh0.npy", dh)
save("rnn_dW.npy", dW)
