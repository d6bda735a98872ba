"""The lossy_bitmap finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class LossyBitmap(Finding):
    """A Bitmap Heap Scan whose bitmap outgrew work_mem and went lossy: it kept whole pages instead of
    rows ("Lossy Heap Blocks") and rechecked every row on them.

    Raise work_mem for the query, or make the bitmap smaller with a more selective index.
    """

    name = "lossy_bitmap"
    severity = "warning"
    reads = ("Lossy Heap Blocks", "Rows Removed by Index Recheck")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if (node.lossy_heap_blocks or 0) > 0:
            yield Hit("warning", f"{node.label()} went lossy on {node.lossy_heap_blocks:,} blocks and rechecked "
                      f"{node.rows_removed_by_index_recheck:,.0f} rows: raise work_mem")
