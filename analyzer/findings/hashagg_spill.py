"""The hashagg_spill finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class HashAggSpill(Finding):
    """A HashAggregate (or the hashed part of a MixedAggregate) that spilled to disk: more than one
    "HashAgg Batches" or some "Disk Usage" (PostgreSQL 13 and later).

    Raise work_mem (or hash_mem_multiplier) so the groups fit in memory, or group fewer rows
    (filter first, pre-aggregate).
    """

    name = "hashagg_spill"
    severity = "warning"
    reads = ("Strategy", "HashAgg Batches", "Disk Usage", "Peak Memory Usage")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if node.node_type != "Aggregate" or node.strategy not in ("Hashed", "Mixed"):
            return
        batches, disk = node.hashagg_batches or 0, node.disk_usage_kb or 0
        if batches > 1 or disk > 0:
            yield Hit("warning", f"HashAggregate spilled {disk:,} kB to disk in {batches:,} batches (peak memory "
                      f"{node.peak_memory_kb or 0:,} kB): raise work_mem or hash_mem_multiplier for it")
