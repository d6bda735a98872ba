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


_BOXES = """(() => {
    const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const svg = document.querySelector('#recommendations svg.scatter');
    return {
        dots: [...svg.querySelectorAll('g.dot circle')].map(box),
        numbers: [...svg.querySelectorAll('g.dot text')].map(box),
        ticks: [...svg.querySelectorAll('text.axis')].map(box),
    };
})()"""


def _intersect(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crowded_report() -> str:
    """The sample report with 22 candidates piled on one another, one at 10000x, one not measured."""
    import dataclasses

    from analyzer.report.model import Recommendation, WriteOverhead

    base = report_from_json(json.loads(SAMPLE.read_text()))
    recs = [
        Recommendation(
            name=f"pga_tasks_project_id_status_{i:02d}", ddl=f"CREATE INDEX pga_tasks_project_id_status_{i:02d} ON "
            "tasks (project_id, status)", table="tasks", kind="btree", chosen=i % 3 == 0, reason="measured",
            proven=True, weighted_speedup=1.02 + 0.004 * i,
            write_overhead=WriteOverhead(wal_bytes=1000, wal_ratio=0.05 + 0.002 * i, buffers_dirtied=1,
                                         time_ms_median=1.0, time_ratio=0.01, repetitions=1),
        )
        for i in range(1, 21)
    ]
    recs.append(dataclasses.replace(recs[0], name="pga_tasks_title_fts_huge", weighted_speedup=10000.0))
    recs.append(dataclasses.replace(recs[1], name="pga_tasks_unmeasured", write_overhead=None))
    return render_html(dataclasses.replace(base, recommendations=tuple(recs)))


def test_scatter_labels_never_overlap_and_names_break_between_words(browser: Chromium, tmp_path: Path) -> None:
    html = tmp_path / "crowded.html"
    html.write_text(_crowded_report())
    _load(browser, html)
    _assert_clean(browser, html)
    boxes = browser.evaluate(_BOXES)
    dots, ticks = boxes["dots"], boxes["ticks"]
    assert len(dots) == 22
    for i, a in enumerate(dots):
        for b in dots[i + 1:]:
            assert not _intersect(a, b), f"two numbered dots overlap: {a} {b}"
        for t in ticks:
            assert not _intersect(a, t), f"a dot covers an axis label: {a} {t}"
    for i, a in enumerate(ticks):  # axis labels ("n/m" beside "+0%") stay apart too
        for b in ticks[i + 1:]:
            assert not _intersect(a, b), f"two axis labels overlap: {a} {b}"
    for number, dot in zip(boxes["numbers"], dots, strict=True):  # each number stays inside its own dot
        assert dot[0] <= number[0] and number[2] <= dot[2]
    text = browser.evaluate("document.body.innerText")
    assert "1 paired run of the write mix" in text and "1 paired runs" not in text
    # index names wrap after an underscore, never inside a word
    names = browser.evaluate("""[...document.querySelectorAll('table.candidates td.iname a')].map(a =>
        [a.textContent, a.querySelectorAll('wbr').length, getComputedStyle(a.parentElement).overflowWrap])""")
    assert len(names) == 22
    for name, breaks, wrap in names:
        assert breaks == name.count("_") and wrap == "normal", (name, breaks, wrap)


def test_the_report_opens_with_the_next_step(browser: Chromium, tmp_path: Path) -> None:
    html = tmp_path / "sample-report.html"
    html.write_text(render_html(report_from_json(json.loads(SAMPLE.read_text()))))
    _load(browser, html)
    _assert_clean(browser, html)
    dom = browser.evaluate("""(() => {
        const step = document.querySelector('#next-step');
        const summary = document.querySelector('#summary');
        return {
            first: document.querySelector('main').firstElementChild.id,
            visible: step.checkVisibility() && step.getBoundingClientRect().height > 20,
            above: step.getBoundingClientRect().bottom <= summary.getBoundingClientRect().top,
            action: step.querySelector('.action').innerText,
            code: step.querySelector('.action code').textContent,
            left: step.querySelector('.left').innerText,
            link: step.querySelector('.left a').getAttribute('href'),
        };
    })()""")
    assert dom["first"] == "next-step" and dom["visible"] and dom["above"]
    assert dom["code"] == "indexes.sql"
    assert dom["action"].startswith("Next: apply indexes.sql (6 indexes, 1.1 MB, +20% WAL), then re-run")
    assert dom["left"].startswith("Costs most after the advice: task_detail")
    assert browser.evaluate(f"!!document.querySelector('{dom['link']}')")
