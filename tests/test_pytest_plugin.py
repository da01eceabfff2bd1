"""The pytest plugin, run by pytest itself (pytester) on a small shop repository.

The shop (tests/fixtures/ci/shop) has web and api, each in staging and production. The
pytester runs register tests/fixtures/ci/sample_policy.py as an extra target policy
(``replicas-minimum``) so that these tests control exactly which findings exist.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

import platecheck.engine
import platecheck.pytest_plugin  # noqa: F401
from platecheck.policies import registry

pytest_plugins = ["pytester"]

# In-process pytester runs drop the modules they imported afterwards; import everything the
# inner runs use here, once, so that they all share these modules.
for _module in pkgutil.walk_packages(platecheck.__path__, "platecheck."):
    if not _module.name.endswith("__main__"):
        importlib.import_module(_module.name)
registry()

FIXTURES = Path(__file__).parent / "fixtures" / "ci"
SHOP_TARGETS = ("prod/api", "stg/api", "prod/web", "stg/web")  # Application file order


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "platecheck.pytest_plugin" for ep in entry_points(group="pytest11"))


# Without an install the entry point does not exist; name the plugin explicitly instead.
# (hypothesis' plugin costs a second per run and nothing here uses it.)
PLUGIN = ["-p", "no:hypothesispytest",
          *([] if _plugin_installed() else ["-p", "platecheck.pytest_plugin"])]

# Loaded by the inner pytest (and by each xdist worker): registers the sample policy for the
# duration of that run.
CONFTEST = f"""
import importlib.util
import sys

import platecheck.policies as policies

NAME = "platecheck.policies.sample_replicas"


def pytest_configure(config):
    spec = importlib.util.spec_from_file_location(NAME, {str(FIXTURES / "sample_policy.py")!r})
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    spec.loader.exec_module(module)
    config._platecheck_saved = policies._entry_point_modules
    policies._entry_point_modules = lambda: [module]


def pytest_unconfigure(config):
    policies._entry_point_modules = config._platecheck_saved
    sys.modules.pop(NAME, None)
"""

# staging: a warning below 2 replicas; production: an error below 2 (web-prod runs 3).
SAMPLE_CONFIG = """\
kubernetesVersion: "1.31.0"
policies:
  replicas-minimum:
    level: {prod: error, stg: warning}
"""


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render-cache")


@pytest.fixture()
def shop(pytester: pytest.Pytester, helm_bin: Path, render_cache: Path,
         monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shop inside the pytester directory, with the sample policy."""
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(render_cache))
    # subprocess runs start elsewhere: make a source checkout's package importable there too
    source = str(Path(platecheck.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (source, os.environ.get("PYTHONPATH")) if p))
    root = pytester.path / "shop"
    shutil.copytree(FIXTURES / "shop", root)
    (root / "policies" / "platecheck.yaml").write_text(SAMPLE_CONFIG)
    pytester.makeconftest(CONFTEST)
    return root


def expected_ids(targets: tuple[str, ...], extra_policies: tuple[str, ...] = ()) -> list[str]:
    policies = registry()
    # the registry orders policies by id within a scope, extra (entry point) ones included
    target_scope = sorted([p for p, m in policies.items() if m.SCOPE == "target"]
                          + list(extra_policies))
    repo_scope = [p for p, m in policies.items() if m.SCOPE != "target"]
    return ([f"{t}::{p}" for t in targets for p in target_scope]
            + [f"repository::{p}" for p in repo_scope])


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line and not line.startswith(" ")]


def test_one_item_per_policy_and_target(pytester: pytest.Pytester, shop: Path) -> None:
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "--collect-only", "-q")
    assert collected(result) == expected_ids(SHOP_TARGETS, ("replicas-minimum",))
    assert result.ret == 0


def test_no_items_without_the_option(pytester: pytest.Pytester, shop: Path) -> None:
    result = pytester.runpytest(*PLUGIN, "--collect-only", "-q")
    assert collected(result) == []


def test_the_ini_file_turns_it_on(pytester: pytest.Pytester, shop: Path) -> None:
    pytester.makeini("[pytest]\nplatecheck = true\nplatecheck_paths = shop/apps\n")
    result = pytester.runpytest(*PLUGIN, "--collect-only", "-q")
    assert collected(result) == expected_ids(SHOP_TARGETS, ("replicas-minimum",))


