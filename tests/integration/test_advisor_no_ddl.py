"""The advisor on a target where DDL is not allowed: nothing is built, candidates are unproven,
and with HypoPG installed they carry the planner's estimates, labelled as such."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from analyzer.cli import main

ORDERS = """\
name: orders
schema: |
  CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                       created_at timestamptz NOT NULL, note text);
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 2}
tables:
  orders:
    rows: 60000
    columns:
      customer_id: {int: {min: 1, max: 5000}}
      status: {choice: {shipped: 0.9, open: 0.1}}
      created_at: {timestamp: {start: 2024-01-01, end: 2025-01-01}}
      note: {text: sentence, null_fraction: 0.5}
queries:
  - name: orders_of_customer
    sql: SELECT id, created_at FROM orders WHERE customer_id = :customer ORDER BY created_at DESC LIMIT 20
    params:
      customer: {sample: orders.customer_id}
  - name: notes_matching
    sql: SELECT id FROM orders WHERE note ILIKE '%' || :word || '%' LIMIT 10
    params:
      word: {values: [quick, river]}
"""


def _objects(dsn: str) -> set[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public'"
            " UNION ALL SELECT 'extension', extname FROM pg_extension"
        ).fetchall()
    return {(str(a), str(b)) for a, b in rows}


def _run_without_ddl(tmp_path: Path, dsn: str) -> dict[str, Any]:
    workload = tmp_path / "orders.yaml"
    workload.write_text(ORDERS)
    assert main(["seed", str(workload), "--dsn", dsn, "--allow-ddl", "--scale", "1", "--quiet"]) == 0
    before = _objects(dsn)
    out = tmp_path / "out"
    code = main(["run", str(workload), "--dsn", dsn, "--out", str(out), "--quiet"])
    assert code in (0, 1)
    assert _objects(dsn) == before  # nothing built, nothing left
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    assert "No index was built on this target" in (out / "indexes.sql").read_text()
    return report


def test_without_ddl_candidates_are_listed_unproven(tmp_path: Path, fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        has_hypopg = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").fetchone()
    assert not has_hypopg
    report = _run_without_ddl(tmp_path, fresh_db)
    recs = report["recommendations"]
    assert recs, "the seq scans of the naive schema must give candidates"
    assert all(not r["proven"] and not r["chosen"] for r in recs)
    assert any("orders (customer_id, created_at)" in r["ddl"] for r in recs)
    assert any("unproven" in r["reason"] for r in recs)
    assert report["advisor"] is None
    assert any("DDL is not allowed" in n for n in report["notes"])


def test_with_hypopg_candidates_carry_labelled_estimates(tmp_path: Path, fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'").fetchone():
            pytest.skip("hypopg is not installed on this server (.ci/run installs it for PostgreSQL 15)")
        conn.execute("CREATE EXTENSION hypopg")
    report = _run_without_ddl(tmp_path, fresh_db)
    by_ddl = {r["ddl"]: r for r in report["recommendations"]}
    composite = next(r for d, r in by_ddl.items() if "orders (customer_id, created_at)" in d)
    assert not composite["proven"]
    assert composite["reason"].startswith("hypothetical (HypoPG planner estimate, not measured")
    assert "orders_of_customer" in composite["reason"]
    trigram = next(r for d, r in by_ddl.items() if "gin_trgm_ops" in d)
    assert "HypoPG cannot model gin" in trigram["reason"]
