"""`--help` says what the exit codes mean and where the docs are; each command offers only what it uses."""

from __future__ import annotations

import pytest

from analyzer.cli import build_parser, main


def _help(*argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return capsys.readouterr().out


def test_top_level_help_names_exit_codes_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys=capsys)
    assert "exit codes:" in text and "130" in text and "docs/workload-format.md" in text and "check" in text


def test_seed_offers_no_option_that_does_nothing_for_seeding(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help("seed", capsys=capsys)
    assert "--allow-writes" not in text and "--scratch" not in text and "--allow-ddl" in text


def test_overhead_says_where_results_go_and_advise_its_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--out" in _help("overhead", capsys=capsys) and "overhead.json" in _help("overhead", capsys=capsys)
    assert "Exit 0 when the advice was produced" in " ".join(_help("advise", capsys=capsys).split())


def test_every_subcommand_parses() -> None:
    parser = build_parser()
    assert parser.parse_args(["check", "w.yaml"]).command == "check"
    assert parser.parse_args(["run", "w.yaml", "--print-sql"]).print_sql
