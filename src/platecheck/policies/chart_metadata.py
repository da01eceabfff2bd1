"""The charts Applications deploy have metadata Helm accepts, and ``helm lint --strict`` finds
no error in them.

What:
    Judges the charts that render targets deploy (every chart an Application points at, or the
    chart given in chart mode), never the other ``Chart.yaml`` files of the tree: a vendored
    dependency under a chart's ``charts/`` directory is judged by Helm alone, when it loads the
    parent chart to render it (a chart it refuses is a could-not-check error of that render);
    only that ``charts/`` holds it once is this policy's.
    For each deployed chart:

    - ``apiVersion`` is ``v1`` or ``v2``: ``helm lint`` rejects anything else
      (``apiVersion '...' is not valid``) and Helm's loader refuses an empty one;
    - ``version`` is a string Helm parses as a version (github.com/Masterminds/semver, which
      also takes ``v1.2.3`` and ``1.2``); Helm refuses to load the chart otherwise
      (``chart.metadata.version "..." is invalid``), and ``helm lint`` rejects a version YAML
      reads as a number (``version should be of type string``);
    - ``charts/`` (and the ``charts/`` of each subchart directory in it) holds one chart of
      each name: Helm loads every directory and ``.tgz`` there as a subchart of the name its
      Chart.yaml gives, keeps every copy of a name, and takes them in the order of a Go map,
      so a subchart unpacked beside its archive, or two versions of one, renders one copy's
      templates or a mix of them, and which can change from one render to the next (the
      finding is at the dependency's entry in Chart.yaml, else at the Chart.yaml holding
      them); a copy the chart's ``.helmignore`` leaves out, which Helm never loads, is none;
    - ``helm lint --strict`` runs once per chart and environment with that environment's value
      files (the engine runs it); each ``[ERROR]`` line it prints is a finding at the file (and
      line, when helm names one, or for a document separator helm's YAML reader
      refuses, the template's ``---`` that a ``{{-`` on the next line joins to what follows;
      for a Chart.yaml field, such as an invalid source URL, the key it is written at)
      it points at, and a lint that failed without any message is
      a finding too. Its ``[WARNING]`` lines, which Helm renders through, are
      ``chart-lint-warning``'s.

    Helm accepts charts whose ``name`` differs from their directory, ``apiVersion: v1`` charts
    and ``v``-prefixed versions, and so does this policy. Helm reads Chart.yaml's keys
    whatever their case (``apiversion: v2`` is ``apiVersion: v2``; of two spellings of one
    key, the last in sorted order), and so does platecheck (``platecheck.chartfile``).

Why:
    A chart Helm refuses to load never renders, so Argo CD cannot sync the Application; most
    of what ``helm lint`` calls an error (a template that fails to execute with these values)
    is what Argo CD meets at sync time. Some is not: a subchart in ``charts/`` that the chart
    metadata does not declare still renders, but Helm's own lint rejects the chart, and
    that is the finding (at the chart's ``Chart.yaml``).

Options:
    none.

Passes:
    ``helm/applications/plate-web/Chart.yaml`` with ``apiVersion: v2``, ``name: plate-web``,
    ``version: 0.1.0`` and no ``[ERROR]`` from ``helm lint --strict``; a vendored
    ``charts/redis/Chart.yaml`` with ``apiVersion: v1``, ``name: redis-ha`` and
    ``version: v1.2.3``.

Fails:
    ``apiVersion: v3``; ``version: 1.2.3.4``; ``version: 1.0`` unquoted (a number);
    ``charts/cert-manager/`` beside ``charts/cert-manager-v1.10.1.tgz``;
    ``[ERROR] templates/: template: plate-web/templates/deployment.yaml:12:20: ...`` ->
    a finding at ``helm/applications/plate-web/templates/deployment.yaml:12``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from platecheck.chartfile import chart_yaml, key_line
from platecheck.model import Chart, Finding, HelmLint, RepoModel
from platecheck.options import NoOptions, PolicyOptions

ID = "chart-metadata"
SUMMARY = "deployed charts have metadata Helm loads, and helm lint --strict reports no error"
SCOPE = "repo"
HELM_LINT = True  # helm lint runs for an environment where this policy is on
REMEDIATION = "Fix Chart.yaml or the template helm lint points at."

# The versions Helm's semver library parses (Masterminds/semver v3 NewVersion, with its
# default coercion: an optional "v", one to three numeric parts, prerelease and metadata).
_HELM_VERSION = re.compile(
    r"v?[0-9]+(?:\.[0-9]+)?(?:\.[0-9]+)?"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
_API_VERSIONS = ("v1", "v2")
_LINT_LINE = re.compile(r"^\[(ERROR|WARNING|INFO)\]\s+(.*?):\s(.*)$")
# "template: plate-web/templates/x.yaml:12:20: ..." (Helm 3) or "plate-web/templates/x.yaml:12:20"
_TEMPLATE_AT = re.compile(r"(?:template: )?[^\s/:]+/((?:templates|charts)/[^\s:]+):(\d+)")
_YAML_LINE = re.compile(r"\byaml: line (\d+):")
_SEPARATOR = "invalid Yaml document separator"
# helm lists these in the order Go's map of the loaded subcharts gives them, which changes from
# run to run: sorted, the finding is the same every run
_MISSING_DEPENDENCIES = re.compile(r"(chart (?:metadata|directory) is missing these "
                                   r"dependencies: )([^\s,]+(?:,[^\s,]+)+)")


def lint_inputs(repo: RepoModel) -> dict[str, Any]:
    """What ``lint_findings`` places helm lint's messages by: the bytes of each Chart.yaml
    and the text of each rendered template (a subchart's included)."""
    return {"chart_files": {f.rel: f.raw for f in repo.yaml_files if f.role == "chart"},
            "templates": {path: text for rendered in repo.rendered
                          for path, text in rendered.templates.items()}}


def check(repo: RepoModel, options: PolicyOptions[NoOptions]) -> Iterator[Finding]:
    inputs = lint_inputs(repo)
    chart_files = inputs["chart_files"]
    flagged: set[str] = set()
    for chart in deployed_charts(repo):
        found = list(_metadata(chart, chart_files.get(chart_yaml(chart))))
        if found:
            flagged.add(chart.rel)
        yield from found
    yield from _vendored_twice(repo)
    # Chart.yaml problems found above are at their line; helm lint's line-less report of the
    # same Chart.yaml would be the same problem twice.
    lints = [lint for lint in repo.helm_lint if lint.chart.rel not in flagged]
    yield from lint_findings(ID, lints, {"ERROR"}, failed_lint=True, **inputs)


# the Chart.yaml key each of helm lint's chart file messages is about (pkg/lint/rules/
# chartfile.go), for the line helm does not give
_CHART_FIELDS = (("invalid source URL", "sources"), ("maintainer", "maintainers"),
                 ("invalid icon URL", "icon"), ("chart type", "type"),
                 ("is not a valid chart type", "type"), ("appVersion", "appVersion"),
                 ("dependencies are not valid", "dependencies"), ("name is required", "name"),
                 ("version is required", "version"), ("is not a valid SemVer", "version"))


def deployed_charts(repo: RepoModel) -> list[Chart]:
    """The charts some target renders, in path order."""
    charts = {t.chart.rel: t.chart for t in repo.targets if t.chart is not None}
    return [charts[rel] for rel in sorted(charts)]


def _metadata(chart: Chart, raw: bytes | None) -> Iterator[Finding]:
    file = chart_yaml(chart)

    def finding(key: str, message: str, remediation: str) -> Finding:
        return Finding(policy=ID, message=f"chart {chart.name}: {message}", file=file,
                       line=key_line(raw, key) or 1, resource=f"Chart/{chart.name}",
                       remediation=remediation)

    if chart.api_version not in _API_VERSIONS:
        shown = repr(chart.api_version) if chart.api_version else "missing"
        yield finding("apiVersion", f"apiVersion is {shown}: helm lint accepts only v1 and "
                      "v2 (helm template renders the chart all the same)",
                      "Set apiVersion: v2 (v1 for a chart that keeps requirements.yaml).")
    version = chart.metadata.get("version", "")
    if not isinstance(version, str):
        yield finding("version", f"version {version!r} is a YAML number, not a string: "
                      "helm lint rejects it", f'Quote the version: version: "{version}".')
    elif not _HELM_VERSION.fullmatch(version):
        shown = repr(version) if version else "missing"
        yield finding("version", f"version is {shown}: Helm refuses to load a chart whose "
                      "version it cannot parse", "Write the version as MAJOR.MINOR.PATCH, "
                      "e.g. 0.1.0.")


def _vendored_twice(repo: RepoModel) -> Iterator[Finding]:
    names = {t.chart.rel: t.chart.name for t in repo.targets if t.chart is not None}
    for chart, name, copies, file, line in repo.vendored_twice:
        shown = ", ".join(f"{copy}/" if not copy.endswith(".tgz") else copy for copy in copies)
        yield Finding(policy=ID, file=file, line=line, resource=f"Chart/{names.get(chart, chart)}",
                      message=f"chart {names.get(chart, chart)}: {len(copies)} copies of the "
                      f"subchart {name} are vendored ({shown}): Helm loads every copy as {name} "
                      "and renders one copy's templates or a mix of them, which can change "
                      "from one render to the next (Argo CD's too)",
                      remediation="Keep one copy in charts/ and remove the others (an archive "
                      "left beside the directory it was unpacked to, or an older version's).")


@dataclass(frozen=True)
class LintMessage:
    severity: str  # ERROR, WARNING or INFO
    file: str  # as helm printed it: relative to the chart, or to the repository root
    line: int | None
    text: str


def parse_lint_output(output: str) -> list[LintMessage]:
    """helm lint's ``[LEVEL] file: message`` lines; indented lines continue a message
    (Helm 4 splits long errors over several lines), and so does any line after one ending in
    ``:`` (Helm 4 writes an included template's frame unindented: ``error calling include:``
    then ``web/templates/_helpers.tpl:3:18``)."""
    messages: list[LintMessage] = []
    current: list[str] | None = None
    for raw_line in output.splitlines():
        match = _LINT_LINE.match(raw_line)
        if match:
            current = [match.group(1), match.group(2), match.group(3).strip()]
            messages.append(_message(current))
        elif current is not None and raw_line.strip() and (
                raw_line[:1] in (" ", "\t") or current[2].endswith(":")):
            current[2] = f"{current[2]} {raw_line.strip()}"
            messages[-1] = _message(current)
        else:
            current = None
    return messages


def _message(parts: list[str]) -> LintMessage:
    severity, file, text = parts
    text = _MISSING_DEPENDENCIES.sub(
        lambda m: m.group(1) + ",".join(sorted(m.group(2).split(","))), text)
    line: int | None = None
    at = _TEMPLATE_AT.search(text)
    if at:
        file, line = at.group(1), int(at.group(2))
    else:
        yaml_line = _YAML_LINE.search(text)
        if yaml_line and not file.endswith("/"):
            line = int(yaml_line.group(1))
    return LintMessage(severity, file, line, text)


def lint_findings(policy: str, lints: Iterable[HelmLint], severities: set[str], *,
                  failed_lint: bool, templates: Mapping[str, str] | None = None,
                  chart_files: Mapping[str, bytes] | None = None,
                  keep: Callable[[HelmLint, LintMessage], bool] | None = None
                  ) -> Iterator[Finding]:
    """One finding per distinct lint message of the given severities, per chart, naming the
    environments whose values produce it when not all do. ``failed_lint``: a lint that
    failed without printing any message is a finding too. ``templates`` (the text of each
    rendered template) and ``chart_files`` (each Chart.yaml's bytes): where a message names
    no line that they show (``_line_helm_omits``). ``keep``: which messages of a lint count
    (all by default)."""
    by_chart: dict[str, list[HelmLint]] = {}
    for lint in lints:
        by_chart.setdefault(lint.chart.rel, []).append(lint)
    for rel in sorted(by_chart):
        runs = sorted(by_chart[rel], key=lambda run: run.environment)
        envs_all = sorted({run.environment for run in runs})
        seen: dict[tuple[str, int | None, str, str], list[HelmLint]] = {}
        for run in runs:
            parsed = parse_lint_output(run.output)
            messages = [m for m in parsed if m.severity in severities
                        and (keep is None or keep(run, m))]
            if failed_lint and run.exit_code != 0 and not any(
                    m.severity != "INFO" for m in parsed):
                tail = " ".join(run.output.strip().splitlines()[-3:]) or "no output"
                messages.append(LintMessage("ERROR", "Chart.yaml", None,
                                            f"helm lint failed: {tail}"))
            for message in messages:
                file = _subchart_file(_repo_path(rel, message.file), rel, templates or {})
                line = message.line if message.line is not None else _line_helm_omits(
                    file, message.text, templates or {}, chart_files or {})
                key = (file, line, message.severity, message.text)
                seen.setdefault(key, []).append(run)
        for (file, line, severity, text), found_in in sorted(seen.items(), key=_seen_order):
            envs = sorted({run.environment for run in found_in})
            env = envs[0] if len(envs) == 1 and len(envs_all) > 1 else None
            scope = "" if envs == envs_all else f" (with {', '.join(envs)} values)"
            command = " ".join(["helm lint --strict", rel,
                                *(f"-f {v}" for v in found_in[0].value_files)])
            yield Finding(policy=policy, message=f"helm lint {severity.lower()}{scope}: {text}",
                          file=file, line=line, environment=env,
                          resource=f"Chart/{found_in[0].chart.name}",
                          remediation=f"Fix what helm lint reports; reproduce with: {command}")


def _line_helm_omits(file: str, text: str, templates: Mapping[str, str],
                     chart_files: Mapping[str, bytes]) -> int | None:
    """The line of a message helm names none for: a refused document separator's in its
    template, a Chart.yaml field's key."""
    if _SEPARATOR in text and file in templates:
        return _separator_line(templates[file])
    field = next((key for words, key in _CHART_FIELDS if words in text), None)
    if field is not None and file in chart_files:
        return key_line(chart_files[file], field)
    return None


def _separator_line(text: str) -> int | None:
    """The template line whose ``---`` helm's YAML reader refuses ("invalid Yaml document
    separator"): one with more than a comment after it, or one whose line break a ``{{-``
    on the next line removes, so that the next text joins it."""
    # (a separator is ``---`` and a blank or its line's end: ``-----`` is text)
    lines = [line if line[3:4] in ("", " ", "\t") else "" for line in text.splitlines()]
    joined = [number for number, line in enumerate(lines, 1) if line.startswith("---") and (
        line[3:].strip()[:1] not in ("", "#", "{") or (
            not line[3:].strip() and number < len(lines)
            and lines[number].lstrip().startswith("{{-")))]
    # else one with an action after it, which may write text there
    acting = [number for number, line in enumerate(lines, 1)
              if line.startswith("---") and line[3:].strip().startswith("{{")]
    found = joined or acting
    return found[0] if found else None


def _seen_order(item: tuple[tuple[str, int | None, str, str], list[HelmLint]]
                ) -> tuple[str, int, str, str]:
    (file, line, severity, text), _ = item
    return (file, line or 0, severity, text)


def _subchart_file(file: str, chart_rel: str, templates: Mapping[str, str]) -> str:
    """The repository file of a subchart's template helm names by the subchart's name
    (``charts/core/templates/cm.yaml``) when its directory is named otherwise
    (``charts/platform-core/``): the one rendered template of that path below ``charts/``
    (the render knows it); ``file`` when it is known, or none or several are."""
    prefix = "" if chart_rel in ("", ".") else f"{chart_rel}/"
    inner = file[len(prefix):] if file.startswith(prefix) else None
    if file in templates or inner is None or not inner.startswith("charts/"):
        return file
    _, name, rest = inner.split("/", 2) if inner.count("/") >= 2 else ("", "", "")
    found = [path for path in templates if path.startswith(f"{prefix}charts/")
             and path.endswith(f"/{rest}") and path.count("/") == file.count("/")] \
        if name and rest else []
    return found[0] if len(found) == 1 else file


def _repo_path(chart_rel: str, file: str) -> str:
    """helm names a file relative to the chart, or the chart directory itself by the path it
    was given (made repository-relative by the runner, see platecheck.render)."""
    file = file.strip().rstrip("/")
    chart = PurePosixPath(chart_rel).as_posix()
    if file in ("", ".", chart):
        return (PurePosixPath(chart) / "Chart.yaml").as_posix()
    if chart != "." and file.startswith(f"{chart}/"):
        return file
    return (PurePosixPath(chart) / file).as_posix()


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("version-helm-parses", "version-is-a-number")
