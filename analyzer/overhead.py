"""Measured write overhead of an index: the same write mix with and without it, interleaved.

Runs alternate without (A) and with (B) the index: A B A B ..., the index built before each B
and dropped after it. Before every run the mix's tables are vacuumed (so the aborted tuples of
the previous run are gone and every run starts from the same pages, whatever other sessions'
snapshots hold back) and a CHECKPOINT makes full-page images comparable. The run itself is one
transaction, always rolled back: the data is identical before and after.

WAL bytes are the difference of pg_current_wal_insert_lsn() (which counts the open
transaction's WAL, unlike pg_current_wal_lsn()); buffers dirtied and written and the
execution time come from EXPLAIN (ANALYZE, BUFFERS, WAL); HOT updates from the difference of
pg_stat_xact_user_tables read at the start and end of the transaction (the view also holds
earlier transactions' counts that are not flushed yet, on PostgreSQL 15 and 18 alike). GIN
pending lists are flushed with gin_clean_pending_list() at the end of each run, so their
deferred cost is counted, and the note says so.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from analyzer import sequence_journal
from analyzer.catalog import table_ident, table_key
from analyzer.errors import AnalyzerError
from analyzer.report.model import StatementOverhead, WriteOverhead
from analyzer.writemix import WriteMix, WriteStatement, build_write_mix

__all__ = [
    "IndexBuild", "MixRun", "OverheadRuns", "WriteMix", "WriteStatement", "build_write_mix", "compare_runs",
    "measure_built_overhead", "measure_built_runs", "measure_index_overhead", "measure_runs", "measure_set_overhead",
    "run_mix", "summarize_runs",
]


@dataclass(frozen=True)
class MixRun:
    """What one execution of the mix cost."""

    wal_bytes: int
    time_ms: float
    buffers_dirtied: int
    hot_updates: int
    updates: int
    buffers_written: int = 0
    wal_fpi: int = 0
    wal_bytes_own: int = 0  # WAL EXPLAIN attributes to the statements (this backend's, not other sessions')
    per_write: Mapping[str, tuple[float, int]] = field(default_factory=dict)  # write -> (time ms, own WAL bytes)
    # write -> shared buffers its statements touched (hit + read): index maintenance is a descent per row,
    # and, like a query's buffers, the count repeats to the buffer from one rolled-back run to the next
    buffers_by_write: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexBuild:
    """One build of a measured index."""

    name: str
    table: str
    method: str
    build_ms: float
    size_bytes: int


@dataclass
class OverheadRuns:
    """The raw interleaved runs of one measurement, for figures and for their spread."""

    without: list[MixRun] = field(default_factory=list)
    with_index: list[MixRun] = field(default_factory=list)
    builds: list[IndexBuild] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure_index_overhead(
    conn: psycopg.Connection, mix: WriteMix, create_sql: str, index_name: str, repetitions: int = 3
) -> WriteOverhead:
    """The write overhead of one index (built and dropped here) on `mix`."""
    return summarize_runs(measure_runs(conn, mix, [(create_sql, index_name)], repetitions), mix)


def measure_set_overhead(
    conn: psycopg.Connection, mix: WriteMix, create_sqls: list[tuple[str, str]], repetitions: int = 3
) -> WriteOverhead:
    """The write overhead of a set of indexes together; each pair is (create_sql, index_name)."""
    return summarize_runs(measure_runs(conn, mix, [_ordered(pair) for pair in create_sqls], repetitions), mix)


def _ordered(pair: tuple[str, str]) -> tuple[str, str]:
    """Accept (name, sql) too: the element that begins with CREATE is the statement."""
    first, second = pair
    if not first.lstrip().upper().startswith("CREATE") and second.lstrip().upper().startswith("CREATE"):
        return second, first
    return first, second


def measure_runs(
    conn: psycopg.Connection, mix: WriteMix, indexes: Sequence[tuple[str, str]], repetitions: int = 3,
    warmup: int = 2,
) -> OverheadRuns:
    """Interleave runs without (A) and with (B) the indexes, A B A B ..., after untimed warm-up runs.

    Warm-up runs fill the caches and let the pages the rolled-back runs leave behind (B-tree
    pages emptied and deleted by VACUUM, the free space map) settle, so that WAL repeats.
    """
    _check_request(repetitions, len(indexes))
    runs = OverheadRuns(notes=list(mix.notes))
    with _autocommit(conn):
        for _, name in indexes:
            if _relation_exists(conn, name):
                raise AnalyzerError(
                    f"write overhead: an index or relation named {name} already exists; it is measured by "
                    "building and dropping it, so give the proposed index another name"
                )
        probe = _Probe(conn, runs.notes)
        for _ in range(max(warmup, 0)):
            run_mix(conn, mix, probe=probe)
        for _ in range(repetitions):
            runs.without.append(run_mix(conn, mix, probe=probe))
            try:
                for create_sql, name in indexes:
                    runs.builds.append(_build(conn, create_sql, name))
                runs.with_index.append(run_mix(conn, mix, probe=probe))
            finally:
                for _, name in indexes:
                    _drop(conn, name)
    _note_builds(runs, mix)
    return runs


def measure_built_overhead(
    conn: psycopg.Connection, mix: WriteMix, names: Sequence[str], build_ms: float, repetitions: int = 1,
    warmup: int = 0,
) -> WriteOverhead:
    """The write overhead of indexes that exist now (built by the caller), without building them again.

    Runs alternate with the indexes hidden (dropped inside the run's rolled-back transaction,
    before the WAL position is read, so the drop's own WAL is not counted) and present: the
    same A B A B as `measure_runs`, at the cost of the runs alone. `build_ms` is what the
    caller's build took, reported as the index's build time.
    """
    return summarize_runs(measure_built_runs(conn, mix, names, build_ms, repetitions, warmup), mix)


def measure_built_runs(
    conn: psycopg.Connection, mix: WriteMix, names: Sequence[str], build_ms: float, repetitions: int = 1,
    warmup: int = 0, without: Sequence[MixRun] = (), also_hidden: Sequence[str] = (),
) -> OverheadRuns:
    """The runs of `measure_built_overhead`; `without` are runs of the same mix in the same state but for
    these indexes, measured before (WAL repeats to the byte): then only the runs with them are made.
    `also_hidden` are other built indexes outside the measured state, hidden from both sides."""
    _check_request(repetitions, len(names))
    runs = OverheadRuns(notes=list(mix.notes))
    hidden = [n for n in also_hidden if n not in names]
    with _autocommit(conn):
        probe = _Probe(conn, runs.notes)
        described = [_existing(conn, name, build_ms / len(names)) for name in names]
        for _ in range(max(warmup, 0) if not without else 0):
            run_mix(conn, mix, probe=probe, hide=[*names, *hidden])
        for i in range(repetitions):
            runs.without.append(without[i % len(without)] if without
                                else run_mix(conn, mix, probe=probe, hide=[*names, *hidden]))
            runs.with_index.append(run_mix(conn, mix, probe=probe, hide=hidden))
            runs.builds.extend(described)
    _note_builds(runs, mix)
    return runs


def _check_request(repetitions: int, indexes: int) -> None:
    if repetitions < 1:
        raise AnalyzerError("write overhead: repetitions must be at least 1")
    if not indexes:
        raise AnalyzerError("write overhead: no index to measure")


def _note_builds(runs: OverheadRuns, mix: WriteMix) -> None:
    gin = sorted({b.name for b in runs.builds if b.method == "gin"})
    if gin:
        runs.notes.append(
            f"GIN pending lists flushed with gin_clean_pending_list() at the end of every run ({', '.join(gin)}): "
            "the deferred cost of fastupdate is counted, not hidden"
        )
    outside = sorted({b.table for b in runs.builds} - mix.tables)
    if outside:
        runs.notes.append(f"no write of the mix touches {', '.join(outside)}")


def summarize_runs(runs: OverheadRuns, mix: WriteMix | None = None) -> WriteOverhead:
    """Figures of interleaved runs: medians of the paired differences, size and build time of the indexes."""
    names = {b.name for b in runs.builds}
    per_build = len(runs.builds) // max(len(runs.with_index), 1)
    sizes = [b.size_bytes for b in runs.builds]
    builds_ms = [sum(b.build_ms for b in runs.builds[i:i + per_build]) for i in range(0, len(runs.builds), per_build or 1)]
    return compare_runs(
        runs.without, runs.with_index,
        index_size_bytes=sum(sizes[:len(names)]) if sizes else 0,
        build_ms=statistics.median(builds_ms) if builds_ms else 0.0,
        note="; ".join(dict.fromkeys(runs.notes)),
        mix=mix,
    )


def compare_runs(
    without: Sequence[MixRun],
    with_index: Sequence[MixRun],
    *,
    index_size_bytes: int = 0,
    build_ms: float = 0.0,
    note: str = "",
    mix: WriteMix | None = None,
) -> WriteOverhead:
    """The overhead of B against A (pure): medians of the paired differences, ratios to A's median."""
    if not without or not with_index:
        raise AnalyzerError("write overhead: no runs to compare")
    pairs = list(zip(without, with_index))

    def diffs(attr: str) -> list[float]:
        return [float(getattr(b, attr) - getattr(a, attr)) for a, b in pairs]

    wal_a = statistics.median(r.wal_bytes for r in without)
    time_a = statistics.median(r.time_ms for r in without)
    wal = statistics.median(diffs("wal_bytes"))
    time_diffs = diffs("time_ms")
    time_d = statistics.median(time_diffs)
    wal_diffs = diffs("wal_bytes")
    hot_lost = statistics.median(-d for d in diffs("hot_updates"))
    return WriteOverhead(
        wal_bytes=round(wal),
        wal_ratio=wal / wal_a if wal_a else 0.0,
        buffers_dirtied=round(statistics.median(diffs("buffers_dirtied"))),
        time_ms_median=time_d,
        time_ratio=time_d / time_a if time_a else 0.0,
        time_ms_spread=(max(time_diffs) - min(time_diffs)) / 2,
        hot_updates_lost=max(round(hot_lost), 0),
        baseline_wal_bytes=round(wal_a),
        baseline_time_ms_median=time_a,
        note=note,
        buffers_written=round(statistics.median(diffs("buffers_written"))),
        wal_bytes_spread=round((max(wal_diffs) - min(wal_diffs)) / 2),
        baseline_hot_updates=round(statistics.median(r.hot_updates for r in without)),
        baseline_updates=round(statistics.median(r.updates for r in without)),
        index_size_bytes=index_size_bytes,
        build_ms=build_ms,
        repetitions=len(pairs),
        statements=_per_write(pairs, mix),
    )


def _per_write(pairs: Sequence[tuple[MixRun, MixRun]], mix: WriteMix | None) -> tuple[StatementOverhead, ...]:
    """Each write's own figures (pure): the medians of its paired differences, its runs' median before."""
    if mix is None:
        return ()
    out: list[StatementOverhead] = []
    for group in mix.groups:
        before = [a.per_write.get(group, (0.0, 0)) for a, _ in pairs]
        after = [b.per_write.get(group, (0.0, 0)) for _, b in pairs]
        touched = [(a.buffers_by_write.get(group, 0), b.buffers_by_write.get(group, 0)) for a, b in pairs]
        out.append(StatementOverhead(
            write=group, executions=mix.executions(group),
            time_ms_before=statistics.median(t for t, _ in before),
            time_ms_delta=statistics.median(b[0] - a[0] for a, b in zip(before, after)),
            wal_bytes_before=round(statistics.median(w for _, w in before)),
            wal_bytes_delta=round(statistics.median(b[1] - a[1] for a, b in zip(before, after))),
            buffers_before=round(statistics.median(a for a, _ in touched)),
            buffers_delta=round(statistics.median(b - a for a, b in touched)),
            frequency=mix.frequencies.get(group),
        ))
    return tuple(out)


class _Probe:
    """What the role may do around a run (VACUUM, CHECKPOINT, setval); found out once, said once."""

    def __init__(self, conn: psycopg.Connection, notes: list[str]) -> None:
        self.conn = conn
        self.notes = notes
        self.vacuum = True
        self.checkpoint = True
        self.setval = True
        self.brin = True

    def sequences(self, tables: list[str]) -> dict[str, tuple[int, bool]]:
        """The state of the sequences the tables' columns own (identity, serial), to put back after the run."""
        if not self.setval:
            return {}
        rows = self.conn.execute(
            "SELECT DISTINCT d.objid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
            "WHERE s.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "AND d.refobjid = ANY(SELECT to_regclass(t)::oid FROM unnest(%s::text[]) t) ORDER BY 1",
            (_regclasses(self.conn, tables),),
        ).fetchall()
        try:
            return _sequence_states(self.conn, [str(r[0]) for r in rows])
        except psycopg.errors.InsufficientPrivilege:
            self.setval = False
            self.notes.append("not allowed to read the tables' sequences: they advance with every run")
            return {}

    def restore_sequences(self, before: dict[str, tuple[int, bool]], after: dict[str, tuple[int, bool]]) -> None:
        """Rolled-back inserts still advance sequences: put them back, unless another session used them since.

        With the same key values every run inserts the same index entries, so its WAL is repeatable
        (increasing keys would split the right-most B-tree pages at different runs).
        """
        idents = sequence_journal.relation_idents(self.conn, [s for s in before if after.get(s) != before[s]])
        for seq, (value, called) in before.items():
            if after.get(seq) == (value, called) or seq not in idents:
                continue
            try:
                self.conn.execute(
                    sql.SQL("SELECT setval({s}::regclass, %s, %s) FROM {r} WHERE last_value = %s").format(
                        s=sql.Literal(seq), r=idents[seq]
                    ),
                    (value, called, after[seq][0]),
                )
            except psycopg.errors.InsufficientPrivilege:
                self.setval = False
                self.notes.append("not allowed to setval the tables' sequences: they advance with every run")
                return

    def _desummarize(self, blocks_before: dict[str, int]) -> None:
        if not self.brin:
            return
        try:
            _desummarize_brin_tails(self.conn, blocks_before)
        except psycopg.errors.InsufficientPrivilege:
            self.brin = False
            self.notes.append("not allowed to desummarize BRIN ranges (needs the index's owner): inserts may "
                              "update summaries an append-only table would not have yet")

    def prepare(self, mix: WriteMix) -> None:
        """VACUUM, plan every statement once, CHECKPOINT: each run starts from the same pages.

        Planning first means that pruning the catalog rows an index build or drop left dead
        happens here, not inside the measured window.
        """
        tables = mix.tables
        if self.vacuum:
            try:
                before = _heap_blocks(self.conn, sorted(tables))
                for t in sorted(tables):
                    # INDEX_CLEANUP ON: without it VACUUM may skip the indexes when few pages have dead
                    # rows (PostgreSQL 14+), leaving dead line pointers that make the next run differ.
                    # FREEZE: otherwise every VACUUM freezes a few more pages (eagerly, on 18), and
                    # which pages the mix finds frozen changes its WAL; only the first one is costly.
                    self.conn.execute(sql.SQL("VACUUM (FREEZE, INDEX_CLEANUP ON) {}").format(table_ident(t)))
                self._desummarize(before)
            except psycopg.errors.InsufficientPrivilege:
                self.vacuum = False
                self.notes.append("not allowed to VACUUM the tables: runs start from less comparable pages")
        planned: set[str] = set()
        with self.conn.transaction(force_rollback=True):
            _xact_updates(self.conn, sorted(tables))  # hint bits on the catalog rows it reads, set now
            _gin_indexes(self.conn, sorted(tables))
            for stmt in mix.statements:
                if stmt.label not in planned:
                    planned.add(stmt.label)
                    self.conn.execute(sql.SQL("EXPLAIN ") + stmt.sql, stmt.params)
        if self.checkpoint:
            try:
                self.conn.execute("CHECKPOINT")
            except psycopg.errors.InsufficientPrivilege:
                self.checkpoint = False
                self.notes.append(
                    "not allowed to CHECKPOINT (needs superuser or pg_checkpoint): full-page images make WAL "
                    "figures less comparable"
                )


def run_mix(conn: psycopg.Connection, mix: WriteMix, *, probe: _Probe | None = None,
            hide: Sequence[str] = ()) -> MixRun:
    """Run the mix once in a transaction that is rolled back; return its WAL, time, buffers and HOT updates.

    `hide` are indexes dropped inside that transaction first: the run sees the table without them.
    """
    probe = probe or _Probe(conn, [])
    probe.prepare(mix)
    tables = sorted(mix.tables)
    sequences = probe.sequences(tables)
    with sequence_journal.sequences_put_back(conn, tables):  # also on Ctrl-C; journaled for a SIGKILL
        return _run_mix_once(conn, mix, probe, tables, sequences, hide)


def _run_mix_once(
    conn: psycopg.Connection, mix: WriteMix, probe: _Probe, tables: list[str], sequences: dict[str, tuple[int, bool]],
    hide: Sequence[str] = (),
) -> MixRun:
    dirtied = written = fpi = own = 0
    time_ms = 0.0
    per_write: dict[str, tuple[float, int]] = {}
    touched: dict[str, int] = {}
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL jit = off")
        for name in hide:  # before the WAL position is read: the drop's catalog WAL is not the mix's
            conn.execute(sql.SQL("DROP INDEX {}").format(_ident(name)))
        upd0, hot0 = _xact_updates(conn, tables)
        gin_indexes = _gin_indexes(conn, tables)  # catalog reads stay outside the measured window
        lsn0 = _insert_lsn(conn)
        for stmt in mix.statements:
            plan = _explain(conn, stmt.sql, stmt.params, stmt.label)
            dirtied, written, fpi, time_ms = _add(plan, dirtied, written, fpi, time_ms)
            wal = int(plan["Plan"].get("WAL Bytes", 0))
            own += wal
            spent, logged = per_write.get(stmt.group_name, (0.0, 0))
            per_write[stmt.group_name] = (spent + float(plan.get("Execution Time", 0.0)), logged + wal)
            touched[stmt.group_name] = touched.get(stmt.group_name, 0) + _touched(plan)
        for index, table in gin_indexes.items():
            query = sql.SQL("SELECT gin_clean_pending_list({}::regclass)").format(sql.Literal(index))
            plan = _explain(conn, query, None, f"gin_clean_pending_list({index})")
            dirtied, written, fpi, time_ms = _add(plan, dirtied, written, fpi, time_ms)
            writers = sorted({st.group_name for st in mix.statements if table in st.touches})
            if writers:
                _share_flush(touched, writers, _touched(plan))
            own += int(plan["Plan"].get("WAL Bytes", 0))
        lsn1 = _insert_lsn(conn)
        upd1, hot1 = _xact_updates(conn, tables)
        row = conn.execute("SELECT %s::pg_lsn - %s::pg_lsn", (lsn1, lsn0)).fetchone()
        used = _sequence_states(conn, list(sequences))
    probe.restore_sequences(sequences, used)
    return MixRun(
        wal_bytes=int(row[0]) if row else 0, time_ms=time_ms, buffers_dirtied=dirtied, hot_updates=hot1 - hot0,
        updates=upd1 - upd0, buffers_written=written, wal_fpi=fpi, wal_bytes_own=own, per_write=per_write,
        buffers_by_write=touched,
    )


def _heap_blocks(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT k, pg_relation_size(to_regclass(r)) / current_setting('block_size')::int "
        "FROM unnest(%s::text[], %s::text[]) x(k, r) WHERE to_regclass(r) IS NOT NULL",
        (tables, _regclasses(conn, tables)),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def _desummarize_brin_tails(conn: psycopg.Connection, blocks_before: dict[str, int]) -> None:
    """Undo what VACUUM's BRIN summarization did to the pages the previous rolled-back run added.

    VACUUM summarizes the block ranges the rolled-back inserts extended the heap into, then
    truncates those pages away; the next run's inserts land in ranges summarized as empty and
    update a summary for every row (about 70 bytes of WAL a row), a cost an append-only table
    does not pay: its ranges past the last one summarized stay unsummarized until a VACUUM.
    Ranges that start past the heap's end are desummarized, as right after CREATE INDEX.
    """
    rows = conn.execute(
        "SELECT n.nspname, c.relname, i.indexrelid::regclass::text, coalesce(("
        "  SELECT split_part(o, '=', 2)::int FROM unnest(ic.reloptions) o WHERE o LIKE 'pages_per_range=%%'), 128) "
        "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE am.amname = 'brin' AND i.indrelid = ANY(SELECT to_regclass(t)::oid FROM unnest(%s::text[]) t)",
        (_regclasses(conn, list(blocks_before)),),
    ).fetchall()
    keyed = [(table_key(str(r[0]), str(r[1])), r[2], r[3]) for r in rows]
    after = _heap_blocks(conn, sorted({k for k, _, _ in keyed}))
    for table, index, per_range in keyed:
        start = -(-after.get(str(table), 0) // int(per_range)) * int(per_range)
        for block in range(start, blocks_before.get(str(table), 0) + int(per_range), int(per_range)):
            conn.execute("SELECT brin_desummarize_range(%s::regclass, %s)", (index, block))


def _sequence_states(conn: psycopg.Connection, sequences: list[str]) -> dict[str, tuple[int, bool]]:
    return sequence_journal.sequence_states(conn, sequences)  # names are regclass text, quoted by the server


def _add(plan: dict[str, Any], dirtied: int, written: int, fpi: int, time_ms: float) -> tuple[int, int, int, float]:
    top = plan["Plan"]
    return (
        dirtied + int(top.get("Shared Dirtied Blocks", 0)),
        written + int(top.get("Shared Written Blocks", 0)),
        fpi + int(top.get("WAL FPI", 0)),
        time_ms + float(plan.get("Execution Time", 0.0)),
    )


def _touched(plan: dict[str, Any]) -> int:
    """Shared buffers the statement's plan touched (hit + read): its top node counts the index inserts too."""
    top = plan["Plan"]
    return int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))


def _explain(conn: psycopg.Connection, query: sql.SQL | sql.Composed, params: Any, label: str) -> dict[str, Any]:
    explain = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, WAL, TIMING OFF, FORMAT JSON) ") + query
    try:
        row = conn.execute(explain, params).fetchone()
    except psycopg.Error as e:
        raise AnalyzerError(f"write mix: '{label}' failed: {e.diag.message_primary or e}") from e
    if row is None:
        raise AnalyzerError(f"write mix: EXPLAIN of '{label}' returned nothing")
    doc = row[0]
    return dict(doc[0] if isinstance(doc, list) else doc)