def test_environment_and_configuration_options(pytester: pytest.Pytester, shop: Path) -> None:
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "--platecheck-env", "prod",
                                "--collect-only", "-q")
    assert collected(result) == expected_ids(("prod/api", "prod/web"), ("replicas-minimum",))
    elsewhere = pytester.path / "team-policies"
    elsewhere.mkdir()
    (elsewhere / "platecheck.yaml").write_text(SAMPLE_CONFIG.replace("prod: error", "prod: off"))
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "--platecheck-config",
                                "team-policies", "-rs")
    result.stdout.fnmatch_lines([
        "SKIPPED [2] team-policies/platecheck.yaml:4: replicas-minimum is off for prod in the "
        "configuration"])


def test_clean_targets_pass_and_warnings_do_not_fail(pytester: pytest.Pytester,
                                                     shop: Path) -> None:
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-rA")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == len(expected_ids(SHOP_TARGETS, ("replicas-minimum",)))
    assert "failed" not in outcomes
    # staging runs one replica: a warning at the values line, reported as a pytest warning;
    # its file is absolute (the shop is not the current directory), so pytest quotes its line
    result.stdout.re_match_lines([
        r"stg/web::replicas-minimum",
        rf"  {re.escape(str(shop))}/charts/web/values-stg.yaml:1: PlatecheckWarning: stg/web: "
        r"Deployment web-stg runs 1 replica; at least 2 required",
        r"    replicas: 1",
    ], consecutive=True)
    assert result.ret == 0


def test_a_finding_fails_its_item_with_file_line_and_no_traceback(
        pytester: pytest.Pytester, shop: Path) -> None:
    (shop / "charts/web/values-prod.yaml").write_text('image:\n  tag: "2.4.0"\nreplicas: 1\n')
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1
    result.stdout.fnmatch_lines([
        "*_ prod/web::replicas-minimum _*",
        "replicas-minimum: 1 finding",
        "charts/web/values-prod.yaml:3: Deployment web-prod runs 1 replica; at least 2 "
        "required (Deployment/web-prod)",
        "  fix: Raise replicas in the environment's values file.",
        "*short test summary*",
        "FAILED prod/web::replicas-minimum - replicas-minimum: 1 finding",
    ])
    assert "Traceback" not in result.stdout.str()
    assert "pytest_plugin.py" not in result.stdout.str()
    assert result.ret == 1


def test_warnings_made_errors_by_the_filter_fail_with_the_error_level_findings(
        pytester: pytest.Pytester, shop: Path) -> None:
    # both Applications of web lack automated sync: an error in prod, a warning in stg, both
    # findings of the one item repository::argocd-application
    (shop / "policies/platecheck.yaml").write_text(
        SAMPLE_CONFIG + "  argocd-application:\n    level: {prod: error, stg: warning}\n"
        "    options:\n      requireAutomated: true\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-k",
                                "argocd-application or (stg and web and replicas)",
                                "-W", "error::platecheck.pytest_plugin.PlatecheckWarning")
    result.stdout.fnmatch_lines([
        "*_ stg/web::replicas-minimum _*",
        "replicas-minimum: 1 warning the warnings filter makes errors",
        "charts/web/values-stg.yaml:1: warning: stg/web: Deployment web-stg runs 1 replica; at "
        "least 2 required (Deployment/web-stg)",
        "  fix: Raise replicas in the environment's values file.",
        "*_ repository::argocd-application _*",
        "argocd-application: 2 findings, 2 warnings the warnings filter makes errors",
        "apps/api-prod.yaml:8: Application api-prod: sync policy is not automated*",
        "  fix: *",
        "apps/web-prod.yaml:8: Application web-prod: sync policy is not automated*",
        "  fix: *",
        "apps/api-stg.yaml:8: warning: stg/api: Application api-stg: sync policy is not "
        "automated*",
        "  fix: *",
        "apps/web-stg.yaml:8: warning: stg/web: Application web-stg: sync policy is not "
        "automated*",
        "  fix: *",
    ])
    assert result.parseoutcomes()["failed"] == 2
    assert "Traceback" not in result.stdout.str()
    assert "pytest_plugin.py" not in result.stdout.str()


