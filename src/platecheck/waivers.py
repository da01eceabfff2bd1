"""Waivers: accepted findings, each with a reason and an expiry date.

``policies/waivers.yaml``::

    waivers:
      - policy: image-tag-pinned          # required: a known policy id
        target: stg/plate-llm             # optional globs narrowing what is waived:
        resource: Deployment/plate-llm    #   target id, Kind/name, container name,
        container: model-server           #   repository-relative file
        file: helm/applications/plate-llm/values-stg.yaml
        reason: model image is rebuilt nightly until the registry supports digests
        expires: 2025-09-30               # required: YYYY-MM-DD, the last day it applies

``resource`` may also be written as findings write it, ``Deployment/plate-llm[model-server]``:
a trailing ``[...]`` is the container, not a glob character class.

Every entry is validated when the file is loaded: a missing or unknown key, an unknown policy,
an empty reason or a malformed date fails with the file and line. When findings are waived, a
matching unexpired waiver marks the finding ``waived`` (it stays in the report); an expired
waiver waives nothing and is itself a ``waiver-expired`` finding; a waiver that matched no
finding is a ``waiver-stale`` finding, so waivers do not outlive their cause.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.globs import matches
from platecheck.model import Finding

REQUIRED_KEYS = ("policy", "reason", "expires")
SELECTOR_KEYS = ("target", "resource", "container", "file")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RESOURCE = re.compile(r"(?P<resource>[^\[]*)(?:\[(?P<container>[^\]]*)\])?")


@dataclass(frozen=True)
class Waiver:
    """One entry of the waivers file."""

    policy: str
    reason: str
    expires: datetime.date  # the last day the waiver applies
    file: str  # the waivers file, repository-relative
    line: int  # the line of the entry
    target: str | None = None  # glob on the target id, e.g. "prod/plate-web"
    resource: str | None = None  # glob on "Kind/name"
    container: str | None = None  # glob on the container name
    path: str | None = None  # glob on the finding's repository-relative file (key ``file``)

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        """Whether the waiver selects the finding, or one of the resources it stands for
        (``Finding.also``)."""
        return any(self.selects(finding, part) for part in (finding.resource, *finding.also))

    def selects(self, finding: Finding, resource: str | None) -> bool:
        """Whether the waiver selects ``resource``, one of those ``finding`` is about."""
        if finding.policy != self.policy:
            return False
        kind_name, container = split_resource(resource)
        selectors = ((self.target, finding.target), (self.resource, kind_name),
                     (self.container, container), (self.path, finding.file))
        return all(glob is None or (value is not None and matches(value, glob))
                   for glob, value in selectors)

    @property
    def describe(self) -> str:
        selectors = [f"{name}={value}" for name, value in (
            ("target", self.target), ("resource", self.resource),
            ("container", self.container), ("file", self.path)) if value is not None]
        return f"{self.policy}" + (f" ({', '.join(selectors)})" if selectors else "")


def split_resource(resource: str | None) -> tuple[str | None, str | None]:
    """``"Deployment/web[nginx]"`` -> ``("Deployment/web", "nginx")``."""
    if resource is None:
        return None, None
    match = _RESOURCE.fullmatch(resource)
    if match is None:
        return resource, None
    return match.group("resource"), match.group("container")


def load_waivers(path: Path, rel: str, policies: Collection[str]) -> tuple[Waiver, ...]:
    """The waivers of ``path`` (``rel`` is its repository-relative name), validated.

    ``policies`` are the ids a waiver may name (configuration passes every policy that is
    not about waivers themselves).
    """
    from platecheck.yamlio import load_document, read_own_text

    known = set(policies)
    _, text = read_own_text(path, rel)
    try:
        document = load_document(text, rel, unique_keys=True)  # platecheck's own file
    except ValueError as exc:  # e.g. an impossible date such as 2025-02-30
        raise PlatecheckError(f"invalid value: {exc}", rel) from None
    data, lines = document.data, document.lines
    if data is None:
        return ()
    if not isinstance(data, Mapping):
        raise PlatecheckError("the waivers file must be a mapping with a 'waivers' list", rel,
                              document.line)
    for key in data:
        if key != "waivers":
            raise PlatecheckError(f"unknown key {key!r} (expected: waivers)", rel,
                                  lines.get((key,), document.line))
    entries = data.get("waivers")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise PlatecheckError("'waivers' must be a list", rel, lines.get(("waivers",)))
    return tuple(_entry(entry, rel, index, lines, known) for index, entry in enumerate(entries))


def _entry(entry: Any, rel: str, index: int, lines: Mapping[tuple[str | int, ...], int],
           known: Collection[str]) -> Waiver:
    line = lines.get(("waivers", index), 1)

    def fail(message: str, key: str | None = None) -> PlatecheckError:
        at = lines.get(("waivers", index, key), line) if key else line
        return PlatecheckError(f"waiver {index + 1}: {message}", rel, at)

    if not isinstance(entry, Mapping):
        raise fail("must be a mapping with policy, reason and expires")
    allowed = (*REQUIRED_KEYS, *SELECTOR_KEYS)
    for key in entry:
        if key not in allowed:
            raise fail(f"unknown key {key!r} (expected one of: {', '.join(allowed)})", key)
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise fail(f"{key!r} is required")
    policy = entry["policy"]
    if not isinstance(policy, str) or policy not in known:
        raise fail(f"unknown policy {policy!r} (known: {', '.join(sorted(known))})", "policy")
    reason = entry["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise fail("reason must be a non-empty text saying why the finding is accepted",
                   "reason")
    expires = _date(entry["expires"])
    if expires is None:
        written = entry["expires"]
        shown = repr(written) if isinstance(written, str) else json.dumps(written, default=str)
        raise fail(f"expires must be a date written YYYY-MM-DD, found {shown}", "expires")
    selectors: dict[str, str | None] = {}
    for key in SELECTOR_KEYS:
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise fail(f"{key} must be a non-empty glob", key)
        selectors["path" if key == "file" else key] = value
    resource = selectors["resource"]
    if resource is not None:
        # ``Deployment/web[nginx]`` as findings write it: the container in brackets, not a
        # glob character class (Kubernetes names have no brackets)
        glob, container = split_resource(resource)
        if container is not None:
            if selectors["container"] is not None:
                raise fail(f"resource {resource!r} names the container {container!r}; give "
                           "it there or in container, not both", "resource")
            if not glob or not container:
                raise fail(f"resource {resource!r}: write Kind/name[container]", "resource")
            selectors["resource"], selectors["container"] = glob, container
    return Waiver(policy=policy, reason=reason.strip(), expires=expires, file=rel, line=line,
                  **selectors)


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Waived:
    """What applying the waivers gives: the findings, each matched by an unexpired waiver
    marked ``waived``; the waivers past their date; the unexpired ones that matched nothing
    (the ``waiver-expired`` and ``waiver-stale`` policies report these two)."""

    findings: tuple[Finding, ...]
    expired: tuple[Waiver, ...]
    stale: tuple[Waiver, ...]


def apply_waivers(findings: Iterable[Finding], waivers: Iterable[Waiver],
                  today: datetime.date, checked_targets: Collection[str] | None = None,
                  repository_targets: Callable[[], Collection[str] | None] | None = None,
                  comparing: Collection[str] = ()) -> Waived:
    """``findings`` with matching unexpired waivers applied (``waived`` set to the reason of
    the first), with the expired waivers and the unexpired waivers that matched nothing.

    ``checked_targets``: the target ids this run checked (``None``: judge every waiver).
    ``repository_targets``: called only when a waiver matched nothing, gives every target id
    of the repository (``None`` when that cannot be told). A run that checked only some of
    them (``--env``, ``--changed-since``, some of the Application files) cannot call a
    waiver stale when a target it did not check could hold the waived finding: a waiver is
    stale only when every target its ``target`` glob selects (every target, without one)
    was checked. ``comparing``: the policies whose finding about one target depends on
    others (env-consistency's counterpart environment): a waiver of one is stale only when
    every target was checked.
    """
    active = list(waivers)
    used: set[int] = set()
    result: list[Finding] = []
    for finding in findings:
        # a finding that stands for several resources is waived when each of them is
        parts = (finding.resource, *finding.also)
        covered = [False] * len(parts)
        first: str | None = None  # the reason of the first unexpired waiver that matched
        for index, waiver in enumerate(active):
            hits = [waiver.selects(finding, part) for part in parts]
            if any(hits):
                used.add(index)  # every matching waiver is in use, not only the one applied
                if not waiver.expired(today):
                    covered = [done or hit for done, hit in zip(covered, hits, strict=True)]
                    first = first if first is not None else waiver.reason
        if finding.waived is None and all(covered):
            finding = dataclasses.replace(finding, waived=first)
        result.append(finding)
    expired = tuple(w for w in active if w.expired(today))
    unused = [w for i, w in enumerate(active) if i not in used and not w.expired(today)]
    if unused and checked_targets is not None:
        checked = set(checked_targets)
        everything = repository_targets() if repository_targets is not None else checked
        unused = [] if everything is None else [
            w for w in unused if (set(everything) if w.policy in comparing else _selected(
                w, set(everything) | checked)) <= checked]
    return Waived(tuple(result), expired, tuple(unused))


def _selected(waiver: Waiver, targets: Collection[str]) -> set[str]:
    """The targets a waiver's ``target`` glob selects (all of them without one)."""
    glob = waiver.target
    return {t for t in targets if glob is None or matches(t, glob)}
