"""Go values as Argo CD's Go templates see them, and how Go's ``fmt`` prints them.

A JSON value is what Go's JSON decoder makes: ``dict`` a ``map[string]interface {}``, ``list``
a ``[]interface {}``, ``str``, ``float`` a ``float64``, ``bool``, None a nil ``interface {}``.
Functions make a few more: ``int`` is Go's ``int``, ``StringMap`` a ``map[string]string`` (a
git generator's ``values``), ``StringList`` a ``[]string``. ``MISSING`` is text/template's
invalid value (a missing map key's), printed ``<no value>``.

``go_print`` is ``fmt``'s ``%v`` of any of them, ``sprintf`` its ``Sprintf`` for the verbs
``%s %v %d %q %t %f %e %g`` with the flags ``-`` and ``0``, a width and a precision: any other
verb, flag or argument reference is ``Unsupported``, as is ``%q`` of a text or a character
(an integer) beyond ASCII.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any


class ExecError(Exception):
    """A template execution error: Go's message, with the node it names (``<.a.b>: ...``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unsupported(Exception):
    """What platecheck does not execute exactly as Go does: the template is not read."""


class StringMap(dict[str, str]):
    """A ``map[string]string`` (a git generator's ``values``): its values' static type is
    ``string``, where a JSON map's are ``interface {}``, which Go's errors name."""


