"""Manifests are split into documents as Kubernetes' YAML decoder splits them (apimachinery's
YAMLReader, which Argo CD reads helm's output and a directory source's files with): at each
line that starts with ``---``, where only a comment may follow the ``---``, and only the first
document of each part is read (what follows a ``...`` line in the same part is not
deployed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from platecheck.cli import main
from platecheck.engine import lint, load
from synthetic import CHART_C, application, repository

SOURCES = Path(__file__).parent / "fixtures" / "sources"


def _config_map(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_a_part_of_helm_output_is_its_first_document(
        each_helm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """helm prints a template's ``...`` and what follows as they are; Argo CD deploys the
    first document of that part, so platecheck checks it alone, reports nothing, and
    ``platecheck render`` prints what is deployed."""
    root = repository(tmp_path, {
        "c/Chart.yaml": CHART_C,
        "c/templates/cm.yaml": _config_map("first") + "...\n" + _config_map("second"),
        "c/templates/other.yaml": _config_map("other")})
    chart = root / "c"
    by_hand = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                             text=True, check=True)
    assert "name: second" in by_hand.stdout  # helm prints it, Argo CD does not deploy it
    model = load(root, helm=each_helm, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert model.rendered
    for rendered in model.rendered:  # one target per environment
        assert sorted(r.name for r in rendered.resources) == ["first", "other"]
    assert main(["render", str(chart), "--env", "prod", f"--helm={each_helm}",
                 f"--cache-dir={tmp_path / 'cache'}"]) == 0
    printed = capsys.readouterr().out
    assert "name: first" in printed and "name: other" in printed
    assert "second" not in printed


@pytest.mark.parametrize("kindless", [
    "apiVersion: v1\nmetadata:\n  name: nokind\ndata:\n  a: b\n", "{}\n"], ids=["no-kind", "empty"])
def test_a_helm_document_without_a_kind_renders_nothing(
        each_helm: Path, tmp_path: Path, kindless: str) -> None:
    """Argo CD reads helm's output with gitops-engine's ``kube.SplitYAML``: it skips an
    empty, null or comments-only document and decodes each other one as an Unstructured
    object, which fails without a kind ("Object 'Kind' is missing"), so nothing of the
    source renders: a could-not-check error at the template, whatever the policies' levels,
    as for the same document in a directory source."""
    root = repository(tmp_path, {
        "c/Chart.yaml": CHART_C,
        "c/templates/ok.yaml": _config_map("ok") + "---\n# only a comment\n---\nnull\n",
        "c/templates/nokind.yaml": kindless,
        "policies/platecheck.yaml": "policies:\n  k8s-schema:\n    level: \"off\"\n"})
    report = lint(root / "c", helm=each_helm, environments=["prod"],
                  cache_dir=tmp_path / "cache")
    assert report.exit_code == 2
    assert [(e.location, e.policy, e.target, e.message) for e in report.errors] == [
        ("c/templates/nokind.yaml:1", "could-not-check", "prod/c",
         "helm rendered a document without a kind from c/templates/nokind.yaml: Kubernetes "
         "cannot decode it, so Argo CD renders nothing of the source")]
    assert report.findings == ()
    (root / "c/templates/nokind.yaml").unlink()  # the other documents are skipped
    assert lint(root / "c", helm=each_helm, environments=["prod"],
                cache_dir=tmp_path / "cache").exit_code == 0


def _plain(tmp_path: Path, text: str) -> Path:
    """The directory fixture with one more manifest file in the plain source."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "manifests" / "plain" / "more.yaml").write_text(text)
    return repo


def _names(repo: Path, tmp_path: Path) -> list[str]:
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    (plain,) = [r for r in model.rendered if r.id == "prod/plain"]
    return sorted(r.name for r in plain.resources
                  if r.kind == "ConfigMap" and r.name != "plain-settings")  # the fixture's


