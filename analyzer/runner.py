"""One whole run: target, schema, seed, replay, checks, report model.

This is the library entry point behind `pg-analyzer run` and `pg-analyzer seed`. It never
prints; progress goes to a Reporter. What the run may do to the target is decided here:
an embedded server or a scratch database is the tool's own; an existing database gets no
DDL without --allow-ddl and is seeded only where its tables are empty (or with --replace).
"""

from __future__ import annotations

import math
import shutil
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import pq, sql

from analyzer.advisor.advise import AdvisorResult, advise
from analyzer.advisor.timing import summarize
from analyzer.advisor.writecosts import measured_write_costs
from analyzer.catalog import read_catalog, server_info, table_ident, table_row_estimates
from analyzer.checks import QueryRun, evaluate_expectations, run_builtin_checks
from analyzer.errors import AnalyzerError, SeedError, TargetError
from analyzer.params import sample_labelled_param_sets
from analyzer.privileges import explain_privileges, read_privileges, unreadable_tables
from analyzer.progress import Reporter, SilentReporter
from analyzer.replay import (
    Measurement,
    apply_session_settings,
    check_syntax,
    modifies_data,
    replay_statement,
    validate_statement,
)
from analyzer.report.model import CheckOutcome, QueryReport, RunReport, SeedSummary, ServerInfo
from analyzer.seeding.loader import explain_plan, plan_seeding, seed_workload
from analyzer.sequence_journal import sequences_put_back
from analyzer.sqlguard import referenced_tables
from analyzer.targets import Target, connect, open_target
from analyzer.validate.check import check_workload, raise_for_problems
from analyzer.workload import Statement, Workload, load_workload

SCRATCH_PREFIX = "pg_analyzer_scratch_"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) after the replay: carries the partial report, marked incomplete."""

    def __init__(self, report: RunReport) -> None:
        super().__init__("interrupted")
        self.report = report


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for on the command line."""

    workload_path: Path
    dsn: str | None = None
    scale: float | None = None
    seed: int | None = None
    allow_ddl: bool = False
    scratch: bool = False
    seed_mode: str = "empty"  # empty, append, replace
    replay: bool = True
    advise: bool = True
    allow_writes: bool = False  # run declared queries that modify data against a --dsn target (rolled back)
    docker_image: str | None = None  # --target docker[:IMAGE]


@dataclass
class Session:
    """A connected target with what this run may do to it."""

    target: Target
    conn: psycopg.Connection
    conninfo: str
    may_ddl: bool
    run_id: str
    may_write: bool = True  # statements that modify data may run (always rolled back)
    notes: tuple[str, ...] = ()  # what the role cannot do here, said up front


