"""The progress line: on a terminal after a second, erased at the end, silent otherwise."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.progress import Progress
from synthetic import generate


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_counts_targets_on_a_terminal_and_erases_the_line() -> None:
    stream = Terminal()
    progress = Progress(3, stream, delay=0)
    for _ in range(3):
        progress.advance()
    progress.close()
    text = stream.getvalue()
    assert "\rplatecheck: 1/3 targets rendered" in text
    assert "\rplatecheck: 3/3 targets rendered" in text
    assert text.endswith("\r\033[K")


def test_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream, delay=0)
    progress.advance()
    progress.close()
    assert stream.getvalue() == ""


def test_silent_for_runs_shorter_than_the_delay() -> None:
    stream = Terminal()
    progress = Progress(3, stream, delay=3600)
    progress.advance()
    progress.close()
    assert stream.getvalue() == ""


def test_lint_reports_progress_of_its_renders(tmp_path: Path, helm_bin: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "repo", 2)
    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr("platecheck.progress.DELAY", 0.0)
    report = lint(tmp_path / "repo" / "environments", use_cache=False, jobs=2)
    assert not report.errors
    text = stream.getvalue()
    assert "platecheck: 4/4 targets rendered and linted" in text
    assert text.endswith("\r\033[K")


def test_a_target_is_done_once_its_render_and_its_lint_have_ended(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from platecheck.model import Chart, RenderTarget
    from platecheck.render import HelmCall
    from platecheck.rendering import _lint_group, _Progress

    monkeypatch.setattr("platecheck.progress.DELAY", 0.0)
    chart = Chart(path=Path("/r/c"), rel="c", name="c", version="1", api_version="v2",
                  metadata={})
    stg, prod = (RenderTarget(id=f"{env}/c", environment=env, app="c", application=None,
                              chart=chart, release_name="c", namespace=env, value_files=())
                 for env in ("stg", "prod"))

    def call(key: str) -> HelmCall:
        return HelmCall(argv=(), key=key, label=key, chart=chart.path, copy=chart.path)

    renders = [call("render-stg"), call("render-prod")]
    progress = _Progress(renders, [stg, prod], {_lint_group(stg): "lint-stg"})
    stream = Terminal()
    progress.line = Progress(2, stream, delay=0, what=progress.line.what)
    progress.finished(renders[0])
    progress.finished(renders[1])  # prod runs no lint: done
    assert stream.getvalue() == "\rplatecheck: 1/2 targets rendered and linted"
    progress.finished(call("lint-stg"))
    assert stream.getvalue().endswith("\rplatecheck: 2/2 targets rendered and linted")
    assert _Progress(renders, [stg, prod], {}).line.what == "targets rendered"  # no lint
