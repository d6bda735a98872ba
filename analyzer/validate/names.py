"""Resolve the tables and columns a statement names against a catalog, as PostgreSQL's analyzer would.

Works on pglast's tree, without a server. It errs towards silence: a column of a subquery,
a function or a CTE in FROM is taken on trust, and anything it does not model (unknown
node kinds, schema-qualified system tables) is skipped rather than reported.
Messages and hints are PostgreSQL's own wording.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import ast

from analyzer.catalog import Catalog


@dataclass(frozen=True)
class NameProblem:
    """A name that does not resolve: PostgreSQL's message, its hint, and the offset in the SQL."""

    message: str
    location: int
    hint: str = ""


@dataclass
class _Relation:
    """One FROM item: its columns, or None when they are not known (subquery, function, CTE)."""

    name: str
    columns: tuple[str, ...] | None


@dataclass
class _Scope:
    relations: dict[str, _Relation] = field(default_factory=dict)
    output_names: set[str] = field(default_factory=set)  # ORDER BY / GROUP BY may name select-list aliases
    ctes: set[str] = field(default_factory=set)


class _Resolver:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.problems: list[NameProblem] = []

    # --- scopes -----------------------------------------------------------------------
    def relation(self, node: Any, scopes: list[_Scope]) -> _Relation | None:
        name = node.relname
        alias = node.alias.aliasname if node.alias is not None else name
        if node.schemaname not in (None, "public") or name.startswith("pg_"):
            other = self.catalog.table(f"{node.schemaname}.{name}") if node.schemaname else None
            return _Relation(alias, tuple(c.name for c in other.columns) or None if other is not None else None)
        if any(name in s.ctes for s in scopes) or (node.alias is not None and node.alias.colnames):
            return _Relation(alias, None)  # a CTE, or `tasks t(a, b)` renaming the columns
        key = self.catalog.resolve(name)
        table = self.catalog.table(key) if key is not None else None
        if table is None:
            close = difflib.get_close_matches(name, list(self.catalog.tables), n=1)
            hint = f'Perhaps you meant to reference the table "{close[0]}".' if close else ""
            self.problems.append(NameProblem(f'relation "{name}" does not exist', node.location or 0, hint))
            return _Relation(alias, None)
        return _Relation(alias, tuple(c.name for c in table.columns) or None)  # a view: columns unknown

    def from_item(self, node: Any, scope: _Scope, scopes: list[_Scope]) -> None:
        if isinstance(node, ast.RangeVar):
            rel = self.relation(node, scopes)
            if rel is not None:
                scope.relations[rel.name] = rel
        elif isinstance(node, ast.JoinExpr):
            self.from_item(node.larg, scope, scopes)
            self.from_item(node.rarg, scope, scopes)
            if node.quals is not None:
                self.visit(node.quals, scopes + [scope])
            if node.alias is not None:
                alias = str(node.alias.aliasname)
                scope.relations[alias] = _Relation(alias, None)
        elif isinstance(node, ast.RangeSubselect):
            self.visit(node.subquery, scopes + ([scope] if node.lateral else []))
            if node.alias is not None:
                alias = str(node.alias.aliasname)
                scope.relations[alias] = _Relation(alias, None)
        elif isinstance(node, ast.RangeFunction):
            self.visit(node.functions, scopes + [scope])
            name = str(node.alias.aliasname) if node.alias is not None else f"?function{id(node)}"
            scope.relations[name] = _Relation(name, None)
        else:
            scope.relations[f"?{id(node)}"] = _Relation("?", None)

    def with_clause(self, node: Any, scope: _Scope, scopes: list[_Scope]) -> None:
        if node is None:
            return
        for cte in node.ctes or ():
            scope.ctes.add(cte.ctename)
            self.visit(cte.ctequery, scopes + [scope])

    # --- statements -------------------------------------------------------------------
    def select(self, node: Any, scopes: list[_Scope]) -> None:
        scope = _Scope()
        self.with_clause(node.withClause, scope, scopes)
        if node.op is not None and node.larg is not None and node.rarg is not None and int(node.op) != 0:
            self.visit(node.larg, scopes + [scope])
            self.visit(node.rarg, scopes + [scope])
            self.visit(node.sortClause, scopes + [scope])
            return
        for item in node.fromClause or ():
            self.from_item(item, scope, scopes + [scope])
        inner = scopes + [scope]
        for target in node.targetList or ():
            if isinstance(target, ast.ResTarget):
                if target.name:
                    scope.output_names.add(target.name)
                self.visit(target.val, inner)
        for part in (node.whereClause, node.havingClause, node.valuesLists, node.limitCount, node.limitOffset,
                     node.windowClause, node.distinctClause, node.lockingClause):
            self.visit(part, inner)
        self.visit(node.groupClause, inner, allow_output=True)
        self.visit(node.sortClause, inner, allow_output=True)

    def target_table(self, node: Any, scope: _Scope, scopes: list[_Scope]) -> _Relation | None:
        rel = self.relation(node, scopes)
        if rel is not None:
            scope.relations[rel.name] = rel
        return rel

    def check_target_columns(self, rel: _Relation | None, targets: Any, scopes: list[_Scope]) -> None:
        for t in targets or ():
            if (isinstance(t, ast.ResTarget) and t.name and rel is not None and rel.columns is not None
                    and t.name not in rel.columns):
                self.problems.append(self.missing_column(t.name, rel.name, t.location or 0, [rel]))
            if isinstance(t, ast.ResTarget):
                self.visit(t.val, scopes)

    def insert(self, node: Any, scopes: list[_Scope]) -> None:
        scope = _Scope()
        self.with_clause(node.withClause, scope, scopes)
        rel = self.target_table(node.relation, _Scope(), scopes + [scope])
        self.check_target_columns(rel, node.cols, scopes + [scope])
        self.visit(node.selectStmt, scopes + [scope])
        if rel is not None:
            scope.relations[rel.name] = rel
            scope.relations["excluded"] = _Relation("excluded", rel.columns)
        if node.onConflictClause is not None:
            occ = node.onConflictClause
            self.visit(occ.infer, scopes + [scope])
            self.check_target_columns(rel, occ.targetList, scopes + [scope])
            self.visit(occ.whereClause, scopes + [scope])
        self.visit(_returning(node), scopes + [scope])

    def update(self, node: Any, scopes: list[_Scope]) -> None:
        scope = _Scope()
        self.with_clause(node.withClause, scope, scopes)
        rel = self.target_table(node.relation, scope, scopes)
        for item in node.fromClause or ():
            self.from_item(item, scope, scopes + [scope])
        self.check_target_columns(rel, node.targetList, scopes + [scope])
        self.visit(node.whereClause, scopes + [scope])
        self.visit(_returning(node), scopes + [scope])

    def delete(self, node: Any, scopes: list[_Scope]) -> None:
        scope = _Scope()
        self.with_clause(node.withClause, scope, scopes)
        self.target_table(node.relation, scope, scopes)
        for item in node.usingClause or ():
            self.from_item(item, scope, scopes + [scope])
        self.visit(node.whereClause, scopes + [scope])
        self.visit(_returning(node), scopes + [scope])

    # --- expressions ------------------------------------------------------------------
    def column_ref(self, node: Any, scopes: list[_Scope], allow_output: bool) -> None:
        fields = [str(f.sval) for f in node.fields or () if isinstance(f, ast.String)]
        if not fields or any(isinstance(f, ast.A_Star) for f in node.fields or ()) and len(fields) == 0:
            return
        location = node.location or 0
        visible = [r for s in reversed(scopes) for r in s.relations.values()]
        if len(fields) == 1 or (len(fields) == 2 and isinstance(node.fields[-1], ast.A_Star)):
            if len(fields) == 2 or isinstance(node.fields[-1], ast.A_Star):
                self.qualified(fields[0], None, location, scopes)
                return
            name = fields[0]
            if allow_output and any(name in s.output_names for s in scopes[-1:]):
                return
            if any(r.columns is None or name in r.columns for r in visible):
                return
            if any(name == r.name for r in visible):
                return  # a whole-row reference (`t` for the row of t)
            self.problems.append(self.missing_column(name, None, location, visible))
            return
        self.qualified(fields[-2], fields[-1], location, scopes)

    def qualified(self, qualifier: str, column: str | None, location: int, scopes: list[_Scope]) -> None:
        for s in reversed(scopes):
            rel = s.relations.get(qualifier)
            if rel is not None:
                if column is not None and rel.columns is not None and column not in rel.columns:
                    self.problems.append(self.missing_column(column, qualifier, location, [rel]))
                return
        if any(r.columns is None and r.name.startswith("?") for s in scopes for r in s.relations.values()):
            return
        self.problems.append(NameProblem(f'missing FROM-clause entry for table "{qualifier}"', location))

    def missing_column(self, name: str, qualifier: str | None, location: int, rels: list[_Relation]) -> NameProblem:
        candidates = {f"{r.name}.{c}": c for r in rels if r.columns is not None for c in r.columns}
        close = difflib.get_close_matches(name, list(dict.fromkeys(candidates.values())), n=1, cutoff=0.7)
        hint = ""
        if close:
            owner = next(k for k, v in candidates.items() if v == close[0])
            hint = f'Perhaps you meant to reference the column "{owner}".'
        what = f"{qualifier}.{name}" if qualifier else name
        return NameProblem(f'column "{what}" does not exist', location, hint)

    def visit(self, node: Any, scopes: list[_Scope], allow_output: bool = False) -> None:
        if node is None:
            return
        if isinstance(node, (tuple, list)):
            for item in node:
                self.visit(item, scopes, allow_output)
            return
        if isinstance(node, ast.RawStmt):
            self.visit(node.stmt, scopes)
        elif isinstance(node, ast.SelectStmt):
            self.select(node, scopes)
        elif isinstance(node, ast.InsertStmt):
            self.insert(node, scopes)
        elif isinstance(node, ast.UpdateStmt):
            self.update(node, scopes)
        elif isinstance(node, ast.DeleteStmt):
            self.delete(node, scopes)
        elif isinstance(node, ast.ColumnRef):
            self.column_ref(node, scopes, allow_output)
        elif isinstance(node, ast.SubLink):
            self.visit(node.testexpr, scopes)
            self.visit(node.subselect, scopes)
        elif isinstance(node, ast.Node):
            for attr in node:
                self.visit(getattr(node, attr), scopes, allow_output)


def _returning(node: Any) -> Any:
    """RETURNING's expressions (pglast for PostgreSQL 18 wraps them in a ReturningClause)."""
    clause = getattr(node, "returningClause", None)
    if clause is not None:
        return clause.exprs
    return getattr(node, "returningList", None)


def resolve_statement(sql: str, catalog: Catalog) -> list[NameProblem]:
    """Unknown tables and columns of one statement ($n placeholders); the SQL must parse."""
    resolver = _Resolver(catalog)
    resolver.visit(pglast.parse_sql(sql), [])
    return resolver.problems


def resolve_expression(expression: str, table: str, catalog: Catalog) -> list[NameProblem]:
    """Unknown columns of a `where:` expression over one table (offsets are in `expression`)."""
    prefix = f"SELECT 1 FROM {table} WHERE "
    problems = resolve_statement(prefix + expression, catalog)
    return [NameProblem(p.message, max(0, p.location - len(prefix)), p.hint) for p in problems]
