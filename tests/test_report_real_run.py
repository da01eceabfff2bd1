"""The reports of a real lint of this repository's environments/ with the real helm."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from platecheck.engine import lint
from platecheck.model import Level, Report
from platecheck.pytest_plugin import REPOSITORY, plan_items
from platecheck.report import junit
from platecheck.report.common import count, summary_line
from report_samples import schema_path


@pytest.fixture(scope="module")
def real(repo_root: Path, helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    cache = tmp_path_factory.mktemp("real-run-cache")
    return lint(repo_root / "environments", helm=helm_bin, cache_dir=cache)


def test_junit_has_the_cases_of_the_pytest_plugin(real: Report, repo_root: Path) -> None:
    out = junit.render(real)
    xmlschema.XMLSchema(str(schema_path("junit-10.xsd"))).validate(out)
    got = {
        (case.get("classname"), case.get("name"))
        for case in ET.fromstring(out.encode("utf-8")).iter("testcase")
    }
    environment = {t.id: t.environment for t in real.targets}
    expected = set()
    for collector, specs in plan_items(real).items():
        for spec in specs:
            if collector == REPOSITORY:
                expected.add((REPOSITORY, spec.policy))
            else:
                expected.add((environment[collector], f"{collector}::{spec.policy}"))
    assert got == expected
    # what that is on this repository: no case for a target that is not rendered here
    remote = [t.id for t in real.targets if not t.rendered_here]
    assert remote
    assert not any(name.startswith(f"{t}::") for t in remote for _, name in got)
    rendered = sum(t.rendered_here for t in real.targets)
    target_scope = {"image-tag-pinned", "pull-policy", "resource-ranges", "ingress-tls",
                    "k8s-schema", "unknown-kind"}
    assert {name.split("::")[1] for suite, name in got if suite != REPOSITORY} == target_scope
    assert {name for suite, name in got if suite == REPOSITORY} == (
        set(real.policy_ids) - target_scope
    )
    assert len(got) == rendered * len(target_scope) + len(set(real.policy_ids) - target_scope)


def test_junit_repository_cases_hold_every_finding_of_their_policy(real: Report) -> None:
    root = ET.fromstring(junit.render(real).encode("utf-8"))
    (repository,) = [s for s in root.findall("testsuite") if s.get("name") == REPOSITORY]
    not_rendered = [f for f in real.findings if f.policy == "not-rendered"]
    assert not_rendered and all(f.level is not Level.ERROR or f.waived for f in not_rendered)
    case = repository.find("testcase[@name='not-rendered']")
    assert case is not None
    heads = [line for line in (case.findtext("system-out") or "").splitlines()
             if not line.startswith(" ")]
    assert len(heads) == len(not_rendered) == 9
    assert all(f"{f.file}:{f.line}: " in "\n".join(heads) for f in not_rendered)


def test_summary_counts_helm_runs(real: Report) -> None:
    # a cold cache: every helm template and helm lint ran
    renderable = sum(t.rendered_here for t in real.targets)
    assert real.cache_hits == 0 and real.renders > renderable
    assert summary_line(count(real)).endswith(
        f" in {len(real.targets)} targets ({real.renders} helm runs, 0 cached)"
    )
