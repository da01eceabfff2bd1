"""What the API server's validation of some built-in kinds refuses beyond their OpenAPI
schemas: a ConfigMap's or Secret's data key that is no key of letters, digits, ``-``, ``_``
and ``.`` (``.``, ``..``, a ``..`` prefix, more than 253 characters), a key a ConfigMap
holds in both ``data`` and ``binaryData``, data of more than 1 MiB in all
(pkg/apis/core/validation ``ValidateConfigMap``, ``ValidateSecret``: ``IsConfigMapKey``,
``MaxSecretSize``; a Secret's ``stringData`` merged over its ``data``); an Ingress host, of a
rule or a tls entry, that is no lowercase DNS name (a ``*`` only as its whole first label) or
is an IP address (pkg/apis/networking/validation ``validateIngressRules``,
``validateIngressTLS``)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from platecheck.objectmeta import DNS1123_SUBDOMAIN, Path, is_name

_MAX_DATA = 1024 * 1024  # core.MaxSecretSize, a ConfigMap's too
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_WILDCARD = re.compile(r"\*\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
_REFUSED = "; the API server refuses it"


def problems(group: str, kind: str, doc: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Each ``(path, message)`` of what the API server refuses in ``doc`` (its keys as
    strings), a resource of ``group`` and ``kind``, beyond its schema and metadata."""
    if group == "" and kind in ("ConfigMap", "Secret"):
        yield from _data(kind, doc)
    elif group in ("networking.k8s.io", "extensions") and kind == "Ingress":
        spec = doc.get("spec")
        if isinstance(spec, Mapping):
            yield from _hosts(spec)


def _data(kind: str, doc: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """A ConfigMap's or Secret's keys, and the size of what it holds."""
    sections = ("data", "binaryData") if kind == "ConfigMap" else ("data", "stringData")
    sizes: dict[str, int] = {}
    data = doc.get("data")
    for section in sections:
        held = doc.get(section)
        for key, value in held.items() if isinstance(held, Mapping) else ():
            problem = _key_problem(str(key))
            if problem is not None:
                yield (section, key), f"key {str(key)!r} {problem}{_REFUSED}"
            if section == "binaryData" and isinstance(data, Mapping) and key in data:
                yield (section, key), f"key {str(key)!r} is in data too{_REFUSED}"
            size = _size(value, decoded=section == "binaryData" or (
                kind == "Secret" and section == "data"))
            if size is not None:
                sizes[str(key)] = size
    total = sum(sizes.values())
    if total > _MAX_DATA:
        yield ((sections[0],) if sections[0] in doc else ()), (
            f"holds {total} bytes of data, more than the {_MAX_DATA} (1 MiB) a {kind} may "
            f"hold{_REFUSED}")


def _key_problem(key: str) -> str | None:
    """Why ``IsConfigMapKey`` refuses a data key, or None."""
    if len(key) > 253:
        return "is longer than 253 characters"
    if not _KEY.fullmatch(key):
        return "must be made of letters, digits, '-', '_' and '.'"
    if key in (".", ".."):
        return f"must not be {key!r}"
    return "must not start with '..'" if key.startswith("..") else None


def _size(value: Any, decoded: bool) -> int | None:
    """The bytes a data value holds: its base64 decoded (binaryData, a Secret's data), else
    its UTF-8 text; None for what is neither (the schema's finding)."""
    if not isinstance(value, str):
        return None
    if not decoded:
        return len(value.encode("utf-8", "surrogatepass"))
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None


def _hosts(spec: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Each Ingress host, of a rule or of a tls entry, the API server refuses."""
    rules = spec.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else ()):
        host = rule.get("host") if isinstance(rule, Mapping) else None
        if isinstance(host, str) and host:
            yield from _host(("spec", "rules", index, "host"), host, rule_host=True)
    tls = spec.get("tls")
    for index, entry in enumerate(tls if isinstance(tls, list) else ()):
        hosts = entry.get("hosts") if isinstance(entry, Mapping) else None
        for number, host in enumerate(hosts if isinstance(hosts, list) else ()):
            if isinstance(host, str):
                yield from _host(("spec", "tls", index, "hosts", number), host, rule_host=False)


def _host(path: Path, host: str, rule_host: bool) -> Iterator[tuple[Path, str]]:
    if rule_host and _is_ip(host):
        yield path, f"host {host!r} must be a DNS name, not an IP address{_REFUSED}"
    if "*" in host:
        if len(host) > 253 or not _WILDCARD.fullmatch(host):
            yield path, (f"host {host!r} must be a wildcard DNS name: '*.' then a lowercase "
                         f"RFC 1123 subdomain{_REFUSED}")
    elif not is_name(host, DNS1123_SUBDOMAIN):
        yield path, f"host {host!r} must be {DNS1123_SUBDOMAIN.text}{_REFUSED}"


def _is_ip(host: str) -> bool:
    """Whether ``host`` is an IP address as ``netutils.ParseIPSloppy`` reads one: an IPv4
    address's parts may have leading zeros (``010.1.1.1``)."""
    parts = host.split(".")
    if len(parts) == 4 and all(part.isdigit() and part.isascii() for part in parts):
        return all(int(part) <= 255 for part in parts)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