def run_workload(options: RunOptions, reporter: Reporter | None = None) -> RunReport:
    """Run a workload end to end and return the report model."""
    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    workload = load_workload(options.workload_path)  # hostile or malformed files: refused here, in one line
    raise_for_problems(check_workload(options.workload_path))  # names and rules against the DDL, before any server
    for stmt in workload.queries + workload.writes:
        check_syntax(stmt, _where(workload, stmt))
    scale = options.scale if options.scale is not None else workload.scale
    seed = options.seed if options.seed is not None else workload.default_seed
    run_id = uuid.uuid4().hex[:12]
    with open_session(options, run_id, reporter) as session:
        version, version_num, settings = server_info(session.conn)
        if options.replay:  # the report shows what the queries ran with: replay pins jit, parallel workers ...
            settings = {**settings, **workload.replay.settings}
        server = ServerInfo(
            version=version, version_num=version_num, target=session.target.kind,
            dsn_masked=session.target.dsn_masked, settings=settings,
        )
        notes = ([session.target.note] if session.target.note else []) + list(session.notes)
        seeding = prepare_data(session, workload, options, scale, seed, reporter, notes)
        queries: list[QueryReport] = []
        advice: AdvisorResult | None = None
        if options.replay:
            replayed = replay_workload(session.conn, workload, seed, reporter, may_write=session.may_write)
            queries = [report for _, report in replayed]
            if options.advise:
                try:
                    advice = advise_indexes(session, workload, [m for m, _ in replayed], seed, reporter)
                except KeyboardInterrupt:
                    # the replay is finished and worth keeping: the CLI writes it (after the cleanup) and exits 130
                    partial = RunReport(
                        workload=workload.name, workload_path=str(options.workload_path), run_id=run_id,
                        started_at=started_at, duration_s=round(time.perf_counter() - started, 3), server=server,
                        queries=tuple(queries), seeding=seeding, notes=tuple(notes),
                        incomplete="interrupted during the index advisor: the replay results are complete, "
                                   "there is no advice (run again, or `pg-analyzer advise`, for it)",
                    )
                    raise Interrupted(partial) from None
                notes.extend(advice.notes)
    return RunReport(
        workload=workload.name,
        workload_path=str(options.workload_path),
        run_id=run_id,
        started_at=started_at,
        duration_s=round(time.perf_counter() - started, 3),
        server=server,
        queries=tuple(queries),
        seeding=seeding,
        recommendations=tuple(advice.recommendations) if advice else (),
        existing_indexes=tuple(advice.existing) if advice else (),
        advisor=advice.summary if advice else None,
        notes=tuple(notes),
    )


@contextmanager
def open_session(options: RunOptions, run_id: str, reporter: Reporter) -> Iterator[Session]:
    """Connect to the target (starting or creating it as needed); clean up whatever happens."""
    if options.docker_image is not None and options.dsn is not None:
        raise TargetError("--target docker and --dsn name two targets: give one")
    with open_target(options.dsn, reporter.message, docker_image=options.docker_image) as target:
        if options.scratch and not target.owned:
            with scratch_database(target, run_id, reporter) as conninfo:
                conn = connect(conninfo, dsn_masked=target.dsn_masked)
                try:
                    yield Session(target, conn, conninfo, may_ddl=True, run_id=run_id)
                finally:
                    conn.close()
            return
        conn = connect(target.conninfo, dsn_masked=target.dsn_masked)
        try:
            if target.owned:
                yield Session(target, conn, target.conninfo, may_ddl=True, run_id=run_id)
                return
            privileges = read_privileges(conn)
            notes = explain_privileges(privileges, options.allow_ddl)
            for note in notes:
                reporter.message(note)
            yield Session(
                target, conn, target.conninfo, may_ddl=options.allow_ddl and privileges.may_build, run_id=run_id,
                may_write=options.allow_writes and not privileges.read_only, notes=tuple(notes),
            )
        finally:
            conn.close()


@contextmanager
def scratch_database(target: Target, run_id: str, reporter: Reporter) -> Iterator[str]:
    """A database created for this run on the target's server, dropped at the end."""
    name = SCRATCH_PREFIX + run_id
    admin = connect(target.conninfo, dsn_masked=target.dsn_masked)
    created = False
    try:
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            created = True
            admin.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(f"pg-analyzer scratch database, run {run_id}")
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            raise TargetError(
                f"{target.dsn_masked}: this role may not CREATE DATABASE, so --scratch cannot work; "
                "ask for CREATEDB or run without --scratch"
            ) from None
        except psycopg.errors.ReadOnlySqlTransaction:
            raise TargetError(
                f"{target.dsn_masked}: this session is read-only (default_transaction_read_only or a standby), "
                "so --scratch cannot create its database; run without --scratch"
            ) from None
        except psycopg.Error as e:
            raise TargetError(f"{target.dsn_masked}: cannot create the scratch database: "
                              f"{e.diag.message_primary or e}") from None
        reporter.message(f"created scratch database {name}")
        yield pg_conninfo.make_conninfo(target.conninfo, dbname=name)
    finally:
        # only what was created is dropped: a failed CREATE must not be hidden by the teardown's own error
        if created:
            try:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            except psycopg.Error:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.close()


