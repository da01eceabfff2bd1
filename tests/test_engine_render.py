"""How helm is called: the argv platecheck builds, and Helm's own --set as an oracle for
helm.parameters."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from platecheck.cache import RenderCache
from platecheck.model import Chart, Origin, RenderTarget
from platecheck.render import Helm, first_error_line
from platecheck.values import parameter_values

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
        inline_values=(({"a": {"b": "--set x=1"}}, Origin("apps/x.yaml", 3)),),
        api_versions=("monitoring.coreos.com/v1",), kube_version="1.31.0")
    base.update(changes)
    return RenderTarget(**base)  # type: ignore[arg-type]


def test_argv_is_offline_and_flag_safe(helm: Helm) -> None:
    call = helm.template_call(target())
    argv = list(call.argv)
    # helm reads a private copy of the chart and never sees values.schema.json
    assert argv[:5] == ["template", "oracle", str(helm.workdir / "src" / "chart"),
                        "--namespace=oracle-prod", "--skip-schema-validation"]
    assert argv[5:8] == ["--include-crds", "--kube-version=1.31.0",
                         "--api-versions=monitoring.coreos.com/v1"]
    assert len(argv) == 9 and argv[8].startswith(f"--values={helm.workdir}/")
    for arg in argv:
        assert not arg.startswith(("--set", "--dependency-update", "--repo", "--post-renderer",
                                   "--plugin", "--verify", "--username", "--pass-credentials"))
    # the inline file is outside the repository and holds the value as data
    inline = Path(argv[8].split("=", 1)[1])
    assert not inline.is_relative_to(ORACLE)
    assert json.loads(inline.read_text()) == {"a": {"b": "--set x=1"}}
    # the cache key does not depend on where the temporary directory is
    other = Helm(binary=helm.binary, workdir=Path(tempfile.mkdtemp()), root=ORACLE)
    assert other.template_call(target()).key == call.key
    assert helm.template_call(target(skip_crds=True)).key != call.key
    assert "--include-crds" not in helm.template_call(target(skip_crds=True)).argv


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


PARAMETERS = [
    ("a.b", "10", False), ("a\\.b", "x", False), ("list[1].x", "y", False),
    ("t", "true", False), ("z", "010", False), ("f", "1.5", False), ("s", "10", True),
    ("c", "a,b", False), ("l", "{1,two,true}", False), ("keep", "null", False),
    ("q", "y", False), ("o", "on", False),
]


def test_parameters_render_like_helm_set(helm: Helm) -> None:
    """Helm's own --set (what Argo CD passes) is the oracle for the values file we write."""
    inline = tuple((parameter_values(name, value, force), Origin("a.yaml", 1))
                   for name, value, force in PARAMETERS)
    ours = helm.run_all([helm.template_call(target(inline_values=inline, api_versions=(),
                                                   kube_version=None))])[0]
    argv = [str(helm.binary), "template", "oracle", str(ORACLE / "chart")]
    for name, value, force in PARAMETERS:
        escaped = value if value.startswith("{") else value.replace(",", "\\,")
        argv += ["--set-string" if force else "--set", f"{name}={escaped}"]
    oracle = subprocess.run(argv, capture_output=True, text=True, check=True,
                            env={**os.environ, "HOME": str(helm.workdir / "home")})
    assert not isinstance(ours, Exception) and ours.exit_code == 0, ours
    assert ours.stdout == oracle.stdout


def test_first_error_line_joins_helm3_continuations() -> None:
    stderr = ("Error: hc/templates/bad.yaml:1:10\n  executing \"hc/templates/bad.yaml\" at "
              "<.Values.nope.x>:\n    nil pointer evaluating interface {}.x\n\nUse --debug "
              "flag to render out invalid YAML\n")
    assert first_error_line(stderr) == (
        'hc/templates/bad.yaml:1:10 executing "hc/templates/bad.yaml" at <.Values.nope.x>: '
        "nil pointer evaluating interface {}.x")
    assert first_error_line("WARNING: x\nboom\n") == "boom"
    assert first_error_line("") == "helm failed without a message"
