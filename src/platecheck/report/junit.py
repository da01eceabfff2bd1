"""JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters).

The cases are those of ``platecheck.report.cases``, which the pytest plugin
(``pytest --platecheck``) runs too: ``<testcase classname="<env>" name="<target>::<policy>">``
per target-scope policy x rendered target, in a ``<testsuite>`` per environment, and
``<testcase classname="repository" name="<policy>">`` per repository-scope policy. By outcome:

- ``fail``: one ``<failure type="<policy>">`` listing every error-level finding as
  ``file:line: message`` with its fix;
- ``error``: ``<error>`` with each could-not-check error and its ``detail`` (helm's output),
  then the ``<failure>`` of ``fail`` when the case has error-level findings too (the policy
  checked the rest of the target: ``Finding.part_of``);
- ``skip``: every finding waived, ``<skipped type="waived" message="waived: <reason>">``;
- ``off``: the policy is configured off there, ``<skipped type="off" message="<policy> is
  off for <env> in the configuration">``;
- ``pass``: nothing; warnings and info findings go to the case's ``<system-out>``.

Valid against the common ``junit-10.xsd``. Counts are per case: a case is an error, a
failure, skipped, or passed; a case with both an ``<error>`` and a ``<failure>`` counts in
``errors`` and in ``failures`` (as pytest's junitxml counts a test that failed and then errored
in teardown), once in ``tests``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from platecheck.model import Finding, Report
from platecheck.report.cases import Outcome, TestCase, test_cases
from platecheck.report.common import REPOSITORY, environment_order, finding_lines, level_of

# Characters XML 1.0 cannot hold, shown as #xNN instead (as pytest's junitxml does).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"#x{ord(m.group()):02X}", text)


def _headline(findings: list[Finding]) -> str:
    text = finding_lines(findings[0], escape=xml_text)[0]
    return text if len(findings) == 1 else f"{text} (and {len(findings) - 1} more)"


def _entry(finding: Finding, *, label: str | None = None) -> str:
    return "\n".join(finding_lines(finding, label=label, detail=True, escape=xml_text))


def _testcase(parent: ET.Element, case: TestCase) -> None:
    element = ET.SubElement(
        parent, "testcase", {"classname": xml_text(case.suite), "name": xml_text(case.name)}
    )
    out = list(case.findings)
    outcome = case.outcome
    if outcome is Outcome.ERROR:
        node = ET.SubElement(
            element,
            "error",
            {
                "message": xml_text(f"could not check: {_headline(case.errors)}"),
                "type": xml_text(case.errors[0].policy),
            },
        )
        node.text = xml_text("\n".join(_entry(e) for e in case.errors))
    failed = case.failed  # kept beside an error: what the policy checked found them
    if failed:
        node = ET.SubElement(
            element,
            "failure",
            {"message": xml_text(_headline(failed)), "type": xml_text(case.policy)},
        )
        node.text = xml_text("\n".join(_entry(f) for f in failed))
        out = [f for f in out if f not in failed]
    elif outcome in (Outcome.SKIP, Outcome.OFF):
        kind = "waived" if outcome is Outcome.SKIP else "off"
        ET.SubElement(element, "skipped", {"message": xml_text(case.reason), "type": kind})
        out = []
    if out:
        labelled = (
            _entry(f, label="waived" if f.waived is not None else level_of(f).value) for f in out
        )
        ET.SubElement(element, "system-out").text = xml_text("\n".join(labelled))


def render(report: Report) -> str:
    cases = test_cases(report)
    suites: dict[str, list[TestCase]] = {}
    envs = environment_order(report, (c.suite for c in cases if c.suite != REPOSITORY))
    for suite in [*envs, REPOSITORY]:
        members = [c for c in cases if c.suite == suite]
        if members:
            suites[suite] = members

    def totals(members: list[TestCase]) -> dict[str, str]:
        outcomes = [c.outcome for c in members]
        return {
            "tests": str(len(outcomes)),
            "failures": str(sum(1 for c in members if c.failed)),
            "errors": str(outcomes.count(Outcome.ERROR)),
            "skipped": str(outcomes.count(Outcome.SKIP) + outcomes.count(Outcome.OFF)),
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
