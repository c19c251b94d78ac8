"""The study's experiments, one rewrite at a time (started by bench/study.sh).

For the simple and the gated RNN, each row of the study's table is a
scan-run variant, a pipeline string, timed side by side with the others in
one scan-run process on the same inputs; the study's own times sit in a
column beside ours. Each row's matmuls per step and matmul GFLOP come from
scan-opt's `scan-optimize{report=true}` census. Every row's results are
compared normwise (max|row - plain| / max|plain|) with the plain gradient's,
at the study's input scale (the timed run) and at a normal scale (weights
~ 1/sqrt(D), one untimed call); a row beyond --rtol fails the run.

The "dotspeed" grid (CPU only) times the matmul shapes the rewrites trade,
each program as written (`none`) against the pass that rewrites it, on the
runtime's GEMM kernel (SCANRT_GEMM_KERNEL=1) and on OpenBLAS
(SCANRT_GEMM_KERNEL=0). Only the Python standard library is used.
"""

import argparse
import dataclasses
import datetime
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
HEADLINE = (80, 50, 1000)  # B, T, D of the study and of examples/*.mlir

# The clean-up scan-optimize runs around its rewrites (canonicalisation,
# CSE, loop-invariant code motion). A rewrite alone sees the IR that
# scan-differentiate leaves, so each partial row runs it too, and the
# "plain + clean-up" row shows what the clean-up alone is worth.
CLEANUP = "canonicalize,cse,func.func(loop-invariant-code-motion)"


def module_pipeline(*parts):
    return "builtin.module(%s)" % ",".join(parts)


def fn(*passes):
    return "func.func(%s)" % ",".join(passes)


@dataclasses.dataclass
class Row:
    """One line of the study's table: a scan-run variant."""
    label: str
    pipeline: str
    study_s: Optional[float] = None  # the study's time for 50 calls


@dataclasses.dataclass
class Cell:
    name: str                 # rnn or gru: examples/<name>.mlir
    title: str
    rows: List[Row]
    normal_scales: List[str]  # per argument of @<name>_grad, as multiples of 1/sqrt(D) or numbers
    study_note: str


PLAIN = module_pipeline("scan-differentiate")
EVERYTHING = module_pipeline("scan-differentiate", "scan-optimize")

CELLS = [
    Cell("rnn", "Simple RNN (gradient w.r.t. W)", [
        Row("plain (`scan-differentiate`)", PLAIN, 4.73),
        Row("plain + clean-up", module_pipeline("scan-differentiate", CLEANUP)),
        Row("+ accumulated-matmul hoisting", module_pipeline(
            "scan-differentiate", CLEANUP,
            fn("scan-hoist-accumulated-matmuls"), CLEANUP), 2.79),
        Row("+ everything (`scan-optimize`)", EVERYTHING),
    ], ["1", "0.5", "w", ], "the study's optimised simple RNN is the hoisting alone"),
    Cell("gru", "Gated RNN (gradients w.r.t. U, V, W)", [
        Row("plain (`scan-differentiate`)", PLAIN, 15.0),
        Row("plain + clean-up", module_pipeline("scan-differentiate", CLEANUP)),
        Row("+ accumulated-matmul hoisting", module_pipeline(
            "scan-differentiate", CLEANUP,
            fn("scan-hoist-accumulated-matmuls"), CLEANUP)),
        Row("+ hoisting, matmul merging", module_pipeline(
            "scan-differentiate", CLEANUP,
            fn("scan-hoist-accumulated-matmuls", "scan-merge-matmuls"),
            CLEANUP)),
        Row("+ hoisting, merging, recomputation elimination", module_pipeline(
            "scan-differentiate", CLEANUP,
            fn("scan-eliminate-recomputation", "canonicalize",
               "scan-hoist-accumulated-matmuls", "scan-merge-matmuls"),
            CLEANUP), 8.82),
        Row("+ everything (`scan-optimize`: also input projections, "
            "stacked concatenations, to a fixed point)", EVERYTHING),
    ], ["1", "1", "1", "0.5", "w", "w", "w"],
        "the study gives only the end points; its last step was the "
        "recomputation elimination"),
]


