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
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platecheck.helmbin import default_cache_dir

FORMAT = 1
RENDERS = "renders"  # the cache's directory under the per-user platecheck cache

__all__ = ["Digest", "HelmResult", "RenderCache", "default_cache_dir", "directory_digest"]


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


def directory_digest(directory: Path) -> str:
    """A digest of every file under ``directory`` (relative path and bytes, sorted)."""
    digest = Digest("dir")
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    for file in files:
        digest.add(file.relative_to(directory).as_posix())
        try:
            digest.add(file.read_bytes())
        except OSError as exc:
            digest.add(f"unreadable:{exc.errno}")
    return digest.hexdigest()


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
