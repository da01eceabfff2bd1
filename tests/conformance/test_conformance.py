"""platecheck renders a Helm source exactly as Argo CD does: one case per behaviour of
/shared/ARGOCD.md sections B-G, as data in ``cases/*.yaml``.

Each case is an Application (merged over a default one, ``null`` deleting a field) and the
files it needs, laid over ``base/`` (a chart that prints its values, release, namespace,
Kubernetes version and API versions). It expects either:

- ``argv``: the full ``helm template`` argument vector (``$CHART`` the chart directory,
  ``$ROOT`` the repository, ``$VALUES`` the file holding helm.values/valuesObject), and what
  helm then rendered: ``values`` (the chart's ``.Values``), ``rendered`` (other fields of the
  ConfigMap) and ``kinds`` (the kinds of the rendered objects, in order); or
- ``error``: platecheck's one-line message for what Argo CD refuses (a YAML parser's own
  words shown as ``invalid YAML: <parser>``), or ``error_starts``: its start, where helm's
  own words follow.

``mirrors`` names the Argo CD test or source function the case follows. Every case runs
with Helm 3 and Helm 4.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from parser_words import hide_parser_words
from platecheck.discover import discover
from platecheck.errors import PlatecheckError
from platecheck.goyaml import GoDumper
from platecheck.helmargs import parameter_layer
from platecheck.helmbin import install_helm
from platecheck.model import RenderTarget
from platecheck.overrides import merge_patch
from platecheck.plan import Planner
from platecheck.policies import configuration
from platecheck.render import Helm
from platecheck.schemas import served_kinds
from platecheck.values import merge_values, target_layers

HERE = Path(__file__).parent
CLUSTER_VERSION = "1.31.4"  # base/policies/platecheck.yaml's kubernetesVersion
BASE = HERE / "base"
DEFAULT_APP: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "app", "namespace": "argocd"},
    "spec": {
        "project": "default",
        "source": {"repoURL": "https://git.example.com/gitops.git", "targetRevision": "main",
                   "path": "charts/app"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "app-ns"},
    },
}
CASE_KEYS = {"id", "mirrors", "argocd", "application", "files", "argv", "values", "rendered",
             "kinds", "error", "error_starts", "error_file", "error_line", "helm_fails"}


def _cases() -> Iterator[Any]:
    for path in sorted((HERE / "cases").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            unknown = set(case) - CASE_KEYS
            assert not unknown, f"{path.name}: {case.get('id')}: unknown keys {unknown}"
            assert case.get("mirrors"), f"{path.name}: {case['id']} names no Argo CD test"
            assert ("argv" in case) != ("error" in case or "error_starts" in case), case["id"]
            for major in (3, 4):
                yield pytest.param(case, major, id=f"{path.stem}/{case['id']}/helm{major}")


CASES = list(_cases())


def make_repo(tmp: Path, case: Mapping[str, Any]) -> Path:
    repo = (tmp / "repo")
    shutil.copytree(BASE, repo)
    repo = repo.resolve()
    for name, text in (case.get("files") or {}).items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    application = merge_patch(DEFAULT_APP, case.get("application") or {})
    (repo / "apps").mkdir(exist_ok=True)
    # written so that Go's YAML reads it back as written ("y" stays a string)
    (repo / "apps" / "app.yaml").write_text(
        yaml.dump(application, Dumper=GoDumper, sort_keys=False), encoding="utf-8")
    return repo


def plan(repo: Path) -> RenderTarget:
    found = discover(repo, [repo / "apps" / "app.yaml"])
    if found.errors:
        raise found.errors[0]
    planner = Planner(configuration(repo, None), found)
    targets = planner.application(found.applications[0])
    assert len(targets) == 1
    return targets[0]


@pytest.fixture(scope="module")
def helms() -> dict[int, Path]:
    return {major: install_helm(str(major)) for major in (3, 4)}


def _leaf(data: Any, path: Sequence[str | int]) -> Any:
    for key in path:
        data = data[key]
    return data


def _shown(arg: str, repo: Path, target: RenderTarget, extra: Path | None, helm: Helm) -> str:
    assert target.chart is not None
    if extra is not None:
        arg = arg.replace(str(extra), "$VALUES")
    # helm reads platecheck's private copy of the chart
    arg = arg.replace(str(helm.private_chart(target.chart)), "$CHART")
    return arg.replace(str(target.chart.path), "$CHART").replace(str(repo), "$ROOT")


def _snapshot(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes()
            for p in sorted(repo.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("case", "major"), CASES)
def test_case(case: Mapping[str, Any], major: int, helms: dict[int, Path],
              tmp_path: Path) -> None:
    repo = make_repo(tmp_path, case)
    before = _snapshot(repo)
    helm = Helm(binary=helms[major], workdir=tmp_path / "work", root=repo)
    if "error" in case or "error_starts" in case:
        with pytest.raises(PlatecheckError) as raised:
            result = helm.run_all([helm.template_call(plan(repo))])[0]
            if isinstance(result, PlatecheckError):
                raise result
        assert _snapshot(repo) == before
        if "error" in case:
            assert hide_parser_words(raised.value.message) == case["error"]
        else:  # platecheck's words, then helm's, which are not compared
            assert raised.value.message.startswith(case["error_starts"])
        assert raised.value.file == case.get("error_file", "apps/app.yaml")
        if "error_line" in case:
            assert raised.value.line == case["error_line"]
        return
    target = plan(repo)
    assert target.rendered_here
    call = helm.template_call(target)
    extra = next((Path(a.split("=", 1)[1]) for a in call.argv
                  if a.startswith(f"--values={helm.workdir}/values")), None)
    # the generally available kinds of the cluster's version, which Argo CD passes as the
    # cluster's (the render's apiVersions show them): all of them or, where the Application
    # gives its own list, none; the cases spell out the rest
    built_in = {f"--api-versions={kind}" for kind in served_kinds(CLUSTER_VERSION)}
    assert built_in and set(call.argv) & built_in in (built_in, set())
    assert [_shown(a, repo, target, extra, helm) for a in call.argv
            if a not in built_in] == case["argv"]
    result = helm.run_all([call])[0]
    assert _snapshot(repo) == before  # the checked repository is never written
    assert not isinstance(result, PlatecheckError), result.message
    if case.get("helm_fails"):
        assert result.exit_code != 0  # helm's own parser refuses it, as in Argo CD
        return
    assert result.exit_code == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    if "kinds" in case:
        assert [d["kind"] for d in documents] == case["kinds"]
    configmap = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    helm_values = json.loads(configmap["values"])
    if "values" in case:
        assert helm_values == case["values"]
    # what platecheck reads from a parameter for provenance is what helm made of it, and the
    # values it merges for provenance are helm's, where it reads every parameter
    layers = [parameter_layer(argument) for argument in target.set_arguments]
    paths = [layer[0] for layer in layers if layer is not None]
    for argument, layer in zip(target.set_arguments, layers, strict=True):
        if layer is not None and paths.count(layer[0]) == 1:  # (else the merge below)
            assert _leaf(helm_values, layer[0]) == _leaf(layer[1], layer[0]), argument
    assert target.chart is not None
    if None not in layers and not target.chart.metadata.get("dependencies"):
        merged = merge_values(target.chart_values, target_layers(target)).data
        assert merged == helm_values
    for key, value in (case.get("rendered") or {}).items():
        assert configmap[key] == value, key
