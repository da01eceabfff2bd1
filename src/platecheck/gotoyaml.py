"""Argo CD's ``toYaml`` (argo-cd ``applicationset/utils/template_functions.go``):
sigs.k8s.io/yaml ``Marshal`` of a value, its last newline trimmed. ``Marshal`` writes the value
as JSON, reads the JSON back with go-yaml v2 (numbers typed by ``resolve.go``) and writes that
with go-yaml v2's emitter (``encode.go``, ``emitterc.go``, ``sorter.go``): keys in the sorter's
order (runs of digits compared as numbers), two spaces of indentation, a list not indented under
its key, a text plain unless it would read as another type (``"yes"``, ``"1"``, ``""``) or holds
a YAML indicator (``'a: b'``), a text of several lines a literal block (``|-``), empty maps and
lists ``{}`` and ``[]``.

What go-yaml might write otherwise than here is ``Unsupported``: a text beyond printable ASCII
and the newline (go-yaml's quoting of other characters, its sorter's letters), a text starting
like a date (go-yaml's timestamps), a key of several lines or over 120 characters (a complex
``?`` key), a digit run of a key over 18 digits (the sorter's int64), a line of a quoted or
plain text beyond 80 columns that has a space (go-yaml v2 folds such lines at 80 columns, unless
the program called ``FutureLineWrap``), keys the sorter does not order strictly.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from collections.abc import Mapping
from typing import Any

from platecheck.gofmt import MISSING, Unsupported, go_g

_WIDTH = 80
_NON_TEXT = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N",
             "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null",
             "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
             "+.INF", "-.inf", "-.Inf", "-.INF"}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_FLOAT = re.compile(r"[-+]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|inf|infinity|nan)",
                       re.IGNORECASE)
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_INDICATOR_FIRST = "#,[]{}&*!|>'\"%@`"


def to_yaml(value: Any) -> str:
    """Argo CD's ``toYaml`` of a Go value (``gofmt``'s model)."""
    normal = _normalized(value)
    if isinstance(normal, (Mapping, list)) and normal:
        return "\n".join(_block(normal, 0))
    if isinstance(normal, str) and _is_plain(normal):  # (at column 0, folded at 2)
        return "\n".join(_folded("", normal, 2))
    lines = _value_lines(normal, "", 0)
    return "\n".join([lines[0][1:]] + lines[1:])


def _normalized(value: Any) -> Any:
    """The value as go-yaml reads back its JSON: a number as the text go-yaml writes."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not -(2 ** 63) <= value < 2 ** 63:
            raise Unsupported("toYaml of an integer beyond Go's int")
        return _Number(str(value))
    if isinstance(value, float):
        return _Number(_float_text(value))
    if isinstance(value, Mapping):
        return {key: _normalized(value[key]) for key in value}
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    raise Unsupported(f"toYaml of {value!r}")


class _Number(str):
    """A number as go-yaml writes it (a plain scalar)."""


def _float_text(number: float) -> str:
    """A float64 through JSON (fixed below 1e21) and go-yaml's ``resolve``: an integer of 64
    bits is an int (``-0`` is ``0``), any other number a float64 written as strconv's ``%g``."""
    if math.isnan(number) or math.isinf(number):
        raise Unsupported("toYaml of an infinite number")  # (json.Marshal fails)
    if number.is_integer() and abs(number) < 1e21:
        whole = int(decimal.Decimal(repr(number)))  # (JSON's shortest digits, zeros after)
        if -(2 ** 63) <= whole < 2 ** 64:
            return str(whole)
    return go_g(number)


def _is_text(text: str) -> bool:
    """Whether go-yaml's ``resolve`` reads ``text`` as a plain scalar as a string (and it is no
    base 60 float, which ``stringv`` quotes too)."""
    if text in _NON_TEXT or _BASE60.fullmatch(text):
        return False
    if text[0] == ".":
        return not _GO_FLOAT.fullmatch(text) or not math.isfinite(float(text))
    if text[0] not in "+-0123456789":
        return True
    if re.match(r"[0-9]{4}-", text):
        raise Unsupported("toYaml of a text that may read as a timestamp")
    plain = text.replace("_", "")
    if _GO_INT.fullmatch(plain):
        number = _go_int(plain)
        if -(2 ** 63) <= number < 2 ** 63 or (0 <= number < 2 ** 64 and plain[0] != "+"):
            return False
    if _YAML_FLOAT.fullmatch(plain) and math.isfinite(float(plain)):
        return False
    binary = re.fullmatch(r"0b([-+]?)([01]+)", plain)  # (resolve reads 0b's digits signed)
    if binary:
        number = int(binary[2], 2) * (-1 if binary[1] == "-" else 1)
        return not (-(2 ** 63) <= number < 2 ** 63 or (not binary[1] and number < 2 ** 64))
    return True


def _go_int(plain: str) -> int:
    """strconv ``ParseInt(plain, 0, 64)``'s number, unbounded."""
    sign = -1 if plain[0] == "-" else 1
    digits = plain.lstrip("+-")
    if digits[:2].lower() in ("0x", "0b", "0o"):
        return sign * int(digits[2:], {"x": 16, "b": 2, "o": 8}[digits[1].lower()])
    if digits.startswith("0") and len(digits) > 1:
        return sign * int(digits[1:], 8)
    return sign * int(digits)


def _checked_text(text: str) -> None:
    if any(not (" " <= char <= "~" or char == "\n") for char in text):
        raise Unsupported("toYaml of a text beyond printable ASCII")


