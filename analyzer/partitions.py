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


def resolve_partitions(conn: psycopg.Connection, plan: ExplainResult) -> ExplainResult:
    """The plan with every partition's node marked with its partitioned table and index, if any."""
    names = {n for node in plan.nodes() for n in (node.relation, node.index_name) if n}
    roots = partition_roots(conn, names)
    if not roots:
        return plan
    return parse_explain(annotate_partitions(plan.raw, roots))
