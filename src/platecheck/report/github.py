"""GitHub Actions workflow commands, so findings show on the changed line of a pull request.

https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands

One command per finding: ``::error file=<path>,line=<n>,title=<policy-id>::<message>``
(``::warning`` for warnings, ``::notice`` for info). Could-not-check errors come first, as
``::error`` with ``<target>: could not check: <message>``. Waived findings are left out. A
plain summary line ends the output.
"""

from __future__ import annotations

from platecheck.model import Finding, Level, Report
from platecheck.report.common import (
    annotation_text,
    count,
    finding_order,
    level_of,
    printable,
    shown,
    summary_line,
)

_COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def escape_data(text: str) -> str:
    # as @actions/core's command.ts escapeData; other control characters made visible
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    # as @actions/core's command.ts escapeProperty
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str], message: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(finding: Finding, *, could_not_check: bool = False) -> str:
    properties: dict[str, str] = {}
    if finding.file is not None:
        properties["file"] = finding.file
        if finding.line:
            properties["line"] = str(finding.line)
    properties["title"] = finding.policy
    name = "error" if could_not_check else _COMMANDS[level_of(finding)]
    return command(name, properties, annotation_text(finding, could_not_check=could_not_check))


def render(report: Report) -> str:
    lines = [
        annotation(e, could_not_check=True) for e in sorted(shown(report.errors), key=finding_order)
    ]
    lines += [
        annotation(f) for f in sorted(shown(report.findings), key=finding_order) if f.waived is None
    ]
    lines.append(summary_line(count(report)))
    return "\n".join(lines) + "\n"
