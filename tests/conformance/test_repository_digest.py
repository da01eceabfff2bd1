"""The rendered output of this repository's Applications is pinned: a change to how platecheck
builds the helm command line cannot change what it checks without this test saying so.

The stored digests (``rendered-digests.json``, per Helm major) are refreshed deliberately,
when the platform content or the rendering really is meant to change:

    PLATECHECK_REFRESH_DIGESTS=1 python -m pytest tests/conformance/test_repository_digest.py
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from platecheck.engine import load
from platecheck.helmbin import install_helm

STORED = Path(__file__).parent / "rendered-digests.json"


@pytest.mark.parametrize("major", ["3", "4"])
def test_rendered_output_matches_the_stored_digest(major: str, repo_root: Path,
                                                   tmp_path: Path) -> None:
    model = load(repo_root / "environments", helm=install_helm(major), use_cache=False,
                 cache_dir=tmp_path)
    assert model.errors == ()
    digests = {rendered.id: hashlib.sha256(rendered.manifest.encode()).hexdigest()
               for rendered in model.rendered}
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    if os.environ.get("PLATECHECK_REFRESH_DIGESTS") == "1":
        stored[major] = digests
        STORED.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n",
                          encoding="utf-8")
    assert digests == stored[major]
