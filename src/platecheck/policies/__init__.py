"""The registry of policies: every module of this package is one.

A policy is a module in this package (the registry finds it; nothing else lists it) exposing:

- ``ID``: stable kebab-case id, e.g. ``"image-tag-pinned"``;
- ``SUMMARY``: one line;
- ``SCOPE``: ``"target"`` (checked once per rendered target), ``"repo"`` (checked once,
  sees every target: cross-environment and repository-integrity rules) or ``"waivers"``;
- ``LEVEL``: its built-in level when that is not ``error`` (configuration may set another,
  per environment too);
- ``Options``: a frozen dataclass of its options (``platecheck.options``), parsed once when
  the configuration is loaded; a policy without options has none;
- ``REMEDIATION``: the default remediation line for its findings;
- ``check``: ``check(target: RenderedTarget, options: Options)`` for target scope (the
  options of the target's environment), ``check(repo: RepoModel, options:
  PolicyOptions[Options])`` for repo scope; yields ``Finding``s;
- a module docstring with the sections What / Why / Options / Passes / Fails, which
  ``platecheck explain ID`` prints and ``python -m platecheck.docs`` renders into
  docs/policies.md;
- ``CASES``: the directory names of its passing and failing fixture cases under
  ``tests/fixtures/policies/<id>/`` (the meta-test holds every policy to at least one of each);
- ``HELM_LINT``: whether it reads ``RepoModel.helm_lint`` (what ``helm lint`` printed). The
  engine runs ``helm lint`` only for the environments where such a policy is not off. Left
  out, it is false for the policies of this package and for target-scope ones (they see no
  model), true for a repository-wide policy of another package.

Policies only find problems: the engine stamps the level (from configuration), applies
waivers and fills the remediation when a finding carries none.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType

from platecheck.config import Config, load_config
from platecheck.distributions import declares
from platecheck.model import Finding, Level, PolicyInfo
from platecheck.options import NoOptions, PolicyDeclaration, PolicyOptions

SECTIONS = ("What", "Why", "Options", "Passes", "Fails")
# "What:", "What: text", "What", "## What", "**What**" on a line of its own.
_HEADING = re.compile(r"^\s*(?:#+\s*)?\**(" + "|".join(SECTIONS) + r")\**(?:\s*:\s*(.*)|\s*)$")
_UNDERLINE = re.compile(r"^\s*[-=~^]{3,}\s*$")


# The order policies run and are listed in: per target, then repository-wide, then waivers.
_SCOPES = ("target", "repo", "waivers")


def _module_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__)
                  if not info.name.startswith("_"))


ENTRY_POINTS = "platecheck.policies"  # the entry point group of other packages' policies


@functools.cache
def _entry_point_modules() -> tuple[ModuleType, ...]:
    """Policies an installed package adds, as modules named by entry points of the
    ``platecheck.policies`` group. Looked up once per process: finding them reads the
    metadata of every installed distribution, and a run asks for the registry several
    times."""
    if not declares(ENTRY_POINTS):
        return ()
    import importlib.metadata  # (with the e-mail parser it imports: only when needed)

    return tuple(ep.load() for ep in importlib.metadata.entry_points(group=ENTRY_POINTS))


def registry() -> dict[str, ModuleType]:
    """Policy id -> module: every module of this package (and of the ``platecheck.policies``
    entry points), per-target policies first, then repository-wide ones, then the waiver
    policies, each group by id."""
    modules = [importlib.import_module(f"{__name__}.{name}") for name in _module_names()]
    modules += _entry_point_modules()
    modules.sort(key=lambda m: (_SCOPES.index(m.SCOPE), m.ID))
    return {module.ID: module for module in modules}


def reads_helm_lint(module: ModuleType) -> bool:
    """Whether the policy ``module`` reads what ``helm lint`` printed (``HELM_LINT``)."""
    builtin = module.__name__.startswith(f"{__name__}.")
    return bool(getattr(module, "HELM_LINT", module.SCOPE == "repo" and not builtin))


def lint_wanted(config: Config) -> Callable[[str], bool]:
    """Whether ``helm lint`` is to run for an environment: some policy that reads its output
    is not off there."""
    readers = [pid for pid, module in registry().items() if reads_helm_lint(module)]

    @functools.cache
    def for_environment(environment: str) -> bool:
        return any(config.level(pid, environment) is not Level.OFF for pid in readers)

    return for_environment


def builtin_level(module: ModuleType) -> Level:
    """A policy's built-in level: its ``LEVEL``, else ``error``."""
    return Level(getattr(module, "LEVEL", Level.ERROR))


def declarations() -> dict[str, PolicyDeclaration]:
    """What configuration needs to know of every registered policy."""
    return {pid: PolicyDeclaration(pid, builtin_level(module), module.SCOPE,
                                   getattr(module, "Options", NoOptions))
            for pid, module in registry().items()}


def configuration(root: Path, config_dir: Path | None = None) -> Config:
    """The configuration of the repository at ``root``, validated against every registered
    policy: what the engine, the pytest plugin and ``platecheck init`` load."""
    return load_config(root, config_dir, declarations())


def doc_sections(doc: str | None) -> dict[str, str]:
    """The What / Why / Options / Passes / Fails sections of a policy docstring."""
    sections: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in inspect.cleandoc(doc or "").splitlines():
        heading = _HEADING.match(line)
        if heading:
            if current is not None:
                sections[current] = textwrap.dedent("\n".join(body)).strip()
            current = heading.group(1)
            body = [heading.group(2)] if heading.group(2) else []
        elif current is not None and not body and _UNDERLINE.match(line):
            continue
        elif current is not None:
            body.append(line)
    if current is not None:
        sections[current] = textwrap.dedent("\n".join(body)).strip()
    return sections


def describe(module: ModuleType, level: Callable[[str, str | None], Level] | None = None,
             environments: Iterable[str] = ()) -> PolicyInfo:
    """What a report says about a policy module: its documentation and, with ``level``
    (policy id, environment -> configured level), the levels configuration gives it."""
    doc = inspect.cleandoc(module.__doc__ or "")
    pid = str(module.ID)
    summary = str(getattr(module, "SUMMARY", "") or pid)
    builtin = builtin_level(module)
    configured = level(pid, None) if level is not None else builtin
    return PolicyInfo(
        id=pid,
        summary=summary,
        scope=str(getattr(module, "SCOPE", "target")),
        remediation=str(getattr(module, "REMEDIATION", "") or ""),
        description=doc_sections(doc).get("What") or doc.split("\n\n", 1)[0].strip()
        or summary,
        help=doc or summary,
        default_level=Level.ERROR if builtin is Level.OFF else builtin,
        level=configured,
        env_levels={env: level(pid, env) for env in environments} if level is not None
        else {},
    )


__all__ = ["Finding", "Iterator", "PolicyOptions", "builtin_level", "configuration",
           "declarations", "describe", "doc_sections", "registry"]
