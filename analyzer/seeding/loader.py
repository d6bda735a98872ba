"""Seed a workload's tables: generate in foreign-key order, bulk COPY, constraints after, ANALYZE.

The whole load is one transaction: constraints and indexes of the seeded tables are dropped,
rows are streamed with COPY, then everything is re-created (so FKs are validated, and a
failure leaves the schema exactly as it was). Same seed, same bytes.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pandas as pd
import psycopg
from psycopg import sql

from analyzer.catalog import Catalog, Table, read_catalog
from analyzer.errors import SeedError
from analyzer.progress import Reporter, SilentReporter
from analyzer.report.model import ColumnStats, SeedSummary, TableSeed
from analyzer.seeding.generators import Col, Context, TableData, generate, to_arrow
from analyzer.seeding.rules import Rule, infer_rule, parse_rule
from analyzer.workload import TableRule, Workload

COPY_CHUNK_ROWS = 100_000
# Every non-NULL value quoted, so an empty string stays an empty string (COPY CSV reads an
# unquoted empty field as NULL).
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


def scaled_rows(rule: TableRule, scale: float) -> int:
    """Rows of a table at a scale; a table that has rows keeps at least one."""
    return max(1, round(rule.rows * scale)) if rule.rows > 0 else 0


def seed_workload(
    conn: psycopg.Connection,
    workload: Workload,
    *,
    scale: float,
    seed: int,
    mode: str = "empty",
    reporter: Reporter | None = None,
) -> SeedSummary:
    """Seed every table the workload describes; `mode` is empty (refuse rows), append or replace."""
    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    catalog = read_catalog(conn)
    for name, rule in workload.tables.items():
        if name not in catalog.tables:
            raise SeedError(
                f"{workload.path}:{rule.line}: tables.{name}: no such table in the schema "
                f"(tables: {', '.join(sorted(catalog.tables)) or 'none'})"
            )
    order = load_order(catalog, list(workload.tables))
    plans = {name: _column_plan(catalog.tables[name], workload.tables[name], catalog) for name in order}
    _check_references(plans, set(order))
    seeded: list[TableSeed] = []
    conn.execute("SET TIME ZONE 'UTC'")
    with conn.transaction():
        _handle_existing_rows(conn, order, mode)
        saved = _drop_constraints(conn, catalog, order)
        if mode != "append":
            # A table truncated in the loading transaction gets a new file: with wal_level=minimal
            # (the embedded server) its COPY writes no WAL at all.
            conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(n) for n in order)))
        done: dict[str, TableData] = {}
        for name in order:
            t0 = time.perf_counter()
            n = scaled_rows(workload.tables[name], scale)
            groups = _composite_unique_sets(catalog.tables[name], workload.tables[name])
            data = _generate_table(catalog.tables[name], plans[name], groups, n, seed, done)
            _copy_table(conn, name, data, plans[name], reporter)
            done[name] = data
            seeded.append(TableSeed(table=name, rows=n, seconds=time.perf_counter() - t0))
        reporter.message("building constraints and indexes")
        _restore_constraints(conn, saved)
        _sync_sequences(conn, catalog, order)
    reporter.message("analyzing")
    for name in order:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    stats = {name: column_stats(conn, name, list(workload.tables[name].columns)) for name in order}
    tables = tuple(replace(t, columns=stats[t.table]) for t in seeded)
    return SeedSummary(scale=scale, seed=seed, seconds=time.perf_counter() - started, tables=tables)


def load_order(catalog: Catalog, names: list[str]) -> list[str]:
    """Tables ordered so that every referenced table comes first (self-references aside)."""
    remaining = list(names)
    order: list[str] = []
    while remaining:
        progressed = False
        for name in list(remaining):
            deps = {fk.ref_table for fk in catalog.tables[name].foreign_keys if fk.ref_table != name}
            if not (deps & set(remaining)):
                order.append(name)
                remaining.remove(name)
                progressed = True
        if not progressed:
            raise SeedError(
                f"tables {', '.join(remaining)} reference each other in a cycle: make one of the "
                "references nullable and give it `null_fraction: 1`, or seed one table with `seed: false`"
            )
    return order


def _column_plan(table: Table, rule: TableRule, catalog: Catalog) -> list[Rule]:
    """The rule of every written column, in the order generation needs (dependencies first)."""
    declared = {name: parse_rule(table.name, name, raw) for name, raw in rule.columns.items()}
    for name in declared:
        if table.column(name) is None:
            raise SeedError(
                f"tables.{table.name}.columns.{name}: no such column "
                f"(columns: {', '.join(c.name for c in table.columns)})"
            )
    rules: dict[str, Rule] = {}
    for column in table.columns:
        r = declared.get(column.name) or infer_rule(table, column)
        if r is None or r.kind == "default":
            continue
        if any(u == (column.name,) for u in table.unique_sets) and not r.unique and r.kind != "sequence":
            r = replace(r, unique=True)
        rules[column.name] = r
    for columns in _composite_unique_sets(table, rule):
        for c in columns:
            if c not in rules:
                raise SeedError(f"tables.{table.name}: unique ({', '.join(columns)}) names {c}, which is not generated")
    return _dependency_order(table.name, rules, _composite_unique_sets(table, rule))


def _composite_unique_sets(table: Table, rule: TableRule) -> list[tuple[str, ...]]:
    sets = [u for u in table.unique_sets if len(u) > 1]
    sets += [tuple(u) for u in rule.unique if len(u) > 1 and tuple(u) not in sets]
    return sets


def _dependency_order(table: str, rules: dict[str, Rule], groups: list[tuple[str, ...]]) -> list[Rule]:
    first = [c for g in groups for c in g]
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise SeedError(f"tables.{table}.columns.{name}: its rule depends on itself through other columns")
        visiting.add(name)
        rule = rules.get(name)
        if rule is None:
            raise SeedError(f"tables.{table}: a rule depends on column {name}, which is not generated")
        for dep in rule.depends_on():
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in first + list(rules):
        visit(name)
    return [rules[n] for n in ordered]


def _check_references(plans: dict[str, list[Rule]], seeded: set[str]) -> None:
    for rules in plans.values():
        for r in rules:
            if r.kind == "ref":
                target = str(r.arg).split(".", 1)[0]
                if target not in seeded:
                    raise SeedError(f"{r.where}: references {r.arg}, but table {target} is not seeded by this workload")


def _handle_existing_rows(conn: psycopg.Connection, order: list[str], mode: str) -> None:
    for name in order:
        has_rows = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name))).fetchone()
        if has_rows and has_rows[0]:
            if mode == "replace":
                conn.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                        sql.SQL(", ").join(sql.Identifier(n) for n in order)
                    )
                )
                return
            if mode != "append":
                raise SeedError(f"table {name} already holds rows: pass --append to add to them or --replace to truncate")


def _drop_constraints(conn: psycopg.Connection, catalog: Catalog, order: list[str]) -> list[sql.Composed]:
    """Drop FKs, keys and indexes of the seeded tables; return the statements that re-create them."""
    seeded = set(order)
    restore_keys: list[sql.Composed] = []
    restore_indexes: list[sql.Composed] = []
    restore_fks: list[sql.Composed] = []
    for table in catalog.tables.values():
        for fk in table.foreign_keys:
            if fk.table in seeded or fk.ref_table in seeded:
                conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(fk.table), sql.Identifier(fk.name)))
                restore_fks.append(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(fk.table), sql.Identifier(fk.name), sql.SQL(fk.definition)
                    )
                )
    for name in order:
        table = catalog.tables[name]
        for con in table.constraints:
            if con.kind in ("p", "u"):
                conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(name), sql.Identifier(con.name)))
                restore_keys.append(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(name), sql.Identifier(con.name), sql.SQL(con.definition)
                    )
                )
        for index in table.indexes:
            if index.constraint is None:
                conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index.name)))
                restore_indexes.append(sql.SQL(index.definition))  # type: ignore[arg-type]
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(name)))
        restore_fks.append(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(name)))
    return restore_keys + restore_indexes + restore_fks


def _restore_constraints(conn: psycopg.Connection, statements: list[sql.Composed]) -> None:
    for stmt in statements:
        try:
            conn.execute(stmt)
        except psycopg.errors.ForeignKeyViolation as e:
            raise SeedError(f"seeded data breaks a foreign key: {e.diag.message_primary}") from None
        except psycopg.errors.UniqueViolation as e:
            raise SeedError(f"seeded data breaks a unique constraint: {e.diag.message_primary} ({e.diag.message_detail})") from None


def _sync_sequences(conn: psycopg.Connection, catalog: Catalog, order: list[str]) -> None:
    """Move identity/serial sequences past the seeded ids so later inserts do not collide."""
    for name in order:
        for column in catalog.tables[name].columns:
            if column.identity or (column.default or "").startswith("nextval("):
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({t}, {c}), coalesce(max({ci}), 0) + 1, false) FROM {ti}"
                    ).format(t=sql.Literal(name), c=sql.Literal(column.name), ci=sql.Identifier(column.name),
                             ti=sql.Identifier(name))
                )


def _generate_table(
    table: Table, rules: list[Rule], groups: list[tuple[str, ...]], n: int, seed: int, done: dict[str, TableData]
) -> TableData:
    column_types: dict[str, str] = {c.name: c.type for c in table.columns}
    for r in rules:
        if r.kind == "ref":
            column_types[f"ref:{r.column}"] = str(r.arg).split(".", 1)[0]
    ctx = Context(seed, table.name, n, done, column_types)
    generated_groups: set[str] = set()
    for r in rules:
        if r.column in ctx.cols:
            continue
        group = next((g for g in groups if r.column in g), None)
        if group is not None and r.column not in generated_groups:
            ctx.cols.update(_generate_unique_group(group, {x.column: x for x in rules}, ctx, n))
            generated_groups.update(group)
            continue
        ctx.cols[r.column] = generate(r, ctx)
    return TableData(table.name, n, ctx.cols)


def _generate_unique_group(group: tuple[str, ...], rules: dict[str, Rule], ctx: Context, n: int) -> dict[str, Col]:
    """Columns unique together (memberships (org_id, user_id)): oversample, keep first occurrences."""
    factor = 1.25
    for _ in range(6):
        m = int(n * factor) + 16
        cols = {}
        for c in group:
            cols[c] = generate(rules[c], ctx, m)
        frame = pd.DataFrame({c: cols[c].values for c in group})
        keep = np.flatnonzero(~frame.duplicated().to_numpy())
        if len(keep) >= n:
            keep = keep[:n]
            return {c: _subset(col, keep) for c, col in cols.items()}
        factor *= 2
    raise SeedError(
        f"tables.{ctx.table}: unique ({', '.join(group)}) is impossible for {n} rows: "
        f"only about {len(keep)} distinct combinations come out of the rules"
    )


def _subset(col: Col, rows: np.ndarray) -> Col:
    return Col(
        col.kind,
        col.values[rows],
        nulls=col.nulls[rows] if col.nulls is not None else None,
        parent_rows=col.parent_rows[rows] if col.parent_rows is not None else None,
    )


def _copy_table(conn: psycopg.Connection, name: str, data: TableData, rules: list[Rule], reporter: Reporter) -> None:
    columns = [r.column for r in rules]
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    reporter.start(f"seed {name}", data.n)
    try:
        with conn.cursor().copy(stmt) as copy:
            for start in range(0, data.n, COPY_CHUNK_ROWS):
                stop = min(start + COPY_CHUNK_ROWS, data.n)
                batch = pa.table({c: to_arrow(_slice(data.cols[c], start, stop)) for c in columns})
                sink = io.BytesIO()
                pa_csv.write_csv(batch, sink, _CSV_OPTIONS)
                copy.write(sink.getbuffer())
                reporter.advance(stop - start)
    except psycopg.errors.DataError as e:
        raise SeedError(f"tables.{name}: generated values do not fit the column types: {e.diag.message_primary} "
                        f"({e.diag.context or ''})".strip()) from None
    except psycopg.errors.NotNullViolation as e:
        raise SeedError(f"tables.{name}.columns.{e.diag.column_name}: NOT NULL column got NULLs: "
                        "declare a rule for it without null_fraction") from None
    finally:
        reporter.finish()


def _slice(col: Col, start: int, stop: int) -> Col:
    return Col(col.kind, col.values[start:stop], nulls=col.nulls[start:stop] if col.nulls is not None else None)


def column_stats(conn: psycopg.Connection, table: str, columns: list[str]) -> tuple[ColumnStats, ...]:
    """pg_stats of the declared columns, for the report and the statistics tests."""
    if not columns:
        return ()
    rows = conn.execute(
        """
        SELECT attname, n_distinct, null_frac,
               coalesce(most_common_vals::text, '{}'), coalesce(most_common_freqs, '{}')
        FROM pg_stats WHERE schemaname = 'public' AND tablename = %s AND attname = ANY(%s)
        """,
        (table, columns),
    ).fetchall()
    out = []
    for attname, n_distinct, null_frac, mcv_text, freqs in rows:
        mcv = _parse_array_text(mcv_text)[:5]
        out.append(
            ColumnStats(
                column=attname, n_distinct=float(n_distinct), null_frac=float(null_frac),
                most_common_vals=tuple(mcv), most_common_freqs=tuple(float(f) for f in list(freqs)[:5]),
            )
        )
    order = {c: i for i, c in enumerate(columns)}
    return tuple(sorted(out, key=lambda s: order.get(s.column, 0)))


def _parse_array_text(text: str) -> list[str]:
    """Elements of a PostgreSQL array literal (enough for pg_stats' anyarray text)."""
    inner = text.strip()[1:-1]
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and i + 1 < len(inner):
            i += 1
            buf.append(inner[i])
        elif ch == "," and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if buf or inner:
        out.append("".join(buf))
    return out
