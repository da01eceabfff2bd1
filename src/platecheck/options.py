"""Policy options: each policy declares them as a frozen dataclass, parsed once at load.

A field of the dataclass is an option. Its name in ``policies/platecheck.yaml`` is the
field's name in camelCase (``floating_tags`` -> ``floatingTags``) unless ``option(name=...)``
gives another. The field's type says how a value is checked and converted:

- ``bool``, ``int``, ``float`` (finite), ``str``, ``str | None``, ``int | None``;
- ``tuple[str, ...]``: a list of strings (a single string is a list of one);
- ``re.Pattern[str] | None``: a regular expression, compiled (``""`` is None);
- ``tuple[re.Pattern[str], ...]``: a list of them;
- anything else: ``option(parse=...)``, a function from the YAML value to the field's value
  that raises ``PlatecheckError`` (or ``ValueError``) with a message; ``OptionError`` with
  ``at`` for an item or key of the value, whose line the error then names. When the parsed
  default reads differently from what configuration would write (``None`` for ``[]``),
  ``option(parse=..., written=[])`` gives it as written: the default is its parse, and the
  policy reference shows it as written.

A repository-wide policy's option is read per environment only when declared
``option(per_environment=True)``; every option of a per-target policy is. Configuration
(``platecheck.config``) calls ``parse_value`` for each value it reads, so a bad value fails
before anything renders, as one line with the file and line.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from platecheck.errors import PlatecheckError
from platecheck.model import KeyPath, Level
from platecheck.regexcheck import nested_quantifier
from platecheck.yamlio import type_name

T = TypeVar("T")
Parse = Callable[[Any], Any]


_UNWRITTEN = object()


def option(default: Any = None, *, name: str | None = None, parse: Parse | None = None,
           per_environment: bool = False, factory: Callable[[], Any] | None = None,
           written: Any = _UNWRITTEN, environments: bool = False) -> Any:
    """A field of an options dataclass, with what configuration needs to read it;
    ``written``: the default as configuration writes it (the default is ``parse(written)``);
    ``environments``: every text in the value names a configured environment."""
    metadata = {"name": name, "parse": parse, "per_environment": per_environment,
                "environments": environments}
    if written is not _UNWRITTEN and parse is not None:
        metadata["written"] = written
        default = parse(written)
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


class OptionError(PlatecheckError):
    """A value an option's parser refuses, its message shown as it is; ``at``: the key path
    below the option of the item or key at fault (``()``: the value itself), whose line
    configuration points at."""

    def __init__(self, message: str, at: KeyPath = ()) -> None:
        super().__init__(message)
        self.at = at


class OptionValueError(OptionError):
    """A value of the wrong type for its option (the message says what it must be)."""


@dataclass(frozen=True)
class PolicyDeclaration:
    """What configuration knows of a policy: its id, built-in level, scope and options."""

    id: str
    level: Level
    scope: str  # "target", "repo" or "waivers"
    options: type[Any]  # a frozen dataclass whose fields are the options

    @property
    def specs(self) -> dict[str, OptionSpec]:
        return specs(self.options, self.scope == "target")


@dataclass(frozen=True)
class OptionSpec:
    """One option as configuration reads it."""

    field: str  # the dataclass field
    name: str  # the key in the configuration
    parse: Parse  # YAML value -> field value; raises PlatecheckError or ValueError
    per_environment: bool
    environments: bool = False  # its texts name configured environments


@dataclass(frozen=True)
class PolicyOptions(Generic[T]):
    """A policy's options after configuration: defaults overridden by the repository's
    settings, then by per-environment settings."""

    default: T
    per_environment: Mapping[str, T] = field(default_factory=dict)

    def for_env(self, environment: str | None) -> T:
        if environment is None or environment not in self.per_environment:
            return self.default
        return self.per_environment[environment]


@dataclass(frozen=True)
class NoOptions:
    """The options of a policy that has none."""


def parse_options(options: type[T], raw: Mapping[str, Any], base: T | None = None) -> T:
    """``base`` (default: the defaults) with the configuration-style mapping ``raw``
    (``{"floatingTags": [...]}``) parsed over it; PlatecheckError on an unknown option or
    a bad value."""
    known = specs(options, per_target=True)
    values = {}
    for name, value in raw.items():
        if name not in known:
            raise PlatecheckError(f"unknown option {name!r} (known: {', '.join(known) or 'none'})")
        values[known[name].field] = parse_value(known[name], value)
    start = base if base is not None else options()
    return dataclasses.replace(start, **values)  # type: ignore[type-var]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def specs(options: type[Any], per_target: bool) -> dict[str, OptionSpec]:
    """Configuration key -> spec, for every field of an options dataclass."""
    if not dataclasses.is_dataclass(options):
        return {}
    hints = typing.get_type_hints(options)
    result = {}
    for item in dataclasses.fields(options):
        meta = item.metadata
        name = meta.get("name") or camel(item.name)
        parse = meta.get("parse") or _parser(hints[item.name])
        result[name] = OptionSpec(item.name, name, parse,
                                  per_target or bool(meta.get("per_environment")),
                                  bool(meta.get("environments")))
    return result


def written_default(options: type[Any], spec: OptionSpec) -> Any:
    """An option's default as configuration writes it."""
    item = next(f for f in dataclasses.fields(options) if f.name == spec.field)
    if "written" in item.metadata:
        return item.metadata["written"]
    return getattr(options(), spec.field)


