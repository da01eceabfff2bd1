"""Plain scalars and mapping keys read as helm, kubectl and Argo CD read them: Go's YAML
(go-yaml v2 through sigs.k8s.io/yaml), not YAML 1.1. Each case is held against the real helm,
whose ``toJson .Values`` shows what it made of a values file."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from platecheck import yamlio
from platecheck.engine import lint, load
from platecheck.errors import YamlBadValue, YamlSyntaxError
from platecheck.goyaml import GoDumper
from platecheck.yamlio import first_document, kube_documents, load_document, load_first_data
from security_helpers import APP_TEMPLATE, make_repo

# value text -> what Go reads (asserted against helm below)
SCALARS = [
    "12:30", "190:20:30", "y", "Y", "n", "N", "yes", "No", "on", "OFF", "true", "False",
    "0o17", "0O17", "0b101", "-0b11", "0x1F", "-0x1F", "0755", "09", "00", "-012", "+12",
    "1_000", "1e3", "1.5e3", "1.", ".5", "+.5", "1e400", "1e-400", "99999999999999999999",
    "0xFFFFFFFFFFFFFFFFFF", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "=", "1e", "_1",
    "<<", ".Nan", "1.10", "~", "null", "",
    "!!binary aGk=", "!!binary aMOp", "!!binary 4oKsw/+A", "!!binary ''",
    # global tags Go does not know: as if untagged, a scalar its text
    "!!foo 12", "!!foo true", "!!foo", "!!python/object:x y", "!<tag:example.com,2000:x> 1.5",
    "!!foo [1, yes]", "!!foo {a: 1}", "!!set {a, b}", "!!null ~",
]
KEYS = ["y", "n", "on", "off", "0o17", "1e3", "12:30", ".5", "true", "010", "yes",
        "1234567.5", "123456.7", "3.14159265358979", "1e-5", "0.0001", "1e21", "100000.0",
        "-0.0", "-2.5e-7", ".inf", "1e6", "-.Inf", "+.inf", ".NaN"]


_VALUES_JSON = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
                "  values: {{ toJson .Values | quote }}\n")


def _helm_chart(tmp_path: Path, values: str | None, template: str | None = None) -> Path:
    """A chart with ``values`` as its values.yaml (none: no file) and one ``template``."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    if values is not None:
        (chart / "values.yaml").write_text(values)
    if template is not None:
        (chart / "templates" / "cm.yaml").write_text(template)
    return chart


def _values_text() -> str:
    lines = [f"v{index}: {text}" for index, text in enumerate(SCALARS)]
    lines.append("keys:")
    lines += [f"  {key}: {index}" for index, key in enumerate(KEYS)]
    return "\n".join(lines) + "\n"


