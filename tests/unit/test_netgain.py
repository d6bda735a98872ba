"""Reads and writes in one unit (weighted ms per query) on figures alone: the netgain module and the
alternatives' reason line."""

from __future__ import annotations

import pytest

from analyzer.advisor import netgain
from analyzer.advisor.alternatives import TERM, NetEffect, Weighing
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.selection import Proof
from analyzer.advisor.timing import QueryTiming


def timing(ms: float, *buffers: int) -> QueryTiming:
    return QueryTiming(ms, buffers[0], (ms,), None, frozenset(), buffers_by_set=buffers)


BASELINE = {"report": timing(60.0, 3000, 3000), "lookup": timing(1.0, 10, 10)}
WEIGHTS = {"report": 10.0, "lookup": 30.0}


def test_a_buffer_saving_stands_for_the_time_before_in_proportion() -> None:
    after = {"report": timing(30.0, 1500, 1500)}  # half the work: half of 60 ms, weight 10 of 40
    assert netgain.read_saving_ms(after, BASELINE, BASELINE, WEIGHTS) == pytest.approx(10 * 30.0 / 40)


def test_the_saving_is_capped_by_what_is_left_of_the_query() -> None:
    current = dict(BASELINE, report=timing(2.0, 100, 100))  # an index chosen earlier took it to 100 buffers
    after = {"report": timing(30.0, 1500, 1500)}
    assert netgain.read_saving_ms(after, current, BASELINE, WEIGHTS) == pytest.approx(10 * 100 * 0.02 / 40)


def test_a_query_made_slower_counts_with_its_sign() -> None:
    current = dict(BASELINE, report=timing(2.0, 100, 100))
    worse = {"report": timing(40.0, 2000, 2000)}
    assert netgain.read_change_ms(worse, current, BASELINE, WEIGHTS) == pytest.approx(-10 * 1900 * 0.02 / 40)


def test_the_threshold_in_ms_is_the_buffer_threshold_at_the_workloads_time_per_buffer() -> None:
    # weighted: 757.5 buffers and 15.75 ms per query
    assert netgain.threshold_ms(7.575, BASELINE, WEIGHTS) == pytest.approx(0.1575)
    assert netgain.threshold_ms(1.0, {"q": timing(0.0, 0)}, {"q": 1.0}) == 0.0


def test_the_rejected_alternative_quotes_both_sides_of_the_objective() -> None:
    brin = Proof(IndexCandidate("events", ("occurred_at",), "brin", method="brin"))
    btree = Proof(IndexCandidate("events", ("occurred_at",), "btree"))
    weighing = Weighing(NetEffect(brin, 29.2, -1.8, 0.062), (NetEffect(btree, 33.7, -20.4, 0.411),))
    reason = weighing.reasons[btree.cand.name]
    assert reason.startswith(f"{brin.cand.name} is the better alternative on the objective {TERM}")
    assert "this index saves the reads 33.700 ms and costs the writes 20.400 ms, +41.1% WAL: net 13.300 ms" in reason
    assert "net 27.400 ms" in reason
    assert Weighing(None).reasons == {}
