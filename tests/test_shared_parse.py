"""Targets that render the same long text share its parsed documents (a chart's CRDs in
every environment are parsed once per run), and the CRDs they render are converted to schemas
once: same resources, same findings, and nothing changes a shared document."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from platecheck import crds, parse
from platecheck.cache import ResultMemo
from platecheck.engine import check, lint, load
from platecheck.errors import YamlError
from platecheck.model import Chart, RenderedTarget, Resource
from platecheck.parse import SHARED_CHUNK, ParsedChunks, parse_manifest
from platecheck.policies import configuration
from security_helpers import APP, add_crd, make_repo

LONG = "x" * SHARED_CHUNK


def _stream(*bodies: str) -> str:
    return "".join(f"---\n# Source: web/templates/{i}.yaml\n{body}" for i, body in
                   enumerate(bodies))


def test_a_long_template_output_is_parsed_once(tmp_path: Path) -> None:
    chart = Chart(path=tmp_path / "web", rel="web", name="web", version="0.1.0",
                  api_version="v2", metadata={})
    long_doc = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: {LONG}\n"
    short_doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
    parsed = ParsedChunks()
    first, _ = parse_manifest(_stream(long_doc, short_doc), chart, tmp_path, ("a", 1), parsed)
    second, _ = parse_manifest(_stream(long_doc, short_doc), chart, tmp_path, ("a", 1), parsed)
    assert first == second
    assert first[0].doc is second[0].doc  # shared
    assert first[1].doc is not second[1].doc  # too short to keep


def test_invalid_output_is_an_error_every_time(tmp_path: Path) -> None:
    chart = Chart(path=tmp_path / "web", rel="web", name="web", version="0.1.0",
                  api_version="v2", metadata={})
    broken = _stream(f"data: [{LONG}\n")
    for _ in range(2):  # the second time as another run, with what the first remembered
        memo = ResultMemo(tmp_path / "parsed")
        parsed = ParsedChunks(memo)
        for _ in range(2):
            with pytest.raises(YamlError) as raised:
                parse_manifest(broken, chart, tmp_path, ("apps/web.yaml", 3), parsed)
            assert (raised.value.file, raised.value.line) == ("apps/web.yaml", 3)
        memo.save()


def _chart(tmp_path: Path) -> Chart:
    return Chart(path=tmp_path / "web", rel="web", name="web", version="0.1.0",
                 api_version="v2", metadata={})


def _counting_yaml(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The template outputs parse.py reads as YAML from now on."""
    read: list[str] = []
    original = parse.load_first_data

    def counting(text: str, rel: str) -> list[object]:
        read.append(text)
        return original(text, rel)

    monkeypatch.setattr(parse, "load_first_data", counting)
    return read


Parsed = tuple[tuple[Resource, ...], dict[str, str]]


