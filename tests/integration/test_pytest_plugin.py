"""The pytest plugin, used the way a project would: a small example suite run by pytester.

The example suites run in a subprocess with the installed plugin (pytest11 entry point), on
every configured server through --pg-analyzer-dsn, and once on its own embedded server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.containers import docker_unavailable_reason

PASSING = """\
name: items
checks: {removed_min_rows: 10000000}
schema: |
  CREATE TABLE items (id bigint PRIMARY KEY, code int NOT NULL, pad text NOT NULL);
  CREATE INDEX items_code_idx ON items (code);
replay: {param_sets: 2, runs: 3, warmup: 1, budget_s: 2}
tables:
  items:
    rows: 5000
    columns:
      code: {int: {min: 1, max: 1000000}}
      pad: {value: padding-padding-padding}
queries:
  - name: item_by_code
    sql: SELECT id, pad FROM items WHERE code = :code
    params:
      code: {sample: items.code}
"""

FAILING = (Path(__file__).resolve().parent.parent / "fixtures" / "workloads" / "skewed.yaml").read_text()

SUITE = """\
def test_items_hold(analyze_workload, pg_analyzer_database):
    result = analyze_workload("items.yaml").assert_ok()
    assert (result.out_dir / "report.html").exists()
    assert result.report.queries[0].name == "item_by_code"
    print("KIND", pg_analyzer_database.kind)

def test_skewed_plan_flips(analyze_workload):
    analyze_workload("skewed.yaml").assert_ok()
"""


def _example_suite(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", items=PASSING, skewed=FAILING)
    pytester.makepyfile(test_example=SUITE)


def test_plugin_passes_and_fails_as_expected(pytester: pytest.Pytester, server_dsn: str) -> None:
    _example_suite(pytester)
    result = pytester.runpytest_subprocess("--pg-analyzer-dsn", server_dsn, "-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*AssertionError: workload skewed: 1 of 1 queries failed (report: *report.html)",
        "*- events_by_status: expect.plan_stable*",
    ])
    result.stdout.fnmatch_lines(["*KIND dsn*"])
    with __import__("psycopg").connect(server_dsn) as conn:  # scratch databases are dropped
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'pg\\_analyzer\\_scratch\\_%'")
        assert left.fetchone() == (0,)


def test_plugin_starts_an_embedded_server_without_a_dsn(pytester: pytest.Pytester) -> None:
    _example_suite(pytester)
    out = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "--pg-analyzer-target", "embedded", "--pg-analyzer-out", str(out), "-p", "no:cacheprovider", "-s",
        "-k", "items",
    )
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*KIND embedded*"])
    assert list(out.glob("test_items_hold/items-1/report.json"))


def test_plugin_docker_target_skips_without_an_engine(pytester: pytest.Pytester) -> None:
    if docker_unavailable_reason() is None:
        pytest.skip("a Docker engine answers here: the skip path cannot be shown")
    _example_suite(pytester)
    result = pytester.runpytest_subprocess("--pg-analyzer-target", "docker", "-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*--pg-analyzer-target docker: *Docker*; use --pg-analyzer-dsn or the embedded default*"])
    # one detection, one message: the plugin says what the CLI says (not the docker client's CookieJar noise)
    reason = docker_unavailable_reason()
    assert reason is not None
    result.stdout.fnmatch_lines([f"*--pg-analyzer-target docker: {reason[:60]}*"])
    result.stdout.no_fnmatch_line("*CookieJar*")
