"""Precision on a repository shaped like the ones platecheck meets in the wild
(``fixtures/precision/repo``), with the real helm: vendored upstream charts are not judged
by rules Helm does not have, one root cause is one finding, no report carries the absolute
path of the checkout, and the same input gives the same bytes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.model import Report
from platecheck.report import FORMATS
from synthetic import WEB_POD_SPEC, ref_values_application, write_files

FIXTURE = Path(__file__).parent / "fixtures" / "precision" / "repo"
APPS = "environments/apps"
CHECKED = ("argocd-application", "chart-metadata", "chart-lint-warning", "yaml-hygiene",
           "env-consistency", "not-rendered", "k8s-schema", "unknown-kind")


def _copy(destination: Path) -> Path:
    shutil.copytree(FIXTURE, destination)
    return destination


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture(scope="module")
def first(helm_bin: Path, shared_cache: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, Report]:
    root = _copy(tmp_path_factory.mktemp("first") / "checkout")
    return root, lint(root, cache_dir=shared_cache, helm=helm_bin)


@pytest.fixture(scope="module")
def second(first: tuple[Path, Report], helm_bin: Path, shared_cache: Path,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    root = _copy(tmp_path_factory.mktemp("second") / "elsewhere")
    return root, lint(root, cache_dir=shared_cache, helm=helm_bin)



def _production_manifests(tmp_path: Path, helm_bin: Path, files: dict[str, str],
                          name: str = "web-prod") -> Report:
    """The lint of a repository whose production Application ``name`` deploys the directory
    ``manifests`` of ``files`` (file name -> text)."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/app.yaml": application(name, "manifests", name),
        **{f"manifests/{file}": text for file, text in files.items()}})
    return lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)

def test_exactly_the_expected_findings(first: tuple[Path, Report]) -> None:
    _, report = first
    assert [(f.policy, f.level.value, f.file, f.line, f.message)
            for f in report.findings if f.policy in CHECKED] == [
        # an undeclared chart under charts/: helm lint's error names the chart directory
        ("chart-metadata", "error", "helm/legacy/Chart.yaml", None,
         "helm lint error: chart metadata is missing these dependencies: extra"),
    ]
    # the vendored upstream tree (apiVersion v1 subcharts, v-prefixed versions, names that
    # differ from their directories) and the chart no Application deploys: no finding;
    # `level: off` in policies/platecheck.yaml: no yaml-hygiene finding either; the scaffold
    # Chart.yaml nothing deploys (not even YAML): not read, so no error
    assert [(e.target, e.file, e.line) for e in report.errors] == [
        ("prod/gone", f"{APPS}/gone-prod.yaml", 11),
        ("prod/needs-dep", "helm/needs-dep/Chart.yaml", 5),
    ]
    gone, needs_dep = report.errors
    # the missing source path is one finding, with argocd-application's fix
    assert gone.message == "source path 'helm/gone' does not exist"
    assert gone.remediation.startswith("Point source.path at a directory of this repository")
    # the missing dependency is one error at its line, before any render; helm lint's
    # warning about it is not repeated as chart-metadata or chart-lint-warning
    assert needs_dep.message == ("chart dependency 'common' (file://../common) has no "
                                 "Chart.yaml")
    assert report.exit_code == 2


def test_a_second_checkout_sharing_the_cache_renders_nothing(
        second: tuple[Path, Report]) -> None:
    _, report = second
    # failed renders are cached like successful ones: the broken chart costs nothing
    assert report.renders == 0 and report.cache_hits > 0
    assert any(e.target == "prod/needs-dep" for e in report.errors)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_path_in_any_format_is_absolute_or_names_another_checkout(
        fmt: str, first: tuple[Path, Report], second: tuple[Path, Report]) -> None:
    for (root, report), (other, _) in ((first, second), (second, first)):
        text = FORMATS[fmt](report)
        assert str(root) not in text and str(other) not in text
        assert str(root.parent.parent) not in text
        for finding in (*report.findings, *report.errors):
            assert finding.file is None or (root / finding.file).exists(), finding
            assert finding.detail is None or "/" + root.name not in finding.detail


def test_nothing_cached_holds_a_path(first: tuple[Path, Report], second: tuple[Path, Report],
                                     shared_cache: Path) -> None:
    entries = list(shared_cache.rglob("*.json"))
    assert entries
    for entry in entries:
        text = entry.read_text(encoding="utf-8")
        assert str(first[0]) not in text and str(second[0]) not in text
        if entry.name == "helm-versions.json":
            continue  # which helm binary of this machine answered which version, by its path
        assert not re.search(r"/tmp/|/home/|/root/", text), entry


def test_same_input_same_bytes_whatever_the_jobs(helm_bin: Path, tmp_path: Path) -> None:
    root = _copy(tmp_path / "repo")
    reports = [lint(root, jobs=jobs, helm=helm_bin, cache_dir=tmp_path / f"cache-{jobs}")
               for jobs in (1, 3)]
    for fmt, render in sorted(FORMATS.items()):
        assert render(reports[0]) == render(reports[1]), fmt


def _umbrella(repo: Path, sub: str, alias: str, container: str) -> Path:
    """An umbrella chart ``charts/app`` (with a ``values-prod.yaml``) of the ``file://``
    subchart ``charts/<sub>``, under its name and under ``alias``: the subchart's Deployment
    has one container ``app``, the rest of it written as ``container``."""
    chart = repo / "charts" / sub
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {sub}\nversion: 0.1.0\n")
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Chart.Name }}\nspec:\n"
        "  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n"
        "      labels: {app: x}\n    spec:\n      containers:\n        - name: app\n"
        + container)
    app = repo / "charts" / "app"
    app.mkdir()
    (app / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: {sub}\n    version: 0.1.0\n    repository: file://../{sub}\n"
        f"  - name: {sub}\n    alias: {alias}\n    version: 0.1.0\n"
        f"    repository: file://../{sub}\n")
    (app / "values-prod.yaml").write_text("{}\n")
    return app


def test_a_subchart_from_a_file_dependency_points_at_its_own_templates(
        helm_bin: Path, tmp_path: Path) -> None:
    """``helm dependency build`` packs a ``file://`` dependency into ``charts/``; what its
    templates render is reported at the dependency's templates in the repository, under its
    name or its alias."""
    app = _umbrella(tmp_path / "repo", "base", "second",
                    "          image: registry.example.com/app:1.0.0\n")
    model = load(app, cache_dir=tmp_path / "cache", helm=helm_bin, root=tmp_path / "repo")
    assert [(r.ref, r.template, r.template_file) for t in model.rendered for r in t.resources] \
        == [("Deployment/base", "app/charts/base/templates/deploy.yaml",
             "charts/base/templates/deploy.yaml"),
            ("Deployment/second", "app/charts/second/templates/deploy.yaml",
             "charts/base/templates/deploy.yaml")]
    report = lint(app, cache_dir=tmp_path / "cache", helm=helm_bin, root=tmp_path / "repo")
    assert report.errors == ()
    # one template line, one finding (docs/policies.md)
    assert [(f.policy, f.location) for f in report.findings if f.policy == "resource-ranges"] \
        == [("resource-ranges", "charts/base/templates/deploy.yaml:13")]
    assert not (app / "charts").exists()  # the checked repository is never written


@pytest.mark.parametrize(("subchart", "umbrella", "expected"), [
    # the subchart's own values.yaml sets the tag; the umbrella sets the alias's, which wins
    # (helm's coalesceDeps puts a subchart's defaults below its parent's values)
    ("latest", "edge:\n  image:\n    tag: edge\n",
     [("charts/app/values.yaml:3", "Deployment/edge[app]"),
      ("charts/web/values.yaml:3", "Deployment/web[app]")]),
    # the umbrella sets the same tag for both: each under its own key (a subchart's
    # templates see its values and the globals alone), not both at the first
    ("1.27.0", "web:\n  image:\n    tag: latest\nedge:\n  image:\n    tag: latest\n",
     [("charts/app/values.yaml:3", "Deployment/web[app]"),
      ("charts/app/values.yaml:6", "Deployment/edge[app]")]),
])
def test_a_subcharts_value_is_at_the_values_line_that_set_it(
        helm_bin: Path, tmp_path: Path, subchart: str, umbrella: str,
        expected: list[tuple[str, str]]) -> None:
    """An umbrella chart renders its ``file://`` subchart under its name and an alias: each
    Deployment's floating tag is at the line that set it for that one."""
    app = _umbrella(tmp_path / "repo", "web", "edge",
                    '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
                    "          imagePullPolicy: IfNotPresent\n")
    (tmp_path / "repo" / "charts" / "web" / "values.yaml").write_text(
        f"image:\n  repository: nginx\n  tag: {subchart}\n")
    (app / "values.yaml").write_text(umbrella)
    report = lint(app, cache_dir=tmp_path / "cache", helm=helm_bin, root=tmp_path / "repo")
    assert report.errors == ()
    assert sorted((f.location, f.resource) for f in report.findings
                  if f.policy == "image-tag-pinned") == sorted(expected)


