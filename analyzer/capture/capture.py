"""`pg-analyzer capture`: a workload file and its schema from a live (staging) database.

Everything is read in one READ ONLY, REPEATABLE READ transaction of a session whose
default is read-only too: pg_stat_statements (the statements and their counters), the
catalog (tables, keys), pg_class.reltuples (sizes) and pg_stats (the shape of every
column). Statements are PREPAREd (in a savepoint, then deallocated) only to learn their
parameter types. No row is read, nothing is written.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from analyzer.capture.params import name_parameters
from analyzer.capture.pgstats import read_column_stats
from analyzer.capture.rules import table_rules, tenant_copy_candidates
from analyzer.capture.schema_dump import dump_schema
from analyzer.capture.statements import CapturedStatement, CaptureError, read_statements
from analyzer.capture.writer import CapturedQuery, TableEntry, render_workload
from analyzer.catalog import Catalog, read_catalog, table_ident, table_key
from analyzer.progress import Reporter, SilentReporter
from analyzer.targets import connect, mask_dsn
from analyzer.workload import load_workload

_PREPARED = "pg_analyzer_capture"


@dataclass(frozen=True)
class CaptureOptions:
    dsn: str
    output: Path
    top: int | None = 100
    min_calls: int = 1
    scale: float = 1.0
    keep_values: bool = False


@dataclass(frozen=True)
class CaptureResult:
    workload_path: Path
    schema_path: Path
    schema_method: str
    queries: int
    writes: int
    tables: int
    left_out: dict[str, int] = field(default_factory=dict)


def capture_workload(options: CaptureOptions, reporter: Reporter | None = None) -> CaptureResult:
    """Read the target, write `options.output` and its schema file next to it; return what was written."""
    reporter = reporter or SilentReporter()
    if options.scale <= 0:
        raise CaptureError(f"--scale {options.scale:g}: the scale must be positive")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", options.output.stem) or "captured"
    schema_path = options.output.with_name(f"{options.output.stem}.schema.sql")
    masked = mask_dsn(options.dsn)
    try:
        return _capture(options, name, schema_path, masked, reporter)
    except psycopg.Error as e:
        raise CaptureError(f"{masked}: {e.diag.message_primary or str(e).splitlines()[0]}") from None


def _capture(
    options: CaptureOptions, name: str, schema_path: Path, masked: str, reporter: Reporter
) -> CaptureResult:
    with connect(options.dsn, dsn_masked=masked) as conn:
        conn.execute("SET default_transaction_read_only = on")
        conn.execute("SET TIME ZONE 'UTC'")
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            version_row = conn.execute("SELECT current_setting('server_version_num')::int, version()").fetchone()
            assert version_row is not None
            major, version = int(version_row[0]) // 10000, str(version_row[1]).split(",")[0]
            reporter.message(f"reading pg_stat_statements, the catalog and pg_stats of {masked}")
            catalog = read_catalog(conn)
            relations = set(catalog.tables) | _views(conn)
            selection = read_statements(conn, relations, top=options.top, min_calls=options.min_calls)
            left_out = Counter(selection.left_out)
            columns = {t.name: {c.name: c.type for c in t.columns} for t in catalog.tables.values()}
            queries: list[CapturedQuery] = []
            writes: list[CapturedQuery] = []
            used_names: Counter[str] = Counter()
            for stmt in selection.statements:
                types = _parameter_types(conn, stmt)
                if types is None:
                    left_out["does not PREPARE here"] += 1
                    continue
                named = name_parameters(stmt.sql, columns, types)
                base = f"{stmt.kind}_{named.tables[0].replace('.', '_') if named.tables else 'statement'}"
                used_names[base] += 1
                label = base if used_names[base] == 1 else f"{base}_{used_names[base]}"
                (writes if stmt.is_write else queries).append(CapturedQuery(label, stmt, named))
            if not queries:
                raise CaptureError(
                    f"{masked}: no query to capture in pg_stat_statements for this database "
                    f"(left out: {_describe(left_out) or 'nothing recorded yet'})"
                )
            tables = _tables(conn, catalog, options.keep_values)
        reporter.message("dumping the schema")
        dump = dump_schema(options.dsn, conn, catalog, major)
    header = _header(masked, version, dump.method, options, left_out)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    schema_path.write_text(f"-- Schema of {masked}, from {dump.method}\n\n{dump.ddl}", encoding="utf-8")
    text = render_workload(
        name=name, header=header, schema_file=schema_path.name, scale=options.scale, tables=tables,
        queries=queries, writes=writes,
    )
    options.output.write_text(text, encoding="utf-8")
    load_workload(options.output)  # the file must load as written; a failure here is a bug, said at once
    return CaptureResult(
        workload_path=options.output, schema_path=schema_path, schema_method=dump.method,
        queries=len(queries), writes=len(writes), tables=len(tables), left_out=dict(left_out),
    )


def _parameter_types(conn: psycopg.Connection, stmt: CapturedStatement) -> list[str] | None:
    """The statement's parameter types, by PREPARE in a savepoint; None when it does not prepare."""
    try:
        with conn.transaction():
            conn.execute(sql.SQL("PREPARE {} AS {}").format(sql.Identifier(_PREPARED), sql.SQL(stmt.sql)))
            row = conn.execute(
                "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s", (_PREPARED,)
            ).fetchone()
            conn.execute(sql.SQL("DEALLOCATE {}").format(sql.Identifier(_PREPARED)))
    except psycopg.Error:
        return None
    return list(row[0]) if row and row[0] is not None else []


