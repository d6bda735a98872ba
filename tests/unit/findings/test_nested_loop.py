"""builtin.nested_loop: inner sides run many times; Memoize hits do not count."""

from __future__ import annotations

from tests.unit.findings import external, findings


def test_memoize_counts_cache_misses_not_loops() -> None:
    plan = external("joe_pg17_memoize.json")  # 100,000 lookups, 99,950 hits, 50 misses
    assert findings(plan, "nested_loop") == []
    assert findings(plan, "nested_loop", nested_loop_max_loops=10)[0].detail.count("50 times (50 cache misses") == 1


def test_an_inner_index_scan_on_the_key_gets_no_index_advice() -> None:
    plan = external("pev_nested_loop_keyed.json")  # inner Index Scans on keys, 32,352 loops
    found = findings(plan, "nested_loop")
    assert found and all("already uses" in f.detail and "an index on the join column" not in f.detail for f in found)