@dataclasses.dataclass
class Dot:
    """One pair of the dotspeed grid: a program as written, and rewritten."""
    name: str       # bench/inputs/study/<name>.mlir, entry @<name with _>
    what: str
    rewrite: str    # the pipeline that rewrites it
    scales: List[str]


DOTS = [
    Dot("merge-lhs", "x_t.U and x_t.V (2 x BxDxD) against x_t.[U V] (Bx Dx2D), per step",
        module_pipeline(fn("scan-merge-matmuls")), ["1", "w", "w"]),
    Dot("merge-sum", "e_t.U^T + f_t.V^T (2 x BxDxD) against [e_t f_t].[U V]^T "
        "(Bx2DxD), per step", module_pipeline(fn("scan-merge-matmuls")),
        ["1", "1", "w", "w"]),
    Dot("accumulate", "T accumulated A_t^T.B_t (DxBxD) against one DxTBxD after the loop",
        module_pipeline(fn("scan-hoist-accumulated-matmuls")), ["1", "1"]),
]
BLAS_MODES = [("kernel", "1"), ("OpenBLAS", "0")]


def log(msg):
    print("study: " + msg, file=sys.stderr, flush=True)


def reshape_module(src, dst, B, T, D):
    """Writes `src` (at the headline shape) with its tensor types at (B, T, D)."""
    hB, hT, hD = HEADLINE
    mapping = {(hT, hB, hD): (T, B, D), (hB, hD): (B, D), (hD, hD): (D, D)}
    with open(src) as f:
        text = f.read()

    def repl(m):
        dims = tuple(int(d) for d in m.group(1).split("x") if d)
        if dims not in mapping:
            raise ValueError("unexpected tensor shape %s in %s" % (m.group(0), src))
        return "tensor<%sxf32>" % "x".join(str(d) for d in mapping[dims])
    with open(dst, "w") as f:
        f.write(re.sub(r"tensor<((?:\d+x)+)f32>", repl, text))


def scales(spec, D):
    return ",".join("%.6g" % (D ** -0.5) if s == "w" else s for s in spec)


