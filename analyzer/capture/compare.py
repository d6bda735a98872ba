"""`pg-analyzer compare-stats`: staging's column statistics beside the seeded twin's.

Per column: null fraction, distinct count, the top-5 frequencies (by rank: the twin's text
values are synthetic, so values cannot be matched, only the shape), and for numbers and
instants a histogram distance: the mean gap between the two quantile functions at 21
points, as a share of staging's range (0 = the same quantiles). The twin is seeded on an
embedded server unless `--twin-dsn` names one already seeded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from rich.table import Table as RichTable

from analyzer.capture.pgstats import read_column_stats
from analyzer.capture.rules import ColumnStatistics, is_text
from analyzer.catalog import read_catalog, table_row_counts, table_row_estimates
from analyzer.errors import AnalyzerError
from analyzer.progress import Reporter, SilentReporter
from analyzer.seeding.loader import seed_workload
from analyzer.targets import connect, open_target
from analyzer.workload import load_workload

TOP = 5


@dataclass(frozen=True)
class ColumnComparison:
    table: str
    column: str
    staging_rows: int
    twin_rows: int
    staging_null: float
    twin_null: float
    staging_distinct: int
    twin_distinct: int
    staging_top: tuple[float, ...]
    twin_top: tuple[float, ...]
    histogram_distance: float | None

    @property
    def top_gap(self) -> float:
        """The largest difference between same-rank top frequencies (a missing rank counts as 0)."""
        a = list(self.staging_top) + [0.0] * TOP
        b = list(self.twin_top) + [0.0] * TOP
        return max((abs(x - y) for x, y in zip(a[:TOP], b[:TOP], strict=True)), default=0.0)


def compare_with_twin(
    workload_path: Path,
    staging_dsn: str,
    *,
    twin_dsn: str | None = None,
    scale: float | None = None,
    reporter: Reporter | None = None,
) -> list[ColumnComparison]:
    """Seed the twin (unless `twin_dsn` holds it) and compare its statistics with staging's."""
    reporter = reporter or SilentReporter()
    workload = load_workload(workload_path)
    tables = list(workload.tables)
    with connect(staging_dsn) as staging:
        staging.execute("SET default_transaction_read_only = on")
        staging.execute("SET TIME ZONE 'UTC'")
        staging_stats = read_column_stats(staging, tables)
        staging_rows = table_row_estimates(staging)
        types = {t.name: {c.name: c.type for c in t.columns} for t in read_catalog(staging).tables.values()}
    with _twin(workload_path, twin_dsn, scale if scale is not None else workload.scale, reporter) as twin:
        twin.execute("SET TIME ZONE 'UTC'")
        twin_stats = read_column_stats(twin, tables)
        twin_rows = table_row_counts(twin, tables)
    out = []
    for table in tables:
        for column, st in sorted(staging_stats.get(table, {}).items()):
            tw = twin_stats.get(table, {}).get(column)
            if tw is None:
                continue
            out.append(compare_column(st, tw, staging_rows.get(table, 0), twin_rows.get(table, 0),
                                      types.get(table, {}).get(column, "text")))
    return out


def compare_column(
    st: ColumnStatistics, tw: ColumnStatistics, staging_rows: int, twin_rows: int, type_name: str
) -> ColumnComparison:
    return ColumnComparison(
        table=st.table, column=st.column, staging_rows=staging_rows, twin_rows=twin_rows,
        staging_null=st.null_frac, twin_null=tw.null_frac,
        staging_distinct=st.distinct_count(staging_rows), twin_distinct=tw.distinct_count(twin_rows),
        staging_top=tuple(sorted(st.mcf, reverse=True)[:TOP]), twin_top=tuple(sorted(tw.mcf, reverse=True)[:TOP]),
        histogram_distance=histogram_distance(st.bounds, tw.bounds, type_name),
    )


def histogram_distance(a: tuple[str, ...], b: tuple[str, ...], type_name: str) -> float | None:
    """Mean gap between two histograms' quantile functions, as a share of the first one's range."""
    if len(a) < 2 or len(b) < 2 or is_text(type_name) or type_name in ("boolean", "uuid", "jsonb", "json"):
        return None
    try:
        qa, qb = _as_numbers(a, type_name), _as_numbers(b, type_name)
    except (TypeError, ValueError):
        return None
    grid = np.linspace(0.0, 1.0, 21)
    fa = np.interp(grid, np.linspace(0.0, 1.0, len(qa)), qa)
    fb = np.interp(grid, np.linspace(0.0, 1.0, len(qb)), qb)
    span = float(qa[-1] - qa[0]) or 1.0
    return float(np.mean(np.abs(fa - fb)) / span)


def _as_numbers(values: tuple[str, ...], type_name: str) -> np.ndarray:
    if type_name == "date" or type_name.startswith("timestamp"):
        stamps = pd.to_datetime(pd.Series(values), utc=True, format="mixed")
        return np.asarray(stamps.astype("int64").to_numpy(), dtype=np.float64)
    return np.asarray([float(v) for v in values], dtype=np.float64)


@contextmanager
def _twin(workload_path: Path, twin_dsn: str | None, scale: float, reporter: Reporter) -> Iterator[psycopg.Connection]:
    """A connection to the twin: the given one, or an embedded server seeded from the workload."""
    if twin_dsn is not None:
        with connect(twin_dsn) as conn:
            yield conn
        return
    workload = load_workload(workload_path)
    if workload.schema_sql is None:
        raise AnalyzerError(f"{workload_path}: no schema to create the twin from")
    with open_target(None, progress=reporter.message) as target, connect(target.conninfo) as conn:
        reporter.message("creating the twin's schema")
        with conn.transaction():
            conn.execute(workload.schema_sql)
        seed_workload(conn, workload, scale=scale, seed=workload.default_seed, reporter=reporter)
        yield conn


def comparison_table(rows: list[ColumnComparison]) -> RichTable:
    """The comparison for the console: staging | twin per figure."""
    table = RichTable(title="staging vs twin (pg_stats)")
    table.add_column("table.column", no_wrap=True)
    for name in ("rows", "null frac", "distinct", "top-5 freqs (gap)", "hist. distance"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            f"{r.table}.{r.column}", f"{r.staging_rows:,} | {r.twin_rows:,}",
            f"{r.staging_null:.3f} | {r.twin_null:.3f}", f"{r.staging_distinct:,} | {r.twin_distinct:,}",
            f"{_freqs(r.staging_top)} | {_freqs(r.twin_top)} ({r.top_gap:.3f})",
            "" if r.histogram_distance is None else f"{r.histogram_distance:.3f}",
        )
    return table


def _freqs(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.2f}" for v in values) or "-"
