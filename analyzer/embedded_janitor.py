"""The embedded server dies with the tool: a watchdog process, and stale servers removed later.

`pg_ctl start` puts the postmaster in a session of its own, so a SIGKILL of the tool (an
OOM kill, a CI job cancelled) would leave a server with its children and its data
directory behind. Two walls: a small watchdog process, started beside each server, stops
the server and removes its directory as soon as the tool's process is gone; and each data
directory carries an owner file, so the next run (or `cleanup --embedded`) removes any
directory whose owner is dead, should the watchdog have been killed too.
"""

from __future__ import annotations

import json
import os
import shutil
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


def write_owner(datadir: Path, bindir: Path, run_as: str | None) -> None:
    """Record who owns the server, and how to stop it, inside its data directory."""
    owner = Owner.current()
    record = {"pid": owner.pid, "started": owner.started, "bindir": str(bindir), "run_as": run_as}
    (datadir / OWNER_FILE).write_text(json.dumps(record), encoding="utf-8")


def spawn_watchdog(datadir: Path) -> subprocess.Popen[bytes] | None:
    """Start the watchdog of one server; it outlives a SIGKILL of this process (own session)."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "analyzer.embedded_janitor", str(datadir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )
    except OSError:
        return None  # the owner file still lets the next run remove it


def stop_server(datadir: Path, record: dict[str, Any]) -> None:
    """Stop the server of `datadir` (immediate mode) and remove the directory."""
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
    shutil.rmtree(datadir, ignore_errors=True)


def remove_stale_servers(tmpdir: Path | None = None) -> list[Path]:
    """Remove embedded servers whose owning process is gone; return the directories removed."""
    root = tmpdir or Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        candidates = sorted(root.glob(DATADIR_PREFIX + "*"))
    except OSError:
        return removed
    for datadir in candidates:
        if not datadir.is_dir():
            continue
        record = _read_owner(datadir)
        if record is None:
            if time.time() - datadir.stat().st_mtime < UNMARKED_GRACE_S or _postmaster_alive(datadir):
                continue
            record = {}
        elif Owner(int(record.get("pid", 0)), str(record.get("started", ""))).alive():
            continue
        stop_server(datadir, record)
        removed.append(datadir)
    return removed


def watch(datadir: Path) -> None:
    """Wait for the owner to exit; if it left its server behind, stop it and remove the directory."""
    record = _read_owner(datadir)
    if record is None:
        return
    owner = Owner(int(record["pid"]), str(record["started"]))
    while owner.alive():
        if not datadir.exists():
            return  # stopped normally
        time.sleep(POLL_S)
    if datadir.exists():
        stop_server(datadir, record)


def _read_owner(datadir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((datadir / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _postmaster_alive(datadir: Path) -> bool:
    try:
        pid = int((datadir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return _process_start(pid) != ""


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
