"""Could-not-check problems, collected so that one target cannot hide the others: each is
an error finding (exit 2) of the target it stops, said once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import Finding, Level, RenderTarget

ERROR_ID = "could-not-check"
ERROR_REMEDIATION = "Fix this so platecheck can render and check it; nothing here was checked."


@dataclass
class Problems:
    """Could-not-check problems, collected so that one target cannot hide the others."""

    findings: list[Finding] = field(default_factory=list)
    _said: set[Finding] = field(default_factory=set)
    # the error of each written Application that could not be planned, by (file, line)
    unplanned: dict[tuple[str, int], Finding] = field(default_factory=dict)
    # the errors of the Applications renders generated that could not be planned: each is
    # its own, though a written one they replace, gone, had its target id
    of_generated: set[Finding] = field(default_factory=set)

    def add(self, error: PlatecheckError, target: RenderTarget | None = None,
            detail: str | None = None, where: tuple[str, str] | None = None,
            part_of: str | None = None) -> Finding:
        """``where`` is (environment, target id) when known without a RenderTarget;
        ``part_of`` the policy that checked the rest of the target (``PartlyChecked``)."""
        if target is not None:
            where = (target.environment, target.id)
        finding = Finding(
            policy=ERROR_ID, message=error.message, file=error.file, line=error.line,
            level=Level.ERROR, environment=where[0] if where else None,
            target=where[1] if where else None, remediation=error.remedy or ERROR_REMEDIATION,
            detail=detail, part_of=part_of)
        self._say(finding)
        return finding

    def forget_unplanned(self, applications: Iterable[tuple[str, int]]) -> None:
        """Unsay the errors of the written ``applications`` (by file and line) that could not
        be planned: a render replaced them (a Kustomize overlay patching its base), and what
        replaces them is planned, and reported, anew."""
        self.forget([self.unplanned.pop(key) for key in applications if key in self.unplanned])

    def forget(self, gone: Iterable[Finding]) -> None:
        """Unsay ``gone``: what they stopped turned out to be nothing to check."""
        dropped = set(gone)
        if dropped:
            self.findings[:] = [f for f in self.findings if f not in dropped]
            self._said -= dropped

    def merge(self, other: Problems) -> None:
        for finding in other.findings:
            self._say(finding)

    def _say(self, finding: Finding) -> None:
        if finding not in self._said:  # one problem met twice (two policies, a template and
            self._said.add(finding)    # a lint of one chart): said once
            self.findings.append(finding)


def error_order(finding: Finding) -> tuple[Any, ...]:
    return (finding.file or "", finding.line or 0, finding.message)
