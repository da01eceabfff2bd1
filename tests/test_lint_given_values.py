"""``helm lint`` sees the values Argo CD passes: the value files and, besides them,
``helm.values``, ``valuesObject`` and ``parameters``, as the target's render has them. A chart
whose templates need a value only the Application gives renders and lints clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from platecheck.engine import lint
from synthetic import application, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

NEEDS_ENV = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  env: {{ .Values.global.env | quote }}
"""

GIVEN = {
    "values": "    helm:\n      values: |\n        global:\n          env: {env}\n",
    "valuesObject": "    helm:\n      valuesObject:\n        global:\n          env: {env}\n",
    "parameters": ("    helm:\n      parameters:\n        - name: global.env\n"
                   "          value: {env}\n"),
}


def _repository(root: Path, given: str, names: tuple[str, ...]) -> Path:
    """Chart ``charts/web`` whose template reads ``global.env``, which its values.yaml does
    not set: Application ``<name>-prod`` of each of ``names``, into namespace
    ``<name>-prod``, gives it by ``given``."""
    files = {".git/HEAD": "", "charts/web/values.yaml": "replicas: 1\n",
             "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
             "charts/web/templates/cm.yaml": NEEDS_ENV}
    for name in names:
        files[f"apps/{name}.yaml"] = application(
            f"{name}-prod", "charts/web", f"{name}-prod",
            source_extra=GIVEN[given].format(env=name))
    return write_files(root, files)


@pytest.mark.parametrize("given", sorted(GIVEN))
def test_lint_renders_with_the_values_the_application_gives(
        tmp_path: Path, given: str) -> None:
    report = lint(_repository(tmp_path / "repo", given, ("web",)), cache_dir=tmp_path / "c")
    assert report.errors == ()
    assert [f for f in report.findings if f.policy.startswith("chart-")] == []


def test_each_applications_values_get_a_lint_of_their_own(
        tmp_path: Path, count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    """Two Applications of one chart in one environment, the same value files, other
    ``helm.values``: two lints, each with its own (none shares a process: lint would share
    the values of one with the next chart)."""
    repo = _repository(tmp_path / "repo", "values", ("web", "blue"))
    started = count_helm_runs()
    report = lint(repo, cache_dir=tmp_path / "c")
    assert report.errors == () and report.findings == ()
    lints = [argv for argv in started if argv[0] == "lint"]
    assert len(lints) == 2
    assert all(sum(a.startswith("--values=") for a in argv) == 1 for argv in lints)
