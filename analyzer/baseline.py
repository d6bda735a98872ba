"""Baselines: compare a run with an earlier one and turn what got worse into regressions.

A baseline is a small JSON file meant to be committed next to the workload: per query the plan
signatures seen (one per distinct plan over the parameter sets, see `plan.plan_shape`), the
shared buffers of the worst parameter set and the median time. `--baseline` also takes a whole
report.json. What counts as a regression:

- plan: a relation read through an index is now a Seq Scan, an Index Only Scan became an
  Index Scan, a join method changed, or a sort was added (other plan changes are notes);
- buffers: more than `buffers_factor` times the baseline's (buffers are stable across machines);
- time: a median more than `time_factor` times the baseline's (time is not: keep this factor loose);
- missing: a query of the baseline is gone from the run.

A regression fails the run unless it is accepted, by an `accept:` entry of the baseline file
(committed, with a reason) or by `--accept QUERY:KIND` (`*` matches anything in either part).
Pure: reports and baselines in, regressions out; only `load_baseline` and `save_baseline` do I/O.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.errors import AnalyzerError
from analyzer.plan import compare_plans, parse_explain, parse_plan_shape, plan_shape
from analyzer.report.model import QueryReport, Regression, RunReport, report_from_json

BASELINE_FORMAT = "pg-analyzer-baseline"
BASELINE_VERSION = 1
REGRESSION_KINDS = ("plan", "buffers", "time", "missing")


class BaselineError(AnalyzerError):
    """A baseline file that cannot be read, or an --accept that does not parse."""


@dataclass(frozen=True)
class BaselineLimits:
    """How much worse a figure may get before it is a regression."""

    buffers_factor: float = 2.0
    time_factor: float = 3.0
    min_buffers: int = 100  # below this many buffers in the new run, growth is noise
    min_ms: float = 1.0  # below this median in the new run, growth is noise


@dataclass(frozen=True)
class QueryBaseline:
    """What one query looked like when the baseline was saved."""

    plans: tuple[str, ...]  # distinct plan signatures, most frequent first
    buffers: int  # shared hit + read of the worst parameter set
    median_ms: float | None


@dataclass(frozen=True)
class Acceptance:
    """A regression that does not fail the run: `query` and `kind` are shell-style patterns."""

    query: str
    kind: str
    reason: str = ""

    def matches(self, query: str, kind: str) -> bool:
        return fnmatch.fnmatchcase(query, self.query) and fnmatch.fnmatchcase(kind, self.kind)


@dataclass(frozen=True)
class Baseline:
    """A saved baseline: per query its plans and figures, the limits and the accepted regressions."""

    workload: str
    server_version: str
    source: str  # the run it was saved from
    queries: Mapping[str, QueryBaseline]
    limits: BaselineLimits = BaselineLimits()
    accept: tuple[Acceptance, ...] = ()


def baseline_from_report(report: RunReport, limits: BaselineLimits | None = None) -> Baseline:
    """The baseline of a run: queries that could not be measured are left out."""
    queries = {q.name: _query_baseline(q) for q in report.queries if q.error is None and q.plan is not None}
    return Baseline(
        workload=report.workload, server_version=report.server.version,
        source=f"run {report.run_id} at {report.started_at}", queries=queries, limits=limits or BaselineLimits(),
    )


def _query_baseline(q: QueryReport) -> QueryBaseline:
    raw_plans = list(q.plans_by_params) or [q.plan]
    plans = [parse_explain(p) for p in raw_plans]
    counts: dict[str, int] = {}
    for p in plans:
        shape = plan_shape(p)
        counts[shape] = counts.get(shape, 0) + 1
    return QueryBaseline(
        plans=tuple(sorted(counts, key=lambda s: -counts[s])),
        buffers=max(p.total_buffers.total_shared for p in plans),
        median_ms=q.median_ms,
    )


def baseline_to_json(baseline: Baseline) -> dict[str, Any]:
    return {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "workload": baseline.workload,
        "server_version": baseline.server_version,
        "source": baseline.source,
        "limits": dataclasses.asdict(baseline.limits),
        "accept": [dataclasses.asdict(a) for a in baseline.accept],
        "queries": {
            name: {"plans": list(q.plans), "buffers": q.buffers, "median_ms": q.median_ms}
            for name, q in baseline.queries.items()
        },
    }


def save_baseline(baseline: Baseline, path: Path) -> None:
    """Write the baseline file (compact JSON, stable key order, for review in a pull request)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline_to_json(baseline), indent=1) + "\n", encoding="utf-8")


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file, or a report.json (whose queries become the baseline)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, ValueError) as e:
        raise BaselineError(f"{path}: not a readable JSON file: {e}") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{path}: a baseline is a JSON object")
    if data.get("format") == BASELINE_FORMAT:
        return _parse_baseline(path, data)
    if "format_version" in data and "queries" in data:
        try:
            return baseline_from_report(report_from_json(data))
        except (TypeError, KeyError, AnalyzerError) as e:
            raise BaselineError(f"{path}: a report.json this version cannot read: {e}") from None
    raise BaselineError(f"{path}: neither a baseline (pg-analyzer baseline save) nor a report.json")


