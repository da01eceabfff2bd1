"""The SARIF reporter: SARIF 2.1.0, valid against the OASIS schema, with rule metadata."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import platecheck
from platecheck.model import Finding, Level, PolicyInfo
from platecheck.policies import configuration, registry
from platecheck.report import sarif
from report_samples import (
    FAKE_POLICIES,
    PROD_VALUES,
    REGISTERED,
    SAMPLES,
    TAG,
    report,
    schema_path,
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(schema_path("sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


@pytest.fixture(params=["registered", "stand-ins"])
def policies(request: pytest.FixtureRequest) -> tuple[PolicyInfo, ...]:
    """The policies a sample report ran: every registered one, or stand-ins."""
    return REGISTERED if request.param == "registered" else FAKE_POLICIES


def run_of(out: str) -> dict[str, Any]:
    log = json.loads(out)
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


@pytest.mark.parametrize("sample", SAMPLES)
def test_valid_sarif_2_1_0(
    sample: str, validator: jsonschema.Draft4Validator, policies: tuple[PolicyInfo, ...]
) -> None:
    out = sarif.render(replace(SAMPLES[sample], policies=policies))
    log = json.loads(out)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    run = run_of(out)
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("platecheck", platecheck.__version__)
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]


def test_rules_come_from_the_report() -> None:
    sample = replace(SAMPLES["one-error"], policies=FAKE_POLICIES)
    driver = run_of(sarif.render(sample))["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == [
        "image-tag-pinned",
        "pull-policy",
        "argocd-application",
    ]
    tag = driver["rules"][0]
    assert tag["name"] == "ImageTagPinned"
    assert tag["shortDescription"] == {"text": "production images have a fixed tag or a digest"}
    assert tag["fullDescription"]["text"] == (
        "Every container and init container image of a production target has an explicit tag\n"
        "that is not floating, or a digest."
    )
    assert tag["help"]["text"].startswith("Production images carry a fixed tag or a digest.")
    assert "Passes:\n    image: nginx:1.27.0" in tag["help"]["text"]
    assert tag["defaultConfiguration"] == {"level": "error"}
    assert tag["properties"] == {"remediation": "pin the image to a release tag or a digest"}


def test_ids_of_no_policy_that_ran_get_a_bare_rule() -> None:
    driver = run_of(sarif.render(SAMPLES["mixed"]))["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == [
        "image-tag-pinned",
        "pull-policy",
        "ingress-tls",
        "render",
        "yaml-hygiene",
    ]
    assert driver["rules"][3]["shortDescription"] == {"text": "render"}


def test_result_points_at_the_values_file_line() -> None:
    run = run_of(sarif.render(report((TAG,))))
    assert run["columnKind"] == "unicodeCodePoints"
    assert "originalUriBaseIds" not in run  # no absolute path of the checkout
    (result,) = run["results"]
    fingerprint = result.pop("partialFingerprints")["platecheckFinding/v2"]
    assert len(fingerprint) == 64
    assert result == {
        "ruleId": "image-tag-pinned",
        "ruleIndex": [r["id"] for r in run["tool"]["driver"]["rules"]].index("image-tag-pinned"),
        "level": "error",
        "message": {
            "text": "prod/plate-web: container nginx of Deployment/plate-web uses floating tag"
            ' "latest"\nfix: pin the image to a release tag or a digest'
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": PROD_VALUES, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 12},
                },
                "logicalLocations": [
                    {
                        "name": "Deployment/plate-web[nginx]",
                        "fullyQualifiedName": "prod/plate-web/Deployment/plate-web[nginx]",
                        "kind": "resource",
                    }
                ],
            }
        ],
        "properties": {
            "environment": "prod",
            "target": "prod/plate-web",
            "resource": "Deployment/plate-web[nginx]",
            "remediation": "pin the image to a release tag or a digest",
        },
    }
    assert run["invocations"] == [
        {"executionSuccessful": True, "exitCode": 1, "toolExecutionNotifications": []}
    ]


def test_levels_suppressions_and_locations() -> None:
    run = run_of(sarif.render(SAMPLES["mixed"]))
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for result in run["results"]:
        by_rule.setdefault(result["ruleId"], []).append(result)
    assert [r["level"] for r in by_rule["pull-policy"]] == ["warning"]
    assert [r["level"] for r in by_rule["ingress-tls"]] == ["note"]
    # a file without a line is at its first: GitHub code scanning requires a startLine
    assert by_rule["ingress-tls"][0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1}
    waived = [r for r in by_rule["image-tag-pinned"] if "suppressions" in r]
    assert [r["suppressions"] for r in waived] == [
        [
            {
                "kind": "external",
                "status": "accepted",
                "justification": "staging follows the main branch until 2030-01-01",
            }
        ]
    ]


def test_could_not_check_errors_fail_the_invocation() -> None:
    run = run_of(sarif.render(SAMPLES["errors-only"]))
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"] == {"id": "render"}
    assert note["message"]["text"].startswith("prod/plate-api: helm template failed:\n")
    (result,) = run["results"]
    assert result["level"] == "error"
    # worded as the GitHub annotation of the same error
    assert result["message"]["text"] == (
        "prod/plate-api: could not check: helm template failed:\n"
        "Error: template: plate-api/templates/deployment.yaml:7: boom"
    )
    assert result["properties"]["couldNotCheck"] is True
    assert result["properties"]["detail"].startswith("walk.go:75: found symbolic link in path\n")
    assert "detail" not in note


def test_paths_are_uri_references_and_findings_without_file_have_no_location() -> None:
    run = run_of(sarif.render(SAMPLES["unicode-and-markup"]))
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "helm/ingress/values%20prod.yaml"
    assert "plate.예시.kr" in run["results"][0]["message"]["text"]
    results = run_of(sarif.render(SAMPLES["odd-places"]))["results"]
    (no_file,) = [r for r in results if r["message"]["text"].startswith("plate-llm is")]
    assert "locations" not in no_file


def test_fingerprints_ignore_the_line() -> None:
    moved = report((replace(TAG, line=40),))
    first = run_of(sarif.render(report((TAG,))))["results"][0]["partialFingerprints"]
    assert run_of(sarif.render(moved))["results"][0]["partialFingerprints"] == first


def test_default_levels_are_the_policies_built_in_levels() -> None:
    config = configuration(Path(__file__).parent / "fixtures" / "no-such-repository")
    driver = run_of(sarif.render(replace(SAMPLES["mixed"], policies=REGISTERED)))["tool"][
        "driver"]
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels["waiver-stale"] == "warning"
    assert levels["image-tag-pinned"] == "error"
    for policy_id in registry():
        assert levels[policy_id] == {"error": "error", "warning": "warning", "info": "note"}[
            config.level(policy_id, None).value
        ]
    # ids no configuration lists (a could-not-check error's) fail closed
    assert levels["render"] == "error"


def test_a_policy_configured_off_is_a_rule_configuration_override(
    validator: jsonschema.Draft4Validator,
) -> None:
    tag, pull = report().policies
    some = report(policies=(replace(tag, env_levels={"prod": Level.OFF}), pull))
    validator.validate(json.loads(sarif.render(some)))
    [invocation] = run_of(sarif.render(some))["invocations"]
    assert invocation["ruleConfigurationOverrides"] == [{
        "descriptor": {"id": "image-tag-pinned", "index": 0},
        "configuration": {"enabled": True,
                          "properties": {"offIn": ["prod/plate-web", "prod/plate-api"]}},
    }]
    everywhere = report(policies=(tag, replace(pull, level=Level.OFF)))
    [invocation] = run_of(sarif.render(everywhere))["invocations"]
    assert invocation["ruleConfigurationOverrides"] == [{
        "descriptor": {"id": "pull-policy", "index": 1}, "configuration": {"enabled": False}}]
    [invocation] = run_of(sarif.render(report()))["invocations"]
    assert "ruleConfigurationOverrides" not in invocation


def test_findings_of_one_message_in_two_files_or_twice_in_one_have_their_own_fingerprints(
        ) -> None:
    """Repository-wide findings name no target or resource, and their message may not name
    the file: the file, then the order in it, tells them apart; the line does not (a finding
    keeps its identity when lines move)."""
    duplicate = Finding(policy="yaml-hygiene", message="duplicate key 'foo'",
                        file="charts/web/values-prod.yaml", line=4, level=Level.WARNING)
    others = (replace(duplicate, file="charts/web/values-stg.yaml"),
              replace(duplicate, line=9))
    prints = [r["partialFingerprints"]["platecheckFinding/v2"]
              for r in run_of(sarif.render(report((duplicate, *others))))["results"]]
    assert len(set(prints)) == 3
    moved = run_of(sarif.render(report((replace(duplicate, line=5),))))["results"]
    assert moved[0]["partialFingerprints"]["platecheckFinding/v2"] in prints
