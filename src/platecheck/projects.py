"""What an Argo CD AppProject permits, as Argo CD decides it (argo-cd
``pkg/apis/application/v1alpha1/app_project_types.go``: ``IsSourcePermitted``,
``isDestinationMatched``, ``IsGroupKindNamePermitted``; its globs are gobwas/glob's, through
``util/glob``, for repositories and destinations, and Go's ``filepath.Match`` for groups,
kinds and names).

Every answer is ``True`` (permitted), ``False`` (refused, with the reason) or ``None``: what
was written cannot be read exactly (a list that is not a list, a templated value, a cluster
whose other name is not known), so nothing is said.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from platecheck.globs import glob_match, go_match

# https://github.com/argoproj/argo-cd/blob/master/util/git/git.go (sshURLRegex)
_SSH_URL = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")
# what Go's url.Parse and String give back unchanged in a repository URL (lower case)
_PLAIN_URL = re.compile(r"[a-z0-9._~/:@\-*!$&'()+,;=\[\]]*")


@dataclass(frozen=True)
class Verdict:
    """Whether something is permitted: ``permitted`` None when it cannot be told; ``reason``
    says why not."""

    permitted: bool | None
    reason: str = ""


UNKNOWN = Verdict(None)
PERMITTED = Verdict(True)


def normalized_git_url(url: str) -> str | None:
    """Argo CD's ``git.NormalizeGitURL``: lower case, an scp-like SSH URL written as a URL,
    ``.git`` dropped, the scheme ``ssh://`` left out; None for a URL whose text Go's
    ``url.Parse`` and ``String`` could change (escapes, spaces, a query)."""
    url = url.strip().lower()
    if _SSH_URL.match(url) and not url.startswith("ssh://"):
        url = "ssh://" + url.replace(":", "/", 1)
    url = url.removesuffix(".git")
    if not _PLAIN_URL.fullmatch(url):
        return None
    return url.removeprefix("ssh://")


def source_permitted(repos: Any, repo_url: str) -> Verdict:
    """``IsSourcePermitted``: a ``sourceRepos`` entry matches the URL (``/`` a separator)
    and no ``!`` entry's pattern does."""
    repos = [] if repos is None else repos
    if not _strings(repos):
        return UNKNOWN
    source = normalized_git_url(repo_url)
    if source is None:
        return UNKNOWN
    matched = False
    for entry in repos:
        pattern = normalized_git_url(entry.removeprefix("!"))
        if pattern is None:
            return UNKNOWN
        pattern = "!" + pattern if entry.startswith("!") else pattern
        if glob_match(pattern, source, "/"):
            matched = True
        elif pattern.startswith("!"):
            return Verdict(False, f"sourceRepos denies it ({entry})")
    if matched:
        return PERMITTED
    return Verdict(False, "sourceRepos lists no pattern it matches" if repos
                   else "sourceRepos is empty")


@dataclass(frozen=True)
class Cluster:
    """A destination cluster as the Application names it; the other of server and name is
    not known (None) unless written."""

    server: str | None
    name: str | None


def destination_permitted(project: Mapping[str, Any], cluster: Cluster,
                          namespace: str) -> Verdict:
    """``IsDestinationPermitted``: ``isDestinationMatched`` over ``destinations`` (``!``
    entries deny), then ``permitOnlyProjectScopedClusters`` (the project's clusters are not
    known: a match says nothing). The server or name the Application does not write is that
    of a cluster Argo CD knows: an entry whose pattern for it is neither empty nor ``*``
    leaves the answer open unless every way it may match agrees."""
    items = project.get("destinations")
    if items is None:
        items = []
    if not isinstance(items, list) or not all(
            isinstance(item, Mapping) and _strings([item.get(k) or "" for k in
                                                    ("server", "name", "namespace")])
            for item in items):
        return UNKNOWN
    patterns = [(str(i.get("server") or ""), str(i.get("name") or ""),
                 str(i.get("namespace") or "")) for i in items]
    open_ = [i for i, item in enumerate(patterns) if _unknown_match(item, cluster) is None]
    if len(open_) > 8:
        return UNKNOWN
    verdicts = {_matched(patterns, cluster, namespace, dict(zip(open_, guess, strict=True)))
                for guess in product((False, True), repeat=len(open_))}
    if len({v.permitted for v in verdicts}) != 1:
        return UNKNOWN
    verdict = verdicts.pop()
    if verdict.permitted and project.get("permitOnlyProjectScopedClusters") is True:
        return UNKNOWN
    return verdict


def _unknown_match(item: tuple[str, str, str], cluster: Cluster) -> bool | None:
    """Whether the entry's pattern for the field the Application does not write matches the
    cluster's (a name is never empty): known for an empty pattern and ``*``."""
    pattern = item[0] if cluster.server is None else item[1]
    # gobwas' empty pattern matches only the empty string; "!" is its negation
    return {"": False, "!*": False, "*": True, "!": True}.get(pattern)


def _matched(patterns: Sequence[tuple[str, str, str]], cluster: Cluster, namespace: str,
             guesses: Mapping[int, bool]) -> Verdict:
    """``isDestinationMatched``, the unknown field's match of each entry given."""
    anything = False
    for index, (server, name, space) in enumerate(patterns):
        unknown = guesses.get(index, _unknown_match((server, name, space), cluster))
        server_ok = unknown if cluster.server is None else (
            cluster.server != "" and glob_match(server, cluster.server))
        name_ok = unknown if cluster.name is None else (
            cluster.name != "" and glob_match(name, cluster.name))
        space_ok = glob_match(space, namespace)
        if (server_ok or name_ok) and space_ok:
            anything = True
        elif (not name_ok and name.startswith("!")) or (
                not server_ok and server.startswith("!") and space_ok):
            return Verdict(False, f"destinations deny it (server {server!r}, name {name!r}, "
                                  f"namespace {space!r})")
        elif not space_ok and space.startswith("!") and server_ok:
            return Verdict(False, f"destinations deny namespace {namespace!r} ({space})")
    if anything:
        return PERMITTED
    return Verdict(False, "destinations list no entry it matches" if patterns
                   else "destinations is empty")