def _plain_allowed(text: str) -> bool:
    """go-yaml's ``analyze_scalar``: a text of one line written plain in a block."""
    if text.startswith((" ", "---", "...")) or text.endswith(" ") or ": " in text \
            or text.endswith(":") or " #" in text or text[0] in _INDICATOR_FIRST:
        return False
    return not (text[0] in "?:-" and (len(text) == 1 or text[1] == " "))


def _double_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _scalar(text: str) -> str:
    """A one-line text as go-yaml writes it (``stringv``, ``select_scalar_style``)."""
    if text == "" or not _is_text(text) or "\n" in text:
        return _double_quoted(text)
    if not _plain_allowed(text):
        return "'" + text.replace("'", "''") + "'"
    return text


def _literal_allowed(text: str) -> bool:
    return not text.endswith(" ") and " \n" not in text


def _literal(text: str, head: str, indent: int) -> list[str]:
    """go-yaml's literal block: an indentation hint after a leading space or newline, ``-``
    without a final newline, ``+`` with more than one."""
    hint = "2" if text[0] in " \n" else ""
    chomp = "-" if not text.endswith("\n") else (
        "+" if text == "\n" or text.endswith("\n\n") else "")
    parts = text.split("\n")
    if text.endswith("\n"):
        parts.pop()
    pad = " " * (indent + 2)
    return [f"{head} |{hint}{chomp}"] + [pad + part if part else "" for part in parts]


def _value_lines(value: Any, head: str, indent: int) -> list[str]:
    """The lines of a value after ``head`` (a key and its colon, or a dash, at ``indent``)."""
    if isinstance(value, Mapping) and value or isinstance(value, list) and value:
        if head.endswith("-"):
            lines = _block(value, indent + 2)
            return [head + " " + lines[0][indent + 2:]] + lines[1:]
        return [head] + _block(value, indent + 2 if isinstance(value, Mapping) else indent)
    if isinstance(value, (Mapping, list)):
        return [head + (" {}" if isinstance(value, Mapping) else " []")]
    if value is None or isinstance(value, bool):
        return [head + {None: " null", True: " true", False: " false"}[value]]
    if isinstance(value, _Number):
        return [f"{head} {value}"]
    _checked_text(value)
    if "\n" in value and _literal_allowed(value):
        return _literal(value, head, indent)
    written = _scalar(value)
    if " " in value and len(head) + 1 + len(written) > _WIDTH:
        if written is not value:  # (a quoted text folds otherwise)
            raise Unsupported("toYaml of a quoted text go-yaml may fold at 80 columns")
        return _folded(head + " ", value, indent + 2)
    return [f"{head} {written}"]


def _is_plain(text: str) -> bool:
    """Whether go-yaml writes ``text`` plain (one line of printable ASCII)."""
    _checked_text(text)
    return "\n" not in text and _scalar(text) is text


def _folded(start: str, text: str, indent: int) -> list[str]:
    """A plain text as go-yaml writes it after ``start`` on its line
    (``write_plain_scalar``): a space met past column 80, after no other space and before
    none, starts a new line at ``indent`` instead."""
    lines, line, spaces = [], start, False
    for index, char in enumerate(text):
        if char == " " and not spaces and len(line) > _WIDTH \
                and text[index + 1:index + 2] != " ":
            lines.append(line)
            line = " " * indent
        else:
            line += char
        spaces = char == " "
    return [*lines, line]


def _block(value: Any, indent: int) -> list[str]:
    """A map or list of block style at ``indent``."""
    lines: list[str] = []
    pad = " " * indent
    if isinstance(value, list):
        for item in value:
            lines += _value_lines(item, pad + "-", indent)
        return lines
    for key in _sorted_keys(value):
        lines += _value_lines(value[key], pad + _key(key) + ":", indent)
    return lines


def _key(key: str) -> str:
    _checked_text(key)
    if "\n" in key or len(key) > 120:
        raise Unsupported("toYaml of a key go-yaml writes as a complex key")
    return _scalar(key)


def _sorted_keys(mapping: Mapping[str, Any]) -> list[str]:
    """go-yaml's ``keyList`` order of text keys, when it orders them strictly (its ``Less`` is
    no order of all texts, so Go's sort could otherwise order them otherwise)."""
    if any(len(run) > 18 for key in mapping for run in re.findall("[0-9]+", key)):
        raise Unsupported("toYaml of a key with a digit run beyond int64")
    def compare(first: str, second: str) -> int:
        return -1 if _key_less(first, second) else (1 if _key_less(second, first) else 0)

    keys = sorted(mapping, key=functools.cmp_to_key(compare))
    for index, first in enumerate(keys):
        for second in keys[index + 1:]:
            if not _key_less(first, second) or _key_less(second, first):
                raise Unsupported("toYaml of keys go-yaml's sorter does not order strictly")
    return keys


def _key_less(first: str, second: str) -> bool:
    """go-yaml v2 ``keyList.Less`` of two ASCII texts: letters after other characters, runs of
    digits compared as numbers."""
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a == b:
            continue
        if a.isalpha() or b.isalpha():
            return a < b if a.isalpha() and b.isalpha() else b.isalpha()
        a_number = b_number = 0
        if "0" in (a, b):
            for before in reversed(first[:index]):
                if not before.isdigit():
                    break
                if before != "0":
                    a_number = b_number = 1
                    break
        a_end, a_number = _digit_run(first, index, a_number)
        b_end, b_number = _digit_run(second, index, b_number)
        if a_number != b_number:
            return a_number < b_number
        if a_end != b_end:
            return a_end < b_end
        return a < b
    return len(first) < len(second)


def _digit_run(text: str, start: int, number: int) -> tuple[int, int]:
    end = start
    while end < len(text) and text[end].isdigit():
        number = number * 10 + int(text[end])
        end += 1
    return end, number