def test_chart_mode_renders_a_file_dependency_only_with_its_parent(
        helm_bin: Path, tmp_path: Path) -> None:
    """Chart mode: ``charts/web`` is the ``file://`` dependency of ``charts/app`` and needs
    a global value only the umbrella sets: it renders with its parent (helm dependency
    build), never alone with its bare values (a false could-not-check); given as a path,
    it is linted as asked."""
    app = _umbrella(tmp_path / "repo", "web", "edge",
                    '          image: "nginx:{{ .Values.global.tag }}"\n')
    (app / "values.yaml").write_text("global:\n  tag: 1.27.0\n")
    (tmp_path / "repo" / ".git").mkdir()
    report = lint(tmp_path / "repo", cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == ["prod/app"]  # its values-prod.yaml
    alone = lint(tmp_path / "repo" / "charts" / "web", cache_dir=tmp_path / "cache",
                 helm=helm_bin)
    assert {e.target for e in alone.errors} == {"prod/web", "stg/web"}


@pytest.mark.parametrize("also_render_the_library", [False, True])
def test_a_chart_inside_its_file_dependency_renders(helm_bin: Path, tmp_path: Path,
                                                    also_render_the_library: bool) -> None:
    """A test chart inside the library chart it depends on (``file://..``): the library's
    copy keeps the chart already copied below it, as helm's ``dependency build`` reads the
    repository; the chart's own ``values.schema.json`` stays platecheck's to check."""
    lib = tmp_path / "repo" / "lib"
    (lib / "templates").mkdir(parents=True)
    (lib / "Chart.yaml").write_text("apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n")
    (lib / "templates" / "_cm.tpl").write_text(
        '{{- define "lib.cm" -}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n'
        "  name: {{ .Release.Name }}\n{{- end -}}\n")
    (lib / "app" / "templates").mkdir(parents=True)
    (lib / "app" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
        "  - name: lib\n    version: 1.0.0\n    repository: file://../\n")
    (lib / "app" / "templates" / "cm.yaml").write_text('{{ include "lib.cm" . }}\n')
    (lib / "app" / "values.schema.json").write_text('{"required": ["name"]}')
    (lib / "app" / "values.yaml").write_text("name: x\n")
    paths = [lib, lib / "app"] if also_render_the_library else [lib / "app"]
    model = load(paths, cache_dir=tmp_path / "cache", helm=helm_bin, root=tmp_path / "repo")
    # a library chart is not installable: helm refuses to render it, the chart above is copied
    assert {e.file for e in model.errors} <= {"lib/Chart.yaml"}
    assert sorted({(t.target.chart.rel if t.target.chart else "", r.ref)
                   for t in model.rendered for r in t.resources}) == [
        ("lib/app", "ConfigMap/app")]
    (lib / "app" / "values.yaml").write_text("other: x\n")  # the schema is checked
    [error, _] = load(lib / "app", cache_dir=tmp_path / "cache", helm=helm_bin,
                      root=tmp_path / "repo").errors
    assert error.message.startswith("values do not meet the chart's values.schema.json")


@pytest.mark.parametrize(("given", "errors"), [
    ((".",), []), (("lib",), [("lib/Chart.yaml", 3)]), (("lib", "app"), [])])
def test_a_library_chart_is_linted_inside_the_chart_that_depends_on_it(
        helm_bin: Path, tmp_path: Path, given: tuple[str, ...],
        errors: list[tuple[str, int]]) -> None:
    """Helm refuses to render a library chart on its own: chart mode lints the charts that
    depend on it, and a library given alone is one could-not-check error at its type."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "lib/Chart.yaml": "apiVersion: v2\nname: lib\ntype: library\nversion: 1.0.0\n",
        "lib/templates/_cm.tpl": '{{- define "lib.cm" -}}\napiVersion: v1\nkind: ConfigMap\n'
                                 "metadata:\n  name: {{ .Release.Name }}\n{{- end -}}\n",
        "app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
                          "  - {name: lib, version: 1.0.0, repository: 'file://../lib'}\n",
        "app/templates/cm.yaml": '{{ include "lib.cm" . }}\n'})
    report = lint([root / path for path in given], cache_dir=tmp_path / "cache",
                  helm=helm_bin, root=root)
    assert [(e.file, e.line) for e in report.errors] == errors
    assert sorted(t.id for t in report.targets) == ([] if errors else ["prod/app", "stg/app"])


def test_a_dependency_that_does_not_build_is_one_error_per_target(helm_bin: Path,
                                                                  tmp_path: Path) -> None:
    """The chart's template and its lint meet the same failed ``helm dependency build``:
    said once for each target."""
    app = tmp_path / "repo" / "app"
    (app / "templates").mkdir(parents=True)
    (app / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        '  - {name: common, version: "^3.0.0", repository: "file://../common"}\n')
    (app / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    (tmp_path / "repo" / "common").mkdir()
    (tmp_path / "repo" / "common" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: common\nversion: 0.2.0\n")
    report = lint(app, cache_dir=tmp_path / "cache", helm=helm_bin, root=tmp_path / "repo")
    assert sorted((e.target, e.file) for e in report.errors) == [
        ("prod/app", "app/Chart.yaml"), ("stg/app", "app/Chart.yaml")]
    assert all(e.message.startswith("helm dependency build failed: ") for e in report.errors)


def test_a_chart_with_some_file_dependencies_vendored_renders(helm_bin: Path,
                                                             tmp_path: Path) -> None:
    """``helm dependency build`` makes ``charts/`` anew from every dependency, the one
    already vendored too: the copy holds them all, as the repository does."""
    import subprocess

    root = tmp_path / "repo"
    for name in ("a", "b"):
        lib = root / "libs" / name
        (lib / "templates").mkdir(parents=True)
        (lib / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
        (lib / "templates" / "cm.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
    env = root / "env"
    (env / "charts").mkdir(parents=True)
    (env / "Chart.yaml").write_text(
        "apiVersion: v2\nname: env\nversion: 0.1.0\ndependencies:\n"
        "  - {name: a, version: 0.1.0, repository: 'file://../libs/a'}\n"
        "  - {name: b, version: 0.1.0, repository: 'file://../libs/b'}\n")
    subprocess.run([str(helm_bin), "package", str(root / "libs" / "a"), "-d",
                    str(env / "charts")], check=True, capture_output=True)  # a vendored
    model = load(env, cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert model.errors == ()
    assert sorted({r.ref for t in model.rendered for r in t.resources}) == [
        "ConfigMap/a", "ConfigMap/b"]
    assert sorted(p.name for p in (env / "charts").iterdir()) == ["a-0.1.0.tgz"]  # unwritten


def _chain(root: Path, links: dict[str, str | None]) -> None:
    """Charts ``name`` -> their one ``file://`` dependency (or none), nothing vendored: each
    renders a ConfigMap named after the release and the chart."""
    for name, dependency in links.items():
        write_files(root / name, {
            "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n" + (
                f"dependencies:\n  - {{name: {dependency}, version: 0.1.0, "
                f"repository: 'file://../{dependency}'}}\n" if dependency else ""),
            "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                 "  name: {{ .Release.Name }}-{{ .Chart.Name }}\n"})


@pytest.mark.parametrize("order", [("mid", "top"), ("top", "mid")])
def test_a_dependency_build_of_one_chart_is_not_packed_into_another(
        helm_bin: Path, tmp_path: Path, order: tuple[str, str]) -> None:
    """top -> file://../mid -> file://../leaf, mid rendered too: Argo CD's ``helm dependency
    build`` in top packs mid as it is in Git, without leaf (the build does not build a
    dependency's dependencies), whichever other charts render, in any order."""
    root = tmp_path / "repo"
    _chain(root, {"top": "mid", "mid": "leaf", "leaf": None})
    model = load([root / name for name in order], cache_dir=tmp_path / "cache",
                 helm=helm_bin, root=root)
    assert model.errors == ()
    assert sorted({(t.target.chart.rel if t.target.chart else "", r.ref)
                   for t in model.rendered for r in t.resources}) == [
        ("mid", "ConfigMap/mid-leaf"), ("mid", "ConfigMap/mid-mid"),
        ("top", "ConfigMap/top-mid"), ("top", "ConfigMap/top-top")]


def test_a_file_dependency_through_a_link_of_the_repository_builds(
        helm_bin: Path, tmp_path: Path) -> None:
    """``file://../sharedlink``, a link in the repository to ``../lib/shared``: helm joins the
    path to the chart's and follows the link, so Argo CD's ``helm dependency build`` packs
    lib/shared; the copy has the link where the path leads too."""
    root = tmp_path / "repo"
    _chain(root / "lib", {"shared": None})
    _chain(root / "charts", {"app": None})
    write_files(root / "charts" / "app", {
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                      "  - {name: shared, version: 0.1.0, repository: 'file://../sharedlink'}\n"})
    (root / "charts" / "sharedlink").symlink_to("../lib/shared")
    model = load(root / "charts" / "app", cache_dir=tmp_path / "cache", helm=helm_bin,
                 root=root)
    assert model.errors == ()
    assert sorted({r.ref for t in model.rendered for r in t.resources}) == [
        "ConfigMap/app-app", "ConfigMap/app-shared"]


@pytest.mark.parametrize(("archive", "chart", "renders"), [
    ("sub.tgz", "sub", True), ("vendored-sub-1.2.3.tgz", "sub", True),
    ("sub-1.2.3.tgz", "other", False), ("_sub-1.2.3.tgz", "sub", False),
    ("lfs-pointer.tgz", "sub", None),
])
def test_a_vendored_archive_counts_by_the_name_of_its_chart(
        helm_bin: Path, tmp_path: Path, archive: str, chart: str, renders: bool | None
) -> None:
    """helm loads every ``.tgz`` in ``charts/`` (but those starting with ``_`` or ``.``) and
    matches dependencies by the chart's name, whatever the archive is called: such a chart
    renders; one whose archive holds another chart is missing its dependency; a Git LFS
    pointer in place of the archive is said to be one, not a missing dependency."""
    import subprocess

    root = tmp_path / "repo"
    sub = tmp_path / "build" / chart
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text(f"apiVersion: v2\nname: {chart}\nversion: 1.2.3\n")
    (sub / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-sub\n")
    umbrella = root / "umb"
    (umbrella / "charts").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(
        "apiVersion: v2\nname: umb\nversion: 0.1.0\ndependencies:\n"
        "  - {name: sub, version: 1.2.3, repository: 'https://charts.example.com'}\n")
    subprocess.run([str(helm_bin), "package", str(sub), "-d", str(tmp_path / "build")],
                   check=True, capture_output=True)
    (tmp_path / "build" / f"{chart}-1.2.3.tgz").rename(umbrella / "charts" / archive)
    if renders is None:
        (umbrella / "charts" / archive).write_text(
            "version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n")
    model = load(umbrella, cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    if renders is None:
        assert model.errors and all(
            "charts/lfs-pointer.tgz is a Git LFS pointer" in e.message for e in model.errors)
    elif renders:
        assert model.errors == ()
        assert {r.ref for t in model.rendered for r in t.resources} == {"ConfigMap/umb-sub"}
    else:
        assert model.errors and all(e.file == "umb/Chart.yaml" for e in model.errors)


def _archive(files: dict[str, str], destination: Path) -> None:
    """A chart archive as ``helm package`` lays it out: ``files`` under the chart's name."""
    import io
    import tarfile

    with tarfile.open(destination, "w:gz") as tar:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _chart_archive(name: str, version: str, destination: Path) -> None:
    _archive({f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n",
              f"{name}/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                           f"metadata:\n  name: {name}-{version}\n"},
             destination)


def test_a_resource_of_a_subchart_archive_is_at_its_dependency(
        helm_bin: Path, tmp_path: Path) -> None:
    """A subchart vendored as an archive (under an alias): its templates are no file of the
    repository, so what its resources lack is reported at the dependency entry that pulls it
    in, one finding per container (one edit there fixes none of the others)."""
    root = tmp_path / "repo"
    umbrella = root / "umb"
    (umbrella / "charts").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(
        "apiVersion: v2\nname: umb\nversion: 0.1.0\ndependencies:\n"
        "  - name: sub\n    alias: web\n    version: 1.0.0\n"
        "    repository: https://charts.example.com\n")
    (umbrella / "values-prod.yaml").write_text("{}\n")
    containers = "".join(f"        - name: {name}\n          image: nginx:1.27.0\n"
                         "          imagePullPolicy: IfNotPresent\n" for name in ("a", "b"))
    _archive({"sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
              "sub/templates/deploy.yaml": (
                  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                  "  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n"
                  "      labels: {app: x}\n    spec:\n      containers:\n" + containers),
              "sub/templates/cm.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\ndata:\n  count: 3\n")},
             umbrella / "charts" / "sub-1.0.0.tgz")
    report = lint(umbrella, cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert report.errors == ()
    assert [f.location for f in report.findings if f.policy == "k8s-schema"] == [
        "umb/Chart.yaml:5"]
    ranges = [f for f in report.findings if f.policy == "resource-ranges"]
    assert sorted((f.location, f.message.split(":")[0]) for f in ranges) == [
        ("umb/Chart.yaml:5", 'container "a" in Deployment/web'),
        ("umb/Chart.yaml:5", 'container "b" in Deployment/web')]


def test_helm_lint_of_an_environment_that_rendered_is_kept_beside_another_that_failed(
        helm_bin: Path, tmp_path: Path) -> None:
    """A chart with an archive its Chart.yaml does not declare (helm lint's error in every
    environment) whose prod values fail its template: prod's render error owns what helm
    lint says with prod values, not what it says with stg values, where it rendered."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/web-stg.yaml": application("web-stg", "chart", "web-stg",
                                         source_extra="    helm:\n      valueFiles: "
                                                      "[values-stg.yaml]\n"),
        "apps/web-prod.yaml": application("web-prod", "chart", "web-prod",
                                          source_extra="    helm:\n      valueFiles: "
                                                       "[values-prod.yaml]\n"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "sc: {user: app}\n",
        "chart/values-stg.yaml": "{}\n", "chart/values-prod.yaml": "sc: null\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                   "  name: web\ndata:\n  user: {{ .Values.sc.user }}\n"})
    (repo / "chart" / "charts").mkdir()
    _chart_archive("sub", "0.1.0", repo / "chart" / "charts" / "sub-0.1.0.tgz")
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [(e.target, e.location) for e in report.errors] == [
        ("prod/web", "chart/templates/cm.yaml:6")]
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "chart-metadata"] == [
        ("chart/Chart.yaml", "helm lint error: chart metadata is missing these dependencies: "
                             "sub")]


@pytest.mark.parametrize("writes", [False, True], ids=["configmaps", "applications"])
def test_a_run_of_one_environment_renders_another_s_chart_only_if_its_archives_write_applications(
        helm_bin: Path, tmp_path: Path, writes: bool) -> None:
    """``--env stg``: prod's render of a chart vendoring an archive is needed only when the
    archive's templates may write Applications (Argo CD creates them whatever the
    environment); one of ConfigMaps is looked into and prod's failing render left alone."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        # (env-consistency on, prod is rendered to compare stg with it)
        "policies/platecheck.yaml": "policies:\n  env-consistency:\n    level: \"off\"\n",
        **{f"apps/web-{env}.yaml": application(
            f"web-{env}", "chart", f"web-{env}",
            source_extra=f"    helm:\n      valueFiles: [values-{env}.yaml]\n")
           for env in ("stg", "prod")},
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n"
                            "  - name: sub\n    version: 0.1.0\n"
                            "    repository: https://charts.example.com\n",
        "chart/values.yaml": "sc: {user: app}\n",
        "chart/values-stg.yaml": "{}\n", "chart/values-prod.yaml": "sc: null\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                   "  name: web\ndata:\n  user: {{ .Values.sc.user }}\n"})
    (repo / "chart" / "charts").mkdir()
    template = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                "  name: child\n" if writes else
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\n")
    _archive({"sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
              "sub/templates/x.yaml": "{{- if false }}\n" + template + "{{- end }}\n"},
             repo / "chart" / "charts" / "sub-0.1.0.tgz")
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin, environments="stg")
    assert [e.location for e in report.errors] == (
        ["chart/templates/cm.yaml:6"] if writes else [])
    assert [t.id for t in report.targets] == ["stg/web"]


def test_an_application_set_a_subchart_archive_writes_is_at_its_dependency(
        helm_bin: Path, tmp_path: Path) -> None:
    """Chart mode: a chart's archived subchart (as ``helm dependency build`` leaves argo-helm's
    argocd-apps) writes an ApplicationSet platecheck does not expand: its not-rendered
    finding is at the dependency entry, not at a file that does not exist."""
    root = tmp_path / "repo"
    umbrella = root / "apps"
    (umbrella / "charts").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(
        "apiVersion: v2\nname: apps\nversion: 0.1.0\ndependencies:\n"
        "  - name: sets\n    version: 1.0.0\n    repository: https://charts.example.com\n")
    _archive({"sets/Chart.yaml": "apiVersion: v2\nname: sets\nversion: 1.0.0\n",
              "sets/templates/set.yaml": (
                  "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
                  "  name: web\nspec:\n  goTemplate: true\n  generators:\n"
                  "    - list: {elements: [{env: prod}]}\n  template:\n"
                  "    metadata: {name: 'web-{{`{{ kebabcase .env }}`}}'}\n    spec:\n"
                  "      project: default\n      source:\n"
                  "        repoURL: https://git.example.com/repo.git\n        path: web\n"
                  "      destination: {server: 'https://kubernetes.default.svc', "
                  "namespace: web}\n")},
             umbrella / "charts" / "sets-1.0.0.tgz")
    (root / ".git").mkdir()
    report = lint(root, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert {f.location for f in report.findings if f.policy == "not-rendered"} == {
        "apps/Chart.yaml:5"}


@pytest.mark.parametrize(("where", "expected"), [
    ("top", [("umb/Chart.yaml", 6, "chart umb: 2 copies of the subchart sub are vendored "
              "(umb/charts/sub/, umb/charts/sub-0.9.0.tgz)")]),
    ("nested", [("umb/charts/sub/Chart.yaml", None, "chart umb: 2 copies of the subchart "
                 "leaf are vendored (umb/charts/sub/charts/a.tgz, umb/charts/sub/charts/leaf/)")]),
    ("once", []),
    ("ignored", []),  # .helmignore leaves the second copy out: helm loads one
    ("ignored-directory", []),
])
def test_a_subchart_vendored_twice_is_a_finding_at_its_dependency(
        helm_bin: Path, tmp_path: Path, where: str,
        expected: list[tuple[str, int | None, str]]) -> None:
    """helm loads every chart in ``charts/`` (directory or archive) and keeps each copy of a
    name as that subchart, in Go's map order: a subchart unpacked beside its archive renders
    one copy's templates or a mix, and which can change from run to run."""
    root = tmp_path / "repo"
    umbrella = root / "umb"
    sub = umbrella / "charts" / "sub"
    (sub / "templates").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(
        "apiVersion: v2\nname: umb\nversion: 0.1.0\ndependencies:\n"
        "  - {name: other, version: 1.0.0, repository: 'https://charts.example.com'}\n"
        "  - {name: sub, version: 1.0.0, repository: 'https://charts.example.com'}\n")
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 1.0.0\n")
    (sub / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub-1.0.0\n")
    _chart_archive("other", "1.0.0", umbrella / "charts" / "other-1.0.0.tgz")
    if where in ("top", "ignored", "ignored-directory"):
        _chart_archive("sub", "0.9.0", umbrella / "charts" / "sub-0.9.0.tgz")
    if where == "ignored":
        (umbrella / ".helmignore").write_text("# old copy\ncharts/sub-0.9.0.tgz\n")
    elif where == "ignored-directory":
        (umbrella / ".helmignore").write_text("/charts/sub/\n")
    elif where == "nested":  # a subchart directory of sub's, and an archive of the same name
        (sub / "charts" / "leaf").mkdir(parents=True)
        (sub / "charts" / "leaf" / "Chart.yaml").write_text(
            "apiVersion: v2\nname: leaf\nversion: 1.0.0\n")
        _chart_archive("leaf", "1.0.0", sub / "charts" / "a.tgz")
    report = lint(umbrella, cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    found = [(f.file, f.line, f.message.split(":", 2)[0] + ":" + f.message.split(":", 2)[1])
             for f in report.findings if f.policy == "chart-metadata" and "copies" in f.message]
    assert found == expected
    assert all(f.level.value == "error" for f in report.findings if "copies" in f.message)


_REF_SCHEMA = '{"properties": {"a": {"$ref": "https://schemas.example.com/a.json"}}}\n'
_LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n"
_COMMON = "apiVersion: v2\nname: common\nversion: 0.2.0\n"
_NEEDS_COMMON = ("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                 '  - {{name: common, version: "{}", repository: "file://../common"}}\n')
# files that stop the private copy of charts/app, and the Chart.yaml each failure is at
COPY_FAILURES = {
    "subchart-schema-ref": ({
        "charts/app/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        "charts/app/charts/sub/values.schema.json": _REF_SCHEMA,
    }, "charts/app/Chart.yaml"),
    "lfs-pointer": ({
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                                 "  - {name: sub, version: 1.0.0, "
                                 "repository: 'https://charts.example.com'}\n",
        "charts/app/charts/sub-1.0.0.tgz": _LFS_POINTER,
    }, "charts/app/Chart.yaml"),
    "dependency-build": ({
        "charts/app/Chart.yaml": _NEEDS_COMMON.format("^3.0.0"),
        "charts/common/Chart.yaml": _COMMON,
    }, "charts/app/Chart.yaml"),
    # the message's path is the dependency's (charts/sub/values.schema.json of common)
    "file-dependency-schema-ref": ({
        "charts/app/Chart.yaml": _NEEDS_COMMON.format("0.2.0"),
        "charts/common/Chart.yaml": _COMMON,
        "charts/common/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        "charts/common/charts/sub/values.schema.json": _REF_SCHEMA,
    }, "charts/common/Chart.yaml"),
}


@pytest.mark.parametrize("case", sorted(COPY_FAILURES))
def test_a_chart_whose_copy_fails_is_one_error_per_target_at_its_chart_yaml(
        helm_bin: Path, tmp_path: Path, case: str) -> None:
    """helm template and helm lint of a target meet the same failure of the chart's private
    copy (a subchart schema with a $ref, a Git LFS pointer for an archive, a dependency that
    does not build): one could-not-check error per target, at the Chart.yaml of the chart
    whose files it names, the same in every format and from the cache."""
    from synthetic import application, write_files

    files, chart_yaml = COPY_FAILURES[case]
    root = write_files(tmp_path / "repo", {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: app\n",
        **files,
        "apps/app-prod.yaml": application("app-prod", "charts/app", "app-prod"),
        "apps/app-stg.yaml": application("app-stg", "charts/app", "app-stg"),
    })
    cold, warm = (lint(root, cache_dir=tmp_path / "cache", helm=helm_bin) for _ in range(2))
    for report in (cold, warm):
        assert [(e.policy, e.target, e.file, e.line) for e in report.errors] == [
            ("could-not-check", "prod/app", chart_yaml, None),
            ("could-not-check", "stg/app", chart_yaml, None)]
        assert report.exit_code == 2
    for fmt, render in sorted(FORMATS.items()):
        assert render(cold) == render(warm), fmt
    summary = json.loads(FORMATS["json"](cold))["summary"]
    assert (summary["couldNotCheck"], summary["targets"]) == (2, 2)
    assert len(json.loads(FORMATS["sarif"](cold))["runs"][0]["results"]) == 2
    cases = [c for c in ET.fromstring(FORMATS["junit"](cold)).iter("testcase")
             if c.get("classname") in ("prod", "stg")]  # the two targets' cases
    assert cases and {len(c.findall("error")) for c in cases} == {1}


MULTI_SOURCE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: https://example.com/r.git
      path: one
    - repoURL: https://example.com/r.git
      path: two
  destination:
    server: https://kubernetes.default.svc
    namespace: web-prod
"""


def test_every_missing_path_of_a_multi_source_application_is_could_not_check(
        tmp_path: Path) -> None:
    """The first missing path stops the Application from being planned (a could-not-check
    error); the second is one too, not an argocd-application finding beside it."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "apps").mkdir()
    (repo / "apps" / "a.yaml").write_text(MULTI_SOURCE, encoding="utf-8")
    (repo / "apps" / "b.yaml").write_text(MULTI_SOURCE.replace("web-prod", "api-prod")
                                          .replace("path: one", "path: apps"), encoding="utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy, e.message) for e in report.errors] == [
        ("apps/a.yaml:10", "could-not-check", "source path 'one' does not exist"),
        ("apps/a.yaml:12", "could-not-check", "source path 'two' does not exist"),
        ("apps/b.yaml:12", "could-not-check", "source path 'two' does not exist")]
    assert [f for f in report.findings if "source path" in f.message] == []
    assert report.exit_code == 2


INCLUDED_INIT = WEB_POD_SPEC + """\
      initContainers:
{{- include "web.sidecar" "reload-init" | nindent 8 }}
        - name: init
          image: busybox:1.36
          resources:
{{ toYaml .Values.resources | indent 12 }}
      containers:
{{- include "web.sidecar" "reload" | nindent 8 }}
        - name: web
          image: nginx:1.27.0
          resources:
{{ toYaml .Values.resources | indent 12 }}
"""


def test_a_container_an_include_writes_is_not_put_at_another_containers_line(
        helm_bin: Path, tmp_path: Path) -> None:
    """An init container an ``include`` writes comes first in the rendered list; the entry
    the template writes at that position names another container (``init``, which sets
    its resources): the finding of the included one has no line rather than that one's.
    Two containers without a line are two findings: nothing says one edit fixes both."""
    from synthetic import write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "resources:\n  requests: {cpu: 100m, memory: 64Mi}\n"
                             "  limits: {cpu: 200m, memory: 128Mi}\n",
        "chart/templates/_helpers.tpl": '{{- define "web.sidecar" -}}\n- name: {{ . }}\n'
                                        "  image: busybox:1.36\n{{- end }}\n",
        "chart/templates/deploy.yaml": INCLUDED_INIT})
    report = lint(repo / "chart", cache_dir=tmp_path / "cache")
    ranges = [f for f in report.findings if f.policy == "resource-ranges"]
    assert {(f.file, f.line) for f in ranges} == {("chart/templates/deploy.yaml", None)}
    targets = {f.target for f in ranges}  # chart mode: one target per environment
    assert sorted(f.resource for f in ranges) == sorted(
        ["Deployment/web[reload-init]", "Deployment/web[reload]"] * len(targets))
    assert not any("also" in f.message for f in ranges)


PER_NAMESPACE = """\
{{- range .Values.namespaces }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {{ . }}
spec:
  replicas: "two"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:latest
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: {{ . }}
spec:
  rules:
    - host: web.example.com
{{- end }}
"""


def test_resources_of_one_name_in_two_namespaces_are_told_apart(helm_bin: Path,
                                                                  tmp_path: Path) -> None:
    """One template renders a Deployment and an Ingress named web into two namespaces: each
    message names the namespace of its resource, so the two findings at one line (or the
    one finding of two containers) say which is which; a name used once says none."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "namespaces: [a, b]\n",
        "chart/templates/web.yaml": PER_NAMESPACE,
        "chart/templates/one.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
                                    "  namespace: a\nspec:\n  ports: [{port: x}]\n"})
    report = lint(repo / "chart", cache_dir=tmp_path / "cache")
    target = sorted({f.target for f in report.findings if f.target})[0]
    messages = sorted(f.message for f in report.findings if f.target == target and f.policy in (
        "ingress-tls", "k8s-schema", "image-tag-pinned"))
    prefixes = ["Deployment/web in namespace a: ", "Deployment/web in namespace b: ",
                "Ingress/web in namespace a has ", "Ingress/web in namespace a host ",
                "Ingress/web in namespace b has ", "Ingress/web in namespace b host ",
                "Service/web: ",
                'container "web" in Deployment/web in namespace a uses floating tag "latest" '
                '(also container "web" in Deployment/web in namespace b)']
    assert len(messages) == len(prefixes)
    assert all(m.startswith(p) for m, p in zip(messages, prefixes, strict=True)), messages


FLUSH_ENV = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: operator
spec:
  selector: {matchLabels: {name: operator}}
  template:
    metadata: {labels: {name: operator}}
    spec:
      containers:
      - command:
        - operator
        env:
        - name: WATCH_NAMESPACE
          value: ""
        image: quay.io/example/operator:v1.0.4
        name: operator
"""


POD_HELPER = """\
{{- define "web.pod" -}}
initContainers:
  - name: {{ .Chart.Name }}-init
    image: busybox:1.36
containers:
  - name: {{ .Chart.Name }}-sidecar
    image: busybox:1.36
  {{- if .Values.extra }}
  - name: extra
    image: busybox:1.36
  {{- end }}
  - name: {{ .Chart.Name }}
    image: nginx:1.27.0
    resources:
{{ toYaml .Values.resources | indent 6 }}
{{- end }}
"""

POD_USER = WEB_POD_SPEC + """\
      {{- include "web.pod" . | nindent 6 }}
"""


def test_a_container_a_helper_template_writes_is_at_its_entry_there(helm_bin: Path,
                                                                     tmp_path: Path) -> None:
    """The pod spec written in a helper template (``_pod.tpl``, included by the
    Deployment's template): each container's finding is at its entry there, the templated
    name that fits best (``{{ .Chart.Name }}-sidecar`` for ``web-sidecar``, not
    ``{{ .Chart.Name }}``), at the field when the entry writes it."""
    from synthetic import write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "extra: true\nresources: {}\n",
        "chart/templates/_helpers.tpl": '{{- define "web.name" -}}web{{- end }}\n',
        "chart/templates/_pod.tpl": POD_HELPER,
        "chart/templates/deployment.yaml": POD_USER})
    report = lint(repo / "chart", cache_dir=tmp_path / "cache")
    assert {(f.resource, f.location) for f in report.findings
            if f.policy == "resource-ranges"} == {
        ("Deployment/web[extra]", "chart/templates/_pod.tpl:9"),
        ("Deployment/web[web-init]", "chart/templates/_pod.tpl:3"),
        ("Deployment/web[web-sidecar]", "chart/templates/_pod.tpl:6"),
        ("Deployment/web[web]", "chart/templates/_pod.tpl:14")}


def test_a_container_whose_name_comes_after_a_flush_list_is_found(helm_bin: Path,
                                                                   tmp_path: Path) -> None:
    """A container entry that writes ``env:`` items flush with its own keys and its
    ``name:`` last (as kubectl and operator-sdk write manifests): the items' ``- name:``
    are not the container's name, so its finding is at its entry, not at the
    Deployment's ``metadata.name`` of the same text."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/deployment.yaml": FLUSH_ENV,
        "apps/operator.yaml": application("operator-prod", "manifests", "operator-prod")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.resource) for f in report.findings
            if f.policy == "resource-ranges"] == [
        ("manifests/deployment.yaml:11", "Deployment/operator[operator]")]


def test_a_host_no_tls_entry_covers_is_at_its_own_rule(helm_bin: Path, tmp_path: Path) -> None:
    """Each uncovered host of an Ingress written in the manifest is at the line that writes
    it, not at the first rule's host."""
    from synthetic import application, write_files

    rules = "".join(f"    - host: {name}.example.com\n      http:\n        paths:\n"
                    "          - {path: /, pathType: Prefix, backend: {service: "
                    "{name: web, port: {number: 80}}}}\n" for name in ("a", "b", "c"))
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "manifests", "web-prod"),
        "manifests/ingress.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata:\n  name: web\nspec:\n  rules:\n" + rules
        + "  tls:\n    - hosts: [a.example.com]\n      secretName: web-tls\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings if "not covered" in f.message] == [
        ("manifests/ingress.yaml:11", 'Ingress/web host "b.example.com" is not covered by any '
                                      "tls entry"),
        ("manifests/ingress.yaml:15", 'Ingress/web host "c.example.com" is not covered by any '
                                      "tls entry")]


def test_a_host_a_global_domain_also_holds_is_at_the_ingress_key(helm_bin: Path,
                                                                  tmp_path: Path) -> None:
    """``ingress.hostname | default .Values.domain`` with both set alike: the finding is at
    the Ingress's own key, which is the one the template used, not at the global domain."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/web.yaml": application("web-prod", "chart", "web-prod").replace(
            "    path: chart\n", "    path: chart\n    helm:\n      valueFiles: [../env.yaml]\n"),
        "env.yaml": "domain: web.example.com\ningress:\n  hostname: web.example.com\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/ingress.yaml":
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n"
            "  rules:\n    - host: {{ .Values.ingress.hostname | default .Values.domain }}\n"
            "      http:\n        paths:\n          - {path: /, pathType: Prefix, backend: "
            "{service: {name: web, port: {number: 80}}}}\n"})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if "not covered" in f.message] == ["env.yaml:3"]


def test_a_host_another_key_also_holds_is_at_the_key_its_template_reads(
        helm_bin: Path, tmp_path: Path) -> None:
    """Two Ingresses, each reading its host from its own key, both ``example.com``: the one
    without tls is reported at the key its template reads (``web.ingress.host``), not at the
    other Ingress's key that holds the same text."""
    from synthetic import application

    ingress = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n"
               "spec:\n{tls}  rules:\n    - host: {{{{ .Values.{name}.ingress.host }}}}\n"
               "      http:\n        paths:\n          - {{path: /, pathType: Prefix, backend: "
               "{{service: {{name: web, port: {{number: 80}}}}}}}}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/site.yaml": application("site", "chart", "site"),
        "chart/Chart.yaml": "apiVersion: v2\nname: site\nversion: 0.1.0\n",
        "chart/values.yaml": "api:\n  ingress:\n    host: example.com\n"
                             "web:\n  ingress:\n    host: example.com\n",
        "chart/templates/api.yaml": ingress.format(
            name="api", tls="  tls:\n    - hosts: [example.com]\n      secretName: api-tls\n"),
        "chart/templates/web.yaml": ingress.format(name="web", tls="")})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if "not covered" in f.message] == [
        "chart/values.yaml:6"]


