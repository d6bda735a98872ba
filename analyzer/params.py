"""Sample parameter sets for a declared statement from its parameter sources.

`sample: table.column` reads values from the seeded data with a repeatable TABLESAMPLE, so
frequent values are picked as often as the application would meet them (`pick: rows`), or
uniformly over distinct values (`pick: distinct`), or from both ends of the frequency
range (`pick: extremes`), which is what exposes plans that flip with the value.
"""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from analyzer.errors import QueryError
from analyzer.workload import ParamSource, Statement

SAMPLE_ROWS = 2000


def sample_param_sets(conn: psycopg.Connection, stmt: Statement, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` parameter sets (fewer when every source is a single literal)."""
    rng = np.random.default_rng([seed, zlib.crc32(stmt.name.encode())])
    columns: dict[str, list[Any]] = {}
    for name, source in stmt.params.items():
        columns[name] = _values_for(conn, stmt, name, source, count, rng)
    if not columns:
        return [{}]
    if all(s.kind == "literal" for s in stmt.params.values()):
        count = 1
    return [{name: vals[i % len(vals)] for name, vals in columns.items()} for i in range(count)]


def _values_for(
    conn: psycopg.Connection, stmt: Statement, name: str, source: ParamSource, count: int, rng: np.random.Generator
) -> list[Any]:
    if source.kind == "literal":
        return [source.literal]
    if source.kind == "values":
        return list(source.values)
    where = f"{stmt.location}: params.{name}"
    if source.kind == "sql":
        try:
            with conn.transaction(force_rollback=True):
                conn.execute("SET TRANSACTION READ ONLY")
                rows = conn.execute(str(source.sql), prepare=True).fetchall()  # extended protocol: one statement
        except psycopg.Error as e:
            raise QueryError(f"{where}: {e.diag.message_primary or e}") from None
        found = [r[0] for r in rows if r and r[0] is not None]
        if not found:
            raise QueryError(f"{where}: the sql returned no values")
        return [found[i] for i in rng.choice(len(found), size=count, replace=len(found) < count)]
    return _sample_column(conn, where, source, count, rng)


def _sample_column(
    conn: psycopg.Connection, where: str, source: ParamSource, count: int, rng: np.random.Generator
) -> list[Any]:
    table, column = str(source.table), str(source.column)
    estimate = conn.execute(
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(%s)", (table,)
    ).fetchone()
    if estimate is None or estimate[0] is None:
        raise QueryError(f"{where}: sample names table {table}, which does not exist")
    rows = int(estimate[0])
    percent = 100.0 if rows <= SAMPLE_ROWS * 5 else max(0.01, 100.0 * SAMPLE_ROWS * 5 / rows)
    filter_sql = sql.SQL(" AND ({})").format(sql.SQL(source.where)) if source.where else sql.SQL("")
    query = sql.SQL(
        "SELECT {col} FROM {tbl} TABLESAMPLE BERNOULLI ({pct}) REPEATABLE (7) WHERE {col} IS NOT NULL{flt} LIMIT {lim}"
    ).format(
        col=sql.Identifier(column), tbl=sql.Identifier(table), pct=sql.Literal(percent), flt=filter_sql,
        lim=sql.Literal(SAMPLE_ROWS * 5),
    )
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            values = [r[0] for r in conn.execute(query, prepare=True).fetchall()]
    except psycopg.errors.UndefinedColumn as e:
        message = e.diag.message_primary or ""
        if source.where and f'"{column}"' not in message:
            raise QueryError(f"{where}: where: {message}") from None
        raise QueryError(f"{where}: sample names column {table}.{column}, which does not exist") from None
    except psycopg.Error as e:
        raise QueryError(f"{where}: {e.diag.message_primary or e}") from None
    if not values:
        raise QueryError(f"{where}: {table}.{column} has no non-NULL values to sample")
    values.sort(key=_sort_key)
    if source.pick == "distinct":
        distinct = sorted(set(values), key=_sort_key)
        return [distinct[i] for i in rng.choice(len(distinct), size=count, replace=len(distinct) < count)]
    if source.pick == "extremes":
        ranked = [v for v, _ in Counter(values).most_common()]
        picks: list[Any] = []
        while len(picks) < count and ranked:
            picks.append(ranked.pop(0))
            if ranked and len(picks) < count:
                picks.append(ranked.pop())
        return picks
    return [values[i] for i in rng.choice(len(values), size=count, replace=len(values) < count)]


def _sort_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, str(value))
