"""The functions of Argo CD's Go templates that platecheck executes (argo-cd
``applicationset/utils/utils.go``: sprig's ``GenericFuncMap`` and Argo CD's own), each as its Go
code does (Masterminds/sprig v3 ``defaults.go``, ``dict.go``, ``strings.go``, ``list.go``,
``regex.go``, ``functions.go``; Argo CD ``template_functions.go``, its ``toYaml`` in
``gotoyaml``), with its Go parameter types, which text/template checks its arguments against
(``gotemplate``).

What Go does otherwise than Python for a value is ``Unsupported`` (the template is not read):
case mapping, trimming and slicing of a text beyond ASCII, a regular expression that Go's RE2
refuses or Python's ``re`` may read otherwise (``_python_regex``). A Go panic or error of a
function is ``CallError``, Go's message.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from platecheck.gofmt import (
    MISSING,
    StringList,
    StringMap,
    Unsupported,
    go_g,
    go_print,
    go_quote,
    type_name,
)
from platecheck.gotoyaml import to_yaml


class CallError(Exception):
    """A function's error or panic, as Go reports it (``error calling NAME: message``)."""


@dataclass(frozen=True)
class GoFunc:
    """A function and its Go parameter types (``string``, ``int``, ``bool``, ``map`` for
    ``map[string]interface {}``, ``any`` for ``interface {}``, ``value`` for a builtin's
    ``reflect.Value``), the last one's repeated when ``variadic``."""

    params: tuple[str, ...]
    call: Callable[..., Any]
    variadic: bool = False


def _ascii(*texts: str) -> None:
    if not all(text.isascii() for text in texts):
        raise Unsupported("a text beyond ASCII")


def _asserted(value: Any, kind: type, name: str) -> Any:
    """Go's type assertion ``value.(T)`` of an ``interface {}``: its panic when it fails."""
    if isinstance(value, kind) and not isinstance(value, (StringMap, bool)) or (
            kind is bool and isinstance(value, bool)):
        return value
    held = "nil" if value is None else type_name(value)
    raise CallError(f"interface conversion: interface {{}} is {held}, not {name}")


def empty(value: Any) -> bool:
    """sprig ``empty``: no value, nil, a zero number, false, an empty text, list or map."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    if isinstance(value, bool):
        return not value
    return bool(value == 0)


def strval(value: Any) -> str:
    """sprig ``strval`` (``toString``): a text as it is, anything else as ``%v``."""
    return value if isinstance(value, str) else go_print(value)


def _strslice(value: Any) -> list[str]:
    if isinstance(value, StringList):
        return list(value)
    if isinstance(value, list):
        return [strval(item) for item in value if item is not None]
    return [] if value is None else [strval(value)]


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise CallError("dig needs at least three arguments")
    current = _asserted(args[-1], dict, "map[string]interface {}")
    keys = [_asserted(key, str, "string") for key in args[:-2]]
    for index, key in enumerate(keys):
        if key not in current:
            return args[-2]
        if index == len(keys) - 1:
            return current[key]
        current = _asserted(current[key], dict, "map[string]interface {}")
    raise AssertionError


def _dict(*args: Any) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for index in range(0, len(args), 2):
        made[strval(args[index])] = args[index + 1] if index + 1 < len(args) else ""
    return made


def _trunc(count: int, text: str) -> str:
    _ascii(text)
    if count < 0 and len(text) + count > 0:
        return text[len(text) + count:]
    if count >= 0 and len(text) > count:
        return text[:count]
    return text


def _split(separator: str, text: str) -> list[str]:
    """Go's ``strings.Split`` (an empty separator: each character)."""
    return list(text) if separator == "" else text.split(separator)


def _indent(spaces: int, text: str) -> str:
    if spaces < 0:
        raise CallError("strings: negative Repeat count")
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
            "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _case(convert: Callable[[str], str]) -> Callable[[str], str]:
    def mapped(text: str) -> str:
        _ascii(text)
        return convert(text)
    return mapped


def _to_int(value: Any) -> int:
    """sprig ``toInt`` (spf13/cast ``ToInt``, its error ignored): a number truncated, a bool 1
    or 0, nil 0, a text of decimal digits its number. A text otherwise is read otherwise by
    the cast versions Argo CD has used (``1.0``, ``0x10``, ``010``): not read here."""
    if value is None or value is MISSING:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        if abs(value) >= 2 ** 63:
            raise Unsupported("a number beyond int64 made an int")
        return int(value)
    if isinstance(value, str):
        if value == "" or re.fullmatch(r"0|[1-9][0-9]{0,17}", value):
            return int(value or "0")
        raise Unsupported("a text made an int by spf13/cast")
    return 0  # (a map or a list: cast's error, ignored)


