"""Hand-built Reports for the reporter tests: reporters are pure functions over findings, so
these stand in for lint runs."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from platecheck.model import (
    Application,
    Chart,
    Finding,
    Level,
    PolicyInfo,
    RenderTarget,
    Report,
    Source,
    ValuesFile,
)
from platecheck.policies import describe, registry

ROOT = Path("/srv/gitops")
WEB_CHART = Chart(
    path=ROOT / "helm/applications/plate-web",
    rel="helm/applications/plate-web",
    name="plate-web",
    version="0.1.0",
    api_version="v2",
    metadata={"name": "plate-web", "version": "0.1.0"},
)
PROD_VALUES = "helm/applications/plate-web/values-prod.yaml"
STG_VALUES = "helm/applications/plate-web/values-stg.yaml"


def application(name: str, env: str) -> Application:
    return Application(
        name=name,
        file=f"environments/argocd/apps/{name}.yaml",
        line=1,
        namespace="argocd",
        labels={"environment": env},
        annotations={},
        project="default",
        destination_namespace=f"plate-{env}",
        destination_server="https://kubernetes.default.svc",
        sources=(),
        sync_policy={"automated": {"prune": True}},
        ignore_differences=(),
        raw={"metadata": {"name": name, "labels": {"environment": env}}},
        lines={("metadata", "name"): 4},
    )


def target(env: str, app: str, *, remote: bool = False) -> RenderTarget:
    values = ValuesFile(
        path=ROOT / f"helm/applications/{app}/values-{env}.yaml",
        rel=f"helm/applications/{app}/values-{env}.yaml",
        data={"image": {"tag": "1.2.3"}},
        lines={("image",): 1, ("image", "tag"): 2},
    )
    source = Source(
        repo_url="https://charts.example.org",
        target_revision="4.5.6",
        path=None,
        chart=app,
        ref=None,
        helm=None,
        directory=None,
    )
    return RenderTarget(
        id=f"{env}/{app}",
        environment=env,
        app=app,
        application=application(f"{app}-{env}", env),
        chart=None if remote else WEB_CHART,
        release_name=app,
        namespace=f"plate-{env}",
        value_files=() if remote else (values,),
        remote=source if remote else None,
        production=env == "prod",
    )


PROD_WEB = target("prod", "plate-web")
PROD_API = target("prod", "plate-api")
STG_WEB = target("stg", "plate-web")
PROD_REDIS = target("prod", "plate-cache", remote=True)
# Every registered policy as a report describes it, at its built-in level.
REGISTERED = tuple(describe(module) for module in registry().values())
POLICIES = tuple(p for p in REGISTERED if p.id in ("image-tag-pinned", "pull-policy"))

TAG = Finding(
    policy="image-tag-pinned",
    message='container nginx of Deployment/plate-web uses floating tag "latest"',
    file=PROD_VALUES,
    line=12,
    level=Level.ERROR,
    environment="prod",
    target="prod/plate-web",
    resource="Deployment/plate-web[nginx]",
    remediation="pin the image to a release tag or a digest",
)
PULL = Finding(
    policy="pull-policy",
    message="container nginx of Deployment/plate-web has imagePullPolicy Always",
    file=PROD_VALUES,
    line=14,
    level=Level.WARNING,
    environment="prod",
    target="prod/plate-web",
    resource="Deployment/plate-web[nginx]",
    remediation="set imagePullPolicy: IfNotPresent",
)
STG_TAG = Finding(
    policy="image-tag-pinned",
    message='container nginx of Deployment/plate-web uses floating tag "main"',
    file=STG_VALUES,
    line=3,
    level=Level.ERROR,
    environment="stg",
    target="stg/plate-web",
    resource="Deployment/plate-web[nginx]",
    remediation="pin the image to a release tag or a digest",
    waived="staging follows the main branch until 2030-01-01",
)
DUPLICATE = Finding(
    policy="yaml-hygiene",
    message='duplicate key "image" (first at line 2)',
    file=STG_VALUES,
    line=9,
    remediation="remove one of the two keys",
)
RENDER_FAILED = Finding(
    policy="render",
    message="helm template failed:\nError: template: plate-api/templates/deployment.yaml:7: boom",
    file="environments/argocd/apps/plate-api-prod.yaml",
    line=1,
    environment="prod",
    target="prod/plate-api",
    detail=(
        "walk.go:75: found symbolic link in path\n"
        "Error: template: plate-api/templates/deployment.yaml:7: boom\n"
        "\n"
        "Use --debug flag to render out invalid YAML\n"
    ),
)


def report(
    findings: tuple[Finding, ...] = (),
    *,
    targets: tuple[RenderTarget, ...] = (PROD_WEB, PROD_API, STG_WEB),
    policies: tuple[PolicyInfo, ...] = POLICIES,
    errors: tuple[Finding, ...] = (),
    renders: int = 0,
    cache_hits: int = 0,
) -> Report:
    return Report(
        root=ROOT,
        findings=findings,
        targets=targets,
        policies=policies,
        errors=errors,
        renders=renders,
        cache_hits=cache_hits,
    )


UNICODE = Finding(
    policy="ingress-tls",
    message='host "plate.예시.kr" has no TLS <spec.tls> & "quotes" \x1b[31mred\x1b[0m \x00 ✓',
    file="helm/ingress/values prod.yaml",
    line=5,
    environment="prod",
    target="prod/plate-web",
    resource="Ingress/plate-web",
    remediation="add spec.tls with hosts: [plate.예시.kr] & a secretName",
)
NO_FILE = Finding(
    policy="env-consistency",
    message="plate-llm is deployed to stg only",
    environment=None,
    target=None,
    remediation="declare it in policies/platecheck.yaml with a reason",
)
NO_LINE = Finding(
    policy="ingress-tls",
    message="no ClusterIssuer named letsencrypt-prod",
    file="helm/ingress/templates/issuer.yaml",
    environment="prod",
    target="prod/plate-web",
    level=Level.INFO,
    remediation="define the issuer",
)
ORPHAN = Finding(
    policy="argocd-application",
    message="Application plate-old-prod is not reachable from the app-of-apps",
    file="environments/argocd/apps/plate-old-prod.yaml",
    line=1,
    environment="prod",
    target="prod/plate-old",  # not a planned target
    remediation="reference it from the app-of-apps or delete it",
)
ENV_ONLY = Finding(
    policy="env-consistency",
    message="values key resources.limits.gpu exists only in stg",
    file=STG_VALUES,
    line=20,
    environment="stg",
    level=Level.WARNING,
    remediation="add the key to values-prod.yaml or allow the difference",
)
OFF = Finding(policy="pull-policy", message="never shown", level=Level.OFF, file="x.yaml", line=1)

SAMPLES: dict[str, Report] = {
    "empty": Report(root=ROOT, findings=(), targets=(), policies=()),
    "clean": report(),
    "one-error": report((TAG,)),
    "mixed": report((TAG, PULL, STG_TAG, DUPLICATE, NO_LINE), errors=(RENDER_FAILED,)),
    "all-waived": report((STG_TAG,)),
    "errors-only": report(errors=(RENDER_FAILED,), policies=()),
    "unicode-and-markup": report((UNICODE,)),
    "odd-places": report((NO_FILE, ORPHAN, ENV_ONLY, OFF, NO_LINE)),
    "remote": report((TAG,), targets=(PROD_WEB, PROD_REDIS)),
    "counted": report((TAG, STG_TAG), renders=2, cache_hits=1),
}


def fake_policy(
    policy_id: str,
    doc: str,
    *,
    summary: str,
    remediation: str = "",
    scope: str = "target",
) -> ModuleType:
    """A stand-in policy module with the registry's contract (ID, SUMMARY, SCOPE,
    REMEDIATION, docstring; its built-in level is error)."""
    module = ModuleType(f"platecheck.policies.{policy_id.replace('-', '_')}", doc)
    module.ID = policy_id  # type: ignore[attr-defined]
    module.SUMMARY = summary  # type: ignore[attr-defined]
    module.SCOPE = scope  # type: ignore[attr-defined]
    module.REMEDIATION = remediation  # type: ignore[attr-defined]
    return module


TAG_DOC = """Production images carry a fixed tag or a digest.

