"""An expression candidate rebuilt by the advisor has the statistics its first build's ANALYZE gave it."""

from __future__ import annotations

import psycopg

from analyzer.advisor.builds import IndexBuilds
from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.indexstats import can_restore, read_index_stats


def _analyze_count(conn: psycopg.Connection) -> int:
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT 1")  # the flush happens at the end of a statement
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'notes'").fetchone()
    assert row is not None
    return int(row[0])


def test_a_rebuilt_expression_index_keeps_its_statistics(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id int, title text)")
        conn.execute("INSERT INTO notes SELECT g, 'Word' || (g % 90) || ' and ' || (g % 7) FROM generate_series(1, 20000) g")
        conn.execute("ANALYZE notes")
        cand = IndexCandidate("notes", ("(lower(title))",), "btree")
        builds = IndexBuilds(conn, "test-expression-stats")
        try:
            builds.build(cand)
            first = read_index_stats(conn, cand.name)
            analyzed = _analyze_count(conn)
            builds.drop(cand.name)
            assert read_index_stats(conn, cand.name) == []
            builds.build(cand)
            again = read_index_stats(conn, cand.name)
            analyzed_again = _analyze_count(conn)
        finally:
            builds.drop_indexes()
    assert first and first[0]["n_distinct"] == 630  # 90 x 7 titles, all rows read
    strip = [{k: v for k, v in row.items() if k != "relname"} for row in first]
    assert [{k: v for k, v in row.items() if k != "relname"} for row in again] == strip
    if can_restore_on(fresh_db):
        assert analyzed_again == analyzed  # put back, not computed again
    else:
        assert analyzed_again == analyzed + 1  # PostgreSQL 15 analyzes again


def can_restore_on(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return can_restore(conn)


def test_expression_candidates_of_one_table_share_one_analyze(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id int, title text, gone boolean)")
        conn.execute("INSERT INTO notes SELECT g, 'Word' || (g % 90) || ' and ' || (g % 7), g % 3 = 0 "
                     "FROM generate_series(1, 20000) g")
        conn.execute("ANALYZE notes")
        full = IndexCandidate("notes", ("(lower(title))",), "btree")
        live = IndexCandidate("notes", ("(lower(title))",), "btree", where="NOT gone")
        builds = IndexBuilds(conn, "test-expression-companions")
        try:
            before = _analyze_count(conn)
            builds.park_companions([live])  # parked, unanalyzed, before the build of `full`
            builds.build(full)
            assert builds.hidden_from_reads() == [live.name]
            builds.drop(full.name)
            builds.build(live)  # its turn: built already, analyzed with `full`
            companion = read_index_stats(conn, live.name)
            analyzed = _analyze_count(conn)
        finally:
            builds.drop_indexes()
    assert analyzed == before + 1
    assert companion and companion[0]["n_distinct"] == 420  # 60 of the 90 words keep rows where NOT gone, x 7
