"""Schema validation cost: platecheck's cached validators vs kubernetes_validate.validate.

    PYTHONPATH=src python benchmarks/bench_schema.py [-n 300] [--repo PATH]

Validates the same N resources both ways in one run and prints the time per resource and the
ratio. Resources are a realistic mix (Deployment, Service, Ingress, ConfigMap, HPA, PDB,
ServiceAccount) repeated to N, or, with --repo, what platecheck renders for that repository.
``kubernetes_validate.validate`` reloads and re-resolves the schema files on every call; the
cached path builds one validator per (version, apiVersion, kind) and reuses it. The cached
figure includes building those validators (cold start).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]

from platecheck import schema_problems, schemas

VERSION = "1.31.0"

SAMPLE: list[dict[str, Any]] = [
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "web", "labels": {"app": "web"}},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
              "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{
                               "name": "web", "image": "registry.example.com/web:1.4.2",
                               "imagePullPolicy": "IfNotPresent",
                               "ports": [{"name": "http", "containerPort": 8080}],
                               "env": [{"name": "MODE", "value": "production"}],
                               "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                             "limits": {"cpu": "500m", "memory": "256Mi"}},
                               "readinessProbe": {"httpGet": {"path": "/ready",
                                                              "port": "http"}}}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"},
              "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": {"name": "web", "annotations": {
         "cert-manager.io/cluster-issuer": "letsencrypt-prod"}},
     "spec": {"ingressClassName": "nginx",
              "tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}],
              "rules": [{"host": "web.example.com", "http": {"paths": [{
                  "path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"},
     "data": {"LOG_LEVEL": "info"}},
    {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
     "metadata": {"name": "web"},
     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
              "minReplicas": 2, "maxReplicas": 5,
              "metrics": [{"type": "Resource", "resource": {
                  "name": "cpu", "target": {"type": "Utilization",
                                            "averageUtilization": 70}}}]}},
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
     "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"}},
]


def sample(count: int) -> list[Mapping[str, Any]]:
    return [SAMPLE[i % len(SAMPLE)] for i in range(count)]


def from_repo(path: str, count: int) -> list[Mapping[str, Any]]:
    from platecheck.engine import load

    docs = [r.doc for rendered in load(path).rendered for r in rendered.resources
            if r.kind and r.api_version]
    kube = [d for d in docs if schemas.kubernetes_validator(
        schemas.resolve_version(VERSION), str(d["apiVersion"]), str(d["kind"])) is not None]
    if not kube:
        raise SystemExit(f"{path}: no rendered Kubernetes resources")
    return [kube[i % len(kube)] for i in range(max(count, len(kube)))]


def cached(docs: list[Mapping[str, Any]], cold: bool) -> float:
    if cold:  # also reload the definitions file
        schemas.kubernetes_validator.cache_clear()
        schemas._k8s_registry.cache_clear()
    start = time.perf_counter()
    version = schemas.resolve_version(VERSION)
    for doc in docs:
        validator = schemas.kubernetes_validator(version, doc["apiVersion"], doc["kind"])
        assert validator is not None
        schema_problems.problems(validator, doc)
    return time.perf_counter() - start


def per_call(docs: list[Mapping[str, Any]]) -> float:
    start = time.perf_counter()
    for doc in docs:
        kubernetes_validate.validate(dict(doc), VERSION, strict=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="resources to validate (default 300)")
    parser.add_argument("--repo", help="validate what platecheck renders for this repository")
    args = parser.parse_args()
    docs = from_repo(args.repo, args.n) if args.repo else sample(args.n)
    kinds = len({(d["apiVersion"], d["kind"]) for d in docs})
    fast = cached(docs, cold=True)
    warm = cached(docs, cold=False)
    slow = per_call(docs)
    count = len(docs)
    print(f"{count} resources, {kinds} kinds, Kubernetes {VERSION}")
    for label, seconds in (("platecheck, cold (incl. loading)", fast),
                           ("platecheck, validators built", warm),
                           ("kubernetes_validate.validate", slow)):
        print(f"  {label:<34} {seconds:8.3f} s  {seconds / count * 1000:7.2f} ms/resource")
    print(f"  ratio per-call / cached (cold)     {slow / fast:8.1f} x")
    print(f"  ratio per-call / cached (warm)     {slow / warm:8.1f} x")


if __name__ == "__main__":
    main()
