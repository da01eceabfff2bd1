"""Answers kept for the length of a run: where paths lead, what a chart declares."""

from __future__ import annotations

import os
from pathlib import Path

from platecheck.realpaths import realpath, resolve
from platecheck.runmemo import remembered


def _link(tmp_path: Path, target: str) -> Path:
    link = tmp_path / "link"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(tmp_path / target)
    return link


def test_outside_a_run_every_answer_asks_the_file_system(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = _link(tmp_path, "a")
    assert realpath(link) == os.path.realpath(tmp_path / "a")
    _link(tmp_path, "b")
    assert realpath(link) == os.path.realpath(tmp_path / "b")


def test_within_a_run_an_answer_is_kept_until_the_outermost_run_ends(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = _link(tmp_path, "a")
    with remembered():
        assert resolve(link) == (tmp_path / "a").resolve()
        _link(tmp_path, "b")
        with remembered():  # a nested run shares the answers of the outer one
            assert resolve(link) == (tmp_path / "a").resolve()
        assert resolve(link) == (tmp_path / "a").resolve()
    assert resolve(link) == (tmp_path / "b").resolve()


def test_a_symbolic_link_loop_leads_nowhere_without_an_exception(tmp_path: Path) -> None:
    (tmp_path / "one").symlink_to(tmp_path / "two")
    (tmp_path / "two").symlink_to(tmp_path / "one")
    with remembered():
        found = resolve(tmp_path / "one" / "values.yaml")
    assert not found.exists()
    assert found.is_relative_to(tmp_path.resolve())


def test_a_run_reads_what_a_chart_declares_once(tmp_path: Path) -> None:
    from platecheck.dependencies import declared

    chart = tmp_path / "web"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n"
                                      "dependencies:\n  - name: redis\n    repository: x\n")
    with remembered():
        [first] = declared(chart, tmp_path)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
        assert declared(chart, tmp_path) == (first,)  # within the run: read once
    assert first.name == "redis" and declared(chart, tmp_path) == ()
