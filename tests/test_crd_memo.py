"""The schemas of CRD files are remembered per file content (``<cache>/crd-schemas``):
vendored CRDs are megabytes of YAML, which a run then does not read again unless they
changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck import crds
from platecheck.cache import ResultMemo
from platecheck.engine import CRD_SCHEMAS, lint
from security_helpers import add_crd, make_repo


def _widgets(report_findings: Any) -> list[tuple[Any, ...]]:
    return sorted((f.resource, f.file, f.line, f.message) for f in report_findings
                  if f.policy == "k8s-schema")


def _boom(*_: Any, **__: Any) -> Any:
    raise AssertionError("read again")


def _repo(tmp_path: Path, constraint: str = "                enum: [small, large]\n") -> Path:
    repo = tmp_path / "repo"
    chart = make_repo(repo)
    add_crd(chart, "Widget", "size", constraint, [("w", "huge")])
    return repo


def test_a_crd_file_is_read_once_per_content(tmp_path: Path, helm_bin: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    cache = tmp_path / "cache"
    first = lint(repo, helm=helm_bin, cache_dir=cache)
    assert _widgets(first.findings) == [
        ("Widget/w", "charts/web/templates/widgets.yaml", 7,
         'Widget/w: spec.size: "huge" is not one of "small", "large"')]
    assert list((cache / CRD_SCHEMAS).glob("*/*.json"))
    monkeypatch.setattr(crds, "load_documents", _boom)
    second = lint(repo, helm=helm_bin, cache_dir=cache)
    assert (second.findings, second.errors) == (first.findings, first.errors)
    monkeypatch.undo()
    crd = repo / "charts" / "web" / "crds" / "widgets.yaml"
    crd.write_text(crd.read_text().replace("[small, large]", "[small, huge]"))
    assert _widgets(lint(repo, helm=helm_bin, cache_dir=cache).findings) == []


def test_a_schema_json_cannot_hold_exactly_is_not_remembered(tmp_path: Path) -> None:
    """A YAML ``.nan`` would not come back from JSON as itself (NaN equals nothing)."""
    repo = _repo(tmp_path, "                default: .nan\n")
    files = crds.chart_crd_files(repo)
    memo = ResultMemo(tmp_path / "memo")
    [schema] = crds.from_files(repo, files, memo)[0]
    default = schema.schema["properties"]["spec"]["properties"]["size"]["default"]
    assert default != default  # NaN
    memo.save()
    assert not (tmp_path / "memo").exists()
    plain = _repo(tmp_path / "plain")
    memo = ResultMemo(tmp_path / "memo")
    [found] = crds.from_files(plain, crds.chart_crd_files(plain), memo)[0]
    memo.save()
    again = ResultMemo(tmp_path / "memo")
    assert crds.from_files(plain, crds.chart_crd_files(plain), again)[0] == [found]
    assert found.source == "charts/web/crds/widgets.yaml:1"


def test_without_the_cache_no_crd_is_remembered(tmp_path: Path, helm_bin: Path) -> None:
    repo = _repo(tmp_path)
    lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache", use_cache=False)
    assert not (tmp_path / "cache" / CRD_SCHEMAS).exists()


def test_a_run_reads_the_schemas_of_the_crd_files_it_has_not_older_ones(
        tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    cache = tmp_path / "cache"
    crd = repo / "charts" / "web" / "crds" / "widgets.yaml"
    text = crd.read_text()
    for enum in ("[small, huge]", "[small, tiny]", "[small, large]"):  # three versions
        crd.write_text(text.replace("[small, large]", enum))
        lint(repo, helm=helm_bin, cache_dir=cache)
    assert len(list((cache / CRD_SCHEMAS).glob("*/*.json"))) == 3
    read: list[str] = []
    original = ResultMemo._read

    def recording(memo: ResultMemo, group: str) -> dict[str, Any]:
        found = original(memo, group)
        if memo.directory.name == CRD_SCHEMAS and found:
            read.append(group)
        return found

    monkeypatch.setattr(ResultMemo, "_read", recording)
    monkeypatch.setattr(crds, "load_documents", _boom)
    lint(repo, helm=helm_bin, cache_dir=cache)
    assert len(read) == 1  # the schemas of the file as it is now
