"""EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output parsed once into a typed plan tree.

Works for PostgreSQL 13 to 18: keys that a version lacks are None or 0 (PostgreSQL 18 reports
fractional "Actual Rows" and always includes buffers under ANALYZE). Nothing downstream reads
the raw JSON except the report, which keeps it for the plan viewer.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.errors import AnalyzerError

# Added by pg-analyzer to a partition's node (see analyzer/partitions.py): the partitioned table and index.
PARENT_RELATION_KEY = "Partition Of"
PARENT_INDEX_KEY = "Index Partition Of"

SCAN_TYPES = frozenset({
    "Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Tid Scan",
    "Tid Range Scan", "Sample Scan", "Foreign Scan", "Subquery Scan", "Function Scan", "CTE Scan",
})


@dataclass(frozen=True)
class Buffers:
    """Shared, local and temp buffer counts of a node (cumulative over its subtree)."""

    shared_hit: int = 0
    shared_read: int = 0
    shared_dirtied: int = 0
    shared_written: int = 0
    local_hit: int = 0
    local_read: int = 0
    temp_read: int = 0
    temp_written: int = 0

    @property
    def total_shared(self) -> int:
        return self.shared_hit + self.shared_read

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Buffers:
        return cls(
            shared_hit=int(d.get("Shared Hit Blocks", 0)), shared_read=int(d.get("Shared Read Blocks", 0)),
            shared_dirtied=int(d.get("Shared Dirtied Blocks", 0)),
            shared_written=int(d.get("Shared Written Blocks", 0)),
            local_hit=int(d.get("Local Hit Blocks", 0)), local_read=int(d.get("Local Read Blocks", 0)),
            temp_read=int(d.get("Temp Read Blocks", 0)), temp_written=int(d.get("Temp Written Blocks", 0)),
        )


@dataclass(frozen=True)
class SortGroups:
    """One group kind of an Incremental Sort ("Full-sort Groups" or "Pre-sorted Groups")."""

    kind: str
    group_count: int
    methods: tuple[str, ...]
    disk_peak_kb: int | None
    memory_peak_kb: int | None

    @classmethod
    def from_json(cls, kind: str, d: Mapping[str, Any]) -> SortGroups:
        disk, memory = d.get("Sort Space Disk"), d.get("Sort Space Memory")
        return cls(
            kind=kind, group_count=int(d.get("Group Count", 0)),
            methods=tuple(str(m) for m in d.get("Sort Methods Used", ())),
            disk_peak_kb=_int(disk.get("Peak Sort Space Used")) if isinstance(disk, Mapping) else None,
            memory_peak_kb=_int(memory.get("Peak Sort Space Used")) if isinstance(memory, Mapping) else None,
        )

    @property
    def spilled(self) -> bool:
        return self.disk_peak_kb is not None or any(m.startswith("external") for m in self.methods)


@dataclass(frozen=True)
class WorkerSpill:
    """What one parallel worker reports of its own sort or hash aggregate (EXPLAIN VERBOSE "Workers").

    A worker may spill while the leader's figures, the node's own, stay in memory.
    """

    worker: int
    sort_method: str | None = None
    sort_space_used_kb: int | None = None
    sort_space_type: str | None = None
    sort_groups: tuple[SortGroups, ...] = ()
    hashagg_batches: int | None = None
    disk_usage_kb: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> WorkerSpill:
        return cls(
            worker=int(d.get("Worker Number", 0)), sort_method=d.get("Sort Method"),
            sort_space_used_kb=_int(d.get("Sort Space Used")), sort_space_type=d.get("Sort Space Type"),
            sort_groups=_sort_groups(d), hashagg_batches=_int(d.get("HashAgg Batches")),
            disk_usage_kb=_int(d.get("Disk Usage")),
        )


@dataclass(frozen=True)
class PlanNode:
    """One node of a plan, with the figures the checks, the advisor and the report need."""

    node_type: str
    path: str
    relation: str | None = None
    schema: str | None = None
    alias: str | None = None
    index_name: str | None = None
    join_type: str | None = None
    strategy: str | None = None
    parent_relationship: str | None = None
    scan_direction: str | None = None
    startup_cost: float = 0.0
    total_cost: float = 0.0
    plan_rows: float = 0.0
    plan_width: int = 0
    actual_rows: float | None = None
    actual_loops: float | None = None
    actual_startup_ms: float | None = None
    actual_total_ms: float | None = None
    filter: str | None = None
    index_cond: str | None = None
    recheck_cond: str | None = None
    hash_cond: str | None = None
    join_filter: str | None = None
    merge_cond: str | None = None
    rows_removed_by_filter: float = 0.0
    rows_removed_by_index_recheck: float = 0.0
    rows_removed_by_join_filter: float = 0.0
    sort_key: tuple[str, ...] = ()
    sort_method: str | None = None
    sort_space_used_kb: int | None = None
    sort_space_type: str | None = None
    hash_batches: int | None = None
    original_hash_batches: int | None = None
    peak_memory_kb: int | None = None
    heap_fetches: float | None = None
    exact_heap_blocks: int | None = None
    lossy_heap_blocks: int | None = None
    workers_planned: int | None = None
    workers_launched: int | None = None
    processes: int = 1
    subplan_name: str | None = None
    cte_name: str | None = None
    run_condition: str | None = None
    cache_hits: float | None = None
    cache_misses: float | None = None
    hashagg_batches: int | None = None
    disk_usage_kb: int | None = None
    sort_groups: tuple[SortGroups, ...] = ()
    workers: tuple[WorkerSpill, ...] = ()
    parent_relation: str | None = None
    parent_index: str | None = None
    cte_ms: float = 0.0
    ceiling_ms: float | None = None
    buffers: Buffers = field(default_factory=Buffers)
    wal_records: int | None = None
    wal_bytes: int | None = None
    wal_fpi: int | None = None
    children: tuple[PlanNode, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inclusive_ms(self) -> float | None:
        """Wall-clock time spent in this node and below, over all loops.

        "Actual Total Time" is an average per loop. Outside a Gather the loops ran one after the
        other, so they add up. Below a Gather the processes (workers and leader) ran their loops at
        the same time, so the sum is divided by the processes, as PEV2 does; the children of a
        Parallel Append, each run by some of the processes, then add up to the Append's time.
        """
        if self.actual_total_ms is None:
            return None
        loops = self.actual_loops if self.actual_loops is not None else 1.0
        ms = self.actual_total_ms * loops / self.processes
        # No node runs longer than its statement; some published plans (edited, clock skew) say otherwise.
        return ms if self.ceiling_ms is None else min(ms, self.ceiling_ms)

    @property
    def exclusive_ms(self) -> float | None:
        """Time of this node alone: its inclusive time minus its children's, not below 0.

        A CTE body hangs under the node that declares it but runs when a CTE Scan reads it, so it
        is subtracted from the CTE Scan (`cte_ms`) rather than from its parent.
        """
        own = self.inclusive_ms
        if own is None:
            return None
        below = sum(c.inclusive_ms or 0.0 for c in self.children if not c.is_cte_body)
        return max(own - below - self.cte_ms, 0.0)

    @property
    def is_cte_body(self) -> bool:
        return self.parent_relationship == "InitPlan" and (self.subplan_name or "").startswith("CTE ")

    @property
    def table(self) -> str | None:
        """The table as the query names it: the partitioned parent of a partition, else the relation."""
        return self.parent_relation or self.relation

    @property
    def index(self) -> str | None:
        """The index as created: the partitioned parent index of a partition's index, else the index."""
        return self.parent_index or self.index_name

    @property
    def actual_rows_total(self) -> float | None:
        if self.actual_rows is None:
            return None
        return self.actual_rows * (self.actual_loops or 1)

    @property
    def misestimate(self) -> float | None:
        """How far the row estimate was off, per loop, as a factor >= 1 in either direction."""
        if self.actual_rows is None or (self.actual_loops or 0) == 0:
            return None
        actual = max(self.actual_rows, 1.0)
        estimated = max(self.plan_rows, 1.0)
        return max(actual / estimated, estimated / actual)

    @property
    def is_scan(self) -> bool:
        return self.node_type in SCAN_TYPES

    def walk(self) -> Iterator[PlanNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def label(self) -> str:
        """A short human description: "Index Scan on tasks (tasks_pkey)"."""
        text = self.node_type
        if self.join_type and "Join" in self.node_type or self.node_type == "Nested Loop":
            text = f"{self.join_type or ''} {self.node_type}".strip()
        if self.relation:
            text += f" on {self.relation}"
            if self.parent_relation:
                text += f" (partition of {self.parent_relation})"
        if self.index_name:
            text += f" ({self.index_name}" + (f" of {self.parent_index}" if self.parent_index else "") + ")"
        return text


@dataclass(frozen=True)
class ExplainResult:
    """A whole EXPLAIN document: the tree and the statement-level figures."""

    root: PlanNode
    planning_ms: float | None = None
    execution_ms: float | None = None
    planning_buffers: Buffers | None = None
    triggers: tuple[Mapping[str, Any], ...] = ()
    jit: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = None

    def nodes(self) -> Iterator[PlanNode]:
        return self.root.walk()

    @property
    def total_buffers(self) -> Buffers:
        return self.root.buffers

    @property
    def relations(self) -> frozenset[str]:
        """Relations read, partitions under their own name and their partitioned parent's."""
        return frozenset(r for n in self.nodes() for r in (n.relation, n.parent_relation) if r)

    @property
    def index_names(self) -> frozenset[str]:
        """Indexes used: a partition's index under its own name and its parent index's, the one created."""
        return frozenset(i for n in self.nodes() for i in (n.index_name, n.parent_index) if i)


def parse_explain(doc: Any) -> ExplainResult:
    """Parse what EXPLAIN (FORMAT JSON) returned: the list psycopg gives, a dict, or JSON text."""
    raw = doc
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except ValueError as e:
            raise AnalyzerError(f"EXPLAIN output is not JSON: {e}") from None
        raw = doc
    if isinstance(doc, list):
        if not doc:
            raise AnalyzerError("EXPLAIN output is an empty list")
        doc = doc[0]
    if not isinstance(doc, Mapping) or "Plan" not in doc:
        raise AnalyzerError("EXPLAIN output has no 'Plan'")
    planning = doc.get("Planning")
    if not isinstance(doc["Plan"], Mapping):
        raise AnalyzerError("EXPLAIN output's 'Plan' is not an object")
    try:
        root = _charge_cte_bodies(_node(doc["Plan"], "0", 1), _float(doc.get("Execution Time")))
    except (TypeError, ValueError, AttributeError) as e:
        raise AnalyzerError(f"EXPLAIN output has a malformed node: {e}") from None
    except RecursionError:
        raise AnalyzerError("EXPLAIN output is nested too deeply to be a plan") from None
    return ExplainResult(
        root=root,
        planning_ms=_float(doc.get("Planning Time")),
        execution_ms=_float(doc.get("Execution Time")),
        planning_buffers=Buffers.from_json(planning) if isinstance(planning, Mapping) else None,
        triggers=tuple(doc.get("Triggers", ())),
        jit=doc.get("JIT"),
        settings=dict(doc.get("Settings", {})),
        raw=raw if isinstance(raw, list) else [doc],
    )


def _node(d: Mapping[str, Any], path: str, processes: int) -> PlanNode:
    node_type = str(d.get("Node Type", "?"))
    below = processes
    if node_type in ("Gather", "Gather Merge"):
        below = _gather_processes(d)
    children = tuple(_node(c, f"{path}.{i}", below) for i, c in enumerate(d.get("Plans", ())) if isinstance(c, Mapping))
    sort_key = d.get("Sort Key") or d.get("Presorted Key") or ()
    spills = tuple(WorkerSpill.from_json(w) for w in d.get("Workers", ()) if isinstance(w, Mapping))
    return PlanNode(
        node_type=node_type,
        path=path,
        relation=d.get("Relation Name"),
        schema=d.get("Schema"),
        alias=d.get("Alias"),
        index_name=d.get("Index Name"),
        join_type=d.get("Join Type"),
        strategy=d.get("Strategy"),
        parent_relationship=d.get("Parent Relationship"),
        scan_direction=d.get("Scan Direction"),
        startup_cost=float(d.get("Startup Cost", 0.0)),
        total_cost=float(d.get("Total Cost", 0.0)),
        plan_rows=float(d.get("Plan Rows", 0.0)),
        plan_width=int(d.get("Plan Width", 0)),
        actual_rows=_float(d.get("Actual Rows")),
        actual_loops=_float(d.get("Actual Loops")),
        actual_startup_ms=_float(d.get("Actual Startup Time")),
        actual_total_ms=_float(d.get("Actual Total Time")),
        filter=d.get("Filter"),
        index_cond=d.get("Index Cond"),
        recheck_cond=d.get("Recheck Cond"),
        hash_cond=d.get("Hash Cond"),
        join_filter=d.get("Join Filter"),
        merge_cond=d.get("Merge Cond"),
        rows_removed_by_filter=float(d.get("Rows Removed by Filter", 0.0)),
        rows_removed_by_index_recheck=float(d.get("Rows Removed by Index Recheck", 0.0)),
        rows_removed_by_join_filter=float(d.get("Rows Removed by Join Filter", 0.0)),
        sort_key=tuple(str(k) for k in sort_key),
        sort_method=d.get("Sort Method"),
        sort_space_used_kb=_int(d.get("Sort Space Used")),
        sort_space_type=d.get("Sort Space Type"),
        hash_batches=_int(d.get("Hash Batches")),
        original_hash_batches=_int(d.get("Original Hash Batches")),
        peak_memory_kb=_int(d.get("Peak Memory Usage")),
        heap_fetches=_float(d.get("Heap Fetches")),
        exact_heap_blocks=_int(d.get("Exact Heap Blocks")),
        lossy_heap_blocks=_int(d.get("Lossy Heap Blocks")),
        workers_planned=_int(d.get("Workers Planned")),
        workers_launched=_int(d.get("Workers Launched")),
        processes=processes,
        subplan_name=d.get("Subplan Name"),
        cte_name=d.get("CTE Name"),
        run_condition=d.get("Run Condition"),
        cache_hits=_float(d.get("Cache Hits")),
        cache_misses=_float(d.get("Cache Misses")),
        hashagg_batches=_int(d.get("HashAgg Batches")),
        disk_usage_kb=_int(d.get("Disk Usage")),
        sort_groups=_sort_groups(d),
        workers=spills,
        parent_relation=d.get(PARENT_RELATION_KEY),
        parent_index=d.get(PARENT_INDEX_KEY),
        buffers=Buffers.from_json(d),
        wal_records=_int(d.get("WAL Records")),
        wal_bytes=_int(d.get("WAL Bytes")),
        wal_fpi=_int(d.get("WAL FPI")),
        children=children,
        raw={k: v for k, v in d.items() if k != "Plans"},
    )


def annotate_partitions(raw: Any, roots: Mapping[str, str]) -> list[Any]:
    """A copy of raw EXPLAIN JSON where each partition's node names its root table and index.

    `roots` maps a partition (or a partition's index) to the root of its tree. The keys added,
    "Partition Of" and "Index Partition Of", travel with the plan into report.json and back.
    """
    docs = copy.deepcopy(raw if isinstance(raw, list) else [raw])

    def mark(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for name_key, parent_key in (("Relation Name", PARENT_RELATION_KEY), ("Index Name", PARENT_INDEX_KEY)):
            name = node.get(name_key)
            if isinstance(name, str) and name in roots:
                node[parent_key] = roots[name]
        for child in node.get("Plans", ()):
            mark(child)

    for doc in docs:
        if isinstance(doc, dict):
            mark(doc.get("Plan"))
    return docs


def _charge_cte_bodies(root: PlanNode, ceiling_ms: float | None) -> PlanNode:
    """Move each CTE body's time onto the CTE Scans that read it (first come, up to their own time),
    and cap every node's time at the statement's execution time."""
    if ceiling_ms is not None:
        root = _with_cte_ms(root, {}, ceiling_ms)
    remaining = {n.subplan_name[4:]: n.inclusive_ms or 0.0 for n in root.walk() if n.is_cte_body and n.subplan_name}
    if not remaining:
        return root
    charged: dict[str, float] = {}
    for n in root.walk():
        if n.node_type == "CTE Scan" and n.cte_name in remaining and n.inclusive_ms is not None:
            own = n.inclusive_ms - sum(c.inclusive_ms or 0.0 for c in n.children if not c.is_cte_body)
            take = max(0.0, min(own, remaining[n.cte_name]))
            remaining[n.cte_name] -= take
            charged[n.path] = take
    return _with_cte_ms(root, charged, ceiling_ms)


def _with_cte_ms(n: PlanNode, charged: Mapping[str, float], ceiling_ms: float | None) -> PlanNode:
    children = tuple(_with_cte_ms(c, charged, ceiling_ms) for c in n.children)
    return replace(n, children=children, cte_ms=charged.get(n.path, 0.0), ceiling_ms=ceiling_ms)


def _gather_processes(d: Mapping[str, Any]) -> int:
    """The processes that ran a Gather's subtree: its workers and the leader, unless the loops of its
    child show the leader did not take part (parallel_leader_participation = off)."""
    launched = _int(d.get("Workers Launched"))
    workers = launched if launched is not None else _int(d.get("Workers Planned")) or 0
    plans = [c for c in d.get("Plans", ()) if isinstance(c, Mapping)]
    loops, child_loops = _float(d.get("Actual Loops")), _float(plans[0].get("Actual Loops")) if plans else None
    if loops and child_loops and workers and round(child_loops / loops) == workers:
        return workers
    return workers + 1


def _sort_groups(d: Mapping[str, Any]) -> tuple[SortGroups, ...]:
    return tuple(SortGroups.from_json(kind, d[kind]) for kind in ("Full-sort Groups", "Pre-sorted Groups")
                 if isinstance(d.get(kind), Mapping))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


SHAPE_ATTRS = ("join_type", "strategy", "relation", "index_name")
JOIN_TYPES = ("Nested Loop", "Hash Join", "Merge Join")
_SHAPE_SPECIAL = "\\|()=,"


def plan_shape(plan: ExplainResult | PlanNode) -> str:
    """The tree without costs, rows or times: node types, joins, relations, indexes. Equal shapes, same plan.

    It is also the plan signature a baseline stores; `parse_plan_shape` reads it back.
    """
    node = plan.root if isinstance(plan, ExplainResult) else plan
    parts = [_escape(node.node_type)]
    for attr in SHAPE_ATTRS:
        value = getattr(node, attr)
        if value:
            parts.append(f"{attr}={_escape(str(value))}")
    inner = ",".join(plan_shape(c) for c in node.children)
    return f"{'|'.join(parts)}({inner})"


WORK_SHAPE_KEYS = (
    "Node Type", "Strategy", "Join Type", "Inner Unique", "Operation", "Command", "Relation Name", "Schema",
    "Function Name", "Index Name", "Scan Direction", "Parent Relationship", "Subplan Name", "CTE Name",
    "Index Cond", "Recheck Cond", "Filter", "One-Time Filter", "Hash Cond", "Merge Cond", "Join Filter",
    "Run Condition", "Sort Key", "Presorted Key", "Group Key", "Cache Key", "Cache Mode", "Partial Mode",
    "Parallel Aware", "Workers Planned", "Single Copy", "Order By", "Subplans Removed", "Sampling Method",
    "Sampling Parameters",
)


def work_shape(raw: Any) -> Any:
    """What decides a plan's work, from its JSON: node types, relations, indexes, conditions, keys; no estimate
    or measurement. Two plans of one query with the same work shape on the same data touch the same buffers.
    Finer than `plan_shape`, the signature baselines store (which a change of condition or scan direction
    leaves equal): the advisor keeps a parameter set's measurement only on this one."""
    node = raw[0] if isinstance(raw, list) and raw else raw
    node = node.get("Plan", node) if isinstance(node, Mapping) else node
    if not isinstance(node, Mapping):
        return None
    own = tuple((k, repr(node[k])) for k in WORK_SHAPE_KEYS if k in node)
    return own, tuple(work_shape(c) for c in node.get("Plans", ()))


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in _SHAPE_SPECIAL else ch for ch in text)


def parse_plan_shape(signature: str) -> PlanNode:
    """Rebuild the skeleton tree (node types, joins, relations, indexes) of a `plan_shape` signature."""
    node, end = _parse_shape(signature, 0, "0")
    if end != len(signature):
        raise AnalyzerError(f"not a plan signature: unexpected {signature[end:end + 20]!r}")
    return node


def _parse_shape(text: str, pos: int, path: str) -> tuple[PlanNode, int]:
    parts: list[str] = []
    buf: list[str] = []
    while True:
        if pos >= len(text):
            raise AnalyzerError(f"not a plan signature: it ends inside a node: {text[-40:]!r}")
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text):
            buf.append(text[pos + 1])
            pos += 2
        elif ch == "|":
            parts.append("".join(buf))
            buf = []
            pos += 1
        elif ch == "(":
            parts.append("".join(buf))
            pos += 1
            break
        elif ch in "),":
            raise AnalyzerError(f"not a plan signature: {ch!r} before '(' at {pos}")
        else:
            buf.append(ch)
            pos += 1
    attrs: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key in SHAPE_ATTRS:
            attrs[key] = value
    children: list[PlanNode] = []
    while pos < len(text) and text[pos] != ")":
        child, pos = _parse_shape(text, pos, f"{path}.{len(children)}")
        children.append(child)
        if pos < len(text) and text[pos] == ",":
            pos += 1
    if pos >= len(text):
        raise AnalyzerError("not a plan signature: unbalanced parentheses")
    node = PlanNode(
        node_type=parts[0], path=path, children=tuple(children), join_type=attrs.get("join_type"),
        strategy=attrs.get("strategy"), relation=attrs.get("relation"), index_name=attrs.get("index_name"),
    )
    return node, pos + 1


