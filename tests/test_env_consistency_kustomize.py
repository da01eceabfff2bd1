"""env-consistency on Kustomize overlays, built by the real kubectl: staging and production
compare by what their kustomizations change (which image, which patch, which generated
ConfigMap), not by how kustomize names the result or in which order the entries are listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from synthetic import application, repository

pytestmark = pytest.mark.usefixtures("kubectl_bin")

DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
    "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
    "      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n"
    "          image: web:latest\n          imagePullPolicy: IfNotPresent\n"
    "          resources:\n            requests: {cpu: 100m, memory: 128Mi}\n"
    "            limits: {cpu: 200m, memory: 256Mi}\n")
OVERLAY = "resources:\n  - ../../base\n"


def env_findings(tmp_path: Path, prod: str, stg: str,
                 files: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The env-consistency findings (location, message) of a repository whose production and
    staging overlays of one base are the kustomizations ``prod`` and ``stg``."""
    repo = repository(tmp_path, {
        "base/deploy.yaml": DEPLOYMENT,
        "base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
        "overlays/prod/kustomization.yaml": prod,
        "overlays/stg/kustomization.yaml": stg,
        "apps/web-prod.yaml": application("web-prod", "overlays/prod", "web-prod"),
        "apps/web-stg.yaml": application("web-stg", "overlays/stg", "web-stg"),
        **(files or {})})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    return [(f.location, f.message) for f in report.findings if f.policy == "env-consistency"]


def image(name: str, new_name: str | None, tag: str) -> str:
    """An ``images`` list of one entry."""
    renamed = f"    newName: {new_name}\n" if new_name else ""
    return f"images:\n  - name: {name}\n{renamed}    newTag: \"{tag}\"\n"


@pytest.mark.parametrize(("prod", "stg", "found"), [
    pytest.param(OVERLAY + image("web", "registry.example.com/web", "1.0.0"),
                 OVERLAY + image("web", "registry.example.com/team/web", "1.1.0"), [],
                 id="one-image-from-two-registries"),
    pytest.param(OVERLAY + image("web", "registry.example.com/web", "1.0.0"),
                 OVERLAY + image("web", None, "1.1.0"),
                 [("overlays/prod/kustomization.yaml:5", 'values key "images.web.newName" is '
                   "set for prod/web but not for stg/web")],
                 id="an-image-renamed-in-production-only"),
    pytest.param(OVERLAY + image("web", "registry.example.com/web", "1.0.0"),
                 OVERLAY + image("sidecar", "registry.example.com/web", "1.0.0"),
                 [("overlays/prod/kustomization.yaml:4", 'values key "images.web" is set for '
                   "prod/web but not for stg/web"),
                  ("overlays/stg/kustomization.yaml:4", 'values key "images.sidecar" is set '
                   "for stg/web but not for prod/web")],
                 id="images-replaced-in-one-environment-only"),
])
def test_images_compare_by_the_image_they_replace(
        tmp_path: Path, prod: str, stg: str, found: list[tuple[str, str]]) -> None:
    """An ``images`` entry is the image it replaces (``name``); its new name, tag and digest
    are values, which may differ between environments."""
    assert env_findings(tmp_path, prod, stg) == found


def test_an_image_a_base_renames_is_the_same_image_in_both_overlays(tmp_path: Path) -> None:
    """Overlays that set the tag of the image their base renamed (an entry of the new name,
    the one that applies to it) set the same key, whatever their tags."""
    base = ("resources:\n  - deploy.yaml\nimages:\n  - name: web\n"
            "    newName: registry.example.com/web\n")
    prod, stg = (OVERLAY + image("registry.example.com/web", None, tag)
                 for tag in ("1.0.0", "1.1.0"))
    assert env_findings(tmp_path, prod, stg, {"base/kustomization.yaml": base}) == []


