"""Index candidates from what the statements ask of each table (pure: no database).

Composite btrees put equality columns first (most selective first), then one range column,
then the ORDER BY columns so a LIMIT stops early; keyset row comparisons become the order
columns. Constant predicates that select a small fraction of the table become the WHERE of
a partial index. Expressions are indexed exactly as written. Full text, substring/regex,
JSONB and array operators get GIN, also restricted to live rows when the query filters on
`... IS NULL` (soft deletes). Join columns without a supporting index get one, and with the
one other column a join table returns in the keys (an index-only probe). Ranges on columns
stored in insertion order (pg_stats.correlation near +-1) get BRIN. Writes add candidates
too: the predicates of declared UPDATE/DELETE statements, and the referencing columns a
delete of a parent must check (foreign keys without an index).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from psycopg import sql

from analyzer.advisor.sqlshape import Predicate, TableAccess
from analyzer.catalog import DEFAULT_SCHEMA, Catalog, index_key, schema_and_name, table_ident

PARTIAL_MAX_FRACTION = 0.35  # a partial index pays off when its predicate keeps at most this much
SPARSE_NULL_FRACTION = 0.5  # a join column that is mostly NULL gets `WHERE col IS NOT NULL`
MAX_INCLUDE = 3
BRIN_MIN_CORRELATION = 0.9  # |pg_stats.correlation| at least this: the column follows the physical order
MAX_NAME_BYTES = 63  # NAMEDATALEN - 1: a longer name would be truncated by the server

Fraction = Callable[[str, str], float]  # (table, predicate SQL) -> fraction of rows it keeps
Distinct = Callable[[str, str], float]  # (table, column) -> distinct values (estimate)
NullFraction = Callable[[str, str], float]
Correlation = Callable[[str, str], float | None]  # (table, column) -> pg_stats.correlation, None when unknown
_BARE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class IndexCandidate:
    """An index worth building to find out: its definition and the queries it is meant for."""

    table: str
    keys: tuple[str, ...]  # columns, "(expression)", with " DESC" where the order needs it
    kind: str  # btree, partial, expression, gin, fk, covering
    method: str = "btree"
    include: tuple[str, ...] = ()
    where: str | None = None
    opclass: str | None = None
    extension: str | None = None
    queries: tuple[str, ...] = ()
    reason: str = ""
    writes: tuple[str, ...] = ()  # declared writes it may speed up (their predicates, foreign-key checks)

    @property
    def signature(self) -> str:
        return f"{self.table}|{self.method}|{','.join(self.keys)}|{self.opclass}|{','.join(self.include)}|{self.where}"

    @property
    def label(self) -> str:
        """Short and human: `tasks(project_id, status) WHERE parent_id IS NULL`, for progress lines."""
        using = f" USING {self.method}" if self.method != "btree" else ""
        include = f" INCLUDE ({', '.join(self.include)})" if self.include else ""
        where = f" WHERE {self.where}" if self.where else ""
        return f"{self.table}{using}({', '.join(self.keys)}){include}{where}"

    @property
    def name(self) -> str:
        """A stable, recognizable name: pga_<table>_<first key>_<hash>, lowercase, at most 63 bytes.

        Lowercase because PostgreSQL folds unquoted names: `..._DESC_...` would be created as
        `..._desc_...` and then not be found under the name the tool remembers. The table part is
        the catalog key with its dot made an underscore (`app.orders` -> `app_orders`): the index
        is created in its table's schema, and its name carries no schema.
        """
        digest = hashlib.sha1(self.signature.encode()).hexdigest()[:8]
        first = "".join(ch if ch.isalnum() else "_" for ch in self.keys[0].strip("()"))[:20].strip("_")
        table = "".join(ch if ch.isalnum() else "_" for ch in self.table[:20])
        if "." in self.table:
            table = table.strip("_")  # a long schema cut at its dot: `..._` then `_first` would read `__`
        name = f"pga_{table}_{first}_{digest}".lower()
        while len(name.encode()) > MAX_NAME_BYTES:  # letters beyond ASCII take more than a byte each
            table, first = (table[:-1].rstrip("_"), first) if len(table) >= len(first) else (table, first[:-1].rstrip("_"))
            name = f"pga_{table}_{first}_{digest}".lower()
        return name

    @property
    def key(self) -> str:
        """The index as the catalog keys relations: bare in public, `schema.name` in its table's schema."""
        return index_key(self.table, self.name)

    def ddl(self, name: str | None = None, concurrently: bool = False) -> str:
        """CREATE INDEX as the report and indexes.sql show it: the table as its key reads (`orders`,
        `app.orders`), names quoted where PostgreSQL would not read them back unchanged."""
        text = (f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}{_identifier(name or self.name)} "
                f"ON {sql_name(self.table)}")
        return text + self._definition()

    def statement(self, name: str | None = None) -> sql.Composed:
        """CREATE INDEX to send to the server: the table schema-qualified (public too), so the search
        path decides nothing; the index is created in the table's schema."""
        # the definition is composed of the keys and predicates pglast deparsed from the workload's parsed
        # statements (sqlshape) and catalog column names, never of raw workload text
        return sql.SQL("CREATE INDEX {} ON {}").format(
            sql.Identifier(name or self.name), table_ident(self.table)) + sql.SQL(self._definition())

    def _definition(self) -> str:
        """What follows the table: method, keys, INCLUDE, WHERE (SQL text as the queries write it)."""
        keys = ", ".join(f"{k} {self.opclass}" if self.opclass else k for k in self.keys)
        text = f" USING {self.method}" if self.method != "btree" else ""
        text += f" ({keys})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.where:
            text += f" WHERE {self.where}"
        return text


