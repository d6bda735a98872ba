"""Declared expectations and built-in plan checks (pure: parsed plans in, results out).

Declared expectations (`expect:` of a query) give one result each, passed or not, and a
failure is an error. Built-in checks run on every plan and give findings only, each with a
severity, a one-line explanation of what to do, and the path of the node that caused it.
"""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from analyzer.errors import WorkloadError
from analyzer.findings import FINDINGS, Context, cut_short_paths
from analyzer.findings.base import inner_executions, nested_loop_inner
from analyzer.findings.disk_sort import sorts_on_disk, spilled_kb
from analyzer.findings.misestimate import node_misestimate
from analyzer.plan import ExplainResult, PlanNode, first_difference, plan_shape


@dataclass(frozen=True)
class Expectations:
    """What a query's plan must look like (`expect:` in the workload)."""

    max_ms: float | None = None
    p95_ms: float | None = None
    max_buffers: int | None = None
    max_planning_ms: float | None = None
    no_seq_scan: bool | tuple[str, ...] = False
    uses_index: str | None = None
    index_on: str | None = None
    index_only: bool = False
    max_rows_removed_ratio: float | None = None
    no_disk_sort: bool = False
    max_misestimate: float | None = None
    max_loops: float | None = None
    plan_stable: bool = False


@dataclass(frozen=True)
class CheckThresholds:
    """Thresholds of the built-in checks (`checks:` in the workload).

    Misestimates: 10x is info, 100x a warning, 1000x an error. Rows removed by a filter:
    over 50% a warning, over 90% an error (only where at least `removed_min_rows` were read).
    """

    seq_scan_min_rows: int = 10_000
    seq_scan_max_returned_fraction: float = 0.1
    misestimate_info: float = 10
    misestimate_warning: float = 100
    misestimate_error: float = 1000
    removed_ratio_warning: float = 0.5
    removed_ratio_error: float = 0.9
    removed_min_rows: int = 1000
    nested_loop_max_loops: int = 1000
    heap_fetches_min: int = 1000
    large_offset: int = 1000


@dataclass(frozen=True)
class CheckResult:
    """One expectation or finding."""

    name: str
    passed: bool
    severity: str  # error, warning, info
    detail: str
    node_path: str | None = None
    source: str = "builtin"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "passed": self.passed, "severity": self.severity, "detail": self.detail,
            "node_path": self.node_path, "source": self.source,
        }


@dataclass(frozen=True)
class QueryRun:
    """What replay measured for one query: one plan per parameter set, all timed runs."""

    plans: tuple[ExplainResult, ...]
    params: tuple[Mapping[str, Any], ...]
    timings_ms: tuple[float, ...]
    planning_ms: tuple[float, ...]


_EXPECT_TYPES: dict[str, tuple[type, ...]] = {
    "max_ms": (int, float), "p95_ms": (int, float), "max_buffers": (int,), "max_planning_ms": (int, float),
    "no_seq_scan": (bool, list), "uses_index": (str,), "index_on": (str,), "index_only": (bool,),
    "max_rows_removed_ratio": (int, float), "no_disk_sort": (bool,), "max_misestimate": (int, float),
    "max_loops": (int, float), "plan_stable": (bool,),
}


