"""A throwaway PostgreSQL in a Docker container (testcontainers), for CI jobs that have an engine.

Where no Docker engine answers (this project's own machines), `docker_unavailable_reason` says
so in one line and the callers point at `--dsn` or the embedded default instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_IMAGE = "postgres:17"


DOCKER_SOCKET = "/var/run/docker.sock"


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers, else why not (one line).

    The CLI's --target docker and the pytest plugin both ask this, so both say the same thing.
    The socket is looked at first: without one, the docker client's own error depends on
    what else is imported (under pytest it is about a CookieJar) and names nothing useful.
    """
    host = os.environ.get("DOCKER_HOST")
    if not host and not os.path.exists(DOCKER_SOCKET):
        return f"no Docker engine answers (no socket at {DOCKER_SOCKET} and DOCKER_HOST is not set)"
    try:
        import docker
    except ImportError:
        return "the docker package is not installed (pip install testcontainers)"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as e:  # noqa: BLE001 - any failure means: no engine to use
        where = host or DOCKER_SOCKET
        return f"no Docker engine answers at {where} ({str(e).splitlines()[0][:120] if str(e) else type(e).__name__})"
    return None


@contextmanager
def docker_postgres(image: str = DEFAULT_IMAGE) -> Iterator[str]:
    """Start a PostgreSQL container, yield its libpq URL, remove the container at the end."""
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer(image, driver=None) as container:
        yield re.sub(r"^postgresql\+\w+://", "postgresql://", container.get_connection_url())
