"""The JUnit reporter: valid against junit-10.xsd, one testcase per policy x target."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from platecheck import engine
from platecheck.model import Finding, Level, PolicyInfo
from platecheck.report import junit
from report_samples import (
    FAKE_POLICIES,
    PROD_REDIS,
    PROD_VALUES,
    PROD_WEB,
    REGISTERED,
    RENDER_FAILED,
    SAMPLES,
    STG_TAG,
    STG_WEB,
    TAG,
    report,
    schema_path,
)
from synthetic import CACHE_CRD, application, repository


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(schema_path("junit-10.xsd")))


@pytest.fixture(params=["registered", "stand-ins"])
def policies(request: pytest.FixtureRequest) -> tuple[PolicyInfo, ...]:
    """The policies a sample report ran: every registered one, or stand-ins."""
    return REGISTERED if request.param == "registered" else FAKE_POLICIES


def parse(out: str) -> ET.Element:
    return ET.fromstring(out.encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {f"{case.get('classname')}|{case.get('name')}": case for case in root.iter("testcase")}


def outcome(case: ET.Element) -> str:
    for tag in ("error", "failure", "skipped"):
        if case.find(tag) is not None:
            return tag
    return "passed"


@pytest.mark.parametrize("sample", SAMPLES)
def test_valid_against_the_xsd_with_consistent_counts(
    sample: str, schema: xmlschema.XMLSchema, policies: tuple[PolicyInfo, ...]
) -> None:
    out = junit.render(replace(SAMPLES[sample], policies=policies))
    schema.validate(out)
    root = parse(out)
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.findall("testsuite"):
        members = suite.findall("testcase")
        outcomes = [outcome(c) for c in members]
        assert suite.get("tests") == str(len(members))
        failures = sum(c.find("failure") is not None for c in members)
        assert suite.get("failures") == str(failures)
        assert suite.get("errors") == str(outcomes.count("error"))
        assert suite.get("skipped") == str(outcomes.count("skipped"))
        for case in members:
            assert case.get("classname") == suite.get("name")
            # one outcome per case; an error keeps the failure of what its policy checked
            kinds = [t for t in ("error", "failure", "skipped") if case.find(t) is not None]
            assert len(kinds) <= 1 or kinds == ["error", "failure"]
        totals["tests"] += len(members)
        totals["failures"] += failures
        totals["errors"] += outcomes.count("error")
    assert {k: int(root.get(k, "-1")) for k in totals} == totals


def test_empty_report() -> None:
    out = junit.render(SAMPLES["empty"])
    assert out == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="platecheck" tests="0" failures="0" errors="0" />\n'
    )


def test_one_testcase_per_policy_and_target_and_failures_carry_the_location() -> None:
    root = parse(junit.render(SAMPLES["one-error"]))
    assert [s.get("name") for s in root.findall("testsuite")] == ["prod", "stg"]
    assert {k: outcome(c) for k, c in cases(root).items()} == {
        "prod|prod/plate-web::image-tag-pinned": "failure",
        "prod|prod/plate-web::pull-policy": "passed",
        "prod|prod/plate-api::image-tag-pinned": "passed",
        "prod|prod/plate-api::pull-policy": "passed",
        "stg|stg/plate-web::image-tag-pinned": "passed",
        "stg|stg/plate-web::pull-policy": "passed",
    }
    failure = cases(root)["prod|prod/plate-web::image-tag-pinned"].find("failure")
    assert failure is not None
    assert failure.get("type") == "image-tag-pinned"
    headline = (
        f'{PROD_VALUES}:12: container nginx of Deployment/plate-web uses floating tag "latest"'
    )
    assert failure.get("message") == headline
    assert failure.text == f"{headline}\n  fix: pin the image to a release tag or a digest"


def test_mixed_report_places_every_finding() -> None:
    root = parse(junit.render(SAMPLES["mixed"]))
    found = cases(root)
    assert [s.get("name") for s in root.findall("testsuite")] == ["prod", "stg", "repository"]
    assert {k: outcome(c) for k, c in found.items()} == {
        "prod|prod/plate-web::image-tag-pinned": "failure",
        "prod|prod/plate-web::pull-policy": "passed",
        "prod|prod/plate-api::image-tag-pinned": "error",
        "prod|prod/plate-api::pull-policy": "error",
        "prod|prod/plate-web::ingress-tls": "passed",
        "stg|stg/plate-web::image-tag-pinned": "skipped",
        "stg|stg/plate-web::pull-policy": "passed",
        "repository|yaml-hygiene": "failure",
    }
    # a warning leaves its case passing, with the finding in system-out
    out = found["prod|prod/plate-web::pull-policy"].findtext("system-out")
    assert out == (
        f"{PROD_VALUES}:14: warning container nginx of Deployment/plate-web has imagePullPolicy"
        " Always\n  fix: set imagePullPolicy: IfNotPresent"
    )
    info = found["prod|prod/plate-web::ingress-tls"].findtext("system-out") or ""
    assert info.startswith("helm/ingress/templates/issuer.yaml: info no ClusterIssuer")
    # the render failure stopped every policy of prod/plate-api
    error = found["prod|prod/plate-api::pull-policy"].find("error")
    assert error is not None
    assert error.get("type") == "render"
    assert error.get("message") == (
        "could not check: environments/argocd/apps/plate-api-prod.yaml:1: helm template failed:"
    )
    # the message's further lines, then helm's whole output
    assert error.text == (
        "environments/argocd/apps/plate-api-prod.yaml:1: helm template failed:\n"
        "  Error: template: plate-api/templates/deployment.yaml:7: boom\n"
        "  detail:\n"
        "    walk.go:75: found symbolic link in path\n"
        "    Error: template: plate-api/templates/deployment.yaml:7: boom\n"
        "\n"
        "    Use --debug flag to render out invalid YAML"
    )
    skipped = found["stg|stg/plate-web::image-tag-pinned"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "waived: staging follows the main branch until 2030-01-01"


def test_a_case_with_active_and_waived_findings_fails_and_lists_the_waived_one() -> None:
    stg_active = replace(STG_TAG, waived=None, line=4, message="init container uses tag main")
    root = parse(junit.render(report((STG_TAG, stg_active))))
    case = cases(root)["stg|stg/plate-web::image-tag-pinned"]
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == (
        "helm/applications/plate-web/values-stg.yaml:4: init container uses tag main"
    )
    assert (case.findtext("system-out") or "").startswith(
        "helm/applications/plate-web/values-stg.yaml:3: waived container nginx"
    )


def test_several_errors_in_one_case() -> None:
    second = replace(TAG, line=30, message="container sidecar uses floating tag")
    failure = cases(parse(junit.render(report((TAG, second)))))[
        "prod|prod/plate-web::image-tag-pinned"
    ].find("failure")
    assert failure is not None
    assert (failure.get("message") or "").endswith('floating tag "latest" (and 1 more)')
    assert (failure.text or "").count("\n  fix: ") == 2


CAPACITY = Finding(
    policy="env-consistency",
    message="prod/plate-web sets replicas but stg/plate-web does not",
    file=PROD_VALUES,
    line=2,
    environment="prod",
    target="prod/plate-web",
    remediation="set the key in both environments' values files",
)
REMOTE = Finding(
    policy="not-rendered",
    message="chart plate-cache 4.5.6 comes from https://charts.example.org and is not rendered",
    file="environments/argocd/apps/plate-cache-prod.yaml",
    line=1,
    environment="prod",
    target="prod/plate-cache",
    remediation="render it elsewhere or lower not-rendered's level",
)
STALE = Finding(
    policy="waiver-stale",
    message="waiver for image-tag-pinned on stg/plate-web matches no finding",
    file="policies/waivers.yaml",
    line=3,
    level=Level.WARNING,
    target="stg/plate-web",
    remediation="remove the waiver",
)
REAL_POLICIES = tuple(p for p in REGISTERED if p.id in (
    "image-tag-pinned", "env-consistency", "not-rendered", "waiver-stale"))


def test_cases_are_target_policies_on_rendered_targets_then_repository_policies() -> None:
    sample = report(
        (TAG, CAPACITY, REMOTE, STALE),
        targets=(PROD_WEB, PROD_REDIS, STG_WEB),
        policies=REAL_POLICIES,
    )
    root = parse(junit.render(sample))
    assert [(s.get("name"), s.get("tests")) for s in root.findall("testsuite")] == [
        ("prod", "1"),
        ("stg", "1"),
        ("repository", "3"),
    ]
    found = cases(root)
    # nothing for the remote target but its not-rendered finding; repository-scope and
    # waiver policies once each, whatever target their findings name
    assert {k: outcome(c) for k, c in found.items()} == {
        "prod|prod/plate-web::image-tag-pinned": "failure",
        "stg|stg/plate-web::image-tag-pinned": "passed",
        "repository|env-consistency": "failure",
        "repository|not-rendered": "failure",
        "repository|waiver-stale": "passed",
    }
    failure = found["repository|env-consistency"].find("failure")
    assert failure is not None
    assert failure.text == (
        f"{PROD_VALUES}:2: prod/plate-web sets replicas but stg/plate-web does not\n"
        "  fix: set the key in both environments' values files"
    )
    assert found["repository|waiver-stale"].findtext("system-out") == (
        "policies/waivers.yaml:3: warning waiver for image-tag-pinned on stg/plate-web matches"
        " no finding\n  fix: remove the waiver"
    )


def test_a_target_scope_finding_on_a_target_not_rendered_goes_to_the_repository() -> None:
    stray = replace(TAG, target="prod/plate-cache", file="environments/argocd/apps/x.yaml")
    root = parse(junit.render(report((stray,), targets=(PROD_WEB, PROD_REDIS))))
    assert {k: outcome(c) for k, c in cases(root).items()} == {
        "prod|prod/plate-web::image-tag-pinned": "passed",
        "prod|prod/plate-web::pull-policy": "passed",
        "repository|image-tag-pinned": "failure",
    }


def test_errors_of_targets_not_rendered_here_are_a_repository_case() -> None:
    error = replace(RENDER_FAILED, target="prod/plate-cache")
    root = parse(junit.render(report(targets=(PROD_WEB, PROD_REDIS), errors=(error,))))
    found = cases(root)
    assert {k: outcome(c) for k, c in found.items()} == {
        "prod|prod/plate-web::image-tag-pinned": "passed",
        "prod|prod/plate-web::pull-policy": "passed",
        "repository|render": "error",
    }


def test_fake_repository_scope_policy() -> None:
    sample = report(policies=tuple(p for p in FAKE_POLICIES if p.id != "pull-policy"))
    found = cases(parse(junit.render(sample)))
    assert outcome(found["repository|argocd-application"]) == "passed"
    assert "prod|prod/plate-web::argocd-application" not in found
    assert len(found) == 4


def test_characters_xml_cannot_hold_are_shown_not_dropped() -> None:
    out = junit.render(SAMPLES["unicode-and-markup"])
    failure = cases(parse(out))["prod|prod/plate-web::ingress-tls"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        'helm/ingress/values prod.yaml:5: host "plate.예시.kr" has no TLS <spec.tls> & "quotes"'
        " #x1B[31mred#x1B[0m #x00 ✓"
    )
    assert "&lt;spec.tls&gt; &amp;" in out


def test_a_policy_configured_off_is_a_skipped_case_with_the_reason() -> None:
    tag, pull = report().policies
    sample = report(policies=(replace(tag, env_levels={"prod": Level.OFF}), pull))
    found = cases(parse(junit.render(sample)))
    for name in ("prod|prod/plate-web::image-tag-pinned", "prod|prod/plate-api::image-tag-pinned"):
        skipped = found[name].find("skipped")
        assert skipped is not None
        assert (skipped.get("type"), skipped.get("message")) == (
            "off", "image-tag-pinned is off for prod in the configuration")
    assert outcome(found["stg|stg/plate-web::image-tag-pinned"]) == "passed"
    assert parse(junit.render(sample)).findall("testsuite")[0].get("skipped") == "2"


REFUSED_CRD = CACHE_CRD % "            type: object\n            properties:\n              a: {}\n"
CACHE_AND_CONFIGMAP = ("apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: c}\n"
                       "spec: {a: 1}\n---\n"
                       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                       "bogusField: 1\n")


def test_a_part_one_policy_could_not_check_errs_its_case_only_and_keeps_its_failures(
        tmp_path: Path, schema: xmlschema.XMLSchema) -> None:
    """A CRD the API server refuses leaves its Cache unchecked by k8s-schema (and
    unknown-kind), which check the rest of the target: the could-not-check error is on
    k8s-schema's case alone, beside the failure of what it found; the other policies pass."""
    repo = repository(tmp_path, {
        "apps/cache.yaml": application("cache", "dir", "cache"),
        "dir/crd.yaml": REFUSED_CRD, "dir/cr.yaml": CACHE_AND_CONFIGMAP})
    out = junit.render(engine.lint(repo))
    schema.validate(out)
    root = parse(out)
    (suite, _) = root.findall("testsuite")
    assert [(suite.get(k), root.get(k)) for k in ("tests", "failures", "errors")] == [
        ("6", "18"), ("1", "1"), ("1", "1")]
    found = cases(suite)
    assert {name: outcome(case) for name, case in found.items()
            if name != "default|default/cache::k8s-schema"} == {
        f"default|default/cache::{p}": "passed" for p in (
            "image-tag-pinned", "ingress-tls", "pull-policy", "resource-ranges", "unknown-kind")}
    case = found["default|default/cache::k8s-schema"]
    error, failure = case.find("error"), case.find("failure")
    assert error is not None and failure is not None
    assert error.get("message", "").startswith(
        "could not check: dir/cr.yaml:2: Cache/c: Cache (example.com/v1) is not installed")
    assert (failure.get("type"), failure.get("message")) == (
        "k8s-schema", "dir/cr.yaml:9: ConfigMap/cm: bogusField: unknown field (and 1 more)")
    assert "dir/crd.yaml:19: CustomResourceDefinition/caches.example.com: " in (
        failure.text or "")
    assert case.find("system-out") is None


