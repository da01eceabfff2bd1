"""The Go template modules are imported only by a run that executes a Go template: a lint of
a repository without a ``goTemplate`` ApplicationSet does not pay for their import, one with
such a set still expands it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from platecheck.lazymodule import LazyModule
from synthetic import CM, ORIGIN, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

_GO_MODULES = ("platecheck.gotemplate", "platecheck.goparse", "platecheck.gofuncs")

_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: argocd
spec:
  goTemplate: {go}
  generators:
    - list:
        elements:
          - env: prod
  template:
    metadata:
      name: 'web-{open}env{close}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: clusters/prod
      destination:
        server: https://kubernetes.default.svc
        namespace: web
"""


def _imported_after_lint(root: Path, tmp_path: Path) -> dict[str, object]:
    script = ("import sys, json; from platecheck.engine import lint; "
              f"r = lint({str(root)!r}, cache_dir={str(tmp_path / 'cache')!r}); "
              "print(json.dumps({'targets': sorted(str(t) for t in r.targets), "
              f"'go': [m for m in {_GO_MODULES!r} if m in sys.modules]}}))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    result: dict[str, object] = json.loads(out.splitlines()[-1])
    return result


@pytest.mark.parametrize("go", [False, True])
def test_go_template_modules_are_imported_only_for_a_go_template_set(
        tmp_path: Path, go: bool) -> None:
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "clusters/prod/cm.yaml": CM.format(name="a"),
        "apps/set.yaml": _SET.format(go=str(go).lower(), open="{{." if go else "{{",
                                     close="}}")})
    result = _imported_after_lint(root, tmp_path)
    assert any("web-prod" in target for target in result["targets"])  # type: ignore[attr-defined]
    assert result["go"] == (list(_GO_MODULES) if go else [])


def test_threads_reading_a_lazy_module_at_once_get_the_module_s_names() -> None:
    lazy = LazyModule("platecheck.gotoyaml")
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(lazy.to_yaml)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from platecheck import gotoyaml

    assert seen == [gotoyaml.to_yaml] * 8


def test_a_missing_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        LazyModule("platecheck.gotoyaml").no_such_name  # noqa: B018
