"""Replay declared statements under EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON).

Each statement runs with every sampled parameter set: warm-up runs first (repeated, a few
times at most, while each reads fewer blocks from outside shared buffers than the one before:
a scan through the ring buffer of a large table never gets warmer; on a further set the warm
run is its first timed run), then timed runs within a time budget. The budget reduces the runs per set, never the sets: when even one timed run per
set does not fit, each set runs once with TIMING OFF (buffers and rows, the figures the
advisor decides on, are the same) and the measurement says so. Every run is inside a
transaction that is rolled back, so statements that modify data leave nothing behind, and
read-only statements run READ ONLY.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pglast
import psycopg
from psycopg import pq, sql

from analyzer.catalog import table_ident
from analyzer.errors import QueryError, WorkloadError
from analyzer.partitions import resolve_partitions
from analyzer.plan import ExplainResult, parse_explain
from analyzer.progress import Reporter, SilentReporter
from analyzer.workload import ReplaySettings, Statement

MIN_TIMED_RUNS = 3
MAX_WARMUPS = 3  # warm-up runs per set at most, while each still gets warmer (still_warming)


@dataclass
class ParamSetResult:
    """The timed runs of one parameter set and the plan of its last run."""

    params: Mapping[str, Any]
    label: str = "declared"  # heavy, typical, rare or declared (analyzer.params)
    timings_ms: list[float] = field(default_factory=list)
    planning_ms: list[float] = field(default_factory=list)
    plan: ExplainResult | None = None


@dataclass
class Measurement:
    """Everything replay measured for one statement."""

    statement: Statement
    sets: list[ParamSetResult]
    modifies_data: bool
    error: str | None = None
    timed_out_after_s: float | None = None  # statement_timeout cancelled it: its time is at least this
    note: str | None = None  # how the budget shaped the measurement, when it did

    @property
    def timings_ms(self) -> list[float]:
        return [t for s in self.sets for t in s.timings_ms]

    @property
    def plans(self) -> list[ExplainResult]:
        return [s.plan for s in self.sets if s.plan is not None]


def modifies_data(stmt: Statement) -> bool:
    """True for INSERT/UPDATE/DELETE/MERGE, data-modifying CTEs and SELECT ... FOR UPDATE."""
    if stmt.modifies_data:
        return True
    try:
        tree = pglast.parse_sql(stmt.positional_sql)
    except pglast.parser.ParseError:
        return True
    for raw in tree:
        node = raw.stmt
        if type(node).__name__ != "SelectStmt":
            return True
        if getattr(node, "lockingClause", None):
            return True
        with_clause = getattr(node, "withClause", None)
        if with_clause is not None:
            for cte in with_clause.ctes or ():
                if type(cte.ctequery).__name__ != "SelectStmt":
                    return True
    return False


def check_syntax(stmt: Statement, where: str) -> None:
    """Fail at load time, naming the statement, when PostgreSQL's parser rejects its SQL."""
    try:
        pglast.parse_sql(stmt.positional_sql)
    except pglast.parser.ParseError as e:
        raise QueryError(f"{where}: SQL syntax error: {e.args[0]}") from None


def apply_session_settings(conn: psycopg.Connection, settings: ReplaySettings, where: str = "") -> None:
    """Pin planner noise (jit, parallel workers) and whatever the workload asks for.

    A setting the server refuses (unknown name, `work_mem: lots`, one that needs superuser)
    is bad input: one line naming it, before any query runs.
    """
    for name, value in settings.settings.items():
        try:
            with conn.transaction():  # a refused value leaves the session as it was
                conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        except psycopg.Error as e:
            prefix = f"{where}: " if where else ""
            raise WorkloadError(
                f"{prefix}replay.settings.{name} = {value!r}: {e.diag.message_primary or str(e).splitlines()[0]}"
            ) from None


