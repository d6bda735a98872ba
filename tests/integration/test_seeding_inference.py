"""Row counts only, on a schema nobody wrote rules for: every constraint class holds after the load.

One schema with each class the catalog inference understands (domains, enums without a default,
CHECK ranges / IN lists / length(), multi-column CHECKs, unique indexes that are not constraints,
overlapping unique sets, RANGE / LIST / HASH partitions with keys declared on the partitions,
generated and identity columns, composite and self references, nullable references to an
unseeded table, a view that depends on a primary key), and the name conventions (lifecycle
times, soft deletes, tenant keys, currencies, time zones).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from analyzer.cli import main

from ..conftest import _database_on

SCHEMA = """
SELECT pg_catalog.set_config('search_path', '', false);
CREATE DOMAIN public.year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE DOMAIN public.short_code AS varchar(6) CHECK (length(VALUE) >= 2);
CREATE TYPE public.plan_kind AS ENUM ('free', 'starter', 'pro', 'enterprise');
CREATE TYPE public.invoice_state AS ENUM ('draft', 'open', 'paid', 'void');
CREATE TABLE public.organizations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    plan public.plan_kind NOT NULL,
    currency text NOT NULL,
    timezone text NOT NULL,
    founded public.year,
    code public.short_code NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE TABLE public.dunning_campaigns (id bigint PRIMARY KEY, name text);
