"""How helm is called: the argv platecheck builds, offline and flag-safe."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from platecheck.cache import RenderCache
from platecheck.model import Chart, Origin, RenderTarget, SetArgument
from platecheck.render import Helm, first_error_line

# helm comes from the session fixture (PLATECHECK_HELM, PATH or the setup cache)
pytestmark = pytest.mark.usefixtures("helm_bin")

ORACLE = Path(__file__).parent / "fixtures" / "repos" / "oracle"
CHART = Chart(path=ORACLE / "chart", rel="chart", name="oracle", version="0.1.0",
              api_version="v2", metadata={})


@pytest.fixture(scope="module")
def helm(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    workdir = tmp_path_factory.mktemp("work")
    return Helm(binary=helm_bin, workdir=workdir, root=ORACLE, jobs=2,
                cache=RenderCache(tmp_path_factory.mktemp("cache")))


def target(**changes: object) -> RenderTarget:
    base: dict[str, object] = dict(
        id="prod/oracle", environment="prod", app="oracle", application=None, chart=CHART,
        release_name="oracle", namespace="oracle-prod", value_files=(),
        extra_values="a:\n  b: --set x=1\n",
        api_versions=("monitoring.coreos.com/v1",), kube_version="1.31.0")
    base.update(changes)
    return RenderTarget(**base)  # type: ignore[arg-type]


def test_argv_is_offline_and_flag_safe(helm: Helm) -> None:
    call = helm.template_call(target())
    argv = list(call.argv)
    # helm reads a private copy of the chart
    assert argv[:5] == ["template", str(helm.workdir / "src" / "chart"),
                        "--name-template=oracle", "--namespace=oracle-prod",
                        "--kube-version=1.31.0"]
    assert argv[5].startswith(f"--values={helm.workdir}/")
    assert argv[6:] == ["--api-versions=monitoring.coreos.com/v1", "--include-crds"]
    for arg in argv:
        assert not arg.startswith(("--set", "--dependency-update", "--repo", "--post-renderer",
                                   "--plugin", "--verify", "--username", "--pass-credentials"))
    # the values file is outside the repository and holds helm.values exactly as written
    inline = Path(argv[5].split("=", 1)[1])
    assert not inline.is_relative_to(ORACLE)
    assert inline.read_text() == "a:\n  b: --set x=1\n"
    # the cache key does not depend on where the temporary directory is
    other = Helm(binary=helm.binary, workdir=Path(tempfile.mkdtemp()), root=ORACLE)
    assert other.template_call(target()).key == call.key
    assert helm.template_call(target(skip_crds=True)).key != call.key
    assert "--include-crds" not in helm.template_call(target(skip_crds=True)).argv


def test_a_set_value_cannot_become_a_flag(helm: Helm) -> None:
    """A parameter is one ``--set=name=value`` argument: a value that looks like a flag is
    data to helm."""
    evil = SetArgument("--set", "a", "--post-renderer=/bin/sh", Origin("apps/x.yaml", 3))
    result = helm.run_all([helm.template_call(target(set_arguments=(evil,),
                                                     extra_values=None))])[0]
    assert not isinstance(result, Exception) and result.exit_code == 0, result
    assert '\\"a\\":\\"--post-renderer=/bin/sh\\"' in result.stdout


def test_helm_runs_with_an_empty_home(helm: Helm) -> None:
    assert helm.env["HOME"].startswith(str(helm.workdir))
    assert helm.env["HELM_PLUGINS"].startswith(str(helm.workdir))
    assert helm.env["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert set(helm.env) >= {"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME",
                             "HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG", "KUBECONFIG"}
    assert not any(k.startswith("HELM_") and not v.startswith(str(helm.workdir))
                   for k, v in helm.env.items())


@pytest.mark.parametrize(("release", "namespace", "message"), [
    ("-rf", "ok", "release name '-rf' is not a valid DNS-1123 name"),
    ("ok", "--kubeconfig=/x", "namespace '--kubeconfig=/x' is not a valid DNS-1123 name"),
    ("Web", "ok", "release name 'Web' is not a valid DNS-1123 name"),
    ("ok", "a.b", "namespace 'a.b' is not a valid DNS-1123 name"),
])
def test_names_that_are_not_dns_1123_are_refused(helm: Helm, release: str, namespace: str,
                                                 message: str) -> None:
    from platecheck.errors import PlatecheckError

    with pytest.raises(PlatecheckError, match=message):
        helm.template_call(target(release_name=release, namespace=namespace))


@pytest.mark.parametrize(("release", "renders"), [
    ('web-{{ "blue" }}', True), ('web-{{ "Blue_X" }}', False)])
def test_a_release_name_of_a_template_action_is_helm_s_to_execute_and_check(
        helm: Helm, release: str, renders: bool) -> None:
    """Argo CD passes ``helm.releaseName`` as ``--name-template``, which helm executes as a
    template and then checks: ``web-{{ "blue" }}`` is the release ``web-blue``, not a name
    platecheck refuses; what it makes, if no DNS-1123 name, helm refuses."""
    result = helm.run_all([helm.template_call(target(release_name=release))])[0]
    assert not isinstance(result, Exception)
    assert (result.exit_code == 0) is renders


def test_first_error_line_joins_helm3_continuations() -> None:
    stderr = ("Error: hc/templates/bad.yaml:1:10\n  executing \"hc/templates/bad.yaml\" at "
              "<.Values.nope.x>:\n    nil pointer evaluating interface {}.x\n\nUse --debug "
              "flag to render out invalid YAML\n")
    assert first_error_line(stderr) == (
        'hc/templates/bad.yaml:1:10 executing "hc/templates/bad.yaml" at <.Values.nope.x>: '
        "nil pointer evaluating interface {}.x")
    assert first_error_line("WARNING: x\nboom\n") == "boom"
    assert first_error_line("") == "helm failed without a message"
