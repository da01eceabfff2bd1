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

A build that reads a kustomization with ``helmCharts`` (the source's own, or one it lists
under ``resources``, ``bases`` or ``components``) is built with ``--enable-helm`` and the
helm platecheck uses, when every chart is vendored under its chart home (``charts/`` by
default, next to the kustomization that names it); one that is not would be downloaded,
which an offline render cannot do: a could-not-check error.

Each resource remembers the file it came from (kustomize's ``originAnnotations``, removed
from the output afterwards; a chart that ``helmCharts`` inflates, at the kustomization; a
generator's ConfigMap or Secret, at its entry there, known also by its name without the hash
kustomize appends, ``kustomize_generators``); the kustomization files and the Application's
``kustomize`` fields are the values whose lines findings point at (an image tag set in an
overlay points at that overlay's ``newTag``), with the values a ``helmCharts`` entry gives
its chart, wherever written (``kustomize_values.chart_values_inlined``).

Builds run through the render cache and at most ``jobs`` at once, as helm renders do; a
build's key covers the kubectl binary, the edited kustomization, the build options and every
file the build reads (``build_parts``: the directories of the kustomization and its local
resources, bases, components and plugins, the chart homes, the files outside them a
kustomization names), and the build runs on a copy of those alone (of their regular files
and links: a named pipe there is left out, an error at it only when the build wants it).

argocd-cm's ``kustomize.buildOptions`` that platecheck follows (configuration key
``kustomizeBuildOptions``) is ``--load-restrictor LoadRestrictionsNone``: a build may then
read any file, so it runs in a root directory holding the repository's copy, kubectl and
helm alone (``sandbox.confined_root``), where a path out of the repository (``../..``, an
absolute one) leads nowhere, and its key covers the whole repository.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import stat
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from platecheck.cache import Digest, HelmResult, RenderCache, code_digest, directory_digest
from platecheck.errors import PlatecheckError
from platecheck.goyaml import GoDumper
from platecheck.helmbin import helm_major, helm_version, isolated_environment
from platecheck.helmbin.install import cached_helm
from platecheck.kustomize_edit import application_images, edited
from platecheck.kustomize_errors import (
    HELM_ENV,
    PLUGIN_REMEDY,
    REMOTE_REMEDY,
    duplicate_key_file,
    failing_entry,
    fetched_entry,
    kubectl_error,
    plugin_entry,
    remote_entry,
    schema_reference,
)
from platecheck.kustomize_generators import generated
from platecheck.kustomize_patches import PatchSource, kind_name, patch_layers, read_source
from platecheck.kustomize_tree import (
    KustomizeCall,
    build_parts,
    build_tree,
    chart_directory,
    file_layer,
    listed_files,
    reachable_root,
)
from platecheck.kustomize_values import (
    accumulated,
    appended,
    chart_values_inlined,
    entries_by_name,
    images_by_name,
    settings,
)
from platecheck.manifests import rel_path
from platecheck.model import (
    Application,
    KeyPath,
    RenderedTarget,
    RenderTarget,
    Resource,
)
from platecheck.provenance import at, target_origin
from platecheck.realpaths import resolve
from platecheck.render import HelmStats
from platecheck.resources import applied_items, make_resource
from platecheck.sandbox import bounded_map, run_bounded
from platecheck.sourcetype import kustomization_file
from platecheck.submodules import REMEDY, held_message, named_in
from platecheck.values import Layer, merge_values
from platecheck.walk import copy_tree, rglob, temporary_directory, walk
from platecheck.yamlio import (
    Document,
    below,
    first_document,
    load_document,
    load_documents,
    read_bytes,
    read_text,
    remembered_text,
)

ORIGIN = "config.kubernetes.io/origin"


UNRESTRICTED = "--load-restrictor=LoadRestrictionsNone"
# kubectl's built-in kustomize has no release stamped in: the label ``managedByLabel`` asks
# for says ``kustomize-(devel)``, which is no label value the API server takes; a released
# kustomize, Argo CD's, writes its version (api/internal/builtins ``buildMetadata``,
# provenance ``Semver``): the one kubectl 1.31 builds in
_DEVEL_MANAGED_BY = re.compile(r"^(\s*app\.kubernetes\.io/managed-by: kustomize-)\(devel\)$",
                               re.MULTILINE)
KUSTOMIZE_RELEASE = "v5.4.2"
_CONFINED_COPY = "platecheck-repository"  # the copy's directory in a confined build's root
# kustomize's load restrictor refusing a file outside the kustomization's directory
_RESTRICTED = "is not in or below"
LOAD_RESTRICTOR_REMEDY = (
    "kustomize's default load restrictor refuses a file outside the kustomization's "
    "directory, and so does Argo CD unless argocd-cm's kustomize.buildOptions says "
    "--load-restrictor LoadRestrictionsNone: if it does, set kustomizeBuildOptions to the "
    "same value in policies/platecheck.yaml; else move the file into the kustomization's "
    "directory, or list the directory holding it as a resource or component (a "
    "kustomization of its own).")


