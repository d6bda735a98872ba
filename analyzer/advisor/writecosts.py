"""The advisor's view of write costs: the write term of the objective, measured on the write mix.

The objective is the workload's weighted time per operation, reads and writes together
(docs/advisor.md, "The objective"):

    T = ( sum_q w_q * t_q  +  sum_w f_w * t_w ) / ( sum_q w_q + sum_w f_w )

with w_q a query's declared weight and t_q its measured time, f_w a declared write's weight
(on the queries' scale) and t_w its time per execution, measured in the rolled-back write mix.
An index changes T by its read term (queries faster, or slower) plus its write term; the write
term is signed: an index that speeds up a write (a foreign-key check of a parent delete, a
purge's range) lowers T. The change of t_w that decisions rest on is derived from what repeats
(decisive_delta_ms): a cost is t_w scaled by the share of WAL the index adds to the write; a
gain is a measured speedup of at least WRITE_GAIN_RATIO on a write the candidate was proposed
for (candidates.write_candidates); anything else is noise, counted as zero. Without declared writes the mix is synthesized and writes are taken
to be DEFAULT_WRITE_SHARE of the operations, spread over the synthesized rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import psycopg

from analyzer.advisor.builds import BuiltIndex
from analyzer.advisor.candidates import IndexCandidate
from analyzer.catalog import schema_and_name, table_key
from analyzer.overhead import MixRun, measure_built_runs, summarize_runs
from analyzer.report.model import AdvisorSummary, StatementOverhead, WriteOverhead
from analyzer.workload import Workload
from analyzer.writemix import WriteMix, build_write_mix

DEFAULT_READ_SHARE = 0.8  # a workload that declares no writes: 80% of operations are reads
# per candidate: WAL bytes, the primary figure, repeat to the byte; the time difference of one pair is
# noisy, so the set's overhead (SET_REPETITIONS pairs) is what the report's time figure rests on
INDEX_REPETITIONS = 1
SET_REPETITIONS = 2  # the chosen set: interleaved without/with runs, for a time figure with a spread
WRITE_GAIN_RATIO = 2.0  # a write counts as sped up by an index when it runs at least this much faster


@dataclass
class MeasuredWriteCosts:
    """Write overhead measured for real on a mix of the workload's tables.

    Indexes are measured as the advisor built them: runs alternate with the index hidden
    (dropped inside the rolled-back run) and present, so a candidate is never built twice.
    """

    conn: psycopg.Connection
    mix: WriteMix
    read_weight: float  # sum of the queries' weights
    write_weight: float  # sum of the declared writes' weights (or the assumed share's equivalent)
    settled: set[frozenset[str]] = field(default_factory=set)  # table sets whose pages one untimed run settled
    # runs without the candidate, by (writes, indexes on their tables): candidates measured in the same state
    # share them (WAL repeats to the byte); the state changes when an index is chosen
    without_runs: dict[tuple[frozenset[str], frozenset[str]], MixRun] = field(default_factory=dict)
    # built indexes outside the state measured (parked alternatives, parked write savers): hidden from every run
    hidden: Callable[[], Sequence[str]] = tuple

    @property
    def read_share(self) -> float:
        total = self.read_weight + self.write_weight
        return self.read_weight / total if total else 1.0

    def index_overhead(self, cand: IndexCandidate, built: BuiltIndex) -> WriteOverhead | None:
        """Measured on the writes that maintain or probe the index's table: the rest of the mix cannot change."""
        mix = writes_touching(self.mix, cand.table)
        if not mix.statements:
            return None
        hidden = self.hidden()  # index keys, as `present` and `built.key`
        writes = frozenset(st.group_name for st in mix.statements)
        present = _indexes_on(self.conn, mix.tables) - (set(hidden) - {built.key})  # what the run with it sees
        key = (writes, present - {built.key})
        cached = self.without_runs.get(key)
        runs = measure_built_runs(self.conn, mix, [built.key], built.build_ms, INDEX_REPETITIONS, self._warmup(mix),
                                  without=[cached] if cached is not None else [], also_hidden=hidden)
        self.without_runs[key] = runs.without[0]
        # the run with it is the state a pick makes: the next candidate measured there needs no run without
        self.without_runs.setdefault((writes, present), runs.with_index[0])
        overhead = summarize_runs(runs, mix)
        return replace(overhead, statements=tuple(replace(s, can_gain=s.write in cand.writes)
                                                  for s in overhead.statements))

    def set_overhead(self, built: Sequence[BuiltIndex]) -> WriteOverhead | None:
        if not self.mix.statements or not built:
            return None
        return summarize_runs(measure_built_runs(
            self.conn, self.mix, [b.key for b in built], sum(b.build_ms for b in built), SET_REPETITIONS,
            self._warmup(self.mix), also_hidden=self.hidden()), self.mix)

    def _warmup(self, mix: WriteMix) -> int:
        """One untimed run the first time a set of tables is measured (pages left by the load settle), none after:
        every later run starts from the pages the previous rolled-back run and VACUUM left."""
        key = frozenset(mix.tables)
        if key in self.settled:
            return 0
        self.settled.add(key)
        return 1

    def write_delta(self, overhead: WriteOverhead) -> float:
        """The write term's change, in ms per operation of the whole workload (signed: < 0 is a gain)."""
        return write_term_delta(overhead, self.read_weight, self.write_weight)

    def write_gain(self, overhead: WriteOverhead) -> float:
        """What the index saves the writes, in the selection's unit: weighted ms per query (< 0: a cost)."""
        return -self.write_delta(overhead) * (self.read_weight + self.write_weight) / (self.read_weight or 1.0)

    def write_buffers(self, overhead: WriteOverhead) -> float:
        """The buffers the index adds to the writes, in the objective's unit: weighted buffers per query (< 0: fewer)."""
        return write_buffers_delta(overhead, self.read_weight, self.write_weight)

    def outweighs(self, overhead: WriteOverhead, saving_ms: float) -> str | None:
        return write_cost_verdict(overhead, saving_ms, self.read_weight, self.write_weight)

    def objective(self, summary: AdvisorSummary, overhead: WriteOverhead | None) -> AdvisorSummary:
        """The summary with the objective's write and total terms before and after the set."""
        return objective_figures(summary, overhead, self.read_weight, self.write_weight)


