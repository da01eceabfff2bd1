"""The ``helm template`` command line Argo CD builds for a Helm source, as data.

Argo CD's ``util/helm/cmd.go`` (``template``) and ``reposerver/repository/repository.go``
(``helmTemplate``, ``parseKubeVersion``): the chart, ``--name-template``, ``--namespace``,
``--kube-version``, ``--set``, ``--set-string``, ``--set-file``, the value files, the file
holding ``values``/``valuesObject``, ``--api-versions``, ``--include-crds``,
``--skip-schema-validation``, ``--skip-tests`` — in that order. platecheck writes every flag
with its value as one ``--flag=value`` argument (the same to helm's flag parser), so that
nothing taken from a manifest can become a flag of its own.

Parameters are handed to Helm's own ``--set`` parser unchanged; the only thing read here is
what a *simple* name (dotted words) sets, so that a finding can point at the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import KeyPath, RenderTarget, SetArgument

HELM_VERSIONS = ("", "v3", "v4")  # Argo CD's ``helm.version``: "" is its bundled default
SET, SET_STRING, SET_FILE = "--set", "--set-string", "--set-file"

# k8s.io/apimachinery version.ParseGeneric: optional "v", two or more numeric parts; whatever
# follows the numbers (+build, -pre) is dropped.
_GENERIC_VERSION = re.compile(r"^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$", re.DOTALL)
_MAX_SET_FILE = 1 << 20  # bytes of a --set-file read for provenance
MAX_INDEX = 65536  # the largest list index Helm's --set parser takes (strvals MaxIndex)
# what helm accepts as a release name, at most ``MAX_RELEASE`` characters (DNS-1123)
RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_RELEASE = 53


def valid_namespace(name: str) -> bool:
    """A namespace name the API server takes: a DNS-1123 label, at most 63 characters."""
    return len(name) <= 63 and _NAMESPACE.match(name) is not None


_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def chart_release(name: str) -> str:
    """The release name of a chart rendered with no Application (none chose one): the
    chart's name, made one helm accepts where it is not (``cluster_issuer`` renders as
    ``cluster-issuer``)."""
    if len(name) <= MAX_RELEASE and RELEASE_NAME.match(name):
        return name
    release = re.sub(r"[^a-z0-9]+", "-", name.lower())[:MAX_RELEASE].strip("-")
    return release or "release"


def kube_version(value: str) -> str:
    """``--kube-version`` as Argo CD passes it (``parseKubeVersion``): ``v1.30.11+IKS`` ->
    ``1.30.11``; fewer than two numeric parts is an error."""
    if not value:
        return ""
    match = _GENERIC_VERSION.match(value)
    numbers = match.group(1).split(".") if match else []
    if len(numbers) < 2:
        raise PlatecheckError(f"could not parse kubernetes version {value!r}: Argo CD needs "
                              "at least major.minor, e.g. 1.31 or v1.31.2")
    if numbers[0] != "0" and numbers[0].startswith("0"):
        raise PlatecheckError(f"could not parse kubernetes version {value!r}: a zero-prefixed "
                              "major version")
    if any(int(number) >= 2**64 for number in numbers):
        raise PlatecheckError(f"could not parse kubernetes version {value!r}: a part is too "
                              "large")
    return ".".join(str(int(number)) for number in numbers)


def escape_commas(value: str) -> str:
    """Argo CD's ``cleanSetParameters``: every ``,`` not preceded by ``\\`` becomes ``\\,``,
    unless the value is a ``{a,b}`` list."""
    if value.startswith("{") and value.endswith("}"):
        return value
    out: list[str] = []
    previous = ""
    for char in value:
        out.append("\\," if char == "," and previous != "\\" else char)
        previous = char
    return "".join(out)


def unique_last(arguments: Iterable[SetArgument]) -> tuple[SetArgument, ...]:
    """One argument per flag and name, the last one written winning (Argo CD keeps each kind
    in a map keyed by name), in the order the names first appear."""
    kept: dict[tuple[str, str], SetArgument] = {}
    for argument in arguments:
        kept[(argument.flag, argument.name)] = argument
    return tuple(kept.values())


def set_argv(target: RenderTarget) -> list[str]:
    """The ``--set``, ``--set-string`` and ``--set-file`` arguments of ``target``'s
    parameters, in that order, as Argo CD passes them."""
    return [f"{flag}={a.name}={a.value}" for flag in (SET, SET_STRING, SET_FILE)
            for a in target.set_arguments if a.flag == flag]


def template_argv(target: RenderTarget, chart: str, value_files: Sequence[str],
                  extra_values: str | None) -> list[str]:
    """The arguments after ``helm``: ``chart`` and ``value_files`` as given (absolute paths),
    ``extra_values`` the file holding ``values``/``valuesObject`` when there is one."""
    argv = ["template", chart, f"--name-template={target.release_name}"]
    if target.namespace_flag:
        argv.append(f"--namespace={target.namespace}")
    if target.kube_version:
        argv.append(f"--kube-version={target.kube_version}")
    argv.extend(set_argv(target))
    argv.extend(f"--values={path}" for path in value_files)
    if extra_values is not None:
        argv.append(f"--values={extra_values}")
    argv.extend(f"--api-versions={api}" for api in target.api_versions)
    if not target.skip_crds:
        argv.append("--include-crds")
    if target.skip_schema_validation:
        argv.append("--skip-schema-validation")
    if target.skip_tests:
        argv.append("--skip-tests")
    return argv


# -- what a parameter sets, for provenance only ---------------------------------------------


def set_path(name: str) -> KeyPath | None:
    """The key path a ``--set`` name sets, read as Helm's ``strvals`` parser reads it: keys
    split at ``.``, ``\\`` taking the next character as it is (``a\\.b`` is one key), and
    list indexes (``containers[0].image``, ``a[1][2]``, at most ``MAX_INDEX``); None for
    what only Helm's parser decides (``,``, ``=``, an empty key, a bad index)."""
    path: list[str | int] = []
    word: list[str] = []
    after_index = False  # just past a ``]``: a ``.``, a ``[`` or the end must follow
    chars = iter(name)
    for char in chars:
        if after_index and char not in ".[":
            return None
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                return None
            word.append(escaped)
        elif char in ",=":
            return None
        elif char == ".":
            if not after_index and not word:
                return None
            if word:
                path.append("".join(word))
            word, after_index = [], False
        elif char == "[":
            if not word and not after_index:
                return None
            if word:
                path.append("".join(word))
            index = _index(chars)
            if index is None:
                return None
            path.append(index)
            word, after_index = [], True
        else:
            word.append(char)
    if word:
        path.append("".join(word))
    elif not after_index:
        return None
    return tuple(path)


