"""The HTML report and the console summary rendered from a saved report model (no database).

tests/fixtures/reports/sample_report.json is a real scale-0.01 run of the project-management
workload, enriched with index candidates that were really built and measured
(make_sample_report.py beside it regenerates it).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from analyzer.report.charts import ScatterPoint, Series, gain_cost_scatter, latency_chart
from analyzer.report.console import print_summary
from analyzer.report.html import fmt_setting, render_html
from analyzer.report.model import CheckOutcome, Regression, RunReport, report_from_json

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "reports" / "sample_report.json"


@pytest.fixture(scope="module")
def report() -> RunReport:
    return report_from_json(json.loads(SAMPLE.read_text()))


@pytest.fixture(scope="module")
def html(report: RunReport) -> str:
    return render_html(report)


class _Elements(HTMLParser):
    """Every start tag with its attributes, and whether the document nests sanely."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def test_the_fixture_is_a_realistic_report(report: RunReport) -> None:
    assert SAMPLE.stat().st_size < 300_000
    assert len(report.queries) >= 10
    assert any(r.chosen for r in report.recommendations)
    assert any(not r.chosen for r in report.recommendations)
    assert report.advisor is not None and report.advisor.write_overhead_total is not None
    assert any(s.plan_after for r in report.recommendations for s in r.queries)


def test_sections_in_order(html: str) -> None:
    ids = [a.get("id") for tag, a in _elements(html) if tag == "section"]
    assert ids == ["summary", "queries", "recommendations", "seeding", "server"]


def test_summary_states_verdicts_times_write_cost_and_run(report: RunReport, html: str) -> None:
    summary = html.split('id="summary"', 1)[1].split('id="queries"', 1)[0]
    assert "FAIL" in summary and "Queries passing" in summary
    for q in report.queries:
        assert q.name in summary
    assert report.advisor is not None
    assert "Weighted time per query" in summary and "faster" in summary
    assert "Write cost of the set" in summary and "WAL" in summary
    assert f"PostgreSQL {report.server.version}" in summary
    assert report.seeding is not None and f"seed {report.seeding.seed}" in summary
    assert "no_seq_scan" in summary  # a failing check's chip
    assert "with indexes" in summary


def test_every_query_has_sql_params_chart_and_plan_tree(report: RunReport, html: str) -> None:
    elements = _elements(html)
    articles = [a for tag, a in elements if tag == "article"]
    assert len(articles) == len(report.queries)
    assert html.count('<ul class="tree root">') >= len(report.queries)
    assert html.count('class="chart latency"') == len(report.queries)
    assert html.count('<pre class="sql">') == len(report.queries)
    assert "parameter sets</summary>" in html
    assert "SELECT" in html and "\nFROM" in html  # pretty-printed: keywords upper-cased on their own lines


def test_plan_nodes_show_rows_loops_time_and_buffers(html: str) -> None:
    assert re.search(r'class="nrows"[^>]*>[\d,]+ → [\d,]+ rows', html)
    assert re.search(r'class="bar excl" style="width:\d', html)
    assert "buffers " in html and " hit · " in html
    assert "rows removed by filter" in html
    assert "Sort Key" in html


def test_flagged_node_is_highlighted_with_its_explanation(report: RunReport, html: str) -> None:
    q = next(q for q in report.queries if q.name == "user_organizations")
    check = next(c for c in q.checks if c.name == "expect.no_seq_scan" and not c.passed)
    anchor_of_node = re.search(
        r'<details class="node flagged sev-error" open id="(q\d+-user_organizations-p0-[\d_]+)">', html)
    assert anchor_of_node, "the Seq Scan on org_members is drawn as a flagged node"
    node_html = html.split(f'id="{anchor_of_node.group(1)}"', 1)[1].split("</details>", 1)[0]
    assert "Seq Scan on org_members" in node_html
    assert 'class="flag sev-error"' in node_html and check.detail.split(":")[0] in node_html
    assert f'href="#{anchor_of_node.group(1)}"' in html  # the check links to its node


