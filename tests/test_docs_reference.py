"""docs/policies.md carries the policy reference the policy modules render
(``python -m platecheck.docs``): a policy's documentation is written once, in its module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from platecheck.docs import BEGIN, END, main, reference, replace_region
from platecheck.options import NoOptions, parse_value, specs, written_default
from platecheck.policies import builtin_level, declarations, registry

POLICIES_MD = Path(__file__).resolve().parent.parent / "docs" / "policies.md"


def test_the_committed_reference_is_what_the_modules_say() -> None:
    text = POLICIES_MD.read_text(encoding="utf-8")
    assert replace_region(text, reference()) == text, (
        "docs/policies.md is out of date: run python -m platecheck.docs --write "
        "docs/policies.md")


@pytest.mark.parametrize("pid", list(registry()))
def test_each_policy_section_has_its_documentation(pid: str) -> None:
    module = registry()[pid]
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", reference(), re.M | re.S))
    section = sections[pid]
    assert module.SUMMARY in section and module.REMEDIATION in section
    assert f"built-in level `{builtin_level(module).value}`" in section
    for name in declarations()[pid].specs:
        assert f"| `{name}` |" in section, f"{pid}: option {name} not in its table"
    for case in module.CASES:
        assert f"`{case}`" in section


def test_write_replaces_the_region_and_nothing_else(tmp_path: Path) -> None:
    page = tmp_path / "policies.md"
    page.write_text(f"# Policies\n\nintro\n\n{BEGIN}\n\nstale text\n\n{END}\n\nafter\n",
                    encoding="utf-8")
    assert main(["--write", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# Policies\n\nintro\n\n{BEGIN}\n\n| ID |")
    assert text.endswith(f"\n{END}\n\nafter\n")
    assert "stale text" not in text and "## waiver-stale" in text


def test_without_write_it_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == reference()


def _as_yaml(value: object) -> object:
    """A value as YAML loads it: tuples are lists."""
    if isinstance(value, (tuple, list)):
        return [_as_yaml(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_yaml(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("pid", list(registry()))
def test_each_shown_default_is_configuration_that_means_the_default(pid: str) -> None:
    """The reference shows an option's default as configuration writes it (``[]``, not the
    ``null`` a list of globs is parsed into): written back, it parses to the default."""
    options = getattr(registry()[pid], "Options", NoOptions)
    defaults = options()
    for spec in specs(options, per_target=True).values():
        written = _as_yaml(written_default(options, spec))
        assert parse_value(spec, written) == getattr(defaults, spec.field), spec.name


def test_a_list_of_globs_defaults_to_an_empty_list() -> None:
    rows = re.findall(r"^\| `allowed(?:Resource)?Differences` \| see below \| `(.*?)` \|",
                      reference(), re.M)
    assert rows == ["[]", "[]"]
