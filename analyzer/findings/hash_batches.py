"""The hash_batches finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class HashBatches(Finding):
    """A Hash (the build side of a Hash Join) that needed more than one batch: the hash table did not
    fit in work_mem × hash_mem_multiplier, so both sides were partly written to temporary files.

    Raise work_mem (or hash_mem_multiplier) for the query, or make the hashed side smaller (filter
    it earlier, select fewer columns).
    """

    name = "hash_batches"
    severity = "warning"
    reads = ("Hash Batches", "Original Hash Batches", "Peak Memory Usage")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        if node.hash_batches is not None and node.hash_batches > 1:
            yield Hit("warning", f"Hash used {node.hash_batches} batches (work_mem too small for "
                      f"{node.peak_memory_kb or 0:,} kB): raise work_mem or reduce the hashed side")