@pytest.mark.parametrize("base_name", ["web", "registry.example.com/web"])
def test_an_image_a_base_sets_and_overlays_rename_is_one_image(
        tmp_path: Path, base_name: str) -> None:
    """A base that pins the image (``newName: web``, or a registry of its own) and overlays
    that each give the image it made a registry and tag: one image's values in both
    environments (staging's new name was a key production did not set)."""
    base = "resources:\n  - deploy.yaml\n" + image("web", base_name, "1.0.0")
    prod = OVERLAY + image(base_name, "web", "1.1.0")
    stg = OVERLAY + image(base_name, "ghcr.io/acme/web", "1.2.0")
    assert env_findings(tmp_path, prod, stg, {"base/kustomization.yaml": base}) == []


REPLICAS = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
            "  replicas: {count}\n")
INLINE = ("  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n"
          "        name: web\n        annotations:\n          level: {level}\n")
PATCH_FILES = {f"overlays/{env}/{name}": text for env in ("prod", "stg") for name, text in (
    ("replicas.yaml", REPLICAS.format(count=2)),
    ("delay.yaml", REPLICAS.replace("replicas: {count}", "minReadySeconds: 10")),
    (f"replicas-{env}.yaml", REPLICAS.format(count=3)))}
TARGET = "    target: {kind: Deployment, name: web}\n"
OPTIONS = "    options: {allowKindChange: false}\n"


@pytest.mark.parametrize(("prod", "stg", "found"), [
    pytest.param(OVERLAY + "patches:\n  - path: replicas.yaml\n  - path: delay.yaml\n"
                 + INLINE.format(level="warn"),
                 OVERLAY + "patches:\n  - path: replicas.yaml\n" + INLINE.format(level="debug"),
                 [("overlays/prod/kustomization.yaml:5", 'values key "patches.delay.yaml" is '
                   "set for prod/web but not for stg/web")],
                 id="one-more-patch-in-production"),
    pytest.param(OVERLAY + "patches:\n  - path: replicas.yaml\n" + OPTIONS
                 + "  - path: delay.yaml\n",
                 OVERLAY + "patches:\n  - path: delay.yaml\n  - path: replicas.yaml\n"
                 + OPTIONS, [],
                 id="patches-in-another-order"),
    pytest.param(OVERLAY + "patches:\n  - path: delay.yaml\n  - path: replicas-prod.yaml\n"
                 + TARGET,
                 OVERLAY + "patches:\n  - path: replicas-stg.yaml\n" + TARGET
                 + "    options: {allowNameChange: false}\n  - path: delay.yaml\n",
                 [("overlays/stg/kustomization.yaml:6", 'values key '
                   '"patches.Deployment/web.options" is set for stg/web but not for prod/web')],
                 id="patches-of-one-target-from-files-of-other-names"),
    pytest.param(OVERLAY + "patchesStrategicMerge:\n  - replicas.yaml\n  - delay.yaml\n",
                 OVERLAY + "patchesStrategicMerge:\n  - delay.yaml\n  - replicas.yaml\n", [],
                 id="strategic-merge-patches-in-another-order"),
    pytest.param(OVERLAY + "configMapGenerator:\n  - name: alpha\n    literals: [A=1]\n"
                 "  - name: beta\n    files: [replicas.yaml]\n",
                 OVERLAY + "configMapGenerator:\n  - name: beta\n    files: [replicas.yaml]\n"
                 "  - name: alpha\n    literals: [A=1]\n", [],
                 id="generators-in-another-order"),
])
def test_patches_and_generators_compare_by_what_they_are(
        tmp_path: Path, prod: str, stg: str, found: list[tuple[str, str]]) -> None:
    """A patch is known by its file, else its target, else the object it names; a generator
    by its name: one more patch in production, or the same ones in another order, leaves
    the others paired with their own."""
    assert env_findings(tmp_path, prod, stg, PATCH_FILES) == found


GENERATOR = "  - name: {name}\n    literals: [{data}]\n"
BEHAVIOR = "    behavior: merge\n"


