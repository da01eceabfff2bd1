"""Reading YAML with the line of every key, so findings can point at the line to edit.

Documents are composed into nodes first (C loader when available) and then built by hand:
the walk that builds the data also records ``key path -> line``. Mapping keys become
strings, as they do when Helm turns values into JSON.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import copy
import json
import math
import os
import re
import stat
import struct
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from platecheck.boundedread import read_at_most
from platecheck.cache import Digest, ResultMemo, code_digest, json_copy
from platecheck.errors import (
    FileTooLarge,
    NotRegularFile,
    PlatecheckError,
    UnreadableFile,
    YamlBadValue,
    YamlDuplicateKey,
    YamlEncodingError,
    YamlError,
    YamlSyntaxError,
    YamlTooComplex,
    YamlTooDeep,
)
from platecheck.model import KeyPath, ValuesFile
from platecheck.runmemo import recall

T = TypeVar("T")

# --- plain scalars as Go's YAML reads them ----------------------------------------------------
# helm (values), kubectl and Argo CD read YAML with sigs.k8s.io/yaml, whose reader (go-yaml v2,
# resolve.go) types a plain scalar otherwise than PyYAML's YAML 1.1 resolver: ``y``/``n``
# are booleans, ``0o17`` and ``0b101`` integers, ``09`` and ``1e3`` floats, ``12:30`` (base 60
# to YAML 1.1) and ``2024-01-01`` text; an integer past 64 bits a float, a float past the
# largest double text. platecheck's loaders resolve plain scalars so (``go_tag``), and build
# their numbers as Go parses them.
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"tag:yaml.org,2002:{name}"
                                    for name in ("str", "int", "float", "bool", "null"))
GO_TRUE = frozenset(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"))
GO_FALSE = frozenset(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
                      "OFF"))
_MERGE_TAG = "tag:yaml.org,2002:merge"
_GO_WORDS = {
    **dict.fromkeys(GO_TRUE | GO_FALSE, _BOOL),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), _NULL),
    **dict.fromkeys((".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                     "-.inf", "-.Inf", "-.INF"), _FLOAT),
    "<<": _MERGE_TAG,
}
# strconv.ParseInt(s, 0, 64): a sign, then a 0b/0o/0x prefix, a leading 0 (octal) or decimal
_GO_INT = re.compile(r"[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BASES = {"b": 2, "o": 8, "x": 16}


def _go_int(text: str) -> int | None:
    """A plain scalar as go-yaml v2 reads an integer (underscores dropped, then
    ``strconv.ParseInt`` with base 0, else ``ParseUint``), None when it is none."""
    plain = text.replace("_", "")
    if not _GO_INT.fullmatch(plain):
        return None
    body = plain.lstrip("+-")
    base = _BASES.get(body[1:2].lower()) if len(body) > 1 and body[0] == "0" else None
    if base is not None:
        value = int(body[2:], base)
    else:
        value = int(body[1:], 8) if len(body) > 1 and body[0] == "0" else int(body)
    value = -value if plain[0] == "-" else value
    if -(1 << 63) <= value < (1 << 63) or (plain[0] != "+" and 0 <= value < (1 << 64)):
        return value
    return None


def _go_float(text: str) -> float | None:
    """A plain scalar as go-yaml v2 reads a float (underscores dropped, its float syntax, and
    a value ``strconv.ParseFloat`` does not refuse as out of range), None when it is none."""
    plain = text.replace("_", "")
    if not _GO_FLOAT.fullmatch(plain):
        return None
    value = float(plain)
    return value if math.isfinite(value) else None


_NUMERIC_START = frozenset("+-.0123456789")


def go_tag(text: str) -> str:
    """The tag go-yaml v2 resolves a plain scalar to (a timestamp is text to Helm, kubectl
    and Argo CD: they read YAML into JSON-like data)."""
    word = _GO_WORDS.get(text)
    if word is not None:
        return word
    if text[:1] not in _NUMERIC_START:
        return _STR
    if text[:1] != "." and _go_int(text) is not None:
        return _INT
    return _FLOAT if _go_float(text) is not None else _STR


class _GoResolver:
    """Plain scalars resolved as go-yaml v2 resolves them (``go_tag``); the rest as PyYAML's
    resolver does (quoted scalars are text, collections maps and sequences)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            return go_tag(value)
        return super().resolve(kind, value, implicit)  # type: ignore[misc]


