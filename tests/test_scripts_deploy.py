"""scripts/deploy-stg.sh, deploy-prod.sh and deploy-all.sh: the Applications they apply and in
which order, confirmation, backup, rollback, and the platecheck gate.

kubectl and helm are stand-ins that record their calls (tests/scripts_harness.py); helm
template/lint and the platecheck gate are real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts_harness import copy_repository, run_script

STG = ["plate-cache-stg", "plate-api-stg", "plate-llm-stg", "plate-web-stg", "ingress-stg"]
PROD = ["plate-cache-prod", "plate-api-prod", "plate-web-prod", "ingress-prod"]
CONFIRMED = {"CONFIRM_PRODUCTION": "yes"}


# --- deploy-stg.sh --------------------------------------------------------------------------


def test_staging_applies_its_applications_in_dependency_order(tmp_path: Path,
                                                              helm_bin: Path) -> None:
    run = run_script("deploy-stg.sh", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert "platecheck: stg passes" in run.stdout
    assert run.applied() == STG
    assert [c for c in run.mutating() if c[1] != "apply"] == []
    waits = [c[2] for c in run.tool_calls("kubectl", "wait")]
    assert waits == [f"application/{app}" for app in STG]


def test_staging_dry_run_sends_everything_as_a_server_dry_run(tmp_path: Path,
                                                              helm_bin: Path) -> None:
    run = run_script("deploy-stg.sh", tmp=tmp_path, helm=helm_bin, env={"DRY_RUN": "true"})
    assert run.returncode == 0, run.stderr
    assert run.mutating() == []
    assert run.applied() == STG
    assert all("--dry-run=server" in c for c in run.tool_calls("kubectl", "apply"))
    assert run.tool_calls("kubectl", "wait") == []


def test_staging_delete_goes_in_reverse_order_and_dry_run_only_prints(tmp_path: Path,
                                                                     helm_bin: Path) -> None:
    run = run_script("deploy-stg.sh", "delete", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert [c[3] for c in run.tool_calls("kubectl", "delete")] == STG[::-1]
    dry = run_script("deploy-stg.sh", "delete", tmp=tmp_path, helm=helm_bin,
                     env={"DRY_RUN": "true"})
    assert dry.returncode == 0, dry.stderr
    assert dry.mutating() == []
    assert "dry run, would run: kubectl delete application ingress-stg -n argocd" in dry.stdout


def test_a_missing_application_file_stops_before_the_first_apply(tmp_path: Path,
                                                                 helm_bin: Path) -> None:
    repo = copy_repository(tmp_path)
    # (gone from production too: an app production deploys and staging does not is
    # platecheck's env-consistency finding, which stops the script before its own check)
    for env in ("stg", "prod"):
        (repo / f"environments/argocd/apps/ingress-{env}.yaml").unlink()
    run = run_script("deploy-stg.sh", tmp=tmp_path, helm=helm_bin, repo=repo)
    assert run.returncode == 1
    assert run.stderr.endswith("error: missing environments/argocd/apps/ingress-stg.yaml: "
                               "no Argo CD Application named ingress-stg\n")
    assert run.applied() == []


@pytest.mark.parametrize(("script", "args"), [("deploy-stg.sh", ("redeploy",)),
                                              ("deploy-stg.sh", ("deploy", "now")),
                                              ("deploy-prod.sh", ("rollback", "abc")),
                                              ("deploy-all.sh", ("qa",)),
                                              ("deploy-all.sh", ("staging", "production")),
                                              ("deploy-all.sh", ("--skip-libraries",
                                                                 "--libraries-only"))])
def test_bad_arguments_are_usage_errors(script: str, args: tuple[str, ...], tmp_path: Path,
                                        helm_bin: Path) -> None:
    run = run_script(script, *args, tmp=tmp_path, helm=helm_bin, env=CONFIRMED)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and len(run.stderr.splitlines()) == 1
    assert f"(see scripts/{script} --help)" in run.stderr
    assert run.mutating() == []


@pytest.mark.parametrize(("script", "args"), [
    ("deploy-stg.sh", ("status",)), ("deploy-prod.sh", ("status",)),
    ("deploy-libraries.sh", ("status",)), ("deploy-libraries.sh", ("plan",)),
    ("deploy-prod.sh", ("rollback",)),
])
@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_read_only_commands_never_change_anything(script: str, args: tuple[str, ...],
                                                  dry_run: str, tmp_path: Path,
                                                  helm_bin: Path) -> None:
    run = run_script(script, *args, tmp=tmp_path, helm=helm_bin, env={"DRY_RUN": dry_run})
    assert run.returncode == 0, run.stderr
    assert run.mutating() == []
    assert "Traceback" not in run.stderr and "error:" not in run.stderr


def test_status_reports_what_each_library_and_application_runs(tmp_path: Path,
                                                               helm_bin: Path) -> None:
    libraries = run_script("deploy-libraries.sh", "status", tmp=tmp_path, helm=helm_bin)
    assert [c[2] for c in libraries.tool_calls("helm", "status")][:3] == [
        "cert-manager", "cert-manager-issuers", "jenkins"]
    assert ("kubectl", "get", "pods", "--namespace", "metallb-system") in libraries.calls
    staging = run_script("deploy-stg.sh", "status", tmp=tmp_path, helm=helm_bin)
    assert ("kubectl", "get", "applications", "-n", "argocd", "-l",
            "environment=staging") in staging.calls
    assert "https://stg.cocdev.co.kr" in staging.stdout


def test_bootstrap_applies_the_app_of_apps_and_its_dry_run_changes_nothing(
        tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-stg.sh", "bootstrap", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert run.applied() == ["app-of-apps"]
    assert run.mutating() == [c for c in run.calls if c[:2] == ("kubectl", "apply")]
    dry = run_script("deploy-stg.sh", "bootstrap", tmp=tmp_path, helm=helm_bin,
                     env={"DRY_RUN": "true"})
    assert dry.returncode == 0, dry.stderr
    assert dry.applied() == ["app-of-apps"] and dry.mutating() == []


# --- deploy-prod.sh -------------------------------------------------------------------------


def test_production_backs_up_then_applies_in_dependency_order(tmp_path: Path,
                                                             helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, env=CONFIRMED)
    assert run.returncode == 0, run.stderr
    assert "platecheck: prod passes" in run.stdout
    assert run.applied() == PROD
    backups = list((tmp_path / "backups").glob("prod-*"))
    assert len(backups) == 1
    assert sorted(p.name for p in backups[0].iterdir()) == ["applications.yaml",
                                                           "resources.yaml"]
    assert "kind: List" in (backups[0] / "applications.yaml").read_text()
    # the backup is read before the first change
    reads = [i for i, c in enumerate(run.calls) if "-o" in c and "yaml" in c]
    first_apply = run.calls.index(next(c for c in run.calls if c[:2] == ("kubectl", "apply")))
    assert len(reads) == 2 and max(reads) < first_apply
    rollouts = run.tool_calls("kubectl", "rollout")
    assert rollouts and all(c[2] == "status" for c in rollouts)


def test_skip_backup_deploys_without_one_and_says_so(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin,
                     env={**CONFIRMED, "SKIP_BACKUP": "true"})
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "backups").exists()
    assert [c for c in run.calls if "yaml" in c] == []
    assert "WARNING: SKIP_BACKUP=true: deploying without a backup" in run.stderr
    assert run.applied() == PROD


def test_a_failed_backup_stops_production(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin,
                     env={**CONFIRMED, "STANDIN_FAIL": "kubectl get deployments,*"})
    assert run.returncode == 1
    assert run.stderr.endswith("error: backup failed: cannot read the resources of plate-prod; "
                               "nothing was deployed\n")
    assert run.mutating() == []


def test_production_dry_run_changes_nothing(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, env={"DRY_RUN": "true"})
    assert run.returncode == 0, run.stderr
    assert run.mutating() == []
    assert run.applied() == PROD
    assert not (tmp_path / "backups").exists()


def test_production_refuses_without_a_terminal(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 1
    assert run.stderr.endswith(
        "error: confirmation needed but stdin is not a terminal: run scripts/deploy-prod.sh "
        "interactively, or set CONFIRM_PRODUCTION=yes to confirm in advance\n")
    assert run.mutating() == [] and not (tmp_path / "backups").exists()


@pytest.mark.parametrize("answer", ["no\n", "y\n", "YES please\n", "\n"])
def test_production_refuses_anything_but_yes_on_the_terminal(answer: str, tmp_path: Path,
                                                             helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, tty_input=answer)
    assert run.returncode == 1
    assert "Type 'yes' to continue: " in run.stderr
    assert run.stderr.endswith("error: cancelled: nothing was changed (answer 'yes' to go on)\n")
    assert run.mutating() == []


def test_production_goes_on_when_yes_is_typed(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, tty_input="yes\n")
    assert run.returncode == 0, run.stderr
    assert run.applied() == PROD


def test_a_context_not_named_for_production_is_warned_about_and_confirmed(
        tmp_path: Path, helm_bin: Path) -> None:
    context = {"STANDIN_CONTEXT": "kind-dev"}
    refused = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, env=context,
                         tty_input="no\n")
    warning = ("WARNING: the kubectl context 'kind-dev' does not contain 'prod' or "
               "'production': is this the production cluster?")
    assert refused.returncode == 1
    assert warning in refused.stderr
    assert "Deploy production to context 'kind-dev' anyway? Type 'yes': " in refused.stderr
    assert refused.mutating() == []
    confirmed = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, env=context,
                           tty_input="yes\nyes\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert warning in confirmed.stderr
    assert confirmed.applied() == PROD
    named = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, env=CONFIRMED)
    assert "WARNING: the kubectl context" not in named.stderr


def test_platecheck_findings_stop_production(tmp_path: Path, helm_bin: Path) -> None:
    repo = copy_repository(tmp_path)
    values = repo / "helm/applications/plate-web/values-prod.yaml"
    text = values.read_text()
    assert 'tag: "1.25.5"' in text
    values.write_text(text.replace('tag: "1.25.5"', 'tag: "latest"', 1))
    run = run_script("deploy-prod.sh", tmp=tmp_path, helm=helm_bin, env=CONFIRMED, repo=repo)
    assert run.returncode == 1
    assert "[image-tag-pinned]" in run.stdout
    assert "helm/applications/plate-web/values-prod.yaml" in run.stdout
    assert run.stderr.endswith("error: platecheck found problems in prod: fix them before "
                               "deploying; nothing was deployed\n")
    assert run.mutating() == [] and not (tmp_path / "backups").exists()


def test_rollback_lists_the_history_and_returns_to_a_given_revision(tmp_path: Path,
                                                                    helm_bin: Path) -> None:
    history = {"STANDIN_HISTORY": "1 aaaaaaa1111\n2 bbbbbbb2222\n3 ccccccc3333\n"}
    listed = run_script("deploy-prod.sh", "rollback", tmp=tmp_path, helm=helm_bin, env=history)
    assert listed.returncode == 0, listed.stderr
    assert "2\tbbbbbbb2222\t" in listed.stdout
    assert [c[3] for c in listed.tool_calls("kubectl", "get") if c[2] == "application"] == PROD
    run = run_script("deploy-prod.sh", "rollback", "2", tmp=tmp_path, helm=helm_bin, env=history)
    assert run.returncode == 0, run.stderr
    assert "deployment 2 (revision bbbbbbb2222)" in run.stdout
    assert "git revert --no-edit bbbbbbb2222..HEAD" in run.stdout
    assert run.mutating() == []
    unknown = run_script("deploy-prod.sh", "rollback", "9", tmp=tmp_path, helm=helm_bin,
                         env=history)
    assert unknown.returncode == 1
    assert unknown.stderr.endswith("error: no deployment with id 9 in the history of "
                                   "plate-web-prod\n")


def test_production_is_never_deleted_by_the_script(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-prod.sh", "delete", tmp=tmp_path, helm=helm_bin, env=CONFIRMED)
    assert run.returncode == 1
    assert run.calls == []


# --- deploy-all.sh --------------------------------------------------------------------------


def _order(run_calls: list[tuple[str, ...]]) -> list[str]:
    """Libraries (helm releases) and Applications (files) in the order they were deployed."""
    out = []
    for call in run_calls:
        if call[:2] == ("helm", "upgrade"):
            out.append(call[3])
        elif call[:2] == ("kubectl", "apply"):
            out.append(Path(call[call.index("-f") + 1]).stem)
    return out


def test_deploy_all_staging_deploys_libraries_then_applications(tmp_path: Path,
                                                                helm_bin: Path) -> None:
    run = run_script("deploy-all.sh", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    order = _order(run.calls)
    assert order[:3] == ["cert-manager", "cert-manager-issuers", "jenkins"]
    assert order[3:5] == ["metallb", "metallb-config"]
    assert order[-5:] == STG and len(order) == 12 + 5
    assert "environment:   staging (namespace plate-stg)" in run.stdout
    # the gate ran before the first change; cert-manager is waited for before the apps
    assert run.stdout.index("platecheck: stg passes") < run.stdout.index("Layer cert-manager")
    waited = run.calls.index(("kubectl", "wait", "--for=condition=Available", "deployment",
                              "--all", "-n", "cert-manager", "--timeout=5s"))
    assert waited < run.calls.index(next(c for c in run.calls if c[:2] == ("kubectl", "apply")))
    # the health check: the cluster, cert-manager's pods, the environment's pods
    tail = run.calls[-6:]
    assert tail[0] == ("kubectl", "cluster-info")
    assert ("kubectl", "get", "pods", "-n", "cert-manager") in tail
    assert ("kubectl", "get", "pods", "-n", "plate-stg") in tail
    assert "Done: staging deployed" in run.stdout


def test_deploy_all_libraries_only(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-all.sh", "staging", "--libraries-only", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert run.applied() == [] and len(run.upgraded()) == 12
    assert ("kubectl", "get", "pods", "-n", "plate-stg") not in run.calls
    assert ("kubectl", "get", "pods", "-n", "cert-manager") in run.calls


def test_deploy_all_skip_libraries(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-all.sh", "stg", "--skip-libraries", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert run.upgraded() == [] and run.applied() == STG
    assert ("kubectl", "get", "pods", "-n", "cert-manager") not in run.calls


def test_deploy_all_production_confirms_once_and_deploys_without_plate_llm(
        tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-all.sh", "production", "--skip-libraries", tmp=tmp_path,
                     helm=helm_bin, tty_input="yes\n")
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("Type 'yes' to continue: ") == 1
    assert run.applied() == PROD
    assert len(list((tmp_path / "backups").glob("prod-*"))) == 1


def test_deploy_all_production_refuses_without_a_terminal(tmp_path: Path,
                                                          helm_bin: Path) -> None:
    run = run_script("deploy-all.sh", "production", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 1
    assert "stdin is not a terminal" in run.stderr
    assert run.mutating() == []
    assert "Deployment plan" in run.stdout  # the plan is shown before the question


def test_deploy_all_dry_run_changes_nothing(tmp_path: Path, helm_bin: Path) -> None:
    run = run_script("deploy-all.sh", "production", "--dry-run", tmp=tmp_path, helm=helm_bin)
    assert run.returncode == 0, run.stderr
    assert run.mutating() == []
    assert run.applied() == PROD
    assert "Done: production checked (dry run: nothing was changed)" in run.stdout
