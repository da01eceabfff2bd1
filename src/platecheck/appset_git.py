"""An ApplicationSet's ``git`` generators of this repository (``appset_generators``), without
``goTemplate`` or with a Go template platecheck reads (``appset.template_language``): the
parameter sets Argo CD's git generator makes of the working tree (argo-cd
``applicationset/generators/git.go``), each filling the template as a list element does
(``appset``).

``directories``: every directory of the repository (not ``.``, no hidden one, no symbolic link:
the repo-server's ``GetGitDirectories`` walk) that some entry's ``path`` matches (Go's
``path.Match``) and no ``exclude: true`` entry matches gives ``path``, ``path[N]`` (each
non-empty segment), ``path.basename`` and ``path.basenameNormalized`` (``utils.SanitizeName``).
``files``: every file matching an entry's ``path`` as ``git ls-files`` matches a pathspec
(normalized, compared literally, then as a pattern whose ``*`` crosses ``/``), none an
``exclude: true`` entry matches, in sorted order; its first document as sigs.k8s.io/yaml's
``Unmarshal`` reads it (``.json`` too: one object, or a list of them, one parameter set each)
flattened with dots (``flatten.DotStyle``) and written as Go's ``%v`` writes each value, with
the ``path`` parameters of its directory and ``path.filename``, ``path.filenameNormalized``.
``pathParamPrefix`` prefixes the ``path`` ones; the generator's ``values`` are templated with
the parameters and added as ``values.<key>``. With ``goTemplate`` the parameters are Argo CD's
Go ones (``_go_params``): a file's object as it is, ``path`` a map. The working tree is read
(its files tracked or not), as platecheck reads it for an Application's ``targetRevision``. What
cannot be read exactly (a ``selector``, a pathspec with magic or a file that is a link, an
infinite number in a file) leaves the set
unexpanded; so does finding no directory or file (a placeholder an overlay patches in). The
directories and files of the working tree are taken tracked or not (an untracked or ignored one
Argo CD's clone has not, an empty directory).
"""

from __future__ import annotations

import fnmatch
import functools
import math
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platecheck.appset import Language, _fill
from platecheck.errors import PlatecheckError
from platecheck.globs import go_match
from platecheck.lazymodule import LazyModule
from platecheck.model import Origin
from platecheck.runmemo import recall
from platecheck.walk import walk
from platecheck.yamlio import decode, first_document, read_bytes

if TYPE_CHECKING:
    from platecheck import gofuncs, gotemplate
else:
    gofuncs = LazyModule("platecheck.gofuncs")
    gotemplate = LazyModule("platecheck.gotemplate")

_GIT_KEYS = frozenset(("repoURL", "revision", "directories", "files", "pathParamPrefix",
                       "values", "requeueAfterSeconds", "template"))


class _Inexact(Exception):
    """Something platecheck cannot read as Argo CD does: the set stays unexpanded."""


