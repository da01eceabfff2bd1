"""Kubernetes resource quantities, parsed exactly.

The grammar is apimachinery's ``resource.Quantity``
(https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go):

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | <sign><number>
    <sign>            ::= "+" | "-"
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedInteger> | "E" <signedInteger>

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
    r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)"
    r"|[eE](?P<exponent>[+-]?[0-9]+)"
    r"|(?P<decimal>[numkMGTPE]?))",
    re.ASCII,
)


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
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    number = match["number"]
    whole, _, fraction = number.partition(".")
    magnitude = Fraction(int(whole or "0"))
    if fraction:
        magnitude += Fraction(int(fraction), 10 ** len(fraction))
    if match["sign"] == "-":
        magnitude = -magnitude
    if match["binary"] is not None:
        return magnitude * BINARY_SUFFIXES[match["binary"]]
    if match["exponent"] is not None:
        exponent = int(match["exponent"])
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(f"{value!r}: exponent out of range")
    else:
        exponent = DECIMAL_SUFFIXES[match["decimal"] or ""]
    return magnitude * Fraction(10) ** exponent


def is_quantity(value: object) -> bool:
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


__all__ = ["QuantityError", "is_quantity", "parse_quantity"]
