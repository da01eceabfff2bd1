"""Go's ``text/template`` as Argo CD's ApplicationSet controller executes each string of a
``goTemplate: true`` set (argo-cd ``applicationset/utils`` ``Render.Replace``): the syntax
``goparse`` reads, executed as text/template's ``exec.go`` and ``funcs.go`` execute it, with its
builtins (``and``, ``or``, ``not``, ``len``, ``index``, ``eq``, ``ne``, ``lt``, ``le``,
``gt``, ``ge``, ``print``, ``printf``, ``println``) and the sprig and Argo CD functions of
``gofuncs`` (sprig's ``slice`` in place of the builtin of that name, as in Argo CD).
``parse`` says None for a template Go refuses or that holds what is not read (a function not
implemented, ``define``); ``execute`` raises ``ExecError`` as Go's execution fails (Go's
message, at the node it names), and ``Unsupported`` for a value or verb platecheck does not
execute exactly (a ``%x``, ``lower`` of a text beyond ASCII): the template is then not read
either.

The parameters are JSON values (maps, lists, strings, numbers as float64, booleans, null): a
missing map key is no value (printed ``<no value>``), with ``missingkey=zero`` the zero value
of the map's elements (nil, printed ``<no value>`` too, or a string map's empty string), with
``missingkey=error`` an execution error; so is a field of a value that is no map, or of null.
A value is printed as ``fmt``'s ``%v`` prints it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from platecheck import goparse as p
from platecheck.gofmt import (
    MISSING,
    ExecError,
    StringList,
    StringMap,
    Unsupported,
    go_g,
    go_print,
    go_v,
    json_like,
    type_name,
)
from platecheck.gofuncs import SPRIG, CallError, GoFunc
from platecheck.gotemplate_builtins import BUILTINS, truth
from platecheck.gotemplate_exec import State

__all__ = ["ExecError", "StringMap", "Template", "Unsupported", "execute", "fields", "go_g",
           "go_v", "json_like", "parse"]

FUNCTIONS: dict[str, GoFunc] = {**BUILTINS, **SPRIG}


@dataclass(frozen=True)
class Template:
    """A parsed template: its nodes (``goparse``)."""

    nodes: tuple[Any, ...]


def parse(text: str) -> Template | None:
    """The template ``text`` parsed; None when Go refuses it or it holds what is not read."""
    parsed = _parsed(text)
    return parsed if isinstance(parsed, Template) else None


def parse_problem(text: str) -> str | None:
    """Why ``parse`` gives None for ``text`` (Go's error, or what is not read); None when it
    parses."""
    parsed = _parsed(text)
    return parsed if isinstance(parsed, str) else None


def go_refusal(text: str) -> str | None:
    """Go's own refusal to parse ``text`` (``goparse.GoRefusal``), which fails whatever
    executes it (Argo CD's ``Render.Replace``: "failed to parse template"); None when it
    parses, or fails only on what platecheck does not read."""
    parsed = _parsed(text)
    return parsed if isinstance(parsed, _Refused) else None


class _Refused(str):
    """The text of a ``goparse.GoRefusal``."""


def _parsed(text: str) -> Template | str:
    try:
        return Template(p.parse_tree(text, FUNCTIONS))
    except p.GoRefusal as exc:
        return _Refused(exc)
    except p.ParseError as exc:
        return str(exc)
    except RecursionError:
        return "a template nested too deep"


def fields(template: Template) -> set[str]:
    """The keys of the field chains on the parameters that ``template`` names (``a.b`` of
    ``.a.b`` or ``$.a.b``, where dot is the parameters: not inside ``with`` or ``range``)."""
    return set(_fields(template.nodes))


def _fields(nodes: Any) -> Iterator[str]:
    for node in nodes:
        if isinstance(node, p.Field):
            yield node.key
        elif isinstance(node, p.Variable) and node.names[0] == "$" and len(node.names) > 1:
            yield ".".join(node.names[1:])
        elif isinstance(node, p.Chain):
            yield from _fields([node.node])
        elif isinstance(node, p.Action):
            yield from _fields([node.pipe])
        elif isinstance(node, p.Pipe):
            yield from _fields(node.cmds)
        elif isinstance(node, p.Command):
            yield from _fields(node.args)
        elif isinstance(node, p.Control):
            yield from _fields([node.pipe])
            if node.kind == "if":
                yield from _fields(node.body)
                yield from _fields(node.orelse or ())


def _go_json(value: Any) -> Any:
    """Parameters as Go's JSON decoder holds them: every number a float64."""
    if isinstance(value, StringMap):
        return value
    if isinstance(value, Mapping):
        return {k: _go_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_json(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def execute(template: Template, data: Mapping[str, Any], missing_key: str = "invalid") -> str:
    """``template`` executed over ``data`` with the option ``missingkey=<missing_key>``;
    ``ExecError`` as Go's execution fails, ``Unsupported`` where platecheck cannot tell what
    Go prints."""
    state = State(missing_key, _go_json(data), FUNCTIONS)
    try:
        state.walk(state.vars[0][1], False, template.nodes)
    except RecursionError:
        raise Unsupported("a template nested too deep") from None
    return "".join(state.out)


__all__ += ["StringList", "go_print", "type_name", "truth", "MISSING", "CallError"]
