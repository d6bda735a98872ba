"""When a warm-up run is worth repeating: only while runs still read fewer blocks from outside shared buffers."""

from __future__ import annotations

from analyzer.replay import still_warming


def test_a_cold_first_run_is_repeated() -> None:
    assert still_warming(None, 1200)


def test_a_run_that_read_nothing_is_warm() -> None:
    assert not still_warming(None, 0)
    assert not still_warming(1200, 0)


def test_runs_that_keep_reading_the_same_blocks_are_as_warm_as_they_get() -> None:
    """A large table's sequential scan goes through a ring of buffers: every run reads it again."""
    assert not still_warming(40_000, 40_000)
    assert not still_warming(40_000, 41_000)
    assert still_warming(40_000, 300)  # most of it is cached now: once more
