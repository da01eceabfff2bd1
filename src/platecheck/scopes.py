"""Whether a kind is cluster-scoped: its objects have no namespace, so Argo CD gives them none
(``NormalizeTargetObjects`` in argo-cd ``controller/state.go`` sets the destination namespace
only on kinds the cluster reports as namespaced, or does not know).

The kinds are data, in ``platecheck/data/cluster-scoped-kinds.json``: under ``kubernetes``,
every built-in kind of Kubernetes 1.31 whose API paths name no namespace (its OpenAPI
specification, every group and version the API server serves, alpha ones included); under
``custom``, the cluster-scoped kinds of projects whose schemas platecheck ships, for a
repository that deploys them without their CustomResourceDefinitions. A
CustomResourceDefinition the repository holds says its kind's scope (``spec.scope``) first.
``platecheck/data/namespaced-kinds.json`` lists the other built-in kinds of Kubernetes 1.31,
from the same specification: those whose API paths name a namespace (``/namespaces/
{namespace}/<resource>``, subresources aside).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from platecheck.model import CrdSchema

KINDS = Path(__file__).resolve().parent / "data" / "cluster-scoped-kinds.json"


def _kinds(file: Path) -> frozenset[tuple[str, str]]:
    """The (group, kind) pairs ``file`` lists, by group under each of its sections."""
    sections = json.loads(file.read_text(encoding="utf-8"))
    return frozenset((group, kind) for groups in sections.values()
                     for group, kinds in groups.items() for kind in kinds)


CLUSTER_SCOPED = _kinds(KINDS)
NAMESPACED = _kinds(KINDS.with_name("namespaced-kinds.json"))


def crd_scopes(crds: Iterable[CrdSchema]) -> dict[tuple[str, str], bool]:
    """(group, kind) -> whether the repository's CustomResourceDefinition makes it
    cluster-scoped."""
    return {(crd.group, crd.kind): crd.scope == "Cluster" for crd in crds}


def cluster_scoped(api_version: str, kind: str,
                   crds: dict[tuple[str, str], bool]) -> bool | None:
    """Whether ``kind`` of ``api_version`` is cluster-scoped: by the repository's CRD of it
    (``crds``, from ``crd_scopes``), else True for a kind listed cluster-scoped, else None
    (namespaced, or a kind not known)."""
    group = api_version.rpartition("/")[0]
    return crds.get((group, kind), True if (group, kind) in CLUSTER_SCOPED else None)

# namespaced kinds whose scope is known: Kubernetes' own (1.31) and Argo CD's
KNOWN_NAMESPACED = NAMESPACED | {("argoproj.io", "Application"),
                                 ("argoproj.io", "ApplicationSet"), ("argoproj.io", "AppProject")}


def namespaced(api_version: str, kind: str, crds: dict[tuple[str, str], bool]) -> bool | None:
    """Whether ``kind`` of ``api_version`` is namespaced: by the repository's CRD of it,
    else as Kubernetes and Argo CD define their kinds; None for a kind not known (its CRD
    comes from elsewhere: its scope is the cluster's to say)."""
    scoped = cluster_scoped(api_version, kind, crds)
    if scoped is not None:
        return not scoped
    return True if (api_version.rpartition("/")[0], kind) in KNOWN_NAMESPACED else None
