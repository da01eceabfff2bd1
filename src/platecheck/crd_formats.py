"""The string formats the API server checks in a custom resource: kube-openapi's ``strfmt``
registry (``k8s.io/kube-openapi/pkg/validation/strfmt``, the version Kubernetes 1.31 builds
with), restricted to the formats apiextensions-apiserver keeps in a CRD's schema
(``pkg/apiserver/validation/formats.go``). A format's name is read without its dashes
(``date-time`` is ``datetime``); it applies to strings only.

Checked, each as its Go function accepts: ``bsonobjectid``, ``byte``, ``date``,
``datetime``, ``duration``, ``hexcolor``, ``password``, ``ssn``, ``uuid``, ``uuid3``,
``uuid4``, ``uuid5``. Not checked (no Python equivalent that accepts exactly what Go does):
``cidr``, ``creditcard``, ``email``, ``hostname``, ``ipv4``, ``ipv6``, ``isbn``,
``isbn10``, ``isbn13``, ``mac``, ``rgbcolor``, ``uri``."""

from __future__ import annotations

import re
from collections.abc import Callable

# Go's regexp: \d is ASCII, $ is the end of the text; fullmatch stands for ^...$
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}",
                   re.IGNORECASE | re.ASCII)
_UUID3 = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}",
                    re.IGNORECASE | re.ASCII)
_UUID4 = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}",
                    re.IGNORECASE | re.ASCII)
_UUID5 = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}",
                    re.IGNORECASE | re.ASCII)
# asaskevich/govalidator (the version kube-openapi requires): at least one quantum, so "" fails
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|"
                     r"[A-Za-z0-9+/]{4})")
_HEXCOLOR = re.compile(r"#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SSN = re.compile(r"\d{3}[- ]?\d{2}[- ]?\d{4}", re.ASCII)
_BSON_ID = re.compile(r"[0-9a-fA-F]{24}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# the part of a date-time after its "t", lowered; "." is any character but a newline
_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))")
# ParseDuration's second chance: any number followed by a unit it knows; \s is Go's
_DURATION_PART = re.compile("([0-9]+)[\t\n\f\r ]*([A-Za-z\u00b5]+)")
_DURATION_UNITS = (("ns", "nano"), ("us", "\u00b5s", "micro"), ("ms", "milli"), ("s", "sec"),
                   ("m", "min"), ("h", "hr", "hour"), ("d", "day"), ("w", "wk", "week"))
# Go's time.ParseDuration units, in nanoseconds
_GO_UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6,
             "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_INT64_MAX = 2**63 - 1
_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_date(value: str) -> bool:
    """Go's ``time.Parse("2006-01-02", value)``."""
    found = _DATE.fullmatch(value)
    if found is None:
        return False
    year, month, day = (int(part) for part in found.groups())
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)  # year 0 too
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 and leap else _DAYS[month])


def is_date_time(value: str) -> bool:
    """strfmt's ``IsDateTime``: split at each "t" (any case), a date before the first and a
    time after it; what follows a second "t" is not looked at."""
    if len(value.encode()) < 4:
        return False
    # Go's strings.ToLower maps each character to one; only ASCII ones matter to the patterns
    parts = re.sub("[A-Z]", lambda m: m.group().lower(), value).split("t")
    if len(parts) < 2 or not is_date(parts[0]):
        return False
    found = _TIME.fullmatch(parts[1])
    return found is not None and found[1] <= "23" and found[2] <= "59" and found[3] <= "59"


def is_duration(value: str) -> bool:
    """strfmt's ``ParseDuration``: Go's ``time.ParseDuration``, or else a number followed by
    one of strfmt's units anywhere in the text (a number too big for an int64 refuses it)."""
    if _go_duration(value):
        return True
    known = False
    for found in _DURATION_PART.finditer(value):
        if int(found[1]) > _INT64_MAX:
            return False
        unit = found[2].lower()
        for variants in _DURATION_UNITS:
            if unit in variants or unit.startswith(variants[-1]):
                known = True
    return known


def _go_duration(value: str) -> bool:
    """Whether Go's ``time.ParseDuration`` parses ``value`` (its overflow rules included)."""
    text = value[1:] if value[:1] in ("-", "+") else value
    if text == "0":
        return True
    if not text:
        return False
    total = 0
    while text:
        found = re.match(r"([0-9]*)(?:\.([0-9]*))?", text)
        assert found is not None
        whole, fraction = found[1], found[2]
        if not whole and not fraction:
            return False
        number = int(whole or "0")
        if number > 2**63:
            return False
        text = text[found.end():]
        unit_end = re.match(r"[^0-9.]*", text)
        assert unit_end is not None
        scale = _GO_UNITS.get(unit_end.group())
        if scale is None or number > 2**63 // scale:
            return False
        text = text[unit_end.end():]
        number *= scale
        if fraction:
            number += _fraction_nanoseconds(fraction, scale)
            if number > 2**63:
                return False
        total += number
        if total > 2**63:
            return False
    return value.startswith("-") or total <= _INT64_MAX


def _fraction_nanoseconds(digits: str, unit: int) -> int:
    """Go's ``leadingFraction`` and ``uint64(float64(f) * (float64(unit) / scale))``: digits
    past what an int64 holds are dropped."""
    fraction, scale = 0, 1.0
    for digit in digits:
        if fraction > _INT64_MAX // 10 or fraction * 10 + int(digit) > 2**63:
            break  # Go keeps reading the digits, ignoring them
        fraction, scale = fraction * 10 + int(digit), scale * 10
    return int(float(fraction) * (float(unit) / scale))


def _ssn(value: str) -> bool:
    return len(value.encode()) == 11 and _SSN.fullmatch(value) is not None


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


CHECKS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": _matches(_BSON_ID),
    "byte": _matches(_BASE64),
    "date": is_date,
    "datetime": is_date_time,
    "duration": is_duration,
    "hexcolor": _matches(_HEXCOLOR),
    "password": lambda value: True,
    "ssn": _ssn,
    "uuid": _matches(_UUID),
    "uuid3": _matches(_UUID3),
    "uuid4": _matches(_UUID4),
    "uuid5": _matches(_UUID5),
}


def conforms(value: object, name: str) -> bool:
    """Whether the API server takes ``value`` for a field of format ``name``."""
    check = CHECKS.get(name.replace("-", ""))
    return not isinstance(value, str) or check is None or check(value)
