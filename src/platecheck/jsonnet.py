"""Jsonnet files of a directory source, evaluated with the Go implementation (``gojsonnet``)
as Argo CD evaluates them (argo-cd ``reposerver/repository/repository.go``, ``makeJsonnetVM``):

- ``directory.jsonnet.tlas`` and ``extVars`` (``code: true`` for Jsonnet code), their values
  substituted with the build environment (argocd_env.py), once more for each file of the
  source (Argo CD substitutes them in place);
- imports searched next to the importing file (next to the symbolic link it was imported
  through: a link is never resolved), then in ``directory.jsonnet.libs`` (relative to the
  repository root) from the last to the first, then in the source directory (go-jsonnet
  ``FileImporter`` over Argo CD's search paths ``[source, libs...]``, tried backwards);
- a file holding ``+argocd:skip-file-rendering`` is not evaluated;
- the result is one object or a list of objects; a ``null`` (alone or in the list) is no
  object, as Argo CD skips it.

Each file is evaluated in a child process confined and bounded as helm is (sandbox.py: no
network where the machine allows it, stopped at the render timeout, output bounded).

Unlike Argo CD, an import may not leave the repository: the checked repository is untrusted.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck.argocd_env import envsubst
from platecheck.errors import PlatecheckError
from platecheck.limits import go_crash
from platecheck.manifests import SKIP_MARKER, ManifestDocument, has_kind, rel_path
from platecheck.model import KeyPath, MergedValues, Origin, RenderTarget
from platecheck.sandbox import run_bounded, scratch
from platecheck.yamlio import Document, read_text

# where go-jsonnet puts an error or a frame of its trace, after the file's name:
# ``:<line>:<column>``, or ``:(<line>:<column>)-(...)`` for a range of several lines
_PLACE = r":(?:(?P<line>\d+):\d+|\((?P<first>\d+):\d+\))"
_ERROR = re.compile(r"^[A-Z ]*ERROR: ")


def evaluate(path: Path, root: Path, target: RenderTarget, timeout: float = 120.0,
             place: int = 1) -> tuple[list[ManifestDocument], str, str, list[tuple[str, str]]]:
    """The objects a ``.jsonnet`` file evaluates to, the file's text, the output and the
    files it imported (repository path, text; those of at most ``MAX_IMPORT_TEXT`` bytes).

    ``place``: the file's among the source's ``.jsonnet`` files Argo CD evaluates (in its
    walk's order, those holding the skip marker left out). Argo CD substitutes the build
    environment into the source's ``tlas`` and ``extVars`` in place, once for each file
    (``makeJsonnetVM`` assigns to the elements of the slices the request holds): the second
    file's values are substituted twice, so ``$$`` there is a ``$`` a second pass expands.

    Jsonnet runs in a child process, stopped after ``timeout`` seconds: a program that never
    ends or eats memory stops there, not platecheck."""
    rel = rel_path(path, root)
    _, text = read_text(path, rel)
    if SKIP_MARKER in text:  # Argo CD reads it, finds the marker, leaves it out
        return [], "", "", []
    options = _options(target.source_spec)
    source_dir = target.source_dir or path.parent
    search = [source_dir, *(_library(root, lib, target) for lib in options["libs"])]
    request = {"file": str(path), "root": str(root.resolve()),
               "search": [str(p) for p in search],
               "variables": _variables(options, target.build_env, place)}
    with scratch("jsonnet-") as workdir:
        asked = workdir / "request.json"
        asked.write_text(json.dumps(request), encoding="utf-8")
        try:
            completed = run_bounded(
                [sys.executable, "-m", "platecheck.jsonnet", str(asked)], cwd=workdir,
                timeout=timeout, env={"PATH": os.environ.get("PATH", os.defpath),
                                      "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
        except PlatecheckError as exc:
            raise PlatecheckError(f"Jsonnet evaluation: {exc.message}", rel) from None
    try:
        answer = json.loads(completed.stdout.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        lines = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        # the evaluator crashed: Go's own fatal error, not the last line of its stack dump
        answer = {"error": go_crash(lines) or (lines or ["it stopped"])[-1]}
    if "output" not in answer:
        message = str(answer.get("error", ""))
        files = [str(path), *answer.get("files", [])]
        called = _top_level(message, target)
        file, line = called or _where(message, root, rel, files)
        first = message.strip().splitlines()[0] if message.strip() else "evaluation failed"
        refused = answer.get("refused") or []
        reason = _relative(refused[-1] if refused else first, root)
        # (at the Application's tla: which of the directory's files refused it, as Argo CD's
        # "Failed to evaluate jsonnet %q" names it)
        evaluated = f" of {rel}" if called is not None else ""
        raise PlatecheckError(f"Jsonnet evaluation{evaluated} failed: {reason}", file, line)
    output = str(answer["output"])
    base = root.resolve()
    imports = [(Path(name).relative_to(base).as_posix(), str(imported))
               for name, imported in answer.get("imports", [])]
    return ([ManifestDocument(rel, Document(item, {}, 1)) for item in _objects(output, rel)],
            text, output, imports)


def _objects(output: str, rel: str) -> list[dict[str, Any]]:
    """The objects of a Jsonnet file's output, as Argo CD takes them."""
    data = json.loads(output)
    # a null, alone or in the list, is no object: Argo CD reads it as a nil one and skips it
    objects = [] if data is None else [item for item in data if item is not None] \
        if isinstance(data, list) else [data]
    for number, item in enumerate(objects, 1):
        if not isinstance(item, dict):
            raise PlatecheckError("Jsonnet must evaluate to an object or a list of objects",
                                  rel)
        if not has_kind(item):  # Argo CD's unmarshalling into Kubernetes objects fails
            raise PlatecheckError(
                f"object {number} of the Jsonnet output has no kind: Kubernetes cannot decode "
                "it, so Argo CD fails this file and renders nothing of the source", rel)
    return objects


MAX_IMPORT_TEXT = 1 << 20  # an imported file's text kept to point at its lines, at most


def _evaluate_here(request: Mapping[str, Any]) -> dict[str, Any]:
    """The child's side: one evaluation, imports kept inside the repository."""
    try:
        import _gojsonnet
    except ImportError:
        return {"error": "Jsonnet needs the gojsonnet package (pip install gojsonnet)"}
    root = Path(request["root"])
    search = [Path(p) for p in request["search"]]
    refused: list[str] = []
    imports: dict[str, str] = {}  # path -> text, of the files read
    files: list[str] = []  # the names Jsonnet knows the files read by

    def importer(directory: str, name: str) -> tuple[str, bytes]:
        # An exception raised here reaches the binding's error text garbled: a refused
        # import is a Jsonnet ``error`` instead, and the reason is kept here.
        # go-jsonnet's FileImporter: the importing file's directory, then its search paths
        # from the last to the first (the libraries, the last one first, then the source)
        for base in (Path(directory), *reversed(search)):
            # found at the joined path, cleaned but never resolved: a file imported through
            # a symbolic link imports next to the link, as FileImporter's do; only the file
            # read is resolved, to keep it in the repository
            found = os.path.normpath(base / name)
            candidate = Path(found).resolve()
            if candidate.is_file():
                if not candidate.is_relative_to(root):
                    refused.append(f"import {name!r} leaves the repository")
                elif ".git" in candidate.relative_to(root).parts:
                    refused.append(f"import {name!r} reads the repository's .git")
                else:
                    data = candidate.read_bytes()
                    if len(data) <= MAX_IMPORT_TEXT:
                        imports[str(candidate)] = data.decode("utf-8", "replace")
                    files.append(found)
                    return found, data
                break
        else:
            refused.append(f"import {name!r} not found")
        return f"<refused {len(refused)}>", f"error {json.dumps(refused[-1])}".encode()

    try:
        output = _gojsonnet.evaluate_file(request["file"], import_callback=importer,
                                          **request["variables"])
    except (RuntimeError, UnicodeDecodeError) as exc:
        return {"error": str(exc) if isinstance(exc, RuntimeError) else "",
                "refused": refused, "files": files}
    if refused:  # an importstr or importbin took the refusal's text as the file's content
        return {"error": "", "refused": refused, "files": files}
    return {"output": output, "imports": sorted(imports.items())}


def _variables(options: Mapping[str, list[Any]], env: Mapping[str, str], passes: int
               ) -> dict[str, dict[str, str]]:
    """The ``tlas`` and ``extVars`` as the binding takes them, each value substituted with
    the build environment ``passes`` times."""
    variables: dict[str, dict[str, str]] = {"tla_vars": {}, "tla_codes": {}, "ext_vars": {},
                                            "ext_codes": {}}
    for key, kind in (("tlas", "tla"), ("extVars", "ext")):
        for item in options[key]:
            plain = "codes" if item.get("code") is True else "vars"
            value = str(item.get("value", ""))
            for _ in range(passes):
                value = envsubst(value, env)
            variables[f"{kind}_{plain}"][str(item.get("name", ""))] = value
    return variables


def variable_values(target: RenderTarget) -> MergedValues:
    """The source's ``tlas`` and ``extVars`` as values (``tlas.<name>``, ``extVars.<name>``,
    each substituted with the build environment), each at its ``value`` line in the
    Application: what a finding about a value one of them gives (an image tag a tla passes)
    points at."""
    options = _options(target.source_spec)
    app = target.application
    jsonnet = _jsonnet_key(target)
    data: dict[str, dict[str, str]] = {}
    origins: dict[KeyPath, Origin] = {}
    for key in ("tlas", "extVars"):
        for index, item in enumerate(options[key]):
            if not isinstance(item, dict):
                continue
            name = str(item.get("name", ""))
            data.setdefault(key, {})[name] = envsubst(str(item.get("value", "")),
                                                      target.build_env)
            written: KeyPath = (*jsonnet, key, index, "value") if jsonnet is not None else ()
            if app is not None and written in app.lines:
                origins[(key, name)] = app.origin(written)
    return MergedValues(data, origins)


def _jsonnet_key(target: RenderTarget) -> KeyPath | None:
    """The key path of the ``jsonnet`` options of the target's source in its Application;
    None when it writes none."""
    from platecheck.discover import raw_at  # the evaluating child needs none of it

    app = target.application
    directory = target.source_spec.get("directory")
    return next((path for path in app.lines if path[-1:] == ("jsonnet",)
                 and raw_at(app.raw, path[:-1]) == directory), None) if app else None


def _options(source: Mapping[str, Any]) -> dict[str, list[Any]]:
    directory = source.get("directory")
    jsonnet = directory.get("jsonnet") if isinstance(directory, dict) else None
    jsonnet = jsonnet if isinstance(jsonnet, dict) else {}
    result: dict[str, list[Any]] = {}
    for key in ("tlas", "extVars", "libs"):
        value = jsonnet.get(key)
        result[key] = [v for v in value if isinstance(v, (dict, str))] \
            if isinstance(value, list) else []
    return result


def _library(root: Path, lib: Any, target: RenderTarget) -> Path:
    """A ``jsonnet.libs`` entry's directory; one leaving the repository is an error at the
    entry (at the Application when it cannot be found)."""
    path = (root / str(lib).lstrip("/")).resolve()
    if not path.is_relative_to(root.resolve()):
        from platecheck.discover import raw_at  # the evaluating child needs none of it

        app = target.application
        entry = next((key for key in app.lines if key[-3:-1] == ("jsonnet", "libs")
                      and isinstance(key[-1], int) and _nth(raw_at(app.raw, key[:-2]).get(
                          "libs"), key[-1]) == lib), None) if app else None
        where = app.origin(entry) if app and entry else None
        raise PlatecheckError(f"jsonnet lib {lib!r} leaves the repository",
                              where.file if where else app.file if app else None,
                              where.line if where else app.line if app else None)
    return path


def _nth(items: Any, index: int) -> Any:
    return items[index] if isinstance(items, list) and 0 <= index < len(items) else None


# a top-level function's call failing on the Application's tlas: one it does not take, or
# a parameter no tla gives
_TOP_LEVEL = re.compile(r"function has no parameter (\S+)|Missing argument: (\S+)")


def _top_level(message: str, target: RenderTarget) -> tuple[str, int | None] | None:
    """The Application's line to fix when Jsonnet fails to call the file's top-level
    function with its ``tlas``: the tla it does not take, else the ``jsonnet`` key the
    missing one belongs under; None for any other failure."""
    match = _TOP_LEVEL.search(message)
    app = target.application
    if match is None or "Top-level function call" not in message or app is None:
        return None
    tlas = _options(target.source_spec)["tlas"]
    wanted = next((index for index, tla in enumerate(tlas)
                   if isinstance(tla, dict) and tla.get("name") == match.group(1)), None)
    jsonnet = _jsonnet_key(target)
    path = jsonnet if jsonnet is None or wanted is None else (*jsonnet, "tlas", wanted)
    if path is not None and path in app.lines:
        origin = app.origin(path)
        return origin.file, origin.line
    return app.file, app.line


def _relative(message: str, root: Path) -> str:
    """``message`` with the repository's files named by their paths in it, as findings name
    them: go-jsonnet names a file by the path it was imported by, absolute here."""
    for base in dict.fromkeys((str(root.resolve()), str(root))):
        message = message.replace(base + os.sep, "")
    return message


def _where(message: str, root: Path, rel: str, files: list[str]) -> tuple[str, int | None]:
    """Where the error is (``[RUNTIME ERROR: ]<file>:<line>:<column> ...``: a file that does
    not lex), else the first file of this repository in Jsonnet's stack trace. A place's file
    is one of ``files``, the names Jsonnet knows the files it read by, matched whole (a name
    may hold a space); ``<std>``, ``<extvar:...>`` and ``<top-level-arg:...>`` are none."""
    lines = message.splitlines()
    if lines:
        lines[0] = _ERROR.sub("", lines[0], count=1)
    names = sorted(set(files), key=len, reverse=True)  # a name is never taken for a shorter one
    for text in (line.lstrip() for line in lines):
        for name in names:
            match = re.match(re.escape(name) + _PLACE, text)
            if match is not None and (path := Path(name).resolve()).is_relative_to(
                    root.resolve()):
                return rel_path(path, root.resolve()), int(match["line"] or match["first"])
    return rel, None



if __name__ == "__main__":
    sys.stdout.write(json.dumps(_evaluate_here(json.loads(Path(sys.argv[1]).read_text(
        encoding="utf-8")))))
