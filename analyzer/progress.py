"""How the library reports progress without printing: a small reporter object the CLI implements."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    """Receives progress; the library never prints.

    `start`/`advance`/`finish` frame a phase with a known amount of work; `detail` says
    which step of it runs now ("replay 3/14 task_detail: 5 sets"), so a log redirected to
    a file shows what a long phase is doing, not only that it runs.
    """

    def message(self, text: str) -> None: ...

    def start(self, label: str, total: float) -> None: ...

    def advance(self, amount: float = 1) -> None: ...

    def detail(self, text: str) -> None: ...

    def finish(self) -> None: ...


class SilentReporter:
    """The default: progress goes nowhere (tests, library use)."""

    def message(self, text: str) -> None:
        pass

    def start(self, label: str, total: float) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def detail(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass
