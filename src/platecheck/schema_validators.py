"""The validators of custom resources, as the API server validates them: an absent field is
given its default first, a ``null`` it prunes is no error, ``multipleOf`` is decided as
kube-openapi decides it, patterns are Go's, formats are kube-openapi's (``crd_formats``).
A CRD's schema is checked against its meta-schema once per content, and its validator built
when first used."""

from __future__ import annotations

import copy
import functools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from platecheck import crd_formats, crd_invariants, goregex
from platecheck.cache import check_schema_once, schema_checked
from platecheck.errors import PlatecheckError
from platecheck.model import CrdSchema
from platecheck.quantity import is_quantity
from platecheck.schema_problems import (
    BYTE_FORMAT,
    QUANTITY_FORMAT,
    Validator,
    schema_identity,
)


def _quantity_format(value: object) -> bool:
    # numbers and null are typed by the schema; only strings have a grammar to follow
    return not isinstance(value, str) or is_quantity(value)


@functools.cache
def quantity_checker(*, integers: bool = False) -> Any:
    """The quantity format, and with ``integers`` what the API server's decoding of a
    built-in kind into Go types refuses: a number outside the range of an ``int32`` or
    ``int64`` field ("cannot unmarshal number ... of type int32") and a ``byte`` field
    (a Go ``[]byte``: a Secret's ``data``, a ConfigMap's ``binaryData``, a ``caBundle``) that
    is not base64 ("illegal base64 data"). The bundled schemas name other formats
    (date-time) that it does not enforce the way jsonschema would; a custom resource is not
    decoded into Go types."""
    import jsonschema  # type: ignore[import-untyped]

    checker = jsonschema.FormatChecker(formats=())
    checker.checks(QUANTITY_FORMAT)(_quantity_format)
    if integers:
        for name, bits in INTEGER_FORMATS.items():
            checker.checks(name)(functools.partial(_fits, bits=bits))
        checker.checks(BYTE_FORMAT)(is_go_base64)
    return checker


@functools.cache
def crd_format_checker() -> Any:
    """The formats the API server checks in a custom resource (``crd_formats``), by their
    names without dashes, and the quantity format."""
    import jsonschema

    class CrdFormats(jsonschema.FormatChecker):  # type: ignore[misc]
        def check(self, instance: Any, format: str) -> None:
            if format == QUANTITY_FORMAT:
                super().check(instance, format)
            elif not crd_formats.conforms(instance, format):
                raise jsonschema.exceptions.FormatError(f"{json.dumps(instance)} is not a {format}")

    checker = CrdFormats(formats=())
    checker.checks(QUANTITY_FORMAT)(_quantity_format)
    return checker


# Go's base64.StdEncoding, which encoding/json decodes a []byte with: quanta of four characters
# of the standard alphabet, the last one padded with "="; "\r" and "\n" are skipped anywhere
# (https://pkg.go.dev/encoding/base64#Encoding.Decode); bits left over are not checked
_GO_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def is_go_base64(value: object) -> bool:
    """Whether Go's encoding/json decodes ``value`` into a ``[]byte`` (null and other types
    are the schema's type to judge)."""
    if not isinstance(value, str):
        return True
    return _GO_BASE64.fullmatch(value.replace("\r", "").replace("\n", "")) is not None


INTEGER_FORMATS = {"int32": 32, "int64": 64}


def _fits(value: object, *, bits: int) -> bool:
    # a number helm printed in exponent form (3e+09) is a whole float: its size counts too
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or isinstance(value, float) and not value.is_integer():
        return True
    return bool(-(2 ** (bits - 1)) <= value < 2 ** (bits - 1))


# --- custom resources: nulls the API server prunes ---------------------------------------------


