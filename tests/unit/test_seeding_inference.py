"""Inference without a database: CHECK forms, name conventions and lifecycle order on catalog objects."""

from __future__ import annotations

import zoneinfo

import pytest

from analyzer.catalog import Catalog, Column, Constraint, ForeignKey, Partition, Table
from analyzer.errors import SeedError
from analyzer.seeding.check_forms import analyze_checks
from analyzer.seeding.inference import infer_table


def col(name: str, type_: str = "text", not_null: bool = True, default: str | None = None, **kw: object) -> Column:
    return Column(name=name, type=type_, not_null=not_null, default=default, identity="", generated=False, **kw)  # type: ignore[arg-type]


def pk(table: str, *columns: str) -> Constraint:
    return Constraint(f"{table}_pkey", table, "p", columns, f"PRIMARY KEY ({', '.join(columns)})")


@pytest.mark.parametrize(
    ("definition", "column", "expected"),
    [
        ("CHECK (((x >= 1) AND (x <= 5)))", "x", {"low": 1.0, "high": 5.0}),
        ("CHECK ((x > 0))", "x", {"low": 0.0, "low_strict": True}),
        ("CHECK ((x = ANY (ARRAY['a'::text, 'b'::text])))", "x", {"values": ("a", "b")}),
        ("CHECK (((x = 'a'::text) OR (x = 'b'::text)))", "x", {"values": ("a", "b")}),
        ("CHECK ((length(x) <= 10))", "x", {"max_length": 10}),
        ("CHECK ((char_length(x) = 3))", "x", {"min_length": 3, "max_length": 3}),
        ("CHECK ((x IS NOT NULL))", "x", {"not_null": True}),
    ],
)
def test_single_column_forms(definition: str, column: str, expected: dict[str, object]) -> None:
    facts = analyze_checks([("c", definition, None)])
    assert not facts.unsupported
    for key, value in expected.items():
        assert getattr(facts.columns[column], key) == value


def test_domain_checks_name_value_as_the_column() -> None:
    facts = analyze_checks([("year_check", "CHECK (((VALUE >= 1901) AND (VALUE <= 2155)))", "release_year")])
    assert (facts.columns["release_year"].low, facts.columns["release_year"].high) == (1901.0, 2155.0)


def test_multi_column_forms_and_unsupported_ones() -> None:
    facts = analyze_checks([
        ("pair", "CHECK (((a IS NULL) = (b IS NULL)))", None),
        ("one", "CHECK (((c IS NULL) <> (d IS NULL)))", None),
        ("order", "CHECK ((starts_at <= ends_at))", None),
        ("odd", "CHECK (((a % 7) = (b % 3)))", None),
    ])
    assert facts.nulls_with == [("a", "b")]
    assert facts.nulls_without == [("c", "d")]
    assert facts.at_least == [("starts_at", "ends_at", False)]
    assert [n for n, _ in facts.unsupported] == ["odd"]


def _infer(table: Table, *others: Table, declared: dict[str, object] | None = None) -> dict[str, object]:
    catalog = Catalog({t.name: t for t in (table, *others)})
    inferred = infer_table(table, catalog, {}, set(catalog.tables))
    return {name: r for name, r in inferred.rules.items()}


def test_lifecycle_soft_delete_and_vocabularies_by_name() -> None:
    table = Table(
        "accounts",
        (
            col("id", "bigint"), col("created_at", "timestamp with time zone"),
            col("updated_at", "timestamp with time zone"), col("deleted_at", "timestamp with time zone", False),
            col("timezone"), col("currency"), col("email"), col("slug"), col("country_code", "character(2)"),
            col("name"), col("active", "integer", False),
        ),
        constraints=(pk("accounts", "id"),),
    )
    rules = _infer(table)
    assert rules["created_at"].kind == "timestamp" and rules["created_at"].options.get("ordered")  # type: ignore[attr-defined]
    assert (rules["updated_at"].kind, rules["updated_at"].arg) == ("after", "created_at")  # type: ignore[attr-defined]
    assert rules["deleted_at"].null_fraction >= 0.9  # type: ignore[attr-defined]
    values, _ = rules["timezone"].arg  # type: ignore[attr-defined]
    assert set(values) == zoneinfo.available_timezones()
    assert rules["currency"].arg == "currency_code" and rules["email"].arg == "email"  # type: ignore[attr-defined]
    assert rules["slug"].arg == "slug" and rules["country_code"].arg == "country_code"  # type: ignore[attr-defined]
    assert rules["name"].arg != "name"  # type: ignore[attr-defined]  # an account's name is not a person's
    assert rules["active"].kind == "choice"  # type: ignore[attr-defined]  # a boolean stored as an integer


def test_tenant_key_follows_the_parent() -> None:
    orgs = Table("orgs", (col("id", "bigint"),), constraints=(pk("orgs", "id"),))
    projects = Table(
        "projects", (col("id", "bigint"), col("organization_id", "bigint")), constraints=(pk("projects", "id"),),
        foreign_keys=(ForeignKey("p_org", "projects", ("organization_id",), "orgs", ("id",), ""),),
    )
    tasks = Table(
        "tasks", (col("id", "bigint"), col("project_id", "bigint"), col("organization_id", "bigint")),
        constraints=(pk("tasks", "id"),),
        foreign_keys=(
            ForeignKey("t_proj", "tasks", ("project_id",), "projects", ("id",), ""),
            ForeignKey("t_org", "tasks", ("organization_id",), "orgs", ("id",), ""),
        ),
    )
    rules = _infer(tasks, orgs, projects)
    assert (rules["organization_id"].kind, rules["organization_id"].arg) == ("copy", "project_id.organization_id")  # type: ignore[attr-defined]


def test_enums_use_every_label_and_partitions_bound_the_key() -> None:
    table = Table(
        "payments",
        (col("id", "bigint"), col("state", "payment_state", default="'open'::payment_state",
                                   enum_labels=("draft", "open", "paid")),
         col("paid_at", "timestamp with time zone")),
        constraints=(pk("payments", "id"),),
        partition_key="RANGE (paid_at)",
        partitions=(Partition("p1", "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')"),),
    )
    rules = _infer(table)
    values, weights = rules["state"].arg  # type: ignore[attr-defined]
    assert values[0] == "open" and set(values) == {"draft", "open", "paid"} and weights[0] == max(weights)
    assert rules["paid_at"].options["ranges"] == [["2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00"]]  # type: ignore[attr-defined]


def test_an_unsupported_check_names_the_constraint() -> None:
    table = Table(
        "plans", (col("id", "bigint"), col("a", "integer"), col("b", "integer")),
        constraints=(pk("plans", "id"), Constraint("odd_rule", "plans", "c", ("a", "b"), "CHECK (((a % 7) = (b % 3)))")),
    )
    with pytest.raises(SeedError, match="odd_rule"):
        _infer(table)
