"""The second bundled workload, an append-heavy event log, end to end at a tiny scale."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from analyzer.cli import main
from analyzer.workload import load_workload

from ..conftest import WORKLOADS

EVENT_LOG = WORKLOADS / "event_log.yaml"
SCALE = 0.005


def test_event_log_runs_end_to_end(fresh_db: str, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    code = main(["run", str(EVENT_LOG), "--dsn", fresh_db, "--allow-ddl", "--allow-writes", "--scale", str(SCALE), "--out", str(out),
                 "--no-advise", "--quiet"])
    assert code in (0, 1)
    workload = load_workload(EVENT_LOG)
    assert len(workload.queries) >= 8 and len(workload.writes) >= 2
    report = json.loads((out / "report.json").read_text())
    assert [q["name"] for q in report["queries"]] == [q.name for q in workload.queries]
    for q in report["queries"]:
        assert q["error"] is None, q
        assert q["median_ms"] is not None
    by_name = {q["name"]: q for q in report["queries"]}
    # the primary key serves the lookup by id; the naive schema has nothing else
    assert "events_pkey" in json.dumps(by_name["event_by_id"]["plan"])
    assert code == (0 if report["passed"] else 1)
    with psycopg.connect(fresh_db) as conn:
        for name, rule in workload.tables.items():
            (count,) = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            assert count == max(1, round(rule.rows * SCALE)), name
        (mismatched,) = conn.execute(
            "SELECT count(*) FROM events e JOIN devices d ON d.id = e.device_id WHERE e.tenant_id <> d.tenant_id"
        ).fetchone()
        assert mismatched == 0
        (acked,) = conn.execute(
            "SELECT count(*) FROM events WHERE acknowledged_at IS NOT NULL AND event_type <> 'alert'").fetchone()
        assert acked == 0
