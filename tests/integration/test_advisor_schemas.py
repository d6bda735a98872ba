"""The advisor's statistics come from the schema of each table, not from `current_schema`.

Two tables named `orders`, one in `public` and one in `sales`, hold opposite data: in
`sales`, customer_id has many distinct values and region_id few, and courier_id is mostly
NULL; in `public` it is the other way round. The candidates for `sales.orders` must follow
the statistics of `sales.orders` (key order by distinct count, the sparse join column's
`IS NOT NULL`), read from pg_stats after ANALYZE.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg

from analyzer.advisor.candidates import generate_candidates
from analyzer.advisor.correlation import Correlations
from analyzer.advisor.sqlshape import TableAccess, analyze_statement
from analyzer.advisor.stats import TableStats
from analyzer.catalog import read_catalog

SETUP = """
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, region_id int NOT NULL,
                           courier_id int, placed_at timestamptz NOT NULL);
INSERT INTO sales.orders
SELECT i, i % 5000, i % 4, CASE WHEN i % 10 = 0 THEN i % 50 END, timestamptz '2025-01-01' + i * interval '1 minute'
FROM generate_series(1, 20000) i;
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, region_id int NOT NULL,
                            courier_id int, placed_at timestamptz NOT NULL);
INSERT INTO public.orders
SELECT i, i % 4, i % 5000, i % 50, timestamptz '2025-01-01' - i * interval '1 minute'
FROM generate_series(1, 20000) i;
CREATE TABLE couriers (id int PRIMARY KEY);
ANALYZE;
"""

QUERY = """
SELECT o.id FROM orders o JOIN couriers c ON c.id = o.courier_id
WHERE o.region_id = $1 AND o.customer_id = $2
"""


def _accesses_on(table: str, conn: psycopg.Connection) -> list[tuple[str, TableAccess]]:
    """The query's access to `orders`, re-keyed to `table` (the statement names the bare table)."""
    catalog = read_catalog(conn)
    out = []
    for access in analyze_statement(QUERY, catalog):
        if access.table == "orders":
            preds = [replace(p, table=table) for p in access.predicates]
            out.append(("q", replace(access, table=table, predicates=preds)))
    return out


def test_candidates_follow_the_statistics_of_their_own_schema(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SETUP)
        conn.execute("SET search_path = public")  # sales is not on the path: stats must not depend on it
        catalog = read_catalog(conn)
        stats = TableStats(conn)
        assert stats.rows("sales.orders") == 20000
        assert stats.distinct("sales.orders", "customer_id") > 100 * stats.distinct("sales.orders", "region_id")
        assert stats.null_fraction("sales.orders", "courier_id") > 0.8
        assert stats.null_fraction("orders", "courier_id") == 0.0
        assert abs(stats.fraction("sales.orders", "region_id = 1") - 0.25) < 0.01

        correlation = Correlations(conn)
        assert (correlation("sales.orders", "placed_at") or 0) > 0.9
        assert (correlation("orders", "placed_at") or 0) < -0.9

        def candidates(table: str) -> list[tuple[str, ...]]:
            found = generate_candidates(_accesses_on(table, conn), catalog, stats.fraction, stats.distinct,
                                        stats.null_fraction, correlation)
            return [(c.table, ",".join(c.keys), c.where or "") for c in found if c.table == table]

        sales = candidates("sales.orders")
        public = candidates("orders")
    # equality keys, most selective first: by the distinct counts of each schema's own table
    assert ("sales.orders", "customer_id,region_id", "") in sales
    assert ("orders", "region_id,customer_id", "") in public
    # the join column is mostly NULL in sales only
    assert any(k == "courier_id" and w == "courier_id IS NOT NULL" for _, k, w in sales)
    assert not any(w == "courier_id IS NOT NULL" for _, _, w in public)
