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

HEADLINE = (80, 50, 1000)          # B, T, D of the study and examples/*.mlir
SCALES = ("study", "normal")

# Display order and labels. "scan-plain"/"scan-opt" run through scan-run.
SYSTEM_LABELS = {
    "scan-plain": "scan-mlir (scan-differentiate)",
    "scan-opt": "scan-mlir (+ scan-optimize)",
    "jax": "JAX jit(grad(lax.scan))",
    "pytensor": "PyTensor scan + grad",
    "pytensor-c": "PyTensor, C backend (CVM)",
    "torch": "PyTorch eager loop",
    "torch-nn.RNN": "PyTorch torch.nn.RNN",
    "numpy": "NumPy hand-optimised",
}
PY_SYSTEMS = ("jax", "pytensor", "pytensor-c", "torch", "torch-nn.RNN", "numpy")
# Systems whose GEMMs run in the system OpenBLAS (PyTensor's C code links
# -lopenblas): they keep the machine's OPENBLAS_CORETYPE, as scan-run does.
SYSTEM_OPENBLAS = {"pytensor-c"}
SYSTEM_MODULES = {"jax": "jax", "pytensor": "pytensor", "pytensor-c": "pytensor",
                  "torch": "torch",
                  "torch-nn.RNN": "torch", "numpy": "numpy"}


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# Machine description
# ---------------------------------------------------------------------------

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
        "scheduling": ("SCHED_FIFO priority %d" % os.sched_getparam(0).sched_priority
                       if os.sched_getscheduler(0) == os.SCHED_FIFO else "normal (SCHED_OTHER)"),
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
            helptext = subprocess.run([self.scan_opt, "--help"], capture_output=True,
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
        p = subprocess.run(cmd, capture_output=True, text=True, env=system_openblas_env(),
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("scan-run exited %d: %s" % (
                p.returncode, (p.stderr.strip() or p.stdout.strip())[-600:]))
        out = p.stdout
        try:
            return json.loads(out[out.index("{"):])
        except ValueError:
            raise RuntimeError("scan-run printed no JSON: %s" % out[-300:])

    def run(self, workload, T, B, D, input_dir, work, warmup, repeat, timeout):
        """Returns {system: row} for scan-plain and scan-opt."""
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
        for sysname, var in variants:
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

def run_worker(system, workload, pairs, warmup, repeat, timeout):
    """One process for every shape of `workload`: rows in `pairs` order."""
    cmd = [sys.executable, os.path.join(BENCH, "peer_worker.py"), system, workload,
           str(warmup), str(repeat)] + [p for pair in pairs for p in pair]
    t0 = time.time()
    env = system_openblas_env() if system in SYSTEM_OPENBLAS else None
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
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
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("sgemm measurement failed: %s" % p.stderr[-800:])
    with open(os.path.join(out_dir, "result.json")) as f:
        return json.load(f)


def measure_system_sgemm(scan_run, shapes, out_dir, warmup, repeat, timeout):
    """The same sgemm shapes through scan-run, i.e. through scan-mlir's lowering
    and the system OpenBLAS it links (SCANRT_GEMM_KERNEL=0), so a second floor
    separates the BLAS build from scan-mlir's own overhead. None when scan-run
    is missing."""
    if not os.path.exists(scan_run):
        return None
    os.makedirs(out_dir, exist_ok=True)
    rates = []
    for (M, K, N) in shapes:
        path = os.path.join(out_dir, "sgemm_%d_%d_%d.mlir" % (M, K, N))
        with open(path, "w") as f:
            f.write("func.func @sgemm(%%a: tensor<%dx%dxf32>, %%b: tensor<%dx%dxf32>) "
                    "-> tensor<%dx%dxf32> {\n"
                    "  %%zero = arith.constant 0.0 : f32\n"
                    "  %%e = tensor.empty() : tensor<%dx%dxf32>\n"
                    "  %%c = linalg.fill ins(%%zero : f32) outs(%%e : tensor<%dx%dxf32>) "
                    "-> tensor<%dx%dxf32>\n"
                    "  %%p = linalg.matmul ins(%%a, %%b : tensor<%dx%dxf32>, tensor<%dx%dxf32>) "
                    "outs(%%c : tensor<%dx%dxf32>) -> tensor<%dx%dxf32>\n"
                    "  return %%p : tensor<%dx%dxf32>\n}\n" % (
                        M, K, K, N, M, N, M, N, M, N, M, N, M, K, K, N, M, N, M, N, M, N))
        cmd = [scan_run, path, "--entry=sgemm", "--variant=none", "--json",
               "--warmup=%d" % warmup, "--repeat=%d" % repeat]
        # Every product to OpenBLAS, not to the runtime's own kernel.
        env = dict(system_openblas_env(), SCANRT_GEMM_KERNEL="0")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("system sgemm measurement failed: %s" % p.stderr[-800:])
        v = json.loads(p.stdout)["variants"][0]
        best = v["time_s"]["min"]
        rates.append({"M": M, "K": K, "N": N, "gflops": 2e-9 * M * K * N / best})
    return rates


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


def estimate_seconds(plan, systems, rate_gflops, warmup, repeat):
    """Rough wall time: every system at half the best sgemm rate (warm-up,
    timed and normal-scale calls), the float64 reference at a quarter, plus
    start-up and compile costs: per process (one per system and workload)
    and per shape."""
    per_process = {"jax": 4.0, "pytensor": 60.0, "pytensor-c": 40.0, "torch": 4.0, "torch-nn.RNN": 4.0,
                   "numpy": 1.0}
    per_shape = {"jax": 3.0, "pytensor": 0.5, "pytensor-c": 0.5, "torch": 0.5, "torch-nn.RNN": 0.5,
                 "numpy": 0.1, "scan-plain": 15.0}
    total = 0.0
    for w in {k[0] for k, _ in plan}:
        for s in systems:
            if s in per_process and not (s == "torch-nn.RNN" and w != "rnn"):
                total += per_process[s]
    for (w, T, B, D), _ in plan:
        g = wl.gradient_gflop(w, T, B, D)
        call = g / (0.5 * rate_gflops)
        for s in systems:
            if s == "scan-opt" or (s == "torch-nn.RNN" and w != "rnn"):
                continue
            # scan-run: both variants timed, then three single calls
            calls = 2 * (warmup + repeat) + 3 if s == "scan-plain" else warmup + repeat + 1
            total += per_shape[s] + call * calls
        total += 2 * g / (0.25 * rate_gflops)     # float64 reference, 2 scales
    return total


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

    for s in systems:
        if s == "scan-opt" or (s == "torch-nn.RNN" and w != "rnn"):
            continue
        if s == "scan-plain":
            for key, _, work, input_dir, _, rows in prepared:
                if scan.missing:
                    for n in ("scan-plain", "scan-opt"):
                        rows[n] = {"status": "not available: " + scan.missing}
                    continue
                log("  scan-mlir, T=%d B=%d D=%d" % key[1:])
                try:
                    rows.update(scan.run(w, *key[1:], input_dir, os.path.join(work, "scan"),
                                         a.warmup, a.repeat, a.timeout))
                except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
                    for n in ("scan-plain", "scan-opt"):
                        rows[n] = {"status": "error: %s" % e}
            continue
        log("  %s, %d shape(s) ..." % (s, len(prepared)))
        t0 = time.time()
        pairs = [(input_dir, os.path.join(work, s)) for _, _, work, input_dir, _, _ in prepared]
        try:
            got = run_worker(s, w, pairs, a.warmup, a.repeat, a.timeout)
        except (subprocess.SubprocessError, OSError) as e:
            got = [{"status": "error: %s" % e}] * len(pairs)
        for (_, _, _, _, _, rows), r in zip(prepared, got):
            rows[s] = r
        log("  %s done in %.0f s" % (s, time.time() - t0))
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
    mem = [(SYSTEM_LABELS[n], ok_rows[n]["info"].get("call_extra_mib"))
           for n in ("scan-plain", "scan-opt") if n in ok_rows]
    if mem and all(v is not None for _, v in mem):
        notes.append("memory the calls add to the process (scan-run's peak RSS during the "
                     "calls over before them): " + ", ".join(
                         "%s %.0f MiB" % (label, v) for label, v in mem))
    for n, r in rows.items():
        if r.get("status", "").startswith("error"):
            fails.append("%s: %s" % (n, r["status"]))

    mine = set(gemm_shapes(w, T, B, D))
    floor_rate = max(x["gflops"] for x in rate["sgemm"] if (x["M"], x["K"], x["N"]) in mine)
    system_rates = [x["gflops"] for x in rate.get("system_sgemm") or []
                    if (x["M"], x["K"], x["N"]) in mine]
    gflop = wl.gradient_gflop(w, T, B, D)
    # The strictest floor: the best rate either OpenBLAS reached in this run
    # at any measured shape, whether or not the gradient runs that shape.
    best_rate = max(x["gflops"] for x in (rate["sgemm"] + (rate.get("system_sgemm") or [])))
    out = {"workload": w, "T": T, "B": B, "D": D, "groups": groups,
           "gflop": gflop, "floor_gflops": floor_rate, "floor_s": gflop / floor_rate,
           "best_floor_gflops": best_rate, "best_floor_s": gflop / best_rate,
           "system_floor_gflops": max(system_rates) if system_rates else None,
           "reference": ref_name, "notes": notes, "failures": fails, "systems": {}}
    for n in [s for s in SYSTEM_LABELS if s in rows]:
        r = rows[n]
        e = {"label": SYSTEM_LABELS[n]}
        if "times_s" in r:
            ts = sorted(r["times_s"])
            e.update({"min_s": ts[0], "median_s": float(np.median(ts)), "times_s": r["times_s"],
                      "gflops": gflop / float(np.median(ts)),
                      "x_floor": float(np.median(ts)) / out["floor_s"],
                      "x_best_floor": float(np.median(ts)) / out["best_floor_s"],
                      "min_x_best_floor": ts[0] / out["best_floor_s"],
                      "x_system_floor": (float(np.median(ts)) * out["system_floor_gflops"] / gflop
                                         if out["system_floor_gflops"] else None),
                      "compile_s": r.get("compile_s"),
                      "rel_err": r.get("rel_err"), "rel_err_f64": r.get("rel_err_f64"),
                      "agrees": r.get("agrees"), "status": "ok" if r.get("agrees") else "DISAGREES"})
            e["info"] = r.get("info", {})
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


def config_table(c):
    lines = ["| system | median ms | min ms | GFLOP/s | x floor | x system-BLAS floor "
             "| rel. err. study / normal | compile s | status |",
             "|---|---:|---:|---:|---:|---:|---|---:|---|"]
    for n, e in c["systems"].items():
        if "median_s" in e:
            err = "%.1e / %.1e" % (max(e["rel_err"]["study"], e["rel_err_f64"]["study"]),
                                   max(e["rel_err"]["normal"], e["rel_err_f64"]["normal"]))
            comp = compile_seconds(e.get("compile_s"))
            xs = e.get("x_system_floor")
            lines.append("| %s | %s | %s | %.1f | %.2f | %s | %s | %s | %s |" % (
                e["label"], fmt_ms(e["median_s"]), fmt_ms(e["min_s"]), e["gflops"],
                e["x_floor"], "" if xs is None else "%.2f" % xs, err,
                "" if comp is None else "%.1f" % comp, e["status"]))
        else:
            lines.append("| %s | | | | | | | | %s |" % (e["label"], e["status"]))
    lines.append("| GEMM floor (%.3g GFLOP at %.1f GFLOP/s) | %s | | %.1f | 1.00 | | | | |" % (
        c["gflop"], c["floor_gflops"], fmt_ms(c["floor_s"]), c["floor_gflops"]))
    if c.get("system_floor_gflops"):
        sf = c["gflop"] / c["system_floor_gflops"]
        lines.append("| system-BLAS GEMM floor (scan-run's OpenBLAS, %.1f GFLOP/s) | %s | | %.1f "
                     "| %.2f | 1.00 | | | |" % (c["system_floor_gflops"], fmt_ms(sf),
                                                c["system_floor_gflops"], sf / c["floor_s"]))
    return "\n".join(lines)


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
         "- scheduling of every timed process: %s" % m.get("scheduling", "normal"),
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
         "- sgemm (NumPy, best of %d): " % o["repeat"] + ", ".join(
             "%dx%dx%d %.1f GFLOP/s" % (x["M"], x["K"], x["N"], x["gflops"])
             for x in res["sgemm"]["sgemm"]),
         "- sgemm (system OpenBLAS through scan-run, best of %d): " % o["repeat"] + (", ".join(
             "%dx%dx%d %.1f GFLOP/s" % (x["M"], x["K"], x["N"], x["gflops"])
             for x in res["sgemm"].get("system_sgemm") or []) or "not measured"),
         "",
         "## Method", "",
         "Cost sum(h_T); float32; inputs drawn once per shape with a fixed seed (%d) and "
         "shared by every system as .npy files. Timed: %d warm-up call(s), then %d timed "
         "calls of the whole gradient (forward + backward) on the study's inputs "
         "(normal(0, 1e-4)); median and min reported. Agreement: every gradient is "
         "compared with the reference (%s) and with a float64 NumPy reverse-mode "
         "gradient, at the study's scale and at a normal scale (standard deviations: "
         "sequences 1, states 0.5, weights 1/sqrt(D)); the error shown is the larger of "
         "the two, max|g - ref| / max|ref| over the gradients; tolerance %.0e. The GEMM floor "
         "is the gradient's matmul GFLOP divided by the best NumPy sgemm rate measured in "
         "this run at the GEMM shapes a hoisted, merged gradient runs; the stricter floor "
         "at the run's best sgemm rate divides by the best rate either OpenBLAS (NumPy's, or "
         "the system's through scan-run) reached at any measured shape." % (
             o["seed"], o["warmup"], o["repeat"], res["configs"][0]["reference"]
             if res["configs"] else "-", o["rtol"]), ""]
    L += ["Formulations:", ""]
    for n, f in res["formulations"].items():
        L.append("- %s: %s" % (SYSTEM_LABELS.get(n, n), f))
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
        L.append("| GEMM floor | %s |" % " | ".join(fmt_ms(c["floor_s"]) for c in head))
        L.append("| GEMM floor at the run's best sgemm rate, any shape | %s |" % " | ".join(
            "%s (%.1f GFLOP/s)" % (fmt_ms(c["best_floor_s"]), c["best_floor_gflops"])
            for c in head))
        if all(c.get("system_floor_gflops") for c in head):
            L.append("| GEMM floor, system OpenBLAS (scan-run's) | %s |" % " | ".join(
                fmt_ms(c["gflop"] / c["system_floor_gflops"]) for c in head))
            L += ["", "scan-mlir against the system-BLAS floor (the same GFLOP at the best rate "
                  "the system OpenBLAS that scan-run links reaches through scan-run, same "
                  "shapes): " + "; ".join(
                      "%s plain %.2f, optimized %.2f" % (
                          c["workload"], c["systems"]["scan-plain"]["x_system_floor"],
                          c["systems"]["scan-opt"]["x_system_floor"])
                      for c in head if "median_s" in c["systems"].get("scan-opt", {})
                      and "median_s" in c["systems"].get("scan-plain", {}))]
        L += ["", "scan-mlir optimised against the floor at the run's best sgemm rate (median, "
              "min in brackets): " + "; ".join(
                  "%s %.2f (%.2f)" % (c["workload"], c["systems"]["scan-opt"]["x_best_floor"],
                                      c["systems"]["scan-opt"]["min_x_best_floor"])
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
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeat", type=int, default=5)
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
    a.shape = tuple(int(v) for v in a.shape.split(","))
    a.workloads = parse_list(a.workloads)
    a.sweep_workloads = [] if a.no_sweeps else parse_list(a.sweep_workloads)
    a.sweep_T = parse_list(a.sweep_T, int)
    a.sweep_B = parse_list(a.sweep_B, int)
    for w in a.workloads + a.sweep_workloads:
        if w not in wl.WORKLOADS:
            p.error("unknown workload %r" % w)
    if a.repeat < 1:
        p.error("--repeat must be >= 1")
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
        rate = measure_sgemm(shapes, os.path.join(tmp, "gemm"), 2, max(a.repeat, 3), a.timeout)
        if "scan-plain" in systems and not scan.missing:
            rate["system_sgemm"] = measure_system_sgemm(
                a.scan_run, shapes, os.path.join(tmp, "system-gemm"), 2, max(a.repeat, 3),
                a.timeout)
        best = max(x["gflops"] for x in rate["sgemm"])
        est = estimate_seconds(plan, [s for s in systems if not (
            s.startswith("scan-") and scan.missing)], best, a.warmup, a.repeat)
        log("plan: %d configuration(s), systems: %s" % (len(plan), ", ".join(systems)))
        for (w, T, B, D), g in plan:
            log("  %-4s T=%-4d B=%-3d D=%-5d %6.1f GFLOP  (%s)" % (
                w, T, B, D, wl.gradient_gflop(w, T, B, D), ", ".join(g)))
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
        configs = []
        for w in wl.WORKLOADS:
            mine = [(k, g) for k, g in plan if k[0] == w]
            if not mine:
                continue
            log("running %s: %s" % (w, ", ".join("T=%d B=%d D=%d" % k[1:] for k, _ in mine)))
            for key, groups, rows, f64 in run_workload(a, w, mine, systems, scan, tmp):
                configs.append(finish_config(a, key, groups, rows, f64, rate))
        order = {k: i for i, (k, _) in enumerate(plan)}
        configs.sort(key=lambda c: order[(c["workload"], c["T"], c["B"], c["D"])])
        for c in configs:
            log("%s T=%d B=%d D=%d" % (c["workload"], c["T"], c["B"], c["D"]))
            for n, e in c["systems"].items():
                if "median_s" in e:
                    log("  %-32s median %9s ms  rel.err %.1e/%.1e  %s" % (
                        e["label"], fmt_ms(e["median_s"]),
                        max(e["rel_err"]["study"], e["rel_err_f64"]["study"]),
                        max(e["rel_err"]["normal"], e["rel_err_f64"]["normal"]), e["status"]))
                else:
                    log("  %-32s %s" % (e["label"], e["status"]))
            log("  %-32s floor  %9s ms" % ("GEMM floor", fmt_ms(c["floor_s"])))
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
           "formulations": formulations, "configs": configs,
           "failures": [f for c in configs for f in c["failures"]]}
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
