"""A could-not-check message keeps helm's reason, with Helm 3 and Helm 4 alike."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.helmbin import helm_major, install_helm
from platecheck.model import Chart, Report
from platecheck.parse import error_location
from platecheck.render import first_error_line
from platecheck.report import jsonout, junit, sarif

CHART_YAML = "apiVersion: v2\nname: schemed\nversion: 0.1.0\n"
SCHEMA = """{
  "type": "object",
  "properties": {
    "ingress": {"type": "object", "properties": {
      "tls": {"type": "array", "items": {"type": "object", "required": ["hosts"]}}}}
  }
}
"""
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: schemed\n"
BAD_VALUES = "ingress:\n  tls:\n    - secretName: schemed-tls\n"

# What each major says after the Error: line, for the values above.
REASONS = {
    3: "schemed: - ingress.tls.0: hosts is required",
    4: "schemed: - at '/ingress/tls/0': missing property 'hosts'",
}
HEADLINE = "values don't meet the specifications of the schema(s) in the following chart(s):"


@pytest.fixture(scope="module", params=[3, 4], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    major = int(request.param)
    path = install_helm(str(major))
    assert helm_major(path) == major
    return path


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schemed")
    (root / "templates").mkdir()
    (root / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (root / "values.schema.json").write_text(SCHEMA, encoding="utf-8")
    (root / "values.yaml").write_text("ingress: {}\n", encoding="utf-8")
    (root / "values-prod.yaml").write_text(BAD_VALUES, encoding="utf-8")
    (root / "templates" / "configmap.yaml").write_text(TEMPLATE, encoding="utf-8")
    return root


def test_schema_failure_keeps_the_reason(helm: Path, chart: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    failed = subprocess.run(
        [str(helm), "template", "schemed", str(chart), "--values", str(chart / "values-prod.yaml")],
        capture_output=True, text=True, env=env, check=False,
    )
    assert failed.returncode != 0
    assert first_error_line(failed.stderr) == f"{HEADLINE} {REASONS[helm_major(helm)]}"


@pytest.fixture(scope="module")
def linted(helm: Path, chart: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return lint(chart, helm=helm, cache_dir=tmp_path_factory.mktemp("cache"))


def test_could_not_check_message_names_the_schema_violation(linted: Report) -> None:
    # platecheck validates values.schema.json itself (helm is told to skip it), at the line
    (error,) = linted.errors
    assert (error.target, error.file, error.line) == ("prod/schemed", "values-prod.yaml", 3)
    assert error.message.startswith(
        "values do not meet the chart's values.schema.json at ingress.tls.0: ")


@pytest.fixture(scope="module")
def failing(helm: Path, chart: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("failing") / "schemed"
    shutil.copytree(chart, root)
    (root / "values.schema.json").unlink()
    (root / "templates" / "configmap.yaml").write_text(TEMPLATE + '{{ fail "no hosts" }}\n')
    return lint(root, helm=helm, cache_dir=tmp_path_factory.mktemp("cache"))


def test_reports_carry_helms_whole_output(failing: Report) -> None:
    linted = failing
    (error,) = [e for e in linted.errors if e.message.startswith("helm template failed")]
    assert error.detail is not None and error.detail.startswith("Error: ")
    listed = [e for e in json.loads(jsonout.render(linted))["errors"]
              if e["message"] == error.message]
    assert [e["detail"] for e in listed] == [error.detail]
    cases = list(ET.fromstring(junit.render(linted).encode("utf-8")).iter("testcase"))
    bodies = [case.findtext("error") for case in cases if case.find("error") is not None]
    assert len(bodies) == 6  # every target-scope policy of the target that did not render
    detail = "\n".join(f"    {line}" if line else "" for line in error.detail.rstrip().splitlines())
    assert all(body and body.endswith(f"\n  detail:\n{detail}") for body in bodies)
    results = json.loads(sarif.render(linted))["runs"][0]["results"]
    (result,) = [r for r in results if r["properties"].get("couldNotCheck")]
    assert result["properties"]["detail"] == error.detail


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        pytest.param(
            "Error: values don't meet the specifications of the schema(s) in the following"
            " chart(s):\nweb:\n- replicas: Invalid type. Expected: integer, given: string\n"
            "db:\n- size: is required\n\nUse --debug for more\n",
            "values don't meet the specifications of the schema(s) in the following chart(s):"
            " web: - replicas: Invalid type. Expected: integer, given: string db: - size: is"
            " required",
            id="several-charts-stop-at-the-blank-line",
        ),
        pytest.param(
            "Error: INSTALLATION FAILED: boom\nnot part of it\n",
            "INSTALLATION FAILED: boom",
            id="no-colon-no-continuation",
        ),
        pytest.param(
            "Error: parse error:\n",
            "parse error:",
            id="colon-at-the-end-of-stderr",
        ),
        pytest.param(
            "Error: a/templates/cm.yaml:3:8\n  executing \"a/templates/cm.yaml\" at <include>:\n"
            "    error calling include:\na/templates/_h.tpl:2:10\n  executing \"h\" at <.x>:\n"
            "    nil pointer\n\nUse --debug flag to render out invalid YAML\n",
            "a/templates/cm.yaml:3:8 executing \"a/templates/cm.yaml\" at <include>: error calling"
            " include: a/templates/_h.tpl:2:10 executing \"h\" at <.x>: nil pointer",
            id="helm4-include-chain-goes-on-after-a-colon",
        ),
    ],
)
def test_first_error_line(stderr: str, expected: str) -> None:
    assert first_error_line(stderr) == expected


# A failing chart: (files under the chart, where the could-not-check error must point).
HELPERS = '{{- define "failing.name" -}}\n{{ .Values.missing.deeper }}\n{{- end -}}\n'
FAILURES = {
    "fail": ({"templates/cm.yaml": TEMPLATE + '  x: {{ fail "stop" }}\n'},
             ("templates/cm.yaml", 5)),
    "include": ({"templates/_helpers.tpl": HELPERS,
                 "templates/cm.yaml": TEMPLATE + 'data:\n  x: {{ include "failing.name" . }}\n'},
                ("templates/_helpers.tpl", 2)),
    "unclosed-action": ({"templates/cm.yaml": TEMPLATE + "data:\n  x: {{ .Values.x\n\n"},
                        ("templates/cm.yaml", 6)),
    "subchart": ({"charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
                  "charts/sub/templates/s.yaml": 'x: {{ required "x is needed" .Values.x }}\n',
                  "templates/cm.yaml": TEMPLATE},
                 ("charts/sub/templates/s.yaml", 1)),
    "output-not-yaml": ({"templates/cm.yaml": TEMPLATE + "data: [1\n"},
                        ("templates/cm.yaml", None)),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_failed_render_points_at_the_template_helm_names(
        case: str, helm: Path, tmp_path: Path) -> None:
    files, expected = FAILURES[case]
    root = tmp_path / "failing"
    for name, text in {"Chart.yaml": CHART_YAML.replace("schemed", "failing"),
                       "values.yaml": "x: 1\n", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    failed = [e for e in report.errors if e.message.startswith("helm template failed: ")]
    assert failed and {(e.file, e.line) for e in failed} == {expected}


@pytest.mark.parametrize(("alias", "failing"), [
    ("", b'{{ required "lib.name must be set" .Values.name }}\n'),
    ("    alias: shared\n", b'{{ required "lib.name must be set" .Values.name }}\n'),
    ("", b"n: {{ .Values.missing.key }}\n"),  # helm says "template: web/charts/lib/..."
])
def test_a_failed_template_of_a_subchart_archive_points_at_its_dependency(
        alias: str, failing: bytes, helm: Path, tmp_path: Path) -> None:
    """A subchart's template that fails inside a vendored archive is no file to open: the
    error is at the dependency entry that declares it (by its alias too), where the
    findings of its resources are (it had no line in chart mode)."""
    import io
    import tarfile

    root = tmp_path / "web"
    (root / "charts").mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - name: other\n"
        "    version: 0.1.0\n    repository: https://charts.example.com\n  - name: lib\n"
        f"    version: 0.1.0\n{alias}    repository: https://charts.example.com\n")
    members = {"lib/Chart.yaml": b"apiVersion: v2\nname: lib\nversion: 0.1.0\n",
               "lib/templates/cm.yaml": failing}
    for name in ("other", "lib"):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for member, data in members.items():
                info = tarfile.TarInfo(member.replace("lib/", f"{name}/", 1))
                info.size = len(data.replace(b"lib", name.encode()))
                archive.addfile(info, io.BytesIO(data.replace(b"lib", name.encode())))
        (root / "charts" / f"{name}-0.1.0.tgz").write_bytes(buffer.getvalue())
    (root / "values.yaml").write_text("other:\n  name: set\n  missing: {key: x}\n")
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    failed = [e for e in report.errors if e.message.startswith("helm template failed: ")]
    assert failed and {(e.file, e.line) for e in failed} == {("Chart.yaml", 8)}


def test_a_template_of_no_file_here_keeps_the_applications_place(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "charts/web/templates").mkdir(parents=True)
    (root / "charts/web/templates/cm.yaml").write_text("x: 1\n", encoding="utf-8")
    chart = Chart(root / "charts/web", "charts/web", "web", "0.1.0", "v2", {})
    assert error_location("template: web/templates/cm.yaml:3:1: boom", chart, root) == (
        "charts/web/templates/cm.yaml", 3)
    # another chart's template, one that is not in the repository (an archive's), none at all
    for message in ("template: other/templates/cm.yaml:3:1: boom",
                    "execution error at (web/charts/dep/templates/x.yaml:2:3): boom",
                    "INSTALLATION FAILED: boom"):
        assert error_location(message, chart, root) is None
    outside = tmp_path / "outside.yaml"
    outside.write_text("x: 1\n", encoding="utf-8")
    (root / "charts/web/templates/linked.yaml").symlink_to(outside)
    assert error_location("template: web/templates/linked.yaml:1:1: boom", chart, root) is None


def test_a_kube_version_the_chart_refuses_points_at_its_kube_version(
        helm: Path, tmp_path: Path) -> None:
    from platecheck.rendering import KUBE_VERSION_REMEDY

    root = tmp_path / "refusing"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(CHART_YAML.replace("schemed", "refusing") +
                                     "kubeVersion: '>=1.99.0-0'\n", encoding="utf-8")
    (root / "templates" / "configmap.yaml").write_text(TEMPLATE, encoding="utf-8")
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    failed = [e for e in report.errors if "chart requires kubeVersion" in e.message]
    assert failed and {(e.file, e.line, e.remediation) for e in failed} == {
        ("Chart.yaml", 4, KUBE_VERSION_REMEDY)}


@pytest.mark.parametrize(("constraint", "renders"), [("<1.32.0-0", True),
                                                    (">=1.32.0-0", False)])
def test_without_a_configured_version_charts_render_for_the_version_validated_against(
        helm: Path, tmp_path: Path, constraint: str, renders: bool) -> None:
    """Unconfigured, helm renders for the Kubernetes version the schemas are of (1.31), not
    for its own built-in default (1.32 for Helm 3.17): one cluster version in a run."""
    from platecheck.engine import load

    root = tmp_path / "versioned"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(CHART_YAML.replace("schemed", "versioned") +
                                     f"kubeVersion: '{constraint}'\n", encoding="utf-8")
    (root / "templates" / "configmap.yaml").write_text(
        TEMPLATE + "data:\n  kube: {{ .Capabilities.KubeVersion.Version }}\n",
        encoding="utf-8")
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    refused = [e.message.rsplit(" ", 1)[-1] for e in report.errors
               if "chart requires kubeVersion" in e.message]
    assert refused == ([] if renders else ["v1.31.0", "v1.31.0"])
    if renders:
        model = load(root, helm=helm, cache_dir=tmp_path / "cache")
        assert {r.resources[0].doc["data"]["kube"] for r in model.rendered} == {"v1.31.0"}


@pytest.mark.parametrize(("files", "expected"), [
    ({"Chart.yaml": "apiVersion: v2\nname: app\n# released as\nversion: abc\n"},
     ("charts/app/Chart.yaml", 4)),
    ({"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ntype: plugin\n"},
     ("charts/app/Chart.yaml", 4)),
    ({"Chart.yaml": "apiVersion: v2\nname: app\n"}, ("charts/app/Chart.yaml", None)),
    # a subchart's Chart.yaml helm refuses: its line in that file (it was the Application's)
    ({"charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: abc\n"},
     ("charts/app/charts/sub/Chart.yaml", 3)),
], ids=["version-invalid", "type-invalid", "version-missing", "subchart-version"])
def test_chart_metadata_helm_refuses_points_at_its_line_in_chart_yaml(
        helm: Path, tmp_path: Path, files: dict[str, str],
        expected: tuple[str, int | None]) -> None:
    from synthetic import application, write_files

    root = write_files(tmp_path / "repo", {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/cm.yaml": TEMPLATE,
        **{f"charts/app/{name}": text for name, text in files.items()},
        "apps/app-prod.yaml": application("app-prod", "charts/app", "app-prod"),
    })
    cold, warm = (lint(root, helm=helm, cache_dir=tmp_path / "cache") for _ in range(2))
    for report in (cold, warm):  # the second from the render cache
        assert [(e.policy, e.target, e.file, e.line) for e in report.errors] == [
            ("could-not-check", "prod/app", *expected)]
        assert report.errors[0].message.startswith("helm template failed: ")
        assert report.exit_code == 2
    assert warm.cache_hits and not warm.renders
    assert sarif.render(cold) == sarif.render(warm)
    assert junit.render(cold) == junit.render(warm)
    documents = [json.loads(jsonout.render(report)) for report in (cold, warm)]
    for document in documents:  # what differs: helm's processes run and cached
        del document["summary"]["helmRuns"], document["summary"]["helmCached"]
    assert documents[0] == documents[1]


@pytest.mark.parametrize(("message", "expected"), [
    ("\\n\\nmode must be set: choose git\\nor oci", "mode must be set: choose git or oci"),
    ("boom\\nfake line", "boom fake line"),
    ("one line", "one line"),
])
def test_a_fail_message_of_several_lines_is_kept_whole(helm: Path, tmp_path: Path,
                                                      message: str, expected: str) -> None:
    """A template's ``fail`` message may start with blank lines or span several: helm prints
    it whole after the ``Error:`` line, and so does the could-not-check message."""
    chart = tmp_path / "failing"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: failing\nversion: 0.1.0\n")
    (chart / "templates" / "fail.yaml").write_text(f'{{{{- fail "{message}" }}}}\n')
    failed = subprocess.run([str(helm), "template", "failing", str(chart)],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "HOME": str(tmp_path)})
    assert failed.returncode != 0
    assert first_error_line(failed.stderr) == (
        f"execution error at (failing/templates/fail.yaml:1:4): {expected}")


@pytest.mark.parametrize(("files", "expected"), [
    ({"values.yaml": "x: 1\nnested:\n  ok: 2\n  ratio: .nan\n"}, ("charts/app/values.yaml", 4)),
    ({"values.yaml": "list:\n  - 1\n  - .Inf\n"}, ("charts/app/values.yaml", 3)),
    ({"values-prod.yaml": "a: 1\nb: -.inf\n"}, ("charts/app/values-prod.yaml", 2)),
], ids=["nan-in-values", "inf-in-a-list", "minus-inf-in-a-value-file"])
def test_a_number_json_cannot_write_points_at_its_values_line(
        helm: Path, tmp_path: Path, files: dict[str, str],
        expected: tuple[str, int]) -> None:
    """helm converts each values file to JSON as it loads it and fails on ``.nan`` or
    ``.inf``, naming no line: the error is at the line of that number, not the
    Application's."""
    from synthetic import application, write_files

    root = write_files(tmp_path / "repo", {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/cm.yaml": TEMPLATE,
        "charts/app/values-prod.yaml": "a: 1\n",
        **{f"charts/app/{name}": text for name, text in files.items()},
        "apps/app-prod.yaml": application("app-prod", "charts/app", "app-prod", source_extra=(
            "    helm:\n      valueFiles: [values-prod.yaml]\n")),
    })
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    assert [(e.policy, e.target, e.file, e.line) for e in report.errors] == [
        ("could-not-check", "prod/app", *expected)]
    assert report.errors[0].message.startswith("helm template failed: ")


