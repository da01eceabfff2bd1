"""While helm's processes run, the engine does the work that does not wait for them: checking
every Application's sources, building the targets whose renders came from the cache, then the
others as their renders arrive (while later renders and lints run)."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from platecheck.engine import _load, lint
from platecheck.sandbox import bounded_map
from synthetic import generate


def test_meanwhile_runs_in_the_calling_thread_while_the_items_run() -> None:
    started = threading.Event()
    released = threading.Event()
    seen: list[str] = []
    before = sys.getswitchinterval()

    def item(number: int) -> int:
        started.set()
        assert released.wait(10), "the items waited for meanwhile to end"
        return number * 2

    def meanwhile(arriving: Iterator[int]) -> None:
        assert started.wait(10), "meanwhile ran before any item started"
        seen.append(threading.current_thread().name)
        assert sys.getswitchinterval() < before  # prompt switches meanwhile
        released.set()

    assert bounded_map(item, [1, 2, 3], 2, meanwhile) == [2, 4, 6]
    assert seen == [threading.main_thread().name]
    assert sys.getswitchinterval() == before


def test_meanwhile_waits_until_the_first_items_have_started_their_processes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Preparing the first processes (copying a chart, in the engine) does not share the
    interpreter with the calling thread's own work: that starts once each of the first
    ``jobs`` items has started its process; an item that ends without one counts too."""
    from platecheck import sandbox

    monkeypatch.setattr(sandbox, "_FIRST_WAVE_WAIT", 30.0)
    events: list[str] = []
    true = shutil.which("true")
    assert true is not None

    def item(number: int) -> int:
        time.sleep(0.05)  # preparing its process
        events.append(f"start {number}")
        if number % 2 == 0:
            sandbox.run_bounded([true], env={}, cwd=Path("/"), timeout=30)
        return number

    def meanwhile(arriving: Iterator[int]) -> None:
        events.append("meanwhile")
        assert list(arriving) == [0, 1, 2, 3]

    started = time.monotonic()
    assert bounded_map(item, [0, 1, 2, 3], 2, meanwhile) == [0, 1, 2, 3]
    assert time.monotonic() - started < 20  # item 1 ended without a process: not waited out
    assert events.index("meanwhile") > max(events.index("start 0"), events.index("start 1"))


def test_meanwhile_takes_the_results_in_order_as_they_come() -> None:
    first_taken = threading.Event()

    def item(number: int) -> int:
        if number > 0:  # the later items wait until meanwhile has the first result
            assert first_taken.wait(10), "meanwhile got no result before every item ended"
        return number

    taken: list[int] = []

    def meanwhile(arriving: Iterator[int]) -> None:
        taken.append(next(arriving))
        first_taken.set()
        taken.append(next(arriving))  # then stops taking: the rest are still returned

    assert bounded_map(item, list(range(6)), 2, meanwhile) == list(range(6))
    assert taken == [0, 1]


@pytest.mark.parametrize(("jobs", "items"), [(1, [1, 2]), (2, []), (2, [1]), (2, [1, 2])])
def test_meanwhile_runs_once_however_the_items_run(jobs: int, items: list[int]) -> None:
    calls: list[list[int]] = []
    result = bounded_map(lambda n: n + 1, items, jobs, lambda arriving: calls.append(
        list(arriving)))
    assert result == [n + 1 for n in items]
    assert calls == [[n + 1 for n in items]]


def test_a_failure_meanwhile_stops_the_items_and_is_raised() -> None:
    ran: list[int] = []

    def item(number: int) -> int:
        ran.append(number)
        time.sleep(0.02)
        return number

    def meanwhile(arriving: Iterator[int]) -> None:
        raise KeyError("meanwhile")

    with pytest.raises(KeyError):
        bounded_map(item, list(range(50)), 2, meanwhile)
    assert len(ran) < 50  # the items not started are not run


@pytest.fixture
def synthetic(tmp_path: Path, helm_bin: Path) -> Path:
    root = tmp_path / "repo"
    generate(root, 2)
    return root


@pytest.mark.parametrize("cached", [False, True])
def test_targets_hold_the_checked_applications(synthetic: Path, tmp_path: Path,
                                               cached: bool) -> None:
    cache = tmp_path / "cache"
    if cached:
        lint(synthetic / "environments", cache_dir=cache)
    model, _, _ = _load(synthetic / "environments", cache_dir=cache)
    assert model.rendered and not model.errors
    assert (model.renders == 0) is cached
    checked = {id(app) for app in model.applications}
    for target in model.targets:
        assert target.application is not None and id(target.application) in checked
    for rendered in model.rendered:
        assert any(rendered.target is t for t in model.targets)


@pytest.mark.parametrize("cached", [False, True])
def test_schema_problems_are_found_while_rendering(synthetic: Path, tmp_path: Path,
                                                   cached: bool) -> None:
    cache = tmp_path / "cache"
    if cached:
        lint(synthetic / "environments", cache_dir=cache)  # the renders are cached
    app = synthetic / "environments" / "apps" / "app0000-stg.yaml"
    text = app.read_text(encoding="utf-8")
    app.write_text(text.replace("  project: default\n",
                                "  project: default\n  revisionHistoryLimit: many\n"),
                   encoding="utf-8")
    report = lint(synthetic / "environments", cache_dir=cache)
    assert [(f.policy, f.file, f.line, f.target) for f in report.findings] == [
        ("argocd-application", "environments/apps/app0000-stg.yaml", 10, "stg/app0000")]
    assert (report.cache_hits > 0) is cached


def test_overlapping_runs_restore_the_switch_interval() -> None:
    from platecheck.sandbox import _prompt_switches

    before = sys.getswitchinterval()
    first = _prompt_switches()
    second = _prompt_switches()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second is still open
    assert sys.getswitchinterval() < before
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
