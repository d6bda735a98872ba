"""A range-partitioned table on a real server: its partitions and their indexes are seen as the
table and the index the user created, by the expectations, the advisor and the report.

`payment` is partitioned by month like pagila's (six partitions, a primary key and a foreign key
on each partition); the index under test is created on the parent, so plans show it under each
partition's own index name (`payment_p2024_03_customer_id_idx`). Assertions are on names and
plans, never on timings.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest

from analyzer import runner
from analyzer.cli import main
from analyzer.partitions import PartitionLookup, resolve_partitions
from analyzer.plan import parse_explain
from tests.integration.test_advisor import _free_writes

MONTHS = [f"2024_{m:02d}" for m in range(1, 7)]

SETUP = """
CREATE TABLE customer (customer_id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO customer SELECT i, 'customer ' || i FROM generate_series(1, 2000) i;
CREATE TABLE payment (
    payment_id   bigint NOT NULL,
    customer_id  integer NOT NULL,
    amount       numeric(6, 2) NOT NULL,
    payment_date timestamptz NOT NULL
) PARTITION BY RANGE (payment_date);
""" + "".join(f"""
CREATE TABLE payment_p{m} PARTITION OF payment
    FOR VALUES FROM ('{m[:4]}-{m[5:]}-01') TO ('{m[:4]}-{m[5:]}-01'::date + interval '1 month');
ALTER TABLE payment_p{m} ADD PRIMARY KEY (payment_id);
ALTER TABLE payment_p{m} ADD FOREIGN KEY (customer_id) REFERENCES customer (customer_id);
""" for m in MONTHS) + """
INSERT INTO payment
SELECT i, 1 + i % 2000, (i % 1000) / 10.0, timestamptz '2024-01-01' + (i % 181) * interval '1 day' + (i % 86400) * interval '1 second'
FROM generate_series(1, 120000) i;
"""

QUERY = ("SELECT payment_id, amount FROM payment WHERE customer_id = :customer_id "
         "AND payment_date >= '2024-03-01' AND payment_date < '2024-04-01'")

WORKLOAD = f"""
name: partitions
seed: false
replay: {{param_sets: 2, runs: 3, warmup: 1, budget_s: 1, statement_timeout_s: 30}}
queries:
  - name: march_by_customer
    sql: "{QUERY}"
    params:
      customer_id: {{values: [7, 1234]}}
    expect:
      index_on: payment
      uses_index: payment_customer_id_idx
      no_seq_scan: [payment]
  - name: big_amounts
    sql: SELECT payment_id FROM payment WHERE amount > 99.5
    expect:
      no_seq_scan: [payment]
"""


def _prepare(dsn: str, tmp: Path, parent_index: bool) -> Path:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SETUP)
        if parent_index:
            conn.execute("CREATE INDEX payment_customer_id_idx ON payment (customer_id)")
        conn.execute("ANALYZE")
    path = tmp / "partitions.yaml"
    path.write_text(textwrap.dedent(WORKLOAD))
    return path


def _checks(report: dict[str, Any], query: str) -> dict[str, dict[str, Any]]:
    q = next(q for q in report["queries"] if q["name"] == query)
    return {c["name"]: c for c in q["checks"]}


def test_plans_name_the_partitioned_table_and_index(fresh_db: str, tmp_path: Path) -> None:
    _prepare(fresh_db, tmp_path, parent_index=True)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        row = conn.execute("EXPLAIN (FORMAT JSON) " + QUERY.replace(":customer_id", "7")).fetchone()
        assert row is not None
        plan = resolve_partitions(conn, parse_explain(row[0]))
    tables = [n for n in plan.nodes() if n.relation]
    assert tables and {n.relation for n in tables} == {"payment_p2024_03"}  # pruned to March
    assert {n.table for n in tables} == {"payment"}
    assert "(partition of payment)" in tables[0].label()
    indexes = [n for n in plan.nodes() if n.index_name]
    assert indexes and all(n.index_name.startswith("payment_p2024_03_") for n in indexes if n.index_name)
    assert {n.index for n in indexes} == {"payment_customer_id_idx"}
    assert "payment_customer_id_idx" in plan.index_names


def test_the_lookup_resolves_partitions_and_asks_nothing_per_plan_where_there_are_none(
        fresh_db: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE plain (id int PRIMARY KEY)")
        row = conn.execute("EXPLAIN (FORMAT JSON) SELECT id FROM plain WHERE id = 1").fetchone()
        assert row is not None
        plain = parse_explain(row[0])
        none_here = PartitionLookup(conn)
        assert none_here.resolve(plain) is plain  # no partition in the database: the plan as it came
        _prepare(fresh_db, tmp_path, parent_index=True)
        conn.execute("SET enable_seqscan = off")
        row = conn.execute("EXPLAIN (FORMAT JSON) " + QUERY.replace(":customer_id", "7")).fetchone()
        assert row is not None
        plan = PartitionLookup(conn).resolve(parse_explain(row[0]))
        assert {n.table for n in plan.nodes() if n.relation} == {"payment"}
        assert "payment_customer_id_idx" in plan.index_names


def test_expectations_and_report_see_the_parent_index(fresh_db: str, tmp_path: Path) -> None:
    workload = _prepare(fresh_db, tmp_path, parent_index=True)
    out = tmp_path / "out"
    code = main(["run", str(workload), "--dsn", fresh_db, "--out", str(out), "--quiet"])
    report = json.loads((out / "report.json").read_text())
    march = _checks(report, "march_by_customer")
    for name in ("expect.index_on", "expect.uses_index", "expect.no_seq_scan"):
        assert march[name]["passed"], march[name]["detail"]
    big = _checks(report, "big_amounts")["expect.no_seq_scan"]
    assert not big["passed"] and "partition of payment" in big["detail"]
    assert code == 1  # big_amounts seq-scans the partitions
    html = (out / "report.html").read_text()
    assert "payment_p2024_03 (partition of payment)" in html
    assert "of payment_customer_id_idx)" in html


def test_the_advisor_recognizes_an_index_built_on_the_parent(fresh_db: str, tmp_path: Path) -> None:
    workload = _prepare(fresh_db, tmp_path, parent_index=False)
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "measured_write_costs", _free_writes)
        code = main(["advise", str(workload), "--dsn", fresh_db, "--allow-ddl", "--out", str(out), "--quiet"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    recs = [r for r in report["recommendations"] if r["table"] == "payment"]
    chosen = [r for r in recs if r["chosen"]]
    assert chosen, [(r["ddl"], r["reason"]) for r in recs]
    rec = next(r for r in chosen if any(q["query"] == "march_by_customer" for q in r["queries"]))
    assert rec["proven"] and "customer_id" in rec["ddl"]
    entry = next(q for q in rec["queries"] if q["query"] == "march_by_customer")
    assert entry["uses_index"]
    assert rec["name"] in json.dumps(entry["plan_after"])  # as "Index Partition Of" of the partition's index
