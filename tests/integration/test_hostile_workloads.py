"""Hostile workloads against a real, populated database: the canary table must survive.

Each workload of the holes once found (several statements in one sql, a parameter source that
deletes, a `where:` that closes its parenthesis, a bare TRUNCATE, a schema that creates a role)
and a few more is run with no flags against `--dsn`. The run must exit 2 with one line, and the
database must be as it was: rows, relations, sequences, roles, a checksum of every table.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.cli import main

SETUP = """
CREATE TABLE items (id serial PRIMARY KEY, owner_id int NOT NULL, title text NOT NULL);
INSERT INTO items (owner_id, title) SELECT g % 50, 'item ' || g FROM generate_series(1, 2000) g;
CREATE TABLE canary (id int PRIMARY KEY, note text);
INSERT INTO canary VALUES (1, 'must survive');
ANALYZE items;
"""

QUERY = "SELECT id, title FROM items WHERE owner_id = :owner ORDER BY id LIMIT 10"

HOSTILE = {
    "several_statements": {"sql": "SELECT count(*) FROM items; COMMIT; DROP TABLE canary"},
    "sql_source_deletes": {"sql": QUERY, "params": {"owner": {"sql": "DELETE FROM items WHERE id > 100 RETURNING id"}}},
    "where_escapes": {"sql": QUERY, "params": {"owner": {
        "sample": "items.owner_id", "where": "true) LIMIT 1; COMMIT; DROP TABLE canary; SELECT (1"}}},
    "bare_truncate": {"sql": "TRUNCATE canary"},
    "drop_in_cte": {"sql": "WITH x AS (DELETE FROM canary RETURNING 1) SELECT count(*) FROM x"},
    "kills_sessions": {"sql": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"},
    "resets_stats": {"sql": "SELECT pg_stat_reset()"},
}


@pytest.fixture
def populated(fresh_db: str) -> str:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SETUP)
    return fresh_db


def _state(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {
            "relations": conn.execute(
                "SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"
            ).fetchall(),
            "items": conn.execute("SELECT count(*), md5(string_agg(id || title, ',' ORDER BY id)) FROM items").fetchone(),
            "canary": conn.execute("SELECT * FROM canary").fetchall(),
            "sequence": conn.execute("SELECT last_value, is_called FROM items_id_seq").fetchone(),
            "roles": conn.execute("SELECT rolname FROM pg_roles ORDER BY 1").fetchall(),
        }


def _workload(tmp_path: Path, queries: list[dict[str, Any]], extra: str = "") -> Path:
    import yaml

    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump({"name": "hostile", "seed": False, "queries": queries}) + extra)
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_workload_changes_nothing(
    populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    before = _state(populated)
    path = _workload(tmp_path, [{"name": case, **HOSTILE[case]}])
    code = main(["run", str(path), "--dsn", populated, "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and f"query '{case}'" in err
    assert _state(populated) == before


def test_a_schema_creating_a_role_is_refused_before_the_scratch_database(
    populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"pga_intruder_{uuid.uuid4().hex[:6]}"
    path = tmp_path / "role.yaml"
    path.write_text(
        f"name: role\nschema: |\n  CREATE TABLE t (id int);\n  CREATE ROLE {role} LOGIN SUPERUSER;\n"
        "queries: [{name: q, sql: SELECT 1}]\n"
    )
    before = _state(populated)
    assert main(["run", str(path), "--dsn", populated, "--scratch", "-q"]) == 2
    err = capsys.readouterr().err
    assert "CREATE ROLE" in err and f"{path}:4" in err  # the line of CREATE ROLE in the file
    assert _state(populated) == before
    with psycopg.connect(populated) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (0,)
        scratch = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'pg\\_analyzer\\_scratch\\_%'")
        assert scratch.fetchone() == (0,)


def test_a_legitimate_filter_and_sql_source_run_read_only(
    populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(populated)
    queries = [
        {"name": "by_owner", "sql": QUERY, "params": {"owner": {"sample": "items.owner_id", "where": "owner_id < 10"}}},
        {"name": "by_sql", "sql": QUERY, "params": {"owner": {"sql": "SELECT DISTINCT owner_id FROM items"}}},
    ]
    out = tmp_path / "ok"
    code = main(["run", str(_workload(tmp_path, queries)), "--dsn", populated, "--out", str(out), "-q"])
    assert code in (0, 1), capsys.readouterr().err
    import json

    report = json.loads((out / "report.json").read_text())
    by_name = {q["name"]: q for q in report["queries"]}
    assert all(q["error"] is None for q in by_name.values())
    assert all(p["owner"] < 10 for p in by_name["by_owner"]["params"])
    assert _state(populated) == before


def test_an_invalid_session_setting_is_one_line(
    populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _workload(tmp_path, [{"name": "q", "sql": "SELECT 1"}], "replay:\n  settings: {work_mem: lots}\n")
    assert main(["run", str(path), "--dsn", populated, "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "work_mem" in err and "lots" in err and str(path) in err


def _role(dsn: str, *grants: str, settings: str = "") -> tuple[str, str]:
    role, password = f"pga_role_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        for grant in grants:
            admin.execute(sql.SQL(grant).format(sql.Identifier(role)))
        if settings:
            admin.execute(sql.SQL("ALTER ROLE {} SET " + settings).format(sql.Identifier(role)))
    return role, pg_conninfo.make_conninfo(dsn, user=role, password=password)


def _drop_role(dsn: str, role: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_role_that_cannot_read_is_told_up_front(
    populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role, dsn = _role(populated)
    try:
        path = _workload(tmp_path, [{"name": "q", "sql": QUERY, "params": {"owner": 1}}])
        assert main(["run", str(path), "--dsn", dsn, "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert f"role {role} may not SELECT from items" in err and "GRANT SELECT" in err
        assert len(err.splitlines()) == 1
    finally:
        _drop_role(populated, role)


def test_a_read_only_role_with_scratch_gets_the_real_cause(
    populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role, dsn = _role(populated, "ALTER ROLE {} CREATEDB", settings="default_transaction_read_only = on")
    try:
        path = tmp_path / "s.yaml"
        path.write_text("name: s\nschema: 'CREATE TABLE t (id int);'\nqueries: [{name: q, sql: SELECT 1}]\n")
        assert main(["run", str(path), "--dsn", dsn, "--scratch", "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert "read-only" in err and "--scratch" in err and len(err.splitlines()) == 1, err
    finally:
        _drop_role(populated, role)


def test_statement_timeout_while_seeding_is_one_line(
    fresh_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role, dsn = _role(fresh_db, "GRANT CREATE ON SCHEMA public TO {}", settings="statement_timeout = '50ms'")
    try:
        path = tmp_path / "big.yaml"
        path.write_text(
            "name: big\nschema: 'CREATE TABLE big (id bigint PRIMARY KEY, body text NOT NULL);'\n"
            "tables: {big: {rows: 400000, columns: {body: {text: paragraph}}}}\n"
            "queries: [{name: q, sql: SELECT count(*) FROM big}]\n"
        )
        assert main(["seed", str(path), "--dsn", dsn, "--allow-ddl", "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert "statement_timeout" in err and "Traceback" not in err, err
    finally:
        _drop_role(fresh_db, role)
