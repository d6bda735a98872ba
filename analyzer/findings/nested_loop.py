"""The nested_loop finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit, inner_executions, nested_loop_inner
from analyzer.plan import PlanNode

_KEYED = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")


def _keyed_scan(inner: PlanNode) -> PlanNode | None:
    """The index scan the inner side runs on the join key, looking through Memoize and Materialize,
    and through an Append of partitions that are each read by an index."""
    node = inner
    while node.node_type in ("Memoize", "Result Cache", "Materialize") and node.children:
        node = node.children[0]
    if node.node_type in ("Append", "Merge Append") and node.children:
        keyed = [_keyed_scan(c) for c in node.children]
        return keyed[0] if all(k is not None for k in keyed) else None
    if node.node_type == "Bitmap Heap Scan" and node.recheck_cond:
        return next((c for c in node.walk() if c.index_name), node)
    if node.node_type in _KEYED and node.index_cond:
        return node
    return None


class NestedLoop(Finding):
    """A Nested Loop whose inner side ran more than `nested_loop_max_loops` (1,000) times. Behind a
    Memoize only the cache misses count: the hits did not run the inner side.

    Without an index on the inner side's join column, add one. When the inner side already is an
    index scan on the key, the loop count is the cost: fewer outer rows (filter earlier) or a hash
    join (more work_mem, better estimates of the outer side) may be cheaper.
    """

    name = "nested_loop"
    severity = "warning"
    reads = ("Node Type", "Parent Relationship", "Actual Loops", "Cache Hits", "Cache Misses", "Index Cond")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        inner = nested_loop_inner(node)
        if inner is None:
            return
        runs = inner_executions(inner)
        if runs <= ctx.thresholds.nested_loop_max_loops:
            return
        memo = ""
        if inner.node_type in ("Memoize", "Result Cache"):
            memo = f" ({runs:,.0f} cache misses of {inner.actual_loops or 0:,.0f} lookups)"
        keyed = _keyed_scan(inner)
        if keyed is not None:
            advice = (f"it already uses {keyed.index_name or 'an index'} on the key, so fewer outer rows "
                      "or a hash join may be cheaper")
        else:
            advice = "an index on the join column or a hash join may be cheaper"
        yield Hit("warning", f"Nested Loop ran its inner side ({inner.label()}) {runs:,.0f} times{memo}: {advice}")
