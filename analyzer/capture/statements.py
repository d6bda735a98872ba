"""Read the statements of one database from pg_stat_statements and keep the application's.

pg_stat_statements is server-wide: only the rows of the current database (`dbid`) are read,
summed over roles. Utility statements (DDL, COPY, EXPLAIN, SET ...), statements that name
no table of the schema (catalog queries, `SELECT 1`), text that no longer parses (cut by
track_activity_query_size) and the tool's own parameter sampling (`TABLESAMPLE ...
REPEATABLE`; pg_stat_statements records no application_name) are left out, counted by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import psycopg
from pglast import ast, parse_sql
from pglast.parser import ParseError
from psycopg import sql

from analyzer.capture.params import statement_tables
from analyzer.capture.relations import qualify_relations, relation_key, walk_nodes
from analyzer.errors import AnalyzerError

ENABLE_HINT = (
    "add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart the server, "
    "then run CREATE EXTENSION pg_stat_statements in this database"
)
WRITE_KINDS = ("insert", "update", "delete", "merge")


class CaptureError(AnalyzerError):
    """The target cannot be captured (no pg_stat_statements, no statistics)."""


@dataclass(frozen=True)
class CapturedStatement:
    """One normalized statement with its counters, summed over the roles that ran it."""

    queryid: int
    sql: str
    calls: int
    total_ms: float
    rows: int
    kind: str  # select, insert, update, delete, merge

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0

    @property
    def is_write(self) -> bool:
        return self.kind in WRITE_KINDS


@dataclass(frozen=True)
class StatementSelection:
    statements: tuple[CapturedStatement, ...]
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> statements


def stat_statements_schema(conn: psycopg.Connection) -> str:
    """The schema pg_stat_statements lives in; a one-line error saying how to enable it when absent."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_stat_statements'"
    ).fetchone()
    if row is None:
        raise CaptureError(f"pg_stat_statements is not installed in database {_dbname(conn)}: {ENABLE_HINT}")
    return str(row[0])


def read_statements(
    conn: psycopg.Connection, user_tables: AbstractSet[str], *, top: int | None, min_calls: int
) -> StatementSelection:
    """The application's statements of this database: calls >= min_calls, the `top` by total time."""
    schema = stat_statements_schema(conn)
    view = sql.Identifier(schema, "pg_stat_statements")
    has_toplevel = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'toplevel')",
        (f"{schema}.pg_stat_statements",),
    ).fetchone()
    only_top = sql.SQL("AND toplevel") if has_toplevel and has_toplevel[0] else sql.SQL("")
    query = sql.SQL(
        """
        SELECT queryid, min(query), sum(calls)::bigint, sum(total_exec_time)::float8, sum(rows)::bigint
        FROM {view}
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND queryid IS NOT NULL {only_top}
        GROUP BY queryid
        ORDER BY 4 DESC
        """
    ).format(view=view, only_top=only_top)
    try:
        rows = conn.execute(query).fetchall()
    except psycopg.errors.UndefinedColumn:
        raise CaptureError(
            "pg_stat_statements is older than 1.8 (PostgreSQL 13): ALTER EXTENSION pg_stat_statements UPDATE"
        ) from None
    except psycopg.errors.ObjectNotInPrerequisiteState:
        raise CaptureError(f"pg_stat_statements is installed but not loaded: {ENABLE_HINT}") from None
    except psycopg.errors.InsufficientPrivilege as e:
        raise CaptureError(
            f"cannot read pg_stat_statements: {e.diag.message_primary} (grant pg_read_all_stats to this role)"
        ) from None
    left_out: Counter[str] = Counter()
    kept: list[CapturedStatement] = []
    for queryid, text, calls, total_ms, nrows in rows:
        reason, kind = classify(str(text), user_tables)
        if reason is not None:
            left_out[reason] += 1
            continue
        if int(calls) < min_calls:
            left_out[f"fewer than {min_calls} calls"] += 1
            continue
        stmt_sql = qualify_relations(str(text).strip(), user_tables)  # replayed with the tool's search_path
        kept.append(CapturedStatement(int(queryid), stmt_sql, int(calls), float(total_ms), int(nrows), kind))
    if top is not None and len(kept) > top:
        left_out[f"beyond the top {top} by total time"] += len(kept) - top
        kept = kept[:top]
    return StatementSelection(tuple(kept), dict(left_out))


def classify(text: str, user_tables: AbstractSet[str]) -> tuple[str | None, str]:
    """(why the statement is left out, or None; its kind)."""
    try:
        rels, kind = statement_tables(text)
    except ParseError:
        return "does not parse (cut by track_activity_query_size?)", "utility"
    if kind == "multi":
        return "several statements in one", kind
    if kind == "utility":
        return "utility statement", kind
    if not any(relation_key(schema, name, user_tables) is not None for schema, name in rels):
        return "names no table of the schema (catalog queries)", kind
    if any(isinstance(n, ast.RangeTableSample) and n.repeatable is not None for n in walk_nodes(parse_sql(text))):
        return "the tool's own sampling (TABLESAMPLE ... REPEATABLE)", kind
    return None, kind


def _dbname(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else "?"
