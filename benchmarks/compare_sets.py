"""Index sets measured the same way on one seeded workload: weighted reads, writes and both, and WAL.

Seeds the workload (embedded PostgreSQL unless --dsn), then for each set (no index first, then
each `--set NAME=indexes.sql` in order, for --rounds rounds, every other round in reverse order)
creates its indexes, ANALYZEs, times every query with the same parameter sets (the advisor's
timer: one warm-up run, then the median of QUERY_RUNS) and runs the declared write mix (rolled
back) with per-write times and WAL. Prints, per set, the figures of the objective of
docs/advisor.md (and with --per-query each query's median):

    reads   = sum_q w_q t_q / sum_q w_q                      (ms per query)
    writes  = sum_w f_w t_w / sum_w f_w                      (ms per write, t_w per execution)
    both    = (sum_q w_q t_q + sum_w f_w t_w) / (sum w + sum f)
    WAL     = sum_w f_w wal_w / sum_w f_w                    (bytes per write)
    buffers = sum_q w_q work_q / sum_q w_q                   (the advisor's objective W: repeats exactly)

    PYTHONPATH=$PWD python benchmarks/compare_sets.py workloads/event_log.yaml --scale 0.1 \\
        --set main=/tmp/main_el/indexes.sql --set issue14=/tmp/r14_el/indexes.sql
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path
from typing import Any

from psycopg import sql

from analyzer.advisor import objective
from analyzer.advisor.sqlfile import required_extensions
from analyzer.advisor.timing import QueryTimer
from analyzer.overhead import run_mix
from analyzer.params import sample_param_sets
from analyzer.progress import SilentReporter
from analyzer.runner import RunOptions, open_session, prepare_data
from analyzer.workload import load_workload
from analyzer.writemix import build_write_mix

QUERY_RUNS = 3  # timed runs of every parameter set per query, set and round, after one warm-up run
_NAME = re.compile(r"CREATE INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(\S+)", re.IGNORECASE)


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", type=Path)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--dsn")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="write-mix runs per set and round")
    parser.add_argument("--per-query", action="store_true", help="also each query's and each write's median ms per set")
    args = parser.parse_args(argv)
    sets: list[tuple[str, list[str]]] = [("no index", [])]
    for item in args.set:
        name, _, path = item.partition("=")
        sets.append((name, _statements(Path(path))))
    workload = load_workload(args.workload)
    seed = workload.default_seed
    options = RunOptions(workload_path=args.workload, dsn=args.dsn, scale=args.scale, seed=seed, scratch=bool(args.dsn))
    reporter = SilentReporter()
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in sets}
    with open_session(options, "compare-sets", reporter) as session:
        conn = session.conn
        prepare_data(session, workload, options, args.scale, seed, reporter, [])
        params = {q.name: sample_param_sets(conn, q, workload.replay.param_sets, seed) for q in workload.queries}
        timer = QueryTimer(conn, workload.replay, params)
        mix = build_write_mix(conn, workload, None, seed)
        for note in mix.notes:
            print(f"note: {note}", file=sys.stderr)
        for round_number in range(args.rounds):
            # every other round in reverse, so no set always runs after another's builds and writes
            for name, statements in sets if round_number % 2 == 0 else reversed(sets):
                created = [m.group(1) for s in statements if (m := _NAME.match(s))]
                for ext in required_extensions(statements):  # an indexes.sql of main does not create them
                    conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
                for s in statements:
                    conn.execute(s)
                conn.execute("ANALYZE")
                try:
                    results[name].append(_measure(conn, workload, timer, mix, args.runs) | {"indexes": len(created)})
                finally:
                    for index in created:
                        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))
    base = {k: statistics.median(r[k] for r in results["no index"]) for k in results["no index"][0]}
    print(f"{args.workload.name} at scale {args.scale:g}, {args.rounds} rounds (medians)")
    print(f"{'set':<10} {'indexes':>7} {'reads ms':>10} {'writes ms':>10} {'both ms':>10} {'WAL B/write':>12} "
          f"{'WAL added':>9} {'reads x':>8} {'both x':>7} {'buffers':>9}")
    for name, _ in sets:
        fig = {k: statistics.median(r[k] for r in results[name]) for k in results[name][0]}
        print(f"{name:<10} {fig['indexes']:>7.0f} {fig['reads']:>10.3f} {fig['writes']:>10.3f} {fig['both']:>10.3f} "
              f"{fig['wal']:>12,.0f} {fig['wal'] / base['wal'] - 1:>+9.1%} {base['reads'] / fig['reads']:>7.1f}x "
              f"{base['both'] / fig['both']:>6.1f}x {fig['buffers']:>9,.1f}")
    if args.per_query:
        _print_per_query(workload.queries, [name for name, _ in sets], results)
    return 0


def _print_per_query(queries: list[Any], names: list[str], results: dict[str, list[dict[str, float]]]) -> None:
    """Each query's median ms per set (weight first): where two sets' weighted reads differ."""
    print(f"\n{'query':<28} {'weight':>6} " + " ".join(f"{n:>10}" for n in names))
    for q in queries:
        cells = " ".join(f"{statistics.median(r['q:' + q.name] for r in results[n]):>10.3f}" for n in names)
        print(f"{q.name:<28} {q.weight:>6g} {cells}")
    print(f"\n{'write (ms per execution)':<35} " + " ".join(f"{n:>10}" for n in names))
    for key in [k for k in results[names[0]][0] if k.startswith("w:")]:
        cells = " ".join(f"{statistics.median(r[key] for r in results[n]):>10.3f}" for n in names)
        print(f"{key[2:]:<35} {cells}")


def _warm_median_ms(timer: QueryTimer, query: Any) -> tuple[float, float]:
    """One run of every parameter set to warm the cache (the set's indexes were just built), then the
    median of QUERY_RUNS more: the advisor's timer runs each set once, which is enough for buffers only.
    Also the objective's work (mean buffers over the parameter sets), which repeats exactly."""
    timer.time(query)
    runs = [timer.time(query) for _ in range(QUERY_RUNS)]
    return statistics.median(t.median_ms for t in runs), objective.work(runs[-1])


def _measure(conn: object, workload: object, timer: QueryTimer, mix: object, runs: int) -> dict[str, float]:
    from analyzer.workload import Workload
    from analyzer.writemix import WriteMix

    assert isinstance(workload, Workload) and isinstance(mix, WriteMix)
    measured = {q.name: _warm_median_ms(timer, q) for q in workload.queries}
    reads = {name: ms for name, (ms, _) in measured.items()}
    read_weight = sum(q.weight for q in workload.queries)
    read_sum = sum(q.weight * reads[q.name] for q in workload.queries)
    buffers = sum(q.weight * measured[q.name][1] for q in workload.queries) / read_weight
    mix_runs = [run_mix(conn, mix) for _ in range(runs)]  # type: ignore[arg-type]
    write_sum = wal_sum = 0.0
    write_weight = sum(mix.frequencies.values())
    per_write: dict[str, float] = {}
    for group, weight in mix.frequencies.items():
        n = mix.executions(group)
        per_write[f"w:{group}"] = statistics.median(r.per_write.get(group, (0.0, 0))[0] for r in mix_runs) / n
        write_sum += weight * per_write[f"w:{group}"]
        wal_sum += weight * statistics.median(r.per_write.get(group, (0.0, 0))[1] for r in mix_runs) / n
    return {f"q:{name}": ms for name, ms in reads.items()} | per_write | {"buffers": buffers} | {
        "reads": read_sum / read_weight,
        "writes": write_sum / write_weight if write_weight else 0.0,
        "both": (read_sum + write_sum) / (read_weight + write_weight),
        "wal": wal_sum / write_weight if write_weight else 0.0,
    }


if __name__ == "__main__":
    sys.exit(main())
