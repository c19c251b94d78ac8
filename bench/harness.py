"""Side-by-side gradient benchmark: scan-mlir against JAX, PyTensor, PyTorch
and a hand-optimised NumPy backward pass, on the same inputs, same threads,
same machine, in one run. Started by bench/peers.sh, which sets the thread
environment; see bench/README.md.

Every system's gradients are compared with a reference (scan-mlir's plain
gradient when scan-mlir is available, else the float64 NumPy reference), at
the study's input scale (normal(0, 1e-4), timed) and at a normal scale
(weights ~ 1/sqrt(D), not timed). A disagreement beyond --rtol, or a system
that fails, makes the run exit with status 1.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import workloads as wl  # noqa: E402
from peer_worker import JAX_UNROLLS  # noqa: E402

HEADLINE = (80, 50, 1000)          # B, T, D of the study and examples/*.mlir
SCALES = ("study", "normal")

# Display order and labels. "scan-plain"/"scan-opt" run through scan-run.
SYSTEM_LABELS = {
    "scan-plain": "scan-mlir (scan-differentiate)",
    "scan-opt": "scan-mlir (+ scan-optimize)",
    "jax": "JAX jit(grad(lax.scan)), best unroll",
    "pytensor": "PyTensor scan + grad (Numba)",
    "pytensor-c": "PyTensor, C backend (CVM)",
    "pytensor-jax": "PyTensor, JAX backend",
    "torch": "PyTorch eager loop",
    "torch-compile": "PyTorch torch.compile of the loop",
    "torch-nn.RNN": "PyTorch torch.nn.RNN",
    "torch-nn.LSTM": "PyTorch torch.nn.LSTM",
    "numpy": "NumPy hand-optimised",
}
PY_SYSTEMS = ("jax", "pytensor", "pytensor-c", "pytensor-jax", "torch", "torch-compile",
              "torch-nn.RNN", "torch-nn.LSTM", "numpy")
# Systems whose GEMMs run in the system OpenBLAS (PyTensor's C code links
# -lopenblas): they keep the machine's OPENBLAS_CORETYPE, as scan-run does.
SYSTEM_OPENBLAS = {"pytensor-c"}
SYSTEM_MODULES = {"jax": "jax", "pytensor": "pytensor", "pytensor-c": "pytensor",
                  "pytensor-jax": "pytensor", "torch": "torch", "torch-compile": "torch",
                  "torch-nn.RNN": "torch", "torch-nn.LSTM": "torch", "numpy": "numpy"}
# Systems that compute one cell only: torch.nn.RNN is the simple RNN and
# torch.nn.LSTM the LSTM exactly. torch.nn.GRU is not the example's GRU
# (bench/README.md says why), so it has no row.
SYSTEM_WORKLOADS = {"torch-nn.RNN": {"rnn"}, "torch-nn.LSTM": {"lstm"}}
# The PyTensor modes, of which the report names the fastest per configuration.
PYTENSOR_MODES = {"pytensor": "Numba (default)", "pytensor-c": "C (CVM)",
                  "pytensor-jax": "JAX"}


def runs_on(system, workload, groups, headline_only):
    """Whether `system` has a row for this configuration."""
    if workload not in SYSTEM_WORKLOADS.get(system, {workload}):
        return False
    return "headline" in groups or system not in headline_only


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# Machine description
# ---------------------------------------------------------------------------

# With --realtime, peers.sh runs this harness one SCHED_FIFO priority above
# the processes it starts, which it gives SCAN_BENCH_CHILD_PRIORITY: its
# timeouts then preempt a timed process that never returns.
CHILD_PRIORITY = os.environ.get("SCAN_BENCH_CHILD_PRIORITY")


def child_scheduling():
    if CHILD_PRIORITY:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(int(CHILD_PRIORITY)))


def run_child(cmd, **kwargs):
    """subprocess.run for every process the harness starts."""
    return subprocess.run(cmd, preexec_fn=child_scheduling, **kwargs)


def rt_throttling():
    """How long the kernel stops SCHED_FIFO tasks in each period, as text
    (None where /proc does not say)."""
    try:
        with open("/proc/sys/kernel/sched_rt_runtime_us") as f:
            runtime = int(f.read())
        with open("/proc/sys/kernel/sched_rt_period_us") as f:
            period = int(f.read())
    except (OSError, ValueError):
        return None
    if runtime < 0:
        return "off"
    return "paused %g ms of every %g ms" % ((period - runtime) / 1e3, period / 1e3)


def machine_info(args):
    cpu = "unknown"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown":
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    fl = line.split(":", 1)[1].split()
                    flags = " ".join(x for x in fl if x.startswith(("avx", "fma", "amx")))
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 2 ** 20, 1)
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    from importlib import metadata
    for pkg in ("numpy", "jax", "jaxlib", "pytensor", "torch", "matplotlib",
                "threadpoolctl", "scipy", "numba"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    env_keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "XLA_FLAGS", "SCAN_BENCH_THREADS", "PYTENSOR_FLAGS")
    return {
        "cpu": cpu, "cpu_simd_flags": flags,
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)),
        "load_average": os.getloadavg(),
        "memory_gib": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "thread_env": {k: os.environ.get(k) for k in env_keys},
        "openblas_env_for_scan_run": {
            k: os.environ.get("SCAN_BENCH_SAVED_" + k)
            for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
        "scheduling": ("SCHED_FIFO priority %s" % (CHILD_PRIORITY or os.sched_getparam(0).sched_priority)
                       if os.sched_getscheduler(0) == os.SCHED_FIFO else "normal (SCHED_OTHER)"),
        "rt_throttling": rt_throttling(),
        "openblas_env_for_python": {
            k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }


# ---------------------------------------------------------------------------
# scan-mlir through scan-run
# ---------------------------------------------------------------------------

def mlir_type(shape):
    return "tensor<%sxf32>" % "x".join(str(d) for d in shape)


def grad_entry(workload):
    """@<cell>_grad for examples that do not define one yet (headline shape)."""
    B, T, D = HEADLINE
    names, wrt = wl.ARGS[workload]
    types = [mlir_type(wl.arg_shape(n, T, B, D)) for n in names]
    gtypes = [types[i] for i in wrt]
    params = ", ".join("%%%s: %s" % (n, t) for n, t in zip(names, types))
    operands = ", ".join("%" + n for n in names)
    results = gtypes[0] if len(gtypes) == 1 else "(%s)" % ", ".join(gtypes)
    lhs = "%g" if len(gtypes) == 1 else "%%g:%d" % len(gtypes)
    rets = "%g" if len(gtypes) == 1 else ", ".join("%%g#%d" % i for i in range(len(gtypes)))
    return ("\n// Gradient of @{w}_cost w.r.t. {wrt}.\n"
            "func.func @{w}_grad({params}) -> {results} {{\n"
            "  {lhs} = scan.grad @{w}_cost({ops}) wrt [{idx}] : ({types}) -> {results}\n"
            "  return {rets} : {gt}\n}}\n").format(
        w=workload, wrt=", ".join(wl.wrt_names(workload)), params=params,
        results=results, lhs=lhs, ops=operands,
        idx=", ".join(str(i) for i in wrt), types=", ".join(types), rets=rets,
        gt=", ".join(gtypes))


def scan_module(workload, T, B, D, path):
    """examples/<cell>.mlir at shape (T, B, D), with @<cell>_grad."""
    with open(os.path.join(ROOT, "examples", workload + ".mlir")) as f:
        text = f.read()
    if not re.search(r"func\.func\s+@%s_grad\b" % workload, text):
        text += grad_entry(workload)
    hB, hT, hD = HEADLINE
    mapping = {(hT, hB, hD): (T, B, D), (hB, hD): (B, D), (hD, hD): (D, D)}

    def repl(m):
        dims = tuple(int(d) for d in m.group(1).split("x") if d)
        if dims not in mapping:
            raise ValueError("unexpected tensor shape %s in examples/%s.mlir"
                             % (m.group(0), workload))
        return mlir_type(mapping[dims])
    text = re.sub(r"tensor<((?:\d+x)+)f32>", repl, text)
    with open(path, "w") as f:
        f.write(text)


def system_openblas_env():
    """The environment with the machine's OPENBLAS_CORETYPE/L2_SIZE put back,
    for programs linked against the system OpenBLAS."""
    e = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        saved = os.environ.get("SCAN_BENCH_SAVED_" + k)
        e.pop(k, None)
        if saved:
            e[k] = saved
    return e


class ScanMlir:
    def __init__(self, scan_run, scan_opt):
        self.scan_run = scan_run
        self.scan_opt = scan_opt
        # Why the plain gradient, and why the optimized one, cannot run.
        self.missing, self.missing_opt = self._check()

    def _check(self):
        for tool in (self.scan_run, self.scan_opt):
            if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
                why = "%s is not built" % os.path.relpath(tool, ROOT)
                return why, why
        try:
            helptext = run_child([self.scan_opt, "--help"], capture_output=True,
                                      text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError) as e:
            return ("scan-opt --help failed: %s" % e,) * 2
        absent = [p for p in ("scan-differentiate", "scan-lower-to-cpu")
                  if "--" + p not in helptext]
        if absent:
            why = "scan-opt lacks %s" % ", ".join(absent)
            return why, why
        if "--scan-optimize" not in helptext:
            return None, "scan-opt lacks scan-optimize"
        return None, None

    def _call(self, module, entry, inputs, variants, warmup, repeat, out_dir, timeout):
        cmd = [self.scan_run, module, "--entry=" + entry,
               "--compare=" + ",".join(variants) if len(variants) > 1
               else "--variant=" + variants[0],
               "--json", "--warmup=%d" % warmup, "--repeat=%d" % repeat,
               "--output-dir=" + out_dir] + ["--input=" + p for p in inputs]
        p = run_child(cmd, capture_output=True, text=True, env=system_openblas_env(),
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("scan-run exited %d: %s" % (
                p.returncode, (p.stderr.strip() or p.stdout.strip())[-600:]))
        out = p.stdout
        try:
            return json.loads(out[out.index("{"):])
        except ValueError:
            raise RuntimeError("scan-run printed no JSON: %s" % out[-300:])

    def run(self, workload, T, B, D, input_dir, work, warmup, repeat, timeout,
            grads=True):
        """Returns {system: row} for scan-plain and scan-opt; without `grads`
        (a later round) only the timed call runs."""
        os.makedirs(work, exist_ok=True)
        module = os.path.join(work, "%s.mlir" % workload)
        scan_module(workload, T, B, D, module)
        names, wrt = wl.ARGS[workload]
        entry = workload + "_grad"
        inputs = {s: [os.path.join(input_dir, s, n + ".npy") for n in names] for s in SCALES}
        rows = {}
        t0 = time.time()
        variants = [("scan-plain", "plain")]
        if not self.missing_opt:
            variants.append(("scan-opt", "optimized"))
        # Timed: the variants on the study-scale inputs, in one process.
        rep = self._call(module, entry, inputs["study"], [v for _, v in variants],
                         warmup, repeat, os.path.join(work, "plain-study"), timeout)
        byname = {v["name"]: v for v in rep["variants"]}
        for sysname, var in variants:
            v = byname.get(var)
            if v is None:
                raise RuntimeError("scan-run reported no variant '%s'" % var)
            ts = v["time_s"]
            rows[sysname] = {
                # Without the list of times, [min, median, median] keeps both.
                "times_s": ts.get("all") or [ts["min"], ts["median"], ts["median"]],
                "compile_s": v.get("compile_s"),
                "pipeline": v.get("pipeline"),
                "grads": {}, "info": {"scan_run_gflop": v.get("gflop"),
                                      "peak_rss_mib": v.get("peak_rss_mib"),
                                      "call_extra_mib": v.get("call_extra_mib"),
                                      "formulation": "scan-run --entry=%s --variant=%s "
                                      "(pipeline %s)" % (entry, var, v.get("pipeline"))}}
        # Gradients of each variant at each scale (one untimed call each).
        for sysname, var in variants if grads else []:
            for s in SCALES:
                d = os.path.join(work, "%s-%s" % (var, s))
                if not (var == "plain" and s == "study"):
                    self._call(module, entry, inputs[s], [var], 0, 1, d, timeout)
                rows[sysname]["grads"][s] = [
                    np.load(os.path.join(d, "%s.%d.npy" % (entry, i)))
                    for i in range(len(wrt))]
        if self.missing_opt:
            rows["scan-opt"] = {"status": "not available: " + self.missing_opt}
        for r in rows.values():
            r["wall_s"] = time.time() - t0
        return rows


# ---------------------------------------------------------------------------
# Python peers (each in its own process)
# ---------------------------------------------------------------------------

def run_worker(system, workload, pairs, warmup, repeat, timeout, variant=None):
    """One process for every shape of `workload`: rows in `pairs` order.
    `variant` names the variant to run (JAX's unroll) instead of timing
    each on the first shape and choosing."""
    cmd = [sys.executable, os.path.join(BENCH, "peer_worker.py"), system, workload,
           str(warmup), str(repeat)] + [p for pair in pairs for p in pair]
    t0 = time.time()
    env = system_openblas_env() if system in SYSTEM_OPENBLAS else dict(os.environ)
    env.pop("SCAN_BENCH_VARIANT", None)
    if variant:
        env["SCAN_BENCH_VARIANT"] = variant
    p = run_child(cmd, capture_output=True, text=True, env=env,
                       timeout=timeout * len(pairs))
    wall = time.time() - t0
    n = len(wl.ARGS[workload][1])
    rows = []
    for _, out_dir in pairs:
        path = os.path.join(out_dir, "result.json")
        if not os.path.exists(path):
            rows.append({"status": "error: %s worker exited %d: %s" % (
                system, p.returncode, p.stderr.strip()[-800:])})
            continue
        with open(path) as f:
            info = json.load(f)
        if "error" in info:
            rows.append({"status": "error: " + info["error"]})
            continue
        grads = {s: [np.load(os.path.join(out_dir, "%s.%d.npy" % (s, i))) for i in range(n)]
                 for s in SCALES}
        rows.append({"times_s": info.pop("times_s"), "grads": grads, "info": info,
                     "compile_s": {"build": info.get("build_s"),
                                   "first_call": info.get("first_call_s")},
                     "wall_s": wall})
    return rows


def measure_sgemm(shapes, out_dir, warmup, repeat, timeout):
    cmd = [sys.executable, os.path.join(BENCH, "peer_worker.py"), "gemm", "-",
           str(warmup), str(repeat), out_dir] + ["%d,%d,%d" % s for s in shapes]
    p = run_child(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("sgemm measurement failed: %s" % p.stderr[-800:])
    with open(os.path.join(out_dir, "result.json")) as f:
        return json.load(f)


# The GEMM floor's sources: every way this machine multiplies float32
# matrices that the run can time. The floor of a gradient is its matmul GFLOP
# at the fastest rate any of them reached at that gradient's GEMM shapes.
FLOOR_SOURCES = {
    "numpy": "NumPy's bundled OpenBLAS (np.matmul)",
    "system-openblas": "the system OpenBLAS that scan-run links, through scan-run "
                       "(SCANRT_GEMM_KERNEL=0)",
    "kernel": "scan-mlir's runtime GEMM kernel, one product per call through scan-run "
              "(the runtime's default choice between its kernel and OpenBLAS)",
    "kernel-packed": "scan-mlir's runtime GEMM kernel, a loop of %d products by one right "
                     "operand packed once before the loop (a recurrence's step product)",
}
PACKED_STEPS = 50
FLOOR_SOURCES["kernel-packed"] %= PACKED_STEPS


def scan_run_time(scan_run, module, entry, warmup, repeat, timeout, env=None, extra=()):
    """Min seconds of `repeat` calls of `entry` (random inputs) through scan-run."""
    cmd = [scan_run, module, "--entry=" + entry, "--variant=none", "--json",
           "--warmup=%d" % warmup, "--repeat=%d" % repeat] + list(extra)
    p = run_child(cmd, capture_output=True, text=True, env=env or system_openblas_env(),
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("scan-run %s failed: %s" % (os.path.basename(module),
                                                        (p.stderr or p.stdout)[-800:]))
    return json.loads(p.stdout[p.stdout.index("{"):])["variants"][0]["time_s"]["min"]


def sgemm_module(M, K, N):
    """@sgemm: one M x K by K x N product."""
    a, b, c = mlir_type((M, K)), mlir_type((K, N)), mlir_type((M, N))
    return ("func.func @sgemm(%%a: %s, %%b: %s) -> %s {\n"
            "  %%zero = arith.constant 0.0 : f32\n"
            "  %%e = tensor.empty() : %s\n"
            "  %%c = linalg.fill ins(%%zero : f32) outs(%%e : %s) -> %s\n"
            "  %%p = linalg.matmul ins(%%a, %%b : %s, %s) outs(%%c : %s) -> %s\n"
            "  return %%p : %s\n}\n" % (a, b, c, c, c, c, a, b, c, c, c))


def packed_steps_module(M, K, N, steps):
    """@sgemm: `steps` products x_t (M x K) by one K x N operand in a loop
    that never writes it, which the lowering packs once before the loop."""
    xs, b, ys = mlir_type((steps, M, K)), mlir_type((K, N)), mlir_type((steps, M, N))
    a, c = mlir_type((M, K)), mlir_type((M, N))
    return ("func.func @sgemm(%%x: %s, %%b: %s) -> %s {\n"
            "  %%c0 = arith.constant 0 : index\n"
            "  %%c1 = arith.constant 1 : index\n"
            "  %%steps = arith.constant %d : index\n"
            "  %%zero = arith.constant 0.0 : f32\n"
            "  %%init = tensor.empty() : %s\n"
            "  %%r = scf.for %%t = %%c0 to %%steps step %%c1 iter_args(%%acc = %%init) -> (%s) {\n"
            "    %%xt = tensor.extract_slice %%x[%%t, 0, 0] [1, %d, %d] [1, 1, 1] : %s to %s\n"
            "    %%e = tensor.empty() : %s\n"
            "    %%c = linalg.fill ins(%%zero : f32) outs(%%e : %s) -> %s\n"
            "    %%p = linalg.matmul ins(%%xt, %%b : %s, %s) outs(%%c : %s) -> %s\n"
            "    %%n = tensor.insert_slice %%p into %%acc[%%t, 0, 0] [1, %d, %d] [1, 1, 1] "
            ": %s into %s\n"
            "    scf.yield %%n : %s\n"
            "  }\n"
            "  return %%r : %s\n}\n" % (
                xs, b, ys, steps, ys, ys, M, K, xs, a, c, c, c, a, b, c, c, M, N, c, ys,
                ys, ys))


def measure_scan_run_sgemm(scan_run, shapes, out_dir, warmup, repeat, timeout, kernel,
                           packed=False):
    """Rates of `shapes` through scan-run: all products on OpenBLAS
    (kernel=False, SCANRT_GEMM_KERNEL=0) or the runtime's default choice
    (kernel=True); packed=True times PACKED_STEPS products per call by one
    packed right operand."""
    os.makedirs(out_dir, exist_ok=True)
    env = system_openblas_env()
    if kernel:
        env.pop("SCANRT_GEMM_KERNEL", None)
    else:
        env["SCANRT_GEMM_KERNEL"] = "0"
    rates = []
    for (M, K, N) in shapes:
        path = os.path.join(out_dir, "sgemm_%d_%d_%d%s.mlir" % (M, K, N, "_packed" * packed))
        with open(path, "w") as f:
            f.write(packed_steps_module(M, K, N, PACKED_STEPS) if packed
                    else sgemm_module(M, K, N))
        flop = 2.0 * M * K * N * (PACKED_STEPS if packed else 1)
        # As for NumPy's rates: at least `repeat` calls and about 0.3 s of
        # calls (at 100 GFLOP/s), so small products get as many chances.
        calls = max(repeat, min(1000, int(0.3 / (flop / 1e11)) + 1))
        best = scan_run_time(scan_run, path, "sgemm", warmup, calls, timeout, env,
                             ["--allow-any-input"] if packed else [])
        rates.append({"M": M, "K": K, "N": N, "best_s": best, "gflops": 1e-9 * flop / best})
    return rates


def clock_module(pairs, steps):
    """@clock: a chain of `pairs` dependent (add, xor) pairs per iteration.
    Both take one cycle on every x86 core and LLVM cannot fold the chain, so
    the call takes 2 * pairs * steps cycles."""
    body, prev = [], "%a"
    for k in range(pairs):
        body += ["      %%p%d = arith.addi %s, %%s : i64" % (k, prev),
                 "      %%q%d = arith.xori %%p%d, %%s : i64" % (k, k)]
        prev = "%%q%d" % k
    return ("func.func @clock(%%seed: tensor<i64>) -> tensor<i64> {\n"
            "  %%s = tensor.extract %%seed[] : tensor<i64>\n"
            "  %%c0 = arith.constant 0 : index\n"
            "  %%c1 = arith.constant 1 : index\n"
            "  %%steps = arith.constant %d : index\n"
            "  %%r = scf.for %%i = %%c0 to %%steps step %%c1 iter_args(%%a = %%s) -> (i64) {\n"
            "%s\n"
            "      scf.yield %s : i64\n"
            "  }\n"
            "  %%t = tensor.from_elements %%r : tensor<i64>\n"
            "  return %%t : tensor<i64>\n}\n" % (steps, "\n".join(body), prev))


def fma_module(chains, depth, steps):
    """@fma: `chains` independent chains of vector<16xf32> FMAs (16 float32
    lanes: one AVX-512 FMA each), `depth` per chain and iteration; enough
    chains to hide the FMA latency, so the call takes chains * depth * steps
    FMAs at the core's FMA throughput."""
    lines = ["  %%i%d = arith.constant dense<%d.5> : vector<16xf32>\n"
             "  %%a0_%d = arith.addf %%v, %%i%d : vector<16xf32>" % (j, j, j, j)
             for j in range(chains)]
    cur = ["%%a%d" % j for j in range(chains)]
    body = []
    for r in range(depth):
        for j in range(chains):
            name = "%%f%d_%d" % (r, j)
            body.append("      %s = vector.fma %s, %%m, %%b : vector<16xf32>" % (name, cur[j]))
            cur[j] = name
    vtypes = ", ".join(["vector<16xf32>"] * chains)
    sums, prev = [], "%r#0"
    for j in range(1, chains):
        sums.append("  %%s%d = arith.addf %s, %%r#%d : vector<16xf32>" % (j, prev, j))
        prev = "%%s%d" % j
    return ("func.func @fma(%%x: tensor<f32>) -> tensor<f32> {\n"
            "  %%c0 = arith.constant 0 : index\n"
            "  %%c1 = arith.constant 1 : index\n"
            "  %%steps = arith.constant %d : index\n"
            "  %%xs = tensor.extract %%x[] : tensor<f32>\n"
            "  %%v = vector.broadcast %%xs : f32 to vector<16xf32>\n"
            "  %%m = arith.constant dense<0.999> : vector<16xf32>\n"
            "  %%b = arith.addf %%v, %%m : vector<16xf32>\n"
            "%s\n"
            "  %%r:%d = scf.for %%i = %%c0 to %%steps step %%c1 iter_args(%s) -> (%s) {\n"
            "%s\n"
            "      scf.yield %s : %s\n"
            "  }\n"
            "%s\n"
            "  %%sum = vector.reduction <add>, %s : vector<16xf32> into f32\n"
            "  %%t = tensor.from_elements %%sum : tensor<f32>\n"
            "  return %%t : tensor<f32>\n}\n" % (
                steps, "\n".join(lines), chains,
                ", ".join("%%a%d = %%a0_%d" % (j, j) for j in range(chains)), vtypes,
                "\n".join(body), ", ".join(cur), vtypes, "\n".join(sums), prev))


def measure_fma_peak(scan_run, threads, out_dir, timeout):
    """The core clock, from a timed chain of dependent one-cycle integer
    operations, and the AVX-512 FMA throughput of one core, from independent
    vector FMAs; peak = clock x 512-bit FMAs per cycle x 16 float32 lanes x 2
    FLOP x threads. Calls are short (~1 ms) and the min of many is kept, so a
    call the scheduler interrupts does not count."""
    os.makedirs(out_dir, exist_ok=True)
    pairs, clock_steps = 32, 30000
    chains, depth, fma_steps = 16, 4, 10000
    files = {"clock": clock_module(pairs, clock_steps),
             "fma": fma_module(chains, depth, fma_steps)}
    t = {}
    for entry, text in files.items():
        path = os.path.join(out_dir, entry + ".mlir")
        with open(path, "w") as f:
            f.write(text)
        t[entry] = scan_run_time(scan_run, path, entry, 3, 60, timeout, extra=[
            "--allow-any-input", "--lowering=convert-vector-to-llvm,scan-lower-to-cpu"])
    clock_hz = 2.0 * pairs * clock_steps / t["clock"]
    fma_per_s = float(chains * depth * fma_steps) / t["fma"]
    measured = fma_per_s / clock_hz
    # The pipes issue whole FMAs per cycle: 1 on cores that split a 512-bit
    # FMA in two 256-bit halves, 2 on cores with two 512-bit FMA units.
    units = max(1, int(round(measured)))
    per_core = clock_hz * units * 16 * 2 / 1e9
    return {"clock_ghz": clock_hz / 1e9, "fma512_per_cycle_measured": measured,
            "fma512_units": units, "threads": threads,
            "measured_gflops_per_core": fma_per_s * 32 / 1e9,
            "peak_gflops": per_core * threads,
            "cpuinfo_mhz": cpuinfo_mhz(),
            "method": "clock: %d dependent 64-bit add/xor (one cycle each) per loop iteration, "
                      "%d iterations, min of 60 calls; FMA units: %d independent chains of "
                      "vector<16xf32> FMAs, %d FMAs per call, min of 60 calls, divided by "
                      "the clock and rounded; peak = clock x units x 16 lanes x 2 FLOP x "
                      "%d threads" % (2 * pairs, clock_steps, chains,
                                      chains * depth * fma_steps, threads)}


def cpuinfo_mhz():
    """The clock /proc/cpuinfo states (in a virtual machine, often the nominal one)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":", 1)[1])
    except (OSError, ValueError):
        pass
    return None


def step_gemm_shapes(workload, T, B, D):
    """(M, K, N) of the per-step products of a good gradient: the batch's
    activations or error signals by a weight (merged weights for n > D)."""
    return [(B, D, n) for n in {"rnn": [D], "gru": [D, 2 * D], "lstm": [D, 4 * D]}[workload]]


def kernel_floor_jobs(a, plan, shapes):
    """(source, job) of the runtime kernel's floor sources: its single
    products at `shapes` and its loops of products by a packed weight at the
    plan's step shapes; job(folder) returns the rates."""
    reps = max(a.repeat, 3)
    steps = sorted({s for (w, T, B, D), _ in plan for s in step_gemm_shapes(w, T, B, D)})
    return [("kernel", lambda d: measure_scan_run_sgemm(
                a.scan_run, shapes, d, 2, reps, a.timeout, kernel=True)),
            ("kernel-packed", lambda d: measure_scan_run_sgemm(
                a.scan_run, steps, d, 1, reps, a.timeout, kernel=True, packed=True))]


def measure_floors(a, scan, plan, shapes, tmp):
    """Every floor source's sgemm rates at `shapes` (the scan-run ones when
    scan-run and scan-opt work), and the FMA peak. A failed measurement is
    kept in "errors" and fails the run."""
    reps = max(a.repeat, 3)
    rate = measure_sgemm(shapes, os.path.join(tmp, "gemm"), 2, reps, a.timeout)
    rate["sources"] = {"numpy": rate.pop("sgemm")}
    rate["fma_peak"] = None
    rate["errors"] = {}
    if scan.missing:
        rate["not_measured"] = "scan-run: " + scan.missing
        return rate
    jobs = [("system-openblas", lambda d: measure_scan_run_sgemm(
                a.scan_run, shapes, d, 2, reps, a.timeout, kernel=False))
            ] + kernel_floor_jobs(a, plan, shapes)
    for name, job in jobs:
        try:
            rate["sources"][name] = job(os.path.join(tmp, name))
        except (RuntimeError, ValueError, subprocess.SubprocessError, OSError) as e:
            rate["errors"][name] = str(e)
    try:
        rate["fma_peak"] = measure_fma_peak(
            a.scan_run, int(os.environ.get("SCAN_BENCH_THREADS", "2")),
            os.path.join(tmp, "fma"), a.timeout)
    except (RuntimeError, ValueError, subprocess.SubprocessError, OSError,
            ZeroDivisionError) as e:
        rate["errors"]["fma-peak"] = str(e)
    for name, e in rate["errors"].items():
        log("floor measurement %s failed: %s" % (name, e))
    return rate


def measure_drift(a, plan, shapes, tmp, start):
    """The runtime kernel's rates measured again at the end of the run, as
    at the start (its single products and its packed loops), and each
    shape's end rate over its start rate: the machine's own drift over the
    run, which every time in the run shares."""
    end = {name: job(os.path.join(tmp, "end-" + name))
           for name, job in kernel_floor_jobs(a, plan, shapes)}
    ratios = []
    for src, rates in end.items():
        before = {(x["M"], x["K"], x["N"]): x["gflops"] for x in start.get(src, [])}
        for x in rates:
            key = (x["M"], x["K"], x["N"])
            if key in before:
                ratios.append({"source": src, "M": key[0], "K": key[1], "N": key[2],
                               "end_over_start": x["gflops"] / before[key]})
    return {"sources": end, "ratios": ratios}


def fastest_rates(rate):
    """Each source's rates, a shape measured again at the end (the drift)
    taking the faster of its two rates: the floor is the fastest GEMM
    measured in the run."""
    end = {(src, x["M"], x["K"], x["N"]): x["gflops"]
           for src, rates in (rate.get("drift") or {}).get("sources", {}).items()
           for x in rates}
    return {src: [dict(x, gflops=max(x["gflops"], end.get((src, x["M"], x["K"], x["N"]), 0.0)))
                  for x in rates]
            for src, rates in rate["sources"].items()}


def gemm_shapes(workload, T, B, D):
    """(M, K, N) of the GEMMs a good gradient of this cell runs."""
    widths = {"rnn": [D], "gru": [D, 2 * D], "lstm": [D, 4 * D]}[workload]
    shapes = []
    for n in widths:
        shapes += [(B, D, n), (D, T * B, n)]
    if workload == "lstm":
        shapes.append((T * B, D, 4 * D))
    return shapes


# ---------------------------------------------------------------------------
# Plan, estimate, run
# ---------------------------------------------------------------------------

def parse_list(s, conv=str):
    return [conv(v) for v in s.split(",") if v.strip()] if s else []


def make_plan(a):
    """Ordered, de-duplicated (workload, T, B, D) configurations with groups."""
    B, T, D = a.shape
    plan = {}

    def add(w, t, b, group):
        key = (w, t, b, D)
        plan.setdefault(key, set()).add(group)
    for w in a.workloads:
        add(w, T, B, "headline")
    for w in a.sweep_workloads:
        for t in a.sweep_T:
            add(w, t, B, "T")
        for b in a.sweep_B:
            add(w, T, b, "B")
    return [(k, sorted(g)) for k, g in plan.items()]


def estimate_seconds(plan, systems, rate_gflops, warmup, repeat, headline_only, rounds):
    """Rough wall time: every system at half the best sgemm rate (warm-up,
    timed and normal-scale calls), the float64 reference at a quarter, plus
    start-up and compile costs: per process (one per system, workload and
    round) and per shape. JAX also times its other unroll variants on the
    first shape of each workload, in the first round."""
    per_process = {"jax": 4.0, "pytensor": 60.0, "pytensor-c": 40.0, "pytensor-jax": 10.0,
                   "torch": 4.0, "torch-compile": 10.0, "torch-nn.RNN": 4.0,
                   "torch-nn.LSTM": 4.0, "numpy": 1.0}
    per_shape = {"jax": 3.0, "pytensor": 0.5, "pytensor-c": 0.5, "pytensor-jax": 8.0,
                 "torch": 0.5, "torch-compile": 60.0, "torch-nn.RNN": 0.5,
                 "torch-nn.LSTM": 0.5, "numpy": 0.1, "scan-plain": 15.0}
    total, per_round = 0.0, 0.0
    first = {}
    for (w, T, B, D), groups in plan:
        g = wl.gradient_gflop(w, T, B, D)
        call = g / (0.5 * rate_gflops)
        for s in systems:
            if s == "scan-opt" or not runs_on(s, w, groups, headline_only):
                continue
            if (s, w) not in first:
                first[s, w] = True
                per_round += per_process.get(s, 0.0)
                if s == "jax":       # the other unroll variants, compile included
                    total += (len(JAX_UNROLLS) - 1) * (per_shape[s] + call * (warmup + repeat))
            # scan-run: both variants timed, then three single calls
            calls = 2 * (warmup + repeat) + 3 if s == "scan-plain" else warmup + repeat + 1
            per_round += per_shape[s] + call * calls
        total += 2 * g / (0.25 * rate_gflops)     # float64 reference, 2 scales
    return total + rounds * per_round


def compare(rows, ref_grads, ref_name, rtol):
    """Adds rel errors vs the reference and vs float64; returns failures."""
    fails = []
    for name, r in rows.items():
        if "grads" not in r:
            continue
        r["rel_err"] = {}
        r["rel_err_f64"] = {}
        for s in SCALES:
            g = r["grads"][s]
            r["rel_err"][s] = max(wl.rel_error(a, b) for a, b in zip(g, ref_grads[s]))
            r["rel_err_f64"][s] = max(wl.rel_error(a, b) for a, b in zip(g, r["_f64"][s]))
            worst = max(r["rel_err"][s], r["rel_err_f64"][s])
            if not worst <= rtol:
                fails.append("%s: gradient differs from %s at %s scale: relative "
                             "error %.3g > %.3g" % (name, ref_name, s, worst, rtol))
        r["agrees"] = all(max(r["rel_err"][s], r["rel_err_f64"][s]) <= rtol for s in SCALES)
    return fails


def merge_round(rows, name, new, rnd):
    """Adds a later round's row to the first round's: its timed calls join
    the first's (times_by_round_s keeps them apart); an error is kept in
    round_errors, which fails the run."""
    if rnd == 0:
        rows[name] = new
        return
    first = rows.get(name)
    if first is None or "times_s" not in first:
        return
    if "times_s" not in new:
        first.setdefault("round_errors", []).append(
            "round %d: %s" % (rnd + 1, new.get("status", "no times")))
        return
    info = first.setdefault("info", {})
    info.setdefault("times_by_round_s", [list(first["times_s"])]).append(list(new["times_s"]))
    first["times_s"] = list(first["times_s"]) + list(new["times_s"])


def run_system_round(a, w, s, prepared, scan, rnd):
    """Round `rnd` of system `s` on the prepared shapes of workload `w`."""
    if s == "scan-opt":
        return
    if s == "scan-plain":
        for key, _, work, input_dir, _, rows in prepared:
            if scan.missing:
                for n in ("scan-plain", "scan-opt"):
                    rows[n] = {"status": "not available: " + scan.missing}
                continue
            log("  scan-mlir, T=%d B=%d D=%d" % key[1:])
            try:
                got = scan.run(w, *key[1:], input_dir, os.path.join(work, "scan"),
                               a.warmup, a.repeat, a.timeout, grads=rnd == 0)
            except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
                got = {n: {"status": "error: %s" % e} for n in ("scan-plain", "scan-opt")}
            for n, r in got.items():
                merge_round(rows, n, r, rnd)
        return
    mine = [p for p in prepared if runs_on(s, w, p[1], a.headline_only)]
    if not mine:
        return
    log("  %s, %d shape(s) ..." % (s, len(mine)))
    t0 = time.time()
    pairs = [(input_dir, os.path.join(work, s, "round%d" % rnd))
             for _, _, work, input_dir, _, _ in mine]
    # Later rounds run the variant the first chose (JAX's unroll).
    variant = None if rnd == 0 else mine[0][5].get(s, {}).get("info", {}).get("variant")
    try:
        got = run_worker(s, w, pairs, a.warmup, a.repeat, a.timeout, variant)
    except (subprocess.SubprocessError, OSError) as e:
        got = [{"status": "error: %s" % e}] * len(pairs)
    for (_, _, _, _, _, rows), r in zip(mine, got):
        merge_round(rows, s, r, rnd)
    log("  %s done in %.0f s" % (s, time.time() - t0))


def run_workload(a, w, configs, systems, scan, tmp):
    """Runs every system on every shape of workload `w`; returns, per
    configuration, (key, groups, rows, f64 reference gradients)."""
    names, wrt = wl.ARGS[w]
    prepared = []
    for key, groups in configs:
        _, T, B, D = key
        tag = "%s-T%d-B%d-D%d" % key
        work = os.path.join(tmp, tag)
        input_dir = os.path.join(work, "inputs")
        inputs = {}
        for i, s in enumerate(SCALES):
            os.makedirs(os.path.join(input_dir, s), exist_ok=True)
            inputs[s] = wl.make_inputs(w, T, B, D, s, a.seed + i)
            for n, v in zip(names, inputs[s]):
                np.save(os.path.join(input_dir, s, n + ".npy"), v)
        t0 = time.time()
        f64 = {s: wl.reference_grad(w, inputs[s]) for s in SCALES}
        log("  %s: inputs and float64 reference, %.1f s" % (tag, time.time() - t0))
        prepared.append((key, groups, work, input_dir, f64, {}))

    # Round 1 times every system and keeps its gradients; each later round
    # times them all again in fresh processes, minutes later, so that a
    # system's min and median do not hang on the machine's state during
    # one process (it shifts for seconds at a time on a shared VM).
    for rnd in range(a.rounds):
        if a.rounds > 1:
            log("  round %d of %d" % (rnd + 1, a.rounds))
        for s in systems:
            run_system_round(a, w, s, prepared, scan, rnd)
    for _, _, work, _, _, _ in prepared:
        shutil.rmtree(work, ignore_errors=True)
    return [(key, groups, rows, f64) for key, groups, _, _, f64, rows in prepared]


def finish_config(a, key, groups, rows, f64, rate):
    """Agreement checks and the report entry of one configuration."""
    w, T, B, D = key
    notes = []
    ok_rows = {n: r for n, r in rows.items() if "grads" in r}
    for r in ok_rows.values():
        r["_f64"] = f64
    if "scan-plain" in ok_rows:
        ref_name, ref = "scan-mlir plain gradient", ok_rows["scan-plain"]["grads"]
    else:
        ref_name, ref = "float64 NumPy reference", f64
    fails = compare(ok_rows, ref, ref_name, a.rtol)
    if a.perturb and a.perturb in ok_rows:
        # Self-test of the checker: a 1% error in one system must fail the run.
        r = ok_rows[a.perturb]
        r["grads"] = {s: [g * np.float32(1.01) for g in r["grads"][s]] for s in SCALES}
        fails += compare({a.perturb: r}, ref, ref_name, a.rtol)
        notes.append("--perturb %s: its gradients were scaled by 1.01" % a.perturb)
    for n in ("scan-plain", "scan-opt"):
        g = ok_rows.get(n, {}).get("info", {}).get("scan_run_gflop")
        if g:
            notes.append("%s: scan-run counts %.3g GFLOP in the program it ran (the table "
                         "uses the gradient's %.3g)" % (SYSTEM_LABELS[n], g,
                                                        wl.gradient_gflop(w, T, B, D)))
    jax_info = ok_rows.get("jax", {}).get("info", {})
    if jax_info.get("variants_timed"):
        notes.append("JAX: %s chosen at %s, where the variants took (median ms) %s" % (
            jax_info["variant"], jax_info["variant_chosen_at"], ", ".join(
                "%s %s" % (k, fmt_ms(v["median_s"]) if "median_s" in v else v.get("error"))
                for k, v in jax_info["variants_timed"].items())))
    modes = {PYTENSOR_MODES[n]: min(ok_rows[n]["times_s"])
             for n in PYTENSOR_MODES if "times_s" in ok_rows.get(n, {})}
    if len(modes) > 1:
        notes.append("PyTensor's fastest mode here: %s (min ms: %s)" % (
            min(modes, key=modes.get), ", ".join("%s %s" % (k, fmt_ms(v))
                                                 for k, v in modes.items())))
    mem = [(SYSTEM_LABELS[n], ok_rows[n]["info"].get("call_extra_mib"))
           for n in ("scan-plain", "scan-opt") if n in ok_rows]
    if mem and all(v is not None for _, v in mem):
        notes.append("memory the calls add to the process (scan-run's peak RSS during the "
                     "calls over before them): " + ", ".join(
                         "%s %.0f MiB" % (label, v) for label, v in mem))
    for n, r in rows.items():
        if r.get("status", "").startswith("error"):
            fails.append("%s: %s" % (n, r["status"]))
        fails += ["%s: %s" % (n, e) for e in r.get("round_errors", [])]

    # The floor: the fastest rate any source reached at this gradient's shapes.
    mine = set(gemm_shapes(w, T, B, D))
    floors = {}
    for src, rates in rate["sources"].items():
        got = [x["gflops"] for x in rates if (x["M"], x["K"], x["N"]) in mine]
        if got:
            floors[src] = max(got)
    source = max(floors, key=floors.get)
    gflop = wl.gradient_gflop(w, T, B, D)
    peak = (rate.get("fma_peak") or {}).get("peak_gflops")
    out = {"workload": w, "T": T, "B": B, "D": D, "groups": groups,
           "gflop": gflop, "floor_gflops": floors[source], "floor_s": gflop / floors[source],
           "floor_source": source, "floors_gflops": floors,
           "peak_gflops": peak, "peak_s": gflop / peak if peak else None,
           "reference": ref_name, "notes": notes, "failures": fails, "systems": {}}
    for n in [s for s in SYSTEM_LABELS if s in rows]:
        r = rows[n]
        e = {"label": SYSTEM_LABELS[n]}
        if "times_s" in r:
            ts = sorted(r["times_s"])
            e.update({"min_s": ts[0], "median_s": float(np.median(ts)), "times_s": r["times_s"],
                      "gflops": gflop / float(np.median(ts)),
                      "x_floor": float(np.median(ts)) / out["floor_s"],
                      "min_x_floor": ts[0] / out["floor_s"],
                      "x_floor_by_source": {k: float(np.median(ts)) * v / gflop
                                            for k, v in floors.items()},
                      "x_peak": float(np.median(ts)) / out["peak_s"] if peak else None,
                      "compile_s": r.get("compile_s"),
                      "rel_err": r.get("rel_err"), "rel_err_f64": r.get("rel_err_f64"),
                      "agrees": r.get("agrees"), "status": "ok" if r.get("agrees") else "DISAGREES"})
            e["info"] = r.get("info", {})
            if peak and e["min_s"] < 0.8 * out["peak_s"]:
                # Less time than the FMAs need: the timed call did not wait
                # for the whole gradient (asynchronous results, say).
                fails.append("%s: %s ms is below 0.8x the FMA peak's %s ms: its timing "
                             "cannot include the whole gradient" % (
                                 n, fmt_ms(e["min_s"]), fmt_ms(out["peak_s"])))
                e["status"] = "FASTER THAN THE FMA PEAK"
        else:
            e["status"] = r["status"]
        out["systems"][n] = e
    return out


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

def fmt_ms(s):
    return "%.1f" % (s * 1e3) if s >= 0.01 else "%.3f" % (s * 1e3)


def compile_seconds(comp):
    """Build/compile time: scan-run's pass + lowering + JIT time, or a Python
    system's build time plus its first (compiling) call."""
    if not isinstance(comp, dict):
        return None
    vals = [v for v in comp.values() if isinstance(v, (int, float))]
    return sum(vals) if vals else None


SOURCE_LABELS = {"numpy": "NumPy OpenBLAS", "system-openblas": "system OpenBLAS",
                 "kernel": "runtime kernel", "kernel-packed": "runtime kernel, packed weight"}


def floor_lines(c, columns):
    """Table rows of the floor (fastest source) and of each source, then the
    FMA peak; `columns` empty cells follow the ms and GFLOP/s cells."""
    pad = " |" * columns
    lines = ["| **GEMM floor**: fastest GEMM at these shapes (%s) | %s | | %.1f | 1.00 |%s" % (
        SOURCE_LABELS[c["floor_source"]], fmt_ms(c["floor_s"]), c["floor_gflops"], pad)]
    for src, g in c["floors_gflops"].items():
        lines.append("| GEMM time at %s's best rate | %s | | %.1f | %.2f |%s" % (
            SOURCE_LABELS[src], fmt_ms(c["gflop"] / g), g, c["floor_gflops"] / g, pad))
    if c.get("peak_s"):
        lines.append("| FMA peak of the threads (measured clock) | %s | | %.1f | %.2f |%s" % (
            fmt_ms(c["peak_s"]), c["peak_gflops"], c["peak_s"] / c["floor_s"], pad))
    return lines


def config_table(c):
    lines = ["| system | median ms | min ms | GFLOP/s | x floor | min x floor "
             "| rel. err. study / normal | compile s | status |",
             "|---|---:|---:|---:|---:|---:|---|---:|---|"]
    for n, e in c["systems"].items():
        if "median_s" in e:
            err = "%.1e / %.1e" % (max(e["rel_err"]["study"], e["rel_err_f64"]["study"]),
                                   max(e["rel_err"]["normal"], e["rel_err_f64"]["normal"]))
            comp = compile_seconds(e.get("compile_s"))
            lines.append("| %s | %s | %s | %.1f | %.2f | %.2f | %s | %s | %s |" % (
                e["label"], fmt_ms(e["median_s"]), fmt_ms(e["min_s"]), e["gflops"],
                e["x_floor"], e["min_x_floor"], err,
                "" if comp is None else "%.1f" % comp, e["status"]))
        else:
            lines.append("| %s | | | | | | | | %s |" % (e["label"], e["status"]))
    # The floor rows: ms in the median column, "x floor" = floor / that time.
    return "\n".join(lines + floor_lines(c, 4))


def backend_text(info):
    """One line: a Python system's BLAS, threads and loaded thread pools."""
    pools = "; ".join("%s, %s threads" % (
        " ".join(str(p[k]) for k in ("internal_api", "version", "architecture") if p.get(k)),
        p.get("num_threads")) for p in info.get("threadpools", []))
    parts = [info["blas"]] if info.get("blas") else []
    if "num_threads" in info:
        parts.append("torch.get_num_threads() = %s" % info["num_threads"])
    if info.get("backend"):
        parts.append("jax.default_backend() = %s" % info["backend"])
    parts.append("thread pools: " + (pools or "none found"))
    return "; ".join(parts)


def fma_peak_text(p):
    if not p:
        return "not measured (needs scan-run)"
    return ("%.1f GFLOP/s = %.2f GHz (measured) x %d AVX-512 FMA per cycle x 16 lanes x 2 "
            "FLOP x %d threads; one core reached %.1f GFLOP/s of FMAs (%.2f 512-bit FMAs per "
            "cycle); /proc/cpuinfo says %s MHz. Method: %s" % (
                p["peak_gflops"], p["clock_ghz"], p["fma512_units"], p["threads"],
                p["measured_gflops_per_core"], p["fma512_per_cycle_measured"],
                "%.0f" % p["cpuinfo_mhz"] if p.get("cpuinfo_mhz") else "nothing",
                p["method"]))


def write_markdown(path, res):
    m = res["machine"]
    o = res["options"]
    L = ["# scan-mlir against its peers: %s" % res["title"], "",
         "Run %s UTC, %s, %.0f s." % (res["started"], "smoke run (tiny shape, no timing claims)"
                                      if o["smoke"] else "full run", res["wall_s"]), "",
         ] + ([("**Note: the load average at the start (%.1f) exceeded the thread count; "
                 "every timed process ran under SCHED_FIFO (--realtime) and preempted that "
                 "load, but caches and memory bandwidth were shared: expect a few percent of "
                 "noise.**" if m.get("scheduling", "").startswith("SCHED_FIFO") else
                 "**Warning: the load average at the start (%.1f) exceeded the thread count; "
                 "these timings are not meaningful.**") % m["load_average"][0], ""]
              if m["load_average"][0] > int(m["thread_env"].get("SCAN_BENCH_THREADS") or 2)
              else []) + [
         "## Machine", "",
         "- CPU: %s (%s logical CPUs, %s in this process's affinity; SIMD: %s)" % (
             m["cpu"], m["logical_cpus"], m["affinity_cpus"], m["cpu_simd_flags"] or "n/a"),
         "- memory: %s GiB; kernel %s; Python %s; load average at start %s" % (
             m["memory_gib"], m["kernel"], m["python"],
             " ".join("%.2f" % x for x in m["load_average"])),
         "- versions: " + ", ".join("%s %s" % kv for kv in sorted(m["versions"].items())),
         "- threads: " + ", ".join("%s=%s" % (k, v) for k, v in m["thread_env"].items() if v),
         "- scheduling of every timed process: %s%s" % (
             m.get("scheduling", "normal"),
             "; the kernel's real-time throttling: %s" % m["rt_throttling"]
             if m.get("rt_throttling") and m.get("scheduling", "").startswith("SCHED_FIFO")
             else ""),
         "- memory policy: the Python processes run with GLIBC_TUNABLES=%s (freed memory "
         "kept, huge pages); scan-mlir's lowered code has the same from ScanRuntime's buffer "
         "cache" % (m.get("glibc_tunables") or "unset"),
         "- OpenBLAS core-type variables: unset for the Python processes; for scan-run and "
         "PyTensor's C backend (system OpenBLAS) %s" % (
             ", ".join("%s=%s" % (k, v) for k, v in m["openblas_env_for_scan_run"].items() if v)
             or "none set"),
         "- NumPy BLAS: " + "; ".join(
             "%s %s %s, %s threads" % (p.get("internal_api"), p.get("version"),
                                       p.get("architecture"), p.get("num_threads"))
             for p in res["sgemm"].get("threadpools", [])),
         ] + ["- sgemm, %s (best of at least %d calls and about 0.3 s of calls%s): " % (
             FLOOR_SOURCES[src], max(o["repeat"], 3),
             "" if src == "numpy" else "; one scan-run process per shape") + ", ".join(
             "%dx%dx%d %.1f GFLOP/s" % (x["M"], x["K"], x["N"], x["gflops"]) for x in rates)
             for src, rates in res["sgemm"]["sources"].items()] + [
         "- FMA peak: %s" % (fma_peak_text(res["sgemm"]["fma_peak"])),
         ] + (["- drift: the runtime kernel's rates measured again after the last system, "
               "over those at the start (the floor takes the faster of the two): " + ", ".join(
                   "%dx%dx%d%s %.2f" % (r["M"], r["K"], r["N"],
                                         " packed" if r["source"] == "kernel-packed" else "",
                                         r["end_over_start"])
                   for r in res["sgemm"]["drift"]["ratios"]) +
               "; a system's ratio to the floor carries as much uncertainty as these "
               "are away from 1"]
              if res["sgemm"].get("drift") else []) + [
         ] + ["- floor measurement %s FAILED: %s" % kv
              for kv in res["sgemm"].get("errors", {}).items()] + [
         "",
         "## Method", "",
         "Cost sum(h_T); float32; inputs drawn once per shape with a fixed seed (%d) and "
         "shared by every system as .npy files. Timed: %d warm-up call(s), then %d timed "
         "calls of the whole gradient (forward + backward) on the study's inputs "
         "(normal(0, 1e-4)), in each of %d round(s): a round runs every system in fresh "
         "processes, after all systems' previous round of the same cell; median and min "
         "over all rounds' calls reported. Agreement: every gradient is "
         "compared with the reference (%s) and with a float64 NumPy reverse-mode "
         "gradient, at the study's scale and at a normal scale (standard deviations: "
         "sequences 1, states 0.5, weights 1/sqrt(D)); the error shown is the larger of "
         "the two, max|g - ref| / max|ref| over the gradients; tolerance %.0e. The GEMM floor "
         "is the gradient's matmul GFLOP divided by the fastest sgemm rate measured in this "
         "run at the GEMM shapes a hoisted, merged gradient runs, from every source above: "
         "NumPy's OpenBLAS, the system OpenBLAS, and scan-mlir's runtime kernel, alone and "
         "on a weight packed once for a loop of products (the step product of a "
         "recurrence); each table also gives the time at each source's own best rate and at "
         "the FMA peak of the threads. \"x floor\" is a system's time over the floor's." % (
             o["seed"], o["warmup"], o["repeat"], o.get("rounds", 1),
             res["configs"][0]["reference"]
             if res["configs"] else "-", o["rtol"]), ""]
    L += ["Formulations:", ""]
    for n, f in res["formulations"].items():
        L.append("- %s: %s" % (SYSTEM_LABELS.get(n, n), f))
    L.append("")
    if res.get("backends"):
        L += ["BLAS and threads of each Python system (threadpoolctl lists the BLAS and "
              "OpenMP libraries loaded in its process):", ""]
        for n, b in sorted(res["backends"].items(), key=lambda kv: list(SYSTEM_LABELS).index(
                kv[0])):
            L.append("- %s: %s" % (SYSTEM_LABELS.get(n, n), b))
        L.append("")
    head = [c for c in res["configs"] if "headline" in c["groups"]]
    if head:
        L += ["## Headline: median ms per gradient (x GEMM floor)", "",
              "| system | " + " | ".join("%s (%.3g GFLOP)" % (c["workload"], c["gflop"])
                                       for c in head) + " |",
              "|---|" + "---:|" * len(head)]
        for n, label in SYSTEM_LABELS.items():
            cells = []
            for c in head:
                e = c["systems"].get(n)
                if e is None:
                    cells.append("")
                elif "median_s" in e:
                    cells.append("%s (%.2f)%s" % (fmt_ms(e["median_s"]), e["x_floor"],
                                                  "" if e.get("agrees") else " DISAGREES"))
                else:
                    cells.append("n/a")
            if any(cells):
                L.append("| %s | %s |" % (label, " | ".join(cells)))
        L.append("| **GEMM floor** (fastest GEMM at the gradient's shapes) | %s |" % " | ".join(
            "%s (%s, %.1f GFLOP/s)" % (fmt_ms(c["floor_s"]), SOURCE_LABELS[c["floor_source"]],
                                       c["floor_gflops"]) for c in head))
        for src, label in SOURCE_LABELS.items():
            if all(src in c["floors_gflops"] for c in head):
                L.append("| GEMM time at %s's best rate | %s |" % (label, " | ".join(
                    "%s (%.1f GFLOP/s)" % (fmt_ms(c["gflop"] / c["floors_gflops"][src]),
                                           c["floors_gflops"][src]) for c in head)))
        if all(c.get("peak_s") for c in head):
            L.append("| FMA peak of the threads (measured clock) | %s |" % " | ".join(
                "%s (%.1f GFLOP/s)" % (fmt_ms(c["peak_s"]), c["peak_gflops"]) for c in head))
        L += ["", "scan-mlir optimised against the floor (median, min in brackets): " + "; ".join(
                  "%s %.2f (%.2f)" % (c["workload"], c["systems"]["scan-opt"]["x_floor"],
                                      c["systems"]["scan-opt"]["min_x_floor"])
                  for c in head if "median_s" in c["systems"].get("scan-opt", {}))]
        L.append("")
    for c in res["configs"]:
        L += ["## %s, T=%d, B=%d, D=%d (%s)" % (c["workload"], c["T"], c["B"], c["D"],
                                               ", ".join(c["groups"])), "",
              config_table(c), ""]
        for n in c["notes"] + c["failures"]:
            L.append("- " + n)
        if c["notes"] or c["failures"]:
            L.append("")
    if res["plots"]:
        L += ["## Plots", ""] + ["![%s](%s)" % (os.path.basename(p), os.path.basename(p))
                                 for p in res["plots"]] + [""]
    L += ["## Result", "", "FAILED:\n" + "\n".join("- " + f for f in res["failures"])
          if res["failures"] else "All gradients agree within the tolerance.", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def write_plots(prefix, res):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    paths = []
    # One colour per system in every plot.
    color = {n: plt.get_cmap("tab10")(i) for i, n in enumerate(SYSTEM_LABELS)}
    head = [c for c in res["configs"] if "headline" in c["groups"]]
    if head:
        fig, axes = plt.subplots(1, len(head), figsize=(5 * len(head), 4), squeeze=False)
        for ax, c in zip(axes[0], head):
            names = [n for n, e in c["systems"].items() if "median_s" in e]
            vals = [c["systems"][n]["median_s"] * 1e3 for n in names]
            ax.barh(range(len(names)), vals, color=[color[n] for n in names])
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels([SYSTEM_LABELS[n] for n in names], fontsize=8)
            for y, v in enumerate(vals):
                ax.text(v, y, " %.3g" % v, va="center", fontsize=7)
            ax.axvline(c["floor_s"] * 1e3, color="k", ls="--", label="GEMM floor")
            ax.invert_yaxis()
            ax.set_xlabel("median time per gradient (ms)")
            ax.set_title("%s  T=%d B=%d D=%d" % (c["workload"], c["T"], c["B"], c["D"]))
            ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(prefix + "-headline.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    for var, group in (("T", "T"), ("B", "B")):
        cs = [c for c in res["configs"] if group in c["groups"]]
        wls = sorted({c["workload"] for c in cs}, key=wl.WORKLOADS.index)
        if not wls:
            continue
        fig, axes = plt.subplots(1, len(wls), figsize=(5 * len(wls), 4), squeeze=False)
        for ax, w in zip(axes[0], wls):
            sub = sorted([c for c in cs if c["workload"] == w], key=lambda c: c[var])
            xs = [c[var] for c in sub]
            for n in SYSTEM_LABELS:
                pts = [(c[var], c["systems"][n]["median_s"] * 1e3) for c in sub
                       if "median_s" in c["systems"].get(n, {})]
                if pts:
                    ax.plot(*zip(*pts), marker="o", color=color[n], label=SYSTEM_LABELS[n])
            ax.plot(xs, [c["floor_s"] * 1e3 for c in sub], "k--", label="GEMM floor")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(xs)
            ax.set_xticks([], minor=True)
            ax.set_xticklabels([str(x) for x in xs])
            ax.set_xlabel(var)
            ax.set_ylabel("median time per gradient (ms)")
            ax.set_title("%s vs %s" % (w, var))
            ax.legend(fontsize=7)
        fig.tight_layout()
        paths.append(prefix + "-vs-%s.png" % var)
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def smoke_missing_rows(configs):
    """One failure per configuration and scan-mlir row without a timed,
    checked gradient (smoke mode)."""
    fails = []
    for c in configs:
        for n in ("scan-plain", "scan-opt"):
            e = c["systems"].get(n)
            if e is None or "median_s" not in e:
                fails.append("%s T=%d B=%d D=%d: %s did not run (%s)" % (
                    c["workload"], c["T"], c["B"], c["D"], n,
                    e["status"] if e else "no row"))
    return fails


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/peers.sh", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="bench/peers.sh itself also takes --threads=N (default 2), --no-build "
               "and --selftest; see bench/README.md.")
    p.add_argument("--smoke", action="store_true",
                   help="tiny shape, NumPy and scan-mlir only, no timing claims")
    p.add_argument("--workloads", default="rnn,gru,lstm",
                   help="workloads at the headline shape (default: %(default)s)")
    p.add_argument("--systems", default=None,
                   help="comma-separated subset of: " + ",".join(
                       ["scan"] + list(PY_SYSTEMS)) + " (default: all available)")
    p.add_argument("--shape", default="80,50,1000",
                   help="headline B,T,D (default: %(default)s)")
    p.add_argument("--sweep-workloads", default="rnn,gru",
                   help="workloads of the T and B sweeps (default: %(default)s; '' for none)")
    p.add_argument("--sweep-T", default="10,50,200", help="default: %(default)s")
    p.add_argument("--sweep-B", default="8,16,80", help="default: %(default)s")
    p.add_argument("--no-sweeps", action="store_true", help="headline shape only")
    p.add_argument("--headline-only", default="torch-compile",
                   help="systems run at the headline shape only, not in the sweeps "
                        "(default: %(default)s: it compiles each shape for minutes)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--rounds", type=int, default=None,
                   help="times every system runs its timed calls, each round in fresh "
                        "processes after all systems' previous round of the same cell "
                        "(default: 2, 1 with --smoke); min and median are over all "
                        "rounds' calls")
    p.add_argument("--rtol", type=float, default=1e-4,
                   help="largest accepted max|g-ref|/max|ref| (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None,
                   help="results folder (default: bench/results; a temporary one for --smoke)")
    p.add_argument("--scan-run", default=os.path.join(ROOT, "build", "bin", "scan-run"))
    p.add_argument("--scan-opt", default=os.path.join(ROOT, "build", "bin", "scan-opt"))
    p.add_argument("--timeout", type=int, default=1800, help="seconds per process")
    p.add_argument("--dry-run", action="store_true", help="print the plan and estimate only")
    p.add_argument("--perturb", default=None,
                   help="scale one system's gradients by 1.01 (checks that the run fails)")
    a = p.parse_args(argv)
    if a.smoke:
        a.shape = a.shape if a.shape != "80,50,1000" else "4,5,8"
        if a.systems is None:
            a.systems = "scan,numpy"
        a.no_sweeps = True
        a.repeat = min(a.repeat, 2)
    if a.rounds is None:
        a.rounds = 1 if a.smoke else 2
    a.shape = tuple(int(v) for v in a.shape.split(","))
    a.workloads = parse_list(a.workloads)
    a.sweep_workloads = [] if a.no_sweeps else parse_list(a.sweep_workloads)
    a.headline_only = set(parse_list(a.headline_only))
    for s in a.headline_only:
        if s not in PY_SYSTEMS:
            p.error("unknown system %r in --headline-only" % s)
    a.sweep_T = parse_list(a.sweep_T, int)
    a.sweep_B = parse_list(a.sweep_B, int)
    for w in a.workloads + a.sweep_workloads:
        if w not in wl.WORKLOADS:
            p.error("unknown workload %r" % w)
    if a.repeat < 1:
        p.error("--repeat must be >= 1")
    if a.rounds < 1:
        p.error("--rounds must be >= 1")
    return a


def main(argv):
    a = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    wall0 = time.time()
    machine = machine_info(a)
    out_dir = a.out or (tempfile.mkdtemp(prefix="scan-bench-smoke-") if a.smoke
                        else os.path.join(BENCH, "results"))
    os.makedirs(out_dir, exist_ok=True)

    wanted = parse_list(a.systems) if a.systems else ["scan"] + list(PY_SYSTEMS)
    for s in wanted:
        if s != "scan" and s not in PY_SYSTEMS:
            sys.exit("unknown system %r" % s)
    systems, skipped = [], {}
    for s in ["scan"] + list(PY_SYSTEMS):
        if s not in wanted:
            continue
        if s == "scan":
            systems += ["scan-plain", "scan-opt"]
        elif importlib.util.find_spec(SYSTEM_MODULES[s]) is None:
            skipped[s] = "not installed in this environment"
        else:
            systems.append(s)
    scan = ScanMlir(a.scan_run, a.scan_opt)
    if "scan-plain" in systems and scan.missing:
        log("scan-mlir: not available (%s); its rows are skipped" % scan.missing)
    elif "scan-plain" in systems and scan.missing_opt:
        log("scan-mlir optimized: not available (%s); its row is skipped" % scan.missing_opt)
    for s, why in skipped.items():
        log("%s: %s; skipped" % (s, why))

    plan = make_plan(a)
    tmp = tempfile.mkdtemp(prefix="scan-bench-")
    try:
        shapes = sorted({s for (w, T, B, D), _ in plan for s in gemm_shapes(w, T, B, D)})
        rate = measure_floors(a, scan, plan, shapes, tmp)
        best = max(x["gflops"] for x in rate["sources"]["numpy"])
        est = estimate_seconds(plan, [s for s in systems if not (
            s.startswith("scan-") and scan.missing)], best, a.warmup, a.repeat, a.headline_only,
            a.rounds)
        log("plan: %d configuration(s), systems: %s" % (len(plan), ", ".join(systems)))
        for (w, T, B, D), g in plan:
            log("  %-4s T=%-4d B=%-3d D=%-5d %6.1f GFLOP  (%s)" % (
                w, T, B, D, wl.gradient_gflop(w, T, B, D), ", ".join(g)))
        for src, rates in rate["sources"].items():
            log("sgemm, %s: %s" % (SOURCE_LABELS[src], ", ".join(
                "%dx%dx%d %.1f" % (x["M"], x["K"], x["N"], x["gflops"]) for x in rates)))
        if rate["fma_peak"]:
            log("FMA peak: %s" % fma_peak_text(rate["fma_peak"]).split(". Method")[0])
        log("best NumPy sgemm here: %.1f GFLOP/s; estimated wall time ~%.0f min (%.0f s)"
            % (best, est / 60, est))
        if a.dry_run:
            return 0
        if a.smoke:
            for w in a.workloads:
                e = wl.finite_difference_check(w)
                log("  float64 reference vs finite differences, %s: %.1e" % (w, e))
                if not e < 1e-6:
                    log("FAILED: the float64 reference of %s disagrees with finite "
                        "differences" % w)
                    return 1
        ran = []
        for w in wl.WORKLOADS:
            mine = [(k, g) for k, g in plan if k[0] == w]
            if not mine:
                continue
            log("running %s: %s" % (w, ", ".join("T=%d B=%d D=%d" % k[1:] for k, _ in mine)))
            ran += run_workload(a, w, mine, systems, scan, tmp)
        if not a.smoke and not scan.missing:
            try:
                rate["drift"] = measure_drift(a, plan, shapes, tmp, rate["sources"])
                worst = max(rate["drift"]["ratios"],
                            key=lambda r: abs(r["end_over_start"] - 1))
                log("kernel sgemm rates at the end over the start: %.2f to %.2f (%dx%dx%d, %s)"
                    % (min(r["end_over_start"] for r in rate["drift"]["ratios"]),
                       max(r["end_over_start"] for r in rate["drift"]["ratios"]),
                       worst["M"], worst["K"], worst["N"], worst["source"]))
            except (RuntimeError, ValueError, subprocess.SubprocessError, OSError) as e:
                rate["errors"]["drift"] = str(e)
                log("drift measurement failed: %s" % e)
        floor_rate = dict(rate, sources=fastest_rates(rate))
        configs = [finish_config(a, key, groups, rows, f64, floor_rate)
                   for key, groups, rows, f64 in ran]
        order = {k: i for i, (k, _) in enumerate(plan)}
        configs.sort(key=lambda c: order[(c["workload"], c["T"], c["B"], c["D"])])
        for c in configs:
            log("%s T=%d B=%d D=%d" % (c["workload"], c["T"], c["B"], c["D"]))
            for n, e in c["systems"].items():
                if "median_s" in e:
                    log("  %-38s median %9s ms  rel.err %.1e/%.1e  %s" % (
                        e["label"], fmt_ms(e["median_s"]),
                        max(e["rel_err"]["study"], e["rel_err_f64"]["study"]),
                        max(e["rel_err"]["normal"], e["rel_err_f64"]["normal"]), e["status"]))
                else:
                    log("  %-38s %s" % (e["label"], e["status"]))
            log("  %-38s floor  %9s ms  (%s, %.1f GFLOP/s)" % (
                "GEMM floor", fmt_ms(c["floor_s"]), SOURCE_LABELS[c["floor_source"]],
                c["floor_gflops"]))
            for f in c["failures"]:
                log("  FAIL " + f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    formulations = {}
    for c in configs:
        for n, e in c["systems"].items():
            f = e.get("info", {}).get("formulation")
            if f:
                formulations[n] = f
    backends = {}
    for c in configs:
        for n, e in c["systems"].items():
            info = e.get("info", {})
            if n in PY_SYSTEMS and "threadpools" in info and n not in backends:
                backends[n] = backend_text(info)
    if "scan-plain" in systems:
        formulations.setdefault("scan-plain", "build/bin/scan-run examples/<cell>.mlir "
                                "--entry=<cell>_grad --compare=plain,optimized")
    B, T, D = a.shape
    title = "%s-B%d-T%d-D%d%s" % (started.strftime("%Y-%m-%d"), B, T, D,
                                  "-smoke" if a.smoke else "")
    res = {"title": title, "started": started.strftime("%Y-%m-%d %H:%M"),
           "wall_s": time.time() - wall0, "estimated_s": est,
           "options": {k: v for k, v in vars(a).items()},
           "machine": machine, "sgemm": rate, "skipped": skipped,
           "scan_mlir": scan.missing or "available",
           "scan_mlir_optimized": scan.missing_opt or "available",
           "formulations": formulations, "backends": backends, "configs": configs,
           "failures": [f for c in configs for f in c["failures"]] + [
               "floor measurement %s failed: %s" % kv for kv in rate["errors"].items()]}
    if a.smoke and "scan-plain" in systems:
        # Smoke mode exists to check scan-mlir against NumPy: a scan-mlir row
        # that did not run (not built, not available, no result) fails it.
        for f in smoke_missing_rows(configs):
            log("  FAIL " + f)
            res["failures"].append(f)
    prefix = os.path.join(out_dir, title)
    res["plots"] = [] if a.smoke else write_plots(prefix, res)
    write_markdown(prefix + ".md", res)
    with open(prefix + ".json", "w") as f:
        json.dump(res, f, indent=1, default=str)
    log("wall time %.0f s (estimated %.0f s)" % (res["wall_s"], est))
    log("wrote %s.md and .json%s" % (prefix, "".join(", " + os.path.basename(p)
                                                      for p in res["plots"])))
    if res["failures"]:
        log("FAILED: %d disagreement(s) or failure(s)" % len(res["failures"]))
        return 1
    log("all gradients agree (tolerance %.0e)" % a.rtol)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
