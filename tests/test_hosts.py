"""Host and wildcard matching as Ingress TLS uses it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platecheck.hosts import covered, is_wildcard, matches

CASES = [
    ("a.com", "a.com", True),
    ("A.Com", "a.COM", True),
    ("*.a.com", "b.a.com", True),
    ("*.a.com", "B.A.COM", True),
    ("*.a.com", "a.com", False),
    ("*.a.com", "c.b.a.com", False),
    ("*.a.com", ".a.com", False),
    ("*.a.com", "*.a.com", True),
    ("b.a.com", "*.a.com", False),
    ("*.b.a.com", "*.a.com", False),
    ("*", "a.com", False),
    ("*.", "a.", False),
    ("b*.a.com", "bc.a.com", False),
    ("a.com", "b.a.com", False),
    ("", "", False),
    ("*.a.com", "x.b.com", False),
]


@pytest.mark.parametrize(("pattern", "host", "expected"), CASES)
def test_cases(pattern: str, host: str, expected: bool) -> None:
    assert matches(pattern, host) is expected


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
domains = st.lists(label, min_size=1, max_size=4).map(".".join)


def _swap_case(text: str, flips: list[bool]) -> str:
    flips = (flips + [False] * len(text))[: len(text)]
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


@given(domains, st.lists(st.booleans(), max_size=40))
def test_exact_host_matches_itself_in_any_case(host: str, flips: list[bool]) -> None:
    assert matches(host, _swap_case(host, flips))
    assert matches(_swap_case(host, flips), host)


@given(label, domains)
def test_wildcard_covers_exactly_one_label(first: str, base: str) -> None:
    pattern = f"*.{base}"
    assert is_wildcard(pattern)
    assert matches(pattern, f"{first}.{base}")
    assert not matches(pattern, base)
    assert not matches(pattern, f"{first}.{first}.{base}")


@given(domains, domains)
def test_a_concrete_pattern_matches_only_equal_hosts(pattern: str, host: str) -> None:
    assert matches(pattern, host) is (pattern == host)


@given(domains, domains)
def test_wildcard_matches_iff_parent_domain_equals(base: str, host: str) -> None:
    expected = "." in host and host.split(".", 1)[1] == base
    assert matches(f"*.{base}", host) is expected


@given(st.lists(domains, max_size=4), domains)
def test_covered_is_any_match(patterns: list[str], host: str) -> None:
    wild = [f"*.{p}" for p in patterns]
    assert covered(host, patterns + wild) is any(matches(p, host) for p in patterns + wild)
    assert covered(host, [*patterns, host])
