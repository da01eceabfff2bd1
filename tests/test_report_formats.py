"""What every reporter promises: pure, deterministic, callable with only a Report."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from dataclasses import replace
from pathlib import Path

import pytest

from platecheck.errors import PlatecheckError
from platecheck.model import Level, Report
from platecheck.policies import doc_sections, registry
from platecheck.report import DIFF_FORMATS, FORMATS, render, rules
from platecheck.report import rendered_diff as diff_reporters
from platecheck.report.common import count, finding_lines, summary_line
from report_samples import (
    DUPLICATE,
    FAKE_POLICIES,
    NO_FILE,
    OFF,
    PROD_WEB,
    PULL,
    REGISTERED,
    RENDER_FAILED,
    SAMPLES,
    STG_TAG,
    STG_WEB,
    TAG,
    report,
)

OPTIONS: list[tuple[str, dict[str, bool]]] = [(name, {}) for name in FORMATS] + [
    ("text", {"show_waived": True}),
    ("text", {"color": True}),
]


def test_formats_are_the_documented_ones() -> None:
    assert list(FORMATS) == ["text", "json", "junit", "sarif", "github"]


def test_diff_formats_named_for_the_command_line_are_the_diff_reporters() -> None:
    # the command line names them without importing the reporters (and the model)
    assert sorted(DIFF_FORMATS) == sorted(diff_reporters.FORMATS)
    assert DIFF_FORMATS[0] == "text"  # the default of `platecheck diff --format`


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_renders_each_sample_with_only_the_report(fmt: str, sample: str) -> None:
    out = FORMATS[fmt](SAMPLES[sample])
    assert out.endswith("\n") and out.strip()


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
@pytest.mark.parametrize(("fmt", "options"), OPTIONS, ids=lambda v: str(v))
def test_reporters_do_not_mutate_the_report(
    fmt: str, options: dict[str, bool], sample: str
) -> None:
    original = SAMPLES[sample]
    before = copy.deepcopy(original)
    fields_before = {f.name: repr(getattr(original, f.name)) for f in dataclasses.fields(Report)}
    render(original, fmt, **options)
    assert original == before
    assert {f.name: repr(getattr(original, f.name)) for f in dataclasses.fields(Report)} == (
        fields_before
    )


@pytest.mark.parametrize(("fmt", "options"), OPTIONS, ids=lambda v: str(v))
def test_output_does_not_depend_on_finding_order(fmt: str, options: dict[str, bool]) -> None:
    findings = (TAG, PULL, STG_TAG, DUPLICATE, NO_FILE)
    forward = report(findings, errors=(RENDER_FAILED,))
    backward = report(tuple(reversed(findings)), errors=(RENDER_FAILED,))
    first = render(forward, fmt, **options)
    assert render(forward, fmt, **options) == first
    assert render(backward, fmt, **options) == first


def test_render_passes_text_options_and_rejects_unknown_formats() -> None:
    waived = SAMPLES["all-waived"]
    assert "staging follows the main branch" not in render(waived, "text")
    assert "staging follows the main branch" in render(waived, "text", show_waived=True)
    assert "\033[" in render(waived, "text", color=True)
    assert "\033[" not in render(waived, "text")
    with pytest.raises(PlatecheckError, match="unknown format 'xml'"):
        render(waived, "xml")


@pytest.mark.parametrize(
    ("sample", "line"),
    [
        ("empty", "0 errors, 0 warnings, 0 waived in 0 targets (0 helm runs, 0 cached)"),
        ("one-error", "1 error, 0 warnings, 0 waived in 3 targets (0 helm runs, 0 cached)"),
        (
            "mixed",
            "2 errors, 1 warning, 1 info, 1 waived, 1 could not be checked in 3 targets"
            " (0 helm runs, 0 cached)",
        ),
        (
            "odd-places",
            "2 errors, 1 warning, 1 info, 0 waived in 3 targets (0 helm runs, 0 cached)",
        ),
        ("one-run", "0 errors, 0 warnings, 0 waived in 3 targets (1 helm run, 0 cached)"),
        ("counted", "1 error, 0 warnings, 1 waived in 3 targets (2 helm runs, 1 cached)"),
    ],
)
def test_summary_line(sample: str, line: str) -> None:
    report_ = report(renders=1) if sample == "one-run" else SAMPLES[sample]
    assert summary_line(count(report_)) == line


def test_findings_at_level_off_are_never_counted() -> None:
    assert count(report((OFF,))).findings == 0
    for fmt in FORMATS:
        assert "never shown" not in render(report((OFF,)), fmt)


DOC_STYLES = {
    "colon-block": "Title.\n\nWhat:\n    pins images\n    in prod\n\nWhy:\n    safety\n",
    "colon-inline": "What: pins images\nin prod\n\nWhy: safety",
    "markdown": "## What\npins images\nin prod\n\n## Why\nsafety\n",
    "underlined": "What\n----\npins images\nin prod\n\nWhy\n---\nsafety\n",
}


@pytest.mark.parametrize("style", DOC_STYLES)
def test_doc_sections_reads_the_usual_heading_styles(style: str) -> None:
    sections = doc_sections(DOC_STYLES[style])
    assert sections["What"].split() == ["pins", "images", "in", "prod"]
    assert sections["Why"] == "safety"


def test_doc_sections_does_not_take_prose_for_a_heading() -> None:
    assert doc_sections("What it does is explained below.\nWhy not.") == {}


def test_rules_are_the_policies_that_ran_then_other_ids() -> None:
    found = rules.rules_for(replace(SAMPLES["mixed"], policies=FAKE_POLICIES))
    assert [r.id for r in found] == [
        "image-tag-pinned",
        "pull-policy",
        "argocd-application",
        "ingress-tls",
        "render",
        "yaml-hygiene",
    ]
    tag = found[0]
    assert tag.summary == "production images have a fixed tag or a digest"
    assert tag.description.split()[:4] == ["Every", "container", "and", "init"]
    assert tag.help.startswith("Production images carry a fixed tag or a digest.")
    assert "Fails:" in tag.help
    assert tag.remediation == "pin the image to a release tag or a digest"
    assert tag.level is Level.ERROR
    assert found[2].scope == "repo"
    assert found[2].description == "Every Application is reachable from the app-of-apps."
    assert found[4] == rules.bare_rule("render")


def test_rules_from_the_real_registry() -> None:
    modules = registry()
    found = {r.id: r for r in rules.rules_for(replace(SAMPLES["empty"], policies=REGISTERED))}
    assert list(found) == list(modules)
    for policy_id, module in modules.items():
        assert found[policy_id].summary == module.SUMMARY
        assert found[policy_id].help == (inspect.cleandoc(module.__doc__ or "") or module.SUMMARY)
        assert found[policy_id].description


@pytest.mark.parametrize("fmt", ["text", "junit", "github"])
def test_the_documented_examples_are_real_output(fmt: str) -> None:
    docs = (Path(__file__).parents[1] / "docs/output.md").read_text(encoding="utf-8")
    example = report((TAG, PULL, STG_TAG), targets=(PROD_WEB, STG_WEB), renders=2, cache_hits=1)
    assert render(example, fmt) in docs


MULTILINE = replace(
    RENDER_FAILED,
    policy="ingress-tls",
    message="host plate.example.org has no TLS:\nadd it to spec.tls",
    remediation="add spec.tls",
    detail=None,
)


def test_one_finding_formatter_for_every_plain_text_output() -> None:
    assert finding_lines(MULTILINE) == [
        "environments/argocd/apps/plate-api-prod.yaml:1: host plate.example.org has no TLS:",
        "  add it to spec.tls",
        "  fix: add spec.tls",
    ]
    assert finding_lines(MULTILINE, label="error", policy=True, target=True, resource=True) == [
        "environments/argocd/apps/plate-api-prod.yaml:1: error [ingress-tls] prod/plate-api:"
        " host plate.example.org has no TLS:",
        "  add it to spec.tls",
        "  fix: add spec.tls",
    ]
    sample = report((MULTILINE,), policies=tuple(p for p in REGISTERED if p.id == "ingress-tls"))
    lines = finding_lines(MULTILINE, label="error", policy=True)
    assert "\n".join(lines) in render(sample, "text")
    junit_body = "\n".join(finding_lines(MULTILINE))
    assert f">{junit_body}</failure>" in render(sample, "junit")
