"""A query's card quotes the parameter set whose plan it shows: its findings are those of the representative plan."""

from __future__ import annotations

from pathlib import Path

import psycopg

from analyzer.replay import replay_statement
from analyzer.runner import query_report
from analyzer.workload import load_workload

WORKLOAD = """
name: one_filter
seed: false
replay: {param_sets: 3, runs: 3, warmup: 1, budget_s: 5, statement_timeout_s: 30}
queries:
  - name: of_kind
    sql: SELECT md5(id::text) FROM items WHERE kind <= CAST(:kind AS int)
    params:
      kind: {values: [0, 10, 20]}
"""


def test_the_findings_quote_the_filter_of_the_plan_the_card_shows(fresh_db: str, tmp_path: Path) -> None:
    """Every set's sequential scan removes most rows by its own filter; the second set returns 11x the first's
    rows (an md5 each) and half the third's, so the card shows its plan (the median time), and a finding on
    that node quotes its filter, not the first set's (which it used to); one only the first set's plan has
    names that set."""
    path = tmp_path / "kinds.yaml"
    path.write_text(WORKLOAD)
    workload = load_workload(path)
    sets = [{"kind": 0}, {"kind": 10}, {"kind": 20}]
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE items AS SELECT i AS id, i % 50 AS kind FROM generate_series(1, 200000) i")
        conn.execute("ANALYZE items")
        m = replay_statement(conn, workload.queries[0], sets, workload.replay)
    report = query_report(m, workload, {"items": 200000})
    shown = report.plan[0]["Plan"]
    scan = shown if shown["Node Type"] == "Seq Scan" else shown["Plans"][0]
    assert "10" in scan["Filter"], scan["Filter"]
    on_scan = {c.name: c.detail for c in report.checks if c.name in ("builtin.rows_removed", "builtin.seq_scan")}
    assert scan["Filter"] in on_scan["builtin.rows_removed"], on_scan
    # returning 22% of the rows is not a finding for the shown set; the first set's (2%) says it is its own
    assert "(kind <= 0)" in on_scan["builtin.seq_scan"], on_scan
    assert on_scan["builtin.seq_scan"].endswith("(parameter set 1, declared)"), on_scan
    others = {p[0]["Plan"].get("Filter") or p[0]["Plan"]["Plans"][0]["Filter"] for p in report.plans_by_params}
    assert len(others) == 3  # three sets, three filters: the check had a choice to make
