"""`pg-analyzer run` end to end through the CLI, in-process, against real servers."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from analyzer.cli import main
from analyzer.workload import load_workload

from ..conftest import WORKLOADS

PM = WORKLOADS / "project_management.yaml"
SCALE = 0.01
PLAN_NODE_TYPES = {
    "Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Limit", "Sort",
    "Hash Join", "Nested Loop", "Merge Join", "Aggregate", "Hash", "Result", "Incremental Sort", "Gather",
    "Memoize", "Materialize", "Subquery Scan", "Unique", "WindowAgg", "Append",
}


def _node_types(plan: dict) -> set[str]:
    types = {plan["Node Type"]}
    for child in plan.get("Plans", []):
        types |= _node_types(child)
    return types


@pytest.fixture(scope="module")
def seeded_run(tmp_path_factory: pytest.TempPathFactory, server_dsn: str, request: pytest.FixtureRequest):
    """One small-scale run into a fresh database, kept for the assertions below."""
    fresh = request.getfixturevalue("fresh_db_module")
    out = tmp_path_factory.mktemp("run")
    code = main(["run", str(PM), "--dsn", fresh, "--allow-ddl", "--allow-writes", "--scale", str(SCALE), "--out", str(out), "--quiet"])
    return code, out, fresh


def test_run_writes_a_report_with_every_query(seeded_run) -> None:
    code, out, _ = seeded_run
    assert code in (0, 1)
    report = json.loads((out / "report.json").read_text())
    declared = [q.name for q in load_workload(PM).queries]
    assert [q["name"] for q in report["queries"]] == declared
    assert report["server"]["version_num"] >= 130000
    for q in report["queries"]:
        assert q["error"] is None, q
        assert q["median_ms"] is not None and q["median_ms"] >= 0
        assert len(q["timings_ms"]) >= 3
        assert q["shared_hit"] + q["shared_read"] > 0
        root = q["plan"][0]["Plan"]
        assert _node_types(root) <= PLAN_NODE_TYPES | {"Bitmap Index Scan", "BitmapAnd", "BitmapOr", "CTE Scan", "SetOp", "GroupAggregate", "HashAggregate"}
        assert isinstance(q["checks"], list)
        for c in q["checks"]:
            assert {"name", "passed", "detail", "severity"} <= set(c)
    assert (out / "report.html").stat().st_size > 10_000
    assert code == (0 if report["passed"] else 1)


def test_seq_scan_expectation_fails_on_the_naive_schema(seeded_run) -> None:
    _, out, _ = seeded_run
    report = json.loads((out / "report.json").read_text())
    by_name = {q["name"]: q for q in report["queries"]}
    checks = {c["name"]: c for c in by_name["user_organizations"]["checks"]}
    # org_members has only its (org_id, user_id) key: a lookup by user_id cannot use it.
    assert checks["expect.no_seq_scan"]["passed"] is False
    assert "org_members" in checks["expect.no_seq_scan"]["detail"]


def test_seeded_rows_match_the_scale_and_keys_hold(seeded_run) -> None:
    _, _, dsn = seeded_run
    workload = load_workload(PM)
    with psycopg.connect(dsn) as conn:
        for name, rule in workload.tables.items():
            (count,) = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            assert count == max(1, round(rule.rows * SCALE)), name
        # FK constraints were re-created after the load, so they hold; check a few by hand too.
        (orphans,) = conn.execute(
            "SELECT count(*) FROM tasks t LEFT JOIN projects p ON p.id = t.project_id WHERE p.id IS NULL"
        ).fetchone()
        assert orphans == 0
        (bad_tenant,) = conn.execute(
            "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.org_id <> p.org_id"
        ).fetchone()
        assert bad_tenant == 0
        (deep,) = conn.execute(
            "SELECT count(*) FROM tasks c JOIN tasks p ON p.id = c.parent_id WHERE p.parent_id IS NOT NULL"
        ).fetchone()
        assert deep == 0
        (fks,) = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated").fetchone()
        assert fks >= 15


def test_run_on_the_embedded_default(tmp_path: Path) -> None:
    out = tmp_path / "r"
    code = main(["run", str(PM), "--scale", "0.005", "--out", str(out), "--quiet"])
    assert code in (0, 1)
    report = json.loads((out / "report.json").read_text())
    assert report["server"]["target"] == "embedded"
    assert len(report["queries"]) == len(load_workload(PM).queries)
