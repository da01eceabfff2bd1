"""policies/platecheck.yaml: defaults, overrides and one-line errors naming file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parser_words import PARSER, hide_parser_words
from platecheck.errors import PlatecheckError
from platecheck.model import Application, Level
from platecheck.policies import configuration, image_tag_pinned, not_rendered, registry


def write(root: Path, text: str) -> Path:
    (root / "policies").mkdir(exist_ok=True)
    path = root / "policies" / "platecheck.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error(root: Path, text: str) -> str:
    write(root, text)
    with pytest.raises(PlatecheckError) as caught:
        configuration(root, None)
    return hide_parser_words(str(caught.value))


def written(name: str, labels: dict[str, str] | None = None, namespace: str | None = None,
           file: str = "apps/app.yaml", inherited: str | None = None) -> Application:
    """An Application of this name, labels, destination namespace and file."""
    return Application(name=name, file=file, line=1, namespace=None, labels=labels or {},
                       annotations={}, project=None, destination_namespace=namespace,
                       destination_server=None, sources=(), sync_policy=None,
                       ignore_differences=(), raw={}, inherited_environment=inherited)


def test_builtin_defaults_without_policies(tmp_path: Path) -> None:
    config = configuration(tmp_path, None)
    assert [(e.name, e.production) for e in config.environments] == [("prod", True),
                                                                     ("stg", False)]
    assert config.file is None and config.waivers_file is None
    # rendered for the version the schemas are of: one cluster version in a run
    assert config.kubernetes_version == "1.31.0" and config.render_timeout == 120.0
    assert config.level("not-rendered", "prod") is Level.ERROR  # fails closed by default
    assert config.level("no-such-policy", None) is Level.ERROR  # fails closed
    assert config.policy_options("not-rendered").for_env("prod") == not_rendered.Options()


@pytest.mark.parametrize(("name", "labels", "namespace", "env", "app"), [
    ("web-prod", {}, None, "prod", "web"),
    ("web-production", {}, None, "prod", "web"),
    ("web", {"environment": "production"}, None, "prod", "web"),
    ("web", {}, "team-stg", "stg", "web"),
    ("web-staging", {}, None, "stg", "web"),
    ("web", {"environment": "stg"}, "web-prod", "prod", "web"),  # first environment wins
    ("web", {}, "web", "default", "web"),  # unclassified
    ("prod-web", {}, None, "prod", "web"),  # a Kustomize namePrefix
    ("web-prd", {}, None, "prod", "web"),  # the usual abbreviations
    ("web", {}, "prd-eu", "prod", "web"),
    ("web-stage", {"environment": "stage"}, None, "stg", "web"),
    ("stage-web", {}, None, "stg", "web"),
    ("staging-web", {}, None, "stg", "web"),
    ("web", {}, "stg-tools", "stg", "web"),
    ("web-pre-prod", {}, "web-pre-prod", "default", "web-pre-prod"),  # another environment
    ("web-preprod", {}, "shop-preprd", "default", "web-preprod"),
])
def test_environment_matching(tmp_path: Path, name: str, labels: dict[str, str],
                              namespace: str | None, env: str | None, app: str | None) -> None:
    config = configuration(tmp_path, None)
    matched = config.match_environment(written(name, labels, namespace))
    assert (matched.name if matched else None) == env
    if matched:
        assert matched.app_name(name) == app


def test_a_name_whose_environment_word_is_negated_keeps_it(tmp_path: Path) -> None:
    """``web-non-prd``, in production by its parent (its own name matches no environment),
    is app ``web-non-prd``: ``*-prd`` does not match it, so it cuts nothing."""
    config = configuration(tmp_path, None)
    prod = config.environment("prod")
    assert prod is not None and not prod.matches("web-non-prd", {}, None)
    assert prod.app_name("web-non-prd") == "web-non-prd"
    assert prod.app_name("web-prd") == "web"


@pytest.mark.parametrize(("name", "app"), [
    ("shop-prod-eu", "shop-eu"), ("shop-stg-eu", "shop-eu"),  # *-<env>-*: what * covers
    ("web-prod", "web"), ("prod-web", "web"),
])
def test_an_environment_word_between_two_stars_is_dropped_from_the_app_name(
        tmp_path: Path, name: str, app: str) -> None:
    """``names: ["*-prod-*"]`` and ``["*-stg-*"]``: ``shop-prod-eu`` and ``shop-stg-eu``
    are one app, ``shop-eu``, whose environments env-consistency compares."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "platecheck.yaml").write_text(
        "environments:\n  prod:\n    production: true\n"
        "    match: {names: ['*-prod-*', '*-prod', 'prod-*']}\n"
        "  stg:\n    match: {names: ['*-stg-*']}\n")
    matched = configuration(tmp_path, None).match_environment(written(name))
    assert matched is not None and matched.app_name(name) == app


