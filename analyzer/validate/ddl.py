"""The schema's tables and columns read from its DDL with pglast, so a workload is checked without a server.

Only what the checks need: tables, columns with PostgreSQL's type names, NOT NULL,
defaults, identities, generated columns, primary keys, UNIQUE constraints and foreign keys.
Statements other than CREATE TABLE and ALTER TABLE ... ADD COLUMN/CONSTRAINT are skipped.
"""

from __future__ import annotations

from typing import Any

import pglast
from pglast import ast, enums

from analyzer.catalog import DEFAULT_SCHEMA, Catalog, Column, Constraint, ForeignKey, Table, table_key

# pglast spells built-in types by their internal names; the seeder expects format_type()'s.
_TYPE_NAMES = {
    "int2": "smallint", "int4": "integer", "int8": "bigint", "bool": "boolean", "float4": "real",
    "float8": "double precision", "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone", "timetz": "time with time zone",
    "time": "time without time zone", "varchar": "character varying", "bpchar": "character",
    "serial": "integer", "bigserial": "bigint", "smallserial": "smallint", "serial4": "integer",
    "serial8": "bigint", "serial2": "smallint", "int": "integer", "integer": "integer",
}
_SERIALS = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}


class DdlError(ValueError):
    """The DDL does not parse; the message is pglast's, the location a character offset."""

    def __init__(self, message: str, location: int | None) -> None:
        super().__init__(message)
        self.location = location


def catalog_from_ddl(ddl: str) -> Catalog:
    """Tables of the DDL as a Catalog (no sizes, statistics or indexes)."""
    try:
        tree = pglast.parse_sql(ddl)
    except pglast.parser.ParseError as e:
        raise DdlError(str(e.args[0]), e.location if hasattr(e, "location") else None) from None
    builders: dict[str, _TableBuilder] = {}
    for raw in tree:
        stmt = raw.stmt
        if isinstance(stmt, ast.CreateStmt) and stmt.relation is not None:
            key = _key(stmt.relation)
            builder = builders.setdefault(key, _TableBuilder(key))
            # PARTITION OF and INHERITS take the parent's columns first
            builder.parents.extend(_key(r) for r in stmt.inhRelations or ())
            for element in stmt.tableElts or ():
                if isinstance(element, ast.TableLikeClause) and element.relation is not None:
                    builder.parents.append(_key(element.relation))
                else:
                    builder.add(element)
        elif isinstance(stmt, (ast.ViewStmt, ast.CreateTableAsStmt)):
            # columns come from a query: known to the server only, so every column name is accepted
            rel = stmt.view if isinstance(stmt, ast.ViewStmt) else stmt.into.rel if stmt.into is not None else None
            if rel is not None:
                builders.setdefault(_key(rel), _TableBuilder(_key(rel))).derived = True
        elif isinstance(stmt, ast.AlterTableStmt) and stmt.relation is not None:
            builder = builders.setdefault(_key(stmt.relation), _TableBuilder(_key(stmt.relation)))
            for cmd in stmt.cmds or ():
                if isinstance(cmd, ast.AlterTableCmd) and cmd.def_ is not None:
                    builder.add(cmd.def_)
    return Catalog(tables={name: b.build(builders) for name, b in builders.items()})


def _key(rel: Any) -> str:
    """A relation as the workload names it: bare in public, `schema.table` elsewhere."""
    return table_key(str(rel.schemaname or DEFAULT_SCHEMA), str(rel.relname))


class _TableBuilder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.parents: list[str] = []
        self.derived = False  # a view or CREATE TABLE AS: its columns are not listed in the DDL
        self.columns: list[Column] = []
        self.constraints: list[Constraint] = []
        self.foreign_keys: list[ForeignKey] = []

    def add(self, element: Any) -> None:
        if isinstance(element, ast.ColumnDef):
            self._column(element)
        elif isinstance(element, ast.Constraint):
            self._constraint(element, ())

    def _column(self, col: Any) -> None:
        names = [str(n.sval) for n in (col.typeName.names if col.typeName else ()) if isinstance(n, ast.String)]
        raw_type = names[-1] if names else "unknown"
        type_name = _TYPE_NAMES.get(raw_type, raw_type)
        if col.typeName is not None and col.typeName.arrayBounds:
            type_name += "[]"
        not_null = False
        default: str | None = "nextval()" if raw_type in _SERIALS else None
        identity, generated = "", False
        for c in col.constraints or ():
            kind = c.contype
            if kind in (enums.ConstrType.CONSTR_NOTNULL, enums.ConstrType.CONSTR_PRIMARY):
                not_null = True
            if kind == enums.ConstrType.CONSTR_DEFAULT:
                default = "default"
            elif kind == enums.ConstrType.CONSTR_IDENTITY:
                identity = "a" if c.generated_when == "a" else "d"
            elif kind == enums.ConstrType.CONSTR_GENERATED:
                generated = True
            self._constraint(c, (str(col.colname),))
        self.columns.append(Column(str(col.colname), type_name, not_null, default, identity, generated))

    def _constraint(self, c: Any, own: tuple[str, ...]) -> None:
        kind = c.contype
        keys = tuple(k.sval for k in c.keys or ()) or own
        name = c.conname or f"{self.name}_{'_'.join(keys)}"
        if kind in (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_UNIQUE):
            letter = "p" if kind == enums.ConstrType.CONSTR_PRIMARY else "u"
            self.constraints.append(Constraint(name, self.name, letter, keys, ""))
        elif kind == enums.ConstrType.CONSTR_FOREIGN and c.pktable is not None:
            columns = tuple(k.sval for k in c.fk_attrs or ()) or own
            ref_columns = tuple(k.sval for k in c.pk_attrs or ()) or ("id",)
            self.foreign_keys.append(
                ForeignKey(name, self.name, columns, c.pktable.relname, ref_columns, "")
            )
            self.constraints.append(Constraint(name, self.name, "f", columns, ""))

    def inherited(self, builders: dict[str, _TableBuilder], seen: frozenset[str] = frozenset()) -> list[Column]:
        columns: list[Column] = []
        for parent in self.parents:
            if parent in builders and parent not in seen:
                columns += builders[parent].inherited(builders, seen | {self.name})
        own = {c.name for c in self.columns}
        return [c for c in columns if c.name not in own] + self.columns

    def build(self, builders: dict[str, _TableBuilder]) -> Table:
        if self.derived or any(p not in builders for p in self.parents):
            return Table(self.name, ())  # no columns listed: names.py accepts any column of it
        return Table(self.name, tuple(self.inherited(builders)), tuple(self.constraints), tuple(self.foreign_keys))
