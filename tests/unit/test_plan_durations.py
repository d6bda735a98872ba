"""Node times as a DBA reads them: wall-clock below a Gather, CTE bodies charged once, sums that add up.

PEV2's own test (04-actual-duration-parallel) expects 400.681 ms for the Seq Scan and
2,020.558 - 400.681 ms for the Sort of a Gather Merge with two workers: "Actual Total Time" is
an average per loop and the three loops ran at the same time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.plan import parse_explain

EXTERNAL = Path(__file__).resolve().parent.parent / "fixtures" / "external"


def _plan(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((EXTERNAL / name).read_text())
    return data


def test_pev2_parallel_durations() -> None:
    plan = parse_explain(_plan("pev2_parallel_durations.json"))
    by_type = {n.node_type: n for n in plan.nodes()}
    assert by_type["Seq Scan"].exclusive_ms == pytest.approx(400.681, rel=0.01)
    assert by_type["Sort"].exclusive_ms == pytest.approx(2020.558 - 400.681, rel=0.01)
    assert by_type["Gather Merge"].exclusive_ms == pytest.approx(3805.404 - 2020.558, rel=0.01)
    total = sum(n.exclusive_ms or 0.0 for n in plan.nodes())
    assert plan.execution_ms is not None and total <= plan.execution_ms * 1.01


def test_loops_inside_a_parallel_section_are_shared_by_the_processes() -> None:
    """PEV2's 05-parallel-children-loops: a Bitmap Index Scan at 14.023 ms x 81,357 loops under a
    Gather with 3 workers took 14.023 x 81,357 / 4 = 285,217.3 ms of wall-clock."""
    scan = {"Node Type": "Bitmap Index Scan", "Index Name": "mike_uniform", "Parent Relationship": "Outer",
            "Actual Total Time": 14.023, "Actual Loops": 81357, "Actual Rows": 284399, "Plan Rows": 52187}
    loop = {"Node Type": "Nested Loop", "Parent Relationship": "Outer", "Actual Total Time": 382365.760,
            "Actual Loops": 4, "Actual Rows": 91829, "Plan Rows": 1, "Plans": [scan]}
    gather = {"Node Type": "Gather", "Workers Planned": 3, "Workers Launched": 3, "Actual Total Time": 383125.490,
              "Actual Loops": 1, "Actual Rows": 367315, "Plan Rows": 3, "Plans": [loop]}
    plan = parse_explain([{"Plan": gather, "Execution Time": 383161.073}])
    bitmap = next(n for n in plan.nodes() if n.node_type == "Bitmap Index Scan")
    assert bitmap.exclusive_ms == pytest.approx(285217.30275, rel=1e-6)


def test_without_a_gather_loops_add_up() -> None:
    inner = {"Node Type": "Index Scan", "Parent Relationship": "Inner", "Actual Total Time": 0.01,
             "Actual Loops": 1000, "Actual Rows": 1, "Plan Rows": 1}
    root = {"Node Type": "Nested Loop", "Actual Total Time": 20.0, "Actual Loops": 1, "Actual Rows": 1000,
            "Plan Rows": 1000, "Plans": [inner]}
    plan = parse_explain([{"Plan": root}])
    assert plan.root.children[0].inclusive_ms == pytest.approx(10.0)
    assert plan.root.exclusive_ms == pytest.approx(10.0)


def test_a_cte_body_is_charged_to_the_cte_scan_that_reads_it() -> None:
    plan = parse_explain(_plan("pg_flame_cte.json"))
    total = sum(n.exclusive_ms or 0.0 for n in plan.nodes())
    assert plan.execution_ms is not None and total <= plan.execution_ms * 1.01
    for scan in (n for n in plan.nodes() if n.node_type == "CTE Scan" and n.inclusive_ms):
        body = next(b for b in plan.nodes() if b.subplan_name == f"CTE {scan.cte_name}")
        assert scan.cte_ms == pytest.approx(min(body.inclusive_ms or 0.0, scan.inclusive_ms or 0.0))


def test_no_node_outlasts_its_statement() -> None:
    """joe's fixture says the root ran 3,684.6 ms of a 3,565.6 ms execution: times are capped."""
    plan = parse_explain(_plan("joe_cte_root_over_execution.json"))
    assert plan.execution_ms is not None
    assert all((n.inclusive_ms or 0.0) <= plan.execution_ms for n in plan.nodes())
    assert sum(n.exclusive_ms or 0.0 for n in plan.nodes()) <= plan.execution_ms * 1.01


def _parallel_append(leader: bool) -> dict[str, object]:
    def part(name: str) -> dict[str, object]:
        return {"Node Type": "Seq Scan", "Relation Name": name, "Parent Relationship": "Member",
                "Actual Total Time": 90.0, "Actual Loops": 1, "Actual Rows": 1000, "Plan Rows": 1000}
    processes = 3 if leader else 2
    append = {"Node Type": "Append", "Parallel Aware": True, "Parent Relationship": "Outer",
              "Actual Total Time": 90.0 * 3 / processes, "Actual Loops": processes, "Actual Rows": 1000,
              "Plan Rows": 1000, "Plans": [part("p1"), part("p2"), part("p3")]}
    return {"Plan": {"Node Type": "Gather", "Workers Planned": 2, "Workers Launched": 2, "Actual Loops": 1,
                     "Actual Total Time": 90.0 * 3 / processes + 10, "Actual Rows": 3000, "Plan Rows": 3000,
                     "Plans": [append]},
            "Execution Time": 90.0 * 3 / processes + 11}


@pytest.mark.parametrize("leader", [True, False])
def test_parallel_append_children_share_the_processes(leader: bool) -> None:
    """Three partitions scanned at once by three processes (or two, without the leader): their times
    add up to the Append's, not to three times it."""
    plan = parse_explain([_parallel_append(leader)])
    append = plan.root.children[0]
    assert append.processes == (3 if leader else 2)
    assert sum(c.inclusive_ms or 0.0 for c in append.children) == pytest.approx(append.inclusive_ms or 0.0)
    assert sum(n.exclusive_ms or 0.0 for n in plan.nodes()) == pytest.approx(plan.root.inclusive_ms or 0.0)
    assert plan.root.exclusive_ms == pytest.approx(10.0)
