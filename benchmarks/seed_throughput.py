"""Seeding throughput against its ceiling: the project-management `tasks` table, seeded vs raw binary COPY.

Both sides run on the same server in the same run, alternating, each in a transaction that
truncates `tasks` and drops its keys, indexes and triggers first (as the seeder does) and is
rolled back afterwards:

- seed: generate the table's rows from the workload's rules (parents generated once,
  untimed) a chunk at a time, each chunk streamed with binary COPY by the worker thread while
  the next is generated, as `pg-analyzer seed` does;
- raw COPY: write the same rows, precomputed as binary COPY bytes, so only the server's
  ingest is timed. That is the ceiling the seeder can reach.

It prints rows/s of both and their ratio (median of --repeat runs), then the peak RSS of
`pg-analyzer seed` of a workload (default: Pagila, row counts only) at scale 1 and 10, each in
a process of its own, and their ratio (memory must stay flat in the scale), then times the
whole default-scale project-management workload. Not a test: figures, not assertions.

    python benchmarks/seed_throughput.py [--rows 1000000] [--repeat 3] [--dsn DSN] [--no-workload]
        [--rss-workload workloads/pagila.yaml] [--no-rss]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psycopg
from psycopg import sql

from analyzer.catalog import read_catalog
from analyzer.progress import SilentReporter
from analyzer.seeding.copy_format import HEADER, TRAILER, binary_rows
from analyzer.seeding.generators import TableData
from analyzer.seeding.loader import (
    COPY_CHUNK_ROWS,
    CopyWorker,
    SeedPlan,
    TablePlan,
    _drop_constraints,
    generate_table,
    generate_tables,
    plan_seeding,
    seed_workload,
)
from analyzer.targets import EmbeddedServer
from analyzer.workload import load_workload

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ROOT / "workloads" / "project_management.yaml"
TABLE = "tasks"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", help="an existing server (default: an embedded PostgreSQL)")
    parser.add_argument("--no-workload", action="store_true", help="skip timing the whole default-scale workload")
    parser.add_argument("--rss-workload", type=Path, default=ROOT / "workloads" / "pagila.yaml")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak RSS at scale 1 and 10")
    args = parser.parse_args(argv)

    server = None
    dsn = args.dsn
    if dsn is None:
        server = EmbeddedServer()
        server.start()
        dsn = server.conninfo
    try:
        return _run(dsn, args)
    finally:
        if server is not None:
            server.stop()


def _run(admin_dsn: str, args: argparse.Namespace) -> int:
    workload = load_workload(WORKLOAD)
    assert workload.schema_sql is not None
    with _database(admin_dsn, "pga_bench_tasks") as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(workload.schema_sql.encode())
        conn.execute("SET TIME ZONE 'UTC'")
        version = conn.execute("SHOW server_version").fetchone()
        catalog = read_catalog(conn)
        plan = plan_seeding(catalog, workload, 1.0)
        done: dict[str, TableData] = {}
        for tp in plan.tables:  # the parents of tasks, generated once and not timed
            if tp.table.name in ("organizations", "users", "projects"):
                done[tp.table.name] = generate_table(tp, workload.default_seed, done)
        tasks = next(tp for tp in plan.tables if tp.table.name == TABLE)
        tasks = replace(tasks, rows=args.rows, scale=args.rows / 1_000_000)

        data = generate_table(tasks, workload.default_seed, done)
        types = {c.name: c.type for c in tasks.table.columns}
        encoder = binary_rows(TABLE, [(r.column, types[r.column]) for r in tasks.rules], data.cols)
        assert encoder is not None, "tasks must be written in binary"
        chunks = [
            bytes(encoder.encode(s, min(s + COPY_CHUNK_ROWS, args.rows))) for s in range(0, args.rows, COPY_CHUNK_ROWS)
        ]
        payload_mb = sum(len(c) for c in chunks) / 1e6
        del data

        seeded: list[float] = []
        raw: list[float] = []
        for _ in range(args.repeat):
            seeded.append(_in_rolled_back_load(conn, catalog, lambda: _seed(conn, tasks, workload.default_seed, done)))
            raw.append(_in_rolled_back_load(conn, catalog, lambda: _raw_copy(conn, encoder.columns, chunks)))

    seed_rate = args.rows / statistics.median(seeded)
    raw_rate = args.rows / statistics.median(raw)
    print(f"server: PostgreSQL {version[0] if version else '?'}; client: Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"table: {TABLE}, {args.rows:,} rows, {payload_mb:,.0f} MB of binary COPY data; median of {args.repeat}")
    print(f"seed (generate + binary COPY): {seed_rate:>12,.0f} rows/s   runs: {_runs(seeded)}")
    print(f"raw binary COPY (ceiling):     {raw_rate:>12,.0f} rows/s   runs: {_runs(raw)}")
    print(f"ratio seed / ceiling:          {seed_rate / raw_rate:12.2f}")

    if not args.no_rss:
        peaks = {scale: _peak_rss_mb(admin_dsn, args.rss_workload, scale) for scale in (1, 10)}
        print(f"peak RSS of `seed {args.rss_workload.name}`: scale 1 {peaks[1]:,.0f} MB, scale 10 {peaks[10]:,.0f} MB, "
              f"ratio {peaks[10] / peaks[1]:.2f}")

    if not args.no_workload:
        with _database(admin_dsn, "pga_bench_workload") as dsn, psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(workload.schema_sql.encode())
            t0 = time.perf_counter()
            summary = seed_workload(conn, workload, scale=1.0, seed=workload.default_seed)
            wall = time.perf_counter() - t0
        total = sum(t.rows for t in summary.tables)
        print(f"whole workload at scale 1: {total:,} rows in {len(summary.tables)} tables seeded in {wall:.1f} s "
              "(generation, COPY, keys, indexes, ANALYZE, foreign-key validation)")
    return 0


def _seed(conn: psycopg.Connection, tasks: TablePlan, seed: int, done: dict[str, TableData]) -> None:
    with CopyWorker(conn, SilentReporter()) as worker:
        generate_tables(SeedPlan((tasks,)), seed, worker.submit, stream=worker.stream, done=done)


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
_RSS_CHILD = """
import sys
from analyzer.cli import main
code = main(["seed", sys.argv[1], "--dsn", sys.argv[2], "--allow-ddl", "--scale", sys.argv[3], "--quiet"])
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
sys.exit(code)
"""


def _peak_rss_mb(admin_dsn: str, workload: Path, scale: float) -> float:
    """Peak RSS of `pg-analyzer seed` in a process of its own (into a fresh database, dropped after)."""
    with _database(admin_dsn, f"pga_bench_rss_{scale:g}") as dsn:
        out = subprocess.run(
            [sys.executable, "-c", _RSS_CHILD, str(workload), dsn, str(scale)],
            check=False, capture_output=True, text=True, cwd=ROOT,
        )
    if out.returncode != 0:
        raise SystemExit(f"seed {workload.name} --scale {scale:g} failed: {out.stderr.strip().splitlines()[-1:]}")
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def _raw_copy(conn: psycopg.Connection, columns: list[str], chunks: list[bytes]) -> None:
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(TABLE), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with conn.cursor().copy(stmt) as copy:
        copy.write(HEADER)
        for chunk in chunks:
            copy.write(chunk)
        copy.write(TRAILER)


class _Rollback(Exception):
    pass


def _in_rolled_back_load(conn: psycopg.Connection, catalog: object, load: object) -> float:
    """Seconds of `load()` in a transaction that empties `tasks` and drops its constraints, then rolls back."""
    elapsed = 0.0
    try:
        with conn.transaction():
            _drop_constraints(conn, catalog, [TABLE])  # type: ignore[arg-type]
            conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(TABLE)))
            t0 = time.perf_counter()
            load()  # type: ignore[operator]
            elapsed = time.perf_counter() - t0
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


class _database:
    """A fresh database on the server, dropped afterwards."""

    def __init__(self, admin_dsn: str, name: str) -> None:
        self.admin_dsn = admin_dsn
        self.name = name

    def __enter__(self) -> str:
        with psycopg.connect(self.admin_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        params = psycopg.conninfo.conninfo_to_dict(self.admin_dsn)
        params["dbname"] = self.name
        return psycopg.conninfo.make_conninfo("", **params)

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def _runs(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f} s" for s in seconds)


if __name__ == "__main__":
    sys.exit(main())
