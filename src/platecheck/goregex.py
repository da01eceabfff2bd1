"""Go's regular expressions (RE2 syntax) in schemas, as Python's ``re`` reads them the same way.

The API server checks a CRD's ``pattern`` with Go's ``regexp``, and helm a chart's
``values.schema.json`` likewise; platecheck checks both with Python's ``re``, which refuses
two things Go accepts that real schemas use:

- a flag group such as ``(?i)`` after the start of the expression (``^(?i)(abort|warn)?$`` in
  prometheus-operator's PrometheusRule). In Go it sets the flags for the rest of the enclosing
  group, each later alternative included; here it becomes a scoped group ``(?i:...)`` around
  the rest of its alternative and around each later alternative of the group;
- ``\\z``, the end of the text, which Python spells ``\\Z``.

Everything else is left as written. ``schema_in_python`` applies this to every ``pattern``
and ``patternProperties`` key of a schema, walking only the keywords that hold schemas (data
such as ``enum`` or ``default`` is never rewritten).

A pattern that Python's backtracking could take exponential time over (a repetition of a
repetition, ``platecheck.regexcheck``), such as Traefik's duration
``^([0-9]+(ns|us|µs|ms|s|m|h)?)+$``, or that Python still cannot read (``\\p{L}``), is
matched as written with RE2 instead (the library whose syntax and linear-time matching Go's
``regexp`` shares): ``go_patterns`` gives a validator class those ``pattern`` and
``patternProperties`` keywords. A schema reaches them only once its meta-schema check has
read every pattern as Go reads it (``metaschema.go_formats``): a pattern Go refuses (a
lookahead) makes the schema invalid, as it does for helm and the API server. So is a text
``re`` reads otherwise than Go: one ending in a line break (Python's ``$`` matches before it,
Go's only at the end), one beyond ASCII (Go's ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are
ASCII only) or holding a vertical tab (no ``\\s`` in Go).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from platecheck.regexcheck import nested_quantifier

_FLAGS = re.compile(r"\(\?([imsU]*(?:-[imsU]*)?)\)")
# keywords whose value is a schema, a list of schemas, or a map of names to schemas
_ONE = ("additionalProperties", "items", "additionalItems", "contains", "propertyNames",
        "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "$defs", "definitions", "dependentSchemas")


_WRITTEN: dict[str, str] = {}  # a converted pattern -> the pattern as written


def python_pattern(pattern: str) -> str:
    """``pattern`` (Go syntax) as a Python pattern that matches the same texts."""
    if "(?" not in pattern and "\\z" not in pattern:
        return pattern
    text, _ = _group(pattern, 0, top=True)
    if text != pattern:
        _WRITTEN[text] = pattern
    return text


def as_written(pattern: str) -> str:
    """The pattern as the schema wrote it, for a pattern ``python_pattern`` converted."""
    return _WRITTEN.get(pattern, pattern)


def quoted(pattern: str) -> str:
    """``pattern`` as the schema wrote it, in quotes, its backslashes single as the user
    would copy it (``repr`` where it holds a quote)."""
    written = as_written(pattern)
    return f"'{written}'" if "'" not in written else repr(written)


def _group(pattern: str, start: int, *, top: bool) -> tuple[str, int]:
    """The converted body of a group from ``start`` to its closing parenthesis (excluded),
    and the index of that parenthesis (the end of the pattern at the top)."""
    alternatives: list[str] = []
    current: list[str] = []
    flags = ""  # what flag groups so far in this group changed
    scoped_from = -1  # where, in the current alternative, the last flag group took effect
    i = start
    while i < len(pattern) and pattern[i] != ")":
        found = _FLAGS.match(pattern, i) if pattern[i] == "(" else None
        if pattern[i] == "|":
            alternatives.append("".join(_sealed(current, scoped_from, flags)))
            current, scoped_from = [], (0 if flags else -1)
            i += 1
        elif found is not None and not (top and i == 0 and "-" not in found.group(1)):
            current = _sealed(current, scoped_from, flags)
            flags = _merge(flags, found.group(1))
            scoped_from = len(current)
            i = found.end()
        else:
            piece, i = _atom(pattern, i)
            current.append(piece)
    alternatives.append("".join(_sealed(current, scoped_from, flags)))
    return "|".join(alternatives), i


def _sealed(pieces: list[str], scoped_from: int, flags: str) -> list[str]:
    """``pieces`` with those from ``scoped_from`` on in one group scoped to ``flags``."""
    rest = "".join(pieces[scoped_from:]) if scoped_from >= 0 else ""
    if not rest or not flags:
        return pieces
    return [*pieces[:scoped_from], f"(?{flags}:{rest})"]


def _merge(flags: str, change: str) -> str:
    """The flags in effect after ``(?change)`` where ``flags`` were."""
    on, _, off = flags.partition("-")
    add, _, remove = change.partition("-")
    set_on = [f for f in dict.fromkeys(on + add) if f not in remove]
    set_off = [f for f in dict.fromkeys(off + remove) if f not in add]
    return "".join(set_on) + ("-" + "".join(set_off) if set_off else "")


def _atom(pattern: str, i: int) -> tuple[str, int]:
    """One piece of the pattern at ``i``: an escape, a class, a group or a character."""
    char = pattern[i]
    if char == "\\" and i + 1 < len(pattern):
        escape = pattern[i:i + 2]
        return ("\\Z" if escape == "\\z" else escape), i + 2
    if char == "[":
        return _class(pattern, i)
    if char == "(":
        head = re.match(r"\((\?(?:P?<\w+>|[:=!]|<[=!]|[imsU-]*:)?)?", pattern[i:])
        written = head.group(0) if head else "("
        body, end = _group(pattern, i + len(written), top=False)
        closing = ")" if end < len(pattern) else ""
        # Go's (?<name>...) is Python's (?P<name>...)
        opening = "(?P" + written[2:] if re.match(r"\(\?<\w", written) else written
        return opening + body + closing, end + len(closing)
    return char, i + 1


def _class(pattern: str, i: int) -> tuple[str, int]:
    """A character class ``[...]`` as written (``]`` first is a member; ``[:alpha:]`` and
    escapes inside do not end it)."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        if pattern[j] == "\\":
            j += 2
        elif pattern.startswith("[:", j) and ":]" in pattern[j + 2:]:
            j = pattern.index(":]", j + 2) + 2
        else:
            j += 1
    return pattern[i:j + 1], j + 1


