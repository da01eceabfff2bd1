"""The pre-merge gate: the published pre-commit hook, this repository's pre-commit
configuration, and the CI workflow example."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from platecheck.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
SHOP = Path(__file__).parent / "fixtures" / "ci" / "shop"


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["platecheck"]
    return dict(hooks[0])


def local_hook() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    (found,) = repo["hooks"]
    return dict(found)


def test_the_published_hook() -> None:
    published = hook()
    assert published["language"] == "python"
    assert published["entry"] == "platecheck lint"
    assert published["args"] == ["."]
    assert published["pass_filenames"] is False


def test_this_repository_uses_the_same_hook_on_its_environments() -> None:
    published, local = hook(), local_hook()
    assert local["id"] == published["id"]
    assert local["entry"] == published["entry"]
    assert local["files"] == published["files"]
    assert local["pass_filenames"] is False
    assert local["args"] == ["environments/"]


@pytest.mark.parametrize("path, runs", [
    ("helm/applications/plate-web/values-prod.yaml", True),
    ("helm/applications/plate-web/values.yaml", True),
    ("helm/applications/plate-web/values.schema.json", True),
    ("helm/applications/plate-web/Chart.yaml", True),
    ("helm/applications/plate-web/templates/deployment.yaml", True),
    ("helm/applications/plate-web/templates/_helpers.tpl", True),
    ("charts/web/Chart.lock", True),
    ("environments/argocd/apps/plate-web-prod.yaml", True),
    ("environments/shared/common-values.yaml", True),
    ("clusters/prod/apps/web.yml", True),
    ("policies/platecheck.yaml", True),
    ("policies/schemas/certificate-cert-manager.io-v1.json", True),
    ("README.md", False),
    ("docs/ci.md", False),
    ("src/platecheck/cli.py", False),
    ("scripts/deploy-prod.sh", False),
    ("pyproject.toml", False),
    (".github/workflows/platecheck.yml", False),
    ("helm/applications/plate-web/README.md", False),
])
def test_the_hook_runs_only_for_charts_values_applications_and_policies(path: str,
                                                                        runs: bool) -> None:
    # pre-commit matches `files` with re.search on the repository-relative path
    assert bool(re.search(hook()["files"], path)) is runs


# -- pre-commit itself --------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.mark.network
def test_pre_commit_runs_the_hook_on_a_values_change_and_skips_an_unrelated_one(
        tmp_path: Path, helm_bin: Path) -> None:
    """``pre-commit try-repo`` installs this repository into its own virtualenv (from PyPI,
    slow, so once) and runs the hook on a staged values change in a sample repository. An
    unrelated change is then run through this repository's own configuration, whose hook
    has the same ``files`` (checked above) and needs no install."""
    # The hook repository as pre-commit clones it: a commit of what `pip install .` needs.
    hook_repo = tmp_path / "hook-repo"
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src/platecheck"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        (hook_repo / name).parent.mkdir(parents=True, exist_ok=True)
        copy(ROOT / name, hook_repo / name)
    _git(hook_repo, "init", "-q", "-b", "main")
    _git(hook_repo, "add", "-A")
    _git(hook_repo, "commit", "-q", "-m", "platecheck")
    sample = tmp_path / "sample"
    shutil.copytree(SHOP, sample)
    (sample / "README.md").write_text("shop\n")
    _git(sample, "init", "-q", "-b", "main")
    _git(sample, "add", "-A")
    _git(sample, "commit", "-q", "-m", "shop")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
               PLATECHECK_CACHE_DIR=str(tmp_path / "cache"), PLATECHECK_HELM=str(helm_bin),
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    env.pop("PYTHONPATH", None)  # the hook must run from its own install

    def pre_commit(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"],
                              cwd=sample, env=env, capture_output=True, text=True, timeout=900)
        return done.stdout + done.stderr

    (sample / "charts/web/values-prod.yaml").write_text("replicas: 4\n")
    _git(sample, "add", "charts/web/values-prod.yaml")
    ran = pre_commit("try-repo", str(hook_repo), "platecheck", "--verbose")
    assert re.search(r"^platecheck\.+Passed$", ran, re.MULTILINE), ran
    assert re.search(r"^0 errors, .* in 4 targets", ran, re.MULTILINE), ran  # it linted the shop
    _git(sample, "commit", "-q", "-m", "web: 4 replicas")

    (sample / "README.md").write_text("the shop\n")
    _git(sample, "add", "README.md")
    skipped = pre_commit("run", "--config", str(ROOT / ".pre-commit-config.yaml"))
    assert re.search(r"^platecheck\.+\(no files to check\)Skipped$", skipped, re.MULTILINE), \
        skipped


# -- the CI workflow ----------------------------------------------------------------------


def workflow_steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load((ROOT / ".github/workflows/platecheck.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    return list(job["steps"])


def platecheck_commands(step: dict[str, Any]) -> list[list[str]]:
    run = str(step.get("run", ""))
    return [shlex.split(line.split("||")[0])[1:] for line in run.splitlines()
            if line.startswith("platecheck ")]


def test_the_workflow_lints_with_commands_the_cli_accepts() -> None:
    commands = [c for step in workflow_steps() for c in platecheck_commands(step)]
    assert commands == [
        ["setup"],
        ["lint", "environments/", "--report", "github=-", "--report", "junit=platecheck.xml",
         "--report", "sarif=platecheck.sarif"],
    ]
    parser = build_parser()
    for command in commands:
        parser.parse_args(command)  # exits on an option the CLI does not have


def test_the_workflow_fails_on_findings_but_always_uploads() -> None:
    steps = workflow_steps()
    gate = next(s for s in steps if "junit=" in str(s.get("run", "")))
    assert "if" not in gate and "continue-on-error" not in gate and "||" not in gate["run"]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith(
        ("actions/upload-artifact", "github/codeql-action/upload-sarif"))]
    assert len(uploads) == 2
    assert all(str(s["if"]).startswith("always()") for s in uploads)
    sarif = next(s for s in uploads if "upload-sarif" in s["uses"])
    assert sarif["with"]["sarif_file"] == "platecheck.sarif"
    artifact = next(s for s in uploads if "upload-artifact" in s["uses"])
    assert artifact["with"]["path"].split() == ["platecheck.xml", "platecheck.sarif"]
    # the report steps after the gate run even when it failed, and fail only on exit 2
    for step in steps[steps.index(gate) + 1:]:
        if "run" in step:
            assert step["if"] == "always()"
            assert step["run"].endswith("|| [ $? -eq 1 ]")
