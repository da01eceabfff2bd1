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


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads `helm version` runs in, one entry per process started."""
    import threading

    started: list[str] = []
    real = locate._run_version

    def counted(helm: Path, *args: str) -> object:
        started.append(threading.current_thread().name)
        return real(helm, *args)

    monkeypatch.setattr(locate, "_run_version", counted)
    return started


def test_version_asked_in_the_background_once(private_helm: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    started = _counting(monkeypatch)
    with locate.version_asked(private_helm):
        assert locate.helm_version(private_helm) == locate.helm_version(private_helm)
    assert len(started) == 1 and started[0] != threading.main_thread().name
    assert locate._asking == {}
    monkeypatch.setattr(locate, "_versions", {})  # a new process: the answer was remembered
    with locate.version_asked(private_helm):
        assert locate._asking == {}  # known: nothing asked
    assert len(started) == 1


def test_version_asked_of_what_is_not_helm_is_reported_by_whoever_needs_it(
        private_helm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platecheck.errors import PlatecheckError

    private_helm.unlink()
    private_helm.write_text("#!/bin/sh\necho nonsense\n", encoding="utf-8")
    private_helm.chmod(0o755)
    started = _counting(monkeypatch)
    with locate.version_asked(private_helm):
        pass  # the background question fails quietly, and the block waits for it
    assert started
    with pytest.raises(PlatecheckError, match="not a usable helm"):
        locate.helm_version(private_helm)
    with locate.version_asked(private_helm.parent / "missing"):
        pass  # no helm there: nothing asked, nothing raised


def test_a_cold_lint_asks_helm_its_version_once(tmp_path: Path, private_helm: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from platecheck.engine import lint
    from synthetic import generate

    root = tmp_path / "repo"
    generate(root, 1)
    started = _counting(monkeypatch)
    report = lint(root / "environments", helm=private_helm, cache_dir=tmp_path / "renders")
    assert not report.errors and report.renders > 0
    assert len(started) == 1
