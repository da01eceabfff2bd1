"""A whole ``platecheck lint`` run over an Application that uses what Argo CD resolves beyond
plain files: glob value files, ``$ARGOCD_APP_*`` in a value file name, an override file,
parameters, a ``--set-file`` and a ``file://`` dependency. Nothing is reported as missing,
the checked repository is not written, and findings point at the parameter that set a field.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.model import Origin

pytestmark = pytest.mark.usefixtures("helm_bin")  # PLATECHECK_HELM for the run
BASE = Path(__file__).parent / "base"

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app
spec:
  project: default
  source:
    repoURL: https://git.example.com/gitops.git
    targetRevision: main
    path: charts/app
    helm:
      valueFiles: ["env/*.yaml", "values-$ARGOCD_APP_NAME.yaml"]
      parameters:
        - name: image.tag
          value: "1.2.3"
        - name: "list[0]"
          value: x
      fileParameters:
        - {name: config, path: config.txt}
  destination:
    server: https://kubernetes.default.svc
    namespace: app-ns
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    chart = root / "charts" / "app"
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        "  - {name: common, version: 0.2.0, repository: 'file://../common'}\n")
    (root / "charts" / "common" / "templates").mkdir(parents=True)
    (root / "charts" / "common" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: common\nversion: 0.2.0\n")
    (root / "charts" / "common" / "templates" / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: common}\n")
    (chart / "env").mkdir()
    (chart / "env" / "a.yaml").write_text("fromGlob: a\n")
    (chart / "values-app.yaml").write_text("image:\n  repository: r\n  tag: from-file\n")
    (chart / "config.txt").write_text("config")
    (chart / ".argocd-source-app.yaml").write_text("helm:\n  skipTests: true\n")
    (root / "apps").mkdir()
    (root / "apps" / "app.yaml").write_text(APPLICATION)
    return root.resolve()


def test_everything_resolves_and_nothing_is_written(repo: Path, tmp_path: Path) -> None:
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    model = load(repo / "apps", cache_dir=tmp_path / "cache", use_cache=False)
    assert model.errors == ()
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before
    [rendered] = model.rendered
    kinds = [r.kind for r in rendered.resources]
    assert kinds == ["CustomResourceDefinition", "Secret", "ConfigMap"]  # no test Pod
    assert [v.rel for v in rendered.target.value_files] == ["charts/app/env/a.yaml",
                                                            "charts/app/values-app.yaml"]
    origins = rendered.values.origins
    # a simple parameter is known to helm and to provenance alike
    assert rendered.values.data["image"] == {"repository": "r", "tag": "1.2.3"}
    assert origins[("image", "tag")] == Origin("apps/app.yaml", 15)  # its value: line
    assert origins[("config",)] == Origin("apps/app.yaml", 19)
    assert origins[("fromGlob",)] == Origin("charts/app/env/a.yaml", 1)
    # so is one with a list index, which Helm's --set parser reads as provenance does
    assert rendered.values.data["list"] == ["x"]
    assert origins[("list", 0)] == Origin("apps/app.yaml", 17)
    assert '"list":["x"]' in rendered.manifest.replace("\\", "")


def test_argocd_application_resolves_value_files_as_argo_cd(repo: Path, tmp_path: Path) -> None:
    report = lint(repo / "apps", cache_dir=tmp_path / "cache", use_cache=False)
    assert report.errors == ()
    value_files = [f.message for f in report.findings
                   if f.policy == "argocd-application" and "value file" in f.message]
    assert value_files == []
