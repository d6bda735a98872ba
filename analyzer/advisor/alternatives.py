"""Alternatives for the same scan, weighed on the whole objective before the greedy pass takes one.

The greedy pass takes the candidate saving the most read buffers first; once it is built, an
alternative on the same column saves nothing more and is dropped, so its advantage on the
writes never counts. A btree and a BRIN on an append-only table's time column save similar
buffers on a wide range report, but on an insert-heavy mix the btree costs far more: the
better index for the workload is the one with the larger net effect on T, read saving minus
write cost, in weighted ms per query (netgain.py). Both halves come from figures that repeat:
the read buffers saved at each query's time per buffer before, and index maintenance charged
from its WAL at each write's own time per WAL byte. Buffers are not the writes' measure here:
on PostgreSQL 15 a BRIN insert pins its metapage and revmap for every row (two buffer hits, no
WAL), twice a btree's buffers for a sixth of its WAL. Candidates are alternatives when they
index the same table with the same leading column and the queries one helps are among those the
other helps; each is measured on the write mix (remembered, so the pass does not measure it
twice) and the best on T is considered first. Those it serves entirely are then built beside it
and kept only when what they save the reads, less the buffers they add to the writes, clears
the threshold: weighted buffers both, which repeat, so the same data keeps the same pair on
every run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzer.advisor import netgain, objective
from analyzer.advisor.builds import BuiltIndex
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.netgain import WriteGains
from analyzer.advisor.timing import QueryTiming
from analyzer.report.model import WriteOverhead

if TYPE_CHECKING:  # selection imports this module for its pass
    from analyzer.advisor.selection import Proof, Selection, WriteCosts

MAX_RIVALS = 3  # alternatives measured per pick at most (the nearest by estimated saving)
TERM = "T = (sum_q w_q t_q + sum_w f_w t_w) / (sum_q w_q + sum_w f_w)"


class RememberedWriteCosts:
    """Write costs measured once per candidate: the alternatives' comparison and the pass share them."""

    def __init__(self, costs: WriteCosts) -> None:
        self.costs = costs
        self._overheads: dict[str, WriteOverhead | None] = {}

    def index_overhead(self, cand: IndexCandidate, built: BuiltIndex) -> WriteOverhead | None:
        if cand.name not in self._overheads:
            self._overheads[cand.name] = self.costs.index_overhead(cand, built)
        return self._overheads[cand.name]

    def remembers(self, name: str) -> bool:
        return name in self._overheads

    def set_overhead(self, built: Sequence[BuiltIndex]) -> WriteOverhead | None:
        return self.costs.set_overhead(built)

    def outweighs(self, overhead: WriteOverhead, saving_ms: float) -> str | None:
        return self.costs.outweighs(overhead, saving_ms)


@dataclass(frozen=True)
class NetEffect:
    """One candidate's effect on T now, in weighted ms per query: read saving, write gain (< 0: a cost)."""

    proof: Proof
    reads_ms: float
    writes_ms: float
    wal_ratio: float | None
    writes_buffers: float = 0.0  # buffers it adds to the writes, weighted per query (objective W's unit)
    reads_buffers: float = 0.0  # buffers it saves the reads, weighted per query: what reads_ms stands for

    @property
    def net_ms(self) -> float:
        return self.reads_ms + self.writes_ms

    def text(self) -> str:
        wal = f", {self.wal_ratio:+.1%} WAL" if self.wal_ratio is not None else ""
        return (f"saves the reads {self.reads_ms:.3f} ms ({self.reads_buffers:,.1f} buffers) and "
                f"{netgain.writes_text(self.writes_ms)}{wal}: net {self.net_ms:.3f} ms of weighted time per query")


def helped_queries(sel: Selection, p: Proof) -> frozenset[str]:
    return frozenset(n for n, t in p.after.items() if objective.helped(sel.baseline[n], t))


def _leading_column(cand: IndexCandidate) -> str:
    return cand.keys[0].split(" ")[0]


def rivals(sel: Selection, best: Proof, open_proofs: Sequence[Proof]) -> list[Proof]:
    """Open candidates on best's table and leading column whose helped queries nest with best's."""
    mine = helped_queries(sel, best)
    found = []
    for p in open_proofs:
        if p is best or p.cand.table != best.cand.table or _leading_column(p.cand) != _leading_column(best.cand):
            continue
        theirs = helped_queries(sel, p)
        if theirs and (theirs <= mine or mine <= theirs):
            found.append(p)
    return sorted(found, key=lambda p: (-sel.estimate(p), p.cand.name))[:MAX_RIVALS]


def net_effect(sel: Selection, p: Proof, gains: WriteGains) -> NetEffect:
    """The candidate's effect on T now, from its buffers and its WAL (the times before scale them)."""
    started = time.perf_counter()
    overhead = _overhead(sel, p, sel.write_costs or gains)  # remembered: the pass reuses it
    sel.write_cost_s += time.perf_counter() - started
    sel.overheads[p.cand.name] = overhead
    reads = netgain.proportional_saving_ms(p.after, sel.current, sel.baseline, sel.weights)
    if overhead is None:
        return NetEffect(p, reads, 0.0, None, reads_buffers=sel.estimate(p))
    return NetEffect(p, reads, gains.write_gain(netgain.maintenance_from_wal(overhead)), overhead.wal_ratio,
                     gains.write_buffers(overhead), sel.estimate(p))


