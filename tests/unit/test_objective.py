"""The advisor's objective on figures alone: what counts as helped, the worst case, the threshold."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from analyzer.advisor import objective


@dataclass(frozen=True)
class Figures:
    buffers_by_set: tuple[int, ...]


def test_work_is_the_mean_over_parameter_sets_and_worst_the_maximum() -> None:
    f = Figures((100, 10, 1))
    assert objective.work(f) == pytest.approx(37.0)
    assert objective.worst(f) == 100


def test_a_query_is_helped_when_its_work_drops() -> None:
    assert objective.helped(Figures((1000, 1000)), Figures((10, 12)))
    assert not objective.helped(Figures((1000, 1000)), Figures((995, 1000)))  # within the 2% margin


def test_an_index_that_hurts_the_heavy_set_does_not_help_even_if_the_mean_drops() -> None:
    before = Figures((500, 20_000, 20_000, 20_000, 5))
    after = Figures((5_000, 10, 10, 10, 5))  # typical sets 2000x better, heavy set 10x worse
    assert objective.work(after) < objective.work(before)
    assert not objective.helped(before, after)


def test_a_nearly_free_set_that_costs_a_little_more_does_not_veto_a_large_saving() -> None:
    before = Figures((3953, 28980, 28980, 6352, 11))
    after = Figures((120, 300, 300, 200, 50))  # the set a LIMIT stopped after 11 buffers now reads 50
    assert objective.helped(before, after)
    assert objective.regressed_sets(Figures((500, 20_000)), Figures((5_000, 10))) == [0]


def test_weighted_saving_counts_only_helped_queries() -> None:
    current = {"a": Figures((1000,)), "b": Figures((100,))}
    after = {"a": Figures((10,)), "b": Figures((150,))}
    weights = {"a": 1.0, "b": 3.0}
    assert objective.weighted_saving(after, current, weights) == pytest.approx(990 / 4)
    assert objective.weighted_work(current, weights) == pytest.approx((1000 + 300) / 4)


def test_the_threshold_is_a_share_of_the_work_with_a_floor() -> None:
    assert objective.threshold(10_000) == pytest.approx(100)
    assert objective.threshold(5) == objective.MIN_SAVING_BUFFERS


def test_rejection_figures_name_the_unit() -> None:
    assert objective.describe(1234.5) == "1,234.5 weighted buffers per query"
    assert objective.ratio_text(Figures((1000,)), Figures((10,))) == "1,000 → 10 buffers (100.0x)"