@dataclass(frozen=True)
class PlanChange:
    """One difference between two plans of the same query; `worse` marks the ones a baseline gate fails on."""

    kind: str  # seq_scan, index_only_lost, join_method, sort_added, sort_removed, scan_changed, shape
    detail: str
    worse: bool
    node_path: str | None = None


def compare_plans(old: ExplainResult | PlanNode, new: ExplainResult | PlanNode) -> list[PlanChange]:
    """What changed from `old` to `new`: worse when a relation lost its index (Seq Scan) or its index-only
    scan, a join method changed, or a sort was added. Other scan changes are reported, not judged."""
    old_root = old.root if isinstance(old, ExplainResult) else old
    new_root = new.root if isinstance(new, ExplainResult) else new
    if plan_shape(old_root) == plan_shape(new_root):
        return []
    changes: list[PlanChange] = []
    old_scans, new_scans = _scans_by_relation(old_root), _scans_by_relation(new_root)
    for relation in sorted(set(old_scans) | set(new_scans)):
        before, after = old_scans.get(relation, []), new_scans.get(relation, [])
        if [t for t, _ in before] == [t for t, _ in after]:
            continue
        b = " + ".join(t for t, _ in before) or "nothing"
        a = " + ".join(t for t, _ in after) or "nothing"
        where = after[0][1].path if after else None
        old_types = {n.node_type for _, n in before}
        new_types = {n.node_type for _, n in after}
        if "Seq Scan" in new_types - old_types and old_types & _INDEX_SCANS:
            changes.append(PlanChange("seq_scan", f"{relation}: {b} became {a}", True, _first(after, "Seq Scan")))
        elif "Index Only Scan" in old_types - new_types and new_types & {"Index Scan", "Bitmap Heap Scan"}:
            changes.append(PlanChange("index_only_lost", f"{relation}: {b} became {a}", True, where))
        else:
            changes.append(PlanChange("scan_changed", f"{relation}: {b} became {a}", False, where))
    old_joins = [n.node_type for n in old_root.walk() if n.node_type in JOIN_TYPES]
    new_joins = [n.node_type for n in new_root.walk() if n.node_type in JOIN_TYPES]
    if sorted(old_joins) != sorted(new_joins):
        where = next((n.path for n in new_root.walk() if n.node_type in JOIN_TYPES), None)
        changes.append(PlanChange(
            "join_method", f"join methods {', '.join(old_joins) or 'none'} became {', '.join(new_joins) or 'none'}",
            True, where))
    old_sorts = sum(1 for n in old_root.walk() if n.node_type in ("Sort", "Incremental Sort"))
    sorts = [n for n in new_root.walk() if n.node_type in ("Sort", "Incremental Sort")]
    if len(sorts) > old_sorts:
        changes.append(PlanChange("sort_added", "a Sort was added", True, sorts[0].path))
    elif len(sorts) < old_sorts:
        changes.append(PlanChange("sort_removed", "a Sort was removed", False))
    return changes or [PlanChange("shape", "the plan tree changed shape", False, first_difference(old_root, new_root))]


