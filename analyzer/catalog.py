"""Read what the database holds: tables, columns, constraints, indexes, sizes and statistics.

The seeder infers generators from this, the report records it, and the advisor compares its
candidates with the indexes that exist. Works on PostgreSQL 13 to 18.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the types below are read without a server too (`pg-analyzer check`): psycopg loads on use
    import psycopg


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(), e.g. "bigint", "timestamp with time zone", "text[]"
    not_null: bool
    default: str | None
    identity: str  # "", "a" (always) or "d" (by default)
    generated: bool  # a GENERATED ALWAYS AS (...) STORED column: never written
    check_values: tuple[str, ...] = ()  # from CHECK (col IN (...))


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
class Table:
    name: str
    columns: tuple[Column, ...]
    constraints: tuple[Constraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    rows_estimate: int = 0

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return next((c.columns for c in self.constraints if c.kind == "p"), ())

    @property
    def unique_sets(self) -> tuple[tuple[str, ...], ...]:
        return tuple(c.columns for c in self.constraints if c.kind in ("p", "u"))


@dataclass(frozen=True)
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)


_CHECK_IN = re.compile(r"\(\s*\(?\s*\(?(\w+)\)?(?:::\w+)?\s*=\s*ANY\s*\(\s*(?:\()?ARRAY\[(.*?)\]")
_CHECK_LITERAL = re.compile(r"'((?:[^']|'')*)'")


def read_catalog(conn: psycopg.Connection, schema: str = "public") -> Catalog:
    """All ordinary and partitioned tables of `schema` with their columns, constraints and indexes."""
    rows = conn.execute(
        """
        SELECT c.oid, c.relname, greatest(c.reltuples, 0)::bigint
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
        """,
        (schema,),
    ).fetchall()
    tables: dict[str, Table] = {}
    for oid, name, reltuples in rows:
        tables[name] = Table(
            name=name,
            columns=_columns(conn, oid),
            constraints=_constraints(conn, oid, name),
            foreign_keys=_foreign_keys(conn, oid, name),
            indexes=_indexes(conn, oid, name),
            rows_estimate=int(reltuples),
        )
    return Catalog(tables=_with_check_values(tables))


def _columns(conn: psycopg.Connection, oid: int) -> tuple[Column, ...]:
    rows = conn.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
        FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        (oid,),
    ).fetchall()
    return tuple(
        Column(
            name=r[0], type=r[1], not_null=r[2], default=r[3], identity=r[4] or "", generated=bool(r[5])
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
               pg_get_constraintdef(con.oid)
        FROM pg_constraint con WHERE con.conrelid = %s ORDER BY con.conname
        """,
        (oid,),
    ).fetchall()
    return tuple(Constraint(name=r[0], table=table, kind=r[1], columns=tuple(r[2]), definition=r[3]) for r in rows)


def _foreign_keys(conn: psycopg.Connection, oid: int, table: str) -> tuple[ForeignKey, ...]:
    rows = conn.execute(
        """
        SELECT con.conname, ref.relname,
               array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
               array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
               pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class ref ON ref.oid = con.confrelid
        WHERE con.conrelid = %s AND con.contype = 'f' ORDER BY con.conname
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
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()
        counts[t] = int(row[0]) if row else 0
    return counts


def table_row_estimates(conn: psycopg.Connection, schema: str = "public") -> dict[str, int]:
    """Planner row estimates of every table (cheap; accurate after ANALYZE)."""
    rows = conn.execute(
        """
        SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
        """,
        (schema,),
    ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


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
