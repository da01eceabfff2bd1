"""Which Git repoURLs are this repository: argocd-application's repoUrls, else the checkout's
Git remotes when the Applications name one, else every Git source (platecheck.repourl)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from platecheck.cli import main
from platecheck.engine import lint
from platecheck.repourl import (
    argocd_git_key,
    grown,
    identity,
    normalized,
    remote_urls,
    this_repository,
)
from synthetic import write_files
from test_sources import DIRECTORY_APP

PUBLIC = "https://github.com/acme/infra"
PRIVATE = "https://github.com/acme/infra-private"


@pytest.mark.parametrize("url", [
    "https://github.com/acme/infra", "https://github.com/Acme/Infra.git",
    "https://github.com/acme/infra/", "http://github.com/acme/infra.git",
    "https://user:token@github.com/acme/infra", "git@github.com:acme/infra.git",
    "ssh://git@github.com/acme/infra", "ssh://git@github.com:22/acme/infra.git",
    "git://github.com/acme/infra", "  https://GITHUB.com/acme/infra.git  ",
])
def test_urls_of_one_repository_compare_equal(url: str) -> None:
    assert normalized(url) == "github.com/acme/infra"


@pytest.mark.parametrize("url", [
    "https://github.com/acme/infra-private", "https://github.com/other/infra",
    "https://gitlab.com/acme/infra", "git@github.com:acme/infra/sub.git",
])
def test_urls_of_other_repositories_do_not(url: str) -> None:
    assert normalized(url) != "github.com/acme/infra"


@pytest.mark.parametrize(("url", "key"), [
    ("https://github.com/acme/infra", "https://github.com/acme/infra"),
    ("  HTTPS://GitHub.com/Acme/Infra.git ", "https://github.com/acme/infra"),
    ("https://github.com/acme/infra/", "https://github.com/acme/infra/"),
    ("git@github.com:acme/infra.git", "git@github.com/acme/infra"),
    ("ssh://git@github.com/acme/infra.git", "git@github.com/acme/infra"),
    ("https://github.com:443/acme/in fra", "https://github.com:443/acme/in%20fra"),
    ("https://github.com:x/acme/infra", ""),  # Go's url.Parse refuses the port
    ("https://github.com/acme/%zz", ""),  # and a bad escape
])
def test_argo_cd_keys_a_checkout_by_its_normalized_git_url(url: str, key: str) -> None:
    """util/git NormalizeGitURL: lowercase, an SSH ``host:path`` as ``host/path``, no
    ``.git`` nor ``ssh://``, written back as Go's url package writes it (scheme, user, port
    and a trailing ``/`` kept); ``""`` when Go cannot parse it."""
    assert argocd_git_key(url) == key


def test_identity_prefers_a_remote_named_in_full_then_a_repository_of_its_name() -> None:
    named = {PUBLIC, PRIVATE, "https://github.com/fork-owner/infra.git"}
    assert identity(["git@github.com:acme/infra.git"], named) == ("github.com/acme/infra",)
    # a fork's checkout: the Applications name the upstream repository of the same name
    assert identity(["https://github.com/alice/infra"], {PUBLIC, PRIVATE}) == (
        "github.com/acme/infra",)
    # a mirror on another server, or no remote: nothing said, every Git source is this one
    assert identity(["https://git.corp/mirror/gitops"], {PUBLIC, PRIVATE}) == ()
    assert identity([], {PUBLIC}) == ()
    # a repository of Applications whose sources are all other repositories of its host
    own = identity(["https://github.com/acme/deploy-config"], {PUBLIC, PRIVATE})
    assert own == ("github.com/acme/deploy-config",)
    assert not this_repository(PUBLIC, (), own) and not this_repository(PRIVATE, (), own)
    own = identity(["git@github.com:acme/infra.git"], {PUBLIC, PRIVATE})
    assert this_repository("https://github.com/acme/infra.git", (), own)
    assert not this_repository(PRIVATE, (), own)
    assert this_repository(PRIVATE, (), ())
    # repoUrls, when set, decides alone
    assert this_repository(PRIVATE, ["https://github.com/acme/infra-*"], own)
    assert not this_repository(PUBLIC, ["https://github.com/acme/infra-*"], own)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_remote_urls_are_read_from_the_checkout_and_a_linked_worktree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    assert remote_urls(repo) == ()
    _git(repo, "remote", "add", "origin", "git@github.com:acme/infra.git")
    _git(repo, "remote", "add", "upstream", "https://github.com/acme/upstream")
    _git(repo, "config", "user.name", "t")  # a key of another section is not a remote's
    assert remote_urls(repo) == ("git@github.com:acme/infra.git",
                                 "https://github.com/acme/upstream")
    (repo / "f").write_text("x")
    _git(repo, "add", "f")
    _git(repo, "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    _git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    assert remote_urls(tmp_path / "linked") == remote_urls(repo)
    assert remote_urls(tmp_path) == ()  # no .git


@pytest.fixture
def two_repositories(tmp_path: Path) -> Path:
    """Two Applications of one path, one of this repository and one of another; the
    checkout has no remote yet."""
    root = tmp_path / "infra"
    (root / "argocd").mkdir(parents=True)
    (root / "k8s" / "namespaces").mkdir(parents=True)
    (root / "k8s" / "namespaces" / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n")
    for file, name, url in (("public", "namespaces", PUBLIC),
                            ("private", "namespaces-private", PRIVATE)):
        (root / "argocd" / f"{file}.yaml").write_text(DIRECTORY_APP.format(
            name=name, path="k8s/namespaces").replace("https://git.example.com/repo.git", url))
    _git(root, "init", "-q")
    return root


def _found(root: Path) -> list[tuple[str, str, str]]:
    report = lint(root, cache_dir=root.parent / "cache")
    assert report.errors == ()
    return [(f.policy, f.location, f.target or "") for f in report.findings]


def test_without_a_remote_every_git_source_is_this_one_and_the_remedy_says_so(
        two_repositories: Path) -> None:
    report = lint(two_repositories, cache_dir=two_repositories.parent / "cache")
    [finding] = report.findings
    assert (finding.policy, finding.location) == ("argocd-application",
                                                  "k8s/namespaces/ns.yaml:4")
    assert "repoUrls" in (finding.remediation or "")


def test_a_remote_of_the_host_no_application_names_makes_every_source_another_repository(
        two_repositories: Path) -> None:
    """A repository of Applications whose sources are all elsewhere (its remote
    ``acme/deploy-config``, its sources ``acme/infra`` and ``acme/infra-private``): no
    source is read from this checkout, each is reported not rendered."""
    _git(two_repositories, "remote", "add", "origin", "https://github.com/acme/deploy-config")
    report = lint(two_repositories, cache_dir=two_repositories.parent / "cache")
    assert report.errors == ()
    assert sorted((f.policy, f.target) for f in report.findings) == [
        ("not-rendered", "prod/namespaces"), ("not-rendered", "prod/namespaces-private")]
    assert {t.id: t.rendered_here for t in report.targets} == {
        "prod/namespaces": False, "prod/namespaces-private": False}


@pytest.mark.parametrize("remote", ["git@github.com:acme/infra.git",  # the repository itself
                                    "https://github.com/alice/infra"])  # a fork of it
def test_a_remote_the_applications_name_says_which_sources_are_another_repository(
        two_repositories: Path, remote: str) -> None:
    _git(two_repositories, "remote", "add", "origin", remote)
    report = lint(two_repositories, cache_dir=two_repositories.parent / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location, f.target, f.message) for f in report.findings] == [
        ("not-rendered", "argocd/private.yaml:8", "prod/namespaces-private",
         f"source k8s/namespaces of another repository, {PRIVATE}, is not rendered: its "
         "resources are not checked")]
    assert {t.id: t.rendered_here for t in report.targets} == {
        "prod/namespaces": True, "prod/namespaces-private": False}


def test_a_remote_no_application_names_says_nothing(two_repositories: Path) -> None:
    _git(two_repositories, "remote", "add", "origin", "https://git.corp/mirror/gitops.git")
    assert [f[0] for f in _found(two_repositories)] == ["argocd-application"]


def test_repo_urls_wins_over_the_remotes(two_repositories: Path) -> None:
    _git(two_repositories, "remote", "add", "origin", PUBLIC)
    (two_repositories / "policies").mkdir()
    (two_repositories / "policies" / "platecheck.yaml").write_text(
        "policies:\n  argocd-application:\n    options:\n      repoUrls: ['*/infra-private']\n")
    assert _found(two_repositories) == [
        ("not-rendered", "argocd/public.yaml:8", "prod/namespaces")]


def test_a_warm_run_sees_a_changed_remote(two_repositories: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["lint", str(two_repositories), "--cache-dir", str(two_repositories.parent / "c"),
            "--format", "json"]
    assert main(argv) == 1
    before = capsys.readouterr().out
    assert main(argv) == 1 and capsys.readouterr().out == before  # answered from the cache
    _git(two_repositories, "remote", "add", "origin", PUBLIC)
    assert main(argv) == 1
    after = capsys.readouterr().out
    assert _policies(before) == ["argocd-application"]
    assert _policies(after) == ["not-rendered"]


def _policies(out: str) -> list[str]:
    return [finding["policy"] for finding in json.loads(out)["findings"]]


def test_diff_base_reads_the_revision_with_the_checkout_remotes(
        two_repositories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The tree at the base revision is one checkout of the same repository: an Application
    of another repository is not rendered there either, so nothing differs."""
    _git(two_repositories, "remote", "add", "origin", PUBLIC)
    _git(two_repositories, "add", ".")
    _git(two_repositories, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
         "-m", "apps")
    code = main(["diff", "--base", "HEAD", str(two_repositories), "--cache-dir",
                 str(two_repositories.parent / "c"), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"changed"' not in out and '"added"' not in out and '"removed"' not in out


def test_a_remote_that_is_a_local_path_is_no_identity(two_repositories: Path) -> None:
    """A clone of a clone (or of a CI runner's cache) has a path as its remote: its last
    part names no repository, not even one called ``infra``."""
    _git(two_repositories, "remote", "add", "origin", "/srv/mirrors/acme/infra")
    assert identity(remote_urls(two_repositories), {PUBLIC, PRIVATE}) == ()
    assert [f[0] for f in _found(two_repositories)] == ["argocd-application"]


@pytest.mark.usefixtures("helm_bin")
def test_applications_a_chart_generates_say_which_repository_this_is(tmp_path: Path) -> None:
    """Chart mode: no Application file names a remote, the Applications the chart renders
    do; the one of another repository is not rendered, not a missing path."""
    root = tmp_path / "shop"
    child = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
             "spec:\n  project: default\n  source:\n    repoURL: {url}\n    path: {path}\n"
             "  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}\n")
    write_files(root, {
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/apps.yaml": child.format(
            name="child", url="https://github.com/acme/shop.git", path="child") + "---\n"
        + child.format(name="external", url=PRIVATE, path="chart-1"),
        "child/Chart.yaml": "apiVersion: v2\nname: child\nversion: 0.1.0\n",
        "child/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    _git(root, "init", "-q")
    _git(root, "remote", "add", "origin", "git@github.com:acme/shop.git")
    report = lint(root / "parent", root=root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.target) for f in report.findings] == [
        ("not-rendered", "default/external")]


def test_another_remote_a_generated_application_names_is_this_repository(
        helm_bin: Path, tmp_path: Path) -> None:
    """The root Application names the checkout's origin; the chart it renders generates one
    naming its upstream, the same repository, and one naming a third repository: the first
    is rendered from the checkout, the second is another repository's."""
    root = tmp_path / "shop"
    child = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
             "  namespace: argocd\nspec:\n  project: default\n  source:\n"
             "    repoURL: {url}\n    path: {path}\n"
             "  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}\n")
    write_files(root, {
        "root.yaml": child.format(name="root", url="https://github.com/acme/shop.git",
                                  path="parent"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/apps.yaml": child.format(
            name="child", url="https://github.com/upstream/shop-template.git", path="child")
        + "---\n" + child.format(name="external", url=PRIVATE, path="chart-1"),
        "child/Chart.yaml": "apiVersion: v2\nname: child\nversion: 0.1.0\n",
        "child/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    _git(root, "init", "-q")
    _git(root, "remote", "add", "origin", "git@github.com:acme/shop.git")
    _git(root, "remote", "add", "upstream", "https://github.com/upstream/shop-template")
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.target) for f in report.findings] == [
        ("not-rendered", "default/external")]
    assert {t.id: t.rendered_here for t in report.targets}["default/child"]
    assert grown(("github.com/acme/shop",), ["https://github.com/upstream/shop-template"],
                 {PUBLIC}) == ("github.com/acme/shop",)  # names no other remote


