"""The CI gate on real servers: a plan that flips on a skewed column, and a baseline regression
produced by dropping an index between two runs. Through the CLI, in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import xmlschema

from analyzer.cli import main

JUNIT_XSD = Path(__file__).resolve().parent.parent / "fixtures" / "junit.xsd"

SKEWED = (Path(__file__).resolve().parent.parent / "fixtures" / "workloads" / "skewed.yaml").read_text()

ITEMS = """\
name: items
checks: {removed_min_rows: 10000000}  # the Seq Scan after the drop is the point, not its filter
schema: |
  CREATE TABLE items (id bigint PRIMARY KEY, code int NOT NULL, pad text NOT NULL);
  CREATE INDEX items_code_idx ON items (code);
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 2}
tables:
  items:
    rows: 20000
    columns:
      code: {int: {min: 1, max: 1000000}}
      pad: {value: padding-padding-padding-padding-padding-padding}
queries:
  - name: item_by_code
    sql: SELECT id, pad FROM items WHERE code = :code
    params:
      code: {sample: items.code}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workload.yaml"
    path.write_text(text)
    return path


def _checks(out: Path, query: str) -> dict[str, Any]:
    report = json.loads((out / "report.json").read_text())
    (q,) = [q for q in report["queries"] if q["name"] == query]
    return {c["name"]: c for c in q["checks"]}


def test_a_skewed_column_flips_the_plan(tmp_path: Path, fresh_db: str) -> None:
    out = tmp_path / "out"
    code = main(["run", str(_write(tmp_path, SKEWED)), "--dsn", fresh_db, "--allow-ddl", "--out", str(out), "-q"])
    assert code == 1
    check = _checks(out, "events_by_status")["expect.plan_stable"]
    assert check["passed"] is False and check["severity"] == "error"
    assert "status='common'" in check["detail"] and "status='rare'" in check["detail"]
    assert "Seq Scan on events" in check["detail"] and "events_status_idx" in check["detail"]
    assert check["node_path"] is not None
    junit = (out / "junit.xml").read_text()
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(junit)
    assert 'type="expect.plan_stable"' in junit


def test_dropping_an_index_is_a_baseline_regression(tmp_path: Path, fresh_db: str) -> None:
    workload = str(_write(tmp_path, ITEMS))
    first, second, third = tmp_path / "r1", tmp_path / "r2", tmp_path / "r3"
    common = ["--dsn", fresh_db, "--allow-ddl", "-q"]
    assert main(["run", workload, *common, "--out", str(first)]) == 0
    baseline = tmp_path / "items.baseline.json"
    assert main(["baseline", "save", str(first / "report.json"), "-o", str(baseline)]) == 0
    saved = json.loads(baseline.read_text())["queries"]["item_by_code"]
    assert saved["plans"] and all("items_code_idx" in p for p in saved["plans"])

    # The same run against the baseline passes, then the index goes away.
    assert main(["run", workload, *common, "--out", str(second), "--baseline", str(baseline)]) == 0
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP INDEX items_code_idx")

    assert main(["run", workload, *common, "--out", str(third), "--baseline", str(baseline)]) == 1
    report = json.loads((third / "report.json").read_text())
    kinds = {r["kind"]: r for r in report["regressions"]}
    assert {"plan", "buffers"} <= set(kinds)
    assert "items: " in kinds["plan"]["detail"] and "became Seq Scan" in kinds["plan"]["detail"]
    assert not kinds["plan"]["accepted"] and report["passed"] is False
    junit = (third / "junit.xml").read_text()
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(junit)
    assert 'type="regression.plan"' in junit
    assert "Regressions against the baseline" in (third / "summary.md").read_text()

    accepted = tmp_path / "r4"
    assert main(["run", workload, *common, "--out", str(accepted), "--baseline", str(baseline),
                 "--accept", "item_by_code:*"]) == 0
    report = json.loads((accepted / "report.json").read_text())
    assert report["regressions"] and all(r["accepted"] for r in report["regressions"])
