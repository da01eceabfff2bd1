"""A tag or version written as a plain number that Helm prints differently is a finding at
its values line; what Helm prints is checked against the real helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.policies.yaml_hygiene import helm_number_text
from security_helpers import make_repo

pytestmark = pytest.mark.usefixtures("helm_bin")

WRITTEN = ["1.10", "1e3", "2.0", "1.50", "1E10", ".5", "1.23e-7", "1e21", "3.14", "123456.0",
           "1234567.5", "0.0001", "0.00001", "-2.50", "1e5", "1e6"]


def test_what_helm_prints_is_what_the_finding_says(tmp_path: Path) -> None:
    values = "".join(f"v{index}: {text}\n" for index, text in enumerate(WRITTEN))
    data = "".join(f"  v{index}: {{{{ .Values.v{index} | quote }}}}\n"
                   for index in range(len(WRITTEN)))
    make_repo(tmp_path, values=values, data=data)
    [rendered] = load(tmp_path, use_cache=False).rendered
    [configmap] = rendered.resources
    assert configmap.doc["data"] == {f"v{index}": helm_number_text(text)
                                     for index, text in enumerate(WRITTEN)}


@pytest.mark.parametrize(("line", "written", "printed"), [
    ("  tag: 1.10", "1.10", "1.1"),
    ("  tag: 1e3", "1e3", "1000"),
    ("  imageTag: 2.0", "2.0", "2"),
    ("  version: 1.50", "1.50", "1.5"),
])
def test_a_numeric_tag_is_a_finding_at_its_line(tmp_path: Path, line: str, written: str,
                                                printed: str) -> None:
    make_repo(tmp_path, values=f"a: 1\nimage:\n  repository: nginx\n{line}\n")
    findings = [f for f in lint(tmp_path, use_cache=False).findings
                if f.policy == "yaml-hygiene"]
    key = line.split(":")[0].strip()
    assert [(f.file, f.line, f.message) for f in findings] == [
        ("charts/web/values-prod.yaml", 4,
         f'unquoted {key} "{written}" is a number to Helm and is rendered as "{printed}"')]


@pytest.mark.parametrize("line", ['  tag: "1.10"', "  tag: 1.2.3", "  tag: 10", "  tag: 1.1",
                                  "  replicas: 1.10"])
def test_text_tags_and_numbers_that_print_as_written_pass(tmp_path: Path, line: str) -> None:
    make_repo(tmp_path, values=f"a: 1\nimage:\n  repository: nginx\n{line}\n")
    assert [f for f in lint(tmp_path, use_cache=False).findings
            if f.policy == "yaml-hygiene"] == []
