"""Choosing the index set for the whole workload: a greedy pass with re-measurement.

The candidate saving the most weighted time (estimated from its proof alone, capped by what is
left to save) is weighed against its measured write cost, built and kept if the queries it
serves, re-timed with the set chosen so far, are faster by at least the threshold. A second
round re-proves candidates that served only a part of a query; pruning drops picks made
redundant by later ones; swaps try a better index the planner passed over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from analyzer.advisor.builds import BuiltIndex, IndexBuilds
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.timing import QueryTimer, QueryTiming
from analyzer.progress import Reporter
from analyzer.report.model import WriteOverhead
from analyzer.workload import Statement

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
class Proof:
    """A candidate built alone: the queries whose plans used it, timed."""

    cand: IndexCandidate
    built: BuiltIndex | None = None
    after: dict[str, QueryTiming] = field(default_factory=dict)
    failure: str | None = None


def weighted_saving(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
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


class Selection:
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
        self.chosen: list[Proof] = []
        self.overheads: dict[str, WriteOverhead | None] = {}
        self.rejected: dict[str, str] = {}

    def saving(self, after: Mapping[str, QueryTiming]) -> float:
        """Measured saving of `after` against the current state."""
        return weighted_saving(after, self.current, self.weights, self.total_weight)

    def estimate(self, p: Proof) -> float:
        return _estimated_saving(p.after, self.current, self.baseline, self.weights, self.total_weight)

    def threshold(self) -> float:
        return _threshold(_weighted_ms(self.current, self.weights, self.total_weight))

    def consider(self, p: Proof) -> None:
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

    def reprove(self, p: Proof) -> None:
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
            loss = weighted_saving(kept, without, self.weights, self.total_weight)
            if loss < threshold:
                self.chosen.remove(p)
                self.current.update(without)
                self.rejected[p.cand.name] = (f"made redundant by later picks: without it the workload loses only "
                                              f"{loss:.3f} ms of weighted time per query (measured)")
            else:
                p.built = self.builds.build(p.cand)

    def swap(self, rejected: list[Proof]) -> None:
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

    def _try_swap(self, old: Proof, new: Proof) -> None:
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


def _served_a_part(p: Proof, baseline: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming]) -> bool:
    """Alone it did not even halve a query the chosen set has halved since: it may serve what is left."""
    return any(t.median_ms * 2 > baseline[n].median_ms and current[n].median_ms * 2 <= baseline[n].median_ms
               for n, t in p.after.items())


def choose(
    builds: IndexBuilds, timer: QueryTimer, proofs: list[Proof], queries: list[Statement],
    baseline: Mapping[str, QueryTiming], write_costs: WriteCosts | None, reporter: Reporter,
) -> Selection:
    """Greedy selection for the whole workload, re-measuring after each pick, then pruning."""
    sel = Selection(builds, timer, queries, baseline, write_costs)
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
            reporter.detail(f"advisor: considering {best.cand.label} "
                            f"with {len(sel.chosen)} chosen so far")
            sel.consider(best)
            reporter.advance()
        chosen_names = {c.cand.name for c in sel.chosen}
        second = [p for p in proofs if p.cand.name in sel.rejected and p.cand.name not in chosen_names
                  and p.built is not None and sel.rejected[p.cand.name].startswith(ESTIMATED_REJECTIONS)
                  and _served_a_part(p, baseline, sel.current)]
        if second:
            reporter.detail(f"advisor: proving {len(second)} rejected candidates again with the set in place")
        for p in second:  # judged on figures measured alone; the state has changed since
            sel.reprove(p)
        reporter.detail(f"advisor: pruning the {len(sel.chosen)} chosen indexes and trying swaps")
        sel.prune()
        sel.swap([p for p in proofs if p.cand.name in sel.rejected and p.after and p.built is not None])
        reporter.advance()
    finally:
        reporter.finish()
    return sel
