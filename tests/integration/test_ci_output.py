"""`pg-analyzer run` as CI runs it: output redirected to a file, on GitHub Actions (simulated by its env vars).

The log must say what runs while it runs (a line at least every 10 s of wall time during
replay and the advisor), never cut a figure with "…", and lay tables out wider than 80
columns. On GitHub Actions the job summary and `::error` annotations are written too.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from analyzer.workload import load_workload

from ..conftest import ROOT, WORKLOADS

PM = WORKLOADS / "project_management.yaml"
STAMP = re.compile(r"^\[(\d\d):(\d\d)\] (.*)$")


def test_a_redirected_run_logs_progress_full_width_and_writes_github_files(fresh_db: str, tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(PYTHONPATH=str(ROOT), GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    log = tmp_path / "run.log"
    with log.open("w") as f:
        code = subprocess.run(
            [sys.executable, "-m", "analyzer", "run", str(PM), "--dsn", fresh_db, "--allow-ddl", "--scale", "0.01",
             "--out", str(tmp_path / "out")],
            stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=900, check=False,
        ).returncode
    text = log.read_text()
    assert code == 1, text  # the naive schema fails its checks: exit 1, and the files below say why
    lines = text.splitlines()

    stamped = [(int(m[1]) * 60 + int(m[2]), m[3]) for m in map(STAMP.match, lines) if m]
    assert any(t.startswith("replay 3/") and ": " in t and "sets" in t for _, t in stamped)
    assert any(t.startswith("advisor: proving 1/") for _, t in stamped)
    first = next(s for s, t in stamped if t.startswith("replay:"))
    last = max(s for s, t in stamped if t.startswith("advisor"))
    during = [s for s, _ in stamped if first <= s <= last]
    assert max(b - a for a, b in itertools.pairwise(during)) <= 10, text

    assert "…" not in text
    assert max(len(ln) for ln in lines if "│" in ln) > 80  # the query table uses the width
    assert "next: apply indexes.sql" in text
    assert f"indexes.sql: {tmp_path / 'out' / 'indexes.sql'}" in text

    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["server"]["settings"]["jit"] == "off"  # what replay ran with, not the server's default
    assert report["server"]["settings"]["max_parallel_workers_per_gather"] == "0"

    assert summary.read_text().startswith("## pg-analyzer: `project_management`")
    assert "**Next:** apply `indexes.sql`" in summary.read_text()
    workload = load_workload(PM)
    line_of = {q.name: q.line for q in workload.queries}
    annotations = [ln for ln in lines if ln.startswith("::error ")]
    assert annotations
    for annotation in annotations:
        m = re.match(r"::error file=([^,]+),line=(\d+),title=pg-analyzer%3A (\w+)::.+", annotation)
        assert m, annotation
        assert m[1] == str(PM) and int(m[2]) == line_of[m[3]]


def test_check_with_dsn_resolves_names_against_the_live_catalog(fresh_db: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A workload without DDL (seed: false) is checked against the tables the database holds."""
    from analyzer.cli import main

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text, published_at timestamptz)")
    path = tmp_path / "w.yaml"
    path.write_text("name: live\nseed: false\nqueries:\n  - name: recent\n"
                    "    sql: SELECT id FROM posts ORDER BY publishd_at DESC LIMIT 5\n")
    assert main(["check", str(path)]) == 0  # no DDL and no server: only the syntax can be checked
    assert main(["check", str(path), "--dsn", fresh_db]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5: query 'recent': column \"publishd_at\" does not exist" in out
    assert 'Perhaps you meant to reference the column "posts.published_at"' in out
    assert "against the --dsn catalog" in out


def test_check_with_dsn_sees_every_schema_and_the_search_path(fresh_db: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Tables outside public are checked too: named `schema.table`, or bare when the database's
    search_path reaches them (as PostgreSQL resolves the statement when the query runs)."""
    from analyzer.cli import main

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales; CREATE TABLE sales.orders (id bigint PRIMARY KEY, status text)")
        dbname = conn.info.dbname
    path = tmp_path / "w.yaml"
    path.write_text("name: live\nseed: false\nqueries:\n"
                    "  - name: qualified\n    sql: SELECT id FROM sales.orders WHERE statuz = 'open'\n"
                    "  - name: bare\n    sql: SELECT id FROM orders WHERE status = 'open'\n")
    assert main(["check", str(path), "--dsn", fresh_db]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5: query 'qualified': column \"statuz\" does not exist" in out
    assert f"{path}:7: query 'bare': relation \"orders\" does not exist" in out  # sales is not on the path

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path = sales, public").format(sql.Identifier(dbname)))
    assert main(["check", str(path), "--dsn", fresh_db]) == 1
    out = capsys.readouterr().out
    assert "'qualified': column \"statuz\"" in out
    assert "'bare'" not in out
