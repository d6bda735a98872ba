"""`pg-analyzer cleanup`: what a killed run leaves behind is found, listed and removed; nothing else is.

The SIGKILL and SIGINT tests run the real CLI in a subprocess and interrupt it while the
advisor has an index built, on every configured server.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.cli import main
from analyzer.runner import SCRATCH_PREFIX

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = ROOT / "workloads" / "project_management.yaml"


def _indexes(dsn: str, like: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s AND schemaname = 'public'", (like,))]


def _databases(dsn: str, like: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (like,))]


def test_cleanup_lists_then_removes_tagged_objects_only(
    fresh_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = SCRATCH_PREFIX + "deadbeef0001"
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int, b text)")
        conn.execute("CREATE INDEX pga_t_a_left ON t (a)")
        conn.execute("COMMENT ON INDEX pga_t_a_left IS 'pg-analyzer run deadbeef0001'")
        conn.execute("CREATE INDEX users_own_b ON t (b)")
        conn.execute("COMMENT ON INDEX users_own_b IS 'made by a DBA, not pg-analyzer'")
        conn.execute("CREATE INDEX pga_untagged ON t (a, b)")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("COMMENT ON EXTENSION pg_trgm IS 'pg-analyzer run deadbeef0001'")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS 'pg-analyzer scratch database, run deadbeef0001'").format(
            sql.Identifier(scratch)))
    try:
        assert main(["cleanup", "--dsn", fresh_db, "--dry-run"]) == 0
        listed = capsys.readouterr().out
        assert "would remove: index public.pga_t_a_left" in listed
        assert "would remove: extension pg_trgm" in listed
        assert f"would remove: database {scratch}" in listed
        assert "users_own_b" not in listed and "pga_untagged" not in listed
        assert _indexes(fresh_db, "pga_t_a_left") == ["pga_t_a_left"]  # dry run: nothing removed
        assert _databases(fresh_db, scratch) == [scratch]

        assert main(["cleanup", "--dsn", fresh_db]) == 0
        done = capsys.readouterr().out
        assert "removed: index public.pga_t_a_left" in done and f"removed: database {scratch}" in done
        assert _indexes(fresh_db, "pga_t_a_left") == []
        assert _databases(fresh_db, scratch) == []
        assert sorted(_indexes(fresh_db, "%")) == ["pga_untagged", "t_pkey", "users_own_b"]
        with psycopg.connect(fresh_db) as conn:
            assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").fetchone() == (0,)

        assert main(["cleanup", "--dsn", fresh_db]) == 0
        assert "nothing to clean up" in capsys.readouterr().out
    finally:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))


def test_cleanup_keeps_an_extension_that_an_untagged_object_needs(
    fresh_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("COMMENT ON EXTENSION pg_trgm IS 'pg-analyzer run deadbeef0002'")
        conn.execute("CREATE TABLE t (b text)")
        conn.execute("CREATE INDEX users_trgm ON t USING gin (b gin_trgm_ops)")
    assert main(["cleanup", "--dsn", fresh_db]) == 0
    out = capsys.readouterr().out
    assert "kept: extension pg_trgm" in out and "other objects depend on it" in out
    assert _indexes(fresh_db, "users_trgm") == ["users_trgm"]


def _start_advise(dsn: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    def restore_sigint() -> None:  # a background shell may start us with SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", "advise", str(WORKLOAD), "--dsn", dsn, "--allow-ddl",
         "--scale", "0.02", "-q", "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=restore_sigint, cwd=ROOT,  # noqa: PLW1509 - no threads started yet
    )


def _wait_for_advisor_index(proc: subprocess.Popen[bytes], dsn: str, timeout_s: float = 400) -> str:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'pga\\_%' LIMIT 1").fetchone()
            if row:
                return str(row[0])
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"the run ended (exit {proc.returncode}) before building an index: {err.decode()[-2000:]}")
            time.sleep(0.05)
    proc.kill()
    pytest.fail("no advisor index appeared in time")


def _wait_for_sessions_to_end(dsn: str, timeout_s: float = 60) -> None:
    """A killed client's backend finishes its statement first; wait for it like a DBA would."""
    dbname = pg_conninfo.conninfo_to_dict(dsn)["dbname"]
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'pg-analyzer'",
                (dbname,),
            ).fetchone()
            if row == (0,):
                return
            time.sleep(0.1)
    pytest.fail("the killed run's server session did not end")


def test_sigkill_during_advisor_leaves_tagged_indexes_that_cleanup_removes(
    fresh_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = _start_advise(fresh_db, tmp_path)
    try:
        _wait_for_advisor_index(proc, fresh_db)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    _wait_for_sessions_to_end(fresh_db)
    left = _indexes(fresh_db, "pga\\_%")
    assert left, "the killed run left no index (nothing for cleanup to prove itself on)"

    assert main(["cleanup", "--dsn", fresh_db, "--dry-run"]) == 0
    listed = capsys.readouterr().out
    assert all(f"would remove: index public.{name}" in listed for name in left)

    assert main(["cleanup", "--dsn", fresh_db]) == 0
    assert _indexes(fresh_db, "pga\\_%") == []
    assert _tagged_objects(fresh_db) == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupt_during_advisor_cleans_up_by_itself(fresh_db: str, tmp_path: Path, signum: int) -> None:
    proc = _start_advise(fresh_db, tmp_path)
    try:
        _wait_for_advisor_index(proc, fresh_db)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err.decode()[-2000:]
    assert "interrupted" in err.decode()
    assert _indexes(fresh_db, "pga\\_%") == []
    assert _tagged_objects(fresh_db) == 0


def test_builds_clean_up_on_a_connection_left_busy_by_an_interrupt(fresh_db: str) -> None:
    from analyzer.advisor.builds import IndexBuilds
    from analyzer.advisor.candidates import IndexCandidate
    from analyzer.targets import connect

    conn = connect(fresh_db)
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
    builds = IndexBuilds(conn, "busy00000001")
    builds.build(IndexCandidate(table="t", keys=("a",), kind="btree"))
    conn.pgconn.send_query(b"SELECT pg_sleep(30)")  # a Ctrl-C between sending and reading leaves this state
    started = time.monotonic()
    builds.drop_indexes()
    builds.conn.close()
    assert time.monotonic() - started < 10
    assert _indexes(fresh_db, "pga\\_%") == []


def _tagged_objects(dsn: str) -> int:
    """Objects still carrying a pg-analyzer run tag (indexes, extensions) in the database."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_description WHERE description LIKE 'pg-analyzer run %'").fetchone()
    return int(row[0]) if row else 0
