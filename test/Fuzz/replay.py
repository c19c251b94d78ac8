#!/usr/bin/env python3
"""Replays a fuzzing corpus through scan-opt: every file, with every pipeline
the fuzz harness and scan-run use, must end in exit code 0 or in exit code 1
with a diagnostic on stderr; a signal (crash, sanitizer abort), any other
exit code, a silent failure or a hang fails the replay.

Usage: replay.py SCAN_OPT CORPUS_DIR"""
import os
import subprocess
import sys

PIPELINES = [
    # What tools/scan-fuzz runs (its default pipeline).
    "builtin.module(canonicalize,cse,func.func(loop-invariant-code-motion),"
    "scan-differentiate,scan-optimize)",
    # scan-run's plain and optimized variants, lowered.
    "builtin.module(scan-differentiate,scan-lower-to-cpu)",
    "builtin.module(scan-differentiate,scan-optimize,scan-lower-to-cpu)",
]


def main():
    scan_opt, corpus = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".mlir"))
    if not files:
        print(f"replay: no .mlir files in {corpus}")
        return 1
    bad = 0
    for name in files:
        path = os.path.join(corpus, name)
        for pipeline in PIPELINES:
            cmd = [scan_opt, path, "--pass-pipeline=" + pipeline,
                   "-o", os.devnull]
            try:
                r = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, timeout=120)
            except subprocess.TimeoutExpired:
                print(f"replay: HANG: {name} with {pipeline}")
                bad += 1
                continue
            err = r.stderr.decode(errors="replace")
            if r.returncode == 0:
                continue
            if r.returncode == 1 and "error:" in err:
                continue
            what = (f"signal {-r.returncode}" if r.returncode < 0
                    else f"exit code {r.returncode}")
            print(f"replay: FAILED ({what}): {name} with {pipeline}")
            print("  " + "\n  ".join(err.strip().splitlines()[:8]))
            bad += 1
    print(f"replay: {len(files)} files x {len(PIPELINES)} pipelines, "
          f"{bad} failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
