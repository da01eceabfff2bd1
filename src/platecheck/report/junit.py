"""JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters).

One ``<testsuite>`` per environment, plus ``repository`` for findings outside any
environment. One ``<testcase classname="<env>" name="<target>::<policy>">`` per policy x
target: a case passes when its policy found nothing at error level for that target.

- error-level findings: one ``<failure type="<policy>">`` listing every one as
  ``file:line: message`` with its fix;
- warnings and info findings: the case passes, the findings go to its ``<system-out>``;
- every finding of the case waived: ``<skipped message="waived: <reason>">``;
- could-not-check errors: ``<error>`` on every case of the target they stopped (a target
  that could not be rendered could not be checked by any policy), or on a case of their own
  when they belong to no known target.

Valid against the common ``junit-10.xsd``. Counts are per case: a case is an error, a
failure, skipped, or passed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from platecheck.model import Finding, Level, Report
from platecheck.report.common import (
    REPOSITORY,
    environment_of,
    environment_order,
    finding_order,
    level_of,
    shown,
)
from platecheck.report.rules import rules_for

# Characters XML 1.0 cannot hold, shown as #xNN instead (as pytest's junitxml does).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"#x{ord(m.group()):02X}", text)


@dataclass
class _Case:
    suite: str
    name: str
    policy: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.waived is None and level_of(f) is Level.ERROR]

    @property
    def skipped(self) -> bool:
        return bool(self.findings) and all(f.waived is not None for f in self.findings)

    @property
    def outcome(self) -> str:
        if self.errors:
            return "error"
        if self.failed:
            return "failure"
        return "skipped" if self.skipped else "passed"


def _headline(findings: list[Finding]) -> str:
    first = findings[0]
    text = f"{first.location}: {first.message.splitlines()[0] if first.message else ''}"
    return text if len(findings) == 1 else f"{text} (and {len(findings) - 1} more)"


def _entry(finding: Finding, *, label: str | None = None) -> str:
    prefix = f"{label} " if label else ""
    lines = [f"{finding.location}: {prefix}{finding.message}"]
    if finding.waived is not None:
        lines.append(f"  waived: {finding.waived}")
    elif finding.remediation:
        lines.append(f"  fix: {finding.remediation}")
    return "\n".join(lines)


def _cases(report: Report) -> list[_Case]:
    targets = {t.id: t for t in report.targets}
    scope = {rule.id: rule.scope for rule in rules_for(report)}
    cases: dict[tuple[str, str], _Case] = {}
    for target in report.targets:
        for policy in report.policies:
            key = (target.environment, f"{target.id}::{policy}")
            cases.setdefault(key, _Case(*key, policy))
    for policy in report.policies:
        if scope.get(policy) == "repo":
            cases.setdefault((REPOSITORY, policy), _Case(REPOSITORY, policy, policy))

    def case_of(finding: Finding) -> _Case:
        suite = environment_of(finding, targets) or REPOSITORY
        owner = finding.target or (None if suite == REPOSITORY else suite)
        key = (suite, f"{owner}::{finding.policy}" if owner else finding.policy)
        return cases.setdefault(key, _Case(*key, finding.policy))

    # cases of the planned grid keep report order; cases named only by findings follow
    for finding in sorted(shown(report.findings), key=finding_order):
        case_of(finding).findings.append(finding)
    for error in sorted(shown(report.errors), key=finding_order):
        stopped = [
            case
            for (suite, name), case in cases.items()
            if error.target in targets and name.startswith(f"{error.target}::")
        ]
        for case in stopped or [case_of(error)]:
            case.errors.append(error)
    return list(cases.values())


def _testcase(parent: ET.Element, case: _Case) -> None:
    element = ET.SubElement(
        parent, "testcase", {"classname": xml_text(case.suite), "name": xml_text(case.name)}
    )
    out = list(case.findings)
    outcome = case.outcome
    if outcome == "error":
        node = ET.SubElement(
            element,
            "error",
            {
                "message": xml_text(f"could not check: {_headline(case.errors)}"),
                "type": xml_text(case.errors[0].policy),
            },
        )
        node.text = xml_text("\n".join(_entry(e) for e in case.errors))
    elif outcome == "failure":
        failed = case.failed
        node = ET.SubElement(
            element,
            "failure",
            {"message": xml_text(_headline(failed)), "type": xml_text(case.policy)},
        )
        node.text = xml_text("\n".join(_entry(f) for f in failed))
        out = [f for f in out if f not in failed]
    elif outcome == "skipped":
        reasons = dict.fromkeys(f.waived or "" for f in case.findings)
        ET.SubElement(
            element,
            "skipped",
            {"message": xml_text("waived: " + "; ".join(reasons)), "type": "waived"},
        )
        out = []
    if out:
        labelled = (
            _entry(f, label="waived" if f.waived is not None else level_of(f).value) for f in out
        )
        ET.SubElement(element, "system-out").text = xml_text("\n".join(labelled))


def render(report: Report) -> str:
    cases = _cases(report)
    suites: dict[str, list[_Case]] = {}
    envs = environment_order(report, (c.suite for c in cases if c.suite != REPOSITORY))
    for suite in [*envs, REPOSITORY]:
        members = [c for c in cases if c.suite == suite]
        if members:
            suites[suite] = members

    def totals(members: list[_Case]) -> dict[str, str]:
        outcomes = [c.outcome for c in members]
        return {
            "tests": str(len(outcomes)),
            "failures": str(outcomes.count("failure")),
            "errors": str(outcomes.count("error")),
            "skipped": str(outcomes.count("skipped")),
        }

    all_totals = totals(cases)
    del all_totals["skipped"]  # not an attribute of <testsuites> in junit-10.xsd
    root = ET.Element("testsuites", {"name": "platecheck", **all_totals})
    for name, members in suites.items():
        element = ET.SubElement(root, "testsuite", {"name": xml_text(name), **totals(members)})
        for case in members:
            _testcase(element, case)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
