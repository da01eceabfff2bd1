"""Containers request and limit CPU and memory, within the configured ranges.

What:
    Every container and init container of every workload sets ``resources.requests`` and
    ``resources.limits`` for cpu and memory. Each request and limit that is present (for any
    resource) is a valid Kubernetes quantity (``250m``, ``0.5``, ``512Mi``, ``1e3``; not
    ``2GB``), not negative, and a whole number for an extended resource (``nvidia.com/gpu:
    0.5`` is not: the API server refuses all three); a request is not above its limit,
    and for a resource that cannot be overcommitted (an extended resource such as
    ``nvidia.com/gpu``, ``hugepages-*``) it has a limit, equal to it (the API server refuses the
    pod otherwise); and each cpu/memory value lies inside the bounds configured for the
    environment. A request left out where its limit is set is that limit, as Kubernetes defaults
    it (``SetDefaults_Pod``): it is not missing, and the limit is checked against the request
    bounds as well. A LimitRange the same target renders into the container's namespace gives
    what a container leaves out (its ``Container`` limits' ``default`` and ``defaultRequest``,
    and ``max`` and ``min`` where those are left out, as the API server defaults a LimitRange;
    the LimitRanger admission plugin fills them in): set, not missing, and not checked against
    the bounds, but a request above the limit it gives is a finding, and so is a request or
    limit a container sets above its ``max`` or below its ``min``, and a limit more times its
    request than its ``maxLimitRequestRatio`` allows, or no request or limit of a resource it
    sets a ratio for (the API server refuses the pod); a LimitRange only in the cluster is
    not known, nor is what a ``Pod`` item bounds (the sum of the pod's containers). A value
    that is not a quantity, or is negative, is reported once and takes no part in the
    ordering and range checks. The
    containers are image-tag-pinned's (workloads, Argo Rollouts analyses' jobs, Argo Workflows'
    templates, whose ``templateDefaults`` and ``podSpecPatch`` apply), but not Tekton's steps
    (Tekton sizes the pods it runs from them itself); a value an Argo controller fills in at run
    time (``{{...}}``, a ``podSpecPatch`` that is itself one) is set but not checked.

Why:
    Without requests the scheduler packs pods blindly; without limits one container can starve
    a node. A typo such as ``2GB`` is rejected by the API server only when Argo CD syncs,
    and a limit below its request (or, for a gpu, a request without an equal limit) is
    rejected as well. The bounds keep each environment's
    sizing inside what its nodes hold.

Options:
    cpu (mapping, default all null): ``requestMin``, ``requestMax``, ``limitMin``,
        ``limitMax`` as quantity strings, a minimum not above its maximum; null (or absent)
        means no bound. Per-environment options replace the whole mapping.
    memory (mapping, default all null): the same for memory.
    requireRequests (bool, default true): a missing cpu or memory request is a finding (one
        whose limit is set is not missing: it defaults to the limit).
    requireLimits (bool, default true): a missing cpu or memory limit is a finding.
    initContainers (bool, default true): check init containers as well as containers
        (ephemeral containers cannot have resources).

Passes:
    resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
    resources: {limits: {cpu: "1", memory: 512Mi}}  (the requests default to the limits)

Fails:
    resources: {}                                   (nothing set)
    limits: {memory: 2GB}                           (not a quantity: 2G or 2Gi)
    requests: {cpu: 500m}, limits: {cpu: 250m}      (limit below request)
    requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2} (must be equal)
    memory.limitMax: 4Gi with limits: {memory: 8Gi} (above the maximum)
    cpu.requestMax: "2" with limits: {cpu: "3"} and no cpu request (it defaults to "3")
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from platecheck.containers import Container, container_findings, containers, in_template
from platecheck.errors import PlatecheckError
from platecheck.model import Finding, Origin, RenderedTarget
from platecheck.options import OptionError, option
from platecheck.provenance import locate, patched_field
from platecheck.quantity import QuantityError, parse_quantity

ID = "resource-ranges"
SUMMARY = "containers set cpu/memory requests and limits, valid, ordered and within ranges"
SCOPE = "target"
_BOUNDS = ("requestMin", "requestMax", "limitMin", "limitMax")
REMEDIATION = (
    "set resources.requests and resources.limits for cpu and memory with valid quantities "
    "(e.g. cpu: 250m, memory: 512Mi), requests <= limits (equal for an extended resource such "
    "as nvidia.com/gpu), inside this environment's range"
)
_RESOURCES = ("cpu", "memory")
Bound = tuple[Fraction, str]  # exact value, as written in the option
Bounds = Mapping[str, Bound | None]  # requestMin, requestMax, limitMin, limitMax
_KINDS = {"requests": "request", "limits": "limit"}


def _bounds_option(name: str) -> Any:
    return option(parse=lambda value: parse_bounds(name, value),
                  factory=lambda: dict.fromkeys(_BOUNDS))


@dataclass(frozen=True)
class Options:
    cpu: Bounds = _bounds_option("cpu")
    memory: Bounds = _bounds_option("memory")
    require_requests: bool = True
    require_limits: bool = True
    init_containers: bool = True


def check(target: RenderedTarget, options: Options) -> Iterator[Finding]:
    bounds = {"cpu": options.cpu, "memory": options.memory}
    sections = ("containers", "initContainers") if options.init_containers else ("containers",)
    required = [k for k, on in (("requests", options.require_requests),
                                ("limits", options.require_limits)) if on]
    defaults = _limit_range_defaults(target)
    problems = [
        (
            container,
            message,
            (_deleted(target, container) if message.startswith(_MISSING) else None)
            or locate(target, **in_template(container), **where),
        )
        for container in containers(target, sections)
        for message, where in _problems(container, bounds, required, defaults.get(
            container.resource.namespace or target.target.namespace) or {})
    ]
    yield from container_findings(ID, target, problems, separator=": ")


# What a LimitRange gives a container that sets none, by namespace: for limits and for
# requests, each resource's value and the LimitRange giving it; and its bounds (max, min)
_Defaults = dict[str, dict[str, dict[str, tuple[Any, str]]]]


def _limit_range_defaults(target: RenderedTarget) -> _Defaults:
    """By namespace, the container limits and requests the target's LimitRanges give a
    container that sets none, as the API server defaults a LimitRange
    (``SetDefaults_LimitRangeItem``: a limit's default is ``default``, else ``max``; a
    request's ``defaultRequest``, else that limit default, else ``min``), which the
    LimitRanger admission plugin fills in when the pod is created."""
    found: _Defaults = {}
    for resource in target.resources:
        spec = resource.doc.get("spec") if resource.kind == "LimitRange" \
            and resource.api_version == "v1" else None
        items = spec.get("limits") if isinstance(spec, Mapping) else None
        namespace = resource.namespace or target.target.namespace
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, Mapping) or item.get("type") != "Container":
                continue
            given = found.setdefault(namespace, {"requests": {}, "limits": {}, "max": {},
                                                 "min": {}, "ratio": {}})
            for kind, keys in (("limits", ("default", "max")),
                               ("requests", ("defaultRequest", "default", "max", "min")),
                               ("max", ("max",)), ("min", ("min",)),
                               ("ratio", ("maxLimitRequestRatio",))):
                for key in keys:
                    values = item.get(key)
                    for name, value in values.items() if isinstance(values, Mapping) else ():
                        given[kind].setdefault(str(name), (value, resource.ref))
    return found


_MISSING = "sets no "


def _deleted(target: RenderedTarget, container: Container) -> Origin | None:
    """Where a Kustomize patch deleted the container's ``resources``, ``limits`` or
    ``requests`` (a strategic merge ``null``, a JSON patch ``remove``): the line to edit,
    not the base that writes them."""
    resources = container.spec.get("resources")
    absent = [kind for kind in _KINDS if not isinstance(resources, Mapping)
              or not isinstance(resources.get(kind), Mapping)]
    if not target.patches or not absent:
        return None
    return patched_field(target, container.resource, (*absent, "resources"), container.name)


def _problems(
    container: Container,
    bounds: Mapping[str, Mapping[str, Bound | None]],
    required: list[str],
    defaulted: Mapping[str, Mapping[str, tuple[Any, str]]],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(message, locate() keyword arguments) for each problem of one container; what
    ``defaulted`` gives (a LimitRange's defaults) is set, not checked against the bounds,
    but a request above the limit it gives is refused."""
    resources = container.spec.get("resources")
    resources = resources if isinstance(resources, Mapping) else {}
    given = {
        kind: dict(section) if isinstance(section := resources.get(kind), Mapping) else {}
        for kind in _KINDS
    }
    # A missing request is its limit's value (SetDefaults_Pod, pkg/apis/core/v1/defaults.go:
    # "If limits are specified, but requests are not, default requests to limits").
    missing = [
        f"{name} {_KINDS[kind]}"
        for name in _RESOURCES
        for kind in required
        if given[kind].get(name) is None and name not in defaulted.get(kind, ())
        and (kind == "limits" or given["limits"].get(name) is None
             and name not in defaulted.get("limits", ()))
    ]
    if missing:
        yield f"{_MISSING}{_join(missing)}", _at_resources(container, given)

    parsed: dict[tuple[str, str], Fraction] = {}
    yield from _quantities(container, given, parsed)
    yield from _not_overcommitted(container, given, parsed)
    yield from _above_given_limit(container, given, parsed, defaulted.get("limits") or {})
    yield from _outside_limit_range(container, given, parsed, defaulted)
    yield from _ratio_refused(container, given, defaulted)
    for (kind, name), value in parsed.items():
        raw = given[kind][name]
        if kind == "limits" and ("requests", name) in parsed and _overcommit_allowed(name):
            request = parsed["requests", name]
            if value < request:
                yield (
                    f'{name} limit "{raw}" is below its request "{given["requests"][name]}"',
                    _at_value(container, kind, name, raw),
                )
                continue
        checks = [(kind, f'{name} {_KINDS[kind]} "{raw}"')]
        if kind == "limits" and given["requests"].get(name) is None:
            checks.append(("requests", f'{name} request, defaulted to its limit "{raw}",'))
        for checked, subject in checks:
            problem = _out_of_range(bounds.get(name), _KINDS[checked], value, subject)
            if problem is not None:
                yield problem, _at_value(container, kind, name, raw)


def _above_given_limit(container: Container, given: Mapping[str, Mapping[str, Any]],
                       parsed: Mapping[tuple[str, str], Fraction],
                       limits: Mapping[str, tuple[Any, str]]
                       ) -> Iterator[tuple[str, dict[str, Any]]]:
    """A request above the limit a LimitRange gives the container, which sets none: the
    API server refuses the pod (a request must not exceed its limit)."""
    for (kind, name), request in parsed.items():
        if kind != "requests" or given["limits"].get(name) is not None or name not in limits:
            continue
        raw, source = limits[name]
        try:
            limit = parse_quantity(raw)
        except QuantityError:
            continue
        if request > limit:
            yield (f'{name} request "{given["requests"][name]}" is above the limit "{raw}" '
                   f"{source} gives it; the API server refuses the pod",
                   _at_value(container, "requests", name, given["requests"][name]))


def _outside_limit_range(container: Container, given: Mapping[str, Mapping[str, Any]],
                         parsed: Mapping[tuple[str, str], Fraction],
                         bounds: Mapping[str, Mapping[str, tuple[Any, str]]]
                         ) -> Iterator[tuple[str, dict[str, Any]]]:
    """A request or limit the container sets above a LimitRange's ``max`` or below its
    ``min`` for it: the LimitRanger admission plugin refuses the pod (``maxConstraint``,
    ``minConstraint``: "maximum cpu usage per Container is 2, but limit is 4")."""
    for (kind, name), value in parsed.items():
        for side in ("max", "min"):
            if name not in bounds.get(side, {}):
                continue
            raw, source = bounds[side][name]
            try:
                bound = parse_quantity(raw)
            except QuantityError:
                continue
            if value > bound if side == "max" else value < bound:
                word = "above the maximum" if side == "max" else "below the minimum"
                yield (f'{name} {_KINDS[kind]} "{given[kind][name]}" is {word} "{raw}" '
                       f"{source} allows; the API server refuses the pod",
                       _at_value(container, kind, name, given[kind][name]))


def _ratio_refused(container: Container, given: Mapping[str, Mapping[str, Any]],
                   defaulted: Mapping[str, Mapping[str, tuple[Any, str]]]
                   ) -> Iterator[tuple[str, dict[str, Any]]]:
    """A container whose limit of a resource is more times its request than a LimitRange's
    ``maxLimitRequestRatio`` allows, or that has no request or limit of it (none set, none a
    LimitRange gives): the LimitRanger admission plugin refuses the pod
    (``limitRequestRatioConstraint``, comparing thousandths: "cpu max limit to request ratio
    per Container is 4, but provided ratio is 8.000000"). The request and limit are what the
    pod gets: a request left out is its limit (``SetDefaults_Pod``), else the LimitRange's."""
    for name, (raw_ratio, source) in defaulted.get("ratio", {}).items():
        limit = given["limits"].get(name)
        request = given["requests"].get(name)
        request = request if request is not None else limit
        limit = limit if limit is not None else defaulted.get("limits", {}).get(name, (None,))[0]
        if request is None:
            request = defaulted.get("requests", {}).get(name, (None,))[0]
        try:
            ratio, low, high = (None if raw is None else _milli(raw)
                                for raw in (raw_ratio, request, limit))
        except QuantityError:
            continue  # (reported as no quantity)
        at = _at_value(container, "limits", name, limit) if given["limits"].get(name) \
            is not None else _at_resources(container, given)
        bound = f'the maxLimitRequestRatio "{raw_ratio}" {source} sets for {name}'
        if not low or not high:
            yield (f"{name} has no {'request' if not low else 'limit'} (or it is 0), but "
                   f"{bound} needs both; the API server refuses the pod", at)
        elif ratio is not None and high * 1000 > ratio * low:
            yield (f'{name} limit "{limit}" is {float(high / low):g} times its request '
                   f'"{request}", above {bound}; the API server refuses the pod', at)


def _milli(raw: Any) -> int:
    """A quantity's ``MilliValue`` (thousandths, rounded up), as LimitRanger compares."""
    return math.ceil(parse_quantity(raw) * 1000)


def _overcommit_allowed(name: str) -> bool:
    """``helper.IsOvercommitAllowed``: a native resource (no domain, or ``kubernetes.io/``)
    other than hugepages; extended resources such as ``nvidia.com/gpu`` cannot be."""
    return ("/" not in name or "kubernetes.io/" in name) and not name.startswith("hugepages-")


def _extended(name: str) -> bool:
    """``helper.IsExtendedResourceName``: a resource of a domain other than
    ``kubernetes.io`` (``nvidia.com/gpu``), whose quantities ``ValidateResourceQuantityValue``
    requires to be whole numbers."""
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


def _not_overcommitted(container: Container, given: Mapping[str, Mapping[str, Any]],
                       parsed: Mapping[tuple[str, str], Fraction]
                       ) -> Iterator[tuple[str, dict[str, Any]]]:
    """A request of a resource that cannot be overcommitted has a limit, equal to it: the API
    server refuses the pod otherwise."""
    # ValidateContainerResourceRequirements ("must be equal to ... limit", "Limit must be set for
    # non overcommitable resources") in kubernetes pkg/apis/core/validation/validation.go
    for (kind, name), request in parsed.items():
        if kind != "requests" or _overcommit_allowed(name):
            continue
        raw, limit = given["requests"][name], given["limits"].get(name)
        if limit is None:
            yield (f'{name} request "{raw}" has no limit; the API server requires one for '
                   f"{name}, which cannot be overcommitted",
                   _at_value(container, "requests", name, raw))
        elif ("limits", name) in parsed and parsed["limits", name] != request:
            yield (f'{name} request "{raw}" differs from its limit "{limit}"; the API server '
                   f"requires them equal for {name}, which cannot be overcommitted",
                   _at_value(container, "requests", name, raw))


def _out_of_range(limits: Mapping[str, Bound | None] | None, kind: str, value: Fraction,
                  subject: str) -> str | None:
    """What is wrong with ``value`` against the ``kind`` (request or limit) bounds."""
    if limits is None:
        return None
    low, high = limits[f"{kind}Min"], limits[f"{kind}Max"]
    if low is not None and value < low[0]:
        return f'{subject} is below the minimum "{low[1]}"'
    if high is not None and value > high[0]:
        return f'{subject} is above the maximum "{high[1]}"'
    return None


def _quantities(container: Container, given: Mapping[str, Mapping[str, Any]],
                parsed: dict[tuple[str, str], Fraction]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each request and limit given, into ``parsed``; a problem for each one that is no
    Kubernetes quantity or is negative (``ValidateNonnegativeQuantity``: the API server
    refuses both)."""
    for kind, values in given.items():
        for name, raw in values.items():
            if raw is None or container.placeholder(raw):
                continue  # (an Argo template's argument is filled in at run time)
            try:
                quantity = parse_quantity(raw)
            except QuantityError:
                yield (f'{name} {_KINDS[kind]} "{raw}" is not a Kubernetes quantity',
                       _at_value(container, kind, name, raw))
                continue
            if quantity < 0:
                yield (f'{name} {_KINDS[kind]} "{raw}" is negative; the API server refuses it',
                       _at_value(container, kind, name, raw))
                continue
            if _extended(name) and math.ceil(quantity * 1000) % 1000:  # (MilliValue)
                yield (f'{name} {_KINDS[kind]} "{raw}" is not a whole number; the API server '
                       f"refuses a fraction of {name}, an extended resource",
                       _at_value(container, kind, name, raw))
                continue
            parsed[kind, name] = quantity


def _at_resources(container: Container, given: Mapping[str, Mapping[str, Any]]
                  ) -> dict[str, Any]:
    """Where to add what a container's resources lack: the ``resources`` key of the values
    that set what it does set (the last values file writing it); else the container's
    ``resources`` in the template, else its own entry."""
    first = next(((kind, name, raw) for kind, values in given.items()
                  for name, raw in values.items() if raw is not None), None)
    where = {**_at_value(container, *first), "up": 2} if first is not None else {}
    return {**where, "fields": ("resources",)}


def _at_value(container: Container, kind: str, name: str, raw: Any) -> dict[str, Any]:
    return {
        "values": (raw,),
        "keys": (name,),
        "parents": (kind,),
        "context": (container.name,),
        # A quantity such as "1" is common among values: only a cpu or memory key counts.
        "require_key": True,
        "fields": (name, kind, "resources"),
    }


def parse_bounds(name: str, option: Any) -> dict[str, Bound | None]:
    """The ``cpu``/``memory`` option as exact bounds; a bad option stops the check."""
    if option is None:
        option = {}
    if not isinstance(option, Mapping):
        raise PlatecheckError(f"{ID}: option {name} must be a mapping of {', '.join(_BOUNDS)}")
    unknown = [key for key in option if key not in _BOUNDS]
    if unknown:
        raise OptionError(
            f"{ID}: option {name} has unknown key {unknown[0]!r} (known: {', '.join(_BOUNDS)})",
            (unknown[0],),
        )
    bounds: dict[str, Bound | None] = {}
    for key in _BOUNDS:
        value = option.get(key)
        try:
            bounds[key] = None if value is None else (parse_quantity(value), str(value))
        except QuantityError:
            raise OptionError(
                f"{ID}: option {name}.{key} {value!r} is not a Kubernetes quantity", (key,)
            ) from None
    for kind in ("request", "limit"):  # a range no value can be inside
        low, high = bounds[f"{kind}Min"], bounds[f"{kind}Max"]
        if low is not None and high is not None and low[0] > high[0]:
            raise OptionError(
                f"{ID}: option {name}.{kind}Min {low[1]!r} is above {name}.{kind}Max "
                f"{high[1]!r}: no {name} {kind} is inside the range", (f"{kind}Max",)
            )
    return bounds


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("extended-resource-fraction", "extended-resource-request-limit",
         "init-container-without-resources", "limit-below-request",
         "limits-only-requests-default", "memory-2GB", "missing-limits",
         "negative-request", "outside-production-range", "quantity-forms",
         "quantity-space-and-no-digits", "templated-container-name")
