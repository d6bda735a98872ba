"""A COPY writer that sends from a thread of its own through a bounded queue.

Encoding a chunk and waiting for the server to take the previous one then happen at the
same time (the wait releases the GIL). psycopg's `QueuedLibpqWriter` does the same with a
queue of 1,024 buffers of up to 128 kB, which lets a slow server pile up 128 MB of a table
in the client; this one holds `max_bytes` (8 MB) at most, so memory stays flat in the row count.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from psycopg import Cursor
from psycopg.abc import Buffer
from psycopg.copy import LibpqWriter

PIECE_BYTES = 128 * 1024  # what libpq is handed at a time (psycopg splits big buffers alike)
QUEUED_BYTES = 8 * 1024 * 1024  # enough to keep the sender busy while the next chunk is encoded


class BoundedQueuedWriter(LibpqWriter):
    """`write()` returns once the data is queued; a thread hands it to libpq in order."""

    def __init__(self, cursor: Cursor[Any], max_bytes: int = QUEUED_BYTES) -> None:
        super().__init__(cursor)
        self._queue: queue.Queue[memoryview | None] = queue.Queue(maxsize=max(1, max_bytes // PIECE_BYTES))
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def write(self, data: Buffer) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._send, name="pg-analyzer-copy-send", daemon=True)
            self._thread.start()
        view = memoryview(data).cast("B")
        for i in range(0, len(view), PIECE_BYTES):
            self._raise_error()
            self._queue.put(view[i : i + PIECE_BYTES])

    def finish(self, exc: BaseException | None = None) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if exc is None:
            self._raise_error()  # as psycopg's queued writer: the failed send is the error to see
        super().finish(exc)

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _send(self) -> None:
        while (piece := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking pieces, or write() would wait forever on a full queue
            try:
                self._put(piece)
            except BaseException as e:  # noqa: BLE001 - raised in the writing thread
                self._error = e
