"""Real PostgreSQL servers for the integration tests, never a mock.

The embedded server (the one the tool itself starts) is always available. The Debian
PostgreSQL 15 cluster that `.ci/run` starts is used when PG_ANALYZER_TEST_PG15_DSN is set;
`--pg-dsn` adds any other server. Nothing connects at import time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.targets import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "workloads"

pytest_plugins = ["pytester"]  # the pytest plugin's tests run small example suites


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--pg-dsn", default=os.environ.get("PG_ANALYZER_TEST_DSN"), help="an extra server to test against")


@pytest.fixture(scope="session")
def embedded_dsn() -> Iterator[str]:
    server = EmbeddedServer()
    server.start()
    try:
        yield server.conninfo
    finally:
        server.stop()


def _server_params() -> list[str]:
    return ["embedded", "pg15"]


@pytest.fixture(scope="session", params=_server_params())
def server_dsn(request: pytest.FixtureRequest) -> str:
    """A server DSN: the embedded PostgreSQL 18, and the Debian PostgreSQL 15 in CI."""
    if request.param == "embedded":
        return str(request.getfixturevalue("embedded_dsn"))
    dsn = os.environ.get("PG_ANALYZER_TEST_PG15_DSN") or request.config.getoption("--pg-dsn")
    if not dsn:
        pytest.skip("PostgreSQL 15 not configured: .ci/run sets PG_ANALYZER_TEST_PG15_DSN (this run is the embedded server's)")
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL 15 at PG_ANALYZER_TEST_PG15_DSN is unreachable: {str(e).splitlines()[0]}")
    return dsn


@contextmanager
def _database_on(server_dsn: str) -> Iterator[str]:
    name = f"pga_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = pg_conninfo.conninfo_to_dict(server_dsn)
    params["dbname"] = name
    try:
        yield pg_conninfo.make_conninfo(**params)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_db(server_dsn: str) -> Iterator[str]:
    """A new empty database on the server, dropped after the test."""
    with _database_on(server_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def fresh_db_module(server_dsn: str) -> Iterator[str]:
    """Like fresh_db, shared by the tests of one module."""
    with _database_on(server_dsn) as dsn:
        yield dsn
