"""The three benchmark cells, their inputs, and two NumPy gradients of each.

Every cell's cost is sum(h_T). Argument order and gradient (wrt) order match
@rnn_cost, @gru_cost and @lstm_cost in examples/*.mlir, so the .npy inputs
written here are passed to every system unchanged.

  rnn:  pre_h = x_t + h W;  h_t = tanh(pre_h)                     wrt W
  gru:  r = sigm(ri_t + h U)  z = sigm(zi_t + h V)
        n = tanh(x_t + (r*h) W)  h_t = z*n + (1-z)*h               wrt U, V, W
  lstm: i,f,o = sigm(x_t Wk + h Uk)  g = tanh(x_t Wg + h Ug)
        c_t = f*c + i*g  h_t = o*tanh(c_t)               wrt Wi Wf Wo Wg Ui Uf Uo Ug

`reference_grad` is a plain reverse-mode backward pass (per-step weight
gradient accumulation), run in float64: the ground truth. `hand_grad` is the
study's hand-optimised backward pass in float32: the forward loop stores what
the backward loop needs, the backward loop computes only the per-step error
signals and dh, and every weight gradient is ONE GEMM over T*B after the loop;
matmuls sharing an operand are merged (h [U V], [e_r e_z] [U V]^T, the LSTM's
four gates).
"""

import numpy as np

WORKLOADS = ("rnn", "gru", "lstm")

# (argument names in @<cell>_cost order, indices of the wrt arguments)
ARGS = {
    "rnn": (["x", "h0", "W"], [2]),
    "gru": (["x", "ri", "zi", "h0", "U", "V", "W"], [4, 5, 6]),
    "lstm": (["x", "h0", "c0", "Wi", "Wf", "Wo", "Wg", "Ui", "Uf", "Uo", "Ug"],
             list(range(3, 11))),
}

SEQUENCES = {"x", "ri", "zi"}
STATES = {"h0", "c0"}


def arg_shape(name, T, B, D):
    if name in SEQUENCES:
        return (T, B, D)
    if name in STATES:
        return (B, D)
    return (D, D)


def wrt_names(workload):
    names, wrt = ARGS[workload]
    return [names[i] for i in wrt]


def gemm_units(workload):
    """Number of 2*B*D*D-flop GEMM units per time step of the gradient.

    rnn: forward h W, backward e W^T, dW: 3.  gru: forward hU hV (rh)W,
    backward three dh products and dU dV dW: 9.  lstm: forward 4 input and 4
    recurrent products, backward 4 dh products, 4 dW and 4 dU (no dx: x is not
    differentiated): 20.
    """
    return {"rnn": 3, "gru": 9, "lstm": 20}[workload]


def gradient_gflop(workload, T, B, D):
    """Matmul GFLOP of one gradient evaluation (forward + backward)."""
    return gemm_units(workload) * 2.0 * T * B * D * D / 1e9


def make_inputs(workload, T, B, D, scale, seed):
    """Inputs in argument order, float32.

    scale == "study": every argument ~ normal(0, 1e-4), as in the study.
    scale == "normal": sequences ~ normal(0, 1), states ~ normal(0, 0.5),
    weights ~ normal(0, 1/sqrt(D)); gradients then stay well away from
    underflow, so agreement between systems means something.
    """
    names, _ = ARGS[workload]
    rng = np.random.default_rng(seed)
    out = []
    for name in names:
        shape = arg_shape(name, T, B, D)
        if scale == "study":
            std = 1e-4
        elif name in SEQUENCES:
            std = 1.0
        elif name in STATES:
            std = 0.5
        else:
            std = 1.0 / np.sqrt(D)
        out.append(rng.normal(0.0, std, size=shape).astype(np.float32))
    return out


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------------------
# Reference: straightforward reverse mode, float64.
# ---------------------------------------------------------------------------

def cost(workload, args, dtype=np.float64):
    """The forward cost sum(h_T) (used by the finite-difference self-check)."""
    a = [np.asarray(v, dtype=dtype) for v in args]
    if workload == "rnn":
        x, h, W = a
        for t in range(x.shape[0]):
            h = np.tanh(x[t] + h @ W)
        return h.sum()
    if workload == "gru":
        x, ri, zi, h, U, V, W = a
        for t in range(x.shape[0]):
            r = _sigmoid(ri[t] + h @ U)
            z = _sigmoid(zi[t] + h @ V)
            n = np.tanh(x[t] + (r * h) @ W)
            h = z * n + (1 - z) * h
        return h.sum()
    x, h, c, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug = a
    for t in range(x.shape[0]):
        i = _sigmoid(x[t] @ Wi + h @ Ui)
        f = _sigmoid(x[t] @ Wf + h @ Uf)
        o = _sigmoid(x[t] @ Wo + h @ Uo)
        g = np.tanh(x[t] @ Wg + h @ Ug)
        c = f * c + i * g
        h = o * np.tanh(c)
    return h.sum()


