"""Reporters: pure functions from a ``Report`` to text, one module per format.

``FORMATS[name](report)`` renders with default options; the text reporter also takes
``show_waived`` and ``color`` (see ``render``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from platecheck.errors import PlatecheckError

if TYPE_CHECKING:
    from platecheck.model import Report

_MODULES = {"text": "text", "json": "jsonout", "junit": "junit", "sarif": "sarif",
            "github": "github"}


class _Formats(Mapping[str, Callable[..., str]]):
    """Format name -> reporter, importing a reporter's module (and the model) only when it is
    asked for: a run writes one format, and a run answered from the cache none."""

    def __getitem__(self, name: str) -> Callable[..., str]:
        module = importlib.import_module(f"platecheck.report.{_MODULES[name]}")
        reporter: Callable[..., str] = module.render
        return reporter

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[..., str]] = _Formats()
# The formats of ``platecheck diff --base``: the rendered drift as text, Markdown or JSON.
DIFF_FORMATS = ("text", "markdown", "json")


def render(report: Report, fmt: str, *, show_waived: bool = False, color: bool = False) -> str:
    """Render ``report`` in format ``fmt``. ``show_waived`` and ``color`` apply to text only;
    the other formats always carry waived findings in their own way (JSON ``waived``,
    JUnit ``<skipped>``, SARIF suppressions) or leave them out (GitHub annotations)."""
    if fmt not in FORMATS:
        raise PlatecheckError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if fmt == "text":
        from platecheck.report import text

        return text.render(report, show_waived=show_waived, color=color)
    rendered: str = FORMATS[fmt](report)
    return rendered


__all__ = ["DIFF_FORMATS", "FORMATS", "render"]
