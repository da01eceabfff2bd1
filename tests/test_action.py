"""The GitHub Action (``action.yml``): its metadata against GitHub's action metadata syntax,
and its shell steps run here, in order, against a fixture repository with a pull-request
change (real git, real helm, no network: ``pip`` and ``gh`` are recording stand-ins).

https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli_helpers import git

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "tests" / "fixtures" / "ci" / "shop"
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

# -- the metadata syntax ------------------------------------------------------------------

TOP_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
COMPOSITE_STEP_KEYS = {"id", "name", "if", "run", "shell", "uses", "with", "env",
                       "working-directory", "continue-on-error"}
ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
SHELLS = {"bash", "pwsh", "python", "sh", "cmd", "powershell"}


def metadata_problems(action: dict[str, Any]) -> list[str]:
    problems = [f"unknown key {k!r}" for k in sorted(set(action) - TOP_KEYS)]
    problems += [f"missing {k!r}" for k in ("name", "description", "runs") if k not in action]
    inputs = action.get("inputs") or {}
    for name, spec in inputs.items():
        if not ID.match(name):
            problems.append(f"input id {name!r}")
        if not isinstance(spec, dict) or "description" not in spec:
            problems.append(f"input {name!r} has no description")
            continue
        problems += [f"input {name!r}: unknown key {k!r}" for k in set(spec) - INPUT_KEYS]
        if "default" in spec and not isinstance(spec["default"], str):
            problems.append(f"input {name!r}: default must be a string")
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        problems.append("runs.using must be composite")
    steps = runs.get("steps") or []
    ids = [s["id"] for s in steps if "id" in s]
    if len(ids) != len(set(ids)):
        problems.append("step ids are not unique")
    for index, step in enumerate(steps):
        where = f"step {index} ({step.get('name')})"
        problems += [f"{where}: unknown key {k!r}" for k in set(step) - COMPOSITE_STEP_KEYS]
        if ("run" in step) == ("uses" in step):
            problems.append(f"{where}: exactly one of run and uses")
        if "run" in step and step.get("shell") not in SHELLS:
            problems.append(f"{where}: a run step needs shell")
        if "uses" in step and not re.match(r"^[\w.-]+/[\w./-]+@[\w.-]+$", step["uses"]):
            problems.append(f"{where}: uses must be owner/repo@ref")
        if "run" in step and EXPRESSION.search(step["run"]):
            problems.append(f"{where}: an expression inside run (pass it through env)")
    for name, spec in (action.get("outputs") or {}).items():
        if not isinstance(spec, dict) or "description" not in spec or "value" not in spec:
            problems.append(f"output {name!r} needs description and value (composite)")
    text = yaml.safe_dump(action)
    for ref in re.findall(r"inputs\.([A-Za-z0-9_-]+)", text):
        if ref not in inputs:
            problems.append(f"inputs.{ref} is not an input")
    for ref in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", text):
        if ref not in ids:
            problems.append(f"steps.{ref} is not a step id")
    branding = action.get("branding") or {}
    if branding and branding.get("color") not in COLORS:
        problems.append("branding.color")
    return problems


def test_action_metadata_follows_the_syntax() -> None:
    assert metadata_problems(ACTION) == []
    assert set(ACTION["inputs"]) >= {"path", "environment", "formats", "diff"}


@pytest.mark.parametrize(("change", "problem"), [
    ({"runs": {"using": "node20", "steps": []}}, "runs.using must be composite"),
    ({"inputs": {"path": {"default": "."}}}, "input 'path' has no description"),
    ({"color": "x"}, "unknown key 'color'"),
    ({"runs": {"using": "composite", "steps": [{"run": "echo ${{ inputs.path }}",
                                                 "shell": "bash"}]}},
     "step 0 (None): an expression inside run (pass it through env)"),
    ({"runs": {"using": "composite", "steps": [{"run": "true"}]}},
     "step 0 (None): a run step needs shell"),
])
def test_the_metadata_checks_catch_mistakes(change: dict[str, Any], problem: str) -> None:
    assert problem in metadata_problems({**ACTION, **change})


# -- the shell steps, run here ------------------------------------------------------------


def _stub(bin_dir: Path, name: str, log: Path) -> None:
    script = bin_dir / name
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "{name} $*" >> "{log}"\n'
        'for arg in "$@"; do\n'
        '  if [ "$prev" = "--body-file" ]; then cp "$arg" "' + str(log.parent) + '/body.md"; fi\n'
        '  prev="$arg"\n'
        "done\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def _outputs(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


class Runner:
    """Runs the action's ``run:`` steps as the runner would: ``env:`` expressions evaluated,
    ``$GITHUB_ENV`` and ``$GITHUB_OUTPUT`` honoured."""

    def __init__(self, workspace: Path, tmp: Path, inputs: dict[str, str], helm: Path) -> None:
        self.workspace, self.tmp = workspace, tmp
        self.inputs = {name: str(spec.get("default", ""))
                       for name, spec in ACTION["inputs"].items()}
        self.inputs.update(inputs)
        self.bin = tmp / "bin"
        self.bin.mkdir(parents=True)
        self.log = tmp / "calls.log"
        _stub(self.bin, "pip", self.log)
        _stub(self.bin, "gh", self.log)
        self.exported: dict[str, str] = {}
        self.steps: dict[str, dict[str, str]] = {}
        self.helm = helm

    def context(self, name: str) -> str:
        github = {"action_path": str(REPO), "base_ref": "main", "event_name": "pull_request",
                  "event.pull_request.number": "7", "token": "test-token"}
        if name.startswith("inputs."):
            return self.inputs[name.removeprefix("inputs.")]
        if name.startswith("github."):
            return github[name.removeprefix("github.")]
        if name == "runner.temp":
            return str(self.tmp / "runner-temp")
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", name)
        if match:
            return self.steps.get(match.group(1), {}).get(match.group(2), "")
        raise AssertionError(f"the test does not know {name}")

    def run(self, step: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        env_values = {k: EXPRESSION.sub(lambda m: self.context(m.group(1)), str(v))
                      for k, v in (step.get("env") or {}).items()}
        files = {kind: self.tmp / f"{kind}-{len(self.steps)}" for kind in ("output", "env")}
        for path in files.values():
            path.write_text("")
        env = {**os.environ, **self.exported, **env_values,
               "PATH": os.pathsep.join([str(self.bin), str(Path(sys.executable).parent),
                                        os.environ["PATH"]]),
               "PYTHONPATH": str(REPO / "src"), "PLATECHECK_HELM": str(self.helm),
               "GITHUB_OUTPUT": str(files["output"]), "GITHUB_ENV": str(files["env"]),
               "GITHUB_WORKSPACE": str(self.workspace)}
        env.pop("GITHUB_STEP_SUMMARY", None)
        # as the runner runs `shell: bash`: bash --noprofile --norc -eo pipefail
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                 step["run"]], cwd=self.workspace,
                                env=env, capture_output=True, text=True, timeout=600,
                                check=False)
        self.exported.update(_outputs(files["env"]))
        if "id" in step:
            self.steps[step["id"]] = _outputs(files["output"])
        return result


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A repository whose pull request makes a production tag floating: ``origin`` holds main,
    the working tree is the pull request."""
    origin = tmp_path / "origin"
    shutil.copytree(SHOP, origin)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(work))
    values = work / "charts" / "web" / "values-prod.yaml"
    values.write_text(values.read_text().replace('tag: "2.4.0"', "tag: latest"))
    git(work, "commit", "-q", "-am", "web: latest")
    return work


