"""A compact Markdown summary for pull-request comments and CI job summaries."""

from __future__ import annotations

from analyzer.report.model import RunReport
from analyzer.report.nextstep import next_step


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def render_markdown(report: RunReport) -> str:
    open_regressions = [r for r in report.regressions if not r.accepted]
    verdict = "✅ passed" if report.passed else "❌ failed"
    if open_regressions:
        verdict += f" ({len(open_regressions)} regression{'s' if len(open_regressions) != 1 else ''})"
    step = next_step(report)
    lines = [f"## pg-analyzer: `{report.workload}` {verdict}", ""]
    if step.incomplete:
        lines += [f"> **Incomplete report:** {_cell(step.incomplete)}", ""]
    lines += [f"**Next:** {step.action}."]
    if step.left:
        lines += ["", (f"**Costs most after the advice:** `{step.left.name}`, {step.left.ms:,.2f} ms × weight "
                       f"{step.left.weight:g} ({step.left.share:.0%} of the weighted time): {_cell(step.left.why)}.")]
    lines += [
        "",
        f"PostgreSQL {report.server.version} ({report.server.target}) · weighted time {report.weighted_ms:,.2f} ms"
        + _seeding(report)
        + f" · run {report.duration_s:,.0f} s",
        "",
        "| query | weight | median ms | p95 ms | buffers | status | failed checks |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for q in report.queries:
        failed = [c for c in q.checks if not c.passed and c.severity == "error"]
        names = ", ".join(dict.fromkeys(f"`{c.name}`" for c in failed)) or (_cell(q.error) if q.error else "")
        status = "✅" if q.passed else "❌"
        lines.append(
            f"| `{q.name}` | {q.weight:g} | {_ms(q.median_ms)} | {_ms(q.p95_ms)} | {q.shared_buffers:,} | {status} | {names} |"
        )
    chosen = [r for r in report.recommendations if r.chosen]
    if chosen:
        lines += ["", "### Recommended indexes", "", "| index | queries | speedup | WAL overhead | size |",
                  "|---|---|---:|---:|---:|"]
        for r in chosen:
            wal = f"{r.write_overhead.wal_ratio:+.0%}" if r.write_overhead else "—"
            speed = f"{r.weighted_speedup:,.1f}x" if r.weighted_speedup else "—"
            size = f"{(r.size_bytes or 0) / 1048576:,.1f} MiB"
            lines.append(f"| `{r.ddl}` | {', '.join(q.query for q in r.queries)} | {speed} | {wal} | {size} |")
    if report.advisor:
        a = report.advisor
        lines += ["", (f"Weighted workload time {a.weighted_ms_before:,.2f} ms → {a.weighted_ms_after:,.2f} ms "
                      f"(**{a.weighted_speedup:,.1f}x**) with the recommended set.")]
    failures = [(q.name, c) for q in report.queries for c in q.checks if not c.passed and c.severity == "error"]
    if failures:
        lines += ["", "### Failed checks", ""]
        for name, c in failures:
            node = f" (plan node `{c.node_path}`)" if c.node_path else ""
            lines.append(f"- `{name}` `{c.name}`: {_cell(c.detail)}{node}")
    if report.regressions:
        open_ = sum(1 for reg in report.regressions if not reg.accepted)
        lines += ["", (f"### Regressions against the baseline ({open_} failing, "
                      f"{len(report.regressions) - open_} accepted)"), "",
                  "| query | kind | status | detail |", "|---|---|---|---|"]
        for reg in report.regressions:
            mark = "accepted" if reg.accepted else "❌ regression"
            lines.append(f"| `{reg.query}` | {reg.kind} | {mark} | {_cell(reg.detail)} |")
    return "\n".join(lines) + "\n"


def _seeding(report: RunReport) -> str:
    s = report.seeding
    if s is None:
        return ""
    return f" · not seeded ({s.skipped})" if s.skipped else f" · scale {s.scale:g}, seed {s.seed}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell or list item: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")
