"""What no run has used for a month leaves the cache: entries are marked used when read, and
a run removes the unused ones, at most once a day."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from platecheck.cache import PRUNED, UNUSED_DAYS, prune_unused, read_regular
from platecheck.engine import lint
from security_helpers import make_repo

DAY = 24 * 60 * 60


def _age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def _entries(cache: Path) -> set[Path]:
    return {p for name in PRUNED for p in (cache / name).rglob("*") if p.is_file()}


def test_reading_an_entry_marks_it_used(tmp_path: Path) -> None:
    old, recent = tmp_path / "old.json", tmp_path / "recent.json"
    for path in (old, recent):
        path.write_text("{}")
    _age(old, 40)
    _age(recent, 0.5)
    before = recent.stat().st_mtime
    assert read_regular(old, 100) == b"{}" and read_regular(recent, 100) == b"{}"
    assert time.time() - old.stat().st_mtime < 60  # marked used now
    assert recent.stat().st_mtime == before  # used within a day: not written again


def test_unused_entries_are_removed_once_a_day(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    unused, used = cache / "renders" / "ab" / "ab1.json", cache / "parsed" / "cd" / "cd2.json"
    helm = cache / "helm" / "3.17.3" / "helm"
    for path in (unused, used, helm):
        path.parent.mkdir(parents=True)
        path.write_text("x")
        _age(path, UNUSED_DAYS + 5)
    _age(used, UNUSED_DAYS - 5)
    assert prune_unused(cache) == 1
    assert not unused.exists() and used.exists() and helm.exists()
    again = cache / "documents" / "ef" / "ef3.json"
    again.parent.mkdir(parents=True)
    again.write_text("x")
    _age(again, UNUSED_DAYS + 5)
    assert prune_unused(cache) == 0 and again.exists()  # pruned less than a day ago
    _age(cache / ".pruned", 2)
    assert prune_unused(cache) == 1 and not again.exists()


def test_a_lint_keeps_what_it_uses_and_removes_what_no_run_used(
        tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    chart = make_repo(repo)
    lint(repo, helm=helm_bin, cache_dir=cache)
    first = _entries(cache)
    (chart / "values-prod.yaml").write_text("a: 2\n")  # a new render; the old one unused
    second = lint(repo, helm=helm_bin, cache_dir=cache)
    for path in [*_entries(cache), cache / ".pruned"]:
        _age(path, UNUSED_DAYS + 1)
    third = lint(repo, helm=helm_bin, cache_dir=cache)
    assert third.renders == 0  # every render from the cache
    assert (third.findings, third.errors) == (second.findings, second.errors)
    left = _entries(cache)
    render_files = {p for p in left if "renders" in p.parts}
    assert len(render_files) == 2  # the template and the lint of the values as they are
    assert not render_files & first  # those of the values before are gone
    assert all(time.time() - p.stat().st_mtime < 60 for p in left)


def test_a_cache_that_cannot_be_written_is_not_walked(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    old = cache / "renders" / "ab" / "ab1.json"
    old.parent.mkdir(parents=True)
    old.write_text("x")
    _age(old, UNUSED_DAYS + 5)

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(Path, "touch", refuse)
    assert prune_unused(cache) == 0 and old.exists()
