"""k8s-schema, unknown-kind, argocd-application and chart-metadata.

Schema cases are data: ``fixtures/beyond/schema-cases/*.yaml`` holds a template (and, when it
has Go templating, the manifest helm renders from it), the policy's options and the expected
findings with their lines and messages. Application and chart cases run the whole pipeline
with the real helm on ``fixtures/beyond/repo``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from packaging.version import Version

from platecheck import schemas
from platecheck.errors import PlatecheckError
from platecheck.model import (
    Chart,
    Finding,
    HelmLint,
    MergedValues,
    Origin,
    RenderedTarget,
    RenderTarget,
    RepoModel,
    Report,
    Resource,
)
from platecheck.options import NoOptions, parse_options
from platecheck.policies import (
    PolicyOptions,
    chart_lint_warning,
    chart_metadata,
    k8s_schema,
    registry,
    unknown_kind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "beyond"
CASES = sorted((FIXTURES / "schema-cases").glob("*.yaml"))
REPO = FIXTURES / "k8s-repo"
TEMPLATE = "helm/web/templates/resources.yaml"
VALUES = "helm/web/values-prod.yaml"


def chart(root: Path = REPO, rel: str = "helm/web", name: str = "web",
          version: str | float = "0.1.0", api_version: str = "v2") -> Chart:
    return Chart(path=root / rel, rel=rel, name=name, version=str(version),
                 api_version=api_version, metadata={"version": version})


def rendered_target(manifest: str, template: str, origins: Mapping[str, int] | None = None,
                    kube_version: str | None = None) -> RenderedTarget:
    target = RenderTarget(id="prod/web", environment="prod", app="web", application=None,
                          chart=chart(), release_name="web", namespace="web-prod",
                          value_files=(), kube_version=kube_version, production=True)
    resources = []
    for doc in yaml.safe_load_all(manifest):
        if not isinstance(doc, dict):
            continue
        metadata = doc.get("metadata") or {}
        resources.append(Resource(
            api_version=str(doc.get("apiVersion", "")), kind=str(doc.get("kind", "")),
            name=str(metadata.get("name", "")), namespace=metadata.get("namespace"), doc=doc,
            template="web/templates/resources.yaml", template_file=TEMPLATE,
            index=len(resources)))
    values = MergedValues(data={}, origins={
        tuple(key.split(".")): Origin(VALUES, line) for key, line in (origins or {}).items()})
    return RenderedTarget(target=target, resources=tuple(resources), values=values,
                          manifest=manifest, templates={TEMPLATE: template})


def as_rows(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [{"file": f.file, "line": f.line, "resource": f.resource, "message": f.message}
            for f in findings]


def expected_rows(expect: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"file": item.get("file", TEMPLATE), "line": item["line"],
             "resource": item["message"].split(": ", 1)[0], "message": item["message"]}
            for item in expect]


def schema_check(module: ModuleType, rendered: RenderedTarget,
                 options: schemas.SchemaOptions, cluster_version: str | None = None
                 ) -> list[Finding]:
    """A schema policy's findings, its schemas looked up first as the engine does."""
    return list(module.check(schemas.prepare(rendered, options, None, cluster_version),
                             options))


def test_a_schema_policy_without_looked_up_schemas_is_an_error() -> None:
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    with pytest.raises(PlatecheckError):
        list(k8s_schema.check(rendered_target(doc, doc), k8s_schema.Options()))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_schema_case(case: Path) -> None:
    spec = yaml.safe_load(case.read_text())
    module = registry()[spec["policy"]]
    options = parse_options(module.Options, spec.get("options") or {})
    rendered = rendered_target(spec.get("manifest") or spec["template"], spec["template"],
                               spec.get("values"))
    findings = schema_check(module, rendered, options)
    assert as_rows(findings) == expected_rows(spec["expect"])
    for finding in findings:
        assert finding.policy == module.ID
        assert finding.target == "prod/web" and finding.environment == "prod"
        assert finding.remediation


def test_unknown_field_remediation_names_kubectl_explain() -> None:
    case = yaml.safe_load((FIXTURES / "schema-cases" / "misspelled-field.yaml").read_text())
    [finding] = schema_check(k8s_schema, rendered_target(case["template"], case["template"]),
                             k8s_schema.Options())
    assert finding.remediation == (
        "Remove the field or fix its spelling; the fields spec.template.spec.containers[0] "
        "accepts are listed by: kubectl explain deployment.spec.template.spec.containers")


def test_kubernetes_version_comes_from_the_option_then_the_cluster() -> None:
    """The schemas are the cluster's (the configuration's kubernetesVersion), or the
    option's: a target's kubeVersion (an Application's ``helm.kubeVersion``) is what helm
    templates for, not what the API server serves."""
    doc = ("apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema\nmetadata:\n"
           "  name: f\nspec:\n  priorityLevelConfiguration: {name: p}\n")
    # flowcontrol v1 exists from Kubernetes 1.29 on
    target = rendered_target(doc, doc)
    assert [f.message for f in schema_check(unknown_kind, target, unknown_kind.Options(),
                                            "1.28.4")] == [
        "FlowSchema/f: Kubernetes 1.28.0 does not serve kind FlowSchema in "
        "flowcontrol.apiserver.k8s.io/v1, so the API server refuses it; it serves "
        "flowcontrol.apiserver.k8s.io/v1beta2, flowcontrol.apiserver.k8s.io/v1beta3"]
    assert schema_check(unknown_kind, target, unknown_kind.Options(kubernetes_version="v1.30.2"),
                        "1.28.4") == []
    assert schema_check(unknown_kind, target, unknown_kind.Options()) == []
    templated_old = rendered_target(doc, doc, kube_version="1.28.4")
    assert schema_check(unknown_kind, templated_old, unknown_kind.Options(), "1.31.0") == []