def sql_name(key: str, relation: str | None = None) -> str:
    """A table key (or, with `relation`, a relation in that table's schema) as SQL text: bare in public as
    today's reports and migrations read (`orders`), `schema.name` elsewhere (`app.orders`)."""
    schema, name = schema_and_name(key)
    name = relation if relation is not None else name
    return _identifier(name) if schema == DEFAULT_SCHEMA else f"{_identifier(schema)}.{_identifier(name)}"


def _identifier(name: str) -> str:
    """A name as SQL: bare when PostgreSQL would read it back unchanged, else quoted by psycopg."""
    if _BARE_IDENTIFIER.fullmatch(name):
        return name
    return sql.Identifier(name).as_string()


@dataclass
class _Collector:
    by_signature: dict[str, IndexCandidate] = field(default_factory=dict)

    def add(self, cand: IndexCandidate) -> None:
        old = self.by_signature.get(cand.signature)
        if old is None:
            self.by_signature[cand.signature] = cand
        else:
            queries = tuple(dict.fromkeys(old.queries + cand.queries))
            self.by_signature[cand.signature] = replace(old, queries=queries)


def generate_candidates(
    accesses: Iterable[tuple[str, TableAccess]],
    catalog: Catalog,
    fraction: Fraction,
    distinct: Distinct,
    null_fraction: NullFraction,
    correlation: Correlation | None = None,
) -> list[IndexCandidate]:
    """Candidates for every (query name, table access) pair, deduplicated, existing ones left out."""
    out = _Collector()
    for query, access in accesses:
        table = catalog.table(access.table)
        if table is None:
            continue
        found = _for_access(query, access, fraction, distinct, null_fraction, catalog)
        found += _brin_candidates(query, access, correlation)
        for cand in found:
            if not _served_by_existing(cand, catalog):
                out.add(cand)
    return _prefer_narrower(list(out.by_signature.values()))


