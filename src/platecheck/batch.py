"""Renders targets a batch at a time (generated Applications come in later batches): Helm
charts with helm, Kustomize sources with ``kubectl kustomize``, directory sources read here;
a chart with a symbolic link out of it or into ``.git`` is refused, not rendered."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from platecheck.cache import RENDERS, RenderCache, ResultMemo, chart_tree, default_cache_dir
from platecheck.chartfile import chart_yaml
from platecheck.config import Config
from platecheck.directory import render_directory
from platecheck.discover import rel_path
from platecheck.errors import PlatecheckError
from platecheck.helmbin import find_helm, helm_version, memo_dir
from platecheck.limits import MAX_JOBS
from platecheck.model import HelmLint, RenderedTarget, RenderTarget, SourceType
from platecheck.parse import ParsedChunks
from platecheck.plan import Planner
from platecheck.policies import lint_wanted
from platecheck.problems import Problems
from platecheck.provenance import at, target_origin
from platecheck.render import Helm, HelmStats
from platecheck.rendering import render_helm
from platecheck.sandbox import scratch

# where the documents of template outputs are remembered, under the cache directory
PARSED = "parsed"


@dataclass
class Batch:
    """Renders targets, a batch at a time (generated Applications come in later batches);
    helm is looked for once, when a batch first needs it."""

    planner: Planner
    problems: Problems
    config: Config
    helm: str | os.PathLike[str] | None
    jobs: int | None
    cache_dir: Path | None
    use_cache: bool
    lints: list[HelmLint] = field(default_factory=list)
    renders: int = 0  # helm processes
    cache_hits: int = 0
    builds: int = 0  # kubectl kustomize processes
    parsed: ParsedChunks = field(init=False)
    wants_lint: Callable[[str], bool] = field(init=False)  # helm lint for an environment

    def __post_init__(self) -> None:
        self._memo = ResultMemo(memo_dir() / PARSED) if self.use_cache else None
        self.parsed = ParsedChunks(self._memo)
        self.wants_lint = lint_wanted(self.config)

    def save(self) -> None:
        """Keep the documents of the template outputs parsed for the first time."""
        if self._memo is not None:
            self._memo.save()

    def render(self, targets: Sequence[RenderTarget],
               meanwhile: Callable[[], None] = lambda: None) -> list[RenderedTarget]:
        """``targets`` rendered; ``meanwhile`` is done while helm renders (at once when
        nothing is rendered with helm)."""
        root = self.planner.root
        to_render = [t for t in targets if t.rendered_here and t.chart is not None]
        to_render = links_inside(to_render, root, self.problems)
        rendered: list[RenderedTarget] = []
        if not to_render:
            meanwhile()
        else:
            cache = self._cache()
            binary = find_helm(self.helm, cache_dir=self.cache_dir)
            helm_version(binary)  # an unusable helm is one error, not one per target
            jobs = jobs_for(self.jobs, self.config.jobs)
            with scratch() as workdir:
                runner = Helm(binary=binary, workdir=workdir, root=root,
                              timeout=self.config.render_timeout, jobs=jobs, cache=cache)
                rendered, lints = render_helm(runner, self.planner, to_render, self.problems,
                                          self.parsed, meanwhile, self.wants_lint)
                self.lints.extend(lints)
                self.renders += runner.stats.renders
                self.cache_hits += runner.stats.cache_hits
        local = [t for t in targets if t.rendered_here and t.chart is None]
        built, stats = render_local(local, root, self.problems, self.config.render_timeout,
                                     self.cache_dir, self.helm, cache=self._cache(),
                                     jobs=jobs_for(self.jobs, self.config.jobs),
                                     build_options=self.config.kustomize_build_options)
        rendered.extend(built)
        self.builds += stats.renders
        self.cache_hits += stats.cache_hits
        return rendered

    def _cache(self) -> RenderCache | None:
        """One cache root: renders in <root>/renders, `setup`'s helm in <root>/helm."""
        if not self.use_cache:
            return None
        return RenderCache((self.cache_dir or default_cache_dir()) / RENDERS)


