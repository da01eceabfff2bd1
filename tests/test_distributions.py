"""Installed distributions as importlib.metadata finds them, read without importing it."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from platecheck import distributions

INSTALLED = ["PyYAML", "jsonschema", "referencing", "kubernetes-validate", "google-re2",
             "pytest", "platecheck"]


@pytest.mark.parametrize("name", INSTALLED)
def test_versions_of_installed_distributions_are_importlib_metadatas(name: str) -> None:
    assert distributions.version(name) == importlib.metadata.version(name)


def _dist(site: Path, directory: str, version: str) -> None:
    info = site / directory
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: x\nVersion: {version}\n\n"
                                   "Version: not a header\n")


@pytest.fixture()
def path(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    saved = list(sys.path)
    monkeypatch.setattr(sys, "path", saved)
    return saved


def test_the_first_distribution_on_the_path_is_the_one(tmp_path: Path, path: list[str]) -> None:
    _dist(tmp_path / "a", "Some.Thing-2.0.dist-info", "2.0")
    _dist(tmp_path / "b", "some_thing-1.0.dist-info", "1.0")
    path[:0] = [str(tmp_path / "a"), str(tmp_path / "b")]
    assert distributions.version("some-thing") == "2.0" == importlib.metadata.version(
        "some-thing")
    path[:2] = [str(tmp_path / "b"), str(tmp_path / "a")]
    assert distributions.version("SOME_thing") == "1.0" == importlib.metadata.version(
        "SOME_thing")


def test_an_archive_on_the_path_is_read_by_importlib_metadata(tmp_path: Path,
                                                              path: list[str]) -> None:
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped-3.1.dist-info/METADATA", "Name: zipped\nVersion: 3.1\n")
    path.insert(0, str(archive))
    with pytest.raises(distributions.Undecided):
        list(distributions.metadata_dirs())
    assert distributions.version("zipped") == "3.1"


def test_a_distribution_that_is_not_installed_is_an_import_error() -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        distributions.version("no-such-distribution-here")
