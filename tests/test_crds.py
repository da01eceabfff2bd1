"""Custom resources validated against the CustomResourceDefinitions in the repository and
against schema directories in kubeconform's catalog layout (real helm renders)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from platecheck import crd_structural, crds, engine, schema_problems
from platecheck.cli import main
from platecheck.model import Finding
from platecheck.schema_validators import crd_validator
from synthetic import CACHE_CRD, application, repository

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "crds"
VENDORED = FIXTURES / "vendored"
ES_CRD = "vendor/external-secrets/crds/externalsecret.yaml"
TYPO = ("ExternalSecret/web-prod-db: spec.data[0].remoteRef.versoin: unknown field")


def _schema_findings(root: Path) -> list[Finding]:
    report = engine.lint(root / "apps")
    assert not report.errors, report.errors
    return [f for f in report.findings if f.policy in ("k8s-schema", "unknown-kind")]


@pytest.fixture
def repo(tmp_path: Path, helm_bin: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(VENDORED, copy)
    return copy


def test_a_vendored_crd_validates_its_custom_resources(helm_bin: Path) -> None:
    [finding] = _schema_findings(VENDORED)
    assert (finding.policy, finding.file, finding.line, finding.message) == (
        "k8s-schema", "charts/web/templates/externalsecret.yaml", 22, TYPO)
    assert finding.remediation.endswith(
        f"(schema: the CustomResourceDefinition in {ES_CRD}:1)")
    # the Rollout (int-or-string maxSurge "25%" and 1, a preserve-unknown-fields template) is
    # validated against the CRD another target renders, and passes


def test_a_crd_rendered_by_another_target_gives_the_schema(repo: Path) -> None:
    rollout = repo / "charts/web/templates/rollout.yaml"
    rollout.write_text(rollout.read_text().replace("replicas: 2", 'replicas: "2"'))
    findings = _schema_findings(repo)
    assert [(f.file, f.line, f.message) for f in findings] == [
        ("charts/web/templates/externalsecret.yaml", 22, TYPO),
        ("charts/web/templates/rollout.yaml", 6,
         'Rollout/web-prod: spec.replicas: expected integer, got string "2"')]
    assert findings[1].remediation == (
        "Make the manifest match the schema from the CustomResourceDefinition in "
        "charts/rollout-crds/templates/rollout-crd.yaml (rendered by prod/rollout-crds): fix "
        "the field's spelling, type or value.")


def test_without_the_crd_the_kind_stays_a_finding(repo: Path) -> None:
    shutil.rmtree(repo / "vendor")
    [finding] = _schema_findings(repo)
    assert (finding.policy, finding.file, finding.line) == (
        "unknown-kind", "charts/web/templates/externalsecret.yaml", 2)
    assert finding.message.startswith("ExternalSecret/web-prod-db: kind ExternalSecret "
                                      "(external-secrets.io/v1beta1) is not schema-validated")


@pytest.mark.parametrize("layout", ["catalog", "flat"])
def test_a_schema_directory_in_either_layout(repo: Path, layout: str) -> None:
    shutil.rmtree(repo / "vendor")
    catalog = FIXTURES / "catalog"
    if layout == "catalog":  # kubeconform's CRDs-catalog: <group>/<kind>_<version>.json
        shutil.copytree(catalog, repo / "schemas")
        where = "schemas/external-secrets.io/externalsecret_v1beta1.json"
    else:
        (repo / "schemas").mkdir()
        where = "schemas/externalsecret-external-secrets.io-v1beta1.json"
        shutil.copy(catalog / "external-secrets.io" / "externalsecret_v1beta1.json", repo / where)
    options = {"schemaDirs": ["schemas"]}
    (repo / "policies/platecheck.yaml").write_text(yaml.safe_dump({
        "kubernetesVersion": "1.31.0",
        "policies": {"k8s-schema": {"options": options},
                     "unknown-kind": {"options": options}}}))
    [finding] = _schema_findings(repo)
    assert (finding.policy, finding.file, finding.line, finding.message) == (
        "k8s-schema", "charts/web/templates/externalsecret.yaml", 22, TYPO)
    assert finding.remediation.endswith(f"(schema: {where})")


def test_a_schema_url_is_a_configuration_error(repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "policies/platecheck.yaml").write_text(
        "policies:\n  k8s-schema:\n    options:\n      schemaDirs:\n"
        "        - https://raw.githubusercontent.com/datreeio/CRDs-catalog/main\n")
    assert main(["lint", str(repo / "apps")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("platecheck: error: ")
    assert "policies/platecheck.yaml:4: schemaDirs entry" in err
    assert "is a URL; platecheck reads schemas from local directories only" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unreadable_vendored_crd_is_could_not_check(repo: Path) -> None:
    (repo / ES_CRD).write_text("spec: [unclosed\n")
    report = engine.lint(repo / "apps")
    assert report.exit_code == 2
    assert [e.file for e in report.errors] == [ES_CRD]


def test_repository_crds_can_be_turned_off(repo: Path) -> None:
    (repo / "policies/platecheck.yaml").write_text(yaml.safe_dump({"policies": {
        "k8s-schema": {"options": {"repositoryCrds": False}},
        "unknown-kind": {"options": {"repositoryCrds": False}}}}))
    assert sorted(f.message.split(":")[0] for f in _schema_findings(repo)) == [
        "ExternalSecret/web-prod-db", "Rollout/web-prod"]


# -- openAPIV3Schema as a JSON schema -----------------------------------------------------


def _validate(schema: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    crd = crds.CrdSchema("example.com", "v1", "Widget", crds.to_json_schema(schema), "x")
    return [p.text for p in schema_problems.problems(crd_validator(crd), doc)]


SPEC = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
    "port": {"x-kubernetes-int-or-string": True,
             "anyOf": [{"type": "integer"}, {"type": "string"}]},
    "note": {"type": "string", "nullable": True},
    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    "inner": {"type": "object", "x-kubernetes-embedded-resource": True,
              "properties": {"spec": {"type": "object"}}},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
}}}}
BASE = {"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "labels": {"a": "b"}, "annotations": {"c": "d"}}}


def test_structural_schema_rules() -> None:
    good = {**BASE, "spec": {"port": 80, "note": None, "free": {"any": {"thing": 1}},
                             "inner": {"apiVersion": "v1", "kind": "Pod",
                                       "metadata": {"name": "p"}, "spec": {}},
                             "labels": {"x": "y"}}}
    assert _validate(SPEC, good) == []
    assert _validate(SPEC, {**BASE, "spec": {"port": "http"}}) == []
    assert _validate(SPEC, {**BASE, "spec": {"port": 1.5, "portt": 1, "labels": {"x": 1}}}) == [
        "spec.labels.x: expected string, got integer 1",
        "spec.port: expected integer or string, got number 1.5",
        "spec.portt: unknown field"]


def test_exclusive_bounds_are_openapi_booleans() -> None:
    """apiextensions.k8s.io/v1 writes exclusiveMaximum/exclusiveMinimum as booleans beside
    maximum/minimum (kubebuilder generates them): a valid CRD, its bounds exclusive."""
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "status": {"type": "integer", "minimum": 100, "maximum": 600,
                   "exclusiveMaximum": True, "exclusiveMinimum": False}}}}}
    assert _validate(schema, {**BASE, "spec": {"status": 100}}) == []
    assert _validate(schema, {**BASE, "spec": {"status": 599}}) == []
    [problem] = _validate(schema, {**BASE, "spec": {"status": 600}})
    assert problem.startswith("spec.status: ")
    assert len(_validate(schema, {**BASE, "spec": {"status": 99}})) == 1


def test_a_null_the_api_server_prunes_is_no_error() -> None:
    """A null where the schema has no nullable is pruned before validation (or replaced by
    the default), so it is an error only for a required field without a default."""
    schema = {"type": "object", "properties": {"spec": {
        "type": "object", "required": ["size", "mode"], "properties": {
            "size": {"type": "string"}, "mode": {"type": "string", "default": "a"},
            "opt": {"type": "object"}, "note": {"type": "string", "nullable": True},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "list": {"type": "array", "items": {"type": "string"}}}}}}
    assert _validate(schema, {**BASE, "spec": {"size": "s", "mode": None, "opt": None,
                                               "note": None, "labels": {"a": None}}}) == []
    assert _validate(schema, {**BASE, "spec": {"size": None, "labels": {"a": None, "b": 1},
                                               "list": ["a", None]}}) == [
        "spec: required field 'size' is missing",  # absent mode: given its default
        "spec.labels.b: expected string, got integer 1",
        "spec.list[1]: expected string, got null"]


def test_a_nullable_null_is_kept_and_fails_an_enum() -> None:
    """nullable: true keeps a null (no pruning), and kube-openapi's enum check matches no
    value with null, even a null it lists; without nullable the null is pruned."""
    schema = {"type": "object", "properties": {"spec": {
        "type": "object", "properties": {
            "level": {"type": "string", "nullable": True, "enum": ["debug", "info"]},
            "listed": {"type": "string", "nullable": True, "enum": [None, "debug"]},
            "pruned": {"type": "string", "enum": ["debug", "info"]},
            "free": {"type": "string", "nullable": True}}}}}
    assert _validate(schema, {**BASE, "spec": {"level": "info", "pruned": None,
                                               "free": None}}) == []
    assert _validate(schema, {**BASE, "spec": {"level": None, "listed": None}}) == [
        'spec.level: null is not one of "debug", "info"',
        'spec.listed: null is not one of "debug"']


def _directory_findings(tmp_path: Path, spec_schema: str, resources: str) -> list[tuple[
        str | None, int | None, str]]:
    """k8s-schema's findings on a directory Application rendering a Cache CRD whose
    ``spec`` schema is ``spec_schema`` (YAML, indented under it) beside ``resources``."""
    repo = repository(tmp_path, {
        "apps/cache.yaml": application("cache", "dir", "cache"),
        "dir/crd.yaml": CACHE_CRD % spec_schema, "dir/cr.yaml": resources})
    report = engine.lint(repo)
    assert not report.errors, report.errors
    return [(f.file, f.line, f.message) for f in report.findings if f.policy == "k8s-schema"]


def test_a_required_field_with_a_default_is_given_it_when_absent(tmp_path: Path) -> None:
    """The API server defaults a custom resource before validating it: an absent field
    gets its default (and the defaults inside an object's default), so a required field
    with a default is never missing; one without a default still is."""
    schema = """\
            type: object
            required: [schedule, retention, target]
            properties:
              schedule: {type: string, default: "@daily"}
              target: {type: string}
              retention:
                type: object
                default: {}
                required: [days]
                properties:
                  days: {type: integer, default: 7}
"""
    resources = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: absent}\n"
                 "spec:\n  target: s3\n---\n"
                 "apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: untargeted}\n"
                 "spec: {retention: {}}\n")
    assert _directory_findings(tmp_path, schema, resources) == [
        ("dir/cr.yaml", 10, "Cache/untargeted: spec: required field 'target' is missing")]


def test_formats_are_checked_as_the_api_server_checks_them(tmp_path: Path) -> None:
    """kube-openapi's strfmt formats that a CRD keeps are checked in its custom resources,
    by their names without dashes; a format the API server strips or platecheck cannot
    decide exactly (uri) is not."""
    schema = """\
            type: object
            properties:
              ts: {type: string, format: date-time}
              b: {type: string, format: byte}
              dur: {type: string, format: duration}
              link: {type: string, format: uri}
              made-up: {type: string, format: made-up}
"""
    resources = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: good}\n"
                 "spec: {ts: '2014-12-15T19:30:20Z', b: YQ==, dur: 3 weeks, link: '::',"
                 " made-up: x}\n---\n"
                 "apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: bad}\n"
                 "spec:\n  ts: yesterday\n  b: ''\n  dur: five\n")
    assert _directory_findings(tmp_path, schema, resources) == [
        ("dir/cr.yaml", 10, 'Cache/bad: spec.ts: "yesterday" is not a date-time'),
        ("dir/cr.yaml", 11, "Cache/bad: spec.b: not base64 (the standard alphabet, padded "
                            "with '='); the API server cannot decode it into bytes and refuses it"),
        ("dir/cr.yaml", 12, 'Cache/bad: spec.dur: "five" is not a duration')]


def test_list_types_refuse_repeated_items_and_keys(tmp_path: Path) -> None:
    """A set holds each item once and a map each key tuple once (after defaulting), as the
    API server checks them after the schema; an atomic list may repeat itself."""
    schema = """\
            type: object
            properties:
              tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
              plain: {type: array, x-kubernetes-list-type: atomic, items: {type: string}}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name, protocol]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    protocol: {type: string, default: TCP}
