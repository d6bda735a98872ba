"""The `pg-analyzer` command line: parse arguments, call the library, render, choose the exit code.

Exit codes: 0 every expectation holds, 1 an expectation or check failed (or a regression),
2 bad input or a target error (one line on stderr; the traceback only with --verbose),
3 an internal error (a bug: one line, the traceback with --verbose), 130 interrupted (after
cleaning up). A crash never exits 1, so CI can tell it from a finding.
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

if TYPE_CHECKING:
    from analyzer.runner import RunOptions

EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class RichReporter:
    """Progress bars and one-line messages on stderr, so stdout stays clean for summaries."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def message(self, text: str) -> None:
        if self.enabled:
            self.console.print(f"[dim]· {text}[/dim]")

    def start(self, label: str, total: float) -> None:
        if not self.enabled:
            return
        self.finish()
        self._progress = Progress(
            TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.completed:>12,.0f}/{task.total:,.0f}"),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=self.console, transient=False,
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
    )
    parser.add_argument("--version", action="version", version=f"pg-analyzer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def target_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("workload", type=Path, help="workload file (YAML)")
        p.add_argument("--dsn", help="existing server (default: DATABASE_URL, PG* variables, else an embedded server)")
        p.add_argument("--scale", type=_scale, help="multiply every table's rows (default: the workload's scale)")
        p.add_argument("--seed", type=_seed, help="random seed, 0 or more (default: the workload's seed)")
        p.add_argument("--scratch", action="store_true", help="work in a scratch database on the --dsn server, dropped at the end")
        p.add_argument("--allow-ddl", action="store_true", help="allow creating the schema in the --dsn database")
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

    advise = sub.add_parser("advise", help="seed, replay and prove index candidates; write indexes.sql (exit 0)")
    target_options(advise)
    advise.add_argument("--out", type=Path, help="output folder (default: reports/<workload>-<timestamp>/)")

    seed = sub.add_parser("seed", help="create the schema where absent and seed it, without replaying")
    target_options(seed)

    overhead = sub.add_parser("overhead", help="measure what proposed indexes cost the workload's writes")
    target_options(overhead)
    overhead.add_argument("--index", action="append", required=True, metavar="SQL", help="a CREATE INDEX statement (repeatable)")
    overhead.add_argument("--repetitions", type=_positive, default=3, help="interleaved runs with and without (default 3)")

    clean = sub.add_parser("cleanup", help="list and remove what killed runs left behind (tagged indexes, scratch databases)")
    clean.add_argument("--dsn", help="server and database to clean (default: DATABASE_URL or PG* variables)")
    clean.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    clean.add_argument("--embedded", action="store_true",
                       help="remove embedded servers (processes and data directories) left by killed runs")
    clean.add_argument("--verbose", "-v", action="store_true", help="tracebacks on errors")
    clean.add_argument("--quiet", "-q", action="store_true", help="no progress output")

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
    err = Console(stderr=True, highlight=False)
    out = Console(highlight=False)
    reporter = RichReporter(err, enabled=not args.quiet)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "run":
            return _cmd_run(args, out, reporter)
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
        parser.error(f"unknown command {args.command}")
    except AnalyzerError as e:
        reporter.finish()
        if args.verbose:
            traceback.print_exc()
        err.print(f"[bold red]error:[/bold red] {e}", soft_wrap=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        reporter.finish()
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
        signal.signal(signal.SIGTERM, previous)
    return EXIT_ERROR


def _masked(text: str) -> str:
    """An exception's text with anything that may be a password masked (it can quote a DSN)."""
    from analyzer.targets import mask_secrets

    first = text.splitlines()[0] if text else ""
    return mask_secrets(first)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so every cleanup in `finally` blocks runs."""
    raise KeyboardInterrupt


def _options(args: argparse.Namespace, replay: bool, advise: bool = False) -> RunOptions:
    from analyzer.runner import RunOptions

    mode = "append" if args.append else "replace" if args.replace else "empty"
    return RunOptions(
        workload_path=args.workload, dsn=args.dsn, scale=args.scale, seed=args.seed,
        allow_ddl=args.allow_ddl, scratch=args.scratch, seed_mode=mode, replay=replay, advise=advise,
        allow_writes=args.allow_writes, docker_image=_docker_image(args.target),
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


def _cmd_run(args: argparse.Namespace, out: Console, reporter: RichReporter) -> int:
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
    out.print(f"reports: {', '.join(str(p) for p in written)}")
    return EXIT_OK if report.passed else EXIT_FAILED


def _cmd_advise(args: argparse.Namespace, out: Console, reporter: RichReporter) -> int:
    """The advisor alone: its figures and indexes.sql, whatever the checks say (run is the gate)."""
    from analyzer.outputs import default_out_dir, write_outputs
    from analyzer.report.console import print_summary
    from analyzer.runner import run_workload

    _check_out_dir(args.out)
    report = run_workload(_options(args, replay=True, advise=True), reporter)
    written = write_outputs(report, args.out or default_out_dir(report.workload))
    print_summary(report, out)
    out.print(f"reports: {', '.join(str(p) for p in written)}")
    return EXIT_OK


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


def _cmd_seed(args: argparse.Namespace, out: Console, reporter: RichReporter) -> int:
    from analyzer.runner import run_workload

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


def _cmd_overhead(args: argparse.Namespace, out: Console, reporter: RichReporter) -> int:
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
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