def prepare_data(
    session: Session, workload: Workload, options: RunOptions, scale: float, seed: int,
    reporter: Reporter, notes: list[str],
) -> SeedSummary | None:
    """Create the schema where it is absent and allowed, and seed empty tables."""
    conn = session.conn
    if not workload.seed_data:
        notes.append("seed: false: the data already in the database is analyzed as it is")
        return SeedSummary(scale=scale, seed=seed, seconds=0.0, skipped="the workload sets seed: false")
    catalog = read_catalog(conn, workload.schemas)
    wanted = list(workload.tables)
    missing = [t for t in wanted if t not in catalog.tables]
    if missing and workload.schema_sql is not None:
        if len(missing) != len(wanted):
            raise TargetError(
                f"{session.target.dsn_masked}: some workload tables exist and some do not "
                f"(missing: {', '.join(missing)}); the tool will not mix its schema into yours"
            )
        if not session.may_ddl:
            raise TargetError(
                f"{session.target.dsn_masked}: the workload's tables do not exist here; pass --scratch to work "
                "in a scratch database, or --allow-ddl to create them in this one"
            )
        reporter.message("creating the schema")
        create_schema(session, workload)
    elif missing:
        raise TargetError(f"{session.target.dsn_masked}: tables {', '.join(missing)} do not exist and the workload has no schema")
    else:
        populated = [t for t in wanted if _has_rows(conn, t)]
        if populated and options.seed_mode == "empty":
            notes.append(
                f"tables already hold rows ({', '.join(populated)}): analyzed as they are, nothing seeded "
                "(--replace re-seeds them)"
            )
            return SeedSummary(scale=scale, seed=seed, seconds=0.0, skipped="tables already hold rows")
    refuse_oversized_seed(session, workload, scale)
    pin_statistics_target(conn, workload, scale)
    try:
        summary = seed_workload(conn, workload, scale=scale, seed=seed, mode=options.seed_mode, reporter=reporter)
    except psycopg.errors.QueryCanceled:
        raise SeedError(
            f"{session.target.dsn_masked}: seeding was cancelled by the server's statement_timeout "
            f"({_setting(conn, 'statement_timeout')}); seed a smaller --scale, or raise it for this role"
        ) from None
    except psycopg.errors.InsufficientPrivilege as e:
        raise SeedError(f"{session.target.dsn_masked}: seeding refused: {e.diag.message_primary}") from None
    except psycopg.errors.ReadOnlySqlTransaction:
        raise SeedError(f"{session.target.dsn_masked}: the session is read-only: nothing can be seeded here") from None
    notes.extend(f"seed: {n}" for n in summary.notes)
    return summary


def _setting(conn: psycopg.Connection, name: str) -> str:
    if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return "?"
    row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
    return str(row[0]) if row else "?"


# Bytes a seeded row takes on disk at least (heap tuple header and line pointer, before any column).
ROW_OVERHEAD_BYTES = 28
MAX_SEED_ROWS = 2_000_000_000


def refuse_oversized_seed(session: Session, workload: Workload, scale: float) -> None:
    """Estimate the rows and bytes a scale asks for before generating anything.

    Generation works in chunks (memory does not grow with the scale), so the limit that
    matters is disk: on the embedded server the data directory's free space is known and a
    seed that cannot fit is refused with the figures; on other targets the row count alone.
    """
    rows = {name: int(rule.rows * scale) for name, rule in workload.tables.items()}
    total = sum(rows.values())
    if total > MAX_SEED_ROWS:
        raise SeedError(
            f"{workload.path}: scale {scale:g} asks for {total:,} rows, more than {MAX_SEED_ROWS:,}; "
            "pick a smaller --scale"
        )
    datadir = getattr(session.target, "datadir", None)
    if session.target.kind != "embedded" or not datadir:
        return
    widths = _row_widths(session.conn, list(rows))
    estimate = sum(n * (ROW_OVERHEAD_BYTES + widths.get(t, 32)) for t, n in rows.items())
    free = shutil.disk_usage(datadir).free
    if estimate > free:
        raise SeedError(
            f"{workload.path}: scale {scale:g} needs about {estimate / 2**30:,.1f} GiB for {total:,} rows before "
            f"indexes; {free / 2**30:,.1f} GiB is free under {datadir}: pick a smaller --scale"
        )


