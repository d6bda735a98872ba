"""Seeded data against what the rules asked: pg_stats, correlated columns, keys, determinism.

The project-management workload at a small scale, on every configured server. Statistics
come from ANALYZE, which samples the whole of tables this small, so tolerances are tight.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from analyzer.seeding.loader import seed_workload
from analyzer.workload import load_workload

from ..conftest import WORKLOADS, _database_on

PM = WORKLOADS / "project_management.yaml"
SCALE = 0.02  # 20,000 tasks, 24,000 activity rows


def _seed(dsn: str, seed: int = 42, scale: float = SCALE) -> None:
    workload = load_workload(PM)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert workload.schema_sql is not None
        conn.execute(workload.schema_sql)  # type: ignore[arg-type]
        seed_workload(conn, workload, scale=scale, seed=seed)


@pytest.fixture(scope="module")
def seeded(fresh_db_module: str) -> Iterator[psycopg.Connection]:
    _seed(fresh_db_module)
    with psycopg.connect(fresh_db_module, autocommit=True) as conn:
        yield conn


def _one(conn: psycopg.Connection, query: str) -> object:
    row = conn.execute(query).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def _stats(conn: psycopg.Connection, table: str, column: str) -> tuple[float, float, dict[str, float]]:
    row = conn.execute(
        "SELECT n_distinct, null_frac, coalesce(most_common_vals::text::text[], '{}'), "
        "coalesce(most_common_freqs, '{}') FROM pg_stats WHERE tablename = %s AND attname = %s",
        (table, column),
    ).fetchone()
    assert row is not None, f"no statistics for {table}.{column}"
    return float(row[0]), float(row[1]), dict(zip(row[2], (float(f) for f in row[3])))


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("tasks", "status", {"done": 0.72, "todo": 0.18, "in_progress": 0.10}),
        ("tasks", "priority", {"low": 0.30, "medium": 0.45, "high": 0.20, "urgent": 0.05}),
        ("org_members", "role", {"member": 0.85, "admin": 0.12, "owner": 0.03}),
        ("task_activity", "action", {"status_changed": 0.4, "assigned": 0.2, "commented": 0.25, "edited": 0.1}),
    ],
)
def test_weighted_choices_give_the_most_common_freqs(seeded, table: str, column: str, expected: dict) -> None:
    _, _, mcv = _stats(seeded, table, column)
    for value, share in expected.items():
        assert mcv.get(value) == pytest.approx(share, abs=0.02), (value, mcv)


@pytest.mark.parametrize(
    ("table", "column", "null_frac"),
    [
        ("tasks", "description", 0.35),
        ("tasks", "assignee_id", 0.15),
        ("tasks", "due_date", 0.40),
        ("users", "avatar_url", 0.40),
        ("task_comments", "edited_at", 0.90),
        ("time_entries", "note", 0.60),
        ("tasks", "deleted_at", 0.97),
    ],
)
def test_null_fraction(seeded, table: str, column: str, null_frac: float) -> None:
    _, actual, _ = _stats(seeded, table, column)
    assert actual == pytest.approx(null_frac, abs=0.02)


@pytest.mark.parametrize(
    ("table", "column", "distinct"),
    [("tasks", "title", 600_000), ("users", "name", 20_000), ("task_comments", "body", 200_000),
     ("projects", "name", 15_000), ("tasks", "description", 60_000)],
)
def test_text_reaches_the_distinct_count_at_scale(seeded, table: str, column: str, distinct: int) -> None:
    wanted = round(distinct * SCALE)
    exact = _one(seeded, f"SELECT count(DISTINCT {column}) FROM {table}")
    assert exact == wanted
    n_distinct, _, _ = _stats(seeded, table, column)
    rows = _one(seeded, f"SELECT count(*) FROM {table}")
    estimate = n_distinct if n_distinct > 0 else -n_distinct * float(rows)  # type: ignore[arg-type]
    assert estimate == pytest.approx(wanted, rel=0.15)


def test_unique_columns_are_unique_and_constraints_are_back(seeded) -> None:
    assert _one(seeded, "SELECT count(*) = count(DISTINCT email) FROM users")
    assert _one(seeded, "SELECT count(*) = count(DISTINCT slug) FROM organizations")
    assert _one(seeded, "SELECT count(*) = count(DISTINCT (org_id, user_id)) FROM org_members")
    assert _one(seeded, "SELECT count(*) = count(DISTINCT (org_id, name)) FROM labels")
    assert _one(seeded, "SELECT count(*) FROM pg_constraint WHERE contype IN ('p', 'u') AND connamespace = 'public'::regnamespace"
    ) == 13  # ten primary keys, organizations.slug, users.email, labels (org_id, name)
    emails = _one(seeded, "SELECT count(*) FROM users WHERE email !~ '^[^@ ]+@[^@ ]+\\.[a-z]+$'")
    assert emails == 0


def test_foreign_keys_hold_and_are_validated(seeded) -> None:
    fks = seeded.execute(
        "SELECT conrelid::regclass::text, a.attname, confrelid::regclass::text, b.attname, convalidated "
        "FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1] "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ).fetchall()
    assert len(fks) == 20
    for child, col, parent, pcol, validated in fks:
        assert validated, (child, col)
        orphans = _one(
            seeded,
            f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.{pcol} = c.{col} "
            f"WHERE c.{col} IS NOT NULL AND p.{pcol} IS NULL",
        )
        assert orphans == 0, (child, col)


INVARIANTS = {
    "completed_at only when done": "SELECT count(*) FROM tasks WHERE (completed_at IS NOT NULL) <> (status = 'done')",
    "completed after created": "SELECT count(*) FROM tasks WHERE completed_at <= created_at",
    "due after created": "SELECT count(*) FROM tasks WHERE due_date <= created_at::date",
    "updated after created": "SELECT count(*) FROM tasks WHERE updated_at <= created_at",
    "task after its project": "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id "
    "WHERE t.created_at <= p.created_at",
    "project after its org": "SELECT count(*) FROM projects p JOIN organizations o ON o.id = p.org_id "
    "WHERE p.created_at <= o.created_at",
    "comment after its task": "SELECT count(*) FROM task_comments c JOIN tasks t ON t.id = c.task_id "
    "WHERE c.created_at <= t.created_at",
    "activity after its task": "SELECT count(*) FROM task_activity a JOIN tasks t ON t.id = a.task_id "
    "WHERE a.created_at <= t.created_at",
    "time spent not before the task": "SELECT count(*) FROM time_entries e JOIN tasks t ON t.id = e.task_id "
    "WHERE e.spent_on < t.created_at::date",
    "member joined after the org existed": "SELECT count(*) FROM org_members m JOIN organizations o "
    "ON o.id = m.org_id WHERE m.joined_at <= o.created_at",
    "task org is its project's org": "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id "
    "WHERE t.org_id <> p.org_id",
    "time entry org is its task's org": "SELECT count(*) FROM time_entries e JOIN tasks t ON t.id = e.task_id "
    "WHERE e.org_id <> t.org_id",
    "activity org is its task's org": "SELECT count(*) FROM task_activity a JOIN tasks t ON t.id = a.task_id "
    "WHERE a.org_id <> t.org_id",
    "subtasks one level deep": "SELECT count(*) FROM tasks c JOIN tasks p ON p.id = c.parent_id "
    "WHERE p.parent_id IS NOT NULL",
    "subtask in its parent's project": "SELECT count(*) FROM tasks c JOIN tasks p ON p.id = c.parent_id "
    "WHERE p.project_id <> c.project_id",
    "deleted after created": "SELECT count(*) FROM users WHERE deleted_at <= created_at",
}


@pytest.mark.parametrize("name", list(INVARIANTS))
def test_correlated_columns_hold_for_every_row(seeded, name: str) -> None:
    assert _one(seeded, INVARIANTS[name]) == 0


def test_children_per_parent_follow_the_declared_distribution(seeded) -> None:
    # tasks.project_id is zipf (s=0.8): a few busy projects, a long tail; not a fixed multiple.
    top, median = seeded.execute(
        "SELECT max(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n) "
        "FROM (SELECT count(*) AS n FROM tasks GROUP BY project_id) x"
    ).fetchone()
    assert top > 10 * median
    # task_labels.task_id is uniform: labels per task stay close to the mean.
    top, mean = seeded.execute(
        "SELECT max(n), avg(n) FROM (SELECT count(*) AS n FROM task_labels GROUP BY task_id) x"
    ).fetchone()
    assert top < 4 * float(mean) + 4


def test_json_payloads_follow_the_template(seeded) -> None:
    bad = _one(
        seeded,
        "SELECT count(*) FROM task_activity WHERE payload IS NOT NULL AND NOT ("
        "jsonb_typeof(payload) = 'object' AND payload->>'source' IN ('web', 'mobile', 'api', 'slack', 'import') "
        "AND payload ? 'field' AND payload ? 'from' AND payload ? 'to')",
    )
    assert bad == 0
    _, null_frac, _ = _stats(seeded, "task_activity", "payload")
    assert null_frac == pytest.approx(0.05, abs=0.02)


def test_titles_are_searchable_words(seeded) -> None:
    empty = _one(seeded, "SELECT count(*) FROM tasks WHERE to_tsvector('english', title) = ''::tsvector")
    assert empty == 0
    hits = _one(seeded, "SELECT count(*) FROM tasks WHERE to_tsvector('english', title) @@ plainto_tsquery('english', 'project')")
    assert 0 < hits < 20_000  # type: ignore[operator]


def _checksums(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")]
        return {
            t: str(_one(conn, f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {t} t")) for t in sorted(tables)
        }


def test_same_seed_gives_byte_identical_tables(server_dsn: str) -> None:
    sums = []
    for seed in (7, 7, 8):
        with _database_on(server_dsn) as dsn:
            _seed(dsn, seed=seed, scale=0.005)
            sums.append(_checksums(dsn))
    assert sums[0] == sums[1]
    assert len(sums[0]) == 10
    assert all(sums[0][t] != sums[2][t] for t in ("tasks", "users", "task_comments"))
