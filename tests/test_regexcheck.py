"""Which patterns platecheck refuses to match for fear of exponential backtracking: a repeat
inside a repeat, unless every pass of the outer repeat starts with a character nothing else
in it can match (the passes then split the text one way only)."""

from __future__ import annotations

import re
import time

import pytest

from platecheck.regexcheck import nested_quantifier, risky_schema_pattern

DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

LINEAR = [
    DNS_SUBDOMAIN,
    r"^v(\.\d+)*$",  # each pass starts with a dot, digits follow
    r"(\.a|\.b+)*",  # the common dot is the start of every branch
    r"(?i)(\.[a-z]+)*",
    r"([.,]x+)*",  # a class of delimiters
    r"(\.\w+)*",  # \w does not match a dot
    r"(\.(:x+)*)*",  # delimited inside delimited
    r"^(?>a+)+$",  # atomic: never backtracks into the group
    r"^\d+(\.\d+)?-rc$",  # nothing repeats inside a repeat
    # bounded passes of bounded repeats: at most 5 ** 4 splits (Gateway API's duration)
    r"^([0-9]{1,5}(h|m|s|ms)){1,4}$",
    r"^(\d{1,3}\.){3}\d{1,3}$",
    r"^(a{1,2}){1,16}$",  # 2 ** 16 splits, the most accepted
    r"^((a|b){1,3}){1,3}$",
]

RISKY = [
    r"^(a+)+$",
    r"(x*)*y",
    r"((\.a+)*)+",  # the outer repeat's passes start with a repeat, not a delimiter
    r"(\.[a-z.]+)*",  # the dot is also matched inside a pass
    r"([.,]x+,)*",  # the comma delimiter is also matched later
    r"(?i)(A[a-z]+)*",  # case-insensitive: [a-z] matches A
    r"(_\w+)*",  # \w matches _
    r"(\.[^x]+)*",  # [^x] matches a dot
    r"(x)(\.\1+)*",  # a back reference can match anything
    r"(\.(?i:x)+)*",  # a group with its own flags is not looked into
    r"(\.x+|)*",  # a pass need not start with the dot
    r"^(a{1,3})+$",  # bounded inside, but the passes are not
    r"^(a+){1,10}$",  # bounded passes of an unbounded repeat
    r"^(a{1,2}){1,17}$",  # 2 ** 17 splits
    r"^(a{1,5}){1,100}$",
]


@pytest.mark.parametrize("pattern", LINEAR)
def test_a_delimited_or_flat_repeat_is_accepted(pattern: str) -> None:
    assert not nested_quantifier(pattern)
    compiled = re.compile(pattern)
    started = time.monotonic()
    for text in (".a" * 30 + "!", "v" + ".1" * 30 + "x", ".b" * 30 + "!", "a" * 30 + "!"):
        compiled.fullmatch(text)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("pattern", RISKY)
def test_a_repeat_inside_an_ambiguous_repeat_is_refused(pattern: str) -> None:
    assert nested_quantifier(pattern)


def test_the_backtracking_a_refused_pattern_can_do_is_real() -> None:
    """The delimiter matters: the same shape with the dot allowed inside a pass blows up."""
    text = "." + "a." * 20 + "!"
    times = {}
    for pattern in (r"^(\.[a-z]+)*$", r"^(\.[a-z.]+)*$"):
        compiled = re.compile(pattern)
        runs = []
        for _ in range(3):  # the fastest of three: a loaded machine only slows some
            started = time.perf_counter()
            assert compiled.fullmatch(text) is None
            runs.append(time.perf_counter() - started)
        times[pattern] = min(runs)
    assert times[r"^(\.[a-z.]+)*$"] > 20 * times[r"^(\.[a-z]+)*$"]


def test_the_first_risky_pattern_of_a_schema_is_found_anywhere() -> None:
    schema = {"properties": {"host": {"type": "string", "pattern": DNS_SUBDOMAIN},
                             "pattern": {"type": "string"},
                             "nested": {"items": [{"patternProperties": {"^(a+)+$": {}}}]}}}
    assert risky_schema_pattern(schema) == "^(a+)+$"
    del schema["properties"]["nested"]
    assert risky_schema_pattern(schema) is None
    assert risky_schema_pattern({"pattern": "(unclosed"}) is None  # left to the schema check