def _insert_lsn(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    return str(row[0]) if row else "0/0"


def _xact_updates(conn: psycopg.Connection, tables: list[str]) -> tuple[int, int]:
    row = conn.execute(
        "SELECT coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_xact_user_tables "
        "WHERE relid = ANY(SELECT to_regclass(t)::oid FROM unnest(%s::text[]) t)",
        (_regclasses(conn, tables),),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _gin_indexes(conn: psycopg.Connection, tables: list[str]) -> dict[str, str]:
    """GIN indexes on `tables`: index (regclass text) -> its table's catalog key."""
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, n.nspname, t.relname FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE am.amname = 'gin' AND i.indrelid = ANY(SELECT to_regclass(t)::oid FROM unnest(%s::text[]) t) "
        "ORDER BY 1",
        (_regclasses(conn, tables),),
    ).fetchall()
    return {str(r[0]): table_key(str(r[1]), str(r[2])) for r in rows}


def _share_flush(touched: dict[str, int], writers: Sequence[str], buffers: int) -> None:
    """A pending-list flush's buffers, shared by the writes that filled it in proportion to their own buffers:
    fastupdate defers the GIN's maintenance to the flush, and the writes pay it."""
    total = sum(touched.get(g, 0) for g in writers)
    for g in writers:
        share = touched.get(g, 0) / total if total else 1 / len(writers)
        touched[g] = touched.get(g, 0) + round(buffers * share)


def _relation_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (_regclass_text(conn, name),)).fetchone()
    return bool(row and row[0])


