"""Waivers in real runs (helm included): which waivers a run can call stale, and the levels
the engine gives waiver findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.model import Report
from test_policies_mission import build_repo

# production's nginx runs a floating tag: one image-tag-pinned finding, in prod/web
FLOATING_PROD = {"edits": [{"file": "helm/applications/web/values-prod.yaml", "line": 3,
                            "text": "    tag: latest"}]}
WAIVERS = "policies/waivers.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render-cache")


def repo_with(tmp_path: Path, waivers: str, config: dict[str, object] | None = None) -> Path:
    repo = build_repo({**FLOATING_PROD, "config": config or {}}, tmp_path)
    (repo / WAIVERS).write_text("waivers:\n" + waivers)
    return repo


def run(repo: Path, helm_bin: Path, cache: Path, *paths: str,
        environments: list[str] | None = None) -> Report:
    report = lint([repo / p for p in paths or ("environments",)], helm=str(helm_bin),
                  cache_dir=cache, environments=environments)
    assert report.errors == ()
    return report


def waiver_rows(report: Report) -> list[tuple[str, str, int | None, str]]:
    return [(f.policy, f.level.value, f.line, f.message) for f in report.findings
            if f.policy.startswith("waiver-")]


def waived(report: Report) -> list[tuple[str, str | None, str | None]]:
    return [(f.policy, f.target, f.waived) for f in report.findings if f.waived]


TARGETED = """\
  - policy: pull-policy
    target: prod/web
    reason: no pull-policy finding anywhere
    expires: 2999-01-01
"""


def test_a_run_of_some_application_files_does_not_judge_waivers_of_other_targets(
        tmp_path: Path, helm_bin: Path, cache: Path) -> None:
    repo = repo_with(tmp_path, TARGETED)
    only_stg = run(repo, helm_bin, cache, "environments/argocd/apps/web-stg.yaml")
    assert [t.id for t in only_stg.targets] == ["stg/web"]
    assert waiver_rows(only_stg) == []
    everything = run(repo, helm_bin, cache)
    assert waiver_rows(everything) == [
        ("waiver-stale", "warning", 2,
         "waiver for pull-policy (target=prod/web) matched no finding")]


UNTARGETED = """\
  - policy: image-tag-pinned
    resource: Deployment/web-*
    reason: the nginx build is tagged next sprint
    expires: 2999-01-01
  - policy: image-tag-pinned
    file: helm/applications/web/values-prod.yaml
    reason: the same finding, selected by file
    expires: 2999-01-01
"""


def test_waivers_without_a_target_are_not_stale_in_an_environment_run(
        tmp_path: Path, helm_bin: Path, cache: Path) -> None:
    repo = repo_with(tmp_path, UNTARGETED)
    stg = run(repo, helm_bin, cache, environments=["stg"])
    assert (waived(stg), waiver_rows(stg)) == ([], [])
    # the whole run: the first waiver applies, and both are in use
    everything = run(repo, helm_bin, cache)
    assert (waived(everything), waiver_rows(everything)) == (
        [("image-tag-pinned", "prod/web", "the nginx build is tagged next sprint")], [])


def test_a_waiver_whose_target_matches_no_target_is_stale_even_in_a_partial_run(
        tmp_path: Path, helm_bin: Path, cache: Path) -> None:
    repo = repo_with(tmp_path, TARGETED.replace("prod/web", "prod/wbe"))
    stg = run(repo, helm_bin, cache, environments=["stg"])
    assert waiver_rows(stg) == [
        ("waiver-stale", "warning", 2,
         "waiver for pull-policy (target=prod/wbe) matched no finding")]


EXPIRED = """\
  - policy: pull-policy
    target: prod/web
    reason: gone
    expires: 2020-01-01