def read_npy(path):
    """The values of a little-endian f32/f64 .npy file, as a flat list."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError("%s is not a .npy file" % path)
    major = data[6]
    if major == 1:
        hlen, start = struct.unpack("<H", data[8:10])[0], 10
    else:
        hlen, start = struct.unpack("<I", data[8:12])[0], 12
    header = data[start:start + hlen].decode("latin1")
    kind = re.search(r"'descr':\s*'([<|]f[48])'", header).group(1)
    body = data[start + hlen:]
    fmt = "f" if kind.endswith("4") else "d"
    return struct.unpack("<%d%s" % (len(body) // struct.calcsize(fmt), fmt), body)


def scan_run(args, module, entry, variants, warmup, repeat, extra=(), env=None,
             out_dir=None):
    cmd = [args.scan_run, module, "--entry=" + entry,
           "--compare=" + ",".join(variants), "--json",
           "--warmup=%d" % warmup, "--repeat=%d" % repeat] + list(extra)
    if args.target == "cuda":
        cmd.append("--target=cuda")
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        cmd.append("--output-dir=" + out_dir)
    p = subprocess.run(cmd, capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    if p.returncode != 0:
        raise RuntimeError("scan-run exited %d: %s\ncommand: %s" % (
            p.returncode, (p.stderr.strip() or p.stdout.strip())[-1500:],
            " ".join(cmd)))
    out = p.stdout
    return json.loads(out[out.index("{"):])


def normwise_errors(report, out_dir, entry):
    """Per variant: max over results of max|v - ref| / max|ref|, the first
    variant being the reference (whose results are in out_dir)."""
    refmax = []
    for o in report["variants"][0]["outputs"]:
        vals = read_npy(os.path.join(out_dir, "%s.%d.npy" % (entry, o["index"])))
        refmax.append(max((abs(v) for v in vals), default=0.0))
    errs = {}
    for v in report["variants"]:
        worst = 0.0
        for o, m in zip(v["outputs"], refmax):
            diff = o.get("max_abs_diff")
            if diff is None:  # NaN, or the reference itself
                diff = 0.0 if v is report["variants"][0] else float("inf")
            if o.get("nan_elements") or o.get("inf_elements"):
                diff = float("inf")
            worst = max(worst, diff / m if m > 0 else diff)
        errs[v["name"]] = worst
    return errs


def census(args, module, pipeline):
    """Matmuls per step (forward, backward), outside scans, and matmul
    GFLOP of the differentiated function after `pipeline`, from a
    `scan-optimize{max-iterations=0 report=true}` that rewrites nothing."""
    inner = pipeline[len("builtin.module("):-1]
    p = subprocess.run([args.scan_opt, module, "-o", os.devnull,
                        "--pass-pipeline=builtin.module(%s,scan-optimize{"
                        "max-iterations=0 report=true})" % inner],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("scan-opt failed on %s: %s" % (pipeline, p.stderr[-800:]))
    best = None
    for block in re.split(r"\n  (?=@)", p.stderr):
        if not block.startswith("@"):
            continue
        name = block.split()[0]
        steps = re.findall(r"scan \d+ \((\w+), \d+ steps\) matmuls\s+\S+\s+(\d+)/step", block)
        outside = re.search(r"matmuls outside scans\s+\d+\s+(\d+)", block)
        gflop = re.search(r"matmul GFLOP per call\s+\S+\s+(\S+)", block)
        entry = {"function": name,
                 "per_step": [{"loop": d, "matmuls": int(n)} for d, n in steps],
                 "outside": int(outside.group(1)) if outside else 0,
                 "gflop": float(gflop.group(1)) if gflop else 0.0}
        # The gradient function: it has the most scans (the forward and the
        # backward), and the most GFLOP among those.
        key = (len(entry["per_step"]), entry["gflop"])
        if best is None or key > (len(best["per_step"]), best["gflop"]):
            best = entry
    return best


def fmt_census(c):
    if not c:
        return "", ""
    steps = " + ".join("%d %s" % (s["matmuls"], "fwd" if s["loop"] == "forward" else "bwd")
                       for s in c["per_step"])
    return "%s; %d after" % (steps, c["outside"]), "%.3g" % c["gflop"]


def median(values):
    t = sorted(values)
    n = len(t)
    return t[n // 2] if n % 2 else 0.5 * (t[n // 2 - 1] + t[n // 2])


@dataclasses.dataclass
class Timed:
    """A variant's calls, round by round, and its largest normwise error."""
    rounds: List[List[float]]
    error: float
    gflop: Optional[float]
    compile_s: List[dict]

    @property
    def times_s(self):
        return [t for r in self.rounds for t in r]

    @property
    def median_s(self):
        return median(self.times_s)

    @property
    def min_s(self):
        return min(self.times_s)

    def speedups(self, other):
        """How many times faster this variant is than `other`: by the
        medians, by the mins, and the median over rounds of the ratio of
        the two round medians (variants of one round ran within seconds of
        each other, so a load that comes and goes cancels there)."""
        return {"median": other.median_s / self.median_s,
                "min": other.min_s / self.min_s,
                "per_round": median([median(o) / median(s) for s, o in
                                     zip(self.rounds, other.rounds)])}


