"""Which tool Argo CD renders a source with, decided as Argo CD decides it.

1. An explicit ``helm``, ``kustomize``, ``directory`` or ``plugin`` key names the type, unless
   it holds only zero values (``helm: {}``; never ``plugin``), which Argo CD's controller
   drops; more than one is an error
   (``ApplicationSource.ExplicitType`` in argo-cd ``pkg/apis/application/v1alpha1/types.go``).
2. A ``chart`` (Helm repository) or an ``oci://`` repository is a Helm chart.
3. Otherwise the files directly in the source path decide, by name, the last one deciding:
   a name ending in ``Chart.yaml`` -> Helm; ``kustomization.yaml``, ``kustomization.yml`` or
   ``Kustomization`` -> Kustomize (it wins over ``Chart.yaml``, which sorts before it);
   anything else -> a directory of manifests
   (``AppType`` in argo-cd ``util/app/discovery/discovery.go``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import SourceType

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


# Argo CD checks the keys in this order, and names them in this order in its error.
_EXPLICIT = (("kustomize", SourceType.KUSTOMIZE), ("helm", SourceType.HELM),
             ("directory", SourceType.DIRECTORY), ("plugin", SourceType.PLUGIN))


# What makes a block other than its zero value (``IsZero`` of Argo CD's source types; a
# directory's include and exclude are kept by NormalizeSource, so they name it too)
_SET = {
    "kustomize": ("namePrefix", "nameSuffix", "version", "namespace", "images", "replicas",
                  "commonLabels", "commonAnnotations", "patches", "components", "kubeVersion",
                  "apiVersions", "ignoreMissingComponents"),
    "helm": ("version", "releaseName", "valueFiles", "parameters", "fileParameters", "values",
             "valuesObject", "passCredentials", "ignoreMissingValueFiles", "skipCrds",
             "skipTests", "skipSchemaValidation", "kubeVersion", "apiVersions", "namespace"),
    "directory": ("recurse", "disableExtensionFilter", "include", "exclude"),
}


def explicit_type(source: Mapping[str, Any], file: str | None = None,
                  line: int | None = None) -> SourceType | None:
    """The type a source names with its own key, None when it names none.

    A key written with no value (``helm:``) is null in YAML, as in Argo CD's Go struct, so it
    names nothing; nor does a block of zero values (``helm: {}``, ``directory: {recurse:
    false}``): Argo CD's controller drops it before it renders (``NormalizeSource`` in
    argo-cd ``util/argo/argo.go``, patched into the Application on its first refresh)."""
    named = [kind for key, kind in _EXPLICIT
             if source.get(key) is not None and not _zero(key, source[key])]
    if len(named) > 1:
        raise PlatecheckError("multiple application sources defined: "
                              f"{','.join(named)}; Argo CD refuses a source with more than one "
                              "of helm, kustomize, directory and plugin", file, line)
    return named[0] if named else None


def _zero(key: str, block: Any) -> bool:
    """Whether a source type's block holds only zero values, as its ``IsZero`` says: never
    a plugin's (``NormalizeSource`` leaves it, so ``plugin: {}`` asks for a plugin found by
    discovery), nor Helm's with a ``valuesObject`` (``{}`` is the YAML ``{}``, not empty)."""
    if not isinstance(block, Mapping) or key == "plugin" or (
            key == "helm" and block.get("valuesObject") is not None):
        return False
    if key == "directory":
        jsonnet = block.get("jsonnet")
        if isinstance(jsonnet, Mapping) and any(jsonnet.get(k) for k in
                                                ("extVars", "tlas", "libs")):
            return False
    return not any(block.get(field) for field in _SET[key])


def detected_type(directory: Path) -> SourceType:
    """The type Argo CD detects from the files directly in ``directory`` (its
    ``Discover``): taken by name, a kustomization file names Kustomize and one whose name
    ends in ``Chart.yaml`` (``traefik-HelmChart.yaml`` too) Helm, the last one found
    deciding."""
    found = SourceType.DIRECTORY
    try:
        names = sorted(entry.name for entry in os.scandir(directory)
                       if not entry.is_dir(follow_symlinks=False))
    except OSError:
        return found
    for name in names:
        if name.endswith("Chart.yaml"):
            found = SourceType.HELM
        if name in KUSTOMIZATIONS:
            found = SourceType.KUSTOMIZE
    return found


def source_type(source: Mapping[str, Any], directory: Path | None, file: str | None = None,
                line: int | None = None) -> SourceType:
    """The type of one source (``spec.source`` or an entry of ``spec.sources``) as written,
    ``directory`` being its path in this repository (None for a remote chart)."""
    explicit = explicit_type(source, file, line)
    if explicit is not None:
        return explicit
    repo_url = source.get("repoURL")
    if source.get("chart") or (isinstance(repo_url, str) and repo_url.startswith("oci://")):
        return SourceType.HELM
    if directory is None or not directory.is_dir():
        return SourceType.DIRECTORY
    return detected_type(directory)


# a kustomization's lists of what it builds the resources from (components applied last)
BUILDING = ("components", "resources", "bases")


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file kustomize reads in ``directory``, if any (its order)."""
    return next((directory / name for name in KUSTOMIZATIONS
                 if (directory / name).is_file()), None)
