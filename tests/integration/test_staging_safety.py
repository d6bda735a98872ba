"""Staging safety: a `run --dsn` with no flags changes nothing, and never shows a password.

What "changes nothing" means is measured on the server, not trusted from the code: the row
counters of pg_stat_user_tables, the list of relations and indexes (with their comments),
and a checksum of every workload table, before and after; pg_stat_statements too where it
is loaded.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.cli import main
from analyzer.targets import APPLICATION_NAME, connect

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = ROOT / "workloads" / "project_management.yaml"
TABLES = ("organizations", "users", "projects", "tasks", "task_activity")
WRITES = re.compile(r"^\s*(CREATE|DROP|ALTER|INSERT|UPDATE|DELETE|TRUNCATE|COPY|COMMENT|ANALYZE|VACUUM|GRANT|REINDEX)\b",
                    re.IGNORECASE)


def _seed(dsn: str) -> None:
    assert main(["seed", str(WORKLOAD), "--dsn", dsn, "--allow-ddl", "--scale", "0.02", "-q"]) == 0


def _snapshot(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        counters = conn.execute(
            "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_del), 0) "
            "FROM pg_stat_user_tables"
        ).fetchone()
        relations = conn.execute(
            """
            SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
            ORDER BY 1, 2
            """
        ).fetchall()
        extensions = conn.execute("SELECT extname, extversion FROM pg_extension ORDER BY 1").fetchall()
        checksums = {}
        for table in TABLES:
            row = conn.execute(
                sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t")
                .format(sql.Identifier(table))
            ).fetchone()
            checksums[table] = row
    return {"counters": counters, "relations": relations, "extensions": extensions, "checksums": checksums}


def _statements_extension(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        loaded = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
        if not loaded or "pg_stat_statements" not in str(loaded[0]):
            return False
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
    return True


def test_run_against_a_populated_dsn_changes_nothing(fresh_db: str, tmp_path: Path) -> None:
    _seed(fresh_db)
    time.sleep(1.2)  # let the seeding backends' statistics reach the shared counters
    tracked = _statements_extension(fresh_db)
    before = _snapshot(fresh_db)
    assert before["checksums"]["tasks"][0] > 0

    code = main(["run", str(WORKLOAD), "--dsn", fresh_db, "--out", str(tmp_path / "out"), "-q"])
    assert code in (0, 1)  # checks may fail; the run itself must not error

    time.sleep(1.2)
    after = _snapshot(fresh_db)
    assert after["relations"] == before["relations"], "DDL ran: relations or indexes changed"
    assert after["extensions"] == before["extensions"]
    assert after["checksums"] == before["checksums"], "table contents changed"
    assert after["counters"] == before["counters"], "rows were inserted, updated or deleted (even if rolled back)"
    report = (tmp_path / "out" / "report.json").read_text()
    assert "analyzed as they are, nothing seeded" in report
    assert "listed unproven" in report
    if tracked:
        dbname = pg_conninfo.conninfo_to_dict(fresh_db)["dbname"]
        with psycopg.connect(fresh_db) as conn:
            queries = [r[0] for r in conn.execute(
                "SELECT query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                (dbname,),
            )]
        assert [q for q in queries if WRITES.match(q)] == []


def _password(dsn: str) -> str | None:
    return pg_conninfo.conninfo_to_dict(dsn).get("password")


def _url(dsn: str) -> str:
    p = pg_conninfo.conninfo_to_dict(dsn)
    return f"postgresql://{p['user']}:{p['password']}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/{p['dbname']}"


@pytest.mark.parametrize("form", ["keywords", "url"])
def test_no_password_in_console_or_output_files(fresh_db: str, tmp_path: Path, form: str) -> None:
    secret = _password(fresh_db)
    if not secret:
        pytest.skip("this server's DSN has no password (trust auth); the PostgreSQL 15 one has")
    _seed(fresh_db)
    dsn = fresh_db if form == "keywords" else _url(fresh_db)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "analyzer", "run", str(WORKLOAD), "--dsn", dsn, "--out", str(out), "--verbose"],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 4
    assert "***" in (out / "report.json").read_text()  # the DSN is shown, masked
    for path in files:
        assert secret not in path.read_text(errors="replace"), f"password in {path.name}"
    assert secret not in proc.stdout and secret not in proc.stderr


def test_connection_error_says_what_to_check_without_the_secret(
    server_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    params = pg_conninfo.conninfo_to_dict(server_dsn)
    if not params.get("password"):
        pytest.skip("this server accepts any password (trust auth); the PostgreSQL 15 one checks it")
    params["password"] = "wrong-secret-8c1f"
    code = main(["run", str(WORKLOAD), "--dsn", pg_conninfo.make_conninfo(**params), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "wrong-secret-8c1f" not in err
    assert "cannot connect" in err and "auth method" in err


def test_connections_show_application_name(server_dsn: str) -> None:
    conn = connect(server_dsn)
    try:
        pid = conn.info.backend_pid
        with psycopg.connect(server_dsn) as dba:
            row = dba.execute("SELECT application_name FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        assert row == (APPLICATION_NAME,)
        assert APPLICATION_NAME == "pg-analyzer"
    finally:
        conn.close()


def test_index_build_behind_a_long_transaction_gives_up(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.advisor import builds
    from analyzer.advisor.candidates import IndexCandidate
    from analyzer.errors import TargetError

    monkeypatch.setattr(builds, "LOCK_TIMEOUT_MS", 300)
    with psycopg.connect(fresh_db, autocommit=True) as setup:
        setup.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
        setup.execute("INSERT INTO t SELECT g, g % 10 FROM generate_series(1, 100) g")
    holder = psycopg.connect(fresh_db)  # a long transaction on staging, holding the table
    conn = connect(fresh_db)
    try:
        holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        index_builds = builds.IndexBuilds(conn, "locktest0001")
        started = time.monotonic()
        with pytest.raises(TargetError, match=r"waited more than 0\.3s for a lock .*gave up without changing anything"):
            index_builds.build(IndexCandidate(table="t", keys=("a",), kind="btree"))
        assert time.monotonic() - started < 5
        assert conn.execute("SHOW lock_timeout").fetchone() != ("300ms",)  # the session setting is restored
        holder.rollback()
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'pga\\_%'").fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM pg_description WHERE description LIKE 'pg-analyzer run %'"
        ).fetchone() == (0,)
    finally:
        holder.close()
        conn.close()
