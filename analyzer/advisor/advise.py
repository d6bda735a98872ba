"""The index advisor: candidates from the SQL and the data, proven by real builds, chosen for the workload.

1. Candidates come from each query's parsed SQL (pglast) and the data's statistics.
2. Each candidate is built for real; the queries on its table are planned (plain EXPLAIN) and
   those whose plan uses it are re-timed with the parameter sets of the first replay.
3. A greedy pass picks, for the whole workload, the index saving the most weighted time;
   its write overhead is measured on the write mix and weighed against the saving; it is
   built and the queries it serves are re-timed with the set chosen so far, so an index that
   adds nothing once another exists is seen to add nothing. The pass stops when the next
   index would save less than a threshold.
4. The chosen set as a whole is measured on every query, and on the write mix.
Everything built is dropped at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import psycopg

from analyzer.advisor.builds import BuiltIndex, IndexBuilds
from analyzer.advisor.candidates import IndexCandidate, generate_candidates
from analyzer.advisor.existing import review_existing_indexes
from analyzer.advisor.hypothetical import hypopg_installed, screen_hypothetically
from analyzer.advisor.sqlshape import TableAccess, analyze_statement
from analyzer.advisor.stats import TableStats
from analyzer.advisor.timing import QueryTimer, QueryTiming
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

MIN_SPEEDUP = 1.2  # a query counts as helped when it runs at least this much faster
NOTICEABLE = 1.05  # a candidate no query ran this much faster with, alone, ...
NOTICEABLE_MS = 1.0  # ... nor this many ms faster (a subplan of a slow query), is dropped before selection
SWAP_MARGIN = 1.5  # a rejected index this much faster on a query than the chosen set is tried in its place
MIN_SAVING_FRACTION = 0.01  # stop when the next index saves less than 1% of the weighted time before
MIN_SAVING_MS = 0.02  # ... or less than this many weighted milliseconds per query (timing noise)


class WriteCosts(Protocol):
    """Measures what indexes cost the write mix (see analyzer.overhead)."""

    def index_overhead(self, cand: IndexCandidate) -> WriteOverhead | None: ...

    def set_overhead(self, cands: Sequence[IndexCandidate]) -> WriteOverhead | None: ...

    def outweighs(self, overhead: WriteOverhead, saving_ms: float) -> str | None:
        """A sentence when the write cost outweighs `saving_ms` of weighted read time, else None."""
        ...


@dataclass
class AdvisorResult:
    recommendations: list[Recommendation] = field(default_factory=list)
    existing: list[ExistingIndexNote] = field(default_factory=list)
    summary: AdvisorSummary | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class _Proof:
    """A candidate built alone: the queries whose plans used it, timed."""

    cand: IndexCandidate
    built: BuiltIndex | None = None
    after: dict[str, QueryTiming] = field(default_factory=dict)
    failure: str | None = None


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
    candidates = generate_candidates(
        [(name, a) for name, accs in accesses.items() for a in accs], catalog,
        stats.fraction, stats.distinct, stats.null_fraction,
    )
    result = AdvisorResult()
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
            sel = _choose(builds, timer, proofs, queries, baseline, costs, reporter)
            summary = _measure_set(timer, queries, baseline, sel.chosen, reporter)
            used |= {n for t in summary.after.values() for n in t.index_names}
            result.recommendations = _recommendations(proofs, sel, summary.after)
        finally:
            builds.drop_indexes()
        chosen = [p for p in sel.chosen if p.cand.name not in sel.rejected]
        if costs is not None and chosen:
            reporter.message(f"advisor: measuring the write overhead of the {len(chosen)} chosen indexes together")
            overhead = costs.set_overhead([p.cand for p in chosen])
            result.summary = replace(summary.advisor, write_overhead_total=overhead)
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
) -> list[_Proof]:
    """Build each candidate alone and time the queries whose plans pick it."""
    proofs: list[_Proof] = []
    reporter.start("advisor: prove candidates", len(candidates))
    try:
        for cand in candidates:
            proof = _Proof(cand)
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


def _weighted_saving(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                     weights: Mapping[str, float], total_weight: float) -> float:
    """Weighted milliseconds per query saved by going from `current` to `after` (only where faster)."""
    saved = 0.0
    for name, t in after.items():
        before = current[name].median_ms
        if t.median_ms * MIN_SPEEDUP <= before:
            saved += weights[name] * (before - t.median_ms)
    return saved / total_weight if total_weight else 0.0


def _estimated_saving(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                      baseline: Mapping[str, QueryTiming], weights: Mapping[str, float], total_weight: float) -> float:
    """What an index measured alone should save now: its own saving, capped by what is left to save.

    Savings of indexes serving different parts of a query (subplans, joins) add up; of indexes
    serving the same scan they do not, which the cap and the measurement after the build catch.
    """
    saved = 0.0
    for name, t in after.items():
        now = current[name].median_ms
        own = baseline[name].median_ms - t.median_ms
        estimate = min(now, max(own, 0.0))
        if (now - estimate) * MIN_SPEEDUP <= now:
            saved += weights[name] * estimate
    return saved / total_weight if total_weight else 0.0


def _weighted_ms(timings: Mapping[str, QueryTiming], weights: Mapping[str, float], total_weight: float) -> float:
    return sum(weights[n] * timings[n].median_ms for n in weights) / total_weight if total_weight else 0.0


def _threshold(current_weighted_ms: float) -> float:
    """An index must save at least 1% of what the workload costs now (and a floor): diminishing returns stop."""
    return max(MIN_SAVING_FRACTION * current_weighted_ms, MIN_SAVING_MS)


class _Selection:
    """The greedy pass: state shared by picking and pruning."""

    def __init__(self, builds: IndexBuilds, timer: QueryTimer, queries: list[Statement],
                 baseline: Mapping[str, QueryTiming], write_costs: WriteCosts | None) -> None:
        self.builds = builds
        self.timer = timer
        self.by_name = {q.name: q for q in queries}
        self.weights = {q.name: q.weight for q in queries}
        self.total_weight = sum(self.weights.values())
        self.baseline = baseline
        self.current = dict(baseline)
        self.write_costs = write_costs
        self.chosen: list[_Proof] = []
        self.overheads: dict[str, WriteOverhead | None] = {}
        self.rejected: dict[str, str] = {}

    def saving(self, after: Mapping[str, QueryTiming]) -> float:
        """Measured saving of `after` against the current state."""
        return _weighted_saving(after, self.current, self.weights, self.total_weight)

    def estimate(self, p: _Proof) -> float:
        return _estimated_saving(p.after, self.current, self.baseline, self.weights, self.total_weight)

    def threshold(self) -> float:
        return _threshold(_weighted_ms(self.current, self.weights, self.total_weight))

    def consider(self, p: _Proof) -> None:
        """Weigh the candidate against the set chosen so far; build and keep it if it pays."""
        estimate, threshold = self.estimate(p), self.threshold()
        if estimate < threshold:
            self.rejected[p.cand.name] = (f"saves {estimate:.3f} ms of weighted time per query once the chosen set "
                                          f"exists, below the {threshold:.3f} ms threshold")
            return
        overhead = self.write_costs.index_overhead(p.cand) if self.write_costs else None
        self.overheads[p.cand.name] = overhead
        verdict = self.write_costs.outweighs(overhead, estimate) if self.write_costs and overhead else None
        if verdict:
            self.rejected[p.cand.name] = verdict
            return
        p.built = self.builds.build(p.cand)
        measured = {name: self.timer.time(self.by_name[name]) for name in p.after}
        gained = {n: t for n, t in measured.items() if p.cand.name in t.index_names}
        saving = self.saving(gained)
        if saving < threshold:
            self.builds.drop(p.cand.name)
            others = ", ".join(c.cand.name for c in self.chosen) or "the existing indexes"
            self.rejected[p.cand.name] = (f"adds only {saving:.3f} ms of weighted time per query once {others} "
                                          "exist (measured)")
            return
        self.current.update(gained)
        self.chosen.append(p)

    def reprove(self, p: _Proof) -> None:
        """Time a candidate again with the chosen set in place, then consider it on those figures.

        Alone, an index that serves one subplan of a slow query may not show through the noise
        of the other subplans; once they are served, it does.
        """
        self.builds.build(p.cand)
        try:
            fresh = {n: self.timer.time(self.by_name[n]) for n in p.after}
        finally:
            self.builds.drop(p.cand.name)
        p.after = {n: t for n, t in fresh.items() if p.cand.name in t.index_names and t.error is None}
        self.rejected.pop(p.cand.name, None)
        if not p.after:
            self.rejected[p.cand.name] = "re-measured with the chosen set in place: no query's plan used it"
            return
        self.consider(p)

    def prune(self) -> None:
        """Drop each pick in turn; an index whose loss stays below the threshold was made redundant by later picks."""
        for p in list(reversed(self.chosen)):
            users = [n for n, t in self.current.items() if p.cand.name in t.index_names]
            threshold = self.threshold()
            self.builds.drop(p.cand.name)
            without = {n: self.timer.time(self.by_name[n]) for n in users}
            kept = {n: self.current[n] for n in users}
            loss = _weighted_saving(kept, without, self.weights, self.total_weight)
            if loss < threshold:
                self.chosen.remove(p)
                self.current.update(without)
                self.rejected[p.cand.name] = (f"made redundant by later picks: without it the workload loses only "
                                              f"{loss:.3f} ms of weighted time per query (measured)")
            else:
                p.built = self.builds.build(p.cand)

    def swap(self, rejected: list[_Proof]) -> None:
        """Try a rejected index in place of the chosen one a query uses, when alone it served that query far better.

        The planner may prefer an index chosen earlier (a sort order it can walk) over a better one
        built later; swapping and measuring both ways settles it.
        """
        for r in rejected:
            for query, alone in r.after.items():
                now = self.current[query]
                if alone.median_ms * SWAP_MARGIN > now.median_ms:
                    continue
                rivals = [c for c in self.chosen if c.cand.name in now.index_names and c.cand.table == r.cand.table]
                if not rivals:
                    continue
                self._try_swap(rivals[0], r)
                break

    def _try_swap(self, old: _Proof, new: _Proof) -> None:
        users = [n for n, t in self.current.items() if old.cand.name in t.index_names] + list(new.after)
        affected = list(dict.fromkeys(users))
        before = {n: self.current[n] for n in affected}
        self.builds.drop(old.cand.name)
        new.built = self.builds.build(new.cand)
        after = {n: self.timer.time(self.by_name[n]) for n in affected}
        gain = (sum(self.weights[n] * (before[n].median_ms - after[n].median_ms) for n in affected)
                / self.total_weight)
        if gain >= self.threshold() and any(new.cand.name in t.index_names for t in after.values()):
            self.chosen[self.chosen.index(old)] = new
            self.current.update(after)
            self.rejected.pop(new.cand.name, None)
            self.rejected[old.cand.name] = (f"replaced by {new.cand.name}: the planner preferred it for "
                                            f"{', '.join(n for n in affected if old.cand.name in before[n].index_names)}, "
                                            f"but without it the workload is {gain:.3f} ms of weighted time per "
                                            "query faster (measured)")
        else:
            self.builds.drop(new.cand.name)
            old.built = self.builds.build(old.cand)


ESTIMATED_REJECTIONS = ("no query ran", "saves ")  # reasons based on figures measured alone, not with the set


def _served_a_part(p: _Proof, baseline: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming]) -> bool:
    """Alone it did not even halve a query the chosen set has halved since: it may serve what is left."""
    return any(t.median_ms * 2 > baseline[n].median_ms and current[n].median_ms * 2 <= baseline[n].median_ms
               for n, t in p.after.items())


def _choose(
    builds: IndexBuilds, timer: QueryTimer, proofs: list[_Proof], queries: list[Statement],
    baseline: Mapping[str, QueryTiming], write_costs: WriteCosts | None, reporter: Reporter,
) -> _Selection:
    """Greedy selection for the whole workload, re-measuring after each pick, then pruning."""
    sel = _Selection(builds, timer, queries, baseline, write_costs)
    for p in proofs:
        if p.failure or p.built is None:
            sel.rejected[p.cand.name] = p.failure or "was not built"
        elif not p.after:
            sel.rejected[p.cand.name] = "no query's plan used it"
        elif not any(t.median_ms * NOTICEABLE <= baseline[n].median_ms
                     or baseline[n].median_ms - t.median_ms >= NOTICEABLE_MS for n, t in p.after.items()):
            sel.rejected[p.cand.name] = f"no query ran {NOTICEABLE:g}x or {NOTICEABLE_MS:g} ms faster with it"
    open_proofs = [p for p in proofs if p.cand.name not in sel.rejected]
    reporter.start("advisor: choose the set", len(open_proofs) + 1)
    try:
        while open_proofs:
            best = max(open_proofs, key=sel.estimate)
            open_proofs.remove(best)
            sel.consider(best)
            reporter.advance()
        chosen_names = {c.cand.name for c in sel.chosen}
        second = [p for p in proofs if p.cand.name in sel.rejected and p.cand.name not in chosen_names
                  and p.built is not None and sel.rejected[p.cand.name].startswith(ESTIMATED_REJECTIONS)
                  and _served_a_part(p, baseline, sel.current)]
        for p in second:  # judged on figures measured alone; the state has changed since
            sel.reprove(p)
        sel.prune()
        sel.swap([p for p in proofs if p.cand.name in sel.rejected and p.after and p.built is not None])
        reporter.advance()
    finally:
        reporter.finish()
    return sel


def _recommendations(proofs: list[_Proof], sel: _Selection, final: Mapping[str, QueryTiming]) -> list[Recommendation]:
    """Chosen indexes with the speedups measured with the whole set in place; the rest with why not."""
    chosen = {p.cand.name for p in sel.chosen}
    out: list[Recommendation] = []
    for p in sel.chosen:
        users = {n: t for n, t in final.items() if p.cand.name in t.index_names}
        if not users:
            sel.rejected[p.cand.name] = "no query used it once the whole set was in place"
            continue
        helped = sorted(users, key=lambda n: -sel.weights[n] * (sel.baseline[n].median_ms - users[n].median_ms))
        saving = _weighted_saving(users, sel.baseline, sel.weights, sel.total_weight)
        reason = (f"saves {saving:.2f} ms of weighted time per query: "
                  + ", ".join(f"{n} {sel.baseline[n].median_ms / max(users[n].median_ms, 1e-6):.1f}x faster"
                              for n in helped))
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


def _recommendation(p: _Proof, after: Mapping[str, QueryTiming], baseline: Mapping[str, QueryTiming], chosen: bool,
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
    timer: QueryTimer, queries: list[Statement], baseline: Mapping[str, QueryTiming], chosen: list[_Proof],
    reporter: Reporter,
) -> _SetMeasurement:
    """Every query timed with the whole chosen set in place: the workload's weighted time after."""
    reporter.start("advisor: measure the set", len(queries))
    after: dict[str, QueryTiming] = {}
    try:
        for q in queries:
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
