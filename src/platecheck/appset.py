"""ApplicationSets of plain ``list`` generators: expanded into their Applications as the
ApplicationSet controller expands them, so each is checked.

https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-List/ :
each element's keys (its ``values`` map's as ``values.key``) replace ``{{key}}`` (spaces
inside the braces allowed) in every string of the template; an unknown key stays as written;
a null value of a mapping is dropped (argo-cd ``applicationset/utils`` ``deeplyReplace``). The
Application is created in the ApplicationSet's namespace, whatever the template's
``metadata.namespace`` says (``applicationset/controllers/template`` ``GenerateApplications``).
An element that leaves the name empty makes the one Application the controller refuses
(``validateGeneratedApplications``); it creates the others.
Git generators of this repository are read by ``appset_git``; several generators, a matrix
of two and a merge are combined by ``appset_generators``, with this module's template filling.

With ``goTemplate: true`` (``goTemplateOptions`` none or ``missingkey`` options) a set whose
every string of its template (keys too) ``gotemplate`` reads is expanded too: each string
executed as Go's text/template executes it, with the sprig and Argo CD functions platecheck
implements, over the element as written (its numbers float64): a missing key prints
``<no value>`` (``missingkey=zero``: the zero value), or with ``missingkey=error`` fails the
set, as a field of a string or of null, an index out of range or a function given a value of
the wrong type do; a value prints as fmt's ``%v`` prints it. A Go template of a function,
verb or value platecheck does not execute exactly (``gotemplate.Unsupported``),
``elementsYaml`` and every other generator are left to Argo CD: the ApplicationSet is
reported as not expanded. A ``templatePatch`` is applied to each Application by
``appset_patch``.
Any ApplicationSet whose template holds a string where its CRD types the field otherwise
(``prune: '{{.prune}}'``) is refused by the API server and creates nothing (``crd_typed``).
"""

from __future__ import annotations

import enum
import fnmatch
import functools
import json
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from platecheck.errors import PlatecheckError
from platecheck.globs import path_match
from platecheck.lazymodule import LazyModule
from platecheck.model import KeyPath, Origin
from platecheck.yamlio import Document, line_of

if TYPE_CHECKING:
    from platecheck import gotemplate
else:
    gotemplate = LazyModule("platecheck.gotemplate")

# Argo CD's isTemplatedRegex (".*{{.*}}.*"): a string with a tag on one line is a template
_TEMPLATED = re.compile(r"\{\{.*\}\}")


class _Unterminated(Exception):
    """A ``{{`` with no ``}}`` after it in a template string: the key path of that string."""

    def __init__(self, path: tuple[Any, ...]) -> None:
        super().__init__(path)
        self.path = path


class _GoFailed(Exception):
    """A Go template string whose execution fails: its key path, text and Go's error."""

    def __init__(self, path: tuple[Any, ...], text: str, message: str) -> None:
        super().__init__(path)
        self.path, self.text, self.message = path, text, message


class Language(enum.Enum):
    """How a set's template strings are filled: fasttemplate's ``{{key}}`` tags, or Go's
    text/template (``goTemplate: true``), its value the option ``missingkey`` it runs with
    (the last of ``goTemplateOptions``, as ``Template.Option`` sets them in turn)."""

    FASTTEMPLATE = ""
    GO = "invalid"
    GO_MISSINGKEY_ZERO = "zero"
    GO_MISSINGKEY_ERROR = "error"


# text/template's options: ``default`` is ``invalid``; any other text makes Option panic
_MISSINGKEY = {"missingkey=default": Language.GO, "missingkey=invalid": Language.GO,
               "missingkey=zero": Language.GO_MISSINGKEY_ZERO,
               "missingkey=error": Language.GO_MISSINGKEY_ERROR}