"""
    resources = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: good}\n"
                 "spec: {tags: [a, b], plain: [a, a], ports: [{name: http},"
                 " {name: http, protocol: UDP}]}\n---\n"
                 "apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: bad}\n"
                 "spec:\n  tags: [a, b, a, a]\n  ports:\n  - name: http\n"
                 "  - {name: http, protocol: TCP}\n")
    assert _directory_findings(tmp_path, schema, resources) == [
        ("dir/cr.yaml", 10, 'Cache/bad: spec.tags[2]: "a" is in this x-kubernetes-list-type '
                            "set more than once; the API server refuses it"),
        ("dir/cr.yaml", 13, 'Cache/bad: spec.ports[1]: the key {"name": "http", "protocol": '
                            '"TCP"} is in this x-kubernetes-list-type map more than once; the '
                            "API server refuses it")]


def test_an_embedded_resource_needs_an_api_version_and_a_kind(tmp_path: Path) -> None:
    """x-kubernetes-embedded-resource: the API server requires apiVersion and kind there, a
    group/version and a kind that is an RFC 1035 label in any case."""
    schema = """\
            type: object
            properties:
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
"""
    resources = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: good}\n"
                 "spec: {template: {apiVersion: apps/v1, kind: StatefulSet}}\n---\n"
                 "apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: bare}\n"
                 "spec:\n  template: {data: {}}\n---\n"
                 "apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: malformed}\n"
                 "spec:\n  template:\n    apiVersion: a/b/c\n    kind: Config_Map\n")
    assert _directory_findings(tmp_path, schema, resources) == [
        ("dir/cr.yaml", 10, "Cache/bare: spec.template: required field 'apiVersion' is missing"),
        ("dir/cr.yaml", 10, "Cache/bare: spec.template: required field 'kind' is missing"),
        ("dir/cr.yaml", 17, 'Cache/malformed: spec.template.apiVersion: "a/b/c" is not a '
                            "group/version (more than one '/'); the API server refuses it"),
        ("dir/cr.yaml", 18, 'Cache/malformed: spec.template.kind: "Config_Map" may have mixed '
                            "case, but should otherwise be an RFC 1035 label (at most 63 "
                            "characters of letters, digits and '-', beginning with a letter and "
                            "ending with a letter or digit); the API server refuses it")]


def test_an_object_without_properties_keeps_no_field(tmp_path: Path) -> None:
    """The API server prunes every field of an object schema with no properties, no
    additionalProperties and no x-kubernetes-preserve-unknown-fields (a list's items too):
    each is an unknown field. An embedded resource's metadata is an ObjectMeta still."""
    schema = """\
            type: object
            properties:
              config: {type: object}
              note: {type: object, nullable: true}
              sidecars: {type: array, items: {type: object}}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true}
              pod:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  metadata: {type: object}
"""
    resources = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: c}\nspec:\n"
                 "  config:\n    maxMemory: 512mb\n  note: {a: b}\n"
                 "  sidecars:\n  - name: exporter\n  free: {any: 1}\n"
                 "  pod: {apiVersion: v1, kind: Pod, metadata: {name: p, labels: {a: b}}}\n")
    assert _directory_findings(tmp_path, schema, resources) == [
        ("dir/cr.yaml", 6, "Cache/c: spec.config.maxMemory: unknown field"),
        ("dir/cr.yaml", 7, "Cache/c: spec.note.a: unknown field"),
        ("dir/cr.yaml", 9, "Cache/c: spec.sidecars[0].name: unknown field")]


