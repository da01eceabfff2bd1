"""Every policy, data-driven: each case under ``tests/fixtures/policies/<policy-id>/`` (listed
in the policy module's ``CASES``)
edits a copy of the small repository in ``tests/fixtures/policies/_base`` (a chart deployed
to stg and prod by Argo CD Applications, with a ``policies/platecheck.yaml``), lints it with
the real pipeline and helm, and compares every finding of the report with the case's list:
policy, level, target, file, line and message.

A case file holds:

    description: what the case shows
    files: {path: content}          # files written over the copy (whole files)
    edits: [{file, line, text}]     # replace line N by text (several lines are fine)
           [{file, after, text}]    # or insert text after line N (0: at the top)
    delete: [path]                  # files removed from the copy
    config: {policy-id: {...}}      # merged into ``policies:`` of policies/platecheck.yaml
    findings: [{policy, level, target, file, line, message[, waived]}]   # the whole report
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from platecheck import policies as policies_package
from platecheck.containers import containers, pod_spec
from platecheck.engine import lint
from platecheck.errors import PlatecheckError
from platecheck.imageref import FLOATING_TAGS
from platecheck.model import (
    Application,
    Chart,
    Environment,
    Finding,
    MergedValues,
    Origin,
    RenderedTarget,
    RenderTarget,
    RepoModel,
    Resource,
    SourceType,
)
from platecheck.policies import (
    env_consistency,
    image_tag_pinned,
    ingress_tls,
    pull_policy,
    registry,
    resource_ranges,
)
from platecheck.provenance import locate

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
BASE = FIXTURES / "_base"
POLICY_DIR = Path(policies_package.__file__).parent
SECTIONS = ("What", "Why", "Options", "Passes", "Fails")
CASE_KEYS = {"description", "files", "edits", "delete", "config", "findings"}
FINDING_KEYS = ("policy", "level", "target", "file", "line", "message", "waived")
def _case_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.yaml") if p.parent != BASE)


CASES = _case_files()


def _load_case(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{path}: a case is a mapping"
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{path}: unknown case keys {sorted(unknown)}"
    assert case.get("description"), f"{path}: a case needs a description"
    return case


def build_repo(case: Mapping[str, Any], directory: Path) -> Path:
    """A copy of the base repository with the case's changes applied."""
    repo = directory / "repo"
    shutil.copytree(BASE, repo)
    for rel in case.get("delete") or ():
        (repo / rel).unlink()
    for rel, content in (case.get("files") or {}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content, encoding="utf-8")
    for edit in case.get("edits") or ():
        path = repo / edit["file"]
        lines = path.read_text(encoding="utf-8").splitlines()
        new = str(edit["text"]).rstrip("\n").splitlines()
        if "line" in edit:
            lines[edit["line"] - 1 : edit["line"]] = new
        else:
            lines[edit["after"] : edit["after"]] = new
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if case.get("config"):
        config_path = repo / "policies" / "platecheck.yaml"
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        for pid, settings in case["config"].items():
            config["policies"].setdefault(pid, {}).update(settings)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return repo


def _row(finding: Finding) -> dict[str, Any]:
    return {
        "policy": finding.policy,
        "level": finding.level.value,
        "target": finding.target,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "waived": finding.waived,
    }


def _sort_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(row.get(key)) for key in FINDING_KEYS)


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render-cache")