def group_kind_permitted(project: Mapping[str, Any], group: str, kind: str, name: str,
                         namespaced: bool) -> Verdict:
    """``IsGroupKindNamePermitted``: a namespaced kind is permitted unless
    ``namespaceResourceBlacklist`` lists it and, when ``namespaceResourceWhitelist`` is
    written, only when it lists it; a cluster-scoped one only when ``clusterResourceWhitelist``
    lists it (with its name) and ``clusterResourceBlacklist`` does not. A namespaced
    kind's whitelist written empty (``[]``) permits none, as Argo CD reads it; null or not
    written, all."""
    shown = f"{group}/{kind}" if group else kind
    prefix = "namespace" if namespaced else "cluster"
    allow, deny = (project.get(f"{prefix}ResourceWhitelist"),
                   project.get(f"{prefix}ResourceBlacklist") or [])
    # a namespaced kind's whitelist not written (null) permits all; written empty, none
    restricted = allow is not None or not namespaced
    allow = allow or []
    # only the cluster lists name resources (the namespaced ones are GroupKinds: a name
    # written there is pruned)
    named = "" if namespaced else name
    listed = [_listed(entries, group, kind, named) for entries in (allow, deny)]
    if None in listed:
        return UNKNOWN
    if restricted and not listed[0]:
        return Verdict(False, f"{prefix}ResourceWhitelist does not list {shown}" if allow
                       else f"{prefix}ResourceWhitelist is empty (no {prefix}-scoped resource "
                            "is permitted)")
    if listed[1]:
        return Verdict(False, f"{prefix}ResourceBlacklist lists {shown}")
    return PERMITTED


def _listed(entries: Any, group: str, kind: str, name: str) -> bool | None:
    """``isResourceInList`` / ``isNamedResourceInList``; None when the list does not read."""
    if not isinstance(entries, list) or not all(
            isinstance(e, Mapping) and _strings([e.get(k) or "" for k in ("group", "kind",
                                                                          "name")])
            for e in entries):
        return None
    return any(go_match(str(e.get("kind") or ""), kind)
               and go_match(str(e.get("group") or ""), group)
               and (not name or not e.get("name") or go_match(str(e["name"]), name))
               for e in entries)


def _strings(values: Any) -> bool:
    """A list of plain strings (none a template action left unrendered)."""
    return isinstance(values, list) and all(
        isinstance(v, str) and "{{" not in v for v in values)


def secret_fields(doc: Mapping[str, Any]) -> dict[str, str]:
    """A Secret's ``data`` (base64 decoded, as UTF-8) under its ``stringData``, as the API
    server merges them."""
    fields: dict[str, str] = {}
    data = doc.get("data")
    for key, value in (data.items() if isinstance(data, Mapping) else ()):
        try:
            fields[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
    string_data = doc.get("stringData")
    for key, value in (string_data.items() if isinstance(string_data, Mapping) else ()):
        fields[str(key)] = str(value)
    return fields


SECRET_TYPE = "argocd.argoproj.io/secret-type"


def argo_secrets(resources: Iterable[Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """The type (``argocd.argoproj.io/secret-type``: ``cluster``, ``repository``...) and the
    fields (``secret_fields``) of each Secret among ``resources`` that Argo CD reads."""
    for resource in resources:
        if resource.kind != "Secret":
            continue
        labels = (resource.doc.get("metadata") or {}).get("labels") or {}
        kind = labels.get(SECRET_TYPE) if isinstance(labels, Mapping) else None
        if isinstance(kind, str):
            yield kind, secret_fields(resource.doc)


IN_CLUSTER = "https://kubernetes.default.svc"


def cluster_servers(resources: Iterable[Any]) -> dict[str, str]:
    """Cluster name -> server, of the cluster Secrets among ``resources`` (naming both): how
    Argo CD resolves an Application's ``destination.name``."""
    found: dict[str, str] = {}
    for kind, fields in argo_secrets(resources):
        if kind == "cluster" and fields.get("name") and fields.get("server"):
            found.setdefault(fields["name"], fields["server"])
    return found



def resolved(cluster: Cluster, servers: Mapping[str, str]) -> Cluster:
    """The cluster with the field its Application does not write filled in as Argo CD looks
    it up (``GetDestinationCluster``) before checking it against a project: from the
    repository's cluster Secrets (``servers``, ``cluster_servers``; a server two Secrets
    name stays unknown), else ``in-cluster`` for the server Argo CD runs in (unless a
    Secret names that server). A server is known without a trailing ``/``, as Argo CD keeps
    a cluster's (``secretToCluster``, ``GetClusterByURL``)."""
    cluster = Cluster(cluster.server.rstrip("/") if cluster.server else cluster.server,
                      cluster.name)
    servers = {name: server.rstrip("/") for name, server in servers.items()}
    if cluster.server is None and cluster.name is not None:
        server = servers.get(cluster.name)
        if server is None and cluster.name == "in-cluster" \
                and IN_CLUSTER not in servers.values():
            server = IN_CLUSTER
        return Cluster(server, cluster.name)
    if cluster.name is None and cluster.server is not None:
        names = [n for n, s in servers.items() if s == cluster.server]
        if not names and cluster.server == IN_CLUSTER:
            names = ["in-cluster"]
        return Cluster(cluster.server, names[0] if len(names) == 1 else None)
    return cluster