# --- tags as Go's YAML reads them -----------------------------------------------------------
# go-yaml v2 (decode.go) builds a mapping or a sequence whatever its tag (``!!set``, ``!!omap``,
# ``!!python/tuple``, ``!foo``). A scalar whose tag it does not resolve (resolve.go,
# ``resolvableTag``: any tag but these six, ``!!binary`` aside) is its text: ``!!foo 5``,
# ``!!python/object:x y``, ``!mytag``, ``!!map bar``. One of these six must read as that type
# (``!!float`` takes an integer too), or the whole document is refused: ``!!int 1.5`` is
# "cannot decode !!float `1.5` as a !!int".
_TIMESTAMP, _BINARY = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"
_RESOLVED = frozenset((_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP))


def _go_scalar(node: Node) -> Any:
    """A scalar node (its tag resolved, or explicit) as go-yaml v2 reads it into JSON-like
    data; ``ConstructorError`` at the node where Go refuses it."""
    tag, text = node.tag, str(node.value)
    if tag == _BINARY:
        return _go_binary(text, node)
    if tag == _STR or tag not in _RESOLVED or (tag == _TIMESTAMP and _go_timestamp(text)):
        return text  # a timestamp too: Go reads one into interface{} as its text
    found = go_tag(text)
    if found == tag or (found == _INT and tag == _FLOAT):
        value = _plain_value(found, text)
        return float(value) if tag == _FLOAT else value
    shown = _STR if found == _MERGE_TAG else found  # Go resolves a "<<" value as text
    raise ConstructorError(None, None, f"cannot decode {_short(shown)} `{text}` as a "
                           f"{_short(tag)}", node.start_mark)


def _plain_value(tag: str, text: str) -> Any:
    """The value of ``text``, which ``go_tag`` resolves to ``tag`` (an integer, a float, a
    boolean or null)."""
    if tag == _INT:
        return _go_int(text)
    if tag == _FLOAT:
        if _GO_WORDS.get(text) != _FLOAT:
            return _go_float(text)
        lowered = text.lower()
        return math.nan if lowered == ".nan" else -math.inf if lowered[0] == "-" else math.inf
    return text in GO_TRUE if tag == _BOOL else None


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


# go-yaml v2's parseTimestamp: time.Parse with the layouts 2006-1-2T15:4:5.999999999Z07:00
# (a "t" too), 2006-1-2 15:4:5.999999999 and 2006-1-2. time.Parse takes a field of one or
# two digits, a run of spaces for the layout's one, any digits of a fraction after "." or
# ",", and checks each field's range (a day against its month).
_GO_TIMESTAMP = re.compile(r"(\d{4})-(\d\d?)-(\d\d?)(?:([Tt]| +)(\d\d?):(\d\d?):(\d\d?)"
                           r"(?:[.,]\d+)?(Z|[+-](\d\d):(\d\d))?)?", re.ASCII)


def _go_timestamp(text: str) -> bool:
    """Whether go-yaml v2 reads ``text`` as a timestamp (``parseTimestamp``)."""
    match = _GO_TIMESTAMP.fullmatch(text)
    if match is None or (match[4] is not None and (match[4] in ("T", "t")) != bool(match[8])):
        return False  # a zone after a "T" only, and always
    year, month, day, hour, minute, second, zone_hour, zone_minute = (
        int(match[group] or 0) for group in (1, 2, 3, 5, 6, 7, 9, 10))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = 29 if month == 2 and leap else _DAYS[month - 1] if 1 <= month <= 12 else 0
    return (1 <= day <= days and hour < 24 and minute < 60 and second < 60
            and zone_hour <= 24 and zone_minute <= 60)


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _go_binary(text: str, node: Node) -> str:
    """``!!binary`` as go-yaml v2 reads it: standard base64 (line breaks skipped, padding
    required) decoded into a string; JSON then writes each byte that is not UTF-8 as U+FFFD."""
    text = text.replace("\r", "").replace("\n", "")
    try:
        data = binascii.a2b_base64(text, strict_mode=True) if text else b""
    except (binascii.Error, ValueError):
        raise ConstructorError(None, None, "!!binary value contains invalid base64 data",
                               node.start_mark) from None
    return data.decode("utf-8", errors="platecheck-go-json")


