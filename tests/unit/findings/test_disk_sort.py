"""builtin.disk_sort: Sorts and Incremental Sorts that spilled."""

from __future__ import annotations

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