def reference_grad(workload, args, dtype=np.float64):
    a = [np.asarray(v, dtype=dtype) for v in args]
    if workload == "rnn":
        x, h0, W = a
        T = x.shape[0]
        hs = [h0]
        for t in range(T):
            hs.append(np.tanh(x[t] + hs[-1] @ W))
        dW = np.zeros_like(W)
        dh = np.ones_like(h0)
        for t in reversed(range(T)):
            e = dh * (1 - hs[t + 1] ** 2)
            dW += hs[t].T @ e
            dh = e @ W.T
        return [dW]
    if workload == "gru":
        x, ri, zi, h0, U, V, W = a
        T = x.shape[0]
        hs, st = [h0], []
        for t in range(T):
            h = hs[-1]
            r = _sigmoid(ri[t] + h @ U)
            z = _sigmoid(zi[t] + h @ V)
            n = np.tanh(x[t] + (r * h) @ W)
            st.append((r, z, n))
            hs.append(z * n + (1 - z) * h)
        dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
        gh = np.ones_like(h0)
        for t in reversed(range(T)):
            h = hs[t]
            r, z, n = st[t]
            dz = gh * (n - h)
            en = gh * z * (1 - n ** 2)
            dh = gh * (1 - z)
            dW += (r * h).T @ en
            drh = en @ W.T
            er = drh * h * r * (1 - r)
            dh += drh * r
            ez = dz * z * (1 - z)
            dU += h.T @ er
            dV += h.T @ ez
            dh += er @ U.T + ez @ V.T
            gh = dh
        return [dU, dV, dW]
    x, h0, c0 = a[0], a[1], a[2]
    Ws, Us = a[3:7], a[7:11]
    T = x.shape[0]
    hs, cs, st = [h0], [c0], []
    for t in range(T):
        h, c = hs[-1], cs[-1]
        pre = [x[t] @ Wk + h @ Uk for Wk, Uk in zip(Ws, Us)]
        i, f, o = _sigmoid(pre[0]), _sigmoid(pre[1]), _sigmoid(pre[2])
        g = np.tanh(pre[3])
        cn = f * c + i * g
        tc = np.tanh(cn)
        st.append((i, f, o, g, tc))
        cs.append(cn)
        hs.append(o * tc)
    dWs = [np.zeros_like(w) for w in Ws]
    dUs = [np.zeros_like(u) for u in Us]
    gh, gc = np.ones_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, o, g, tc = st[t]
        do = gh * tc
        dc = gc + gh * o * (1 - tc ** 2)
        es = [dc * g * i * (1 - i), dc * cs[t] * f * (1 - f),
              do * o * (1 - o), dc * i * (1 - g ** 2)]
        gc = dc * f
        gh = np.zeros_like(gh)
        for k in range(4):
            dWs[k] += x[t].T @ es[k]
            dUs[k] += hs[t].T @ es[k]
            gh += es[k] @ Us[k].T
    return dWs + dUs


# ---------------------------------------------------------------------------
# The study's hand-optimised backward pass, float32.
# ---------------------------------------------------------------------------