def parse_expectations(raw: Mapping[str, Any] | None, where: str) -> Expectations:
    """Validate an `expect:` mapping; unknown keys and wrong types name the query."""
    if raw is None:
        return Expectations()
    if not isinstance(raw, Mapping):
        raise WorkloadError(f"{where}: expect must be a mapping of expectation: value")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _EXPECT_TYPES:
            close = difflib.get_close_matches(str(key), list(_EXPECT_TYPES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(_EXPECT_TYPES)})"
            raise WorkloadError(f"{where}: expect.{key}: unknown expectation{hint}")
        allowed = _EXPECT_TYPES[key]
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            names = " or ".join("list of tables" if t is list else t.__name__ for t in allowed)
            raise WorkloadError(f"{where}: expect.{key}: expected {names}, got {value!r}")
        if key == "no_seq_scan" and isinstance(value, list):
            if not value or not all(isinstance(v, str) for v in value):
                raise WorkloadError(f"{where}: expect.no_seq_scan: a list of table names, or true")
            value = tuple(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise WorkloadError(f"{where}: expect.{key}: must not be negative")
        values[key] = value
    return Expectations(**values)


def parse_thresholds(raw: Mapping[str, Any] | None, where: str) -> CheckThresholds:
    """Validate the workload's `checks:` thresholds."""
    if raw is None:
        return CheckThresholds()
    known = {f.name: f for f in fields(CheckThresholds)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise WorkloadError(f"{where}.{key}: unknown threshold{hint}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise WorkloadError(f"{where}.{key}: expected a non-negative number, got {value!r}")
        values[key] = value
    t = CheckThresholds(**values)
    if not t.misestimate_info <= t.misestimate_warning <= t.misestimate_error:
        raise WorkloadError(f"{where}: misestimate_info <= misestimate_warning <= misestimate_error must hold")
    if not t.removed_ratio_warning <= t.removed_ratio_error <= 1:
        raise WorkloadError(f"{where}: removed_ratio_warning <= removed_ratio_error <= 1 must hold")
    if t.seq_scan_max_returned_fraction > 1:
        raise WorkloadError(f"{where}.seq_scan_max_returned_fraction: a fraction of the table, at most 1")
    return t


def evaluate_expectations(
    exp: Expectations, run: QueryRun, thresholds: CheckThresholds, table_rows: Mapping[str, int]
) -> list[CheckResult]:
    """One result per declared expectation, judged on all parameter sets."""
    results: list[CheckResult] = []

    def add(name: str, passed: bool, detail: str, path: str | None = None) -> None:
        results.append(CheckResult(f"expect.{name}", passed, "info" if passed else "error", detail, path, "expectation"))

    timings = sorted(run.timings_ms)
    if exp.max_ms is not None and timings:
        median = statistics.median(timings)
        add("max_ms", median <= exp.max_ms, f"median {median:.2f} ms (limit {exp.max_ms:g} ms)")
    if exp.p95_ms is not None and timings:
        p95 = _percentile(timings, 95)
        add("p95_ms", p95 <= exp.p95_ms, f"p95 {p95:.2f} ms (limit {exp.p95_ms:g} ms)")
    if exp.max_planning_ms is not None and run.planning_ms:
        planning = statistics.median(run.planning_ms)
        add("max_planning_ms", planning <= exp.max_planning_ms,
            f"median planning {planning:.2f} ms (limit {exp.max_planning_ms:g} ms)")
    if exp.max_buffers is not None and run.plans:
        most_buffers = max(p.total_buffers.total_shared for p in run.plans)
        add("max_buffers", most_buffers <= exp.max_buffers,
            f"{most_buffers:,} shared buffers in the worst parameter set (limit {exp.max_buffers:,})"
            + ("" if most_buffers <= exp.max_buffers else ": an index that reads fewer pages, or fewer rows"))
    if exp.no_seq_scan:
        named = exp.no_seq_scan if isinstance(exp.no_seq_scan, tuple) else None
        offenders = [
            n for p in run.plans for n in p.nodes()
            if n.node_type == "Seq Scan" and n.relation and (
                bool({n.relation, n.parent_relation} & set(named)) if named is not None
                else max(table_rows.get(n.relation, 0), table_rows.get(n.table or "", 0)) >= thresholds.seq_scan_min_rows
            )
        ]
        if offenders:
            tables = sorted({(n.relation or "") + (f" (partition of {n.parent_relation})" if n.parent_relation else "")
                             for n in offenders})
            add("no_seq_scan", False, f"Seq Scan on {', '.join(tables)}: add an index for the query's filter",
                offenders[0].path)
        else:
            add("no_seq_scan", True, "no sequential scan on " + (", ".join(named) if named else "a large table"))
    if exp.uses_index is not None:
        missing = [i for i, p in enumerate(run.plans) if exp.uses_index not in p.index_names]
        add("uses_index", not missing, f"index {exp.uses_index} " + (
            f"not used with parameter set {missing[0] + 1} ({_summary(run.plans[missing[0]])})"
            if missing else "used by every parameter set"))
    if exp.index_on is not None:
        missing = [i for i, p in enumerate(run.plans) if not _uses_index_on(p, exp.index_on)]
        scan = next((n for n in run.plans[missing[0]].nodes() if exp.index_on in (n.relation, n.parent_relation)),
                    None) if missing else None
        add("index_on", not missing, f"an index on {exp.index_on} " + (
            f"not used with parameter set {missing[0] + 1} ({_summary(run.plans[missing[0]])})"
            if missing else "used by every parameter set"), scan.path if scan else None)
    if exp.index_only:
        heap = [n for p in run.plans for n in p.nodes()
                if n.node_type in ("Index Scan", "Bitmap Heap Scan", "Seq Scan") and n.relation]
        add("index_only", not heap,
            f"{heap[0].label()} reads the table: an Index Only Scan needs every column the query uses in the index"
            if heap else "index-only scans only", heap[0].path if heap else None)
    if exp.max_rows_removed_ratio is not None:
        worst_ratio, worst_node = 0.0, None
        for p in run.plans:
            for n in p.nodes():
                ratio = n.rows_removed_by_filter * (n.actual_loops or 1) / max(n.actual_rows_total or 0.0, 1.0)
                if n.rows_removed_by_filter and ratio > worst_ratio:
                    worst_ratio, worst_node = ratio, n
        add("max_rows_removed_ratio", worst_ratio <= exp.max_rows_removed_ratio,
            f"{worst_ratio:,.1f} rows removed by filter per row returned (limit {exp.max_rows_removed_ratio:g})"
            + (f" at {worst_node.label()}" if worst_node else ""), worst_node.path if worst_node else None)
    if exp.no_disk_sort:
        disk = [n for p in run.plans for n in p.nodes() if sorts_on_disk(n)]
        add("no_disk_sort", not disk,
            f"{disk[0].label()} spilled to disk ({spilled_kb(disk[0]):,} kB): raise work_mem or add "
            "an index in sort order" if disk else "no sort spilled to disk", disk[0].path if disk else None)
    if exp.max_misestimate is not None:
        factor, off_node = max(((_misestimate(n, p), n) for p in run.plans for n in p.nodes()),
                               key=lambda t: t[0], default=(1.0, None))
        add("max_misestimate", factor <= exp.max_misestimate,
            f"worst row estimate off by {factor:,.0f}x" + (f" at {off_node.label()}" if off_node else "")
            + f" (limit {exp.max_misestimate:g}x)", off_node.path if off_node else None)
    if exp.max_loops is not None:
        inners = [inner for p in run.plans for n in p.nodes() if (inner := nested_loop_inner(n)) is not None]
        busiest = max(inners, key=inner_executions, default=None)
        loops = inner_executions(busiest) if busiest else 0.0
        add("max_loops", loops <= exp.max_loops,
            (f"Nested Loop inner side ({busiest.label()}) ran {loops:,.0f} times" if busiest else "no nested loop")
            + f" (limit {exp.max_loops:g})", busiest.path if busiest else None)
    if exp.plan_stable:
        results.append(_plan_stability(run))
    return results


def _plan_stability(run: QueryRun) -> CheckResult:
    """One plan shape for every parameter set, or the values that flip it (skewed data does that)."""
    shapes: dict[str, list[int]] = {}
    for i, p in enumerate(run.plans):
        shapes.setdefault(plan_shape(p), []).append(i)
    if len(shapes) <= 1:
        return CheckResult("expect.plan_stable", True, "info", f"one plan for all {len(run.plans)} parameter sets",
                           source="expectation")
    groups = sorted(shapes.values(), key=len, reverse=True)

    def values(group: list[int]) -> str:
        shown = [_params_text(run.params[i]) for i in group[:3] if i < len(run.params)]
        more = f" and {len(group) - 3} more" if len(group) > 3 else ""
        return "; ".join(shown) + more

    described = [f"{_summary(run.plans[g[0]])} with {values(g)}" for g in groups]
    detail = (f"{len(shapes)} plans for {len(run.plans)} parameter sets: {described[0]}, but "
              + ", and ".join(described[1:])
              + ": the values are skewed; a partial index, extended statistics or a rewritten query may settle it")
    path = first_difference(run.plans[groups[0][0]], run.plans[groups[1][0]])
    return CheckResult("expect.plan_stable", False, "error", detail, path, "expectation")


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "(no parameters)"


def _summary(plan: ExplainResult) -> str:
    scans = [n.label() for n in plan.nodes() if n.is_scan and n.node_type != "Bitmap Index Scan"]
    return " + ".join(scans) or plan.root.node_type


def run_builtin_checks(
    plan: ExplainResult, thresholds: CheckThresholds, table_rows: Mapping[str, int]
) -> list[CheckResult]:
    """Findings on one plan: only what is wrong, with severity and the node path (rules in analyzer/findings/)."""
    ctx = Context(thresholds, table_rows, cut_short_paths(plan.root))
    return [
        CheckResult(f"builtin.{rule.name}", False, hit.severity, hit.detail, n.path)
        for n in plan.nodes() for rule in FINDINGS for hit in rule.check(n, ctx)
    ]


def _misestimate(n: PlanNode, plan: ExplainResult) -> float:
    return node_misestimate(n, cut_short_paths(plan.root)) or 1.0


def _uses_index_on(plan: ExplainResult, table: str) -> bool:
    for n in plan.nodes():
        if table not in (n.relation, n.parent_relation):
            continue
        if n.index_name or n.node_type == "Bitmap Heap Scan":
            return True
    return False


def _percentile(sorted_values: list[float], pct: float) -> float:
    k = (len(sorted_values) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)
