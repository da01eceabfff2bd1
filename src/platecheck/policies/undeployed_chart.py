"""Charts no Application deploys are named, not passed over in silence.

What:
    In a repository with Applications, platecheck checks what they deploy, as Argo CD deploys
    it. A chart under the linted paths that no Application's source of this repository points at
    (or into: a config management plugin's directory holding it, the only source that may build
    what lies below its path; an ApplicationSet's path with its template actions as wildcards,
    or the one its ``templatePatch`` writes, a git directories generator's path as its
    directories' patterns, one name each as Go's ``path.Match``, a git files generator's path
    the directories of its files' pattern, any depth as ``git ls-files`` matches it, but those
    its ``exclude: true`` entries match; a source of another repository deploys that one's
    files) renders nowhere, so no other policy judged it: one finding at its ``Chart.yaml``. A
    source path that is a symbolic link deploys the directory it leads to. A chart elsewhere in
    a chart's directory (``app/extra/``) is named too, even when ``app`` is deployed: helm
    renders a chart's ``templates/`` and the subcharts of its ``charts/``, nothing else of it.
    Not named: a subchart in another chart's ``charts/`` (it renders with its parent), a
    ``file://`` dependency of a deployed chart (and theirs in turn) or of a chart named (it
    renders with it), a library chart (``type: library``), a chart vendored for kustomize's
    ``helmCharts`` (``charts/<name>`` or, for an entry with a version,
    ``charts/<name>-<version>/<name>`` beside a kustomization, or under its
    ``helmGlobals.chartHome`` or a ``HelmChartInflationGenerator``'s ``chartHome``, or one a
    link there leads to: every build of it, an overlay's too, renders it), a chart given as a
    path of its own, and every chart in chart mode (a repository without Applications, where
    each top-level chart is linted) until a chart's renders generate Applications: from then on,
    a chart linted in chart mode that generates none (writes no Application or ApplicationSet,
    not even a set that makes no Application) and that none of them deploys is named, as
    beside Application files. A run of some environments only (``--env``) names none: the
    Applications other environments' charts generate were not rendered; nor does a run where a
    chart whose templates name Argo CD's API group failed to render (a remote dependency not
    vendored, say), or a kustomization inflating a chart whose values describe Application
    sources could not be built, or an Application file could not be read: what they deploy
    is not known. A
    chart no Application deploys that may itself write Applications (a template writes an
    Application or ApplicationSet kind, or a values file describes Application sources, as those
    of argo-helm's argocd-apps do) is taken for a root installed by hand (a bootstrap of Argo
    CD): only such charts are named then, and no kustomization, as what they deploy is not
    known (so too when an ApplicationSet platecheck does not expand may deploy a chart that may
    write Applications, or such a chart has a values file of no configured environment); the
    finding says how many other charts and kustomizations no Application here deploys it leaves
    unnamed (and unchecked). In chart mode, a chart's
    ``values-<name>.yaml`` whose name is no configured environment's and that no environment's
    rules match (``values-dev.yaml`` with the environments ``prod`` and ``stg``) renders
    nowhere either: one finding per such name, at its first file, counting the charts' others;
    so does a second values file of an environment's name (``values_prod.yaml`` beside
    ``values-prod.yaml``, which that environment renders).

Why:
    A bootstrap chart installed by hand (``helm install`` of an app-of-apps), an example or a
    chart kept for later is still code a reviewer merges; a clean report that never mentions
    it claims more than was proven. The built-in level is ``info``: such a chart is not
    wrong, only unchecked.

Options:
    none.

Passes:
    ``helm/applications/plate-web`` with an Application whose ``source.path`` is
    ``helm/applications/plate-web``; ``bootstrap/`` linted on its own
    (``platecheck lint bootstrap/``, chart mode).

Fails:
    ``bootstrap/Chart.yaml`` beside ``apps/`` Applications none of which points at
    ``bootstrap`` -> "chart bootstrap: no Application deploys it, so it is not checked".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from platecheck.model import Finding, Level, RepoModel
from platecheck.options import NoOptions, PolicyOptions

ID = "undeployed-chart"
SUMMARY = "charts under the linted paths that no Application deploys (not checked)"
SCOPE = "repo"
LEVEL = Level.INFO  # the built-in level; configuration may change it
REMEDIATION = (
    "Lint the chart on its own (`platecheck lint <chart directory>`, with its "
    "values-<env>.yaml files; a chart directory that holds Application files, an examples/ "
    "folder, is read for them instead: leave them out with exclude in "
    "policies/platecheck.yaml), point an Application at it, leave it out with exclude when "
    "another tool deploys it (Flux's HelmRelease), or turn this policy off for a repository "
    "that keeps such charts on purpose."
)


def check(repo: RepoModel, options: PolicyOptions[NoOptions]) -> Iterator[Finding]:
    unnamed = repo.undeployed_unnamed
    one = unnamed == 1
    also = (f"; it may write Applications (a root installed by hand?), so the {unnamed} other "
            f"{'chart or kustomization' if one else 'charts and kustomizations'} no "
            f"Application here deploys {'is' if one else 'are'} not named, and "
            f"{'it is' if one else 'they are'} not checked either" if unnamed else "")
    for chart_file in repo.undeployed_charts:
        directory = PurePosixPath(chart_file).parent
        name = directory.name if str(directory) != "." else "at the repository root"
        yield Finding(
            policy=ID,
            message=f"chart {name}: no Application deploys it, so it is not checked{also}",
            file=chart_file,
            line=1,
        )
    by_environment: dict[str, list[str]] = {}  # one finding per environment name
    for values_file in repo.unmatched_values:
        name = PurePosixPath(values_file).name
        # values-<name>.yaml, values.<name>.yaml or values_<name>.yaml
        environment = name.rsplit(".", 1)[0][len("values-"):]
        by_environment.setdefault(environment, []).append(values_file)
    configured = {env.name for env in repo.environments}
    for environment, files in sorted(by_environment.items(), key=lambda item: item[1][0]):
        name = PurePosixPath(files[0]).name
        more = f" (and {len(files) - 1} other charts')" if len(files) > 1 else ""
        if environment in configured:  # (values-prod.yaml beside values_prod.yaml)
            yield Finding(
                policy=ID, file=files[0], line=1,
                message=f"values file {name}{more}: environment {environment} renders the "
                        "chart with another values file of its name (values-<env>.yaml comes "
                        "first), so the chart is not checked with it",
                remediation="Keep one values file per environment: merge the two, or delete "
                            "the one not used.")
            continue
        yield Finding(
            policy=ID,
            message=f"values file {name}{more}: no configured environment is named "
                    f"{environment!r}, so the chart is not checked with it",
            file=files[0],
            line=1,
            remediation="Name the environment in policies/platecheck.yaml (environments), or "
                        "rename the file values-<environment>.yaml after one that is.",
        )


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("library-chart", "bootstrap-chart")
