"""Whole-run results, so that linting an unchanged repository costs a walk of its files.

A run's key is a sha256 over everything its report depends on: platecheck's own files and
the directories it imports packages from (installing or upgrading a package changes them),
the helm binary, the run's options and ``PLATECHECK_*`` environment variables, today's date
(waivers expire) and every file under the repository root and the configuration directory,
by path (relative to the root: a copy of the repository elsewhere has the same key) and
content (symbolic links by where they point), except in ``.git`` and ``__pycache__``.
Directories marked with a ``CACHEDIR.TAG`` file are keyed too: the checked repository
decides what such a marker hides, so it could hide a changed chart. A report with
could-not-check errors is never kept: a timeout may not happen again.

File contents are known from a stat index: a file whose size, modification time, change time
and inode are as recorded is not read again. A file changed within the last two seconds is
not recorded (its modification time could still be the same after another write), so it is
read again on the next run. Entries are JSON holding no path of the checkout (``modeljson``
stores repository paths relative to the root), written atomically, with a sha256 of their
report; one that is not a regular file, cannot be read, does not decode or does not verify is
ignored and the run is done in full.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from platecheck.cache import Digest, read_regular, write_atomic
from platecheck.errors import PlatecheckError
from platecheck.model import Report
from platecheck.modeljson import decode_report, encode_report

RUNS = "runs"  # the directory under platecheck's cache root
MAX_RUN_ENTRY = 256 << 20  # bytes of one entry read at most
KEEP = 32  # run entries kept; older ones are removed
_RACY_NS = 2_000_000_000
# git's own data and Python's bytecode are never inputs of a render
_SKIPPED_DIRS = frozenset({".git", "__pycache__"})


class RunCache:
    """Reports of whole runs under ``directory``, with the stat index that keys them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._index_path = directory / "stat-index.json"
        self._index = self._read_index()
        self._index_changed = False

    def key(self, roots: Sequence[Path], skip: Sequence[Path], options: Mapping[str, Any],
            helm: Path) -> str:
        """The key of a run over ``roots`` (files under ``skip`` left out)."""
        digest = Digest("run")
        digest.add(json.dumps(options, sort_keys=True, default=str))
        digest.add(datetime.date.today().isoformat())
        digest.add(json.dumps(sorted((k, v) for k, v in os.environ.items()
                                     if k.startswith("PLATECHECK_"))))
        digest.add(_identity(helm))
        package = Path(__file__).parent  # the platecheck package
        for entry in sys.path[1:]:  # [0] is the script's directory or the working one
            digest.add(_identity(Path(entry or ".")))
        for file in _walk(package, ()):
            digest.add(_identity(file))
        for root in roots:  # the repository by its content, not by where it is
            digest.add(os.path.relpath(root, roots[0]))
            for file in _walk(root, skip):
                digest.add(file.relative_to(root).as_posix())
                digest.add(self._content(file))
        self._save_index()
        return digest.hexdigest()

    def get(self, key: str, root: Path) -> Report | None:
        """The report of run ``key``, its paths anchored at the repository ``root``."""
        raw = read_regular(self.directory / f"{key}.json", MAX_RUN_ENTRY)
        if raw is None:
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            if data.get("sha256") != _report_digest(key, data["report"]):
                return None  # truncated or altered
            report = decode_report(data["report"], root)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # what this run did: no helm process, every result from the cache
        return dataclasses.replace(report, renders=0,
                                   cache_hits=report.renders + report.cache_hits)

    def put(self, key: str, report: Report) -> None:
        if report.errors:
            return
        try:
            encoded = encode_report(report)
            payload = json.dumps({"key": key, "report": encoded,
                                  "sha256": _report_digest(key, encoded)})
        except (TypeError, ValueError):
            return  # something in the model JSON cannot carry: the next run is done in full
        write_atomic(self.directory / f"{key}.json", payload)
        self._prune()

    # -- the stat index ---------------------------------------------------------------------

    def _content(self, file: Path) -> str:
        try:
            info = os.lstat(file)
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        if stat.S_ISLNK(info.st_mode):
            return f"link:{os.readlink(file)}"
        if not stat.S_ISREG(info.st_mode):
            return f"special:{stat.S_IFMT(info.st_mode)}"
        signature = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        # by a digest of its location: the index holds no path of any checkout
        name = hashlib.sha256(os.fsencode(file)).hexdigest()
        known = self._index.get(name)
        if isinstance(known, list) and known[:4] == signature:
            return str(known[4])
        try:
            content = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > _RACY_NS:
            self._index[name] = [*signature, content]
            self._index_changed = True
        return content

    def _read_index(self) -> dict[str, Any]:
        try:
            data = json.loads(self._index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_index(self) -> None:
        if self._index_changed:
            write_atomic(self._index_path, json.dumps(self._index))
            self._index_changed = False

    def _prune(self) -> None:
        try:
            entries = sorted((p for p in self.directory.glob("*.json")
                              if p != self._index_path), key=lambda p: p.stat().st_mtime_ns)
            for old in entries[:-KEEP]:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def _identity(path: Path) -> str:
    """A file or directory by location, size and times: enough for code and binaries, which
    are replaced, not edited in place within a run."""
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def _walk(root: Path, skip: Sequence[Path]) -> Iterator[Path]:
    """Every file under ``root`` in a stable order; symbolic links are listed, not followed."""
    if root.is_file():
        yield root
        return
    for current, dirs, names in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and here / d not in skip)
        for name in sorted(names):
            if here / name not in skip:
                yield here / name


