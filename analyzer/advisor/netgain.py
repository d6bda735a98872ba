"""What one index does to the whole objective T (reads and writes together), in weighted ms per query.

Which indexes serve the reads is decided on buffers (objective.py); what an index is worth
against what it costs, or saves, the writes is a question of time (writecosts.py, the signed
write term). Both halves meet here in one unit, the selection's: weighted ms per query. A
state's read time is its measured time (the mean over its parameter sets), at most its buffers
at the query's time per buffer before (`estimated_ms`): a run a neighbour slowed counts no more
than its buffers at that rate, and an index scan's buffer is not charged at the rate of the
sequential scan it replaced (pure: no database).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol, runtime_checkable

from analyzer.advisor import objective
from analyzer.advisor.builds import BuiltIndex
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.timing import QueryTiming
from analyzer.advisor.writecosts import wal_charge_ms
from analyzer.report.model import StatementOverhead, WriteOverhead


@runtime_checkable
class WriteGains(Protocol):
    """Write costs that can say what an index saves the writes (MeasuredWriteCosts)."""

    def index_overhead(self, cand: IndexCandidate, built: BuiltIndex) -> WriteOverhead | None: ...

    def write_gain(self, overhead: WriteOverhead) -> float:
        """Weighted ms per query the writes save with the index (negative: they pay)."""
        ...

    def write_buffers(self, overhead: WriteOverhead) -> float:
        """Weighted buffers per query the index adds to the writes (negative: they touch fewer)."""
        ...


def mean_ms(t: QueryTiming) -> float:
    """The query's time over its parameter sets as the objective weighs work: the mean of each set's median.

    The median of all runs is the typical set's: `(project_id, created_at, id)` serves
    project_tasks_by_status in a median 0.14 ms, and its heaviest project in 55 ms (6,564
    buffers, against 13-41 for the others). Buffers are a mean over the sets (objective.work);
    the time compared with them is too.
    """
    sets = t.ms_by_set
    return statistics.fmean(sets) if sets and all(math.isfinite(m) for m in sets) else t.median_ms


def ms_per_buffer(before: QueryTiming) -> float:
    """The time one buffer of this query's work stands for, from its measurement before (0 when unknown)."""
    b, ms = objective.work(before), mean_ms(before)
    return ms / b if b > 0 and math.isfinite(ms) else 0.0


def estimated_ms(t: QueryTiming, before: QueryTiming) -> float:
    """A state's read time as the alternatives compare it: measured, at most its buffers at the time per buffer
    `before`.

    A sequential scan evaluates every row of each page it reads; an index scan reads the pages of
    the rows it returns. At the rate before, the 376 buffers a narrower index leaves a range query
    stand for 2.0 ms where they take 0.45, and a wider index's read advantage is overstated
    against its write cost. The cap keeps what noise can do one-sided: a run slowed by a
    neighbour counts no more than its buffers (which repeat) at the rate before.
    """
    proportional, measured = objective.work(t) * ms_per_buffer(before), mean_ms(t)
    return min(measured, proportional) if math.isfinite(measured) and measured >= 0 else proportional


def read_saving_ms(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                   baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """The read time an index measured alone should save now: the time before less its own (`estimated_ms`),
    capped by what is left of each query (as selection.estimated_saving is in buffers)."""
    total = sum(weights.values())
    saved = 0.0
    for name, t in after.items():
        base = baseline[name]
        if not objective.helped(base, t):
            continue
        left = estimated_ms(current[name], base)
        saved += weights[name] * min(left, max(estimated_ms(base, base) - estimated_ms(t, base), 0.0))
    return saved / total if total else 0.0


def proportional_saving_ms(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                           baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """The read time an index measured alone should save now, from buffers only: each query's buffers saved
    (capped by what is left, as selection.estimated_saving is) at its time per buffer before.

    No time measured after the build enters: alternatives compared on it differ only by their
    buffers and their WAL, which repeat, while the rates before are common to all of them and
    scale together on a loaded machine. On measured read times a BRIN's lead over a btree
    (a 6.9 ms write advantage) fell inside the band in 2 loaded runs of 8.
    """
    total = sum(weights.values())
    saved = 0.0
    for name, t in after.items():
        base = baseline[name]
        if objective.helped(base, t):
            buffers = min(objective.work(current[name]), max(objective.work(base) - objective.work(t), 0.0))
            saved += weights[name] * buffers * ms_per_buffer(base)
    return saved / total if total else 0.0


def read_change_ms(new: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                   baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """Signed read time saved going from `current` to `new` (re-measured queries): < 0 when queries got slower."""
    total = sum(weights.values())
    change = sum(weights[n] * (estimated_ms(current[n], baseline[n]) - estimated_ms(t, baseline[n]))
                 for n, t in new.items() if not objective.same_work(current[n], t))
    return change / total if total else 0.0


def threshold_ms(threshold_buffers: float, baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """The selection's threshold (weighted buffers) in weighted ms: at the workload's time per buffer before
    (each query's mean over its sets, as its buffers are)."""
    work = objective.weighted_work(baseline, weights)
    total = sum(weights.values())
    ms = sum(weights[n] * mean_ms(baseline[n]) for n in weights if math.isfinite(mean_ms(baseline[n])))
    return threshold_buffers * (ms / total) / work if work > 0 and total else 0.0


def writes_text(writes_ms: float) -> str:
    """'costs the writes 0.180 ms' or 'saves the writes 0.239 ms': the write term's sign in words."""
    return f"costs the writes {-writes_ms:.3f} ms" if writes_ms < 0 else f"saves the writes {writes_ms + 0.0:.3f} ms"


def maintenance_from_wal(overhead: WriteOverhead) -> WriteOverhead:
    """The overhead with each write the index cannot speed up charged from its WAL: the write's own time
    before, in proportion to the WAL the index adds to it.

    The counterpart of reads on buffers: WAL repeats to the byte, the time difference of one paired
    run does not (a 20,000-row insert measured 50 ms *faster* with a btree on a loaded machine), and
    index maintenance is the WAL it writes. Writes the index may serve keep their measured time: a
    gain cannot be read from WAL.
    """
    return replace(overhead, statements=tuple(_from_wal(s) for s in overhead.statements))


def _from_wal(s: StatementOverhead) -> StatementOverhead:
    if s.can_gain or s.wal_bytes_before <= 0:
        return s
    return replace(s, time_ms_delta=wal_charge_ms(s))
