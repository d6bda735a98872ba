"""The disk_sort finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode, WorkerSpill


def _spilled(n: PlanNode | WorkerSpill) -> bool:
    return (n.sort_space_type == "Disk" or (n.sort_method or "").startswith("external")
            or any(g.spilled for g in n.sort_groups))


def _spilled_kb(n: PlanNode | WorkerSpill) -> int:
    peaks = [g.disk_peak_kb for g in n.sort_groups if g.disk_peak_kb is not None]
    if peaks:
        return max(peaks)
    return (n.sort_space_used_kb or 0) if _spilled(n) else 0


def sorts_on_disk(n: PlanNode) -> bool:
    """A Sort that spilled, an Incremental Sort with a group kind that did, or a worker's that did."""
    if n.node_type not in ("Sort", "Incremental Sort"):
        return False
    return _spilled(n) or any(_spilled(w) for w in n.workers)


def spilled_kb(n: PlanNode) -> int:
    """The most disk one process's sort used: Sort Space Used, or an Incremental Sort's peak on disk."""
    return max([_spilled_kb(n), *(_spilled_kb(w) for w in n.workers)])


class DiskSort(Finding):
    """A Sort or Incremental Sort that spilled to disk (external sort or merge; for an Incremental Sort,
    "Sort Space Disk" in its full-sort or pre-sorted groups), in the leader or in a parallel worker.

    Raise work_mem for the query (SET LOCAL work_mem) so the sort fits in memory, or read the rows
    in order from an index on the sort key.
    """

    name = "disk_sort"
    severity = "warning"
    reads = ("Sort Method", "Sort Space Used", "Sort Space Type", "Full-sort Groups", "Pre-sorted Groups", "Workers")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if not sorts_on_disk(node):
            return
        source: PlanNode | WorkerSpill = node
        if not _spilled(node):
            source = next(w for w in node.workers if _spilled(w))
        if source.sort_groups:
            spilled = [g for g in source.sort_groups if g.spilled]
            how = "; ".join(f"{g.kind.lower()}: {g.group_count:,} groups, {', '.join(g.methods) or 'on disk'}"
                            for g in spilled)
        else:
            how = str(source.sort_method)
        if isinstance(source, WorkerSpill):
            how += f", in worker {source.worker}"
        yield Hit("warning", f"{node.node_type} spilled {spilled_kb(node):,} kB to disk ({how}): "
                  "raise work_mem for it or read rows in order from an index")
