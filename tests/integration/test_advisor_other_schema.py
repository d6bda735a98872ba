"""The advisor end to end on a table outside public, with that schema off the search path.

`app.orders` (50,000 rows from generate_series) is read by a query that names it qualified,
on a database whose search_path is `public` alone: the candidate must be on `app.orders`, be
built, measured and dropped there, and indexes.sql must create it `ON app.orders` (in schema
app) while indexes.down.sql drops it there again. With a `public.orders` of opposite data
beside it, a query on `app.orders` gets its index on app's table and a query on the bare
`orders` (public, by the search path) on public's. With --allow-writes, the write mix (declared
or synthesized) runs on app.orders and prices the candidate.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from analyzer.cli import main

# customer_id: 5,000 values of 10 rows each; region_id: 4 values
APP_ORDERS = """
CREATE SCHEMA app;
CREATE TABLE app.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, region_id int NOT NULL, note text NOT NULL);
INSERT INTO app.orders SELECT i, i % 5000, i % 4, repeat('x', 40) FROM generate_series(1, 50000) i;
"""

# the other way round: 4 customers, 5,000 regions
PUBLIC_ORDERS = """
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, region_id int NOT NULL, note text NOT NULL);
INSERT INTO public.orders SELECT i, i % 4, i % 5000, repeat('y', 40) FROM generate_series(1, 50000) i;
"""

WORKLOAD = """
name: other_schema
seed: false
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 1, statement_timeout_s: 30}
queries:
  - name: app_by_customer
    sql: SELECT id, region_id FROM app.orders WHERE customer_id = :customer
    params:
      customer: {values: [17, 4242]}
"""

BARE_QUERY = """
  - name: public_by_region
    sql: SELECT id, customer_id FROM orders WHERE region_id = :region
    params:
      region: {values: [17, 4242]}
