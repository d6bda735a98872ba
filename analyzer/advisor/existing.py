"""Remarks on the indexes a database already has: duplicates, redundant, unused (pure).

An index is a duplicate of another with the same definition apart from its name; redundant
when a recommended index of the same method starts with all its key columns (and it enforces
no constraint); unused when no plan of the workload touched it. The last is a caveat, not a
verdict: the declared workload may not be everything the application runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.advisor.candidates import IndexCandidate
from analyzer.catalog import Catalog, Index
from analyzer.report.model import ExistingIndexNote


def review_existing_indexes(
    catalog: Catalog, tables: Iterable[str], used: set[str], recommended: Iterable[IndexCandidate]
) -> list[ExistingIndexNote]:
    """Notes for the indexes of the workload's tables."""
    notes: list[ExistingIndexNote] = []
    chosen = list(recommended)
    for table in sorted(set(tables)):
        t = catalog.table(table)
        if t is None:
            continue
        seen: dict[str, Index] = {}
        for index in t.indexes:
            shape = _shape(index)
            if shape in seen:
                notes.append(ExistingIndexNote(index.name, table, "duplicate",
                                               f"same definition as {seen[shape].name}: one of them can go"))
            else:
                seen[shape] = index
            covering = next((c for c in chosen if _covers(c, index)), None)
            if covering is not None and index.constraint is None:
                notes.append(ExistingIndexNote(index.name, table, "redundant",
                                               f"its keys ({', '.join(index.columns)}) lead the recommended "
                                               f"{covering.name}, which serves the same lookups"))
            if index.name not in used and index.constraint is None:
                notes.append(ExistingIndexNote(index.name, table, "unused",
                                               "no plan of this workload used it (the workload may not be "
                                               "everything the application runs)"))
    return notes


def _shape(index: Index) -> str:
    """The definition without the index's own name."""
    return re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON ", r"CREATE \1INDEX ON ", index.definition)


def _covers(cand: IndexCandidate, index: Index) -> bool:
    if cand.table != index.table or cand.method != index.method or index.partial or cand.where:
        return False
    if not index.columns or "" in index.columns:
        return False
    keys = tuple(k.split(" ")[0] for k in cand.keys)
    return len(keys) >= len(index.columns) and keys[: len(index.columns)] == index.columns and not index.unique
