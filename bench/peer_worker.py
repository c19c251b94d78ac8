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


JAX_UNROLLS = (1, 2, 5, 10)


def system_jax(workload):
    import jax
    jax.config.update("jax_platforms", "cpu")

    # The cells as the JAX front end's tests and examples write them.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    from scan_mlir import examples

    def costs(unroll):
        cost = getattr(examples, workload + "_cost")
        return lambda *args: cost(*args, unroll=unroll)

    _, wrt = wl.ARGS[workload]

    def make(unroll):
        grad = jax.jit(jax.grad(costs(unroll), argnums=tuple(wrt)))

        def run(args):
            out = grad(*args)
            for o in out:
                o.block_until_ready()
            return out
        return run

    def prepare(args):
        return [jax.device_put(a) for a in args]

    import jaxlib
    return None, {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                  "devices": [str(d) for d in jax.devices()],
                  "backend": jax.default_backend(),
                  "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
                  "blas": "XLA's CPU runtime (matmuls in XLA's own code and Eigen, no "
                          "external BLAS); its thread pool is sized by the CPUs in the "
                          "affinity mask (%d)" % len(os.sched_getaffinity(0)),
                  "prepare": prepare,
                  # Timed on the first shape; the fastest runs every shape.
                  "variants": {"unroll=%d" % u: (lambda u=u: make(u)) for u in JAX_UNROLLS},
                  "formulation": "jax.jit(jax.grad(cost)) of a lax.scan; the fastest of "
                                 "unroll = %s on the first shape" % ", ".join(
                                     str(u) for u in JAX_UNROLLS)}


def system_pytensor(workload, mode=None):
    """PyTensor in `mode` (None: its default). The JAX backend needs static
    shapes (it cannot trace a scan gradient over a symbolic length), so in
    that mode the graph is built, with the shapes declared, for each shape."""
    import pytensor
    import pytensor.tensor as pt

    f32 = "float32"
    static = mode == "JAX"

    def scan(fn, **kw):
        try:
            res = pytensor.scan(fn, return_updates=False, **kw)
        except TypeError:
            res = pytensor.scan(fn, **kw)
        # Older releases return (outputs, updates).
        if isinstance(res, tuple) and len(res) == 2 and isinstance(res[1], dict):
            res = res[0]
        return res

    def graph(shapes):
        """(inputs, gradients) of the cell; `shapes` (T, B, D) or None."""
        names, _ = wl.ARGS[workload]
        var = {}
        for n in names:
            shape = wl.arg_shape(n, *shapes) if shapes else None
            rank = 3 if n in wl.SEQUENCES else 2
            var[n] = pt.tensor(n, dtype=f32, shape=shape or (None,) * rank)
        if workload == "rnn":
            x, h0, W = (var[n] for n in names)
            hs = scan(lambda xt, h, W: pt.tanh(xt + pt.dot(h, W)),
                      sequences=[x], outputs_info=[h0], non_sequences=[W])
            params, costv = [W], hs[-1].sum()
        elif workload == "gru":
            x, ri, zi, h0, U, V, W = (var[n] for n in names)

            def step(xt, rit, zit, h, U, V, W):
                r = pt.sigmoid(rit + pt.dot(h, U))
                z = pt.sigmoid(zit + pt.dot(h, V))
                n = pt.tanh(xt + pt.dot(r * h, W))
                return z * n + (1 - z) * h
            hs = scan(step, sequences=[x, ri, zi], outputs_info=[h0],
                      non_sequences=[U, V, W])
            params, costv = [U, V, W], hs[-1].sum()
        else:
            x, h0, c0, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug = (var[n] for n in names)

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
            costv = hs[-1].sum()
        return [var[n] for n in names], pytensor.grad(costv, params)

    cfg = pytensor.config
    blas = {None: "Numba: np.dot through SciPy's BLAS (threadpools below)",
            "CVM": "C code: BLAS %s" % cfg.blas__ldflags,
            "JAX": "the JAX backend: XLA's CPU runtime, no external BLAS"}[mode]
    info = {"pytensor": pytensor.__version__,
            "mode": mode or str(cfg.mode), "linker": str(cfg.linker), "blas": blas,
            "formulation": "pytensor.scan + pytensor.grad, pytensor.function "
                           + ("in mode %s (%s)" % (mode, blas) if mode else
                              "in the default mode")
                           + (", input shapes declared (built per shape)" if static else "")}

    def build(shapes=None):
        inputs, grads = graph(shapes)
        fn = pytensor.function(inputs, grads, mode=mode)
        info["linker_used"] = type(fn.maker.linker).__name__

        def run(args):
            out = fn(*args)
            # The JAX backend returns JAX arrays, computed asynchronously.
            for o in out:
                if hasattr(o, "block_until_ready"):
                    o.block_until_ready()
            return out
        return run
    if static:
        info["build_per_shape"] = True
    return build, info