def test_an_item_whose_findings_are_all_waived_is_skipped_with_the_reason(
        pytester: pytest.Pytester, shop: Path) -> None:
    (shop / "charts/web/values-prod.yaml").write_text("replicas: 1\n")
    (shop / "policies/waivers.yaml").write_text(
        "waivers:\n"
        "  - policy: replicas-minimum\n"
        "    target: prod/web\n"
        "    reason: one replica while the database migrates\n"
        "    expires: 2999-12-31\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-rs", "--junitxml=out.xml")
    result.stdout.fnmatch_lines([
        "SKIPPED [1] shop/charts/web/values-prod.yaml:1: waived: one replica while the "
        "database migrates"])
    outcomes = result.parseoutcomes()
    assert outcomes["skipped"] == 1 and "failed" not in outcomes
    skipped = ET.parse(pytester.path / "out.xml").getroot().find(
        ".//testcase[@name='replicas-minimum'][@classname='prod.web']/skipped")
    assert skipped is not None
    assert skipped.get("message") == "waived: one replica while the database migrates"
    assert result.ret == 0


def test_a_policy_configured_off_is_skipped_not_passed(pytester: pytest.Pytester,
                                                       shop: Path) -> None:
    (shop / "policies/platecheck.yaml").write_text(
        SAMPLE_CONFIG.replace("stg: warning", "stg: \"off\""))
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-rs")
    result.stdout.fnmatch_lines([
        "SKIPPED [2] shop/policies/platecheck.yaml:4: replicas-minimum is off for stg in the "
        "configuration"])
    assert result.parseoutcomes()["skipped"] == 2
    assert result.ret == 0


def test_keyword_selection_and_exitfirst(pytester: pytest.Pytester, shop: Path) -> None:
    (shop / "charts/api/values-prod.yaml").write_text("replicas: 1\n")
    (shop / "charts/web/values-prod.yaml").write_text("replicas: 0\n")
    selected = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-k", "prod and web",
                                  "--collect-only", "-q")
    assert collected(selected) == [i for i in expected_ids(SHOP_TARGETS, ("replicas-minimum",))
                                   if i.startswith("prod/web::")]
    unmarked = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-m", "not platecheck",
                                  "--collect-only", "-q")
    assert collected(unmarked) == []
    first = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-x", "-k", "replicas")
    assert first.parseoutcomes()["failed"] == 1
    assert "stopping after 1 failures" in first.stdout.str()


def test_a_target_that_could_not_be_checked_fails_all_its_items(
        pytester: pytest.Pytester, shop: Path) -> None:
    (shop / "charts/api/templates/broken.yaml").write_text("x: {{ .Values.nope.deeper }}\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop")
    failed = re.findall(r"^FAILED (\S+)", result.stdout.str(), re.MULTILINE)
    # (helm lint, a repository check, fails on the template too)
    assert sorted(i for i in failed if not i.startswith("repository::")) == sorted(
        i for i in expected_ids(SHOP_TARGETS, ("replicas-minimum",))
        if i.startswith(("stg/api::", "prod/api::")))
    result.stdout.fnmatch_lines([
        "could not check prod/api: nothing here was checked",
        "charts/api/templates/broken.yaml:1: helm template failed: *nil pointer*",
    ])
    assert result.ret == 1


