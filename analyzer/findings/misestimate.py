"""The misestimate finding."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.findings.base import Context, Finding, Hit, is_cut_short_overestimate
from analyzer.plan import PlanNode

# Nodes whose "Actual Rows" is no row count: a BitmapAnd/BitmapOr always says 0, a ModifyTable
# without RETURNING returns nothing whatever it changed.
_NOT_ROWS = frozenset({"BitmapAnd", "BitmapOr"})


def node_misestimate(n: PlanNode, cut_short: frozenset[str]) -> float | None:
    """The misestimate factor per loop, None where an overestimate is by design (see cut_short_paths)
    or where the node does not count rows."""
    if n.node_type in _NOT_ROWS or (n.node_type == "ModifyTable" and not n.actual_rows):
        return None
    if is_cut_short_overestimate(n, cut_short):
        return None
    return n.misestimate


class Misestimate(Finding):
    """A node whose row count per loop was off from the planner's estimate by 10x (info), 100x (warning)
    or 1000x (error) (`misestimate_info`, `misestimate_warning`, `misestimate_error`). Overestimates are
    left out where the reader stops early by design: below a Limit, the inner side of a semi or anti
    join, Merge Join inputs, subqueries, CTE bodies, a WindowAgg with a Run Condition; BitmapAnd,
    BitmapOr and a ModifyTable without RETURNING report no rows and are left out.

    ANALYZE the tables, raise the statistics target of the filtered columns, or add extended
    statistics (CREATE STATISTICS) for correlated columns.
    """

    name = "misestimate"
    severity = "info, warning, error"
    reads = ("Plan Rows", "Actual Rows", "Actual Loops", "Run Condition", "Parent Relationship", "Subplan Name")

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        t = ctx.thresholds
        factor = node_misestimate(node, ctx.cut_short)
        if factor is None or (node.actual_loops or 0) <= 0 or factor < t.misestimate_info:
            return
        severity = "error" if factor >= t.misestimate_error else "warning" if factor >= t.misestimate_warning else "info"
        est, act = node.plan_rows, node.actual_rows or 0
        direction = "over" if est > act else "under"
        yield Hit(severity, f"{node.label()} estimated {est:,.0f} rows, got {act:,.0f} ({factor:,.0f}x "
                  f"{direction}estimate): ANALYZE, raise the column's statistics target or add extended statistics")
