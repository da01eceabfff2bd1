"""Bounds every stage and the command line share, importable without loading any of them."""

from __future__ import annotations

MAX_JOBS = 64  # helm processes at once, at most (--jobs, `jobs:` in the configuration)
