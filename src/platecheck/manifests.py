"""Directory sources: the manifest files Argo CD applies as they are.

https://argo-cd.readthedocs.io/en/stable/user-guide/directory/ and argo-cd
``reposerver/repository/repository.go`` (``findManifests``):

- files named ``*.yaml``, ``*.yml``, ``*.json`` or ``*.jsonnet``, directly in the source path,
  or in every directory below it with ``directory.recurse``, in lexical order;
- ``exclude`` then ``include``, each one glob (``{a,b}`` alternatives) matched on the path
  relative to the source, ``*`` crossing ``/``;
- a file containing ``+argocd:skip-file-rendering`` is left out;
- a ``.json`` file holds one object, read as Go's ``encoding/json`` reads it (``gojson``);
  YAML that does not parse is ignored unless it looks like a manifest (it mentions
  ``apiVersion:``, ``kind:`` and ``metadata:``), then it is an error;
- a symbolic link leading out of the repository is an error, and so is one that cannot be
  followed (a loop).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.globs import argocd_match
from platecheck.realpaths import resolve
from platecheck.yamlio import Document, json_document, kube_stream, read_text

MANIFEST_FILE = re.compile(r"^.*\.(yaml|yml|json|jsonnet)\Z")  # Go's $: the very end
SKIP_MARKER = "+argocd:skip-file-rendering"


@dataclass(frozen=True)
class DirectoryOptions:
    """``directory:`` of an Application source (its Jsonnet part is read by jsonnet.py)."""

    recurse: bool = False
    include: str = ""
    exclude: str = ""
    # every file is a manifest, whatever its name (.json read as JSON, others as YAML), left
    # to include/exclude to choose (Argo CD's disableExtensionFilter)
    any_extension: bool = False

    @classmethod
    def of(cls, source: Mapping[str, Any]) -> DirectoryOptions:
        options = source.get("directory")
        options = options if isinstance(options, dict) else {}
        return cls(recurse=options.get("recurse") is True,
                   include=_text(options.get("include")), exclude=_text(options.get("exclude")),
                   any_extension=options.get("disableExtensionFilter") is True)

    def chooses(self, relative: str) -> bool:
        """Whether include and exclude leave in the file at ``relative`` to the source."""
        return not (self.exclude and argocd_match(self.exclude, relative)) and not (
            self.include and not argocd_match(self.include, relative))


@dataclass(frozen=True)
class ManifestDocument:
    """One object of a manifest file, with the line of every key."""

    file: str  # repository-relative
    document: Document


def manifest_files(directory: Path, root: Path, options: DirectoryOptions) -> Iterator[Path]:
    """The files Argo CD reads from a directory source, in its order."""
    for path in _walk(directory, options.recurse):
        if not options.any_extension and not MANIFEST_FILE.match(path.name):
            continue
        relative = path.relative_to(directory).as_posix()
        if path.is_symlink():
            _followed(path, relative, root)
        if path.is_symlink() and not resolve(path).is_relative_to(resolve(root)):
            raise PlatecheckError(f"symbolic link {relative} leads out of the repository; "
                                  "Argo CD refuses it", rel_path(path, root))
        if not path.is_file():
            continue
        if options.chooses(relative):
            yield path


def _followed(link: Path, relative: str, root: Path) -> None:
    """Refuse a symbolic link that cannot be followed for another reason than a missing
    destination (a loop): Argo CD's ``filepath.EvalSymlinks`` of it fails, and so does the
    whole source (``getPotentiallyValidManifestFile``), before include and exclude."""
    try:
        os.stat(link)
    except FileNotFoundError:
        return  # a missing destination: Argo CD skips the file
    except OSError as exc:
        raise PlatecheckError(
            f"symbolic link {relative} cannot be followed ({exc.strerror}); Argo CD fails "
            "to evaluate it and renders nothing of the source", rel_path(link, root)) from None


def _walk(directory: Path, recurse: bool) -> Iterator[Path]:
    """The files under ``directory`` in Go's ``filepath.Walk`` order (Argo CD's
    ``findManifests``): each directory's names sorted, a subdirectory's files where its name
    sorts among them; a link to a directory is not entered."""
    def entries(path: str | Path) -> Iterator[os.DirEntry[str]]:
        try:
            return iter(sorted(os.scandir(path), key=lambda entry: entry.name))
        except OSError:
            return iter(())

    # (a stack, not recursion: a tree may be deeper than Python's recursion limit)
    stack = [entries(directory)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
        elif entry.is_dir(follow_symlinks=False):
            if recurse:
                stack.append(entries(entry.path))
        else:
            yield Path(entry.path)


def read_manifests(path: Path, root: Path) -> tuple[list[ManifestDocument], str]:
    """The objects of one YAML or JSON manifest file and its text (empty for a skipped
    file). Jsonnet files are evaluated elsewhere."""
    rel = rel_path(path, root)
    _, text = read_text(path, rel, lenient=True)  # (as Argo CD reads a directory's files)
    if SKIP_MARKER in text:
        return [], ""
    if path.name.endswith(".json"):
        return [ManifestDocument(rel, json_document(text, rel))], text
    looks_like_one = all(word in text for word in ("apiVersion:", "kind:", "metadata:"))
    read, error = kube_stream(text, rel)  # as Kubernetes' decoder reads it
    documents = [doc for doc in read if doc.data is not None]
    if error is not None:
        if looks_like_one or any(has_kind(doc.data) for doc in documents):
            raise error  # objects before the error, or a file that looks like a manifest
        return [], ""  # not a manifest: Argo CD ignores YAML it cannot read
    if documents and not has_kind(documents[0].data) and not looks_like_one:
        # Argo CD decodes objects until one fails; failing on the first (no kind: a JSON
        # dashboard, a config file), it ignores the file (reposerver getObjsFromYAMLOrJSON)
        return [], ""
    for document in documents:  # failing on a later one, or on a file that looks like a
        if isinstance(document.data, dict) and not has_kind(document.data):  # manifest,
            raise PlatecheckError(  # the whole source fails to render
                "a document without a kind: Kubernetes cannot decode it, so Argo CD fails "
                "this file and renders nothing of the source", rel, document.line)
    return [ManifestDocument(rel, doc) for doc in documents], text


def has_kind(data: Any) -> bool:
    """Whether Kubernetes' decoder reads ``data`` as an object: a mapping with a kind."""
    return isinstance(data, dict) and isinstance(data.get("kind"), str) and bool(data["kind"])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def rel_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with POSIX separators (as given when outside it)."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
