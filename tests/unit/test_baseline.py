"""Baselines and the CI outputs (JUnit validated against its schema, Markdown), on saved plans."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from analyzer.baseline import (
    Acceptance,
    BaselineError,
    apply_baseline,
    baseline_from_report,
    compare_with_baseline,
    load_baseline,
    parse_acceptance,
    save_baseline,
)
from analyzer.cli import main
from analyzer.plan import PlanNode, compare_plans
from analyzer.report.junit import render_junit
from analyzer.report.markdown import render_markdown
from analyzer.report.model import CheckOutcome, QueryReport, RunReport, ServerInfo, report_to_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
JUNIT_XSD = FIXTURES / "junit.xsd"


def raw_plan(version: str, case: str) -> Any:
    return json.loads((FIXTURES / "plans" / f"{version}_{case}.json").read_text())["explain"]


def query(name: str, case: str, median_ms: float = 0.5, version: str = "pg18", **kw: Any) -> QueryReport:
    plan = raw_plan(version, case)
    root = plan[0]["Plan"]
    return QueryReport(
        name=name, weight=1, sql="SELECT 1", params=({},), median_ms=median_ms, p95_ms=median_ms,
        timings_ms=(median_ms,), planning_ms=0.1, shared_hit=root.get("Shared Hit Blocks", 0),
        shared_read=root.get("Shared Read Blocks", 0), plan=plan, plans_by_params=(plan,), **kw,
    )


def report(*queries: QueryReport, version: str = "18.6") -> RunReport:
    return RunReport(
        workload="w", workload_path="w.yaml", run_id="abc", started_at="2026-01-02T03:04:05+00:00", duration_s=1.5,
        server=ServerInfo(version=version, version_num=180006, target="embedded", dsn_masked="x"), queries=queries,
    )


BEFORE = report(query("lookup", "clean_pk_lookup", 0.05), query("page", "large_offset"), query("skew", "skew_common"))


@pytest.mark.parametrize("version", ["pg15", "pg18"])
def test_an_index_lost_is_a_plan_buffers_and_time_regression(version: str) -> None:
    before = report(query("lookup", "clean_pk_lookup", 0.05, version))
    after = report(query("lookup", "seq_scan", 12.0, version))
    found = {r.kind: r for r in compare_with_baseline(after, baseline_from_report(before))}
    assert set(found) == {"plan", "buffers", "time"}
    assert "big: Index Scan (big_pkey) became Seq Scan" in found["plan"].detail
    assert "plan node 0" in found["plan"].detail
    assert not any(r.accepted for r in found.values())
    assert not apply_baseline(after, baseline_from_report(before)).passed


def test_an_improvement_is_a_note_not_a_regression() -> None:
    after = report(query("lookup", "clean_pk_lookup", 0.05), query("page", "large_offset"),
                   query("skew", "skew_rare"))
    base = baseline_from_report(BEFORE)
    assert compare_with_baseline(after, base) == ()
    applied = apply_baseline(after, base)
    assert applied.passed
    assert any("skew: skewed: Seq Scan became Index Scan" in n for n in applied.notes)


def test_a_query_gone_from_the_run_is_missing() -> None:
    after = report(query("lookup", "clean_pk_lookup", 0.05), query("skew", "skew_common"))
    (r,) = compare_with_baseline(after, baseline_from_report(BEFORE))
    assert (r.query, r.kind) == ("page", "missing")


def test_same_plans_and_figures_are_no_regression() -> None:
    assert compare_with_baseline(BEFORE, baseline_from_report(BEFORE)) == ()


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        (PlanNode("Index Only Scan", "0", relation="t", index_name="t_a"), PlanNode("Index Scan", "0", relation="t", index_name="t_a"), "index_only_lost"),
        (PlanNode("Bitmap Heap Scan", "0", relation="t"), PlanNode("Seq Scan", "0", relation="t"), "seq_scan"),
        (PlanNode("Hash Join", "0", join_type="Inner"), PlanNode("Nested Loop", "0", join_type="Inner"), "join_method"),
        (PlanNode("Seq Scan", "0", relation="t"), PlanNode("Sort", "0", children=(PlanNode("Seq Scan", "0.0", relation="t"),)), "sort_added"),
    ],
)
def test_worsening_plan_changes(old: PlanNode, new: PlanNode, kind: str) -> None:
    changes = compare_plans(old, new)
    assert kind in {c.kind for c in changes if c.worse}


def test_acceptance_from_the_command_line_and_the_baseline_file(tmp_path: Path) -> None:
    before = report(query("lookup", "clean_pk_lookup", 0.05))
    after = report(query("lookup", "seq_scan", 12.0))
    base = baseline_from_report(before)
    partly = apply_baseline(after, base, [parse_acceptance("lookup:plan")])
    assert {r.kind: r.accepted for r in partly.regressions} == {"plan": True, "buffers": False, "time": False}
    assert not partly.passed
    assert apply_baseline(after, base, [parse_acceptance("*:*")]).passed
    path = tmp_path / "b.json"
    data = {**json.loads(json.dumps(_saved(base, path))), "accept": [{"query": "look*", "kind": "*", "reason": "issue 12"}]}
    path.write_text(json.dumps(data))
    applied = apply_baseline(after, load_baseline(path))
    assert applied.passed and all(r.accepted and "issue 12" in r.detail for r in applied.regressions)


def _saved(base: Any, path: Path) -> dict[str, Any]:
    save_baseline(base, path)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_saved_baseline_is_compact_and_round_trips(tmp_path: Path) -> None:
    base = baseline_from_report(BEFORE)
    data = _saved(base, tmp_path / "b.json")
    assert data["format"] == "pg-analyzer-baseline" and data["version"] == 1
    assert set(data["queries"]["lookup"]) == {"plans", "buffers", "median_ms"}
    assert data["queries"]["lookup"]["plans"] == ["Index Scan|relation=big|index_name=big_pkey()"]
    assert load_baseline(tmp_path / "b.json") == base
    assert len((tmp_path / "b.json").read_text()) < 2000


def test_a_report_json_serves_as_baseline(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report_to_json(BEFORE)))
    assert load_baseline(path).queries == baseline_from_report(BEFORE).queries


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "neither a baseline"),
        ('{"format": "pg-analyzer-baseline", "version": 9}', "baseline version 9"),
        ('{"format": "pg-analyzer-baseline", "version": 1, "limits": {"buffer_factor": 2}}', "limits.buffer_factor: unknown"),
        ('{"format": "pg-analyzer-baseline", "version": 1, "accept": [{"query": "q", "kind": "speed"}]}', "unknown regression kind 'speed'"),
        ('{"format": "pg-analyzer-baseline", "version": 1, "queries": {"q": {"plans": ["Seq Scan("], "buffers": 1}}}', "queries.q"),
    ],
)
def test_bad_baseline_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text if text != "nope" else "{}")
    with pytest.raises(BaselineError) as info:
        load_baseline(path)
    assert message in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("text", ["lookup", ":plan", "lookup:fast"])
def test_bad_accept(text: str) -> None:
    with pytest.raises(BaselineError):
        parse_acceptance(text)


def test_acceptance_patterns() -> None:
    assert Acceptance("project_*", "plan").matches("project_tasks", "plan")
    assert not Acceptance("project_*", "plan").matches("project_tasks", "time")


def test_baseline_save_command(tmp_path: Path) -> None:
    rep = tmp_path / "report.json"
    rep.write_text(json.dumps(report_to_json(BEFORE)))
    out = tmp_path / "ci" / "w.baseline.json"
    assert main(["baseline", "save", str(rep), "-o", str(out), "--buffers-factor", "1.5"]) == 0
    assert json.loads(out.read_text())["limits"]["buffers_factor"] == 1.5
    assert main(["baseline", "save", str(rep), "-o", str(out)]) == 0  # hand-tuned limits are kept
    assert json.loads(out.read_text())["limits"]["buffers_factor"] == 1.5
    assert main(["baseline", "save", str(tmp_path / "missing.json"), "-o", str(out)]) == 2


def failing_report() -> RunReport:
    checks = (
        CheckOutcome("expect.no_seq_scan", False, "error", "Seq Scan on big: add an index <&> \"x\"", "0", "expectation"),
        CheckOutcome("builtin.rows_removed", False, "error", "Seq Scan on big removed 100%", "0"),
        CheckOutcome("builtin.seq_scan", False, "warning", "Seq Scan on big read 60,000 rows", "0"),
        CheckOutcome("expect.max_ms", True, "info", "median 1 ms (limit 5 ms)", None, "expectation"),
    )
    broken = dataclasses.replace(query("broken", "clean_pk_lookup"), error="canceling statement due to statement timeout")
    rep = report(query("lookup", "seq_scan", checks=checks), query("fine", "clean_pk_lookup"), broken)
    after = apply_baseline(rep, baseline_from_report(BEFORE), [parse_acceptance("*:missing")])
    return dataclasses.replace(after, notes=("a note",))


def test_junit_validates_against_the_schema_and_counts() -> None:
    xml = render_junit(failing_report())
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    schema.validate(xml)
    doc = schema.to_dict(xml)
    suite = doc["testsuite"][0]
    names = [c["@name"] for c in suite["testcase"]]
    assert names == ["lookup", "fine", "broken", "page", "skew"]  # one per query, then the baseline's missing ones
    lookup = suite["testcase"][0]
    failure_types = [f["@type"] for f in lookup["failure"]]
    assert failure_types[:2] == ["expect.no_seq_scan", "builtin.rows_removed"]
    assert "regression.plan" in failure_types and "regression.buffers" in failure_types
    assert "[warning] builtin.seq_scan" in lookup["system-out"][0]
    assert suite["@tests"] == 5 and suite["@failures"] == 1 and suite["@errors"] == 1


def test_junit_of_a_passing_run_validates() -> None:
    xml = render_junit(report(query("fine", "clean_pk_lookup")))
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(xml)
    assert 'failures="0"' in xml


def test_markdown_summary_lists_failures_and_regressions() -> None:
    md = render_markdown(failing_report())
    assert md.startswith("## pg-analyzer: `w` ❌ failed (")
    assert "| `lookup` |" in md and "`expect.no_seq_scan`" in md
    assert "### Failed checks" in md and "(plan node `0`)" in md
    assert "### Regressions against the baseline" in md
    assert "| `lookup` | plan | ❌ regression | big: Index Scan (big_pkey) became Seq Scan" in md
    assert "| `page` | missing | accepted |" in md