CREATE TABLE public.customers (
    id bigserial PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES public.organizations (id),
    email text NOT NULL,
    referred_by bigint REFERENCES public.customers (id),
    dunning_campaign_id bigint REFERENCES public.dunning_campaigns (id),
    country_code char(2),
    score integer CHECK (score BETWEEN 1 AND 5),
    tier text NOT NULL CHECK (tier IN ('bronze', 'silver', 'gold')),
    nickname varchar(12) CHECK (char_length(nickname) <= 8),
    legacy_id integer,
    legacy_source text,
    CONSTRAINT legacy_pair CHECK ((legacy_id IS NULL) = (legacy_source IS NULL)),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX customers_email_per_org ON public.customers (organization_id, email) WHERE email IS NOT NULL;
CREATE TABLE public.invoices (
    id bigserial,
    organization_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    number integer NOT NULL,
    state public.invoice_state NOT NULL,
    total numeric(10,2) NOT NULL CHECK (total >= 0),
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,
    issued_at timestamptz NOT NULL,
    paid_at timestamptz,
    period_start date NOT NULL,
    period_end date NOT NULL,
    CHECK (period_start <= period_end),
    PRIMARY KEY (id, issued_at),
    FOREIGN KEY (organization_id, customer_id) REFERENCES public.customers (organization_id, id)
) PARTITION BY RANGE (issued_at);
CREATE TABLE public.invoices_2024 PARTITION OF public.invoices FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.invoices_2025 PARTITION OF public.invoices FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE UNIQUE INDEX invoices_number ON public.invoices (organization_id, number, issued_at);
CREATE TABLE public.events (
    id bigint NOT NULL,
    region text NOT NULL,
    customer_id bigint,
    started_at timestamptz NOT NULL,
    ended_at timestamptz
) PARTITION BY LIST (region);
CREATE TABLE public.events_eu PARTITION OF public.events FOR VALUES IN ('eu-west', 'eu-central');
CREATE TABLE public.events_us PARTITION OF public.events FOR VALUES IN ('us-east');
ALTER TABLE public.events_eu ADD FOREIGN KEY (customer_id) REFERENCES public.customers (id);
ALTER TABLE public.events_us ADD FOREIGN KEY (customer_id) REFERENCES public.customers (id);
CREATE TABLE public.sessions (id uuid PRIMARY KEY, customer_id bigint NOT NULL REFERENCES public.customers (id),
    token text NOT NULL) PARTITION BY HASH (id);
CREATE TABLE public.sessions_0 PARTITION OF public.sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.sessions_1 PARTITION OF public.sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE public.subscriptions (
    organization_id bigint NOT NULL REFERENCES public.organizations (id),
    id integer NOT NULL,
    status varchar NOT NULL CHECK ((status)::text = ANY ((ARRAY['active'::character varying,
        'paused'::character varying, 'canceled'::character varying])::text[])),
    features public.plan_kind[] NOT NULL,
    trial interval NOT NULL,
    card_token text,
    bank_token text,
    started_on date NOT NULL CHECK (started_on > '2000-01-01'::date),
    label text NOT NULL CHECK (btrim(label) <> ''),
    CHECK (num_nonnulls(card_token, bank_token) = 1),
    PRIMARY KEY (organization_id, id)
);
CREATE TABLE public.folders (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES public.folders (id));
CREATE VIEW public.org_customers AS
    SELECT o.id, o.name, count(c.id) AS customers FROM public.organizations o
    LEFT JOIN public.customers c ON c.organization_id = o.id GROUP BY o.id;
"""

WORKLOAD = """
name: classes
schema: schema.sql
seed: 3
tables:
  organizations: {rows: 40}
  customers: {rows: 3000}
  invoices: {rows: 20000}
  events: {rows: 5000}
  sessions: {rows: 2000}
  subscriptions: {rows: 3000}
  folders: {rows: 500}
queries:
  - {name: q, sql: SELECT count(*) FROM invoices}
"""


@pytest.fixture(scope="module")
def classes(embedded_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[psycopg.Connection]:
    folder = tmp_path_factory.mktemp("classes")
    (folder / "schema.sql").write_text(SCHEMA)
    (folder / "w.yaml").write_text(WORKLOAD)
    with _database_on(embedded_dsn) as dsn:
        code = main(["seed", str(folder / "w.yaml"), "--dsn", dsn, "--allow-ddl", "--quiet"])
        assert code == 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            yield conn


def _one(conn: psycopg.Connection, query: str) -> object:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_every_constraint_holds_and_every_row_loaded(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == 0
    assert _one(classes, "SELECT count(*) FROM invoices") == 20000
    assert _one(classes, "SELECT count(*) FROM pg_views WHERE viewname = 'org_customers'") == 1
    assert _one(classes, "SELECT count(*) FROM pg_indexes WHERE indexname = 'customers_email_per_org'") == 1


def test_domains_enums_and_single_column_checks(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(DISTINCT plan) FROM organizations") >= 3  # type: ignore[operator]
    assert _one(classes, "SELECT count(DISTINCT state) FROM invoices") == 4
    assert _one(classes, "SELECT bool_and(founded BETWEEN 1901 AND 2155) FROM organizations")
    assert _one(classes, "SELECT bool_and(length(code) BETWEEN 2 AND 6) FROM organizations")
    assert _one(classes, "SELECT bool_and(score BETWEEN 1 AND 5) AND count(DISTINCT score) = 5 FROM customers")
    assert _one(classes, "SELECT count(DISTINCT tier) FROM customers") == 3
    assert _one(classes, "SELECT bool_and(char_length(nickname) <= 8) FROM customers")


def test_multi_column_checks(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(*) FROM customers WHERE (legacy_id IS NULL) <> (legacy_source IS NULL)") == 0
    assert _one(classes, "SELECT count(*) FROM customers WHERE legacy_id IS NOT NULL") > 0  # type: ignore[operator]
    assert _one(classes, "SELECT count(*) FROM invoices WHERE period_start > period_end") == 0


def test_partitions_generated_within_their_bounds(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(DISTINCT tableoid) FROM invoices") == 2
    assert _one(classes, "SELECT count(DISTINCT region) FROM events") == 3
    assert _one(classes, "SELECT count(DISTINCT tableoid) FROM sessions") == 2
    # keys declared on the partitions only: the events' customers exist
    assert _one(classes, "SELECT count(*) FROM events e LEFT JOIN customers c ON c.id = e.customer_id "
                         "WHERE e.customer_id IS NOT NULL AND c.id IS NULL") == 0


def test_generated_identity_composite_and_self_references(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT bool_and(total_cents = (total * 100)::bigint) FROM invoices")
    assert _one(classes, "SELECT min(id) = 1 AND max(id) = 40 FROM organizations")
    assert _one(classes, "SELECT count(*) FROM customers WHERE referred_by IS NOT NULL") > 0  # type: ignore[operator]
    # the next identity value does not collide with the seeded ones
    assert _one(classes, "INSERT INTO organizations (name, plan, currency, timezone, code) "
                         "VALUES ('x', 'free', 'EUR', 'UTC', 'ab') RETURNING id") == 41
    classes.execute("DELETE FROM organizations WHERE id = 41")


def test_rails_style_checks_arrays_of_enums_and_required_self_references(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(DISTINCT status) FROM subscriptions") == 3
    assert _one(classes, "SELECT count(*) FROM subscriptions WHERE num_nonnulls(card_token, bank_token) <> 1") == 0
    assert _one(classes, "SELECT count(DISTINCT e) FROM subscriptions, unnest(features) e") >= 3  # type: ignore[operator]
    assert _one(classes, "SELECT count(*) FROM folders WHERE parent_id = id") > 0  # type: ignore[operator]
    assert _one(classes, "SELECT count(*) FROM folders WHERE parent_id <> id") > 0  # type: ignore[operator]


def test_nullable_reference_to_an_unseeded_table_is_null(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(dunning_campaign_id) FROM customers") == 0


def test_name_conventions(classes: psycopg.Connection) -> None:
    assert _one(classes, "SELECT count(*) FROM organizations WHERE updated_at < created_at") == 0
    assert _one(classes, "SELECT count(*) FROM invoices WHERE paid_at < issued_at") == 0
    assert _one(classes, "SELECT count(*) FROM events WHERE ended_at < started_at") == 0
    deleted = _one(classes, "SELECT avg((deleted_at IS NOT NULL)::int) FROM organizations")
    assert float(deleted) < 0.2  # type: ignore[arg-type]
    zones = {r[0] for r in classes.execute("SELECT DISTINCT timezone FROM organizations").fetchall()}
    assert zones <= zoneinfo.available_timezones() and len(zones) > 3
    currencies = [r[0] for r in classes.execute("SELECT DISTINCT currency FROM organizations").fetchall()]
    assert all(len(c) == 3 and c.isupper() for c in currencies)
    # tenant keys follow the parent: an invoice's organization is its customer's
    assert _one(classes, "SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id "
                         "WHERE c.organization_id <> i.organization_id") == 0


def test_a_check_it_cannot_satisfy_is_one_line_before_loading(
    embedded_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE plans (id bigint PRIMARY KEY, a int, b int, CONSTRAINT odd_rule CHECK (a % 7 = b % 3));"
    )
    (tmp_path / "w.yaml").write_text(
        "name: bad\nschema: schema.sql\ntables:\n  plans: {rows: 10}\nqueries:\n  - {name: q, sql: SELECT 1}\n"
    )
    code = main(["run", str(tmp_path / "w.yaml"), "--dsn", embedded_dsn, "--scratch", "--no-advise", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "odd_rule" in err and "tables.plans" in err


def test_explain_prints_rules_that_seed_when_pasted(
    embedded_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    (tmp_path / "schema.sql").write_text(SCHEMA)
    (tmp_path / "w.yaml").write_text(WORKLOAD)
    assert main(["seed", str(tmp_path / "w.yaml"), "--explain", "--dsn", embedded_dsn, "--scratch", "--quiet"]) == 0
    explained = capsys.readouterr().out
    assert "tier: {choice: {bronze: " in explained and "score: {int: {min: 1, max: 5}" in explained
    assert "dunning_campaign_id: null" in explained and "# note: customers.dunning_campaign_id: NULL" in explained
    pasted = yaml.safe_load(WORKLOAD)
    pasted["tables"] = yaml.safe_load(explained)["tables"]
    (tmp_path / "pasted.yaml").write_text(yaml.safe_dump(pasted, sort_keys=False))
    with _database_on(embedded_dsn) as dsn:
        assert main(["seed", str(tmp_path / "pasted.yaml"), "--dsn", dsn, "--allow-ddl", "--quiet"]) == 0
        with psycopg.connect(dsn) as conn:
            assert _one(conn, "SELECT count(*) FROM invoices WHERE paid_at < issued_at") == 0
            assert _one(conn, "SELECT count(DISTINCT tableoid) FROM invoices") == 2


MULTI_SCHEMA = """
CREATE SCHEMA auth;
CREATE SCHEMA sales;
CREATE TABLE auth.users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL);
CREATE TABLE sales.orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES auth.users (id),
    currency text NOT NULL, ordered_at timestamptz NOT NULL, shipped_at timestamptz);