def test_an_environment_matches_the_files_its_paths_name(tmp_path: Path) -> None:
    """``match.paths``: globs of the repository-relative file an Application is written in
    (``*`` crossing ``/``); the app name keeps its whole name; a rule of another kind
    matches all the same, and an inherited environment yields to one matched."""
    write(tmp_path, "environments:\n"
                    "  prod: {production: true, match: {paths: ['clusters/prod/*']}}\n"
                    "  stg: {match: {names: ['*-stg'], paths: ['clusters/stg/*']}}\n")
    config = configuration(tmp_path, None)
    for file, env in (("clusters/prod/apps/root.yaml", "prod"), ("clusters/stg/root.yaml", "stg"),
                      ("clusters/dev/root.yaml", "default"), ("root.yaml", "default")):
        matched = config.match_environment(written("root", file=file))
        assert matched is not None and (matched.name, matched.app_name("root")) == (env, "root")
    matched = config.match_environment(written("web-stg", file="clusters/prod/web.yaml"))
    assert matched is not None and matched.name == "prod"  # the first environment wins
    matched = config.match_environment(written("web", file="clusters/stg/web.yaml",
                                               inherited="prod"))
    assert matched is not None and matched.name == "stg"


@pytest.mark.parametrize("glob", ["clusters/prod", "clusters/prod/", "./clusters/prod/*",
                                  "clusters/?rod/web.yaml", "clusters/pro[d]"])
def test_a_path_glob_of_a_directory_matches_every_file_under_it(tmp_path: Path,
                                                                 glob: str) -> None:
    write(tmp_path, f"environments:\n  prod: {{match: {{paths: ['{glob}']}}}}\n")
    config = configuration(tmp_path, None)
    for file, env in (("clusters/prod/web.yaml", "prod"), ("clusters/production/web.yaml",
                                                             "default")):
        matched = config.match_environment(written("web", file=file))
        assert matched is not None and matched.name == env, (glob, file)


@pytest.mark.parametrize("rule", ["paths", "names", "namespaces"])
def test_a_glob_too_long_to_match_is_refused_at_its_line(tmp_path: Path, rule: str) -> None:
    """A glob of megabytes (a pull request's configuration) would cost time and memory out
    of proportion to match: refused at its line."""
    assert error(tmp_path, f"environments:\n  prod:\n    match:\n      {rule}:\n"
                 f"        - '{'a' * 2000}'\n") == (
        f"policies/platecheck.yaml:5: {rule}: a glob of more than 1024 characters")


@pytest.mark.parametrize("paths", ["['/clusters/prod']", "['']", "{a: b}", "[1]"])
def test_match_paths_are_globs_of_relative_paths(tmp_path: Path, paths: str) -> None:
    assert error(tmp_path, f"environments:\n  prod:\n    match:\n      paths: {paths}\n"
                 ).startswith("policies/platecheck.yaml:4: ")