@functools.cache
def custom_resource_class(cls: Any) -> Any:
    """``cls`` validating a custom resource as the API server does: a ``null`` where the
    schema does not allow one (a property, or a value of a map) is pruned, or replaced by the
    field's default, before the resource is validated, so it is no error unless the field is
    required and has no default (Argo CD's ``syncPolicy: {automated: null}``); a null
    where the schema is ``nullable`` is kept, and fails any ``enum`` (kube-openapi's
    ``basicCommonValidator`` matches no enum value, null included, with null). The list
    types and embedded resources are checked as the API server checks them after the schema
    (``crd_invariants``).
    https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#defaulting-and-nullable"""
    import jsonschema

    keywords = cls.VALIDATORS
    patterned = goregex.go_patterns(jsonschema.validators.extend(cls, {
        "properties": _pruning(keywords["properties"], named=True),
        "additionalProperties": _pruning(keywords["additionalProperties"], named=False)}))
    return jsonschema.validators.extend(patterned, {
        "enum": _api_server_enum(keywords["enum"]),
        "multipleOf": _api_server_multiple,
        "x-kubernetes-list-type": crd_invariants.list_type,
        "x-kubernetes-embedded-resource": crd_invariants.embedded_resource})


def custom_resource_validator(cls: Any, schema: Mapping[str, Any], **options: Any) -> Validator:
    """A validator of ``custom_resource_class(cls)`` for ``schema`` that gives each absent
    field its default before validating, as the API server does."""
    return _Defaulting(custom_resource_class(cls)(schema, **options))


class _Defaulting:
    """A validator (its attributes are the wrapped one's) that validates an instance with the
    defaults of its schema applied: the API server defaults a custom resource while decoding
    it, before validation, so a required field that has a default is never missing."""

    def __init__(self, validator: Validator) -> None:
        self._validator = validator

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        yield from self._validator.iter_errors(with_defaults(instance, self._validator.schema))

    def is_valid(self, instance: Any) -> bool:
        return next(self.iter_errors(instance), None) is None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._validator, name)


def with_defaults(value: Any, schema: Any) -> Any:
    """``value`` with the defaults of ``schema`` applied as structural schema defaulting
    applies them (apiextensions-apiserver ``pkg/apiserver/schema/defaulting``): in an object,
    each property that is absent and whose schema has a non-null ``default`` gets a copy of
    it; then every property (a default just given too), every value of ``additionalProperties``
    and every item of a list is defaulted in turn. A ``null`` is left to the pruning of the
    ``properties`` keywords (a default given for a pruned null is no error there)."""
    if not isinstance(schema, Mapping):
        return value
    if isinstance(value, list):
        return [with_defaults(item, schema.get("items")) for item in value]
    if not isinstance(value, dict):
        return value
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    result = dict(value)
    for key, sub in properties.items():
        if key not in result and isinstance(sub, Mapping) and sub.get("default") is not None:
            result[key] = copy.deepcopy(sub["default"])
    extra = schema.get("additionalProperties")
    return {key: with_defaults(item, properties[key] if key in properties else extra)
            for key, item in result.items()}


