"""Where helm is called: ``helm template`` per target and ``helm lint --strict`` per chart and
environment, several processes at once, each with a timeout, results cached on disk. Charts
linted without value files, or on a copy holding their values, share one ``helm lint``
process (``lint_batches``, ``split_lint``).

The ``helm template`` command line is Argo CD's (``platecheck.helmargs`` builds it, with
parameters as ``--set`` for Helm's own parser and ``helm.values`` in a file exactly as
written); platecheck runs it offline: no ``--dependency-update``, and helm runs with an empty
home so no plugin, repository, registry credential or kubeconfig of the user or the
repository is used. Every path argument is absolute and every other value is passed as
``--flag=value``, so nothing from a manifest can turn into a flag.

helm reads a private copy of the chart and runs confined and bounded (``platecheck.sandbox``);
the chart's own ``values.schema.json`` is left out of it: platecheck validates the values
against it without fetching anything (``platecheck.values_schema``), the values helm would
validate, which the render reports (``VALUES_TEMPLATE``); subcharts' schemas stay, and helm
validates them, when they reference nothing helm would fetch.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from platecheck.cache import (
    CHART_DIRECTORIES,
    FILES_WORD,
    MAX_CHART_FILE,
    Digest,
    HelmResult,
    RenderCache,
    chart_digest,
    directory_digest,
)
from platecheck.chartfile import local_dependencies
from platecheck.dependencies import build as build_dependencies
from platecheck.dependencies import sources as dependency_sources
from platecheck.discover import rel_path
from platecheck.errors import PlatecheckError
from platecheck.helmargs import (
    MAX_RELEASE,
    RELEASE_NAME,
    set_argv,
    template_argv,
    valid_namespace,
)
from platecheck.helmbin import helm_version, isolated_environment
from platecheck.lintvalues import HeldValues
from platecheck.model import Chart, KeyPath, RenderTarget
from platecheck.objectmeta import DNS1123_SUBDOMAIN, is_name
from platecheck.provenance import target_origin
from platecheck.realpaths import GIT_VALUE_FILE, in_git_directory, resolve
from platecheck.sandbox import SCHEMA_FILE, bounded_map, private_copy, run_bounded
from platecheck.submodules import refuse_within
from platecheck.walk import walk


@dataclass(frozen=True)
class HelmCall:
    """One helm invocation: its arguments (after the binary) and its cache key."""

    argv: tuple[str, ...]
    key: str
    label: str  # for messages, e.g. "helm template charts/web" (targets alike share a call)
    chart: Path  # the chart in the repository
    copy: Path  # the private copy of it that helm reads
    # a lint whose copy holds its values (``platecheck.lintvalues``): that values.yaml, the
    # same lint with its value files, and whether what helm logs is what that one logs (if
    # not, it is run instead when helm logs anything)
    values: str | None = None
    unbaked: HelmCall | None = None
    logs_alike: bool = False


@dataclass
class HelmStats:
    renders: int = 0
    cache_hits: int = 0


@dataclass
class Helm:
    """A helm binary run offline from an empty home inside ``workdir``."""

    binary: Path
    workdir: Path  # a private temporary directory outside the repository
    root: Path
    timeout: float = 120.0
    jobs: int = 1
    cache: RenderCache | None = None
    stats: HelmStats = field(default_factory=HelmStats)
    _version: str | None = None
    _chart_digests: dict[Path, str] = field(default_factory=dict)
    _loaded_digests: dict[Path, tuple[str, bool]] = field(default_factory=dict)
    _copies: dict[Path, PlatecheckError | None] = field(default_factory=dict)
    # the directories copied, in full, by the tree of copies holding them
    _copied: set[tuple[Path, Path]] = field(default_factory=set)
    _copy_lock: threading.Lock = field(default_factory=threading.Lock)
    _lint_marker: LintMarker | None = None

    def __post_init__(self) -> None:
        self.env = isolated_environment(self.workdir / "home")
        (self.workdir / "values").mkdir(exist_ok=True)

    # -- the version ------------------------------------------------------------------------

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = helm_version(self.binary)
        return self._version

    # -- building calls ---------------------------------------------------------------------

    def template_call(self, target: RenderTarget) -> HelmCall:
        assert target.chart is not None
        # (a name of a template action is helm's --name-template to execute, then check)
        if "{{" not in target.release_name and (
                len(target.release_name) > MAX_RELEASE
                or not RELEASE_NAME.match(target.release_name)):
            _refuse_application_name(target)
            _refuse_name(target.release_name, MAX_RELEASE, "release name", target,
                         _written_key(target, "releaseName", ("metadata", "name")))
        _check_namespace(target)
        refuse_within(self.root, target.chart.path, f"the chart {target.chart.rel}",
                      target_origin(target),
                      only=None if self._chart_digest(target.chart.path)[1]
                      else CHART_DIRECTORIES)
        # file:// dependencies helm dependency build needs (a remote one is an error here)
        dependencies = tuple(d for _, d in dependency_sources(target.chart.path, self.root))
        value_paths = [values.path for values in target.value_files]
        extra = self._inline_file(target) if target.extra_values is not None else None
        argv = template_argv(target, str(self.private_chart(target.chart)),
                             [str(p) for p in value_paths], str(extra) if extra else None)
        read = [*value_paths, *self._given_values(target)[1]]
        return self._call("template", target.chart, argv, read,
                          f"helm template {target.chart.rel}", dependencies)

    def lint_call(self, chart: Chart, value_files: Sequence[Path],
                  kube_version: str | None, values: HeldValues | None = None,
                  given: RenderTarget | None = None) -> HelmCall:
        """helm lint of ``chart`` with ``value_files`` and what the Application ``given``
        passes besides them (``helm.values`` or ``valuesObject``, and ``parameters``), as
        its render has them; with ``values`` (what the value files and the chart's
        values.yaml come to, ``platecheck.lintvalues``) and nothing besides, of a copy of
        the chart holding them as its values.yaml, with no value file, so it can share a
        process."""
        try:
            dependencies = tuple(d for _, d in dependency_sources(chart.path, self.root))
        except PlatecheckError:  # the template call reports it; lint sees what helm sees
            dependencies = ()
        flags = ["--skip-schema-validation"]
        if kube_version:
            flags.append(f"--kube-version={kube_version}")
        label = f"helm lint {chart.rel}"
        besides, read = self._given_values(given)
        argv = ["lint", "--strict", str(self.private_chart(chart)), *flags,
                *(f"--values={path}" for path in value_files), *besides]
        call = self._call("lint", chart, argv, [*value_files, *read], label, dependencies)
        # (helm refuses a chart file over 5 MiB: values that big stay value files)
        if values is None or not value_files or besides \
                or len(values.text.encode("utf-8")) > MAX_CHART_FILE:
            return call
        digest = Digest("lint-values")
        digest.extend((call.key, values.text))
        copy = self.workdir / "lint" / digest.hexdigest()[:32] / chart.rel
        return HelmCall(("lint", "--strict", str(copy), *flags), digest.hexdigest(), label,
                        chart.path, copy, values.text, call, values.logs_alike)

    def _given_values(self, target: RenderTarget | None) -> tuple[list[str], list[Path]]:
        """The arguments of ``target``'s values besides its value files (``--set``,
        ``--set-string``, ``--set-file``, then the file of ``helm.values`` or
        ``valuesObject``), as its render passes them, and the files they read (that file
        first)."""
        if target is None:
            return [], []
        argv = set_argv(target)
        read = [a.path for a in target.set_arguments if a.path and a.path.is_file()]
        if target.extra_values is not None:
            read.insert(0, self._inline_file(target))
            argv.append(f"--values={read[0]}")
        return argv, read

    def _inline_file(self, target: RenderTarget) -> Path:
        """The file holding ``helm.values`` (exactly as written) or ``valuesObject``."""
        assert target.extra_values is not None
        digest = Digest("inline")
        digest.add(target.extra_values)
        path = self.workdir / "values" / f"inline-{digest.hexdigest()[:24]}.yaml"
        if not path.exists():
            path.write_text(target.extra_values, encoding="utf-8")
        return path

    def _call(self, kind: str, chart: Chart, argv: list[str], files: Sequence[Path],
              label: str, dependencies: Sequence[Path] = ()) -> HelmCall:
        digest = Digest(kind)
        digest.add(self.version)
        if reports_values(chart.path):
            digest.add(VALUES_TEMPLATE)
        digest.extend(self._relative(arg) for arg in argv)
        texts = []
        for path in files:
            if in_git_directory(resolve(path)):
                raise PlatecheckError(GIT_VALUE_FILE,
                                      self._relative(str(path)).replace("$ROOT/", ""))
            texts.append(path.read_bytes())
            digest.add(self._relative(str(path)))
            digest.add(texts[-1])
        charts = [self._chart_digest(directory) for directory in (chart.path, *dependencies)]
        # a chart's other files count only when a template may read them (.Files)
        whole = any(reads for _, reads in charts) \
            or any(FILES_WORD.search(text) for text in [*texts, *map(os.fsencode, argv)])
        for directory, (loaded, _) in zip((chart.path, *dependencies), charts, strict=True):
            digest.add(self._whole_digest(directory) if whole else loaded)
        return HelmCall(tuple(argv), digest.hexdigest(), label, chart.path,
                        self.private_chart(chart))

    def private_chart(self, chart: Chart) -> Path:
        """Where helm reads ``chart``: a copy in the temporary directory, made on the first
        call that is not answered from the cache."""
        return self._tree(chart.path) / chart.rel

    def _tree(self, chart: Path) -> Path:
        """The tree of copies, laid out as the repository, that holds ``chart``'s copy and
        its ``file://`` dependencies': one shared by the charts without a values schema and
        without ``file://`` dependencies, which no build writes into, and one of its own for
        any other chart. A chart with a schema has its copy leave it out, while a chart
        holding it (in ``charts/``, or as a ``file://`` dependency) has it, for helm. A chart
        with ``file://`` dependencies has ``helm dependency build`` write into its copy's
        ``charts/``; another chart's build reads its dependencies' copies as they are in Git,
        as Argo CD's build does (it does not build a dependency's own dependencies)."""
        if not reports_values(chart) and not local_dependencies(chart, self.root):
            return self.workdir / "src"
        digest = Digest("tree")
        digest.add(rel_path(chart, self.root))
        return self.workdir / "own" / digest.hexdigest()[:16]

    def _materialize(self, chart: Path, copy: Path) -> None:
        with self._copy_lock:
            if chart not in self._copies:
                self._copies[chart] = self._made(chart, copy)
            problem = self._copies[chart]
        if problem is not None:
            raise problem

    def _made(self, chart: Path, copy: Path) -> PlatecheckError | None:
        """The chart's private copy made, with its ``file://`` dependencies built: None, or
        what stopped it. That is a problem of the chart, whichever Application renders it and
        whether helm template or helm lint meets it first: it is located at the Chart.yaml of
        the chart whose files it names (paths in it are relative to that chart), so the
        template and the lint of a target report it once."""
        where, tree = chart, self._tree(chart)
        try:
            # the chart's own schema is platecheck's to check: left out of its copy, made
            # first in its tree
            self._copy_once(chart, tree)
            # file:// dependencies: copied beside it, laid out as in the repository, so
            # their relative paths resolve there, with their schemas, then built by helm
            needed = dependency_sources(chart, self.root)
            for dependency, where in needed:
                self._copy_once(where, tree, dependency=True)
                _link_as_written(tree, chart, dependency.repository, where, self.root)
            where = chart
            if needed:
                build_dependencies(copy, tree, lambda argv: self._run(argv, self.timeout))
            if reports_values(chart):
                with_values_template(copy)
        except PlatecheckError as exc:
            if exc.file is None:
                exc.file = rel_path(where / "Chart.yaml", self.root)
            return exc
        return None

    def _copy_once(self, directory: Path, tree: Path, dependency: bool = False) -> None:
        """``directory`` copied into ``tree`` once: a chart may be a dependency of another
        one too, and a dependency may be the directory above a chart copied before it
        (``file://..``: a library chart holding its test chart), whose files stay."""
        copied = [done for into, done in self._copied if into == tree]
        if any(directory.is_relative_to(done) for done in copied):
            return
        inside = [done for done in copied if done.is_relative_to(directory)]
        private_copy(directory, tree / rel_path(directory, self.root), skip=inside,
                     dependency=dependency, within=self.root)
        self._copied.add((tree, directory))

    def _relative(self, arg: str) -> str:
        for base, name in ((self.workdir, "$TMP"), (self.root, "$ROOT")):
            for prefix in (f"{base}{os.sep}", f"={base}{os.sep}"):
                if prefix in arg:
                    arg = arg.replace(str(base), name, 1)
            if arg == str(base):
                arg = name
        return arg

    def _chart_digest(self, directory: Path) -> tuple[str, bool]:
        """``cache.chart_digest`` of ``directory``, once a run."""
        if directory not in self._loaded_digests:
            self._loaded_digests[directory] = chart_digest(directory, self.root)
        return self._loaded_digests[directory]

    def _whole_digest(self, directory: Path) -> str:
        """``cache.directory_digest`` of ``directory`` (every byte), once a run."""
        if directory not in self._chart_digests:
            self._chart_digests[directory] = directory_digest(directory, self.root,
                                                                tracked_only=True)
        return self._chart_digests[directory]

    # -- running ----------------------------------------------------------------------------

    def run_all(self, calls: Sequence[HelmCall],
                finished: Callable[[HelmCall], None] | None = None,
                meanwhile: Callable[[Mapping[str, HelmResult | PlatecheckError],
                                     Iterator[tuple[str, HelmResult | PlatecheckError]]],
                                    None] | None = None
                ) -> list[HelmResult | PlatecheckError]:
        """Run every call (cached results first), at most ``jobs`` processes at once, in
        order. Calls with the same key (e.g. helm lint of one chart with the same value files
        for two environments) run once; lints without value files share processes
        (``lint_batches``). ``finished`` is told of each call as it ends; ``meanwhile`` is
        given the cached results, by key, and the others as they come, while the processes
        run (``bounded_map``)."""
        unique = list({call.key: call for call in calls}.values())
        by_key: dict[str, HelmResult | PlatecheckError] = {}
        missing = []
        for call in unique:
            hit = self.cache.get(call.key) if self.cache is not None else None
            if hit is None:
                missing.append(call)
                continue
            self.stats.cache_hits += 1
            by_key[call.key] = hit
            if finished is not None:
                finished(call)

        def one(job: list[HelmCall]) -> list[HelmResult | PlatecheckError]:
            results = self._answer(job)
            for call in job:
                if finished is not None:
                    finished(call)
            return results

        jobs = lint_batches(missing)

        def keyed(answers: Iterable[list[HelmResult | PlatecheckError]]
                  ) -> Iterator[tuple[str, HelmResult | PlatecheckError]]:
            for job, results in zip(jobs, answers, strict=True):
                yield from zip((call.key for call in job), results, strict=True)

        # the cached results are all in by_key while the processes run; theirs come after
        answers = bounded_map(one, jobs, self.jobs, None if meanwhile is None else
                              lambda answers: meanwhile(by_key, keyed(answers)))
        by_key.update(keyed(answers))
        return [by_key[call.key] for call in calls]

    def _answer(self, job: list[HelmCall]) -> list[HelmResult | PlatecheckError]:
        """helm's results for one call, or for lints one process answers together. When
        that process's output does not divide exactly, each half of them is answered so in
        turn, down to fewer than ``_HALVED``, then each alone: one such chart among 32 costs
        a dozen processes, not 33. When it fails (its time ran out, say), each alone."""
        if len(job) > 1:
            together = self._run_together(job)
            if not isinstance(together, str):
                return together
            if together == _HALVES and len(job) >= _HALVED:
                middle = len(job) // 2
                return self._answer(job[:middle]) + self._answer(job[middle:])
        return [self._run_one(call) for call in job]

    def _prepare(self, call: HelmCall) -> None:
        """The chart's private copy, and a lint's own copy of that when it holds its values.
        The chart's copy and dependencies: one problem for its template and lint alike."""
        if call.unbaked is None:
            self._materialize(call.chart, call.copy)
            return
        self._materialize(call.chart, call.unbaked.copy)
        assert call.values is not None
        if not call.copy.exists():
            linked_copy(call.unbaked.copy, call.copy, call.values)

    def _run_one(self, call: HelmCall) -> HelmResult | PlatecheckError:
        try:
            self._prepare(call)
        except PlatecheckError as exc:
            return exc
        result = self._helm(call, call.argv)
        return result if isinstance(result, PlatecheckError) else self._settled(call, result)

    def _helm(self, call: HelmCall, argv: Sequence[str]) -> HelmResult | PlatecheckError:
        """helm run with ``argv`` for ``call``: its output made portable, or what stopped it."""
        try:
            return self.portable(self._run(argv, self.timeout))
        except PlatecheckError as exc:
            return PlatecheckError(f"{call.label}: {exc.message}")

    def _settled(self, call: HelmCall, result: HelmResult) -> HelmResult | PlatecheckError:
        """``result``, kept as ``call``'s; for a lint on a copy holding its values that
        logged what the lint with value files may not have, that lint's result instead."""
        if (call.unbaked is not None and not call.logs_alike
                and result.stderr not in _LINT_STDERR):
            asked = self._helm(call, call.unbaked.argv)
            if isinstance(asked, PlatecheckError):
                return asked
            result = asked
        self._keep(call, result)
        return result

    def _run_together(self, job: list[HelmCall]) -> list[HelmResult | PlatecheckError] | str:
        """One helm lint of every chart of ``job``, with the marker chart before, between
        and after them (``split_lint``), in the time of one helm process; ``_HALVES`` when
        its output does not divide exactly, ``_ALONE`` when it fails."""
        paths = [str(call.copy) for call in job]
        try:
            for call in job:
                self._prepare(call)
            marker = self._marker()
            argv = [arg for arg in job[0].argv if arg != paths[0]]
            argv.append(str(marker.path))
            for path in paths:
                argv.extend((path, str(marker.path)))
            ran = self._run(argv, self.timeout)
        except PlatecheckError:
            return _ALONE  # each with its own error, in its own time
        split = split_lint(ran, paths, marker)
        if split is None:
            return _HALVES
        return [self._settled(call, self.portable(alone))
                for call, alone in zip(job, split, strict=True)]

    def _marker(self) -> LintMarker:
        """A chart whose lint logs only a line of its own on stderr, made once."""
        with self._copy_lock:
            if self._lint_marker is None:
                token = f"platecheck-lint-marker-{secrets.token_hex(8)}"
                path = self.workdir / "marker" / "marker"
                (path / "templates").mkdir(parents=True)
                (path / "Chart.yaml").write_text(
                    "apiVersion: v2\nname: marker\nversion: 0.1.0\n"
                    "icon: https://example.com/icon.png\n", encoding="utf-8")
                (path / "values.yaml").write_text("", encoding="utf-8")
                (path / "templates" / "marker.yaml").write_text(
                    f"{{{{ required {json.dumps(token)} .Values.marker }}}}\n",
                    encoding="utf-8")
                self._lint_marker = LintMarker(path, token)
            return self._lint_marker

    def _keep(self, call: HelmCall, result: HelmResult) -> None:
        self.stats.renders += 1
        if self.cache is not None:
            # a failed render is a result like any other: same key, same answer
            self.cache.put(call.key, result)

    def portable(self, result: HelmResult) -> HelmResult:
        """helm's output with the paths it was given made relative: repository files to the
        repository root, platecheck's temporary files to a fixed name. A report never shows
        where the repository was checked out, and a cached result reads the same from any
        checkout sharing the cache."""
        workdir = re.escape(str(self.workdir))
        inline = re.compile(rf"{workdir}/values/inline-[0-9a-f]+\.(?:json|yaml)")
        root = re.compile(rf"{re.escape(str(self.root))}(?:/|(?![^\s:'\"]))")

        copies = re.compile(rf"{workdir}/(?:src|own/[0-9a-f]+)/")
        linted = re.compile(rf"{workdir}/lint/[0-9a-f]+/")

        def relative(text: str) -> str:
            text = inline.sub("<inline values>", text)
            text = linted.sub("", text)  # a lint's copy holding its values, as the chart's
            text = copies.sub("", text)  # the private copy of a chart: its repository path
            text = text.replace(str(self.workdir), "<platecheck temporary directory>")
            return root.sub(lambda m: "" if m.group(0).endswith("/") else ".", text)

        return HelmResult(result.exit_code, relative(result.stdout), relative(result.stderr))

    def _run(self, argv: Sequence[str], timeout: float) -> HelmResult:
        completed = run_bounded([str(self.binary), *argv], env=self.env, cwd=self.workdir,
                                timeout=timeout)
        return HelmResult(completed.exit_code,
                          completed.stdout.decode("utf-8", "replace"),
                          completed.stderr.decode("utf-8", "replace"))


def _link_as_written(tree: Path, chart: Path, repository: str, directory: Path,
                     root: Path) -> None:
    """Where ``chart``'s ``file://`` path leads as written, when a symbolic link of the
    repository on the way makes that another place than ``directory`` (the copy's, where
    the link resolves): a link there in ``tree`` to that copy. helm joins the path to the
    chart's (lexically, filepath.Join) and follows the links it meets (os.Stat), as in the
    repository."""
    written = Path(os.path.normpath(chart / repository.removeprefix("file://")))
    if written == directory or not written.is_relative_to(root):
        return
    place = tree / rel_path(written, root)
    if os.path.lexists(place):
        return
    place.parent.mkdir(parents=True, exist_ok=True)
    place.symlink_to(os.path.relpath(tree / rel_path(directory, root), place.parent))


# -- several charts in one helm lint --------------------------------------------------------

# what helm lint prints on stderr of its own: nothing, or that the chart failed
_LINT_STDERR = ("", "Error: 1 chart(s) linted, 1 chart(s) failed\n")


def linked_copy(source: Path, dest: Path, values: str) -> None:
    """``source`` (a private copy of a chart) at ``dest``, its files linked, not copied,
    with ``values`` as its values.yaml."""
    for current, _, names in walk(source):
        here = dest / Path(current).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in names:
            if here == dest and name == "values.yaml":
                continue
            try:
                os.link(Path(current, name), here / name)
            except OSError:
                shutil.copyfile(Path(current, name), here / name)
    (dest / "values.yaml").write_text(values, encoding="utf-8")


# -- the values helm validates -----------------------------------------------------------

# helm validates the chart's values.schema.json against the values it renders with (Helm's
# ToRenderValues: CoalesceValues after ProcessDependencies): the user's values coalesced with
# the chart's values.yaml and with every enabled subchart's defaults under its key, globals
# copied into each, import-values imported. platecheck leaves the schema out of helm's copy
# (``platecheck.values_schema`` checks it), so the copy of a chart that has one holds one more
# template, which prints those values: ``.Values`` of the top chart is the very map helm
# validated. Templates render deepest path first (the engine's sortTemplates), so this one,
# deeper than any other of the chart or its subcharts, renders before a template could change
# ``.Values``; its document is taken out of the output (``split_values``). ``helm lint``
# renders it too, and prints nothing of it.
_VALUES_NAME = "platecheck-values.yaml"
VALUES_TEMPLATE = "# platecheck-values: {{ toJson .Values }}\n"
# the top chart's ("<chart>/templates/...", "templates/..." for a chart named "."), or a
# subchart's: a chart checked on its own may also be a ``file://`` dependency of another,
# its copy (with the template) packed into that one
_VALUES_DOCUMENT = re.compile(
    r"^---\n# Source: (?:[^\n/]+/)?((?:charts/)?)[^\n]*?templates/(?:v/)*"
    + re.escape(_VALUES_NAME) + r"\n# platecheck-values: (.*)\n", re.MULTILINE)


def reports_values(chart: Path) -> bool:
    """Whether renders of ``chart`` report their values: it has a values schema to check
    them against."""
    return os.path.lexists(chart / SCHEMA_FILE)


def with_values_template(copy: Path) -> None:
    """The values template added to a chart's private copy, one directory deeper than the
    deepest file of the chart and of the chart archives in it."""
    depth = 0
    for current, _, names in walk(copy):
        here = Path(current).relative_to(copy).parts
        depth = max(depth, len(here) + 1 if names else 0)
        for name in names:
            if name.endswith(".tgz"):
                depth = max(depth, len(here) + _archive_depth(Path(current, name)))
    path = copy.joinpath("templates", *("v" * depth), _VALUES_NAME)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(VALUES_TEMPLATE, encoding="utf-8")


def _archive_depth(archive: Path) -> int:
    """The most parts a file's path in a chart archive has (its first directory is the
    chart's name, as in helm's name of the file); a generous number when it cannot be read
    (helm refuses the archive then)."""
    import tarfile

    try:
        with tarfile.open(archive, "r:gz") as tar:
            return max((len(name.split("/")) for name in tar.getnames()), default=0)
    except (OSError, tarfile.TarError, EOFError):
        return 32


def split_values(stdout: str) -> tuple[str, Any]:
    """helm template's output without the values document, and the values it holds (None
    when there is none: a render that did not report them)."""
    values, kept, end = None, [], 0
    for found in _VALUES_DOCUMENT.finditer(stdout):
        kept.append(stdout[end:found.start()])
        end = found.end()
        if not found.group(1):
            try:
                values = json.loads(found.group(2))
            except ValueError:
                values = None
    if not kept:
        return stdout, None
    return "".join(kept) + stdout[end:], values


# helm lint lints each path it is given on its own, one after the other, with the same values
# (cmd/helm/lint.go: one action.Lint run per path, each printed under "==> Linting PATH"). With
# no value files nothing is shared between them (with value files, lint coalesces the chart's
# values.yaml into the one map all paths share, so one chart's defaults would reach the next),
# so lints without value files and with the same flags run in one process and are split back
# into what each would have printed alone. A lint with value files joins them when its copy of
# the chart holds its values (``platecheck.lintvalues``).
MAX_LINT_BATCH = 32  # charts in one helm lint process, at most
_HALVED = 4  # lints a process that did not divide exactly is tried again for, in halves
_HALVES, _ALONE = "halves", "alone"  # what to do when lints shared a process in vain


_VALUE_FLAGS = ("--values=", "--set=", "--set-string=", "--set-file=")  # values lint shares


def _batchable(call: HelmCall) -> bool:
    return call.argv[:1] == ("lint",) and not any(a.startswith(_VALUE_FLAGS) for a in call.argv)


def lint_batches(calls: Sequence[HelmCall]) -> list[list[HelmCall]]:
    """``calls`` as the processes that answer them: each lint without value files grouped
    with those of the same flags (at most ``MAX_LINT_BATCH``), every other call alone."""
    groups: dict[tuple[str, ...], list[HelmCall]] = {}
    jobs: list[list[HelmCall]] = []
    for call in calls:
        if _batchable(call):
            flags = tuple(a for a in call.argv if a != str(call.copy))
            group = groups.setdefault(flags, [])
            if not group:
                jobs.append(group)
            group.append(call)
            if len(group) == MAX_LINT_BATCH:
                del groups[flags]
        else:
            jobs.append([call])
    return jobs


class LintMarker(NamedTuple):
    """A chart linted before, between and after the charts of one helm lint process: its
    lint logs one line holding ``token`` on stderr (a ``required`` value it lacks) and
    nothing else, so the lines between two of its marks are the chart's between them."""

    path: Path
    token: str


def split_lint(result: HelmResult, paths: Sequence[str], marker: LintMarker | None = None
               ) -> list[HelmResult] | None:
    """What ``helm lint`` prints for each of ``paths`` alone, from one run over all of them
    (with ``marker``, linted before, between and after them); None when that run's output
    does not divide exactly (then each is run again)."""
    order = list(paths)
    if marker is not None:
        order = [str(marker.path)]
        for path in paths:
            order.extend((path, str(marker.path)))
    sections = _sections(result.stdout, order)
    if sections is None:
        return None
    failed = [any(line.startswith(("[WARNING] ", "[ERROR] ", "Error "))
                  for line in section.splitlines()[1:]) for section in sections]
    summary = f"{len(order)} chart(s) linted, {sum(failed)} chart(s) failed\n"
    logged = result.stderr
    if any(failed):
        if result.exit_code != 1 or not logged.endswith(f"Error: {summary}"):
            return None
        logged = logged[:-len(f"Error: {summary}")]
    else:
        if result.exit_code != 0 or not sections[-1].endswith(summary):
            return None
        sections[-1] = sections[-1][:-len(summary)]
    if not all(section.endswith("\n\n") for section in sections):
        return None
    logs = [""] * len(paths) if not logged else None
    if marker is not None:
        mark = f"==> Linting {marker.path}\n\n"
        if any(sections[index] != mark for index in range(0, len(sections), 2)):
            return None
        sections, failed = sections[1::2], failed[1::2]
        logs = _logged_between(logged, marker.token, len(paths))
    if logs is None:
        return None
    return [HelmResult(1, section, f"{log}Error: 1 chart(s) linted, 1 chart(s) failed\n")
            if bad else HelmResult(0, f"{section}1 chart(s) linted, 0 chart(s) failed\n", log)
            for section, bad, log in zip(sections, failed, logs, strict=True)]


def _sections(stdout: str, order: Sequence[str]) -> list[str] | None:
    """``stdout`` cut at the ``==> Linting PATH`` line of each of ``order``, in order."""
    starts: list[int] = []
    for path in order:
        at = stdout.find(f"==> Linting {path}\n", starts[-1] + 1 if starts else 0)
        if at < 0 or (not starts and at != 0) or (at and stdout[at - 1] != "\n"):
            return None
        starts.append(at)
    ends = [*starts[1:], len(stdout)]
    return [stdout[start:end] for start, end in zip(starts, ends, strict=True)]


def _logged_between(logged: str, token: str, count: int) -> list[str] | None:
    """The text between ``count + 1`` lines holding ``token``, which must start and end
    ``logged``; None otherwise."""
    chunks: list[str] = []
    current: list[str] = []
    marks = 0
    for line in logged.splitlines(keepends=True):
        if token not in line:
            current.append(line)
            continue
        if marks == 0 and current:
            return None  # logged before the first chart: no chart's own
        if marks:
            chunks.append("".join(current))
        current = []
        marks += 1
    return chunks if marks == count + 1 and not current else None


def _check_namespace(target: RenderTarget) -> None:
    """The namespace a target deploys to is a valid one (a DNS-1123 label): Argo CD applies
    its resources there, and the API server refuses any other name (an ApplicationSet's
    parameter no element sets stays ``{{values.ns}}``)."""
    if not valid_namespace(target.namespace):
        _refuse_name(target.namespace, 63, "namespace", target,
                     _written_key(target, "namespace", ("spec", "destination", "namespace")))


def _refuse_application_name(target: RenderTarget) -> None:
    """When the release name is the Application's own name (no ``helm.releaseName``) and that
    name is none the API server takes (``web_App``), the Application is what is refused: Argo
    CD never creates it, so it renders nothing (not a release name made of its tail)."""
    app = target.application
    if app is None or _written_key(target, "releaseName", ()) or is_name(
            app.name, DNS1123_SUBDOMAIN):
        return
    where = app.origin(("metadata", "name"))
    raise PlatecheckError(
        f"Application name {app.name!r} is not {DNS1123_SUBDOMAIN.text}: the API server "
        "refuses the Application, so Argo CD renders nothing of it", where.file, where.line)


def _written_key(target: RenderTarget, field: str, default: KeyPath) -> KeyPath:
    """Where the Application (or an override file of it) writes ``helm.<field>``, which gives
    the release name or namespace, else ``default``; none when several sources write it."""
    app = target.application
    if app is None:
        return ()
    written = [path for path in dict.fromkeys((*app.places, *app.lines))
               if path[-2:] == ("helm", field)]
    return written[0] if len(written) == 1 else default if not written else ()


def _refuse_name(value: str, limit: int, what: str, target: RenderTarget,
                 key: KeyPath = ()) -> NoReturn:
    app = target.application
    written = app.origin(key) if app and key else None
    file, line = (written.file, written.line) if written else (app.file, app.line) if app \
        else (target.chart.rel if target.chart else None, None)
    raise PlatecheckError(f"{what} {value!r} is not a valid DNS-1123 name "
                          f"(lowercase letters, digits and '-', at most {limit})", file, line)


_FAILED_AT = "execution error at ("
_DEBUG_HINT = "Use --debug flag to render out invalid YAML"


def first_error_line(stderr: str) -> str:
    """What went wrong, as one line: helm's ``Error:`` line with its continuation. Helm 3
    splits template errors over indented lines; an ``Error:`` line ending in ``:`` (a chart's
    ``values.schema.json`` failure) is followed by the reasons, not indented, up to a blank
    line. Helm 4 writes each template of an ``include`` chain on a line of its own, not
    indented, after a line ending in ``:`` (``error calling include:``)."""
    raw = stderr.splitlines()
    for index, line in enumerate(raw):
        if line.startswith("Error:") and _FAILED_AT in line:  # a template's ``fail``: its
            # message whole, blank lines and all, up to helm's closing hint
            rest = [follow.strip() for follow in raw[index + 1:]]
            rest = rest[:rest.index(_DEBUG_HINT)] if _DEBUG_HINT in rest else rest
            return " ".join(part for part in [line[len("Error:"):].strip(), *rest] if part)
        if line.startswith("Error:"):
            parts = [line[len("Error:"):].strip()]
            introduces = line.rstrip().endswith(":")
            for follow in raw[index + 1:]:
                if not follow.strip() or not (introduces or follow[:1].isspace()
                                              or parts[-1].endswith(":")):
                    break
                parts.append(follow.strip())
            return " ".join(part for part in parts if part)
    lines = [line.strip() for line in raw if line.strip()]
    for line in lines:
        if not line.startswith("WARNING"):
            return line
    return lines[0] if lines else "helm failed without a message"