def test_require_environment_leaves_unmatched_applications_without_one(tmp_path: Path) -> None:
    write(tmp_path, "requireEnvironment: true\n")
    config = configuration(tmp_path, None)
    assert config.match_environment(written("web", namespace="web")) is None
    assert config.environment_names == ("prod", "stg")
    assert error(tmp_path, "requireEnvironment: 1\n") == (
        "policies/platecheck.yaml:1: requireEnvironment must be true or false, found an "
        "integer")


def test_a_configured_default_environment_takes_unclassified_applications(
        tmp_path: Path) -> None:
    write(tmp_path, "environments:\n  live: {production: true, match: {names: ['*-live']}}\n"
                    "  default: {}\n")
    config = configuration(tmp_path, None)
    matched = config.match_environment(written("cache", namespace="tools"))
    assert matched is not None and matched.name == "default"
    assert config.environment_names == ("live", "default")


def test_repository_settings_override_builtin(tmp_path: Path) -> None:
    write(tmp_path, """\
kubernetesVersion: "1.30.2"
apiVersions: [monitoring.coreos.com/v1]
renderTimeout: 30
jobs: 3
environments:
  live:
    production: true
    match: {names: ["live-*"]}
  test:
    match: {namespaces: [test]}
policies:
  not-rendered:
    level: {live: error}
    options: {ignoreRepoURLs: ["https://charts.example.com/*"]}
    environments:
      test: {level: off, options: {ignoreRepoURLs: []}}
""")
    (tmp_path / "policies" / "waivers.yaml").write_text("waivers: []\n")
    config = configuration(tmp_path, None)
    assert [e.name for e in config.environments] == ["live", "test"]
    assert config.environment("live") and config.environment("live").app_name("live-web") == "web"
    assert (config.kubernetes_version, config.api_versions, config.render_timeout,
            config.jobs) == ("1.30.2", ("monitoring.coreos.com/v1",), 30.0, 3)
    assert config.level("not-rendered", "live") is Level.ERROR
    assert config.level("not-rendered", "test") is Level.OFF
    assert config.level("not-rendered", None) is Level.ERROR
    options = config.policy_options("not-rendered")
    assert options.for_env("live").ignore_repo_urls == ("https://charts.example.com/*",)
    assert options.for_env("test").ignore_repo_urls == ()
    assert config.waivers_file == tmp_path / "policies" / "waivers.yaml"


def test_the_line_of_each_level_setting_is_recorded(tmp_path: Path) -> None:
    write(tmp_path, """\
environments:
  live: {match: {names: ["live-*"]}}
  test: {match: {names: ["test-*"]}}
policies:
  not-rendered:
    options: {ignoreRepoURLs: []}
    level:
      live: "off"
    environments:
      test:
        level: "off"
  image-tag-pinned:
    level: "off"
""")
    config = configuration(tmp_path, None)
    assert config.level_line("not-rendered", "live") == 8
    assert config.level_line("not-rendered", "test") == 11
    assert config.level_line("image-tag-pinned", "live") == 13
    assert config.level_line("image-tag-pinned", None) == 13
    # set by the built-in configuration only: no line of this file
    assert config.level_line("not-rendered", None) is None


def test_config_dir_elsewhere(tmp_path: Path) -> None:
    other = tmp_path / "conf"
    other.mkdir()
    (other / "platecheck.yaml").write_text("renderTimeout: 5\n")
    assert configuration(tmp_path, other).render_timeout == 5.0
    with pytest.raises(PlatecheckError, match="configuration directory not found"):
        configuration(tmp_path, tmp_path / "missing")


def test_a_config_dir_that_is_a_file_says_it_is_not_a_directory(tmp_path: Path) -> None:
    """``--config policies/platecheck.yaml``: the file is there; it is just not a directory."""
    path = write(tmp_path, "renderTimeout: 5\n")
    with pytest.raises(PlatecheckError) as caught:
        configuration(tmp_path, path)
    assert str(caught.value) == (
        f"{path}: not a directory: the configuration is given as the directory that holds "
        "platecheck.yaml and waivers.yaml")


