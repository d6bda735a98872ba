"""Name the `$1..$n` of a normalized statement and infer where each parameter's values come from.

pg_stat_statements replaces every constant with `$n`. What a parameter is compared with
says what values it takes: `t.project_id = $1` samples tasks.project_id, `status IN ($2, $3)`
samples tasks.status, `= ANY($4)` gets arrays of sampled values, `LIMIT $5` a literal
default, `INSERT ... VALUES ($1, ...)` and `UPDATE ... SET col = $1` the column written.
The rest get a literal default of their type (from PREPARE). Parsed by pglast; no database.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind
from psycopg import sql

from analyzer.capture.relations import relation_key, walk_nodes
from analyzer.catalog import table_ident

_COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">=", "~~", "~~*", "!~~", "!~~*", "@>", "<@", "&&"}
_LIKE_OPS = {"~~", "~~*", "!~~", "!~~*"}
_LIKE_KINDS = (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE)
_BETWEEN_KINDS = (
    A_Expr_Kind.AEXPR_BETWEEN, A_Expr_Kind.AEXPR_NOT_BETWEEN, A_Expr_Kind.AEXPR_BETWEEN_SYM,
    A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM,
)


@dataclass(frozen=True)
class InferredParam:
    """One parameter: its name in the captured SQL and its source (as written to the YAML)."""

    number: int
    name: str
    source: Any  # a literal, or {sample: t.c} / {sql: ...}
    reason: str  # what it was compared with, for the comment in the file


@dataclass(frozen=True)
class NamedStatement:
    sql: str  # with :name parameters
    params: tuple[InferredParam, ...]
    tables: tuple[str, ...]  # the user tables the statement reads or writes


def statement_tables(stmt_sql: str) -> tuple[list[tuple[str | None, str]], str]:
    """(schema, relation) of every table the statement names, and its kind (select, insert, ...)."""
    tree = parse_sql(stmt_sql)
    if len(tree) != 1:
        return [], "multi"
    root = tree[0].stmt
    kind = {
        ast.SelectStmt: "select", ast.InsertStmt: "insert", ast.UpdateStmt: "update",
        ast.DeleteStmt: "delete", ast.MergeStmt: "merge",
    }.get(type(root), "utility")
    rels = [(r.schemaname, str(r.relname)) for r in walk_nodes(root) if isinstance(r, ast.RangeVar)]
    return rels, kind


def name_parameters(
    stmt_sql: str,
    columns: Mapping[str, Collection[str]],
    param_types: Sequence[str] = (),
) -> NamedStatement:
    """Rename `$n` to `:name` and give each a source; `columns` is table -> its column names
    (or a mapping column -> type, which lets JSON columns be sampled as text)."""
    root = parse_sql(stmt_sql)[0].stmt
    aliases = _aliases(root, columns)
    tables = tuple(dict.fromkeys(t for t in aliases.values() if t in columns))
    found: dict[int, tuple[str, Any, str]] = {}

    def column_of(node: Any) -> tuple[str, str] | None:
        node = _strip(node)
        if not isinstance(node, ast.ColumnRef):
            return None
        fields = [str(f.sval) for f in node.fields or () if isinstance(f, ast.String)]
        if len(fields) == 2 and fields[0] in aliases and aliases[fields[0]] in columns:
            return aliases[fields[0]], fields[1]
        if len(fields) == 3:  # schema.table.column
            key = relation_key(fields[0], fields[1], columns)
            if key is not None:
                return key, fields[2]
        if len(fields) == 1:
            owners = [t for t in tables if fields[0] in columns[t]]
            if owners:
                return owners[0], fields[0]
        return None

    def sample(number: int, col: tuple[str, str], why: str) -> None:
        if _type_of(columns, col) in ("json", "jsonb"):  # documents travel as text (a dict does not adapt)
            query = sql.SQL("SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL LIMIT 50").format(
                c=sql.Identifier(col[1]), t=table_ident(col[0])
            ).as_string(None)
            found.setdefault(number, (col[1], {"sql": query}, why))
            return
        found.setdefault(number, (col[1], {"sample": f"{col[0]}.{col[1]}"}, why))

    def array_sample(number: int, col: tuple[str, str]) -> None:
        table, name = col
        query = sql.SQL(
            "SELECT array_agg(v) FROM (SELECT v, ntile(5) OVER () AS g FROM (SELECT {c} AS v "
            "FROM {t} WHERE {c} IS NOT NULL LIMIT 25) s) s GROUP BY g"
        ).format(c=sql.Identifier(name), t=table_ident(table)).as_string(None)
        found.setdefault(number, (f"{name}s", {"sql": query}, f"= ANY(...) over {table}.{name}"))

    def compare(left: Any, right: Any, like: bool, op: str) -> None:
        left_s, right_s = _strip(left), _strip(right)
        if isinstance(left_s, ast.RowExpr) and isinstance(right_s, ast.RowExpr):
            for a, b in zip(left_s.args or (), right_s.args or (), strict=False):
                compare(a, b, like, op)
            return
        for col_side, other in ((left_s, right_s), (right_s, left_s)):
            col = column_of(col_side)
            if col is None:
                continue
            if isinstance(other, ast.ParamRef):
                sample(_number(other), col, f"{op} {col[0]}.{col[1]}")
            elif like:
                chain = _concat_chain(other)
                for i, part in enumerate(chain):
                    if isinstance(part, ast.ParamRef):
                        if i in (0, len(chain) - 1) and len(chain) > 1:
                            found.setdefault(_number(part), ("pattern", "%", "a LIKE wildcard"))
                        else:
                            sample(_number(part), col, f"LIKE over {col[0]}.{col[1]}")
            return

    for node in walk_nodes(root):
        if isinstance(node, ast.A_Expr):
            op = _op_name(node)
            if node.kind in (A_Expr_Kind.AEXPR_OP, *_LIKE_KINDS) and op in _COMPARISONS | {"~~*", "~~"}:
                compare(node.lexpr, node.rexpr, node.kind in _LIKE_KINDS or op in _LIKE_OPS, op)
            elif node.kind == A_Expr_Kind.AEXPR_IN and isinstance(node.rexpr, tuple):
                col = column_of(node.lexpr)
                for item in node.rexpr:
                    if col is not None and isinstance(_strip(item), ast.ParamRef):
                        sample(_number(_strip(item)), col, f"IN (...) over {col[0]}.{col[1]}")
            elif node.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
                col = column_of(node.lexpr)
                if col is not None and isinstance(_strip(node.rexpr), ast.ParamRef):
                    array_sample(_number(_strip(node.rexpr)), col)
            elif node.kind in _BETWEEN_KINDS and isinstance(node.rexpr, tuple):
                col = column_of(node.lexpr)
                for item in node.rexpr:
                    if col is not None and isinstance(_strip(item), ast.ParamRef):
                        sample(_number(_strip(item)), col, f"BETWEEN over {col[0]}.{col[1]}")
        elif isinstance(node, ast.SelectStmt):
            for clause, name, default in ((node.limitCount, "limit", 50), (node.limitOffset, "offset", 0)):
                if isinstance(_strip(clause), ast.ParamRef):
                    found.setdefault(_number(_strip(clause)), (name, default, f"{name.upper()} (a default)"))
        elif isinstance(node, ast.InsertStmt):
            _insert_params(node, columns, found)
        elif isinstance(node, ast.UpdateStmt) and node.relation is not None:
            table = _relation(node.relation, columns)
            for target in node.targetList or ():
                if (isinstance(target, ast.ResTarget) and isinstance(_strip(target.val), ast.ParamRef)
                        and table in columns and target.name in columns[table]):
                    sample(_number(_strip(target.val)), (table, str(target.name)), f"SET {target.name}")

    numbers = sorted({_number(p) for p in walk_nodes(root) if isinstance(p, ast.ParamRef)})
    used: set[str] = set()
    params: list[InferredParam] = []
    replacements: dict[int, str] = {}
    for number in numbers:
        if number not in found and _type_name(number, param_types) == "regconfig":
            # a text-search configuration is part of the query's shape, not a value: written back
            # as the literal, expression indexes on to_tsvector('english', ...) match it again
            replacements[number] = "'english'"
            continue
        base, source, why = found.get(number) or _typed_default(number, param_types)
        name = _unique_name(_clean(base), used)
        params.append(InferredParam(number=number, name=name, source=source, reason=why))
        replacements[number] = f":{name}"
    return NamedStatement(sql=_rename(stmt_sql, replacements), params=tuple(params), tables=tables)


def _insert_params(node: ast.InsertStmt, columns: Mapping[str, Collection[str]], found: dict[int, tuple[str, Any, str]]) -> None:
    if node.relation is None:
        return
    table = _relation(node.relation, columns)
    if table not in columns:
        return
    targets = [str(c.name) for c in node.cols or () if isinstance(c, ast.ResTarget)] or list(columns[table])
    select = node.selectStmt
    rows: list[Sequence[Any]] = []
    if isinstance(select, ast.SelectStmt):
        if select.valuesLists:
            rows = [tuple(r) for r in select.valuesLists]
        elif select.targetList:
            rows = [tuple(t.val for t in select.targetList if isinstance(t, ast.ResTarget))]
    for row in rows:
        for col, value in zip(targets, row, strict=False):
            value = _strip(value)
            if isinstance(value, ast.ParamRef):
                found.setdefault(_number(value), (col, {"sample": f"{table}.{col}"}, f"INSERT INTO {table}.{col}"))


_TYPE_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("smallint", 1), ("integer", 1), ("bigint", 1), ("numeric", 1), ("double precision", 1), ("real", 1),
    ("boolean", True), ("regconfig", "english"), ("date", "2025-01-01"), ("timestamp", "2025-01-01 00:00:00"),
    ("interval", "1 day"), ("jsonb", "{}"), ("json", "{}"), ("uuid", "00000000-0000-0000-0000-000000000000"),
)


def _type_name(number: int, param_types: Sequence[str]) -> str:
    return param_types[number - 1] if 0 < number <= len(param_types) else "text"


def _typed_default(number: int, param_types: Sequence[str]) -> tuple[str, Any, str]:
    """A literal of the parameter's type (PREPARE told it) for a parameter compared with no column."""
    type_name = _type_name(number, param_types)
    if type_name.endswith("[]"):
        return (f"p{number}", None, f"an array ({type_name}) with no column to sample: NULL")
    for prefix, value in _TYPE_DEFAULTS:
        if type_name.startswith(prefix):
            return (f"p{number}", value, f"compared with no column: a {type_name} default")
    return (f"p{number}", "a", f"compared with no column: a {type_name} default")