def timed_rounds(args, module, entry, variants, extra, out_dir, envs=({},)):
    """Times the variants (and each environment of `envs`) side by side:
    --rounds scan-run calls of --repeat/--rounds timed calls each, the
    variants (then the environments) taking turns, so that a change in the
    machine's load falls on every row alike. Each scan-run starts with the
    first variant as an untimed reference (what the others are compared
    with), and the variants follow it in an order rotated by one each round,
    so that none is always the first or the last of a process. Returns, per
    environment, a Timed per variant."""
    per_round = max(1, -(-args.repeat // args.rounds))
    got = [{v: Timed([], 0.0, None, []) for v in variants} for _ in envs]
    done = 0
    turn = 0
    while done < args.repeat:
        n = min(per_round, args.repeat - done)
        order = variants[turn % len(variants):] + variants[:turn % len(variants)]
        turn += 1
        for env, timed in zip(envs, got):
            rep = scan_run(args, module, entry, ["reference=" + variants[0]] + order,
                           args.warmup, n, extra, env=env, out_dir=out_dir)
            errs = normwise_errors(rep, out_dir, entry)
            for v in rep["variants"][1:]:
                t = timed[v["name"]]
                t.rounds.append(v["time_s"].get("all") or [v["time_s"]["median"]] * n)
                t.error = max(t.error, errs[v["name"]])
                t.gflop = v.get("gflop")
                t.compile_s.append(v.get("compile_s"))
        done += n
    return got


def run_cell(args, cell, work, failures):
    B, T, D = args.shape
    module = os.path.join(work, "%s.mlir" % cell.name)
    reshape_module(os.path.join(ROOT, "examples", cell.name + ".mlir"), module, B, T, D)
    entry = cell.name + "_grad"
    variants = [r.pipeline for r in cell.rows]
    log("%s: timing %d rows, %d calls each in %d rounds" % (
        cell.name, len(variants), args.repeat, args.rounds))
    t0 = time.time()
    timed = timed_rounds(args, module, entry, variants,
                         ["--random-seed=%d" % args.seed, "--random-scale=1e-4"],
                         os.path.join(work, cell.name + "-study"))[0]
    normal_dir = os.path.join(work, cell.name + "-normal")
    log("%s: agreement at the normal scale (one call per row)" % cell.name)
    nrep = scan_run(args, module, entry, variants, 0, 1,
                    ["--random-seed=%d" % (args.seed + 100),
                     "--random-scale=" + scales(cell.normal_scales, D)],
                    out_dir=normal_dir)
    normal_err = normwise_errors(nrep, normal_dir, entry)
    plain = timed[variants[0]]
    rows = []
    for r in cell.rows:
        v = timed[r.pipeline]
        c = census(args, module, r.pipeline) if args.scan_opt else None
        err = max(v.error, normal_err[r.pipeline])
        if not err <= args.rtol:
            failures.append("%s row '%s' disagrees with plain: normwise error %.3g > %g"
                            % (cell.name, r.label, err, args.rtol))
        rows.append({"label": r.label, "pipeline": r.pipeline,
                     "median_s": v.median_s, "min_s": v.min_s,
                     "rounds_s": v.rounds, "speedup": v.speedups(plain),
                     "scan_run_gflop": v.gflop, "census": c,
                     "compile_s": v.compile_s,
                     "study_50_calls_s": r.study_s,
                     "error_study_scale": v.error,
                     "error_normal_scale": normal_err[r.pipeline]})
    study_plain = cell.rows[0].study_s
    for row in rows:
        s = row["study_50_calls_s"]
        row["study_speedup"] = study_plain / s if s else None
    return {"cell": cell.name, "title": cell.title, "note": cell.study_note,
            "module": os.path.relpath(module, work), "entry": entry,
            "wall_s": time.time() - t0, "rows": rows}


def run_dots(args, work, failures):
    D = args.shape[2]
    results = []
    for dot in DOTS:
        entry = dot.name.replace("-", "_")
        configs = ([(T, B) for T in args.dot_T for B in args.dot_B]
                   if dot.name == "accumulate" else [(args.shape[1], B) for B in args.dot_B])
        for T, B in configs:
            module = os.path.join(work, "%s-T%d-B%d.mlir" % (dot.name, T, B))
            reshape_module(os.path.join(BENCH, "inputs", "study", dot.name + ".mlir"),
                           module, B, T, D)
            entry_res = {"program": dot.name, "what": dot.what, "T": T, "B": B, "D": D,
                         "variants": ["none", dot.rewrite], "modes": {}}
            log("dotspeed %s T=%d B=%d, kernel and OpenBLAS taking turns" % (dot.name, T, B))
            envs = [{"SCANRT_GEMM_KERNEL": value} for _, value in BLAS_MODES]
            got = timed_rounds(args, module, entry, ["none", dot.rewrite],
                               ["--random-seed=%d" % args.seed,
                                "--random-scale=" + scales(dot.scales, D)],
                               os.path.join(work, "%s-T%d-B%d" % (dot.name, T, B)), envs)
            for (mode, value), timed in zip(BLAS_MODES, got):
                v0, v1 = timed["none"], timed[dot.rewrite]
                if not v1.error <= args.rtol:
                    failures.append("dotspeed %s T=%d B=%d (%s): rewritten disagrees: %.3g"
                                    % (dot.name, T, B, mode, v1.error))
                entry_res["modes"][mode] = {
                    "env": "SCANRT_GEMM_KERNEL=" + value,
                    "as_written": {"median_s": v0.median_s, "min_s": v0.min_s,
                                   "gflop": v0.gflop, "rounds_s": v0.rounds},
                    "rewritten": {"median_s": v1.median_s, "min_s": v1.min_s,
                                  "gflop": v1.gflop, "rounds_s": v1.rounds},
                    "speedup": v1.speedups(v0), "error": v1.error}
            results.append(entry_res)
    return results


def machine(args):
    info = {"date_utc": datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"), "host_cores": os.cpu_count(),
        "platform": platform.platform(), "target": args.target,
        "scan_run": args.scan_run, "load_average_start": os.getloadavg()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1) if m else "?"
    except OSError:
        info["cpu"] = "?"
    for var in ("SCANRT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "OPENBLAS_CORETYPE"):
        if var in os.environ:
            info[var] = os.environ[var]
    # A bundle's scan-run (bench/gpu-bundle.sh) says which commit it was
    # built from; the checkout it runs in may be another one.
    bundle_commit = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(args.scan_run))), "COMMIT")
    try:
        if os.path.isfile(bundle_commit):
            info["commit"] = open(bundle_commit).read().strip()[:7] + " (scan-run's bundle)"
        else:
            info["commit"] = subprocess.run(
                ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                capture_output=True, text=True).stdout.strip()
    except OSError:
        info["commit"] = "?"
    return info


