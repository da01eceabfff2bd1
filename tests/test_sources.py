"""Every Application of the source fixtures (tests/fixtures/sources/<case>) is checked, with
the exact findings each case expects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.model import Report
from platecheck.report.common import count, summary_line

pytestmark = pytest.mark.usefixtures("helm_bin")

SOURCES = Path(__file__).parent / "fixtures" / "sources"


def _findings(report: Report) -> list[tuple[str, str, str | None, str]]:
    return [(f.location, f.policy, f.target, f.message) for f in report.findings]


def test_unclassified_application_is_rendered_and_checked(tmp_path: Path) -> None:
    report = lint(SOURCES / "unclassified", cache_dir=tmp_path)
    assert report.errors == ()
    assert [(t.id, t.unclassified, t.production) for t in report.targets] == [
        ("default/cache", True, False)]
    assert _findings(report) == [
        ("charts/cache/templates/deployment.yaml:21", "resource-ranges", "default/cache",
         'container "redis" in Deployment/cache: sets no cpu request or cpu limit')]
    assert report.exit_code == 1
    assert summary_line(count(report)).startswith(
        "1 error, 0 warnings, 0 waived in 1 target, 1 unclassified Application (")


def test_require_environment_keeps_an_unclassified_application_an_error(
        tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "unclassified", repo)
    with (repo / "policies" / "platecheck.yaml").open("a") as config:
        config.write("requireEnvironment: true\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.exit_code == 2
    assert report.targets == ()
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/cache.yaml:1", "Application 'cache' matches no configured environment (prod, "
         "stg) and requireEnvironment is set; label it, or add a match rule in "
         "policies/platecheck.yaml")]