@pytest.mark.parametrize(("api_version", "kind", "served"), [
    ("extensions/v1beta1", "Ingress", "networking.k8s.io/v1"),
    ("apps/v1beta2", "Deployment", "apps/v1"),
    ("batch/v1beta1", "CronJob", "batch/v1"),
    ("example.com/v1", "Ingress", None),  # a custom resource: no schema, not a removed API
])
def test_a_built_in_kind_in_an_api_version_not_served_names_the_served_one(
        api_version: str, kind: str, served: str | None) -> None:
    doc = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: x\n"
    [finding] = schema_check(unknown_kind, rendered_target(doc, doc), unknown_kind.Options())
    if served is None:
        assert "is not schema-validated" in finding.message
        assert finding.remediation == unknown_kind.REMEDIATION
    else:
        assert finding.message == (
            f"{kind}/x: Kubernetes 1.31.0 does not serve kind {kind} in {api_version}, so the "
            f"API server refuses it; it serves {served}")
        assert finding.remediation.startswith(f"Change apiVersion to {served},")


def test_a_kind_kubernetes_removed_with_no_successor_says_so() -> None:
    """PodSecurityPolicy was removed in 1.25 with no kind in its place: no CRD to add (the
    generic fix), the API server refuses it."""
    doc = ("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: x\n"
           "spec:\n  seLinux: {rule: RunAsAny}\n")
    [finding] = schema_check(unknown_kind, rendered_target(doc, doc), unknown_kind.Options())
    assert finding.message == (
        "PodSecurityPolicy/x: Kubernetes removed kind PodSecurityPolicy (policy/v1beta1) in "
        "1.25, with nothing in its place: the API server of 1.31.0 refuses it")
    assert finding.remediation.startswith("Remove the PodSecurityPolicy")


@pytest.mark.parametrize("requested, message", [
    ("1.12.0", "kubernetesVersion 1.12.0 has no bundled Kubernetes schemas"),
    ("99.1.0", "kubernetesVersion 99.1.0 has no bundled Kubernetes schemas"),
    ("latest", "kubernetesVersion 'latest' is not a version like 1.31.0"),
])
def test_unsupported_kubernetes_version_is_a_clear_error(requested: str, message: str) -> None:
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    with pytest.raises(PlatecheckError, match=message):
        schema_check(k8s_schema, rendered_target(doc, doc),
                     k8s_schema.Options(kubernetes_version=requested))


def test_kubernetes_validate_missing_is_named_as_the_cause(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a Python environment without kubernetes-validate (platecheck installed without
    its dependencies): the error says that, not that the version has no schemas."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None
                        if name == "kubernetes_validate" else find_spec(name, *rest))
    cached = (schemas._bundle_root, schemas.bundled_versions, schemas.resolve_version)
    for function in cached:
        function.cache_clear()
    try:
        with pytest.raises(PlatecheckError, match="kubernetes-validate.* is not installed"):
            schemas.resolve_version("1.31.0")
    finally:
        for function in cached:
            function.cache_clear()


def test_nearest_older_minor_is_used() -> None:
    newest = schemas.bundled_versions()[-1]
    assert schemas.resolve_version("1.31.7") == "1.31.0"
    assert schemas.resolve_version(f"v{newest.major}.{newest.minor}.9") == str(newest)


def test_validators_are_built_once_per_version_and_kind() -> None:
    schemas.kubernetes_validator.cache_clear()
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    manifest = "\n---\n".join([doc] * 20)
    schema_check(k8s_schema, rendered_target(manifest, doc), k8s_schema.Options())
    info = schemas.kubernetes_validator.cache_info()
    assert info.misses == 1


def test_timestamps_and_numeric_keys_are_validated_as_kubectl_sends_them() -> None:
    doc = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
           "  annotations: {released: 2024-01-01}\ndata:\n  1: one\n")
    assert schema_check(k8s_schema, rendered_target(doc, doc), k8s_schema.Options()) == []


def test_document_without_kind_is_a_finding() -> None:
    doc = "apiVersion: v1\nmetadata: {name: c}\n"
    [finding] = schema_check(k8s_schema, rendered_target(doc, doc), k8s_schema.Options())
    assert (finding.file, finding.line, finding.message) == (
        TEMPLATE, None, "<no kind>/c: kind is missing")


# -- chart-metadata -----------------------------------------------------------------------------

