"""What keys a remembered render: the files helm loads as the chart, the value files and
arguments of the target, and a chart's other files only where a template may read them
(``.Files``). A values file of one environment, kept in the chart's directory, changed:
only the targets it feeds render again, with the findings a run without the cache gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from platecheck.engine import lint, load
from synthetic import application, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  greeting: {{ .Values.greeting | quote }}
  setting: readOnlyRootFilesystem  # a word holding the word, not it
"""


def _repository(root: Path, template: str = CONFIGMAP) -> Path:
    """Chart ``charts/web`` deployed to stg and prod, each with its values file beside the
    chart's own, and a README."""
    (root / ".git").mkdir(parents=True)
    files = {"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
             "charts/web/values.yaml": "greeting: hello\n",
             "charts/web/templates/cm.yaml": template,
             "charts/web/README.md": "The web chart.\n",
             "charts/web/config/app.conf": "level=info\n"}
    for env in ("stg", "prod"):
        files[f"charts/web/values-{env}.yaml"] = f"greeting: hello {env}\n"
        files[f"apps/web-{env}.yaml"] = application(
            f"web-{env}", "charts/web", f"web-{env}",
            source_extra=f"    helm:\n      valueFiles: [values-{env}.yaml]\n")
    return write_files(root, files)


def _templates(started: list[tuple[str, ...]]) -> list[str]:
    """The value files of the ``helm template`` processes started."""
    return sorted(Path(arg.partition("=")[2]).name for argv in started if argv[0] == "template"
                  for arg in argv if arg.startswith("--values="))


def test_one_environments_values_file_renders_only_its_targets_again(
        tmp_path: Path, count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    repo, cache = _repository(tmp_path / "repo"), tmp_path / "cache"
    assert lint(repo, cache_dir=cache).errors == ()
    values = repo / "charts" / "web" / "values-prod.yaml"
    values.write_text("greeting: bonjour prod\n")
    (repo / "charts" / "web" / "README.md").write_text("The web chart, described anew.\n")
    started = count_helm_runs()
    changed = load(repo, cache_dir=cache)
    assert _templates(started) == ["values-prod.yaml"]  # stg came from the cache
    assert {r.id: r.resources[0].doc["data"]["greeting"] for r in changed.rendered} == {
        "prod/web": "bonjour prod", "stg/web": "hello stg"}
    assert lint(repo, cache_dir=cache).findings == lint(repo, use_cache=False).findings


@pytest.mark.parametrize("reads", [
    '{{ .Files.Get "config/app.conf" | quote }}',
    '{{ $.Files.Get "config/app.conf" | quote }}',
    '{{ tpl .Values.fromFile . | quote }}',  # values.yaml names .Files, tpl reads it
], ids=["files", "root-files", "tpl"])
def test_a_chart_whose_templates_read_its_files_renders_again_when_one_changes(
        tmp_path: Path, reads: str,
        count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    repo = _repository(tmp_path / "repo", CONFIGMAP + f"  conf: {reads}\n")
    (repo / "charts" / "web" / "values.yaml").write_text(
        'greeting: hello\nfromFile: \'{{ .Files.Get "config/app.conf" }}\'\n')
    cache = tmp_path / "cache"
    assert lint(repo, cache_dir=cache).errors == ()
    (repo / "charts" / "web" / "config" / "app.conf").write_text("level=debug\n")
    started = count_helm_runs()
    changed = load(repo, cache_dir=cache)
    assert _templates(started) == ["values-prod.yaml", "values-stg.yaml"]
    assert {r.resources[0].doc["data"]["conf"] for r in changed.rendered} == {"level=debug\n"}


def test_a_file_too_large_for_helms_loader_fails_the_render_the_cache_held(
        tmp_path: Path) -> None:
    """Helm refuses to load a chart holding a file over 5 MiB, whatever the file: a README
    grown past it fails every target of the chart, though their renders were remembered."""
    repo, cache = _repository(tmp_path / "repo"), tmp_path / "cache"
    assert lint(repo, cache_dir=cache).errors == ()
    (repo / "charts" / "web" / "README.md").write_bytes(b"x" * (5 * 1024 * 1024 + 1))
    report = lint(repo, cache_dir=cache)
    assert sorted(e.target for e in report.errors if "README.md" in e.message) == [
        "prod/web", "stg/web"]
    assert report.exit_code == 2
