"""Output for logs and CI: progress as plain lines with a heartbeat, and GitHub Actions' summary and annotations.

When stderr is not a terminal (a CI log, `> run.log 2>&1`), bars redraw nowhere and a long
phase looks hung. `LineReporter` prints one line per step instead, and a heartbeat line
whenever nothing was printed for `heartbeat_s` seconds, so a log never goes quiet for long.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from analyzer.report.model import RunReport

HEARTBEAT_S = 5.0
WIDE_COLUMNS = 160


def output_width(is_terminal: bool, environ: dict[str, str] | None = None) -> int | None:
    """Columns for tables: COLUMNS when set, else the terminal's (None), else 160 for logs."""
    env = os.environ if environ is None else environ
    columns = env.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if is_terminal else WIDE_COLUMNS


class LineReporter:
    """Progress as plain, complete lines: `replay 3/14 task_detail: 5 sets`, `seed tasks 200,000/1,000,000`."""

    def __init__(self, stream: TextIO, heartbeat_s: float = HEARTBEAT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.heartbeat_s = heartbeat_s
        self.clock = clock
        self._lock = threading.Lock()
        self._began = clock()
        self._last_line = clock()
        self._label = ""
        self._doing = ""
        self._phase_started = 0.0
        self._total = 0.0
        self._done = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the Reporter protocol -------------------------------------------------------
    def message(self, text: str) -> None:
        self._doing = text
        self._print(f"· {text}")
        self._ensure_heartbeat()

    def start(self, label: str, total: float) -> None:
        self.finish()
        with self._lock:
            self._label, self._total, self._done = label, total, 0.0
            self._phase_started = self.clock()
            self._doing = label
        self._print(f"{label}: {_count(total)} to do")
        self._ensure_heartbeat()

    def advance(self, amount: float = 1) -> None:
        with self._lock:
            self._done += amount

    def detail(self, text: str) -> None:
        self._doing = text
        self._print(text)

    def finish(self) -> None:
        with self._lock:
            label, started, done, total = self._label, self._phase_started, self._done, self._total
            self._label = ""
        if label:
            self._print(f"{label}: done, {_count(min(done, total) if total else done)} in {self.clock() - started:,.1f} s")

    def close(self) -> None:
        """Stop the heartbeat (the CLI calls this once, at exit)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)

    # --- lines -----------------------------------------------------------------------
    def _print(self, text: str) -> None:
        with self._lock:
            self._last_line = self.clock()
            stamp = self._last_line - self._began
            self.stream.write(f"[{_clock(stamp)}] {text}\n")
            self.stream.flush()

    def heartbeat(self) -> str | None:
        """The line to print now if the log has been quiet for `heartbeat_s`, else None."""
        now = self.clock()
        with self._lock:
            if now - self._last_line < self.heartbeat_s or not (self._label or self._doing):
                return None
            if self._label:
                share = f" ({self._done / self._total:.0%})" if self._total else ""
                progress = f"{_count(min(self._done, self._total))}/{_count(self._total)}{share}"
                return f"still running: {self._doing or self._label}; {self._label} {progress}, " \
                       f"{now - self._phase_started:,.0f} s"
            return f"still running: {self._doing}"

    def _ensure_heartbeat(self) -> None:
        if self._thread is not None or self.heartbeat_s <= 0:
            return
        self._thread = threading.Thread(target=self._beat, name="pg-analyzer-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.heartbeat_s / 2)):
            line = self.heartbeat()
            if line is not None:
                self._print(line)


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:,.1f}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


# --- GitHub Actions ------------------------------------------------------------------
def on_github_actions(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("GITHUB_ACTIONS") == "true"


def write_step_summary(markdown: str, environ: dict[str, str] | None = None) -> Path | None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY (the job's summary page), if set."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as f:
        f.write(markdown.rstrip("\n") + "\n\n")
    return path


def error_annotations(report: RunReport, query_lines: dict[str, int]) -> Iterable[str]:
    """`::error file=...,line=...::` for every query that failed, at its line in the workload file."""
    for q in report.queries:
        if q.passed:
            continue
        failing = [c for c in q.checks if not c.passed and c.severity == "error"]
        what = q.error or "; ".join(f"{c.name}: {c.detail}" for c in failing) or "failed"
        line = query_lines.get(q.name, 1)
        yield (f"::error file={_escape_property(report.workload_path)},line={line},"
               f"title={_escape_property(f'pg-analyzer: {q.name}')}::{_escape_data(what)}")
    for r in report.regressions:
        if not r.accepted:
            line = query_lines.get(r.query, 1)
            yield (f"::error file={_escape_property(report.workload_path)},line={line},"
                   f"title={_escape_property(f'pg-analyzer: {r.query} regressed')}::{_escape_data(f'{r.kind}: {r.detail}')}")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
