"""pytest plugin: a ready PostgreSQL for the session and `analyze_workload(...).assert_ok()`.

Registered through the `pytest11` entry point, so installing pg-analyzer is enough:

    def test_queries_use_indexes(analyze_workload):
        analyze_workload("workloads/app.yaml", scale=0.1).assert_ok()

The server is `--pg-analyzer-dsn` when given, else a throwaway container (testcontainers)
when a Docker engine answers, else the embedded PostgreSQL the tool itself uses. Every
workload runs in its own scratch database on that server, dropped afterwards; reports go
under the test's `tmp_path` or `--pg-analyzer-out`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analyzer.containers import DEFAULT_IMAGE, docker_postgres, docker_unavailable_reason
from analyzer.report.model import RunReport


@dataclass(frozen=True)
class AnalyzerDatabase:
    """The server the session's workloads run on; each run gets a scratch database there."""

    dsn: str
    kind: str  # "dsn", "docker" or "embedded"


@dataclass(frozen=True)
class WorkloadResult:
    """A finished run: the report model and where its files were written."""

    report: RunReport
    out_dir: Path

    def failures(self) -> list[str]:
        """One line per failed query or unaccepted regression, naming the failed checks."""
        lines = []
        for q in self.report.failed_queries:
            if q.error:
                lines.append(f"{q.name}: error: {q.error}")
            for c in q.checks:
                if not c.passed and c.severity == "error":
                    where = f" at {c.node_path}" if c.node_path else ""
                    lines.append(f"{q.name}: {c.name}{where}: {c.detail}")
        for r in getattr(self.report, "regressions", ()):
            if not r.accepted:
                lines.append(f"regression: {r}")
        return lines

    def assert_ok(self) -> WorkloadResult:
        """Raise AssertionError listing every failed check; return self when all hold."""
        if not self.report.passed:
            failed = self.failures()
            raise AssertionError(
                f"workload {self.report.workload}: {len(self.report.failed_queries)} of "
                f"{len(self.report.queries)} queries failed (report: {self.out_dir / 'report.html'})\n"
                + "\n".join(f"  - {line}" for line in failed)
            )
        return self


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pg-analyzer")
    group.addoption("--pg-analyzer-dsn", default=None, help="server for pg-analyzer workloads (needs CREATEDB)")
    group.addoption(
        "--pg-analyzer-target", default="auto", choices=("auto", "docker", "embedded"),
        help="without --pg-analyzer-dsn: docker (testcontainers), embedded, or auto (docker when an engine answers)",
    )
    group.addoption("--pg-analyzer-image", default=DEFAULT_IMAGE, help=f"image for the docker target ({DEFAULT_IMAGE})")
    group.addoption("--pg-analyzer-out", default=None, type=Path, help="folder for reports (default: tmp_path)")


@pytest.fixture(scope="session")
def pg_analyzer_database(request: pytest.FixtureRequest) -> Iterator[AnalyzerDatabase]:
    """A PostgreSQL server for the whole session, stopped at its end if the plugin started it."""
    dsn = request.config.getoption("--pg-analyzer-dsn")
    if dsn:
        yield AnalyzerDatabase(dsn=dsn, kind="dsn")
        return
    target = request.config.getoption("--pg-analyzer-target")
    reason = docker_unavailable_reason() if target in ("auto", "docker") else "not asked for"
    if target == "docker" and reason is not None:
        pytest.skip(f"--pg-analyzer-target docker: {reason}; use --pg-analyzer-dsn or the embedded default")
    if reason is None:
        yield from _docker_database(request.config.getoption("--pg-analyzer-image"))
        return
    from analyzer.targets import EmbeddedServer

    server = EmbeddedServer()
    server.start()
    try:
        yield AnalyzerDatabase(dsn=server.conninfo, kind="embedded")
    finally:
        server.stop()


def _docker_database(image: str) -> Iterator[AnalyzerDatabase]:
    with docker_postgres(image) as url:
        yield AnalyzerDatabase(dsn=url, kind="docker")


@pytest.fixture
def analyze_workload(
    pg_analyzer_database: AnalyzerDatabase, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[..., WorkloadResult]:
    """Run a workload in a scratch database of the session's server; call `.assert_ok()` on the result."""
    from analyzer.outputs import write_outputs
    from analyzer.runner import RunOptions, run_workload

    configured: Path | None = request.config.getoption("--pg-analyzer-out")
    counter = iter(range(1, 1_000_000))

    def run(path: str | Path, *, advise: bool = False, **options: Any) -> WorkloadResult:
        workload_path = Path(path)
        if not workload_path.is_absolute():
            workload_path = Path(request.config.rootpath) / workload_path
        report = run_workload(RunOptions(
            workload_path=workload_path, dsn=pg_analyzer_database.dsn, scratch=True, allow_ddl=True,
            advise=advise, **options,
        ))
        base = configured / request.node.name if configured else tmp_path
        out_dir = base / f"{report.workload}-{next(counter)}"
        write_outputs(report, out_dir)
        return WorkloadResult(report=report, out_dir=out_dir)

    return run
