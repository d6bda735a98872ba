"""Statistics of the freshly loaded tables, gathered on two connections at once.

With the pinned statistics target (analyzer.runner.pin_statistics_target) ANALYZE reads and
sorts every row of every column: at scale 1 it took more than half of the seeding, on one
core of two. Tables are independent, so they are analyzed side by side, largest first, on
connections that share the session's statistics settings. The load is committed by then: a
run killed here leaves tables with their constraints and without statistics, which the
server's autovacuum gathers in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg import sql

from analyzer.catalog import table_ident
from analyzer.targets import same_conninfo

WORKERS = 2  # the machines this runs on have two cores; the server does the work
SHARED_SETTINGS = ("default_statistics_target", "maintenance_work_mem", "search_path")


def analyze_tables(conn: psycopg.Connection, tables: Sequence[str], workers: int = WORKERS) -> None:
    """ANALYZE `tables` (committed, not in a transaction of `conn`) on up to `workers` connections."""
    if not tables:
        return
    with conn.transaction():  # leaves the session idle again, autocommit or not
        order = _largest_first(conn, tables)
        settings = {name: str(conn.execute("SELECT current_setting(%s)", (name,)).fetchone()[0])  # type: ignore[index]
                    for name in SHARED_SETTINGS}
    if workers < 2 or len(order) < 2:
        with conn.transaction():
            for name in order:
                conn.execute(sql.SQL("ANALYZE {}").format(table_ident(name)))
        return
    queue = list(order)

    def work() -> None:
        with psycopg.connect(same_conninfo(conn), autocommit=True) as worker:
            for name, value in settings.items():
                worker.execute("SELECT set_config(%s, %s, false)", (name, value))
            while queue:
                try:
                    table = queue.pop(0)
                except IndexError:
                    return
                worker.execute(sql.SQL("ANALYZE {}").format(table_ident(table)))

    with ThreadPoolExecutor(max_workers=min(workers, len(order))) as pool:
        for future in [pool.submit(work) for _ in range(min(workers, len(order)))]:
            future.result()  # an error in a worker is the seeding's error


def _largest_first(conn: psycopg.Connection, tables: Sequence[str]) -> list[str]:
    sizes = {}
    for name in tables:
        row = conn.execute("SELECT pg_total_relation_size(%s::regclass)", (table_ident(name).as_string(conn),)).fetchone()
        sizes[name] = int(row[0]) if row and row[0] is not None else 0
    return sorted(tables, key=lambda n: (-sizes[n], n))
