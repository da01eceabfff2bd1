"""The on-disk cache of helm results, so an unchanged repository re-lints without rendering.

An entry is keyed by a sha256 over everything that affects helm's output: its version, its
arguments (paths made relative), every file of the chart directory, the value files and the
inline values. It carries a sha256 of its own content, checked on read. Entries are written
atomically (temporary file, then ``os.replace``); an entry that is not a regular file, cannot
be read, does not look right or does not verify is ignored, rendered again and rewritten.
The cache is never inside the checked repository (``engine``), see docs/security.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from platecheck.boundedread import read_regular_file
from platecheck.errors import PlatecheckError
from platecheck.helmbin import default_cache_dir, memo_dir
from platecheck.walk import walk

FORMAT = 3  # 2: repository-relative paths, failed renders kept; 3: entries carry a sha256
RENDERS = "renders"  # the cache's directory under the per-user platecheck cache
_GIT = ".git"
MAX_CHART_FILES = 10_000  # files helm may read of one chart, links included

__all__ = ["ChartTree", "Digest", "HelmResult", "RenderCache", "ResultMemo", "chart_digest",
           "chart_tree", "check_schema_once", "code_digest", "default_cache_dir",
           "directory_digest", "json_copy", "schema_checked"]


class HelmResult(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


class Digest:
    """An incremental sha256 with length-prefixed parts, so parts cannot run together."""

    def __init__(self, kind: str) -> None:
        self._hash = hashlib.sha256()
        self.add(f"platecheck-cache-{FORMAT}-{kind}".encode())

    def add(self, part: bytes | str) -> None:
        # (a file name that is no UTF-8 holds surrogates: its bytes as the system gave them)
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        self._hash.update(len(data).to_bytes(8, "big"))
        self._hash.update(data)

    def extend(self, parts: Iterable[bytes | str]) -> None:
        for part in parts:
            self.add(part)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


_checked_schemas: set[Path] = set()  # marks known in this process


@functools.cache
def _library_version(name: str) -> str:
    """The installed version of the distribution ``name``, looked up once per process (each
    lookup searches every directory of ``sys.path``); raises ``PackageNotFoundError``."""
    from platecheck.distributions import version

    return version(name)


def check_schema_once(cls: Any, schema: Any, content: str | None = None) -> None:
    """``cls.check_schema(schema)``, remembered on disk per content: checking a schema (a
    CRD's, a chart's ``values.schema.json``) against its meta-schema costs more than
    everything else a warm run does, and a schema that passed once passes again (same
    content, same meta-schema, same jsonschema). ``content``: the schema as
    ``json.dumps(schema, sort_keys=True)``, when the caller has it already."""
    marker = _schema_marker(cls.__name__, schema, content)
    if _marked(marker):
        return
    from platecheck.metaschema import check_schema  # loads jsonschema: only a run that checks

    check_schema(cls, schema)
    _checked_schemas.add(marker)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a marker that cannot be written only costs time


def schema_checked(cls_name: str, schema: Any, content: str | None = None) -> bool:
    """Whether ``check_schema_once`` passed ``schema`` with the validator class named
    ``cls_name``, without importing jsonschema."""
    return _marked(_schema_marker(cls_name, schema, content))


def _marked(marker: Path) -> bool:
    """Whether ``marker`` was made, in this process or on disk (as a regular file, which
    reading marks used, see ``prune_unused``)."""
    return marker in _checked_schemas or read_regular(marker, 1 << 10) is not None


def _schema_marker(cls_name: str, schema: Any, content: str | None) -> Path:
    # (patterns read as Go reads them: markers of Python's reading are not taken)
    digest = Digest("meta-schema-go")
    digest.extend([cls_name, _library_version("jsonschema"),
                   json.dumps(schema, sort_keys=True) if content is None else content])
    return memo_dir() / "schemas-checked" / digest.hexdigest()


class ChartTree(NamedTuple):
    """What helm may read of a chart directory: its files, reached through symbolic links
    that stay inside ``within`` (the chart, or the repository), and the links that lead out
    of it, into a ``.git`` directory or to a directory holding the chart (which are not
    followed). ``.git`` itself is never part of a chart."""

    files: tuple[Path, ...]  # as reached from the top, through links; sorted
    # links resolving outside ``within``, into .git, or above the top; sorted
    outside: tuple[Path, ...]
    # links back to a directory above them (helm follows them until the system refuses:
    # "too many levels of symbolic links", unless .helmignore leaves them out); sorted
    loops: tuple[Path, ...] = ()


def chart_tree(directory: Path, within: Path, tracked_only: bool = False) -> ChartTree:
    """Walk ``directory`` following symbolic links that stay within ``within``, as helm
    does: a directory reached by two paths is there twice, a link back to one of its own
    ancestors is not entered (it would loop) but listed in ``loops``. More than
    ``MAX_CHART_FILES`` files is an error (links can multiply a small tree). With
    ``tracked_only`` (a chart helm reads), a file a link leads to out of ``directory``
    (within a repository ``within``) must be one the Git index tracks, else it is
    ``outside``: one the checkout alone holds (a CI job's credentials) is no file of the
    repository, nor in Argo CD's clone."""
    within, top = Path(os.path.realpath(within)), Path(os.path.realpath(directory))
    tracked = _Tracked(within) if tracked_only and within != top else None
    files: list[Path] = []
    outside: list[Path] = []
    ancestors: dict[Path, frozenset[tuple[int, int]]] = {}
    loops: list[Path] = []
    for current, dirs, names in walk(directory, followlinks=True):
        here = Path(current)
        try:
            info = os.stat(here)
        except OSError:
            dirs[:] = []
            continue
        above = ancestors.get(here.parent, frozenset())
        if (info.st_dev, info.st_ino) in above:
            dirs[:] = []
            if here.is_symlink():
                loops.append(here)
            continue
        ancestors[here] = above | {(info.st_dev, info.st_ino)}
        if len(files) + len(names) > MAX_CHART_FILES:
            raise PlatecheckError(f"chart has more than {MAX_CHART_FILES} files (symbolic "
                                  "links included); platecheck does not render it")
        kept = []
        for name in sorted(dirs):
            if name == _GIT:
                continue
            if _leaves(here / name, within, top):
                outside.append(here / name)
            else:
                kept.append(name)
        dirs[:] = kept
        away = tracked is not None and not Path(os.path.realpath(here)).is_relative_to(top)
        for name in sorted(names):
            if name == _GIT:
                continue  # a worktree's .git file
            path = here / name
            if _leaves(path, within, top) or tracked is not None and (
                    away or path.is_symlink()) and not tracked.holds(path):
                outside.append(path)
            else:
                files.append(path)
    return ChartTree(tuple(sorted(files)), tuple(sorted(outside)), tuple(sorted(loops)))


class _Tracked:
    """The files the Git index of the repository at ``root`` tracks, read once if asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: frozenset[str] | None = None
        self._read = False

    def holds(self, path: Path) -> bool:
        """Whether the file ``path`` leads to (in ``root``) is tracked; none is without an
        index."""
        from platecheck.repourl import tracked_files
        from platecheck.runmemo import recall

        if not self._read:
            self._paths = recall("tracked-files", self.root, lambda: tracked_files(self.root))
            self._read = True
        real = Path(os.path.realpath(path))
        return self._paths is not None and real.is_relative_to(self.root) \
            and real.relative_to(self.root).as_posix() in self._paths


def _leaves(path: Path, within: Path, top: Path) -> bool:
    """Whether the link ``path`` leads out of ``within``, into ``.git``, or to a directory
    above ``top`` (the directory walked: it would hold it again)."""
    if not path.is_symlink():
        return False
    real = Path(os.path.realpath(path))  # realpath, not Path.resolve: a loop must not raise
    return not real.is_relative_to(within) or _GIT in real.relative_to(within).parts or (
        top.is_relative_to(real) and real != top)


def directory_digest(directory: Path, within: Path | None = None, *,
                     links: bool = False, tracked_only: bool = False) -> str:
    """A digest of every file under ``directory`` (relative path and bytes, sorted), following
    symbolic links inside ``within`` (default: ``directory``) as helm does; a link leading
    elsewhere counts by where it points. Of a file: its bytes. With ``links``, every link
    followed counts by where it points too (kustomize refuses a file a link leads to outside
    the kustomization's directory, whose bytes are the same)."""
    if not directory.is_dir():
        digest = Digest("file")
        digest.add(_file_digest(directory)[0])
        if links and directory.is_symlink():
            digest.add(f"link:{os.readlink(directory)}")
        return digest.hexdigest() if links else _file_digest(directory)[0]
    digest = Digest("dir")
    tree = chart_tree(directory, within if within is not None else directory, tracked_only)
    looked: set[Path] = set()
    for file in tree.files:
        rel = file.relative_to(directory)
        digest.add(rel.as_posix())
        digest.add(_file_digest(file)[0])
        for depth in range(1, len(rel.parts) + 1) if links else ():
            path = directory.joinpath(*rel.parts[:depth])
            if path not in looked:
                looked.add(path)
                if path.is_symlink():
                    digest.add(f"{path.relative_to(directory).as_posix()} link:"
                               f"{os.readlink(path)}")
    _add_links(digest, tree, directory)
    return digest.hexdigest()


# What helm's chart loader reads as the chart (``loader.LoadFiles``): every other file is
# only data a template may read through ``.Files``
CHART_FILES = frozenset({"Chart.yaml", "Chart.lock", "values.yaml", "values.schema.json",
                         "requirements.yaml", "requirements.lock", ".helmignore"})
CHART_DIRECTORIES = ("templates/", "charts/", "crds/")
MAX_CHART_FILE = 5 * 1024 * 1024  # the loader refuses a bigger file (MaxDecompressedFileSize)
# how a template reaches the chart's other files (.Files, $.Files, index . "Files"): the
# word, not a part of one (readOnlyRootFilesystem)
FILES_WORD = re.compile(rb"(?<![A-Za-z0-9_])Files(?![A-Za-z0-9_])")


def chart_digest(directory: Path, within: Path | None = None) -> tuple[str, bool]:
    """A digest of what a render of the chart in ``directory`` reads, and whether that may
    be more: whether a template or values.yaml names ``Files`` (``.Files.Get``, ``tpl`` of
    such a value) or a subchart is an archive, whose templates are not looked into. The
    files helm loads as the chart (``CHART_FILES``, ``templates/``, ``charts/``, ``crds/``)
    count by their bytes, every other file by its path and whether helm's loader can take
    it (a regular file of at most 5 MiB), not by its bytes: a values file of another
    environment, a README. When the answer is True, only ``directory_digest`` (every byte)
    keys a render. Links are followed within ``within`` (default: the chart)."""
    digest = Digest("chart")
    reads_files = False
    tree = chart_tree(directory, within or directory, tracked_only=True)
    for file in tree.files:
        rel = file.relative_to(directory).as_posix()
        digest.add(rel)
        if rel in CHART_FILES or rel.startswith(CHART_DIRECTORIES):
            content, named = _file_digest(file, FILES_WORD)
            digest.add(content)
            if rel.startswith(("templates/", "charts/")) or rel == "values.yaml":
                reads_files = reads_files or named or rel.endswith(".tgz")
        else:
            digest.add(_loadable(file))
    _add_links(digest, tree, directory)
    return digest.hexdigest(), reads_files


def _add_links(digest: Digest, tree: ChartTree, directory: Path) -> None:
    """The links of ``tree`` that are not followed (out of it, or looping), by where they
    point."""
    for link in (*tree.outside, *tree.loops):
        digest.add(link.relative_to(directory).as_posix())
        digest.add(f"link:{os.readlink(link)}" if link.is_symlink() else "untracked")


def _loadable(file: Path) -> str:
    """What helm's loader makes of a file it keeps as data: a regular file of at most
    ``MAX_CHART_FILE`` bytes it reads; another kind or size, or one it cannot open, fails
    the load."""
    try:
        info = os.stat(file)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    if not stat.S_ISREG(info.st_mode):
        return f"special:{stat.S_IFMT(info.st_mode)}"
    if info.st_size > MAX_CHART_FILE:
        return "too-large"
    return "readable" if os.access(file, os.R_OK) else "unreadable"


def _file_digest(file: Path, word: re.Pattern[bytes] | None = None) -> tuple[str, bool]:
    """sha256 of a regular file's bytes, read in blocks, and whether ``word`` matches them;
    other kinds of file (a dangling link, a named pipe) count by their kind, never read."""
    try:
        handle = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return f"unreadable:{exc.errno}", False
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            return f"special:{stat.S_IFMT(mode)}", False
        content = hashlib.sha256()
        found, tail = False, b""
        while block := os.read(handle, 1 << 20):
            content.update(block)
            if word is not None and not found:
                found = word.search(tail + block) is not None  # across two blocks' edge too
                tail = block[-64:]
        return content.hexdigest(), found
    except OSError as exc:
        return f"unreadable:{exc.errno}", False
    finally:
        os.close(handle)


class RenderCache:
    """Helm results on disk under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> HelmResult | None:
        """The entry for ``key`` when it is a regular file whose content digest verifies;
        anything else is a miss (and is overwritten by the next ``put``)."""
        raw = read_regular(self._path(key), MAX_ENTRY)
        if raw is None:
            return None
        try:
            data: Any = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        code, out, err = data.get("exit_code"), data.get("stdout"), data.get("stderr")
        if not isinstance(code, int) or not isinstance(out, str) or not isinstance(err, str):
            return None
        result = HelmResult(code, out, err)
        if data.get("sha256") != _entry_digest(key, result):
            return None
        return result

    def put(self, key: str, result: HelmResult) -> None:
        path = self._path(key)
        payload = json.dumps({"key": key, "exit_code": result.exit_code,
                              "stdout": result.stdout, "stderr": result.stderr,
                              "sha256": _entry_digest(key, result)})
        write_atomic(path, payload)


def write_atomic(path: Path, payload: str) -> None:
    """Write a cache file whole or not at all (a reader never sees half an entry)."""
    import tempfile  # only a run that writes loads it

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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


MAX_ENTRY = 80 << 20  # bytes: two streams of helm output at their bound, JSON-escaped
MAX_MEMO = 16 << 20  # bytes of one group of remembered results


@functools.cache
def code_digest(files: tuple[str, ...], libraries: tuple[str, ...]) -> str | None:
    """What decides the results a ``ResultMemo`` keeps besides their inputs: Python, the
    versions of ``libraries`` and the bytes of platecheck's own source ``files`` (relative to
    the package), so a changed rule never answers from an old result. None when one of them
    cannot be read (nothing is then remembered)."""
    import sys

    here = Path(__file__).parent
    digest = Digest("code")
    try:
        digest.extend([sys.version, *(_library_version(name) for name in libraries),
                       *((here / name).read_bytes() for name in files)])
    except (OSError, ImportError, ValueError):
        return None
    return digest.hexdigest()


def json_copy(value: Any) -> tuple[str, Any] | None:
    """``value`` as JSON text and the copy JSON gives back, when that copy is exactly
    ``value``: plain mappings with string keys, lists, strings, integers, floats, booleans and
    nulls, each of the same type again. None for anything else (a timestamp, binary data, a
    set, NaN or infinity, a key that is not a string)."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    copy = json.loads(text)
    return (text, copy) if _same(copy, value) else None


def _same(left: Any, right: Any) -> bool:
    """Equal, and of the same types throughout (``1 == 1.0 == True`` for Python)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and \
            all(_same(value, right[key]) for key, value in left.items())
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


class ResultMemo:
    """Results of a pure computation kept on disk under ``directory``, one file per group of
    keys (what validating documents against one schema found, per document; the documents
    of one render's template outputs). A group's file is read whole the first time the group
    is asked for, and carries a sha256 of its content (the first line), checked on read: a
    file that does not verify is ignored. ``save`` writes back the groups given new results,
    atomically, with at most ``limit`` results each: the ones this run used last, so results
    nobody asks for again leave first; ``release`` does so for one group and forgets it, so
    that a run holds only the groups it still needs."""

    def __init__(self, directory: Path, limit: int | None = 4096, *,
                 hold: bool = True) -> None:
        # limit None: a group keeps what this run used and as many results again; hold
        # False: a result handed out is not held in memory (a group written again reads it
        # back from its file), for results each asked for once per run
        self.directory = directory
        self.limit = limit
        self.hold = hold
        self._groups: dict[str, dict[str, Any]] = {}
        self._used: dict[str, dict[str, None]] = {}  # in the order used
        self._changed: set[str] = set()

    def _path(self, group: str) -> Path:
        return self.directory / group[:2] / f"{group}.json"

    def load(self, group: str) -> dict[str, Any]:
        """The results of ``group``, read from disk the first time."""
        entries = self._groups.get(group)
        if entries is None:
            entries = self._groups[group] = self._read(group)
        return entries

    def get(self, group: str, key: str) -> Any | None:
        entries = self.load(group)
        found = entries.get(key) if self.hold else entries.pop(key, None)
        if found is not None:
            self._used.setdefault(group, {})[key] = None
        return found

    def put(self, group: str, key: str, value: Any) -> None:
        self.load(group)[key] = value
        self._used.setdefault(group, {})[key] = None
        self._changed.add(group)

    def _read(self, group: str) -> dict[str, Any]:
        raw = read_regular(self._path(group), MAX_MEMO)
        if raw is None:
            return {}
        digest, _, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != digest:
            return {}
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(data, dict) or data.get("group") != group or \
                not isinstance(data.get("results"), dict):
            return {}
        return dict(data["results"])

    def save(self) -> None:
        for group in sorted(self._changed):
            self._write(group)
        self._changed.clear()

    def release(self, group: str) -> None:
        """Done with ``group`` for this run: written now if it was given new results, and
        no longer held in memory."""
        if group in self._changed:
            self._write(group)
            self._changed.discard(group)
        self._groups.pop(group, None)
        self._used.pop(group, None)

    def _write(self, group: str) -> None:
        entries = self._groups[group]
        if not self.hold:  # what was handed out is in the file still
            entries = {**self._read(group), **entries}
        used = {key: None for key in self._used.get(group, {}) if key in entries}
        order = [key for key in entries if key not in used] + list(used)
        limit = self.limit if self.limit is not None else 2 * len(used)
        kept = {key: entries[key] for key in order[-limit:]} if limit else {}
        body = json.dumps({"group": group, "results": kept}, separators=(",", ":"))
        write_atomic(self._path(group), hashlib.sha256(body.encode()).hexdigest() + "\n" + body)


def _entry_digest(key: str, result: HelmResult) -> str:
    """sha256 over an entry's content: a truncated or altered entry does not verify."""
    digest = Digest("entry")
    digest.extend((key, str(result.exit_code), result.stdout, result.stderr))
    return digest.hexdigest()


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (never a link, pipe or device) of at
    most ``limit`` bytes, marked used (see ``prune_unused``)."""
    return read_regular_file(path, limit, lambda handle, info: _mark_used(handle,
                                                                          info.st_mtime))


# -- removing what no run uses ------------------------------------------------------------

UNUSED_DAYS = 30  # an entry no run has read for this many days is removed
_DAY = 24 * 60 * 60
# the directories of the cache root whose entries are removed when unused (not helm, which
# ``platecheck setup`` installs, nor runs, which keep a number of the latest)
PRUNED = ("renders", "parsed", "problems", "crd-schemas", "documents", "schemas-checked")
_PRUNE_STAMP = ".pruned"


def _mark_used(handle: int, mtime: float) -> None:
    """An entry read is one a run uses: a modification time older than a day is set to now
    (at most one write a day per entry), so that ``prune_unused`` keeps it."""
    if time.time() - mtime > _DAY and os.utime in os.supports_fd:
        try:
            os.utime(handle)
        except OSError:
            pass  # a cache that cannot be written only costs time


def prune_unused(root: Path, days: int = UNUSED_DAYS) -> int:
    """Remove the entries under ``root``'s ``PRUNED`` directories that no run has read or
    written for ``days`` days; done at most once a day per cache root (a stamp file records
    when). The number of files removed."""
    now = time.time()
    stamp = root / _PRUNE_STAMP
    try:
        if now - stamp.stat().st_mtime < _DAY:
            return 0
    except OSError:
        pass  # never pruned, or no stamp: prune now
    try:  # stamped first: a cache that cannot be written is not walked on every run
        stamp.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp.touch()  # sets the time of one that is there too
    except OSError:
        return 0
    removed = 0
    for name in PRUNED:
        for current, _, files in walk(root / name):
            for file in files:
                path = os.path.join(current, file)
                try:
                    info = os.lstat(path)
                    if now - info.st_mtime > days * _DAY:
                        os.unlink(path)
                        removed += 1
                except OSError:
                    continue
    return removed
