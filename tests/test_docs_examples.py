"""Docs and behaviour agree: every configuration example in README.md and docs/ loads, and
each not-rendered fix is advice its source type can follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from platecheck.model import Application, RenderTarget, RepoModel, Source, SourceType
from platecheck.policies import PolicyOptions, configuration, not_rendered, registry

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# what makes a YAML block a platecheck.yaml example (waivers.yaml examples start "waivers:")
_CONFIG_KEYS = {"kubernetesVersion", "apiVersions", "environments", "policies", "renderTimeout",
                "jobs"}
_FENCE = re.compile(r"^```(?:ya?ml)?\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for number, match in enumerate(_FENCE.finditer(text), start=1):
            try:
                data = yaml.safe_load(match.group(1))
            except yaml.YAMLError:
                data = None
            if isinstance(data, dict) and set(data) & _CONFIG_KEYS:
                found.append((f"{doc.name}#{number}", match.group(1)))
    return found


EXAMPLES = _examples()


def test_the_docs_have_configuration_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("name, text", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_configuration_example_loads(name: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "platecheck.yaml").write_text(text, encoding="utf-8")
    config = configuration(tmp_path)  # raises, naming the file and line, on any mistake
    assert config.environments


# -- each fix fits its source ------------------------------------------------------------------

def _target(kind: str, source_type: SourceType | None, **source: str) -> RenderTarget:
    spec = Source(repo_url=source.get("repo_url", "https://example.com/gitops.git"),
                  target_revision="HEAD", path=source.get("path"), chart=source.get("chart"),
                  ref=None, helm=None, directory=None, line=9)
    app = Application(name="a-prod", file="apps/a.yaml", line=1, namespace=None, labels={},
                      annotations={}, project=None, destination_namespace="a-prod",
                      destination_server=None, sources=(spec,), sync_policy=None,
                      ignore_differences=(), raw={"kind": kind})
    return RenderTarget(id="prod/a", environment="prod", app="a", application=app, chart=None,
                        release_name="a", namespace="a-prod", value_files=(), remote=spec,
                        source_type=source_type)


@pytest.mark.parametrize("target, vendoring", [
    (_target("Application", SourceType.HELM, chart="redis",
             repo_url="https://charts.example.com"), True),
    (_target("Application", SourceType.HELM, repo_url="oci://registry.example.com/redis"), True),
    (_target("Application", SourceType.KUSTOMIZE, path="deploy/overlays/prod"), False),
    (_target("Application", SourceType.DIRECTORY, path="deploy/manifests"), False),
    (_target("Application", SourceType.PLUGIN, path="deploy/cmp"), False),
    (_target("ApplicationSet", SourceType.HELM, path="helm/web"), False),
], ids=["remote-chart", "oci-artifact", "kustomize", "directory", "plugin", "applicationset"])
def test_not_rendered_fix_fits_the_source(target: RenderTarget, vendoring: bool) -> None:
    [finding] = not_rendered.check(_repo(target), PolicyOptions(default=not_rendered.Options()))
    # only a chart or an OCI artifact from another repository can be vendored into this one
    assert ("Vendor " in finding.remediation) is vendoring


def _repo(target: RenderTarget) -> RepoModel:
    return RepoModel(root=REPO, applications=(), app_of_apps=(), charts=(), targets=(target,),
                     rendered=(), yaml_files=())


def test_the_precision_table_covers_every_policy() -> None:
    text = (REPO / "docs" / "policies.md").read_text(encoding="utf-8")
    table = text.split("## Precision", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", table, re.MULTILINE)
    assert listed == list(registry())
