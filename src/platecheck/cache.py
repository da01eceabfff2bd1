"""The on-disk cache of helm results, so an unchanged repository re-lints without rendering.

An entry is keyed by a sha256 over everything that affects helm's output: its version, its
arguments (paths made relative), every file of the chart directory, the value files and the
inline values. Entries are written atomically (temporary file, then ``os.replace``); an entry
that cannot be read or does not look right is ignored and rendered again.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platecheck.helmbin import default_cache_dir

FORMAT = 2  # 2: helm output holds repository-relative paths, failed renders kept
RENDERS = "renders"  # the cache's directory under the per-user platecheck cache

__all__ = ["ChartTree", "Digest", "HelmResult", "RenderCache", "chart_tree", "default_cache_dir",
           "directory_digest"]


@dataclass(frozen=True)
class HelmResult:
    exit_code: int
    stdout: str
    stderr: str


class Digest:
    """An incremental sha256 with length-prefixed parts, so parts cannot run together."""

    def __init__(self, kind: str) -> None:
        self._hash = hashlib.sha256()
        self.add(f"platecheck-cache-{FORMAT}-{kind}".encode())

    def add(self, part: bytes | str) -> None:
        data = part.encode() if isinstance(part, str) else part
        self._hash.update(len(data).to_bytes(8, "big"))
        self._hash.update(data)

    def extend(self, parts: Iterable[bytes | str]) -> None:
        for part in parts:
            self.add(part)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class ChartTree:
    """What helm reads of a chart directory: its files, reached through symbolic links as
    helm follows them, and the links that lead out of the repository (which are not
    followed)."""

    files: tuple[Path, ...]  # as reached from the top, through links; sorted
    outside: tuple[Path, ...]  # links resolving outside ``within``; sorted


def chart_tree(directory: Path, within: Path) -> ChartTree:
    """Walk ``directory`` following symbolic links that stay within ``within``; every real
    directory is entered once, so a link back to an ancestor cannot loop."""
    within = Path(os.path.realpath(within))
    files: list[Path] = []
    outside: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for current, dirs, names in os.walk(directory, followlinks=True):
        here = Path(current)
        try:
            info = os.stat(here)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        kept = []
        for name in sorted(dirs):
            if _leaves(here / name, within):
                outside.append(here / name)
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if _leaves(here / name, within):
                outside.append(here / name)
            else:
                files.append(here / name)
    return ChartTree(tuple(sorted(files)), tuple(sorted(outside)))


def _leaves(path: Path, within: Path) -> bool:
    # realpath, not Path.resolve: a link loop must not raise
    return path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(within)


def directory_digest(directory: Path, within: Path | None = None) -> str:
    """A digest of every file under ``directory`` (relative path and bytes, sorted), following
    symbolic links inside ``within`` (default: ``directory``) as helm does; a link leading
    elsewhere counts by where it points."""
    digest = Digest("dir")
    tree = chart_tree(directory, within if within is not None else directory)
    for file in tree.files:
        digest.add(file.relative_to(directory).as_posix())
        digest.add(_file_digest(file))
    for link in tree.outside:
        digest.add(link.relative_to(directory).as_posix())
        digest.add(f"link:{os.readlink(link)}")
    return digest.hexdigest()


def _file_digest(file: Path) -> str:
    """sha256 of a regular file's bytes, read in blocks; other kinds of file (a dangling
    link, a named pipe) count by their kind, never read."""
    try:
        handle = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            return f"special:{stat.S_IFMT(mode)}"
        content = hashlib.sha256()
        while block := os.read(handle, 1 << 20):
            content.update(block)
        return content.hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    finally:
        os.close(handle)


class RenderCache:
    """Helm results on disk under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> HelmResult | None:
        try:
            data: Any = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        code, out, err = data.get("exit_code"), data.get("stdout"), data.get("stderr")
        if not isinstance(code, int) or not isinstance(out, str) or not isinstance(err, str):
            return None
        return HelmResult(code, out, err)

    def put(self, key: str, result: HelmResult) -> None:
        path = self._path(key)
        payload = json.dumps({"key": key, "exit_code": result.exit_code,
                              "stdout": result.stdout, "stderr": result.stderr})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(payload)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a cache that cannot be written only costs time
