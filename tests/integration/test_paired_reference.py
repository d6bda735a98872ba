"""Paired timing of the chosen set: a set the first replay found far slower is not re-run without the indexes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from analyzer.advisor.builds import IndexBuilds
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.timing import FAR_APART, QueryTimer
from analyzer.params import sample_param_sets
from analyzer.workload import load_workload

WORKLOAD = """
name: far_apart
seed: false
replay: {param_sets: 3, runs: 3, warmup: 1, budget_s: 2, statement_timeout_s: 30}
queries:
  - name: by_code
    sql: SELECT id, note FROM things WHERE code = :code
    params:
      code: {sample: things.code}
"""


@pytest.fixture
def things(fresh_db: str, tmp_path: Path) -> Iterator[tuple[psycopg.Connection, Path]]:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE things (id bigint PRIMARY KEY, code int NOT NULL, note text NOT NULL)")
        conn.execute("INSERT INTO things SELECT g, g % 50000, repeat('n', 60) FROM generate_series(1, 300000) g")
        conn.execute("VACUUM ANALYZE things")
        path = tmp_path / "far_apart.yaml"
        path.write_text(WORKLOAD)
        yield conn, path


def test_a_scan_far_slower_in_the_replay_is_not_run_again(things: tuple[psycopg.Connection, Path]) -> None:
    conn, path = things
    workload = load_workload(path)
    stmt = workload.queries[0]
    timer = QueryTimer(conn, workload.replay, {stmt.name: sample_param_sets(conn, stmt, 3, 1)})
    reference = timer.time(stmt)  # the sequential scan, as the first replay measured it
    builds = IndexBuilds(conn, "test-paired-reference")
    try:
        built = builds.build(IndexCandidate("things", ("code",), "btree"))
        paired = timer.paired(stmt, [built.name], reference=reference)
        # a reference that is not far from the indexed run: every set is paired for real
        near = replace(reference, ms_by_set=tuple(0.0 for _ in reference.ms_by_set))
        repaired = timer.paired(stmt, [built.name], reference=near)
    finally:
        builds.drop_indexes()
    assert min(reference.ms_by_set) > FAR_APART * max(paired.after.ms_by_set)
    assert paired.before.ms_by_set == reference.ms_by_set  # the replay's times stand for "without"
    assert paired.before.buffers_by_set == reference.buffers_by_set
    assert built.name in paired.after.index_names and built.name not in paired.before.index_names
    assert all(ms > 0 for ms in repaired.before.ms_by_set)  # measured again, not the 0 of the fake reference
    assert repaired.before.buffers_by_set == reference.buffers_by_set
