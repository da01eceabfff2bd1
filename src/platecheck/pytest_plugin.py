"""pytest plugin: every policy x target is a test item; fixtures expose the rendered model.

Shaped like pytest's own example for tests that are not Python
(https://docs.pytest.org/en/stable/example/nonpython.html): a collector per target yields one
``PolicyItem`` per policy, whose failure is the list of findings, not a traceback.

- ``pytest --platecheck [PATH]`` (or ``platecheck = true`` in the ini file) adds the items:
  ``prod/plate-web::image-tag-pinned``, and ``repository::<policy>`` for repository-wide
  policies: the test cases of ``platecheck.report.cases``, which the JUnit and SARIF reports
  count the same way. Findings at error level fail an item; an item whose findings are all
  waived, or whose policy is configured off there, is skipped with the reason; warnings are
  reported as ``PlatecheckWarning`` (those the warnings filter makes errors fail the item,
  listed after its error-level findings); a target that could not be checked fails every item
  of that target.
- Fixtures for policies written as ordinary tests: ``platecheck_repo`` (the RepoModel),
  ``rendered`` (the RenderedTargets; parametrize it indirectly with an environment name) and
  ``platecheck_targets(env=None, app=None, path=None)``.

The repository is loaded and checked once per process (per xdist worker); the render cache
on disk lets the workers share renders.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from platecheck.errors import PlatecheckError
from platecheck.model import Finding, Level, RenderedTarget, RepoModel, Report
from platecheck.report.cases import Outcome, TestCase, test_cases
from platecheck.report.common import REPOSITORY, finding_lines

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from platecheck.config import Config



class PlatecheckWarning(UserWarning):
    """A finding at warning level (``-W error::platecheck.pytest_plugin.PlatecheckWarning``
    makes them fail)."""


# -- options ----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("platecheck", "platecheck: Helm + Argo CD policy checks")
    group.addoption(
        "--platecheck", action="append", nargs="?", const="", default=None, metavar="PATH",
        help="add one test per policy x target for PATH (repository, environments/ directory, "
             "Application file or chart; default: platecheck_paths, else the rootdir)")
    group.addoption("--platecheck-env", action="append", default=None, metavar="ENV",
                    help="only this environment (repeatable)")
    group.addoption("--platecheck-config", default=None, metavar="DIR",
                    help="policy configuration directory (default: <repo>/policies)")
    group.addoption("--platecheck-helm", default=None, metavar="PATH",
                    help="helm binary (default: $PLATECHECK_HELM, PATH, then the cache "
                         "filled by 'platecheck setup')")
    group.addoption("--platecheck-no-cache", action="store_true", default=False,
                    help="render everything, read and write no render cache")
    parser.addini("platecheck", type="bool", default=False,
                  help="add the platecheck items without --platecheck")
    parser.addini("platecheck_paths", type="paths", default=[],
                  help="what platecheck checks, relative to the ini file (default: rootdir)")
    parser.addini("platecheck_env", type="args", default=[],
                  help="only these environments")
    parser.addini("platecheck_config", type="string", default="",
                  help="policy configuration directory, relative to the ini file")


@dataclass(frozen=True)
class Settings:
    enabled: bool
    paths: tuple[Path, ...]
    environments: tuple[str, ...] | None
    config_dir: Path | None
    helm: str | None
    use_cache: bool
    ini_dir: Path  # where the ini file's paths (and platecheck_targets' path) start

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        here = config.invocation_params.dir
        ini_dir = config.inipath.parent if config.inipath else config.rootpath
        given: list[str] | None = config.getoption("platecheck")
        paths = [here / p for p in given or () if p]
        if not paths:
            paths = list(config.getini("platecheck_paths")) or [config.rootpath]
        envs = config.getoption("platecheck_env") or config.getini("platecheck_env")
        config_opt: str | None = config.getoption("platecheck_config")
        config_ini: str = config.getini("platecheck_config")
        config_dir = here / config_opt if config_opt else (
            ini_dir / config_ini if config_ini else None)
        return cls(
            enabled=given is not None or bool(config.getini("platecheck")),
            paths=tuple(paths),
            environments=tuple(envs) if envs else None,
            config_dir=config_dir,
            helm=config.getoption("platecheck_helm"),
            use_cache=not config.getoption("platecheck_no_cache"),
            ini_dir=ini_dir,
        )


# -- one load and one check per process ---------------------------------------------------------


@dataclass
class RepositoryCache:
    """The loaded models (one per set of paths) and the Report of the configured paths."""

    settings: Settings
    models: dict[tuple[Path, ...], RepoModel] = field(default_factory=dict)
    report: Report | None = None
    config: Config | None = None  # the configuration the report was checked with

    def model(self, paths: Sequence[Path] | None = None) -> RepoModel:
        from platecheck import engine

        key = tuple(p.resolve() for p in (paths or self.settings.paths))
        if key not in self.models:
            s = self.settings
            self.models[key] = engine.load(
                list(key), config_dir=s.config_dir, environments=s.environments, helm=s.helm,
                use_cache=s.use_cache, compare=True)
        return self.models[key]

    def checked(self) -> Report:
        from platecheck import engine
        from platecheck.policies import configuration

        if self.report is None:
            model = self.model()
            config = configuration(model.root, self.settings.config_dir)
            self.report = engine.check(model, config, environments=self.settings.environments)
            self.config = config
        return self.report


_CACHE = pytest.StashKey[RepositoryCache]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_CACHE] = RepositoryCache(Settings.from_config(config))
    config.addinivalue_line("markers", "platecheck: a platecheck policy x target item")


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash[_CACHE].settings
    if not settings.enabled:
        return None
    paths = ", ".join(_shown_path(p, config.rootpath) for p in settings.paths)
    return f"platecheck: {paths}"


def _shown_path(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() or "." if path.is_relative_to(root) else str(path)


# -- collection ---------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so they apply to these items too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if config.stash[_CACHE].settings.enabled:
        items.extend(session.genitems(PlatecheckRun.from_parent(session, name="platecheck",
                                                                nodeid="platecheck")))


class PlatecheckRun(pytest.Collector):
    """Checks the repository (once) and yields a collector per target."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        cache = self.config.stash[_CACHE]
        try:
            report = cache.checked()
        except PlatecheckError as exc:
            raise self.CollectError(f"platecheck: error: {exc}") from None
        for name, cases in plan_items(report).items():
            yield TargetCollector.from_parent(self, name=name, nodeid=name, cases=cases,
                                              root=report.root)


