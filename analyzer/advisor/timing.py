"""Measuring a declared query in one state of the indexes, with the same parameter sets every time.

A proof compares like with like: the parameter sets of the first replay, every one of them,
and the same replay code (EXPLAIN ANALYZE in rolled-back transactions, warm-up until nothing
is read from outside shared buffers). The advisor decides on buffers (analyzer/advisor/
objective.py), which one run per set gives exactly; time is confirmed by `paired`, which
alternates runs without and with the indexes (ABAB, the "without" side dropping them inside
its rolled-back transaction) so both sides share the same warm cache and the same machine
load. Whether the planner would use an index is asked first with a plain EXPLAIN.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg import pq, sql

from analyzer.catalog import table_ident
from analyzer.partitions import PartitionLookup
from analyzer.plan import ExplainResult, parse_explain, work_shape
from analyzer.replay import Measurement, ParamSetResult, explain_once, modifies_data, still_warming
from analyzer.workload import ReplaySettings, Statement

PAIRED_ROUNDS = 5  # ABAB rounds per parameter set at most (the budget cuts a slow query to one pair per set)
MAX_WARM_RUNS = 3  # a paired run is repeated while it still read blocks from outside shared buffers
# Pairs enough when every run of one side is at least SEPARATION times every run of the other
# (ONE_PAIR_SEPARATION after a single pair): more rounds would narrow a band that cannot reach
# the other side (a 2x slower neighbour slows both sides of a pair alike). The noise band is
# still that of the per-pair differences over all the query's parameter sets.
SEPARATION = 2.0
ONE_PAIR_SEPARATION = 3.0
FAR_APART = 10.0  # a set this much slower in the first replay than with the indexes is not re-run without them


@dataclass(frozen=True)
class QueryTiming:
    """What one query cost in one state of the indexes, per parameter set and in summary."""

    median_ms: float
    buffers: int  # of the representative set
    timings_ms: tuple[float, ...]
    plan: Any  # raw EXPLAIN JSON of the representative run
    index_names: frozenset[str]
    error: str | None = None
    timed_out: bool = False  # cancelled by statement_timeout: `median_ms` is the timeout, a lower bound
    buffers_by_set: tuple[int, ...] = ()  # shared hit + read of each parameter set: the objective's input
    plans_by_set: tuple[Any, ...] = ()
    ms_by_set: tuple[float, ...] = ()  # median per parameter set
    labels: tuple[str, ...] = ()
    representative: int = 0  # index of the set whose plan is `plan`
    spread_ms: float = 0.0  # paired timing: half the interquartile range of the per-pair differences

    def plan_of_set(self, i: int) -> Any:
        """The plan of parameter set `i` (the representative plan when that set was not measured)."""
        return self.plans_by_set[i] if i < len(self.plans_by_set) else self.plan


def summarize(m: Measurement) -> QueryTiming:
    """Median of all timed runs; per-set buffers; plan of the set whose median is the median."""
    measured = [s for s in m.sets if s.plan is not None and s.timings_ms]
    if m.timed_out_after_s is not None:
        return QueryTiming(m.timed_out_after_s * 1000, 0, (), None, frozenset(), timed_out=True,
                           labels=tuple(s.label for s in m.sets))
    if m.error is not None or not measured:
        return QueryTiming(float("inf"), 0, (), None, frozenset(), error=m.error or "no plan was measured")
    medians = [statistics.median(s.timings_ms) for s in measured]
    order = sorted(range(len(measured)), key=lambda i: (medians[i], i))
    rep = order[(len(order) - 1) // 2]
    plan = measured[rep].plan
    assert plan is not None
    names = frozenset(n for s in measured if s.plan is not None for n in s.plan.index_names)
    return QueryTiming(
        median_ms=statistics.median(m.timings_ms),
        buffers=plan.total_buffers.total_shared,
        timings_ms=tuple(m.timings_ms),
        plan=plan.raw,
        index_names=names,
        buffers_by_set=tuple(s.plan.total_buffers.total_shared for s in measured if s.plan is not None),
        plans_by_set=tuple(s.plan.raw for s in measured if s.plan is not None),
        ms_by_set=tuple(medians),
        labels=tuple(s.label for s in measured),
        representative=rep,
    )


@dataclass
class PairedTiming:
    """The same query timed without and with indexes, in alternating runs of each parameter set."""

    before: QueryTiming
    after: QueryTiming
    differences_ms: list[float] = field(default_factory=list)


class QueryTimer:
    """Re-measures declared queries with the parameter sets their first replay used."""

    def __init__(self, conn: psycopg.Connection, settings: ReplaySettings,
                 param_sets: Mapping[str, Sequence[Mapping[str, Any]]],
                 labels: Mapping[str, Sequence[str]] | None = None,
                 always_hidden: Callable[[], Sequence[str]] = tuple) -> None:
        self.conn = conn
        self.partitions = PartitionLookup(conn)  # the tool creates no partition: asked once per timer
        self.settings = settings
        self.param_sets = param_sets
        self.labels = labels or {}
        self.measurements = 0  # EXPLAIN ANALYZE measurements of a query in one state (for the phase figures)
        # indexes that exist but are in no state the reads are measured in (kept built for the write mix):
        # every run drops them inside its rolled-back transaction, on both sides of a pair
        self.always_hidden = always_hidden

    def _hidden(self, hide: Sequence[str] = ()) -> list[str]:
        return list(dict.fromkeys([*hide, *self.always_hidden()]))

    def time(self, stmt: Statement, hide: Sequence[str] = (), same_as: QueryTiming | None = None,
             changed: Sequence[bool] = ()) -> QueryTiming:
        """Every parameter set, one run each, no warm-up: the buffers the objective needs.

        Buffers touched (hit + read) do not depend on what is cached, so a cold run counts the
        same work as a warm one; warm-up runs would only buy a better time, which the paired
        confirmation of the final set measures anyway. `hide` are indexes (index keys: schema-qualified
        outside public, catalog.index_key) dropped inside each run's rolled-back transaction: the
        state without them, with no rebuild afterwards. A set whose `changed` flag is False keeps
        its figures in `same_as` (a state whose plan for it the caller knows to be the same) and
        does not run.
        """
        writes = modifies_data(stmt)
        sets = [dict(p) for p in self.param_sets[stmt.name]]
        labels = list(self.labels.get(stmt.name, ["declared"] * len(sets)))
        kept = _reusable(same_as, len(sets), changed)
        m = Measurement(stmt, [], writes)
        self.measurements += 1
        with self._timeout():
            try:
                for i, params in enumerate(sets):
                    result = ParamSetResult(params, labels[i] if i < len(labels) else "declared")
                    m.sets.append(result)
                    if same_as is not None and i in kept:
                        result.timings_ms.append(same_as.ms_by_set[i])
                        result.plan = self.partitions.resolve(parse_explain(same_as.plans_by_set[i]))
                        continue
                    plan = self.partitions.resolve(explain_once(self.conn, stmt, params, writes,
                                                                      hide_indexes=self._hidden(hide)))
                    result.timings_ms.append(plan.execution_ms or 0.0)
                    result.plan = plan
            except psycopg.errors.QueryCanceled:
                m.timed_out_after_s = self.settings.statement_timeout_s
            except psycopg.Error as e:
                m.error = e.diag.message_primary or str(e)
        return summarize(m)

    @contextmanager
    def _timeout(self) -> Iterator[None]:
        self.conn.execute(sql.SQL("SET statement_timeout = {}").format(
            sql.Literal(int(self.settings.statement_timeout_s * 1000))))
        try:
            yield
        finally:
            if self.conn.pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
                self.conn.execute("RESET statement_timeout")

    def paired(self, stmt: Statement, hide: Sequence[str], rounds: int = PAIRED_ROUNDS,
               reference: QueryTiming | None = None) -> PairedTiming:
        """ABAB runs per parameter set: without `hide` (dropped in the run's rolled-back transaction), then with.

        Each side's run counts once it read nothing from outside shared buffers (it is repeated
        until then), and the sides alternate, so a busy neighbour slows both alike; the per-pair
        differences give the noise band the report quotes. With `reference` (the first replay's
        figures without the indexes), a set whose replay was FAR_APART times slower than its first
        run with them is not run again without them: no load of a shared machine bridges that gap,
        and re-running a multi-second scan only to confirm it was the measurement's largest cost.
        """
        writes = modifies_data(stmt)
        sets = [dict(p) for p in self.param_sets[stmt.name]]
        labels = list(self.labels.get(stmt.name, ["declared"] * len(sets)))
        before = Measurement(stmt, [], writes)
        after = Measurement(stmt, [], writes)
        diffs: list[float] = []
        with self._timeout():
            self._paired_runs(stmt, sets, labels, hide, rounds, before, after, diffs, reference)
        self.measurements += 2
        spread = _half_iqr(diffs)
        return PairedTiming(replace(summarize(before), spread_ms=spread), replace(summarize(after), spread_ms=spread),
                            diffs)

    def _paired_runs(self, stmt: Statement, sets: list[dict[str, Any]], labels: list[str], hide: Sequence[str],
                     rounds: int, before: Measurement, after: Measurement, diffs: list[float],
                     reference: QueryTiming | None = None) -> None:
        writes = before.modifies_data
        usable = (reference is not None and reference.error is None and not reference.timed_out
                  and len(reference.ms_by_set) == len(sets) == len(reference.plans_by_set))
        try:
            per_set_s = self.settings.budget_s / max(len(sets), 1)
            for i, params in enumerate(sets):
                label = labels[i] if i < len(labels) else "declared"
                a, b = ParamSetResult(params, label), ParamSetResult(params, label)
                before.sets.append(a)
                after.sets.append(b)
                started = time.perf_counter()
                if usable and reference is not None and self._far_from_reference(stmt, params, writes, i, reference,
                                                                                  a, b, diffs):
                    continue
                for r in range(rounds):
                    pa = self._warm_run(stmt, params, writes, hide)
                    pb = self._warm_run(stmt, params, writes, ())
                    a.timings_ms.append(pa.execution_ms or 0.0)
                    b.timings_ms.append(pb.execution_ms or 0.0)
                    a.plan, b.plan = pa, pb
                    diffs.append((pa.execution_ms or 0.0) - (pb.execution_ms or 0.0))
                    # the budget reduces the rounds of a slow query, never below one pair per set
                    if (time.perf_counter() - started) * (r + 2) / (r + 1) > per_set_s:
                        break
                    if separated(a.timings_ms, b.timings_ms):
                        break
        except psycopg.errors.QueryCanceled:
            before.timed_out_after_s = self.settings.statement_timeout_s
        except psycopg.Error as e:
            after.error = e.diag.message_primary or str(e)

    def _far_from_reference(self, stmt: Statement, params: Mapping[str, Any], writes: bool, i: int,
                            reference: QueryTiming, a: ParamSetResult, b: ParamSetResult, diffs: list[float]) -> bool:
        """One warm run with the indexes; when the replay's time of this set is FAR_APART times it, that time
        stands for the side without them (True). Otherwise the run is the first of the pairs' "with" side."""
        pb = self._warm_run(stmt, params, writes, ())
        b.timings_ms.append(pb.execution_ms or 0.0)
        b.plan = pb
        before_ms = reference.ms_by_set[i]
        if before_ms < FAR_APART * max(pb.execution_ms or 0.0, 1e-3):
            b.timings_ms.clear()
            return False
        a.timings_ms.append(before_ms)
        a.plan = self.partitions.resolve(parse_explain(reference.plans_by_set[i]))
        diffs.append(before_ms - (pb.execution_ms or 0.0))
        return True

    def _warm_run(self, stmt: Statement, params: Mapping[str, Any], writes: bool, hide: Sequence[str]) -> ExplainResult:
        """A timed run after which no run would be warmer (re-run while runs get warmer, a few times at most)."""
        previous: int | None = None
        for _ in range(MAX_WARM_RUNS):
            plan = self.partitions.resolve(explain_once(self.conn, stmt, params, writes,
                                                              hide_indexes=self._hidden(hide)))
            if not still_warming(previous, plan.total_buffers.shared_read):
                break
            previous = plan.total_buffers.shared_read
        return plan

    def planned_indexes(self, stmt: Statement, hide: Sequence[str] = ()) -> frozenset[str]:
        """Indexes the planner picks for any of the query's parameter sets (plain EXPLAIN, nothing runs)."""
        return frozenset().union(*(plan.index_names for plan in self.plans(stmt, hide)))

    def plans(self, stmt: Statement, hide: Sequence[str] = ()) -> list[ExplainResult]:
        """The plan of each of the query's parameter sets (plain EXPLAIN, nothing runs)."""
        out: list[ExplainResult] = []
        query = sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(stmt.psycopg_sql)
        for params in self.param_sets[stmt.name]:
            with self.conn.transaction(force_rollback=True):
                for key in self._hidden(hide):
                    self.conn.execute(sql.SQL("DROP INDEX {}").format(table_ident(key)))
                row = self.conn.execute(query, dict(params), prepare=True).fetchone()
            if row is None:
                raise psycopg.DataError(f"EXPLAIN of {stmt.name} returned no row")
            out.append(self.partitions.resolve(parse_explain(row[0])))
        return out


