"""A chart's ``values.schema.json``, checked by platecheck instead of helm.

helm fetches every ``$ref`` of the schema, over the network or from any file of the machine
(``file:///dev/zero`` grows it without bound); so helm runs with ``--skip-schema-validation``
and the merged values are validated here against the same schema, with references limited to
files inside the chart named by an absolute ``file:`` path. A reference anywhere else is a
could-not-check error: Argo CD would fetch it, platecheck does not. A relative reference is
one too: helm resolves it against ``/``, not against the chart, and fails to render the chart
(``_retriever``). ``spec.source.helm.skipSchemaValidation`` turns this check off,
as it turns off helm's. https://helm.sh/docs/topics/charts/#schema-files
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from platecheck.cache import Digest, ResultMemo, check_schema_once, code_digest, json_copy
from platecheck.errors import PlatecheckError
from platecheck.goregex import go_patterns, schema_in_python
from platecheck.model import Chart, KeyPath, MergedValues, Origin, RenderTarget
from platecheck.runmemo import recall
from platecheck.sandbox import SCHEMA_FILE
from platecheck.schema_problems import active_memo
from platecheck.yamlio import MAX_NESTING, read_text

if TYPE_CHECKING:
    from referencing import Registry, Resource


class _Refused(Exception):
    """A reference platecheck does not follow; the message says why."""


def check_values(target: RenderTarget, helm_values: Callable[[], MergedValues],
                 major: int = 3) -> None:
    """Raise ``PlatecheckError`` when the values as helm validates them (``helm_values``:
    ``platecheck.values.merge_values`` keeping nulls) do not meet the chart's schema (at the
    line that set the first failing value) or when the schema cannot be used safely.
    ``major``: helm's, which decides whether ``format`` asserts (``_formats``)."""
    chart = target.chart
    if chart is None or target.skip_schema_validation:
        return
    path = chart.path / SCHEMA_FILE
    if not path.exists() and not path.is_symlink():
        return
    values = helm_values()
    rel = f"{chart.rel}/{SCHEMA_FILE}" if chart.rel != "." else SCHEMA_FILE
    schema, canonical = recall("values schema", (path, rel), lambda: _chart_schema(path, rel))
    _refuse_relative(schema, canonical, path, rel)
    slot = _passed_slot(canonical, values.data, major)
    if slot is not None and slot.memo.get(slot.group, slot.key) == _PASSED:
        return
    from jsonschema import exceptions as schema_errors  # type: ignore[import-untyped]
    from jsonschema import validators
    from referencing import Registry

    refused: list[tuple[str, str]] = []  # (why, the reference) of each one not followed
    read: list[str] = []
    # attrs builds Registry's constructor; mypy does not see its ``retrieve`` argument
    registry: Registry[Any] = Registry(
        retrieve=_retriever(chart.path, refused, read, major))  # type: ignore[call-arg]
    try:
        cls = _validator_class(schema, major)
        check_schema_once(cls, schema, content=canonical)
        validating = cls if major >= 4 or cls.__name__ not in _LATER_DRAFTS \
            else validators.Draft7Validator  # Helm 3 knows no later draft: their keywords
        validator = go_patterns(validating)(schema, registry=registry,  # are ignored
                                            format_checker=_formats(schema, major))
        error = schema_errors.best_match(validator.iter_errors(values.data))
    except schema_errors.SchemaError as exc:
        raise PlatecheckError(f"not a valid JSON schema at {_pointer(exc.path)}; helm refuses "
                              "it too", rel) from None
    except RecursionError:
        if refused:
            raise _refusal(refused[0], path, rel) from None
        raise PlatecheckError("checking this schema recurses deeper than platecheck goes"
                              + (", through its $refs" if "$ref" in canonical else ""),
                              rel) from None
    except Exception as exc:  # noqa: BLE001 - a reference that cannot be resolved
        if refused:
            raise _refusal(refused[0], path, rel) from None
        raise _unresolved(exc, rel) from None
    if error is None:
        if slot is not None and not read:  # a schema of other files: not remembered
            slot.memo.put(slot.group, slot.key, _PASSED)
        return
    where = tuple(error.absolute_path)
    origin = _deleted(target, where, error) or _origin(target, values.origins, where) \
        or Origin(rel, None)
    keys = ".".join(str(key) for key in where) or "(top level)"
    raise PlatecheckError(f"values do not meet the chart's {SCHEMA_FILE} at {keys}: "
                          f"{_oneline(_as_yaml(error))}", origin.file, origin.line)


