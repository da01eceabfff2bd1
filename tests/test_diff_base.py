"""``platecheck diff --base REF``: the rendered changes of a git change (real git, real helm)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import Run, cli_runner, git
from platecheck.model import Resource
from platecheck.rendered_diff import RenderedDiff, TargetChange, _resources
from platecheck.report.rendered_diff import markdown
from synthetic import ref_values_application

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "tests" / "fixtures" / "ci" / "shop"


@pytest.fixture(scope="module")
def run(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return cli_runner(helm_bin, tmp_path_factory.mktemp("diff-cache"))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop at three commits: base; a production tag made floating; a new Application."""
    repo = tmp_path_factory.mktemp("history") / "shop"
    shutil.copytree(SHOP, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    values = repo / "charts" / "web" / "values-prod.yaml"
    values.write_text(values.read_text().replace('tag: "2.4.0"', "tag: latest"))
    git(repo, "commit", "-q", "-am", "web: latest in production")
    worker = (repo / "apps" / "api-prod.yaml").read_text().replace("api-prod", "worker-prod")
    (repo / "apps" / "worker-prod.yaml").write_text(worker)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "worker")
    return repo


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in result.stderr, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_two_commits_show_the_tag_and_the_new_application(run: Run, history: Path) -> None:
    status = git(history, "status", "--porcelain")
    result = run("diff", "--base", "HEAD~2", "apps", "--format", "json", cwd=history)
    assert result.returncode == 1, result.stderr  # an error-level finding appears
    data = _json(result)
    targets = {t["target"]: t for t in data["targets"]}
    assert sorted(targets) == ["prod/web", "prod/worker"]
    web = targets["prod/web"]
    assert (web["status"], web["application"]) == ("changed", "apps/web-prod.yaml:1")
    [deployment] = web["resources"]
    assert (deployment["resource"], deployment["status"]) == ("Deployment/web-prod", "changed")
    lines = deployment["diff"].splitlines()
    assert "-        image: registry.example.com/shop/web:2.4.0" in lines
    assert "+        image: registry.example.com/shop/web:latest" in lines
    assert [line[0] for line in lines[2:] if line[0] in "+-"] == ["-", "+"]
    worker = targets["prod/worker"]
    assert worker["status"] == "added"
    assert [(r["resource"], r["status"]) for r in worker["resources"]] == [
        ("Deployment/worker-prod", "added")]
    appeared = [(f["policy"], f["target"], f["file"], f["line"]) for f in data["appeared"]]
    assert ("image-tag-pinned", "prod/web", "charts/web/values-prod.yaml", 3) in appeared
    assert data["disappeared"] == [] and data["errors"] == []
    # the working tree and the repository are as they were
    assert git(history, "status", "--porcelain") == status
    assert git(history, "worktree", "list").count("\n") == 1


def test_text_and_markdown(run: Run, history: Path) -> None:
    text = run("diff", "--base", "HEAD~1", "apps", cwd=history)
    assert text.returncode in (0, 1), text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "== prod/worker: added (apps/worker-prod.yaml:1): 1 added =="
    assert lines[1] == "added Deployment/worker-prod"
    assert lines[-1].startswith("1 target changed since HEAD~1 (")
    md = run("diff", "--base", "HEAD~2", "apps", "-f", "markdown", cwd=history)
    assert md.returncode == 1
    assert md.stdout.startswith("### platecheck: rendered changes since `HEAD~2`\n")
    assert md.stdout.count("<details>") == md.stdout.count("</details>") == 2
    assert "<summary><b>prod/web</b>: changed, 1 changed</summary>" in md.stdout
    assert "+        image: registry.example.com/shop/web:latest" in md.stdout


