"""Plain text for a terminal: findings grouped by environment, then target.

    == prod ==
    -- prod/plate-web --
    helm/applications/plate-web/values-prod.yaml:12: error [image-tag-pinned] container ...
      fix: pin the image to a release tag or a digest

Could-not-check errors come first, under their own heading, one line per cause (the targets
it stopped named together); repository-level findings (no
environment) come last, under ``== repository ==``; a summary line ends the report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from platecheck.model import Finding, Level, Report
from platecheck.report.common import (
    REPOSITORY,
    count,
    environment_of,
    environment_order,
    finding_lines,
    finding_order,
    level_of,
    printable,
    shown,
    summary_line,
)

_RESET = "\033[0m"
_STYLES = {
    "heading": "\033[1m",
    "alarm": "\033[1;31m",
    Level.ERROR.value: "\033[31m",
    Level.WARNING.value: "\033[33m",
    Level.INFO.value: "\033[36m",
    "waived": "\033[2m",
    "clean": "\033[32m",
}


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.color else text


def _finding_lines(finding: Finding, paint: _Paint, *, with_target: bool = False) -> list[str]:
    label = "waived" if finding.waived is not None else level_of(finding).value
    return finding_lines(
        finding, label=paint(label, label), policy=True, target=with_target, escape=printable
    )


_NAMED_TARGETS = 5  # of one cause's targets, named on its line; the others counted


def one_per_cause(errors: list[Finding]) -> list[Finding]:
    """``errors`` with those of one cause (place, message, remedy) for several targets as
    one, its targets named together (a chart that cannot be rendered, deployed by 19
    Applications, is one line, not 19), in the place of the first."""
    causes: dict[tuple[object, ...], list[Finding]] = {}
    for error in errors:
        cause = (error.file, error.line, error.message, error.remediation, error.detail,
                 error.level, error.waived)
        causes.setdefault(cause, []).append(error)
    merged = []
    for same in causes.values():
        targets = list(dict.fromkeys(e.target for e in same if e.target))
        if len(targets) < 2:
            merged.extend(same)
            continue
        named = ", ".join(targets[:_NAMED_TARGETS])
        more = len(targets) - _NAMED_TARGETS
        merged.append(replace(same[0], target=f"{named} and {more} more" if more > 0
                              else named))
    return merged


def render(report: Report, *, show_waived: bool = False, color: bool = False) -> str:
    """The report as text. ``show_waived`` lists waived findings too (marked ``waived``);
    ``color`` adds ANSI colours."""
    paint = _Paint(color)
    targets = {t.id: t for t in report.targets}
    lines: list[str] = []

    errors = one_per_cause(sorted(shown(report.errors), key=finding_order))
    if errors:
        lines.append(paint("alarm", "== could not check =="))
        for error in errors:
            lines += _finding_lines(error, paint, with_target=True)

    findings = [f for f in shown(report.findings) if show_waived or f.waived is None]
    groups: dict[str | None, dict[str | None, list[Finding]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for finding in findings:
        groups[environment_of(finding, targets)][finding.target].append(finding)

    envs: list[str | None] = [
        env for env in environment_order(report, (e for e in groups if e)) if env in groups
    ]
    if None in groups:
        envs.append(None)
    rank = {t.id: i for i, t in enumerate(report.targets)}

    def target_order(target: str | None) -> tuple[bool, int, str]:
        # findings of the environment as a whole first, then targets in report order
        return (target is not None, rank.get(target or "", len(rank)), target or "")

    for env in envs:
        if lines:
            lines.append("")
        lines.append(paint("heading", printable(f"== {env or REPOSITORY} ==")))
        by_target = groups[env]
        for target in sorted(by_target, key=target_order):
            if target is not None:
                lines.append(paint("heading", printable(f"-- {target} --")))
            for finding in sorted(by_target[target], key=finding_order):
                lines += _finding_lines(finding, paint)

    counts = count(report)
    if lines:
        lines.append("")
    style = "alarm" if counts.not_checked or counts.errors else "clean"
    lines.append(paint(style, summary_line(counts)))
    return "\n".join(lines) + "\n"
