"""Does the advice on a captured twin match the advice on the database it was captured from?

The project-management workload plays production: seeded into a database on the --dsn
server (pg_stat_statements preloaded), its queries run as an application would, then
`capture` writes the twin's workload. The advisor runs on both (same server version) and
the figure is the fraction of the source's chosen indexes, by table and leading column,
that the twin's advice also chooses. Prints figures; not a test.

    PYTHONPATH=. python benchmarks/capture_twin_advice.py --dsn "host=... dbname=postgres" --scale 0.05
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from pglast import ast, parse_sql
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.cli import main
from analyzer.params import sample_param_sets
from analyzer.workload import load_workload

PM = Path(__file__).resolve().parent.parent / "workloads" / "project_management.yaml"


def _database(admin: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = pg_conninfo.conninfo_to_dict(admin)
    params["dbname"] = name
    return pg_conninfo.make_conninfo("", **params)


def _drop(admin: str, dsn: str) -> None:
    name = str(pg_conninfo.conninfo_to_dict(dsn)["dbname"])
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run_application(dsn: str, calls_per_weight: float) -> None:
    workload = load_workload(PM)
    with psycopg.connect(dsn, autocommit=True, application_name="the-app") as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute(
            "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
        )
        for q in workload.queries:
            sets = sample_param_sets(conn, q, 10, seed=1)
            for i in range(max(1, round(q.weight * calls_per_weight))):
                conn.execute(q.psycopg_sql, sets[i % len(sets)]).fetchall()
        for w in workload.writes:
            sets = sample_param_sets(conn, w, 5, seed=1)
            for i in range(max(1, round(w.weight * calls_per_weight / 4))):
                with conn.transaction(force_rollback=True):
                    for step in w.steps or (w,):  # a `steps:` write runs statement by statement
                        conn.execute(step.psycopg_sql, {k: sets[i % len(sets)][k] for k in step.param_order})


def chosen_keys(report_path: Path) -> set[tuple[str, str]]:
    """(table, leading column or expression) of every chosen index of a run's report.json."""
    report = json.loads(report_path.read_text())
    keys = set()
    for rec in report.get("recommendations", []):
        if not rec.get("chosen"):
            continue
        stmt = parse_sql(rec["ddl"])[0].stmt
        assert isinstance(stmt, ast.IndexStmt)
        first = stmt.indexParams[0]
        lead = first.name if first.name else "(expr)"
        keys.add((str(stmt.relation.relname), str(lead)))
    return keys


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="a server with pg_stat_statements preloaded (a maintenance db)")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--calls", type=float, default=1.0, help="calls per unit of workload weight")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="twin-advice-"))
    source = _database(args.dsn, "pga_bench_src")
    twin = _database(args.dsn, "pga_bench_twin")
    try:
        t0 = time.perf_counter()
        assert main(["seed", str(PM), "--dsn", source, "--allow-ddl", "--scale", str(args.scale), "--quiet"]) == 0
        _run_application(source, args.calls)
        assert main(["capture", "--dsn", source, "-o", str(out / "app.yaml"), "--quiet"]) == 0
        print(f"seeded, ran and captured in {time.perf_counter() - t0:.0f} s: {out / 'app.yaml'}")
        t1 = time.perf_counter()
        main(["advise", str(PM), "--dsn", source, "--allow-ddl", "--out", str(out / "source"), "--quiet"])
        t2 = time.perf_counter()
        main(["advise", str(out / "app.yaml"), "--dsn", twin, "--allow-ddl", "--scale", "1",
              "--out", str(out / "twin"), "--quiet"])
        t3 = time.perf_counter()
        on_source = chosen_keys(out / "source" / "report.json")
        on_twin = chosen_keys(out / "twin" / "report.json")
        both = on_source & on_twin
        print(f"advice on the source ({t2 - t1:.0f} s): {sorted(on_source)}")
        print(f"advice on the twin   ({t3 - t2:.0f} s): {sorted(on_twin)}")
        share = len(both) / len(on_source) if on_source else 1.0
        print(f"scale {args.scale:g}: {len(both)} of {len(on_source)} of the source's chosen indexes "
              f"(table, leading column) are chosen on the twin: {share:.0%}; the twin adds {len(on_twin - on_source)}")
    finally:
        _drop(args.dsn, source)
        _drop(args.dsn, twin)


if __name__ == "__main__":
    main_benchmark()
