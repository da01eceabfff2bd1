"""What every output format counts, orders and groups the same way."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
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
    helm_runs: int  # helm processes run: helm template and helm lint alike
    helm_cached: int  # helm and kubectl results taken from the cache instead
    kustomize_builds: int = 0  # kubectl kustomize processes run
    unclassified: int = 0  # Applications that match no configured environment

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
        # an Application that could not be planned (a value file that does not read) is a
        # target too: its error names it, though it has no RenderTarget
        targets=len({t.id for t in report.targets}
                    | {e.target for e in report.errors if e.target is not None}),
        helm_runs=report.renders,
        helm_cached=report.cache_hits,
        kustomize_builds=report.builds,
        # an Application by where it is written and what it is called: one template line
        # of a chart of Applications writes many; an ApplicationSet platecheck expanded is
        # none to classify (its Applications are)
        unclassified=len({(t.application.file, t.application.line, t.application.namespace,
                           t.application.name) for t in report.targets
                          if t.unclassified and t.is_app and t.application is not None}),
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(counts: Counts) -> str:
    """``3 errors, 1 warning, 2 waived in 8 targets (14 helm runs, 2 cached)``; info findings,
    could-not-check errors and Kustomize builds are named only when there are some. Helm runs
    count every helm process (``helm template`` per target and ``helm lint`` per chart and
    environment), Kustomize builds every ``kubectl kustomize``."""
    parts = [plural(counts.errors, "error"), plural(counts.warnings, "warning")]
    if counts.info:
        parts.append(f"{counts.info} info")
    parts.append(f"{counts.waived} waived")
    if counts.not_checked:
        parts.append(f"{counts.not_checked} could not be checked")
    unclassified = (f", {plural(counts.unclassified, 'unclassified Application')}"
                    if counts.unclassified else "")
    return (
        f"{', '.join(parts)} in {plural(counts.targets, 'target')}{unclassified}"
        f" ({runs(counts.helm_runs, counts.kustomize_builds)}, {counts.helm_cached} cached)"
    )


def runs(helm_runs: int, kustomize_builds: int) -> str:
    """``14 helm runs``, with ``, 3 kustomize builds`` when kubectl built any."""
    text = plural(helm_runs, "helm run")
    return f"{text}, {plural(kustomize_builds, 'kustomize build')}" if kustomize_builds else text


def _same(text: str) -> str:
    return text


def finding_lines(
    finding: Finding,
    *,
    label: str | None = None,
    policy: bool = False,
    target: bool = False,
    resource: bool = False,
    detail: bool = False,
    escape: Callable[[str], str] = _same,
) -> list[str]:
    """A finding as the lines every plain-text output uses::

        file:line: [label ][[policy] ][target: ]first line of the message[ (resource)]
          further lines of the message
          fix: remediation            (or  waived: reason)
          detail:                     (with ``detail``, when the finding has one)
            helm's output, line by line

    ``label`` (e.g. a level, already styled) is written as given; all text taken from the
    finding goes through ``escape`` first (control characters, XML)."""
    def field(text: str) -> str:  # a one-line field: a newline in it must not end the line
        return escape(_LINE_BREAK.sub(_escape_char, text))

    first, *rest = escape(finding.message).splitlines() or [""]
    if target and finding.target:
        first = f"{field(finding.target)}: {first}"
    if resource and finding.resource:
        first = f"{first} ({field(finding.resource)})"
    head = f"{field(finding.location)}: "
    if label:
        head += f"{label} "
    if policy:
        head += f"[{field(finding.policy)}] "
    lines = [head + first]
    lines += [f"  {line}" for line in rest]
    if finding.waived is not None:
        lines.append(f"  waived: {escape(finding.waived)}")
    elif finding.remediation:
        lines.append(f"  fix: {escape(finding.remediation)}")
    if detail and finding.detail:
        lines.append("  detail:")
        lines += [
            f"    {line}" if line.strip() else ""
            for line in escape(finding.detail).rstrip().splitlines()
        ]
    return lines


def annotation_text(finding: Finding, *, could_not_check: bool = False) -> str:
    """The message of a code-scanning result or a workflow annotation, where the location is
    given apart: ``<target>: [could not check: ]<message>``, then ``fix: <remediation>``."""
    text = finding.message or finding.policy
    if could_not_check:
        text = f"could not check: {text}"
    if finding.target:
        text = f"{finding.target}: {text}"
    if finding.remediation:
        text = f"{text}\nfix: {finding.remediation}"
    return text


# C0 control characters other than tab, newline and carriage return, and DEL: a message
# copied from helm's stderr or from the repository must not drive the terminal or the log.
# Every control character but tab and newline, and what str.splitlines() (and terminals or CI
# logs) may take for a line break; and the bidirectional controls, which make a terminal or a
# review page show text in another order than it is read ("Trojan Source"); and a byte order
# mark, which shows nothing where a key (``\ufeffimage``) is not the one it looks like.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\ufeff"
                      "\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("[\n\t]")


def printable(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` (``\\uNNNN``); newlines and
    tabs are kept, for multi-line messages."""
    return _CONTROL.sub(_escape_char, text)


def one_line(text: str) -> str:
    """``text`` with every control character escaped, newlines too: a field that must stay
    on its line (a file name, a target) cannot start a forged line of a CI log."""
    return _LINE_BREAK.sub(_escape_char, printable(text))


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
