"""Which ``targetRevision`` of a source of this repository is this checkout
(``platecheck.repourl.checkout``): platecheck reads the checkout's files, which Argo CD deploys
for those revisions alone. A source at another revision (a branch of rendered manifests, an
environment branch, a tag) is reported not rendered, not checked against the wrong files."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.repourl import branches, checkout
from synthetic import CM, ORIGIN, application, application_set, write_files

SHA = "0123456789abcdef0123456789abcdef01234567"
CI_BRANCHES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_COMMIT_BRANCH",
               "CI_DEFAULT_BRANCH")


@pytest.fixture(autouse=True)
def _no_ci_branches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CI system running the tests names no branch of these repositories."""
    for name in CI_BRANCHES:
        monkeypatch.delenv(name, raising=False)


def _git(root: Path, head: str = "ref: refs/heads/dev\n") -> Path:
    return write_files(root, {
        ".git/HEAD": head, ".git/config": ORIGIN, ".git/refs/heads/dev": SHA + "\n",
        ".git/refs/remotes/origin/HEAD": "ref: refs/remotes/origin/trunk\n"})


def test_the_checkout_is_its_branch_the_default_one_and_its_commit(tmp_path: Path) -> None:
    root = _git(tmp_path)
    assert branches(root) == ("dev", "trunk")
    found = checkout(root, [])
    assert [revision for revision in ("", "HEAD", "dev", "trunk", "main", "master",
                                      "refs/heads/dev", SHA[:7], SHA, "{{revision}}",
                                      "$REVISION") if found.holds(revision)] == [
        "", "HEAD", "dev", "trunk", "main", "master", "refs/heads/dev", SHA[:7], SHA,
        "{{revision}}", "$REVISION"]
    assert [revision for revision in ("stage", "v1.2.0", SHA[:6], "0123457", "f" * 40)
            if found.holds(revision)] == []


def test_a_ci_system_names_the_branch_of_a_detached_checkout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _git(tmp_path, head=SHA + "\n")
    assert not checkout(root, []).holds("develop")
    monkeypatch.setenv("GITHUB_BASE_REF", "develop")
    assert branches(root) == ("develop", "trunk")
    assert checkout(root, []).holds("develop")


@pytest.mark.parametrize(("named", "held", "other"), [
    (["release"] * 3 + ["stage"] * 2, ["release"], ["stage"]),
    (["release", "stage"], [], ["release", "stage"]),  # as often: neither
    (["release", "HEAD", "stage", ""], [], ["release", "stage"]),  # the main line is HEAD
    (["release"] * 3 + ["main"], [], ["release"]),  # ... or main
    (["f" * 40] * 3, [], ["f" * 40]),  # a commit other than the one checked out, never
])
def test_the_revision_the_sources_name_most_is_the_checkout(
        tmp_path: Path, named: list[str], held: list[str], other: list[str]) -> None:
    found = checkout(_git(tmp_path), named)
    assert [r for r in held if found.holds(r)] == held
    assert [r for r in other if found.holds(r)] == []


def test_revisions_written_decide_alone(tmp_path: Path) -> None:
    found = checkout(_git(tmp_path), ["release"] * 3, ["env/*"])
    assert [r for r in ("env/prod", "HEAD", SHA[:8], "dev", "main", "release")
            if found.holds(r)] == ["env/prod", "HEAD", SHA[:8]]


def _rendered_branch(root: Path, config: str = "") -> Path:
    """An app-of-apps of this repository at HEAD, and an Application of the root of a
    branch of rendered manifests (Kargo's), which this checkout's root is not."""
    rendered = application("web-stage", ".", "web-stage").replace(
        "    path: .\n", "    path: .\n    targetRevision: stage/web\n")
    return write_files(root, {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN,
        "root.yaml": application("root", "apps", "argocd").replace(
            "    path: apps\n", "    path: apps\n    targetRevision: HEAD\n"),
        "apps/web.yaml": rendered, "apps/nested/api.yaml": application("api", "api", "api"),
        "api/cm.yaml": CM.format(name="api"), **({"policies/platecheck.yaml": config}
                                                 if config else {})})


def test_a_source_at_another_revision_is_not_rendered(tmp_path: Path) -> None:
    """The branch's root is not this checkout's root: the source is not rendered (it was
    read as a directory of the checkout: an app-of-apps holding no Application, and api
    unreachable), and what it deploys is said not checked."""
    report = lint(_rendered_branch(tmp_path / "repo"), cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location, f.message) for f in report.findings
            if f.level.value == "error"] == [
        ("argocd-application", "apps/nested/api.yaml:4",
         "Application api: is not reachable from an app-of-apps (roots: root.yaml); unless "
         "something else applies it, Argo CD never deploys it"),
        ("not-rendered", "apps/web.yaml:11",  # its targetRevision
         "source . of this repository at revision stage/web, which is not this checkout "
         "(HEAD, main, master), is not rendered: its resources are not checked")]
    assert [f.remediation.startswith("platecheck checks this checkout's files")
            for f in report.findings if f.policy == "not-rendered"] == [True]


