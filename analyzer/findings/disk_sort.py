"""The disk_sort finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


def sorts_on_disk(n: PlanNode) -> bool:
    """A Sort that spilled, or an Incremental Sort with a group kind that did."""
    if n.node_type not in ("Sort", "Incremental Sort"):
        return False
    return (n.sort_space_type == "Disk" or (n.sort_method or "").startswith("external")
            or any(g.spilled for g in n.sort_groups))


def spilled_kb(n: PlanNode) -> int:
    """The disk a sort used: Sort Space Used, or an Incremental Sort's largest peak on disk."""
    peaks = [g.disk_peak_kb for g in n.sort_groups if g.disk_peak_kb is not None]
    return max(peaks) if peaks else n.sort_space_used_kb or 0


class DiskSort(Finding):
    """A Sort or Incremental Sort that spilled to disk (external sort or merge; for an Incremental Sort,
    "Sort Space Disk" in its full-sort or pre-sorted groups).

    Raise work_mem for the query (SET LOCAL work_mem) so the sort fits in memory, or read the rows
    in order from an index on the sort key.
    """

    name = "disk_sort"
    severity = "warning"
    reads = ("Sort Method", "Sort Space Used", "Sort Space Type", "Full-sort Groups", "Pre-sorted Groups")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if not sorts_on_disk(node):
            return
        if node.sort_groups:
            spilled = [g for g in node.sort_groups if g.spilled]
            how = "; ".join(f"{g.kind.lower()}: {g.group_count:,} groups, {', '.join(g.methods) or 'on disk'}"
                            for g in spilled)
        else:
            how = str(node.sort_method)
        yield Hit("warning", f"{node.node_type} spilled {spilled_kb(node):,} kB to disk ({how}): "
                  "raise work_mem for it or read rows in order from an index")