"""


@pytest.mark.parametrize("config, rows", [
    ({}, [("waiver-expired", "error", 2,
           "waiver for pull-policy (target=prod/web) expired on 2020-01-01: gone"),
          ("waiver-stale", "warning", 6,
           "waiver for pull-policy (target=prod/web) matched no finding")]),
    ({"waiver-expired": {"level": "warning"}, "waiver-stale": {"level": "error"}},
     [("waiver-expired", "warning", 2,
       "waiver for pull-policy (target=prod/web) expired on 2020-01-01: gone"),
      ("waiver-stale", "error", 6, "waiver for pull-policy (target=prod/web) matched no finding")]),
    ({"waiver-expired": {"level": "off"}, "waiver-stale": {"level": "off"}}, []),
], ids=["defaults", "configured", "off"])
def test_waiver_findings_take_their_level_from_configuration(
        config: dict[str, object], rows: list[tuple[str, str, int, str]], tmp_path: Path,
        helm_bin: Path, cache: Path) -> None:
    repo = repo_with(tmp_path, EXPIRED + TARGETED, config)
    assert waiver_rows(run(repo, helm_bin, cache)) == rows


def test_a_resource_copied_from_the_finding_waives_it(tmp_path: Path, helm_bin: Path,
                                                      cache: Path) -> None:
    repo = repo_with(tmp_path, "  - policy: image-tag-pinned\n"
                               "    resource: Deployment/web-prod[nginx]\n"
                               "    reason: copied\n    expires: 2999-01-01\n")
    report = run(repo, helm_bin, cache)
    assert [(f.resource, f.waived) for f in report.findings if f.policy == "image-tag-pinned"] \
        == [("Deployment/web-prod[nginx]", "copied")]
    assert waiver_rows(report) == []


@pytest.mark.parametrize(("waived_containers", "outcome"), [
    (("migrate",), None),  # backend's share is not waived; the waiver is in use all the same
    (("web",), None),
    (("web", "migrate"), "each container waived"),
])
def test_a_finding_of_several_containers_is_waived_when_each_of_them_is(
        tmp_path: Path, helm_bin: Path, waived_containers: tuple[str, ...],
        outcome: str | None) -> None:
    """Containers whose floating tag one values line sets share one finding ("also init
    container migrate"): a waiver naming any of them matches it (never stale), and the
    finding is waived only when every container it stands for is."""
    from test_sources import DIRECTORY_APP, write_files

    deploy = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
              "  selector: {matchLabels: {app: web}}\n  template:\n"
              "    metadata: {labels: {app: web}}\n    spec:\n"
              "      initContainers:\n        - name: migrate\n"
              "          image: nginx:{{ .Values.tag }}\n"
              "      containers:\n        - name: web\n          image: nginx:{{ .Values.tag }}\n")
    waivers = "".join(f"  - policy: image-tag-pinned\n    container: {name}\n"
                      "    reason: each container waived\n    expires: 2999-01-01\n"
                      for name in waived_containers)
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="chart"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "tag: latest\n", "chart/templates/deploy.yaml": deploy,
        WAIVERS: "waivers:\n" + waivers})
    (repo / ".git").mkdir()
    report = lint(repo, helm=str(helm_bin), cache_dir=tmp_path / "cache")
    assert report.errors == ()
    [finding] = [f for f in report.findings if f.policy == "image-tag-pinned"]
    assert finding.message == ('container "web" in Deployment/web uses floating tag "latest" '
                               '(also init container "migrate" in Deployment/web)')
    assert finding.waived == outcome
    assert waiver_rows(report) == []


def test_a_waiver_of_a_policy_comparing_environments_is_judged_by_a_whole_run(
        tmp_path: Path, helm_bin: Path, cache: Path) -> None:
    """env-consistency's finding about stg/web depends on prod/web's render: a run of
    staging alone (``--env stg``) cannot tell that a waiver of it matched nothing, though it
    checked every stg target; a run of every target can."""
    repo = repo_with(tmp_path, "  - policy: env-consistency\n    target: stg/*\n"
                               "    reason: staging keeps a debug key\n"
                               "    expires: 2999-01-01\n")
    assert waiver_rows(run(repo, helm_bin, cache, environments=["stg"])) == []
    [(policy, _, line, _)] = waiver_rows(run(repo, helm_bin, cache))
    assert (policy, line) == ("waiver-stale", 2)


def test_a_waiver_of_two_applications_deploying_one_object_is_not_stale_in_a_partial_run(
        tmp_path: Path) -> None:
    """web and api both deploy ClusterRole/shared; the finding is web's, and a waiver takes
    it. A run of web's Application file alone does not render api, so it cannot know the
    finding: the waiver is in use, not stale (deleting it would fail the next full run)."""
    from synthetic import application, repository

    role = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
            "  name: shared\nrules: []\n")
    repo = repository(tmp_path, {
        **{f"apps/{name}.yaml": application(name, f"charts/{name}", name)
           for name in ("api", "web")},
        **{f"charts/{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
           for name in ("api", "web")},
        **{f"charts/{name}/templates/role.yaml": role for name in ("api", "web")},
        WAIVERS: "waivers:\n  - policy: argocd-application\n    target: default/web\n"
                 "    reason: api hands the role over next sprint\n"
                 "    expires: 2999-01-01\n"})
    full = lint(repo, use_cache=False)
    assert [(f.policy, f.target, f.waived) for f in full.findings if f.waived] == [
        ("argocd-application", "default/web", "api hands the role over next sprint")]
    assert waiver_rows(full) == []
    partial = lint(repo / "apps/web.yaml", use_cache=False)
    assert [t.id for t in partial.targets] == ["default/web"]
    assert waiver_rows(partial) == []
