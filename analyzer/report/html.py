"""The self-contained HTML report: one file, no network, readable without JavaScript.

The template (package data) gets view models built here from the report model: plan trees
with per-node bars and flags, charts as inline SVG, SQL pretty-printed with sqlparse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2
import sqlparse

from analyzer.plan import PlanNode, parse_explain
from analyzer.report.charts import gain_cost_scatter, latency_strip
from analyzer.report.model import CheckOutcome, QueryReport, Recommendation, RunReport

BEFORE_COLOR, AFTER_COLOR = "#c2410c", "#15803d"


@dataclass
class NodeView:
    """One plan node as the template draws it."""

    path: str
    label: str
    details: list[str]
    est_rows: float
    actual_rows: float | None
    loops: float | None
    misestimate: float | None
    inclusive_ms: float | None
    exclusive_ms: float | None
    inclusive_pct: float
    exclusive_pct: float
    buffers: str
    flags: list[CheckOutcome]
    children: list[NodeView] = field(default_factory=list)


def render_html(report: RunReport) -> str:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["ms"] = _fmt_ms
    env.filters["num"] = lambda v: "—" if v is None else f"{v:,.0f}"
    env.filters["bytes"] = _fmt_bytes
    env.filters["pct"] = lambda v: "—" if v is None else f"{v:+.1%}"
    template = env.get_template("report.html.j2")
    helped_by = _recommendations_by_query(report)
    queries = [_query_view(q, helped_by.get(q.name)) for q in report.queries]
    points = [
        (r.name, r.weighted_speedup or 1.0, r.write_overhead.wal_ratio if r.write_overhead else 0.0, r.chosen)
        for r in report.recommendations if r.proven
    ]
    return template.render(
        report=report,
        queries=queries,
        css=_asset("report.css"),
        js=_asset("report.js"),
        scatter=gain_cost_scatter(points),
        chosen=[r for r in report.recommendations if r.chosen],
        rejected=[r for r in report.recommendations if not r.chosen],
    )


def _template_source(name: str) -> str:
    return _asset(name)


def _asset(name: str) -> str:
    return resources.files("analyzer.report").joinpath("templates", name).read_text("utf-8")


def _recommendations_by_query(report: RunReport) -> dict[str, tuple[Recommendation, Any]]:
    out: dict[str, tuple[Recommendation, Any]] = {}
    for rec in report.recommendations:
        if not rec.chosen:
            continue
        for s in rec.queries:
            best = out.get(s.query)
            if best is None or s.speedup > best[1].speedup:
                out[s.query] = (rec, s)
    return out


def _query_view(q: QueryReport, helped: tuple[Recommendation, Any] | None) -> dict[str, Any]:
    flags: dict[str, list[CheckOutcome]] = {}
    for c in q.checks:
        if not c.passed and c.node_path:
            flags.setdefault(c.node_path, []).append(c)
    tree = _tree(q.plan, flags)
    series = [("before" if helped else "runs", list(q.timings_ms), BEFORE_COLOR)]
    after_tree = None
    if helped is not None:
        rec, speed = helped
        series.append(("after", list(speed.timings_after_ms), AFTER_COLOR))
        after_tree = _tree(speed.plan_after, {})
    return {
        "q": q,
        "sql": sqlparse.format(q.sql, reindent=True, keyword_case="upper"),
        "chart": latency_strip(series),
        "tree": tree,
        "after_tree": after_tree,
        "helped": helped,
        "failed": [c for c in q.checks if not c.passed],
        "passed_checks": [c for c in q.checks if c.passed],
    }


def _tree(raw_plan: Any, flags: dict[str, list[CheckOutcome]]) -> NodeView | None:
    if not raw_plan:
        return None
    result = parse_explain(raw_plan)
    total = result.root.inclusive_ms or 0.0
    return _node_view(result.root, total, flags)


def _node_view(n: PlanNode, total_ms: float, flags: dict[str, list[CheckOutcome]]) -> NodeView:
    details = []
    for label, value in (
        ("Index Cond", n.index_cond), ("Recheck Cond", n.recheck_cond), ("Filter", n.filter),
        ("Join Filter", n.join_filter), ("Hash Cond", n.hash_cond), ("Merge Cond", n.merge_cond),
    ):
        if value:
            details.append(f"{label}: {value}")
    if n.rows_removed_by_filter:
        details.append(f"Rows removed by filter: {n.rows_removed_by_filter:,.0f} per loop")
    if n.rows_removed_by_index_recheck:
        details.append(f"Rows removed by recheck: {n.rows_removed_by_index_recheck:,.0f}")
    if n.sort_key:
        details.append(f"Sort key: {', '.join(n.sort_key)}")
    if n.sort_method:
        details.append(f"Sort: {n.sort_method}, {n.sort_space_used_kb or 0:,} kB {n.sort_space_type or ''}".strip())
    if n.hash_batches:
        details.append(f"Hash: {n.hash_batches} batch(es), {n.peak_memory_kb or 0:,} kB")
    if n.heap_fetches is not None:
        details.append(f"Heap fetches: {n.heap_fetches:,.0f}")
    if n.lossy_heap_blocks:
        details.append(f"Lossy heap blocks: {n.lossy_heap_blocks:,}")
    b = n.buffers
    buffers = f"hit {b.shared_hit:,} · read {b.shared_read:,}" + (
        f" · temp {b.temp_read + b.temp_written:,}" if b.temp_read or b.temp_written else "")
    incl, excl = n.inclusive_ms, n.exclusive_ms
    return NodeView(
        path=n.path, label=n.label(), details=details, est_rows=n.plan_rows, actual_rows=n.actual_rows,
        loops=n.actual_loops, misestimate=n.misestimate, inclusive_ms=incl, exclusive_ms=excl,
        inclusive_pct=min(100.0, 100 * (incl or 0) / total_ms) if total_ms else 0.0,
        exclusive_pct=min(100.0, 100 * (excl or 0) / total_ms) if total_ms else 0.0,
        buffers=buffers, flags=flags.get(n.path, []),
        children=[_node_view(c, total_ms, flags) for c in n.children],
    )


def _fmt_ms(v: float | None) -> str:
    if v is None:
        return "—"
    if v >= 1000:
        return f"{v / 1000:,.2f} s"
    if v >= 10:
        return f"{v:,.1f} ms"
    return f"{v:,.3f} ms"


def _fmt_bytes(v: float | None) -> str:
    if v is None:
        return "—"
    for unit in ("B", "kB", "MB", "GB"):
        if abs(v) < 1024 or unit == "GB":
            return f"{v:,.0f} {unit}" if unit == "B" else f"{v:,.1f} {unit}"
        v /= 1024
    return f"{v:,.1f} GB"
