#!/usr/bin/env python3
"""Differential testing of scan-differentiate and scan-optimize on random
programs.

For every seed in [start, start + count), test/Random/gen_scan_program.py
writes a random scan program (cost function + scan.grad entry) and
build/bin/scan-run checks on the CPU that
  1. f64: the variants (default plain,optimized) agree on the cost and on
     every gradient (--rtol/--atol), and every variant's gradient matches
     central finite differences (--check-grad);
  2. f32: the variants agree, with f32 tolerances.
scan-opt then runs scan-differentiate,scan-optimize on the f64 program and
the remarks of each optimisation pass are counted, so the summary shows how
often each rewrite fired.

Usage:
  scripts/difftest.py [--start=S] [--count=N] [--jobs=J] [--build=DIR]
                      [--variants=V1,V2] [--keep=DIR]
                      [--require-rewrites=PASS,...] [-v]

Prints one line per failing seed and program (the generator command that
reproduces it) and a summary; exits 1 when a check failed or a required
rewrite never fired. Python standard library only.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep test/Random free of __pycache__
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "Random"))
import gen_scan_program  # noqa: E402

# Remarks that mean a pass rewrote something (near-miss remarks say "not").
REWRITE_REMARKS = [
    ("scan-eliminate-recomputation", re.compile(r"remark: reads '")),
    ("scan-hoist-input-projections",
     re.compile(r"remark: hoisted input projection")),
    ("scan-hoist-accumulated-matmuls",
     re.compile(r"remark: hoisted accumulator")),
    ("scan-merge-matmuls", re.compile(r"remark: merged \d+ matmuls")),
]
# Near misses worth counting too: they show the negative structures occur.
MISSED_REMARKS = [
    ("accumulator read in body", re.compile(r"accumulator read in body")),
    ("input projection not hoisted",
     re.compile(r"input projection not hoisted")),
]

# (rtol, atol) of the variant comparison per element type.
TOLERANCES = {"f64": ("1e-9", "1e-11"), "f32": ("2e-4", "2e-5")}
# A gradient matches finite differences when max|g - fd| <= FD_RTOL * max|fd|
# + FD_ATOL. scan-run's own criterion (relative to max|fd|, floored at
# 1e-12) fails exact zero gradients that the optimised variant computes as
# +-1e-16 after reassociating a sum, and small gradients under the rounding
# noise of the differences (about 1e-16 |cost| / step); FD_ATOL covers that
# noise, far below any wrong gradient.
FD_RTOL = 1e-5
FD_ATOL = 1e-8
RANDOM_SCALE = "0.5"
TIMEOUT_S = 120


# The matrices are tiny and seeds run in parallel: one BLAS thread each, so
# that OpenBLAS threads do not oversubscribe a loaded machine.
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def run(cmd):
    """(exit code or "timeout", stdout, stderr). A call that hangs is run once
    more: a rare scan-run hang that a rerun does not repeat (see
    docs/Testing.md) is reported on stderr but does not fail the seed; two
    hangs in a row do."""
    for attempt in (1, 2):
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               timeout=TIMEOUT_S, env=ENV)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            sys.stderr.write("difftest: %s (attempt %d): no answer after %d s"
                             "%s\n" % (" ".join(cmd), attempt, TIMEOUT_S,
                                        ", running it again" if attempt == 1
                                        else ""))
    return "timeout", "", ""


def first_error(text):
    """The first error line, or for a crash the innermost scan-mlir frame."""
    lines = [l for l in text.splitlines() if "error" in l.lower()]
    if not lines:
        lines = [l.strip() for l in text.splitlines()
                 if re.match(r"\s*#\d+ ", l) and
                 ("scan::" in l or "anonymous namespace" in l)]
    return lines[0][:300] if lines else ""


def judge_scan_run(rc, out, err):
    """The reasons a scan-run --json call failed (empty when it passed)."""
    if rc == "timeout":
        return ["timeout after %d s" % TIMEOUT_S]
    if rc < 0:
        return ["crash (signal %d) %s" % (-rc, first_error(err))]
    try:
        report = json.loads(out)
    except ValueError:
        return ["exit code %d, no report: %s" % (rc, first_error(err))]
    reasons = []
    for failure in report.get("failures", []):
        if "finite differences" not in failure:
            reasons.append(failure)
    for variant in report.get("variants", []):
        for check in variant.get("check_grad", []):
            err_abs, fd = check.get("max_abs_err"), check.get("max_abs_fd")
            if err_abs is None or fd is None or \
                    err_abs > FD_RTOL * fd + FD_ATOL:
                reasons.append(
                    "gradient w.r.t. argument %s (variant '%s') differs from "
                    "finite differences: max |g - fd| %s, max |fd| %s"
                    % (check.get("arg"), variant.get("name"), err_abs, fd))
    if rc != 0 and not reasons:
        reasons.append("exit code %d: %s" % (rc, first_error(err)))
    return reasons


def check_seed(seed, opts, workdir):
    """Runs every check of one seed; returns (seed, failures, rewrites)."""
    failures = []  # (dtype, reason)
    bin_dir = os.path.join(opts.build, "bin")
    scan_run = os.path.join(bin_dir, "scan-run")
    scan_opt = os.path.join(bin_dir, "scan-opt")
    paths = {}
    for dtype in opts.dtypes:
        path = os.path.join(workdir, "seed%d.%s.mlir" % (seed, dtype))
        with open(path, "w") as f:
            f.write(gen_scan_program.generate(seed, dtype))
        paths[dtype] = path
        rtol, atol = TOLERANCES[dtype]
        cmd = [scan_run, path, "--entry=grad", "--compare=" + opts.variants,
               "--rtol=" + rtol, "--atol=" + atol,
               "--random-seed=%d" % seed, "--random-scale=" + RANDOM_SCALE,
               "--warmup=0", "--repeat=1", "--json", "-O%d" % opts.opt_level]
        if dtype == "f64":
            # Judged here, with an absolute floor (FD_ATOL).
            cmd += ["--check-grad", "--fd-rtol=1e300"]
        rc, out, err = run(cmd)
        if opts.verbose:
            sys.stdout.write("$ %s\n%s%s" % (" ".join(cmd), out, err))
        for reason in judge_scan_run(rc, out, err):
            failures.append((dtype, reason))

    rewrites = collections.Counter()
    if "f64" in paths:
        rc, out, err = run([scan_opt, paths["f64"], "--scan-differentiate",
                            "--scan-optimize", "-o", os.devnull])
        out = err
        if rc != 0:
            failures.append(("f64", "scan-opt --scan-differentiate "
                             "--scan-optimize failed: %s %s" % (
                                 "timeout" if rc == "timeout" else
                                 "signal %d" % -rc if rc < 0 else
                                 "exit code %d" % rc, first_error(err))))
        for name, pattern in REWRITE_REMARKS + MISSED_REMARKS:
            n = len(pattern.findall(out))
            if n:
                rewrites[name] = n
    if opts.keep and failures:
        os.makedirs(opts.keep, exist_ok=True)
        for dtype, path in paths.items():
            shutil.copy(path, opts.keep)
    return seed, failures, rewrites


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Differential testing of scan programs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--count", type=int, default=100, help="number of seeds")
    parser.add_argument("--seeds", default="",
                        help="comma-separated seeds to check instead of "
                             "--start/--count")
    parser.add_argument("--jobs", type=int, default=1,
                        help="seeds checked in parallel (each runs one "
                             "scan-run at a time)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="build directory holding bin/scan-run")
    parser.add_argument("--variants", default="plain,optimized",
                        help="scan-run --compare list; the first is the "
                             "reference")
    parser.add_argument("--dtypes", default="f64,f32")
    parser.add_argument("--opt-level", type=int, default=0,
                        help="LLVM optimisation level of scan-run's JIT "
                             "(0 compiles three times faster than 3; the "
                             "scan-mlir pipelines are the same)")
    parser.add_argument("--keep", help="copy failing programs here")
    parser.add_argument("--require-rewrites", default="",
                        help="passes that must rewrite at least one program")
    parser.add_argument("-v", "--verbose", action="store_true")
    opts = parser.parse_args(argv)
    opts.dtypes = [d for d in opts.dtypes.split(",") if d]

    if opts.seeds:
        seeds = [int(x) for x in opts.seeds.split(",") if x]
    else:
        seeds = list(range(opts.start, opts.start + opts.count))
    began = time.time()
    failed = {}
    fired = collections.Counter()  # programs in which each remark appeared
    totals = collections.Counter()  # remarks in all programs
    workdir = tempfile.mkdtemp(prefix="scan-difftest-")
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
            futures = [pool.submit(check_seed, s, opts, workdir) for s in seeds]
            for fut in futures:
                seed, failures, rewrites = fut.result()
                for name, n in rewrites.items():
                    fired[name] += 1
                    totals[name] += n
                if failures:
                    failed[seed] = failures
                    for dtype, reason in failures:
                        print("difftest: FAIL seed %d %s: %s" % (seed, dtype, reason))
                    print("  reproduce: python3 test/Random/gen_scan_program.py "
                          "--seed %d --dtype f64 > p.mlir && scan-run p.mlir "
                          "--entry=grad --compare=%s --random-seed=%d "
                          "--random-scale=%s --check-grad" % (
                              seed, opts.variants, seed, RANDOM_SCALE),
                          flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    n = len(seeds)
    span = "%d..%d" % (seeds[0], seeds[-1]) if seeds else "none"
    print("difftest: seeds %s: %d programs checked (%s, variants %s), "
          "%d failing, %.0f s" % (span, n,
                                  "+".join(opts.dtypes), opts.variants,
                                  len(failed), time.time() - began))
    if failed:
        print("difftest: failing seeds: %s" % " ".join(map(str, sorted(failed))))
    print("difftest: programs rewritten per pass (remarks in all programs):")
    for name, _ in REWRITE_REMARKS + MISSED_REMARKS:
        print("  %-34s %4d / %d (%d)" % (name, fired[name], n, totals[name]))
    missing = [p for p in opts.require_rewrites.split(",") if p and not fired[p]]
    if missing:
        print("difftest: no program was rewritten by %s" % ", ".join(missing))
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
