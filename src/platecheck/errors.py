"""Errors that stop platecheck before it could check something (exit code 2)."""

from __future__ import annotations


class PlatecheckError(Exception):
    """A usage or could-not-check error: printed as one line, exit code 2."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"