class _ValueFailed(Exception):
    """A Go template of the generator's ``values`` whose execution fails: its key and why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(key)
        self.key, self.message = key, message


def readable_git(git: Any) -> bool:
    """Whether platecheck reads the options of a ``git`` generator: of ``directories`` or
    of ``files``, not both, each entry a ``path`` (and ``exclude``); ``values`` strings; no
    other option but ``revision``, ``pathParamPrefix``, ``requeueAfterSeconds`` and its own
    ``template`` (``appset_generators`` merges it, or a matrix leaves it unused)."""
    if not isinstance(git, Mapping) or set(git) - _GIT_KEYS \
            or not isinstance(git.get("repoURL"), str):
        return False
    values, prefix = git.get("values") or {}, git.get("pathParamPrefix") or ""
    if not isinstance(values, Mapping) or not all(
            isinstance(v, str) for v in values.values()) or not isinstance(prefix, str):
        return False
    kinds = [key for key in ("directories", "files") if git.get(key)]
    return len(kinds) == 1 and _entries(git[kinds[0]])


def _entries(entries: Any) -> bool:
    return isinstance(entries, list) and all(
        isinstance(e, Mapping) and isinstance(e.get("path"), str) and set(e) <= {"path",
                                                                                 "exclude"}
        and isinstance(e.get("exclude", False), bool) for e in entries)


# a parameter set: its parameters, the index of the entry that chose its directory or file,
# and where a file's keys (dotted, ``a.b``) are written in it
GitParams = tuple[dict[str, Any], int, dict[str, Origin]]


def git_params(git: Mapping[str, Any], root: Path,
               language: Language = Language.FASTTEMPLATE) -> list[GitParams] | None:
    """The parameter sets of the git generator ``git`` over the working tree at ``root``,
    each with the index of the entry that chose its directory or file, and where a file's
    keys are written (for a Go template: ``_go_params``); None when one cannot be read
    exactly. A file Argo CD cannot parse is a PlatecheckError: the set generates nothing."""
    if language is not Language.FASTTEMPLATE:
        return _go_params(git, root, language.value)
    prefix = f"{git['pathParamPrefix']}." if git.get("pathParamPrefix") else ""
    try:
        if git.get("directories"):
            made: list[GitParams] = [(_path_params(d, prefix), entry, {})
                                     for d, entry in _directories(git["directories"], root)]
        else:
            made = [({**_flat(item), **_path_params(os.path.dirname(f) or ".", prefix),
                      f"{prefix}path.filename": os.path.basename(f),
                      f"{prefix}path.filenameNormalized":
                          gofuncs.sanitize_name(os.path.basename(f))},
                     entry, places) for f, entry in _files(git["files"], root)
                    for item, places in _file_items(f, root)]
    except _Inexact:
        return None
    values = git.get("values") or {}
    # each value templated with the parameters alone, then added (appendTemplatedValues)
    return [({**params, **{f"values.{k}": _fill(v, params, ()) for k, v in values.items()}},
             entry, places) for params, entry, places in made]


def _go_params(git: Mapping[str, Any], root: Path, missing_key: str
               ) -> list[GitParams] | None:
    """``git_params`` for a Go template (argo-cd ``git.go`` with ``useGoTemplate``): a
    directory's ``path`` a map of ``path``, ``basename``, ``basenameNormalized`` and
    ``segments`` (under ``pathParamPrefix``'s ``path`` with one); a file's object as it is,
    with the ``path`` map of its directory and ``filename``, ``filenameNormalized`` (None when
    it holds what JSON does not: an infinite number); the ``values`` executed over each set
    and added as the ``values`` map. A value whose execution fails is ``_ValueFailed``: the
    set generates nothing."""
    prefix = git.get("pathParamPrefix") or ""

    def with_path(params: dict[str, Any], path: dict[str, Any]) -> dict[str, Any]:
        return {**params, **({prefix: {"path": path}} if prefix else {"path": path})}
    try:
        if git.get("directories"):
            made: list[GitParams] = [(with_path({}, _go_path(d)), entry, {})
                                     for d, entry in _directories(git["directories"], root)]
        else:
            made = [(with_path(dict(item), {
                **_go_path(os.path.dirname(f) or "."), "filename": os.path.basename(f),
                "filenameNormalized": gofuncs.sanitize_name(os.path.basename(f))}), entry,
                places)
                for f, entry in _files(git["files"], root)
                for item, places in _file_items(f, root)]
    except _Inexact:
        return None
    if not gotemplate.json_like([params for params, _, _ in made]):
        return None  # (what JSON does not hold: an infinite number, a key of no string)
    values: Mapping[str, str] = git.get("values") or {}
    try:
        for params, _, _ in made:
            if values:  # (each executed over the parameters alone: appendTemplatedValues)
                params["values"] = gotemplate.StringMap({
                    k: _go_value(k, v, params, missing_key) for k, v in values.items()})
    except _Inexact:
        return None
    return made


def _go_path(directory: str) -> dict[str, Any]:
    base = os.path.basename(directory) or directory
    return {"path": directory, "basename": base, "basenameNormalized": gofuncs.sanitize_name(base),
            "segments": directory.split("/")}


def _go_value(key: str, text: str, params: Mapping[str, Any], missing_key: str) -> str:
    """The value ``text`` executed over ``params`` (``git_generator`` parsed it); one not
    executed exactly leaves the set unexpanded (``_Inexact``)."""
    parsed = gotemplate.parse(text)
    if parsed is None:
        raise _Inexact
    try:
        return gotemplate.execute(parsed, params, missing_key)
    except gotemplate.ExecError as exc:
        raise _ValueFailed(key, f"executing {text!r} at {exc.message}") from None
    except gotemplate.Unsupported:
        raise _Inexact from None


def generator_reads(git: Mapping[str, Any], file: str) -> bool:
    """Whether a change of the repository's ``file`` (made, edited or gone) can change what
    the git generator ``git`` makes: an entry of ``files`` names it (``pathspec_names``), or
    an entry of ``directories`` matches a directory that holds it (a directory comes or
    goes with its files)."""
    entries = [e["path"] for e in git.get("files") or git.get("directories") or ()
               if not e.get("exclude")]
    if git.get("files"):
        try:
            return any(names(entry, file) for entry in entries)
        except _Inexact:
            return False  # (the set is not expanded)
    parents = file.split("/")[:-1]
    return any(go_match(entry, "/".join(parents[:n])) for entry in entries
               for n in range(1, len(parents) + 1))


def _path_params(directory: str, prefix: str) -> dict[str, str]:
    name = f"{prefix}path"
    base = os.path.basename(directory) or directory
    params = {name: directory, f"{name}.basename": base,
              f"{name}.basenameNormalized": gofuncs.sanitize_name(base)}
    params.update({f"{name}[{i}]": part for i, part in enumerate(directory.split("/")) if part})
    return params


def _walk(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Each directory below ``root`` (relative, ``/``-separated; ``.`` the root) with its
    files: no hidden directory and no symbolic link to one, as the repo-server walks."""
    for top, dirs, files in walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not os.path.islink(os.path.join(top, d)))
        rel = os.path.relpath(top, root).replace(os.sep, "/")
        yield rel, sorted(files)


