"""Every Application of the source fixtures (tests/fixtures/sources/<case>) is checked, with
the exact findings each case expects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from platecheck import submodules
from platecheck.engine import lint, load
from platecheck.errors import PlatecheckError
from platecheck.manifests import read_manifests
from platecheck.model import Level, Origin, Report
from platecheck.report.common import count, summary_line
from synthetic import (
    CHART_C,
    CM,
    ORIGIN,
    POD,
    WEB_POD_SPEC,
    application,
    application_set,
    repository,
    write_files,
)

pytestmark = pytest.mark.usefixtures("helm_bin")

SOURCES = Path(__file__).parent / "fixtures" / "sources"


def _findings(report: Report) -> list[tuple[str, str, str | None, str]]:
    return [(f.location, f.policy, f.target, f.message) for f in report.findings]


def test_unclassified_application_is_rendered_and_checked(tmp_path: Path) -> None:
    report = lint(SOURCES / "unclassified", cache_dir=tmp_path)
    assert report.errors == ()
    assert [(t.id, t.unclassified, t.production) for t in report.targets] == [
        ("default/cache", True, False)]
    assert _findings(report) == [
        ("charts/cache/templates/deployment.yaml:21", "resource-ranges", "default/cache",
         'container "redis" in Deployment/cache: sets no cpu request or cpu limit')]
    assert report.exit_code == 1
    assert summary_line(count(report)).startswith(
        "1 error, 0 warnings, 0 waived in 1 target, 1 unclassified Application (")


def test_require_environment_keeps_an_unclassified_application_an_error(
        tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "unclassified", repo)
    with (repo / "policies" / "platecheck.yaml").open("a") as config:
        config.write("requireEnvironment: true\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.exit_code == 2
    assert report.targets == ()
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/cache.yaml:1", "Application 'cache' matches no configured environment (prod, "
         "stg) and requireEnvironment is set; label it, or add a match rule in "
         "policies/platecheck.yaml")]


def test_directory_source_as_argo_cd_applies_it(tmp_path: Path) -> None:
    report_ = lint(SOURCES / "directory", cache_dir=tmp_path)
    assert report_.errors == ()
    assert _findings(report_) == [
        ("manifests/plain/deployment.yaml:17", "image-tag-pinned", "prod/plain",
         'container "web" in Deployment/plain uses floating tag "latest"'),
        # the tag a tla gives: at the tla's value in the Application
        ("apps/web.yaml:15", "image-tag-pinned", "prod/web",
         'container "web" in Deployment/web uses floating tag "latest"'),
    ]
    assert report_.renders == 0  # nothing for helm to do


def test_an_absolute_source_path_renders_nothing(tmp_path: Path) -> None:
    """Argo CD refuses an absolute source path (util/app/path ``Path``: "app path is
    absolute") and renders nothing of the source: a could-not-check error at its line, as
    for a path out of the repository, and nothing of the directory checked."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    plain = repo / "apps" / "plain.yaml"
    plain.write_text(plain.read_text().replace("path: manifests/plain", "path: /manifests/plain"))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy, e.message) for e in report_.errors] == [
        ("apps/plain.yaml:10", "could-not-check", "source path '/manifests/plain' is absolute; "
         "Argo CD paths are relative to the repository")]
    assert [f for f in _findings(report_) if f[2] == "prod/plain"] == []


def _hydrated_plain(dry: str = "", sync: str = "") -> str:
    """The plain-prod Application as a source hydrator's, ``dry`` and ``sync`` more lines of
    its dry and sync sources."""
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            "  name: plain-prod\n  namespace: argocd\nspec:\n  project: default\n"
            "  sourceHydrator:\n    drySource:\n"
            "      repoURL: https://git.example.com/platform.git\n"
            f"      targetRevision: HEAD\n      path: manifests/plain\n{dry}"
            f"    syncSource:\n      targetBranch: env/prod\n      path: prod\n{sync}"
            "  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: plain-prod\n")


def test_a_source_hydrator_application_is_its_dry_source(tmp_path: Path) -> None:
    """Argo CD's hydrator renders ``sourceHydrator.drySource`` and the Application syncs what
    it committed: the dry source is rendered and checked, findings at its lines."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "plain.yaml").write_text(_hydrated_plain())
    (repo / "apps" / "web.yaml").unlink()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert _findings(report_) == [
        ("manifests/plain/deployment.yaml:17", "image-tag-pinned", "prod/plain",
         'container "web" in Deployment/plain uses floating tag "latest"')]


# (the schema's refusal, in the words of the JSON schema library, which are not compared)
_SCHEMA_SAYS = "spec.sourceHydrator.syncSource.path: "


@pytest.mark.parametrize(("path", "message"), [
    ("'.'", _SCHEMA_SAYS), ("/", _SCHEMA_SAYS),
    ("./", "source hydrator hydrates to the repository root (path './'): Argo CD's hydrator "
           "refuses it, so the Application is never hydrated nor synced"),
    ("prod", None),
], ids=["dot", "slash", "dot-slash", "a-directory"])
def test_a_source_hydrator_of_the_repository_root_is_refused(
        tmp_path: Path, path: str, message: str | None) -> None:
    """The Application CRD refuses a sync source path of ``.`` or ``/`` (its pattern), and
    Argo CD's hydrator one that cleans to the root (``./``, ``validateApplications``): one
    argocd-application error at the path, never hydrated."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "plain.yaml").write_text(
        _hydrated_plain().replace("      path: prod\n", f"      path: {path}\n"))
    (repo / "apps" / "web.yaml").unlink()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    found = [(f.location, f.message.removeprefix("Application plain-prod: "))
             for f in report_.findings if f.policy == "argocd-application"]
    assert [(at, _SCHEMA_SAYS if said.startswith(_SCHEMA_SAYS) else said)
            for at, said in found] == ([] if message is None else [
                ("apps/plain.yaml:15", message)])


@pytest.mark.parametrize(("other", "refused"), [
    ("", True), ("      repoURL: https://git.example.com/rendered.git\n", False)],
    ids=["one-place", "another-repository"])
def test_two_source_hydrators_of_one_place_are_both_refused(
        tmp_path: Path, other: str, refused: bool) -> None:
    """Two Applications of one dry source hydrating to one branch and path: Argo CD's
    hydrator refuses both ("uses the same destination"); to another repository, neither."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "plain.yaml").write_text(_hydrated_plain())
    (repo / "apps" / "web.yaml").write_text(_hydrated_plain(sync=other).replace(
        "name: plain-prod", "name: twin-prod"))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    found = sorted((f.location, f.message.split(":")[0]) for f in report_.findings
                   if "same place" in f.message or "hydrates to the place" in f.message)
    assert found == ([("apps/plain.yaml:15", "Application plain-prod"),
                      ("apps/web.yaml:15", "Application twin-prod")] if refused else [])


@pytest.mark.parametrize("own", [
    "  source:\n    repoURL: https://git.example.com/platform.git\n    path: manifests/web\n",
    "  sources:\n  - repoURL: https://git.example.com/platform.git\n    path: manifests/web\n",
], ids=["source", "sources"])
def test_a_source_hydrator_application_renders_no_source_of_its_own(
        tmp_path: Path, own: str) -> None:
    """While ``sourceHydrator`` is set Argo CD reads neither ``spec.source`` nor
    ``spec.sources`` (``GetSource``/``GetSources`` return the sync source): the dry source is
    what is rendered and checked, not the source written beside it."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "plain.yaml").write_text(
        _hydrated_plain().replace("  sourceHydrator:\n", own + "  sourceHydrator:\n"))
    (repo / "apps" / "web.yaml").unlink()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(t.id, t.source_dir) for t in report_.targets] == [
        ("prod/plain", repo / "manifests" / "plain")]
    assert _findings(report_) == [
        ("manifests/plain/deployment.yaml:17", "image-tag-pinned", "prod/plain",
         'container "web" in Deployment/plain uses floating tag "latest"')]


@pytest.mark.parametrize(("directory", "unknown"), [
    ("{recurse: true, disableExtensionFilter: false}", []),
    ("{recurze: true}", [14]),  # still closed where Argo CD's schema is
])
def test_the_fields_of_newer_argo_cd_sources_are_known(
        tmp_path: Path, directory: str, unknown: list[int]) -> None:
    """A dry source takes a source's ``directory``, ``helm``, ``kustomize`` and ``plugin``; a
    sync source its ``repoURL``; a source a ``tagPrefix`` (Argo CD's CRD): none is an unknown
    field of the Application schema."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "plain.yaml").write_text(_hydrated_plain(
        f"      # the directory options\n      directory: {directory}\n",
        "      repoURL: https://git.example.com/hydrated.git\n"))
    web = repo / "apps" / "web.yaml"
    web.write_text(web.read_text().replace("    path: manifests/web\n",
                                           "    path: manifests/web\n    tagPrefix: web/\n"))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.file, f.line) for f in report_.findings
            if f.policy == "argocd-application"] == [("apps/plain.yaml", n) for n in unknown]


_TEMPLATED = ("apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: default\n"
              "  annotations:\n<#if mail>\n    a: b\n</#if>\nspec: {{}}\n")


@pytest.mark.parametrize(("kind", "named", "reported"), [
    ("AppProject", False, False),  # another tool's template of no Application
    ("Application", False, True),  # an Application that does not parse
    ("ApplicationSet", False, True),
    ("AppProject", True, True),  # a file given by name is read whatever it holds
])
def test_a_file_that_is_no_yaml_is_reported_where_it_may_be_an_application(
        tmp_path: Path, kind: str, named: bool, reported: bool) -> None:
    """A file the walk finds that mentions argoproj.io but does not parse (a FreeMarker
    template, say) is a could-not-check error when it declares an Application kind: it may
    be one that Argo CD cannot read; else it is some other tool's file."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    template = repo / "apps" / "project.ftl.yaml"
    template.write_text(_TEMPLATED.format(kind=kind))
    report_ = lint([repo / "apps", template] if named else repo / "apps",
                   cache_dir=tmp_path / "cache")
    errors = [(e.file, e.line) for e in report_.errors]
    assert errors == ([("apps/project.ftl.yaml", 7)] if reported else [])


def test_a_helm_template_of_no_chart_that_does_not_parse_says_what_it_is(
        tmp_path: Path) -> None:
    """A Helm template of an Application kept outside any chart (a test fixture) does not
    parse: a could-not-check error whose remedy says it is a template and how to leave it
    out, not "fix this"."""
    from platecheck.discover import TEMPLATE_REMEDY

    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    write_files(repo, {"fixtures/templates/web.yaml": (
        "{{- if .Values.web.enabled -}}\napiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: web\n{{- end }}\n")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.remediation) for e in report_.errors] == [
        ("fixtures/templates/web.yaml:1", TEMPLATE_REMEDY)]


@pytest.mark.parametrize(("text", "target"), [
    ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: saved\n", None),
    (application("web-stg", "manifests/plain", "web-stg"), "stg/web"),
], ids=["saved-output", "application"])
def test_a_utf16_file_with_a_byte_order_mark_is_read_as_argo_cd_reads_it(
        tmp_path: Path, text: str, target: str | None) -> None:
    """A UTF-16 file beside the Applications (a saved ``helm template`` output, PowerShell's
    ``>``) is read as Argo CD's reader (utfutil's BOM override) and go-yaml read it: one that
    is no Application is nothing, one that is an Application is checked."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "notes.yml").write_bytes(text.encode("utf-16"))
    report_ = lint(repo / "apps", cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert (target in {t.id for t in report_.targets}) is (target is not None)


def test_a_nul_character_in_an_application_is_could_not_check_at_its_line(
        tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    plain = repo / "apps" / "plain.yaml"
    plain.write_text(plain.read_text().replace("path: manifests/plain",
                                               'path: "manifests/plain\\0"'))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.location, e.message) for e in report_.errors] == [
        ("apps/plain.yaml:10", "spec.source.path holds a NUL character, which no path or "
         "argument can hold")]


@pytest.mark.parametrize(("kind", "meant"), [("Aplication", "Application"),
                                          ("ApplicationSett", "ApplicationSet"),
                                          ("APPLICATION", "Application"),
                                          ("applicationset", "ApplicationSet"),
                                          ("Rollout", None), ("Applesauce", None)])
def test_a_misspelt_application_kind_is_no_silent_pass(tmp_path: Path, kind: str,
                                                      meant: str | None) -> None:
    """An argoproj.io document whose kind is a misspelling of Application: Argo CD cannot
    apply it, so its Application would otherwise go unchecked without a word."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    plain = repo / "apps" / "plain.yaml"
    plain.write_text(plain.read_text().replace("kind: Application", f"kind: {kind}"))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    misspelt = [e for e in report_.errors if e.location == "apps/plain.yaml:1"]
    if meant is None:
        assert misspelt == []
    else:
        [error] = misspelt
        assert report_.exit_code == 2
        assert error.message.startswith(
            f"argoproj.io/v1alpha1 has no kind {kind!r}: did you mean {meant}?")


_OTHER = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  labels:\n"
          "    bad label: x\n")


@pytest.mark.parametrize("value", [".inf", "-.Inf", ".nan"])
def test_an_application_holding_infinity_or_nan_is_could_not_check_at_its_line(
        tmp_path: Path, value: str) -> None:
    """Kubernetes turns YAML into JSON, which has no infinity nor NaN: kubectl and Argo CD
    refuse such an Application ("json: unsupported value: +Inf"); platecheck rendered it with
    a value nobody wrote ("Infinity")."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    plain = repo / "apps" / "plain.yaml"
    plain.write_text(plain.read_text().replace(
        "  name: plain-prod\n", f"  name: plain-prod\n  annotations:\n    ratio: {value}\n"))
    report_ = lint(repo / "apps" / "plain.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    shown = {".inf": "+Inf", "-.Inf": "-Inf", ".nan": "NaN"}[value]
    assert [(e.location, e.message) for e in report_.errors] == [
        ("apps/plain.yaml:6", f"invalid YAML: a value is {shown} (.inf or .nan), which JSON "
         "cannot hold: kubectl and Argo CD refuse the document (json: unsupported value: "
         f"{shown}); quote it if it is text")]


@pytest.mark.parametrize(("broken", "line"), [("  bad: [unclosed\n", 15),
                                             ("  bad: *nowhere\n", 14)])
def test_an_application_file_that_does_not_parse_is_no_chart_mode(tmp_path: Path,
                                                                  broken: str,
                                                                  line: int) -> None:
    """An Application file that is no YAML is an Application nothing is known of, not a
    repository without Applications: its chart is not linted in chart mode (release "web" in
    namespace "default", which no Application makes)."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/values.yaml": "replicas: 1\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\n",
        "apps/web.yaml": application("web-prod", "charts/web", "web-prod") + broken})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert report_.targets == ()
    assert [e.location for e in report_.errors] == [f"apps/web.yaml:{line}"]
    # beside an Application that is read, the chart is not one no Application deploys: the
    # file that could not be read may deploy it
    write_files(repo, {"apps/other.yaml": application("other", "charts/other", "other"),
                       "charts/other/Chart.yaml": "apiVersion: v2\nname: other\n"
                                                  "version: 0.1.0\n"})
    assert [f.policy for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy.startswith("undeployed")] == []


def test_a_template_of_applications_outside_a_chart_is_no_unreadable_application(
        tmp_path: Path) -> None:
    """A chart's template reached through a symbolic link (its own directory holds no
    Chart.yaml) may write Applications and not read as YAML: it is a template, not an
    Application file nothing is known of, so the repository's charts are still linted."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\n",
        "shared/apps.yaml": "{{- range .Values.apps }}\n---\n"
                            "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
                            "metadata:\n  name: {{ . }}\n{{- end }}\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets) == ["prod/web", "stg/web"]
    # nor is Argo CD's install manifest, whose CRDs name its kinds, when it does not read
    (repo / "shared" / "apps.yaml").unlink()
    write_files(repo, {"install/argocd.yaml": "  - broken\napiVersion: v1\nitems:\n"
                       "- apiVersion: apiextensions.k8s.io/v1\n  kind: CustomResourceDefinition\n"
                       "  spec:\n    group: argoproj.io\n    names: {kind: Application}\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.location for e in report_.errors] == ["install/argocd.yaml:2"]
    assert sorted(t.id for t in report_.targets) == ["prod/web", "stg/web"]


def test_a_merge_key_after_the_path_sets_the_path_as_argo_cd_reads_it(tmp_path: Path) -> None:
    """A ``<<`` after ``path:`` replaces it (go-yaml v2, which kubectl and Argo CD read with,
    sets merged keys where the merge stands): the other directory is what is rendered."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    write_files(repo, {"manifests/other/cm.yaml": _OTHER})
    plain = repo / "apps" / "plain.yaml"
    plain.write_text(plain.read_text().replace(
        "    path: manifests/plain\n",
        "    path: manifests/plain\n    <<: {path: manifests/other}\n"))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.policy, f.target) for f in report_.findings
            if f.target == "prod/plain"] == [
        ("manifests/other/cm.yaml:6", "k8s-schema", "prod/plain")]


def test_directory_recurse_include_exclude_and_skip_marker(tmp_path: Path) -> None:
    from platecheck.engine import load

    model = load(SOURCES / "directory" / "apps" / "plain.yaml", cache_dir=tmp_path)
    [rendered] = model.rendered
    assert [(r.ref, r.template_file) for r in rendered.resources] == [
        ("Deployment/plain", "manifests/plain/deployment.yaml"),
        ("ConfigMap/plain-settings", "manifests/plain/sub/config.json"),
    ]


@pytest.mark.parametrize(("options", "expected"), [
    ("", ["Deployment/plain", "ConfigMap/plain-settings"]),
    ("      disableExtensionFilter: true\n",
     ["ConfigMap/sealed", "Deployment/plain", "ConfigMap/plain-settings"]),
])
def test_any_extension_is_a_manifest_with_the_extension_filter_off(
        tmp_path: Path, options: str, expected: list[str]) -> None:
    """Argo CD's ``directory.disableExtensionFilter``: a file of any name is a manifest (read
    as YAML), include and exclude alone choose; by default only .yaml, .yml, .json and
    .jsonnet are."""
    from platecheck.engine import load

    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    plain = repo / "apps" / "plain.yaml"
    plain.write_text(plain.read_text().replace(
        '      include: "{*.yaml,*.json}"\n', f'      include: "{{*.yaml,*.json,*.sealed}}"\n'
                                           f"{options}"))
    (repo / "manifests" / "plain" / "cm.yaml.sealed").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sealed\ndata:\n  a: b\n")
    model = load(plain, cache_dir=tmp_path / "cache")
    [rendered] = model.rendered
    assert [r.ref for r in rendered.resources] == expected


def test_a_name_that_ends_in_a_line_break_after_the_extension_is_no_manifest(
        tmp_path: Path) -> None:
    """Argo CD's filter ``^.*\\.(yaml|yml|json|jsonnet)$`` is Go's: ``$`` is the end of the
    name, so ``cm.yaml`` and a line break is no manifest (Python's ``$`` would match before
    the break)."""
    from platecheck.engine import load

    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="manifests"),
        "manifests/cm.yaml": cm.format("kept"), "manifests/cm.yaml\n": cm.format("never")})
    (repo / ".git").mkdir()
    [rendered] = load(repo, cache_dir=tmp_path / "cache").rendered
    assert [r.ref for r in rendered.resources] == ["ConfigMap/kept"]


def test_an_application_with_no_spec_is_the_schema_s_finding(tmp_path: Path) -> None:
    """A test's assertion file of an Application's status alone: the API server refuses an
    Application without ``spec`` (the CRD requires it), which argocd-application says, at
    its name; it was a could-not-check error saying it had no source."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": DIRECTORY_APP.format(name="web", path="manifests"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "test/assert.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
                            "metadata:\n  name: web-e2e\n  namespace: argocd\n"
                            "status:\n  sync:\n    status: Synced\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.policy, f.location, f.message) for f in report_.findings
            if f.file == "test/assert.yaml"] == [
        ("argocd-application", "test/assert.yaml:1",
         "Application web-e2e: required field 'spec' is missing")]


def test_jsonnet_tlas_ext_vars_and_libs(tmp_path: Path) -> None:
    from platecheck.engine import load

    model = load(SOURCES / "directory" / "apps" / "web.yaml", cache_dir=tmp_path)
    [rendered] = model.rendered
    [deployment] = rendered.resources
    assert deployment.doc["metadata"]["labels"] == {"app": "web-prod"}  # $ARGOCD_APP_NAME
    container = deployment.doc["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/web:latest"  # the TLA


def test_a_tag_a_jsonnet_tla_gives_is_at_the_tla(tmp_path: Path) -> None:
    """The floating tag comes from the tla ``tag``: the finding is at its ``value`` in the
    Application (it was at the Jsonnet file with no line); the tlas and extVars are the
    target's values, substituted."""
    from platecheck.engine import lint, load

    app = SOURCES / "directory" / "apps" / "web.yaml"
    [rendered] = load(app, cache_dir=tmp_path).rendered
    assert rendered.values.data == {"tlas": {"tag": "latest"}, "extVars": {"app": "web-prod"}}
    report_ = lint(app, cache_dir=tmp_path)
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "apps/web.yaml:15"]


def test_a_jsonnet_lib_leaving_the_repository_is_an_error_at_its_entry(tmp_path: Path) -> None:
    """Argo CD's ``ResolveFileOrDirectoryPath`` refuses a lib outside the repository: a
    could-not-check error at the ``libs`` entry (it was at the Application's first line)."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    app = repo / "apps" / "web.yaml"
    app.write_text(app.read_text().replace("          - lib\n", "          - lib\n"
                                                                  "          - ../outside\n"))
    from platecheck.engine import lint

    report_ = lint(app, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report_.errors] == [
        ("apps/web.yaml:21", "jsonnet lib '../outside' leaves the repository")]


def test_jsonnet_variables_are_substituted_once_more_for_each_file(tmp_path: Path) -> None:
    """Argo CD substitutes the build environment into the ``tlas`` in place, once for each
    ``.jsonnet`` file it evaluates, in its walk's order (a subdirectory's files where its name
    falls; a skipped file not counted): ``$$`` is ``$`` in the first file, and a ``$`` the
    second pass expands in the second."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "manifests" / "web" / "main.jsonnet").unlink()
    config_map = "function(tag) " + _JSONNET_CM % "'%s'" + " + {data: {tag: tag}}\n"
    write_files(repo / "manifests" / "web", {
        "a.jsonnet": "// +argocd:skip-file-rendering\n" + config_map % "a",
        "b/one.jsonnet": config_map % "b", "c.jsonnet": config_map % "c"})
    app = repo / "apps" / "web.yaml"
    app.write_text(app.read_text()
                   .replace("    directory:\n", "    directory:\n      recurse: true\n")
                   .replace("value: latest", "value: $$5 $$ARGOCD_APP_NAME"))
    from platecheck.engine import load

    [rendered] = load(app, cache_dir=tmp_path / "cache").rendered
    assert [(r.ref, r.doc["data"]["tag"]) for r in rendered.resources] == [
        ("ConfigMap/b", "$5 $ARGOCD_APP_NAME"), ("ConfigMap/c", " web-prod")]


@pytest.mark.parametrize(("files", "location"), [
    ({"main.jsonnet": "import '/etc/hostname'\n"}, "manifests/web/main.jsonnet:1"),
    ({"main.jsonnet": "local x = import 'other.libsonnet';\nx\n",
      "other.libsonnet": "{\n  a: error 'broken',\n}\n"}, "manifests/web/other.libsonnet:2"),
    ({"main.jsonnet": "function(tag) [1]\n"}, "manifests/web/main.jsonnet"),
    # the file does not lex: at its own place, which no "ERROR:" precedes
    ({"main.jsonnet": "function(tag) { a: 1\n b: 2 }\n"}, "manifests/web/main.jsonnet:2"),
    # an error over several lines is placed at "(2:3)-(3:9)"
    ({"main.jsonnet": "function(tag)\n  error (\n'several lines')\n"},
     "manifests/web/main.jsonnet:2"),
    # raised in the standard library ("<std>:861", no file): at the call in the repository,
    # whatever the working directory
    ({"main.jsonnet": "function(tag)\n  std.assertEqual(tag, 'v1')\n"},
     "manifests/web/main.jsonnet:2"),
    # a refused importstr or importbin is no content: the evaluation fails
    ({"main.jsonnet": "{a: importstr '/etc/hostname'}\n"}, "manifests/web/main.jsonnet"),
    ({"main.jsonnet": "{a: importbin '/dev/zero'}\n"}, "manifests/web/main.jsonnet"),
    ({"main.jsonnet": "{a: importstr '../../.git/config'}\n"}, "manifests/web/main.jsonnet"),
    # an object without a kind: Argo CD cannot decode the output, nothing of it renders
    ({"main.jsonnet": "function(tag) [{apiVersion: 'v1', kind: 'ConfigMap', metadata: "
                      "{name: 'a'}}, {apiVersion: 'v1', metadata: {name: 'b'}}]\n"},
     "manifests/web/main.jsonnet"),
    ({"main.jsonnet": "function(tag) {apiVersion: 'v1', kind: '', metadata: {name: 'a'}}\n"},
     "manifests/web/main.jsonnet"),
    # a library that does not lex (encrypted): at it, named by its repository path
    ({"main.jsonnet": "local x = import 'secret.libsonnet';\nx\n",
      "secret.libsonnet": "\x00GITCRYPT\n"}, "manifests/web/secret.libsonnet:1"),
    # the Application's tlas do not fit the top-level function: at the tla it does not
    # take, or at the jsonnet key the missing one goes under
    ({"main.jsonnet": "function() []\n"}, "apps/web.yaml:14"),
    ({"main.jsonnet": "function(tag, size) []\n"}, "apps/web.yaml:12"),
])
def test_jsonnet_failures_are_could_not_check_at_the_file(
        tmp_path: Path, files: dict[str, str], location: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Jsonnet names a file by its whole path, here with a space in it; ``<std>`` is no
    file, even run from the repository's root."""
    repo = tmp_path / "my repo"
    shutil.copytree(SOURCES / "directory", repo)
    monkeypatch.chdir(repo)
    write_files(repo / "manifests" / "web", files)
    write_files(repo, {".git/config": "[http]\n\textraheader = AUTHORIZATION: basic secret\n"})
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.location, e.target) for e in report_.errors] == [(location, "prod/web")]
    assert str(tmp_path) not in report_.errors[0].message
    # an error at the Application's tlas names the file that refused them, as Argo CD does
    assert ("Jsonnet evaluation of manifests/web/main.jsonnet failed: "
            in report_.errors[0].message) is location.startswith("apps/")


def test_a_jsonnet_program_that_outgrows_the_data_bound_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The evaluator dies of Go's "out of memory" at the bound (here 256 MiB, so the test is
    quick): the error says that, not the last line of Go's stack dump."""
    from platecheck import sandbox

    monkeypatch.setattr(sandbox, "_supervisor", lambda: None)
    monkeypatch.setattr(sandbox, "MAX_PROCESS_DATA", 256 << 20)
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    write_files(repo / "manifests" / "web", {"main.jsonnet": 'std.repeat("a", 100000000)\n'})
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report_.errors] == [
        ("manifests/web/main.jsonnet", "prod/web")]
    # Go says "out of memory" or "cannot allocate memory", by where the bound stops it
    assert report_.errors[0].message.startswith("Jsonnet evaluation failed: fatal error: ")
    assert "memory (it reached the 4 GiB of memory platecheck" in report_.errors[0].message


_JSONNET_CM = "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: %s}}"


@pytest.mark.parametrize(("files", "names"), [
    pytest.param({"main.jsonnet": "// +argocd:skip-file-rendering\nerror 'never evaluated'\n"},
                 [], id="a-file-marked-to-skip-is-not-evaluated"),
    pytest.param({"main.jsonnet": "[" + _JSONNET_CM % "'cm'" + ", null]\n"}, ["ConfigMap/cm"],
                 id="a-null-in-the-list-is-no-object"),
    pytest.param({"main.jsonnet": "null\n"}, [], id="null-is-no-objects"),
    pytest.param({"main.jsonnet": "(import 'name.libsonnet')\n",
                  "name.libsonnet": _JSONNET_CM % "'here'"}, ["ConfigMap/here"],
                 id="next-to-the-importing-file-first"),
    pytest.param({"main.jsonnet": "(import 'sub/one.libsonnet')\n",
                  "sub/one.libsonnet": "import 'name.libsonnet'\n",
                  "name.libsonnet": _JSONNET_CM % "'source'"}, ["ConfigMap/lib2"],
                 id="then-the-last-library-before-the-source-directory"),
])
def test_jsonnet_files_and_imports_as_argo_cd_reads_them(
        tmp_path: Path, files: dict[str, str], names: list[str]) -> None:
    """A ``.jsonnet`` file with Argo CD's skip marker is not evaluated; a ``null`` it yields
    is no object; an import is looked for next to the importing file, then in the libraries
    from the last to the first, then in the source directory (go-jsonnet's FileImporter over
    Argo CD's search paths: the source directory, then ``libs``)."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "manifests" / "web" / "main.jsonnet").unlink()
    write_files(repo / "manifests" / "web", files)
    write_files(repo, {"lib/name.libsonnet": _JSONNET_CM % "'lib1'",
                       "lib2/name.libsonnet": _JSONNET_CM % "'lib2'"})
    app = repo / "apps" / "web.yaml"
    app.write_text(app.read_text()
                   .replace("          - lib\n", "          - lib\n          - lib2\n")
                   .replace("        tlas:\n          - name: tag\n            value: latest\n",
                            "        tlas: []\n"))
    from platecheck.engine import load

    assert lint(app, cache_dir=tmp_path / "cache").errors == ()
    [rendered] = load(app, cache_dir=tmp_path / "cache2").rendered
    assert [r.ref for r in rendered.resources] == names


def test_a_file_imported_through_a_symbolic_link_imports_next_to_the_link(
        tmp_path: Path) -> None:
    """go-jsonnet's FileImporter never resolves a symbolic link: a file imported through one
    looks for its own imports next to the link first, not next to the file it leads to."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    write_files(repo, {
        "manifests/web/main.jsonnet": "function(tag) import 'cm.libsonnet'\n",
        "manifests/web/name.libsonnet": "'web'\n",
        "shared/cm.libsonnet": "local name = import 'name.libsonnet';\n" + _JSONNET_CM % "name",
        "shared/name.libsonnet": "'shared'\n"})
    (repo / "manifests" / "web" / "cm.libsonnet").symlink_to("../../shared/cm.libsonnet")
    from platecheck.engine import load

    [rendered] = load(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache").rendered
    assert [r.ref for r in rendered.resources] == ["ConfigMap/web"]


JSONNET_POD_LIBRARY = """\
{
  pod(tag):: {
    local exporter = {
      name: 'exporter',
      image: 'registry.example.com/exporter:' + tag,
    },
    containers: [
      {
        name: 'web',
        image: 'registry.example.com/web:' + tag,
        resources: { requests: { cpu: '100m' } },
      },
      exporter,
    ],
  },
}
"""


def test_a_container_a_jsonnet_import_writes_is_at_its_object_there(tmp_path: Path) -> None:
    """A Jsonnet file whose pod spec comes from an imported library: each container's
    finding is at the object naming it in that library (its field when written), not
    without a line at the file that imported it."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    write_files(repo, {"lib/pod.libsonnet": JSONNET_POD_LIBRARY, "manifests/web/main.jsonnet": (
        "local pod = import 'pod.libsonnet';\n\nfunction(tag) [{\n"
        "  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },\n"
        "  spec: { selector: { matchLabels: { app: 'web' } }, template: {\n"
        "    metadata: { labels: { app: 'web' } }, spec: pod.pod(tag) } },\n}]\n")})
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted((f.resource, f.location) for f in report_.findings
                  if f.policy == "resource-ranges") == [
        ("Deployment/web[exporter]", "lib/pod.libsonnet:4"),
        ("Deployment/web[web]", "lib/pod.libsonnet:11")]


@pytest.mark.parametrize(("name", "text", "location"), [
    ("bad.json", '{"kind": "ConfigMap"}\n{"kind": "Secret"}\n', "manifests/plain/bad.json:2"),
    pytest.param("later.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
                 "apiVersion: v1\nmetadata: {name: b}\n", "manifests/plain/later.yaml:5",
                 id="a-later-document-without-a-kind"),
    pytest.param("first.yaml", "apiVersion: v1\nmetadata: {name: b}\ndata: {kind: x}\n",
                 "manifests/plain/first.yaml:1", id="a-manifest-without-a-kind"),
    ("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n",
     "manifests/plain/bad.yaml:4"),
    pytest.param("nan.json", '{"apiVersion": "v1", "kind": "ConfigMap",\n "data": {"a": NaN}}\n',
                 "manifests/plain/nan.json:2", id="nan-is-no-json-to-go"),
    pytest.param("inf.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
                 "  annotations:\n    x: .inf\n", "manifests/plain/inf.yaml:6",
                 id="inf-is-no-json-to-kubernetes"),
])
def test_unreadable_manifest_is_could_not_check(tmp_path: Path, name: str, text: str,
                                                location: str) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "manifests" / "plain" / name).write_text(text)
    report_ = lint(repo / "apps" / "plain.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.location, e.target) for e in report_.errors] == [(location, "prod/plain")]


_ROCKET_JSON = """{
  "apiVersion": "v1",
  "kind": "ConfigMap",
  "metadata": {
    "name": "rocket",
    "annotations": {"title": "Deploys \\ud83d\\ude80"},
    "labels": {
      "bad label": "x"
    }
  }
}
"""


def test_a_json_manifest_is_read_as_go_reads_json(tmp_path: Path) -> None:
    """A ``\\u`` surrogate pair (what Python's json.dumps writes for an emoji) is valid JSON
    to Argo CD (Go's encoding/json); YAML refuses it, and so the file was a could-not-check
    error. Findings are at the lines of the JSON text."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "manifests" / "plain" / "rocket.json").write_text(_ROCKET_JSON)
    report_ = lint(repo / "apps" / "plain.yaml", cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.policy) for f in report_.findings
            if f.location.startswith("manifests/plain/rocket.json")] == [
        ("manifests/plain/rocket.json:8", "k8s-schema")]
    [document] = read_manifests(repo / "manifests" / "plain" / "rocket.json", repo)[0]
    assert document.document.data["metadata"]["annotations"] == {"title": "Deploys \U0001f680"}


def test_an_application_written_as_json_is_read_as_argo_cd_reads_it(tmp_path: Path) -> None:
    """An Application in a ``.json`` file with a surrogate pair: read as JSON, it is the
    Application it is (read as YAML it was refused, and the repository fell back to chart
    mode, rendering a release no Application makes)."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "apps" / "web.yaml").unlink()
    plain = repo / "apps" / "plain.yaml"
    data = yaml.safe_load(plain.read_text())
    data["metadata"]["annotations"] = {"note": "owner \U0001f680"}
    plain.unlink()
    (repo / "apps" / "plain.json").write_text(json.dumps(data, indent=2))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(t.id, t.application.file if t.application else None)
            for t in report_.targets] == [("prod/plain", "apps/plain.json")]
    assert [(f.location, f.policy) for f in report_.findings] == [
        ("manifests/plain/deployment.yaml:17", "image-tag-pinned")]


def test_yaml_that_decodes_to_no_object_is_ignored_as_argo_cd_does(tmp_path: Path) -> None:
    """Argo CD decodes a file's objects until one fails; when the first fails (no kind: a
    config file, a JSON dashboard saved as .yaml) and the file does not read as a manifest
    (apiVersion:, kind: and metadata:), the file is ignored (reposerver
    getObjsFromYAMLOrJSON, its test "irrelevant YAML gets skipped")."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    plain = repo / "manifests" / "plain"
    (plain / "irrelevant.yaml").write_text("some: [irrelevant, yaml]\n")
    (plain / "board.yaml").write_text('{"title": "dashboard", "panels": []}\n')
    clean = lint(repo / "apps" / "plain.yaml", cache_dir=tmp_path / "cache")
    assert clean.errors == ()
    assert [f.policy for f in clean.findings] == ["image-tag-pinned"]
    # an object without a kind after one that has it: Argo CD fails the file
    (plain / "multi.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: multi\ndata:\n  a: b\n"
        "---\nfoo: bar\n")
    report = lint(repo / "apps" / "plain.yaml", cache_dir=tmp_path / "cache")
    assert report.exit_code == 2  # nothing of the source is rendered, as in Argo CD
    assert [(e.location, e.policy) for e in report.errors] == [
        ("manifests/plain/multi.yaml:8", "could-not-check")]


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("*.yaml", "a/b/c.yaml", True),  # * crosses /
    ("{*.yaml,*.json}", "x.json", True),
    ("{*.yaml,*.json}", "x.yml", False),
    ("skip/*", "skip/a/b.yaml", True),
    ("app.yaml", "sub/app.yaml", False),  # the whole relative path, not the file name
    ("{a,{b,c}}/*.yaml", "c/x.yaml", True),  # gobwas nests alternatives
    ("\\*.yaml", "x.yaml", False), ("\\*.yaml", "*.yaml", True),  # an escaped *
    ("[", "[", False),  # a pattern gobwas does not compile matches nothing
])
def test_argo_cd_globs(pattern: str, path: str, expected: bool) -> None:
    from platecheck.globs import argocd_match

    assert argocd_match(pattern, path) is expected


@pytest.mark.usefixtures("kubectl_bin")
def test_kustomize_overlay_image_override_is_what_is_checked(tmp_path: Path) -> None:
    report_ = lint(SOURCES / "kustomize", cache_dir=tmp_path)
    assert report_.errors == ()
    assert _findings(report_) == [
        ("overlays/prod/kustomization.yaml:5", "image-tag-pinned", "prod/web",
         'container "web" in Deployment/web uses floating tag "latest"'),
    ]


def _kustomize_by_hand(kubectl: Path, directory: Path) -> list[object]:
    import subprocess

    import yaml

    output = subprocess.run([str(kubectl), "kustomize", str(directory)], check=True,
                            capture_output=True, text=True).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc is not None]


def test_kustomize_output_equals_kubectl_kustomize_by_hand(kubectl_bin: Path,
                                                           tmp_path: Path) -> None:
    from platecheck.engine import load

    model = load(SOURCES / "kustomize" / "apps" / "web.yaml", cache_dir=tmp_path)
    [rendered] = model.rendered
    by_hand = _kustomize_by_hand(kubectl_bin, SOURCES / "kustomize" / "overlays" / "prod")
    assert [dict(r.doc) for r in rendered.resources] == by_hand
    assert [r.template_file for r in rendered.resources] == ["base/deployment.yaml"]


@pytest.mark.parametrize("linked", [False, True], ids=["tree", "linked-base"])
def test_a_build_copies_what_it_reads_not_the_repository(
        kubectl_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linked: bool) -> None:
    """A build copies the overlay and its bases, not the repository's other files (nor
    those of the directory they share); with a link there leading out of them (a base
    reached through a symbolic link), the whole repository, so the link still leads to its
    base. Either way the output is what kubectl builds by hand."""
    import platecheck.kustomize as kustomize_module
    from platecheck.engine import load

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "bulk/notes.txt": "unrelated\n", "platform/notes.txt": "unrelated\n",
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="platform/overlays/prod"),
        "platform/base/kustomization.yaml": "resources: [cm.yaml]\n",
        "platform/base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "platform/overlays/prod/kustomization.yaml": "resources: [../../base]\n"
                                                     "namePrefix: prod-\n",
        "shared/extra/kustomization.yaml": "resources: [cm.yaml]\n",
        "shared/extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"})
    if linked:
        (repo / "platform" / "overlays" / "prod" / "extra").symlink_to(
            Path("..", "..", "..", "shared", "extra"))
        write_files(repo, {"platform/overlays/prod/kustomization.yaml":
                           "resources: [../../base, extra]\nnamePrefix: prod-\n"})
    copy_tree, copied = kustomize_module.copy_tree, []

    def recording(source: Path, *args: Any, **kwargs: Any) -> Any:
        if not any(Path(source).is_relative_to(done) for done in copied):
            copied.append(Path(source))  # the tree copied, not each directory in it
        return copy_tree(source, *args, **kwargs)

    monkeypatch.setattr("platecheck.kustomize.copy_tree", recording)
    [rendered] = load(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache").rendered
    by_hand = _kustomize_by_hand(kubectl_bin, repo / "platform" / "overlays" / "prod")
    assert [dict(r.doc) for r in rendered.resources] == by_hand
    assert len(by_hand) == (2 if linked else 1)
    assert copied == ([repo] if linked else [
        repo / "platform" / "base", repo / "platform" / "overlays" / "prod"])


@pytest.mark.parametrize("special", ["fifo", "socket", "loop", "loop-repository-copied"])
def test_a_file_kustomize_never_reads_is_no_part_of_its_build_copy(
        kubectl_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, special: str
        ) -> None:
    """A named pipe, a socket or a symbolic link loop beside a kustomization (or anywhere in
    the repository, when the build copies all of it): kustomize reads only the files the
    kustomization names, so the build is what kubectl builds by hand, with no error."""
    import socket

    from platecheck.engine import load

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": DIRECTORY_APP.format(name="web", path="k"),
        "k/kustomization.yaml": "resources: [cm.yaml]\n",
        "k/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "shared/notes.txt": "unrelated\n"})
    monkeypatch.chdir(repo / "k")  # (a socket's path is short)
    if special == "fifo":
        os.mkfifo("unrelated")
    elif special == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind("unrelated")
        server.close()
    elif special == "loop":
        (repo / "k" / "a").symlink_to("b")
        (repo / "k" / "b").symlink_to("a")
    else:  # a link out of what the build reads, so the copy holds the loop elsewhere
        (repo / "k" / "shared").symlink_to(Path("..", "shared"))
        (repo / "shared" / "a").symlink_to("b")
        (repo / "shared" / "b").symlink_to("a")
    model = load(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert model.errors == ()
    [rendered] = model.rendered
    assert [dict(r.doc) for r in rendered.resources] == _kustomize_by_hand(kubectl_bin,
                                                                           repo / "k")


@pytest.mark.usefixtures("kubectl_bin")
def test_a_named_pipe_kustomize_would_read_is_a_could_not_check_error(tmp_path: Path) -> None:
    """A resource that is a named pipe: kustomize would read it and wait for a writer (Argo
    CD's build times out). It is left out of the build's copy, unread, and the failed build
    is a could-not-check error at it, not kubectl's "no such file" of the copy."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": DIRECTORY_APP.format(name="web", path="k"),
        "k/kustomization.yaml": "resources: [cm.data]\n"})
    os.mkfifo(repo / "k" / "cm.data")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        ("k/cm.data", "prod/web", "not a regular file (a named pipe); platecheck reads only "
         "regular files")]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_change_beside_what_a_build_reads_keeps_its_cached_output(tmp_path: Path) -> None:
    """A build's key covers what it reads (the overlay, its base): a file changed in the
    directory they share builds nothing again; one changed in the base does."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "platform/other/notes.txt": "one\n",
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="platform/overlays/prod"),
        "platform/base/kustomization.yaml": "resources: [cm.yaml]\n",
        "platform/base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "platform/overlays/prod/kustomization.yaml": "resources: [../../base]\n"})
    assert lint(repo, cache_dir=tmp_path / "cache").builds == 1
    (repo / "platform" / "other" / "notes.txt").write_text("two\n")
    assert lint(repo, cache_dir=tmp_path / "cache").builds == 0
    (repo / "platform" / "base" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web2\n")
    assert lint(repo, cache_dir=tmp_path / "cache").builds == 1

@pytest.mark.usefixtures("kubectl_bin")
def test_every_application_of_one_kustomization_points_at_its_files(tmp_path: Path) -> None:
    """Two Applications build the same overlay (one build, its documents shared): the
    resources of each still come from the base file."""
    from platecheck.engine import load

    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    web = (repo / "apps" / "web.yaml").read_text()
    (repo / "apps" / "web-b.yaml").write_text(
        web.replace("name: web-prod", "name: web-b-prod").replace(
            "https://kubernetes.default.svc", "https://other.example.com"))
    model = load([repo / "apps" / "web.yaml", repo / "apps" / "web-b.yaml"],
                 cache_dir=tmp_path / "cache")
    assert model.errors == () and model.builds == 1
    assert sorted((r.id, [res.template_file for res in r.resources]) for r in model.rendered) == [
        ("prod/web", ["base/deployment.yaml"]), ("prod/web-b", ["base/deployment.yaml"])]


def test_kustomize_fields_of_the_application_apply_as_kustomize_edit_would(
        kubectl_bin: Path, tmp_path: Path) -> None:
    from platecheck.engine import load

    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    model = load(repo / "apps" / "edge.yaml", cache_dir=tmp_path / "cache")
    [rendered] = model.rendered
    # the same edits made by hand with kustomize's own syntax
    (repo / "overlays" / "edge" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\nnamePrefix: edge-\ncommonLabels:\n  tier: edge\n"
        "images:\n  - name: registry.example.com/web\n    newTag: 2.0.0\n"
        "replicas:\n  - name: web\n    count: 3\n")
    by_hand = _kustomize_by_hand(kubectl_bin, repo / "overlays" / "edge")
    assert [dict(r.doc) for r in rendered.resources] == by_hand
    assert by_hand[0]["metadata"]["name"] == "edge-web"  # type: ignore[index]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("kustomization", "where"), [
    pytest.param("resources:\n  - ../../missing\n", ("overlays/prod/kustomization.yaml", 2),
                 id="a-resource-that-is-not-there"),
    # a directory on the way is not there either (the build's copy holds what is)
    pytest.param("resources:\n  - ../../base\n  - ../../nowhere/web/\n",
                 ("overlays/prod/kustomization.yaml", 3), id="a-resource-below-no-directory"),
    pytest.param("resources:\n  - ../../base\ncomponents:\n  - ../../nowhere/web\n",
                 ("overlays/prod/kustomization.yaml", 4), id="a-component-below-no-directory"),
    pytest.param("resources:\n  - ../../base\npatches:\n  - path: nope.yaml\n",
                 ("overlays/prod/kustomization.yaml", 4), id="a-patch-file-that-is-not-there"),
    # the base's own entry is broken: at that entry, in the base
    pytest.param("resources:\n  - ../../base\n  - ../../broken-base\n",
                 ("broken-base/kustomization.yaml", 2), id="an-error-in-a-base"),
    # a field of the type kustomize refuses (its decoding names the field): at its line
    pytest.param("resources:\n  - ../../base\nreplicas:\n  - name: web\n    count: many\n",
                 ("overlays/prod/kustomization.yaml", 5), id="a-field-of-another-type"),
    pytest.param("resources:\n  - ../../base\nimages:\n  - name: nginx\n    newTag: 1.10\n",
                 ("overlays/prod/kustomization.yaml", 5), id="a-tag-that-is-a-number"),
    # a key written twice in a resource of a base (kubectl names no file): at that file
    pytest.param("resources:\n  - ../../base\n  - ../../broken-base/twice\n",
                 ("broken-base/twice/cm.yaml", 7), id="a-key-twice-in-a-resource"),
])
def test_kustomize_failure_is_could_not_check_at_the_kustomization_entry(
        tmp_path: Path, kustomization: str, where: tuple[str, int | None]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "broken-base").mkdir()
    (repo / "broken-base" / "kustomization.yaml").write_text("resources:\n  - gone.yaml\n")
    (repo / "broken-base" / "twice").mkdir()
    (repo / "broken-base" / "twice" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (repo / "broken-base" / "twice" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\ndata:\n  a: '1'\n"
        "  a: '2'\n")
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(kustomization)
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.file, e.line, e.target) for e in report_.errors] == [(*where, "prod/web")]
    assert report_.errors[0].message.startswith("kubectl kustomize failed: ")
    assert (repo / "overlays" / "prod" / "kustomization.yaml").read_text() == (
        kustomization)  # the checked repository is never written


_LIMITED = WEB_POD_SPEC + """\
      containers:
        - name: web
          image: nginx:1.25.3
          resources:
            requests: {cpu: 10m, memory: 10Mi}
            limits: {cpu: 100m, memory: 100Mi}
"""


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("patch", "line"), [
    ("patches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n"
     "      metadata:\n        name: web\n      spec:\n        template:\n          spec:\n"
     "            containers:\n              - name: web\n                resources:\n"
     "                  limits: null\n", 15),
    ("patches:\n  - target: {kind: Deployment, name: web}\n    patch: |-\n"
     "      - op: remove\n        path: /spec/template/spec/containers/0/resources/limits\n",
     7),
], ids=["strategic-merge-null", "json-patch-remove"])
def test_limits_a_patch_deletes_are_missing_at_the_patch(tmp_path: Path, patch: str,
                                                         line: int) -> None:
    """The base sets requests and limits; the overlay's patch deletes the limits: what the
    container lacks is at the patch line that deleted it, not at the base's resources."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "overlay", "web-prod"),
        "base/kustomization.yaml": "resources: [deploy.yaml]\n", "base/deploy.yaml": _LIMITED,
        "overlay/kustomization.yaml": "resources:\n  - ../base\n" + patch})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message.split(": ")[1]) for f in report_.findings
            if f.policy == "resource-ranges"] == [
        (f"overlay/kustomization.yaml:{line}", "sets no cpu limit or memory limit")]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_file_turned_into_a_link_out_of_its_kustomization_is_built_again(
        tmp_path: Path) -> None:
    """kustomize refuses a file whose link leads out of the kustomization's directory
    (``security; file ... is not in or below``), whatever its bytes: a file replaced by a
    link to a copy of it elsewhere in the repository is built again, not taken from the
    cache, and so is the link replaced by the file again."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web", "app", "web"),
        "app/kustomization.yaml": "resources:\n  - cm.yaml\n", "app/cm.yaml": cm,
        "shared/cm.yaml": cm})

    def errors() -> list[tuple[str | None, int | None]]:
        return [(e.file, e.line) for e in lint(repo, cache_dir=tmp_path / "cache").errors]

    assert errors() == []
    (repo / "app" / "cm.yaml").unlink()
    (repo / "app" / "cm.yaml").symlink_to("../shared/cm.yaml")
    assert errors() == [("app/kustomization.yaml", 2)]
    (repo / "app" / "cm.yaml").unlink()
    (repo / "app" / "cm.yaml").write_text(cm)
    assert errors() == []


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("remote", [
    "https://example.com/manifests/install.yaml",
    "github.com/example/manifests//deploy?ref=v1.0.0",
    "git@github.com:example/manifests.git//deploy",
])
def test_a_remote_resource_is_could_not_check_where_it_is_listed(
        tmp_path: Path, remote: str) -> None:
    """kustomize fetches a URL or a Git repository a kustomization lists, which platecheck
    does not: the error names it at its line in the kustomization that lists it (a base of
    the overlay the Application deploys), not at the overlay's line of that base."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    base = (repo / "base" / "kustomization.yaml").read_text()
    (repo / "base" / "kustomization.yaml").write_text(
        base.replace("resources:\n", f"resources:\n  - {remote}\n", 1))
    line = base.splitlines().index("resources:") + 2
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.file, e.line, e.target) for e in report_.errors] == [
        ("base/kustomization.yaml", line, "prod/web")]
    assert repr(remote) in report_.errors[0].message
    assert "Vendor" in report_.errors[0].remediation


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("where", ["base", "overlays/prod"])
def test_a_remote_openapi_schema_is_could_not_check_at_its_path(
        tmp_path: Path, where: str) -> None:
    """``openapi.path`` may be a URL kubectl fetches: the error is at that line of the
    kustomization that sets it, with the vendoring advice, not kubectl's network error at
    the overlay's line of its base."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    kustomization = repo / where / "kustomization.yaml"
    text = kustomization.read_text().rstrip("\n") + "\n"
    kustomization.write_text(text + "openapi:\n  path: https://example.com/schema.json\n")
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.file, e.line, e.target) for e in report_.errors] == [
        (f"{where}/kustomization.yaml", len(text.splitlines()) + 2, "prod/web")]
    assert "'https://example.com/schema.json' is remote" in report_.errors[0].message
    assert "Vendor" in report_.errors[0].remediation


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("entry", ["outside", "back"])
def test_a_base_that_leaves_the_repository_is_never_built(tmp_path: Path, entry: str) -> None:
    """A relative base that passes out of the repository leads, on the build's copy, to the
    machine's own directories (even one that names the repository's own path on the way
    back, whose .git holds credentials): could-not-check at its line, nothing built."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    write_files(tmp_path, {"outside/kustomization.yaml": "resources: [cm.yaml]\n",
                           "outside/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                              "  name: outside\n"})
    write_files(repo, {".git/config": "[http]\n\textraheader = AUTHORIZATION: basic s\n",
                       "kustomization.yaml": "configMapGenerator:\n- name: leaked\n"
                                             "  files: [config=.git/config]\n"})
    up = "../" * (len(repo.parts) + 2)
    listed = f"{up}{tmp_path.relative_to('/')}/outside" if entry == "outside" else \
        f"{up}{repo.relative_to('/')}"
    base = (repo / "base" / "kustomization.yaml").read_text()
    (repo / "base" / "kustomization.yaml").write_text(
        base.replace("resources:\n", f"resources:\n  - {listed}\n", 1))
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    assert [(e.file, e.line, e.target) for e in report_.errors] == [
        ("base/kustomization.yaml", base.splitlines().index("resources:") + 2, "prod/web")]
    assert "leads out of the repository" in report_.errors[0].message


@pytest.mark.usefixtures("kubectl_bin")
def test_a_file_outside_the_kustomization_says_why_it_is_refused(tmp_path: Path) -> None:
    """kustomize's default load restrictor (Argo CD's too, unless argocd-cm's
    kustomize.buildOptions lifts it) refuses a file outside the kustomization's directory:
    the could-not-check error says so and what to do; other failures do not."""
    from platecheck.kustomize import LOAD_RESTRICTOR_REMEDY

    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    overlay = repo / "overlays" / "prod" / "kustomization.yaml"
    overlay.write_text("resources:\n  - ../../base/deployment.yaml\n")
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert [(e.location, e.remediation) for e in report_.errors] == [
        ("overlays/prod/kustomization.yaml:2", LOAD_RESTRICTOR_REMEDY)]
    overlay.write_text("resources:\n  - ../../missing\n")
    [error] = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache").errors
    assert error.remediation != LOAD_RESTRICTOR_REMEDY


@pytest.mark.usefixtures("kubectl_bin", "helm_bin")
def test_a_helm_values_file_outside_the_kustomization_is_refused_at_its_entry(
        tmp_path: Path) -> None:
    """kubectl quotes the refused file from the repository's top ('values.yaml'); the entry
    writes it from the kustomization ('../values.yaml'): the error is at that entry."""
    from platecheck.kustomize import LOAD_RESTRICTOR_REMEDY

    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "values.yaml").write_text("tag: 2.0.0\n")
    (repo / "inflate" / "kustomization.yaml").write_text(
        "helmCharts:\n  - name: hello\n    releaseName: hello\n"
        "    valuesFile: ../values.yaml\n")
    report_ = lint(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert [(e.location, e.remediation) for e in report_.errors] == [
        ("inflate/kustomization.yaml:4", LOAD_RESTRICTOR_REMEDY)]

def test_helm_chart_of_applications_checks_every_child(tmp_path: Path) -> None:
    report_ = lint(SOURCES / "helm-parent", cache_dir=tmp_path)
    assert sorted(t.id for t in report_.targets) == ["default/root", "prod/api", "prod/web"]
    assert _findings(report_) == [
        ("charts/web/values-prod.yaml:2", "image-tag-pinned", "prod/web",
         'container "web" in Deployment/web uses floating tag "latest"'),
    ]
    # the path a value of the parent chart set: at that values line
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        ("charts/apps/values.yaml:10", "prod/worker",
         "source path 'charts/worker' does not exist")]
    assert report_.exit_code == 2


def test_each_generated_applications_missing_path_is_its_own(tmp_path: Path) -> None:
    """Applications one template line generates, their paths from one values file: a missing
    path is could-not-check of its own Application, as when each is written in a file of its
    own, a config management plugin's too (Argo CD fails the path before the plugin runs)."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "helm-parent", repo)
    template = repo / "charts" / "apps" / "templates" / "applications.yaml"
    template.write_text(template.read_text().replace("    helm:\n", (
        "    {{- if .plugin }}\n    plugin: {name: {{ .plugin }}}\n    {{- else }}\n"
        "    helm:\n")).replace("  destination:", "    {{- end }}\n  destination:"))
    (repo / "charts" / "apps" / "values.yaml").write_text(
        "repoURL: https://git.example.com/platform.git\napps:\n"
        "  - name: web-prod\n    path: charts/web\n    valueFile: values-prod.yaml\n"
        "  - name: second-prod\n    path: missing/second\n    valueFile: values.yaml\n"
        "    plugin: kasane\n"
        "  - name: worker-prod\n    path: charts/worker\n    valueFile: values-prod.yaml\n")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        ("charts/apps/values.yaml:7", "prod/second",
         "source path 'missing/second' does not exist"),
        ("charts/apps/values.yaml:11", "prod/worker",
         "source path 'charts/worker' does not exist")]
    assert [f for f in _findings(report_) if f[1] in ("argocd-application", "not-rendered")
            ] == []
    assert report_.exit_code == 2


def test_an_application_an_included_helper_writes_is_at_the_helpers_lines(
        tmp_path: Path) -> None:
    """The chart's template includes a helper (``_app.tpl``) that writes the Application: its
    fields are at the helper's lines, as when the template writes them itself; a field the
    parent's values set, at that values line."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "helm-parent", repo)
    templates = repo / "charts" / "apps" / "templates"
    body = (templates / "applications.yaml").read_text()
    body = body.replace("{{- range .Values.apps }}\n---\n", "").replace("{{- end }}\n", "")
    body = body.replace("$.Values.repoURL", "$.repoURL").replace("{{ .", "{{ .app.")
    (templates / "_app.tpl").write_text('{{- define "app" -}}\n' + body.replace(
        "    path: {{ .app.path }}", "    path: {{ .app.path }}\n    targetRevision: HEAD")
        + "{{- end }}\n")
    (templates / "applications.yaml").write_text(
        "{{- range .Values.apps }}\n---\n"
        '{{ include "app" (dict "app" . "repoURL" $.Values.repoURL) }}\n{{- end }}\n')
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        ("charts/apps/values.yaml:10", "prod/worker",
         "source path 'charts/worker' does not exist")]
    (repo / "charts" / "apps" / "values.yaml").write_text(
        (repo / "charts" / "apps" / "values.yaml").read_text().replace(
            "charts/worker", "charts/web"))
    (templates / "_app.tpl").write_text((templates / "_app.tpl").read_text().replace(
        "targetRevision: HEAD", "targetRevision: HEAD\n    chart: x"))
    generated = lint(repo, cache_dir=tmp_path / "cache").findings
    # a chart at a floating version: at the helper's targetRevision line, not its includer's
    assert {f.location for f in generated if f.policy == "argocd-application"} == {
        "charts/apps/templates/_app.tpl:12"}


def test_child_fields_set_by_the_parents_environment_values_point_at_those_lines(
        tmp_path: Path) -> None:
    report_ = lint(SOURCES / "helm-parent-values", cache_dir=tmp_path)
    assert report_.exit_code == 2
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        ("charts/apps/values-prod.yaml:6", "prod/worker",
         "source path 'charts/worker' does not exist"),
        ("charts/apps/values-prod.yaml:10", "prod/api",
         "value file 'values-api-prod.yaml' not found (charts/web/values-api-prod.yaml)")]
    assert _findings(report_) == [
        ("charts/apps/values-prod.yaml:14", "argocd-application", "prod/cache",
         "Application cache-prod: destination namespace 'tools' does not match environment "
         "prod (*-prod, *-production, *-prd, prod-*, production-*, prd-*, prod, production, prd)")]
    assert sorted(t.id for t in report_.targets) == ["default/root", "prod/cache", "prod/web"]


_APPS_TEMPLATE = (
    "{{- range $name, $app := .Values.applications }}\n---\n"
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {{ $name }}\n"
    "  namespace: argocd\nspec:\n  project: default\n  source:\n"
    "    repoURL: https://github.com/example/repo.git\n    targetRevision: main\n"
    "    path: {{ $app.path }}\n  destination:\n"
    "    server: https://kubernetes.default.svc\n    namespace: {{ $name }}\n{{- end }}\n")
_APPS_VALUES = "applications:\n  good:\n    path: apps/good\n  missing:\n    path: apps/missing\n"


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("entry", "location"), [
    ("  valuesFile: values.yaml\n", "aoa/values.yaml:5"),
    ("  valuesInline:\n" + "".join(f"    {line}\n" for line in _APPS_VALUES.splitlines()),
     "aoa/kustomization.yaml:9"),
])
def test_child_fields_set_by_a_kustomize_inflated_charts_values_point_at_those_lines(
        tmp_path: Path, entry: str, location: str) -> None:
    """A kustomization inflating a chart of Applications (``helmCharts``): a child's field a
    template action wrote from the chart's values is at the values line that set it, as
    for the same chart deployed as a Helm source, though kustomize's output names no
    template."""
    repo = write_files(tmp_path / "repo", {
        "bootstrap/root.yaml": application("root", "aoa", "argocd"),
        "aoa/kustomization.yaml": "helmCharts:\n- name: apps\n  releaseName: apps\n" + entry,
        "aoa/values.yaml": _APPS_VALUES,
        "aoa/charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "aoa/charts/apps/values.yaml": "applications: {}\n",
        "aoa/charts/apps/templates/apps.yaml": _APPS_TEMPLATE,
        "apps/good/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n",
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        (location, "default/missing", "source path 'apps/missing' does not exist")]


@pytest.mark.usefixtures("kubectl_bin")
def test_the_deprecated_helm_chart_inflation_generator_field_inflates_its_chart(
        tmp_path: Path) -> None:
    """kustomize 5 still inflates a kustomization's ``helmChartInflationGenerator`` entries
    (``chartName``, ``chartHome``): the build runs with ``--enable-helm``, as for
    ``helmCharts`` (it failed, "must specify --enable-helm")."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web", "k", "web"),
        "k/kustomization.yaml": "helmChartInflationGenerator:\n  - chartName: web\n"
                                "    releaseName: web\n    chartHome: vendored\n",
        "k/vendored/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "k/vendored/web/values.yaml": "name: from-values\n",
        "k/vendored/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                            "  name: {{ .Values.name }}\n"})
    from platecheck.engine import load

    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [r.ref for rendered in model.rendered for r in rendered.resources] == [
        "ConfigMap/from-values"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_chart_a_kustomization_inflates_from_a_hidden_chart_home_is_checked_there(
        tmp_path: Path) -> None:
    """``helmGlobals.chartHome: ../.helm/charts``: the chart's template writing an
    Application is read by the build, so it is no hidden Application file left unchecked."""
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
           "    - name: c\n      image: nginx:latest\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/root.yaml": application("root", "cluster", "argocd"),
        "cluster/kustomization.yaml": "helmGlobals:\n  chartHome: ../.helm/charts\n"
                                      "helmCharts:\n  - name: aoa\n    releaseName: aoa\n"
                                      "    valuesFile: values.yaml\n",
        "cluster/values.yaml": "{}\n",
        ".helm/charts/aoa/Chart.yaml": "apiVersion: v2\nname: aoa\nversion: 0.1.0\n",
        ".helm/charts/aoa/templates/web.yaml": application("web", "web", "web"),
        ".helm/charts/aoa/templates/pod.yaml": pod,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings if f.policy == "hidden-application"] == []
    assert {f.policy for f in report_.findings} == {"resource-ranges"}  # the Pod's
    assert not any(".." in (f.file or "") for f in report_.findings)


def test_two_parents_claiming_one_child(tmp_path: Path) -> None:
    report_ = lint(SOURCES / "two-parents", cache_dir=tmp_path)
    assert report_.errors == ()
    assert _findings(report_) == [
        ("charts/parent-b/templates/web.yaml:4", "argocd-application", None,
         "Application web-prod: name is also used by charts/parent-a/templates/web.yaml:4"),
    ]
    assert sorted(t.id for t in report_.targets) == [
        "default/team-a", "default/team-b", "prod/web"]  # the child is rendered once


_TAGGED_APP = application("web-prod", "charts/app", "web-prod", source_extra=(
    "    helm:\n      parameters:\n        - name: image.tag\n          value: {tag}\n"))
_TAGGED_CHART = {
    "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "charts/app/values.yaml": "tag: ''\n",
    "charts/app/templates/pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
        "  containers:\n    - name: app\n      image: nginx:{{ .Values.image.tag }}\n"
        "      imagePullPolicy: IfNotPresent\n      resources:\n"
        "        requests: {cpu: 100m, memory: 128Mi}\n"
        "        limits: {cpu: 200m, memory: 256Mi}\n")}


@pytest.mark.parametrize("written", ["other/web.yaml", "dir/web.yaml"],
                         ids=["reached-by-none", "reached"])
def test_a_generated_child_is_checked_beside_a_written_one_of_its_name(
        tmp_path: Path, written: str) -> None:
    """The root's chart renders Application web-prod with a floating tag; a file writes
    web-prod pinned. Argo CD applies what the root renders whatever the file says: the
    generated child is checked. The file no app-of-apps reaches is an orphan (it took the
    generated child's place, which was never rendered); one a directory app-of-apps reaches
    is deployed too, by another parent, so the name is used twice."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "boot/root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values.yaml": "tag: latest\n",
        "apps/templates/web.yaml": _TAGGED_APP.format(tag="{{ .Values.tag }}"),
        written: _TAGGED_APP.format(tag='"1.2.3"'), **_TAGGED_CHART})
    if written.startswith("dir/"):  # an app-of-apps of the directory reaches it
        write_files(repo, {"boot/dirs.yaml": application("dirs", "dir", "argocd")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.policy, f.target, f.message) for f in report_.findings
            if f.policy in ("argocd-application", "image-tag-pinned")] == [
        ("apps/templates/web.yaml:4", "argocd-application", "prod/web@apps/templates/web.yaml:2",
         f"Application web-prod: name is also used by {written}:4")
        if written == "dir/web.yaml" else
        ("other/web.yaml:4", "argocd-application", "prod/web",
         "Application web-prod: is not reachable from an app-of-apps (roots: boot/root.yaml); "
         "unless something else applies it, Argo CD never deploys it"),
        ("apps/values.yaml:1", "image-tag-pinned", "prod/web@apps/templates/web.yaml:2",
         'container "app" in Pod/web-prod uses floating tag "latest"')]
    assert sorted(t.id for t in report_.targets if t.environment == "prod") == [
        "prod/web", "prod/web@apps/templates/web.yaml:2"]


_CHILDREN_TEMPLATE = (
    "{{- range .Values.apps }}\n---\n"
    + application("{{ .name }}", "charts/app", "{{ .name }}", source_extra=(
        "    helm:\n      parameters:\n        - name: image.tag\n"
        "          value: {{ .tag | quote }}\n"))
    + "{{- end }}\n")


@pytest.mark.parametrize("beside", [False, True], ids=["one-root", "beside-a-directory-root"])
def test_a_run_of_one_environment_checks_the_children_another_environments_parent_generates(
        tmp_path: Path, beside: bool) -> None:
    """The root, in no environment (namespace argocd), renders web-prod with a floating tag
    and db-stg: ``--env prod`` renders the root for what it generates and checks web-prod
    as a run of every environment does, not the root nor db-stg. The root was not rendered:
    web-prod went unchecked, the root was called not reachable from the directory root
    beside it, and alone it was nothing to check. An environment it generates nothing in
    is still nothing to check."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "boot/root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values.yaml": "apps:\n  - {name: web-prod, tag: latest}\n"
                            "  - {name: db-stg, tag: latest}\n",
        "apps/templates/apps.yaml": _CHILDREN_TEMPLATE, **_TAGGED_CHART})
    if beside:  # a directory app-of-apps of a pinned prod Application
        write_files(repo, {"boot/other.yaml": application("other", "other", "argocd"),
                           "other/api.yaml": _TAGGED_APP.replace("web-prod", "api-prod")
                           .format(tag='"1.2.3"')})
    expected = [("apps/values.yaml:2", "image-tag-pinned", "prod/web",
                  'container "app" in Pod/web-prod uses floating tag "latest"')]
    report_ = lint(repo, cache_dir=tmp_path / "cache", environments=["prod"])
    assert report_.errors == ()
    assert [(f.location, f.policy, f.target, f.message) for f in report_.findings
            if f.policy != "env-consistency"] == expected
    assert [t.id for t in report_.targets] == ["prod/api", "prod/web"] if beside \
        else ["prod/web"]
    everything = lint(repo, cache_dir=tmp_path / "cache").findings
    assert [(f.location, f.policy, f.target, f.message) for f in everything
            if f.environment == "prod" and f.policy != "env-consistency"] == expected
    # the pairs with prod judged as by a run of all (db-stg is stg's alone)
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "env-consistency"] == [
        (f.location, f.message) for f in everything if f.policy == "env-consistency"]
    (repo / "apps" / "values.yaml").write_text("apps:\n  - {name: web-prod, tag: latest}\n")
    if not beside:
        with pytest.raises(PlatecheckError, match="nothing to check: .* for environment stg"):
            lint(repo, cache_dir=tmp_path / "cache", environments=["stg"])
    # a root that fails to render may have generated prod's: the run fails closed
    write_files(repo, {"apps/templates/broken.yaml": '{{ fail "boom" }}\n'})
    broken = lint(repo, cache_dir=tmp_path / "cache", environments=["prod"])
    assert broken.exit_code == 2
    assert [(e.location, e.message.endswith("(rendering default/root for the Applications it "
                                            "generates)")) for e in broken.errors] == [
        ("apps/templates/broken.yaml:1", True)]


def test_a_run_of_one_environment_renders_a_root_whose_library_writes_the_applications(
        tmp_path: Path) -> None:
    """The root's chart writes no Application itself: a ``file://`` library chart it depends
    on defines them. ``--env prod`` still renders it for the prod Application it generates."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "boot/root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\ndependencies:\n"
                           "  - {name: lib, version: 0.1.0, repository: 'file://../lib'}\n",
        "apps/values.yaml": "apps:\n  - {name: web-prod, tag: latest}\n",
        "apps/templates/apps.yaml": '{{ include "lib.apps" . }}\n',
        "lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n",
        "lib/templates/_apps.tpl": '{{- define "lib.apps" }}\n' + _CHILDREN_TEMPLATE
                                   + "{{- end }}\n", **_TAGGED_CHART})
    report_ = lint(repo, cache_dir=tmp_path / "cache", environments=["prod"])
    assert report_.errors == ()
    pinned = [(f.location, f.target) for f in report_.findings if f.policy == "image-tag-pinned"]
    assert [target for _, target in pinned] == ["prod/web"]
    assert pinned == [(f.location, f.target) for f in lint(repo, cache_dir=tmp_path / "cache")
                      .findings if f.policy == "image-tag-pinned"]


def _generating_chart(name: str, child: str, namespace: str) -> dict[str, str]:
    return {f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n",
            f"{name}/templates/{child}.yaml":
                f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                f"  name: {child}\n  namespace: argocd\nspec:\n  project: default\n"
                f"  source:\n    repoURL: https://example.com/r.git\n    path: {child}\n"
                f"  destination:\n    server: https://kubernetes.default.svc\n"
                f"    namespace: {namespace}\n"}


@pytest.mark.parametrize("source", [
    "    - chart: nginx\n      repoURL: https://charts.example.com\n      targetRevision: 1.0.0\n",
    # a Git source of another repository (nazmang/argocd-apps): its path is not this
    # repository's to check, the value file is
    "    - repoURL: https://github.com/minio/operator.git\n      path: helm/operator\n"
    "      targetRevision: v5.0.0\n",
])
def test_a_value_file_of_this_repository_for_another_source_must_exist(tmp_path: Path,
                                                                       source: str) -> None:
    """A remote chart, or a path of another Git repository, with ``$values/...`` from a
    source of this repository: Argo CD reads that file from this repository, and fails to
    generate the manifests when it is missing."""
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: nginx\n"
           "spec:\n  project: default\n  sources:\n" + source +
           "      helm:\n        valueFiles:\n          - $values/vals/{name}.yaml\n"
           "          - values-extra.yaml\n"
           "    - repoURL: https://example.com/r.git\n      ref: values\n"
           "  destination:\n    namespace: nginx\n    server: https://kubernetes.default.svc\n")
    repo = write_files(tmp_path / "repo", {"apps/nginx.yaml": app.format(name="ngnix"),
                                           "vals/nginx.yaml": "replicas: 2\n"})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin",
                    "https://example.com/r.git"], check=True)

    def messages() -> list[tuple[str, str]]:
        report_ = lint(repo, cache_dir=tmp_path / "cache")
        assert report_.errors == ()
        return [(f.location, f.message) for f in report_.findings
                if f.policy == "argocd-application"]

    # (values-extra.yaml is the other source's own file: not this repository's to check)
    assert messages() == [("apps/nginx.yaml:13", "Application nginx: value file "
                                                 "'$values/vals/ngnix.yaml' does not exist")]
    (repo / "apps" / "nginx.yaml").write_text(app.format(name="nginx"))
    assert messages() == []


PULLED = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: certs
spec:
  project: default
  sources:
    - chart: cert-manager
      repoURL: https://charts.jetstack.io
      targetRevision: v1.15.0
      helm:
{helm}
    - repoURL: {values_repo}
      ref: values
  destination:
    namespace: certs
    server: https://kubernetes.default.svc
"""


@pytest.mark.parametrize(("helm", "values_repo", "found", "errors"), [
    ("        valueFiles: [$values/none/*.yaml]\n", "https://example.com/r.git",
     [("argocd-application", "apps/certs.yaml:12",
       "Application certs: values file glob '$values/none/*.yaml' matched no files")], []),
    ("        valueFiles: [$values/none/*.yaml]\n        ignoreMissingValueFiles: true\n",
     "https://example.com/r.git", [], []),
    ("        fileParameters:\n          - {name: a, path: $nope/a.txt}\n"
     "          - {name: b, path: $values/vals/missing.txt}\n"
     "          - {name: c, path: files/in-the-chart.txt}\n", "https://example.com/r.git",
     [("argocd-application", "apps/certs.yaml:13", "Application certs: fileParameters 'a': "
       "source referenced '$nope', which is not one of the available sources ($values)"),
      ("argocd-application", "apps/certs.yaml:14", "Application certs: fileParameters 'b': "
       "'$values/vals/missing.txt' does not exist, so helm's --set-file cannot read it and "
       "Argo CD cannot render this source")], []),
    ("        valueFiles: [$values/vals/broken.yaml]\n", "https://example.com/r.git", [],
     ["vals/broken.yaml:2"]),
    ("        valueFiles: [$values/vals/eleven.yaml]\n", "https://example.com/r.git",
     [("yaml-hygiene", "vals/eleven.yaml:1", 'unquoted "yes" is the boolean true to Helm '
       '(YAML 1.1) but the string "yes" to YAML 1.2 readers')], []),
    # the values of another repository: nothing of it is here to check
    ("        valueFiles: [$values/none/*.yaml, $values/vals/broken.yaml]\n"
     "        fileParameters: [{name: b, path: $values/vals/missing.txt}]\n",
     "https://example.com/other.git", [], []),
], ids=["glob-matches-nothing", "glob-ignored", "file-parameters", "not-yaml", "yaml-1.1",
        "another-repository"])
def test_what_a_pulled_chart_reads_of_this_repository_is_checked(
        tmp_path: Path, helm: str, values_repo: str, found: list[tuple[str, str, str]],
        errors: list[str]) -> None:
    """A chart Argo CD pulls from a Helm repository, with value files and ``--set-file``
    paths of this repository through ``$values``: a glob that matches nothing
    (``getResolvedValueFiles``' GlobNoMatchError), a fileParameters reference Argo CD cannot
    follow (``runManifestGenAsync`` checks them before the chart is pulled) or a file of
    this repository that is missing fail the source as for a local chart; a value file that
    is not YAML fails helm; each value file read is looked at by yaml-hygiene."""
    repo = write_files(tmp_path / "repo", {
        "apps/certs.yaml": PULLED.format(helm=helm, values_repo=values_repo),
        "vals/broken.yaml": "installCRDs: true\n  bad: [\n",
        "vals/eleven.yaml": "enabled: yes\n"})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin",
                    "https://example.com/r.git"], check=True)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location, f.message) for f in report.findings
            if f.policy in ("argocd-application", "yaml-hygiene")] == found
    assert [f"{e.file}:{e.line}" for e in report.errors] == errors


def test_the_applications_a_jsonnet_app_of_apps_generates_are_checked(tmp_path: Path) -> None:
    """Argo CD applies the Applications a Jsonnet file of a directory source evaluates to,
    as those a Helm chart renders: each is planned and checked."""
    root = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n"
            "spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
            "    path: apps\n    directory:\n      jsonnet: {}\n  destination:\n"
            "    namespace: argocd\n    server: https://kubernetes.default.svc\n")
    apps = ("[{apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',\n"
            "  metadata: {name: 'web', namespace: 'argocd'},\n"
            "  spec: {project: 'default', source: {repoURL: 'https://example.com/r.git', "
            "path: 'web'},\n"
            "         destination: {server: 'https://kubernetes.default.svc', "
            "namespace: 'web'}}}]\n")
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                  "  template:\n    spec:\n      containers:\n        - name: web\n"
                  "          image: nginx:1.27.0\n")
    repo = write_files(tmp_path / "repo", {"root/root.yaml": root, "apps/apps.jsonnet": apps,
                                           "web/deploy.yaml": deployment})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted(t.id for t in report_.targets) == ["default/root", "default/web"]
    assert [(f.location, f.target) for f in report_.findings if f.policy == "resource-ranges"
            ] == [("web/deploy.yaml:9", "default/web")]
    # the Jsonnet file root evaluates is no Application file passed over
    assert [f for f in report_.findings if f.policy == "hidden-application"] == []
    (repo / "root" / "root.yaml").write_text(root.replace("path: apps", "path: web"))
    assert [f.location for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "hidden-application"] == ["apps/apps.jsonnet:1"]


def test_an_application_no_app_of_apps_deploys_shares_no_resource(tmp_path: Path) -> None:
    """An orphan is reported as never deployed, and not as undoing the syncs of the
    Application that does deploy the same resources."""
    def app(name: str, path: str) -> str:
        return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                f"  name: {name}\n  namespace: argocd\nspec:\n  project: default\n"
                f"  source:\n    repoURL: https://example.com/r.git\n    path: {path}\n"
                f"  destination:\n    namespace: web\n"
                f"    server: https://kubernetes.default.svc\n")
    repo = write_files(tmp_path / "repo", {
        "root/root.yaml": app("root", "apps"), "apps/web.yaml": app("web", "web"),
        "other/web-copy.yaml": app("web-copy", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings] == [
        ("other/web-copy.yaml:4", "Application web-copy: is not reachable from an app-of-apps "
         "(roots: root/root.yaml); unless something else applies it, Argo CD never deploys "
         "it")]


def test_an_application_below_a_directory_that_is_not_recursed_is_told_how_to_reach(
        tmp_path: Path) -> None:
    """A file in a subdirectory of a directory app-of-apps that does not recurse: Argo CD
    never reads it, and the remedy says why (it is under that directory already)."""
    repo = write_files(tmp_path / "repo", {
        "bootstrap/root.yaml": application("root", "apps", "argocd"),
        "apps/web.yaml": application("web", "web", "web"),
        "apps/team-a/nested.yaml": application("nested", "web", "nested"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    [finding] = [f for f in lint(repo, cache_dir=tmp_path / "cache").findings
                 if "not reachable" in f.message]
    assert finding.location == "apps/team-a/nested.yaml:4"
    assert finding.remediation.startswith(
        "The app-of-apps bootstrap/root.yaml reads only the files of its directory")


def test_two_manifests_of_one_application_are_one_name_finding_not_shared_resources(
        tmp_path: Path) -> None:
    """Two files writing Application ``cache``: one object in Argo CD, whichever was applied
    last. The name used twice is the finding; the resources both would deploy are not (in a
    repository with four copies of an Application, every resource was reported)."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "shared-resource", repo)
    queue = repo / "apps" / "queue.yaml"
    queue.write_text(queue.read_text().replace("name: queue", "name: cache", 1))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.message for f in report_.findings if f.policy == "argocd-application"] == [
        "Application cache: name is also used by apps/cache.yaml:4"]


def test_two_documents_of_one_file_written_alike_are_a_name_used_twice(tmp_path: Path) -> None:
    """A file holding the same Application (or ApplicationSet) twice: Argo CD warns that the
    resource appears twice and applies one of them; a render of a written file is still that
    one document, not a second."""
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: web\n"
           "  namespace: argocd\nspec:\n{spec}")
    source = ("  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
              "    path: web\n  destination:\n    namespace: web\n"
              "    server: https://kubernetes.default.svc\n")
    generated = ("  generators:\n    - clusters: {}\n"
                 "  template:\n    metadata:\n      name: '{{name}}'\n    spec:\n"
                 + source.replace("\n  ", "\n      ").replace("  project", "      project", 1))
    application = app.format(kind="Application", spec=source)
    application_set = app.format(kind="ApplicationSet", spec=generated)
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": f"{application}---\n{application}",
        "sets/web.yaml": f"{application_set}---\n{application_set}",
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    # the second document's name: after the first document and its separator
    app_name, set_name = (text.count("\n") + 5 for text in (application, application_set))
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "argocd-application"] == [
        (f"apps/web.yaml:{app_name}", "Application web: name is also used by apps/web.yaml:4"),
        (f"sets/web.yaml:{set_name}", "ApplicationSet web: name is also used by sets/web.yaml:4")]


def test_an_application_two_renders_make_alike_is_one_application(tmp_path: Path) -> None:
    """Chart mode renders the app-of-apps charts once per environment: the Applications they
    make alike are one each; made different, each is its environment's install's own (not
    one name used twice), and each is checked. A chart an Application deploys renders only
    as that Application gives it values: its own renders per environment make nothing."""
    leaf = {"leaf/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaf\n"}
    alike = write_files(tmp_path / "alike", {**_generating_chart("root", "mid", "mid"),
                                             **_generating_chart("mid", "leaf", "leaf"), **leaf})
    (alike / ".git").mkdir()
    report_ = lint(alike, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f for f in report_.findings if f.policy == "argocd-application"] == []
    root = _generating_chart("root", "mid", "mid")
    root["root/templates/mid.yaml"] = root["root/templates/mid.yaml"].replace(
        "    path: mid\n",
        "    path: mid\n    helm:\n      valueFiles: ['values-{{ .Values.env }}.yaml']\n")
    apart = write_files(tmp_path / "apart", {
        **root, "root/values-stg.yaml": "env: stg\n", "root/values-prod.yaml": "env: prod\n",
        **_generating_chart("mid", "leaf", "{{ .Values.namespace }}"),
        "mid/values.yaml": "namespace: leaf\n", "mid/values-stg.yaml": "namespace: leaf\n",
        "mid/values-prod.yaml": "namespace: other\n", **leaf})
    (apart / ".git").mkdir()
    report_ = lint(apart, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.message for f in report_.findings if f.policy == "argocd-application"] == []
    assert sorted(t.application.destination_namespace for t in report_.targets
                  if t.application is not None and t.app == "leaf") == ["leaf", "other"]
    (apart / "root" / "values-stg.yaml").write_text("env: prod\n")  # one chain, one leaf
    assert [f.message for f in lint(apart, cache_dir=tmp_path / "cache").findings
            if f.policy == "argocd-application"] == []


def test_a_missing_source_path_names_repo_urls_while_every_repo_url_is_this_repository(
        tmp_path: Path) -> None:
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ext\n"
           "spec:\n  project: default\n  source:\n"
           "    repoURL: https://git.example.com/other.git\n    path: k8s\n"
           "  destination:\n    namespace: ext\n    server: https://kubernetes.default.svc\n")
    repo = write_files(tmp_path / "repo", {"apps/ext.yaml": app})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report_.errors] == [
        ("apps/ext.yaml:9", "source path 'k8s' does not exist")]
    assert "https://git.example.com/other.git is another repository" in \
        report_.errors[0].remediation
    assert "repoUrls" in report_.errors[0].remediation
    # once repoUrls says which repositories are this one, that source is another's
    write_files(repo, {"policies/platecheck.yaml": (
        "policies:\n  argocd-application:\n    options:\n"
        "      repoUrls: [https://git.example.com/this.git]\n")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.policy for f in report_.findings] == ["not-rendered"]


def test_two_applications_deploying_one_configmap(tmp_path: Path) -> None:
    report_ = lint(SOURCES / "shared-resource", cache_dir=tmp_path)
    assert report_.errors == ()
    assert _findings(report_) == [
        ("manifests/queue/settings.yaml:4", "argocd-application", "default/queue",
         "ConfigMap/settings in namespace tools is deployed by both Application cache "
         "(default/cache) and Application queue; Argo CD's syncs of the two undo each other"),
    ]


@pytest.mark.parametrize("namespace", ["  namespace: team\n", ""], ids=["team", "none"])
def test_two_applications_of_one_name_deploying_one_configmap_are_told_by_namespace(
        tmp_path: Path, namespace: str) -> None:
    """Applications ``argocd/cache`` and ``team/cache`` are two Applications: the finding names
    each with its namespace, not ``cache`` twice; one whose file names no namespace is
    ``cache (no namespace)``, not ``/cache``."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "shared-resource", repo)
    queue = repo / "apps" / "queue.yaml"
    queue.write_text(queue.read_text().replace("name: queue\n  namespace: argocd\n",
                                               "name: cache\n" + namespace))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    second = "team/cache" if namespace else "cache (no namespace)"
    assert [f.message for f in report_.findings if f.policy == "argocd-application"
            and "deployed by both" in f.message] == [
        "ConfigMap/settings in namespace tools is deployed by both Application argocd/cache "
        f"(default/cache) and Application {second}; Argo CD's syncs of the two undo each "
        "other"]


@pytest.mark.parametrize(("a", "b", "shared"), [
    ((None, "a-prod"), (None, "b-prod"), ""),
    (("b-prod", "a-prod"), (None, "b-prod"), ""),  # helm.namespace is no placement
    ((None, "shared-prod"), ("elsewhere-prod", "shared-prod"), "shared-prod"),
    ((None, None), (None, None), "default"),
])
def test_a_resource_naming_no_namespace_is_placed_in_the_destination_namespace(
        tmp_path: Path, a: tuple[str | None, str | None], b: tuple[str | None, str | None],
        shared: str) -> None:
    """Argo CD gives a rendered resource that names no namespace its Application's
    destination namespace (``NormalizeTargetObjects``), whatever ``helm.namespace`` told
    helm (``--namespace`` writes none into the manifests): two Applications of one chart
    share its ConfigMap exactly when their destinations are one namespace."""
    def app(name: str, helm_namespace: str | None, destination: str | None) -> str:
        text = DIRECTORY_APP.format(name=name, path="chart").replace(
            f"    namespace: {name}-prod\n", f"    namespace: {destination}\n"
            if destination else "")
        assert destination is None or f"namespace: {destination}" in text
        return text.replace("    path: chart\n", f"    path: chart\n    helm:\n      "
                            f"namespace: {helm_namespace}\n") if helm_namespace else text

    repo = write_files(tmp_path / "repo", {
        "apps/a.yaml": app("a", *a), "apps/b.yaml": app("b", *b),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.message.split(" is ")[0] for f in report_.findings
            if "deployed by both" in f.message] == (
        [f"ConfigMap/web in namespace {shared}"] if shared else [])


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("patch", [
    "  - target: {kind: Deployment, name: web}\n    patch: |-\n      - op: add\n"
    "        path: /spec/template/spec/containers/-\n        value:\n"
    "          name: sidecar\n          image: busybox:latest\n",
    "  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n"
    "        name: web\n      spec:\n        template:\n          spec:\n"
    "            containers:\n              - name: sidecar\n"
    "                image: busybox:latest\n",
], ids=["json6902-append", "strategic-merge"])
def test_a_container_a_patch_appends_is_found_at_the_patch(tmp_path: Path, patch: str
                                                           ) -> None:
    """A sidecar a patch appends (a JSON 6902 ``add`` at ``containers/-``, or a strategic
    merge) with a floating tag and no resources: both findings are at the patch, the image
    at its line and what it lacks at its entry, not "line unknown" in the base."""
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="overlays/prod"),
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.0.0").replace(
            "          image: nginx:1.0.0\n", "          image: nginx:1.0.0\n          "
            "resources: {requests: {cpu: 10m, memory: 8Mi}, limits: {cpu: 10m, memory: 8Mi}}\n"),
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "overlays/prod/kustomization.yaml": "resources: [../../base]\npatches:\n" + patch})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    text = (repo / "overlays/prod/kustomization.yaml").read_text().splitlines()
    entry = next(n for n, line in enumerate(text, 1) if "name: sidecar" in line)
    image = next(n for n, line in enumerate(text, 1) if "image: busybox" in line)
    assert sorted((f.policy, f.location) for f in report_.findings
                  if f.policy in ("image-tag-pinned", "resource-ranges")) == [
        ("image-tag-pinned", f"overlays/prod/kustomization.yaml:{image}"),
        ("resource-ranges", f"overlays/prod/kustomization.yaml:{entry}")]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_patch_naming_a_namespace_sets_the_fields_of_that_namespaces_resource(
        tmp_path: Path) -> None:
    """Deployment ``web`` in namespaces ``a`` and ``b``; a strategic-merge patch naming
    ``namespace: b`` sets the floating tag of ``b``'s alone (kustomize selects by
    namespace too): ``a``'s, written in its own file, is at that file."""
    def deployment(namespace: str) -> str:
        return _DEPLOYMENT.format(name="web", tag="latest").replace(
            "  name: web\n", f"  name: web\n  namespace: {namespace}\n", 1)

    patch = ("patches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n"
             "      metadata:\n        name: web\n        namespace: b\n      spec:\n"
             "        template:\n          spec:\n            containers:\n"
             "              - name: c\n                image: nginx:latest\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="overlays/prod"),
        "base/a.yaml": deployment("a"), "base/b.yaml": deployment("b"),
        "base/kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
        "overlays/prod/kustomization.yaml": "resources: [../../base]\n" + patch})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted(f.location for f in report_.findings if f.policy == "image-tag-pinned") == [
        "base/a.yaml:13", "overlays/prod/kustomization.yaml:14"]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("entry", "patched", "where"), [
    ("1.2.3", "nginx", "overlays/prod/kustomization.yaml:13"),  # the patch wrote it last
    ("1.2.3", "nginx:latest", "overlays/prod/kustomization.yaml:13"),
    ("latest", None, "base/kustomization.yaml:4"),  # the newTag of the base's entry
])
def test_an_images_entry_a_later_patch_overrode_is_not_where_the_tag_came_from(
        tmp_path: Path, entry: str, patched: str | None, where: str) -> None:
    """A base's ``images`` entry tags ``nginx`` and an overlay's patch writes the container's
    image afterwards: the image kustomize outputs is the patch's, and so is its finding;
    without the patch it is the entry's."""
    deploy = _DEPLOYMENT.format(name="web", tag="1.0.0")
    patch = ("patches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n"
             "      metadata:\n        name: web\n      spec:\n        template:\n"
             "          spec:\n            containers:\n              - name: c\n"
             f"                image: {patched}\n") if patched else ""
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="overlays/prod"),
        "base/deploy.yaml": deploy,
        "base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n  - name: nginx\n"
                                   f"    newTag: '{entry}'\n",
        "overlays/prod/kustomization.yaml": "resources: [../../base]\n" + patch})
    assert _locations(repo, "image-tag-pinned") == [where]


def test_a_value_the_template_reads_from_no_values_key_is_not_put_at_one_of_the_same_text(
        tmp_path: Path) -> None:
    """A template whose text for a field reads values through plain ``.Values`` chains: a
    rendered value that none of those keys holds comes from the template itself (the chart's
    appVersion, a literal), not from an unrelated key holding the same text (the sidecar's
    tag, another workload's quantity); one those keys hold is at that key, whatever its
    name (``canaryTag``)."""
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
        "        - name: web\n"
        "          image: nginx:{{ .Values.web.tag | default .Chart.AppVersion }}\n"
        "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
        "        - name: sidecar\n          image: busybox:{{ .Values.sidecar.tag }}\n"
        "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
        "        - name: canary\n"
        "          image: nginx:{{ ternary .Values.canaryTag .Values.stableTag true }}\n"
        "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
        "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n"
        "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
        "        - name: once\n          image: nginx:1.27.0\n          resources:\n"
        "            requests: {cpu: 500m, memory: 64Mi}\n"
        "            limits: {cpu: 200m, memory: 64Mi}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="chart"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: latest\n",
        "chart/values.yaml": "web:\n  tag: ''\nsidecar:\n  tag: latest\n"
                             "canaryTag: latest\nstableTag: 1.0.0\nresources:\n"
                             "  requests: {cpu: 100m, memory: 64Mi}\n"
                             "  limits: {cpu: 200m, memory: 64Mi}\n",
        "chart/templates/deploy.yaml": deploy,
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted((f.location, f.message.split(" uses ")[0]) for f in report_.findings
                  if f.policy == "image-tag-pinned") == [
        ("chart/templates/deploy.yaml:12", 'container "web" in Deployment/web'),
        ("chart/values.yaml:4", 'container "sidecar" in Deployment/web'),
        ("chart/values.yaml:5", 'container "canary" in Deployment/web'),
    ]
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "resource-ranges"] == [
        ("chart/templates/deploy.yaml:37",
         'container "once" in Job/once: cpu limit "200m" is below its request "500m"')]


def test_an_ingress_host_is_found_under_an_ingress_key_first(tmp_path: Path) -> None:
    """A host a template ranges over (``.Values.ingress.extraHosts``) is at the ingress
    entry that names it, not at another key of the same text (``service.host``)."""
    ingress = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
               "spec:\n  rules:\n    {{- range .Values.ingress.extraHosts }}\n"
               "    - host: {{ .name | quote }}\n    {{- end }}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="chart").replace(
            "    path: chart\n", "    path: chart\n    helm:\n      valueFiles: [prod.yaml]\n"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "service:\n  host: api.example.com\ningress:\n  extraHosts: []\n",
        "chart/prod.yaml": "ingress:\n  extraHosts:\n    - name: api.example.com\n",
        "chart/templates/ingress.yaml": ingress})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings
            if f.policy == "ingress-tls" and "api.example.com" in f.message] == [
        "chart/prod.yaml:3"]


@pytest.mark.parametrize(("helper", "where"), [
    # reads .Values.image.tag only: the appVersion tag is the template's, not worker's key
    ('printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion)',
     "chart/templates/deploy.yaml:12"),
    # a variable: what it reads is not known, so any key of the text may be the one
    ('$t := .Values.image.tag | default .Chart.AppVersion }}{{ printf "nginx:%s" $t',
     "chart/values.yaml:4"),
])
def test_a_helper_included_with_the_root_scope_is_read_for_the_keys_it_reads(
        tmp_path: Path, helper: str, where: str) -> None:
    """``image: {{ include "web.image" . }}``: the helper's own plain ``.Values`` chains are
    what the field reads, so a tag it takes from appVersion is not put at ``worker``'s key
    of the same text; a helper that reads through a variable is not known that way."""
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="chart"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: latest\n",
        "chart/values.yaml": "image:\n  repository: nginx\n  tag: ''\nworker: {tag: latest}\n",
        "chart/templates/_helpers.tpl": f'{{{{- define "web.image" -}}}}\n{{{{ {helper} }}}}\n'
                                        "{{- end -}}\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web", tag="x").replace(
            "image: nginx:x", 'image: {{ include "web.image" . }}')})
    assert _locations(repo, "image-tag-pinned") == [where]


def test_a_value_written_on_the_field_line_is_not_read_from_the_actions_below_it(
        tmp_path: Path) -> None:
    """``image: auto`` written by the template, then ``{{- with .Values.pullPolicy }}`` at
    the same column: the actions below a field whose value is on its own line are the next
    field's, so the untagged image is at the template, not at ``pullPolicy: ""``."""
    deploy = _DEPLOYMENT.format(name="gw", tag="1.0.0").replace(
        "image: nginx:1.0.0\n", "image: auto\n          {{- with .Values.pullPolicy }}\n"
        "          imagePullPolicy: {{ . }}\n          {{- end }}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/gw.yaml": DIRECTORY_APP.format(name="gw", path="chart"),
        "chart/Chart.yaml": "apiVersion: v2\nname: gw\nversion: 0.1.0\n",
        "chart/values.yaml": "pullPolicy: ''\n", "chart/templates/deploy.yaml": deploy})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "chart/templates/deploy.yaml:12"]


def test_a_recursed_directory_is_read_in_argo_cds_walk_order(tmp_path: Path) -> None:
    """Go's ``filepath.Walk`` (``findManifests``) reads a subdirectory's files where its name
    sorts among the directory's entries: ``a/1.yaml``, ``b.yaml``, ``c/1.yaml``. The copy of
    a repeated resource Argo CD applies is the last in that order."""
    from platecheck.engine import load

    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
    app = DIRECTORY_APP.format(name="web", path="m").replace(
        "    path: m\n", "    path: m\n    directory:\n      recurse: true\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "m/a/1.yaml": cm.format(name="a"), "m/b.yaml": cm.format(name="b"),
        "m/c/1.yaml": cm.format(name="c")})
    (repo / ".git").mkdir()
    [rendered] = load(repo, cache_dir=tmp_path / "cache").rendered
    assert [(r.ref, r.template_file) for r in rendered.resources] == [
        ("ConfigMap/a", "m/a/1.yaml"), ("ConfigMap/b", "m/b.yaml"), ("ConfigMap/c", "m/c/1.yaml")]


def test_a_resource_one_application_renders_twice_is_reported_at_its_last_copy(
        tmp_path: Path) -> None:
    """Two sources of one Application (and two files of one of them) render ConfigMap
    ``dup``: Argo CD keeps the last copy and warns (``NormalizeTargetObjects``); a copy in
    another namespace is another object."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n"
    app = DIRECTORY_APP.format(name="web", path="a").replace(
        "  source:\n    repoURL: https://git.example.com/repo.git\n    path: a\n",
        "  sources:\n    - {repoURL: https://git.example.com/repo.git, path: a}\n"
        "    - {repoURL: https://git.example.com/repo.git, path: b}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "a/cm.yaml": cm, "b/1.yaml": cm, "b/2.yaml": cm,
        "b/3.yaml": cm.replace("name: dup\n", "name: dup\n  namespace: other\n")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.target, f.message) for f in report_.findings
            if f.policy == "argocd-application"] == [
        ("b/1.yaml:4", "prod/web[1]", "ConfigMap/dup in namespace web-prod is rendered by "
         "prod/web[0] and again by prod/web[1] (copy 2) for Application web: Argo CD "
         "applies only its last copy and warns (RepeatedResourceWarning)"),
        ("b/2.yaml:4", "prod/web[1]", "ConfigMap/dup in namespace web-prod is rendered by "
         "prod/web[0] and again by prod/web[1] (copy 3) for Application web: Argo CD "
         "applies only its last copy and warns (RepeatedResourceWarning)"),
    ]


@pytest.mark.parametrize(("tags", "floating"), [
    (("latest", "1.27.0"), []), (("1.27.0", "latest"), ["b/deploy.yaml:13"])])
def test_only_the_copy_argo_cd_applies_of_a_repeated_resource_is_checked(
        tmp_path: Path, tags: tuple[str, str], floating: list[str]) -> None:
    """Two sources of one Application render Deployment ``web``, the second naming the
    destination namespace: one object, of which Argo CD applies the last copy alone
    (``NormalizeTargetObjects``), so the policies check that copy and not the first."""
    app = DIRECTORY_APP.format(name="web", path="a").replace(
        "  source:\n    repoURL: https://git.example.com/repo.git\n    path: a\n",
        "  sources:\n    - {repoURL: https://git.example.com/repo.git, path: a}\n"
        "    - {repoURL: https://git.example.com/repo.git, path: b}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "a/deploy.yaml": _DEPLOYMENT.format(name="web", tag=tags[0]),
        "b/deploy.yaml": _DEPLOYMENT.format(name="web", tag=tags[1]).replace(
            "name: web\n", "name: web\n  namespace: web-prod\n", 1)})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == floating
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "argocd-application"] == [
        ("b/deploy.yaml:4", "Deployment/web in namespace web-prod is rendered by prod/web[0] "
         "and again by prod/web[1] (copy 2) for Application web: Argo CD applies only its "
         "last copy and warns (RepeatedResourceWarning)")]


def test_a_reference_to_a_chart_source_is_refused_not_called_another_repository(
        tmp_path: Path) -> None:
    """``$values`` naming a source of a Helm repository's chart: Argo CD refuses it before
    it renders anything, so it is a could-not-check error at the entry, not a value file of
    another repository left unchecked (which ignoreRepoURLs would hide)."""
    app = DIRECTORY_APP.format(name="web", path="chart").replace(
        "  source:\n    repoURL: https://git.example.com/repo.git\n    path: chart\n",
        "  sources:\n    - repoURL: https://git.example.com/repo.git\n      path: chart\n"
        "      helm:\n        valueFiles: [$values/prod.yaml]\n"
        "    - {repoURL: https://charts.example.com, chart: foo, targetRevision: 1.2.3, "
        "ref: values}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "prod.yaml": "a: 1\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "policies/platecheck.yaml": "policies:\n  argocd-application:\n    options:\n"
                                    "      repoUrls: [https://git.example.com/repo.git]\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy, e.message) for e in report_.errors] == [
        ("apps/web.yaml:12", "could-not-check", "source '$values' has a 'chart' field defined, "
         "but Helm charts are not supported for 'ref' sources")]
    assert [f.policy for f in report_.findings] == []


def test_a_shared_resource_is_at_its_own_name_in_a_file_of_several(tmp_path: Path) -> None:
    """The shared ConfigMap ``settings`` is the second document of its file, after one named
    ``settings-db`` (line 4): the finding is at its own name (line 11), not at the first
    name that holds its name."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "shared-resource", repo)
    shared = repo / "manifests" / "queue" / "settings.yaml"
    shared.write_text(shared.read_text().replace("name: settings", "name: settings-db")
                      + "---\n" + shared.read_text())
    found = [(f.location, f.message.split(" is ")[0]) for f in
             lint(repo, cache_dir=tmp_path / "cache").findings if "deployed by both" in f.message]
    assert found == [("manifests/queue/settings.yaml:11", "ConfigMap/settings in namespace tools")]

@pytest.mark.parametrize(("destination", "shared"), [
    ("server: https://other.clusters.example.com", False),
    ("name: other-cluster", False),
    ("name: in-cluster", True),  # Argo CD's own cluster, by name
])
def test_one_resource_on_two_clusters_is_no_conflict(tmp_path: Path, destination: str,
                                                      shared: bool) -> None:
    """Argo CD tracks a resource per cluster: the same ConfigMap deployed to two clusters
    (each environment's own) is two resources."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "shared-resource", repo)
    queue = repo / "apps" / "queue.yaml"
    text = queue.read_text()
    assert "server: https://kubernetes.default.svc" in text
    queue.write_text(text.replace("server: https://kubernetes.default.svc", destination))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.policy for f in report_.findings] == (["argocd-application"] if shared else [])


def test_an_application_that_generates_itself_is_followed_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "helm-parent", repo)
    (repo / "charts" / "apps" / "templates" / "root.yaml").write_text(
        (repo / "apps" / "root.yaml").read_text())
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets) == ["default/root", "prod/api", "prod/web"]
    assert [f.policy for f in report_.findings] == ["image-tag-pinned"]


def test_generations_deeper_than_the_limit_are_could_not_check(tmp_path: Path) -> None:
    from platecheck.generated import MAX_DEPTH

    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "apps").mkdir()
    chart = repo / "charts" / "level"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: level\nversion: 0.1.0\n")
    (chart / "templates" / "next.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        "  name: level-{{ add1 .Values.depth }}\n  namespace: argocd\nspec:\n  source:\n"
        "    repoURL: https://git.example.com/x.git\n    path: charts/level\n    helm:\n"
        "      parameters:\n        - name: depth\n          value: \"{{ add1 .Values.depth }}\"\n"
        "  destination:\n    namespace: tools\n")
    (chart / "values.yaml").write_text("depth: 0\n")
    (repo / "apps" / "level.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: level-0\n"
        "  namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example.com/x.git\n"
        "    path: charts/level\n  destination:\n    namespace: tools\n")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert len(report_.targets) == MAX_DEPTH + 1
    assert [(e.location, e.message) for e in report_.errors] == [
        ("charts/level/templates/next.yaml:2",
         f"Applications generate Applications more than {MAX_DEPTH} levels deep; "
         f"'level-{MAX_DEPTH + 1}' and what it generates are not checked")]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("case", sorted(p.name for p in SOURCES.iterdir() if p.is_dir()))
def test_nothing_is_skipped_silently(case: str, tmp_path: Path) -> None:
    """Every Application, written or generated, became a rendered target or a finding or
    error that names it."""
    from platecheck.engine import check, load
    from platecheck.policies import configuration

    model = load(SOURCES / case, cache_dir=tmp_path)
    report_ = check(model, configuration(model.root))
    rendered = {r.target.application.name for r in model.rendered
                if r.target.application is not None}
    told = [(f.location, f.message) for f in (*report_.findings, *report_.errors)]
    for app in (*model.applications, *model.generated):
        places = {f"{o.file}:{o.line}" for o in (app.origin(()), *app.places.values())}
        named = any(app.name in message or location in places for location, message in told)
        parents = {a.name for a in model.app_of_apps}
        assert app.name in rendered or named or app.name in parents, (case, app.name)


def _chart(directory: Path, name: str, tags: dict[str, str]) -> None:
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\ndescription: {name}\nversion: 0.1.0\n")
    (directory / "values.yaml").write_text("tag: 1.0.0\n")
    for env, tag in tags.items():
        (directory / f"values-{env}.yaml").write_text(f"tag: {tag}\n")
    (directory / "templates" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n"
        "    - name: app\n      image: registry.example.com/app:{{ .Values.tag }}\n")


def test_charts_without_applications_are_linted_in_chart_mode(tmp_path: Path) -> None:
    from platecheck.engine import load

    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    _chart(repo / "charts" / "web", "web", {"prod": "latest", "stg": "1.0.0"})
    _chart(repo / "charts" / "web" / "charts" / "sub", "sub", {})  # vendored subchart
    model = load(repo, cache_dir=tmp_path / "cache")
    assert sorted((t.id, tuple(v.rel for v in t.value_files)) for t in model.targets) == [
        ("prod/web", ("charts/web/values-prod.yaml",)),
        ("stg/web", ("charts/web/values-stg.yaml",))]


def test_root_without_git_is_where_the_application_paths_resolve(tmp_path: Path) -> None:
    from platecheck.discover import find_root

    repo = tmp_path / "outer" / "repo"
    _chart(repo / "charts" / "web", "web", {"prod": "1.0.0"})
    (repo / "environments" / "apps").mkdir(parents=True)
    (repo / "environments" / "apps" / "web.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
        "spec:\n  source:\n    repoURL: https://git.example.com/x.git\n    path: charts/web\n"
        "  destination:\n    namespace: web-prod\n")
    assert find_root(repo / "environments") == repo
    assert find_root(repo / "environments" / "apps" / "web.yaml") == repo
    assert find_root(repo / "charts" / "web") == repo / "charts" / "web"  # nothing points here


def test_reports_of_every_source_type_survive_the_run_cache(tmp_path: Path) -> None:
    import json

    from platecheck.modeljson import decode_report, encode_report

    report_ = lint(SOURCES / "directory", cache_dir=tmp_path)
    decoded = decode_report(json.loads(json.dumps(encode_report(report_))), report_.root)
    assert decoded == report_
    assert {str(type(t.source_type).__name__) for t in decoded.targets} == {"SourceType"}


def test_application_set_with_a_plain_list_is_expanded(tmp_path: Path) -> None:
    report_ = lint(SOURCES / "appset", cache_dir=tmp_path)
    assert report_.errors == ()
    assert sorted((t.id, t.application.line if t.application else None)
                  for t in report_.targets) == [
        ("default/clusters", 1), ("prod/web", 10), ("stg/web", 12)]
    assert _findings(report_) == [
        ("apps/clusters.yaml:8", "not-rendered", "default/clusters",
         "ApplicationSet clusters is not rendered: its resources are not checked (platecheck "
         "does not expand a clusters generator)"),
        # the list element's key that fills the tla
        ("apps/web.yaml:11", "image-tag-pinned", "prod/web",
         'container "web" in Pod/web uses floating tag "latest"'),
    ]
    assert [f.resource for f in report_.findings if f.policy == "not-rendered"] == [
        "ApplicationSet/clusters"]


def test_changed_since_knows_the_inputs_of_directory_and_kustomize_sources(
        tmp_path: Path) -> None:
    from platecheck.changed import _chart_dirs
    from platecheck.engine import load

    directory = load(SOURCES / "directory", cache_dir=tmp_path)
    assert {t.id: _chart_dirs(t, directory.root) for t in directory.targets} == {
        # (web holds Jsonnet, whose imports may read any file of the repository)
        "prod/plain": ["manifests/plain"], "prod/web": [""]}
    kustomize = load(SOURCES / "kustomize" / "apps" / "web.yaml", cache_dir=tmp_path)
    assert [_chart_dirs(t, kustomize.root) for t in kustomize.targets] == [[""]]


@pytest.mark.usefixtures("kubectl_bin")
def test_kustomize_helm_charts_only_when_vendored(tmp_path: Path) -> None:
    from platecheck.engine import load

    model = load(SOURCES / "kustomize" / "apps" / "inflate.yaml", cache_dir=tmp_path)
    [rendered] = model.rendered
    [pod] = rendered.resources
    assert pod.doc["spec"]["containers"][0]["image"] == "registry.example.com/hello:2.0.0"
    assert pod.template_file == "inflate/kustomization.yaml"
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    shutil.rmtree(repo / "inflate" / "charts")
    report_ = lint(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert [(e.location, e.target, e.message, e.remediation) for e in report_.errors] == [
        ("inflate/kustomization.yaml:2", "prod/inflate", _NO_REPO, _NO_REPO_REMEDY)]
    # of a repository, kustomize would pull it: only platecheck, offline, cannot render it
    kustomization = repo / "inflate" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace(
        "  - name: hello\n", "  - name: hello\n    repo: https://charts.example.com\n"))
    report_ = lint(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert [(e.location, e.message, e.remediation) for e in report_.errors] == [
        ("inflate/kustomization.yaml:2",
         "helmCharts 'hello' is not vendored at charts/hello/ next to the kustomization (where "
         "kustomize looks for it); kustomize would download it, and platecheck renders "
         "offline",
         "Vendor the chart where kustomize looks for it: in the kustomization's directory, "
         "helm pull hello --repo https://charts.example.com --untar --untardir charts, and "
         "commit it (kustomize and Argo CD then build that copy without downloading it).")]


# kustomize pulls a chart it does not find only from the entry's ``repo``: without one,
# ``kubectl kustomize --enable-helm`` fails "no repo specified for pull, no chart found"
_NO_REPO = ("helmCharts 'hello' is not vendored at charts/hello/ next to the kustomization "
            "(where kustomize looks for it), and the entry has no repo to pull it from, so "
            "kustomize's build fails, Argo CD's as well (no repo specified for pull, no chart "
            "found)")
_NO_REPO_REMEDY = ("Vendor the chart at charts/hello/ next to the kustomization (or correct "
                   "the entry's name, version or chart home): Argo CD cannot build it as it is.")


@pytest.mark.parametrize("path", ["vendor/charts/charts/web", "vendor/charts"])
def test_a_source_path_in_a_submodule_not_checked_out_says_so(tmp_path: Path,
                                                              path: str) -> None:
    """A chart in a Git submodule (helloyuanyuan/argocd-apps) of a clone made without its
    submodules: Argo CD checks them out, so the path is not wrong, only missing here. A path
    that is the submodule itself is the empty directory such a clone leaves (it passed,
    nothing of it checked)."""
    repo = write_files(tmp_path / "repo", {
        ".gitmodules": '[submodule "vendor/charts"]\n\tpath = vendor/charts\n'
                       "\turl = https://github.com/example/helm-charts.git\n",
        "apps/web.yaml": application("web-prod", path, "web-prod"),
    })
    (repo / ".git").mkdir()
    (repo / "vendor" / "charts").mkdir(parents=True)
    [error] = lint(repo, cache_dir=tmp_path / "cache").errors
    assert (error.location, error.message) == (
        "apps/web.yaml:10", f"source path '{path}' is in the Git submodule "
        "vendor/charts (https://github.com/example/helm-charts.git), which this checkout has "
        "not checked out")
    assert error.remediation is not None and "git submodule update --init" in error.remediation


_GITMODULES = ('[submodule "ext"]\n\tpath = {path}\n'
               "\turl = https://github.com/example/ext.git\n")


def _submodule_repo(tmp_path: Path, path: str, files: dict[str, str],
                    checked_out: bool) -> Path:
    """A repository whose ``.gitmodules`` declares a submodule at ``path``: an empty
    directory (a clone without its submodules) unless ``checked_out`` (a Pod in it)."""
    repo = write_files(tmp_path / "repo", {".gitmodules": _GITMODULES.format(path=path),
                                           **files})
    (repo / ".git").mkdir()
    (repo / path).mkdir(parents=True, exist_ok=True)
    if checked_out:
        (repo / path / "pod.yaml").write_text(POD)
    return repo


@pytest.mark.parametrize("checked_out", [False, True])
def test_a_recursed_directory_holding_a_submodule_not_checked_out_is_not_checked(
        tmp_path: Path, checked_out: bool) -> None:
    """A directory source with ``recurse`` below which lies a submodule a clone has not
    checked out: Argo CD renders its files too, so a lint of what is here (nothing of it)
    passed what Argo CD's render fails on."""
    app = application("web", "manifests", "web", source_extra="    directory:\n"
                      "      recurse: true\n")
    repo = _submodule_repo(tmp_path, "manifests/ext", {
        "apps/web.yaml": app, "manifests/cm.yaml": CM.format(name="c")}, checked_out)
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    if checked_out:
        assert report_.errors == ()
        assert [(f.location, f.policy) for f in report_.findings] == [
            ("manifests/ext/pod.yaml:7", "resource-ranges")]
        return
    [error] = report_.errors
    assert (error.location, error.target) == ("apps/web.yaml:1", "default/web")
    assert "manifests/ext (https://github.com/example/ext.git)" in error.message
    assert error.remediation == submodules.REMEDY


def test_a_directory_not_recursed_ignores_a_submodule_below_it(tmp_path: Path) -> None:
    """Without ``recurse`` Argo CD reads no subdirectory: the submodule is not read either."""
    repo = _submodule_repo(tmp_path, "manifests/ext", {
        "apps/web.yaml": application("web", "manifests", "web"),
        "manifests/cm.yaml": CM.format(name="c")}, False)
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert (report_.errors, [t.id for t in report_.targets]) == ((), ["default/web"])


_READS_FILES = "data:\n  n: '{{ len (.Files.Glob \"files/**\") }}'\n"


@pytest.mark.parametrize(("module", "template", "refused"), [
    ("charts/c/charts/ext", CM.format(name="c"), True),  # a subchart
    ("charts/c/files/ext", CM.format(name="c") + _READS_FILES, True),  # files it reads
    ("charts/c/files/ext", CM.format(name="c"), False),  # files no template reads
])
def test_a_chart_holding_a_submodule_not_checked_out_is_not_checked(
        tmp_path: Path, module: str, template: str, refused: bool) -> None:
    """A chart whose subchart, or files its templates read, are a submodule a clone has not
    checked out, rendered without them, is not the chart Argo CD renders; files no template
    reads change nothing."""
    repo = _submodule_repo(tmp_path, module, {
        "apps/web.yaml": application("web", "charts/c", "web"),
        "charts/c/Chart.yaml": CHART_C, "charts/c/templates/cm.yaml": template}, False)
    errors = lint(repo, cache_dir=tmp_path / "cache").errors
    assert [(e.location, e.remediation) for e in errors] == (
        [("apps/web.yaml:1", submodules.REMEDY)] if refused else [])
    assert all(f"the chart charts/c holds the Git submodule {module}" in e.message
               for e in errors)


def test_a_value_file_in_a_submodule_not_checked_out_says_so(tmp_path: Path) -> None:
    """A value file of a submodule a clone has not checked out is not missing for Argo CD:
    the error names the submodule and how to check it out."""
    app = application("web", "charts/c", "web", source_extra="    helm:\n"
                      "      valueFiles: [/vendor/values.yaml]\n")
    repo = _submodule_repo(tmp_path, "vendor", {
        "apps/web.yaml": app, "charts/c/Chart.yaml": CHART_C,
        "charts/c/templates/cm.yaml": CM.format(name="c")}, False)
    [error] = lint(repo, cache_dir=tmp_path / "cache").errors
    assert error.location == "apps/web.yaml:12"
    assert error.message == ("value file '/vendor/values.yaml' is in the Git submodule vendor "
                             "(https://github.com/example/ext.git), which this checkout has "
                             "not checked out")
    assert error.remediation == submodules.REMEDY


@pytest.mark.usefixtures("kubectl_bin")
def test_a_kustomize_resource_in_a_submodule_not_checked_out_says_so(tmp_path: Path) -> None:
    """kubectl's error of a base in a submodule a clone has not checked out names the
    submodule and how to check it out."""
    repo = _submodule_repo(tmp_path, "vendor/base", {
        "apps/web.yaml": application("web", "overlay", "web"),
        "overlay/kustomization.yaml": "resources:\n  - ../vendor/base\n"}, False)
    [error] = lint(repo, cache_dir=tmp_path / "cache").errors
    assert error.file == "overlay/kustomization.yaml"
    assert "Git submodule vendor/base" in error.message
    assert error.remediation == submodules.REMEDY


def _unnamespaced(name: str, path: str, namespace: str) -> str:
    """An Application whose file names no ``metadata.namespace``."""
    return application(name, path, namespace).replace("  namespace: argocd\n", "", 1)


def _one_root_and_web(repo: Path, tmp_path: Path) -> None:
    """The repository lints as the Applications root and web, once each."""
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted(t.id for t in report_.targets) == ["default/root", "default/web"]
    assert [f.message for f in report_.findings if f.policy == "argocd-application"] == []


def test_a_self_managing_app_of_apps_chart_without_namespaces_is_one_install(
        tmp_path: Path) -> None:
    """A chart of Applications that names no ``metadata.namespace``, one of them deploying
    the chart itself (BenLikeCode/argocd), linted in chart mode: Argo CD creates them where
    that Application installs the chart, so its own render of the chart makes the same
    Applications, not a second set deploying everything twice."""
    _one_root_and_web(write_files(tmp_path / "repo", {
        "charts/root/Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n",
        "charts/root/templates/root.yaml": _unnamespaced("root", "charts/root", "argocd"),
        "charts/root/templates/web.yaml": _unnamespaced("web", "charts/web", "web"),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\n",
    }), tmp_path)


def test_a_root_written_without_a_namespace_that_its_chart_renders_is_one_application(
        tmp_path: Path) -> None:
    """A root applied by hand with no ``metadata.namespace`` whose chart renders it again,
    namespace-less too (into the root's destination namespace, Argo CD's, where the root was
    applied: brassberry-gitops): one Application, not two roots each deploying the children
    ("deployed by both Application root and Application root")."""
    _one_root_and_web(write_files(tmp_path / "repo", {
        "apps/root.yaml": _unnamespaced("root", "charts/root", "argocd"),
        "charts/root/Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n",
        "charts/root/templates/root.yaml": _unnamespaced("root", "charts/root", "argocd"),
        "charts/root/templates/web.yaml": _unnamespaced("web", "web", "web"),
        "web/cm.yaml": CM.format(name="web")}), tmp_path)


def test_two_app_of_apps_of_one_name_deploying_one_file_are_told_by_namespace(
        tmp_path: Path) -> None:
    """Application ``argocd/apps`` and ``team/apps`` both deploying ``children/``: the
    finding on the child names each parent with its namespace, not ``apps`` twice."""
    repo = write_files(tmp_path / "repo", {
        "roots/a.yaml": application("apps", "children", "argocd"),
        "roots/b.yaml": application("apps", "children", "argocd").replace(
            "  namespace: argocd\n", "  namespace: team\n", 1),
        "children/web.yaml": application("web", "web", "web"),
        "web/cm.yaml": CM.format(name="web")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.message for f in report_.findings if "deployed by both" in f.message] == [
        "Application web: deployed by both Application argocd/apps and Application team/apps, "
        "each managing it: their syncs undo each other, and deleting either deletes it"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_generator_kustomize_cannot_merge_is_at_its_entry(tmp_path: Path) -> None:
    """``behavior: merge`` for a ConfigMap the base does not make (NimbusProTch's
    infraforge): kubectl names the resource as Go prints its id (``Name:"settings"``); the
    error is at the generator entry of that name."""
    repo = write_files(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [cm.yaml]\n",
        "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
        "overlay/kustomization.yaml": "resources: [../base]\nconfigMapGenerator:\n"
                                      "  - name: settings\n    behavior: merge\n"
                                      "    literals: [A=1]\n",
        "apps/app.yaml": application("app-prod", "overlay", "app-prod"),
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report_.errors] == [
        ("overlay/kustomization.yaml:3", "could-not-check")]


_KSOPS = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\nfiles: [s.yaml]\n"


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("entry", ["secrets.yaml", "|-\n" + textwrap.indent(_KSOPS, " " * 4)])
def test_a_kustomize_plugin_is_not_run_and_its_entry_says_so(tmp_path: Path,
                                                             entry: str) -> None:
    """A generator that needs a plugin (ksops, chezmoidotsh/arcane), named by its file or
    written inline (that one had no line): kubectl refuses it without
    --enable-alpha-plugins, and platecheck runs none; the error is at the entry naming it
    and says why."""
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": f"resources: [cm.yaml]\ngenerators:\n  - {entry}\n",
        "app/secrets.yaml": _KSOPS,
        "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
        "apps/app.yaml": application("app-prod", "app", "app-prod"),
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    [error] = report_.errors
    assert (error.location, error.policy) == ("app/kustomization.yaml:3", "could-not-check")
    assert "'ksops'" in error.message
    assert error.remediation is not None and "runs no kustomize plugin" in error.remediation


@pytest.mark.usefixtures("kubectl_bin")
def test_each_application_of_a_file_a_kustomize_app_of_apps_lists_is_its_child(
        tmp_path: Path) -> None:
    """A kustomization of Applications listing a file of two (Mayne0213/lumie-infra):
    ``kubectl kustomize`` outputs both, so both are deployed, each known by its own
    document's line, not the file's first."""
    pair = (application("first", "manifests", "first-prod") + "---\n"
            + application("second", "manifests", "second-prod"))
    repo = write_files(tmp_path / "repo", {
        "bootstrap/root.yaml": application("root", "apps", "argocd"),
        "apps/kustomization.yaml": "resources: [pair.yaml]\n",
        "apps/pair.yaml": pair,
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
    })
    (repo / ".git").mkdir()
    from platecheck.engine import load_and_check

    model, report_ = load_and_check(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.message for f in report_.findings if f.policy == "argocd-application"] == []
    second = pair.splitlines().index("kind: Application", 2) + 1
    assert sorted((a.name, a.line) for a in model.generated) == [
        ("first", 2), ("second", second)]


# a chart vendored for each environment's kustomization, writing its image tag
_TAG_CHART = {"Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
              "values.yaml": "image:\n  tag: 1.0.0\n",
              "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
                                   "data:\n  tag: {{ .Values.image.tag | quote }}\n"}
_TAG_CHARTS = {f"{env}/charts/web/{name}": text for env in ("stg", "prod")
               for name, text in _TAG_CHART.items()}


def _kustomize_consistency(repo: Path, tmp_path: Path) -> list[tuple[str, str]]:
    """The env-consistency findings (location, message) of ``repo``'s prod and stg
    kustomizations, each deployed by an Application; the run has no error."""
    write_files(repo, {"apps/web-prod.yaml": application("web-prod", "prod", "web-prod"),
                       "apps/web-stg.yaml": application("web-stg", "stg", "web-stg")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    return [(f.location, f.message) for f in report_.findings if f.policy == "env-consistency"]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("prod_values", "found"), [
    ("image:\n  tag: 1.25.3\n", []),
    ("image:\n  tag: 1.25.3\nreplicas: 2\n",
     [("prod/values-prod.yaml:3", 'values key "helmCharts[0].valuesInline.replicas" is set '
                                  "for prod/web but not for stg/web")]),
])
def test_a_helm_charts_values_file_and_inline_values_compare_as_the_charts_values(
        tmp_path: Path, prod_values: str, found: list[tuple[str, str]]) -> None:
    """env-consistency compares what a kustomization gives its chart, not how: production's
    ``valuesFile`` and staging's ``valuesInline`` setting the same keys are consistent; a key
    only the file sets is at its line there."""
    repo = write_files(tmp_path / "repo", {
        **_TAG_CHARTS,
        "prod/kustomization.yaml": "helmCharts:\n  - name: web\n    releaseName: web\n"
                                   "    valuesFile: values-prod.yaml\n",
        "prod/values-prod.yaml": prod_values,
        "stg/kustomization.yaml": "helmCharts:\n  - name: web\n    releaseName: web\n"
                                  "    valuesInline:\n      image:\n        tag: 1.25.3\n",
    })
    assert _kustomize_consistency(repo, tmp_path) == found


_UNSET_TAG = ('values key "helmCharts[0].valuesInline.image.tag" is set for prod/web but not '
              "for stg/web")


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("entry", "found"), [
    # kustomize's merge of the inline values over the file clears a key they set to null:
    # helm gets no such key and gives it the chart's default, as production gets it
    ("", []),
    ("    valuesFile: values-stg.yaml\n", []),
    # ``merge``: the file's value wins over the inline null
    ("    valuesMerge: merge\n", []),
    # a null the file does not override reaches helm, which deletes the chart's default
    ("    valuesMerge: merge\n    valuesFile: values-stg.yaml\n",
     [("prod/charts/web/values.yaml:2", _UNSET_TAG)]),
    ("    valuesMerge: replace\n", [("prod/charts/web/values.yaml:2", _UNSET_TAG)]),
])
def test_a_null_in_a_helm_charts_inline_values_is_as_kustomize_merges_it(
        tmp_path: Path, entry: str, found: list[tuple[str, str]]) -> None:
    """A ``valuesInline`` null is cleared from the values file kustomize writes when it is
    merged over the file (kyaml's merge2), so the chart's default comes back; helm deletes
    the key only when the null reaches it (``replace``, or ``merge`` over a file without
    the key). (``kubectl kustomize --enable-helm``: the staging chart gets ``1.0.0`` in
    the first three cases, no tag in the last two; only the tag is compared here.)"""
    repo = write_files(tmp_path / "repo", {
        **_TAG_CHARTS,
        "prod/kustomization.yaml": "helmCharts:\n  - name: web\n    releaseName: web\n",
        "stg/kustomization.yaml": "helmCharts:\n  - name: web\n    releaseName: web\n"
                                  + entry + "    valuesInline:\n      image:\n        tag: null\n",
        "stg/values-stg.yaml": "image:\n  tag: 1.2.0\n" if "merge" not in entry
                               else "other: 1\n",
    })
    assert [row for row in _kustomize_consistency(repo, tmp_path) if "image.tag" in row[1]] \
        == found


_INLINE_TAG = '  valuesInline:\n    image:\n      tag: "1.0"\n'


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("entry", "files", "location"), [
    # kustomize passes additionalValuesFiles to helm after the values file it writes of
    # valuesFile and valuesInline: they win over both
    ("  valuesFile: prod-values.yaml\n" + _INLINE_TAG
     + "  additionalValuesFiles:\n  - extra.yaml\n",
     {"extra.yaml": "image:\n  repository: nginx\n  tag: latest\n"}, "extra.yaml:3"),
    ("  valuesFile: prod-values.yaml\n",
     {"prod-values.yaml": "image:\n  tag: latest\n"}, "prod-values.yaml:2"),
    # ``replace`` without inline values: kustomize passes the valuesFile as it is
    ("  valuesMerge: replace\n  valuesFile: prod-values.yaml\n",
     {"prod-values.yaml": "image:\n  tag: latest\n"}, "prod-values.yaml:2"),
    # the chart's own values.yaml, as for a Helm source
    ("", {"charts/web/values.yaml": "image:\n  repository: nginx\n  tag: latest\n"},
     "charts/web/values.yaml:3"),
    # ``merge`` without a valuesFile: the chart's values.yaml over the inline ones
    ("  valuesMerge: merge\n" + _INLINE_TAG,
     {"charts/web/values.yaml": "image:\n  repository: nginx\n  tag: latest\n"},
     "charts/web/values.yaml:3"),
])
def test_a_helm_charts_value_points_at_the_file_that_gave_it(
        tmp_path: Path, entry: str, files: dict[str, str], location: str) -> None:
    """A rendered value of a chart a kustomization inflates is at the line that gave it, in
    the order kustomize and helm apply the entry's values: the chart's values.yaml, then
    the ``valuesFile`` and ``valuesInline`` as ``valuesMerge`` says, then each of
    ``additionalValuesFiles``."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                  "  selector: {matchLabels: {a: b}}\n  template:\n"
                  "    metadata: {labels: {a: b}}\n    spec:\n      containers:\n"
                  "      - name: web\n"
                  '        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
                  "        imagePullPolicy: IfNotPresent\n        resources:\n"
                  "          requests: {cpu: 10m, memory: 10Mi}\n"
                  "          limits: {cpu: 100m, memory: 100Mi}\n")
    overlay = {"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
               "charts/web/values.yaml": "image:\n  repository: nginx\n  tag: 1.27.0\n",
               "charts/web/templates/d.yaml": deployment,
               "prod-values.yaml": "image:\n  repository: nginx\n",
               "kustomization.yaml": "helmCharts:\n- name: web\n  releaseName: web\n" + entry,
               **files}
    repo = write_files(tmp_path / "repo", {
        **{f"prod/{rel}": text for rel, text in overlay.items()},
        "apps/web-prod.yaml": application("web-prod", "prod", "web-prod")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [
        (f"prod/{location}", 'container "web" in Deployment/web uses floating tag "latest"')]


@pytest.mark.parametrize(("vendored", "found"), [
    ("charts/hello-0.1.0/hello", True), ("charts/hello", False)])
def test_a_chart_of_a_repository_at_a_version_is_looked_for_where_kustomize_looks(
        tmp_path: Path, vendored: str, found: bool) -> None:
    """With ``repo`` and ``version``, kustomize's chart home is ``charts/<name>-<version>/``
    (``absChartHome``): a chart vendored elsewhere would be downloaded."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    inflate = repo / "inflate"
    (inflate / "charts" / "hello").rename(tmp_path / "hello")
    (inflate / vendored).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "hello").rename(inflate / vendored)
    kustomization = inflate / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace(
        "  - name: hello\n", "  - name: hello\n    repo: https://charts.example.com\n"
        "    version: 0.1.0\n"))
    report_ = lint(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    if found:
        assert report_.errors == ()
    else:
        assert [(e.location, e.message.split(";")[0]) for e in report_.errors] == [
            ("inflate/kustomization.yaml:2", "helmCharts 'hello' is not vendored at "
             "charts/hello-0.1.0/hello/ next to the kustomization (where kustomize looks for it)")]


def test_kustomize_helm_charts_of_a_nested_kustomization_are_inflated(tmp_path: Path) -> None:
    """The build option is the build's: a chart that a kustomization the source lists
    inflates is rendered (and must be vendored) as one the source's own kustomization
    inflates."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "outer").mkdir()
    (repo / "outer" / "kustomization.yaml").write_text("resources:\n  - ../inflate\n")
    (repo / "apps" / "inflate.yaml").write_text(
        (repo / "apps" / "inflate.yaml").read_text().replace("path: inflate", "path: outer"))
    from platecheck.engine import load

    model = load(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert model.errors == ()
    [rendered] = model.rendered
    [pod] = rendered.resources
    assert pod.doc["spec"]["containers"][0]["image"] == "registry.example.com/hello:2.0.0"
    shutil.rmtree(repo / "inflate" / "charts")
    report_ = lint(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report_.errors] == [
        ("inflate/kustomization.yaml:2", _NO_REPO)]  # in the nested kustomization, at the entry


def test_jsonnet_that_never_ends_is_stopped(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "directory", repo)
    (repo / "policies" / "platecheck.yaml").write_text(
        'kubernetesVersion: "1.31.0"\nrenderTimeout: 3\n')
    (repo / "manifests" / "web" / "main.jsonnet").write_text(
        "local f(n) = f(n + 1) + 1;\nfunction(tag) f(0)\n")
    report_ = lint(repo / "apps" / "web.yaml", cache_dir=tmp_path / "cache")
    assert report_.exit_code == 2
    [error] = report_.errors
    assert error.file == "manifests/web/main.jsonnet"


def test_a_chart_of_applications_in_chart_mode_generates_each_child_once(tmp_path: Path) -> None:
    # Chart mode renders the parent chart once per environment; the same Application from
    # the same template line is one Application, not a name used twice.
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "apps" / "templates").mkdir(parents=True)
    (repo / "apps" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: apps\ndescription: apps\nversion: 0.1.0\n")
    (repo / "apps" / "values.yaml").write_text("{}\n")
    (repo / "apps" / "templates" / "child.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: child\n"
        "  namespace: argocd\nspec:\n  project: default\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: tools\n  source:\n"
        "    repoURL: https://example.com/repo.git\n    path: manifests\n")
    (repo / "manifests").mkdir()
    (repo / "manifests" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f for f in report.findings if "also used" in f.message] == []
    assert sorted(t.id for t in report.targets if t.id.endswith("child")) == ["default/child"]


KLOG_STDERR = (
    'E1202 16:06:59.630879   27901 run.go:72] "command failed" err=<\n'
    "\tError: unknown shorthand flag: 'c' in -c\n"
    "\t: unable to run: 'helm version -c --short' (is 'helm' installed?): exit status 1\n"
    " >\n")


@pytest.mark.parametrize("stderr", [
    KLOG_STDERR,
    "error: Error: unknown shorthand flag: 'c' in -c\n"
    ": unable to run: 'helm version -c --short' (is 'helm' installed?): exit status 1\n",
])
def test_kubectl_error_is_the_cause_not_the_log_line(stderr: str) -> None:
    from platecheck.kustomize_errors import kubectl_error

    assert kubectl_error(stderr) == (
        "unknown shorthand flag: 'c' in -c: unable to run: 'helm version -c --short' "
        "(is 'helm' installed?): exit status 1")


def _helm_release(version: str) -> Path:
    from platecheck.helmbin import install_helm

    return install_helm(version)  # from the cache `platecheck setup` filled


@pytest.mark.usefixtures("kubectl_bin")
def test_kustomize_inflates_charts_with_helm_3_when_platecheck_runs_helm_4(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helm4, helm3 = _helm_release("4.1.4"), _helm_release("3.17.3")
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "user-cache"))  # no Helm 3
    app = SOURCES / "kustomize" / "apps" / "inflate.yaml"
    report_ = lint(app, helm=helm4, cache_dir=tmp_path / "empty")
    assert report_.exit_code == 2
    assert [(e.location, e.target, e.message) for e in report_.errors] == [
        ("inflate/kustomization.yaml", "prod/inflate",
         "kustomize's helmCharts need Helm 3 (kustomize runs `helm version -c`, which "
         "Helm 4 removed; Argo CD inflates them with Helm 3), and none was found: run "
         "`platecheck setup --helm-version 3`")]
    cache = tmp_path / "cache"
    (cache / "helm" / "3.17.3").mkdir(parents=True)
    (cache / "helm" / "3.17.3" / "helm").symlink_to(helm3)
    report_ = lint(app, helm=helm4, cache_dir=cache)
    assert (report_.exit_code, report_.errors) == (0, ())
    assert [t.id for t in report_.targets] == ["prod/inflate"]


def test_two_charts_of_one_name_in_chart_mode_are_known_by_their_directories(
        tmp_path: Path) -> None:
    # argoproj/argocd-example-apps: blue-green/ and helm-guestbook/ both name helm-guestbook
    report_ = lint(SOURCES / "same-chart-name", cache_dir=tmp_path)
    assert [(t.id, t.app, t.chart.rel if t.chart else None) for t in report_.targets] == [
        ("prod/blue-green", "blue-green", "blue-green"),
        ("prod/helm-guestbook", "helm-guestbook", "helm-guestbook")]
    assert {(f.location, f.target) for f in report_.findings} == {
        ("blue-green/values-prod.yaml:2", "prod/blue-green")}
    assert report_.exit_code == 1


def _two_webs(directory: Path, second: Callable[[str], str] = lambda text: text) -> Path:
    """A repository of two Applications named web (apps/web.yaml, and apps/web-b.yaml in
    namespace team-b, ``second`` applied to its text), both deploying charts/web."""
    repo = directory / "repo"
    shutil.copytree(SOURCES / "two-parents", repo)
    child = (repo / "charts" / "parent-a" / "templates" / "web.yaml").read_text()
    shutil.rmtree(repo / "charts" / "parent-a")
    shutil.rmtree(repo / "charts" / "parent-b")
    for name in ("team-a.yaml", "team-b.yaml"):
        (repo / "apps" / name).unlink()
    (repo / "apps" / "web.yaml").write_text(child)
    (repo / "apps" / "web-b.yaml").write_text(
        second(child.replace("namespace: argocd", "namespace: team-b")))
    return repo


def test_applications_of_one_name_in_two_namespaces_are_two_targets(tmp_path: Path) -> None:
    repo = _two_webs(tmp_path)
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report_.targets] == ["prod/web", "prod/web@apps/web.yaml:1"]
    from platecheck.config import load_config
    from platecheck.discover import discover
    from platecheck.plan import Planner

    found = discover(repo, [repo])
    # what waivers are judged against (a waiver of either target is not stale)
    assert Planner(load_config(repo), found).target_ids(found) == (
        "prod/web", "prod/web@apps/web.yaml:1")


def test_three_renders_of_one_template_line_make_three_targets(tmp_path: Path) -> None:
    """Three Applications deploy one chart whose template writes Application ``leaf`` in the
    release's namespace: three Applications of one name in three namespaces, as Argo CD
    allows, each a target of its own id."""
    write_files(tmp_path, {
        ".git/HEAD": "", "charts/c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "charts/c/templates/leaf.yaml": DIRECTORY_APP.format(name="leaf", path="manifests")
        .replace("namespace: argocd", "namespace: {{ .Release.Namespace }}"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
    for team in ("a", "b", "c"):
        write_files(tmp_path, {f"apps/boot-{team}.yaml": application(
            f"boot-{team}", "charts/c", f"team-{team}")})
    report_ = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report_.errors == ()
    leaves = sorted(t.id for t in report_.targets if "leaf" in t.id)
    assert leaves == ["prod/leaf", "prod/leaf@charts/c/templates/leaf.yaml:2",
                      "prod/leaf@charts/c/templates/leaf.yaml:2#2"]  # kind: line


MATRIX_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: child
  namespace: argocd
spec:
  generators:
    - matrix:
        generators:
          - list: {{elements: [{{name: {element}}}]}}
          - clusters: {{}}
  template:
    metadata:
      name: '{{{{name}}}}'
    spec:
      project: default
      source: {{repoURL: https://git.example.com/repo.git, path: {path}}}
      destination: {{server: https://kubernetes.default.svc, namespace: web}}
"""


@pytest.mark.parametrize("generated", [False, True], ids=["written", "generated"])
def test_two_application_sets_of_one_name_are_both_reported(tmp_path: Path,
                                                             generated: bool) -> None:
    """Two ApplicationSets of one namespace and name, written in two files or rendered by
    two charts (chart mode): Argo CD keeps one; each is reported as not rendered, and the
    second as using the first one's name."""
    files = {".git/HEAD": "", "apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"
             "metadata:\n  name: a\n"}
    for team in ("a", "b"):
        text = MATRIX_SET.format(element=f"x{team}", path=f"apps/{team}")
        if generated:
            files[f"roles/{team}/Chart.yaml"] = f"apiVersion: v2\nname: {team}\nversion: 1.0.0\n"
            files[f"roles/{team}/templates/set.yaml"] = text.replace(
                "'{{name}}'", '\'{{ "{{" }}name{{ "}}" }}\'')
        else:
            files[f"argocd/{team}.yaml"] = text
    report_ = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    place = "roles/{}/templates/set.yaml" if generated else "argocd/{}.yaml"
    assert sorted(f.file for f in report_.findings if f.policy == "not-rendered") == [
        place.format("a"), place.format("b")]
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "argocd-application"] == [
        (f"{place.format('b')}:4",
         f"ApplicationSet child: name is also used by {place.format('a')}:4")]


def test_an_application_set_a_kustomization_builds_from_its_file_is_that_one(
        tmp_path: Path, kubectl_bin: Path) -> None:
    """A Kustomize source builds the ApplicationSet file the walk found too, with labels of
    its own: one ApplicationSet, reported once as not rendered, no name used twice."""
    text = MATRIX_SET.format(element="xa", path="apps/a")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "sets/set.yaml": text,
        "sets/kustomization.yaml": "resources: [set.yaml]\nlabels:\n  - pairs: {team: a}\n",
        "apps/root.yaml": DIRECTORY_APP.format(name="root", path="sets")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.file for f in report_.findings if f.policy == "not-rendered"] == ["sets/set.yaml"]
    assert [f for f in report_.findings if "also used" in f.message] == []


def test_an_application_that_fails_planning_keeps_an_id_of_its_own(tmp_path: Path) -> None:
    """Two Applications of one name, the first of which cannot be planned: its error and the
    other one's target are known by two ids (the error was reported against the other)."""
    repo = _two_webs(tmp_path, lambda text: text.replace(
        "    path: charts/web\n", "    path: charts/web\n    helm:\n"
        "      valueFiles: [missing.yaml]\n"))
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report_.targets] == ["prod/web@apps/web.yaml:1"]
    assert [(e.location, e.target) for e in report_.errors] == [
        ("apps/web-b.yaml:12", "prod/web")]


def test_a_target_id_planned_twice_is_an_internal_error(tmp_path: Path) -> None:
    from platecheck.engine import load
    from platecheck.planning import unique_ids

    model = load(SOURCES / "same-chart-name", cache_dir=tmp_path)
    first, second = model.targets
    import dataclasses

    with pytest.raises(RuntimeError, match="prod/blue-green"):
        unique_ids([first, dataclasses.replace(second, id=first.id)])


@pytest.mark.usefixtures("kubectl_bin")
def test_kustomize_builds_are_cached_failed_ones_too_and_a_changed_base_rebuilds(
        tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "overlays" / "broken").mkdir()
    (repo / "overlays" / "broken" / "kustomization.yaml").write_text(
        "resources:\n  - ../../missing\n")
    (repo / "apps" / "broken.yaml").write_text(
        (repo / "apps" / "web.yaml").read_text().replace("name: web", "name: broken")
        .replace("overlays/prod", "overlays/broken"))
    cache = tmp_path / "cache"

    def outcome(report_: Report) -> list[tuple[str, str | None, str]]:
        return [(f.location, f.target, f.policy)
                for f in (*report_.findings, *report_.errors)]

    cold = lint(repo, cache_dir=cache, jobs=2)
    from platecheck.model import SourceType

    builds = len([t for t in cold.targets if t.source_type is SourceType.KUSTOMIZE])
    assert builds == 4 and (cold.renders, cold.builds, cold.cache_hits) == (0, 4, 0)
    assert summary_line(count(cold)).endswith("(0 helm runs, 4 kustomize builds, 0 cached)")
    assert ("overlays/broken/kustomization.yaml:2", "prod/broken", "could-not-check") in \
        outcome(cold)
    warm = lint(repo, cache_dir=cache)
    assert (warm.renders, warm.builds, warm.cache_hits) == (0, 0, 4)  # no kubectl process
    assert summary_line(count(warm)).endswith("(0 helm runs, 4 cached)")
    assert outcome(warm) == outcome(cold)
    base = repo / "base" / "deployment.yaml"
    base.write_text(base.read_text().replace("replicas: 1", "replicas: 2"))
    changed = lint(repo, cache_dir=cache)
    # the overlays over the base build again, and the broken one, whose missing base could
    # be anywhere in the repository; the chart inflation reads nothing of the base
    assert (changed.builds, changed.cache_hits) == (3, 1)
    [web] = [r for r in load_model(repo, cache) if r.target.id == "prod/web"]
    assert web.resources[0].doc["spec"]["replicas"] == 2
    held = [p for p in cache.rglob("*") if p.is_file() and os.fsencode(str(tmp_path))
            in p.read_bytes()]
    assert held == []  # no cache entry holds a path of the checkout


def load_model(repo: Path, cache: Path) -> tuple[object, ...]:
    from platecheck.engine import load

    return load(repo, cache_dir=cache).rendered


def test_unclassified_applications_of_one_template_line_are_counted_each(
        tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "helm-parent-values", repo)
    (repo / "charts" / "apps" / "values-prod.yaml").write_text(
        "apps:\n  - name: cache\n    path: charts/web\n    valueFile: values.yaml\n"
        "  - name: queue\n    path: charts/web\n    valueFile: values.yaml\n")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets if t.unclassified) == [
        "default/cache", "default/queue", "default/root"]
    assert count(report_).unclassified == 3


def test_resources_named_by_the_api_server_are_not_shared(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "shared-resource", repo)
    for app in ("cache", "queue"):  # the same Job in both: each sync creates a new one
        (repo / "manifests" / app / "migrate.yaml").write_text(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n"
            "  namespace: tools\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n"
            "      containers:\n        - name: migrate\n"
            "          image: registry.example.com/migrate:1.0.0\n"
            "          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n"
            "            limits: {cpu: 100m, memory: 64Mi}\n")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.policy) for f in report_.findings] == [
        ("manifests/queue/settings.yaml:4", "argocd-application")]


def test_chart_mode_checks_a_chart_an_application_deploys_as_that_application(
        tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "platecheck.yaml").write_text('kubernetesVersion: "1.31.0"\n')
    _chart(repo / "web", "web", {})
    (repo / "apps" / "templates").mkdir(parents=True)
    (repo / "apps" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: apps\ndescription: apps\nversion: 0.1.0\n")
    (repo / "apps" / "templates" / "web.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
        "  namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example.com/x.git\n"
        "    path: web\n  destination:\n    namespace: tools\n")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    # argocd-example-apps: apps/ generates Applications of blue-green/, helm-guestbook/...;
    # each of those charts is checked as its Application deploys it, not also on its own
    assert sorted(t.id for t in report_.targets) == ["default/web", "prod/apps", "stg/apps"]
    assert {f.target for f in report_.findings} <= {"default/web", "prod/apps", "stg/apps"}
    assert {h.chart.rel for h in load_model_lints(repo, tmp_path / "cache")} == {"apps", "web"}


def load_model_lints(repo: Path, cache: Path) -> tuple[object, ...]:
    from platecheck.engine import load

    return load(repo, cache_dir=cache).helm_lint


def test_a_resource_named_by_generate_name_is_shown_by_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "shared-resource", repo)
    (repo / "manifests" / "queue" / "migrate.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n"
        "  namespace: tools\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n"
        "      containers:\n        - name: migrate\n"
        "          image: registry.example.com/migrate:1.0.0\n")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.resource) for f in report_.findings if f.policy == "resource-ranges"
            ] == [("manifests/queue/migrate.yaml:11", "Job/migrate-<generated>[migrate]")]


DIRECTORY_APP = application("{name}", "{path}", "{name}-prod")  # a format string


@pytest.mark.usefixtures("kubectl_bin")
def test_a_child_one_overlay_renders_as_written_is_checked_beside_one_another_changes(
        tmp_path: Path) -> None:
    """Overlay ``a`` patches Application ``web``'s path, overlay ``c`` outputs it as
    written (path ``web/c``, a floating tag): the patched one replaces the file's target,
    and the one as written is still checked, whichever root is built first."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                  "  template:\n    spec:\n      containers:\n        - name: web\n"
                  "          image: nginx:{tag}\n          imagePullPolicy: IfNotPresent\n")
    files = {
        "roots/a.yaml": DIRECTORY_APP.format(name="root-a", path="apps/a"),
        "roots/c.yaml": DIRECTORY_APP.format(name="root-c", path="apps/c"),
        "apps/base/kustomization.yaml": "resources: [web.yaml]\n",
        "apps/base/web.yaml": application("web", "web/c", "web-prod"),
        "apps/a/kustomization.yaml": (
            "resources: [../base]\npatches:\n  - target: {kind: Application, name: web}\n"
            "    patch: |-\n      - op: replace\n        path: /spec/source/path\n"
            "        value: web/a\n"),
        "apps/c/kustomization.yaml": "resources: [../base]\n",
        "web/a/deploy.yaml": deployment.format(tag="1.27.0"),
        "web/c/deploy.yaml": deployment.format(tag="latest")}
    for first, second in (("a", "c"), ("c", "a")):  # (roots are read in file order)
        repo = write_files(tmp_path / f"repo-{first}", {
            **{k: v for k, v in files.items() if not k.startswith("roots/")},
            f"roots/1-{first}.yaml": files[f"roots/{first}.yaml"],
            f"roots/2-{second}.yaml": files[f"roots/{second}.yaml"]})
        (repo / ".git").mkdir()
        report_ = lint(repo, cache_dir=tmp_path / "cache")
        assert report_.errors == ()
        assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
            "web/c/deploy.yaml:10"]


@pytest.mark.usefixtures("kubectl_bin")
def test_what_a_patched_child_generates_is_reached_through_it(tmp_path: Path) -> None:
    """A Kustomize app-of-apps outputs Application ``child`` from its base, patched (the
    usual branch patch: ``targetRevision``): the built child replaces the file's, and the
    Application its own kustomization lists is reached through it, not an orphan."""
    child = application("child", "child", "argocd").replace(
        "    path: child\n", "    path: child\n    targetRevision: main\n")
    repo = write_files(tmp_path / "repo", {
        "apps/root.yaml": DIRECTORY_APP.format(name="root", path="root/overlay"),
        "root/base/kustomization.yaml": "resources: [child.yaml]\n",
        "root/base/child.yaml": child,
        "root/overlay/kustomization.yaml": "resources: [../base]\npatches:\n"
                                           "  - path: branch.yaml\n",
        "root/overlay/branch.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            "  name: child\n  namespace: argocd\nspec:\n  source:\n"
            "    repoURL: https://git.example.com/repo.git\n    path: child\n"
            "    targetRevision: HEAD\n"),
        "child/kustomization.yaml": "resources: [grand.yaml]\n",
        "child/grand.yaml": application("grand", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.message for f in report_.findings if "not reachable" in f.message] == []


def test_a_link_to_a_missing_file_is_passed_over(tmp_path: Path) -> None:
    """A symbolic link to a file that does not exist (a build output not committed), in a
    directory source and elsewhere: Argo CD passes over it ("destination of symlink ... is
    missing"), so does platecheck; the source's other files are checked."""
    repo = write_files(tmp_path / "repo", {
        "apps/app.yaml": DIRECTORY_APP.format(name="web", path="manifests"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    (repo / "docs").mkdir()
    for link in (repo / "manifests" / "generated.yaml", repo / "docs" / "example.yaml"):
        link.symlink_to("../build/generated.yaml")
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [r.ref for t in model.rendered for r in t.resources] == ["ConfigMap/web"]


def test_a_symbolic_link_loop_fails_the_directory_source(tmp_path: Path) -> None:
    """A link that cannot be followed for another reason than a missing destination (a
    loop, excluded or not): Argo CD's ``filepath.EvalSymlinks`` fails ("too many links"), and
    with it the whole source (``getPotentiallyValidManifestFile``): a could-not-check error
    at the link, not a source passed with its other files."""
    repo = write_files(tmp_path / "repo", {
        "apps/app.yaml": application("web", "manifests", "web-prod",
                                     source_extra="    directory: {exclude: b.yaml}\n"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    (repo / "manifests" / "a.yaml").symlink_to("b.yaml")
    (repo / "manifests" / "b.yaml").symlink_to("a.yaml")
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report_.errors] == [(
        "manifests/a.yaml", "symbolic link a.yaml cannot be followed (Too many levels of "
        "symbolic links); Argo CD fails to evaluate it and renders nothing of the source")]
    assert report_.exit_code == 2


def test_applications_beside_the_root_in_its_file_are_deployed_with_it(tmp_path: Path) -> None:
    """``kubectl apply -f bootstrap.yaml`` creates every Application of the file, the root
    app-of-apps and the one beside it; an Application in no such file nor under an
    app-of-apps is still an orphan."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "children").mkdir()
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n")
    (tmp_path / "bootstrap.yaml").write_text(
        DIRECTORY_APP.format(name="projects", path="manifests") + "---\n"
        + DIRECTORY_APP.format(name="root", path="children"))
    (tmp_path / "children" / "web.yaml").write_text(
        DIRECTORY_APP.format(name="web", path="other"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n")
    (tmp_path / "lost.yaml").write_text(DIRECTORY_APP.format(name="lost", path="other"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    orphans = [f.message for f in report.findings if "not reachable" in f.message]
    assert orphans == ["Application lost: is not reachable from an app-of-apps (roots: "
                       "bootstrap.yaml); unless something else applies it, Argo CD "
                       "never deploys it"]


def test_an_application_of_another_repository_beside_a_root_is_a_root(tmp_path: Path) -> None:
    """``bootstrap/`` holds this repository's app-of-apps and one of another repository's
    directory (its app-of-apps, what it holds unknown here): applied alike, both roots. The
    same Application elsewhere, beside no root, is still not reachable."""
    remote = DIRECTORY_APP.format(name="{name}", path="apps").replace(
        "https://git.example.com/repo.git", "https://git.example.com/team-b.git")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/team-a.yaml": DIRECTORY_APP.format(name="team-a", path="team-a/apps"),
        "bootstrap/team-b.yaml": remote.format(name="team-b"),
        "team-a/apps/web.yaml": DIRECTORY_APP.format(name="web", path="team-a/web"),
        "team-a/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "misc/team-c.yaml": remote.format(name="team-c")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.message for f in report.findings if "not reachable" in f.message] == [
        "Application team-c: is not reachable from an app-of-apps (roots: "
        "bootstrap/team-a.yaml, bootstrap/team-b.yaml); unless something else applies it, "
        "Argo CD never deploys it"]


def test_a_not_reachable_message_names_five_roots_and_its_detail_every_one(
        tmp_path: Path) -> None:
    """Seven Applications applied by hand deploy directories (roots); one more is reached by
    none: its message names the first five roots and how many more, its detail all seven."""
    files = {".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
             "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
             "misc/lost.yaml": DIRECTORY_APP.format(name="lost", path="web")}
    for n in range(7):
        files[f"roots/r{n}.yaml"] = DIRECTORY_APP.format(name=f"r{n}", path=f"apps{n}")
        files[f"apps{n}/a.yaml"] = DIRECTORY_APP.format(name=f"a{n}", path="web")
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    [lost] = [f for f in report.findings if "not reachable" in f.message]
    assert lost.message == (
        "Application lost: is not reachable from an app-of-apps (roots: roots/r0.yaml, "
        "roots/r1.yaml, roots/r2.yaml, roots/r3.yaml, roots/r4.yaml and 2 more); unless "
        "something else applies it, Argo CD never deploys it")
    assert lost.detail == "roots: " + ", ".join(f"roots/r{n}.yaml" for n in range(7))


@pytest.mark.parametrize(("installed", "config", "lost"), [
    ("install/cm.yaml", "", ["lost"]),  # Argo CD's argocd-cm: bootstrapped by hand
    ("install/other.yaml", "", ["argocd", "lost"]),
    ("install/other.yaml", "appOfApps: [root, argocd]", ["lost"]),  # named a root
], ids=["installs-argo-cd", "installs-something-else", "named-in-appOfApps"])
def test_an_application_bootstrapped_beside_the_root_is_a_root(
        tmp_path: Path, installed: str, config: str, lost: list[str]) -> None:
    """``bootstrap/`` holds the root and ``argocd``, an Application applied by hand that
    installs Argo CD itself (its ``argocd-cm``): no app-of-apps deploys it, by design, so it
    is a root, not unreachable. One installing something else is unreachable unless
    appOfApps names it: the option names any Application applied by hand."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/root.yaml": DIRECTORY_APP.format(name="root", path="apps"),
        "bootstrap/argocd.yaml": DIRECTORY_APP.format(name="argocd", path="install"),
        installed: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n"
        if installed.endswith("cm.yaml") else CM.format(name="other"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web"),
        "web/cm.yaml": CM.format(name="web"),
        "misc/lost.yaml": DIRECTORY_APP.format(name="lost", path="web"),
        **({"policies/platecheck.yaml": "policies:\n  argocd-application:\n    options:\n"
                                        f"      {config}\n"} if config else {})})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(f.message.split(":")[0].removeprefix("Application ")
                  for f in report.findings if "not reachable" in f.message) == lost


@pytest.mark.parametrize("broken", ["helm", "jsonnet"])
def test_an_application_whose_render_failed_may_be_a_root(tmp_path: Path, broken: str) -> None:
    """``bootstrap/`` holds two Applications applied by hand: ``team-a`` deploys ``apps/``,
    ``team-b``'s render fails. Whether team-b is an app-of-apps is not known, so it is a root
    (its could-not-check error is reported), not an orphan; a plain Application nothing
    lists is still not reachable."""
    sources = {"helm": {"team-b/Chart.yaml": "apiVersion: v2\nname: b\nversion: 0.1.0\n",
                        "team-b/templates/app.yaml": '{{ required "namespace is required" '
                                                     '.Values.namespace }}\n'},
               "jsonnet": {"team-b/apps.jsonnet": "import 'missing.libsonnet'\n"}}[broken]
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/team-a.yaml": DIRECTORY_APP.format(name="team-a", path="apps"),
        "bootstrap/team-b.yaml": DIRECTORY_APP.format(name="team-b", path="team-b"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "misc/lost.yaml": DIRECTORY_APP.format(name="lost", path="web"), **sources})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.target for e in report.errors] == ["prod/team-b"]
    assert [f.message for f in report.findings if "not reachable" in f.message] == [
        "Application lost: is not reachable from an app-of-apps (roots: "
        "bootstrap/team-a.yaml, bootstrap/team-b.yaml); unless something else applies it, "
        "Argo CD never deploys it"]


@pytest.mark.parametrize("entered", [False, True])
def test_a_ring_of_app_of_apps_nothing_else_lists_is_a_root(tmp_path: Path,
                                                            entered: bool) -> None:
    """``bootstrap/root.yaml`` deploys ``apps/``, whose ``bootstrap.yaml`` deploys
    ``bootstrap/`` back: one of the ring was applied by hand and the ring deploys the rest,
    so nothing in it is an orphan (the roots are each of the ring). An Application nothing
    lists is still not reachable; a ring that a root outside it enters gets no roots of its
    own."""
    files = {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/root.yaml": DIRECTORY_APP.format(name="root", path="apps"),
        "apps/bootstrap.yaml": DIRECTORY_APP.format(name="bootstrap", path="bootstrap"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "misc/lost.yaml": DIRECTORY_APP.format(name="lost", path="web")}
    if entered:
        files["start.yaml"] = DIRECTORY_APP.format(name="start", path="bootstrap")
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    roots = "start.yaml" if entered else "apps/bootstrap.yaml, bootstrap/root.yaml"
    assert [f.message for f in report.findings if "not reachable" in f.message] == [
        f"Application lost: is not reachable from an app-of-apps (roots: {roots}); unless "
        "something else applies it, Argo CD never deploys it"]


@pytest.mark.parametrize("expanded", [True, False])
def test_an_application_set_nothing_deploys_is_a_root(tmp_path: Path, expanded: bool) -> None:
    """An ApplicationSet is an app-of-apps of its generator: one outside every app-of-apps
    directory was applied by hand, as an app-of-apps nothing deploys was, so it is a root
    (whether platecheck expands its list into Applications or not), not an orphan; a plain
    Application nothing deploys still is one."""
    generators = ("    - list:\n        elements:\n          - {env: a}\n          - {env: b}\n"
                  if expanded else "    - git:\n        repoURL: https://git.example.com/"
                  "repo.git\n        revision: HEAD\n        directories: [{path: web}]\n")
    appset = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
              "  name: NAME\n  namespace: argocd\nspec:\n  generators:\n" + generators
              + "  template:\n    metadata:\n      name: 'NAME-{{env}}'\n    spec:\n"
              "      project: default\n      source:\n"
              "        repoURL: https://git.example.com/repo.git\n        path: web\n"
              "      destination:\n        server: https://kubernetes.default.svc\n"
              "        namespace: 'NAME-{{env}}'\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "root.yaml": DIRECTORY_APP.format(name="root", path="apps"),
        "apps/kept.yaml": appset.replace("NAME", "kept"),
        "other/by-hand.yaml": appset.replace("NAME", "by-hand"),
        "misc/lost.yaml": DIRECTORY_APP.format(name="lost", path="web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings if "reachable" in f.message] \
        == [("misc/lost.yaml:4", "Application lost: is not reachable from an app-of-apps "
             "(roots: other/by-hand.yaml, root.yaml); unless something else applies it, "
             "Argo CD never deploys it")]


def test_a_value_a_list_element_fills_in_is_at_the_elements_key(tmp_path: Path) -> None:
    """``valueFiles: [values/{{file}}]`` with one element's ``file`` naming no file: the
    error is at that element's ``file:``, where the name is written, not at the template
    line every element shares."""
    repo = write_files(tmp_path / "repo", {"apps/set.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: envs\n"
        "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
        "          - env: prod\n            file: values-prod.yaml\n"
        "          - env: stg\n            file: values-nope.yaml\n  template:\n"
        "    metadata:\n      name: 'web-{{env}}'\n    spec:\n      project: default\n"
        "      source:\n        repoURL: https://git.example.com/repo.git\n"
        "        path: chart\n        helm:\n          valueFiles: ['{{file}}']\n"
        "      destination:\n        server: https://kubernetes.default.svc\n"
        "        namespace: 'web-{{env}}'\n"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values-prod.yaml": "{}\n"})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.target, e.location) for e in report.errors] == [("stg/web", "apps/set.yaml:13")]


def test_a_name_and_a_path_one_element_key_fills_are_two_findings(tmp_path: Path) -> None:
    """The element's ``cluster`` fills both the name (taken by another Application) and a
    path that does not exist: the path's error is at the element, the name's finding at the
    template's name line, and neither hides the other."""
    repo = write_files(tmp_path / "repo", {
        "apps/set.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: s\n"
            "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
            "          - cluster: production\n  template:\n    metadata:\n"
            "      name: 'web-{{cluster}}'\n    spec:\n      project: default\n"
            "      source:\n        repoURL: https://git.example.com/repo.git\n"
            "        path: 'clusters/{{cluster}}'\n      destination:\n"
            "        server: https://kubernetes.default.svc\n        namespace: web-prod\n"),
        "apps/a.yaml": application("web-production", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.location for e in report.errors] == ["apps/set.yaml:10"]
    assert [f.location for f in report.findings if "name is also used" in f.message] == [
        "apps/set.yaml:13"]


def test_list_elements_on_one_line_are_not_expanded(tmp_path: Path) -> None:
    """An Application platecheck makes of a list element is known by its line: elements
    written on one line (a flow sequence) would be one; the set is not expanded, and its
    not-rendered finding says what it generates is not checked."""
    repo = write_files(tmp_path / "repo", {
        "apps/set.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
                         "  name: s\n  namespace: argocd\nspec:\n  generators:\n    - list:\n"
                         "        elements: [{env: a}, {env: b}]\n  template:\n    metadata:\n"
                         "      name: 's-{{env}}'\n    spec:\n      project: default\n"
                         "      source:\n        repoURL: https://git.example.com/repo.git\n"
                         "        path: web\n      destination:\n"
                         "        server: https://kubernetes.default.svc\n"
                         "        namespace: 's-{{env}}'\n",
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location) for f in report.findings] == [
        ("not-rendered", "apps/set.yaml:15")]
    assert [t.id for t in report.targets] == ["default/s"]


def test_an_application_argo_cd_refuses_is_something_to_check(tmp_path: Path) -> None:
    """The repository's one Application has a source with no path: not "nothing to
    check", but the finding that Argo CD refuses it; the chart it meant is named as
    deployed by nothing."""
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="x").replace("    path: x\n", ""),
        "Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n"})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.exit_code == 1 and report.targets == ()
    assert [(f.policy, f.location) for f in report.findings] == [
        ("undeployed-chart", "Chart.yaml:1"), ("argocd-application", "apps/web.yaml:8")]


_REF_SOURCES = (
    "  sources:\n    - repoURL: https://git.example.com/repo.git\n      path: chart\n"
    "      helm:\n        valueFiles: [$values/prod.yaml]\n"
    "    - repoURL: https://git.example.com/repo.git\n      ref: values\n")


@pytest.mark.parametrize(("more", "line", "message"), [
    ("    - repoURL: https://git.example.com/repo.git\n      ref: values\n", 16,
     "ref 'values' is the ref of spec.sources[1] too: Argo CD refuses the Application "
     "(\"multiple sources had the same `ref` key\") and deploys nothing of it"),
    ("    - repoURL: https://git.example.com/repo.git\n      ref: my.values\n", 16,
     "ref 'my.values' holds characters other than letters, digits, '_' and '-': Argo CD "
     "refuses the Application (\"sources.ref cannot contain any special characters except "
     "'_' and '-'\") and deploys nothing of it"),
    ("    - repoURL: https://git.example.com/repo.git\n      ref: my_values-2\n", None, None),
], ids=["twice", "dot", "allowed"])
def test_a_ref_argo_cd_refuses_is_reported_at_the_ref(
        tmp_path: Path, more: str, line: int | None, message: str | None) -> None:
    """Argo CD refuses an Application two of whose sources have one ``ref``, or whose ref
    holds a character other than letters, digits, '_' and '-' (util/argo ``GetRefSources``,
    before any source renders): an argocd-application error at that ref."""
    app = DIRECTORY_APP.format(name="web", path="chart").replace(
        "  source:\n    repoURL: https://git.example.com/repo.git\n    path: chart\n",
        _REF_SOURCES + more)
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "prod.yaml": "a: 1\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location, f.message) for f in report.findings] == (
        [] if message is None else [("argocd-application", f"apps/web.yaml:{line}",
                                     f"Application web: {message}")])
    assert report.exit_code == (0 if message is None else 1)


@pytest.mark.parametrize(("destination", "message"), [
    ("    name: in-cluster\n    server: https://kubernetes.default.svc\n",
     "destination has both a name (in-cluster) and a server (https://kubernetes.default.svc): "
     "Argo CD refuses the Application (\"application destination can't have both name and "
     "server defined\") and deploys nothing of it"),
    ("", "destination has neither a server nor a name: Argo CD refuses the Application "
         "(\"Destination server missing from app spec\") and deploys nothing of it"),
    ("    name: in-cluster\n", None),
], ids=["both", "neither", "name"])
def test_a_destination_of_both_a_server_and_a_name_or_neither_is_refused(
        tmp_path: Path, destination: str, message: str | None) -> None:
    """Argo CD refuses an Application whose destination names both a cluster and a server,
    or neither (util/argo ``GetDestinationServer``): an argocd-application error at the
    destination."""
    app = DIRECTORY_APP.format(name="web", path="web").replace(
        "    server: https://kubernetes.default.svc\n", destination)
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location, f.message) for f in report.findings] == (
        [] if message is None else [("argocd-application", "apps/web.yaml:11",
                                     f"Application web: {message}")])


@pytest.mark.parametrize(("server", "go", "kept"), [
    ("{{cluster}}", False, "{{cluster}}"),
    ("https://{{ cluster }}:6443", False, "{{ cluster }}"),
    ("{{.cluster}}", True, "<no value>"),
    ("{{server}}", False, None),  # the element sets it
], ids=["fasttemplate", "inside-a-url", "go", "filled"])
def test_a_destination_server_of_a_parameter_no_element_sets_is_refused(
        tmp_path: Path, server: str, go: bool, kept: str | None) -> None:
    """An ApplicationSet's destination server its generator does not fill: no cluster has
    such a server, so the controller does not create the Application
    (``validateGeneratedApplications``): an argocd-application error at the set's line."""
    element = "    - list:\n        elements:\n          - {env: prod, server: 'https://k8s'}\n"
    repo = repository(tmp_path, {
        "apps/set.yaml": application_set(
            "web", element, "web-{{.env}}" if go else "web-{{env}}", "web", "web-prod",
            server=server, go=go),
        "web/cm.yaml": CM.format(name="web")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    line = 20 if go else 19
    assert report.errors == ()
    shown = server.replace("{{server}}", "https://k8s")
    assert [(f.policy, f.location, f.message) for f in report.findings
            if "destination server" in f.message] == ([] if kept is None else [
                ("argocd-application", f"apps/set.yaml:{line}",
                 f"Application web-prod: destination server "
                 f"{shown.replace('{{.cluster}}', '<no value>')!r} keeps {kept!r}: the "
                 "ApplicationSet web's generator sets no such parameter, no cluster has this "
                 "server, and Argo CD does not create the Application (\"application "
                 "destination spec is invalid\")")])


def test_a_refused_application_of_another_environment_is_no_finding_of_an_env_run(
        tmp_path: Path) -> None:
    """bad-stg's destination names a server and a cluster: a finding of stg, which a run of
    prod (a gate of production) leaves out, as it leaves out stg's other findings."""
    files = {"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    for name in ("web-stg", "web-prod", "bad-stg"):
        files[f"apps/{name}.yaml"] = application(name, "web", name)
    files["apps/bad-stg.yaml"] = files["apps/bad-stg.yaml"].replace(
        "    server:", "    name: in-cluster\n    server:")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    rows = {env: [(f.environment, f.location) for f in lint(
        repo, cache_dir=tmp_path / "cache", environments=[env] if env else None).findings
        if f.policy == "argocd-application"] for env in (None, "prod")}
    assert rows == {None: [("stg", "apps/bad-stg.yaml:11")], "prod": []}


@pytest.mark.parametrize("kind", ["chart", "directory"])
def test_an_app_of_apps_deploys_to_the_argo_cd_namespace(tmp_path: Path, kind: str) -> None:
    """``apps-prod`` deploys Applications, which live in Argo CD's namespace: its
    destination is no workload namespace of prod, whether a chart renders the children or
    a directory holds them; the child is still held to prod's."""
    child = application("web-prod", "web", "argocd")
    files = {"root.yaml": application("apps-prod", "apps", "argocd"),
             "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    if kind == "chart":
        files.update({"apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
                      "apps/templates/web.yaml": child})
    else:
        files["apps/web.yaml"] = child
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.message for f in report.findings if "destination namespace" in f.message] == [
        "Application web-prod: destination namespace 'argocd' does not match environment prod "
        "(*-prod, *-production, *-prd, prod-*, production-*, prd-*, prod, production, prd)"]


@pytest.mark.parametrize("in_chart", [True, False])
def test_a_templated_application_among_a_charts_files_is_no_manifest(tmp_path: Path,
                                                                       in_chart: bool) -> None:
    """An Application template kept outside a chart's ``templates/`` (``old/web.yaml``,
    which helm never renders) is not YAML: one of the chart's files, not a broken
    Application file; the same file elsewhere is a could-not-check error."""
    templated = application("web", "web", "web-prod").replace(
        "server: https://kubernetes.default.svc", "server: {{ .Values.server }}")
    repo = write_files(tmp_path / "repo", {
        "apps/root.yaml": application("root-prod", "charts/apps", "argocd"),
        "charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "charts/apps/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                         "  name: apps\n",
        ("charts/apps/old/web.yaml" if in_chart else "old/web.yaml"): templated})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.file for e in report.errors] == ([] if in_chart else ["old/web.yaml"])


def test_an_application_set_whose_template_patch_writes_its_source_is_at_the_patch(
        tmp_path: Path) -> None:
    """The set's template holds no source (its templatePatch writes it) and is not
    expanded (two elements on one line): the not-rendered finding is at ``templatePatch``,
    not at the document's first line."""
    repo = write_files(tmp_path / "repo", {"apps/set.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: s\n"
        "  namespace: argocd\nspec:\n  goTemplate: true\n  generators:\n    - list:\n"
        "        elements: [{env: a}, {env: b}]\n  template:\n    metadata:\n"
        "      name: 's-{{.env}}'\n"
        "    spec:\n      project: default\n      destination:\n"
        "        server: https://kubernetes.default.svc\n        namespace: 's-{{.env}}'\n"
        "  templatePatch: |\n    spec:\n      source:\n"
        "        repoURL: https://git.example.com/repo.git\n        path: web\n")})
    (repo / ".git").mkdir()
    assert [(f.policy, f.location) for f in lint(repo, cache_dir=tmp_path / "cache").findings
            ] == [("not-rendered", "apps/set.yaml:19")]


def test_a_chart_a_generated_application_of_another_repository_names_is_undeployed(
        tmp_path: Path) -> None:
    """Chart mode: the chart of Applications ``apps/`` generates one whose source is
    ``charts/web`` of another repository. That deploys the other repository's chart, not
    this one's: ``charts/web`` is one no Application deploys, as beside Application files;
    of this repository, the Application deploys it."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": application(
            "upstream-web", "charts/web", "web", repo="https://git.example.com/upstream.git"),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\ndata:\n  bogus: {nested: true}\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location) for f in report.findings
            if f.policy in ("k8s-schema", "undeployed-chart")] == [
        ("undeployed-chart", "charts/web/Chart.yaml:1")]
    assert sorted(t.id for t in report.targets) == ["default/upstream-web", "prod/apps",
                                                    "stg/apps"]
    (repo / "apps" / "templates" / "web.yaml").write_text(
        application("upstream-web", "charts/web", "web", repo="https://git.example.com/repo.git"))
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.target, f.policy, f.location) for f in report.findings
            if f.policy in ("k8s-schema", "undeployed-chart")] == [
        ("default/upstream-web", "k8s-schema", "charts/web/templates/cm.yaml:6")]


def test_chart_mode_with_a_chart_of_applications_names_the_charts_none_deploys(
        tmp_path: Path) -> None:
    """Chart mode, once a chart's renders generate Applications: a chart none of them
    deploys (its Application disabled, as a ``_`` template helm never renders) is one no
    Application deploys, as beside Application files; not linted per environment with
    findings of its own. One that fails to render and writes Argo CD's kinds may be a root:
    it stays, an error, and no chart is then named as deployed by none."""
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {b: c}\n"
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": application("web", "charts/web", "web"),
        "apps/templates/_old": application("old", "charts/old", "old"),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": bad,
        "charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 0.1.0\n",
        "charts/old/templates/cm.yaml": bad,
        "charts/broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
        "charts/broken/templates/cm.yaml": "{{ fail \"no\" }}\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((f.policy, f.target, f.location) for f in report.findings
                  if f.policy in ("k8s-schema", "undeployed-chart")) == [
        ("k8s-schema", "default/web", "charts/web/templates/cm.yaml:6"),
        ("undeployed-chart", None, "charts/broken/Chart.yaml:1"),
        ("undeployed-chart", None, "charts/old/Chart.yaml:1")]
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == ["default/web", "prod/apps", "stg/apps"]
    (repo / "charts" / "broken" / "templates" / "app.yaml").write_text(
        application("other", "charts/web", "other"))
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted({(e.target, e.location) for e in report.errors}) == [
        ("prod/broken", "charts/broken/templates/cm.yaml:1"),
        ("stg/broken", "charts/broken/templates/cm.yaml:1")]
    # what the failed root's Applications deploy is not known: no chart is named
    assert [f.location for f in report.findings if f.policy == "undeployed-chart"] == []


def test_chart_mode_an_unloadable_chart_nothing_deploys_is_only_named(tmp_path: Path) -> None:
    """Chart mode with a chart of Applications: a test fixture whose Chart.yaml is empty
    cannot be loaded, but none of the Applications deploys it: it is named by
    undeployed-chart alone, as beside Application files, not a could-not-check error."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": application("web", "charts/web", "web"),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "tests/fixture/Chart.yaml": ""})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.location for f in report.findings if f.policy == "undeployed-chart"] == [
        "tests/fixture/Chart.yaml:1"]


@pytest.mark.parametrize("other", ["workflow", "argocd-apps"])
def test_chart_mode_keeps_a_failed_chart_only_if_it_may_write_applications(
        tmp_path: Path, other: str) -> None:
    """Chart mode with a chart of Applications: a chart that fails to render is kept (its
    error reported, nothing named as deployed by none) only when it may write Applications.
    A broken Argo Workflows template (the same API group) does not; a chart whose values
    describe Applications for a dependency that is not vendored (argo-helm's argocd-apps)
    does."""
    files = {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": application("web", "charts/web", "web"),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\n",
        "charts/idle/Chart.yaml": "apiVersion: v2\nname: idle\nversion: 0.1.0\n"}
    if other == "workflow":
        files.update({
            "charts/other/Chart.yaml": "apiVersion: v2\nname: other\nversion: 0.1.0\n",
            "charts/other/templates/wf.yaml": (
                "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n"
                "  name: {{ fail \"no\" }}\n")})
    else:
        files.update({
            "charts/other/Chart.yaml": (
                "apiVersion: v2\nname: other\nversion: 0.1.0\ndependencies:\n"
                "  - {name: argocd-apps, version: 2.0.0, "
                "repository: 'https://argoproj.github.io/argo-helm'}\n"),
            "charts/other/values.yaml": (
                "argocd-apps:\n  applications:\n    idle:\n      source:\n"
                "        repoURL: https://git.example.com/repo.git\n        path: charts/idle\n"
                "      destination: {namespace: idle}\n")})
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    undeployed = sorted(f.location for f in report.findings if f.policy == "undeployed-chart")
    if other == "workflow":
        assert report.errors == ()
        assert undeployed == ["charts/idle/Chart.yaml:1", "charts/other/Chart.yaml:1"]
    else:
        assert sorted({e.location for e in report.errors}) == ["charts/other/Chart.yaml:5"]
        assert undeployed == []


@pytest.mark.parametrize("config_repo", ["repo", "config"])
def test_a_value_file_of_another_repositorys_ref_is_not_read_here(tmp_path: Path,
                                                                  config_repo: str) -> None:
    """``$cfg/values-prod.yaml`` with ``ref: cfg`` on another repository's source: Argo CD
    reads it in that repository's checkout. A file of that path here is not it: the chart is
    not rendered, one not-rendered finding at the entry; with the ref on this repository,
    the file here is read and the chart rendered."""
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
           "  namespace: argocd\nspec:\n  project: default\n  sources:\n"
           "    - repoURL: https://git.example.com/repo.git\n      path: chart\n"
           "      helm:\n        valueFiles:\n          - $cfg/values-prod.yaml\n"
           f"    - repoURL: https://git.example.com/{config_repo}.git\n      ref: cfg\n"
           "  destination:\n    server: https://kubernetes.default.svc\n"
           "    namespace: web-prod\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/web.yaml": app, "values-prod.yaml": "name: here\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                   "  name: {{ .Values.name }}\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location) for f in report.findings] == (
        [] if config_repo == "repo" else [("not-rendered", "apps/web.yaml:13")])
    assert [r.ref for t in load(repo, cache_dir=tmp_path / "cache").rendered
            for r in t.resources] == (["ConfigMap/here"] if config_repo == "repo" else [])


def test_a_source_from_another_repository_is_not_read_from_this_one(tmp_path: Path) -> None:
    """With argocd-application's ``repoUrls`` naming this repository, a Git source of another
    one is not rendered (Argo CD fetches it): a not-rendered finding, which
    ``ignoreRepoURLs`` silences, never the local directory of the same path."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    config = tmp_path / "policies" / "platecheck.yaml"
    config.write_text("policies:\n  argocd-application:\n    options:\n"
                      "      repoUrls: ['https://git.example.com/repo*']\n")
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "state.yaml").write_text(
        DIRECTORY_APP.format(name="state", path="clusters/prod").replace(
            "https://git.example.com/repo.git", "https://git.example.com/other-state.git"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location, f.message) for f in report.findings] == [
        ("not-rendered", "apps/state.yaml:8", "source clusters/prod of another repository, "
         "https://git.example.com/other-state.git, is not rendered: its resources are not "
         "checked")]
    (tmp_path / "clusters" / "prod").mkdir(parents=True)  # a local path of the same name
    (tmp_path / "clusters" / "prod" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: state\n")
    assert [t.rendered_here for t in lint(tmp_path, cache_dir=tmp_path.parent / "cache").targets
            ] == [False]
    config.write_text(config.read_text() + "  not-rendered:\n    options:\n"
                      "      ignoreRepoURLs: ['https://git.example.com/other-*']\n")
    assert lint(tmp_path, cache_dir=tmp_path.parent / "cache").findings == ()


def test_an_app_of_apps_whose_directory_holds_an_application_set_holds_something(
        tmp_path: Path) -> None:
    """The root's own directory holds itself and an ApplicationSet platecheck does not expand
    (a Go template of a function): Argo CD deploys the set, so the path is no empty
    app-of-apps."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "root.yaml").write_text(DIRECTORY_APP.format(name="root", path="apps"))
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\n"
        "spec:\n  goTemplate: true\n  generators:\n    - list:\n        elements:\n"
        "          - name: web\n  template:\n    metadata:\n      name: '{{ kebabcase .name }}'\n"
        "    spec:\n      project: default\n      source:\n"
        "        repoURL: https://git.example.com/repo.git\n        path: 'charts/{{.name}}'\n"
        "      destination:\n        server: https://kubernetes.default.svc\n"
        "        namespace: web\n")
    (tmp_path / "apps" / "appset.yaml").write_text(appset)
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert [f.policy for f in report.findings] == ["not-rendered"]
    (tmp_path / "apps" / "appset.yaml").unlink()
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert [f.message for f in report.findings] == [
        "Application root: app-of-apps path holds no Application but itself"]


def test_an_app_of_apps_whose_applications_lie_in_subdirectories_says_recurse(
        tmp_path: Path) -> None:
    """The root's directory holds itself, its Applications one level down, and no
    ``directory.recurse`` (YilingCAI's project1-gitops): Argo CD deploys none of them; the
    finding says why, and each child is unreachable."""
    files = {"apps/root.yaml": DIRECTORY_APP.format(name="root", path="apps"),
             "apps/dev/web.yaml": application("web-dev", "web", "web-dev"),
             "apps/prod/web.yaml": application("web-prod", "web", "web-prod"),
             "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    messages = [f.message for f in report_.findings if f.policy == "argocd-application"]
    assert (
        "Application root: app-of-apps path holds no Application but itself; 2 Application "
        "files lie in its subdirectories, which a directory source reads only with "
        "directory.recurse: true") in messages
    assert sum("is not reachable" in m for m in messages) == 2


def test_an_application_whose_own_file_lies_below_its_path_is_no_app_of_apps(
        tmp_path: Path) -> None:
    """``path: .`` (its manifests on another branch, Kargo's layout) renders nothing here, and
    the only Application file below it is its own: no app-of-apps to recurse, which would
    have it deploy itself; a second Application file below it is one."""
    files = {"apps/web-prod.yaml": DIRECTORY_APP.format(name="web-prod", path=".")}
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    assert [f.message for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "argocd-application"] == []
    (repo / "apps" / "web-stg.yaml").write_text(DIRECTORY_APP.format(name="web-stg",
                                                                     path="."))
    assert [f.message for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "argocd-application" and "app-of-apps" in f.message] == [
        "Application web-prod: app-of-apps path holds no Application; 1 Application file lies "
        "in its subdirectories, which a directory source reads only with "
        "directory.recurse: true",
        "Application web-stg: app-of-apps path holds no Application; 1 Application file lies "
        "in its subdirectories, which a directory source reads only with "
        "directory.recurse: true"]


_TWO_SOURCES = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
spec:
  project: default
  sources:
    - repoURL: https://git.example.com/repo.git
      ref: values
      path: {ref_path}
    - repoURL: https://git.example.com/repo.git
      path: {path}
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""


@pytest.mark.parametrize(("ref_path", "path", "found"), [
    ("values", "apps", ["root.yaml:12"]),  # at the source whose path holds them below
    ("apps", "values", []),  # a ref source's path is there for value files
], ids=["directory-source", "ref-source"])
def test_the_source_whose_applications_lie_below_it_is_the_one_told_to_recurse(
        tmp_path: Path, ref_path: str, path: str, found: list[str]) -> None:
    """A multi-source Application: the finding is at the ``path`` of the source with
    Application files below it (it was at ``spec:``, a key such an Application lacks); a
    ``ref`` source with a path, there for other sources' value files, is told nothing
    (recursing it would deploy them)."""
    repo = write_files(tmp_path / "repo", {
        "root.yaml": _TWO_SOURCES.format(ref_path=ref_path, path=path),
        "values/web.yaml": "replicas: 1\n",
        "apps/sub/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "holds no" in f.message] == found


def test_a_root_outside_a_directory_whose_applications_lie_below_it_says_recurse(
        tmp_path: Path) -> None:
    """The root (``bootstrap/root.yaml``) deploys ``apps``, which holds nothing but a
    subdirectory of Applications, without ``directory.recurse`` (girmaat's layout): Argo CD
    applies nothing; the root's finding says why and the child is unreachable (it was taken
    for a root and checked as deployed)."""
    repo = write_files(tmp_path / "repo", {
        "bootstrap/root.yaml": DIRECTORY_APP.format(name="root", path="apps"),
        "apps/services/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(f.message for f in report_.findings if f.policy == "argocd-application") == [
        "Application root: app-of-apps path holds no Application; 1 Application file lies in "
        "its subdirectories, which a directory source reads only with directory.recurse: true",
        "Application web-prod: is not reachable from an app-of-apps (roots: "
        "bootstrap/root.yaml); unless something else applies it, Argo CD never deploys it"]


def test_a_root_in_a_subdirectory_of_its_path_does_not_hold_itself(tmp_path: Path) -> None:
    """The root (``gitops/argocd/root.yaml``) deploys ``gitops`` without
    ``directory.recurse``: its own file lies below that directory, so the path holds no
    Application, not even the root (ooadeniyi71/ocplab); the one file below it to recurse
    into is the other Application's."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "gitops/argocd/root.yaml": DIRECTORY_APP.format(name="root",
                                                                         path="gitops"),
        "gitops/apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.message for f in report_.findings if "holds no" in f.message] == [
        "Application root: app-of-apps path holds no Application; 1 Application file lies in "
        "its subdirectories, which a directory source reads only with directory.recurse: true"]


def _platform_tree(tmp_path: Path) -> None:
    """A root app-of-apps (directory ``apps``) deploying Application ``platform``, whose
    Kustomize source ``platform`` holds chart ``platform/x``."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "root.yaml").write_text(DIRECTORY_APP.format(name="root", path="apps"))
    (tmp_path / "apps" / "platform.yaml").write_text(
        DIRECTORY_APP.format(name="platform", path="platform"))
    chart = tmp_path / "platform" / "x"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n")


@pytest.mark.parametrize("beside_chart", [False, True], ids=["own-directory", "beside-chart"])
def test_an_application_a_kustomize_tree_deploys_is_one_application(
        tmp_path: Path, kubectl_bin: Path, beside_chart: bool) -> None:
    """The root app-of-apps deploys a Kustomize source whose tree lists an Application file
    (next to its chart's Chart.yaml, or in a directory of its own). The repository walk finds
    that file too: it is one Application, reached through the Kustomize source, named once."""
    _platform_tree(tmp_path)
    where = "x" if beside_chart else "x-app"
    (tmp_path / "platform" / where).mkdir(exist_ok=True)
    (tmp_path / "platform" / where / "application.yaml").write_text(
        DIRECTORY_APP.format(name="x", path="platform/x"))
    (tmp_path / "platform" / "kustomization.yaml").write_text(
        f"resources:\n  - {where}/application.yaml\n")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings] == []
    assert sorted(t.id for t in report.targets) == ["prod/platform", "prod/x"]


PATCHED = """\
patches:
  - target: {kind: Application, name: x}
    patch: |-
      - op: add
        path: /metadata/labels
        value: {tier: platform}
"""


@pytest.mark.parametrize(("written", "kustomized", "more", "targets"), [
    # the file names no namespace, the kustomization gives it one: one Application
    ("", "argocd", "", ["prod/platform", "prod/x"]),
    ("argocd", "apps", "", ["prod/platform", "prod/x"]),  # the kustomization moves it
    # a patched one replaces the one the file writes: Argo CD creates what the build outputs
    ("", "argocd", PATCHED, ["prod/platform", "prod/x"]),
])
def test_an_application_a_kustomization_puts_in_a_namespace_is_still_one(
        tmp_path: Path, kubectl_bin: Path, written: str, kustomized: str, more: str,
        targets: list[str]) -> None:
    """The Application file the walk finds and the one the Kustomize source renders from it,
    unchanged but for the kustomization's namespace, are one Application: planned, rendered
    and reported once."""
    _platform_tree(tmp_path)
    child = DIRECTORY_APP.format(name="x", path="platform/x").replace(
        "  namespace: argocd\n", f"  namespace: {written}\n" if written else "")
    child = child.replace("  project: default\n",  # a finding to count
                          "  project: default\n  revisionHistoryLimit: many\n")
    (tmp_path / "platform" / "application.yaml").write_text(child)
    (tmp_path / "platform" / "kustomization.yaml").write_text(
        f"namespace: {kustomized}\nresources:\n  - application.yaml\n{more}")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == targets
    schema = [f.target for f in report.findings if f.policy == "argocd-application"
              and "revisionHistoryLimit" in f.message]
    assert len(schema) == 1  # once: one Application x
    # the parent's render holds the Application too: argocd-application's report owns it
    assert [f for f in report.findings if f.policy == "k8s-schema"] == []


@pytest.mark.parametrize("clusters", [["a"], ["a", "b"]])
def test_an_application_a_kustomization_renames_is_deployed_as_renamed_only(
        tmp_path: Path, kubectl_bin: Path, clusters: list[str]) -> None:
    """Overlays of an app-of-apps give the Application file a ``nameSuffix`` per cluster:
    Argo CD creates ``x-a`` (and ``x-b``), never ``x`` as the file writes it, so no
    resource is deployed by both ``x`` and ``x-a``."""
    _platform_tree(tmp_path)
    (tmp_path / "apps" / "platform.yaml").unlink()
    (tmp_path / "platform" / "apps").mkdir()
    (tmp_path / "platform" / "apps" / "application.yaml").write_text(
        DIRECTORY_APP.format(name="x", path="platform/x"))
    (tmp_path / "platform" / "apps" / "kustomization.yaml").write_text(
        "resources: [application.yaml]\n")
    for cluster in clusters:
        (tmp_path / "clusters" / cluster).mkdir(parents=True)
        (tmp_path / "clusters" / cluster / "kustomization.yaml").write_text(
            f"nameSuffix: -{cluster}\nresources:\n  - ../../platform/apps\n")
        (tmp_path / "apps" / f"{cluster}.yaml").write_text(
            DIRECTORY_APP.format(name=f"cluster-{cluster}", path=f"clusters/{cluster}"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets if "cluster" not in t.id) == [
        *(f"prod/x-{cluster}" for cluster in clusters)]
    assert [f.message for f in report.findings if f.policy == "argocd-application"
            and "deployed by both" in f.message and " x " in f"{f.message} "] == []


@pytest.mark.parametrize("field", ["patches", "patchesStrategicMerge", "patchesJson6902"])
def test_a_patch_file_of_an_application_is_no_application(
        tmp_path: Path, kubectl_bin: Path, field: str) -> None:
    """A kustomization patches its base's Application with a file holding part of one (no
    source, no destination): kustomize applies it to the base, Argo CD never applies it
    alone, so it is no Application of the repository, and no could-not-check error."""
    _platform_tree(tmp_path)
    (tmp_path / "apps" / "platform.yaml").write_text(
        DIRECTORY_APP.format(name="platform", path="overlay"))
    entry = {"patches": "  - path: x-patch.yaml\n",
             "patchesStrategicMerge": "  - x-patch.yaml\n",
             "patchesJson6902": "  - path: x-patch.yaml\n    target: {group: argoproj.io, "
                                "version: v1alpha1, kind: Application, name: x, "
                                "namespace: argocd}\n"}[field]
    patch = ("- op: add\n  path: /metadata/labels\n  value: {team: web}\n"
             if field == "patchesJson6902" else
             "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: x\n"
             "  namespace: argocd\n  labels: {team: web}\n")
    write_files(tmp_path, {
        "base/x.yaml": DIRECTORY_APP.format(name="x", path="platform/x"),
        "base/kustomization.yaml": "resources: [x.yaml]\n",
        "overlay/kustomization.yaml": f"resources:\n  - ../base\n{field}:\n{entry}",
        "overlay/x-patch.yaml": patch})
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == ["prod/platform", "prod/x"]
    assert [f.location for f in report.findings if f.file == "overlay/x-patch.yaml"] == []


LIST_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: x
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - patch-me
  template:
    metadata:
      name: '{{name}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: platform/x
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{name}}-prod'
"""


@pytest.mark.parametrize(("written", "patch"), [
    (DIRECTORY_APP.format(name="x", path="patch-me"),
     "kind: Application\n      name: x\n    patch: |-\n      - op: replace\n"
     "        path: /spec/source/path\n        value: platform/x\n"),
    (LIST_SET,
     "kind: ApplicationSet\n      name: x\n    patch: |-\n      - op: replace\n"
     "        path: /spec/generators/0/list/elements\n        value: [{name: x}]\n"),
], ids=["application", "list-application-set"])
def test_a_base_an_overlay_patches_is_checked_as_patched_only(
        tmp_path: Path, kubectl_bin: Path, written: str, patch: str) -> None:
    """A base holds a placeholder (a source path, a list element) that every overlay
    patches; an Application deploys the overlay. Argo CD applies what the overlay builds,
    never the base's file as written: no could-not-check error of the placeholder."""
    _platform_tree(tmp_path)
    (tmp_path / "apps" / "platform.yaml").write_text(
        DIRECTORY_APP.format(name="platform", path="overlay"))
    write_files(tmp_path, {
        "base/x.yaml": written, "base/kustomization.yaml": "resources: [x.yaml]\n",
        "overlay/kustomization.yaml": "resources:\n  - ../base\npatches:\n  - target:\n"
                                      f"      group: argoproj.io\n      {patch}"})
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == ["prod/platform", "prod/x"]
    broken = tmp_path / "overlay" / "kustomization.yaml"  # the overlay patches nothing
    broken.write_text("resources:\n  - ../base\n")
    assert [e.location for e in lint(tmp_path, cache_dir=tmp_path.parent / "cache").errors] \
        == ["base/x.yaml:10"]  # the placeholder's line


def test_an_application_beside_a_chart_is_discovered(tmp_path: Path) -> None:
    """A chart's templates hold templates, but a manifest beside its Chart.yaml is one."""
    (tmp_path / ".git").mkdir()
    chart = tmp_path / "charts" / "x"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n")
    (chart / "templates" / "app.yaml").write_text(
        DIRECTORY_APP.format(name="{{ .Release.Name }}", path="charts/x"))
    (chart / "application.yaml").write_text(DIRECTORY_APP.format(name="x", path="charts/x"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert [(t.id, t.application.file if t.application else None) for t in report.targets] == [
        ("prod/x", "charts/x/application.yaml")]


PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: platform
  namespace: argocd
spec:
  sourceRepos: {repos}
  destinations:
    - server: https://kubernetes.default.svc
      namespace: '*'
  clusterResourceWhitelist:
    - group: '*'
      kind: '*'
  aFieldOfALaterArgoCd: true
"""


def test_argo_cd_projects_have_a_schema(tmp_path: Path) -> None:
    """An AppProject an app-of-apps deploys is validated with the shipped schema (no
    unknown-kind), typed but open to fields later Argo CD releases add."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "root.yaml").write_text(DIRECTORY_APP.format(name="root", path="apps"))
    (tmp_path / "apps" / "project.yaml").write_text(PROJECT.format(repos="['*']"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    schema = ("k8s-schema", "unknown-kind")
    assert report.errors == ()
    assert [f for f in report.findings if f.policy in schema] == []
    (tmp_path / "apps" / "project.yaml").write_text(PROJECT.format(repos="'*'"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert [(f.policy, f.location, f.message) for f in report.findings
            if f.policy in schema] == [
        ("k8s-schema", "apps/project.yaml:7",
         'AppProject/platform: spec.sourceRepos: expected array, got string "*"')]


CHART_LIST_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: listset
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - name: child
  template:
    metadata:
      name: '{{`{{name}}`}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: '{{`{{name}}`}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{`{{name}}`}}-prod'
"""


def test_a_plain_list_application_set_a_chart_renders_is_expanded(tmp_path: Path) -> None:
    """A Helm-templated app-of-apps rendering a single plain list ApplicationSet makes its
    Applications, as the same set written in the repository does."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "parent.yaml").write_text(
        DIRECTORY_APP.format(name="parent", path="parent"))
    (tmp_path / "parent" / "templates").mkdir(parents=True)
    (tmp_path / "parent" / "Chart.yaml").write_text("apiVersion: v2\nname: parent\n"
                                                    "version: 0.1.0\n")
    (tmp_path / "parent" / "templates" / "appset.yaml").write_text(CHART_LIST_SET)
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\ndata:\n  a: b\n")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert [f.policy for f in report.findings] == []
    assert sorted(t.id for t in report.targets) == ["prod/child", "prod/parent"]


def test_an_application_set_a_kustomization_renders_is_one_set(tmp_path: Path,
                                                               kubectl_bin: Path) -> None:
    """The repository walk finds the set's file, and the Kustomize source the root deploys
    renders it again: one set, one not-rendered finding."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "parent.yaml").write_text(DIRECTORY_APP.format(name="parent",
                                                                        path="ext"))
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "kustomization.yaml").write_text("resources:\n  - appset.yaml\n")
    (tmp_path / "ext" / "appset.yaml").write_text(
        CHART_LIST_SET.replace(
            "generators:\n    - list:\n        elements:\n          - name: child\n",
            "generators:\n    - git:\n        repoURL: https://git.example.com/"
            "repo.git\n        directories:\n          - path: ext/*\n"))
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location) for f in report.findings] == [
        ("not-rendered", "ext/appset.yaml:8")]  # (its git generator, which finds nothing)


def _repository_with_chart(root: Path) -> Path:
    """A repository whose Application web deploys the chart ``web/`` (returned, with an
    empty ``templates/``)."""
    (root / ".git").mkdir()
    (root / "apps").mkdir()
    (root / "apps" / "web.yaml").write_text(DIRECTORY_APP.format(name="web", path="web"))
    chart = root / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    return chart


def test_findings_in_a_template_of_several_documents_point_at_their_own(tmp_path: Path) -> None:
    """A template writing several resources of one kind: each finding is at its own
    document's lines, not the first of that kind; a template whose loop makes more documents
    than it writes keeps pointing at the first."""
    chart = _repository_with_chart(tmp_path)
    config = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
              "data:\n  a: {value}\n")
    (chart / "templates" / "cm.yaml").write_text(
        "# two of them\n" + config.format(name="one", value='"1"') + "---\n"
        + config.format(name="two", value="5"))
    (chart / "templates" / "loop.yaml").write_text(
        "{{- range list 1 2 }}\n---\n" + config.format(name="loop-{{ . }}", value="{{ . }}")
        + "{{- end }}\n")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert [(f.location, f.resource) for f in report.findings if f.policy == "k8s-schema"] == [
        ("web/templates/cm.yaml:14", "ConfigMap/two"),
        ("web/templates/loop.yaml:8", "ConfigMap/loop-1"),
        ("web/templates/loop.yaml:8", "ConfigMap/loop-2")]


def test_a_chart_only_a_plugin_source_deploys_is_checked_in_chart_mode(tmp_path: Path) -> None:
    """Chart mode leaves a chart to the Application that deploys it only when platecheck
    renders that source; a config management plugin's chart is checked on its own."""
    from platecheck.engine import load

    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    _chart(repo / "charts" / "web", "web", {"prod": "1.0.0"})
    _chart(repo / "charts" / "apps", "apps", {"prod": "1.0.0"})
    source = ("    repoURL: https://git.example.com/repo.git\n    path: charts/web\n"
              "{plugin}")
    app = DIRECTORY_APP.replace(
        "    repoURL: https://git.example.com/repo.git\n    path: {path}\n", source)
    template = repo / "charts" / "apps" / "templates" / "app.yaml"
    template.write_text(app.format(name="web", plugin="    plugin:\n      name: vault\n"))
    model = load(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in model.targets if t.rendered_here) == [
        "prod/apps", "prod/web"]
    template.write_text(app.format(name="web", plugin=""))  # rendered as the Application does
    model = load(repo, cache_dir=tmp_path / "cache")
    assert sorted((t.id.partition("@")[0], t.application is not None)
                  for t in model.targets) == [("prod/apps", False), ("prod/web", True)]


def test_a_finding_of_a_rule_points_into_its_own_document(tmp_path: Path) -> None:
    """ingress-tls looks for a key in the template: in the Ingress's own document, not in
    the Namespace or Role written above it in the same file."""
    chart = _repository_with_chart(tmp_path)
    (chart / "templates" / "all.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n"
        "rules:\n  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get]\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
        "spec:\n  rules:\n    - http:\n        paths:\n          - path: /\n"
        "            pathType: Prefix\n            backend:\n              service:\n"
        "                name: web\n                port:\n                  number: 80\n")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    lines = sorted(f.line or 0 for f in report.findings if f.policy == "ingress-tls")
    assert lines and all(line >= 15 for line in lines), lines


def _config_map(path: Path, name: str) -> None:
    """A ConfigMap manifest at ``path`` (its directory made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
                    "data:\n  a: b\n")


def test_a_directory_not_recursed_into_leaves_its_subdirectories_to_others(
        tmp_path: Path) -> None:
    """An app-of-apps of path ``.`` without ``recurse`` deploys the Applications at the top
    only; one in a subdirectory is no part of it (not excluded on purpose): it is still
    discovered, checked, and an orphan when nothing deploys it."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "root.yaml").write_text(DIRECTORY_APP.format(name="root", path="."))
    (tmp_path / "web.yaml").write_text(DIRECTORY_APP.format(name="web", path="manifests"))
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "api.yaml").write_text(DIRECTORY_APP.format(name="api",
                                                                    path="manifests"))
    _config_map(tmp_path / "manifests" / "cm.yaml", "settings")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert sorted(t.app for t in report.targets) == ["api", "web"]
    assert [f.message for f in report.findings if "not reachable" in f.message] == [
        "Application api: is not reachable from an app-of-apps (roots: root.yaml); unless "
        "something else applies it, Argo CD never deploys it"]


def test_an_application_managing_itself_is_no_app_of_apps(tmp_path: Path) -> None:
    """An Application whose directory holds its own manifest (and the resources it deploys)
    manages itself: it is a target, not an app-of-apps that holds no Application, and it
    does not make the other Applications unreachable."""
    (tmp_path / ".git").mkdir()
    _config_map(tmp_path / "deploy" / "cm.yaml", "settings")
    (tmp_path / "deploy" / "app.yaml").write_text(DIRECTORY_APP.format(name="web",
                                                                       path="deploy"))
    (tmp_path / "api.yaml").write_text(DIRECTORY_APP.format(name="api", path="other"))
    _config_map(tmp_path / "other" / "cm.yaml", "api")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert sorted(t.app for t in report.targets) == ["api", "web"]
    from platecheck.engine import load

    web = next(r for r in load(tmp_path, cache_dir=tmp_path.parent / "cache").rendered
               if r.target.app == "web")
    assert [f"{r.kind}/{r.name}" for r in web.resources if r.kind == "ConfigMap"] == [
        "ConfigMap/settings"]
    assert [f.message for f in report.findings
            if "not reachable" in f.message or "holds no Application" in f.message] == []


def test_application_sets_of_two_environments_are_one_app_to_env_consistency(
        tmp_path: Path) -> None:
    """``web-production`` and ``web-staging`` (ApplicationSets Argo CD generates, of a Go
    template platecheck does not expand) are the app ``web`` in prod and stg, as two
    Applications of those names are: a pair, not two apps deployed to one environment
    each."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    for env in ("production", "staging"):
        (tmp_path / "apps" / f"web-{env}.yaml").write_text(
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
            f"  name: web-{env}\nspec:\n  goTemplate: true\n  generators:\n    - list:\n"
            "        elements:\n          - cluster: one\n  template:\n    metadata:\n"
            f"      name: web-{env}\n      annotations: {{c: '{{{{ kebabcase .cluster }}}}'}}\n"
            "    spec:\n      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        path: web\n"
            "      destination:\n        server: https://kubernetes.default.svc\n"
            f"        namespace: web-{env}\n")
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert sorted((t.id, t.app) for t in report.targets) == [
        ("prod/web-production", "web"), ("stg/web-staging", "web")]
    assert [f.policy for f in report.findings] == ["not-rendered", "not-rendered"]
    staging = tmp_path / "apps" / "web-staging.yaml"  # another app in stg: web is in prod only
    staging.write_text(staging.read_text().replace("web-staging", "api-staging"))
    assert sorted(f.message for f in lint(tmp_path, cache_dir=tmp_path.parent / "cache").findings
                  if f.policy == "env-consistency") == [
        "api is deployed to stg but not to prod, and singleEnvironment does not declare it",
        "web is deployed to prod but not to stg, and singleEnvironment does not declare it"]


def _locations(repo: Path, policy: str) -> list[str]:
    """The locations of ``policy``'s findings in ``repo`` (made a checkout), which lints with
    no could-not-check error."""
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=repo.parent / "cache")
    assert report_.errors == ()
    return [f.location for f in report_.findings if f.policy == policy]


_DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
               "  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
               "    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
               "        - name: c\n          image: nginx:{tag}\n")


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("kustomization", ["resources: [deploy.yaml]\n",
                                           "resources: [deploy.yaml]\nnamePrefix: edge-\n"])
def test_a_finding_in_a_later_document_of_a_kustomize_file_is_at_that_document(
        tmp_path: Path, kustomization: str) -> None:
    """kustomize's origin names the file only: the document is found by its kind and name
    (a prefix kustomize adds aside), as a directory source knows it."""
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": kustomization,
        "app/deploy.yaml": _DEPLOYMENT.format(name="first", tag="1.27.0") + "---\n"
        + _DEPLOYMENT.format(name="second", tag="latest"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="app")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert {(f.location, f.resource) for f in report_.findings
            if f.policy == "image-tag-pinned"} == {
        ("app/deploy.yaml:25", "Deployment/" + ("edge-" if "edge" in kustomization else "")
         + "second[c]")}


def test_the_targets_of_several_sources_are_numbered_by_their_place(tmp_path: Path) -> None:
    """A ``ref`` source renders nothing: the two charts after it are ``[1]`` and ``[2]``,
    their places in ``spec.sources``."""
    chart = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
    repo = write_files(tmp_path / "repo", {
        "charts/web/Chart.yaml": chart.format(name="web"),
        "charts/web/templates/cm.yaml": config_map.format(name="web"),
        "charts/api/Chart.yaml": chart.format(name="api"),
        "charts/api/templates/cm.yaml": config_map.format(name="api"),
        "apps/shop.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n"
            "spec:\n  project: default\n  sources:\n"
            "    - {repoURL: 'https://git.example.com/repo.git', ref: values}\n"
            "    - {repoURL: 'https://git.example.com/repo.git', path: charts/web}\n"
            "    - {repoURL: 'https://git.example.com/repo.git', path: charts/api}\n"
            "  destination: {server: 'https://kubernetes.default.svc', namespace: shop-prod}\n")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted(t.id for t in report_.targets) == ["prod/shop[1]", "prod/shop[2]"]


def test_a_resource_whose_name_is_empty_is_unnamed(tmp_path: Path) -> None:
    """``name:`` with no value (a template whose value was empty) is no name: the finding
    says so, not ``None``."""
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="manifests"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location, f.message) for f in report_.findings] == [
        ("k8s-schema", "manifests/cm.yaml:3", "ConfigMap/<unnamed>: metadata.name is missing")]
    from platecheck.engine import load

    [rendered] = load(repo, cache_dir=tmp_path / "cache").rendered
    assert [(r.name, r.ref) for r in rendered.resources] == [("", "ConfigMap/<unnamed>")]


INSTANCES = ("policies:\n  argocd-application:\n    options:\n      instances:\n"
             "        home: ['clusters/home/**']\n        lab: ['clusters/lab/**']\n")


@pytest.mark.parametrize("rendered", [False, True], ids=["file", "chart"])
def test_a_child_two_app_of_apps_deploy_is_managed_twice(tmp_path: Path,
                                                         rendered: bool) -> None:
    """Two app-of-apps point at one directory holding Application ``child`` (or at one chart
    that writes it): both manage one object, one finding at its name; with a cluster and an
    Argo CD each (``instances``), none."""
    child = application("child", "web", "web-prod")
    files = {"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
             "shared/Chart.yaml" if rendered else "shared/child.yaml":
                 "apiVersion: v2\nname: shared\nversion: 0.1.0\n" if rendered else child}
    if rendered:
        files["shared/templates/child.yaml"] = child
    for cluster in ("home", "lab"):
        files[f"clusters/{cluster}/mid.yaml"] = DIRECTORY_APP.format(
            name=f"mid-{cluster}", path="shared").replace("web-prod", "argocd")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    found = [(f.location, f.message) for f in lint(repo, cache_dir=tmp_path / "cache").findings
             if f.policy == "argocd-application" and "deployed by both" in f.message]
    where = "shared/templates/child.yaml:4" if rendered else "shared/child.yaml:4"
    assert found == [(where, "Application child: deployed by both Application mid-home and "
                             "Application mid-lab, each managing it: their syncs undo each "
                             "other, and deleting either deletes it")]
    write_files(repo, {"policies/platecheck.yaml": INSTANCES})
    assert not [f for f in lint(repo, cache_dir=tmp_path / "cache").findings
                if "deployed by both" in f.message]


def _two_roots_of_one_chart(tmp_path: Path, template: str, values: dict[str, str]) -> Path:
    """A repository of an app-of-apps chart ``shared`` of one ``template`` and a root in
    each cluster directory rendering it with that cluster's ``values``."""
    files = {"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
             "shared/Chart.yaml": "apiVersion: v2\nname: shared\nversion: 0.1.0\n",
             "shared/templates/children.yaml": template}
    for cluster, text in values.items():
        files[f"shared/{cluster}.yaml"] = text
        files[f"clusters/{cluster}/mid.yaml"] = application(
            f"mid-{cluster}", "shared", "argocd",
            source_extra=f"    helm:\n      valueFiles: [{cluster}.yaml]\n")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    return repo


def test_children_one_template_line_writes_are_each_managed_twice_or_not(
        tmp_path: Path) -> None:
    """An app-of-apps chart's ``range`` writes several Applications at one line; two parents
    render it with their own values: the child both render is deployed twice (one finding),
    the ones only one renders are not."""
    template = ("{{- range $name := .Values.children }}\n---\n"
                + application("{{ $name }}", "web", "web-prod") + "{{- end }}\n")
    repo = _two_roots_of_one_chart(tmp_path, template, {
        "home": "children: [both, home-only]\n", "lab": "children: [lab-only, both]\n"})
    found = [(f.location, f.message) for f in lint(repo, cache_dir=tmp_path / "cache").findings
             if f.policy == "argocd-application" and f.message.startswith("Application ")]
    assert found == [("shared/home.yaml:1",  # where its name was written
                      "Application both: deployed by both Application mid-home and "
                      "Application mid-lab, each managing it: their syncs undo each other, and "
                      "deleting either deletes it")]

def test_a_child_two_parents_render_differently_is_two_applications_not_one_managed_twice(
        tmp_path: Path) -> None:
    """Two roots render one app-of-apps chart with their own values into two documents of
    one name: two Applications of one name (one finding), not one manifest both manage."""
    repo = _two_roots_of_one_chart(tmp_path, application("web", "web", "{{ .Values.ns }}"),
                                   {"home": "ns: web-home\n", "lab": "ns: web-lab\n"})
    found = [f.message.split(": ", 1)[1][:28] for f in lint(repo, cache_dir=tmp_path / "cache"
                                                            ).findings
             if f.policy == "argocd-application" and f.message.startswith("Application web")]
    assert found == ["2 different Applications of "]


def test_a_child_that_names_no_environment_is_in_its_parents(tmp_path: Path) -> None:
    """The app-of-apps chart each cluster's root renders (an Argo CD each: ``instances``)
    makes ``cache`` (a name, labels and namespace of no environment) and ``web-stg`` (stg's
    by its name): ``cache`` is production's under the prod root (production's rules apply
    to it) and stg's under the stg root; ``web-stg`` is stg's whoever renders it. Neither is
    held to its environment's namespaces."""
    children = "".join("---\n" + application(name, "cache", namespace)
                       for name, namespace in (("cache", "cache"), ("web-stg", "web-stg")))
    files = {"cache/deploy.yaml": WEB_POD_SPEC.replace("web", "cache")
             + "      containers:\n        - name: cache\n          image: redis:latest\n",
             "roots/Chart.yaml": "apiVersion: v2\nname: roots\nversion: 0.1.0\n",
             "roots/templates/children.yaml": children,
             "policies/platecheck.yaml": INSTANCES.replace("home", "prod").replace("lab", "stg")}
    for env in ("prod", "stg"):
        files[f"clusters/{env}/root-{env}.yaml"] = application(f"root-{env}", "roots",
                                                               "argocd")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets) == [
        "prod/cache", "prod/root", "stg/cache", "stg/root", "stg/web"]
    assert sorted((f.policy, f.target) for f in report_.findings if f.policy in (
        "image-tag-pinned", "pull-policy", "argocd-application")) == [
        ("image-tag-pinned", "prod/cache"), ("pull-policy", "prod/cache")]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("layout", ["directory", "kustomize", "list-set"])
def test_a_written_child_that_names_no_environment_is_in_its_parents(
        tmp_path: Path, layout: str) -> None:
    """Each cluster's root deploys its directory of Applications (as files, through a
    kustomization listing them unchanged, or made by a plain list's ApplicationSet named
    for no environment): ``cache`` is production's under the prod root, stg's under the
    stg root, as a chart's child is."""
    child = application("cache", "cache", "cache")
    if layout == "list-set":
        child = application_set("apps", "    - list:\n        elements:\n          - app: cache\n",
                                "{{app}}", "cache", "cache")
    files = {"cache/deploy.yaml": WEB_POD_SPEC.replace("web", "cache")
             + "      containers:\n        - name: cache\n          image: redis:latest\n",
             "policies/platecheck.yaml": INSTANCES.replace("home", "prod").replace("lab", "stg")}
    for env in ("prod", "stg"):
        files[f"clusters/{env}/root-{env}.yaml"] = application(
            f"root-{env}", f"clusters/{env}/apps", "argocd")
        files[f"clusters/{env}/apps/cache.yaml"] = child
        if layout == "kustomize":
            files[f"clusters/{env}/apps/kustomization.yaml"] = "resources: [cache.yaml]\n"
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets if "cache" in t.id) == [
        "prod/cache", "stg/cache"]
    assert sorted((f.policy, f.target) for f in report_.findings if f.policy in (
        "image-tag-pinned", "argocd-application")) == [("image-tag-pinned", "prod/cache")]


def test_a_directory_of_another_repository_deploys_none_of_this_one_s(tmp_path: Path) -> None:
    """``root-prod`` deploys ``apps`` of another repository: Argo CD reads that repository's
    directory, so this one's ``apps/web.yaml`` is no child of it (it was put in production,
    and in the root's destination namespace)."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "bootstrap/root.yaml": application("root-prod", "apps", "default",
                                           repo="https://git.example.com/other.git"),
        "apps/web.yaml": application("web", "web", "web").replace("  namespace: argocd\n", ""),
        "web/cm.yaml": CM.format(name="web")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets) == ["default/web", "prod/root"]
    assert [f.location for f in report_.findings if f.policy == "argocd-application"] == []


@pytest.mark.usefixtures("kubectl_bin")
def test_a_missing_path_an_app_of_apps_build_writes_is_could_not_check(tmp_path: Path) -> None:
    """A Kustomize app-of-apps patches its child's path to one that does not exist: the
    child it outputs, which Argo CD creates, cannot be rendered, a could-not-check error of
    its own (it was dropped with the written child it replaces: a pass once
    argocd-application was a warning)."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "root/root.yaml": application("root", "apps", "argocd"),
        "apps/kustomization.yaml": (
            "resources: [web.yaml]\npatches:\n  - target: {kind: Application, name: web-prod}\n"
            "    patch: |-\n      - {op: replace, path: /spec/source/path, "
            "value: does-not-exist}\n"),
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": CM.format(name="web"),
        "policies/platecheck.yaml": "policies:\n  argocd-application: {level: warning}\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.target, e.message) for e in report_.errors] == [
        ("prod/web", "source path 'does-not-exist' does not exist")]
    assert report_.exit_code == 2


def test_a_placeholder_repo_url_is_no_repository_s_source(tmp_path: Path) -> None:
    """``repoURL: <REPO_URL>`` (a bootstrap script's placeholder) names no repository Argo CD
    can reach: not this one, whose ``manifests`` directory it rendered (a pass), but a
    source not rendered."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "apps/root.yaml": application("root", "manifests", "web", repo="<REPO_URL>"),
        "manifests/cm.yaml": CM.format(name="web")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location) for f in report_.findings if f.policy == "not-rendered"] \
        == [("not-rendered", "apps/root.yaml:8")]
    assert report_.exit_code == 1


def test_a_child_each_environment_s_root_deploys_is_in_the_first_environment(
        tmp_path: Path) -> None:
    """Each cluster's root (prod's, stg's) deploys the one directory ``apps``: its
    ``cache`` is in the first configured environment of its parents, production, as the
    first environment an Application matches is its own, so production's rules apply (it
    was in none, and production's rules passed it)."""
    files = {"cache/deploy.yaml": WEB_POD_SPEC.replace("web", "cache")
             + "      containers:\n        - name: cache\n          image: redis:latest\n",
             "apps/cache.yaml": application("cache", "cache", "cache"),
             "policies/platecheck.yaml": INSTANCES.replace("home", "prod").replace("lab", "stg")}
    for env in ("prod", "stg"):
        files[f"clusters/{env}/root-{env}.yaml"] = application(f"root-{env}", "apps", "argocd")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report_.targets if "cache" in t.id] == ["prod/cache"]
    assert [(f.policy, f.target) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [("image-tag-pinned", "prod/cache")]


def test_roots_of_one_name_are_in_the_environments_their_paths_match(tmp_path: Path) -> None:
    """Every cluster's root is ``root`` in ``argocd`` (names and namespaces of no
    environment): ``match.paths`` puts each in its cluster directory's environment, and its
    children ``cache`` with it: production's rules apply to prod's alone."""
    files = {"cache/deploy.yaml": WEB_POD_SPEC.replace("web", "cache")
             + "      containers:\n        - name: cache\n          image: redis:latest\n",
             "policies/platecheck.yaml": (
                 "environments:\n"
                 "  prod: {production: true, match: {paths: ['clusters/prod/*']}}\n"
                 "  stg: {match: {paths: ['clusters/stg/*']}}\n")}
    for env in ("prod", "stg"):
        files[f"clusters/{env}/root.yaml"] = application("root", f"clusters/{env}/apps",
                                                         "argocd")
        files[f"clusters/{env}/apps/cache.yaml"] = application("cache", "cache", "cache")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets) == ["prod/cache", "stg/cache"]
    assert [(f.policy, f.target) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [("image-tag-pinned", "prod/cache")]
    assert not report_.errors


@pytest.mark.parametrize("option", ["", "    options: {namespaces: {prod: ['*-prod']}}\n"],
                         ids=["guessed", "configured"])
def test_an_application_its_directory_classifies_keeps_its_namespace(
        tmp_path: Path, option: str) -> None:
    """``web`` under ``clusters/prod/`` (``match.paths``) deploys to ``web``: its directory,
    not its namespace, said its environment, so the namespace rule's guess (``*-prod``)
    does not hold it; namespaces configured for the environment do."""
    repo = write_files(tmp_path / "repo", {
        "web/cm.yaml": CM.format(name="web"),
        "clusters/prod/web.yaml": application("web", "web", "web"),
        "policies/platecheck.yaml": (
            "environments:\n  prod: {production: true, match: {paths: [clusters/prod]}}\n"
            + ("policies:\n  argocd-application:\n" + option if option else ""))})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report_.targets] == ["prod/web"]
    assert [f.location for f in report_.findings if f.policy == "argocd-application"] == (
        ["clusters/prod/web.yaml:13"] if option else [])


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("kustomized", [False, True], ids=["directory", "kustomize"])
def test_an_application_set_not_expanded_is_in_its_parents_environment(
        tmp_path: Path, kustomized: bool) -> None:
    """A set of a clusters generator (not expanded) in the prod root's directory, listed
    as it is by a kustomization or not: its target is production's."""
    files = {"clusters/prod/root-prod.yaml": application("root-prod", "clusters/prod/apps",
                                                         "argocd"),
             "clusters/prod/apps/set.yaml": application_set(
                 "tools", "    - clusters: {}\n", "{{name}}-tools", "tools", "tools")}
    if kustomized:
        files["clusters/prod/apps/kustomization.yaml"] = "resources: [set.yaml]\n"
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report_.targets if "tools" in t.id] == ["prod/tools"]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("kustomized", [False, True], ids=["directory", "kustomize"])
def test_an_item_of_a_list_file_is_at_its_own_lines(tmp_path: Path, kustomized: bool) -> None:
    """A ``kind: List`` file of two custom objects: each item is a resource of its own,
    its finding at the item's line, a field's at its line in the item."""
    items = "".join(
        f"  - apiVersion: example.com/v1\n    kind: Widget\n    metadata:\n"
        f"      name: {name}\n" for name in ("first", "second")) + (
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cm\n"
        "    data: [wrong]\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web"),
        "apps/again.yaml": DIRECTORY_APP.format(name="again", path="web").replace(
            "again-prod", "web-prod"),
        "web/list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + items,
        **({"web/kustomization.yaml": "resources: [list.yaml]\n"} if kustomized else {})})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted({(f.policy, f.location) for f in report_.findings
                   if f.policy in ("unknown-kind", "k8s-schema")}) == [
        ("k8s-schema", "web/list.yaml:16"),
        ("unknown-kind", "web/list.yaml:4"), ("unknown-kind", "web/list.yaml:8")]
    # two Applications deploy them: each shared one at its own name
    assert sorted(f.location for f in report_.findings if "deployed by both" in f.message) \
        == ["web/list.yaml:11", "web/list.yaml:15", "web/list.yaml:7"]

@pytest.mark.usefixtures("kubectl_bin")
def test_objects_of_one_name_in_several_namespaces_are_each_at_their_own_lines(
        tmp_path: Path) -> None:
    """A kustomization's file holds ``Grant/allow`` in three namespaces: kustomize's origin
    names the file only, and each object is at its own document, found by its namespace."""
    grants = "---\n".join(
        f"apiVersion: example.com/v1\nkind: Grant\nmetadata:\n  name: allow\n"
        f"  namespace: team-{team}\n" for team in "abc")
    repo = write_files(tmp_path / "repo", {
        "apps/app.yaml": DIRECTORY_APP.format(name="app", path="app"),
        "app/kustomization.yaml": "resources: [grants.yaml]\n", "app/grants.yaml": grants})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(f.location for f in report_.findings if f.policy == "unknown-kind") == [
        "app/grants.yaml:14", "app/grants.yaml:2", "app/grants.yaml:8"]

@pytest.mark.parametrize(("app_options", "annotation", "partial"), [
    ("", "", False),
    ("ServerSideApply=true", "", False),
    ("ServerSideApply=true,Validate=false", "", True),
    ("ServerSideApply=true", "Validate=false", True),
])
def test_a_partial_object_argo_cd_applies_server_side_lacks_no_required_field(
        tmp_path: Path, app_options: str, annotation: str, partial: bool) -> None:
    """A Deployment of ``spec.replicas`` alone, applied with ServerSideApply=true and
    Validate=false (the Application's sync options, or the resource's): Argo CD's way to
    patch an object the cluster has; its required fields are not missing. A wrong type
    still is."""
    sync = ("  syncPolicy:\n    syncOptions: [" + app_options + "]\n") if app_options else ""
    note = (f"  annotations:\n    argocd.argoproj.io/sync-options: {annotation}\n"
            if annotation else "")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web") + sync,
        "web/patch.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                           + note + "spec:\n  replicas: 3\n  paused: 'no'\n")})
    (repo / ".git").mkdir()
    found = sorted(f.message for f in lint(repo, cache_dir=tmp_path / "cache").findings
                   if f.policy == "k8s-schema")
    typed = 'Deployment/web: spec.paused: expected boolean, got string "no"'
    assert found == [typed] if partial else found == [
        typed, "Deployment/web: spec: required field 'selector' is missing",
        "Deployment/web: spec: required field 'template' is missing"]

def test_a_key_in_a_block_scalar_is_no_field_of_the_container(tmp_path: Path) -> None:
    """A container without ``resources`` whose ``args`` hold a script that writes
    ``resources:`` (a Role in a heredoc): the finding is at the container's entry, not at
    that text."""
    job = ("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: apply\nspec:\n"
           "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
           "      - name: apply\n"                                         # 10
           "        image: bitnami/kubectl:1.31.0\n        args:\n        - |-\n"
           "          cat <<EOF | kubectl apply -f -\n          rules:\n"
           "          - apiGroups: ['']\n            resources:\n            - pods\n"
           "          EOF\n")
    repo = write_files(tmp_path / "repo", {
        "apps/job.yaml": DIRECTORY_APP.format(name="job", path="job"), "job/job.yaml": job})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if f.policy == "resource-ranges"] == [
        "job/job.yaml:10"]

CLUSTER_SCOPED_OBJECTS = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: shared-vap
spec:
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: shared-widget
---
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: own-gadget
"""

SCOPED_CRDS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.example.com
spec:
  group: example.com
  scope: {scope}
  names: {{kind: {kind}, plural: {plural}}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"""


def test_a_cluster_scoped_kind_two_applications_deploy_is_one_object(tmp_path: Path) -> None:
    """Argo CD gives a cluster-scoped object no namespace (NormalizeTargetObjects), so two
    Applications of two destination namespaces deploy one ValidatingAdmissionPolicy (a
    built-in cluster-scoped kind) and one Widget (whose CRD in the repository says scope:
    Cluster); a Gadget (scope: Namespaced) is one of each destination namespace."""
    repo = write_files(tmp_path / "repo", {
        "apps/one.yaml": application("one", "d", "prod-a"),
        "apps/two.yaml": application("two", "d", "prod-b"),
        "apps/crds.yaml": application("crds", "crds", "prod-a"),
        "crds/widget.yaml": SCOPED_CRDS.format(kind="Widget", plural="widgets", scope="Cluster"),
        "crds/gadget.yaml": SCOPED_CRDS.format(kind="Gadget", plural="gadgets",
                                               scope="Namespaced"),
        "d/objects.yaml": CLUSTER_SCOPED_OBJECTS})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "argocd-application"] == [
        ("d/objects.yaml:4", "ValidatingAdmissionPolicy/shared-vap is deployed by both "
         "Application one (prod/one) and Application two; Argo CD's syncs of the two undo "
         "each other"),
        ("d/objects.yaml:12", "Widget/shared-widget is deployed by both Application one "
         "(prod/one) and Application two; Argo CD's syncs of the two undo each other")]


def test_two_argo_cd_instances_may_share_names_and_resources(tmp_path: Path) -> None:
    """One directory per cluster, each cluster's own Argo CD, every destination in-cluster:
    one Argo CD would see the name ``web`` twice and one Namespace deployed by two
    Applications; two Argo CDs do not."""
    files = {"namespaces/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
             "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    for cluster in ("home", "lab"):
        files[f"clusters/{cluster}/namespaces.yaml"] = DIRECTORY_APP.format(
            name=f"namespaces-{cluster}", path="namespaces")
        files[f"clusters/{cluster}/web.yaml"] = DIRECTORY_APP.format(name="web", path="web")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    found = [f for f in lint(repo, cache_dir=tmp_path / "cache").findings
             if f.policy == "argocd-application"]
    assert sorted(f.message for f in found) == [
        "Application web: name is also used by clusters/home/web.yaml:4",
        "Namespace/web is deployed by both Application namespaces-home "
        "(prod/namespaces-home) and Application namespaces-lab; Argo CD's syncs of the two "
        "undo each other"]
    # while no instances are set, the name's remedy says how to set them
    [named] = [f for f in found if "name is also used" in f.message]
    assert "instances" in named.remediation
    write_files(repo, {"policies/platecheck.yaml": INSTANCES.replace(
        "        lab: ['clusters/lab/**']\n", "").replace("clusters/home/**", "clusters/**")})
    [named] = [f for f in lint(repo, cache_dir=tmp_path / "cache").findings
               if "name is also used" in f.message]  # one instance: a name once
    assert named.remediation == "Give every Application a unique name."
    write_files(repo, {"policies/platecheck.yaml": INSTANCES})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f for f in report_.findings if f.policy == "argocd-application"] == []


def test_the_applications_a_render_generates_belong_to_their_parents_instance(
        tmp_path: Path) -> None:
    """A chart of Applications that each cluster's root renders with its own values: the
    children of one template line differ per cluster, and are each cluster's own."""
    files = {
        "charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "charts/apps/templates/web.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
            "  namespace: argocd\nspec:\n  project: default\n  source:\n"
            "    repoURL: https://git.example.com/repo.git\n    path: web\n"
            "  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: {{ .Values.namespace }}\n"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    for cluster in ("home", "lab"):
        files[f"clusters/{cluster}/root.yaml"] = DIRECTORY_APP.format(
            name="root", path="charts/apps").replace(
            "    path: charts/apps\n",
            f"    path: charts/apps\n    helm:\n      valuesObject: {{namespace: web-{cluster}}}\n")
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    assert any("different Applications of this name" in f.message for f in lint(
        repo, cache_dir=tmp_path / "cache").findings)
    write_files(repo, {"policies/platecheck.yaml": INSTANCES})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.message for f in report_.findings if f.policy == "argocd-application"] == []


@pytest.mark.usefixtures("kubectl_bin")
def test_a_kustomization_directive_is_never_the_line_of_a_resource_field(
        tmp_path: Path) -> None:
    """``replicas:`` of a kustomization names other Deployments' counts: a patched
    ``spec.replicas`` of another is not found there (not at its entry either), but in the
    patch that wrote it."""
    repo = write_files(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0") + "---\n"
        + _DEPLOYMENT.format(name="other", tag="1.27.0"),
        "prod/kustomization.yaml": ("resources: [../base]\nreplicas:\n  - name: other\n"
                                    "    count: 3\npatches:\n  - path: patch.yaml\n"),
        "prod/patch.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                            "spec:\n  replicas: '2'\n"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="prod")})
    (repo / ".git").mkdir()
    [finding] = [f for f in lint(repo, cache_dir=tmp_path / "cache").findings
                 if f.policy == "k8s-schema"]
    assert finding.message.startswith("Deployment/web: spec.replicas: expected integer")
    assert finding.location == "prod/patch.yaml:6"


# a base of a Deployment with two containers ("side" and "c") and an Ingress, for overlays
# that patch them
_PATCHED_BASE = {
        "base/kustomization.yaml": "resources: [deploy.yaml, ingress.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0").replace(
            "        - name: c\n", "        - name: side\n          image: busybox:1.36\n"
            "        - name: c\n"),
        "base/ingress.yaml": (
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
            "spec:\n  tls:\n    - hosts: [web.local]\n  rules:\n    - host: web.local\n"),
}


def _patched(tmp_path: Path, overlay: dict[str, str]) -> Report:
    """The lint of ``_PATCHED_BASE`` and an overlay of it in ``prod``, which an Application
    deploys; it must find nothing it cannot check."""
    repo = write_files(tmp_path / "repo", {
        **_PATCHED_BASE, **overlay, "apps/web.yaml": DIRECTORY_APP.format(name="web", path="prod")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    return report_


@pytest.mark.usefixtures("kubectl_bin")
def test_a_field_an_overlay_patch_sets_points_at_the_patch(tmp_path: Path) -> None:
    """kustomize's origin names the base file; a value an overlay's strategic-merge patch
    set (an image, a pull policy, a quantity, a host) is found at the patch's line, the
    container by its name, the rest at the base."""
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": ("resources: [../base]\nnamePrefix: p-\npatches:\n"
                                    "  - path: deploy.yaml\n  - path: ingress.yaml\n"),
        "prod/deploy.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
            "  template:\n    spec:\n      containers:\n        - name: c\n"
            "          image: nginx:latest\n          resources:\n"
            "            requests: {memory: 2GB}\n"),
        "prod/ingress.yaml": ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n"
                              "  name: web\nspec:\n  rules:\n    - host: web.example.com\n"),
    })
    found = {(f.policy, f.location) for f in report_.findings}
    assert {("image-tag-pinned", "prod/deploy.yaml:10"), ("pull-policy", "prod/deploy.yaml:10"),
            ("resource-ranges", "prod/deploy.yaml:12"),
            ("ingress-tls", "prod/ingress.yaml:7")} <= found
    # the side container the patch does not touch is at the base
    assert {f.location for f in report_.findings
            if f.policy == "resource-ranges" and "side" in f.message} == {"base/deploy.yaml:11"}


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("listed", ["resources: [../mid]",
                                    "resources: [../base]\ncomponents: [../mid]"])
def test_an_image_tag_a_base_or_component_sets_points_at_its_new_tag(
        tmp_path: Path, listed: str) -> None:
    """The source's kustomization sets another image's tag; the one a kustomization it lists
    sets (an intermediate overlay, a component) is found at that ``newTag``."""
    mid_kind = "Component" if "components" in listed else "Kustomization"
    mid_api = ("kustomize.config.k8s.io/v1alpha1" if mid_kind == "Component"
               else "kustomize.config.k8s.io/v1beta1")
    repo = write_files(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0"),
        "mid/kustomization.yaml": (f"apiVersion: {mid_api}\nkind: {mid_kind}\n"
                                   + ("resources: [../base]\n" if mid_kind != "Component" else "")
                                   + "images:\n  - name: nginx\n    newTag: latest\n"),
        "prod/kustomization.yaml": (f"{listed}\nimages:\n  - name: busybox\n"
                                    "    newTag: '1.36'\n"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="prod")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    line = 5 if mid_kind == "Component" else 6
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        f"mid/kustomization.yaml:{line}"]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("where", ["overlay", "override-file"])
def test_a_tag_kustomize_sets_again_is_at_the_last_entry_not_the_base(
        tmp_path: Path, where: str) -> None:
    """The base writes ``nginx:latest``; ``mid`` retags it ``1.27.0``; the source sets
    ``latest`` again (its kustomization's ``newTag``, or the ``kustomize.images`` of an
    ``.argocd-source-<app>.yaml`` that Argo CD applies with ``kustomize edit set image``):
    the tag is that last entry's, not the base's literal that happens to match."""
    repo = write_files(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="latest"),
        "mid/kustomization.yaml": ("resources: [../base]\nimages:\n  - name: nginx\n"
                                   "    newTag: '1.27.0'\n"),
        "prod/kustomization.yaml": "resources: [../mid]\n" + (
            "images:\n  - name: nginx\n    newTag: latest\n" if where == "overlay" else ""),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="prod")})
    if where == "override-file":
        (repo / "prod" / ".argocd-source-web.yaml").write_text(
            "kustomize:\n  images:\n    - nginx:latest\n")
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "prod/kustomization.yaml:4" if where == "overlay" else "prod/.argocd-source-web.yaml:3"]


@pytest.mark.usefixtures("kubectl_bin")
def test_inline_and_json_patches_point_at_the_line_that_wrote_the_field(
        tmp_path: Path) -> None:
    """An inline strategic-merge patch (a literal block in the kustomization), a JSON 6902
    patch inline and one from a file (its target's name a regular expression): each field
    is found at the line that wrote it, not at the base."""
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": (
            "resources: [../base]\nnamePrefix: p-\npatches:\n"
            "  - patch: |-\n"                                             # 4
            "      apiVersion: apps/v1\n      kind: Deployment\n"
            "      metadata:\n        name: web\n      spec:\n"
            "        replicas: '2'\n"                                     # 10
            "  - target: {kind: Deployment, name: web}\n    patch: |\n"
            "      - op: replace\n        path: /spec/template/spec/containers/1/image\n"
            "        value: nginx:latest\n"                               # 15
            "  - path: ingress.yaml\n    target:\n      kind: Ingress\n      name: w.b\n"),
        "prod/ingress.yaml": ("- op: add\n  path: /spec/rules/0/host\n  value: web.example.com\n"
                              "- op: remove\n  path: /spec/tls\n"),
    })
    found = {(f.policy, f.location) for f in report_.findings}
    assert {("k8s-schema", "prod/kustomization.yaml:10"),
            ("image-tag-pinned", "prod/kustomization.yaml:15"),
            ("pull-policy", "prod/kustomization.yaml:15"),
            ("ingress-tls", "prod/ingress.yaml:3")} <= found
    # the side container no patch touches is at the base
    assert {f.location for f in report_.findings
            if f.policy == "resource-ranges" and "side" in f.message} == {"base/deploy.yaml:11"}


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("op", ["copy", "move"])
def test_a_value_a_json_patch_copies_is_at_the_operation_not_the_value_it_overwrote(
        tmp_path: Path, op: str) -> None:
    """A JSON 6902 ``copy`` (or ``move``) writes the value at ``from`` over ``path`` (RFC
    6902, as kustomize applies it): the container then runs the copied image, found at the
    operation's ``from``, not at the base line whose value it overwrote."""
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": (
            "resources: [../base]\npatches:\n"
            "  - target: {kind: Deployment, name: web}\n    patch: |-\n"
            "      - op: replace\n        path: /spec/template/spec/containers/0/image\n"
            "        value: busybox:latest\n"                             # 7
            f"      - op: {op}\n"
            "        from: /spec/template/spec/containers/0/image\n"      # 9
            "        path: /spec/template/spec/containers/1/image\n")})
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned" and '"c"' in f.message] == [
        ("prod/kustomization.yaml:9",
         'container "c" in Deployment/web uses floating tag "latest"')]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("how", ["strategic-merge", "json6902"])
def test_a_container_only_a_patch_adds_is_at_the_patch(tmp_path: Path, how: str) -> None:
    """An init container the base does not write, added by a patch with requests and no
    limits: what it lacks is at the patch's ``resources``, not at the base without a line."""
    container = ("- name: setup\n  image: busybox:1.36.1\n  resources:\n"
                 "    requests: {cpu: 100m, memory: 64Mi}\n")
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
             "  template:\n    spec:\n      initContainers:\n"
             + "".join(f"        {line}\n" for line in container.splitlines())) \
        if how == "strategic-merge" else (
            "- op: add\n  path: /spec/template/spec/initContainers\n  value:\n"
            + "".join(f"    {line}\n" for line in container.splitlines()))
    target = "" if how == "strategic-merge" else "    target: {kind: Deployment, name: web}\n"
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": f"resources: [../base]\npatches:\n  - path: add.yaml\n{target}",
        "prod/add.yaml": patch})
    assert {f.location for f in report_.findings
            if f.policy == "resource-ranges" and "setup" in f.message} == {
        "prod/add.yaml:11" if how == "strategic-merge" else "prod/add.yaml:6"}

@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("how", ["strategic-merge", "json6902"])
def test_a_tls_list_a_patch_replaces_is_at_the_patch_and_the_rules_at_the_base(
        tmp_path: Path, how: str) -> None:
    """A patch replaces the Ingress's ``tls`` (IngressSpec.tls has no merge key: the list is
    replaced whole): its entry without a secret is at the patch's ``hosts``; the rule the
    patch does not write is at the base's rule, not at the patch's ``spec``."""
    entry = "    - hosts: [web.example.com]\n"
    patch = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
             "spec:\n  tls:\n" + entry) if how == "strategic-merge" else (
        "- op: replace\n  path: /spec/tls\n  value:\n" + entry)
    listed = "  - path: ingress.yaml\n" + (
        "" if how == "strategic-merge" else "    target: {kind: Ingress, name: web}\n")
    report_ = _patched(tmp_path, {
        "base/ingress.yaml": _PATCHED_BASE["base/ingress.yaml"].replace(
            "    - host: web.local\n", "    - http: {paths: []}\n"),
        "prod/kustomization.yaml": "resources: [../base]\npatches:\n" + listed,
        "prod/ingress.yaml": patch})
    line = 7 if how == "strategic-merge" else 4
    assert sorted((f.location, f.message) for f in report_.findings
                  if f.policy == "ingress-tls" and " #1 " in f.message) == [
        ("base/ingress.yaml:9", "Ingress/web rule #1 has no host, so no tls entry covers it"),
        (f"prod/ingress.yaml:{line}",
         "Ingress/web tls entry #1 (web.example.com) has no secretName")]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("how", ["strategic-merge", "json6902"])
def test_a_value_a_patch_sets_again_is_at_the_patch_not_the_base(tmp_path: Path,
                                                                  how: str) -> None:
    """A patch writes the host the base already writes: kustomize applies the patch last,
    so editing the base would not change what the overlay deploys; the host is at the
    patch (mk48/k3s-infra)."""
    patch = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
             "spec:\n  rules:\n    - host: web.example.com\n") if how == "strategic-merge" \
        else "- op: replace\n  path: /spec/rules/0/host\n  value: web.example.com\n"
    listed = "  - path: ingress.yaml\n" + (
        "" if how == "strategic-merge" else "    target: {kind: Ingress, name: web}\n")
    report_ = _patched(tmp_path, {
        "base/ingress.yaml": _PATCHED_BASE["base/ingress.yaml"].replace(
            "  tls:\n    - hosts: [web.local]\n", "").replace("web.local", "web.example.com"),
        "prod/kustomization.yaml": "resources: [../base]\npatches:\n" + listed,
        "prod/ingress.yaml": patch})
    assert [f.location for f in report_.findings if f.policy == "ingress-tls"
            and "web.example.com" in f.message] == [
        "prod/ingress.yaml:7" if how == "strategic-merge" else "prod/ingress.yaml:3"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_tag_a_patch_and_the_images_entry_both_set_is_at_the_images_entry(
        tmp_path: Path) -> None:
    """A patch writes ``nginx:latest`` and the kustomization's ``images`` sets ``latest``
    again: kustomize retags after it patches, so the tag is the entry's
    (NicolasHuberty/full-stack-k3s)."""
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
             "  template:\n    spec:\n      containers:\n        - name: c\n"
             "          image: nginx:latest\n")
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": "resources: [../base]\npatches:\n  - path: deploy.yaml\n"
                                   "images:\n  - name: nginx\n    newTag: latest\n",
        "prod/deploy.yaml": patch})
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "prod/kustomization.yaml:6"]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("target", "applied"), [
    ("{kind: 'Deploy.*', name: web}", True),  # a regular expression, as kustomize reads it
    ("{name: web, group: apps}", True),  # no kind: any kind (the Ingress web is no apps)
    ("{kind: Deployment, group: apps, version: 'v.*'}", True),
    ("{kind: Deployment, version: v2}", False),  # selects no apps/v1 Deployment
    ("{kind: Deployment, group: batch}", False),
    ("{kind: Deployment, namespace: other}", False),
])
def test_a_patch_target_selects_as_kustomize_selects(tmp_path: Path, target: str,
                                                     applied: bool) -> None:
    """A JSON 6902 patch retagging the image ``latest``: where its target selects the
    Deployment (kind, group, version and namespace each a regular expression; none: any),
    the tag is at the patch; where it does not, kustomize leaves the base's, and so the
    finding is at the base."""
    report_ = _patched(tmp_path, {
        "base/deploy.yaml": _PATCHED_BASE["base/deploy.yaml"].replace("nginx:1.27.0",
                                                                      "nginx:latest"),
        "prod/kustomization.yaml": f"resources: [../base]\npatches:\n  - target: {target}\n"
                                   "    patch: |-\n      - op: replace\n"
                                   "        path: /spec/template/spec/containers/1/image\n"
                                   "        value: nginx:latest\n"})
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "prod/kustomization.yaml:7" if applied else "base/deploy.yaml:14"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_patch_written_as_a_quoted_string_points_at_its_entry(tmp_path: Path) -> None:
    """An inline patch written as a quoted string, not a literal block: its own lines are
    not the file's, so a field it writes is found at the line of its ``patch`` key."""
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": (
            "resources: [../base]\npatches:\n"
            '  - patch: "apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: web\\n'
            "spec:\\n  replicas: '2'\\n\"\n"),                         # 3
    })
    found = {(f.policy, f.location) for f in report_.findings}
    assert ("k8s-schema", "prod/kustomization.yaml:3") in found


@pytest.mark.usefixtures("kubectl_bin")
def test_a_field_a_replacement_writes_points_at_its_field_path(tmp_path: Path) -> None:
    """kustomize's ``replacements`` copy a value from one resource into fields of others,
    after the kustomization's patches: a field one writes is found at the line of its field
    path, in the kustomization or in the replacement file its ``path`` names; a container by
    its name, a list item by its index, a target selected by a name before the prefix."""
    report_ = _patched(tmp_path, {
        "prod/kustomization.yaml": (
            "resources: [../base, source.yaml]\nnamePrefix: p-\nreplacements:\n"
            "  - source: {kind: ConfigMap, name: settings, fieldPath: data.image}\n"
            "    targets:\n      - select: {kind: Deployment, name: web}\n"
            "        fieldPaths:\n"
            "          - spec.template.spec.containers.[name=c].image\n"   # 8
            "  - path: host.yaml\n"),
        "prod/source.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
                             "data:\n  image: nginx:latest\n  host: web.example.com\n"),
        "prod/host.yaml": ("source:\n  kind: ConfigMap\n  name: settings\n"
                           "  fieldPath: data.host\ntargets:\n  - select:\n"
                           "      kind: Ingress\n    fieldPaths:\n"
                           "      - spec.rules.0.host\n"),                          # 9
    })
    found = {(f.policy, f.location) for f in report_.findings}
    assert {("image-tag-pinned", "prod/kustomization.yaml:8"),
            ("pull-policy", "prod/kustomization.yaml:8"),
            ("ingress-tls", "prod/host.yaml:9")} <= found
    # the side container no replacement touches is at the base
    assert {f.location for f in report_.findings
            if f.policy == "resource-ranges" and "side" in f.message} == {"base/deploy.yaml:11"}


@pytest.mark.parametrize(("written", "parts"), [
    ("spec.rules.0.host", ["spec", "rules", 0, "host"]),
    ("spec.containers.[name=web].image", ["spec", "containers", ("name", "web"), "image"]),
    ("metadata.annotations.[example.com/a.b]", ["metadata", "annotations", "example.com/a.b"]),
    ("data.config\\.json", ["data", "config.json"]),
    (".metadata.name", ["metadata", "name"]),
    ("spec.*.image", None),
    ("spec.ports.[port=80].name", None),
])
def test_a_replacement_field_path_is_split_as_kustomize_splits_it(
        written: str, parts: list[object] | None) -> None:
    from platecheck.kustomize_patches import _field_path

    assert _field_path(written) == parts


@pytest.mark.usefixtures("kubectl_bin")
def test_an_application_image_override_keeps_the_tags_its_kustomizations_set(
        tmp_path: Path) -> None:
    """The Application's ``kustomize.images`` sets one image; another's tag, set by an
    overlay the source lists, is still found at that overlay's ``newTag``."""
    app = DIRECTORY_APP.format(name="web", path="prod").replace(
        "    path: prod\n", "    path: prod\n    kustomize:\n      images:\n"
        "        - busybox:latest\n")
    repo = write_files(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0").replace(
            "        - name: c\n", "        - name: side\n          image: busybox:1.36\n"
            "        - name: c\n"),
        "mid/kustomization.yaml": "resources: [../base]\nimages:\n  - name: nginx\n"
                                  "    newTag: latest\n",
        "prod/kustomization.yaml": "resources: [../mid]\n",
        "apps/web.yaml": app})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted((f.resource, f.location) for f in report_.findings
                  if f.policy == "image-tag-pinned") == [
        ("Deployment/web[c]", "mid/kustomization.yaml:4"),
        ("Deployment/web[side]", "apps/web.yaml:13")]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_field_an_application_patch_sets_points_at_the_application(
        tmp_path: Path) -> None:
    """An Application's ``kustomize.patches`` are applied after the kustomization's own: a
    field one writes is found at its line in the Application file."""
    app = DIRECTORY_APP.format(name="web", path="prod").replace(
        "    path: prod\n", "    path: prod\n    kustomize:\n      patches:\n"
        "        - target: {kind: Deployment, name: web}\n          patch: |-\n"
        "            - op: replace\n              path: /spec/template/spec/containers/0/image\n"
        "              value: nginx:latest\n")
    repo = write_files(tmp_path / "repo", {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0"),
        "prod/kustomization.yaml": "resources: [../base]\npatches:\n  - patch: |-\n"
                                   "      - op: replace\n"
                                   "        path: /spec/template/spec/containers/0/image\n"
                                   "        value: nginx:1.26\n        # overridden\n"
                                   "    target: {kind: Deployment}\n",
        "apps/web.yaml": app})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "apps/web.yaml:17"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_transformer_directory_a_build_lists_keys_its_cached_build(tmp_path: Path) -> None:
    """A ``transformers`` entry naming a kustomization outside the source's directory is
    read by the build: changing it builds again (the cached build is not taken)."""
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": "resources: [deploy.yaml]\n"
                                  "transformers: [../common/transformers]\n",
        "app/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.26.0"),
        "common/transformers/kustomization.yaml": "resources: [image.yaml]\n",
        "common/transformers/image.yaml": (
            "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: pin\n"
            "imageTag:\n  name: nginx\n  newTag: latest\n"),
        "apps/web.yaml": DIRECTORY_APP.format(name="web", path="app")})
    (repo / ".git").mkdir()

    def tags() -> list[str]:
        report_ = lint(repo, cache_dir=tmp_path / "cache")
        assert report_.errors == ()
        return [f.message for f in report_.findings if f.policy == "image-tag-pinned"]

    assert tags() == ['container "c" in Deployment/web uses floating tag "latest"']
    image = repo / "common" / "transformers" / "image.yaml"
    image.write_text(image.read_text().replace("latest", "1.27.0"))
    assert tags() == []


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("count", "replicas"), [
    ("3", 3), ("'4'", 4), ("'+5'", 5), ("two", None), ("1.5", None), ("[1]", None),
    ("' 3'", None), ("'3_000'", None), ("'\uff13'", None), ("'9223372036854775808'", None)])
def test_an_application_replica_count_is_a_whole_number_or_not_checked(
        tmp_path: Path, count: str, replicas: int | None) -> None:
    """``kustomize.replicas`` counts are Argo CD's IntOrString: a number or a string of one
    as Go's ``strconv.Atoi`` reads it (a sign and ASCII digits: no space, no underscore, no
    other digits); anything else fails the source, a could-not-check error at its line,
    never a crash."""
    app = DIRECTORY_APP.format(name="web", path="app").replace(
        "    path: app\n", "    path: app\n    kustomize:\n      replicas:\n"
        f"        - name: web\n          count: {count}\n")
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": "resources: [deploy.yaml]\n",
        "app/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0"),
        "apps/web.yaml": app})
    (repo / ".git").mkdir()
    from platecheck.engine import load

    model = load(repo, cache_dir=tmp_path / "cache")
    if replicas is None:
        assert [(e.location, e.policy) for e in model.errors] == [
            ("apps/web.yaml:14", "could-not-check")]
    else:
        assert model.errors == ()
        assert model.rendered[0].resources[0].doc["spec"]["replicas"] == replicas


_WEB_CHART = {
    "app/charts/web/Chart.yaml": ("apiVersion: v2\nname: web\nversion: 0.1.0\n"
                                  "kubeVersion: '>=1.25.0-0 <1.31.0-0'\n"),
    "app/charts/web/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "data:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        "  policy: {{ .Capabilities.APIVersions.Has \"policy.example.com/v1\" | quote }}\n"),
    "app/charts/web/values.yaml": "{}\n",
}


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("inflate", ["helmCharts", "generators"])
@pytest.mark.parametrize("versions", ["", "kubeVersion: v1.30.4+k3s\n"
                                      "      apiVersions: [policy.example.com/v1]\n"])
def test_inflated_charts_see_the_kubernetes_version_argo_cd_passes(
        tmp_path: Path, inflate: str, versions: str) -> None:
    """A chart a kustomization inflates (``helmCharts``, or a HelmChartInflationGenerator
    among its ``generators``) sees the Application's ``kustomize.kubeVersion`` and
    ``apiVersions``, as Argo CD passes them with ``--enable-helm``; without them, helm's own
    default, which this chart refuses."""
    app = DIRECTORY_APP.format(name="web", path="app")
    if versions:
        app = app.replace("    path: app\n", f"    path: app\n    kustomize:\n      {versions}")
    generator = ("apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n"
                 "  name: web\nname: web\nreleaseName: web\n")
    repo = write_files(tmp_path / "repo", {
        **_WEB_CHART,
        "app/kustomization.yaml": ("helmCharts:\n  - name: web\n    releaseName: web\n"
                                   if inflate == "helmCharts" else "generators: [gen.yaml]\n"),
        "app/gen.yaml": generator,
        "apps/web.yaml": app})
    (repo / ".git").mkdir()
    from platecheck.engine import load

    model = load(repo, cache_dir=tmp_path / "cache")
    if not versions:
        assert [(e.file, e.policy) for e in model.errors] == [
            ("app/kustomization.yaml", "could-not-check")]
        return
    assert model.errors == ()
    assert model.rendered[0].resources[0].doc["data"] == {"kube": "v1.30.4", "policy": "true"}


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("annotations_envsubst", [False, True])
def test_application_kustomize_fields_are_substituted_as_argo_cd_does(
        tmp_path: Path, annotations_envsubst: bool) -> None:
    """``$ARGOCD_APP_*`` in the Application's ``kustomize.images`` and ``commonLabels`` is
    substituted; in ``commonAnnotations`` only with ``commonAnnotationsEnvsubst``."""
    app = DIRECTORY_APP.format(name="web", path="app").replace(
        "    path: app\n", "    path: app\n    kustomize:\n"
        "      images: ['nginx=registry.example.com/${ARGOCD_APP_NAME}:1.27.0']\n"
        "      commonLabels: {owner: $ARGOCD_APP_NAMESPACE}\n"
        "      commonAnnotations: {by: $ARGOCD_APP_NAME}\n"
        f"      commonAnnotationsEnvsubst: {str(annotations_envsubst).lower()}\n")
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": "resources: [deploy.yaml]\n",
        "app/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.26.0"),
        "apps/web.yaml": app})
    (repo / ".git").mkdir()
    from platecheck.engine import load

    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    doc = model.rendered[0].resources[0].doc
    assert doc["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.example.com/web:1.27.0"
    assert doc["metadata"]["labels"] == {"owner": "web-prod"}
    assert doc["metadata"]["annotations"] == {
        "by": "web" if annotations_envsubst else "$ARGOCD_APP_NAME"}


@pytest.mark.parametrize(("namespace", "values"), [
    ("argocd", "values-web.yaml"), ("team-a", "values-team-a_web.yaml")])
def test_argocd_app_name_is_the_instance_name(tmp_path: Path, namespace: str, values: str
                                              ) -> None:
    """``$ARGOCD_APP_NAME`` is the name Argo CD knows the Application by
    (``app.InstanceName``): ``team-a_web`` for ``web`` in ``team-a`` (Applications in any
    namespace), ``web`` in Argo CD's own namespace: the value file it names is that one."""
    app = application("web", "chart", "web-prod", source_extra=(
        "    helm:\n      valueFiles: [values-$ARGOCD_APP_NAME.yaml]\n")).replace(
        "  namespace: argocd\n", f"  namespace: {namespace}\n", 1)
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": app, "chart/Chart.yaml": CHART_C,
        "chart/values-web.yaml": "name: plain\n",
        "chart/values-team-a_web.yaml": "name: instance\n"})
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    [target] = model.targets
    assert [v.rel for v in target.value_files] == [f"chart/{values}"]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("ignore", "missing"), [
    (False, "../missing"), (False, "../missing-*"), (True, "../missing")])
def test_missing_application_components_are_left_out_when_argo_cd_ignores_them(
        tmp_path: Path, ignore: bool, missing: str) -> None:
    """``kustomize.ignoreMissingComponents`` leaves out the Application's components that do
    not exist, and adds those that do; without it a missing one (or a glob that matches
    nothing) fails ``kustomize edit add component``: a could-not-check error at its entry."""
    app = DIRECTORY_APP.format(name="web", path="app").replace(
        "    path: app\n", "    path: app\n    kustomize:\n"
        f"      components:\n        - ../comp\n        - '{missing}'\n"
        f"      ignoreMissingComponents: {str(ignore).lower()}\n")
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": "resources: [deploy.yaml]\n",
        "app/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.26.0"),
        "comp/kustomization.yaml": ("apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                                    "kind: Component\nimages:\n  - name: nginx\n"
                                    "    newTag: 1.27.0\n"),
        "apps/web.yaml": app})
    (repo / ".git").mkdir()
    from platecheck.engine import load

    model = load(repo, cache_dir=tmp_path / "cache")
    if not ignore:
        assert [(e.location, e.policy, e.message) for e in model.errors] == [
            ("apps/web.yaml:14", "could-not-check",
             f"kustomize.components entry {missing!r} matches nothing next to the "
             "kustomization, so `kustomize edit add component` fails (has no match) and "
             "Argo CD cannot build this source")]
        return
    assert model.errors == ()
    assert model.rendered[0].resources[0].doc["spec"]["template"]["spec"]["containers"][0][
        "image"] == "nginx:1.27.0"


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("component", ["https://127.0.0.1:9/comp", "git@127.0.0.1:org/comp.git"])
def test_a_remote_application_component_is_refused_at_its_entry(tmp_path: Path,
                                                                 component: str) -> None:
    """A component the Application lists that kustomize would fetch is refused before any
    build, at the Application's entry (it was placed at the kustomization, with no line)."""
    app = DIRECTORY_APP.format(name="web", path="app").replace(
        "    path: app\n", f"    path: app\n    kustomize:\n      components:\n"
        f"        - '{component}'\n")
    repo = write_files(tmp_path / "repo", {
        "app/kustomization.yaml": "resources: [deploy.yaml]\n",
        "app/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.26.0"), "apps/web.yaml": app})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report_.errors] == [
        ("apps/web.yaml:13", f"{component!r} is remote: kustomize fetches it over the network, "
         "which platecheck does not use")]
    assert report_.builds == 0


_TWO = {"base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": _DEPLOYMENT.format(name="web", tag="1.27.0") + "---\n"
        + _DEPLOYMENT.format(name="web-worker", tag="1.27.0")}
_LIMITS = ("    patch: |-\n      - op: add\n        path: /spec/template/spec/containers/0/"
           "resources\n        value: {limits: {cpu: 100m, memory: 64Mi}}\n")


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("files", "resource", "policy", "location"), [
    pytest.param({**_TWO, "prod/kustomization.yaml": (
        "resources: [../base]\npatches:\n  - target: {kind: Deployment, name: web}\n"
        + _LIMITS)}, "Deployment/web-worker[c]", "resource-ranges", "base/deploy.yaml:24",
        id="a-target-name-is-anchored"),
    pytest.param({**_TWO, "prod/kustomization.yaml": (
        "resources: [../base]\npatches:\n  - target: {kind: Deployment, labelSelector: "
        "app=web}\n" + _LIMITS)}, "Deployment/web-worker[c]", "resource-ranges",
        "base/deploy.yaml:24", id="a-label-selector-selects"),
    pytest.param({**_TWO, "prod/kustomization.yaml": (
        "resources: [../base]\npatches:\n  - target: {kind: Deployment, labelSelector: "
        "'app in (web, api),!skip'}\n" + _LIMITS)}, "Deployment/web-worker[c]",
        "resource-ranges", "base/deploy.yaml:24", id="a-set-based-selector-selects"),
    pytest.param({**_TWO, "comp/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
        "  - path: replicas.yaml\n"),
        "comp/replicas.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                               "  name: web\nspec:\n  replicas: 'two'\n"),
        "mid/kustomization.yaml": ("resources: [../base]\npatches:\n  - patch: |-\n"
                                   "      - op: add\n        path: /spec/replicas\n"
                                   "        value: 'one'\n"
                                   "    target: {kind: Deployment, name: web}\n"),
        "prod/kustomization.yaml": "resources: [../mid]\ncomponents: [../comp]\n"},
        "Deployment/web", "k8s-schema", "comp/replicas.yaml:6",
        id="a-component-is-applied-over-the-bases"),
    pytest.param({**_TWO, "prod/kustomization.yaml": (
        "resources: [../base]\npatchesJson6902:\n  - path: json.yaml\n"
        "    target: {group: apps, version: v1, kind: Deployment, name: web}\n"
        "patches:\n  - path: smp.yaml\n"),
        "prod/json.yaml": "- op: replace\n  path: /spec/replicas\n  value: 'two'\n",
        "prod/smp.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                          "spec:\n  replicas: 'one'\n")},
        "Deployment/web", "k8s-schema", "prod/json.yaml:3",
        id="json-6902-patches-come-after-patches"),
    pytest.param({**_TWO, "base/kustomization.yaml": (
        "resources: [deploy.yaml]\nimages:\n  - name: nginx\n    newName: reg.example.com/nginx\n"
        "    newTag: latest\n"),
        "prod/kustomization.yaml": "resources: [../base]\nimages:\n  - name: nginx\n"
                                   "    newTag: 1.27.0\n"},
        "Deployment/web[c]", "image-tag-pinned", "base/kustomization.yaml:5",
        id="an-image-renamed-below-is-not-the-old-name-above"),
])
def test_a_patched_field_is_found_where_kustomize_applied_it_last(
        tmp_path: Path, files: dict[str, str], resource: str, policy: str,
        location: str) -> None:
    """Which patch, component or image entry wrote a field, as kustomize applies them: a
    target's name anchored and its selectors; components after the bases they are applied
    over; JSON 6902 patches after the others; an image entry of a name an earlier
    kustomization renamed no longer applies."""
    repo = write_files(tmp_path / "repo", {
        **files, "apps/web.yaml": DIRECTORY_APP.format(name="web", path="prod")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert location in {f.location for f in report_.findings
                        if f.policy == policy and f.resource == resource}


def test_applications_in_a_list_document_are_applications(tmp_path: Path) -> None:
    """A ``kind: List`` whose items are Applications (``kubectl get -o yaml`` writes them so):
    Argo CD applies each item, so each is found, planned and checked, at its item's line."""
    child = DIRECTORY_APP.format(name="web", path="manifests")
    items = "".join(f"  - {line}\n" if i == 0 else f"    {line}\n"
                    for i, line in enumerate(child.splitlines()))
    repo = write_files(tmp_path / "repo", {
        "apps/root.yaml": DIRECTORY_APP.format(name="root", path="children"),
        "children/list.yaml": f"apiVersion: v1\nkind: List\nitems:\n{items}",
        "manifests/deploy.yaml": _DEPLOYMENT.format(name="web", tag="latest")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    [target] = [t for t in report_.targets if t.app == "web"]
    assert target.application is not None
    assert (target.application.file, target.application.line) == ("children/list.yaml", 4)
    assert "manifests/deploy.yaml:12" in {f.location for f in report_.findings
                                          if f.policy == "image-tag-pinned"}


_CHILD_HELM = {
    "valuesObject": "      valuesObject:\n        image:\n          tag: {{ $a.tag }}\n",
    "values": "      values: |\n        image:\n          tag: {{ $a.tag }}\n",
    "parameters": "      parameters:\n        - name: image.tag\n          value: {{ $a.tag }}\n",
}


@pytest.mark.parametrize("given", list(_CHILD_HELM))
def test_a_value_a_parent_chart_writes_into_a_child_is_found_in_the_parent_values(
        tmp_path: Path, given: str) -> None:
    """A chart of Applications writes a child's ``helm.valuesObject``, ``helm.values`` or
    ``helm.parameters`` from its own values (``tag: {{ $a.tag }}``): the child's floating
    tag is found at the parent's values line that set it, not at the template line."""
    apps = ("{{- range $name, $a := .Values.apps }}\n---\n"
            + DIRECTORY_APP.format(name="{{ $name }}", path="{{ $a.path }}").replace(
                "  name: {{ $name }}\n", "  name: {{ $name }}-prod\n")
            .replace("    path: {{ $a.path }}\n", "    path: {{ $a.path }}\n    helm:\n"
                     + _CHILD_HELM[given])
            + "{{- end }}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/root.yaml": DIRECTORY_APP.format(name="root", path="parent").replace(
            "    path: parent\n", "    path: parent\n    helm:\n"
            "      valueFiles: [values-prod.yaml]\n"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/apps.yaml": apps,
        "parent/values.yaml": "apps: {}\n",
        "parent/values-prod.yaml": "apps:\n  web:\n    path: chart\n    tag: latest\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: 1.27.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web",
                                                          tag="{{ .Values.image.tag }}"),
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "parent/values-prod.yaml:4"]


def test_a_value_a_parent_template_writes_in_a_childs_values_block_is_at_its_line(
        tmp_path: Path) -> None:
    """A chart of Applications writes a child's ``helm.values`` block as it is (no action):
    the child's floating tag is at its line in the block, as for an Application file, not
    at ``values: |`` (GoshaDo/gitops-cluster)."""
    assert _child_tag_locations(tmp_path, "      values: |\n        image:\n"
                                "          repository: nginx\n          tag: latest\n") == [
        "parent/templates/app.yaml:15"]


@pytest.mark.parametrize("key", ["valuesObject", "values"])
def test_a_value_a_parent_writes_into_a_child_with_to_yaml_is_at_its_values_line(
        tmp_path: Path, key: str) -> None:
    """A chart of Applications writes a child's values with ``toYaml`` of a block of its own
    values: the child's floating tag is at the parent's values line that set it, not at
    ``valuesObject:``."""
    block = "|\n        {{- toYaml .Values.child | nindent 8 }}" if key == "values" else \
        "\n        {{- toYaml .Values.child | nindent 8 }}"
    assert _child_tag_locations(tmp_path, f"      {key}: {block}\n".replace(": \n", ":\n"),
                                "child:\n  image:\n    repository: nginx\n    tag: latest\n"
                                ) == ["parent/values.yaml:4"]


def _child_tag_locations(tmp_path: Path, helm: str, parent_values: str = "") -> list[str]:
    """Where the floating tag of ``web`` is found: a chart of Applications (``parent``,
    which ``root`` deploys, with ``parent_values``) writes ``web``'s ``helm:`` block
    ``helm`` over the chart ``chart``, whose tag comes from ``image.tag``."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/root.yaml": DIRECTORY_APP.format(name="root", path="parent"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/app.yaml": DIRECTORY_APP.format(name="web", path="chart").replace(
            "    path: chart\n", "    path: chart\n    helm:\n" + helm),
        **({"parent/values.yaml": parent_values} if parent_values else {}),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  repository: nginx\n  tag: 1.27.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web",
                                                          tag="{{ .Values.image.tag }}")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    return [f.location for f in report_.findings if f.policy == "image-tag-pinned"]


_RANGED_PARAMETERS = {
    "map": ("{{- range $k, $v := .Values.params }}\n        - name: {{ $k }}\n"
            "          value: {{ $v | quote }}\n{{- end }}\n",
            "params:\n  image.repository: nginx\n  image.tag: latest\n", 3),
    "list": ("{{- range .Values.params }}\n        - name: {{ .name }}\n"
             "          value: {{ .value | quote }}\n{{- end }}\n",
             "params:\n  - name: image.repository\n    value: nginx\n"
             "  - name: image.tag\n    value: latest\n", 5),
}


@pytest.mark.parametrize("form", list(_RANGED_PARAMETERS))
def test_a_parameter_a_parent_ranges_over_is_at_its_values_line(tmp_path: Path,
                                                                form: str) -> None:
    """A chart of Applications writes a child's ``helm.parameters`` by ranging over a map
    (``range $k, $v := .Values.params``, DNXLabs/cluster-prod-apps-metadata) or a list of
    its values: the child's floating tag, the second parameter, is at the parent's values
    line that set it, not at the template."""
    ranged, values, line = _RANGED_PARAMETERS[form]
    assert _child_tag_locations(tmp_path, "      parameters:\n" + ranged, values) == [
        f"parent/values.yaml:{line}"]


_CONDITIONAL_PARAMETERS = (
    "      parameters:\n        {{- if .Values.azure }}\n        - name: a\n          value: b\n"
    "        - name: c\n          value: d\n        {{- end }}\n"
    "        - name: image.tag\n          value: {tag}\n"
    "        {{- if .Values.gcp }}\n        - name: e\n          value: f\n        {{- end }}\n")


@pytest.mark.parametrize(("values", "tag", "location"), [
    ("azure: false\ngcp: false\n", "latest", "parent/templates/app.yaml:20"),
    ("azure: true\ngcp: true\n", "latest", "parent/templates/app.yaml:20"),
    ("azure: false\ngcp: false\ntag: latest\n", "{{ .Values.tag }}", "parent/values.yaml:3"),
    ("azure: true\ngcp: false\n", "latest", "parent/templates/app.yaml:12"),
    ("azure: false\ngcp: true\n", "latest", "parent/templates/app.yaml:12"),
], ids=["none-taken", "all-taken", "from-values", "first-taken", "last-taken"])
def test_a_parameter_after_items_an_if_writes_is_at_its_own_lines(
        tmp_path: Path, values: str, tag: str, location: str) -> None:
    """A chart of Applications writes a child's ``helm.parameters`` with two items in an
    ``if`` before ``image.tag`` (its ``value:`` at line 20) and one in an ``if`` after
    (CDCgov/NEDSS-Helm): when neither or both are taken, the rendered parameters are matched
    to the items that wrote them, so the floating tag is at line 20 (at the parent's values
    line when the template writes it from there), never at a line of an untaken ``if``
    (the rendered first parameter read as the template's first item, ``value: b``). When
    one alone is taken, which is which is not known: at ``parameters:`` (line 12)."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/root.yaml": DIRECTORY_APP.format(name="root", path="parent"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/app.yaml": DIRECTORY_APP.format(name="web", path="chart").replace(
            "    path: chart\n", "    path: chart\n    helm:\n"
            + _CONDITIONAL_PARAMETERS.replace("{tag}", tag)),
        "parent/values.yaml": values,
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: 1.27.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web",
                                                          tag="{{ .Values.image.tag }}")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [
        (location, 'container "c" in Deployment/web uses floating tag "latest"')]


_EXCLUSIVE_PARAMETERS = (
    "      parameters:\n        {{- if .Values.azure }}\n        - name: a\n          value: b\n"
    "        {{- else }}\n        - name: c\n          value: d\n        {{- end }}\n"
    "        - name: image.tag\n          value: latest\n"
    "        {{- if .Values.gcp }}\n        - name: e\n          value: f\n        {{- end }}\n")


@pytest.mark.parametrize("values", ["azure: false\n", "azure: true\n"])
def test_a_parameter_after_an_if_and_its_else_is_at_its_own_line(tmp_path: Path,
                                                                 values: str) -> None:
    """A child's ``helm.parameters`` has one item in an ``if`` and one in its ``else``, then
    ``image.tag`` (its ``value: latest`` at line 21), then one in an ``if`` not taken: the
    branches are exclusive, so the ``if`` and ``else`` wrote exactly one of the two rendered
    parameters and the floating tag is at line 21, not at ``parameters:`` (line 12)."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/root.yaml": DIRECTORY_APP.format(name="root", path="parent"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/app.yaml": DIRECTORY_APP.format(name="web", path="chart").replace(
            "    path: chart\n", "    path: chart\n    helm:\n" + _EXCLUSIVE_PARAMETERS),
        "parent/values.yaml": values + "gcp: false\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: 1.27.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web",
                                                          tag="{{ .Values.image.tag }}")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [
        ("parent/templates/app.yaml:21",
         'container "c" in Deployment/web uses floating tag "latest"')]


_CONDITIONAL_SOURCES = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: https://git.example.com/repo.git
      path: config
      directory:
        recurse: true
    {{- if .Values.helm }}
    - repoURL: https://git.example.com/repo.git
      path: chart
      {{- if .Values.helm.release }}
      targetRevision: HEAD
      {{- end }}
      helm:
        parameters:
          - name: image.tag
            value: latest
    {{- end }}
    {{- if .Values.manifests }}
    - repoURL: https://git.example.com/repo.git
      path: manifests
      directory:
        recurse: true
    {{- end }}
  destination:
    server: https://kubernetes.default.svc
    namespace: web-prod
"""


def test_a_source_an_if_writes_is_matched_by_its_keys(tmp_path: Path) -> None:
    """A chart of Applications writes a child's ``sources``: one outright, then a Helm
    source in an ``if .Values.helm`` and a directory one in an ``if .Values.manifests``
    (tonychg/kubedev). With the Helm one alone taken, two sources render; the second has
    ``helm:``, which the directory item cannot write, and no ``directory:``, which it always
    writes: it is the Helm item, so its floating tag is at that item's ``value:`` (line 22),
    not at ``sources:``."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/root.yaml": DIRECTORY_APP.format(name="root", path="parent"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/app.yaml": _CONDITIONAL_SOURCES,
        "parent/values.yaml": "helm: {enabled: true}\nmanifests: false\n",
        "config/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: 1.27.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web",
                                                          tag="{{ .Values.image.tag }}")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [
        ("parent/templates/app.yaml:22",
         'container "c" in Deployment/web uses floating tag "latest"')]


@pytest.mark.parametrize(("name", "values"), [
    ("containers[1].tag", "containers:\n  - {name: a, tag: 1.0.0}\n  - {name: b, tag: 1.0.0}\n"),
    ("images.nginx\\.b.tag", "images:\n  nginx.a: {tag: 1.0.0}\n  nginx.b: {tag: 1.0.0}\n"),
])
def test_a_parameter_helm_reads_by_index_or_escaped_dot_is_at_its_value(
        tmp_path: Path, name: str, values: str) -> None:
    """``containers[1].tag`` and ``images.nginx\\.b.tag`` are read as Helm's --set parser
    reads them, writing into the values files' list and dotted key: the floating tag is at
    the parameter's ``value:`` line, not at the template that prints it."""
    reads = ("index .Values.containers 1" if name.startswith("containers")
             else 'index .Values.images "nginx.b"')
    app = DIRECTORY_APP.format(name="web", path="chart").replace(
        "    path: chart\n", "    path: chart\n    helm:\n      parameters:\n"
        f"        - name: {name}\n          value: latest\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app,
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": values,
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(
            name="web", tag=f"{{{{ ({reads}).tag }}}}"),
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    line = app.splitlines().index("          value: latest") + 1
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [
        (f"apps/web.yaml:{line}",
         'container "c" in Deployment/web uses floating tag "latest"')]


@pytest.mark.parametrize(("entry", "renders"), [
    ("{value: x}", True), ("{name: null, value: x}", True), ("{name: 3, value: x}", False),
], ids=["no-name", "null-name", "number"])
def test_a_parameter_without_a_name_is_helm_s_set_of_an_empty_key(
        tmp_path: Path, entry: str, renders: bool) -> None:
    """``name`` is optional in Argo CD's HelmParameter (``omitempty``): a parameter without
    one is ``--set =x``, which helm takes, so the source renders; a name that is no string
    is refused at the parameter, as the API server refuses it."""
    app = DIRECTORY_APP.format(name="web", path="chart").replace(
        "    path: chart\n", f"    path: chart\n    helm:\n      parameters:\n        - {entry}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    line = app.splitlines().index(f"        - {entry}") + 1
    assert [e.location for e in report_.errors] == ([] if renders else [f"apps/web.yaml:{line}"])
    assert [t.id for t in report_.targets] == (["prod/web"] if renders else [])


def test_a_parameter_a_list_element_key_fills_is_at_that_key(tmp_path: Path) -> None:
    """An ApplicationSet's template writes ``value: '{{tag}}'``: the tag is edited at the
    element's ``tag`` key, where the finding points (it was at the template's parameter
    entry, shared by every element)."""
    app_set = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
        "  name: web\n  namespace: argocd\nspec:\n  generators:\n    - list:\n"
        "        elements:\n          - env: prod\n            tag: latest\n"
        "          - env: stg\n            tag: 1.27.0\n  template:\n"
        "    metadata:\n      name: 'web-{{env}}'\n    spec:\n      project: default\n"
        "      source:\n        repoURL: https://git.example.com/repo.git\n"
        "        path: chart\n        helm:\n          parameters:\n"
        "            - name: tag\n              value: '{{tag}}'\n      destination:\n"
        "        server: https://kubernetes.default.svc\n        namespace: 'web-{{env}}'\n")
    repo = write_files(tmp_path / "repo", {
        "apps/set.yaml": app_set,
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "tag: 1.0.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web", tag="{{ .Values.tag }}"),
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.target, f.location) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [("prod/web", "apps/set.yaml:11")]


@pytest.mark.parametrize("element", ["{{ . }}", "{{ $file }}", "{{ . | quote }}"])
def test_a_value_file_a_parent_writes_from_a_list_it_ranges_over_is_at_that_list(
        tmp_path: Path, element: str) -> None:
    """A chart of Applications writes each child's extra value files as the elements of a
    list of its values (``{{- range .extraValues }}`` / ``- {{ . }}``,
    rogerrum/k8s-gitops): a child's URL or missing value file is at the values line that
    lists it, not at the template's ``- {{ . }}`` shared by every child."""
    ranged = "range $file := .extraValues" if "$file" in element else "range .extraValues"
    apps = ("{{- range .Values.apps }}\n---\n"
            + DIRECTORY_APP.format(name="{{ .name }}-prod", path="chart")
            .replace("    path: chart\n", "    path: chart\n    helm:\n      valueFiles:\n"
                     f"        - values.yaml\n        {{{{- {ranged} }}}}\n"
                     f"        - {element}\n        {{{{- end }}}}\n")
            + "{{- end }}\n")
    repo = write_files(tmp_path / "repo", {
        "apps/root.yaml": DIRECTORY_APP.format(name="root", path="parent"),
        "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
        "parent/templates/apps.yaml": apps,
        "parent/values.yaml": "apps:\n  - name: web\n    extraValues:\n"
                              "      - https://example.com/web.yaml\n"
                              "  - name: api\n    extraValues:\n      - values-api.yaml\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image:\n  tag: 1.27.0\n",
        "chart/templates/deploy.yaml": _DEPLOYMENT.format(name="web",
                                                          tag="{{ .Values.image.tag }}"),
    })
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((e.location, e.message.split(";")[0]) for e in report_.errors) == [
        ("parent/values.yaml:4", "value file 'https://example.com/web.yaml' is a URL"),
        ("parent/values.yaml:7", "value file 'values-api.yaml' not found "
                                 "(chart/values-api.yaml)"),
    ]


@pytest.mark.parametrize(("selector", "labels", "meets"), [
    ("app=web", {"app": "web"}, True), ("app==web", {"app": "api"}, False),
    ("app!=web", {}, True), ("app!=web", {"app": "web"}, False),
    ("app in (web, api)", {"app": "api"}, True), ("app notin (web)", {}, True),
    ("app notin (web)", {"app": "web"}, False), ("tier", {"tier": "x"}, True),
    ("!tier", {"tier": "x"}, False), ("app=web,!tier", {"app": "web"}, True),
])
def test_kubernetes_selectors_select_as_kubernetes_does(
        selector: str, labels: dict[str, str], meets: bool) -> None:
    from platecheck.kustomize_patches import _meets, _Names

    _, requirements = _Names([]).target({"kind": "Deployment", "labelSelector": selector})
    assert requirements
    assert all(_meets({"labels": labels}, r) for r in requirements) is meets


def test_an_unreadable_selector_selects_nothing() -> None:
    from platecheck.kustomize_patches import _Names

    assert _Names([]).target({"labelSelector": "app in web"}) == ("(?!)", ())


@pytest.mark.parametrize(("element", "line"), [("replicas: 3", 10), ("values: {count: 3}", 10),
                                               ("on: true", 10), ("values: staging", 10)])
def test_a_list_element_value_argo_cd_cannot_read_generates_nothing(
        tmp_path: Path, element: str, line: int) -> None:
    """Argo CD's list generator takes strings only (and a ``values`` map of strings): any
    other value, or a ``values`` that is not a map, fails the ApplicationSet, which creates no
    Application. platecheck says so at the value, and plans none of its Applications."""
    app_set = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
               "  name: web\n  namespace: argocd\nspec:\n  generators:\n    - list:\n"
               f"        elements:\n          - {{env: prod, {element}}}\n"
               "  template:\n    metadata:\n      name: 'web-{{env}}'\n    spec:\n"
               "      project: default\n      source:\n"
               "        repoURL: https://git.example.com/repo.git\n        path: manifests\n"
               "      destination:\n        server: https://kubernetes.default.svc\n"
               "        namespace: web\n")
    repo = write_files(tmp_path / "repo", {
        "apps/set.yaml": app_set,
        "manifests/deploy.yaml": _DEPLOYMENT.format(name="web", tag="latest")})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report_.errors] == [
        (f"apps/set.yaml:{line}", "could-not-check")]
    assert [t.id for t in report_.targets] == []
    quoted = write_files(tmp_path / "quoted", {
        "apps/set.yaml": app_set.replace(": 3", ": '3'").replace("on: true", "on: 'true'")
        .replace("values: staging", "values: {stage: staging}"),
        "manifests/deploy.yaml": _DEPLOYMENT.format(name="web", tag="latest")})
    (quoted / ".git").mkdir()
    assert [t.id for t in lint(quoted, cache_dir=tmp_path / "cache").targets] == ["prod/web"]


def test_two_applications_of_one_name_in_one_file_each_get_their_findings(
        tmp_path: Path) -> None:
    """Two targets (the second known by its file and line): a finding about the second
    Application is the second's, not the first's."""
    app = application("dup", "manifests", "dup").replace("  destination:\n", "  x-destination:\n")
    repo = write_files(tmp_path / "repo", {
        "apps.yaml": f"---\n{app}---\n{app}",
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    found = sorted((f.line, f.target) for f in report_.findings
                   if f.policy == "argocd-application" and "'destination'" in f.message)
    second = next(t.id for t in report_.targets if t.id != "default/dup")
    assert [target for _, target in found] == ["default/dup", second]


WEB_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {set}
  namespace: {namespace}
spec:
  generators:
    - list:
        elements:
          - env: {env}
  template:
    metadata:
      name: web
      namespace: {template_namespace}
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: chart
        helm:
          valuesObject:
            tag: null
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{{{env}}}}'
"""

WEB_CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": "tag: 1.2.3\n",
    "chart/templates/pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
        "    - name: web\n      image: \"nginx:{{ .Values.tag }}\"\n"
        "      imagePullPolicy: IfNotPresent\n"
        "      resources:\n        requests: {cpu: 100m, memory: 128Mi}\n"
        "        limits: {cpu: 200m, memory: 256Mi}\n"),
}


def test_an_application_set_makes_its_applications_in_its_own_namespace(
        tmp_path: Path) -> None:
    """The ApplicationSet controller creates each Application in the set's namespace, whatever
    the template's metadata.namespace says: two sets in two namespaces make two Applications
    of one name, no conflict; a null of the template's valuesObject is dropped, so the chart's
    default tag stays."""
    write_files(tmp_path, {
        ".git/HEAD": "", **WEB_CHART,
        "apps/team-a.yaml": WEB_SET.format(set="web-a", namespace="team-a", env="prod",
                                           template_namespace="argocd"),
        "apps/team-b.yaml": WEB_SET.format(set="web-b", namespace="team-b", env="b-prod",
                                           template_namespace="argocd")})
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert _findings(report) == []
    assert report.exit_code == 0
    assert sorted(t.application.namespace for t in report.targets if t.application) == [
        "team-a", "team-b"]


def test_an_application_set_s_application_and_a_file_of_one_name_in_its_namespace_clash(
        tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".git/HEAD": "", **WEB_CHART,
        "apps/set.yaml": WEB_SET.format(set="web", namespace="argocd", env="prod",
                                        template_namespace="elsewhere"),
        "apps/web.yaml": application("web", "chart", "prod")})
    report = lint(tmp_path, cache_dir=tmp_path.parent / "cache")
    assert report.errors == ()
    assert [(f.location, f.policy) for f in report.findings
            if "name is also used" in f.message] == [("apps/web.yaml:4", "argocd-application")]
    assert report.exit_code == 1


def _one_set(repo: Path, old: str, new: str) -> Path:
    """A repository of the web chart and one ApplicationSet of it, ``old`` in the set made
    ``new``."""
    return write_files(repo, {
        ".git/HEAD": "", **WEB_CHART,
        "apps/set.yaml": WEB_SET.format(set="web", namespace="argocd", env="prod",
                                        template_namespace="argocd").replace(old, new)})


@pytest.mark.parametrize("element", ["prod", "[prod]", "3"])
def test_a_list_element_that_is_not_a_map_generates_nothing(tmp_path: Path,
                                                            element: str) -> None:
    """Go's JSON decoder cannot read a string, a list or a number as the element's map: Argo
    CD's list generator fails and the set creates no Application. A could-not-check error at
    the element, not an ApplicationSet left unexpanded."""
    repo = _one_set(tmp_path / "repo", "          - env: prod\n", f"          - {element}\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report.errors] == [
        ("apps/set.yaml:10", "could-not-check")]
    assert [t.id for t in report.targets if t.application is not None] == []
    assert [f.policy for f in report.findings] == []
    assert report.exit_code == 2


@pytest.mark.parametrize(("old", "new", "line", "what"), [
    ("  template:\n    metadata:\n      name: web\n", "  templat:\n    metadata:\n"
     "      name: web\n", 6, "spec.template is required"),
    ("      project: default\n", "", 15, "spec.template.spec.project is required"),
    ("  generators:\n    - list:", "  generators:\n    list:", 7,
     "spec.generators must be a list"),
    ("      destination:\n        server: https://kubernetes.default.svc\n"
     "        namespace: '{{env}}'\n", "      destination: null\n", 23,
     "spec.template.spec.destination is required"),
])
def test_a_set_without_what_its_crd_requires_creates_nothing(
        tmp_path: Path, old: str, new: str, line: int, what: str) -> None:
    """The ApplicationSet CRD requires generators (a list) and a template of metadata and a
    spec with a destination and a project (a null one is pruned, so missing): the API server
    refuses a set without one, and no Application exists. A could-not-check error naming the
    field, at its nearest written parent; it was a set not expanded, or an Application with
    no name."""
    repo = _one_set(tmp_path / "repo", old, new)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message.split(":")[0]) for e in report.errors] == [
        (f"apps/set.yaml:{line}", f"ApplicationSet {what}")]
    assert [t.id for t in report.targets if t.application is not None] == []
    assert report.exit_code == 2


def test_a_rendered_set_without_a_project_is_refused_by_its_schema(tmp_path: Path) -> None:
    """A chart that renders an ApplicationSet whose template has no project: k8s-schema's
    finding at the template's spec (the shipped ApplicationSet schema requires it)."""
    set_template = _one_set(tmp_path / "unused", "      project: default\n", "").joinpath(
        "apps", "set.yaml").read_text().replace("'{{env}}'", "'{{`{{env}}`}}'")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("sets", "sets", "argocd"),
        "sets/Chart.yaml": "apiVersion: v2\nname: sets\nversion: 0.1.0\n",
        "sets/templates/set.yaml": set_template})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings if f.policy == "k8s-schema"] == [
        ("sets/templates/set.yaml:15", "ApplicationSet/web: spec.template.spec: required field "
         "'project' is missing")]


@pytest.mark.parametrize("go_template", [False, True], ids=["list", "go-template"])
def test_a_template_string_in_a_field_the_crd_types_otherwise_creates_nothing(
        tmp_path: Path, go_template: bool) -> None:
    """The ApplicationSet CRD types the template's fields: the API server refuses a set whose
    ``prune`` (a boolean) holds a template expression, so no Application exists. A
    could-not-check error at that line, not a finding about an Application it would make;
    a string field may hold any expression (the destination namespace)."""
    repo = _one_set(tmp_path / "repo", "      destination:\n",
                    "      syncPolicy:\n        automated:\n          prune: '{{prune}}'\n"
                    "      destination:\n")
    if go_template:
        set_file = repo / "apps" / "set.yaml"
        set_file.write_text(set_file.read_text().replace("{{", "{{.").replace(
            "spec:\n  generators:", "spec:\n  goTemplate: true\n  generators:"))
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy, e.message) for e in report.errors] == [(
        f"apps/set.yaml:{26 if go_template else 25}", "could-not-check",
        "spec.template.spec.syncPolicy.automated.prune: expected boolean, got string "
        f"\"{{{{{'.' if go_template else ''}prune}}}}\": the ApplicationSet CRD types this "
        "field, so the API server refuses the ApplicationSet and Argo CD creates none of its "
        "Applications; template a field that is no string with templatePatch")]
    assert [t.id for t in report.targets if t.application is not None] == []
    assert [f.policy for f in report.findings] == []
    assert report.exit_code == 2


def test_a_rendered_application_set_s_template_fields_have_the_crd_s_types(
        tmp_path: Path) -> None:
    """A chart that renders an ApplicationSet whose template holds a template expression
    where the CRD has a boolean: k8s-schema's finding at that template line (the shipped
    ApplicationSet schema has the types of the template's fields)."""
    set_template = _one_set(tmp_path / "unused", "      destination:\n", (
        "      syncPolicy:\n        automated:\n          prune: '{{`{{prune}}`}}'\n"
        "      destination:\n")).joinpath("apps", "set.yaml").read_text().replace(
        "'{{env}}'", "'{{`{{env}}`}}'")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("sets", "sets", "argocd"),
        "sets/Chart.yaml": "apiVersion: v2\nname: sets\nversion: 0.1.0\n",
        "sets/templates/set.yaml": set_template})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings if f.policy == "k8s-schema"] == [
        ("sets/templates/set.yaml:25", "ApplicationSet/web: spec.template.spec.syncPolicy."
         "automated.prune: expected boolean, got string \"{{prune}}\"")]


@pytest.mark.parametrize(("name", "refused"), [
    ("web-{{env}} {{ tail", True),  # a tag, then a '{{' with no '}}': fasttemplate refuses
    ("web {{ tail", False),  # no tag at all: not a template, kept as written
    ("web-{{ env }}-{{ nope }}", False),  # an unknown tag stays as written
], ids=["unterminated", "no-tag", "unknown"])
def test_a_list_set_template_argo_cd_cannot_parse_generates_nothing(
        tmp_path: Path, name: str, refused: bool) -> None:
    repo = _one_set(tmp_path / "repo", "      name: web\n",
                    f"      name: web\n      annotations:\n        note: '{name}'\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    if refused:
        assert [(e.location, e.policy) for e in report.errors] == [
            ("apps/set.yaml:15", "could-not-check")]
        assert [t.id for t in report.targets if t.application is not None] == []
        assert report.exit_code == 2
    else:
        assert report.errors == ()
        [app] = [t.application for t in report.targets if t.application is not None]
        assert app.annotations["note"] == name.replace("{{ env }}", "prod")


def test_an_element_of_no_parameters_leaves_the_template_unparsed(tmp_path: Path) -> None:
    """An element ``{}`` gives no parameters: Argo CD returns the template as written
    without parsing it (``RenderTemplateParams``), so a ``{{`` with no ``}}`` fails
    nothing and every tag stays as written."""
    repo = _one_set(tmp_path / "repo", "          - env: prod\n", "          - {}\n")
    set_file = repo / "apps" / "set.yaml"
    set_file.write_text(set_file.read_text().replace(
        "      name: web\n",
        "      name: web\n      annotations:\n        note: 'a {{x}} {{ tail'\n"))
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e for e in report.errors if "'{{'" in e.message] == []
    [app] = [t.application for t in report.targets if t.application is not None]
    assert (app.annotations["note"], app.destination_namespace) == (
        "a {{x}} {{ tail", "{{env}}")


_GO_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: argocd
spec:
  goTemplate: true{options}
  generators:
    - list:
        elements:
          - env: prod
            tag: latest
            num: 1
            big: 1000000
            half: 0.5
            "on": true
            tags: [a, b]
            meta: {{z: 1, a: x, l: [1, null]}}
            nothing: null
  template:
    metadata:
      name: 'web-{{{{ .env }}}}'
      annotations:
{annotations}
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: {path}
        helm:
          valuesObject:
            tag: '{{{{.tag}}}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'web-{{{{.env}}}}'
"""


def _go_set(tmp_path: Path, annotations: dict[str, str], options: str = "",
            path: str = "chart") -> Path:
    """A repository of the web chart and a goTemplate list set of one element ``prod`` of
    every JSON type, its template's annotations ``annotations``."""
    written = "".join(f"        {json.dumps(k)}: {json.dumps(v)}\n"
                      for k, v in annotations.items())
    return write_files(tmp_path / "repo", {
        ".git/HEAD": "", **WEB_CHART,
        "apps/set.yaml": _GO_SET.format(options=options, annotations=written, path=path)})


def test_a_go_template_list_set_is_expanded_as_text_template_executes_it(
        tmp_path: Path) -> None:
    """``goTemplate: true`` and actions that are field chains: each string executed as Go's
    text/template executes it over the element as written (numbers float64), values printed
    as fmt's ``%v`` prints them, a missing key, a field below it or a null as ``<no value>``,
    trim markers dropping the whitespace beside them, keys templated too. The Application is
    rendered and checked: the image tag its ``{{.tag}}`` fills is at the element's line."""
    repo = _go_set(tmp_path, {
        "num": "{{.num}}", "big": "{{ .big }}", "half": "{{- .half -}}", "on": "{{.on}}",
        "tags": "{{.tags}}", "meta": "{{.meta}}", "missing": "{{.nope}}",
        "deep": "{{.nope.x}}", "nothing": "{{.nothing}}", "trim": "a \n {{- .env -}} \t b",
        "{{.env}}-key": "v"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    [app] = [t.application for t in report.targets if t.application is not None]
    assert (app.name, app.destination_namespace) == ("web-prod", "web-prod")
    assert app.annotations == {
        "num": "1", "big": "1e+06", "half": "0.5", "on": "true", "tags": "[a b]",
        "meta": "map[a:x l:[1 <nil>] z:1]", "missing": "<no value>", "deep": "<no value>",
        "nothing": "<no value>", "trim": "aprodb", "prod-key": "v"}
    assert [(f.location, f.policy, f.message) for f in report.findings] == [
        ("apps/set.yaml:12", "image-tag-pinned",
         'container "web" in Pod/web uses floating tag "latest"')]


def test_a_go_template_of_functions_is_expanded_as_text_template_executes_it(
        tmp_path: Path) -> None:
    """Pipes, ``index``, ``if eq``, ``default``, ``printf``: each string executed as
    text/template executes it (the annotations below are its output, over the same element),
    the Application rendered and checked, the image tag ``{{ .tag | lower }}`` fills at the
    element's line."""
    repo = _go_set(tmp_path, {
        "pipe": "{{ .env | upper }}", "index": "{{ index .tags 1 }}",
        "if": '{{ if eq .env "prod" }}live{{ else }}test{{ end }}',
        "default": '{{ default "x" .foo }}', "printf": '{{ printf "%s-%s" .env .tag }}'})
    repo.joinpath("apps/set.yaml").write_text(repo.joinpath("apps/set.yaml").read_text().replace(
        "{{ .tag }}", "{{ .tag | lower }}").replace("{{.tag}}", "{{ .tag | lower }}"))
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    [app] = [t.application for t in report.targets if t.application is not None]
    assert app.annotations == {"pipe": "PROD", "index": "b", "if": "live", "default": "x",
                               "printf": "prod-latest"}
    assert [(f.location, f.policy, f.message) for f in report.findings] == [
        ("apps/set.yaml:12", "image-tag-pinned",
         'container "web" in Pod/web uses floating tag "latest"')]


def test_a_go_template_whose_index_is_out_of_range_generates_nothing(tmp_path: Path) -> None:
    """``index .tags 5`` of a list of two: Go's execution fails (text/template's error), Argo
    CD fails the ApplicationSet and creates none of its Applications."""
    repo = _go_set(tmp_path, {"note": "{{ index .tags 5 }}"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy, e.message) for e in report.errors] == [
        ("apps/set.yaml:24", "could-not-check",
         "ApplicationSet template spec.template.metadata.annotations.note: executing "
         "'{{ index .tags 5 }}' at <index .tags 5>: error calling index: index out of range: 5"
         "; Argo CD fails the ApplicationSet and creates none of its Applications")]
    assert [t.id for t in report.targets if t.application is not None] == []


def test_a_go_template_missing_key_fills_no_value(tmp_path: Path) -> None:
    """Without ``missingkey=error`` a key the element lacks prints ``<no value>``: the
    Application's source path names a directory that does not exist."""
    repo = _go_set(tmp_path, {"a": "b"}, path="'charts/{{.chart}}'")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/set.yaml:30", "source path 'charts/<no value>' does not exist")]


@pytest.mark.parametrize(("options", "note", "line", "error"), [
    ("\n  goTemplateOptions: [missingkey=error]", "{{.nope}}", 24,
     'executing \'{{.nope}}\' at <.nope>: map has no entry for key "nope"'),
    ("", "{{.env.x}}", 24,
     "executing '{{.env.x}}' at <.env.x>: can't evaluate field x in type interface {}"),
    ("", "{{.nothing.x}}", 24,
     "executing '{{.nothing.x}}' at <.nothing.x>: nil pointer evaluating interface {}.x"),
    ("\n  goTemplateOptions: [missingkey=zero]", "{{.nope.x}}", 24,
     "executing '{{.nope.x}}' at <.nope.x>: nil pointer evaluating interface {}.x"),
    ("\n  goTemplateOptions: [missingkey=default, missingkey=error]", "{{.nope}}", 24,
     'executing \'{{.nope}}\' at <.nope>: map has no entry for key "nope"'),
], ids=["missingkey-error", "field-of-a-string", "field-of-null", "missingkey-zero",
        "the-last-option"])
def test_a_go_template_that_fails_to_execute_generates_nothing(
        tmp_path: Path, options: str, note: str, line: int, error: str) -> None:
    """A template Go cannot execute (a missing key with ``missingkey=error``, a field of a
    string or of null) fails the ApplicationSet: Argo CD creates none of its Applications. A
    could-not-check error at the string."""
    repo = _go_set(tmp_path, {"note": note}, options)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy, e.message) for e in report.errors] == [
        (f"apps/set.yaml:{line + (1 if options else 0)}", "could-not-check",
         f"ApplicationSet template spec.template.metadata.annotations.note: {error}; Argo CD "
         "fails the ApplicationSet and creates none of its Applications")]
    assert [t.id for t in report.targets if t.application is not None] == []
    assert report.exit_code == 2


@pytest.mark.parametrize(("options", "note"), [
    ("", "{{ .env | kebabcase }}"), ("", "{{ sha256sum .env }}"), ("", "{{ printf \"%x\" .num }}"),
    ("", "{{ upper \"\u00e9\" }}"), ("", "{{-.env}}"), ("", "{{ /* c */ }}"),
    ("", "{{ define \"x\" }}{{ end }}"), ("", "{{ .env }"),
    ("\n  goTemplateOptions: [missingkey=none]", "{{.env}}"),
], ids=["pipe", "function", "verb", "beyond-ascii", "no-trim-marker", "comment-after-space",
        "define", "unterminated", "unknown-option"])
def test_a_go_template_of_other_actions_stays_not_rendered(
        tmp_path: Path, options: str, note: str) -> None:
    """A function, verb or value platecheck does not execute exactly as Go does (at parse or
    at execution), or an option text/template does not know: the set is not expanded, its
    not-rendered finding says what it makes is not checked."""
    repo = _go_set(tmp_path, {"note": note}, options)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.policy) for f in report.findings] == [
        ("apps/set.yaml:28", "not-rendered")] if not options else [
        ("apps/set.yaml:29", "not-rendered")]
    assert [t.id for t in report.targets] == ["default/web"]


_OVERRIDDEN_CHART = {
    "apps/web-prod.yaml": DIRECTORY_APP.format(name="web-prod", path="chart"),
    "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    "chart/values.yaml": "image:\n  repository: nginx\n  tag: '1.25.0'\n",
    "chart/templates/deploy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n"
        "      labels: {app: x}\n    spec:\n      containers:\n        - name: main\n"
        "          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n"
        "          imagePullPolicy: IfNotPresent\n"),
}


@pytest.mark.parametrize(("override", "what"), [
    ("helm:\n  releaseName: Bad_Name\n", "release name 'Bad_Name'"),
    ("helm:\n  namespace: Bad_NS\n", "namespace 'Bad_NS'"),
])
def test_a_name_an_override_file_gives_is_refused_at_its_line(tmp_path: Path, override: str,
                                                              what: str) -> None:
    """``.argocd-source-<app>.yaml`` gives the release name or ``helm.namespace``: a name the
    API server or helm refuses is an error at that file's line, not at the Application's
    name or destination."""
    repo = write_files(tmp_path / "repo", {
        **_OVERRIDDEN_CHART, "chart/.argocd-source-web-prod.yaml": override})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message.split(" is ")[0]) for e in report_.errors] == [
        ("chart/.argocd-source-web-prod.yaml:2", what)]


@pytest.mark.parametrize(("name", "override", "line"), [
    (".argocd-source.yaml", "plugin:\n  name: vault\n", 1),
    (".argocd-source-web-prod.yaml", "# by a tool\nplugin:\n  env: [{name: A, value: b}]\n", 2),
])
def test_a_plugin_an_override_file_names_is_not_rendered_at_its_line(
        tmp_path: Path, name: str, override: str, line: int) -> None:
    """An override file's ``plugin:`` makes the source a config management plugin's (Argo CD
    merges the file before it decides the type, ``GetAppSourceType``): not rendered, at that
    file's line; it was rendered as a directory of manifests and passed."""
    repo = write_files(tmp_path / "repo", {**_OVERRIDDEN_CHART, f"chart/{name}": override})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.policy, f.location) for f in report_.findings] == [
        ("not-rendered", f"chart/{name}:{line}")]


@pytest.mark.parametrize("override", [
    "helm:\n  parameters:\n    - name: image.tag\n      value: latest\n",
    "helm:\n  valuesObject:\n    image:\n      tag: latest\n",
])
def test_a_value_an_override_file_sets_points_at_its_line(tmp_path: Path, override: str
                                                          ) -> None:
    """``.argocd-source-<app>.yaml`` sets the tag (a parameter, or valuesObject): the
    finding is at that file's line, not at the Application's first line."""
    repo = write_files(tmp_path / "repo", {
        **_OVERRIDDEN_CHART, "chart/.argocd-source-web-prod.yaml": override})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [f.location for f in report_.findings if f.policy == "image-tag-pinned"] == [
        "chart/.argocd-source-web-prod.yaml:4"]


@pytest.mark.parametrize(("override", "tag"), [
    # argocd-image-updater writes ``forcestring``: Go's decoding matches it to forceString,
    # so helm gets --set-string and the all-digit tag stays a string
    ("helm:\n  parameters:\n    - name: image.tag\n      value: '1234567'\n"
     "      forcestring: true\n", "1234567"),
    # a null changes nothing: the decoding keeps what the source held
    ("helm:\n  parameters: null\n  Parameters:\n    - name: image.tag\n      value: '1.2.3'\n"
     "  releaseName: null\n  unknownField: x\n", "1.2.3"),
    # inside valuesObject, decoded whole, a null deletes
    # the general file sets valuesObject, the Application's file nulls its key: inside
    # valuesObject, decoded whole, the merge patch's null deletes (the chart's tag is back)
    ("helm:\n  valuesObject:\n    image:\n      tag: null\n", "1.25.0"),
], ids=["lowercase-forcestring", "null-and-unknown", "valuesobject-null"])
def test_an_override_file_is_decoded_as_argo_cds_go_types_decode_it(
        tmp_path: Path, override: str, tag: str) -> None:
    template = _OVERRIDDEN_CHART["chart/templates/deploy.yaml"].replace(
        "  name: web\n", "  name: web\n  labels:\n    t: {{ kindOf .Values.image.tag }}\n", 1)
    repo = write_files(tmp_path / "repo", {
        **_OVERRIDDEN_CHART, "chart/templates/deploy.yaml": template,
        "chart/.argocd-source.yaml": "helm:\n  valuesObject:\n    image:\n      tag: '9.9.9'\n"
                                     "      other: x\n",
        "chart/.argocd-source-web-prod.yaml": override})
    (repo / ".git").mkdir()
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    [rendered] = model.rendered
    [deployment] = rendered.resources
    assert deployment.doc["metadata"]["labels"] == {"t": "string"}
    image = deployment.doc["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"nginx:{tag}"


def test_an_override_list_is_decoded_into_the_list_it_replaces(tmp_path: Path) -> None:
    """Go's encoding/json decodes the override's list into the source's, element by element:
    the parameter the override writes without ``forceString`` keeps the Application's
    ``forceString: true`` at its index (helm gets --set-string, the tag stays a string),
    and the list is as long as the override's."""
    template = _OVERRIDDEN_CHART["chart/templates/deploy.yaml"].replace(
        "  name: web\n", "  name: web\n  labels:\n    t: {{ kindOf .Values.image.tag }}\n"
        "    other: {{ .Values.image.other | default \"none\" | quote }}\n", 1)
    app = DIRECTORY_APP.format(name="web-prod", path="chart").replace(
        "    path: chart\n", "    path: chart\n    helm:\n      parameters:\n"
        "        - {name: image.tag, value: '1', forceString: true}\n"
        "        - {name: image.other, value: x}\n")
    repo = write_files(tmp_path / "repo", {
        **_OVERRIDDEN_CHART, "apps/web-prod.yaml": app, "chart/templates/deploy.yaml": template,
        "chart/.argocd-source-web-prod.yaml":
            "helm:\n  parameters:\n    - name: image.tag\n      value: '7654321'\n"})
    (repo / ".git").mkdir()
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    [deployment] = model.rendered[0].resources
    assert deployment.doc["metadata"]["labels"] == {"t": "string", "other": "none"}
    assert deployment.doc["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "nginx:7654321"

@pytest.mark.parametrize(("override", "line"), [
    ("helm:\n  parameters:\n    - name: image.tag\n      value: 1.10\n", 4),
    ("helm:\n  skipCrds: 'yes'\n", 2),
    ("helm:\n  valueFiles: values-prod.yaml\n", 2),
    ("directory:\n  recurse: true\n  Jsonnet:\n    libs: [1]\n", 4),
])
def test_a_value_argo_cd_cannot_decode_in_an_override_file_is_at_its_line(
        tmp_path: Path, override: str, line: int) -> None:
    """A number where Argo CD's source has a string (and the like) fails its decoding of
    the file: nothing renders, a could-not-check error at the value's line."""
    repo = write_files(tmp_path / "repo", {
        **_OVERRIDDEN_CHART, "chart/.argocd-source-web-prod.yaml": override})
    (repo / ".git").mkdir()
    model = load(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in model.errors] == [
        (f"chart/.argocd-source-web-prod.yaml:{line}", "could-not-check")]
    assert model.rendered == ()


CHILD_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: web-{{ .Values.env }}
  source:
    repoURL: https://git.example.com/repo.git
    path: web
    helm:
      valueFiles:
        - values-{{ .Values.env }}.yaml
"""
ENV_WEB_CHART = {
    "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "web/values.yaml": "data: {}\n",
    "web/values-stg.yaml": "data: {a: stg}\n",
    "web/values-prod.yaml": "data: {a: prod}\n",
    "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
                             "data: {{ toYaml .Values.data | nindent 2 }}\n"}


def test_each_render_of_an_app_of_apps_chart_plans_its_own_child(tmp_path: Path) -> None:
    """A Helm app-of-apps chart linted on its own, once per environment: each render
    writes the child ``web`` differently (its namespace and value file); each is planned,
    in its own environment, not the first one for both (stg would go unchecked, be "not
    deployed to stg" and have its namespace judged against prod)."""
    repo = write_files(tmp_path / "repo", {
        **ENV_WEB_CHART, "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values-stg.yaml": "env: stg\n", "apps/values-prod.yaml": "env: prod\n",
        "apps/templates/web.yaml": CHILD_TEMPLATE})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    children = {(t.environment, t.value_files[0].rel) for t in report_.targets
                if t.application is not None}
    assert children == {("prod", "web/values-prod.yaml"), ("stg", "web/values-stg.yaml")}
    assert [f.policy for f in report_.findings if f.policy != "argocd-application"] == []
    assert [f.message for f in report_.findings if "namespace" in f.message] == []


def test_a_child_two_argo_cd_instances_generate_is_checked_in_each(tmp_path: Path) -> None:
    """Two roots, one per cluster's Argo CD, render one app-of-apps chart with their own
    values: each generates ``web`` with its own value file, and both are checked."""
    root = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n"
            "  namespace: argocd\nspec:\n  project: default\n  source:\n"
            "    repoURL: https://git.example.com/repo.git\n    path: apps\n"
            "    helm: {{values: 'env: {env}'}}\n  destination:\n"
            "    server: https://kubernetes.default.svc\n    namespace: argocd\n")
    repo = write_files(tmp_path / "repo", {
        **ENV_WEB_CHART, "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": CHILD_TEMPLATE,
        "clusters/home/root.yaml": root.format(env="stg"),
        "clusters/lab/root.yaml": root.format(env="prod"),
        "policies/platecheck.yaml": INSTANCES})
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.value_files[0].rel for t in report_.targets if t.app == "web") == [
        "web/values-prod.yaml", "web/values-stg.yaml"]
    assert report_.errors == ()


def test_an_applications_kustomize_patches_come_after_the_kustomizations(
        tmp_path: Path) -> None:
    """Argo CD appends an Application's ``kustomize.patches`` to the kustomization's own: to
    env-consistency both overlays still write ``patches[0].path``, each at its own line, and
    the Application's patch is the next entry, at its line in the Application: a patch
    staging does not list."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n"
        "          image: nginx:1.27.0\n          imagePullPolicy: IfNotPresent\n"
        "          resources:\n            requests: {cpu: 100m, memory: 128Mi}\n"
        "            limits: {cpu: 200m, memory: 256Mi}\n")
    overlay = "resources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n"
    replicas = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                "  replicas: 2\n")
    patch = ("    kustomize:\n      patches:\n        - target: {kind: Deployment}\n"
             "          patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", "
             "\"value\": 3}]'\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "base/deployment.yaml": deployment,
        "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        **{f"overlays/{env}/{name}": text for env in ("stg", "prod") for name, text in (
            ("kustomization.yaml", overlay), ("replicas.yaml", replicas))},
        "apps/web-stg.yaml": application("web-stg", "overlays/stg", "web-stg"),
        "apps/web-prod.yaml": application("web-prod", "overlays/prod", "web-prod",
                                          source_extra=patch)})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings] == [
        ("apps/web-prod.yaml:13", 'values key "patches.Deployment/*" is set for prod/web but '
                                  "not for stg/web")]
    from platecheck.engine import load

    prod = next(r for r in load(repo, cache_dir=tmp_path / "cache").rendered
                if r.environment == "prod")
    assert [r.doc["spec"]["replicas"] for r in prod.resources] == [3]
    assert (prod.values.origins[("patches", 0, "path")],
            prod.values.origins[("patches", 1, "target", "kind")]) == (
        Origin("overlays/prod/kustomization.yaml", 4), Origin("apps/web-prod.yaml", 13))


def test_a_source_without_a_repo_url_says_so(tmp_path: Path) -> None:
    """A source with no ``repoURL`` (``repoUrl:`` misspelt), in a checkout whose remote
    another Application names: its not-rendered finding says it has no repoURL and how to
    fix that, not "from  is not rendered" and advice to vendor a chart."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "apps/web.yaml": application("web-prod", "chart", "web-prod").replace(
            "    repoURL: https://git.example.com/repo.git\n", ""),
        "apps/api.yaml": application("api-prod", "chart", "api-prod")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    [finding] = [f for f in report.findings if f.policy == "not-rendered"]
    assert (finding.location, finding.message) == (
        "apps/web.yaml:8", "source chart has no repoURL and is not rendered: its resources "
        "are not checked")
    assert "repoURL" in finding.remediation
    # one problem, one finding: the Application schema's "required field" is not said again
    assert [f.message for f in report.findings if f.policy == "argocd-application"] == []


def test_a_generated_source_without_a_repo_url_is_said_once(tmp_path: Path,
                                                            helm_bin: Path) -> None:
    """A chart of Applications renders one whose source has no repoURL: not-rendered says
    so, once; neither the Application schema (argocd-application) nor the rendered
    resource's (k8s-schema, once per environment) says it again."""
    child = application("web-prod", "chart", "web-prod").replace(
        "    repoURL: https://git.example.com/repo.git\n", "")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/web.yaml": child,
        "root.yaml": application("root", "apps", "argocd"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert [f.policy for f in report.findings if "repoURL" in f.message] == ["not-rendered"]


def test_an_application_a_kustomize_app_of_apps_does_not_list_is_not_reachable(
        tmp_path: Path) -> None:
    """Argo CD applies what the app-of-apps' kustomization builds: an Application file
    beside the ones it lists is never deployed, so it is not reachable (as one a directory
    app-of-apps leaves out), and takes no name from the listed one of its name."""
    web = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "web/cm.yaml": web,
        "root.yaml": application("root", "apps", "argocd"),
        "apps/kustomization.yaml": "resources:\n  - web.yaml\n",
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "apps/web-old.yaml": application("web-prod", "web", "web-prod"),
        "apps/api.yaml": application("api-prod", "web", "api-prod")})
    found = [(f.location, f.message) for f in lint(repo, cache_dir=tmp_path / "cache").findings
             if f.policy == "argocd-application"]
    unreachable = ("is not reachable from an app-of-apps (roots: root.yaml); unless something "
                   "else applies it, Argo CD never deploys it")
    assert found == [("apps/api.yaml:4", f"Application api-prod: {unreachable}"),
                     ("apps/web-old.yaml:4", f"Application web-prod: {unreachable}")]


def test_a_child_that_names_no_namespace_is_in_its_parents_destination(
        tmp_path: Path) -> None:
    """Argo CD creates a rendered Application that names no namespace in its parent's
    destination namespace: two parents deploying to two namespaces make two Applications
    of one name, not one name used twice."""
    root = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            "  name: {org}-root\n  namespace: argocd\nspec:\n  project: default\n"
            "  source:\n    repoURL: https://git.example.com/repo.git\n    path: charts/root\n"
            "    helm: {{values: 'org: {org}'}}\n  destination:\n"
            "    server: https://kubernetes.default.svc\n    namespace: {org}-argocd\n")
    child = application("tenant-apps", "leaf/{{ .Values.org }}",
                        "{{ .Values.org }}-apps").replace("  namespace: argocd\n", "")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "charts/root/Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n",
        "charts/root/templates/app.yaml": child,
        **{f"leaf/{org}/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {org}\n"
           for org in ("org1", "org2")},
        **{f"apps/{org}.yaml": root.format(org=org) for org in ("org1", "org2")}})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert (report_.errors, report_.findings) == ((), ())
    assert sorted(t.application.namespace for t in report_.targets
                  if t.application is not None and t.app == "tenant-apps") == [
        "org1-argocd", "org2-argocd"]


def test_chart_mode_drops_what_a_deployed_charts_own_render_generated(
        tmp_path: Path) -> None:
    """Chart mode, no Application files: ``root`` generates ``team`` (giving it a greeting),
    whose chart generates ``child`` (passing the greeting on). The chart ``team`` is
    deployed, so its render on its own goes, and so does the ``child`` that render made with
    no greeting (a could-not-check error, and "two different Applications"), and its helm
    lint with no greeting: Argo CD never renders it so. The ``child`` the chain makes is
    checked."""
    def app(name: str, path: str, values: str) -> str:
        return application(name, path, "demo-prod", source_extra=(
            f"    helm:\n      values: |\n        greeting: {values}\n"))

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        **{f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n"
           for name in ("root", "team", "child")},
        "root/templates/team.yaml": app("team", "team", "hello"),
        "team/values.yaml": 'greeting: ""\n',
        "team/templates/child.yaml": app("child", "child", "{{ .Values.greeting | quote }}"),
        "team/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                  "  name: team-{{ .Values.greeting }}\n",
        "child/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n"
                                   "data:\n  greeting: {{ required \"greeting is required\" "
                                   ".Values.greeting | quote }}\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    # helm lint of team with its own values alone (a ConfigMap named "team-") goes too
    assert (report_.errors, [f.policy for f in report_.findings
                             if f.policy != "env-consistency"]) == ((), [])
    [child] = [t for t in report_.targets if t.app == "child"]
    assert child.application is not None and child.application.deployed_by == "root"


def test_a_chart_mode_app_of_apps_that_manages_itself_is_checked_once(
        tmp_path: Path) -> None:
    """Chart mode: the chart ``apps`` generates the Application ``apps`` deploying itself,
    and ``web``. Its own Applications are how it is deployed: they stay (its render on its
    own goes), and ``web``, rendered twice alike, has each finding once."""
    web = application("web", "web", "web").replace(
        "  namespace: argocd\n", "  namespace: argocd\n  labels: {environment: production}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        **{f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n"
           for name in ("apps", "web")},
        "apps/templates/apps.yaml": application("apps", "apps", "argocd"),
        "apps/templates/web.yaml": web,
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.app for t in report_.targets) == ["apps", "web"]
    assert [(f.location, f.message) for f in report_.findings] == [
        ("apps/templates/web.yaml:14", "Application web: destination namespace 'web' does "
         "not match environment prod (*-prod, *-production, *-prd, prod-*, production-*, "
         "prd-*, prod, production, prd)")]


def test_a_kustomize_app_of_apps_that_does_not_build_still_reaches_what_it_lists(
        tmp_path: Path) -> None:
    """Two roots each deploy a kustomization of Applications; one lists a missing file, so
    it does not build (its could-not-check error). The Application file it lists is still its
    child, not an orphan, and the root is a root; a file it does not list is not reached."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    files = {".git/HEAD": "", "manifests/cm.yaml": cm}
    for cluster, listed in (("a", ""), ("b", "  - missing.yaml\n")):
        files[f"clusters/{cluster}/root.yaml"] = application(
            f"root-{cluster}", f"clusters/{cluster}/apps", "argocd",
            source_extra="    kustomize: {}\n")
        files[f"clusters/{cluster}/apps/kustomization.yaml"] = (
            f"resources:\n  - cm-app.yaml\n{listed}")
        files[f"clusters/{cluster}/apps/cm-app.yaml"] = application(
            f"cm-{cluster}", "manifests", f"demo-{cluster}")
    files["clusters/b/apps/old.yaml"] = application("old-b", "manifests", "demo-b")
    report_ = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report_.errors] == [
        ("clusters/b/apps/kustomization.yaml:3", "default/root-b")]
    assert [(f.location, f.message.split(":")[0]) for f in report_.findings] == [
        ("clusters/b/apps/old.yaml:4", "Application old-b")]


def test_a_finding_of_a_jsonnet_object_is_in_that_objects_lines(tmp_path: Path) -> None:
    """A Jsonnet file writing a ConfigMap and then an Ingress, each with annotations: the
    Ingress's missing issuer annotation is at the Ingress's ``annotations``, not the
    ConfigMap's (the objects are told apart by their literal kinds, in order)."""
    def obj(api: str, kind: str, name: str, rest: str) -> str:
        return (f"  {{\n    apiVersion: '{api}',\n    kind: '{kind}',\n    metadata: {{\n"
                f"      name: '{name}',\n      annotations: {{ 'example.com/owner': 'a' }},\n"
                f"    }},\n{rest}  }},\n")

    ingress = ("    spec: {\n      tls: [{ hosts: ['web.example.com'], secretName: 'w' }],\n"
               "      rules: [{ host: 'web.example.com' }],\n    },\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": DIRECTORY_APP.format(name="web", path="web"),
        "web/web.jsonnet": "[\n" + obj("v1", "ConfigMap", "web", "    data: { a: 'b' },\n")
        + obj("networking.k8s.io/v1", "Ingress", "web", ingress) + "]\n"})
    found = [f.location for f in lint(repo, cache_dir=tmp_path / "cache").findings
             if f.policy == "ingress-tls"]
    assert found == ["web/web.jsonnet:16"]


def test_chart_mode_keeps_the_children_a_deployed_chart_makes_alike_for_its_deployer(
        tmp_path: Path) -> None:
    """Chart mode: ``app`` generates ``root`` deploying the chart ``apps`` with no values,
    and ``apps`` (a chart of its own in chart mode too) generates ``web``. The render of
    ``apps`` on its own goes (``root`` deploys it) with what it made; ``root``'s render
    makes the same ``web``, which is checked, under its plain id."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        **{f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n"
           for name in ("app", "apps", "web")},
        "app/templates/root.yaml": application("root", "apps", "argocd"),
        "apps/templates/web.yaml": application("web", "web", "web"),
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert sorted(t.id for t in report_.targets if t.application is not None) == [
        "default/root", "default/web"]


def test_a_plugin_app_of_apps_reaches_what_its_kustomization_lists(tmp_path: Path) -> None:
    """An app-of-apps whose source is a config management plugin over a kustomization
    (not rendered: its not-rendered finding) deploys the Application files the
    kustomization lists, not one beside them it leaves out."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/cm.yaml": cm,
        "root.yaml": application("root", "apps", "argocd",
                                 source_extra="    plugin: {name: kustomize-build}\n"),
        "apps/kustomization.yaml": "resources:\n  - listed.yaml\n",
        "apps/listed.yaml": application("listed", "manifests", "listed"),
        "apps/left-out.yaml": application("left-out", "manifests", "left-out")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((f.policy, f.location) for f in report_.findings) == [
        ("argocd-application", "apps/left-out.yaml:4"), ("not-rendered", "root.yaml:8")]


def test_two_plugin_app_of_apps_over_one_directory_are_not_said_to_deploy_its_files(
        tmp_path: Path) -> None:
    """Two Applications of one config management plugin over ``gen/`` (each its own
    parameters): the plugin may output ``gen/dist/child.yaml`` or not, so neither is said to
    deploy it, let alone both (no "deployed by both"); the child is reached (no orphan)."""
    plugin = "    plugin:\n      name: cdk8s\n      env:\n        - {{name: COLOR, value: {}}}\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/cm.yaml": CM.format(name="x"),
        "apps/green.yaml": application("gen-green", "gen", "argocd",
                                       source_extra=plugin.format("green")),
        "apps/blue.yaml": application("gen-blue", "gen", "argocd",
                                      source_extra=plugin.format("blue")),
        "gen/dist/child.yaml": application("child", "manifests", "child")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((f.policy, f.location) for f in report_.findings) == [
        ("not-rendered", "apps/blue.yaml:8"), ("not-rendered", "apps/green.yaml:8")]


@pytest.mark.parametrize(("file", "text"), [
    (".argo-apps/web.json", '{{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",'
                            ' "metadata": {{"name": "{name}"}}}}\n'),
    (".argo-apps/web.yaml", '{{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",'
                            ' "metadata": {{"name": "{name}"}}}}\n'),
    ("k8s/web.jsonnet", '{{ "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",'
                        ' "metadata": {{ "name": "{name}" }} }}\n'),
])
def test_an_application_written_with_quoted_keys_is_named_where_it_is_not_checked(
        tmp_path: Path, file: str, text: str) -> None:
    """``"kind": "Application"`` (JSON, JSON-style YAML or Jsonnet) names an Application as
    ``kind: Application`` does: in a hidden directory, or in Jsonnet no source evaluates, it
    is said not checked (it was passed over in silence)."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/cm.yaml": CM.format(name="x"),
        "apps/web.yaml": application("web", "manifests", "web"),
        file: text.format(name="hidden")})
    assert [f.location for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "hidden-application"] == [f"{file}:1"]


def test_an_application_file_in_a_hidden_directory_is_named_unless_reached(
        tmp_path: Path) -> None:
    """The walk passes over hidden directories: an Application file in ``.argo-apps/`` is
    an info finding saying it is not checked. One an app-of-apps reaches there, or one under
    a hidden directory given as a path, is checked and not named."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/cm.yaml": cm,
        "apps/web.yaml": application("web", "manifests", "web"),
        ".argo-apps/api.yaml": application("api", "manifests", "api"),
        ".tools/ci.yaml": "steps:\n  - run: kubectl get applications.argoproj.io\n",
        # a workflow whose script quotes an Application it pipes to kubectl holds none
        ".github/workflows/preview.yaml": "name: preview\non: push\njobs:\n  apply:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          kubectl apply -f - "
        "<<EOF\n" + "".join(f"          {line}\n" for line in application(
            "preview", "manifests", "preview").splitlines()) + "          EOF\n",
        # a template's text that does not read names one
        ".chart/templates/app.yaml": "{{- if .Values.on }}\n"
        + application("x", "manifests", "x") + "{{- end }}\n",
        # a List's items are applied each, as Argo CD applies them
        ".argo-list/list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + "".join(
            f"  {line}\n" if i else f"  - {line}\n"
            for i, line in enumerate(application("l", "manifests", "l").splitlines()))})
    named = [(f.location, f.level) for f in lint(repo, cache_dir=tmp_path / "cache").findings
             if f.policy == "hidden-application"]
    assert named == [(".argo-apps/api.yaml:1", Level.INFO), (".argo-list/list.yaml:1",
                                                             Level.INFO),
                     (".chart/templates/app.yaml:1", Level.INFO)]
    given = lint(repo / ".argo-apps", cache_dir=tmp_path / "cache")
    assert [t.app for t in given.targets] == ["api"]
    assert [f for f in given.findings if f.policy == "hidden-application"] == []
    write_files(repo, {"apps/root.yaml": application("root", ".argo-apps", "argocd")})
    assert [f.location for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "hidden-application"] == [".argo-list/list.yaml:1",
                                                     ".chart/templates/app.yaml:1"]
    # with nothing else to check, nothing to check says where the Applications are
    (repo / "apps" / "root.yaml").unlink()
    (repo / "apps" / "web.yaml").unlink()
    with pytest.raises(PlatecheckError) as raised:
        lint(repo, cache_dir=tmp_path / "cache")
    assert raised.value.message.endswith(
        "3 Application files lie in hidden directories, which are not walked (e.g. "
        ".argo-apps/api.yaml): lint such a directory itself (platecheck lint .argo-apps)")


def test_a_generated_applications_schema_problem_is_one_finding_whichever_branch_wrote_it(
        tmp_path: Path) -> None:
    """A chart writes an Application's ``sources`` or ``source`` in two branches, both with
    ``repoURL: {{ .Values.repoURL }}``, and the value is empty: argocd-application reports
    the missing field of the generated Application, and k8s-schema's report of the same
    resource in the parent's render (placed at another line of the same template) goes."""
    template = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
        "  namespace: argocd\nspec:\n  project: default\n  {{- if .Values.multi }}\n"
        "  sources:\n    - repoURL: https://github.com/example/repo\n      path: web\n"
        "      targetRevision: HEAD\n    - repoURL: {{ .Values.repoURL }}\n"
        "      targetRevision: HEAD\n      ref: values\n  {{- else }}\n  source:\n"
        "    repoURL: {{ .Values.repoURL }}\n    path: web\n  {{- end }}\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 1.0.0\n",
        "apps/values.yaml": "multi: true\nrepoURL: ''\n", "apps/templates/app.yaml": template,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "root.yaml": application("root", "apps", "argocd")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location) for f in report_.findings
            if "repoURL" in f.message] == [("argocd-application", "apps/templates/app.yaml:13")]


def test_a_hidden_directory_a_kustomize_app_of_apps_builds_is_reached(tmp_path: Path) -> None:
    """An app-of-apps whose source is a hidden directory holding a kustomization deploys the
    Application files the build writes: they are checked, and not named as passed over."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/cm.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n"
        "  name: x\nspec:\n  containers:\n    - name: x\n      image: nginx:1.27\n",
        "root.yaml": application("root", "apps/.apps", "argocd"),
        "apps/.apps/kustomization.yaml": "resources:\n  - web.yaml\n",
        "apps/.apps/web.yaml": application("web", "manifests", "web")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report_.targets) == ["default/root", "default/web"]
    assert [f.location for f in report_.findings if f.policy == "resource-ranges"] == [
        "manifests/cm.yaml:7"]
    assert [f for f in report_.findings if f.policy == "hidden-application"] == []


def test_chart_mode_drops_a_chart_whose_deploying_application_failed_planning(
        tmp_path: Path) -> None:
    """Chart mode: ``env`` generates an Application of the chart ``web`` whose value file
    does not exist (a could-not-check error). ``web`` is still deployed by it, so it is not
    linted once more on its own (nor judged deployed to prod alone)."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        **{f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n"
           for name in ("env", "web")},
        "env/templates/web.yaml": application(
            "web", "web", "web", source_extra="    helm:\n      valueFiles: [missing.yaml]\n"),
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.message for e in report_.errors] == [
        "value file 'missing.yaml' not found (web/missing.yaml)"]
    assert sorted(t.id for t in report_.targets) == ["prod/env", "stg/env"]
    assert [f.message for f in report_.findings] == [
        "Application web: value file 'missing.yaml' does not exist"]


def test_a_document_after_an_empty_one_of_a_template_is_that_templates(
        tmp_path: Path) -> None:
    """A ``range`` writing ``---`` after each Application, one of them disabled: helm prints
    the next one's ``# Source:`` comment above an empty document, the Application below a
    bare ``---``.
    It is still the template's (before, it was taken for the parent's own file, which then
    looked replaced by it: its chart was named as deployed by none)."""
    template = ("{{- range .Values.clusters }}\n{{- if .enabled }}\n"
                + application("{{ .name }}-web", "web", "web")
                + "{{- end }}\n---\n{{- end }}\n")
    repo = write_files(tmp_path / "repo", {
        "root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values.yaml": "clusters:\n  - {name: one, enabled: true}\n"
                            "  - {name: off, enabled: false}\n  - {name: two, enabled: true}\n",
        "apps/templates/apps.yaml": template,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    model = load(repo, cache_dir=tmp_path / "cache")
    assert sorted((a.name, a.file) for a in model.generated) == [
        ("one-web", "apps/templates/apps.yaml"), ("two-web", "apps/templates/apps.yaml")]
    assert [a.file for a in model.applications] == ["root.yaml"]
    assert model.undeployed_charts == ()


@pytest.mark.parametrize("alike", [True, False])
def test_a_root_and_its_copy_in_the_directory_it_deploys_are_one_application(
        tmp_path: Path, alike: bool) -> None:
    """``root/root.yaml``, applied by hand, deploys ``apps/``, which holds a copy of it
    written alike: once applied, the one Application manages itself, so its name is used
    once (sairbabu58/OpenShift-ArgoCD). A copy written otherwise is a second manifest of
    that name, which syncs replace the first with: still a finding."""
    root = application("root", "apps", "argocd")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root/root.yaml": root,
        "apps/root.yaml": root if alike else root.replace(
            "  name: root\n", "  name: root\n  labels: {copy: 'yes'}\n"),
        "apps/web.yaml": application("web", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "argocd-application"] == ([] if alike else [
        ("root/root.yaml:4", "Application root: name is also used by apps/root.yaml:4")])


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("how", ["strategic-merge", "json6902"])
def test_a_field_a_patch_sets_on_an_application_is_at_the_patch(tmp_path: Path,
                                                                 how: str) -> None:
    """A Kustomize app-of-apps patches its child's source path to one that does not exist:
    the child's could-not-check error is at the patch's line, not at the base's ``path:
    web``."""
    patch = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
             "  namespace: argocd\nspec:\n  source:\n    path: missing-dir\n"
             ) if how == "strategic-merge" else (
        "- op: replace\n  path: /spec/source/path\n  value: missing-dir\n")
    target = "" if how == "strategic-merge" else "    target: {kind: Application, name: web}\n"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("root", "apps", "argocd"),
        "apps/kustomization.yaml": f"resources: [web.yaml]\npatches:\n  - path: patch.yaml\n"
                                   f"{target}",
        "apps/patch.yaml": patch, "apps/web.yaml": application("web", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in (*report_.findings, *report_.errors)
            if "missing-dir" in f.message] == [
        ("apps/patch.yaml:8" if how == "strategic-merge" else "apps/patch.yaml:3",
         "source path 'missing-dir' does not exist")]
    assert report_.exit_code == 2


@pytest.mark.usefixtures("kubectl_bin")
def test_the_name_a_strategic_merge_patch_names_its_target_by_stays_at_the_base(
        tmp_path: Path) -> None:
    """A strategic-merge patch writes the Application's name to say which it patches: the
    name is still the base's, where a name used twice is found."""
    patch = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
             "  namespace: argocd\nspec:\n  source:\n    path: web2\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("root", "apps", "argocd"),
        "apps/kustomization.yaml": "resources: [web.yaml]\npatches:\n  - path: patch.yaml\n",
        "apps/patch.yaml": patch, "apps/web.yaml": application("web", "web", "web"),
        "root2.yaml": application("root2", "more", "argocd"),
        "more/web.yaml": application("web", "web", "web"),
        **{f"{d}/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
           for d in ("web", "web2")}})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(f.location for f in report_.findings
                  if "name is also used" in f.message) in (["apps/web.yaml:4"],
                                                           ["more/web.yaml:4"])
    assert not any(f.file == "apps/patch.yaml" and f.line == 4 for f in report_.findings)


def test_a_waiver_about_a_target_that_could_not_be_rendered_is_not_stale(
        tmp_path: Path) -> None:
    """The chart of ``web`` fails to render (could-not-check): what it would have found is
    not known, so a waiver about it matched nothing but is not called stale (deleting it
    would fail the gate again once the chart renders); one about a target rendered is."""
    waivers = "".join(f"  - {{policy: image-tag-pinned, target: '{target}', reason: r, "
                      "expires: '2099-01-01'}\n" for target in ("*/web", "*/api"))
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "policies/waivers.yaml": "waivers:\n" + waivers,
        "apps/web.yaml": application("web", "web", "web"),
        "apps/api.yaml": application("api", "api", "api"),
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/cm.yaml": '{{ fail "not yet" }}\n',
        "api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.target for e in report_.errors] == ["default/web"]
    assert [f.line for f in report_.findings if f.policy == "waiver-stale"] == [3]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_build_output_too_deep_to_read_is_at_the_kustomization_without_a_line(
        tmp_path: Path) -> None:
    """A resource nested past the reading bound: the line the reader stopped at is one of
    kubectl's output, not of the one-line kustomization."""
    deep = "[" * 300 + "]" * 300
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web", "k", "web"),
        "k/kustomization.yaml": "resources: [cm.json]\n",
        "k/cm.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, '
                     f'"x": {deep}}}\n'})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.location for e in report_.errors] == ["k/kustomization.yaml"]


def _dependency_chart(name: str, tag: str) -> str:
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
            f"    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
            f"        - name: {name}\n          image: nginx:{tag}\n"
            "          imagePullPolicy: IfNotPresent\n")


def test_a_build_beside_a_vendored_directory_of_a_dependency_is_could_not_check(
        tmp_path: Path) -> None:
    """``a`` (file://) is not vendored, so helm dependency build runs and packs ``b`` into
    charts/b-0.1.0.tgz beside the stale directory charts/b, which it keeps: helm renders
    one of the two at random, so the verdict would change from run to run."""
    chart = "apiVersion: v2\nname: {}\nversion: 0.1.0\n"
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": application("web-prod", "chart", "web-prod"),
        "chart/Chart.yaml": chart.format("parent") + "dependencies:\n"
                            "  - {name: a, version: 0.1.0, repository: 'file://../a'}\n"
                            "  - {name: b, version: 0.1.0, repository: 'file://../b'}\n",
        "a/Chart.yaml": chart.format("a"), "a/templates/d.yaml": _dependency_chart("a", "1.0"),
        "b/Chart.yaml": chart.format("b"), "b/templates/d.yaml": _dependency_chart("b", "2.0"),
        "chart/charts/b/Chart.yaml": chart.format("b"),
        "chart/charts/b/templates/d.yaml": _dependency_chart("b", "latest")})
    results = {tuple((e.location, e.policy, e.message) for e in report_.errors)
               + tuple((f.location, f.policy) for f in report_.findings)
               for report_ in (lint(repo, use_cache=False, cache_dir=tmp_path / "cache")
                               for _ in range(5))}
    assert results == {(("chart/Chart.yaml:6", "could-not-check",
                         "chart dependency 'b': helm dependency build, which Argo CD "
                         "runs for 'a' (file://, not in charts/), packs file://../b into "
                         "chart/charts/b-0.1.0.tgz beside chart/charts/b, which it keeps: helm "
                         "then holds two charts named 'b' and renders one of them at random, "
                         "so platecheck does not render it; remove chart/charts/b (or vendor "
                         "every dependency) and commit charts/"),)}


def test_an_app_is_not_missing_where_a_set_not_expanded_may_deploy_it(tmp_path: Path) -> None:
    """``apps-staging``, a set platecheck does not expand (``kebabcase``), names each
    Application it makes by its parameters (``{{.app}}-staging``): web, written for prod, may
    be one of them, so it is not said missing from stg, and the set is no app ``apps``; a set
    of no environment may deploy it anywhere. The set itself is reported not rendered."""
    written = application("web-production", "web", "web-production")
    set_text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
        "  name: apps-staging\n  namespace: argocd\nspec:\n  goTemplate: true\n"
        "  generators:\n    - list:\n        elements:\n          - app: web\n"
        "  template:\n    metadata:\n      name: '{{.app}}-staging'\n"
        "      annotations: {c: '{{ kebabcase .app }}'}\n    spec:\n      project: default\n"
        "      source:\n        repoURL: https://git.example.com/repo.git\n"
        "        path: '{{.app}}'\n      destination:\n"
        "        server: https://kubernetes.default.svc\n        namespace: '{{.app}}-staging'\n")
    api = application("api-staging", "web", "api-staging")
    root = repository(tmp_path, {"apps/web.yaml": written, "apps/set.yaml": set_text,
                                 "apps/api.yaml": api, "web/cm.yaml": CM.format(name="c")})

    def findings() -> list[tuple[str, str]]:
        report = lint(root, cache_dir=tmp_path / "cache")
        return sorted((f.policy, f.message) for f in report.findings
                      if f.policy in ("env-consistency", "not-rendered"))

    assert findings() == [  # api, in stg only, is missing from prod all the same
        ("env-consistency", "api is deployed to stg but not to prod, and singleEnvironment does "
                            "not declare it"),
        ("not-rendered", "ApplicationSet apps-staging is not rendered: its resources are not "
                         "checked (platecheck does not expand the Go template "
                         "'{{ kebabcase .app }}': function 'kebabcase' is not one "
                         "platecheck executes)")]
    # a set of a written name makes that app: web is missing from stg
    (root / "apps" / "set.yaml").write_text(set_text.replace("'{{.app}}-staging'",
                                                             "shop-staging", 1))
    assert ("env-consistency", "web is deployed to prod but not to stg, and singleEnvironment "
            "does not declare it") in findings()
    # a set whose template matches no environment may deploy web to stg, api to prod
    (root / "apps" / "set.yaml").write_text(set_text.replace("-staging", "-x"))
    assert [policy for policy, _ in findings()] == ["not-rendered"]


_SOURCES_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: web-{env}, namespace: argocd}}
spec:
  project: default
  sources:
{sources}  destination: {{server: https://kubernetes.default.svc, namespace: web-{env}}}
"""
_CHART_SOURCE = """\
    - repoURL: https://git.example.com/repo.git
      path: {chart}
      helm:
        valueFiles: [$values/envs/{env}/values.yaml]
"""
_DIRECTORY_SOURCE = """\
    - repoURL: https://git.example.com/repo.git
      ref: values
      path: manifests/{env}
"""
_VALUES_SOURCE = "    - repoURL: https://git.example.com/repo.git\n      ref: values\n"
_SOURCES_CHART = {
    "charts/{name}/Chart.yaml": "apiVersion: v2\nname: {name}\nversion: 1.0.0\n",
    "charts/{name}/values.yaml": "image: {{tag: '1'}}\n",
    "charts/{name}/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                      "  name: web\ndata:\n  tag: {{{{ .Values.image.tag }}}}\n"}


def _sources_repo(tmp_path: Path, prod: str, stg: str, charts: tuple[str, ...] = ("web",)
                  ) -> list[tuple[str, str]]:
    """The env-consistency findings (location, message) of prod and stg Applications of
    ``prod`` and ``stg`` sources."""
    files = {"apps/web-prod.yaml": _SOURCES_APP.format(env="prod", sources=prod),
             "apps/web-stg.yaml": _SOURCES_APP.format(env="stg", sources=stg),
             "envs/prod/values.yaml": "image: {tag: '2'}\n",
             "envs/stg/values.yaml": "image: {tag: '3'}\n",
             "manifests/prod/cm.yaml": CM.format(name="side"),
             "manifests/stg/cm.yaml": CM.format(name="side")}
    for name in charts:
        files.update({path.format(name=name): text.format(name=name)
                      for path, text in _SOURCES_CHART.items()})
    report = lint(repository(tmp_path, files), cache_dir=tmp_path / "cache")
    assert report.errors == ()
    return [(f.location, f.message) for f in report.findings if f.policy == "env-consistency"]


def test_the_sources_of_two_environments_pair_by_what_they_render(tmp_path: Path) -> None:
    """prod lists its chart, then its manifests; stg the other way round: Argo CD deploys
    the same either way, so each chart pairs with the chart and each directory with the
    directory (they paired by place, a chart with a directory: 'renders chart None')."""
    prod = _CHART_SOURCE.format(chart="charts/web", env="prod") + _DIRECTORY_SOURCE.format(
        env="prod")
    stg = _DIRECTORY_SOURCE.format(env="stg") + _CHART_SOURCE.format(chart="charts/web",
                                                                     env="stg")
    assert _sources_repo(tmp_path, prod, stg) == []


def test_a_source_of_one_environment_alone_is_named_at_its_path(tmp_path: Path) -> None:
    """stg renders its manifests beside the chart, prod the chart alone: stg's directory
    source is its own (it was never compared)."""
    prod = _CHART_SOURCE.format(chart="charts/web", env="prod") + _VALUES_SOURCE
    stg = _DIRECTORY_SOURCE.format(env="stg") + _CHART_SOURCE.format(chart="charts/web",
                                                                     env="stg")
    assert _sources_repo(tmp_path, prod, stg) == [
        ("apps/web-stg.yaml:9", "stg/web[0] renders Directory source manifests/stg, and "
                                 "prod/web renders no source like it")]


def test_another_chart_of_several_sources_is_named_at_its_path(tmp_path: Path) -> None:
    """prod and stg render different charts, each beside a values source: the finding is at
    the chart source's path (it was at the Application's first line)."""
    prod = _CHART_SOURCE.format(chart="charts/web", env="prod") + _VALUES_SOURCE
    stg = _CHART_SOURCE.format(chart="charts/web2", env="stg") + _VALUES_SOURCE
    assert _sources_repo(tmp_path, prod, stg, ("web", "web2")) == [
        ("apps/web-prod.yaml:8", "prod/web renders chart charts/web but stg/web renders chart "
                                 "charts/web2")]


def test_sync_wave_order_holds_among_the_applications_a_chart_generates(
        tmp_path: Path) -> None:
    """A chart of Applications (argocd-apps' values) is an app-of-apps: syncWaveOrder puts web
    before api, and the values give api wave 0 and web wave 1, so api is out of order, at
    its wave's line in the values (the chart's children were never compared)."""
    apps = ("{{- range $name, $a := .Values.applications }}\n---\n"
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            "  name: {{ $name }}\n  namespace: argocd\n  annotations:\n"
            "    argocd.argoproj.io/sync-wave: {{ $a.wave | quote }}\nspec:\n"
            "  project: default\n  source:\n    repoURL: https://git.example.com/repo.git\n"
            "    path: {{ $a.path }}\n  destination:\n"
            "    server: https://kubernetes.default.svc\n    namespace: {{ $a.path }}\n"
            "{{- end }}\n")
    root = repository(tmp_path, {
        "root.yaml": application("root", "bootstrap", "argocd"),
        "bootstrap/Chart.yaml": "apiVersion: v2\nname: bootstrap\nversion: 1.0.0\n",
        "bootstrap/templates/apps.yaml": apps,
        "bootstrap/values.yaml": "applications:\n  web:\n    path: web\n    wave: '1'\n"
                                 "  api:\n    path: api\n    wave: '0'\n",
        "web/cm.yaml": CM.format(name="web"), "api/cm.yaml": CM.format(name="api"),
        "policies/platecheck.yaml": "policies:\n  argocd-application:\n    options:\n"
                                    "      syncWaveOrder: [web, api]\n"})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings if "sync wave" in f.message] == [
        ("bootstrap/values.yaml:7", "Application api: sync wave 0 does not come after wave 1 of "
         "web, which syncWaveOrder puts earlier")]


def test_a_second_application_of_an_app_is_no_source_of_the_first(tmp_path: Path) -> None:
    """Two Applications web-prod (a name used twice, argocd-application's finding) and one
    web-stg: prod's second Application is not taken for a source stg lacks."""
    chart = {path.format(name="web"): text.format(name="web")
             for path, text in _SOURCES_CHART.items()}
    root = repository(tmp_path, {
        "apps/web-prod.yaml": application("web-prod", "charts/web", "web-prod"),
        "more/web-prod.yaml": application("web-prod", "charts/web", "web-prod"),
        "apps/web-stg.yaml": application("web-stg", "charts/web", "web-stg"), **chart})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "env-consistency"] == []
    assert any("name is also used" in f.message for f in report.findings)


def test_a_hydrated_application_s_override_file_is_applied(tmp_path: Path) -> None:
    """``web-prod`` renders its ``sourceHydrator.drySource``; the chart's
    ``.argocd-source-web-prod.yaml`` adds ``values-prod.yaml``, as Argo CD's repo-server adds
    it to the dry source it renders: its floating tag is found (it was dropped)."""
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-prod\n"
           "  namespace: argocd\nspec:\n  project: default\n  sourceHydrator:\n"
           "    drySource:\n      repoURL: https://git.example.com/repo.git\n"
           "      targetRevision: HEAD\n      path: chart\n    syncSource:\n"
           "      targetBranch: environments/prod\n      path: prod\n  destination:\n"
           "    server: https://kubernetes.default.svc\n    namespace: web-prod\n")
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers:\n      - name: web\n"
        "        image: \"nginx:{{ .Values.tag }}\"\n        imagePullPolicy: IfNotPresent\n"
        "        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n"
        "          limits: {cpu: 100m, memory: 128Mi}\n")
    root = repository(tmp_path, {
        "apps/web-prod.yaml": app, "chart/Chart.yaml": CHART_C,
        "chart/values.yaml": "tag: '1.0.0'\n", "chart/values-prod.yaml": "tag: latest\n",
        "chart/.argocd-source-web-prod.yaml": "helm:\n  valueFiles:\n    - values-prod.yaml\n",
        "chart/templates/deploy.yaml": deployment})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings] == [
        ("chart/values-prod.yaml:1", 'container "web" in Deployment/web uses floating tag '
                                     '"latest"')]


@pytest.mark.parametrize(("namespace", "found"), [
    ("argocd", []),  # another repository's app-of-apps: its Applications live in argocd
    ("web", ["Application root-prod: destination namespace 'web' does not match environment "
             "prod (*-prod, *-production, *-prd, prod-*, production-*, prd-*, prod, "
             "production, prd)"]),
])
def test_an_app_of_apps_of_another_repository_deploys_into_argo_cd_s_namespace(
        tmp_path: Path, namespace: str, found: list[str]) -> None:
    """``root-prod`` deploys a directory of another repository into argocd, its own
    namespace: that repository's app-of-apps, whose Applications live there, not a workload
    of prod deployed to the wrong namespace. Deploying elsewhere, it is one."""
    root = application("root-prod", "apps", namespace,
                       repo="https://git.example.com/other.git")
    repo = repository(tmp_path, {".git/config": '[remote "origin"]\n\turl = '
                                               'https://git.example.com/repo.git\n',
                                 "bootstrap/root-prod.yaml": root})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.message for f in report.findings if "does not match" in f.message] == found


@pytest.mark.parametrize(("namespace", "file", "tag"), [
    ("argocd", ".argocd-source-web-prod.yaml", "latest"),
    ("team-a", ".argocd-source-web-prod.yaml", "1.25.0"),  # not this Application's file
    ("team-a", ".argocd-source-team-a_web-prod.yaml", "latest"),
])
def test_an_application_in_another_namespace_reads_its_instance_s_override_file(
        tmp_path: Path, namespace: str, file: str, tag: str) -> None:
    """Argo CD reads ``.argocd-source-<instance name>.yaml``: the Application's name in
    Argo CD's namespace, ``<namespace>_<name>`` in another (Applications in any namespace)."""
    app = application("web-prod", "chart", "web-prod", source_extra=(
        "    helm:\n      parameters:\n        - {name: tag, value: 1.25.0}\n")).replace(
        "  namespace: argocd\n", f"  namespace: {namespace}\n", 1)
    deployment = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
                  "data:\n  tag: '{{ .Values.tag }}'\n")
    root = repository(tmp_path, {
        "apps/web-prod.yaml": app, "chart/Chart.yaml": CHART_C,
        "chart/values.yaml": "tag: '1.0.0'\n", "chart/templates/cm.yaml": deployment,
        f"chart/{file}": "helm:\n  parameters:\n    - {name: tag, value: latest}\n"})
    from platecheck.engine import load

    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert model.rendered[0].resources[0].doc["data"] == {"tag": tag}


def test_a_cluster_named_in_one_application_and_served_in_another_is_one_cluster(
        tmp_path: Path) -> None:
    """The repository's cluster Secret names ``prod`` at https://prod.example.com: web-a
    deploys there by server, web-b by name, both the ConfigMap settings: the two undo each
    other's syncs (the name and the server were two clusters)."""
    secret = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-cluster\n"
              "  namespace: argocd\n  labels:\n    argocd.argoproj.io/secret-type: cluster\n"
              "stringData:\n  name: prod\n  server: https://prod.example.com\n")
    by_server = application("web-a", "manifests", "shared").replace(
        "https://kubernetes.default.svc", "https://prod.example.com")
    by_name = application("web-b", "manifests", "shared").replace(
        "    server: https://kubernetes.default.svc\n", "    name: prod\n")
    root = repository(tmp_path, {
        "root.yaml": application("root", "apps", "argocd"),
        "apps/a.yaml": by_server, "apps/b.yaml": by_name, "apps/cluster.yaml": secret,
        "manifests/cm.yaml": CM.format(name="settings")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if "undo each other" in f.message] == [
        "ConfigMap/settings in namespace shared is deployed by both Application web-a "
        "(default/web-a) and Application web-b; Argo CD's syncs of the two undo each other"]


@pytest.mark.parametrize(("url", "found"), [
    ("https://https://git.example.com/repo.git", True),
    ("ssh://git@git.example.com/repo.git", False),
    ("https://git.example.com/repo.git", False),
], ids=["scheme-twice", "ssh", "plain"])
def test_a_repo_url_that_writes_its_scheme_twice_is_a_finding(tmp_path: Path, url: str,
                                                              found: bool) -> None:
    """``https://https://host/...`` is the host ``https``: Argo CD cannot fetch it, so the
    Application deploys nothing (it was checked from the checkout and passed)."""
    app = application("web", "web", "web", repo=url)
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": app,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    line = app.splitlines().index(f"    repoURL: {url}") + 1
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "scheme twice" in f.message] == (
        [f"apps/web.yaml:{line}"] if found else [])




@pytest.mark.parametrize("parents", ["other-repository", "sets-not-expanded"])
def test_what_only_may_deploy_an_application_is_no_second_manager_of_it(
        tmp_path: Path, parents: str) -> None:
    """Two Applications whose directory source ``.`` (recursing) is another repository's
    apply none of this checkout's files; two ApplicationSets platecheck does not expand only
    may deploy the kustomization their template's path may name. Neither pair is said to
    deploy the Application file they may reach "both" (cnoe-io/stacks,
    redhat-appstudio/infra-deployments)."""
    other = {f"apps/{n}.yaml": application(n, ".", "argocd", repo=f"https://git.example.com/"
                                           f"other-{n}.git",
                                           source_extra="    directory: {recurse: true}\n")
             for n in ("one", "two")}
    sets = {f"sets/{n}.yaml": application_set(
        n, "    - clusters:\n        values: {root: components/web, env: staging, dir: base}\n",
        f"{n}-{{{{name}}}}", "{{values.root}}/{{values.env}}/{{values.dir}}", "web",
        server="{{server}}") for n in ("one", "two")}
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, **(other if parents == "other-repository" else sets),
        # (three directories deep, as the sets' path */*/* may name)
        "boot/apps/base/kustomization.yaml": "resources: [root.yaml]\n",
        "boot/apps/base/root.yaml": application("root", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "deployed by both" in f.message] == []




def test_a_set_s_parameter_path_may_name_a_nested_directory(tmp_path: Path) -> None:
    """A set platecheck does not expand (a selector) whose path is a list element's value
    (``argocd/apps/web``): the Application there is reached through it, not "not reachable"
    (a parameter's value may hold ``/``)."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "argocd/sets/platform.yaml": application_set(
            "platform", "    - list:\n        elements:\n          - {name: web, path: "
            "argocd/apps/web, enabled: 'true'}\n      selector:\n"
            "        matchLabels: {enabled: 'true'}\n", "{{ .name }}-apps", "{{ .path }}",
            "argocd", go=True),
        "argocd/root.yaml": application("root", "argocd/sets", "argocd"),
        "argocd/apps/web/application.yaml": application("web", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "not reachable" in f.message] == []




def _guestbook(env: str) -> str:
    """The ApplicationSet guestbook of one list element, ``env``."""
    return application_set("guestbook", f"    - list:\n        elements:\n          - env: {env}\n",
                           "guestbook-{{env}}", "web", "guestbook-{{env}}")


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize(("namespaces", "found"), [
    (("ns-dev", "ns-prod"), []),
    (("ns-all", "ns-all"), ["overlays/prod/appset.yaml:4"]),
], ids=["two-namespaces", "one-namespace"])
def test_sets_of_one_name_that_kustomizations_put_in_two_namespaces_are_two(
        tmp_path: Path, namespaces: tuple[str, str], found: list[str]) -> None:
    """Two overlays (``namespace: ns-dev``, ``ns-prod``) each deploy an ApplicationSet file
    named guestbook: Argo CD holds two sets, one per namespace, so the name is not reused (it
    was keyed by the files as written); in one namespace it is."""
    files = {".git/config": ORIGIN,
             "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    for env, namespace in zip(("dev", "prod"), namespaces, strict=True):
        files[f"overlays/{env}/kustomization.yaml"] = (f"namespace: {namespace}\n"
                                                       "resources: [appset.yaml]\n")
        files[f"overlays/{env}/appset.yaml"] = _guestbook(env)
        files[f"roots/{env}.yaml"] = application(f"sets-{env}", f"overlays/{env}", "argocd")
    report_ = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "name is also used" in f.message] == found


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("listed", [False, True], ids=["unlisted", "listed-from-above"])
def test_a_patch_fragment_of_a_set_in_an_overlay_s_patches_directory_is_no_set(
        tmp_path: Path, listed: bool) -> None:
    """``overlay/patches/sync-wave.yaml`` holds an ApplicationSet's metadata only (a patch,
    listed by the overlay's kustomization or kept unlisted): no build applies it alone, so it
    is no ApplicationSet the API server refuses (redhat-appstudio/infra-deployments)."""
    patch = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
             "  name: guestbook\n  annotations:\n    argocd.argoproj.io/sync-wave: '2'\n")
    files = {
        ".git/config": ORIGIN, "root.yaml": application("sets", "overlay", "argocd"),
        "overlay/kustomization.yaml": "resources: [appset.yaml]\n" + (
            "patches:\n  - path: patches/sync-wave.yaml\n" if listed else "patches: []\n"),
        "overlay/appset.yaml": _guestbook("dev"),
        "overlay/patches/sync-wave.yaml": patch,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    report_ = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    assert report_.errors == ()


def test_a_resource_a_range_writes_is_at_the_range_s_name_line(tmp_path: Path) -> None:
    """chart-b writes a Namespace ``first`` and, in a range, Namespaces ``shared`` and
    ``other``; chart-a writes ``shared`` too: the shared-resource finding is at the range's
    ``name:`` line, not at ``first``'s (a literal of another name is another resource)."""
    namespaces = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: first\n"
                  '{{- range list "shared" "other" }}\n---\napiVersion: v1\nkind: Namespace\n'
                  "metadata:\n  name: {{ . }}\n{{- end }}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/a.yaml": application("app-a", "chart-a", "a"),
        "apps/b.yaml": application("app-b", "chart-b", "b"),
        "chart-a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\n",
        "chart-a/templates/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n"
                                     "  name: shared\n",
        "chart-b/Chart.yaml": "apiVersion: v2\nname: b\nversion: 0.1.0\n",
        "chart-b/templates/ns.yaml": namespaces})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "deployed by both" in f.message] == [
        "chart-b/templates/ns.yaml:10"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_resource_whose_annotations_a_patch_replaces_is_at_its_own_file(
        tmp_path: Path) -> None:
    """An overlay's JSON patch adds ``/metadata/annotations`` to the base's Ingress, which
    replaces kustomize's origin annotation with one naming the patch: the resource is still
    the base file's (its name is written there), so what is said of it is at that file."""
    ingress = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
               "spec:\n  rules:\n    - host: web.example.com\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/a.yaml": application("web-a", "overlay", "stg"),
        "apps/b.yaml": application("web-b", "overlay", "stg"),
        "base/kustomization.yaml": "resources: [ingress.yaml]\n", "base/ingress.yaml": ingress,
        "overlay/kustomization.yaml": (
            "namePrefix: stg-\nresources: [../base]\npatches:\n"
            "  - target: {kind: Ingress, name: web}\n    patch: |-\n      - op: add\n"
            "        path: /metadata/annotations\n        value: {team: web}\n")})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report_.findings if "deployed by both" in f.message] == [
        "base/ingress.yaml:4"]


def test_a_file_parameter_through_a_ref_to_another_repository_is_not_rendered(
        tmp_path: Path) -> None:
    """``fileParameters: [{path: $ext/config/app.txt}]`` with ``ext`` another repository's
    ref source: Argo CD reads the file from that checkout (set-file through refs, 2.13), so
    the source is not rendered here (it was said the file does not exist); a value file of
    this repository a chart of another repository reads is read here, its YAML refused."""
    head = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
            "spec:\n  project: default\n  sources:\n")
    tail = ("  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: {name}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "envs/bad.yaml": "a: [\n",
        "apps/web.yaml": head.format(name="web-prod") + (
            "    - repoURL: https://git.example.com/repo.git\n      path: chart\n"
            "      helm:\n        fileParameters: [{name: config, path: $ext/config/app.txt}]\n"
            "    - repoURL: https://git.example.com/other-config.git\n      ref: ext\n")
        + tail.format(name="web-prod"),
        "apps/api.yaml": head.format(name="api-prod") + (
            "    - repoURL: https://git.example.com/shared-charts.git\n      path: charts/api\n"
            "      helm:\n        valueFiles: [$values/envs/bad.yaml]\n"
            "    - repoURL: https://git.example.com/repo.git\n      ref: values\n")
        + tail.format(name="api-prod"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report_.errors] == [("envs/bad.yaml:2", "prod/api")]
    assert [f.message.split(" is in another")[0] for f in report_.findings
            if f.policy == "not-rendered"] == ["Helm source whose file $ext/config/app.txt"]


def test_a_child_a_chart_of_applications_renders_from_an_environments_values_is_of_it(
        tmp_path: Path) -> None:
    """``charts/apps`` (no Application deploys it: a bootstrap chart, chart mode) makes the
    Application web from its ``values-prod.yaml``: web is production's, as the child of a
    production parent is (it was unclassified, production's rules not applied); one whose
    own name says production is held to its environment's namespace as ever; a chart of no
    environment's values file makes children of none."""
    apps = ("{{- range .Values.apps }}\n---\napiVersion: argoproj.io/v1alpha1\n"
            "kind: Application\nmetadata:\n  name: {{ . }}\n  namespace: argocd\nspec:\n"
            "  project: default\n  source:\n    repoURL: https://git.example.com/repo.git\n"
            "    path: web\n  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: web\n{{- end }}\n")
    repo = repository(tmp_path, {
        ".git/config": ORIGIN, "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/apps.yaml": apps, "apps/values-prod.yaml": "apps: [web, ingress-prod]\n",
        "lone/Chart.yaml": "apiVersion: v2\nname: lone\nversion: 0.1.0\n",
        "lone/templates/apps.yaml": apps, "lone/values.yaml": "apps: [lone-web]\n",
        "web/pod.yaml": POD})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets if t.application is not None) == [
        "default/lone-web", "prod/ingress", "prod/web"]
    assert sorted(f.target for f in report.findings if f.policy == "image-tag-pinned") == [
        "prod/ingress", "prod/web"]
    # (ingress-prod's own name says production: its namespace is held to it, as written)
    assert [f.target for f in report.findings if "does not match environment" in f.message
            ] == ["prod/ingress"]


def test_what_a_chart_of_applications_writes_whole_from_its_values_is_at_their_lines(
        tmp_path: Path) -> None:
    """A chart of Applications writing each one's ``source`` and ``sources`` with ``toYaml``
    from its values (argo-helm's argocd-apps does): a missing value file (an item of a
    list), a remote chart not rendered (the whole source) and the Application itself are at
    the values lines that wrote them, not at the template line every child shares."""
    apps = ("{{- range $name, $app := .Values.applications }}\n---\n"
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            "  name: {{ $name }}\n  namespace: argocd\nspec:\n  project: default\n"
            "  {{- with $app.source }}\n  source:\n    {{- toYaml . | nindent 4 }}\n"
            "  {{- end }}\n  {{- with $app.sources }}\n  sources:\n"
            "    {{- toYaml . | nindent 4 }}\n  {{- end }}\n  destination:\n"
            "    {{- toYaml $app.destination | nindent 4 }}\n{{- end }}\n")
    values = ("applications:\n"
              "  api-prod:\n"
              "    source:\n"
              "      repoURL: https://git.example.com/repo.git\n"
              "      path: api\n"
              "      helm:\n"
              "        valueFiles:\n"
              "          - values.yaml\n"
              "          - values-missing.yaml\n"
              "    destination: {server: https://kubernetes.default.svc, namespace: api-prod}\n"
              "  web-prod:\n"
              "    sources:\n"
              "      - repoURL: https://charts.example.com\n"
              "        chart: web\n"
              "        targetRevision: 1.2.3\n"
              "    destination: {server: https://kubernetes.default.svc, namespace: web-prod}\n")
    repo = repository(tmp_path, {
        ".git/config": ORIGIN, "root.yaml": application("root", "bootstrap", "argocd"),
        "other-stg.yaml": application("other-stg", "api", "other-stg"),
        "bootstrap/Chart.yaml": "apiVersion: v2\nname: bootstrap\nversion: 0.1.0\n",
        "bootstrap/templates/apps.yaml": apps, "bootstrap/values.yaml": values,
        "api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        "api/values.yaml": "{}\n", "api/templates/cm.yaml": CM.format(name="api")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report.errors] == [
        ("bootstrap/values.yaml:9", "prod/api")]
    assert [f.location for f in report.findings if f.policy == "not-rendered"] == [
        "bootstrap/values.yaml:13"]
    assert [f.location for f in report.findings if f.policy == "env-consistency"
            and f.message.startswith("web ")] == ["bootstrap/values.yaml:13"]


@pytest.mark.parametrize(("manifest", "found"), [
    ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n", False),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: tools\n", False),
    (CM.format(name="c"), True),
])
def test_no_destination_namespace_is_a_finding_only_where_a_resource_needs_one(
        tmp_path: Path, manifest: str, found: bool) -> None:
    """web-prod names no destination namespace: Argo CD takes it, and one of cluster-scoped
    resources (an ACM hub's MachineConfigs, a ClusterRole) or of resources naming their own
    needs none; a namespaced resource naming none does (it was said of all)."""
    repo = repository(tmp_path, {
        ".git/config": ORIGIN, "manifests/web/r.yaml": manifest,
        "web-prod.yaml": application("web-prod", "manifests/web", "").replace(
            "    namespace: \n", "")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert any("has no destination namespace" in f.message for f in report.findings) is found


def test_a_source_a_chart_of_applications_writes_field_by_field_stays_at_its_template(
        tmp_path: Path) -> None:
    """Each Application's source is written key by key, the repository from one values line
    all share (argoproj/argocd-example-apps): a source not rendered is at the template's
    ``source:``, not at that shared values line (every child's finding would be there)."""
    template = ("{{- range .Values.applications }}\n---\napiVersion: argoproj.io/v1alpha1\n"
                "kind: Application\nmetadata:\n  name: {{ .name }}\n  namespace: argocd\n"
                "spec:\n  destination:\n    namespace: {{ .name }}\n"
                "    server: https://kubernetes.default.svc\n  project: default\n"
                "  source:\n    path: {{ .path }}\n    repoURL: {{ $.Values.repoURL }}\n"
                "    chart: {{ .chart }}\n    targetRevision: {{ $.Values.revision }}\n"
                "{{- end }}\n")
    values = ("repoURL: https://charts.example.com\nrevision: 1.0.0\napplications:\n"
              "  - {name: a, path: x, chart: a}\n  - {name: b, path: y, chart: b}\n")
    repo = repository(tmp_path, {
        ".git/config": ORIGIN, "root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/apps.yaml": template, "apps/values.yaml": values})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert {f.location for f in report.findings if f.policy == "not-rendered"} == {
        "apps/templates/apps.yaml:13"}


def test_a_string_two_blocks_share_is_placed_in_its_own_block(tmp_path: Path) -> None:
    """A list of projects, each one's source written with ``toYaml``: alpha and beta share
    their repository and revision, so beta's source not rendered is at beta's block (it was
    at alpha's repoURL, the first line holding that text)."""
    template = ("{{- range .Values.projects }}\n---\napiVersion: argoproj.io/v1alpha1\n"
                "kind: Application\nmetadata:\n  name: {{ .name }}\n  namespace: argocd\n"
                "spec:\n  project: default\n  source:\n    {{- toYaml .source | nindent 4 }}\n"
                "  destination:\n    namespace: {{ .name }}\n"
                "    server: https://kubernetes.default.svc\n{{- end }}\n")
    values = "".join(f"  - name: {name}\n    source:\n      path: manifests/{name}\n"
                     "      repoURL: https://git.example.com/other.git\n"
                     "      targetRevision: HEAD\n" for name in ("alpha", "beta"))
    repo = repository(tmp_path, {
        ".git/config": ORIGIN, "root.yaml": application("root", "apps", "argocd"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/apps.yaml": template, "apps/values.yaml": f"projects:\n{values}"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((f.target, f.location) for f in report.findings
                  if f.policy == "not-rendered") == [
        ("default/alpha", "apps/values.yaml:4"), ("default/beta", "apps/values.yaml:9")]


def test_a_value_file_of_a_ref_source_of_no_repo_url_says_so(tmp_path: Path) -> None:
    """A ``$values/...`` value file through a ref source that names no repoURL: not rendered,
    saying so (it said "in another repository, ,")."""
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, "
           "namespace: argocd}\nspec:\n  project: default\n  destination: {server: "
           "https://kubernetes.default.svc, namespace: web}\n  sources:\n"
           "    - repoURL: https://git.example.com/repo.git\n      path: chart\n"
           "      helm:\n        valueFiles: [$values/v.yaml]\n    - ref: values\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/a.yaml": app, "chart/Chart.yaml": CHART_C,
        "chart/templates/cm.yaml": CM.format(name="c")})
    [finding] = [f for f in lint(repo, cache_dir=tmp_path / "cache").findings
                 if f.policy == "not-rendered"]
    assert (finding.location, finding.message.split(" is not rendered")[0]) == (
        "apps/a.yaml:11", "Helm source whose value file $values/v.yaml is in a source of no "
        "repoURL, and")


def test_a_missing_dependency_of_an_alias_is_named_with_it(tmp_path: Path) -> None:
    """Two dependencies of one chart, the second aliased, neither vendored: the error names
    each by its name and alias (it named ``'redis'`` twice)."""
    chart = (CHART_C + "dependencies:\n  - {name: redis, version: 1.0.0, repository: "
             "https://charts.example.com}\n  - {name: redis, alias: cache, version: 1.0.0, "
             "repository: https://charts.example.com}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/a.yaml": application("web", "chart", "web"),
        "chart/Chart.yaml": chart, "chart/templates/cm.yaml": CM.format(name="c")})
    [error] = lint(repo, cache_dir=tmp_path / "cache").errors
    assert error.message.startswith(
        "chart dependencies 'redis' from https://charts.example.com, 'redis' (alias 'cache') "
        "from https://charts.example.com are not in charts/")


def test_a_subdirectory_linted_knows_this_repository_by_the_whole_repository(
        tmp_path: Path) -> None:
    """``lint other/``, whose one Application names another host's repository: which
    repoURLs are this one is decided by the whole repository's Applications, as for
    ``lint .`` (decided by the subdirectory's alone, its source was rendered from this
    checkout and the run passed)."""
    other = application("b", "web", "b").replace(
        "https://git.example.com/repo.git", "https://gitea.internal.example/org/other.git")
    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/a.yaml": application("a", "web", "a"),
        "other/b.yaml": other, "web/cm.yaml": CM.format(name="c")})
    for given in (repo, repo / "other"):
        report_ = lint(given, cache_dir=tmp_path / "cache")
        assert [(f.location, f.policy) for f in report_.findings
                if f.target == "default/b"] == [("other/b.yaml:8", "not-rendered")]
