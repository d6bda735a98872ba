"""PostgreSQL 18 skip scan: say when a chosen multicolumn index already serves a rejected candidate's query.

On 18 a btree whose leading column has few distinct values can serve a predicate on a later
column alone, descending once per leading value: the plan's `Index Searches` counts the
descents (1 for an ordinary scan). A candidate on the later column then adds little, and the
selection measures that; this names the reason, so nobody adds the second index by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from analyzer.advisor.selection import Proof, Selection
from analyzer.advisor.timing import QueryTiming


def skip_scans(plan: Any) -> dict[str, int]:
    """Index name -> Index Searches, for the index scans of a raw EXPLAIN JSON that descended more than once."""
    found: dict[str, int] = {}
    for node in _nodes(plan):
        searches = node.get("Index Searches")
        name = node.get("Index Name")
        if isinstance(searches, int) and searches > 1 and isinstance(name, str):
            loops = max(int(node.get("Actual Loops", 1) or 1), 1)
            if searches > loops:  # a nested loop's inner side descends once per loop: not a skip scan
                found[name] = max(found.get(name, 0), searches)
    return found


def _nodes(plan: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(plan, list):
        for item in plan:
            yield from _nodes(item)
    elif isinstance(plan, Mapping):
        if "Node Type" in plan:
            yield plan
        for key in ("Plan", "Plans"):
            if key in plan:
                yield from _nodes(plan[key])


def explain_skip_scans(sel: Selection, proofs: Sequence[Proof], final: Mapping[str, QueryTiming]) -> None:
    """Append to each rejected candidate's reason the chosen index that serves its queries by skip scan."""
    chosen = {p.cand.name: p.cand for p in sel.chosen}
    for p in proofs:
        reason = sel.rejected.get(p.cand.name)
        if reason is None or "skip scan" in reason:
            continue
        served = []
        for query in p.after:
            timing = final.get(query)
            if timing is None:
                continue
            for index, searches in skip_scans(timing.plan).items():
                other = chosen.get(index)
                if other is not None and other.table == p.cand.table and other.keys[0] != p.cand.keys[0]:
                    served.append(f"{index} serves {query} by skip scan ({searches} index searches)")
        if served:
            sel.rejected[p.cand.name] = f"{reason}; {'; '.join(dict.fromkeys(served))}"
