"""The generators of an ApplicationSet platecheck expands, and the Applications they make
together (argo-cd ``applicationset/controllers/template`` ``GenerateApplications``): each
top-level generator's parameter sets fill the set's template, merged under that generator's
own ``template`` (``mergeGeneratorTemplate``: a field the generator's template leaves empty
is the set's), and the Applications of all generators are concatenated.

A top-level generator is a plain ``list`` (``appset``), a ``git`` generator of this
repository (``appset_git``), a ``matrix`` of two of them
(``applicationset/generators/matrix.go``) or a ``merge`` of two or more
(``applicationset/generators/merge.go``). A matrix: for each parameter set of its first
child, the second child's fields are filled with it (a git path ``apps/{{env}}/*``; Go's
``values`` of the second child are left to Argo CD), and each of the second child's
parameter sets is combined with it. Without ``goTemplate`` the two are one map of strings,
and a key both give with two values fails the set (``CombineStringMaps``); with it the first
child's parameters override the second's, maps merged key by key (mergo ``WithOverride``). A
merge: each of its first child's parameter sets, with the keys of each later child's set of
equal ``mergeKeys`` values laid over it the same way (``_merged_sets``). A matrix or merge
child's own ``template`` is not used. A ``templatePatch`` is applied to each Application
(``appset_patch``). A generator's ``selector``, top-level or a child's, keeps the parameter
sets it matches (``_selected``). A matrix of other than two children, a nested ``matrix`` or
``merge``, and every other generator leave the set unexpanded, as does a set whose
generators find nothing (a placeholder path an overlay patches in).

Any error of one generator fails the whole set: Argo CD creates none of its Applications.
Of those made, one with no name and every one of a name two make are refused
(``validateGeneratedApplications``); the others are created.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platecheck.appset import (
    TEMPLATE_ACTION,
    Language,
    MadeDocument,
    _filler,
    _flatten,
    _GoFailed,
    _lines_apart,
    _strings,
    _substitute,
    _Unterminated,
    check_elements,
    expand_params,
    generated_name,
    go_readable,
    go_refused,
    places_of,
    refuse_duplicates,
    template_language,
    template_problem,
    unnamed,
)
from platecheck.appset_git import _ValueFailed, git_params, readable_git
from platecheck.appset_patch import Unread, patch_text, patched
from platecheck.errors import PlatecheckError
from platecheck.lazymodule import LazyModule
from platecheck.limits import MAX_SET_APPLICATIONS
from platecheck.model import KeyPath, Origin
from platecheck.yamlio import Document, first_document

if TYPE_CHECKING:
    from platecheck import gotemplate
else:
    gotemplate = LazyModule("platecheck.gotemplate")

# whether a git generator's repoURL and revision are this checkout
Here = Callable[[str, str | None], bool]


class _Unexpanded(Exception):
    """What platecheck does not expand exactly: the set is reported as not expanded."""


@dataclass(frozen=True)
class Child:
    """A ``list`` or ``git`` generator, its options written at ``at``."""

    kind: str
    options: Mapping[str, Any]
    at: KeyPath
    # its own ``selector`` (a matrix's or merge's child): the parameter sets it keeps
    selector: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Generator:
    """A top-level generator: one child, or a matrix's two; the template it fills (the
    set's, merged under its own) with each key's line."""

    children: tuple[Child, ...]
    template: Mapping[str, Any]
    lines: Mapping[KeyPath, int]
    line: int
    # its ``selector``: the parameter sets it keeps (``_selected``); None, all
    selector: Mapping[str, Any] | None = None
    # a merge's ``mergeKeys`` (its children's sets merged, ``_merged_sets``); None, no merge
    merge_keys: tuple[str, ...] | None = None
    # the key path of the generator (``("spec", "generators", 0)``)
    at: KeyPath = ()


@dataclass(frozen=True)
class ParamSet:
    """One parameter set, as the template is filled with it (flat strings, or Go's), with the
    lines a parameter key's value is written at, and the line of the list element that made
    it alone (None: the Application is at its template's line)."""

    params: Mapping[str, Any]
    key_lines: Mapping[str, int] = field(default_factory=dict)
    element: KeyPath | None = None
    # where a parameter key's value is written in another file (a git generator's file)
    key_places: Mapping[str, Origin] = field(default_factory=dict)


def generators(data: Mapping[str, Any]) -> list[Generator] | None:
    """The generators of an ApplicationSet platecheck expands (read from its ``data`` with
    no lines: ``set_generators`` for a document); None for any other set."""
    return set_generators(Document(dict(data), {}, 1))


def set_generators(document: Document) -> list[Generator] | None:
    """The generators of the ApplicationSet ``document`` platecheck expands, else None."""
    found = _read_generators(document)
    return None if isinstance(found, str) else found


def unexpanded_reason(data: Mapping[str, Any]) -> str | None:
    """What platecheck does not expand in the ApplicationSet of ``data``, as written (``its
    clusters generator``); None when it reads how the set is written, so that what it was
    not expanded for is what its generators find or make (a git generator that finds
    nothing, a value a Go template is not executed exactly for)."""
    found = _read_generators(Document(dict(data), {}, 1))
    return found if isinstance(found, str) else None


def _read_generators(document: Document) -> list[Generator] | str:
    """``set_generators``, or what platecheck does not read of the set (``unexpanded_reason``)."""
    spec = document.data.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("template"), Mapping):
        return "a set of no template"
    if spec.get("templatePatch") is not None and patch_text(spec) is None:
        return "a templatePatch that is no text"
    written = spec.get("generators")
    if not isinstance(written, list) or not written:
        return "a set of no generators"
    made = [_generator(document, item, ("spec", "generators", index))
            for index, item in enumerate(written)]
    found = [g for g in made if isinstance(g, Generator)]
    unread = next((g for g in made if isinstance(g, str)), None)
    if unread is not None:
        return unread
    more = [text for g in found if g.merge_keys is None for c in g.children[1:]
            for text in _strings(c.options)]  # (a matrix's second child is filled)
    more += [text for g in found for text in _strings(g.template)]
    more += [v for g in found for c in g.children if c.kind == "git"
             for v in (c.options.get("values") or {}).values()]
    more += [text for text in [patch_text(spec)] if text is not None]
    if (template_language(spec) or Language.FASTTEMPLATE) is not Language.FASTTEMPLATE and any(
            g.merge_keys is None and len(g.children) == 2 and g.children[1].kind == "git"
            and any(
                "{{" in str(v) for v in (g.children[1].options.get("values") or {}).values())
            for g in found):  # (Argo CD's versions read them differently)
        return "a Go template in the git values of a matrix's second generator"
    return template_problem(spec, more) or found


def _generator(document: Document, item: Any, at: KeyPath) -> Generator | str:
    """The generator ``item``, or what platecheck does not read of it."""
    one = _one_kind(item)
    if isinstance(one, str):
        return one
    kind, options, selector = one
    children = _children_of(kind, options, at)
    if isinstance(children, str):
        return children
    unread = next((c for c in children if isinstance(c, str)), None)
    if unread is not None:
        return unread
    own = options.get("template")
    if own is not None and not isinstance(own, Mapping):
        return f"a {kind} generator's template that is no mapping"
    template, lines = _merged_template(document, own or {}, (*at, kind, "template"))
    line = document.lines.get((*at, kind, "template") if own else ("spec", "template"),
                              document.line)
    keys = tuple(options.get("mergeKeys") or ()) if kind == "merge" else None
    return Generator(tuple(c for c in children if isinstance(c, Child)), template, lines, line,
                     selector, keys, at)


def _children_of(kind: str, options: Mapping[str, Any], at: KeyPath
                 ) -> list[Child | str] | str:
    """The children of a generator of ``kind``: itself, a matrix's two, a merge's (two or
    more: fewer, or no ``mergeKeys``, fail the set, ``_merged_sets``); or what platecheck
    does not read of them."""
    if kind not in ("matrix", "merge"):
        return [_plain_child(kind, options, at)]
    inner = options.get("generators")
    if kind == "merge" and inner is None:
        inner = []  # (Argo CD: fewer than two generators fail the set, _merged_sets)
    extra = set(options) - {"generators", "template", *(["mergeKeys"] if kind == "merge" else [])}
    if kind == "matrix" and (extra or not isinstance(inner, list) or len(inner) != 2):
        return "a matrix of other than two generators, or of options other than generators"
    if kind == "merge" and (extra or not isinstance(inner, list) or not isinstance(
            options.get("mergeKeys", []), list) or not all(
                isinstance(k, str) for k in options.get("mergeKeys") or [])):
        return "a merge of options other than generators and mergeKeys"
    return [_child(c, (*at, kind, "generators", i)) for i, c in enumerate(inner or [])]


# a label key (an optional DNS subdomain prefix and a name), as the ApplicationSet
# controller's LabelSelectorAsSelector validates it (IsQualifiedName; values are not)
_LABEL_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_OPERATORS = {"In": True, "NotIn": True, "Exists": False, "DoesNotExist": False}


def _readable_selector(selector: Any) -> bool:
    """Whether a generator's ``selector`` is one platecheck applies as Argo CD does: a label
    selector of valid keys (``matchLabels``, ``matchExpressions`` of In, NotIn, Exists,
    DoesNotExist; values only for the first two), as ``applicationset/utils/selector.go``
    reads it."""
    if not isinstance(selector, Mapping) or set(selector) - {"matchLabels", "matchExpressions"}:
        return False
    labels, expressions = selector.get("matchLabels") or {}, selector.get("matchExpressions") or []
    if not isinstance(labels, Mapping) or not isinstance(expressions, list):
        return False
    pairs = [(k, [v]) for k, v in labels.items()]
    for item in expressions:
        if not isinstance(item, Mapping) or item.get("operator") not in _OPERATORS \
                or set(item) - {"key", "operator", "values"}:
            return False
        values = item.get("values") or []
        if not isinstance(values, list) or bool(values) != _OPERATORS[item["operator"]]:
            return False
        pairs.append((item.get("key"), values))
    return all(isinstance(k, str) and _LABEL_KEY.fullmatch(k)
               and all(isinstance(v, str) for v in values) for k, values in pairs)


def _selected(selector: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether a parameter set meets a generator's ``selector``, read as the ApplicationSet
    controller reads it (``generator_spec_processor.go`` ``Transform``: the set flattened
    with dots, each value as Go's ``%v`` writes it, as labels); a value platecheck does not
    write as Go would (a number) is ``_Unexpanded``."""
    flat = _flat_labels(params)

    def value(key: str) -> str | None:
        found = flat.get(key)
        if isinstance(found, _Unwritten):
            raise _Unexpanded
        return found
    expressions = [(key, "In", [text]) for key, text in
                   (selector.get("matchLabels") or {}).items()] + [
        (e["key"], e["operator"], e.get("values") or [])
        for e in selector.get("matchExpressions") or []]
    for key, operator, values in expressions:
        found = value(key)
        if operator == "In" and found not in values or operator == "NotIn" and (
                found is not None and found in values) or operator == "Exists" and (
                found is None) or operator == "DoesNotExist" and found is not None:
            return False
    return True


def _label_text(value: Any) -> str | _Unwritten:
    """A leaf as Go's ``%v`` writes it: a text as it is, ``true``, ``false``, ``<nil>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "<nil>" if value is None else _Unwritten()


class _Unwritten:
    """A flattened value platecheck does not write as Go's ``%v`` does, or a key two
    values flatten to."""


def _flat_labels(value: Any, prefix: str = "") -> dict[str, Any]:
    """jeremywohl/flatten's dot style of a parameter set: maps and lists flattened (a
    list's items by index), each leaf a text (``_Unwritten`` where not exact)."""
    flat: dict[str, Any] = {}
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, item in items:
        name = f"{prefix}{key}"
        inner = _flat_labels(item, f"{name}.") if isinstance(item, (Mapping, list)) and item \
            else {name: _label_text(item)}
        for flat_key, text in inner.items():
            flat[flat_key] = _Unwritten() if flat_key in flat else text
    return flat


def _child(item: Any, at: KeyPath) -> Child | str:
    """A list or git generator of ``item``, whose options platecheck reads, or what it does
    not read (a child's own ``template`` is allowed: a matrix or merge does not use it). A
    child's ``selector`` keeps the parameter sets it matches, as written (``Transform``
    reads it before it fills the child with a matrix's first parameters)."""
    one = _one_kind(item)
    if isinstance(one, str):
        return one
    kind, options, selector = one
    made = _plain_child(kind, options, at)
    return dataclasses.replace(made, selector=selector) if isinstance(made, Child) else made


def _plain_child(kind: str, options: Mapping[str, Any], at: KeyPath) -> Child | str:
    """The list or git generator of ``kind`` and ``options`` written at ``at``, or what
    platecheck does not read of it."""
    if kind == "list":
        extra = sorted(set(options) - {"elements", "template", "elementsYaml"})
        if extra:
            return f"a list generator's {extra[0]}"
        if not isinstance(options.get("elementsYaml", ""), str):
            return "a list generator's elementsYaml that is no text"
        elements = options.get("elements")
        if elements is None:  # (no elements, or a null: Argo CD's list makes nothing)
            return Child(kind, {**options, "elements": []}, (*at, kind))
        if isinstance(elements, list):
            return Child(kind, options, (*at, kind))
        return "a list generator whose elements are no list"
    if kind == "git":
        return Child(kind, options, (*at, kind)) if readable_git(options) \
            else "a git generator of options it does not read (docs/sources.md)"
    outer = next((k for k in reversed(at) if k in ("matrix", "merge")), None)
    return f"a {kind} generator" + (f" inside a {outer}" if outer else "")


def _one_kind(item: Any) -> tuple[str, Mapping[str, Any], Mapping[str, Any] | None] | str:
    """The kind, options and ``selector`` (None: none) of a generator written as one kind of
    generator, or what platecheck does not read of it (two kinds in one, a selector it does
    not apply exactly)."""
    selector = item.get("selector") if isinstance(item, Mapping) else None
    if selector is not None:
        if not _readable_selector(selector):
            return "a generator's selector of what platecheck does not read"
        item = {key: value for key, value in item.items() if key != "selector"}
    if not isinstance(item, Mapping) or len(item) != 1:
        return "a generator that is not one of one kind"
    kind, options = next(iter(item.items()))
    if not isinstance(options, Mapping):
        return f"a {kind} generator of no options"
    return str(kind), options, selector


def uses_git(found: Sequence[Generator]) -> bool:
    """Whether any of the generators is (or has a child) of git."""
    return any(c.kind == "git" for g in found for c in g.children)


def _of_elements(found: Sequence[Generator]) -> bool:
    """Whether each Application the generators make is of one list element, at its line:
    expanded at discovery (which knows an Application by its file and line). The others, of
    a git generator, ``elementsYaml``, a matrix or a merge, at their template's line (told
    apart by name), are expanded where this repository's working tree is known
    (``generation``)."""
    return all(len(g.children) == 1 and g.children[0].kind == "list"
               and not g.children[0].options.get("elementsYaml") for g in found)


def expanded_late(data: Mapping[str, Any]) -> bool:
    """Whether platecheck expands the ApplicationSet of ``data`` as a target of its own
    (``generation``): of a git generator, ``elementsYaml``, a matrix or a merge."""
    found = generators(data)
    return found is not None and not _of_elements(found)


def git_children(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The options of each git generator of an ApplicationSet platecheck expands, an action
    in an entry's path (a second matrix child's, filled with the first's parameters) a
    ``*``: the directories or files it may find."""
    found = generators(data) or []
    return [{**c.options, **{kind: [{**e, "path": TEMPLATE_ACTION.sub("*", e["path"])}
                                    for e in c.options[kind]]
                             for kind in ("directories", "files") if c.options.get(kind)}}
            for g in found for c in g.children if c.kind == "git"]


def _merged_template(document: Document, own: Mapping[str, Any], own_at: KeyPath
                     ) -> tuple[Mapping[str, Any], dict[KeyPath, int]]:
    """The set's template merged under a generator's ``own`` (mergo's ``Merge``: a field
    ``own`` leaves empty, or has not, is the set's; maps merged key by key), with the line of
    each key: where its value was taken from."""
    base = document.data["spec"]["template"]
    base_lines = {path[2:]: line for path, line in document.lines.items()
                  if path[:2] == ("spec", "template") and len(path) > 2}
    if not own:
        return base, base_lines
    own_lines = {path[len(own_at):]: line for path, line in document.lines.items()
                 if path[:len(own_at)] == own_at and len(path) > len(own_at)}
    taken: list[KeyPath] = []
    merged = _fill_in(own, base, (), taken)
    lines = {path: line for path, line in own_lines.items()
             if not any(path[:len(t)] == t for t in taken)}
    lines.update({path: line for path, line in base_lines.items()
                  if any(path[:len(t)] == t for t in taken)})
    return merged, lines


def _fill_in(own: Any, base: Any, path: KeyPath, taken: list[KeyPath]) -> Any:
    """mergo.Merge(own, base) of two templates as written: a key of ``base`` ``own`` has not,
    or holds empty (Go's zero value: "", false, 0, null, an empty list or map), is base's;
    two maps merge (but ``valuesObject``, raw JSON taken whole)."""
    if not isinstance(own, dict) or not isinstance(base, dict) or path[-1:] == (
            "valuesObject",):
        return own
    out = dict(own)
    for key, value in base.items():
        if key not in out or _empty(out[key]):
            out[key] = value
            taken.append((*path, key))
        else:
            out[key] = _fill_in(out[key], value, (*path, key), taken)
    return out


def _empty(value: Any) -> bool:
    return value is None or value is False or (
        isinstance(value, (str, list, dict, int, float)) and not value)


def expand_set(document: Document, rel: str, root: Path | None = None,
               here: Here | None = None, rendered: bool = False
               ) -> tuple[list[Document], list[PlatecheckError]] | None:
    """The Applications the ApplicationSet ``document`` makes that Argo CD creates, and its
    refusals of the others; None for a set platecheck does not expand here: without
    ``root``, all but those of list elements alone (``_of_elements``), with it those; one of
    another repository's git generator (``here``), one of a list element on a line it
    shares with another (unless ``rendered``: a render writes them), one that makes nothing
    of a git generator. Argo CD's failure of the whole set is a PlatecheckError: it creates
    none."""
    refused = go_refused(document, rel)
    if refused is not None:
        raise refused
    found = set_generators(document)
    if found is None or (root is None) != _of_elements(found):
        return None
    language = template_language(document.data["spec"]) or Language.FASTTEMPLATE
    try:
        sets = [(generator, params) for generator in found
                for params in _generator_params(document, rel, generator, language, root, here)]
        # (a string not executed exactly, for any parameter set, leaves the set unexpanded
        # whatever another fails of)
        if not all(go_readable(g.template, [p.params for o, p in sets if o is g], language)
                   for g in found):
            return None
        made = _made(document, rel, sets, language)
    except (_Unexpanded, gotemplate.Unsupported, Unread):
        return None
    if not made and uses_git(found):
        return None
    if not rendered and root is None and not all(
            _lines_apart(document, c.at, len(c.options["elements"]))
            for g in found for c in g.children):
        return None
    return _refused(document, made, rel)


def _too_many(document: Document, rel: str, matrix: KeyPath) -> PlatecheckError:
    return PlatecheckError(
        f"ApplicationSet {_set_name(document)} matrix generator makes more than "
        f"{MAX_SET_APPLICATIONS} Applications, more than platecheck expands of one matrix: "
        "none of the set's is checked", rel, document.line_of(matrix),
        "Split the set, or leave it out with exclude in policies/platecheck.yaml.")


def _made(document: Document, rel: str, sets: list[tuple[Generator, ParamSet]],
          language: Language) -> list[tuple[Document, ParamSet, Generator]]:
    """The Application each parameter set makes (its templatePatch applied). Argo CD's
    first failure of one fails the set (``GenerateApplications`` goes on to the others,
    whose patches may yet be what platecheck does not apply: the set is then unexpanded)."""
    patch = patch_text(document.data["spec"])
    made: list[tuple[Document, ParamSet, Generator]] = []
    failed: list[PlatecheckError] = []
    for generator, params in sets:
        line = document.lines.get(params.element, generator.line) \
            if params.element else generator.line
        try:
            app = expand_params(document, params.params, rel, generator.template,
                                generator.lines, language, params.key_lines, line)
            if patch is not None:
                app = patched(document, app, patch, params.params, language, rel)
        except PlatecheckError as exc:
            failed.append(exc)
            continue
        if params.key_places:
            app = MadeDocument(app.data, app.lines, app.line, places_of(
                generator.template, params.key_places, language))
        made.append((app, params, generator))
    if failed:
        raise failed[0]
    return made


def _refused(document: Document, made: list[tuple[Document, ParamSet, Generator]], rel: str
             ) -> tuple[list[Document], list[PlatecheckError]]:
    """``made`` but those the ApplicationSet controller refuses
    (``validateGeneratedApplications``): one a list element leaves with no name (an error at
    the element, ``appset.unnamed``), any other with no name (one error at the template's
    name), and every one of a name two of them make (``refuse_duplicates``)."""
    errors: list[PlatecheckError] = []
    named, empty = [], 0
    for app, params, generator in made:
        if params.element is not None:
            error = unnamed(document, params.element, generator.template, app, rel)
            if error is not None:
                errors.append(error)
                continue
        elif not generated_name(app):
            empty += 1
            continue
        named.append(app)
    kept, duplicates = refuse_duplicates(document, named, rel)
    if empty:
        duplicates.append(PlatecheckError(
            f"ApplicationSet {_set_name(document)} makes {empty} "
            f"Application{'s' if empty > 1 else ''} with no name: Argo CD creates the set's "
            "other Applications, not this", rel,
            document.line_of(("spec", "template", "metadata", "name")),
            "Give the template a metadata.name its parameters fill."))
    return kept, errors + duplicates


def _generator_params(document: Document, rel: str, generator: Generator, language: Language,
                      root: Path | None, here: Here | None) -> Iterator[ParamSet]:
    """The parameter sets of one top-level generator: its child's, or a matrix's product."""
    if generator.selector is not None:
        selector = generator.selector
        yield from (p for p in _generator_params(
            document, rel, dataclasses.replace(generator, selector=None), language, root, here)
            if _selected(selector, p.params))
        return
    if generator.merge_keys is not None:
        yield from _merged_sets(document, rel, generator, [
            _child_params(document, rel, c, language, root, here, None)
            for c in generator.children], language)
        return
    first = _child_params(document, rel, generator.children[0], language, root, here, None)
    if len(generator.children) == 1:
        yield from first
        return
    made = 0  # (a product: a few kilobytes of two lists make millions; a list, no more than
    for a in first:  # its file holds)
        for b in _child_params(document, rel, generator.children[1], language, root, here, a):
            made += 1
            if made > MAX_SET_APPLICATIONS:
                raise _too_many(document, rel, generator.children[0].at[:-3])
            yield _combined(document, rel, generator, a, b, language)


def _combined(document: Document, rel: str, generator: Generator, a: ParamSet, b: ParamSet,
              language: Language) -> ParamSet:
    """A matrix's parameter set of its first child's ``a`` and its second's ``b``."""
    key_lines = {**b.key_lines, **a.key_lines}
    key_places = {**b.key_places, **a.key_places}
    if language is not Language.FASTTEMPLATE:
        return ParamSet(_merged_params(b.params, a.params), key_lines,
                        key_places=key_places)
    for key, value in b.params.items():
        if key in a.params and a.params[key] != value:
            matrix = generator.children[0].at[:-3]
            raise PlatecheckError(
                f"ApplicationSet {_set_name(document)} matrix generator: both generators give "
                f"parameter {key!r}, as {a.params[key]!r} and as {value!r}; Argo CD fails the "
                "ApplicationSet and creates none of its Applications", rel,
                document.line_of(matrix), "Give the two generators' parameters different "
                "names, or set goTemplate: true (the first generator's value wins).")
    return ParamSet({**a.params, **b.params}, key_lines, key_places=key_places)


def _merged_sets(document: Document, rel: str, generator: Generator,
                 children: list[list[ParamSet]], language: Language) -> list[ParamSet]:
    """A merge's parameter sets (``applicationset/generators/merge.go``): each of its first
    child's, in order, with the keys of each later child's set of equal ``mergeKeys``
    values laid over it (Go's, mergo's ``WithOverride``; flat strings, the later's value).
    A child whose sets are not unique by those keys, fewer than two children or no
    ``mergeKeys`` fail the set. (Argo CD's order is a Go map's: any.)"""
    keys = sorted(set(generator.merge_keys or ()))
    at = (*generator.at, "merge")
    if len(children) < 2 or not keys:
        raise PlatecheckError(
            f"ApplicationSet {_set_name(document)} merge generator has "
            f"{'fewer than two generators' if len(children) < 2 else 'no mergeKeys'}; Argo CD "
            "fails the ApplicationSet and creates none of its Applications", rel,
            document.line_of(at), "Give the merge two or more generators and the mergeKeys "
            "their parameter sets are matched by.")
    by_key = [_by_merge_key(document, rel, at, keys, sets, index)
              for index, sets in enumerate(children)]
    merged = []
    for key, base in by_key[0].items():
        for later in by_key[1:]:
            over = later.get(key)
            if over is not None:
                base = ParamSet(
                    _merged_params(base.params, over.params) if language
                    is not Language.FASTTEMPLATE else {**base.params, **over.params},
                    {**base.key_lines, **over.key_lines},
                    key_places={**base.key_places, **over.key_places})
        merged.append(dataclasses.replace(base, element=None))
    return merged


def _by_merge_key(document: Document, rel: str, at: KeyPath, keys: list[str],
                  sets: list[ParamSet], index: int) -> dict[str, ParamSet]:
    """A merge child's parameter sets by the JSON of their ``mergeKeys`` values (a key a
    set has not, null), in order; two of one value fail the set
    (``getParamSetsByMergeKey``)."""
    found: dict[str, ParamSet] = {}
    for params in sets:
        key = json.dumps({k: _json_numbers(params.params.get(k)) for k in keys},
                         sort_keys=True, default=str)
        if key in found:
            raise PlatecheckError(
                f"ApplicationSet {_set_name(document)} merge generator: generator "
                f"{index + 1}'s parameter sets are not unique by mergeKeys (two of {key}); "
                "Argo CD fails the ApplicationSet and creates none of its Applications", rel,
                document.line_of((*at, "generators", index)),
                "Make each generator's parameter sets unique by the merge keys.")
        found[key] = params
    return found


def _json_numbers(value: Any) -> Any:
    """``value`` with its numbers as Go's JSON decoder reads them (float64: 1 is 1.0)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    return value


def _set_name(document: Document) -> Any:
    own = document.data.get("metadata")
    return own.get("name") if isinstance(own, Mapping) else None


def _merged_params(dst: Mapping[str, Any], src: Mapping[str, Any]) -> dict[str, Any]:
    """mergo.Merge(dst, src, WithOverride) of two Go parameter maps: ``src``'s value of a key
    replaces ``dst``'s, but two maps of one type merge key by key; maps of two types are not
    read exactly."""
    out: dict[str, Any] = type(dst)(dst) if isinstance(dst, dict) else dict(dst)
    for key, value in src.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            if type(current) is not type(value):
                raise _Unexpanded
            out[key] = _merged_params(current, value)
        elif isinstance(current, Mapping) != isinstance(value, Mapping) and key in out \
                and current is not None and value is not None:
            raise _Unexpanded  # (mergo merges a map into what is none)
        else:
            out[key] = value
    return out


def _child_params(document: Document, rel: str, child: Child, language: Language,
                  root: Path | None, here: Here | None, given: ParamSet | None
                  ) -> list[ParamSet]:
    """The parameter sets of a list or git generator, its fields filled first with the
    matrix's first child's ``given`` parameters (``InterpolateGenerator``)."""
    options = child.options
    if given is not None and given.params:  # (no Go values here: _read_generators)
        options = _interpolated(document, rel, child, given.params, language)
    if child.kind == "list":
        made = _list_params(document, rel, child, options, language, given is None)
    else:
        assert root is not None and here is not None
        made = _git_child_params(document, rel, child, options, language, root, here)
    selector = child.selector
    return made if selector is None else [p for p in made if _selected(selector, p.params)]


def _interpolated(document: Document, rel: str, child: Child, params: Mapping[str, Any],
                  language: Language) -> Mapping[str, Any]:
    fill = _filler(params, language)
    try:
        filled: Mapping[str, Any] = _substitute(dict(child.options), fill, ())
    except _Unterminated as exc:
        raise PlatecheckError(
            "ApplicationSet matrix generator has a '{{' with no '}}' after it; Argo CD cannot "
            "parse it and the set creates no Application", rel,
            document.line_of((*child.at, *exc.path))) from None
    except _GoFailed as exc:
        raise PlatecheckError(
            f"ApplicationSet matrix generator {'.'.join(map(str, (*child.at, *exc.path)))}: "
            f"executing {exc.text!r} at {exc.message}; Argo CD fails the ApplicationSet and "
            "creates none of its Applications", rel,
            document.line_of((*child.at, *exc.path))) from None
    if child.kind == "git" and not readable_git(filled):
        raise _Unexpanded
    return filled


def _list_params(document: Document, rel: str, child: Child, options: Mapping[str, Any],
                 language: Language, alone: bool) -> list[ParamSet]:
    """A list generator's parameter sets: each element's keys, flat without ``goTemplate``
    (a ``values`` map's as ``values.key``), its key lines at the element's keys."""
    elements = options["elements"]
    if language is not Language.FASTTEMPLATE and not gotemplate.json_like(elements):
        raise _Unexpanded
    # a null element is an empty one to Go's JSON decoder; any other non-map fails the set
    elements = [{} if e is None else e for e in elements]
    check_elements(document, elements, rel, child.at)
    key_lines = _element_key_lines(document, (*child.at, "elements"))
    made = []
    for index, element in enumerate(elements):
        params = element if language is not Language.FASTTEMPLATE else _flatten(element)
        made.append(ParamSet(params, key_lines.get(index, {}),
                             (*child.at, "elements", index) if alone else None))
    return made + _yaml_elements(document, rel, child, options, language)


def _yaml_elements(document: Document, rel: str, child: Child, options: Mapping[str, Any],
                   language: Language) -> list[ParamSet]:
    """The parameter sets of a list generator's ``elementsYaml`` (filled already with a
    matrix's first child's parameters), after its ``elements`` (``list.go``: sigs.k8s.io/yaml
    decodes it into a list of maps, each a set as it is), at the key's line. Without
    ``goTemplate`` its values are not flattened as elements' are: a set of strings alone is
    read exactly (fasttemplate leaves a tag of any other value as written)."""
    text = options.get("elementsYaml") or ""
    if not text:
        return []
    line = document.line_of((*child.at, "elementsYaml"))
    try:
        data = first_document(text, rel).data
    except PlatecheckError:
        data = False  # (no YAML: the decoder fails)
    if data is not None and not (isinstance(data, list) and all(
            isinstance(item, dict) or item is None for item in data)):
        raise PlatecheckError(
            "ApplicationSet list generator's elementsYaml is no YAML list of maps once filled; "
            "Argo CD fails the ApplicationSet and creates none of its Applications", rel, line)
    if not gotemplate.json_like(data or []) or language is Language.FASTTEMPLATE and not all(
            isinstance(value, str) for item in data or [] for value in (item or {}).values()):
        raise _Unexpanded
    return [ParamSet(item or {}, {}) for item in data or []]


def _element_key_lines(document: Document, at: KeyPath) -> dict[int, dict[str, int]]:
    """Of each element of the list at ``at``, the line of each key below it (map keys only,
    ``values.x``), read in one pass over the document's lines."""
    found: dict[int, dict[str, int]] = {}
    depth = len(at)
    for path, line in document.lines.items():
        index, keys = (path[depth], path[depth + 1:]) if len(path) > depth + 1 else (None, ())
        if isinstance(index, int) and path[:depth] == at \
                and all(isinstance(k, str) for k in keys):
            found.setdefault(index, {})[".".join(map(str, keys))] = line
    return found


def _git_child_params(document: Document, rel: str, child: Child, options: Mapping[str, Any],
                      language: Language, root: Path, here: Here) -> list[ParamSet]:
    """A git generator's parameter sets, a value a ``path`` parameter fills at the entry
    that chose its directory or file."""
    revision = options.get("revision")
    if not isinstance(options.get("repoURL"), str) or not here(
            options["repoURL"], revision if isinstance(revision, str) else None):
        raise _Unexpanded
    try:
        made = git_params(options, root, language)
    except _ValueFailed as exc:
        raise PlatecheckError(
            f"ApplicationSet git generator values.{exc.key}: {exc.message}; Argo CD fails the "
            "ApplicationSet and creates none of its Applications", rel,
            document.line_of((*child.at, "values", exc.key))) from None
    if made is None:
        raise _Unexpanded
    kind = "directories" if options.get("directories") else "files"
    path_key = f"{options['pathParamPrefix']}.path" if options.get("pathParamPrefix") \
        else "path"
    out = []
    for params, entry, places in made:
        chosen = document.lines.get((*child.at, kind, entry, "path"))
        lines = {} if chosen is None else {
            key: chosen for key in _dotted(params)
            if key == path_key or key.startswith((f"{path_key}.", f"{path_key}["))}
        out.append(ParamSet(params, lines, key_places=places))
    return out


def _dotted(params: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Each key of ``params`` and of its maps, with dots (``path.basename``)."""
    for key, value in params.items():
        yield f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _dotted(value, f"{prefix}{key}.")
