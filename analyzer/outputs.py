"""Write a run's report files: report.json always, and the renderings beside it."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from analyzer.report.model import RunReport, report_to_json


def default_out_dir(workload_name: str, base: Path = Path("reports")) -> Path:
    """reports/<workload>-<timestamp>/, a new folder per run."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return base / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', workload_name)}-{stamp}"


def write_outputs(report: RunReport, out_dir: Path) -> list[Path]:
    """report.json, report.html, summary.md and junit.xml in `out_dir` (created if needed)."""
    from analyzer.advisor.sqlfile import render_indexes_down_sql, render_indexes_sql
    from analyzer.report.html import render_html
    from analyzer.report.junit import render_junit
    from analyzer.report.markdown import render_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    path = out_dir / "report.json"
    path.write_text(json.dumps(report_to_json(report), indent=1, default=str) + "\n", encoding="utf-8")
    written.append(path)
    for name, render in (("report.html", render_html), ("summary.md", render_markdown), ("junit.xml", render_junit)):
        target = out_dir / name
        target.write_text(render(report), encoding="utf-8")
        written.append(target)
    if report.advisor is not None or report.recommendations:
        for name, render_sql in (("indexes.sql", render_indexes_sql), ("indexes.down.sql", render_indexes_down_sql)):
            target = out_dir / name
            target.write_text(render_sql(report.recommendations, report.workload), encoding="utf-8")
            written.append(target)
    return written
