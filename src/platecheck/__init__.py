"""platecheck: render a Helm + Argo CD GitOps repository as Argo CD would and check policies."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from platecheck.version import __version__

if TYPE_CHECKING:
    from platecheck.model import Report


def lint(path: str | Path, **options: Any) -> Report:
    """Lint ``path`` (a repository, an ``environments/`` directory or a chart directory).

    See ``platecheck.engine.lint`` for the options.
    """
    from platecheck.engine import lint as run

    return run(path, **options)


__all__ = ["__version__", "lint"]
