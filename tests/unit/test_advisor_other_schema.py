"""Tables outside public, without a database: how statements name them, and how candidates write them.

The catalog keys public tables bare (`orders`) and others `schema.table` (`app.orders`); a
statement's bare name resolves through the search path, as PostgreSQL resolves it. Index
candidates carry the key, are sent to the server schema-qualified, and read as their key reads
in the report and in indexes.sql.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.advisor.candidates import IndexCandidate, generate_candidates, sql_name, write_candidates
from analyzer.advisor.sqlfile import render_indexes_down_sql, render_indexes_sql
from analyzer.advisor.sqlshape import analyze_statement
from analyzer.advisor.writesavers import write_accesses
from analyzer.catalog import Catalog, Column, Constraint, ForeignKey, Table, index_key
from analyzer.report.model import Recommendation
from analyzer.workload import load_workload


def _col(name: str, type_: str = "bigint") -> Column:
    return Column(name=name, type=type_, not_null=True, default=None, identity="", generated=False)


def _orders(key: str, *columns: str) -> Table:
    return Table(key, tuple(_col(c) for c in ("id", *columns)),
                 constraints=(Constraint(f"{key}_pkey", key, "p", ("id",), "PRIMARY KEY (id)"),))


def _catalog(search_path: tuple[str, ...] = ("public",)) -> Catalog:
    """`orders` in public and in app, with different columns; `customers` in app only."""
    return Catalog({
        "orders": _orders("orders", "region_id"),
        "app.orders": _orders("app.orders", "customer_id", "status"),
        "app.customers": Table("app.customers", (_col("id"), _col("tier"))),
    }, search_path=search_path)


def _tables(sql: str, catalog: Catalog) -> list[str]:
    return [a.table for a in analyze_statement(sql, catalog)]


def test_a_schema_qualified_table_is_keyed_by_its_schema() -> None:
    accesses = analyze_statement("SELECT id FROM app.orders WHERE customer_id = $1", _catalog())
    assert [a.table for a in accesses] == ["app.orders"]
    assert [(p.table, p.column, p.op) for p in accesses[0].predicates] == [("app.orders", "customer_id", "eq")]


def test_public_qualified_is_the_bare_key() -> None:
    assert _tables("SELECT id FROM public.orders WHERE region_id = $1", _catalog(("app", "public"))) == ["orders"]


@pytest.mark.parametrize(("path", "expected"), [(("public",), "orders"), (("app", "public"), "app.orders"),
                                                (("public", "app"), "orders")])
def test_a_bare_name_resolves_through_the_search_path(path: tuple[str, ...], expected: str) -> None:
    assert _tables("SELECT id FROM orders o WHERE o.id = $1", _catalog(path)) == [expected]


def test_a_bare_name_found_only_in_a_later_schema_of_the_path() -> None:
    assert _tables("SELECT id FROM customers WHERE tier = $1", _catalog(("public", "app"))) == ["app.customers"]


def test_unqualified_columns_are_looked_up_in_the_table_the_statement_names() -> None:
    """`customer_id` is a column of app.orders only: the join's sides are found from that table's columns."""
    sql = "SELECT o.id FROM app.orders o JOIN app.customers c ON c.id = customer_id WHERE status = $1"
    by_table = {a.table: a for a in analyze_statement(sql, _catalog())}
    assert set(by_table) == {"app.orders", "app.customers"}
    preds = {(p.column, p.op, p.other_table) for p in by_table["app.orders"].predicates}
    assert ("customer_id", "join", "app.customers") in preds and ("status", "eq", None) in preds


def test_update_and_delete_targets_are_keyed_by_their_schema() -> None:
    catalog = _catalog()
    assert _tables("UPDATE app.orders SET status = 2 WHERE customer_id = $1", catalog) == ["app.orders"]
    assert _tables("DELETE FROM app.orders WHERE id = $1", catalog) == ["app.orders"]


def test_a_name_the_catalog_lacks_stays_as_written() -> None:
    tables = _tables("WITH recent AS (SELECT id FROM app.orders) SELECT id FROM recent", _catalog())
    assert sorted(tables) == ["app.orders", "recent"]
    assert _tables("SELECT 1 FROM nowhere.t", _catalog()) == ["nowhere.t"]


def _one(table: str, keys: tuple[str, ...] = ("customer_id",)) -> IndexCandidate:
    return IndexCandidate(table, keys, "btree")


def test_candidates_for_a_schema_table_are_on_that_table() -> None:
    accesses = [("q", a) for a in analyze_statement("SELECT id FROM app.orders WHERE customer_id = $1", _catalog())]
    found = generate_candidates(accesses, _catalog(), lambda t, p: 0.5, lambda t, c: 100.0, lambda t, c: 0.0)
    assert ("app.orders", ("customer_id",)) in [(c.table, c.keys) for c in found]
    assert {c.table for c in found} == {"app.orders"}  # not public's orders, which has no customer_id


def test_the_ddl_reads_as_the_key_and_the_statement_is_qualified() -> None:
    app, public = _one("app.orders"), _one("orders")
    assert app.ddl("ix") == "CREATE INDEX ix ON app.orders (customer_id)"
    assert public.ddl("ix") == "CREATE INDEX ix ON orders (customer_id)"  # as every report so far
    assert app.statement("ix").as_string(None) == 'CREATE INDEX "ix" ON "app"."orders" (customer_id)'
    assert public.statement("ix").as_string(None) == 'CREATE INDEX "ix" ON "public"."orders" (customer_id)'
    odd = _one("Sales Dept.Orders")
    assert odd.ddl("ix") == 'CREATE INDEX ix ON "Sales Dept"."Orders" (customer_id)'


def test_names_carry_no_dot_and_stay_as_before_in_public() -> None:
    app, public = _one("app.orders"), _one("orders")
    assert public.name.startswith("pga_orders_customer_id_") and len(public.name) == len("pga_orders_customer_id_") + 8
    assert app.name.startswith("pga_app_orders_customer_id_")
    assert app.name != _one("other.orders").name  # the schema is in the signature
    assert app.key == f"app.{app.name}" and public.key == public.name
    assert index_key("app.orders", "x") == "app.x" and index_key("orders", "x") == "x"


@pytest.mark.parametrize("table", [
    "analytics_warehouse_2025.orders", "a" * 63 + "." + "b" * 63, "städtische_büchereien.ausleihen_übersicht",
    "ｓｃｈｅｍａ.ｔａｂｌｅ",  # 3 bytes a letter
])
def test_names_are_lowercase_identifiers_of_at_most_63_bytes(table: str) -> None:
    cand = _one(table, ("ÜBERSICHT_ÄNDERUNG_DATUM_ZEIT",))
    assert "." not in cand.name and cand.name == cand.name.lower()
    assert len(cand.name.encode()) <= 63
    assert "__" not in cand.name.removeprefix("pga_")[:-9]
    assert cand.name.startswith("pga_") and cand.name[-9] == "_"


def _rec(table: str, name: str) -> Recommendation:
    cand = IndexCandidate(table, ("customer_id",), "btree")
    return Recommendation(name=name, ddl=cand.ddl(name), table=table, kind="btree", chosen=True, reason="r",
                          proven=True)


def test_indexes_sql_creates_on_the_schema_table_and_the_down_file_drops_in_that_schema() -> None:
    recs = [_rec("app.orders", "pga_app_orders_a"), _rec("orders", "pga_orders_b")]
    up = render_indexes_sql(recs, "w")
    down = render_indexes_down_sql(recs, "w")
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_app_orders_a ON app.orders (customer_id);" in up
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_orders_b ON orders (customer_id);" in up
    assert [line for line in down.splitlines() if line.startswith("DROP")] == [
        "DROP INDEX CONCURRENTLY IF EXISTS pga_orders_b;",
        "DROP INDEX CONCURRENTLY IF EXISTS app.pga_app_orders_a;",
    ]
    assert sql_name("Sales Dept.Orders", "Ix") == '"Sales Dept"."Ix"'


WRITES = """
name: purges
seed: false
queries:
  - name: one
    sql: SELECT id FROM app.orders WHERE id = :id
    params:
      id: {values: [1]}
writes:
  - name: purge
    sql: DELETE FROM app.customers WHERE id = :id
    params:
      id: {values: [1]}
"""


def test_a_delete_from_a_schema_parent_proposes_the_foreign_key_of_its_child(tmp_path: Path) -> None:
    parent = Table("app.customers", (_col("id"),))
    child = Table("app.orders", (_col("id"), _col("customer_id")), foreign_keys=(
        ForeignKey("fk", "app.orders", ("customer_id",), "app.customers", ("id",), "FOREIGN KEY"),))
    catalog = Catalog({"app.customers": parent, "app.orders": child})
    path = tmp_path / "w.yaml"
    path.write_text(WRITES)
    accesses, deleted = write_accesses(load_workload(path), catalog)
    assert deleted == [("purge", "app.customers")]
    assert [(w, a.table) for w, a in accesses] == [("purge", "app.customers")]
    found = write_candidates(accesses, deleted, catalog, lambda t, p: 0.5, lambda t, c: 1.0, lambda t, c: 0.0)
    assert ("app.orders", ("customer_id",), "fk") in [(c.table, c.keys, c.kind) for c in found]
