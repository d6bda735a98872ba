"""The console summary (rich): the same verdicts and figures as the HTML report's summary section.

Server and run, one row per query with its failing checks (and its time with the recommended
indexes when the advisor ran), the weighted time before and after, the write cost of the set,
regressions against a baseline, the verdict, and what to do next. It fits an 80-column terminal
and uses the full width of a wider one (logs get 160 columns: see report.logs.output_width).
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from analyzer.report.model import QueryReport, QuerySpeedup, RunReport
from analyzer.report.nextstep import next_step

KEY_SETTINGS = ("shared_buffers", "work_mem", "random_page_cost", "jit")


def print_summary(report: RunReport, console: Console, gate: bool = True) -> None:
    """The summary; `gate=False` (advise) words the last line around the advice instead of the checks."""
    server = report.server
    seeding = report.seeding
    seeded = ""
    if seeding is not None:
        seeded = f", not seeded ({seeding.skipped})" if seeding.skipped else f", scale {seeding.scale:g}, seed {seeding.seed}"
    console.print(
        f"[bold]{report.workload}[/bold] on PostgreSQL {server.version} ({server.target}){seeded}"
        f", {report.duration_s:,.1f} s",
    )
    settings = [f"{k}={server.settings[k]}" for k in KEY_SETTINGS if k in server.settings]
    if settings:
        console.print("[dim]" + "  ".join(settings) + "[/dim]")
    if report.incomplete:
        console.print(f"[bold yellow]incomplete:[/bold yellow] {report.incomplete}")
    console.print(_query_table(report, console.width))
    _print_advice(report, console)
    for r in report.regressions:
        state = " (accepted)" if r.accepted else ""
        console.print(f"[red]regression[/red] {r.query} ({r.kind}){state}: {r.detail}", highlight=False)
    step = next_step(report)
    console.print(f"[bold]next:[/bold] {step.action.replace('`', '')}")
    if step.left:
        console.print(f"[bold]costs most after the advice:[/bold] {step.left.name} ({_ms(step.left.ms)} x weight "
                      f"{step.left.weight:g}, {step.left.share:.0%}): {step.left.why}")
    if not gate:
        a = report.advisor
        chosen = sum(1 for r in report.recommendations if r.chosen)
        advice = f"{chosen} index{'es' if chosen != 1 else ''} recommended"
        if a:
            advice += f": weighted time {a.weighted_ms_before:,.2f} → {a.weighted_ms_after:,.2f} ms"
        console.print(f"[bold]{advice}[/bold] [dim](`run` is the gate: advise exits 0 whatever the checks say)[/dim]")
        return
    if report.passed:
        console.print(f"[bold green]PASS[/bold green] {len(report.queries)} queries, "
                      f"weighted time {report.weighted_ms:,.2f} ms")
    else:
        failed = len(report.failed_queries)
        regressed = sum(1 for r in report.regressions if not r.accepted)
        why = [f"{failed} of {len(report.queries)} queries failed a check"] if failed else []
        why += [f"{regressed} regression{'s' if regressed != 1 else ''}"] if regressed else []
        console.print(f"[bold red]FAIL[/bold red] {', '.join(why)} (details: report.html)")


def _query_table(report: RunReport, width: int) -> Table:
    after = _best_after(report)
    wide = width >= 110
    table = Table(header_style="bold", pad_edge=False, expand=False)
    table.add_column("query", no_wrap=True)
    if wide or not report.advisor:
        table.add_column("weight", justify="right", no_wrap=True)
    table.add_column("median", justify="right", no_wrap=True)
    if wide:
        table.add_column("p95", justify="right", no_wrap=True)
    if report.advisor:
        table.add_column("indexed", justify="right", no_wrap=True)
    if wide:
        table.add_column("buffers", justify="right", no_wrap=True)
    table.add_column("result", justify="center", no_wrap=True)
    table.add_column("failing checks", overflow="fold", min_width=14, ratio=1)
    for q in report.queries:
        row = [q.name] + ([f"{q.weight:g}"] if wide or not report.advisor else []) + [_ms(q.median_ms)]
        if wide:
            row.append(_ms(q.p95_ms))
        if report.advisor:
            s = after.get(q.name)
            row.append(f"[green]{_ms(s.after_ms)}[/green]" if s else "[dim]same[/dim]")
        if wide:
            row.append(f"{q.shared_buffers:,}")
        row += ["[green]pass[/green]" if q.passed else "[red]FAIL[/red]", _failing(q)]
        table.add_row(*row)
    return table


def _failing(q: QueryReport) -> str:
    if q.error:
        return f"[red]{q.error}[/red]"
    errors = [_short(c.name) for c in q.checks if not c.passed and c.severity == "error"]
    warnings = [_short(c.name) for c in q.checks if not c.passed and c.severity == "warning"]
    text = ", ".join(dict.fromkeys(errors))
    warn = [w for w in dict.fromkeys(warnings) if w not in errors]
    if warn:
        text += (", " if text else "") + "[yellow]" + ", ".join(warn) + "[/yellow]"
    return text


def _short(name: str) -> str:
    return name.split(".", 1)[1] if name.startswith(("expect.", "builtin.")) else name


def _best_after(report: RunReport) -> dict[str, QuerySpeedup]:
    out: dict[str, QuerySpeedup] = {}
    for rec in report.recommendations:
        if rec.chosen:
            for s in rec.queries:
                if s.query not in out or s.speedup > out[s.query].speedup:
                    out[s.query] = s
    return out


def _print_advice(report: RunReport, console: Console) -> None:
    chosen = [r for r in report.recommendations if r.chosen]
    if chosen:
        rec = Table(title="recommended indexes", header_style="bold", title_justify="left", pad_edge=False)
        rec.add_column("index", overflow="fold", ratio=1)
        for col in ("gain", "WAL", "size"):
            rec.add_column(col, justify="right", no_wrap=True)
        for r in chosen:
            w = r.write_overhead
            rec.add_row(r.ddl, f"{r.weighted_speedup:,.2f}x" if r.weighted_speedup else "—",
                        f"{w.wal_ratio:+.0%}" if w else "—", _size(r.size_bytes))
        console.print(rec)
    rejected = len(report.recommendations) - len(chosen)
    a = report.advisor
    if a:
        line = (f"weighted time {a.weighted_ms_before:,.2f} ms → [bold green]{a.weighted_ms_after:,.2f} ms[/bold green] "
                f"([bold]{a.weighted_speedup:,.1f}x[/bold]) with {len(chosen)} index{'es' if len(chosen) != 1 else ''}")
        w = a.write_overhead_total
        if w:
            line += f"; write cost {w.wal_ratio:+.0%} WAL, {w.time_ratio:+.0%} time"
            if w.hot_updates_lost:
                line += f", {w.hot_updates_lost:,} HOT updates lost"
        if a.weighted_total_ms_before is not None and a.weighted_total_ms_after is not None:
            line += (f"; reads+writes {a.weighted_total_ms_before:,.2f} → {a.weighted_total_ms_after:,.2f} ms per "
                     "operation")
        if rejected:
            line += f" ({rejected} candidate{'s' if rejected != 1 else ''} rejected)"
        console.print(line, highlight=False)
        if a.weighted_buffers_before is not None and a.weighted_buffers_after is not None:
            total = a.phases_s.get("total")
            extra = (f"; advisor {total:,.0f} s for {a.build_ms_total / 1000:,.1f} s of candidate builds"
                     if total is not None and a.build_ms_total else "")
            console.print(f"chosen on buffers: {a.weighted_buffers_before:,.0f} → {a.weighted_buffers_after:,.0f} "
                          f"weighted shared buffers per query (times: paired warm runs){extra}", highlight=False)


def _ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.1f} ms" if v >= 100 else f"{v:,.2f} ms"


def _size(v: int | None) -> str:
    if v is None:
        return "—"
    return f"{v / 1048576:,.1f} MB" if v >= 1048576 else f"{v / 1024:,.0f} kB"