def shape_differences(old: ExplainResult | PlanNode, new: ExplainResult | PlanNode) -> list[str]:
    """What changed between two plans, in words: scans by relation, join methods, sorts."""
    return [c.detail for c in compare_plans(old, new)]


def first_difference(old: ExplainResult | PlanNode, new: ExplainResult | PlanNode) -> str | None:
    """The path (in `new`) of the first node, depth first, where two plan trees differ in shape."""
    a = old.root if isinstance(old, ExplainResult) else old
    b = new.root if isinstance(new, ExplainResult) else new
    if any(getattr(a, attr) != getattr(b, attr) for attr in ("node_type", *SHAPE_ATTRS)):
        return b.path
    for ca, cb in zip(a.children, b.children):
        path = first_difference(ca, cb)
        if path is not None:
            return path
    if len(a.children) != len(b.children):
        return b.path
    return None


_INDEX_SCANS = frozenset({"Index Scan", "Index Only Scan", "Bitmap Heap Scan"})


def _first(scans: list[tuple[str, PlanNode]], node_type: str) -> str | None:
    return next((n.path for _, n in scans if n.node_type == node_type), None)


def _scans_by_relation(root: PlanNode) -> dict[str, list[tuple[str, PlanNode]]]:
    scans: dict[str, list[tuple[str, PlanNode]]] = {}
    for n in root.walk():
        if n.relation:
            text = n.node_type + (f" ({n.index_name})" if n.index_name else "")
            scans.setdefault(n.relation, []).append((text, n))
    return scans