def _each_byte_replaced(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("platecheck-go-json", _each_byte_replaced)

def go_key(value: Any) -> Any:
    """A mapping key as Go's YAML-to-JSON conversion writes it: ``true``, ``false``, an
    integer in decimal (``0o17`` is ``"15"``), a float as Go writes a float32 at its
    shortest (``1e3`` is ``"1000"``, ``123456.7`` stays) and an infinity or NaN as YAML
    writes it (``.inf``, ``-.inf``, ``.nan``: sigs.k8s.io/yaml's ``convertToJSONableObject``);
    anything else as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        return _float32_g(value) if math.isfinite(value) else (
            ".inf" if value > 0 else "-.inf")
    return value


def _float32_g(value: float) -> str:
    """Go's ``strconv.FormatFloat(value, 'g', -1, 32)``: the shortest digits that read back
    as the same float32, as ``%e`` when the exponent is below -4 or at least 6."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    if single == 0:
        return "-0" if math.copysign(1, single) < 0 else "0"
    for precision in range(1, 10):
        text = f"{single:.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, exponent_text = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exponent = int(exponent_text)
    if exponent < -4 or exponent >= 6:
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    point = exponent + 1
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


NULL_KEY = ("a mapping key is null (~, null or nothing); helm, kubectl and Argo CD refuse it: "
            "quote it as text")


class _GoKeys:
    """Mappings whose keys are as Go's YAML-to-JSON conversion makes them (``go_key``)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """Each key made Go's before it is stored: Python's ``1 == True == 1.0`` and
        ``-0.0 == False`` would otherwise merge keys Go keeps apart (``"1"``, ``"true"``)."""
        if not isinstance(node, MappingNode):
            return super().construct_mapping(node, deep=deep)  # type: ignore[misc]
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            if key is None:  # sigs.k8s.io/yaml: "unsupported map key of type: <nil>"
                raise ConstructorError(None, None, NULL_KEY, key_node.start_mark)
            if not isinstance(key, Hashable):
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found unhashable key", key_node.start_mark)
            value = self.construct_object(value_node, deep=deep)  # type: ignore[attr-defined]
            mapping[key if type(key) is str else go_key(key)] = value
        return mapping

    def flatten_mapping(self, node: Any) -> None:
        for key_node, _ in node.value:  # Go merges at "<<" only: "!!merge a" is the key "a"
            if key_node.tag == _MERGE_TAG and key_node.value != "<<":
                key_node.tag = _STR
        super().flatten_mapping(node)  # type: ignore[misc]


class GoDumper(_GoResolver, yaml.SafeDumper):
    """PyYAML's safe dumper quoting every string Go's YAML would read as something else
    (``"y"``, ``"0o17"``, ``"1e3"``), so that what it writes reads back the same in helm,
    kubectl, Argo CD and platecheck."""


def _construct_go(constructor: Any, node: Node) -> Any:
    """A node of any tag as Go's YAML builds it: a mapping or a sequence whatever its tag, a
    scalar as ``_go_scalar`` reads it."""
    if isinstance(node, MappingNode):
        return SafeConstructor.construct_yaml_map(constructor, node)
    if isinstance(node, SequenceNode):
        return SafeConstructor.construct_yaml_seq(constructor, node)
    return _go_scalar(node)


class PureLoader(_GoResolver, _GoKeys, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, reading as Go's YAML reads (helm, kubectl and Argo
    CD) where PyYAML differs: an anchor defined again replaces the earlier one for the
    aliases after it (PyYAML refuses the document), and a scalar of the non-specific tag
    ``!`` is its text (``! 5`` is "5"; PyYAML resolves it as if it had no tag)."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        node: Node | None = super().compose_node(parent, index)
        return node

    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        bare = self.peek_event().tag == "!"  # type: ignore[no-untyped-call]
        node: ScalarNode = super().compose_scalar_node(anchor)
        if bare and node.value != "<<":  # "! <<" is a merge key to Go too (implicit)
            node.tag = "!"
        return node


# Every tag PyYAML's safe loader knows, and None: any other tag.
for _tag in SafeConstructor.yaml_constructors:
    PureLoader.add_constructor(_tag, _construct_go)
PURE_LOADER: type[Any] = PureLoader
C_LOADER: type[Any] | None = None
if hasattr(yaml, "CSafeLoader"):
    class _CLoader(_GoResolver, _GoKeys, yaml.CSafeLoader):
        """libyaml's safe loader, nodes built as Go builds them (a text with a scalar of the
        tag ``!`` is read with ``PureLoader``, see ``_loader_for``)."""

    for _tag in SafeConstructor.yaml_constructors:
        _CLoader.add_constructor(_tag, _construct_go)
    C_LOADER = _CLoader


def _default_loader() -> type[Any]:
    """libyaml's loader when PyYAML was built with it, unless ``PLATECHECK_PURE_YAML=1`` asks
    for the pure-Python one (the test suite runs its YAML cases with both)."""
    if os.environ.get("PLATECHECK_PURE_YAML") != "1" and C_LOADER is not None:
        return C_LOADER
    return PURE_LOADER


# The loader every YAML read in platecheck goes through; tests swap it to compare loaders.
LOADER: type[Any] = _default_loader()
_PURE_LOADER = PURE_LOADER
MAX_FILE_SIZE = 32 << 20  # bytes; larger YAML is refused, not read into memory
_MAX_NODES = 250_000  # aliases are expanded; a document that explodes is refused
# Collections inside collections. Checked on the parser's events before composing: libyaml
# 0.2.5 crashes the process on ~30,000 levels and 0.2.6 refuses ~1,000 with an error of its
# own, so the limit sits well below both and every loader gives the same error and line.
MAX_NESTING = 200
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


@dataclass(frozen=True)
class Document:
    """One YAML document: its data, the line of every key path, and its first line."""

    data: Any
    lines: Mapping[KeyPath, int]
    line: int  # 1-based line of the document's first node

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest written ancestor, or of the document."""
        return line_of(self.lines, path, self.line)


