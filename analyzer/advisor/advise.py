"""The index advisor: candidates from the SQL and the data, proven by real builds, chosen for the workload.

1. Candidates come from each query's parsed SQL (pglast) and the data's statistics.
2. Each candidate is built once, for real; the queries on its table are planned (plain
   EXPLAIN) and those whose plan uses it are measured on every parameter set of the first
   replay (one warm run each: buffers repeat exactly).
3. A greedy pass picks, for the whole workload, the index saving the most weighted buffers
   (the objective, analyzer/advisor/objective.py); its write overhead is measured on the write
   mix and weighed against the saving; it is built and the queries it serves are re-measured
   with the set chosen so far. The pass stops below a threshold (analyzer/advisor/selection.py).
4. The chosen set as a whole: the queries it changes are timed in paired, warm, alternating
   runs without and with it (the time confirmation), and the write mix is measured.
Everything built is dropped at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg import sql

from analyzer.advisor import objective
from analyzer.advisor.builds import BuiltIndex, IndexBuilds, has_expression
from analyzer.advisor.candidates import IndexCandidate, generate_candidates, write_candidates
from analyzer.advisor.correlation import Correlations
from analyzer.advisor.existing import review_existing_indexes
from analyzer.advisor.hypothetical import hypopg_installed, screen_hypothetically
from analyzer.advisor.regressions import remove_regressions, speed_text
from analyzer.advisor.selection import Proof, Selection, WriteCosts, choose
from analyzer.advisor.skipscan import explain_skip_scans
from analyzer.advisor.sqlshape import TableAccess, analyze_statement
from analyzer.advisor.stats import TableStats
from analyzer.advisor.timing import QueryTimer, QueryTiming, changed_sets, plan_costs
from analyzer.advisor.writecosts import MeasuredWriteCosts
from analyzer.advisor.writesavers import add_write_savers, merge_candidates, pin_write_savers, write_accesses
from analyzer.catalog import read_catalog
from analyzer.progress import Reporter, SilentReporter
from analyzer.report.model import (
    AdvisorSummary,
    ExistingIndexNote,
    QuerySpeedup,
    Recommendation,
    WriteOverhead,
)
from analyzer.workload import Statement, Workload


@dataclass
class AdvisorResult:
    recommendations: list[Recommendation] = field(default_factory=list)
    existing: list[ExistingIndexNote] = field(default_factory=list)
    summary: AdvisorSummary | None = None
    notes: list[str] = field(default_factory=list)


def advise(
    conn: psycopg.Connection,
    workload: Workload,
    baseline: Mapping[str, QueryTiming],
    param_sets: Mapping[str, Sequence[Mapping[str, Any]]],
    run_id: str,
    *,
    may_ddl: bool,
    write_costs: Callable[[Sequence[IndexCandidate]], WriteCosts] | None = None,
    reporter: Reporter | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
) -> AdvisorResult:
    """Recommend indexes for the workload; `baseline` is each query's measurement without them."""
    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    catalog = read_catalog(conn)
    stats = TableStats(conn)
    queries = [q for q in workload.queries if q.name in baseline and baseline[q.name].error is None]
    accesses = {q.name: analyze_statement(q.positional_sql, catalog) for q in queries}
    correlation = Correlations(conn)
    candidates = generate_candidates(
        [(name, a) for name, accs in accesses.items() for a in accs], catalog,
        stats.fraction, stats.distinct, stats.null_fraction, correlation,
    )
    if may_ddl:
        candidates = merge_candidates(candidates, write_candidates(
            *write_accesses(workload, catalog), catalog, stats.fraction, stats.distinct, stats.null_fraction,
            correlation))
    result = AdvisorResult()
    for q in queries:
        if baseline[q.name].timed_out:
            result.notes.append(f"{q.name} timed out after {baseline[q.name].median_ms / 1000:g}s without the "
                                "recommended indexes: that time is counted as its time before, so its speedup is a "
                                "lower bound")
    used = {n for t in baseline.values() for n in t.index_names}
    if not may_ddl:
        if hypopg_installed(conn):
            tables_of = {name: {a.table for a in accs} for name, accs in accesses.items()}
            result.recommendations = screen_hypothetically(conn, candidates, queries, tables_of, param_sets)
            result.notes.append("DDL is not allowed on this target: index candidates carry HypoPG's estimated "
                                "costs, not measurements (give --allow-ddl or --scratch to build and measure them)")
        else:
            result.recommendations = [_unproven(c) for c in candidates]
            result.notes.append("DDL is not allowed on this target: index candidates are listed unproven "
                                "(give --allow-ddl or --scratch to build and measure them; with the hypopg "
                                "extension installed they would carry the planner's estimates)")
        result.existing = review_existing_indexes(catalog, _tables(accesses), used, [])
        return result
    builds = _CountingBuilds(conn, run_id)
    timer = QueryTimer(conn, workload.replay, param_sets, labels, always_hidden=builds.hidden_from_reads)
    baseline = _with_timeout_stand_ins(timer, queries, baseline)
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = round(now - clock, 3)
        clock = now

    costs = write_costs(candidates) if write_costs is not None and candidates else None
    if isinstance(costs, MeasuredWriteCosts):
        costs.hidden = builds.hidden_from_writes
    phase("write mix")
    _set_maintenance(conn)
    try:
        try:
            proofs = _prove_each(builds, timer, candidates, queries, accesses, baseline, reporter)
            phase("prove")
            if costs is not None:
                pin_write_savers(builds, proofs, reporter)  # the pass's write-mix runs then run as they would
                phase("build the write savers")
            sel = choose(builds, timer, proofs, queries, baseline, costs, reporter)
            phase("choose")
            phases["choose"] = round(phases["choose"] - sel.write_cost_s, 3)
            phases["write cost per candidate"] = round(sel.write_cost_s, 3)
            write_reasons = add_write_savers(sel, proofs, costs, reporter)
            phase("indexes that speed up writes")
            measured = [_measure_set(timer, queries, baseline, sel.chosen, reporter)]  # _remeasure replaces it
            regressions, _ = remove_regressions(sel, measured[0].after, measured[0].before, lambda: _remeasure(
                measured, timer, queries, baseline, sel.chosen, reporter))
            summary = measured[-1]
            summary.advisor = replace(summary.advisor, regressions=tuple(regressions))
            explain_skip_scans(sel, proofs, summary.after)
            phase("measure the set")
            used |= {n for t in summary.after.values() for n in t.index_names}
            result.recommendations = _recommendations(proofs, sel, summary.after, summary.before, write_reasons)
            chosen = [p for p in sel.chosen if p.cand.name not in sel.rejected]
            overhead = None
            for name in set(builds.live) - {p.cand.name for p in chosen}:
                builds.drop(name)  # the set's "without" side is the database as it was, nothing else built
            if costs is not None and chosen:
                reporter.message(f"advisor: measuring the write overhead of the {len(chosen)} chosen indexes together")
                overhead = costs.set_overhead([builds.live[p.cand.name] for p in chosen if p.cand.name in builds.live])
            phase("write overhead of the set")
        finally:
            builds.drop_indexes()
        phases["total"] = round(time.perf_counter() - started, 3)
        result.summary = replace(
            summary.advisor, write_overhead_total=overhead, phases_s=phases,
            build_ms_total=round(sum(p.built_once.build_ms for p in proofs if p.built_once is not None), 3),
            builds=builds.count, measurements=timer.measurements,
        )
        if isinstance(costs, MeasuredWriteCosts) and chosen:
            result.summary = costs.objective(result.summary, overhead)
    finally:
        _reset_maintenance(conn)
        builds.drop_extensions()
    result.existing = review_existing_indexes(catalog, _tables(accesses), used, [p.cand for p in chosen])
    return result


