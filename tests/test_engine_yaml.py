"""Reading YAML with the line of every key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from platecheck.errors import PlatecheckError
from platecheck.yamlio import (
    MAX_FILE_SIZE,
    decode,
    is_regular_file,
    load_document,
    load_documents,
    load_values,
    read_text,
    too_deep,
)

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


@pytest.mark.parametrize(("text", "message"), [
    ("a: [1\n", "x.yaml:2: invalid YAML: did not find expected ',' or ']'"),
    ("a: !Ref b\n", "x.yaml:1: invalid YAML: could not determine a constructor for the tag "
     "'!Ref'"),
    ("a: &x [*x]\n", "x.yaml:1: YAML nested too deeply (recursive alias?)"),
    ("- 1\n", "x.yaml:1: values must be a mapping, found a list"),
    ("a: 1\n---\nb: 2\n", "x.yaml:3: expected one YAML document, found several"),
    ("{a: 1}: b\n", "x.yaml:1: mapping keys must be scalars"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
               for i in range(6)),
     "x.yaml:1: YAML expands to too many nodes (aliases?)"),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(PlatecheckError) as caught:
        load_values(path, "x.yaml")
    assert str(caught.value) == message


def test_encodings() -> None:
    assert decode(b"\xef\xbb\xbfa: 1\n", "b.yaml") == "a: 1\n"
    with pytest.raises(PlatecheckError, match="b.yaml:1: file is UTF-16 encoded"):
        decode("a: 1\n".encode("utf-16"), "b.yaml")
    with pytest.raises(PlatecheckError, match=r"b.yaml:3: not valid UTF-8 \(byte 0xff\)"):
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
    with pytest.raises(PlatecheckError) as error:
        read_text(fifo, "apps/pipe.yaml")  # returns at once; no writer is awaited
    assert str(error.value) == ("apps/pipe.yaml: not a regular file (a named pipe); platecheck "
                                "reads only regular files")
    with pytest.raises(PlatecheckError) as error:
        read_text(device, "charts/evil/Chart.yaml")
    assert str(error.value) == ("charts/evil/Chart.yaml: not a regular file (a character "
                                "device); platecheck reads only regular files")
    assert read_text(link, "link.yaml") == (b"a: 1\n", "a: 1\n")


def test_files_over_the_size_cap_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:
        stream.truncate(MAX_FILE_SIZE + 1)  # sparse: nothing is written to disk
    with pytest.raises(PlatecheckError) as error:
        read_text(big, "big.yaml")
    assert str(error.value) == ("big.yaml: file is larger than 32 MiB; platecheck does not read "
                                "files this large")


@pytest.mark.parametrize(("text", "line"), [
    ("a: 1\nb: " + "[" * 1001 + "]" * 1001 + "\n", 2),
    ("a: 1\nb: " + "{x: " * 1001 + "1" + "}" * 1001 + "\n", 2),
    ("\n" + "- " * 1001 + "x\n", 2),  # block sequences nest by column, no bracket needed
])
def test_nesting_is_checked_before_composing(text: str, line: int) -> None:
    with pytest.raises(PlatecheckError) as error:
        load_documents(text, "deep.yaml")
    assert str(error.value) == (f"deep.yaml:{line}: YAML nested more than 1000 levels deep; "
                                "platecheck does not read it")


def test_ordinary_nesting_is_not_refused() -> None:
    text = "a: " + "[" * 150 + "]" * 150 + "\nb: " + "x" * 5000 + "\n"
    assert too_deep(text) is None
    assert load_document(text, "ok.yaml").data["b"] == "x" * 5000
    assert too_deep("[" * 1000 + "]" * 1000) is None
    assert too_deep("[" * 1001 + "]" * 1001) == 1
    assert too_deep("a: [" + "]" * 2000) is None  # malformed: composing reports it
