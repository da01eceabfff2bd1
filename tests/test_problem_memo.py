"""Schema problems are remembered per schema and document content (``schema_problems.remembering``):
a changed run validates only documents it has not seen, and finds the same."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from platecheck import schema_problems, schemas
from platecheck.cache import ResultMemo
from platecheck.engine import PROBLEMS, lint
from platecheck.model import Finding
from security_helpers import add_crd, make_repo

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
    monkeypatch.setattr(schema_problems, "_describe", _boom)  # describes what a validation found
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
    assert not schema_problems._memos
    [problem] = schema_problems.problems(validator, {"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": "x"}, "datax": {}}, "id")
    assert problem.message == "unknown field"


VALUES_SCHEMA = ('{"type": "object", "properties": {"a": {"type": "integer"}, '
                 '"b": {"$ref": "REF"}}}')


def _values_schema_repo(tmp_path: Path, values: str, ref: str = "#/$defs/b") -> Path:
    repo = tmp_path / "repo"
    chart = make_repo(repo, values=values)
    schema = VALUES_SCHEMA.replace("REF", ref.replace("CHART", str(chart))) \
        .replace("}}}", '}}, "$defs": {"b": {}}}')
    (chart / "values.schema.json").write_text(schema)
    (chart / "b.json").write_text('{"type": "string"}')
    return repo


def _counting_values_checks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The values a chart's values.schema.json is checked against from now on."""
    from platecheck import values_schema

    checked: list[object] = []
    original = values_schema.go_patterns

    def counting(cls: Any) -> Any:
        real_cls = original(cls)

        def validator(*args: Any, **kwargs: Any) -> Any:
            real = real_cls(*args, **kwargs)

            def iter_errors(instance: Any) -> Any:
                checked.append(instance)
                return real.iter_errors(instance)
            return SimpleNamespace(iter_errors=iter_errors)
        return validator

    monkeypatch.setattr(values_schema, "go_patterns", counting)
    return checked


def test_values_that_met_their_schema_are_not_checked_again(
        tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _values_schema_repo(tmp_path, "a: 1\n")
    checked = _counting_values_checks(monkeypatch)
    first = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert checked == [{"a": 1}]
    second = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert checked == [{"a": 1}]
    assert (second.findings, second.errors) == (first.findings, first.errors)
    (repo / "charts" / "web" / "values-prod.yaml").write_text("a: 2\n")
    lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert checked == [{"a": 1}, {"a": 2}]  # other values: checked


def test_a_charts_values_schema_is_read_once_per_run(
        tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platecheck import values_schema

    repo = _values_schema_repo(tmp_path, "a: 1\n")
    chart = repo / "charts" / "web"
    (chart / "values-stg.yaml").write_text("a: 2\n")
    read: list[str] = []
    original = values_schema._load_json

    def counting(path: Path, rel: str) -> Any:
        read.append(rel)
        return original(path, rel)

    monkeypatch.setattr(values_schema, "_load_json", counting)
    checked = _counting_values_checks(monkeypatch)
    report = lint(chart, helm=helm_bin, use_cache=False)  # both environments of the chart
    assert (report.errors, len(report.targets)) == ((), 2)
    assert sorted(checked, key=str) == [{"a": 1}, {"a": 2}]
    assert read == ["charts/web/values.schema.json"]


def test_values_that_fail_their_schema_fail_every_run(tmp_path: Path, helm_bin: Path) -> None:
    repo = _values_schema_repo(tmp_path, "a: one\n")
    for _ in range(2):
        [error] = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache").errors
        assert (error.file, error.line) == ("charts/web/values-prod.yaml", 1)
        assert "values.schema.json at a" in error.message


def test_values_checked_against_other_files_of_the_chart_are_checked_every_run(
        tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _values_schema_repo(tmp_path, "a: 1\nb: x\n", ref="file://CHART/b.json")
    checked = _counting_values_checks(monkeypatch)
    for _ in range(2):
        assert lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache").errors == ()
    assert len(checked) == 2  # b.json could change: what it decided is not remembered


@pytest.mark.parametrize("schemas_of", ["platecheck", "the repository"])
def test_a_run_whose_problems_are_all_remembered_imports_no_jsonschema(
        tmp_path: Path, helm_bin: Path, schemas_of: str) -> None:
    repo = _values_schema_repo(tmp_path, "a: 1\n")
    (repo / "charts" / "web" / "templates" / "svc.yaml").write_text(SERVICE.format(field="portz"))
    if schemas_of == "the repository":  # a schemaDirs file and a chart's CRD, checked once
        (repo / "policies" / "schemas").mkdir()
        shutil.copy(schemas.packaged_schema_dir() / "application-argoproj.io-v1alpha1.json",
                    repo / "policies" / "schemas")
        add_crd(repo / "charts" / "web", "Widget", "size", "                maxLength: 3\n",
                [("small", "abc"), ("big", "abcd")])
    script = ("import sys; from platecheck.engine import lint; "
              f"report = lint({str(repo)!r}, helm={str(helm_bin)!r}, "
              f"cache_dir={str(tmp_path / 'cache')!r}); "
              "print(len(report.findings), len(report.errors), 'jsonschema' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][2] == "True" and runs[1][2] == "False"
    assert runs[0][:2] == runs[1][:2] and int(runs[0][0]) > 0
