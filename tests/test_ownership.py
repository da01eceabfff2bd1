"""One problem, one finding: the rules of ``platecheck.ownership.settle``."""

from __future__ import annotations

from pathlib import Path

from platecheck.model import Finding, Level, RepoModel
from platecheck.ownership import settle


def _finding(policy: str, message: str, line: int = 7, file: str = "apps/x.yaml") -> Finding:
    return Finding(policy=policy, message=message, file=file, line=line, level=Level.ERROR,
                   resource="Application/x")


def _model() -> RepoModel:
    return RepoModel(root=Path("/r"), applications=(), app_of_apps=(), charts=(), targets=(),
                     rendered=(), yaml_files=())


def test_argocd_application_owns_the_same_problem_k8s_schema_finds_in_a_render() -> None:
    text = 'spec.revisionHistoryLimit: expected integer, got string "many"'
    owner = _finding("argocd-application", f"Application x: {text}")
    same = _finding("k8s-schema", f"Application/x: {text}")
    other_line = _finding("k8s-schema", f"Application/x: {text}", line=8)
    other_text = _finding("k8s-schema", "Application/x: spec.project: required")
    kept, errors = settle([owner, same, other_line, other_text], [], _model())
    assert kept == [owner, other_line, other_text] and errors == []
    kept, _ = settle([same], [], _model())  # argocd-application off: k8s-schema reports it
    assert kept == [same]
