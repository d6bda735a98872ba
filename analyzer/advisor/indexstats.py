"""Statistics of an expression index, kept across its rebuilds (PostgreSQL 18 and later).

An expression key gets statistics of its own only from ANALYZE, and with the pinned statistics
target ANALYZE reads and sorts every row of the table. The advisor builds a candidate twice
(alone for its proof, again when it is chosen) on data that has not changed, so the second
ANALYZE would compute exactly what the first did: on PostgreSQL 18 the first result is put
back with pg_restore_attribute_stats instead (by attribute number, as pg_dump does for
indexes). Older servers analyze again.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

# pg_stats columns in pg_restore_attribute_stats' names, with the type each argument must have (fixed here,
# never from input: the casts are composed from these constants only)
STAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("null_frac", "real"), ("avg_width", "integer"), ("n_distinct", "real"),
    ("most_common_vals", "text"), ("most_common_freqs", "real[]"), ("histogram_bounds", "text"),
    ("correlation", "real"), ("most_common_elems", "text"), ("most_common_elem_freqs", "real[]"),
    ("elem_count_histogram", "real[]"),
)
RANGE_COLUMNS: tuple[tuple[str, str], ...] = (  # in pg_stats from PostgreSQL 17
    ("range_length_histogram", "text"), ("range_empty_frac", "real"), ("range_bounds_histogram", "text"),
)


_CASTS = {t: sql.SQL(t) for t in ("real", "integer", "text", "real[]")}  # every type STAT_COLUMNS names


def _stat_columns(conn: psycopg.Connection) -> tuple[tuple[str, str], ...]:
    return STAT_COLUMNS + (RANGE_COLUMNS if conn.info.server_version >= 170000 else ())


def can_restore(conn: psycopg.Connection) -> bool:
    return conn.info.server_version >= 180000


def read_index_stats(conn: psycopg.Connection, index: str) -> list[dict[str, Any]]:
    """Every column statistic of `index` (an index name as the catalog has it), with its attribute number."""
    columns = sql.SQL(", ").join(
        sql.SQL("s.{}::text").format(sql.Identifier(c)) if t == "text" else sql.SQL("s.{}").format(sql.Identifier(c))
        for c, t in _stat_columns(conn))
    query = sql.SQL(
        "SELECT n.nspname, c.relname, a.attnum, {} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_stats s ON s.schemaname = n.nspname "
        "AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited "
        "WHERE c.oid = to_regclass(%s) ORDER BY a.attnum").format(columns)
    with conn.cursor() as cur:
        cur.execute(query, (sql.Identifier(*index.split(".", 1)).as_string(conn),))
        names = ["schemaname", "relname", "attnum"] + [c for c, _ in _stat_columns(conn)]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def restore_index_stats(conn: psycopg.Connection, rows: list[dict[str, Any]]) -> bool:
    """Put saved statistics back on a rebuilt index; False when the server refused any of them."""
    for row in rows:
        args: list[sql.Composable] = [
            sql.SQL("'schemaname', {}").format(sql.Literal(row["schemaname"])),
            sql.SQL("'relname', {}").format(sql.Literal(row["relname"])),
            sql.SQL("'attnum', {}::smallint").format(sql.Literal(row["attnum"])),
            sql.SQL("'inherited', false"),
        ]
        args += [sql.SQL("{}, {}::{}").format(sql.Literal(c), sql.Literal(row[c]), _CASTS[t])
                 for c, t in _stat_columns(conn) if row.get(c) is not None]
        result = conn.execute(sql.SQL("SELECT pg_restore_attribute_stats({})").format(sql.SQL(", ").join(args)))
        restored = result.fetchone()
        if not restored or not restored[0]:
            return False
    return True
