"""What SQL from a workload file may be: parsed with PostgreSQL's own parser before anything connects.

A workload file is input the tool does not trust: its statements reach a staging database.
Each one is parsed with pglast when the file is loaded and must be exactly one statement of
a kind its place allows: a read (SELECT or WITH, nothing written, no lock taken) for queries
and parameter sources, a data-modifying statement (INSERT, UPDATE, DELETE, MERGE) only
under `writes:` or for a query that declares `modifies_data: true`. A `where:` filter is
parsed as an expression and re-written from the parse tree, so it can never close a
parenthesis and start another statement. READ ONLY transactions on the server are the
second wall; the functions refused here are those whose effect a READ ONLY transaction
does not stop (ending other sessions, session state, files, other servers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pglast
from pglast import ast
from pglast.stream import RawStream
from pglast.visitors import Visitor

READ, WRITE = "read", "write"

_WRITE_NODES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)

# Side effects that READ ONLY does not prevent: other sessions, server state, session-level
# state that outlives the transaction, the server's files, and other servers.
_REFUSED_FUNCTIONS = frozenset({
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal",
    "pg_create_restore_point", "pg_promote", "pg_wal_replay_pause", "pg_wal_replay_resume",
    "pg_log_backend_memory_contexts", "pg_stat_reset", "pg_stat_reset_shared", "pg_stat_reset_single_table_counters",
    "pg_stat_reset_single_function_counters", "pg_stat_reset_slru", "pg_stat_reset_replication_slot",
    "pg_stat_statements_reset", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
    "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "lo_import", "lo_export",
    "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync", "set_config", "pg_advisory_lock",
    "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared", "pg_advisory_unlock",
    "pg_advisory_unlock_all", "pg_advisory_unlock_shared", "dblink", "dblink_exec", "dblink_connect",
    "dblink_connect_u", "dblink_send_query", "dblink_open", "pg_create_logical_replication_slot",
    "pg_create_physical_replication_slot", "pg_drop_replication_slot", "pg_replication_origin_create",
    "pg_replication_origin_drop", "pg_import_system_collations", "pg_logical_emit_message",
})

# Statements of a schema whose objects live outside the database they run in: they would
# survive the scratch database (or the run) and change the whole server.
_SERVER_WIDE = {
    "CreateRoleStmt": "CREATE ROLE/USER", "AlterRoleStmt": "ALTER ROLE", "AlterRoleSetStmt": "ALTER ROLE ... SET",
    "DropRoleStmt": "DROP ROLE", "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
    "AlterTableSpaceOptionsStmt": "ALTER TABLESPACE", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
    "AlterDatabaseStmt": "ALTER DATABASE", "AlterDatabaseSetStmt": "ALTER DATABASE ... SET",
    "AlterDatabaseRefreshCollStmt": "ALTER DATABASE", "AlterSystemStmt": "ALTER SYSTEM", "LoadStmt": "LOAD",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION", "AlterSubscriptionStmt": "ALTER SUBSCRIPTION",
    "ReassignOwnedStmt": "REASSIGN OWNED", "DropOwnedStmt": "DROP OWNED", "GrantRoleStmt": "GRANT role TO role",
}

# Languages whose bodies the tool can read; others (C, untrusted Python/Perl/Tcl) reach the OS.
_INSPECTED_LANGUAGES = {"sql", "plpgsql", "internal"}


class SqlRejected(ValueError):
    """The SQL is not one statement of an allowed kind; the message says what it is."""


@dataclass(frozen=True)
class ParsedStatement:
    """One parsed statement and whether it reads or writes."""

    kind: str  # READ or WRITE
    statement_type: str  # the parse node's name, e.g. SelectStmt


def parse_single(positional_sql: str) -> ast.Node:
    """The one statement of `positional_sql` ($1-style placeholders); SqlRejected otherwise."""
    if "\x00" in positional_sql:
        raise SqlRejected("holds a NUL character: the parser and the server would read different statements")
    try:
        tree = pglast.parse_sql(positional_sql)
    except pglast.parser.ParseError as e:
        raise SqlRejected(f"SQL syntax error: {e.args[0]}") from None
    if len(tree) != 1:
        raise SqlRejected(f"holds {len(tree)} statements; write exactly one" if tree else "holds no statement")
    stmt = tree[0].stmt
    assert stmt is not None
    return stmt


def classify(positional_sql: str) -> ParsedStatement:
    """Parse one statement and say whether it is a read or a data-modifying statement.

    Anything else (DDL, TRUNCATE, COPY, transaction control, SET, utility commands) is refused,
    and so is a read that calls a function whose side effect a READ ONLY transaction allows.
    """
    stmt = parse_single(positional_sql)
    name = type(stmt).__name__
    if isinstance(stmt, ast.SelectStmt):
        if stmt.intoClause is not None:
            raise SqlRejected("SELECT ... INTO creates a table; write a plain SELECT")
        _refuse_functions(stmt)
        finder = _WriteFinder()
        finder(stmt)
        return ParsedStatement(WRITE if finder.found else READ, name)
    if isinstance(stmt, _WRITE_NODES):
        _refuse_functions(stmt)
        return ParsedStatement(WRITE, name)
    what = _describe(stmt)
    article = "an" if what[0] in "AEIOU" else "a"
    raise SqlRejected(f"is {article} {what} statement; only SELECT/WITH (and INSERT, UPDATE, DELETE, MERGE "
                      "under writes:) are allowed")


def require_read(positional_sql: str) -> ParsedStatement:
    """A statement that must only read: a query not declared as modifying data, a parameter source."""
    parsed = classify(positional_sql)
    if parsed.kind != READ:
        raise SqlRejected("modifies data or locks rows (INSERT/UPDATE/DELETE/MERGE, a data-modifying CTE or "
                          "FOR UPDATE); only a read is allowed here")
    return parsed


def require_write(positional_sql: str) -> ParsedStatement:
    """A statement of the write mix: INSERT, UPDATE, DELETE or MERGE (or a CTE around one)."""
    parsed = classify(positional_sql)
    if parsed.kind != WRITE:
        raise SqlRejected("reads only; writes: holds INSERT, UPDATE, DELETE or MERGE statements")
    return parsed


def safe_filter(expression: str) -> str:
    """A `where:` filter as one boolean expression, re-written from its parse tree.

    The text is parsed as `SELECT 1 WHERE <expr>`; anything that does not come back as exactly
    that (a second statement, a LIMIT, a closed parenthesis) is refused. What is returned is
    the deparsed expression, so what reaches the server is what was parsed.
    """
    try:
        stmt = parse_single(f"SELECT 1 WHERE {expression}")
    except SqlRejected as e:
        raise SqlRejected(f"where: is not one SQL expression ({e})") from None
    if not isinstance(stmt, ast.SelectStmt) or stmt.whereClause is None or _has_more_than_where(stmt):
        raise SqlRejected("where: is not one SQL expression")
    finder = _WriteFinder()
    finder(stmt)
    if finder.found:
        raise SqlRejected("where: modifies data")
    _refuse_functions(stmt)
    return str(RawStream()(stmt.whereClause))


def check_schema(schema_sql: str) -> list[tuple[int, str]]:
    """Statements of a schema that would reach beyond its database: (line, what) for each.

    Returns nothing for a schema that only creates objects inside the database. A schema the
    parser cannot read is refused too: what cannot be inspected is not run.
    """
    if "\x00" in schema_sql:
        return [(_line_of(schema_sql, schema_sql.index("\x00")), "a NUL character")]
    try:
        tree = pglast.parse_sql(schema_sql)
    except pglast.parser.ParseError as e:
        line = _line_of(schema_sql, getattr(e, "location", None) or (e.args[1] if len(e.args) > 1 else 0))
        return [(line, f"SQL syntax error: {e.args[0]}")]
    out: list[tuple[int, str]] = []
    for raw in tree:
        stmt = raw.stmt
        start = raw.stmt_location or 0
        source = schema_sql.encode("utf-8")[start: start + raw.stmt_len if raw.stmt_len else None].decode("utf-8", "replace")
        what = _server_wide(stmt, source)
        if what is not None:
            out.append((_line_of(schema_sql, start), what))
    return out


def _server_wide(stmt: Any, source: str = "") -> str | None:
    name = type(stmt).__name__
    if name == "CopyStmt":
        if stmt.filename is not None or stmt.is_program:
            return "COPY to or from a server file or program"
        return None
    if name in _SERVER_WIDE:
        return _SERVER_WIDE[name]
    if name == "DoStmt":
        body = next((str(a.arg.sval) for a in stmt.args or () if a.defname == "as"), "")
        language = next((str(a.arg.sval) for a in stmt.args or () if a.defname == "language"), "plpgsql")
        wrapper = f"CREATE FUNCTION pga_inspect() RETURNS void LANGUAGE plpgsql AS $pga_body${body}$pga_body$"
        return _code_body(language, [body], wrapper, anonymous=True)
    if name == "CreateFunctionStmt":
        options = {o.defname: o.arg for o in stmt.options or ()}
        language = str(getattr(options.get("language"), "sval", "sql")).lower()
        raw = options.get("as")
        bodies = [str(getattr(b, "sval", "")) for b in (raw if isinstance(raw, (list, tuple)) else [raw]) if b is not None]
        if stmt.sql_body is not None:
            return None  # BEGIN ATOMIC: parsed with the statement, checked like any SQL function below
        return _code_body(language, bodies[:1], source or None)
    if isinstance(stmt, ast.SelectStmt):
        try:
            _refuse_functions(stmt, allowed={"set_config"})
        except SqlRejected as e:
            return str(e)
    return None


def _code_body(language: str, bodies: list[str], plpgsql_source: str | None, anonymous: bool = False) -> str | None:
    """What a DO block or a function body would do beyond its database, read from its own parse tree.

    A function's dynamic EXECUTE is allowed (real schemas use it in triggers: it runs inside the
    database, as the seeding role); an anonymous block runs right away, so its EXECUTE is refused.
    """
    if language not in _INSPECTED_LANGUAGES:
        return f"a {language} code block, which the tool cannot inspect"
    if language == "internal" or not bodies:
        return None
    if language == "sql":
        return next((w for w in (_server_wide_in(b) for b in bodies) if w), None)
    if plpgsql_source is None:
        return None
    try:
        tree = pglast.parse_plpgsql(plpgsql_source)
    except Exception:  # noqa: BLE001 - pglast raises several kinds for a body it cannot read
        return "a PL/pgSQL block the parser cannot read" if anonymous else None
    for key, value in _walk_json(tree):
        if key == "PLpgSQL_stmt_dynexecute" and anonymous:
            return "DO with EXECUTE of dynamic SQL, which the tool cannot inspect"
        if key == "query" and isinstance(value, str):
            what = _server_wide_in(value)
            if what:
                return what
    return None


def _server_wide_in(text: str) -> str | None:
    try:
        tree = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return None  # an expression, not a statement: nothing server-wide
    return next((w for w in (_server_wide(r.stmt) for r in tree) if w), None)


def _walk_json(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk_json(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_json(item)


def referenced_tables(positional_sql: str) -> set[str]:
    """The tables (and views) a statement names, schema-qualified as written; CTE names left out."""
    try:
        tree = pglast.parse_sql(positional_sql)
    except pglast.parser.ParseError:
        return set()
    finder = _RelationFinder()
    finder(tree)
    return {name for name in finder.names if name not in finder.ctes}


def _refuse_functions(stmt: ast.Node, allowed: frozenset[str] | set[str] = frozenset()) -> None:
    calls = _FunctionFinder()
    calls(stmt)
    for called in calls.names:
        if called in _REFUSED_FUNCTIONS and called not in allowed:
            raise SqlRejected(f"calls {called}(), whose effect a read-only transaction does not stop")


def _has_more_than_where(stmt: ast.SelectStmt) -> bool:
    return any(getattr(stmt, attr) for attr in (
        "fromClause", "groupClause", "havingClause", "windowClause", "sortClause", "limitCount", "limitOffset",
        "lockingClause", "withClause", "distinctClause", "valuesLists", "larg", "rarg", "intoClause",
    )) or len(stmt.targetList or ()) != 1


def _describe(stmt: ast.Node) -> str:
    name = type(stmt).__name__.removesuffix("Stmt")
    special = {"Truncate": "TRUNCATE", "Copy": "COPY", "Transaction": "transaction control", "VariableSet": "SET",
               "Explain": "EXPLAIN", "Vacuum": "VACUUM/ANALYZE", "Drop": "DROP", "Create": "CREATE TABLE",
               "Call": "CALL", "Do": "DO", "Index": "CREATE INDEX", "Grant": "GRANT", "Lock": "LOCK",
               "Notify": "NOTIFY", "Listen": "LISTEN", "Prepare": "PREPARE", "Execute": "EXECUTE"}
    return special.get(name, name)


def _line_of(text: str, offset: int) -> int:
    return text.encode("utf-8")[: max(offset, 0)].count(b"\n") + 1


class _WriteFinder(Visitor):
    """Finds data-modifying statements and row locks anywhere in a tree."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit(self, ancestors: Any, node: Any) -> None:
        if isinstance(node, _WRITE_NODES) or (isinstance(node, ast.SelectStmt) and node.lockingClause):
            self.found = True


class _FunctionFinder(Visitor):
    """Collects the unqualified names of every function a tree calls."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors: Any, node: ast.FuncCall) -> None:
        if node.funcname:
            last = node.funcname[-1]
            self.names.append(str(getattr(last, "sval", "")).lower())


class _RelationFinder(Visitor):
    """Collects every RangeVar of a tree and the names its WITH clauses define."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors: Any, node: ast.RangeVar) -> None:
        self.names.add(f"{node.schemaname}.{node.relname}" if node.schemaname else str(node.relname))

    def visit_CommonTableExpr(self, ancestors: Any, node: ast.CommonTableExpr) -> None:
        self.ctes.add(str(node.ctename))