class StringList(list[str]):
    """A ``[]string`` (``splitList``, ``toStrings``)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # text/template's invalid reflect.Value: a missing key's


def type_name(value: Any) -> str:
    """The Go type of ``value``, as reflect's ``Type.String`` writes it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, StringMap):
        return "map[string]string"
    if isinstance(value, StringList):
        return "[]string"
    names = {str: "string", float: "float64", int: "int", dict: "map[string]interface {}",
             list: "[]interface {}"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    raise Unsupported(f"a value of no Go type: {value!r}")


def go_print(value: Any) -> str:
    """``fmt.Sprint`` of one value (``%v``): a Go ``int`` as an integer, a float64 as
    strconv's shortest ``%g``, maps in the order of their keys."""
    if value is MISSING:
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_g(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_print(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_print(item) for item in value) + "]"
    raise Unsupported(f"printing {value!r}")


def go_v(value: Any) -> str:
    """A JSON value (its numbers float64) as Go's ``fmt.Sprintf("%v")`` writes it: a map as
    ``map[k:v]`` in the order of its keys, a list as ``[a b]``, null ``<nil>``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return go_g(float(value))
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_v(value[k])}" for k in sorted(value)) + "]"
    return "[" + " ".join(go_v(item) for item in value) + "]"


def go_g(number: float) -> str:
    """strconv's shortest ``%g`` (``%v`` of a float64): the exponent form below 1e-4 and from
    1e6 up (``1e+06``)."""
    return _shortest_g(number, 6)


def _shortest_g(number: float, exponent_from: int) -> str:
    if math.isinf(number) or math.isnan(number):
        return "NaN" if math.isnan(number) else ("+Inf" if number > 0 else "-Inf")
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    digits, exponent = _shortest(number)
    if exponent < -4 or exponent >= exponent_from:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{'-' if number < 0 else ''}{mantissa}e{'-' if exponent < 0 else '+'}" \
               f"{abs(exponent):02d}"
    text = f"{abs(number):.{max(len(digits) - exponent - 1, 0)}f}"
    return ("-" if number < 0 else "") + text


def _shortest(number: float) -> tuple[str, int]:
    """The shortest digits that read back as ``number`` and its decimal exponent."""
    mantissa, _, exponent = f"{abs(number):.17e}".partition("e")
    for precision in range(17):
        candidate = f"{abs(number):.{precision}e}"
        if float(candidate) == abs(number):
            mantissa, _, exponent = candidate.partition("e")
            break
    return mantissa.replace(".", "").rstrip("0") or "0", int(exponent)


def json_like(value: Any) -> bool:
    """Whether ``value`` is what Go's JSON decoder makes: maps of string keys, lists,
    strings, finite numbers, booleans, null."""
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and json_like(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_like(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, bool, int))


def go_quote(text: str) -> str:
    """strconv ``Quote`` (fmt's ``%q``) of an ASCII text."""
    if not text.isascii():
        raise Unsupported("quoting a text beyond ASCII")
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
             "\v": "\\v", '"': '\\"', "\\": "\\\\"}
    return '"' + "".join(named.get(c) or (c if " " <= c <= "~" else f"\\x{ord(c):02x}")
                         for c in text) + '"'


def _quote_rune(code: int) -> str:
    """strconv ``QuoteRune`` (fmt's ``%q`` of an integer) of an ASCII code: 'A' for 65."""
    if not 0 <= code < 0x80:
        # beyond ASCII, or (below 0, beyond Unicode) a %!q(int=...) or '\ufffd' as Go's
        # version has it
        raise Unsupported("quoting a character beyond ASCII")
    char = chr(code)
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
             "\t": "\\t", "\v": "\\v", "'": "\\'", "\\": "\\\\"}
    return "'" + (named.get(char) or (char if " " <= char <= "~" else f"\\x{code:02x}")) + "'"


_VERB = re.compile(r"%([-0]*)([0-9]*)(?:\.([0-9]*))?(.?)", re.DOTALL)


def sprintf(form: str, args: list[Any]) -> str:
    """``fmt.Sprintf(form, args...)`` for the verbs and flags this module reads."""
    out: list[str] = []
    position, used = 0, 0
    while (start := form.find("%", position)) >= 0:
        out.append(form[position:start])
        match = _VERB.match(form, start)
        assert match is not None
        flags, width, precision, verb = match.groups()
        position = match.end()
        if verb == "%" and not (flags or width or precision is not None):
            out.append("%")
            continue
        if verb not in ("s", "v", "d", "q", "t", "f", "e", "g") or used >= len(args):
            raise Unsupported(f"the fmt verb {match.group(0)!r}")
        out.append(_verb(verb, args[used], flags, int(width) if width else None,
                         None if precision is None else int(precision or "0")))
        used += 1
    out.append(form[position:])
    if used != len(args):
        raise Unsupported("fmt arguments no verb prints (%!(EXTRA ...))")
    return "".join(out)


def _verb(verb: str, value: Any, flags: str, width: int | None, precision: int | None
          ) -> str:
    """One verb's text of ``value``, padded."""
    if value is MISSING or value is None:
        value = None
    kind = _kind(value)
    fits = {"s": ("string",), "q": ("string", "int"),
            "v": ("string", "int", "float", "bool", "other", "nil"),
            "d": ("int",), "t": ("bool",), "f": ("float",), "e": ("float",), "g": ("float",)}
    if kind not in fits[verb]:
        if flags or width is not None or precision is not None:
            raise Unsupported("a width or flag on a mismatched fmt verb")
        if value is None:
            return f"%!{verb}(<nil>)"
        if kind == "other":
            raise Unsupported("a mismatched fmt verb of a map or list")
        return f"%!{verb}({type_name(value)}={go_print(value)})"
    if kind in ("other", "nil") or (verb == "v" and precision is not None):
        if flags or width is not None or precision is not None:
            raise Unsupported("a width or precision of %v of a map, list or nil")
        return go_print(value)
    return _pad(_body(verb, kind, value, precision), flags, width, kind in ("int", "float"))


def _kind(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "other"


def _body(verb: str, kind: str, value: Any, precision: int | None) -> str:
    if kind == "string":
        text = value if precision is None or verb == "q" else value[:precision]
        if verb == "q":
            if precision is not None:
                raise Unsupported("%q with a precision")
            return go_quote(text)
        return str(text)
    if kind == "bool" or kind == "int":
        if precision is not None:
            raise Unsupported("a precision of an integer or boolean")
        return _quote_rune(value) if verb == "q" else go_print(value)
    if not math.isfinite(value):
        raise Unsupported("formatting an infinite number")
    if verb == "v" or (verb == "g" and precision is None):
        return go_g(value)
    if verb == "g":
        text = f"{value:.{precision}g}"
        return text if precision else f"{value:.1g}"
    return f"{value:.{6 if precision is None else precision}{verb}}"


def _pad(text: str, flags: str, width: int | None, numeric: bool) -> str:
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text + " " * (width - len(text))
    if "0" in flags:
        # fmt's writePadding pads with zeros whatever the verb: 00abc for %05s of "abc"; a
        # number's sign stays before them.
        sign = text[0] if numeric and text[0] in "+-" else ""
        return sign + text[len(sign):].rjust(width - len(sign), "0")
    return text.rjust(width)