def test_values_the_schema_refuses_come_before_a_template_that_fails(
        helm: Path, tmp_path: Path) -> None:
    """helm checks the values against values.schema.json before it renders: with both wrong,
    it reports the values, and so does platecheck (at the value's line)."""
    from synthetic import application, write_files

    root = write_files(tmp_path / "repo", {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/values.schema.json": '{"properties": {"replicas": {"type": "integer"}}}',
        "charts/app/templates/cm.yaml": TEMPLATE,
        "charts/app/templates/fail.yaml": '{{ fail "boom" }}\n',
        "charts/app/values-prod.yaml": "a: 1\nreplicas: two\n",
        "apps/app-prod.yaml": application("app-prod", "charts/app", "app-prod", source_extra=(
            "    helm:\n      valueFiles: [values-prod.yaml]\n")),
    })
    by_hand = subprocess.run([str(helm), "template", str(root / "charts/app"), "-f",
                              str(root / "charts/app/values-prod.yaml")],
                             capture_output=True, text=True, check=False)
    assert by_hand.returncode != 0 and "boom" not in by_hand.stderr  # the schema's failure
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in report.errors] == [("charts/app/values-prod.yaml", 2)]
    assert report.errors[0].message.startswith("values do not meet the chart's")
    # the template's failure alone is reported as before
    (root / "charts/app/values-prod.yaml").write_text("a: 1\nreplicas: 2\n")
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in report.errors] == [("charts/app/templates/fail.yaml", 1)]


