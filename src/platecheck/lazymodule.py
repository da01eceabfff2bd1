"""A module imported when one of its names is first read, not when its importer is.

The Go template modules (``gotemplate`` and the parser, functions and formatting behind it)
are needed only by ApplicationSets with ``goTemplate`` or a ``templatePatch``; importing them
cost about a tenth of what every ``platecheck`` process spends on imports, in repositories
without one. ``importlib.import_module`` takes the import lock, so threads reading a name
at once import the module once.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; each attribute is read from it, imported at need."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)
