"""Naming `$n` parameters of normalized statements and inferring their sources (pglast, no database)."""

from __future__ import annotations

import pytest

from analyzer.capture.params import name_parameters
from analyzer.capture.rules import ColumnStatistics, fit_zipf
from analyzer.capture.statements import classify
from analyzer.sqlparams import convert_named_params

COLUMNS = {
    "tasks": {"id": "bigint", "project_id": "bigint", "status": "text", "title": "text", "created_at": "timestamptz"},
    "task_activity": {"id": "bigint", "payload": "jsonb"},
}


def _sources(sql: str, types: list[str] | None = None) -> dict[str, object]:
    named = name_parameters(sql, COLUMNS, types or [])
    return {p.name: p.source for p in named.params}


def test_comparisons_sample_the_column_and_limit_gets_a_default() -> None:
    named = name_parameters("SELECT id FROM tasks t WHERE t.project_id = $1 AND status = $2 LIMIT $3", COLUMNS)
    assert named.sql == "SELECT id FROM tasks t WHERE t.project_id = :project_id AND status = :status LIMIT :limit"
    assert {p.name: p.source for p in named.params} == {
        "project_id": {"sample": "tasks.project_id"}, "status": {"sample": "tasks.status"}, "limit": 50,
    }
    assert convert_named_params(named.sql).names == ("project_id", "status", "limit")


def test_in_lists_any_rows_and_like_wildcards() -> None:
    sources = _sources(
        "SELECT 1 FROM tasks WHERE status IN ($1, $2) AND id = ANY($3) AND title ILIKE $4 || $5 || $6 "
        "AND (created_at, id) < ($7, $8)"
    )
    assert sources["status"] == sources["status_2"] == {"sample": "tasks.status"}
    assert "array_agg" in str(sources["ids"]) and '"tasks"' in str(sources["ids"])
    assert sources["pattern"] == sources["pattern_2"] == "%"
    assert sources["title"] == {"sample": "tasks.title"}
    assert sources["created_at"] == {"sample": "tasks.created_at"} and sources["id"] == {"sample": "tasks.id"}


def test_writes_sample_the_columns_they_write() -> None:
    assert _sources("INSERT INTO tasks (project_id, title) VALUES ($1, $2)") == {
        "project_id": {"sample": "tasks.project_id"}, "title": {"sample": "tasks.title"},
    }
    assert _sources("UPDATE tasks SET status = $1 WHERE id = $2") == {
        "status": {"sample": "tasks.status"}, "id": {"sample": "tasks.id"},
    }


def test_json_is_sampled_as_text_and_the_rest_get_typed_defaults() -> None:
    sources = _sources(
        "SELECT 1 FROM task_activity WHERE payload @> CAST($1 AS jsonb) AND to_tsvector($2, 'x') @@ to_tsquery($2, $3)",
        ["jsonb", "regconfig", "text"],
    )
    assert "::text" in str(sources["payload"])
    assert sources["p3"] == "a" and "p2" not in sources


def test_text_search_configurations_are_written_back_as_literals() -> None:
    named = name_parameters("SELECT id FROM tasks WHERE to_tsvector($2, title) @@ plainto_tsquery($3, $1)", COLUMNS,
                            ["text", "regconfig", "regconfig"])
    assert named.sql == "SELECT id FROM tasks WHERE to_tsvector('english', title) @@ plainto_tsquery('english', :p1)"
    assert [p.name for p in named.params] == ["p1"]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("CREATE INDEX ON tasks (status)", "utility statement"),
        ("SELECT relname FROM pg_class WHERE oid = $1", "names no table of the schema (catalog queries)"),
        ('SELECT "id" FROM "tasks" TABLESAMPLE BERNOULLI ($1) REPEATABLE ($2)', "the tool's own sampling"),
        ("SELECT id FROM tasks WHERE id = ", "does not parse"),
        ("SELECT id FROM tasks WHERE id = $1", None),
    ],
)
def test_what_is_left_out(sql: str, reason: str | None) -> None:
    got, _ = classify(sql, {"tasks"})
    assert got == reason or (reason is not None and got is not None and got.startswith(reason))


def test_zipf_exponent_is_fitted_to_the_mcv_frequencies() -> None:
    parents = 1000
    ranks = [k ** -1.0 for k in range(1, 21)]
    total = sum(k ** -1.0 for k in range(1, parents + 1))
    st = ColumnStatistics("t", "p_id", 0.0, 8, 900.0, mcv=tuple(str(i) for i in range(20)),
                          mcf=tuple(r / total for r in ranks))
    assert fit_zipf(st, parents) == pytest.approx(1.0, abs=0.05)
    flat = ColumnStatistics("t", "p_id", 0.0, 8, 1000.0)
    assert fit_zipf(flat, parents) is None


SCHEMAS = {"orders": ["id"], "sales.orders": ["id", "user_id"], "sales.items": ["order_id", "sku"],
           "auth.users": ["id"], "a.items2": ["id"], "b.items2": ["id"], "Odd Schema.t": ["id"]}


def test_unqualified_names_of_tables_outside_public_are_qualified_in_place() -> None:
    from analyzer.capture.relations import qualify_relations

    text = ("WITH recent AS (SELECT * FROM items WHERE sku = 'é items') "
            "SELECT * FROM recent r JOIN users u ON true JOIN orders o ON true JOIN items2 x ON true, t")
    assert qualify_relations(text, SCHEMAS) == (
        "WITH recent AS (SELECT * FROM sales.items WHERE sku = 'é items') "
        'SELECT * FROM recent r JOIN auth.users u ON true JOIN orders o ON true JOIN items2 x ON true, "Odd Schema".t'
    )  # public first; a name two schemas have and a CTE's stay as written


def test_schema_qualified_columns_sample_the_qualified_table() -> None:
    named = name_parameters(
        "SELECT * FROM sales.items i JOIN sales.orders ON orders.id = i.order_id "
        "WHERE i.sku = $1 AND sales.orders.user_id = $2", SCHEMAS,
    )
    assert {p.name: p.source for p in named.params} == {
        "sku": {"sample": "sales.items.sku"}, "user_id": {"sample": "sales.orders.user_id"},
    }
    assert named.tables == ("sales.items", "sales.orders")
    assert classify("SELECT * FROM auth.users", set(SCHEMAS))[0] is None
    assert classify("SELECT * FROM other.users", set(SCHEMAS))[0] == "names no table of the schema (catalog queries)"
