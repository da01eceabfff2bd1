"""The quantity parser against hand-checked values and an independent decimal oracle."""

from __future__ import annotations

import decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platecheck.quantity import QuantityError, is_quantity, parse_quantity

KNOWN = [
    ("0", Fraction(0)),
    ("1", Fraction(1)),
    ("100m", Fraction(1, 10)),
    ("0.1", Fraction(1, 10)),
    ("250m", Fraction(1, 4)),
    ("1.5", Fraction(3, 2)),
    (".5", Fraction(1, 2)),
    ("5.", Fraction(5)),
    ("+5", Fraction(5)),
    ("-5m", Fraction(-1, 200)),
    ("1n", Fraction(1, 10**9)),
    ("1u", Fraction(1, 10**6)),
    ("1k", Fraction(1000)),
    ("1M", Fraction(10**6)),
    ("1G", Fraction(10**9)),
    ("2T", Fraction(2 * 10**12)),
    ("1P", Fraction(10**15)),
    ("1E", Fraction(10**18)),
    ("1Ki", Fraction(1024)),
    ("512Mi", Fraction(512 * 2**20)),
    ("1.5Gi", Fraction(3 * 2**29)),
    ("1Ti", Fraction(2**40)),
    ("1Pi", Fraction(2**50)),
    ("1Ei", Fraction(2**60)),
    ("1e3", Fraction(1000)),
    ("1E3", Fraction(1000)),
    ("1e+3", Fraction(1000)),
    ("1e-3", Fraction(1, 1000)),
    ("12E-1", Fraction(6, 5)),
    ("0.5e1", Fraction(5)),
    # UnmarshalJSON trims the space around a string before ParseQuantity reads it
    (" 100m", Fraction(1, 10)),
    ("200m ", Fraction(1, 5)),
    ("\u00a01Gi\u3000", Fraction(2**30)),
    # a number without digits is 0 while ParseQuantity stays on its fast path
    ("Mi", Fraction(0)),
    ("m", Fraction(0)),
    ("E", Fraction(0)),
    ("Ti", Fraction(0)),
    ("e3", Fraction(0)),
    ("e-9", Fraction(0)),
    (".", Fraction(0)),
    ("-", Fraction(0)),
    ("+", Fraction(0)),
    ("-.Gi", Fraction(0)),
    ("0.Ei", Fraction(0)),
    (1, Fraction(1)),
    (2, Fraction(2)),
    (0.5, Fraction(1, 2)),
    (0.1, Fraction(1, 10)),
    (1e20, Fraction(10**20)),
]

JUNK = [
    "2GB",
    ".nan",
    "nan",
    "inf",
    "Infinity",
    "",
    " ",
    "\u00a0",
    "1\n",
    "\t1",
    "1\u2028",  # written as an escape by Go's JSON encoder, so not trimmed
    "1\u200b",  # not white space to unicode.IsSpace
    "1 m",
    "1.5.2",
    "Pi",  # no digits and off the fast path: inf.Dec.SetString("") fails
    "Ei",
    ".Ei",
    "e-10",
    "e",
    "1K",
    "1mi",
    "1e",
    "1e1.5",
    "1ee3",
    "1e3Mi",
    "1Mi3",
    "0x10",
    "1_000",
    "١",  # an Arabic-Indic digit: \d in Python, not a Kubernetes digit
    "1e99999",
    True,
    False,
    None,
    float("nan"),
    float("inf"),
    [1],
    {"cpu": 1},
]


