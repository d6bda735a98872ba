"""Write savers measured first stay built for the write mix while the reads are measured without them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest

from analyzer.advisor import writecosts
from analyzer.advisor.builds import IndexBuilds
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.timing import QueryTimer
from analyzer.advisor.writecosts import MeasuredWriteCosts
from analyzer.overhead import MixRun, OverheadRuns
from analyzer.params import sample_param_sets
from analyzer.workload import Statement, load_workload
from analyzer.writemix import build_write_mix

WORKLOAD = """
name: pinned
seed: false
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 2, statement_timeout_s: 30}
queries:
  - name: by_parent
    sql: SELECT id FROM child WHERE parent_id = :parent
    params:
      parent: {sample: child.parent_id}
writes:
  - name: add_child
    sql: INSERT INTO child (parent_id, note) SELECT :parent, 'x' FROM generate_series(1, 50)
    params:
      parent: {sample: parent.id}
    weight: 5
"""


@pytest.fixture
def tables(fresh_db: str, tmp_path: Path) -> Iterator[tuple[psycopg.Connection, Path]]:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE parent (id bigint PRIMARY KEY)")
        conn.execute("CREATE TABLE child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                     "parent_id bigint NOT NULL REFERENCES parent, note text NOT NULL)")
        conn.execute("INSERT INTO parent SELECT generate_series(1, 2000)")
        conn.execute("INSERT INTO child (parent_id, note) SELECT 1 + g % 2000, 'n' FROM generate_series(1, 60000) g")
        conn.execute("VACUUM ANALYZE parent, child")
        path = tmp_path / "pinned.yaml"
        path.write_text(WORKLOAD)
        yield conn, path


def _measuring(conn: psycopg.Connection, path: Path, run_id: str,
               ) -> tuple[Statement, IndexBuilds, QueryTimer, MeasuredWriteCosts]:
    """The advisor's parts wired as advise() wires them: the timer and the write costs hide what builds hides."""
    workload = load_workload(path)
    stmt = workload.queries[0]
    builds = IndexBuilds(conn, run_id)
    timer = QueryTimer(conn, workload.replay, {stmt.name: sample_param_sets(conn, stmt, 2, 1)},
                       always_hidden=builds.hidden_from_reads)
    costs = MeasuredWriteCosts(conn, build_write_mix(conn, workload, {"child"}, 1), 1.0, 5.0,
                               hidden=builds.hidden_from_writes)
    return stmt, builds, timer, costs


def test_a_pinned_index_is_seen_by_the_writes_not_by_the_reads(tables: tuple[psycopg.Connection, Path]) -> None:
    conn, path = tables
    stmt, builds, timer, costs = _measuring(conn, path, "test-pinned")
    cand = IndexCandidate("child", ("parent_id",), "btree")
    try:
        pinned = builds.pin(cand)
        assert builds.hidden_from_reads() == [pinned.name]
        hidden = timer.time(stmt)
        assert pinned.name not in hidden.index_names and pinned.name not in timer.planned_indexes(stmt)
        overhead = costs.index_overhead(cand, pinned)  # the mix maintains it: its WAL grows
        assert overhead is not None and overhead.wal_bytes > 0

        shown = builds.build(cand)  # shown to the reads, not built again
        assert shown is pinned and builds.hidden_from_reads() == []
        assert pinned.name in timer.time(stmt).index_names

        builds.drop(cand.name)  # a pinned index dropped from the reads' state stays built for the writes
        assert builds.hidden_from_reads() == [pinned.name]
        builds.release(cand.name)
        assert builds.hidden_from_reads() == [] and cand.name not in builds.live
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (cand.name,)).fetchone()
        assert exists == (False,)
    finally:
        builds.drop_indexes()


def test_the_run_with_a_pick_stands_for_the_next_candidates_run_without(
    tables: tuple[psycopg.Connection, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn, path = tables
    given: list[int] = []
    real = writecosts.measure_built_runs

    def recording(*args: Any, without: Sequence[MixRun] = (), **kwargs: Any) -> OverheadRuns:
        given.append(len(without))
        return real(*args, without=without, **kwargs)

    monkeypatch.setattr(writecosts, "measure_built_runs", recording)
    _, builds, _, costs = _measuring(conn, path, "test-pinned-reuse")
    first = IndexCandidate("child", ("parent_id",), "btree")
    second = IndexCandidate("child", ("note",), "btree")
    try:
        a = costs.index_overhead(first, builds.build(first))
        b = costs.index_overhead(second, builds.build(second))  # measured with `first` in place
        assert a is not None and b is not None
        assert given == [0, 1]  # the second's run without it is the first's run with it, not a new run
        assert [s.wal_bytes_before for s in b.statements] == [
            s.wal_bytes_before + s.wal_bytes_delta for s in a.statements]
        assert b.wal_bytes > 0
    finally:
        builds.drop_indexes()


def test_parked_pins_leave_the_write_mix(tables: tuple[psycopg.Connection, Path]) -> None:
    conn, path = tables
    _, builds, _, costs = _measuring(conn, path, "test-parked")
    saver = IndexCandidate("child", ("parent_id",), "btree")
    other = IndexCandidate("child", ("note",), "btree")
    try:
        builds.pin(saver)
        built = builds.build(other)
        with_pin = costs.index_overhead(other, built)  # the pin is maintained on both sides
        builds.parking = True
        assert builds.hidden_from_writes() == [saver.name]
        parked = costs.index_overhead(other, built)  # the pin is hidden on both sides
        assert with_pin is not None and parked is not None
        assert parked.baseline_wal_bytes < with_pin.baseline_wal_bytes
        builds.build(saver)  # shown: in the state again
        assert builds.hidden_from_writes() == []
    finally:
        builds.drop_indexes()


def test_a_parked_index_is_in_no_state_until_it_is_built(tables: tuple[psycopg.Connection, Path]) -> None:
    conn, path = tables
    stmt, builds, timer, costs = _measuring(conn, path, "test-parked-alternative")
    first = IndexCandidate("child", ("parent_id",), "btree")
    rival = IndexCandidate("child", ("parent_id", "id"), "btree")
    try:
        a = costs.index_overhead(first, builds.park(first))
        b = costs.index_overhead(rival, builds.park(rival))  # `first` parked: hidden on both sides
        assert a is not None and b is not None
        assert b.baseline_wal_bytes == a.baseline_wal_bytes  # both measured against the same state
        assert builds.hidden_from_writes() == sorted([first.name, rival.name])
        assert not timer.planned_indexes(stmt) & {first.name, rival.name}
        again = builds.build(first)  # taken: no second build
        assert again is builds.live[first.name] and first.name in timer.planned_indexes(stmt)
        builds.drop_parked()
        assert set(builds.live) == {first.name}
    finally:
        builds.drop_indexes()