def _slice(items: Any, *indices: Any) -> Any:
    """sprig ``slice`` (``mustSlice``), which replaces text/template's builtin of that name in
    Argo CD's functions: a list (not a text) from its first index to its second, each made an
    int by ``toInt``; an empty list gives nil. Go checks the end against the list's capacity,
    which JSON's decoder leaves beyond its length by an amount not known here."""
    if items is None or items is MISSING:
        raise CallError("runtime error: invalid memory address or nil pointer dereference")
    if not isinstance(items, list):
        kind = "map" if isinstance(items, dict) else type_name(items)
        raise CallError(f"list should be type of slice or array but {kind}")
    if not items:
        return None
    start = _to_int(indices[0]) if indices else 0
    end = _to_int(indices[1]) if len(indices) > 1 else len(items)
    if start < 0 or end < start:
        raise CallError("reflect.Value.Slice: slice index out of bounds")
    if end > len(items):
        raise Unsupported("a slice end beyond the length of a list")
    part = items[start:end]
    return StringList(part) if isinstance(items, StringList) else part


def _atoi(text: str) -> int:
    """strconv ``Atoi`` with its error ignored (sprig): 0 for what is no number, and for a
    number beyond int64 the bound it passes, as ``ParseInt`` returns it with its range error.
    ``ParseUint`` reports the range error at the digit that overflows a uint64, before a
    character that is no digit after it."""
    negative = text.startswith("-")
    body = text[1:] if text[:1] in ("+", "-") else text
    digits = re.match(r"[0-9]*", body)
    assert digits is not None
    if not (digits.group() and (digits.end() == len(body) or int(digits.group()) >= 2 ** 64)):
        return 0
    value = -int(digits.group()) if negative else int(digits.group())
    return max(-(2 ** 63), min(value, 2 ** 63 - 1))


