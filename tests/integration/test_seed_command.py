"""`pg-analyzer seed` in-process: refuses tables that hold rows unless --append/--replace; bad rules exit 2."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from analyzer.cli import main

from ..conftest import WORKLOADS

PM = WORKLOADS / "project_management.yaml"


def _seed(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["seed", *args, "--quiet"])
    return code, capsys.readouterr().err.strip()


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("organizations", "tasks", "task_labels")}


def test_seed_refuses_rows_unless_append_or_replace(fresh_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = [str(PM), "--dsn", fresh_db, "--scale", "0.002"]
    code, err = _seed(capsys, *base, "--allow-ddl")
    assert code == 0, err
    first = _counts(fresh_db)
    assert first == {"organizations": 4, "tasks": 2000, "task_labels": 1200}

    code, err = _seed(capsys, *base)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "already hold rows" in lines[0] and "--append" in lines[0] and "--replace" in lines[0]
    assert _counts(fresh_db) == first

    code, err = _seed(capsys, *base, "--replace")
    assert code == 0, err
    assert _counts(fresh_db) == first

    code, err = _seed(capsys, *base, "--append")
    assert code == 0, err
    assert _counts(fresh_db) == {t: 2 * n for t, n in first.items()}
    with psycopg.connect(fresh_db) as conn:  # the appended ids continue after the first ones
        assert conn.execute("SELECT count(DISTINCT id), max(id) FROM tasks").fetchone() == (4000, 4000)


def test_a_bad_rule_is_one_line_and_exit_2(tmp_path: Path, embedded_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        "name: bad\n"
        "schema: |\n  CREATE TABLE people (id bigint PRIMARY KEY, email text NOT NULL);\n"
        "tables:\n  people:\n    rows: 10\n    columns:\n      email: {faker: emial}\n"
        "queries:\n  - {name: q, sql: SELECT 1}\n"
    )
    code, err = _seed(capsys, str(path), "--dsn", embedded_dsn)  # caught by the check, before any connection
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert "tables.people.columns.email" in lines[0] and "emial" in lines[0] and "email" in lines[0]
