"""The cache cannot be forged from the repository; the report and the exit code survive the
output (broken pipe, ASCII-only terminal, control characters in file names)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platecheck.engine import load
from platecheck.errors import PlatecheckError
from security_helpers import make_repo
from synthetic import WEB_POD_SPEC

pytestmark = pytest.mark.usefixtures("helm_bin")

DEPLOYMENT = WEB_POD_SPEC + """\
      containers:
        - name: web
          image: {{ .Values.image }}
"""


def _platecheck(*args: str | Path, env: dict[str, str] | None = None,
                **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "platecheck", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, **(env or {})}, **kwargs)  # type: ignore[call-overload]


def _with_finding(root: Path, values_name: str = "values-prod.yaml") -> Path:
    """A repository whose production image floats: one image-tag-pinned finding (exit 1)."""
    chart = make_repo(root, values="image: nginx:latest\n")
    (chart / "templates" / "deploy.yaml").write_text(DEPLOYMENT)
    if values_name != "values-prod.yaml":
        (chart / "values-prod.yaml").rename(chart / values_name)
        app = root / "apps" / "web.yaml"
        app.write_text(app.read_text().replace("[values-prod.yaml]",
                                               f"[{json.dumps(values_name)}]"))
    return chart


# -- the cache ------------------------------------------------------------------------------


def _aged(root: Path) -> None:
    """Wait until the repository's files are over two seconds old (modified and changed):
    younger ones are not recorded in the whole-run cache's index, so only older ones show
    whether a run writes there."""
    newest = max(max(p.lstat().st_mtime, p.lstat().st_ctime) for p in root.rglob("*"))
    time.sleep(max(0.0, newest + 2.2 - time.time()))


def test_a_cache_dir_inside_the_repository_is_a_usage_error(tmp_path: Path) -> None:
    make_repo(tmp_path)
    _aged(tmp_path)
    with pytest.raises(PlatecheckError) as raised:
        load(tmp_path, cache_dir=tmp_path / "charts" / "cache")
    assert raised.value.file == str(tmp_path / "charts" / "cache")
    assert raised.value.message.startswith("--cache-dir is inside the checked repository")
    result = _platecheck("lint", tmp_path, "--cache-dir", tmp_path / ".cache")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "inside the checked repository" in result.stderr
    assert not (tmp_path / ".cache").exists()


@pytest.mark.parametrize(("variable", "cache", "named"), [
    ("PLATECHECK_CACHE_DIR", "c", "$PLATECHECK_CACHE_DIR"),
    ("XDG_CACHE_HOME", "xdg", "$XDG_CACHE_HOME"),
    ("HOME", "home", "$HOME being in the repository")])
def test_the_cache_variable_inside_the_repository_is_refused(
        tmp_path: Path, variable: str, cache: str, named: str) -> None:
    """Refused before anything is written there (the whole-run cache's index was)."""
    make_repo(tmp_path)
    _aged(tmp_path)
    env = {"PLATECHECK_CACHE_DIR": "", "XDG_CACHE_HOME": "", variable: str(tmp_path / cache)}
    result = _platecheck("lint", tmp_path, env=env)
    assert result.returncode == 2
    assert named in result.stderr and "is inside the checked repository" in result.stderr
    assert not (tmp_path / cache).exists()


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "renders").glob("*/*.json"))


def test_a_forged_entry_is_not_trusted_and_is_rewritten(tmp_path: Path) -> None:
    make_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    first = load(tmp_path / "repo", cache_dir=cache)
    assert first.renders == 2 and first.errors == ()
    for entry in _entries(cache):
        data = json.loads(entry.read_text())
        data["stdout"] = data["stdout"].replace("name: web", "name: forged")
        entry.write_text(json.dumps(data))
    second = load(tmp_path / "repo", cache_dir=cache)
    assert (second.renders, second.cache_hits) == (1, 1)  # the lint entry was not altered
    assert [r.name for r in second.rendered[0].resources] == ["web"]
    third = load(tmp_path / "repo", cache_dir=cache)  # rewritten: trusted again
    assert (third.renders, third.cache_hits) == (0, 2)


