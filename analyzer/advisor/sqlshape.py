"""What a statement asks of each table, read from PostgreSQL's own parser (pglast).

For every table a statement touches (also in subqueries and correlated scalar subqueries):
the predicates on it (equality, IN, ranges, keyset row comparisons, IS NULL, full text,
LIKE/regex, JSONB and array operators, join equalities), the ORDER BY columns when they all
belong to it, and whether a LIMIT stops the scan early. Expressions are kept exactly as the
query writes them (aliases removed) so an expression index matches the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType, SortByDir
from pglast.stream import RawStream

from analyzer.catalog import Catalog, table_key

RANGE_OPS = {"<", ">", "<=", ">="}


@dataclass(frozen=True)
class Predicate:
    """One conjunct of a WHERE/ON clause that concerns one table."""

    table: str
    op: str  # eq, in, range, is_null, not_null, ne, not_in, bool, fts, like, regex, jsonb_contains, array_op, join
    column: str | None = None  # the plain column, when the left side is one
    expression: str | None = None  # the left side's SQL when it is an expression (lower(email), to_tsvector(...))
    constant: bool = False  # the right side is a constant: the predicate can be an index's WHERE
    text: str = ""  # the whole predicate, aliases removed
    other_table: str | None = None  # for joins
    other_column: str | None = None
    operator: str = ""

    @property
    def key(self) -> str:
        return self.column if self.column is not None else f"({self.expression})"


@dataclass
class TableAccess:
    """Everything one SELECT scope asks of one table."""

    table: str
    alias: str
    predicates: list[Predicate] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    limit: bool = False
    columns: set[str] = field(default_factory=set)  # every column referenced


def analyze_statement(sql: str, catalog: Catalog) -> list[TableAccess]:
    """The per-table access shapes of a statement ($n parameters)."""
    accesses: list[TableAccess] = []
    for raw in pglast.parse_sql(sql):
        _walk_statement(raw.stmt, catalog, [], accesses)
    return accesses


def _walk_statement(node: Any, catalog: Catalog, outer: list[dict[str, str]], out: list[TableAccess]) -> None:
    if isinstance(node, ast.SelectStmt):
        if node.op is not None and int(node.op) != 0 and node.larg is not None:  # UNION/INTERSECT/EXCEPT
            _walk_statement(node.larg, catalog, outer, out)
            _walk_statement(node.rarg, catalog, outer, out)
            return
        _walk_select(node, catalog, outer, out)
    elif isinstance(node, (ast.UpdateStmt, ast.DeleteStmt)):
        rel: Any = node.relation
        scope: dict[str, str] = {str(rel.alias.aliasname if rel.alias else rel.relname): relation_key(rel, catalog)}
        access = TableAccess(table=relation_key(rel, catalog), alias=next(iter(scope)))
        out.append(access)
        if node.whereClause is not None:
            _collect_predicates(node.whereClause, [scope] + outer, catalog, {access.alias: access}, out)
    elif isinstance(node, ast.InsertStmt) and node.selectStmt is not None:
        _walk_statement(node.selectStmt, catalog, outer, out)


def _walk_select(node: ast.SelectStmt, catalog: Catalog, outer: list[dict[str, str]], out: list[TableAccess]) -> None:
    scope: dict[str, str] = {}
    joins: list[Any] = []
    for item in node.fromClause or ():
        _collect_from(item, scope, joins, catalog, outer, out)
    if node.withClause is not None:
        for cte in node.withClause.ctes or ():
            _walk_statement(cte.ctequery, catalog, outer, out)
    accesses = {alias: TableAccess(table=table, alias=alias) for alias, table in scope.items()}
    out.extend(accesses.values())
    scopes = [scope] + outer
    for quals in joins:
        _collect_predicates(quals, scopes, catalog, accesses, out)
    if node.whereClause is not None:
        _collect_predicates(node.whereClause, scopes, catalog, accesses, out)
    for target in node.targetList or ():
        _walk_sublinks(target, catalog, scopes, out, accesses)
    if node.sortClause:
        order: list[tuple[str, str, bool]] = []
        for sort in node.sortClause:
            ref = _column_ref(sort.node, scopes, catalog)
            if ref is None:
                order = []
                break
            order.append((ref[0], ref[1], int(sort.sortby_dir) == int(SortByDir.SORTBY_DESC)))
        aliases = {o[0] for o in order}
        if order and len(aliases) == 1:
            alias = next(iter(aliases))
            if alias in accesses:
                accesses[alias].order_by = [(o[1], o[2]) for o in order]
    has_limit = node.limitCount is not None
    for access in accesses.values():
        access.limit = has_limit
    for alias, access in accesses.items():
        access.columns |= _referenced_columns(node, alias, access.table, catalog, len(scope) == 1)


def _collect_from(item: Any, scope: dict[str, str], joins: list[Any], catalog: Catalog,
                  outer: list[dict[str, str]], out: list[TableAccess]) -> None:
    if isinstance(item, ast.RangeVar):
        alias = str(item.alias.aliasname if item.alias else item.relname)
        scope[alias] = relation_key(item, catalog)
    elif isinstance(item, ast.JoinExpr):
        _collect_from(item.larg, scope, joins, catalog, outer, out)
        _collect_from(item.rarg, scope, joins, catalog, outer, out)
        if item.quals is not None:
            joins.append(item.quals)
    elif isinstance(item, ast.RangeSubselect):
        _walk_statement(item.subquery, catalog, [scope] + outer, out)


def relation_key(rel: ast.RangeVar, catalog: Catalog) -> str:
    """The catalog key of a table as the statement names it: `schema.table` as is, a bare name through
    the search path; a name the catalog lacks (a CTE's) as written."""
    written = f"{rel.schemaname}.{rel.relname}" if rel.schemaname else str(rel.relname)
    found = catalog.resolve(written)
    if found is not None:
        return found
    return table_key(str(rel.schemaname), str(rel.relname)) if rel.schemaname else str(rel.relname)


def _walk_sublinks(node: Any, catalog: Catalog, scopes: list[dict[str, str]], out: list[TableAccess],
                   accesses: dict[str, TableAccess]) -> None:
    """Scalar subqueries and EXISTS in the select list or WHERE: their tables, correlated or not."""
    if isinstance(node, ast.SubLink):
        _walk_statement(node.subselect, catalog, scopes, out)
        return
    if isinstance(node, ast.Node):
        for name in node:
            _walk_sublinks(getattr(node, name), catalog, scopes, out, accesses)
    elif isinstance(node, tuple):
        for child in node:
            _walk_sublinks(child, catalog, scopes, out, accesses)


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, ast.BoolExpr) and _enum(node.boolop) == int(BoolExprType.AND_EXPR):
        return [c for arg in node.args or () for c in _conjuncts(arg)]
    return [node]