def _type_of(columns: Mapping[str, Collection[str]], col: tuple[str, str]) -> str:
    """The column's type when `columns` maps names to types (a plain list of names has none)."""
    names = columns.get(col[0])
    return str(names.get(col[1], "")) if isinstance(names, Mapping) else ""


def _number(param: Any) -> int:
    return int(param.number or 0)


def _strip(node: Any) -> Any:
    """The expression under casts (`$1::bigint`, `CAST($1 AS jsonb)`)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node


def _concat_chain(node: Any) -> list[Any]:
    node = _strip(node)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and _op_name(node) == "||":
        return _concat_chain(node.lexpr) + _concat_chain(node.rexpr)
    return [node]


def _op_name(node: ast.A_Expr) -> str:
    names = [n.sval for n in node.name or () if isinstance(n, ast.String)]
    return str(names[-1]) if names else ""


def _relation(node: ast.RangeVar, tables: Collection[str]) -> str:
    """The catalog key of a relation (`sales.orders`), or its bare name when it is no table there."""
    name = str(node.relname)
    return relation_key(node.schemaname, name, tables) or name


def _aliases(root: Any, tables: Collection[str]) -> dict[str, str]:
    """What each name a column may be qualified with (alias, or the relation's bare name) stands for."""
    out: dict[str, str] = {}
    for node in walk_nodes(root):
        if isinstance(node, ast.RangeVar):
            key = _relation(node, tables)
            out.setdefault(str(node.relname), key)
            if node.alias is not None:
                out[str(node.alias.aliasname)] = key
    return out


def _clean(base: str) -> str:
    name = re.sub(r"\W", "_", base).strip("_") or "p"
    return name if not name[0].isdigit() else f"p_{name}"


def _unique_name(base: str, used: set[str]) -> str:
    name, k = base, 2
    while name in used:
        name, k = f"{base}_{k}", k + 1
    used.add(name)
    return name


def _rename(text: str, names: Mapping[int, str]) -> str:
    """`$n` -> its replacement (`:name`, or a literal), outside string literals and quoted identifiers."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in ("'", '"'):
            end = text.find(ch, i + 1)
            while end != -1 and end + 1 < len(text) and text[end + 1] == ch:
                end = text.find(ch, end + 2)
            end = len(text) - 1 if end == -1 else end
            out.append(text[i : end + 1])
            i = end + 1
            continue
        m = re.match(r"\$(\d+)(?!\d)", text[i:]) if ch == "$" else None
        if m and int(m.group(1)) in names:
            out.append(names[int(m.group(1))])
            i += len(m.group(0))
            continue
        out.append(ch)
        i += 1
    return "".join(out)
