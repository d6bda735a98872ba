"""The console summary (rich): the same verdicts as the HTML report's summary section."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from analyzer.report.model import RunReport


def print_summary(report: RunReport, console: Console) -> None:
    server = report.server
    console.print(
        f"[bold]{report.workload}[/bold] on PostgreSQL {server.version} ({server.target})"
        + (f", scale {report.seeding.scale:g}, seed {report.seeding.seed}" if report.seeding else "")
        + f", {report.duration_s:,.1f} s"
    )
    table = Table(show_lines=False, header_style="bold")
    table.add_column("query", no_wrap=True)
    for col in ("weight", "median ms", "p95 ms", "buffers"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("result", justify="center", no_wrap=True)
    table.add_column("failed checks", overflow="fold")
    for q in report.queries:
        failed = [c.name.replace("expect.", "").replace("builtin.", "") for c in q.checks
                  if not c.passed and c.severity == "error"]
        table.add_row(
            q.name, f"{q.weight:g}", "—" if q.median_ms is None else f"{q.median_ms:,.2f}",
            "—" if q.p95_ms is None else f"{q.p95_ms:,.2f}", f"{q.shared_buffers:,}",
            "[green]pass[/green]" if q.passed else "[red]FAIL[/red]", q.error or ", ".join(dict.fromkeys(failed)),
        )
    console.print(table)
    chosen = [r for r in report.recommendations if r.chosen]
    if chosen:
        rec = Table(title="recommended indexes", header_style="bold")
        for col in ("index", "speedup", "WAL +", "size"):
            rec.add_column(col)
        for r in chosen:
            rec.add_row(r.ddl, f"{r.weighted_speedup or 0:,.1f}x",
                        f"{r.write_overhead.wal_ratio:+.0%}" if r.write_overhead else "—",
                        f"{(r.size_bytes or 0) / 1048576:,.1f} MiB")
        console.print(rec)
    if report.advisor:
        a = report.advisor
        console.print(f"weighted time {a.weighted_ms_before:,.2f} ms → {a.weighted_ms_after:,.2f} ms "
                      f"([bold]{a.weighted_speedup:,.1f}x[/bold]) with the recommended indexes")
    for r in report.regressions:
        console.print(f"[red]regression[/red] {r.query} ({r.kind}): {r.detail}" + (" (accepted)" if r.accepted else ""))
    failed = report.failed_queries
    if report.passed:
        console.print(f"[bold green]PASS[/bold green] {len(report.queries)} queries, weighted time {report.weighted_ms:,.2f} ms")
    else:
        regressed = sum(1 for r in report.regressions if not r.accepted)
        console.print(f"[bold red]FAIL[/bold red] {len(failed)} of {len(report.queries)} queries failed a check"
                      + (f", {regressed} regression{'s' if regressed != 1 else ''} against the baseline" if regressed else "")
                      + " (details: report.html)")