def go_clean(path: str) -> str:
    """Go's ``path.Clean``."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = ("/" if rooted else "") + "/".join(parts)
    return cleaned or ("/" if rooted else ".")


def _base(path: str) -> str:
    if path == "":
        return "."
    path = path.rstrip("/")
    return "/" if path == "" else path[path.rfind("/") + 1:]


def _dir(path: str) -> str:
    return go_clean(path[:path.rfind("/") + 1])


def sanitize_name(name: str) -> str:
    """Argo CD's ``SanitizeName`` (``applicationset/utils``): a git generator's
    ``basenameNormalized``, and ``normalize`` of a text of ASCII."""
    return re.sub(r"[^-a-z0-9.]", "-", name.lower())[:253].strip("-.")


def _normalize(name: str) -> str:
    _ascii(name)
    return sanitize_name(name)


def _python_regex(pattern: str) -> re.Pattern[str]:
    """Go's RE2 ``pattern`` as Python's ``re`` reads it the same way (ASCII classes, ``$`` the
    end of the text, ``\\s`` without the vertical tab); ``Unsupported`` for syntax either
    reads otherwise or either refuses (Go's MustCompile panics, its MatchString is false)."""
    if re.search(r"\(\?(?!:)|\\[0-9pPQEzCXG]|\[:|\{,|\[\[|&&|--|~~|\|\|", pattern) or \
            not pattern.isascii() or not _go_compiles(pattern):
        raise Unsupported(f"the regular expression {pattern!r}")
    translated: list[str] = []
    escaped = False
    in_class = -1  # where the class the character is in starts its members
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
            if char.isalnum() and char not in _ESCAPES or in_class >= 0 and (
                    char in "bS" or char == "s" and pattern[index + 1:index + 2] == "-"):
                raise Unsupported(f"the regular expression {pattern!r}")
            if char in "sS":  # RE2's \s is [\t\n\f\r ], Python's has \v too
                translated[-1] = _GO_S[char][1 if in_class >= 0 else 0]
                continue
        elif char == "\\":
            escaped = True
        elif char == "[" and in_class < 0:
            in_class = index + (2 if pattern[index + 1:index + 2] == "^" else 1)
        elif char == "]" and in_class >= 0 and index > in_class:  # (first, it is a member)
            in_class = -1
        elif char == "$" and in_class < 0:
            translated.append(r"\Z")
            continue
        translated.append(char)
    try:
        compiled = re.compile("".join(translated), re.ASCII)
    except re.error:
        raise Unsupported(f"the regular expression {pattern!r}") from None
    if _empty_iteration_capture(compiled):
        raise Unsupported(f"the regular expression {pattern!r}")
    return compiled


# the escapes of letters both read alike (Python's \Z, \u, \N, \U are no RE2)
_ESCAPES = "afnrtvxAbBdDsSwW"
_GO_S = {"s": ("[\\t\\n\\f\\r ]", "\\t\\n\\f\\r "), "S": ("[^\\t\\n\\f\\r ]", "")}


def _go_compiles(pattern: str) -> bool:
    """Whether RE2, whose syntax Go's regexp shares, reads ``pattern`` (a repeat count
    beyond 1000, a possessive ``a++``, ``[\\b]``: Python reads them, Go does not)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error:
        return False
    return True


def _empty_iteration_capture(compiled: re.Pattern[str]) -> bool:
    """Whether a repetition (more than once) that can match empty holds a capture group: RE2
    keeps the last iteration that matched text ((a?)+ over aa: a), Python the empty last one."""
    from re import _parser  # type: ignore[attr-defined]

    def walk(items: Any, repeated: bool) -> bool:
        for op, arg in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                # (an optional group, at most once, has no later iteration to keep)
                if walk(arg[2], arg[1] != 1 and arg[2].getwidth()[0] == 0 or repeated):
                    return True
            elif name == "SUBPATTERN":
                if (arg[0] is not None and repeated) or walk(arg[3], repeated):
                    return True
            elif name == "BRANCH":
                if any(walk(branch, repeated) for branch in arg[1]):
                    return True
            elif name in ("ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
                if walk(arg[-1], repeated):
                    return True
        return False

    return walk(_parser.parse(compiled.pattern, compiled.flags), False)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return _python_regex(pattern)


def _expand(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.Expand`` of ``$1``, ``${1}``, ``$name``, ``$$``: a name is the longest run
    of letters, digits and underscores (``$1x`` names the group ``1x``), a number only without
    a leading zero (``$01`` is a name)."""
    out, position = [], 0
    while (dollar := template.find("$", position)) >= 0:
        out.append(template[position:dollar])
        position = dollar + 1
        if template.startswith("$$", dollar):
            out.append("$")
            position += 1
            continue
        brace = template.startswith("{", position)
        end = position + brace
        while end < len(template) and (template[end].isalpha() or template[end].isdecimal()
                                       or template[end] == "_"):
            end += 1
        name = template[position + brace:end]
        if not name or brace and not template.startswith("}", end):
            out.append("$")  # malformed: the $ is text
            continue
        position = end + brace
        if name.isascii() and name.isdigit() and (name == "0" or not name.startswith("0")):
            number = int(name)
            out.append(match.group(number) or "" if number <= match.re.groups else "")
        else:
            out.append((match.group(name) or "") if name in match.re.groupindex else "")
    out.append(template[position:])
    return "".join(out)


def _regex_replace_all(pattern: str, text: str, replacement: str) -> str:
    """Go's ``ReplaceAllString``: an empty match right after a match is not replaced."""
    regex, out = _compiled(pattern), []
    search, last = 0, 0
    while search <= len(text) and (match := regex.search(text, search)) is not None:
        start, end = match.span()
        out.append(text[last:start])
        if end > last or start == 0:
            out.append(_expand(replacement, match))
        last = end
        search = search + 1 if search + 1 > end else end
    out.append(text[last:])
    return "".join(out)


def to_json(value: Any) -> str:
    """Go's ``json.Marshal`` of a value (keys sorted, ``<``, ``>``, ``&`` escaped)."""
    if value is None or value is MISSING:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_json_string(k)}:{to_json(value[k])}" for k in sorted(value)) \
            + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    raise Unsupported(f"toJson of {value!r}")


def _json_float(number: float) -> str:
    if number != number or number in (float("inf"), float("-inf")):
        raise Unsupported("toJson of an infinite number")  # (Go's Marshal fails: "")
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = go_g(number)
        return re.sub(r"e-0([0-9])$", r"e-\1", text)
    return _json_fixed(number)


def _json_fixed(number: float) -> str:
    """strconv ``FormatFloat(number, 'f', -1, 64)``."""
    text = go_g(number)
    if "e" not in text:
        return text
    digits, exponent = text.split("e")
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-").replace(".", "")
    point = int(exponent) + 1
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _json_string(text: str) -> str:
    named = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for char in text:
        if char in named:
            out.append(named[char])
        elif char < " " or char in "<>&\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            raise Unsupported("toJson of a lone surrogate")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _quote(*values: Any) -> str:
    return " ".join(go_quote(strval(v)) for v in values if v is not None)


def _squote(*values: Any) -> str:
    return " ".join(f"'{go_print(v)}'" for v in values if v is not None)


def _default(fallback: Any, *given: Any) -> Any:
    return fallback if not given or empty(given[0]) else given[0]