@pytest.mark.parametrize(("text", "message"), [
    ("kubernetesVersion: '1.31'\nrenderTimout: 3\n",
     "policies/platecheck.yaml:2: unknown configuration key 'renderTimout' (expected one of: "
     "kubernetesVersion, apiVersions, environments, policies, renderTimeout, jobs, "
     "requireEnvironment, kustomizeBuildOptions, newGitFileGlobbing, exclude)"),
    ("policies:\n  no-such: {level: error}\n",
     "policies/platecheck.yaml:2: unknown policy 'no-such' (known: "
     + ", ".join(registry()) + ")"),
    ("policies:\n  not-rendered:\n    options:\n      ignoreRepos: []\n",
     "policies/platecheck.yaml:4: unknown option 'ignoreRepos' for policy 'not-rendered' "
     "(known: ignoreRepoURLs)"),
    ("policies:\n  not-rendered:\n    options: {ignoreRepoURLs: yes}\n",
     "policies/platecheck.yaml:3: option 'ignoreRepoURLs' of policy 'not-rendered' must be a "
     "list of strings, found a boolean"),
    ("policies:\n  not-rendered:\n    level: fatal\n",
     "policies/platecheck.yaml:3: invalid level 'fatal' (expected one of: error, warning, "
     "info, off)"),
    ("policies:\n  not-rendered:\n    level: {qa: error}\n",
     "policies/platecheck.yaml:3: unknown environment 'qa' (configured: prod, stg)"),
    ("kubernetesVersion: 1.31\n",
     "policies/platecheck.yaml:1: kubernetesVersion must be a string (quote it), found a "
     "number"),
    ("environments:\n  prod:\n    match: {names: web}\n    prod: true\n",
     "policies/platecheck.yaml:4: unknown key of environment 'prod' 'prod' (expected one of: "
     "production, match)"),
    ("jobs: 0\n", "policies/platecheck.yaml:1: jobs must be a positive integer"),
    ("environments: {}\n",
     "policies/platecheck.yaml:1: at least one environment must be configured"),
    ("policies: [\n", f"policies/platecheck.yaml:2: {PARSER}"),
    # structured options are parsed at load by the policy's own OPTION_PARSERS
    ("policies:\n  resource-ranges:\n    options:\n      cpu: {requestMinimum: 1}\n",
     "policies/platecheck.yaml:4: resource-ranges: option cpu has unknown key 'requestMinimum' "
     "(known: requestMin, requestMax, limitMin, limitMax)"),
    ("policies:\n  resource-ranges:\n    environments:\n      prod:\n        options:\n"
     "          memory: {limitMax: 4GB}\n",
     "policies/platecheck.yaml:6: resource-ranges: option memory.limitMax '4GB' is not a "
     "Kubernetes quantity"),
    ("policies:\n  env-consistency:\n    options:\n      pairs: [[stg]]\n",
     "policies/platecheck.yaml:4: env-consistency: option pairs: ['stg'] is not "
     "[environment, environment]"),
    # a pair naming an environment no one configured would compare nothing, silently
    ("policies:\n  env-consistency:\n    options:\n      pairs: [[stg, nope]]\n",
     "policies/platecheck.yaml:4: unknown environment 'nope' (configured: prod, stg)"),
    ("policies:\n  pull-policy:\n    options: {productionPullPolicy: Sometimes}\n",
     "policies/platecheck.yaml:3: option 'productionPullPolicy' of policy 'pull-policy' must "
     "be one of Always, IfNotPresent, Never (Kubernetes' pull policies), found 'Sometimes'"),
    ("policies:\n  argocd-application:\n    options:\n      retryLimit: {least: 3}\n",
     "policies/platecheck.yaml:4: option retryLimit of policy 'argocd-application' must be an "
     "integer or {min: N, max: M}, found {'least': 3}"),
    # a repository-wide policy would silently ignore an option it reads only as a whole
    ("policies:\n  env-consistency:\n    environments:\n      prod:\n        options:\n"
     "          allowedDifferences: [image.tag]\n",
     "policies/platecheck.yaml:6: option 'allowedDifferences' of policy 'env-consistency' "
     "cannot be set per environment (no option can be); set it under "
     "policies.env-consistency.options"),
    ("policies:\n  argocd-application:\n    environments:\n      stg:\n        options:\n"
     "          syncWaveOrder: [a]\n",
     "policies/platecheck.yaml:6: option 'syncWaveOrder' of policy 'argocd-application' "
     "cannot be set per environment (only backoff, namespaces, requireAutomated, retryLimit "
     "can be); set it under policies.argocd-application.options"),
])
def test_invalid_configuration_names_file_and_line(tmp_path: Path, text: str,
                                                   message: str) -> None:
    assert error(tmp_path, text) == message


