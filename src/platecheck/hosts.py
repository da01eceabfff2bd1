"""Host names and wildcard hosts as Ingress and TLS certificates use them.

A wildcard is ``*`` as the whole first label and stands for exactly one label:
``*.example.com`` matches ``a.example.com`` but neither ``example.com`` nor
``b.a.example.com`` (https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards,
RFC 6125 section 6.4.3). Host names compare case-insensitively.
"""

from __future__ import annotations


def normalize(host: str) -> str:
    return host.strip().lower()


def is_wildcard(host: str) -> bool:
    return host.startswith("*.") and len(host) > 2


def matches(pattern: str, host: str) -> bool:
    """Whether ``host`` (a concrete name or itself a wildcard) is covered by ``pattern``.

    A wildcard host is only covered by the same wildcard: a certificate for ``a.example.com``
    does not serve every ``*.example.com``.
    """
    pattern, host = normalize(pattern), normalize(host)
    if not pattern or not host:
        return False
    if pattern == host:
        return True
    if not is_wildcard(pattern) or is_wildcard(host):
        return False
    first, dot, rest = host.partition(".")
    return bool(first) and bool(dot) and first != "*" and rest == pattern[2:]


def covered(host: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """Whether any of ``patterns`` covers ``host``."""
    return any(matches(pattern, host) for pattern in patterns)


__all__ = ["covered", "is_wildcard", "matches", "normalize"]
