"""What the data says about predicates and columns, for choosing partial indexes and key order.

The candidate generator is pure; these readers give it the figures it asks for. Fractions
are counted on a repeatable sample of the table (the real data, not the planner's guess),
distinct counts and NULL fractions come from pg_stats after the seeding's ANALYZE.
Tables are named as the catalog names them (bare in public, `schema.table` elsewhere), so a
table of any schema is read from its own schema, never from whatever `current_schema` is.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from analyzer.catalog import schema_and_name, table_ident
from analyzer.errors import AnalyzerError

SAMPLE_ROWS = 200_000  # rows counted to judge a predicate's fraction


class TableStats:
    """Cached per-table facts read from one connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._fractions: dict[tuple[str, str], float] = {}
        self._columns: dict[str, dict[str, tuple[float, float]]] = {}
        self._rows: dict[str, float] = {}

    def rows(self, table: str) -> float:
        """The planner's row count of the table (reltuples, or a count when never analyzed)."""
        if table not in self._rows:
            row = self.conn.execute(
                "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s",
                schema_and_name(table),
            ).fetchone()
            value = float(row[0]) if row and row[0] is not None else -1.0
            if value < 0:
                counted = self.conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table_ident(table))).fetchone()
                value = float(counted[0]) if counted else 0.0
            self._rows[table] = value
        return self._rows[table]

    def fraction(self, table: str, predicate: str) -> float:
        """Share of the table's rows the constant predicate keeps, counted on a sample."""
        key = (table, predicate)
        if key not in self._fractions:
            self._fractions[key] = self._count_fraction(table, predicate)
        return self._fractions[key]

    def _count_fraction(self, table: str, predicate: str) -> float:
        total = self.rows(table)
        percent = 100.0 if total <= SAMPLE_ROWS else max(0.5, 100.0 * SAMPLE_ROWS / total)
        sample = sql.SQL("TABLESAMPLE SYSTEM ({}) REPEATABLE (1)").format(sql.Literal(percent)) if percent < 100 else sql.SQL("")
        # the predicate is deparsed by pglast from a statement the loader parsed and checked (sqlshape)
        query = sql.SQL("SELECT avg(CASE WHEN {p} THEN 1.0 ELSE 0.0 END) FROM {t} {s}").format(
            p=sql.SQL(predicate), t=table_ident(table), s=sample,
        )
        try:
            with self.conn.transaction(force_rollback=True):
                self.conn.execute("SET TRANSACTION READ ONLY")
                row = self.conn.execute(query).fetchone()
        except psycopg.Error as e:
            raise AnalyzerError(f"advisor: cannot evaluate {predicate!r} on {table}: {e.diag.message_primary}") from None
        return float(row[0]) if row and row[0] is not None else 1.0

    def distinct(self, table: str, column: str) -> float:
        """Distinct values of the column (pg_stats n_distinct, negative values scaled by rows)."""
        n_distinct, _ = self._column(table, column)
        return n_distinct if n_distinct >= 0 else -n_distinct * self.rows(table)

    def null_fraction(self, table: str, column: str) -> float:
        return self._column(table, column)[1]

    def _column(self, table: str, column: str) -> tuple[float, float]:
        if table not in self._columns:
            rows = self.conn.execute(
                "SELECT attname, n_distinct, null_frac FROM pg_stats WHERE schemaname = %s AND tablename = %s",
                schema_and_name(table),
            ).fetchall()
            self._columns[table] = {str(r[0]): (float(r[1]), float(r[2])) for r in rows}
        return self._columns[table].get(column, (-1.0, 0.0))
