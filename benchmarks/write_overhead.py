"""Write overhead of four kinds of index on the project-management tasks table, and how repeatable it is.

Seeds the project-management workload on the embedded PostgreSQL at the given scale, builds the
workload's declared write mix for `tasks` (or the synthesized one with --synthesized), and measures
a composite B-tree, a partial B-tree, a full-text GIN and a trigram GIN index over N interleaved
repetitions each. Prints the overhead figures (medians of the paired differences) and the
run-to-run coefficient of variation of each metric (stdev / mean of the per-repetition overhead).

    python benchmarks/write_overhead.py [--scale 0.2] [--repetitions 5] [--synthesized] [--fillfactor 90]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from psycopg import sql

from analyzer.catalog import server_info
from analyzer.overhead import OverheadRuns, build_write_mix, compare_runs, measure_runs
from analyzer.progress import SilentReporter
from analyzer.runner import RunOptions, open_session, prepare_data
from analyzer.workload import load_workload

PM = Path(__file__).resolve().parent.parent / "workloads" / "project_management.yaml"

INDEXES = [
    ("composite btree", "bench_tasks_project_status_pos",
     "CREATE INDEX bench_tasks_project_status_pos ON tasks (project_id, status, position)"),
    ("partial btree", "bench_tasks_open_by_assignee",
     ("CREATE INDEX bench_tasks_open_by_assignee ON tasks (assignee_id, due_date) "
      "WHERE status <> 'done' AND deleted_at IS NULL")),
    ("full-text GIN", "bench_tasks_title_fts",
     "CREATE INDEX bench_tasks_title_fts ON tasks USING gin (to_tsvector('english', title))"),
    ("trigram GIN", "bench_tasks_title_trgm",
     "CREATE INDEX bench_tasks_title_trgm ON tasks USING gin (title gin_trgm_ops)"),
]


def cv(values: list[float]) -> float:
    """Coefficient of variation, in percent (0 when every value is the same)."""
    mean = statistics.fmean(values)
    if len(values) < 2 or mean == 0:
        return 0.0
    return 100 * statistics.stdev(values) / abs(mean)


def per_repetition(runs: OverheadRuns, attr: str) -> list[float]:
    return [float(getattr(b, attr) - getattr(a, attr)) for a, b in zip(runs.without, runs.with_index)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2, help="workload scale (default 0.2: 200,000 tasks)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--synthesized", action="store_true", help="measure on the synthesized mix, not the declared writes")
    parser.add_argument("--fillfactor", type=int, help="rewrite tasks with this fillfactor first (room for HOT updates)")
    args = parser.parse_args(argv)

    workload = load_workload(PM)
    options = RunOptions(workload_path=PM, scale=args.scale, seed=args.seed, replay=False)
    started = time.perf_counter()
    with open_session(options, "bench", SilentReporter()) as session:
        conn = session.conn
        version, _, _ = server_info(conn)
        prepare_data(session, workload, options, args.scale, args.seed, SilentReporter(), [])
        seeded_s = time.perf_counter() - started
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        if args.fillfactor:
            conn.execute(sql.SQL("ALTER TABLE tasks SET (fillfactor = {})").format(sql.Literal(args.fillfactor)))
            conn.execute("VACUUM FULL tasks")
        conn.execute("VACUUM ANALYZE tasks")
        row = conn.execute("SELECT count(*), pg_relation_size('tasks') FROM tasks").fetchone()
        assert row is not None
        if args.synthesized:
            empty = workload.__class__(**{**workload.__dict__, "writes": ()})
            mix = build_write_mix(conn, empty, {"tasks"}, args.seed)
        else:
            mix = build_write_mix(conn, workload, {"tasks"}, args.seed)
        print(f"PostgreSQL {version} (embedded), scale {args.scale:g}: {row[0]:,} tasks, "
              f"{row[1] / 2**20:.0f} MB heap (seeded in {seeded_s:.0f} s)"
              + (f", fillfactor {args.fillfactor}" if args.fillfactor else ", fillfactor 100 as loaded"))
        labels = sorted({s.label for s in mix.statements})
        print(f"write mix: {mix.describe()}, {mix.operations} writes: {', '.join(labels)}")
        for note in mix.notes:
            print(f"  note: {note}")
        print(f"{args.repetitions} interleaved repetitions (A B A B ...) per index, each run rolled back\n")

        header = (f"{'index':<16} {'size':>8} {'build':>8} {'WAL bytes':>11} {'WAL':>7} {'dirtied':>8} "
                  f"{'time ms':>15} {'time':>6} {'HOT lost':>9}")
        cv_header = f"{'index':<16} {'CV WAL':>8} {'CV dirtied':>11} {'CV time':>8} {'CV HOT lost':>12} {'CV base WAL':>12}"
        rows: list[str] = []
        cv_rows: list[str] = []
        baseline = ""
        for kind, name, create in INDEXES:
            t0 = time.perf_counter()
            runs = measure_runs(conn, mix, [(create, name)], args.repetitions)
            build_ms = statistics.median(b.build_ms for b in runs.builds)
            o = compare_runs(runs.without, runs.with_index, index_size_bytes=runs.builds[0].size_bytes,
                             build_ms=build_ms)
            rows.append(
                f"{kind:<16} {o.index_size_bytes / 2**20:>6.1f}MB {o.build_ms:>6.0f}ms {o.wal_bytes:>+11,} "
                f"{100 * o.wal_ratio:>+6.1f}% {o.buffers_dirtied:>+8,} {o.time_ms_median:>+8.1f} ±{o.time_ms_spread:<5.1f} "
                f"{100 * o.time_ratio:>+5.0f}% {o.hot_updates_lost:>4}/{o.baseline_hot_updates:<4}"
            )
            hot = [-d for d in per_repetition(runs, "hot_updates")]
            cv_rows.append(
                f"{kind:<16} {cv(per_repetition(runs, 'wal_bytes')):>7.2f}% {cv(per_repetition(runs, 'buffers_dirtied')):>10.2f}% "
                f"{cv(per_repetition(runs, 'time_ms')):>7.1f}% {cv(hot):>11.2f}% "
                f"{cv([float(r.wal_bytes) for r in runs.without]):>11.3f}%"
                f"   ({time.perf_counter() - t0:.0f} s)"
            )
            baseline = (f"without the index: {o.baseline_wal_bytes:,} WAL bytes, {o.baseline_time_ms_median:.1f} ms, "
                        f"{o.baseline_updates} updates of which {o.baseline_hot_updates} HOT")
            gin = [n for n in runs.notes if "gin_clean_pending_list" in n]
            if gin:
                cv_rows.append(f"{'':<16} {gin[0]}")
        print(baseline)
        print(header)
        print("\n".join(rows))
        print("\nrun-to-run coefficient of variation of each metric's per-repetition overhead "
              f"(stdev/mean over {args.repetitions} pairs; 'base WAL': the mix without any index)")
        print(cv_header)
        print("\n".join(cv_rows))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
