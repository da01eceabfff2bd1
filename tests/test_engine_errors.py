"""Everything that cannot be checked is an error (exit 2) naming file:line, and one broken
target does not hide the others."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from parser_words import PARSER, hide_parser_words
from platecheck.engine import lint, load
from platecheck.errors import PlatecheckError
from platecheck.model import Report
from platecheck.report import render
from platecheck.report.common import count

# helm comes from the session fixture (PLATECHECK_HELM, PATH or the setup cache)
pytestmark = pytest.mark.usefixtures("helm_bin")

FIXTURES = Path(__file__).parent / "fixtures" / "repos"
BROKEN = FIXTURES / "broken"


# These tests are about the engine: only its own not-rendered policy runs.
pytestmark = pytest.mark.usefixtures("engine_policy_only")


@pytest.fixture(scope="module")
def report(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return lint(BROKEN, cache_dir=tmp_path_factory.mktemp("cache"))


def test_every_problem_is_reported_once_with_its_location(report: Report) -> None:
    errors = [(e.location, e.target, hide_parser_words(e.message)) for e in report.errors
              if e.target != "prod/failing"]
    assert errors == [
        ("apps/badname.yaml:11", "prod/badname",
         "release name 'Bad_Name' is not a valid DNS-1123 name (lowercase letters, digits and "
         "'-', at most 53)"),
        ("apps/badref.yaml:11", "prod/badref",
         "value file '$nothing/values.yaml' not found (values.yaml); Argo CD reads it as "
         "'/values.yaml' ($ref/ paths need spec.sources with a ref source)"),
        ("apps/escape.yaml:12", "prod/escape",
         "value file '../../../outside.yaml' resolved to outside the repository root"),
        ("apps/malformed.yaml:6", None, PARSER),
        ("apps/missing.yaml:13", "prod/missing",
         "value file 'values-nope.yaml' not found (charts/ok/values-nope.yaml)"),
        ("apps/path-escape.yaml:9", "prod/path-escape",
         "source path 'charts/../../elsewhere' leaves the repository"),
        ("apps/url.yaml:12", "prod/url",
         "value file 'https://example.com/values.yaml' is a URL; platecheck renders offline and "
         "does not fetch it, so this Application is not rendered"),
        ("charts/ok/values-broken.yaml:2", "prod/badvalues",
         f"{PARSER} (value file of Application 'badvalues-prod')"),
        ("charts/ok/values-latin1.yaml:1", "prod/latin1",
         "not valid UTF-8 (byte 0xe9) (value file of Application 'latin1-prod')"),
    ]
    assert {e.policy for e in report.errors} == {"could-not-check"}
    assert all(e.remediation for e in report.errors)
    assert report.exit_code == 2


def test_render_failure_carries_helm_stderr(report: Report) -> None:
    [failure] = [e for e in report.errors if e.target == "prod/failing"]
    assert failure.location == "charts/failing/templates/cm.yaml:6"  # the line helm names
    assert failure.message.startswith("helm template failed: ")
    assert "failing/templates/cm.yaml:6:56" in failure.message
    assert "\n" not in failure.message
    assert failure.detail is not None and failure.detail.startswith("Error: ")


def test_other_targets_are_still_checked(report: Report) -> None:
    assert sorted(t.id for t in report.targets) == [
        "default/orphan", "prod/badname", "prod/failing", "prod/ignored", "prod/kustomized",
        "prod/ok", "prod/tenants"]
    assert [(f.location, f.target, f.message) for f in report.findings] == [
        ("apps/appset.yaml:7", "prod/tenants", "ApplicationSet tenants is not rendered: its "
         "resources are not checked (platecheck does not expand a clusters generator)"),
    ]


def test_ignore_missing_value_files_renders_with_the_files_that_exist(tmp_path: Path) -> None:
    model = load(BROKEN / "apps" / "ignored.yaml", cache_dir=tmp_path)
    [target] = model.rendered
    assert [v.rel for v in target.target.value_files] == ["charts/ok/values-prod.yaml"]
    assert target.resources[0].doc["data"] == {"message": "prod"}
    assert model.errors == ()


def test_symlinked_value_file_leaving_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BROKEN, repo)
    outside = tmp_path / "outside.yaml"
    outside.write_text("message: secret\n")
    link = repo / "charts" / "ok" / "values-prod.yaml"
    link.unlink()
    os.symlink(outside, link)
    model = load(repo / "apps" / "ok.yaml", use_cache=False)
    assert [(e.location, e.message) for e in model.errors] == [
        ("apps/ok.yaml:11", "value file 'values-prod.yaml' resolved to outside the repository "
         "root")]
    assert model.rendered == ()


def test_render_timeout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BROKEN, repo)
    (repo / "policies" / "platecheck.yaml").write_text("renderTimeout: 0.001\n")
    model = load(repo / "apps" / "ok.yaml", use_cache=False)
    # the lint ran out of time too: one cause, one error
    assert [(e.location, e.message) for e in model.errors] == [
        ("apps/ok.yaml:1", "helm template charts/ok: timed out after 0.001 s")]


def test_usage_errors_raise(tmp_path: Path) -> None:
    with pytest.raises(PlatecheckError, match="path not found"):
        load(tmp_path / "nope")
    with pytest.raises(PlatecheckError, match="not inside the repository"):
        load([BROKEN / "apps", FIXTURES / "basic"])
    with pytest.raises(PlatecheckError, match="no such file"):
        load(BROKEN / "apps" / "ok.yaml", helm=str(tmp_path / "helm"))


def test_a_target_whose_value_file_does_not_read_is_counted(report: Report,
                                                            tmp_path: Path) -> None:
    """An Application whose value file does not read is no RenderTarget (it could not be
    planned), but it is a target the summary counts, with the error that names it."""
    from synthetic import application, write_files

    def app(env: str) -> str:
        return application(f"app-{env}", "charts/app", f"app-{env}", source_extra=(
            f"    helm:\n      valueFiles: [values-{env}.yaml]\n"))

    root = write_files(tmp_path / "repo", {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: app\n",
        "charts/app/values-prod.yaml": "replicas: [1\n",
        "charts/app/values-stg.yaml": "replicas: 1\n",
        "apps/app-prod.yaml": app("prod"), "apps/app-stg.yaml": app("stg"),
    })
    for _ in ("cold", "warm"):
        small = lint(root, cache_dir=tmp_path / "cache")
        assert [(e.target, e.file) for e in small.errors] == [
            ("prod/app", "charts/app/values-prod.yaml")]
        assert [t.id for t in small.targets] == ["stg/app"]
        assert (count(small).not_checked, count(small).targets) == (1, 2)
        assert json.loads(render(small, "json"))["summary"]["targets"] == 2
        assert " could not be checked in 2 targets (" in render(small, "text")
        assert small.exit_code == 2
    # an environment not asked for: what could not be checked of it is left out too, but
    # where env-consistency compares the run's with it (its error then of no target)
    for _ in ("cold", "warm"):
        stg = lint(root, cache_dir=tmp_path / "cache", environments=["stg"])
        assert ([(e.target, e.file) for e in stg.errors], [t.id for t in stg.targets],
                stg.exit_code) == ([(None, "charts/app/values-prod.yaml")], ["stg/app"], 2)
        assert (count(stg).not_checked, count(stg).targets) == (1, 1)
        (root / "policies").mkdir(exist_ok=True)
        (root / "policies/platecheck.yaml").write_text(
            "policies:\n  env-consistency:\n    level: {stg: \"off\"}\n")
        alone = lint(root, cache_dir=tmp_path / "cache", environments=["stg"])
        (root / "policies/platecheck.yaml").unlink()
        assert (alone.errors, [t.id for t in alone.targets], alone.exit_code) == (
            (), ["stg/app"], 0)
        assert (count(alone).not_checked, count(alone).targets) == (0, 1)
        prod = lint(root, cache_dir=tmp_path / "cache", environments=["prod"])
        assert [(e.target, prod.exit_code) for e in prod.errors] == [("prod/app", 2)]
    # the broken repository's Applications that could not be planned count too
    unplanned = {e.target for e in report.errors} - {t.id for t in report.targets} - {None}
    assert sorted(unplanned) == ["prod/badref", "prod/badvalues", "prod/escape", "prod/latin1",
                                 "prod/missing", "prod/path-escape", "prod/url"]
    assert count(report).targets == len(report.targets) + 7 == 14


def test_a_chart_linted_directly_renders_under_a_release_name_helm_accepts(
        tmp_path: Path, helm_bin: Path) -> None:
    """No Application names the release of a chart linted directly: it is the chart's name,
    made a name helm accepts where it is not one (``cluster_issuer``), not a could-not-check
    error about a name platecheck chose."""
    from synthetic import write_files

    root = write_files(tmp_path / "repo", {
        "modules/cluster_issuer/Chart.yaml": (
            "apiVersion: v2\nname: cluster_issuer\nversion: 0.1.0\n"),
        "modules/cluster_issuer/templates/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
    })
    report_ = lint(root / "modules" / "cluster_issuer", cache_dir=tmp_path / "cache",
                   helm=helm_bin)
    assert report_.errors == ()
    model = load(root / "modules" / "cluster_issuer", cache_dir=tmp_path / "cache",
                 helm=helm_bin)
    assert {(t.id, t.release_name) for t in model.targets} == {
        ("prod/cluster_issuer", "cluster-issuer"), ("stg/cluster_issuer", "cluster-issuer")}
    assert {r.ref for rendered in model.rendered for r in rendered.resources} == {
        "ConfigMap/cluster-issuer"}


@pytest.mark.parametrize(("entry", "why"), [("nope.txt", "does not exist"),
                                            ("templates", "is a directory")])
def test_a_file_parameter_helm_cannot_read_is_an_error_at_its_entry(
        tmp_path: Path, entry: str, why: str) -> None:
    """A ``fileParameters`` path that is no file: helm's ``--set-file`` fails, and so does
    Argo CD's render; the error is at the entry, not at the Application's first line."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "broken" / "charts" / "ok", repo / "charts" / "ok")
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
        "spec:\n  project: default\n  source:\n"
        "    repoURL: https://git.example.com/platform.git\n    path: charts/ok\n"
        f"    helm:\n      fileParameters:\n        - name: x\n          path: {entry}\n"
        "  destination:\n    server: https://kubernetes.default.svc\n"
        "    namespace: web-prod\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/web.yaml:12", f"fileParameters 'x': '{entry}' {why}, so helm's --set-file "
         "cannot read it and Argo CD cannot render this source")]


