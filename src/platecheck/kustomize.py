"""Kustomize sources, rendered with the kustomize built into the real kubectl
(``kubectl kustomize``), offline, as Argo CD renders them.

https://argo-cd.readthedocs.io/en/stable/user-guide/kustomize/ and argo-cd
``util/kustomize/kustomize.go``: Argo CD applies the Application's ``kustomize`` fields to the
source's kustomization with ``kustomize edit`` before building. platecheck does the same to
a private copy of the repository (no ``.git``; a symbolic link out of the repository is
refused), so the checked repository is never written:

- ``namePrefix``, ``nameSuffix``, ``namespace``: set (replacing what the file says);
- ``images`` (``[old=]new[:tag|@digest]``), ``replicas``: set, by name;
- ``commonLabels``, ``commonAnnotations``: added over what the file says;
- ``patches``, ``components``: appended.

A kustomization with ``helmCharts`` is built with ``--enable-helm`` and the helm platecheck
uses, when every chart is vendored under its chart home (``charts/`` by default); one that
is not would be downloaded, which an offline render cannot do: a could-not-check error.

Each resource remembers the file it came from (kustomize's ``originAnnotations``, removed
from the output afterwards; a chart that ``helmCharts`` inflates, at the kustomization); the
kustomization files and the Application's ``kustomize`` fields are the values whose lines
findings point at (an image tag set in an overlay points at that overlay's ``newTag``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from platecheck.errors import PlatecheckError
from platecheck.helmbin import helm_major, isolated_environment
from platecheck.helmbin.install import cached_helm
from platecheck.manifests import rel_path
from platecheck.model import RenderedTarget, RenderTarget, Resource
from platecheck.provenance import at, target_origin
from platecheck.resources import expand_list, make_resource
from platecheck.sandbox import run_bounded
from platecheck.sourcetype import kustomization_file
from platecheck.values import Layer, merge_values
from platecheck.yamlio import load_document, load_documents, read_text

ORIGIN = "config.kubernetes.io/origin"
_SET = ("namePrefix", "nameSuffix", "namespace")
_ADD = (("commonLabels", "labels"), ("commonAnnotations", "annotations"))


class Kustomize:
    """``kubectl kustomize`` run on private copies of one repository."""

    def __init__(self, kubectl: Path, root: Path, workdir: Path, timeout: float,
                 helm: Path | None = None, cache_dir: Path | None = None) -> None:
        self.kubectl = kubectl
        self.helm = helm  # for helmCharts of vendored charts (--enable-helm)
        self.cache_dir = cache_dir  # where `platecheck setup` put a Helm 3, if it did
        self.root = root
        self.workdir = workdir
        self.timeout = timeout
        # offline as helm is (sandbox.py); git, which kustomize runs for a remote base, may
        # use no transport at all
        self.env = {**isolated_environment(workdir / "home"), "GIT_ALLOW_PROTOCOL": "none",
                    "GIT_TERMINAL_PROMPT": "0"}

    def render(self, target: RenderTarget) -> RenderedTarget:
        assert target.source_dir is not None
        source = target.source_dir
        found = kustomization_file(source)
        if found is None:
            raise PlatecheckError(f"{rel_path(source, self.root)} has no kustomization.yaml, but "
                                  "the source is a Kustomize source (kustomize:)",
                                  **at(target_origin(target)))
        kustomization = rel_path(found, self.root)
        with tempfile.TemporaryDirectory(dir=self.workdir, prefix="kustomize-") as scratch:
            copy = Path(scratch) / "repo"
            self._copy(copy)
            inner = copy / source.relative_to(self.root)
            edited = inner / found.name
            data = _edited(_mapping(edited, kustomization), target)
            edited.unlink()
            edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            output = self._run(inner, kustomization, self._helm_options(data, inner,
                                                                        kustomization))
        resources, templates = self._resources(output, source, kustomization)
        layers = [_file_layer(found, kustomization)]
        spec = target.source_spec.get("kustomize")
        if isinstance(spec, dict) and target.application is not None:
            app = target.application
            key = next((path for path in app.lines if path[-1:] == ("kustomize",)), None)
            size = len(key) if key else 0
            lines = {path[size:]: line for path, line in app.lines.items()
                     if key and path[:size] == key and len(path) > size}
            layers.append(Layer(spec, app.file, lines, app.line))
        manifest = yaml.safe_dump_all([r.doc for r in resources], sort_keys=False)
        return RenderedTarget(target=target, resources=tuple(resources),
                              values=merge_values(None, layers), manifest=manifest,
                              templates=templates)

    def _copy(self, copy: Path) -> None:
        def ignore(directory: str, names: list[str]) -> list[str]:
            return [name for name in names if name == ".git"]

        shutil.copytree(self.root, copy, symlinks=True, ignore=ignore)
        for current, dirs, files in os.walk(copy):
            for name in [*dirs, *files]:
                path = Path(current) / name
                if path.is_symlink() and not path.resolve().is_relative_to(copy.resolve()):
                    raise PlatecheckError(f"symbolic link to {os.readlink(path)} leads out of "
                                          "the repository; Argo CD refuses it",
                                          path.relative_to(copy).as_posix())

    def _helm_options(self, data: Mapping[str, Any], directory: Path,
                      kustomization: str) -> list[str]:
        """``--enable-helm`` when the kustomization inflates charts, each of which must be
        vendored under its chart home: kustomize would otherwise download it."""
        charts = data.get("helmCharts")
        if not isinstance(charts, list) or not charts:
            return []
        globals_ = data.get("helmGlobals")
        home = str((globals_ if isinstance(globals_, dict) else {}).get("chartHome") or "charts")
        for chart in charts:
            chart = chart if isinstance(chart, dict) else {}
            name, version = str(chart.get("name", "")), chart.get("version")
            places = [directory / home / name]
            if version:
                places.append(directory / home / f"{name}-{version}" / name)
            if not any((place / "Chart.yaml").is_file() for place in places):
                raise PlatecheckError(
                    f"helmCharts {name!r} is not vendored under {home}/ next to the "
                    "kustomization; kustomize would download it, and platecheck renders "
                    "offline", kustomization)
        return ["--enable-helm", f"--helm-command={self._inflation_helm(kustomization)}"]

    def _inflation_helm(self, kustomization: str) -> Path:
        """Helm 3, which Argo CD ships for kustomize's chart inflation: kustomize (5.4, 5.5)
        first runs ``helm version -c --short``, and Helm 4 no longer has ``-c``. The helm
        platecheck renders with when it is Helm 3, else the Helm 3 ``platecheck setup``
        installed (in the given cache, then the per-user one)."""
        if self.helm is not None and helm_major(self.helm) == 3:
            return self.helm
        for cache in dict.fromkeys((self.cache_dir, None)):
            found = cached_helm(3, cache)
            if found is not None:
                return found
        raise PlatecheckError(
            "kustomize's helmCharts need Helm 3 (kustomize runs `helm version -c`, which "
            "Helm 4 removed; Argo CD inflates them with Helm 3), and none was found: run "
            "`platecheck setup --helm-version 3`", kustomization)

    def _run(self, directory: Path, kustomization: str, options: list[str]) -> str:
        try:
            completed = run_bounded([str(self.kubectl), "kustomize", *options, str(directory)],
                                    env=self.env, cwd=self.workdir, timeout=self.timeout)
        except PlatecheckError as exc:
            raise PlatecheckError(f"kubectl kustomize: {exc.message}", kustomization) from None
        if completed.exit_code != 0:
            stderr = completed.stderr.decode("utf-8", "replace")
            message = kubectl_error(stderr).replace(str(directory.parent), "")
            for option in options:
                name, _, value = option.partition("=")
                if name == "--helm-command":
                    message = message.replace(value, "helm")
            message = _HELM_ENV.sub("", message)
            raise PlatecheckError(f"kubectl kustomize failed: {message}", kustomization)
        return completed.stdout.decode("utf-8", "replace")

    def _resources(self, output: str, source: Path, kustomization: str
                   ) -> tuple[list[Resource], dict[str, str]]:
        resources: list[Resource] = []
        templates: dict[str, str] = {}
        for document in load_documents(output, kustomization):
            for doc in expand_list(document.data):
                origin = _pop_origin(doc)
                file = (source / origin).resolve() if origin else None
                rel = rel_path(file, self.root) if file and file.is_relative_to(self.root) \
                    else kustomization
                if rel not in templates:
                    path = self.root / rel
                    templates[rel] = read_text(path, rel)[1] if path.is_file() else ""
                resources.append(make_resource(doc, rel, rel, len(resources)))
        return resources, templates


_KLOG = re.compile(r'^[IWEF]\d{4} [\d:.]+\s+\d+ [^\]]*\] "[^"]*" err=(?P<err>.*)$')
_HELM_ENV = re.compile(r" with env=\[[^\]]*\]")  # kustomize's temporary helm directories


def kubectl_error(stderr: str) -> str:
    """What made ``kubectl kustomize`` fail, as one line. kubectl prints ``error: <cause>``,
    the cause running on over the following lines; kubectl builds that log through klog
    print ``E1202 12:00:00.000000 123 run.go:72] "command failed" err=<``, the cause on the
    following tab-indented lines up to `` >`` (or quoted on the same line)."""
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        match = _KLOG.match(line)
        if match is None:
            continue
        err = match.group("err")
        if err != "<":
            try:
                return _one_line([str(json.loads(err))])
            except ValueError:
                return _one_line([err])
        block = []
        for follow in lines[index + 1:]:
            if follow.strip() == ">":
                break
            block.append(follow)
        return _one_line(block)
    for index, line in enumerate(lines):
        if line.startswith("error:"):
            return _one_line([line[len("error:"):], *lines[index + 1:]])
    return _one_line(lines) or "kubectl failed without a message"


def _one_line(lines: list[str]) -> str:
    text = " ".join(line.strip() for line in lines if line.strip())
    return re.sub(r"\s+:", ":", text).removeprefix("Error: ").removeprefix("error: ")


def _edited(data: dict[str, Any], target: RenderTarget) -> dict[str, Any]:
    """The kustomization after the Application's ``kustomize`` fields, as ``kustomize edit``
    would leave it, asking for origin annotations."""
    spec = target.source_spec.get("kustomize")
    spec = spec if isinstance(spec, dict) else {}
    for key in _SET:
        if isinstance(spec.get(key), str) and spec[key]:
            data[key] = spec[key]
    for key, _ in _ADD:
        if isinstance(spec.get(key), dict) and spec[key]:
            data[key] = {**(data.get(key) or {}), **{str(k): str(v)
                                                      for k, v in spec[key].items()}}
    if isinstance(spec.get("images"), list):
        data["images"] = _by_name(data.get("images"), [_image(str(i)) for i in spec["images"]])
    if isinstance(spec.get("replicas"), list):
        replicas = [{"name": r.get("name"), "count": int(r.get("count", 0))}
                    for r in spec["replicas"] if isinstance(r, dict)]
        data["replicas"] = _by_name(data.get("replicas"), replicas)
    for key in ("patches", "components"):
        if isinstance(spec.get(key), list) and spec[key]:
            data[key] = [*(data.get(key) or []), *spec[key]]
    metadata = data.get("buildMetadata") or []
    data["buildMetadata"] = [*metadata, *(["originAnnotations"]
                                         if "originAnnotations" not in metadata else [])]
    return data


def _image(text: str) -> dict[str, str]:
    """``kustomize edit set image`` syntax: ``[name=]newName[:newTag|@digest]``."""
    name, _, new = text.rpartition("=")
    result: dict[str, str] = {}
    if "@" in new:
        new, _, digest = new.partition("@")
        result["digest"] = digest
    else:
        slash = new.rfind("/")
        colon = new.rfind(":")
        if colon > slash:
            new, result["newTag"] = new[:colon], new[colon + 1:]
    if name and name != new:
        result["newName"] = new
    return {"name": name or new, **result}


def _by_name(existing: Any, updates: list[dict[str, Any]]) -> list[Any]:
    items = [dict(item) for item in existing or [] if isinstance(item, dict)]
    for update in updates:
        match = next((item for item in items if item.get("name") == update.get("name")), None)
        if match is None:
            items.append(update)
        else:
            match.update(update)
    return items


def _mapping(path: Path, rel: str) -> dict[str, Any]:
    data = load_document(read_text(path, rel)[1], rel).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PlatecheckError("a kustomization must be a mapping", rel)
    return data


def _file_layer(path: Path, rel: str) -> Layer:
    document = load_document(read_text(path, rel)[1], rel)
    data = document.data if isinstance(document.data, dict) else {}
    return Layer(data, rel, document.lines, document.line)


def _pop_origin(doc: Mapping[str, Any]) -> str | None:
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return None
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN not in annotations:
        return None
    origin = annotations.pop(ORIGIN)
    if not annotations:
        del metadata["annotations"]
    try:
        parsed = yaml.safe_load(str(origin))
    except yaml.YAMLError:
        return None
    if not isinstance(parsed, dict):
        return None
    # a generated resource (a helmCharts chart) names the kustomization that configured it
    path = parsed.get("path") or parsed.get("configuredIn")
    return path if isinstance(path, str) and "://" not in path else None

