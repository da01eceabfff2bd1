"""SARIF 2.1.0 for code-scanning tools, so a finding annotates the values file line.

https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html

One run; ``tool.driver.rules`` lists every policy that ran (and any other id the report
names), results point at repository-relative files under ``%SRCROOT%``. Waived findings are
results with an external suppression (the waiver's reason as justification). Could-not-check
errors are error results (``<target>: could not check: <message>``) and also tool execution
notifications, and make the invocation unsuccessful. A finding's ``detail`` (helm's whole
output for a failed render) is the result property ``detail``. A policy the configuration
turns off is a rule configuration override of the invocation: disabled when it ran in no
test case (``platecheck.report.cases``), else naming the targets where it was off.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from platecheck.model import Finding, Level, PolicyInfo, Report
from platecheck.report.cases import Outcome, test_cases
from platecheck.report.common import annotation_text, finding_order, level_of, shown
from platecheck.report.rules import rules_for
from platecheck.version import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
_LEVELS = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note", Level.OFF: "none"}


def rule_name(rule_id: str) -> str:
    """``image-tag-pinned`` -> ``ImageTagPinned``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id))


def rule_dict(rule: PolicyInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": _LEVELS[rule.default_level]},
    }
    if rule.remediation:
        entry["properties"] = {"remediation": rule.remediation}
    return entry


def _location(finding: Finding) -> dict[str, Any] | None:
    location: dict[str, Any] = {}
    if finding.file is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": quote(finding.file, safe="/"), "uriBaseId": SRCROOT}
        }
        # (a file of no known line is at its first: code scanning requires a startLine)
        physical["region"] = {"startLine": finding.line or 1}
        location["physicalLocation"] = physical
    if finding.resource:
        qualified = f"{finding.target}/{finding.resource}" if finding.target else finding.resource
        location["logicalLocations"] = [
            {"name": finding.resource, "fullyQualifiedName": qualified, "kind": "resource"}
        ]
    return location or None


FINGERPRINT = "platecheckFinding/v2"


def _fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Each finding's identity, stable across runs when lines move: what was found and in
    which file, not at which line; the findings one key would name alike (one message of a
    repository-wide policy twice in a file) told apart by their order in it."""
    seen: Counter[str] = Counter()
    prints = []
    for finding in findings:
        key = "\0".join([finding.policy, finding.target or "", finding.resource or "",
                         finding.message, finding.file or ""])
        seen[key] += 1
        prints.append(hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogatepass"))
                      .hexdigest())
    return prints


def _result(finding: Finding, index: int, fingerprint: str, *, could_not_check: bool = False
            ) -> dict[str, Any]:
    level = Level.ERROR if could_not_check else level_of(finding)
    result: dict[str, Any] = {
        "ruleId": finding.policy,
        "ruleIndex": index,
        "level": _LEVELS[level],
        "message": {"text": annotation_text(finding, could_not_check=could_not_check)},
    }
    location = _location(finding)
    if location is not None:
        result["locations"] = [location]
    result["partialFingerprints"] = {FINGERPRINT: fingerprint}
    properties = {
        "environment": finding.environment,
        "target": finding.target,
        "resource": finding.resource,
        "remediation": finding.remediation or None,
        "couldNotCheck": True if could_not_check else None,
        "detail": finding.detail,
    }
    result["properties"] = {k: v for k, v in properties.items() if v is not None}
    if not result["properties"]:
        del result["properties"]
    if finding.waived is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": finding.waived}
        ]
    return result


def _notification(error: Finding) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": annotation_text(error)},
        "descriptor": {"id": error.policy},
    }
    location = _location(error)
    if location is not None:
        notification["locations"] = [location]
    return notification


def _overrides(report: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    """The test cases (``platecheck.report.cases``) a policy did not run in because the
    configuration turns it off: the rule disabled when it ran nowhere, else the cases it
    skipped named in the override's ``offIn`` property."""
    off: dict[str, list[str]] = {}
    ran: set[str] = set()
    for case in test_cases(report):
        if case.outcome is Outcome.OFF:
            off.setdefault(case.policy, []).append(case.collector)
        else:
            ran.add(case.policy)
    overrides = []
    for policy, where in off.items():
        configuration: dict[str, Any] = {"enabled": policy in ran}
        if policy in ran:
            configuration["properties"] = {"offIn": where}
        overrides.append({"descriptor": {"id": policy, "index": index[policy]},
                          "configuration": configuration})
    return overrides


def document(report: Report) -> dict[str, Any]:
    rules = rules_for(report)
    index = {rule.id: i for i, rule in enumerate(rules)}
    errors = sorted(shown(report.errors), key=finding_order)
    findings = sorted(shown(report.findings), key=finding_order)
    prints = _fingerprints([*errors, *findings])
    results = [_result(e, index[e.policy], p, could_not_check=True)
               for e, p in zip(errors, prints[:len(errors)], strict=True)]
    results += [_result(f, index[f.policy], p)
                for f, p in zip(findings, prints[len(errors):], strict=True)]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "platecheck",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rule_dict(rule) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not errors,
                "exitCode": report.exit_code,
                "toolExecutionNotifications": [_notification(e) for e in errors],
            }
        ],
    }
    overrides = _overrides(report, index)
    if overrides:
        run["invocations"][0]["ruleConfigurationOverrides"] = overrides
    # No originalUriBaseIds: %SRCROOT% is wherever the consumer checked the repository out
    # (GitHub code scanning resolves it so); the report never names this machine's checkout.
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = results
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
