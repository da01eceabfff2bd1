"""--changed-since: which files git reports, and which targets they choose."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from platecheck.changed import COUNTERPART, changed_files, config_dir_in, select
from platecheck.errors import PlatecheckError
from platecheck.model import Application, Chart, RenderTarget, Report, ValuesFile
from security_helpers import CRD_TEMPLATE
from synthetic import application, write_files


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` isolated from the environment a caller (e.g. a git hook) set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL=os.devnull)
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                            check=True)
    return result.stdout


def make_repo(root: Path, files: dict[str, str], *, branch: str = "main",
              origin: str | None = None) -> Path:
    """A Git repository of ``files`` in one commit on ``branch``, with an ``origin`` remote
    when given."""
    write_files(root, files)
    git(root, "init", "-q", "-b", branch)
    if origin is not None:
        git(root, "remote", "add", "origin", origin)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


# --- the model side: targets built by hand --------------------------------------------------

ROOT = Path("/repo")


def target(env: str, app: str, chart: str, values: tuple[str, ...], app_file: str | None,
           deps: tuple[str, ...] = ()) -> RenderTarget:
    chart_obj = Chart(path=ROOT / chart, rel=chart, name=app, version="0.1.0", api_version="v2",
                      metadata={"dependencies": [{"name": d, "repository": f"file://{d}"}
                                                 for d in deps]})
    application = None if app_file is None else Application(
        name=f"{app}-{env}", file=app_file, line=1, namespace="argocd", labels={},
        annotations={}, project="default", destination_namespace=f"plate-{env}",
        destination_server=None, sources=(), sync_policy=None, ignore_differences=(), raw={})
    return RenderTarget(
        id=f"{env}/{app}", environment=env, app=app, application=application, chart=chart_obj,
        release_name=app, namespace=f"plate-{env}",
        value_files=tuple(ValuesFile(path=ROOT / v, rel=v, data={}, lines={}) for v in values))


SHARED = "environments/shared/common-values.yaml"
TARGETS = (
    target("stg", "web", "helm/web", (SHARED, "helm/web/values-stg.yaml"), "apps/web-stg.yaml",
           deps=("../lib",)),
    target("prod", "web", "helm/web", (SHARED, "helm/web/values-prod.yaml"),
           "apps/web-prod.yaml", deps=("../lib",)),
    target("stg", "api", "helm/api", (SHARED, "helm/api/values-stg.yaml"), "apps/api-stg.yaml"),
    target("prod", "api", "helm/api", (SHARED, "helm/api/values-prod.yaml"),
           "apps/api-prod.yaml"),
    target("stg", "llm", "helm/llm", ("helm/llm/values-stg.yaml",), "apps/llm-stg.yaml"),
    target("stg", "tools", "helm/tools", (), None),
)


def chosen(*changed: str) -> dict[str, str]:
    return dict(select(TARGETS, changed, ref="main", root=ROOT).reasons)


def test_a_production_values_file_chooses_its_target_and_the_staging_counterpart() -> None:
    assert chosen("helm/web/values-prod.yaml") == {
        "stg/web": COUNTERPART,
        "prod/web": "helm/web/values-prod.yaml",
    }


def test_a_chart_file_chooses_every_target_rendering_that_chart() -> None:
    assert chosen("helm/api/templates/deployment.yaml") == {
        "stg/api": "helm/api/templates/deployment.yaml",
        "prod/api": "helm/api/templates/deployment.yaml",
    }


def test_the_charts_own_values_and_schema_are_chart_changes() -> None:
    for path in ("helm/web/values.yaml", "helm/web/values.schema.json"):
        assert chosen(path) == {"stg/web": path, "prod/web": path}


def test_a_charts_own_values_one_target_names_still_chooses_every_target_of_it() -> None:
    """``web-prod`` lists the chart's ``values.yaml`` among its value files; helm reads it
    for ``web-stg`` too, so both are chosen."""
    targets = [target("stg", "web", "helm/web", (), "apps/web-stg.yaml"),
               target("prod", "web", "helm/web", ("helm/web/values.yaml",),
                      "apps/web-prod.yaml")]
    assert dict(select(targets, ["helm/web/values.yaml"], ref="main", root=ROOT).reasons) == {
        "stg/web": "helm/web/values.yaml", "prod/web": "helm/web/values.yaml"}


def test_a_vendored_subcharts_values_one_target_names_chooses_every_target_of_the_chart(
        ) -> None:
    """helm reads ``charts/sub/values.yaml`` whenever it renders ``web``: a target naming it
    as a value file does not make it that target's input only."""
    sub = "helm/web/charts/sub/values.yaml"
    targets = [target("prod", "web", "helm/web", (), "apps/web-prod.yaml"),
               target("stg", "sub", "helm/web/charts/sub", (sub,), "apps/sub-stg.yaml")]
    assert dict(select(targets, [sub], ref="main", root=ROOT).reasons) == {
        "prod/web": sub, "stg/sub": sub}