@pytest.mark.parametrize(("field", "value", "valid"), [
    ({"type": "number", "multipleOf": 0.1}, 0.7000000001, True),  # within a relative 1e-9
    ({"type": "number", "multipleOf": 0.1}, 0.71, False),
    ({"type": "number", "multipleOf": 0.01}, 0.07, True),
    ({"type": "number", "multipleOf": 2.5}, 7.5, True),
    ({"type": "number", "multipleOf": 2.5}, 5, False),  # an int64 against int64(2.5) = 2
    ({"type": "number", "multipleOf": 0.5}, 3, False),  # int64(0.5) = 0: never a multiple
    ({"type": "integer", "multipleOf": 2.5}, 5, True),  # no int64 step: as floats
    ({"type": "integer", "multipleOf": 3}, 9, True),
    ({"type": "integer", "multipleOf": 3}, 10, False),
])
def test_multiple_of_is_decided_as_the_api_server_decides_it(
        field: dict[str, object], value: float, valid: bool) -> None:
    """kube-openapi's numberValidator: integers as int64 against the step cut to an int64
    where the field's type holds it, else floats with go-openapi's 1e-9 tolerance."""
    schema = {"type": "object", "properties": {"spec": {
        "type": "object", "properties": {"n": field}}}}
    problems = _validate(schema, {**BASE, "spec": {"n": value}})
    assert (problems == []) is valid
    if not valid:
        assert [p.split(":")[0] for p in problems] == ["spec.n"]


