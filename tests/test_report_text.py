"""The text reporter: grouped by environment and target, one line per finding."""

from __future__ import annotations

from dataclasses import replace

import pytest

from platecheck.report import text
from report_samples import SAMPLES, TAG, report

V = "helm/applications/plate-web/values"
EXPECTED = {
    ("empty", False): """\
0 errors, 0 warnings, 0 waived in 0 targets (0 helm runs, 0 cached)
""",
    ("one-error", False): f"""\
== prod ==
-- prod/plate-web --
{V}-prod.yaml:12: error [image-tag-pinned] container nginx of Deployment/plate-web uses floating tag "latest"
  fix: pin the image to a release tag or a digest

1 error, 0 warnings, 0 waived in 3 targets (0 helm runs, 0 cached)
""",  # noqa: E501
    ("mixed", False): f"""\
== could not check ==
environments/argocd/apps/plate-api-prod.yaml:1: error [render] prod/plate-api: helm template failed:
  Error: template: plate-api/templates/deployment.yaml:7: boom

== prod ==
-- prod/plate-web --
{V}-prod.yaml:12: error [image-tag-pinned] container nginx of Deployment/plate-web uses floating tag "latest"
  fix: pin the image to a release tag or a digest
{V}-prod.yaml:14: warning [pull-policy] container nginx of Deployment/plate-web has imagePullPolicy Always
  fix: set imagePullPolicy: IfNotPresent
helm/ingress/templates/issuer.yaml: info [ingress-tls] no ClusterIssuer named letsencrypt-prod
  fix: define the issuer

== repository ==
{V}-stg.yaml:9: error [yaml-hygiene] duplicate key "image" (first at line 2)
  fix: remove one of the two keys

2 errors, 1 warning, 1 info, 1 waived, 1 could not be checked in 3 targets (0 helm runs, 0 cached)
""",  # noqa: E501
    ("all-waived", False): """\
0 errors, 0 warnings, 1 waived in 3 targets (0 helm runs, 0 cached)
""",
    ("all-waived", True): f"""\
== stg ==
-- stg/plate-web --
{V}-stg.yaml:3: waived [image-tag-pinned] container nginx of Deployment/plate-web uses floating tag "main"
  waived: staging follows the main branch until 2030-01-01

0 errors, 0 warnings, 1 waived in 3 targets (0 helm runs, 0 cached)
""",  # noqa: E501
    ("odd-places", False): f"""\
== prod ==
-- prod/plate-web --
helm/ingress/templates/issuer.yaml: info [ingress-tls] no ClusterIssuer named letsencrypt-prod
  fix: define the issuer
-- prod/plate-old --
environments/argocd/apps/plate-old-prod.yaml:1: error [argocd-application] Application plate-old-prod is not reachable from the app-of-apps
  fix: reference it from the app-of-apps or delete it

== stg ==
{V}-stg.yaml:20: warning [env-consistency] values key resources.limits.gpu exists only in stg
  fix: add the key to values-prod.yaml or allow the difference

== repository ==
<repository>: error [env-consistency] plate-llm is deployed to stg only
  fix: declare it in policies/platecheck.yaml with a reason

2 errors, 1 warning, 1 info, 0 waived in 3 targets (0 helm runs, 0 cached)
""",  # noqa: E501
}


@pytest.mark.parametrize(("sample", "show_waived"), EXPECTED, ids=lambda v: str(v))
def test_text_output(sample: str, show_waived: bool) -> None:
    assert text.render(SAMPLES[sample], show_waived=show_waived) == EXPECTED[sample, show_waived]


def test_environments_and_targets_keep_report_order() -> None:
    stg_tag = replace(TAG, target="stg/plate-web", environment="stg", file="a.yaml")
    api_tag = replace(TAG, target="prod/plate-api", file="a.yaml")
    out = text.render(report((stg_tag, api_tag, TAG)))
    # targets are (prod/plate-web, prod/plate-api, stg/plate-web); files sort the other way
    assert out.index("== prod ==") < out.index("-- prod/plate-web --")
    assert out.index("-- prod/plate-web --") < out.index("-- prod/plate-api --")
    assert out.index("-- prod/plate-api --") < out.index("== stg ==")


def test_control_characters_cannot_reach_the_terminal() -> None:
    out = text.render(SAMPLES["unicode-and-markup"])
    assert "\x1b" not in out and "\x00" not in out
    assert '"quotes" \\x1b[31mred\\x1b[0m \\x00 ✓' in out
    assert 'host "plate.예시.kr" has no TLS <spec.tls> & ' in out


def test_bidirectional_controls_are_shown_not_obeyed() -> None:
    """A right-to-left override in a file name or message would show the line in another
    order than it is read."""
    from platecheck.report.common import one_line, printable

    assert printable("a\u202eb\u2066c\u200fd") == "a\\u202eb\\u2066c\\u200fd"
    assert one_line("values\u202elmay.yaml") == "values\\u202elmay.yaml"


def test_color_wraps_levels_and_headings_only_when_asked() -> None:
    plain = text.render(SAMPLES["one-error"])
    colored = text.render(SAMPLES["one-error"], color=True)
    assert "\x1b" not in plain
    assert "\x1b[31merror\x1b[0m [image-tag-pinned]" in colored
    assert "\x1b[1m== prod ==\x1b[0m" in colored
    assert (
        colored.replace("\x1b[1;31m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[1m", "")
        .replace("\x1b[0m", "")
        == plain
    )


def test_one_cause_of_several_targets_is_one_line_naming_them() -> None:
    """A chart that cannot be rendered, deployed by several Applications: one line, its
    targets named (five, then counted); another cause at the same place stays its own; the
    summary still counts every target that could not be checked."""
    from report_samples import RENDER_FAILED

    names = [f"prod/app-{n}" for n in range(7)]
    same = tuple(replace(RENDER_FAILED, target=name) for name in names)
    other = replace(RENDER_FAILED, message="something else", target="prod/app-0")
    out = text.render(report(errors=(*same, other)))
    lines = [line for line in out.splitlines() if "[render]" in line]
    assert lines == [
        "environments/argocd/apps/plate-api-prod.yaml:1: error [render] prod/app-0, prod/app-1, "
        "prod/app-2, prod/app-3, prod/app-4 and 2 more: helm template failed:",
        "environments/argocd/apps/plate-api-prod.yaml:1: error [render] prod/app-0: something "
        "else"]
    assert "8 could not be checked" in out.splitlines()[-1]
    two = text.render(report(errors=same[:2]))
    assert "error [render] prod/app-0, prod/app-1: helm template failed:" in two
