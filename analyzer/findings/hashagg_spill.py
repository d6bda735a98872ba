"""The hashagg_spill finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class HashAggSpill(Finding):
    """A HashAggregate (or the hashed part of a MixedAggregate) that spilled to disk: more than one
    "HashAgg Batches" or some "Disk Usage" (PostgreSQL 13 and later), in the leader or a parallel worker.

    Raise work_mem (or hash_mem_multiplier) so the groups fit in memory, or group fewer rows
    (filter first, pre-aggregate).
    """

    name = "hashagg_spill"
    severity = "warning"
    reads = ("Strategy", "HashAgg Batches", "Disk Usage", "Peak Memory Usage", "Workers")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if node.node_type != "Aggregate" or node.strategy not in ("Hashed", "Mixed"):
            return
        batches = max([node.hashagg_batches or 0, *(w.hashagg_batches or 0 for w in node.workers)])
        disk = max([node.disk_usage_kb or 0, *(w.disk_usage_kb or 0 for w in node.workers)])
        if batches > 1 or disk > 0:
            yield Hit("warning", f"HashAggregate spilled {disk:,} kB to disk in {batches:,} batches (peak memory "
                      f"{node.peak_memory_kb or 0:,} kB): raise work_mem or hash_mem_multiplier for it")
