"""A stand-in for build/bin/scan-run, used only by `bench/peers.sh --selftest`
to exercise the harness's scan-run plumbing (arguments, .npy inputs and
outputs, --json report) before the real tool exists. It implements the small
part of the scan-run contract the harness uses, computing the gradient of
@<cell>_grad with the float32 NumPy hand-optimised pass.

FAKE_SCAN_RUN_PERTURB=<variant> scales that variant's gradients by 1.01, so
that the self-test can check that a disagreement fails the run.
"""

import json
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import workloads as wl  # noqa: E402


def timing_report(module, entry, run, opts):
    """The --json report of `run()` timed as scan-run times a variant."""
    times = []
    for i in range(int(opts["warmup"]) + max(1, int(opts["repeat"]))):
        t0 = time.perf_counter()
        run()
        if i >= int(opts["warmup"]):
            times.append(time.perf_counter() - t0)
    ts = sorted(times)
    print(json.dumps({"file": module, "entry": entry, "ok": True, "failures": [],
                      "variants": [{"name": "none", "pipeline": "",
                                    "time_s": {"min": ts[0], "median": float(np.median(ts)),
                                               "max": ts[-1], "all": times}}]}))
    return 0


def fake_floor_program(module, entry, text, opts):
    """The harness's floor programs, timed with NumPy: @sgemm(a: MxK, b: KxN),
    @sgemm(x: SxMxK, b: KxN) (S products by one operand), and the clock and
    FMA loops of the FMA peak (a fixed stand-in workload)."""
    if entry == "sgemm":
        dims = {n: tuple(map(int, d.split("x"))) for n, d in
                re.findall(r"%([abx]): tensor<((?:\d+x)+\d+)xf32>", text)}
        b = np.ones(dims["b"], np.float32)
        a = np.ones(dims["a"] if "a" in dims else dims["x"], np.float32)
        return timing_report(module, entry, lambda: a @ b, opts)
    work = np.ones((64, 64), np.float32)
    return timing_report(module, entry, lambda: work @ work, opts)


def main(argv):
    opts = {"warmup": "1", "repeat": "5", "variant": "plain"}
    inputs, module = [], None
    for a in argv:
        m = re.match(r"--([a-z-]+)(?:=(.*))?$", a)
        if not m:
            module = a
        elif m.group(1) == "input":
            inputs.append(m.group(2))
        else:
            opts[m.group(1)] = m.group(2) if m.group(2) is not None else True
    entry = opts["entry"]
    with open(module) as f:
        text = f.read()
    if "func.func @%s" % entry not in text:
        print("scan-run: error: no function @%s" % entry, file=sys.stderr)
        return 1
    if not entry.endswith("_grad"):
        return fake_floor_program(module, entry, text, opts)
    workload = entry[:-len("_grad")]
    args = [np.load(p) for p in inputs]
    variants = opts["compare"].split(",") if "compare" in opts else [opts["variant"]]
    report = {"file": module, "entry": entry, "variants": [], "ok": True, "failures": []}
    first = None
    for v in variants:
        for _ in range(int(opts["warmup"])):
            wl.hand_grad(workload, args)
        times = []
        for _ in range(max(1, int(opts["repeat"]))):
            t0 = time.perf_counter()
            out = wl.hand_grad(workload, args)
            times.append(time.perf_counter() - t0)
        if os.environ.get("FAKE_SCAN_RUN_PERTURB") == v:
            out = [g * np.float32(1.01) for g in out]
        first = first or out
        ts = sorted(times)
        report["variants"].append({
            "name": v, "pipeline": v,
            "compile_s": {"variant": 0.0, "lowering": 0.0, "jit": 0.0},
            "time_s": {"min": ts[0], "median": float(np.median(ts)), "max": ts[-1],
                       "all": times},
            "gflop": 0.0, "outputs": []})
    if "output-dir" in opts:
        os.makedirs(opts["output-dir"], exist_ok=True)
        for i, g in enumerate(first):
            np.save(os.path.join(opts["output-dir"], "%s.%d.npy" % (entry, i)), g)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