def test_the_action_steps_lint_report_and_comment(pull_request: Path, tmp_path: Path,
                                                  helm_bin: Path) -> None:
    runner = Runner(pull_request, tmp_path / "runner", {"path": "apps", "diff": "true",
                                                         "formats": "junit,sarif",
                                                         "environment": "prod"}, helm_bin)
    steps = {step["name"]: step for step in ACTION["runs"]["steps"]}
    install = runner.run(steps["Install platecheck"])
    assert install.returncode == 0, install.stderr
    assert runner.log.read_text().splitlines()[0] == (
        f"pip install --disable-pip-version-check -q -c {REPO}/constraints.txt {REPO}")
    assert install.stdout.startswith("platecheck ")
    provision = runner.run(steps["Provision helm"])
    assert provision.returncode == 0, provision.stderr
    assert Path(runner.exported["PLATECHECK_HELM"]).is_file()

    lint = runner.run(steps["Lint"])
    assert lint.returncode == 0, lint.stderr  # the gate is the last step
    outputs = runner.steps["lint"]
    assert outputs["exit-code"] == "1"
    reports = Path(outputs["reports"])
    assert sorted(p.name for p in reports.iterdir()) == [
        "platecheck.sarif", "platecheck.txt", "platecheck.xml"]
    assert outputs["sarif"] == str(reports / "platecheck.sarif")
    assert re.search(r"^::error file=charts/web/values-prod.yaml,line=3,"
                     r"title=image-tag-pinned::", lint.stdout, re.MULTILINE), lint.stdout
    assert "stg/" not in lint.stdout  # environment: prod
    # the same reports as a separate run of each format
    alone = subprocess.run(
        [sys.executable, "-m", "platecheck", "lint", "apps", "--env", "prod", "-f", "junit"],
        cwd=pull_request, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), "PLATECHECK_HELM": str(helm_bin)})
    assert alone.stdout == (reports / "platecheck.xml").read_text()

    comment = runner.run(steps["Comment the rendered diff"])
    assert comment.returncode == 0, comment.stderr
    calls = runner.log.read_text().splitlines()
    assert calls[-1].startswith("gh pr comment 7 --body-file ")
    body = (runner.log.parent / "body.md").read_text()
    assert body.startswith("### platecheck: rendered changes since `origin/main`")
    assert "<summary><b>prod/web</b>: changed, 1 changed</summary>" in body
    assert "+        image: registry.example.com/shop/web:latest" in body

    gate = runner.run(steps["Fail on findings"])
    assert gate.returncode == 1
    # the working tree holds no report and no change beyond the pull request's
    assert git(pull_request, "status", "--porcelain") == ""


def test_an_unknown_format_fails_closed(pull_request: Path, tmp_path: Path,
                                        helm_bin: Path) -> None:
    runner = Runner(pull_request, tmp_path / "runner", {"path": "apps", "formats": "pdf"},
                    helm_bin)
    steps = {step["name"]: step for step in ACTION["runs"]["steps"]}
    lint = runner.run(steps["Lint"])
    assert "::error title=platecheck::unknown format 'pdf'" in lint.stdout
    assert runner.steps["lint"]["exit-code"] == "2"
    assert runner.run(steps["Fail on findings"]).returncode == 2
