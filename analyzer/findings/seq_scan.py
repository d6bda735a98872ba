"""The seq_scan finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode


class SeqScan(Finding):
    """A Seq Scan that read a large table (`seq_scan_min_rows`, 10,000) to return a small share of it
    (`seq_scan_max_returned_fraction`, 10%).

    Add an index on the columns of its filter (or make the filter sargable) so the rows are found
    without reading the table.
    """

    name = "seq_scan"
    severity = "warning"
    reads = ("Node Type", "Relation Name", "Filter", "Actual Rows", "Actual Loops", "Rows Removed by Filter")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        returned = node.actual_rows_total
        if node.node_type != "Seq Scan" or not node.relation or returned is None:
            return
        t = ctx.thresholds
        read = int(returned + node.rows_removed_by_filter * (node.actual_loops or 1))
        table = max(ctx.table_rows.get(node.relation, 0), read)
        if table >= t.seq_scan_min_rows and returned <= table * t.seq_scan_max_returned_fraction:
            where = f" filtering on {node.filter}" if node.filter else ""
            yield Hit("warning", f"Seq Scan on {node.relation} read {table:,.0f} rows to return {returned:,.0f} "
                      f"({100 * returned / max(table, 1):.2g}%){where}: an index on the filtered columns avoids it")