@pytest.mark.parametrize(("text", "expected"), KNOWN, ids=[repr(k[0]) for k in KNOWN])
def test_known_values(text: object, expected: Fraction) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("junk", JUNK, ids=[repr(j) for j in JUNK])
def test_junk_is_rejected(junk: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(junk)
    assert not is_quantity(junk)


# --- the oracle: build a quantity from the grammar and compute its value with decimal ---------

_EXACT = decimal.Context(prec=5000, traps=[decimal.Inexact, decimal.Overflow])
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

digits = st.text("0123456789", min_size=1, max_size=12)
_OFF_FAST_PATH = {"Pi", "Ei"}
# strings.TrimSpace's white space that Go's JSON encoder leaves as it is
_TRIMMED = " \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
    "\u200a\u202f\u205f\u3000"


@st.composite
def quantities(draw: st.DrawFn) -> tuple[str, Fraction]:
    sign = draw(st.sampled_from(["", "+", "-"]))
    whole = draw(st.one_of(st.just(""), digits))
    fraction = draw(st.one_of(st.just(""), digits))
    point = "." if (fraction or draw(st.booleans())) else ""
    number = f"{whole}{point}{fraction}"
    digitless = not (whole or fraction)
    text = decimal.Decimal(f"{sign or '+'}{whole or '0'}.{fraction or '0'}")
    kind = draw(st.sampled_from(["decimal", "binary", "exponent"]))
    if kind == "decimal":
        suffix = draw(st.sampled_from(sorted(_DECIMAL)))
        value = text.scaleb(_DECIMAL[suffix], _EXACT)
    elif kind == "binary":
        # without digits, Pi and Ei leave ParseQuantity's fast path and are refused
        allowed = set(_BINARY) - _OFF_FAST_PATH if digitless else set(_BINARY)
        suffix = draw(st.sampled_from(sorted(allowed)))
        value = _EXACT.multiply(text, decimal.Decimal(2) ** _BINARY[suffix])
    else:
        exponent = draw(st.integers(-9 if digitless else -40, 40))
        marker = draw(st.sampled_from(["e", "E"]))
        plus = "+" if exponent >= 0 and draw(st.booleans()) else ""
        suffix = f"{marker}{plus}{exponent}"
        value = text.scaleb(exponent, _EXACT)
    if not (sign or number or suffix):
        number = "."  # an empty string is no quantity
    space = draw(st.sampled_from(["", " ", "\u00a0", "\u3000"]))
    return f"{space}{sign}{number}{suffix}{space}", Fraction(value)


@given(quantities())
def test_matches_decimal_oracle(case: tuple[str, Fraction]) -> None:
    text, expected = case
    assert parse_quantity(text) == expected


@given(quantities(), st.sampled_from(["B", "b", "i", "x", " ", ".", "Mi", "m", "e", "/"]))
def test_trailing_junk_is_rejected(case: tuple[str, Fraction], junk: str) -> None:
    text, _ = case
    candidate = text + junk
    # Some appends stay valid: "1" + "m", "1" + ".", "1" + "Mi", "1e" + ... are checked below.
    if _valid_by_oracle(candidate):
        assert parse_quantity(candidate) is not None
    else:
        with pytest.raises(QuantityError):
            parse_quantity(candidate)


@given(st.text(max_size=12))
def test_any_text_parses_or_raises_quantity_error(text: str) -> None:
    try:
        value = parse_quantity(text)
    except QuantityError:
        assert not _valid_by_oracle(text)
    else:
        assert isinstance(value, Fraction)
        assert _valid_by_oracle(text)


@given(st.integers(-(10**30), 10**30))
def test_integers_as_yaml_gives_them(number: int) -> None:
    assert parse_quantity(number) == parse_quantity(str(number)) == Fraction(number)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_as_yaml_gives_them(number: float) -> None:
    assert parse_quantity(number) == Fraction(decimal.Decimal(repr(number)))


def _valid_by_oracle(text: str) -> bool:
    """An independent recognizer: strip the suffix by table lookup, let decimal read the rest;
    a number without digits is 0 unless ParseQuantity would need its decimal parser."""
    text = text.strip(_TRIMMED)
    if not text:
        return False
    for suffix in _BINARY:
        if text.endswith(suffix):
            head = text[: -len(suffix)]
            return _plain_number(head) and (_has_digit(head) or suffix not in _OFF_FAST_PATH)
    for suffix in (s for s in _DECIMAL if s):
        if text.endswith(suffix):
            return _plain_number(text[: -len(suffix)])
    for marker in ("e", "E"):
        head, found, tail = text.rpartition(marker)
        if found and _plain_number(head):
            unsigned = tail[1:] if tail[:1] in "+-" else tail
            if not (unsigned.isascii() and unsigned.isdigit() and int(unsigned) <= 10_000):
                return False
            return _has_digit(head) or int(tail) >= -9
    return _plain_number(text)


def _plain_number(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    whole, _, fraction = body.partition(".")
    return all(part == "" or (part.isascii() and part.isdigit()) for part in (whole, fraction))


def _has_digit(text: str) -> bool:
    return any(char in "0123456789" for char in text)
