"""helm's renders and lints of a batch of targets, into rendered targets and helm lint's
results: each lint runs after the render of the first target it lints; a failed render is
one could-not-check error at the line to edit."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from platecheck.cache import HelmResult, read_regular
from platecheck.chartfile import chart_yaml, declared, key_line
from platecheck.dependencies import subchart_defaults
from platecheck.discover import rel_path
from platecheck.errors import TIMED_OUT, PlatecheckError
from platecheck.helmargs import set_argv
from platecheck.helmbin import helm_major
from platecheck.limits import go_crash
from platecheck.lintvalues import lint_values
from platecheck.model import (
    Chart,
    HelmLint,
    MergedValues,
    Origin,
    RenderedTarget,
    RenderTarget,
    ValuesFile,
)
from platecheck.parse import ParsedChunks, add_helpers, error_location, parse_manifest
from platecheck.plan import Planner, environment_files
from platecheck.problems import Problems
from platecheck.progress import Progress
from platecheck.provenance import target_origin
from platecheck.render import Helm, HelmCall, first_error_line, split_values
from platecheck.values import Layer, merge_values, non_json_number, target_layers
from platecheck.values_schema import check_values, refused_at
from platecheck.yamlio import MAX_FILE_SIZE

_KUBE_VERSION_REFUSED = "chart requires kubeVersion"
KUBE_VERSION_REMEDY = (
    "Render for the cluster's Kubernetes version, as Argo CD does: set kubernetesVersion in "
    "policies/platecheck.yaml (or the Application's helm.kubeVersion); without either, "
    "charts render for the version of the default schemas.")
# helm refuses to load a chart whose Chart.yaml fails the metadata's validation
# (pkg/chart/metadata.go, Metadata.Validate): `validation: chart.metadata.version "abc" is
# invalid`, the field named; a subchart's refusal starts `error unpacking subchart`
_METADATA_REFUSED = re.compile(r"validation: chart\.metadata\.([A-Za-z]+)\b")


def render_helm(runner: Helm, planner: Planner, targets: Sequence[RenderTarget],
            problems: Problems, parsed: ParsedChunks, meanwhile: Callable[[], None],
            wants_lint: Callable[[str], bool]) -> tuple[list[RenderedTarget], list[HelmLint]]:
    """The rendered targets and helm lint's results. While helm's processes run, the
    calling thread does ``meanwhile``, then builds the targets whose renders came from the
    cache, then the others as their renders arrive (each lint runs after the render of the
    first target it lints). helm lint runs for the environments ``wants_lint`` names."""
    calls: list[HelmCall] = []
    owners: list[RenderTarget] = []
    for target in targets:
        try:
            calls.append(runner.template_call(target))
            owners.append(target)
        except PlatecheckError as exc:
            problems.add(exc, target)
    lints = {group: (target, runner.lint_call(
                 target.chart, group[2], target.kube_version,
                 lint_values(target.chart, target.chart_values, target.value_files), target))
             for group, target in _lint_groups(owners, wants_lint).items()
             if target.chart is not None}
    progress = _Progress(calls, owners, {group: call.key for group, (_, call) in lints.items()})
    major = helm_major(runner.binary) if calls else 3

    built: dict[int, tuple[RenderedTarget | None, Problems]] = {}

    def build(index: int, result: HelmResult | PlatecheckError) -> None:
        own = Problems()  # added in the targets' order, whichever is built first
        built[index] = (_rendered(planner, owners[index], result, own, parsed, major), own)

    def while_rendering(known: Mapping[str, HelmResult | PlatecheckError],
                        arriving: Iterator[tuple[str, HelmResult | PlatecheckError]]) -> None:
        meanwhile()
        waiting: dict[str, list[int]] = {}
        for index, call in enumerate(calls):
            if call.key in known:
                build(index, known[call.key])
            else:
                waiting.setdefault(call.key, []).append(index)
        for key, result in arriving:  # built while later renders and lints run
            for index in waiting.pop(key, ()):
                build(index, result)
            if not waiting:
                break

    try:
        order = _each_lint_after_its_render(calls, owners, lints)
        results = dict(zip((c.key for c in order), runner.run_all(
            order, progress.finished, while_rendering), strict=True))
    finally:
        progress.line.close()
    rendered = []
    for index, result in enumerate(results[c.key] for c in calls):
        if index not in built:
            build(index, result)
        item, own = built.pop(index)
        problems.merge(own)
        if item is not None:
            rendered.append(item)
    return rendered, _lints(planner, lints, results, problems, zip(owners, calls, strict=True))


# chart, environment, value files, and the values besides them (helm.values or valuesObject,
# and parameters)
_LintGroup = tuple[Path, str, tuple[Path, ...], tuple[Any, ...]]
_Lints = Mapping[_LintGroup, tuple[RenderTarget, HelmCall]]  # its first target, its lint


def _each_lint_after_its_render(calls: Sequence[HelmCall], owners: Sequence[RenderTarget],
                                lints: _Lints) -> list[HelmCall]:
    """The renders in order, each followed by the lint its target is the first of, so that
    targets are done (render and lint, for the progress line) all along the run."""
    order: list[HelmCall] = []
    for call, target in zip(calls, owners, strict=True):
        order.append(call)
        first, lint = lints.get(_lint_group(target), (None, None))
        if first is target and lint is not None:
            order.append(lint)
    return order


def _lint_group(target: RenderTarget) -> _LintGroup:
    assert target.chart is not None
    return (target.chart.path, target.environment, tuple(v.path for v in target.value_files),
            (target.extra_values, tuple(set_argv(target))))


def lint_identity(target: RenderTarget) -> str:
    """The lint of a chart's target (``HelmLint.identity``): one per chart, environment,
    value files and values given besides them."""
    return json.dumps(_lint_group(target), default=str)


def _lint_groups(owners: Sequence[RenderTarget], wants_lint: Callable[[str], bool]
                 ) -> dict[_LintGroup, RenderTarget]:
    """The first target of each chart, environment and value files: helm lint runs once
    for each (in the environments where some policy reads what it prints)."""
    groups: dict[_LintGroup, RenderTarget] = {}
    for target in owners:
        if wants_lint(target.environment):
            groups.setdefault(_lint_group(target), target)
    return groups


class _Progress:
    """Targets through helm, for the progress line: a target is done once its render and
    its helm lint (when one runs for it) have ended. Told of each call as it ends, from the
    threads that run them."""

    def __init__(self, calls: Sequence[HelmCall], owners: Sequence[RenderTarget],
                 lints: Mapping[_LintGroup, str]) -> None:
        self._pending: dict[str, set[str]] = {}  # a render's key -> the calls it waits for
        for call, target in zip(calls, owners, strict=True):
            pending = self._pending.setdefault(call.key, {call.key})
            lint = lints.get(_lint_group(target))
            if lint is not None:
                pending.add(lint)
        self._waiting: dict[str, list[str]] = {}  # a call's key -> the renders waiting
        for render, keys in self._pending.items():
            for key in keys:
                self._waiting.setdefault(key, []).append(render)
        self._lock = threading.Lock()
        self.line = Progress(len(self._pending), what="targets rendered and linted"
                             if lints else "targets rendered")

    def finished(self, call: HelmCall) -> None:
        with self._lock:
            done = 0
            for render in self._waiting.pop(call.key, ()):
                self._pending[render].discard(call.key)
                done += not self._pending[render]
        for _ in range(done):
            self.line.advance()


def _timed_out(result: HelmResult | PlatecheckError) -> bool:
    return isinstance(result, PlatecheckError) and TIMED_OUT in result.message


def _lints(planner: Planner, groups: _Lints,
           results: Mapping[str, HelmResult | PlatecheckError], problems: Problems,
           renders: Iterable[tuple[RenderTarget, HelmCall]]) -> list[HelmLint]:
    """What helm lint said of each chart, environment and value files. A lint that ran out
    of time where its target's render (``renders``: each target's call) did too says
    nothing more."""
    timed_out = {id(target) for target, call in renders if _timed_out(results[call.key])}
    lints = []
    for (_, env, files, _), (target, call) in groups.items():
        assert target.chart is not None
        result = results[call.key]
        if id(target) in timed_out and _timed_out(result):
            continue  # one cause: the render's error says it
        if isinstance(result, PlatecheckError):  # a failed copy of the chart says where
            problems.add(PlatecheckError(result.message, result.file or chart_yaml(target.chart),
                                         result.line), target)
            continue
        lints.append(HelmLint(chart=target.chart, environment=env,
                              value_files=tuple(rel_path(p, planner.root) for p in files),
                              exit_code=result.exit_code,
                              output=(result.stdout + result.stderr).strip(),
                              identity=lint_identity(target)))
    return lints


def _rendered(planner: Planner, target: RenderTarget, result: HelmResult | PlatecheckError,
              problems: Problems, parsed: ParsedChunks, major: int = 3
              ) -> RenderedTarget | None:
    assert target.chart is not None
    origin = target_origin(target)
    file, line = (origin.file, origin.line) if origin else (None, None)
    subcharts = subchart_defaults(target.chart.path, planner.root)
    if isinstance(result, PlatecheckError):  # a failed copy of the chart says where
        problems.add(result if result.file else PlatecheckError(result.message, file, line),
                     target)
        return None
    if result.exit_code != 0:
        reason = first_error_line(result.stderr)
        if _RENDERING.search(reason):  # helm checks the values against the schema first
            try:
                check_values(target, lambda: _validated(target, target_layers(target), None,
                                                        subcharts), major)
            except PlatecheckError as exc:
                problems.add(exc, target)
                return None
        refused = refused_at(target, result.stderr)
        error = _unconfigured(target, _template_failure(
            target.chart, reason, planner.root, _unsupported_number(target, reason)
            or ((refused.file, refused.line) if refused else (file, line))))
        problems.add(error, target, detail=result.stderr)
        return None
    try:
        manifest, validated = split_values(result.stdout)
        resources, templates = parse_manifest(manifest, target.chart, planner.root,
                                              (file or target.chart.rel, line), parsed)
        layers = target_layers(target)
        values = merge_values(target.chart_values, layers, subcharts=subcharts)
        check_values(target, lambda: _validated(target, layers, validated, subcharts), major)
    except PlatecheckError as exc:
        problems.add(exc, target)
        return None
    return RenderedTarget(target=target, resources=resources, values=values,
                          manifest=manifest, templates=templates,
                          includes=add_helpers(templates, planner.root, target.chart),
                          subcharts={dep.alias or dep.name: Origin(dep.file, dep.line)
                                     for dep in declared(target.chart.path, planner.root)})


# a failure while helm renders the templates, which it does once the values have met the
# chart's schema (helm's chart loading and dependency checks come before both)
_RENDERING = re.compile(r"execution error at \(|\btemplate: |parse error at \(|"
                        r"YAML parse error on |error calling ")


def _validated(target: RenderTarget, layers: Sequence[Layer], reported: Any,
               subcharts: Sequence[tuple[str, ValuesFile]]) -> MergedValues:
    """The values helm validates, as its render reported them (``render.split_values``),
    with the origins of those the user, the chart's values.yaml or its subcharts' set;
    without a report, those alone."""
    merged = merge_values(target.chart_values, layers, keep_nulls=True, subcharts=subcharts)
    if not isinstance(reported, dict):
        return merged
    return MergedValues(data=reported, origins=merged.origins)


# helm loading a values file whose number JSON cannot write (``.nan``, ``.inf``)
_NON_JSON_NUMBER = re.compile(
    r"(?:cannot load (values\.yaml)|failed to parse (\S+)): .*?\bjson: unsupported value: "
    r"(NaN|[+-]Inf)\b")


def _unsupported_number(target: RenderTarget, reason: str) -> tuple[str, int] | None:
    """The values line of such a number, when helm's failure is one: the chart's own
    values.yaml, or the value file helm names."""
    match = _NON_JSON_NUMBER.search(reason)
    if match is None:
        return None
    files = [target.chart_values] if match.group(1) else [
        f for f in target.value_files
        if f.rel == match.group(2) or os.fspath(f.path) == match.group(2)]
    for values in (f for f in files if f is not None):
        line = non_json_number(values, match.group(3))
        if line is not None:
            return values.rel, line
    return None


def _unconfigured(target: RenderTarget, error: PlatecheckError) -> PlatecheckError:
    """A chart linted on its own, rendered with its values.yaml alone, failed: when values
    files beside it name environments not configured (``values-dev.yaml``), the remedy says
    so."""
    if target.application is not None or target.value_files or target.chart is None \
            or error.remedy:
        return error
    files = sorted(path.name for _, path in environment_files(target.chart.path,
                                                               named_after=False))
    if not files:
        return error
    return PlatecheckError(
        error.message, error.file, error.line,
        f"This render used the chart's values.yaml alone: {', '.join(files)} name no "
        "configured environment. Configure those environments in policies/platecheck.yaml "
        "(see docs/configuration.md), or fix the chart's defaults.")


_SHOWN = 1200  # characters of helm's message a could-not-check error says, at most


def _bounded(reason: str) -> str:
    """helm's message, its middle left out past ``_SHOWN`` characters: a template that
    includes itself makes helm repeat the chain of includes for hundreds of kilobytes, the
    first frame and the last clause (``rendering template has a nested reference name``)
    saying what failed."""
    if len(reason) <= _SHOWN:
        return reason
    head, tail = reason[:_SHOWN * 2 // 3], reason[-_SHOWN // 3:]
    return f"{head} [... {len(reason) - len(head) - len(tail)} characters ...] {tail}"


_CAPABILITIES = b".Capabilities.APIVersions"
API_VERSIONS_REMEDY = (
    "The template asks .Capabilities.APIVersions: helm is given the API versions of "
    "kubernetesVersion's built-in kinds and those apiVersions lists in policies/"
    "platecheck.yaml, where Argo CD passes the cluster's (its CRDs' too): list there what "
    "your clusters serve (e.g. apiVersions: [monitoring.coreos.com/v1/ServiceMonitor]), or "
    "fix the template.")


# a template of a subchart helm names in its error: ``<chart>/charts/<subchart>/``
_SUBCHART_NAMED = re.compile(r"(?<![\w./-])([^/()\s\"]+)/charts/([^/()\s\"]+)/")


def _archived(reason: str, chart: Chart, root: Path) -> tuple[str, int | None] | None:
    """The dependency entry of Chart.yaml (or requirements.yaml) declaring the subchart
    whose template ``reason`` names last, when that template is no file here (a subchart
    archive's): the line its resources' findings are at too."""
    named = [m for m in _SUBCHART_NAMED.finditer(reason) if m.group(1) == chart.name]
    if not named:
        return None
    try:
        dependencies = declared(chart.path, root)
    except PlatecheckError:
        return None
    return next(((dep.file, dep.line) for dep in dependencies
                 if (dep.alias or dep.name) == named[-1].group(2)), None)


def _template_failure(chart: Chart, reason: str, root: Path,
                      origin: tuple[str | None, int | None]) -> PlatecheckError:
    """helm template's failure with ``reason``, at the line to edit: the line of Chart.yaml
    that helm refuses the chart for (its kubeVersion, or a field of its metadata), else the
    template helm names, else ``origin`` (where the target is declared)."""
    reason = go_crash([reason]) or reason
    refused = _METADATA_REFUSED.match(reason)
    field = "kubeVersion" if _KUBE_VERSION_REFUSED in reason else (
        refused.group(1) if refused else None)
    if field is None:
        file, line = error_location(reason, chart, root) or _archived(reason, chart, root) \
            or origin
        inner = _METADATA_REFUSED.search(reason)  # a subchart's Chart.yaml helm refuses
        if inner is not None and file is not None and file.endswith("Chart.yaml"):
            line = key_line(read_regular(root / file, MAX_FILE_SIZE), inner.group(1))
        asks = file is not None and _CAPABILITIES in (
            read_regular(root / file, MAX_FILE_SIZE) or b"")
        return PlatecheckError(f"helm template failed: {_bounded(reason)}", file, line,
                               API_VERSIONS_REMEDY if asks else None)
    return PlatecheckError(
        f"helm template failed: {_bounded(reason)}", chart_yaml(chart),
        key_line(read_regular(chart.path / "Chart.yaml", MAX_FILE_SIZE), field),
        KUBE_VERSION_REMEDY if field == "kubeVersion" else None)
