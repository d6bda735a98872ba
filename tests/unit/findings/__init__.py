"""One test module per built-in finding, on public EXPLAIN plans (tests/fixtures/external/) and ours."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.checks import CheckResult, CheckThresholds, run_builtin_checks
from analyzer.plan import ExplainResult, parse_explain

EXTERNAL = Path(__file__).resolve().parents[2] / "fixtures" / "external"


def external(name: str) -> ExplainResult:
    return parse_explain(json.loads((EXTERNAL / name).read_text()))


def findings(plan: ExplainResult, name: str, **thresholds: float) -> list[CheckResult]:
    """The findings called `builtin.<name>` on the plan, with default or given thresholds."""
    t = CheckThresholds(**thresholds)  # type: ignore[arg-type]
    return [f for f in run_builtin_checks(plan, t, {}) if f.name == f"builtin.{name}"]


def node(plan: ExplainResult, path: str | None) -> str:
    """The node type at a path, to assert what a finding points at."""
    return next(n.node_type for n in plan.nodes() if n.path == path)
