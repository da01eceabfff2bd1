"""Running scripts/deploy-*.sh against stand-in ``kubectl`` and ``helm`` executables.

The stand-ins (tests/fixtures/standins/) come first on PATH, record every call they receive
and answer like the real tools; ``helm template``/``lint`` go on to the real helm, and the
platecheck gate is the real platecheck of this environment.
"""

from __future__ import annotations

import atexit
import functools
import os
import pty
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
STANDINS = Path(__file__).resolve().parent / "fixtures" / "standins"
APPS_DIR = REPO_ROOT / "environments" / "argocd" / "apps"

Call = tuple[str, ...]

# The calls that change a cluster (or a Helm release) unless sent as a dry run.
_KUBECTL_MUTATING = {"apply", "create", "delete", "patch", "replace", "label", "annotate",
                     "scale", "edit", "set", "taint", "drain", "cordon"}
_HELM_MUTATING = {"install", "upgrade", "uninstall", "delete", "rollback"}


def is_mutating(call: Call) -> bool:
    tool, *args = call
    if any(arg in ("--dry-run=server", "--dry-run=client") for arg in args):
        return False
    if tool == "kubectl":
        return bool(args) and (args[0] in _KUBECTL_MUTATING
                               or args[:2] in (["rollout", "restart"], ["rollout", "undo"]))
    return bool(args) and (args[0] in _HELM_MUTATING or args[:2] == ["repo", "add"])


@dataclass(frozen=True)
class ScriptRun:
    returncode: int
    stdout: str
    stderr: str
    calls: list[Call]

    def tool_calls(self, tool: str, verb: str | None = None) -> list[Call]:
        return [c for c in self.calls
                if c[0] == tool and (verb is None or (len(c) > 1 and c[1] == verb))]

    def mutating(self) -> list[Call]:
        return [c for c in self.calls if is_mutating(c)]

    def applied(self) -> list[str]:
        """The Application files kubectl applied, in order (file stem)."""
        return [Path(c[c.index("-f") + 1]).stem for c in self.tool_calls("kubectl", "apply")]

    def upgraded(self) -> list[str]:
        """The Helm releases upgraded or installed, in order."""
        return [c[3] for c in self.tool_calls("helm", "upgrade")]


@functools.cache
def system_path_without_tools() -> str:
    """A directory like the current PATH without kubectl, helm and platecheck, which the tests
    put on PATH (or leave out) themselves. Built once per test process."""
    shadow = Path(tempfile.mkdtemp(prefix="platecheck-system-bin-"))
    atexit.register(shutil.rmtree, shadow, ignore_errors=True)
    missing = {"kubectl", "helm", "platecheck"}
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if not directory or not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            if entry.name in missing or (shadow / entry.name).exists():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                (shadow / entry.name).symlink_to(entry.path)
    return str(shadow)


def run_script(script: str, *args: str, tmp: Path, helm: Path, env: dict[str, str] | None = None,
               repo: Path = REPO_ROOT, tty_input: str | None = None,
               missing: set[str] | None = None) -> ScriptRun:
    """Run ``repo/scripts/SCRIPT ARGS``; stdin is /dev/null unless ``tty_input`` is typed on a
    pseudo-terminal. ``missing`` names tools that are not installed at all."""
    log = tmp / f"calls-{len(list(tmp.glob('calls-*')))}.log"
    log.touch()
    path = os.environ.get("PATH", os.defpath)
    if missing:
        standins = tmp / "standins"
        standins.mkdir(exist_ok=True)
        for tool in {"kubectl", "helm"} - missing:
            (standins / tool).symlink_to(STANDINS / tool)
        venv_bin = "" if "platecheck" in missing else str(Path(sys.executable).parent)
        path = os.pathsep.join([str(standins), venv_bin, system_path_without_tools()])
    else:
        path = os.pathsep.join([str(STANDINS), str(Path(sys.executable).parent), path])
    full_env = {
        "PATH": path,
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "STANDIN_LOG": str(log),
        "REAL_HELM": str(helm),
        "PLATECHECK_HELM": str(helm),
        "WAIT_TIMEOUT": "5s",
        "BACKUP_DIR": str(tmp / "backups"),
    }
    for passed in ("PLATECHECK_CACHE_DIR", "XDG_CACHE_HOME"):
        if passed in os.environ:
            full_env[passed] = os.environ[passed]
    full_env.update(env or {})
    command = ["bash", str(repo / "scripts" / script), *args]
    if tty_input is None:
        result = subprocess.run(command, env=full_env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=120)
        returncode, stdout, stderr = result.returncode, result.stdout, result.stderr
    else:
        primary, secondary = pty.openpty()
        try:
            os.write(primary, tty_input.encode())
            proc = subprocess.run(command, env=full_env, stdin=secondary, capture_output=True,
                                  text=True, timeout=120)
        finally:
            os.close(secondary)
            os.close(primary)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    calls = [tuple(line.split("\x1f")) for line in log.read_text().splitlines() if line]
    return ScriptRun(returncode, stdout, stderr, calls)


def application(name: str, apps_dir: Path = APPS_DIR) -> dict[str, object]:
    loaded = yaml.safe_load((apps_dir / f"{name}.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def platform_applications() -> list[str]:
    names = []
    for file in sorted(APPS_DIR.glob("*.yaml")):
        app = yaml.safe_load(file.read_text())
        if app["metadata"].get("labels", {}).get("environment") == "platform":
            names.append(app["metadata"]["name"])
    return names


def copy_repository(tmp: Path) -> Path:
    """The platform content and scripts, copied: for tests that change the repository."""
    copy = tmp / "repo"
    for part in ("helm", "environments", "policies", "scripts"):
        shutil.copytree(REPO_ROOT / part, copy / part, symlinks=True)
    return copy
