"""Never ship a regression: the chosen set measured on every query, slower ones found and removed.

A query regressed when, with the whole set in place, it reads more than REGRESSION_RATIO times
the shared buffers (hit + read, deterministic) it read without the set, and its time confirms it
(also more than REGRESSION_RATIO slower). For each regression the chosen indexes its plan uses are
dropped one at a time; one whose absence ends the regression leaves the set. What no removal cures
is reported (AdvisorSummary.regressions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from analyzer.advisor.selection import Proof, Selection
from analyzer.advisor.timing import QueryTiming
from analyzer.report.model import Regression

REGRESSION_RATIO = 1.1  # more than 10% slower


def is_regression(before: QueryTiming, after: QueryTiming) -> bool:
    """More buffers and more time, both by more than 10% (pure). Timed-out or failed runs are not judged."""
    if before.timed_out or after.timed_out or before.error or after.error:
        return False
    more_buffers = after.buffers > before.buffers * REGRESSION_RATIO if before.buffers else False
    return more_buffers and after.median_ms > before.median_ms * REGRESSION_RATIO


def speed_text(before_ms: float, after_ms: float) -> str:
    """`5.0x faster` or `5.0x slower`, never `0.2x faster`."""
    if after_ms <= 0:
        return "inf faster"
    ratio = before_ms / after_ms
    return f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"


def describe(query: str, before: QueryTiming, after: QueryTiming) -> Regression:
    return Regression(
        query=query, kind="advisor",
        detail=(f"{speed_text(before.median_ms, after.median_ms)} with the recommended set "
                f"({before.median_ms:.2f} -> {after.median_ms:.2f} ms, buffers {before.buffers:,} -> {after.buffers:,})"),
    )


def remove_regressions(
    sel: Selection,
    after: dict[str, QueryTiming],
    baseline: Mapping[str, QueryTiming],
    measure_all: Callable[[], dict[str, QueryTiming]],
) -> tuple[list[Regression], dict[str, QueryTiming]]:
    """Drop chosen indexes that make a query slower where the set without them avoids it.

    `after` holds every query timed with the set; `measure_all` times them all again. Returns the
    regressions no removal cured and the timings of the final set.
    """
    for _ in range(len(sel.chosen)):
        regressed = [n for n, t in after.items() if n in baseline and is_regression(baseline[n], t)]
        if not regressed:
            return [], after
        culprit = _culprit(sel, regressed, baseline, after)
        if culprit is None:
            break
        sel.chosen.remove(culprit)
        sel.rejected[culprit.cand.name] = "removed: " + "; ".join(
            describe(n, baseline[n], after[n]).detail.replace("with the recommended set", f"with it ({n})")
            for n in regressed if culprit.cand.name in after[n].index_names
        )
        after = measure_all()
    regressed = [n for n, t in after.items() if n in baseline and is_regression(baseline[n], t)]
    return [describe(n, baseline[n], after[n]) for n in regressed], after


def _culprit(sel: Selection, regressed: Sequence[str], baseline: Mapping[str, QueryTiming],
             after: Mapping[str, QueryTiming]) -> Proof | None:
    """The chosen index whose absence ends a regression: dropped and the query re-timed, one at a time
    (first those its plan uses; a plan may also get slower around an index it does not use)."""
    for name in regressed:
        users = [p for p in sel.chosen if p.cand.name in after[name].index_names]
        for p in users + [p for p in sel.chosen if p not in users]:
            sel.builds.drop(p.cand.name)
            fresh = sel.timer.time(sel.by_name[name])
            if not is_regression(baseline[name], fresh):
                return p
            p.built = sel.builds.build(p.cand)
    return None
