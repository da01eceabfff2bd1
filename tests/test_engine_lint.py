"""engine.lint: policies from the registry, levels, the render cache and parallel rendering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import platecheck
from platecheck.cache import RENDERS
from platecheck.engine import lint, load
from platecheck.errors import PlatecheckError
from platecheck.model import Finding, Level, Report

# helm comes from the session fixture (PLATECHECK_HELM, PATH or the setup cache)
pytestmark = pytest.mark.usefixtures("helm_bin")

BASIC = Path(__file__).parent / "fixtures" / "repos" / "basic"
REMOTE_FINDING = Finding(
    policy="not-rendered",
    message="chart redis 18.1.0 from https://charts.example.com/stable is not rendered: its "
            "resources are not checked",
    file="apps/children/cache-prod.yaml",
    line=8,
    level=Level.ERROR,
    environment="prod",
    target="prod/cache",
    resource="Application/cache-prod",
    remediation="Vendor the chart into this repository (or accept it with ignoreRepoURLs in "
                "policies/platecheck.yaml, or waive it with a reason).",
)


# These tests are about the engine: only its own not-rendered policy runs.
pytestmark = pytest.mark.usefixtures("engine_policy_only")


@pytest.fixture(scope="module")
def cache_dir(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("renders")


@pytest.fixture(scope="module")
def cold(helm_bin: Path, cache_dir: Path) -> Report:
    return lint(BASIC / "apps" / "root.yaml", cache_dir=cache_dir)


def test_remote_source_yields_exactly_one_not_rendered_finding(cold: Report) -> None:
    assert cold.findings == (REMOTE_FINDING,)
    assert cold.errors == ()
    assert cold.exit_code == 1  # not rendered is not a pass unless configured so
    assert cold.policy_ids[0] == "not-rendered"


def test_second_run_renders_nothing(cold: Report, cache_dir: Path) -> None:
    assert (cold.renders, cold.cache_hits) == (8, 0)  # 4 templates + 4 lints
    warm = lint(BASIC / "apps" / "root.yaml", cache_dir=cache_dir)
    assert (warm.renders, warm.cache_hits) == (0, 8)
    assert warm.findings == cold.findings


def test_corrupt_cache_entry_is_rendered_again(cold: Report, cache_dir: Path,
                                               tmp_path: Path) -> None:
    copy = tmp_path / "renders"
    shutil.copytree(cache_dir, copy)
    entries = sorted((copy / RENDERS).rglob("*.json"))  # not helm-versions.json or problems
    assert len(entries) == 8
    entries[0].write_text('{"key": "truncat')
    entries[1].write_bytes(b"\xff\xfe garbage")
    again = lint(BASIC / "apps" / "root.yaml", cache_dir=copy)
    assert (again.renders, again.cache_hits) == (2, 6)
    assert again.findings == cold.findings
    assert (again.renders, again.cache_hits) != (0, 8)
    assert lint(BASIC / "apps" / "root.yaml", cache_dir=copy).renders == 0  # repaired


def test_no_cache_renders_everything(cold: Report) -> None:
    report = lint(BASIC / "apps" / "root.yaml", use_cache=False)
    assert (report.renders, report.cache_hits) == (8, 0)


def test_parallel_rendering_matches_serial() -> None:
    serial = load(BASIC, jobs=1, use_cache=False)
    parallel = load(BASIC, jobs=2, use_cache=False)
    assert [(r.id, r.manifest) for r in parallel.rendered] == [
        (r.id, r.manifest) for r in serial.rendered]
    assert len(parallel.rendered) == 4


def test_environment_filter(cache_dir: Path) -> None:
    report = lint(BASIC / "apps" / "root.yaml", environments=["stg"], cache_dir=cache_dir)
    assert report.findings == ()
    assert sorted(t.id for t in report.targets) == ["stg/api", "stg/web"]
    with pytest.raises(PlatecheckError, match=r"unknown environment 'qa' \(configured: "
                                              r"prod, stg, default\)"):
        lint(BASIC, environments=["qa"])


def test_one_environment_given_as_a_string_and_jobs_below_one(cache_dir: Path) -> None:
    report = platecheck.lint(BASIC, environments="prod", cache_dir=cache_dir)
    assert sorted(t.id for t in report.targets) == ["prod/api", "prod/cache", "prod/web"]
    assert report.findings == (REMOTE_FINDING,)
    model = load(BASIC, environments="stg", cache_dir=cache_dir)
    assert sorted(t.id for t in model.targets) == ["stg/api", "stg/web"]
    with pytest.raises(PlatecheckError, match=r"^jobs must be at least 1: 0$"):
        lint(BASIC, jobs=0)
    with pytest.raises(PlatecheckError, match=r"^jobs must be at most 64: 65$"):
        lint(BASIC, jobs=65)  # as --jobs 65 is refused, not run with 64


def test_level_from_configuration(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASIC, repo)
    (repo / "policies" / "platecheck.yaml").write_text(
        "policies:\n  not-rendered:\n    level: {prod: error}\n")
    report = lint(repo / "apps" / "root.yaml", cache_dir=tmp_path / "cache")
    assert [(f.policy, f.level) for f in report.findings] == [("not-rendered", Level.ERROR)]
    assert report.exit_code == 1
    (repo / "policies" / "platecheck.yaml").write_text(
        "policies:\n  not-rendered:\n    options: {ignoreRepoURLs: ['https://charts.example.com/*']}\n")
    assert lint(repo / "apps" / "root.yaml", cache_dir=tmp_path / "cache").findings == ()
    (repo / "policies" / "platecheck.yaml").write_text(
        "policies:\n  not-rendered: {level: off}\n")
    assert lint(repo / "apps" / "root.yaml", cache_dir=tmp_path / "cache").findings == ()