def test_the_checked_commit_is_read_from_git_as_git_reads_it(tmp_path: Path) -> None:
    """ARGOCD_APP_REVISION: a branch's loose ref, then packed, a detached HEAD, a linked
    worktree; no checkout, no commit."""
    from platecheck.repourl import repository_revision

    repo = tmp_path / "repo"
    repo.mkdir()
    assert repository_revision(repo) == ""
    _git(repo, "init", "-q")
    assert repository_revision(repo) == ""  # no commit yet
    (repo / "f").write_text("x")
    _git(repo, "add", "f")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    assert repository_revision(repo) == head
    _git(repo, "pack-refs", "--all")
    assert repository_revision(repo) == head
    _git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "linked"))
    assert repository_revision(tmp_path / "linked") == head
    _git(repo, "checkout", "-q", "--detach")
    assert repository_revision(repo) == head


def test_a_git_config_that_is_no_regular_file_is_not_read(tmp_path: Path) -> None:
    """A pipe would block a reader: it is left alone, as a file too large is."""
    import os

    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / ".git" / "config")
    assert remote_urls(tmp_path) == ()
    (tmp_path / ".git" / "config").unlink()
    (tmp_path / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = https://github.com/acme/infra\n' + "#" * (2 << 20))
    assert remote_urls(tmp_path) == ()


def test_an_app_of_apps_of_another_repository_is_no_app_of_apps_here(tmp_path: Path) -> None:
    """Its path here holds Applications, but what it deploys is the other repository's
    directory: no "holds no Application", and the Applications here are not its children
    (none is "not reachable")."""
    root = tmp_path / "this"
    files = {"root/root.yaml": DIRECTORY_APP.format(name="root", path="apps").replace(
                 "https://git.example.com/repo.git", "https://github.com/acme/other.git"),
             "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web").replace(
                 "https://git.example.com/repo.git", "https://github.com/acme/this.git"),
             "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    write_files(root, files)
    _git(root, "init", "-q")
    _git(root, "remote", "add", "origin", "https://github.com/acme/this.git")
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location) for f in report.findings] == [
        ("not-rendered", "root/root.yaml:8")]


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_the_links_git_tracks_are_read_from_its_index(tmp_path: Path, version: str) -> None:
    """Every entry of mode 120000 of the index, as ``git ls-files`` lists it, in each index
    version (3 with an entry of extended flags, 4 with its paths' shared prefixes)."""
    from platecheck.repourl import tracked_links

    repo = tmp_path / "repo"
    (repo / "apps" / "web").mkdir(parents=True)
    (repo / "apps" / "web" / "file.yaml").write_text("a: 1\n")
    (repo / "apps" / "web" / "abs").symlink_to("/etc/hosts")
    (repo / "apps" / "web-link").symlink_to("web")
    (repo / "later").symlink_to("apps")
    _git(repo, "init", "-q")
    _git(repo, "add", "apps")
    _git(repo, "add", "-N", "later")  # intent to add: an extended flag
    _git(repo, "update-index", "--index-version", version)
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-s"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    expected = tuple(line.split("\t")[1] for line in listed if line.startswith("120000"))
    assert expected == ("apps/web-link", "apps/web/abs", "later")
    assert tracked_links(repo) == expected
    assert tracked_links(tmp_path) is None  # no checkout


def test_a_placeholder_repo_url_is_another_tool_s_template(tmp_path: Path) -> None:
    """A Terraform ``templatefile`` of an Application (``${gitops_repo_url}``): not "another
    repository", but a placeholder another tool fills in, its remedy exclude, which then
    leaves it out."""
    from synthetic import application, repository

    files = {"k8s/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
             "apps/web.yaml": application("web-prod", "k8s/web", "web-prod"),
             "terraform/root.yaml": application("root", "${root_path}", "argocd",
                                                repo="${gitops_repo_url}")}
    report = lint(repository(tmp_path, files), cache_dir=tmp_path / "cache")
    [found] = [f for f in report.findings if f.policy == "not-rendered"]
    assert (found.location, found.message) == (
        "terraform/root.yaml:8", "source ${root_path} of ${gitops_repo_url}, a placeholder "
        "another tool fills in, is not rendered: its resources are not checked")
    assert "exclude" in found.remediation
    report = lint(repository(tmp_path / "again", {
        **files, "policies/platecheck.yaml": 'exclude: ["terraform/*"]\n'}),
        cache_dir=tmp_path / "cache")
    assert [f for f in report.findings if f.policy == "not-rendered"] == []
