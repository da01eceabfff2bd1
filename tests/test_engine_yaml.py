"""Reading YAML with the line of every key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from platecheck.boundedread import is_regular_file
from platecheck.engine import lint
from platecheck.errors import (
    FileTooLarge,
    NotRegularFile,
    PlatecheckError,
    YamlBadValue,
    YamlDuplicateKey,
    YamlEncodingError,
    YamlError,
    YamlSyntaxError,
    YamlTooComplex,
    YamlTooDeep,
)
from platecheck.yamlio import (
    MAX_FILE_SIZE,
    MAX_NESTING,
    decode,
    json_document,
    load_document,
    load_documents,
    load_first_data,
    load_values,
    read_text,
    too_deep,
)
from security_helpers import add_crd, make_repo

TEXT = """\
# comment
base: &base
  cpu: 100m
  memory: 64Mi
image:
  tag: "1.0"   # pinned
containers:
  - name: web
    ports: [80, 443]
  - name: sidecar
limits:
  <<: *base
  cpu: 200m
on: 2024-01-02
"""


def test_lines_of_keys_and_list_items() -> None:
    document = load_document(TEXT, "v.yaml")
    assert document.data["limits"] == {"cpu": "200m", "memory": "64Mi"}
    assert document.data["true"] == "2024-01-02"  # YAML 1.1 key, as Helm reads it
    lines = document.lines
    assert lines[("image", "tag")] == 6
    assert lines[("containers", 0)] == 8
    assert lines[("containers", 0, "name")] == 8
    assert lines[("containers", 0, "ports", 1)] == 9
    assert lines[("containers", 1, "name")] == 10
    assert lines[("limits", "cpu")] == 13
    assert lines[("limits", "memory")] == 4  # from the anchor it was merged from


def test_multi_document_streams() -> None:
    documents = load_documents("a: 1\n---\n---\nb: 2\n", "m.yaml")
    assert [(d.data, d.line) for d in documents] == [({"a": 1}, 1), (None, 3), ({"b": 2}, 4)]


ALIAS_BOMB = ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
              + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                        for i in range(6)))

SEVERAL = ("a values file of several YAML documents is read differently by Helm 3 (the first "
           "only) and Helm 4 (all merged); platecheck does not check it: keep one document")
# (text, error type, line, platecheck's own message or None where the parser's words follow)
ERRORS = [
    ("a: [1\n", YamlSyntaxError, 2, None),
    ("a: 1\n  b: 2\n", YamlSyntaxError, 2, None),
    ("a: 'open\n", YamlSyntaxError, 2, None),
    ("a:\n\tb: 1\n", YamlSyntaxError, 2, None),
    ("a: 1\nb: !!binary '%%'\n", YamlBadValue, 2, None),
    ("a: !!null x\n", YamlBadValue, 1, None),
    ("a: 1\nb: !!int abc\n", YamlBadValue, 2, "invalid YAML: cannot decode !!str `abc` as a !!int"),
    ("a: &x [*x]\n", YamlTooComplex, 1, "YAML alias refers to a collection that contains it"),
    (ALIAS_BOMB, YamlTooComplex, 1, "YAML expands to too many nodes (aliases?)"),
    ("a: 1\nb: " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1) + "\n", YamlTooDeep, 2,
     f"YAML nested more than {MAX_NESTING} levels deep; platecheck does not read it"),
    ("- 1\n", PlatecheckError, 1, "values must be a mapping, found a list"),
    ("a: 1\n---\nb: 2\n", PlatecheckError, 3, SEVERAL),
    ("a: 1\n---\n---\n{}\n---\nb: 2\n", PlatecheckError, 6, SEVERAL),
    ("{a: 1}: b\n", YamlSyntaxError, 1, "mapping keys must be scalars"),
    ("a: {<<: 1}\n", YamlSyntaxError, 1, "merge key '<<' needs a mapping"),
    # a character YAML refuses (a NUL byte): at its line, in one line
    ("a: 1\nb: \"x\x00y\"\n", YamlSyntaxError, 2, None),
]


@pytest.mark.parametrize(("text", "kind", "line", "message"), ERRORS,
                         ids=[f"{kind.__name__}-{i}" for i, (_, kind, _, _) in enumerate(ERRORS)])
def test_errors_name_file_and_line(tmp_path: Path, yaml_loader: str, text: str,
                                   kind: type[PlatecheckError], line: int,
                                   message: str | None) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(PlatecheckError) as caught:
        load_values(path, "x.yaml")
    error = caught.value
    assert (type(error), error.file, error.line) == (kind, "x.yaml", line)
    assert "\n" not in error.message  # one line, whatever the parser wrote
    if message is not None:
        assert error.message == message
    else:  # platecheck's words, then whatever the parser said about it
        assert isinstance(error, YamlError) and error.problem
        assert error.message == f"invalid YAML: {error.problem}"


@pytest.mark.parametrize("text", ["a: 1\n---\n", "a: 1\n---\n# end\n", "a: 1\n---\n{}\n---\n"])
def test_empty_documents_after_the_values_are_what_both_helms_ignore(
        tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    assert load_values(path, "x.yaml")[0].data == {"a": 1}


def test_duplicate_keys_are_refused_where_asked() -> None:
    text = "a: 1\nb:\n  c: 2\n  c: 3\n"
    assert load_document(text, "v.yaml").data == {"a": 1, "b": {"c": 3}}
    with pytest.raises(YamlDuplicateKey) as caught:
        load_document(text, "policies/platecheck.yaml", unique_keys=True)
    assert (caught.value.file, caught.value.line, caught.value.message) == (
        "policies/platecheck.yaml", 4, "duplicate key 'c' (first at line 3)")


def test_encodings() -> None:
    assert decode(b"\xef\xbb\xbfa: 1\n", "b.yaml") == "a: 1\n"
    # (a UTF-16 byte order mark: read as go-yaml, and so Helm, reads it)
    assert decode("a: 1\nb: é\n".encode("utf-16"), "b.yaml") == "a: 1\nb: é\n"
    assert decode("a: 1\n".encode("utf-16-be").join([b"\xfe\xff", b""]), "b.yaml") == "a: 1\n"
    with pytest.raises(YamlEncodingError, match="b.yaml:1: file starts with a UTF-16 byte"):
        decode(b"\xff\xfea\x00:", "b.yaml")
    with pytest.raises(YamlEncodingError, match=r"b.yaml:3: not valid UTF-8 \(byte 0xff\)"):
        decode(b"a: 1\nb: 2\nc: \xff\n", "b.yaml")


def test_empty_values_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing\n")
    values, raw = load_values(path, "empty.yaml")
    assert (values.data, dict(values.lines), raw) == ({}, {}, b"# nothing\n")


def test_date_shaped_text_that_is_no_date_stays_text() -> None:
    document = load_document("expires: 2025-02-30\nreal: 2025-02-28\n", "d.yaml")
    assert document.data == {"expires": "2025-02-30", "real": "2025-02-28"}


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    device = tmp_path / "Chart.yaml"
    device.symlink_to("/dev/zero")
    regular = tmp_path / "values.yaml"
    regular.write_text("a: 1\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(regular)
    assert [is_regular_file(p) for p in (fifo, device, regular, link, tmp_path,
                                         tmp_path / "nothing.yaml")] == [
        False, False, True, True, False, False]
    with pytest.raises(NotRegularFile) as error:
        read_text(fifo, "apps/pipe.yaml")  # returns at once; no writer is awaited
    assert str(error.value) == ("apps/pipe.yaml: not a regular file (a named pipe); platecheck "
                                "reads only regular files")
    with pytest.raises(NotRegularFile) as error:
        read_text(device, "charts/evil/Chart.yaml")
    assert str(error.value) == ("charts/evil/Chart.yaml: not a regular file (a character "
                                "device); platecheck reads only regular files")
    assert read_text(link, "link.yaml") == (b"a: 1\n", "a: 1\n")


def test_files_over_the_size_cap_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:
        stream.truncate(MAX_FILE_SIZE + 1)  # sparse: nothing is written to disk
    with pytest.raises(FileTooLarge) as error:
        read_text(big, "big.yaml")
    assert str(error.value) == ("big.yaml: file is larger than 32 MiB; platecheck does not read "
                                "files this large")


DEEP = MAX_NESTING + 1


@pytest.mark.parametrize(("text", "line"), [
    ("a: 1\nb: " + "[" * DEEP + "]" * DEEP + "\n", 2),
    ("a: 1\nb: " + "{x: " * DEEP + "1" + "}" * DEEP + "\n", 2),
    ("\n" + "- " * DEEP + "x\n", 2),  # block sequences nest by column, no bracket needed
    ("a: 1\nb: " + "[" * 999 + "]" * 999 + "\n", 2),  # libyaml 0.2.6 refuses this itself
    ("a: 1\n\nb: " + "[" * 30000 + "]" * 30000 + "\n", 3),  # libyaml 0.2.5 crashed on this
])
def test_nesting_is_checked_before_composing(text: str, line: int, yaml_loader: str) -> None:
    with pytest.raises(YamlTooDeep) as error:
        load_documents(text, "deep.yaml")
    assert (error.value.file, error.value.line, error.value.message) == (
        "deep.yaml", line,
        f"YAML nested more than {MAX_NESTING} levels deep; platecheck does not read it")


def test_ordinary_nesting_is_not_refused(yaml_loader: str) -> None:
    text = "a: " + "[" * 150 + "]" * 150 + "\nb: " + "x" * 5000 + "\n"
    assert too_deep(text) is None
    assert load_document(text, "ok.yaml").data["b"] == "x" * 5000
    assert too_deep("[" * MAX_NESTING + "]" * MAX_NESTING) is None
    assert too_deep("[" * DEEP + "]" * DEEP) == 1
    assert too_deep("a: [" + "]" * 2000) is None  # malformed: composing reports it


def test_a_plain_equals_sign_is_text_as_go_reads_it(yaml_loader: str) -> None:
    # YAML 1.1's "value" type: PyYAML alone refuses it, helm and kubectl read the text "="
    text = "op: =\noperators: [=, '!=', =~]\nnested:\n  - =\n"
    expected = {"op": "=", "operators": ["=", "!=", "=~"], "nested": ["="]}
    assert load_document(text, "ops.yaml").data == expected
    assert load_first_data(text, "ops.yaml") == [expected]


def _helm_reads(helm: Path, values: str, data: str, tmp_path: Path) -> str:
    """What ``helm template`` renders of a ConfigMap whose ``data`` is the template ``data``,
    with ``values`` as the chart's values.yaml."""
    import subprocess

    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(values)
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n" + data)
    return subprocess.run([str(helm), "template", str(chart)], capture_output=True,
                          text=True, check=True).stdout