def validate_statement(conn: psycopg.Connection, stmt: Statement, where: str) -> None:
    """Plan the statement once with NULL parameters: unknown tables and columns fail here, early."""
    params = {name: None for name in stmt.param_order}
    try:
        with conn.transaction(force_rollback=True):
            if not modifies_data(stmt):
                conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(stmt.psycopg_sql), params, prepare=True)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedFunction,
            psycopg.errors.SyntaxError) as e:
        raise QueryError(f"{where}: {e.diag.message_primary}") from None
    except psycopg.Error:
        pass  # NULL parameters may not type-check; replay reports what really fails


def replay_statement(
    conn: psycopg.Connection,
    stmt: Statement,
    param_sets: list[dict[str, Any]],
    settings: ReplaySettings,
    reporter: Reporter | None = None,
    labels: Sequence[str] | None = None,
    hide_indexes: Sequence[str] = (),
) -> Measurement:
    """Warm up, then time the statement under EXPLAIN ANALYZE for every parameter set.

    `hide_indexes` are dropped inside each run's rolled-back transaction: the plan without
    them, measured on the same warm server, with the indexes intact afterwards.
    """
    reporter = reporter or SilentReporter()
    writes = modifies_data(stmt)
    names = list(labels) if labels is not None else ["declared"] * len(param_sets)
    measurement = Measurement(statement=stmt, sets=[ParamSetResult(p, names[i] if i < len(names) else "declared")
                                                    for i, p in enumerate(param_sets)], modifies_data=writes)
    timeout_ms = int(settings.statement_timeout_s * 1000)
    conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(timeout_ms)))
    try:
        first = measurement.sets[0]
        started = time.perf_counter()
        warmups, last_warm = _warm_up(conn, stmt, first.params, writes, settings.warmup, hide_indexes,
                                      slow_s=settings.budget_s / len(measurement.sets))
        per_run_s = max((time.perf_counter() - started) / warmups, 1e-4)
        sets = len(measurement.sets)
        timing = per_run_s * sets <= settings.budget_s
        runs_each = _runs_per_set(settings, sets, per_run_s) if timing else 1
        if not timing:
            measurement.note = (f"one run per parameter set with TIMING OFF: a run takes about {per_run_s:.2f}s and "
                                f"{sets} sets exceed the {settings.budget_s:g}s budget (buffers and rows are exact, "
                                "times carry no per-node timing)")
        for result in measurement.sets:
            runs = runs_each
            if result is first and not timing and last_warm is not None:
                _record(result, last_warm)  # the warm-up ran with TIMING OFF too: it is this set's run
                runs -= 1
                reporter.advance(1 / (runs_each * sets))
            elif result is not first and timing and _warm_run_counts(conn, stmt, result, writes, settings.warmup,
                                                                   hide_indexes):
                runs -= 1
                reporter.advance(1 / (runs_each * sets))
            for _ in range(runs):
                plan = explain_once(conn, stmt, result.params, writes, timing=timing, hide_indexes=hide_indexes)
                _record(result, plan)
                reporter.advance(1 / (runs_each * sets))
        if timing:
            _top_up(conn, stmt, measurement, writes, hide_indexes)
        for result in measurement.sets:
            if result.plan is not None:
                result.plan = resolve_partitions(conn, result.plan)
    except psycopg.errors.QueryCanceled:
        measurement.error = f"timed out after {settings.statement_timeout_s:g}s (statement_timeout)"
        measurement.timed_out_after_s = settings.statement_timeout_s
    except psycopg.Error as e:
        measurement.error = _describe(e)
    finally:
        # after a Ctrl-C between sending and reading, the connection is busy: leave it to the cleanup
        if conn.pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
            conn.execute("RESET statement_timeout")
    return measurement


def still_warming(previous_read: int | None, read: int) -> bool:
    """Whether one more run would start warmer (pure): it read from outside shared buffers, fewer blocks than
    the run before it or as the first run. A sequential scan of a table larger than a quarter of
    shared_buffers goes through a small ring of buffers and reads the same blocks on every run:
    more runs would not warm it, only cost it again."""
    return read > 0 and (previous_read is None or read < previous_read)


