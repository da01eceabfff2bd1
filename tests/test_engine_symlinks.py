"""Symbolic links in charts: followed inside the chart (and in the cache key), refused when
they lead out of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from platecheck.cache import chart_tree, directory_digest
from platecheck.engine import load, load_and_check

BROKEN = Path(__file__).parent / "fixtures" / "repos" / "broken"

pytestmark = pytest.mark.usefixtures("helm_bin")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """One Application (prod/ok) rendering charts/ok."""
    repo = tmp_path / "repo"
    shutil.copytree(BROKEN / "charts" / "ok", repo / "charts" / "ok")
    shutil.copytree(BROKEN / "policies", repo / "policies")
    (repo / "apps").mkdir()
    shutil.copy(BROKEN / "apps" / "ok.yaml", repo / "apps" / "ok.yaml")
    return repo


def _shared_template(repo: Path, value: str) -> None:
    shared = repo / "charts" / "ok" / "shared"
    shared.mkdir(exist_ok=True)
    (shared / "extra.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  v: {value}\n")


def test_links_inside_the_chart_are_followed_once(repo: Path) -> None:
    chart = repo / "charts" / "ok"
    _shared_template(repo, "one")
    (chart / "templates" / "shared").symlink_to("../shared")
    (chart / "templates" / "loop").symlink_to("..")  # a cycle is walked once
    (chart / "dangling.txt").symlink_to("nowhere")
    tree = chart_tree(chart, chart)
    assert [p.relative_to(chart).as_posix() for p in tree.files] == [
        "Chart.yaml", "dangling.txt", "shared/extra.yaml", "templates/cm.yaml",
        "templates/shared/extra.yaml", "values-broken.yaml", "values-latin1.yaml",
        "values-prod.yaml", "values.yaml"]
    assert tree.outside == ()
    before = directory_digest(chart)
    _shared_template(repo, "two")
    assert directory_digest(chart) != before


def test_a_symlinked_subchart_of_the_repository_is_rendered_with_the_chart(repo: Path
                                                                           ) -> None:
    """``charts/sub`` a link to a chart beside it: out of the chart but in the repository,
    so helm (and Argo CD) follow it and render the subchart with the chart."""
    chart = repo / "charts" / "ok"
    sub = repo / "charts" / "sub"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    (sub / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\n")
    (chart / "charts").mkdir()
    (chart / "charts" / "sub").symlink_to("../../sub")
    assert chart_tree(chart, chart).outside == (chart / "charts" / "sub",)
    _git(repo, "init", "-q")
    # (a file the subchart holds that Git does not track is refused, the others followed)
    sub_files = (chart / "charts" / "sub" / "Chart.yaml",
                 chart / "charts" / "sub" / "templates" / "cm.yaml")
    assert chart_tree(chart, repo, tracked_only=True).outside == sub_files
    _git(repo, "add", "charts")
    assert chart_tree(chart, repo, tracked_only=True).outside == ()
    model = load(repo, use_cache=False)
    assert model.errors == ()
    assert "from-sub" in [r.name for t in model.rendered if t.id == "prod/ok"
                          for r in t.resources]


def test_an_edited_shared_template_is_rendered_again(repo: Path, tmp_path: Path) -> None:
    _shared_template(repo, "one")
    (repo / "charts" / "ok" / "templates" / "shared").symlink_to("../shared")
    cache = tmp_path / "cache"
    first = load(repo, cache_dir=cache)
    assert (first.renders, first.cache_hits, first.errors) == (2, 0, ())  # template and lint
    [extra] = [r for r in first.rendered[0].resources if r.name == "extra"]
    assert extra.doc["data"] == {"v": "one"}
    assert (load(repo, cache_dir=cache).cache_hits) == 2
    _shared_template(repo, "two")
    second = load(repo, cache_dir=cache)
    assert (second.renders, second.cache_hits) == (2, 0)
    [extra] = [r for r in second.rendered[0].resources if r.name == "extra"]
    assert extra.doc["data"] == {"v": "two"}


def test_a_link_out_of_the_repository_is_not_rendered(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("TOKEN=hunter2\n")
    chart = repo / "charts" / "ok"
    (chart / "leak.txt").symlink_to(secret)
    (chart / "templates" / "etc").symlink_to("/etc")
    (chart / "templates" / "leak.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n'
        '  leak: {{ .Files.Get "leak.txt" | quote }}\n')
    model = load(repo, use_cache=False)
    assert model.rendered == () and model.renders == 0
    assert [(e.file, e.target, e.message) for e in model.errors] == [
        ("charts/ok/leak.txt", "prod/ok",
         f"symbolic link to {secret} leads out of the repository; platecheck does not follow "
         "it, so this chart is not rendered"),
        ("charts/ok/templates/etc", "prod/ok",
         "symbolic link to /etc leads out of the repository; platecheck does not follow it, "
         "so this chart is not rendered")]
    assert os.readlink(chart / "leak.txt") == str(secret)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.mark.parametrize(("name", "target", "refused"), [
    ("docs/hosts", "/etc/hosts", True),  # absolute, even outside every source
    ("docs/back", "../../repo/charts/ok/Chart.yaml", True),  # out of the repository and in
    ("docs/up", "../../up-and-away", True),  # dangling, outside
    ("docs/inside", "../charts/ok/Chart.yaml", False),
])
@pytest.mark.parametrize("tracked", [True, False])
def test_a_tracked_link_anywhere_that_leaves_the_repository_fails_it_as_argo_cd_does(
        repo: Path, name: str, target: str, refused: bool, tracked: bool) -> None:
    """Argo CD's repo-server refuses every source of a repository holding a link that leads
    out of it (reposerver ``CheckOutOfBoundsSymlinks``), wherever the link is: one error at
    the link; the chart, whose own files lead nowhere, is still rendered. A link Git does
    not track (a virtualenv's) is in no clone Argo CD makes: it is not looked at."""
    _git(repo, "init", "-q")
    link = repo / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    _git(repo, "add", "-A" if tracked else "apps")
    model = load(repo, use_cache=False)
    assert len(model.rendered) == 1
    expected = [(name, None)] if refused and tracked else []
    assert [(e.file, e.target) for e in model.errors] == expected
    if expected:
        assert "out-of-bounds symlinks" in model.errors[0].message


def test_a_link_out_fails_the_applications_a_git_generator_makes_too(repo: Path) -> None:
    """The repository's only Application is one a git directories generator makes: Argo CD
    renders it from a clone holding the link, so it fails as any other (it passed, exit 0:
    the link was looked at before the set was expanded)."""
    _git(repo, "init", "-q")
    (repo / "apps" / "ok.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: dirs\n"
        "  namespace: argocd\nspec:\n  generators:\n    - git:\n"
        "        repoURL: https://git.example.com/platform.git\n        revision: HEAD\n"
        "        directories: [{path: charts/*}]\n  template:\n"
        "    metadata: {name: '{{path.basename}}-prod'}\n    spec:\n      project: default\n"
        "      source:\n        repoURL: https://git.example.com/platform.git\n"
        "        path: '{{path}}'\n        helm: {valueFiles: [values-prod.yaml]}\n"
        "      destination: {server: 'https://kubernetes.default.svc', namespace: ok-prod}\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "hosts").symlink_to("/etc/hosts")
    _git(repo, "add", "-A")
    model = load(repo, use_cache=False)
    assert [(e.file, e.target) for e in model.errors] == [("docs/hosts", None)]
    assert "out-of-bounds symlinks" in model.errors[0].message


def test_a_chart_linted_without_an_application_is_not_held_to_it(repo: Path) -> None:
    _git(repo, "init", "-q")
    (repo / "docs").mkdir()
    (repo / "docs" / "hosts").symlink_to("/etc/hosts")
    _git(repo, "add", "-A")
    model = load(repo / "charts" / "ok", use_cache=False)
    assert model.errors == () and len(model.rendered) > 0


def test_an_application_file_reached_through_a_link_is_the_file_it_leads_to(
        tmp_path: Path) -> None:
    """An app-of-apps directory holding a link to an Application file elsewhere in the
    repository (sa-mw-dach/manuela-gitops): Argo CD reads the file the link leads to, so that
    file's Application is deployed, once, and found where it is written."""
    from synthetic import application

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for rel, text in {
        "bootstrap/root.yaml": application("root", "apps", "argocd"),
        "shared/web.yaml": application("web", "manifests", "web"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").symlink_to("../shared/web.yaml")
    model, report = load_and_check(repo, use_cache=False)
    assert [(a.name, a.file) for a in model.applications] == [
        ("root", "bootstrap/root.yaml"), ("web", "shared/web.yaml")]
    assert [t.app for t in model.targets].count("web") == 1
    assert [f for f in report.findings if f.policy == "argocd-application"] == []


def test_value_files_of_a_linked_source_path_are_read_beside_the_link(tmp_path: Path) -> None:
    """``path: envs/prod/web``, a link to ``charts/web``: Argo CD joins ``../values.yaml`` to
    the path as written (``envs/prod/values.yaml``) before it follows any link, and so do
    ``fileParameters``; the chart's own directory holds neither file."""
    from synthetic import application

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    chart = repo / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "data:\n  mode: {{ .Values.mode }}\n  motd: {{ .Values.motd | quote }}\n")
    (repo / "envs" / "prod").mkdir(parents=True)
    (repo / "envs" / "prod" / "web").symlink_to("../../charts/web")
    (repo / "envs" / "prod" / "values.yaml").write_text("mode: linked\n")
    (repo / "envs" / "prod" / "motd.txt").write_text("hello")
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(application(
        "web-prod", "envs/prod/web", "web-prod",
        source_extra="    helm:\n      valueFiles: [../values.yaml]\n      fileParameters:\n"
                     "        - {name: motd, path: ../motd.txt}\n"))
    model = load(repo, use_cache=False)
    assert [e.message for e in model.errors] == []
    [target] = model.targets
    assert [v.rel for v in target.value_files] == ["envs/prod/values.yaml"]
    [rendered] = model.rendered
    [config_map] = rendered.resources
    assert config_map.doc["data"] == {"mode": "linked", "motd": "hello"}
