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
    # a template writing the field in two branches: the two may place it apart
    other_line = _finding("k8s-schema", f"Application/x: {text}", line=8)
    other_file = _finding("k8s-schema", f"Application/x: {text}", file="apps/y.yaml")
    other_text = _finding("k8s-schema", "Application/x: spec.project: required")
    kept, errors = settle([owner, same, other_line, other_file, other_text], [], _model())
    assert kept == [owner, other_file, other_text] and errors == []
    kept, _ = settle([same], [], _model())  # argocd-application off: k8s-schema reports it
    assert kept == [same]


def test_an_error_owns_the_finding_at_its_line_only_of_its_own_target() -> None:
    """One template line where two generated Applications went wrong: the could-not-check
    error of one owns that one's finding there, not the other's."""
    text = "source path 'apps/x' does not exist"

    def at(policy: str, target: str | None, message: str) -> Finding:
        return Finding(policy=policy, message=message, file="apps/templates/a.yaml", line=9,
                       level=Level.ERROR, target=target)

    error = at("could-not-check", "prod/a", text)
    own, other = (at("argocd-application", target, f"Application {name}: {text}")
                  for target, name in (("prod/a", "a"), ("prod/b", "b")))
    kept, errors = settle([own, other], [error], _model())
    assert kept == [other] and [e.target for e in errors] == ["prod/a"]
    untargeted = at("argocd-application", None, f"Application c: {text}")
    assert settle([untargeted], [error], _model())[0] == []  # no target: whatever is there
