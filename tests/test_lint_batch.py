"""Charts linted without value files share one ``helm lint`` process, and each gets exactly
what ``helm lint`` prints for it alone, with Helm 3 and Helm 4 alike."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from platecheck import render
from platecheck.cache import HelmResult
from platecheck.engine import load
from platecheck.errors import PlatecheckError
from platecheck.model import Chart
from platecheck.render import MAX_LINT_BATCH, Helm, HelmCall, lint_batches, split_lint

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: 0.1.0\nicon: https://example.com/i.png\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
# chart -> (Chart.yaml, templates/cm.yaml); None: no such file
CHARTS: dict[str, tuple[str | None, str]] = {
    "clean": (CHART_YAML, CONFIGMAP.format(name="{{ .Release.Name }}-cm")),
    "warned": (CHART_YAML, CONFIGMAP.format(name="Bad_Name")),  # a [WARNING]
    "broken": (CHART_YAML, CONFIGMAP.format(name="{{ .Values.x.y }}")),  # an [ERROR]
    "no-icon": ("apiVersion: v2\nname: no-icon\nversion: 0.1.0\n",  # an [INFO] only
                CONFIGMAP.format(name="plain")),
    "multi": (CHART_YAML, CONFIGMAP.format(name="{{ fail \"first\\nsecond\" }}")),
    "no-chart-yaml": (None, CONFIGMAP.format(name="plain")),  # helm's own "Error ..." line
}


def _charts(root: Path) -> list[Path]:
    made = []
    for name, (chart_yaml, template) in CHARTS.items():
        chart = root / name
        (chart / "templates").mkdir(parents=True)
        if chart_yaml is not None:
            (chart / "Chart.yaml").write_text(chart_yaml.format(name=name), encoding="utf-8")
        (chart / "values.yaml").write_text("replicas: 1\n", encoding="utf-8")
        (chart / "templates" / "cm.yaml").write_text(template, encoding="utf-8")
        made.append(chart)
    return made


def test_split_output_is_each_charts_own(each_helm: Path, tmp_path: Path) -> None:
    helm = each_helm
    charts = {c.name: str(c) for c in _charts(tmp_path / "charts")}
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm, workdir=tmp_path / "work", root=tmp_path)
    flags = ["lint", "--strict", "--skip-schema-validation", "--kube-version=1.31.0"]
    alone = {name: runner._run([*flags, chart], 60) for name, chart in charts.items()}
    assert {name: r.exit_code for name, r in alone.items()} == {
        "clean": 0, "warned": 1, "broken": 1, "no-icon": 0, "multi": 1, "no-chart-yaml": 1}
    quiet = [name for name in charts if name != "multi"]
    together = runner._run([*flags, *(charts[name] for name in quiet)], 60)
    assert split_lint(together, [charts[name] for name in quiet]) == [
        alone[name] for name in quiet]
    # clean charts only: the success summary is split off the last one too
    clean = ["clean", "no-icon"]
    together = runner._run([*flags, *(charts[name] for name in clean)], 60)
    assert split_lint(together, [charts[name] for name in clean]) == [
        alone[name] for name in clean]
    # `fail` logs its message on stderr, which no section of the output carries: refused
    assert alone["multi"].stderr.strip()
    together = runner._run([*flags, charts["clean"], charts["multi"]], 60)
    assert split_lint(together, [charts["clean"], charts["multi"]]) is None
    # with the marker chart before, between and after them, what each logged is its own
    marker = runner._marker()
    order = list(charts)
    argv = [*flags, str(marker.path)]
    for name in order:
        argv.extend((charts[name], str(marker.path)))
    assert split_lint(runner._run(argv, 60), [charts[name] for name in order], marker) == [
        alone[name] for name in order]
    # a mark missing, or a line logged before the first chart: refused
    ran = runner._run(argv, 60)
    first = ran.stderr.index("\n") + 1
    for changed in (ran.stderr[first:], f"before\n{ran.stderr}"):
        assert split_lint(ran._replace(stderr=changed), [charts[n] for n in order],
                          marker) is None


@pytest.mark.parametrize("changed", [
    HelmResult(1, "==> Linting a\n[ERROR] x: y\n\n==> Linting b\n\n",
               "walk.go:74: found symbolic link in path\n"
               "Error: 2 chart(s) linted, 1 chart(s) failed\n"),  # a log line: whose?
    HelmResult(1, "==> Linting a\n[INFO] x: y\n\n==> Linting b\n\n",
               "Error: 2 chart(s) linted, 1 chart(s) failed\n"),  # which one failed?
    HelmResult(0, "==> Linting b\n\n==> Linting a\n\n2 chart(s) linted, 0 chart(s) failed\n",
               ""),  # another order
    HelmResult(0, "==> Linting a\n\n2 chart(s) linted, 0 chart(s) failed\n", ""),  # one missing
    HelmResult(2, "", "Error: unknown flag\n"),
], ids=["stderr-log", "count", "order", "missing", "usage"])
def test_output_that_does_not_divide_exactly_is_refused(changed: HelmResult) -> None:
    assert split_lint(changed, ["a", "b"]) is None


def _call(argv: list[str], copy: str, key: str) -> HelmCall:
    return HelmCall(tuple(argv), key, key, Path(copy), Path(copy))


def test_only_lints_without_value_files_and_the_same_flags_share_a_process() -> None:
    plain = [_call(["lint", "--strict", f"/c{i}"], f"/c{i}", f"p{i}") for i in range(3)]
    kube = _call(["lint", "--strict", "/c9", "--kube-version=1.30.0"], "/c9", "k")
    valued = _call(["lint", "--strict", "/c1", "--values=/v.yaml"], "/c1", "v")
    template = _call(["template", "r", "/c1"], "/c1", "t")
    jobs = lint_batches([plain[0], template, kube, plain[1], valued, plain[2]])
    assert [[c.key for c in job] for job in jobs] == [["p0", "p1", "p2"], ["t"], ["k"], ["v"]]
    many = [_call(["lint", f"/c{i}"], f"/c{i}", f"m{i}") for i in range(MAX_LINT_BATCH + 1)]
    assert [len(job) for job in lint_batches(many)] == [MAX_LINT_BATCH, 1]


@pytest.mark.parametrize(("names", "processes"), [
    (("broken", "clean", "no-icon", "warned"), 1),
    (("broken", "clean", "multi", "no-icon", "warned"), 1),  # what `fail` logs, told apart
], ids=["together", "one-logs"])
def test_engine_lints_charts_without_value_files_in_one_process(
        names: tuple[str, ...], processes: int, helm_bin: Path, tmp_path: Path,
        count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    repo = tmp_path / "repo"
    _charts(repo)
    (repo / ".git").mkdir()  # (the root of the charts given)
    started = count_helm_runs()
    model = load([repo / name for name in names], helm=helm_bin, use_cache=False, jobs=2)
    assert len([argv for argv in started if argv[0] == "lint"]) == processes
    # what each chart got is what helm lint prints for it alone
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm_bin, workdir=tmp_path / "work", root=repo)
    assert sorted({lint.chart.name for lint in model.helm_lint}) == list(names)
    kube = {t.chart.rel: t.kube_version for t in model.targets if t.chart is not None}
    for lint in model.helm_lint:
        alone = runner._run_one(runner.lint_call(lint.chart, [], kube[lint.chart.rel]))
        assert isinstance(alone, HelmResult)
        assert (lint.exit_code, lint.output) == (alone.exit_code,
                                                 (alone.stdout + alone.stderr).strip())
    assert {lint.chart.name: lint.exit_code for lint in model.helm_lint} == {
        name: int(name in ("broken", "multi", "warned")) for name in names}


def test_output_that_does_not_divide_costs_a_few_processes_not_one_per_chart(
        helm_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    """A process whose output does not divide exactly (here: any with the chart ``odd``)
    is tried again in halves: that chart ends alone, the others stay together, and each
    gets what it gets alone."""
    made = _charts(tmp_path / "charts")
    clean = next(c for c in made if c.name == "clean")
    charts = []
    for index in range(16):
        copy = tmp_path / "many" / (f"c{index:02d}" if index != 11 else "odd")
        shutil.copytree(clean, copy)
        charts.append(copy)
    real_split = render.split_lint
    monkeypatch.setattr(render, "split_lint", lambda ran, paths, marker=None: None if any(
        p.endswith("/odd") for p in paths) else real_split(ran, paths, marker))
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm_bin, workdir=tmp_path / "work", root=tmp_path)
    calls = [runner.lint_call(_chart(c), [], None) for c in charts]
    assert lint_batches(calls) == [calls]
    started = count_helm_runs()
    answers = runner._answer(calls)
    assert len(started) <= 12  # 16 + 8 + 8 + 4 + 4 + 2 + 2 + 1 + 1: 9 processes, not 17
    assert answers == [runner._run_one(call) for call in calls]
    assert [a.exit_code for a in answers if isinstance(a, HelmResult)] == [0] * 16


def _chart(path: Path) -> Chart:
    return Chart(path=path, rel=path.relative_to(path.parent.parent).as_posix(), name=path.name,
                 version="0.1.0", api_version="v2", metadata={})


def test_a_shared_process_that_runs_out_of_time_lints_each_alone(
        helm_bin: Path, tmp_path: Path,
        count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    """A shared lint process has the time of one helm process; when it runs out, each chart
    is linted alone in its own time (no halves: the slow one would run out in each)."""
    made = _charts(tmp_path / "charts")
    clean = next(c for c in made if c.name == "clean")
    slow = tmp_path / "many" / "slow"
    shutil.copytree(clean, slow)
    (slow / "templates" / "loop.yaml").write_text(
        "{{- range until 8000 }}{{ range until 8000 }}{{ end }}{{ end }}\n")
    charts = [slow]
    for index in range(3):
        charts.append(tmp_path / "many" / f"c{index}")
        shutil.copytree(clean, charts[-1])
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm_bin, workdir=tmp_path / "work", root=tmp_path, timeout=0.5)
    calls = [runner.lint_call(_chart(c), [], None) for c in charts]
    started = count_helm_runs()
    answers = runner._answer(calls)
    assert len(started) == 1 + 4
    assert isinstance(answers[0], PlatecheckError)
    assert [a.exit_code for a in answers[1:] if isinstance(a, HelmResult)] == [0, 0, 0]


def test_a_lint_error_through_an_include_keeps_its_cause(tmp_path: Path,
                                                         each_helm: Path) -> None:
    """A helper failing under lint's release name, through an ``include``: Helm 4 writes the
    included template's frame on a line of its own, unindented, after ``error calling
    include:``; the finding keeps it and the cause, as Helm 3's one line does."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "charts/web", "prod"),
        "charts/web/Chart.yaml": ("apiVersion: v2\nname: web\nversion: 0.1.0\n"
                                  "description: d\nicon: https://example.com/icon.png\n"),
        "charts/web/values.yaml": "releases:\n  web-prod:\n    settings:\n      color: blue\n",
        "charts/web/templates/_helpers.tpl": (
            '{{- define "web.labels" -}}\n'
            "{{- $release := get .Values.releases .Release.Name -}}\n"
            "color: {{ $release.settings.color }}\n{{- end -}}\n"),
        "charts/web/templates/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
            '  labels:\n    {{- include "web.labels" . | nindent 4 }}\n')})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=each_helm)
    [found] = [f for f in report.findings if f.policy == "chart-metadata"]
    assert found.location == "charts/web/templates/cm.yaml:6"
    assert "web/templates/_helpers.tpl:3:18" in found.message
    assert found.message.endswith("can't evaluate field settings in type string")


