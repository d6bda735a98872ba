"""Same data, same seed: the same advice on a quiet machine and with two CPU burners.

The project-management workload at a small scale is seeded into two fresh databases and run
twice, the second time with two busy-looping processes (bounded in time, killed by pid)
competing for the cores. The chosen set must be the same: the advisor decides on buffers
touched, which do not drift with load. Also checked on the same reports: parameter sets are
drawn jointly (a two-column lookup finds rows in every set), labelled heavy/typical/rare, and
every declared set has its plan. Nothing here asserts a timing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from tests.burners import cpu_burners
from tests.conftest import WORKLOADS, _database_on

SCALE = "0.02"


def _run(dsn: str, out: Path) -> dict[str, Any]:
    code = main(["run", str(WORKLOADS / "project_management.yaml"), "--dsn", dsn, "--allow-ddl", "--scale", SCALE,
                 "--out", str(out), "--quiet"])
    assert code in (0, 1)  # 1: some declared expectations fail, which is the point of the workload
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


@pytest.fixture(scope="module")
def quiet_and_loaded(embedded_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("stability")
    with _database_on(embedded_dsn) as first, _database_on(embedded_dsn) as second:
        quiet = _run(first, tmp / "quiet")
        with cpu_burners(2, seconds=600):
            loaded = _run(second, tmp / "loaded")
        quiet["_html"] = (tmp / "quiet" / "report.html").read_text()
        yield quiet, loaded


def _chosen(report: dict[str, Any]) -> list[str]:
    return sorted(r["ddl"] for r in report["recommendations"] if r["chosen"])


def test_the_chosen_set_is_the_same_quiet_and_loaded(quiet_and_loaded: tuple[dict[str, Any], dict[str, Any]]) -> None:
    quiet, loaded = quiet_and_loaded
    assert _chosen(quiet), "the workload's naive schema should get indexes"
    assert _chosen(quiet) == _chosen(loaded)
    assert quiet["advisor"]["weighted_buffers_after"] == pytest.approx(loaded["advisor"]["weighted_buffers_after"],
                                                                       rel=0.05)


def test_a_two_column_lookup_finds_rows_in_every_parameter_set(
    quiet_and_loaded: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    query = next(q for q in quiet_and_loaded[0]["queries"] if q["name"] == "project_tasks_by_assignee")
    assert len(query["rows_by_params"]) == 5
    assert all(rows and rows > 0 for rows in query["rows_by_params"]), query["params"]


def test_every_declared_set_is_measured_and_labelled(quiet_and_loaded: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for q in quiet_and_loaded[0]["queries"]:
        assert len(q["plans_by_params"]) == len(q["params"]) == len(q["param_labels"]), q["name"]
    by_status = next(q for q in quiet_and_loaded[0]["queries"] if q["name"] == "project_tasks_by_status")
    assert by_status["param_labels"] == ["heavy", "typical", "typical", "typical", "rare"]
    html = quiet_and_loaded[0]["_html"]
    assert 'class="chip set-heavy"' in html and 'class="chip set-rare"' in html


def test_before_and_after_plans_are_of_the_same_parameter_set(
    quiet_and_loaded: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    report = quiet_and_loaded[0]
    labels = {q["name"]: q["param_labels"] for q in report["queries"]}
    helped = [q for q in report["advisor"]["queries"] if q["uses_index"]]
    assert helped
    for q in helped:
        assert q["plan_before"] and q["plan_after"] and q["param_set"] is not None, q["query"]
        assert q["param_label"] == labels[q["query"]][q["param_set"]]