def test_check_of_another_plan_is_not_pinned_on_a_wrong_node(report: RunReport) -> None:
    q = report.queries[0]
    stray = CheckOutcome("builtin.hash_batches", False, "warning", "Hash used 4 batches", node_path="0")
    html = render_html(dataclasses.replace(report, queries=(dataclasses.replace(q, checks=(stray,)),)))
    root = re.search(r'<details class="node([^"]*)" open id="q0-[^"]*-p0-0">', html)
    assert root and "flagged" not in root.group(1)  # the root is a Limit, not a Hash
    assert "Hash used 4 batches" in html  # still listed under the query


def test_plans_before_and_after_side_by_side(html: str) -> None:
    assert 'class="plans sidebyside"' in html
    assert '<div class="plan after">' in html and "<h4>With " in html
    assert 'class="c-after"' in html  # the latency chart's after series is explained


def test_recommendation_cards(report: RunReport, html: str) -> None:
    cards = [a for tag, a in _elements(html) if tag == "div" and "card rec" in (a.get("class") or "")]
    assert len(cards) == len(report.recommendations)
    chosen = next(r for r in report.recommendations if r.chosen)
    card = html.split(f'id="rec-{chosen.name}"', 1)[1].split('<div class="card rec', 1)[0]
    assert f"{chosen.ddl};" in card and 'data-copy="' in card and 'class="copy"' in card
    assert chosen.kind in card and "WAL" in card and "HOT updates lost" in card and "build" in card
    assert chosen.queries[0].query in card and "×" in card
    rejected = next(r for r in report.recommendations if not r.chosen)
    assert rejected.reason.split(":")[0] in html


def test_gain_cost_chart_plots_chosen_and_rejected(report: RunReport, html: str) -> None:
    chart = html.split('class="chart scatter"', 1)[1].split("</svg>", 1)[0]
    measured = [r for r in report.recommendations if r.proven]
    assert chart.count('<g class="dot chosen">') == sum(r.chosen for r in measured)
    assert chart.count('<g class="dot rejected">') == sum(not r.chosen for r in measured)


def test_seeding_section_has_rows_and_column_statistics(report: RunReport, html: str) -> None:
    seeding = html.split('id="seeding"', 1)[1].split('id="server"', 1)[0]
    assert report.seeding is not None
    for t in report.seeding.tables:
        assert f"<b>{t.table}</b>" in seeding
    assert "most common" in seeding and "all distinct" in seeding and "NULL" in seeding


def test_regressions_are_shown_first(report: RunReport) -> None:
    regressed = dataclasses.replace(report, regressions=(
        Regression("task_detail", "plan", "Index Scan became Seq Scan on task_comments"),
        Regression("time_report", "time", "median 0.2 ms became 0.5 ms", accepted=True),
    ))
    html = render_html(regressed)
    summary = html.split('id="summary"', 1)[1].split('id="queries"', 1)[0]
    assert "1 regression" in summary and "Index Scan became Seq Scan on task_comments" in summary
    assert "accepted" in summary and "regressed: plan" in summary