def test_metadata_properties_in_a_crd_do_not_make_labels_unknown() -> None:
    schema = {"type": "object", "properties": {
        "metadata": {"type": "object", "properties": {"name": {"type": "string",
                                                                "maxLength": 3}}}}}
    assert _validate(schema, BASE) == []
    assert _validate(schema, {**BASE, "metadata": {"name": "long"}}) == [
        "metadata.name: 'long' is too long"]


def test_served_versions_and_the_v1beta1_form() -> None:
    v1 = yaml.safe_load((VENDORED / ES_CRD).read_text())
    assert [(s.group, s.version, s.kind, s.source) for s in crds.from_document(v1, "f:1")] == [
        ("external-secrets.io", "v1beta1", "ExternalSecret", "f:1")]
    legacy = {"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
              "spec": {"group": "example.com", "version": "v1", "names": {"kind": "Widget"},
                       "validation": {"openAPIV3Schema": SPEC}}}
    [widget] = crds.from_document(legacy, "legacy.yaml:1")
    assert (widget.version, widget.schema["properties"]["kind"]) == ("v1", {"type": "string"})
    assert list(crds.from_document({"kind": "ConfigMap"}, "x")) == []


@pytest.mark.parametrize(("preserve", "unknown"), [(None, False), (True, False), (False, True)])
def test_a_v1beta1_crd_keeps_the_fields_its_schema_does_not_name(
        preserve: bool | None, unknown: bool) -> None:
    """``apiextensions.k8s.io/v1beta1`` CRDs keep unknown fields unless
    ``preserveUnknownFields: false`` (its default is true): a field the schema does not name
    is no finding then; a type the schema gives is still checked."""
    spec: dict[str, Any] = {"group": "example.com", "version": "v1",
                            "names": {"kind": "Widget"},
                            "validation": {"openAPIV3Schema": SPEC}}
    if preserve is not None:
        spec["preserveUnknownFields"] = preserve
    legacy = {"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
              "spec": spec}
    [widget] = crds.from_document(legacy, "legacy.yaml:1")
    doc = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
           "spec": {"extra": 1, "note": 3}}
    found = [p.text for p in schema_problems.problems(crd_validator(widget), doc)]
    assert any("spec.note" in text for text in found)
    assert any("spec.extra" in text for text in found) is unknown


