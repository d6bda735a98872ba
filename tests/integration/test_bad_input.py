"""Bad input gives exit 2 and one line naming the problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cli import main

SCHEMA = "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);"


def _workload(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(body)
    return path


def _good(sql: str) -> str:
    return f"""name: tiny
schema: |
  {SCHEMA}
tables:
  items:
    rows: 50
queries:
  - name: q1
    sql: {sql}
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["run", *args, "--quiet"])
    captured = capsys.readouterr()
    return code, captured.err.strip()


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_malformed_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path, "name: x\nqueries: [\n  - name: a\n")
    code, err = _run(capsys, str(path))
    assert code == 2
    line = _one_line(err)
    assert "w.yaml" in line and "malformed YAML" in line


def test_unknown_key_names_the_line_and_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path, _good("SELECT 1") + "    wieght: 3\n")
    code, err = _run(capsys, str(path))
    assert code == 2
    line = _one_line(err)
    assert "w.yaml:10" in line and "wieght" in line and "weight" in line


def test_sql_syntax_error_names_the_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path, _good("SELEC id FROM items"))
    code, err = _run(capsys, str(path))
    assert code == 2
    line = _one_line(err)
    assert "q1" in line and "syntax error" in line


def test_unknown_table_names_the_query(tmp_path: Path, capsys: pytest.CaptureFixture[str], embedded_dsn: str) -> None:
    path = _workload(tmp_path, _good("SELECT id FROM itemz"))
    code, err = _run(capsys, str(path), "--dsn", embedded_dsn, "--scratch")
    assert code == 2
    line = _one_line(err)
    assert "q1" in line and "itemz" in line


def test_unreachable_dsn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path, _good("SELECT 1"))
    code, err = _run(capsys, str(path), "--dsn", "host=127.0.0.1 port=1 user=u password=hunter2secret dbname=x")
    assert code == 2
    line = _one_line(err)
    assert "cannot connect" in line and "port=1" in line
    assert "hunter2secret" not in err


def test_missing_workload_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such workload file" in _one_line(err)