HELM3_OUTPUT = """\
==> Linting helm/web
[INFO] Chart.yaml: icon is recommended
[WARNING] templates/cm.yaml: object name does not conform to Kubernetes naming requirements
[ERROR] templates/: template: web/templates/svc.yaml:7:22: executing "web/templates/svc.yaml" \
at <.Values.port.number>: nil pointer evaluating interface {}.number

Error: 1 chart(s) linted, 1 chart(s) failed
"""

HELM4_OUTPUT = """\
==> Linting helm/web
[INFO] Chart.yaml: icon is recommended
[ERROR] templates/: web/templates/svc.yaml:7:22
  executing "web/templates/svc.yaml" at <.Values.port.number>:
    nil pointer evaluating interface {}.number

Error: 1 chart(s) linted, 1 chart(s) failed
"""


def lint_repo(*lints: HelmLint, charts: Sequence[Chart] = ()) -> RepoModel:
    targets = tuple(RenderTarget(id=f"prod/{c.name}", environment="prod", app=c.name,
                                 application=None, chart=c, release_name=c.name,
                                 namespace="default", value_files=()) for c in charts)
    return RepoModel(root=REPO, applications=(), app_of_apps=(), charts=tuple(charts),
                     targets=targets, rendered=(), yaml_files=(), helm_lint=lints)


def metadata_findings(repo: RepoModel, **options: Any) -> list[tuple[str | None, int | None,
                                                                      str]]:
    opts = PolicyOptions(default=parse_options(NoOptions, options))
    return [(f.file, f.line, f.message) for f in chart_metadata.check(repo, opts)]


def warning_findings(repo: RepoModel, **options: Any) -> list[tuple[str | None, int | None,
                                                                     str]]:
    opts = PolicyOptions(default=parse_options(chart_lint_warning.Options, options))
    return [(f.file, f.line, f.message) for f in chart_lint_warning.check(repo, opts)]


def test_helm3_lint_errors_and_warnings_go_to_their_policies() -> None:
    lint = HelmLint(chart=chart(), environment="prod", value_files=(VALUES,), exit_code=1,
                    output=HELM3_OUTPUT)
    assert metadata_findings(lint_repo(lint)) == [
        ("helm/web/templates/svc.yaml", 7, 'helm lint error: template: web/templates/svc.yaml'
         ':7:22: executing "web/templates/svc.yaml" at <.Values.port.number>: nil pointer '
         "evaluating interface {}.number"),
    ]
    assert warning_findings(lint_repo(lint)) == [
        ("helm/web/templates/cm.yaml", None, "helm lint warning: object name does not conform "
         "to Kubernetes naming requirements")]
    assert warning_findings(lint_repo(lint), includeInfo=True)[0] == (
        "helm/web/Chart.yaml", None, "helm lint info: icon is recommended")


def test_helm4_multiline_lint_errors_are_joined() -> None:
    lint = HelmLint(chart=chart(), environment="prod", value_files=(), exit_code=1,
                    output=HELM4_OUTPUT)
    assert metadata_findings(lint_repo(lint)) == [
        ("helm/web/templates/svc.yaml", 7, 'helm lint error: web/templates/svc.yaml:7:22 '
         'executing "web/templates/svc.yaml" at <.Values.port.number>: nil pointer '
         "evaluating interface {}.number")]


def test_lint_message_of_one_environment_names_it() -> None:
    ok = HelmLint(chart=chart(), environment="stg", value_files=(), exit_code=0,
                  output="==> Linting helm/web\n[INFO] Chart.yaml: icon is recommended\n")
    bad = HelmLint(chart=chart(), environment="prod", value_files=(VALUES,), exit_code=1,
                   output=HELM3_OUTPUT)
    findings = list(chart_metadata.check(lint_repo(ok, bad),
                                         PolicyOptions(default=NoOptions())))
    assert [(f.environment, f.message[:40]) for f in findings] == [
        ("prod", "helm lint error (with prod values): temp")]
    assert findings[0].remediation == ("Fix what helm lint reports; reproduce with: helm lint "
                                       f"--strict helm/web -f {VALUES}")


def test_lint_naming_the_chart_directory_points_at_chart_yaml() -> None:
    # helm names the chart by the path it was given, which the runner makes relative
    lint = HelmLint(chart=chart(), environment="prod", value_files=(), exit_code=1,
                    output="[ERROR] helm/web: chart metadata is missing these dependencies: x")
    assert metadata_findings(lint_repo(lint)) == [
        ("helm/web/Chart.yaml", None, "helm lint error: chart metadata is missing these "
         "dependencies: x")]


def test_missing_dependencies_are_named_in_one_order_whatever_helms_map_gives() -> None:
    """helm joins the names in the order Go's map of the loaded subcharts gives them, which
    changes from run to run (validateDependencyInMetadata): one finding, every run."""
    found = []
    for names in ("redis,pg,elastic", "elastic,redis,pg"):
        lint = HelmLint(chart=chart(), environment="prod", value_files=(), exit_code=1,
                        output=f"[ERROR] helm/web: chart metadata is missing these "
                               f"dependencies: {names}")
        found.append(metadata_findings(lint_repo(lint)))
    assert found[0] == found[1] == [
        ("helm/web/Chart.yaml", None, "helm lint error: chart metadata is missing these "
         "dependencies: elastic,pg,redis")]