def _collect_predicates(where: Any, scopes: list[dict[str, str]], catalog: Catalog,
                        accesses: dict[str, TableAccess], out: list[TableAccess]) -> None:
    for conj in _conjuncts(where):
        _walk_sublinks(conj, catalog, scopes, out, accesses)
        pred = _predicate(conj, scopes, catalog)
        if pred is None:
            continue
        alias, p = pred
        target = accesses.get(alias)
        if target is None:  # a correlated reference to an outer table: record on the inner side
            continue
        target.predicates.append(p)
        if p.op == "join" and p.other_table is not None:
            # the other side of a join equality is an access path into the other table too
            for other_alias, acc in accesses.items():
                if acc.table == p.other_table and other_alias != alias:
                    acc.predicates.append(Predicate(
                        table=acc.table, op="join", column=p.other_column, other_table=p.table,
                        other_column=p.column, text=p.text,
                    ))
                    break


def _predicate(node: Any, scopes: list[dict[str, str]], catalog: Catalog) -> tuple[str, Predicate] | None:
    text = _strip_aliases(RawStream()(node), scopes)
    if isinstance(node, ast.NullTest):
        ref = _column_ref(node.arg, scopes, catalog)
        if ref is None:
            return None
        op = "is_null" if _enum(node.nulltesttype) == int(NullTestType.IS_NULL) else "not_null"
        return ref[0], Predicate(_table(ref, scopes), op, column=ref[1], constant=True, text=text)
    if isinstance(node, ast.BoolExpr) and _enum(node.boolop) == int(BoolExprType.NOT_EXPR):
        ref = _column_ref((node.args or (None,))[0], scopes, catalog)
        if ref is not None:
            return ref[0], Predicate(_table(ref, scopes), "bool", column=ref[1], constant=True, text=text)
        return None
    ref = _column_ref(node, scopes, catalog)
    if ref is not None:  # a bare boolean column
        return ref[0], Predicate(_table(ref, scopes), "bool", column=ref[1], constant=True, text=text)
    if not isinstance(node, ast.A_Expr):
        return None
    return _operator_predicate(node, text, scopes, catalog)


