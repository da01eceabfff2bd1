"""A waiver that matches no finding is stale.

What:
    Each unexpired entry of ``policies/waivers.yaml`` that matched no finding in the run is a
    finding at the entry's line. A run that checks only some of the repository's targets
    (``--env``, ``--changed-since``, some Application files) reports a waiver only when it
    checked every target the waiver's ``target`` glob selects (every target, without one).

Why:
    A waiver left behind after the fix silently covers the next regression of the same kind;
    a waiver with a typo in its selector never covered anything.

Options:
    None. Applied by the engine with the waivers, after every other policy; the
    level comes from the configuration like any policy's.

Passes:
    A waiver whose policy and selectors match at least one finding.

Fails:
    A waiver for ``pull-policy`` on ``prod/plate-web`` when that target has no pull-policy
    finding -> ``waiver for pull-policy (target=prod/plate-web) matched no finding``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from platecheck.model import Finding, Level

if TYPE_CHECKING:
    from platecheck.waivers import Waiver

ID = "waiver-stale"
SUMMARY = "waivers that match no finding"
SCOPE = "waivers"
LEVEL = Level.WARNING  # the built-in level; configuration may change it
REMEDIATION = "Delete the waiver, or correct its policy and selectors."


def check(unused: Iterable[Waiver]) -> Iterator[Finding]:
    """``unused``: the unexpired waivers that matched nothing in this run."""
    for waiver in unused:
        yield Finding(policy=ID, file=waiver.file, line=waiver.line,
                      message=f"waiver for {waiver.describe} matched no finding",
                      remediation=REMEDIATION)


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("waiver-in-use", "waiver-matches-nothing")
