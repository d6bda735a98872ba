"""What the connected role may do on a target the tool does not own, said before the run does it.

A read-only role can still be analyzed: EXPLAIN ANALYZE of reads and HypoPG estimates need
no privilege beyond SELECT. What it cannot do (create the schema, build indexes to prove them,
run the write mix, seed) is found out here, once, and said in plain words in the report's notes,
instead of as a permission error half-way through.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class RolePrivileges:
    role: str
    superuser: bool
    create_in_schema: bool  # CREATE on the current schema: tables and indexes
    read_only: bool  # default_transaction_read_only or a standby: no writes at all

    @property
    def may_build(self) -> bool:
        return not self.read_only and (self.superuser or self.create_in_schema)


def read_privileges(conn: psycopg.Connection) -> RolePrivileges:
    row = conn.execute(
        """
        SELECT current_user, r.rolsuper, has_schema_privilege(current_schema(), 'CREATE'),
               current_setting('default_transaction_read_only') = 'on' OR pg_is_in_recovery()
        FROM pg_roles r WHERE r.rolname = current_user
        """
    ).fetchone()
    assert row is not None
    return RolePrivileges(role=str(row[0]), superuser=bool(row[1]), create_in_schema=bool(row[2]),
                          read_only=bool(row[3]))


def explain_privileges(p: RolePrivileges, allow_ddl: bool) -> list[str]:
    """Notes for the report: what this role can and cannot do here (nothing when it may do all asked)."""
    cannot: list[str] = []
    if p.read_only:
        cannot.append("write anything (read-only transaction or standby): no seeding, no write mix")
    if allow_ddl and not p.may_build:
        cannot.append("create tables or indexes (no CREATE on the schema): index candidates stay unproven")
    if not cannot:
        return []
    return [f"role {p.role} can EXPLAIN ANALYZE the workload's reads here but cannot " + "; nor ".join(cannot)]


def unreadable_tables(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    """The tables among `tables` this role may not SELECT from (tables that do not exist are left out)."""
    rows = conn.execute(
        "SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(t) IS NOT NULL "
        "AND NOT has_table_privilege(to_regclass(t), 'SELECT') ORDER BY 1",
        (tables,),
    ).fetchall()
    return [str(r[0]) for r in rows]
