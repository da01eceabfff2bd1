"""A waiver past its expiry date is an error, and waives nothing.

What:
    Each entry of ``policies/waivers.yaml`` whose ``expires`` date has passed (the date is the
    last day it applies) is a finding at the entry's line. The findings it used to cover are
    reported again.

Why:
    A waiver is a promise to fix something by a date. Without an expiry check, "temporary"
    exceptions for floating tags or missing TLS stay forever.

Options:
    None. Applied by the engine with the waivers, after every other policy; the
    level comes from the configuration like any policy's.

Passes:
    ``expires: 2999-12-31``; any date from today on.

Fails:
    ``expires: 2024-01-31`` checked on 2024-02-01 ->
    ``waiver for image-tag-pinned (target=stg/plate-llm) expired on 2024-01-31: <reason>``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from platecheck.model import Finding

if TYPE_CHECKING:
    from platecheck.waivers import Waiver

ID = "waiver-expired"
SUMMARY = "waivers past their expiry date"
SCOPE = "waivers"
REMEDIATION = ("Fix the findings the waiver covered and delete it, or renew it with a new "
               "expiry date and an updated reason.")


def check(waivers: Iterable[Waiver], today: datetime.date) -> Iterator[Finding]:
    for waiver in waivers:
        if waiver.expired(today):
            yield Finding(policy=ID, file=waiver.file, line=waiver.line,
                          message=(f"waiver for {waiver.describe} expired on "
                                   f"{waiver.expires.isoformat()}: {waiver.reason}"),
                          remediation=REMEDIATION)


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("expired-waiver", "waiver-in-date")
