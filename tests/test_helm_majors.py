"""Helm 3 and Helm 4 give the same findings on this repository's own content.

Both pinned releases are installed by the README's test command
(``platecheck setup --helm-version 3 --helm-version 4``); ``install_helm`` returns at once when
a verified copy is already in the cache.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.helmbin import helm_major, install_helm


@pytest.fixture(scope="module")
def helms() -> dict[int, Path]:
    binaries = {major: install_helm(str(major)) for major in (3, 4)}
    assert {major: helm_major(path) for major, path in binaries.items()} == {3: 3, 4: 4}
    return binaries


def _findings(repo_root: Path, helm: Path, cache: Path) -> list[tuple[object, ...]]:
    report = lint(repo_root / "environments", helm=helm, cache_dir=cache)
    assert report.errors == ()
    return [(f.policy, f.level, f.target, f.resource, f.file, f.line, f.message)
            for f in report.findings]


def test_same_findings_with_both_majors(repo_root: Path, helms: dict[int, Path],
                                        tmp_path: Path) -> None:
    three = _findings(repo_root, helms[3], tmp_path / "cache3")
    four = _findings(repo_root, helms[4], tmp_path / "cache4")
    assert three == four


def test_same_resources_with_both_majors(repo_root: Path, helms: dict[int, Path],
                                         tmp_path: Path) -> None:
    def resources(helm: Path) -> dict[str, list[tuple[str, str, str | None]]]:
        model = load(repo_root / "environments", helm=helm, use_cache=False)
        return {r.id: [(res.kind, res.name, res.template) for res in r.resources]
                for r in model.rendered}

    three, four = resources(helms[3]), resources(helms[4])
    assert three == four
    assert sum(len(items) for items in three.values()) > 20
