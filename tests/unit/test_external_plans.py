"""Every public plan of the collection (../shared/external/plans, manifest.json) parses, and the
figures hold together: exclusive times within their inclusive time, their sum within the execution.

The collection lives beside the repository; without it these tests are skipped (the cases the
findings tests rely on are copied into tests/fixtures/external/).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from analyzer.checks import CheckThresholds, run_builtin_checks
from analyzer.plan import parse_explain, work_shape
from analyzer.planfile import PlanFileError, load_plans

COLLECTION = Path(os.environ.get("PG_ANALYZER_EXTERNAL_PLANS",
                                 Path(__file__).resolve().parents[3] / "shared" / "external" / "plans"))


def _manifest() -> list[dict[str, Any]]:
    path = COLLECTION / "manifest.json"
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = json.loads(path.read_text())
    return entries


ENTRIES = _manifest()
pytestmark = pytest.mark.skipif(not ENTRIES, reason=f"no plan collection at {COLLECTION}")


def _json(entry: dict[str, Any]) -> Any:
    try:
        return json.loads((COLLECTION / entry["file"]).read_text(errors="replace"))
    except ValueError:
        return None


JSON_ENTRIES = [e for e in ENTRIES if _json(e) is not None]


@pytest.mark.parametrize("entry", JSON_ENTRIES, ids=lambda e: str(e["file"]))
def test_every_json_plan_parses_and_its_times_add_up(entry: dict[str, Any]) -> None:
    plan = parse_explain(_json(entry))
    nodes = list(plan.nodes())
    assert len({n.path for n in nodes}) == len(nodes)
    for n in nodes:
        if n.exclusive_ms is not None:
            assert 0 <= n.exclusive_ms <= (n.inclusive_ms or 0.0) + 1e-9, n.path
    if plan.execution_ms is not None:
        assert sum(n.exclusive_ms or 0.0 for n in nodes) <= plan.execution_ms * 1.01
    run_builtin_checks(plan, CheckThresholds(), {})


def test_the_collection_is_the_one_described() -> None:
    assert len(JSON_ENTRIES) >= 141


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e["file"]))
def test_every_file_reads_as_plans_or_one_clear_error(entry: dict[str, Any]) -> None:
    path = COLLECTION / entry["file"]
    try:
        plans = load_plans(path.read_text(errors="replace"), str(path))
    except PlanFileError as e:
        assert "\n" not in str(e) and str(path) in str(e)
        assert entry["source"] not in ("pev2-psql-frames",) and _json(entry) is None
        return
    assert plans


def test_psql_framed_plans_read_like_their_json() -> None:
    framed = [e for e in ENTRIES if e["source"] == "pev2-psql-frames"]
    assert len(framed) == 15
    shapes = {e["file"]: [n.node_type for n in load_plans((COLLECTION / e["file"]).read_text(), "x")[0].nodes()]
              for e in framed}
    assert all(s and s[0] == "Nested Loop" for s in shapes.values()), shapes


# keys EXPLAIN ANALYZE adds to a plan, or estimates that vary with the statistics: not part of its shape
MEASURED = ("Actual", "Shared ", "Local ", "Temp ", "I/O ", "Rows Removed", "Heap Fetches", "Exact Heap", "Lossy Heap",
            "Workers Launched", "Sort Method", "Sort Space", "Peak Memory", "Hash Buckets", "Original Hash",
            "Hash Batches", "WAL ", "HashAgg Batches", "Disk Usage", "Full-sort Groups", "Pre-sorted Groups",
            "Cache Hits", "Cache Misses", "Cache Evictions", "Cache Overflows", "Startup Cost", "Total Cost", "Plan Rows", "Plan Width", "Average Sort Space")


def _planned_only(node: Any) -> Any:
    if isinstance(node, list):
        return [_planned_only(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {k: _planned_only(v) for k, v in node.items()
            if k != "Workers" and not any(k.startswith(m) for m in MEASURED)
            and k not in ("Execution Time", "Planning Time", "Planning", "Triggers", "JIT")}


def _with_first_index_renamed(node: Any) -> bool:
    """Renames the first index scan's index in place; False when the plan has none."""
    if isinstance(node, list):
        return any(_with_first_index_renamed(n) for n in node)
    if not isinstance(node, dict):
        return False
    if "Index Name" in node:
        node["Index Name"] = node["Index Name"] + "_other"
        return True
    return any(_with_first_index_renamed(v) for k, v in node.items() if k in ("Plan", "Plans"))


@pytest.mark.parametrize("entry", JSON_ENTRIES, ids=lambda e: str(e["file"]))
def test_a_plans_shape_ignores_what_a_run_measured_and_sees_another_index(entry: dict[str, Any]) -> None:
    """The advisor keeps a parameter set's measurement when its plan with a candidate has the shape of the plan
    measured before: the shape must not depend on EXPLAIN ANALYZE's figures, and must see a different index."""
    raw = _json(entry)
    assert work_shape(raw) == work_shape(_planned_only(raw))
    other = copy.deepcopy(raw)
    if _with_first_index_renamed(other):
        assert work_shape(other) != work_shape(raw)
