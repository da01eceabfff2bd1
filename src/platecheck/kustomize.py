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
from the output afterwards; a chart that ``helmCharts`` inflates, at the kustomization); the
kustomization files and the Application's ``kustomize`` fields are the values whose lines
findings point at (an image tag set in an overlay points at that overlay's ``newTag``).

Builds run through the render cache and at most ``jobs`` at once, as helm renders do; a
build's key covers the kubectl binary, the edited kustomization, the build options and every
file under the nearest directory the kustomization and its local resources, bases and
components share (``reachable_root``).

argocd-cm's ``kustomize.buildOptions`` that platecheck follows (configuration key
``kustomizeBuildOptions``) is ``--load-restrictor LoadRestrictionsNone``: a build may then
read any file, so it runs in a root directory holding the repository's copy, kubectl and
helm alone (``sandbox.confined_root``), where a path out of the repository (``../..``, an
absolute one) leads nowhere, and its key covers the whole repository.
"""

from __future__ import annotations

import copy
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import yaml

from platecheck import yamlio
from platecheck.argocd_env import envsubst
from platecheck.cache import Digest, HelmResult, RenderCache, directory_digest
from platecheck.errors import PlatecheckError
from platecheck.goyaml import GoDumper
from platecheck.helmbin import helm_major, helm_version, isolated_environment
from platecheck.helmbin.install import cached_helm
from platecheck.kustomize_patches import PatchSource, kind_name, patch_layers, read_source
from platecheck.manifests import rel_path
from platecheck.model import Application, KeyPath, Origin, RenderedTarget, RenderTarget, Resource
from platecheck.provenance import at, target_origin
from platecheck.render import HelmStats
from platecheck.resources import applied_objects, make_resource
from platecheck.sandbox import bounded_map, run_bounded
from platecheck.sourcetype import kustomization_file
from platecheck.values import Layer, merge_values
from platecheck.yamlio import Document, below, load_document, load_documents, read_text, scalars

ORIGIN = "config.kubernetes.io/origin"
_SET = ("namePrefix", "nameSuffix", "namespace")
_ADD = (("commonLabels", "labels"), ("commonAnnotations", "annotations"))


UNRESTRICTED = "--load-restrictor=LoadRestrictionsNone"
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


@dataclass(frozen=True)
class KustomizeCall:
    """One ``kubectl kustomize`` build: the kustomization as the Application edits it, the
    build options, and the cache key over everything the output depends on."""

    target: RenderTarget
    found: Path  # the kustomization file in the repository
    kustomization: str  # its repository path
    data: dict[str, Any]  # the kustomization after the Application's kustomize fields
    options: tuple[str, ...]
    key: str
    # the kustomizations the build reads besides it: (directory, file, content)
    nested: tuple[tuple[Path, Path, dict[str, Any]], ...] = ()


class Kustomize:
    """``kubectl kustomize`` run on private copies of one repository, several at once, each
    result kept in the render cache (failed builds too) under a key over the kubectl binary,
    the build options and every file the kustomization can read."""

    def __init__(self, kubectl: Path, root: Path, workdir: Path, timeout: float,
                 helm: Path | None = None, cache_dir: Path | None = None, *,
                 cache: RenderCache | None = None, jobs: int = 1,
                 build_options: Sequence[str] = ()) -> None:
        self.kubectl = kubectl
        self.build_options = tuple(build_options)  # kustomizeBuildOptions, as kubectl options
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
        data = _edited(_mapping(found, kustomization), target, self.root)
        reached, tree = _tree(source, self.root, data)  # the Application's components too
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
        reach = self.root if self.unrestricted else reachable_root(reached)
        digest.extend((rel_path(source, self.root), rel_path(reach, self.root)))
        digest.add(directory_digest(reach, within=self.root))
        return KustomizeCall(target, found, kustomization, data, tuple(options),
                             digest.hexdigest(), read)

    def _build(self, call: KustomizeCall) -> HelmResult | PlatecheckError:
        """``kubectl kustomize`` on a private copy, its output made portable (no path of the
        copy or of the helm it ran) and kept in the cache whatever its exit code."""
        assert call.target.source_dir is not None
        try:
            with tempfile.TemporaryDirectory(dir=self.workdir, prefix="kustomize-") as scratch:
                confined = Path(scratch) if self.unrestricted else None
                copy = Path(scratch) / (_CONFINED_COPY if confined else "repo")
                self._copy(copy)
                inner = copy / call.target.source_dir.relative_to(self.root)
                edited = inner / call.found.name
                edited.unlink()
                edited.write_text(yaml.dump(call.data, Dumper=GoDumper, sort_keys=False),
                                  encoding="utf-8")
                if confined is None:
                    argv, env, seen = [str(self.kubectl), "kustomize", *call.options,
                                       str(inner)], self.env, copy
                else:
                    argv, env = self._confined(confined, call.options, inner)
                    seen = Path("/", _CONFINED_COPY)
                completed = run_bounded(argv, env=env, cwd=self.workdir, timeout=self.timeout,
                                        root=confined)
                result = HelmResult(completed.exit_code, *(
                    self._portable(stream.decode("utf-8", "replace"), seen, call.options)
                    for stream in (completed.stdout, completed.stderr)))
        except PlatecheckError as exc:
            return PlatecheckError(f"kubectl kustomize: {exc.message}", exc.file
                                   or call.kustomization, exc.line)
        self.stats.renders += 1
        if self.cache is not None:
            self.cache.put(call.key, result)
        return result

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
        return _HELM_ENV.sub("", text).replace(str(self.workdir),
                                               "<platecheck temporary directory>")

    def _rendered(self, call: KustomizeCall, result: HelmResult | PlatecheckError
                  ) -> RenderedTarget:
        if isinstance(result, PlatecheckError):
            raise result
        if result.exit_code != 0:
            reason = kubectl_error(result.stderr)
            remote = _remote_entry(call, reason, self.root)
            if remote is not None:
                entry, file, line = remote
                raise PlatecheckError(f"kubectl kustomize failed: {entry!r} is remote: kustomize "
                                      "fetches it over the network, which platecheck does not "
                                      "use", file, line, REMOTE_REMEDY)
            file, line = _failing_entry(call, reason, self.root)
            raise PlatecheckError(f"kubectl kustomize failed: {reason}", file, line,
                                  LOAD_RESTRICTOR_REMEDY if _RESTRICTED in reason else None)
        target = call.target
        assert target.source_dir is not None
        # the kustomization and those it lists, each read once, highest precedence first
        read = [read_source(directory, file, self.root) for directory, file in (
            (target.source_dir, call.found), *((d, f) for d, f, _ in call.nested))]
        written = read[0].document.data
        asked = written.get("buildMetadata") if isinstance(written, dict) else None
        resources, templates = self._resources(  # the origin annotation stays where asked
            result.stdout, target.source_dir, call.kustomization,
            isinstance(asked, list) and "originAnnotations" in asked)
        # deepest first: a base's or component's ``images`` say where a tag was set when the
        # source's own do not (lists replace: the source's win)
        layers = [_entries_by_name(Layer(
            source.document.data if isinstance(source.document.data, dict) else {},
            source.file, source.document.lines, source.document.line))
            for source in reversed(read)]
        spec = target.source_spec.get("kustomize")
        application = None
        if isinstance(spec, dict) and target.application is not None:
            app = target.application
            key = next((path for path in app.lines if path[-1:] == ("kustomize",)), None)
            lines = below(app.lines, key) if key else {}
            layers.append(_entries_by_name(_application_images(
                Layer(spec, app.file, lines, app.line))))
            application = self._application_patches(app, spec, lines, target.source_dir)
            if application is not None:
                read.insert(0, application)  # applied after the kustomization's own
        manifest = yaml.dump_all([r.doc for r in resources], Dumper=GoDumper,
                                 sort_keys=False)
        return RenderedTarget(target=target, resources=tuple(resources),
                              values=merge_values(None, layers), manifest=manifest,
                              templates=templates, patches=patch_layers(read, self.root))

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

    def _helm_options(self, kustomizations: Sequence[tuple[Mapping[str, Any], Path, str]],
                      target: RenderTarget) -> list[str]:
        """``--enable-helm`` when a kustomization the build reads (data, directory, file)
        inflates charts (``helmCharts``, or a ``HelmChartInflationGenerator`` among its
        ``generators``), each of which must be vendored under its chart home: kustomize
        would otherwise download it. With it, as Argo CD passes them, the Kubernetes version
        and API versions the charts see (the Application's ``kustomize.kubeVersion`` and
        ``apiVersions``, else the configured ones)."""
        inflating = None
        for data, directory, kustomization in kustomizations:
            for inflated in _inflated(data, directory, kustomization, self.root):
                inflating = inflating or kustomization
                home = inflated.home
                name, version = str(inflated.chart.get("name", "")), inflated.chart.get("version")
                # where kustomize looks (absChartHome): a chart of a repository at a version
                # in <home>/<name>-<version>/, any other in <home>/
                if version and inflated.chart.get("repo"):
                    home = f"{home}/{name}-{version}"
                if not (directory / home / name / "Chart.yaml").is_file():
                    raise PlatecheckError(
                        f"helmCharts {name!r} is not vendored at {home}/{name}/ next to the "
                        "kustomization (where kustomize looks for it); kustomize would "
                        "download it, and platecheck renders offline",
                        *inflated.where(self.root))
        if inflating is None:
            return []
        return ["--enable-helm", f"--helm-command={self._inflation_helm(inflating)}",
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
        written: dict[str, list[tuple[str, str, int]]] = {}  # file -> (kind, name, line)
        for document in load_documents(output, kustomization):
            for listed in applied_objects(document.data):
                doc, origin = _without_origin(listed)
                doc = listed if keep_origin else doc
                file = (source / origin).resolve() if origin else None
                rel = rel_path(file, self.root) if file and file.is_relative_to(self.root) \
                    else kustomization
                if rel not in templates:
                    path = self.root / rel
                    templates[rel] = read_text(path, rel)[1] if path.is_file() else ""
                start = _document_line(doc, rel, templates[rel], written) \
                    if origin and rel != kustomization else None
                resources.append(make_resource(doc, rel, rel, len(resources), start))
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


_digests: dict[tuple[str, int, int, int], str] = {}


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


# the entries of a kustomization that name a file or a kustomization's directory, which
# kustomize reads wherever it is (other paths must lie in or below the kustomization): those
# that make the resources (components applied after the others), then the plugins
_BUILDING = ("components", "resources", "bases")
_LISTED = (*_BUILDING, "transformers", "generators", "validators")


def reachable_root(reached: set[Path]) -> Path:
    """The nearest directory holding every directory a build reaches (``_tree``): the
    kustomization and every local ``resources``, ``bases``, ``components``,
    ``transformers``, ``generators`` and ``validators`` entry, followed through the
    kustomizations they name, all a build can read (kustomize loads other files only below a
    kustomization). An entry leaving the repository is a could-not-check error
    (``_tree``); one naming a URL is left to the build, which fails on it offline."""
    return Path(os.path.commonpath(reached))


def _tree(source: Path, root: Path, edited: dict[str, Any] | None = None
          ) -> tuple[set[Path], list[tuple[Path, Path, dict[str, Any]]]]:
    """The directories a build of ``source`` reaches, and each kustomization it reads
    (directory, file, content), ``source``'s first (``edited`` when given), then in
    precedence order (components before the bases they are applied over, the later
    component first), but for the kustomizations that only make its transformers,
    generators and validators (their images and patches change those plugins'
    configurations, not the resources)."""
    reached = {source}
    todo = [(source, True)]
    read: list[tuple[Path, Path, dict[str, Any]]] = []
    while todo:
        directory, layered = todo.pop(0)
        found = kustomization_file(directory)
        try:  # read as every YAML platecheck reads (a plain "=" is text, as in Go)
            data = edited if directory == source and edited is not None else yaml.load(
                found.read_text(encoding="utf-8"), Loader=yamlio.LOADER) if found else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        if not isinstance(data, dict) or found is None:
            continue
        if layered:
            read.append((directory, found, data))
        for key in _LISTED:
            entries = data.get(key)
            entries = entries if isinstance(entries, list) else []
            # highest precedence first: the component applied last
            for entry in reversed(entries) if key == "components" else entries:
                if not isinstance(entry, str) or "://" in entry or entry.startswith("git@"):
                    continue
                path = Path(os.path.normpath(directory / entry))
                if _leaves(directory, entry, root):
                    _left_repository(entry, key, found, root)
                if path in reached:
                    continue
                if path.is_dir():
                    reached.add(path)
                    todo.append((path, layered and key in _BUILDING))
                else:
                    reached.add(path.parent)
    return reached, read


def _leaves(directory: Path, entry: str, root: Path) -> bool:
    """Whether ``entry``, read from ``directory``, passes out of ``root`` on its way, even if
    it comes back (``../../<the repository's own path>``): on a copy of the repository it
    leads to the machine's files."""
    if not directory.is_relative_to(root) or os.path.isabs(entry):
        return True
    depth = len(directory.relative_to(root).parts)
    for part in entry.split("/"):
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return True
    return False


def _left_repository(entry: str, key: str, found: Path, root: Path) -> NoReturn:
    """A ``resources`` (``bases``, ``components``...) entry leading out of the repository:
    kustomize would read that directory of the machine, which is no part of what Argo CD
    checks out; platecheck builds nothing of it."""
    lines = found.read_text(encoding="utf-8", errors="replace").splitlines()
    line = next((number for number, text in enumerate(lines, 1) if entry in text), None)
    raise PlatecheckError(f"kustomization {key} entry {entry!r} leads out of the repository; "
                          "platecheck does not build it", rel_path(found, root), line)


def _edited(written: dict[str, Any], target: RenderTarget, root: Path) -> dict[str, Any]:
    """The kustomization after the Application's ``kustomize`` fields, as ``kustomize edit``
    would leave it, asking for origin annotations. ``written`` is left as it is: the same
    file read once in a run is shared by every Application that builds it."""
    data = copy.deepcopy(written)
    spec = target.source_spec.get("kustomize")
    spec = spec if isinstance(spec, dict) else {}
    for key in _SET:
        if isinstance(spec.get(key), str) and spec[key]:
            data[key] = spec[key]
    env = target.build_env
    for key, _ in _ADD:
        # Argo CD substitutes $ARGOCD_APP_* in labels, and in annotations when asked
        substituted = key == "commonLabels" or spec.get("commonAnnotationsEnvsubst") is True
        if isinstance(spec.get(key), dict) and spec[key]:
            added = {str(k): envsubst(str(v), env) if substituted else str(v)
                     for k, v in spec[key].items()}
            force = spec.get("forceCommonLabels" if key == "commonLabels"
                             else "forceCommonAnnotations") is True
            if key == "commonLabels" and spec.get("labelWithoutSelector") is True:
                data["labels"] = _labels_added(data.get("labels"), added, force, target, (
                    spec.get("labelIncludeTemplates") is True))
            else:
                data[key] = _added(data.get(key), added, force, key, target)
    if isinstance(spec.get("images"), list):
        arguments = [(_image(envsubst(str(image), env)), image) for image in spec["images"]]
        refused = next((image for entry, image in arguments if entry is None), None)
        if refused is not None:
            raise PlatecheckError(f"kustomize.images entry {refused!r} is not an image with a "
                                  "new name, tag or digest; kustomize edit set image refuses "
                                  "it, so Argo CD cannot build this source",
                                  **at(target_origin(target)))
        data["images"] = _set_images(data.get("images"),
                                     [entry for entry, _ in arguments if entry is not None])
    if isinstance(spec.get("replicas"), list):
        replicas = [{"name": r.get("name"), "count": _count(r.get("count", 0), index, target)}
                    for index, r in enumerate(spec["replicas"]) if isinstance(r, dict)]
        data["replicas"] = _by_name(data.get("replicas"), replicas)
    if isinstance(spec.get("patches"), list) and spec["patches"]:
        data["patches"] = [*(data.get("patches") or []), *spec["patches"]]
    if isinstance(spec.get("components"), list) and spec["components"]:
        data["components"] = _components_added(
            data.get("components"),
            _present(spec["components"], target.source_dir, root)
            if spec.get("ignoreMissingComponents") is True else spec["components"],
            target.source_dir)
    metadata = data.get("buildMetadata") or []
    data["buildMetadata"] = [*metadata, *(["originAnnotations"]
                                         if "originAnnotations" not in metadata else [])]
    return data


def _added(existing: Any, added: dict[str, str], force: bool, key: str,
           target: RenderTarget) -> dict[str, Any]:
    """``kustomize edit add label|annotation`` (``writeToMapEntry``): a key the kustomization
    sets already fails the edit, and so Argo CD's build, unless forced."""
    current = dict(existing) if isinstance(existing, dict) else {}
    taken = sorted(k for k in added if k in current)
    if taken and not force:
        kind = "label" if key == "commonLabels" else "annotation"
        raise PlatecheckError(
            f"kustomize.{key}: {kind} {taken[0]!r} is in the kustomization already, so "
            f"`kustomize edit add {kind}` fails and Argo CD cannot build this source (set "
            f"force{key[0].upper()}{key[1:]}: true to override it)", **at(target_origin(target)))
    return {**current, **added}


def _labels_added(existing: Any, added: dict[str, str], force: bool, target: RenderTarget,
                  templates: bool) -> list[Any]:
    """``kustomize edit add label --without-selector`` (``writeToLabels``): the pairs go into
    the first ``labels`` entry that includes no selectors (and templates as asked), else a
    new one."""
    labels = [dict(item) for item in existing] if isinstance(existing, list) else []
    for item in labels:
        if isinstance(item, dict) and not item.get("includeSelectors") and \
                bool(item.get("includeTemplates")) is templates and not item.get("fields"):
            item["pairs"] = _added(item.get("pairs"), added, force, "commonLabels", target)
            return labels
    entry: dict[str, Any] = {"pairs": dict(added), "includeSelectors": False}
    if templates:
        entry["includeTemplates"] = True
    return [*labels, entry]


def _components_added(existing: Any, components: list[Any], source: Path | None
                      ) -> list[Any]:
    """``kustomize edit add component`` (``RunAddComponent``): each entry a glob of paths
    relative to the kustomization (its matches in order, or the entry itself when it matches
    nothing, which the build then fails on), one already listed left out."""
    listed = list(existing) if isinstance(existing, list) else []
    for pattern in components:
        if not isinstance(pattern, str):
            continue
        matches = sorted(glob.glob(pattern, root_dir=source, include_hidden=True)) \
            if source is not None and glob.has_magic(pattern) else []
        listed += [c for c in dict.fromkeys(matches or [pattern]) if c not in listed]
    return listed


def _present(components: list[Any], source: Path | None, root: Path) -> list[Any]:
    """``ignoreMissingComponents``: the components that exist in the repository (Argo CD
    adds no other)."""
    return [c for c in components if source is not None and isinstance(c, str) and (
        path := Path(os.path.normpath(source / c))).is_relative_to(root) and path.exists()]


def _count(count: Any, index: int, target: RenderTarget) -> int:
    """A ``kustomize.replicas`` count: a number, or a string of one (Argo CD's IntOrString);
    anything else fails the source in Argo CD, and is a could-not-check error at its line."""
    try:
        if isinstance(count, str):
            return int(count.strip())
        if isinstance(count, int | float) and not isinstance(count, bool) and count % 1 == 0:
            return int(count)
    except ValueError:
        pass
    app = target.application
    where = None
    if app is not None:
        path = next((p for p in app.lines if p[-4:] == ("kustomize", "replicas", index, "count")),
                    None)
        where = app.origin(path) if path is not None else Origin(app.file, app.line)
    raise PlatecheckError(f"kustomize.replicas count {count!r} is not a whole number; Argo CD "
                          "cannot build this source", **at(where))


def _image(text: str) -> dict[str, str] | None:
    """``kustomize edit set image`` syntax, ``[name=]newName[:newTag][@digest]``, as kustomize
    parses it (``setimage.go`` ``parse``): the entry, None when kustomize refuses it (an
    image without ``=``, a tag or a digest)."""
    key, separator, value = text.partition("=")
    if not separator:
        key, value = "", text
    name, tag, digest = _split_image(value)
    if name == text:
        return None
    entry = {"name": key or name, "newName": name if key else "", "newTag": tag,
             "digest": digest}
    return {field: entry[field] for field in ("name", "newName", "newTag", "digest")
            if entry[field]}


def _split_image(text: str) -> tuple[str, str, str]:
    """An image reference as kustomize splits it (``image.Split``): the name, the tag after
    the first ``:`` and the digest after the first ``@`` that follow its first ``/``."""
    slash = text.find("/")
    start = slash if slash > 0 else 0
    colon, at = text.find(":", start), text.find("@", start)
    if colon < 0 and at < 0:
        return text, "", ""
    if at >= 0 and (colon < 0 or at < colon):
        return text[:at], "", text[at + 1:]
    if at >= 0:
        return text[:colon], text[colon + 1:at], text[at + 1:]
    return text[:colon], text[colon + 1:], ""


_PRESERVE = "*"  # ``kustomize edit set image a=*:1.2``: keep the entry's newName


def _set_images(existing: Any, arguments: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The kustomization's ``images`` after ``kustomize edit set image`` (``RunSetImage``):
    an argument replaces the whole entry of its name (a field given as ``*`` keeps the
    entry's), the other entries stay, sorted by name."""
    given = {argument["name"]: argument for argument in arguments}
    images = {}
    for item in existing or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        argument = given.pop(item["name"], None)
        if argument is None:
            images[item["name"]] = item
            continue
        images[item["name"]] = {**argument, **{
            field: item.get(field) for field in ("newName", "newTag", "digest")
            if argument.get(field) == _PRESERVE}}
    images.update(given)
    return [{field: value for field, value in image.items()
             if value and not (value == _PRESERVE and field != "name")}
            for _, image in sorted(images.items())]


def _application_images(layer: Layer) -> Layer:
    """An Application's ``kustomize.images`` (``kustomize edit set image`` strings) as the
    entries of a kustomization's ``images``, each field at the string's line: merged by
    name with the kustomizations', which keep the images it does not set."""
    images = layer.data.get("images")
    if not isinstance(images, list):
        return layer
    lines = dict(layer.lines)
    entries = []
    for index, text in enumerate(images):
        entry = _image(str(text)) or {"name": str(text)}
        entries.append(entry)
        line = layer.lines.get(("images", index))
        if line is not None:
            lines.update({("images", index, field): line for field in entry})
    return Layer({**layer.data, "images": entries}, layer.file, lines, layer.line)


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


# what kubectl quotes of a kustomization in its errors: 'missing.yaml', path(patch.yaml)
_QUOTED = re.compile(r"'([^'\s]+)'|\(([^()\s]+)\)")


# a resource, base or component kustomize fetches: a URL, a Git repository (git@host:...,
# github.com/owner/repo), not a path of the repository
_REMOTE = re.compile(r"[a-z][a-z0-9+.-]*://|git@|git::|[a-z0-9-]+(\.[a-z0-9-]+)+(:[0-9]+)?/",
                     re.IGNORECASE)
_URL = re.compile(r"https?://", re.IGNORECASE)
REMOTE_REMEDY = (
    "Vendor what it names into the repository and list the local copy instead: Argo CD's "
    "repo-server fetches it when it builds, but what it fetches is not in the repository "
    "and cannot be checked from it.")


def _remote_entry(call: KustomizeCall, reason: str, root: Path
                  ) -> tuple[str, str, int | None] | None:
    """The remote resource, base or component that kubectl's ``reason`` quotes (a build
    that failed fetching it), the kustomization that lists it and the entry's line."""
    quoted = {match.group(1) or match.group(2) for match in _QUOTED.finditer(reason)}
    assert call.target.source_dir is not None
    for directory, file, data in ((call.target.source_dir, call.found, call.data),
                                  *call.nested):
        schema = data.get("openapi")
        schema = schema.get("path") if isinstance(schema, dict) else None
        # kubectl fetches an openapi.path URL, and quotes it in Go's way ("...") when it fails
        if isinstance(schema, str) and _URL.match(schema) and f'"{schema}"' in reason:
            rel = rel_path(file, root)
            return schema, rel, _file_layer(file, rel).lines.get(("openapi", "path"))
        for key in ("resources", "bases", "components"):
            entries = data.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if (isinstance(entry, str) and entry in quoted and _REMOTE.match(entry)
                        and not (directory / entry).exists()):
                    rel = rel_path(file, root)
                    return entry, rel, _file_layer(file, rel).lines.get((key, index))
    return None


# kubectl's error once it has gone into a base: what follows is that base's
_RECURSED = re.compile(r"recursed accumulation of path '([^']+)'")


def _failing_entry(call: KustomizeCall, reason: str, root: Path) -> tuple[str, int | None]:
    """The kustomization and line of the entry kubectl's ``reason`` names: in the deepest
    base the build went into that lists it, else in the build's own kustomization (the line
    that leads to that base)."""
    deepest = list(_RECURSED.finditer(reason))[-1:]
    for match in deepest:
        for directory, file, _ in call.nested:
            if rel_path(directory, root) == match.group(1):
                rel = rel_path(file, root)
                line = _entry_line(_file_layer(file, rel), reason[match.end():])
                if line is not None:
                    return rel, line
    return call.kustomization, _entry_line(_file_layer(call.found, call.kustomization),
                                           reason)


def _entry_line(kustomization: Layer, reason: str) -> int | None:
    """The line of the kustomization's entry the error ``reason`` names first (a resource, a
    patch file, a component it could not read); None when it names none of them (an entry
    the Application adds, an error of another file)."""
    written: dict[str, KeyPath] = {}
    for path, value in scalars(kustomization.data):
        if isinstance(value, str):
            written.setdefault(value, path)
    for match in _QUOTED.finditer(reason):
        entry = written.get(match.group(1) or match.group(2))
        if entry is not None and entry in kustomization.lines:
            return kustomization.lines[entry]
    return None


class _Inflated(NamedTuple):
    """A chart a kustomization inflates, and where it is written: a ``helmCharts`` entry
    (its index) or a generator's document (its line)."""

    chart: Mapping[str, Any]
    home: str  # the chart home, relative to the kustomization
    file: str
    entry: int | None = None
    line: int | None = None

    def where(self, root: Path) -> tuple[str, int | None]:
        if self.entry is None:
            return self.file, self.line
        return self.file, _file_layer(root / self.file, self.file).lines.get(
            ("helmCharts", self.entry))


def _inflated(data: Mapping[str, Any], directory: Path, kustomization: str, root: Path
              ) -> Iterator[_Inflated]:
    """The charts a kustomization inflates: each ``helmCharts`` entry and each
    ``HelmChartInflationGenerator`` of a ``generators`` file."""
    charts = data.get("helmCharts")
    if isinstance(charts, list) and charts:
        globals_ = data.get("helmGlobals")
        home = str((globals_ if isinstance(globals_, dict) else {}).get("chartHome")
                   or "charts")
        for index, chart in enumerate(charts):
            yield _Inflated(chart if isinstance(chart, dict) else {}, home, kustomization,
                            entry=index)
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


def _file_layer(path: Path, rel: str) -> Layer:
    document = load_document(read_text(path, rel)[1], rel)
    data = document.data if isinstance(document.data, dict) else {}
    return Layer(data, rel, document.lines, document.line)


_NAMED = ("images", "replicas")  # kustomization lists whose entries apply by name


def _entries_by_name(layer: Layer) -> Layer:
    """``layer`` with its ``images`` and ``replicas`` entries keyed by their ``name``, so that
    the values of several kustomizations merge per image as kustomize applies them (an
    overlay's entry over its base's for one image, each kept for different ones)."""
    data, lines = dict(layer.data), dict(layer.lines)
    for key in _NAMED:
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        named: dict[str, Any] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            # an image a kustomization renames is known by its new name above it: an
            # overlay's entry of the old name no longer applies to it
            name = str(entry.get("newName") or entry["name"]) if key == "images" \
                else entry["name"]
            named[name] = entry
            prefix = (key, index)
            for path, line in layer.lines.items():
                if path[:2] == prefix:
                    lines[(key, name, *path[2:])] = line
        data[key] = named
    return Layer(data, layer.file, lines, layer.line)


def _document_line(doc: Mapping[str, Any], rel: str, text: str,
                   written: dict[str, list[tuple[str, str, int]]]) -> int | None:
    """The line where the document ``doc`` came from starts in the file ``rel`` (``text``),
    kustomize's origin naming only the file: the file's one document of that kind, else the
    one of its name, else the one whose name ``doc``'s holds (a ``namePrefix``, a
    ``nameSuffix``), the longest; None when none or several fit."""
    if rel not in written:
        try:
            written[rel] = [(*kind_name(d.data), d.line) for d in load_documents(text, rel)
                            if isinstance(d.data, dict)]
        except PlatecheckError:
            written[rel] = []
    kind, name = kind_name(doc)
    same_kind = [(n, line) for k, n, line in written[rel] if k == kind]
    if len(same_kind) == 1:
        return same_kind[0][1]
    exact = [line for n, line in same_kind if n == name]
    if len(exact) == 1:
        return exact[0]
    held = sorted(((len(n), line) for n, line in same_kind if n and n in name), reverse=True)
    if held and (len(held) == 1 or held[0][0] > held[1][0]):
        return held[0][1]
    return None


def _without_origin(doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    """``doc`` without the origin annotation kustomize added, and the file it names. The
    document is not changed: the documents of one output are shared by every target that
    renders it (``load_documents``), and each must find the annotation."""
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return doc, None
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN not in annotations:
        return doc, None
    rest = {k: v for k, v in annotations.items() if k != ORIGIN}
    stripped = {k: v for k, v in metadata.items() if k != "annotations"}
    if rest:
        stripped["annotations"] = rest
    doc = {**doc, "metadata": stripped}
    try:
        parsed = load_document(str(annotations[ORIGIN]), ORIGIN).data
    except PlatecheckError:
        return doc, None
    if not isinstance(parsed, dict):
        return doc, None
    # a generated resource (a helmCharts chart) names the kustomization that configured it
    path = parsed.get("path") or parsed.get("configuredIn")
    return doc, (path if isinstance(path, str) and "://" not in path else None)

