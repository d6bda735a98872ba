"""Choosing the index set for the whole workload: a greedy pass on the objective, with re-measurement.

The candidate saving the most weighted buffers (estimated from its proof alone, capped by what
is left to save) is weighed against its measured write cost, built, and kept if the queries it
serves, re-measured with the set chosen so far, save at least the threshold. Pruning drops
picks made redundant by later ones; swaps try a better index the planner passed over. Every
figure is the objective's (analyzer/advisor/objective.py): the same data gives the same set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from analyzer.advisor import netgain, objective
from analyzer.advisor.alternatives import RememberedWriteCosts, settle_alternatives, weigh_alternatives
from analyzer.advisor.builds import BuiltIndex, IndexBuilds
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.timing import QueryTimer, QueryTiming
from analyzer.progress import Reporter
from analyzer.report.model import WriteOverhead
from analyzer.workload import Statement

SWAP_MARGIN = 1.5  # a rejected index doing this much less work on a query than the chosen set is tried in its place


class WriteCosts(Protocol):
    """Measures what indexes cost the write mix (see analyzer.overhead)."""

    def index_overhead(self, cand: IndexCandidate, built: BuiltIndex) -> WriteOverhead | None:
        """Measured with `built` (the candidate, built by the advisor) in place; nothing is rebuilt."""
        ...

    def set_overhead(self, built: Sequence[BuiltIndex]) -> WriteOverhead | None: ...

    def outweighs(self, overhead: WriteOverhead, saving_ms: float) -> str | None:
        """A sentence when the write cost outweighs `saving_ms` of weighted read time, else None."""
        ...


@dataclass
class Proof:
    """A candidate built alone: the queries whose plans used it, timed."""

    cand: IndexCandidate
    built: BuiltIndex | None = None
    built_once: BuiltIndex | None = None  # the proof's own build: its time is the advisor's floor
    after: dict[str, QueryTiming] = field(default_factory=dict)
    failure: str | None = None


def estimated_saving(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                     baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """What an index measured alone should save now, in weighted buffers: its own saving, capped by what is left.

    Savings of indexes serving different parts of a query (subplans, joins) add up; of indexes
    serving the same scan they do not, which the cap and the measurement after the build catch.
    """
    total = sum(weights.values())
    saved = 0.0
    for name, t in after.items():
        if not objective.helped(baseline[name], t):
            continue
        now = objective.work(current[name])
        saved += weights[name] * min(now, max(objective.work(baseline[name]) - objective.work(t), 0.0))
    return saved / total if total else 0.0


def saving_in_ms(saved: Mapping[str, QueryTiming], before: Mapping[str, QueryTiming],
                 weights: Mapping[str, float]) -> float:
    """The weighted time a buffer saving stands for: each query's time before, in proportion to the work saved.

    Write costs are measured in time per write, so the comparison needs read time; scaling the
    time by the (exact) share of work saved keeps the noise of a second timing out of it. The time
    before is the mean over the parameter sets, as the work is (netgain.mean_ms).
    """
    total = sum(weights.values())
    out = 0.0
    for n, t in saved.items():
        b, ms = objective.work(before[n]), netgain.mean_ms(before[n])
        if b > 0 and math.isfinite(ms):
            out += weights[n] * ms * max(b - objective.work(t), 0.0) / b
    return out / total if total else 0.0


class Selection:
    """The greedy pass: state shared by picking, pruning and swapping. All figures are the objective's."""

    def __init__(self, builds: IndexBuilds, timer: QueryTimer, queries: list[Statement],
                 baseline: Mapping[str, QueryTiming], write_costs: WriteCosts | None) -> None:
        self.builds = builds
        self.timer = timer
        self.by_name = {q.name: q for q in queries}
        self.weights = {q.name: q.weight for q in queries}
        self.baseline = baseline
        self.current = dict(baseline)
        self.write_costs = write_costs
        self.chosen: list[Proof] = []
        self.overheads: dict[str, WriteOverhead | None] = {}
        self.rejected: dict[str, str] = {}
        self.write_cost_s = 0.0  # time spent measuring candidates' write costs (a phase of its own)
        self.marginal: dict[str, float] = {}  # what taking a kept pick away costs the final set (its own share)
        # alternatives rejected on reads and writes: a swap on read buffers alone must not bring one back
        self.lost_as_alternative: set[str] = set()

    def saving(self, after: Mapping[str, QueryTiming]) -> float:
        """Measured saving of `after` against the current state, in weighted buffers per query."""
        return objective.weighted_saving(after, self.current, self.weights)

    def estimate(self, p: Proof) -> float:
        return estimated_saving(p.after, self.current, self.baseline, self.weights)

    def threshold(self) -> float:
        return objective.threshold(objective.weighted_work(self.current, self.weights))

    def remeasure(self, names: Sequence[str], index: str) -> dict[str, QueryTiming]:
        """The queries whose plain EXPLAIN now picks `index`, measured; a plan that does not change needs no run."""
        return {n: self.timer.time(self.by_name[n]) for n in names if index in self.timer.planned_indexes(self.by_name[n])}

    def consider(self, p: Proof) -> None:
        """Weigh the candidate against the set chosen so far; build and keep it if it pays."""
        estimate, threshold = self.estimate(p), self.threshold()
        if estimate < threshold:
            self.rejected[p.cand.name] = (f"saves {objective.describe(estimate)} once the chosen set exists, below "
                                          f"the threshold of {objective.describe(threshold)} (1% of the workload's "
                                          "work now)")
            return
        p.built = self.builds.build(p.cand)  # measured as built: the write cost and the re-measurement share it
        started = time.perf_counter()
        overhead = self.write_costs.index_overhead(p.cand, p.built) if self.write_costs else None
        self.write_cost_s += time.perf_counter() - started
        self.overheads[p.cand.name] = overhead
        saving_ms = saving_in_ms(p.after, self.baseline, self.weights)
        verdict = self.write_costs.outweighs(overhead, saving_ms) if self.write_costs and overhead else None
        if verdict:
            self.builds.drop(p.cand.name)
            self.rejected[p.cand.name] = f"{verdict} (it saves {objective.describe(estimate)})"
            return
        measured = self.remeasure(list(p.after), p.cand.name)
        gained = {n: t for n, t in measured.items() if p.cand.name in t.index_names and t.error is None}
        # a query whose plan now takes the index and does more work counts against it (a backward scan
        # of a time column for a LIMIT 1 per device, 30x the buffers of the chosen index it replaced)
        saving = objective.weighted_net_saving(gained, self.current, self.weights)
        if saving < threshold:
            self.builds.drop(p.cand.name)
            others = f"the {len(self.chosen)} indexes chosen before it" if self.chosen else "the existing indexes"
            worse = [f"{n} {objective.ratio_text(self.current[n], t)}" for n, t in gained.items()
                     if objective.work(t) > objective.work(self.current[n])]
            self.rejected[p.cand.name] = (f"adds only {objective.describe(saving)} once {others} exist, below the "
                                          f"threshold of {objective.describe(threshold)} (measured"
                                          + (f"; worse: {', '.join(worse)})" if worse else ")"))
            return
        self.current.update(gained)
        self.chosen.append(p)

    def without(self, query: str, index: IndexCandidate) -> QueryTiming:
        """The query measured with `index` hidden; the first replay's figures when no other chosen index is then
        planned (the planner sees what it saw then: the same plan, the same buffers), with no run at all."""
        q = self.by_name[query]
        others = {c.cand.name for c in self.chosen} - {index.name}
        if not self.timer.planned_indexes(q, hide=[index.key]) & others:
            return self.baseline[query]
        return self.timer.time(q, hide=[index.key])

    def prune(self) -> None:
        """Take each pick away in turn; an index whose loss stays below the threshold was made redundant by later picks.

        The loss is the signed change of W over the queries that use it: a query one parameter set
        of which does better without the index still counts its whole mean (a partial index that
        takes the heavy user from 3,116 to 314 buffers and a typical one from 294 to 510 is not
        redundant), and a query the index made worse counts against it. "Away" is a DROP INDEX
        inside each run's rolled-back transaction: no rebuild when it stays.
        """
        for p in list(reversed(self.chosen)):
            users = [n for n, t in self.current.items() if p.cand.name in t.index_names]
            threshold = self.threshold()
            without = {n: self.without(n, p.cand) for n in users}
            kept = {n: self.current[n] for n in users}
            loss = objective.weighted_change(without, kept, self.weights)  # what W grows by without it
            if loss < threshold:
                self.builds.drop(p.cand.name)
                self.chosen.remove(p)
                self.current.update(without)
                self.rejected[p.cand.name] = (f"made redundant by later picks: without it the workload does only "
                                              f"{objective.describe(loss)} more, below the threshold of "
                                              f"{objective.describe(threshold)} (measured)")
            else:
                self.marginal[p.cand.name] = loss

    def swap(self, rejected: list[Proof]) -> None:
        """Try a rejected index in place of the chosen one a query uses, when alone it served that query far better.

        The planner may prefer an index chosen earlier (a sort order it can walk) over a better one
        built later; swapping and measuring both ways settles it. An alternative that lost to a pick
        on reads and writes is not offered again on read buffers alone.
        """
        for r in rejected:
            if r.cand.name in self.lost_as_alternative:
                continue
            for query, alone in r.after.items():
                now = self.current[query]
                if objective.work(alone) * SWAP_MARGIN > objective.work(now):
                    continue
                rivals = [c for c in self.chosen if c.cand.name in now.index_names and c.cand.table == r.cand.table]
                if not rivals:
                    continue
                self._try_swap(rivals[0], r)
                break

    def _try_swap(self, old: Proof, new: Proof) -> None:
        users = [n for n, t in self.current.items() if old.cand.name in t.index_names] + list(new.after)
        affected = list(dict.fromkeys(users))
        before = {n: self.current[n] for n in affected}
        new.built = self.builds.build(new.cand)
        after = {n: self.timer.time(self.by_name[n], hide=[old.cand.key]) for n in affected}
        gain = objective.weighted_change(before, after, self.weights)
        if gain >= self.threshold() and any(new.cand.name in t.index_names for t in after.values()):
            self.builds.drop(old.cand.name)
            self.chosen[self.chosen.index(old)] = new
            self.marginal.pop(old.cand.name, None)
            self.current.update(after)
            self.rejected.pop(new.cand.name, None)
            self.rejected[old.cand.name] = (f"replaced by {new.cand.name}: the planner preferred it for "
                                            f"{', '.join(n for n in affected if old.cand.name in before[n].index_names)}, "
                                            f"but without it the workload does {objective.describe(gain)} less "
                                            "(measured)")
        else:
            self.builds.drop(new.cand.name)


