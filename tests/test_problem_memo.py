"""Schema problems are remembered per schema and document content (``schemas.remembering``):
a changed run validates only documents it has not seen, and finds the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck import schemas
from platecheck.cache import ResultMemo
from platecheck.engine import PROBLEMS, lint
from platecheck.model import Finding
from security_helpers import make_repo

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  {field}: []\n"


def _repo(tmp_path: Path, field: str = "portz") -> Path:
    repo = tmp_path / "repo"
    chart = make_repo(repo)
    (chart / "templates" / "svc.yaml").write_text(SERVICE.format(field=field))
    return repo


def _schema_findings(report_findings: tuple[Finding, ...]) -> list[tuple[Any, ...]]:
    return [(f.target, f.file, f.line, f.message, f.remediation) for f in report_findings
            if f.policy == "k8s-schema"]


def _boom(*_: Any) -> Any:
    raise AssertionError("validated again")


def test_a_second_run_answers_from_what_it_remembered(tmp_path: Path, helm_bin: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    first = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    found = _schema_findings(first.findings)
    assert [message for _, _, _, message, _ in found] == [
        "Service/web: spec.portz: unknown field"]
    assert list((tmp_path / "cache" / PROBLEMS).glob("*/*.json"))
    monkeypatch.setattr(schemas, "_describe", _boom)  # describes what a validation found
    second = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert _schema_findings(second.findings) == found
    assert second.errors == first.errors == ()


def test_a_changed_document_is_validated_again(tmp_path: Path, helm_bin: Path) -> None:
    repo = _repo(tmp_path)
    lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    svc = repo / "charts" / "web" / "templates" / "svc.yaml"
    svc.write_text(SERVICE.format(field="portx"))
    [(_, file, line, message, _)] = _schema_findings(
        lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache").findings)
    assert (file, line, message) == ("charts/web/templates/svc.yaml", 6,
                                     "Service/web: spec.portx: unknown field")
    svc.write_text(SERVICE.format(field="ports"))
    assert _schema_findings(lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache").findings
                            ) == []


def test_an_altered_memory_is_not_believed(tmp_path: Path, helm_bin: Path) -> None:
    repo = _repo(tmp_path)
    found = _schema_findings(lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache").findings)
    files = list((tmp_path / "cache" / PROBLEMS).glob("*/*.json"))
    for file in files:  # every result emptied, the digest line left as it was
        digest, _, body = file.read_text().partition("\n")
        file.write_text(digest + "\n" + body.replace('"unknown field"', '"x"'))
    assert _schema_findings(lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache").findings
                            ) == found


def test_without_the_cache_nothing_is_remembered(tmp_path: Path, helm_bin: Path) -> None:
    repo = _repo(tmp_path)
    report = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache", use_cache=False)
    assert len(_schema_findings(report.findings)) == 1
    assert not (tmp_path / "cache" / PROBLEMS).exists()


def test_the_memory_keeps_what_runs_use(tmp_path: Path) -> None:
    memo = ResultMemo(tmp_path, limit=3)
    for key in "abcd":
        memo.put("group", key, [key])
    memo.save()
    again = ResultMemo(tmp_path, limit=3)
    assert again.get("group", "a") is None  # the oldest left first
    assert again.get("group", "b") == ["b"]
    again.put("group", "e", ["e"])
    again.save()
    third = ResultMemo(tmp_path, limit=3)
    assert {key: third.get("group", key) for key in "bcde"} == {
        "b": ["b"], "c": None, "d": ["d"], "e": ["e"]}


def test_problems_outside_a_run_are_not_remembered() -> None:
    validator = schemas.kubernetes_validator("1.31.0", "v1", "ConfigMap")
    assert not schemas._memos
    [problem] = schemas.problems(validator, {"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": "x"}, "datax": {}}, "id")
    assert problem.message == "unknown field"
