"""Rule metadata for reports, read from the policy registry.

A report can also name ids that are not policies in the registry (for instance the id of a
could-not-check error); those get a rule with the id as its description, so that every result
of a SARIF run points at a rule.
"""

from __future__ import annotations

import functools
import inspect
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from platecheck.config import BUILTIN, Config, load_config
from platecheck.model import Level, Report
from platecheck.policies import registry

SECTIONS = ("What", "Why", "Options", "Passes", "Fails")

# "What:", "What: text", "What", "## What", "**What**" on a line of its own.
_HEADING = re.compile(r"^\s*(?:#+\s*)?\**(" + "|".join(SECTIONS) + r")\**(?:\s*:\s*(.*)|\s*)$")
_UNDERLINE = re.compile(r"^\s*[-=~^]{3,}\s*$")


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str  # one line
    description: str  # the docstring's What section
    help: str  # the whole docstring
    remediation: str
    scope: str  # "target" or "repo"
    level: Level  # the built-in configuration's level, used where a format wants one


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


@functools.cache
def _builtin() -> Config:
    # The package's data directory has no policies/ directory: this is the built-in
    # configuration alone, whatever repository is being checked.
    return load_config(BUILTIN.parent)


def default_level(policy_id: str) -> Level:
    """The level the built-in configuration gives a policy (error for an id it does not
    list, as configuration does)."""
    level = _builtin().level(policy_id, None)
    return Level.ERROR if level is Level.OFF else level


def rule_from_module(policy_id: str, module: ModuleType) -> Rule:
    doc = inspect.cleandoc(module.__doc__ or "")
    summary = str(getattr(module, "SUMMARY", "") or policy_id)
    what = doc_sections(doc).get("What") or doc.split("\n\n", 1)[0].strip() or summary
    return Rule(
        id=policy_id,
        summary=summary,
        description=what,
        help=doc or summary,
        remediation=str(getattr(module, "REMEDIATION", "") or ""),
        scope=str(getattr(module, "SCOPE", "target")),
        level=default_level(policy_id),
    )


def bare_rule(policy_id: str) -> Rule:
    return Rule(
        id=policy_id,
        summary=policy_id,
        description=policy_id,
        help=policy_id,
        remediation="",
        scope="target",
        level=Level.ERROR,
    )


def report_ids(report: Report) -> list[str]:
    """Policy ids a report names: the policies that ran, then ids carried only by findings
    or errors, alphabetically."""
    ran = list(dict.fromkeys(report.policies))
    named = {f.policy for f in (*report.findings, *report.errors)} - set(ran)
    return ran + sorted(named)


def rules_for(report: Report, extra: Iterable[str] = ()) -> tuple[Rule, ...]:
    """Every registered policy (registry order), then every other id the report names."""
    modules = registry()
    rules = [rule_from_module(pid, module) for pid, module in modules.items()]
    known = set(modules)
    for pid in [*report_ids(report), *extra]:
        if pid not in known:
            known.add(pid)
            rules.append(bare_rule(pid))
    return tuple(rules)