def _two_runs(stream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> tuple[Parsed, Parsed, list[str]]:
    """``stream`` parsed in a run that remembers, then in another one, and the texts the
    second read as YAML."""
    memo = ResultMemo(tmp_path / "parsed")
    first = parse_manifest(stream, _chart(tmp_path), tmp_path, ("a", 1), ParsedChunks(memo))
    memo.save()
    read = _counting_yaml(monkeypatch)
    again = parse_manifest(stream, _chart(tmp_path), tmp_path, ("a", 1),
                           ParsedChunks(ResultMemo(tmp_path / "parsed")))
    return first, again, read


def test_documents_are_remembered_for_the_next_run(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _stream("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n"
                     "  num: 1\n  f: 1.0\n  b: true\n  s: '1'\n  empty: null\n",
                     "apiVersion: v1\nkind: List\nitems: [{kind: Secret, metadata: {name: s}}]\n")
    (first, templates), (again, templates_again), read = _two_runs(stream, tmp_path,
                                                                   monkeypatch)
    assert read == []  # no YAML read again
    assert again == first and templates_again == templates
    data = again[0].doc["data"]
    assert [type(data[k]) for k in ("num", "f", "b", "s")] == [int, float, bool, str]
    assert [r.kind for r in again] == ["ConfigMap", "Secret"]


@pytest.mark.parametrize(("value", "read"), [
    ("2024-01-01", "2024-01-01"), ("{1: one}", {"1": "one"}), ("{true: y}", {"true": True}),
    ("{0o17: 1e3}", {"15": 1000.0}), ("12:30", "12:30"), ("!!binary aGk=", "hi"),
    ("!!timestamp 2024-01-01", "2024-01-01"), ("!!set {a}", {"a": None}),
    ("!!omap [a: 1]", [{"a": 1}])])
def test_documents_are_remembered_as_go_reads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, read: object) -> None:
    """Go's YAML reads a date and a base-60 number as text, ``!!binary`` as the text it
    encodes, a ``!!set`` or an ``!!omap`` as the mapping or list it is written as, and makes
    every key a string: such documents are plain JSON, remembered like any other."""
    stream = _stream(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: {value}\n")
    (first, _), (again, _), parsed = _two_runs(stream, tmp_path, monkeypatch)
    assert parsed == []
    assert again[0].doc["x"] == first[0].doc["x"] == read


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_documents_json_cannot_give_back_are_parsed_every_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    stream = _stream(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: {value}\n")
    (first, _), (again, _), read = _two_runs(stream, tmp_path, monkeypatch)
    assert len(read) == 1 and "x: " in read[0]  # the document, read again
    assert repr(again[0].doc) == repr(first[0].doc)


def test_a_lint_remembers_parsed_documents_in_its_cache(tmp_path: Path, helm_bin: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    make_repo(repo)
    cold = lint(repo, cache_dir=cache)
    assert any((cache / "parsed").rglob("*.json"))
    read = _counting_yaml(monkeypatch)
    (repo / "apps" / "web.yaml").write_text(  # a new run: the Application file changed
        (repo / "apps" / "web.yaml").read_text() + "\n# changed\n")
    again = lint(repo, cache_dir=cache)
    assert [text for text in read if text.strip()] == []
    assert again.findings == cold.findings and again.errors == cold.errors


def _two_environments(tmp_path: Path) -> Path:
    """One chart with a long CRD in crds/, deployed by a prod and a stg Application."""
    chart = make_repo(tmp_path)
    add_crd(chart, "Widget", "size", f"                description: {LONG}\n"
            "                enum: [small, large]\n", [("w", "huge")])
    (chart / "values-stg.yaml").write_text("a: 2\n")
    (tmp_path / "apps" / "web-stg.yaml").write_text(
        APP.format(path="charts/web").replace("web-prod", "web-stg")
        .replace("values-prod.yaml", "values-stg.yaml"))
    return chart


def test_environments_share_their_crds_and_find_the_same(tmp_path: Path, helm_bin: Path) -> None:
    _two_environments(tmp_path)
    model = load(tmp_path, use_cache=False)
    stg, prod = sorted(model.rendered, key=lambda r: r.environment != "stg")
    [stg_crd] = [r.doc for r in stg.resources if r.kind == crds.CRD_KIND]
    [prod_crd] = [r.doc for r in prod.resources if r.kind == crds.CRD_KIND]
    assert stg_crd is prod_crd
    fresh = yaml.safe_load((tmp_path / "charts/web/crds/widgets.yaml").read_text())
    report = check(model, configuration(tmp_path))
    assert stg_crd == fresh  # no policy changed the shared document
    widget = sorted((f.environment, f.message) for f in report.findings
                    if f.resource == "Widget/w")
    assert widget == [(env, 'Widget/w: spec.size: "huge" is not one of "small", "large"')
                      for env in ("prod", "stg")]
    assert report == lint(tmp_path, use_cache=False)


def test_a_rendered_crd_already_known_is_not_converted_again(tmp_path: Path, helm_bin: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    _two_environments(tmp_path)
    model = load(tmp_path, use_cache=False)
    converted: list[object] = []
    original = crds.to_json_schema

    def counting(openapi: object, strict: bool = True) -> object:
        converted.append(openapi)
        return original(openapi, strict)  # type: ignore[arg-type]

    monkeypatch.setattr(crds, "to_json_schema", counting)
    rendered: list[RenderedTarget] = list(model.rendered)
    [schema] = crds.from_rendered(rendered)  # the same CRD rendered twice: once
    assert len(converted) == 1
    assert crds.from_rendered(rendered, [("example.com", "v1", "Widget")]) == []
    assert len(converted) == 1
    with_files, errors = crds.with_repository_crds(tmp_path, model.charts, rendered)
    assert errors == []
    assert len(converted) == 2  # the crds/ file; its renders are known by then
    assert with_files[0].crd_schemas[("example.com", "v1", "Widget")].source == \
        "charts/web/crds/widgets.yaml:1"
    assert schema.source == f"charts/web/crds/widgets.yaml (rendered by {rendered[0].id})"


class _Recording(ResultMemo):
    """A memo that records the groups it reads from disk."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.read: list[str] = []

    def _read(self, group: str) -> dict[str, object]:
        found = super()._read(group)
        if found:
            self.read.append(group)
        return found


def test_a_run_reads_the_remembered_outputs_of_what_it_renders_and_holds_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    streams = [_stream(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n")
               for i in range(20)]
    for stream in streams:  # twenty renders of earlier runs, remembered
        memo = ResultMemo(tmp_path / "parsed")
        parse_manifest(stream, _chart(tmp_path), tmp_path, ("a", 1), ParsedChunks(memo))
        memo.save()
    read = _counting_yaml(monkeypatch)
    memo = _Recording(tmp_path / "parsed")
    parsed = ParsedChunks(memo)
    resources, _ = parse_manifest(streams[3], _chart(tmp_path), tmp_path, ("a", 1), parsed)
    assert [r.name for r in resources] == ["c3"] and read == []
    assert memo.read == [parsed.group(streams[3])]  # its own render's group, nothing older
    assert memo._groups == {}  # released once parsed


def test_a_new_render_is_remembered_when_parsed(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _stream("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    parse_manifest(stream, _chart(tmp_path), tmp_path, ("a", 1),
                   ParsedChunks(ResultMemo(tmp_path / "parsed")))  # no save()
    read = _counting_yaml(monkeypatch)
    parse_manifest(stream, _chart(tmp_path), tmp_path, ("a", 1),
                   ParsedChunks(ResultMemo(tmp_path / "parsed")))
    assert read == []