def test_a_local_tag_is_read_as_helm_reads_it(yaml_loader: str, tmp_path: Path,
                                              helm_bin: Path) -> None:
    """Go's YAML reads a node of a local tag (Ansible's ``!unsafe``, any ``!foo``) as if it
    had none, a scalar as its text; PyYAML alone refuses the document."""
    text = ("s: !foo bar\nq: !foo '5'\nt: !foo true\nnum: !num 5\nz: !foo\n"
            "seq: !foo [1, 2]\nmap: !bar {d: 1}\n")
    expected = {"s": "bar", "q": "5", "t": "true", "num": "5", "z": "",
                "seq": [1, 2], "map": {"d": 1}}
    assert load_document(text, "values.yaml").data == expected
    assert load_first_data(text, "values.yaml") == [expected]
    rendered = _helm_reads(helm_bin, text, "{{- range $k, $v := .Values }}\n"
                           "  {{ $k }}: {{ printf \"%T %v\" $v $v | quote }}\n{{- end }}\n",
                           tmp_path)
    for key in ("s", "q", "t", "num", "z"):
        assert f'{key}: "string {expected[key]}"' in rendered
    assert 'seq: "[]interface {} [1 2]"' in rendered and 'map: "map[string]interface {} ' \
        'map[d:1]"' in rendered