@pytest.mark.parametrize(("prod", "stg", "files", "found"), [
    pytest.param(OVERLAY + "configMapGenerator:\n" + GENERATOR.format(name="alpha", data="A=1"),
                 OVERLAY + "configMapGenerator:\n" + GENERATOR.format(name="alpha", data="A=2"),
                 {}, [], id="one-configmap-of-other-data"),
    pytest.param(OVERLAY + "secretGenerator:\n" + GENERATOR.format(name="creds", data="B=1")
                 + BEHAVIOR,
                 OVERLAY + "secretGenerator:\n" + GENERATOR.format(name="creds", data="B=2")
                 + BEHAVIOR,
                 {"base/kustomization.yaml": "resources:\n  - deploy.yaml\nnamePrefix: web-\n"
                                             "secretGenerator:\n"
                                             + GENERATOR.format(name="creds", data="A=1")},
                 [], id="a-base-secret-each-overlay-merges-into"),
    pytest.param(OVERLAY + "configMapGenerator:\n" + GENERATOR.format(name="alpha", data="A=1")
                 + GENERATOR.format(name="gamma", data="A=1"),
                 OVERLAY + "configMapGenerator:\n" + GENERATOR.format(name="alpha", data="A=2"),
                 {},
                 [("overlays/prod/kustomization.yaml:6", "ConfigMap/gamma-89g4tffbfk is "
                   "rendered for prod/web but not for stg/web"),
                  ("overlays/prod/kustomization.yaml:6", 'values key "configMapGenerator.gamma" '
                   "is set for prod/web but not for stg/web")],
                 id="a-configmap-generated-in-production-only"),
    pytest.param(OVERLAY + "  - cm.yaml\n", OVERLAY + "  - cm.yaml\n",
                 {f"overlays/{env}/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                  f"  name: alpha-{suffix}\n" for env, suffix in (("prod", "89g4tffbfk"),
                                                                  ("stg", "tf28tfk457"))},
                 [("overlays/prod/cm.yaml:2", "ConfigMap/alpha-89g4tffbfk is rendered for "
                   "prod/web but not for stg/web"),
                  ("overlays/stg/cm.yaml:2", "ConfigMap/alpha-tf28tfk457 is rendered for "
                   "stg/web but not for prod/web")],
                 id="configmaps-written-with-names-alike-are-not-generated"),
])
def test_generated_objects_compare_by_their_names_without_the_hash(
        tmp_path: Path, prod: str, stg: str, files: dict[str, str],
        found: list[tuple[str, str]]) -> None:
    """A generator's ConfigMap or Secret is one object in both environments whatever its
    data, though kustomize appends the hash of its data to its name; one production alone
    generates is found at its generator's entry."""
    assert sorted(env_findings(tmp_path, prod, stg, files)) == found


