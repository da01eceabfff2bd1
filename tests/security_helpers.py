"""Small hostile repositories for the security tests: one chart, one Application."""

from __future__ import annotations

import shutil
from pathlib import Path

BROKEN = Path(__file__).parent / "fixtures" / "repos" / "broken"

# One Application; ``extra`` holds the source's type-specific keys, indented under source.
APP_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
spec:
  project: default
  source:
    repoURL: https://git.example.com/platform.git
    path: {path}
{extra}  destination:
    server: https://kubernetes.default.svc
    namespace: web-prod
"""
APP = APP_TEMPLATE.replace("{extra}", "    helm:\n      valueFiles: [values-prod.yaml]\n")
CHART = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n"
TOKEN = "ghp_platecheckSecretToken0123456789"
GIT_CONFIG = f"[http]\n\textraheader = AUTHORIZATION: basic {TOKEN}\n"


def make_repo(root: Path, *, chart_path: str = "charts/web", data: str = "  a: b\n",
              values: str = "a: 1\n", config: str = "") -> Path:
    """A repository with ``.git/config`` holding a token, the chart at ``chart_path`` (``.``
    for the repository root), its ConfigMap template's ``data:`` lines and its prod values."""
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text(GIT_CONFIG)
    shutil.copytree(BROKEN / "policies", root / "policies")
    if config:
        with (root / "policies" / "platecheck.yaml").open("a") as stream:
            stream.write(config)
    chart = root / chart_path
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(CHART)
    (chart / "values.yaml").write_text("a: 0\n")
    (chart / "values-prod.yaml").write_text(values)
    (chart / "templates" / "cm.yaml").write_text(CONFIGMAP + data)
    (root / "apps").mkdir()
    (root / "apps" / "web.yaml").write_text(APP.format(path=chart_path))
    return chart


CRD_TEMPLATE = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.example.com
spec:
  group: example.com
  names: {{kind: {kind}, plural: {plural}}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              {field}:
                type: string
{constraint}"""


def add_crd(chart: Path, kind: str, field: str, constraint: str,
            resources: list[tuple[str, str]]) -> None:
    """A CustomResourceDefinition of ``example.com/v1`` ``kind`` in the chart's ``crds/``: one
    string field ``spec.<field>``, constrained by ``constraint`` (its YAML lines, written as
    they stand under the field), and a template rendering one resource per (name, value)."""
    plural = f"{kind.lower()}s"
    (chart / "crds").mkdir()
    (chart / "crds" / f"{plural}.yaml").write_text(CRD_TEMPLATE.format(
        kind=kind, plural=plural, field=field, constraint=constraint), encoding="utf-8")
    (chart / "templates" / f"{plural}.yaml").write_text("".join(
        f"---\napiVersion: example.com/v1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n"
        f"  {field}: {value}\n" for name, value in resources), encoding="utf-8")
