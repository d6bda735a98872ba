"""builtin.large_offset: OFFSET pagination reading the skipped rows."""

from __future__ import annotations

from tests.unit.findings import external, findings, node


def test_a_limit_discarding_rows() -> None:
    plan = external("joe_large_offset.json")
    (f,) = findings(plan, "large_offset")
    assert node(plan, f.node_path) == "Limit" and "2,000 rows" in f.detail
    assert findings(plan, "large_offset", large_offset=5_000) == []
