"""`pg-analyzer check`: every mistake of a workload file in one call, each at its line, fast, with no server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.validate.check import check_workload
from analyzer.validate.ddl import catalog_from_ddl
from analyzer.validate.names import resolve_statement

ROOT = Path(__file__).resolve().parents[2]
FIVE = ROOT / "tests" / "fixtures" / "workloads" / "five_mistakes.yaml"
SCHEMA = "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, published_at timestamptz);"


# CPU time, not wall time: the machines that run these tests are shared, and their load is not the check's
def test_five_mistakes_are_found_in_one_call_each_at_its_line() -> None:
    started = time.process_time()
    result = check_workload(FIVE)
    assert time.process_time() - started < 1.0
    by_line = {p.line: p.message for p in result.problems}
    assert "not 'sentense'" in by_line[15] and "did you mean 'sentence'" in by_line[15]
    assert "publishd_at: no such column" in by_line[19] and "published_at" in by_line[19]
    assert 'column "p.publishd_at" does not exist' in by_line[26]
    assert 'Perhaps you meant to reference the column "p.published_at"' in by_line[26]
    assert ":offset but params does not define it (did you mean 'ofset'?)" in by_line[27]
    assert "sample names table post," in by_line[29] and "did you mean 'posts'" in by_line[29]
    assert all("\n" not in str(p) for p in result.problems)
    assert all(str(p).startswith(f"{FIVE}:{p.line}: ") for p in result.problems)


@pytest.mark.parametrize("name", ["project_management.yaml", "event_log.yaml"])
def test_shipped_workloads_check_clean_in_under_a_second(name: str) -> None:
    check_workload(ROOT / "workloads" / name)  # the first call pays for imports (Faker) once
    started = time.process_time()
    result = check_workload(ROOT / "workloads" / name)
    assert time.process_time() - started < 1.0
    assert result.problems == [], [str(p) for p in result.problems]
    assert result.catalog_source == "ddl" and result.statements >= 10


def test_cli_check_prints_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(FIVE)])
    out = capsys.readouterr().out
    assert code == 1
    problem_lines = [ln for ln in out.splitlines() if ln.startswith(f"{FIVE}:") and ln[len(str(FIVE)) + 1].isdigit()]
    assert len(problem_lines) == 6
    assert "6 problems" in out


def test_cli_check_of_a_good_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ROOT / "workloads" / "event_log.yaml")]) == 0
    assert ": ok: " in capsys.readouterr().out


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(body)
    return path


def test_yaml_schema_errors_are_all_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, f"name: x\nschema: |\n  {SCHEMA}\nqueries:\n  - name: a\n    sql: SELECT 1\n    wieght: 3\n"
                            "  - name: b\n    sql: SELECT 2\n    weight: -1\n")
    messages = {p.line: p.message for p in check_workload(path).problems}
    assert "unknown key 'wieght' (did you mean 'weight'?)" in messages[7]
    assert "queries['b'].weight" in messages[10]


def test_sql_syntax_error_points_at_its_line_inside_a_block(tmp_path: Path) -> None:
    path = _write(tmp_path, f"name: x\nschema: |\n  {SCHEMA}\nqueries:\n  - name: a\n    sql: |\n"
                            "      SELECT id\n      FROM items\n      WHER id = 1\n")
    (problem,) = check_workload(path).problems
    assert problem.line == 9 and "syntax error" in problem.message and "query 'a'" in problem.message


def test_unknown_table_and_where_expression_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, f"name: x\nschema: |\n  {SCHEMA}\nqueries:\n  - name: a\n    sql: SELECT id FROM itemz\n"
                            "  - name: b\n    sql: SELECT id FROM items WHERE name = :n\n    params:\n"
                            "      n: {sample: items.name, where: 'nam IS NOT NULL'}\n")
    messages = {p.line: p.message for p in check_workload(path).problems}
    assert 'relation "itemz" does not exist' in messages[6] and '"items"' in messages[6]
    assert 'column "nam" does not exist' in messages[10] and "params.n.where" in messages[10]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT i.id, count(*) AS n FROM items i GROUP BY i.id ORDER BY n DESC",
        "WITH recent AS (SELECT id FROM items) SELECT r.id, r.whatever FROM recent r",
        "SELECT x.id FROM (SELECT id FROM items) x WHERE EXISTS (SELECT 1 FROM items j WHERE j.id = x.id)",
        "INSERT INTO items (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name RETURNING id",
        "UPDATE items SET name = $1 WHERE id = $2 RETURNING published_at",
        "DELETE FROM items i USING items j WHERE i.id = j.id AND j.name = $1",
        "SELECT t.n FROM items, LATERAL (SELECT items.id AS n) t, generate_series(1, 3) g",
        "SELECT relname FROM pg_catalog.pg_class",
        "SELECT r.a FROM items r(a, b) WHERE r.b = 'x'",
        "SELECT v.a FROM (VALUES (1, 2)) v(a, b) JOIN items ON items.id = v.b",
        "SELECT x.k FROM items, jsonb_each('{}'::jsonb) AS x(k, v) WHERE (items.id, items.name) > (1, 'a')",
    ],
)
def test_valid_statements_resolve_without_false_alarms(sql: str) -> None:
    assert resolve_statement(sql, catalog_from_ddl(SCHEMA)) == []


def test_insert_and_update_columns_are_resolved() -> None:
    catalog = catalog_from_ddl(SCHEMA)
    problems = resolve_statement("INSERT INTO items (id, nme) VALUES (1, 'a')", catalog)
    assert [p.message for p in problems] == ['column "items.nme" does not exist']
    problems = resolve_statement("UPDATE items SET publishd_at = now() WHERE id = 1", catalog)
    assert "published_at" in problems[0].hint


def test_ddl_types_and_keys_as_the_catalog_names_them() -> None:
    table = catalog_from_ddl(
        "CREATE TABLE a (id bigserial PRIMARY KEY, b int REFERENCES a(id), c timestamptz NOT NULL DEFAULT now(),"
        " d text[] , e int GENERATED ALWAYS AS (b * 2) STORED, UNIQUE (b, c));"
    ).tables["a"]
    types = {c.name: c.type for c in table.columns}
    assert types == {"id": "bigint", "b": "integer", "c": "timestamp with time zone", "d": "text[]", "e": "integer"}
    assert table.primary_key == ("id",) and ("b", "c") in table.unique_sets
    assert table.foreign_keys[0].ref_table == "a" and table.column("e") is not None and table.column("e").generated


def test_partitions_inheritance_like_and_views_take_their_columns_from_elsewhere() -> None:
    catalog = catalog_from_ddl(
        SCHEMA + " CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);"
        " CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
        " CREATE TABLE items_copy (LIKE items INCLUDING ALL, extra int);"
        " CREATE VIEW recent AS SELECT id, name AS label FROM items;"
        " CREATE TABLE totals AS SELECT count(*) AS n FROM items;"
    )
    assert [c.name for c in catalog.tables["events_2024"].columns] == ["id", "at"]
    assert [c.name for c in catalog.tables["items_copy"].columns] == ["id", "name", "published_at", "extra"]
    for sql in ("SELECT at FROM events_2024", "SELECT extra, name FROM items_copy", "SELECT label FROM recent",
                "SELECT n FROM totals"):
        assert resolve_statement(sql, catalog) == [], sql
    assert resolve_statement("SELECT nope FROM events_2024", catalog)[0].message == 'column "nope" does not exist'


def test_a_hostile_file_is_refused_by_the_loaders_guards_not_expanded(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    path = _write(tmp_path, "\n".join(lines) + "\nname: x\nqueries: [{name: q, sql: SELECT 1}]\n")
    started = time.process_time()
    (problem,) = check_workload(path).problems
    assert time.process_time() - started < 1.0 and "aliases expand" in problem.message
    (missing,) = check_workload(tmp_path / "missing.yaml").problems
    assert str(missing) == f"{tmp_path / 'missing.yaml'}: no such workload file"


def test_match_top_naming_a_missing_parent_column_is_found(tmp_path: Path) -> None:
    (tmp_path / "s.sql").write_text(
        "CREATE TABLE orgs (id bigint PRIMARY KEY);"
        "CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint REFERENCES orgs);"
        "CREATE TABLE notes (id bigint PRIMARY KEY, task_id bigint REFERENCES tasks, org_id bigint);"
    )
    (tmp_path / "w.yaml").write_text(
        "name: w\nschema: s.sql\ntables:\n  notes:\n    rows: 10\n    columns:\n"
        "      task_id: {ref: tasks.id, match_top: {orgid: [0.5]}}\n"
        "      org_id: {copy: task_id.org_id}\n"
        "queries:\n  - name: q\n    sql: SELECT 1 FROM notes\n"
    )
    problems = check_workload(tmp_path / "w.yaml").problems
    assert [(p.line, p.message) for p in problems] == [
        (7, "tables.notes.columns.task_id: match_top names tasks.orgid, which does not exist (did you mean 'org_id'?)")
    ]
