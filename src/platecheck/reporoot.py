"""The repository root when it is given or marked: ``--root``, else the nearest ancestor
holding ``.git`` or ``policies/platecheck.yaml``. Apart from ``platecheck.discover`` (which
falls back to where the Applications point) so that a run answered by the whole-run cache
finds its root without loading discovery and the YAML parser."""

from __future__ import annotations

from pathlib import Path

from platecheck.errors import PlatecheckError


def marked_root(path: Path, explicit: Path | None = None) -> Path | None:
    """``explicit``, else the nearest ancestor of ``path`` (or ``path`` itself) holding
    ``.git`` or ``policies/platecheck.yaml`` (a ``policies/`` directory of another tool's,
    Kyverno's or Gatekeeper's, marks nothing); None when no marker names one."""
    if explicit is not None:
        if not explicit.is_dir():
            raise PlatecheckError("repository root is not a directory", str(explicit))
        return explicit.resolve()
    start = path.resolve()
    if not start.exists():
        raise PlatecheckError("path not found", str(path))
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists() \
                or (candidate / "policies" / "platecheck.yaml").is_file():
            return candidate
    return None