@pytest.mark.parametrize(("text", "message"), [
    ("environments:\n  prod:\n    match:\n      names:\n        - '*-prod'\n        - 5\n",
     "policies/platecheck.yaml:6: environments.prod.match.names must be a list of strings"),
    ("environments:\n  prod:\n    match:\n      labels:\n        env:\n          - prod\n"
     "          - {a: b}\n",
     "policies/platecheck.yaml:7: environments.prod.match.labels.env must be a list of strings"),
    ("policies:\n  resource-ranges:\n    options:\n      cpu:\n        requestMin: 50m\n"
     "        requestMux: 1\n",
     "policies/platecheck.yaml:6: resource-ranges: option cpu has unknown key 'requestMux' "
     "(known: requestMin, requestMax, limitMin, limitMax)"),
    ("policies:\n  resource-ranges:\n    options:\n      memory:\n        requestMin: 64Mi\n"
     "        limitMax: 4Gix\n",
     "policies/platecheck.yaml:6: resource-ranges: option memory.limitMax '4Gix' is not a "
     "Kubernetes quantity"),
    ("policies:\n  env-consistency:\n    options:\n      pairs:\n        - [stg, prod]\n"
     "        - [stg]\n",
     "policies/platecheck.yaml:6: env-consistency: option pairs: ['stg'] is not "
     "[environment, environment]"),
    ("policies:\n  env-consistency:\n    options:\n      pairs:\n        - [stg, prod]\n"
     "        - - stg\n          - nope\n",
     "policies/platecheck.yaml:7: unknown environment 'nope' (configured: prod, stg)"),
    ("policies:\n  image-tag-pinned:\n    options:\n      floatingTags:\n        - edge\n"
     "        - 5\n",
     "policies/platecheck.yaml:6: option 'floatingTags' of policy 'image-tag-pinned' must be "
     "a string, found an integer"),
    # an environment paired with itself compares nothing; a range with its minimum above its
    # maximum holds no value
    ("policies:\n  env-consistency:\n    options:\n      pairs:\n        - [stg, prod]\n"
     "        - [stg, stg]\n",
     "policies/platecheck.yaml:6: env-consistency: option pairs: ['stg', 'stg'] pairs stg with "
     "itself; a pair names two environments to compare"),
    ("policies:\n  resource-ranges:\n    options:\n      cpu:\n        requestMin: '2'\n"
     "        requestMax: 500m\n",
     "policies/platecheck.yaml:6: resource-ranges: option cpu.requestMin '2' is above "
     "cpu.requestMax '500m': no cpu request is inside the range"),
    ("policies:\n  resource-ranges:\n    environments:\n      prod:\n        options:\n"
     "          memory:\n            limitMax: 1Gi\n            limitMin: 2Gi\n",
     "policies/platecheck.yaml:7: resource-ranges: option memory.limitMin '2Gi' is above "
     "memory.limitMax '1Gi': no memory limit is inside the range"),
    ("policies:\n  argocd-application:\n    options:\n      syncWaveOrder:\n"
     "        - Namespace\n        - 5\n",
     "policies/platecheck.yaml:6: option syncWaveOrder of policy 'argocd-application' must "
     "list globs or lists of globs, found 5"),
    ("policies:\n  argocd-application:\n    options:\n      namespaces:\n"
     "        prod: [shop-prod]\n        stg:\n          - shop-stg\n          - [x]\n",
     "policies/platecheck.yaml:8: option 'namespaces' of policy 'argocd-application' must map "
     "environments to lists of namespace globs; stg holds a list ['x']"),
], ids=["names-item", "labels-item", "ranges-key", "ranges-value", "pairs-item",
        "pairs-environment", "list-option-item", "pairs-itself", "request-range",
        "limit-range", "wave-order-item", "namespaces-item"])
