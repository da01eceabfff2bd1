"""``platecheck init``: the configuration it writes makes lint classify every Application as
the repository's hand-written configuration does (real helm renders)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from platecheck import engine
from platecheck.cli import main
from platecheck.config import Config

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
# each repository and the path lint is given; its policies/platecheck.yaml is the intent
REPOS = {
    "init/suffixes": "apps",
    "init/labels": "apps",
    "repos/basic": ".",
    "ci/shop": "apps",
    "beyond/repo": "environments",
    "repos/nested": ".",
}


def _targets(root: Path, path: str) -> list[str]:
    model = engine.load(root / path, root=root)
    return sorted(t.id for t in model.targets)


@pytest.mark.parametrize("name", sorted(REPOS))
def test_init_classifies_as_the_repository_intends(name: str, tmp_path: Path, helm_bin: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / name, repo)
    intended = _targets(repo, REPOS[name])
    (repo / "policies" / "platecheck.yaml").unlink()
    assert main(["init", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "wrote policies/platecheck.yaml"
    assert _targets(repo, REPOS[name]) == intended
    # what init showed is what lint does
    shown = sorted(line.split(" -> ")[1] for line in out.splitlines() if " -> " in line)
    assert [t for t in shown if t in intended] == intended


def test_suffixes_and_labels_give_the_environments(tmp_path: Path, helm_bin: Path) -> None:
    expected = {
        "init/suffixes": ["prod/api", "prod/tools", "prod/web", "stg/api", "stg/web"],
        "init/labels": ["canary/web-red", "dev/web-green", "prod/web-blue"],
    }
    for name, ids in expected.items():
        repo = tmp_path / name
        shutil.copytree(FIXTURES / name, repo)
        (repo / "policies" / "platecheck.yaml").unlink()
        assert main(["init", str(repo)]) == 0
        assert _targets(repo, "apps") == ids
        config = yaml.safe_load((repo / "policies" / "platecheck.yaml").read_text())
        assert [name for name, env in config["environments"].items()
                if env.get("production")] == ["prod"]


def test_dry_run_prints_and_writes_nothing(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/suffixes", repo)
    (repo / "policies" / "platecheck.yaml").unlink()
    assert main(["init", str(repo), "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert not (repo / "policies" / "platecheck.yaml").exists()
    config = yaml.safe_load(captured.out)
    assert config["environments"]["prod"]["match"]["names"] == ["*-production"]
    assert config["policies"]["env-consistency"]["options"]["pairs"] == [["stg", "prod"]]
    # the ranges are examples, left commented
    assert "#   cpu: {requestMin: 50m" in captured.out
    assert "resource-ranges" in config["policies"] and config["policies"]["resource-ranges"] is None
    assert re.search(r"^apps/tools.yaml:1 +tools -> prod/tools$", captured.err, re.MULTILINE)


def test_an_existing_configuration_is_not_overwritten(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/labels", repo)
    before = (repo / "policies" / "platecheck.yaml").read_text()
    assert main(["init", str(repo)]) == 2
    assert capsys.readouterr().err == (
        "platecheck: error: policies/platecheck.yaml: already exists; platecheck init does "
        "not overwrite it without --force (or print the proposal with --dry-run)\n")
    assert (repo / "policies" / "platecheck.yaml").read_text() == before
    assert main(["init", str(repo), "--force"]) == 0
    assert (repo / "policies" / "platecheck.yaml").read_text() != before


def test_a_config_option_naming_a_file_is_not_a_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not "cannot write: File exists" about a path under it, after the sources rendered."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/labels", repo)
    config = repo / "policies" / "platecheck.yaml"
    before = config.read_text()
    assert main(["init", str(repo), "--config", str(config), "--force"]) == 2
    assert capsys.readouterr().err == (
        f"platecheck: error: {config}: --config is not a directory; init writes "
        "platecheck.yaml into the directory it names\n")
    assert config.read_text() == before


def test_an_application_no_environment_claims_is_exit_1(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/suffixes", repo)
    (repo / "policies" / "platecheck.yaml").unlink()
    tools = repo / "apps" / "tools.yaml"
    tools.write_text(tools.read_text().replace("tools-production", "tools"))
    assert main(["init", str(repo)]) == 1
    captured = capsys.readouterr()
    assert re.search(r"^apps/tools.yaml:1 +tools -> not classified: no environment matches$",
                     captured.out, re.MULTILINE)
    assert captured.err == ("platecheck: 1 Application matches no environment: add a rule for it "
                            "to policies/platecheck.yaml\n")
    assert (repo / "policies" / "platecheck.yaml").is_file()


def test_applications_that_name_no_environment_get_the_usual_two_to_edit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No label, name or namespace says an environment: the file proposes production and
    staging as the built-in configuration has them (it loads, and lint runs with it), and
    init says which Applications match neither (exit 1); it was an error about a temporary
    file, and nothing was written."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/suffixes", repo)
    (repo / "policies" / "platecheck.yaml").unlink()
    for app in (repo / "apps").glob("*.yaml"):
        app.write_text(re.sub(r"-(production|prod|staging|stg)\b", "", app.read_text()))
    assert main(["init", str(repo)]) == 1
    captured = capsys.readouterr()
    assert "not classified: no environment matches" in captured.out
    written = yaml.safe_load((repo / "policies" / "platecheck.yaml").read_text())
    assert list(written["environments"]) == ["prod", "stg"]
    assert written["environments"]["prod"]["production"] is True
    engine.load(repo / "apps", root=repo)  # the configuration loads


def test_an_environment_left_without_rules_is_not_proposed(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``lost-staging`` deployed to ``lost-production``: the namespace rule of production
    would claim it, so it is dropped; production is then left with no rule, and an
    environment that matches nothing is not written (it was, as ``match: {}`` with a note
    about charts' values files)."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/suffixes", repo)
    (repo / "policies" / "platecheck.yaml").unlink()
    for app in (repo / "apps").glob("*.yaml"):
        if app.name != "api-staging.yaml":
            app.unlink()
    staged = repo / "apps" / "api-staging.yaml"
    staged.write_text(staged.read_text().replace("api-staging", "lost-staging")
                      .replace("namespace: shop-staging", "namespace: lost-production"))
    assert main(["init", str(repo)]) == 0
    assert re.search(r"^apps/api-staging.yaml:1 +lost-staging -> stg/lost$",
                     capsys.readouterr().out, re.MULTILINE)
    written = yaml.safe_load((repo / "policies" / "platecheck.yaml").read_text())
    assert written["environments"] == {"stg": {"match": {"names": ["*-staging"]}}}


def test_nothing_to_propose_from_is_a_one_line_error(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text("no applications here\n")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"platecheck: error: {tmp_path}: no Argo CD Application found, and no "
                   "chart with values files of environments; nothing to propose environments "
                   "from\n")
    assert main(["init", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == f"platecheck: error: {tmp_path / 'missing'}: path not found\n"


def test_a_file_that_cannot_be_read_is_left_out_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An Application file that does not parse (a template of another tool) stops nothing:
    the proposal is made from the others and written, the file named with its line, exit
    2; with nothing else to read, its error is the answer."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "init/suffixes", repo)
    (repo / "policies" / "platecheck.yaml").unlink()
    (repo / "apps" / "broken.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: <#if x>\n"
        "  bad: [\n")
    assert main(["init", str(repo)]) == 2
    captured = capsys.readouterr()
    assert re.search(r"^apps/web-production.yaml:1 +web-production -> prod/web$", captured.out,
                     re.MULTILINE)
    assert re.fullmatch(r"platecheck: left out, could not be read: apps/broken.yaml:\d+: .*\n"
                        r"platecheck: fix them, or, .* name them under exclude in "
                        r"platecheck.yaml .*\n", captured.err)
    assert (repo / "policies" / "platecheck.yaml").is_file()
    for app in (repo / "apps").glob("*.yaml"):
        if app.name != "broken.yaml":
            app.unlink()
    (repo / "policies" / "platecheck.yaml").unlink()
    assert main(["init", str(repo), "--dry-run"]) == 2
    assert re.fullmatch(r"platecheck: error: apps/broken.yaml:\d+: .*\n", capsys.readouterr().err)


def _chart_of_applications(repo: Path) -> None:
    chart = repo / "apps"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: apps\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("envs: [prod, staging]\n")
    (chart / "templates" / "apps.yaml").write_text(
        "{{- range .Values.envs }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: web-{{ . }}\n  namespace: argocd\nspec:\n  project: default\n"
        "  source:\n    repoURL: https://example.com/repo.git\n    path: web\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: web-{{ . }}\n"
        "{{- end }}\n")


def test_applications_a_chart_generates_are_proposed_for(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository whose only Applications are rendered by a chart of Applications."""
    _chart_of_applications(tmp_path)
    (tmp_path / "policies").mkdir()
    monkeypatch.setenv("PLATECHECK_HELM", str(helm_bin))
    assert main(["init", "--dry-run", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    written = yaml.safe_load(captured.out)
    assert sorted(written["environments"]) == ["prod", "stg"]
    assert sorted(line.split()[-1] for line in captured.err.splitlines() if " -> " in line) == [
        "prod/web", "stg/web"]
    assert "apps/templates/apps.yaml:" in captured.err
    # without helm, the sources are not rendered, and init says so
    monkeypatch.setenv("PLATECHECK_HELM", str(tmp_path / "no-helm"))
    assert main(["init", "--dry-run", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"platecheck: error: {tmp_path}: no Argo CD Application found, "
                          "and no chart with values files of environments; nothing to "
                          "propose environments from (the sources were not rendered: ")
    assert len(err.splitlines()) == 1


def test_sources_not_rendered_are_noted_and_the_files_applications_proposed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _chart_of_applications(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "web-prod.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
        "spec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: apps\n"
        "  destination:\n    namespace: web-prod\n")
    monkeypatch.setenv("PLATECHECK_HELM", str(tmp_path / "no-helm"))
    assert main(["init", "--dry-run", str(tmp_path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("platecheck: the sources were not rendered (")
    assert err[0].endswith("): the Applications they generate are not listed")
    assert [line.split()[-1] for line in err if " -> " in line] == ["prod/web"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_kustomize_base_the_overlays_rename_is_no_application_of_its_own(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``apps/base/web.yaml`` is listed by two overlays that prefix its name: Argo CD deploys
    ``prod-web`` and ``stg-web``, never ``web``, and lint checks only those; init proposes
    for those alone (before, ``web`` matched no environment: exit 1)."""
    from synthetic import application, write_files

    overlay = ("namePrefix: {env}-\nresources:\n- ../base\npatches:\n"
               "- target: {{kind: Application}}\n  patch: |-\n    - op: replace\n"
               "      path: /spec/destination/namespace\n      value: web-{env}\n")
    write_files(tmp_path, {
        ".git/HEAD": "",
        "apps/base/kustomization.yaml": "resources:\n- web.yaml\n",
        "apps/base/web.yaml": application("web", "manifests", "web"),
        "apps/prod/kustomization.yaml": overlay.format(env="prod"),
        "apps/stg/kustomization.yaml": overlay.format(env="stg"),
        "bootstrap/root-prod.yaml": application("root-prod", "apps/prod", "argocd"),
        "bootstrap/root-stg.yaml": application("root-stg", "apps/stg", "argocd"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    assert main(["init", "--dry-run", str(tmp_path)]) == 0
    assert sorted(line.split()[-1] for line in capsys.readouterr().err.splitlines()
                  if " -> " in line) == ["prod/root", "prod/web", "stg/root", "stg/web"]


def test_a_repository_of_charts_gets_the_environments_its_values_files_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Chart mode: no Application, charts with ``values-dev.yaml`` and ``values-prd.yaml``
    (and ``staging-values.yaml``; ``values-common.yaml`` names no environment): those
    environments are proposed, a word's other spelling by a name glob, and lint then renders
    each chart with its files."""
    for chart, files in (("one", ("values-dev.yaml", "values-prd.yaml")),
                         ("two", ("staging-values.yaml", "values-common.yaml"))):
        (tmp_path / chart / "templates").mkdir(parents=True)
        (tmp_path / chart / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {chart}\nversion: 0.1.0\n")
        (tmp_path / chart / "templates" / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n")
        for file in files:
            (tmp_path / chart / file).write_text(f"name: {chart}-{file.split('.')[0]}\n")
    (tmp_path / ".git").mkdir()
    assert main(["init", str(tmp_path)]) == 0
    capsys.readouterr()
    written = yaml.safe_load((tmp_path / "policies" / "platecheck.yaml").read_text())
    assert written["environments"] == {
        "prod": {"production": True, "match": {"names": ["*-prd"]}},
        "stg": {"match": {"names": ["*-staging"]}},
        "dev": {"match": {}}}
    model = engine.load(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert sorted((t.id, [v.rel for v in t.value_files]) for t in model.targets) == [
        ("dev/one", ["one/values-dev.yaml"]), ("prod/one", ["one/values-prd.yaml"]),
        ("stg/two", ["two/staging-values.yaml"])]


def test_namespaces_the_environments_rules_do_not_allow_are_proposed_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``web-production`` and ``web-staging`` deploy to namespace ``shop`` on their own
    clusters: init tells the environments apart by name, and proposes argocd-application's
    ``namespaces`` so that lint then passes the Applications it classified."""
    from synthetic import application

    (tmp_path / ".git").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    (tmp_path / "apps").mkdir()
    for name in ("web-production", "web-staging"):  # each to its own cluster
        (tmp_path / "apps" / f"{name}.yaml").write_text(application(name, "web", "shop").replace(
            "server: https://kubernetes.default.svc", f"name: {name.split('-')[1]}"))
    assert main(["init", str(tmp_path)]) == 0
    capsys.readouterr()
    written = yaml.safe_load((tmp_path / "policies" / "platecheck.yaml").read_text())
    assert written["policies"]["argocd-application"]["options"]["namespaces"] == {
        "prod": ["*-prod", "prod", "shop"], "stg": ["*-stg", "shop", "stg"]}
    report = engine.lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert [f.message for f in report.findings if f.policy == "argocd-application"] == []


def test_a_negated_environment_word_and_the_unclassified_namespaces_propose_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``shop-non-prod`` is no production Application (``non`` negates the word ``*-prod``
    matches): it is in an environment ``nonprod`` of its own; and the namespaces of unclassified
    Applications (``tools``), which argocd-application's namespace rule never checks, are not
    proposed as ``namespaces.default``."""
    from synthetic import application

    (tmp_path / ".git").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    (tmp_path / "apps").mkdir()
    for name, namespace in (("web-prod", "web-prod"), ("web-stg", "web-stg"),
                            ("shop-non-prod", "shop-nonprod"), ("cache", "tools")):
        (tmp_path / "apps" / f"{name}.yaml").write_text(application(name, "web", namespace))
    assert main(["init", str(tmp_path)]) == 1  # (an Application of no environment)
    out = capsys.readouterr().out
    assert "shop-non-prod -> nonprod/shop" in out
    written = yaml.safe_load((tmp_path / "policies" / "platecheck.yaml").read_text())
    assert "namespaces" not in (written["policies"].get("argocd-application") or {}).get(
        "options", {})
    report = engine.lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert sorted(t.id for t in report.targets) == [
        "default/cache", "nonprod/shop", "prod/web", "stg/web"]
    assert report.findings == ()


def test_an_environment_moved_ahead_keeps_the_others_name_rules(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``cache-prod`` labelled staging would be caught by production's ``*-prod`` name rule:
    staging is put ahead of production instead of dropping that rule, which would also stop
    it stripping ``-prod`` from ``web-prod`` and ``api-prod`` (they would not pair with
    ``web-stg`` and ``api-stg``)."""
    from synthetic import application

    (tmp_path / ".git").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    (tmp_path / "apps").mkdir()
    for name, env, namespace in (("web-prod", "prod", "web-prod"), ("api-prod", "prod", "api-prod"),
                                 ("web-stg", "staging", "web-stg"),
                                 ("api-stg", "staging", "api-stg"),
                                 ("cache-prod", "staging", "cache-stg")):
        (tmp_path / "apps" / f"{name}.yaml").write_text(application(name, "web", namespace).replace(
            "  namespace: argocd\n", f"  namespace: argocd\n  labels: {{env: {env}}}\n", 1))
    assert main(["init", str(tmp_path)]) == 0
    shown = sorted(line.split(" -> ")[1] for line in capsys.readouterr().out.splitlines()
                   if " -> " in line)
    assert shown == ["prod/api", "prod/web", "stg/api", "stg/cache-prod", "stg/web"]
    written = yaml.safe_load((tmp_path / "policies" / "platecheck.yaml").read_text())
    assert list(written["environments"]) == ["stg", "prod"]
    assert written["environments"]["prod"]["match"]["names"] == ["*-prod"]
    assert _targets(tmp_path, "apps") == shown


@pytest.mark.parametrize(("apps", "expected"), [
    # the environment word in the middle of the name, the namespace saying the same
    ((("db-prod-infra", "", "prod-infra"), ("db-staging-infra", "", "staging-infra")),
     ["prod/db-infra", "stg/db-infra"]),
    # a label value that is no known word, written in the names and namespaces too
    ((("web-prod", "prod", "web-prod"), ("web-impl", "impl", "web-impl")),
     ["impl/web", "prod/web"]),
    ((("prod-web", "prod", "web"), ("nonprod-web", "nonprod", "web")),
     ["nonprod/web", "prod/web"]),
    # a word in the middle that nothing else says is left alone (a tool, not a stage)
    ((("my-test-runner", "", "tools"), ("web-prod", "", "web-prod")),
     ["default/my-test-runner", "prod/web"]),
], ids=["middle-word", "label-value-suffix", "label-value-prefix", "middle-word-alone"])
def test_the_environment_word_is_taken_out_of_each_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        apps: tuple[tuple[str, str, str], ...], expected: list[str]) -> None:
    """The names an environment's Applications share once its word is taken out pair them
    with the other environment's, so env-consistency compares what is deployed twice."""
    from synthetic import application

    (tmp_path / ".git").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    (tmp_path / "apps").mkdir()
    for name, env, namespace in apps:
        labels = f"  labels: {{environment: {env}}}\n" if env else ""
        (tmp_path / "apps" / f"{name}.yaml").write_text(application(name, "web", namespace)
                                                        .replace("  namespace: argocd\n",
                                                                 "  namespace: argocd\n" + labels,
                                                                 1))
    main(["init", str(tmp_path)])
    capsys.readouterr()
    assert _targets(tmp_path, "apps") == expected


def test_init_renders_with_the_helm_and_cache_it_is_given(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--helm`` and ``--cache-dir`` are lint's: a helm that is not there leaves the sources
    unrendered, with the note; the one given renders them into the cache given."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web-prod.yaml": application("web-prod", "chart", "web-prod"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert main(["init", str(repo), "--dry-run", "--helm", str(tmp_path / "no-helm")]) == 0
    assert "the sources were not rendered" in capsys.readouterr().err
    cache = tmp_path / "cache"
    assert main(["init", str(repo), "--dry-run", "--helm", str(helm_bin),
                 "--cache-dir", str(cache)]) == 0
    assert "not rendered" not in capsys.readouterr().err
    assert any(cache.iterdir())


def _init_lines(repo: Path, helm_bin: Path, tmp_path: Path,
                capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What ``init --dry-run`` says on stderr: its notes and one line per Application."""
    main(["init", str(repo), "--dry-run", "--helm", str(helm_bin),
          "--cache-dir", str(tmp_path / "cache")])
    return capsys.readouterr().err.splitlines()


def _rooted(tmp_path: Path, files: dict[str, str]) -> Path:
    """A repository of ``files`` and the Application ``root`` deploying ``apps/``."""
    from synthetic import application, write_files

    return write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("root", "apps", "argocd"), **files})


def test_a_chart_of_applications_that_fails_to_render_is_noted(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Its Applications are not listed, and init says why (it said nothing)."""
    from synthetic import application

    repo = _rooted(tmp_path, {
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/apps.yaml": application("web-prod", "web", "web-prod"),
        "apps/templates/broken.yaml": "{{ required \"owner is required\" .Values.owner }}\n"})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert lines[0].startswith("platecheck: not rendered: default/root: "
                               "apps/templates/broken.yaml:1: ")
    assert lines[0].endswith("; the Applications it generates are not listed")
    assert [line.split()[-1] for line in lines if " -> " in line] == ["matches"]


def test_an_application_a_kustomization_applied_by_hand_lists_is_listed_once(
        tmp_path: Path, helm_bin: Path, kubectl_bin: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Its build outputs the file as written (the AppProject before it moves its line): one
    Application, as lint has one target (it was listed twice, once at the build's line)."""
    from synthetic import application, write_files

    project = ("---\napiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
               "  name: web\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n---\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web-prod.yaml": project + application("web-prod", "web",
                                                                     "web-prod"),
        "apps/kustomization.yaml": "resources:\n  - web-prod.yaml\n",
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert [line for line in lines if " -> " in line] == [
        "apps/web-prod.yaml:10  web-prod -> prod/web"]


def test_an_application_set_is_shown_by_the_target_id_lint_gives_it(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A set platecheck does not expand (a clusters generator) is a target of its own name:
    ``prod/web-prod``, which a waiver copied from init's line must name."""
    from synthetic import application_set, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application_set(
            "web-prod", "    - clusters: {}\n", "web-prod", "web", "web-prod")})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert [line.split()[-1] for line in lines if " -> " in line] == ["prod/web-prod"]
    report = engine.lint(repo, helm=str(helm_bin), cache_dir=tmp_path / "cache")
    assert [t.id for t in report.targets] == ["prod/web-prod"]


def test_a_file_name_s_line_break_starts_no_line_of_the_summary(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An Application file named with a line break is one line of the summary, escaped."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/x\n: y.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert [line for line in lines if "web-prod ->" in line] == [
        "apps/x\\x0a: y.yaml:1  web-prod -> prod/web"]
    assert not any(line.startswith(": y.yaml") for line in lines)


def test_a_child_that_names_no_environment_is_classified_in_its_parents(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As lint classifies it: the Application in the directory of ``apps-prod`` is
    production's, the one of ``apps-staging`` staging's (they were "not classified", and init
    failed for them)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **{
        path: text for env in ("prod", "staging") for path, text in (
            (f"bootstrap/apps-{env}.yaml", application(f"apps-{env}", f"apps/{env}", "argocd")),
            (f"apps/{env}/web.yaml", application(f"web-{env[0]}", "web", "web")))},
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert main(["init", str(repo), "--dry-run", "--helm", str(helm_bin),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(None, 1)[1] for line in lines if "web-" in line] == [
        "web-p -> prod/web-p", "web-s -> stg/web-s"]


@pytest.mark.parametrize(("prod", "staging"), [("prod", "staging"), ("prod-eu", "stag-eu")])
def test_roots_of_one_name_in_cluster_directories_are_classified_by_path(
        tmp_path: Path, helm_bin: Path, prod: str, staging: str) -> None:
    """Every cluster's root is ``root`` in ``argocd`` (no word of environments in names,
    labels or namespaces): init proposes ``paths`` of their directories (named with a word
    of environments, alone or with an affix), which classifies the roots and, through them,
    their children, and the instances of those directories (one Argo CD holds no two roots
    of one name): lint with the proposal says neither that a namespace guess of theirs is
    wrong nor that their names conflict."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **{
        path: text for env in (prod, staging) for path, text in (
            (f"clusters/{env}/root.yaml", application("root", f"clusters/{env}/apps",
                                                      "argocd")),
            (f"clusters/{env}/apps/web.yaml", application("web", "web", "web")))},
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert main(["init", str(repo), "--helm", str(helm_bin),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    text = (repo / "policies" / "platecheck.yaml").read_text()
    assert f'paths: ["clusters/{prod}"]' in text and f'paths: ["clusters/{staging}"]' in text
    # one Argo CD holds no two roots of one name: each cluster's directory is an instance
    assert "      namespaces:" not in text and (
        f'      instances:\n        {prod}: ["clusters/{prod}/**"]\n'
        f'        {staging}: ["clusters/{staging}/**"]\n') in text
    report = engine.lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert sorted(t.id for t in report.targets) == ["prod/web", "stg/web"]
    assert not [f for f in report.findings if f.policy == "argocd-application"]



def test_copies_of_one_layout_in_cluster_directories_are_instances(
        tmp_path: Path, helm_bin: Path) -> None:
    """``clusters/alpha`` and ``clusters/beta`` (no word of environments) each hold a root
    ``root`` and an Application ``web``, written alike: copies of one layout, each a
    cluster's own Argo CD, so init proposes an instance of each, and lint with the proposal
    says not that the names conflict (it said so for both); a name in two directories that
    differ in more than one name makes no instance, nor one name alone, nor a directory and
    its variant, nor copies in a directory that is no clusters' (``apps/``)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **{
        path: text for cluster in ("alpha", "beta") for path, text in (
            (f"clusters/{cluster}/root.yaml", application(
                "root", f"clusters/{cluster}/apps", "argocd")),
            (f"clusters/{cluster}/apps/web.yaml", application("web-prod", "web", "web")))},
        "other/one/x/api.yaml": application("api-prod", "web", "api"),
        "other/two/y/api.yaml": application("api-prod", "web", "api"),
        # one name copied is no layout; a directory and its variant are no two clusters
        "one/a/db.yaml": application("db-prod", "web", "db"),
        "one/b/db.yaml": application("db-prod", "web", "db"),
        **{f"variants/{name}/{app}.yaml": application(f"{app}-prod", "web", app)
           for name in ("seaweedfs", "seaweedfs_tolerant") for app in ("s3", "filer")},
        # two apps' copies of one pair of names, in no directory of clusters
        **{f"apps/{name}/{app}.yaml": application(f"{app}-prod", "web", app)
           for name in ("grafana", "prometheus") for app in ("ui", "store")},
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert len([f for f in engine.lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
                .findings if "also used by" in f.message]) == 2
    assert main(["init", str(repo), "--helm", str(helm_bin),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    text = (repo / "policies" / "platecheck.yaml").read_text()
    assert ('      instances:\n        alpha: ["clusters/alpha/**"]\n'
            '        beta: ["clusters/beta/**"]\n\n') in text
    report = engine.lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f for f in report.findings if "also used by" in f.message] == []


@pytest.mark.usefixtures("kubectl_bin")
def test_the_namespaces_listed_hold_those_of_applications_a_directory_classifies(
        tmp_path: Path, helm_bin: Path) -> None:
    """``infra-dev`` deploys to ``argocd``, which dev's rule does not allow, so init lists
    dev's namespaces; the ``loki`` its overlay deploys, classified by its directory, deploys
    to ``monitoring``: listed too, or lint held it to the list (it was not)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "root/dev.yaml": application("infra-dev", "infra/overlays/dev", "argocd"),
        "infra/overlays/dev/kustomization.yaml": "resources: [obs/app.yaml]\n",
        "infra/overlays/dev/obs/app.yaml": application("loki", "web", "monitoring"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert main(["init", str(repo), "--helm", str(helm_bin),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    text = (repo / "policies" / "platecheck.yaml").read_text()
    assert 'dev: ["*-dev", "argocd", "dev", "monitoring"]' in text
    report = engine.lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert not [f for f in report.findings if "destination namespace" in f.message]


def test_an_app_of_apps_of_another_repository_is_classified(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``root-stage`` deploys ``apps/stage`` of another repository: Argo CD reads that
    repository's directory, not this one's of that path, so root-stage is no app-of-apps of
    this checkout's web-stage but an Application lint checks (not rendered: another
    repository's): init proposes its name (it left it out, unclassified in lint)."""
    from synthetic import ORIGIN, application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "roots/stage.yaml": application("root-stage", "apps/stage", "argocd",
                                        repo="https://git.example.com/template.git"),
        "apps/stage/web.yaml": application("web-stage-eu", "chart", "web")})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert [" ".join(line.split()[1:]) for line in lines if " -> " in line] == [
        "web-stage-eu -> stg/web-stage-eu", "root-stage -> stg/root"]


@pytest.mark.parametrize(("apps", "expected"), [
    # a word of two: pre-prod is not prod's -prod
    ((("web-pre-prod", "web-pre-prod"), ("web-prod", "web-prod")),
     ["web-pre-prod -> preprod/web", "web-prod -> prod/web"]),
    # words of environments many repositories use
    ((("web-sit", "web-sit"), ("db-perf", "db"), ("ui-devel", "ui"),
      ("shop-non-prod", "shop")),
     ["db-perf -> perf/db", "shop-non-prod -> nonprod/shop", "ui-devel -> dev/ui",
      "web-sit -> sit/web"]),
    # the whole name a word
    ((("production", "web"), ("staging", "web")),
     ["production -> prod/production", "staging -> stg/staging"]),
], ids=["pre-prod", "more-words", "whole-name"])
def test_words_of_environments_are_known(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str],
        apps: tuple[tuple[str, str], ...], expected: list[str]) -> None:
    """Each Application is classified in the environment its name says (``web-pre-prod``
    was production's, ``*-prod``; the others were not classified)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n",
        **{f"apps/{name}.yaml": application(name, "web", namespace) for name, namespace in apps}})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert sorted(" ".join(line.split()[1:]) for line in lines if " -> " in line) == expected


def test_an_environment_only_the_app_of_apps_names_is_proposed(
        tmp_path: Path, helm_bin: Path) -> None:
    """``apps-uat`` deploys ``apps/``, whose web and api say no environment: they are in
    their parent's, as lint classifies them, so init proposes uat from the parent's name (it
    proposed the usual prod and stg, and web and api matched neither)."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "bootstrap/root.yaml": application("apps-uat", "apps", "argocd"),
        "apps/web.yaml": application("web", "web", "shop-web"),
        "apps/api.yaml": application("api", "web", "shop-api"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert main(["init", str(repo), "--helm", str(helm_bin),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    written = yaml.safe_load((repo / "policies" / "platecheck.yaml").read_text())
    assert written["environments"] == {"uat": {"match": {"names": ["*-uat"]}}}
    report = engine.lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert sorted(t.id for t in report.targets) == ["uat/api", "uat/web"]


def test_an_environment_word_in_the_file_name_classifies_by_the_file(
        tmp_path: Path, helm_bin: Path) -> None:
    """``app-set-prod.yaml`` and ``app-set-test.yaml`` hold one set each, both ``faf``,
    making ``web`` (FAForever/gitops-stack: one per cluster): nothing but the file's name
    says the environment, so init proposes the file as the environment's path and each as
    an instance; lint with it checks prod/web as production's, no name conflict."""
    from synthetic import application_set, write_files

    generators = "    - list:\n        elements:\n          - app: web\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "web/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
        "spec:\n  containers:\n    - name: c\n      image: nginx:latest\n",
        **{f"app-set-{env}.yaml": application_set("faf", generators, "{{app}}", "web", "web")
           for env in ("prod", "test")}})
    assert main(["init", str(repo), "--helm", str(helm_bin),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    written = yaml.safe_load((repo / "policies" / "platecheck.yaml").read_text())
    assert written["environments"]["prod"]["match"] == {"paths": ["app-set-prod.yaml"]}
    assert written["policies"]["argocd-application"]["options"]["instances"] == {
        "app-set-prod": ["app-set-prod.yaml"], "app-set-test": ["app-set-test.yaml"]}
    report = engine.lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.kind == "Application") == ["prod/web", "test/web"]
    assert [f.target for f in report.findings if f.policy == "image-tag-pinned"] == ["prod/web"]
    assert not any("also used by" in f.message for f in report.findings)


@pytest.mark.usefixtures("kubectl_bin")
def test_an_application_a_kustomize_app_of_apps_builds_as_written_is_listed_once(
        tmp_path: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``root`` deploys ``apps/``, a kustomization listing web.yaml: its build outputs web
    as written, the one Application lint knows (init listed it twice, at its first line and
    at its ``kind:`` line, and counted three Applications)."""
    from synthetic import application

    repo = _rooted(tmp_path, {
        "apps/kustomization.yaml": "resources: [web.yaml]\n",
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    lines = _init_lines(repo, helm_bin, tmp_path, capsys)
    assert [line.split()[0] for line in lines if " -> " in line] == [
        "apps/web.yaml:1", "root.yaml:1"]


_ARGOCD_CM = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n"
              "data:\n  kustomize.buildOptions: {}\n")


def _proposed_setting(tmp_path: Path, files: dict[str, str], key: str
                      ) -> tuple[list[str], Config]:
    """The lines of ``key`` init proposes for a repository of ``files`` beside one
    Application, and the configuration it writes, loaded."""
    from platecheck.init import propose
    from platecheck.policies import configuration
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n", **files})
    result = propose(repo, cache_dir=tmp_path / "cache")
    (repo / "policies").mkdir()
    (repo / "policies" / "platecheck.yaml").write_text(result.text)
    return [line for line in result.text.splitlines() if key in line], configuration(repo)


@pytest.mark.parametrize(("files", "written"), [
    ({"argocd/argocd-cm.yaml": _ARGOCD_CM.format(
        "--enable-helm --load-restrictor LoadRestrictionsNone")},
     'kustomizeBuildOptions: "--enable-helm --load-restrictor LoadRestrictionsNone"   # '
     "argocd-cm's kustomize.buildOptions (argocd/argocd-cm.yaml)"),
    ({"argocd/values.yaml": "configs:\n  cm:\n    kustomize.buildOptions: --enable-helm\n"},
     'kustomizeBuildOptions: "--enable-helm"   # argocd-cm\'s kustomize.buildOptions '
     "(argocd/values.yaml)"),
    ({"argocd/argocd-cm.yaml": _ARGOCD_CM.format("--enable-alpha-plugins")},
     '# kustomizeBuildOptions: "--enable-alpha-plugins"   # argocd-cm\'s '
     "kustomize.buildOptions (argocd/argocd-cm.yaml); it holds an option platecheck does not "
     "follow (plugins, exec functions, the network): keep those platecheck follows"),
    ({}, None),
], ids=["configmap", "chart-values", "not-followed", "none"])
def test_argocd_cm_s_build_options_are_proposed(tmp_path: Path, files: dict[str, str],
                                                written: str | None) -> None:
    """argocd-cm's ``kustomize.buildOptions`` (a ConfigMap, or the argo-cd chart's
    ``configs.cm``) is how Argo CD builds every Kustomize source: init proposes it as
    ``kustomizeBuildOptions`` (commented out, saying why, when platecheck does not follow
    one of its options), and the configuration it writes loads."""
    found, config = _proposed_setting(tmp_path, files, "kustomizeBuildOptions")
    assert found == ([] if written is None else [written])
    options = config.kustomize_build_options
    assert options == (("--enable-helm", "--load-restrictor=LoadRestrictionsNone")
                       if "Restrictions" in (written or "") else
                       ("--enable-helm",) if written and not written.startswith("#") else None)


_GLOBBING = ("newGitFileGlobbing: true   # applicationsetcontroller.enable.new.git.file.globbing "
             "({}): git files generators' paths are globs")


@pytest.mark.parametrize(("files", "written"), [
    ({"argocd/params.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                            "  name: argocd-cmd-params-cm\ndata:\n"
                            "  applicationsetcontroller.enable.new.git.file.globbing: 'true'\n"},
     _GLOBBING.format("argocd/params.yaml")),
    ({"argocd/values.yaml": "configs:\n  params:\n"
                            "    applicationsetcontroller.enable.new.git.file.globbing: true\n"},
     _GLOBBING.format("argocd/values.yaml")),
    ({"argocd/argocd.yaml": "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n"
                            "  name: argocd\nspec:\n  applicationSet:\n"
                            "    extraCommandArgs: [--enable-new-git-file-globbing]\n"},
     _GLOBBING.format("argocd/argocd.yaml")),
    ({"argocd/params.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                            "  name: argocd-cmd-params-cm\ndata:\n"
                            "  applicationsetcontroller.enable.new.git.file.globbing: 'false'\n"},
     None),
])
def test_the_new_git_file_globbing_is_proposed(tmp_path: Path, files: dict[str, str],
                                               written: str | None) -> None:
    """The ApplicationSet controller's new git file globbing, turned on by the repository's
    Argo CD (``argocd-cmd-params-cm``, the argo-cd chart's ``configs.params``, the Argo CD
    operator's ``extraCommandArgs``), changes what a git files generator names: init
    proposes ``newGitFileGlobbing: true``, and the configuration it writes loads."""
    found, config = _proposed_setting(tmp_path, files, "newGitFileGlobbing")
    assert found == ([] if written is None else [written])
    assert config.new_git_file_globbing is (written is not None)


def test_a_namespace_s_environment_outweighs_a_name_s_prefix(tmp_path: Path) -> None:
    """``dev-portal`` deployed to ``portal-live``: a word a name starts with is often a
    product's (a developer portal, a test runner), the production namespace says where it
    runs; a name's suffix (``web-dev``) still says its environment (``dev-portal`` was
    proposed in dev, and production's rules reached none of them)."""
    from platecheck.init import propose
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        "apps/portal.yaml": application("dev-portal", "web", "portal-live"),
        "apps/runner.yaml": application("test-runner", "web", "tools-live"),
        "apps/web.yaml": application("web-dev", "web", "web-dev")})
    result = propose(repo, cache_dir=tmp_path / "cache")
    assert sorted((c.application.name, c.environment) for c in result.classified) == [
        ("dev-portal", "prod"), ("test-runner", "prod"), ("web-dev", "dev")]


def test_dev_pre_pro_labels_say_development_preproduction_and_production(
        tmp_path: Path) -> None:
    """``environment: pro`` (Spanish-speaking teams' dev, pre, pro) is production: its
    policies apply there (it was proposed as an environment ``pro`` of no production); a
    name starting ``pre-`` says nothing (``pre-commit``)."""
    from platecheck.init import propose
    from synthetic import application, write_files

    def labelled(name: str, env: str) -> str:
        return application(name, "web", name).replace(
            "  namespace: argocd\n", f"  namespace: argocd\n  labels: {{environment: {env}}}\n")

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        "apps/a.yaml": labelled("shop-a", "pro"), "apps/b.yaml": labelled("shop-b", "pre"),
        "apps/c.yaml": labelled("shop-c", "dev"),
        "apps/d.yaml": application("pre-commit", "web", "tools")})
    result = propose(repo, cache_dir=tmp_path / "cache")
    assert '  prod:\n    production: true\n    match:\n      labels: {environment: ["pro"]}' \
        in result.text
    assert sorted((c.application.name, c.environment) for c in result.classified) == [
        ("pre-commit", None), ("shop-a", "prod"), ("shop-b", "preprod"), ("shop-c", "dev")]
