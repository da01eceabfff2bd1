"""``helm lint --strict`` warnings on the charts Applications deploy.

What:
    The ``[WARNING]`` lines (and, with ``includeInfo``, the ``[INFO]`` lines) that
    ``helm lint --strict`` prints for a deployed chart with each environment's value files,
    one finding per distinct message, at the file (and line) helm names. Errors are
    ``chart-metadata``'s. A deprecated API helm lint warns of is reported only where the
    checked render writes it: helm lint renders with its default capabilities, not the
    cluster's API versions a chart may ask (``.Capabilities.APIVersions.Has``) and helm
    template is given. Nor is its warning of an object of no name where the chart names an
    object by ``generateName`` (a hook's Job: the API server makes its name).

Why:
    Helm renders a chart through its lint warnings (only ``--strict`` turns them into a
    failure), so they are advice, not a broken deployment: a resource name Kubernetes would
    refuse, a dependency missing from ``charts/``, a version that is not strict SemVer 2.
    Its default level is ``warning``.

Options:
    includeInfo: also report helm lint's ``[INFO]`` lines (default false).

Passes:
    A chart whose ``helm lint --strict`` prints no ``[WARNING]`` line.

Fails:
    ``[WARNING] templates/cm.yaml: object name does not conform to Kubernetes naming
    requirements`` -> a finding at ``helm/web/templates/cm.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from platecheck.model import Finding, HelmLint, Level, RepoModel
from platecheck.options import PolicyOptions
from platecheck.policies.chart_metadata import LintMessage, lint_findings, lint_inputs

ID = "chart-lint-warning"
SUMMARY = "helm lint --strict prints no warning for a deployed chart"
SCOPE = "repo"
HELM_LINT = True  # helm lint runs for an environment where this policy is on
LEVEL = Level.WARNING  # the built-in level; configuration may change it
REMEDIATION = "Fix what helm lint warns about."


@dataclass(frozen=True)
class Options:
    include_info: bool = False


def check(repo: RepoModel, options: PolicyOptions[Options]) -> Iterator[Finding]:
    severities = {"WARNING", "INFO"} if options.default.include_info else {"WARNING"}
    rendered: dict[tuple[str, str], set[tuple[str, str]]] = {}
    generated_names: set[str] = set()  # charts rendering an object named by generateName
    for target in repo.rendered:
        if target.target.chart is not None:
            rendered.setdefault((target.target.chart.rel, target.environment), set()).update(
                (r.api_version, r.kind) for r in target.resources)
            if any(_generated_name(r.doc) for r in target.resources):
                generated_names.add(target.target.chart.rel)

    def checked(lint: HelmLint, message: LintMessage) -> bool:
        """A deprecated API's warning of a kind its render did not write: helm lint
        renders with default capabilities, helm template with the cluster's API versions
        (a chart that asks ``.Capabilities.APIVersions`` writes the served one). Nor the
        warning of an empty name where the chart names an object by ``generateName`` (a
        hook's Job): the API server makes its name, as it does for Argo CD's hooks."""
        if _EMPTY_NAME in message.text and lint.chart.rel in generated_names:
            return False
        deprecated = _DEPRECATED.match(message.text)
        kinds = rendered.get((lint.chart.rel, lint.environment))
        return deprecated is None or kinds is None or deprecated.groups() in kinds

    yield from lint_findings(ID, repo.helm_lint, severities, failed_lint=False, keep=checked,
                             **lint_inputs(repo))


# helm lint's warning of an object of no name (it reads metadata.name alone)
_EMPTY_NAME = 'object name does not conform to Kubernetes naming requirements: ""'


def _generated_name(doc: Mapping[str, Any]) -> bool:
    """Whether the object is named by ``generateName`` alone."""
    metadata = doc.get("metadata")
    return isinstance(metadata, Mapping) and not metadata.get("name") \
        and bool(metadata.get("generateName"))


# helm lint's deprecation warning: "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+"
_DEPRECATED = re.compile(r"(\S+) (\S+) is deprecated in v")


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("clean-lint", "deprecated-api-not-rendered", "object-name-not-a-dns-name")