def test_an_error_about_an_item_or_nested_key_is_at_its_own_line(tmp_path: Path, text: str,
                                                                  message: str) -> None:
    """Not at the line of the key that holds the list or mapping."""
    assert error(tmp_path, text) == message


@pytest.mark.parametrize(("text", "line"), [
    ("apiVersions: []\nkubernetesVersion: '1.20.0'\n", 2),
    ("policies:\n  k8s-schema:\n    options:\n      kubernetesVersion: '1.19.4'\n", 4),
    ("policies:\n  unknown-kind:\n    environments:\n      prod:\n        options:\n"
     "          kubernetesVersion: '1.2'\n", 6),
])
def test_a_kubernetes_version_no_bundled_schemas_cover_fails_at_its_line(
        tmp_path: Path, text: str, line: int) -> None:
    """Before anything renders, not when the first resource is validated (with no file)."""
    write(tmp_path, text)
    with pytest.raises(PlatecheckError) as caught:
        configuration(tmp_path)
    assert (caught.value.file, caught.value.line) == ("policies/platecheck.yaml", line)
    assert caught.value.message.startswith("kubernetesVersion ")
    assert "has no bundled Kubernetes schemas" in caught.value.message


@pytest.mark.parametrize(("text", "line"), [
    ("policies:\n  k8s-schema:\n    options:\n      schemaDirs: [policies/schemaz]\n", 4),
    ("policies:\n  unknown-kind:\n    environments:\n      prod:\n        options:\n"
     "          schemaDirs: [/nonexistent/schemas]\n", 6),
])
def test_a_schema_directory_that_is_not_one_fails_at_its_line(tmp_path: Path, text: str,
                                                              line: int) -> None:
    """A misspelt schemaDirs entry would leave its schemas unread, silently."""
    write(tmp_path, text)
    with pytest.raises(PlatecheckError) as caught:
        configuration(tmp_path)
    assert (caught.value.file, caught.value.line) == ("policies/platecheck.yaml", line)
    assert caught.value.message.startswith("schemaDirs entry ")
    (tmp_path / "policies" / "schemaz").mkdir()
    if line == 4:
        assert configuration(tmp_path).policy_options("k8s-schema").default.schema_dirs == (
            "policies/schemaz",)


def test_a_kubernetes_version_only_helm_reads_is_accepted(tmp_path: Path) -> None:
    """With the schema policies off (or each given a version of its own), the configured
    version is only helm's --kube-version: any version helm takes is fine."""
    write(tmp_path, "kubernetesVersion: '1.20.0'\npolicies:\n  k8s-schema: {level: off}\n"
                    "  unknown-kind:\n    options: {kubernetesVersion: '1.31.0'}\n")
    assert configuration(tmp_path).kubernetes_version == "1.20.0"


def test_bom_is_accepted_and_other_encodings_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b"\xef\xbb\xbfrenderTimeout: 7\n")
    assert configuration(tmp_path, None).render_timeout == 7.0
    path.write_bytes(b"renderTimeout: 7\n# caf\xe9\n")
    with pytest.raises(PlatecheckError) as caught:
        configuration(tmp_path, None)
    assert str(caught.value) == "policies/platecheck.yaml:2: not valid UTF-8 (byte 0xe9)"
    # UTF-16 too: only platecheck reads this file (it was decoded and applied)
    path.write_bytes("renderTimeout: 7\n".encode("utf-16"))
    with pytest.raises(PlatecheckError) as caught:
        configuration(tmp_path, None)
    assert (caught.value.file, caught.value.line) == ("policies/platecheck.yaml", 1)


