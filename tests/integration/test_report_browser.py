"""The HTML report in a real browser: headless Chromium loads the report of a small real run.

It asserts what a reader relies on: no console errors, no network request beyond the file
itself, and the summary, a plan tree and a recommendation card in the rendered DOM. The
screenshot stays under the run's --out folder (a CI artifact). Recommendation cards come
from the real run when its advisor recommended something; the enriched saved report
(tests/fixtures/reports/sample_report.json, real measurements) is loaded too, so a card is
always checked in a browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.report.html import render_html
from analyzer.report.model import report_from_json

from ..chromium import Chromium, find_chromium
from ..conftest import WORKLOADS

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "reports" / "sample_report.json"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    with Chromium(binary) as b:
        yield b


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real run on the embedded server, in-process, as a user would start it."""
    out = tmp_path_factory.mktemp("browser-run")
    code = main(["run", str(WORKLOADS / "project_management.yaml"), "--scale", "0.005", "--out", str(out), "--quiet"])
    assert code in (0, 1)
    assert (out / "report.html").is_file()
    return out


def _load(browser: Chromium, path: Path) -> None:
    browser.events.clear()
    browser.load(path.resolve().as_uri())


def _assert_clean(browser: Chromium, path: Path) -> None:
    assert browser.console_errors() == []
    assert browser.requests() == [path.resolve().as_uri()], "the report requested something beyond itself"


def test_real_run_report_renders_cleanly(browser: Chromium, real_run: Path) -> None:
    html = real_run / "report.html"
    _load(browser, html)
    shot = real_run / "report-screenshot.png"
    browser.screenshot(shot, full_page=True, max_height=6000)
    assert shot.stat().st_size > 10_000
    _assert_clean(browser, html)
    data = json.loads((real_run / "report.json").read_text())
    dom = browser.evaluate("""({
        summaryRows: document.querySelectorAll('#summary table.summary tbody tr').length,
        verdict: document.querySelector('header .verdict').textContent,
        trees: document.querySelectorAll('#queries ul.tree.root > li > details.node').length,
        nodes: document.querySelectorAll('#queries details.node').length,
        treeHeight: document.querySelector('#queries ul.tree.root').getBoundingClientRect().height,
        flagged: document.querySelectorAll('details.node.flagged').length,
        cards: document.querySelectorAll('#recommendations .card.rec').length,
        scatter: document.querySelectorAll('#recommendations svg.scatter').length,
        charts: document.querySelectorAll('svg.latency').length,
    })""")
    assert dom["summaryRows"] == len(data["queries"])
    assert dom["verdict"] == ("PASS" if data["passed"] else "FAIL")
    assert dom["trees"] >= len(data["queries"]) and dom["nodes"] > dom["trees"]
    assert dom["treeHeight"] > 40, "the plan tree is laid out, not collapsed away"
    assert dom["charts"] == len(data["queries"])
    if any(not c["passed"] and c["node_path"] for q in data["queries"] for c in q["checks"]):
        assert dom["flagged"] > 0
    # Honest about the advisor: the real run's cards only when it recommended something.
    assert dom["cards"] == len(data["recommendations"])


def test_recommendation_cards_render_and_copy_buttons_work(browser: Chromium, tmp_path: Path) -> None:
    html = tmp_path / "sample-report.html"
    html.write_text(render_html(report_from_json(json.loads(SAMPLE.read_text()))))
    _load(browser, html)
    _assert_clean(browser, html)
    dom = browser.evaluate("""({
        cards: document.querySelectorAll('#recommendations .card.rec').length,
        chosen: document.querySelectorAll('#recommendations .card.rec.chosen').length,
        ddl: document.querySelector('.card.rec.chosen .ddl code').textContent,
        copyVisible: [...document.querySelectorAll('button.copy[data-copy]')].every(b => !b.hidden && b.offsetWidth > 0),
        dots: document.querySelectorAll('svg.scatter g.dot').length,
        sideBySide: document.querySelectorAll('.plans.sidebyside .plan.after').length,
    })""")
    assert dom["cards"] >= 2 and dom["chosen"] >= 1
    assert dom["ddl"].startswith("CREATE INDEX")
    assert dom["copyVisible"], "JavaScript reveals the copy buttons"
    assert dom["dots"] >= 2 and dom["sideBySide"] >= 1


def test_print_shows_what_the_screen_collapses(browser: Chromium, tmp_path: Path) -> None:
    html = tmp_path / "sample-report.html"
    html.write_text(render_html(report_from_json(json.loads(SAMPLE.read_text()))))
    _load(browser, html)
    visible = "document.querySelector('details.params table').checkVisibility()"
    assert browser.evaluate(visible) is False  # parameter sets are collapsed on screen
    browser.call("Emulation.setEmulatedMedia", session=True, media="print")
    try:
        assert browser.evaluate(visible) is True
    finally:
        browser.call("Emulation.setEmulatedMedia", session=True, media="")
