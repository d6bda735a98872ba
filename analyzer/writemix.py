"""The write mix whose cost an index adds to: the workload's declared `writes:`, or a synthesized one.

Declared writes run as declared: each `calls` times (else in proportion to its weight),
parameters sampled like a query's, a write in `steps:` form as its statements in order with
one parameter set. Each is tried once, as a run will, when the mix is built: one that fails
is an error, one that touches no row is said, and repeats that find nothing left to do are
not measured. When `writes:` is declared only the declared writes count. A workload that
declares none gets a synthesized mix per table: copies of sampled rows inserted as new rows
(identity and time-default columns take their defaults, unique text columns a suffix), updates
of the columns the queries filter or sort on, and of one column nothing reads (to see HOT
updates), each giving rows another sampled row's different value, and deletes; a synthesized
statement the schema rejects is dropped with a note.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pglast
import psycopg
from psycopg import sql

from analyzer.catalog import Catalog, Column, Table, read_catalog, table_ident
from analyzer.errors import QueryError
from analyzer.params import sample_param_sets
from analyzer.sequence_journal import sequences_put_back
from analyzer.workload import Statement, Workload

ROWS_PER_STATEMENT = 200  # rows each synthesized statement inserts, updates or deletes
DECLARED_EXECUTIONS = 100  # executions of declared writes per run, shared by weight
MAX_UPDATED_COLUMNS = 4
_TIME_DEFAULT = re.compile(
    r"^\(?(now\(\)|CURRENT_TIMESTAMP|CURRENT_DATE|LOCALTIMESTAMP|clock_timestamp\(\)|statement_timestamp\(\)"
    r"|transaction_timestamp\(\))", re.IGNORECASE,
)
_TEXT_TYPES = ("text", "citext", "character varying", "character")
_FIXED_WIDTH = ("integer", "bigint", "smallint", "boolean", "date", "timestamp", "numeric", "real", "double")


@dataclass(frozen=True)
class WriteStatement:
    """One statement of the mix with its parameters bound."""

    label: str
    table: str
    sql: sql.SQL | sql.Composed
    params: Mapping[str, Any] | Sequence[Any] = ()
    operations: int = 1  # application writes it stands for: 1 per declared execution, rows when synthesized
    tables: frozenset[str] = frozenset()  # every table it writes or whose indexes it consults (FK checks)
    group: str = ""  # the declared write it belongs to (its steps share it); the label when empty
    first_step: bool = True  # the first statement of one execution of its group

    @property
    def touches(self) -> frozenset[str]:
        """Tables whose indexes this statement maintains or probes: its targets and their referencing tables."""
        return self.tables or frozenset({self.table})

    @property
    def group_name(self) -> str:
        return self.group or self.label


@dataclass(frozen=True)
class WriteMix:
    """The statements one run executes, in order, and where they come from."""

    statements: tuple[WriteStatement, ...]
    tables: frozenset[str]
    sources: Mapping[str, str]  # table -> "declared" or "synthesized"
    notes: tuple[str, ...] = ()
    frequencies: Mapping[str, float] = field(default_factory=dict)  # declared group -> weight (queries' scale)

    def executions(self, group: str) -> int:
        """How many times one run executes the group (its first step), or the rows a synthesized one stands for."""
        stmts = [s for s in self.statements if s.group_name == group]
        if group in self.frequencies:
            return max(sum(1 for s in stmts if s.first_step), 1)
        return max(sum(s.operations for s in stmts), 1)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(s.group_name for s in self.statements))

    @property
    def operations(self) -> int:
        """Application writes one run stands for (to spread its time over)."""
        return sum(s.operations for s in self.statements)

    def describe(self) -> str:
        """One line: how many statements of which origin on which tables."""
        parts = [f"{t} ({self.sources.get(t, '?')})" for t in sorted(self.tables)]
        return f"{len(self.statements)} write statements on {', '.join(parts) or 'no table'}"


def build_write_mix(
    conn: psycopg.Connection,
    workload: Workload,
    tables: set[str] | None,
    seed: int,
    *,
    update_columns: Mapping[str, Sequence[str]] | None = None,
    rows_per_statement: int = ROWS_PER_STATEMENT,
) -> WriteMix:
    """The declared writes touching `tables`, and a synthesized mix for each of `tables` none touches.

    With `tables` None: every declared write, or when there are none a mix synthesized for each
    of the workload's tables. `update_columns` names, per table, the columns the synthesized updates change (the advisor
    passes its candidates' columns); by default the columns the workload's queries filter and sort on.
    """
    catalog = read_catalog(conn)
    wanted = set(tables) if tables is not None else set(workload.tables) or set(catalog.tables)
    declared: list[tuple[Statement, set[str]]] = [
        (w, write_targets(w, catalog) | referencing_tables(catalog, write_targets(w, catalog))) for w in workload.writes
    ]
    chosen = [(w, targets) for w, targets in declared if targets & wanted]
    statements: list[WriteStatement] = []
    sources: dict[str, str] = {}
    notes: list[str] = []
    if chosen:
        declared_statements, declared_notes = _declared_statements(conn, catalog, [w for w, _ in chosen], seed)
        statements += declared_statements
        notes += declared_notes
        for _, targets in chosen:
            sources.update({t: "declared" for t in targets})
    if workload.writes:
        # the workload says what it writes: a table no declared write touches is not written
        to_synthesize: set[str] = set()
        unwritten = sorted(wanted - set(sources))
        if unwritten:
            notes.append(f"writes are declared, so only they count: no write touches {', '.join(unwritten)} "
                         "(writes are synthesized only for workloads that declare none)")
    else:
        to_synthesize = wanted
        if to_synthesize:
            notes.append("the workload declares no writes: the write mix is synthesized from the schema")
    for name in sorted(to_synthesize):
        table = catalog.tables.get(name)
        if table is None:
            notes.append(f"{name}: no such table, no writes")
            continue
        columns = list(update_columns.get(name, ())) if update_columns else _query_columns(workload, catalog, name)
        synthesized, table_notes = synthesize_table_mix(conn, catalog, table, columns, seed, rows_per_statement)
        statements += synthesized
        notes += table_notes
        sources[name] = "synthesized"
    frequencies = {w.name: w.weight for w, _ in chosen}
    return WriteMix(statements=tuple(statements), tables=frozenset(sources) | {t for s in statements for t in s.touches},
                    sources=sources, notes=tuple(notes), frequencies=frequencies)


def referencing_tables(catalog: Catalog, targets: set[str]) -> set[str]:
    """Tables with a foreign key to one of `targets` (transitively): a delete or key update there
    checks (or cascades into) them, so their indexes change what the write costs."""
    found: set[str] = set()
    frontier = set(targets)
    while frontier:
        nxt = {t.name for t in catalog.tables.values() for fk in t.foreign_keys
               if fk.ref_table in frontier and t.name not in found | targets}
        found |= nxt
        frontier = nxt
    return found


def write_targets(stmt: Statement, catalog: Catalog) -> set[str]:
    """The tables a write statement inserts into, updates or deletes from (data-modifying CTEs too), as
    catalog keys: `app.orders` as is, a bare name through the search path."""
    targets: set[str] = set()
    try:
        tree = pglast.parse_sql(stmt.positional_sql)
    except pglast.parser.ParseError:
        return targets
    for raw in tree:
        _collect_targets(raw.stmt, catalog, targets)
    return targets


def _collect_targets(node: Any, catalog: Catalog, out: set[str]) -> None:
    from analyzer.advisor.sqlshape import relation_key

    relation = getattr(node, "relation", None)
    if type(node).__name__ in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt") and relation is not None:
        out.add(relation_key(relation, catalog))
    with_clause = getattr(node, "withClause", None)
    for cte in (with_clause.ctes or ()) if with_clause is not None else ():
        _collect_targets(cte.ctequery, catalog, out)


def _declared_statements(
    conn: psycopg.Connection, catalog: Catalog, writes: list[Statement], seed: int
) -> tuple[list[WriteStatement], list[str]]:
    """Each declared write executed `calls` times (else in proportion to its weight, at least once),
    sampled parameters each time; a write in `steps:` form runs its steps in order with one parameter set."""
    total = sum(w.weight for w in writes) or 1.0
    out: list[WriteStatement] = []
    for w in writes:
        count = w.calls or max(1, round(DECLARED_EXECUTIONS * w.weight / total))
        param_sets = sample_param_sets(conn, w, count, seed) if w.params else [{}]
        targets = write_targets(w, catalog)
        touched = frozenset(targets | referencing_tables(catalog, targets))
        table = min(targets) if targets else "?"
        steps = w.steps or (w,)
        for i in range(count):
            params = param_sets[i % len(param_sets)]
            for n, step in enumerate(steps):
                label = w.name if not w.steps else f"{w.name} step {n + 1}"
                out.append(WriteStatement(label, table, sql.SQL(step.psycopg_sql), params, tables=touched,
                                          group=w.name, first_step=n == 0))
    return _check_declared(conn, out)


def _check_declared(
    conn: psycopg.Connection, statements: list[WriteStatement]
) -> tuple[list[WriteStatement], list[str]]:
    """Run the declared writes once as a measured run will, rolled back: a write that fails here would
    spoil every run; one that touches no row measures nothing, so it is said; and repeats of a
    one-shot statement (a purge) that find nothing left to do are not measured as if they worked."""
    rows: dict[int, int] = {}  # first-step index -> rows the execution touched (all its steps)
    start = 0
    tables = {t for s in statements for t in (s.tables or {s.table})}
    with sequences_put_back(conn, tables), conn.transaction(force_rollback=True):
        for i, stmt in enumerate(statements):
            if stmt.first_step:
                start = i
                rows[start] = 0
            try:
                with conn.transaction():
                    cur = conn.execute(stmt.sql, stmt.params)
            except psycopg.Error as e:
                raise QueryError(f"write '{stmt.label}': {e.diag.message_primary or e}") from None
            rows[start] += max(cur.rowcount, 0)
    notes: list[str] = []
    kept: list[WriteStatement] = []
    executions: list[list[WriteStatement]] = []
    for stmt in statements:
        if stmt.first_step:
            executions.append([])
        executions[-1].append(stmt)
    by_group: dict[str, list[tuple[list[WriteStatement], int]]] = {}
    index = 0
    for execution in executions:
        by_group.setdefault(execution[0].group_name, []).append((execution, rows[index]))
        index += len(execution)
    for group, runs in by_group.items():
        working = [execution for execution, n in runs if n > 0]
        if not working:
            notes.append(f"write '{group}' touched no row in {len(runs)} execution(s): it measures nothing "
                         "(check its parameters, or the order of its steps)")
            working = [runs[0][0]]
        elif len(working) < len(runs):
            notes.append(f"write '{group}': {len(runs) - len(working)} of {len(runs)} executions touched no row "
                         f"(nothing left to do once it ran): measured {len(working)} time(s), as it does work")
        for execution in working:
            kept += execution
    return kept, notes


def _query_columns(workload: Workload, catalog: Catalog, table: str) -> list[str]:
    """Columns of `table` the workload's queries filter or sort on, most weighted first."""
    from analyzer.advisor.sqlshape import analyze_statement

    t = catalog.tables[table]
    names = {c.name for c in t.columns}
    score: Counter[str] = Counter()
    for q in workload.queries:
        try:
            accesses = analyze_statement(q.positional_sql, catalog)
        except Exception:  # noqa: BLE001, S112 - a statement the shape reader cannot follow adds no column
            continue
        for a in accesses:
            if a.table != table:
                continue
            used: set[str] = {c for c, _ in a.order_by}
            for p in a.predicates:
                if p.column is not None:
                    used.add(p.column)
                elif p.expression:
                    used |= {w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", p.expression) if w in names}
            for c in used & names:
                score[c] += int(q.weight * 100)
    return [c for c, _ in score.most_common()]


def synthesize_table_mix(
    conn: psycopg.Connection,
    catalog: Catalog,
    table: Table,
    columns: Sequence[str],
    seed: int,
    rows_per_statement: int = ROWS_PER_STATEMENT,
) -> tuple[list[WriteStatement], list[str]]:
    """Inserts, updates of `columns` (and of one column no index or query uses), deletes; plus notes."""
    notes: list[str] = []
    key = _row_key(table)
    fixed = {c for u in _unique_sets(table) for c in u}
    updatable = [c for c in columns if _updatable(table, c, fixed)][:MAX_UPDATED_COLUMNS]
    untouched = _untouched_columns(table, set(columns) | set(updatable))
    update_cols = updatable + untouched[:1] if key != "ctid" else []
    if key == "ctid":
        notes.append(f"{table.name}: no one-column key, so the synthesized mix has no updates")
    kinds = 2 + len(update_cols)  # insert sources, deletes, one row set per updated column
    rng = np.random.default_rng([seed, zlib.crc32(table.name.encode())])
    keys = _sample_keys(conn, table, key, rows_per_statement * kinds, rng, seed)
    if not keys:
        notes.append(f"{table.name}: empty, no synthesized writes")
        return [], notes
    per = max(1, len(keys) // kinds)
    chunks = [keys[i * per:(i + 1) * per] for i in range(kinds)]
    candidates: list[WriteStatement] = [_insert_copies(table, key, chunks[0])]
    for i, col in enumerate(updatable if key != "ctid" else []):
        stmt = _update_to_other_values(conn, table, key, col, chunks[2 + i], keys, seed)
        if stmt is None:
            notes.append(f"{table.name}.{col}: fewer than two distinct values in the sample, not updated")
        else:
            candidates.append(stmt)
    for col in untouched if key != "ctid" else []:  # the first that can change
        stmt = _update_to_other_values(conn, table, key, col, chunks[-1], keys, seed)
        if stmt is not None:
            candidates.append(stmt)
            break
    blocker = _unindexed_referencer(catalog, table)
    if blocker:
        notes.append(f"{table.name}: no synthesized deletes: each would scan {blocker} (no index on its foreign key)")
    else:
        candidates.append(_delete(table, key, chunks[1]))
    statements = _keep_working(conn, candidates, notes)
    return statements, notes


def _row_key(table: Table) -> str:
    pk = table.primary_key
    if len(pk) == 1:
        return pk[0]
    for cols in table.unique_sets:
        col = table.column(cols[0]) if len(cols) == 1 else None
        if col is not None and col.not_null:
            return col.name
    return "ctid"


def _unique_sets(table: Table) -> list[tuple[str, ...]]:
    sets = {tuple(u) for u in table.unique_sets}
    sets |= {tuple(i.columns) for i in table.indexes if i.unique}
    return sorted(sets)


def _is_text(col: Column) -> bool:
    return col.type.startswith(_TEXT_TYPES)


def _has_own_default(col: Column) -> bool:
    """Identity, serial and time-of-insert defaults: a new row gets a new value, as in the application."""
    if col.identity:
        return True
    default = col.default or ""
    return default.startswith("nextval(") or bool(_TIME_DEFAULT.match(default))


def _updatable(table: Table, name: str, fixed: set[str]) -> bool:
    col = table.column(name)
    return col is not None and not col.generated and not col.identity and name not in fixed


def _untouched_columns(table: Table, used: set[str]) -> list[str]:
    """Columns no index covers and no query filters on: updating one should stay HOT. Fixed width first."""
    indexed = {c for i in table.indexes for c in i.columns}
    fks = {c for fk in table.foreign_keys for c in fk.columns}
    fixed = {c for u in _unique_sets(table) for c in u}
    eligible = [
        c for c in table.columns
        if c.name not in used | indexed | fks | fixed and not c.generated and not c.identity
        and not c.type.endswith("[]") and c.type not in ("json", "jsonb")
    ]
    eligible.sort(key=lambda c: (not c.type.startswith(_FIXED_WIDTH), not c.not_null))
    return [c.name for c in eligible]


def _unindexed_referencer(catalog: Catalog, table: Table) -> str | None:
    """A table whose foreign key to `table` has no index leading with its columns (deletes would scan it)."""
    for other in catalog.tables.values():
        for fk in other.foreign_keys:
            if fk.ref_table != table.name:
                continue
            n = len(fk.columns)
            if not any(set(i.columns[:n]) == set(fk.columns) for i in other.indexes):
                return f"{other.name}.{', '.join(fk.columns)}"
    return None


def _sample_keys(
    conn: psycopg.Connection, table: Table, key: str, n: int, rng: np.random.Generator, seed: int
) -> list[Any]:
    """Up to `n` distinct row keys, a repeatable sample spread over the whole table."""
    estimate = max(table.rows_estimate, 0)
    percent = 100.0 if estimate <= n * 3 else max(0.001, min(100.0, 100.0 * n * 3 / estimate))
    key_expr = sql.SQL("ctid::text") if key == "ctid" else sql.Identifier(key)
    rows = conn.execute(
        sql.SQL("SELECT {k} FROM {t} TABLESAMPLE BERNOULLI ({p}) REPEATABLE ({s})").format(
            k=key_expr, t=table_ident(table.name), p=sql.Literal(percent), s=sql.Literal(seed)
        )
    ).fetchall()
    if len(rows) < n and percent < 100:
        rows = conn.execute(sql.SQL("SELECT {k} FROM {t}").format(k=key_expr, t=table_ident(table.name))).fetchall()
    keys = [r[0] for r in rows]
    picked = rng.permutation(len(keys))[:n]
    return [keys[i] for i in picked]


def _key_match(key: str, alias: str | None = None) -> sql.Composable:
    """`key = ANY(%s)` (ctid keys travel as text)."""
    col: sql.Composable = sql.Identifier(key) if key != "ctid" else sql.SQL("ctid")
    if alias:
        col = sql.SQL("{}.{}").format(sql.Identifier(alias), col)
    cast = sql.SQL("::tid[]") if key == "ctid" else sql.SQL("")
    return sql.SQL("{} = ANY(%s{})").format(col, cast)


def _insert_copies(table: Table, key: str, keys: list[Any]) -> WriteStatement:
    """New rows like existing ones: copies of sampled rows, with what must differ made to differ."""
    cols = [c for c in table.columns if not c.generated and c.identity != "a" and not _has_own_default(c)]
    names = {c.name for c in cols}
    suffixed: set[str] = set()
    shifted: set[str] = set()
    fresh: dict[str, sql.Composable] = {}
    for u in _unique_sets(table):
        if not all(u) or not set(u) <= names:
            continue  # an expression, or a column that takes a new default: already new
        if any(c in suffixed | shifted | set(fresh) for c in u):
            continue
        text = next((c for c in u if _is_text(table.column(c))), None)  # type: ignore[arg-type]
        new_value = _fresh_value(table, u[0]) if len(u) == 1 else None
        if text is not None:
            suffixed.add(text)
        elif new_value is not None:
            fresh[u[0]] = new_value
        elif len(u) > 1:
            shifted |= set(u[1:])  # pair each row's first key column with the next row's others
        else:
            shifted.add(u[0])
    order = sql.SQL("ctid") if key == "ctid" else sql.Identifier(key)
    values: list[sql.Composable] = []
    for c in cols:
        ident = sql.Identifier(c.name)
        if c.name in fresh:
            values.append(fresh[c.name])
        elif c.name in suffixed:
            values.append(sql.SQL("{c} || '~' || (row_number() OVER (ORDER BY {o}))::text").format(c=ident, o=order))
        elif c.name in shifted:
            values.append(sql.SQL("lead({c}) OVER (ORDER BY {o})").format(c=ident, o=order))
        else:
            values.append(ident)
    column_list = sql.SQL(", ").join(sql.Identifier(c.name) for c in cols)
    inner = sql.SQL("SELECT {vals} FROM {t} WHERE {match}").format(
        vals=sql.SQL(", ").join(sql.SQL("{} AS {}").format(v, sql.Identifier(c.name)) for v, c in zip(values, cols)),
        t=table_ident(table.name), match=_key_match(key),
    )
    not_null = sql.SQL(" AND ").join(sql.SQL("s.{} IS NOT NULL").format(sql.Identifier(c)) for c in sorted(shifted))
    stmt = sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM ({inner}) s{where}{conflict}").format(
        t=table_ident(table.name), cols=column_list, inner=inner,
        where=sql.SQL(" WHERE ") + not_null if shifted else sql.SQL(""),
        conflict=sql.SQL(" ON CONFLICT DO NOTHING") if shifted else sql.SQL(""),
    )
    return WriteStatement(f"insert {table.name}", table.name, stmt, (keys,), operations=len(keys))


def _fresh_value(table: Table, name: str) -> sql.Composable | None:
    """A value no row has yet, for a one-column unique key without a default (integers, UUIDs)."""
    col = table.column(name)
    if col is None:
        return None
    if col.type in ("integer", "bigint", "smallint"):
        return sql.SQL("(SELECT max({c}) FROM {t}) + row_number() OVER ()").format(
            c=sql.Identifier(name), t=table_ident(table.name)
        )
    if col.type == "uuid":
        return sql.SQL("gen_random_uuid()")
    return None


def _update_to_other_values(
    conn: psycopg.Connection, table: Table, key: str, column: str, targets: list[Any], pool: list[Any], seed: int
) -> WriteStatement | None:
    """Give each target row the value of another sampled row whose value differs (a real change)."""
    rows = conn.execute(
        sql.SQL("SELECT {k}, {c}::text FROM {t} WHERE {k} = ANY(%s)").format(
            k=sql.Identifier(key), c=sql.Identifier(column), t=table_ident(table.name)
        ),
        (pool,),
    ).fetchall()
    text_of = {r[0]: r[1] for r in rows}
    by_value: dict[str | None, list[Any]] = {}
    for k in pool:
        if k in text_of:
            by_value.setdefault(text_of[k], []).append(k)
    if len(by_value) < 2:
        return None
    values = list(by_value)
    rng = np.random.default_rng([seed, zlib.crc32(f"{table.name}.{column}".encode())])
    pairs: list[tuple[Any, Any]] = []
    for k in targets:
        current = text_of.get(k)
        other = values[int(rng.integers(len(values)))]
        if other == current:
            other = values[(values.index(other) + 1) % len(values)]
        donors = by_value[other]
        pairs.append((k, donors[int(rng.integers(len(donors)))]))
    stmt = sql.SQL(
        "UPDATE {t} AS x SET {c} = d.{c} FROM unnest(%s, %s) AS u(k, dk) JOIN {t} AS d ON d.{k} = u.dk WHERE x.{k} = u.k"
    ).format(t=table_ident(table.name), c=sql.Identifier(column), k=sql.Identifier(key))
    return WriteStatement(
        f"update {table.name}.{column}", table.name, stmt, ([p[0] for p in pairs], [p[1] for p in pairs]),
        operations=len(pairs),
    )


def _delete(table: Table, key: str, keys: list[Any]) -> WriteStatement:
    stmt = sql.SQL("DELETE FROM {t} WHERE {match}").format(t=table_ident(table.name), match=_key_match(key))
    return WriteStatement(f"delete {table.name}", table.name, stmt, (keys,), operations=len(keys))


def _keep_working(conn: psycopg.Connection, statements: Iterable[WriteStatement], notes: list[str]) -> list[WriteStatement]:
    """Try each statement once, rolled back; drop (with a note) what the schema rejects."""
    kept: list[WriteStatement] = []
    statements = list(statements)
    with sequences_put_back(conn, {s.table for s in statements}), conn.transaction(force_rollback=True):
        for stmt in statements:
            try:
                with conn.transaction():
                    conn.execute(stmt.sql, stmt.params)
                kept.append(stmt)
            except psycopg.Error as e:
                notes.append(f"{stmt.label}: dropped from the mix: {e.diag.message_primary or e}")
    return kept
