"""The `pg-analyzer` command line: parse arguments, call the library, render, choose the exit code.

Exit codes: 0 every expectation holds, 1 an expectation or check failed (or a regression;
for `check`, a problem in the file), 2 bad input or a target error (one line on stderr;
the traceback only with --verbose), 3 an internal error (a bug: one line, the traceback with
--verbose), 130 interrupted (after cleaning up). A crash never exits 1, so CI can tell it from a finding.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from analyzer import __version__
from analyzer.errors import AnalyzerError
from analyzer.progress import Reporter
from analyzer.report.logs import LineReporter, output_width

if TYPE_CHECKING:
    from analyzer.overhead_cmd import OverheadResult
    from analyzer.report.model import RunReport
    from analyzer.runner import RunOptions

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """exit codes:
  0    every check passed (advise, seed, overhead, cleanup: the command did its job)
  1    run: a query failed a check or regressed against the baseline; check: the file has problems
  2    bad input or a target problem (one line on stderr; the traceback with --verbose)
  3    an internal error: a bug in pg-analyzer (the traceback with --verbose)
  130  interrupted (Ctrl-C or SIGTERM) after cleaning up

docs: docs/workload-format.md (the workload file), docs/report-format.md (the reports),
      docs/advisor.md (how indexes are proven), docs/ci.md (CI and GitHub Actions)"""


class RichReporter:
    """Progress bars and one-line messages on stderr, so stdout stays clean for summaries."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def message(self, text: str) -> None:
        if self.enabled:
            self.console.print(f"[dim]· {text}[/dim]", soft_wrap=True)

    def detail(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text[:40])
        elif self.enabled:
            self.console.print(f"[dim]  {text}[/dim]", soft_wrap=True)

    def close(self) -> None:
        self.finish()

    def start(self, label: str, total: float) -> None:
        if not self.enabled:
            return
        self.finish()
        self._progress = Progress(
            TextColumn("{task.description:<40}"), BarColumn(bar_width=30),
            TextColumn("{task.completed:>12,.0f}/{task.total:,.0f}"), TextColumn("{task.fields[rate]:>14}"),
            TimeElapsedColumn(), console=self.console, transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(label, total=total, rate="")

    def advance(self, amount: float = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)
            task = self._progress.tasks[0]
            if task.elapsed and task.total and task.total > 100:
                self._progress.update(self._task, rate=f"{task.completed / task.elapsed:,.0f} rows/s")

    def finish(self) -> None:
        if self._progress is not None:
            task = self._progress.tasks[0]
            if task.total and task.total - task.completed < 0.01:  # fractional advances that summed to 13.999 of 14
                self._progress.update(task.id, completed=task.total)
            self._progress.stop()
            self._progress = None
            self._task = None


class _Parser(argparse.ArgumentParser):
    """Bad arguments are bad input like any other: one line on stderr and exit 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (--help lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pg-analyzer",
        description="Seed PostgreSQL with representative data, replay a workload under EXPLAIN, check plans.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pg-analyzer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def target_options(p: argparse.ArgumentParser, replays: bool = True) -> None:
        p.add_argument("workload", type=Path, help="workload file (YAML)")
        p.add_argument("--dsn", help="existing server (default: DATABASE_URL, PG* variables, else an embedded server)")
        p.add_argument("--scale", type=_scale, help="multiply every table's rows (default: the workload's scale)")
        p.add_argument("--seed", type=_seed, help="random seed, 0 or more (default: the workload's seed)")
        if replays:  # writes are never replayed by `seed`
            p.add_argument("--scratch", action="store_true",
                           help="work in a scratch database on the --dsn server, dropped at the end")
        else:  # seeding a scratch database that is dropped at the end is only useful to --explain
            p.add_argument("--scratch", action="store_true",
                           help="with --explain: infer the rules in a scratch database (dropped at the end)")
        p.add_argument("--allow-ddl", action="store_true", help="allow creating the schema in the --dsn database")
        if replays:
            p.add_argument("--allow-writes", action="store_true",
                           help="run declared queries that modify data against --dsn (always rolled back)")
        p.add_argument("--target", metavar="docker[:IMAGE]",
                       help="a throwaway PostgreSQL container (testcontainers) instead of the embedded server")
        mode = p.add_mutually_exclusive_group()
        mode.add_argument("--append", action="store_true", help="seed into tables that already hold rows")
        mode.add_argument("--replace", action="store_true", help="truncate the workload's tables and re-seed them")
        p.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
        p.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    run = sub.add_parser("run", help="seed, replay and check a workload; write reports")
    target_options(run)
    run.add_argument("--out", type=Path, help="output folder (default: reports/<workload>-<timestamp>/)")
    run.add_argument("--baseline", type=Path, help="compare with a baseline file or an earlier report.json")
    run.add_argument("--accept", action="append", default=[], metavar="QUERY:KIND",
                     help="a baseline regression that does not fail the run (KIND: plan, buffers, time, missing, *)")
    run.add_argument("--no-advise", action="store_true", help="skip the index advisor (replay and checks only)")
    run.add_argument("--print-sql", action="store_true", help="print indexes.sql's statements after the summary")

    check = sub.add_parser("check", help="find every mistake of a workload file at once, without a server (exit 1 if any)")
    check.add_argument("workload", type=Path, help="workload file (YAML)")
    check.add_argument("--dsn", help="resolve names against this database's catalog instead of the workload's DDL")
    check.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    check.add_argument("--quiet", "-q", action="store_true", help="print the problems only")

    advise = sub.add_parser(
        "advise", help="seed, replay and prove index candidates; write indexes.sql",
        description="Seed, replay and prove index candidates; write indexes.sql and the reports. Exit 0 when the "
                    "advice was produced, whatever the checks say (`run` is the gate), 2 on bad input or a target error.",
    )
    target_options(advise)
    advise.add_argument("--out", type=Path, help="output folder (default: reports/<workload>-<timestamp>/)")
    advise.add_argument("--print-sql", action="store_true", help="print indexes.sql's statements after the summary")

    seed = sub.add_parser("seed", help="create the schema where absent and seed it, without replaying")
    target_options(seed, replays=False)
    seed.add_argument("--explain", action="store_true", help="print the rules seeding would use (YAML to paste), seed nothing")

    overhead = sub.add_parser(
        "overhead", help="measure what proposed indexes cost the workload's writes",
        description="Measure what proposed indexes cost the workload's writes. The table prints to stdout; "
                    "--out DIR also writes overhead.json and overhead.txt there.",
    )
    target_options(overhead)
    overhead.add_argument("--out", type=Path, help="also write overhead.json and overhead.txt to this folder")
    overhead.add_argument("--index", action="append", required=True, metavar="SQL", help="a CREATE INDEX statement (repeatable)")
    overhead.add_argument("--repetitions", type=_positive, default=3, help="interleaved runs with and without (default 3)")

    clean = sub.add_parser("cleanup", help="list and remove what killed runs left behind (tagged indexes, scratch databases)")
    clean.add_argument("--dsn", help="server and database to clean (default: DATABASE_URL or PG* variables)")
    clean.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    clean.add_argument("--embedded", action="store_true",
                       help="remove embedded servers (processes and data directories) left by killed runs")
    clean.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    clean.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    plan = sub.add_parser("plan", help="findings on saved EXPLAIN (FORMAT JSON) output, no server (exit 1 on an error)")
    plan.add_argument("files", type=Path, nargs="+", metavar="FILE", help="EXPLAIN JSON, as psql or any tool saved it")
    plan.add_argument("--json", action="store_true", help="print the nodes and findings as JSON (docs/report-format.md)")
    plan.add_argument("--html", type=Path, metavar="OUT", help="also write the plan trees as one HTML file")
    plan.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    plan.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    capture = sub.add_parser("capture", help="a workload and its schema from a live database (read-only)")
    capture.add_argument("--dsn", required=True, help="the (staging) database to read; nothing is written to it")
    capture.add_argument("-o", "--output", type=Path, required=True, help="workload file to write (schema next to it)")
    capture.add_argument("--top", type=_positive, default=100, help="the N statements with the most total time (default 100)")
    capture.add_argument("--min-calls", type=_positive, default=1, help="only statements run at least K times (default 1)")
    capture.add_argument("--scale", type=_scale, default=1.0, help="the file's default scale (rows stay staging's)")
    capture.add_argument("--keep-values", action="store_true",
                         help="keep real text values of the statistics (a warning goes in the file header)")
    capture.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    capture.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    compare = sub.add_parser("compare-stats", help="staging's column statistics beside a seeded twin's")
    compare.add_argument("workload", type=Path, help="a captured workload file")
    compare.add_argument("--dsn", required=True, help="the staging database the workload was captured from")
    compare.add_argument("--twin-dsn", help="an already seeded twin (default: seed one on an embedded server)")
    compare.add_argument("--scale", type=_scale, help="seed the twin at this scale (default: the workload's)")
    compare.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    compare.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    baseline = sub.add_parser("baseline", help="baselines for `run --baseline`")
    baseline_sub = baseline.add_subparsers(dest="baseline_command", required=True)
    save = baseline_sub.add_parser("save", help="write a baseline (meant to be committed) from a report.json")
    save.add_argument("report", type=Path, help="report.json of a run")
    save.add_argument("-o", "--output", type=Path, help="baseline file (default: <workload>.baseline.json)")
    save.add_argument("--buffers-factor", type=float, help="buffers may grow this much (default 2; kept from -o)")
    save.add_argument("--time-factor", type=float, help="the median may grow this much (default 3; kept from -o)")
    save.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    save.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    return parser


def _scale(text: str) -> float:
    """--scale: a finite number above 0 (argparse turns the ValueError into one line and exit 2)."""
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: the scale is a number above 0")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: a whole number from 1")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(f"{text}: the seed is a whole number from 0 to 2**63-1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, bad arguments: main() returns its code, callable from tests
        return e.code if isinstance(e.code, int) else EXIT_ERROR
    err = Console(stderr=True, highlight=False, width=output_width(sys.stderr.isatty()))
    out = Console(highlight=False, width=output_width(sys.stdout.isatty()))
    reporter: RichReporter | LineReporter
    if args.quiet:
        reporter = RichReporter(err, enabled=False)
    elif err.is_terminal:
        reporter = RichReporter(err)
    else:  # a log file or CI: complete lines and a heartbeat, never a redrawn bar
        reporter = LineReporter(sys.stderr)
    _fix_mmap_threshold()
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "run":
            return _cmd_run(args, out, reporter)
        if args.command == "check":
            return _cmd_check(args, out)
        if args.command == "seed":
            return _cmd_seed(args, out, reporter)
        if args.command == "advise":
            return _cmd_advise(args, out, reporter)
        if args.command == "overhead":
            return _cmd_overhead(args, out, reporter)
        if args.command == "baseline":
            return _cmd_baseline_save(args, out)
        if args.command == "cleanup":
            return _cmd_cleanup(args, out)
        if args.command == "plan":
            return _cmd_plan(args, out)
        if args.command == "capture":
            return _cmd_capture(args, out, reporter)
        if args.command == "compare-stats":
            return _cmd_compare_stats(args, out, reporter)
        parser.error(f"unknown command {args.command}")
    except AnalyzerError as e:
        reporter.finish()
        if args.verbose:
            traceback.print_exc()
        err.print(f"[bold red]error:[/bold red] {e}", soft_wrap=True)
        return EXIT_ERROR
    except KeyboardInterrupt as e:
        reporter.finish()
        partial = getattr(e, "report", None)
        if partial is not None:
            from analyzer.outputs import default_out_dir, write_outputs

            written = write_outputs(partial, getattr(args, "out", None) or default_out_dir(partial.workload))
            err.print(f"[yellow]interrupted: the partial report (replay results, marked incomplete) is in "
                      f"{written[0].parent}[/yellow]", soft_wrap=True)
        err.print("[yellow]interrupted: everything the run created was removed[/yellow]")
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the last resort: a bug is exit 3, never a traceback or exit 1
        reporter.finish()
        if args.verbose:
            traceback.print_exc()
        err.print(f"[bold red]internal error:[/bold red] {type(e).__name__}: {_masked(str(e))} "
                  "(a bug in pg-analyzer: --verbose shows the traceback)", soft_wrap=True, markup=True)
        return EXIT_INTERNAL
    finally:
        reporter.close()
        signal.signal(signal.SIGTERM, previous)
    return EXIT_ERROR


def _masked(text: str) -> str:
    """An exception's text with anything that may be a password masked (it can quote a DSN)."""
    from analyzer.targets import mask_secrets

    first = text.splitlines()[0] if text else ""
    return mask_secrets(first)


def _fix_mmap_threshold() -> None:
    """Seeding allocates and frees chunk-sized numpy buffers; glibc's sliding mmap threshold
    would keep them in the heap once freed, so peak memory grew with the number of chunks.
    A fixed 1 MiB threshold hands them back. A no-op where there is no glibc."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so every cleanup in `finally` blocks runs."""
    raise KeyboardInterrupt


def _options(args: argparse.Namespace, replay: bool, advise: bool = False) -> RunOptions:
    from analyzer.runner import RunOptions

    mode = "append" if args.append else "replace" if args.replace else "empty"
    return RunOptions(
        workload_path=args.workload, dsn=args.dsn, scale=args.scale, seed=args.seed,
        allow_ddl=args.allow_ddl, scratch=getattr(args, "scratch", False), seed_mode=mode, replay=replay,
        advise=advise, allow_writes=getattr(args, "allow_writes", False), docker_image=_docker_image(args.target),
    )


def _docker_image(target: str | None) -> str | None:
    """--target docker[:IMAGE] -> the image; None without --target; anything else is bad input."""
    from analyzer.containers import DEFAULT_IMAGE

    if target is None:
        return None
    kind, _, image = target.partition(":")
    if kind != "docker":
        raise AnalyzerError(f"--target {target}: the only target kind is docker[:IMAGE] (default {DEFAULT_IMAGE})")
    return image or DEFAULT_IMAGE


def _cmd_run(args: argparse.Namespace, out: Console, reporter: Reporter) -> int:
    from analyzer.baseline import apply_baseline, load_baseline, parse_acceptance
    from analyzer.outputs import default_out_dir, write_outputs
    from analyzer.report.console import print_summary
    from analyzer.runner import run_workload

    if args.accept and args.baseline is None:
        raise AnalyzerError("--accept needs --baseline")
    accepted = [parse_acceptance(a) for a in args.accept]
    _check_out_dir(args.out)
    baseline = load_baseline(args.baseline) if args.baseline is not None else None  # a bad file fails before the run
    report = run_workload(_options(args, replay=True, advise=not args.no_advise), reporter)
    if baseline is not None:
        report = apply_baseline(report, baseline, accepted)
    out_dir = args.out or default_out_dir(report.workload)
    written = write_outputs(report, out_dir)
    print_summary(report, out)
    _print_outputs(report, written, out, args.print_sql)
    _github_actions(report, args.workload, out)
    return EXIT_OK if report.passed else EXIT_FAILED


def _print_outputs(report: RunReport, written: list[Path], out: Console, print_sql: bool) -> None:
    """Where the files are; indexes.sql's path on its own line, its statements unwrapped with --print-sql."""
    out.print(f"reports: {', '.join(str(p) for p in written if p.name not in ('indexes.sql', 'indexes.down.sql'))}",
              soft_wrap=True)
    sql_file = next((p for p in written if p.name == "indexes.sql"), None)
    if sql_file is None:
        return
    chosen = sum(1 for r in report.recommendations if r.chosen)
    out.print(f"indexes.sql: {sql_file} ({chosen} statement{'s' if chosen != 1 else ''}; "
              f"undo: {sql_file.with_name('indexes.down.sql')})", soft_wrap=True)
    if print_sql:
        # printed raw, one statement per line, so it copies straight into psql
        print(sql_file.read_text(encoding="utf-8").rstrip("\n"), file=out.file)


def _github_actions(report: RunReport, workload_path: Path, out: Console) -> None:
    """On GitHub Actions: the Markdown summary on the job page, failing queries as annotations."""
    from analyzer.report.logs import error_annotations, on_github_actions, write_step_summary
    from analyzer.report.markdown import render_markdown

    if not on_github_actions():
        return
    write_step_summary(render_markdown(report))
    lines = _query_lines(workload_path)
    for annotation in error_annotations(report, lines):
        print(annotation, file=out.file)


def _query_lines(workload_path: Path) -> dict[str, int]:
    from analyzer.workload import load_workload

    try:
        workload = load_workload(workload_path)
    except AnalyzerError:
        return {}
    return {s.name: s.line for s in workload.queries + workload.writes}


def _cmd_advise(args: argparse.Namespace, out: Console, reporter: Reporter) -> int:
    """The advisor alone: its figures and indexes.sql, whatever the checks say (run is the gate)."""
    from analyzer.outputs import default_out_dir, write_outputs
    from analyzer.report.console import print_summary
    from analyzer.runner import run_workload

    _check_out_dir(args.out)
    report = run_workload(_options(args, replay=True, advise=True), reporter)
    written = write_outputs(report, args.out or default_out_dir(report.workload))
    print_summary(report, out, gate=False)
    _print_outputs(report, written, out, args.print_sql)
    _github_actions(report, args.workload, out)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, out: Console) -> int:
    """Every problem of the file, one `file:line: message` per line; exit 1 if there is any."""
    from analyzer.validate.check import check_workload

    catalog = None
    if args.dsn is not None:
        from analyzer.catalog import read_catalog
        from analyzer.targets import connect, mask_dsn

        conn = connect(args.dsn, dsn_masked=mask_dsn(args.dsn))
        try:
            catalog = read_catalog(conn)
        finally:
            conn.close()
    result = check_workload(args.workload, catalog)
    for problem in result.problems:
        print(problem, file=out.file)
    if not args.quiet:
        against = {"ddl": "the schema's DDL", "server": "the --dsn catalog"}.get(result.catalog_source, "no schema")
        verdict = (f"{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}" if result.problems
                   else "ok")
        out.print(f"{result.path}: {verdict}: {result.statements} statements and {result.tables} seeding rules "
                  f"checked against {against} in {result.seconds:.2f} s", soft_wrap=True)
    return EXIT_FAILED if result.problems else EXIT_OK


