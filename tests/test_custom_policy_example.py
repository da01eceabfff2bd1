"""An example of a team's own policy, written as plain pytest tests with platecheck's fixtures.

Rule: every Service port is named, and its targetPort is a port that a container of the Pods
the Service selects declares (by name, or by number). A Service whose targetPort names no
container port routes traffic nowhere, and nothing in Kubernetes rejects it.

The first test holds this repository's own charts to the rule in each environment; the
second shows the rule catching a deliberately broken chart (tests/fixtures/ci/bad-ports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from platecheck.model import RenderedTarget, Resource

BAD_PORTS = Path(__file__).parent / "fixtures" / "ci" / "bad-ports"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


def _pod_templates(target: RenderedTarget) -> Iterator[tuple[Mapping[str, Any], list[Any]]]:
    """(pod labels, containers) of every workload in the target."""
    for resource in target.resources:
        if resource.kind in WORKLOADS:
            template = resource.doc.get("spec", {}).get("template", {})
            labels = template.get("metadata", {}).get("labels") or {}
            yield labels, template.get("spec", {}).get("containers") or []


def _where(service: Resource) -> str:
    return service.template_file or service.template or service.ref


def service_port_problems(target: RenderedTarget) -> list[str]:
    pods = list(_pod_templates(target))
    problems = []
    for service in (r for r in target.resources if r.kind == "Service"):
        spec = service.doc.get("spec", {})
        selector: Mapping[str, Any] = spec.get("selector") or {}
        if not selector:
            continue  # no selector: endpoints are managed by hand
        selected = [containers for labels, containers in pods
                    if selector.items() <= dict(labels).items()]
        where = f"{target.id}: {service.ref} ({_where(service)})"
        if not selected:
            problems.append(f"{where}: selects no Pod of this target ({dict(selector)})")
            continue
        ports = [p for containers in selected for c in containers for p in c.get("ports") or []]
        names = {p["name"] for p in ports if "name" in p}
        numbers = {p["containerPort"] for p in ports}
        for port in spec.get("ports") or []:
            if not port.get("name"):
                problems.append(f"{where}: port {port.get('port')} has no name")
            wanted = port.get("targetPort", port.get("port"))
            if wanted not in (names if isinstance(wanted, str) else numbers):
                problems.append(f"{where}: targetPort {wanted!r} of port "
                                f"{port.get('name') or port.get('port')} is not a container "
                                f"port of the Pods it selects")
    return problems


@pytest.fixture(scope="session", autouse=True)
def _helm_for_the_fixtures(helm_bin: Path) -> None:
    """platecheck's fixtures render with the helm the suite uses."""


@pytest.mark.parametrize("rendered", ["prod", "stg"], indirect=True)
def test_every_service_port_reaches_a_container_port(rendered: list[RenderedTarget]) -> None:
    services = [r for target in rendered for r in target.resources if r.kind == "Service"]
    assert services, "the environment has Services to check"
    assert [p for target in rendered for p in service_port_problems(target)] == []


def test_the_rule_catches_ports_that_reach_nothing(
        platecheck_targets: Callable[..., list[RenderedTarget]]) -> None:
    bad = platecheck_targets("prod", path=BAD_PORTS)
    where = "prod/shop: Service/shop-prod (charts/shop/templates/service.yaml)"
    assert [p for target in bad for p in service_port_problems(target)] == [
        f"{where}: targetPort 'web' of port http is not a container port of the Pods it "
        "selects",
        f"{where}: port 9090 has no name",
        f"{where}: targetPort 9091 of port admin is not a container port of the Pods it "
        "selects",
        "prod/shop: Service/shop-prod-old (charts/shop/templates/service.yaml): selects no Pod "
        "of this target ({'app': 'shop-prod-v1'})",
    ]
