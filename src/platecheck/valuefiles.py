"""Where ``helm.valueFiles`` entries and ``fileParameters`` paths lead, as Argo CD resolves them.

Argo CD's ``getResolvedValueFiles``, ``getResolvedRefValueFile`` and
``resolveReferencedSources`` (reposerver/repository/repository.go) with
``ResolveValueFilePathOrUrl`` (util/io/path/resolved.go):

- ``$ref/path`` (multi-source Applications only) is read from the root of the source whose
  ``ref`` is ``ref``, then env-substituted; every Git source is this repository;
- any other entry is env-substituted first; a URL is not read (platecheck is offline); a
  relative path is joined to the source's path as written (a link to the chart directory
  is not followed first: ``filepath.Join`` of the application path), a leading ``/`` to
  the repository root; symbolic links of the result are followed; it must stay inside the
  repository;
- a glob (``*``, ``?``, ``[``; ``**`` recursive, ``{a,b}`` alternatives) expands as the
  doublestar library's ``FilepathGlob`` does (``globs.filepath_glob``: each directory's
  entries by name, a directory's own files before those of its subdirectories under
  ``**``), a file listed explicitly elsewhere keeping its explicit place, each file once
  (Argo CD 3.4+); a directory it matches is an error, as helm's;
- a missing file is dropped with ``ignoreMissingValueFiles``, else an error.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from platecheck.argocd_env import envsubst
from platecheck.errors import PlatecheckError
from platecheck.globs import filepath_glob
from platecheck.model import Origin, Source
from platecheck.realpaths import resolve
from platecheck.submodules import REMEDY, held_message, holding_file

_GLOB = re.compile(r"[*?\[]")


def written_dir(root: Path, path: str | None) -> Path:
    """The directory of a source ``path`` under ``root`` as written: ``..`` taken away
    lexically, links not followed (Argo CD's application path)."""
    return Path(os.path.normpath(root / (path or "").strip().lstrip("/")))


@dataclass(frozen=True)
class Resolver:
    """Resolves the paths of one Helm source."""

    root: Path  # the repository root (resolved)
    # the source's directory as the Application writes it, under ``root``: a relative entry
    # is joined to it before any link is followed, as Argo CD joins it to the app path
    base: Path
    refs: Mapping[str, Source] | None  # ``ref`` sources; None for a single-source Application
    env: Mapping[str, str]  # the ARGOCD_APP_* variables

    def value_files(self, entries: Sequence[str], places: Sequence[Origin],
                    ignore_missing: bool) -> list[Path]:
        """The value files helm reads, in order (each once); errors name where each entry
        was written (``places``, in the same order)."""
        resolved = [self._attempt(entry) for entry in entries]  # each entry once
        explicit = {path for path in resolved
                    if isinstance(path, Path) and not is_glob(str(path))}
        result: list[Path] = []
        for entry, place, path in zip(entries, places, resolved, strict=True):
            file, line = place.file, place.line
            if isinstance(path, PlatecheckError):
                raise PlatecheckError(path.message, file, line) from None
            if is_glob(str(path)):
                matches = self.glob(entry, path, file, line)
                if not matches and not ignore_missing:
                    raise PlatecheckError(no_match(entry), file, line)
                result.extend(m for m in matches if m not in explicit and m not in result)
                continue
            if not path.exists():
                if ignore_missing:
                    continue
                self._refuse_in_submodule(entry, path, file, line)
                raise PlatecheckError(f"value file {entry!r} not found "
                                      f"({_shown(path, self.root)}){self._hint(entry)}",
                                      file, line)
            if not path.is_file():
                raise PlatecheckError(f"value file {entry!r} is not a file "
                                      f"({_shown(path, self.root)})", file, line)
            if path not in result:
                result.append(path)
        return result

    def path(self, entry: str) -> Path:
        """One entry resolved (not checked for existence)."""
        name, _, rest = entry.partition("/")
        if self.refs is not None and entry.startswith("$"):
            source = self.refs.get(name[1:])
            if source is None:
                known = ", ".join(f"${ref}" for ref in self.refs)
                if not self.refs:
                    raise PlatecheckError(f"source referenced {name!r}, but no source has a "
                                          "'ref' field defined")
                raise PlatecheckError(f"source referenced {name!r}, which is not one of the "
                                      f"available sources ({known})")
            if source.chart:
                raise PlatecheckError(f"source {name!r} has a 'chart' field defined, but Helm "
                                      "charts are not supported for 'ref' sources")
            return self._local(envsubst("/" + rest, self.env), entry, self.root,
                               to_root_ok=False)
        substituted = envsubst(entry, self.env)
        try:
            scheme = urlsplit(substituted).scheme
        except ValueError:
            scheme = ""
        if scheme.lower() in ("http", "https"):
            raise PlatecheckError(f"value file {entry!r} is a URL; platecheck renders offline "
                                  "and does not fetch it, so this Application is not rendered")
        if scheme:
            raise PlatecheckError(
                f"value file {entry!r}: the URL scheme {scheme!r} is neither http nor https, "
                "which Argo CD refuses unless argocd-cm's helm.valuesFileSchemes names it (as "
                "for helm-secrets); either way platecheck renders offline and does not fetch "
                "it, so this Application is not rendered")
        return self._local(substituted, entry, self.base, to_root_ok=False)

    def _refuse_in_submodule(self, entry: str, path: Path, file: str | None,
                             line: int | None) -> None:
        """Refuse a missing value file of a Git submodule this checkout has not checked out
        (Argo CD's has it)."""
        module = holding_file(self.root, path)
        if module is not None:
            raise PlatecheckError(held_message(f"value file {entry!r}", module), file, line,
                                  REMEDY)

    def _hint(self, entry: str) -> str:
        """Why a ``$`` entry led elsewhere: Argo CD substitutes unknown variables with ""."""
        if "$" not in entry or (self.refs is not None and entry.startswith("$")):
            return ""
        hint = f"; Argo CD reads it as {envsubst(entry, self.env)!r}"
        if entry.startswith("$") and self.refs is None:
            hint += " ($ref/ paths need spec.sources with a ref source)"
        return hint

    def _attempt(self, entry: str) -> Path | PlatecheckError:
        try:
            return self.path(entry)
        except PlatecheckError as exc:
            return exc

    def _local(self, path: str, entry: str, base: Path, *, to_root_ok: bool) -> Path:
        joined = self.root / path.lstrip("/") if path.startswith("/") else base / path
        candidate = Path(os.path.normpath(joined))
        if not is_glob(path):
            candidate = _delinked(candidate)
        if candidate == self.root and not to_root_ok:
            raise PlatecheckError(f"value file {entry!r} resolved to the repository root, "
                                  "which is not allowed")
        if not candidate.is_relative_to(self.root) or (
                candidate.exists() and not resolve(candidate).is_relative_to(self.root)):
            raise PlatecheckError(f"value file {entry!r} resolved to outside the repository "
                                  "root")
        return candidate

    def glob(self, entry: str, pattern: Path, file: str | None, line: int | None
             ) -> list[Path]:
        """What a value file glob matches; an error for a directory or a file outside the
        repository."""
        matches = [Path(m) for m in filepath_glob(pattern.as_posix())]
        for match in matches:
            if not resolve(match).is_relative_to(self.root):
                raise PlatecheckError(f"glob pattern {entry!r}: {_shown(match, self.root)} "
                                      "resolved to outside repository root", file, line)
            if match.is_dir():  # Argo CD hands it to helm, which cannot read it as values
                raise PlatecheckError(f"glob pattern {entry!r}: {_shown(match, self.root)} is "
                                      "a directory, which helm cannot read as a values file",
                                      file, line)
        return matches


def no_match(entry: str) -> str:
    """Argo CD's refusal of a value file glob that matches nothing (``GlobNoMatchError``)."""
    return f"values file glob {entry!r} matched no files"


def ref_path(entry: str) -> str | None:
    """The repository path a ``$ref/...`` value file entry names in its ref source's
    checkout (``$values/envs/prod.yaml``: ``envs/prod.yaml``); None for another entry."""
    if not entry.startswith("$") or "/" not in entry:
        return None
    return posixpath.normpath(entry.split("/", 1)[1]).lstrip("/")


def is_glob(path: str) -> bool:
    """Argo CD's ``isGlobPath``: ``*``, ``?`` or ``[`` in the path."""
    return _GLOB.search(path) is not None


def _delinked(path: Path) -> Path:
    """``path`` with symbolic links resolved (at most 10 deep, as Argo CD), lexically."""
    for _ in range(10):
        if not path.is_symlink():
            return path
        target = Path(os.readlink(path))
        path = Path(os.path.normpath(target if target.is_absolute() else path.parent / target))
    if path.is_symlink():
        raise PlatecheckError(f"{path}: symbolic links nested more than 10 deep")
    return path


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
