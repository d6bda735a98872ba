"""builtin.disk_sort: Sorts and Incremental Sorts that spilled."""

from __future__ import annotations

from analyzer.plan import parse_explain
from tests.unit.findings import external, findings, node


def test_an_incremental_sort_that_spilled_in_its_presorted_groups() -> None:
    plan = external("joe_incremental_sort_disk.json")  # Pre-sorted Groups, Sort Space Disk 2,048 kB
    (f,) = findings(plan, "disk_sort")
    assert node(plan, f.node_path) == "Incremental Sort" and f.severity == "warning"
    assert "2,048 kB" in f.detail and "pre-sorted groups" in f.detail and "external merge" in f.detail


def test_an_incremental_sort_in_memory_is_not_flagged() -> None:
    assert findings(external("joe_pg17_incremental_sort_memory.json"), "disk_sort") == []


def test_an_external_merge_sort() -> None:
    plan = external("joe_sort_disk.json")
    (f,) = findings(plan, "disk_sort")
    assert node(plan, f.node_path) == "Sort" and "1,648 kB" in f.detail


def test_a_sort_that_spilled_in_a_worker_only() -> None:
    """EXPLAIN VERBOSE lists each worker's sort: the leader may sort in memory while a worker spills."""
    sort = {"Node Type": "Sort", "Parent Relationship": "Outer", "Actual Total Time": 50.0, "Actual Loops": 3,
            "Actual Rows": 1000, "Plan Rows": 1000, "Sort Method": "quicksort", "Sort Space Used": 900,
            "Sort Space Type": "Memory",
            "Workers": [{"Worker Number": 0, "Sort Method": "quicksort", "Sort Space Used": 800, "Sort Space Type": "Memory"},
                        {"Worker Number": 1, "Sort Method": "external merge", "Sort Space Used": 4096,
                         "Sort Space Type": "Disk"}]}
    gather = {"Node Type": "Gather Merge", "Workers Planned": 2, "Workers Launched": 2, "Actual Total Time": 60.0,
              "Actual Loops": 1, "Actual Rows": 3000, "Plan Rows": 3000, "Plans": [sort]}
    plan = parse_explain([{"Plan": gather, "Execution Time": 61.0}])
    (f,) = findings(plan, "disk_sort")
    assert f.node_path == "0.0" and "4,096 kB" in f.detail and "worker 1" in f.detail
    sort["Workers"] = sort["Workers"][:1]  # type: ignore[index]
    assert findings(parse_explain([{"Plan": gather}]), "disk_sort") == []
