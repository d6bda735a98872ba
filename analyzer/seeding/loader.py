"""Seed a workload's tables: generate in foreign-key order, bulk COPY, constraints after, ANALYZE.

The whole load is one transaction: constraints and indexes of the seeded tables are dropped,
rows are streamed with binary COPY, then everything is re-created (so FKs are validated, and
a failure leaves the schema exactly as it was). A worker thread streams each finished table
while the next one is generated, so the client and the server work at the same time.
Same seed, same bytes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from analyzer.catalog import Catalog, Table, read_catalog, schema_and_name, table_ident
from analyzer.errors import SeedError
from analyzer.progress import Reporter, SilentReporter
from analyzer.report.model import ColumnStats, SeedSummary, TableSeed
from analyzer.seeding.copy_format import HEADER, TRAILER, EncodedPools, binary_rows, csv_chunk
from analyzer.seeding.copy_writer import BoundedQueuedWriter
from analyzer.seeding.generators import Col, Context, TableData, generate
from analyzer.seeding.index_forms import read_index_forms
from analyzer.seeding.inference import infer_table
from analyzer.seeding.rules import Rule, parse_rule
from analyzer.seeding.statistics import analyze_tables
from analyzer.workload import TableRule, Workload

COPY_CHUNK_ROWS = 50_000
GENERATE_CHUNK_ROWS = 50_000  # rows generated at a time for big tables: memory flat in --scale
# Memory for the index builds and the foreign-key checks after the load (raised, never lowered).
SESSION_MEMORY_KB = {"work_mem": 256 * 1024, "maintenance_work_mem": 512 * 1024}


@dataclass(frozen=True)
class TablePlan:
    """How one table is generated: its row count and column rules, in the order generation needs."""

    table: Table
    rows: int
    rules: tuple[Rule, ...]
    unique_groups: tuple[tuple[str, ...], ...] = ()
    deferred: tuple[str, ...] = ()  # columns generated once a later table (a cycle) exists
    scale: float = 1.0


@dataclass(frozen=True)
class SeedPlan:
    """Every seeded table in generation order."""

    tables: tuple[TablePlan, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = ()  # what the report should say about inferred values (NULL references)

    @property
    def order(self) -> list[str]:
        return [t.table.name for t in self.tables]


def scaled_rows(rule: TableRule, scale: float) -> int:
    """Rows of a table at a scale; a table that has rows keeps at least one."""
    return max(1, round(rule.rows * scale)) if rule.rows > 0 else 0


def seed_workload(
    conn: psycopg.Connection,
    workload: Workload,
    *,
    scale: float,
    seed: int,
    mode: str = "empty",
    reporter: Reporter | None = None,
) -> SeedSummary:
    """Seed every table the workload describes; `mode` is empty (refuse rows), append or replace."""
    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    try:
        catalog = read_catalog(conn, workload.schemas)
        plan = plan_seeding(catalog, workload, scale)
        conn.execute("SET TIME ZONE 'UTC'")
        with conn.transaction():
            _raise_session_memory(conn)
            existing = _existing_rows(conn, plan.order, mode)
            saved = _drop_constraints(conn, catalog, plan.order)
            if mode != "append":
                # A table truncated in the loading transaction gets a new file: with wal_level=minimal
                # (the embedded server) its COPY writes no WAL at all.
                conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(table_ident(n) for n in plan.order)))
            offsets = _sequence_offsets(conn, plan) if mode == "append" else {}
            seeded = load_tables(conn, plan, seed, reporter, existing=existing, sequence_offsets=offsets)
            keys_and_indexes, foreign_keys = saved
            reporter.message("building keys and indexes")
            _restore_constraints(conn, keys_and_indexes)
            reporter.message("validating foreign keys")
            _restore_constraints(conn, foreign_keys)
            _sync_sequences(conn, catalog, plan.order)
            row = conn.execute("SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text").fetchone()
            load_xid = str(row[0]) if row else None
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            # committed: side by side on two connections (inside a caller's transaction, settle_tables does it)
            reporter.message("analyzing")
            analyze_tables(conn, plan.order)
        reporter.message("vacuuming")
        settle_tables(conn, plan.order, load_xid)
    except SeedError as e:
        text = str(e)
        raise SeedError(text if text.startswith(str(workload.path)) else f"{workload.path}: {text}") from None
    rule_text = {tp.table.name: {r.column: describe_rule(r) for r in tp.rules} for tp in plan.tables}
    tables = tuple(
        replace(t, columns=column_stats(conn, t.table, [c.name for c in catalog.tables[t.table].columns if not c.generated],
                                        rule_text.get(t.table, {})))
        for t in seeded
    )
    return SeedSummary(scale=scale, seed=seed, seconds=time.perf_counter() - started, tables=tables, notes=plan.notes)


def explain_plan(plan: SeedPlan, workload: Workload) -> str:
    """The inferred (and declared) rules of every table as a `tables:` section to paste and edit."""
    import yaml

    lines = ["# rules pg-analyzer uses for this workload: declared ones as written, the others inferred", "tables:"]
    for tp in plan.tables:
        declared = workload.tables[tp.table.name]
        lines.append(f"  {tp.table.name}:")
        lines.append(f"    rows: {declared.rows}")
        lines.append("    columns:")
        for r in sorted(tp.rules, key=lambda r: [c.name for c in tp.table.columns].index(r.column)):
            text = yaml.safe_dump({r.column: rule_to_yaml(r)}, default_flow_style=None, width=10_000, sort_keys=False)
            flow = yaml.safe_dump(rule_to_yaml(r), default_flow_style=True, width=10_000, sort_keys=False).strip()
            if flow.endswith("..."):
                flow = flow[:-3].strip()
            origin = "" if r.column in declared.columns else "  # inferred"
            lines.append(f"      {yaml.safe_dump(r.column).splitlines()[0]}: {flow}{origin}" if text else "")
        skipped = [c.name for c in tp.table.columns if c.name not in {r.column for r in tp.rules}]
        if skipped:
            lines.append(f"    # left to the server (defaults, generated): {', '.join(skipped)}")
    lines.extend(f"# note: {n}" for n in plan.notes)
    return "\n".join(lines) + "\n"


def settle_tables(conn: psycopg.Connection, tables: list[str], load_xid: str | None = None) -> None:
    """VACUUM the loaded tables (already analyzed), as production tables are settled: the visibility
    map is set, so index-only scans do not fetch from the heap. VACUUM cannot run in a transaction block.

    A snapshot taken while the load ran (an autovacuum worker on the catalog, mostly) keeps the
    loaded rows from counting as visible to all; such snapshots are waited out for a few seconds.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        for name in tables:
            conn.execute(sql.SQL("ANALYZE {}").format(table_ident(name)))
        return
    if load_xid is not None:
        _wait_for_older_snapshots(conn, load_xid)
    autocommit = conn.autocommit
    conn.autocommit = True
    try:
        for name in tables:
            # statistics were gathered right after the load (the data has not changed since): a second
            # ANALYZE here would read every row again (the pinned statistics target), for nothing
            conn.execute(sql.SQL("VACUUM {}").format(table_ident(name)))
        for _ in range(3):  # a snapshot that came and went during the first pass: once more
            unsettled = [n for n in tables if not _all_visible(conn, n)]
            if not unsettled:
                break
            time.sleep(0.5)
            for name in unsettled:
                conn.execute(sql.SQL("VACUUM {}").format(table_ident(name)))
    finally:
        conn.autocommit = autocommit