def _overhead(sel: Selection, p: Proof, costs: WriteCosts | WriteGains) -> WriteOverhead | None:
    """The candidate's write overhead, measured as built: parked for the measurement when it is not built
    (hidden from every other measurement; the pass then takes the winner without a second build, and
    drops the parked rest once the alternatives are settled)."""
    if isinstance(costs, RememberedWriteCosts) and costs.remembers(p.cand.name):
        return costs.index_overhead(p.cand, sel.builds.live.get(p.cand.name) or _record(p))
    return costs.index_overhead(p.cand, sel.builds.live.get(p.cand.name) or sel.builds.park(p.cand))


def _record(p: Proof) -> BuiltIndex:
    assert p.built is not None  # a proof with figures was built
    return p.built


@dataclass(frozen=True)
class Weighing:
    """The candidate to consider now and the alternatives it was weighed against (each with its effect)."""

    winner: NetEffect | None
    losers: tuple[NetEffect, ...] = ()

    @property
    def reasons(self) -> dict[str, str]:
        if self.winner is None:
            return {}
        w = self.winner.proof.cand.name
        return {e.proof.cand.name: f"{w} is the better alternative on the objective {TERM}: this index {e.text()}, "
                                   f"{w} {self.winner.text()}"
                for e in self.losers}


def weigh_alternatives(sel: Selection, best: Proof, open_proofs: Sequence[Proof], gains: object) -> Weighing:
    """Best and its alternatives on T: the one with the largest net effect is considered first."""
    others = rivals(sel, best, open_proofs)
    if not others or not isinstance(gains, WriteGains):
        return Weighing(None)
    effects = [net_effect(sel, p, gains) for p in [best, *others]]
    winner = _winner(sel, effects)
    served = helped_queries(sel, winner.proof)
    return Weighing(winner, tuple(e for e in effects if e is not winner and helped_queries(sel, e.proof) <= served))


def _winner(sel: Selection, effects: Sequence[NetEffect]) -> NetEffect:
    """The first effect (the candidate saving the most buffers) unless another is better on T by the threshold.

    Nets closer than the threshold (in ms, at the workload's time per buffer) keep the first, as
    the pass on buffers would.
    """
    band = netgain.threshold_ms(sel.threshold(), sel.baseline, sel.weights)
    first = effects[0]
    better = [e for e in effects[1:] if e.net_ms > first.net_ms + band]
    return max(better, key=lambda e: (e.net_ms, sel.estimate(e.proof), e.proof.cand.name)) if better else first


def settle_alternatives(sel: Selection, weighing: Weighing, open_proofs: list[Proof]) -> None:
    """Once the winner is chosen, each alternative it serves entirely is built and measured with it in place.

    Where the planner then takes the alternative for every query the winner served, the two are
    either-or (the winner would only be pruned afterwards): the one worse on T is rejected. Where
    both keep serving, the alternative is kept when what it saves the reads, less what it adds to
    the writes, both in weighted buffers (which repeat), clears the threshold; the time figures
    are quoted beside them. On time the two terms were a near-tie that went either way on the same
    data (1.9 ms of reads against a write term measured 1.1-2.2 ms in successive runs).
    """
    if weighing.winner is None or weighing.winner.proof not in sel.chosen:
        return
    winner = weighing.winner.proof.cand.name
    reasons = weighing.reasons
    for e in weighing.losers:
        p = e.proof
        if p not in open_proofs:
            continue
        open_proofs.remove(p)
        sel.lost_as_alternative.add(p.cand.name)
        if sel.estimate(p) < sel.threshold():
            sel.rejected[p.cand.name] = reasons[p.cand.name]
            continue
        p.built = sel.builds.build(p.cand)
        measured = {n: t for n, t in sel.remeasure(list(sel.by_name), p.cand.name).items() if t.error is None}
        winner_used = any(winner in measured.get(n, t).index_names for n, t in sel.current.items())
        reads = objective.weighted_change({n: sel.current[n] for n in measured}, measured, sel.weights)
        threshold = sel.threshold()
        gained = {n: t for n, t in measured.items() if p.cand.name in t.index_names}
        if winner_used and reads - e.writes_buffers >= threshold and sel.saving(gained) >= threshold:
            sel.current.update(measured)
            sel.chosen.append(p)
            continue
        sel.builds.drop(p.cand.name)
        sel.rejected[p.cand.name] = f"{reasons[p.cand.name]}; " + (
            "the planner takes it in place of it on every query" if not winner_used else
            _added_text(sel, e, measured, reads, threshold))


def _added_text(sel: Selection, e: NetEffect, measured: Mapping[str, QueryTiming], reads: float,
                threshold: float) -> str:
    """What the alternative adds beside the winner, on the objective W and, as confirmation, in time."""
    reads_ms = netgain.read_change_ms(measured, sel.current, sel.baseline, sel.weights)
    on_reads = (f"saves the reads {objective.describe(reads)}" if reads >= 0 else
                f"adds {objective.describe(-reads)} to the reads")
    on_writes = (f"adds {objective.describe(e.writes_buffers)} to the writes" if e.writes_buffers >= 0 else
                 f"saves the writes {objective.describe(-e.writes_buffers)}")
    return (f"with it in place this index {on_reads} and {on_writes}: net {reads - e.writes_buffers:,.1f}, below "
            f"the threshold of {objective.describe(threshold)} (measured; in time {reads_ms:.3f} ms of reads and "
            f"{e.writes_ms:+.3f} ms of writes)")
