"""`pg-analyzer overhead`: what proposed indexes would cost a workload's writes, measured.

The library side of the command: get a seeded database the way `run` does, build the write
mix for the indexes' tables, measure each index and (for several) the set, and return the
figures. `overhead_table` renders them for the console. Nothing here prints.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
from pglast import ast
from pglast.stream import RawStream
from rich.table import Table as RichTable

from analyzer.catalog import server_info
from analyzer.errors import AnalyzerError, TargetError
from analyzer.overhead import build_write_mix, measure_index_overhead, measure_set_overhead
from analyzer.progress import Reporter, SilentReporter
from analyzer.report.model import WriteOverhead
from analyzer.runner import RunOptions, open_session, prepare_data
from analyzer.workload import load_workload


@dataclass(frozen=True)
class ProposedIndex:
    """A CREATE INDEX statement a user proposes, named (a name is made up when it has none)."""

    create_sql: str
    name: str
    table: str
    columns: tuple[str, ...]  # plain columns and the columns expressions and the WHERE read


@dataclass(frozen=True)
class OverheadOptions:
    """What `pg-analyzer overhead` was asked for."""

    workload_path: Path
    indexes: tuple[str, ...]
    dsn: str | None = None
    scale: float | None = None
    seed: int | None = None
    allow_ddl: bool = False
    allow_writes: bool = False  # the write mix runs (rolled back) with VACUUM and CHECKPOINT: asked for on --dsn
    scratch: bool = False
    seed_mode: str = "empty"  # empty, append, replace (as for `run`)
    repetitions: int = 3
    docker_image: str | None = None  # --target docker[:IMAGE]


@dataclass(frozen=True)
class OverheadResult:
    """The figures of every proposed index, and of the set when there are several."""

    workload: str
    server_version: str
    mix: str
    indexes: tuple[tuple[ProposedIndex, WriteOverhead], ...]
    total: WriteOverhead | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def parse_proposed_index(text: str, position: int = 1) -> ProposedIndex:
    """Read one CREATE INDEX statement; CONCURRENTLY is dropped (the build is timed and then undone)."""
    try:
        statements = pglast.parse_sql(text)
    except pglast.parser.ParseError as e:
        raise AnalyzerError(f"--index {text!r}: SQL syntax error: {e.args[0]}") from None
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.IndexStmt):
        raise AnalyzerError(f"--index {text!r}: expected one CREATE INDEX statement")
    stmt = statements[0].stmt
    relation = stmt.relation
    if relation is None or not relation.relname:
        raise AnalyzerError(f"--index {text!r}: no table")
    if not stmt.idxname:
        stmt.idxname = f"pga_proposed_{position}_{uuid.uuid4().hex[:6]}"
    stmt.concurrent = False
    columns: list[str] = []
    for param in stmt.indexParams or ():
        if param.name:
            columns.append(param.name)
        else:
            columns += _column_refs(param.expr)
    columns += _column_refs(stmt.whereClause)
    name = stmt.idxname if not relation.schemaname else f"{relation.schemaname}.{stmt.idxname}"
    return ProposedIndex(
        create_sql=RawStream()(stmt), name=name, table=relation.relname, columns=tuple(dict.fromkeys(columns))
    )


def _column_refs(node: Any) -> list[str]:
    found: list[str] = []

    def visit(n: Any) -> None:
        if isinstance(n, ast.ColumnRef):
            last = n.fields[-1] if n.fields else None
            if isinstance(last, ast.String) and last.sval:
                found.append(last.sval)
        elif isinstance(n, ast.Node):
            for attr in n:
                visit(getattr(n, attr))
        elif isinstance(n, (tuple, list)):
            for item in n:
                visit(item)

    visit(node)
    return found


def measure_proposed_indexes(options: OverheadOptions, reporter: Reporter | None = None) -> OverheadResult:
    """Seed (as `run` does), then measure the write overhead of each proposed index and of the set."""
    reporter = reporter or SilentReporter()
    if not options.indexes:
        raise AnalyzerError("overhead: give at least one --index \"CREATE INDEX ...\"")
    proposed = [parse_proposed_index(text, i + 1) for i, text in enumerate(options.indexes)]
    if options.dsn is not None and not options.scratch and not (options.allow_ddl and options.allow_writes):
        raise TargetError(_REFUSAL)
    workload = load_workload(options.workload_path)
    scale = options.scale if options.scale is not None else workload.scale
    seed = options.seed if options.seed is not None else workload.default_seed
    run_options = RunOptions(
        workload_path=options.workload_path, dsn=options.dsn, scale=scale, seed=seed,
        allow_ddl=options.allow_ddl, scratch=options.scratch, seed_mode=options.seed_mode, replay=False,
        docker_image=options.docker_image,
    )
    notes: list[str] = []
    with open_session(run_options, uuid.uuid4().hex[:12], reporter) as session:
        if not session.may_ddl:
            raise TargetError(_REFUSAL)
        version, _, _ = server_info(session.conn)
        prepare_data(session, workload, run_options, scale, seed, reporter, notes)
        conn = session.conn
        update_columns: dict[str, list[str]] = {}
        for p in proposed:
            update_columns.setdefault(p.table, [])
            update_columns[p.table] += [c for c in p.columns if c not in update_columns[p.table]]
        reporter.message("building the write mix")
        mix = build_write_mix(conn, workload, set(update_columns), seed, update_columns=update_columns)
        notes += list(mix.notes)
        results: list[tuple[ProposedIndex, WriteOverhead]] = []
        reporter.start("measuring write overhead", len(proposed) + (1 if len(proposed) > 1 else 0))
        try:
            for p in proposed:
                results.append((p, measure_index_overhead(conn, mix, p.create_sql, p.name, options.repetitions)))
                reporter.advance()
            total = None
            if len(proposed) > 1:
                total = measure_set_overhead(conn, mix, [(p.create_sql, p.name) for p in proposed], options.repetitions)
                reporter.advance()
        finally:
            reporter.finish()
    for _, o in results + ([(None, total)] if total is not None else []):
        notes += [n for n in o.note.split("; ") if n]
    return OverheadResult(
        workload=workload.name, server_version=version, mix=mix.describe(), indexes=tuple(results), total=total,
        notes=tuple(dict.fromkeys(notes)),
    )


_REFUSAL = (
    "overhead builds and drops each proposed index in the --dsn database and runs the write mix there "
    "(rolled back, with VACUUM and CHECKPOINT): pass --allow-ddl --allow-writes to allow it "
    "(or --scratch to work in a scratch database)"
)


def overhead_table(result: OverheadResult) -> RichTable:
    """The figures as a rich table: one row per index, and the set."""
    table = RichTable(title=f"Write overhead on {result.workload} ({result.mix}; PostgreSQL {result.server_version})")
    for header in ("index", "size", "build", "WAL", "dirtied", "time", "HOT lost"):
        if header == "index":
            table.add_column(header, overflow="fold", min_width=14)
        else:
            table.add_column(header, justify="right", no_wrap=header != "time")
    rows = [(p.name, o) for p, o in result.indexes]
    if result.total is not None:
        rows.append(("all together", result.total))
    for name, o in rows:
        table.add_row(
            name, _size(o.index_size_bytes), f"{o.build_ms:,.0f} ms",
            f"{o.wal_bytes:+,} B ({100 * o.wal_ratio:+.0f}%)", f"{o.buffers_dirtied:+,}",
            f"{o.time_ms_median:+.1f} ±{o.time_ms_spread:.1f} ms ({100 * o.time_ratio:+.0f}%)",
            f"{o.hot_updates_lost:,}/{o.baseline_hot_updates:,}",
        )
    first = result.indexes[0][1] if result.indexes else None
    if first is not None:
        table.caption = (
            f"against the mix without them: {first.baseline_wal_bytes:,} WAL bytes, "
            f"{first.baseline_time_ms_median:.1f} ms, {first.baseline_updates:,} updates "
            f"({first.baseline_hot_updates:,} HOT); medians of {first.repetitions} interleaved runs each"
        )
    return table


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB"):
        if value < 1024:
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"
