"""CRD schemas are checked against their meta-schema once per content, not once per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from platecheck import schemas


class Counting:
    """A validator class as far as the check goes: counts its meta-schema checks."""

    checks = 0

    @classmethod
    def check_schema(cls, schema: Any) -> None:
        Counting.checks += 1
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLATECHECK_CACHE_DIR", str(tmp_path / "cache"))
    Counting.checks = 0
    return tmp_path / "cache"


def test_valid_schema_is_checked_once_per_content(cache: Path) -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object"}}}
    schemas._check_once(Counting, schema)
    schemas._check_once(Counting, dict(schema))
    assert Counting.checks == 1
    schemas._check_once(Counting, {**schema, "required": ["spec"]})
    assert Counting.checks == 2
    assert len(list((cache / "schemas-checked").iterdir())) == 2


def test_invalid_schema_fails_every_time(cache: Path) -> None:
    bad = {"type": "object", "properties": {"spec": {"type": 12}}}
    for _ in range(2):
        with pytest.raises(jsonschema.SchemaError):
            schemas._check_once(Counting, bad)
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