def _warm_up(conn: psycopg.Connection, stmt: Statement, params: Mapping[str, Any], writes: bool, warmup: int,
             hide_indexes: Sequence[str], slow_s: float | None = None) -> tuple[int, ExplainResult | None]:
    """`warmup` runs, then more (up to MAX_WARMUPS) while they still get warmer: timed runs start warm.

    Returns the number of runs and the last one's plan when no further run would be warmer. A
    first run slower than `slow_s` (the budget's share of one set) ends the warm-up: the
    statement will run once per set with TIMING OFF, where buffers and rows decide and a
    warmer time is not worth another multi-second run; that run is the first set's.
    """
    runs = 0
    plan: ExplainResult | None = None
    previous: int | None = None
    warming = True
    while runs < max(warmup, 1) or (warming and runs < MAX_WARMUPS):
        started = time.perf_counter()
        plan = explain_once(conn, stmt, params, writes, timing=False, hide_indexes=hide_indexes)
        runs += 1
        if slow_s is not None and runs == 1 and time.perf_counter() - started > slow_s:
            return runs, plan
        warming = still_warming(previous, plan.total_buffers.shared_read)
        previous = plan.total_buffers.shared_read
    return runs, plan if plan is not None and not warming else None


def _warm_run_counts(conn: psycopg.Connection, stmt: Statement, result: ParamSetResult, writes: bool, warmup: int,
                     hide_indexes: Sequence[str]) -> bool:
    """Warm up a further parameter set; True when the warm run is its first timed run.

    The first set warmed the tables; a further set's run after which no run would be warmer
    is as warm as any later run, so it counts (one run per set saved). A workload that asks
    for more warm-up runs gets them, untimed.
    """
    if warmup > 1:
        _warm_up(conn, stmt, result.params, writes, warmup, hide_indexes)
        return False
    previous: int | None = None
    for _ in range(MAX_WARMUPS):
        plan = explain_once(conn, stmt, result.params, writes, hide_indexes=hide_indexes)
        if not still_warming(previous, plan.total_buffers.shared_read):
            _record(result, plan)
            return True
        previous = plan.total_buffers.shared_read
    return False


def _record(result: ParamSetResult, plan: ExplainResult) -> None:
    result.timings_ms.append(plan.execution_ms or 0.0)
    result.planning_ms.append(plan.planning_ms or 0.0)
    result.plan = plan


def _runs_per_set(settings: ReplaySettings, sets: int, per_run_s: float) -> int:
    affordable = math.floor(settings.budget_s / (per_run_s * max(sets, 1)))
    return max(1, min(settings.runs, affordable))


def _top_up(conn: psycopg.Connection, stmt: Statement, m: Measurement, writes: bool,
            hide_indexes: Sequence[str]) -> None:
    """Never fewer than three timed runs in all, however slow the statement."""
    target = m.sets[0]
    while len(m.timings_ms) < MIN_TIMED_RUNS:
        _record(target, explain_once(conn, stmt, target.params, writes, hide_indexes=hide_indexes))


def explain_once(conn: psycopg.Connection, stmt: Statement, params: Mapping[str, Any], writes: bool, *,
                 timing: bool = True, hide_indexes: Sequence[str] = ()) -> ExplainResult:
    """One EXPLAIN (ANALYZE, BUFFERS) run in a rolled-back transaction, without `hide_indexes` (index keys:
    bare in public, `schema.index` elsewhere, as catalog.index_key names them)."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if timing else "ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON"
    query = sql.SQL("EXPLAIN (" + options + ") ") + sql.SQL(stmt.psycopg_sql)
    with conn.transaction(force_rollback=True):
        for key in hide_indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(table_ident(key)))
        if not writes:
            conn.execute("SET TRANSACTION READ ONLY")
        row = conn.execute(query, dict(params), prepare=True).fetchone()  # extended protocol: one statement
    if row is None:
        raise QueryError(f"query '{stmt.name}': EXPLAIN returned nothing")
    return parse_explain(row[0])


def _describe(e: psycopg.Error) -> str:
    diag = e.diag
    text = diag.message_primary or str(e).splitlines()[0]
    if diag.sqlstate:
        text = f"{text} (SQLSTATE {diag.sqlstate})"
    return text