def _prefer_narrower(cands: list[IndexCandidate]) -> list[IndexCandidate]:
    """Leave out a candidate a cheaper sibling serves as well, for exactly the same queries.

    A GIN index over all rows when every query asking for it filters on live rows (its partial
    sibling is smaller and soft deletes do not touch it); `(a) INCLUDE (b)` when a join-table
    candidate `(a, b)` exists (same size, and it also returns rows in b's order).
    """
    def same_queries(a: IndexCandidate, b: IndexCandidate) -> bool:
        return set(a.queries) == set(b.queries)

    dropped: set[str] = set()
    for c in cands:
        live_sibling = c.method == "gin" and c.where is None and any(
            o.method == "gin" and o.where and (o.table, o.keys, o.opclass) == (c.table, c.keys, c.opclass)
            and same_queries(o, c) for o in cands)
        two_key_twin = bool(c.include) and c.where is None and any(
            o.kind == "covering" and not o.include and o.table == c.table and o.keys == c.keys + c.include
            and set(c.queries) <= set(o.queries) for o in cands)
        if live_sibling or two_key_twin:
            dropped.add(c.signature)
    return [c for c in cands if c.signature not in dropped]


def write_candidates(
    writes: Iterable[tuple[str, TableAccess]],
    deleted_from: Iterable[tuple[str, str]],
    catalog: Catalog,
    fraction: Fraction,
    distinct: Distinct,
    null_fraction: NullFraction,
    correlation: Correlation | None = None,
) -> list[IndexCandidate]:
    """Candidates that may speed up declared writes: from their WHERE clauses, and on the referencing
    columns of every foreign key to a table a write deletes from (each such delete checks them).

    `writes` are (write name, access) pairs of UPDATE/DELETE statements; `deleted_from` (write
    name, table) pairs. The candidates name the writes, not queries: they earn their place by
    what they save the write mix (analyzer/advisor/writesavers.py).
    """
    out = _Collector()
    for write, access in writes:
        if catalog.table(access.table) is None:
            continue
        found = _for_access(write, access, fraction, distinct, null_fraction, catalog)
        found += _brin_candidates(write, access, correlation)
        for cand in found:
            if cand.method == "btree" or cand.method == "brin":
                out.add(replace(cand, queries=(), writes=(write,), reason=f"{cand.reason} (write {write})"))
    for write, parent in deleted_from:
        for child in catalog.tables.values():
            for fk in child.foreign_keys:
                if fk.ref_table != parent:
                    continue
                n = len(fk.columns)
                if any(tuple(i.columns[:n]) == fk.columns for i in child.indexes):
                    continue
                out.add(IndexCandidate(
                    child.name, fk.columns, "fk", writes=(write,),
                    reason=(f"foreign key {child.name}({', '.join(fk.columns)}) -> {parent}: every delete from "
                            f"{parent} ({write}) checks it"),
                ))
    return [c for c in out.by_signature.values() if not _served_by_existing(c, catalog)]


def _brin_candidates(query: str, a: TableAccess, correlation: Correlation | None) -> list[IndexCandidate]:
    """BRIN for a range on a column whose values follow the physical row order (append-only time columns).

    A BRIN index keeps one summary per block range: tiny, nearly free to maintain on inserts,
    and as selective as the physical order is correlated with the column.
    """
    if correlation is None:
        return []
    found: list[IndexCandidate] = []
    for p in a.predicates:
        if p.op != "range" or p.column is None or p.operator == "row":
            continue
        corr = correlation(a.table, p.column)
        if corr is None or abs(corr) < BRIN_MIN_CORRELATION:
            continue
        found.append(IndexCandidate(
            a.table, (p.column,), "brin", method="brin", queries=(query,),
            reason=f"range on {p.column}, stored in insertion order (correlation {corr:+.2f})",
        ))
    return found


