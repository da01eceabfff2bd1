"""Rule metadata for reports, read from the Report alone.

The Report carries every policy that ran with its documentation and configured levels. A
report can also name ids that are not policies (for instance the id of a could-not-check
error); those get a rule with the id as its description, so that every result of a SARIF run
points at a rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from platecheck.model import PolicyInfo, Report


def bare_rule(policy_id: str) -> PolicyInfo:
    return PolicyInfo(id=policy_id, summary=policy_id, description=policy_id, help=policy_id)


def report_ids(report: Report) -> list[str]:
    """Policy ids a report names: the policies that ran, then ids carried only by findings
    or errors, alphabetically."""
    ran = list(dict.fromkeys(report.policy_ids))
    named = {f.policy for f in (*report.findings, *report.errors)} - set(ran)
    return ran + sorted(named)


def rules_for(report: Report, extra: Iterable[str] = ()) -> tuple[PolicyInfo, ...]:
    """Every policy that ran (registry order), then every other id the report names."""
    rules = list({policy.id: policy for policy in report.policies}.values())
    known = {rule.id for rule in rules}
    for pid in [*report_ids(report), *extra]:
        if pid not in known:
            known.add(pid)
            rules.append(bare_rule(pid))
    return tuple(rules)
