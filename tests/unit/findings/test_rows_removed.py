"""builtin.rows_removed: filters that throw most rows away, on scans an index can serve."""

from __future__ import annotations

from analyzer.plan import parse_explain
from tests.unit.findings import external, findings, node


def test_an_aggregates_having_is_not_an_indexable_filter() -> None:
    plan = external("pg_flame_having.json")  # Aggregate Filter: (count(*) > 1), 98% of groups removed
    aggregates = {n.path for n in plan.nodes() if n.node_type == "Aggregate" and n.filter}
    assert aggregates
    assert not {f.node_path for f in findings(plan, "rows_removed")} & aggregates


def test_a_seq_scan_filter_is_flagged_with_the_index_advice() -> None:
    plan = external("joe_seq_scan.json")
    (f,) = findings(plan, "rows_removed")
    assert node(plan, f.node_path) == "Seq Scan" and f.severity == "error" and "an index" in f.detail


def test_a_join_filter_gets_join_advice_not_an_index() -> None:
    plan = external("joe_cte_root_over_execution.json")
    joins = [f for f in findings(plan, "rows_removed") if "Join" in node(plan, f.node_path)]
    assert joins and all("after the join" in f.detail and "an index" not in f.detail for f in joins)


def test_a_subquery_scan_filter_gets_push_down_advice() -> None:
    inner = {"Node Type": "WindowAgg", "Parent Relationship": "Subquery", "Actual Loops": 1, "Actual Rows": 10000,
             "Plan Rows": 10000}
    scan = {"Node Type": "Subquery Scan", "Alias": "ranked", "Filter": "(ranked.rn = 1)", "Rows Removed by Filter": 9900,
            "Actual Loops": 1, "Actual Rows": 100, "Plan Rows": 50, "Plans": [inner]}
    (f,) = findings(parse_explain([{"Plan": scan}]), "rows_removed")
    assert "push the condition down" in f.detail and "an index that includes" not in f.detail
