"""Read what the database holds: tables, columns, constraints, indexes, sizes and statistics.

The seeder infers generators from this, the report records it, and the advisor compares its
candidates with the indexes that exist. Works on PostgreSQL 13 to 18.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the types below are read without a server too (`pg-analyzer check`): psycopg loads on use
    import psycopg
    from psycopg import sql


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(), e.g. "bigint", "timestamp with time zone", "text[]"
    not_null: bool
    default: str | None
    identity: str  # "", "a" (always) or "d" (by default)
    generated: bool  # a GENERATED ALWAYS AS (...) STORED column: never written
    check_values: tuple[str, ...] = ()  # from CHECK (col IN (...))
    base_type: str = ""  # a domain's base type (format_type), else the column's own type
    enum_labels: tuple[str, ...] = ()  # every label of an enum type (a domain over one, an array of one)
    domain_checks: tuple[str, ...] = ()  # CHECK definitions of the column's domain, on VALUE

    @property
    def storage_type(self) -> str:
        """The type the values are written as: the domain's base type, else the column type."""
        return self.base_type or self.type


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class Constraint:
    name: str
    table: str
    kind: str  # "p" primary key, "u" unique, "f" foreign key, "c" check, "x" exclusion
    columns: tuple[str, ...]
    definition: str
    has_dependents: bool = False  # a view or rule depends on it (GROUP BY the key): never dropped


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    definition: str
    columns: tuple[str, ...]  # key columns ("" for expressions)
    method: str
    unique: bool
    primary: bool
    constraint: str | None  # the constraint that owns the index, if any
    partial: bool
    size_bytes: int = 0


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned table and its bound (`FOR VALUES ...`, `DEFAULT`)."""

    name: str
    bound: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    constraints: tuple[Constraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    rows_estimate: int = 0
    partition_key: str = ""  # pg_get_partkeydef of a partitioned table: "RANGE (payment_date)"
    partitions: tuple[Partition, ...] = ()
    partition_of: str | None = None  # the parent of a partition

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return next((c.columns for c in self.constraints if c.kind == "p"), ())

    @property
    def unique_sets(self) -> tuple[tuple[str, ...], ...]:
        """Keys and unique constraints, and unique indexes that are not constraints (partial ones too:
        unique over all rows is stronger than unique over some); expression indexes are left out."""
        sets = [c.columns for c in self.constraints if c.kind in ("p", "u")]
        for index in self.indexes:
            plain = index.unique and index.constraint is None and index.columns and all(index.columns)
            if plain and index.columns not in sets:
                sets.append(index.columns)
        return tuple(sets)


@dataclass(frozen=True)
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    # the schemas a bare table name is looked up in, in order (the server's, when read from one)
    search_path: tuple[str, ...] = ("public",)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def resolve(self, name: str) -> str | None:
        """The catalog key of a table as a statement names it: `schema.table` as is, a bare name
        through the search path, as PostgreSQL resolves it."""
        if "." in name:
            schema, _, relname = name.partition(".")
            key = table_key(schema, relname)
            return key if key in self.tables else None
        for schema in self.search_path:
            key = table_key(schema, name)
            if key in self.tables:
                return key
        return None


_CHECK_IN = re.compile(r"\(\s*\(?\s*\(?(\w+)\)?(?:::\w+)?\s*=\s*ANY\s*\(\s*(?:\()?ARRAY\[(.*?)\]")
_CHECK_LITERAL = re.compile(r"'((?:[^']|'')*)'")


DEFAULT_SCHEMA = "public"  # its tables are named bare; tables of other schemas are "schema.table"


def table_key(schema: str, name: str) -> str:
    """How the catalog, the workload and the report name a table."""
    return name if schema == DEFAULT_SCHEMA else f"{schema}.{name}"


def schema_and_name(key: str) -> tuple[str, str]:
    schema, _, name = key.rpartition(".")
    return (schema or DEFAULT_SCHEMA, name)


def index_key(table: str, index: str) -> str:
    """An index named like its table: bare in public, `schema.index` elsewhere (an index lives in its table's
    schema). What the advisor passes around for the indexes it builds and hides."""
    return table_key(schema_and_name(table)[0], index)


def table_ident(key: str, relation: str | None = None) -> sql.Identifier:
    """A table (or, with `relation`, an index in the table's schema) as a qualified identifier."""
    from psycopg import sql

    schema, name = schema_and_name(key)
    return sql.Identifier(schema, relation if relation is not None else name)


def read_catalog(conn: psycopg.Connection, schemas: Sequence[str] | None = None) -> Catalog:
    """All ordinary and partitioned tables with their columns, constraints and indexes: of every
    schema but the system ones, or of `schemas` only."""
    rows = conn.execute(
        """
        SELECT c.oid, n.nspname, c.relname, greatest(c.reltuples, 0)::bigint,
               CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) ELSE '' END,
               (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                JOIN pg_namespace pn ON pn.oid = p.relnamespace
                WHERE i.inhrelid = c.oid AND c.relispartition),
               CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) ELSE '' END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
          AND CASE WHEN %(schemas)s::text[] IS NULL
                   THEN n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
                   ELSE n.nspname = ANY(%(schemas)s::text[]) END
        ORDER BY n.nspname <> 'public', n.nspname, c.relname
        """,
        {"schemas": list(schemas) if schemas is not None else None},
    ).fetchall()
    tables: dict[str, Table] = {}
    for oid, nsp, relname, reltuples, partkey, parent_q, _bound in rows:
        name = table_key(nsp, relname)
        parent = table_key(*parent_q.split(".", 1)) if parent_q else None
        tables[name] = Table(
            name=name,
            columns=_columns(conn, oid),
            constraints=_constraints(conn, oid, name),
            foreign_keys=_foreign_keys(conn, oid, name),
            indexes=_indexes(conn, oid, name),
            rows_estimate=int(reltuples),
            partition_key=partkey or "",
            partition_of=parent,
        )
    bounds = {table_key(r[1], r[2]): (table_key(*r[5].split(".", 1)), r[6]) for r in rows if r[5]}
    tables = _with_partitions(tables, bounds)
    path = conn.execute("SELECT current_schemas(false)").fetchone()
    return Catalog(tables=_with_check_values(tables), search_path=tuple(path[0]) if path and path[0] else ())


def _with_partitions(tables: dict[str, Table], bounds: dict[str, tuple[str, str]]) -> dict[str, Table]:
    """Attach partitions to their parents; the foreign keys declared on the partitions only (a
    pg_dump of a partitioned table often has them there) count as the parent's for generation."""
    out = dict(tables)
    for name, table in tables.items():
        if not table.partition_key:
            continue
        parts = tuple(Partition(child, bound) for child, (parent, bound) in sorted(bounds.items()) if parent == name)
        fks = list(table.foreign_keys)
        seen = {(f.columns, f.ref_table, f.ref_columns) for f in fks}
        for part in parts:
            for fk in _leaf_fks(tables, part.name):
                if (fk.columns, fk.ref_table, fk.ref_columns) not in seen:
                    seen.add((fk.columns, fk.ref_table, fk.ref_columns))
                    fks.append(fk)
        out[name] = replace(table, partitions=parts, foreign_keys=tuple(fks))
    return out


def _leaf_fks(tables: dict[str, Table], name: str) -> list[ForeignKey]:
    table = tables.get(name)
    if table is None:
        return []
    found = list(table.foreign_keys)
    for child in tables.values():
        if child.partition_of == name:
            found += _leaf_fks(tables, child.name)
    return found


def _columns(conn: psycopg.Connection, oid: int) -> tuple[Column, ...]:
    rows = conn.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
               CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE '' END,
               array(SELECT e.enumlabel FROM pg_enum e
                     WHERE e.enumtypid = CASE WHEN t.typtype = 'd' THEN t.typbasetype
                                              WHEN t.typelem <> 0 AND t.typcategory = 'A' THEN t.typelem
                                              ELSE t.oid END
                     ORDER BY e.enumsortorder),
               array(SELECT pg_get_constraintdef(dc.oid) FROM pg_constraint dc
                     WHERE dc.contypid = t.oid AND dc.contype = 'c' ORDER BY dc.conname)
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        (oid,),
    ).fetchall()
    return tuple(
        Column(
            name=r[0], type=r[1], not_null=r[2], default=r[3], identity=r[4] or "", generated=bool(r[5]),
            base_type=r[6] or "", enum_labels=tuple(r[7]), domain_checks=tuple(r[8]),
        )
        for r in rows
    )