def _tables(accesses: Mapping[str, list[TableAccess]]) -> set[str]:
    return {a.table for accs in accesses.values() for a in accs}


class _CountingBuilds(IndexBuilds):
    """IndexBuilds that counts its builds, for the phase figures (the floor is one build per candidate)."""

    count = 0

    def _create(self, cand: IndexCandidate, analyze: bool = True) -> BuiltIndex:
        self.count += 1
        return super()._create(cand, analyze)


MAINTENANCE_WORK_MEM_MB = 256  # at least this much for the builds (never less than the server's setting)


def _set_maintenance(conn: psycopg.Connection) -> None:
    """Builds sort in memory and use the parallel maintenance workers the server has."""
    row = conn.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'").fetchone()
    current_mb = int(row[0]) // 1024 if row else 0
    if current_mb < MAINTENANCE_WORK_MEM_MB:
        conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(f"{MAINTENANCE_WORK_MEM_MB}MB")))
    conn.execute("SELECT set_config('max_parallel_maintenance_workers', "
                 "least(2, current_setting('max_worker_processes')::int)::text, false)")


def _reset_maintenance(conn: psycopg.Connection) -> None:
    if not conn.closed and conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        conn.execute("RESET maintenance_work_mem")
        conn.execute("RESET max_parallel_maintenance_workers")


def _with_timeout_stand_ins(timer: QueryTimer, queries: list[Statement],
                            baseline: Mapping[str, QueryTiming]) -> dict[str, QueryTiming]:
    """A query that timed out has no buffer counts: its planner cost (in page units) stands in for them."""
    out = dict(baseline)
    for q in queries:
        t = baseline[q.name]
        if t.timed_out and not t.buffers_by_set:
            out[q.name] = replace(t, buffers_by_set=tuple(int(c) for c in plan_costs(timer.conn, q, timer.param_sets[q.name])))
    return out