def _coalesce(*values: Any) -> Any:
    return next((value for value in values if not empty(value)), None)


def _trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def _has_key(mapping: Mapping[str, Any], key: str) -> bool:
    return key in mapping


def _has(needle: Any, haystack: Any) -> bool:
    """sprig ``has`` (``mustHas``): whether an item of the list ``haystack`` is
    ``reflect.DeepEqual`` to ``needle`` (of one Go type: ``1`` is no ``1.0``); false for nil,
    a panic for what is no list."""
    if needle is MISSING or haystack is MISSING:
        raise Unsupported("has of no value")
    if haystack is None:
        return False
    if not isinstance(haystack, list):
        kind = "map" if isinstance(haystack, Mapping) else type_name(haystack)
        raise CallError(f"Cannot find has on type {kind}")
    return any(_deep_equal(needle, item) for item in haystack)


def _deep_equal(first: Any, second: Any) -> bool:
    """``reflect.DeepEqual`` of two values held as ``interface {}``: of one Go type, and
    equal item by item."""
    if first is None or second is None:
        return first is second
    if type_name(first) != type_name(second):
        return False
    if isinstance(first, Mapping):
        return first.keys() == second.keys() and all(
            _deep_equal(first[key], second[key]) for key in first)
    if isinstance(first, list):
        return len(first) == len(second) and all(
            _deep_equal(a, b) for a, b in zip(first, second, strict=True))
    return bool(first == second)


SPRIG: dict[str, GoFunc] = {
    "default": GoFunc(("any", "any"), _default, variadic=True),
    "empty": GoFunc(("any",), empty),
    "coalesce": GoFunc(("any",), _coalesce, variadic=True),
    "ternary": GoFunc(("any", "any", "bool"), lambda t, f, v: t if v else f),
    "toJson": GoFunc(("any",), to_json),
    "toYaml": GoFunc(("any",), to_yaml),
    "hasKey": GoFunc(("map", "string"), _has_key),
    "has": GoFunc(("any", "any"), _has),
    "dict": GoFunc(("any",), _dict, variadic=True),
    "dig": GoFunc(("any",), _dig, variadic=True),
    "list": GoFunc(("any",), lambda *v: list(v), variadic=True),
    "tuple": GoFunc(("any",), lambda *v: list(v), variadic=True),
    "slice": GoFunc(("any", "any"), _slice, variadic=True),
    "quote": GoFunc(("any",), _quote, variadic=True),
    "squote": GoFunc(("any",), _squote, variadic=True),
    "toString": GoFunc(("any",), strval),
    "trunc": GoFunc(("int", "string"), _trunc),
    "join": GoFunc(("string", "any"), lambda sep, v: sep.join(_strslice(v))),
    "split": GoFunc(("string", "string"), lambda sep, text: StringMap(
        {f"_{i}": part for i, part in enumerate(_split(sep, text))})),
    "splitList": GoFunc(("string", "string"), lambda sep, text: StringList(_split(sep, text))),
    "toStrings": GoFunc(("any",), lambda v: StringList(_strslice(v))),
    "indent": GoFunc(("int", "string"), _indent),
    "nindent": GoFunc(("int", "string"), lambda n, text: "\n" + _indent(n, text)),
    "replace": GoFunc(("string", "string", "string"), lambda old, new, text:
                      text.replace(old, new)),
    "trimSuffix": GoFunc(("string", "string"), lambda a, b: b[:-len(a)]
                         if a and b.endswith(a) else b),
    "trimPrefix": GoFunc(("string", "string"), lambda a, b: b[len(a):]
                         if b.startswith(a) else b),
    "trim": GoFunc(("string",), _trim),
    "upper": GoFunc(("string",), _case(str.upper)),
    "lower": GoFunc(("string",), _case(str.lower)),
    "contains": GoFunc(("string", "string"), lambda sub, text: sub in text),
    "hasPrefix": GoFunc(("string", "string"), lambda sub, text: text.startswith(sub)),
    "hasSuffix": GoFunc(("string", "string"), lambda sub, text: text.endswith(sub)),
    "b64enc": GoFunc(("string",), lambda text: base64.b64encode(
        text.encode("utf-8", "surrogatepass")).decode("ascii")),
    "base": GoFunc(("string",), _base),
    "dir": GoFunc(("string",), _dir),
    "regexReplaceAll": GoFunc(("string", "string", "string"), _regex_replace_all),
    "regexMatch": GoFunc(("string", "string"), lambda pattern, text:
                         _compiled(pattern).search(text) is not None),
    "atoi": GoFunc(("string",), _atoi),
    "normalize": GoFunc(("string",), _normalize),
}
