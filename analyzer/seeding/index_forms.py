"""Unique expression indexes and exclusion constraints, read as what generated values must obey.

The forms the seeder satisfies:

- `CREATE UNIQUE INDEX ... (lower(email))` (also `upper()`, casts, and mixed with plain
  columns, `(tenant_id, lower(email))`): the columns are unique together and the folded
  column is written in that case, so the values stay unique after the expression;
- `EXCLUDE USING gist (room_id WITH =, during WITH &&)`: the ranges of rows with the same
  `=` columns never overlap (`WITH =` alone is a unique set; a WHERE clause only makes the
  constraint weaker, so it holds too).

Any other expression or operator is reported before loading, naming the table and the index
or constraint, unless the workload declares a rule for every column it names (the user then
owns the values, and the server checks them when it re-creates the index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pglast
from pglast import ast

from analyzer.catalog import Table

FOLDS = ("lower", "upper")  # functions whose result stays unique when the values are unique in that case


@dataclass(frozen=True)
class ExpressionUnique:
    """A unique index over expressions that the seeder can satisfy."""

    index: str
    columns: tuple[str, ...]  # the underlying columns, unique together
    folds: tuple[tuple[str, str], ...]  # (column, "lower"|"upper")


@dataclass(frozen=True)
class Exclusion:
    """`EXCLUDE (a WITH =, ..., r WITH &&)`: disjoint ranges of `range_column` per `equal` key."""

    constraint: str
    equal: tuple[str, ...]
    range_column: str | None  # None: only `=`, a unique set


@dataclass(frozen=True)
class Unsupported:
    """An index or constraint whose form the seeder cannot satisfy by itself."""

    name: str
    what: str  # "unique index" or "exclusion constraint"
    definition: str
    columns: tuple[str, ...]  # the columns it names (as far as they are plain references)


@dataclass(frozen=True)
class IndexForms:
    unique: tuple[ExpressionUnique, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    unsupported: tuple[Unsupported, ...] = ()

    @property
    def unique_sets(self) -> tuple[tuple[str, ...], ...]:
        """Column sets these forms make unique (beside the table's own keys and unique indexes)."""
        sets = [u.columns for u in self.unique]
        sets += [e.equal for e in self.exclusions if e.range_column is None and e.equal]
        return tuple(sets)


def read_index_forms(table: Table) -> IndexForms:
    """The unique expression indexes and the exclusion constraints of a table, by form."""
    unique: list[ExpressionUnique] = []
    exclusions: list[Exclusion] = []
    unsupported: list[Unsupported] = []
    for index in table.indexes:
        if not index.unique or index.constraint is not None or all(index.columns):
            continue
        form = _expression_unique(index.name, index.definition)
        if isinstance(form, ExpressionUnique):
            unique.append(form)
        else:
            unsupported.append(form)
    for con in table.constraints:
        if con.kind != "x":
            continue
        excl = _exclusion(con.name, con.definition)
        if isinstance(excl, Exclusion):
            exclusions.append(excl)
        else:
            unsupported.append(excl)
    return IndexForms(tuple(unique), tuple(exclusions), tuple(unsupported))


def _expression_unique(name: str, definition: str) -> ExpressionUnique | Unsupported:
    stmt = _parse(definition)
    params = list(stmt.indexParams or ()) if isinstance(stmt, ast.IndexStmt) else []
    columns: list[str] = []
    folds: list[tuple[str, str]] = []
    named: list[str] = []
    ok = bool(params)
    for p in params:
        if p.name is not None:
            columns.append(str(p.name))
            continue
        column, fold = _folded_column(p.expr)
        named += _column_refs(p.expr)
        if column is None:
            ok = False
            continue
        columns.append(column)
        if fold is not None:
            folds.append((column, fold))
    if not ok or len(set(columns)) != len(columns):
        return Unsupported(name, "unique index", definition, tuple(dict.fromkeys(columns + named)))
    return ExpressionUnique(name, tuple(columns), tuple(folds))


def _folded_column(expr: Any) -> tuple[str | None, str | None]:
    """(column, fold) for `col`, `lower(col)`, `upper(col)` and casts of them; (None, None) otherwise."""
    if isinstance(expr, ast.TypeCast):
        return _folded_column(expr.arg)
    if isinstance(expr, ast.ColumnRef):
        last = expr.fields[-1] if expr.fields else None
        return (str(last.sval), None) if isinstance(last, ast.String) else (None, None)
    if isinstance(expr, ast.FuncCall) and expr.funcname and len(expr.args or ()) == 1:
        fn = str(expr.funcname[-1].sval).lower()
        column, inner = _folded_column(expr.args[0])  # type: ignore[index]
        if fn in FOLDS and column is not None and inner in (None, fn):
            return column, fn
    return None, None


def _exclusion(name: str, definition: str) -> Exclusion | Unsupported:
    stmt = _parse(f"ALTER TABLE t ADD CONSTRAINT c {definition}")
    cmds = list(stmt.cmds or ()) if isinstance(stmt, ast.AlterTableStmt) else []
    con = cmds[0].def_ if cmds and isinstance(cmds[0], ast.AlterTableCmd) else None
    equal: list[str] = []
    ranges: list[str] = []
    named: list[str] = []
    ok = isinstance(con, ast.Constraint) and bool(con.exclusions)
    for element, operators in (con.exclusions or ()) if isinstance(con, ast.Constraint) else ():
        op = ".".join(str(o.sval) for o in operators)
        column = str(element.name) if element.name is not None else _folded_column(element.expr)[0]
        if element.name is None:
            named += _column_refs(element.expr)
            if _folded_column(element.expr)[1] is not None:
                column = None  # lower(x) WITH =: not a plain equality of generated values
        if column is None or op not in ("=", "&&"):
            ok = False
            continue
        named.append(column)
        (equal if op == "=" else ranges).append(column)
    if not ok or len(ranges) > 1:
        return Unsupported(name, "exclusion constraint", definition, tuple(dict.fromkeys(named)))
    return Exclusion(name, tuple(equal), ranges[0] if ranges else None)


def _column_refs(node: Any) -> list[str]:
    found: list[str] = []

    def visit(n: Any) -> None:
        if isinstance(n, ast.ColumnRef) and n.fields and isinstance(n.fields[-1], ast.String):
            found.append(str(n.fields[-1].sval))
        elif isinstance(n, ast.Node):
            for value in n:
                visit(getattr(n, value) if isinstance(value, str) else value)
        elif isinstance(n, (list, tuple)):
            for item in n:
                visit(item)

    visit(node)
    return found


def _parse(text: str) -> Any:
    try:
        return pglast.parse_sql(text)[0].stmt
    except pglast.parser.ParseError:
        return None
