"""Sample parameter sets for a declared statement from its parameter sources.

`sample: table.column` reads values from the seeded data with a repeatable TABLESAMPLE.
Parameters sampled from the same table are drawn from the same row (a project and one of
its assignees, not two unrelated values that match nothing); `from: <group>` names the group
explicitly, `from: independent` draws a parameter on its own.

By default the sets cover the distribution: the first is the heaviest value in the sample
(the tenant with the most rows), the last a rare one (a value seen once), the rest typical
(drawn as often as the application would meet them). Each set carries its label, so a report
can say which kind a slow plan belongs to. `pick: distinct` draws uniformly over distinct
values, `pick: extremes` alternates the most and least frequent values.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from analyzer.catalog import table_ident
from analyzer.errors import QueryError
from analyzer.workload import ParamSource, Statement

SAMPLE_ROWS = 2000
INDEPENDENT = "independent"  # `from: independent`: this parameter is drawn on its own

HEAVY, TYPICAL, RARE, DECLARED = "heavy", "typical", "rare", "declared"


@dataclass(frozen=True)
class ParamSet:
    """One set of values for a statement's parameters, with the part of the distribution it stands for."""

    values: dict[str, Any]
    label: str  # heavy, typical, rare, or declared (literals, lists and queries of the workload)


def sample_param_sets(conn: psycopg.Connection, stmt: Statement, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` parameter sets (fewer when every source is a single literal), without their labels."""
    return [p.values for p in sample_labelled_param_sets(conn, stmt, count, seed)]


def sample_labelled_param_sets(conn: psycopg.Connection, stmt: Statement, count: int, seed: int) -> list[ParamSet]:
    """`count` labelled parameter sets: heavy first, rare last, typical between (see the module docstring)."""
    rng = np.random.default_rng([seed, zlib.crc32(stmt.name.encode())])
    if not stmt.params:
        return [ParamSet({}, DECLARED)]
    if all(s.kind == "literal" for s in stmt.params.values()):
        count = 1
    columns: dict[str, list[Any]] = {}
    labels: list[str] | None = None
    for names in _groups(stmt).values():
        first = stmt.params[names[0]]
        where = f"{stmt.location}: params.{', '.join(names)}"
        if first.kind == "sample" and first.pick == "rows":
            rows, group_labels = _sample_rows(conn, where, stmt, names, count, rng)
            for i, name in enumerate(names):
                columns[name] = [r[i] for r in rows]
            labels = labels or group_labels
            continue
        for name in names:
            columns[name] = _values_for(conn, stmt, name, stmt.params[name], count, rng)
        if first.kind == "sample" and first.pick == "extremes" and labels is None:
            labels = [HEAVY if i % 2 == 0 else RARE for i in range(count)]
    return [
        ParamSet({name: vals[i % len(vals)] for name, vals in columns.items()},
                 labels[i] if labels is not None and i < len(labels) else DECLARED)
        for i in range(count)
    ]


def _groups(stmt: Statement) -> dict[str, list[str]]:
    """Parameters drawn together: by `from:`, else by the table they sample; every other source alone."""
    groups: dict[str, list[str]] = {}
    for name, source in stmt.params.items():
        if source.kind == "sample" and source.group != INDEPENDENT and source.pick == "rows":
            key = f"group:{source.group or source.table}"
        else:
            key = f"param:{name}"
        groups.setdefault(key, []).append(name)
    for key, names in groups.items():
        tables = {stmt.params[n].table for n in names}
        if len(tables) > 1:
            raise QueryError(f"{stmt.location}: params {', '.join(names)} share {key.split(':', 1)[1]!r} "
                             f"but sample different tables ({', '.join(sorted(str(t) for t in tables))}); "
                             "one group draws its values from one row of one table")
        wheres = {stmt.params[n].where for n in names}
        if len(wheres) > 1:
            raise QueryError(f"{stmt.location}: params {', '.join(names)} are drawn from one row but "
                             "give different `where:` filters; give them the same one")
    return groups


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


def _fetch_sample(conn: psycopg.Connection, where: str, table: str, columns: list[str],
                  filter_sql: str | None) -> list[tuple[Any, ...]]:
    """Up to SAMPLE_ROWS * 5 rows of the columns (none NULL), from a repeatable sample of the table."""
    estimate = conn.execute(
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(%s)", (table,)
    ).fetchone()
    if estimate is None or estimate[0] is None:
        raise QueryError(f"{where}: sample names table {table}, which does not exist")
    rows = int(estimate[0])
    percent = 100.0 if rows <= SAMPLE_ROWS * 5 else max(0.01, 100.0 * SAMPLE_ROWS * 5 / rows)
    # filter_sql is the `where:` expression as sqlguard.safe_filter deparsed it from its parse tree at load
    filter_part = sql.SQL(" AND ({})").format(sql.SQL(filter_sql)) if filter_sql else sql.SQL("")
    not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in columns)
    query = sql.SQL(
        "SELECT {cols} FROM {tbl} TABLESAMPLE BERNOULLI ({pct}) REPEATABLE (7) WHERE {nn}{flt} LIMIT {lim}"
    ).format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns), tbl=table_ident(table),
        pct=sql.Literal(percent), nn=not_null, flt=filter_part, lim=sql.Literal(SAMPLE_ROWS * 5),
    )
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            found = [tuple(r) for r in conn.execute(query, prepare=True).fetchall()]
    except psycopg.errors.UndefinedColumn as e:
        message = e.diag.message_primary or ""
        if filter_sql and not any(f'"{c}"' in message for c in columns):
            raise QueryError(f"{where}: where: {message}") from None
        if len(columns) == 1:
            raise QueryError(f"{where}: sample names column {table}.{columns[0]}, which does not exist") from None
        raise QueryError(f"{where}: sample names a column of {table} that does not exist ({message})") from None
    except psycopg.Error as e:
        raise QueryError(f"{where}: {e.diag.message_primary or e}") from None
    if not found:
        raise QueryError(f"{where}: {table}.{', '.join(columns)} has no rows without NULLs to sample")
    return found


def _sample_rows(conn: psycopg.Connection, where: str, stmt: Statement, names: list[str], count: int,
                 rng: np.random.Generator) -> tuple[list[tuple[Any, ...]], list[str]]:
    """`count` rows of the group's columns: the heaviest combination, typical rows, a rare one."""
    first = stmt.params[names[0]]
    found = _fetch_sample(conn, where, str(first.table), [str(stmt.params[n].column) for n in names], first.where)
    found.sort(key=_row_key)
    frequency = Counter(found)
    # heaviest: most rows, ties broken by value so the pick repeats; rarest: fewest rows, same tie-break
    ranked = sorted(frequency, key=lambda r: (-frequency[r], _row_key(r)))
    heavy, rare = ranked[0], ranked[-1]
    if count <= 1 or len(ranked) == 1:
        return [found[int(rng.integers(len(found)))]] * max(count, 1), [TYPICAL] * max(count, 1)
    if count == 2:
        return [heavy, found[int(rng.integers(len(found)))]], [HEAVY, TYPICAL]
    rest = [r for r in found if r != heavy and r != rare] or found
    typical = [rest[i] for i in rng.choice(len(rest), size=count - 2, replace=len(rest) < count - 2)]
    return [heavy, *typical, rare], [HEAVY, *([TYPICAL] * (count - 2)), RARE]


def _sample_column(
    conn: psycopg.Connection, where: str, source: ParamSource, count: int, rng: np.random.Generator
) -> list[Any]:
    values = [r[0] for r in _fetch_sample(conn, where, str(source.table), [str(source.column)], source.where)]
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


def _row_key(row: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(_sort_key(v) for v in row)
