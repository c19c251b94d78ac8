#!/usr/bin/env python3
"""Writes the inputs and closed-form reference gradients of grad-rnn.mlir and
grad-gru.mlir (B=2, T=3, D=4, float64) into this directory.

The backward passes below are written by hand from the cell equations, with
no automatic differentiation, so they are an independent reference for what
scan-differentiate generates. Inputs are at a normal scale: sequences and the
initial state ~ N(0, 1) (h0 halved), weights ~ N(0, 1) / sqrt(D).

Run it only to regenerate the checked-in .npy files; the tests themselves do
not need Python:  python3 gen_grad_refs.py
"""
import os

import numpy as np

B, T, D = 2, 3, 4
HERE = os.path.dirname(os.path.abspath(__file__))


def save(prefix, **arrays):
    for name, value in arrays.items():
        np.save(os.path.join(HERE, f"{prefix}.{name}.npy"),
                np.ascontiguousarray(value, dtype=np.float64))


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def rnn(rng):
    x = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, D))
    W = rng.standard_normal((D, D)) / np.sqrt(D)
    # Forward: h_t = tanh(x_t + h_{t-1} W), cost = sum(h_T).
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(x[t] + hs[-1] @ W))
    # Backward.
    dh = np.ones((B, D))
    dW = np.zeros((D, D))
    dx = np.zeros((T, B, D))
    for t in reversed(range(T)):
        dpre = dh * (1.0 - hs[t + 1] ** 2)
        dW += hs[t].T @ dpre
        dx[t] = dpre
        dh = dpre @ W.T
    save("rnn", x=x, h0=h0, W=W, dx=dx, dh0=dh, dW=dW)


def gru(rng):
    x = rng.standard_normal((T, B, D))
    ri = rng.standard_normal((T, B, D))
    zi = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, D))
    U, V, W = (rng.standard_normal((D, D)) / np.sqrt(D) for _ in range(3))
    # Forward:
    #   r = sigmoid(ri_t + h U)        z = sigmoid(zi_t + h V)
    #   n = tanh(x_t + (r * h) W)      h_t = z * n + (1 - z) * h
    steps = []
    h = h0
    for t in range(T):
        r = sigmoid(ri[t] + h @ U)
        z = sigmoid(zi[t] + h @ V)
        n = np.tanh(x[t] + (r * h) @ W)
        steps.append((h, r, z, n))
        h = z * n + (1.0 - z) * h
    # Backward.
    dh = np.ones((B, D))
    dU, dV, dW = np.zeros((D, D)), np.zeros((D, D)), np.zeros((D, D))
    for t in reversed(range(T)):
        h, r, z, n = steps[t]
        dn = dh * z
        dz = dh * (n - h)
        dh_prev = dh * (1.0 - z)
        dna = dn * (1.0 - n ** 2)
        dW += (r * h).T @ dna
        drh = dna @ W.T
        dr = drh * h
        dh_prev += drh * r
        dza = dz * z * (1.0 - z)
        dV += h.T @ dza
        dh_prev += dza @ V.T
        dra = dr * r * (1.0 - r)
        dU += h.T @ dra
        dh_prev += dra @ U.T
        dh = dh_prev
    save("gru", x=x, ri=ri, zi=zi, h0=h0, U=U, V=V, W=W, dU=dU, dV=dV, dW=dW)


if __name__ == "__main__":
    rnn(np.random.default_rng(2014))
    gru(np.random.default_rng(2015))