CREATE TABLE public.orders (id bigint PRIMARY KEY);
"""


def test_tables_of_every_schema_named_schema_qualified(
    embedded_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schema.sql").write_text(MULTI_SCHEMA)
    (tmp_path / "w.yaml").write_text(
        "name: multi\nschema: schema.sql\nschemas: [auth, sales]\n"
        "tables:\n  auth.users: {rows: 300}\n  sales.orders: {rows: 4000}\n"
        "queries:\n  - name: q\n    sql: SELECT count(*) FROM sales.orders WHERE user_id = :u\n"
        "    params: {u: {sample: auth.users.id}}\n"
    )
    with _database_on(embedded_dsn) as dsn:
        code = main(["run", str(tmp_path / "w.yaml"), "--dsn", dsn, "--allow-ddl", "--quiet", "--no-advise",
                     "--out", str(tmp_path / "out")])
        assert code in (0, 1), capsys.readouterr().err  # 1: a plan check on the query, not the seeding
        with psycopg.connect(dsn) as conn:
            assert _one(conn, "SELECT count(*) FROM sales.orders") == 4000
            assert _one(conn, "SELECT count(*) FROM public.orders") == 0
            assert _one(conn, "SELECT count(*) FROM sales.orders o JOIN auth.users u ON u.id = o.user_id") == 4000
            assert _one(conn, "SELECT count(*) FROM sales.orders WHERE shipped_at < ordered_at") == 0
        import json

        report = json.loads((tmp_path / "out" / "report.json").read_text())
        seeded = {t["table"]: t for t in report["seeding"]["tables"]}
        columns = {c["column"]: c for c in seeded["sales.orders"]["columns"]}
        assert set(columns) == {"id", "user_id", "currency", "ordered_at", "shipped_at"}
        assert "faker: currency_code" in columns["currency"]["rule"] and columns["shipped_at"]["null_frac"] > 0

    # a workload restricted to some schemas does not see the others
    (tmp_path / "w2.yaml").write_text(
        "name: multi\nschema: schema.sql\nschemas: [sales]\ntables:\n  orders: {rows: 10}\n"
        "queries:\n  - {name: q, sql: SELECT 1}\n"
    )
    code = main(["run", str(tmp_path / "w2.yaml"), "--dsn", embedded_dsn, "--scratch", "--no-advise", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "tables.orders: no such table" in err and "sales.orders" in err


def test_big_tables_are_generated_in_chunks_with_every_guarantee(
    embedded_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 1,000 rows: keys continue, NULL counts are exact, composite uniqueness holds
    across chunks, ordered times keep rising, and references still find their parents."""
    from analyzer.seeding import loader

    monkeypatch.setattr(loader, "GENERATE_CHUNK_ROWS", 1000)
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE parents (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);\n"
        "CREATE TABLE visits (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents (id),"
        " day integer NOT NULL, note text, created_at timestamptz NOT NULL, UNIQUE (parent_id, day));\n"
    )
    (tmp_path / "w.yaml").write_text(
        "name: chunks\nschema: schema.sql\ntables:\n  parents: {rows: 3000}\n"
        "  visits:\n    rows: 7500\n    columns:\n      day: {int: {min: 1, max: 40}}\n"
        "      note: {text: word, null_fraction: 0.3}\n"
        "      created_at: {after: parent_id.created_at, min: 1h, max: 3d}\n"
        "queries:\n  - {name: q, sql: SELECT 1}\n"
    )
    with _database_on(embedded_dsn) as dsn:
        assert main(["seed", str(tmp_path / "w.yaml"), "--dsn", dsn, "--allow-ddl", "--quiet"]) == 0
        with psycopg.connect(dsn) as conn:
            assert _one(conn, "SELECT count(*) = 7500 AND count(DISTINCT id) = 7500 AND max(id) = 7500 FROM visits")
            assert _one(conn, "SELECT count(*) FROM visits WHERE note IS NULL") == 2250
            assert _one(conn, "SELECT count(*) FROM visits v JOIN parents p ON p.id = v.parent_id "
                              "WHERE v.created_at < p.created_at") == 0
            # the parents' ordered creation times rise with their ids across the chunks
            assert _one(conn, "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back "
                              "FROM parents) x WHERE back") == 0


