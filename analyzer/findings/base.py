"""What every built-in finding shares: the rule's shape, what it is given, and what stops early by design."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from analyzer.plan import PlanNode

if TYPE_CHECKING:
    from analyzer.checks import CheckThresholds


@dataclass(frozen=True)
class Hit:
    """One thing a rule found on a node: how bad, what was seen and what to do (after ": ")."""

    severity: str
    detail: str


@dataclass(frozen=True)
class Context:
    """What a rule may read besides the node: thresholds, table sizes, nodes that stop early by design."""

    thresholds: CheckThresholds
    table_rows: Mapping[str, int]
    cut_short: frozenset[str]


class Finding:
    """A built-in plan rule. Subclasses set the metadata and `check`; their docstring is the docs page.

    The docstring has two paragraphs that docs/findings.md shows: what it flags, then what to do.
    """

    name: ClassVar[str]
    severity: ClassVar[str]  # the levels it gives, e.g. "warning" or "info, warning, error"
    reads: ClassVar[tuple[str, ...]]  # the EXPLAIN keys it looks at

    def check(self, node: PlanNode, ctx: Context) -> Iterator[Hit]:
        raise NotImplementedError


def nested_loop_inner(n: PlanNode) -> PlanNode | None:
    """The inner side of a Nested Loop, or None for any other node."""
    if n.node_type != "Nested Loop":
        return None
    return next((c for c in n.children if c.parent_relationship == "Inner"), None)


def inner_executions(inner: PlanNode) -> float:
    """How often the inner side really ran: a Memoize answers cache hits itself, so only misses count."""
    if inner.node_type in ("Memoize", "Result Cache"):  # "Result Cache" until PostgreSQL 14 beta 3
        if inner.cache_misses is not None:
            return inner.cache_misses
        if inner.children:
            return inner.children[0].actual_loops or 0.0
    return inner.actual_loops or 0.0


def cut_short_paths(root: PlanNode) -> frozenset[str]:
    """Nodes whose reader may stop early by design, so they return fewer rows than estimated.

    Below a Limit; the inner side of a semi or anti Nested Loop; the inputs of a Merge Join;
    subqueries (InitPlan, SubPlan: EXISTS and scalar subqueries read a row or two) and CTE bodies,
    read only as far as their CTE Scans go; a WindowAgg with a Run Condition and its input (it stops
    once the condition fails); the outer side of an inner or semi Hash Join whose hash came out empty.
    """
    out: set[str] = set()

    def mark(node: PlanNode) -> None:
        out.update(d.path for d in node.walk())

    for n in root.walk():
        if n.node_type in ("Limit", "Merge Join"):
            for c in n.children:
                mark(c)
        elif n.node_type == "Nested Loop" and n.join_type in ("Semi", "Anti"):
            inner = nested_loop_inner(n)
            if inner is not None:
                mark(inner)
        elif n.node_type == "WindowAgg" and n.run_condition:
            mark(n)
        elif n.node_type == "Hash Join" and n.join_type in ("Inner", "Semi", "Right", "Right Semi"):
            hashed = next((c for c in n.children if c.node_type == "Hash"), None)
            outer = next((c for c in n.children if c.parent_relationship == "Outer"), None)
            if hashed is not None and outer is not None and hashed.actual_rows == 0 and (hashed.actual_loops or 0) > 0:
                mark(outer)
        for c in n.children:
            if c.parent_relationship in ("InitPlan", "SubPlan"):
                mark(c)
    return frozenset(out)


def is_cut_short_overestimate(n: PlanNode, cut_short: frozenset[str]) -> bool:
    """An overestimate on a node that stops early by design is no misestimate."""
    return n.path in cut_short and n.plan_rows >= (n.actual_rows or 0)