def torch_loop_cost(workload, a):
    """sum(h_T) of the cell as a Python loop over t (PyTorch tensors)."""
    import torch
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
    return h.sum()


# torch.nn.LSTM's gate blocks, in the order of its weight rows.
TORCH_LSTM_GATES = ("i", "f", "g", "o")
# The example's order of the weights: Wi Wf Wo Wg, then Ui Uf Uo Ug.
EXAMPLE_LSTM_GATES = ("i", "f", "o", "g")


def torch_blas():
    """PyTorch's BLAS and threads, as its build configuration states them."""
    import torch
    libs = [line.strip(" -") for line in torch.__config__.show().splitlines()
            if "Math Kernel Library" in line or "MKL-DNN" in line]
    return "%s; BLAS_INFO=%s; ATen parallel backend %s, %d intra-op threads" % (
        ", ".join(libs) or "no MKL/oneDNN in the build",
        "mkl" if "BLAS_INFO=mkl" in torch.__config__.show() else "see torch.__config__",
        "OpenMP" if torch.backends.openmp.is_available() else "native",
        torch.get_num_threads())


def system_torch(workload, variant="eager"):
    """variant: "eager" (Python loop + autograd), "compile" (torch.compile of
    that loop's forward; backward by AOTAutograd), "nn.RNN" or "nn.LSTM"."""
    import torch
    torch.set_num_threads(THREADS)
    _, wrt = wl.ARGS[workload]

    def build():
        if variant == "nn.RNN":
            def run(args):
                x, h0, cell = args
                _, hT = cell(x, h0.unsqueeze(0))
                (g,) = torch.autograd.grad(hT.sum(), [cell.weight_hh_l0])
                return [g.T]
            return run
        if variant == "nn.LSTM":
            def run(args):
                x, h0, c0, cell = args
                _, (hT, _) = cell(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
                g_ih, g_hh = torch.autograd.grad(hT.sum(), [cell.weight_ih_l0,
                                                            cell.weight_hh_l0])
                # Rows of gate k of weight_*: that gate's block, transposed.
                D = h0.shape[1]
                block = {k: slice(j * D, (j + 1) * D) for j, k in enumerate(TORCH_LSTM_GATES)}
                return ([g_ih[block[k]].T for k in EXAMPLE_LSTM_GATES]
                        + [g_hh[block[k]].T for k in EXAMPLE_LSTM_GATES])
            return run
        cost = (torch.compile(lambda *a: torch_loop_cost(workload, a), dynamic=False)
                if variant == "compile" else lambda *a: torch_loop_cost(workload, a))

        def run(args):
            a = [t.detach().requires_grad_(i in wrt) for i, t in enumerate(args)]
            return list(torch.autograd.grad(cost(*a), [a[i] for i in wrt]))
        return run

    def prepare(args):
        t = [torch.from_numpy(np.ascontiguousarray(a)) for a in args]
        # The modules are built once per input set, outside the timed calls.
        if variant == "nn.RNN":
            x, h0, W = t
            D = W.shape[0]
            cell = torch.nn.RNN(D, D, nonlinearity="tanh", bias=False)
            with torch.no_grad():
                cell.weight_ih_l0.copy_(torch.eye(D))
                cell.weight_hh_l0.copy_(W.T)
            cell.weight_ih_l0.requires_grad_(False)
            return [x, h0, cell]
        if variant == "nn.LSTM":
            x, h0, c0 = t[:3]
            D = h0.shape[1]
            W = dict(zip(EXAMPLE_LSTM_GATES, t[3:7]))
            U = dict(zip(EXAMPLE_LSTM_GATES, t[7:11]))
            cell = torch.nn.LSTM(D, D, bias=False)
            with torch.no_grad():
                cell.weight_ih_l0.copy_(torch.cat([W[k].T for k in TORCH_LSTM_GATES]))
                cell.weight_hh_l0.copy_(torch.cat([U[k].T for k in TORCH_LSTM_GATES]))
            return [x, h0, c0, cell]
        return t

    form = {
        "eager": "eager Python loop over t, torch.autograd.grad of sum(h_T)",
        "compile": "torch.compile(dynamic=False) of the eager loop's forward (TorchDynamo "
                   "unrolls it, Inductor compiles forward and backward), "
                   "torch.autograd.grad of sum(h_T); compiled once per shape",
        "nn.RNN": "torch.nn.RNN(D, D, tanh, bias=False) with weight_ih = I (frozen) and "
                  "weight_hh = W^T; gradient = weight_hh.grad^T",
        "nn.LSTM": "torch.nn.LSTM(D, D, bias=False): weight_ih = [Wi Wf Wg Wo]^T and "
                   "weight_hh = [Ui Uf Ug Uo]^T (PyTorch's gate order i, f, g, o); the "
                   "gradient of each W/U is its gate's block of weight_ih.grad / "
                   "weight_hh.grad, transposed",
    }[variant]
    return build, {"torch": torch.__version__, "num_threads": torch.get_num_threads(),
                   "blas": torch_blas(),
                   "prepare": prepare,
                   "to_numpy": lambda out: [o.detach().contiguous().numpy() for o in out],
                   "formulation": form}


SYSTEMS = {
    "numpy": system_numpy_hand,
    "jax": system_jax,
    "pytensor": system_pytensor,
    "pytensor-c": lambda w: system_pytensor(w, mode="CVM"),
    "pytensor-jax": lambda w: system_pytensor(w, mode="JAX"),
    "torch": system_torch,
    "torch-compile": lambda w: system_torch(w, "compile"),
    "torch-nn.RNN": lambda w: system_torch(w, "nn.RNN"),
    "torch-nn.LSTM": lambda w: system_torch(w, "nn.LSTM"),
}


def input_shape(input_dir):
    """(T, B, D) of the inputs in `input_dir`."""
    return np.load(os.path.join(input_dir, "study", "x.npy"), mmap_mode="r").shape


def choose_variant(variants, prepare, to_numpy, workload, input_dir, out_dir, warmup, repeat):
    """Builds and times every variant on one shape; returns the fastest's
    name, function, build time, timing result, and every variant's times."""
    tried, best = {}, None
    for name, make in variants.items():
        d = os.path.join(out_dir, "variant-" + name)
        os.makedirs(d, exist_ok=True)
        try:
            t0 = time.perf_counter()
            fn = make()
            build_s = time.perf_counter() - t0
            res = time_one(fn, prepare, to_numpy, workload, input_dir, d, warmup, repeat)
        except Exception as e:  # noqa: BLE001 - a variant that fails is left out
            tried[name] = {"error": "%s: %s" % (type(e).__name__, e)}
            continue
        med = float(np.median(res["times_s"]))
        tried[name] = {"median_s": med, "min_s": min(res["times_s"]),
                       "first_call_s": res["first_call_s"], "build_s": build_s}
        if best is None or med < best[0]:
            best = (med, name, fn, build_s, res)
    if best is None:
        raise RuntimeError("every variant failed: %s" % json.dumps(tried))
    _, name, fn, build_s, res = best
    src = os.path.join(out_dir, "variant-" + name)
    for f in os.listdir(src):
        os.replace(os.path.join(src, f), os.path.join(out_dir, f))
    return name, fn, build_s, res, tried


def run_system(system, workload, pairs, warmup, repeat):
    """Builds the gradient once, then times it on each (input_dir, out_dir)
    pair: shapes may differ between pairs (JAX retraces for a new shape in
    its warm-up call; PyTensor and PyTorch take any shape). A system with
    variants (JAX's unroll) times each on the first shape and runs the
    fastest, or the one SCAN_BENCH_VARIANT names (the harness's later rounds);
    one built per shape (PyTensor's JAX backend) builds for each."""
    make, info = SYSTEMS[system](workload)
    prepare = info.pop("prepare", lambda a: a)
    to_numpy = info.pop("to_numpy", lambda out: [np.asarray(o) for o in out])
    variants = info.pop("variants", None)
    chosen = os.environ.get("SCAN_BENCH_VARIANT")
    if variants and chosen:
        if chosen not in variants:
            raise SystemExit("SCAN_BENCH_VARIANT=%s: %s has variants %s" % (
                chosen, system, ", ".join(variants)))
        make = variants[chosen]
        info.update({"variant": chosen, "formulation": "%s: %s (chosen in an earlier round)"
                     % (info["formulation"], chosen)})
    per_shape = info.pop("build_per_shape", False)
    fn, build_s = None, 0.0
    if make is not None and not per_shape:
        t0 = time.perf_counter()
        fn = make()
        build_s = time.perf_counter() - t0
    for input_dir, out_dir in pairs:
        os.makedirs(out_dir, exist_ok=True)
        try:
            res = dict(info)
            if per_shape:
                t0 = time.perf_counter()
                fn = make(input_shape(input_dir))
                build_s = time.perf_counter() - t0
            if fn is None:
                name, fn, build_s, timed, tried = choose_variant(
                    variants, prepare, to_numpy, workload, input_dir, out_dir, warmup, repeat)
                at = "T=%d B=%d D=%d" % input_shape(input_dir)
                info.update({"variant": name, "variants_timed": tried, "variant_chosen_at": at,
                             "formulation": "%s: %s (chosen at %s)" % (
                                 info["formulation"], name, at)})
                res = dict(info)
                res.update(timed)
            else:
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
