"""End to end on a copy of this repository: clean as committed, and each typical mistake in a
values file yields exactly the expected finding at the line that was changed (real helm)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.model import Finding, Level, Report

CONTENT = ("helm", "environments", "policies")
WEB_PROD = "helm/applications/plate-web/values-prod.yaml"
WEB_STG = "helm/applications/plate-web/values-stg.yaml"
INGRESS_PROD = "helm/ingress/values-prod.yaml"


@dataclass(frozen=True)
class Mutation:
    file: str
    old: str  # text replaced (must occur exactly once)
    new: str
    policy: str
    changed_line: str  # the line of ``new`` the finding must point at
    message: str  # a part of the expected message


MUTATIONS = {
    "floating-tag": Mutation(WEB_PROD, 'tag: "1.25.5"', "tag: latest", "image-tag-pinned",
                             "tag: latest", 'uses floating tag "latest"'),
    "pull-always": Mutation(WEB_PROD, "  tag: \"1.25.5\"\n  pullPolicy: IfNotPresent",
                            "  tag: \"1.25.5\"\n  pullPolicy: Always", "pull-policy",
                            "pullPolicy: Always", "Always"),
    "limit-below-request": Mutation(WEB_PROD, "  limits:\n    cpu: 500m",
                                    "  limits:\n    cpu: 100m", "resource-ranges",
                                    "cpu: 100m", "below its request"),
    "memory-2GB": Mutation(WEB_PROD, "  limits:\n    cpu: 500m\n    memory: 512Mi",
                           "  limits:\n    cpu: 500m\n    memory: 2GB", "resource-ranges",
                           "memory: 2GB", '"2GB"'),
    "host-without-tls": Mutation(
        INGRESS_PROD, "\ntls:\n",
        "  - host: shop.cocdev.co.kr\n    paths:\n      - path: /\n        pathType: Prefix\n"
        "        service: plate-web\n        port: http\n\ntls:\n",
        "ingress-tls", "- host: shop.cocdev.co.kr", "shop.cocdev.co.kr"),
    "staging-only-key": Mutation(WEB_STG, "nginx:\n  errorLogLevel: info",
                                 "nginx:\n  errorLogLevel: info\n\nnodeSelector:\n  disk: ssd",
                                 "env-consistency", "  disk: ssd", "nodeSelector.disk"),
}


def _copy(repo_root: Path, destination: Path) -> Path:
    for name in CONTENT:
        shutil.copytree(repo_root / name, destination / name, symlinks=True)
    return destination


def _lint(root: Path, cache: Path) -> Report:
    return lint(root / "environments", cache_dir=cache)


def _key(finding: Finding) -> tuple[object, ...]:
    return (finding.policy, finding.level, finding.target, finding.file, finding.line,
            finding.message)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render-cache")


@pytest.fixture(scope="module")
def baseline(repo_root: Path, helm_bin: Path, cache: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _lint(_copy(repo_root, tmp_path_factory.mktemp("baseline")), cache)


def test_this_repository_is_clean(baseline: Report) -> None:
    assert baseline.errors == ()
    assert [f for f in baseline.findings if f.level is Level.ERROR] == []
    assert baseline.exit_code == 0
    # What is reported but allowed: the upstream charts it cannot render offline.
    assert {f.policy for f in baseline.findings} <= {"not-rendered"}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_yields_exactly_its_finding(name: str, repo_root: Path, baseline: Report,
                                             cache: Path, tmp_path: Path) -> None:
    mutation = MUTATIONS[name]
    root = _copy(repo_root, tmp_path)
    path = root / mutation.file
    text = path.read_text(encoding="utf-8")
    assert text.count(mutation.old) == 1, f"{mutation.old!r} not found once in {mutation.file}"
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    expected_line = lines.index(mutation.changed_line) + 1 if mutation.changed_line in lines \
        else next(i for i, line in enumerate(lines, 1) if line.strip() == mutation.changed_line)

    report = _lint(root, cache)

    assert report.errors == ()
    before = {_key(f) for f in baseline.findings}
    new = [f for f in report.findings if _key(f) not in before]
    assert [(f.policy, f.level, f.file, f.line) for f in new] == [
        (mutation.policy, Level.ERROR, mutation.file, expected_line)]
    assert mutation.message in new[0].message
    assert new[0].remediation
    assert report.exit_code == 1