def _check_out_dir(out: Path | None) -> None:
    """--out must be a folder that can be written, found out before a run of minutes, not after."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise AnalyzerError(f"--out {out}: is a file; give a folder (it is created if absent)")
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise AnalyzerError(f"--out {out}: {probe} is not writable")
    if any(len(part.encode()) > 255 for part in out.parts):
        raise AnalyzerError(f"--out {out}: a folder name is longer than 255 bytes")


def _cmd_baseline_save(args: argparse.Namespace, out: Console) -> int:
    import dataclasses

    from analyzer.baseline import BaselineLimits, load_baseline, save_baseline

    baseline = load_baseline(args.report)
    target = args.output or Path(f"{baseline.workload or 'workload'}.baseline.json")
    limits = load_baseline(target).limits if target.exists() else BaselineLimits()
    if args.buffers_factor is not None:
        limits = dataclasses.replace(limits, buffers_factor=args.buffers_factor)
    if args.time_factor is not None:
        limits = dataclasses.replace(limits, time_factor=args.time_factor)
    save_baseline(dataclasses.replace(baseline, limits=limits), target)
    out.print(f"baseline of {len(baseline.queries)} queries written to {target}")
    return EXIT_OK


def _cmd_plan(args: argparse.Namespace, out: Console) -> int:
    import json

    from analyzer.planfile import analyze_plan_files, findings_text, plans_to_json, write_plan_html

    analyses = analyze_plan_files(args.files)
    if args.html:
        write_plan_html(analyses, args.html)
    if args.json:
        sys.stdout.write(json.dumps(plans_to_json(analyses), indent=2) + "\n")
    else:
        out.print(findings_text(analyses), markup=False, soft_wrap=True)
    return EXIT_FAILED if any(a.has_error for a in analyses) else EXIT_OK


def _cmd_seed(args: argparse.Namespace, out: Console, reporter: Reporter) -> int:
    from analyzer.runner import run_workload

    if args.scratch and not args.explain:
        raise AnalyzerError("seed --scratch would seed a database that is dropped at the end: use it with --explain, "
                            "or seed --dsn ... --allow-ddl to keep the data")
    if args.explain:
        from analyzer.runner import explain_seeding

        print(explain_seeding(_options(args, replay=False), reporter), end="")
        return EXIT_OK
    report = run_workload(_options(args, replay=False), reporter)
    seeding = report.seeding
    if seeding is not None and seeding.skipped == "tables already hold rows":
        from analyzer.errors import SeedError

        # `run` analyzes such data as it is; `seed` was asked to write, so it refuses out loud.
        held = next((n for n in report.notes if n.startswith("tables already hold rows")), seeding.skipped)
        raise SeedError(f"{held.split(':', 1)[0]}: pass --append to add to them or --replace to empty and re-seed them")
    if seeding is None or seeding.skipped:
        out.print(f"nothing seeded: {seeding.skipped if seeding else 'no seeding rules'}")
        return EXIT_OK
    for t in seeding.tables:
        rate = t.rows / t.seconds if t.seconds else 0
        out.print(f"{t.table:<20} {t.rows:>12,} rows  {t.seconds:7.2f} s  {rate:>12,.0f} rows/s")
    for note in seeding.notes:
        out.print(f"note: {note}")
    out.print(f"seeded in {seeding.seconds:.1f} s (scale {seeding.scale:g}, seed {seeding.seed})")
    if report.server.target == "embedded":
        out.print("[dim]the embedded server is removed at exit: use --dsn to keep the data[/dim]")
    return EXIT_OK


def _cmd_cleanup(args: argparse.Namespace, out: Console) -> int:
    from analyzer.cleanup import cleanup
    from analyzer.targets import dsn_from_environment

    if args.embedded:
        from analyzer.embedded_janitor import remove_stale_servers

        removed = remove_stale_servers()
        out.print(f"removed {len(removed)} embedded server(s) left by killed runs"
                  + (f": {', '.join(map(str, removed))}" if removed else ""), soft_wrap=True)
        if args.dsn is None:
            return EXIT_OK
    dsn = args.dsn if args.dsn is not None else dsn_from_environment()
    if dsn is None:
        raise AnalyzerError("cleanup needs a server: pass --dsn (or set DATABASE_URL or PG* variables)")
    result = cleanup(dsn, dry_run=args.dry_run)
    if not result.found:
        out.print("nothing to clean up: no object tagged by pg-analyzer")
    for item in result.found:
        done = "would remove" if args.dry_run else "removed" if item in result.removed else "kept"
        out.print(f"{done}: {item.describe()}", soft_wrap=True)
    for note in result.notes:
        out.print(f"[dim]note: {note}[/dim]", soft_wrap=True)
    return EXIT_OK


def _cmd_capture(args: argparse.Namespace, out: Console, reporter: Reporter) -> int:
    from analyzer.capture.capture import CaptureOptions, capture_workload

    result = capture_workload(CaptureOptions(
        dsn=args.dsn, output=args.output, top=args.top, min_calls=args.min_calls, scale=args.scale,
        keep_values=args.keep_values,
    ), reporter)
    out.print(f"{result.workload_path}: {result.queries} queries, {result.writes} writes, {result.tables} tables", soft_wrap=True)
    out.print(f"{result.schema_path}: schema from {result.schema_method}", soft_wrap=True)
    for reason, count in sorted(result.left_out.items(), key=lambda kv: -kv[1]):
        out.print(f"[dim]left out: {count} {reason}[/dim]", soft_wrap=True)
    if args.keep_values:
        out.print("[yellow]--keep-values: the file holds real values from the statistics; review it before sharing[/yellow]")
    return EXIT_OK


def _cmd_compare_stats(args: argparse.Namespace, out: Console, reporter: Reporter) -> int:
    from analyzer.capture.compare import compare_with_twin, comparison_table

    comparisons = compare_with_twin(args.workload, args.dsn, twin_dsn=args.twin_dsn, scale=args.scale, reporter=reporter)
    out.print(comparison_table(comparisons))
    return EXIT_OK


def _cmd_overhead(args: argparse.Namespace, out: Console, reporter: Reporter) -> int:
    from analyzer.overhead_cmd import OverheadOptions, measure_proposed_indexes, overhead_table

    result = measure_proposed_indexes(OverheadOptions(
        workload_path=args.workload, indexes=tuple(args.index), dsn=args.dsn, scale=args.scale, seed=args.seed,
        allow_ddl=args.allow_ddl, allow_writes=args.allow_writes, scratch=args.scratch, repetitions=args.repetitions,
        docker_image=_docker_image(args.target),
        seed_mode="append" if args.append else "replace" if args.replace else "empty",
    ), reporter)
    out.print(overhead_table(result))
    for note in result.notes:
        out.print(f"[dim]note: {note}[/dim]")
    if args.out is not None:
        written = _write_overhead(result, args.out)
        out.print(f"results: {', '.join(str(p) for p in written)}", soft_wrap=True)
    return EXIT_OK


def _write_overhead(result: OverheadResult, out_dir: Path) -> list[Path]:
    import dataclasses
    import json

    from analyzer.overhead_cmd import overhead_table

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, text_path = out_dir / "overhead.json", out_dir / "overhead.txt"
    json_path.write_text(json.dumps(dataclasses.asdict(result), indent=1, default=str) + "\n", encoding="utf-8")
    with text_path.open("w", encoding="utf-8") as f:
        Console(file=f, width=160, color_system=None).print(overhead_table(result))
    return [json_path, text_path]


if __name__ == "__main__":
    sys.exit(main())