def test_an_application_kube_version_is_what_helm_templates_for_not_the_cluster(
        helm: Path, tmp_path: Path) -> None:
    """An Application's ``helm.kubeVersion`` is helm's ``--kube-version`` alone (Argo CD
    passes it to ``helm template``): the schemas stay the cluster's, so an API the
    1.33 cluster no longer serves is refused for both Applications, and a version no
    bundled schemas cover is no error."""
    from platecheck.engine import load
    from synthetic import application, write_files

    hpa = ("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n"
           "  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, "
           "name: web}\n  maxReplicas: 2\n")
    root = write_files(tmp_path / "repo", {
        "policies/platecheck.yaml": "kubernetesVersion: '1.33.0'\n",
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/hpa.yaml": hpa,
        "charts/app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: v\ndata:\n"
                                        "  v: {{ .Capabilities.KubeVersion.Version }}\n",
        "apps/app-prod.yaml": application("app-prod", "charts/app", "app-prod", source_extra=(
            "    helm:\n      kubeVersion: '1.20.0'\n")),
        "apps/app-stg.yaml": application("app-stg", "charts/app", "app-stg"),
    })
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    assert not report.errors
    assert sorted(f.target for f in report.findings if f.policy == "unknown-kind") == [
        "prod/app", "stg/app"]
    model = load(root, helm=helm, cache_dir=tmp_path / "cache")
    versions = {r.target.id: d.doc["data"]["v"] for r in model.rendered for d in r.resources
                if d.kind == "ConfigMap"}
    assert versions == {"prod/app": "v1.20.0", "stg/app": "v1.33.0"}


