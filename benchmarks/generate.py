"""Write a synthetic Helm + Argo CD GitOps repository for benchmarks.

``N`` apps, each deployed to staging and production (``2 N`` render targets): one chart per
app under ``helm/apps/<app>`` (every fifth app a large chart: Deployment, Service, Ingress,
ConfigMap, HorizontalPodAutoscaler, PodDisruptionBudget and ServiceAccount; the others a small
one: Deployment, Service and ConfigMap), ``values-stg.yaml`` and ``values-prod.yaml`` next to
it, values shared by every app in ``environments/shared/common-values.yaml``, one Application
per app and environment under ``environments/apps/`` and an app-of-apps that syncs them. The
repository is clean under platecheck's policies, so a benchmark measures the work, not the
reporting of findings.

    python benchmarks/generate.py DIR --apps 50

``--crds K`` vendors K large CustomResourceDefinitions (about 300 KB of YAML each, an
operator's worth at 10) in the first app's ``crds/``, which helm renders into both of its
targets (each environment's own cluster), and one resource of the first kind in its
templates: the cost of a vendored operator chart.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENTS = ("stg", "prod")
CONFIG = """\
kubernetesVersion: "1.31.0"
environments:
  prod:
    production: true
    match: {names: ["*-prod"]}
  stg:
    match: {names: ["*-stg"]}
  platform:
    match: {names: [apps]}
policies:
  ingress-tls:
    options: {issuers: [letsencrypt-staging, letsencrypt-prod],
              productionIssuers: [letsencrypt-prod]}
  argocd-application:
    options:
      namespaces: {prod: ["*-prod"], stg: ["*-stg"], platform: [argocd]}
"""
COMMON = """\
# Shared by every app, before the environment's own values file.
global:
  partOf: synthetic
  imagePullSecrets:
    - name: registry-pull-secret
  revisionHistoryLimit: 5
"""
HELPERS = """\
{{- define "app.fullname" -}}
{{- .Values.fullnameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "app.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  revisionHistoryLimit: {{ .Values.global.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "app.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    spec:
      {{- with .Values.global.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.port }}
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          envFrom:
            - configMapRef:
                name: {{ include "app.fullname" . }}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "app.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: 80
      targetPort: http
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
data:
  {{- range $key, $value := .Values.settings }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
"""
LARGE = {
    "ingress.yaml": """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
  annotations:
    cert-manager.io/cluster-issuer: {{ .Values.ingress.issuer }}
spec:
  ingressClassName: nginx
  tls:
    - hosts: [{{ .Values.ingress.host | quote }}]
      secretName: {{ include "app.fullname" . }}-tls
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "app.fullname" . }}
                port:
                  name: http
""",
    "hpa.yaml": """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "app.fullname" . }}
  minReplicas: {{ .Values.replicaCount }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
""",
    "pdb.yaml": """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | nindent 6 }}
""",
    "serviceaccount.yaml": """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
automountServiceAccountToken: false
""",
}
APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {app}-{env}
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "{wave}"
spec:
  project: default
  source:
    repoURL: https://git.example.com/synthetic.git
    targetRevision: main
    path: helm/apps/{app}
    helm:
      valueFiles:
        - ../../../environments/shared/common-values.yaml
        - values-{env}.yaml
  destination:
    server: {server}
    namespace: {app}-{env}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    retry:
      limit: 3
"""
APP_OF_APPS = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: apps
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/synthetic.git
    targetRevision: main
    path: environments/apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    retry:
      limit: 3
"""


def values(app: str, env: str, large: bool, replicas: int = 2) -> str:
    """An environment's values file; ``replicas`` is what a benchmark changes."""
    prod = env == "prod"
    text = f"""\
replicaCount: {replicas}
image:
  repository: registry.example.com/{app}
  tag: "1.{len(app)}.0"
  pullPolicy: IfNotPresent
resources:
  requests: {{cpu: {"200m" if prod else "100m"}, memory: {"256Mi" if prod else "128Mi"}}}
  limits: {{cpu: {"500m" if prod else "200m"}, memory: {"512Mi" if prod else "256Mi"}}}
settings:
  LOG_LEVEL: {"info" if prod else "debug"}
  ENVIRONMENT: {env}
"""
    if large:
        issuer = "letsencrypt-prod" if prod else "letsencrypt-staging"
        text += f"""\
ingress:
  host: {app}.{env}.example.com
  issuer: {issuer}
autoscaling:
  maxReplicas: {6 if prod else 3}
"""
    return text