def _index(chars: Iterator[str]) -> int | None:
    """The list index after a ``[`` up to its ``]``, when it is one Helm takes."""
    digits = ""
    for char in chars:
        if char == "]":
            ok = digits.isascii() and digits.isdigit() and int(digits) <= MAX_INDEX
            return int(digits) if ok else None
        digits += char
    return None


def simple_value(argument: SetArgument) -> tuple[bool, Any]:
    """(True, value) for what ``--set``/``--set-string`` gives a plain value after Argo CD's
    comma escaping; (False, None) for a ``{a,b}`` list, which only Helm reads."""
    if argument.value.startswith("{") and argument.value.endswith("}"):
        return False, None
    text = _unescape(argument.value)
    if argument.flag == SET_STRING:
        return True, text
    return True, _typed(text)


def parameter_layer(argument: SetArgument) -> tuple[KeyPath, dict[str, Any]] | None:
    """The key path one argument sets and the values it sets there (lists padded with
    ``None`` up to an index, as Helm pads them), when that can be read without Helm's
    parser (``set_path``, a plain value, a readable --set-file); None otherwise."""
    path = set_path(argument.name)
    if path is None:
        return None
    if argument.flag == SET_FILE:
        if argument.path is None or not argument.path.is_file() \
                or argument.path.stat().st_size > _MAX_SET_FILE:
            return None
        value: Any = argument.path.read_bytes().decode("utf-8", "replace")
    else:
        simple, value = simple_value(argument)
        if not simple:
            return None
    nested: Any = value
    for key in reversed(path):
        nested = {key: nested} if isinstance(key, str) else [None] * key + [nested]
    return path, nested


def _unescape(text: str) -> str:
    out: list[str] = []
    escaped = False
    for char in text:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _typed(text: str) -> Any:
    """Helm strvals ``typedVal``: true/false/null in any case, 0, and integers that do not
    start with 0 become typed values; everything else stays a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and re.fullmatch(r"[+-]?[0-9]+", text):
        number = int(text, 10)
        if -(2**63) <= number < 2**63:
            return number
    return text