def test_a_pull_policy_written_in_its_container_is_at_that_line(
        helm_bin: Path, tmp_path: Path) -> None:
    """A sidecar whose template writes ``imagePullPolicy: IfNotPresent`` as it is, beside a
    container whose policy comes from ``image.pullPolicy`` (also ``IfNotPresent``): the
    sidecar's finding is at its own line, not at the other container's values key."""
    from synthetic import application

    container = ("        - name: {name}\n          image: {image}\n"
                 "          imagePullPolicy: {policy}\n          resources:\n"
                 "            requests: {{cpu: 100m, memory: 128Mi}}\n"
                 "            limits: {{cpu: 200m, memory: 256Mi}}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/app.yaml": application("app-stg", "chart", "app-stg"),
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: '1.2.3'\n  pullPolicy: IfNotPresent\n"
                             "sidecarImage: example/sidecar:latest\n",
        "chart/templates/deployment.yaml":
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
            "  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n"
            "      labels: {app: app}\n    spec:\n      containers:\n"
            + container.format(name="app", image='"example/app:{{ .Values.image.tag }}"',
                               policy="{{ .Values.image.pullPolicy }}")
            + container.format(name="sidecar", image="{{ .Values.sidecarImage | quote }}",
                               policy="IfNotPresent")})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if f.policy == "pull-policy"] == [
        "chart/templates/deployment.yaml:21"]