def _operator_predicate(node: Any, text: str, scopes: list[dict[str, str]],
                        catalog: Catalog) -> tuple[str, Predicate] | None:
    """A_Expr: comparisons, IN, BETWEEN, LIKE, @@, JSONB and array operators."""
    kind = _enum(node.kind)
    opname = str(node.name[-1].sval) if node.name else ""
    if isinstance(node.lexpr, ast.RowExpr) and opname in RANGE_OPS:
        refs = [_column_ref(a, scopes, catalog) for a in node.lexpr.args or ()]
        resolved = [r for r in refs if r is not None]
        if resolved and len(resolved) == len(refs) and all(r[0] == resolved[0][0] for r in resolved):
            first = resolved[0]
            return first[0], Predicate(_table(first, scopes), "range", column=first[1], text=text, operator="row")
        return None
    left = _column_ref(node.lexpr, scopes, catalog)
    right = _column_ref(node.rexpr, scopes, catalog) if not isinstance(node.rexpr, (list, tuple)) else None
    if left is None and right is not None and kind == int(A_Expr_Kind.AEXPR_OP) and opname in ("=", *RANGE_OPS):
        left, right = right, None
        node_l, node_r = node.rexpr, node.lexpr
    else:
        node_l, node_r = node.lexpr, node.rexpr
    constant = _is_constant(node_r)
    if left is not None and right is not None and opname == "=":
        return left[0], Predicate(
            _table(left, scopes), "join", column=left[1], other_table=_table(right, scopes),
            other_column=right[1], text=text,
        )
    expression = None
    alias: str | None = left[0] if left else None
    column = left[1] if left else None
    if left is None:
        aliases = {r[0] for r in _all_column_refs(node_l, scopes, catalog)}
        if len(aliases) != 1:
            return None
        alias = aliases.pop()
        expression = _strip_aliases(RawStream()(node_l), scopes)
    assert alias is not None
    table = _table((alias, column or ""), scopes)
    if kind == int(A_Expr_Kind.AEXPR_IN):
        op = "not_in" if opname == "<>" else "in"
        return alias, Predicate(table, op, column=column, expression=expression, constant=constant, text=text)
    if kind == int(A_Expr_Kind.AEXPR_BETWEEN):
        return alias, Predicate(table, "range", column=column, expression=expression, text=text)
    if kind in (int(A_Expr_Kind.AEXPR_LIKE), int(A_Expr_Kind.AEXPR_ILIKE)) or opname in ("~~", "~~*", "~", "~*"):
        prefix_only = constant and isinstance(node_r, ast.A_Const) and not str(RawStream()(node_r)).startswith("'%")
        op = "range" if prefix_only and opname == "~~" else "like"
        return alias, Predicate(table, op, column=column, expression=expression, text=text, operator=opname)
    if opname == "@@":
        return alias, Predicate(table, "fts", column=column, expression=expression, text=text, operator=opname)
    if opname in ("@>", "<@", "?", "?|", "?&", "@?", "@@@"):
        return alias, Predicate(table, "jsonb_contains", column=column, expression=expression, text=text, operator=opname)
    if opname == "&&":
        return alias, Predicate(table, "array_op", column=column, expression=expression, text=text, operator=opname)
    if opname == "=":
        return alias, Predicate(table, "eq", column=column, expression=expression, constant=constant, text=text)
    if opname == "<>":
        return alias, Predicate(table, "ne", column=column, expression=expression, constant=constant, text=text)
    if opname in RANGE_OPS:
        return alias, Predicate(table, "range", column=column, expression=expression, constant=constant, text=text)
    return None


