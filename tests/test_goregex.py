"""Go's regular expressions in schemas (CRD patterns, values.schema.json) read by Python's re
with Go's meaning: flag groups after the start and ``\\z``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from platecheck.engine import lint, load
from platecheck.goregex import python_pattern, schema_in_python
from security_helpers import add_crd, make_repo

# (pattern as Go reads it, text, whether Go's regexp finds a match): RE2's "(?flags)" sets the
# flags for the rest of the current group, later alternatives included
CASES = [
    ("^(?i)(abort|warn)?$", "WARN", True),
    ("^(?i)(abort|warn)?$", "", True),
    ("^(?i)(abort|warn)?$", "aborted", False),
    ("^((?i)sun|mon)day$", "SUNday", True),
    ("^((?i)sun|mon)day$", "MONday", True),  # the flag reaches the later alternative
    ("^((?i)sun|mon)day$", "sunDAY", False),  # and ends with its group
    ("^a(?i)b(?-i)c$", "aBc", True),
    ("^a(?i)b(?-i)c$", "aBC", False),
    ("^a(?i)b(?-i)c$", "Abc", False),
    ("^(a|b(?i)c|d)$", "bC", True),
    ("^(a|b(?i)c|d)$", "D", True),
    ("^(a|b(?i)c|d)$", "A", False),
    ("^(a|b(?i)c|d)$", "Bc", False),
    ("^x\\z", "x", True),
    ("^x\\z", "x\n", False),  # \z is the very end; Python's $ would accept a final newline
    ("^x\\\\z$", "x\\z", True),  # an escaped backslash, then a plain z
    ("^[(?i)]+$", "(?i)", True),  # inside a class nothing is a group
    ("^[(?i)]+$", "I", False),
    ("^(?<word>[a-z]+)-(?P=word)$", "ab-ab", True),
    ("(?i)^abc$", "ABC", True),  # at the start Python reads it as Go does
]


@pytest.mark.parametrize(("pattern", "text", "matches"), CASES)
def test_a_go_pattern_matches_what_go_matches(pattern: str, text: str, matches: bool) -> None:
    assert bool(re.search(python_pattern(pattern), text)) is matches


@pytest.mark.parametrize("pattern", ["^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "(?i)^abc$", "a{2,3}",
                                     "^(?:x|y)+$", "\\d+\\.\\d+"])
def test_a_pattern_python_reads_alike_is_left_as_written(pattern: str) -> None:
    assert python_pattern(pattern) == pattern


def test_only_patterns_in_schema_positions_are_converted() -> None:
    go = "^(?i)on$"
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"mode": {"type": "string", "pattern": go},
                       "pattern": {"type": "string", "enum": [go], "default": go}},
        "patternProperties": {"^(?i)x-": {"items": {"pattern": go}}},
        "allOf": [{"not": {"pattern": go}}],
        "$defs": {"d": {"additionalProperties": {"pattern": go}}},
        "example": {"pattern": go},
    }
    converted = schema_in_python(schema)
    py = python_pattern(go)
    assert py != go
    assert converted["properties"]["mode"]["pattern"] == py
    assert converted["properties"]["pattern"]["enum"] == [go]  # data stays as written
    assert converted["properties"]["pattern"]["default"] == go
    assert list(converted["patternProperties"]) == [python_pattern("^(?i)x-")]
    assert converted["patternProperties"][python_pattern("^(?i)x-")]["items"]["pattern"] == py
    assert converted["allOf"][0]["not"]["pattern"] == py
    assert converted["$defs"]["d"]["additionalProperties"]["pattern"] == py
    assert converted["example"] == {"pattern": go}
    assert schema["properties"]["mode"]["pattern"] == go  # the original is not changed


def test_a_crd_pattern_in_go_syntax_checks_its_resources(tmp_path: Path, helm_bin: Path) -> None:
    """prometheus-operator's PrometheusRule writes ``^(?i)(abort|warn)?$``: the CRD is a valid
    schema, and its resources are checked by it as the API server would."""
    chart = make_repo(tmp_path)
    add_crd(chart, "Rule", "strategy", "                pattern: '^(?i)(abort|warn)?$'\n",
            [("loud", "WARN"), ("odd", "nope")])
    report = lint(tmp_path, helm=helm_bin, use_cache=False)
    assert report.errors == ()
    [finding] = [f for f in report.findings if f.policy == "k8s-schema"]
    assert finding.resource == "Rule/odd"
    assert finding.message.endswith("'nope' does not match '^(?i)(abort|warn)?$'")


def test_a_values_schema_pattern_in_go_syntax_is_applied(tmp_path: Path, helm_bin: Path) -> None:
    """helm validates values against values.schema.json with Go's regexp too."""
    chart = make_repo(tmp_path, values="a: 1\nmode: FAST\n")
    schema = {"type": "object", "properties": {"mode": {"type": "string",
                                                         "pattern": "^(?i)(fast|slow)$"}}}
    (chart / "values.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    assert load(tmp_path, use_cache=False).errors == ()
    (chart / "values-prod.yaml").write_text("a: 1\nmode: maybe\n", encoding="utf-8")
    [error] = load(tmp_path, use_cache=False).errors
    assert (error.file, error.line) == ("charts/web/values-prod.yaml", 2)
    assert error.message.startswith("values do not meet the chart's values.schema.json at mode")


def test_a_pattern_re_could_backtrack_over_is_matched_in_linear_time() -> None:
    """Traefik's duration, as the API server matches it (Go's regexp, RE2): the same answers
    as Python's ``re`` gives where ``re`` answers quickly, and a quick one where it would not."""
    import time

    import jsonschema

    from platecheck.goregex import go_patterns

    duration = "^([0-9]+(ns|us|µs|ms|s|m|h)?)+$"
    cls = go_patterns(jsonschema.Draft202012Validator)
    assert go_patterns(jsonschema.Draft202012Validator) is cls  # made once per draft
    assert go_patterns(jsonschema.Draft7Validator) is not cls
    validator = cls({"type": "object", "properties": {"d": {"type": "string",
                                                            "pattern": duration}},
                     "patternProperties": {"^(x+)+$": {"type": "integer"}}})
    for text in ("10ms", "1h30m", "5µs", "", "1x", "ms"):
        assert validator.is_valid({"d": text}) == bool(re.search(duration, text)), text
    started = time.monotonic()
    assert not validator.is_valid({"d": "1" * 5000 + "x"})
    assert validator.is_valid({"xxxx": 1}) and not validator.is_valid({"xxxx": "one"})
    assert validator.is_valid({"x" * 5000 + "y": "not checked: no key pattern matches"})
    assert time.monotonic() - started < 5
    [error] = validator.iter_errors({"d": "1x"})
    assert error.message == f"'1x' does not match {duration!r}"


def test_a_crd_pattern_go_cannot_read_makes_the_crd_invalid(tmp_path: Path,
                                                            helm_bin: Path) -> None:
    """The API server compiles a CRD's patterns with Go's regexp, which has no lookahead:
    such a CRD is refused, not used to check its resources with Python's reading; each of
    its resources is a could-not-check error naming the CRD and the pattern."""
    chart = make_repo(tmp_path)
    add_crd(chart, "Rule", "strategy", "                pattern: '^(?=w)warn$'\n",
            [("loud", "warn")])
    report = lint(tmp_path, helm=helm_bin, use_cache=False)
    assert {(e.file, e.policy) for e in report.errors} == {
        ("charts/web/templates/rules.yaml", "could-not-check")}
    assert all("pattern" in e.message and "charts/web/crds/rules.yaml:1" in e.message
               for e in report.errors)


@pytest.fixture(scope="module", params=[3, 4], ids=["helm3", "helm4"])
def either_helm(request: pytest.FixtureRequest) -> Path:
    from platecheck.helmbin import install_helm

    return install_helm(str(request.param))


@pytest.mark.parametrize(("keyword", "value", "accepted"), [
    ({"pattern": "^[a-z]+$"}, "abc\n", False),  # Go's $ is the very end of the text
    ({"pattern": "^[a-z]+$"}, "abc", True),
    ({"pattern": "^[\\w.-]+$"}, "café.example", False),  # Go's \w is ASCII
    ({"pattern": "^\\d+$"}, "\u0661\u0662\u0663", False),  # Go's \d is ASCII
    ({"pattern": "^\\s?x$"}, "\x0bx", False),  # no vertical tab in Go's \s
    ({"multipleOf": 0.01}, 0.07, True),  # 7/100 over 1/100, not float division
    ({"multipleOf": 0.1}, 0.3, True),
    ({"multipleOf": 0.01}, 0.075, False),
    ({"multipleOf": 3}, 10, False),
])
def test_values_schema_keywords_decide_as_helm_does(
        tmp_path: Path, either_helm: Path, keyword: dict[str, Any], value: object,
        accepted: bool) -> None:
    """The value the chart's schema is given, accepted or refused by platecheck exactly when
    the real helm (which validates with Go) accepts or refuses it."""
    import subprocess

    chart = make_repo(tmp_path, values="a: 1\n")
    (chart / "values-prod.yaml").write_text(f"a: 1\nv: {json.dumps(value)}\n", encoding="utf-8")
    (chart / "values.schema.json").write_text(
        json.dumps({"type": "object", "properties": {"v": keyword}}), encoding="utf-8")
    helm = subprocess.run([str(either_helm), "template", "web", str(chart), "--values",
                           str(chart / "values-prod.yaml")], capture_output=True,
                          check=False, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert (helm.returncode == 0) is accepted
    errors = load(tmp_path, helm=either_helm, use_cache=False).errors
    assert (errors == ()) is accepted
    if not accepted:
        assert [(e.file, e.line) for e in errors] == [("charts/web/values-prod.yaml", 2)]
