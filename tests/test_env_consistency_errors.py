"""env-consistency when one environment's Application cannot be loaded: the engine reports a
could-not-check error, and env-consistency does not add that the app is missing there."""

from __future__ import annotations

from pathlib import Path

import pytest

from parser_words import PARSER, hide_parser_words
from platecheck.engine import lint
from test_policies_mission import build_repo

APPS = Path(__file__).parent / "fixtures/policies/_base/environments/argocd/apps"
# a second app in both environments, so that staging is still present when web-stg fails
WORKER = {f"environments/argocd/apps/worker-{env}.yaml":
          (APPS / f"web-{env}.yaml").read_text().replace(f"name: web-{env}", f"name: worker-{env}")
          for env in ("stg", "prod")}
MISSING_VALUES = {"files": WORKER,
                  "edits": [{"file": "environments/argocd/apps/web-stg.yaml", "line": 16,
                             "text": "        - values-staging.yaml"}]}
BROKEN_VALUES = {"files": {**WORKER, "helm/applications/web/values-web-stg.yaml": "a: {1\n"},
                 "edits": [{"file": "environments/argocd/apps/web-stg.yaml", "line": 16,
                            "text": "        - values-web-stg.yaml"}]}


@pytest.mark.parametrize("case, error", [
    (MISSING_VALUES, "environments/argocd/apps/web-stg.yaml:16: value file "
                     "'values-staging.yaml' not found (helm/applications/web/values-staging.yaml)"),
    (BROKEN_VALUES, f"helm/applications/web/values-web-stg.yaml:2: {PARSER} (value file of "
                    "Application 'web-stg')"),
], ids=["missing-values-file", "broken-values-yaml"])
def test_app_whose_other_environment_failed_is_not_single_environment(
        case: dict[str, object], error: str, tmp_path: Path, helm_bin: Path) -> None:
    repo = build_repo(case, tmp_path)
    report = lint(repo / "environments", helm=str(helm_bin), cache_dir=tmp_path / "cache")
    assert [(e.target, hide_parser_words(f"{e.location}: {e.message}"))
            for e in report.errors] == [
        ("stg/web", error)]
    assert [(f.policy, f.target, f.message) for f in report.findings
            if f.policy == "env-consistency"] == []


def test_declaration_of_no_app_is_judged_only_by_a_run_of_every_target(
        tmp_path: Path, helm_bin: Path) -> None:
    case = {"config": {"env-consistency": {"options": {"singleEnvironment": {
        "wroker": {"environments": ["stg"], "reason": "staging only"}}}}}}
    repo = build_repo(case, tmp_path)
    rows = {}
    for env in (None, "stg"):
        report = lint(repo / "environments", helm=str(helm_bin), cache_dir=tmp_path / "cache",
                      environments=[env] if env else None)
        rows[env] = [(f.location, f.message) for f in report.findings
                     if f.policy == "env-consistency"]
    assert rows == {
        None: [("policies/platecheck.yaml:52",
                'singleEnvironment declares "wroker", which no Application deploys')],
        "stg": []}
