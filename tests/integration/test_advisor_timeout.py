"""A query that times out without indexes is the one that needs the advisor most: it is not left out.

Its time before is the statement_timeout (a lower bound), and the index that serves it is proven
and recommended with an 'at least' speedup.
"""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.cli import main

SLOW = """\
name: slow
schema: |
  CREATE TABLE items (id bigint PRIMARY KEY, grp int NOT NULL, pad text NOT NULL);
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 2, statement_timeout_s: 0.3}
tables:
  items:
    rows: 100000
    columns:
      grp: {int: {min: 1, max: 500}}
      pad: {text: word}
queries:
  - name: best_of_group
    sql: |
      SELECT a.id FROM items a
      WHERE a.grp = :g AND a.pad = (SELECT max(b.pad) FROM items b WHERE b.grp = a.grp)
    params:
      g: {sample: items.grp}
"""


def test_a_query_that_timed_out_gets_its_index(tmp_path: Path, fresh_db: str) -> None:
    workload = tmp_path / "slow.yaml"
    workload.write_text(SLOW)
    out = tmp_path / "out"
    code = main(["run", str(workload), "--dsn", fresh_db, "--allow-ddl", "--out", str(out), "--quiet"])
    assert code == 1  # the replay itself timed out: the gate fails
    report = json.loads((out / "report.json").read_text())
    assert "timed out" in report["queries"][0]["error"]
    by_group = next(r for r in report["recommendations"] if r["chosen"] and r["ddl"].endswith("ON items (grp)"))
    assert "at least" in by_group["reason"] and "timed out before" in by_group["reason"]
    helped = by_group["queries"][0]
    assert helped["before_ms"] == 300 and helped["uses_index"] and helped["after_ms"] < 300
    assert any("lower bound" in n for n in report["notes"])
    assert report["advisor"]["weighted_ms_after"] < report["advisor"]["weighted_ms_before"]