def _directories(entries: list[Mapping[str, Any]], root: Path) -> list[tuple[str, int]]:
    """argo-cd ``filterApps``: a directory one entry matches and no excluding entry does,
    with the first entry that matches it."""
    found = []
    # (the tree is walked once a run, whatever the number of sets)
    for directory, _ in recall("git generator directories", root, lambda: list(_walk(root))):
        if directory == ".":
            continue
        hits = [(e.get("exclude", False), i) for i, e in enumerate(entries)
                if go_match(e["path"], directory)]  # (as written: "/apps/*" matches none)
        if hits and not any(excluded for excluded, _ in hits):
            found.append((directory, hits[0][1]))
    return found


def _files(entries: list[Mapping[str, Any]], root: Path) -> list[tuple[str, int]]:
    """The files ``git ls-files -- <path>`` lists for an entry (``*`` and ``?`` cross ``/``:
    fnmatch without FNM_PATHNAME), less those of the excluding entries, sorted. Hidden
    directories hold tracked files too: every file but those under ``.git`` is one."""
    every = recall("git generator files", root, lambda: [
        f"{d}/{f}" if d != "." else f for d, fs in _file_tree(root) for f in fs])
    chosen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        for file in [] if entry.get("exclude") else _listed(entry["path"], every, root):
            chosen.setdefault(file, index)
    for entry in entries:
        for file in _listed(entry["path"], every, root) if entry.get("exclude") else []:
            chosen.pop(file, None)
    return sorted(chosen.items())


def _listed(pattern: str, every: list[str], root: Path) -> list[str]:
    """The files of ``every`` one entry's path names (``names``)."""
    named = [f for f in every if names(pattern, f)]
    if any(os.path.islink(root / f) for f in named):
        raise _Inexact  # (a link, read where it leads, or refused out of the repository)
    if _new_globbing() and any(names(pattern, d) for d, _ in _file_tree(root)):
        raise _Inexact  # (Argo CD fails to read a directory the glob matches as a file)
    return named


_GLOBBING = "new git file globbing"  # (of the run: ``runmemo``)


def use_new_globbing(new: bool) -> None:
    """Read a git files generator's paths, in this run (``runmemo.remembered``), as the
    ApplicationSet controller does with ``applicationsetcontroller.enable.new.git.file.
    globbing`` (``new``: globs, ``Config.new_git_file_globbing``) or without (git
    pathspecs, also outside a run); said before any path is read."""
    recall(_GLOBBING, None, lambda: new)


def _new_globbing() -> bool:
    return recall(_GLOBBING, None, lambda: False)


def names(pattern: str, file: str) -> bool:
    """Whether a git files generator's entry ``pattern`` names the repository's ``file``
    (or directory): as a glob (``glob_names``) or a git pathspec (``pathspec_names``)."""
    return glob_names(pattern, file) if _new_globbing() else pathspec_names(pattern, file)


def glob_names(pattern: str, file: str) -> bool:
    """Whether the repo-server's new git file globbing names ``file`` (``LsFiles``:
    doublestar's ``FilepathGlob`` of the pattern joined to the checkout): ``*`` and ``?``
    within one name (a hidden one too), ``**`` as a whole name any number of directories;
    a class, an alternative or an escape is not read exactly."""
    return _doublestar(pattern).fullmatch(file) is not None


@functools.lru_cache(maxsize=256)
def _doublestar(pattern: str) -> re.Pattern[str]:
    clean = os.path.normpath("/" + pattern).lstrip("/")  # (filepath.Join cleans it)
    if any(char in clean for char in "[]{}\\") or os.path.normpath(pattern or ".").startswith(
            "../") or os.path.normpath(pattern or ".") == "..":
        raise _Inexact  # (a file out of the repository Argo CD leaves out)
    parts = clean.split("/") if clean else ["."]
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex = (regex[:-1] + "(?:/.*)?" if regex else ".*") if last \
                else regex + "(?:[^/]+/)*"
            continue
        word = "".join("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char)
                       for char in part)
        regex += word + ("" if last else "/")
    return re.compile(regex, re.DOTALL)


