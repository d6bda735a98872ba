"""Built-in checks and declared expectations on saved EXPLAIN output of PostgreSQL 15 and 18.

The fixtures (tests/fixtures/plans/, made by capture.py there) each show one finding; the
`clean_*` ones show none. Every expectation is shown passing on one plan and failing on another.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.checks import (
    CheckThresholds,
    Expectations,
    QueryRun,
    evaluate_expectations,
    parse_expectations,
    parse_thresholds,
    run_builtin_checks,
)
from analyzer.errors import WorkloadError
from analyzer.plan import ExplainResult, parse_explain
from analyzer.workload import load_workload

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
VERSIONS = ["pg15", "pg18"]


def fixture(version: str, case: str) -> tuple[ExplainResult, dict[str, int]]:
    data: dict[str, Any] = json.loads((PLANS / f"{version}_{case}.json").read_text())
    return parse_explain(data["explain"]), dict(data["table_rows"])


# case -> (finding, severity, node type the finding points at)
FINDINGS = {
    "seq_scan": ("builtin.seq_scan", "warning", "Seq Scan"),
    "rows_removed": ("builtin.rows_removed", "error", "Seq Scan"),
    "disk_sort": ("builtin.disk_sort", "warning", "Sort"),
    "hash_batches": ("builtin.hash_batches", "warning", "Hash"),
    "misestimate": ("builtin.misestimate", "error", "Seq Scan"),
    "heap_fetches": ("builtin.heap_fetches", "warning", "Index Only Scan"),
    "nested_loop": ("builtin.nested_loop", "warning", "Nested Loop"),
    "large_offset": ("builtin.large_offset", "warning", "Limit"),
    "lossy_bitmap": ("builtin.lossy_bitmap", "warning", "Bitmap Heap Scan"),
}
CLEAN = ["clean_pk_lookup", "clean_index_only", "clean_hash_join", "memory_sort", "skew_rare"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", list(FINDINGS))
def test_each_builtin_finding_with_severity_advice_and_node(version: str, case: str) -> None:
    plan, rows = fixture(version, case)
    name, severity, node_type = FINDINGS[case]
    found = [f for f in run_builtin_checks(plan, CheckThresholds(), rows) if f.name == name]
    assert found, f"{case}: {name} not found"
    finding = found[0]
    assert finding.severity == severity and finding.passed is False and finding.source == "builtin"
    assert ": " in finding.detail  # what was seen, then what to do
    nodes = {n.path: n for n in plan.nodes()}
    assert finding.node_path in nodes and nodes[finding.node_path].node_type == node_type


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", CLEAN)
def test_good_plans_have_no_findings(version: str, case: str) -> None:
    plan, rows = fixture(version, case)
    assert [f.name for f in run_builtin_checks(plan, CheckThresholds(), rows) if f.severity != "info"] == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("case", "name", "thresholds"),
    [
        ("nested_loop", "builtin.nested_loop", {"nested_loop_max_loops": 100_000}),
        ("large_offset", "builtin.large_offset", {"large_offset": 50_000}),
        ("seq_scan", "builtin.seq_scan", {"seq_scan_min_rows": 1_000_000}),
        ("heap_fetches", "builtin.heap_fetches", {"heap_fetches_min": 100_000}),
        ("rows_removed", "builtin.rows_removed", {"removed_min_rows": 100_000}),
    ],
)
def test_thresholds_are_configurable(version: str, case: str, name: str, thresholds: dict[str, Any]) -> None:
    plan, rows = fixture(version, case)
    relaxed = parse_thresholds(thresholds, "w.yaml: checks")
    assert name in {f.name for f in run_builtin_checks(plan, CheckThresholds(), rows)}
    assert name not in {f.name for f in run_builtin_checks(plan, relaxed, rows)}


@pytest.mark.parametrize("version", VERSIONS)
def test_misestimate_severity_follows_the_thresholds(version: str) -> None:
    plan, rows = fixture(version, "misestimate")  # 5 rows estimated, 5000 returned
    lenient = parse_thresholds({"misestimate_error": 10_000}, "w.yaml: checks")
    (finding,) = [f for f in run_builtin_checks(plan, lenient, rows) if f.name == "builtin.misestimate"]
    assert finding.severity == "warning" and "underestimate" in finding.detail


def _limit_over_scan(limit: bool) -> ExplainResult:
    scan = {"Node Type": "Seq Scan", "Relation Name": "t", "Plan Rows": 100000, "Actual Rows": 10,
            "Actual Loops": 1, "Parent Relationship": "Outer"}
    root = {"Node Type": "Limit", "Plan Rows": 10, "Actual Rows": 10, "Actual Loops": 1, "Plans": [scan]}
    return parse_explain([{"Plan": root if limit else scan}])


def test_a_limit_stopping_early_is_not_an_overestimate() -> None:
    names = {f.name for f in run_builtin_checks(_limit_over_scan(limit=True), CheckThresholds(), {})}
    assert "builtin.misestimate" not in names
    names = {f.name for f in run_builtin_checks(_limit_over_scan(limit=False), CheckThresholds(), {})}
    assert "builtin.misestimate" in names


def _run(*plans: ExplainResult, params: tuple[dict[str, Any], ...] = ()) -> QueryRun:
    return QueryRun(plans=plans, params=params or tuple({} for _ in plans), timings_ms=(1.0, 2.0, 30.0),
                    planning_ms=(0.1, 0.2))


# expectation -> (plan that passes, plan that fails)
EXPECTATIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"max_buffers": 10}, "clean_pk_lookup", "seq_scan"),
    ({"no_seq_scan": ["big"]}, "clean_pk_lookup", "seq_scan"),
    ({"no_seq_scan": True}, "clean_pk_lookup", "seq_scan"),
    ({"uses_index": "big_pkey"}, "clean_pk_lookup", "seq_scan"),
    ({"index_on": "big"}, "clean_pk_lookup", "seq_scan"),
    ({"index_only": True}, "clean_index_only", "clean_pk_lookup"),
    ({"max_rows_removed_ratio": 1}, "clean_pk_lookup", "rows_removed"),
    ({"no_disk_sort": True}, "memory_sort", "disk_sort"),
    ({"max_misestimate": 10}, "clean_pk_lookup", "misestimate"),
    ({"max_loops": 100}, "clean_hash_join", "nested_loop"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("expect", "good", "bad"), EXPECTATIONS, ids=lambda x: next(iter(x)) if isinstance(x, dict) else x)
def test_each_expectation_passes_and_fails(version: str, expect: dict[str, Any], good: str, bad: str) -> None:
    exp = parse_expectations(expect, "w.yaml:3: query 'q'")
    key = next(iter(expect))
    for case, should_pass in ((good, True), (bad, False)):
        plan, rows = fixture(version, case)
        (result,) = evaluate_expectations(exp, _run(plan), CheckThresholds(), rows)
        assert result.name == f"expect.{key}" and result.source == "expectation"
        assert result.passed is should_pass, (case, result.detail)
        assert result.severity == ("info" if should_pass else "error")
        if not should_pass and key not in ("max_buffers", "uses_index"):
            nodes = {n.path for n in plan.nodes()}
            assert result.node_path in nodes, (key, result.node_path)


@pytest.mark.parametrize(
    ("expect", "passes"),
    [
        ({"max_ms": 5}, True), ({"max_ms": 1}, False),
        ({"p95_ms": 50}, True), ({"p95_ms": 10}, False),
        ({"max_planning_ms": 1}, True), ({"max_planning_ms": 0.05}, False),
    ],
)
def test_time_expectations(expect: dict[str, Any], passes: bool) -> None:
    plan, rows = fixture("pg18", "clean_pk_lookup")
    (result,) = evaluate_expectations(parse_expectations(expect, "q"), _run(plan), CheckThresholds(), rows)
    assert result.passed is passes, result.detail


@pytest.mark.parametrize("version", VERSIONS)
def test_plan_stable_reports_the_values_that_flip_the_plan(version: str) -> None:
    common, rows = fixture(version, "skew_common")
    rare, _ = fixture(version, "skew_rare")
    exp = Expectations(plan_stable=True)
    (stable,) = evaluate_expectations(exp, _run(rare, rare), CheckThresholds(), rows)
    assert stable.passed
    flip = _run(common, common, rare, params=({"status": "common"}, {"status": "common"}, {"status": "rare"}))
    (result,) = evaluate_expectations(exp, flip, CheckThresholds(), rows)
    assert not result.passed and result.severity == "error"
    assert "status='rare'" in result.detail and "status='common'" in result.detail
    assert "Seq Scan on skewed" in result.detail and "skewed_status_idx" in result.detail
    assert result.node_path == "0"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"max_msec": 5}, "expect.max_msec: unknown expectation (did you mean 'max_ms'?)"),
        ({"max_ms": "fast"}, "expect.max_ms: expected int or float"),
        ({"max_ms": True}, "expect.max_ms: expected int or float"),
        ({"max_buffers": 1.5}, "expect.max_buffers: expected int"),
        ({"index_only": "yes"}, "expect.index_only: expected bool"),
        ({"no_seq_scan": [1, 2]}, "expect.no_seq_scan: a list of table names"),
        ({"no_seq_scan": []}, "expect.no_seq_scan: a list of table names"),
        ({"max_loops": -1}, "expect.max_loops: must not be negative"),
        (["max_ms"], "expect must be a mapping"),
    ],
)
def test_bad_expectations_name_the_query(raw: Any, message: str) -> None:
    with pytest.raises(WorkloadError) as info:
        parse_expectations(raw, "w.yaml:7: query 'q'")
    assert str(info.value).startswith("w.yaml:7: query 'q': ") and message in str(info.value)


def test_a_wrong_type_in_a_workload_file_names_file_line_and_query(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("name: x\nqueries:\n  - name: a\n    sql: SELECT 1\n  - name: b\n    sql: SELECT 2\n"
                    "    expect:\n      plan_stable: sometimes\n")
    with pytest.raises(WorkloadError) as info:
        load_workload(path)
    assert f"{path}:5: query 'b': expect.plan_stable: expected bool" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"seq_scan_rows": 5}, "checks.seq_scan_rows: unknown threshold (did you mean 'seq_scan_min_rows'?)"),
        ({"large_offset": "many"}, "checks.large_offset: expected a non-negative number"),
        ({"misestimate_warning": 5}, "misestimate_info <= misestimate_warning <= misestimate_error"),
        ({"removed_ratio_error": 2}, "removed_ratio_warning <= removed_ratio_error <= 1"),
    ],
)
def test_bad_thresholds(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkloadError) as info:
        parse_thresholds(raw, "w.yaml: checks")
    assert message in str(info.value)
