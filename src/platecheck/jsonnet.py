"""Jsonnet files of a directory source, evaluated with the Go implementation (``gojsonnet``)
as Argo CD evaluates them (argo-cd ``reposerver/repository/repository.go``, ``makeJsonnetVM``):

- ``directory.jsonnet.tlas`` and ``extVars`` (``code: true`` for Jsonnet code), their values
  substituted with the build environment (argocd_env.py);
- imports searched next to the importing file, then in the source directory, then in each
  of ``directory.jsonnet.libs`` (relative to the repository root);
- the result is one object or a list of objects.

Unlike Argo CD, an import may not leave the repository: the checked repository is untrusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck.argocd_env import envsubst
from platecheck.errors import PlatecheckError
from platecheck.manifests import ManifestDocument, rel_path
from platecheck.model import RenderTarget
from platecheck.yamlio import Document, read_text

_TRACE = re.compile(r"^\s*(?P<file>[^\s:]+):(?P<line>\d+):\d+")


def evaluate(path: Path, root: Path, target: RenderTarget
             ) -> tuple[list[ManifestDocument], str, str]:
    """The objects a ``.jsonnet`` file evaluates to, the file's text and the output."""
    rel = rel_path(path, root)
    _, text = read_text(path, rel)
    try:
        import _gojsonnet
    except ImportError:
        raise PlatecheckError("Jsonnet needs the gojsonnet package (pip install gojsonnet)",
                              rel) from None
    options = _options(target.source_spec)
    source_dir = target.source_dir or path.parent
    search = [source_dir, *(_library(root, lib, target) for lib in options["libs"])]
    variables: dict[str, dict[str, str]] = {"tla_vars": {}, "tla_codes": {}, "ext_vars": {},
                                            "ext_codes": {}}
    for key, kind in (("tlas", "tla"), ("extVars", "ext")):
        for item in options[key]:
            plain = "codes" if item.get("code") is True else "vars"
            variables[f"{kind}_{plain}"][str(item.get("name", ""))] = envsubst(
                str(item.get("value", "")), target.build_env)

    refused: list[str] = []

    def importer(directory: str, name: str) -> tuple[str, bytes]:
        # An exception raised here reaches the binding's error text garbled: a refused
        # import is a Jsonnet ``error`` instead, and the reason is kept here.
        for base in (Path(directory), *search):
            candidate = (base / name).resolve()
            if candidate.is_file():
                if candidate.is_relative_to(root.resolve()):
                    return str(candidate), candidate.read_bytes()
                refused.append(f"import {name!r} leaves the repository")
                break
        else:
            refused.append(f"import {name!r} not found")
        return f"<refused {len(refused)}>", f"error {json.dumps(refused[-1])}".encode()

    try:
        output = _gojsonnet.evaluate_file(str(path), import_callback=importer, **variables)
    except (RuntimeError, UnicodeDecodeError) as exc:
        message = str(exc) if isinstance(exc, RuntimeError) else ""
        file, line = _where(message, root, rel)
        first = message.strip().splitlines()[0] if message.strip() else "evaluation failed"
        reason = refused[-1] if refused else first
        raise PlatecheckError(f"Jsonnet evaluation failed: {reason}", file, line) from None
    data = json.loads(output)
    objects = data if isinstance(data, list) else [data]
    for item in objects:
        if not isinstance(item, dict):
            raise PlatecheckError("Jsonnet must evaluate to an object or a list of objects",
                                  rel)
    return [ManifestDocument(rel, Document(item, {}, 1)) for item in objects], text, output


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
    path = (root / str(lib).lstrip("/")).resolve()
    if not path.is_relative_to(root.resolve()):
        app = target.application
        raise PlatecheckError(f"jsonnet lib {lib!r} leaves the repository",
                              app.file if app else None, app.line if app else None)
    return path


def _where(message: str, root: Path, rel: str) -> tuple[str, int | None]:
    """The first file of this repository in Jsonnet's stack trace."""
    for line in message.splitlines()[1:]:
        match = _TRACE.match(line)
        if match is None:
            continue
        path = Path(match["file"])
        path = path if path.is_absolute() else Path.cwd() / path
        if path.resolve().is_relative_to(root.resolve()):
            return rel_path(path.resolve(), root.resolve()), int(match["line"])
    return rel, None