def pathspec_names(pattern: str, file: str) -> bool:
    """Whether the pathspec ``pattern`` (the repo-server's ``git ls-files -- <pattern>`` at
    the root, ``.`` for an empty one) names the repository's ``file``, as git's
    ``match_pathspec_item`` does: the pattern normalized (``_normalized``) is compared
    literally first (the path itself, or a directory holding it), then as a wildcard
    pattern."""
    spec = _normalized(pattern or ".")
    if spec == "" or file == spec or file.startswith(spec if spec.endswith("/")
                                                        else f"{spec}/"):
        return True
    return _wildcard(spec).match(file) is not None


@functools.lru_cache(maxsize=256)
def _wildcard(spec: str) -> re.Pattern[str]:
    # (wildmatch negates a class with ! or ^, fnmatch with ! alone)
    return re.compile(fnmatch.translate(spec.replace("[^", "[!")), re.DOTALL)


def _normalized(pattern: str) -> str:
    """git's ``normalize_path_copy_len`` of a pathspec: ``.`` segments and repeated ``/``
    dropped, a ``..`` segment taking the one before it away (a trailing ``/`` kept)."""
    if pattern.startswith((":", "/")) or "\\" in pattern:
        raise _Inexact  # magic, escapes, absolute paths
    kept: list[str] = []
    for part in pattern.split("/"):
        if part == "..":
            if not kept:
                raise _Inexact  # out of the checkout: git refuses the pathspec
            kept.pop()
        elif part not in ("", "."):
            kept.append(part)
    trailing = pattern.endswith(("/", "/.", "/..")) or pattern in (".", "..")
    return "/".join(kept) + ("/" if trailing and kept else "")


def _file_tree(root: Path) -> list[tuple[str, list[str]]]:
    """``_every_file`` of ``root``, walked once a run."""
    return recall("git generator file tree", root, lambda: list(_every_file(root)))


def _every_file(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Each directory's files, a symbolic link to a directory one too (git tracks the link)."""
    for top, dirs, files in walk(root):
        links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        dirs[:] = sorted(d for d in dirs if d != ".git" and d not in links)
        rel = os.path.relpath(top, root).replace(os.sep, "/")
        yield rel, sorted([*files, *links])


def _flat(item: dict[str, Any]) -> dict[str, str]:
    """``_flatten`` of one object; two of its keys that flatten alike (``a.b`` and ``a: {b:
    ...}``) are written in the order Go ranges over a map, which is random: not read
    exactly."""
    flat: dict[str, str] = {}
    for key, value in _flatten(item, ""):
        if key in flat:
            raise _Inexact
        flat[key] = value
    return flat


def _file_items(rel: str, root: Path) -> list[tuple[dict[str, Any], dict[str, Origin]]]:
    """The objects of one file as Argo CD decodes them (``generateParamsFromGitFile``): its
    object, or each of its list's (a null one of no keys); each with the line of each of its
    keys, dotted as parameters name them (``a.b``, ``a.0``)."""
    try:
        text = decode(read_bytes(root / rel, rel), rel)
    except PlatecheckError:
        raise _Inexact from None  # (too large, or no text)
    try:
        document = first_document(text, rel)  # (the first document alone: Unmarshal)
        data = document.data
    except PlatecheckError as exc:
        raise PlatecheckError(f"git generator file {rel} does not parse ({exc.message}); "
                              "Argo CD's git generator fails and the ApplicationSet creates no "
                              "Application", rel, exc.line) from None
    objects = [{}] if data is None else [data] if isinstance(data, dict) else data \
        if isinstance(data, list) and all(isinstance(i, dict) or i is None for i in data) \
        else None
    if objects is None:
        raise PlatecheckError(f"git generator file {rel} holds neither an object nor a list "
                              "of objects; Argo CD's git generator fails and the "
                              "ApplicationSet creates no Application", rel, 1)
    listed = isinstance(data, list)
    places: list[dict[str, Origin]] = [{} for _ in objects]
    for path, line in document.lines.items():
        index, keys = (path[0], path[1:]) if listed else (0, path)
        if keys and isinstance(index, int) and index < len(places):
            places[index][".".join(map(str, keys))] = Origin(rel, line)
    return [(item or {}, found) for item, found in zip(objects, places, strict=True)]


def _flatten(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """jeremywohl/flatten's DotStyle of a JSON value, each leaf as Go's ``%v`` (an empty map
    or list: no key at all)."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        name = f"{prefix}{key}"
        if isinstance(item, (dict, list)):
            yield from _flatten(item, f"{name}.")
        else:
            yield name, _go_v(item)


def _go_v(value: Any) -> str:
    """A JSON scalar (its numbers float64) as Go's ``fmt.Sprintf("%v")`` writes it
    (``gotemplate.go_v``); an infinite number or any other value is not read exactly."""
    if value is not None and not isinstance(value, (bool, str, int, float)) or (
            isinstance(value, (int, float)) and not math.isfinite(float(value))):
        raise _Inexact
    text: str = gotemplate.go_v(value)
    return text