@pytest.mark.parametrize("revision", ["HEAD", "env/prod"])
def test_a_git_generator_reads_its_revision(tmp_path: Path, revision: str) -> None:
    """A set's git generator reads the files of its ``revision``: this checkout's (HEAD)
    expands into the Applications of its directories; another branch's is not expanded,
    and not-rendered says which revision, with what to do."""
    generators = ("    - git:\n        repoURL: https://git.example.com/repo.git\n"
                  f"        revision: {revision}\n        directories:\n"
                  "          - path: clusters/*\n")
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN,
        "apps/set.yaml": application_set("clusters", generators, "{{path.basename}}",
                                         "{{path}}", "{{path.basename}}"),
        "clusters/web/cm.yaml": CM.format(name="web")})
    report = lint(root, cache_dir=tmp_path / "cache")
    if revision == "HEAD":
        assert [t.id for t in report.targets if not t.expanded] == ["default/web"]
        assert [f for f in report.findings if f.policy == "not-rendered"] == []
        return
    [finding] = [f for f in report.findings if f.policy == "not-rendered"]
    assert finding.message == (
        "ApplicationSet clusters is not rendered: its resources are not checked (its git "
        "generator reads this repository at revision env/prod, which is not this checkout)")
    assert finding.remediation.startswith("platecheck checks this checkout's files")


def test_a_revision_the_configuration_names_is_this_checkout(tmp_path: Path) -> None:
    """argocd-application's ``revisions`` say ``stage/*`` is what this checkout deploys:
    the source is read from it, the checkout's root, an app-of-apps of ``root.yaml``."""
    config = "policies:\n  argocd-application:\n    options:\n      revisions: ['stage/*']\n"
    report = lint(_rendered_branch(tmp_path / "repo", config), cache_dir=tmp_path / "cache")
    assert [(f.policy, f.message) for f in report.findings if f.level.value == "error"] == [
        ("argocd-application", "Application api: is not reachable from an app-of-apps (roots: "
         "apps/web.yaml, root.yaml); unless something else applies it, Argo CD never "
         "deploys it")]


def test_init_classifies_an_application_of_another_revision_s_root(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """web-prod deploys the root of a branch of rendered manifests, not this checkout's root
    (which holds web-dev's file): it is an Application to classify, not an app-of-apps, and
    init says its revision is not this checkout."""
    from platecheck.cli import main

    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN,
        "web-prod.yaml": application("web-prod", ".", "web-prod").replace(
            "    path: .\n", "    path: .\n    targetRevision: stage/prod\n"),
        "apps/web-dev.yaml": application("web-dev", "manifests", "web-dev"),
        "manifests/cm.yaml": CM.format(name="web")})
    assert main(["init", "--dry-run", str(root), "--cache-dir", str(tmp_path / "cache")]) == 0
    said = capsys.readouterr()
    assert "web-prod -> prod/web" in said.err and "web-dev -> dev/web" in said.err
    # and it says which revisions lint will report not rendered, and what to do
    assert "follow revisions that are not this checkout (stage/prod): lint reports them not " \
           "rendered; if this checkout is what they deploy, list them in argocd-application's " \
           "revisions" in said.err


def test_diff_reads_the_base_revision_with_the_checkout_s_branches(tmp_path: Path) -> None:
    """On branch develop, web-dev follows develop, two others release: develop is this
    checkout in both trees of ``diff --base``, so a commit that changes only a README
    changes no target (the base tree did not know the branch: web-dev appeared added)."""
    from platecheck.rendered_diff import compute
    from test_changed import git, make_repo

    files = {"README.md": "a\n", "manifests/cm.yaml": CM.format(name="web"),
             **{f"apps/{name}.yaml": application(name, "manifests", name).replace(
                 "    path: manifests\n", f"    path: manifests\n    targetRevision: {rev}\n")
                for name, rev in (("web-dev", "develop"), ("web-prod", "release"),
                                  ("web-eu", "release"))}}
    root = make_repo(tmp_path / "repo", files, branch="develop",
                     origin="https://git.example.com/repo.git")
    (root / "README.md").write_text("b\n")
    git(root, "commit", "-q", "-am", "readme")
    diff = compute([str(root)], "HEAD~1", cache_dir=tmp_path / "cache")
    assert ([change.target for change in diff.targets], diff.appeared, diff.disappeared) == (
        [], (), ())


