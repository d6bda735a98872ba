"""The advisor's objective, defined once: weighted shared buffers touched per query.

    work(q, state)  = mean over q's parameter sets s of  shared_hit(q, s) + shared_read(q, s)
    worst(q, state) = max over the same sets
    W(state)        = sum_q weight(q) * work(q, state) / sum_q weight(q)

Buffers touched (hit + read) by the executor repeat exactly for a given plan and data; the
wall clock does not (the same plan runs 1.5-2x slower when another process shares the core).
So every choice (does an index help a query, does it save enough, is a pick redundant) is
made on these figures, and every rejection quotes them. A query counts as helped when its
work drops by MIN_GAIN and no parameter set gets worse by more than that (the worst case
matters: an index that helps the typical tenant must not hurt the heaviest one). The margin
is small because the figures are exact; whether the saving is worth an index is the
threshold's question (1% of the workload's weighted work), asked of the whole workload. Time is
measured, warm and paired, and reported as the confirmation; it never rejects on its own.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Protocol

MIN_GAIN = 1.02  # a query counts as helped when its work drops at least this much ...
WORST_REGRESSION = 1.2  # ... and no parameter set's work grows by more than this ...
SET_SLACK = 0.05  # ... plus this share of the query's mean work before
MIN_SAVING_FRACTION = 0.01  # stop when the next index saves less than 1% of the weighted work now
MIN_SAVING_BUFFERS = 1.0  # ... or less than one buffer per query, weighted
UNIT = "buffers"
FORMULA = ("W = sum_q weight(q) * mean_s(shared_hit + shared_read)(q, s) / sum_q weight(q); a query is helped when "
           f"its mean drops {MIN_GAIN}x and no set grows {WORST_REGRESSION}x (+{SET_SLACK:.0%} of the mean); "
           "an index must save "
           f"max({MIN_SAVING_FRACTION:.0%} of W, {MIN_SAVING_BUFFERS:g}); time is confirmed in paired warm runs")


class Measured(Protocol):
    """What the objective reads from a measurement: the buffers of each parameter set."""

    @property
    def buffers_by_set(self) -> tuple[int, ...]: ...


def work(t: Measured) -> float:
    """Mean shared buffers touched over the parameter sets."""
    return statistics.fmean(t.buffers_by_set) if t.buffers_by_set else 0.0


def worst(t: Measured) -> float:
    return float(max(t.buffers_by_set)) if t.buffers_by_set else 0.0


def helped(before: Measured, after: Measured) -> bool:
    """`after` does at least MIN_GAIN less work, and its worst parameter set is not worse by more than that."""
    if work(after) * MIN_GAIN > work(before):
        return False
    return not regressed_sets(before, after)


def same_work(a: Measured, b: Measured) -> bool:
    """Neither does MIN_GAIN less work than the other: the objective sees no difference between them."""
    return work(a) * MIN_GAIN > work(b) and work(b) * MIN_GAIN > work(a)


def regressed_sets(before: Measured, after: Measured) -> list[int]:
    """Parameter sets whose work grows by more than WORST_REGRESSION, beyond a slack of SET_SLACK of the mean.

    The slack keeps a set that was nearly free (a LIMIT that stopped after 11 buffers, now 50)
    from vetoing an index that saves thousands on the others; the heavy tenant made 10x slower
    still does.
    """
    slack = SET_SLACK * work(before)
    pairs = zip(before.buffers_by_set, after.buffers_by_set, strict=False)
    return [i for i, (b, a) in enumerate(pairs) if a > b * WORST_REGRESSION + slack + 1]


def weighted_work(timings: Mapping[str, Measured], weights: Mapping[str, float]) -> float:
    """W(state): weighted mean buffers per query over the queries in `weights`."""
    total = sum(weights.values())
    return sum(weights[n] * work(timings[n]) for n in weights) / total if total else 0.0


def weighted_saving(after: Mapping[str, Measured], current: Mapping[str, Measured],
                    weights: Mapping[str, float]) -> float:
    """How much W drops going from `current` to `after`, counting only the queries it helps."""
    total = sum(weights.values())
    saved = sum(weights[n] * (work(current[n]) - work(t)) for n, t in after.items() if helped(current[n], t))
    return saved / total if total else 0.0


def weighted_net_saving(after: Mapping[str, Measured], current: Mapping[str, Measured],
                        weights: Mapping[str, float]) -> float:
    """`weighted_saving`, less what the queries in `after` do more on average: adding an index counts
    what it saves where it helps, and what it costs wherever it costs."""
    total = sum(weights.values())
    worse = sum(weights[n] * (work(t) - work(current[n])) for n, t in after.items() if work(t) > work(current[n]))
    return weighted_saving(after, current, weights) - (worse / total if total else 0.0)


def weighted_change(before: Mapping[str, Measured], after: Mapping[str, Measured],
                    weights: Mapping[str, float]) -> float:
    """How much W drops going from `before` to `after` over the queries in `after`, signed (< 0: it grows).

    Unlike `weighted_saving` nothing is left out: what taking an index away costs is the whole
    change of every query it served, including one that some parameter sets would prefer without it.
    """
    total = sum(weights.values())
    return sum(weights[n] * (work(before[n]) - work(t)) for n, t in after.items()) / total if total else 0.0


def threshold(current_weighted: float) -> float:
    """An index must save at least 1% of what the workload does now (and a floor): diminishing returns stop."""
    return max(MIN_SAVING_FRACTION * current_weighted, MIN_SAVING_BUFFERS)


def describe(value: float) -> str:
    """A figure of the objective as the reasons quote it."""
    return f"{value:,.1f} weighted {UNIT} per query"


def ratio_text(before: Measured, after: Measured) -> str:
    """'1,234 → 5 buffers (247x)' for one query."""
    b, a = work(before), work(after)
    return f"{b:,.0f} → {a:,.0f} {UNIT} ({b / max(a, 1e-9):,.1f}x)"


def queries_helped(after: Mapping[str, Measured], current: Mapping[str, Measured]) -> Iterable[str]:
    return [n for n, t in after.items() if helped(current[n], t)]