def _indexes_on(conn: psycopg.Connection, tables: frozenset[str]) -> frozenset[str]:
    """The indexes on `tables` (catalog keys) now, as index keys: the state a run of the mix measures."""
    pairs = [schema_and_name(t) for t in sorted(tables)]
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE (tn.nspname, t.relname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
        ([s for s, _ in pairs], [n for _, n in pairs]),
    ).fetchall()
    return frozenset(table_key(str(r[0]), str(r[1])) for r in rows)


def objective_figures(summary: AdvisorSummary, overhead: WriteOverhead | None, read_weight: float,
                      write_weight: float) -> AdvisorSummary:
    """Weighted ms per write and per operation (reads and writes) before and after (pure)."""
    if overhead is None or not overhead.statements or not write_weight:
        return summary
    rows = sum(s.executions for s in overhead.statements if s.frequency is None)

    def weight(s: StatementOverhead) -> float:
        return s.frequency if s.frequency is not None else write_weight * s.executions / max(rows, 1)

    before = sum(weight(s) * s.time_ms_before / max(s.executions, 1) for s in overhead.statements) / write_weight
    after = sum(weight(s) * (s.time_ms_before + s.time_ms_delta) / max(s.executions, 1)
                for s in overhead.statements) / write_weight
    total = read_weight + write_weight
    return replace(
        summary, weighted_write_ms_before=before, weighted_write_ms_after=after,
        weighted_total_ms_before=(summary.weighted_ms_before * read_weight + before * write_weight) / total,
        weighted_total_ms_after=(summary.weighted_ms_after * read_weight + after * write_weight) / total,
    )


def writes_touching(mix: WriteMix, table: str) -> WriteMix:
    """The executions of the writes that maintain or probe `table`'s indexes (all steps of each)."""
    groups = {st.group_name for st in mix.statements if table in st.touches}
    statements = tuple(st for st in mix.statements if st.group_name in groups)
    return replace(mix, statements=statements,
                   tables=frozenset(t for st in statements for t in st.touches),
                   sources={t: src for t, src in mix.sources.items() if any(t in st.touches for st in statements)})


def write_term_delta(overhead: WriteOverhead, read_weight: float, write_weight: float) -> float:
    """Change of the objective's write term (pure), ms per operation of the workload.

    Declared writes: sum of f_w * (time change per execution). Synthesized statements stand for
    `executions` rows each; writes being `write_weight` of the operations, each row weighs
    write_weight / (all synthesized rows).
    """
    total = read_weight + write_weight
    return _weighted_sum(overhead, write_weight, decisive_delta_ms) / total if total else 0.0


