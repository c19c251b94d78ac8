"""The JAX front end's bench row: the study's GRU written in JAX, its
gradient with respect to U, V and W through scan_mlir.jax.grad, against
examples/gru.mlir through scan-run and jax.jit(jax.grad(...)), in one run, on
the same inputs; then the per-call overhead of the Python path and the
first-call time of a new shape. See bench/jax-frontend.sh.

Timing inputs use the study's scale, normal(0, 1e-4); the three gradients
are also compared on a normal-scale set (sequences std 1, states std 0.5,
weights std 1/sqrt(D)), where the backward signal does not underflow.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import jax  # noqa: E402

import scan_mlir  # noqa: E402
import scan_mlir.jax as sj  # noqa: E402
from scan_mlir.examples import gru_cost, rnn_cost  # noqa: E402

WRT = (4, 5, 6)  # U, V, W, as @gru_grad of examples/gru.mlir


def gru_inputs(B, T, D, seed, normal_scale):
    rng = np.random.default_rng(seed)
    shapes = [(T, B, D)] * 3 + [(B, D)] + [(D, D)] * 3
    if normal_scale:
        scales = [1.0] * 3 + [0.5] + [1.0 / np.sqrt(D)] * 3
    else:
        scales = [1e-4] * 7
    return tuple(rng.normal(0.0, s, shape).astype(np.float32) for s, shape in zip(scales, shapes))


def timed(function, repeat, warmup):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def relative_error(actual, expected):
    worst = 0.0
    for a, e in zip(actual, expected):
        a, e = np.asarray(a, np.float64), np.asarray(e, np.float64)
        worst = max(worst, float(np.max(np.abs(a - e)) / np.max(np.abs(e))))
    return worst


def run_scan_run(scan_run, args, repeat, warmup, workdir):
    paths = []
    for i, a in enumerate(args):
        path = os.path.join(workdir, f"in{i}.npy")
        np.save(path, a)
        paths.append(path)
    command = [scan_run, str(ROOT / "examples" / "gru.mlir"), "--entry=gru_grad", "--variant=optimized",
               "--json", f"--repeat={repeat}", f"--warmup={warmup}", f"--output-dir={workdir}"]
    command += [f"--input={p}" for p in paths]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"scan-run failed: {result.stderr.strip()[:400]}")
    report = json.loads(result.stdout)
    (variant,) = report["variants"]
    outputs = [np.load(os.path.join(workdir, f"gru_grad.{i}.npy")) for i in range(3)]
    return variant["time_s"]["all"], outputs


def per_call_overhead(calls):
    """ns per call of scan_mlir.jax.grad on a tiny RNN (T=2, B=1, D=2), against
    calling its compiled @grad entry directly with the same host arrays."""
    x, h0, W = (np.full(s, 0.1, np.float32) for s in ((2, 1, 2), (1, 2), (2, 2)))
    gradient = sj.grad(rnn_cost, argnums=2)
    gradient(x, h0, W)
    entry = scan_mlir.Program(sj.to_mlir(rnn_cost, x, h0, W, argnums=2)).entry("grad")

    def per_call(function):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter_ns()
            for _ in range(calls):
                function()
            best = min(best, (time.perf_counter_ns() - start) / calls)
        return best

    through_grad = per_call(lambda: gradient(x, h0, W))
    direct = per_call(lambda: entry(x, h0, W))
    return through_grad, direct


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="80,50,1000", help="B,T,D (scan-run needs 80,50,1000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calls", type=int, default=2000, help="calls per overhead measurement")
    parser.add_argument("--scan-run", default=None,
                        help="scan-run binary (default: $SCAN_MLIR_BUILD/bin/scan-run)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "jax-frontend.json"))
    options = parser.parse_args()
    B, T, D = (int(v) for v in options.shape.split(","))
    scan_run = options.scan_run or str(scan_mlir.library_path().parents[1] / "bin" / "scan-run")

    results = {"shape": {"B": B, "T": T, "D": D}, "dtype": "float32", "repeat": options.repeat,
               "warmup": options.warmup, "threads": os.environ.get("OMP_NUM_THREADS"),
               "machine": f"{platform.machine()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"}
    args = gru_inputs(B, T, D, options.seed, normal_scale=False)

    # First call of a new shape: trace + import + compile + JIT; then its
    # parts, measured again on their own.
    gradient = sj.grad(gru_cost, argnums=WRT)
    first_start = time.perf_counter()
    first = gradient(*args)
    first_end = time.perf_counter()
    start = time.perf_counter()
    text = sj.to_mlir(lambda *a: gru_cost(*a), *args, argnums=WRT)  # a new function: no trace cache
    imported = time.perf_counter()
    scan_mlir.Program(text, pipeline="optimized")
    compiled = time.perf_counter()
    results["first_call_s"] = first_end - first_start
    results["trace_and_import_s"] = imported - start
    results["compile_and_jit_s"] = compiled - imported

    results["scan_mlir_jax_s"] = timed(lambda: gradient(*args), options.repeat, options.warmup)

    jax_gradient = jax.jit(jax.grad(gru_cost, argnums=WRT))
    device_args = [jax.device_put(a) for a in args]
    jax_first = time.perf_counter()
    jax.block_until_ready(jax_gradient(*device_args))
    results["jax_first_call_s"] = time.perf_counter() - jax_first
    results["jax_s"] = timed(lambda: jax.block_until_ready(jax_gradient(*device_args)),
                             options.repeat, options.warmup)

    if (B, T, D) == (80, 50, 1000) and os.path.exists(scan_run):
        with tempfile.TemporaryDirectory() as workdir:
            results["scan_run_s"], scan_run_grads = run_scan_run(
                scan_run, args, options.repeat, options.warmup, workdir)
        results["scan_run_vs_scan_mlir_jax_rel_err"] = relative_error(first, scan_run_grads)
    else:
        results["scan_run_s"] = None

    checks = gru_inputs(B, T, D, options.seed + 1, normal_scale=True)
    results["rel_err_vs_jax_normal_scale"] = relative_error(
        gradient(*checks), jax_gradient(*[jax.device_put(a) for a in checks]))

    through_grad, direct = per_call_overhead(options.calls)
    results["tiny_call_ns"] = {"scan_mlir.jax.grad": through_grad, "Entry.__call__": direct,
                               "overhead": through_grad - direct}

    median = lambda xs: float(np.median(xs)) if xs else None  # noqa: E731
    ms = {k: median(results[k]) * 1e3 if results[k] else None
          for k in ("scan_mlir_jax_s", "scan_run_s", "jax_s")}
    results["median_ms"] = ms
    results["min_ms"] = {k: min(results[k]) * 1e3 if results[k] else None
                         for k in ("scan_mlir_jax_s", "scan_run_s", "jax_s")}
    # The first call's cost beyond an ordinary call: trace, import, compile, JIT.
    results["first_call_setup_s"] = results["first_call_s"] - ms["scan_mlir_jax_s"] / 1e3
    pathlib.Path(options.output).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(options.output).write_text(json.dumps(results, indent=2) + "\n")

    def show(key):
        if ms[key] is None:
            return "       -          -"
        return f"{ms[key]:8.1f}   {results['min_ms'][key]:8.1f}"
    print(f"GRU gradient wrt U, V, W, B={B} T={T} D={D} f32, {options.repeat} calls "
          f"({results['machine']})")
    print("                              median ms   min ms")
    print(f"  scan_mlir.jax.grad          {show('scan_mlir_jax_s')}")
    print(f"  scan-run examples/gru.mlir  {show('scan_run_s')}  (optimized)")
    print(f"  jax.jit(jax.grad)           {show('jax_s')}")
    print("  ratios of medians:")
    if ms["scan_run_s"]:
        print(f"  scan_mlir.jax / scan-run    {ms['scan_mlir_jax_s'] / ms['scan_run_s']:8.3f}")
    print(f"  jax / scan_mlir.jax         {ms['jax_s'] / ms['scan_mlir_jax_s']:8.3f}")
    print(f"first call of the shape: {results['first_call_s'] * 1e3:.0f} ms, "
          f"{results['first_call_setup_s'] * 1e3:.0f} ms more than a later call "
          f"(trace + import {results['trace_and_import_s'] * 1e3:.0f} ms, "
          f"compile + JIT {results['compile_and_jit_s'] * 1e3:.0f} ms); "
          f"jax.jit first call {results['jax_first_call_s'] * 1e3:.0f} ms")
    print(f"per call, tiny RNN: scan_mlir.jax.grad {through_grad:.0f} ns, the entry directly "
          f"{direct:.0f} ns, overhead {through_grad - direct:.0f} ns")
    print(f"gradients: max relative error against jax.grad {results['rel_err_vs_jax_normal_scale']:.1e} "
          "(normal scale)" + (f", against scan-run {results['scan_run_vs_scan_mlir_jax_rel_err']:.1e} "
                              "(timing inputs)" if ms["scan_run_s"] else ""))
    print(f"written: {options.output}")


if __name__ == "__main__":
    main()
