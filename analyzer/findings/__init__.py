"""Built-in plan findings, one rule per module (the shape of sqlfluff's rules).

Each rule is a `Finding` subclass: its name, the severities it gives, the EXPLAIN keys it reads and
a docstring saying what it flags and what to do. `FINDINGS` is the order they run in;
`findings_markdown()` renders docs/findings.md from them (`python -m analyzer.findings`).
"""

from __future__ import annotations

import inspect

from analyzer.findings.base import Context, Finding, Hit, cut_short_paths
from analyzer.findings.disk_sort import DiskSort
from analyzer.findings.hash_batches import HashBatches
from analyzer.findings.hashagg_spill import HashAggSpill
from analyzer.findings.heap_fetches import HeapFetches
from analyzer.findings.large_offset import LargeOffset
from analyzer.findings.lossy_bitmap import LossyBitmap
from analyzer.findings.misestimate import Misestimate
from analyzer.findings.nested_loop import NestedLoop
from analyzer.findings.rows_removed import RowsRemoved
from analyzer.findings.seq_scan import SeqScan

FINDINGS: tuple[Finding, ...] = (
    SeqScan(), DiskSort(), HashBatches(), HashAggSpill(), Misestimate(), RowsRemoved(), HeapFetches(),
    NestedLoop(), LargeOffset(), LossyBitmap(),
)

__all__ = ["FINDINGS", "Context", "Finding", "Hit", "cut_short_paths", "findings_markdown"]


def findings_markdown() -> str:
    """docs/findings.md: one section per rule, from its metadata and docstring."""
    lines = [
        "# Built-in findings",
        "",
        ("Generated from `analyzer/findings/` by `python -m analyzer.findings > docs/findings.md`; "
         "a unit test checks it is current."),
        ("Every finding is reported as `builtin.<name>` with a severity, the path of the node "
         "(`0` is the root, `0.1` its second child) and one line: what was seen, then what to do."),
        "Thresholds in backquotes are set under `checks:` in the workload.",
        "",
    ]
    for rule in FINDINGS:
        doc = inspect.getdoc(type(rule)) or ""
        flags, _, todo = doc.partition("\n\n")
        lines += [
            f"## `builtin.{rule.name}`",
            "",
            f"- severity: {rule.severity}",
            f"- reads: {', '.join(f'`{k}`' for k in rule.reads)}",
            f"- module: `analyzer/findings/{type(rule).__module__.rsplit('.', 1)[-1]}.py`",
            "",
            "**Flags:** " + " ".join(flags.split()),
            "",
            "**What to do:** " + " ".join(todo.split()),
            "",
        ]
    return "\n".join(lines)
