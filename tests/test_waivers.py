"""Waivers: validated at load, applied with expiry, stale ones reported."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

import pytest

from platecheck.errors import PlatecheckError
from platecheck.model import Finding
from platecheck.policies import configuration, registry, waiver_expired, waiver_stale
from platecheck.waivers import Waiver, load_waivers, split_resource
from platecheck.waivers import apply_waivers as apply


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: datetime.date,
                  **targets: Any) -> tuple[Finding, ...]:
    """The findings with the waivers applied, then those of waiver-expired and waiver-stale
    (as the engine reports them, before it stamps their levels)."""
    waived = apply(findings, waivers, today, **targets)
    return (*waived.findings, *waiver_expired.check(waived.expired, today),
            *waiver_stale.check(waived.stale))

REL = "policies/waivers.yaml"
TODAY = datetime.date(2025, 6, 1)
KNOWN = ("image-tag-pinned", "pull-policy", "k8s-schema")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def test_load_valid_file(tmp_path: Path) -> None:
    path = write(tmp_path, """\
waivers:
  - policy: image-tag-pinned
    target: stg/plate-llm
    container: model-*
    reason: model image is rebuilt nightly
    expires: 2025-09-30
  - policy: pull-policy
    resource: Deployment/plate-web
    file: helm/applications/plate-web/*
    reason: "  the registry mirror needs Always  "
    expires: "2025-06-01"
""")
    assert load_waivers(path, REL, KNOWN) == (
        Waiver(policy="image-tag-pinned", reason="model image is rebuilt nightly",
               expires=datetime.date(2025, 9, 30), file=REL, line=2, target="stg/plate-llm",
               container="model-*"),
        Waiver(policy="pull-policy", reason="the registry mirror needs Always",
               expires=datetime.date(2025, 6, 1), file=REL, line=7,
               resource="Deployment/plate-web", path="helm/applications/plate-web/*"),
    )


def test_resource_written_as_findings_write_it_names_the_container(tmp_path: Path) -> None:
    path = write(tmp_path, """\
waivers:
  - policy: image-tag-pinned
    resource: Deployment/plate-web[web]
    reason: copied from the finding
    expires: 2025-09-30
  - policy: image-tag-pinned
    resource: Deployment/plate-[wx]*
    reason: a character class inside the name is still a glob
    expires: 2025-09-30
""")
    copied, glob = load_waivers(path, REL, KNOWN)
    assert (copied.resource, copied.container) == ("Deployment/plate-web", "web")
    assert copied.describe == "image-tag-pinned (resource=Deployment/plate-web, container=web)"
    assert copied.matches(WEB)
    assert not copied.matches(Finding(**{**WEB.__dict__, "resource": "Deployment/plate-web[x]"}))
    assert (glob.resource, glob.container) == ("Deployment/plate-[wx]*", None)
    assert glob.matches(WEB)


def test_empty_file_has_no_waivers(tmp_path: Path) -> None:
    assert load_waivers(write(tmp_path, "# none yet\n"), REL, KNOWN) == ()
    assert load_waivers(write(tmp_path, "waivers: []\n"), REL, KNOWN) == ()


ENTRY = "waivers:\n  - policy: pull-policy\n    reason: ok\n    expires: 2025-01-01\n"


@pytest.mark.parametrize("text, error", [
    (ENTRY + "    reson: typo\n",
     f"{REL}:5: waiver 1: unknown key 'reson' (expected one of: policy, reason, expires, "
     "target, resource, container, file)"),
    ("waivers:\n  - policy: pull-policy\n    expires: 2025-01-01\n",
     f"{REL}:2: waiver 1: 'reason' is required"),
    ("waivers:\n  - policy: pull-policy\n    reason: ok\n",
     f"{REL}:2: waiver 1: 'expires' is required"),
    ("waivers:\n  - policy: pull-policy\n    reason: '  '\n    expires: 2025-01-01\n",
     f"{REL}:3: waiver 1: reason must be a non-empty text saying why the finding is accepted"),
    ("waivers:\n  - policy: pul-policy\n    reason: ok\n    expires: 2025-01-01\n",
     f"{REL}:2: waiver 1: unknown policy 'pul-policy' (known: image-tag-pinned, k8s-schema, "
     "pull-policy)"),
    ("waivers:\n  - policy: pull-policy\n    reason: ok\n    expires: 01/02/2025\n",
     f"{REL}:4: waiver 1: expires must be a date written YYYY-MM-DD, found '01/02/2025'"),
    ("waivers:\n  - policy: pull-policy\n    reason: ok\n    expires: '2025-02-30'\n",
     f"{REL}:4: waiver 1: expires must be a date written YYYY-MM-DD, found '2025-02-30'"),
    # a value YAML reads as no text is shown as YAML writes it, not as Python does
    ("waivers:\n  - policy: pull-policy\n    reason: ok\n    expires:\n",
     f"{REL}:4: waiver 1: expires must be a date written YYYY-MM-DD, found null"),
    ("waivers:\n  - policy: pull-policy\n    reason: ok\n    expires: [2030-01-01]\n",
     f'{REL}:4: waiver 1: expires must be a date written YYYY-MM-DD, found ["2030-01-01"]'),
    (ENTRY + "    target: ''\n", f"{REL}:5: waiver 1: target must be a non-empty glob"),
    (ENTRY + "    resource: Deployment/web[nginx]\n    container: nginx\n",
     f"{REL}:5: waiver 1: resource 'Deployment/web[nginx]' names the container 'nginx'; give "
     "it there or in container, not both"),
    (ENTRY + "    resource: Deployment/web[]\n",
     f"{REL}:5: waiver 1: resource 'Deployment/web[]': write Kind/name[container]"),
    (ENTRY + "  - just text\n",
     f"{REL}:5: waiver 2: must be a mapping with policy, reason and expires"),
    ("waiver:\n  - policy: pull-policy\n", f"{REL}:1: unknown key 'waiver' (expected: waivers)"),
    ("waivers: {policy: pull-policy}\n", f"{REL}:1: 'waivers' must be a list"),
    ("waivers: {}\n", f"{REL}:1: 'waivers' must be a list"),  # not taken for no waivers
    ("waivers: ''\n", f"{REL}:1: 'waivers' must be a list"),
])
def test_invalid_entries_fail_at_load_with_file_and_line(tmp_path: Path, text: str,
                                                         error: str) -> None:
    with pytest.raises(PlatecheckError) as caught:
        load_waivers(write(tmp_path, text), REL, KNOWN)
    assert str(caught.value) == error


def test_impossible_unquoted_date_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = "waivers:\n  - policy: pull-policy\n    reason: ok\n    expires: 2025-02-30\n"
    with pytest.raises(PlatecheckError) as caught:
        load_waivers(write(tmp_path, text), REL, KNOWN)
    assert str(caught.value).startswith(REL)


def test_configuration_knows_every_registered_policy_but_the_waiver_ones(tmp_path: Path
                                                                         ) -> None:
    some = next(pid for pid, m in registry().items() if m.SCOPE != "waivers")
    (tmp_path / "policies").mkdir()
    path = tmp_path / "policies" / "waivers.yaml"
    path.write_text(f"waivers:\n  - {{policy: {some}, reason: r, expires: 2030-01-01}}\n")
    assert configuration(tmp_path).waivers[0].policy == some
    path.write_text("waivers:\n  - {policy: waiver-stale, reason: r, expires: 2030-01-01}\n")
    with pytest.raises(PlatecheckError, match="unknown policy 'waiver-stale'"):
        configuration(tmp_path)


def waiver(line: int, expires: datetime.date = datetime.date(2025, 12, 31),
           **selectors: str) -> Waiver:
    policy = selectors.pop("policy", "image-tag-pinned")
    if "file" in selectors:
        selectors["path"] = selectors.pop("file")
    return Waiver(policy=policy, reason=f"reason {line}", expires=expires, file=REL, line=line,
                  **selectors)


LLM = Finding(policy="image-tag-pinned", message="image tag latest", file="helm/llm/values.yaml",
              line=3, environment="stg", target="stg/plate-llm",
              resource="Deployment/plate-llm[model-server]", remediation="pin it")
WEB = Finding(policy="image-tag-pinned", message="image tag latest", file="helm/web/values.yaml",
              line=5, environment="prod", target="prod/plate-web",
              resource="Deployment/plate-web[web]", remediation="pin it")


def test_matching_unexpired_waiver_marks_the_finding_waived() -> None:
    result = apply_waivers([LLM, WEB], [waiver(2, target="stg/*", container="model-*")], TODAY)
    assert result == (
        Finding(**{**LLM.__dict__, "waived": "reason 2"}),
        WEB,
    )


def test_a_finding_of_several_containers_gives_the_first_waivers_reason() -> None:
    """Two waivers, one per container, together waive a finding that stands for both: its
    reason is the first one's in file order (docs/checks.md), whichever container it
    names."""
    both = dataclasses.replace(WEB, also=("Deployment/plate-web[migrate]",))
    waived = apply_waivers([both], [waiver(2, container="migrate"), waiver(6, container="web")],
                           TODAY)
    assert [finding.waived for finding in waived] == ["reason 2"]


def test_expired_waiver_is_an_error_and_waives_nothing() -> None:
    expired = waiver(7, expires=datetime.date(2025, 5, 31), target="stg/plate-llm")
    assert apply_waivers([LLM], [expired], TODAY) == (
        LLM,
        Finding(policy="waiver-expired", file=REL, line=7,
                message="waiver for image-tag-pinned (target=stg/plate-llm) expired on "
                        "2025-05-31: reason 7",
                remediation="Fix the findings the waiver covered and delete it, or renew it "
                            "with a new expiry date and an updated reason."),
    )


def test_waiver_applies_through_its_expiry_day() -> None:
    last_day = waiver(2, expires=TODAY)
    assert apply_waivers([WEB], [last_day], TODAY)[0].waived == "reason 2"


def test_waiver_that_matched_nothing_is_stale() -> None:
    stale = waiver(12, policy="pull-policy", resource="Deployment/plate-web")
    assert apply_waivers([WEB], [stale], TODAY) == (
        WEB,
        Finding(policy="waiver-stale", file=REL, line=12,
                message="waiver for pull-policy (resource=Deployment/plate-web) matched no "
                        "finding",
                remediation="Delete the waiver, or correct its policy and selectors."),
    )


def test_every_waiver_matching_a_finding_is_in_use() -> None:
    by_target = waiver(2, target="prod/plate-web")
    by_resource = waiver(9, resource="Deployment/plate-web")
    assert apply_waivers([WEB], [by_target, by_resource], TODAY) == (
        Finding(**{**WEB.__dict__, "waived": "reason 2"}),
    )


ALL = ["prod/plate-web", "prod/plate-api", "stg/plate-web"]


@pytest.mark.parametrize("selectors, checked, stale", [
    ({"target": "stg/*"}, ["prod/plate-web"], False),  # --env prod
    ({"target": "stg/*"}, ["stg/plate-web"], True),  # --env stg
    ({"target": "prod/*"}, ["prod/plate-web"], False),  # prod/plate-api was left out
    ({"target": "prod/plate-web"}, ["prod/plate-web"], True),
    ({"target": "prod/plate-wbe"}, ["prod/plate-web"], True),  # selects no target at all
    ({}, ["prod/plate-web", "prod/plate-api"], False),  # a waiver without target: every one
    ({"resource": "Deployment/x", "file": "helm/x/*"}, ["stg/plate-web"], False),
    ({}, ALL, True),
    ({"resource": "Deployment/x"}, ALL, True),
])
def test_a_partial_run_judges_only_waivers_whose_targets_it_checked(
        selectors: dict[str, str], checked: list[str], stale: bool) -> None:
    unused = waiver(4, policy="pull-policy", **selectors)
    result = apply_waivers([WEB], [unused], TODAY, checked_targets=checked,
                           repository_targets=lambda: ALL)
    assert [f.policy for f in result] == ["image-tag-pinned"] + ["waiver-stale"] * stale


def test_without_the_repository_targets_only_the_checked_ones_exist() -> None:
    assert [f.policy for f in apply_waivers([WEB], [waiver(4, target="stg/*")], TODAY,
                                            checked_targets=["prod/plate-web"])] == [
        "image-tag-pinned", "waiver-stale"]
    unknown = apply_waivers([WEB], [waiver(4, target="stg/*")], TODAY,
                            checked_targets=["prod/plate-web"], repository_targets=lambda: None)
    assert unknown == (WEB,)


@pytest.mark.parametrize("selectors, matches", [
    ({}, True),
    ({"target": "prod/*"}, True),
    ({"target": "stg/*"}, False),
    ({"resource": "Deployment/plate-*"}, True),
    ({"resource": "StatefulSet/*"}, False),
    ({"container": "web"}, True),
    ({"container": "sidecar"}, False),
    ({"file": "helm/web/*.yaml"}, True),
    ({"file": "helm/llm/*"}, False),
    ({"policy": "pull-policy"}, False),
])
def test_selectors(selectors: dict[str, str], matches: bool) -> None:
    assert waiver(1, **selectors).matches(WEB) is matches


def test_selector_on_a_field_the_finding_lacks_does_not_match() -> None:
    repo_wide = Finding(policy="image-tag-pinned", message="m", file="a.yaml", line=1)
    assert not waiver(1, target="*").matches(repo_wide)
    assert waiver(1, file="a.yaml").matches(repo_wide)


@pytest.mark.parametrize("resource, parts", [
    ("Deployment/web[nginx]", ("Deployment/web", "nginx")),
    ("Deployment/web", ("Deployment/web", None)),
    (None, (None, None)),
])
def test_split_resource(resource: str | None, parts: tuple[str | None, str | None]) -> None:
    assert split_resource(resource) == parts
