"""Fuzzing: whatever an Application manifest, a values file or the configuration holds,
``platecheck lint`` ends with exit code 0, 1 or 2 within its time bound, never with a
traceback or an internal error."""

from __future__ import annotations

import copy
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platecheck.cli import main
from security_helpers import make_repo

pytestmark = pytest.mark.usefixtures("helm_bin")

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["..", "../..", "/etc/passwd", "$values/x", "http://127.0.0.1:9/x",
                     "-", "--set", "a[99999999]", "{{ .Values }}", "\n::error::x", "1.10",
                     "*", "values-prod.yaml", "~", ".nan", "yes"]))
DATA = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=10),
                              st.sampled_from(["spec", "source", "helm", "path", "valueFiles",
                                               "values", "valuesObject", "parameters",
                                               "destination", "namespace", "releaseName",
                                               "renderTimeout", "jobs", "environments",
                                               "policies", "level", "options"])),
                    inner, max_size=4)), max_leaves=12)
RAW = st.one_of(st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
                st.text(max_size=200))

KEYS = [("spec",), ("spec", "source"), ("spec", "source", "helm"),
        ("spec", "source", "path"), ("spec", "source", "helm", "valueFiles"),
        ("spec", "source", "helm", "parameters"), ("spec", "destination"),
        ("metadata",), ("metadata", "name"), ("spec", "sources"), ("kind",)]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-base") / "repo"
    make_repo(root)
    return root


def _lint(repo: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code = main(["lint", str(repo), "--cache-dir", str(cache), "--jobs", "1"])
    elapsed = time.monotonic() - started
    _, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "internal error" not in err and "Traceback" not in err, err
    assert elapsed < 120 + 30  # the render timeout and some slack


def _fresh(base: Path, tmp: Path) -> Path:
    repo = tmp / f"r{time.monotonic_ns()}"
    shutil.copytree(base, repo, symlinks=True)
    return repo


def _application(base: Path) -> Any:
    return yaml.safe_load((base / "apps" / "web.yaml").read_text())


FUZZ = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(where=st.sampled_from(KEYS), value=DATA)
def test_any_application_field(base: Path, tmp_path_factory: pytest.TempPathFactory,
                               capsys: pytest.CaptureFixture[str], where: tuple[str, ...],
                               value: Any) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    repo = _fresh(base, tmp)
    app = copy.deepcopy(_application(base))
    node = app
    for key in where[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[where[-1]] = value
    (repo / "apps" / "web.yaml").write_text(yaml.safe_dump(app, allow_unicode=True))
    _lint(repo, tmp / "cache", capsys)


@FUZZ
@given(text=st.one_of(RAW, DATA.map(lambda d: yaml.safe_dump(d, allow_unicode=True))))
def test_any_values_file(base: Path, tmp_path_factory: pytest.TempPathFactory,
                         capsys: pytest.CaptureFixture[str], text: str) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    repo = _fresh(base, tmp)
    (repo / "charts" / "web" / "values-prod.yaml").write_text(text)
    _lint(repo, tmp / "cache", capsys)


@FUZZ
@given(text=st.one_of(RAW, DATA.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
                      st.sampled_from(["renderTimeout: .nan\n", "jobs: 1e9\n",
                                       "renderTimeout: -1\n", "environments: {}\n",
                                       "policies:\n  image-tag-pinned:\n    options:\n"
                                       "      floatingTagPattern: '(a*)*'\n"])))
def test_any_configuration(base: Path, tmp_path_factory: pytest.TempPathFactory,
                           capsys: pytest.CaptureFixture[str], text: str) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    repo = _fresh(base, tmp)
    (repo / "policies" / "platecheck.yaml").write_text(text)
    _lint(repo, tmp / "cache", capsys)
