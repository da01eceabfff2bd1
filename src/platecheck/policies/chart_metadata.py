"""Charts declare Helm 3 metadata correctly and pass ``helm lint --strict``.

What:
    For every chart: Chart.yaml has ``apiVersion: v2``, its ``name`` equals the chart's
    directory name, and its ``version`` is a Semantic Version 2 (``1.2.3``, ``0.1.0-rc.1``).
    ``helm lint --strict`` runs once per chart and environment with that environment's value
    files (the engine runs it); each ``[ERROR]`` and ``[WARNING]`` line it prints is a finding
    at the file (and line, when helm names one) it points at. A lint that failed without a
    message it could parse is a finding too.

Why:
    Helm 3 refuses or mis-handles charts with v1 metadata or a non-semver version; a chart whose
    name differs from its directory breaks ``helm dependency`` and confuses reviewers; lint
    catches template and values mistakes before Argo CD does.

Options:
    includeInfo: also report helm lint's ``[INFO]`` lines (default false).

Passes:
    ``helm/applications/plate-web/Chart.yaml`` with ``apiVersion: v2``, ``name: plate-web``,
    ``version: 0.1.0`` and a clean ``helm lint --strict``.

Fails:
    ``apiVersion: v1``; ``name: web`` in directory ``plate-web``; ``version: 1.0``;
    ``[ERROR] templates/: template: plate-web/templates/deployment.yaml:12:20: ...`` ->
    a finding at ``helm/applications/plate-web/templates/deployment.yaml:12``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from platecheck.model import Chart, Finding, HelmLint, RepoModel
from platecheck.policies import PolicyOptions

ID = "chart-metadata"
SUMMARY = "Chart.yaml is Helm 3 metadata with a semver version, and helm lint --strict passes"
SCOPE = "repo"
DEFAULTS: Mapping[str, Any] = {"includeInfo": False}
REMEDIATION = "Fix Chart.yaml or the template helm lint points at."

# https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
_LINT_LINE = re.compile(r"^\[(ERROR|WARNING|INFO)\]\s+(.*?):\s(.*)$")
# "template: plate-web/templates/x.yaml:12:20: ..." (Helm 3) or "plate-web/templates/x.yaml:12:20"
_TEMPLATE_AT = re.compile(r"(?:template: )?[^\s/:]+/((?:templates|charts)/[^\s:]+):(\d+)")
_YAML_LINE = re.compile(r"\byaml: line (\d+):")


def check(repo: RepoModel, options: PolicyOptions) -> Iterator[Finding]:
    chart_files = {f.rel: f.raw for f in repo.yaml_files if f.role == "chart"}
    for chart in sorted(repo.charts, key=lambda c: c.rel):
        yield from _metadata(chart, chart_files.get(_chart_yaml(chart)))
    include_info = bool(options.default.get("includeInfo"))
    yield from _lint_findings(repo.helm_lint, include_info)


def _chart_yaml(chart: Chart) -> str:
    return (PurePosixPath(chart.rel) / "Chart.yaml").as_posix()


def _key_line(raw: bytes | None, key: str) -> int | None:
    if raw is None:
        return None
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    text = raw.decode("utf-8", errors="replace")
    return next((n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)), None)


def _metadata(chart: Chart, raw: bytes | None) -> Iterator[Finding]:
    file = _chart_yaml(chart)

    def finding(key: str, message: str, remediation: str) -> Finding:
        return Finding(policy=ID, message=f"chart {chart.name}: {message}", file=file,
                       line=_key_line(raw, key) or 1, resource=f"Chart/{chart.name}",
                       remediation=remediation)

    if chart.api_version != "v2":
        yield finding("apiVersion", f"apiVersion is {chart.api_version!r}, not 'v2'",
                      "Set apiVersion: v2 (Helm 3 chart metadata); move requirements.yaml "
                      "into Chart.yaml dependencies.")
    directory = PurePosixPath(chart.rel).name if chart.rel not in ("", ".") else chart.path.name
    if chart.name != directory:
        yield finding("name", f"name {chart.name!r} differs from its directory {directory!r}",
                      f"Rename the chart to {directory!r} or its directory to {chart.name!r}.")
    version = str(chart.version)
    if not _SEMVER.fullmatch(version):
        yield finding("version", f"version {version!r} is not a Semantic Version 2 "
                      "(MAJOR.MINOR.PATCH)", "Write the version as MAJOR.MINOR.PATCH, e.g. "
                      "0.1.0 (quote it if YAML would read it as a number).")


@dataclass(frozen=True)
class LintMessage:
    severity: str  # ERROR, WARNING or INFO
    file: str  # relative to the chart, as helm printed it ("" when none)
    line: int | None
    text: str


def parse_lint_output(output: str) -> list[LintMessage]:
    """helm lint's ``[LEVEL] file: message`` lines; indented lines continue a message
    (Helm 4 splits long errors over several lines)."""
    messages: list[LintMessage] = []
    current: list[str] | None = None
    for raw_line in output.splitlines():
        match = _LINT_LINE.match(raw_line)
        if match:
            current = [match.group(1), match.group(2), match.group(3).strip()]
            messages.append(_message(current))
        elif current is not None and raw_line[:1] in (" ", "\t") and raw_line.strip():
            current[2] = f"{current[2]} {raw_line.strip()}"
            messages[-1] = _message(current)
        else:
            current = None
    return messages


def _message(parts: list[str]) -> LintMessage:
    severity, file, text = parts
    line: int | None = None
    at = _TEMPLATE_AT.search(text)
    if at:
        file, line = at.group(1), int(at.group(2))
    else:
        yaml_line = _YAML_LINE.search(text)
        if yaml_line and not file.endswith("/"):
            line = int(yaml_line.group(1))
    return LintMessage(severity, file, line, text)


def _lint_findings(lints: tuple[HelmLint, ...], include_info: bool) -> Iterator[Finding]:
    by_chart: dict[str, list[HelmLint]] = {}
    for lint in lints:
        by_chart.setdefault(lint.chart.rel, []).append(lint)
    for rel in sorted(by_chart):
        runs = by_chart[rel]
        envs_all = sorted({run.environment for run in runs})
        seen: dict[tuple[str, int | None, str, str], list[HelmLint]] = {}
        for run in runs:
            messages = [m for m in parse_lint_output(run.output)
                        if m.severity != "INFO" or include_info]
            if run.exit_code != 0 and not any(m.severity != "INFO" for m in messages):
                tail = " ".join(run.output.strip().splitlines()[-3:]) or "no output"
                messages.append(LintMessage("ERROR", "Chart.yaml", None,
                                            f"helm lint failed: {tail}"))
            for message in messages:
                file = _repo_path(rel, message.file)
                key = (file, message.line, message.severity, message.text)
                seen.setdefault(key, []).append(run)
        for (file, line, severity, text), found_in in seen.items():
            envs = sorted({run.environment for run in found_in})
            env = envs[0] if len(envs) == 1 and len(envs_all) > 1 else None
            scope = "" if envs == envs_all else f" (with {', '.join(envs)} values)"
            command = " ".join(["helm lint --strict", rel,
                                *(f"-f {v}" for v in found_in[0].value_files)])
            yield Finding(policy=ID, message=f"helm lint {severity.lower()}{scope}: {text}",
                          file=file, line=line, environment=env,
                          resource=f"Chart/{found_in[0].chart.name}",
                          remediation=f"Fix what helm lint reports; reproduce with: {command}")


def _repo_path(chart_rel: str, file: str) -> str:
    file = file.strip().rstrip("/")
    if not file:
        file = "Chart.yaml"
    return (PurePosixPath(chart_rel) / file).as_posix()
