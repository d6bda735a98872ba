"""builtin.lossy_bitmap: bitmaps that outgrew work_mem."""

from __future__ import annotations

from tests.unit.findings import external, findings, node


def test_a_lossy_bitmap_heap_scan() -> None:
    plan = external("joe_pg17_lossy_bitmap.json")
    (f,) = findings(plan, "lossy_bitmap")
    assert node(plan, f.node_path) == "Bitmap Heap Scan" and "8,268 blocks" in f.detail