def write_buffers_delta(overhead: WriteOverhead, read_weight: float, write_weight: float) -> float:
    """Change of the buffers the writes touch, in weighted buffers per query (pure): the objective W's unit.

    A write's buffers (hit + read of its statements) repeat from one rolled-back run to the next
    as a query's do (929-942 for a mix of single-row inserts, where its time went 1.8-5.3 ms):
    index maintenance is a descent to a leaf per row. The writes weigh as in the write term;
    dividing by the queries' weight puts the sum beside W, which is per query.
    """
    return _weighted_sum(overhead, write_weight, lambda s: float(s.buffers_delta)) / read_weight if read_weight else 0.0


def _weighted_sum(overhead: WriteOverhead, write_weight: float, figure: Callable[[StatementOverhead], float]) -> float:
    """sum_w f_w * figure(w) per execution; a synthesized statement weighs write_weight by its share of the rows."""
    synthesized_rows = sum(s.executions for s in overhead.statements if s.frequency is None)
    term = 0.0
    for s in overhead.statements:
        per_execution = figure(s) / max(s.executions, 1)
        if s.frequency is not None:
            term += s.frequency * per_execution
        elif synthesized_rows:
            term += write_weight * s.executions / synthesized_rows * per_execution
    return term


def decisive_delta_ms(s: StatementOverhead) -> float:
    """The change of a write's time the decision rests on (pure): derived from figures that repeat.

    One pair of timed runs on a busy machine moves by more than most indexes cost, so time
    alone decides nothing. A cost is the write's time before scaled by the share of WAL the
    index adds to it (its WAL repeats to the byte: an index the write does not maintain adds
    none and costs nothing). A gain, on a write the index was proposed for, is its measured
    time when it is at least WRITE_GAIN_RATIO times faster: a plan that changed (a foreign-key
    check or a purge's range served by the index), not a neighbour that went quiet.
    """
    if s.can_gain and s.time_ms_delta < 0:
        after = s.time_ms_before + s.time_ms_delta
        if s.time_ms_before >= WRITE_GAIN_RATIO * max(after, 1e-6):
            return s.time_ms_delta
    return wal_charge_ms(s)


def wal_charge_ms(s: StatementOverhead) -> float:
    """A write's maintenance cost from WAL (pure): its time before, in proportion to the WAL the index adds."""
    if s.wal_bytes_delta <= 0 or s.wal_bytes_before <= 0:
        return 0.0
    return s.time_ms_before * s.wal_bytes_delta / s.wal_bytes_before


def write_cost_verdict(overhead: WriteOverhead, saving_ms: float, read_weight: float,
                       write_weight: float) -> str | None:
    """A sentence when the index costs the writes more than it saves the reads (pure), else None.

    `saving_ms` is weighted read time per query (the selection's unit); both sides are brought to
    ms per operation of the whole workload, reads and writes together.
    """
    total = read_weight + write_weight
    if not total:
        return None
    cost = write_term_delta(overhead, read_weight, write_weight)
    gain = saving_ms * read_weight / total
    if cost <= gain:
        return None
    worst = max(overhead.statements, key=lambda s: decisive_delta_ms(s) / max(s.executions, 1), default=None)
    detail = (f"{worst.write} +{decisive_delta_ms(worst) / max(worst.executions, 1):.3f} ms per execution "
              f"for its {worst.wal_bytes_delta / max(worst.wal_bytes_before, 1):+.0%} WAL, "
              if worst is not None else "")
    return (f"its write cost ({detail}{overhead.wal_ratio:+.1%} WAL: +{cost:.4f} ms per operation of the workload) "
            f"outweighs the {gain:.4f} ms per operation it saves the reads "
            f"({read_weight / total:.0%} of operations are reads)")


def measured_write_costs(
    conn: psycopg.Connection, workload: Workload, seed: int, candidates: Sequence[IndexCandidate]
) -> MeasuredWriteCosts:
    """The workload's declared writes that touch the candidates' tables (or, when it declares none, a mix
    synthesized from the schema that updates the columns the candidates cover), ready to measure."""
    reads = sum(q.weight for q in workload.queries)
    if workload.writes:
        writes = sum(w.weight for w in workload.writes)
    else:
        writes = reads * (1 - DEFAULT_READ_SHARE) / DEFAULT_READ_SHARE
    covered: dict[str, list[str]] = {}
    for c in candidates:
        cols = covered.setdefault(c.table, [])
        for key in c.keys + c.include:
            name = key.split(" ")[0]
            if not name.startswith("(") and name not in cols:
                cols.append(name)
    mix = build_write_mix(conn, workload, set(covered), seed, update_columns=covered)
    return MeasuredWriteCosts(conn, mix, reads, writes)