def test_a_template_failing_on_capabilities_names_api_versions(helm: Path,
                                                                 tmp_path: Path) -> None:
    """A chart that fails unless the cluster serves an API (``.Capabilities.APIVersions``):
    the remedy names the apiVersions setting, where the clusters' API versions are said;
    listing it there renders the chart."""
    from synthetic import application, write_files

    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/cm.yaml": (
            '{{- if not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}\n'
            '{{- fail "deploy monitoring.coreos.com/v1 first" }}\n{{- end }}\n' + TEMPLATE),
        "apps/app-prod.yaml": application("app-prod", "charts/app", "app-prod")})
    report = lint(root, helm=helm, cache_dir=tmp_path / "cache")
    assert [(e.location, e.remediation.startswith("The template asks .Capabilities"))
            for e in report.errors] == [("charts/app/templates/cm.yaml:2", True)]
    (root / "policies").mkdir()
    (root / "policies" / "platecheck.yaml").write_text(
        "apiVersions: [monitoring.coreos.com/v1]\n")
    assert lint(root, helm=helm, cache_dir=tmp_path / "cache").errors == ()


def test_a_template_including_itself_is_one_short_error(helm_bin: Path, tmp_path: Path) -> None:
    """helm repeats the chain of a template that includes itself for hundreds of kilobytes:
    the error keeps its first frame and its last clause, at the template's line."""
    chart = tmp_path / "repo" / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  annotations:\n"
        "    checksum/config: "
        "{{ include (print $.Template.BasePath \"/cm.yaml\") . | sha256sum }}\n")
    (tmp_path / "repo" / ".git").mkdir()
    report = lint(tmp_path / "repo", helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [e.target for e in report.errors] == ["prod/web", "stg/web"]  # chart mode
    for error in report.errors:
        assert (error.file, error.line) == ("chart/templates/cm.yaml", 6)
        assert len(error.message) < 1500
        assert error.message.startswith(
            "helm template failed: template: web/templates/cm.yaml:6")
        assert " characters ...] " in error.message