def _numbers_as_helm(value: Any) -> Any:
    """Helm decodes values through JSON into float64: every number is a float there."""
    if isinstance(value, dict):
        return {k: _numbers_as_helm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_helm(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def test_values_are_read_as_helm_reads_them(tmp_path: Path, each_helm: Path) -> None:
    chart = _helm_chart(tmp_path, _values_text(), _VALUES_JSON)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    ours = load_document(_values_text(), "values.yaml").data
    assert _numbers_as_helm(helm) == _numbers_as_helm(ours)
    # rendered output is read by the other path: its keys as Go writes them too (where
    # Python's -0.0 == False merged "-0" into "false")
    assert load_first_data(_values_text(), "values.yaml")[0]["keys"] == helm["keys"]


def test_a_byte_order_mark_past_the_start_is_a_character_as_helm_reads_it(
        tmp_path: Path, each_helm: Path, yaml_loader: str) -> None:
    """Two files run together leave a byte order mark at the start of a line: helm's key is
    ``\\ufeffimage``, not ``image`` (libyaml skips it at any line's start)."""
    text = "a: 1\n\ufeffimage:\n  tag: latest\n"
    chart = _helm_chart(tmp_path, text, _VALUES_JSON)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    assert sorted(helm) == ["a", "\ufeffimage"]
    assert _numbers_as_helm(load_document(text, "values.yaml").data) == helm

    # (with a tab between tokens, which helm takes, a mark in a comment changes nothing)
    text = "greeting:\thello\n# \ufeff note\nport: 80\t# the port\n"
    assert load_document(text, "values.yaml").data == {"greeting": "hello", "port": 80}


def test_a_float_key_past_float32_s_range_is_an_infinity_as_helm_reads_it(
        tmp_path: Path, each_helm: Path) -> None:
    """sigs.k8s.io/yaml writes a float key as a float32 (``FormatFloat(k, 'g', -1, 32)``):
    ``1e39`` is ``+Inf`` there, the key ``.inf`` (it was an internal error)."""
    text = "keys:\n  1e39: a\n  -1e39: b\n"
    chart = _helm_chart(tmp_path, text, _VALUES_JSON)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    assert helm == {"keys": {".inf": "a", "-.inf": "b"}}
    assert load_document(text, "values.yaml").data == helm


def test_tabs_between_tokens_are_read_as_helm_reads_them(tmp_path: Path, each_helm: Path,
                                                        yaml_loader: str) -> None:
    """Tabs where no indentation is (after a key's colon, inside a plain scalar, before a
    comment, in a flow collection), in a text that also holds a ``\\/`` (read with the
    pure-Python reader, which refused every such tab: the file could not be checked)."""
    text = ("a:\tb\nc: x\ty\ntag: \"1.25.4\"\t# pinned\nlist: [1,\t2]\n"
            "origin: '^https?:\\/\\/example\\.com$'\n")
    chart = _helm_chart(tmp_path, text, _VALUES_JSON)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    assert helm["c"] == "x\ty"
    assert _numbers_as_helm(load_document(text, "values.yaml").data) == helm


def test_rendered_manifests_are_read_as_kubernetes_reads_them() -> None:
    """A key ``y`` is ``"true"`` to kubectl (and a later ``on`` replaces it), ``12:30`` text."""
    [doc] = load_first_data("kind: ConfigMap\ndata:\n  y: 12:30\n  n: 0o17\n  x: 12:30\n"
                          "  on: '1e3'\n", "x")
    assert doc["data"] == {"true": "1e3", "false": 15, "x": "12:30"}


def test_what_platecheck_writes_reads_back_the_same() -> None:
    data = {"text": [*SCALARS], "y": True, "n": 15, "f": 0.5}
    assert load_document(yaml.dump(data, Dumper=GoDumper), "x").data == data


_SCHEMA = ('{"type": "object", "properties": {"startTime": {"type": "string"}, '
           '"compress": {"type": "string"}}}')


@pytest.mark.parametrize(("values", "refused"), [
    ("startTime: 12:30\n", False), ("compress: n\n", True), ("compress: 'n'\n", False),
    ("startTime: 1e3\n", True), ("startTime: 2024-01-01\n", False),
])
def test_values_are_checked_against_their_schema_as_helm_reads_them(
        tmp_path: Path, helm_bin: Path, values: str, refused: bool) -> None:
    """``12:30`` and a date are text to helm; ``n`` is false and ``1e3`` a number: the values
    schema refuses what helm would refuse, and nothing else."""
    chart = tmp_path / "repo" / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(values)
    (chart / "values.schema.json").write_text(_SCHEMA)
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    report = lint(chart, cache_dir=tmp_path / "cache", helm=helm_bin, root=tmp_path / "repo")
    assert bool(report.errors) is refused
    assert all(e.file == "chart/values.yaml" and e.line == 1 for e in report.errors)


def test_an_applications_values_and_parameters_reach_helm_as_argo_cd_reads_them(
        tmp_path: Path, helm_bin: Path) -> None:
    """``valuesObject: {at: 12:30, on: y}`` and a parameter ``value: 1:30``: Argo CD reads the
    Application as Go does, so helm gets the text 12:30, true and the text 1:30."""
    repo = tmp_path / "repo"
    chart = repo / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
        "  values: {{ toJson .Values | quote }}\n")
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
        "  namespace: argocd\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://git.example.com/repo.git\n    path: chart\n    helm:\n"
        "      valuesObject: {at: 12:30, metrics: y}\n"
        "      parameters:\n        - name: schedule\n          value: 1:30\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n")
    (repo / ".git").mkdir()
    model = load(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert model.errors == ()
    [rendered] = model.rendered
    [configmap] = rendered.resources
    assert json.loads(configmap.doc["data"]["values"]) == {
        "at": "12:30", "metrics": True, "schedule": "1:30"}
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.message for f in report.findings if "parameters" in f.message
            or "helm" in f.message] == []  # (a parameter read as a number was one)


