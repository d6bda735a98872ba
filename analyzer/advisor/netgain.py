"""What one index does to the whole objective T (reads and writes together), in weighted ms per query.

Which indexes serve the reads is decided on buffers (objective.py); what an index is worth
against what it costs, or saves, the writes is a question of time (writecosts.py, the signed
write term). Both halves meet here in one unit, the selection's: weighted ms per query. A
query's buffer saving stands for its measured time before in proportion to the (exact) share
of work saved, so the noise of a second timing stays out of the read half (pure: no database).
"""

from __future__ import annotations

import math
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


def ms_per_buffer(before: QueryTiming) -> float:
    """The time one buffer of this query's work stands for, from its measurement before (0 when unknown)."""
    b = objective.work(before)
    return before.median_ms / b if b > 0 and math.isfinite(before.median_ms) else 0.0


def read_saving_ms(after: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                   baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """The read time an index measured alone should save now: its buffer saving (as selection.estimated_saving,
    capped by what is left of each query) at each query's time per buffer before."""
    total = sum(weights.values())
    saved = 0.0
    for name, t in after.items():
        if not objective.helped(baseline[name], t):
            continue
        buffers = min(objective.work(current[name]), max(objective.work(baseline[name]) - objective.work(t), 0.0))
        saved += weights[name] * buffers * ms_per_buffer(baseline[name])
    return saved / total if total else 0.0


def read_change_ms(new: Mapping[str, QueryTiming], current: Mapping[str, QueryTiming],
                   baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """Signed read time saved going from `current` to `new` (re-measured queries): < 0 when queries got slower."""
    total = sum(weights.values())
    change = sum(weights[n] * (objective.work(current[n]) - objective.work(t)) * ms_per_buffer(baseline[n])
                 for n, t in new.items())
    return change / total if total else 0.0


def threshold_ms(threshold_buffers: float, baseline: Mapping[str, QueryTiming], weights: Mapping[str, float]) -> float:
    """The selection's threshold (weighted buffers) in weighted ms: at the workload's time per buffer before."""
    work = objective.weighted_work(baseline, weights)
    total = sum(weights.values())
    ms = sum(weights[n] * baseline[n].median_ms for n in weights if math.isfinite(baseline[n].median_ms))
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