def _unproven(c: IndexCandidate) -> Recommendation:
    return Recommendation(
        name=c.name, ddl=c.ddl(), table=c.table, kind=c.kind, chosen=False, proven=False,
        reason=f"unproven (DDL not allowed here): {c.reason}; for {', '.join(c.queries)}",
    )


def _prove_each(
    builds: IndexBuilds, timer: QueryTimer, candidates: list[IndexCandidate], queries: list[Statement],
    accesses: Mapping[str, list[TableAccess]], baseline: Mapping[str, QueryTiming], reporter: Reporter,
) -> list[Proof]:
    """Build each candidate alone (once) and measure the queries whose plain EXPLAIN picks it."""
    proofs: list[Proof] = []
    reporter.start("advisor: prove candidates", len(candidates))
    try:
        for number, cand in enumerate(candidates, 1):
            reporter.detail(f"advisor: proving {number}/{len(candidates)} {cand.label}")
            proof = Proof(cand)
            proofs.append(proof)
            if cand.extension and not builds.ensure_extension(cand.extension):
                proof.failure = f"needs the {cand.extension} extension, which cannot be created here"
                reporter.advance()
                continue
            try:
                if has_expression(cand) and cand.name not in builds.live:  # one ANALYZE per table, not per candidate
                    builds.park_companions([c for c in candidates[number:] if c.table == cand.table and not c.extension])
                proof.built = proof.built_once = builds.build(cand)
            except psycopg.Error as e:
                proof.failure = f"build failed: {e.diag.message_primary or e}"
                reporter.advance()
                continue
            try:
                for q in queries:
                    if not any(a.table == cand.table for a in accesses[q.name]):
                        continue
                    plans = timer.plans(q)
                    if not any(cand.name in plan.index_names for plan in plans):
                        continue
                    timing = timer.time(q, same_as=baseline[q.name], changed=changed_sets(plans, baseline[q.name]))
                    if cand.name in timing.index_names and timing.error is None:
                        proof.after[q.name] = timing
            finally:
                builds.drop(cand.name)
            reporter.advance()
    finally:
        builds.drop_parked()  # companions whose own turn did not come (none, unless an error cut the loop)
        reporter.finish()
    return proofs


def _remeasure(measured: list[_SetMeasurement], timer: QueryTimer, queries: list[Statement],
               baseline: Mapping[str, QueryTiming], chosen: list[Proof], reporter: Reporter) -> dict[str, QueryTiming]:
    measured[-1] = _measure_set(timer, queries, baseline, chosen, reporter)
    return measured[-1].after


def _recommendations(proofs: list[Proof], sel: Selection, final: Mapping[str, QueryTiming],
                     before: Mapping[str, QueryTiming], write_reasons: Mapping[str, str]) -> list[Recommendation]:
    """Chosen indexes with the figures measured with the whole set in place; the rest with why not."""
    chosen = {p.cand.name for p in sel.chosen}
    out: list[Recommendation] = []
    for p in sel.chosen:
        users = {n: t for n, t in final.items() if p.cand.name in t.index_names}
        if p.cand.name in write_reasons:
            out.append(_recommendation(p, users, sel.baseline, True, write_reasons[p.cand.name],
                                       sel.overheads.get(p.cand.name)))
            continue
        if not users:
            sel.rejected[p.cand.name] = "no query used it once the whole set was in place"
            continue
        work = {n: objective.work(before[n]) - objective.work(users[n]) for n in users}
        helped = sorted(users, key=lambda n: (-sel.weights[n] * work[n], n))
        total = sum(sel.weights.values()) or 1.0
        saving = sum(sel.weights[n] * work[n] for n in users) / total
        own = sel.marginal.get(p.cand.name)
        # its own share: what the final set loses without it, so two indexes serving one query are not both credited
        share = (f"without it the chosen set does {objective.describe(own)} more" if own is not None
                 else f"the queries it serves do {objective.describe(saving)} less")
        reason = f"{share}: " + ", ".join(_speedup_text(n, before[n], users[n]) for n in helped)
        overhead = sel.overheads.get(p.cand.name)
        if overhead is not None:
            reason += f"; costs the write mix {overhead.wal_ratio:+.1%} WAL, {overhead.time_ratio:+.1%} time"
        out.append(_recommendation(p, users, before, True, reason, overhead))
    rejected = [
        _recommendation(p, p.after, sel.baseline, False, f"rejected: {sel.rejected[p.cand.name]}",
                        sel.overheads.get(p.cand.name))
        for p in proofs if p.cand.name not in chosen or p.cand.name in sel.rejected
    ]
    out = [r for r in out if r.name not in sel.rejected]
    return out + sorted(rejected, key=lambda r: (-(r.weighted_speedup or 0), r.name))


