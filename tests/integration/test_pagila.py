"""Pagila, the published pg_dump DDL, seeded from row counts alone (~100k rentals): realism on every row.

The embedded PostgreSQL 18 only: the DDL uses uuidv7() and virtual generated columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from faker.providers.person.en_US import Provider as PersonProvider

from analyzer.cli import main

from ..conftest import WORKLOADS, _database_on

PAGILA = WORKLOADS / "pagila.yaml"
LANGUAGE_NAMES = set(PersonProvider.language_names)


@pytest.fixture(scope="module")
def pagila(embedded_dsn: str) -> Iterator[psycopg.Connection]:
    if not (PAGILA.parent / "../../shared/external/pagila/pagila-schema.sql").exists():
        pytest.skip("the Pagila DDL is not at ../shared/external/pagila/")
    with _database_on(embedded_dsn) as dsn:
        code = main(["seed", str(PAGILA), "--dsn", dsn, "--allow-ddl", "--quiet"])
        assert code == 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            yield conn


def _one(conn: psycopg.Connection, query: str) -> object:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_row_counts_as_declared(pagila: psycopg.Connection) -> None:
    assert _one(pagila, "SELECT count(*) FROM rental") == 100_000
    assert _one(pagila, "SELECT count(*) FROM payment") == 100_000
    assert _one(pagila, "SELECT count(*) FROM film") == 1000


def test_returns_follow_rentals(pagila: psycopg.Connection) -> None:
    assert _one(pagila, "SELECT count(*) FROM rental WHERE return_date < rental_date") == 0
    returned = _one(pagila, "SELECT avg((return_date IS NOT NULL)::int) FROM rental")
    assert 0.5 < float(returned) < 1.0  # type: ignore[arg-type]


def test_every_enum_column_uses_several_labels(pagila: psycopg.Connection) -> None:
    columns = pagila.execute(
        """
        SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE t.typtype = 'e' AND c.relkind = 'r' AND n.nspname = 'public' AND a.attnum > 0
        """
    ).fetchall()
    assert ("film", "rating") in columns
    for table, column in columns:
        labels = _one(pagila, f'SELECT count(DISTINCT "{column}") FROM "{table}"')
        assert int(labels) >= 3, (table, column)  # type: ignore[call-overload]


def test_payments_inside_their_partitions(pagila: psycopg.Connection) -> None:
    assert _one(pagila, "SELECT count(*) FROM ONLY payment") == 0
    per_partition = pagila.execute("SELECT tableoid::regclass::text, count(*) FROM payment GROUP BY 1").fetchall()
    assert len(per_partition) > 30  # spread over the months, not piled into one
    assert _one(pagila, "SELECT min(payment_date) >= '2022-01-01' AND max(payment_date) < '2026-08-01' FROM payment")
    # the customer who pays is the customer who rented
    assert _one(pagila, "SELECT count(*) FROM payment p JOIN rental r USING (rental_id) WHERE p.customer_id <> r.customer_id") == 0


def test_amounts_and_lengths_are_plausible(pagila: psycopg.Connection) -> None:
    lo, hi, avg = pagila.execute("SELECT min(amount), max(amount), avg(amount) FROM payment").fetchone()  # type: ignore[misc]
    assert 0 < lo and hi <= 100 and avg < 30
    lo, hi = pagila.execute("SELECT min(length), max(length) FROM film").fetchone()  # type: ignore[misc]
    assert 1 <= lo and hi <= 240
    lo, hi = pagila.execute("SELECT min(release_year), max(release_year) FROM film").fetchone()  # type: ignore[misc]
    assert 1901 <= lo and hi <= 2155
    lo, hi = pagila.execute("SELECT min(rental_rate), max(rental_rate) FROM film").fetchone()  # type: ignore[misc]
    assert 0 < lo and hi < 100
    assert _one(pagila, "SELECT count(DISTINCT last_update) > 100 FROM rental")  # not all the seeding instant
    assert _one(pagila, "SELECT max(last_update) < now() - interval '1 day' FROM category")


def test_category_and_language_names_are_not_person_names(pagila: psycopg.Connection) -> None:
    first_names = set(PersonProvider.first_names) | set(PersonProvider.last_names)
    for table in ("category", "language"):
        names = [r[0] for r in pagila.execute(f"SELECT name FROM {table}").fetchall()]
        assert names and not any(n.split()[0] in first_names for n in names), (table, names)
    languages = {r[0] for r in pagila.execute("SELECT name FROM language").fetchall()}
    assert languages <= set(LANGUAGE_NAMES)  # real language names


def test_constraints_views_and_visibility_after_the_load(pagila: psycopg.Connection) -> None:
    assert _one(pagila, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == 0
    assert _one(pagila, "SELECT count(*) FROM pg_constraint WHERE conname = 'rental_customer_id_fkey'") == 1
    assert _one(pagila, "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_unq_rental_rental_date_inventory_id_customer_id'") == 1
    assert _one(pagila, "SELECT count(*) FROM pg_views WHERE viewname IN ('actor_info', 'film_list', 'sales_by_store')") == 3
    # VACUUM (ANALYZE) after the load: the visibility map is set, so index-only scans skip the heap
    pages, visible = pagila.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'rental'").fetchone()  # type: ignore[misc]
    assert pages > 0 and visible >= 0.9 * pages
    # rentals were inserted in time order: ids and rental dates rise together
    corr = _one(pagila, "SELECT correlation FROM pg_stats WHERE tablename = 'rental' AND attname = 'rental_date'")
    assert float(corr) > 0.99  # type: ignore[arg-type]


def test_the_published_dump_with_its_search_path_reset(embedded_dsn: str, tmp_path: Path) -> None:
    """The published file keeps `SELECT pg_catalog.set_config('search_path', '', false);`."""
    orig = PAGILA.parent / "../../shared/external/pagila/pagila-schema.orig.sql"
    if not orig.exists():
        pytest.skip("the published Pagila DDL is not at ../shared/external/pagila/")
    text = PAGILA.read_text().replace("pagila-schema.sql", str(orig.resolve()))
    text = text.replace("schema: ../../shared/external/pagila/", "schema: ")
    workload = tmp_path / "pagila_orig.yaml"
    workload.write_text(text)
    with _database_on(embedded_dsn) as dsn:
        code = main(["run", str(workload), "--dsn", dsn, "--allow-ddl", "--scale", "0.1", "--quiet",
                     "--out", str(tmp_path / "reports")])
        assert code == 0
        with psycopg.connect(dsn) as conn:
            assert _one(conn, "SELECT count(*) FROM rental") == 10_000
