"""The registry of policies: the one place that lists them.

A policy is a module in this package exposing:

- ``ID``: stable kebab-case id, e.g. ``"image-tag-pinned"``;
- ``SUMMARY``: one line;
- ``SCOPE``: ``"target"`` (checked once per rendered target) or ``"repo"`` (checked once,
  sees every target: cross-environment and repository-integrity rules);
- ``DEFAULTS``: option name -> default value; configuration is validated against these keys;
- ``REMEDIATION``: the default remediation line for its findings;
- ``check``: ``check(target: RenderedTarget, options: Mapping[str, Any])`` for target scope,
  ``check(repo: RepoModel, options: PolicyOptions)`` for repo scope; yields ``Finding``s;
- a module docstring with the sections What / Why / Options / Passes / Fails, which
  ``platecheck explain ID`` prints;
- for repository-wide policies, optionally ``ENVIRONMENT_OPTIONS``: the options it reads per
  environment (``PolicyOptions.for_env``); configuration refuses any other option under
  ``environments:``, since it would be silently ignored (per-target policies read all theirs);
- optionally ``OPTION_PARSERS``: option name -> a function that parses (and so validates) a
  structured option, raising ``PlatecheckError``; configuration calls it at load, so a bad
  nested option fails before anything renders, at its file and line.

Policies only find problems: the engine stamps the level (from configuration), applies
waivers and fills the remediation when a finding carries none.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from platecheck.model import Finding, Level, PolicyInfo

SECTIONS = ("What", "Why", "Options", "Passes", "Fails")
# "What:", "What: text", "What", "## What", "**What**" on a line of its own.
_HEADING = re.compile(r"^\s*(?:#+\s*)?\**(" + "|".join(SECTIONS) + r")\**(?:\s*:\s*(.*)|\s*)$")
_UNDERLINE = re.compile(r"^\s*[-=~^]{3,}\s*$")


@dataclass(frozen=True)
class PolicyOptions:
    """A policy's options after configuration: defaults overridden by the repository's
    ``policies/`` settings, then by per-environment settings."""

    default: Mapping[str, Any]
    per_environment: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_env(self, environment: str | None) -> Mapping[str, Any]:
        if environment is None or environment not in self.per_environment:
            return self.default
        return {**self.default, **self.per_environment[environment]}


# Policy modules, in the order they run and are listed. Imported lazily below.
_MODULES: tuple[str, ...] = (
    "image_tag_pinned",
    "pull_policy",
    "resource_ranges",
    "ingress_tls",
    "env_consistency",
    "not_rendered",
    "k8s_schema",
    "unknown_kind",
    "argocd_application",
    "chart_metadata",
    "chart_lint_warning",
    "yaml_hygiene",
    "waiver_expired",
    "waiver_stale",
)


def registry() -> dict[str, ModuleType]:
    """Policy id -> module, in registry order."""
    import importlib

    modules = (importlib.import_module(f"{__name__}.{name}") for name in _MODULES)
    return {module.ID: module for module in modules}


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
    builtin = Level(getattr(module, "LEVEL", Level.ERROR))
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


__all__ = ["Finding", "Iterator", "PolicyOptions", "describe", "doc_sections", "registry"]