def test_the_catalog_file_is_what_the_crd_gives() -> None:
    v1 = yaml.safe_load((VENDORED / ES_CRD).read_text())
    [schema] = crds.from_document(v1, "x")
    catalog = FIXTURES / "catalog" / "external-secrets.io" / "externalsecret_v1beta1.json"
    assert json.loads(catalog.read_text()) == schema.schema


def _lint_directory(tmp_path: Path, spec_schema: str, resources: str) -> list[tuple[
        str, str | None, int | None, str]]:
    """Every finding and could-not-check error of a directory Application rendering a Cache
    CRD whose ``spec`` schema is ``spec_schema`` beside ``resources``."""
    repo = repository(tmp_path, {
        "apps/cache.yaml": application("cache", "dir", "cache"),
        "dir/crd.yaml": CACHE_CRD % spec_schema, "dir/cr.yaml": resources})
    report = engine.lint(repo)
    return sorted((f.policy, f.file, f.line, f.message) for f in [*report.findings,
                                                                 *report.errors])


_CACHE_AND_CONFIGMAP = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: c}\n"
                        "spec: {a: 1}\n---\n"
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                        "bogusField: 1\n")
_NOT_INSTALLED = ("Cache/c: Cache (example.com/v1) is not installed, so its resources cannot "
                  "be checked against it: the API server refuses its CustomResourceDefinition")


