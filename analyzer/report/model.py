"""The report model: everything a run found, as frozen dataclasses.

Every output (report.json, report.html, summary.md, junit.xml, the console summary) is
rendered from this model, never from raw dicts. `report_to_json` and `report_from_json`
round-trip it, so saved reports serve as baselines and as fixtures for render tests.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ServerInfo:
    """The server the workload ran on and the settings that shape its plans."""

    version: str
    version_num: int
    target: str  # "embedded", "dsn" or "docker"
    dsn_masked: str
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnStats:
    """What pg_stats says about a seeded column after ANALYZE."""

    column: str
    n_distinct: float
    null_frac: float
    most_common_vals: tuple[str, ...] = ()
    most_common_freqs: tuple[float, ...] = ()
    rule: str = ""  # the rule that generated it (declared or inferred), one line of YAML


@dataclass(frozen=True)
class TableSeed:
    """Rows loaded into one table and how long it took."""

    table: str
    rows: int
    seconds: float
    columns: tuple[ColumnStats, ...] = ()


@dataclass(frozen=True)
class SeedSummary:
    """The seeding step as a whole; `skipped` says why nothing was seeded, if so."""

    scale: float
    seed: int
    seconds: float
    tables: tuple[TableSeed, ...] = ()
    skipped: str | None = None
    notes: tuple[str, ...] = ()  # about inferred values: references left NULL, and why


@dataclass(frozen=True)
class CheckOutcome:
    """One declared expectation or built-in check of one query."""

    name: str
    passed: bool
    severity: str
    detail: str
    node_path: str | None = None
    source: str = "builtin"


@dataclass(frozen=True)
class QueryReport:
    """One declared access pattern: its SQL, what replay measured, the plan and the checks."""

    name: str
    weight: float
    sql: str
    params: tuple[Mapping[str, Any], ...]
    median_ms: float | None
    p95_ms: float | None
    timings_ms: tuple[float, ...]
    planning_ms: float | None
    shared_hit: int
    shared_read: int
    plan: Any  # raw EXPLAIN JSON of the representative run
    checks: tuple[CheckOutcome, ...] = ()
    plans_by_params: tuple[Any, ...] = ()  # raw EXPLAIN JSON per parameter set
    rows: float | None = None
    error: str | None = None
    modifies_data: bool = False
    param_labels: tuple[str, ...] = ()  # heavy, typical, rare or declared, per parameter set
    rows_by_params: tuple[float | None, ...] = ()  # rows the plan returned, per parameter set
    buffers_by_params: tuple[int | None, ...] = ()  # shared buffers touched (hit + read), per parameter set
    measurement_note: str | None = None  # how the time budget shaped the measurement, when it did

    @property
    def passed(self) -> bool:
        """A query fails on an error or on a failed check of severity error."""
        return self.error is None and not any(
            not c.passed and c.severity == "error" for c in self.checks
        )

    @property
    def shared_buffers(self) -> int:
        return self.shared_hit + self.shared_read


@dataclass(frozen=True)
class StatementOverhead:
    """One write of the mix (a declared write, all its steps) with and without the index, per run."""

    write: str
    executions: int  # per run (rows, for a synthesized statement)
    time_ms_before: float
    time_ms_delta: float  # median of the paired differences; negative when the index makes it faster
    wal_bytes_before: int = 0
    wal_bytes_delta: int = 0
    frequency: float | None = None  # the declared weight (the queries' scale); None when synthesized
    buffers_before: int = 0  # shared buffers touched per run (hit + read), as a query's work
    buffers_delta: int = 0
    can_gain: bool = True  # False: the index cannot serve this write (a gain would be noise), counted as >= 0


@dataclass(frozen=True)
class WriteOverhead:
    """What an index (or a set of them) costs the write mix, measured against the mix without it."""

    wal_bytes: int
    wal_ratio: float
    buffers_dirtied: int
    time_ms_median: float
    time_ratio: float
    time_ms_spread: float = 0.0
    hot_updates_lost: int = 0
    baseline_wal_bytes: int = 0
    baseline_time_ms_median: float = 0.0
    note: str = ""
    buffers_written: int = 0
    wal_bytes_spread: int = 0  # half the range of the paired WAL differences (0: repeatable to the byte)
    baseline_hot_updates: int = 0  # HOT updates of the mix without the index ...
    baseline_updates: int = 0  # ... out of this many updates
    index_size_bytes: int = 0  # the index (or the set) right after its build
    build_ms: float = 0.0
    repetitions: int = 0  # paired A/B runs behind the medians
    statements: tuple[StatementOverhead, ...] = ()  # per write of the mix, for the objective's write term


@dataclass(frozen=True)
class QuerySpeedup:
    """One query measured before and after an index was built."""

    query: str
    before_ms: float
    after_ms: float
    before_buffers: int
    after_buffers: int
    uses_index: bool
    plan_after: Any = None
    timings_after_ms: tuple[float, ...] = ()
    plan_before: Any = None  # the same parameter set as plan_after
    param_set: int | None = None  # index into the query's params of the set both plans ran with
    param_label: str | None = None  # heavy, typical, rare or declared
    before_buffers_by_set: tuple[int, ...] = ()  # the objective's input, per parameter set
    after_buffers_by_set: tuple[int, ...] = ()
    time_spread_ms: float | None = None  # paired timing: half the IQR of the before-after differences

    @property
    def speedup(self) -> float:
        return self.before_ms / self.after_ms if self.after_ms > 0 else float("inf")


@dataclass(frozen=True)
class Recommendation:
    """An index candidate, proven (built and measured) or not, chosen or rejected with a reason."""

    name: str
    ddl: str
    table: str
    kind: str  # btree, partial, expression, gin, fk, ...
    chosen: bool
    reason: str
    proven: bool
    queries: tuple[QuerySpeedup, ...] = ()
    weighted_speedup: float | None = None
    size_bytes: int | None = None
    build_ms: float | None = None
    write_overhead: WriteOverhead | None = None


@dataclass(frozen=True)
class ExistingIndexNote:
    """An index already in the database worth a remark: duplicate, redundant or unused."""

    name: str
    table: str
    kind: str  # duplicate, redundant, unused
    detail: str


@dataclass(frozen=True)
class Regression:
    """A difference from the baseline report that fails the run unless accepted."""

    query: str
    kind: str  # plan, buffers, time, missing; advisor: slower with the recommended set
    detail: str
    accepted: bool = False


@dataclass(frozen=True)
class AdvisorSummary:
    """The recommended set judged on the whole workload, measured."""

    weighted_ms_before: float
    weighted_ms_after: float
    weighted_speedup: float
    write_overhead_total: WriteOverhead | None = None
    queries: tuple[QuerySpeedup, ...] = ()  # every query with the whole set in place (plan_after included)
    regressions: tuple[Regression, ...] = ()  # queries the final set makes >10% slower (none removal could cure)
    # the objective's other terms (docs/advisor.md): ms per write, and per operation of reads and writes
    weighted_write_ms_before: float | None = None
    weighted_write_ms_after: float | None = None
    weighted_total_ms_before: float | None = None
    weighted_total_ms_after: float | None = None
    objective: str = ""  # what the choice was made on (analyzer/advisor/objective.py)
    weighted_buffers_before: float | None = None
    weighted_buffers_after: float | None = None
    phases_s: dict[str, float] = field(default_factory=dict)  # seconds per advisor phase
    build_ms_total: float | None = None  # each candidate built once: the floor of a real-build advisor
    builds: int = 0  # index builds performed in all (a candidate may be built again to prune or swap)
    measurements: int = 0  # query measurements (every parameter set of one query in one state)



@dataclass(frozen=True)
class RunReport:
    """Everything one `pg-analyzer run` produced."""

    workload: str
    workload_path: str
    run_id: str
    started_at: str
    duration_s: float
    server: ServerInfo
    queries: tuple[QueryReport, ...]
    seeding: SeedSummary | None = None
    recommendations: tuple[Recommendation, ...] = ()
    existing_indexes: tuple[ExistingIndexNote, ...] = ()
    advisor: AdvisorSummary | None = None
    regressions: tuple[Regression, ...] = ()
    notes: tuple[str, ...] = ()
    format_version: int = REPORT_FORMAT_VERSION
    incomplete: str | None = None  # why the run stopped early (Ctrl-C during the advisor); None when complete

    @property
    def passed(self) -> bool:
        return all(q.passed for q in self.queries) and not any(
            not r.accepted for r in self.regressions
        )

    @property
    def failed_queries(self) -> tuple[QueryReport, ...]:
        return tuple(q for q in self.queries if not q.passed)

    @property
    def total_weight(self) -> float:
        return sum(q.weight for q in self.queries)

    @property
    def weighted_ms(self) -> float:
        """Workload time per query, weighted by declared frequency."""
        total = self.total_weight or 1.0
        return sum((q.median_ms or 0.0) * q.weight for q in self.queries) / total


def report_to_json(report: RunReport) -> dict[str, Any]:
    """The report as plain JSON-ready data (properties that readers want are included)."""
    data: dict[str, Any] = _to_plain(report)
    data["passed"] = report.passed
    data["weighted_ms"] = report.weighted_ms
    for q, qd in zip(report.queries, data["queries"]):
        qd["passed"] = q.passed
        qd["shared_buffers"] = q.shared_buffers
    for r, rd in zip(report.recommendations, data["recommendations"]):
        for s, sd in zip(r.queries, rd["queries"]):
            sd["speedup"] = s.speedup
    if report.advisor is not None:
        data["summary"] = {"weighted_speedup": report.advisor.weighted_speedup}
        data["write_overhead_total"] = data["advisor"]["write_overhead_total"]
    return data


def report_from_json(data: Mapping[str, Any]) -> RunReport:
    """Rebuild a report from `report_to_json` output (extra keys are ignored)."""
    report: RunReport = _from_plain(RunReport, data)
    return report


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, float) and value == float("inf"):
        return None
    return value


def _from_plain(cls: Any, data: Any) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            return _convert(arg, value)
    if dataclasses.is_dataclass(tp):
        return _from_plain(tp, value)
    if origin is tuple:
        (item,) = typing.get_args(tp)[:1]
        return tuple(_convert(item, v) for v in value)
    return value
