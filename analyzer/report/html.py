"""The self-contained HTML report: one file, no network, readable without JavaScript.

The template (package data) gets view models built here from the report model: plan trees
with per-node bars and flags, charts as inline SVG, SQL pretty-printed with sqlparse. The
template only lays them out; every figure is computed here, where it can be tested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2
import markupsafe
import sqlparse

from analyzer.plan import ExplainResult, PlanNode, parse_explain, plan_shape
from analyzer.report.charts import ScatterPoint, Series, gain_cost_scatter, latency_chart
from analyzer.report.model import (
    CheckOutcome,
    QueryReport,
    QuerySpeedup,
    Recommendation,
    Regression,
    RunReport,
    TableSeed,
    WriteOverhead,
)
from analyzer.report.nextstep import next_step

BEFORE_COLOR, AFTER_COLOR = "#b45309", "#15803d"
# Settings shown in the summary; the Server section lists all of them.
KEY_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit",
                "max_parallel_workers_per_gather")
DETAIL_KEYS = (("Index Cond", "index_cond"), ("Recheck Cond", "recheck_cond"), ("Filter", "filter"),
               ("Join Filter", "join_filter"), ("Hash Cond", "hash_cond"), ("Merge Cond", "merge_cond"))


@dataclass(frozen=True)
class Flag:
    """A failed check attached to the plan node it is about."""

    name: str
    severity: str
    detail: str


@dataclass
class NodeView:
    """One plan node as the template draws it."""

    anchor: str
    label: str
    extra: str  # strategy, subplan or CTE name: the words after the label
    est_rows: float
    actual_rows: float | None
    loops: float | None
    misestimate: float | None
    misestimate_dir: str  # "under" or "over"
    inclusive_ms: float | None
    exclusive_ms: float | None
    inclusive_pct: float
    exclusive_pct: float
    buffers: str
    conditions: list[tuple[str, str]]
    notes: list[tuple[str, bool]]  # (text, is it bad news)
    flags: list[Flag]
    children: list[NodeView] = field(default_factory=list)

    @property
    def severity(self) -> str:
        order = ("error", "warning", "info")
        return min((f.severity for f in self.flags), key=lambda s: order.index(s) if s in order else 3, default="")


@dataclass
class PlanView:
    """A drawn plan: its tree and the statement-level figures."""

    title: str
    root: NodeView
    execution_ms: float | None
    planning_ms: float | None
    shared_hit: int
    shared_read: int


@dataclass(frozen=True)
class CheckView:
    """A failed check as listed under its query, linked to its plan node when it was found."""

    name: str
    severity: str
    detail: str
    anchor: str | None


@dataclass
class AfterView:
    """The query with the recommended index that helped it most."""

    rec: Recommendation
    speed: QuerySpeedup
    plan: PlanView | None


@dataclass
class QueryView:
    q: QueryReport
    anchor: str
    sql: str
    param_names: list[str]
    param_rows: list[list[str]]
    param_labels: list[str]  # heavy, typical, rare or declared, per set
    param_figures: list[tuple[str, str]]  # rows returned and buffers touched, per set
    share_pct: float
    chart: str
    plan: PlanView | None
    after: AfterView | None
    other_plans: list[PlanView]
    failed: list[CheckView]
    failed_names: list[tuple[str, str, int]]  # (short name, severity, count): the summary's chips
    passed_checks: list[str]
    regressions: list[Regression]


@dataclass
class CandidateView:
    number: int
    rec: Recommendation
    gain: float | None
    best: QuerySpeedup | None
    helped: list[tuple[QuerySpeedup, float]]  # with the speedup bar's length in percent (log scale)


@dataclass
class SummaryView:
    passed: int
    total: int
    weighted_ms: float
    weighted_after_ms: float | None
    speedup: float | None
    write_total: WriteOverhead | None
    chosen: int
    candidates: int
    key_settings: list[tuple[str, str]]
    seeded_rows: int | None


@dataclass
class SeedTableView:
    seed: TableSeed
    rows_pct: float
    columns: list[tuple[str, str, str, str, str]]  # column, distinct, null, most common, rule


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_asset), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(ms=fmt_ms, num=fmt_num, bytes=fmt_bytes, pct=fmt_pct, x=fmt_factor, setting=fmt_setting,
                       codespans=_codespans, wbr=_wbr)
    return env


@dataclass
class PlanFileView:
    """One plan of `pg-analyzer plan --html`: its file, findings and tree."""

    file: str
    anchor: str
    failed: list[CheckView]
    plan: PlanView


def render_plan_html(plans: Sequence[tuple[str, Any, Sequence[CheckOutcome]]]) -> str:
    """The plan tree of the run report for plans from files: (file, raw EXPLAIN JSON, findings) each."""
    views: list[PlanFileView] = []
    order = {"error": 0, "warning": 1, "info": 2}
    for i, (file, raw, findings) in enumerate(plans):
        anchor = f"plan{i}-{slug(file)}"
        by_path: dict[str, list[CheckOutcome]] = {}
        for c in findings:
            if c.node_path:
                by_path.setdefault(c.node_path, []).append(c)
        located: dict[int, str] = {}
        view = _plan_view(raw, "Plan", f"{anchor}-p0", by_path, located)
        failed = sorted((CheckView(short_check_name(c.name), c.severity, c.detail, located.get(id(c))) for c in findings),
                        key=lambda c: order.get(c.severity, 3))
        views.append(PlanFileView(file, anchor, failed, view))
    return _environment().get_template("plan_file.html.j2").render(
        plans=views, failed=any(c.severity == "error" for v in views for c in v.failed),
        css=_asset("report.css"), js=_asset("report.js"),
    )


def render_html(report: RunReport) -> str:
    """The report as one HTML document with its CSS, script and charts inline."""
    env = _environment()
    helped_by = _best_speedups(report)
    total_weighted = sum((q.median_ms or 0.0) * q.weight for q in report.queries) or 1.0
    regressions: dict[str, list[Regression]] = {}
    for r in report.regressions:
        regressions.setdefault(r.query, []).append(r)
    queries = [
        _query_view(i, q, helped_by.get(q.name), 100 * (q.median_ms or 0.0) * q.weight / total_weighted,
                    regressions.get(q.name, []))
        for i, q in enumerate(report.queries)
    ]
    candidates = _candidates(report)
    return env.get_template("report.html.j2").render(
        report=report,
        next_step=next_step(report),
        summary=_summary(report),
        queries=queries,
        candidates=candidates,
        scatter=gain_cost_scatter([
            ScatterPoint(c.number, c.rec.name, c.gain or 1.0,
                         c.rec.write_overhead.wal_ratio if c.rec.write_overhead else None, c.rec.chosen)
            for c in candidates if c.rec.proven
        ]),
        seed_tables=_seed_tables(report),
        anchors={q.q.name: q.anchor for q in queries},
        css=_asset("report.css"),
        js=_asset("report.js"),
    )


def _codespans(text: str) -> markupsafe.Markup:
    """`name` in plain text as <code>name</code>, the rest escaped."""
    parts = str(text).split("`")
    return markupsafe.Markup("").join(
        markupsafe.Markup("<code>{}</code>").format(p) if i % 2 else markupsafe.escape(p) for i, p in enumerate(parts)
    )


def _wbr(name: str) -> markupsafe.Markup:
    """An index name that may break after its underscores, never inside a word."""
    return markupsafe.Markup("_<wbr>").join(markupsafe.escape(part) for part in str(name).split("_"))


def _asset(name: str) -> str:
    return resources.files("analyzer.report").joinpath("templates", name).read_text("utf-8")


def _summary(report: RunReport) -> SummaryView:
    a = report.advisor
    settings = report.server.settings
    return SummaryView(
        passed=len(report.queries) - len(report.failed_queries), total=len(report.queries),
        weighted_ms=a.weighted_ms_before if a else report.weighted_ms,
        weighted_after_ms=a.weighted_ms_after if a else None, speedup=a.weighted_speedup if a else None,
        write_total=a.write_overhead_total if a else None,
        chosen=sum(1 for r in report.recommendations if r.chosen), candidates=len(report.recommendations),
        key_settings=[(k, fmt_setting(settings[k])) for k in KEY_SETTINGS if k in settings],
        seeded_rows=sum(t.rows for t in report.seeding.tables) if report.seeding else None,
    )


def _best_speedups(report: RunReport) -> dict[str, tuple[Recommendation, QuerySpeedup]]:
    """For each query, the chosen index that sped it up most."""
    out: dict[str, tuple[Recommendation, QuerySpeedup]] = {}
    for rec in report.recommendations:
        if not rec.chosen:
            continue
        for s in rec.queries:
            best = out.get(s.query)
            if best is None or s.speedup > best[1].speedup:
                out[s.query] = (rec, s)
    return out


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _query_view(
    i: int, q: QueryReport, helped: tuple[Recommendation, QuerySpeedup] | None, share_pct: float,
    regressions: list[Regression],
) -> QueryView:
    anchor = f"q{i}-{slug(q.name)}"
    failed = [c for c in q.checks if not c.passed]
    by_path: dict[str, list[CheckOutcome]] = {}
    for c in failed:
        if c.node_path:
            by_path.setdefault(c.node_path, []).append(c)
    located: dict[int, str] = {}  # id(check) -> anchor of the node it was drawn on

    before_raw = helped[1].plan_before if helped is not None and helped[1].plan_before else q.plan
    title = "Plan"
    if helped is not None and helped[1].plan_before and helped[1].param_set is not None:
        # before and after of the same parameter set, side by side
        title = f"Before, parameter set {helped[1].param_set + 1} ({helped[1].param_label or 'declared'})"
    plan = _plan_view(before_raw, title, f"{anchor}-p0", by_path, located) if before_raw else None
    others: list[PlanView] = []
    if q.plan:
        seen = {plan_shape(parse_explain(before_raw))}
        for raw in q.plans_by_params:
            if not raw:
                continue
            shape = plan_shape(parse_explain(raw))
            if shape in seen:
                continue
            seen.add(shape)
            n = len(others) + 1
            others.append(_plan_view(raw, f"Another parameter set's plan ({n})", f"{anchor}-p{n}", by_path, located))

    series = [Series("before" if helped else "runs", q.timings_ms, BEFORE_COLOR)]
    after = None
    if helped is not None:
        rec, speed = helped
        if speed.timings_after_ms:
            series.append(Series("after", speed.timings_after_ms, AFTER_COLOR))
        same = f", parameter set {speed.param_set + 1}" if speed.param_set is not None and speed.plan_before else ""
        plan_after = (_plan_view(speed.plan_after, f"With {rec.name}{same}", f"{anchor}-a", {}, {})
                      if speed.plan_after else None)
        after = AfterView(rec, speed, plan_after)

    names = sorted({k for p in q.params for k in p})
    counts: dict[tuple[str, str], int] = {}
    for c in failed:
        key = (short_check_name(c.name), c.severity)
        counts[key] = counts.get(key, 0) + 1
    order = {"error": 0, "warning": 1, "info": 2}
    return QueryView(
        q=q, anchor=anchor,
        sql=sqlparse.format(q.sql, reindent=True, keyword_case="upper", indent_width=2).strip(),
        param_names=names,
        param_rows=[[_fmt_param(p.get(k)) for k in names] for p in q.params],
        param_labels=[q.param_labels[i] if i < len(q.param_labels) else "declared" for i in range(len(q.params))],
        param_figures=[(_fmt_count(q.rows_by_params, i), _fmt_count(q.buffers_by_params, i))
                       for i in range(len(q.params))],
        share_pct=share_pct,
        chart=latency_chart(series),
        plan=plan, after=after, other_plans=others,
        failed=sorted((CheckView(short_check_name(c.name), c.severity, c.detail, located.get(id(c))) for c in failed),
                      key=lambda c: order.get(c.severity, 3)),
        failed_names=sorted(((n, s, k) for (n, s), k in counts.items()), key=lambda t: (order.get(t[1], 3), t[0])),
        passed_checks=[short_check_name(c.name) for c in q.checks if c.passed],
        regressions=regressions,
    )


def short_check_name(name: str) -> str:
    """`expect.no_seq_scan` and `builtin.seq_scan` read better without their prefixes next to a severity."""
    return name.split(".", 1)[1] if name.startswith(("expect.", "builtin.")) else name


def _fmt_count(values: tuple[float | int | None, ...], i: int) -> str:
    v = values[i] if i < len(values) else None
    return "" if v is None else f"{v:,.0f}"


def _fmt_param(v: Any) -> str:
    if v is None:
        return "NULL"
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "…"


def _plan_view(raw: Any, title: str, anchor: str, flags: Mapping[str, list[CheckOutcome]],
               located: dict[int, str]) -> PlanView:
    result: ExplainResult = parse_explain(raw)
    total = result.root.inclusive_ms or 0.0
    node_types = {n.node_type for n in result.nodes()}
    root = _node_view(result.root, total, anchor, flags, node_types, located)
    b = result.total_buffers
    return PlanView(title, root, result.execution_ms, result.planning_ms, b.shared_hit, b.shared_read)


def _about_node(check: CheckOutcome, node: PlanNode, node_types: set[str]) -> bool:
    """Checks run on every parameter set's plan, so a path alone may point at another plan's node.

    A check's detail starts with the node it is about ("Seq Scan on tasks ..."); when it names
    another node type of this plan, it belongs to another plan.
    """
    if check.detail.startswith(node.node_type):
        return True
    return not any(check.detail.startswith(t) for t in node_types)


def _node_view(n: PlanNode, total_ms: float, anchor: str, flags: Mapping[str, list[CheckOutcome]],
               node_types: set[str], located: dict[int, str]) -> NodeView:
    node_anchor = f"{anchor}-{n.path.replace('.', '_')}"
    mine = [c for c in flags.get(n.path, []) if _about_node(c, n, node_types)]
    for c in mine:
        located.setdefault(id(c), node_anchor)
    conditions = [(label, str(getattr(n, attr))) for label, attr in DETAIL_KEYS if getattr(n, attr)]
    for key in ("Group Key", "Sort Key", "Presorted Key"):
        if n.raw.get(key):
            conditions.append((key, ", ".join(str(k) for k in n.raw[key])))
    notes: list[tuple[str, bool]] = []
    loops = n.actual_loops or 1
    returned = (n.actual_rows or 0) * loops
    for label, removed in (("filter", n.rows_removed_by_filter), ("index recheck", n.rows_removed_by_index_recheck),
                           ("join filter", n.rows_removed_by_join_filter)):
        if removed:
            total_removed = removed * loops
            share = total_removed / (total_removed + returned) if total_removed + returned else 0
            notes.append((f"{fmt_num(total_removed)} rows removed by {label} ({share:.0%} of those read)", share > 0.5))
    if n.sort_method:
        disk = (n.sort_space_type or "").lower() == "disk" or "external" in n.sort_method
        notes.append((f"{n.sort_method}, {n.sort_space_used_kb or 0:,} kB {n.sort_space_type or ''}".strip(), disk))
    if n.hash_batches:
        notes.append(((f"{n.hash_batches} batch{'es' if n.hash_batches > 1 else ''}, "
                      f"{n.peak_memory_kb or 0:,} kB peak memory"), n.hash_batches > 1))
    for g in n.sort_groups:
        peak = f"{g.disk_peak_kb:,} kB disk" if g.disk_peak_kb is not None else f"{g.memory_peak_kb or 0:,} kB memory"
        notes.append((f"{g.kind}: {g.group_count:,}, {', '.join(g.methods)}, peak {peak}", g.spilled))
    if n.hashagg_batches or n.disk_usage_kb:
        batches = n.hashagg_batches or 1
        spilled = batches > 1 or bool(n.disk_usage_kb)
        notes.append((f"{batches} batch{'es' if batches > 1 else ''}, {n.disk_usage_kb or 0:,} kB disk", spilled))
    if n.cache_hits is not None or n.cache_misses is not None:
        notes.append((f"cache: {fmt_num(n.cache_hits or 0)} hits, {fmt_num(n.cache_misses or 0)} misses", False))
    if n.run_condition:
        notes.append((f"stops early: Run Condition {n.run_condition}", False))
    if n.heap_fetches:
        notes.append((f"{fmt_num(n.heap_fetches)} heap fetches", True))
    if n.exact_heap_blocks or n.lossy_heap_blocks:
        notes.append((f"heap blocks: {n.exact_heap_blocks or 0:,} exact, {n.lossy_heap_blocks or 0:,} lossy",
                      bool(n.lossy_heap_blocks)))
    if n.workers_planned:
        notes.append((f"workers {n.workers_launched or 0} of {n.workers_planned} planned", False))
    b = n.buffers
    buffers = f"{b.shared_hit:,} hit · {b.shared_read:,} read"
    if b.shared_dirtied:
        buffers += f" · {b.shared_dirtied:,} dirtied"
    if b.temp_read or b.temp_written:
        buffers += f" · temp {b.temp_read:,} read, {b.temp_written:,} written"
    extra = " ".join(str(x) for x in (
        n.raw.get("Subplan Name"), f"CTE {n.raw['CTE Name']}" if n.raw.get("CTE Name") else None,
        f"({n.strategy.lower()})" if n.strategy and n.strategy != "Plain" else None,
        f"{n.scan_direction.lower()}" if n.scan_direction == "Backward" else None,
    ) if x)
    incl, excl = n.inclusive_ms, n.exclusive_ms
    est, act = n.plan_rows, n.actual_rows
    return NodeView(
        anchor=node_anchor, label=n.label(), extra=extra, est_rows=est, actual_rows=act, loops=n.actual_loops,
        misestimate=n.misestimate, misestimate_dir="over" if act is not None and est > act else "under",
        inclusive_ms=incl, exclusive_ms=excl,
        inclusive_pct=_pct(incl, total_ms), exclusive_pct=_pct(excl, total_ms),
        buffers=buffers, conditions=conditions, notes=notes,
        flags=[Flag(short_check_name(c.name), c.severity, c.detail) for c in mine],
        children=[_node_view(c, total_ms, anchor, flags, node_types, located) for c in n.children],
    )


def _pct(part: float | None, whole: float) -> float:
    return min(100.0, 100 * (part or 0.0) / whole) if whole else 0.0


def _candidates(report: RunReport) -> list[CandidateView]:
    recs = sorted(report.recommendations, key=lambda r: (not r.chosen, -(r.weighted_speedup or 0)))
    out = []
    for i, r in enumerate(recs, 1):
        best = max(r.queries, key=lambda s: s.speedup, default=None)
        top = math.log10(max(10.0, *(min(s.speedup, 1e6) for s in r.queries))) if r.queries else 1.0
        helped = [(s, min(100.0, 100 * math.log10(min(max(s.speedup, 1.0), 1e6)) / top)) for s in r.queries]
        out.append(CandidateView(i, r, r.weighted_speedup, best, helped))
    return out


def _seed_tables(report: RunReport) -> list[SeedTableView]:
    if not report.seeding:
        return []
    most = max((t.rows for t in report.seeding.tables), default=0) or 1
    out = []
    for t in report.seeding.tables:
        cols = []
        for c in t.columns:
            if c.n_distinct < 0:
                distinct = "all distinct" if c.n_distinct <= -0.999 else f"≈{fmt_num(-c.n_distinct * t.rows)} ({-c.n_distinct:.0%} of rows)"
            else:
                distinct = fmt_num(c.n_distinct)
            common = " · ".join(
                f"{_fmt_param(v)[:28]} {f:.0%}" for v, f in zip(c.most_common_vals[:4], c.most_common_freqs[:4])
            )
            cols.append((c.column, distinct, f"{c.null_frac:.0%}" if c.null_frac else "—", common or "—", c.rule or "—"))
        out.append(SeedTableView(t, 100 * t.rows / most, cols))
    return out


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "—"
    if v >= 1000:
        return f"{v / 1000:,.2f} s"
    if v >= 100:
        return f"{v:,.0f} ms"
    if v >= 10:
        return f"{v:,.1f} ms"
    if v >= 1:
        return f"{v:,.2f} ms"
    return f"{v:,.3f} ms"


def fmt_setting(value: str) -> str:
    """Memory settings as people read them: 655368kB is 640 MB (rounded)."""
    m = re.fullmatch(r"(\d+)(kB|MB|GB)", value)
    if not m:
        return value
    kb = int(m.group(1)) * {"kB": 1, "MB": 1024, "GB": 1024 * 1024}[m.group(2)]
    if kb >= 1024 * 1024:
        return f"{kb / 1024 / 1024:,.1f} GB".replace(".0 GB", " GB")
    if kb >= 1024:
        return f"{kb / 1024:,.0f} MB"
    return f"{kb:,} kB"


def fmt_num(v: float | None) -> str:
    if v is None:
        return "—"
    if v != int(v) and abs(v) < 10:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:,.0f}"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1%}" if abs(v) < 0.1 else f"{v:+.0%}"


def fmt_factor(v: float | None) -> str:
    if v is None or math.isinf(v):
        return "—"
    return f"{v:,.2f}×" if v < 10 else f"{v:,.1f}×" if v < 100 else f"{v:,.0f}×"


def fmt_bytes(v: float | None) -> str:
    if v is None:
        return "—"
    sign = "-" if v < 0 else ""
    v = abs(v)
    for unit in ("B", "kB", "MB", "GB"):
        if v < 1024 or unit == "GB":
            return f"{sign}{v:,.0f} {unit}" if unit == "B" else f"{sign}{v:,.1f} {unit}"
        v /= 1024
    return f"{sign}{v:,.1f} GB"  # pragma: no cover

