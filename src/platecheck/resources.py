"""A manifest document as a ``Resource``: what helm's output, a directory source and a
Kustomize build all become."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import Resource


def applied_objects(document: Any) -> list[Mapping[str, Any]]:
    """The objects of a manifest document that Argo CD applies (``applied_items``)."""
    return [obj for _, obj in applied_items(document)]


def applied_items(document: Any) -> list[tuple[int | None, Mapping[str, Any]]]:
    """The objects of a manifest document that Argo CD applies, each with its index in the
    document's ``items`` (None: the document itself), as its ``GenerateManifests`` takes
    them: the items of any object whose ``items`` is a list (``Unstructured.IsList`` looks
    at nothing else), none of an object whose ``items`` is null and that has no ``spec`` or
    ``status`` (``isNullList``), and not the hooks no sync runs (``never_applied``) nor the
    kinds Argo CD always excludes (``excluded``). An item that is not an object fails Argo
    CD's render (``EachListItem``): a PlatecheckError, which the caller places."""
    if not isinstance(document, dict):
        return []  # empty documents and comments
    items = document.get("items")
    objects: list[tuple[int | None, Any]]
    if isinstance(items, list):
        objects = list(enumerate(items))
        if not all(isinstance(item, dict) for _, item in objects):
            raise PlatecheckError("an item of a List is not an object (items member is not "
                                  "an object); Argo CD cannot render this source")
    elif "items" in document and items is None and "spec" not in document \
            and "status" not in document:
        objects = []  # a null list: dropped
    else:
        objects = [(None, document)]
    return [(index, obj) for index, obj in objects
            if not never_applied(obj) and not excluded(obj)]


# (API group, kind) Argo CD excludes whatever its settings (util/settings/resources_filter.go
# coreExcludedResources); a kind of None: every kind of the group
_EXCLUDED = frozenset({("events.k8s.io", None), ("metrics.k8s.io", None), ("", "Event"),
                       ("coordination.k8s.io", "Lease")})


def excluded(obj: Mapping[str, Any]) -> bool:
    """Whether Argo CD leaves ``obj`` out of what it applies whatever its settings: Events,
    Leases and every kind of events.k8s.io and metrics.k8s.io, which its controller drops
    from the rendered objects with an ExcludedResourceWarning (``IsExcludedResource`` in
    controller/state.go)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return False
    group = api_version.rpartition("/")[0]
    return (group, None) in _EXCLUDED or (group, kind) in _EXCLUDED


ARGO_HOOK = "argocd.argoproj.io/hook"
HELM_HOOK = "helm.sh/hook"
_SYNC_PHASES = frozenset({"PreSync", "Sync", "PostSync", "SyncFail"})
_HELM_PHASES = {"pre-install": "PreSync", "pre-upgrade": "PreSync",
                "post-install": "PostSync", "post-upgrade": "PostSync"}
# the hooks Argo CD runs when an Application is deleted
_DELETE_HOOKS = {ARGO_HOOK: frozenset({"PreDelete", "PostDelete"}),
                 HELM_HOOK: frozenset({"pre-delete", "post-delete"})}


def never_applied(obj: Mapping[str, Any]) -> bool:
    """Whether Argo CD never creates ``obj``: a hook that runs in no sync phase and on no
    deletion, as gitops-engine decides (``pkg/sync/hook``, ``syncPhases``) and Argo CD's
    controller for deletion hooks (``controller/hook.go``). A Helm hook is one unless it is
    ``crd-install``; Argo CD maps only pre/post-install and pre/post-upgrade onto sync
    phases, so Helm's test hooks (``test``, ``test-success``, ``test-failure``) and
    rollback hooks are never applied, and neither is an ``argocd.argoproj.io/hook: Skip``."""
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or not (ARGO_HOOK in annotations
                                                 or HELM_HOOK in annotations):
        return False
    argo = _csv(annotations.get(ARGO_HOOK))
    types = [t for t in argo if t in _SYNC_PHASES or t == "Skip"]
    if ARGO_HOOK not in annotations and str(annotations[HELM_HOOK]) == "crd-install":
        return False  # no hook: a CRD, applied as any resource
    if not types:  # Helm's hooks count only without an Argo CD one
        types = [_HELM_PHASES[t] for t in _csv(annotations.get(HELM_HOOK))
                 if t in _HELM_PHASES]
    if any(t in _SYNC_PHASES for t in types):
        return False
    return not any(t in names for key, names in _DELETE_HOOKS.items()
                   for t in _csv(annotations.get(key)))


def _csv(value: Any) -> list[str]:
    return [] if value is None else [t.strip() for t in str(value).split(",") if t.strip()]


def make_resource(doc: Mapping[str, Any], template: str | None, template_file: str | None,
              index: int, line: int | None = None, *,
              generated_name: str | None = None) -> Resource:
    metadata = doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    namespace, name = metadata.get("namespace"), metadata.get("name")
    if isinstance(name, bool):  # (``name: no``: shown as YAML and Go write it)
        name = "true" if name else "false"
    return Resource(
        api_version=str(doc.get("apiVersion", "")),
        kind=str(doc.get("kind", "")),
        name=str(name) if name is not None else "",  # ``name:`` with no value is none
        namespace=str(namespace) if namespace is not None else None,
        doc=doc,
        template=template,
        template_file=template_file,
        index=index,
        line=line,
        generated_name=generated_name,
    )