def cached_lint(paths: Sequence[str | os.PathLike[str]], *, cache_root: Path | None,
                skip: Sequence[Path], **options: Any) -> Report:
    """``platecheck.engine.lint`` with whole-run caching, for the command line: the engine
    (and everything it imports) is loaded only when the repository changed."""
    from platecheck.helmbin.locate import chosen_cache_dir

    with chosen_cache_dir(cache_root):
        return _cached_lint(paths, cache_root=cache_root, skip=skip, **options)


def _cached_lint(paths: Sequence[str | os.PathLike[str]], *, cache_root: Path | None,
                 skip: Sequence[Path], **options: Any) -> Report:
    from platecheck.helmbin.locate import default_cache_dir, find_helm

    cache: RunCache | None = None
    key = ""

    def run_key() -> str:
        assert cache is not None
        return cache.key(roots, [p.resolve() for p in skip], shown, helm)

    if options.get("use_cache", True) and options.get("changed_since") is None:
        try:
            resolved = [Path(p).resolve(strict=True) for p in paths]
            explicit_root = options.get("root")
            root = repository_root(resolved[0],
                                   Path(explicit_root) if explicit_root else None)
            helm = find_helm(options.get("helm"), cache_dir=cache_root).resolve()
            config = options.get("config_dir")
            roots = [root]
            if config is not None and not Path(config).resolve().is_relative_to(root):
                roots.append(Path(config).resolve())
            cache = RunCache((cache_root or default_cache_dir()) / RUNS)
            shown = {**options, "paths": [os.path.relpath(p, root) for p in resolved],
                     "root": None, "helm": str(helm), "jobs": None,
                     "config_dir": os.path.relpath(Path(config).resolve(), root)
                     if config is not None else None}
            key = run_key()
        except (PlatecheckError, OSError):
            cache = None  # the full run reports the problem properly
    if cache is not None:
        report = cache.get(key, root)
        if report is not None:
            return report
    from platecheck.engine import lint

    report = lint(list(paths), cache_dir=cache_root, **options)
    # kept only when nothing changed while the run read the files
    if cache is not None and run_key() == key:
        cache.put(key, report)
    return report


def repository_root(path: Path, explicit: Path | None = None) -> Path:
    """``platecheck.discover.find_root``, without loading discovery (and the YAML parser)
    when the root is given or marked."""
    from platecheck.reporoot import marked_root

    root = marked_root(path, explicit)
    if root is None:
        from platecheck.discover import find_root

        root = find_root(path, explicit)
    return root


def _report_digest(key: str, encoded: Any) -> str:
    """sha256 of an entry's report, so a truncated or altered entry does not verify."""
    digest = Digest("run-entry")
    digest.extend((key, json.dumps(encoded, sort_keys=True)))
    return digest.hexdigest()
