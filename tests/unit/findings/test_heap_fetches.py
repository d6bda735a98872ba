"""builtin.heap_fetches: index-only scans that still visit the heap."""

from __future__ import annotations

from tests.unit.findings import external, findings, node


def test_an_index_only_scan_with_heap_fetches() -> None:
    plan = external("joe_heap_fetches.json")
    (f,) = findings(plan, "heap_fetches")
    assert node(plan, f.node_path) == "Index Only Scan" and "7,924 heap fetches" in f.detail
    assert findings(plan, "heap_fetches", heap_fetches_min=10_000) == []