def test_failed_lint_without_messages_is_still_a_finding() -> None:
    lint = HelmLint(chart=chart(), environment="prod", value_files=(), exit_code=1,
                    output="Error: unknown flag: --strictt")
    assert metadata_findings(lint_repo(lint)) == [
        ("helm/web/Chart.yaml", None, "helm lint error: helm lint failed: Error: unknown flag: "
         "--strictt")]
    assert warning_findings(lint_repo(lint)) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"api_version": "v3"}, "chart web: apiVersion is 'v3': helm lint accepts only v1 and v2 "
                            "(helm template renders the chart all the same)"),
    ({"api_version": ""}, "chart web: apiVersion is missing: helm lint accepts only v1 and v2 "
                          "(helm template renders the chart all the same)"),
    ({"version": "1.2.3.4"}, "chart web: version is '1.2.3.4': Helm refuses to load a chart "
                             "whose version it cannot parse"),
    ({"version": ""}, "chart web: version is missing: Helm refuses to load a chart whose "
                      "version it cannot parse"),
    ({"version": 1.0}, "chart web: version 1.0 is a YAML number, not a string: helm lint "
                       "rejects it"),
])
def test_chart_metadata_failures(kwargs: dict[str, Any], message: str) -> None:
    assert metadata_findings(lint_repo(charts=[chart(**kwargs)])) == [
        ("helm/web/Chart.yaml", 1, message)]


@pytest.mark.parametrize("kwargs", [
    {"version": "0.1.0"}, {"version": "1.2.3-rc.1"}, {"version": "2.0.0+build.5"},
    {"version": "v1.2.3"}, {"version": "1.2"}, {"version": "01.2.3"},
    {"api_version": "v1"}, {"name": "website"},
])
def test_chart_metadata_passes_what_helm_accepts(kwargs: dict[str, Any]) -> None:
    assert metadata_findings(lint_repo(charts=[chart(**kwargs)])) == []


def test_charts_no_target_deploys_are_not_judged() -> None:
    repo = lint_repo(charts=[chart(api_version="v3")])
    repo = RepoModel(root=repo.root, applications=(), app_of_apps=(), charts=repo.charts,
                     targets=(), rendered=(), yaml_files=())
    assert metadata_findings(repo) == []


# -- end to end: the real helm on fixtures/beyond/repo ---------------------------------------

E2E = FIXTURES / "repo"
OURS = ("k8s-schema", "unknown-kind", "argocd-application", "chart-metadata",
        "chart-lint-warning", "yaml-hygiene",
        "waiver-expired", "waiver-stale")
APPS = "environments/argocd/apps"
WAIVERS = "policies/waivers.yaml"
UNKNOWN = ("Gadget/web-{0}: kind Gadget (example.com/v1) is not schema-validated: no "
           "Kubernetes 1.31.0 schema and no gadget-example.com-v1.json")
TYPO = "Deployment/web-{0}: spec.template.spec.containers[0].imagePullPolicyy: unknown field"
E2E_EXPECTED = [
    # (policy, level, environment, target, file, line, message, waived)
    ("argocd-application", "error", "prod", None, f"{APPS}/api-prod.yaml", 7,
     "Application api-prod: sync wave 0 does not come after wave 1 of web-stg, which "
     "syncWaveOrder puts earlier", None),
    # (the value file and source path that leave the repository are could-not-check errors,
    # which own those lines: argocd-application stays silent there)
    ("argocd-application", "error", "prod", "prod/redis", f"{APPS}/redis-prod.yaml", 13,
     "Application redis-prod: remote chart 'redis' targetRevision '*' is not a pinned version",
     None),
    ("argocd-application", "error", "prod", "prod/redis", f"{APPS}/redis-prod.yaml", 17,
     "Application redis-prod: sync policy has no retry", None),
    ("argocd-application", "error", "stg", "stg/lost", "environments/orphans/lost-stg.yaml", 4,
     "Application lost-stg: is not reachable from an app-of-apps (roots: "
     "environments/argocd/root.yaml); unless something else applies it, Argo CD never "
     "deploys it", None),
    ("argocd-application", "error", "stg", "stg/lost", "environments/orphans/lost-stg.yaml", 14,
     "Application lost-stg: destination namespace 'lost-prod' does not match environment stg "
     "(*-stg, stg)", None),
    ("k8s-schema", "error", "prod", "prod/web", "helm/web/templates/deployment.yaml", 20,
     TYPO.format("prod"), None),
    ("k8s-schema", "error", "stg", "stg/web", "helm/web/templates/deployment.yaml", 20,
     TYPO.format("stg"), "staging tries the new pull policy field name first"),
    ("unknown-kind", "error", "prod", "prod/web", "helm/web/templates/gadget.yaml", 2,
     UNKNOWN.format("prod"), None),
    ("unknown-kind", "error", "stg", "stg/web", "helm/web/templates/gadget.yaml", 2,
     UNKNOWN.format("stg"), None),
    ("yaml-hygiene", "error", None, None, "helm/web/values-stg.yaml", 2,
     'unquoted "yes" is the boolean true to Helm (YAML 1.1) but the string "yes" to YAML 1.2 '
     "readers", None),
    ("yaml-hygiene", "error", None, None, "helm/web/values.yaml", 5,
     'duplicate key "image" (first at line 1): Helm keeps only the last value', None),
    ("waiver-expired", "error", None, None, WAIVERS, 6,
     "waiver for unknown-kind (resource=Gadget/*) expired on 2020-01-31: the gadget CRD "
     "schema is on its way", None),
    # (with a target: this run could not check api-prod and escape-prod, so a waiver
    # selecting every target cannot be called stale)
    ("waiver-stale", "warning", None, None, WAIVERS, 10,
     "waiver for chart-metadata (target=prod/web, resource=Chart/nothing) matched no finding",
     None),
]