def template_language(spec: Mapping[str, Any], more: Iterable[str] = ()) -> Language | None:
    """The language of the ApplicationSet ``spec``'s template; None for a Go template
    platecheck does not read (``template_problem``)."""
    if not spec.get("goTemplate"):
        return Language.FASTTEMPLATE
    if template_problem(spec, more) is not None:
        return None
    return _MISSINGKEY[spec["goTemplateOptions"][-1]] if spec.get("goTemplateOptions") else (
        Language.GO)


def template_problem(spec: Mapping[str, Any], more: Iterable[str] = ()) -> str | None:
    """What platecheck does not read of the Go template of the ApplicationSet ``spec``:
    ``goTemplateOptions`` other than ``missingkey`` options text/template knows, or a string
    of the template (a key too) or of ``more`` that ``gotemplate`` does not parse (its
    problem)."""
    if not spec.get("goTemplate"):
        return None
    options = spec.get("goTemplateOptions") or []
    if spec.get("goTemplate") is not True or not isinstance(options, list) or any(
            not isinstance(o, str) or o not in _MISSINGKEY for o in options):
        return f"goTemplate {spec.get('goTemplate')!r} with goTemplateOptions {options!r}"
    for text in (*_strings(spec.get("template")), *more):
        problem = gotemplate.parse_problem(text)
        if problem is not None:
            shown = text if len(text) <= 60 else text[:57] + "..."
            return f"the Go template {shown!r}: {problem}"
    return None


# a tag that is a Go template action (a field, a variable, a parenthesized pipeline, a
# control word or function, or words, strings and pipes apart: ``trimPrefix "v" .rev``):
# fasttemplate has no parameter of such a key (it trims the tag's spaces only) and leaves
# the tag as written
_GO_ACTION_TAG = re.compile(
    r"\{\{-?\s*(?:[.$(]|(?:if|range|with|else|end|printf|index|default|lower|upper)\b"
    r"|[^{}\s]+(?:\s*[\"`|(]|\s+[^{}\s]))[^{}]*\}\}")
# the template's fields that name something (a Go action there cannot be meant for a chart's
# own tpl, as one in Helm values may)
_NAMING_FIELDS = (("metadata", "name"), ("spec", "project"), ("spec", "destination", "server"),
                  ("spec", "destination", "name"), ("spec", "destination", "namespace"))
_SOURCE_NAMING_FIELDS = ("repoURL", "path", "chart", "targetRevision")


def go_action_unfilled(spec: Mapping[str, Any]) -> tuple[KeyPath, str] | None:
    """Of the ApplicationSet ``spec`` without ``goTemplate``, the path of the first naming
    field of its template (the name, project, destination, a source's repository, path,
    chart or revision) that holds a Go template action, with that action: fasttemplate leaves
    it as written (``Render.Replace``), so the Application gets the action's text."""
    template = spec.get("template")
    if spec.get("goTemplate") or not isinstance(template, Mapping):
        return None
    strings = dict(_located_strings(template, ()))  # (a key's text, then its value's)
    paths = [*_NAMING_FIELDS, *(path for path in strings if path[-1] in _SOURCE_NAMING_FIELDS
                                and (path[:-1] == ("spec", "source") or len(path) == 4
                                     and path[:2] == ("spec", "sources")))]
    for path in paths:
        value = strings.get(path)
        match = _GO_ACTION_TAG.search(value) if isinstance(value, str) else None
        if match is not None:
            return path, match.group(0)
    return None


def go_refused(document: Document, rel: str) -> PlatecheckError | None:
    """Go's refusal to parse a string of the ``goTemplate`` set ``document``'s template (a
    key too) or its ``templatePatch`` (``gotemplate.go_refusal``): Argo CD's
    ``Render.Replace`` fails ("failed to parse template") and the set creates none of its
    Applications, whatever its options; at the string's line."""
    spec = document.data.get("spec")
    if not isinstance(spec, Mapping) or spec.get("goTemplate") is not True:
        return None
    written = [*_located_strings(spec.get("template"), ("spec", "template")),
               *_located_strings(spec.get("templatePatch"), ("spec", "templatePatch"))]
    for path, text in written:
        problem = gotemplate.go_refusal(text)
        if problem is not None:
            shown = text if len(text) <= 60 else text[:57] + "..."
            return PlatecheckError(
                f"ApplicationSet {'.'.join(map(str, path))}: Go cannot parse the template "
                f"{shown!r} ({problem}); Argo CD fails the ApplicationSet and creates none of "
                "its Applications", rel, document.line_of(path),
                "Write the template as Go's text/template parses it (a key that holds a '-': "
                "{{index . \"my-name\"}}).")
    return None


