"""``helm lint --strict`` warnings on the charts Applications deploy.

What:
    The ``[WARNING]`` lines (and, with ``includeInfo``, the ``[INFO]`` lines) that
    ``helm lint --strict`` prints for a deployed chart with each environment's value files,
    one finding per distinct message, at the file (and line) helm names. Errors are
    ``chart-metadata``'s.

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

from collections.abc import Iterator
from dataclasses import dataclass

from platecheck.model import Finding, Level, RepoModel
from platecheck.options import PolicyOptions
from platecheck.policies.chart_metadata import lint_findings

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
    yield from lint_findings(ID, repo.helm_lint, severities, failed_lint=False)


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("clean-lint", "object-name-not-a-dns-name")
