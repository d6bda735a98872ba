"""JUnit XML: one test case per query, one failure per failed check or regression, so CI shows them natively.

The shape follows the Jenkins/Ant JUnit schema (tests/fixtures/junit.xsd validates it): a
`testsuites` root with one `testsuite` per run, `failure` elements for failed checks of severity
error and for unaccepted baseline regressions, `error` for a query that could not be measured,
and warnings, accepted regressions and notes in `system-out`.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET

from analyzer.report.model import CheckOutcome, Regression, RunReport


def render_junit(report: RunReport) -> str:
    suite = ET.Element(
        "testsuite", name=report.workload, timestamp=report.started_at.split("+")[0],
        hostname=_hostname(), time=f"{report.duration_s:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("server", f"PostgreSQL {report.server.version} ({report.server.target})"),
                        ("run_id", report.run_id), ("workload_path", report.workload_path)):
        ET.SubElement(props, "property", name=name, value=value)
    classname = f"pg-analyzer.{report.workload}"
    regressions: dict[str, list[Regression]] = {}
    for r in report.regressions:
        regressions.setdefault(r.query, []).append(r)
    failures = errors = 0
    for q in report.queries:
        case = ET.SubElement(suite, "testcase", classname=classname, name=q.name, time=f"{(q.median_ms or 0.0) / 1000:.6f}")
        if q.error is not None:
            errors += 1
            ET.SubElement(case, "error", message=_one_line(q.error), type="query-error").text = q.error
            continue
        failed = [c for c in q.checks if not c.passed and c.severity == "error"]
        for c in failed:
            ET.SubElement(case, "failure", message=_one_line(c.detail), type=c.name).text = _check_text(c)
        own = regressions.pop(q.name, [])
        for r in own:
            if not r.accepted:
                ET.SubElement(case, "failure", message=_one_line(r.detail), type=f"regression.{r.kind}").text = (
                    f"regression against the baseline ({r.kind}): {r.detail}")
        if failed or any(not r.accepted for r in own):
            failures += 1
        notes = [f"[{c.severity}] {_check_text(c)}" for c in q.checks if not c.passed and c.severity != "error"]
        notes += [f"[accepted regression] {r.kind}: {r.detail}" for r in own if r.accepted]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    for name, gone in regressions.items():  # queries of the baseline that this run does not have
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        for r in gone:
            if r.accepted:
                ET.SubElement(case, "system-out").text = f"[accepted regression] {r.kind}: {r.detail}"
            else:
                ET.SubElement(case, "failure", message=_one_line(r.detail), type=f"regression.{r.kind}").text = r.detail
        if any(not r.accepted for r in gone):
            failures += 1
    tests = len(suite.findall("testcase"))
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    if report.notes:
        ET.SubElement(suite, "system-out").text = "\n".join(report.notes)
    root = ET.Element("testsuites", name="pg-analyzer", tests=str(tests), failures=str(failures),
                      errors=str(errors), time=f"{report.duration_s:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _check_text(c: CheckOutcome) -> str:
    return f"{c.name}: {c.detail}" + (f" (plan node {c.node_path})" if c.node_path else "")


def _one_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


def _hostname() -> str:
    try:
        return socket.gethostname() or "localhost"
    except OSError:
        return "localhost"