def _located_strings(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every string in ``value`` (the keys of its maps too), with its path below ``path``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _located_strings(key, (*path, key))
            yield from _located_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _located_strings(item, (*path, index))


def _strings(value: Any) -> Iterator[str]:
    """Every string in ``value``, the keys of its maps too (``_located_strings``)."""
    return (text for _, text in _located_strings(value, ()))


# a git directories generator's path in a template: fasttemplate's {{path}}, Go's {{.path.path}}
_PATH_ACTION = re.compile(r"\{\{-?\s*\.?path(?:\.path)?\s*-?\}\}")


def _path_action(spec: Any) -> re.Pattern[str]:
    """The path action of the git generators in ``spec``: with a ``pathParamPrefix``
    (``{{prefix.path}}``, ``{{.prefix.path.path}}``; argo-cd ``generators/git.go``) too."""
    prefixes = sorted(set(_prefixes(spec)))
    if not prefixes:
        return _PATH_ACTION
    named = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"\{{\{{-?\s*\.?(?:(?:{named})\.)?path(?:\.path)?\s*-?\}}\}}")


def _prefixes(value: Any) -> Iterator[str]:
    """The ``pathParamPrefix`` of each git generator in ``value`` (nested ones too)."""
    for git in _git_generators(value):
        prefix = git.get("pathParamPrefix")
        if isinstance(prefix, str) and prefix:
            yield prefix
TEMPLATE_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)  # a template action, over lines too


@dataclass(frozen=True)
class PathGlob:
    """A directory an ApplicationSet's template source path may name: ``pattern`` matched as
    Go's ``path.Match`` (``*`` one name, as a git directories generator matches), or with
    ``deep`` as ``git ls-files`` matches a git files generator's pattern, whose directory it
    is (``*`` any names, ``/`` included: Argo CD's default file globbing)."""

    pattern: str
    deep: bool = False

    def matches(self, directory: str) -> bool:
        if not self.deep:
            return path_match(self.pattern, directory)
        return _deep_regex(self.pattern.strip("/")).match(directory.strip("/")) is not None


@functools.lru_cache(maxsize=256)
def _deep_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def template_path_globs(app_set: Mapping[str, Any], path: str, excluded: bool = False
                        ) -> list[PathGlob]:
    """The directories an ApplicationSet's template source ``path`` may name, as globs
    (``*``: any name): a git directories generator's path (``{{path}}``, ``{{.path.path}}``)
    its directories' patterns that are not excluded (a files generator's, the directories of
    its files' patterns, any depth where they hold a wildcard), any other action any name.
    With ``excluded``, those its directories generators exclude (``exclude: true``: no
    Application is generated for a directory one matches, whatever else matches it); none
    when the path names no generator's path."""
    spec = app_set.get("spec")
    directories = sorted(set(_git_directories(spec, excluded))) \
        if isinstance(spec, Mapping) else []
    action = _path_action(spec)
    if excluded and not (directories and action.search(path)):
        return []
    paths = [(path, False)]
    if directories and action.search(path):
        # (a function as the replacement: a pattern's backslashes are no group references)
        paths = [(action.sub(_literally(d.strip("/")), path), deep) for d, deep in directories]
    return [PathGlob(TEMPLATE_ACTION.sub("*", p).strip("/") or ".", deep) for p, deep in paths]


