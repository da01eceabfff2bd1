"""Kubernetes resource quantities, parsed exactly.

The grammar is apimachinery's ``resource.Quantity``
(https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go):

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | <sign><number>
    <sign>            ::= "+" | "-"
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> | . | ""
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedInteger> | "E" <signedInteger>

A number without digits (``Mi``, ``m``, ``.``, ``-``) is 0, as apimachinery's scanner reads it,
except where ``ParseQuantity`` leaves its fast path for the decimal parser, which wants a digit
(``Pi``, ``Ei``, an exponent below -9). A string is read as the API server decodes it
(``Quantity.UnmarshalJSON``): the white space ``strings.TrimSpace`` removes around it is dropped,
save the characters Go's JSON encoder escapes on the way (tab, newline and the other controls,
U+2028, U+2029), which reach the parser as escapes and are refused.

Values are returned as ``fractions.Fraction`` so that ``100m`` and ``0.1`` compare equal and
nothing is rounded. YAML hands integers and floats through unquoted (``cpu: 1``,
``cpu: 0.5``); those are accepted as the decimal text they were written as. Booleans, ``None``,
NaN and infinities are not quantities.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

BINARY_SUFFIXES: dict[str, int] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
# apimachinery stores the exponent in an int32 scale; far larger exponents are a typo, and
# 10**huge would take unbounded time and memory.
MAX_EXPONENT = 10_000

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<number>[0-9]*(?:\.[0-9]*)?)"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)"
    r"|[eE](?P<exponent>[+-]?[0-9]+)"
    r"|(?P<decimal>[numkMGTPE]?))",
    re.ASCII,
)


# unicode.IsSpace, less the characters encoding/json writes as escapes (controls, U+2028, U+2029):
# what strings.TrimSpace removes in UnmarshalJSON once kubectl has sent the object as JSON.
_TRIMMED = " \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
    "\u200a\u202f\u205f\u3000"
# ParseQuantity's fast path (int64 arithmetic) ends for these; the decimal parser it falls back
# to (inf.Dec.SetString) refuses a number without digits.
_DIGITLESS_BINARY = frozenset({"Pi", "Ei"})
_NANO = -9


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """The exact value of a Kubernetes quantity, e.g. ``"1.5Gi"`` -> ``Fraction(1610612736)``.

    Raises ``QuantityError`` for anything ``kubectl apply`` would reject.
    """
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{value!r} is not a quantity")
        # The shortest repr is what the YAML author wrote and what helm renders, so 0.1 is 1/10.
        return Fraction(repr(value))
    if not isinstance(value, str):
        raise QuantityError(f"{value!r} is not a quantity")
    text = value.strip(_TRIMMED)
    match = _QUANTITY.fullmatch(text) if text else None
    if match is None:
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    number = match["number"]
    digitless = number in ("", ".")
    whole, _, fraction = number.partition(".")
    magnitude = Fraction(int(whole or "0"))
    if fraction:
        magnitude += Fraction(int(fraction), 10 ** len(fraction))
    if match["sign"] == "-":
        magnitude = -magnitude
    if match["binary"] is not None:
        if digitless and match["binary"] in _DIGITLESS_BINARY:
            raise QuantityError(f"{value!r} is not a Kubernetes quantity (no digits)")
        return magnitude * BINARY_SUFFIXES[match["binary"]]
    if match["exponent"] is not None:
        exponent = int(match["exponent"])
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(f"{value!r}: exponent out of range")
    else:
        exponent = DECIMAL_SUFFIXES[match["decimal"] or ""]
    if digitless and exponent < _NANO:
        raise QuantityError(f"{value!r} is not a Kubernetes quantity (no digits)")
    return magnitude * Fraction(10) ** exponent


def is_quantity(value: object) -> bool:
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


__all__ = ["QuantityError", "is_quantity", "parse_quantity"]