def test_an_anchor_defined_again_is_read_as_helm_reads_it(
        yaml_loader: str, tmp_path: Path, helm_bin: Path) -> None:
    """Go's YAML lets a later anchor of one name replace the earlier one for the aliases after
    it (values of bjw-s app-template charts do it); PyYAML alone refuses the document."""
    text = "first:\n  host: &host a.example.com\nsecond:\n  host: &host b.example.com\n" \
           "  alias: *host\nthird: *host\n"
    expected = {"first": {"host": "a.example.com"},
                "second": {"host": "b.example.com", "alias": "b.example.com"},
                "third": "b.example.com"}
    assert load_document(text, "values.yaml").data == expected
    assert load_first_data(text, "values.yaml") == [expected]
    rendered = _helm_reads(helm_bin, text, "  alias: {{ .Values.second.alias }}\n"
                                           "  third: {{ .Values.third }}\n", tmp_path)
    assert "alias: b.example.com" in rendered and "third: b.example.com" in rendered


def test_a_crd_with_an_equals_sign_in_an_enum_is_read_and_applied(
        tmp_path: Path, helm_bin: Path) -> None:
    """prometheus-operator's CRDs list matcher operators as plain ``- =``: the CRD is read,
    and its schema checks the custom resources of the chart."""
    chart = make_repo(tmp_path, data='  op: "="\n')
    add_crd(chart, "Matcher", "matchType", "                enum:\n                - =\n"
            "                - '!='\n", [("good", "="), ("bad", "'~'")])
    report = lint(tmp_path, helm=helm_bin, use_cache=False)
    assert report.errors == ()
    schema = [f for f in report.findings if f.policy == "k8s-schema"]
    assert [f.resource for f in schema] == ["Matcher/bad"]
    assert schema[0].message.endswith('spec.matchType: "~" is not one of "=", "!="')