def line_of(lines: Mapping[KeyPath, int], path: KeyPath, default: int) -> int:
    """The line of ``path``, or of its nearest ancestor that is written (``default`` when
    none is: the document's first line)."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return default


def below(found: Mapping[KeyPath, T], key: KeyPath) -> dict[KeyPath, T]:
    """The entries of ``found`` (lines, origins) under the key path ``key``, by their paths
    from it (``key`` itself left out)."""
    size = len(key)
    return {path[size:]: value for path, value in found.items()
            if len(path) > size and path[:size] == key}


def scalars(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every value of a parsed YAML tree that is neither a mapping, a list nor null, with its
    key path (mapping keys as strings), in document order."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from scalars(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from scalars(value, (*path, index))
    elif node is not None:
        yield path, node


def decode(raw: bytes, rel: str) -> str:
    """Bytes of a YAML file as text; a UTF-8 byte order mark is dropped, other encodings fail
    with the line of the first undecodable byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith(UTF16_MARKS):
        raise YamlEncodingError("file is UTF-16 encoded; YAML files must be UTF-8", rel, 1)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlEncodingError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", rel,
                                line) from None


def read_text(path: Path, rel: str) -> tuple[bytes, str]:
    """A YAML file's bytes and text. Only regular files up to ``MAX_FILE_SIZE`` are read."""
    raw = read_bytes(path, rel)
    return raw, decode(raw, rel)


UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def read_bytes(path: Path, rel: str) -> bytes:
    """A file's bytes. Only regular files up to ``MAX_FILE_SIZE`` are read."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}", rel) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"not a regular file ({_file_kind(info.st_mode)}); platecheck "
                                 "reads only regular files", rel)
        with os.fdopen(handle, "rb", closefd=False) as stream:
            raw = read_at_most(stream, info.st_size, MAX_FILE_SIZE)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}", rel) from None
    finally:
        os.close(handle)
    if len(raw) > MAX_FILE_SIZE:
        raise FileTooLarge(f"file is larger than {MAX_FILE_SIZE >> 20} MiB; platecheck does "
                           "not read files this large", rel)
    return raw


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"


def too_deep(text: str) -> int | None:
    """The 1-based line where ``text`` nests collections more than ``MAX_NESTING`` deep, or
    None. Nesting needs a ``[`` or ``{`` per flow level and a column per block level: text
    with fewer of those than the limit is not scanned. When libyaml stops on an error of its
    own first (0.2.6 refuses deep nesting before the parser's events reach it), the text up
    to that error is read again with the pure-Python parser, which has no such limit, so the
    answer is the same with every loader."""
    if len(text) <= MAX_NESTING:
        return None
    bound = text.count("[") + text.count("{") + max(map(len, text.splitlines()), default=0)
    if bound <= MAX_NESTING:
        return None
    try:
        return _first_too_deep(yaml.parse(text, Loader=LOADER))
    except yaml.MarkedYAMLError as exc:
        if LOADER is _PURE_LOADER or exc.problem_mark is None:
            return None
        prefix = text[:exc.problem_mark.index + 1]
    except yaml.YAMLError:
        return None
    try:
        return _first_too_deep(yaml.parse(prefix, Loader=_PURE_LOADER))
    except yaml.YAMLError:
        return None  # composing stops at the same error, no deeper than the events so far


def _first_too_deep(events: Iterator[yaml.Event]) -> int | None:
    depth = 0
    for event in events:
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_NESTING:
                mark = event.start_mark
                return int(mark.line) + 1 if mark is not None else 1
        elif isinstance(event, _CLOSE):
            depth -= 1
    return None


def check_nesting(text: str, rel: str) -> None:
    line = too_deep(text)
    if line is not None:
        raise YamlTooDeep(f"YAML nested more than {MAX_NESTING} levels deep; platecheck "
                          "does not read it", rel, line)


def yaml_error(exc: BaseException, rel: str) -> YamlError:
    """The one mapping from what a YAML loader raises to platecheck's typed errors. The
    parser's own description of a syntax problem is kept after platecheck's words; its
    wording differs between libyaml versions and the pure-Python loader, the type and line
    do not."""
    if isinstance(exc, RecursionError):
        return YamlTooDeep(f"YAML nested more than {MAX_NESTING} levels deep; platecheck does "
                           "not read it", rel)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed"
        kind: type[YamlError] = (YamlBadValue if isinstance(exc, ConstructorError)
                                 else YamlSyntaxError)
        error = kind(f"invalid YAML: {problem}", rel, line)
    else:
        error = YamlSyntaxError(f"invalid YAML: {exc}", rel)
    error.problem = str(error.message).removeprefix("invalid YAML: ")
    return error


def compose_all(text: str, rel: str) -> list[Node]:
    """The node trees of every document of a stream (``None`` for empty ones), nesting
    checked first; any loader error is a typed :class:`YamlError`."""
    check_nesting(text, rel)
    try:
        return _read(text, lambda loader: list(yaml.compose_all(text, Loader=loader)))
    except (yaml.YAMLError, RecursionError) as exc:
        raise yaml_error(exc, rel) from None


def load_all_data(text: str, rel: str) -> list[Any]:
    """Every document of a stream as plain data, read as Go reads it (kubectl and Argo CD
    read helm's output so), keys as strings."""
    check_nesting(text, rel)
    try:
        return _read(text, lambda loader: list(yaml.load_all(text, Loader=loader)))
    except (yaml.YAMLError, RecursionError) as exc:
        raise yaml_error(exc, rel) from None


def _read(text: str, read: Callable[[type[Any]], list[Any]]) -> list[Any]:
    """``read`` with the loader for ``text`` (``_loader_for``); a document libyaml's composer
    refuses (an anchor defined twice, which Go's YAML accepts) is read again with the
    pure-Python loader, which reads it as Go does, and whose own error stands when it
    refuses it too."""
    loader = _loader_for(text)
    try:
        return read(loader)
    except yaml.composer.ComposerError:
        if loader is _PURE_LOADER:
            raise
        return read(_PURE_LOADER)


# A tag "!" alone (or "!<!>") where a token can start, before a space, a line break, a comma
# or the end: what may be YAML's non-specific tag.
_BARE_TAG = re.compile(r"(?<![^\s\[{,])!(?:<!>)?(?=[\s,]|\Z)")


def _loader_for(text: str) -> type[Any]:
    """The loader of the run, but the pure-Python one for a text with a scalar of the tag
    ``!``, which libyaml's composer resolves as if it had none (``PureLoader``). The text is
    parsed for it only when it has such a tag's characters (``if ! test``, in a script, has)."""
    if LOADER is _PURE_LOADER or _BARE_TAG.search(text) is None:
        return LOADER
    try:
        if any(isinstance(event, yaml.ScalarEvent) and event.tag == "!"
               for event in yaml.parse(text, Loader=LOADER)):
            return _PURE_LOADER
    except yaml.YAMLError:
        pass  # the loader of the run reports it
    return LOADER


def load_documents(text: str, rel: str, *, unique_keys: bool = False) -> list[Document]:
    """Every document of a YAML stream (empty documents included as ``None`` data). With
    ``unique_keys`` a key repeated in one mapping is an error (platecheck's own files).
    Within a run (``platecheck.runmemo``) a text is read once: discovery and a directory
    source's render share the documents of an Application file, and files of the same text
    share theirs (nothing changes them; ``rel`` names only errors, which are not kept)."""
    return list(recall("documents", (text, unique_keys),
                       lambda: _load_documents(text, rel, unique_keys)))


def _load_documents(text: str, rel: str, unique_keys: bool) -> tuple[Document, ...]:
    documents: tuple[Document, ...] = _remembered(
        ("documents", str(unique_keys), text), lambda: _read_documents(text, rel, unique_keys),
        encode=_plain_documents, decode=_documents_of)
    return documents


def _plain_documents(documents: tuple[Document, ...]) -> list[Any]:
    return [[d.data, [[list(path), line] for path, line in d.lines.items()], d.line]
            for d in documents]


def _documents_of(plain: Any) -> tuple[Document, ...]:
    return tuple(Document(data, {tuple(path): line for path, line in lines}, line)
                 for data, lines, line in plain)


def _read_documents(text: str, rel: str, unique_keys: bool) -> tuple[Document, ...]:
    documents = []
    for node in compose_all(text, rel):
        if node is None:
            continue
        lines: dict[KeyPath, int] = {}
        data = _Builder(rel, lines, unique_keys).build(node, (), 0)
        documents.append(Document(data, lines, node.start_mark.line + 1))
    return tuple(documents)


# --- documents remembered from run to run ------------------------------------------------

# the memo of the run in progress and the name its files start with, see ``remembering``
_memos: list[tuple[ResultMemo, str]] = []
_memo_lock = threading.Lock()  # renders in threads read YAML too
# what decides the documents of a text besides the text: the reader's code and PyYAML
_CODE = ("yamlio.py",)
_SHARDS = "0123456789abcdef"  # one file per first hex digit of the key


@contextlib.contextmanager
def remembering(directory: Path | None) -> Iterator[None]:
    """Within the block, the documents of every YAML text read are remembered under
    ``directory`` (None: nothing is), by a digest of the text, as JSON when JSON gives them
    back exactly (plain data, string keys, key paths of strings and integers): a later run
    reads the JSON of a text it has read before instead of its YAML. Sixteen files hold
    them, each read once per run; each keeps what the run read and as many older entries
    again. What fails to parse is read, and reported, every time."""
    code = code_digest(_CODE, ("PyYAML",))
    if directory is None or code is None:
        yield
        return
    digest = Digest("documents")
    digest.extend((code, LOADER.__name__))
    entry = (ResultMemo(directory, limit=None, hold=False), digest.hexdigest())
    _memos.append(entry)
    try:
        yield
    finally:
        _memos.remove(entry)
        entry[0].save()


def _get(key: str) -> Any:
    with _memo_lock:
        if not _memos:
            return None
        memo, name = _memos[-1]
        return memo.get(f"{name}-{key[0]}", key)


def _put(key: str, value: Any) -> None:
    """Keep ``value`` as its JSON text, when JSON gives it back exactly: each run then gets
    objects of its own."""
    exact = json_copy(value)
    if exact is None:
        return
    with _memo_lock:
        if _memos:
            memo, name = _memos[-1]
            memo.put(f"{name}-{key[0]}", key, exact[0])


def remembered_result(parts: Sequence[str | bytes], compute: Callable[[], Any]) -> Any:
    """``compute()``, a JSON value computed from a YAML file (``parts``: what decides it, the
    file's bytes and the computing code among them), remembered from run to run beside the
    documents when JSON gives it back exactly: a check of every YAML file of a repository
    reads only the files that changed."""
    return _remembered(parts, compute, encode=lambda value: value, decode=lambda value: value)


def _remembered(parts: Sequence[str | bytes], compute: Callable[[], Any], *,
                encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> Any:
    """``compute()``, kept by a digest of ``parts`` as the JSON of ``encode(value)`` and
    given back as ``decode`` of it; what this code did not write is computed again."""
    if not _memos:
        return compute()
    digest = Digest("remembered")
    digest.extend(parts)
    key = digest.hexdigest()
    kept = _get(key)
    if isinstance(kept, str):
        try:
            return decode(json.loads(kept))
        except (TypeError, ValueError):
            pass  # not what this code writes: computed again
    value = compute()
    _put(key, encode(value))
    return value


def read_remembered() -> None:
    """Read the remembered documents and results now (the engine does, before the policies
    run: policies read no file)."""
    with _memo_lock:
        if _memos:
            memo, name = _memos[-1]
            for shard in _SHARDS:
                memo.load(f"{name}-{shard}")


def load_document(text: str, rel: str, *, unique_keys: bool = False) -> Document:
    """A stream expected to hold at most one document; an empty stream is ``None`` data."""
    documents = load_documents(text, rel, unique_keys=unique_keys)
    if len(documents) > 1:
        raise PlatecheckError("expected one YAML document, found several", rel, documents[1].line)
    return documents[0] if documents else Document(None, {}, 1)


def load_values(path: Path, rel: str, helm_major: Callable[[], int] | None = None
                ) -> tuple[ValuesFile, bytes]:
    """A Helm values file (a mapping, or empty) with its raw bytes. A file of several
    documents is read as the helm that renders it reads it (``helm_major``, asked only
    then): Helm 3 reads the first document (``yaml.Unmarshal``), Helm 4 merges them all in
    order (``loader.LoadValues``, maps merged, anything else replaced). Without
    ``helm_major``, such a file is refused; the others mean the same to both."""
    raw, text = read_text(path, rel)
    check_count(text, rel)
    return values_from_document(values_document(text, rel, helm_major), path, rel), raw


def values_document(text: str, rel: str, helm_major: Callable[[], int] | None = None
                    ) -> Document:
    """The one document helm reads values from (see ``load_values``)."""
    documents = load_documents(text, rel)
    extra = [later for later in documents[1:] if later.data not in (None, {})]
    if extra and helm_major is None:
        raise PlatecheckError("a values file of several YAML documents is read differently by "
                              "Helm 3 (the first only) and Helm 4 (all merged); platecheck "
                              "does not check it: keep one document", rel, extra[0].line)
    if extra and helm_major is not None and helm_major() >= 4:
        return _merged(documents, rel)
    return documents[0] if documents else Document(None, {}, 1)


def _merged(documents: Sequence[Document], rel: str) -> Document:
    """Helm 4's values of several documents: each merged over the ones before it (a map
    into a map key by key, any other value replacing), each key at the line of the last
    document that wrote it (a line left from a replaced value names a key that is gone)."""
    data: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
    for document in documents:
        if document.data is None:
            continue
        values_from_document(document, Path(rel), rel)  # each must be a mapping
        _merge_maps(data, document.data)
        lines.update(document.lines)
    return Document(data, lines, documents[0].line)


def _merge_maps(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge_maps(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def check_count(text: str, rel: str) -> None:
    """Refuse a values file with more than ``_MAX_NODES`` keys and items before composing it
    (composing 31 MiB of small keys takes minutes and gigabytes). Every node but the first
    needs a ``:``, ``,``, ``-`` or ``?`` in the text, so most files are not scanned; the scan
    stops at the limit."""
    if sum(text.count(mark) for mark in ":,-?") < _MAX_NODES:
        return
    nodes = 0
    try:
        for event in yaml.parse(text, Loader=LOADER):
            if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, *_OPEN)):
                nodes += 1
                if nodes > _MAX_NODES:
                    mark = event.start_mark
                    raise YamlTooComplex(f"more than {_MAX_NODES} keys and items; platecheck "
                                         "does not read values this large", rel,
                                         mark.line + 1 if mark is not None else None)
    except yaml.YAMLError:
        return  # composing reports it, with its line


def values_from_document(document: Document, path: Path, rel: str) -> ValuesFile:
    data = document.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PlatecheckError(
            f"values must be a mapping, found {type_name(data)}", rel, document.line
        )
    return ValuesFile(path=path, rel=rel, data=data, lines=document.lines)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


class _Builder:
    def __init__(self, rel: str, lines: dict[KeyPath, int], unique_keys: bool = False) -> None:
        self.rel = rel
        self.lines = lines
        self.unique_keys = unique_keys
        self.open: set[int] = set()  # nodes being built: meeting one again is a recursive alias
        self.count = 0

    def build(self, node: Node, path: KeyPath, depth: int) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise YamlTooComplex("YAML expands to too many nodes (aliases?)", self.rel,
                                 node.start_mark.line + 1)
        if id(node) in self.open:
            raise YamlTooComplex("YAML alias refers to a collection that contains it", self.rel,
                                 node.start_mark.line + 1)
        if depth > MAX_NESTING:  # only aliases can nest deeper than the text does
            raise YamlTooDeep(f"YAML nested more than {MAX_NESTING} levels deep once its "
                              "aliases are expanded; platecheck does not read it", self.rel,
                              node.start_mark.line + 1)
        if not isinstance(node, (MappingNode, SequenceNode)):
            return self._scalar(node)
        self.open.add(id(node))
        try:
            return self._collection(node, path, depth)
        finally:
            self.open.discard(id(node))

    def _collection(self, node: Node, path: KeyPath, depth: int) -> Any:
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key, value_node, key_line in self._pairs(node, depth):
                child = (*path, key)
                self.lines[child] = key_line
                result[key] = self.build(value_node, child, depth + 1)
            return result
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines[child] = item.start_mark.line + 1
                items.append(self.build(item, child, depth + 1))
            return items
        return self._scalar(node)  # pragma: no cover - build() passes collections only

    def _pairs(self, node: MappingNode, depth: int) -> Iterator[tuple[str, Node, int]]:
        """Key/value pairs of a mapping; ``<<`` merge keys contribute the keys the mapping
        does not set itself (YAML 1.1 merge)."""
        own: list[tuple[str, Node, int]] = []
        merged: list[tuple[str, Node, int]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG and key_node.value == "<<":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise YamlSyntaxError("merge key '<<' needs a mapping", self.rel,
                                              key_node.start_mark.line + 1)
                    merged.extend(self._pairs(source, depth + 1))
                continue
            if not isinstance(key_node, ScalarNode):
                raise YamlSyntaxError("mapping keys must be scalars", self.rel,
                                      key_node.start_mark.line + 1)
            own.append((self._key(key_node), value_node, key_node.start_mark.line + 1))
        seen: set[str] = set()
        for key, _, line in own:
            if key in seen and self.unique_keys:
                first = next(number for name, _, number in own if name == key)
                raise YamlDuplicateKey(f"duplicate key {key!r} (first at line {first})", self.rel,
                                       line)
            seen.add(key)
        for key, value_node, line in merged:
            if key not in seen:
                seen.add(key)
                own.append((key, value_node, line))
        return iter(own)

    def _key(self, node: ScalarNode) -> str:
        key = self._scalar(node)
        if key is None:  # sigs.k8s.io/yaml: "unsupported map key of type: <nil>"
            raise YamlError(NULL_KEY, self.rel, node.start_mark.line + 1)
        value = go_key(key)
        return value if isinstance(value, str) else str(node.value)

    def _scalar(self, node: Node) -> Any:
        try:
            return _go_scalar(node)
        except ConstructorError as exc:
            error = yaml_error(exc, self.rel)
            error.line = error.line or node.start_mark.line + 1
            raise error from None
