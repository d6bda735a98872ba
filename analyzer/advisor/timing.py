"""Timing a declared query before and after an index, with the same parameter sets.

A proof compares like with like: the parameter sets of the first replay, the same replay
code (EXPLAIN ANALYZE in rolled-back transactions, warm-up, time budget), and the same
summary figures (median over all timed runs, buffers of the representative run). Whether
the planner would use an index is asked first with a plain EXPLAIN, which costs no execution.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql

from analyzer.partitions import resolve_partitions
from analyzer.plan import parse_explain
from analyzer.replay import Measurement, replay_statement
from analyzer.workload import ReplaySettings, Statement

PROOF_BUDGET_S = 2.0  # per query and index: enough for 3 timed runs of anything an index made fast
PROOF_RUNS = 3  # timed runs per parameter set; the median is taken over all sets


@dataclass(frozen=True)
class QueryTiming:
    """What one query cost in one state of the indexes."""

    median_ms: float
    buffers: int
    timings_ms: tuple[float, ...]
    plan: Any  # raw EXPLAIN JSON of the representative run
    index_names: frozenset[str]
    error: str | None = None
    timed_out: bool = False  # cancelled by statement_timeout: `median_ms` is the timeout, a lower bound


def summarize(m: Measurement) -> QueryTiming:
    """Median of all timed runs; buffers and plan of the parameter set whose median is the median."""
    measured = [s for s in m.sets if s.plan is not None and s.timings_ms]
    if m.timed_out_after_s is not None:
        return QueryTiming(m.timed_out_after_s * 1000, 0, (), None, frozenset(), timed_out=True)
    if m.error is not None or not measured:
        return QueryTiming(float("inf"), 0, (), None, frozenset(), error=m.error or "no plan was measured")
    ranked = sorted(measured, key=lambda s: statistics.median(s.timings_ms))
    representative = ranked[(len(ranked) - 1) // 2]
    assert representative.plan is not None
    names = frozenset(n for s in measured if s.plan is not None for n in s.plan.index_names)
    return QueryTiming(
        median_ms=statistics.median(m.timings_ms),
        buffers=representative.plan.total_buffers.total_shared,
        timings_ms=tuple(m.timings_ms),
        plan=representative.plan.raw,
        index_names=names,
    )


class QueryTimer:
    """Re-times declared queries with the parameter sets their first replay used."""

    def __init__(self, conn: psycopg.Connection, settings: ReplaySettings,
                 param_sets: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.conn = conn
        self.settings = replace(settings, budget_s=min(settings.budget_s, PROOF_BUDGET_S),
                                runs=min(settings.runs, PROOF_RUNS))
        self.param_sets = param_sets

    def time(self, stmt: Statement) -> QueryTiming:
        sets = [dict(p) for p in self.param_sets[stmt.name]]
        return summarize(replay_statement(self.conn, stmt, sets, self.settings))

    def planned_indexes(self, stmt: Statement) -> frozenset[str]:
        """Indexes the planner picks for any of the query's parameter sets (plain EXPLAIN, nothing runs)."""
        names: set[str] = set()
        query = sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(stmt.psycopg_sql)
        for params in self.param_sets[stmt.name]:
            with self.conn.transaction(force_rollback=True):
                row = self.conn.execute(query, dict(params)).fetchone()
            if row is not None:
                names |= resolve_partitions(self.conn, parse_explain(row[0])).index_names
        return frozenset(names)
