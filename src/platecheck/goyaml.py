"""YAML as Go reads it: how helm, kubectl and Argo CD (sigs.k8s.io/yaml over go-yaml v2)
type plain scalars, apply tags and write mapping keys, as PyYAML resolvers, constructors and
loaders (``PURE_LOADER``, and ``C_LOADER`` over libyaml where PyYAML has it). ``yamlio``
reads every file with them.
"""

from __future__ import annotations

import binascii
import codecs
import math
import re
import struct
from collections.abc import Hashable
from typing import Any

import yaml
from yaml import SafeLoader
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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
MERGE_TAG = "tag:yaml.org,2002:merge"
_GO_WORDS = {
    **dict.fromkeys(GO_TRUE | GO_FALSE, _BOOL),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), _NULL),
    **dict.fromkeys((".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                     "-.inf", "-.Inf", "-.INF"), _FLOAT),
    "<<": MERGE_TAG,
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


def go_scalar(node: Node) -> Any:
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
    shown = _STR if found == MERGE_TAG else found  # Go resolves a "<<" value as text
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
        single = _float32(value)  # (beyond float32's range: an infinity, 1e39 too)
        return _float32_g(single) if math.isfinite(single) else (
            ".inf" if single > 0 else "-.inf")
    return value


def _float32(value: float) -> float:
    """Go's ``float32(value)``: the nearest float32, an infinity past its range."""
    try:
        single: float = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    return single


def _float32_g(single: float) -> str:
    """Go's ``strconv.FormatFloat(single, 'g', -1, 32)`` of a finite float32: the shortest
    digits that read back as the same float32, as ``%e`` when the exponent is below -4 or at
    least 6."""
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
        """The pairs of ``node`` in the order go-yaml v2 sets them (``decoder.mapping`` and
        ``decoder.merge``), each ``<<`` replaced where it stands by the pairs of its mapping
        (of a sequence of mappings, the last first, so an earlier one wins): a merge after a
        key replaces it, a key after a merge replaces what it set. PyYAML puts merged pairs
        first whatever their place, so the mapping's own keys always won."""
        pairs: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                pairs.append((key_node, value_node))
            elif key_node.value != "<<":  # Go merges at "<<" only: "!!merge a" is the key "a"
                key_node.tag = _STR
                pairs.append((key_node, value_node))
            else:
                sources = (value_node.value[::-1] if isinstance(value_node, SequenceNode)
                           else [value_node])
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise ConstructorError("while constructing a mapping", node.start_mark,
                                               "merge key '<<' needs a mapping",
                                               source.start_mark)
                    self.flatten_mapping(source)
                    pairs.extend(source.value)
        node.value = pairs


class GoDumper(_GoResolver, yaml.SafeDumper):
    """PyYAML's safe dumper quoting every string Go's YAML would read as something else
    (``"y"``, ``"0o17"``, ``"1e3"``), so that what it writes reads back the same in helm,
    kubectl, Argo CD and platecheck."""


def _construct_go(constructor: Any, node: Node) -> Any:
    """A node of any tag as Go's YAML builds it: a mapping or a sequence whatever its tag, a
    scalar as ``go_scalar`` reads it."""
    if isinstance(node, MappingNode):
        return SafeConstructor.construct_yaml_map(constructor, node)
    if isinstance(node, SequenceNode):
        return SafeConstructor.construct_yaml_seq(constructor, node)
    return go_scalar(node)


# The escapes of a double-quoted scalar: go-yaml's (scannerc.go, yaml_parser_scan_flow_scalar,
# the same in v2 and v3) have ``\'`` and lack JSON's ``\/``, which PyYAML and libyaml have.
GO_ESCAPES = {**{escaped: value for escaped, value in SafeLoader.ESCAPE_REPLACEMENTS.items()
                 if escaped != "/"}, "'": "'"}
# A ``\/`` or ``\'`` where an escape may be: text libyaml would read otherwise than Go.
GO_ONLY_ESCAPE = re.compile(r"\\[/']")
SLASH_ESCAPE = ("found unknown escape character (\\/: Go's YAML, which helm, kubectl and Argo "
                "CD read with, has no such escape; write / alone)")


class PureLoader(_GoResolver, _GoKeys, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, reading as Go's YAML reads (helm, kubectl and Argo
    CD) where PyYAML differs: an anchor defined again replaces the earlier one for the
    aliases after it (PyYAML refuses the document), a scalar of the non-specific tag ``!``
    is its text (``! 5`` is "5"; PyYAML resolves it as if it had no tag), and a double-quoted
    scalar has Go's escapes (``GO_ESCAPES``): ``\\'`` is ``'``, ``\\/`` is refused, and so is
    a code that is no Unicode character (a surrogate, or past U+10FFFF)."""

    ESCAPE_REPLACEMENTS = GO_ESCAPES  # type: ignore[misc]  # (Final in the stubs only)

    def scan_to_next_token(self) -> None:
        """Blanks, comments and line breaks up to the next token, as libyaml and Go's YAML
        skip them (``yaml_parser_scan_to_next_token``): a tab too, in a flow collection or
        where no simple key may start (after a key's ``:``, after a value, before its
        comment); PyYAML's reader skips spaces alone, refusing ``a: b<TAB># c``."""
        if self.index == 0 and self.peek() == "\ufeff":
            self.forward()
        while True:
            while self.peek() == " " or self.peek() == "\t" and (
                    self.flow_level or not self.allow_simple_key):
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if not self.scan_line_break():  # type: ignore[no-untyped-call]
                return
            if not self.flow_level:
                self.allow_simple_key = True

    def scan_plain_spaces(self, indent: int, start_mark: Any) -> list[str]:
        """The blanks inside a plain scalar: tabs among them too (``a: x<TAB>y`` is one
        scalar to libyaml and Go's YAML; PyYAML ends it at the tab)."""
        length = 0
        while self.peek(length) in " \t":
            length += 1
        if "\t" in self.prefix(length) and self.peek(length) not in "\0\r\n\x85\u2028\u2029#":
            blanks = self.prefix(length)
            self.forward(length)
            return [blanks]
        return super().scan_plain_spaces(indent, start_mark) or []

    def scan_flow_scalar_non_spaces(self, double: bool, start_mark: Any) -> list[str]:
        try:
            chunks: list[str] = super().scan_flow_scalar_non_spaces(double, start_mark)
        except ValueError:  # chr() of a code past U+10FFFF
            raise self._no_character(start_mark) from None
        except yaml.scanner.ScannerError as exc:
            if exc.problem == "found unknown escape character '/'":
                exc.problem = SLASH_ESCAPE
            raise
        # (text holds no surrogate: a one-character chunk that is one came from an escape)
        if any("\ud800" <= chunk <= "\udfff" for chunk in chunks if len(chunk) == 1):
            raise self._no_character(start_mark)
        return chunks

    def _no_character(self, start_mark: Any) -> yaml.scanner.ScannerError:
        return yaml.scanner.ScannerError("while scanning a double-quoted scalar", start_mark,
                                         "found invalid Unicode character escape code",
                                         self.get_mark())

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
        tag ``!`` is read with ``PureLoader``, see ``yamlio._loader_for``)."""

    for _tag in SafeConstructor.yaml_constructors:
        _CLoader.add_constructor(_tag, _construct_go)
    C_LOADER = _CLoader
