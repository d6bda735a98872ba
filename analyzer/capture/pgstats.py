"""Read `pg_stats` of the public schema: what `capture` turns into rules and `compare-stats` compares.

Values come back as text (`anyarray::text::text[]`), whatever the column type; the rules
module gives them their types. Array and tsvector columns keep element statistics
elsewhere (`most_common_elems`), which are not read.
"""

from __future__ import annotations

import psycopg

from analyzer.capture.rules import ColumnStatistics


def read_column_stats(conn: psycopg.Connection, tables: list[str] | None = None) -> dict[str, dict[str, ColumnStatistics]]:
    """table -> column -> statistics, for the tables given (default: all of public)."""
    rows = conn.execute(
        """
        SELECT tablename, attname, null_frac, avg_width, n_distinct,
               coalesce(most_common_vals::text::text[], '{}'), coalesce(most_common_freqs, '{}'),
               coalesce(histogram_bounds::text::text[], '{}'), correlation
        FROM pg_stats
        WHERE schemaname = 'public' AND (%(tables)s::text[] IS NULL OR tablename = ANY(%(tables)s::text[]))
        ORDER BY tablename, attname, inherited DESC
        """,
        {"tables": tables},
    ).fetchall()
    out: dict[str, dict[str, ColumnStatistics]] = {}
    for table, column, null_frac, width, n_distinct, mcv, mcf, bounds, corr in rows:
        per_table = out.setdefault(str(table), {})
        if column in per_table:  # a partitioned parent: the inherited row (first) describes all rows
            continue
        per_table[str(column)] = ColumnStatistics(
            table=str(table), column=str(column), null_frac=float(null_frac), avg_width=int(width or 0),
            n_distinct=float(n_distinct), mcv=tuple(str(v) for v in mcv), mcf=tuple(float(f) for f in mcf),
            bounds=tuple(str(v) for v in bounds), correlation=None if corr is None else float(corr),
        )
    return out
