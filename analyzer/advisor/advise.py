"""The index advisor: candidates from the SQL and the data, proven by real builds, chosen for the workload.

1. Candidates come from each query's parsed SQL (pglast) and the data's statistics.
2. Each candidate is built for real; the queries on its table are planned (plain EXPLAIN) and
   those whose plan uses it are re-timed with the parameter sets of the first replay.
3. A greedy pass picks, for the whole workload, the index saving the most weighted time;
   its write overhead is measured on the write mix and weighed against the saving; it is
   built and the queries it serves are re-timed with the set chosen so far, so an index that
   adds nothing once another exists is seen to add nothing. The pass stops when the next
   index would save less than a threshold (analyzer/advisor/selection.py).
4. The chosen set as a whole is measured on every query, and on the write mix.
Everything built is dropped at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg

from analyzer.advisor.builds import IndexBuilds
from analyzer.advisor.candidates import IndexCandidate, generate_candidates, write_candidates
from analyzer.advisor.correlation import Correlations
from analyzer.advisor.existing import review_existing_indexes
from analyzer.advisor.hypothetical import hypopg_installed, screen_hypothetically
from analyzer.advisor.regressions import remove_regressions, speed_text
from analyzer.advisor.selection import Proof, Selection, WriteCosts, choose, weighted_saving
from analyzer.advisor.skipscan import explain_skip_scans
from analyzer.advisor.sqlshape import TableAccess, analyze_statement
from analyzer.advisor.stats import TableStats
from analyzer.advisor.timing import QueryTimer, QueryTiming
from analyzer.advisor.writecosts import MeasuredWriteCosts
from analyzer.advisor.writesavers import add_write_savers, merge_candidates, write_accesses
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
) -> AdvisorResult:
    """Recommend indexes for the workload; `baseline` is each query's timing without them."""
    reporter = reporter or SilentReporter()
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
    builds = IndexBuilds(conn, run_id)
    timer = QueryTimer(conn, workload.replay, param_sets)
    costs = write_costs(candidates) if write_costs is not None and candidates else None
    try:
        try:
            proofs = _prove_each(builds, timer, candidates, queries, accesses, baseline, reporter)
            sel = choose(builds, timer, proofs, queries, baseline, costs, reporter)
            write_reasons = add_write_savers(sel, proofs, costs, reporter)
            measured = [_measure_set(timer, queries, baseline, sel.chosen, reporter)]  # _remeasure replaces it
            regressions, _ = remove_regressions(sel, measured[0].after, baseline, lambda: _remeasure(
                measured, timer, queries, baseline, sel.chosen, reporter))
            summary = measured[-1]
            summary.advisor = replace(summary.advisor, regressions=tuple(regressions))
            explain_skip_scans(sel, proofs, summary.after)
            used |= {n for t in summary.after.values() for n in t.index_names}
            result.recommendations = _recommendations(proofs, sel, summary.after, write_reasons)
        finally:
            builds.drop_indexes()
        chosen = [p for p in sel.chosen if p.cand.name not in sel.rejected]
        if costs is not None and chosen:
            reporter.message(f"advisor: measuring the write overhead of the {len(chosen)} chosen indexes together")
            overhead = costs.set_overhead([p.cand for p in chosen])
            result.summary = replace(summary.advisor, write_overhead_total=overhead)
            if isinstance(costs, MeasuredWriteCosts):
                result.summary = costs.objective(result.summary, overhead)
        else:
            result.summary = summary.advisor
    finally:
        builds.drop_extensions()
    result.existing = review_existing_indexes(catalog, _tables(accesses), used, [p.cand for p in chosen])
    return result


def _tables(accesses: Mapping[str, list[TableAccess]]) -> set[str]:
    return {a.table for accs in accesses.values() for a in accs}


def _unproven(c: IndexCandidate) -> Recommendation:
    return Recommendation(
        name=c.name, ddl=c.ddl(), table=c.table, kind=c.kind, chosen=False, proven=False,
        reason=f"unproven (DDL not allowed here): {c.reason}; for {', '.join(c.queries)}",
    )


def _prove_each(
    builds: IndexBuilds, timer: QueryTimer, candidates: list[IndexCandidate], queries: list[Statement],
    accesses: Mapping[str, list[TableAccess]], baseline: Mapping[str, QueryTiming], reporter: Reporter,
) -> list[Proof]:
    """Build each candidate alone and time the queries whose plans pick it."""
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
                proof.built = builds.build(cand)
            except psycopg.Error as e:
                proof.failure = f"build failed: {e.diag.message_primary or e}"
                reporter.advance()
                continue
            try:
                for q in queries:
                    if not any(a.table == cand.table for a in accesses[q.name]):
                        continue
                    if cand.name not in timer.planned_indexes(q):
                        continue
                    timing = timer.time(q)
                    if cand.name in timing.index_names and timing.error is None:
                        proof.after[q.name] = timing
            finally:
                builds.drop(cand.name)
            reporter.advance()
    finally:
        reporter.finish()
    return proofs