def test_findings_of_no_target_in_a_chosen_chart_are_kept() -> None:
    """helm lint runs with a chosen target's values: what it says of the chart's templates is
    about the change, and so is nothing of a chart no chosen target renders."""
    from platecheck.model import Finding

    selection = select(TARGETS, ["helm/web/values-prod.yaml"], ref="main", root=ROOT)

    def lint_warning(file: str) -> Finding:
        return Finding(policy="chart-lint-warning", message="object name does not conform",
                       file=file, line=None)

    assert [selection.keeps(lint_warning(f)) for f in (
        "helm/web/templates/cm.yaml", "helm/api/templates/cm.yaml", "helm/webx/a.yaml")] == [
        True, False, False]


def test_a_file_deleted_since_the_ref_chooses_every_target() -> None:
    """A glob or an ``ignoreMissingValueFiles`` entry read the file: nothing the targets
    read now says which, so every target is chosen."""
    gone = "env/prod/pin.yaml"
    assert set(select(TARGETS, [gone], ref="main", root=ROOT, deleted=[gone]).reasons) == {
        t.id for t in TARGETS}


def test_an_application_a_chosen_render_generates_is_chosen() -> None:
    """The parent's values feed its child (a values line, a patch): a child of the tree a
    chosen target renders is chosen with it; one of another tree is not."""
    import dataclasses

    parent = target("stg", "root", "apps-chart", ("apps-chart/values.yaml",), "root.yaml")
    children = [dataclasses.replace(t, application=dataclasses.replace(
        t.application, deployed_by=top)) for t, top in (
        (target("prod", "web", "helm/web", (), "apps-chart/templates/web.yaml"), "root.yaml"),
        (target("prod", "api", "helm/api", (), "other/templates/api.yaml"), "other.yaml"))]
    assert dict(select([parent, *children], ["apps-chart/values.yaml"], ref="main",
                       root=ROOT).reasons) == {
        "stg/root": "apps-chart/values.yaml", "prod/web": "generated through stg/root"}


def test_a_sibling_a_set_makes_is_not_chosen_by_the_others_values_file() -> None:
    """Two Applications one ApplicationSet (apps/set.yaml) makes: one is chosen by its
    values file; the other, of a values file of its own, is not (it was, with every sibling:
    a change of one child's chart chose a whole app-of-apps)."""
    import dataclasses

    made = [dataclasses.replace(t, application=dataclasses.replace(
        t.application, deployed_by="apps/set.yaml")) for t in (
        target("stg", "web", "helm/web", ("helm/web/values-stg.yaml",), "apps/set.yaml"),
        target("stg", "api", "helm/api", ("helm/api/values-stg.yaml",), "apps/set.yaml"))]
    assert dict(select(made, ["helm/web/values-stg.yaml"], ref="main", root=ROOT).reasons) == {
        "stg/web": "helm/web/values-stg.yaml"}


def test_what_a_chosen_child_renders_is_chosen_and_its_siblings_are_not() -> None:
    """``root.yaml`` renders the Applications mid and web; mid's chart renders leaf in
    turn. A change of mid's values chooses mid and leaf, generated through it, not web, whose
    chart is its own."""
    import dataclasses

    def made(t: RenderTarget, by: tuple[str, int] | None) -> RenderTarget:
        assert t.application is not None
        return dataclasses.replace(t, application=dataclasses.replace(
            t.application, deployed_by="root.yaml", made_by=by))

    tree = [target("prod", "root", "apps", ("apps/values.yaml",), "root.yaml"),
            made(target("prod", "mid", "mid", ("mid/values.yaml",), "apps/templates/mid.yaml"),
                 ("root.yaml", 1)),
            made(target("prod", "web", "web", ("web/values.yaml",), "apps/templates/web.yaml"),
                 ("root.yaml", 1)),
            made(target("prod", "leaf", "leaf", (), "mid/templates/leaf.yaml"),
                 ("apps/templates/mid.yaml", 1))]
    assert dict(select(tree, ["mid/values.yaml"], ref="main", root=ROOT).reasons) == {
        "prod/mid": "mid/values.yaml", "prod/leaf": "generated through prod/mid"}
    assert set(select(tree, ["apps/values.yaml"], ref="main", root=ROOT).reasons) == {
        "prod/root", "prod/mid", "prod/web", "prod/leaf"}


