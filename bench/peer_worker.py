"""Runs one peer system on one workload in a process of its own.

    python peer_worker.py SYSTEM WORKLOAD WARMUP REPEAT INPUT_DIR OUT_DIR [INPUT_DIR OUT_DIR ...]
    python peer_worker.py gemm - WARMUP REPEAT OUT_DIR M,K,N [M,K,N ...]

Each INPUT_DIR holds study/<arg>.npy and normal/<arg>.npy (see workloads.py),
one shape per folder. The gradient is built once; for each shape it is
called WARMUP times untimed and REPEAT times timed on the study-scale inputs,
then once on the normal-scale inputs. OUT_DIR receives study.<i>.npy,
normal.<i>.npy (gradients in wrt order) and result.json (times in seconds,
build time, versions, thread pools, or "error").

A process per system keeps the frameworks' thread pools and BLAS libraries
apart; the thread settings come from the environment (bench/peers.sh).
"""

import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402

THREADS = int(os.environ.get("SCAN_BENCH_THREADS", "2"))


def load_inputs(input_dir, workload, scale):
    names, _ = wl.ARGS[workload]
    return [np.load(os.path.join(input_dir, scale, name + ".npy")) for name in names]


def threadpools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("internal_api", "version", "num_threads", "architecture",
            "threading_layer", "filepath")
    return [{k: p.get(k) for k in keep if k in p} for p in threadpool_info()]


# ---------------------------------------------------------------------------
# Systems: each returns (build(args) -> callable(args) -> list of np arrays,
# info dict). The callable returns framework arrays; `to_numpy` converts
# outside the timed region, and `sync` waits for asynchronous results.
# ---------------------------------------------------------------------------

def system_numpy_hand(workload):
    def build():
        return lambda args: wl.hand_grad(workload, args)
    return build, {"numpy": np.__version__,
                   "formulation": "hand-optimised backward (hoisted weight GEMMs, merged matmuls), float32"}


def system_jax(workload):
    import jax
    import jax.numpy as jnp
    from jax import lax
    jax.config.update("jax_platforms", "cpu")

    def cost_rnn(x, h0, W):
        def step(h, xt):
            return jnp.tanh(xt + h @ W), None
        hT, _ = lax.scan(step, h0, x)
        return hT.sum()

    def cost_gru(x, ri, zi, h0, U, V, W):
        def step(h, seq):
            xt, rit, zit = seq
            r = jax.nn.sigmoid(rit + h @ U)
            z = jax.nn.sigmoid(zit + h @ V)
            n = jnp.tanh(xt + (r * h) @ W)
            return z * n + (1 - z) * h, None
        hT, _ = lax.scan(step, h0, (x, ri, zi))
        return hT.sum()

    def cost_lstm(x, h0, c0, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug):
        def step(carry, xt):
            h, c = carry
            i = jax.nn.sigmoid(xt @ Wi + h @ Ui)
            f = jax.nn.sigmoid(xt @ Wf + h @ Uf)
            o = jax.nn.sigmoid(xt @ Wo + h @ Uo)
            g = jnp.tanh(xt @ Wg + h @ Ug)
            c = f * c + i * g
            return (o * jnp.tanh(c), c), None
        (hT, _), _ = lax.scan(step, (h0, c0), x)
        return hT.sum()

    cost = {"rnn": cost_rnn, "gru": cost_gru, "lstm": cost_lstm}[workload]
    _, wrt = wl.ARGS[workload]
    grad = jax.jit(jax.grad(cost, argnums=tuple(wrt)))

    def build():
        def run(args):
            out = grad(*args)
            for o in out:
                o.block_until_ready()
            return out
        return run

    def prepare(args):
        return [jax.device_put(a) for a in args]

    import jaxlib
    return build, {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                   "devices": [str(d) for d in jax.devices()],
                   "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
                   "prepare": prepare,
                   "formulation": "jax.jit(jax.grad(cost)) of a lax.scan"}


