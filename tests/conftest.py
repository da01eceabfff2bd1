"""Shared test fixtures.

Tests render with the real helm binary. It is found the way platecheck finds it
(``PLATECHECK_HELM``, PATH, then the cache filled by ``platecheck setup``), or is the pinned
release ``PLATECHECK_HELM_VERSION`` names (tox's helm3/helm4 envs); the session exports
the one it found as ``PLATECHECK_HELM`` so subprocess-based tests use the same binary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "platecheck.pytest_plugin" for ep in entry_points(group="pytest11"))


# platecheck's pytest plugin (fixtures platecheck_repo, rendered, platecheck_targets) loads
# through its pytest11 entry point when platecheck is installed; from a source checkout
# (PYTHONPATH=src) it is loaded here instead.
pytest_plugins = [] if _plugin_installed() else ["platecheck.pytest_plugin"]


NETWORK_SWITCH = "PLATECHECK_NETWORK_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``network`` reach a package registry; they run only when asked for with
    PLATECHECK_NETWORK_TESTS=1 and are otherwise reported as skipped, saying why."""
    if os.environ.get(NETWORK_SWITCH) == "1":
        return
    skip = pytest.mark.skip(reason=f"needs the network; run with {NETWORK_SWITCH}=1")
    for item in items:
        if item.get_closest_marker("network") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    from platecheck.errors import PlatecheckError
    from platecheck.helmbin import find_helm

    try:
        # tox runs the suite once per pinned Helm major: PLATECHECK_HELM_VERSION picks it.
        wanted = os.environ.get("PLATECHECK_HELM_VERSION")
        if wanted:
            from platecheck.helmbin import install_helm

            helm = install_helm(wanted)
        else:
            helm = find_helm(None)
    except PlatecheckError as exc:
        pytest.fail(f"no helm binary for the tests: {exc}", pytrace=False)
    os.environ["PLATECHECK_HELM"] = str(helm)
    return helm


@pytest.fixture(scope="module", params=[3, 4], ids=["helm3", "helm4"])
def each_helm(request: pytest.FixtureRequest) -> Path:
    """Helm 3 and Helm 4 in turn (the pinned releases ``platecheck setup`` installs), for
    tests that hold platecheck against what both majors do."""
    from platecheck.helmbin import helm_major, install_helm

    path = install_helm(str(request.param))
    assert helm_major(path) == request.param
    return path


@pytest.fixture
def count_helm_runs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[tuple[str, ...]]]:
    """Called, starts counting: the arguments of every helm process ``platecheck.render.Helm``
    runs from then on, in a list it returns (the processes still run)."""
    from platecheck.render import Helm

    def start() -> list[tuple[str, ...]]:
        started: list[tuple[str, ...]] = []
        real_run = Helm._run

        def counting(self: Helm, argv: Sequence[str], timeout: float) -> Any:
            started.append(tuple(argv))
            return real_run(self, argv, timeout)

        monkeypatch.setattr(Helm, "_run", counting)
        return started

    return start


@pytest.fixture(scope="session")
def kubectl_bin() -> Path:
    """kubectl for Kustomize sources, found as platecheck finds it (``platecheck setup``) and
    exported as ``PLATECHECK_KUBECTL``, so a run with its own cache directory uses it too
    rather than whatever kubectl is on PATH."""
    from platecheck.errors import PlatecheckError
    from platecheck.helmbin.kubectl import ENV_KUBECTL, find_kubectl

    try:
        kubectl = find_kubectl(None)
    except PlatecheckError as exc:
        pytest.fail(f"no kubectl for the tests: {exc}", pytrace=False)
    os.environ[ENV_KUBECTL] = str(kubectl)
    return kubectl


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="module")
def engine_policy_only() -> Iterator[None]:
    """Run only the engine's own not-rendered policy (for tests about the engine itself)."""
    from platecheck.policies import registry

    only = {pid: module for pid, module in registry().items() if pid == "not-rendered"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("platecheck.engine.registry", lambda: only)
        yield


@pytest.fixture(params=["libyaml", "pure"])
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a YAML test with libyaml's loader and with PyYAML's pure-Python one: both must give
    the same error types, files and lines (their messages differ and are not compared)."""

    from platecheck import yamlio

    if request.param == "libyaml":
        if yamlio.C_LOADER is None:
            pytest.skip("PyYAML was built without libyaml")
        monkeypatch.setattr(yamlio, "LOADER", yamlio.C_LOADER)
    else:
        monkeypatch.setattr(yamlio, "LOADER", yamlio.PURE_LOADER)
    return str(request.param)
