"""One root exception for everything the tool reports as bad input or a target problem.

The CLI catches `AnalyzerError`, prints its one-line message and exits 2. A failed
expectation is not an exception: it is a result and gives exit 1.
"""

from __future__ import annotations


class AnalyzerError(Exception):
    """Base of every error the CLI turns into one line and exit code 2."""


class WorkloadError(AnalyzerError):
    """The workload file is malformed, or names something that does not exist."""


class TargetError(AnalyzerError):
    """The database target cannot be reached, started or used."""


class QueryError(AnalyzerError):
    """A declared query failed on the server (syntax, unknown table, timeout)."""


class SeedError(AnalyzerError):
    """A seeding rule cannot be satisfied (unknown provider, impossible uniqueness)."""
