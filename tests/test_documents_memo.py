"""The documents of YAML files, and what yaml-hygiene finds in them, are remembered from run
to run (``<cache>/documents``): a run reads as YAML only the files that changed, and finds
exactly what it found reading them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck import yamlio
from platecheck.cache import ResultMemo
from platecheck.engine import DOCUMENTS, lint
from platecheck.errors import YamlError
from platecheck.policies import yaml_hygiene
from platecheck.runmemo import remembered
from security_helpers import make_repo


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts read as YAML from now on: documents, and yaml-hygiene's node trees."""
    read: list[str] = []
    documents, compose = yamlio._read_documents, yaml_hygiene.compose_all

    def reading(text: str, rel: str, unique_keys: bool) -> tuple[yamlio.Document, ...]:
        read.append(rel)
        return documents(text, rel, unique_keys)

    def composing(text: str, rel: str) -> list[object]:
        read.append(f"hygiene:{rel}")
        return compose(text, rel)

    monkeypatch.setattr(yamlio, "_read_documents", reading)
    monkeypatch.setattr(yaml_hygiene, "compose_all", composing)
    return read


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    chart = make_repo(repo, values="a: 1\nenabled: yes\n")  # a hygiene finding (yes)
    (chart / "values-stg.yaml").write_text("b: 2\n")
    return repo


def test_a_run_reads_only_the_yaml_files_that_changed(tmp_path: Path, helm_bin: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo, cache = _repo(tmp_path), tmp_path / "cache"
    first = lint(repo, helm=helm_bin, cache_dir=cache)
    assert [f.file for f in first.findings if f.policy == "yaml-hygiene"] == [
        "charts/web/values-prod.yaml"]
    assert list((cache / DOCUMENTS).rglob("*.json"))
    read = _reads(monkeypatch)
    values = repo / "charts" / "web" / "values-prod.yaml"
    values.write_text(values.read_text() + "# changed\n")
    again = lint(repo, helm=helm_bin, cache_dir=cache)
    assert sorted(set(read)) == ["charts/web/values-prod.yaml",
                                 "hygiene:charts/web/values-prod.yaml"]
    assert (again.findings, again.errors) == (first.findings, first.errors)


def test_remembered_documents_are_the_documents_read(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a:\n  - b: 1\n    c: [x, 2.5, true, null]\n---\nd: e\n"
    with yamlio.remembering(tmp_path / "memo"):
        first = yamlio.load_documents(text, "v.yaml")
    read = _reads(monkeypatch)
    with yamlio.remembering(tmp_path / "memo"):
        again = yamlio.load_documents(text, "v.yaml")
        unique = yamlio.load_documents(text, "v.yaml", unique_keys=True)  # another reading
    assert read == ["v.yaml"]
    assert again == first and unique == first
    assert again[0].lines[("a", 0, "c")] == 3 and again[1].line == 5
    assert again[0].data is not first[0].data  # every run's objects are its own


@pytest.mark.parametrize("text", ["x: .nan\n", "x: [.inf]\n"])
def test_documents_json_cannot_give_back_are_read_every_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    with yamlio.remembering(tmp_path / "memo"):
        first = yamlio.load_documents(text, "v.yaml")
    read = _reads(monkeypatch)
    with yamlio.remembering(tmp_path / "memo"):
        again = yamlio.load_documents(text, "v.yaml")
    assert read == ["v.yaml"] and repr(again) == repr(first)


def test_a_file_that_does_not_parse_is_an_error_every_run(tmp_path: Path) -> None:
    for _ in range(2):
        with yamlio.remembering(tmp_path / "memo"), pytest.raises(YamlError) as raised:
            yamlio.load_documents("a: [1\nb: 2\n", "broken.yaml")
        assert raised.value.file == "broken.yaml" and raised.value.line is not None


def test_the_files_keep_what_a_run_read_and_not_every_older_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for version in range(10):  # ten versions of twenty files, one run each
        with yamlio.remembering(tmp_path / "memo"):
            for name in range(20):
                yamlio.load_documents(f"f{name}: {version}\n", f"{name}.yaml")
    memo = ResultMemo(tmp_path / "memo")
    kept = sum(len(memo.load(file.stem)) for file in (tmp_path / "memo").rglob("*.json"))
    # a file written keeps what the run used from it and as many older entries; a file the
    # last run did not use keeps what it held
    assert 20 < kept <= 60
    read = _reads(monkeypatch)
    with yamlio.remembering(tmp_path / "memo"):
        for name in range(20):
            yamlio.load_documents(f"f{name}: 9\n", f"{name}.yaml")
    assert read == []


def test_a_memo_that_does_not_hold_what_it_hands_out_writes_it_back(tmp_path: Path) -> None:
    memo = ResultMemo(tmp_path / "memo", limit=None, hold=False)
    memo.put("g", "a", "A")
    memo.put("g", "b", "B")
    memo.save()
    again = ResultMemo(tmp_path / "memo", limit=None, hold=False)
    assert again.get("g", "a") == "A"
    assert "a" not in again.load("g")  # handed out, no longer held
    again.put("g", "c", "C")
    again.save()
    # the group written again keeps what was handed out (read back from its file)
    assert ResultMemo(tmp_path / "memo").load("g") == {"a": "A", "b": "B", "c": "C"}


def test_files_of_the_same_text_are_read_once_and_errors_name_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read = _reads(monkeypatch)
    with remembered():
        first = yamlio.load_documents("a: 1\n", "one/values.yaml")
        second = yamlio.load_documents("a: 1\n", "two/values.yaml")
        for rel in ("one/broken.yaml", "two/broken.yaml"):
            with pytest.raises(YamlError) as raised:
                yamlio.load_documents("a: [\n", rel)
            assert raised.value.file == rel
    assert first == second
    assert read == ["one/values.yaml", "one/broken.yaml", "two/broken.yaml"]
