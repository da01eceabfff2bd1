"""What a Kustomize source may read and reach: nothing outside the repository, no network,
refused before any build runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.errors import PlatecheckError
from platecheck.policies import configuration
from synthetic import application, write_files

pytestmark = pytest.mark.usefixtures("kubectl_bin")

CHART = {"Chart.yaml": "apiVersion: v2\nname: leak\nversion: 0.1.0\n",
         "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n"
                              "data:\n  secret: {{ .Files.Get \"secret.txt\" | quote }}\n",
         "secret.txt": "CANARY-outside-the-repository\n"}


@pytest.mark.parametrize("home", ["absolute", "../../outside"])
def test_a_chart_home_outside_the_repository_is_refused_before_the_build(
        tmp_path: Path, home: str) -> None:
    """``helmGlobals.chartHome`` naming a directory outside the repository (an absolute
    path, or ``..`` enough) with a ``valuesFile`` inside: kustomize would inflate the chart
    from wherever it is; it is a could-not-check error at the entry, and nothing of it is
    read."""
    outside = write_files(tmp_path / "outside", {f"leak/{k}": v for k, v in CHART.items()})
    chart_home = str(outside) if home == "absolute" else home
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("web", "ov", "web"),
        "ov/values.yaml": "{}\n",
        "ov/kustomization.yaml": f"helmGlobals:\n  chartHome: {chart_home}\nhelmCharts:\n"
                                 "  - name: leak\n    valuesFile: values.yaml\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("ov/kustomization.yaml:4", f"chart home {chart_home!r} (chart 'leak') leads out of the "
         "repository; platecheck inflates only charts of the repository, and kustomize would "
         "read this one from wherever it is")]
    assert report.builds == 0
    assert not any("CANARY" in str(part) for part in (report.findings, report.errors))


@pytest.mark.parametrize("entry", ["http://127.0.0.1:9/a.yaml", "git@127.0.0.1:org/repo.git",
                                   "git::https://127.0.0.1/org/repo"])
def test_a_resource_kustomize_would_fetch_is_refused_before_the_build(
        tmp_path: Path, entry: str) -> None:
    """A resource kustomize fetches itself (Go's HTTP client sends no loopback request to a
    proxy; ssh has none) is refused before any build starts, whatever the machine allows."""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("web", "ov", "web"),
        "ov/kustomization.yaml": f"resources:\n  - cm.yaml\n  - {entry}\n",
        "ov/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("ov/kustomization.yaml:3", f"{entry!r} is remote: kustomize fetches it over the "
         "network, which platecheck does not use")]
    assert report.builds == 0


@pytest.mark.parametrize(("field", "line"), [
    ("patches:\n  - path: {url}\n", 4),
    ("patchesStrategicMerge:\n  - {url}\n", 4),
    ("patchesJson6902:\n  - target: {{kind: ConfigMap, name: web}}\n    path: {url}\n", 5),
    ("configMapGenerator:\n  - name: g\n    files: [key={url}]\n", 5),
    ("configMapGenerator:\n  - name: g\n    envs:\n      - {url}\n", 6),
    ("crds:\n  - {url}\n", 4),
    ("replacements:\n  - path: {url}\n", 4),
    ("configurations:\n  - {url}\n", 4),
    ("transformers:\n  - {url}\n", 4),
], ids=["patches", "strategic-merge", "json6902", "generator-files", "generator-envs", "crds",
        "replacements", "configurations", "transformers"])
def test_a_file_kustomize_would_fetch_is_refused_before_the_build(
        tmp_path: Path, field: str, line: int) -> None:
    """Every path kustomize's loader reads (a patch, a generator's file, a CRD, a
    replacement, a plugin configuration) is fetched when it is a URL: refused before any
    build starts, as a remote resource is."""
    url = "http://127.0.0.1:9/a.yaml"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "root.yaml": application("web", "ov", "web"),
        "ov/kustomization.yaml": "resources:\n  - cm.yaml\n" + field.format(url=url),
        "ov/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        (f"ov/kustomization.yaml:{line}", f"{url!r} is remote: kustomize fetches it over the "
         "network, which platecheck does not use")]
    assert report.builds == 0


@pytest.mark.parametrize("where", ["chart", "archive"])
@pytest.mark.parametrize("ref", ["http://127.0.0.1:9/s.json", "file:///etc/hostname",
                                 "other.json"])
def test_a_values_schema_reference_of_a_chart_kustomize_inflates_is_refused(
        tmp_path: Path, where: str, ref: str) -> None:
    """The helm kustomize starts validates the values with the chart's values.schema.json
    and its subcharts' (in an archive too), following a ``$ref`` to the network or any file
    of the machine: refused before the build, at the schema; a reference within the schema
    (``#/definitions/...``) builds."""
    import io
    import tarfile

    schema = ('{"type": "object", "definitions": {"s": {"type": "string"}}, '
              '"properties": {"a": {"$ref": "%s"}}}')
    files = {".git/HEAD": "", "root.yaml": application("web", "ov", "web"),
             "ov/kustomization.yaml": "helmCharts:\n  - name: leak\n",
             "ov/charts/leak/values.yaml": "{}\n",
             **{f"ov/charts/leak/{k}": v for k, v in CHART.items()}}
    if where == "chart":
        files["ov/charts/leak/values.schema.json"] = schema % ref
    repo = write_files(tmp_path / "repo", files)
    if where == "archive":
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name, text in {"sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
                               "sub/values.schema.json": schema % ref}.items():
                info = tarfile.TarInfo(name)
                info.size = len(text.encode())
                archive.addfile(info, io.BytesIO(text.encode()))
        (repo / "ov/charts/leak/charts").mkdir()
        (repo / "ov/charts/leak/charts/sub-0.1.0.tgz").write_bytes(buffer.getvalue())
    report = lint(repo, cache_dir=tmp_path / "cache")
    schema_file = ("ov/charts/leak/values.schema.json" if where == "chart"
                   else "ov/charts/leak/charts/sub-0.1.0.tgz")
    assert [(e.location, e.message) for e in report.errors] == [
        (schema_file, f"$ref {ref} in a chart kustomize inflates: helm would read it from "
         "outside the chart (a file of the machine, or the network), so platecheck does not "
         "build it")]
    assert report.builds == 0
    (repo / schema_file).unlink()
    if where == "chart":
        (repo / schema_file).write_text(schema % "#/definitions/s")
    assert lint(repo, cache_dir=tmp_path / "cache").errors == ()


def test_the_repositorys_configuration_reads_no_schemas_outside_it(tmp_path: Path) -> None:
    """``schemaDirs`` in the repository's own configuration naming a directory outside the
    repository is refused (what a finding says of its schemas would show them), whether it
    exists or not; a configuration outside the repository (``--config``) may name it."""
    outside = tmp_path / "schemas"
    outside.mkdir()
    text = f"policies:\n  k8s-schema:\n    options:\n      schemaDirs: [{outside}]\n"
    repo = write_files(tmp_path / "repo", {"policies/platecheck.yaml": text})
    for path in (outside, tmp_path / "missing"):
        (repo / "policies" / "platecheck.yaml").write_text(text.replace(str(outside),
                                                                        str(path)))
        with pytest.raises(PlatecheckError) as caught:
            configuration(repo, None)
        assert (caught.value.file, caught.value.line) == ("policies/platecheck.yaml", 4)
        assert caught.value.message.startswith(f"schemaDirs entry {str(path)!r} leads out of "
                                               "the repository")
    given = write_files(tmp_path / "given", {"platecheck.yaml": text})
    assert configuration(repo, given) is not None
