"""How closely each column's values follow the physical row order (pg_stats.correlation), for BRIN.

Append-only tables store rows in insertion order, so their time columns have a correlation near
+1: a BRIN index's block-range summaries then prune almost every block of a range scan.
"""

from __future__ import annotations

import psycopg

from analyzer.catalog import table_key


class Correlations:
    """pg_stats.correlation per (table, column) of every user schema, read once (after ANALYZE);
    tables named as the catalog names them (bare in public, `schema.table` elsewhere)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        rows = conn.execute(
            "SELECT schemaname, tablename, attname, correlation FROM pg_stats "
            "WHERE schemaname <> 'information_schema' AND schemaname !~ '^pg_' AND correlation IS NOT NULL"
        ).fetchall()
        self._values = {(table_key(str(r[0]), str(r[1])), str(r[2])): float(r[3]) for r in rows}

    def __call__(self, table: str, column: str) -> float | None:
        return self._values.get((table, column))
