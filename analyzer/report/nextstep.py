"""What to do after a run, said first in every output: apply indexes.sql (or not), and what is left.

The HTML report, summary.md and the console open with this, so a reader starts from the
action and the query that costs most once it is taken, with why the advice leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.report.model import QueryReport, RunReport


@dataclass(frozen=True)
class LeftQuery:
    """The query that costs most (weight x time) once the recommended indexes are in place."""

    name: str
    weight: float
    ms: float  # its median with the recommended set, else as replayed
    share: float  # of the workload's weighted time with the set
    why: str


@dataclass(frozen=True)
class NextStep:
    action: str  # one sentence, plain text; `indexes.sql` in backticks
    indexes: int
    size_bytes: int
    wal_ratio: float | None
    left: LeftQuery | None
    incomplete: str | None = None


def next_step(report: RunReport) -> NextStep:
    """The action and the costliest query left, from the report alone."""
    chosen = [r for r in report.recommendations if r.chosen]
    size = sum(r.size_bytes or 0 for r in chosen)
    a = report.advisor
    wal = a.write_overhead_total.wal_ratio if a and a.write_overhead_total else None
    if chosen:
        cost = f"{len(chosen)} index{'es' if len(chosen) != 1 else ''}" + (f", {_mb(size)}" if size else "")
        cost += f", {wal:+.0%} WAL" if wal is not None else ""
        action = f"apply `indexes.sql` ({cost}), then re-run"
        if a:
            action += f": weighted time {a.weighted_ms_before:,.2f} → {a.weighted_ms_after:,.2f} ms"
    elif a is not None:
        action = "no index pays for itself here: fix the queries listed below, or their expectations, then re-run" \
            if report.failed_queries else "nothing to apply: no index pays for itself and every query passes"
    elif report.failed_queries:
        action = (f"{len(report.failed_queries)} of {len(report.queries)} queries fail a check: "
                  "run without --no-advise (or `pg-analyzer advise`) for indexes that fix them")
    else:
        action = "nothing to do: every query passes its checks"
    return NextStep(action=action, indexes=len(chosen), size_bytes=size, wal_ratio=wal, left=_left(report),
                    incomplete=report.incomplete)


def _left(report: RunReport) -> LeftQuery | None:
    after: dict[str, float] = {}
    for r in report.recommendations:  # measured alone with each chosen index: the best of them ...
        for s in r.queries if r.chosen else ():
            after[s.query] = min(after.get(s.query, s.after_ms), s.after_ms)
    if report.advisor:  # ... unless the whole set was measured together
        after.update({s.query: s.after_ms for s in report.advisor.queries})
    measured = [(q, after.get(q.name, q.median_ms)) for q in report.queries]
    costs = [(q, ms) for q, ms in measured if ms is not None and q.weight > 0]
    if not costs:
        return None
    total = sum(q.weight * ms for q, ms in costs) or 1.0
    q, ms = max(costs, key=lambda c: c[0].weight * c[1])
    return LeftQuery(q.name, q.weight, ms, q.weight * ms / total, _why(report, q, ms))


def _why(report: RunReport, q: QueryReport, ms: float) -> str:
    if q.error:
        return f"it did not run to the end: {q.error}"
    helped = [(r, s) for r in report.recommendations if r.chosen for s in r.queries if s.query == q.name]
    rejected = [(r, s) for r in report.recommendations if not r.chosen for s in r.queries
                if s.query == q.name and s.speedup > 1.5]
    if helped:
        r, s = max(helped, key=lambda h: h[1].speedup)
        return (f"{r.name} already takes it from {s.before_ms:,.2f} to {s.after_ms:,.2f} ms; what is left is "
                f"how often it runs (weight {q.weight:g}): fewer calls, or caching, is the next lever")
    if rejected:
        r, s = max(rejected, key=lambda h: h[1].speedup)
        return f"rejected for its cost: {r.name} would make it {s.speedup:,.1f}x faster, but {r.reason}"
    if report.advisor is None:
        return "the advisor did not run (--no-advise)"
    failing = [c.name for c in q.checks if not c.passed and c.severity == "error"]
    if failing:
        return f"no index helps: the advisor found no candidate that makes it faster, and it fails {', '.join(failing)}"
    return "no index helps: its plan is already as cheap as an index makes it; only fewer calls or less work would"


def _mb(n: int) -> str:
    return f"{n / 1048576:,.1f} MB" if n >= 104858 else f"{n / 1024:,.0f} kB"
