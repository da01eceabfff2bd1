"""Argo CD's Helm options of one Application source, as the fields of its RenderTarget.

Argo CD's ``helmTemplate`` (reposerver/repository/repository.go): release name, namespace,
``--kube-version``, ``--api-versions``, the skip flags, ``helm.version``, the parameters and
file parameters (``--set``, ``--set-string``, ``--set-file``) and the file holding
``values`` or ``valuesObject``. Value files are resolved by ``platecheck.valuefiles``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from platecheck.argocd_env import envsubst
from platecheck.config import Config
from platecheck.discover import raw_at
from platecheck.errors import PlatecheckError
from platecheck.helmargs import (
    HELM_VERSIONS,
    SET,
    SET_FILE,
    SET_STRING,
    escape_commas,
    kube_version,
    unique_last,
)
from platecheck.model import (
    Application,
    HelmParameter,
    HelmSourceSpec,
    KeyPath,
    Origin,
    SetArgument,
)
from platecheck.valuefiles import Resolver
from platecheck.yamlio import line_of


def release_name(app: Application, helm: HelmSourceSpec | None) -> str:
    """``helm.releaseName``, else the Application's name (Argo CD drops the ``<namespace>_``
    of an Application's instance name, which metadata.name never carries)."""
    if helm is not None and helm.release_name:
        return helm.release_name
    return app.name.split("_", 1)[1] if "_" in app.name else app.name


def _kube_version(app: Application, path: KeyPath, written: str | None,
                  cluster: str | None) -> str:
    """The Kubernetes version a source's charts see, as Argo CD passes it: the one the
    source writes (at ``path``), else the cluster's; an unreadable one is an error there."""
    try:
        return kube_version(written or cluster or "")
    except PlatecheckError as exc:
        where = app.origin(path, nearest=False) if written else app.origin(())
        raise PlatecheckError(exc.message, where.file, where.line) from None


def kustomize_versions(app: Application, key: KeyPath, spec: Mapping[str, Any] | None,
                       cluster: Config) -> dict[str, Any]:
    """The Kubernetes and API versions the charts a Kustomize source inflates see: its
    ``kustomize.kubeVersion`` and ``apiVersions``, else the cluster's (Argo CD's
    ``GetKubeVersionOrDefault``; ``kubernetesVersion`` and ``apiVersions`` configured)."""
    kustomize = spec.get("kustomize") if isinstance(spec, Mapping) else None
    kustomize = kustomize if isinstance(kustomize, Mapping) else {}
    written = kustomize.get("kubeVersion")
    kube = _kube_version(app, (*key, "kustomize", "kubeVersion"),
                         written if isinstance(written, str) else None,
                         cluster.kubernetes_version)
    apis = kustomize.get("apiVersions")
    return {"kube_version": kube or None,
            "api_versions": tuple(str(api) for api in apis) if isinstance(apis, list) and apis
            else cluster.cluster_api_versions}


def command_fields(app: Application, key: KeyPath, helm: HelmSourceSpec | None,
                   resolver: Resolver, cluster_kube_version: str | None,
                   cluster_api_versions: tuple[str, ...]) -> dict[str, Any]:
    """The RenderTarget fields that make up the helm command line of source ``key``."""
    helm_key = (*key, "helm")
    namespace = (helm.namespace if helm and helm.namespace else None) \
        or app.destination_namespace or ""
    kube = _kube_version(app, (*helm_key, "kubeVersion"), helm.kube_version if helm else None,
                         cluster_kube_version)
    version = helm.version if helm else ""
    if version not in HELM_VERSIONS:
        where = app.origin((*helm_key, "version"), nearest=False)
        raise PlatecheckError(f"helm version {version!r} is not supported (helm.version: Argo "
                              "CD accepts v3, v4 or nothing)", where.file, where.line)
    return {
        "release_name": release_name(app, helm),
        "namespace": namespace or "default",  # what helm uses without --namespace
        "namespace_flag": bool(namespace),
        "kube_version": kube or None,
        "api_versions": helm.api_versions if helm and helm.api_versions
        else cluster_api_versions,
        "skip_crds": bool(helm and helm.skip_crds),
        "skip_tests": bool(helm and helm.skip_tests),
        "skip_schema_validation": bool(helm and helm.skip_schema_validation),
        "helm_version": version,
        "set_arguments": _set_arguments(app, helm_key, helm, resolver) if helm else (),
        "extra_values": _extra_values(app, helm_key) if helm else None,
    }


def _set_arguments(app: Application, helm_key: KeyPath, helm: HelmSourceSpec,
                   resolver: Resolver) -> tuple[SetArgument, ...]:
    arguments = []
    for index, parameter in enumerate(helm.parameters):
        # a generated Application's parameter its parent's template wrote from the parent's
        # values: there, else at the parameter (at its list when its line is not known)
        at = (*helm_key, "parameters", index)
        origin = app.places.get((*at, "value")) or Origin(
            app.file, line_of(app.lines, (*at, "value"), app.line))
        flag = SET_STRING if parameter.force_string else SET
        value = escape_commas(envsubst(parameter.value, resolver.env))
        arguments.append(SetArgument(flag, parameter.name, value, origin))
    for index, parameter in enumerate(helm.file_parameters):
        arguments.append(file_argument(app, helm_key, index, parameter, resolver))
    return unique_last(arguments)


def file_argument(app: Application, helm_key: KeyPath, index: int, parameter: HelmParameter,
                  resolver: Resolver) -> SetArgument:
    """The ``--set-file`` of the source's ``fileParameters`` entry ``index``; an error at
    the entry when Argo CD cannot follow its reference or helm cannot read the file."""
    line = app.lines.get((*helm_key, "fileParameters", index), app.line)
    try:
        path = resolver.path(parameter.value)
    except PlatecheckError as exc:
        raise PlatecheckError(f"fileParameters {parameter.name!r}: {exc.message}",
                              app.file, line) from None
    if not path.is_file():
        raise PlatecheckError(
            f"fileParameters {parameter.name!r}: {parameter.value!r} "
            f"{'is a directory' if path.is_dir() else 'does not exist'}, so helm's "
            "--set-file cannot read it and Argo CD cannot render this source",
            app.file, line)
    return SetArgument(SET_FILE, parameter.name, escape_commas(str(path)),
                       Origin(app.file, line), path)


def _extra_values(app: Application, helm_key: KeyPath) -> str | None:
    """What Argo CD writes to its values file: ``valuesObject`` (when set it replaces
    ``values``) as JSON, which helm reads as YAML, else ``values`` exactly as written."""
    spec = raw_at(app.raw, helm_key)
    values_object = spec.get("valuesObject")
    if values_object is not None:
        return json.dumps(values_object, ensure_ascii=False, default=str)
    text = spec.get("values")
    return text if isinstance(text, str) and text != "" else None
