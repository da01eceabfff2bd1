"""Bounds every stage and the command line share, importable without loading any of them."""

from __future__ import annotations

MAX_JOBS = 64  # helm processes at once, at most (--jobs, `jobs:` in the configuration)

# Applications one matrix generator of an ApplicationSet may make, at most, for platecheck to
# expand it: two lists of a thousand elements each, a few kilobytes, make a million, each a
# target to plan and render; one that makes more is a could-not-check error at the matrix.
# (A list makes no more Applications than its file holds elements.)
MAX_SET_APPLICATIONS = 5000

# Bytes of data (heap, stacks) each helm, kubectl or Jsonnet process may map (RLIMIT_DATA): a
# template that recurses without end (tpl of a value that calls tpl) grows by gigabytes a
# second, and ends, at this bound, in Go's "out of memory" rather than a machine swapping until
# the render timeout. The largest public charts render in a few hundred MiB.
MAX_PROCESS_DATA = 4 << 30
# what Go prints when a process reaches that bound (the heap, or a mapping it asks for)
_OUT_OF_MEMORY = ("fatal error: runtime: out of memory",
                  "fatal error: runtime: cannot allocate memory")
_MEMORY_CAUSE = (
    f"it reached the {MAX_PROCESS_DATA >> 30} GiB of memory platecheck lets a renderer use: "
    "a template or program that recurses without end, such as tpl of a value that calls tpl "
    "again, grows until then")


def go_crash(lines: list[str]) -> str | None:
    """The fatal error a Go program (helm, kubectl, the Jsonnet evaluator) crashed with, as
    one line, with the likely cause when it ran out of memory; None when it did not crash."""
    for line in lines:
        if line.startswith("fatal error: "):
            return f"{line} ({_MEMORY_CAUSE})" if line.startswith(_OUT_OF_MEMORY) else line
    return None
