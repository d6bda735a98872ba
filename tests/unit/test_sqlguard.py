"""What SQL from a workload may be: one statement of an allowed kind, filters as expressions,
schemas that stay inside their database. No server: PostgreSQL's parser (pglast) decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.sqlguard import (
    READ,
    WRITE,
    SqlRejected,
    check_schema,
    classify,
    referenced_tables,
    require_read,
    require_write,
    safe_filter,
)

PAGILA = Path(__file__).resolve().parents[3] / "shared" / "external" / "pagila"
WORKLOADS = Path(__file__).resolve().parents[2] / "workloads"


@pytest.mark.parametrize("text", [
    "SELECT 1",
    "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
    "SELECT * FROM tasks WHERE title ILIKE '%;DROP TABLE x;%'",  # a semicolon inside a literal is data
    "SELECT count(*) FROM a UNION ALL SELECT count(*) FROM b",
])
def test_reads_are_reads(text: str) -> None:
    assert classify(text).kind == READ
    require_read(text)


@pytest.mark.parametrize("text", [
    "UPDATE t SET a = 1 WHERE id = $1",
    "INSERT INTO t (a) VALUES ($1)",
    "DELETE FROM t WHERE id = $1",
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
    "WITH d AS (DELETE FROM t RETURNING id) SELECT count(*) FROM d",
    "SELECT * FROM t FOR UPDATE",
])
def test_writes_are_writes(text: str) -> None:
    assert classify(text).kind == WRITE
    require_write(text)
    with pytest.raises(SqlRejected, match="only a read"):
        require_read(text)


@pytest.mark.parametrize(("text", "message"), [
    ("SELECT count(*) FROM items; COMMIT; DROP TABLE canary", "holds 3 statements"),
    ("SELECT 1;", None),  # a trailing semicolon is one statement
    ("TRUNCATE items", "TRUNCATE"),
    ("DROP TABLE canary", "DROP"),
    ("COMMIT", "transaction control"),
    ("SET search_path = evil", "SET"),
    ("COPY items TO '/tmp/x'", "COPY"),
    ("CREATE TABLE x (a int)", "CREATE"),
    ("VACUUM items", "VACUUM"),
    ("SELECT * INTO copy_of_items FROM items", "creates a table"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend"),
    ("SELECT pg_catalog.set_config('search_path', '', false)", "set_config"),
    ("SELECT pg_advisory_lock(1)", "pg_advisory_lock"),
    ("SELEC 1", "syntax error"),
    ("", "no statement"),
])
def test_everything_else_is_refused(text: str, message: str | None) -> None:
    if message is None:
        assert classify(text).kind == READ
        return
    with pytest.raises(SqlRejected, match=message):
        classify(text)


def test_a_write_section_takes_no_read() -> None:
    with pytest.raises(SqlRejected, match="reads only"):
        require_write("SELECT 1")


def test_a_filter_is_one_expression_rewritten_from_its_parse_tree() -> None:
    assert safe_filter("status IN ('todo', 'done') AND deleted_at IS NULL") == (
        "status IN ('todo', 'done') AND deleted_at IS NULL"
    )
    assert safe_filter("id IN (SELECT task_id FROM comments)") == "id IN (SELECT task_id FROM comments)"


@pytest.mark.parametrize("text", [
    "true) LIMIT 1; COMMIT; DROP TABLE canary; SELECT (1",
    "true; DROP TABLE canary",
    "a = 1 LIMIT 1",
    "a = 1 ORDER BY 1",
    "a = 1) UNION SELECT 1 WHERE (true",
    "a = 1 FOR UPDATE",
    "pg_terminate_backend(1)",
    "",
])
def test_a_filter_cannot_escape(text: str) -> None:
    with pytest.raises(SqlRejected, match="where:|pg_terminate"):
        safe_filter(text)


def test_schema_objects_beyond_the_database_are_found_with_their_line() -> None:
    schema = "\n".join([  # noqa: FLY002 - one statement per line, as the line numbers are asserted
        "CREATE TABLE a (id int);",
        "CREATE ROLE intruder LOGIN;",
        "SELECT pg_catalog.set_config('search_path', '', false);",  # pg_dump's first lines: allowed
        "ALTER SYSTEM SET work_mem = '1GB';",
        "CREATE TABLESPACE t LOCATION '/tmp';",
        "COPY a FROM PROGRAM 'id';",
        "DO $$ BEGIN EXECUTE 'CREATE ROLE y'; END $$;",
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN CREATE ROLE z; RETURN NEW; END $f$;",
        "CREATE FUNCTION g() RETURNS int LANGUAGE c AS 'lib', 'sym';",
        "GRANT pg_read_server_files TO public;",
        "CREATE DATABASE other;",
    ])
    found = dict(check_schema(schema))
    assert set(found) == {2, 4, 5, 6, 7, 8, 9, 10, 11}
    assert "CREATE ROLE" in found[2] and "ALTER SYSTEM" in found[4] and "COPY" in found[6]
    assert "EXECUTE" in found[7] and "CREATE ROLE" in found[8] and "c code" in found[9]


def test_ordinary_schema_code_is_allowed() -> None:
    schema = """
    DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'ok'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN NEW.updated_at := now(); EXECUTE 'SELECT 1'; RETURN NEW; END $f$;
    CREATE FUNCTION add1(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
    CREATE TABLE t (id int PRIMARY KEY, updated_at timestamptz);
    CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
    COPY t FROM STDIN;
    """
    assert check_schema(schema) == []


@pytest.mark.skipif(not PAGILA.is_dir(), reason="shared/external/pagila is not beside this checkout")
@pytest.mark.parametrize("name", ["pagila-schema.orig.sql", "pagila-schema.sql"])
def test_real_schemas_pass(name: str) -> None:
    assert check_schema((PAGILA / name).read_text()) == []


@pytest.mark.parametrize("path", sorted(WORKLOADS.glob("*.sql")), ids=lambda p: p.name)
def test_shipped_schemas_pass(path: Path) -> None:
    assert check_schema(path.read_text()) == []


def test_referenced_tables_leave_ctes_out() -> None:
    text = "WITH recent AS (SELECT * FROM tasks) SELECT * FROM recent JOIN app.users u ON true"
    assert referenced_tables(text) == {"tasks", "app.users"}