def test_a_part_of_a_target_one_policy_could_not_check_fails_that_item_only(
        pytester: pytest.Pytester, shop: Path) -> None:
    """A CRD the API server refuses leaves its Cache unchecked by k8s-schema, which checks the
    rest of the target: only that item fails, with the error and what it found; the others of
    the target pass."""
    (shop / "charts/api/templates/cache.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: caches.example.com}\nspec:\n  group: example.com\n"
        "  scope: Namespaced\n  names: {kind: Cache, plural: caches}\n  versions:\n"
        "  - name: v1\n    served: true\n    storage: true\n    schema:\n"
        "      openAPIV3Schema:\n        type: object\n        properties:\n"
        "          spec: {}\n---\n"
        "apiVersion: example.com/v1\nkind: Cache\nmetadata: {name: c}\nspec: {a: 1}\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "-rf")
    failed = re.findall(r"^FAILED (\S+)", result.stdout.str(), re.MULTILINE)
    # (both Applications deploying the CRD is a repository check's finding)
    assert sorted(i for i in failed if not i.startswith("repository::")) == [
        "prod/api::k8s-schema", "stg/api::k8s-schema"]
    result.stdout.fnmatch_lines([
        "k8s-schema: could not check part of prod/api; 1 finding",
        "charts/api/templates/cache.yaml:19: Cache/c: Cache (example.com/v1) is not installed*",
        "  fix: Fix what the API server refuses in the CustomResourceDefinition*",
        "charts/api/templates/cache.yaml:16: CustomResourceDefinition/caches.example.com: "
        "spec.versions*.schema.openAPIV3Schema.properties.spec.type: Required value: *",
    ])
    assert result.ret == 1


def test_bad_configuration_is_one_collection_error(pytester: pytest.Pytester,
                                                   shop: Path) -> None:
    (shop / "policies/platecheck.yaml").write_text("policies:\n  no-such-policy: {}\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop")
    result.stdout.fnmatch_lines([
        "*ERROR collecting platecheck*",
        "platecheck: error: policies/platecheck.yaml:2: *no-such-policy*",
    ])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_junitxml_has_one_testcase_per_policy_and_target(pytester: pytest.Pytester,
                                                         shop: Path) -> None:
    (shop / "charts/web/values-prod.yaml").write_text("replicas: 1\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "shop", "--junitxml=out.xml")
    assert result.ret == 1
    cases = ET.parse(pytester.path / "out.xml").getroot().iter("testcase")
    by_id = {f"{c.get('classname', '').replace('.', '/')}::{c.get('name')}": c for c in cases}
    assert sorted(by_id) == sorted(expected_ids(SHOP_TARGETS, ("replicas-minimum",)))
    failure = by_id["prod/web::replicas-minimum"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "replicas-minimum: 1 finding\n"
        "charts/web/values-prod.yaml:1: Deployment web-prod runs 1 replica; at least 2 required "
        "(Deployment/web-prod)\n"
        "  fix: Raise replicas in the environment's values file.")


# -- renders: once per process ------------------------------------------------------------


@pytest.fixture()
def counting_helm(tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A helm that logs ``<pid of its caller> <release>`` for each ``helm template``; the
    caller is the platecheck process, above the coreutils ``timeout`` that bounds helm."""
    log = tmp_path / "helm.log"
    script = tmp_path / "helm"
    script.write_text(
        "#!/bin/sh\n"
        "caller=$PPID\n"
        '[ "$(cat /proc/$caller/comm 2>/dev/null)" = timeout ] && '
        "caller=$(cut -d' ' -f4 /proc/$caller/stat)\n"
        f'[ "$1" = template ] && echo "$caller ${{3#--name-template=}}" >> {log}\n'
        f'exec {helm_bin} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PLATECHECK_HELM", str(script))
    return log


def renders(log: Path) -> Counter[tuple[str, str]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(tuple(line.split(" ", 1)) for line in lines)  # type: ignore[misc]


def test_items_and_fixtures_share_one_render_per_target(
        pytester: pytest.Pytester, shop: Path, counting_helm: Path) -> None:
    pytester.makepyfile(test_custom="""
        def test_uses_the_model(platecheck_repo, rendered):
            assert {r.id for r in rendered} == {t.id for t in platecheck_repo.targets}
    """)
    pytester.makeini("[pytest]\nplatecheck_paths = shop\n")
    result = pytester.runpytest(*PLUGIN, "--platecheck", "--platecheck-no-cache")
    result.assert_outcomes(passed=1 + len(expected_ids(SHOP_TARGETS, ("replicas-minimum",))))
    counts = renders(counting_helm)
    assert sorted(release for _, release in counts) == sorted(
        ["api-prod", "api-stg", "web-prod", "web-stg"])
    assert set(counts.values()) == {1}


def test_xdist_workers_render_each_target_once(pytester: pytest.Pytester, shop: Path,
                                               counting_helm: Path) -> None:
    pytest.importorskip("xdist")
    result = pytester.runpytest_subprocess(*PLUGIN, "--platecheck", "shop", "-n", "2",
                                           "--platecheck-no-cache")
    result.assert_outcomes(passed=len(expected_ids(SHOP_TARGETS, ("replicas-minimum",))))
    counts = renders(counting_helm)
    workers = {pid for pid, _ in counts}
    assert len(workers) == 2  # each worker checks the repository once ...
    assert set(counts.values()) == {1}  # ... and renders each target once
    assert len(counts) == 2 * len(SHOP_TARGETS)


# -- fixtures ---------------------------------------------------------------------------------


def test_rendered_by_environment(pytester: pytest.Pytester, shop: Path) -> None:
    pytester.makeini("[pytest]\nplatecheck_paths = shop\n")
    pytester.makepyfile(test_custom="""
        import pytest

        @pytest.mark.parametrize("rendered", ["prod"], indirect=True)
        def test_prod_only(rendered):
            assert [r.id for r in rendered] == ["prod/api", "prod/web"]

        def test_factory(platecheck_targets):
            assert [r.id for r in platecheck_targets("stg", app="api")] == ["stg/api"]
            assert [r.id for r in platecheck_targets(["stg", "prod"], app="web")] == [
                "prod/web", "stg/web"]

        def test_unknown_environment(platecheck_targets):
            platecheck_targets("production")
    """)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "platecheck: unknown environment 'production' (configured: prod, stg)"])


@pytest.mark.parametrize("how", ["--platecheck-env", "platecheck_env"])
def test_an_environment_the_session_filter_left_out_fails_not_passes_empty(
        pytester: pytest.Pytester, shop: Path, how: str) -> None:
    env_ini = "platecheck_env = stg\n" if how == "platecheck_env" else ""
    pytester.makeini(f"[pytest]\nplatecheck_paths = shop\n{env_ini}")
    pytester.makepyfile(test_custom="""
        import pytest

        @pytest.mark.parametrize("rendered", ["prod"], indirect=True)
        def test_prod(rendered):
            pass

        def test_prod_and_stg(platecheck_targets):
            platecheck_targets(["stg", "prod"])

        def test_stg(platecheck_targets):
            assert [r.id for r in platecheck_targets("stg")] == ["stg/api", "stg/web"]
    """)
    result = pytester.runpytest(*PLUGIN, *([] if env_ini else ["--platecheck-env", "stg"]))
    result.assert_outcomes(passed=1, failed=1, errors=1)
    message = ("platecheck: environment 'prod' is not loaded: this session loads only stg "
               "(--platecheck-env / platecheck_env)")
    result.stdout.fnmatch_lines(["*ERROR at setup of test_prod[[]prod[]]*", message,
                                 "*_ test_prod_and_stg _*", message])


def test_a_choice_no_target_matches_fails_not_passes_empty(
        pytester: pytest.Pytester, shop: Path) -> None:
    pytester.makeini("[pytest]\nplatecheck_paths = shop\n")
    pytester.makepyfile(test_custom="""
        def test_misspelt_app(platecheck_targets):
            platecheck_targets("prod", app="wbe")

        def test_app(platecheck_targets):
            assert [r.id for r in platecheck_targets(app="web")] == ["prod/web", "stg/web"]
    """)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["platecheck: no target of environment prod and app 'wbe' was loaded"])


def test_a_targets_path_is_relative_to_the_ini_file_not_the_current_directory(
        pytester: pytest.Pytester, shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nplatecheck_paths = shop\n")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests/test_custom.py").write_text(
        "def test_paths(platecheck_targets):\n"
        "    assert [r.id for r in platecheck_targets('prod', path='shop')] == [\n"
        "        'prod/api', 'prod/web']\n"
        f"    assert [r.id for r in platecheck_targets('stg', path={str(shop)!r})] == [\n"
        "        'stg/api', 'stg/web']\n")
    monkeypatch.chdir(pytester.path / "tests")  # as an editor runs one test file
    result = pytester.runpytest(*PLUGIN, "test_custom.py")
    result.assert_outcomes(passed=1)


def test_fixtures_fail_closed_when_a_target_could_not_be_rendered(
        pytester: pytest.Pytester, shop: Path) -> None:
    (shop / "charts/api/templates/broken.yaml").write_text("x: {{ .Values.nope.deeper }}\n")
    pytester.makeini("[pytest]\nplatecheck_paths = shop\n")
    pytester.makepyfile(test_custom="""
        def test_web(platecheck_targets):
            assert len(platecheck_targets(app="web")) == 2

        def test_all(rendered):
            pass
    """)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, errors=1)  # a fixture that fails is an error of the test
    result.stdout.fnmatch_lines([
        "platecheck: could not check:",
        "charts/api/templates/broken.yaml:1: prod/api: helm template failed: *nil pointer*",
    ])


def test_fixtures_fail_closed_when_a_target_could_not_be_planned(
        pytester: pytest.Pytester, shop: Path) -> None:
    # a values file that does not parse stops stg/api before it is a target of the model
    (shop / "charts/api/values-stg.yaml").write_text("replicas: {2\n")
    pytester.makeini("[pytest]\nplatecheck_paths = shop\n")
    pytester.makepyfile(test_custom="""
        import pytest

        @pytest.mark.parametrize("rendered", ["stg"], indirect=True)
        def test_stg(rendered):
            pass

        def test_api(platecheck_targets):
            platecheck_targets(app="api")

        def test_others(platecheck_targets):
            assert [r.id for r in platecheck_targets("stg", app="web")] == ["stg/web"]
            assert [r.id for r in platecheck_targets("prod")] == ["prod/api", "prod/web"]
    """)
    result = pytester.runpytest(*PLUGIN, "-rfE")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    outcomes = re.findall(r"^(ERROR|FAILED) (\S+) - (.*)$", result.stdout.str(), re.MULTILINE)
    assert [(kind, test) for kind, test, _ in outcomes] == [
        ("FAILED", "test_custom.py::test_api"), ("ERROR", "test_custom.py::test_stg[stg]")]
    result.stdout.fnmatch_lines([
        "platecheck: could not check:",
        "charts/api/values-stg.yaml:2: stg/api: invalid YAML: *",
    ])


# -- installed: the entry point ---------------------------------------------------------------


@pytest.mark.skipif(not _plugin_installed(),
                    reason="platecheck is not installed: the pytest11 entry point needs an "
                           "install (tox installs it)")
def test_the_entry_point_loads_the_plugin(pytester: pytest.Pytester, shop: Path) -> None:
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "--platecheck", "shop",
                                           "--collect-only", "-q")
    assert collected(result) == expected_ids(SHOP_TARGETS, ("replicas-minimum",))


def test_the_entry_point_is_declared() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["pytest11"] == {
        "platecheck": "platecheck.pytest_plugin"}
    assert os.path.exists(Path(__file__).parent.parent / "src/platecheck/pytest_plugin.py")
    assert sys.modules.get("platecheck.pytest_plugin") is not None


# -- this repository's own content ------------------------------------------------------------


@pytest.fixture()
def content(pytester: pytest.Pytester, repo_root: Path, helm_bin: Path, render_cache: Path,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's helm/, environments/ and policies/."""
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(render_cache))
    for part in ("helm", "environments", "policies"):
        shutil.copytree(repo_root / part, pytester.path / part)
    return pytester.path


def content_ids(root: Path) -> list[str]:
    from platecheck.engine import lint

    report = lint(root / "environments")
    return ([f"{t.id}::{p.id}" for t in report.targets if t.rendered_here
             for p in report.policies if p.scope == "target"]
            + [f"repository::{p.id}" for p in report.policies if p.scope != "target"])


def junit_cases(xml: Path) -> dict[str, ET.Element]:
    cases = ET.parse(xml).getroot().iter("testcase")
    return {f"{c.get('classname', '').replace('.', '/')}::{c.get('name')}": c for c in cases}


def test_this_repository_passes_and_a_floating_production_tag_fails_its_item(
        pytester: pytest.Pytester, content: Path) -> None:
    result = pytester.runpytest(*PLUGIN, "--platecheck", "environments/",
                                "--junitxml=clean.xml")
    assert result.ret == 0, result.stdout.str()
    clean = junit_cases(content / "clean.xml")
    assert sorted(clean) == sorted(content_ids(content))
    assert all(case.find("failure") is None for case in clean.values())

    values = content / "helm/applications/plate-web/values-prod.yaml"
    text = values.read_text()
    assert text.count('tag: "1.25.5"') == 1
    values.write_text(text.replace('tag: "1.25.5"', "tag: latest"))
    line = text.splitlines().index('  tag: "1.25.5"') + 1
    result = pytester.runpytest(*PLUGIN, "--platecheck", "environments/",
                                "--junitxml=floating.xml")
    assert result.ret == 1
    floating = junit_cases(content / "floating.xml")
    failed = {i: c.find("failure") for i, c in floating.items() if c.find("failure") is not None}
    assert list(failed) == ["prod/plate-web::image-tag-pinned"]
    message = failed["prod/plate-web::image-tag-pinned"].get("message", "")
    assert message.splitlines()[:2] == [
        "image-tag-pinned: 1 finding",
        f"helm/applications/plate-web/values-prod.yaml:{line}: container \"nginx\" in "
        "Deployment/plate-web uses floating tag \"latest\" (Deployment/plate-web[nginx])",
    ]
