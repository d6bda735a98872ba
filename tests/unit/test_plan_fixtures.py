"""The typed plan tree and the report model on saved EXPLAIN output of PostgreSQL 15 and 18.

The fixtures are the representative plans of every project-management query, captured by
`pg-analyzer run workloads/project_management.yaml --scale 0.02` on each server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.plan import SCAN_TYPES, parse_explain, plan_shape
from analyzer.report.model import (
    CheckOutcome,
    QueryReport,
    RunReport,
    ServerInfo,
    report_from_json,
    report_to_json,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "explain"
VERSIONS = ["pg15", "pg18"]


def _fixture(version: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{version}_project_management.json").read_text())
    return data


def _cases() -> list[tuple[str, str, Any]]:
    return [(v, p["query"], p["explain"]) for v in VERSIONS for p in _fixture(v)["plans"]]


@pytest.mark.parametrize(("version", "query", "explain"), _cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_saved_plan_parses_into_a_consistent_tree(version: str, query: str, explain: Any) -> None:
    plan = parse_explain(explain)
    raw_root = explain[0]["Plan"]
    assert plan.root.node_type == raw_root["Node Type"]
    assert plan.execution_ms is not None and plan.execution_ms >= 0
    assert plan.planning_ms is not None
    nodes = list(plan.nodes())
    assert len(nodes) == _count_raw(raw_root)
    assert len({n.path for n in nodes}) == len(nodes)  # paths are unique: checks point at them
    for node in nodes:
        assert node.actual_loops is not None and node.actual_rows is not None
        if node.inclusive_ms is not None:
            assert node.exclusive_ms is not None and 0 <= node.exclusive_ms <= node.inclusive_ms + 1e-6
        if node.is_scan and node.node_type not in ("Subquery Scan", "CTE Scan", "Function Scan"):
            assert node.relation, f"{query}: scan without relation at {node.path}"
    assert plan.total_buffers.total_shared == raw_root.get("Shared Hit Blocks", 0) + raw_root.get("Shared Read Blocks", 0)
    assert plan.relations  # every workload query reads a table


def _count_raw(node: dict[str, Any]) -> int:
    return 1 + sum(_count_raw(c) for c in node.get("Plans", []))


@pytest.mark.parametrize("version", VERSIONS)
def test_the_naive_schema_shows_seq_scans_on_tasks(version: str) -> None:
    by_query = {p["query"]: parse_explain(p["explain"]) for p in _fixture(version)["plans"]}
    scans = {n.node_type for n in by_query["dashboard_status_counts"].nodes() if n.relation == "tasks"}
    assert scans & SCAN_TYPES
    assert "Seq Scan" in scans  # no index on tasks.org_id in the naive schema
    lookup = by_query["task_detail"]
    assert any(n.index_name == "tasks_pkey" for n in lookup.nodes())


def test_postgres_18_reports_fractional_rows_and_15_does_not() -> None:
    def rows(version: str) -> list[Any]:
        out: list[Any] = []
        for p in _fixture(version)["plans"]:
            stack = [p["explain"][0]["Plan"]]
            while stack:
                n = stack.pop()
                out.append(n["Actual Rows"])
                stack.extend(n.get("Plans", []))
        return out

    assert all(isinstance(r, int) for r in rows("pg15"))
    assert any(isinstance(r, float) for r in rows("pg18"))
    assert _fixture("pg15")["server_version_num"] // 10000 == 15
    assert _fixture("pg18")["server_version_num"] // 10000 == 18


def test_plan_shape_ignores_figures_but_not_structure() -> None:
    explain = _fixture("pg18")["plans"][0]["explain"]
    changed = json.loads(json.dumps(explain))
    changed[0]["Plan"]["Actual Total Time"] = 999.0
    changed[0]["Plan"]["Plan Rows"] = 1
    assert plan_shape(parse_explain(explain)) == plan_shape(parse_explain(changed))
    changed[0]["Plan"]["Node Type"] = "Something Else"
    assert plan_shape(parse_explain(explain)) != plan_shape(parse_explain(changed))


@pytest.mark.parametrize("version", VERSIONS)
def test_report_model_round_trips_through_json(version: str) -> None:
    fixture = _fixture(version)
    queries = []
    for i, p in enumerate(fixture["plans"]):
        plan = parse_explain(p["explain"])
        queries.append(QueryReport(
            name=p["query"], weight=float(i + 1), sql="SELECT 1", params=({"x": i},), median_ms=plan.execution_ms,
            p95_ms=plan.execution_ms, timings_ms=(plan.execution_ms or 0.0,), planning_ms=plan.planning_ms,
            shared_hit=plan.total_buffers.shared_hit, shared_read=plan.total_buffers.shared_read, plan=p["explain"],
            checks=(CheckOutcome("expect.max_ms", i % 2 == 0, "error", "detail", plan.root.path, "expect"),),
        ))
    report = RunReport(
        workload="project_management", workload_path="workloads/project_management.yaml", run_id="r1",
        started_at="2026-11-23T00:00:00+00:00", duration_s=1.0,
        server=ServerInfo(version=fixture["server_version"], version_num=fixture["server_version_num"],
                          target="dsn", dsn_masked="host=x password=***", settings={"jit": "off"}),
        queries=tuple(queries),
    )
    data = report_to_json(report)
    again = report_from_json(json.loads(json.dumps(data)))
    assert again == report
    assert data["passed"] is False and not again.passed
    assert [q.name for q in again.failed_queries] == [q.name for q in queries if not q.checks[0].passed]
    expected_weighted = sum(q.weight * (q.median_ms or 0) for q in queries) / sum(q.weight for q in queries)
    assert again.weighted_ms == pytest.approx(expected_weighted)
