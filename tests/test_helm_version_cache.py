"""helm's version is remembered on disk per binary, so a warm run starts no helm process,
and a replaced binary is asked again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platecheck.helmbin import locate


@pytest.fixture
def private_helm(tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(locate, "_versions", {})
    copy = tmp_path / "bin" / "helm"
    copy.parent.mkdir()
    shutil.copy2(helm_bin, copy)
    return copy


def test_known_version_starts_no_process(private_helm: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    first = locate.helm_version(private_helm)
    assert (private_helm.parent.parent / "cache" / "helm-versions.json").is_file()
    monkeypatch.setattr(locate, "_versions", {})  # a new process

    def refuse(*args: object) -> None:
        raise AssertionError("helm version ran although the version is known")

    monkeypatch.setattr(locate, "_run_version", refuse)
    assert locate.helm_version(private_helm) == first


def test_replaced_binary_is_asked_again(private_helm: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    locate.helm_version(private_helm)
    monkeypatch.setattr(locate, "_versions", {})
    private_helm.unlink()
    private_helm.write_text("#!/bin/sh\necho v3.99.1\n", encoding="utf-8")
    private_helm.chmod(0o755)
    assert locate.helm_version(private_helm) == "3.99.1"


def test_unreadable_record_is_ignored(private_helm: Path) -> None:
    record = private_helm.parent.parent / "cache" / "helm-versions.json"
    record.parent.mkdir(parents=True)
    record.write_text("[not, a, map", encoding="utf-8")
    assert locate.helm_version(private_helm)