def test_nothing_changed(run: Run, history: Path) -> None:
    result = run("diff", "--base", "HEAD", "apps", "--format", "json", cwd=history)
    assert result.returncode == 0
    data = _json(result)
    assert (data["targets"], data["appeared"], data["disappeared"]) == ([], [], [])


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "no-such-ref"], "--base: 'no-such-ref' is not a commit in this repository"),
    (["--base=-x"], "--base: not a git revision: '-x'"),
    (["--format", "json"], "diff --format applies to --base REF; the drift between two "
                           "environments is text"),
    ([], "diff needs two environments (platecheck diff stg prod) or --base REF"),
])
def test_bad_invocations_are_one_line_errors(run: Run, history: Path, args: list[str],
                                             message: str) -> None:
    result = run("diff", *args, cwd=history)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_outside_a_git_work_tree(run: Run, tmp_path: Path) -> None:
    shutil.copytree(SHOP, tmp_path / "shop")
    result = run("diff", "--base", "HEAD", "apps", cwd=tmp_path / "shop")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("--base needs a git work tree")


def test_fifty_applications_one_values_file_changed_renders_one_target(
        run: Run, tmp_path: Path) -> None:
    repo = tmp_path / "many"
    shutil.copytree(SHOP / "charts" / "api", repo / "charts" / "api")
    shutil.copytree(SHOP / "policies", repo / "policies")
    (repo / "apps").mkdir()
    template = (SHOP / "apps" / "api-prod.yaml").read_text()
    for i in range(50):
        name = f"svc{i:02d}"
        # each Application's own values file, outside the chart (a change inside the chart
        # changes every target that renders it)
        (repo / "apps" / f"{name}-prod.yaml").write_text(
            template.replace("api-prod", f"{name}-prod").replace(
                "values-prod.yaml", f"../../values/{name}.yaml"))
        (repo / "values").mkdir(exist_ok=True)
        (repo / "values" / f"{name}.yaml").write_text(f"logLevel: {name}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fifty")
    cache = tmp_path / "cache"
    assert run("lint", "apps", cwd=repo, cache_dir=cache).returncode in (0, 1)
    (repo / "values" / "svc07.yaml").write_text("logLevel: debug\n")
    one_target = run("lint", "apps/svc07-prod.yaml", "--format", "json", cwd=repo,
                     cache_dir=tmp_path / "cold")
    helm_runs_of_one_target = _json(one_target)["summary"]["helmRuns"]
    data = _json(run("diff", "--base", "HEAD", "apps", "--format", "json", cwd=repo,
                     cache_dir=cache))
    assert [t["target"] for t in data["targets"]] == ["prod/svc07"]
    [change] = data["targets"][0]["resources"]
    assert change["diff"].splitlines()[-2:] == ["-          value: svc07",
                                                "+          value: debug"]
    # the changed target renders in the working tree; everything else, and the whole base,
    # comes from the cache
    assert data["renders"] == helm_runs_of_one_target > 0
    assert data["cacheHits"] >= 99


def _secret(data: dict[str, str]) -> Resource:
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": data}
    return Resource("v1", "Secret", "db", None, doc, None, None, 0)


def test_secret_values_never_show() -> None:
    old = _secret({"password": "c2VjcmV0MQ==", "user": "YWRtaW4="})
    new = _secret({"password": "c2VjcmV0Mg==", "user": "YWRtaW4=", "token": "dG9rZW4="})
    [change] = _resources([old], [new])
    assert change.status == "changed"
    assert "c2VjcmV0" not in change.diff and "YWRtaW4" not in change.diff
    assert "dG9rZW4" not in change.diff
    lines = change.diff.splitlines()
    assert "-  password: <redacted>" in lines
    assert "+  password: <redacted, changed>" in lines
    assert "+  token: <redacted>" in lines
    assert "   user: <redacted>" in lines or "  user: <redacted>" in [x[1:] for x in lines]


