"""A progress line on standard error while helm runs: ``platecheck: 12/40 targets rendered``
(``rendered and linted`` when helm lint runs too).

Shown only when the stream is a terminal and the run has lasted more than a second, so that
short runs, pipes, CI logs and reports stay exactly as they were; the line is rewritten in
place (carriage return) and erased when the run ends.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

DELAY = 1.0  # seconds before the line appears


class Progress:
    """Counts finished targets out of ``total``; safe to call from worker threads."""

    def __init__(self, total: int, stream: TextIO | None = None,
                 delay: float | None = None, what: str = "targets rendered") -> None:
        self.total = total
        self.what = what
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._start = time.monotonic()
        self._delay = DELAY if delay is None else delay
        self._lock = threading.Lock()
        self._shown = False
        try:
            self._enabled = total > 0 and self._stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            self._enabled = False

    def advance(self) -> None:
        with self._lock:
            self.done += 1
            if self._enabled and time.monotonic() - self._start >= self._delay:
                self._write(f"\rplatecheck: {self.done}/{self.total} {self.what}")
                self._shown = True

    def close(self) -> None:
        with self._lock:
            if self._shown:
                self._write("\r\033[K")
                self._shown = False

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._enabled = False
