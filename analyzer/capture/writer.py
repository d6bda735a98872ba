"""Render a captured workload as YAML, with the measurements kept as comments.

Written by hand rather than by yaml.dump: the file is meant to be read and edited, so each
statement says where it came from (queryid, calls, mean time) and each parameter why it
got its source. Rules are one-line flow mappings, SQL a literal block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from analyzer.capture.params import NamedStatement
from analyzer.capture.statements import CapturedStatement


@dataclass(frozen=True)
class CapturedQuery:
    """A statement ready to write: its name, counters and named SQL."""

    name: str
    stmt: CapturedStatement
    named: NamedStatement


@dataclass(frozen=True)
class TableEntry:
    name: str
    rows: int
    columns: Mapping[str, Any]


def render_workload(
    *,
    name: str,
    header: Sequence[str],
    schema_file: str,
    scale: float,
    tables: Sequence[TableEntry],
    queries: Sequence[CapturedQuery],
    writes: Sequence[CapturedQuery],
) -> str:
    """The whole workload file."""
    out = [f"# {line}" if line else "#" for line in header]
    out += [
        f"name: {_scalar(name)}",
        f"description: {_scalar('Captured from pg_stat_statements and pg_stats by pg-analyzer capture')}",
        f"schema: {_scalar(schema_file)}",
        "seed: 42",
        f"scale: {scale:g}",
        "",
        "# rows: reltuples at capture time (scale 1 is staging's size); rules from pg_stats",
        "tables:",
    ]
    for t in tables:
        out.append(f"  {_key(t.name)}:")
        out.append(f"    rows: {t.rows}")
        if t.columns:
            out.append("    columns:")
            out += [f"      {_key(c)}: {_flow(rule)}" for c, rule in t.columns.items()]
    out += ["", "queries:"]
    out += _statements(queries)
    if writes:
        out += ["", "# statements that modified data; weight = calls (replayed in rolled-back transactions)", "writes:"]
        out += _statements(writes)
    return "\n".join(out) + "\n"


def _statements(items: Sequence[CapturedQuery]) -> list[str]:
    out: list[str] = []
    for q in items:
        s = q.stmt
        per_call = s.rows / s.calls if s.calls else 0
        out.append(
            f"  # queryid {s.queryid}: {s.calls} calls, mean {s.mean_ms:.3f} ms, {per_call:.1f} rows per call"
        )
        out.append(f"  - name: {_scalar(q.name)}")
        out.append(f"    weight: {s.calls}")
        out.append("    sql: |")
        out += ["      " + line.rstrip() if line.strip() else "" for line in _dedent(q.named.sql).splitlines()]
        if q.named.params:
            out.append("    params:")
            for p in q.named.params:
                out.append(f"      {_key(p.name)}: {_flow(p.source)}  # {p.reason}")
    return out


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    first, rest = lines[0].strip(), lines[1:]
    indents = [len(ln) - len(ln.lstrip()) for ln in rest if ln.strip()]
    cut = min(indents) if indents else 0
    return "\n".join([first] + [ln[cut:] for ln in rest])


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _scalar(value: Any) -> str:
    return _flow(value)


def _key(name: str) -> str:
    return _flow(name)
