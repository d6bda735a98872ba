"""Real index builds for the advisor: created, tagged, measured, and always dropped.

Every index the tool creates carries a COMMENT naming the run, so `pg-analyzer cleanup` can
find what a killed run left behind; `IndexBuilds.drop_all` removes the rest in a `finally`.
Builds wait at most `lock_timeout` behind other sessions' locks and then give up with a
clear message, so a proof never queues behind a long transaction on a shared server.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq, sql

from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.indexstats import can_restore, read_index_stats, restore_index_stats
from analyzer.catalog import index_key, table_ident
from analyzer.errors import TargetError
from analyzer.targets import same_conninfo

TAG_PREFIX = "pg-analyzer run "
LOCK_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class BuiltIndex:
    """An index that exists now, with what its build cost."""

    name: str
    table: str
    build_ms: float
    size_bytes: int

    @property
    def key(self) -> str:
        """Schema-qualified outside public (catalog.index_key): what a DROP of it, in any run, names."""
        return index_key(self.table, self.name)


def has_expression(cand: IndexCandidate) -> bool:
    """Whether a key is an expression: the only keys that get statistics of their own."""
    return any(k.strip().startswith("(") for k in cand.keys)


class IndexBuilds:
    """Creates candidate indexes on one connection and remembers them until dropped.

    An index can be *pinned for the writes*: it stays built while the state the reads are measured
    in does not include it (`hidden_from_reads`). Building a pinned index shows it to the reads
    (no second build); dropping it hides it again; `release` ends the pin. While `parking`, the
    pinned indexes the reads do not see are hidden from the write mix too (`hidden_from_writes`):
    the state of the set chosen so far, with each pin shown in turn for its own measurement.

    An index can also be *parked*: built for one measurement (an alternative's write cost) and kept,
    hidden from the reads and the writes, so that the candidate the pass then takes is not built a
    second time; `drop_parked` drops what was not taken.
    """

    def __init__(self, conn: psycopg.Connection, run_id: str) -> None:
        self.conn = conn
        self.run_id = run_id
        self.live: dict[str, BuiltIndex] = {}
        self.pinned: set[str] = set()  # kept built for the write mix (write savers awaiting their decision)
        self.shown: set[str] = set()  # live indexes in the state the reads are measured in
        self.parking = False
        self.attempted: dict[str, str] = {}  # name -> table, also builds interrupted half-way: dropped IF EXISTS
        self.extensions_created: list[str] = []
        self.index_stats: dict[str, list[dict[str, Any]]] = {}  # expression statistics of earlier builds
        self.unanalyzed: dict[str, str] = {}  # live expression indexes no ANALYZE has seen yet -> their table

    def ensure_extension(self, name: str) -> bool:
        """Create an extension a candidate needs (pg_trgm); False when it cannot be had."""
        row = self.conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (name,)).fetchone()
        if row:
            return True
        try:
            self.conn.execute(sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(name)))
        except psycopg.Error:
            return False
        self.conn.execute(sql.SQL("COMMENT ON EXTENSION {} IS {}").format(
            sql.Identifier(name), sql.Literal(TAG_PREFIX + self.run_id)))
        self.extensions_created.append(name)
        return True

    def build(self, cand: IndexCandidate) -> BuiltIndex:
        """CREATE INDEX + ANALYZE of the table (expression indexes get their own statistics); an index
        pinned for the writes is already built: it is shown to the reads instead."""
        if cand.name in self.live:
            if cand.name in self.unanalyzed:
                self._expression_statistics(cand)
            self.shown.add(cand.name)
            return self.live[cand.name]
        built = self._create(cand)
        self.shown.add(cand.name)
        return built

    def park_companions(self, cands: Sequence[IndexCandidate]) -> None:
        """Park expression candidates on one table before the next build of one there, unanalyzed: that build's
        ANALYZE (which reads every row) computes their statistics too, so each table is analyzed once, not once
        per expression candidate."""
        for cand in cands:
            if cand.name not in self.live and has_expression(cand):
                try:
                    self._create(cand, analyze=False)
                except psycopg.Error:
                    continue  # it is built again in its own turn, which reports the failure as its own

    def pin(self, cand: IndexCandidate) -> BuiltIndex:
        """Build (or keep) `cand` for the write mix only: the reads do not see it until it is built again."""
        built = self.live[cand.name] if cand.name in self.live else self._create(cand)
        self.pinned.add(cand.name)
        return built

    def park(self, cand: IndexCandidate) -> BuiltIndex:
        """Build `cand` (or keep it) outside every state: measurements show it only when asked to."""
        return self.live[cand.name] if cand.name in self.live else self._create(cand)

    def drop_parked(self) -> None:
        """Drop the parked indexes that no state took."""
        for name in sorted(set(self.live) - self.shown - self.pinned):
            self.drop(name)

    def release(self, name: str) -> None:
        """End a pin: an index the reads do not see is dropped."""
        self.pinned.discard(name)
        if name not in self.shown:
            self.drop(name)

    def hidden_from_reads(self) -> list[str]:
        """Built indexes outside the reads' state (pinned ones), as index keys (schema-qualified outside
        public): every query measurement drops them in its rolled-back transaction."""
        return [self.live[n].key for n in self._outside_reads()]

    def hidden_from_writes(self) -> list[str]:
        """Parked indexes, and pinned ones outside the reads' state while `parking`, as index keys: every
        write-mix run drops them likewise."""
        return [self.live[n].key for n in self._outside_reads() if self.parking or n not in self.pinned]

    def _outside_reads(self) -> list[str]:
        return sorted(n for n in self.live if n not in self.shown)

    def _create(self, cand: IndexCandidate, analyze: bool = True) -> BuiltIndex:
        name = cand.name
        self.attempted[name] = cand.table
        self.conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT_MS)))
        try:
            # build and tag in one transaction: a run killed in between leaves no untagged index
            with self.conn.transaction():
                started = time.perf_counter()
                self.conn.execute(cand.statement(name))
                build_ms = (time.perf_counter() - started) * 1000
                self.conn.execute(sql.SQL("COMMENT ON INDEX {} IS {}").format(
                    table_ident(cand.table, name), sql.Literal(TAG_PREFIX + self.run_id)))
        except psycopg.errors.LockNotAvailable:
            raise TargetError(
                f"building {name} on {cand.table} waited more than {LOCK_TIMEOUT_MS / 1000:g}s for a lock "
                "(a long transaction holds the table); gave up without changing anything"
            ) from None
        finally:
            self._ensure_usable()
            self.conn.execute("RESET lock_timeout")
        built = BuiltIndex(name=name, table=cand.table, build_ms=build_ms, size_bytes=self._size(cand.table, name))
        self.live[name] = built
        if has_expression(cand):
            # only an expression key gets statistics of its own; a partial or plain GIN index gets none,
            # and with the pinned statistics target an ANALYZE reads every row of the table
            self.unanalyzed[name] = cand.table
            if analyze:
                self._expression_statistics(cand)
        return built

    def _expression_statistics(self, cand: IndexCandidate) -> None:
        """ANALYZE for the first build; the same figures put back on a rebuild where the server can.
        One ANALYZE gives every expression index on the table its statistics (parked companions too)."""
        saved = self.index_stats.get(cand.name)
        if saved and restore_index_stats(self.conn, saved):
            self.unanalyzed.pop(cand.name, None)
            return
        self.conn.execute(sql.SQL("ANALYZE {}").format(table_ident(cand.table)))
        for name in [n for n, t in self.unanalyzed.items() if t == cand.table and n in self.live]:
            del self.unanalyzed[name]
            if can_restore(self.conn):
                self.index_stats[name] = read_index_stats(self.conn, index_key(cand.table, name))

    def drop(self, name: str) -> None:
        """Drop the index; a pinned one stays built for the writes, hidden from the reads."""
        self.shown.discard(name)
        if name in self.pinned and name in self.live:
            return
        self._ensure_usable()
        table = self.live[name].table if name in self.live else self.attempted.get(name)
        if table is not None:  # else this run created nothing of that name (or dropped it already)
            self.conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(table_ident(table, name)))
        self.live.pop(name, None)
        self.unanalyzed.pop(name, None)
        self.attempted.pop(name, None)

    def drop_indexes(self) -> None:
        """Drop every index this run created (also half-built ones); used in `finally` blocks."""
        self._ensure_usable()
        self.pinned.clear()
        self.parking = False
        for name in dict.fromkeys([*self.live, *self.attempted]):
            self.drop(name)

    def drop_extensions(self) -> None:
        """Drop the extensions this run created, once nothing needs them any more."""
        self._ensure_usable()
        for ext in reversed(self.extensions_created):
            self.conn.execute(sql.SQL("DROP EXTENSION IF EXISTS {}").format(sql.Identifier(ext)))
        self.extensions_created.clear()

    def _ensure_usable(self) -> None:
        """A Ctrl-C can land between sending a command and reading its result, leaving the
        connection busy, or inside a rolled-back run's transaction (a hidden index dropped in it),
        leaving that transaction open or aborted: cancel, close (which rolls it back) and clean up
        on a new connection instead. Builds and drops themselves never run inside a transaction."""
        if self.conn.closed or self.conn.pgconn.transaction_status not in (
            pq.TransactionStatus.ACTIVE, pq.TransactionStatus.UNKNOWN,
            pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR,
        ):
            return
        conninfo = same_conninfo(self.conn)
        try:
            self.conn.cancel()
        except psycopg.Error:
            pass
        self.conn.close()
        self.conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)

    def _size(self, table: str, name: str) -> int:
        row = self.conn.execute("SELECT pg_relation_size(to_regclass(%s))",
                                (table_ident(table, name).as_string(self.conn),)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0
