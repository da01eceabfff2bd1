"""A ``Report`` as JSON and back, for the whole-run cache (``platecheck.runcache``).

Every value is written with its type, so a report decodes to equal objects: model dataclasses
by class name (only the classes of ``platecheck.model``; anything else in an entry is refused,
so reading a cache entry never builds an object of any other type), tuples, mappings with
keys of any type, paths (those inside the repository relative to its root, anchored again
on reading), dates, bytes and ``Level``. JSON's own strings, numbers, booleans and null
stand for themselves.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck import model
from platecheck.model import Level, Report, SourceType

FORMAT = 2  # 2: paths inside the repository stored relative to its root
_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in vars(model).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__
}


# the exact types encoded without looking further: JSON's own, and the model's dataclasses by
# their fields in declaration order (what ``dataclasses.fields`` gives)
_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _CLASSES.values()}


def encode_report(report: Report) -> dict[str, Any]:
    """``report`` as JSON, every path inside its repository relative to the repository root:
    the entry holds no location of the checkout, and reads the same from another copy."""
    return {"format": FORMAT, "report": _encode(report, report.root)}


def decode_report(data: Any, root: Path) -> Report:
    """The report ``data`` holds, its repository paths anchored at ``root``; ``ValueError``
    when it is not one this version wrote."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a report of this format")
    report = _decode(data.get("report"), root)
    if not isinstance(report, Report):
        raise ValueError("not a report")
    return report


def _encode(value: Any, root: Path) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    plain = _PLAIN  # plain items are taken as they are, without a call
    names = _FIELDS.get(kind)
    if names is not None:
        fields = {name: getattr(value, name) for name in names}
        return ["object", kind.__name__, {name: item if type(item) in plain
                                          else _encode(item, root)
                                          for name, item in fields.items()}]
    if kind is tuple:
        return ["tuple", [item if type(item) in plain else _encode(item, root)
                          for item in value]]
    if kind is dict:  # parsed YAML mostly
        return ["map", [[k if type(k) in plain else _encode(k, root),
                         v if type(v) in plain else _encode(v, root)]
                        for k, v in value.items()]]
    return _encode_other(value, root)


def _encode_other(value: Any, root: Path) -> Any:
    """Everything but the exact types ``_encode`` handles at once."""
    if value is None or isinstance(value, (bool, str, int, float)) and not isinstance(
            value, (Level, SourceType)):
        return value
    if isinstance(value, Level):
        return ["level", value.value]
    if isinstance(value, SourceType):
        return ["sourcetype", value.value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _CLASSES.get(name) is not type(value):
            raise TypeError(f"cannot encode {name}")
        fields = {f.name: _encode(getattr(value, f.name), root)
                  for f in dataclasses.fields(value)}
        return ["object", name, fields]
    if isinstance(value, tuple):
        return ["tuple", [_encode(item, root) for item in value]]
    if isinstance(value, list):
        return ["list", [_encode(item, root) for item in value]]
    if isinstance(value, Mapping):
        return ["map", [[_encode(k, root), _encode(v, root)] for k, v in value.items()]]
    if isinstance(value, Path):
        if value.is_absolute() and value.is_relative_to(root):
            return ["repopath", value.relative_to(root).as_posix()]
        return ["path", str(value)]
    if isinstance(value, datetime.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["date", value.isoformat()]
    if isinstance(value, bytes):
        return ["bytes", base64.b64encode(value).decode("ascii")]
    raise TypeError(f"cannot encode {type(value).__name__}")


def _decode(value: Any, root: Path) -> Any:
    if not isinstance(value, list):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        raise ValueError("unexpected value")
    tag, *rest = value
    if tag == "object":
        name, fields = rest
        cls = _CLASSES.get(name)
        if cls is None or not isinstance(fields, dict):
            raise ValueError(f"unknown class {name!r}")
        return cls(**{key: _decode(item, root) for key, item in fields.items()})
    (payload,) = rest
    decoded: Any
    if tag == "level":
        decoded = Level(payload)
    elif tag == "sourcetype":
        decoded = SourceType(payload)
    elif tag == "tuple":
        decoded = tuple(_decode(item, root) for item in payload)
    elif tag == "list":
        decoded = [_decode(item, root) for item in payload]
    elif tag == "map":
        decoded = {_decode(k, root): _decode(v, root) for k, v in payload}
    elif tag == "path":
        decoded = Path(payload)
    elif tag == "repopath":
        decoded = root / payload if payload != "." else root
    elif tag == "datetime":
        decoded = datetime.datetime.fromisoformat(payload)
    elif tag == "date":
        decoded = datetime.date.fromisoformat(payload)
    elif tag == "bytes":
        decoded = base64.b64decode(payload)
    else:
        raise ValueError(f"unknown tag {tag!r}")
    return decoded
