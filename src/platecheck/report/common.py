"""What every output format counts, orders and groups the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from platecheck.model import Finding, Level, RenderTarget, Report

# The heading / suite name for findings that belong to no environment (repository checks).
REPOSITORY = "repository"


def level_of(finding: Finding) -> Level:
    return Level(finding.level)


def shown(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings a report shows: everything except findings whose level is ``off``."""
    return tuple(f for f in findings if level_of(f) is not Level.OFF)


def finding_order(finding: Finding) -> tuple[bool, str, int, str, str, str, str]:
    """Sort key: by location (findings without a file last), then policy and text, so that
    output does not depend on the order in which targets finished rendering."""
    return (
        finding.file is None,
        finding.file or "",
        finding.line or 0,
        finding.policy,
        finding.target or "",
        finding.resource or "",
        finding.message,
    )


def environment_of(finding: Finding, targets: Mapping[str, RenderTarget]) -> str | None:
    """The environment a finding belongs to: its target's, else its own, else the
    ``<env>/`` prefix of its target id; ``None`` for repository-level findings."""
    if finding.target is not None and finding.target in targets:
        return targets[finding.target].environment
    if finding.environment:
        return finding.environment
    if finding.target and "/" in finding.target:
        return finding.target.split("/", 1)[0]
    return None


def environment_order(report: Report, extra: Iterable[str]) -> list[str]:
    """Environments in the order their targets appear in the report, then any other
    environment named by a finding, alphabetically."""
    ordered = list(dict.fromkeys(t.environment for t in report.targets))
    ordered += sorted(set(extra) - set(ordered))
    return ordered


@dataclass(frozen=True)
class Counts:
    errors: int  # error-level findings not waived
    warnings: int
    info: int
    waived: int
    not_checked: int  # could-not-check errors
    targets: int
    rendered: int  # helm renders run
    cached: int  # renders answered from the cache

    @property
    def findings(self) -> int:
        return self.errors + self.warnings + self.info


def count(report: Report) -> Counts:
    findings = shown(report.findings)
    active = [f for f in findings if f.waived is None]
    return Counts(
        errors=sum(level_of(f) is Level.ERROR for f in active),
        warnings=sum(level_of(f) is Level.WARNING for f in active),
        info=sum(level_of(f) is Level.INFO for f in active),
        waived=len(findings) - len(active),
        not_checked=len(shown(report.errors)),
        targets=len(report.targets),
        # Added to Report by the engine; a Report built without them reports 0.
        rendered=int(getattr(report, "renders", 0)),
        cached=int(getattr(report, "cache_hits", 0)),
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(counts: Counts) -> str:
    """``3 errors, 1 warning, 2 waived in 8 targets (6 rendered, 2 cached)``; info findings
    and could-not-check errors are named only when there are some."""
    parts = [plural(counts.errors, "error"), plural(counts.warnings, "warning")]
    if counts.info:
        parts.append(f"{counts.info} info")
    parts.append(f"{counts.waived} waived")
    if counts.not_checked:
        parts.append(f"{counts.not_checked} could not be checked")
    return (
        f"{', '.join(parts)} in {plural(counts.targets, 'target')}"
        f" ({counts.rendered} rendered, {counts.cached} cached)"
    )


# C0 control characters other than tab, newline and carriage return, and DEL: a message
# copied from helm's stderr or from the repository must not drive the terminal or the log.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
