"""Reporters: pure functions from a ``Report`` to text, one module per format.

``FORMATS[name](report)`` renders with default options; the text reporter also takes
``show_waived`` and ``color`` (see ``render``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from platecheck.errors import PlatecheckError
from platecheck.model import Report

_MODULES = {"text": "text", "json": "jsonout", "junit": "junit", "sarif": "sarif",
            "github": "github"}


class _Formats(Mapping[str, Callable[[Report], str]]):
    """Format name -> reporter, importing a reporter's module only when it is asked for: a
    run writes one format."""

    def __getitem__(self, name: str) -> Callable[[Report], str]:
        module = importlib.import_module(f"platecheck.report.{_MODULES[name]}")
        reporter: Callable[[Report], str] = module.render
        return reporter

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[[Report], str]] = _Formats()


def render(report: Report, fmt: str, *, show_waived: bool = False, color: bool = False) -> str:
    """Render ``report`` in format ``fmt``. ``show_waived`` and ``color`` apply to text only;
    the other formats always carry waived findings in their own way (JSON ``waived``,
    JUnit ``<skipped>``, SARIF suppressions) or leave them out (GitHub annotations)."""
    if fmt not in FORMATS:
        raise PlatecheckError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if fmt == "text":
        from platecheck.report import text

        return text.render(report, show_waived=show_waived, color=color)
    return FORMATS[fmt](report)


__all__ = ["FORMATS", "render"]
