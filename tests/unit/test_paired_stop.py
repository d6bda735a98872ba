"""When paired timing may stop early: only when no amount of noise could bring the two sides together."""

from __future__ import annotations

from analyzer.advisor.timing import ONE_PAIR_SEPARATION, SEPARATION, separated


def test_sides_far_apart_are_separated_either_way_round() -> None:
    assert separated([250.0, 310.0], [0.4, 0.9])
    assert separated([0.4, 0.9], [250.0, 310.0])  # a slower "after" is as decisive


def test_overlapping_or_close_sides_are_not() -> None:
    assert not separated([10.0, 30.0], [12.0, 14.0])  # the slower side's best run is within the faster's worst
    assert not separated([10.0, 11.0], [SEPARATION * 11.0 * 0.99, 40.0])
    assert separated([10.0, 11.0], [SEPARATION * 11.0, 40.0])


def test_no_runs_decide_nothing() -> None:
    assert not separated([], [1.0])
    assert not separated([1.0], [])


def test_one_pair_needs_a_wider_gap_than_two() -> None:
    assert not separated([10.0], [SEPARATION * 10.0])
    assert separated([10.0], [ONE_PAIR_SEPARATION * 10.0])
    assert separated([10.0, 10.0], [SEPARATION * 10.0, 25.0])
