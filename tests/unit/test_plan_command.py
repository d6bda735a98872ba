"""`pg-analyzer plan FILE...` in-process: exit codes, the printed findings, --json, --html, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main

EXTERNAL = Path(__file__).resolve().parent.parent / "fixtures" / "external"
PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"

PLAN_KEYS = {"file", "execution_ms", "planning_ms", "nodes", "findings"}
NODE_KEYS = {"path", "node_type", "relation", "index", "inclusive_ms", "exclusive_ms", "loops", "rows", "plan_rows"}
FINDING_KEYS = {"name", "severity", "node_path", "detail"}


def _saved_explain(tmp_path: Path, case: str) -> Path:
    """A tests/fixtures/plans capture, as the bare EXPLAIN JSON a user would paste."""
    data = json.loads((PLANS / f"pg18_{case}.json").read_text())
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps(data["explain"]))
    return path


def test_findings_are_printed_per_node_and_an_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(_saved_explain(tmp_path, "rows_removed"))])
    out = capsys.readouterr().out
    assert code == 1
    assert "error" in out and "0.0" in out and "builtin.rows_removed" in out and "an index" in out


def test_warnings_only_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXTERNAL / "pev2_parallel_durations.json")]) == 0
    out = capsys.readouterr().out
    assert "warning" in out and "builtin.disk_sort" in out and "execution 4,225.445 ms" in out


def test_json_has_exactly_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    files = [EXTERNAL / "pev2_parallel_durations.json", EXTERNAL / "pev2_psql_frame_unicode.plan"]
    assert main(["plan", "--json", *map(str, files)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"plans"} and [p["file"] for p in doc["plans"]] == [str(f) for f in files]
    for p in doc["plans"]:
        assert set(p) == PLAN_KEYS
        assert all(set(n) == NODE_KEYS for n in p["nodes"]) and all(set(f) == FINDING_KEYS for f in p["findings"])
    scan = next(n for n in doc["plans"][0]["nodes"] if n["node_type"] == "Seq Scan")
    assert scan["exclusive_ms"] == pytest.approx(400.681) and scan["loops"] == 3 and scan["relation"] == "t1"
    assert {f["name"] for f in doc["plans"][1]["findings"]} >= {"builtin.rows_removed"}


def test_html_renders_the_plan_tree_with_its_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plans.html"
    main(["plan", str(EXTERNAL / "joe_pg17_hashagg_spill.json"), "--html", str(out), "--quiet"])
    html = out.read_text()
    assert 'class="tree root"' in html and "Seq Scan on items" in html
    assert "hashagg_spill" in html and "flagged sev-warning" in html


@pytest.mark.parametrize(("name", "root"), [
    ("pev2_psql_frame_unicode.plan", "Nested Loop"), ("pev2_psql_frame_ascii.plan", "Nested Loop"),
    ("pev2_pgadmin_quoted.txt", "ModifyTable"), ("pev2_psql_session.txt", "Seq Scan"),
])
def test_plans_pasted_from_psql_and_pgadmin(name: str, root: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--json", str(EXTERNAL / name)]) in (0, 1)
    (plan,) = json.loads(capsys.readouterr().out)["plans"]
    assert plan["nodes"][0]["node_type"] == root


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("", "the file is empty"),
        ('{"not": "a plan"}', "no 'Plan'"),
        ("Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4) (actual time=0.01..0.02 rows=0 loops=1)",
         "text-format plan"),
        ("hello", "no EXPLAIN (FORMAT JSON) output found"),
        ('[{"Plan": {"Node Type": "Seq Scan", "Actual Rows": "many"}}]', "malformed node"),
        ('[{"Plan": ' + '{"Node Type": "Result", "Plans": [' * 3000 + "{}" + "]}" * 3000 + "}]", "nested too deeply"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["missing", "empty", "not-a-plan", "text-format", "no-json", "malformed", "deep-plan", "deep-json"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          content: str | None, message: str) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and str(path) in err and "\n" not in err