def _parse_baseline(path: Path, data: Mapping[str, Any]) -> Baseline:
    if data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: baseline version {data.get('version')!r}; this pg-analyzer reads {BASELINE_VERSION}")
    known = {f.name for f in dataclasses.fields(BaselineLimits)}
    raw_limits = data.get("limits") or {}
    for key, value in raw_limits.items():
        if key not in known:
            raise BaselineError(f"{path}: limits.{key}: unknown (known: {', '.join(sorted(known))})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise BaselineError(f"{path}: limits.{key}: expected a non-negative number, got {value!r}")
    accept = []
    for i, entry in enumerate(data.get("accept") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("query"), str):
            raise BaselineError(f"{path}: accept[{i}]: expected {{query: name, kind: plan|buffers|time|missing|*}}")
        accept.append(_acceptance(str(entry["query"]), str(entry.get("kind", "*")), str(entry.get("reason", "")),
                                  f"{path}: accept[{i}]"))
    queries: dict[str, QueryBaseline] = {}
    for name, q in (data.get("queries") or {}).items():
        try:
            plans = tuple(str(p) for p in q["plans"])
            for p in plans:
                parse_plan_shape(p)
            queries[str(name)] = QueryBaseline(plans=plans, buffers=int(q["buffers"]), median_ms=q.get("median_ms"))
        except (KeyError, TypeError, ValueError, AnalyzerError) as e:
            raise BaselineError(f"{path}: queries.{name}: {e}") from None
    return Baseline(
        workload=str(data.get("workload", "")), server_version=str(data.get("server_version", "")),
        source=str(data.get("source", "")), queries=queries, limits=BaselineLimits(**raw_limits),
        accept=tuple(accept),
    )


def parse_acceptance(text: str) -> Acceptance:
    """`QUERY:KIND` from the command line (`project_tasks:plan`, `*:time`, `lookup:*`)."""
    query, sep, kind = text.rpartition(":")
    if not sep or not query:
        raise BaselineError(f"--accept {text}: expected QUERY:KIND, KIND one of {', '.join(REGRESSION_KINDS)} or *")
    return _acceptance(query, kind, "", f"--accept {text}")


def _acceptance(query: str, kind: str, reason: str, where: str) -> Acceptance:
    if kind != "*" and not any(fnmatch.fnmatchcase(k, kind) for k in REGRESSION_KINDS):
        raise BaselineError(f"{where}: unknown regression kind {kind!r} (one of {', '.join(REGRESSION_KINDS)} or *)")
    return Acceptance(query, kind, reason)


def compare_with_baseline(
    report: RunReport, baseline: Baseline, accept: Iterable[Acceptance] = ()
) -> tuple[Regression, ...]:
    """Every way the run is worse than the baseline, marked accepted where an acceptance matches."""
    acceptances = list(baseline.accept) + list(accept)
    limits = baseline.limits
    found: list[Regression] = []

    def add(query: str, kind: str, detail: str) -> None:
        accepted = next((a for a in acceptances if a.matches(query, kind)), None)
        if accepted is not None and accepted.reason:
            detail += f" (accepted: {accepted.reason})"
        found.append(Regression(query, kind, detail, accepted is not None))

    by_name = {q.name: q for q in report.queries}
    for name, base in baseline.queries.items():
        q = by_name.get(name)
        if q is None:
            add(name, "missing", "the query is in the baseline but not in this run: save a new baseline if it was "
                "renamed or removed")
            continue
        if q.error is not None or q.plan is None:
            continue  # the query already fails on its error
        now = _query_baseline(q)
        plan_detail = _plan_regression(base.plans, now.plans)
        if plan_detail:
            add(name, "plan", plan_detail)
        if now.buffers >= limits.min_buffers and now.buffers > base.buffers * limits.buffers_factor:
            add(name, "buffers", f"{now.buffers:,} shared buffers, baseline {base.buffers:,} "
                f"({now.buffers / max(base.buffers, 1):,.1f}x, limit {limits.buffers_factor:g}x)")
        if (base.median_ms is not None and now.median_ms is not None and now.median_ms >= limits.min_ms
                and now.median_ms > base.median_ms * limits.time_factor):
            add(name, "time", f"median {now.median_ms:,.2f} ms, baseline {base.median_ms:,.2f} ms "
                f"({now.median_ms / max(base.median_ms, 1e-9):,.1f}x, limit {limits.time_factor:g}x)")
    return tuple(found)


def _plan_regression(before: Sequence[str], after: Sequence[str]) -> str | None:
    """The worsening changes of plans not seen in the baseline, each against the baseline's closest plan."""
    old_trees = [parse_plan_shape(s) for s in before]
    details: list[str] = []
    for shape in after:
        if shape in before or not old_trees:
            continue
        new = parse_plan_shape(shape)
        candidates = [compare_plans(old, new) for old in old_trees]
        # The baseline plan it is closest to: fewest worsening changes, then fewest changes.
        changes = min(candidates, key=lambda cs: (sum(c.worse for c in cs), len(cs)))
        for c in changes:
            if c.worse and c.detail not in details:
                details.append(c.detail + (f" (plan node {c.node_path})" if c.node_path else ""))
    return "; ".join(details) or None


def plan_notes(report: RunReport, baseline: Baseline) -> list[str]:
    """Plan changes that are not regressions (a Seq Scan that became an Index Scan), and queries new to the baseline."""
    notes: list[str] = []
    for q in report.queries:
        base = baseline.queries.get(q.name)
        if base is None:
            if q.error is None:
                notes.append(f"baseline: {q.name} is new (not in the baseline)")
            continue
        if q.error is not None or q.plan is None:
            continue
        for shape in _query_baseline(q).plans:
            if shape in base.plans:
                continue
            changes = compare_plans(parse_plan_shape(base.plans[0]), parse_plan_shape(shape))
            neutral = [c.detail for c in changes if not c.worse]
            if neutral:
                notes.append(f"baseline: {q.name}: " + "; ".join(neutral))
    return notes


def apply_baseline(report: RunReport, baseline: Baseline, accept: Iterable[Acceptance] = ()) -> RunReport:
    """The report with its regressions against `baseline` (and notes about other plan changes)."""
    notes = list(report.notes)
    if baseline.server_version and baseline.server_version.split(".")[0] != report.server.version.split(".")[0]:
        notes.append(f"baseline: saved on PostgreSQL {baseline.server_version}, this run is on "
                     f"{report.server.version}: plans may differ for that reason alone")
    notes += plan_notes(report, baseline)
    return dataclasses.replace(
        report, regressions=report.regressions + compare_with_baseline(report, baseline, accept), notes=tuple(notes),
    )