@pytest.mark.parametrize(("text", "names"), [
    (_config_map("a") + "--- # a comment\n" + _config_map("b"), ["a", "b"]),
    (_config_map("a") + "...\n" + _config_map("b"), ["a"]),
    (_config_map("a") + "...\n---\n" + _config_map("b"), ["a", "b"]),
    ("---\t\n" + _config_map("a") + "---\n\n---\n", ["a"]),
])
def test_a_directory_file_is_read_part_by_part(tmp_path: Path, text: str,
                                               names: list[str]) -> None:
    assert _names(_plain(tmp_path, text), tmp_path) == names


@pytest.mark.parametrize(("text", "line"), [
    ("--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", 1),
    (_config_map("a") + "----\n" + _config_map("b"), 5),
    (_config_map("a") + "--- b\n", 5),
    (_config_map("a") + "---\n%YAML 1.2\n---\n" + _config_map("b"), 6),
])
def test_a_part_the_decoder_refuses_fails_the_source(tmp_path: Path, text: str,
                                                     line: int) -> None:
    """Kubernetes' decoder refuses a separator followed by more than a comment, and a
    document of another YAML version than 1.1, so Argo CD renders nothing of the source: a
    could-not-check error at that line."""
    model = load(_plain(tmp_path, text), cache_dir=tmp_path / "cache")
    assert [(e.file, e.line, e.target) for e in model.errors] == [
        ("manifests/plain/more.yaml", line, "prod/plain")]


def test_a_file_that_is_no_manifest_is_still_ignored(tmp_path: Path) -> None:
    """Argo CD ignores a YAML file it cannot read that does not look like a manifest and
    gave no object before the error (a configuration file)."""
    repo = _plain(tmp_path, "settings: 1\n--- not a separator\n")
    assert _names(repo, tmp_path) == []


