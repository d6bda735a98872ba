"""A query too slow to time every parameter set within the budget: one TIMING OFF run per set, every set."""

from __future__ import annotations

from pathlib import Path

import psycopg

from analyzer.replay import replay_statement
from analyzer.workload import load_workload

WORKLOAD = """
name: slow_one
seed: false
replay: {param_sets: 3, runs: 5, warmup: 1, budget_s: 0.05, statement_timeout_s: 30}
queries:
  - name: count_multiples
    sql: SELECT count(*) FROM generate_series(1, 2000000) g WHERE g % CAST(:m AS int) = 0
    params:
      m: {values: [3, 7, 11]}
"""


def test_a_slow_query_runs_once_per_set_with_timing_off(fresh_db: str, tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(WORKLOAD)
    workload = load_workload(path)
    stmt = workload.queries[0]
    sets = [{"m": 3}, {"m": 7}, {"m": 11}]
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        m = replay_statement(conn, stmt, sets, workload.replay)
    assert m.error is None
    assert m.note is not None and "TIMING OFF" in m.note
    assert [len(s.timings_ms) for s in m.sets] == [1, 1, 1]  # every set, once: the first set's run is its warm-up
    assert all(s.plan is not None and s.plan.execution_ms for s in m.sets)
    counts = [s.plan.raw[0]["Plan"]["Actual Rows"] for s in m.sets if s.plan is not None]
    assert counts == [1, 1, 1]