def changed_sets(plans: Sequence[ExplainResult], before: QueryTiming) -> list[bool]:
    """Per parameter set: does its plan now differ from the one measured `before`? A set with the same plan
    on the same data touches the same buffers and keeps that measurement (`QueryTimer.time`): adding an
    index only adds paths, so a plan that does not take it is often the plan it had."""
    shapes = [work_shape(raw) for raw in before.plans_by_set]
    return [i >= len(shapes) or work_shape(p.raw) != shapes[i] for i, p in enumerate(plans)]


def _reusable(same_as: QueryTiming | None, sets: int, changed: Sequence[bool]) -> frozenset[int]:
    """The sets `time` takes from `same_as`: those not changed, when it measured every set without error."""
    complete = (same_as is not None and same_as.error is None and not same_as.timed_out
                and len(same_as.plans_by_set) == len(same_as.ms_by_set) == len(same_as.buffers_by_set) == sets
                and len(changed) == sets)
    return frozenset(i for i, c in enumerate(changed) if not c) if complete else frozenset()


def plan_costs(conn: psycopg.Connection, stmt: Statement, param_sets: Sequence[Mapping[str, Any]]) -> list[float]:
    """The planner's total cost per parameter set (plain EXPLAIN): page units, a stand-in where nothing was counted."""
    query = sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(stmt.psycopg_sql)
    costs: list[float] = []
    for params in param_sets:
        with conn.transaction(force_rollback=True):
            row = conn.execute(query, dict(params), prepare=True).fetchone()
        costs.append(float(parse_explain(row[0]).root.total_cost or 0.0) if row is not None else 0.0)
    return costs


def separated(before_ms: Sequence[float], after_ms: Sequence[float]) -> bool:
    """Every run of one side at least SEPARATION times every run of the other, ONE_PAIR_SEPARATION when
    each side has run once (pure)."""
    if not before_ms or not after_ms:
        return False
    low, high = sorted((before_ms, after_ms), key=min)
    factor = ONE_PAIR_SEPARATION if min(len(low), len(high)) < 2 else SEPARATION
    return min(high) >= factor * max(max(low), 1e-6)


def _half_iqr(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    q = statistics.quantiles(values, n=4)
    return (q[2] - q[0]) / 2
