"""The large_offset finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class LargeOffset(Finding):
    """A Limit that read and discarded many rows before the ones it returned (`large_offset`, 1,000):
    OFFSET pagination reads every skipped row.

    Use keyset pagination: WHERE (sort key) < (last value seen) ORDER BY sort key LIMIT n, with an
    index on the sort key, reads only the page.
    """

    name = "large_offset"
    severity = "warning"
    reads = ("Node Type", "Actual Rows", "Actual Loops")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        returned = node.actual_rows_total
        if node.node_type != "Limit" or not node.children or returned is None:
            return
        skipped = (node.children[0].actual_rows_total or 0) - returned
        if skipped >= ctx.thresholds.large_offset:
            yield Hit("warning", f"Limit discarded {skipped:,.0f} rows (OFFSET): keyset pagination "
                      "(WHERE (sort key) < (last seen)) reads only the page")