def plan_items(report: Report) -> dict[str, list[TestCase]]:
    """Collector name (target id or ``repository``) -> its items: the test cases of
    ``platecheck.report.cases``, which the JUnit and SARIF reports count too.

    The items depend only on the targets and the policies that ran (never on findings), so
    every xdist worker collects the same ones; findings and errors are then sorted in."""
    plan: dict[str, list[TestCase]] = {}
    for case in test_cases(report):
        plan.setdefault(case.collector, []).append(case)
    return plan


class TargetCollector(pytest.Collector):
    """One target (or ``repository``): one item per policy."""

    def __init__(self, *, cases: Sequence[TestCase], root: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cases = cases
        self.root = root

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        for case in self.cases:
            yield PolicyItem.from_parent(self, name=case.policy, case=case, root=self.root)


class PolicyFailed(Exception):
    """Findings at error level (or could-not-check errors) for one item, and the warnings the
    warnings filter made errors (``-W error::...``, ``filterwarnings = error``)."""

    def __init__(self, heading: str, findings: Sequence[Finding], waived: int = 0,
                 warned: Sequence[Finding] = ()) -> None:
        super().__init__(heading)
        self.heading = heading
        self.findings = findings
        self.waived = waived
        self.warned = warned

    def __str__(self) -> str:
        lines = [self.heading]
        for finding in self.findings:
            lines.extend(finding_lines(finding, resource=True))
        for finding in self.warned:
            lines.extend(finding_lines(finding, label="warning:", target=True, resource=True))
        if self.waived:
            lines.append(f"({self.waived} more waived)")
        return "\n".join(lines)


class PolicyItem(pytest.Item):
    """One policy on one target: fails on findings at error level, with ``file:line``."""

    def __init__(self, *, case: TestCase, root: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.root = root
        # where a skip points: the waived finding, or the configuration that turned it off
        self.skipped_at: tuple[Path, int] | None = None
        self.add_marker("platecheck")

    def runtest(self) -> None:
        case = self.case
        outcome = case.outcome
        if outcome is Outcome.ERROR:
            raise self._could_not_check()
        if outcome is Outcome.OFF:
            config = self.config.stash[_CACHE].config
            line = config.level_line(case.policy, case.suite) if config is not None else None
            if config is not None and config.file is not None:
                self.skipped_at = (config.file, line or 1)
            pytest.skip(case.reason)
        promoted = self._warn(case.findings)
        failing, waived = case.failed, case.waived
        if outcome is Outcome.FAIL or promoted:
            counts = [_counted(len(failing), "finding")] if failing else []
            if promoted:  # (-W error::platecheck.pytest_plugin.PlatecheckWarning)
                counts.append(f"{_counted(len(promoted), 'warning')} the warnings filter "
                              "makes errors")
            raise PolicyFailed(f"{self.name}: {', '.join(counts)}", failing,
                               waived=len(waived), warned=promoted)
        if outcome is Outcome.SKIP:
            first = waived[0]
            self.skipped_at = (self.root / first.file if first.file else self.root,
                               first.line or 1)
            pytest.skip(case.reason)

    def _could_not_check(self) -> PolicyFailed:
        """The case's could-not-check errors, then its error-level findings: those of the
        rest of the target, when the policy could not check only a part of it."""
        case = self.case
        failing = case.failed
        if all(e.part_of == case.policy for e in case.errors):
            counts = f"; {_counted(len(failing), 'finding')}" if failing else ""
            part = "part of " if failing else ""
            heading = f"{self.name}: could not check {part}{self.parent_name}{counts}"
        else:
            heading = f"could not check {self.parent_name}: nothing here was checked"
        return PolicyFailed(heading, [*case.errors, *failing], waived=len(case.waived))

    def _warn(self, findings: Sequence[Finding]) -> list[Finding]:
        """Each warning-level finding as a ``PlatecheckWarning`` at its file and line; those
        the warnings filter turns into exceptions are returned, so that they join the failure
        instead of cutting off the other warnings and the error-level findings."""
        promoted = []
        for finding in findings:
            if finding.waived is None and finding.level is Level.WARNING:
                try:
                    warnings.warn_explicit(
                        PlatecheckWarning(
                            f"{finding.target or self.parent_name}: {finding.message}"),
                        PlatecheckWarning,
                        # absolute, as pytest reads the line from it and the checked
                        # repository need not be the current directory
                        filename=str(self.root / finding.file) if finding.file
                        else "<repository>",
                        lineno=finding.line or 0)
                except PlatecheckWarning:
                    promoted.append(finding)
        return promoted

    @property
    def parent_name(self) -> str:
        return self.parent.name if self.parent is not None else REPOSITORY

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: TracebackStyle | None = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, PolicyFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        file, line = self.case.location
        path = self.root / file if file else self.root
        return path, (line - 1 if line else None), self.nodeid


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number > 1 else ''}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A skip points at the waived finding or the configuration, not at this module."""
    report = yield
    if isinstance(item, PolicyItem) and item.skipped_at is not None and report.skipped \
            and isinstance(report.longrepr, tuple):
        path, line = item.skipped_at
        report.longrepr = (str(path), line, report.longrepr[2])
    return report


# -- fixtures -----------------------------------------------------------------------------------


def _cache(request: pytest.FixtureRequest) -> RepositoryCache:
    return request.config.stash[_CACHE]


def _load(cache: RepositoryCache, paths: Sequence[Path] | None = None) -> RepoModel:
    """The model the fixtures give: the session's environments only (``without_compared``)."""
    from platecheck.engine import without_compared

    try:
        return without_compared(cache.model(paths))
    except PlatecheckError as exc:
        pytest.fail(f"platecheck: error: {exc}", pytrace=False)


def _select(cache: RepositoryCache, model: RepoModel, env: str | Iterable[str] | None,
            app: str | None) -> list[RenderedTarget]:
    wanted = None if env is None else {env} if isinstance(env, str) else set(env)
    known = {e.name for e in model.environments} | {t.environment for t in model.targets}
    if wanted is not None and wanted - known:
        pytest.fail(f"platecheck: unknown environment {sorted(wanted - known)[0]!r} "
                    f"(configured: {', '.join(sorted(known))})", pytrace=False)
    # an environment the session's filter left out has no targets here: none is not a pass
    loaded = cache.settings.environments
    if wanted is not None and loaded is not None and wanted - set(loaded):
        pytest.fail(f"platecheck: environment {sorted(wanted - set(loaded))[0]!r} is not "
                    f"loaded: this session loads only {', '.join(loaded)} "
                    "(--platecheck-env / platecheck_env)", pytrace=False)
    ids = {t.id for t in model.targets
           if (wanted is None or t.environment in wanted) and (app is None or t.app == app)}
    chosen = [r for r in model.rendered if r.id in ids]
    # fail closed: a target that could not be rendered must not make a custom policy pass. A
    # target that failed while planning is not in model.targets: its error names it.
    errors = [e for e in model.errors
              if e.target is None or e.target in ids or _names(e, wanted, app)]
    if errors:
        lines = "\n".join(f"{e.location}: {e.target + ': ' if e.target else ''}{e.message}"
                          for e in errors)
        pytest.fail(f"platecheck: could not check:\n{lines}", pytrace=False)
    if not chosen and (wanted is not None or app is not None):
        # a misspelt app, or an environment no Application is of: none is not a pass
        asked = [f"environment {', '.join(sorted(wanted))}"] if wanted is not None else []
        asked += [f"app {app!r}"] if app is not None else []
        pytest.fail(f"platecheck: no target of {' and '.join(asked)} was loaded",
                    pytrace=False)
    return chosen


def _names(error: Finding, environments: set[str] | None, app: str | None) -> bool:
    """Whether a could-not-check error is about a target of these environments and app."""
    if error.environment is None or error.target is None:
        return False
    if environments is not None and error.environment not in environments:
        return False
    return app is None or error.target.removeprefix(f"{error.environment}/") == app


@pytest.fixture(scope="session")
def platecheck_repo(request: pytest.FixtureRequest) -> RepoModel:
    """The loaded repository: Applications, charts, targets and rendered targets."""
    return _load(_cache(request))


@pytest.fixture(scope="session")
def rendered(request: pytest.FixtureRequest) -> list[RenderedTarget]:
    """The rendered targets with their parsed resources. Parametrize it indirectly with an
    environment name (or a list of them) to get only those:
    ``@pytest.mark.parametrize("rendered", ["prod"], indirect=True)``."""
    env: str | list[str] | None = getattr(request, "param", None)
    cache = _cache(request)
    return _select(cache, _load(cache), env, None)


@pytest.fixture(scope="session")
def platecheck_targets(request: pytest.FixtureRequest) -> Callable[..., list[RenderedTarget]]:
    """``platecheck_targets(env=None, app=None, path=None)``: rendered targets of one
    environment and/or app; ``path`` loads another repository or directory (once), relative
    to the ini file as ``platecheck_paths`` (else the rootdir), not the current directory."""
    cache = _cache(request)

    def targets(env: str | Iterable[str] | None = None, *, app: str | None = None,
                path: str | Path | None = None) -> list[RenderedTarget]:
        paths = None if path is None else [cache.settings.ini_dir / path]
        return _select(cache, _load(cache, paths), env, app)

    return targets