def _validator_class(schema: Any, major: int) -> Any:
    """The validator of the draft the schema names; of one naming none, the draft helm's
    validator takes: Helm 4's latest (santhosh-tekuri/jsonschema v6 ``draftLatest``:
    2020-12), Helm 3's draft 7 (gojsonschema)."""
    from jsonschema import validators

    return validators.validator_for(schema, default=validators.Draft202012Validator
                                    if major >= 4 else validators.Draft7Validator)


def _chart_schema(path: Path, rel: str) -> tuple[Any, str]:
    """A chart's values schema with Go's regular expressions in Python's terms (helm matches
    with Go's regexp), its patterns checked, and its canonical JSON text. Read once per run
    (``runmemo``): the environments of a chart share it."""
    schema = schema_in_python(_load_json(path, rel))
    return schema, json.dumps(schema, sort_keys=True)


def _load_json(path: Path, rel: str) -> Any:
    """A schema file's JSON, refused when nested deeper than platecheck reads (helm reads up
    to Go's 10,000 levels; checking a schema recurses once or more per level)."""
    _, text = read_text(path, rel)
    try:
        data = json.loads(text)
    except RecursionError:
        data = None  # nested far deeper than the bound below
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise PlatecheckError("not valid JSON", rel, line) from None
    line = _too_deep(text)
    if line is not None:
        raise PlatecheckError(f"JSON nested more than {MAX_NESTING} levels deep; platecheck "
                              "does not read it", rel, line)
    return data


# what nests in JSON text: a string (skipped whole, brackets in it do not count) or a bracket
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{\]}]')


