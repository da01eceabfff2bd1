"""Writing test repositories: the benchmarks' generator (benchmarks/generate.py), for tests
that need a clean generated GitOps repository, and small trees given file by file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"


def generate(root: Path, apps: int) -> list[Path]:
    """Write ``apps`` apps x stg/prod under ``root``; returns their values files."""
    spec = importlib.util.spec_from_file_location("platecheck_bench_generate", _GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files: list[Path] = module.generate(root, apps)
    return files


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write each ``relative path -> text`` of ``files`` under ``root``, making directories as
    needed; returns ``root``."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root



CHART_C = "apiVersion: v2\nname: c\nversion: 0.1.0\n"  # a chart named c


def repository(tmp_path: Path, files: dict[str, str]) -> Path:
    """A repository at ``tmp_path / "repo"``, marked by ``.git``, holding ``files``."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return write_files(root, files)


def application(name: str, path: str, namespace: str, *, source_extra: str = "",
                repo: str = "https://git.example.com/repo.git") -> str:
    """An Argo CD Application of one Git source at ``path``, deployed to ``namespace``;
    ``source_extra``: more lines of the source (a ``helm:`` or ``kustomize:`` block),
    indented under it."""
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
            f"  name: {name}\n  namespace: argocd\nspec:\n  project: default\n"
            f"  source:\n    repoURL: {repo}\n    path: {path}\n{source_extra}"
            f"  destination:\n    server: https://kubernetes.default.svc\n"
            f"    namespace: {namespace}\n")


# a Deployment of web up to its pod spec
WEB_POD_SPEC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
"""

def application_set(name: str, generators: str, app_name: str, path: str, namespace: str,
                    *, server: str = "https://kubernetes.default.svc", go: bool = False) -> str:
    """An ApplicationSet of ``generators`` (YAML lines under ``generators:``, indented four
    spaces) whose template makes ``app_name`` of one Git source at ``path`` of this
    repository, deployed to ``server`` and ``namespace`` (Go templates with ``go``)."""
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
            f"  name: {name}\nspec:\n" + ("  goTemplate: true\n" if go else "")
            + f"  generators:\n{generators}  template:\n    metadata:\n"
            f"      name: '{app_name}'\n    spec:\n      project: default\n      source:\n"
            f"        repoURL: https://git.example.com/repo.git\n        path: '{path}'\n"
            f"      destination:\n        server: '{server}'\n        namespace: '{namespace}'\n")


def ref_values_application(name: str, chart: str, value_file: str, ref_repo: str) -> str:
    """An Application of two sources: ``chart`` (1.0.0) of a Helm repository, reading
    ``value_file`` (``$<ref>/...``) through a ref source of ``ref_repo``; deployed to the
    namespace ``name``."""
    ref = value_file[1:].split("/", 1)[0]
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, "
            f"namespace: argocd}}\nspec:\n  project: default\n  sources:\n"
            f"    - repoURL: https://charts.example.com\n      chart: {chart}\n"
            f"      targetRevision: 1.0.0\n      helm:\n        valueFiles: [{value_file}]\n"
            f"    - repoURL: {ref_repo}\n      ref: {ref}\n"
            f"  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}\n")


# the .git/config of a checkout whose origin is the repoURL ``application`` writes
ORIGIN = '[remote "origin"]\n\turl = https://git.example.com/repo.git\n'
# a Pod of a floating tag (image-tag-pinned's finding at its image line, 7) and a ConfigMap
POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
       "    - name: c\n      image: nginx:latest\n")
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


# A CustomResourceDefinition of example.com/v1 Cache; ``%`` fills its ``spec`` schema (YAML lines
# indented under ``spec:``).
CACHE_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: caches.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Cache, plural: caches}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
%s"""
