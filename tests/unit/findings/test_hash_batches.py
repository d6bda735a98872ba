"""builtin.hash_batches: a Hash Join whose hash table needed several batches."""

from __future__ import annotations

from tests.unit.findings import external, findings, node


def test_a_hash_with_2048_batches() -> None:
    plan = external("pev2_hash_batches.json")
    (f,) = findings(plan, "hash_batches")
    assert node(plan, f.node_path) == "Hash" and "2048 batches" in f.detail


def test_one_batch_is_not_flagged() -> None:
    assert findings(external("joe_cte_root_over_execution.json"), "hash_batches") == []
