"""Print docs/findings.md: `python -m analyzer.findings > docs/findings.md`."""

from __future__ import annotations

from analyzer.findings import findings_markdown

print(findings_markdown(), end="")
