"""The JSON Schema ``format`` values a chart's values.schema.json asserts, checked as helm's
two validators check them: Helm 3's (gojsonschema) and Helm 4's (santhosh-tekuri/jsonschema).

A value is refused only when both refuse it: the two disagree at the edges (Helm 3 takes a
bare date as a ``date-time``, Helm 4 a trailing dot in a ``hostname``), and which one a
helm build uses is not told by its major version alone (Helm 3.18 took up Helm 4's). So a
value one helm refuses may pass here, but no value either accepts is refused.
``tests/test_values_nulls.py`` holds each rule against both real helms.

Not asserted: ``idn-email``, ``idn-hostname``, ``duration`` and the formats neither
validator knows (one of them takes any string)."""

from __future__ import annotations

import calendar
import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Any

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
# Go's time.Parse takes a one-digit hour and a comma before the fraction; RFC 3339 a "t"
_TIME = r"(\d{1,2}):(\d{2}):(\d{2})(?:[.,]\d+)?"
_OFFSET = r"([Zz]|[+-]\d{2}:\d{2})"
_DATE_TIME = re.compile(rf"{_DATE}[Tt]{_TIME}{_OFFSET}", re.ASCII)
_DATE_ONLY = re.compile(_DATE, re.ASCII)
_TIME_ONLY = re.compile(rf"{_TIME}{_OFFSET}?", re.ASCII)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:", re.ASCII)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_POINTER = r"(?:/(?:[^~/]|~[01])*)*"
_JSON_POINTER = re.compile(_POINTER)
_RELATIVE_POINTER = re.compile(rf"(?:0|[1-9][0-9]*)(?:#|{_POINTER})")


def _strings(check: Callable[[str], bool]) -> Callable[[object], bool]:
    """A format applies to strings only: any other value passes."""
    return lambda value: not isinstance(value, str) or check(value)


def _valid_date(year: str, month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= calendar.monthrange(
        int(year), int(month))[1]


def _valid_time(hour: str, minute: str, second: str, offset: str | None) -> bool:
    """Second 60 is a leap second: 23:59:60 in UTC only (Helm 4; Helm 3 takes none)."""
    if int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        return False
    if int(second) < 60:
        return True
    shift = 0 if offset is None or offset in "Zz" else (
        (int(offset[1:3]) * 60 + int(offset[4:6])) * (1 if offset[0] == "+" else -1))
    return (int(hour) * 60 + int(minute) - shift) % (24 * 60) == 23 * 60 + 59


def _date_time(value: str) -> bool:
    """RFC 3339 (Helm 4), or any of the layouts Helm 3 tries: a date, a time, a date-time."""
    if full := _DATE_TIME.fullmatch(value):
        return _valid_date(*full.groups()[:3]) and _valid_time(*full.groups()[3:])
    if date := _DATE_ONLY.fullmatch(value):
        return _valid_date(*date.groups())
    return _time(value)


def _time(value: str) -> bool:
    """A time of day, its offset optional (Helm 3) or required (Helm 4)."""
    found = _TIME_ONLY.fullmatch(value)
    return found is not None and _valid_time(*found.groups())


def _hostname(value: str) -> bool:
    """RFC 1123 labels; a trailing dot (Helm 4), up to 255 characters (Helm 3)."""
    return len(value) <= 255 and _HOSTNAME.fullmatch(value) is not None


def _reference(value: str, *, absolute: bool) -> bool:
    """What Go's ``url.Parse`` refuses: a control character, a ``%`` that escapes nothing
    in what it unescapes (the path of a hierarchical reference, the fragment, the
    authority), a space or a bad port in the authority; ``absolute``: no scheme either."""
    scheme = _SCHEME.match(value)
    if absolute and scheme is None or _CONTROL.search(value):
        return False
    rest, _, fragment = value.partition("#")
    rest = rest.partition("?")[0]
    if scheme is not None:
        rest = rest[scheme.end():]
    if _BAD_ESCAPE.search(fragment):
        return False
    if scheme is not None and not rest.startswith("/"):
        return True  # opaque (``mailto:a@b``): Go keeps it as written
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        if not _authority(authority):
            return False
        rest = slash + path
    return _BAD_ESCAPE.search(rest) is None


def _authority(authority: str) -> bool:
    if " " in authority or _BAD_ESCAPE.search(authority):
        return False
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        closed, bracket, port = host.partition("]")
        return bool(bracket) and (port == "" or port[:1] == ":" and port[1:].isdigit()
                                  or port == ":")
    port = host.rpartition(":")[2] if ":" in host else ""
    return port == "" or port.isascii() and port.isdigit()


def _uri_template(value: str) -> bool:
    """Helm 3 refuses only an expression never closed; Helm 4 more."""
    return value.rfind("{") < value.rfind("}") or "{" not in value


def _regex(value: str) -> bool:
    """Go's regexp syntax, as RE2 reads it."""
    from platecheck.goregex import go_compiles

    return go_compiles(value)


def _address(marker: str) -> Callable[[str], bool]:
    def check(value: str) -> bool:  # Go: net.ParseIP and a "." (ipv4) or ":" (ipv6)
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return marker in value and "%" not in value
    return check


_CHECKS: dict[str, Callable[[str], bool]] = {
    "email": lambda value: "@" in value and not value.endswith("@"),  # and a domain
    "date-time": _date_time,
    "time": _time,
    "hostname": _hostname,
    "uri": functools.partial(_reference, absolute=True),
    "iri": functools.partial(_reference, absolute=True),
    "uri-reference": functools.partial(_reference, absolute=False),
    "iri-reference": functools.partial(_reference, absolute=False),
    "uri-template": _uri_template,
    "regex": _regex,
    "json-pointer": lambda value: _JSON_POINTER.fullmatch(value) is not None,
    "relative-json-pointer": lambda value: _RELATIVE_POINTER.fullmatch(value) is not None,
    "ipv4": _address("."),
    "ipv6": _address(":"),
}


@functools.cache
def format_checker() -> Any:
    """One checker of every format helm asserts, built once per process: ``date`` and ``uuid``
    as jsonschema checks them, the others above."""
    from jsonschema import FormatChecker  # type: ignore[import-untyped]

    checker = FormatChecker(formats=("date", "uuid"))
    for name, check in _CHECKS.items():
        checker.checks(name)(_strings(check))
    return checker
