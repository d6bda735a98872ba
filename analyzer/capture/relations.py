"""Which table of the catalog a statement's relation names, and the statement with every one qualified.

The catalog names public's tables bare and the others `schema.table` (analyzer/catalog.py).
An application that sets its search_path writes `orders` for `sales.orders`; the captured
file is replayed with the tool's search_path, so such names are qualified in the SQL
(`sales.orders`), by inserting the schema at the relation's place in the text: the rest of
the statement stays as pg_stat_statements recorded it. An unqualified name resolves to
public's table first (the default search_path), else to the one schema that has it; a name
several other schemas have, or a CTE's, is left as written. Parsed by pglast; no database.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
from psycopg import sql

from analyzer.catalog import DEFAULT_SCHEMA, schema_and_name, table_key


def relation_key(schema: str | None, name: str, tables: Collection[str]) -> str | None:
    """The catalog key of `schema.name` (or of an unqualified `name`), or None when it is none of `tables`."""
    if schema is not None:
        key = table_key(schema, name)
        return key if key in tables else None
    if name in tables:
        return name
    others = [t for t in tables if "." in t and schema_and_name(t)[1] == name]
    return others[0] if len(others) == 1 else None


def quote_name(name: str) -> str:
    """An identifier as PostgreSQL prints it: bare when it can be, else double-quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS:
        return name
    return sql.Identifier(name).as_string(None)


def cte_names(root: Any) -> set[str]:
    return {str(n.ctename) for n in walk_nodes(root) if isinstance(n, ast.CommonTableExpr)}


def qualify_relations(stmt_sql: str, tables: Collection[str]) -> str:
    """The statement with each unqualified name of a table outside public written `schema.name`."""
    tree = parse_sql(stmt_sql)
    ctes = cte_names(tree)
    inserts: list[tuple[int, str]] = []
    for node in walk_nodes(tree):
        if not isinstance(node, ast.RangeVar) or node.schemaname is not None or node.location is None:
            continue
        name = str(node.relname)
        if name in ctes:
            continue
        key = relation_key(None, name, tables)
        if key is None or "." not in key:
            continue
        schema = schema_and_name(key)[0]
        if schema != DEFAULT_SCHEMA:
            inserts.append((int(node.location), quote_name(schema) + "."))
    text = stmt_sql
    for at, prefix in sorted(set(inserts), reverse=True):
        text = text[:at] + prefix + text[at:]
    return text


def walk_nodes(node: Any) -> Iterator[Any]:
    """Every AST node under `node`, depth first."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from walk_nodes(item)
        return
    if not isinstance(node, ast.Node):
        return
    yield node
    for attr in getattr(node, "__slots__", ()):
        yield from walk_nodes(getattr(node, attr, None))
