"""The rows_removed finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit
from analyzer.plan import PlanNode

# Filters an index can serve: those of a scan of a table. An Aggregate's Filter is its HAVING (the
# groups it drops are the answer, not waste); a join's Filter needs both sides.
_JOINS = ("Nested Loop", "Hash Join", "Merge Join")


class RowsRemoved(Finding):
    """A node that threw away most of the rows it read by its Filter: over 50% a warning, over 90% an
    error (`removed_ratio_warning`, `removed_ratio_error`), where at least `removed_min_rows` (1,000)
    were read. Not flagged on an Aggregate (its Filter is the HAVING clause).

    On a table scan, an index that includes the filtered columns (or a partial index with that
    condition) reads only the rows needed. On a join, the condition applies after joining: move what
    belongs to one table into that table's scan, or rewrite the OR across tables as a UNION. On a
    Subquery Scan, CTE Scan or Function Scan, push the condition down to where the rows are read.
    """

    name = "rows_removed"
    severity = "warning, error"
    reads = ("Filter", "Rows Removed by Filter", "Actual Rows", "Actual Loops")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        t = ctx.thresholds
        returned = node.actual_rows_total
        removed = node.rows_removed_by_filter * (node.actual_loops or 1)
        if not removed or returned is None or removed + returned < t.removed_min_rows:
            return
        if node.node_type in ("Aggregate", "Group", "WindowAgg"):
            return
        share = removed / (removed + returned)
        if share <= t.removed_ratio_warning:
            return
        severity = "error" if share > t.removed_ratio_error else "warning"
        if node.node_type in _JOINS:
            advice = "the filter runs after the join: move each table's part into its scan, or split the OR"
        elif node.relation:
            advice = "an index that includes the filtered columns reads only what is needed"
        else:
            advice = ("the filter runs on rows already computed: push the condition down into the subquery, "
                      "CTE (NOT MATERIALIZED) or function so it can use an index")
        yield Hit(severity, f"{node.label()} removed {share:.0%} of the rows it read by filter ({node.filter}): {advice}")
