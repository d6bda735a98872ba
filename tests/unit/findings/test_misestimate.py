"""builtin.misestimate: row estimates far off, except where the reader stops early by design."""

from __future__ import annotations

from analyzer.plan import parse_explain
from tests.unit.findings import external, findings


def test_a_windowagg_with_a_run_condition_stops_early_by_design() -> None:
    plan = external("joe_pg17_window_run_condition.json")  # 50,157 estimated, 10 returned: row_number() <= 10
    assert [f.detail for f in findings(plan, "misestimate") if f.severity != "info"] == []


def test_cte_bodies_read_lazily_are_no_misestimate() -> None:
    plan = external("pg_flame_cte.json")  # CTE bodies read one row each: 2,481x to 5,016x "over"
    flagged = {f.node_path for f in findings(plan, "misestimate") if f.severity == "error"}
    inside = {d.path for n in plan.nodes() if n.is_cte_body for d in n.walk()}
    assert len(inside) >= 8 and not flagged & inside


def test_a_true_underestimate_is_still_an_error() -> None:
    plan = external("pev2_parallel_durations.json")
    assert findings(plan, "misestimate", misestimate_info=1.1, misestimate_warning=1.2, misestimate_error=1.3)


def test_nodes_that_count_no_rows_are_left_out() -> None:
    """A BitmapAnd always reports 0 rows (PEV2's 05-parallel-children-loops: 1,583 estimated)."""
    idx = {"Node Type": "Bitmap Index Scan", "Index Name": "echo", "Parent Relationship": "Member",
           "Actual Loops": 1, "Actual Rows": 16719, "Plan Rows": 15129}
    band = {"Node Type": "BitmapAnd", "Parent Relationship": "Outer", "Actual Loops": 1, "Actual Rows": 0,
            "Plan Rows": 1583, "Plans": [idx, dict(idx, **{"Index Name": "mike"})]}
    heap = {"Node Type": "Bitmap Heap Scan", "Relation Name": "golf", "Actual Loops": 1, "Actual Rows": 2,
            "Plan Rows": 1, "Plans": [band]}
    insert = {"Node Type": "ModifyTable", "Operation": "Insert", "Relation Name": "t", "Actual Loops": 1,
              "Actual Rows": 0, "Plan Rows": 5000, "Plans": [dict(heap, **{"Parent Relationship": "Outer"})]}
    assert findings(parse_explain([{"Plan": insert}]), "misestimate") == []
