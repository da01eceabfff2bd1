"""JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters).

The cases are those of the pytest plugin (``pytest --platecheck``):

- one ``<testcase classname="<env>" name="<target>::<policy>">`` per target-scope policy x
  rendered target, in a ``<testsuite>`` per environment. A target platecheck does not render
  (a chart from a Helm repository) has no such cases: nothing checked it, and its
  ``not-rendered`` finding says so in the repository suite;
- one ``<testcase classname="repository" name="<policy>">`` per repository-scope policy
  (and waiver policy), in the ``repository`` suite, holding all of that policy's findings
  whatever target they name.

A case passes when its policy found nothing at error level there:

- error-level findings: one ``<failure type="<policy>">`` listing every one as
  ``file:line: message`` with its fix;
- warnings and info findings: the case passes, the findings go to its ``<system-out>``;
- every finding of the case waived: ``<skipped message="waived: <reason>">``;
- could-not-check errors: ``<error>`` on every case of the rendered target they stopped (a
  target that could not be rendered could not be checked by any policy), else on a case of
  their own in the repository suite; the body carries each error's ``detail`` (helm's output).

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
    environment_order,
    finding_lines,
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
    text = finding_lines(findings[0], escape=xml_text)[0]
    return text if len(findings) == 1 else f"{text} (and {len(findings) - 1} more)"


def _entry(finding: Finding, *, label: str | None = None) -> str:
    return "\n".join(finding_lines(finding, label=label, detail=True, escape=xml_text))


def _cases(report: Report) -> list[_Case]:
    """The cases in report order: each rendered target's, then the repository's."""
    scope = {rule.id: rule.scope for rule in rules_for(report)}  # every id the report names
    target_scope = [p for p in report.policies if scope[p] == "target"]
    checked = {t.id: t for t in report.targets if t.rendered_here}
    cases: dict[tuple[str, str], _Case] = {}
    for target in checked.values():
        for policy in target_scope:
            key = (target.environment, f"{target.id}::{policy}")
            cases[key] = _Case(*key, policy)
    for policy in report.policies:
        if policy not in target_scope:
            cases[(REPOSITORY, policy)] = _Case(REPOSITORY, policy, policy)

    def case(suite: str, name: str, policy: str) -> _Case:
        return cases.setdefault((suite, name), _Case(suite, name, policy))

    for finding in sorted(shown(report.findings), key=finding_order):
        owner = checked.get(finding.target or "")
        if owner is not None and scope[finding.policy] == "target":
            name = f"{owner.id}::{finding.policy}"
            case(owner.environment, name, finding.policy).findings.append(finding)
        else:
            case(REPOSITORY, finding.policy, finding.policy).findings.append(finding)
    for error in sorted(shown(report.errors), key=finding_order):
        prefix = f"{error.target}::" if error.target in checked else None
        stopped = [
            c
            for c in cases.values()
            if prefix and c.suite != REPOSITORY and c.name.startswith(prefix)
        ]
        for stopped_case in stopped or [case(REPOSITORY, error.policy, error.policy)]:
            stopped_case.errors.append(error)
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