def test_a_chart_yaml_is_its_first_document(each_helm: Path, tmp_path: Path) -> None:
    """helm reads Chart.yaml with Go's ``yaml.Unmarshal``: the first document; what follows
    is not read, so it stops nothing."""
    root = repository(tmp_path, {
        "c/Chart.yaml": CHART_C + "---\nname: other\nversion: [\n",
        "c/templates/cm.yaml": _config_map("{{ .Chart.Name }}")})
    chart = root / "c"
    by_hand = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                             text=True, check=True)
    assert "name: c\n" in by_hand.stdout
    model = load(root, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [[r.name for r in rendered.resources] for rendered in model.rendered] == [["c"]]


def test_each_part_is_read_at_the_lines_of_the_stream() -> None:
    from platecheck.yamlio import Document, kube_documents

    text = _config_map("a") + "---\n# b\n" + _config_map("b") + "...\nkind: unread\n---\n---\n"
    documents, error = kube_documents(text, "m.yaml")
    assert error is None
    assert [(d.data["metadata"]["name"], d.line, d.lines[("kind",)]) for d in documents] == [
        ("a", 1, 2), ("b", 7, 8)]
    # a lone \r breaks YAML's lines, not the reader's: one part, its first document
    assert kube_documents("kind: A\r---\rkind: B\r", "m.yaml") == (
        [Document({"kind": "A"}, {("kind",): 1}, 1)], None)


def test_a_stream_of_too_many_documents_is_refused_at_its_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every part is read on its own: their number is bounded, as the keys of a values file
    are."""
    from platecheck import yamlio
    from platecheck.errors import YamlTooComplex

    monkeypatch.setattr(yamlio, "_MAX_NODES", 3)
    read, error = yamlio.kube_documents("a: 1\n---\n" * 5, "m.yaml")
    assert isinstance(error, YamlTooComplex)
    assert (error.file, error.line, len(read)) == ("m.yaml", 8, 3)  # what came before, read


def test_written_applications_are_found_as_kubectl_reads_their_file(helm_bin: Path,
                                                                    tmp_path: Path) -> None:
    """An Application file applied by hand is read as kubectl reads it: what follows a
    ``...`` line in the same part is no Application; a ``---`` line that more than a
    comment follows is an error at that line."""
    root = repository(tmp_path, {
        "c/Chart.yaml": CHART_C, "c/templates/cm.yaml": _config_map("c"),
        "apps/apps.yaml": application("web-prod", "c", "web") + "...\n"
        + application("web-stg", "c", "web") + "--- # the next one\n"
        + application("api-prod", "c", "api")})
    model = load(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert sorted(t.id for t in model.targets) == ["prod/api", "prod/web"]
    (root / "apps" / "apps.yaml").write_text(
        application("web-prod", "c", "web") + "--- " + application("api-prod", "c", "api"))
    model = load(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in model.errors] == [("apps/apps.yaml", 14)]


def test_a_kustomization_is_its_first_document(kubectl_bin: Path, tmp_path: Path) -> None:
    """kustomize reads a kustomization with Go's ``yaml.Unmarshal``: its first document; a
    second one is not read (its ``namePrefix`` changes nothing)."""
    root = repository(tmp_path, {
        "k/cm.yaml": _config_map("a"),
        "k/kustomization.yaml": "resources:\n- cm.yaml\n---\nnamePrefix: x-\n",
        "apps/k.yaml": application("k-prod", "k", "k-prod")})
    by_hand = subprocess.run([str(kubectl_bin), "kustomize", str(root / "k")],
                             capture_output=True, text=True, check=True)
    assert "name: a\n" in by_hand.stdout
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [[r.name for r in rendered.resources] for rendered in model.rendered] == [["a"]]


def _json_map(name: str) -> str:
    return ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "' + name
            + '"}, "data": {"url": "https:\\/\\/x"}}')


@pytest.mark.parametrize(("text", "names", "lines"), [
    # one JSON object per line (NDJSON): no YAML; Go's JSON decoder reads each
    (_json_map("a") + "\n" + _json_map("b") + "\n", ["a", "b"], [1, 2]),
    # two on one line, then a null (decoded, and nothing)
    (_json_map("a") + _json_map("b") + " null\n", ["a", "b"], [1, 1]),
    # one written over lines with an escape YAML has not (\/)
    ("\n" + _json_map("a").replace(", ", ",\n  ") + "\n", ["a"], [2]),
    # one JSON object, then YAML after a separator: the decoder goes on as YAML
    (_json_map("a") + "\n---\n" + _config_map("b"), ["a", "b"], [1, 3]),
])
def test_a_yaml_file_of_json_objects_is_read_as_kubernetes_reads_it(
        tmp_path: Path, text: str, names: list[str], lines: list[int]) -> None:
    """A stream that starts with ``{`` is JSON values one after another to Kubernetes'
    ``YAMLOrJSONDecoder`` (apimachinery ``GuessJSONStream``, Argo CD's ``splitYAMLOrJSON``);
    it was read as YAML, which refuses several objects on one line or ``\\/``, and the file,
    which names no ``apiVersion:``, was left out in silence."""
    model = load(_plain(tmp_path, text), cache_dir=tmp_path / "cache")
    assert model.errors == ()
    (plain,) = [r for r in model.rendered if r.id == "prod/plain"]
    found = [(r.name, r.line) for r in plain.resources
             if r.kind == "ConfigMap" and r.name != "plain-settings"]
    assert found == list(zip(names, lines, strict=True))
    assert all(r.doc["data"]["url"] == "https://x" for r in plain.resources
               if r.kind == "ConfigMap" and r.name != "b" and r.name != "plain-settings")


def test_a_stream_of_json_objects_stops_at_a_third_that_fails(tmp_path: Path) -> None:
    """After two objects the stream is JSON for good: a value that does not decode fails the
    file (Argo CD: "Failed to unmarshal"), a could-not-check error."""
    text = _json_map("a") + "\n" + _json_map("b") + "\n" + "kind: x\n"
    model = load(_plain(tmp_path, text), cache_dir=tmp_path / "cache")
    assert [(e.file, e.target) for e in model.errors] == [
        ("manifests/plain/more.yaml", "prod/plain")]
