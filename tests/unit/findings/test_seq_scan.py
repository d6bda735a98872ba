"""builtin.seq_scan: a large table read for a few rows."""

from __future__ import annotations

from tests.unit.findings import external, findings, node


def test_a_seq_scan_for_a_few_rows() -> None:
    plan = external("joe_seq_scan.json")
    (f,) = findings(plan, "seq_scan")
    assert node(plan, f.node_path) == "Seq Scan" and "40,911 rows to return 200" in f.detail


def test_a_parallel_seq_scan_counts_the_rows_of_every_process() -> None:
    plan = external("joe_gather_seq_scan.json")  # 3 processes, 34 rows and 3,333,300 removed each
    (f,) = findings(plan, "seq_scan")
    assert "10,000,002 rows to return 102" in f.detail
