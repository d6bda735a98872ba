"""builtin.nested_loop: inner sides run many times; Memoize hits do not count."""

from __future__ import annotations

from analyzer.plan import parse_explain
from tests.unit.findings import external, findings


def test_memoize_counts_cache_misses_not_loops() -> None:
    plan = external("joe_pg17_memoize.json")  # 100,000 lookups, 99,950 hits, 50 misses
    assert findings(plan, "nested_loop") == []
    assert findings(plan, "nested_loop", nested_loop_max_loops=10)[0].detail.count("50 times (50 cache misses") == 1


def test_an_inner_index_scan_on_the_key_gets_no_index_advice() -> None:
    plan = external("pev_nested_loop_keyed.json")  # inner Index Scans on keys, 32,352 loops
    found = findings(plan, "nested_loop")
    assert found and all("already uses" in f.detail and "an index on the join column" not in f.detail for f in found)


def test_an_inner_append_of_partition_index_scans_is_keyed() -> None:
    def part(name: str) -> dict[str, object]:
        return {"Node Type": "Index Scan", "Relation Name": name, "Index Name": f"{name}_pkey",
                "Index Cond": "(id = o.id)", "Actual Loops": 5000, "Actual Rows": 1, "Plan Rows": 1}
    inner = {"Node Type": "Append", "Parent Relationship": "Inner", "Actual Loops": 5000, "Actual Rows": 1,
             "Plan Rows": 2, "Plans": [part("p1"), part("p2")]}
    outer = {"Node Type": "Seq Scan", "Relation Name": "o", "Parent Relationship": "Outer", "Actual Loops": 1,
             "Actual Rows": 5000, "Plan Rows": 5000}
    plan = parse_explain([{"Plan": {"Node Type": "Nested Loop", "Join Type": "Inner", "Actual Loops": 1,
                                    "Actual Rows": 5000, "Plan Rows": 5000, "Plans": [outer, inner]}}])
    (f,) = findings(plan, "nested_loop")
    assert "already uses p1_pkey" in f.detail