def system_pytensor(workload, mode=None):
    import pytensor
    import pytensor.tensor as pt

    f32 = "float32"
    mats = lambda names: [pt.matrix(n, dtype=f32) for n in names]  # noqa: E731

    def scan(fn, **kw):
        try:
            res = pytensor.scan(fn, return_updates=False, **kw)
        except TypeError:
            res = pytensor.scan(fn, **kw)
        # Older releases return (outputs, updates).
        if isinstance(res, tuple) and len(res) == 2 and isinstance(res[1], dict):
            res = res[0]
        return res

    if workload == "rnn":
        x = pt.tensor3("x", dtype=f32)
        h0, W = mats(["h0", "W"])
        hs = scan(lambda xt, h, W: pt.tanh(xt + pt.dot(h, W)),
                  sequences=[x], outputs_info=[h0], non_sequences=[W])
        inputs, params, costv = [x, h0, W], [W], hs[-1].sum()
    elif workload == "gru":
        x, ri, zi = (pt.tensor3(n, dtype=f32) for n in ("x", "ri", "zi"))
        h0, U, V, W = mats(["h0", "U", "V", "W"])

        def step(xt, rit, zit, h, U, V, W):
            r = pt.sigmoid(rit + pt.dot(h, U))
            z = pt.sigmoid(zit + pt.dot(h, V))
            n = pt.tanh(xt + pt.dot(r * h, W))
            return z * n + (1 - z) * h
        hs = scan(step, sequences=[x, ri, zi], outputs_info=[h0],
                  non_sequences=[U, V, W])
        inputs, params, costv = [x, ri, zi, h0, U, V, W], [U, V, W], hs[-1].sum()
    else:
        x = pt.tensor3("x", dtype=f32)
        h0, c0, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug = mats(
            ["h0", "c0", "Wi", "Wf", "Wo", "Wg", "Ui", "Uf", "Uo", "Ug"])

        def step(xt, h, c, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug):
            i = pt.sigmoid(pt.dot(xt, Wi) + pt.dot(h, Ui))
            f = pt.sigmoid(pt.dot(xt, Wf) + pt.dot(h, Uf))
            o = pt.sigmoid(pt.dot(xt, Wo) + pt.dot(h, Uo))
            g = pt.tanh(pt.dot(xt, Wg) + pt.dot(h, Ug))
            cn = f * c + i * g
            return o * pt.tanh(cn), cn
        params = [Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug]
        hs, _ = scan(step, sequences=[x], outputs_info=[h0, c0],
                     non_sequences=params)
        inputs, costv = [x, h0, c0] + params, hs[-1].sum()

    grads = pytensor.grad(costv, params)

    cfg = pytensor.config
    info = {"pytensor": pytensor.__version__,
            "mode": mode or str(cfg.mode), "linker": str(cfg.linker),
            "formulation": "pytensor.scan + pytensor.grad, pytensor.function "
                           + ("in mode %s (C code, BLAS %s)" % (mode, cfg.blas__ldflags)
                              if mode else "in the default mode")}

    def build():
        fn = pytensor.function(inputs, grads, mode=mode)
        info["linker_used"] = type(fn.maker.linker).__name__
        info["formulation"] += " (%s)" % info["linker_used"]
        return lambda args: fn(*args)
    return build, info


def system_torch(workload, nn_rnn=False):
    import torch
    torch.set_num_threads(THREADS)

    def build():
        _, wrt = wl.ARGS[workload]
        if nn_rnn:
            def run(args):
                x, h0, cell = args
                _, hT = cell(x, h0.unsqueeze(0))
                (g,) = torch.autograd.grad(hT.sum(), [cell.weight_hh_l0])
                return [g.T]
            return run

        def run(args):
            a = [t.detach().requires_grad_(i in wrt) for i, t in enumerate(args)]
            if workload == "rnn":
                x, h, W = a
                for t in range(x.shape[0]):
                    h = torch.tanh(x[t] + h @ W)
            elif workload == "gru":
                x, ri, zi, h, U, V, W = a
                for t in range(x.shape[0]):
                    r = torch.sigmoid(ri[t] + h @ U)
                    z = torch.sigmoid(zi[t] + h @ V)
                    n = torch.tanh(x[t] + (r * h) @ W)
                    h = z * n + (1 - z) * h
            else:
                x, h, c, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug = a
                for t in range(x.shape[0]):
                    i = torch.sigmoid(x[t] @ Wi + h @ Ui)
                    f = torch.sigmoid(x[t] @ Wf + h @ Uf)
                    o = torch.sigmoid(x[t] @ Wo + h @ Uo)
                    g = torch.tanh(x[t] @ Wg + h @ Ug)
                    c = f * c + i * g
                    h = o * torch.tanh(c)
            return list(torch.autograd.grad(h.sum(), [a[i] for i in wrt]))
        return run

    def prepare(args):
        t = [torch.from_numpy(np.ascontiguousarray(a)) for a in args]
        if not nn_rnn:
            return t
        # Built once per input set, outside the timed calls.
        x, h0, W = t
        D = W.shape[0]
        cell = torch.nn.RNN(D, D, nonlinearity="tanh", bias=False)
        with torch.no_grad():
            cell.weight_ih_l0.copy_(torch.eye(D))
            cell.weight_hh_l0.copy_(W.T)
        cell.weight_ih_l0.requires_grad_(False)
        return [x, h0, cell]

    form = ("torch.nn.RNN(D, D, tanh, bias=False) with weight_ih = I (frozen) and "
            "weight_hh = W^T; gradient = weight_hh.grad^T" if nn_rnn else
            "eager Python loop over t, torch.autograd.grad of sum(h_T)")
    return build, {"torch": torch.__version__, "num_threads": torch.get_num_threads(),
                   "prepare": prepare,
                   "to_numpy": lambda out: [o.detach().contiguous().numpy() for o in out],
                   "formulation": form}