def test_a_host_made_of_the_release_alone_is_at_its_template_line(
        helm_bin: Path, tmp_path: Path) -> None:
    """``host: {{ printf "%s.example.com" .Release.Namespace }}`` reads no value: a values
    key that holds the same text by chance is not where it comes from."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/web.yaml": application("web-prod", "chart", "web-prod"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "ingress:\n  hostname: web-prod.example.com\n",
        "chart/templates/ingress.yaml":
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n"
            "  rules:\n    - host: {{ printf \"%s.example.com\" .Release.Namespace }}\n"
            "      http:\n        paths:\n          - {path: /, pathType: Prefix, backend: "
            "{service: {name: web, port: {number: 80}}}}\n"})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if "not covered" in f.message] == [
        "chart/templates/ingress.yaml:7"]


@pytest.mark.parametrize("banner", [False, True], ids=["plain", "banner-comment"])
def test_a_document_separator_helm_lint_refuses_is_at_its_template_line(
        helm_bin: Path, tmp_path: Path, banner: bool) -> None:
    """A ``---`` whose line break the ``{{- end }}`` after it removes joins the next
    document's first line to it: helm lint refuses the separator and names the template
    but no line; the finding is at the ``---``, not at a line of dashes of a comment
    above it."""
    above = "{{- /*\n-----------\nA banner.\n-----------\n*/ -}}\n" if banner else ""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/values.yaml": "names: [a, b]\n",
        "web/templates/cm.yaml": above + "{{- range .Values.names }}\n{{- $name := . -}}\n"
                                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                 "  name: {{ $name }}\n---\n{{- end }}\n"})
    report = lint(root / "web", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert sorted({f.location for f in report.findings if f.policy == "chart-metadata"
                   and "separator" in f.message}) == [
        f"web/templates/cm.yaml:{12 if banner else 7}"]


def test_a_document_a_template_reads_whole_from_a_chart_file_is_at_that_file(
        helm_bin: Path, tmp_path: Path) -> None:
    """``{{ $.Files.Get $path }}`` over ``.Files.Glob "extra/*"`` writes each file as it
    is: a finding of its documents is at that file's line, not at the template; a document
    that is not some file's as written stays at the template."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "fg/Chart.yaml": "apiVersion: v2\nname: fg\nversion: 0.1.0\n",
        "fg/extra/cm.yaml": "# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                            "  name: fg\ndatta:\n  x: '1'\n---\napiVersion: v1\nkind: ConfigMap\n"
                            "metadata:\n  name: second\nwrong: 1\n",
        "fg/templates/extra.yaml": '{{- range $path, $_ := .Files.Glob "extra/*" }}\n'
                                   "{{ $.Files.Get $path }}\n{{- end }}\n",
        "fg/templates/own.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n"
                                 "  annotations:\n    note: {{ .Files.Get \"none.txt\" | quote }}"
                                 "\ntypo: 1\n"})
    report = lint(root / "fg", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert sorted({(f.location, f.message.split(":")[1].strip()) for f in report.findings
                   if f.policy == "k8s-schema"}) == [
        ("fg/extra/cm.yaml:13", "wrong"), ("fg/extra/cm.yaml:6", "datta"),
        ("fg/templates/own.yaml:7", "typo")]


def test_an_ingress_of_a_chart_archive_without_an_issuer_is_at_its_annotations_values(
        helm_bin: Path, tmp_path: Path) -> None:
    """The Ingress's template is in a chart archive (no line of the repository): the
    finding that it has no issuer annotation is at the values map its annotations come
    from, where the annotation is to be added."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "umb/Chart.yaml": "apiVersion: v2\nname: umb\nversion: 0.1.0\ndependencies:\n"
                          "  - {name: web, version: 1.0.0, repository: 'https://c.example.com'}\n",
        "umb/values-prod.yaml": "web:\n  ingress:\n    annotations:\n"
                                "      nginx.ingress.kubernetes.io/ssl-redirect: 'true'\n"})
    files = {"web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
             "web/templates/ingress.yaml":
                 "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
                 "  annotations:\n    {{- toYaml .Values.ingress.annotations | nindent 4 }}\n"
                 "spec:\n  tls:\n    - hosts: [web.example.com]\n      secretName: web-tls\n"
                 "  rules:\n    - host: web.example.com\n"}
    (root / "umb" / "charts").mkdir()
    _archive(files, root / "umb" / "charts" / "web-1.0.0.tgz")
    report = lint(root / "umb", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert [f.location for f in report.findings
            if f.policy == "ingress-tls" and "issuer" in f.message] == ["umb/values-prod.yaml:3"]


def test_documents_helm_sorts_by_kind_are_at_their_own_lines(helm_bin: Path,
                                                              tmp_path: Path) -> None:
    """helm sorts a template's documents by kind (a Service before the Deployments): the
    second Deployment's finding is at its own document, not at the first one's."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
                  "  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n"
                  "  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n"
                  "      containers:\n        - name: app\n          image: nginx:1.27.0\n")
    service = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n"
               "  ports:\n    - port: 80\n")
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/apps.yaml": deployment.format(name="api", replicas=1) + "---\n"
        + service + "---\n" + deployment.format(name="worker", replicas='"two"')})
    report = lint(root / "web", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert sorted({f.location for f in report.findings if f.policy == "k8s-schema"}) == [
        "web/templates/apps.yaml:30"]


def test_a_chart_file_error_helm_lint_gives_no_line_is_at_its_key(helm_bin: Path,
                                                                 tmp_path: Path) -> None:
    """helm lint names Chart.yaml but no line for a bad source URL or a maintainer without
    a name: each finding is at the key helm read it from."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\nsources:\n  - xxx\n"
                        "maintainers:\n  - email: a@example.com\n",
        "c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert sorted((f.location, f.message) for f in report.findings
                  if f.policy == "chart-metadata") == [
        ("c/Chart.yaml:4", "helm lint error: invalid source URL 'xxx'"),
        ("c/Chart.yaml:6", "helm lint error: each maintainer requires a name")]


def test_an_image_the_template_writes_as_it_is_is_at_the_template(helm_bin: Path,
                                                                   tmp_path: Path) -> None:
    """The Deployment's image is written in the template as it is; a values key elsewhere
    holds the same string for another resource: the floating tag is at the template line,
    the one line that gives the image."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "c/values.yaml": "mirror:\n  source: example.com/app:latest\n",
        "c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mirror\n"
                               "data:\n  source: {{ .Values.mirror.source | quote }}\n",
        "c/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                                   "  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n"
                                   "  template:\n    metadata:\n      labels: {app: app}\n"
                                   "    spec:\n      containers:\n        - name: app\n"
                                   "          image: example.com/app:latest\n"})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert sorted({f.location for f in report.findings if f.policy == "image-tag-pinned"}) \
        == ["c/templates/deploy.yaml:14"]


@pytest.mark.parametrize("name", ["web", "."])
def test_a_chart_named_dot_points_at_its_templates(helm_bin: Path, tmp_path: Path,
                                                   name: str) -> None:
    """helm takes a chart named "." and names its templates by their path alone
    (``# Source: templates/cm.yaml``): findings are at the template's lines as for any
    name, and its values are checked against its values.schema.json alike."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": f"apiVersion: v2\nname: '{name}'\nversion: 0.1.0\n",
        "c/values.yaml": "replicas: 2\n",
        "c/values.schema.json": '{"properties": {"replicas": {"type": "integer"}}}',
        "c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                               "datta: {}\n"})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert report.errors == ()
    assert sorted({f.location for f in report.findings if f.policy == "k8s-schema"}) == [
        "c/templates/cm.yaml:5"]
    (root / "c" / "values.yaml").write_text("replicas: two\n")
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert {e.message.split(":")[0] for e in report.errors} == {
        "values do not meet the chart's values.schema.json at replicas"}


def _library_and_local(tmp_path: Path, helper: str, templates: dict[str, str]) -> Path:
    """A repository of chart ``app`` with a ``file://`` library chart ``lib``, each with
    ``helper`` (a format string of the definition's ``name``) as a helper template, and
    ``templates``."""
    return write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
        "lib/templates/_deployment.yaml": helper.format(name="lib.deployment"),
        "app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                          "  - {name: lib, version: 0.1.0, repository: 'file://../lib'}\n",
        "app/templates/_local.tpl": helper.format(name="local.deployment"), **templates})

@pytest.mark.parametrize("local", [False, True])
def test_a_container_a_library_charts_helper_writes_is_at_its_entry_there(
        helm_bin: Path, tmp_path: Path, local: bool) -> None:
    """helm shares every ``define`` of the charts it renders together: a container the
    ``file://`` library's helper writes is at its entry in the library; with the chart's
    own helper of the same shape included instead, at that one (the helpers a template
    includes, not every helper of the tree)."""
    helper = ('{{{{- define "{name}" -}}}}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n'
              "  name: {{{{ .Release.Name }}}}\nspec:\n  template:\n    spec:\n"
              "      containers:\n        - name: main\n          image: nginx:1.27.0\n"
              "{{{{- end -}}}}\n")
    root = _library_and_local(tmp_path, helper, {
        "app/templates/deployment.yaml":
            f'{{{{ include "{"local" if local else "lib"}.deployment" . }}}}\n'})
    report = lint(root / "app", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    where = "app/templates/_local.tpl" if local else "lib/templates/_deployment.yaml"
    assert sorted({f.location for f in report.findings if f.policy == "resource-ranges"}) \
        == [f"{where}:10"]


def test_an_image_that_is_no_reference_is_at_the_tag_a_value_gave(helm_bin: Path,
                                                                    tmp_path: Path) -> None:
    """``image.tag: "1.25 3"`` makes no valid image reference: the finding is at the values
    line that set the tag (it was at the template's image line)."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "c/values.yaml": "image:\n  repository: nginx\n  tag: '1.25 3'\n",
        "c/values-prod.yaml": "{}\n",
        "c/templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                                "  containers:\n    - name: web\n      image: \"{{ "
                                ".Values.image.repository }}:{{ .Values.image.tag }}\"\n"})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert [f.location for f in report.findings if f.policy == "image-tag-pinned"
            and "not a valid image reference" in f.message] == ["c/values.yaml:3"]