@pytest.mark.parametrize("key", ["~", "null", "Null", "? "])
def test_a_null_mapping_key_is_refused_at_its_line(tmp_path: Path, each_helm: Path,
                                                   key: str) -> None:
    """Go's YAML-to-JSON conversion has no text for a null key: helm refuses the values file
    (so do kubectl and Argo CD a manifest); platecheck says so at the key's line."""
    from platecheck.errors import PlatecheckError

    text = f"a: 1\nk:\n  {key}: 1\n" if key != "? " else "a: 1\nk:\n  ?\n  : 1\n"
    chart = _helm_chart(tmp_path, text)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=False)
    assert done.returncode != 0
    with pytest.raises(PlatecheckError) as caught:
        load_document(text, "values.yaml")
    assert (caught.value.file, caught.value.line) == ("values.yaml", 3)
    assert load_document("k:\n  'null': 1\n", "values.yaml").data == {"k": {"null": 1}}


def test_a_null_tag_on_anything_but_a_null_is_refused_as_go_refuses_it(
        yaml_loader: str) -> None:
    """go-yaml: "cannot decode !!str `x` as a !!null" (helm fails to load such values)."""
    from platecheck.errors import PlatecheckError

    assert load_document("a: 1\nb: !!null ~\nc: !!null\n", "v.yaml").data == {
        "a": 1, "b": None, "c": None}
    with pytest.raises(PlatecheckError) as raised:
        load_document("a: 1\nb: !!null x\n", "v.yaml")
    assert (raised.value.file, raised.value.line) == ("v.yaml", 2)


# tagged value text -> what Go reads (asserted against helm below): a mapping or a sequence
# whatever its tag; a scalar of a tag Go does not resolve (local, global, !!map...) its text;
# one tagged !!str, !!int, !!float, !!bool, !!null or !!timestamp read as that type
TAGGED = [
    "!!python/object:x y", "!!foo bar", "!<tag:yaml.org,2002:foo> bar", "!mytag bar",
    "!<tag:example.com,2000:foo> bar", "!<!mytag> bar", "!!foo 5", "!!foo true", "!!foo ~",
    "!!foo", "!!foo ''", "!!foo 1.5", "! 5", "! true", "! '5'", "!<!> 5",
    "!!python/name:os.system ''", "!!map bar", "!!seq bar", "!!merge foo", "!!value =",
    "!!yaml bar", "!!foo [a, 1]", "!!foo {a: 1}", "!mytag [a, 1]", "!mytag {a: 1}",
    "!!python/object:x {a: 1}", "!!python/tuple [1, 2]", "!!set {a, b}", "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1]", "!!str [a]", "!!int [a]", "!!null {a: 1}", "!!binary [a]",
    "!!str 5", "!!str ~", "!!str", "!!int '5'", "!!int 0x_10", "!!int -0b11", "!!float 5",
    "!!float 0755", "!!float '1_000.5'", "!!bool yes", "!!null ~", "!!null",
    "!!timestamp 2024-01-01", "!!timestamp 2024-1-2", "!!timestamp 2024-01-01T10:00:00Z",
    "!!timestamp 2024-01-01t10:00:00.123+05:00", "!!timestamp 2024-01-01   10:00:00,5",
    "!!timestamp 0000-02-29", "!!timestamp 2000-02-29", "!!timestamp 2024-01-01T10:00:00+05:60",
    "[!!foo a, !bar 1, ! 2]", "{!!foo 5: a, !!int 6: b, !!float 7: c, ! 8: d, !!merge m: e}",
    "{a: 1, <<: !!foo {b: 2}}", "{! <<: {c: 3}}", "{!!foo <<: {d: 4}}", "{!!str <<: x}",
    "{!!merge <<: {e: 5}}", "{a: &x !!foo {b: 1}, c: *x}",
]


def _tagged_text() -> str:
    return "".join(f"t{index}: {text}\n" for index, text in enumerate(TAGGED))


