"""The heap_fetches finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class HeapFetches(Finding):
    """An Index Only Scan that still visited the table for many rows (`heap_fetches_min`, 1,000 heap
    fetches): the visibility map does not mark those pages all-visible.

    VACUUM the table (or tune autovacuum for it) so the index-only scan can skip the heap.
    """

    name = "heap_fetches"
    severity = "warning"
    reads = ("Node Type", "Heap Fetches")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if node.node_type == "Index Only Scan" and (node.heap_fetches or 0) >= ctx.thresholds.heap_fetches_min:
            yield Hit("warning", f"{node.label()} made {node.heap_fetches:,.0f} heap fetches: VACUUM the table "
                      "so the visibility map lets it skip the heap")