def test_annotations_a_template_writes_from_the_values_are_at_their_map(
        helm_bin: Path, tmp_path: Path) -> None:
    """The template writes ``toYaml .Values.ingress.annotations``: the missing issuer
    annotation is at that map in the values file, where it is added (it was at the
    template's ``annotations:`` line, which writes whatever the values say)."""
    ingress = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
               "  {{- with .Values.ingress.annotations }}\n  annotations:\n"
               "    {{- toYaml . | nindent 4 }}\n  {{- end }}\nspec:\n  tls:\n"
               "    - hosts: [web.example.com]\n      secretName: web-tls\n  rules:\n"
               "    - host: web.example.com\n")
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "c/values-prod.yaml": "ingress:\n  annotations:\n"
                              "    nginx.ingress.kubernetes.io/ssl-redirect: 'true'\n",
        "c/templates/ingress.yaml": ingress})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert [f.location for f in report.findings if f.policy == "ingress-tls"
            and "issuer annotation" in f.message] == ["c/values-prod.yaml:2"]


def test_a_tag_of_each_item_a_range_renders_is_at_its_item(helm_bin: Path,
                                                            tmp_path: Path) -> None:
    """A chart renders a Deployment of each ``services`` item, every container named ``c``:
    each floating tag is at its own item's ``tag`` (the Deployment's name, a sibling there,
    tells them apart), not one finding at the first item for all."""
    template = ("{{- range .Values.services }}\n---\napiVersion: apps/v1\nkind: Deployment\n"
                "metadata:\n  name: {{ .name }}\nspec:\n  template:\n    spec:\n"
                "      containers:\n      - name: c\n        image: \"nginx:{{ .tag }}\"\n"
                "{{- end }}\n")
    services = "".join(f"  - name: s{i}\n    tag: latest\n    replicas: 2\n" for i in range(3))
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "c/values.yaml": "services: []\n", "c/values-prod.yaml": "services:\n" + services,
        "c/templates/deployments.yaml": template})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert [(f.location, f.resource) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        (f"c/values-prod.yaml:{3 + 3 * i}", f"Deployment/s{i}[c]") for i in range(3)]


def test_a_pull_policy_a_helper_writes_as_it_is_is_at_its_line_there(
        helm_bin: Path, tmp_path: Path) -> None:
    """A helper writes the container's ``imagePullPolicy: Always`` as it is: the finding is
    at that line, not at a values key of the same text no template reads (``db.image``'s,
    where it was)."""
    helper = ('{{- define "web.backup" }}\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n'
              '  name: backup\nspec:\n  schedule: "0 0 * * *"\n  jobTemplate:\n    spec:\n'
              "      template:\n        spec:\n          restartPolicy: OnFailure\n"
              "          containers:\n          - image: restic/restic:0.17.3\n"
              "            imagePullPolicy: Always\n            name: restic\n{{- end }}\n")
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "c/values.yaml": "db:\n  image:\n    repository: postgres\n    pullPolicy: Always\n",
        "c/values-prod.yaml": "{}\n", "c/templates/_helpers.tpl": helper,
        "c/templates/backup.yaml": '{{- include "web.backup" . }}\n'})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert [f.location for f in report.findings if f.policy == "pull-policy"] == [
        "c/templates/_helpers.tpl:15"]


@pytest.mark.parametrize("local", [False, True])
def test_a_resource_a_helper_writes_is_at_its_lines_there(helm_bin: Path, tmp_path: Path,
                                                         local: bool) -> None:
    """A resource a template writes only by ``{{ include }}``: a field of it (k8s-schema) and
    its kind (unknown-kind) are at their lines in the definition the template includes, of
    the chart's own helpers or of a ``file://`` library's, not at the template with no
    line."""
    helper = ('{{{{- define "{name}" -}}}}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n'
              "  name: web\nspec:\n  replicas: three\n  selector:\n"
              "    matchLabels:\n      app: web\n  template:\n    metadata:\n"
              "      labels:\n        app: web\n    spec:\n      containers:\n"
              "        - name: main\n          image: nginx:1.27.0\n{{{{- end -}}}}\n"
              '{{{{- define "{name}-group" -}}}}\napiVersion: operators.coreos.com/v1\n'
              "kind: OperatorGroup\nmetadata:\n  name: web\n{{{{- end -}}}}\n")
    include = "local" if local else "lib"
    root = _library_and_local(tmp_path, helper, {
        "app/templates/resources.yaml":
            f'{{{{ include "{include}.deployment-group" . }}}}\n---\n'
            f'{{{{ include "{include}.deployment" . }}}}\n'})
    report = lint(root / "app", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    where = "app/templates/_local.tpl" if local else "lib/templates/_deployment.yaml"
    assert sorted({(f.policy, f.location) for f in report.findings
                   if f.policy in ("k8s-schema", "unknown-kind")}) == [
        ("k8s-schema", f"{where}:7"), ("unknown-kind", f"{where}:22")]


def test_a_name_yaml_reads_as_a_boolean_is_one_finding(helm_bin: Path, tmp_path: Path) -> None:
    """``name: no`` renders a boolean (YAML 1.1, as Argo CD reads it): one finding that says
    so, on the resource shown as YAML writes it, not a second one saying the name is
    missing."""
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: no\n"})
    report = lint(root / "c", cache_dir=tmp_path / "cache", helm=helm_bin, root=root)
    assert sorted({(f.location, f.message) for f in report.findings
                   if f.policy == "k8s-schema"}) == [
        ("c/templates/cm.yaml:4",
         "ConfigMap/false: metadata.name: expected string, got boolean false")]


def test_a_container_a_template_writes_whole_from_the_values_is_at_its_entry(
        helm_bin: Path, tmp_path: Path) -> None:
    """``initContainers: {{ toYaml .Values.initContainers }}``: the template writes no entry of
    its own, so a finding about the container is at its entry in the values file that wrote
    it (the ``name:`` line), where its resources are to be added, not at a line unknown."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "chart/values.yaml": "initContainers: []\n",
        "chart/values-prod.yaml": "initContainers:\n  - name: setup\n"
                                  "    image: busybox:1.36.1\n    imagePullPolicy: IfNotPresent\n",
        "chart/templates/deploy.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
            "  selector: {matchLabels: {app: web}}\n  template:\n"
            "    metadata: {labels: {app: web}}\n    spec:\n      initContainers:\n"
            "        {{- toYaml .Values.initContainers | nindent 8 }}\n      containers:\n"
            "        - name: web\n          image: nginx:1.25.3\n"
            "          imagePullPolicy: IfNotPresent\n          resources:\n"
            "            requests: {cpu: 100m, memory: 128Mi}\n"
            "            limits: {cpu: 200m, memory: 256Mi}\n"),
        "apps/web-prod.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
            "  namespace: argocd\nspec:\n  project: default\n  source:\n"
            "    repoURL: https://git.example.com/repo.git\n    path: chart\n    helm:\n"
            "      valueFiles: [values-prod.yaml]\n  destination:\n"
            "    server: https://kubernetes.default.svc\n    namespace: web-prod\n")})
    report = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings if f.policy == "resource-ranges"] \
        == [("chart/values-prod.yaml:2", 'init container "setup" in Deployment/web: sets no cpu '
             "request, cpu limit, memory request or memory limit")]


@pytest.mark.parametrize("rules", [
    "templates/a.yaml\n", "a.yaml\n", "/templates/a.yaml\n", "*.yaml\n!keep.yaml\n",
    "templates/\n", "templates/*\n!templates/keep.yaml\n", "[ab].yaml\n",
    "templates/[^a]*.yaml\n", "# all\n!*.yaml\n", "templates/b.yaml\n!templates/a.yaml\n",
])
def test_helmignore_leaves_out_what_helm_leaves_out(helm_bin: Path, tmp_path: Path,
                                                    rules: str) -> None:
    """helmignore.loaded against helm's own loader: the templates a render writes are those
    the rules keep (a negated rule leaves out what it does not match), none when they leave
    Chart.yaml out (helm: "Chart.yaml file is missing")."""
    import subprocess

    from platecheck import helmignore

    chart = write_files(tmp_path / "c", {
        "Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", ".helmignore": rules,
        **{f"templates/{n}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n"
           for n in ("a", "b", "keep")}})
    out = subprocess.run([str(helm_bin), "template", "r", str(chart)], capture_output=True,
                         text=True, check=False)
    rendered = sorted(line.split(": ")[1] for line in out.stdout.splitlines()
                      if line.startswith("  name: "))
    read = helmignore.read(chart)
    kept = [n for n in ("a", "b", "keep")
            if helmignore.loaded(read, f"templates/{n}.yaml", False)]
    loads = helmignore.loaded(read, "Chart.yaml", False)
    assert (out.returncode == 0, rendered) == (loads, kept if loads else [])


def test_only_a_chart_s_crds_directory_in_an_archive_holds_crds(tmp_path: Path) -> None:
    """Helm installs the files of a chart's ``crds/`` (its own, and each vendored chart's):
    a subchart named ``crds`` (kyverno's, envoy-gateway's) holds templates, as does a
    ``templates/crds/`` directory."""
    from platecheck.dependencies import archived_crds

    archive = tmp_path / "op-1.0.0.tgz"
    _archive({"op/Chart.yaml": "", "op/crds/a.yaml": "a", "op/charts/sub/crds/b.yaml": "b",
              "op/charts/crds/templates/c.yaml": "{{- if .Values.on }}",
              "op/templates/crds/d.yaml": "d", "op/charts/sub/templates/crds/e.yaml": "e",
              "op/charts/crds/crds/f.yaml": "f"}, archive)
    assert [member for member, _ in archived_crds(archive)] == [
        "op/crds/a.yaml", "op/charts/sub/crds/b.yaml", "op/charts/crds/crds/f.yaml"]


def test_the_crds_of_a_vendored_chart_archive_are_schemas(helm_bin: Path, tmp_path: Path
                                                         ) -> None:
    """An operator chart vendored as ``charts/op-1.0.0.tgz`` holds the Cache CRD in its
    ``crds/``; with ``skipCrds`` the render outputs no CRD, and the Cache the parent renders
    is validated against the archive's schema as against an unpacked copy's (it was an
    unknown kind, its fix to add the CRD the repository holds)."""
    from synthetic import CACHE_CRD

    crd = CACHE_CRD % ("            type: object\n            properties:\n"
                       "              size: {type: integer}\n")
    root = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n"
                            "  - {name: op, version: 1.0.0, repository: "
                            "'https://charts.example.com'}\n",
        "chart/templates/cache.yaml": "apiVersion: example.com/v1\nkind: Cache\nmetadata:\n"
                                      "  name: c\nspec:\n  sizes: 3\n",
        "apps/web.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
            "  namespace: argocd\nspec:\n  project: default\n  source:\n"
            "    repoURL: https://git.example.com/repo.git\n    path: chart\n"
            "    helm: {skipCrds: true}\n  destination:\n"
            "    server: https://kubernetes.default.svc\n    namespace: web\n")})
    (root / "chart" / "charts").mkdir()
    _archive({"op/Chart.yaml": "apiVersion: v2\nname: op\nversion: 1.0.0\n",
              "op/crds/cache.yaml": crd}, root / "chart" / "charts" / "op-1.0.0.tgz")
    report = lint(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.message) for f in report.findings
            if f.policy in ("k8s-schema", "unknown-kind")] == [
        ("k8s-schema", "Cache/c: spec.sizes: unknown field")]


def test_the_job_an_argo_rollouts_analysis_runs_is_checked_as_a_pod(
        helm_bin: Path, tmp_path: Path) -> None:
    """An AnalysisTemplate's job metric runs a Job of its pod template on every canary
    step: its container's floating tag is found at the image line, as a Deployment's is."""

    analysis = ("apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n"
                "  name: smoke\nspec:\n  metrics:\n    - name: smoke\n      provider:\n"
                "        job:\n          spec:\n            template:\n              spec:\n"
                "                restartPolicy: Never\n                containers:\n"
                "                  - name: smoke\n"
                "                    image: curlimages/curl:latest\n")
    report = _production_manifests(tmp_path, helm_bin, {
        "analysis.yaml": analysis})
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("manifests/analysis.yaml:16",
         'container "smoke" in AnalysisTemplate/smoke uses floating tag "latest"')]


@pytest.mark.parametrize("kind", ["experiment", "scaled-job"])
def test_the_pods_an_experiment_or_a_scaled_job_runs_are_checked(
        helm_bin: Path, tmp_path: Path, kind: str) -> None:
    """An Argo Rollouts Experiment runs a ReplicaSet of each of its ``templates``, KEDA's
    ScaledJob Jobs of its ``jobTargetRef``: their containers' floating tags and ranges are
    found at their lines, as a Deployment's are."""
    container = ("- name: probe\n  image: busybox:latest\n  imagePullPolicy: IfNotPresent\n"
                 "  resources:\n    requests: {cpu: 500m, memory: 64Mi}\n"
                 "    limits: {cpu: 100m, memory: 64Mi}\n")
    if kind == "experiment":
        head = ("apiVersion: argoproj.io/v1alpha1\nkind: Experiment\nmetadata:\n"
                "  name: probe\nspec:\n  templates:\n    - name: baseline\n"
                "      selector: {matchLabels: {app: probe}}\n      template:\n"
                "        metadata: {labels: {app: probe}}\n        spec:\n"
                "          containers:\n")
        indent = "            "
        what = 'container "probe" of template "baseline" in Experiment/probe'
    else:
        head = ("apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata:\n"
                "  name: probe\nspec:\n  jobTargetRef:\n    template:\n      spec:\n"
                "        containers:\n")
        indent, what = "          ", 'container "probe" in ScaledJob/probe'
    body = head + "".join(indent + line + "\n" for line in container.splitlines())
    report = _production_manifests(tmp_path, helm_bin, {"probe.yaml": body})
    lines = body.splitlines()
    image = next(n for n, line in enumerate(lines, 1) if "image: busybox" in line)
    assert [(f.policy, f.location, f.message) for f in report.findings
            if f.policy in ("image-tag-pinned", "resource-ranges")][:2] == [
        ("image-tag-pinned", f"manifests/probe.yaml:{image}",
         f'{what} uses floating tag "latest"'),
        ("resource-ranges", f"manifests/probe.yaml:{image + 4}",
         f'{what}: cpu limit "100m" is below its request "500m"')]


