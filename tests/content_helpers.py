"""Small readers used by test_content.py: Argo CD Applications, quantities, YAML hygiene.

Deliberately independent of platecheck's engine, so that the repository's content is checked
by a second, simpler reading of the same files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
ARGOCD_DIR = REPO_ROOT / "environments" / "argocd"
APPS_DIR = ARGOCD_DIR / "apps"
APP_OF_APPS = ARGOCD_DIR / "app-of-apps.yaml"
COMMON_VALUES = REPO_ROOT / "environments" / "shared" / "common-values.yaml"
# The one Git URL of this repository, as the platform documents name it.
REPO_URL = "https://github.com/kimjoongwon/prj-devops.git"

ENVIRONMENTS = {"staging": "stg", "production": "prod"}


@dataclass(frozen=True)
class ManifestApp:
    """An Argo CD Application as written in the repository."""

    file: Path
    doc: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.doc["metadata"]["name"])

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.doc["metadata"].get("labels") or {})

    @property
    def env(self) -> str | None:
        """``stg``/``prod`` from the environment label, None for platform Applications."""
        return ENVIRONMENTS.get(self.labels.get("environment", ""))

    @property
    def sources(self) -> list[dict[str, Any]]:
        spec = self.doc["spec"]
        if "sources" in spec:
            return list(spec["sources"])
        return [spec["source"]]

    @property
    def namespace(self) -> str:
        return str(self.doc["spec"]["destination"]["namespace"])

    @property
    def wave(self) -> int:
        annotations = self.doc["metadata"].get("annotations") or {}
        return int(annotations.get("argocd.argoproj.io/sync-wave", "0"))


@dataclass(frozen=True)
class RenderTarget:
    """A local chart rendered the way Argo CD renders one Application."""

    app: str
    env: str | None
    chart: Path
    release: str
    namespace: str
    value_files: tuple[Path, ...]


def load_applications() -> list[ManifestApp]:
    """Every Application document in a YAML file under environments/argocd/."""
    apps = []
    for path in sorted(ARGOCD_DIR.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Application":
                apps.append(ManifestApp(path, doc))
    return apps


def is_local(source: dict[str, Any]) -> bool:
    return source.get("repoURL") == REPO_URL


def resolve_value_file(app: ManifestApp, source: dict[str, Any], value_file: str) -> Path:
    """Where Argo CD reads a helm value file from: ``$ref/...`` from the ref'd repository
    root, anything else relative to the chart directory of the source."""
    if value_file.startswith("$"):
        ref, _, rest = value_file[1:].partition("/")
        refs = [s for s in app.sources if s.get("ref") == ref]
        if len(refs) != 1 or not is_local(refs[0]):
            raise ValueError(
                f"{app.name}: {value_file}: no source of this repository has ref {ref}"
            )
        return (REPO_ROOT / rest).resolve()
    return (REPO_ROOT / source["path"] / value_file).resolve()


def render_targets(apps: list[ManifestApp]) -> list[RenderTarget]:
    """One target per Application source that is a chart in this repository."""
    targets = []
    for app in apps:
        for source in app.sources:
            if not is_local(source) or "path" not in source:
                continue
            chart = REPO_ROOT / source["path"]
            if not (chart / "Chart.yaml").is_file():
                continue  # a directory of manifests, e.g. the app-of-apps
            helm = source.get("helm") or {}
            files = tuple(resolve_value_file(app, source, f) for f in helm.get("valueFiles", []))
            targets.append(
                RenderTarget(
                    app=app.name,
                    env=app.env,
                    chart=chart,
                    release=helm.get("releaseName", app.name),
                    namespace=app.namespace,
                    value_files=files,
                )
            )
    return targets


_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)")


def parse_quantity(value: object) -> Decimal:
    """A Kubernetes resource quantity (``500m``, ``1Gi``, ``2``) as a Decimal.

    https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
    """
    text = str(value).strip()
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    number, suffix = Decimal(match.group(1)), match.group(2)
    if suffix in _BINARY_SUFFIXES:
        return number * _BINARY_SUFFIXES[suffix]
    return number * _DECIMAL_SUFFIXES[suffix]


def yaml_problems(text: str) -> list[str]:
    """Duplicate keys, tabs, and plain scalars that YAML 1.1 reads as something else
    (``on``/``yes`` as booleans, ``0755`` as octal, ``22:22`` as base 60, dates, ``1.25``
    as a number), each as ``line N: message``."""
    problems = [
        f"line {number}: tab character"
        for number, line in enumerate(text.splitlines(), start=1)
        if "\t" in line
    ]
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if node is not None:
            problems.extend(_node_problems(node))
    return problems


def _node_problems(node: yaml.Node) -> list[str]:
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    first = seen[key.value]
                    problems.append(
                        f"line {line}: duplicate key {key.value!r} (first on line {first})"
                    )
                seen.setdefault(key.value, line)
            problems.extend(_node_problems(key))
            problems.extend(_node_problems(value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems.extend(_node_problems(item))
    elif isinstance(node, yaml.ScalarNode) and node.style is None:
        problem = _ambiguous_plain_scalar(node.tag, node.value)
        if problem:
            problems.append(f"line {node.start_mark.line + 1}: {node.value!r} {problem}; quote it")
    return problems


def _ambiguous_plain_scalar(tag: str, value: str) -> str | None:
    kind = tag.rsplit(":", 1)[-1]
    if kind == "bool" and value not in ("true", "false"):
        return "is a YAML 1.1 boolean"
    if kind == "int" and not re.fullmatch(r"-?(0|[1-9][0-9]*)", value):
        return "is a YAML 1.1 octal, hex or base-60 number"
    if kind == "float":
        return "is read as a number (a version or a base-60 value?)"
    if kind == "timestamp":
        return "is read as a date"
    return None