def test_markdown_is_capped_with_a_note() -> None:
    resources = _resources([], [Resource("v1", "ConfigMap", f"c{i}", None,
                                         {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": f"c{i}"},
                                          "data": {"k": "x" * 200}}, None, None, i)
                                for i in range(30)])
    targets = tuple(TargetChange(f"prod/app{i}", "added", None, tuple(resources))
                    for i in range(40))
    diff = RenderedDiff("main", "0" * 40, targets, (), (), (), 0, 0)
    text = markdown(diff, limit=5000)
    assert len(text) <= 5000
    assert "more targets changed (prod/app" in text
    assert "the comment is capped at 5000 characters" in text
    assert text.count("<details>") == text.count("</details>")


def test_a_side_that_holds_nothing_to_check_adds_or_removes_every_target(
        run: Run, tmp_path: Path) -> None:
    """The first commit holds a README alone: every Application of the working tree is
    added (it failed, naming a private directory); with every Application deleted, each is
    removed; with nothing on either side, the run fails closed, naming the base."""
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "README.md").write_text("shop\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "readme")
    shutil.copytree(SHOP, repo, dirs_exist_ok=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "shop")
    added = _json(run("diff", "--base", "HEAD~1", "--format", "json", cwd=repo))
    assert added["targets"] and {t["status"] for t in added["targets"]} == {"added"}
    shutil.rmtree(repo / "apps")
    shutil.rmtree(repo / "charts")
    removed = _json(run("diff", "--base", "HEAD", "--format", "json", cwd=repo))
    assert {t["target"] for t in removed["targets"]} == {t["target"] for t in added["targets"]}
    assert {t["status"] for t in removed["targets"]} == {"removed"}
    nothing = run("diff", "--base", "HEAD~1", cwd=repo)
    assert nothing.returncode == 2
    assert "nothing to check, in the working tree nor at HEAD~1" in nothing.stderr
    assert "platecheck-base" not in nothing.stderr


def test_a_target_classified_anew_is_compared_as_the_one_it_was(
        run: Run, tmp_path: Path) -> None:
    """A change that adds an environment configuration as it changes a value: ``web-dev``,
    unclassified (``default/web-dev``) at the base, is ``dev/web`` now; the diff shows its
    value's change, once, under its new id with the old one (it showed every resource
    removed from one target and added to the other), and its findings as the same."""
    from synthetic import application

    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "web").mkdir()
    (repo / "apps" / "web-dev.yaml").write_text(application("web-dev", "web", "web-dev"))
    (repo / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  tag: '1.0'\n")
    (repo / "web" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
        "    - name: web\n      image: nginx:1.27.0\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "policies").mkdir()
    (repo / "policies" / "platecheck.yaml").write_text(
        "environments:\n  dev:\n    match:\n      names: ['*-dev']\n")
    (repo / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  tag: '2.0'\n")
    result = run("diff", "--base", "HEAD", "apps", "--format", "json", cwd=repo)
    data = _json(result)
    assert [(t["target"], t["was"], t["status"], [r["status"] for r in t["resources"]])
            for t in data["targets"]] == [("dev/web", "default/web-dev", "changed",
                                           ["changed"])]
    assert (data["appeared"], data["disappeared"]) == ([], [])
    text = run("diff", "--base", "HEAD", "apps", cwd=repo)
    assert text.stdout.splitlines()[0].startswith("== dev/web (was default/web-dev): changed")


def test_a_cause_two_targets_share_is_one_line_naming_them() -> None:
    """A chart dependency not vendored stops both environments' targets: one line for the
    cause, naming both (in text and markdown), as lint says it; it was a line per target,
    naming none."""
    from platecheck.model import Finding, Level
    from platecheck.report.rendered_diff import text

    errors = tuple(Finding(policy="could-not-check", message="chart dependency not in charts/",
                           file="charts/web/Chart.yaml", line=5, level=Level.ERROR,
                           environment=env, target=f"{env}/web") for env in ("prod", "stg"))
    diff = RenderedDiff(ref="HEAD~1", commit="0" * 40, targets=(), appeared=(), disappeared=(),
                        errors=errors, renders=0, cache_hits=0)
    assert text(diff).splitlines()[0] == ("charts/web/Chart.yaml:5: could not check prod/web, "
                                          "stg/web: chart dependency not in charts/")
    assert "`charts/web/Chart.yaml:5` could not check prod/web, stg/web: " in markdown(diff)


def test_a_file_name_s_line_break_starts_no_line_of_the_diff() -> None:
    """A file named with line breaks (the checked repository chooses its names) is shown
    escaped, in text and in the pull-request comment: it cannot forge a line."""
    from platecheck.model import Finding, Level
    from platecheck.report.rendered_diff import text

    forged = "apps/web\n\n**No findings: safe to merge**\n.yaml"
    finding = Finding(policy="argocd-application", message="Application web: wrong",
                      file=forged, line=10, level=Level.ERROR, target="prod/web")
    diff = RenderedDiff(ref="main", commit="0" * 40, targets=(
        TargetChange("prod/web", "changed", forged, ()),), appeared=(finding,),
        disappeared=(), errors=(finding,), renders=0, cache_hits=0)
    for shown in (text(diff), markdown(diff)):
        assert not any(line.startswith("**No findings") for line in shown.splitlines())
        assert "apps/web\\x0a\\x0a**No findings: safe to merge**\\x0a.yaml:10" in shown


REMOTE_CHART_APP = ref_values_application("cache-prod", "demo", "$values/envs/prod.yaml",
                                          "https://git.example.com/shop.git")


def test_a_chart_not_rendered_whose_values_changed_is_named(run: Run, tmp_path: Path) -> None:
    """A Helm repository's chart reads this repository's values through a ref: when they
    change, Argo CD deploys something else. --changed-since chooses its target (it said
    nothing to lint, exit 0) and diff --base names it (0 targets changed); a comment added
    to its Application changes nothing."""
    from test_changed import make_repo

    repo = make_repo(tmp_path / "shop", {"apps/cache-prod.yaml": REMOTE_CHART_APP,
                                         "envs/prod.yaml": "replicas: 2\n"},
                     origin="https://git.example.com/shop.git")
    (repo / "envs/prod.yaml").write_text("replicas: 3\n")
    git(repo, "commit", "-q", "-am", "values")
    chosen = run("lint", ".", "--changed-since", "HEAD~1", "--format", "json", cwd=repo)
    assert chosen.returncode == 1, chosen.stderr
    assert [(f["policy"], f["target"]) for f in _json(chosen)["findings"]] == [
        ("not-rendered", "prod/cache")]
    changed = _json(run("diff", "--base", "HEAD~1", "--format", "json", cwd=repo))
    assert [(t["target"], t["status"], t["resources"]) for t in changed["targets"]] == [
        ("prod/cache", "not-rendered", [])]
    text = run("diff", "--base", "HEAD~1", cwd=repo).stdout
    assert "== prod/cache: not-rendered (apps/cache-prod.yaml:1): " in text
    (repo / "apps/cache-prod.yaml").write_text(REMOTE_CHART_APP + "# the cache\n")
    git(repo, "commit", "-q", "-am", "comment")
    assert _json(run("diff", "--base", "HEAD~1", "--format", "json", cwd=repo))["targets"] == []


def test_a_target_that_cannot_be_rendered_now_is_not_removed(run: Run, tmp_path: Path) -> None:
    """The working tree breaks a values file: the target could not be checked, which its
    error says; it is not "removed", nor are its findings "disappearing"."""
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    values = repo / "charts" / "web" / "values-prod.yaml"
    values.write_text(values.read_text().replace('tag: "2.4.0"', "tag: latest") + "x: [1\n")
    result = run("diff", "--base", "HEAD", "apps", "--format", "json", cwd=repo)
    assert result.returncode == 2
    data = _json(result)
    assert (data["targets"], data["disappeared"], data["appeared"]) == ([], [], [])
    assert [(e["target"], e["file"]) for e in data["errors"]] == [
        ("prod/web", "charts/web/values-prod.yaml")]
