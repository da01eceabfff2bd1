"""An Application's ``kustomize`` options applied as Argo CD applies them: ``kustomize edit``
commands on the kustomization, then a build. Each case holds platecheck's render against the
real ``kubectl kustomize`` of the kustomization as those commands leave it (written here by
hand from kustomize's edit commands: set image, add label/annotation, add component)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from platecheck.engine import lint, load
from synthetic import application

pytestmark = pytest.mark.usefixtures("kubectl_bin")

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - {name: a, image: registry.example.com/a:1.0.0}
        - {name: b, image: registry.example.com/b:1.0.0}
        - {name: c, image: registry.example.com/c:1.0.0}
"""

COMPONENT = ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
             "resources: [cm.yaml]\n")


def _repo(tmp_path: Path, kustomization: dict[str, Any], kustomize: dict[str, Any],
          files: dict[str, str] | None = None, name: str = "web-prod") -> Path:
    repo = tmp_path / "repo"
    for rel, text in {"k/deploy.yaml": DEPLOY, **(files or {}),
                      "k/kustomization.yaml": yaml.safe_dump(kustomization),
                      f"apps/{name}.yaml": application(
                          name, "k", "web", repo="https://git.example.com/platform.git",
                          source_extra=f"    kustomize: {json.dumps(kustomize)}\n")}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / ".git").mkdir(exist_ok=True)
    return repo


def _component(name: str) -> dict[str, str]:
    return {f"comps/{name}/kustomization.yaml": COMPONENT,
            f"comps/{name}/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                     f"  name: {name}\n"}


def _patching(directory: str, key: str) -> dict[str, str]:
    """A component annotating the Deployment's ``key`` with its own directory."""
    return {f"{directory}/kustomization.yaml": COMPONENT.replace("resources: [cm.yaml]\n", (
        "patches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n"
        f"      metadata: {{name: web, annotations: {{{key}: {directory}}}}}\n"))}


def _kubectl(kubectl: Path, repo: Path, edited: dict[str, Any]) -> list[str]:
    """``kubectl kustomize`` of ``k`` with the kustomization Argo CD's edits leave."""
    (repo / "k" / "kustomization.yaml").write_text(yaml.safe_dump(edited))
    done = subprocess.run([str(kubectl), "kustomize", str(repo / "k")], capture_output=True,
                          text=True, check=True)
    return sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(done.stdout) if d)


