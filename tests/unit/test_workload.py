from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import WorkloadError
from analyzer.workload import load_workload, workload_json_schema

ROOT = Path(__file__).resolve().parents[2]


def test_project_management_workload_loads() -> None:
    w = load_workload(ROOT / "workloads" / "project_management.yaml")
    assert w.name == "project_management"
    assert w.schema_sql is not None and "CREATE TABLE tasks" in w.schema_sql
    assert len(w.queries) >= 10
    assert w.tables["tasks"].rows == 1_000_000
    q = next(q for q in w.queries if q.name == "project_tasks_by_status")
    assert q.param_order == ("project_id", "status")
    assert q.params["project_id"].kind == "sample" and q.params["project_id"].table == "tasks"
    assert q.params["status"].values == ("todo", "in_progress")
    assert "$1" in q.positional_sql and "%(project_id)s" in q.psycopg_sql
    assert w.replay.settings["jit"] == "off"


def test_every_shipped_workload_validates_against_the_json_schema() -> None:
    import jsonschema
    import yaml

    schema = workload_json_schema()
    for path in (ROOT / "workloads").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "w.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name: x\n", "w.yaml:1: top level: 'queries' is required"),
        ("name: x\nqueries:\n  - name: a\n    sql: SELECT :v\n", "sql uses :v but params does not define it"),
        ("name: x\nqueries:\n  - name: a\n    sql: SELECT 1\n    params: {v: 1}\n", "params.v is not used"),
        ("name: x\nqueries:\n  - name: a\n    sql: SELECT 1\n  - name: a\n    sql: SELECT 2\n", "w.yaml:5: query 'a': the name is used twice"),
        ("name: x\nqueries:\n  - name: a\n    sql: SELECT 1\n    weight: -1\n", "w.yaml:5: queries['a'].weight"),
        ("name: x\nqueries:\n  - name: a\n    sql: SELECT :p\n    params: {p: {sample: nodot}}\n", "queries['a'].params.p"),
        ("name: x\nschema: missing.sql\nqueries:\n  - {name: a, sql: SELECT 1}\n", "schema: cannot read missing.sql"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(WorkloadError) as info:
        load_workload(_write(tmp_path, body))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_expectation_key_names_the_query(tmp_path: Path) -> None:
    body = "name: x\nqueries:\n  - name: a\n    sql: SELECT 1\n    expect: {max_msec: 5}\n"
    with pytest.raises(WorkloadError) as info:
        load_workload(_write(tmp_path, body))
    assert "query 'a'" in str(info.value) and "max_msec" in str(info.value)


STEPS = """
name: w
queries:
  - name: q
    sql: SELECT 1
writes:
  - name: purge
    weight: 2
    calls: 1
    params:
      id: 5
      day: {values: ['2025-01-01']}
    steps:
      - DELETE FROM notes WHERE task_id = :id
      - sql: DELETE FROM tasks WHERE id = :id AND created_at < CAST(:day AS date)
"""


def test_a_write_in_steps_keeps_its_statements_in_order_with_shared_parameters(tmp_path: Path) -> None:
    (purge,) = load_workload(_write(tmp_path, STEPS)).writes
    assert purge.calls == 1 and purge.weight == 2.0
    assert [s.psycopg_sql for s in purge.steps] == [
        "DELETE FROM notes WHERE task_id = %(id)s",
        "DELETE FROM tasks WHERE id = %(id)s AND created_at < CAST(%(day)s AS date)",
    ]
    assert set(purge.params) == {"id", "day"} and list(purge.steps[0].params) == ["id"]


@pytest.mark.parametrize(("change", "expected"), [
    (("      day: {values: ['2025-01-01']}\n", "      day: {values: ['2025-01-01']}\n      unused: 1\n"),
     "params.unused is not used by any step"),
    (("      - DELETE FROM notes WHERE task_id = :id", "      - SELECT * FROM notes WHERE task_id = :id"),
     "write 'purge': sql reads only"),
    (("      - sql: DELETE FROM tasks", "      - sql: SELECT * FROM tasks"), "write 'purge': steps[1]: sql reads only"),
    (("    calls: 1\n", "    calls: 0\n"), "calls"),
])
def test_a_bad_steps_write_is_refused_naming_it(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    with pytest.raises(WorkloadError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_workload(_write(tmp_path, STEPS.replace(*change)))


def test_params_from_one_table_are_grouped_and_from_names_or_breaks_the_group(tmp_path: Path) -> None:
    from analyzer.errors import QueryError
    from analyzer.params import _groups

    w = load_workload(_write(tmp_path, """
name: groups
seed: false
queries:
  - name: q
    sql: SELECT 1 WHERE :a = :b AND :c = :d AND :e = :f
    params:
      a: {sample: t.a}
      b: {sample: t.b}
      c: {sample: t.c, from: independent}
      d: {sample: u.d, from: mine}
      e: {sample: u.e, from: mine}
      f: {values: [1, 2]}
  - name: across
    sql: SELECT 1 WHERE :a = :b
    params:
      a: {sample: t.a, from: g}
      b: {sample: u.b, from: g}
"""))
    q, across = w.queries
    assert q.params["d"].group == "mine"
    assert sorted(_groups(q).values()) == [["a", "b"], ["c"], ["d", "e"], ["f"]]
    with pytest.raises(QueryError, match="one row of one table"):
        _groups(across)
