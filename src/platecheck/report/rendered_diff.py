"""``platecheck diff --base REF`` as text, markdown (a pull-request comment) or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from platecheck.model import Finding, RenderedDiff, TargetChange
from platecheck.report.common import one_line, printable, runs
from platecheck.report.text import one_per_cause

# GitHub refuses comments over 65536 characters; leave room for the note and the summary.
MARKDOWN_LIMIT = 60000


def _counts(change: TargetChange) -> str:
    if not change.resources:  # (rendered_diff.NOT_RENDERED)
        return "its Application or what it reads changed; what it deploys is not known"
    parts = []
    for status in ("added", "removed", "changed"):
        n = sum(1 for r in change.resources if r.status == status)
        if n:
            parts.append(f"{n} {status}")
    return ", ".join(parts)


def _finding_line(finding: Finding) -> str:
    # (each field on this line: a file name's line break must not start a line of its own)
    return one_line(f"{finding.location}: {finding.level.value} [{finding.policy}] "
                    f"{finding.target + ': ' if finding.target else ''}{finding.message}")


def _summary(diff: RenderedDiff) -> str:
    n = len(diff.targets)
    return (f"{n} target{'s' if n != 1 else ''} changed since {diff.ref} "
            f"({diff.commit[:12]}); {len(diff.appeared)} finding"
            f"{'s' if len(diff.appeared) != 1 else ''} appeared, {len(diff.disappeared)} "
            f"disappeared ({runs(diff.renders, diff.builds)}, {diff.cache_hits} cached)")


def text(diff: RenderedDiff) -> str:
    lines: list[str] = []
    for error in one_per_cause(list(diff.errors)):  # (one line for the targets of a cause)
        whose = f" {error.target}" if error.target else ""
        lines.append(one_line(f"{error.location}: could not check{whose}: {error.message}"))
    for change in diff.targets:
        where = f" ({change.application})" if change.application else ""
        lines.append(one_line(f"== {_named(change)}: {change.status}{where}: {_counts(change)} =="))
        for resource in change.resources:
            lines.append(f"{resource.status} {one_line(resource.resource)}")
            if resource.status == "changed":
                lines.extend(printable(line) for line in resource.diff.rstrip("\n").split("\n"))
    for title, findings in (("findings that appear", diff.appeared),
                            ("findings that disappear", diff.disappeared)):
        if findings:
            lines.append(f"== {title} ==")
            lines.extend(_finding_line(f) for f in findings)
    lines.append(_summary(diff))
    return "\n".join(lines) + "\n"


def _named(change: TargetChange) -> str:
    """The target, and its id at the base when that was another."""
    return f"{change.target} (was {change.was})" if change.was else change.target


def _fence(body: str) -> str:
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}diff\n{body.rstrip()}\n{fence}"


def _escape(text: str) -> str:
    # keep names from opening tags or tables in the comment, or lines of their own
    return one_line(text).replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def markdown(diff: RenderedDiff, limit: int = MARKDOWN_LIMIT) -> str:
    head = [f"### platecheck: rendered changes since `{_escape(diff.ref)}`", ""]
    tail = ["", _escape(_summary(diff))]
    for error in one_per_cause(list(diff.errors)):
        whose = f" {_escape(error.target)}" if error.target else ""
        head.append(f"- :x: `{_escape(error.location)}` could not check{whose}: "
                    f"{_escape(error.message)}")
    for title, findings in (("Findings that appear", diff.appeared),
                            ("Findings that disappear", diff.disappeared)):
        if findings:
            head += ["", f"**{title}**", ""]
            head += [f"- `{_escape(f.location)}` {f.level.value} [{f.policy}] "
                     f"{_escape(f.target or '')}: {_escape(f.message)}" for f in findings]
    if not diff.targets:
        head += ["", "No rendered resource changed."]
    blocks = [_details(change) for change in diff.targets]
    budget = limit - len("\n".join([*head, *tail])) - 200
    shown: list[str] = []
    for block in blocks:
        if len(block) + 1 > budget:
            break
        shown.append(block)
        budget -= len(block) + 1
    if len(shown) < len(blocks):
        left = diff.targets[len(shown):]
        shown.append(f"\n_{len(left)} more target{'s' if len(left) != 1 else ''} changed "
                     f"({', '.join(_escape(c.target) for c in left)}); the comment is "
                     f"capped at {limit} characters: run `platecheck diff --base "
                     f"{_escape(diff.ref)}` for everything._")
    return "\n".join([*head, "", *shown, *tail]) + "\n"


def _details(change: TargetChange) -> str:
    summary = f"<b>{_escape(_named(change))}</b>: {change.status}, {_counts(change)}"
    body = []
    for resource in change.resources:
        body.append(f"- {resource.status} `{_escape(resource.resource)}`")
    diffs = "\n".join(r.diff for r in change.resources if r.status == "changed")
    parts = ["<details>", f"<summary>{summary}</summary>", "", *body]
    if diffs:
        parts += ["", _fence(printable(diffs))]
    parts += ["", "</details>"]
    return "\n".join(parts)


def as_json(diff: RenderedDiff) -> str:
    def finding(f: Finding) -> dict[str, Any]:
        return {"policy": f.policy, "level": f.level.value, "environment": f.environment,
                "target": f.target, "resource": f.resource, "message": f.message,
                "file": f.file, "line": f.line, "waived": f.waived}

    data = {
        "ref": diff.ref,
        "commit": diff.commit,
        "targets": [{"target": c.target, "was": c.was, "status": c.status,
                     "application": c.application,
                     "resources": [{"resource": r.resource, "status": r.status,
                                    "diff": r.diff} for r in c.resources]}
                    for c in diff.targets],
        "appeared": [finding(f) for f in diff.appeared],
        "disappeared": [finding(f) for f in diff.disappeared],
        "errors": [finding(f) for f in diff.errors],
        "renders": diff.renders,
        "cacheHits": diff.cache_hits,
        "kustomizeBuilds": diff.builds,
        "exitCode": diff.exit_code,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[RenderedDiff], str]] = {
    "text": text, "markdown": markdown, "json": as_json}


def formats() -> Sequence[str]:
    return sorted(FORMATS)