_TLS_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
{annotations}spec:
  tls:
    - secretName: shared-tls
      hosts: [a.example.com]
  rules:
    - host: a.example.com
      http:
        paths:
          - path: /{name}
            pathType: Prefix
            backend: {{service: {{name: web, port: {{number: 80}}}}}}
"""
_ISSUER = "  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\n"


@pytest.mark.parametrize("issued_by", ["certificate", "ingress", "unrendered"])
def test_a_secret_another_source_or_ingress_issues_needs_no_annotation(
        helm_bin: Path, tmp_path: Path, issued_by: str) -> None:
    """The Ingress ``extra`` (no issuer annotation) serves ``shared-tls``, which a
    Certificate of the Application's other source issues, or the annotated Ingress ``main``
    beside it for the same host (ingress-shim's Certificate, which a second annotated
    Ingress would not own), or a chart of another repository its Application deploys too
    may issue: Argo CD applies all sources as one set, so the secret exists (or may), and
    no finding."""
    certificate = ("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n"
                   "  name: shared\nspec:\n  secretName: shared-tls\n"
                   "  dnsNames: [a.example.com]\n"
                   "  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n")
    other = certificate if issued_by == "certificate" else _TLS_INGRESS.format(
        name="main", annotations=_ISSUER)
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
           "  name: web-prod\n  namespace: argocd\nspec:\n  project: default\n  sources:\n"
           + "".join(f"    - {{repoURL: https://git.example.com/repo.git, path: {path}}}\n"
                     for path in ("extra", "other"))
           + ("    - {repoURL: https://charts.example.com, chart: web, targetRevision: 1.0.0}\n"
              if issued_by == "unrendered" else "")
           + "  destination: {server: https://kubernetes.default.svc, namespace: web}\n")
    if issued_by == "unrendered":
        other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": app, "other/other.yaml": other,
        "extra/extra.yaml": _TLS_INGRESS.format(name="extra", annotations="")})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.message for f in report.findings if f.policy == "ingress-tls"] == []
    if issued_by == "unrendered":
        return
    (repo / "other" / "other.yaml").write_text(certificate.replace("shared-tls", "own-tls"))
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.message for f in report.findings if f.policy == "ingress-tls"] == [
        "Ingress/extra has no cert-manager issuer annotation (cert-manager.io/cluster-issuer "
        "or cert-manager.io/issuer)"]


_WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ci
spec:
  entrypoint: main
  templateDefaults:
    container:
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {cpu: 200m, memory: 128Mi}
  templates:
    - name: main
      steps:
        - - name: build
            template: build
    - name: build
      container:
        image: alpine:latest
        command: [sh]
    - name: from-argument
      inputs:
        parameters: [{name: image}, {name: cpu}]
      script:
        image: "{{inputs.parameters.image}}"
        source: echo
        resources:
          requests: {cpu: "{{inputs.parameters.cpu}}", memory: 64Mi}
          limits: {cpu: "{{inputs.parameters.cpu}}", memory: 64Mi}
    - name: pair
      containerSet:
        containers:
          - name: a
            image: busybox:1.36
            resources: {limits: {cpu: 100m, memory: 64Mi}}
          - name: b
            image: busybox
            resources: {limits: {cpu: 100m, memory: 64Mi}}
      sidecars:
        - name: db
          image: postgres:16.1
"""


def test_the_containers_an_argo_workflows_template_runs_are_checked(
        helm_bin: Path, tmp_path: Path) -> None:
    """A WorkflowTemplate's templates run pods of their container, script, container set and
    sidecars: each is checked as a workload's container, found at its own line, the
    template defaults' resources merged under a template's container, and a value the
    controller fills in from the template's arguments (``{{inputs.parameters.image}}``, an
    analysis' ``{{args.tag}}``) left alone."""

    report = _production_manifests(tmp_path, helm_bin, {
        "ci.yaml": _WORKFLOW,
        # an argument of an Argo Rollouts analysis, as well
        "analysis.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n"
            "  name: smoke\nspec:\n  args: [{name: tag}]\n  metrics:\n    - name: smoke\n"
            "      provider:\n        job:\n          spec:\n            template:\n"
            "              spec:\n                restartPolicy: Never\n"
            "                containers:\n                  - name: smoke\n"
            "                    image: curlimages/curl:{{args.tag}}\n"
            "                    resources: {limits: {cpu: 100m, memory: 64Mi}}\n")},
        name="ci-prod")
    found = [(f.policy, f.location, f.resource, f.message) for f in report.findings
             if f.policy in ("image-tag-pinned", "pull-policy", "resource-ranges")]
    assert found == [
        ("image-tag-pinned", "manifests/ci.yaml:19", "WorkflowTemplate/ci[build]",
         'container of template "build" in WorkflowTemplate/ci uses floating tag "latest"'),
        ("pull-policy", "manifests/ci.yaml:19", "WorkflowTemplate/ci[build]",
         'container of template "build" in WorkflowTemplate/ci has imagePullPolicy "Always" '
         '(the Kubernetes default for image "alpine:latest"); production requires '
         '"IfNotPresent"'),
        ("image-tag-pinned", "manifests/ci.yaml:37", "WorkflowTemplate/ci[pair/b]",
         'container "b" of template "pair" in WorkflowTemplate/ci uses image "busybox" without '
         'a tag (Kubernetes pulls "latest")'),
        ("pull-policy", "manifests/ci.yaml:37", "WorkflowTemplate/ci[pair/b]",
         'container "b" of template "pair" in WorkflowTemplate/ci has imagePullPolicy "Always" '
         '(the Kubernetes default for image "busybox"); production requires "IfNotPresent"'),
        ("resource-ranges", "manifests/ci.yaml:40", "WorkflowTemplate/ci[pair/db]",
         'sidecar "db" of template "pair" in WorkflowTemplate/ci: sets no cpu request, cpu '
         'limit, memory request or memory limit')]


_TEKTON = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: build
spec:
  params: [{name: image}]
  stepTemplate:
    imagePullPolicy: IfNotPresent
  steps:
    - name: clone
      image: alpine/git
    - name: push
      image: $(params.image)
  sidecars:
    - name: registry
      image: registry:2.8.3
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: ship
spec:
  tasks:
    - name: test
      taskSpec:
        steps:
          - name: run
            image: golang:latest
            imagePullPolicy: IfNotPresent
"""


def test_the_steps_a_tekton_task_runs_are_checked_for_their_images(
        helm_bin: Path, tmp_path: Path) -> None:
    """A Tekton Task's steps and sidecars, and those of a task a Pipeline embeds, run as
    containers: their images are checked as a workload's are (the step template's pull
    policy merged under each step, ``$(params.image)`` left alone); their resources are not,
    as Tekton sizes the pods it runs from the steps' itself."""

    report = _production_manifests(tmp_path, helm_bin, {
        "ci.yaml": _TEKTON}, name="ci-prod")
    found = [(f.policy, f.location, f.resource, f.message) for f in report.findings
             if f.policy in ("image-tag-pinned", "pull-policy", "resource-ranges")]
    assert found == [
        ("image-tag-pinned", "manifests/ci.yaml:11", "Task/build[clone]",
         'step "clone" in Task/build uses image "alpine/git" without a tag (Kubernetes pulls '
         '"latest")'),
        ("image-tag-pinned", "manifests/ci.yaml:28", "Pipeline/ship[test/run]",
         'step "run" of task "test" in Pipeline/ship uses floating tag "latest"')]


_PATCHED_WORKFLOWS = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: whole
spec:
  podSpecPatch: |
    containers:
      - name: main
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
  templates:
    - name: build
      container: {image: "alpine:3.20.0", imagePullPolicy: IfNotPresent}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: each
spec:
  templates:
    - name: from-json
      podSpecPatch: '{"containers": [{"name": "main", "resources": {"limits":
        {"cpu": "{{inputs.parameters.cpu}}", "memory": "64Mi"}}}]}'
      container: {image: "alpine:3.20.0", imagePullPolicy: IfNotPresent}
    - name: from-argument
      podSpecPatch: "{{inputs.parameters.patch}}"
      container: {image: "alpine:3.20.0", imagePullPolicy: IfNotPresent}
    - name: other-container
      podSpecPatch: |
        containers: [{name: wait, resources: {limits: {cpu: 100m, memory: 64Mi}}}]
      container: {image: "alpine:3.20.0", imagePullPolicy: IfNotPresent}
