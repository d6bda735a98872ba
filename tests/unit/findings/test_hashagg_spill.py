"""builtin.hashagg_spill: a HashAggregate that wrote batches to disk."""

from __future__ import annotations

from tests.unit.findings import external, findings, node


def test_a_hashaggregate_that_spilled() -> None:
    plan = external("joe_pg17_hashagg_spill.json")  # HashAgg Batches 85, Disk Usage 1,880 kB
    (f,) = findings(plan, "hashagg_spill")
    assert node(plan, f.node_path) == "Aggregate" and f.severity == "warning"
    assert "1,880 kB" in f.detail and "85 batches" in f.detail and ": raise work_mem" in f.detail


def test_a_hashaggregate_in_memory_is_not_flagged() -> None:
    assert findings(external("joe_pg17_hashagg_having.json"), "hashagg_spill") == []  # 1 batch, no disk