def _platecheck(repo: Path, tmp_path: Path) -> list[str]:
    model = load(repo, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    [rendered] = model.rendered
    return sorted(json.dumps(r.doc, sort_keys=True) for r in rendered.resources)


FIELD = {"path": "spec/template/metadata/annotations", "kind": "Deployment", "create": True}

CASES = [
    pytest.param(  # an image replaces the whole entry of its name; name:tag@digest is split
        {"resources": ["deploy.yaml"], "images": [
            {"name": "registry.example.com/a", "newName": "mirror.example.com/a",
             "newTag": "1.5.0"},
            {"name": "registry.example.com/b", "newTag": "1.5.0"}]},
        {"images": ["registry.example.com/a:2.0.0", "registry.example.com/b@sha256:" + "0" * 64,
                    "registry.example.com/c:3.0.0@sha256:" + "1" * 64]},
        {"resources": ["deploy.yaml"], "images": [
            {"name": "registry.example.com/a", "newTag": "2.0.0"},
            {"name": "registry.example.com/b", "digest": "sha256:" + "0" * 64},
            {"name": "registry.example.com/c", "newTag": "3.0.0", "digest": "sha256:" + "1" * 64}]},
        {}, id="images-replace-entries"),
    pytest.param(  # a * keeps the entry's field
        {"resources": ["deploy.yaml"], "images": [
            {"name": "registry.example.com/a", "newName": "mirror.example.com/a",
             "newTag": "1.5.0"}]},
        {"images": ["registry.example.com/a=*:2.0.0"]},
        {"resources": ["deploy.yaml"], "images": [
            {"name": "registry.example.com/a", "newName": "mirror.example.com/a",
             "newTag": "2.0.0"}]},
        {}, id="images-star-keeps-the-new-name"),
    pytest.param(  # --without-selector: a labels entry that touches no selector
        {"resources": ["deploy.yaml"]},
        {"commonLabels": {"team": "blue"}, "labelWithoutSelector": True},
        {"resources": ["deploy.yaml"],
         "labels": [{"pairs": {"team": "blue"}, "includeSelectors": False}]},
        {}, id="labels-without-selector"),
    pytest.param(
        {"resources": ["deploy.yaml"]},
        {"commonLabels": {"team": "blue"}, "labelWithoutSelector": True,
         "labelIncludeTemplates": True},
        {"resources": ["deploy.yaml"], "labels": [
            {"pairs": {"team": "blue"}, "includeSelectors": False, "includeTemplates": True}]},
        {}, id="labels-without-selector-in-templates"),
    pytest.param(  # an entry with fields of its own takes them too (matchLabelSettings)
        {"resources": ["deploy.yaml"], "labels": [
            {"pairs": {"team": "red"}, "includeSelectors": False, "fields": [FIELD]}]},
        {"commonLabels": {"tier": "backend"}, "labelWithoutSelector": True},
        {"resources": ["deploy.yaml"], "labels": [
            {"pairs": {"team": "red", "tier": "backend"}, "includeSelectors": False,
             "fields": [FIELD]}]},
        {}, id="labels-without-selector-into-an-entry-with-fields"),
    pytest.param(  # forced: the Application's value wins
        {"resources": ["deploy.yaml"], "commonLabels": {"team": "red"}},
        {"commonLabels": {"team": "blue"}, "forceCommonLabels": True},
        {"resources": ["deploy.yaml"], "commonLabels": {"team": "blue"}},
        {}, id="labels-forced"),
    pytest.param(  # `kustomize edit add` reads "name:value": one pair of quotes goes
        {"resources": ["deploy.yaml"]},
        {"commonLabels": {"tier": '"backend"', "a": 'x"'},
         "commonAnnotations": {"note": '"hello"', "ratio": "1:2"}},
        {"resources": ["deploy.yaml"], "commonLabels": {"tier": "backend", "a": 'x"'},
         "commonAnnotations": {"note": "hello", "ratio": "1:2"}},
        {}, id="labels-and-annotations-quotes-trimmed"),
    pytest.param(  # a component listed already is not added again; a glob is expanded
        {"resources": ["deploy.yaml"], "components": ["../comps/c1"]},
        {"components": ["../comps/c1", "../comps/*"]},
        {"resources": ["deploy.yaml"], "components": ["../comps/c1", "../comps/c2"]},
        {**_component("c1"), **_component("c2")}, id="components-added-once-globs-expanded"),
    pytest.param(  # Go's Glob: a/c before a-b/c (each directory level sorted), so a-b's
        # patch is the last; a hidden name left out (kyaml's Glob), unless asked for by name
        {"resources": ["deploy.yaml"]},
        {"components": ["../comps/*/c", "../hidden/*"]},
        {"resources": ["deploy.yaml"],
         "components": ["../comps/a/c", "../comps/a-b/c", "../hidden/live"]},
        {**_patching("comps/a/c", "tier"), **_patching("comps/a-b/c", "tier"),
         **_patching("hidden/.wip", "wip"), **_patching("hidden/live", "live")},
        id="components-globbed-as-go-globs"),
]


@pytest.mark.parametrize(("kustomization", "kustomize", "edited", "files"), CASES)
def test_the_application_edits_the_kustomization_as_kustomize_edit_does(
        tmp_path: Path, kubectl_bin: Path, kustomization: dict[str, Any],
        kustomize: dict[str, Any], edited: dict[str, Any], files: dict[str, str]) -> None:
    repo = _repo(tmp_path, kustomization, kustomize, files)
    ours = _platecheck(repo, tmp_path)
    assert ours == _kubectl(kubectl_bin, repo, edited)


@pytest.mark.parametrize("key", ["commonLabels", "commonAnnotations"])
def test_a_label_the_kustomization_sets_is_not_overridden_unless_forced(
        tmp_path: Path, key: str) -> None:
    """``kustomize edit add label team:blue`` fails on a kustomization that sets ``team``
    already (without ``--force``): Argo CD cannot build the source."""
    repo = _repo(tmp_path, {"resources": ["deploy.yaml"], key: {"team": "red"}},
                 {key: {"team": "blue"}})
    report = lint(repo, cache_dir=tmp_path / "cache")
    written = (repo / "apps" / "web-prod.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(written, 1) if text.startswith("    kustomize:"))
    # (at the label's entry: the one-line mapping writes it on the kustomize: line)
    assert [(e.policy, e.file, e.line) for e in report.errors] == [
        ("could-not-check", "apps/web-prod.yaml", line)]
    assert "team" in report.errors[0].message


@pytest.mark.parametrize("without_selector", [False, None])
def test_labels_in_templates_without_without_selector_fail_the_build(
        tmp_path: Path, without_selector: bool | None) -> None:
    """``labelIncludeTemplates`` without ``labelWithoutSelector``: Argo CD runs ``kustomize
    edit add label --include-templates``, which kustomize refuses ("--without-selector flag
    must be specified"), so the source is not built (it rendered clean)."""
    kustomize: dict[str, Any] = {"commonLabels": {"tier": "frontend"},
                                 "labelIncludeTemplates": True}
    if without_selector is not None:
        kustomize["labelWithoutSelector"] = without_selector
    repo = _repo(tmp_path, {"resources": ["deploy.yaml"]}, kustomize)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.policy, e.file) for e in report.errors] == [
        ("could-not-check", "apps/web-prod.yaml")]
    assert "labelIncludeTemplates" in report.errors[0].message


