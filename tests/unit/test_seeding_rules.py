"""Bad seeding rules: each is a one-line error naming the table and the column (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.catalog import Catalog, Column, Constraint, ForeignKey, Table
from analyzer.errors import SeedError
from analyzer.seeding.loader import generate_tables, load_order, plan_seeding
from analyzer.seeding.rules import parse_rule
from analyzer.workload import load_workload


def _catalog() -> Catalog:
    def col(name: str, type_: str, not_null: bool = True) -> Column:
        return Column(name=name, type=type_, not_null=not_null, default=None, identity="", generated=False)

    orgs = Table(
        "orgs",
        (col("id", "bigint"), col("name", "text"), col("owner_id", "bigint", not_null=False)),
        constraints=(Constraint("orgs_pkey", "orgs", "p", ("id",), "PRIMARY KEY (id)"),),
        foreign_keys=(ForeignKey("orgs_owner", "orgs", ("owner_id",), "users", ("id",), "FOREIGN KEY (owner_id) REFERENCES users(id)"),),
    )
    users = Table(
        "users",
        (col("id", "bigint"), col("org_id", "bigint"), col("email", "text"), col("status", "text")),
        constraints=(
            Constraint("users_pkey", "users", "p", ("id",), "PRIMARY KEY (id)"),
            Constraint("users_org_email", "users", "u", ("org_id", "email"), "UNIQUE (org_id, email)"),
        ),
        foreign_keys=(ForeignKey("users_org", "users", ("org_id",), "orgs", ("id",), "FOREIGN KEY (org_id) REFERENCES orgs(id)"),),
    )
    return Catalog({"orgs": orgs, "users": users})


def _plan(tmp_path: Path, users_columns: str, users_rows: int = 100, orgs_rows: int = 10):
    path = tmp_path / "w.yaml"
    path.write_text(
        "name: t\nschema: 'CREATE TABLE x ();'\nqueries:\n  - {name: q, sql: SELECT 1}\ntables:\n"
        f"  orgs:\n    rows: {orgs_rows}\n"
        f"  users:\n    rows: {users_rows}\n    columns:\n{users_columns}"
    )
    return plan_seeding(_catalog(), load_workload(path), 1.0)


def _generate_all(plan) -> dict:
    complete: dict = {}
    generate_tables(plan, 1, lambda tp, data: complete.__setitem__(tp.table.name, data))
    return complete


def _one_line(excinfo: pytest.ExceptionInfo[SeedError]) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def test_unknown_faker_provider_names_column_and_suggests(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "      email: {faker: emial}\n")
    with pytest.raises(SeedError) as excinfo:
        _generate_all(plan)
    line = _one_line(excinfo)
    assert "tables.users.columns.email" in line and "'emial'" in line and "closest: email" in line


def test_weights_not_summing_to_one(tmp_path: Path) -> None:
    with pytest.raises(SeedError) as excinfo:
        _plan(tmp_path, "      status: {choice: {active: 0.5, gone: 0.3}}\n")
    assert "tables.users.columns.status: choice weights sum to 0.8, not 1" in _one_line(excinfo)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{ref: teams.id}", "references teams.id, but table teams does not exist"),
        ("{ref: orgs.nope}", "references orgs.nope, but orgs.nope is not a generated column"),
    ],
)
def test_reference_to_a_missing_table_or_column(tmp_path: Path, rule: str, message: str) -> None:
    with pytest.raises(SeedError) as excinfo:
        _plan(tmp_path, f"      org_id: {rule}\n")
    line = _one_line(excinfo)
    assert "tables.users.columns.org_id" in line and message in line


@pytest.mark.parametrize(
    ("columns", "where", "message"),
    [
        ("      status: {choice: [a, b, c], unique: true}\n", "tables.users.columns.status", "3 choices for 100 rows"),
        ("      org_id: {ref: orgs.id, unique: true}\n", "tables.users.columns.org_id", "10 rows in orgs for 100 rows"),
        ("      status: {int: {min: 1, max: 50}, unique: true}\n", "tables.users.columns.status", "50 values in [1, 50]"),
        ("      email: {choice: [a, b]}\n", "tables.users.columns.org_id,email", "unique (org_id, email) is impossible"),
    ],
)
def test_impossible_unique(tmp_path: Path, columns: str, where: str, message: str) -> None:
    plan = _plan(tmp_path, columns)
    with pytest.raises(SeedError) as excinfo:
        _generate_all(plan)
    line = _one_line(excinfo)
    assert where in line and message in line


def test_a_reference_cycle_is_broken_at_the_nullable_column(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "      email: {faker: email, unique: true}\n")
    assert plan.order == ["orgs", "users"]
    assert plan.tables[0].deferred == ("owner_id",)
    tables = _generate_all(plan)
    assert set(tables) == {"orgs", "users"}
    owners = tables["orgs"].cols["owner_id"]
    user_ids = set(tables["users"].cols["id"].values.tolist())
    assert set(owners.values[~owners.null_mask()].tolist()) <= user_ids


def test_load_order_puts_parents_first() -> None:
    rules = {
        "c": {"b_id": parse_rule("c", "b_id", {"ref": "b.id"})},
        "b": {"a_id": parse_rule("b", "a_id", {"ref": "a.id"})},
        "a": {},
    }
    assert load_order(rules) == (["a", "b", "c"], {})