def _speedup_text(name: str, before: QueryTiming, after: QueryTiming) -> str:
    ratio = before.median_ms / max(after.median_ms, 1e-6)
    work = objective.ratio_text(before, after)
    if before.timed_out:
        return f"{name} {work}, at least {ratio:.1f}x faster (it timed out before)"
    return (f"{name} {work}, {speed_text(before.median_ms, after.median_ms)} "
            f"(time ±{max(before.spread_ms, after.spread_ms):.2f} ms)")


def _speedup(name: str, before: QueryTiming, after: QueryTiming, uses_index: bool) -> QuerySpeedup:
    """One query before and after, with both plans of the same parameter set (the one representative before)."""
    i = before.representative if before.plans_by_set else after.representative
    label = before.labels[i] if i < len(before.labels) else None
    return QuerySpeedup(
        query=name, before_ms=before.median_ms, after_ms=after.median_ms,
        before_buffers=int(objective.work(before)), after_buffers=int(objective.work(after)), uses_index=uses_index,
        plan_after=after.plan_of_set(i), timings_after_ms=after.timings_ms, plan_before=before.plan_of_set(i),
        param_set=i, param_label=label, before_buffers_by_set=before.buffers_by_set,
        after_buffers_by_set=after.buffers_by_set, time_spread_ms=after.spread_ms or None,
    )


def _recommendation(p: Proof, after: Mapping[str, QueryTiming], baseline: Mapping[str, QueryTiming], chosen: bool,
                    reason: str, overhead: WriteOverhead | None = None) -> Recommendation:
    speedups = tuple(_speedup(name, baseline[name], t, p.cand.name in t.index_names) for name, t in after.items())
    total_before = sum(s.before_ms for s in speedups)
    total_after = sum(s.after_ms for s in speedups)
    return Recommendation(
        name=p.cand.name, ddl=p.cand.ddl(), table=p.cand.table, kind=p.cand.kind, chosen=chosen, reason=reason,
        proven=p.built is not None, queries=speedups,
        weighted_speedup=(total_before / total_after) if speedups and total_after > 0 else None,
        size_bytes=p.built.size_bytes if p.built else None, build_ms=p.built.build_ms if p.built else None,
        write_overhead=overhead,
    )


@dataclass
class _SetMeasurement:
    advisor: AdvisorSummary
    before: dict[str, QueryTiming]
    after: dict[str, QueryTiming]


def _measure_set(
    timer: QueryTimer, queries: list[Statement], baseline: Mapping[str, QueryTiming], chosen: list[Proof],
    reporter: Reporter,
) -> _SetMeasurement:
    """The whole chosen set on every query: paired warm runs without/with it where a plan changes.

    A query whose plain EXPLAIN picks none of the chosen indexes runs the plan it ran before:
    its replay figures stand on both sides, and it is not run again.
    """
    reporter.start("advisor: measure the set", len(queries))
    names = [p.cand.name for p in chosen]
    before: dict[str, QueryTiming] = {}
    after: dict[str, QueryTiming] = {}
    try:
        for number, q in enumerate(queries, 1):
            if names and set(names) & timer.planned_indexes(q):
                reporter.detail(f"advisor: timing {number}/{len(queries)} {q.name} with the {len(chosen)} chosen indexes")
                paired = timer.paired(q, [p.cand.key for p in chosen], reference=baseline[q.name])
                if paired.before.error is None and paired.after.error is None and not paired.before.timed_out:
                    before[q.name], after[q.name] = paired.before, paired.after
                else:
                    before[q.name], after[q.name] = baseline[q.name], timer.time(q)
            else:
                before[q.name] = after[q.name] = baseline[q.name]
            reporter.advance()
    finally:
        reporter.finish()
    weights = {q.name: q.weight for q in queries}
    total = sum(weights.values()) or 1.0
    before_ms = sum(q.weight * before[q.name].median_ms for q in queries) / total
    after_ms = sum(q.weight * after[q.name].median_ms for q in queries) / total
    per_query = tuple(_speedup(q.name, before[q.name], after[q.name], bool(after[q.name].index_names & set(names)))
                      for q in queries)
    return _SetMeasurement(
        AdvisorSummary(weighted_ms_before=before_ms, weighted_ms_after=after_ms,
                       weighted_speedup=before_ms / after_ms if after_ms > 0 else float("inf"), queries=per_query,
                       objective=objective.FORMULA,
                       weighted_buffers_before=round(objective.weighted_work(before, weights), 3),
                       weighted_buffers_after=round(objective.weighted_work(after, weights), 3)),
        before, after,
    )