def _remeasure(measured: list[_SetMeasurement], timer: QueryTimer, queries: list[Statement],
               baseline: Mapping[str, QueryTiming], chosen: list[Proof], reporter: Reporter) -> dict[str, QueryTiming]:
    measured[-1] = _measure_set(timer, queries, baseline, chosen, reporter)
    return measured[-1].after


def _recommendations(proofs: list[Proof], sel: Selection, final: Mapping[str, QueryTiming],
                     write_reasons: Mapping[str, str]) -> list[Recommendation]:
    """Chosen indexes with the speedups measured with the whole set in place; the rest with why not."""
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
        helped = sorted(users, key=lambda n: -sel.weights[n] * (sel.baseline[n].median_ms - users[n].median_ms))
        saving = weighted_saving(users, sel.baseline, sel.weights, sel.total_weight)
        reason = (f"saves {saving:.2f} ms of weighted time per query: "
                  + ", ".join(_speedup_text(n, sel.baseline[n], users[n]) for n in helped))
        overhead = sel.overheads.get(p.cand.name)
        if overhead is not None:
            reason += f"; costs the write mix {overhead.wal_ratio:+.1%} WAL, {overhead.time_ratio:+.1%} time"
        out.append(_recommendation(p, users, sel.baseline, True, reason, overhead))
    rejected = [
        _recommendation(p, p.after, sel.baseline, False, f"rejected: {sel.rejected[p.cand.name]}",
                        sel.overheads.get(p.cand.name))
        for p in proofs if p.cand.name not in chosen or p.cand.name in sel.rejected
    ]
    out = [r for r in out if r.name not in sel.rejected]
    return out + sorted(rejected, key=lambda r: -(r.weighted_speedup or 0))


def _speedup_text(name: str, before: QueryTiming, after: QueryTiming) -> str:
    ratio = before.median_ms / max(after.median_ms, 1e-6)
    if before.timed_out:
        return f"{name} at least {ratio:.1f}x faster (it timed out before)"
    return f"{name} {speed_text(before.median_ms, after.median_ms)}"


def _recommendation(p: Proof, after: Mapping[str, QueryTiming], baseline: Mapping[str, QueryTiming], chosen: bool,
                    reason: str, overhead: WriteOverhead | None = None) -> Recommendation:
    speedups = tuple(
        QuerySpeedup(
            query=name, before_ms=baseline[name].median_ms, after_ms=t.median_ms,
            before_buffers=baseline[name].buffers, after_buffers=t.buffers, uses_index=p.cand.name in t.index_names,
            plan_after=t.plan, timings_after_ms=t.timings_ms,
        )
        for name, t in after.items()
    )
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
    after: dict[str, QueryTiming]


def _measure_set(
    timer: QueryTimer, queries: list[Statement], baseline: Mapping[str, QueryTiming], chosen: list[Proof],
    reporter: Reporter,
) -> _SetMeasurement:
    """Every query timed with the whole chosen set in place: the workload's weighted time after."""
    reporter.start("advisor: measure the set", len(queries))
    after: dict[str, QueryTiming] = {}
    try:
        for number, q in enumerate(queries, 1):
            if chosen:
                reporter.detail(f"advisor: timing {number}/{len(queries)} {q.name} with the {len(chosen)} chosen indexes")
            after[q.name] = timer.time(q) if chosen else baseline[q.name]
            reporter.advance()
    finally:
        reporter.finish()
    total = sum(q.weight for q in queries) or 1.0
    before_ms = sum(q.weight * baseline[q.name].median_ms for q in queries) / total
    after_ms = sum(q.weight * after[q.name].median_ms for q in queries) / total
    names = {p.cand.name for p in chosen}
    per_query = tuple(
        QuerySpeedup(
            query=q.name, before_ms=baseline[q.name].median_ms, after_ms=after[q.name].median_ms,
            before_buffers=baseline[q.name].buffers, after_buffers=after[q.name].buffers,
            uses_index=bool(after[q.name].index_names & names), plan_after=after[q.name].plan,
            timings_after_ms=after[q.name].timings_ms,
        )
        for q in queries
    )
    return _SetMeasurement(
        AdvisorSummary(weighted_ms_before=before_ms, weighted_ms_after=after_ms,
                       weighted_speedup=before_ms / after_ms if after_ms > 0 else float("inf"), queries=per_query),
        after,
    )
