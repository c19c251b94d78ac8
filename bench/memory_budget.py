"""Benchmark of scan-optimize's memory budget (scan-checkpoint-gradients).

For each workload: the plain gradient, the unbounded optimised one, and the
optimised one under a few budgets. Time ratios come from one scan-run
process that runs the variants side by side (--compare); the memory a call
adds (+call MiB) comes from one process per variant, since a variant run
after another reuses the heap the earlier one freed.
"""

import argparse
import datetime
import json
import pathlib
import re
import subprocess
import sys
import tempfile


def budget_pipeline(mib):
    return f"builtin.module(scan-differentiate,scan-optimize{{memory-budget-mib={mib}}})"


def shaped_example(root, cell, steps, tmp):
    """examples/<cell>.mlir with T = steps instead of 50."""
    text = (root / "examples" / f"{cell}.mlir").read_text()
    text = re.sub(r"tensor<50x80x1000xf32>", f"tensor<{steps}x80x1000xf32>", text)
    path = pathlib.Path(tmp) / f"{cell}-T{steps}.mlir"
    path.write_text(text)
    return path


def scan_run(scan_run_bin, program, entry, variants, repeat):
    """Runs scan-run --json on `variants` [(label, pipeline)]; returns the
    per-variant JSON objects, or None (with the error line) on failure."""
    spec = ",".join(p if label == p else f"{label}={p}" for label, p in variants)
    cmd = [str(scan_run_bin), str(program), f"--entry={entry}", "--warmup=0",
           f"--repeat={repeat}", f"--compare={spec}", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return None, last
    return json.loads(proc.stdout)["variants"], None


def run_workload(args, name, program, entry, budgets_of, repeat, side_by_side):
    scan_run_bin = args.root / "build" / "bin" / "scan-run"
    rows = []
    # Memory, one process per variant; the budgets may depend on the
    # optimised gradient's measured memory.
    memory = {}
    for label in ("plain", "optimized"):
        res, err = scan_run(scan_run_bin, program, entry, [(label, label)], 1 if side_by_side else repeat)
        memory[label] = res[0] if res else None
        print(f"  {name} {label}: {err or round(res[0]['call_extra_mib'], 1)} MiB "
              f"{'' if err else round(res[0]['time_s']['median'] * 1e3)} ms", flush=True)
    budgets = budgets_of(memory["optimized"]["call_extra_mib"])
    for mib in budgets:
        label = f"budget{mib}"
        res, err = scan_run(scan_run_bin, program, entry, [(label, budget_pipeline(mib))],
                            1 if side_by_side else repeat)
        memory[label] = res[0] if res else err
        print(f"  {name} {label}: {err or str(round(res[0]['call_extra_mib'], 1)) + ' MiB'}",
              flush=True)
    labels = ["plain", "optimized"] + [f"budget{m}" for m in budgets]
    feasible = [l for l in labels if isinstance(memory[l], dict)]
    if side_by_side:
        res, err = scan_run(scan_run_bin, program, entry,
                            [(l, budget_pipeline(int(l[6:])) if l.startswith("budget") else l)
                             for l in feasible], repeat)
        if res is None:
            sys.exit(f"{name}: side-by-side run failed: {err}")
        times = {v["name"]: v["time_s"]["median"] * 1e3 for v in res}
    else:
        times = {l: memory[l]["time_s"]["median"] * 1e3 for l in feasible}
    for label in labels:
        entry_mem = memory[label]
        row = {"workload": name, "variant": label,
               "budget_mib": int(label[6:]) if label.startswith("budget") else None}
        if isinstance(entry_mem, dict):
            row.update(call_mib=entry_mem["call_extra_mib"], median_ms=times[label],
                       vs_optimized=times[label] / times["optimized"],
                       vs_plain=times[label] / times["plain"])
        else:
            row.update(error=entry_mem)
        rows.append(row)
    return rows


def write_results(args, rows):
    out = args.root / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"memory-budget-{datetime.date.today().isoformat()}{args.label}"
    stem.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| workload | variant | budget MiB | +call MiB | median ms | time / optimised | time / plain |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['workload']} | {r['variant']} | {r['budget_mib']} | "
                         f"infeasible: {r['error']} | | | |")
            continue
        lines.append(f"| {r['workload']} | {r['variant']} | {r['budget_mib'] or '-'} | "
                     f"{r['call_mib']:.1f} | {r['median_ms']:.0f} | {r['vs_optimized']:.2f} | "
                     f"{r['vs_plain']:.2f} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available (bench/.venv missing): no plot")
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for workload in dict.fromkeys(r["workload"] for r in rows):
        points = sorted((r["call_mib"], r["median_ms"]) for r in rows
                        if r["workload"] == workload and "error" not in r)
        ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=workload)
    ax.set_xlabel("measured +call MiB")
    ax.set_ylabel("median ms per gradient call")
    ax.set_title("Gradient time against memory (plain, optimised, budgets)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(stem.with_suffix(".png"), dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=pathlib.Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-t1000", action="store_true")
    parser.add_argument("--label", default="", help="suffix of the result file names")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += run_workload(args, "GRU B80 T50 D1000", args.root / "examples" / "gru.mlir",
                             "gru_grad", lambda opt: [int(opt * 0.6), int(opt * 0.45), int(opt / 4)], 3,
                             True)
        if not args.quick:
            rows += run_workload(args, "LSTM B80 T200 D1000",
                                 shaped_example(args.root, "lstm", 200, tmp), "lstm_grad",
                                 lambda opt: [int(opt / 4)], 3, True)
            if not args.no_t1000:
                rows += run_workload(args, "LSTM B80 T1000 D1000",
                                     shaped_example(args.root, "lstm", 1000, tmp), "lstm_grad",
                                     lambda opt: [512], 1, False)
    write_results(args, rows)


if __name__ == "__main__":
    main()
