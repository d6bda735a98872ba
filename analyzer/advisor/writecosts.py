"""The advisor's view of write costs: measured on the workload's write mix, weighed against read savings.

Reads and writes are compared per operation of the whole workload. The read share comes from
the declared weights of queries and writes; a workload that declares no writes is assumed to
be 80% reads. An index is rejected when the time it adds per write, times the write share,
exceeds the weighted time it saves per query, times the read share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import psycopg

from analyzer.advisor.candidates import IndexCandidate
from analyzer.overhead import measure_index_overhead, measure_set_overhead
from analyzer.report.model import WriteOverhead
from analyzer.workload import Workload
from analyzer.writemix import WriteMix, build_write_mix

DEFAULT_READ_SHARE = 0.8
INDEX_REPETITIONS = 1  # per candidate: WAL bytes, the primary figure, repeat to the byte
SET_REPETITIONS = 2  # the chosen set: interleaved without/with runs, for a time figure with a spread


@dataclass
class MeasuredWriteCosts:
    """Write overhead measured for real on a mix of the workload's tables."""

    conn: psycopg.Connection
    mix: WriteMix
    read_share: float

    def index_overhead(self, cand: IndexCandidate) -> WriteOverhead | None:
        """Measured on the writes to the index's own table: the rest of the mix cannot change."""
        mix = _writes_to(self.mix, cand.table)
        if not mix.statements:
            return None
        return measure_index_overhead(self.conn, mix, cand.ddl(), cand.name, INDEX_REPETITIONS)

    def set_overhead(self, cands: Sequence[IndexCandidate]) -> WriteOverhead | None:
        return measure_set_overhead(self.conn, self.mix, [(c.ddl(), c.name) for c in cands], SET_REPETITIONS)

    def outweighs(self, overhead: WriteOverhead, saving_ms: float) -> str | None:
        return write_cost_verdict(overhead, saving_ms, self.read_share, max(self.mix.operations, 1))


def _writes_to(mix: WriteMix, table: str) -> WriteMix:
    statements = tuple(st for st in mix.statements if st.table == table)
    return replace(mix, statements=statements, tables=frozenset({table}) if statements else frozenset(),
                   sources={t: src for t, src in mix.sources.items() if t == table})


def write_cost_verdict(overhead: WriteOverhead, saving_ms: float, read_share: float, operations: int) -> str | None:
    """A sentence when the index costs writes more than it saves reads (pure), else None."""
    per_write_ms = max(overhead.time_ms_median, 0.0) / operations
    cost = per_write_ms * (1 - read_share)
    gain = saving_ms * read_share
    if cost <= gain:
        return None
    return (f"its write cost (+{per_write_ms:.3f} ms per write, {overhead.wal_ratio:+.1%} WAL) outweighs the "
            f"{saving_ms:.3f} ms it saves per query at {read_share:.0%} reads")


def measured_write_costs(
    conn: psycopg.Connection, workload: Workload, seed: int, candidates: Sequence[IndexCandidate]
) -> MeasuredWriteCosts:
    """The workload's declared writes on the candidates' tables (else a mix synthesized from the schema
    that updates the columns the candidates cover), ready to measure."""
    reads = sum(q.weight for q in workload.queries)
    writes = sum(w.weight for w in workload.writes)
    share = reads / (reads + writes) if workload.writes and reads + writes > 0 else DEFAULT_READ_SHARE
    covered: dict[str, list[str]] = {}
    for c in candidates:
        cols = covered.setdefault(c.table, [])
        for key in c.keys + c.include:
            name = key.split(" ")[0]
            if not name.startswith("(") and name not in cols:
                cols.append(name)
    mix = build_write_mix(conn, workload, set(covered), seed, update_columns=covered)
    return MeasuredWriteCosts(conn, mix, share)