def any_value_action(app_set: Mapping[str, Any], path: str) -> bool:
    """Whether an ApplicationSet's template source ``path`` holds a template action other
    than a git directories generator's path: a parameter of any generator, whose value may
    hold ``/`` and name a directory at any depth."""
    spec = app_set.get("spec")
    directories = next(_git_directories(spec), None) if isinstance(spec, Mapping) else None
    return TEMPLATE_ACTION.search(_path_action(spec).sub("", path) if directories else path) \
        is not None


_WILDCARD = re.compile(r"[*?\[]")


def _literally(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _: text


def _git_generators(value: Any) -> Iterator[Mapping[str, Any]]:
    """The options of every git generator in ``value`` (matrix and merge generators nest
    theirs)."""
    if isinstance(value, Mapping):
        git = value.get("git")
        if isinstance(git, Mapping):
            yield git
        for item in value.values():
            yield from _git_generators(item)
    elif isinstance(value, list):
        for item in value:
            yield from _git_generators(item)


def _entries(git: Mapping[str, Any], key: str) -> Iterator[tuple[str, bool]]:
    """The ``path`` of each entry of a git generator's ``directories`` or ``files``, but one
    of a template action, and whether it is marked ``exclude``."""
    entries = git.get(key)
    for entry in entries if isinstance(entries, list) else ():
        path = entry.get("path") if isinstance(entry, Mapping) else None
        if isinstance(path, str) and not TEMPLATE_ACTION.search(path):
            yield path, entry.get("exclude") is True


def _git_directories(value: Any, excluded: bool = False) -> Iterator[tuple[str, bool]]:
    """The ``directories`` paths of the git generators in ``value`` (matrix and merge
    generators nest theirs), but those marked ``exclude``, and the directories of their
    ``files`` paths (a files generator's ``path`` is the directory of the file it found; true
    beside one with a wildcard, which ``git ls-files`` matches across ``/``, so that a
    wildcard in the file's name finds files in directories below too); with
    ``excluded``, the ``directories`` paths marked ``exclude`` alone."""
    for git in _git_generators(value):
        for key in ("directories",) if excluded else ("directories", "files"):
            for path, exclude in _entries(git, key):
                if exclude != excluded:
                    continue
                if key == "directories":
                    yield path, False
                    continue
                head, name = posixpath.split(path)
                yield head or ".", _WILDCARD.search(path) is not None
                if _WILDCARD.search(name):  # a file below: ``apps/*.yaml``, apps/web/a.yaml
                    yield posixpath.join(head, "*"), True


def git_file_globs(value: Any) -> Iterator[tuple[str, PathGlob]]:
    """The repoURL and ``files`` pattern (as ``git ls-files`` matches it) of every git files
    generator in ``value`` (matrix and merge generators nest theirs), but those marked
    ``exclude`` and those of a template action: the files whose content the set reads as
    parameters."""
    for git in _git_generators(value):
        url = git.get("repoURL")
        for path, exclude in _entries(git, "files"):
            if isinstance(url, str) and not exclude:
                yield url, PathGlob(path, deep=True)


def go_readable(template: Any, params: Iterable[Mapping[str, Any]], language: Language
                ) -> bool:
    """Whether platecheck executes every string of ``template`` over each of ``params`` as Go
    does (``gotemplate.Unsupported``: a value or verb it does not format exactly makes the set
    not expanded). An execution error is Argo CD's, found when the set is expanded."""
    if language is Language.FASTTEMPLATE:
        return True
    texts = [t for t in set(_strings(template)) if "{{" in t]
    for each in params:
        for text in texts:
            try:
                go_fill(text, each, language.value)
            except _GoFailed:
                continue
            except gotemplate.Unsupported:
                return False
    return True


def _lines_apart(document: Document, at: KeyPath, count: int) -> bool:
    """Whether each of the ``count`` elements of the list generator written at ``at`` starts
    a line of its own: an Application platecheck makes of one is known by its file and line
    (a flow sequence, ``elements: [{env: a}, {env: b}]``, writes them on one)."""
    lines = {document.lines.get((*at, "elements", index)) for index in range(count)}
    return None not in lines and len(lines) == count


def check_elements(document: Document, elements: Sequence[Any], rel: str,
                   at_list: KeyPath = ("spec", "generators", 0, "list")) -> None:
    """Argo CD's list generator (without ``goTemplate``) takes string values only, and a
    ``values`` map of strings: any other value fails the whole ApplicationSet, which then
    generates no Application; so does an element that is not a map (with ``goTemplate``
    too). A could-not-check error at the first such value (the list written at ``at_list``)."""
    language = template_language(document.data["spec"])
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            raise PlatecheckError(
                f"ApplicationSet list element {index} is not a map "
                f"({json.dumps(element, default=str)}); Argo CD's list generator fails and "
                "creates no Application: write each element as a map of strings",
                rel, document.line_of((*at_list, "elements", index)))
        if language is not Language.FASTTEMPLATE:  # (any JSON value: the element as written)
            continue
        for key, value in element.items():
            at = (*at_list, "elements", index, key)
            if key == "values" and not isinstance(value, dict):
                raise PlatecheckError(
                    f"ApplicationSet list element 'values' is not a map "
                    f"({json.dumps(value, default=str)}); Argo CD's list generator fails and "
                    "creates no Application: write values as a map of strings, or set "
                    "goTemplate: true", rel, document.line_of(at))
            inner = value.items() if key == "values" else [(None, value)]
            for name, item in inner:
                if isinstance(item, str):
                    continue
                path = (*at, *([name] if name is not None else []))
                written = ".".join(map(str, path[len(at) - 1:]))
                raise PlatecheckError(
                    f"ApplicationSet list element value {written!r} is "
                    f"not a string ({json.dumps(item, default=str)}); Argo CD's list "
                    "generator fails and creates no Application: quote it, or set "
                    "goTemplate: true", rel, document.line_of(path))


@functools.cache
def _template_types() -> Mapping[str, Any]:
    """The types of a template's fields, from the ApplicationSet schema platecheck ships."""
    from platecheck.schemas import packaged_schema_dir

    path = packaged_schema_dir() / "applicationset-argoproj.io-v1alpha1.json"
    types: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))["$defs"][
        "ApplicationTemplate"]
    return types


