"""Whole-run results, so that linting an unchanged repository costs a walk of its files.

A run's key is a sha256 over everything its report depends on: platecheck's own files and
the directories it imports packages from (installing or upgrading a package changes them),
the helm binary, the run's options and ``PLATECHECK_*`` environment variables, the checkout's
Git remotes (which repoURLs are this repository: ``platecheck.repourl``), its commit and
branches (which revisions are this checkout), today's date
(waivers expire) and every file under the repository root and the configuration directory,
by path (relative to the root: a copy of the repository elsewhere has the same key) and
content (symbolic links by where they point), except in ``.git`` and ``__pycache__``.
Directories marked with a ``CACHEDIR.TAG`` file are keyed too: the checked repository
decides what such a marker hides, so it could hide a changed chart. A report with
could-not-check errors is kept when each comes of the checked content (a remote base, a chart
dependency not vendored, a file that does not parse): the next run would meet it again; one
this machine or moment caused (a timeout, a process ended by a signal or that could not start:
``errors.transient``) may not happen again, and its report is not kept. Nor is one whose error
quotes the checkout's path (an entry holds none). The kubectl a Kustomize build would run is
keyed like helm: installing one makes a kubectl-not-found error go.

File contents are known from a stat index: a file whose size, modification time, change time
and inode are as recorded is not read again. A file changed within the last two seconds is
not recorded (its modification time could still be the same after another write), so it is
read again on the next run. Entries are JSON holding no path of the checkout (``modeljson``
stores repository paths relative to the root), written atomically, with a sha256 of their
report; one that is not a regular file, cannot be read, does not decode or does not verify is
ignored and the run is done in full.

Beside a run's report, the command line keeps its answer: the texts of the reports it wrote,
its exit code and the checked files an ``--output`` must not overwrite, per variant (the
formats and styles asked for, the repository root and the working directory, by digest). A
warm run with an answer prints it without loading the model, the engine or a reporter. An
answer whose text holds the checkout's path is not kept, so no entry holds one.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from platecheck.boundedread import read_regular_file
from platecheck.cache import Digest, read_regular, write_atomic
from platecheck.errors import PlatecheckError, transient
from platecheck.walk import walk

if TYPE_CHECKING:
    from platecheck.model import Report

RUNS = "runs"  # the directory under platecheck's cache root
MAX_RUN_ENTRY = 256 << 20  # bytes of one entry read at most
KEEP = 32  # run entries kept; older ones are removed (and answers beyond four per entry)
_RACY_NS = 2_000_000_000
# git's own data and Python's bytecode are never inputs of a render
_SKIPPED_DIRS = frozenset({".git", "__pycache__"})


_MAX_INDEX = 1 << 30  # bytes of the stat index read at most


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
        digest.add(time.strftime("%Y-%m-%d"))  # today, in local time
        digest.add(json.dumps(sorted((k, v) for k, v in os.environ.items()
                                     if k.startswith("PLATECHECK_"))))
        digest.add(_binary_identity(helm))
        digest.add(_binary_identity(_kubectl(self.directory.parent)))
        package = Path(__file__).parent  # the platecheck package
        for entry in sys.path[1:]:  # [0] is the script's directory or the working one
            digest.add(_identity(Path(entry or ".")))
        for file in _walk(package, ()):
            digest.add(_identity(Path(file)))
        for root in roots:  # the repository by its content, not by where it is
            digest.add(os.path.relpath(root, roots[0]))
            top = str(root)  # _walk's paths all start with it and a separator
            cut = len(top) + (not top.endswith(os.sep))
            for file in _walk(root, skip, empty=True):
                digest.add(file[cut:].replace(os.sep, "/") or ".")
                if not file.endswith(os.sep):  # (an empty directory is there or not)
                    digest.add(self._content(file))
        self._save_index()
        return digest.hexdigest()

    def get(self, key: str, root: Path) -> Report | None:
        """The report of run ``key``, its paths anchored at the repository ``root``."""
        from platecheck.modeljson import decode_report

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
        return as_kept(report)

    def put(self, key: str, report: Report) -> None:
        from platecheck.modeljson import encode_report

        checkout = str(report.root).lstrip(os.sep)
        if any(transient(e.message) or checkout in e.message or checkout in (e.detail or "")
               for e in report.errors):
            return
        try:  # the report is written as the text its digest is taken of: one dump, not two
            text = json.dumps(encode_report(report), sort_keys=True)
            payload = (f'{{"key": {json.dumps(key)}, "sha256": '
                       f'{json.dumps(_text_digest(key, text))}, "report": {text}}}')
        except (TypeError, ValueError):
            return  # something in the model JSON cannot carry: the next run is done in full
        write_atomic(self.directory / f"{key}.json", payload)
        self._prune("*.json", KEEP)

    def answer(self, key: str, name: str, root: Path) -> Answer | None:
        """The answer kept for run ``key`` in variant ``name``, if it reads and verifies."""
        raw = read_regular(self.directory / f"{key}.{name}.answer", MAX_RUN_ENTRY)
        if raw is None:
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
            if data.get("key") != key or data.get("sha256") != _report_digest(key, data["answer"]):
                return None
            return Answer.decode(data["answer"], root)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def keep_answer(self, key: str, name: str, answer: Answer) -> None:
        """Keep ``answer`` for the next run of ``key`` in variant ``name``, when the run's
        report is kept and no text holds the checkout's path (absolute, or relative from
        somewhere else: without its leading separator)."""
        checkout = answer.root.lstrip(os.sep)
        if not (self.directory / f"{key}.json").is_file() or \
                any(checkout in text for text in answer.texts):
            return
        encoded = answer.encode()
        write_atomic(self.directory / f"{key}.{name}.answer", json.dumps(
            {"key": key, "answer": encoded, "sha256": _report_digest(key, encoded)}))
        self._prune("*.answer", 4 * KEEP)

    # -- the stat index ---------------------------------------------------------------------

    def _content(self, file: str) -> str:
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
            with open(file, "rb") as handle:
                content = hashlib.sha256(handle.read()).hexdigest()
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > _RACY_NS:
            self._index[name] = [*signature, content]
            self._index_changed = True
        return content

    def _read_index(self) -> dict[str, Any]:
        raw = read_regular_file(self._index_path, _MAX_INDEX)  # no pipe, link or device
        try:
            data = json.loads(raw) if raw is not None else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _save_index(self) -> None:
        if self._index_changed:
            write_atomic(self._index_path, json.dumps(self._index))
            self._index_changed = False

    def _prune(self, pattern: str, keep: int) -> None:
        try:
            entries = sorted((p for p in self.directory.glob(pattern)
                              if p != self._index_path), key=lambda p: p.stat().st_mtime_ns)
            for old in entries[:-keep]:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def _binary_identity(path: Path) -> str:
    """A binary by location, size, modification time and inode: a new one is another file
    or another write; not by change time, which a hard link to it changes (a confined
    Kustomize build links helm and kubectl into its root), so each run would be keyed anew."""
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def _identity(path: Path) -> str:
    """A file or directory by location, size and times: enough for code and binaries, which
    are replaced, not edited in place within a run."""
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def _kubectl(cache_root: Path) -> Path:
    """The kubectl ``platecheck.helmbin.kubectl.find_kubectl`` would find (checked no
    further: a run with errors of a kubectl that is there but wrong is not kept either), or a
    path of none."""
    from platecheck.helmbin.locate import kubectl_candidate

    return kubectl_candidate(None, cache_root)[0] or Path("kubectl")


def _walk(root: Path, skip: Sequence[Path], empty: bool = False) -> Iterator[str]:
    """Every file under ``root`` in a stable order, as a path string; symbolic links are
    listed, not followed. With ``empty``, each empty directory too, its path ending in a
    separator (a source path that is one exists; gone, it does not)."""
    if root.is_file():
        yield str(root)
        return
    skipped = {str(path) for path in skip}
    join = os.path.join
    for current, dirs, names in walk(root):
        if empty and not dirs and not names:
            yield join(current, "")
        dirs[:] = sorted(d for d in dirs
                         if d not in _SKIPPED_DIRS and join(current, d) not in skipped)
        for name in sorted(names):
            file = join(current, name)
            if file not in skipped:
                yield file


class Answer(NamedTuple):
    """What the command line prints for a run: a text per report asked for, the exit code,
    the checked files no ``--output`` may overwrite, as (kind, path relative to ``root``),
    and the note on a ``--changed-since`` run."""

    texts: tuple[str, ...]
    exit_code: int
    root: str
    guards: tuple[tuple[str, str], ...]
    changed_since: str | None = None

    def encode(self) -> dict[str, Any]:
        """JSON without the root: no entry holds a path of the checkout."""
        return {"texts": list(self.texts), "exit_code": self.exit_code,
                "guards": [list(guard) for guard in self.guards]}

    @classmethod
    def decode(cls, data: dict[str, Any], root: Path) -> Answer:
        texts, code, guards = data["texts"], data["exit_code"], data["guards"]
        if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)
                and type(code) is int and isinstance(guards, list)
                and all(isinstance(g, list) and len(g) == 2
                        and all(isinstance(part, str) for part in g) for g in guards)):
            raise TypeError("not an answer")
        return cls(tuple(texts), code, str(root), tuple((g[0], g[1]) for g in guards))


def as_kept(report: Report) -> Report:
    """``report`` as a warm run tells it: no helm or kubectl process, every result from the
    cache."""
    import dataclasses

    return dataclasses.replace(report, renders=0, builds=0,
                               cache_hits=report.renders + report.builds + report.cache_hits)


def variant(styles: Sequence[Any], root: Path) -> str:
    """The name of an answer's variant: the reports and styles asked for (``styles``, JSON
    values), the repository root and the working directory (report paths are relative to
    it), by digest."""
    try:
        here = os.getcwd()
    except OSError:  # the working directory was removed: absolute paths still work
        here = ""
    digest = Digest("answer")
    digest.extend((json.dumps(list(styles)), str(root), here))
    return digest.hexdigest()[:32]


class _Run(NamedTuple):
    """A run the cache can answer: its key and what the key was computed from."""

    cache: RunCache
    key: str
    root: Path
    roots: list[Path]
    skip: list[Path]
    shown: dict[str, Any]
    helm: Path

    def rekey(self) -> str:
        """The key again: another key means something changed while the run read it."""
        return self.cache.key(self.roots, self.skip, self.shown, self.helm)


def cached_lint(paths: Sequence[str | os.PathLike[str]], *, cache_root: Path | None,
                skip: Sequence[Path], **options: Any) -> Report:
    """``platecheck.engine.lint`` with whole-run caching: the engine (and everything it
    imports) is loaded only when the repository changed."""
    from platecheck.helmbin.locate import chosen_cache_dir

    with chosen_cache_dir(cache_root):
        return _full(paths, cache_root, _keyed(paths, cache_root, skip, options), options)


def cached_answer(paths: Sequence[str | os.PathLike[str]], *, cache_root: Path | None,
                  skip: Sequence[Path], styles: Sequence[Any],
                  present: Callable[[Report], Answer], **options: Any) -> Answer:
    """What the command line prints for a lint: the answer kept for this run and variant
    (``styles``), else ``present`` of the (cached or full) report, kept for the next run as a
    warm run would tell it."""
    from platecheck.helmbin.locate import chosen_cache_dir

    with chosen_cache_dir(cache_root):
        run = _keyed(paths, cache_root, skip, options)
        if run is None:
            return present(_full(paths, cache_root, None, options))
        name = variant(styles, run.root)
        kept = run.cache.answer(run.key, name, run.root)
        if kept is not None:
            return kept
        report = _full(paths, cache_root, run, options)
        answer = present(report)
        ran = report.renders or report.builds
        run.cache.keep_answer(run.key, name, present(as_kept(report)) if ran else answer)
        return answer


def _keyed(paths: Sequence[str | os.PathLike[str]], cache_root: Path | None,
           skip: Sequence[Path], options: dict[str, Any]) -> _Run | None:
    """The cache and key of this run, or None when it is not cached (``--no-cache``,
    ``--changed-since``) or its inputs cannot be keyed (the full run reports why)."""
    from platecheck.helmbin.locate import (
        cache_outside,
        cache_outside_paths,
        default_cache_dir,
        find_helm,
    )
    from platecheck.repourl import branches, normalized, remote_urls, repository_revision

    if not options.get("use_cache", True) or options.get("changed_since") is not None:
        return None
    try:
        resolved = [Path(p).resolve(strict=True) for p in paths]
        cache_outside_paths(cache_root, resolved)
        explicit_root = options.get("root")
        root = repository_root(resolved[0], Path(explicit_root) if explicit_root else None)
        cache_outside(cache_root, root)  # (else the engine says so, and nothing is written)
        helm = find_helm(options.get("helm"), cache_dir=cache_root).resolve()
        config = options.get("config_dir")
        roots = [root]
        if config is not None and not Path(config).resolve().is_relative_to(root):
            roots.append(Path(config).resolve())
        shown = {**options, "paths": [os.path.relpath(p, root) for p in resolved],
                 "root": None, "helm": str(helm), "jobs": None,
                 # the checkout's Git remotes say which repoURLs are this repository
                 "remotes": sorted({normalized(url) for url in remote_urls(root)}),
                 # the commit checked out: Argo CD substitutes it ($ARGOCD_APP_REVISION)
                 "revision": repository_revision(root),
                 # the branch checked out and the remotes' default ones: which targetRevision
                 # is this checkout
                 "branches": list(branches(root)),
                 "config_dir": os.path.relpath(Path(config).resolve(), root)
                 if config is not None else None}
        cache = RunCache((cache_root or default_cache_dir()) / RUNS)
        skipped = [p.resolve() for p in skip]
        return _Run(cache, cache.key(roots, skipped, shown, helm), root, roots, skipped,
                    shown, helm)
    except (PlatecheckError, OSError):
        return None


def _full(paths: Sequence[str | os.PathLike[str]], cache_root: Path | None, run: _Run | None,
          options: dict[str, Any]) -> Report:
    """The report of ``run`` from the cache, else from the engine (kept when nothing changed
    while the engine read the files)."""
    if run is not None:
        report = run.cache.get(run.key, run.root)
        if report is not None:
            return report
    from platecheck.engine import lint

    if run is not None and options.get("root") is None:
        options = {**options, "root": run.root}  # found once: an unmarked root is a walk
    report = lint(list(paths), cache_dir=cache_root, **options)
    if run is not None and run.rekey() == run.key:
        run.cache.put(run.key, report)
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
    return _text_digest(key, json.dumps(encoded, sort_keys=True))


def _text_digest(key: str, text: str) -> str:
    """``_report_digest`` of the report whose sorted JSON is ``text``."""
    digest = Digest("run-entry")
    digest.extend((key, text))
    return digest.hexdigest()
