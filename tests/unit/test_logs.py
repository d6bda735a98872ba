"""Output for logs and CI: plain progress lines with a heartbeat, full-width tables, GitHub Actions' files."""

from __future__ import annotations

import io
import json
from pathlib import Path

from analyzer.report.logs import LineReporter, error_annotations, output_width, write_step_summary
from analyzer.report.model import report_from_json

ROOT = Path(__file__).resolve().parents[2]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_each_step_is_one_complete_line() -> None:
    out, clock = io.StringIO(), _Clock()
    reporter = LineReporter(out, heartbeat_s=0, clock=clock)
    reporter.start("replay", 14)
    reporter.detail("replay 3/14 task_detail: 5 sets")
    reporter.advance(14)
    clock.now = 12.5
    reporter.finish()
    lines = out.getvalue().splitlines()
    assert lines == ["[00:00] replay: 14 to do", "[00:00] replay 3/14 task_detail: 5 sets",
                     "[00:12] replay: done, 14 in 12.5 s"]


def test_a_quiet_phase_gets_a_heartbeat_line_saying_what_runs() -> None:
    out, clock = io.StringIO(), _Clock()
    reporter = LineReporter(out, heartbeat_s=5, clock=clock)
    reporter._ensure_heartbeat = lambda: None  # type: ignore[method-assign]  # driven by hand below
    reporter.start("advisor: choose the set", 25)
    reporter.detail("advisor: considering tasks(title) with 3 chosen so far")
    reporter.advance(3)
    clock.now = 4.0
    assert reporter.heartbeat() is None
    clock.now = 6.0
    line = reporter.heartbeat()
    assert line == ("still running: advisor: considering tasks(title) with 3 chosen so far; "
                    "advisor: choose the set 3/25 (12%), 6 s")


def test_the_heartbeat_thread_prints_while_nothing_else_does() -> None:
    import time

    out = io.StringIO()
    reporter = LineReporter(out, heartbeat_s=0.2)
    reporter.message("validating foreign keys")
    time.sleep(0.7)
    reporter.close()
    assert "still running: validating foreign keys" in out.getvalue()


def test_logs_get_160_columns_unless_columns_says_otherwise() -> None:
    assert output_width(is_terminal=False, environ={}) == 160
    assert output_width(is_terminal=False, environ={"COLUMNS": "200"}) == 200
    assert output_width(is_terminal=True, environ={}) is None


def test_github_annotations_point_at_the_query_line_and_escape(tmp_path: Path) -> None:
    report = report_from_json(json.loads((ROOT / "tests/fixtures/reports/sample_report.json").read_text()))
    lines = list(error_annotations(report, {"project_tasks_by_status": 127}))
    first = lines[0]
    assert first.startswith("::error file=workloads/project_management.yaml,line=127,"
                            "title=pg-analyzer%3A project_tasks_by_status::")
    assert "\n" not in first
    assert len(lines) == len(report.failed_queries)
    summary = tmp_path / "summary.md"
    assert write_step_summary("## hello", {"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    write_step_summary("## again", {"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text() == "## hello\n\n## again\n\n"