def test_a_policy_failing_on_a_target_errs_its_own_case_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, schema: xmlschema.XMLSchema) -> None:
    """A policy of an installed package that raises on a target stopped that policy alone:
    its case of the target is the could-not-check error, and the built-in policies' cases of
    the target keep what they checked (the ConfigMap's unknown field fails k8s-schema's)."""
    site = tmp_path / "site"
    info = site / "crashing_policies-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crashing-policies\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text("[platecheck.policies]\ncrashing = crashing_policy\n")
    (site / "crashing_policy.py").write_text(
        '"""What: fails.\n\nWhy: to fail.\n\nOptions: none.\n\nPasses: nothing.\n\n'
        'Fails: everything.\n"""\nID = "crashing"\nSCOPE = "target"\nSUMMARY = "fails"\n'
        "def check(target, options):\n    raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(site))
    from platecheck import policies

    policies._entry_point_modules.cache_clear()
    try:
        repo = repository(tmp_path / "repo", {
            "apps/cm.yaml": application("cm", "dir", "cm"),
            "dir/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                           "bogusField: 1\n"})
        out = junit.render(engine.lint(repo))
    finally:
        policies._entry_point_modules.cache_clear()
        sys.modules.pop("crashing_policy", None)
    schema.validate(out)
    found = {name: outcome(case) for name, case in cases(parse(out).findall("testsuite")[0])
             .items()}
    assert found == {"default|default/cm::crashing": "error",
                     "default|default/cm::k8s-schema": "failure",
                     **{f"default|default/cm::{p}": "passed" for p in (
                         "image-tag-pinned", "ingress-tls", "pull-policy", "resource-ranges",
                         "unknown-kind")}}
