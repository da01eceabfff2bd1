"""A manifest document as a ``Resource``: what helm's output, a directory source and a
Kustomize build all become."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platecheck.model import Resource


def applied_objects(document: Any) -> list[Mapping[str, Any]]:
    """The objects of a manifest document (the items of a ``...List``) that Argo CD applies:
    not the hooks no sync runs (``never_applied``)."""
    if not isinstance(document, dict):
        return []  # empty documents and comments
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(document.get("items"),
                                                                      list):
        objects = [item for item in document["items"] if isinstance(item, dict)]
    else:
        objects = [document]
    return [obj for obj in objects if not never_applied(obj)]


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
