"""Bounds every stage and the command line share, importable without loading any of them."""

from __future__ import annotations

MAX_JOBS = 64  # helm processes at once, at most (--jobs, `jobs:` in the configuration)

# Bytes of data (heap, stacks) each helm, kubectl or Jsonnet process may map (RLIMIT_DATA): a
# template that recurses without end (tpl of a value that calls tpl) grows by gigabytes a
# second, and ends, at this bound, in Go's "out of memory" rather than a machine swapping until
# the render timeout. The largest public charts render in a few hundred MiB.
MAX_PROCESS_DATA = 4 << 30
