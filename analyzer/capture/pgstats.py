"""Read `pg_stats` of the user schemas: what `capture` turns into rules and `compare-stats` compares.

Values come back as text (`anyarray::text::text[]`), whatever the column type; the rules
module gives them their types. Array and tsvector columns keep element statistics
elsewhere (`most_common_elems`), which are not read.
"""

from __future__ import annotations

import psycopg

from analyzer.capture.rules import ColumnStatistics
from analyzer.catalog import table_key


def read_column_stats(conn: psycopg.Connection, tables: list[str] | None = None) -> dict[str, dict[str, ColumnStatistics]]:
    """table -> column -> statistics, for the tables given (catalog keys: `orders`, `sales.orders`;
    default: every table of every user schema)."""
    rows = conn.execute(
        """
        SELECT schemaname, tablename, attname, null_frac, avg_width, n_distinct,
               coalesce(most_common_vals::text::text[], '{}'), coalesce(most_common_freqs, '{}'),
               coalesce(histogram_bounds::text::text[], '{}'), correlation
        FROM pg_stats
        WHERE schemaname <> 'information_schema' AND schemaname !~ '^pg_'
          AND (%(tables)s::text[] IS NULL
               OR CASE WHEN schemaname = 'public' THEN tablename::text ELSE schemaname || '.' || tablename END
                  = ANY(%(tables)s::text[]))
        ORDER BY schemaname, tablename, attname, inherited DESC
        """,
        {"tables": tables},
    ).fetchall()
    out: dict[str, dict[str, ColumnStatistics]] = {}
    for schema, name, column, null_frac, width, n_distinct, mcv, mcf, bounds, corr in rows:
        table = table_key(str(schema), str(name))
        per_table = out.setdefault(table, {})
        if column in per_table:  # a partitioned parent: the inherited row (first) describes all rows
            continue
        per_table[str(column)] = ColumnStatistics(
            table=table, column=str(column), null_frac=float(null_frac), avg_width=int(width or 0),
            n_distinct=float(n_distinct), mcv=tuple(str(v) for v in mcv), mcf=tuple(float(f) for f in mcf),
            bounds=tuple(str(v) for v in bounds), correlation=None if corr is None else float(corr),
        )
    return out
