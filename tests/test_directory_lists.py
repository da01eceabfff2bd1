"""What Argo CD takes of a directory source's documents after reading them
(``GenerateManifests``): the items of any object whose ``items`` is a list, nothing of a null
list, a render failure for an item that is no object; each item searched from its own line;
the same of a Kustomize build's output; the repo server's limit on a directory's size;
partial objects applied server-side."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.model import Report
from synthetic import application, write_files

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def _lint(tmp_path: Path, files: dict[str, str], app: str | None = None) -> Report:
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": app or application("web-prod", "m", "web-prod"),
        **files})
    return lint(repo, cache_dir=tmp_path / "cache")


def test_a_null_list_is_dropped(tmp_path: Path) -> None:
    """``kind: ConfigMapList`` with ``items: null`` (and no spec or status): Argo CD drops it
    (``isNullList``), so it is no unnamed object missing its name."""
    report = _lint(tmp_path, {"m/list.yaml": "apiVersion: v1\nkind: ConfigMapList\nitems:\n",
                              "m/cm.yaml": CM.format(name="a")})
    assert report.errors == ()
    assert [f.policy for f in report.findings if f.policy == "k8s-schema"] == []
    model = load(tmp_path / "repo", use_cache=False)
    assert [r.ref for t in model.rendered for r in t.resources] == ["ConfigMap/a"]


def test_any_object_whose_items_is_a_list_is_a_list(tmp_path: Path) -> None:
    """``Unstructured.IsList`` looks at ``items`` alone: a ``Widget`` holding a ConfigMap in
    ``items`` is applied as the ConfigMap, not as a Widget."""
    report = _lint(tmp_path, {"m/w.yaml": "apiVersion: example.com/v1\nkind: Widget\n"
                                          "metadata:\n  name: w\nitems:\n  - " +
                                          CM.format(name="inner").replace("\n", "\n    ")})
    assert report.errors == ()
    model = load(tmp_path / "repo", use_cache=False)
    assert [r.ref for t in model.rendered for r in t.resources] == ["ConfigMap/inner"]


def test_an_item_that_is_no_object_fails_the_source(tmp_path: Path) -> None:
    report = _lint(tmp_path, {"m/list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - " +
                              CM.format(name="a").replace("\n", "\n    ") + "\n  - text\n"})
    assert [(e.location, e.message) for e in report.errors] == [
        ("m/list.yaml:1", "an item of a List is not an object (items member is not an "
         "object); Argo CD cannot render this source")]


def test_a_finding_about_a_list_item_is_at_that_item(tmp_path: Path) -> None:
    """Two Deployments of one List with a container of one name: the second's floating tag
    is at its own image line, not at the first item's."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
                  "  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
                  "    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
                  "        - name: c\n          image: nginx:{tag}\n"
                  "          imagePullPolicy: IfNotPresent\n")
    items = "".join("  - " + deployment.format(name=name, tag=tag).replace("\n", "\n    ")
                    .rstrip() + "\n" for name, tag in (("a", "1.25.3"), ("b", "latest")))
    report = _lint(tmp_path, {"m/list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + items})
    assert report.errors == ()
    lines = (tmp_path / "repo" / "m" / "list.yaml").read_text().splitlines()
    latest = next(n for n, line in enumerate(lines, 1) if line.strip() == "image: nginx:latest")
    assert [f.location for f in report.findings if f.policy == "image-tag-pinned"] == [
        f"m/list.yaml:{latest}"]


WIDGET = ("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nitems:\n"
          "  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: inner\n")


def test_a_kustomize_lists_item_that_is_no_object_fails_at_the_list(tmp_path: Path) -> None:
    """Kustomize passes a Widget whose ``items`` holds a string through as it is; Argo CD's
    render of its output fails (``EachListItem``): the error is at the Widget's own file and
    line, not at the kustomization."""
    report = _lint(tmp_path, {"m/kustomization.yaml": "resources:\n  - cm.yaml\n  - w.yaml\n",
                              "m/cm.yaml": CM.format(name="a"),
                              "m/w.yaml": "# widgets\n" + WIDGET + "  - text\n"})
    assert [(e.location, e.message) for e in report.errors] == [
        ("m/w.yaml:2", "an item of a List is not an object (items member is not an "
         "object); Argo CD cannot render this source")]


def test_a_kustomize_lists_item_is_at_the_list(tmp_path: Path) -> None:
    """Kustomize writes its origin annotation on the Widget, not on its items: a finding
    about an item is in the Widget's file, not at the kustomization."""
    deployment = ("  - apiVersion: apps/v1\n    kind: Deployment\n"
                  "    metadata:\n      name: d\n    spec:\n"
                  "      selector: {matchLabels: {app: d}}\n      template:\n"
                  "        metadata: {labels: {app: d}}\n        spec:\n"
                  "          containers:\n            - name: c\n"
                  "              image: nginx:latest\n")
    report = _lint(tmp_path, {"m/kustomization.yaml": "resources:\n  - w.yaml\n",
                              "m/w.yaml": WIDGET + deployment})
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("m/w.yaml:21", 'container "c" in Deployment/d uses floating tag "latest"')]


def test_a_directory_larger_than_the_repo_server_reads_is_not_rendered(tmp_path: Path) -> None:
    """Argo CD's repo server refuses a directory source whose manifest files add up to more
    than 10,000,000 bytes (``--max-combined-directory-manifests-size``'s default). A file
    with the skip-rendering marker is left out before it is counted
    (``getPotentiallyValidManifestFile``): with the marker in one of them, the others are
    rendered."""
    padding = "# " + "x" * 1_000_000 + "\n"
    files = {f"m/cm{index}.yaml": CM.format(name=f"c{index}") + padding for index in range(10)}
    report = _lint(tmp_path, files)
    [error] = report.errors
    assert (error.location, error.policy) == ("m", "could-not-check")
    assert error.message.startswith("the source's manifest files add up to 10,000,550 bytes")
    skipped = tmp_path / "repo" / "m" / "cm9.yaml"
    skipped.write_text("# +argocd:skip-file-rendering\n" + files["m/cm9.yaml"])
    report = lint(tmp_path / "repo", cache_dir=tmp_path / "cache-skipped")
    assert report.errors == ()


@pytest.mark.parametrize(("app_options", "annotation", "partial"), [
    ("[ServerSideApply=true, Validate=false]", "Validate=true", True),  # not turned back on
    ("[]", "ServerSideApply=true, Validate=false", True),
    ("[]", "ServerSideApply=True,Validate=False", False),  # matched as written
    ("[ServerSideApply=true, Validate=false]", "ServerSideApply=false", False),
], ids=["app-options", "annotation", "case", "annotation-disables-ssa"])
def test_a_partial_object_is_applied_as_argo_cd_matches_sync_options(
        tmp_path: Path, app_options: str, annotation: str, partial: bool) -> None:
    """A Deployment without selector or template is a partial object Argo CD applies
    server-side without validation when the Application's syncOptions or the resource's
    annotation say so, matched as exact strings; validation is off when either says
    ``Validate=false``, and the annotation's ``ServerSideApply=false`` turns server-side
    apply off."""
    app = application("web", "m", "web") + f"  syncPolicy:\n    syncOptions: {app_options}\n"
    deploy = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
              f"    argocd.argoproj.io/sync-options: '{annotation}'\nspec:\n  replicas: 2\n")
    report = _lint(tmp_path, {"m/deploy.yaml": deploy}, app)
    missing = [f.message for f in report.findings if f.policy == "k8s-schema"]
    assert missing == ([] if partial else [
        "Deployment/web: spec: required field 'selector' is missing",
        "Deployment/web: spec: required field 'template' is missing"])
