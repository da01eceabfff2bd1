"""helm is asked for its version in the same isolated environment the renders use: nothing
of the user's Helm settings can change the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.helmbin import helm_version, locate


def test_the_users_helm_settings_do_not_reach_helm_version(
        helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locate, "_versions", {})  # ask the binary, not the memo
    monkeypatch.setenv("HELM_DRIVER", "bogus")  # helm refuses to start with it
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    assert helm_version(helm_bin).startswith(("3.", "4."))


def test_helm_version_sees_only_an_empty_home(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locate, "_versions", {})
    monkeypatch.setenv("PLATECHECK_SECRET", "hunter2")
    monkeypatch.setenv("GOGC", "off")  # the user's Go settings give way to platecheck's
    seen = tmp_path / "env.txt"
    helm = tmp_path / "helm"
    helm.write_text(f'#!/bin/sh\nenv > "{seen}"\nls -A "$HELM_CONFIG_HOME" >> "{seen}"\n'
                    "printf v3.17.3\n")
    helm.chmod(0o755)
    assert helm_version(helm) == "3.17.3"
    env = dict(line.split("=", 1) for line in seen.read_text().splitlines() if "=" in line)
    assert "PLATECHECK_SECRET" not in env
    assert env["HELM_CONFIG_HOME"] == f"{env['HOME']}/config"
    assert env["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert (env["GOGC"], env["GOMEMLIMIT"]) == ("400", "1GiB")
    assert not Path(env["HOME"]).exists()  # a temporary home, removed afterwards