class Kustomize:
    """``kubectl kustomize`` run on private copies of one repository, several at once, each
    result kept in the render cache (failed builds too) under a key over the kubectl binary,
    the build options and every file the kustomization can read."""

    def __init__(self, kubectl: Path, root: Path, workdir: Path, timeout: float,
                 helm: Path | None = None, cache_dir: Path | None = None, *,
                 cache: RenderCache | None = None, jobs: int = 1,
                 build_options: Sequence[str] | None = None) -> None:
        self.kubectl = kubectl
        # kustomizeBuildOptions, as kubectl options (--enable-helm is added where charts are
        # inflated); configured without --enable-helm, Argo CD's builds inflate no chart
        self.build_options = tuple(o for o in build_options or () if o != ENABLE_HELM)
        self.helm_enabled = build_options is None or ENABLE_HELM in build_options
        self.unrestricted = UNRESTRICTED in self.build_options
        self._binaries: dict[Path, Path] = {}  # a binary -> its link in the confined builds'
        self._binaries_lock = threading.Lock()
        self.helm = helm  # for helmCharts of vendored charts (--enable-helm)
        self.cache_dir = cache_dir  # where `platecheck setup` put a Helm 3, if it did
        self.root = root
        self.workdir = workdir
        self.timeout = timeout
        self.cache = cache
        self.jobs = jobs
        self.stats = HelmStats()
        # offline as helm is (sandbox.py); git, which kustomize runs for a remote base, may
        # use no transport at all
        self.env = {**isolated_environment(workdir / "home"), "GIT_ALLOW_PROTOCOL": "none",
                    "GIT_TERMINAL_PROMPT": "0"}

    def render(self, target: RenderTarget) -> RenderedTarget:
        [result] = self.render_all([target])
        if isinstance(result, PlatecheckError):
            raise result
        return result

    def render_all(self, targets: Sequence[RenderTarget]
                   ) -> list[RenderedTarget | PlatecheckError]:
        """Each target rendered (or why not), in order; cached results first, the others at
        most ``jobs`` at once."""
        calls: list[KustomizeCall | PlatecheckError] = []
        for target in targets:
            try:
                calls.append(self.call(target))
            except PlatecheckError as exc:
                calls.append(exc)
        unique = {c.key: c for c in calls if isinstance(c, KustomizeCall)}
        answers: dict[str, HelmResult | PlatecheckError] = {}
        for key in unique:
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                self.stats.cache_hits += 1
                answers[key] = hit
        missing = [call for key, call in unique.items() if key not in answers]
        answers.update(zip((c.key for c in missing),
                           bounded_map(self._build, missing, self.jobs), strict=True))
        results: list[RenderedTarget | PlatecheckError] = []
        for call in calls:
            if isinstance(call, PlatecheckError):
                results.append(call)
                continue
            try:
                results.append(self._rendered(call, answers[call.key]))
            except PlatecheckError as exc:
                results.append(exc)
        return results

    def call(self, target: RenderTarget) -> KustomizeCall:
        assert target.source_dir is not None
        source = target.source_dir
        found = kustomization_file(source)
        if found is None:
            raise PlatecheckError(f"{rel_path(source, self.root)} has no kustomization.yaml, but "
                                  "the source is a Kustomize source (kustomize:)",
                                  **at(target_origin(target)))
        kustomization = rel_path(found, self.root)
        data = edited(_mapping(found, kustomization), target, self.root)
        reached, tree = build_tree(source, self.root, data)  # the Application's components too
        read = tuple(tree[1:])
        nested = [(tree_data, directory, rel_path(file, self.root))
                  for directory, file, tree_data in read]
        options = [*self.build_options,
                   *self._helm_options([(data, source, kustomization), *nested], target)]
        digest = Digest("kustomize-edited-apart")  # (before: one Application's edits could
        # reach another's build of the same kustomization, and be kept under its key)
        digest.add(_binary_digest(self.kubectl))
        digest.add(json.dumps(data, sort_keys=True, default=str))
        digest.extend(f"helm {helm_version(Path(o.partition('=')[2]))}"
                      if o.startswith("--helm-command=") else o for o in options)
        # the chart homes of inflated charts are read too, wherever they are
        homes = self._chart_homes([(data, source, kustomization), *nested])
        parts = (self.root,) if self.unrestricted else build_parts(reached, homes)
        reach = reachable_root(set(parts))
        digest.add(rel_path(source, self.root))
        for part in parts:  # (a file outside them a build of kustomize's restrictor reads
            # not: it changes nothing; one a kustomization names is a part)
            digest.extend((rel_path(part, self.root),
                           directory_digest(part, within=self.root, links=True)))
        call = KustomizeCall(target, found, kustomization, data, tuple(options),
                             digest.hexdigest(), read, reach, parts)
        fetched = fetched_entry(call, self.root)
        if fetched is not None:  # (refused before the build: no build reaches the network)
            entry, file, line = fetched
            raise PlatecheckError(f"{entry!r} is remote: kustomize fetches it over the "
                                  "network, which platecheck does not use", file, line,
                                  REMOTE_REMEDY)
        return call

    def _build(self, call: KustomizeCall) -> HelmResult | PlatecheckError:
        """``kubectl kustomize`` on a private copy, its output made portable (no path of the
        copy or of the helm it ran) and kept in the cache whatever its exit code. One that
        fails is built again without the origin annotations platecheck asked for, whose
        lines shift the lines kustomize's error names: the error is Argo CD's."""
        try:
            result = self._run(call, call.data)
            again, plain = _without_asked_origin(call) if result.exit_code != 0 \
                else (False, None)
            if again:
                result = result._replace(stderr=self._run(call, plain).stderr)
        except PlatecheckError as exc:
            return PlatecheckError(f"kubectl kustomize: {exc.message}", exc.file
                                   or call.kustomization, exc.line)
        self.stats.renders += 1
        if self.cache is not None:
            self.cache.put(call.key, result)
        return result

    def _run(self, call: KustomizeCall, data: dict[str, Any] | None) -> HelmResult:
        """One build of a private copy, its kustomization written as ``data`` (None: as the
        repository writes it)."""
        assert call.target.source_dir is not None
        with temporary_directory("kustomize-", self.workdir) as scratch:
            confined = Path(scratch) if self.unrestricted else None
            copy = Path(scratch) / (_CONFINED_COPY if confined else "repo")
            self._copy(copy, call.parts)
            inner = copy / call.target.source_dir.relative_to(self.root)
            if data is not None:
                edited = inner / call.found.name
                edited.unlink()
                edited.write_text(yaml.dump(data, Dumper=GoDumper, sort_keys=False),
                                  encoding="utf-8")
            if confined is None:
                argv, env, seen = [str(self.kubectl), "kustomize", *call.options,
                                   str(inner)], self.env, copy
            else:
                argv, env = self._confined(confined, call.options, inner)
                seen = Path("/", _CONFINED_COPY)
            completed = run_bounded(argv, env=env, cwd=self.workdir, timeout=self.timeout,
                                    root=confined)
        return HelmResult(completed.exit_code, *(
            self._portable(stream.decode("utf-8", "replace"), seen, call.options)
            for stream in (completed.stdout, completed.stderr)))

    def _confined(self, root: Path, options: Sequence[str], inner: Path
                  ) -> tuple[list[str], dict[str, str]]:
        """The command and environment of a build in ``root`` alone: kubectl and helm linked
        into its ``bin/``, an empty home, ``tmp/`` and a ``dev/null`` (a regular file: Go
        starts helm with it as standard input)."""
        for sub in ("bin", "tmp", "dev"):
            (root / sub).mkdir()
        (root / "dev" / "null").touch()
        outside = isolated_environment(root / "home")
        env = {name: ("/" + str(Path(value).relative_to(root))
                      if Path(value).is_absolute() and Path(value).is_relative_to(root)
                      else value) for name, value in outside.items()}
        env.update(PATH="/bin", TMPDIR="/tmp")
        os.link(self._binary(self.kubectl), root / "bin" / "kubectl")
        inside = []
        for option in options:
            name, _, value = option.partition("=")
            if name == "--helm-command":
                os.link(self._binary(Path(value)), root / "bin" / "helm")
                option = "--helm-command=/bin/helm"
            inside.append(option)
        return (["/bin/kubectl", "kustomize", *inside,
                 "/" + str(inner.relative_to(root))], env)

    def _binary(self, path: Path) -> Path:
        """``path`` linked (else copied) once into this run's directory, whence every
        confined build links it (same file system, so a link always works)."""
        with self._binaries_lock:
            if path not in self._binaries:
                linked = self.workdir / "confined-bin" / str(len(self._binaries))
                linked.parent.mkdir(exist_ok=True)
                try:
                    os.link(path.resolve(), linked)
                except OSError:
                    shutil.copy2(path.resolve(), linked)
                self._binaries[path] = linked
            return self._binaries[path]

    def _portable(self, text: str, copy: Path, options: Sequence[str]) -> str:
        text = text.replace(f"{copy}{os.sep}", "").replace(str(copy), ".")
        for option in options:
            name, _, value = option.partition("=")
            if name == "--helm-command":
                text = text.replace(value, "helm")
        return HELM_ENV.sub("", text).replace(str(self.workdir),
                                               "<platecheck temporary directory>")

    def _rendered(self, call: KustomizeCall, result: HelmResult | PlatecheckError
                  ) -> RenderedTarget:
        if isinstance(result, PlatecheckError):
            raise result
        if result.exit_code != 0:
            raise self._failure(call, kubectl_error(result.stderr))
        target = call.target
        assert target.source_dir is not None
        # the kustomization and those it lists, each read once, highest precedence first
        read = [read_source(directory, file, self.root) for directory, file in (
            (target.source_dir, call.found), *((d, f) for d, f, _ in call.nested))]
        written = read[0].document.data
        asked = written.get("buildMetadata") if isinstance(written, dict) else None
        keep_origin = isinstance(asked, list) and "originAnnotations" in asked
        output = _DEVEL_MANAGED_BY.sub(rf"\g<1>{KUSTOMIZE_RELEASE}", result.stdout)
        resources, templates = self._resources(  # the origin annotation stays where asked
            output, target.source_dir, call.kustomization, keep_origin)
        inflated = self._chart_templates(call, templates)
        # deepest first: a base's or component's ``images`` say where a tag was set when the
        # source's own do not (lists replace: the source's win)
        images: dict[str, str] = {}  # (entries_by_name: each image's key, by its name)
        layers = [entries_by_name(Layer(
            settings(source.document.data), source.file, source.document.lines,
            source.document.line), images) for source in reversed(read)]
        spec = target.source_spec.get("kustomize")
        application = None
        if isinstance(spec, dict) and target.application is not None:
            app = target.application
            # (an override file may write the ``kustomize`` the Application does not)
            key = next((path for path in app.lines if path[-1:] == ("kustomize",)), None) \
                or next((path[:path.index("kustomize") + 1] for path in app.places
                         if "kustomize" in path), None)
            lines = below(app.lines, key) if key else {}
            layers.append(entries_by_name(application_images(Layer(
                spec, app.file, lines, app.line, below(app.places, key) if key else {})),
                images))
            application = self._application_patches(app, spec, lines, target.source_dir)
            if application is not None:
                read.insert(0, application)  # applied after the kustomization's own
        manifest = _manifest(resources, output, keep_origin)
        values = accumulated(merge_values(None, layers), layers)
        if isinstance(spec, dict) and target.application is not None:
            values = appended(merge_values(None, layers[:-1]), values, spec)
        values = images_by_name(chart_values_inlined(values, self.root))
        return RenderedTarget(target=target, resources=tuple(resources),
                              values=values, manifest=manifest,
                              templates=templates, patches=patch_layers(read, self.root),
                              inflated=inflated)

    def _failure(self, call: KustomizeCall, reason: str) -> PlatecheckError:
        """The error of a build that failed with kubectl's ``reason``, at the entry or file
        it names."""
        remote = remote_entry(call, reason, self.root)
        if remote is not None:
            entry, file, line = remote
            return PlatecheckError(f"{entry!r} is remote: kustomize fetches it over the "
                                   "network, which platecheck does not use", file, line,
                                   REMOTE_REMEDY)
        plugin = plugin_entry(call, reason, self.root)
        if plugin is not None:
            return PlatecheckError(f"kubectl kustomize failed: {reason}", *plugin,
                                   PLUGIN_REMEDY)
        special = _not_regular(call.parts, self.root, reason)
        if special is not None:
            return special
        duplicate = duplicate_key_file(call, reason, self.root)
        if duplicate is not None:
            return PlatecheckError(f"kubectl kustomize failed: {reason}", *duplicate,
                                   "Write the key once: kustomize refuses a mapping that "
                                   "has it twice.")
        file, line = failing_entry(call, reason, self.root)
        module = named_in(self.root, reason)
        if module is not None:
            return PlatecheckError(held_message("a path it reads", module)
                                   + f": kubectl kustomize failed: {reason}", file, line, REMEDY)
        return PlatecheckError(f"kubectl kustomize failed: {reason}", file, line,
                               LOAD_RESTRICTOR_REMEDY if _RESTRICTED in reason else None)

    def _application_patches(self, app: Application, spec: Mapping[str, Any],
                             lines: Mapping[KeyPath, int], source: Path) -> PatchSource | None:
        """The Application's own ``kustomize.patches``, where its file writes them (not one
        a render generated: its lines are the rendered text's)."""
        if not spec.get("patches") or app.deployed_by is not None:
            return None
        try:
            raw = read_text(self.root / app.file, app.file)[1].splitlines()
        except PlatecheckError:
            return None
        return PatchSource(source, app.file, Document(spec, lines, app.line), raw)

    def _copy(self, copy: Path, parts: Sequence[Path]) -> None:
        """The repository copied to ``copy`` (its ``.git`` left out), or, when a build reads
        only ``parts`` (``build_parts``) and no link there leads out of them, those alone, at
        their places under ``copy``: a build of one overlay in a large repository copies that
        overlay and its bases, not every file."""
        for part in _copied(parts, self.root):
            target = copy / part.relative_to(self.root)
            if not os.path.lexists(part):
                continue  # a path a kustomization names that is not there: kustomize says so
            if part.is_dir():
                copy_tree(part, target, _copy_regular, lambda name: name == ".git")
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy_regular(part, target)
        top = Path(os.path.realpath(copy))
        for current, dirs, files in walk(copy):
            for name in [*dirs, *files]:
                path = Path(current) / name
                if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(top):
                    raise PlatecheckError(f"symbolic link to {os.readlink(path)} leads out of "
                                          "the repository; Argo CD refuses it",
                                          path.relative_to(copy).as_posix())

    def _chart_homes(self, kustomizations: Sequence[tuple[Mapping[str, Any], Path, str]]
                     ) -> list[Path]:
        """The chart homes the kustomizations (data, directory, file) inflate charts from.
        A chart home, or a chart in it, outside the repository (an absolute path, one that
        ``..`` or a symbolic link leads out) is an error at its entry: kustomize reads it
        from wherever it is, with no load restrictor, so a build would inflate a chart of
        the machine, not of the repository."""
        homes = []
        top = resolve(self.root)
        for data, directory, kustomization in kustomizations:
            for inflated in inflated_charts(data, directory, kustomization, self.root):
                home = Path(os.path.normpath(directory / inflated.home))
                chart = Path(os.path.normpath(
                    directory / chart_directory(inflated.home, inflated.chart)))
                if any(os.path.isabs(inflated.home) or not path.is_relative_to(self.root)
                       or not resolve(path).is_relative_to(top) for path in (home, chart)):
                    file, line = inflated.where(self.root)
                    raise PlatecheckError(
                        f"chart home {inflated.home!r} (chart "
                        f"{str(inflated.chart.get('name', ''))!r}) leads out of the "
                        "repository; platecheck inflates only charts of the repository, and "
                        "kustomize would read this one from wherever it is", file, line)
                _no_schema_reference(chart, self.root)
                homes.append(home)
        return homes

    def _chart_templates(self, call: KustomizeCall, templates: dict[str, str]
                         ) -> dict[str, tuple[str, ...]]:
        """The templates (of ``templates/``) of the charts each kustomization the build
        reads inflates, those inside the repository, their texts added to ``templates``:
        kustomize's output names the kustomization, not the template helm rendered."""
        assert call.target.source_dir is not None
        found: dict[str, list[str]] = {}
        for data, directory, kustomization in [
                (call.data, call.target.source_dir, call.kustomization),
                *((d, path, rel_path(file, self.root)) for path, file, d in call.nested)]:
            for inflated in inflated_charts(data, directory, kustomization, self.root):
                chart = Path(os.path.normpath(
                    directory / chart_directory(inflated.home, inflated.chart))) / "templates"
                if not inflated.chart.get("name") or not chart.is_dir():
                    continue
                for path in sorted(p for p in rglob(chart) if p.is_file()):
                    if not path.resolve().is_relative_to(self.root.resolve()):
                        continue
                    rel = rel_path(path, self.root)
                    try:
                        templates.setdefault(rel, read_text(path, rel)[1])
                    except PlatecheckError:
                        continue
                    found.setdefault(inflated.file, []).append(rel)
        return {file: tuple(rels) for file, rels in found.items()}

    def _helm_options(self, kustomizations: Sequence[tuple[Mapping[str, Any], Path, str]],
                      target: RenderTarget) -> list[str]:
        """``--enable-helm`` when a kustomization the build reads (data, directory, file)
        inflates charts (``helmCharts``, or a ``HelmChartInflationGenerator`` among its
        ``generators``), each of which must be vendored under its chart home: kustomize
        would otherwise download it. With it, as Argo CD passes them, the Kubernetes version
        and API versions the charts see (the Application's ``kustomize.kubeVersion`` and
        ``apiVersions``, else the configured ones). Build options configured without
        ``--enable-helm`` fail the build, at the first chart's entry, as Argo CD's does."""
        inflating = None
        for data, directory, kustomization in kustomizations:
            for inflated in inflated_charts(data, directory, kustomization, self.root):
                if not self.helm_enabled:  # kustomize refuses it before it looks for charts
                    raise PlatecheckError(
                        "kustomizeBuildOptions (argocd-cm's kustomize.buildOptions) has no "
                        "--enable-helm (or sets it false), so Argo CD's build of this chart "
                        "fails (trouble "
                        "configuring builtin HelmChartInflationGenerator)",
                        *inflated.where(self.root))
                inflating = inflating or kustomization
                name = str(inflated.chart.get("name", ""))
                chart = chart_directory(inflated.home, inflated.chart)
                if not (directory / chart / "Chart.yaml").is_file():
                    raise _not_vendored(name, chart, inflated, self.root)
        if inflating is None:
            return []
        return [ENABLE_HELM, f"--helm-command={self._inflation_helm(inflating)}",
                *([f"--helm-kube-version={target.kube_version}"] if target.kube_version
                  else []),
                *(f"--helm-api-versions={api}" for api in target.api_versions)]

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

    def _resources(self, output: str, source: Path, kustomization: str, keep_origin: bool
                   ) -> tuple[list[Resource], dict[str, str]]:
        resources: list[Resource] = []
        templates: dict[str, str] = {}
        written: dict[str, list[tuple[str, str, Any, int]]] = {}  # (kind, name, namespace, line)
        try:
            documents = load_documents(output, kustomization)
        except PlatecheckError as exc:  # its line is one of kubectl's output, not of the file
            raise PlatecheckError(f"{exc.message} (in the build's output)", kustomization,
                                  None) from None
        for document in documents:
            # kustomize annotates the object it read: a list's items are found at the list
            whole = _without_origin(document.data) if isinstance(document.data, dict) \
                else None
            try:
                applied = applied_items(document.data)
            except PlatecheckError as exc:
                where = self._origin(whole, source, kustomization, templates, written)
                raise PlatecheckError(exc.message, *where) from None
            for index, listed in applied:
                doc, origin, generator = _without_origin(listed)
                doc = listed if keep_origin else doc
                if index is not None and whole is not None:
                    rel, start = self._origin(whole, source, kustomization, templates, written)
                    resources.append(make_resource(doc, rel, rel, len(resources), start))
                    continue
                file = self._origin_file(doc, origin, generator, source, templates, written)
                inside = file is not None and file.is_relative_to(self.root)
                rel = self._template(file if inside else None, kustomization, templates)
                # a generator's ConfigMap or Secret: at its entry, known by its name unhashed
                made = generated(kind_name(doc)[1], generator, templates[rel], rel) \
                    if inside else None
                start = made.line if made is not None else None
                if made is None and file is not None and rel != kustomization:
                    start = _document_line(doc, rel, templates[rel], written)
                resources.append(make_resource(doc, rel, rel, len(resources), start,
                                               generated_name=made.name if made else None))
        return resources, templates

    def _origin_file(self, doc: Mapping[str, Any], origin: str | None,
                     generator: str | None, source: Path, templates: dict[str, str],
                     written: dict[str, list[tuple[str, str, Any, int]]]) -> Path | None:
        """The file kustomize's origin annotation names; when a patch replaced the
        annotations (no origin, or the patch's own kustomization named, ``PatchTransformer``
        configured it), the file that writes the resource (``_writer``), else that one."""
        if generator is not None and generator.startswith("Patch") \
                or not origin and generator is None:
            writer = self._writer(doc, source, templates, written)
            if writer is not None:
                return writer
        return resolve(source / origin) if origin else None

    def _writer(self, doc: Mapping[str, Any], source: Path, templates: dict[str, str],
                written: dict[str, list[tuple[str, str, Any, int]]]) -> Path | None:
        """The one file among those the build of ``source`` lists as resources that writes
        a document of ``doc``'s kind and a name ``doc``'s holds; None when none or several.
        Each file is read once a build (``templates``, ``written``)."""
        kind, name = kind_name(doc)
        if not kind or not name:
            return None
        found = []
        for path in sorted(listed_files(source, self.root)):
            if not path.resolve().is_relative_to(self.root.resolve()):
                continue
            try:
                rel = self._template(path, "", templates)
            except PlatecheckError:
                continue
            if any(k == kind and n and n in name
                   for k, n, _, _ in _written_documents(rel, templates[rel], written)):
                found.append(path)
        return found[0] if len(found) == 1 else None

    def _template(self, file: Path | None, kustomization: str, templates: dict[str, str]
                  ) -> str:
        """The repository path of ``file`` (a file kustomize read, inside the repository),
        else the kustomization's, its text remembered in ``templates``."""
        rel = rel_path(file, self.root) if file is not None else kustomization
        if rel not in templates:
            path = self.root / rel
            templates[rel] = read_text(path, rel)[1] if path.is_file() else ""
        return rel

    def _origin(self, whole: tuple[Mapping[str, Any], str | None, str | None] | None,
                source: Path, kustomization: str, templates: dict[str, str],
                written: dict[str, list[tuple[str, str, Any, int]]]) -> tuple[str, int | None]:
        """Where an output document (``_without_origin``'s reading of it) was written: the
        file its origin annotation names and its line there (without one, a patch having
        replaced the annotations: the one file the build lists that writes a document of its
        kind and name, a prefix or suffix aside), else the kustomization."""
        doc, origin, generator = whole if whole is not None else ({}, None, None)
        file = self._origin_file(doc, origin, generator, source, templates, written)
        inside = file is not None and file.is_relative_to(self.root)
        rel = self._template(file if inside else None, kustomization, templates)
        if rel == kustomization:
            return rel, None
        return rel, _document_line(doc, rel, templates[rel], written)


