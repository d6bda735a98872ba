"""Indexes chosen for what they save the writes: foreign-key checks of parent deletes, purges' ranges.

The greedy selection picks indexes by what they save the queries; an index no query uses can
still lower the objective when a declared write runs faster with it (a `DELETE FROM tasks`
checks every table referencing tasks; without an index on the referencing column each check
scans that table). Such candidates come from the writes (candidates.write_candidates); here
each is measured on the write mix, the signed write term of the objective decides, and the
winners join the set. The step runs after the greedy pass, on the set it chose.

They are built before it, though, and stay built for the writes while the pass measures the
reads without them (`pin_write_savers`): a parent delete whose foreign-key checks scan child
tables can take seconds, and every write-mix run of the pass would pay it. Their decision
comes after the pass, as before: parked (hidden from the writes too), each is measured in turn
on the set chosen so far, with no second build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pglast
import psycopg

from analyzer.advisor import netgain, objective
from analyzer.advisor.builds import BuiltIndex, IndexBuilds
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.netgain import WriteGains
from analyzer.advisor.regressions import REGRESSION_RATIO
from analyzer.advisor.selection import Proof, Selection
from analyzer.advisor.sqlshape import TableAccess, analyze_statement, relation_key
from analyzer.advisor.writecosts import decisive_delta_ms
from analyzer.catalog import Catalog
from analyzer.progress import Reporter
from analyzer.report.model import WriteOverhead
from analyzer.workload import Statement, Workload


def write_accesses(workload: Workload, catalog: Catalog) -> tuple[list[tuple[str, TableAccess]], list[tuple[str, str]]]:
    """The target accesses of the declared UPDATE/DELETE statements (steps too) with their WHERE, and the
    (write, table) pairs of every DELETE (whose foreign-key checks an index on the referencing side serves)."""
    accesses: list[tuple[str, TableAccess]] = []
    deleted: list[tuple[str, str]] = []
    for w in workload.writes:
        for step in w.steps or (w,):
            targets = _delete_targets(step, catalog)
            deleted += [(w.name, t) for t in sorted(targets)]
            try:
                found = analyze_statement(step.positional_sql, catalog)
            except Exception:  # noqa: BLE001, S112 - a write the shape reader cannot follow adds no candidate
                continue
            accesses += [(w.name, a) for a in found if a.predicates]
    return accesses, list(dict.fromkeys(deleted))


def _delete_targets(stmt: Statement, catalog: Catalog) -> set[str]:
    """The tables the statement deletes from, as catalog keys (the foreign keys' `ref_table`)."""
    out: set[str] = set()
    try:
        tree = pglast.parse_sql(stmt.positional_sql)
    except pglast.parser.ParseError:
        return out
    for raw in tree:
        _collect_deletes(raw.stmt, catalog, out)
    return out


def _collect_deletes(node: Any, catalog: Catalog, out: set[str]) -> None:
    relation = getattr(node, "relation", None)
    if type(node).__name__ == "DeleteStmt" and relation is not None:
        out.add(relation_key(relation, catalog))
    with_clause = getattr(node, "withClause", None)
    for cte in (with_clause.ctes or ()) if with_clause is not None else ():
        _collect_deletes(cte.ctequery, catalog, out)


def merge_candidates(for_queries: Sequence[IndexCandidate], for_writes: Sequence[IndexCandidate]) -> list[IndexCandidate]:
    """One candidate per definition: a write's candidate that a query also asked for keeps the query's and
    names the write too. A query's btree whose keys start with a write candidate's serves that write's
    foreign-key check or range as well, and names it: `time_entries (task_id, minutes)` is probed by a
    parent delete's check as `(task_id)` is, and only a candidate that names a write may count the
    time it saves it (writecosts.decisive_delta_ms)."""
    by_signature = {c.signature: c for c in for_queries}
    for c in for_writes:
        old = by_signature.get(c.signature)
        by_signature[c.signature] = c if old is None else _naming(old, c.writes)
    for sig, q in list(by_signature.items()):
        served = [w for c in for_writes if _serves_as_prefix(q, c) for w in c.writes]
        if served:
            by_signature[sig] = _naming(q, tuple(served))
    return list(by_signature.values())


def _naming(cand: IndexCandidate, writes: tuple[str, ...]) -> IndexCandidate:
    return replace(cand, writes=tuple(dict.fromkeys(cand.writes + writes)))


def _serves_as_prefix(wider: IndexCandidate, write_cand: IndexCandidate) -> bool:
    """`wider` is a plain btree on the same table whose leading keys are the write candidate's."""
    n = len(write_cand.keys)
    return (wider.table == write_cand.table and wider.method == write_cand.method == "btree"
            and wider.where is None and write_cand.where is None and len(wider.keys) > n
            and wider.keys[:n] == write_cand.keys)


def add_write_savers(sel: Selection, proofs: Sequence[Proof], costs: object, reporter: Reporter) -> dict[str, str]:
    """Measure each write candidate the greedy pass left out on the write mix; keep those whose write
    gain plus what they change for the queries (in the same unit: weighted ms per query, netgain.py)
    clears the selection's threshold, and that make no query slower than the set without them.
    Every pin is released at the end. Returns the reason line of each one kept."""
    sel.builds.parking = True  # undecided pins leave the writes' state: each is measured on the set so far
    try:
        return _decide_write_savers(sel, proofs, costs, reporter)
    finally:
        for name in sorted(sel.builds.pinned):
            sel.builds.release(name)
        sel.builds.parking = False


def pin_write_savers(builds: IndexBuilds, proofs: Sequence[Proof], reporter: Reporter) -> None:
    """Build every candidate proposed for a write, for the write mix of the pass (hidden from its reads)."""
    todo = [p for p in proofs if p.cand.writes and p.failure is None and p.built_once is not None]
    if not todo:
        return
    reporter.start("advisor: build the write savers for the writes", len(todo))
    try:
        for p in todo:
            try:
                builds.pin(p.cand)
            except psycopg.Error:
                pass  # it built once in its proof; the step after the pass builds it again or says why not
            reporter.advance()
    finally:
        reporter.finish()


def _decide_write_savers(sel: Selection, proofs: Sequence[Proof], costs: object, reporter: Reporter) -> dict[str, str]:
    if not isinstance(costs, WriteGains):
        return {}
    chosen = {p.cand.name for p in sel.chosen}
    todo = [p for p in proofs if p.cand.writes and p.cand.name not in chosen and p.failure is None]
    reasons: dict[str, str] = {}
    if not todo:
        return reasons
    reporter.start("advisor: indexes that speed up writes", len(todo))
    try:
        for p in todo:
            built = sel.builds.build(p.cand)  # measured as built; kept when chosen, dropped otherwise
            overhead = costs.index_overhead(p.cand, built)
            reporter.advance()
            if overhead is None:
                sel.builds.drop(p.cand.name)
                continue
            sel.overheads[p.cand.name] = overhead
            reason = _write_saver(sel, p, overhead, costs.write_gain(overhead), built)
            if reason is not None:
                reasons[p.cand.name] = reason
    finally:
        reporter.finish()
    return reasons


def _write_saver(sel: Selection, p: Proof, overhead: WriteOverhead, writes_ms: float, built: BuiltIndex) -> str | None:
    """Keep `p` (built) when it pays on T with the queries re-measured (its reason line), else drop and reject it."""
    threshold = netgain.threshold_ms(sel.threshold(), sel.baseline, sel.weights)
    expected = writes_ms + max(netgain.read_saving_ms(p.after, sel.current, sel.baseline, sel.weights), 0.0)
    faster = sorted((s for s in overhead.statements if decisive_delta_ms(s) < 0),
                    key=lambda s: s.time_ms_delta * (s.frequency or 1.0))
    if expected < threshold or not faster:
        sel.builds.drop(p.cand.name)
        if not p.after:
            sel.rejected[p.cand.name] = (f"for the writes: saves {writes_ms:.3f} ms of weighted time per query "
                                         f"(measured on the write mix), below the {threshold:.3f} ms threshold")
        return None
    p.built = built
    # an index built for a write can change the plans of queries the chosen set serves (a backward scan on
    # a purge's time column instead of a lookup index): those are re-measured and count with their sign
    changed = sel.remeasure(list(sel.by_name), p.cand.name)
    reads_ms = netgain.read_change_ms(changed, sel.current, sel.baseline, sel.weights)
    slower = [n for n, t in changed.items() if objective.work(t) > objective.work(sel.current[n]) * REGRESSION_RATIO]
    if slower or writes_ms + reads_ms < threshold:
        sel.builds.drop(p.cand.name)
        verdict = ("it makes " + "; ".join(f"{n} slower ({objective.ratio_text(sel.current[n], changed[n])})"
                                          for n in slower) if slower
                   else f"net {writes_ms + reads_ms:.3f} ms, below the {threshold:.3f} ms threshold")
        sel.rejected[p.cand.name] = (
            f"for the writes: {netgain.writes_text(writes_ms)} of weighted time per query and changes the reads "
            f"by {reads_ms:+.3f} ms once the chosen set exists: {verdict}")
        return None
    sel.current.update({n: t for n, t in changed.items() if t.error is None})
    sel.chosen.append(p)
    sel.rejected.pop(p.cand.name, None)
    return (f"speeds up the writes by {writes_ms:.3f} ms of weighted time per query: "
            + ", ".join(_write_speedup(s.write, s.time_ms_before, s.time_ms_before + s.time_ms_delta, s.executions)
                        for s in faster[:3]))


def _write_speedup(write: str, before_ms: float, after_ms: float, executions: int) -> str:
    per_before, per_after = before_ms / max(executions, 1), after_ms / max(executions, 1)
    ratio = per_before / max(per_after, 1e-6)
    return f"{write} {per_before:.2f} -> {per_after:.2f} ms per execution ({ratio:.1f}x faster)"