def _for_access(
    query: str, a: TableAccess, fraction: Fraction, distinct: Distinct, null_fraction: NullFraction, catalog: Catalog
) -> list[IndexCandidate]:
    found: list[IndexCandidate] = []
    preds = a.predicates
    found += _gin_candidates(query, a)
    eq = [p for p in preds if p.op in ("eq", "in") and not (p.op == "in" and p.constant)]
    const_in = [p for p in preds if p.op == "in" and p.constant]
    ranges = [p for p in preds if p.op == "range"]
    eq_keys = _ordered_unique([p.key for p in sorted(eq, key=lambda p: -_distinct_of(p, distinct))])
    partial_preds = [p for p in preds if p.constant and p.op in ("is_null", "not_null", "ne", "in", "bool", "eq", "not_in")]
    selective = [p for p in partial_preds if fraction(a.table, p.text) <= PARTIAL_MAX_FRACTION]
    where = " AND ".join(p.text for p in selective) or None
    where_cols = {p.column for p in selective if p.op != "in"}
    order_keys = _order_keys(a, set(eq_keys))
    for base_keys, why in _key_variants(eq_keys, const_in, ranges, order_keys, a.limit):
        if not base_keys:
            continue
        kind = "expression" if any(k.startswith("(") for k in base_keys) else "btree"
        found.append(IndexCandidate(a.table, tuple(base_keys), kind, queries=(query,), reason=why))
        if where:
            keys = tuple(k for k in base_keys if k not in where_cols) or tuple(base_keys)
            found.append(IndexCandidate(a.table, keys, "partial", where=where, queries=(query,),
                                        reason=f"{why}; only rows where {where}"))
        covering = _include_columns(a, base_keys, catalog)
        if covering:
            found.append(IndexCandidate(a.table, tuple(base_keys), "covering", include=covering, queries=(query,),
                                        reason=f"{why}; INCLUDE for an index-only scan"))
    for p in preds:
        if p.op == "join" and p.column is not None:
            nulls = null_fraction(a.table, p.column)
            kind = "fk" if _is_fk_column(catalog, a.table, p.column) else "btree"
            where_join = f"{p.column} IS NOT NULL" if nulls >= SPARSE_NULL_FRACTION else None
            found.append(IndexCandidate(
                a.table, (p.column,), kind, where=where_join, queries=(query,),
                reason=f"join on {a.table}.{p.column} = {p.other_table}.{p.other_column}",
            ))
    found += _join_table_candidates(query, a, eq_keys, catalog)
    return found


def _join_table_candidates(query: str, a: TableAccess, eq_keys: list[str], catalog: Catalog) -> list[IndexCandidate]:
    """A table probed by one column that returns only one or two narrow others (a join table such as
    post_tags probed by tag_id for post_id): both in the keys, so the probe is an index-only scan
    that also returns the rows in key order."""
    table = catalog.tables[a.table]
    if len(table.foreign_keys) < 2 and len(table.columns) > 3:
        return []  # not a join table: INCLUDE covering (above) is the general form
    probes = [k for k in eq_keys if not k.startswith("(")]
    probes += [p.column for p in a.predicates if p.op == "join" and p.column is not None and p.column not in probes]
    found: list[IndexCandidate] = []
    for probe in probes[:2]:
        rest = sorted(c for c in a.columns if c != probe)
        if not 1 <= len(rest) <= 2:
            continue
        cols = [table.column(c) for c in rest]
        if any(c is None or not c.type.startswith(("integer", "bigint", "smallint", "uuid")) for c in cols):
            continue
        found.append(IndexCandidate(
            a.table, (probe, *rest), "covering", queries=(query,),
            reason=f"probed by {probe}, returns {', '.join(rest)}: both in the keys for an index-only probe",
        ))
    return found


def _key_variants(
    eq_keys: list[str], const_in: list[Predicate], ranges: list[Predicate], order_keys: list[str], limit: bool
) -> list[tuple[list[str], str]]:
    """Equality + range, and equality + ORDER BY (when a LIMIT can stop early)."""
    variants: list[tuple[list[str], str]] = []
    eq_desc = f"equality on {', '.join(eq_keys)}" if eq_keys else "no equality"
    range_key = ranges[0].key if ranges else None
    if order_keys and limit:
        keys = eq_keys + [k for k in order_keys if k.split(" ")[0] not in eq_keys]
        variants.append((keys, f"{eq_desc}, then ORDER BY {', '.join(order_keys)} so LIMIT stops early"))
    if range_key is not None and (not order_keys or order_keys[0].split(" ")[0] != range_key):
        variants.append((eq_keys + [range_key], f"{eq_desc}, then the range on {range_key}"))
    if eq_keys and not variants:
        variants.append((list(eq_keys), eq_desc))
    if const_in and eq_keys:
        # the IN list as a key column after the equalities, for when it is not selective enough for a WHERE
        in_keys = eq_keys + [p.key for p in const_in if p.key not in eq_keys]
        variants.append((in_keys, f"{eq_desc}, then {', '.join(p.key for p in const_in)} IN (...)"))
    return variants


