"""compare_runs: the overhead of B against A from paired runs (no database)."""

from __future__ import annotations

import pytest

from analyzer.errors import AnalyzerError
from analyzer.overhead import MixRun, compare_runs


def run(wal: int, ms: float, dirtied: int = 10, hot: int = 0, updates: int = 0, written: int = 0) -> MixRun:
    return MixRun(wal_bytes=wal, time_ms=ms, buffers_dirtied=dirtied, hot_updates=hot, updates=updates,
                  buffers_written=written)


def test_figures_are_medians_of_the_paired_differences() -> None:
    without = [run(1000, 10.0, 10, hot=80, updates=100), run(1000, 12.0, 10, hot=80, updates=100),
               run(1000, 11.0, 10, hot=80, updates=100)]
    with_index = [run(1500, 13.0, 16, hot=30, updates=100, written=2), run(1500, 14.0, 16, hot=30, updates=100),
                  run(1500, 20.0, 16, hot=30, updates=100, written=2)]
    o = compare_runs(without, with_index, index_size_bytes=8192, build_ms=4.5, note="n")
    assert o.wal_bytes == 500
    assert o.wal_ratio == pytest.approx(0.5)
    assert o.baseline_wal_bytes == 1000
    assert o.buffers_dirtied == 6
    assert o.buffers_written == 2
    assert o.time_ms_median == pytest.approx(3.0)  # differences 3, 2, 9
    assert o.time_ms_spread == pytest.approx(3.5)
    assert o.baseline_time_ms_median == pytest.approx(11.0)
    assert o.time_ratio == pytest.approx(3.0 / 11.0)
    assert o.hot_updates_lost == 50
    assert (o.baseline_hot_updates, o.baseline_updates) == (80, 100)
    assert o.wal_bytes_spread == 0
    assert (o.index_size_bytes, o.build_ms, o.note, o.repetitions) == (8192, 4.5, "n", 3)


def test_an_outlier_pair_does_not_move_the_median() -> None:
    without = [run(1000, 10.0), run(1000, 10.0), run(1000, 10.0)]
    with_index = [run(1200, 11.0), run(9000, 11.0), run(1200, 11.0)]  # another session wrote WAL once
    o = compare_runs(without, with_index)
    assert o.wal_bytes == 200
    assert o.wal_bytes_spread == (8000 - 200) // 2


def test_more_hot_updates_with_the_index_is_not_a_negative_loss() -> None:
    o = compare_runs([run(100, 1.0, hot=5, updates=10)], [run(120, 1.0, hot=7, updates=10)])
    assert o.hot_updates_lost == 0
    assert o.repetitions == 1 and o.time_ms_spread == 0


def test_zero_baseline_gives_zero_ratios() -> None:
    o = compare_runs([run(0, 0.0)], [run(50, 1.0)])
    assert o.wal_bytes == 50 and o.wal_ratio == 0.0 and o.time_ratio == 0.0


def test_no_runs_is_an_error() -> None:
    with pytest.raises(AnalyzerError):
        compare_runs([], [run(1, 1.0)])


def test_a_proposed_index_is_named_and_built_without_concurrently() -> None:
    from analyzer.overhead_cmd import parse_proposed_index

    p = parse_proposed_index(
        "CREATE INDEX CONCURRENTLY ON tasks USING gin (to_tsvector('english', title)) WHERE deleted_at IS NULL", 2
    )
    assert p.name.startswith("pga_proposed_2_") and p.table == "tasks"
    assert "CONCURRENTLY" not in p.create_sql and p.name in p.create_sql
    assert p.columns == ("title", "deleted_at")
    named = parse_proposed_index("create index t_ps on tasks (project_id, status)")
    assert (named.name, named.columns) == ("t_ps", ("project_id", "status"))
    with pytest.raises(AnalyzerError, match="one CREATE INDEX"):
        parse_proposed_index("DROP INDEX t_ps")


def test_each_write_gets_its_buffers_before_and_the_median_of_their_paired_differences() -> None:
    from psycopg import sql

    from analyzer.writemix import WriteMix, WriteStatement

    stmt = WriteStatement("ingest", "t", sql.SQL("INSERT INTO t DEFAULT VALUES"), group="ingest")
    mix = WriteMix(statements=(stmt,), tables=frozenset({"t"}), sources={"t": "declared"})

    def with_buffers(n: int) -> MixRun:
        return MixRun(1000, 1.0, 1, 0, 0, per_write={"ingest": (1.0, 1000)}, buffers_by_write={"ingest": n})
    o = compare_runs([with_buffers(929), with_buffers(935), with_buffers(942)],
                     [with_buffers(1204), with_buffers(1210), with_buffers(1203)], mix=mix)
    (ingest,) = o.statements
    assert (ingest.buffers_before, ingest.buffers_delta) == (935, 275)  # 275, 275, 261


def test_a_pending_list_flush_is_paid_by_the_writes_that_filled_it_in_proportion() -> None:
    from analyzer.overhead import _share_flush

    touched = {"insert_event": 900, "insert_batch": 2700, "acknowledge": 400}
    _share_flush(touched, ["insert_batch", "insert_event"], 1200)
    assert touched == {"insert_event": 1200, "insert_batch": 3600, "acknowledge": 400}
    nothing_yet: dict[str, int] = {}
    _share_flush(nothing_yet, ["a", "b"], 10)
    assert nothing_yet == {"a": 5, "b": 5}
