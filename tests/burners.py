"""CPU burners for the determinism checks: busy-looping processes, bounded in time, killed by pid.

Each burner exits on its own after `seconds` (so a crashed caller leaves nothing spinning for
long), and the context manager kills each one by its pid on the way out.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_LOOP = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def cpu_burners(count: int = 2, seconds: float = 600.0) -> Iterator[list[int]]:
    """`count` busy-looping Python processes for at most `seconds`; yields their pids."""
    procs = [subprocess.Popen([sys.executable, "-c", _LOOP.format(seconds=seconds)]) for _ in range(count)]
    try:
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.kill()  # by this process's own pid, never by name
        for p in procs:
            p.wait(timeout=10)