def test_a_lint_error_of_a_subchart_is_at_its_directory(tmp_path: Path, helm_bin: Path
                                                        ) -> None:
    """helm names a subchart's template by the subchart's name (``platform/charts/core/``);
    vendored as ``charts/platform-core/`` the finding is at that directory's file, not at
    a path that does not exist."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/platform.yaml": application("platform-prod", "charts/platform", "prod"),
        "charts/platform/Chart.yaml": ("apiVersion: v2\nname: platform\nversion: 0.1.0\n"
                                       "description: d\nicon: https://example.com/i.png\n"),
        "charts/platform/charts/platform-core/Chart.yaml": (
            "apiVersion: v2\nname: core\nversion: 0.1.0\ndescription: d\n"
            "icon: https://example.com/i.png\n"),
        "charts/platform/charts/platform-core/values.yaml": (
            "owners:\n  platform-prod:\n    name: team\n"),
        "charts/platform/charts/platform-core/templates/cm.yaml": (
            "{{- $owner := get .Values.owners .Release.Name }}\napiVersion: v1\n"
            "kind: ConfigMap\nmetadata:\n  name: core\ndata:\n"
            "  owner: {{ $owner.name }}\n")})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if f.policy == "chart-metadata"
            and "<$owner.name>" in f.message] == [
        "charts/platform/charts/platform-core/templates/cm.yaml:7"]


def test_a_chart_file_warning_of_no_line_is_at_its_key(tmp_path: Path, each_helm: Path
                                                      ) -> None:
    """Helm 4 warns of a version that is no SemVer 2 (``1.0``) without a line: the warning is
    at the ``version`` key of Chart.yaml (Helm 3 says nothing of it)."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/api.yaml": application("api-prod", "charts/api", "prod"),
        "charts/api/Chart.yaml": ("apiVersion: v2\nname: api\ndescription: d\n"
                                  "icon: https://example.com/i.png\nversion: '1.0'\n"),
        "charts/api/templates/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n")})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=each_helm)
    found = [f.location for f in report.findings
             if f.policy == "chart-lint-warning" and "SemVer" in f.message]
    assert found == ([] if each_helm.parent.name.startswith("3.") else
                     ["charts/api/Chart.yaml:5"])


@pytest.mark.parametrize("named", ["generateName: db-migrate-", 'name: ""'])
def test_a_hook_named_by_generate_name_is_no_lint_warning(tmp_path: Path, helm_bin: Path,
                                                          named: str) -> None:
    """helm lint reads ``metadata.name`` alone: a PreSync hook's Job named by
    ``generateName`` (the API server makes its name) is no warning of an empty name; an
    object of an empty name and none to generate is."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/db.yaml": application("db-prod", "chart", "prod"),
        "chart/Chart.yaml": ("apiVersion: v2\nname: db\nversion: 0.1.0\ndescription: d\n"
                             "icon: https://example.com/i.png\n"),
        "chart/templates/job.yaml": (
            f"apiVersion: batch/v1\nkind: Job\nmetadata:\n  {named}\n  annotations:\n"
            "    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n"
            "      restartPolicy: Never\n      containers:\n        - name: m\n"
            "          image: busybox:1.36\n")})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert bool([f for f in report.findings if f.policy == "chart-lint-warning"
                 and "naming requirements" in f.message]) is named.startswith("name")