def _views(conn: psycopg.Connection) -> set[str]:
    """Views and materialized views of the user schemas (named as the catalog names tables):
    queries on them are the application's too."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND c.relkind IN ('v', 'm')"
    ).fetchall()
    return {table_key(str(r[0]), str(r[1])) for r in rows}


def _tables(conn: psycopg.Connection, catalog: Catalog, keep_values: bool) -> list[TableEntry]:
    stats = read_column_stats(conn, list(catalog.tables))
    rows = {name: t.rows_estimate for name, t in catalog.tables.items()}
    for name, count in list(rows.items()):
        if count == 0:  # never analyzed (reltuples -1) or truly empty: count it (cheap for small tables)
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table_ident(name))).fetchone()
            rows[name] = int(row[0]) if row else 0
    out = []
    for name, table in catalog.tables.items():
        copies = {
            column: via for column, via, parent in tenant_copy_candidates(table, catalog.tables)
            if _follows_parent(conn, catalog, name, column, via, parent)
        }
        columns = table_rules(table, stats.get(name, {}), rows[name], rows, keep_values, copies)
        out.append(TableEntry(name=name, rows=rows[name], columns=columns))
    return out


def _follows_parent(conn: psycopg.Connection, catalog: Catalog, table: str, column: str, via: str, parent: str) -> bool:
    """On a sample of the source's rows, does `table.column` always equal the parent's (a tenant key)?"""
    fk = next((f for f in catalog.tables[table].foreign_keys if f.columns == (via,)), None)
    if fk is None:
        return False
    query = sql.SQL(
        "SELECT count(*), count(*) FILTER (WHERE c.{col} IS DISTINCT FROM p.{col}) "
        "FROM (SELECT {col}, {via} FROM {t} WHERE {via} IS NOT NULL LIMIT 20000) c "
        "JOIN {p} p ON p.{key} = c.{via}"
    ).format(col=sql.Identifier(column), via=sql.Identifier(via), t=table_ident(table),
             p=table_ident(parent), key=sql.Identifier(fk.ref_columns[0]))
    row = conn.execute(query).fetchone()
    return bool(row and row[0] > 0 and row[1] == 0)


def _header(masked: str, version: str, method: str, options: CaptureOptions, left_out: Counter[str]) -> list[str]:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Captured by pg-analyzer capture from {masked} ({version}) at {when}.",
        f"Schema: {method}. Queries: pg_stat_statements (min calls {options.min_calls}"
        + (f", top {options.top} by total time)." if options.top else ")."),
        "Data: none. Row counts from reltuples, column rules from pg_stats; no row was read or copied.",
    ]
    if options.keep_values:
        lines += [
            "WARNING: --keep-values: the most common values of text columns are staging's REAL values",
            "WARNING: (names, e-mails...). Review this file before committing or sharing it.",
        ]
    else:
        lines.append("Text values in statistics were replaced by synthetic values of the same length and frequency.")
    if left_out:
        lines.append(f"Left out: {_describe(left_out)}.")
    return lines + [""]


def _describe(left_out: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(left_out.items(), key=lambda kv: -kv[1]))
