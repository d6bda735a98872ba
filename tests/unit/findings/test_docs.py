"""docs/findings.md is generated from the rules and must be current."""

from __future__ import annotations

from pathlib import Path

from analyzer.findings import FINDINGS, findings_markdown

DOCS = Path(__file__).resolve().parents[3] / "docs" / "findings.md"


def test_the_findings_page_is_current() -> None:
    assert DOCS.read_text() == findings_markdown(), "run: python -m analyzer.findings > docs/findings.md"


def test_every_rule_has_metadata_and_both_paragraphs() -> None:
    names = [r.name for r in FINDINGS]
    assert len(names) == len(set(names))
    for rule in FINDINGS:
        doc = type(rule).__doc__ or ""
        assert rule.severity and rule.reads and doc.count("\n\n") >= 1, rule.name