def test_an_invalid_crd_schema_leaves_the_rest_of_the_target_checked(tmp_path: Path) -> None:
    """A CRD whose schema the API server refuses (``required: a``) is a finding at its line;
    its custom resources cannot be checked (a could-not-check error at each); every other
    resource of the target still is."""
    found = _lint_directory(tmp_path, "            type: object\n            required: a\n",
                            _CACHE_AND_CONFIGMAP)
    assert found == [
        ("could-not-check", "dir/cr.yaml", 2,
         f"{_NOT_INSTALLED}: the openAPIV3Schema of Cache (example.com/v1) in dir/crd.yaml "
         "(rendered by default/cache) is not a valid schema at properties.spec.required: 'a' is "
         "not of type 'array'"),
        ("k8s-schema", "dir/cr.yaml", 9, "ConfigMap/cm: bogusField: unknown field"),
        ("k8s-schema", "dir/crd.yaml", 18, "CustomResourceDefinition/caches.example.com: "
         "spec.versions[0].schema.openAPIV3Schema.properties.spec.required: expected array, "
         "got string \"a\"")]


def test_a_crd_whose_schema_is_not_structural_is_refused(tmp_path: Path) -> None:
    """apiextensions.k8s.io/v1 requires a structural schema: a field without a type, and
    properties beside additionalProperties, are findings on the CRD at their lines, and its
    kind is not installed."""
    schema = ("            type: object\n            properties:\n              a: {}\n"
              "              b:\n                type: object\n"
              "                additionalProperties: false\n"
              "                properties: {c: {type: string}}\n")
    found = _lint_directory(tmp_path, schema, _CACHE_AND_CONFIGMAP)
    assert found == [
        ("could-not-check", "dir/cr.yaml", 2,
         f"{_NOT_INSTALLED} in dir/crd.yaml (rendered by default/cache) (spec.versions[0].schema."
         "openAPIV3Schema.properties.spec.properties.a.type: Required value: must not be empty "
         "for specified object fields)"),
        ("k8s-schema", "dir/cr.yaml", 9, "ConfigMap/cm: bogusField: unknown field"),
        ("k8s-schema", "dir/crd.yaml", 19, "CustomResourceDefinition/caches.example.com: "
         "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.a.type: Required "
         "value: must not be empty for specified object fields"),
        ("k8s-schema", "dir/crd.yaml", 22, "CustomResourceDefinition/caches.example.com: "
         "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.b."
         "additionalProperties: Forbidden: additionalProperties and properties are mutual "
         "exclusive")]


