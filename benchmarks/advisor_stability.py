"""Is the advice the same on a quiet and on a loaded machine, and how long does it take?

Runs the whole tool (`pg-analyzer run`, embedded PostgreSQL, seeded with the same seed) on one
workload several times in one process: quiet, quiet again, then with two CPU burners
(busy-looping processes, bounded in time and killed by pid). Prints, per run, the chosen set,
the weighted time and buffers before → after, the advisor's phase times, the sum of its
candidates' build times (the floor of a real-build advisor) and the ratio to it, and whether
the chosen sets agree.

    PYTHONPATH=$PWD python benchmarks/advisor_stability.py [workloads/project_management.yaml] [--scale 0.3]
        [--runs quiet,quiet,loaded] [--burners 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analyzer.report.model import RunReport
from analyzer.runner import RunOptions, run_workload
from tests.burners import cpu_burners

ROOT = Path(__file__).resolve().parent.parent


def run_once(workload: Path, scale: float, seed: int) -> tuple[RunReport, float]:
    started = time.perf_counter()
    report = run_workload(RunOptions(workload_path=workload, scale=scale, seed=seed))
    return report, time.perf_counter() - started


def describe(label: str, report: RunReport, seconds: float) -> list[str]:
    a = report.advisor
    chosen = sorted(r.ddl for r in report.recommendations if r.chosen)
    lines = [f"== {label}: {seconds:.1f} s end to end, {len(chosen)} of {len(report.recommendations)} chosen"]
    if a is None:
        return lines + ["   (no advisor summary)"]
    lines.append(f"   weighted time    {a.weighted_ms_before:10.3f} ms → {a.weighted_ms_after:.3f} ms "
                 f"({a.weighted_speedup:,.1f}x, paired warm runs)")
    if a.weighted_buffers_before is not None and a.weighted_buffers_after is not None:
        ratio = a.weighted_buffers_before / max(a.weighted_buffers_after, 1e-9)
        lines.append(f"   weighted buffers {a.weighted_buffers_before:10.1f}    → {a.weighted_buffers_after:.1f} "
                     f"({ratio:,.1f}x)")
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in a.phases_s.items())
    lines.append(f"   advisor phases   {phases}")
    if a.build_ms_total:
        total = a.phases_s.get("total", 0.0)
        lines.append(f"   builds           {a.build_ms_total / 1000:.1f} s for the candidates once ({a.builds} builds "
                     f"in all, {a.measurements} measurements); advisor / builds = {total / (a.build_ms_total / 1000):.1f}x")
    lines.extend(f"   + {ddl}" for ddl in chosen)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("workload", nargs="?", default=str(ROOT / "workloads" / "project_management.yaml"))
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", default="quiet,quiet,loaded", help="comma-separated: quiet or loaded")
    parser.add_argument("--burners", type=int, default=2)
    parser.add_argument("--burn-limit-s", type=float, default=1200.0, help="burners exit on their own after this")
    args = parser.parse_args(argv)
    workload = Path(args.workload)
    sets: list[tuple[str, frozenset[str]]] = []
    print(f"{workload.name} at scale {args.scale:g}, seed {args.seed}")
    for i, kind in enumerate(args.runs.split(","), 1):
        label = f"run {i} ({kind})"
        if kind == "loaded":
            with cpu_burners(args.burners, args.burn_limit_s) as pids:
                print(f"   {args.burners} CPU burners running: pids {', '.join(map(str, pids))}")
                report, seconds = run_once(workload, args.scale, args.seed)
        else:
            report, seconds = run_once(workload, args.scale, args.seed)
        print("\n".join(describe(label, report, seconds)), flush=True)
        sets.append((label, frozenset(r.ddl for r in report.recommendations if r.chosen)))
    first = sets[0][1]
    same = all(s == first for _, s in sets)
    print("chosen sets identical in every run" if same else "chosen sets DIFFER:")
    if not same:
        for label, s in sets[1:]:
            print(f"   {label}: +{sorted(s - first)} -{sorted(first - s)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