@pytest.fixture(scope="module")
def e2e_report(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    from platecheck.engine import lint

    return lint(E2E, cache_dir=tmp_path_factory.mktemp("beyond-cache"))


def test_end_to_end_findings(e2e_report: Report) -> None:
    ours = sorted(((f.policy, f.level.value, f.environment, f.target, f.file, f.line,
                    f.message, f.waived) for f in e2e_report.findings if f.policy in OURS),
                  key=repr)
    assert ours == sorted(E2E_EXPECTED, key=repr)
    assert all(f.remediation for f in e2e_report.findings)


def test_end_to_end_could_not_check_is_still_reported(e2e_report: Report) -> None:
    # the engine cannot render what escapes the repository: exit 2, besides the findings
    assert [(e.file, e.line) for e in e2e_report.errors] == [
        (f"{APPS}/api-prod.yaml", 15), (f"{APPS}/escape-prod.yaml", 13)]
    # each takes the remediation of the argocd-application finding it replaces
    assert [e.remediation.split(" ", 2)[:2] for e in e2e_report.errors] == [
        ["Name", "a"], ["Point", "source.path"]]
    assert e2e_report.exit_code == 2


def test_end_to_end_environment_filter_keeps_waivers_for_other_targets(
        helm_bin: Path, tmp_path: Path) -> None:
    from platecheck.engine import lint

    report = lint(E2E, environments=["prod"], cache_dir=tmp_path)
    # (env-consistency's findings of its pairs with prod are at either side)
    assert {f.environment for f in report.findings
            if f.policy != "env-consistency"} <= {"prod", None}
    # the stg waiver matched nothing in a prod-only run, but it is not stale; the one for
    # prod/web is
    assert [f.line for f in report.findings if f.policy == "waiver-stale"] == [10]


def test_shipped_crd_schemas_are_the_repository_copies_and_valid() -> None:
    import json

    import jsonschema  # type: ignore[import-untyped]

    shipped = sorted(schemas.packaged_schema_dir().glob("*.json"))
    repo_copy = Path(__file__).parent.parent / "policies" / "schemas"
    assert [p.name for p in shipped] == [
        "application-argoproj.io-v1alpha1.json", "applicationset-argoproj.io-v1alpha1.json",
        "appproject-argoproj.io-v1alpha1.json", "certificate-cert-manager.io-v1.json",
        "clusterissuer-cert-manager.io-v1.json", "ipaddresspool-metallb.io-v1beta1.json",
        "issuer-cert-manager.io-v1.json", "l2advertisement-metallb.io-v1beta1.json"]
    for path in shipped:
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert (repo_copy / path.name).read_text() == path.read_text()
        kind = schema["properties"]["kind"]["const"]
        assert schemas.schema_file_name(kind, schema["properties"]["apiVersion"]["const"]) \
            == path.name


# -- argocd-application on Applications written inline ---------------------------------------

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
{source}
  destination:
    server: https://kubernetes.default.svc
    namespace: {name}
{extra}"""

GIT_SOURCE = """\
  source:
    repoURL: https://git.example.com/repo.git
    path: charts/web
    helm:
      valueFiles: [values.yaml]"""


def application_findings(tmp_path: Path, *apps: tuple[str, str, str],
                         **options: Any) -> list[tuple[str, int | None, str]]:
    from platecheck.discover import Discovery, parse_application
    from platecheck.plan import Planner
    from platecheck.policies import configuration
    from platecheck.yamlio import load_document

    (tmp_path / "charts" / "web").mkdir(parents=True, exist_ok=True)
    (tmp_path / "charts" / "web" / "values.yaml").write_text("a: 1\n")
    planner = Planner(configuration(tmp_path), Discovery(tmp_path))
    parsed = []
    for index, (name, source, extra) in enumerate(apps):
        rel = f"apps/{index}-{name}.yaml"
        text = APP.format(name=name, source=source, extra=extra)
        # as planning records them: the policy reports what the model holds
        parsed.append(planner.checked(parse_application(load_document(text, rel), rel)))
    model = RepoModel(root=tmp_path, applications=tuple(parsed), app_of_apps=(), charts=(),
                      targets=(), rendered=(), yaml_files=())
    from platecheck.policies import argocd_application

    opts = PolicyOptions(default=parse_options(argocd_application.Options, options))
    return [(f.file, f.line, f.message) for f in argocd_application.check(model, opts)]


@pytest.mark.parametrize("revision, pinned", [
    ("1.2.3", True), ("v1.16.2", True), ("1.2.3-rc.1", True), ("0.14.9+build.1", True),
    ("", False), ("*", False), ("latest", False), ("^1.2.0", False), ("~1.2.0", False),
    (">=1.0.0", False), ("1.x", False), ("1.2", False), ("1.2.*", False),
    (">=1.0.0 <2.0.0", False),
])
def test_remote_chart_must_be_pinned(tmp_path: Path, revision: str, pinned: bool) -> None:
    source = ("  source:\n    repoURL: https://charts.example.com\n    chart: redis\n"
              f"    targetRevision: {revision!r}")
    findings = application_findings(tmp_path, ("redis", source, ""))
    if pinned:
        assert findings == []
    elif revision:
        assert findings == [("apps/0-redis.yaml", 11, f"Application redis: remote chart "
                             f"'redis' targetRevision {revision!r} is not a pinned version")]
    else:
        assert findings == [("apps/0-redis.yaml", 8, "Application redis: remote chart 'redis' "
                             "has no targetRevision: Argo CD refuses the Application, which "
                             "requires one for a chart")]


@pytest.mark.parametrize(("source", "expected"), [
    ("  source:\n    repoURL: https://git.example.com/repo.git\n    targetRevision: HEAD",
     (8, "neither a path nor a chart")),
    ("  source:\n    repoURL: https://git.example.com/repo.git\n    path: ''",
     (8, "neither a path nor a chart")),
    ("  sources:\n    - repoURL: https://git.example.com/repo.git\n      path: charts/web\n"
     "    - repoURL: https://git.example.com/other.git\n      targetRevision: HEAD",
     (11, "no path, chart or ref")),
    ("  sources:\n    - repoURL: https://git.example.com/repo.git\n      path: charts/web\n"
     "    - repoURL: https://git.example.com/repo.git\n      ref: values", None),
])
def test_a_source_with_no_path_or_chart_is_refused(tmp_path: Path, source: str,
                                                   expected: tuple[int, str] | None) -> None:
    """Argo CD refuses an Application whose source has no path and no chart (an empty path
    is none; in spec.sources a ref alone is a source for the others' value files): one
    finding at that source."""
    refused = [f for f in application_findings(tmp_path, ("web", source, ""))
               if "Argo CD refuses" in f[2]]
    assert refused == ([] if expected is None else [
        ("apps/0-web.yaml", expected[0], f"Application web: source has {expected[1]}: Argo "
         "CD refuses the Application and deploys nothing of it")])


def test_application_schema_and_unique_names(tmp_path: Path) -> None:
    typo = "  syncPolicy:\n    automated: {selfheal: true}\n"
    findings = application_findings(tmp_path, ("web", GIT_SOURCE, ""), ("web", GIT_SOURCE, typo))
    assert findings == [
        ("apps/1-web.yaml", 17, "Application web: spec.syncPolicy.automated.selfheal: "
                                "unknown field"),
        ("apps/1-web.yaml", 4, "Application web: name is also used by apps/0-web.yaml:4"),
    ]


def test_what_argo_cd_accepts_of_an_application(tmp_path: Path) -> None:
    """``sources: []`` beside ``source`` is a single-source Application (the CRD sets no
    minItems), and ``automated: null`` is pruned by the API server: no findings. A null
    project is pruned too, which leaves the required field missing."""
    accepted = "  sources: []\n  syncPolicy:\n    automated: null\n"
    assert application_findings(tmp_path, ("web", GIT_SOURCE, accepted)) == []
    from platecheck import schema_problems, schemas
    from platecheck.yamlio import load_document

    found = schemas.find_custom_schema("Application", "argoproj.io/v1alpha1",
                                       (schemas.packaged_schema_dir(),))
    assert found is not None
    text = APP.format(name="web", source=GIT_SOURCE, extra=accepted)
    app = load_document(text.replace("project: default", "project: null"), "a.yaml").data
    assert [p.text for p in schema_problems.problems(found.validator, app)] == [
        "spec: required field 'project' is missing"]


def test_application_schema_from_configured_schema_dirs(tmp_path: Path) -> None:
    """argocd-application validates against the Application schema in k8s-schema's
    ``schemaDirs``, not a fixed directory."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "platecheck.yaml").write_text(
        "policies:\n  k8s-schema:\n    options:\n      schemaDirs: [own-schemas]\n")
    (tmp_path / "own-schemas").mkdir()
    (tmp_path / "own-schemas" / "application-argoproj.io-v1alpha1.json").write_text(
        '{"type": "object", "properties": {"spec": {"type": "object", "properties": '
        '{"project": {"enum": ["platform"]}}}}}')
    [(file, line, message)] = application_findings(tmp_path, ("web", GIT_SOURCE, ""))
    assert (file, line) == ("apps/0-web.yaml", 7)  # the project line
    assert message.startswith("Application web: spec.project: ")


def test_value_files_missing_ref_and_ignore_missing(tmp_path: Path) -> None:
    multi = """\
  sources:
    - repoURL: https://git.example.com/repo.git
      path: charts/web
      helm:
        valueFiles: [$values/env/prod.yaml, $other/x.yaml, missing.yaml]
    - repoURL: https://git.example.com/repo.git
      ref: values"""
    tolerant = GIT_SOURCE.replace("[values.yaml]", "[nope.yaml]\n      "
                                                   "ignoreMissingValueFiles: true")
    assert application_findings(tmp_path, ("multi", multi, ""), ("ok", tolerant, "")) == [
        ("apps/0-multi.yaml", 12, "Application multi: value file '$values/env/prod.yaml' does "
                                  "not exist"),
        ("apps/0-multi.yaml", 12, "Application multi: source referenced '$other', which is "
                                  "not one of the available sources ($values)"),
        ("apps/0-multi.yaml", 12, "Application multi: value file 'missing.yaml' does not "
                                  "exist"),
    ]


@pytest.mark.parametrize(("sources", "expected"), [
    # a ``sources`` list of one item is read as spec.sources (HasMultipleSources)
    ("    - repoURL: https://git.example.com/repo.git\n      path: charts/web\n      helm:\n"
     "        valueFiles: [$values/env.yaml]",
     "source referenced '$values', but no source has a 'ref' field defined"),
    ("    - repoURL: https://git.example.com/repo.git\n      ref: values", None),
    # a remote chart's references are Argo CD's to follow before it pulls the chart
    ("    - repoURL: https://charts.example.com\n      chart: web\n      targetRevision: 1.0.0\n"
     "      helm:\n        valueFiles: [$vals/values.yaml]\n"
     "    - repoURL: https://git.example.com/repo.git\n      ref: values",
     "source referenced '$vals', which is not one of the available sources ($values)"),
    ("    - repoURL: https://charts.example.com\n      chart: web\n      targetRevision: 1.0.0\n"
     "      helm:\n        valueFiles: [$values/values.yaml]\n"
     "    - repoURL: https://charts.example.com\n      chart: other\n"
     "      targetRevision: 1.0.0\n      ref: values",
     "source '$values' has a 'chart' field defined, but Helm charts are not supported for "
     "'ref' sources"),
    ("    - repoURL: https://charts.example.com\n      chart: web\n      targetRevision: 1.0.0\n"
     "      helm:\n        valueFiles: [$a/charts/web/values.yaml, $b/charts/web/values.yaml]\n"
     "    - {repoURL: https://git.example.com/repo.git, targetRevision: main, ref: a}\n"
     "    - {repoURL: https://git.example.com/repo.git, targetRevision: v1, ref: b}",
     "cannot reference multiple revisions for the same repository ($b references 'v1' while "
     "$a references 'main')"),
    # one checkout per git.NormalizeGitURL key, which keeps a trailing / and the scheme
    ("    - repoURL: https://charts.example.com\n      chart: web\n      targetRevision: 1.0.0\n"
     "      helm:\n        valueFiles: [$a/charts/web/values.yaml, $b/charts/web/values.yaml]\n"
     "    - {repoURL: https://git.example.com/repo, targetRevision: main, ref: a}\n"
     "    - {repoURL: https://git.example.com/repo/, targetRevision: v1, ref: b}", None),
    ("    - repoURL: https://charts.example.com\n      chart: web\n      targetRevision: 1.0.0\n"
     "      helm:\n        valueFiles: [$a/charts/web/values.yaml, $b/charts/web/values.yaml]\n"
     "    - {repoURL: https://git.example.com/repo.git, targetRevision: main, ref: a}\n"
     "    - {repoURL: 'git@git.example.com:repo.git', targetRevision: v1, ref: b}", None),
])
def test_references_argo_cd_cannot_follow_are_reported_whatever_the_source(
        tmp_path: Path, sources: str, expected: str | None) -> None:
    """Argo CD checks every ``$ref`` of a source of spec.sources before it renders or pulls
    anything (``resolveReferencedSources``): a reference to no ref, to a chart's, or to a
    second revision of one repository fails the Application, whichever repository the
    source is of; a ``sources`` list of one item is spec.sources too."""
    findings = [message for _, _, message in application_findings(
        tmp_path, ("web", "  sources:\n" + sources, ""))]
    assert findings == ([] if expected is None else [f"Application web: {expected}"])


def test_a_file_parameter_ref_to_a_second_revision_is_refused(tmp_path: Path) -> None:
    """Argo CD checks the refs of ``helm.fileParameters`` paths with those of the value files
    (repository.go ``refCandidates``): a second revision of one repository named only there
    fails the Application, reported at that entry."""
    (tmp_path / "charts" / "web").mkdir(parents=True)
    (tmp_path / "charts" / "web" / "f.txt").write_text("x\n")
    sources = ("  sources:\n    - repoURL: https://charts.example.com\n      chart: web\n"
               "      targetRevision: 1.0.0\n      helm:\n"
               "        valueFiles: [$a/charts/web/values.yaml]\n        fileParameters:\n"
               "          - {name: g, path: $a/charts/web/f.txt}\n"
               "          - {name: f, path: $b/charts/web/f.txt}\n"
               "    - {repoURL: https://git.example.com/repo.git, targetRevision: v1, ref: a}\n"
               "    - {repoURL: https://git.example.com/repo.git, targetRevision: v2, ref: b}")
    assert application_findings(tmp_path, ("web", sources, "")) == [
        ("apps/0-web.yaml", 16, "Application web: cannot reference multiple revisions for the "
                                "same repository ($b references 'v2' while $a references 'v1')")]


def test_symlink_out_of_the_repository(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    repo = tmp_path / "repo"
    (repo / "charts").mkdir(parents=True)
    (repo / "charts" / "linked").symlink_to(outside, target_is_directory=True)
    source = GIT_SOURCE.replace("charts/web", "charts/linked").replace(
        "\n    helm:\n      valueFiles: [values.yaml]", "")
    assert application_findings(repo, ("linked", source, "")) == [
        ("apps/0-linked.yaml", 10, "Application linked: source path 'charts/linked' resolves "
                                   "outside the repository (symlink)")]


@pytest.mark.parametrize("retry, limit, message", [
    ("retry: {limit: 2}", 3, "retry limit 2 is not at least 3"),
    ("retry: {limit: 6}", {"min": 5, "max": 5}, "retry limit 6 is not 5"),
    ("retry: {limit: -1}", 3, None),
    ("retry: {limit: -1}", {"min": 1, "max": 10}, "retry limit -1 is not at least 1 and at "
                                                  "most 10"),
    ("retry: {}", 3, "retry limit is missing, expected at least 3"),
    ("automated: {}", 3, "sync policy has no retry"),
])
def test_retry_limit(tmp_path: Path, retry: str, limit: Any, message: str | None) -> None:
    extra = f"  syncPolicy:\n    {retry}\n"
    findings = application_findings(tmp_path, ("web", GIT_SOURCE, extra), retryLimit=limit)
    assert [m.split(": ", 1)[1] for _, _, m in findings] == ([message] if message else [])


def test_invalid_retry_limit_option_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(PlatecheckError, match="option retryLimit of policy 'argocd-application' "
                                              "must be an integer or {min: N, max: M}"):
        application_findings(tmp_path, ("web", GIT_SOURCE, ""), retryLimit="3")


def test_default_kubernetes_version_is_one_the_package_bundles() -> None:
    default = Version(schemas.default_kubernetes_version())
    bundled = schemas.bundled_versions()
    assert (default.major, default.minor) in {(v.major, v.minor) for v in bundled}
    assert schemas.resolve_version(str(default))  # usable as it is


def test_an_unbundled_version_names_the_bundled_ones() -> None:
    with pytest.raises(PlatecheckError) as caught:
        schemas.resolve_version("99.1.0")
    for version in schemas.bundled_versions():
        assert f"{version.major}.{version.minor}" in caught.value.message


@pytest.mark.parametrize(("annotations", "expected"), [
    ({}, (0, None)),
    ({"argocd.argoproj.io/sync-wave": "5"}, (5, None)),
    ({"argocd.argoproj.io/sync-wave": "-2"}, (-2, None)),
    ({"argocd.argoproj.io/sync-wave": "+3"}, (3, None)),
    # strconv.Atoi reads no spaces, underscores or other digits: the hook weight, else 0
    ({"argocd.argoproj.io/sync-wave": " 5"}, (0, " 5")),
    ({"argocd.argoproj.io/sync-wave": "1_0", "helm.sh/hook-weight": "4"}, (4, "1_0")),
    ({"argocd.argoproj.io/sync-wave": "\u0663"}, (0, "\u0663")),
    ({"helm.sh/hook-weight": "5"}, (5, None)),
    ({"helm.sh/hook-weight": "five"}, (0, None)),
])
def test_the_sync_wave_is_read_as_argo_cd_reads_it(annotations: dict[str, str],
                                                    expected: tuple[int, str | None]) -> None:
    """gitops-engine's syncwaves.Wave: the sync-wave annotation through strconv.Atoi, else
    helm.sh/hook-weight alike, else 0 (and the annotation that did not read)."""
    from platecheck.policies.argocd_application import _wave

    assert _wave(annotations) == expected


@pytest.mark.parametrize(("spec", "problem"), [
    ("  selfSigned: {}\n", None),
    ("  selfSigned: {}\n  bogus: 1\n", "spec"),
])
def test_a_cert_manager_issuer_is_validated_against_its_shipped_schema(
        tmp_path: Path, spec: str, problem: str | None) -> None:
    """A namespaced cert-manager Issuer (the kind the ``cert-manager.io/issuer`` annotation
    names) is validated as a ClusterIssuer is, not reported as a kind of no schema."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/certs.yaml": application("certs-prod", "certs", "certs-prod"),
        "certs/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n"
                             "  name: selfsigned\n  namespace: certs-prod\nspec:\n" + spec})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    found = [(f.policy, f.location) for f in report.findings
             if f.policy in ("unknown-kind", "k8s-schema")]
    # (one issuer of the spec's, and no field it does not know)
    assert found == ([] if problem is None else [("k8s-schema", "certs/issuer.yaml:6"),
                                                 ("k8s-schema", "certs/issuer.yaml:8")])