def test_options_are_parsed_once_into_the_policy_dataclass(tmp_path: Path) -> None:
    write(tmp_path, """\
policies:
  image-tag-pinned:
    options: {floatingTagPattern: "^v?[0-9]+$", floatingTags: [edge]}
    environments:
      stg: {options: {productionOnly: false}}
""")
    options = configuration(tmp_path).policy_options("image-tag-pinned")
    assert options.default == image_tag_pinned.Options(
        floating_tags=("edge",), floating_tag_pattern=re.compile("^v?[0-9]+$"))
    # per environment: layered over the repository's options, compiled pattern included
    assert options.for_env("stg").production_only is False
    assert options.for_env("stg").floating_tag_pattern is options.default.floating_tag_pattern


@pytest.mark.parametrize(("text", "line", "starts"), [
    ("    options: {floatingTagPattern: \"(\"}\n", 3,
     "invalid regular expression '('"),
    ("    options:\n      requireDigest: \"yes\"\n", 4,
     "option 'requireDigest' of policy 'image-tag-pinned' must be true or false"),
    ("    options:\n      floatingTags: [1, 2]\n", 4,
     "option 'floatingTags' of policy 'image-tag-pinned' must be a string"),
])
def test_a_bad_option_value_fails_at_its_line(tmp_path: Path, text: str, line: int,
                                              starts: str) -> None:
    write(tmp_path, "policies:\n  image-tag-pinned:\n" + text)
    with pytest.raises(PlatecheckError) as caught:
        configuration(tmp_path)
    assert (caught.value.file, caught.value.line) == ("policies/platecheck.yaml", line)
    assert caught.value.message.startswith(starts)


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize(("name", "stand_in", "kind", "what"), [
    ("platecheck.yaml", "dangling", "a symbolic link to nothing", "configuration"),
    ("platecheck.yaml", "directory", "a directory", "configuration"),
    ("waivers.yaml", "dangling", "a symbolic link to nothing", "waivers"),
])
def test_a_configuration_file_that_is_no_file_is_refused(
        tmp_path: Path, name: str, stand_in: str, kind: str, what: str, given: bool) -> None:
    """``policies/platecheck.yaml`` linked to a name with a typo (or a directory of that
    name): the built-in configuration applied in silence (the waivers: none), and with
    ``--config`` the directory was said to hold neither file."""
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "real.yaml").write_text("policies: {}\n")
    if stand_in == "dangling":
        (repo / "policies" / name).symlink_to("real.yml")
    else:
        (repo / "policies" / name).mkdir()
    with pytest.raises(PlatecheckError) as caught:
        configuration(repo, repo / "policies" if given else None)
    assert (caught.value.file, caught.value.message) == (
        f"policies/{name}", f"{kind}: the {what} is read from a file of this name, so none "
        "would be read")


@pytest.mark.parametrize("linked", ["platecheck.yaml", "waivers.yaml", "policies"])
def test_a_configuration_a_link_leads_out_of_the_repository_is_not_read(
        tmp_path: Path, linked: str) -> None:
    """The repository's configuration (or its waivers, or the whole ``policies/``) linked to
    a file outside it: refused before it is read, so no error quotes the outside file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "platecheck.yaml").write_text("policies:\n  SECRET-KEY: {}\n")
    (outside / "waivers.yaml").write_text("SECRET-KEY: 1\n")
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    if linked == "policies":
        (repo / "policies").rmdir()
        (repo / "policies").symlink_to(outside, target_is_directory=True)
        linked = "platecheck.yaml"
    else:
        (repo / "policies" / linked).symlink_to(outside / linked)
    with pytest.raises(PlatecheckError) as caught:
        configuration(repo, None)
    assert (caught.value.file, caught.value.message) == (
        f"policies/{linked}", "leads out of the repository (a symbolic link); the "
        "repository's configuration is read from inside it")
    assert "SECRET" not in str(caught.value)
