"""JUnit XML: one test case per query, one failure per failed check, so CI shows them natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from analyzer.report.model import RunReport


def render_junit(report: RunReport) -> str:
    suite = ET.Element("testsuite", name=report.workload)
    failures = errors = 0
    for q in report.queries:
        case = ET.SubElement(
            suite, "testcase", classname=f"pg-analyzer.{report.workload}", name=q.name,
            time=f"{(q.median_ms or 0.0) / 1000:.6f}",
        )
        if q.error is not None:
            errors += 1
            ET.SubElement(case, "error", message=q.error, type="query-error").text = q.error
            continue
        failed = [c for c in q.checks if not c.passed and c.severity == "error"]
        for c in failed:
            ET.SubElement(case, "failure", message=c.detail, type=c.name).text = (
                f"{c.name}: {c.detail}" + (f" (plan node {c.node_path})" if c.node_path else "")
            )
        if failed:
            failures += 1
        notes = [c for c in q.checks if not c.passed and c.severity != "error"]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(f"[{c.severity}] {c.name}: {c.detail}" for c in notes)
    for r in report.regressions:
        case = ET.SubElement(suite, "testcase", classname=f"pg-analyzer.{report.workload}.baseline",
                             name=f"{r.query}:{r.kind}", time="0")
        if not r.accepted:
            failures += 1
            ET.SubElement(case, "failure", message=r.detail, type=f"regression.{r.kind}").text = r.detail
    suite.set("tests", str(len(suite.findall("testcase"))))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{report.duration_s:.3f}")
    root = ET.Element("testsuites", name="pg-analyzer")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