def hand_grad(workload, args):
    a = [np.asarray(v, dtype=np.float32) for v in args]
    if workload == "rnn":
        x, h0, W = a
        T, B, D = x.shape
        H = np.empty((T + 1, B, D), np.float32)
        H[0] = h0
        for t in range(T):
            np.tanh(x[t] + H[t] @ W, out=H[t + 1])
        E = np.empty((T, B, D), np.float32)
        WT = np.ascontiguousarray(W.T)
        dh = np.ones((B, D), np.float32)
        for t in reversed(range(T)):
            np.multiply(dh, 1 - H[t + 1] * H[t + 1], out=E[t])
            if t:
                dh = E[t] @ WT
        # One GEMM with inner dimension T*B replaces T accumulated ones.
        dW = H[:T].reshape(T * B, D).T @ E.reshape(T * B, D)
        return [dW]
    if workload == "gru":
        x, ri, zi, h0, U, V, W = a
        T, B, D = x.shape
        UV = np.concatenate([U, V], axis=1)          # merged h [U V]
        UVT = np.ascontiguousarray(UV.T)
        WT = np.ascontiguousarray(W.T)
        H = np.empty((T + 1, B, D), np.float32)
        RZ = np.empty((T, B, 2 * D), np.float32)
        RH = np.empty((T, B, D), np.float32)
        N = np.empty((T, B, D), np.float32)
        H[0] = h0
        for t in range(T):
            h = H[t]
            a_rz = h @ UV
            a_rz[:, :D] += ri[t]
            a_rz[:, D:] += zi[t]
            rz = RZ[t]
            np.divide(1, 1 + np.exp(-a_rz), out=rz)
            np.multiply(rz[:, :D], h, out=RH[t])     # kept: no recomputation
            np.tanh(x[t] + RH[t] @ W, out=N[t])
            z = rz[:, D:]
            H[t + 1] = z * N[t] + (1 - z) * h
        ERZ = np.empty((T, B, 2 * D), np.float32)
        EN = np.empty((T, B, D), np.float32)
        gh = np.ones((B, D), np.float32)
        for t in reversed(range(T)):
            h = H[t]
            r, z = RZ[t][:, :D], RZ[t][:, D:]
            n = N[t]
            np.multiply(gh * z, 1 - n * n, out=EN[t])
            drh = EN[t] @ WT
            np.multiply(drh * h, r * (1 - r), out=ERZ[t][:, :D])
            np.multiply(gh * (n - h), z * (1 - z), out=ERZ[t][:, D:])
            if t:
                # merged e_r U^T + e_z V^T: one GEMM over 2D
                gh = gh * (1 - z) + drh * r + ERZ[t] @ UVT
        dUV = H[:T].reshape(T * B, D).T @ ERZ.reshape(T * B, 2 * D)
        dW = RH.reshape(T * B, D).T @ EN.reshape(T * B, D)
        return [np.ascontiguousarray(dUV[:, :D]),
                np.ascontiguousarray(dUV[:, D:]), dW]
    x, h0, c0 = a[0], a[1], a[2]
    T, B, D = x.shape
    Wcat = np.concatenate(a[3:7], axis=1)            # D x 4D
    Ucat = np.concatenate(a[7:11], axis=1)
    UcatT = np.ascontiguousarray(Ucat.T)
    X = x.reshape(T * B, D)
    # Input projections of every step: one GEMM before the loop.
    P = (X @ Wcat).reshape(T, B, 4 * D)
    H = np.empty((T + 1, B, D), np.float32)
    C = np.empty((T + 1, B, D), np.float32)
    G = np.empty((T, B, 4 * D), np.float32)          # gate activations
    TC = np.empty((T, B, D), np.float32)
    H[0], C[0] = h0, c0
    for t in range(T):
        pre = P[t] + H[t] @ Ucat
        g4 = G[t]
        np.divide(1, 1 + np.exp(-pre[:, :3 * D]), out=g4[:, :3 * D])
        np.tanh(pre[:, 3 * D:], out=g4[:, 3 * D:])
        i, f, o, g = (g4[:, k * D:(k + 1) * D] for k in range(4))
        C[t + 1] = f * C[t] + i * g
        np.tanh(C[t + 1], out=TC[t])
        H[t + 1] = o * TC[t]
    E = np.empty((T, B, 4 * D), np.float32)
    gh = np.ones((B, D), np.float32)
    gc = np.zeros((B, D), np.float32)
    for t in reversed(range(T)):
        g4 = G[t]
        i, f, o, g = (g4[:, k * D:(k + 1) * D] for k in range(4))
        tc = TC[t]
        dc = gc + gh * o * (1 - tc * tc)
        e = E[t]
        np.multiply(dc * g, i * (1 - i), out=e[:, :D])
        np.multiply(dc * C[t], f * (1 - f), out=e[:, D:2 * D])
        np.multiply(gh * tc, o * (1 - o), out=e[:, 2 * D:3 * D])
        np.multiply(dc * i, 1 - g * g, out=e[:, 3 * D:])
        gc = dc * f
        if t:
            gh = e @ UcatT                           # merged: one GEMM over 4D
    Ef = E.reshape(T * B, 4 * D)
    dWcat = X.T @ Ef
    dUcat = H[:T].reshape(T * B, D).T @ Ef
    return ([np.ascontiguousarray(dWcat[:, k * D:(k + 1) * D]) for k in range(4)]
            + [np.ascontiguousarray(dUcat[:, k * D:(k + 1) * D]) for k in range(4)])


def rel_error(g, ref):
    """max|g - ref| / max|ref| (1e-30 floor), computed in float64."""
    g = np.asarray(g, np.float64)
    ref = np.asarray(ref, np.float64)
    if g.shape != ref.shape:
        return float("inf")
    if not np.all(np.isfinite(g)):
        return float("inf")
    return float(np.max(np.abs(g - ref)) / max(np.max(np.abs(ref)), 1e-30))


def finite_difference_check(workload, T=3, B=2, D=3, seed=7, step=1e-6):
    """Largest relative error of reference_grad against central differences
    of `cost` (float64, every element of every wrt argument)."""
    args = [v.astype(np.float64) for v in make_inputs(workload, T, B, D, "normal", seed)]
    grads = reference_grad(workload, args)
    _, wrt = ARGS[workload]
    worst = 0.0
    for gi, ai in enumerate(wrt):
        fd = np.zeros_like(args[ai])
        for idx in np.ndindex(*args[ai].shape):
            old = args[ai][idx]
            args[ai][idx] = old + step
            cp = cost(workload, args)
            args[ai][idx] = old - step
            cm = cost(workload, args)
            args[ai][idx] = old
            fd[idx] = (cp - cm) / (2 * step)
        worst = max(worst, rel_error(grads[gi], fd))
    return worst