def _order_keys(a: TableAccess, eq: set[str]) -> list[str]:
    """ORDER BY columns of this table; DESC written only where directions are mixed."""
    if not a.order_by:
        return []
    directions = {desc for _, desc in a.order_by}
    mixed = len(directions) > 1
    return [f"{col} DESC" if (desc and mixed) else col for col, desc in a.order_by if col not in eq]


def _gin_candidates(query: str, a: TableAccess) -> list[IndexCandidate]:
    """GIN for the operators btrees cannot serve; each also restricted to live rows when the query
    filters on `col IS NULL` (soft deletes): smaller, and a soft delete leaves it alone."""
    found = _plain_gin_candidates(query, a)
    live = [p.text for p in a.predicates if p.op == "is_null" and p.constant and p.column is not None]
    if not live:
        return found
    where = " AND ".join(live)
    return found + [replace(c, where=where, reason=f"{c.reason}; only live rows ({where})") for c in found]


def _plain_gin_candidates(query: str, a: TableAccess) -> list[IndexCandidate]:
    found = []
    for p in a.predicates:
        if p.op == "fts" and p.expression is not None:
            found.append(IndexCandidate(a.table, (f"({p.expression})",), "gin", method="gin", queries=(query,),
                                        reason=f"full-text search {p.text}"))
        elif p.op == "fts" and p.column is not None:
            found.append(IndexCandidate(a.table, (p.column,), "gin", method="gin", queries=(query,),
                                        reason=f"full-text search on {p.column}"))
        elif p.op == "like":
            found.append(IndexCandidate(a.table, (p.key,), "gin", method="gin", opclass="gin_trgm_ops",
                                        extension="pg_trgm", queries=(query,),
                                        reason=f"substring/regex match {p.text} (trigram)"))
        elif p.op == "jsonb_contains":
            opclass = "jsonb_path_ops" if p.operator == "@>" else None
            found.append(IndexCandidate(a.table, (p.key,), "gin", method="gin", opclass=opclass, queries=(query,),
                                        reason=f"JSONB {p.operator} containment"))
        elif p.op == "array_op":
            found.append(IndexCandidate(a.table, (p.key,), "gin", method="gin", queries=(query,),
                                        reason=f"array {p.operator}"))
    return found


def _include_columns(a: TableAccess, keys: list[str], catalog: Catalog) -> tuple[str, ...]:
    """Columns to INCLUDE so the query reads only the index (few and narrow, or none)."""
    table = catalog.tables[a.table]
    bare = {k.split(" ")[0] for k in keys}
    extra = sorted(c for c in a.columns if c not in bare)
    if not extra or len(extra) > MAX_INCLUDE:
        return ()
    for name in extra:
        col = table.column(name)
        if col is None or col.type in ("text", "jsonb", "json") or col.type.startswith("character varying"):
            return ()
    return tuple(extra)


def _distinct_of(p: Predicate, distinct: Distinct) -> float:
    return distinct(p.table, p.column) if p.column else 1e9


def _ordered_unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _is_fk_column(catalog: Catalog, table: str, column: str) -> bool:
    return any(fk.columns[:1] == (column,) for fk in catalog.tables[table].foreign_keys)


def _served_by_existing(cand: IndexCandidate, catalog: Catalog) -> bool:
    """An existing index of the same method whose leading keys are the candidate's keys."""
    if cand.include or cand.where:
        return False
    keys = tuple(k.split(" ")[0] for k in cand.keys)
    for index in catalog.tables[cand.table].indexes:
        if index.method == cand.method and not index.partial and tuple(index.columns[: len(keys)]) == keys:
            return True
    return False
