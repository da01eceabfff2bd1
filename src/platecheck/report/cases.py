"""The test cases of a Report: what JUnit, SARIF and the pytest plugin all count.

- one case per target-scope policy x rendered target, in the suite of the target's
  environment (a target platecheck does not render has none: nothing checked it, and its
  ``not-rendered`` finding says so in the repository suite);
- one case per repository-scope policy (and waiver policy) in the ``repository`` suite,
  holding all of that policy's findings whatever target they name; a finding of a target-scope
  policy about a target that was not rendered goes to a repository case of that policy;
- could-not-check errors: on every case of the rendered target they stopped, else on a
  repository case named by the error's id (``could-not-check``); an error that stopped one
  policy alone on a target (``Finding.part_of``: a part of the target it could not check, or
  the policy failing there) is on that policy's case of the target only.

Each case has one outcome: ``error`` (could not check), ``fail`` (error-level findings not
waived), ``off`` (the policy is configured off there: skipped, with the reason), ``skip``
(every finding waived: skipped, with the waivers' reasons) or ``pass`` (nothing at error
level; warnings and info findings ride along). The cases depend only on the targets and the
policies that ran (never on findings), plus the repository cases findings or errors add.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from platecheck.model import Finding, Level, PolicyInfo, RenderTarget, Report
from platecheck.report.common import REPOSITORY, finding_order, level_of, shown
from platecheck.report.rules import rules_for


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"  # every finding waived
    OFF = "off"  # the policy is configured off here


@dataclass
class TestCase:
    """One policy on one rendered target, or one policy on the whole repository."""

    __test__ = False  # not a pytest test class, whatever its name says

    suite: str  # the target's environment, or ``repository``
    collector: str  # the target id, or ``repository``
    policy: str
    off: str | None = None  # why the policy did not run here: configured off
    location: tuple[str | None, int | None] = (None, None)  # the Application (or Chart.yaml)
    findings: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)

    @property
    def name(self) -> str:
        """``<target>::<policy>``, or ``<policy>`` in the repository suite."""
        return self.policy if self.collector == REPOSITORY else f"{self.collector}::{self.policy}"

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.waived is None and level_of(f) is Level.ERROR]

    @property
    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.waived is not None]

    @property
    def outcome(self) -> Outcome:
        if self.errors:
            return Outcome.ERROR
        if self.failed:
            return Outcome.FAIL
        if self.off is not None and not self.findings:
            return Outcome.OFF
        if self.findings and len(self.waived) == len(self.findings):
            return Outcome.SKIP
        return Outcome.PASS

    @property
    def reason(self) -> str:
        """Why the case is skipped (``off`` or ``skip``), else empty."""
        outcome = self.outcome
        if outcome is Outcome.OFF:
            return self.off or ""
        if outcome is Outcome.SKIP:
            return "waived: " + "; ".join(dict.fromkeys(f.waived or "" for f in self.findings))
        return ""


def off_reason(policy: PolicyInfo, environment: str | None) -> str | None:
    """``<policy> is off[ for <env>] in the configuration`` when it is, else None."""
    if policy.level_in(environment) is not Level.OFF:
        return None
    where = f" for {environment}" if environment else ""
    return f"{policy.id} is off{where} in the configuration"


def _location(target: RenderTarget) -> tuple[str | None, int | None]:
    if target.application is not None:
        return target.application.file, target.application.line
    if target.chart is not None:
        return f"{target.chart.rel}/Chart.yaml", None
    return None, None


def test_cases(report: Report) -> list[TestCase]:
    """The cases of ``report`` in report order: each rendered target's, then the
    repository's."""
    rules = {rule.id: rule for rule in rules_for(report)}  # every id the report names
    target_scope = [p for p in report.policies if p.scope == "target"]
    checked = {t.id: t for t in report.targets if t.rendered_here}
    cases: dict[tuple[str, str], TestCase] = {}
    for target in checked.values():
        for policy in target_scope:
            cases[(target.id, policy.id)] = TestCase(
                target.environment, target.id, policy.id, off_reason(policy, target.environment),
                _location(target))
    for policy in report.policies:
        if policy.scope != "target":
            cases[(REPOSITORY, policy.id)] = TestCase(REPOSITORY, REPOSITORY, policy.id,
                                                      off_reason(policy, None))
    _sort_in(report, cases, checked, rules)
    return list(cases.values())


def _sort_in(report: Report, cases: dict[tuple[str, str], TestCase],
             checked: Mapping[str, RenderTarget], rules: Mapping[str, PolicyInfo]) -> None:
    def repository_case(policy: str) -> TestCase:
        return cases.setdefault((REPOSITORY, policy), TestCase(REPOSITORY, REPOSITORY, policy))

    for finding in sorted(shown(report.findings), key=finding_order):
        owner = checked.get(finding.target or "")
        if owner is not None and rules[finding.policy].scope == "target":
            cases.setdefault((owner.id, finding.policy), TestCase(
                owner.environment, owner.id, finding.policy, location=_location(owner)),
            ).findings.append(finding)
        else:
            repository_case(finding.policy).findings.append(finding)
    for error in sorted(shown(report.errors), key=finding_order):
        stopped = [c for (owner, policy), c in cases.items()
                   if error.target in checked and owner == error.target
                   and error.part_of in (None, policy)]
        for case in stopped or [repository_case(error.policy)]:
            case.errors.append(error)