"""


def _prepare(dsn: str, setup: str) -> None:
    """The tables, analyzed, and a search path without app for every later session (the CLI's too)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(setup)
        conn.execute("ANALYZE")
        db = conn.execute("SELECT current_database()").fetchone()
        assert db is not None
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path = public").format(sql.Identifier(db[0])))
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT current_schemas(false)").fetchone()
        assert row is not None and row[0] == ["public"]


def _advise(dsn: str, tmp_path: Path, workload: str) -> tuple[dict[str, Any], Path]:
    path = tmp_path / "workload.yaml"
    path.write_text(textwrap.dedent(workload))
    out = tmp_path / "out"
    assert main(["advise", str(path), "--dsn", dsn, "--allow-ddl", "--out", str(out), "--quiet"]) == 0
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report, out


def _chosen(report: dict[str, Any], query: str) -> list[dict[str, Any]]:
    return [r for r in report["recommendations"] if r["chosen"] and any(q["query"] == query for q in r["queries"])]


def _pga_indexes(dsn: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT schemaname, tablename, indexname FROM pg_indexes "
                            "WHERE indexname LIKE 'pga%' ORDER BY 1, 2, 3").fetchall()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _apply(dsn: str, path: Path) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:  # CONCURRENTLY: outside a transaction
        for statement in _statements(path):
            conn.execute(statement)


def test_an_index_on_a_table_outside_the_search_path(fresh_db: str, tmp_path: Path) -> None:
    _prepare(fresh_db, APP_ORDERS)
    report, out = _advise(fresh_db, tmp_path, WORKLOAD)
    chosen = _chosen(report, "app_by_customer")
    assert chosen, [(r["ddl"], r["reason"]) for r in report["recommendations"]]
    rec = chosen[0]
    assert rec["table"] == "app.orders" and rec["proven"]
    assert " ON app.orders (customer_id" in rec["ddl"], rec["ddl"]
    assert "." not in rec["name"] and rec["name"].startswith("pga_app_orders_customer_id_")
    served = next(q for q in rec["queries"] if q["query"] == "app_by_customer")
    assert served["uses_index"] and served["after_buffers"] * 10 < served["before_buffers"], served
    assert all(r["table"] == "app.orders" for r in report["recommendations"])
    assert _pga_indexes(fresh_db) == []  # everything built was dropped, in app too

    up = (out / "indexes.sql").read_text()
    assert f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {rec['name']} ON app.orders (customer_id" in up, up
    assert f"DROP INDEX CONCURRENTLY IF EXISTS app.{rec['name']};" in (out / "indexes.down.sql").read_text()
    _apply(fresh_db, out / "indexes.sql")
    assert (("app", "orders", rec["name"]) in _pga_indexes(fresh_db))
    assert all(schema == "app" for schema, _, _ in _pga_indexes(fresh_db))
    _apply(fresh_db, out / "indexes.down.sql")
    assert _pga_indexes(fresh_db) == []


def test_a_public_table_of_the_same_name_does_not_take_the_candidate(fresh_db: str, tmp_path: Path) -> None:
    """app's customer_id is selective and public's is not (and the other way round for region_id): an index
    proposed on the wrong table would serve nothing, and the keys would follow the wrong statistics."""
    _prepare(fresh_db, APP_ORDERS + PUBLIC_ORDERS)
    report, out = _advise(fresh_db, tmp_path, WORKLOAD + BARE_QUERY)
    for r in report["recommendations"]:
        assert (r["table"], r["ddl"].split(" ON ")[1].split(" (")[0]) in (("app.orders", "app.orders"),
                                                                          ("orders", "orders")), r["ddl"]
    on_app = _chosen(report, "app_by_customer")
    on_public = _chosen(report, "public_by_region")
    assert on_app and all(r["table"] == "app.orders" and "(customer_id" in r["ddl"] for r in on_app), on_app
    assert on_public and all(r["table"] == "orders" and "(region_id" in r["ddl"] for r in on_public), on_public
    assert not any(r["table"] == "orders" and "customer_id" in r["ddl"].split("(")[1] for r in report["recommendations"])
    assert _pga_indexes(fresh_db) == []

    _apply(fresh_db, out / "indexes.sql")
    built = _pga_indexes(fresh_db)
    assert {(s, t) for s, t, _ in built} == {("app", "orders"), ("public", "orders")}, built
    assert {n for s, _, n in built if s == "app"} == {r["name"] for r in on_app}
    _apply(fresh_db, out / "indexes.down.sql")
    assert _pga_indexes(fresh_db) == []


WRITES = """
writes:
  - name: ingest
    weight: 0.1
    calls: 2
    sql: |
      INSERT INTO app.orders (id, customer_id, region_id, note)
      SELECT CAST(:base AS bigint) + g, g % 5000, g % 4, 'z' FROM generate_series(1, 500) g
    params:
      base: {values: [100000, 200000]}
"""


@pytest.mark.parametrize("writes", ["declared", "synthesized"])
def test_the_write_costs_of_an_index_outside_public_are_measured(fresh_db: str, tmp_path: Path, writes: str) -> None:
    """The declared insert into app.orders maintains the candidate, as do the writes synthesized for app.orders
    when none is declared: the write mix (run with --allow-writes, rolled back) must find them writes on the
    candidate's table and measure the WAL the index adds."""
    _prepare(fresh_db, APP_ORDERS)
    path = tmp_path / "workload.yaml"
    path.write_text(textwrap.dedent(WORKLOAD) + (textwrap.dedent(WRITES) if writes == "declared" else ""))
    out = tmp_path / "out"
    code = main(["advise", str(path), "--dsn", fresh_db, "--allow-ddl", "--allow-writes", "--out", str(out), "--quiet"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    rec = _chosen(report, "app_by_customer")[0]
    assert rec["table"] == "app.orders"
    overhead = rec["write_overhead"]
    assert overhead is not None and overhead["wal_bytes"] > 0, rec
    statements = [s["write"] for s in overhead["statements"]]
    if writes == "declared":
        assert statements == ["ingest"]
    else:
        assert "insert app.orders" in statements and "delete app.orders" in statements, statements
    assert _pga_indexes(fresh_db) == []
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM app.orders").fetchone() == (50000,)
