"""Kustomizations no Application deploys are named, not passed over in silence.

What:
    In a repository with Applications, platecheck builds the kustomizations they deploy, as Argo
    CD builds them. A kustomization under the linted paths that no Application's source of this
    repository points at (or into: a config management plugin's directory holding it, the only
    source that may build what lies below its path; an ApplicationSet's path with its template
    actions as wildcards, a git directories generator's path as its directories' patterns, one
    name each as Go's ``path.Match``, a git files generator's path the directories of its files'
    pattern, any depth as ``git ls-files`` matches it, but those its ``exclude: true`` entries
    match; a source of another repository, ``path: .`` too, deploys that one's files), and that
    no other kustomization lists as a resource, base or component, is built nowhere, so no other
    policy judged what it outputs: one finding at its kustomization file. When its build lists
    files of Applications or ApplicationSets (a kustomization of them that a root outside the
    repository, or ``kubectl apply -k``, applies: a bootstrap overlay), platecheck builds it as
    a target of no environment: when what it outputs changes one of those Applications (its
    patches, name prefixes, a placeholder filled in) or is no file's, the Applications it
    outputs are checked in the place of the files as written (several that list one file, a
    base or a file of Applications, each cluster's overlay of one base, each an install of its
    own), and it is not named. Otherwise
    (it outputs them as written, or cannot be built here: a remote resource) the finding says
    how many files it lists: those were checked as written; but one that patches, renames
    or labels them (``namePrefix``, ``nameSuffix``, ``commonLabels``, ``labels``) and cannot
    be built here is a could-not-check error (docs/sources.md), not named. A kustomization in
    a chart's directory is named even when the chart is deployed (helm renders none of it).
    Not named: a ``kind: Component`` (it builds only where one lists it), and every
    kustomization in chart mode or for a run of some environments only (``--env``), nor in a
    run where what a chart of Applications deploys is not known (one failed to render or a
    kustomization inflating one could not be built, one no
    Application deploys is a root installed by hand, or an ApplicationSet platecheck does not
    expand may deploy one), as for ``undeployed-chart``. An Application file below the
    directory of a kustomization applied by hand, or of a base its build reads (not below a
    kustomization of its own; of one at the repository root, beside it) that
    its build does not list (an entry commented out), that no app-of-apps deploys and that
    was not given as a path is not deployed: it is not checked, and named, one finding at
    each of its Applications (but while a chart of Applications or a set may deploy the
    kustomization's directory).

Why:
    A bootstrap installed by hand (``kubectl apply -k bootstrap/``), an overlay of a cluster
    that no Application deploys yet, or each cluster's overlay of Applications applied by a
    root outside the repository is still what a reviewer merges; a clean report that never
    mentions it claims more than was proven. The built-in level is ``info``: such a
    kustomization is not wrong, only unchecked.

Options:
    none.

Passes:
    ``overlays/prod`` with an Application whose ``source.path`` is ``overlays/prod`` (its
    base ``base/`` is listed by it); a ``kind: Component`` no kustomization lists.

Fails:
    ``overlays/dev/kustomization.yaml`` that no Application points at -> "kustomization
    overlays/dev: no Application deploys it, so it is not checked"; ``bootstrap/extra.yaml``
    beside ``bootstrap/kustomization.yaml`` whose ``resources`` has ``# - extra.yaml`` ->
    "Application extra: the kustomization bootstrap, applied by hand, does not list its
    file, so it is not deployed, nor checked".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from platecheck.model import Finding, Level, RepoModel
from platecheck.options import NoOptions, PolicyOptions

ID = "undeployed-kustomization"
SUMMARY = "kustomizations under the linted paths that no Application deploys (not checked)"
SCOPE = "repo"
LEVEL = Level.INFO  # the built-in level; configuration may change it
REMEDIATION = (
    "Point an Application at it (an app-of-apps, for a kustomization of Applications); leave "
    "it out with exclude in policies/platecheck.yaml when another tool deploys it (Flux); or "
    "turn this policy off, or waive the finding, for a repository that applies such "
    "kustomizations by hand on purpose."
)


def check(repo: RepoModel, options: PolicyOptions[NoOptions]) -> Iterator[Finding]:
    for file, applications in repo.undeployed_kustomizations:
        directory = PurePosixPath(file).parent
        name = str(directory) if str(directory) != "." else "at the repository root"
        listed = "" if not applications else (
            "; the file of Applications (or ApplicationSets) it lists was checked as written, "
            "not as it builds it" if applications == 1 else
            f"; the {applications} files of Applications (or ApplicationSets) it lists were "
            "checked as written, not as it builds them")
        yield Finding(
            policy=ID,
            message=f"kustomization {name}: no Application deploys it, so it is not "
                    f"checked{listed}",
            file=file,
            line=1,
        )
    for file, line, kind, name, kustomization in repo.unlisted_applications:
        yield Finding(
            policy=ID,
            message=f"{kind} {name}: the kustomization {kustomization}, applied by hand, does not "
                    "list its file, so it is not deployed, nor checked",
            file=file,
            line=line,
        )


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("listed-base", "undeployed-overlays")
