"""Schemas (a CRD's, a chart's values.schema.json) are checked against their meta-schema once
per content, not once per run; the markers, like helm's remembered version, live in the cache
root the run was given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from platecheck import schema_validators, schemas
from platecheck.cache import check_schema_once
from platecheck.engine import lint


class Counting:
    """A validator class as far as the check goes: counts its meta-schema checks."""

    checks = 0
    FORMAT_CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER

    @classmethod
    def check_schema(cls, schema: Any, format_checker: Any = None) -> None:
        Counting.checks += 1
        jsonschema.Draft202012Validator.check_schema(schema, format_checker=format_checker)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "cache"))
    Counting.checks = 0
    return tmp_path / "cache"


def test_valid_schema_is_checked_once_per_content(cache: Path) -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object"}}}
    check_schema_once(Counting, schema)
    check_schema_once(Counting, dict(schema))
    assert Counting.checks == 1
    check_schema_once(Counting, {**schema, "required": ["spec"]})
    assert Counting.checks == 2
    assert len(list((cache / "schemas-checked").iterdir())) == 2


def test_invalid_schema_fails_every_time(cache: Path) -> None:
    bad = {"type": "object", "properties": {"spec": {"type": 12}}}
    for _ in range(2):
        with pytest.raises(jsonschema.SchemaError):
            check_schema_once(Counting, bad)
    assert Counting.checks == 2
    assert not (cache / "schemas-checked").exists()


def test_invalid_schema_file_is_still_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "widget-example.com-v1.json"
    path.write_text('{"type": "object", "properties": {"spec": {"type": 12}}}',
                    encoding="utf-8")
    with pytest.raises(schemas.PlatecheckError) as caught:
        schemas._load_custom(path)
    assert caught.value.file == str(path)
    assert "invalid JSON schema" in caught.value.message


CHART_YAML = "apiVersion: v2\nname: schemed\nversion: 0.1.0\n"
VALUES_SCHEMA = '{"type": "object", "properties": {"replicas": {"type": "integer"}}}'
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: schemed\n"


def _chart(root: Path, schema: str) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (root / "values.yaml").write_text("replicas: 1\n", encoding="utf-8")
    (root / "values.schema.json").write_text(schema, encoding="utf-8")
    (root / "templates" / "configmap.yaml").write_text(TEMPLATE, encoding="utf-8")
    return root


def test_values_schema_and_helm_version_are_remembered_in_the_given_cache(
        tmp_path: Path, helm_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platecheck.helmbin import locate

    monkeypatch.setattr(locate, "_versions", {})  # as in a new process
    chart = _chart(tmp_path / "chart", VALUES_SCHEMA)
    given = tmp_path / "given"
    report = lint(chart, helm=helm_bin, cache_dir=given)
    assert report.errors == ()
    assert len(list((given / "schemas-checked").iterdir())) == 1
    assert (given / "helm-versions.json").is_file()
    # nothing under the per-user cache (PLATECHECK_CACHE_DIR, set by the fixture above)
    assert not (tmp_path / "cache").exists()


def test_invalid_values_schema_is_an_error_on_every_run(tmp_path: Path, helm_bin: Path) -> None:
    chart = _chart(tmp_path / "chart", '{"type": "object", "properties": {"replicas": '
                                       '{"type": 12}}}')
    for _ in range(2):
        report = lint(chart, helm=helm_bin, cache_dir=tmp_path / "given", use_cache=False)
        assert report.errors
        assert {(e.file, e.policy) for e in report.errors} == {
            ("values.schema.json", "could-not-check")}


def test_a_given_cache_holds_the_marks_and_the_per_user_cache_stays_the_fallback(
        tmp_path: Path, cache: Path) -> None:
    from platecheck.helmbin import chosen_cache_dir, default_cache_dir, memo_dir

    with chosen_cache_dir(tmp_path / "given"):
        assert memo_dir() == tmp_path / "given"
        # e.g. the Helm 3 that `platecheck setup` installed for kustomize, looked for there
        assert default_cache_dir() == cache
    assert memo_dir() == cache


@pytest.mark.parametrize("path", sorted(schemas.packaged_schema_dir().glob("*.json")),
                         ids=lambda p: p.name)
def test_packaged_schema_meets_its_meta_schema_and_costs_no_check_at_run_time(
        path: Path, cache: Path) -> None:
    import json

    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)  # what a run no longer does for it
    assert schemas._load_custom(path).path == path
    assert not (cache / "schemas-checked").exists()


def test_a_crd_schema_is_checked_once_per_content(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platecheck import cache as cache_module
    from platecheck import metaschema
    from platecheck.errors import PlatecheckError
    from platecheck.model import CrdSchema

    checked: list[Any] = []
    real = metaschema.check_schema

    def counting(cls: Any, schema: Any) -> None:
        checked.append(schema)
        real(cls, schema)

    monkeypatch.setattr(metaschema, "check_schema", counting)
    schema = {"type": "object", "properties": {"spec": {"type": "object"}}}
    for run in range(2):  # two runs: nothing of the first is left in memory
        monkeypatch.setattr(schema_validators, "_CRD_VALIDATORS", {})
        monkeypatch.setattr(cache_module, "_checked_schemas", set())
        crd = CrdSchema("example.com", "v1", f"Widget{run}", schema, "crds/widget.yaml:1")
        assert schema_validators.crd_validator(crd).is_valid({"spec": {}})
    assert checked == [schema]
    broken = CrdSchema("example.com", "v1", "Broken", {"type": 12}, "crds/broken.yaml:1")
    with pytest.raises(PlatecheckError) as caught:
        schema_validators.crd_validator(broken)
    assert "in crds/broken.yaml:1 is not a valid schema at type: " in caught.value.message


def test_a_repository_copy_of_a_packaged_schema_costs_no_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository's schema directory often holds platecheck's own Application schema as it
    is: checked by platecheck's tests, not at run time. Changed by a byte, it is checked."""
    import platecheck.metaschema

    checked: list[Any] = []
    real = platecheck.metaschema.check_schema
    monkeypatch.setattr(platecheck.metaschema, "check_schema",
                        lambda cls, schema: checked.append(schema) or real(cls, schema))
    name = "application-argoproj.io-v1alpha1.json"
    text = (schemas.packaged_schema_dir() / name).read_text(encoding="utf-8")
    (tmp_path / "same").mkdir()
    (tmp_path / "same" / name).write_text(text, encoding="utf-8")
    schemas._load_custom(tmp_path / "same" / name)
    assert checked == []
    (tmp_path / "changed").mkdir()
    (tmp_path / "changed" / name).write_text(text.replace("{", "{ ", 1), encoding="utf-8")
    schemas._load_custom(tmp_path / "changed" / name)
    assert len(checked) == 1
