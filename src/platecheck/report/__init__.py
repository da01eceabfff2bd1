"""Reporters: pure functions from a ``Report`` to text, one module per format.

``FORMATS[name](report)`` renders with default options; the text reporter also takes
``show_waived`` and ``color`` (see ``render``).
"""

from __future__ import annotations

from collections.abc import Callable

from platecheck.errors import PlatecheckError
from platecheck.model import Report
from platecheck.report import github, jsonout, junit, sarif, text

FORMATS: dict[str, Callable[[Report], str]] = {
    "text": text.render,
    "json": jsonout.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "github": github.render,
}


def render(report: Report, fmt: str, *, show_waived: bool = False, color: bool = False) -> str:
    """Render ``report`` in format ``fmt``. ``show_waived`` and ``color`` apply to text only;
    the other formats always carry waived findings in their own way (JSON ``waived``,
    JUnit ``<skipped>``, SARIF suppressions) or leave them out (GitHub annotations)."""
    if fmt not in FORMATS:
        raise PlatecheckError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if fmt == "text":
        return text.render(report, show_waived=show_waived, color=color)
    return FORMATS[fmt](report)


__all__ = ["FORMATS", "render"]