def _constraints(conn: psycopg.Connection, oid: int, table: str) -> tuple[Constraint, ...]:
    rows = conn.execute(
        """
        SELECT con.conname, con.contype,
               coalesce(array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                              JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                              ORDER BY k.i), '{}'),
               pg_get_constraintdef(con.oid),
               EXISTS (SELECT 1 FROM pg_depend dep
                       WHERE dep.refclassid = 'pg_constraint'::regclass AND dep.refobjid = con.oid
                         AND dep.classid = 'pg_rewrite'::regclass)
        FROM pg_constraint con WHERE con.conrelid = %s AND con.conparentid = 0 ORDER BY con.conname
        """,
        (oid,),
    ).fetchall()
    return tuple(
        Constraint(name=r[0], table=table, kind=r[1], columns=tuple(r[2]), definition=r[3], has_dependents=r[4])
        for r in rows
    )


def _foreign_keys(conn: psycopg.Connection, oid: int, table: str) -> tuple[ForeignKey, ...]:
    rows = conn.execute(
        """
        SELECT con.conname, CASE WHEN rn.nspname = 'public' THEN ref.relname ELSE rn.nspname || '.' || ref.relname END,
               array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
               array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
               pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class ref ON ref.oid = con.confrelid
        JOIN pg_namespace rn ON rn.oid = ref.relnamespace
        WHERE con.conrelid = %s AND con.contype = 'f' AND con.conparentid = 0 ORDER BY con.conname
        """,
        (oid,),
    ).fetchall()
    return tuple(
        ForeignKey(name=r[0], table=table, columns=tuple(r[2]), ref_table=r[1], ref_columns=tuple(r[3]), definition=r[4])
        for r in rows
    )