def test_a_kustomize_difference_is_fixed_in_the_kustomizations(tmp_path: Path) -> None:
    """Kustomize has no values files: the fix of a setting one overlay writes says where
    it is written."""
    repo = repository(tmp_path, {
        "base/deploy.yaml": DEPLOYMENT,
        "base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
        "overlays/prod/kustomization.yaml": OVERLAY + "replicas:\n  - name: web\n    count: 3\n",
        "overlays/stg/kustomization.yaml": OVERLAY,
        "apps/web-prod.yaml": application("web-prod", "overlays/prod", "web-prod"),
        "apps/web-stg.yaml": application("web-stg", "overlays/stg", "web-stg")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    [remedy] = {f.remediation for f in report.findings if f.policy == "env-consistency"}
    assert remedy.startswith("write the setting in both environments' kustomizations")


def test_a_resource_of_the_same_kind_and_name_in_another_api_group_is_another(
        tmp_path: Path) -> None:
    """Production's Knative ``Service/web`` is no core ``Service/web`` of staging (Argo CD
    tells resources by group, kind and name): each is rendered in one environment only, and
    the message says which API each one is."""
    knative = ("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: web\n"
               "spec:\n  template:\n    spec:\n      containers:\n        - image: web:1.0.0\n")
    core = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n"
    found = env_findings(tmp_path, OVERLAY + "  - service.yaml\n",
                         OVERLAY + "  - service.yaml\n",
                         {"overlays/prod/service.yaml": knative,
                          "overlays/stg/service.yaml": core,
                          "policies/schemas/service-serving.knative.dev-v1.json": "{}"})
    assert found == [
        ("overlays/prod/service.yaml:2", "Service/web (serving.knative.dev/v1) is rendered for "
         "prod/web but not for stg/web"),
        ("overlays/stg/service.yaml:2", "Service/web (v1) is rendered for stg/web but not for "
         "prod/web")]


REPLICAS = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
PROBE = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
         "    spec:\n      containers:\n        - name: web\n          livenessProbe:\n"
         "            httpGet: {path: /, port: 80}\n")


def test_a_patch_an_overlay_adds_to_its_base_s_is_compared(tmp_path: Path) -> None:
    """The base patches the probe; staging adds a replicas patch, production nothing: kustomize
    applies both of staging's, so staging patches what production does not (the base's
    patch was taken for staging's own, and nothing was found)."""
    base = "resources:\n  - deploy.yaml\npatches:\n  - path: probe.yaml\n"
    found = env_findings(tmp_path, OVERLAY, OVERLAY + "patches:\n  - path: replicas.yaml\n", {
        "base/kustomization.yaml": base, "base/probe.yaml": PROBE,
        "overlays/stg/replicas.yaml": REPLICAS})
    assert found == [("overlays/stg/kustomization.yaml:4", 'values key "patches.replicas.yaml" '
                      "is set for stg/web but not for prod/web")]


COMPONENT = ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
             "labels:\n  - pairs: {tier: web}\n")


def test_a_component_s_patch_is_compared_beside_the_overlay_s_own(tmp_path: Path) -> None:
    """Staging's component patches in a probe, production's none; both overlays patch the
    replicas too: the component's patch is staging's alone (the overlay's list hid it)."""
    overlay = OVERLAY + "components:\n  - ../../comp/{name}\npatches:\n  - path: replicas.yaml\n"
    found = env_findings(tmp_path, overlay.format(name="quiet"), overlay.format(name="debug"), {
        "comp/debug/kustomization.yaml": COMPONENT + "patches:\n  - path: probe.yaml\n",
        "comp/debug/probe.yaml": PROBE, "comp/quiet/kustomization.yaml": COMPONENT,
        "overlays/stg/replicas.yaml": REPLICAS, "overlays/prod/replicas.yaml": REPLICAS})
    assert found == [("comp/debug/kustomization.yaml:6", 'values key "patches.probe.yaml" is '
                      "set for stg/web but not for prod/web")]


def test_a_base_s_generators_stay_beside_an_overlay_s_merge(tmp_path: Path) -> None:
    """The base generates two ConfigMaps; staging merges a key into one of them: both
    environments generate both (no finding for the other), and staging's merge is its own."""
    base = ("resources:\n  - deploy.yaml\nconfigMapGenerator:\n  - name: app-config\n"
            "    literals: [A=1]\n  - name: extra-config\n    literals: [B=2]\n")
    stg = OVERLAY + ("configMapGenerator:\n  - name: app-config\n    behavior: merge\n"
                     "    literals: [C=3]\n")
    found = env_findings(tmp_path, OVERLAY, stg, {"base/kustomization.yaml": base})
    assert found == [("overlays/stg/kustomization.yaml:4", 'values key '
                      '"configMapGenerator.app-config#2" is set for stg/web but not for prod/web')]


def test_a_kustomization_s_header_is_no_setting(tmp_path: Path) -> None:
    """Staging's kustomization has the optional header (apiVersion, kind, metadata),
    production's none: kustomize builds both alike, so nothing differs."""
    header = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
              "metadata:\n  name: web\n")
    assert env_findings(tmp_path, OVERLAY, header + OVERLAY) == []
