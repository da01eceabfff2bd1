"""What helm validates against a chart's values.schema.json holds the nulls it keeps: a
chart's own ``key:`` with no value, and a user ``null`` for a key the chart does not have; a
user ``null`` over a chart's key deletes it. platecheck checks the schema itself (helm is told
to skip it), so each case is held against the real ``helm template``, Helm 3 and Helm 4."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.helmbin import helm_major

STRING = {"type": "string"}

# (name, values.yaml, values-prod.yaml, schema, where platecheck reports it or None)
CASES = [
    ("a chart null meets required", "policy:\n", "{}\n",
     {"required": ["policy"]}, None),
    ("a chart null is not a string", "a: 1\npolicy:\n", "{}\n",
     {"properties": {"policy": STRING}}, ("c/values.yaml", 2)),
    ("a user null for a key the chart lacks is not a string", "a: 1\n", "extra: null\n",
     {"properties": {"extra": STRING}}, ("c/values-prod.yaml", 1)),
    ("a user null deletes the chart's key", "policy: x\n", "policy: null\n",
     {"properties": {"policy": STRING}}, None),
    ("a user null deletes the chart's required key", "policy: x\n", "policy: null\n",
     {"required": ["policy"]}, ("c/values-prod.yaml", 1)),
    ("a nested chart null meets required", "nested:\n  inner:\n", "{}\n",
     {"properties": {"nested": {"required": ["inner"]}}}, None),
    ("a nested user null deletes the chart's key", "nested:\n  inner: x\n",
     "nested:\n  inner: null\n", {"properties": {"nested": {"required": ["inner"]}}},
     ("c/values-prod.yaml", 2)),
    ("a required key nobody writes", "a: 1\n", "{}\n", {"required": ["policy"]},
     ("c/values.schema.json", None)),
]


def _chart(tmp_path: Path, values: str, schema: dict[str, object],
           prod_values: str = "{}\n") -> Path:
    """A chart ``c`` in a repository, its values, prod values and values.schema.json."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    chart = root / "c"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (chart / "values.yaml").write_text(values)
    (chart / "values-prod.yaml").write_text(prod_values)
    (chart / "values.schema.json").write_text(json.dumps(schema))
    return chart


@pytest.fixture
def helm(each_helm: Path) -> Path:
    return each_helm


@pytest.mark.parametrize(("name", "chart_values", "prod_values", "schema", "where"), CASES,
                         ids=[case[0] for case in CASES])
def test_nulls_are_validated_as_helm_validates_them(
        helm: Path, tmp_path: Path, name: str, chart_values: str, prod_values: str,
        schema: dict[str, object], where: tuple[str, int | None] | None) -> None:
    chart = _chart(tmp_path, chart_values, {"type": "object", **schema}, prod_values)
    by_helm = subprocess.run([str(helm), "template", str(chart), "-f",
                              str(chart / "values-prod.yaml")], capture_output=True, text=True,
                             check=False)
    report = lint(chart, helm=helm, environments=["prod"], cache_dir=tmp_path / "cache")
    found = [(e.file, e.line) for e in report.errors]
    assert (by_helm.returncode != 0) == bool(found), by_helm.stderr
    assert found == ([where] if where else [])
    assert all(e.message.startswith("values do not meet the chart's values.schema.json")
               and " None " not in e.message for e in report.errors)


# (format, value): each held against both helms, with no $schema, draft-07 and 2020-12
FORMATS = [
    ("email", "not-an-email"), ("email", "a@b"), ("ipv4", "1.2.3.4"), ("ipv4", "01.2.3.4"),
    ("ipv4", "::ffff:1.2.3.4"), ("ipv4", "1.2.3"), ("ipv6", "::1"), ("ipv6", "fe80::1%eth0"),
    ("ipv6", "1.2.3.4"), ("date", "2024-02-29"), ("date", "2024-02-30"), ("date", "2024-2-01"),
    ("uuid", "12345678-1234-1234-1234-123456789abc"), ("uuid", "123456781234123412341234567890ab"),
    ("hostname", "not a host"),
]
# refused by a helm, accepted by platecheck, which never refuses what helm accepts: Helm 4
# (draft-07) refuses an IPv4-mapped IPv6 address as ipv4, Helm 3 not
WEAKER = {("ipv4", "::ffff:1.2.3.4")}
DRAFTS = {"none": None, "draft-07": "http://json-schema.org/draft-07/schema#",
          "2020-12": "https://json-schema.org/draft/2020-12/schema"}


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_formats_are_asserted_where_helm_asserts_them(helm: Path, tmp_path: Path,
                                                      draft: str) -> None:
    """Helm 3 refuses a value of the wrong ``format`` whatever the draft, Helm 4 only when
    the schema names draft-04, -06 or -07. platecheck refuses it where helm does, for the
    formats it can tell apart (``WEAKER`` aside), and never where helm accepts it."""
    schema: dict[str, object] = {"type": "object", "properties": {
        f"x{index}": {"type": "string", "format": fmt} for index, (fmt, _) in enumerate(FORMATS)}}
    if DRAFTS[draft]:
        schema["$schema"] = DRAFTS[draft]
    chart = _chart(tmp_path, "{}\n", schema)
    disagreements = []
    for index, (fmt, value) in enumerate(FORMATS):
        (chart / "values.yaml").write_text(f"x{index}: {json.dumps(value)}\n")
        (chart / "values-prod.yaml").write_text("{}\n")
        refused = subprocess.run([str(helm), "template", str(chart)], capture_output=True,
                                 check=False).returncode != 0
        report = lint(chart, helm=helm, environments=["prod"], cache_dir=tmp_path / "cache")
        ours = bool(report.errors)
        if ours and not refused or ours != refused and (fmt, value) not in WEAKER:
            disagreements.append((fmt, value, refused, ours))
    assert disagreements == []