def _regclasses(conn: psycopg.Connection, tables: Sequence[str]) -> list[str]:
    """Catalog keys (`orders`, `app.orders`) as regclass text, schema-qualified: the search path decides nothing."""
    return [table_ident(t).as_string(conn) for t in tables]


def _ident(name: str) -> sql.Identifier:
    """An index name, schema-qualified or not, as an identifier."""
    return sql.Identifier(*name.split(".", 1))


def _regclass_text(conn: psycopg.Connection, name: str) -> str:
    return _ident(name).as_string(conn)


OVERHEAD_TAG = "pg-analyzer run write-overhead measurement"  # starts like every run's tag: cleanup finds it


def _build(conn: psycopg.Connection, create_sql: str, name: str) -> IndexBuild:
    started = time.perf_counter()
    try:
        # build and tag in one transaction: a SIGKILL in between leaves no untagged index for cleanup to miss
        with conn.transaction():
            conn.execute(create_sql)
            conn.execute(sql.SQL("COMMENT ON INDEX {} IS {}").format(_ident(name), sql.Literal(OVERHEAD_TAG)))
    except psycopg.Error as e:
        raise AnalyzerError(f"index {name}: {e.diag.message_primary or e}") from e
    build_ms = (time.perf_counter() - started) * 1000
    try:
        return _existing(conn, name, build_ms)
    except AnalyzerError:
        raise AnalyzerError(f"index {name}: the statement ran but created no index of that name: {create_sql}") from None


def _existing(conn: psycopg.Connection, name: str, build_ms: float) -> IndexBuild:
    """An index that exists now, described as one build of a measurement."""
    row = conn.execute(
        "SELECT tn.nspname, t.relname, am.amname, pg_relation_size(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE i.indexrelid = to_regclass(%s)",
        (_regclass_text(conn, name),),
    ).fetchone()
    if row is None:
        raise AnalyzerError(f"write overhead: index {name} does not exist")
    return IndexBuild(name=name, table=table_key(str(row[0]), str(row[1])), method=str(row[2]), build_ms=build_ms,
                      size_bytes=int(row[3]))


def _drop(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(_ident(name)))


class _autocommit:
    """VACUUM and CHECKPOINT need autocommit: switch an idle connection to it for the measurement."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.previous = conn.autocommit

    def __enter__(self) -> None:
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise AnalyzerError("write overhead: the connection is inside a transaction; measure outside one")
        self.conn.autocommit = True

    def __exit__(self, *exc: object) -> None:
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self.conn.autocommit = self.previous