def test_a_directory_holding_jsonnet_depends_on_the_whole_repository(tmp_path: Path) -> None:
    """A Jsonnet file may import any file of the repository (its ``libs``, ``../``): a
    directory source holding one is chosen by a change anywhere; a plain one is not."""
    import dataclasses

    from platecheck.model import SourceType

    for name, text in (("j/main.jsonnet", "{}"), ("p/cm.yaml", "{}"), ("lib/k.libsonnet", "{}")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    made = [dataclasses.replace(target("prod", app, app, (), f"apps/{app}.yaml"), chart=None,
                                source_type=SourceType.DIRECTORY, source_dir=tmp_path / app)
            for app in ("j", "p")]
    assert dict(select(made, ["lib/k.libsonnet"], ref="main", root=tmp_path).reasons) == {
        "prod/j": "lib/k.libsonnet"}


def test_a_helm_value_file_a_jsonnet_source_may_import_chooses_it(tmp_path: Path) -> None:
    """``overlay/prod/values.yaml`` a Helm Application's value file and a file a Jsonnet
    source may import: a change of it chooses both (it was left out of the Jsonnet source's
    inputs, as another environment's value file is of a chart's)."""
    import dataclasses

    from platecheck.model import SourceType

    for name in ("j/main.jsonnet", "overlay/prod/values.yaml", "c/Chart.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    jsonnet = dataclasses.replace(target("prod", "j", "j", (), "apps/j.yaml"), chart=None,
                                  source_type=SourceType.DIRECTORY, source_dir=tmp_path / "j")
    chart = target("prod", "c", "c", ("overlay/prod/values.yaml",), "apps/c.yaml")
    assert dict(select([jsonnet, chart], ["overlay/prod/values.yaml"], ref="main",
                       root=tmp_path).reasons) == {
        "prod/j": "overlay/prod/values.yaml", "prod/c": "overlay/prod/values.yaml"}


def test_what_a_symbolic_link_of_a_source_leads_to_is_an_input_of_it(tmp_path: Path) -> None:
    """A directory source's manifest linked to a shared file (and a chart's helper linked to
    one) is chosen by a change of that file; a symbolic link that changed (a source path
    retargeted) chooses every target."""
    import dataclasses

    from platecheck.model import SourceType

    for name in ("shared/cm.yaml", "shared/_helpers.tpl", "other/cm.yaml", "p/own.yaml",
                 "c/templates/x.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    (tmp_path / "p" / "cm.yaml").symlink_to("../shared/cm.yaml")
    (tmp_path / "c" / "templates" / "_helpers.tpl").symlink_to("../../shared/_helpers.tpl")
    (tmp_path / "helm").mkdir()
    (tmp_path / "helm" / "a").symlink_to("../other", target_is_directory=True)
    plain = dataclasses.replace(target("prod", "p", "p", (), "apps/p.yaml"), chart=None,
                                source_type=SourceType.DIRECTORY, source_dir=tmp_path / "p")
    chart = target("prod", "c", "c", (), "apps/c.yaml")
    assert dict(select([plain, chart], ["shared/cm.yaml"], ref="main", root=tmp_path).reasons
                ) == {"prod/p": "shared/cm.yaml"}
    assert dict(select([plain, chart], ["shared/_helpers.tpl"], ref="main",
                       root=tmp_path).reasons) == {"prod/c": "shared/_helpers.tpl"}
    assert dict(select([plain, chart], ["other/cm.yaml"], ref="main", root=tmp_path).reasons
                ) == {}
    assert dict(select([plain, chart], ["helm/a"], ref="main", root=tmp_path).reasons) == {
        "prod/p": "helm/a", "prod/c": "helm/a"}


def test_a_local_dependency_of_requirements_yaml_chooses_the_chart(tmp_path: Path) -> None:
    """An apiVersion v1 chart declares its ``file://`` dependency in requirements.yaml, which
    helm reads: a change in that chart chooses the target, as one Chart.yaml declares does."""
    import dataclasses

    for name, text in (("charts/a/Chart.yaml", "apiVersion: v1\nname: a\nversion: 0.1.0\n"),
                       ("charts/a/requirements.yaml",
                        "dependencies:\n  - name: b\n    repository: file://../b\n"),
                       ("charts/b/Chart.yaml", "apiVersion: v1\nname: b\nversion: 0.1.0\n")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    made = target("prod", "a", "charts/a", (), "apps/a.yaml")
    assert made.chart is not None
    made = dataclasses.replace(made, chart=dataclasses.replace(
        made.chart, path=tmp_path / "charts/a", metadata={}))
    assert dict(select([made], ["charts/b/templates/deploy.yaml"], ref="main",
                       root=tmp_path).reasons) == {"prod/a": "charts/b/templates/deploy.yaml"}


def test_a_values_file_no_target_names_counts_as_a_chart_change() -> None:
    # a template could read it with .Files.Get; choosing too much is safe, too little is not
    assert chosen("helm/web/values-dev.yaml") == {
        "stg/web": "helm/web/values-dev.yaml", "prod/web": "helm/web/values-dev.yaml"}


def test_a_local_dependency_chart_chooses_the_charts_that_use_it() -> None:
    assert chosen("helm/lib/templates/_labels.tpl") == {
        "stg/web": "helm/lib/templates/_labels.tpl",
        "prod/web": "helm/lib/templates/_labels.tpl",
    }


def test_an_application_file_chooses_its_target() -> None:
    assert chosen("apps/llm-stg.yaml") == {"stg/llm": "apps/llm-stg.yaml"}


def test_a_shared_values_file_chooses_everything_that_uses_it() -> None:
    assert chosen(SHARED) == {t: SHARED for t in ("stg/web", "prod/web", "stg/api", "prod/api")}


def test_a_policy_change_chooses_everything() -> None:
    selection = select(TARGETS, ["policies/waivers.yaml", "README.md"], ref="main", root=ROOT)
    assert selection.ids == {t.id for t in TARGETS}
    assert selection.describe() == "changed-since main: all 6 targets (policies/waivers.yaml)"


def test_a_policy_directory_elsewhere_is_honoured() -> None:
    reasons = select(TARGETS, ["ci/policy/platecheck.yaml"], ref="main", root=ROOT,
                     config_dir="ci/policy").reasons
    assert len(reasons) == len(TARGETS)
    assert select(TARGETS, ["policies/x.yaml"], ref="main", root=ROOT,
                  config_dir="ci/policy").reasons == {}


def test_unrelated_files_choose_nothing_and_say_so() -> None:
    selection = select(TARGETS, ["README.md", "src/platecheck/cli.py"], ref="v1", root=ROOT)
    assert selection.reasons == {}
    assert selection.describe() == (
        "changed-since v1: no target uses the 2 changed files; nothing to lint")
    assert select(TARGETS, [], ref="v1", root=ROOT).describe() == (
        "changed-since v1: no changed files; nothing to lint")


def test_a_similar_prefix_is_not_inside_the_chart() -> None:
    assert chosen("helm/web-next/values.yaml", "helm/webhook.yaml") == {}


def test_the_description_names_each_target_and_why_in_target_order() -> None:
    selection = select(TARGETS, ["helm/web/values-prod.yaml", "apps/api-stg.yaml"], ref="main",
                       root=ROOT)
    assert selection.describe() == (
        "changed-since main: stg/web (counterpart for env-consistency), "
        "prod/web (helm/web/values-prod.yaml), stg/api (apps/api-stg.yaml), "
        "prod/api (counterpart for env-consistency)")


def test_config_dir_relative_to_the_root(tmp_path: Path) -> None:
    assert config_dir_in(tmp_path, None) == "policies"
    assert config_dir_in(tmp_path, tmp_path / "ci" / "pol") == "ci/pol"
    assert config_dir_in(tmp_path / "repo", tmp_path / "elsewhere") is None


# --- the git side ---------------------------------------------------------------------------

@pytest.fixture()
def history(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", {
        "helm/web/values-prod.yaml": "replicas: 2\n",
        "helm/web/values-stg.yaml": "replicas: 1\n",
        "README.md": "hello\n",
    })
    git(root, "checkout", "-q", "-b", "feature")
    (root / "helm/web/values-prod.yaml").write_text("replicas: 3\n")
    git(root, "commit", "-q", "-am", "more replicas")
    return root


def test_files_changed_on_the_branch_since_the_ref(history: Path) -> None:
    assert changed_files(history, "main") == ("helm/web/values-prod.yaml",)


def test_commits_on_the_ref_after_the_branch_left_it_do_not_count(history: Path) -> None:
    git(history, "checkout", "-q", "main")
    (history / "README.md").write_text("changed on main\n")
    git(history, "commit", "-q", "-am", "docs")
    git(history, "checkout", "-q", "feature")
    assert changed_files(history, "main") == ("helm/web/values-prod.yaml",)


def test_uncommitted_staged_and_untracked_changes_count(history: Path) -> None:
    (history / "helm/web/values-stg.yaml").write_text("replicas: 5\n")
    (history / "README.md").write_text("staged\n")
    git(history, "add", "README.md")
    (history / "helm/web/values-dev.yaml").write_text("new: true\n")
    (history / ".gitignore").write_text("*.log\n")
    (history / "debug.log").write_text("ignored\n")
    assert changed_files(history, "HEAD") == (
        ".gitignore", "README.md", "helm/web/values-dev.yaml", "helm/web/values-stg.yaml")


def test_renames_count_as_both_names(history: Path) -> None:
    git(history, "mv", "helm/web/values-stg.yaml", "helm/web/values-staging.yaml")
    assert changed_files(history, "HEAD") == (
        "helm/web/values-staging.yaml", "helm/web/values-stg.yaml")


def test_paths_are_relative_to_a_root_below_the_top_of_the_work_tree(tmp_path: Path) -> None:
    top = make_repo(tmp_path / "top", {"gitops/helm/a/values.yaml": "a: 1\n", "x.txt": "x\n"})
    (top / "gitops/helm/a/values.yaml").write_text("a: 2\n")
    (top / "x.txt").write_text("y\n")
    assert changed_files(top / "gitops", "HEAD") == ("helm/a/values.yaml",)


@pytest.mark.parametrize("command", ["changed", "base"])
def test_a_directory_shaped_as_a_git_repository_runs_none_of_its_commands(
        tmp_path: Path, command: str) -> None:
    """The checked directory ``envs/`` (a root of its own: it holds ``policies/``) is shaped
    as a git repository, committed: ``HEAD``, ``objects/``, ``refs/`` and a ``config`` whose
    ``core.fsmonitor`` is a command. git is bound to the checkout's own ``.git``, so it never
    takes ``envs/`` for a repository, and the command never runs."""
    from platecheck.basetree import export

    inner = make_repo(tmp_path / "inner", {"a.txt": "a\n"})
    marker = tmp_path / "ran"
    files = {"envs/policies/.keep": "", "envs/HEAD": (inner / ".git" / "HEAD").read_text(),
             "envs/config": "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
                            f"\tworktree = .\n\tfsmonitor = \"touch {marker}; false\"\n"}
    write_files(tmp_path / "repo", files)
    for part in ("objects", "refs"):
        shutil.copytree(inner / ".git" / part, tmp_path / "repo" / "envs" / part)
    repo = make_repo(tmp_path / "repo", {})
    (repo / "envs" / "web.yaml").write_text("a: 1\n")  # a change git looks at
    if command == "changed":
        assert changed_files(repo / "envs", "HEAD") == ("web.yaml",)
    else:
        export(repo / "envs", "HEAD", tmp_path / "export")
        assert (tmp_path / "export" / "HEAD").is_file()  # envs/ of the checkout, as committed
    assert not marker.exists()


@pytest.mark.parametrize("ref, message", [
    ("--output=/tmp/x", "--changed-since: not a git revision: '--output=/tmp/x'"),
    ("-p", "--changed-since: not a git revision: '-p'"),
    ("", "--changed-since: not a git revision: ''"),
    ("no-such-branch", "--changed-since: 'no-such-branch' is not a commit in this repository"),
    ("main:README.md", "--changed-since: 'main:README.md' is not a commit in this repository"),
])
def test_bad_refs_are_one_line_errors(history: Path, ref: str, message: str) -> None:
    with pytest.raises(PlatecheckError) as raised:
        changed_files(history, ref)
    assert raised.value.message == message


def test_outside_a_git_work_tree(tmp_path: Path) -> None:
    with pytest.raises(PlatecheckError) as raised:
        changed_files(tmp_path, "main")
    assert str(raised.value) == f"{tmp_path}: --changed-since needs a git work tree"


# --- end to end: this repository's content in a git history ---------------------------------

@pytest.fixture(scope="module")
def content_history(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    """A copy of helm/, environments/ and policies/ with a second commit that changes only
    plate-web's production values."""
    root = tmp_path_factory.mktemp("content") / "repo"
    for part in ("helm", "environments", "policies"):
        shutil.copytree(repo_root / part, root / part)
    make_repo(root, {})
    values = root / "helm/applications/plate-web/values-prod.yaml"
    values.write_text(values.read_text() + "\n# reviewed\n")
    git(root, "commit", "-q", "-am", "plate-web: production values")
    return root


def test_a_production_values_commit_lints_that_app_in_both_environments(
        content_history: Path, helm_bin: Path, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from platecheck.cli import main

    code = main(["lint", str(content_history / "environments"), "--changed-since", "HEAD~1",
                 "--cache-dir", str(tmp_path), "--format", "json"])
    out, err = capsys.readouterr()
    assert err == (
        "platecheck: changed-since HEAD~1: prod/plate-web "
        "(helm/applications/plate-web/values-prod.yaml), "
        "stg/plate-web (counterpart for env-consistency)\n")
    assert [t["id"] for t in json.loads(out)["targets"]] == ["prod/plate-web", "stg/plate-web"]
    assert code == 0


def test_changed_since_checks_the_chosen_targets_rendering_the_rest_from_the_cache(
        content_history: Path, helm_bin: Path, tmp_path: Path) -> None:
    """Every target is rendered (a parent chart can generate a changed child), from the
    cache when unchanged; only the chosen ones are checked and reported."""
    from platecheck.engine import lint

    cache = tmp_path / "cache"
    full = lint(content_history / "environments", cache_dir=cache)
    report = lint(content_history / "environments", changed_since="HEAD~1", cache_dir=cache)
    assert [t.id for t in report.targets] == ["prod/plate-web", "stg/plate-web"]
    assert report.renders == 0 and report.cache_hits == full.renders + full.cache_hits
    assert {f.target for f in report.findings} <= {"prod/plate-web", "stg/plate-web", None}


@pytest.mark.parametrize("ref", ["--help", ""])  # "": an unset CI variable, not a full lint
def test_a_bad_ref_exits_2_with_one_line(content_history: Path, helm_bin: Path, ref: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from platecheck.cli import main

    code = main(["lint", str(content_history / "environments"), f"--changed-since={ref}"])
    assert capsys.readouterr().err == (
        f"platecheck: error: --changed-since: not a git revision: {ref!r}\n")
    assert code == 2


def test_a_ref_a_shallow_clone_lacks_says_the_clone_is_shallow(tmp_path: Path) -> None:
    """CI checkouts are shallow by default: "not a commit" then says why it may be."""
    from platecheck.changed import resolve_commit

    origin = make_repo(tmp_path / "origin", {"a.txt": "1\n"})
    write_files(origin, {"a.txt": "2\n"})
    git(origin, "commit", "-qam", "two")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", "shallow")
    with pytest.raises(PlatecheckError) as raised:
        resolve_commit(tmp_path / "shallow", "HEAD~1")
    assert raised.value.message.startswith("--changed-since: 'HEAD~1' is not a commit in this "
                                           "repository; this clone is shallow")
    with pytest.raises(PlatecheckError) as deep:
        resolve_commit(origin, "HEAD~5")
    assert deep.value.message == "--changed-since: 'HEAD~5' is not a commit in this repository"


def test_a_ref_with_no_merge_base_in_a_shallow_clone_says_the_clone_is_shallow(
        tmp_path: Path) -> None:
    """A CI checkout of depth 1 that fetched the base branch at depth 1 has both commits and
    no common ancestor of them: said in a line naming REF, not as git's diff error."""
    origin = make_repo(tmp_path / "origin", {"a.txt": "1\n"})
    git(origin, "checkout", "-q", "-b", "feature")
    write_files(origin, {"a.txt": "2\n"})
    git(origin, "commit", "-qam", "two")
    git(tmp_path, "clone", "-q", "--depth", "1", "-b", "feature", f"file://{origin}", "ci")
    git(tmp_path / "ci", "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    with pytest.raises(PlatecheckError) as raised:
        changed_files(tmp_path / "ci", "origin/main")
    assert raised.value.message.startswith("--changed-since: 'origin/main' and HEAD have no "
                                           "common ancestor in this repository; this clone "
                                           "is shallow")


_UNBOUNDED = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
              "  selector: {matchLabels: {app: web}}\n  template:\n"
              "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
              "        - {name: web, image: registry.example.com/web:1.0.0}\n")


def test_a_change_to_an_application_a_chart_of_applications_generates_is_checked(
        tmp_path: Path) -> None:
    """The parent chart did not change, its child's chart did: the child is generated (every
    target is rendered, from the cache when unchanged) and checked, as a full lint checks it;
    the run never passes what a full lint fails."""
    from platecheck.engine import lint

    repo = make_repo(tmp_path / "repo", {
        "root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": application("web", "charts/web", "web"),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\n"})
    write_files(repo, {"charts/web/templates/deploy.yaml": _UNBOUNDED})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a Deployment without resources")
    full = lint(repo, use_cache=False)
    changed = lint(repo, changed_since="HEAD~1", use_cache=False)
    assert full.exit_code == changed.exit_code == 1
    assert [(f.target, f.policy) for f in changed.findings] == [
        (f.target, f.policy) for f in full.findings if f.target == "default/web"]
    assert [t.id for t in changed.targets] == ["default/web"]
    (repo / "apps" / "templates" / "web.yaml").write_text(
        application("web", "charts/web", "web2"))
    edited = lint(repo, changed_since="HEAD", use_cache=False)  # the parent's template
    assert sorted(t.id for t in edited.targets) == ["default/root", "default/web"]
    assert {f.target for f in edited.findings} >= {"default/web"}


def test_a_change_to_a_parent_of_another_environment_chooses_its_children_in_a_run_of_one(
        tmp_path: Path) -> None:
    """``--env prod --changed-since``: the root, in no environment, is rendered for what it
    generates, and its changed values choose web-prod, as a run of every environment
    chooses it; the root itself is not checked."""
    from platecheck.engine import lint

    template = application("web-prod", "charts/web", "web-prod").replace(
        "  destination:", "    helm:\n      parameters:\n        - name: image\n"
        "          value: {{ .Values.image }}\n  destination:")
    repo = make_repo(tmp_path / "repo", {
        "root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values.yaml": "image: registry.example.com/web:1.0.0\n",
        "apps/templates/web.yaml": template,
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/deploy.yaml": _UNBOUNDED.replace(
            "registry.example.com/web:1.0.0", "{{ .Values.image }}")})
    (repo / "apps" / "values.yaml").write_text("image: registry.example.com/web:latest\n")
    full = lint(repo, changed_since="HEAD", use_cache=False)
    changed = lint(repo, changed_since="HEAD", environments=["prod"], use_cache=False)
    assert [t.id for t in changed.targets] == ["prod/web"]
    assert [(f.location, f.policy, f.message) for f in changed.findings] == [
        (f.location, f.policy, f.message) for f in full.findings if f.environment == "prod"]
    assert "image-tag-pinned" in {f.policy for f in changed.findings}


_GIT_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        {generator}
  template:
    metadata:
      name: '{{{{{name}}}}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: {path}
      destination:
        server: https://kubernetes.default.svc
        namespace: web
"""


def test_a_file_a_git_files_generator_reads_chooses_every_application_of_its_set(
        tmp_path: Path) -> None:
    """Only ``c/a.json``, which the set's ``files`` entry ``c/*.json`` names, changed: its
    Application now deploys ``apps/b``; the set and what it makes are chosen, so the run
    fails as a full lint does instead of saying no target uses the change."""
    from platecheck.engine import lint

    repo = make_repo(tmp_path / "repo", {
        "appset.yaml": _GIT_SET.format(generator="files:\n          - path: 'c/*.json'",
                                       name="n", path="'{{p}}'"),
        "c/a.json": '{"n": "one", "p": "apps/a"}\n',
        "apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        "apps/b/deploy.yaml": _UNBOUNDED}, origin="https://git.example.com/repo.git")
    (repo / "c" / "a.json").write_text('{"n": "two", "p": "apps/b"}\n')
    full = lint(repo, use_cache=False)
    changed = lint(repo, changed_since="HEAD", use_cache=False)
    # (the set, expanded, is its Application)
    assert [t.id for t in changed.targets] == ["default/two"]
    assert changed.exit_code == full.exit_code == 1
    assert [(f.location, f.policy) for f in changed.findings] == [
        (f.location, f.policy) for f in full.findings]


def test_a_directory_a_git_directories_generator_finds_chooses_its_set(tmp_path: Path) -> None:
    """A file added in ``clusters/new`` makes the directory the set's ``clusters/*`` finds,
    and so an Application of ``charts/web``, which did not change: it is chosen through the
    set."""
    from platecheck.engine import lint

    repo = make_repo(tmp_path / "repo", {
        "appset.yaml": _GIT_SET.format(
            generator="directories:\n          - path: 'clusters/*'", name="path.basename",
            path="charts/web"),
        "clusters/old/README.md": "old\n",
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: {{ .Release.Name }}\n"},
        origin="https://git.example.com/repo.git")
    write_files(repo, {"clusters/new/README.md": "new\n"})
    changed = lint(repo, changed_since="HEAD", use_cache=False)
    assert sorted(t.id for t in changed.targets) == ["default/new", "default/old"]


def test_a_change_that_makes_two_applications_deploy_one_object_is_found(
        tmp_path: Path) -> None:
    """web's chart now renders the ClusterRole api's renders: the conflict is known only from
    both renders, so the run chooses api too (it shares the object) and fails as a full lint
    fails, at the changed file; before, it chose web alone and passed."""
    from platecheck.engine import lint

    role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n" \
           "  name: {name}\nrules: []\n"
    repo = make_repo(tmp_path / "repo", {
        **{f"apps/{name}.yaml": application(name, f"charts/{name}", name)
           for name in ("web", "api")},
        **{f"charts/{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
           for name in ("web", "api")},
        "charts/api/templates/role.yaml": role.format(name="shared"),
        "charts/web/templates/role.yaml": role.format(name="web-only")})
    (repo / "charts/web/templates/role.yaml").write_text(role.format(name="shared"))
    full = lint(repo, use_cache=False)
    changed = lint(repo, changed_since="HEAD", use_cache=False)
    assert full.exit_code == changed.exit_code == 1
    shared = [(f.policy, f.location, f.target) for f in full.findings
              if "is deployed by both" in f.message]
    assert shared == [("argocd-application", "charts/web/templates/role.yaml:4", "default/web")]
    assert [(f.policy, f.location, f.target) for f in changed.findings
            if "is deployed by both" in f.message] == shared
    assert changed.changed_since is not None
    assert "default/api (shares ClusterRole/shared with default/web)" in changed.changed_since


def test_a_target_the_change_does_not_affect_is_not_reported_though_it_failed(
        tmp_path: Path) -> None:
    """api's chart names a dependency not vendored (it cannot be rendered), web's values
    changed: the run checks web alone and passes; api's error is not about the change (it
    writes no Application, so nothing it would generate is unknown). A full lint still
    fails on it."""
    from platecheck.engine import lint

    repo = make_repo(tmp_path / "repo", {
        **{f"apps/{name}.yaml": application(name, f"charts/{name}", name)
           for name in ("web", "api")},
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/values.yaml": "a: 1\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\ndata:\n  a: '{{ .Values.a }}'\n",
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\ndependencies:\n"
                                 "  - {name: redis, version: 1.0.0, "
                                 "repository: 'https://charts.example.com'}\n"})
    (repo / "charts/web/values.yaml").write_text("a: 2\n")
    assert [e.target for e in lint(repo, use_cache=False).errors] == ["default/api"]
    changed = lint(repo, changed_since="HEAD", use_cache=False)
    assert (changed.exit_code, changed.errors) == (0, ())
    assert [t.id for t in changed.targets] == ["default/web"]


def _web_repo(root: Path, values: str) -> Path:
    """A repository of web-prod and web-stg on ``chart/``, each with its values file
    ``values-<env>.yaml`` in the directory ``values`` (``envs``, or ``chart`` itself)."""
    def app(env: str) -> str:
        entry = f"values-{env}.yaml" if values == "chart" else f"../{values}/values-{env}.yaml"
        return application(f"web-{env}", "chart", f"web-{env}", source_extra=(
            f"    helm:\n      valueFiles: [{entry}]\n"))

    return make_repo(root, {
        "apps/web-prod.yaml": app("prod"), "apps/web-stg.yaml": app("stg"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        f"{values}/values-prod.yaml": "a: 1\n", f"{values}/values-stg.yaml": "a: 1\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                   "  name: web\n"})


def test_a_target_a_changed_values_file_stops_from_planning_is_named_chosen(
        tmp_path: Path) -> None:
    """A commit makes a values file unreadable (a Latin-1 byte): its Application cannot be
    planned, which the run reports, and the line naming what was chosen names it with that
    file (it said "no target uses the 1 changed file; nothing to lint")."""
    from platecheck.engine import lint

    repo = _web_repo(tmp_path / "repo", "envs")
    (repo / "envs" / "values-prod.yaml").write_bytes(b"a: caf\xe9\n")
    git(repo, "commit", "-q", "-am", "latin-1")
    report = lint(repo, changed_since="HEAD~1", use_cache=False)
    assert [(e.target, e.file) for e in report.errors] == [
        ("prod/web", "envs/values-prod.yaml")]
    assert report.changed_since == "changed-since HEAD~1: prod/web (envs/values-prod.yaml)"


def _as_a_full_lint(repo: Path, policy: str) -> tuple[list[tuple[str, str, str | None]],
                                                       Report]:
    """The findings of ``policy`` a full lint of ``repo`` has, asserted to be those of a run
    ``--changed-since HEAD``, which is returned too."""
    from platecheck.engine import lint

    full = lint(repo, use_cache=False)
    changed = lint(repo, changed_since="HEAD", use_cache=False)
    found = [(f.policy, f.location, f.target) for f in full.findings if f.policy == policy]
    assert [(f.policy, f.location, f.target) for f in changed.findings
            if f.policy == policy] == found
    assert changed.exit_code == full.exit_code
    return found, changed


_PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: demo
  namespace: argocd
spec:
  sourceRepos: ['*']
  destinations: [{server: https://kubernetes.default.svc, namespace: '*'}]
  namespaceResourceWhitelist: [{group: '*', kind: '*'}]
"""


@pytest.mark.parametrize("rendered", [False, True])
def test_a_changed_project_chooses_the_applications_of_it(tmp_path: Path,
                                                          rendered: bool) -> None:
    """The project now permits Services alone: its Application's ConfigMap is refused, as a
    full lint says; the project's file is no input of the Application's target, so before,
    the run chose nothing and passed. So too when the project is an app-of-apps' (rendered,
    the app-of-apps chosen by its file)."""

    project = "apps/project.yaml"
    files = {
        "apps/web.yaml": application("web", "chart", "web").replace(
            "project: default", "project: demo"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                   "  name: web\n", project: _PROJECT}
    if rendered:
        files["root.yaml"] = application("root", "apps", "argocd")
    repo = make_repo(tmp_path / "repo", files)
    (repo / project).write_text(_PROJECT.replace("kind: '*'", "kind: Service"))
    refused, changed = _as_a_full_lint(repo, "argocd-project")
    assert refused == [("argocd-project", "chart/templates/cm.yaml:4", "default/web")]
    assert changed.exit_code == 1
    assert changed.changed_since is not None
    assert f"default/web (project demo may have changed in {project})" in changed.changed_since


_CRD = CRD_TEMPLATE.format(plural="widgets", kind="Widget", field="size", constraint="")
_INTEGER = _CRD.replace("                type: string", "                type: integer")


def _crd_repo(root: Path, crd_file: str) -> Path:
    return make_repo(root, {
        **{f"apps/{name}.yaml": application(name, name, "demo") for name in ("crds", "user")},
        **{f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
           for name in ("crds", "user")},
        crd_file: _CRD,
        "user/templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n"
                                      "  name: w\nspec:\n  size: three\n"})


@pytest.mark.parametrize("crd_file", ["crds/crds/widget.yaml", "crds/templates/widget.yaml"])
def test_a_changed_crd_chooses_the_targets_rendering_its_kind(tmp_path: Path,
                                                              crd_file: str) -> None:
    """The CRD (a chart's ``crds/`` file, or a template) now types ``size`` an integer:
    user's Widget is refused, as a full lint says; before, the run chose the CRD's chart
    alone and passed."""

    repo = _crd_repo(tmp_path / "repo", crd_file)
    (repo / crd_file).write_text(_INTEGER)
    schema, changed = _as_a_full_lint(repo, "k8s-schema")
    assert schema == [("k8s-schema", "user/templates/widget.yaml:6", "default/user")]
    assert changed.changed_since is not None
    assert "default/user (the CRD of Widget may have changed in " in changed.changed_since


def test_a_chosen_target_is_validated_by_the_crd_a_target_not_chosen_renders(
        tmp_path: Path) -> None:
    """Only the Widget changed: it is validated by the CRD the other target renders (not
    chosen), as in a full lint; before, that CRD was unknown to the run (unknown-kind)."""
    from platecheck.engine import lint

    repo = _crd_repo(tmp_path / "repo", "crds/templates/widget.yaml")
    (repo / "user/templates/widget.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n")
    full = lint(repo, use_cache=False)
    changed = lint(repo, changed_since="HEAD", use_cache=False)
    assert [t.id for t in changed.targets] == ["default/user"]
    assert [(f.policy, f.location) for f in changed.findings if f.level.value == "error"] == [
        (f.policy, f.location) for f in full.findings if f.level.value == "error"] == [
        ("k8s-schema", "user/templates/widget.yaml:6")]


def test_a_target_a_deleted_values_file_stops_from_planning_is_named_chosen(
        tmp_path: Path) -> None:
    """A value file deleted chooses every target, the one it stops from planning too: the
    line naming the choice says all of them (it named stg/web alone, by the file prod/web
    no longer finds)."""
    from platecheck.engine import lint

    repo = _web_repo(tmp_path / "repo", "chart")
    git(repo, "rm", "-q", "chart/values-prod.yaml")
    report = lint(repo, changed_since="HEAD", use_cache=False)
    assert [e.target for e in report.errors] == ["prod/web"]
    assert report.changed_since == \
        "changed-since HEAD: all 2 targets (chart/values-prod.yaml)"