EXPRESSIONS = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE tenants (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, name text NOT NULL,
                    tenant_id bigint NOT NULL REFERENCES tenants (id), handle text NOT NULL);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
CREATE UNIQUE INDEX users_name_lower ON users (lower(name));
CREATE UNIQUE INDEX users_handle_per_tenant ON users (tenant_id, upper(handle::text));
CREATE TABLE rooms (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE bookings (
    id bigserial PRIMARY KEY,
    room_id int NOT NULL REFERENCES rooms (id),
    user_id bigint NOT NULL REFERENCES users (id),
    during tstzrange NOT NULL,
    nights daterange,
    seats int4range NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    EXCLUDE USING gist (room_id WITH =, during WITH &&),
    EXCLUDE USING gist (user_id WITH =, nights WITH &&) WHERE (NOT cancelled),
    EXCLUDE USING gist (seats WITH &&)
);
"""


def test_expression_unique_indexes_and_exclusion_constraints_hold(
    embedded_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row counts only: values stay unique under lower()/upper(), and the ranges of one key never
    overlap (also with the table a little too big to be taken as one chunk)."""
    from analyzer.seeding import loader

    monkeypatch.setattr(loader, "GENERATE_CHUNK_ROWS", 1000)
    (tmp_path / "schema.sql").write_text(EXPRESSIONS)
    (tmp_path / "w.yaml").write_text(
        "name: exprs\nschema: schema.sql\ntables:\n  tenants: {rows: 20}\n  users: {rows: 3000}\n"
        "  rooms: {rows: 30}\n  bookings: {rows: 4000}\nqueries:\n  - {name: q, sql: SELECT 1}\n"
    )
    with _database_on(embedded_dsn) as dsn:
        assert main(["seed", str(tmp_path / "w.yaml"), "--dsn", dsn, "--allow-ddl", "--quiet"]) == 0
        with psycopg.connect(dsn) as conn:
            assert _one(conn, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'users_%'") == 4
            assert _one(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'x'") == 3
            assert _one(conn, "SELECT count(DISTINCT lower(name)) FROM users") == 3000
            assert _one(conn, "SELECT count(DISTINCT name) FROM users") == 3000
            assert _one(conn, "SELECT count(*) FROM bookings") == 4000
            assert _one(conn, "SELECT count(DISTINCT room_id) FROM bookings") > 10  # type: ignore[operator]
            assert _one(conn, "SELECT count(*) FROM bookings a JOIN bookings b ON a.room_id = b.room_id "
                              "AND a.id < b.id AND a.during && b.during") == 0
            # plausible lengths, inside the default window
            assert _one(conn, "SELECT bool_and(upper(during) - lower(during) BETWEEN interval '1 minute' "
                              "AND interval '4 hours') FROM bookings")
            assert _one(conn, "SELECT count(DISTINCT upper(seats) - lower(seats)) FROM bookings") > 5  # type: ignore[operator]


def test_an_index_form_it_cannot_satisfy_is_one_line_before_loading(
    embedded_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL);\n"
        "CREATE UNIQUE INDEX one_per_day ON events (date_trunc('day', at AT TIME ZONE 'UTC'), kind);\n"
    )
    workload = "name: bad\nschema: schema.sql\ntables:\n  events: {rows: 50}\nqueries:\n  - {name: q, sql: SELECT 1}\n"
    (tmp_path / "w.yaml").write_text(workload)
    code = main(["run", str(tmp_path / "w.yaml"), "--dsn", embedded_dsn, "--scratch", "--no-advise", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "one_per_day" in err and "tables.events" in err
    # && on a type that is not a range (boxes apart): said the same way
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE zones (id bigint PRIMARY KEY, area box NOT NULL, EXCLUDE USING gist (area WITH &&));\n")
    (tmp_path / "w2.yaml").write_text(workload.replace("events: {rows: 50}", "zones: {rows: 10}"))
    code = main(["run", str(tmp_path / "w2.yaml"), "--dsn", embedded_dsn, "--scratch", "--no-advise", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "zones_area_excl" in err and "tables.zones" in err
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL);\n"
        "CREATE UNIQUE INDEX one_per_day ON events (date_trunc('day', at AT TIME ZONE 'UTC'), kind);\n"
    )
    # declared rules for every column it names: the user owns the values (one a day), and they load
    (tmp_path / "w.yaml").write_text(workload.replace(
        "events: {rows: 50}",
        "events:\n    rows: 50\n    columns:\n      at: {date: {start: 2024-01-01, end: 2024-06-01}, unique: true}\n"
        "      kind: {value: x}"))
    with _database_on(embedded_dsn) as dsn:
        assert main(["seed", str(tmp_path / "w.yaml"), "--dsn", dsn, "--allow-ddl", "--quiet"]) == 0
        with psycopg.connect(dsn) as conn:
            assert _one(conn, "SELECT count(DISTINCT date_trunc('day', at AT TIME ZONE 'UTC')) FROM events") == 50
