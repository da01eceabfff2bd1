"""A ``Report`` as JSON and back, for the whole-run cache (``platecheck.runcache``).

Every value is written with its type, so a report decodes to equal objects: model dataclasses
by class name (only the classes of ``platecheck.model``; anything else in an entry is refused,
so reading a cache entry never builds an object of any other type), tuples, mappings with
keys of any type, paths (those inside the repository relative to its root, anchored again
on reading), dates, bytes and ``Level``. JSON's own strings, numbers, booleans and null
stand for themselves. An object the report holds in several places (a values file every
target shares, a chart two environments render) is written once; each later place refers to
it by its number (``["ref", N]``: the N-th value written as a list, counted as each one is
finished), and reads back as that one object again.
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

FORMAT = 3  # 2: paths inside the repository stored relative to its root; 3: shared objects once
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
    return {"format": FORMAT, "report": _Encoder(report.root).encode(report)}


def decode_report(data: Any, root: Path) -> Report:
    """The report ``data`` holds, its repository paths anchored at ``root``; ``ValueError``
    when it is not one this version wrote."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a report of this format")
    report = _Decoder(root).decode(data.get("report"))
    if not isinstance(report, Report):
        raise ValueError("not a report")
    return report


class _Encoder:
    """Encodes one report: each object it holds is written once, then referred to."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.numbers: dict[int, int] = {}  # id of an object written -> its number
        self.alive: list[Any] = []  # the objects numbered, so that no id is reused meanwhile

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        number = self.numbers.get(id(value))
        if number is not None:
            return ["ref", number]
        encoded = self._composite(value, kind)
        if type(encoded) is list:  # a value decoding numbers too
            self.numbers[id(value)] = len(self.alive)
            self.alive.append(value)
        return encoded

    def _composite(self, value: Any, kind: type[Any]) -> Any:
        plain = _PLAIN  # plain items are taken as they are, without a call
        encode = self.encode
        names = _FIELDS.get(kind)
        if names is not None:
            fields = {name: getattr(value, name) for name in names}
            return ["object", kind.__name__, {name: item if type(item) in plain
                                              else encode(item)
                                              for name, item in fields.items()}]
        if kind is tuple:
            return ["tuple", [item if type(item) in plain else encode(item) for item in value]]
        if kind is dict:  # parsed YAML mostly
            return ["map", [[k if type(k) in plain else encode(k),
                             v if type(v) in plain else encode(v)]
                            for k, v in value.items()]]
        return self._other(value)

    def _other(self, value: Any) -> Any:
        """Everything but the exact types ``_composite`` handles at once."""
        encode, root = self.encode, self.root
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
            fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return ["object", name, fields]
        if isinstance(value, tuple):
            return ["tuple", [encode(item) for item in value]]
        if isinstance(value, list):
            return ["list", [encode(item) for item in value]]
        if isinstance(value, Mapping):
            return ["map", [[encode(k), encode(v)] for k, v in value.items()]]
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


class _Decoder:
    """Decodes one report, numbering the values it builds as ``_Encoder`` numbered them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: list[Any] = []

    def decode(self, value: Any) -> Any:
        if not isinstance(value, list):
            if value is None or isinstance(value, (bool, str, int, float)):
                return value
            raise ValueError("unexpected value")
        if len(value) == 2 and value[0] == "ref":
            number = value[1]
            if type(number) is not int or not 0 <= number < len(self.built):
                raise ValueError("a reference to nothing written before")
            return self.built[number]
        decoded = self._composite(value)
        self.built.append(decoded)
        return decoded

    def _composite(self, value: list[Any]) -> Any:
        decode = self.decode
        tag, *rest = value
        if tag == "object":
            name, fields = rest
            cls = _CLASSES.get(name)
            if cls is None or not isinstance(fields, dict):
                raise ValueError(f"unknown class {name!r}")
            names = _FIELDS[cls]  # in the order they were written, whatever the JSON's
            if not set(fields) <= set(names):
                raise ValueError(f"unknown fields of {name}")
            return cls(**{key: decode(fields[key]) for key in names if key in fields})
        (payload,) = rest
        decoded: Any
        if tag == "level":
            decoded = Level(payload)
        elif tag == "sourcetype":
            decoded = SourceType(payload)
        elif tag == "tuple":
            decoded = tuple(decode(item) for item in payload)
        elif tag == "list":
            decoded = [decode(item) for item in payload]
        elif tag == "map":
            decoded = {}
            for k, v in payload:
                key = decode(k)
                decoded[key] = decode(v)
        elif tag == "path":
            decoded = Path(payload)
        elif tag == "repopath":
            decoded = self.root / payload if payload != "." else self.root
        elif tag == "datetime":
            decoded = datetime.datetime.fromisoformat(payload)
        elif tag == "date":
            decoded = datetime.date.fromisoformat(payload)
        elif tag == "bytes":
            decoded = base64.b64decode(payload)
        else:
            raise ValueError(f"unknown tag {tag!r}")
        return decoded