def test_a_binary_file_no_application_uses_is_not_read_as_one(tmp_path: Path,
                                                              helm_bin: Path) -> None:
    """An encrypted secret (git-crypt) or any binary file that cannot hold an Application is
    not an error of the repository walk; one that mentions argoproj.io and an Application
    kind is, and so is a binary file where an Application is expected."""
    make_repo(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secret.json").write_bytes(b"\x00GITCRYPT\x00\xf9\x8c\x11")
    assert lint(tmp_path, helm=helm_bin, use_cache=False).errors == ()
    (tmp_path / "config" / "app.yaml").write_bytes(
        b"apiVersion: argoproj.io/v1alpha1\n\xff\nkind: Application\n")
    [error] = lint(tmp_path, helm=helm_bin, use_cache=False).errors
    # (read as Argo CD reads a directory's files, the byte is U+FFFD, a line that is no
    # mapping entry, which the YAML parser finds at the next)
    assert (error.file, error.line) == ("config/app.yaml", 3)
    # without an Application kind it is no Application: some other file of the group's
    (tmp_path / "config" / "app.yaml").write_bytes(b"apiVersion: argoproj.io/v1alpha1\n\xff\n")
    assert lint(tmp_path, helm=helm_bin, use_cache=False).errors == ()
    (tmp_path / "config" / "app.yaml").unlink()
    [error] = lint(tmp_path / "config" / "secret.json", root=tmp_path, helm=helm_bin,
                   use_cache=False).errors
    assert (error.file, error.line) == ("config/secret.json", 1)


@pytest.mark.parametrize(("text", "data"), [
    ('{"a": "\\ud83d\\ude80", "b": "\\ud83d!"}', {"a": "\U0001f680", "b": "\ufffd!"}),
    ('{"a": 9223372036854775807, "b": 9223372036854775808, "c": 1.0, "d": -0}',
     {"a": 9223372036854775807, "b": 9223372036854775808.0, "c": 1.0, "d": 0}),
    ('{"a": 1, "a": 2}', {"a": 2}),
    ('{"a": 1} ]', {"a": 1}),  # json.Decoder.More is false before "]": Argo CD reads on
])
def test_json_is_read_as_go_reads_it(text: str, data: object) -> None:
    assert json_document(text, "x.json").data == data


@pytest.mark.parametrize(("text", "line", "message"), [
    ('{\n"a": NaN}', 2, "invalid JSON: invalid character 'N' looking for beginning of value"),
    ('{\n"a":\n-Infinity}', 3,
     "invalid JSON: invalid character '-' looking for beginning of value"),
    ('{"a":\n 1e400}', 2, "invalid JSON: number 1e400 is out of the range of a float (Go's "
     "encoding/json refuses it)"),
    ('{"a": 1}\n{}', 2, "a .json manifest may hold only one object (Argo CD refuses more)"),
    ('{"a": 1,\n}', 2, "invalid JSON: invalid character '}' looking for beginning of object "
     "key string"),
    ('{"a": [1\n', 2, "invalid JSON: unexpected end of JSON input"),
])
def test_json_go_refuses_is_an_error_at_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(PlatecheckError) as caught:
        json_document(text, "x.json")
    assert (caught.value.file, caught.value.line, caught.value.message) == (
        "x.json", line, message)


def test_json_keys_are_at_their_lines() -> None:
    document = json_document('\n{"a": {\n  "b": [1,\n    2]}}', "x.json")
    assert (document.line, dict(document.lines)) == (
        2, {("a",): 2, ("a", "b"): 3, ("a", "b", 0): 3, ("a", "b", 1): 4})
