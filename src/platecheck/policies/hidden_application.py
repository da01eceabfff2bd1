"""Argo CD Applications in hidden directories are named, not passed over in silence.

What:
    The repository walk looks for Applications everywhere under the linted paths but in hidden
    directories (``.github/``, ``.argocd/``, ``.bootstrap/``), where most files are no
    Kubernetes manifests. A file there that holds an Argo CD Application or ApplicationSet
    (a document of one, read as Argo CD reads a manifest; a file that does not read, such as
    a template, when its text names one: ``kind: Application`` or ``ApplicationSet`` beside
    ``argoproj.io/``), and that no
    app-of-apps reaches (an app-of-apps' directory is followed wherever it is, and the
    Applications a Kustomize app-of-apps builds from there are reached), is not checked: one
    finding at the file. So is a ``.jsonnet`` file under the linted paths that names one
    (``kind: 'Application'`` beside ``argoproj.io/``), itself or in a file of the repository
    it imports by a relative path (a library writing the kind), outside every directory
    source of this repository platecheck renders: discovery reads Applications from YAML and
    JSON files, and only a render evaluates Jsonnet (its Applications are then checked as
    generated ones). Not named: a file given as a path of its own (``platecheck lint
    .argocd/root.yaml``), or under a hidden directory given as a path (``platecheck lint
    .argocd``): those are walked.

Why:
    A repository that keeps its Applications in ``.argo-apps/`` and applies them with
    ``kubectl apply -k`` would otherwise get a clean report that checked none of them. The
    built-in level is ``info``: the file is not wrong, only unchecked.

Options:
    none.

Passes:
    ``.github/workflows/`` files that mention ``argoproj.io`` but hold no Application (a
    script that pipes one to ``kubectl apply`` only quotes it);
    ``.argocd/root.yaml`` linted as ``platecheck lint .argocd``; an app-of-apps whose
    ``source.path`` is ``.argocd/apps``.

Fails:
    ``.argo-apps/web.yaml`` (an Application) in a repository linted as
    ``platecheck lint .`` -> "Application file in a hidden directory: not walked, so it
    is not checked"; ``kubernetes/applicationset.jsonnet`` that no Application deploys ->
    "Application written in Jsonnet that no directory source platecheck renders
    evaluates ...".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from platecheck.model import Finding, Level, RepoModel
from platecheck.options import NoOptions, PolicyOptions

ID = "hidden-application"
SUMMARY = ("Application files in hidden directories the walk passed over, and in Jsonnet "
           "files nothing evaluates (not checked)")
SCOPE = "repo"
LEVEL = Level.INFO  # the built-in level; configuration may change it
REMEDIATION = (
    "Lint the hidden directory as a path of its own (`platecheck lint <directory>`), point "
    "an app-of-apps at it, or turn this policy off for a repository that keeps such files "
    "on purpose."
)

JSONNET_REMEDIATION = (
    "Point an Application (an app-of-apps) at its directory, so that platecheck evaluates "
    "it as Argo CD does and checks the Applications it outputs, or turn this policy off for "
    "a repository that applies such files another way on purpose."
)


def check(repo: RepoModel, options: PolicyOptions[NoOptions]) -> Iterator[Finding]:
    for file in repo.hidden_applications:
        hidden = next((part for part in PurePosixPath(file).parts[:-1]
                       if part.startswith(".")), None)
        if hidden is None:  # a .jsonnet file
            yield Finding(policy=ID, file=file, line=1, remediation=JSONNET_REMEDIATION,
                          message="Application written in Jsonnet that no directory source "
                          "platecheck renders evaluates: platecheck reads Applications "
                          "from YAML and JSON files, so it is not checked")
            continue
        yield Finding(
            policy=ID,
            message=f"Application file in the hidden directory {hidden}/: not walked, so "
                    "it is not checked",
            file=file,
            line=1,
            remediation=REMEDIATION.replace("<directory>", str(PurePosixPath(file).parent)),
        )


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("workflow-files", "hidden-applications", "jsonnet-applications")