def parse_value(spec: OptionSpec, value: Any) -> Any:
    """The field value of ``value``; PlatecheckError with a message (no location) if bad."""
    try:
        return spec.parse(value)
    except PlatecheckError:
        raise
    except (ValueError, TypeError) as exc:
        raise PlatecheckError(f"option {spec.name!r}: {exc}") from None


def _parser(hint: Any) -> Parse:
    optional = _optional(hint)
    if optional is not None:
        inner = _parser(optional)
        return lambda value: None if value is None else inner(value)
    if hint is bool:
        return _typed(bool, lambda v: isinstance(v, bool))
    if hint is int:
        return _typed(int, lambda v: isinstance(v, int) and not isinstance(v, bool))
    if hint is float:
        return _typed(float, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                      and math.isfinite(v), float)
    if hint is str:
        return _typed(str, lambda v: isinstance(v, str))
    if hint == re.Pattern[str]:
        return compile_regex
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _parser(args[0])
        return lambda value: tuple(_item(item, index, v)
                                   for index, v in enumerate(_as_list(value, args[0])))
    raise TypeError(f"option type {hint!r} needs option(parse=...)")


def _optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


def _typed(kind: type, ok: Callable[[Any], bool], convert: Callable[[Any], Any] | None = None
           ) -> Parse:
    want = {"bool": "true or false", "int": "an integer", "float": "a number",
            "str": "a string"}[kind.__name__]

    def parse(value: Any) -> Any:
        if not ok(value):
            raise OptionValueError(f"must be {want}, found {type_name(value)}")
        return convert(value) if convert else value

    return parse


def _item(parse: Parse, index: int, value: Any) -> Any:
    """``parse(value)`` of a list's item at ``index``: an error is at the item's line."""
    try:
        return parse(value)
    except OptionError as exc:
        raise type(exc)(exc.message, (index, *exc.at)) from None
    except PlatecheckError as exc:
        raise OptionError(exc.message, (index,)) from None


def _as_list(value: Any, item: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        what = "strings" if item is str else "regular expressions"
        raise OptionValueError(f"must be a list of {what}, found {type_name(value)}")
    return value


def compile_regex(value: Any) -> re.Pattern[str] | None:
    """A regular expression option, compiled; ``""`` is None (no pattern)."""
    if not isinstance(value, str):
        raise OptionValueError(f"must be a regular expression, found {type_name(value)}")
    if not value:
        return None
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise PlatecheckError(f"invalid regular expression {value!r}: {exc}") from None
    if nested_quantifier(value):
        raise PlatecheckError(
            f"regular expression {value!r} repeats a group that itself repeats, which can take "
            "exponential time; use a possessive quantifier (a++) or an atomic group (?>...) "
            "inside")
    return pattern
