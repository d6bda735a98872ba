"""Partitions seen as the tables and indexes a user created (reads the catalog; an edge module).

A plan names the partitions it read (`payment_p2024_03`) and their indexes
(`payment_p2024_03_customer_id_idx`), while the workload, the expectations and the advisor speak
of the partitioned table (`payment`) and the index created on it. `resolve_partitions` asks the
server which names are partitions (pg_partition_root, PostgreSQL 12 and later) and marks each such
node with its root table and root index, so `PlanNode.table`, `PlanNode.index` and
`ExplainResult.index_names` answer with both names.
"""

from __future__ import annotations

import psycopg

from analyzer.plan import ExplainResult, annotate_partitions, parse_explain

_ROOTS = """
SELECT c.relname, r.relname
FROM pg_class c JOIN pg_class r ON r.oid = pg_partition_root(c.oid)
WHERE c.relispartition AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid) AND r.oid <> c.oid
"""


def partition_roots(conn: psycopg.Connection, names: set[str]) -> dict[str, str]:
    """For each name that is a partition (table or index), the root of its partition tree."""
    if not names:
        return {}
    with conn.transaction():  # never leaves a transaction open on a connection that is not autocommit
        rows = conn.execute(_ROOTS, (sorted(names),)).fetchall()
    return {child: root for child, root in rows}


class PartitionLookup:
    """`resolve_partitions` for many plans on one connection: a database with no partition at all (asked once)
    needs no catalog query per plan. The advisor plans every query for every candidate and parameter set, and
    that query (in its own transaction) took 2 s of its 47 on the project_management workload."""

    _ANY = "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relispartition)"

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._any: bool | None = None

    def resolve(self, plan: ExplainResult) -> ExplainResult:
        if self._any is None:
            with self.conn.transaction():
                row = self.conn.execute(self._ANY).fetchone()
            self._any = bool(row and row[0])
        return resolve_partitions(self.conn, plan) if self._any else plan


def resolve_partitions(conn: psycopg.Connection, plan: ExplainResult) -> ExplainResult:
    """The plan with every partition's node marked with its partitioned table and index, if any."""
    names = {n for node in plan.nodes() for n in (node.relation, node.index_name) if n}
    roots = partition_roots(conn, names)
    if not roots:
        return plan
    return parse_explain(annotate_partitions(plan.raw, roots))
