"""Hypothetical figures for targets where nothing may be built: HypoPG, when the database has it.

HypoPG indexes live in this session's memory only: nothing is written, so this is allowed on
a staging database without --allow-ddl. The figures are the planner's estimated costs, not
measurements, and every recommendation made from them says so. HypoPG knows btree (and a few
other methods) but not GIN, so GIN candidates stay without figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql

from analyzer.advisor.candidates import IndexCandidate
from analyzer.partitions import resolve_partitions
from analyzer.plan import parse_explain
from analyzer.report.model import Recommendation
from analyzer.workload import Statement

HYPOPG_METHODS = frozenset({"btree", "brin", "hash"})


def hypopg_installed(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").fetchone()
    return row is not None


def screen_hypothetically(
    conn: psycopg.Connection,
    candidates: Sequence[IndexCandidate],
    queries: Sequence[Statement],
    tables_of: Mapping[str, set[str]],
    param_sets: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[Recommendation]:
    """Each candidate as a hypothetical index: which queries the planner would use it for, at what cost."""
    costs_before = {q.name: _cost(conn, q, param_sets[q.name]) for q in queries}
    out: list[Recommendation] = []
    for cand in candidates:
        if cand.method not in HYPOPG_METHODS:
            out.append(_recommendation(cand, f"unproven (DDL not allowed here, and HypoPG cannot model "
                                             f"{cand.method}): {cand.reason}"))
            continue
        row = conn.execute("SELECT indexname FROM hypopg_create_index(%s)",
                           (cand.statement().as_string(conn),)).fetchone()
        hypo_name = str(row[0]) if row else ""
        try:
            helped = []
            for q in queries:
                if cand.table not in tables_of[q.name]:
                    continue
                plan_cost, names = _plan(conn, q, param_sets[q.name])
                if hypo_name in names and plan_cost < costs_before[q.name]:
                    helped.append(f"{q.name} {costs_before[q.name]:,.0f} -> {plan_cost:,.0f}")
        finally:
            conn.execute("SELECT hypopg_reset()")
        if helped:
            reason = ("hypothetical (HypoPG planner estimate, not measured; --allow-ddl or --scratch measures it): "
                      f"estimated cost {'; '.join(helped)}")
        else:
            reason = "hypothetical (HypoPG): the planner would not use it for any query"
        out.append(_recommendation(cand, reason))
    return sorted(out, key=lambda r: not r.reason.startswith("hypothetical (HypoPG planner"))


def _recommendation(cand: IndexCandidate, reason: str) -> Recommendation:
    return Recommendation(name=cand.name, ddl=cand.ddl(), table=cand.table, kind=cand.kind, chosen=False,
                          proven=False, reason=reason)


def _plan(conn: psycopg.Connection, q: Statement, param_sets: Sequence[Mapping[str, Any]]) -> tuple[float, frozenset[str]]:
    """The planner's total cost of the first parameter set, and the indexes its plan uses."""
    query = sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(q.psycopg_sql)
    params = dict(param_sets[0]) if param_sets else {}
    with conn.transaction(force_rollback=True):
        row = conn.execute(query, params).fetchone()
    if row is None:
        return float("inf"), frozenset()
    plan = resolve_partitions(conn, parse_explain(row[0]))
    return plan.root.total_cost, plan.index_names


def _cost(conn: psycopg.Connection, q: Statement, param_sets: Sequence[Mapping[str, Any]]) -> float:
    return _plan(conn, q, param_sets)[0]
