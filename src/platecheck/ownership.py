"""One problem, one finding: where several checks see the same root cause, this module alone
decides which report keeps it, and the others stay silent for it.

- A could-not-check error of loading or rendering owns what ``argocd-application`` says at
  the same file and line about the same target (a source path or value file that does not
  exist, or leaves the repository): the error stays, because nothing it stopped was
  checked (exit 2), and it takes the policy's remediation, which names the fix.
- A target whose render failed owns what ``chart-metadata`` and ``chart-lint-warning`` say
  about its chart for that environment: ``helm lint`` re-reports the failure ``helm template``
  already gave (a missing dependency, a chart Helm refuses to load). What helm lint says in
  every environment is owned only when every one of them failed to render.
- ``argocd-application`` owns what ``k8s-schema`` says of the same Application in the same
  file, at whichever of its lines (a template may write the field in two branches, which
  the two place apart): an Application a source renders (a Kustomize or Helm app-of-apps)
  is a resource of its parent's render too, validated against the same Application schema.
  So does a could-not-check error at the same line (a rendered Application that cannot be
  read).
- An Application that could not be planned for a source path owns ``argocd-application``'s
  findings about its other source paths (a multi-source Application with two missing):
  each is a could-not-check error of that Application too, as the first is.
- ``not-rendered``'s finding that a source has no ``repoURL`` owns what the Application
  schema says of the missing field (``argocd-application``'s, and ``k8s-schema``'s of an
  Application a render generated): it says what it means, that nothing of it is checked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from platecheck.model import Finding, RepoModel

# a policy that validates every rendered resource, and the one that validates Applications
RESOURCE_SCHEMA, APPLICATION = "k8s-schema", "argocd-application"
NOT_RENDERED = "not-rendered"
_NO_REPO_URL = "required field 'repoURL' is missing"  # the Application schema's
_NO_REPO_URL_SAID = " has no repoURL and is not rendered"  # not-rendered's
# policies whose findings a could-not-check error at the same file and line replaces
OWNED_AT_ERROR_LINE = frozenset({APPLICATION})
# policies about a chart whose findings a failed render of that chart replaces
OWNED_BY_FAILED_RENDER = frozenset({"chart-metadata", "chart-lint-warning"})


def settle(findings: Sequence[Finding], errors: Sequence[Finding], model: RepoModel
           ) -> tuple[list[Finding], list[Finding]]:
    """``findings`` without those an error owns, and ``errors`` with the remediation of the
    findings they replaced."""
    at_line: dict[tuple[str | None, int | None, str | None], int] = {
        (e.file, e.line, e.target): index for index, e in enumerate(errors) if e.file and e.line}
    remedies: dict[int, str] = {}
    failed = _failed_charts(errors, model)
    linted: dict[str, set[str]] = {}  # chart directory -> the environments it was linted in
    for lint in model.helm_lint:
        linted.setdefault(lint.chart.rel, set()).add(lint.environment)
    applications = {_problem(f) for f in findings if f.policy == APPLICATION}
    # a target's Application as a finding of no target names it (``Application/web``)
    kinds = {t.id: f"{t.application.kind}/{t.application.name}" for t in model.targets
             if t.application is not None}
    no_repo_url = {f.resource for f in findings if f.policy == NOT_RENDERED
                   and _NO_REPO_URL_SAID in f.message}
    kept = []
    for finding in findings:
        if finding.policy in (APPLICATION, RESOURCE_SCHEMA) and finding.message.endswith(
                _NO_REPO_URL) and finding.resource in no_repo_url:
            continue
        owner = _owner(at_line, finding, kinds, remedies)
        if finding.policy in OWNED_AT_ERROR_LINE and owner is not None:
            remedies.setdefault(owner, finding.remediation)
            continue
        if finding.policy in OWNED_BY_FAILED_RENDER and _about_failed(finding, failed, linted):
            continue
        if finding.policy == RESOURCE_SCHEMA and (_problem(finding) in applications or (
                owner is not None and (finding.resource or "").startswith(_ARGO_KINDS))):
            continue
        kept.append(finding)
    settled = [dataclasses.replace(error, remediation=remedies[index]) if index in remedies
               else error for index, error in enumerate(errors)]
    return _source_paths_unplanned(kept, settled, model)


_SOURCE_PATH = "source path "
_ARGO_KINDS = ("Application/", "ApplicationSet/")


def _owner(at_line: dict[tuple[str | None, int | None, str | None], int], finding: Finding,
           kinds: Mapping[str, str], claimed: Mapping[int, str]) -> int | None:
    """The error at ``finding``'s file and line about its own target: one line of a template
    or of a values file many Applications share may be where several went wrong. An error
    or a finding of no target is about whatever is at that line: of the errors there, the
    one of a target of the Application the finding names (``kinds``), else the first no
    finding ``claimed`` yet (each Application a set makes at one line, one error each), else
    the first."""
    where = (finding.file, finding.line)
    owner = at_line.get((*where, finding.target))
    if owner is None:
        owner = at_line.get((*where, None))
    if owner is None and finding.target is None:
        there = [(target, index) for (*at, target), index in at_line.items()
                 if tuple(at) == where]
        owner = next((index for target, index in there if target is not None
                      and kinds.get(target) == finding.resource),
                     next((index for _, index in there if index not in claimed),
                          there[0][1] if there else None))
    return owner


def _source_paths_unplanned(findings: list[Finding], errors: list[Finding], model: RepoModel
                            ) -> tuple[list[Finding], list[Finding]]:
    """``findings`` without argocd-application's source-path findings of an Application a
    source path kept from being planned, each added to ``errors`` as one of its own."""
    stopped = {key: e for e in errors if e.message.startswith(_SOURCE_PATH) and e.file
               and e.line for key in _application_keys(model, e)}
    if not stopped:
        return findings, errors
    kept = []
    for finding in findings:
        text = _problem(finding)[2]
        error = next((stopped[key] for key in _application_keys(model, finding)
                      if key in stopped), None) \
            if finding.policy == APPLICATION and text.startswith(_SOURCE_PATH) else None
        if error is None:
            kept.append(finding)
        else:
            errors.append(dataclasses.replace(error, message=text, line=finding.line,
                                              remediation=finding.remediation))
    return kept, errors


def _application_keys(model: RepoModel, finding: Finding) -> list[tuple[str, Any]]:
    """The Application ``finding`` is about, known by its target and, for one of the
    repository's files, by the document that holds the finding's line (the last Application
    of that file starting at or before it). An Application a render generated is known by
    its target alone: it is written in no document of its own, and its paths may come from
    a values file that many others share."""
    keys: list[tuple[str, Any]] = [("target", finding.target)] if finding.target else []
    file, line = finding.file, finding.line
    starts = [a.line for a in model.applications if a.file == file and line is not None
              and a.line <= line]
    if file is not None and starts:
        keys.append(("file", (file, max(starts))))
    return keys


def _failed_charts(errors: Sequence[Finding], model: RepoModel) -> dict[str, set[str]]:
    """Chart directory -> the environments whose render of it failed."""
    by_id = {target.id: target for target in model.targets}
    failed: dict[str, set[str]] = {}
    for error in errors:
        target = by_id.get(error.target or "")
        if target is not None and target.chart is not None:
            failed.setdefault(target.chart.rel, set()).add(target.environment)
    return failed


def _about_failed(finding: Finding, failed: dict[str, set[str]],
                  linted: dict[str, set[str]]) -> bool:
    """Whether ``finding`` is about a chart whose render failed in its environment; one of
    every environment (none named) only when the render failed in every environment the
    chart was linted in: where it rendered, helm lint's report is the chart's own."""
    for chart, environments in failed.items():
        inside = chart in ("", ".") or (finding.file or "").startswith(f"{chart}/")
        if inside and (finding.environment in environments or finding.environment is None
                       and linted.get(chart, set()) <= environments):
            return True
    return False


def _problem(finding: Finding) -> tuple[str | None, str | None, str]:
    """Which file a finding is in, about which resource, and what it says past the resource's
    name (``Application x: ...`` for argocd-application, ``Application/x: ...`` for
    k8s-schema)."""
    name = (finding.resource or "").partition("/")[2]
    text = finding.message
    for prefix in (f"{finding.resource}: ", f"Application {name}: "):
        text = text.removeprefix(prefix)
    return finding.file, finding.resource, text