def _indexes(conn: psycopg.Connection, oid: int, table: str) -> tuple[Index, ...]:
    rows = conn.execute(
        """
        SELECT ic.relname, pg_get_indexdef(i.indexrelid),
               array(SELECT coalesce(a.attname, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                     LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                     WHERE k.o <= i.indnkeyatts ORDER BY k.o),
               am.amname, i.indisunique, i.indisprimary, con.conname, i.indpred IS NOT NULL,
               pg_relation_size(i.indexrelid)
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
        WHERE i.indrelid = %s ORDER BY ic.relname
        """,
        (oid,),
    ).fetchall()
    return tuple(
        Index(
            name=r[0], table=table, definition=r[1], columns=tuple(r[2]), method=r[3], unique=r[4],
            primary=r[5], constraint=r[6], partial=r[7], size_bytes=int(r[8]),
        )
        for r in rows
    )


def _with_check_values(tables: dict[str, Table]) -> dict[str, Table]:
    """Attach the allowed values of `CHECK (col IN (...))` constraints to their columns."""
    out: dict[str, Table] = {}
    for name, table in tables.items():
        allowed: dict[str, tuple[str, ...]] = {}
        for con in table.constraints:
            if con.kind != "c":
                continue
            m = _CHECK_IN.search(con.definition)
            if m:
                allowed[m.group(1)] = tuple(v.replace("''", "'") for v in _CHECK_LITERAL.findall(m.group(2)))
        columns = tuple(
            Column(**{**c.__dict__, "check_values": allowed.get(c.name, ())}) for c in table.columns
        )
        out[name] = Table(**{**table.__dict__, "columns": columns})
    return out


def table_row_counts(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    """Exact row counts (for small scales and for tests); use estimates for big tables."""
    from psycopg import sql

    counts: dict[str, int] = {}
    for t in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table_ident(t))).fetchone()
        counts[t] = int(row[0]) if row else 0
    return counts


def table_row_estimates(conn: psycopg.Connection) -> dict[str, int]:
    """Planner row estimates of every table of every user schema (cheap; accurate after ANALYZE)."""
    rows = conn.execute(
        """
        SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND c.relkind IN ('r', 'p')
        """
    ).fetchall()
    return {table_key(r[0], r[1]): int(r[2]) for r in rows}


def server_info(conn: psycopg.Connection) -> tuple[str, int, dict[str, str]]:
    """Version string, version number and the settings that shape plans."""
    version = conn.execute("SHOW server_version").fetchone()
    num = conn.execute("SHOW server_version_num").fetchone()
    names = [
        "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "seq_page_cost",
        "maintenance_work_mem", "max_parallel_workers_per_gather", "jit", "default_statistics_target",
        "effective_io_concurrency", "full_page_writes", "TimeZone",
    ]
    rows = conn.execute(
        "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)", (names,)
    ).fetchall()
    return (str(version[0]) if version else "?", int(num[0]) if num else 0, {r[0]: r[1] for r in rows})