def _row_widths(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    """A lower bound of each table's row width: fixed-width types at their size, others at 8 bytes."""
    rows = conn.execute(
        "SELECT c.oid::regclass::text, sum(CASE WHEN t.typlen > 0 THEN t.typlen ELSE 8 END)::int FROM pg_class c "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "JOIN pg_type t ON t.oid = a.atttypid WHERE c.oid = ANY(SELECT to_regclass(x)::oid FROM unnest(%s::text[]) x) "
        "GROUP BY 1",
        (tables,),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def explain_seeding(options: RunOptions, reporter: Reporter | None = None) -> str:
    """The rules seeding would use, as YAML to paste into the workload; creates the schema where
    it is absent (a scratch database or the embedded server) but writes no rows."""
    reporter = reporter or SilentReporter()
    workload = load_workload(options.workload_path)
    scale = options.scale if options.scale is not None else workload.scale
    with open_session(options, uuid.uuid4().hex[:12], reporter) as session:
        catalog = read_catalog(session.conn, workload.schemas)
        missing = [t for t in workload.tables if t not in catalog.tables]
        if missing and workload.schema_sql is not None and len(missing) == len(workload.tables):
            if not session.may_ddl:
                raise TargetError(
                    f"{session.target.dsn_masked}: the workload's tables do not exist here; pass --scratch "
                    "to explain in a scratch database, or --allow-ddl to create them in this one"
                )
            create_schema(session, workload)
            catalog = read_catalog(session.conn, workload.schemas)
        try:
            plan = plan_seeding(catalog, workload, scale)
        except SeedError as e:
            text = str(e)
            raise SeedError(text if text.startswith(str(workload.path)) else f"{workload.path}: {text}") from None
    return explain_plan(plan, workload)


def create_schema(session: Session, workload: Workload) -> None:
    """Run the workload's DDL on a connection of its own: a pg_dump file sets the search_path to ''
    (`set_config('search_path', '', false)`), and the tool's session must keep its own."""
    assert workload.schema_sql is not None
    try:
        with connect(session.conninfo, dsn_masked=session.target.dsn_masked) as ddl, ddl.transaction():
            ddl.execute(workload.schema_sql)
    except psycopg.Error as e:
        raise AnalyzerError(f"{workload.path}: schema: {e.diag.message_primary or e}") from None


MAX_STATISTICS_TARGET = 10_000  # PostgreSQL's limit: ANALYZE reads every row of tables up to 3M rows


def pin_statistics_target(conn: psycopg.Connection, workload: Workload, scale: float) -> None:
    """Make ANALYZE of the seeded tables read every row, so the same data gives the same statistics.

    ANALYZE samples 300 x default_statistics_target rows with a random seed of its own: on a
    larger table two runs on identical data get different statistics, plans that flip at the
    margin, and different advice. A target covering the largest table makes the sample the whole
    table. It holds for the session: the advisor's ANALYZE after expression and partial index
    builds reads every row too.
    """
    largest = max((rule.rows * scale for rule in workload.tables.values() if rule.rows), default=0.0)
    target = min(MAX_STATISTICS_TARGET, max(100, math.ceil(largest / 300)))
    conn.execute(sql.SQL("SET default_statistics_target = {}").format(sql.Literal(target)))


def _has_rows(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(table_ident(table))).fetchone()
    return bool(row and row[0])


def _where(workload: Workload, stmt: Statement) -> str:
    return f"{workload.path}:{stmt.line}: query '{stmt.name}'"


def replay_workload(
    conn: psycopg.Connection, workload: Workload, seed: int, reporter: Reporter, may_write: bool = True
) -> list[tuple[Measurement, QueryReport]]:
    """Replay every declared query and judge its plans; the measurements keep the parameter sets.

    A query that modifies data is not run at all where writes are not allowed (a --dsn target
    without --allow-writes): rolled back or not, it would take locks and write WAL on staging.
    """
    apply_session_settings(conn, workload.replay, str(workload.path))
    refuse_unreadable_tables(conn, workload)
    for stmt in workload.queries:
        validate_statement(conn, stmt, _where(workload, stmt))
    table_rows = table_row_estimates(conn)
    reports: list[tuple[Measurement, QueryReport]] = []
    reporter.start("replay", len(workload.queries))
    try:
        for number, stmt in enumerate(workload.queries, 1):
            if not may_write and modifies_data(stmt):
                refused = Measurement(statement=stmt, sets=[], modifies_data=True, error=(
                    "modifies data: not run against this target without --allow-writes "
                    "(with it, it runs in a transaction that is rolled back)"))
                reports.append((refused, query_report(refused, workload, table_rows)))
                reporter.advance()
                continue
            param_sets = sample_labelled_param_sets(conn, stmt, workload.replay.param_sets, seed)
            reporter.detail(f"replay {number}/{len(workload.queries)} {stmt.name}: "
                            f"{len(param_sets)} set{'s' if len(param_sets) != 1 else ''}")
            touched = referenced_tables(stmt.positional_sql) if modifies_data(stmt) else set()
            with sequences_put_back(conn, touched):  # rolled back, but its inserts advanced them
                measurement = replay_statement(conn, stmt, [p.values for p in param_sets], workload.replay, reporter,
                                               labels=[p.label for p in param_sets])
            reports.append((measurement, query_report(measurement, workload, table_rows)))
    finally:
        reporter.finish()
    return reports


def refuse_unreadable_tables(conn: psycopg.Connection, workload: Workload) -> None:
    """Say up front which tables the role cannot read, rather than as a permission error mid-replay."""
    needed: dict[str, str] = {}
    for stmt in workload.queries:
        for table in sorted(referenced_tables(stmt.positional_sql)):
            needed.setdefault(table, stmt.name)
    for stmt in workload.queries:
        for source in stmt.params.values():
            if source.kind == "sample" and source.table:
                needed.setdefault(source.table, stmt.name)
    denied = unreadable_tables(conn, sorted(needed))
    if denied:
        role = conn.execute("SELECT current_user").fetchone()
        who = role[0] if role else "this role"
        first = denied[0]
        raise TargetError(
            f"role {who} may not SELECT from {', '.join(denied)} (read by query '{needed[first]}', "
            f"{workload.path}): GRANT SELECT ON {', '.join(denied)} TO {who}, or connect as a role that may"
        )


def advise_indexes(
    session: Session, workload: Workload, measurements: list[Measurement], seed: int, reporter: Reporter
) -> AdvisorResult:
    """Prove index candidates against the replay's figures, with the write mix's costs."""
    baseline = {m.statement.name: summarize(m) for m in measurements}
    param_sets = {m.statement.name: [s.params for s in m.sets] for m in measurements}
    labels = {m.statement.name: [s.label for s in m.sets] for m in measurements}
    # the write mix runs INSERT/UPDATE/DELETE (rolled back), VACUUM and CHECKPOINT: on a database the
    # tool does not own, only when --allow-writes says so
    measure_writes = session.may_write and session.may_ddl
    result = advise(
        session.conn, workload, baseline, param_sets, session.run_id, may_ddl=session.may_ddl, labels=labels,
        write_costs=(lambda candidates: measured_write_costs(session.conn, workload, seed, candidates))
        if measure_writes else None,
        reporter=reporter,
    )
    if session.may_ddl and not session.may_write:
        result.notes.append("write costs not measured: the write mix (rolled back, with VACUUM and CHECKPOINT) "
                            "runs on a --dsn database only with --allow-writes")
    return result


def query_report(m: Measurement, workload: Workload, table_rows: dict[str, int]) -> QueryReport:
    """Turn a measurement into the report entry: timings, representative plan, checks."""
    stmt = m.statement
    params = tuple(_jsonable_params(s.params) for s in m.sets)
    if m.error is not None or not m.plans:
        return QueryReport(
            name=stmt.name, weight=stmt.weight, sql=stmt.sql, params=params, median_ms=None, p95_ms=None,
            timings_ms=tuple(m.timings_ms), planning_ms=None, shared_hit=0, shared_read=0, plan=None,
            error=m.error or "no plan was measured", modifies_data=m.modifies_data,
            checks=(CheckOutcome("replay", False, "error", m.error or "no plan was measured", None, "builtin"),),
        )
    representative = _representative(m)
    plan = representative.plan
    assert plan is not None
    run = QueryRun(
        plans=tuple(s.plan for s in m.sets if s.plan is not None),
        params=tuple(s.params for s in m.sets if s.plan is not None),
        timings_ms=tuple(m.timings_ms),
        planning_ms=tuple(t for s in m.sets for t in s.planning_ms),
    )
    results = list(evaluate_expectations(stmt.expect, run, workload.thresholds, table_rows))
    seen: set[tuple[str, str | None]] = set()
    # the plan the card shows first: a finding on its nodes quotes its filter, not another set's project; one
    # found only in another set's plan says which set it quotes
    measured = [(number, s) for number, s in enumerate(m.sets, 1) if s.plan is not None]
    for number, s in sorted(measured, key=lambda n_s: n_s[1] is not representative):
        assert s.plan is not None
        for finding in run_builtin_checks(s.plan, workload.thresholds, table_rows):
            key = (finding.name, finding.node_path)
            if key not in seen:
                seen.add(key)
                results.append(finding if s is representative else
                               replace(finding, detail=f"{finding.detail} (parameter set {number}, {s.label})"))
    timings = sorted(m.timings_ms)
    buffers = plan.total_buffers
    return QueryReport(
        name=stmt.name,
        weight=stmt.weight,
        sql=stmt.sql,
        params=params,
        median_ms=round(statistics.median(timings), 4),
        p95_ms=round(_percentile(timings, 95), 4),
        timings_ms=tuple(round(t, 4) for t in m.timings_ms),
        planning_ms=round(statistics.median([t for s in m.sets for t in s.planning_ms]), 4),
        shared_hit=buffers.shared_hit,
        shared_read=buffers.shared_read,
        plan=plan.raw,
        checks=tuple(CheckOutcome(**r.to_json()) for r in results),
        plans_by_params=tuple(s.plan.raw for s in m.sets if s.plan is not None),
        rows=plan.root.actual_rows,
        modifies_data=m.modifies_data,
        param_labels=tuple(s.label for s in m.sets),
        rows_by_params=tuple(s.plan.root.actual_rows if s.plan is not None else None for s in m.sets),
        buffers_by_params=tuple(s.plan.total_buffers.total_shared if s.plan is not None else None for s in m.sets),
        measurement_note=m.note,
    )


def _representative(m: Measurement) -> Any:
    """The parameter set whose median time is the median of all sets."""
    measured = [s for s in m.sets if s.plan is not None and s.timings_ms]
    ranked = sorted(measured, key=lambda s: statistics.median(s.timings_ms))
    return ranked[(len(ranked) - 1) // 2]


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def _jsonable_params(params: Any) -> dict[str, Any]:
    out = {}
    for k, v in dict(params).items():
        out[k] = v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
    return out
