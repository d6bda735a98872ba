"""Targets and what a run may do on them: a Docker container (or one clear line without an engine),
data-modifying queries refused on --dsn unless --allow-writes, and a read-only role told what it cannot do."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.cli import main
from analyzer.containers import docker_unavailable_reason

from ..conftest import WORKLOADS

NOTES = """\
name: notes
schema: |
  CREATE TABLE notes (id bigint PRIMARY KEY, owner_id int NOT NULL, body text NOT NULL);
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 2}
tables:
  notes:
    rows: 20000
    columns:
      owner_id: {int: {min: 1, max: 2000}}
      body: {text: sentence}
queries:
  - name: notes_of_owner
    sql: SELECT id, body FROM notes WHERE owner_id = :owner ORDER BY id DESC LIMIT 10
    params:
      owner: {sample: notes.owner_id}
  - name: touch_note
    modifies_data: true
    sql: UPDATE notes SET body = body || '!' WHERE id = :id
    params:
      id: {sample: notes.id}
"""


def _state(dsn: str) -> tuple[Any, ...]:
    with psycopg.connect(dsn) as conn:
        checksum = conn.execute("SELECT md5(string_agg(id::text || body, ',' ORDER BY id)) FROM notes").fetchone()
        objects = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()
    return checksum, objects


def _seeded(tmp_path: Path, dsn: str) -> Path:
    workload = tmp_path / "notes.yaml"
    workload.write_text(NOTES)
    assert main(["seed", str(workload), "--dsn", dsn, "--allow-ddl", "--quiet"]) == 0
    return workload


def _report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text())
    return data


def test_docker_target_without_an_engine_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    if docker_unavailable_reason() is None:
        pytest.skip("a Docker engine answers here: the container test below covers this target")
    code = main(["run", str(WORKLOADS / "project_management.yaml"), "--target", "docker", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "no Docker engine" in err and "--dsn" in err and "embedded" in err


def test_docker_target_runs_the_workload_in_a_container(tmp_path: Path) -> None:
    reason = docker_unavailable_reason()
    if reason is not None:
        pytest.skip(f"needs a Docker engine: {reason}; the same run is tested on the embedded and Debian servers")
    out = tmp_path / "out"
    code = main(["run", str(WORKLOADS / "project_management.yaml"), "--target", "docker", "--scale", "0.005",
                 "--no-advise", "--out", str(out), "--quiet"])
    assert code in (0, 1)
    assert _report(out)["server"]["target"] == "docker"


def test_a_query_that_modifies_data_is_not_run_without_allow_writes(tmp_path: Path, fresh_db: str) -> None:
    workload = _seeded(tmp_path, fresh_db)
    before = _state(fresh_db)
    out = tmp_path / "refused"
    assert main(["run", str(workload), "--dsn", fresh_db, "--no-advise", "--out", str(out), "--quiet"]) == 1
    by_name = {q["name"]: q for q in _report(out)["queries"]}
    assert "without --allow-writes" in by_name["touch_note"]["error"]
    assert by_name["touch_note"]["timings_ms"] == []
    assert by_name["notes_of_owner"]["error"] is None
    assert _state(fresh_db) == before

    out = tmp_path / "allowed"
    main(["run", str(workload), "--dsn", fresh_db, "--allow-writes", "--no-advise", "--out", str(out), "--quiet"])
    touched = {q["name"]: q for q in _report(out)["queries"]}["touch_note"]
    assert touched["error"] is None and touched["modifies_data"] and len(touched["timings_ms"]) >= 3
    assert _state(fresh_db) == before  # every run was rolled back


def test_a_read_only_role_is_told_what_it_cannot_do(tmp_path: Path, fresh_db: str) -> None:
    workload = _seeded(tmp_path, fresh_db)
    role, password = f"pga_ro_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(fresh_db, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        admin.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    try:
        ro_dsn = pg_conninfo.make_conninfo(fresh_db, user=role, password=password)
        before = _state(fresh_db)
        out = tmp_path / "ro"
        code = main(["run", str(workload), "--dsn", ro_dsn, "--allow-ddl", "--out", str(out), "--quiet"])
        assert code in (0, 1)
        report = _report(out)
        notes = " ".join(report["notes"])
        assert f"role {role} can EXPLAIN ANALYZE" in notes and "cannot create tables or indexes" in notes
        assert report["recommendations"] and not any(r["proven"] for r in report["recommendations"])
        assert {q["name"]: q for q in report["queries"]}["notes_of_owner"]["error"] is None
        assert _state(fresh_db) == before
        assert password not in (out / "report.json").read_text()
    finally:
        with psycopg.connect(fresh_db, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
