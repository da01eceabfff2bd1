"""Which tool Argo CD renders a source with, decided as Argo CD decides it.

1. An explicit ``helm``, ``kustomize``, ``directory`` or ``plugin`` key (present, even empty)
   names the type; more than one is an error
   (``ApplicationSource.ExplicitType`` in argo-cd ``pkg/apis/application/v1alpha1/types.go``).
2. A ``chart`` (Helm repository) or an ``oci://`` repository is a Helm chart.
3. Otherwise the files directly in the source path decide: ``Chart.yaml`` -> Helm;
   ``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization`` -> Kustomize (it wins
   when both are there); anything else -> a directory of manifests
   (``AppType`` in argo-cd ``util/app/discovery/discovery.go``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import SourceType

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


# Argo CD checks the keys in this order, and names them in this order in its error.
_EXPLICIT = (("kustomize", SourceType.KUSTOMIZE), ("helm", SourceType.HELM),
             ("directory", SourceType.DIRECTORY), ("plugin", SourceType.PLUGIN))


def explicit_type(source: Mapping[str, Any], file: str | None = None,
                  line: int | None = None) -> SourceType | None:
    """The type a source names with its own key, None when it names none.

    A key written with no value (``helm:``) is null in YAML, as in Argo CD's Go struct, so it
    names nothing; an empty mapping (``helm: {}``) does."""
    named = [kind for key, kind in _EXPLICIT if source.get(key) is not None]
    if len(named) > 1:
        raise PlatecheckError("multiple application sources defined: "
                              f"{','.join(named)}; Argo CD refuses a source with more than one "
                              "of helm, kustomize, directory and plugin", file, line)
    return named[0] if named else None


def detected_type(directory: Path) -> SourceType:
    """The type Argo CD detects from the files directly in ``directory``."""
    if kustomization_file(directory) is not None:
        return SourceType.KUSTOMIZE
    if (directory / "Chart.yaml").is_file():
        return SourceType.HELM
    return SourceType.DIRECTORY


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
