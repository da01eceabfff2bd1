"""Which reports one run writes, and where: ``--format``/``--output`` (repeatable, paired in
the order given) and ``--report FORMAT=PATH``.

One lint renders and checks once; every report is then a pure function of the same
``Report``, so a run that writes text, JUnit and SARIF gives the same bytes as three runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from platecheck.errors import PlatecheckError

STDOUT = "-"
# Formats that may share standard output: the text log and GitHub's workflow commands
# (the runner takes ``::error`` lines out of the log, whatever else it holds).
_SHARE_STDOUT = frozenset({"text", "github"})


class ReportRequest(NamedTuple):
    """One report to write: a format and a file, or standard output when ``path`` is None;
    ``option`` is the command-line option that named the file, for messages about it."""

    format: str
    path: Path | None
    option: str = "--output"


class OrderedOption(argparse.Action):
    """Keeps ``--format`` and ``--output`` in the order they were given, so that each
    ``--output`` names the file of the ``--format`` before it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        items = list(getattr(namespace, self.dest, None) or [])
        items.append((self.const, values))
        setattr(namespace, self.dest, items)


def parse_report(text: str) -> tuple[str, str]:
    """``junit=report.xml`` -> ("junit", "report.xml"); for ``--report``."""
    fmt, sep, path = text.partition("=")
    if not sep or not fmt or not path:
        raise argparse.ArgumentTypeError(f"expected FORMAT=PATH, e.g. junit=report.xml: {text!r}")
    return fmt.strip(), path


def requests(ordered: Sequence[tuple[str, Any]] | None,
             extra: Sequence[tuple[str, str]] | None, formats: Sequence[str]
             ) -> list[ReportRequest]:
    """The reports of one run, in the order given.

    ``ordered``: ("FORMAT", name) and ("FILE", path) items of ``--format``/``--output``.
    With one of each (in either order) they are one report, as they always were. With more,
    each ``--output`` belongs to the last ``--format`` before it that has no file yet, and a
    ``--format`` left without one goes to standard output. ``--report`` adds reports; text to
    standard output stays the default main report (a ``--report`` of a report standard
    output has already, ``text=-``, is that one).
    """
    items = list(ordered or [])
    chosen = [str(v) for kind, v in items if kind == "FORMAT"]
    files = [Path(v) for kind, v in items if kind == "FILE"]
    result: list[ReportRequest] = []
    if len(chosen) <= 1 and len(files) <= 1:
        file = files[0] if files else None
        result.append(ReportRequest(chosen[0] if chosen else "text",
                                    None if file is None or str(file) == STDOUT else file))
    else:
        pending: list[int] = []  # indexes into result still writing to standard output
        for kind, value in items:
            if kind == "FORMAT":
                pending.append(len(result))
                result.append(ReportRequest(str(value), None))
                continue
            if not pending:
                raise PlatecheckError(f"--output {value} has no --format before it; give "
                                      "--format FORMAT --output FILE in pairs")
            index = pending.pop()
            result[index] = ReportRequest(result[index].format,
                                          None if str(value) == STDOUT else Path(value))
    for fmt, name in extra or []:
        if name == STDOUT and any(r.format == fmt and r.path is None for r in result):
            continue  # the report standard output has already (the default text one): once
        result.append(ReportRequest(fmt, None if name == STDOUT else Path(name), "--report"))
    _check(result, formats)
    return result


def _check(result: Sequence[ReportRequest], formats: Sequence[str]) -> None:
    for request in result:
        if request.format not in formats:
            raise PlatecheckError(f"unknown report format {request.format!r}; choose one of: "
                                  f"{', '.join(sorted(formats))}")
    on_stdout = [r.format for r in result if r.path is None]
    if len(on_stdout) > 1 and (len(set(on_stdout)) != len(on_stdout)
                               or not set(on_stdout) <= _SHARE_STDOUT):
        raise PlatecheckError(f"several reports would go to standard output "
                              f"({', '.join(on_stdout)}); give each but one a file")
    seen: dict[Path, str] = {}
    for request in result:
        if request.path is None:
            continue
        key = request.path.resolve()
        if key in seen:
            raise PlatecheckError(f"two reports ({seen[key]} and {request.format}) would "
                                  "write the same file", str(request.path))
        seen[key] = request.format