def _all_visible(conn: psycopg.Connection, table: str) -> bool:
    """At least 90% of the heap pages (of every partition) are marked all-visible."""
    row = conn.execute(
        """
        SELECT coalesce(sum(c.relallvisible), 0) >= 0.9 * coalesce(sum(c.relpages), 0)
        FROM pg_class c WHERE c.oid = %s::regclass OR c.oid IN (SELECT relid FROM pg_partition_tree(%s::regclass))
        """,
        (table_ident(table).as_string(conn), table_ident(table).as_string(conn)),
    ).fetchone()
    return bool(row and row[0])


def _wait_for_older_snapshots(conn: psycopg.Connection, load_xid: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = conn.execute(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND backend_xmin IS NOT NULL
              AND (datname = current_database() OR datname IS NULL) AND age(backend_xmin) >= age(%s::xid)
            """,
            (load_xid,),
        ).fetchone()
        if not row or not row[0]:
            return
        time.sleep(0.2)


def describe_rule(rule: Rule) -> str:
    """A rule as one line of YAML flow style, for the report and `seed --explain`."""
    import yaml

    return yaml.safe_dump(rule_to_yaml(rule), default_flow_style=True, width=10_000, sort_keys=False).strip()


def rule_to_yaml(rule: Rule) -> object:
    """The YAML form of a rule (the inverse of parse_rule), so an inferred rule can be pasted and edited."""
    if rule.kind == "value":
        return rule.arg
    arg: object = rule.arg
    if rule.kind == "choice":
        values, weights = rule.arg
        if len({round(w, 9) for w in weights}) == 1:
            arg = list(values)
        else:
            total = sum(round(w, 4) for w in weights)
            rounded = [round(w, 4) for w in weights]
            rounded[0] = round(rounded[0] + 1 - total, 4)
            arg = dict(zip(values, rounded, strict=True))
    elif rule.kind == "json":
        arg = {k: rule_to_yaml(v) for k, v in rule.arg.items()}
    elif rule.kind == "array":
        arg = rule_to_yaml(rule.arg)
    out: dict[str, object] = {rule.kind: arg}
    if rule.null_fraction:
        out["null_fraction"] = rule.null_fraction
    if rule.unique:
        out["unique"] = True
    if rule.distinct is not None:
        out["distinct"] = rule.distinct
    if rule.distribution != "uniform":
        out["distribution"] = rule.distribution
        if rule.distribution == "zipf":
            out["s"] = rule.s
    if rule.mean is not None:
        out["mean"] = round(rule.mean, 3)
    if rule.sd is not None:
        out["sd"] = round(rule.sd, 3)
    out.update({k: v for k, v in rule.options.items() if k not in out})
    return out


def plan_seeding(catalog: Catalog, workload: Workload, scale: float) -> SeedPlan:
    """Check every rule against the catalog and order the tables; no database writes."""
    for name, rule in workload.tables.items():
        if name not in catalog.tables:
            raise SeedError(
                f"{workload.path}:{rule.line}: tables.{name}: no such table in the schema "
                f"(tables: {', '.join(sorted(catalog.tables)) or 'none'})"
            )
    for name, rule in workload.tables.items():
        parent = catalog.tables[name].partition_of
        if parent is not None:
            raise SeedError(
                f"{workload.path}:{rule.line}: tables.{name}: is a partition of {parent}: seed {parent}, "
                "rows go to their partitions"
            )
    notes: list[str] = []
    seeded = set(workload.tables)
    rules = {
        name: _column_plan(catalog, catalog.tables[name], rule, seeded, notes) for name, rule in workload.tables.items()
    }
    _check_references(catalog, rules)
    order, deferred = load_order(rules)
    plans = []
    for name in order:
        table = catalog.tables[name]
        groups = tuple(_composite_unique_sets(table, workload.tables[name]))
        plans.append(
            TablePlan(
                table=table, rows=scaled_rows(workload.tables[name], scale),
                rules=tuple(_dependency_order(name, rules[name], list(groups))),
                unique_groups=groups, deferred=tuple(sorted(deferred.get(name, ()))), scale=scale,
            )
        )
    return SeedPlan(tuple(plans), notes=tuple(notes))


def load_order(rules: dict[str, dict[str, Rule]]) -> tuple[list[str], dict[str, set[str]]]:
    """Tables ordered so that every referenced table comes first, and the columns that wait.

    A cycle of references (organizations.owner_id -> users, users.org_id -> organizations)
    is broken at one reference, nullable ones first: that column is generated once its
    target table exists, before either table is written.
    """
    remaining = list(rules)
    order: list[str] = []
    deferred: dict[str, set[str]] = {}

    def targets(name: str) -> set[str]:
        return {
            _ref_table(r) for r in rules[name].values()
            if r.kind == "ref" and r.column not in deferred.get(name, set()) and _ref_table(r) != name
        }

    while remaining:
        ready = [n for n in remaining if not (targets(n) & set(remaining))]
        if ready:
            order.extend(ready)
            remaining = [n for n in remaining if n not in ready]
            continue
        edges = [
            r for n in remaining for r in rules[n].values()
            if r.kind == "ref" and r.column not in deferred.get(n, set()) and _ref_table(r) in remaining
            and _ref_table(r) != n
        ]
        edges.sort(key=lambda r: (r.null_fraction == 0, r.table, r.column))
        cut = edges[0]
        deferred.setdefault(cut.table, set()).update(_dependents(rules[cut.table], cut.column))
    return order, deferred


def _ref_table(rule: Rule) -> str:
    return str(rule.arg).rsplit(".", 1)[0]


def _dependents(rules: dict[str, Rule], column: str) -> set[str]:
    """The column and every column of the table whose rule needs it."""
    found = {column}
    changed = True
    while changed:
        changed = False
        for r in rules.values():
            if r.column not in found and found & set(r.depends_on()):
                found.add(r.column)
                changed = True
    return found


def _column_plan(catalog: Catalog, table: Table, rule: TableRule, seeded: set[str], notes: list[str]) -> dict[str, Rule]:
    """The rule of every written column: declared, else inferred from the catalog."""
    declared = {name: parse_rule(table.name, name, raw) for name, raw in rule.columns.items()}
    for name, r in declared.items():
        column = table.column(name)
        if column is None:
            raise SeedError(
                f"tables.{table.name}.columns.{name}: no such column "
                f"(columns: {', '.join(c.name for c in table.columns)})"
            )
        if column.generated and r.kind != "default":
            raise SeedError(f"{r.where}: a generated column is computed by the server and cannot be seeded")
    inference = infer_table(table, catalog, declared, seeded)
    notes.extend(inference.notes)
    forms = read_index_forms(table)
    for bad in forms.unsupported:
        if not bad.columns or not set(bad.columns) <= set(declared):
            raise SeedError(
                f"tables.{table.name}: {bad.what} {bad.name} ({bad.definition}) has a form the seeder cannot "
                f"satisfy (it handles lower()/upper() of columns and EXCLUDE (k WITH =, r WITH &&)): "
                f"declare rules for {', '.join(bad.columns) or 'its columns'} whose values obey it"
            )
    unique_sets = table.unique_sets + forms.unique_sets
    folds = {c: f for u in forms.unique for c, f in u.folds}
    disjoint = {e.range_column: list(e.equal) for e in forms.exclusions if e.range_column is not None}
    rules: dict[str, Rule] = {}
    for column in table.columns:
        found = inference.rules.get(column.name)
        if found is None or found.kind == "default":
            continue
        r = found
        if any(u == (column.name,) for u in unique_sets) and not r.unique and r.kind not in ("sequence", "copy"):
            r = replace(r, unique=True)
        if column.name in folds and not r.options.get("case"):
            r = replace(r, options={**r.options, "case": folds[column.name]})
        if column.name in disjoint and r.kind == "range" and r.options.get("disjoint") is None:
            r = replace(r, options={**r.options, "disjoint": disjoint[column.name]})
        rules[column.name] = r
    for e in forms.exclusions:
        ranged = rules.get(e.range_column) if e.range_column is not None else None
        if ranged is not None and ranged.kind != "range" and e.range_column not in declared:
            raise SeedError(
                f"tables.{table.name}: exclusion constraint {e.constraint} keeps {e.range_column} apart with &&, "
                f"which the seeder can do for range types only: declare a rule for {e.range_column} whose values obey it"
            )
    for columns in _composite_unique_sets(table, rule):
        for c in columns:
            if c not in rules:
                raise SeedError(f"tables.{table.name}: unique ({', '.join(columns)}) names {c}, which is not generated")
    return rules


def _composite_unique_sets(table: Table, rule: TableRule) -> list[tuple[str, ...]]:
    sets = [u for u in table.unique_sets + read_index_forms(table).unique_sets if len(u) > 1]
    sets += [tuple(u) for u in rule.unique if len(u) > 1 and tuple(u) not in sets]
    return sets


def _dependency_order(table: str, rules: dict[str, Rule], groups: list[tuple[str, ...]]) -> list[Rule]:
    first = [c for g in groups for c in g]
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise SeedError(f"tables.{table}.columns.{name}: its rule depends on itself through other columns")
        visiting.add(name)
        rule = rules.get(name)
        if rule is None:
            raise SeedError(f"tables.{table}: a rule depends on column {name}, which is not generated")
        for dep in rule.depends_on():
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in first + list(rules):
        visit(name)
    return [rules[n] for n in ordered]


def _check_references(catalog: Catalog, plans: dict[str, dict[str, Rule]]) -> None:
    for rules in plans.values():
        for r in rules.values():
            if r.kind != "ref":
                continue
            target, _, column = str(r.arg).rpartition(".")
            if target not in plans:
                exists = "is not seeded by this workload" if target in catalog.tables else "does not exist"
                raise SeedError(f"{r.where}: references {r.arg}, but table {target} {exists}")
            if column not in plans[target]:
                raise SeedError(f"{r.where}: references {r.arg}, but {target}.{column} is not a generated column")
            fk = next((f for f in catalog.tables[r.table].foreign_keys if f.columns == (r.column,)), None)
            if fk is not None and target != fk.ref_table:
                raise SeedError(f"{r.where}: references {r.arg}, but its foreign key {fk.name} references {fk.ref_table}")


def _existing_rows(conn: psycopg.Connection, order: list[str], mode: str) -> dict[str, int]:
    """Row counts of tables that already hold rows; refuse them unless appending or replacing."""
    populated: dict[str, int] = {}
    for name in order:
        row = conn.execute(sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT 1) x").format(table_ident(name))).fetchone()
        if row and row[0]:
            populated[name] = 1
    if populated and mode == "empty":
        raise SeedError(
            f"tables {', '.join(populated)} already hold rows: pass --append to add to them "
            "or --replace to empty and re-seed them"
        )
    if mode == "append":
        for name in populated:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table_ident(name))).fetchone()
            populated[name] = int(row[0]) if row else 0
    return populated


def _sequence_offsets(conn: psycopg.Connection, plan: SeedPlan) -> dict[str, dict[str, int]]:
    """For --append: the largest value of every sequence-generated column."""
    out: dict[str, dict[str, int]] = {}
    for t in plan.tables:
        for r in t.rules:
            if r.kind == "sequence":
                row = conn.execute(
                    sql.SQL("SELECT max({})::bigint FROM {}").format(sql.Identifier(r.column), table_ident(t.table.name))
                ).fetchone()
                if row and row[0] is not None:
                    out.setdefault(t.table.name, {})[r.column] = int(row[0])
    return out


def _raise_session_memory(conn: psycopg.Connection) -> None:
    """Index builds and FK validation after the load sort and hash millions of rows: give them memory."""
    rows = conn.execute(
        "SELECT name, setting::bigint FROM pg_settings WHERE name = ANY(%s)", (list(SESSION_MEMORY_KB),)
    ).fetchall()
    for name, kb in rows:
        if int(kb) < SESSION_MEMORY_KB[name]:
            conn.execute(
                sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(name), sql.Literal(f"{SESSION_MEMORY_KB[name]}kB"))
            )


def _drop_constraints(
    conn: psycopg.Connection, catalog: Catalog, order: list[str]
) -> tuple[list[sql.Composed], list[sql.Composed]]:
    """Drop FKs, keys and indexes of the seeded tables; return the statements that re-create
    keys and indexes, and those that re-create foreign keys and re-enable triggers."""
    seeded = set(order)
    restore_keys: list[sql.Composed] = []
    restore_indexes: list[sql.Composed] = []
    restore_fks: list[sql.Composed] = []
    dropped: set[tuple[str, str]] = set()
    for table in catalog.tables.values():
        for fk in table.foreign_keys:  # a parent lists its partitions' keys too: each is dropped once
            if (fk.table in seeded or fk.ref_table in seeded) and (fk.table, fk.name) not in dropped:
                dropped.add((fk.table, fk.name))
                conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table_ident(fk.table), sql.Identifier(fk.name)))
                restore_fks.append(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        table_ident(fk.table), sql.Identifier(fk.name), sql.SQL(fk.definition)
                    )
                )
    for name in order:
        table = catalog.tables[name]
        for con in table.constraints:
            # A view grouping by a key depends on it: it stays, and the rows are checked as they arrive.
            if con.kind in ("p", "u") and not con.has_dependents:
                conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table_ident(name), sql.Identifier(con.name)))
                restore_keys.append(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        table_ident(name), sql.Identifier(con.name), sql.SQL(con.definition)
                    )
                )
        for index in table.indexes:
            if index.constraint is None:
                conn.execute(sql.SQL("DROP INDEX {}").format(table_ident(name, index.name)))
                restore_indexes.append(sql.SQL(index.definition))  # type: ignore[arg-type]
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(table_ident(name)))
        restore_fks.append(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(table_ident(name)))
    return restore_keys + restore_indexes, restore_fks


def _restore_constraints(conn: psycopg.Connection, statements: list[sql.Composed]) -> None:
    for stmt in statements:
        try:
            conn.execute(stmt)
        except psycopg.errors.ForeignKeyViolation as e:
            raise SeedError(f"seeded data breaks a foreign key: {e.diag.message_primary} ({e.diag.message_detail})") from None
        except psycopg.errors.UniqueViolation as e:
            raise SeedError(f"seeded data breaks a unique constraint: {e.diag.message_primary} ({e.diag.message_detail})") from None


def _sync_sequences(conn: psycopg.Connection, catalog: Catalog, order: list[str]) -> None:
    """Move identity/serial sequences past the seeded ids so later inserts do not collide."""
    for name in order:
        for column in catalog.tables[name].columns:
            if column.identity or (column.default or "").startswith("nextval("):
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({t}, {c}), coalesce(max({ci}), 0) + 1, false) FROM {ti}"
                    ).format(t=sql.Literal(name), c=sql.Literal(column.name), ci=sql.Identifier(column.name),
                             ti=table_ident(name))
                )


def load_tables(
    conn: psycopg.Connection,
    plan: SeedPlan,
    seed: int,
    reporter: Reporter,
    *,
    existing: dict[str, int] | None = None,
    sequence_offsets: dict[str, dict[str, int]] | None = None,
) -> list[TableSeed]:
    """Generate every table in order and COPY each one (in a worker thread) as soon as it is complete.

    The caller owns the transaction and has dropped the constraints. With --append the
    generator seed mixes in the rows already there, so the new rows are new values.
    """
    gen_seconds: dict[str, float] = {}
    with CopyWorker(conn, reporter) as worker:
        gen_seconds = generate_tables(
            plan, seed, worker.submit, existing=existing or {}, sequence_offsets=sequence_offsets or {},
            stream=worker.stream,
        )
    return [
        TableSeed(table=tp.table.name, rows=tp.rows,
                  seconds=gen_seconds[tp.table.name] + worker.seconds.get(tp.table.name, 0.0))
        for tp in plan.tables
    ]


def needed_columns(plan: SeedPlan) -> dict[str, set[str]]:
    """The columns of each table that later tables read (references, copies, times after a parent's):
    all that is kept once a table is written."""
    needed: dict[str, set[str]] = {tp.table.name: set() for tp in plan.tables}

    def visit(tp: TablePlan, rule: Rule) -> None:
        if rule.kind == "ref":
            target, _, column = str(rule.arg).rpartition(".")
            needed.setdefault(target, set()).add(column)
            needed[target].update(str(c) for c in dict(rule.options.get("match_top") or {}))
        if rule.kind in ("copy", "after") and "." in str(rule.arg):
            fk_col, parent_col = str(rule.arg).split(".", 1)
            fk = next((r for r in tp.rules if r.column == fk_col and r.kind == "ref"), None)
            if fk is not None:
                needed.setdefault(_ref_table(fk), set()).add(parent_col)
        if rule.kind == "json":
            for sub in rule.arg.values():
                visit(tp, sub)
        if rule.kind == "array":
            visit(tp, rule.arg)

    for tp in plan.tables:
        for r in tp.rules:
            visit(tp, r)
    return needed


def chunkable(tp: TablePlan) -> bool:
    """A table generated a chunk at a time: big, and no rule that needs all its rows at once
    (uniqueness drawn without replacement, values read through a self-reference, cycles).
    Composite uniqueness is kept across chunks by the hashes of the combinations already
    written; a self-reference picks among the latest roots of earlier chunks."""
    if tp.rows <= GENERATE_CHUNK_ROWS or tp.deferred:
        return False
    self_refs = {r.column for r in tp.rules if r.kind == "ref" and _ref_table(r) == tp.table.name}
    for r in tp.rules:
        if r.unique and r.kind not in ("sequence", "uuid", "copy"):
            return False
        if r.column in self_refs and r.unique:
            return False
        if r.options.get("disjoint") is not None:  # a key's ranges are laid out over all its rows
            return False
        if r.kind in ("copy", "after") and str(r.arg).split(".", 1)[0] in self_refs:
            return False
    return True


def may_be_null(rule: Rule) -> bool:
    return (
        rule.null_fraction > 0
        or rule.kind in ("after", "copy", "value")
        or any(rule.options.get(k) for k in ("nulls_with", "nulls_without", "required_without"))
    )


def concat_cols(parts: list[Col]) -> Col:
    """The chunks of a kept column as one column (values materialized; a later table reads the
    values only, so the parent rows of a reference are not kept)."""
    first = parts[0]
    values = np.concatenate([np.asarray(p.values) for p in parts])
    nulls = None
    if any(p.nulls is not None and p.nulls.any() for p in parts):
        nulls = np.concatenate([p.null_mask() for p in parts])
    return Col(first.kind, values, nulls=nulls)


def generate_tables(
    plan: SeedPlan,
    seed: int,
    complete: Callable[[TablePlan, TableData], None],
    *,
    existing: dict[str, int] | None = None,
    sequence_offsets: dict[str, dict[str, int]] | None = None,
    stream: Callable[[TablePlan, set[str]], Callable[[TableData | None], None]] | None = None,
    done: dict[str, TableData] | None = None,
) -> dict[str, float]:
    """Generate every table in plan order; hand each to `complete` once all its columns exist.

    Returns the generation seconds per table. A table with columns deferred by a reference
    cycle is completed as soon as the tables those columns reference are generated. With
    `stream`, big tables are generated a chunk at a time and fed to it as they are made, so
    memory stays flat in the row count: only the columns later tables read are kept.
    """
    existing = existing or {}
    sequence_offsets = sequence_offsets or {}
    done = {} if done is None else dict(done)  # tables generated before (benchmarks)
    contexts: dict[str, Context] = {}
    waiting: dict[str, TablePlan] = {}
    gen_seconds: dict[str, float] = {}
    needed = needed_columns(plan)
    for tp in plan.tables:
        name = tp.table.name
        t0 = time.perf_counter()
        column_types = {c.name: c.type for c in tp.table.columns}
        column_types.update({f"ref:{r.column}": _ref_table(r) for r in tp.rules if r.kind == "ref"})
        table_seed = seed + 1_000_003 * existing.get(name, 0)
        if stream is not None and chunkable(tp):
            feed = stream(tp, {r.column for r in tp.rules if may_be_null(r)})
            kept: dict[str, list[Col]] = {c: [] for c in needed.get(name, set()) if any(r.column == c for r in tp.rules)}
            seen: dict[tuple[str, ...], np.ndarray] = {}
            shared: dict[object, object] = {}  # pools and self-reference roots, made once for all chunks
            for start in range(0, tp.rows, GENERATE_CHUNK_ROWS):
                n = min(GENERATE_CHUNK_ROWS, tp.rows - start)
                chunk_ctx = Context(table_seed, name, n, done, column_types, sequence_offsets.get(name), tp.scale,
                                    chunk=(start, tp.rows), shared=shared)
                _generate_rules(chunk_ctx, list(tp.rules), tp.unique_groups, seen)
                feed(TableData(name, n, chunk_ctx.cols))
                for c, parts in kept.items():
                    col = chunk_ctx.cols[c]
                    parts.append(Col(col.kind, np.asarray(col.values), nulls=col.nulls))
            feed(None)
            done[name] = TableData(name, tp.rows, {c: concat_cols(parts) for c, parts in kept.items()})
            gen_seconds[name] = time.perf_counter() - t0
            continue
        ctx = contexts[name] = Context(
            table_seed, name, tp.rows, done, column_types, sequence_offsets.get(name), tp.scale
        )
        _generate_rules(ctx, [r for r in tp.rules if r.column not in tp.deferred], tp.unique_groups)
        done[name] = TableData(name, tp.rows, ctx.cols)
        gen_seconds[name] = time.perf_counter() - t0
        if tp.deferred:
            waiting[name] = tp
        else:
            complete(tp, done[name])
            if stream is not None:  # written: keep only what later tables read
                keep = needed.get(name, set())
                done[name] = TableData(name, tp.rows, {c: v for c, v in ctx.cols.items() if c in keep})
                del contexts[name]
        for other, wp in list(waiting.items()):
            if all(_ref_table(r) in done for r in wp.rules if r.column in wp.deferred and r.kind == "ref"):
                t1 = time.perf_counter()
                _generate_rules(contexts[other], [r for r in wp.rules if r.column in wp.deferred], ())
                gen_seconds[other] += time.perf_counter() - t1
                complete(wp, done[other])
                del waiting[other]
    return gen_seconds


def generate_table(tp: TablePlan, seed: int, done: dict[str, TableData]) -> TableData:
    """One table's columns in memory (its referenced tables must be in `done`, no cycles); for benchmarks."""
    column_types = {c.name: c.type for c in tp.table.columns}
    column_types.update({f"ref:{r.column}": _ref_table(r) for r in tp.rules if r.kind == "ref"})
    ctx = Context(seed, tp.table.name, tp.rows, done, column_types, scale=tp.scale)
    _generate_rules(ctx, list(tp.rules), tp.unique_groups)
    return TableData(tp.table.name, tp.rows, ctx.cols)


def _generate_rules(
    ctx: Context, rules: list[Rule], groups: tuple[tuple[str, ...], ...],
    seen: dict[tuple[str, ...], np.ndarray] | None = None,
) -> None:
    by_column = {r.column: r for r in rules}
    for r in rules:
        if r.column in ctx.cols:
            continue
        component = _group_component(r.column, groups)
        if component:
            ctx.cols.update(_generate_unique_group(component, by_column, ctx, ctx.n, seen))
            continue
        ctx.cols[r.column] = generate(r, ctx)


def _group_component(column: str, groups: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    """The unique sets connected to `column` through shared columns: generated together, so that
    making one set unique never regenerates a column another set relies on."""
    found: list[tuple[str, ...]] = []
    columns = {column}
    changed = True
    while changed:
        changed = False
        for g in groups:
            if g not in found and columns & set(g):
                found.append(g)
                columns |= set(g)
                changed = True
    return found


def _trivially_unique(rule: Rule) -> bool:
    return rule.unique or rule.kind in ("sequence", "uuid")


def _generate_unique_group(
    groups: list[tuple[str, ...]], rules: dict[str, Rule], ctx: Context, n: int,
    seen: dict[tuple[str, ...], np.ndarray] | None = None,
) -> dict[str, Col]:
    """Columns unique together (memberships (org_id, user_id)): oversample, keep rows that are the
    first occurrence in every set. A set with a unique column (or a sequence) is unique already."""
    columns = list(dict.fromkeys(c for g in groups for c in g))
    missing = [c for c in columns if c not in rules]
    if missing:
        raise SeedError(f"tables.{ctx.table}: unique ({', '.join(groups[0])}) names {missing[0]}, which is not generated")
    open_groups = [g for g in groups if not any(_trivially_unique(rules[c]) for c in g)]
    order = _group_order(columns, rules, ctx)
    if not open_groups:
        out: dict[str, Col] = {}
        for c in order:
            out[c] = ctx.cols[c] = generate(rules[c], ctx, n)
        return out
    factor = 1.25
    kept = 0
    for _ in range(6):
        m = int(n * factor) + 16
        cols: dict[str, Col] = {}
        for c in order:  # later columns may depend on earlier ones (after, copy): same row count
            cols[c] = ctx.cols[c] = generate(rules[c], ctx, m)
        ok = np.ones(m, dtype=bool)
        hashes: dict[tuple[str, ...], np.ndarray] = {}
        for g in open_groups:
            if seen is None:
                frame = pd.DataFrame({c: cols[c].codes if cols[c].codes is not None else cols[c].values for c in g})
                ok &= ~frame.duplicated().to_numpy()
                continue
            # across chunks: the values themselves (pools differ by chunk), hashed; a hash collision
            # only drops a row that was unique after all
            h = pd.util.hash_pandas_object(
                pd.DataFrame({c: _hashable(cols[c]) for c in g}), index=False
            ).to_numpy()
            hashes[g] = h
            ok &= ~pd.Series(h).duplicated().to_numpy() & ~np.isin(h, seen.get(g, np.empty(0, np.uint64)))
        keep = np.flatnonzero(ok)
        kept = len(keep)
        for c in order:
            del ctx.cols[c]
        if kept >= n:
            if seen is None:
                return {c: col.take(keep[:n]) for c, col in cols.items()}
            # a random subset, in order: an ordered time column stays uniform inside its chunk
            keep = np.sort(ctx.rng(",".join(groups[0]), "keep").choice(keep, size=n, replace=False))
            for g, h in hashes.items():
                seen[g] = np.concatenate([seen.get(g, np.empty(0, np.uint64)), h[keep]])
            return {c: col.take(keep) for c, col in cols.items()}
        factor *= 2
    group = open_groups[0]
    raise SeedError(
        f"tables.{ctx.table}.columns.{','.join(group)}: unique ({', '.join(group)}) is impossible for {n} rows: "
        f"the rules give only about {kept} distinct combinations"
    )


def _hashable(col: Col) -> np.ndarray:
    values = np.asarray(col.values)
    if values.dtype.kind == "M":
        values = values.astype("datetime64[us]").astype(np.int64)
    if col.nulls is not None and col.nulls.any():
        values = values.astype(object)
        values[col.nulls] = None
    return values


def _group_order(columns: list[str], rules: dict[str, Rule], ctx: Context) -> list[str]:
    """Group columns with the ones they depend on first."""
    ordered: list[str] = []

    def visit(c: str) -> None:
        if c in ordered:
            return
        for d in rules[c].depends_on():
            if d in columns:
                visit(d)
        ordered.append(c)

    for c in columns:
        visit(c)
    return ordered


class CopyWorker:
    """Streams finished tables to the server with COPY in a thread, while the caller generates the next."""

    def __init__(self, conn: psycopg.Connection, reporter: Reporter) -> None:
        self.conn = conn
        self.reporter = reporter
        self.seconds: dict[str, float] = {}
        self._jobs: queue.Queue[tuple[TablePlan, TableData | _Stream] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pg-analyzer-copy", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def submit(self, tp: TablePlan, data: TableData) -> None:
        self._raise_error()
        self._jobs.put((tp, data))

    def stream(self, tp: TablePlan, nullable: set[str]) -> Callable[[TableData | None], None]:
        """Start one COPY fed chunk by chunk; the returned function takes chunks, then None.

        At most two chunks wait: generation runs ahead of the COPY by that much and no more.
        """
        self._raise_error()
        feed: queue.Queue[TableData | None] = queue.Queue(maxsize=2)
        self._jobs.put((tp, _Stream(feed, nullable)))

        def put(chunk: TableData | None) -> None:
            while True:
                self._raise_error()
                try:
                    feed.put(chunk, timeout=0.5)
                    return
                except queue.Full:
                    continue

        return put

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self._error = self._error or exc  # stop taking jobs; the transaction is rolled back anyway
        self._jobs.put(None)
        self._thread.join()
        if exc is None:
            self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                continue
            tp, data = job
            t0 = time.perf_counter()
            try:
                if isinstance(data, _Stream):
                    copy_stream(self.conn, tp, data, self.reporter)
                else:
                    copy_table(self.conn, tp, data, self.reporter)
                    self.seconds[tp.table.name] = time.perf_counter() - t0
            except BaseException as e:  # noqa: BLE001 - handed to the generating thread
                self._error = e


def copy_table(conn: psycopg.Connection, tp: TablePlan, data: TableData, reporter: Reporter) -> None:
    """Write a generated table with COPY: binary when every column has a binary encoder, else CSV."""
    name = tp.table.name
    types = {c.name: c.type for c in tp.table.columns}
    written = [r.column for r in tp.rules]
    encoder = binary_rows(name, [(c, types[c]) for c in written], data.cols)
    columns = encoder.columns if encoder is not None else written
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT {})").format(
        table_ident(name), sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL("binary" if encoder is not None else "csv"),
    )
    reporter.start(f"seed {name}", data.n)
    try:
        cursor = conn.cursor()
        # A writer thread sends one chunk while the next is encoded.
        with cursor.copy(stmt, writer=BoundedQueuedWriter(cursor)) as copy:
            if encoder is not None:
                copy.write(HEADER)
            for start in range(0, data.n, COPY_CHUNK_ROWS):
                stop = min(start + COPY_CHUNK_ROWS, data.n)
                copy.write(encoder.encode(start, stop) if encoder is not None else csv_chunk(columns, data.cols, start, stop))
                reporter.advance(stop - start)
            if encoder is not None:
                copy.write(TRAILER)
    except psycopg.Error as e:
        raise _copy_error(name, e) from None
    finally:
        reporter.finish()


def _copy_error(name: str, e: psycopg.Error) -> Exception:
    """What a failed COPY of generated rows means for the workload's rules (other errors pass on as they are)."""
    if isinstance(e, psycopg.errors.NotNullViolation):
        return SeedError(f"tables.{name}.columns.{e.diag.column_name}: NOT NULL column got NULLs: "
                         "declare a rule for it without null_fraction")
    if isinstance(e, (psycopg.errors.DataError, psycopg.errors.CheckViolation)):
        return SeedError(f"tables.{name}: generated values do not fit the column types: {e.diag.message_primary} "
                         f"({e.diag.context or ''})".strip())
    return e


@dataclass
class _Stream:
    feed: queue.Queue[TableData | None]
    nullable: set[str]


def copy_stream(conn: psycopg.Connection, tp: TablePlan, stream: _Stream, reporter: Reporter) -> None:
    """One COPY for a table that arrives in chunks (binary when the first chunk can be, else CSV)."""
    name = tp.table.name
    first = stream.feed.get()
    if first is None:
        return
    types = {c.name: c.type for c in tp.table.columns}
    written = [r.column for r in tp.rules]
    typed = [(c, types[c]) for c in written]
    probe = binary_rows(name, typed, first.cols, stream.nullable)
    columns = probe.columns if probe is not None else written
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT {})").format(
        table_ident(name), sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL("binary" if probe is not None else "csv"),
    )
    reporter.start(f"seed {name}", tp.rows)
    data: TableData | None = first
    try:
        cursor = conn.cursor()
        # Three stages at once: the generator makes chunk k+2, this thread encodes chunk k+1, the
        # writer's thread waits for the server to take chunk k (bounded, so memory stays flat).
        with cursor.copy(stmt, writer=BoundedQueuedWriter(cursor)) as copy:
            if probe is not None:
                copy.write(HEADER)
            pools = EncodedPools()
            while data is not None:
                encoder = binary_rows(name, typed, data.cols, stream.nullable, pools) if probe is not None else None
                for start in range(0, data.n, COPY_CHUNK_ROWS):
                    stop = min(start + COPY_CHUNK_ROWS, data.n)
                    copy.write(encoder.encode(start, stop) if encoder is not None
                               else csv_chunk(columns, data.cols, start, stop))
                    reporter.advance(stop - start)
                data = stream.feed.get()
            if probe is not None:
                copy.write(TRAILER)
    except psycopg.Error as e:
        raise _copy_error(name, e) from None
    finally:
        while data is not None:  # a failed COPY: let the generator finish its puts
            data = stream.feed.get()
        reporter.finish()


def column_stats(
    conn: psycopg.Connection, table: str, columns: list[str], rules: dict[str, str] | None = None
) -> tuple[ColumnStats, ...]:
    """pg_stats of every column with the rule that produced it, for the report and the statistics tests."""
    if not columns:
        return ()
    rules = rules or {}
    rows = conn.execute(
        """
        SELECT attname, n_distinct, null_frac,
               coalesce(most_common_vals::text, '{}'), coalesce(most_common_freqs, '{}')
        FROM pg_stats WHERE schemaname = %s AND tablename = %s AND attname = ANY(%s)
        """,
        (*schema_and_name(table), columns),
    ).fetchall()
    out = []
    for attname, n_distinct, null_frac, mcv_text, freqs in rows:
        mcv = _parse_array_text(mcv_text)[:5]
        out.append(
            ColumnStats(
                column=attname, n_distinct=float(n_distinct), null_frac=float(null_frac),
                most_common_vals=tuple(mcv), most_common_freqs=tuple(float(f) for f in list(freqs)[:5]),
                rule=rules.get(attname, "default (left to the server)"),
            )
        )
    order = {c: i for i, c in enumerate(columns)}
    return tuple(sorted(out, key=lambda s: order.get(s.column, 0)))


def _parse_array_text(text: str) -> list[str]:
    """Elements of a PostgreSQL array literal (enough for pg_stats' anyarray text)."""
    inner = text.strip()[1:-1]
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and i + 1 < len(inner):
            i += 1
            buf.append(inner[i])
        elif ch == "," and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if buf or inner:
        out.append("".join(buf))
    return out
