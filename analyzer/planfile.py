"""`pg-analyzer plan FILE...`: findings on EXPLAIN output pasted from anywhere, with no server.

Reads EXPLAIN (FORMAT JSON) as psql, pgAdmin, auto_explain or a tool saved it: one document, a
list of them, or the text of a psql session (the `QUERY PLAN` header, `+`/`↵` continuation marks,
ASCII or Unicode borders, SQL before it, `(1 row)` after it). Text-format plans are refused with
a one-line error: their figures cannot be read back exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.checks import CheckResult, CheckThresholds, run_builtin_checks
from analyzer.errors import AnalyzerError
from analyzer.plan import ExplainResult, parse_explain


class PlanFileError(AnalyzerError):
    """A plan file is missing, unreadable, or holds no EXPLAIN JSON."""


@dataclass(frozen=True)
class PlanAnalysis:
    """One plan of one file and the built-in findings on it."""

    file: str
    plan: ExplainResult
    findings: tuple[CheckResult, ...]

    @property
    def has_error(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


_BORDER = "|│║"
_CONTINUATION = re.compile(r"\s*[+↵]\s*$")
_TEXT_PLAN = re.compile(r"\(cost=\d+\.\d+\.\.\d+\.\d+ rows=\d+ width=\d+\)|\(actual (time|rows)=")


def analyze_plan_files(paths: Sequence[Path], thresholds: CheckThresholds | None = None) -> list[PlanAnalysis]:
    """Every plan of every file with its findings; the first bad file raises `PlanFileError`."""
    t = thresholds or CheckThresholds()
    out: list[PlanAnalysis] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as e:
            raise PlanFileError(f"{path}: cannot read it: {e.strerror or e}") from None
        for plan in load_plans(text, str(path)):
            out.append(PlanAnalysis(str(path), plan, tuple(run_builtin_checks(plan, t, {}))))
    return out


def load_plans(text: str, where: str) -> list[ExplainResult]:
    """The EXPLAIN documents in `text`: parsed and checked, or `PlanFileError` naming `where`."""
    doc = extract_explain_json(text, where)
    docs = doc if isinstance(doc, list) else [doc]
    if not docs:
        raise PlanFileError(f"{where}: an empty list, not an EXPLAIN plan")
    plans: list[ExplainResult] = []
    for i, d in enumerate(docs):
        if isinstance(d, list) and len(d) == 1:  # a list of EXPLAIN outputs, each a one-element list
            d = d[0]
        try:
            plans.append(parse_explain([d]))
        except AnalyzerError as e:
            at = f" (document {i + 1})" if len(docs) > 1 else ""
            raise PlanFileError(f"{where}{at}: {e}") from None
    return plans


def extract_explain_json(text: str, where: str) -> Any:
    """The JSON value of an EXPLAIN (FORMAT JSON) output, with whatever framed it removed."""
    stripped = text.strip()
    if not stripped:
        raise PlanFileError(f"{where}: the file is empty")
    for candidate in (stripped, _unquote_pgadmin(stripped)):
        if candidate is not None:
            try:
                return json.loads(candidate)
            except ValueError:
                pass
            except RecursionError:
                raise PlanFileError(f"{where}: JSON nested too deeply to be a plan") from None
    unframed = "\n".join(_unframe(line) for line in text.splitlines())
    decoder = json.JSONDecoder()
    for m in re.finditer(r"^[ \t]*[\[{]", unframed, re.MULTILINE):
        try:
            value, _ = decoder.raw_decode(unframed, m.end() - 1)
        except (ValueError, RecursionError):
            continue
        if _looks_like_explain(value):
            return value
    if _TEXT_PLAN.search(text):
        raise PlanFileError(f"{where}: a text-format plan; run EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) and pass that")
    raise PlanFileError(f"{where}: no EXPLAIN (FORMAT JSON) output found")


def _unquote_pgadmin(text: str) -> str | None:
    """pgAdmin copies a cell as one quoted CSV field: "[ ... ""Plan"" ... ]"."""
    if len(text) > 1 and text[0] == text[-1] == '"' and '""' in text:
        return text[1:-1].replace('""', '"')
    return None


def _unframe(line: str) -> str:
    """One line of psql output without its border and newline marks."""
    line = line.rstrip()
    if line and line[0] in _BORDER:
        line = line[1:]
    if line and line[-1] in _BORDER:
        line = line[:-1]
    return _CONTINUATION.sub("", line)


def _looks_like_explain(value: Any) -> bool:
    first = value[0] if isinstance(value, list) and value else value
    if isinstance(first, list) and first:
        first = first[0]
    return isinstance(first, dict) and "Plan" in first


def plans_to_json(analyses: Iterable[PlanAnalysis]) -> dict[str, Any]:
    """The `--json` document; its keys are stable (docs/report-format.md)."""
    return {"plans": [
        {
            "file": a.file,
            "execution_ms": a.plan.execution_ms,
            "planning_ms": a.plan.planning_ms,
            "nodes": [
                {
                    "path": n.path, "node_type": n.node_type, "relation": n.relation, "index": n.index_name,
                    "inclusive_ms": _ms(n.inclusive_ms), "exclusive_ms": _ms(n.exclusive_ms),
                    "loops": n.actual_loops, "rows": n.actual_rows, "plan_rows": n.plan_rows,
                }
                for n in a.plan.nodes()
            ],
            "findings": [
                {"name": f.name, "severity": f.severity, "node_path": f.node_path, "detail": f.detail}
                for f in a.findings
            ],
        }
        for a in analyses
    ]}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def findings_text(analyses: Iterable[PlanAnalysis]) -> str:
    """The console listing: per plan its figures, then per node the findings (severity, path, advice)."""
    lines: list[str] = []
    for a in analyses:
        p = a.plan
        figures = [f"{sum(1 for _ in p.nodes())} nodes"]
        if p.execution_ms is not None:
            figures.insert(0, f"execution {p.execution_ms:,.3f} ms")
        if p.planning_ms is not None:
            figures.insert(1, f"planning {p.planning_ms:,.3f} ms")
        lines.append(f"{a.file}: {', '.join(figures)}")
        nodes = {n.path: n for n in p.nodes()}
        for path in [n.path for n in p.nodes()]:
            for f in (f for f in a.findings if f.node_path == path):
                node = nodes[path]
                lines.append(f"  {f.severity:<7} {path:<12} {node.label()}")
                lines.append(f"          {f.name}: {f.detail}")
        if not a.findings:
            lines.append("  no findings")
    return "\n".join(lines)


def write_plan_html(analyses: Sequence[PlanAnalysis], path: Path) -> None:
    """The plan trees of the run report, with the findings on their nodes, as one HTML file."""
    from analyzer.report.html import render_plan_html
    from analyzer.report.model import CheckOutcome

    pages = [(a.file, a.plan.raw, [CheckOutcome(f.name, f.passed, f.severity, f.detail, f.node_path)
                                   for f in a.findings]) for a in analyses]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_plan_html(pages), encoding="utf-8")
    except OSError as e:
        raise PlanFileError(f"{path}: cannot write it: {e.strerror or e}") from None
