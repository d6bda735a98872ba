"""A throwaway PostgreSQL in a Docker container (testcontainers), for CI jobs that have an engine.

Where no Docker engine answers (this project's own machines), `docker_unavailable_reason` says
so in one line and the callers point at `--dsn` or the embedded default instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_IMAGE = "postgres:17"


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers, else why not (one line)."""
    try:
        import docker
    except ImportError:
        return "the docker package is not installed (pip install testcontainers)"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as e:  # noqa: BLE001 - any failure means: no engine to use
        return f"no Docker engine answers ({str(e).splitlines()[0][:120] if str(e) else type(e).__name__})"
    return None


@contextmanager
def docker_postgres(image: str = DEFAULT_IMAGE) -> Iterator[str]:
    """Start a PostgreSQL container, yield its libpq URL, remove the container at the end."""
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer(image, driver=None) as container:
        yield re.sub(r"^postgresql\+\w+://", "postgresql://", container.get_connection_url())
