"""The advisor's pure core: SQL shapes into index candidates, indexes.sql, existing-index notes, write verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from analyzer.advisor.candidates import IndexCandidate, generate_candidates
from analyzer.advisor.existing import review_existing_indexes
from analyzer.advisor.sqlfile import render_indexes_down_sql, render_indexes_sql
from analyzer.advisor.sqlshape import analyze_statement
from analyzer.advisor.writecosts import decisive_delta_ms, write_cost_verdict, write_term_delta
from analyzer.catalog import Catalog, Column, Constraint, ForeignKey, Index, Table
from analyzer.report.model import QuerySpeedup, Recommendation, StatementOverhead, WriteOverhead


def _col(name: str, type_: str = "bigint", not_null: bool = True) -> Column:
    return Column(name=name, type=type_, not_null=not_null, default=None, identity="", generated=False)


def _index(name: str, table: str, columns: tuple[str, ...], *, method: str = "btree", unique: bool = False,
           primary: bool = False, constraint: str | None = None, partial: bool = False) -> Index:
    cols = ", ".join(columns)
    definition = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON public.{table} USING {method} ({cols})"
    return Index(name=name, table=table, definition=definition, columns=columns, method=method, unique=unique,
                 primary=primary, constraint=constraint, partial=partial)


TS = "timestamp with time zone"


def _catalog(extra_indexes: Mapping[str, tuple[Index, ...]] | None = None) -> Catalog:
    extra = extra_indexes or {}
    tenants = Table(
        "tenants", (_col("id"), _col("name", "text")),
        constraints=(Constraint("tenants_pkey", "tenants", "p", ("id",), "PRIMARY KEY (id)"),),
        indexes=(_index("tenants_pkey", "tenants", ("id",), unique=True, primary=True, constraint="tenants_pkey"),)
        + extra.get("tenants", ()),
    )
    events = Table(
        "events",
        (_col("id"), _col("tenant_id"), _col("user_id"), _col("kind", "text"), _col("status", "text"),
         _col("created_at", TS), _col("deleted_at", TS, not_null=False), _col("email", "text"),
         _col("message", "text"), _col("props", "jsonb"), _col("tags", "text[]"), _col("amount", "integer")),
        constraints=(Constraint("events_pkey", "events", "p", ("id",), "PRIMARY KEY (id)"),),
        foreign_keys=(ForeignKey("events_tenant_id_fkey", "events", ("tenant_id",), "tenants", ("id",),
                                 "FOREIGN KEY (tenant_id) REFERENCES tenants(id)"),),
        indexes=(_index("events_pkey", "events", ("id",), unique=True, primary=True, constraint="events_pkey"),)
        + extra.get("events", ()),
    )
    return Catalog({"tenants": tenants, "events": events})


# status IN ('failed', 'retry') and deleted_at IS NULL are rare; status = 'ok' is most rows
FRACTIONS = {
    "status IN ('failed', 'retry')": 0.03,
    "deleted_at IS NULL": 0.9,
    "deleted_at IS NOT NULL": 0.02,
    "status IN ('ok', 'retry')": 0.8,
}
DISTINCT = {"tenant_id": 500.0, "user_id": 50_000.0, "kind": 12.0, "id": 1e6}


def _fraction(table: str, predicate: str) -> float:
    return FRACTIONS.get(predicate, 0.5)


def _distinct(table: str, column: str) -> float:
    return DISTINCT.get(column, 100.0)


def _nulls(table: str, column: str) -> float:
    return 0.0


def _candidates(sql: str, catalog: Catalog | None = None, fraction=_fraction, nulls=_nulls) -> list[IndexCandidate]:
    cat = catalog or _catalog()
    accesses = [("q", a) for a in analyze_statement(sql, cat)]
    return generate_candidates(accesses, cat, fraction, _distinct, nulls)


def _ddls(cands: list[IndexCandidate]) -> set[str]:
    return {c.ddl("ix") for c in cands}


def test_composite_btree_puts_the_most_selective_equality_first_then_the_range() -> None:
    cands = _candidates("SELECT id FROM events WHERE kind = $1 AND user_id = $2 AND created_at >= $3")
    assert "CREATE INDEX ix ON events (user_id, kind, created_at)" in _ddls(cands)
    btree = next(c for c in cands if c.kind == "btree")
    assert btree.queries == ("q",)


def test_order_by_columns_follow_the_equalities_so_limit_stops_early() -> None:
    cands = _candidates("SELECT id, kind FROM events WHERE tenant_id = $1 AND created_at > $2 "
                        "ORDER BY created_at DESC LIMIT 50")
    keys = {c.keys for c in cands if c.kind == "btree"}
    assert ("tenant_id", "created_at") in keys
    # with one direction the index is walked backwards: no DESC needed
    assert all("DESC" not in k for ks in keys for k in ks)


def test_mixed_sort_directions_write_desc_in_the_index() -> None:
    cands = _candidates("SELECT id FROM events WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT 10")
    assert ("tenant_id", "created_at DESC", "id") in {c.keys for c in cands}


def test_no_order_candidate_without_limit() -> None:
    cands = _candidates("SELECT id FROM events WHERE tenant_id = $1 ORDER BY created_at")
    assert {c.keys for c in cands if c.kind == "btree"} == {("tenant_id",)}


def test_keyset_row_comparison_becomes_the_order_columns() -> None:
    [access] = analyze_statement(
        "SELECT id FROM events WHERE tenant_id = $1 AND (created_at, id) < ($2, $3) "
        "ORDER BY created_at DESC, id DESC LIMIT 50", _catalog())
    keyset = next(p for p in access.predicates if p.operator == "row")
    assert keyset.op == "range" and keyset.column == "created_at"
    assert access.order_by == [("created_at", True), ("id", True)] and access.limit
    cands = _candidates("SELECT id FROM events WHERE tenant_id = $1 AND (created_at, id) < ($2, $3) "
                        "ORDER BY created_at DESC, id DESC LIMIT 50")
    assert ("tenant_id", "created_at", "id") in {c.keys for c in cands if c.kind == "btree"}


def test_selective_constant_predicates_become_a_partial_index() -> None:
    cands = _candidates("SELECT id FROM events WHERE tenant_id = $1 AND status IN ('failed', 'retry') "
                        "AND deleted_at IS NOT NULL")
    partial = [c for c in cands if c.kind == "partial"]
    assert partial, cands
    assert partial[0].where == "status IN ('failed', 'retry') AND deleted_at IS NOT NULL"
    assert partial[0].ddl("ix") == (
        "CREATE INDEX ix ON events (tenant_id) WHERE status IN ('failed', 'retry') AND deleted_at IS NOT NULL")


def test_is_null_alone_makes_a_partial_index_when_rare() -> None:
    cands = _candidates("SELECT id FROM events WHERE tenant_id = $1 AND deleted_at IS NULL",
                        fraction=lambda t, p: 0.02 if p == "deleted_at IS NULL" else 0.5)
    partial = [c for c in cands if c.kind == "partial"]
    assert [c.where for c in partial] == ["deleted_at IS NULL"]
    assert partial[0].keys == ("tenant_id",)


def test_no_partial_index_when_the_predicate_keeps_most_rows() -> None:
    cands = _candidates("SELECT id FROM events WHERE tenant_id = $1 AND status IN ('ok', 'retry') "
                        "AND deleted_at IS NULL")
    assert not [c for c in cands if c.kind == "partial" or c.where]
    # the IN list that is not selective enough for a WHERE becomes a key column after the equality
    assert ("tenant_id", "status") in {c.keys for c in cands}


def test_expression_index_is_written_as_the_query_writes_it() -> None:
    cands = _candidates("SELECT e.id FROM events e WHERE lower(e.email) = $1")
    expr = [c for c in cands if c.kind == "expression"]
    assert [c.ddl("ix") for c in expr] == ["CREATE INDEX ix ON events ((lower(email)))"]


def test_date_trunc_expression_with_a_range() -> None:
    cands = _candidates("SELECT count(*) FROM events WHERE date_trunc('day', created_at) >= $1")
    assert "CREATE INDEX ix ON events ((date_trunc('day', created_at)))" in _ddls(cands)


def test_full_text_search_gets_a_gin_on_the_same_expression() -> None:
    sql = ("SELECT id FROM events WHERE to_tsvector('english', message) @@ plainto_tsquery('english', $1) "
           "ORDER BY created_at DESC LIMIT 20")
    gin = [c for c in _candidates(sql) if c.method == "gin"]
    assert [c.ddl("ix") for c in gin] == [
        "CREATE INDEX ix ON events USING gin ((to_tsvector('english', message)))"]
    assert gin[0].kind == "gin" and gin[0].extension is None


@pytest.mark.parametrize("predicate", ["message ILIKE '%' || $1 || '%'", "message LIKE '%disk%'", "message ~* $1"])
def test_substring_and_regex_get_a_trigram_gin(predicate: str) -> None:
    gin = [c for c in _candidates(f"SELECT id FROM events WHERE {predicate} LIMIT 20") if c.method == "gin"]
    assert len(gin) == 1
    assert gin[0].opclass == "gin_trgm_ops" and gin[0].extension == "pg_trgm"
    assert gin[0].ddl("ix") == "CREATE INDEX ix ON events USING gin (message gin_trgm_ops)"


def test_prefix_like_is_a_btree_range_not_a_trigram() -> None:
    cands = _candidates("SELECT id FROM events WHERE message LIKE 'disk%'")
    assert not [c for c in cands if c.method == "gin"]
    assert ("message",) in {c.keys for c in cands}


def test_jsonb_containment_uses_jsonb_path_ops() -> None:
    gin = [c for c in _candidates("SELECT id FROM events WHERE props @> CAST($1 AS jsonb)") if c.method == "gin"]
    assert [c.ddl("ix") for c in gin] == ["CREATE INDEX ix ON events USING gin (props jsonb_path_ops)"]


def test_jsonb_key_existence_uses_the_default_opclass() -> None:
    gin = [c for c in _candidates("SELECT id FROM events WHERE props ? 'browser'") if c.method == "gin"]
    assert [c.ddl("ix") for c in gin] == ["CREATE INDEX ix ON events USING gin (props)"]


def test_array_overlap_gets_a_gin() -> None:
    gin = [c for c in _candidates("SELECT id FROM events WHERE tags && $1::text[]") if c.method == "gin"]
    assert [c.ddl("ix") for c in gin] == ["CREATE INDEX ix ON events USING gin (tags)"]


def test_join_on_a_foreign_key_column_gets_an_fk_candidate() -> None:
    sql = "SELECT e.id FROM tenants t JOIN events e ON e.tenant_id = t.id WHERE t.name = $1"
    fk = [c for c in _candidates(sql) if c.kind == "fk"]
    assert [c.ddl("ix") for c in fk] == ["CREATE INDEX ix ON events (tenant_id)"]
    assert "events.tenant_id = tenants.id" in fk[0].reason


def test_sparse_join_column_gets_where_is_not_null() -> None:
    sql = "SELECT e.id FROM tenants t JOIN events e ON e.user_id = t.id WHERE t.name = $1"
    cands = _candidates(sql, nulls=lambda t, c: 0.8 if c == "user_id" else 0.0)
    join = [c for c in cands if c.keys == ("user_id",)]
    assert [c.where for c in join] == ["user_id IS NOT NULL"]
    assert join[0].kind == "btree"  # user_id has no foreign key in this catalog


def test_include_columns_for_an_index_only_scan() -> None:
    cands = _candidates("SELECT tenant_id, amount FROM events WHERE user_id = $1")
    covering = [c for c in cands if c.kind == "covering"]
    assert [c.ddl("ix") for c in covering] == ["CREATE INDEX ix ON events (user_id) INCLUDE (amount, tenant_id)"]


def test_no_include_for_wide_columns() -> None:
    cands = _candidates("SELECT message FROM events WHERE user_id = $1")
    assert not [c for c in cands if c.include]


def test_candidates_served_by_an_existing_index_are_left_out() -> None:
    existing = {"events": (_index("events_user_kind", "events", ("user_id", "kind")),)}
    cat = _catalog(existing)
    cands = _candidates("SELECT id FROM events WHERE user_id = $1", cat)
    assert ("user_id",) not in {c.keys for c in cands if not c.include and not c.where}
    # the primary key already serves a lookup by id
    assert not [c for c in _candidates("SELECT * FROM events WHERE id = $1") if c.keys == ("id",) and not c.include]
    # an existing index of another method does not serve a btree lookup
    gin_only = _catalog({"events": (_index("events_user_gin", "events", ("user_id",), method="gin"),)})
    assert ("user_id",) in {c.keys for c in _candidates("SELECT id FROM events WHERE user_id = $1", gin_only)}


def test_a_query_no_index_helps_gets_no_candidate() -> None:
    assert _candidates("SELECT count(*) FROM events") == []


def test_candidates_are_deduplicated_across_queries_with_every_query_named() -> None:
    cat = _catalog()
    accesses = [(name, a) for name in ("a", "b")
                for a in analyze_statement("SELECT id FROM events WHERE user_id = $1", cat)]
    cands = generate_candidates(accesses, cat, _fraction, _distinct, _nulls)
    btree = [c for c in cands if c.keys == ("user_id",) and c.kind == "btree"]
    assert len(btree) == 1 and btree[0].queries == ("a", "b")


def test_correlated_subquery_tables_are_seen() -> None:
    sql = ("SELECT t.id, (SELECT count(*) FROM events e WHERE e.tenant_id = t.id AND e.kind = 'x') AS n "
           "FROM tenants t WHERE t.id = $1")
    tables = {a.table for a in analyze_statement(sql, _catalog())}
    assert tables == {"tenants", "events"}


def test_candidate_names_are_stable_and_tagged() -> None:
    c = IndexCandidate("events", ("(lower(email))",), "expression")
    assert c.name == IndexCandidate("events", ("(lower(email))",), "expression").name
    assert c.name.startswith("pga_events_lower_email_")
    assert c.ddl(concurrently=True).startswith(f"CREATE INDEX CONCURRENTLY {c.name} ON events")


# indexes.sql / indexes.down.sql

def _rec(name: str, chosen: bool, ddl: str | None = None) -> Recommendation:
    q = QuerySpeedup(query="recent_events", before_ms=40.0, after_ms=0.5, before_buffers=5000, after_buffers=12,
                     uses_index=True)
    overhead = WriteOverhead(wal_bytes=1200, wal_ratio=0.12, buffers_dirtied=3, time_ms_median=0.4, time_ratio=0.05,
                             hot_updates_lost=2)
    return Recommendation(name=name, ddl=ddl or f"CREATE INDEX {name} ON events (tenant_id, created_at)",
                          table="events", kind="btree", chosen=chosen, reason="saves 39 ms", proven=True,
                          queries=(q,), weighted_speedup=80.0, size_bytes=2 * 1024 * 1024, build_ms=120.0,
                          write_overhead=overhead)


def test_indexes_sql_has_only_the_chosen_ones_concurrently_with_comments() -> None:
    recs = [_rec("pga_events_a", True), _rec("pga_events_rejected", False), _rec("pga_events_b", True)]
    text = render_indexes_sql(recs, "event_log")
    assert "workload event_log" in text
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_a ON events (tenant_id, created_at);" in text
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS pga_events_b ON events (tenant_id, created_at);" in text
    assert "pga_events_rejected" not in text
    assert "-- pga_events_a (btree) on events: saves 39 ms" in text
    assert "--   recent_events: 40.00 ms -> 0.50 ms (80.0x), buffers 5,000 -> 12" in text
    assert "--   size 2.0 MB, built in 120 ms" in text
    assert "+1,200 WAL bytes (+12.0%)" in text and "2 HOT updates lost" in text
    for line in text.splitlines():
        assert line.startswith(("--", "CREATE INDEX CONCURRENTLY IF NOT EXISTS")) or not line


def test_indexes_down_sql_drops_the_chosen_ones_in_reverse() -> None:
    recs = [_rec("pga_events_a", True), _rec("pga_events_rejected", False), _rec("pga_events_b", True)]
    down = render_indexes_down_sql(recs, "event_log")
    drops = [line for line in down.splitlines() if line.startswith("DROP")]
    assert drops == ["DROP INDEX CONCURRENTLY IF EXISTS pga_events_b;",
                     "DROP INDEX CONCURRENTLY IF EXISTS pga_events_a;"]


def test_indexes_sql_says_so_when_nothing_is_recommended() -> None:
    text = render_indexes_sql([_rec("pga_events_rejected", False)], "w")
    assert "No index is recommended" in text and "CREATE INDEX" not in text
    assert [line for line in render_indexes_down_sql([], "w").splitlines() if line.startswith("DROP")] == []


# existing indexes

def test_existing_indexes_duplicate_redundant_unused() -> None:
    existing = {"events": (
        _index("events_tenant", "events", ("tenant_id",)),
        _index("events_tenant_again", "events", ("tenant_id",)),
        _index("events_kind", "events", ("kind",)),
        _index("events_email_key", "events", ("email",), unique=True, constraint="events_email_key"),
    )}
    # the two tenant indexes differ only by name: rebuild them with the same definition body
    cat = _catalog(existing)
    recommended = [IndexCandidate("events", ("tenant_id", "created_at"), "btree")]
    notes = review_existing_indexes(cat, ["events"], used={"events_kind", "events_pkey"}, recommended=recommended)
    got = {(n.name, n.kind) for n in notes}
    assert ("events_tenant_again", "duplicate") in got
    assert ("events_tenant", "redundant") in got and ("events_tenant_again", "redundant") in got
    assert ("events_tenant", "unused") in got
    assert ("events_kind", "unused") not in got  # a plan used it
    # constraint-backed indexes are never called unused or redundant, used or not
    assert not [n for n in notes if n.name in ("events_pkey", "events_email_key") and n.kind != "duplicate"]
    assert all(n.table == "events" for n in notes)


def test_existing_unique_and_partial_indexes_are_not_redundant() -> None:
    existing = {"events": (
        _index("events_tenant_uq", "events", ("tenant_id",), unique=True),
        _index("events_tenant_part", "events", ("tenant_id",), partial=True),
    )}
    recommended = [IndexCandidate("events", ("tenant_id", "created_at"), "btree")]
    notes = review_existing_indexes(_catalog(existing), ["events", "nope"], used={"events_tenant_uq",
                                                                                  "events_tenant_part"}, recommended=recommended)
    assert notes == []


# write costs

def _overhead(*writes: tuple[str, int, float, float | None]) -> WriteOverhead:
    """(write, executions per run, time change per run, declared weight or None when synthesized).

    A cost comes with the WAL share that stands for it (10 ms before, 1,000 bytes before: each
    ms of cost is 100 bytes more), as an index the write maintains adds both.
    """
    return WriteOverhead(
        wal_bytes=100_000, wal_ratio=0.3, buffers_dirtied=50, time_ms_median=sum(w[2] for w in writes),
        time_ratio=0.2,
        statements=tuple(StatementOverhead(write=w, executions=n, time_ms_before=10.0, time_ms_delta=d, frequency=f,
                                           wal_bytes_before=1000, wal_bytes_delta=round(max(d, 0.0) * 100))
                         for w, n, d, f in writes),
    )


def test_a_time_change_without_wal_is_noise() -> None:
    """An index the write does not maintain adds no WAL: its slower run was the machine, not the index."""
    noisy = WriteOverhead(wal_bytes=0, wal_ratio=0.0, buffers_dirtied=0, time_ms_median=13.6, time_ratio=0.2,
                          statements=(StatementOverhead(write="purge", executions=1, time_ms_before=60.0,
                                                        time_ms_delta=13.6, frequency=5.0, wal_bytes_before=9000,
                                                        wal_bytes_delta=0, can_gain=False),))
    assert decisive_delta_ms(noisy.statements[0]) == 0.0
    assert write_cost_verdict(noisy, saving_ms=0.01, read_weight=10, write_weight=5) is None


def test_a_cost_follows_the_wal_the_index_adds_not_one_timed_pair() -> None:
    s = StatementOverhead(write="insert", executions=10, time_ms_before=8.0, time_ms_delta=-3.0, frequency=1.0,
                          wal_bytes_before=4000, wal_bytes_delta=1000, can_gain=False)
    assert decisive_delta_ms(s) == pytest.approx(2.0)  # 25% more WAL: 25% of its 8 ms, whatever the pair said


def test_a_small_speedup_of_a_write_is_not_a_gain() -> None:
    slight = StatementOverhead(write="purge", executions=1, time_ms_before=63.7, time_ms_delta=-5.1, frequency=1.0,
                               wal_bytes_before=9000, wal_bytes_delta=0, can_gain=True)
    plan_changed = StatementOverhead(write="purge", executions=1, time_ms_before=43.8, time_ms_delta=-43.4,
                                     frequency=1.0, wal_bytes_before=9000, wal_bytes_delta=0, can_gain=True)
    assert decisive_delta_ms(slight) == 0.0
    assert decisive_delta_ms(plan_changed) == pytest.approx(-43.4)


def test_write_cost_verdict_accepts_a_cheap_index() -> None:
    # 10 ms over 100 executions = 0.1 ms per write, x 20 weight / 100 = 0.02 < 5 ms x 80 / 100
    assert write_cost_verdict(_overhead(("w", 100, 10.0, 20.0)), saving_ms=5.0, read_weight=80, write_weight=20) is None


def test_write_cost_verdict_rejects_when_writes_dominate() -> None:
    verdict = write_cost_verdict(_overhead(("w", 100, 500.0, 90.0)), saving_ms=0.1, read_weight=10, write_weight=90)
    assert verdict is not None
    assert "w +5.000 ms per execution" in verdict and "+30.0% WAL" in verdict and "10% of operations are reads" in verdict


def test_a_write_that_gets_faster_is_a_gain_not_a_zero() -> None:
    """A purge 40 ms faster per execution at weight 1 against 99 of reads: -0.4 ms per operation."""
    overhead = _overhead(("purge", 1, -40.0, 1.0), ("insert", 10, 1.0, 9.0))
    delta = write_term_delta(overhead, read_weight=90, write_weight=10)
    assert delta == pytest.approx((-40.0 + 9.0 * 0.1) / 100)
    assert write_cost_verdict(overhead, saving_ms=0.0, read_weight=90, write_weight=10) is None


def test_each_write_counts_by_its_frequency_not_by_its_executions_per_run() -> None:
    """A bulk insert run once per run weighs what its weight says, not 1/100 of the mix."""
    rare_bulk = _overhead(("bulk", 1, 50.0, 1.0), ("single", 99, 0.99, 99.0))
    assert write_term_delta(rare_bulk, 100, 100) == pytest.approx((50.0 + 0.99) / 200)


def test_synthesized_rows_share_the_assumed_write_weight() -> None:
    overhead = _overhead(("insert t", 200, 20.0, None), ("delete t", 200, 0.0, None))
    # 25 write weight over 400 rows, 0.1 ms per inserted row: 25 * 200/400 * 0.1 / 125
    assert write_term_delta(overhead, 100, 25) == pytest.approx(25 * 0.5 * 0.1 / 125)


# candidate kinds of issue 14: BRIN, live-row GIN, join tables, write candidates, names

def _with_correlation(sql: str, corr: float) -> list[IndexCandidate]:
    cat = _catalog()
    accesses = [("q", a) for a in analyze_statement(sql, cat)]
    return generate_candidates(accesses, cat, _fraction, _distinct, _nulls, lambda t, c: corr if c == "created_at" else 0.0)


def test_a_range_on_a_column_in_insertion_order_gets_a_brin_candidate() -> None:
    sql = "SELECT count(*) FROM events WHERE created_at >= $1 AND created_at < $2"
    brin = [c for c in _with_correlation(sql, 0.99) if c.method == "brin"]
    assert [c.ddl() for c in brin] == [f"CREATE INDEX {brin[0].name} ON events USING brin (created_at)"]
    assert "correlation +0.99" in brin[0].reason
    assert not [c for c in _with_correlation(sql, 0.3) if c.method == "brin"]


def test_a_trigram_search_on_live_rows_gets_only_the_partial_gin() -> None:
    cands = _candidates("SELECT id FROM events WHERE message ILIKE '%' || $1 || '%' AND deleted_at IS NULL")
    gin = [c for c in cands if c.method == "gin"]
    assert [(c.keys, c.opclass, c.where) for c in gin] == [(("message",), "gin_trgm_ops", "deleted_at IS NULL")]


def test_a_trigram_search_over_all_rows_keeps_the_full_gin() -> None:
    gin = [c for c in _candidates("SELECT id FROM events WHERE message ILIKE '%' || $1 || '%'") if c.method == "gin"]
    assert [c.where for c in gin] == [None]


def _join_catalog() -> Catalog:
    base = _catalog()
    posts = Table("posts", (_col("id"), _col("title", "text")),
                  constraints=(Constraint("posts_pkey", "posts", "p", ("id",), "PRIMARY KEY (id)"),),
                  indexes=(_index("posts_pkey", "posts", ("id",), unique=True, primary=True),))
    post_tags = Table(
        "post_tags", (_col("post_id"), _col("tag_id")),
        constraints=(Constraint("post_tags_pkey", "post_tags", "p", ("post_id", "tag_id"), "PRIMARY KEY"),),
        foreign_keys=(ForeignKey("f1", "post_tags", ("post_id",), "posts", ("id",), ""),
                      ForeignKey("f2", "post_tags", ("tag_id",), "tenants", ("id",), "")),
        indexes=(_index("post_tags_pkey", "post_tags", ("post_id", "tag_id"), unique=True, primary=True),),
    )
    return Catalog({**base.tables, "posts": posts, "post_tags": post_tags})


def test_a_join_table_probed_by_one_column_gets_both_in_the_keys() -> None:
    cat = _join_catalog()
    cands = _candidates("SELECT p.title FROM post_tags pt JOIN posts p ON p.id = pt.post_id WHERE pt.tag_id = $1", cat)
    on_join = [c for c in cands if c.table == "post_tags"]
    assert ("tag_id", "post_id") in [c.keys for c in on_join if c.kind == "covering"]
    assert not [c for c in on_join if c.include]  # (tag_id) INCLUDE (post_id) is the same index, less useful


def test_a_delete_from_a_parent_proposes_the_unindexed_foreign_key() -> None:
    from analyzer.advisor.candidates import write_candidates

    cat = _catalog()
    cands = write_candidates([], [("purge_tenant", "tenants")], cat, _fraction, _distinct, _nulls)
    assert [(c.table, c.keys, c.kind, c.writes, c.queries) for c in cands] == [
        ("events", ("tenant_id",), "fk", ("purge_tenant",), ())]
    indexed = _catalog({"events": (_index("events_tenant", "events", ("tenant_id",)),)})
    assert write_candidates([], [("purge_tenant", "tenants")], indexed, _fraction, _distinct, _nulls) == []


def test_a_descending_key_gives_a_lowercase_name_the_server_keeps() -> None:
    cand = IndexCandidate("Orders", ("o_totalprice DESC", "id"), "btree")
    assert cand.name == cand.name.lower() and "desc" in cand.name
    assert cand.ddl() == f'CREATE INDEX {cand.name} ON "Orders" (o_totalprice DESC, id)'


def test_indexes_sql_creates_the_extensions_its_indexes_need() -> None:
    rec = Recommendation(name="pga_t_x", ddl="CREATE INDEX pga_t_x ON t USING gin (title gin_trgm_ops)", table="t",
                         kind="gin", chosen=True, reason="r", proven=True)
    text = render_indexes_sql([rec], "w")
    assert text.index("CREATE EXTENSION IF NOT EXISTS pg_trgm;") < text.index("CREATE INDEX CONCURRENTLY")
    plain = replace(rec, ddl="CREATE INDEX pga_t_x ON t (title)")
    assert "EXTENSION" not in render_indexes_sql([plain], "w")


def test_speed_text_says_slower_not_a_fraction_faster() -> None:
    from analyzer.advisor.regressions import speed_text

    assert speed_text(10.0, 2.0) == "5.0x faster"
    assert speed_text(351.0, 2151.0) == "6.1x slower"


def test_the_summary_carries_the_objective_before_and_after() -> None:
    from analyzer.advisor.writecosts import objective_figures
    from analyzer.report.model import AdvisorSummary

    summary = AdvisorSummary(weighted_ms_before=10.0, weighted_ms_after=1.0, weighted_speedup=10.0)
    overhead = _overhead(("insert", 10, 2.0, 30.0))  # 10 executions, 10 ms before, +2 ms with the set
    out = objective_figures(summary, overhead, read_weight=70, write_weight=30)
    assert out.weighted_write_ms_before == pytest.approx(1.0) and out.weighted_write_ms_after == pytest.approx(1.2)
    assert out.weighted_total_ms_before == pytest.approx((10.0 * 70 + 1.0 * 30) / 100)
    assert out.weighted_total_ms_after == pytest.approx((1.0 * 70 + 1.2 * 30) / 100)


def test_skip_scans_are_found_by_their_index_searches() -> None:
    from analyzer.advisor.skipscan import skip_scans

    plan = [{"Plan": {"Node Type": "Nested Loop", "Plans": [
        {"Node Type": "Index Scan", "Index Name": "pga_events_tenant_id_cd8fab4f", "Index Searches": 41,
         "Actual Loops": 1},
        {"Node Type": "Index Scan", "Index Name": "devices_pkey", "Index Searches": 50, "Actual Loops": 50},
    ]}}]
    assert skip_scans(plan) == {"pga_events_tenant_id_cd8fab4f": 41}
    assert skip_scans([{"Plan": {"Node Type": "Index Scan", "Index Name": "x", "Index Searches": 1}}]) == {}