def test_origin_annotations_the_kustomization_asks_for_stay(tmp_path: Path,
                                                            kubectl_bin: Path) -> None:
    written = {"resources": ["deploy.yaml"], "buildMetadata": ["originAnnotations"]}
    repo = _repo(tmp_path, written, {"namePrefix": "x-"})
    ours = _platecheck(repo, tmp_path)
    assert ours == _kubectl(kubectl_bin, repo, {**written, "namePrefix": "x-"})
    assert all("config.kubernetes.io/origin" in json.loads(d)["metadata"]["annotations"]
               for d in ours)


def test_the_managed_by_label_says_a_released_kustomize(tmp_path: Path,
                                                       kubectl_bin: Path) -> None:
    """kubectl's kustomize writes ``kustomize-(devel)`` for ``managedByLabel``, a value the
    API server refuses; a released kustomize (Argo CD's) writes its version, and so does
    platecheck: no k8s-schema finding, and the rest of the output is kubectl's."""
    written = {"resources": ["deploy.yaml"], "buildMetadata": ["managedByLabel"]}
    repo = _repo(tmp_path, written, {})
    label = "app.kubernetes.io/managed-by"
    built = [json.loads(d) for d in _kubectl(kubectl_bin, repo, written)]
    assert [d["metadata"]["labels"][label] for d in built] == ["kustomize-(devel)"]
    ours = [json.loads(d) for d in _platecheck(repo, tmp_path)]
    assert [d["metadata"]["labels"].pop(label) for d in ours] == ["kustomize-v5.4.2"]
    assert [d["metadata"]["labels"].pop(label) and d for d in built] == ours
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert not [f for f in report.findings if f.policy == "k8s-schema"]


def test_two_applications_of_one_kustomization_each_build_their_own(tmp_path: Path) -> None:
    """The kustomization is read once in a run; each Application's edits apply to its own
    copy (one Application's images reached the other's build, and its cache entry)."""
    repo = _repo(tmp_path, {"resources": ["deploy.yaml"]},
                 {"images": ["registry.example.com/a:latest"]})
    _repo(tmp_path, {"resources": ["deploy.yaml"]}, {"images": ["registry.example.com/a:1.2.3"]},
          name="web-stg")
    for _ in range(2):  # and again, from the cache
        model = load(repo, cache_dir=tmp_path / "cache")
        images = {r.id: r.resources[0].doc["spec"]["template"]["spec"]["containers"][0]
                  ["image"] for r in model.rendered}
        assert images == {"prod/web": "registry.example.com/a:latest",
                          "stg/web": "registry.example.com/a:1.2.3"}


def test_a_component_the_application_adds_is_part_of_the_build(tmp_path: Path) -> None:
    """A change in a component only the Application adds renders anew (it was left out of
    the cache key), and its patch is where a value it sets is found."""
    patch = ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
             "  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n"
             "      metadata: {name: web}\n      spec:\n        template:\n          spec:\n"
             "            containers:\n              - name: a\n"
             "                image: registry.example.com/a:latest\n")
    repo = _repo(tmp_path, {"resources": ["deploy.yaml"]}, {"components": ["../comp"]},
                 {"comp/kustomization.yaml": patch})
    first = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in first.findings if f.policy == "image-tag-pinned"] == [
        "comp/kustomization.yaml:13"]
    (repo / "comp" / "kustomization.yaml").write_text(patch.replace(":latest", ":1.2.3"))
    again = lint(repo, cache_dir=tmp_path / "cache")
    assert [f for f in again.findings if f.policy == "image-tag-pinned"] == []


PATCH = {"target": {"kind": "Deployment"},
         "patch": '[{"op": "add", "path": "/spec/replicas", "value": 2}]'}


@pytest.mark.parametrize(("kustomize", "refused"), [
    ({"patches": [PATCH]}, True),
    ({"patches": [PATCH], "namePrefix": "x-"}, False),
    ({"patches": [PATCH], "commonAnnotations": {"team": "blue"}}, False)])
def test_application_patches_on_a_patches_key_with_no_value(
        tmp_path: Path, kustomize: dict[str, Any], refused: bool) -> None:
    """Argo CD adds ``kustomize.patches`` to the kustomization it reads itself, and a
    ``patches`` key with no value fails there; a ``kustomize edit`` command before it
    rewrites the file without the key, and the build goes on."""
    repo = _repo(tmp_path, {"resources": ["deploy.yaml"], "patches": None}, kustomize)
    model = load(repo, cache_dir=tmp_path / "cache")
    if refused:
        assert [(e.policy, e.location) for e in model.errors] == [
            ("could-not-check", "apps/web-prod.yaml:11")]
        assert "patches key has no value (null)" in model.errors[0].message
    else:
        assert model.errors == ()
        assert model.rendered[0].resources[0].doc["spec"]["replicas"] == 2
