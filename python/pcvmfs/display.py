"""Readable text and notebook HTML for reports."""

from __future__ import annotations

import html
import shutil
import textwrap
from typing import Any, Mapping

_MARK = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}
_COLOUR = {"ok": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e"}


def report_text(report: Mapping[str, Any], width: int | None = None) -> str:
    """The report as a table for a terminal: status, check, evidence, and
    the remedy under each finding that has one."""
    findings = report["findings"]
    if width is None:
        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    check_width = max((len(f["check"]) for f in findings), default=5)
    indent = " " * (4 + 2 + check_width + 2)
    lines = []
    for f in findings:
        head = f"{_MARK[f['status']]:<4}  {f['check']:<{check_width}}  "
        body = textwrap.wrap(f["evidence"], max(width - len(indent), 30)) or [""]
        lines.append(head + body[0])
        lines.extend(indent + rest for rest in body[1:])
        if f.get("remedy"):
            for i, part in enumerate(textwrap.wrap(f["remedy"], max(width - len(indent) - 3, 30))):
                lines.append(indent + ("-> " if i == 0 else "   ") + part)
    verdict = "ok" if report.get("ok", True) else "failed"
    counts = {s: sum(1 for f in findings if f["status"] == s) for s in ("ok", "warn", "fail")}
    lines.append(f"{verdict}: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail")
    return "\n".join(lines)


def report_html(report: Mapping[str, Any]) -> str:
    """The report as an HTML table for Jupyter."""
    rows = []
    for f in report["findings"]:
        status = f["status"]
        remedy = html.escape(f["remedy"]) if f.get("remedy") else ""
        rows.append(
            "<tr>"
            f'<td style="color:{_COLOUR[status]};font-weight:bold">{html.escape(status)}</td>'
            f"<td><code>{html.escape(f['check'])}</code></td>"
            f"<td>{html.escape(f['evidence'])}</td>"
            f"<td>{remedy}</td>"
            "</tr>"
        )
    verdict = "ok" if report.get("ok", True) else "failed"
    return (
        '<table class="pcvmfs-report">'
        f"<caption>pcvmfs report: {verdict}</caption>"
        "<thead><tr><th>status</th><th>check</th><th>evidence</th><th>remedy</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