def chart_defaults(large: bool) -> str:
    text = """\
global:
  partOf: synthetic
  imagePullSecrets: []
  revisionHistoryLimit: 3
fullnameOverride: ""
replicaCount: 1
image:
  repository: registry.example.com/app
  tag: "0.0.0"
  pullPolicy: IfNotPresent
port: 8080
resources: {}
settings: {}
"""
    if large:
        text += "ingress:\n  host: app.example.com\n  issuer: letsencrypt-staging\n"
        text += "autoscaling:\n  maxReplicas: 3\n"
    return text


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def app_name(index: int) -> str:
    return f"app{index:04d}"


def is_large(index: int) -> bool:
    return index % 5 == 0


def crd(index: int, width: int = 10, depth: int = 3) -> str:
    """A CustomResourceDefinition of ``example.com/v1`` ``Widget<index>`` whose spec nests
    ``width`` described fields ``depth`` levels deep."""
    def level(remaining: int, path: str) -> dict[str, Any]:
        kinds = ("string", "integer", "boolean")
        properties: dict[str, Any] = {}
        for number in range(width):
            name = f"field{number:02d}"
            text = (f"{name} of {path or 'spec'}: what the operator does with it, written "
                    "out at the length real CRDs describe their fields in.")
            properties[name] = ({"type": "object", "description": text,
                                 "properties": level(remaining - 1, f"{path}.{name}")}
                                if remaining > 1 else
                                {"type": kinds[number % 3], "description": text})
        return properties

    kind = f"Widget{index:02d}"
    plural = f"{kind.lower()}s"
    document = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"kind": kind, "plural": plural},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object", "properties": level(depth, "")}}}}}]}}
    return yaml.safe_dump(document, sort_keys=False)


CUSTOM_RESOURCE = """apiVersion: example.com/v1
kind: Widget00
metadata:
  name: {{ include "app.fullname" . }}
spec:
  field00:
    field00:
      field00: configured
"""


IN_CLUSTER = "https://kubernetes.default.svc"


def _server(env: str) -> str:
    """Each environment's own cluster: an operator's CRDs are installed once per cluster."""
    return f"https://{env}.clusters.example.com"


def generate(root: Path, apps: int, crds: int = 0) -> list[Path]:
    """Write the repository under ``root`` (with ``crds`` vendored CRDs, see the module
    documentation); returns the value files, in app order."""
    write(root / "policies" / "platecheck.yaml", CONFIG)
    write(root / "environments" / "shared" / "common-values.yaml", COMMON)
    write(root / "environments" / "app-of-apps.yaml", APP_OF_APPS)
    value_files = []
    for index in range(apps):
        app, large = app_name(index), is_large(index)
        chart = root / "helm" / "apps" / app
        write(chart / "Chart.yaml", f"apiVersion: v2\nname: {app}\nversion: 0.1.0\n"
                                    f"appVersion: \"1.0.0\"\nicon: https://example.com/i.png\n")
        write(chart / "values.yaml", chart_defaults(large))
        write(chart / "templates" / "_helpers.tpl", HELPERS)
        write(chart / "templates" / "deployment.yaml", DEPLOYMENT)
        write(chart / "templates" / "service.yaml", SERVICE)
        write(chart / "templates" / "configmap.yaml", CONFIGMAP)
        if large:
            for name, text in LARGE.items():
                write(chart / "templates" / name, text)
        if index == 0 and crds:
            for number in range(crds):
                write(chart / "crds" / f"widget{number:02d}.yaml", crd(number))
            write(chart / "templates" / "widget.yaml", CUSTOM_RESOURCE)
        for env in ENVIRONMENTS:
            write(chart / f"values-{env}.yaml", values(app, env, large))
            value_files.append(chart / f"values-{env}.yaml")
            write(root / "environments" / "apps" / f"{app}-{env}.yaml",
                  APPLICATION.format(app=app, env=env, wave=index % 3,
                                     server=_server(env) if index == 0 and crds else IN_CLUSTER))
    return value_files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--apps", type=int, default=50, help="apps (targets: twice this)")
    parser.add_argument("--crds", type=int, default=0,
                        help="large CRDs vendored in the first app's chart")
    args = parser.parse_args()
    generate(args.directory, args.apps, args.crds)
    print(f"{args.directory}: {args.apps} apps, {2 * args.apps} targets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