# Every format rule (platecheck/formats.py) at its edges: (format, value)
RULES = [
    *(("date-time", v) for v in (
        "2024-01-01T10:00:00Z", "2024-01-01t10:00:00z", "2024-01-01T10:00:00+01:00",
        "2024-01-01T10:00:00,5Z", "2024-01-01", "10:00:00", "2024-01-01T1:00:00Z",
        "2016-12-31T23:59:60Z", "2017-01-01T00:59:60+01:00", "2024-01-01T10:00:00+24:00",
        "2024-01-01 10:00:00Z",
        "2024-13-01T10:00:00Z", "2023-02-29T10:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01T10:00:60Z", "2024-01-01T10:00:00", "2024-01-01T10:00:00.Z",
        "2024-01-01T10:00:00+0100", "2024-1-01T10:00:00Z", "yesterday", "")),
    *(("time", v) for v in ("10:00:00", "10:00:00z", "23:59:60Z", "10:00:00.5", "1:00:00Z",
                            "25:00:00Z", "10:00", "10:00:00 ", "")),
    *(("hostname", v) for v in (
        "example.com", "example.com.", "1.2.3.4", "a" * 63 + ".com",
        ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62]), "a" * 64 + ".com", "-a.com",
        "a-.com", "a_b.com", "a..b", "*.example.com", "bücher.de", "not a host", "")),
    *(("uri", v) for v in (
        "https://example.com", "mailto:a@b", "x:%", "http://a/b c", "http://a/?q=%zz",
        "http://a:99999/", "http://[::1]:80/", "http://[fe80::1%25eth0]/",
        "https://example.com/\\x", "/relative", "//host/path", "1http://a", "http://a/%zz",
        "http://a/#%zz", "http://a/\x01", "http://a b/", "http://user:pa ss@a/",
        "http://a:port/", "http://a:b:c/", "http://[::1/", "http://%zz", "")),
    *(("uri-reference", v) for v in ("relative", "/a b", "?%zz", "", "%", "#%zz", "a\x01")),
    *(("iri", v) for v in ("http://ü/", "x")),
    *(("iri-reference", v) for v in ("ü", "%zz")),
    *(("uri-template", v) for v in ("http://a/{b}", "{{a}}", "a}", "http://a/{b")),
    *(("regex", v) for v in ("\\pL", "(?<n>a)", "(?U)a+", "\\Q(\\E", "(", "a**", "a{1001}",
                             "(?=a)", "\\Z", "x{2,1}")),
    *(("json-pointer", v) for v in ("", "/a~1", "//", "a", "/a~2", "/~")),
    *(("relative-json-pointer", v) for v in ("0/a", "1#", "01/a", "0#x", "-1", "")),
    *(("idn-email", v) for v in ("ab",)),
    *(("idn-hostname", v) for v in ("not a host",)),
    *(("duration", v) for v in ("1d",)),
    *(("email", v) for v in ("@b", "a@")),
]
# refused by one helm only, so passed by platecheck (formats.py): by major
ONE_HELM = {
    3: {("date-time", "2024-01-01t10:00:00z"), ("date-time", "2016-12-31T23:59:60Z"),
        ("date-time", "2017-01-01T00:59:60+01:00"),
        ("time", "10:00:00z"), ("time", "23:59:60Z"), ("hostname", "example.com."),
        ("uri", "https://example.com/\\x"), ("idn-email", "ab"), ("email", "@b")},
    4: {("date-time", "2024-01-01T10:00:00,5Z"), ("date-time", "2024-01-01"),
        ("date-time", "10:00:00"), ("date-time", "2024-01-01T1:00:00Z"),
        ("date-time", "2024-01-01T10:00:00+24:00"), ("time", "10:00:00"),
        ("time", "10:00:00.5"), ("time", "1:00:00Z"),
        ("hostname", ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62])),
        ("uri", "http://[fe80::1%25eth0]/"), ("uri-template", "{{a}}"),
        ("uri-template", "a}"), ("duration", "1d")},
}


