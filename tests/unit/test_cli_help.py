"""`--help` says what the exit codes mean and where the docs are; each command offers only what it uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cli import build_parser, main


def _help(*argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def test_top_level_help_names_exit_codes_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys=capsys)
    assert "exit codes:" in text and "130" in text and "docs/workload-format.md" in text and "check" in text


def test_seed_offers_no_option_that_does_nothing_for_seeding(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help("seed", capsys=capsys)
    assert "--allow-writes" not in text and "--allow-ddl" in text
    assert "--scratch" not in text or "with --explain" in text  # offered only for what it does for seed


def test_overhead_says_where_results_go_and_advise_its_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--out" in _help("overhead", capsys=capsys) and "overhead.json" in _help("overhead", capsys=capsys)
    assert "Exit 0 when the advice was produced" in " ".join(_help("advise", capsys=capsys).split())


def test_every_subcommand_parses() -> None:
    parser = build_parser()
    assert parser.parse_args(["check", "w.yaml"]).command == "check"
    assert parser.parse_args(["run", "w.yaml", "--print-sql"]).print_sql


def test_indexes_sql_path_and_statements_print_unwrapped(tmp_path: Path) -> None:
    import io
    import json

    from rich.console import Console

    from analyzer.cli import _print_outputs
    from analyzer.outputs import write_outputs
    from analyzer.report.model import report_from_json

    sample = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "sample_report.json"
    report = report_from_json(json.loads(sample.read_text()))
    written = write_outputs(report, tmp_path)
    buffer = io.StringIO()
    _print_outputs(report, written, Console(file=buffer, width=60, color_system=None), print_sql=True)
    text = buffer.getvalue()
    assert f"indexes.sql: {tmp_path / 'indexes.sql'} (6 statements" in text
    name = next(r.name for r in report.recommendations if r.chosen)
    (statement,) = [ln for ln in text.splitlines() if ln.startswith(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ")]
    assert statement.endswith(";") and len(statement) > 60  # one line, wider than the console: copies as it is