def schema_in_python(schema: Any) -> Any:
    """``schema`` with its patterns (``pattern`` values, ``patternProperties`` keys) as Python
    reads them; the same object when there is nothing to change."""
    if isinstance(schema, list):
        return [schema_in_python(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    result = dict(schema)
    if isinstance(result.get("pattern"), str):
        result["pattern"] = python_pattern(result["pattern"])
    patterned = result.get("patternProperties")
    if isinstance(patterned, Mapping):
        result["patternProperties"] = {python_pattern(k) if isinstance(k, str) else k:
                                       schema_in_python(v) for k, v in patterned.items()}
    for key in _ONE:
        if key in result:
            result[key] = schema_in_python(result[key])
    for key in _LIST:
        if isinstance(result.get(key), list):
            result[key] = [schema_in_python(item) for item in result[key]]
    for key in _MAP:
        if isinstance(result.get(key), Mapping):
            result[key] = {name: schema_in_python(sub) for name, sub in result[key].items()}
    return result


@cache
def _risky(pattern: str) -> bool:
    """Whether ``pattern`` is for RE2: Python's ``re`` could backtrack for exponential time
    over it, or cannot read it (Go's syntax, which the meta-schema check held it to)."""
    try:
        return nested_quantifier(pattern)
    except re.error:
        return True


@cache
def _go_compiled(pattern: str) -> Any:
    import re2  # loaded only for such a pattern

    options = re2.Options()
    options.log_errors = False  # RE2 would write its refusals to standard error
    return re2.compile(as_written(pattern), options)


def go_fullmatch(pattern: str, text: str) -> bool:
    """Whether Go's regexp ``pattern`` matches the whole of ``text`` (False when Go cannot
    read it), in linear time."""
    import re2

    try:
        return _go_compiled(pattern).fullmatch(text) is not None
    except re2.error:
        return False


def go_compiles(pattern: str) -> bool:
    """Whether Go's regexp (RE2's syntax) reads ``pattern``."""
    import re2

    try:
        _go_compiled(pattern)
    except re2.error:
        return False
    return True


def _go_search(pattern: str, text: str) -> bool:
    return _go_compiled(pattern).search(text) is not None


def _matches(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` as Go's regexp finds it: with RE2
    where ``re`` could backtrack over the pattern or reads the text otherwise than Go does
    (``$`` before a last line break; ``\\d``, ``\\w``, ``\\s`` and ``\\b`` beyond ASCII,
    ``\\s`` at a vertical tab), else with ``re``, faster to load."""
    if _risky(pattern) or not text.isascii() or text.endswith("\n") or "\x0b" in text:
        return _go_search(pattern, text)
    return re.search(pattern, text) is not None


@cache
def go_patterns(cls: Any) -> Any:
    """``cls`` checking ``multipleOf`` exactly (``_exact_multiple``) and matching the
    ``pattern`` and ``patternProperties`` that ``re`` could take
    exponential time over or cannot read with RE2, as written, in linear time (the others
    with ``re``, as ``cls`` does); a mismatch names the pattern as the schema wrote it. One
    class per ``cls``: making one costs more than most validations with it."""
    import jsonschema  # type: ignore[import-untyped]

    plain_pattern = cls.VALIDATORS["pattern"]
    plain_properties = cls.VALIDATORS["patternProperties"]

    def pattern(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not isinstance(value, str):
            yield from plain_pattern(validator, value, instance, schema)
        elif validator.is_type(instance, "string") and not _matches(value, instance):
            yield jsonschema.ValidationError(
                f"{instance!r} does not match {quoted(value)}")

    def pattern_properties(validator: Any, value: Any, instance: Any,
                           schema: Any) -> Iterator[Any]:
        if not isinstance(value, dict) or not any(_risky(p) for p in value):
            yield from plain_properties(validator, value, instance, schema)
            return
        if not validator.is_type(instance, "object"):
            return
        for written, subschema in value.items():
            for key, item in instance.items():
                if _matches(written, key):
                    yield from validator.descend(item, subschema, path=key,
                                                 schema_path=written)

    def multiple_of(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "number") and validator.is_type(value, "number") \
                and value and not _exact_multiple(instance, value):
            yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {value!r}")

    return jsonschema.validators.extend(cls, {"pattern": pattern,
                                              "patternProperties": pattern_properties,
                                              "multipleOf": multiple_of})


def _exact_multiple(number: float, step: float) -> bool:
    """Whether ``number`` is a multiple of ``step`` as helm's validators and the API server
    find it: the numbers as JSON writes them (0.07 is 7/100, not the float nearest it), so
    0.07 is a multiple of 0.01, where float division says 7.000000000000001."""
    from fractions import Fraction

    def exact(value: float) -> Fraction:
        return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)

    if isinstance(number, float) and not math.isfinite(number):
        return False
    return (exact(number) / exact(step)).denominator == 1
