"""One problem, one finding: where several checks see the same root cause, this module alone
decides which report keeps it, and the others stay silent for it.

- A could-not-check error of loading or rendering owns what ``argocd-application`` says at
  the same file and line (a source path or value file that does not exist, or leaves the
  repository): the error stays, because nothing it stopped was checked (exit 2), and it takes
  the policy's remediation, which names the fix.
- A target whose render failed owns what ``chart-metadata`` and ``chart-lint-warning`` say
  about its chart for that environment: ``helm lint`` re-reports the failure ``helm template``
  already gave (a missing dependency, a chart Helm refuses to load).
- ``argocd-application`` owns what ``k8s-schema`` says of the same Application at the same
  file and line: an Application a source renders (a Kustomize or Helm app-of-apps) is a
  resource of its parent's render too, validated against the same Application schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from platecheck.model import Finding, RepoModel

# a policy that validates every rendered resource, and the one that validates Applications
RESOURCE_SCHEMA, APPLICATION = "k8s-schema", "argocd-application"
# policies whose findings a could-not-check error at the same file and line replaces
OWNED_AT_ERROR_LINE = frozenset({APPLICATION})
# policies about a chart whose findings a failed render of that chart replaces
OWNED_BY_FAILED_RENDER = frozenset({"chart-metadata", "chart-lint-warning"})


def settle(findings: Sequence[Finding], errors: Sequence[Finding], model: RepoModel
           ) -> tuple[list[Finding], list[Finding]]:
    """``findings`` without those an error owns, and ``errors`` with the remediation of the
    findings they replaced."""
    at_line: dict[tuple[str | None, int | None], int] = {
        (e.file, e.line): index for index, e in enumerate(errors) if e.file and e.line}
    remedies: dict[int, str] = {}
    failed = _failed_charts(errors, model)
    applications = {_problem(f) for f in findings if f.policy == APPLICATION}
    kept = []
    for finding in findings:
        owner = at_line.get((finding.file, finding.line))
        if finding.policy in OWNED_AT_ERROR_LINE and owner is not None:
            remedies.setdefault(owner, finding.remediation)
            continue
        if finding.policy in OWNED_BY_FAILED_RENDER and _about_failed(finding, failed):
            continue
        if finding.policy == RESOURCE_SCHEMA and _problem(finding) in applications:
            continue
        kept.append(finding)
    settled = [dataclasses.replace(error, remediation=remedies[index]) if index in remedies
               else error for index, error in enumerate(errors)]
    return kept, settled


def _failed_charts(errors: Sequence[Finding], model: RepoModel) -> dict[str, set[str]]:
    """Chart directory -> the environments whose render of it failed."""
    by_id = {target.id: target for target in model.targets}
    failed: dict[str, set[str]] = {}
    for error in errors:
        target = by_id.get(error.target or "")
        if target is not None and target.chart is not None:
            failed.setdefault(target.chart.rel, set()).add(target.environment)
    return failed


def _about_failed(finding: Finding, failed: dict[str, set[str]]) -> bool:
    for chart, environments in failed.items():
        inside = chart in ("", ".") or (finding.file or "").startswith(f"{chart}/")
        if inside and (finding.environment is None or finding.environment in environments):
            return True
    return False


def _problem(finding: Finding) -> tuple[str | None, int | None, str | None, str]:
    """Where a finding is, about which resource, and what it says past the resource's name
    (``Application x: ...`` for argocd-application, ``Application/x: ...`` for k8s-schema)."""
    name = (finding.resource or "").partition("/")[2]
    text = finding.message
    for prefix in (f"{finding.resource}: ", f"Application {name}: "):
        text = text.removeprefix(prefix)
    return finding.file, finding.line, finding.resource, text