def _strings_mistyped(value: Any, schema: Mapping[str, Any], path: tuple[Any, ...]
                      ) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The strings in ``value`` where ``schema`` has another type (a field it does not
    type holds anything), with that type."""
    if isinstance(value, str):
        types = schema.get("type", "string")
        if "string" not in ([types] if isinstance(types, str) else types):
            yield path, types if isinstance(types, str) else " or ".join(types)
    elif isinstance(value, dict):
        fields, other = schema.get("properties", {}), schema.get("additionalProperties", {})
        for key, item in value.items():
            yield from _strings_mistyped(item, fields.get(key, other), (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_mistyped(item, schema.get("items", {}), (*path, index))


# the fields the ApplicationSet CRD requires (manifests/crds/applicationset-crd.yaml), each a
# map but generators, a list; a null one is pruned before validation, so missing too
_REQUIRED: tuple[tuple[KeyPath, type], ...] = (
    (("spec",), dict), (("spec", "generators"), list), (("spec", "template"), dict),
    (("spec", "template", "metadata"), dict), (("spec", "template", "spec"), dict),
    (("spec", "template", "spec", "destination"), dict),
    (("spec", "template", "spec", "project"), str))


# fields of the spec the ApplicationSet CRD types, which platecheck reads before expanding
_TYPED: tuple[tuple[KeyPath, type], ...] = (
    (("spec", "goTemplate"), bool), (("spec", "goTemplateOptions"), list))
_TYPE_NAMES = {list: "a list", dict: "a map", str: "a string", bool: "a boolean"}


def refused_field(data: Mapping[str, Any]) -> tuple[KeyPath, str] | None:
    """The first field the ApplicationSet CRD requires that the set ``data`` leaves out (or
    writes null), or writes of another type, or one it types (``_TYPED``) written of
    another type, with what is wrong; None when there is none."""
    for path, kind in (*_REQUIRED, *_TYPED):
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if (value is None and (path, kind) in _TYPED) or (
                value is not None and isinstance(value, kind)):
            continue
        return path, "is required" if value is None else f"must be {_TYPE_NAMES[kind]}"
    return None


def _required(document: Document, rel: str) -> None:
    """A could-not-check error at the first field ``refused_field`` names."""
    refused = refused_field(document.data)
    if refused is not None:
        path, what = refused
        raise PlatecheckError(
            f"ApplicationSet {'.'.join(map(str, path))} {what}: the API server refuses the "
            "ApplicationSet (its CustomResourceDefinition says so) and Argo CD creates none "
            "of its Applications", rel, document.line_of(path))


def crd_typed(document: Document, rel: str) -> Document:
    """The ApplicationSet ``document``, the fields its CRD requires found (``_required``) and
    its template's fields found of the types the CRD gives them: the API server refuses one
    whose template holds a string where the CRD types the field otherwise (``prune:
    '{{.prune}}'``, a boolean), so Argo CD never sees it and creates none of its
    Applications. A could-not-check error at the first such field."""
    _required(document, rel)
    template = document.data["spec"]["template"]
    for path, wanted in _strings_mistyped(template, _template_types(), ("spec", "template")):
        value = functools.reduce(lambda node, key: node[key], path[2:], template)
        raise PlatecheckError(
            f"{'.'.join(map(str, path))}: expected {wanted}, got string {json.dumps(value)}: "
            "the ApplicationSet CRD types this field, so the API server refuses the "
            "ApplicationSet and Argo CD creates none of its Applications; template a field "
            "that is no string with templatePatch", rel, document.line_of(path))
    return document


def expand_params(document: Document, params: Mapping[str, Any], rel: str,
                  template: Mapping[str, Any], template_lines: Mapping[KeyPath, int],
                  language: Language, key_lines: Mapping[str, int], line: int) -> Document:
    """The Application one parameter set ``params`` makes of the ApplicationSet ``document``
    with ``template`` (the set's, or a generator's merged with it) and its key lines; it
    starts at ``line``. A value the template fills from one parameter key written at a line
    of ``key_lines`` (a list element's key, a git generator's entry) is at that line. A
    template Argo CD cannot fill or execute is a could-not-check error: the set generates
    nothing."""
    data = document.data
    fill = _filler(params if language is not Language.FASTTEMPLATE else _flatten(params),
                   language)
    try:
        filled = {key: _substitute(value, fill, (key,)) for key, value in template.items()}
    except _Unterminated as exc:
        raise PlatecheckError(
            "ApplicationSet template has a '{{' with no '}}' after it; Argo CD cannot parse "
            "the template and the set creates no Application", rel,
            line_of(template_lines, exc.path, line)) from None
    except _GoFailed as exc:
        raise PlatecheckError(
            f"ApplicationSet template {'.'.join(map(str, ('spec', 'template', *exc.path)))}: "
            f"executing {exc.text!r} at {exc.message}; Argo CD fails the ApplicationSet and "
            "creates none of its Applications", rel,
            line_of(template_lines, exc.path, line)) from None
    app = {"apiVersion": data.get("apiVersion"), "kind": "Application", **filled}
    lines = dict(template_lines)
    # the set's own namespace, never the template's: the appsets-in-any-namespace boundary
    metadata = app.get("metadata")
    metadata = {k: v for k, v in metadata.items() if k != "namespace"} \
        if isinstance(metadata, dict) else {}
    own = data.get("metadata")
    namespace = own.get("namespace") if isinstance(own, dict) else None
    lines.pop(("metadata", "namespace"), None)
    if namespace is not None:
        metadata["namespace"] = namespace
        if ("metadata", "namespace") in document.lines:
            lines[("metadata", "namespace")] = document.lines[("metadata", "namespace")]
    app["metadata"] = metadata
    lines.update((path, key_lines[key]) for path, key in _filled(template, key_lines, language))
    return Document(app, lines, line)


@dataclass(frozen=True)
class MadeDocument(Document):
    """An Application an ApplicationSet makes, with where the values its template fills from
    one parameter written in another file (a git generator's) are written."""

    places: Mapping[KeyPath, Origin] = field(default_factory=dict)


def places_of(template: Mapping[str, Any], key_places: Mapping[str, Origin],
              language: Language) -> dict[KeyPath, Origin]:
    """Where each value the template fills from one parameter key of ``key_places`` is
    written (not the name, which stays at the template's line, as ``expand_params`` keeps
    it)."""
    return {path: key_places[key] for path, key in _filled(template, key_places, language)}


def _filled(template: Mapping[str, Any], keys: Collection[str], language: Language
            ) -> Iterator[tuple[KeyPath, str]]:
    """The paths of the template's strings filled from one parameter key of ``keys``, with
    that key; not the name's (it stays at the template's line: a finding about the name
    and one about a path the same key fills are two)."""
    return ((path, key) for path, key in _one_tag(template, (), language)
            if key in keys and path[:1] != ("metadata",))


def unnamed(document: Document, element_at: KeyPath, template: Mapping[str, Any],
            app: Document, rel: str) -> PlatecheckError | None:
    """Argo CD's refusal of the Application ``app`` that the list element written at
    ``element_at`` makes of the set ``document`` with ``template``, when the element leaves
    its name empty: the ApplicationSet controller (``validateGeneratedApplications``)
    creates the set's other Applications, not this one. None when it has a name, or when the
    template itself writes none (every element's is refused alike, and parsing says so at
    the template)."""
    metadata = template.get("metadata")
    written = metadata.get("name") if isinstance(metadata, dict) else None
    made = app.data.get("metadata")
    if not isinstance(written, str) or not _TEMPLATED.search(written) or (
            made.get("name") if isinstance(made, dict) else None) != "":
        return None
    own = document.data.get("metadata")
    name = own.get("name") if isinstance(own, dict) else None
    # a name of one key: at that key of the element
    keys = _keys(written, template_language(document.data["spec"]) or Language.FASTTEMPLATE)
    at: KeyPath = (*element_at, *keys.pop().split(".")) if len(keys) == 1 else element_at
    return PlatecheckError(
        f"ApplicationSet {name} list element {element_at[-1]} makes an Application with no "
        f"name (metadata.name {written!r} is empty): Argo CD creates the set's other "
        "Applications, not this one", rel, document.line_of(at),
        "Give the element the value its Application's name is made of.")


def generated_name(app: Document) -> str:
    """The name an Application the set makes has ("" when none)."""
    metadata = app.data.get("metadata")
    made = metadata.get("name") if isinstance(metadata, Mapping) else None
    return made if isinstance(made, str) else ""


def refuse_duplicates(document: Document, apps: list[Document], rel: str
                      ) -> tuple[list[Document], list[PlatecheckError]]:
    """``apps`` but every one of a name two of them make, which the ApplicationSet
    controller refuses (``validateGeneratedApplications`` keys its errors by name, and
    ``Reconcile`` creates no Application of a name with an error); it creates the others. An
    error for each such name, at the template's name."""
    names = Counter(generated_name(app) for app in apps)
    own = document.data.get("metadata")
    set_name = own.get("name") if isinstance(own, Mapping) else None
    at = document.line_of(("spec", "template", "metadata", "name"))
    errors = [PlatecheckError(
        f"ApplicationSet {set_name} makes {count} Applications named {made!r}: Argo CD "
        "refuses each of them and creates the set's others", rel, at,
        "Make each Application's name of a parameter that differs from one to the next "
        "(a list's elements' values; of a git generator, path.basename of two directories "
        "of one name is one).")
        for made, count in names.items() if made and count > 1]
    return [app for app in apps if names[generated_name(app)] == 1 or not generated_name(app)
            ], errors


_TAG = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def _keys(text: str, language: Language) -> set[str]:
    """The keys the tags of ``text`` name (a Go field chain's: ``a.b`` of ``{{ .a.b }}``)."""
    if language is Language.FASTTEMPLATE:
        return set(_TAG.findall(text))
    parsed = gotemplate.parse(text)
    return gotemplate.fields(parsed) if parsed is not None else set()


_GO_CONTROL = re.compile(r"\{\{-?\s*(?:if|range|with|else|end)\b")


def _one_tag(value: Any, path: tuple[Any, ...], language: Language = Language.FASTTEMPLATE
             ) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The paths of the template's strings that hold tags of one key, with that key; not one
    whose Go template decides by the key what it writes (an ``if``, a ``range``: the value is
    then the template's, not the key's)."""
    if isinstance(value, str):
        keys = _keys(value, language)
        if len(keys) == 1 and (language is Language.FASTTEMPLATE
                               or not _GO_CONTROL.search(value)):
            yield path, keys.pop()
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _one_tag(item, (*path, key), language)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _one_tag(item, (*path, index), language)


def _flatten(element: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in element.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = "" if value is None else (
                ("true" if value else "false") if isinstance(value, bool) else str(value))
    return flat


_Fill = Callable[[str, tuple[Any, ...]], str]


def _filler(params: Mapping[str, Any], language: Language) -> _Fill:
    """How one template string at a key path is filled with ``params``."""
    if language is Language.FASTTEMPLATE:
        return lambda text, path: _fill(text, params, path)
    return lambda text, path: go_fill(text, params, language.value, path)


def go_fill(text: str, params: Mapping[str, Any], missing_key: str,
            path: tuple[Any, ...] = ()) -> str:
    """``text`` executed as Go's text/template over ``params`` (``template_language`` parsed
    it); a failure is ``_GoFailed``, what is not executed exactly ``gotemplate.Unsupported``.
    Parameters of no key leave the template as written (``RenderTemplateParams``)."""
    parts = gotemplate.parse(text)
    if not params or parts is None:
        return text
    try:
        return gotemplate.execute(parts, params, missing_key)
    except gotemplate.ExecError as exc:
        raise _GoFailed(path, text, exc.message) from None


def _substitute(value: Any, fill: _Fill, path: tuple[Any, ...]) -> Any:
    if isinstance(value, str):
        return fill(value, path)
    if isinstance(value, dict):
        return {_substitute(k, fill, (*path, k)): _substitute(v, fill, (*path, k))
                for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_substitute(item, fill, (*path, i)) for i, item in enumerate(value)]
    return value


def _fill(text: str, params: Mapping[str, str], path: tuple[Any, ...]) -> str:
    """``text`` with its tags replaced as fasttemplate replaces them (``fasttemplate``), a
    ``{{`` with no ``}}`` after it failing the template (``_Unterminated``). An element of no
    parameters leaves the template as written, unparsed (``RenderTemplateParams``)."""
    if not params:
        return text
    try:
        return fasttemplate(text, params)
    except UnterminatedTag:
        raise _Unterminated(path) from None


class UnterminatedTag(Exception):
    """A ``{{`` with no ``}}`` after it: fasttemplate cannot parse the text."""


def fasttemplate(text: str, params: Mapping[str, str]) -> str:
    """``text`` with its tags replaced as fasttemplate's ``ExecuteFuncString`` (``{{``,
    ``}}``) replaces them for Argo CD's ``Render.Replace``: a tag runs to the next ``}}``, an
    unknown or empty one stays as written, and a ``{{`` with no ``}}`` after it fails
    (``UnterminatedTag``)."""
    if not _TEMPLATED.search(text):
        return text
    out: list[str] = []
    position = 0
    while (start := text.find("{{", position)) >= 0:
        end = text.find("}}", start + 2)
        if end < 0:
            raise UnterminatedTag
        tag = text[start + 2:end]
        key = tag.strip()
        out.extend((text[position:start], params[key] if key in params and key else
                    f"{{{{{tag}}}}}"))
        position = end + 2
    out.append(text[position:])
    return "".join(out)
