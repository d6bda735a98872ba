"""How closely each column's values follow the physical row order (pg_stats.correlation), for BRIN.

Append-only tables store rows in insertion order, so their time columns have a correlation near
+1: a BRIN index's block-range summaries then prune almost every block of a range scan.
"""

from __future__ import annotations

import psycopg


class Correlations:
    """pg_stats.correlation per (table, column) of the current schema, read once (after ANALYZE)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        rows = conn.execute(
            "SELECT tablename, attname, correlation FROM pg_stats "
            "WHERE schemaname = current_schema() AND correlation IS NOT NULL"
        ).fetchall()
        self._values = {(str(r[0]), str(r[1])): float(r[2]) for r in rows}

    def __call__(self, table: str, column: str) -> float | None:
        return self._values.get((table, column))