def _regression_text(before: QueryTiming, after: QueryTiming) -> str:
    worse = objective.regressed_sets(before, after)
    if not worse:
        return ""
    label = [f" ({before.labels[i]})" if i < len(before.labels) else "" for i in worse]
    sets = ", ".join(f"set {i + 1}{lab} {before.buffers_by_set[i]:,} → {after.buffers_by_set[i]:,}"
                     for i, lab in zip(worse, label, strict=True))
    return f", but worse on {sets}"


def choose(
    builds: IndexBuilds, timer: QueryTimer, proofs: list[Proof], queries: list[Statement],
    baseline: Mapping[str, QueryTiming], write_costs: WriteCosts | None, reporter: Reporter,
) -> Selection:
    """Greedy selection for the whole workload on the objective, re-measuring after each pick, then pruning."""
    sel = Selection(builds, timer, queries, baseline, RememberedWriteCosts(write_costs) if write_costs else None)
    for p in proofs:
        if p.failure or p.built is None:
            sel.rejected[p.cand.name] = p.failure or "was not built"
        elif not p.after:
            sel.rejected[p.cand.name] = "no query's plan used it (plain EXPLAIN with the index built)"
        elif not any(objective.helped(baseline[n], t) for n, t in p.after.items()):
            sel.rejected[p.cand.name] = "no query did less work with it: " + "; ".join(
                f"{n} {objective.ratio_text(baseline[n], t)}" + _regression_text(baseline[n], t)
                for n, t in p.after.items())
    open_proofs = [p for p in proofs if p.cand.name not in sel.rejected]
    reporter.start("advisor: choose the set", len(open_proofs) + 1)
    try:
        while open_proofs:
            # ties broken by name: the same figures give the same order on every run
            best = max(open_proofs, key=lambda p: (sel.estimate(p), p.cand.name))
            # an alternative on the same column with the larger net on reads and writes goes first (alternatives.py)
            weighing = weigh_alternatives(sel, best, open_proofs, write_costs)
            best = weighing.winner.proof if weighing.winner else best
            open_proofs.remove(best)
            reporter.detail(f"advisor: considering {best.cand.label} "
                            f"with {len(sel.chosen)} chosen so far")
            sel.consider(best)
            settle_alternatives(sel, weighing, open_proofs)
            builds.drop_parked()  # alternatives built for their write cost and not taken
            reporter.advance()
        reporter.detail(f"advisor: pruning the {len(sel.chosen)} chosen indexes and trying swaps")
        sel.prune()
        sel.swap([p for p in proofs if p.cand.name in sel.rejected and p.after and p.built is not None])
        reporter.advance()
    finally:
        reporter.finish()
    return sel
