"""Errors that stop platecheck before it could check something (exit code 2).

Every error is a :class:`PlatecheckError` carrying platecheck's own one-line message and, where
known, the file and line. The subclasses say what kind of problem it is, so callers and tests
can tell them apart without reading the message (which may quote a third-party parser).
"""

from __future__ import annotations

from typing import Any


class PlatecheckError(Exception):
    """A usage or could-not-check error: printed as one line, exit code 2."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.remedy = remedy  # what to do about it, when more is known than "fix this"

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"


# What a could-not-check error says when this machine or this moment caused it rather than the
# checked content: a process that ran out of time, was ended by a signal (the kernel's
# out-of-memory killer, someone's kill), could not start, or was stopped with platecheck.
# Another run may not meet it, so a report holding one is not kept (``platecheck.runcache``).
TIMED_OUT = "timed out after"
ENDED_BY_SIGNAL = "was ended by signal"
CANNOT_RUN = "cannot run"
STOPPING = "platecheck is stopping"
SUPERVISOR_ENDED = "the process that ran it has ended"
NO_NAMESPACES = "this machine allows no user or network namespace"
_TRANSIENT = (TIMED_OUT, ENDED_BY_SIGNAL, CANNOT_RUN, STOPPING, SUPERVISOR_ENDED, NO_NAMESPACES)


def transient(message: str) -> bool:
    """Whether an error of ``message`` may not happen again on the same content (above)."""
    return any(marker in message for marker in _TRANSIENT)


class NothingToCheck(PlatecheckError):
    """A path holding no Application, ApplicationSet or chart platecheck recognises: the
    run fails closed."""


class CrdRefused(PlatecheckError):
    """A CustomResourceDefinition the API server refuses (its schema is not valid or not
    structural): its kind is not installed, so a resource of it cannot be checked."""


class PartlyChecked(PlatecheckError):
    """What a policy found (``found``, its findings) and the errors of what it could not check
    (``errors``, each a could-not-check error of its own)."""

    def __init__(self, found: list[Any], errors: list[PlatecheckError]) -> None:
        super().__init__(errors[0].message, errors[0].file, errors[0].line, errors[0].remedy)
        self.found = found
        self.errors = errors


class UnreadableFile(PlatecheckError):
    """A file that cannot be opened or read."""


class NotRegularFile(UnreadableFile):
    """A directory, FIFO, device or socket where a file was expected: never read."""


class FileTooLarge(UnreadableFile):
    """A file over the size platecheck reads."""


class YamlError(PlatecheckError):
    """A YAML file (or rendered YAML) platecheck cannot read; the subclass says why.
    ``problem`` is the parser's own description where one was given (shown, never relied on).
    """

    problem: str = ""


class YamlEncodingError(YamlError):
    """Bytes that are not UTF-8 (UTF-16 included)."""


class YamlSyntaxError(YamlError):
    """Text the YAML parser rejects; the line is the parser's."""


class YamlBadValue(YamlError):
    """A scalar Go's YAML parses but will not read, so helm, kubectl and Argo CD refuse the
    document: one its explicit tag does not fit (``!!int abc``), ``!!binary`` that is not
    base64, a null mapping key."""


class YamlTooDeep(YamlError):
    """Collections nested deeper than platecheck (or the parser) reads."""


class YamlTooComplex(YamlError):
    """A document whose aliases expand to more nodes than platecheck builds."""


class YamlDuplicateKey(YamlError):
    """A key given twice in one mapping of a file where that is refused."""