def _too_deep(text: str) -> int | None:
    """The line where ``text``, a JSON document, opens its ``MAX_NESTING + 1``th level."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    depth = 0
    for token in _NESTING.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                return text.count("\n", 0, token.start()) + 1
        elif bracket in ("]", "}"):
            depth -= 1
    return None


# Values that met a schema are remembered (inside ``schema_problems.remembering``) by the schema's
# content and the values' JSON, with the code that decides: a changed run checks again only
# the values or schemas that changed, and imports no jsonschema when none did.
_CODE = ("values_schema.py", "goregex.py", "regexcheck.py")
_PASSED = "passed"


class _Slot(NamedTuple):
    memo: ResultMemo
    group: str
    key: str


def _passed_slot(schema: str, data: Any, major: int = 3) -> _Slot | None:
    """Where passing ``data`` against ``schema`` (its canonical JSON text) with helm ``major``
    is remembered; None when nothing is (no cache, or values JSON does not give back
    exactly)."""
    memo = active_memo()
    code = code_digest(_CODE, ("jsonschema", "referencing")) if memo is not None else None
    exact = json_copy(data) if code is not None else None
    if memo is None or exact is None:
        return None
    group = Digest("values-schema")
    group.extend((str(code), schema, str(major)))
    key = Digest("values")
    key.add(exact[0])
    return _Slot(memo, group.hexdigest(), key.hexdigest())


def _refusal(refused: tuple[str, str], path: Path, rel: str) -> PlatecheckError:
    """A reference not followed, at the line of the schema writing it when one does."""
    why, uri = refused
    try:
        text = read_text(path, rel)[1]
    except PlatecheckError:
        text = ""
    written = re.search(r'"\$ref"\s*:\s*"' + re.escape(uri) + '[#"]', text)
    return PlatecheckError(why, rel, text.count("\n", 0, written.start()) + 1
                           if written is not None else None)


_DATA_KEYWORDS = ("enum", "const", "default", "examples")  # hold values, not schemas


def _relative_ref(schema: Any) -> str | None:
    """The first ``$ref`` of ``schema`` to a relative location (not only a fragment)."""
    if isinstance(schema, list):
        return next((found for item in schema if (found := _relative_ref(item))), None)
    if not isinstance(schema, Mapping):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#") and not urlsplit(ref).scheme:
        return ref.split("#", 1)[0]
    return next((found for key, value in schema.items()
                 if key not in _DATA_KEYWORDS and (found := _relative_ref(value))), None)


def _refuse_relative(schema: Any, canonical: str, path: Path, rel: str) -> None:
    """A relative ``$ref`` anywhere in the schema refused, reached by the values or not:
    helm resolves every reference before it validates (with no ``$id`` to resolve against)."""
    relative = _relative_ref(schema) if '"$id"' not in canonical else None
    if relative is not None:
        raise _refusal((_relative_reason(relative), relative), path, rel)


def _unresolved(exc: Exception, rel: str) -> PlatecheckError:
    """The error of a ``$ref`` the schema's validation could not resolve (``exc``), naming
    it where the exception says which (``#/definitions/x``)."""
    ref = getattr(exc, "ref", None) or getattr(getattr(exc, "_wrapped", None), "ref", None)
    ref = f"#{ref}" if isinstance(ref, str) and ref.startswith("/") else ref  # a pointer
    return PlatecheckError(f"$ref {ref} points at nothing the schema holds; helm cannot "
                           "resolve it either, so the chart does not render"
                           if isinstance(ref, str) else "a $ref cannot be resolved; helm "
                           "cannot resolve it either, so the chart does not render", rel)


def _relative_reason(ref: str) -> str:
    return (f"$ref {ref} is relative: helm resolves it against /, not against the chart, and "
            "cannot load it, so the chart does not render (nor in Argo CD); put what it names "
            "in this schema (under definitions, as #/definitions/...)")


def _retriever(chart: Path, refused: list[tuple[str, str]], read: list[str],
               major: int = 3) -> Any:
    """Reads the chart's own files an absolute ``file:`` ``$ref`` names (into ``read``);
    refuses the rest. helm validates the values against the schema as a document with no
    location (Helm 3's gojsonschema, Helm 4's santhosh-tekuri/jsonschema), so it resolves a
    relative reference against ``/``, not against the chart, and fails: Helm 3.17 with
    "Reference /defs.json#/int must be canonical", Helm 4 with 'failing loading
    "file:///defs.json"'. A ``file://localhost/`` reference is Helm 4's file (its loader
    takes the path alone); Helm 3's opens the relative path ``localhost/...`` and fails."""
    real_chart = Path(os.path.realpath(chart))

    def retrieve(uri: str) -> Resource[Any]:
        parts = urlsplit(uri)
        if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
            refused.append((f"$ref {uri} is not fetched: platecheck reaches no network while "
                            "checking, so this schema cannot be checked", uri))
            raise _Refused(uri)
        if not parts.scheme:
            refused.append((_relative_reason(uri), uri))
            raise _Refused(uri)
        if parts.netloc and major < 4:
            refused.append((f"$ref {uri} names a host: Helm 3 opens localhost{parts.path} as "
                            "a path relative to where it runs, which does not exist, so the "
                            "chart does not render (nor in Argo CD); write file:// and the "
                            "path (file:///...), or put what it names in this schema", uri))
            raise _Refused(uri)
        name = unquote(parts.path)
        real = Path(os.path.realpath(real_chart / name))
        if not real.is_relative_to(real_chart) or ".git" in real.relative_to(real_chart).parts:
            refused.append((f"$ref {uri} leads out of the chart; platecheck does not read it",
                            uri))
            raise _Refused(uri)
        rel = real.relative_to(real_chart).as_posix()
        read.append(rel)
        try:
            contents = schema_in_python(_load_json(real, rel))
        except PlatecheckError as exc:
            refused.append((f"$ref {uri}: {exc.message}", uri))
            raise _Refused(uri) from None
        from referencing import Resource
        from referencing.jsonschema import DRAFT7

        return Resource.from_contents(contents, default_specification=DRAFT7)

    return retrieve


# Drafts after 7: Helm 3's validator (gojsonschema) knows drafts 4, 6 and 7 only, and checks a
# schema naming a later one as draft 7, without the later keywords (dependentRequired...)
_LATER_DRAFTS = ("Draft201909Validator", "Draft202012Validator")
# The drafts whose ``format`` Helm 4's validator asserts (santhosh-tekuri/jsonschema: only
# when the schema names one of them); Helm 3's (gojsonschema) asserts it whatever the draft.
_ASSERTING_DRAFTS = ("draft-04", "draft-06", "draft-07")


def _formats(schema: Any, major: int) -> Any:
    """The formats helm refuses a value for, as far as platecheck can tell them apart without
    refusing what helm accepts (it may accept some that helm refuses: an ``email`` is only
    required to hold an ``@``); None when helm asserts none."""
    declared = str(schema.get("$schema", "")) if isinstance(schema, Mapping) else ""
    if major >= 4 and not any(draft in declared for draft in _ASSERTING_DRAFTS):
        return None
    from platecheck.formats import format_checker

    return format_checker()


def _deleted(target: RenderTarget, where: KeyPath, error: Any) -> Origin | None:
    """A required key a user ``null`` deleted (``key: null`` over the chart's default): that
    line, the last layer's that writes it."""
    if error.validator != "required" or not isinstance(error.instance, Mapping):
        return None
    from platecheck.values import target_layers

    missing = [key for key in error.validator_value if key not in error.instance]
    for layer in reversed(target_layers(target)):
        for key in missing:
            line = layer.lines.get((*where, key))
            if line is not None:
                return Origin(layer.file, line)
    return None


def _as_yaml(error: Any) -> str:
    """jsonschema's message, a ``null`` value named as YAML names it (not ``None``)."""
    message = str(error.message)
    if error.instance is None and message.startswith("None "):
        return "null " + message[len("None "):]
    return message


def _origin(target: RenderTarget, origins: Mapping[KeyPath, Origin], path: tuple[Any, ...]
            ) -> Origin | None:
    """Where the value at ``path`` (or the nearest table above it) was set: by the user or
    the chart's values.yaml (``origins``), else by the defaults of the subchart whose key
    ``path`` starts with."""
    probe: KeyPath = tuple(path)
    from platecheck.dependencies import subchart_values

    subchart = subchart_values(target.chart.path, probe[0], _repository(target.chart)) \
        if target.chart is not None and probe and isinstance(probe[0], str) else None
    while probe:
        if probe in origins:
            return origins[probe]
        if probe[1:2] == ("global",) and ("global", *probe[2:]) in origins:
            return origins[("global", *probe[2:])]  # the parent's, copied into the subchart
        if subchart is not None and probe[1:] in subchart.lines:
            return Origin(subchart.rel, subchart.lines[probe[1:]])
        probe = probe[:-1]
    return None


# How helm names the first value a subchart's schema refuses (it validates those itself):
# "values don't meet the specifications of the schema(s) in the following chart(s):", then
# "<chart>:" and "- <field>: <reason>" (Helm 3: a dotted path, "(root)" for the top) or
# "- at '<JSON pointer>': <reason>" (Helm 4)
_REFUSAL = re.compile(r"in the following chart\(s\):\n([^\n:]+):\n- (?:at '([^']*)'|([^:\s]+)):")


def refused_at(target: RenderTarget, stderr: str) -> Origin | None:
    """Where the value a subchart's schema refused was set, from helm's message; None when
    it names none platecheck can place."""
    found = _REFUSAL.search(stderr)
    chart = target.chart
    if found is None or chart is None:
        return None
    name, pointer, dotted = found.groups()
    if pointer is not None:
        field = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
    else:
        field = [] if dotted == "(root)" else dotted.split(".")
    from platecheck.values import merge_values, target_layers

    keys = _subchart_keys(chart.path, name, _repository(chart)) if name != chart.name else None
    if not keys:
        return None
    path = (*keys, *(int(part) if part.isdigit() else part for part in field))
    return _origin(target, merge_values(target.chart_values, target_layers(target)).origins,
                   path)


def _subchart_keys(chart: Path, name: str, root: Path, depth: int = 0
                   ) -> tuple[str, ...] | None:
    """The values keys of the subchart helm names ``name`` (its alias, else its chart name)
    below ``chart``: ``("kid",)``, or ``("child", "gc")`` for a grandchild of a vendored
    subchart; None when no subchart of that name is found."""
    from platecheck.chartfile import declared
    from platecheck.dependencies import vendored_directory

    try:
        dependencies = declared(chart, root)
    except PlatecheckError:
        return None
    keys = [dep.alias or dep.name for dep in dependencies]
    if name in keys:
        return (name,)
    for key in keys if depth < 4 else ():
        directory = vendored_directory(chart, key, root)
        below = _subchart_keys(directory, name, root, depth + 1) if directory else None
        if below is not None:
            return (key, *below)
    return None


def _repository(chart: Chart) -> Path:
    depth = len(Path(chart.rel).parts) if chart.rel not in ("", ".") else 0
    return Path(*chart.path.parts[:-depth]) if depth else chart.path


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(part) for part in path)


def _oneline(text: str) -> str:
    return " ".join(text.split())[:300]