@pytest.mark.parametrize("where", ["values.yaml", "--values"])
def test_tagged_values_are_read_as_helm_reads_them(tmp_path: Path, each_helm: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   where: str) -> None:
    """A tag in the chart's values.yaml or in a value file given to helm: helm reads the
    values as go-yaml v2 does, and so does platecheck, with either loader (an unknown global
    tag on a scalar was a could-not-check error)."""
    chart = _helm_chart(tmp_path, None, _VALUES_JSON)
    files = tmp_path / "values.yaml" if where == "--values" else chart / "values.yaml"
    files.write_text(_tagged_text())
    extra = ["--values", str(files)] if where == "--values" else []
    done = subprocess.run([str(each_helm), "template", str(chart), *extra],
                          capture_output=True, text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    assert helm["t0"] == "y" and helm["t12"] == "5" and helm["t28"] == {"a": None, "b": None}
    for loader in (yamlio.C_LOADER, yamlio.PURE_LOADER):
        if loader is not None:
            monkeypatch.setattr(yamlio, "LOADER", loader)
            ours = load_document(_tagged_text(), "values.yaml").data
            assert _numbers_as_helm(ours) == _numbers_as_helm(helm), loader
            assert load_first_data(_tagged_text(), "values.yaml") == [ours]


# a value its tag does not fit: helm refuses the values file in go-yaml's words
REFUSED = [
    "!!int 1.5", "!!int 1e3", "!!int abc", "!!int", "!!int 99999999999999999999", "!!int <<",
    "!!float abc", "!!float 1e400", "!!float ''", "!!bool abc", "!!bool ''", "!!bool 1",
    "!!null abc", "!!null 0", "!!timestamp abc", "!!timestamp 5", "!!timestamp 2024-02-30",
    "!!timestamp 1900-02-29", "!!timestamp 2024-01-01T10:00:00",
    "!!timestamp 2024-01-01T24:00:00Z", "!!timestamp 2024-01-01 10:00:60",
    "!!timestamp 2024-01-01T10:00:00z", "!!timestamp 2024-01-01T10:00:00+05:61",
    "!!timestamp 2024-01-01 10:00:00Z", "{!!int x: 1}",
]


@pytest.mark.parametrize("text", REFUSED)
def test_a_value_its_tag_does_not_fit_is_refused_as_helm_refuses_it(
        tmp_path: Path, each_helm: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """``!!int 1.5``: helm refuses the values file ("cannot decode !!float `1.5` as a
    !!int"); platecheck says the same at the value's line, with either loader."""
    values = f"a: 1\nkey: {text}\n"
    chart = _helm_chart(tmp_path, values)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=False)
    assert done.returncode != 0
    for loader, read in itertools.product(
            (yamlio.C_LOADER, yamlio.PURE_LOADER), (load_document, load_first_data)):
        if loader is not None:
            monkeypatch.setattr(yamlio, "LOADER", loader)
            with pytest.raises(YamlBadValue) as caught:
                read(values, "values.yaml")
            assert (caught.value.file, caught.value.line) == ("values.yaml", 2)
            assert f"yaml: {caught.value.problem}\n" in done.stderr


def test_a_tagged_value_is_checked_where_it_was_could_not_check(tmp_path: Path,
                                                                 helm_bin: Path) -> None:
    """An Application's value file with ``key: !!python/object:x y`` and a chart whose
    values.yaml has ``!!foo`` and ``!mytag`` values render and are checked; a value its tag
    does not fit is a could-not-check error at its file and line."""
    chart = make_repo(tmp_path / "repo", data=(
        "  key: {{ .Values.key | toJson | quote }}\n  kind: {{ kindOf .Values.key | quote }}\n"
        "  other: {{ .Values.other | toJson | quote }}\n"
        "  count: {{ .Values.count | toJson | quote }}\n"), values="key: !!python/object:x y\n")
    (chart / "values.yaml").write_text("key: !!foo bar\nother: !mytag {a: !!set {b}}\n"
                                       "count: ! 5\n")
    model = load(tmp_path / "repo", cache_dir=tmp_path / "cache", helm=helm_bin)
    assert model.errors == ()
    [rendered] = model.rendered
    [configmap] = rendered.resources
    assert configmap.doc["data"] == {"key": '"y"', "kind": "string",
                                     "other": '{"a":{"b":null}}', "count": '"5"'}
    (chart / "values-prod.yaml").write_text("a: 1\nkey: !!int 1.5\n")
    [error] = lint(tmp_path / "repo", cache_dir=tmp_path / "cache", helm=helm_bin).errors
    assert (error.file, error.line) == ("charts/web/values-prod.yaml", 2)
    assert error.message.startswith("invalid YAML: cannot decode !!float `1.5` as a !!int")


# go-yaml v2 sets the keys of a "<<" where it stands (decoder.merge): after a key it replaces
# it, of a sequence the first mapping wins; PyYAML's YAML 1.1 merge lets a written key win
MERGES = """\
base: &base {tag: latest, pull: Always}
after:
  tag: "1.25.3"
  <<: *base
before:
  <<: *base
  tag: "1.25.3"
sequence:
  a: own
  c: own
  <<: [{a: s1, b: s1}, {a: s2, b: s2, c: s2, d: s2}]
  d: last
nested:
  a: own
  <<: {<<: {a: inner, b: inner}, b: outer}
"""


def test_merge_keys_are_applied_where_they_stand_as_helm_applies_them(
        tmp_path: Path, each_helm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = _helm_chart(tmp_path, MERGES, _VALUES_JSON)
    done = subprocess.run([str(each_helm), "template", str(chart)],
                          capture_output=True, text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    assert helm["after"] == {"tag": "latest", "pull": "Always"}
    assert helm["before"] == {"tag": "1.25.3", "pull": "Always"}
    assert helm["sequence"] == {"a": "s1", "b": "s1", "c": "s2", "d": "last"}
    assert helm["nested"] == {"a": "inner", "b": "outer"}
    for loader in (yamlio.C_LOADER, yamlio.PURE_LOADER):
        if loader is not None:
            monkeypatch.setattr(yamlio, "LOADER", loader)
            document = load_document(MERGES, "values.yaml")
            assert document.data == helm, loader
            assert load_first_data(MERGES, "values.yaml") == [helm], loader
            assert document.lines[("after", "tag")] == 1  # from the anchor, not line 3
            assert document.lines[("before", "tag")] == 7
            assert document.lines[("sequence", "a")] == 11
            assert document.lines[("nested", "a")] == 15


# every escape of a double-quoted scalar go-yaml (v2 and v3: scannerc.go) reads; \' is one,
# which PyYAML and libyaml refuse
ESCAPES = ["\\0", "\\a", "\\b", "\\t", "\\\t", "\\n", "\\v", "\\f", "\\r", "\\e", "\\ ", '\\"',
           "\\'", "\\\\", "\\N", "\\_", "\\L", "\\P", "\\x41", "\\xe9", "\\u00e9", "\\U0001F600"]


def _escapes_text() -> str:
    return "".join(f'e{index}: "<{escape}>"\n' for index, escape in enumerate(ESCAPES))


def test_double_quoted_escapes_are_read_as_helm_reads_them(
        tmp_path: Path, each_helm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each escape Go's YAML knows reads as helm reads it, with either loader and by every
    reader: ``\\'`` is ``'`` (it was a could-not-check error, as PyYAML refuses it)."""
    chart = _helm_chart(tmp_path, _escapes_text(), _VALUES_JSON)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=True)
    helm = json.loads(yaml.safe_load(done.stdout)["data"]["values"])
    assert helm["e12"] == "<'>" and len(helm) == len(ESCAPES)
    for loader in (yamlio.C_LOADER, yamlio.PURE_LOADER):
        if loader is not None:
            monkeypatch.setattr(yamlio, "LOADER", loader)
            assert load_document(_escapes_text(), "values.yaml").data == helm, loader
            assert first_document(_escapes_text(), "values.yaml").data == helm
            assert load_first_data(_escapes_text(), "values.yaml") == [helm]
            documents, error = kube_documents(f"a: 1\n---\n{_escapes_text()}", "cm.yaml")
            assert error is None and documents[1].data == helm


@pytest.mark.parametrize(("escape", "problem"), [
    ("\\/", "found unknown escape character"), ("\\q", "found unknown escape character"),
    ("\\uD800", "found invalid Unicode character escape code"),
    ("\\U00110000", "found invalid Unicode character escape code")],
    ids=["slash", "unknown", "surrogate", "past-unicode"])
def test_an_escape_go_refuses_is_refused_at_its_line(
        tmp_path: Path, each_helm: Path, monkeypatch: pytest.MonkeyPatch, escape: str,
        problem: str) -> None:
    """``\\/`` (JSON's), an escape of no character: helm refuses the values file at the
    escape's line, in go-yaml's words; so does platecheck, with either loader and by every
    reader (``\\/`` read as ``/``, a surrogate was kept, and a code past U+10FFFF stopped the
    pure-Python loader with a ValueError)."""
    values = f'a: 1\nkey: "x\n  {escape} y"\n'
    chart = _helm_chart(tmp_path, values)
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=False)
    assert done.returncode != 0 and f"yaml: line 3: {problem}\n" in done.stderr
    for loader, read in itertools.product((yamlio.C_LOADER, yamlio.PURE_LOADER),
                                          (load_document, first_document, load_first_data)):
        if loader is not None:
            monkeypatch.setattr(yamlio, "LOADER", loader)
            with pytest.raises(YamlSyntaxError) as caught:
                read(values, "values.yaml")
            assert (caught.value.file, caught.value.line) == ("values.yaml", 3)
            assert caught.value.problem.startswith(problem)
            documents, error = kube_documents(f"b: 2\n---\n{values}", "cm.yaml")
            assert [d.data for d in documents] == [{"b": 2}]
            assert isinstance(error, YamlSyntaxError) and error.line == 5


def test_a_slash_escape_says_go_has_none() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_document('url: "https:\\/\\/example.com"\n', "values.yaml")
    assert caught.value.message == (
        "invalid YAML: found unknown escape character (\\/: Go's YAML, which helm, kubectl "
        "and Argo CD read with, has no such escape; write / alone)")


@pytest.mark.parametrize(("escape", "error"), [
    ("\\'", None), ("\\/", ("charts/web/Chart.yaml:4", "found unknown escape character"))],
    ids=["quote", "slash"])
def test_a_chart_yaml_escape_is_read_as_helm_reads_it(
        tmp_path: Path, each_helm: Path, escape: str, error: tuple[str, str] | None) -> None:
    """helm reads Chart.yaml with go-yaml v2: ``\\'`` renders, ``\\/`` is refused
    ("cannot load Chart.yaml: ... line 4: found unknown escape character")."""
    chart = make_repo(tmp_path / "repo")
    (chart / "Chart.yaml").write_text(
        f'apiVersion: v2\nname: web\nversion: 0.1.0\ndescription: "a{escape}b"\n')
    done = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                          text=True, check=False)
    assert (done.returncode == 0) == (error is None), done.stderr
    report = lint(tmp_path / "repo", helm=each_helm, use_cache=False)
    assert [(e.location, e.message) for e in report.errors if error is None
            or error[1] not in e.message] == []
    if error is not None:
        assert [e.location for e in report.errors] == [error[0]]
    else:
        assert report.errors == () and report.renders >= 1


@pytest.mark.parametrize(("escape", "error"), [
    ("\\'", None), ("\\/", "found unknown escape character")], ids=["quote", "slash"])
def test_an_application_and_its_manifests_are_read_as_argo_cd_reads_them(
        tmp_path: Path, helm_bin: Path, escape: str, error: str | None) -> None:
    """Argo CD reads an Application (sigs.k8s.io/yaml) and a directory source's manifests
    (Kubernetes' YAML decoder) with go-yaml v2: ``\\'`` is ``'``, ``\\/`` refused at its line."""
    make_repo(tmp_path / "repo")
    app = APP_TEMPLATE.format(path="manifests", extra="").replace(
        "  name: web-prod\n", f'  name: web-prod\n  annotations:\n    note: "a{escape}b"\n')
    (tmp_path / "repo" / "apps" / "web.yaml").write_text(app)
    (tmp_path / "repo" / "manifests").mkdir()
    (tmp_path / "repo" / "manifests" / "cm.yaml").write_text(
        f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: "x{escape}y"\n')
    report = lint(tmp_path / "repo", helm=helm_bin, use_cache=False)
    if error is None:
        assert report.errors == ()
        assert len(report.targets) == 1
    else:
        assert [(e.location, error in e.message) for e in report.errors] == [
            ("apps/web.yaml:6", True)]
        (tmp_path / "repo" / "apps" / "web.yaml").write_text(app.replace(escape, ""))
        report = lint(tmp_path / "repo", helm=helm_bin, use_cache=False)
        assert [(e.location, error in e.message) for e in report.errors] == [
            ("manifests/cm.yaml:6", True)]


def test_the_depth_and_size_checks_read_a_text_with_an_escape_libyaml_refuses() -> None:
    """A ``\\'`` (Go reads it, libyaml refuses it) before deep nesting or a flood of keys:
    the checks that run before composing read the text as it is composed (the pure-Python
    parser), so neither is passed over."""
    from platecheck.errors import YamlTooComplex
    from platecheck.yamlio import check_count, too_deep

    escape = 'a: "x\\\'y"\n'
    assert too_deep(escape + "b: " + "[" * 5000 + "]" * 5000 + "\n") == 2
    with pytest.raises(YamlTooComplex):
        check_count(escape + "".join(f"k{i}: {i}\n" for i in range(300_000)), "v.yaml")
