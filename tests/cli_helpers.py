"""Running the ``platecheck`` command and git as a user would, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
Run = Callable[..., subprocess.CompletedProcess[str]]


def cli_runner(helm_bin: Path, cache: Path) -> Run:
    """``run(*args, cwd=REPO, cache_dir=cache)``: ``python -m platecheck`` from this
    checkout's source, with the test session's helm and a render cache of its own."""

    def run(*args: str | Path, cwd: Path = REPO,
            cache_dir: Path = cache) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PLATECHECK_HELM": str(helm_bin),
               "PLATECHECK_CACHE_DIR": str(cache_dir),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                           os.environ.get("PYTHONPATH")]))}
        return subprocess.run([sys.executable, "-m", "platecheck", *map(str, args)], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=600,
                              check=False)

    return run


def git(repo: Path, *args: str) -> str:
    """git with a fixed identity; fails the test on a git error."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout
