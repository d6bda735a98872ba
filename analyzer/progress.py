"""How the library reports progress without printing: a small reporter object the CLI implements."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    """Receives progress; the library never prints."""

    def message(self, text: str) -> None: ...

    def start(self, label: str, total: float) -> None: ...

    def advance(self, amount: float = 1) -> None: ...

    def finish(self) -> None: ...


class SilentReporter:
    """The default: progress goes nowhere (tests, library use)."""

    def message(self, text: str) -> None:
        pass

    def start(self, label: str, total: float) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def finish(self) -> None:
        pass