def test_an_application_name_the_api_server_refuses_is_named_not_its_tail(
        tmp_path: Path, helm_bin: Path) -> None:
    """``web_App-staging`` on a Helm source without ``helm.releaseName``: the API server
    refuses the Application's name, so Argo CD renders nothing of it; the error names that
    name at its line, not a release name made of what follows the ``_`` (``App-staging``)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/web.yaml": application("web_App-staging", "chart", "web"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    [error] = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin).errors
    assert error.location == "apps/web.yaml:4"
    assert error.message.startswith("Application name 'web_App-staging' is not a lowercase "
                                    "RFC 1123 subdomain"), error.message


@pytest.mark.usefixtures("helm_bin")
def test_a_file_name_that_is_no_utf8_is_read(tmp_path: Path) -> None:
    """An Application file and a chart template whose names are no UTF-8 (Latin-1 bytes, as
    Git stores them): the run keys them by their bytes and checks them (it stopped with an
    internal error)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n"})
    (repo / "apps").mkdir()
    (repo / "apps" / os.fsdecode(b"w\xe9b.yaml")).write_text(
        application("web-prod", "chart", "web-prod"))
    (repo / "chart" / "templates").mkdir()
    (repo / "chart" / "templates" / os.fsdecode(b"p\xffod.yaml")).write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:latest\n")
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [(r.id, [res.ref for res in r.resources]) for r in model.rendered] == [
        ("prod/web", ["Pod/p"])]



@pytest.mark.parametrize("files, location", [
    ({"chart/charts/README.md": "notes\n"}, "chart/charts/README.md"),
    ({"chart/.helmignore": "*\n!templates/\n!templates/cm.yaml\n"}, "chart/.helmignore"),
], ids=["a-stray-file-in-charts", "a-helmignore-leaving-chart-yaml-out"])
def test_a_chart_helm_cannot_load_is_an_error_at_the_file_that_stops_it(
        tmp_path: Path, helm_bin: Path, files: dict[str, str], location: str) -> None:
    """helm's loader says which entry of charts/ it could not unpack, or that Chart.yaml is
    missing where .helmignore leaves it out: the error is at that file (it was at the
    Application)."""
    from synthetic import CM, application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "chart", "web-prod"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": CM.format(name="web"), **files})
    [error] = load(repo, helm=helm_bin, cache_dir=tmp_path / "cache").errors
    assert (error.location, error.target) == (location, "prod/web")