What:
    Every container and init container image of a production target has an explicit tag
    that is not floating, or a digest.

Why:
    A floating tag deploys whatever was pushed last.

Options:
    floatingTags: tags treated as floating (default: latest, main, master)

Passes:
    image: nginx:1.27.0

Fails:
    image: nginx:latest
"""

REPO_DOC = """## What
Every Application is reachable from the app-of-apps.

## Why
An orphan Application is never deployed.

## Options
None.

## Passes
An app-of-apps that lists every file.

## Fails
A file the app-of-apps does not reach.
"""

FAKE_MODULES = {
    "image-tag-pinned": fake_policy(
        "image-tag-pinned",
        TAG_DOC,
        summary="production images have a fixed tag or a digest",
        remediation="pin the image to a release tag or a digest",
    ),
    "pull-policy": fake_policy(
        "pull-policy",
        "What: the effective imagePullPolicy is IfNotPresent in production.\n\nWhy: x\n",
        summary="production pulls images IfNotPresent",
    ),
    "argocd-application": fake_policy(
        "argocd-application", REPO_DOC, summary="Applications are sound", scope="repo"
    ),
}


def schema_path(name: str) -> Path:
    """A published schema kept under tests/schemas (origins and licences in its README)."""
    path = Path(__file__).resolve().parent / "schemas" / name
    if not path.exists():
        raise FileNotFoundError(f"{name} not found in {path.parent}")
    return path

# Stand-in policies as a report carries them.
FAKE_POLICIES = tuple(describe(module) for module in FAKE_MODULES.values())
