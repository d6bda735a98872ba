"""indexes.sql and indexes.down.sql: the recommended set as migrations a team can apply (pure).

`CREATE INDEX CONCURRENTLY IF NOT EXISTS` so applying it does not block writes on a live
table, each with a comment block of what was measured; the down file drops them again.
Tables outside public are schema-qualified (`ON app.orders`), and so are their indexes in
the down file; public ones read bare, as the report shows them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.advisor.candidates import sql_name
from analyzer.report.model import Recommendation

# operator classes that come from an extension, not the core server
_EXTENSION_OPCLASSES = {
    "gin_trgm_ops": "pg_trgm", "gist_trgm_ops": "pg_trgm",
    "gin_btree_ops": "btree_gin", "gist_btree_ops": "btree_gist",
}


def render_indexes_sql(recommendations: Sequence[Recommendation], workload: str) -> str:
    chosen = [r for r in recommendations if r.chosen]
    lines = [
        f"-- Indexes recommended by pg-analyzer for workload {workload}.",
        "-- Each was built and measured; CONCURRENTLY keeps writes flowing (run outside a transaction).",
        "",
    ]
    if not chosen and not any(r.proven for r in recommendations):
        lines.append("-- No index was built on this target (DDL not allowed), so none is recommended here;")
        lines.append("-- report.json lists the candidates, unproven. Run with --scratch or --allow-ddl to measure them.")
    elif not chosen:
        lines.append("-- No index is recommended: none made the workload measurably faster.")
    extensions = required_extensions([r.ddl for r in chosen])
    for ext in extensions:
        lines.append(f"CREATE EXTENSION IF NOT EXISTS {ext};")
    if extensions:
        lines.append("")
    for r in chosen:
        lines.append(f"-- {r.name} ({r.kind}) on {r.table}: {r.reason}")
        for q in r.queries:
            lines.append(f"--   {q.query}: {q.before_ms:.2f} ms -> {q.after_ms:.2f} ms ({_speedup(q.speedup)}), "
                         f"buffers {q.before_buffers:,} -> {q.after_buffers:,}")
        if r.size_bytes is not None:
            lines.append(f"--   size {_size(r.size_bytes)}, built in {r.build_ms or 0:.0f} ms")
        w = r.write_overhead
        if w is not None:
            lines.append(f"--   write mix: {w.wal_bytes:+,} WAL bytes ({w.wal_ratio:+.1%}), "
                         f"{w.time_ms_median:+.1f} ms ({w.time_ratio:+.1%}), {w.hot_updates_lost} HOT updates lost")
        lines.append(_concurrent(r.ddl) + ";")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_indexes_down_sql(recommendations: Sequence[Recommendation], workload: str) -> str:
    chosen = [r for r in recommendations if r.chosen]
    lines = [f"-- Reverts indexes.sql of workload {workload}.", ""]
    # an index lives in its table's schema: `app.pga_...` where the table is not in public
    lines += [f"DROP INDEX CONCURRENTLY IF EXISTS {sql_name(r.table, r.name)};" for r in reversed(chosen)]
    return "\n".join(lines).rstrip() + "\n"


def required_extensions(ddls: Sequence[str]) -> list[str]:
    """Extensions the statements' operator classes come from (pg_trgm for trigram GIN), in order."""
    found: list[str] = []
    for ddl in ddls:
        for word in re.findall(r"[a-z_]+_ops\b", ddl):
            ext = _EXTENSION_OPCLASSES.get(word)
            if ext and ext not in found:
                found.append(ext)
    return found


def _concurrent(ddl: str) -> str:
    """CREATE INDEX name ... -> CREATE INDEX CONCURRENTLY IF NOT EXISTS name ..."""
    prefix = "CREATE INDEX "
    assert ddl.startswith(prefix), ddl
    return "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + ddl[len(prefix):]


def _speedup(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.1f}x"


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