"""


def test_a_workflows_pod_spec_patch_sets_its_containers_resources(
        helm_bin: Path, tmp_path: Path) -> None:
    """Argo Workflows applies the workflow's and then the template's ``podSpecPatch`` to each
    pod (``ApplyPodSpecPatch``, a strategic merge; the template's container is ``main``):
    the resources a patch gives are the container's, a value from an argument is set but not
    checked, and a patch that is itself an argument may set anything. A patch of another
    container leaves ``main`` without resources."""

    report = _production_manifests(tmp_path, helm_bin, {
        "ci.yaml": _PATCHED_WORKFLOWS}, name="ci-prod")
    assert [(f.location, f.resource) for f in report.findings
            if f.policy == "resource-ranges"] == [
        ("manifests/ci.yaml:29", "WorkflowTemplate/each[other-container]")]


_SAME_NAMES = """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: pipe
spec:
  tasks:
    - name: build
      taskSpec:
        steps:
          - name: run
            image: golang:1.22.5
    - name: test
      taskSpec:
        steps:
          - name: run
            image: busybox:latest
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: two
spec:
  templates:
    - name: a
      container: {image: "alpine:3.20.0"}
      sidecars:
        - name: proxy
          image: envoy:1.31.0
    - name: b
      container: {image: "alpine:3.20.0"}
      sidecars:
        - name: proxy
          image: envoy:latest
"""


def test_a_step_or_sidecar_is_found_in_its_own_task_or_template(
        helm_bin: Path, tmp_path: Path) -> None:
    """Two tasks of a pipeline (two templates of a workflow) each have a step (a sidecar) of
    one name: each finding is at the entry of its own task (template), not at the first
    entry of that name in the document."""

    report = _production_manifests(tmp_path, helm_bin, {
        "ci.yaml": _SAME_NAMES}, name="ci-prod")
    assert [(f.location, f.resource) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("manifests/ci.yaml:16", "Pipeline/pipe[test/run]"),
        ("manifests/ci.yaml:33", "WorkflowTemplate/two[b/proxy]")]


def _named_deployment(name: str, namespace: str | None = None) -> str:
    """The head of a Deployment ``name`` (its pod spec's ``spec:`` last), in ``namespace``."""
    from synthetic import WEB_POD_SPEC

    head = WEB_POD_SPEC.replace("  name: web\n", f"  name: {name}\n" + (
        f"  namespace: {namespace}\n" if namespace else ""), 1)
    return head.replace("{app: web}", f"{{app: {name}}}")


def test_a_limit_range_of_the_render_sets_what_its_namespace_s_containers_leave_out(
        helm_bin: Path, tmp_path: Path) -> None:
    """A LimitRange's container defaults (``default``, ``defaultRequest``; ``max`` and ``min``
    where those are left out, as the API server defaults a LimitRange) are filled in by the
    LimitRanger admission plugin: a container of its namespace that leaves them out sets
    them; one of another namespace does not; a request above the limit it gives is refused
    by the API server, and so is a limit above its ``max`` or a request below its ``min``
    (LimitRanger's maxConstraint, minConstraint)."""

    limits = ("apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\nspec:\n"
              "  limits:\n    - type: Container\n      default: {cpu: 500m, memory: 256Mi}\n"
              "      defaultRequest: {cpu: 100m}\n"
              "    - type: Pod\n      max: {cpu: '2'}\n---\n"
              "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: caps\n"
              "  namespace: capped\nspec:\n  limits:\n"
              "    - {type: Container, max: {cpu: '1', memory: 1Gi}, min: {cpu: 50m}}\n")
    pod = ("        containers:\n          - name: web\n            image: nginx:1.27.0\n"
           "            imagePullPolicy: IfNotPresent\n")
    big = pod + "            resources: {requests: {cpu: '2'}}\n"

    def deployment(name: str, namespace: str | None) -> str:
        return _named_deployment(name, namespace)

    report = _production_manifests(tmp_path, helm_bin, {
        "limits.yaml": limits, "web.yaml": deployment("web", None) + pod,
        "big.yaml": deployment("big", None) + big,
        "capped.yaml": deployment("capped", "capped") + pod,
        "over.yaml": deployment("over", "capped") + pod + (
            "            resources: {limits: {cpu: '4', memory: 512Mi}, "
            "requests: {cpu: 10m, memory: 64Mi}}\n"),
        "other.yaml": deployment("other", "other") + pod})
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "resource-ranges"] == [
        ("manifests/big.yaml:14", 'container "web" in Deployment/big: cpu request "2" is '
         'above the limit "500m" LimitRange/defaults gives it; the API server refuses the '
         "pod"),
        ("manifests/other.yaml:12", 'container "web" in Deployment/other: sets no cpu '
         "request, cpu limit, memory request or memory limit"),
        ("manifests/over.yaml:15", 'container "web" in Deployment/over: cpu limit "4" is '
         'above the maximum "1" LimitRange/caps allows; the API server refuses the pod'),
        ("manifests/over.yaml:15", 'container "web" in Deployment/over: cpu request "10m" is '
         'below the minimum "50m" LimitRange/caps allows; the API server refuses the pod')]


def test_a_limit_range_s_max_limit_request_ratio_refuses_a_pod_over_it(
        helm_bin: Path, tmp_path: Path) -> None:
    """A LimitRange's ``maxLimitRequestRatio`` (LimitRanger's limitRequestRatioConstraint):
    a cpu limit 8 times its request is refused, and so is a container with no cpu request
    or limit at all; a limit alone (its request defaults to it) and a ratio of 2 pass."""

    ratio = ("apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: ratio\nspec:\n"
             "  limits:\n    - {type: Container, maxLimitRequestRatio: {cpu: '4'}}\n")
    pod = ("        containers:\n          - name: web\n            image: nginx:1.27.0\n"
           "            imagePullPolicy: IfNotPresent\n            resources:\n")

    def deployment(name: str, resources: str) -> str:
        return _named_deployment(name) + pod + resources

    memory = "memory: 64Mi"
    report = _production_manifests(tmp_path, helm_bin, {
        "ratio.yaml": ratio,
        "fine.yaml": deployment("fine", f"              requests: {{cpu: 500m, {memory}}}\n"
                                f"              limits: {{cpu: '1', {memory}}}\n"),
        "alone.yaml": deployment("alone", f"              limits: {{cpu: '2', {memory}}}\n"),
        "over.yaml": deployment("over", f"              requests: {{cpu: 250m, {memory}}}\n"
                                f"              limits: {{cpu: '2', {memory}}}\n"),
        "none.yaml": deployment("none", f"              requests: {{{memory}}}\n"
                                f"              limits: {{{memory}}}\n")})
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "resource-ranges"] == [
        ("manifests/none.yaml:14", 'container "web" in Deployment/none: cpu has no request '
         '(or it is 0), but the maxLimitRequestRatio "4" LimitRange/ratio sets for cpu needs '
         "both; the API server refuses the pod"),
        ("manifests/none.yaml:14", 'container "web" in Deployment/none: sets no cpu request '
         "or cpu limit"),
        ("manifests/over.yaml:16", 'container "web" in Deployment/over: cpu limit "2" is 8 '
         'times its request "250m", above the maxLimitRequestRatio "4" LimitRange/ratio sets '
         "for cpu; the API server refuses the pod")]


def _production_chart(tmp_path: Path, name: str, values: str, production: str,
                      templates: dict[str, str]) -> Path:
    """A repository of chart ``name`` (its ``values`` and ``templates``) that the production
    Application ``<name>-prod`` deploys with ``values-prod.yaml`` (``production``)."""
    from synthetic import application

    return write_files(tmp_path / "repo", {
        ".git/HEAD": "", f"apps/{name}.yaml": application(
            f"{name}-prod", name, f"{name}-prod",
            source_extra="    helm:\n      valueFiles: [values-prod.yaml]\n"),
        f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n",
        f"{name}/values.yaml": values, f"{name}/values-prod.yaml": production,
        **{f"{name}/templates/{file}": text for file, text in templates.items()}})


def test_an_operator_s_image_field_is_checked_where_it_is_written(
        helm_bin: Path, tmp_path: Path) -> None:
    """A CloudNativePG Cluster's ``spec.imageName`` from the production values file, and a
    Strimzi Kafka's component images written in its template: each floating one a finding
    at the line that writes it (they passed unchecked); a pinned one, and one left out (the
    operator's default), pass."""

    cluster = ("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n"
               "spec:\n  instances: 1\n  imageName: {{ .Values.postgres.image | quote }}\n"
               "---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n"
               "  name: defaulted\nspec:\n  instances: 1\n")
    kafka = ("apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\nmetadata:\n  name: bus\n"
             "spec:\n  kafka:\n    replicas: 1\n    image: quay.io/strimzi/kafka:0.45.0\n"
             "  zookeeper:\n    replicas: 1\n    image: quay.io/strimzi/kafka\n")
    repo = _production_chart(
        tmp_path, "db", "postgres:\n  image: ghcr.io/cloudnative-pg/postgresql:16.4\n",
        "postgres:\n  image: ghcr.io/cloudnative-pg/postgresql:latest\n",
        {"cluster.yaml": cluster, "kafka.yaml": kafka})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [(f.location, f.resource, f.message) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("db/templates/kafka.yaml:11", "Kafka/bus", "spec.zookeeper.image of Kafka/bus uses "
         'image "quay.io/strimzi/kafka" without a tag (Kubernetes pulls "latest")'),
        ("db/values-prod.yaml:2", "Cluster/db",
         'spec.imageName of Cluster/db uses floating tag "latest"')]


def test_a_value_read_through_a_with_scope_is_found_at_the_key_it_reads(
        helm_bin: Path, tmp_path: Path) -> None:
    """The container is written inside ``{{ with .Values.worker }}``: ``.image.tag`` is
    ``worker.image.tag`` (values.yaml:5), not the ``web.image.tag`` of the production file,
    which no template reads though the container is named web (editing that line changed
    nothing); a nested ``with .image`` is read alike."""

    template = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
                "  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
                "    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
                "        {{{{- with .Values.worker }}}}\n        - name: web\n{image}"
                "          imagePullPolicy: IfNotPresent\n        {{{{- end }}}}\n")
    flat = '          image: "{{ .image.repository }}:{{ .image.tag }}"\n'
    nested = ('          {{- with .image }}\n'
              '          image: "{{ .repository }}:{{ .tag }}"\n          {{- end }}\n')
    repo = _production_chart(
        tmp_path, "w", "worker:\n  image:\n    repository: acme/web\n    tag: latest\n"
        "web:\n  image:\n    repository: acme/web\n    tag: '1.0'\n",
        "web:\n  image:\n    tag: latest\n",
        {"flat.yaml": template.format(name="flat", image=flat),
         "nested.yaml": template.format(name="nested", image=nested)})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [(f.location, f.resource, f.also) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("w/values.yaml:4", "Deployment/flat[web]", ("Deployment/nested[web]",))]


def test_an_operator_image_in_flow_style_is_at_its_own_document_s_line(
        helm_bin: Path, tmp_path: Path) -> None:
    """``pxc: {size: 3, image: ...:latest}``: the finding is at that line, not at the
    ``image:`` of a Deployment in the file's next document (the walk for the key ran on
    past the document's end)."""
    report = _production_manifests(tmp_path, helm_bin, {"crs.yaml": (
        "apiVersion: pxc.percona.com/v1\nkind: PerconaXtraDBCluster\nmetadata: {name: pxc}\n"
        "spec:\n  pxc: {size: 3, image: percona/percona-xtradb-cluster:latest}\n---\n"
        + _named_deployment("web") + "      containers:\n        - name: web\n"
        "          image: nginx:1.27.0\n")})
    assert [f.location for f in report.findings if f.policy == "image-tag-pinned"] == [
        "manifests/crs.yaml:5"]


def test_a_with_block_s_else_branch_reads_the_outer_dot(helm_bin: Path, tmp_path: Path) -> None:
    """``{{ with .Values.worker }} ... {{ else }}``: the else branch's ``.Values.web`` is the
    root's (``web.image.tag``, values-prod.yaml:3), not a key below ``worker``."""

    template = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n"
                "  selector: {matchLabels: {app: w}}\n  template:\n"
                "    metadata: {labels: {app: w}}\n    spec:\n      containers:\n"
                "        - name: web\n"
                "          {{- with .Values.worker }}\n          imagePullPolicy: {{ .pull }}\n"
                "          {{- else }}\n"
                '          image: "acme/web:{{ .Values.web.image.tag }}"\n'
                "          imagePullPolicy: IfNotPresent\n          {{- end }}\n")
    repo = _production_chart(
        tmp_path, "w", "worker: null\nweb:\n  image:\n    tag: '1.0'\nother:\n  tag: latest\n",
        "web:\n  image:\n    tag: latest\n", {"d.yaml": template})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if f.policy == "image-tag-pinned"] == [
        "w/values-prod.yaml:3"]


def test_an_image_the_template_defaults_give_is_found_where_they_write_it(
        helm_bin: Path, tmp_path: Path) -> None:
    """A step's image written only in its Task's ``stepTemplate`` (a template's only in the
    workflow's ``templateDefaults``) is found at that line, not at the step's entry, which
    writes none."""
    task = ("apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: t\nspec:\n"
            "  stepTemplate:\n    image: alpine:latest\n  steps:\n    - name: one\n"
            "      script: echo\n")
    workflow = ("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n"
                "  name: w\nspec:\n  templateDefaults:\n    container:\n"
                "      image: busybox:latest\n  templates:\n    - name: main\n"
                "      container: {command: [sh]}\n")
    report = _production_manifests(tmp_path, helm_bin, {"task.yaml": task,
                                                        "workflow.yaml": workflow})
    assert [(f.policy, f.location) for f in report.findings
            if f.policy in ("image-tag-pinned", "pull-policy")] == [
        ("image-tag-pinned", "manifests/task.yaml:7"), ("pull-policy", "manifests/task.yaml:7"),
        ("image-tag-pinned", "manifests/workflow.yaml:8"),
        ("pull-policy", "manifests/workflow.yaml:8")]


_CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web
spec:
  secretName: {secret}
  dnsNames: [web.example.com]
  issuerRef:
    kind: ClusterIssuer
    name: {issuer}
"""
_UNANNOTATED_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  tls:
    - hosts: [web.example.com]
      secretName: web-tls
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
"""


@pytest.mark.parametrize("secret, issuer, expected", [
    ("web-tls", "letsencrypt-prod", []),
    ("web-tls", "letsencrypt-staging", [
        ("manifests/certificate.yaml:10", 'Ingress/web has its certificate from Certificate/web, '
         'of issuer "letsencrypt-staging"; production allows "letsencrypt-prod"')]),
    ("other-tls", "letsencrypt-prod", [
        ("manifests/ingress.yaml:3", "Ingress/web has no cert-manager issuer annotation "
         "(cert-manager.io/cluster-issuer or cert-manager.io/issuer)")]),
], ids=["its-secret", "its-secret-of-a-staging-issuer", "another-secret"])
def test_an_ingress_whose_secret_a_certificate_issues_needs_no_issuer_annotation(
        tmp_path: Path, helm_bin: Path, secret: str, issuer: str,
        expected: list[tuple[str, str]]) -> None:
    """cert-manager's Certificate written out (a wildcard, a certificate several Ingresses
    share): the Ingress names its secret and no issuer; an annotation would make
    ingress-shim write a second Certificate of that secret. Its issuer is the Certificate's
    ``issuerRef``."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/app.yaml": application("web-prod", "manifests", "web-prod"),
        "policies/platecheck.yaml": "policies:\n  ingress-tls:\n    options:\n"
                                    "      productionIssuers: [letsencrypt-prod]\n",
        "manifests/certificate.yaml": _CERTIFICATE.format(secret=secret, issuer=issuer),
        "manifests/ingress.yaml": _UNANNOTATED_INGRESS})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "ingress-tls"] == expected


@pytest.mark.parametrize("cluster, namespace, passes", [
    ("https://kubernetes.default.svc", "web-prod", True),
    ("https://kubernetes.default.svc", "certs", False),  # another namespace's secret
    ("https://other.example.com", "web-prod", False),  # another cluster's
], ids=["same-namespace", "other-namespace", "other-cluster"])
def test_a_certificate_another_application_deploys_beside_the_ingress_issues_its_secret(
        tmp_path: Path, helm_bin: Path, cluster: str, namespace: str, passes: bool) -> None:
    """A shared wildcard certificate deployed by an Application of its own (``certs``) into
    the namespace and cluster of the Ingress of another: the secret is issued, so the
    Ingress needs no issuer annotation (one would make ingress-shim write a second
    Certificate of that secret). In another namespace or cluster it issues nothing there."""
    from synthetic import application

    certs = application("certs-prod", "certs", namespace).replace(
        "https://kubernetes.default.svc", cluster)
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "manifests", "web-prod"),
        "apps/certs.yaml": certs,
        "certs/certificate.yaml": _CERTIFICATE.format(secret="web-tls",
                                                      issuer="letsencrypt-prod"),
        "manifests/ingress.yaml": _UNANNOTATED_INGRESS})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [(f.location, f.policy) for f in report.findings if f.policy == "ingress-tls"] == (
        [] if passes else [("manifests/ingress.yaml:3", "ingress-tls")])


_ALB_CLASS = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: internal-alb
  annotations: {annotations}
spec:
  controller: ingress.k8s.aws/alb
"""
_ALB_INGRESS = _UNANNOTATED_INGRESS.replace(
    "metadata:\n  name: web\n", "metadata:\n  name: web\n  annotations:\n"
    "    alb.ingress.kubernetes.io/listen-ports: '[{\"HTTPS\": 443}]'\n", 1)