def test_self_contained_no_external_urls(html: str) -> None:
    for tag, attrs in _elements(html):
        for name in ("src", "href", "action", "data", "poster"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
        assert tag not in ("link", "iframe", "object", "embed", "img") or attrs.get("src", "").startswith("data:")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@import" not in html


def test_sql_and_details_are_escaped(report: RunReport) -> None:
    q = report.queries[0]
    evil = "SELECT '<script>alert(1)</script>' AS x, 1 < 2 AS y FROM t WHERE note = '\"&'"
    bad = dataclasses.replace(q, name="q<b>", sql=evil, checks=(
        CheckOutcome("expect.x", False, "error", "<img src=x onerror=alert(1)>"),), params=({"p": "<i>"},))
    html = render_html(dataclasses.replace(report, queries=(bad,)))
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>q" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;i&gt;" in html


def test_report_without_advice_seeding_or_plans_renders(report: RunReport) -> None:
    q = dataclasses.replace(report.queries[0], plan=None, plans_by_params=(), timings_ms=(), median_ms=None,
                            error="timed out after 30s (statement_timeout)")
    bare = dataclasses.replace(report, queries=(q,), recommendations=(), advisor=None, seeding=None)
    html = render_html(bare)
    assert "No recommendations: the advisor did not run" in html
    assert "timed out after 30s" in html and "No seeding step." in html


def test_size_of_a_realistic_report(html: str) -> None:
    assert len(html.encode()) < 400_000


def test_charts_are_plain_svg() -> None:
    svg = latency_chart([Series("before", [1.0, 1.2, 3.0], "#000"), Series("after", [0.1, 0.12], "#0a0")])
    assert svg.startswith("<svg") and svg.count("<circle") == 5 and "µs" in svg
    assert latency_chart([Series("runs", [], "#000")]) == ""
    scatter = gain_cost_scatter([ScatterPoint(1, "a<b", 3.0, 0.1, True), ScatterPoint(2, "c", 1.0, 0.4, False)])
    assert "a&lt;b" in scatter and scatter.count("<circle") == 2
    assert gain_cost_scatter([]) == ""


def test_memory_settings_read_like_people_write_them() -> None:
    assert [fmt_setting(v) for v in ("655368kB", "4096kB", "5242888kB", "on", "8kB")] == [
        "640 MB", "4 MB", "5 GB", "on", "8 kB"]


@pytest.mark.parametrize("width", [80, 140])
def test_console_summary_mirrors_the_html_summary(report: RunReport, width: int) -> None:
    out = io.StringIO()
    print_summary(report, Console(file=out, width=width, force_terminal=False, color_system=None))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    assert f"PostgreSQL {report.server.version}" in text and "seed 42" in text
    for q in report.queries:
        assert q.name in text
    assert "no_seq_scan" in text
    assert report.advisor is not None
    assert "weighted time" in text and "→" in text and "WAL" in text and "recommended indexes" in text
    assert "FAIL" in text


def test_advise_words_its_summary_around_the_advice(report: RunReport) -> None:
    out = io.StringIO()
    print_summary(report, Console(file=out, width=160, force_terminal=False, color_system=None), gate=False)
    text = out.getvalue()
    chosen = sum(1 for r in report.recommendations if r.chosen)
    assert f"{chosen} indexes recommended: weighted time 4.97 → 0.69 ms" in text
    assert "queries failed a check" not in text and "advise exits 0" in text
    assert "next: apply indexes.sql" in text


def test_wide_console_tables_use_the_width_and_cut_no_figure(report: RunReport) -> None:
    out = io.StringIO()
    print_summary(report, Console(file=out, width=160, force_terminal=False, color_system=None))
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines() if "│" in line) > 80


def test_without_seeding_no_header_claims_a_seed(report: RunReport) -> None:
    import dataclasses

    from analyzer.report.markdown import render_markdown
    from analyzer.report.model import SeedSummary

    skipped = SeedSummary(scale=1.0, seed=42, seconds=0.0, skipped="the workload sets seed: false")
    unseeded = dataclasses.replace(report, seeding=skipped)
    out = io.StringIO()
    print_summary(unseeded, Console(file=out, width=160, force_terminal=False, color_system=None))
    for text in (out.getvalue(), render_markdown(unseeded), render_html(unseeded).split("<main>")[0]):
        assert "seed 42" not in text
        assert "not seeded" in text


def test_summary_md_opens_with_the_next_step(report: RunReport) -> None:
    from analyzer.report.markdown import render_markdown

    lines = render_markdown(report).splitlines()
    assert lines[2].startswith("**Next:** apply `indexes.sql` (6 indexes, 1.1 MB, +20% WAL), then re-run")
    assert lines[4].startswith("**Costs most after the advice:** `task_detail`")


def test_the_costliest_query_left_says_why_a_rejected_index_did_not_fix_it(report: RunReport) -> None:
    import dataclasses

    from analyzer.report.nextstep import next_step

    # without its chosen index, task_detail's best help is a rejected candidate: the reason is that one's
    recs = tuple(dataclasses.replace(r, chosen=False, reason="+90% WAL is too much for 1.6x")
                 if any(s.query == "task_detail" for s in r.queries) and r.chosen else r
                 for r in report.recommendations)
    step = next_step(dataclasses.replace(report, recommendations=recs, advisor=None))
    assert step.left is not None and step.left.name == "task_detail"
    assert step.left.why.startswith("rejected for its cost:") and "+90% WAL is too much" in step.left.why
