"""The start-up settings platecheck gives helm and kubectl (``START_UP``: Go's collector and
kubectl's message catalogue) make their processes cheaper and change nothing they print:
every call below gives the same exit code, stdout and stderr with and without them, with
Helm 3 and Helm 4, successes and failures alike."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from platecheck.helmbin import install_helm, isolated_environment
from platecheck.helmbin.locate import MESSAGE_CATALOGUE, START_UP
from synthetic import write_files

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "values.yaml": "replicas: 2\nimage: nginx\n",
    "templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n"
        "  selector:\n    matchLabels: {app: demo}\n"
        "  template:\n    metadata:\n      labels: {app: demo}\n"
        "    spec:\n      containers:\n        - name: c\n          image: {{ .Values.image }}\n"),
    # a deprecated API: helm lint warns about it
    "templates/psp.yaml": (
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n"
        "metadata:\n  name: {{ .Release.Name }}\nspec:\n  minAvailable: 1\n"),
}
BROKEN = {
    "Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    "templates/cm.yaml": "kind: ConfigMap\n{{ fail \"no config\" }}\n",
    "templates/bad.yaml": "{{ if .Values.x }}\n",
}


def _without_start_up(env: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key not in START_UP}


def _outputs(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module", params=[3, 4], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    return install_helm(str(request.param))


def test_the_settings_reach_every_process(tmp_path: Path) -> None:
    env = isolated_environment(tmp_path / "home")
    assert {key: env[key] for key in START_UP} == START_UP


def _bash_wrapper(helm: Path, tmp_path: Path) -> Path:
    """helm behind a bash script, as a version manager's shim or a Nix wrapper puts it."""
    wrapper = tmp_path / "helm-wrapper"
    wrapper.write_text(f'#!/usr/bin/env bash\nexec "{helm}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.parametrize("wrapped", [False, True], ids=["binary", "bash-wrapper"])
def test_helm_prints_the_same_with_the_settings(helm: Path, tmp_path: Path,
                                                wrapped: bool) -> None:
    if wrapped:
        if shutil.which("bash") is None:
            pytest.skip("no bash on PATH")
        helm = _bash_wrapper(helm, tmp_path)
    chart = write_files(tmp_path / "demo", CHART)
    broken = write_files(tmp_path / "broken", BROKEN)
    values = tmp_path / "values-prod.yaml"
    values.write_text("replicas: 3\n")
    calls = [
        ["template", "r", str(chart), "--namespace", "prod", "-f", str(values)],
        ["template", "r", str(chart), "--kube-version", "1.30.0", "--include-crds"],
        ["lint", "--strict", str(chart), "-f", str(values)],
        ["lint", "--strict", str(chart), str(broken)],
        ["template", "r", str(broken)],
        ["template", "r", str(tmp_path / "missing")],
    ]
    env = isolated_environment(tmp_path / "home")
    failed = 0
    assert "LC_ALL" not in env  # bash warns on stderr about an LC_ALL it cannot load
    for args in calls:
        tuned = _outputs([str(helm), *args], env, tmp_path)
        assert tuned == _outputs([str(helm), *args], _without_start_up(env), tmp_path), args
        failed += tuned[0] != 0
    assert failed == 4  # the deprecated API under --strict, the broken chart, the missing one


def test_kubectl_prints_the_same_with_the_settings(kubectl_bin: Path, tmp_path: Path) -> None:
    good = write_files(tmp_path / "good", {
        "kustomization.yaml": "namePrefix: x-\nresources:\n  - cm.yaml\n",
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    missing = write_files(tmp_path / "missing",
                          {"kustomization.yaml": "resources:\n  - gone.yaml\n"})
    remote = write_files(tmp_path / "remote", {
        "kustomization.yaml": "resources:\n  - https://example.invalid/org/repo//base?ref=v1\n"})
    env = {**isolated_environment(tmp_path / "home"), "GIT_ALLOW_PROTOCOL": "none"}
    results = []
    for directory in (good, missing, remote):
        argv = [str(kubectl_bin), "kustomize", str(directory)]
        tuned = _outputs(argv, env, tmp_path)
        assert tuned == _outputs(argv, _without_start_up(env), tmp_path), directory.name
        results.append(tuned[0])
    assert results[0] == 0 and results[1] != 0 and results[2] != 0


_INIT = re.compile(r"^init \S+ @\S+ ms, \S+ ms clock, (\d+) bytes, \d+ allocs$", re.M)


def _start_up_bytes(binary: Path, env: dict[str, str], cwd: Path) -> int:
    """What the Go packages of ``binary`` allocate while they initialise (GODEBUG=inittrace)."""
    _code, _out, err = _outputs([str(binary), "version", "--client"],
                                {**env, "GODEBUG": "inittrace=1"}, cwd)
    sizes = [int(size) for size in _INIT.findall(err)]
    assert len(sizes) > 100, err[:500]
    return sum(sizes)


def test_the_catalogue_setting_lightens_start_up(helm: Path, kubectl_bin: Path,
                                                 tmp_path: Path) -> None:
    # kubectl's English catalogue is parsed as the process starts; the one MESSAGE_CATALOGUE
    # names is a few messages long. If a release stops honouring it, this says so.
    env = isolated_environment(tmp_path / "home")
    plain = {key: value for key, value in env.items() if key not in MESSAGE_CATALOGUE}
    for binary in (helm, kubectl_bin):
        assert _start_up_bytes(binary, env, tmp_path) < 0.8 * _start_up_bytes(binary, plain,
                                                                                tmp_path)