_digests: dict[tuple[str, int, int, int], str] = {}


def _manifest(resources: Sequence[Resource], output: str, keep_origin: bool) -> str:
    """The YAML of a build's resources, written once per build output and kept from run to
    run (a warm run reads it back instead of writing every resource again)."""
    code = _manifest_code()

    def written() -> str:
        return yaml.dump_all([r.doc for r in resources], Dumper=GoDumper, sort_keys=False)

    if code is None:
        return written()
    return remembered_text(("kustomize manifest", code, str(keep_origin), output), written)


@functools.cache
def _manifest_code() -> str | None:
    """What writes a build's manifest from its output besides the output (yamlio's and
    goyaml's code is in the name of the memo that keeps it)."""
    return code_digest(("kustomize.py", "resources.py"), ())


def _copied(parts: Sequence[Path], root: Path) -> Sequence[Path]:
    """What a build's copy holds: ``parts``, or the repository when there are none or a
    symbolic link there leads out of them."""
    return (root,) if not parts or _links_out(parts) else parts


def _copy_regular(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """``source`` copied to ``target`` when it is a regular file; any other (a named pipe, a
    socket, a device) is left out of the copy, unread: kustomize reads only the files a
    kustomization names, and one it would read is found by ``_not_regular``."""
    if stat.S_ISREG(os.lstat(source).st_mode):
        shutil.copy2(source, target)


def _not_regular(parts: Sequence[Path], root: Path, reason: str) -> PlatecheckError | None:
    """The error of a file the failed build wanted (its ``reason`` names it) that is not a
    regular file, or a link to none (left out of its copy, ``_copy_regular``; a loop):
    kubectl would read a named pipe, say, and wait for a writer."""
    for part in _copied(parts, root):
        for current, dirs, files in walk(part):
            dirs[:] = [name for name in dirs if name != ".git"]
            for name in files:
                path = Path(current) / name
                rel = rel_path(path, root)
                if stat.S_ISREG(os.lstat(path).st_mode) \
                        or not re.search(rf"(?<![\w./-]){re.escape(rel)}(?![\w./-])", reason):
                    continue  # (a link: what it leads to, if read_bytes refuses it)
                try:
                    read_bytes(path, rel)
                except PlatecheckError as exc:
                    return exc
    return None


def _links_out(parts: Sequence[Path]) -> bool:
    """Whether one of ``parts`` is a symbolic link, or a link below one leads out of them."""
    tops = [resolve(part) for part in parts]
    for part in parts:
        if part.is_symlink():
            return True
        for current, dirs, files in walk(part):
            for name in (*dirs, *files):
                path = Path(current) / name
                if path.is_symlink() and not any(resolve(path).is_relative_to(top)
                                                 for top in tops):
                    return True
    return False


def _binary_digest(binary: Path) -> str:
    """sha256 of an executable, remembered per location, size, times and inode."""
    info = binary.stat()
    identity = (str(binary.resolve()), info.st_size, info.st_mtime_ns, info.st_ino)
    if identity not in _digests:
        digest = hashlib.sha256()
        with binary.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[identity] = digest.hexdigest()
    return _digests[identity]


def _without_asked_origin(call: KustomizeCall) -> tuple[bool, dict[str, Any] | None]:
    """Whether platecheck added ``originAnnotations`` to the ``buildMetadata`` of
    ``call``'s kustomization (``kustomize_edit.edited``), and the kustomization without
    them: None when that is the file as written (no field of the Application edits it: Argo
    CD builds the file itself, at its own lines)."""
    try:
        mapping = _mapping(call.found, call.kustomization)
    except PlatecheckError:
        return False, None
    written = mapping.get("buildMetadata")
    if isinstance(written, list) and "originAnnotations" in written:
        return False, None
    data = {key: value for key, value in call.data.items() if key != "buildMetadata"}
    plain = {**data, "buildMetadata": written} if "buildMetadata" in mapping else data
    return True, None if plain == mapping else plain


def _mapping(path: Path, rel: str) -> dict[str, Any]:
    """A kustomization as kustomize reads it (``yaml.Unmarshal``: its first document)."""
    data = first_document(read_text(path, rel)[1], rel).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PlatecheckError("a kustomization must be a mapping", rel)
    return data


def _no_schema_reference(chart: Path, root: Path) -> None:
    """Refuse a chart kustomize would inflate whose values schema refers to another file
    or a URL (``kustomize_errors.schema_reference``): before the build, at the schema."""
    found = schema_reference(chart) if chart.is_dir() else None
    if found is not None:
        path, ref = found
        raise PlatecheckError(
            f"$ref {ref} in a chart kustomize inflates: helm would read it from outside the "
            "chart (a file of the machine, or the network), so platecheck does not build it",
            rel_path(path, root))


ENABLE_HELM = "--enable-helm"


def _not_vendored(name: str, chart: str, inflated: _Inflated, root: Path) -> PlatecheckError:
    """A chart kustomize does not find where it looks for it: it pulls one of a ``repo``,
    which platecheck does not (it renders offline); without one, kustomize's build fails
    ("no repo specified for pull, no chart found"), Argo CD's as well."""
    where = (f"helmCharts {name!r} is not vendored at {chart}/ next to the kustomization "
             "(where kustomize looks for it)")
    repo = inflated.chart.get("repo")
    if repo:
        version = inflated.chart.get("version")
        pulled = f"{str(repo).rstrip('/')}/{name}" if str(repo).startswith("oci://") \
            else f"{name} --repo {repo}"
        parent = chart.rsplit("/", 1)[0] if "/" in chart else "."
        return PlatecheckError(
            f"{where}; kustomize would download it, and platecheck renders offline",
            *inflated.where(root),
            remedy=f"Vendor the chart where kustomize looks for it: in the kustomization's "
                   f"directory, helm pull {pulled}"
                   f"{f' --version {version}' if version else ''} --untar --untardir "
                   f"{parent}, and commit it (kustomize and Argo CD then build that copy "
                   "without downloading it).")
    return PlatecheckError(
        f"{where}, and the entry has no repo to pull it from, so kustomize's build fails, "
        "Argo CD's as well (no repo specified for pull, no chart found)",
        *inflated.where(root),
        remedy=f"Vendor the chart at {chart}/ next to the kustomization (or correct the "
               "entry's name, version or chart home): Argo CD cannot build it as it is.")


class _Inflated(NamedTuple):
    """A chart a kustomization inflates, and where it is written: a ``helmCharts`` entry
    (its index) or a generator's document (its line)."""

    chart: Mapping[str, Any]
    home: str  # the chart home, relative to the kustomization
    file: str
    entry: int | None = None
    line: int | None = None
    key: str = "helmCharts"  # the kustomization's list holding the entry

    def where(self, root: Path) -> tuple[str, int | None]:
        if self.entry is None:
            return self.file, self.line
        return self.file, file_layer(root / self.file, self.file).lines.get(
            (self.key, self.entry))


# kustomize's deprecated ``helmChartInflationGenerator`` entries (HelmChartArgs) as the
# ``helmCharts`` entries kustomize makes of them (``SplitHelmParameters``)
_CHART_ARGS = {"chartName": "name", "chartVersion": "version", "chartRepoUrl": "repo",
               "releaseName": "releaseName", "releaseNamespace": "namespace",
               "values": "valuesFile", "valuesLocal": "valuesInline",
               "valuesMerge": "valuesMerge"}


def inflated_charts(data: Mapping[str, Any], directory: Path, kustomization: str, root: Path
                    ) -> Iterator[_Inflated]:
    """The charts a kustomization inflates: each ``helmCharts`` entry (and each entry of
    the deprecated ``helmChartInflationGenerator``, which kustomize 5 still inflates) and
    each ``HelmChartInflationGenerator`` of a ``generators`` file."""
    charts = data.get("helmCharts")
    if isinstance(charts, list) and charts:
        globals_ = data.get("helmGlobals")
        home = str((globals_ if isinstance(globals_, dict) else {}).get("chartHome")
                   or "charts")
        for index, chart in enumerate(charts):
            yield _Inflated(chart if isinstance(chart, dict) else {}, home, kustomization,
                            entry=index)
    legacy = data.get("helmChartInflationGenerator")
    for index, args in enumerate(legacy if isinstance(legacy, list) else []):
        args = args if isinstance(args, dict) else {}
        yield _Inflated({new: args[old] for old, new in _CHART_ARGS.items() if old in args},
                        str(args.get("chartHome") or "charts"), kustomization, entry=index,
                        key="helmChartInflationGenerator")
    generators = data.get("generators")
    for entry in generators if isinstance(generators, list) else []:
        path = Path(os.path.normpath(directory / str(entry)))
        if not path.is_file() or not path.is_relative_to(root):
            continue  # a kustomization of generators, or one the build reports
        rel = rel_path(path, root)
        try:
            documents = load_documents(read_text(path, rel)[1], rel)
        except PlatecheckError:
            continue
        for document in documents:
            doc = document.data
            if isinstance(doc, dict) and doc.get("kind") == "HelmChartInflationGenerator":
                yield _Inflated(doc, str(doc.get("chartHome") or "charts"), rel,
                                line=document.line)


def _written_documents(rel: str, text: str,
                       written: dict[str, list[tuple[str, str, Any, int]]]
                       ) -> list[tuple[str, str, Any, int]]:
    """The kind, name, namespace and first line of each document of the file ``rel``
    (``text``), read once a build (``written``); none when it does not read."""
    if rel not in written:
        try:
            written[rel] = [(*kind_name(d.data), _namespace_of(d.data), d.line)
                            for d in load_documents(text, rel) if isinstance(d.data, dict)]
        except PlatecheckError:
            written[rel] = []
    return written[rel]


def _document_line(doc: Mapping[str, Any], rel: str, text: str,
                   written: dict[str, list[tuple[str, str, Any, int]]]) -> int | None:
    """The line where the document ``doc`` came from starts in the file ``rel`` (``text``),
    kustomize's origin naming only the file: the file's one document of that kind, else the
    one of its name (of those, the one of its namespace), else the one whose name ``doc``'s
    holds (a ``namePrefix``, a ``nameSuffix``), the longest; None when none or several
    fit."""
    kind, name = kind_name(doc)
    same_kind = [(n, line) for k, n, _, line in _written_documents(rel, text, written)
                 if k == kind]
    if len(same_kind) == 1:
        return same_kind[0][1]
    exact = [(namespace, line) for k, n, namespace, line in written[rel]
             if k == kind and n == name]
    if len(exact) > 1:  # one name in several namespaces: the one of this document's
        exact = [entry for entry in exact if entry[0] == _namespace_of(doc)]
    if len(exact) == 1:
        return exact[0][1]
    held = sorted(((len(n), line) for n, line in same_kind if n and n in name), reverse=True)
    if held and (len(held) == 1 or held[0][0] > held[1][0]):
        return held[0][1]
    return None


def _namespace_of(doc: Mapping[str, Any]) -> Any:
    metadata = doc.get("metadata")
    return metadata.get("namespace") if isinstance(metadata, Mapping) else None


def _without_origin(doc: Mapping[str, Any]
                    ) -> tuple[Mapping[str, Any], str | None, str | None]:
    """``doc`` without the origin annotation kustomize added, the file it names and the
    kind of the generator it names (``ConfigMapGenerator`` for a ``configMapGenerator``
    entry's ConfigMap). The document is not changed: the documents of one output are shared
    by every target that renders it (``load_documents``), and each must find the
    annotation."""
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return doc, None, None
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN not in annotations:
        return doc, None, None
    rest = {k: v for k, v in annotations.items() if k != ORIGIN}
    stripped = {k: v for k, v in metadata.items() if k != "annotations"}
    if rest:
        stripped["annotations"] = rest
    doc = {**doc, "metadata": stripped}
    try:
        parsed = load_document(str(annotations[ORIGIN]), ORIGIN).data
    except PlatecheckError:
        return doc, None, None
    if not isinstance(parsed, dict):
        return doc, None, None
    # a generated resource (a helmCharts chart) names the kustomization that configured it
    path = parsed.get("path") or parsed.get("configuredIn")
    by = parsed.get("configuredBy")
    kind = by.get("kind") if isinstance(by, dict) else None
    return (doc, path if isinstance(path, str) and "://" not in path else None,
            kind if isinstance(kind, str) else None)

