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
# refused by a helm, accepted by platecheck, which never refuses what helm accepts: hostname
# is not asserted; Helm 4 (draft-07) refuses an IPv4-mapped IPv6 address as ipv4, Helm 3 not
WEAKER = {("hostname", "not a host"), ("ipv4", "::ffff:1.2.3.4")}
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