@pytest.mark.parametrize("kind", ["fifo", "truncated", "symlink"])
def test_a_bad_entry_is_ignored(tmp_path: Path, kind: str) -> None:
    make_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    load(tmp_path / "repo", cache_dir=cache)
    for entry in _entries(cache):
        text = entry.read_text()
        entry.unlink()
        if kind == "fifo":
            os.mkfifo(entry)
        elif kind == "truncated":
            entry.write_text(text[: len(text) // 2])
        else:
            (tmp_path / "elsewhere.json").write_text(text)
            entry.symlink_to(tmp_path / "elsewhere.json")
    started = time.monotonic()
    again = load(tmp_path / "repo", cache_dir=cache)
    assert time.monotonic() - started < 60
    assert (again.renders, again.cache_hits, again.errors) == (2, 0, ())
    assert all(entry.is_file() and not entry.is_symlink() for entry in _entries(cache))


# -- the output -----------------------------------------------------------------------------


def test_a_broken_pipe_keeps_the_exit_code(tmp_path: Path) -> None:
    _with_finding(tmp_path / "repo")
    process = subprocess.Popen(
        [sys.executable, "-m", "platecheck", "lint", str(tmp_path / "repo"), "--no-cache"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the report is written
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 1
    assert b"Traceback" not in stderr


def test_an_ascii_terminal_gets_the_report_escaped(tmp_path: Path) -> None:
    _with_finding(tmp_path / "repo", values_name="values-운영.yaml")
    result = _platecheck("lint", tmp_path / "repo", "--no-cache",
                         env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 1, result.stderr
    assert "charts/web/values-\\uc6b4\\uc601.yaml:1: error [image-tag-pinned]" in result.stdout


FORGED = "values\n::error file=forged.yaml::forged\r\x1b[2K\u2028.yaml"


def test_control_characters_in_a_file_name_are_escaped() -> None:
    import dataclasses

    from platecheck.report import text
    from report_samples import TAG, report

    finding = dataclasses.replace(TAG, file=FORGED, resource="Deployment/a\nb",
                                  message="first\r\x1b[31mred")
    lines = text.render(report((finding,))).splitlines()
    assert not any(line.startswith("::") for line in lines)
    assert [line for line in lines if "image-tag-pinned" in line] == [
        "values\\x0a::error file=forged.yaml::forged\\x0d\\x1b[2K\\u2028.yaml:12: error "
        "[image-tag-pinned] first\\x0d\\x1b[31mred"]


def test_a_control_character_in_an_error_reaches_stderr_escaped(tmp_path: Path) -> None:
    result = _platecheck("lint", tmp_path / "no\nsuch\x1b[2K")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert "no\\x0asuch\\x1b[2K" in result.stderr


# -- unreadable directories -----------------------------------------------------------------


def test_a_directory_that_cannot_be_searched_is_an_error_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not an internal error, and not a directory silently passed over (an unreadable
    directory needs another user than root to make, so its error is raised here)."""
    make_repo(tmp_path)
    locked = tmp_path / "locked"
    (locked / "inner").mkdir(parents=True)
    real = Path.exists

    def exists(self: Path, *args: object, **kwargs: object) -> bool:
        if self.parent == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "exists", exists)
    with pytest.raises(PlatecheckError) as raised:
        load(tmp_path, use_cache=False)
    assert (raised.value.file, raised.value.message) == (
        "locked", "cannot read directory: Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
def test_a_directory_without_permissions_is_an_error_naming_it(tmp_path: Path) -> None:
    make_repo(tmp_path)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0)
    try:
        result = _platecheck("lint", tmp_path, "--no-cache")
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "platecheck: error: locked: cannot read directory: Permission denied"]


def test_a_cache_inside_the_path_given_is_refused_before_the_root_is_looked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An unmarked directory's root is found by reading every YAML file under it (minutes
    for a large one): a cache inside the path itself is known to be inside the root first."""
    make_repo(tmp_path)
    shutil.rmtree(tmp_path / ".git")
    shutil.rmtree(tmp_path / "policies")  # unmarked: no .git, no policies/

    def walked(*args: object, **kwargs: object) -> Path:
        raise AssertionError("the repository root was looked for")

    import platecheck.discover
    import platecheck.engine
    from platecheck.cli import main

    monkeypatch.setattr(platecheck.engine, "find_root", walked)
    monkeypatch.setattr(platecheck.discover, "find_root", walked)
    with pytest.raises(PlatecheckError) as raised:
        load(tmp_path, cache_dir=tmp_path / "cache")
    assert raised.value.message.startswith("--cache-dir is inside the checked repository")
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "home-cache"))
    assert main(["lint", str(tmp_path)]) == 2
    assert "($PLATECHECK_CACHE_DIR) is inside the checked repository" in capsys.readouterr().err
    assert main(["lint", str(tmp_path), "--changed-since", "HEAD"]) == 2
    assert "($PLATECHECK_CACHE_DIR) is inside the checked repository" in capsys.readouterr().err


def test_a_cache_inside_a_root_no_git_marks_names_that_root_and_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A chart of a directory with no ``.git`` or ``policies/``, linted from the directory
    above it that holds the cache: the repository is taken to be the working directory,
    which the one-line error names with why (it named no root, and blamed the cache)."""
    from platecheck.cli import main

    (tmp_path / "work" / "c" / "templates").mkdir(parents=True)
    (tmp_path / "work" / "c" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: c\nversion: 0.1.0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / ".cache"))
    assert main(["lint", "work/c"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"inside the checked repository ({tmp_path.resolve()}, taken for the repository " \
           "as no .git or policies/ lies above the path given)" in err
