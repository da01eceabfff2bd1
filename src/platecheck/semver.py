"""An exact release version: ``MAJOR.MINOR.PATCH`` with an optional ``v``, pre-release and
build metadata (https://semver.org/), as helm prints its own version and as a pinned chart
version is written. Group 1 is the version without the ``v`` and the build metadata.

Helm's looser reading of a chart's ``version`` (Masterminds/semver, one to three numbers) is
another matter: ``policies/chart_metadata.py`` keeps it.
"""

from __future__ import annotations

import re

EXACT_VERSION = re.compile(r"v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\+[0-9A-Za-z.-]+)?")