def test_an_embedded_resource_names_its_fields_and_types_kind_api_version_metadata(
        tmp_path: Path) -> None:
    """validateStructuralInvariants: an x-kubernetes-embedded-resource that keeps no unknown
    field names its fields, and there (as at the root) kind and apiVersion are strings and
    metadata an object; elsewhere a field may be called kind with any type."""
    schema = ("            type: object\n            properties:\n"
              "              kind: {type: integer}\n"
              "              bare: {type: object, x-kubernetes-embedded-resource: true}\n"
              "              open:\n                type: object\n"
              "                x-kubernetes-embedded-resource: true\n"
              "                x-kubernetes-preserve-unknown-fields: true\n"
              "              inner:\n                type: object\n"
              "                x-kubernetes-embedded-resource: true\n"
              "                properties:\n"
              "                  apiVersion: {type: integer}\n"
              "                  kind: {x-kubernetes-preserve-unknown-fields: true}\n"
              "                  metadata: {type: string}\n")
    found = _lint_directory(tmp_path, schema, _CACHE_AND_CONFIGMAP)
    where = ("CustomResourceDefinition/caches.example.com: spec.versions[0].schema."
             "openAPIV3Schema.properties.spec.properties.")
    assert [f for f in found if f[0] == "k8s-schema" and f[1] == "dir/crd.yaml"] == [
        ("k8s-schema", "dir/crd.yaml", 20, f"{where}bare.properties: Required value: must not "
         "be empty if x-kubernetes-embedded-resource is true without "
         "x-kubernetes-preserve-unknown-fields"),
        ("k8s-schema", "dir/crd.yaml", 29, f"{where}inner.properties.apiVersion.type: Invalid "
         "value: \"integer\": must be string"),
        ("k8s-schema", "dir/crd.yaml", 30, f"{where}inner.properties.kind.type: Invalid "
         "value: \"\": must be string"),
        ("k8s-schema", "dir/crd.yaml", 31, f"{where}inner.properties.metadata.type: Invalid "
         "value: \"string\": must be object")]


def test_kind_api_version_and_metadata_at_the_root_have_their_types() -> None:
    doc = yaml.safe_load(CACHE_CRD % "            type: object\n")
    root = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    root["properties"].update({"kind": {"type": "string"}, "apiVersion": {"type": "string"},
                               "metadata": {"type": "object"}})
    assert list(crd_structural.crd_problems(doc)) == []
    metadata = {"type": "array", "items": {"type": "string"}}
    root["properties"].update({"kind": {"type": "object"}, "metadata": metadata})
    prefix = ("spec", "versions", 0, "schema", "openAPIV3Schema", "properties")
    assert [(path[len(prefix):], message) for path, message in
            crd_structural.crd_problems(doc) if "type" in path] == [
        (("kind", "type"), 'Invalid value: "object": must be string'),
        (("metadata", "type"), 'Invalid value: "array": must be object')]


@pytest.mark.usefixtures("kubectl_bin")
def test_the_schema_directories_validate_kustomize_and_directory_sources(
        tmp_path: Path, helm_bin: Path) -> None:
    """``policies/schemas/`` gives the schema of a kind whatever source renders it: a Helm
    chart's, a kustomization's and a plain directory's Widget are each refused by it (the
    last two were unknown-kind: the directories were relative to a chart's root alone)."""
    from synthetic import write_files

    widget = ("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w-{name}\n"
              "spec:\n  size: big\n")
    schema = {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}
    root = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "policies/schemas/widget-example.com-v1.json": json.dumps(schema),
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "chart/templates/widget.yaml": widget.format(name="helm"),
        "kust/kustomization.yaml": "resources: [widget.yaml]\n",
        "kust/widget.yaml": widget.format(name="kust"),
        "plain/widget.yaml": widget.format(name="plain"),
        **{f"apps/{name}.yaml": application(name, name, "widgets")
           for name in ("chart", "kust", "plain")}})
    report = engine.lint(root, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert sorted((f.policy, f.location) for f in report.findings
                  if f.policy in ("k8s-schema", "unknown-kind")) == [
        ("k8s-schema", "chart/templates/widget.yaml:6"), ("k8s-schema", "kust/widget.yaml:6"),
        ("k8s-schema", "plain/widget.yaml:6")]
