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


def test_the_proportional_saving_uses_no_time_measured_after_the_build() -> None:
    """Alternatives are compared on buffers at the rates before: a slowed run after the build changes nothing."""
    quiet, loaded = timing(30.0, 1500, 1500), timing(90.0, 1500, 1500)
    saving = netgain.proportional_saving_ms({"report": quiet}, BASELINE, BASELINE, WEIGHTS)
    assert saving == pytest.approx(10 * 1500 * 0.02 / 40)
    assert netgain.proportional_saving_ms({"report": loaded}, BASELINE, BASELINE, WEIGHTS) == saving
    current = dict(BASELINE, report=timing(2.0, 100, 100))  # capped by what is left of the query
    assert netgain.proportional_saving_ms({"report": quiet}, current, BASELINE, WEIGHTS) == pytest.approx(
        10 * 100 * 0.02 / 40)


def test_the_threshold_in_ms_is_the_buffer_threshold_at_the_workloads_time_per_buffer() -> None:
    # weighted: 757.5 buffers and 15.75 ms per query
    assert netgain.threshold_ms(7.575, BASELINE, WEIGHTS) == pytest.approx(0.1575)
    assert netgain.threshold_ms(1.0, {"q": timing(0.0, 0)}, {"q": 1.0}) == 0.0


def test_the_rejected_alternative_quotes_both_sides_of_the_objective() -> None:
    brin = Proof(IndexCandidate("events", ("occurred_at",), "brin", method="brin"))
    btree = Proof(IndexCandidate("events", ("occurred_at",), "btree"))
    weighing = Weighing(NetEffect(brin, 29.2, -1.8, 0.062, reads_buffers=1280.5),
                        (NetEffect(btree, 33.7, -20.4, 0.411, reads_buffers=1062.0),))
    reason = weighing.reasons[btree.cand.name]
    assert reason.startswith(f"{brin.cand.name} is the better alternative on the objective {TERM}")
    assert ("this index saves the reads 33.700 ms (1,062.0 buffers) and costs the writes 20.400 ms, +41.1% WAL: "
            "net 13.300 ms") in reason
    assert "net 27.400 ms" in reason
    assert Weighing(None).reasons == {}


def test_maintenance_is_charged_from_wal_and_a_write_the_index_serves_keeps_its_time() -> None:
    from analyzer.report.model import StatementOverhead, WriteOverhead

    insert = StatementOverhead("ingest", 3, time_ms_before=120.0, time_ms_delta=-50.0,  # noise: faster with an index
                               wal_bytes_before=1_000_000, wal_bytes_delta=400_000, frequency=6.0, can_gain=False)
    purge = StatementOverhead("purge", 1, time_ms_before=10.0, time_ms_delta=-8.0,
                              wal_bytes_before=5_000, wal_bytes_delta=0, frequency=0.1, can_gain=True)
    overhead = netgain.maintenance_from_wal(WriteOverhead(0, 0.0, 0, 0.0, 0.0, statements=(insert, purge)))
    charged, kept = overhead.statements
    assert charged.time_ms_delta == pytest.approx(120.0 * 0.4)
    assert kept == purge
    assert netgain.writes_text(-0.0) == "saves the writes 0.000 ms"


def test_a_states_read_time_is_the_mean_over_its_parameter_sets_capped_by_its_buffers() -> None:
    """The median of all runs is the typical set's: an index that leaves the heavy tenant 55 ms of work is
    not worth its median 0.1 ms; and no state counts more than its buffers at the rate before."""
    before = QueryTiming(60.0, 3000, (60.0,), None, frozenset(), buffers_by_set=(3000, 3000, 3000),
                         ms_by_set=(60.0, 60.0, 60.0))
    heavy_left = QueryTiming(0.1, 5, (55.0, 0.1, 0.1), None, frozenset(), buffers_by_set=(2900, 5, 5),
                             ms_by_set=(55.0, 0.1, 0.1))
    assert netgain.estimated_ms(heavy_left, before) == pytest.approx(18.4)
    noisy = QueryTiming(9.0, 5, (9.0,), None, frozenset(), buffers_by_set=(30, 30, 30), ms_by_set=(9.0, 9.0, 9.0))
    assert netgain.estimated_ms(noisy, before) == pytest.approx(30 * 0.02)  # a slowed run: its buffers' worth


def test_the_writes_buffers_weigh_per_execution_beside_w_per_query() -> None:
    """200 single-row inserts per run at weight 200 add 274 buffers a run (a descent per row), a batch of 50
    rows at weight 20 adds 1,350 per run of 2: per query (queries weigh 91) that is 274 + 20 * 675 over 91."""
    from analyzer.advisor.writecosts import write_buffers_delta
    from analyzer.report.model import StatementOverhead, WriteOverhead

    single = StatementOverhead("insert_event", 200, 2.0, 3.0, buffers_before=930, buffers_delta=274, frequency=200.0)
    batch = StatementOverhead("insert_batch", 2, 4.0, 3.0, buffers_before=2750, buffers_delta=1350, frequency=20.0)
    served = StatementOverhead("purge", 1, 40.0, -39.0, buffers_before=9000, buffers_delta=-8900, frequency=0.1)
    overhead = WriteOverhead(0, 0.0, 0, 0.0, 0.0, statements=(single, batch, served))
    expected = (200 * 274 / 200 + 20 * 1350 / 2 + 0.1 * -8900) / 91
    assert write_buffers_delta(overhead, read_weight=91, write_weight=220.1) == pytest.approx(expected)
    assert write_buffers_delta(overhead, read_weight=0, write_weight=220.1) == 0.0