def render_local(targets: Sequence[RenderTarget], root: Path, problems: Problems,
                  timeout: float, cache_dir: Path | None,
                  helm: str | os.PathLike[str] | None = None, *,
                  cache: RenderCache | None = None, jobs: int = 1,
                  build_options: Sequence[str] | None = None
                  ) -> tuple[list[RenderedTarget], HelmStats]:
    """Directory sources (read here) and Kustomize sources (``kubectl kustomize`` with
    ``build_options``, through the render cache, ``jobs`` at once), in the order of
    ``targets``."""
    results: dict[str, RenderedTarget | PlatecheckError] = {}
    builds = [t for t in targets if t.source_type is SourceType.KUSTOMIZE]
    for target in targets:
        if target.source_type is not SourceType.KUSTOMIZE:
            try:
                results[target.id] = render_directory(target, root, timeout)
            except PlatecheckError as exc:
                results[target.id] = exc
    stats = HelmStats()
    if builds:
        stats = _build(builds, results, root, timeout, cache_dir, helm, cache=cache,
                       jobs=jobs, build_options=build_options)
    rendered = []
    for target in targets:
        result = results[target.id]
        if isinstance(result, PlatecheckError):
            problems.add(result, target)
        else:
            rendered.append(result)
    return rendered, stats


def _build(builds: Sequence[RenderTarget], results: dict[str, RenderedTarget | PlatecheckError],
           root: Path, timeout: float, cache_dir: Path | None,
           helm: str | os.PathLike[str] | None, *, cache: RenderCache | None, jobs: int,
           build_options: Sequence[str] | None) -> HelmStats:
    """The Kustomize sources ``builds`` built into ``results``; kubectl and the Kustomize
    renderer are imported only by a run that has such sources."""
    from platecheck.helmbin.kubectl import find_kubectl
    from platecheck.kustomize import Kustomize

    try:
        kubectl = find_kubectl(None, cache_dir=cache_dir)
    except PlatecheckError as exc:
        results.update((t.id, PlatecheckError(exc.message, **at(target_origin(t))))
                       for t in builds)
        return HelmStats()
    with scratch() as workdir:
        runner = Kustomize(kubectl, root, workdir, timeout, _helm_or_none(helm, cache_dir),
                           cache_dir, cache=cache, jobs=jobs, build_options=build_options)
        results.update(zip((t.id for t in builds), runner.render_all(builds), strict=True))
    return runner.stats


def _helm_or_none(helm: str | os.PathLike[str] | None, cache_dir: Path | None) -> Path | None:
    """helm for kustomize's helmCharts, when there is one (its absence is reported only by a
    kustomization that needs it)."""
    try:
        return find_helm(helm, cache_dir=cache_dir)
    except PlatecheckError:
        return None


def jobs_for(given: int | None, configured: int | None) -> int:
    """helm processes at once: the command line's number, else the configuration's, which a
    checked repository writes and so cannot ask for more than this machine's CPUs."""
    cpus = os.cpu_count() or 1
    if given is not None:
        return max(1, min(given, MAX_JOBS))
    return max(1, min(configured or cpus, cpus))


def links_inside(targets: Sequence[RenderTarget], root: Path,
                  problems: Problems) -> list[RenderTarget]:
    """The targets whose chart has no symbolic link out of the repository, into ``.git`` or
    to a directory holding the chart. helm would follow such a link and render whatever
    file of this machine or of the checkout's ``.git`` it names (a CI token); platecheck
    gives helm a copy of the chart and of what its links inside the repository lead to
    (a ``LICENSE`` of the repository root), and refuses the chart instead of rendering it
    without the file. Argo CD refuses links out of the repository
    (https://github.com/advisories/GHSA-q4w5-4gq2-98vm)."""
    outside: dict[Path, tuple[Path, ...]] = {}
    kept = []
    for target in targets:
        assert target.chart is not None
        chart = target.chart.path
        if chart not in outside:
            try:
                outside[chart] = chart_tree(chart, root, tracked_only=True).outside
            except PlatecheckError as exc:
                problems.add(PlatecheckError(exc.message, chart_yaml(target.chart)),
                             target)
                continue
        for link in outside[chart]:
            problems.add(PlatecheckError(
                f"{_where_link_leads(link, root)}; platecheck does not follow it, so this "
                "chart is not rendered", rel_path(link, root)), target)
        if not outside[chart]:
            kept.append(target)
    return kept


def _where_link_leads(link: Path, root: Path) -> str:
    """What is wrong with where the link ``link`` (or a file reached through one) leads."""
    if not link.is_symlink():
        return "a symbolic link leads to this file, which the Git index does not track"
    real = Path(os.path.realpath(link))
    where = "into .git" if ".git" in real.parts else "out of the repository" \
        if not real.is_relative_to(os.path.realpath(root)) else \
        "to a directory holding the chart" if real.is_dir() else \
        "to a file the Git index does not track"
    return f"symbolic link to {os.readlink(link)} leads {where}"