def _enum(value: Any) -> int:
    """pglast enum fields are optional in its types; absent means none of the values."""
    return int(value) if value is not None else -1


def _names(node: ast.ColumnRef) -> list[str]:
    """The name parts of a column reference (`t.col` -> ["t", "col"]); `*` is not a name."""
    return [str(f.sval) for f in node.fields or () if isinstance(f, ast.String)]


def _table(ref: tuple[str, str], scopes: list[dict[str, str]]) -> str:
    for scope in scopes:
        if ref[0] in scope:
            return scope[ref[0]]
    return ref[0]


def _column_ref(node: Any, scopes: list[dict[str, str]], catalog: Catalog) -> tuple[str, str] | None:
    """(alias, column) of a plain column reference, resolved against the FROM scopes."""
    if not isinstance(node, ast.ColumnRef):
        return None
    fields = _names(node)
    if len(fields) == 2:
        for scope in scopes:
            if fields[0] in scope:
                return fields[0], fields[1]
        return None
    if len(fields) == 1:
        for scope in scopes:
            owners = [a for a, t in scope.items() if catalog.table(t) and catalog.tables[t].column(fields[0])]
            if len(owners) == 1:
                return owners[0], fields[0]
            if len(scope) == 1 and not owners:
                return next(iter(scope)), fields[0]
    return None


def _all_column_refs(node: Any, scopes: list[dict[str, str]], catalog: Catalog) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def visit(n: Any) -> None:
        if isinstance(n, ast.ColumnRef):
            ref = _column_ref(n, scopes, catalog)
            if ref is not None:
                found.append(ref)
        elif isinstance(n, ast.Node):
            for name in n:
                visit(getattr(n, name))
        elif isinstance(n, tuple):
            for child in n:
                visit(child)

    visit(node)
    return found


def _is_constant(node: Any) -> bool:
    """No parameter and no column anywhere below: a literal the index predicate may repeat."""
    if isinstance(node, (ast.ParamRef, ast.ColumnRef, ast.SubLink)):
        return False
    if isinstance(node, ast.Node):
        return all(_is_constant(getattr(node, name)) for name in node)
    if isinstance(node, tuple):
        return all(_is_constant(c) for c in node)
    return True


def _strip_aliases(text: str, scopes: list[dict[str, str]]) -> str:
    for scope in scopes:
        for alias in scope:
            text = re.sub(rf'(?<![\w."]){re.escape(alias)}\.', "", text)
    return text


def _referenced_columns(node: ast.SelectStmt, alias: str, table: str, catalog: Catalog, only_table: bool) -> set[str]:
    cols: set[str] = set()
    tbl = catalog.table(table)

    def visit(n: Any) -> None:
        if isinstance(n, ast.SubLink):
            return
        if isinstance(n, ast.ColumnRef):
            fields = _names(n)
            if len(fields) == 2 and fields[0] == alias:
                cols.add(fields[1])
            elif len(fields) == 1 and tbl is not None and tbl.column(fields[0]) is not None:
                cols.add(fields[0])
            elif any(isinstance(f, ast.A_Star) for f in n.fields or ()) and tbl is not None:
                cols.update(c.name for c in tbl.columns)
        elif isinstance(n, ast.Node):
            for name in n:
                visit(getattr(n, name))
        elif isinstance(n, tuple):
            for child in n:
                visit(child)

    for part in (node.targetList, node.whereClause, node.sortClause, node.fromClause, node.groupClause):
        visit(part)
    return cols