@pytest.mark.parametrize("named, default, beside, passes", [
    (True, False, True, True),  # the controller's Application deploys the class
    (False, True, False, True),  # the default class, the Ingress naming none
    (False, True, True, True),
    (False, False, False, False),  # no class known: cert-manager's rules
], ids=["named-beside", "default-here", "default-beside", "no-class"])
def test_an_alb_ingress_of_a_class_another_application_deploys_needs_no_tls_entry(
        tmp_path: Path, helm_bin: Path, named: bool, default: bool, beside: bool,
        passes: bool) -> None:
    """An Ingress of the AWS Load Balancer Controller's class listening on HTTPS gets its
    certificates from ACM: the class deployed by the controller's Application (not the
    Ingress's), or the cluster's default class an Ingress naming none is given, is known
    as the ALB's (both were judged by cert-manager's rules)."""
    from synthetic import application

    ingress = _ALB_INGRESS.replace("spec:\n", "spec:\n  ingressClassName: internal-alb\n", 1) \
        if named else _ALB_INGRESS
    alb = _ALB_CLASS.format(annotations="{ingressclass.kubernetes.io/is-default-class: 'true'}"
                            if default else "{}")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "manifests", "web-prod"),
        "apps/alb.yaml": application("alb-prod", "alb", "alb-prod"),
        "alb/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alb\n",
        "alb/class.yaml" if beside else "manifests/class.yaml": alb,
        "manifests/ingress.yaml": ingress})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert ([f.message for f in report.findings if f.policy == "ingress-tls"] == []) is passes


_REF_VALUES_APP = ref_values_application(
    "web-prod", "web", "$cfg/envs/prod/values.yaml",
    "https://gitlab.example.com/team/web-config.git")


@pytest.mark.parametrize("remote, hint", [
    (None, True), ("https://gitlab.example.com/team/web-config.git", False)],
    ids=["no-remote", "remote-of-the-ref"])
def test_a_missing_ref_value_file_may_be_another_repository_s(
        tmp_path: Path, remote: str | None, hint: bool) -> None:
    """With no remote saying which repoURLs are this repository, every one is: a value file
    read through a ref of another repository is then said missing here, and the remedy says
    how to tell platecheck it is another repository's, as for a source path."""
    repo = write_files(tmp_path / "repo", {"apps/web.yaml": _REF_VALUES_APP})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    if remote is not None:
        subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", remote], check=True)
    report = lint(repo, cache_dir=tmp_path / "cache")
    [finding] = [f for f in report.findings if f.policy == "argocd-application"
                 and "value file" in f.message]
    assert (finding.location, finding.message.endswith("does not exist")) == (
        "apps/web.yaml:11", True)
    assert ("https://gitlab.example.com/team/web-config.git is another repository, list this "
            "repository's URLs in argocd-application's repoUrls" in finding.remediation) is hint


def test_a_manifest_of_a_byte_that_is_no_utf8_is_read_as_argo_cd_reads_it(
        tmp_path: Path) -> None:
    """Argo CD reads a directory's files with a UTF-8 decoder that makes a byte that is no
    UTF-8 U+FFFD (utfutil), so it deploys them: a Latin-1 comment or value in a manifest,
    or in an Application an app-of-apps' directory holds, is no could-not-check error (it
    was, and the child went unchecked); yaml-hygiene says so of the Application file."""
    from synthetic import POD, application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "boot/root.yaml": application("root", "apps", "argocd")})
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_bytes(
        b"# caf\xe9\n" + application("web-prod", "web", "web-prod").encode())
    (repo / "web").mkdir()
    (repo / "web" / "pod.yaml").write_bytes(POD.replace(
        "  name: p\n", "  name: p\n  annotations: {owner: caf\xe9}\n").encode("latin-1"))
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location) for f in report.findings
            if f.policy in ("image-tag-pinned", "yaml-hygiene")] == [
        ("yaml-hygiene", "apps/web.yaml:1"), ("image-tag-pinned", "web/pod.yaml:9")]
    [rendered] = [r for r in load(repo, cache_dir=tmp_path / "cache").rendered
                  if r.id == "prod/web"]
    assert rendered.resources[0].doc["metadata"]["annotations"] == {"owner": "caf\ufffd"}


@pytest.mark.parametrize("text", ["nginx:latest\n", "nginx:latest"], ids=["line-end", "none"])
def test_a_file_parameter_s_value_is_found_at_its_entry(
        tmp_path: Path, helm_bin: Path, text: str) -> None:
    """helm gives a --set-file value the file's text, its line end too, which the template
    renders into an image without it: the finding is at the fileParameters entry, line end
    or not (with one, it fell back to the template's line)."""
    from synthetic import application

    deploy = WEB_POD_SPEC + ("      containers:\n        - name: web\n"
                             "          image: {{ .Values.image }}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "shared/image.txt": text,
        "apps/web.yaml": application("web-prod", "chart", "web-prod", source_extra=(
            "    helm:\n      fileParameters:\n        - name: image\n"
            "          path: ../shared/image.txt\n")),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/deploy.yaml": deploy})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.location for f in report.findings if f.policy == "image-tag-pinned"] == [
        "apps/web.yaml:13"]


def test_a_document_sops_encrypted_whole_is_said_so(tmp_path: Path, helm_bin: Path) -> None:
    """A manifest encrypted with sops, apiVersion and kind too, deployed as a plain
    directory: unknown-kind says it is encrypted (its message named the ENC[...] strings as
    a kind and a schema file)."""
    report = _production_manifests(tmp_path, helm_bin, {"secret.yaml": (
        "apiVersion: ENC[AES256_GCM,data:Ig==,iv:abc=,tag:def=,type:str]\n"
        "kind: ENC[AES256_GCM,data:U2VjcmV0,iv:abc=,tag:def=,type:str]\n"
        "metadata:\n  name: ENC[AES256_GCM,data:eA==,iv:abc=,tag:def=,type:str]\n"
        "sops:\n  version: 3.8.1\n")})
    [finding] = [f for f in report.findings if f.policy == "unknown-kind"]
    assert (finding.location, finding.resource) == ("manifests/secret.yaml:2", None)
    assert finding.message.startswith("a document encrypted with sops")


def test_a_source_without_a_repo_url_is_no_source_of_this_repository(tmp_path: Path) -> None:
    """With no remote saying which repoURLs are this repository, every Git source is: but a
    source with no repoURL is none (Argo CD refuses it), so its path is not looked for here:
    not rendered, not a path that does not exist (a could-not-check error, exit 2)."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/child.yaml": application("child", "consolelink", "child").replace(
            "    repoURL: https://git.example.com/repo.git\n", "")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    # (one finding: not-rendered's says there is no repoURL, the schema's is not repeated)
    assert sorted(f.policy for f in report.findings
                  if f.policy in ("argocd-application", "not-rendered")) == ["not-rendered"]


@pytest.mark.parametrize("child_namespace, destination, project, found", [
    ("", "apps", "", True),  # created in apps, where Argo CD reconciles nothing
    ("  namespace: argocd\n", "apps", "", False),
    ("", "argocd", "", False),
    ("", "team-argocd", "", False),  # another instance's namespace, by its name
    ("", "apps", "  sourceNamespaces: [apps]\n", False),  # apps in any namespace
    # Argo CD's MatchStringInList (REGEXP): a /regular expression/, or gobwas's {a,b}
    ("", "apps", "  sourceNamespaces: ['/^ap+s$/']\n", False),
    ("", "apps", "  sourceNamespaces: ['{team,apps}']\n", False),
    ("", "apps", "  sourceNamespaces: ['/^app$/', '{team,ap}']\n", True),
    ("", "apps", "argocd-cm", False),  # the repository installs Argo CD in apps
], ids=["inherited", "written", "argocd", "an-instance-s", "source-namespaces",
        "a-regular-expression", "alternatives", "neither-matches", "argo-cd-installed-there"])
def test_a_child_application_that_names_no_namespace_lands_in_its_parent_s_destination(
        tmp_path: Path, child_namespace: str, destination: str, project: str,
        found: bool) -> None:
    """Argo CD gives an object that names no namespace its Application's destination
    namespace: a child Application there is never reconciled unless that is Argo CD's
    namespace, or one the child's project lists in sourceNamespaces (it passed)."""
    from synthetic import application

    child = application("child", "web", "web").replace("  namespace: argocd\n",
                                                       child_namespace)
    projects = {"projects/default.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: default\n"
        f"  namespace: argocd\nspec:\n{project}")} if project.startswith(" ") else {}
    if project == "argocd-cm":  # an Application of the root's installing Argo CD there
        projects = {"apps/argo-cd.yaml": application("argo-cd", "install", destination),
                    "install/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                       "  name: argocd-cm\n"}
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "boot/root.yaml": application("root", "apps", destination),
        "apps/child.yaml": child, **projects,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "argocd-application"
            and "names no namespace" in f.message] == (["apps/child.yaml:3"] if found else [])


_READ_THROUGH = """\
{{{{- {assign} -}}}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {container}
          image: nginx:1.27.1
          imagePullPolicy: IfNotPresent
          resources:
            {{{{- toYaml {read}.resources | nindent 12 }}}}
"""


@pytest.mark.parametrize(("assign", "read"), [
    ("$k := $.Values", "$k.{name}"), ("$k := .Values.{name}", "$k"),
    ("$k := .Values", ".Values.{name}")],
    ids=["root", "a-key", "not-used"])
def test_values_a_template_reads_through_a_variable_are_at_their_own_key(
        tmp_path: Path, helm_bin: Path, assign: str, read: str) -> None:
    """Two keys holding the same resources, read through a variable given a values chain
    (``$k := $.Values``, bedag's vcluster): each container's finding is at its own key's
    line, not both at the first block of that text."""
    block = "  resources:\n    requests:\n      cpu: 100m\n      memory: 128Mi\n"
    files = {"charts/pair/Chart.yaml": "apiVersion: v2\nname: pair\nversion: 0.1.0\n",
             "charts/pair/values.yaml": f"frontend:\n{block}backend:\n{block}"}
    for name, container in (("frontend", "web"), ("backend", "api")):
        files[f"charts/pair/templates/{name}.yaml"] = _READ_THROUGH.format(
            assign=assign.format(name=name), read=read.format(name=name), name=name,
            container=container)
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache",
                  helm=helm_bin, environments="prod")
    assert sorted((f.location, f.resource) for f in report.findings
                  if f.policy == "resource-ranges") == [
        ("charts/pair/values.yaml:2", "Deployment/frontend[web]"),
        ("charts/pair/values.yaml:7", "Deployment/backend[api]")]


_IMAGE_HELPER = """\
{{- define "image" -}}
{{- printf "%s/%s:%s" .registry .repository (.tag | toString) -}}
{{- end -}}
"""
_TWO_INIT = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      initContainers:
        - name: sysctl
          image: {{ include "image" .Values.sysctl.image }}
        - name: volume-permissions
          image: {{ include "image" .Values.volumePermissions.image }}
      containers:
        - name: db
          image: {{ include "image" .Values.image }}
"""
_TWO_INIT_VALUES = """\
image: {registry: docker.io, repository: db, tag: 7.2.4}
sysctl:
  image:
    registry: docker.io
    repository: os-shell
    tag: latest
volumePermissions:
  image:
    registry: docker.io
    repository: os-shell
    tag: latest
"""


def test_equal_tags_of_two_containers_are_each_at_the_key_named_like_its_container(
        tmp_path: Path, helm_bin: Path) -> None:
    """Two init containers whose images a helper writes from keys of one value
    (``sysctl.image.tag``, ``volumePermissions.image.tag``: bitnami's charts): each finding
    is at the key named like its container, ``volume-permissions`` reading as
    ``volumePermissions`` (both were at the first key, one finding saying one edit fixed
    both)."""
    from synthetic import application

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/db.yaml": application("db-prod", "db", "db-prod"),
        "db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 0.1.0\n",
        "db/values.yaml": _TWO_INIT_VALUES, "db/templates/_helpers.tpl": _IMAGE_HELPER,
        "db/templates/sts.yaml": _TWO_INIT})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [(f.location, f.message.split(" in ")[0]) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("db/values.yaml:6", 'init container "sysctl"'),
        ("db/values.yaml:11", 'init container "volume-permissions"')]