def ms(s):
    return "%.1f" % (s * 1e3) if s >= 0.01 else "%.3f" % (s * 1e3)


def markdown(res, args):
    m = res["machine"]
    B, T, D = args.shape
    out = ["# The study's experiments, one rewrite at a time (%s)" % m["date_utc"], ""]
    out.append("Made by `%s`; commit %s; %s, %s cores; %s; load average at the start "
               "%.2f %.2f %.2f, at the end %.2f %.2f %.2f. Float32, B=%d, T=%d, D=%d; "
               "timed on inputs normal(0, 1e-4) (the study's), %d calls per row in "
               "%d rounds, each round one scan-run process that runs every row of a "
               "table in turn (%d untimed calls, then its share of the timed calls), "
               "after an untimed plain reference and in an order rotated each round, "
               "so that changes in the machine's load fall on all rows alike. Timings "
               "mean something only on an otherwise idle machine: check the load "
               "averages against the cores." % (
                   res["command"], m.get("commit", "?"), m.get("cpu", "?"),
                   m["host_cores"], "target " + m["target"],
                   *m["load_average_start"], *m["load_average_end"], B, T, D,
                   args.repeat, args.rounds, args.warmup))
    out.append("")
    out.append("Study: 50 calls on a Quadro K6000 (Theano). Ours: median (min) ms of one "
               "call, and the median x50 for the study's 50 calls. Speed-up: plain's time "
               "over the row's; ours by the medians, by the mins, and per round (the "
               "median over rounds of plain's round median over the row's: rows of one "
               "round ran within seconds of each other). Error: max|row - plain| / "
               "max|plain|, the larger of the timed inputs and a normal-scale set "
               "(weights ~ 1/sqrt(D)).")
    for cell in res["cells"]:
        out += ["", "## " + cell["title"], "",
                "| row | matmuls per step; after the loops | matmul GFLOP | study 50 calls s "
                "| ours median (min) ms | ours x50 s | study speed-up | our speed-up: medians "
                "| mins | per round | error |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in cell["rows"]:
            per_step, gflop = fmt_census(r["census"])
            study = r["study_50_calls_s"]
            sp = r["speedup"]
            out.append("| %s | %s | %s | %s | %s (%s) | %.2f | %s | %.2fx | %.2fx | %.2fx "
                       "| %.1e |" % (
                r["label"], per_step or "(no scan-opt)", gflop or "",
                "%.2f" % study if study else "", ms(r["median_s"]), ms(r["min_s"]),
                r["median_s"] * 50,
                "%.2fx" % r["study_speedup"] if r["study_speedup"] else "",
                sp["median"], sp["min"], sp["per_round"],
                max(r["error_study_scale"], r["error_normal_scale"])))
        out += ["", "Study column: %s." % cell["note"], "", "Pipelines (scan-run "
                "`--compare` labels; rerun one with `build/bin/scan-run examples/%s.mlir "
                "--entry=%s --random-scale=1e-4 --repeat=%d --compare='PLAIN,ROW'`):"
                % (cell["cell"], cell["entry"], args.repeat), ""]
        for r in cell["rows"]:
            out.append("- %s: `%s`" % (r["label"], r["pipeline"]))
    if res.get("dotspeed"):
        out += ["", "## Dotspeed: the shapes the rewrites trade", "",
                "Each program (`bench/inputs/study/<program>.mlir`, tensor types rewritten "
                "to T, B; D=%d) as written (`none`) against the rewriting pass, on the "
                "runtime's GEMM kernel (`SCANRT_GEMM_KERNEL=1`) and on OpenBLAS "
                "(`SCANRT_GEMM_KERNEL=0`), the four taking turns in the same rounds; "
                "median (min) ms of one call of %d; speed-up = as written / rewritten, "
                "by the medians / by the mins / per round. Inputs: sequences normal(0, 1), weights normal(0, 1/sqrt(D))."
                % (D, args.repeat), "",
                "| program | T | B | kernel: as written | kernel: rewritten | kernel speed-up "
                "| OpenBLAS: as written | OpenBLAS: rewritten | OpenBLAS speed-up |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for d in res["dotspeed"]:
            cols = []
            for mode, _ in BLAS_MODES:
                x = d["modes"][mode]
                a, b = x["as_written"], x["rewritten"]
                cols += ["%s (%s)" % (ms(a["median_s"]), ms(a["min_s"])),
                         "%s (%s)" % (ms(b["median_s"]), ms(b["min_s"])),
                         "%.2fx / %.2fx / %.2fx" % (x["speedup"]["median"], x["speedup"]["min"],
                                                   x["speedup"]["per_round"])]
            out.append("| %s | %d | %d | %s |" % (d["program"], d["T"], d["B"], " | ".join(cols)))
        out += [""]
        seen = set()
        for d in res["dotspeed"]:
            if d["program"] in seen:
                continue
            seen.add(d["program"])
            out.append("- `%s`: %s; `--compare='none,%s'`" % (d["program"], d["what"],
                                                                d["variants"][1]))
    elif res.get("dotspeed_skipped"):
        out += ["", "Dotspeed: " + res["dotspeed_skipped"]]
    if res["failures"]:
        out += ["", "## FAILURES", ""] + ["- " + f for f in res["failures"]]
    return "\n".join(out) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scan-run", required=True)
    p.add_argument("--scan-opt", default="")
    p.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--shape", default="80,50,1000", help="B,T,D")
    p.add_argument("--dot-T", default="10,50,200")
    p.add_argument("--dot-B", default="8,80")
    p.add_argument("--cells", default="rnn,gru")
    p.add_argument("--no-dotspeed", action="store_true")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeat", type=int, default=50)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--command", default="bench/study.sh")
    a = p.parse_args(argv)
    a.shape = tuple(int(x) for x in a.shape.split(","))
    a.dot_T = [int(x) for x in a.dot_T.split(",") if x]
    a.dot_B = [int(x) for x in a.dot_B.split(",") if x]
    return a


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    res = {"command": args.command, "machine": machine(args), "cells": [],
           "failures": []}
    work = tempfile.mkdtemp(prefix="scan-study-")
    try:
        for cell in CELLS:
            if cell.name in args.cells.split(","):
                res["cells"].append(run_cell(args, cell, work, res["failures"]))
        if args.no_dotspeed:
            res["dotspeed_skipped"] = "skipped (--no-dotspeed)"
        elif args.target != "cpu":
            res["dotspeed_skipped"] = ("skipped: it compares the CPU runtime's GEMM "
                                       "kernel with OpenBLAS, so it runs on the CPU only")
            log("dotspeed " + res["dotspeed_skipped"])
        else:
            res["dotspeed"] = run_dots(args, work, res["failures"])
    except RuntimeError as e:
        res["failures"].append(str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["machine"]["load_average_end"] = os.getloadavg()
    name = args.name or "study-%s%s" % (datetime.date.today().isoformat(),
                                        "" if args.target == "cpu" else "-" + args.target)
    md_path = os.path.join(args.out, name + ".md")
    with open(md_path, "w") as f:
        f.write(markdown(res, args))
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    sys.stdout.write(markdown(res, args))
    log("wrote %s and %s.json" % (md_path, name))
    for f in res["failures"]:
        log("FAILED: " + f)
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