def _api_server_enum(keyword: Any) -> Any:
    """The ``enum`` keyword ``keyword``, refusing null as kube-openapi does."""

    def check(validator: Any, enums: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if instance is None and isinstance(enums, list) and enums:
            import jsonschema

            yield jsonschema.ValidationError(f"None is not one of {enums!r}")
            return
        yield from keyword(validator, enums, instance, schema)

    return check


def _api_server_multiple(validator: Any, value: Any, instance: Any,
                         schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "number") and validator.is_type(value, "number") \
            and not api_server_multiple(instance, value, schema):
        import jsonschema

        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {value!r}")


def api_server_multiple(number: float, step: float, schema: Mapping[str, Any]) -> bool:
    """Whether the API server finds ``number`` a multiple of ``step`` (kube-openapi's
    ``numberValidator``): an integer, decoded as an int64, against a ``step`` its type can
    hold, as integers, ``step`` cut to an int64 (``multipleOf: 2.5`` checks 2, and 0.5 checks
    0, which no number passes); else as floats, the quotient an integer to within a relative
    1e-9 (go-openapi/swag ``IsFloat64AJSONInteger``)."""
    if step <= 0:
        return False
    fits = schema.get("type") != "integer" or float(step).is_integer()
    if isinstance(number, int) and fits:
        whole = int(step)  # Go's int64(): toward zero
        return whole > 0 and number % whole == 0
    quotient = 1 / step * number if step < 1 else number / step
    if not math.isfinite(quotient) or abs(quotient) > 2 ** 53 - 1:
        return False
    rounded = math.copysign(math.floor(abs(quotient) + 0.5), quotient)  # Go's math.Round
    if quotient == rounded:
        return True
    return rounded != 0 and abs(quotient - rounded) < 1e-9 * abs(rounded)


def _pruning(keyword: Any, *, named: bool) -> Any:
    """The ``properties`` (``named``) or ``additionalProperties`` keyword of ``keyword``,
    applied to the object without the nulls the API server prunes."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not isinstance(instance, dict) or None not in instance.values():
            yield from keyword(validator, value, instance, schema)
            return
        pruned = {key for key, item in instance.items() if item is None
                  and _prunes_null(validator, _subschema(value, schema, key, named))}
        required = schema.get("required") if named else None
        kept = {key: item for key, item in instance.items() if key not in pruned}
        for key in sorted(pruned & set(required or ()), key=str):
            sub = _subschema(value, schema, key, named)
            if not (isinstance(sub, dict) and "default" in sub):
                import jsonschema

                yield jsonschema.ValidationError(
                    f"{key!r} is a required property", validator="required",
                    validator_value=[key], instance=kept, schema=schema)
        yield from keyword(validator, value, kept, schema)

    return check


def _subschema(value: Any, schema: Any, key: str, named: bool) -> Any:
    """The schema a property ``key`` is validated against by this keyword (None: none)."""
    if named:
        return value.get(key) if isinstance(value, dict) else None
    properties = schema.get("properties")
    if isinstance(properties, dict) and key in properties:
        return None  # a named property: the properties keyword's
    return value if isinstance(value, dict) else None


def _prunes_null(validator: Any, subschema: Any) -> bool:
    """Whether the API server drops a ``null`` validated against ``subschema``: it has a
    schema there that does not accept null, and is not ``nullable``."""
    if isinstance(subschema, dict) and subschema.get("nullable") is True:
        return False
    return subschema is not None and next(validator.descend(None, subschema), None) is not None


class LazyValidator:
    """A validator of a schema already known to be valid, built when first used (its
    attributes are the built validator's)."""

    def __init__(self, build: Callable[[], Validator]) -> None:
        self._build = build
        self._built: Validator | None = None

    def __getattr__(self, name: str) -> Any:
        if self._built is None:
            self._built = self._build()
        return getattr(self._built, name)


_CRD_VALIDATORS: dict[int, tuple[CrdSchema, Validator, str | None]] = {}


def crd_validator(crd: CrdSchema) -> Validator:
    """A validator for a CRD's schema, built once per schema object."""
    return crd_schema(crd)[0]


def crd_schema(crd: CrdSchema) -> tuple[Validator, str | None]:
    """A CRD's validator and its identity (see FoundSchema)."""
    cached = _CRD_VALIDATORS.get(id(crd))
    if cached is not None and cached[0] is crd:
        return cached[1], cached[2]
    schema = goregex.schema_in_python(crd.schema)  # the API server reads Go's patterns
    described = f"the openAPIV3Schema of {crd.kind} ({crd.group}/{crd.version}) in {crd.source}"
    content = json.dumps(schema, sort_keys=True)

    def build() -> Validator:
        import jsonschema

        cls = jsonschema.Draft202012Validator
        return custom_resource_validator(cls, schema, format_checker=crd_format_checker())

    validator: Validator = LazyValidator(build)  # checked already: built when first used
    if not schema_checked("Draft202012Validator", schema, content=content):
        import jsonschema

        try:
            check_schema_once(jsonschema.Draft202012Validator, schema, content=content)
        except jsonschema.SchemaError as exc:
            where = ".".join(str(p) for p in exc.path) or "<root>"
            raise PlatecheckError(f"{described} is not a valid schema at {where}: "
                                  f"{exc.message}", *_source_location(crd.source)) from None
        validator = build()
    identity = schema_identity("crd", content)
    _CRD_VALIDATORS[id(crd)] = (crd, validator, identity)
    return validator, identity


def _source_location(source: str) -> tuple[str | None, int | None]:
    """The file and line of a CRD's ``source`` ("charts/x/crds/a.yaml:3", "templates/crd.yaml
    (rendered by prod/x)"); (None, None) for a render's output without a template."""
    where = source.split(" (rendered by ", 1)[0]
    if where == "its output":
        return None, None
    file, colon, line = where.rpartition(":")
    return (file, int(line)) if colon and line.isdigit() else (where, None)