def test_each_format_rule_refuses_only_what_helm_refuses(helm: Path, tmp_path: Path) -> None:
    """Each value against the real helm (draft-07, which both majors assert): platecheck
    refuses it exactly when helm does, save the values only the other major refuses."""
    from platecheck.formats import format_checker

    checker = format_checker()
    chart = _chart(tmp_path, "{}\n", {})
    disagreements = []
    for fmt, value in RULES:
        (chart / "values.schema.json").write_text(json.dumps({
            "$schema": DRAFTS["draft-07"], "properties": {"x": {"format": fmt}}}))
        (chart / "values.yaml").write_text(json.dumps({"x": value}))
        refused = subprocess.run([str(helm), "template", str(chart)], capture_output=True,
                                 check=False).returncode != 0
        ours = not checker.conforms(value, fmt)
        expected = refused and (fmt, value) not in ONE_HELM[helm_major(helm)]
        if ours != expected or (fmt, value) in ONE_HELM[helm_major(helm)] and not refused:
            disagreements.append((fmt, value, refused, ours))
    assert disagreements == []


@pytest.mark.parametrize(("values", "keyword"), [
    ("port: 80\n", {"dependentRequired": {"port": ["extra"]}}),
    ("list: [1, x]\n", {"properties": {"list": {"prefixItems": [{"type": "integer"},
                                                               {"type": "integer"}]}}}),
])
def test_later_draft_keywords_are_checked_as_each_helm_checks_them(
        helm: Path, tmp_path: Path, values: str, keyword: dict[str, object]) -> None:
    """A schema naming draft 2020-12: Helm 4 applies its keywords, Helm 3 (which knows
    drafts up to 7) ignores them; platecheck does as the helm it runs does."""
    chart = _chart(tmp_path, values, {"$schema": "https://json-schema.org/draft/2020-12/schema",
                                      "type": "object", **keyword})
    refused = subprocess.run([str(helm), "template", str(chart)], capture_output=True,
                             check=False).returncode != 0
    assert refused == (helm_major(helm) >= 4)
    report = lint(chart, helm=helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert bool(report.errors) == refused


@pytest.mark.parametrize(("values", "keyword"), [
    ("port: 80\n", {"dependentRequired": {"port": ["extra"]}}),
    ("svc: {name: a, extra: 1}\n",  # keywords beside a $ref apply from draft 2019-09
     {"properties": {"svc": {"$ref": "#/$defs/base", "additionalProperties": False}},
      "$defs": {"base": {"type": "object", "properties": {"name": {"type": "string"}}}}}),
])
def test_a_schema_of_no_draft_is_read_as_each_helm_reads_it(
        helm: Path, tmp_path: Path, values: str, keyword: dict[str, object]) -> None:
    """A schema naming no ``$schema``: Helm 4's validator reads it as its latest draft
    (2020-12), Helm 3 as draft 7; platecheck does as the helm it runs does (with Helm 4 it
    read draft 7 and passed what helm refuses)."""
    chart = _chart(tmp_path, values, {"type": "object", **keyword})
    refused = subprocess.run([str(helm), "template", str(chart)], capture_output=True,
                             check=False).returncode != 0
    assert refused == (helm_major(helm) >= 4)
    report = lint(chart, helm=helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert bool(report.errors) == refused


# (pattern, value): Go reads the first two patterns and Python not; Go refuses the last two
PATTERNS = [("^\\p{L}+\\z", "abc"), ("^\\p{L}+\\z", "a1"), ("^(?=a)a", "a"), ("^a{1001}$", "a")]


@pytest.mark.parametrize(("pattern", "value"), PATTERNS)
def test_patterns_are_read_as_go_reads_them(helm: Path, tmp_path: Path, pattern: str,
                                            value: str) -> None:
    """A pattern helm's Go regexp reads applies, one it cannot read makes the schema
    invalid: platecheck refuses the values where helm does, at the values line or at the
    schema."""
    chart = _chart(tmp_path, f"x: {json.dumps(value)}\n",
                   {"properties": {"x": {"type": "string", "pattern": pattern}}})
    refused = subprocess.run([str(helm), "template", str(chart)], capture_output=True,
                             check=False).returncode != 0
    report = lint(chart, helm=helm, environments=["prod"], cache_dir=tmp_path / "cache")
    found = [(e.file, e.line, e.message.split(";")[0]) for e in report.errors]
    assert bool(found) == refused
    if (pattern, value) == PATTERNS[1]:
        assert found == [("c/values.yaml", 1, "values do not meet the chart's values.schema"
                          ".json at x: 'a1' does not match '^\\p{L}+\\z'")]
    elif refused:
        assert found == [("c/values.schema.json", None,
                          "not a valid JSON schema at /properties/x/pattern")]
