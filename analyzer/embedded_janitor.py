"""The embedded server dies with the tool: a watchdog process, and stale servers removed later.

`pg_ctl start` puts the postmaster in a session of its own, so a SIGKILL of the tool (an
OOM kill, a CI job cancelled) would leave a server with its children and its data
directory behind. Two walls: a small watchdog process, started beside each server, stops
the server and removes its directory as soon as the tool's process is gone; and each data
directory carries an owner file, so the next run (or `cleanup --embedded`) removes any
directory whose owner is dead, should the watchdog have been killed too.

Layout: `<tmp>/pg-analyzer-XXXX/` holds the owner file and `data/`, the server's data
directory; both exist before initdb runs, so no moment of the start is unwatched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATADIR_PREFIX = "pg-analyzer-"
OWNER_FILE = "pg-analyzer-owner.json"
POLL_S = 0.5
UNMARKED_GRACE_S = 3600  # a directory without an owner file may be one being created right now


@dataclass(frozen=True)
class Owner:
    """The process that owns an embedded server, recognized by pid and start time (pids are reused)."""

    pid: int
    started: str

    @classmethod
    def current(cls) -> Owner:
        return cls(os.getpid(), _process_start(os.getpid()))

    def alive(self) -> bool:
        return _process_start(self.pid) == self.started and self.started != ""


def write_owner(home: Path, bindir: Path, run_as: str | None) -> None:
    """Record who owns the server, and how to stop it, beside its data directory."""
    owner = Owner.current()
    record = {"pid": owner.pid, "started": owner.started, "bindir": str(bindir), "run_as": run_as}
    (home / OWNER_FILE).write_text(json.dumps(record), encoding="utf-8")


def spawn_watchdog(home: Path) -> subprocess.Popen[bytes] | None:
    """Start the watchdog of one server; it outlives a SIGKILL of this process (own session)."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "analyzer.embedded_janitor", str(home)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )
    except OSError:
        return None  # the owner file still lets the next run remove it


def stop_server(home: Path, record: dict[str, Any]) -> None:
    """Stop the server whose folder is `home` and remove the folder.

    pg_ctl first (immediate mode); a server still starting up may refuse it, so the postmaster is
    then signalled directly (SIGQUIT, then SIGKILL), and the directory is removed only once it
    is gone: removing files under a live server leaves half a directory behind.
    """
    datadir = home / "data" if (home / "data").is_dir() else home  # folders of older versions: data at the top
    postmaster = _postmaster_pid(datadir)
    _pg_ctl_stop(datadir, record)
    for signum in (signal.SIGQUIT, signal.SIGKILL):
        if postmaster is None or _wait_gone(postmaster, 10):
            break
        try:
            os.kill(postmaster, signum)
        except OSError:
            break
    if postmaster is not None:
        _wait_gone(postmaster, 10)
    # an initdb still running (its own session) may write on for a moment: remove until it stays gone
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        shutil.rmtree(home, ignore_errors=True)
        time.sleep(0.5)
        if not home.exists():
            return


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _process_start(pid) == "":
            return True
        time.sleep(0.1)
    return _process_start(pid) == ""


def _postmaster_pid(datadir: Path) -> int | None:
    try:
        return int((datadir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _pg_ctl_stop(datadir: Path, record: dict[str, Any]) -> None:
    bindir = Path(str(record.get("bindir", "")))
    if (datadir / "postmaster.pid").exists() and (bindir / "pg_ctl").exists():
        user = record.get("run_as")
        kwargs: dict[str, Any] = {"user": user, "group": user, "extra_groups": []} if user else {}
        try:
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "-t", "30", "stop"],
                check=False, capture_output=True, timeout=60, start_new_session=True, **kwargs,
            )
        except (OSError, subprocess.TimeoutExpired):
            pass


def remove_stale_servers(tmpdir: Path | None = None) -> list[Path]:
    """Remove embedded servers whose owning process is gone; return the directories removed."""
    roots = [tmpdir] if tmpdir else list(dict.fromkeys([Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")]))
    removed: list[Path] = []
    candidates: list[Path] = []
    for root in roots:
        try:
            candidates += sorted(root.glob(DATADIR_PREFIX + "*"))
        except OSError:
            continue
    for home in candidates:
        if not home.is_dir():
            continue
        record = _read_owner(home)
        if record is None:
            if time.time() - home.stat().st_mtime < UNMARKED_GRACE_S or _postmaster_alive(home):
                continue
            record = {}
        elif Owner(int(record.get("pid", 0)), str(record.get("started", ""))).alive():
            continue
        stop_server(home, record)
        removed.append(home)
    return removed


def watch(home: Path) -> None:
    """Wait for the owner to exit; if it left its server behind, stop it and remove the folder."""
    record = _read_owner(home)
    if record is None:
        return
    owner = Owner(int(record["pid"]), str(record["started"]))
    while owner.alive():
        if not home.exists():
            return  # stopped normally
        time.sleep(POLL_S)
    if home.exists():
        stop_server(home, record)


def _read_owner(home: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((home / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _postmaster_alive(home: Path) -> bool:
    pid = _postmaster_pid(home / "data") or _postmaster_pid(home)
    return pid is not None and _process_start(pid) != ""


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' when there is no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except (OSError, ValueError):
            return ""
        return "unknown"  # no /proc: the pid alone
    fields = stat[stat.rfind(")") + 2:].split()
    if fields and fields[0] == "Z":
        return ""  # a zombie is gone for our purpose
    return fields[19] if len(fields) > 19 else ""


if __name__ == "__main__":
    watch(Path(sys.argv[1]))