@pytest.mark.parametrize("case_file", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case(case_file: Path, tmp_path: Path, helm_bin: Path, render_cache: Path) -> None:
    case = _load_case(case_file)
    repo = build_repo(case, tmp_path)
    report = lint(repo / "environments", helm=str(helm_bin), cache_dir=render_cache)
    assert [e.location + ": " + e.message for e in report.errors] == []
    expected = sorted(
        ({key: row.get(key) for key in FINDING_KEYS} for row in case.get("findings") or []),
        key=_sort_key,
    )
    actual = sorted((_row(f) for f in report.findings), key=_sort_key)
    assert actual == expected
    for finding in report.findings:
        assert finding.remediation, f"{finding.policy}: finding without remediation"


def test_base_repository_is_clean(tmp_path: Path, helm_bin: Path, render_cache: Path) -> None:
    repo = build_repo({}, tmp_path)
    report = lint(repo / "environments", helm=str(helm_bin), cache_dir=render_cache)
    assert (report.errors, report.findings, report.exit_code) == ((), (), 0)
    assert {t.id for t in report.targets} == {"stg/web", "prod/web"}


# -- meta-tests: the house rules for every registered policy -------------------------------


@pytest.mark.parametrize("pid", list(registry()))
def test_policy_has_passing_and_failing_cases(pid: str) -> None:
    """Every registered policy lists its cases (``CASES``), each a file of its directory and
    every file of its directory listed, with at least one case where it finds nothing and
    one where it finds something, on the rendered fixture chart."""
    module = registry()[pid]
    on_disk = sorted(p.stem for p in (FIXTURES / pid).glob("*.yaml"))
    assert sorted(module.CASES) == on_disk, f"{pid}: CASES must list {FIXTURES / pid}/*.yaml"
    outcomes = {"pass": 0, "fail": 0}
    for name in module.CASES:
        case = _load_case(FIXTURES / pid / f"{name}.yaml")
        fails = any(row.get("policy") == pid for row in case.get("findings") or [])
        outcomes["fail" if fails else "pass"] += 1
    assert outcomes["pass"] >= 1 and outcomes["fail"] >= 1, (
        f"{pid}: needs at least one passing and one failing case under {FIXTURES / pid}"
    )


# -- odd cases, on hand-built models ------------------------------------------------------------


POD = {"containers": [{"name": "app", "image": "nginx:1.25.3"}]}


def _resource(doc: dict[str, Any], template_file: str | None = None) -> Resource:
    return Resource(
        api_version=str(doc.get("apiVersion", "v1")),
        kind=str(doc["kind"]),
        name=str(doc.get("metadata", {}).get("name", "x")),
        namespace=None,
        doc=doc,
        template=None,
        template_file=template_file,
        index=0,
    )


def _rendered(
    *docs: dict[str, Any],
    production: bool = True,
    values: dict[str, Any] | None = None,
    origins: dict[Any, Origin] | None = None,
    templates: dict[str, str] | None = None,
    template_file: str | None = None,
    application: Application | None = None,
    chart: Chart | None = None,
) -> RenderedTarget:
    target = RenderTarget(
        id="prod/app" if production else "stg/app",
        environment="prod" if production else "stg",
        app="app",
        application=application,
        chart=chart,
        release_name="app",
        namespace="default",
        value_files=(),
        production=production,
    )
    return RenderedTarget(
        target=target,
        resources=tuple(_resource(doc, template_file) for doc in docs),
        values=MergedValues(values or {}, origins or {}),
        manifest="",
        templates=templates or {},
    )


@pytest.mark.parametrize(
    ("doc", "found"),
    [
        ({"kind": "Pod", "spec": POD}, True),
        ({"kind": "Deployment", "spec": {"template": {"spec": POD}}}, True),
        ({"kind": "StatefulSet", "spec": {"template": {"spec": POD}}}, True),
        ({"kind": "Job", "spec": {"template": {"spec": POD}}}, True),
        ({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": POD}}}}}, True),
        ({"kind": "PodTemplate", "template": {"spec": POD}}, True),
        ({"kind": "Rollout", "spec": {"template": {"spec": POD}}}, True),  # any pod template
        ({"kind": "Widget", "spec": {"template": {"spec": {"replicas": 2}}}}, False),
        ({"kind": "ConfigMap", "data": {"a": "b"}}, False),
        ({"kind": "Deployment", "spec": "broken"}, False),
    ],
    ids=lambda value: value.get("kind", "") if isinstance(value, dict) else str(value),
)
def test_pod_spec_of_every_workload_kind(doc: dict[str, Any], found: bool) -> None:
    assert (pod_spec(_resource(doc)) is not None) is found


def test_ephemeral_and_init_containers_are_checked() -> None:
    spec = {
        "initContainers": [{"name": "init", "image": "busybox"}],
        "containers": [{"name": "app", "image": "nginx:1.25.3"}],
        "ephemeralContainers": [{"name": "debug", "image": "busybox:latest"}],
    }
    rendered = _rendered({"kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    assert [c.label for c in containers(rendered)] == [
        'container "app" in Pod/p',
        'init container "init" in Pod/p',
        'ephemeral container "debug" in Pod/p',
    ]
    messages = [f.message for f in image_tag_pinned.check(rendered, image_tag_pinned.Options())]
    assert messages == [
        'init container "init" in Pod/p uses image "busybox" without a tag '
        '(Kubernetes pulls "latest")',
        'ephemeral container "debug" in Pod/p uses floating tag "latest"',
    ]


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("registry.example.com:5000/nginx", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("nginx:stable", "IfNotPresent"),  # only latest is special to Kubernetes
        (f"nginx@sha256:{'a' * 64}", "IfNotPresent"),
        (f"nginx:latest@sha256:{'a' * 64}", "Always"),
        ("not a reference", "IfNotPresent"),
        ("nginx:LATEST", "IfNotPresent"),  # Kubernetes compares with "latest" exactly
        ("nginx:", "IfNotPresent"),  # an empty tag: the API server's parse fails
    ],
)
def test_kubernetes_pull_policy_defaulting(image: str, policy: str) -> None:
    assert pull_policy.default_pull_policy(image) == policy


@given(
    st.one_of(
        st.sampled_from(["latest", *FLOATING_TAGS]).map(lambda t: t.upper()),
        st.sampled_from(["latest", *FLOATING_TAGS]),
    ),
    st.sampled_from(["nginx", "registry.example.com:5000/plate/web", "localhost/a/b"]),
)
def test_any_floating_tag_in_production_is_caught(tag: str, repository: str) -> None:
    problem = image_tag_pinned.image_problem(f"{repository}:{tag}", FLOATING_TAGS, None, False)
    assert problem == f'uses floating tag "{tag}"'


@given(st.from_regex(r"v?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(-[a-z0-9]{1,8})?", fullmatch=True))
def test_exact_versions_are_pinned(tag: str) -> None:
    assert image_tag_pinned.image_problem(f"nginx:{tag}", FLOATING_TAGS, None, False) is None
    assert image_tag_pinned.image_problem(f"nginx:{tag}", FLOATING_TAGS, None, True) == (
        f'uses image "nginx:{tag}" without a digest'
    )


@pytest.mark.parametrize(("image", "shown"), [
    ("busybox:latest\n", '"busybox:latest\\n"'),  # a --set-file value's last line break
    ("nginx:1.25 3", '"nginx:1.25 3"'), ('nginx:"x"', '"nginx:\\"x\\""'),
    ("café:1", '"café:1"')])
def test_an_image_that_is_no_reference_is_shown_on_one_line(image: str, shown: str) -> None:
    assert image_tag_pinned.image_problem(image, FLOATING_TAGS, None, False) == (
        f"has image {shown}, which is not a valid image reference")


def test_unknown_or_invalid_range_options_stop_the_check() -> None:
    with pytest.raises(PlatecheckError, match=r"option cpu has unknown key 'requestMinimum'"):
        resource_ranges.parse_bounds("cpu", {"requestMinimum": "1"})
    with pytest.raises(PlatecheckError, match=r"option memory.limitMax '2GB' is not a Kub"):
        resource_ranges.parse_bounds("memory", {"limitMax": "2GB"})
    assert resource_ranges.parse_bounds("cpu", {"limitMax": 2})["limitMax"] == (2, "2")


def test_locate_prefers_the_container_context_then_falls_back_to_the_template() -> None:
    values = {"nginx": {"tag": "latest"}, "backend": {"tag": "latest"}}
    origins = {
        ("nginx", "tag"): Origin("chart/values.yaml", 3),
        ("backend", "tag"): Origin("chart/values-prod.yaml", 7),
    }
    template = (
        "spec:\n  containers:\n    - name: nginx\n      image: x\n    - name: backend\n"
        "      image: y\n"
    )
    rendered = _rendered(
        {"kind": "Pod", "spec": POD},
        values=values,
        origins=origins,
        templates={"chart/templates/pod.yaml": template},
        template_file="chart/templates/pod.yaml",
    )
    resource = rendered.resources[0]
    for name, line in (("nginx", 3), ("backend", 7)):
        origin = locate(rendered, ("latest",), keys=("tag",), context=(name,))
        assert origin is not None and origin.line == line
    missing = locate(
        rendered, ("1.2.3",), keys=("tag",), resource=resource, fields=("image",), anchor="backend"
    )
    assert missing == Origin("chart/templates/pod.yaml", 6)


def test_locate_ranks_the_whole_image_string_above_a_tag_key() -> None:
    values = {
        "image": {"repository": "nginx", "tag": "latest"},
        "jobs": {"curl": "curlimages/curl:latest"},
        "tools": {"repository": "busybox", "tag": ""},
    }
    origins = {
        ("image", "tag"): Origin("chart/values.yaml", 3),
        ("jobs", "curl"): Origin("chart/values.yaml", 6),
        ("tools", "repository"): Origin("chart/values.yaml", 8),
        ("tools", "tag"): Origin("chart/values.yaml", 9),
    }
    rendered = _rendered({"kind": "Pod", "spec": POD}, values=values, origins=origins)
    whole = locate(
        rendered, ("latest",), exact=("curlimages/curl:latest",), keys=("tag",), context=("x",)
    )
    assert whole == Origin("chart/values.yaml", 6)
    # An empty value counts only under a fitting key; context decides among the candidates.
    empty = locate(rendered, ("", "busybox"), keys=("tag", "image"), context=("busybox",))
    assert empty == Origin("chart/values.yaml", 9)
    assert locate(rendered, ("",), keys=("image",), context=("busybox",)) is None
    # With require_key, a value must sit under one of the keys, whatever the context.
    hints: dict[str, Any] = {"keys": ("cpu",), "context": ("nginx",)}
    assert locate(rendered, ("latest",), **hints) == Origin("chart/values.yaml", 3)
    assert locate(rendered, ("latest",), **hints, require_key=True) is None


TEMPLATED_NAMES = """\
metadata:
  name: {{ include "app.fullname" . }}
spec:
  containers:
    - name: {{ .Chart.Name }}-web
      image: a
      ports:
        - name: {{ .Chart.Name }}-api
    - image: b
      name: "{{ .Values.apiName }}"
      ports:
        - name: http
    - name: sidecar
      image: c
"""


@pytest.mark.parametrize(
    ("name", "index", "line"),
    [
        ("app-web", 0, 6),  # the templated name, not metadata.name nor a port name
        ("app-api", 1, 9),  # "{{ .Values.apiName }}" renders anything: the entry at index 1
        ("sidecar", 2, 14),  # a literal name
        ("renamed", 1, 9),  # no name fits: the entry at its index
    ],
)
def test_template_line_finds_a_container_whose_name_is_templated(
    name: str, index: int, line: int
) -> None:
    rendered = _rendered(
        {"kind": "Pod", "spec": POD},
        templates={"chart/templates/pod.yaml": TEMPLATED_NAMES},
        template_file="chart/templates/pod.yaml",
    )
    origin = locate(
        rendered,
        resource=rendered.resources[0],
        fields=("image",),
        anchor=name,
        anchor_in=("containers", index),
    )
    assert origin == Origin("chart/templates/pod.yaml", line)


def _ingress(annotations: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "annotations": annotations},
        "spec": {
            "tls": [{"hosts": ["a.example.com"], "secretName": "a-tls"}],
            "rules": [{"host": "a.example.com"}],
        },
    }


@pytest.mark.parametrize(
    ("value", "disabled"),
    [
        *((v, True) for v in ("false", "False", "FALSE", "f", "F", "0", False, 0)),
        *((v, False) for v in ("true", "1", "t", "fAlse", "no", "off", " false", True)),
    ],
    ids=repr,
)
def test_ssl_redirect_false_is_what_go_parses_as_false(value: object, disabled: bool) -> None:
    annotation = "nginx.ingress.kubernetes.io/ssl-redirect"
    doc = _ingress({"cert-manager.io/cluster-issuer": "prod", annotation: value})
    findings = list(ingress_tls.check(_rendered(doc), ingress_tls.Options()))
    shown = "false" if value is False else str(value)
    expected = [f'Ingress/web disables the HTTPS redirect in production ({annotation}: "{shown}")']
    assert [f.message for f in findings] == (expected if disabled else [])


@pytest.mark.parametrize(
    ("annotations", "disabled"),
    [
        ({"nginx.ingress.kubernetes.io/force-ssl-redirect": "false"}, []),
        ({"ingress.kubernetes.io/force-ssl-redirect": "0"}, []),
        ({"nginx.ingress.kubernetes.io/ssl-redirect": "false",
          "nginx.ingress.kubernetes.io/force-ssl-redirect": "true"}, []),
        ({"nginx.ingress.kubernetes.io/ssl-redirect": "false",
          "nginx.ingress.kubernetes.io/force-ssl-redirect": "false"},
         ["nginx.ingress.kubernetes.io/ssl-redirect"]),
        ({"nginx.ingress.kubernetes.io/ssl-redirect": "false",
          "ingress.kubernetes.io/force-ssl-redirect": "true"},
         ["nginx.ingress.kubernetes.io/ssl-redirect"]),
    ],
    ids=["force-false", "old-prefix-force-false", "forced", "not-forced", "other-prefix-forced"],
)
def test_only_ssl_redirect_false_without_force_turns_the_redirect_off(
        annotations: dict[str, str], disabled: list[str]) -> None:
    """ingress-nginx redirects when force-ssl-redirect is true, or when the host has a
    certificate and ssl-redirect is true: force-ssl-redirect "false" (its default) turns
    nothing off, and a true one of the same prefix overrides ssl-redirect "false"."""
    doc = _ingress({"cert-manager.io/cluster-issuer": "prod", **annotations})
    findings = list(ingress_tls.check(_rendered(doc), ingress_tls.Options()))
    assert [f.message for f in findings] == [
        f'Ingress/web disables the HTTPS redirect in production ({name}: "false")'
        for name in disabled]


@pytest.mark.parametrize(("annotations", "found"), [
    ({"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:1:certificate/x"}, []),
    ({"networking.gke.io/managed-certificates": "web-cert"}, []),
    ({"traefik.ingress.kubernetes.io/router.tls.certresolver": "letsencrypt"}, []),
    ({"alb.ingress.kubernetes.io/certificate-arn": ""},
     ['Ingress/web host "b.example.com" is not covered by any tls entry',
      "Ingress/web has no cert-manager issuer annotation (cert-manager.io/cluster-issuer or "
      "cert-manager.io/issuer)"]),
], ids=["acm", "gke-managed", "traefik-resolver", "empty-arn"])
def test_a_load_balancer_certificate_annotation_serves_tls(annotations: dict[str, str],
                                                            found: list[str]) -> None:
    """An Ingress the AWS Load Balancer Controller (or GKE) serves with the certificate an
    annotation names, or Traefik with one its ACME resolver obtains for each host, needs
    neither a tls entry for its host nor cert-manager; an empty annotation names none."""
    doc = _ingress(annotations)
    doc["spec"]["rules"] = [{"host": "b.example.com"}]
    findings = list(ingress_tls.check(_rendered(doc), ingress_tls.Options()))
    assert [f.message for f in findings] == found


def test_both_issuer_annotations_are_reported_and_both_checked() -> None:
    doc = _ingress({"cert-manager.io/cluster-issuer": "ca", "cert-manager.io/issuer": "ca"})
    options = ingress_tls.Options(issuers=("ca",))
    findings = list(ingress_tls.check(_rendered(doc, production=False), options))
    assert [f.message for f in findings] == [
        "Ingress/web sets both cert-manager.io/cluster-issuer and cert-manager.io/issuer; "
        "cert-manager issues no certificate when both are set",
    ]
    options = ingress_tls.Options(issuers=("other",))
    findings = list(ingress_tls.check(_rendered(doc, production=False), options))
    assert [f.message for f in findings][1:] == [
        'Ingress/web uses issuer "ca" (cert-manager.io/cluster-issuer); this environment '
        'allows "other"',
        'Ingress/web uses issuer "ca" (cert-manager.io/issuer); this environment allows "other"',
    ]


def test_name_normalization_and_allowed_paths() -> None:
    words = env_consistency.Options().name_normalization
    assert env_consistency._normalize("Service/plate-web-prod", words, "prod") == (
        "Service/plate-web"
    )
    assert env_consistency._normalize("Service/staging-plate.web", words, "stg") == (
        "Service/plate-web"
    )
    assert env_consistency.dotted(("ingress", "hosts", 0, "host")) == "ingress.hosts[0].host"
    pattern = env_consistency._globs(["ingress.annotations.*", "debug"])
    assert pattern is not None
    assert env_consistency._allowed(pattern, ("ingress", "annotations", "a.b/c"))
    assert env_consistency._allowed(pattern, ("debug", "enabled"))
    assert not env_consistency._allowed(pattern, ("ingress", "annotations"))
    assert not env_consistency._allowed(pattern, ("debugger",))


def _chart(rel: str, version: str = "0.1.0") -> Chart:
    return Chart(Path("/repo") / rel, rel, "app", version, "v2", {})


def _application(name: str) -> Application:
    return Application(
        name=name,
        file=f"apps/{name}.yaml",
        line=1,
        namespace="argocd",
        labels={},
        annotations={},
        project="default",
        destination_namespace=None,
        destination_server=None,
        sources=(),
        sync_policy=None,
        ignore_differences=(),
        raw={},
        lines={("spec", "source", "path"): 9},
    )


@pytest.mark.parametrize(("prod_chart", "found"), [
    (_chart("charts/app-v2", "0.2.0"), True),
    (_chart("clusters/prod/app"), False),  # a copy: one name and version
], ids=["another-chart", "a-copy"])
def test_different_charts_are_one_finding_at_the_application_source(prod_chart: Chart,
                                                                    found: bool) -> None:
    """Two environments rendering two charts is a finding; each environment's copy of one
    chart (one name and version in its own directory) is one chart, compared as such."""
    stg = _rendered(
        production=False,
        chart=_chart("charts/app"),
        application=_application("app-stg"),
    )
    prod = _rendered(chart=prod_chart, application=_application("app-prod"))
    repo = RepoModel(
        root=Path("/repo"),
        applications=(),
        app_of_apps=(),
        charts=(),
        targets=(stg.target, prod.target),
        rendered=(stg, prod),
        yaml_files=(),
        environments=(Environment("prod", True), Environment("stg", False)),
    )
    options = policies_package.PolicyOptions(default=env_consistency.Options())
    findings = list(env_consistency.check(repo, options))
    assert [(f.target, f.file, f.line, f.message) for f in findings] == ([
        (
            "prod/app",
            "apps/app-prod.yaml",
            9,
            "prod/app renders chart charts/app-v2 but stg/app renders chart charts/app",
        ),
    ] if found else [])


EPHEMERAL = """\
kind: Pod
spec:
  {{- /*
  - name: debug
    resources: {}
  */}}
  containers:
    - name: app
      image: app:1
      resources: {}
  ephemeralContainers:
    - name: debug
      image: busybox:1
    - name: other
      image: busybox:1
      resources: {}
"""


@pytest.mark.parametrize("anchor, section, index, line", [
    ("debug", "ephemeralContainers", 0, 12),  # its own entry: it writes no resources
    ("other", "ephemeralContainers", 1, 16),
    ("app", "containers", 0, 10),
    ("gone", "initContainers", 0, None),  # no entry to point at: no guess
])
def test_template_line_stays_inside_the_container_entry(
    anchor: str, section: str, index: int, line: int | None
) -> None:
    rendered = _rendered(
        {"kind": "Pod", "spec": POD},
        templates={"chart/templates/pod.yaml": EPHEMERAL},
        template_file="chart/templates/pod.yaml",
    )
    origin = locate(rendered, resource=rendered.resources[0], fields=("resources",),
                    anchor=anchor, anchor_in=(section, index))
    assert origin == Origin("chart/templates/pod.yaml", line)


JSONNET_POD = """\
{
  kind: 'Pod',
  metadata: { name: 'app' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'x:1',
      },
      {
        name: "side",
        image: std.extVar('image'),
        resources: {},
      },
      { name: 'inline', image: 'y:1' },
    ],
  },
}
"""


JSON_POD = """\
{
  "kind": "Pod",
  "spec": {
    "containers": [
      {
        "args": ["--port=1"],
        "livenessProbe": {
          "periodSeconds": 10
        },
        "name": "speaker",
        "resources": {}
      }
    ]
  }
}
"""


@pytest.mark.parametrize("fields, line", [
    (("resources",), 11),  # after the name, past a nested object's closing brace
    (("livenessProbe",), 7),  # before the name
    (("image",), 6),  # not written: the entry's first line
])
def test_template_line_finds_a_field_of_a_json_entry(fields: tuple[str, ...],
                                                      line: int) -> None:
    rendered = _rendered(
        {"kind": "Pod", "spec": POD},
        templates={"manifests/pod.json": JSON_POD},
        template_file="manifests/pod.json",
    )
    origin = locate(rendered, resource=rendered.resources[0], fields=fields,
                    anchor="speaker", anchor_in=("containers", 0))
    assert origin == Origin("manifests/pod.json", line)


TABBED_JSON_POD = (
    '{\n\t"spec": {\n\t\t"containers": [\n'
    '\t\t  {\n\t\t\t"image": "example/proxy:1.0.0",\n\t\t\t"name": "proxy"\n\t\t  },\n'
    '\t\t  {\n\t\t\t"name": "op",\n\t\t\t"resources": {}\n\t\t  }\n\t\t]\n\t}\n}\n')


def test_an_entry_indented_with_tabs_and_spaces_keeps_to_its_own_fields() -> None:
    """A file indented with tabs and spaces mixed (``\\t\\t  {`` around ``\\t\\t\\t"name"``):
    a tab reaches the next multiple of 8, so the braces are not deeper than the fields and
    ``proxy``'s entry does not run into ``op``'s ``resources``."""
    rendered = _rendered(
        {"kind": "Pod", "spec": {"containers": [{"name": "proxy"}, {"name": "op"}]}},
        templates={"manifests/pod.json": TABBED_JSON_POD},
        template_file="manifests/pod.json",
    )
    origin = locate(rendered, resource=rendered.resources[0], fields=("resources",),
                    anchor="proxy", anchor_in=("containers", 0))
    assert origin == Origin("manifests/pod.json", 5)


@pytest.mark.parametrize("anchor, fields, line", [
    ("app", ("image",), 8),  # not metadata's name: the entry after the list's key
    ("side", ("resources",), 13),
    ("side", ("livenessProbe",), 11),  # a field it does not write: the entry's first line
    ("inline", ("image",), 15),  # the whole entry on one line
    ("gone", ("image",), None),
])
def test_template_line_finds_an_entry_written_as_an_object(
    anchor: str, fields: tuple[str, ...], line: int | None
) -> None:
    """Jsonnet (and YAML's flow style) write a list entry as an object, ``{ name: 'app',
    ... }``, with no ``- name:`` line: the entry is found by its name and its fields."""
    rendered = _rendered(
        {"kind": "Pod", "spec": POD},
        templates={"manifests/pod.jsonnet": JSONNET_POD},
        template_file="manifests/pod.jsonnet",
    )
    origin = locate(rendered, resource=rendered.resources[0], fields=fields,
                    anchor=anchor, anchor_in=("containers", 0))
    assert origin == Origin("manifests/pod.jsonnet", line)


JSONNET_VARIABLE_POD = """\
function(name='app', image='x:1') {
  kind: 'Pod',
  metadata: { name: name },
  spec: {
    containers: [
      {
        image: image,
        name: name,
      },
    ],
  },
}
"""


@pytest.mark.parametrize("text, line", [
    (JSONNET_VARIABLE_POD, 7),
    # two entries named by variables: which is which is not known
    (JSONNET_VARIABLE_POD.replace("    ],", "      { name: other },\n    ],"), None),
], ids=["one", "two"])
def test_an_entry_a_variable_names_is_found_when_it_is_the_only_one(
        text: str, line: int | None) -> None:
    """A Jsonnet function's parameter names the container (``name: name``): the one entry
    of the document's one containers list that a variable names is it."""
    rendered = _rendered(
        {"kind": "Pod", "spec": POD},
        templates={"manifests/pod.jsonnet": text},
        template_file="manifests/pod.jsonnet",
    )
    origin = locate(rendered, resource=rendered.resources[0], fields=("resources",),
                    anchor="app", anchor_in=("containers", 0))
    assert origin == Origin("manifests/pod.jsonnet", line)


def test_a_finding_without_a_known_line_says_so() -> None:
    rendered = _rendered(
        {"kind": "Pod", "metadata": {"name": "p"},
         "spec": {"initContainers": [{"name": "gone", "image": "x:1"}],
                  "containers": [{"name": "app", "image": "x:1",
                                  "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                                                "limits": {"cpu": "1", "memory": "1Gi"}}}]}},
        templates={"chart/templates/pod.yaml": EPHEMERAL},
        template_file="chart/templates/pod.yaml",
    )
    options = resource_ranges.Options()
    [finding] = resource_ranges.check(rendered, options)
    assert (finding.file, finding.line) == ("chart/templates/pod.yaml", None)
    assert finding.message.endswith("(line unknown: the template does not write this "
                                    "container's entry where platecheck can find it)")
    # a Jsonnet file is no template
    jsonnet = dataclasses.replace(rendered, resources=tuple(dataclasses.replace(
        r, template_file="manifests/pod.jsonnet") for r in rendered.resources),
        templates={"manifests/pod.jsonnet": JSONNET_POD})
    assert next(resource_ranges.check(jsonnet, options)).message.endswith(
        "(line unknown: the Jsonnet file does not write this container's entry where "
        "platecheck can find it)")
    # a Kustomize build has no template: the files of the build do not write it
    built = dataclasses.replace(rendered, target=dataclasses.replace(
        rendered.target, source_type=SourceType.KUSTOMIZE))
    [finding] = resource_ranges.check(built, options)
    assert finding.message.endswith("(line unknown: no file of the build writes this "
                                    "container's entry where platecheck can find it)")


@pytest.mark.parametrize(("left", "right", "expected"), [
    ({"a": 1}, {"a": 2}, []),
    ({"a": {"x": 1, "y": 1, "z": 1}}, {"a": {"y": 1, "w": 1, "v": 1}},
     [(("a", "x"), "removed"), (("a", "z"), "removed"), (("a", "w"), "added"),
      (("a", "v"), "added")]),
    ({"a": [1, {"b": 1}]}, {"a": [1, {"b": [1]}, 3]},
     [(("a", 1, "b"), "a scalar/a list")]),
    ({"a": ["x", "y"]}, {"a": ["y"]}, []),
    ({"a": None}, {"a": {"b": 1}}, [(("a",), "a scalar/a mapping")]),
    ({"a": 1, "b": True}, {"a": "1", "b": 1.0}, []),
    ({1: {"k": 1}}, {1: {}}, [((1, "k"), "removed")]),
])
def test_structural_differences(left: Any, right: Any,
                                expected: list[tuple[tuple[Any, ...], str]]) -> None:
    from platecheck.policies.env_consistency import structural_differences

    assert list(structural_differences(left, right)) == expected