def test_a_directory_deployed_from_another_revision_is_neither_applied_by_hand_nor_orphaned(
        tmp_path: Path) -> None:
    """``root`` deploys ``overlays/qa`` from branch qa, ``main`` its sibling overlay here:
    the qa overlay is deployed (not built as a kustomization applied by hand, its base's
    Application twice), and the Application it lists is not said never deployed, as that
    revision may hold it too."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN,
        "apps/root.yaml": application("root", "overlays/qa", "argocd").replace(
            "    path: overlays/qa\n", "    path: overlays/qa\n    targetRevision: qa\n"),
        "apps/main.yaml": application("main", "overlays/main", "argocd"),
        "overlays/qa/kustomization.yaml": "resources: [../../base, extra.yaml]\npatches:\n"
        "  - patch: '[{op: add, path: /spec/source/targetRevision, value: qa}]'\n"
        "    target: {kind: Application, name: child}\n",
        "overlays/qa/extra.yaml": application("extra", "manifests", "extra"),
        "overlays/main/kustomization.yaml": "resources: [../../base]\n",
        "base/kustomization.yaml": "resources: [child.yaml]\n",
        "base/child.yaml": application("child", "manifests", "child"),
        "manifests/cm.yaml": CM.format(name="extra")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report.targets) == [
        "default/child", "default/extra", "default/main", "default/root"]
    assert [(f.policy, f.location) for f in report.findings
            if f.level.value == "error"] == [("not-rendered", "apps/root.yaml:11")]


@pytest.mark.usefixtures("helm_bin")
def test_a_chart_an_application_deploys_from_another_revision_is_not_linted_alone(
        tmp_path: Path) -> None:
    """Chart mode: the apps chart generates the Application of ``charts/foo`` at branch
    development; that chart is deployed (from that revision: not rendered, and said so), not
    linted on its own in each environment with its defaults."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN,
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/foo.yaml": application("foo", "charts/foo", "foo").replace(
            "    path: charts/foo\n",
            "    path: charts/foo\n    targetRevision: {{ .Values.rev }}\n"),
        "apps/values.yaml": "rev: development\n",
        "charts/foo/Chart.yaml": "apiVersion: v2\nname: foo\nversion: 0.1.0\n",
        "charts/foo/values.yaml": "a: 1\n",
        "charts/foo/templates/cm.yaml": CM.format(name="foo")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert not [t.id for t in report.targets if t.app == "foo" and t.environment != "default"]
    assert [f.policy for f in report.findings if f.level.value == "error"] == ["not-rendered"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_source_at_another_revision_pairs_with_its_counterpart(tmp_path: Path) -> None:
    """Staging deploys its overlay from main, production its own from release (not
    rendered): env-consistency pairs the two sources by path, and says nothing of sources
    each side lacks (it said each renders a source the other has none like)."""
    def app(env: str, revision: str) -> str:
        return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                f"  name: web-{env}\n  namespace: argocd\nspec:\n  project: default\n"
                f"  sources:\n    - {{repoURL: 'https://charts.example.com', chart: redis, "
                f"targetRevision: 1.0.0}}\n    - {{repoURL: 'https://git.example.com/repo.git', "
                f"targetRevision: {revision}, path: k/{env}}}\n  destination:\n"
                f"    server: https://kubernetes.default.svc\n    namespace: web-{env}\n")
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN,
        "apps/stg.yaml": app("staging", "main"), "apps/prod.yaml": app("production", "release"),
        **{f"k/{env}/kustomization.yaml": "resources: [cm.yaml]\n"
           for env in ("staging", "production")},
        **{f"k/{env}/cm.yaml": CM.format(name="web") for env in ("staging", "production")}})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [f.message for f in report.findings if f.policy == "env-consistency"] == []
    assert sorted(f.location for f in report.findings if f.policy == "not-rendered") == [
        "apps/prod.yaml:10", "apps/prod.yaml:9", "apps/stg.yaml:9"]


def test_a_value_file_read_at_another_revision_is_named_as_the_cause(tmp_path: Path) -> None:
    """A Helm source of this checkout reading ``$values/...`` through a ref source of this
    repository at a tag: the values are that tag's, so it is not rendered, and the finding
    names the Helm source's value file, not the ref source (which deploys nothing)."""
    app = application("web", "chart", "web").replace(
        "  source:\n    repoURL: https://git.example.com/repo.git\n    path: chart\n",
        "  sources:\n    - repoURL: https://git.example.com/repo.git\n      path: chart\n"
        "      helm:\n        valueFiles: [$values/envs/prod.yaml]\n"
        "    - repoURL: https://git.example.com/repo.git\n      targetRevision: v0.1.0\n"
        "      ref: values\n")
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n", ".git/config": ORIGIN, "apps/web.yaml": app,
        "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": CM.format(name="web"), "envs/prod.yaml": "a: 1\n"})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.message) for f in report.findings if f.policy == "not-rendered"] == [
        ("not-rendered", "Helm source whose value file $values/envs/prod.yaml is read at "
         "revision v0.1.0, which is not this checkout (HEAD, main, master), is not rendered: "
         "its resources are not checked")]