SYSTEMS = {
    "numpy": system_numpy_hand,
    "jax": system_jax,
    "pytensor": system_pytensor,
    "pytensor-c": lambda w: system_pytensor(w, mode="CVM"),
    "torch": system_torch,
    "torch-nn.RNN": lambda w: system_torch(w, nn_rnn=True),
}


def run_system(system, workload, pairs, warmup, repeat):
    """Builds the gradient once, then times it on each (input_dir, out_dir)
    pair: shapes may differ between pairs (JAX retraces for a new shape in
    its warm-up call; PyTensor and PyTorch take any shape)."""
    make, info = SYSTEMS[system](workload)
    prepare = info.pop("prepare", lambda a: a)
    to_numpy = info.pop("to_numpy", lambda out: [np.asarray(o) for o in out])
    t0 = time.perf_counter()
    fn = make()
    build_s = time.perf_counter() - t0
    for input_dir, out_dir in pairs:
        os.makedirs(out_dir, exist_ok=True)
        try:
            res = dict(info)
            res.update(time_one(fn, prepare, to_numpy, workload, input_dir, out_dir,
                                warmup, repeat))
            res["build_s"] = build_s
            build_s = 0.0          # paid once, by the first shape
        except Exception as e:  # noqa: BLE001 - reported per shape, others go on
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        res["threadpools"] = threadpools()
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump(res, f, indent=1, default=str)


def time_one(fn, prepare, to_numpy, workload, input_dir, out_dir, warmup, repeat):
    study = prepare(load_inputs(input_dir, workload, "study"))
    normal = prepare(load_inputs(input_dir, workload, "normal"))
    # The first call includes JIT compilation where there is one.
    t0 = time.perf_counter()
    out = fn(study)
    first_s = time.perf_counter() - t0
    for _ in range(max(0, warmup - 1)):
        out = fn(study)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(study)
        times.append(time.perf_counter() - t0)
    for i, g in enumerate(to_numpy(out)):
        np.save(os.path.join(out_dir, "study.%d.npy" % i), np.asarray(g, np.float32))
    for i, g in enumerate(to_numpy(fn(normal))):
        np.save(os.path.join(out_dir, "normal.%d.npy" % i), np.asarray(g, np.float32))
    return {"first_call_s": first_s, "times_s": times}


def run_gemm(warmup, repeat, shapes):
    rng = np.random.default_rng(0)
    rates = []
    for s in shapes:
        M, K, N = (int(v) for v in s.split(","))
        a = rng.standard_normal((M, K), dtype=np.float32)
        b = rng.standard_normal((K, N), dtype=np.float32)
        c = np.empty((M, N), np.float32)
        for _ in range(max(1, warmup)):
            np.matmul(a, b, out=c)
        # Best of at least `repeat` calls and of 0.3 s of calls: small GEMMs
        # are otherwise at the mercy of one descheduling.
        best, spent, n = float("inf"), 0.0, 0
        while n < max(1, repeat) or (spent < 0.3 and n < 1000):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            dt = time.perf_counter() - t0
            best, spent, n = min(best, dt), spent + dt, n + 1
        rates.append({"M": M, "K": K, "N": N, "best_s": best,
                      "gflops": 2.0 * M * K * N / best / 1e9})
    return {"numpy": np.__version__, "sgemm": rates, "threadpools": threadpools()}


def main(argv):
    system, workload = argv[1:3]
    warmup, repeat = int(argv[3]), int(argv[4])
    if system == "gemm":
        out_dir = argv[5]
        os.makedirs(out_dir, exist_ok=True)
        info = run_gemm(warmup, repeat, argv[6:])
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump(info, f, indent=1, default=str)
    else:
        rest = argv[5:]
        run_system(system, workload, list(zip(rest[0::2], rest[1::2])), warmup, repeat)


if __name__ == "__main__":
    main(sys.argv)
