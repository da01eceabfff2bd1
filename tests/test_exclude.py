"""``exclude`` in policies/platecheck.yaml: globs of repository paths the walk for
Applications leaves out (another tool's templates that declare an Application kind); a path
given on the command line is read all the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import load
from platecheck.errors import PlatecheckError
from synthetic import application, repository

BROKEN = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: <#if x>\n  a: [\n"


def _repo(tmp_path: Path, config: str | None) -> Path:
    return repository(tmp_path, {
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "templates/app.ftl.yaml": BROKEN,
        **({"policies/platecheck.yaml": config} if config is not None else {})})


def test_the_walk_leaves_out_what_exclude_names(helm_bin: Path, tmp_path: Path) -> None:
    model = load(_repo(tmp_path, None), helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in model.errors] == [("templates/app.ftl.yaml", 6)]
    root = _repo(tmp_path / "again", 'exclude: ["*.ftl.yaml"]\n')
    model = load(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [t.id for t in model.targets] == ["prod/web"]
    # named on the command line, it is read all the same
    model = load(root / "templates" / "app.ftl.yaml", root=root, helm=helm_bin,
                 cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in model.errors] == [("templates/app.ftl.yaml", 6)]


@pytest.mark.parametrize(("config", "line"), [
    ("exclude: {a: b}\n", 1),
    ("exclude:\n  - ok/*\n  - /etc/*\n", 3),
    ("exclude: ['']\n", 1),
])
def test_exclude_is_globs_of_repository_paths(tmp_path: Path, config: str, line: int) -> None:
    with pytest.raises(PlatecheckError) as refused:
        load(_repo(tmp_path, config), cache_dir=tmp_path / "cache")
    assert (refused.value.file, refused.value.line) == ("policies/platecheck.yaml", line)
