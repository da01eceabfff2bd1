"""The executor of ``gotemplate``: text/template's ``exec.go`` over the nodes of ``goparse``
and the values of ``gofmt``. A value is kept with whether it sits in an ``interface {}`` (an
element of a JSON map or list: ``boxed``), which Go's errors name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platecheck import goparse as p
from platecheck.gofmt import (
    MISSING,
    ExecError,
    StringList,
    StringMap,
    Unsupported,
    go_print,
    type_name,
)
from platecheck.gofuncs import CallError, GoFunc
from platecheck.gotemplate_builtins import truth

_TYPES = {"string": "string", "int": "int", "bool": "bool", "map": "map[string]interface {}",
          "any": "interface {}", "value": "reflect.Value"}


class _Jump(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _fits(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, dict) and not isinstance(value, StringMap)


class State:
    """One execution: the output, the variables, the option ``missingkey`` (``invalid``, the
    default; ``zero``; ``error``)."""

    def __init__(self, missing_key: str, data: Any, functions: Mapping[str, GoFunc]) -> None:
        self.strict, self.zero, self.functions = (missing_key == "error", missing_key == "zero",
                                                  functions)
        self.vars: list[tuple[str, Any, bool]] = [("$", data, False)]
        self.out: list[str] = []

    def walk(self, dot: Any, boxed: bool, nodes: Any) -> None:
        for node in nodes:
            if isinstance(node, p.Text):
                self.out.append(node.text)
            elif isinstance(node, p.Action):
                value = self.pipeline(dot, boxed, node.pipe)
                if not node.pipe.decl:
                    self.out.append(go_print(value))
            elif isinstance(node, p.Jump):
                raise _Jump(node.kind)
            elif node.kind == "range":
                self.walk_range(dot, boxed, node)
            else:
                mark = len(self.vars)
                value = self.pipeline(dot, boxed, node.pipe)
                if truth(value):
                    self.walk(value if node.kind == "with" else dot,
                              False if node.kind == "with" else boxed, node.body)
                elif node.orelse is not None:
                    self.walk(dot, boxed, node.orelse)
                del self.vars[mark:]

    def walk_range(self, dot: Any, boxed: bool, node: p.Control) -> None:
        mark = len(self.vars)
        value = self.pipeline(dot, boxed, node.pipe)
        if isinstance(value, list):
            items = [(i, item) for i, item in enumerate(value)]
        elif isinstance(value, dict):
            items = [(key, value[key]) for key in sorted(value)]
        elif value is MISSING:
            items = []
        else:
            raise Unsupported(f"range over a {type_name(value)}")
        inner = not isinstance(value, (StringMap, StringList))
        for key, item in items:
            if node.pipe.decl:
                self.vars[-1] = (self.vars[-1][0], item, inner)
            if len(node.pipe.decl) > 1:
                self.vars[-2] = (self.vars[-2][0], key, False)
            top = len(self.vars)
            try:
                self.walk(item, inner, node.body)
            except _Jump as jump:
                if jump.kind == "break":
                    break
            finally:
                del self.vars[top:]
        if not items and node.orelse is not None:
            self.walk(dot, boxed, node.orelse)
        del self.vars[mark:]

    def pipeline(self, dot: Any, boxed: bool, pipe: p.Pipe) -> Any:
        value: Any = _NONE
        for cmd in pipe.cmds:
            value = self.command(dot, boxed, cmd, value)
            if value is None:  # (an interface {} is unwrapped: a nil one is no value)
                value = MISSING
        for name in pipe.decl:
            if pipe.assign:
                found = [i for i, var in enumerate(self.vars) if var[0] == name]
                if not found:
                    # Go fails at the node it evaluated last, which is not kept here.
                    raise Unsupported(f"{name} assigned where it is undefined")
                self.vars[found[-1]] = (name, value, False)
            else:
                self.vars.append((name, value, False))
        return value

    def command(self, dot: Any, boxed: bool, cmd: p.Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, p.Field):
            return self.chain(dot, boxed, first.names, first, len(cmd.args) > 1 or
                              final is not _NONE)[0]
        if isinstance(first, p.Identifier):
            return self.call(dot, boxed, first.name, cmd, cmd.args[1:], final)
        if isinstance(first, (p.Chain, p.Variable)) and len(first.names) > \
                (1 if isinstance(first, p.Variable) else 0):
            return self.operand(dot, boxed, first, len(cmd.args) > 1 or final is not _NONE)[0]
        if len(cmd.args) > 1 or final is not _NONE:
            raise ExecError(f"<{first}>: can't give argument to non-function {first}")
        if isinstance(first, p.Nil):
            raise ExecError("<nil>: nil is not a command")
        return self.operand(dot, boxed, first)[0]

    def operand(self, dot: Any, boxed: bool, node: Any, has_args: bool = False
                ) -> tuple[Any, bool]:
        """The value of an argument node, and whether it sits in an ``interface {}``."""
        if isinstance(node, p.Dot):
            return dot, boxed
        if isinstance(node, p.Field):
            return self.chain(dot, boxed, node.names, node, has_args)
        if isinstance(node, p.Variable):
            # Go's parser accepts a variable its execution has not declared (one declared in
            # an if branch not taken, or in its own declaration): an execution error.
            found = [v for v in self.vars if v[0] == node.names[0]]
            if not found:
                raise ExecError(f"<{node}>: undefined variable: {node.names[0]}")
            name, value, inner = found[-1]
            return self.chain(value, inner, node.names[1:], node, has_args) \
                if len(node.names) > 1 else (value, inner)
        if isinstance(node, p.Chain):
            value = self.operand(dot, boxed, node.node)[0]
            return self.chain(value, False, node.names, node, has_args)
        if isinstance(node, p.Pipe):
            return self.pipeline(dot, boxed, node), False
        if isinstance(node, p.Identifier):
            return self.call(dot, boxed, node.name, node, (), _NONE), False
        return (None if isinstance(node, p.Nil) else node.value), False

    def chain(self, receiver: Any, boxed: bool, names: tuple[str, ...], node: Any,
              has_args: bool) -> tuple[Any, bool]:
        """text/template ``evalFieldChain``: each name a field of the value before it."""
        for position, name in enumerate(names):
            last = position == len(names) - 1
            if receiver is MISSING:
                if self.strict:
                    raise ExecError(f"<{node}>: nil data; no entry for key {_go_quote(name)}")
                return MISSING, False
            if receiver is None:
                raise ExecError(f"<{node}>: nil pointer evaluating interface {{}}.{name}")
            if not isinstance(receiver, Mapping):
                kind = "interface {}" if boxed else type_name(receiver)
                raise ExecError(f"<{node}>: can't evaluate field {name} in type {kind}")
            if last and has_args:
                raise ExecError(f"<{node}>: {name} is not a method but has arguments")
            if name not in receiver:
                if self.strict:
                    raise ExecError(f"<{node}>: map has no entry for key {_go_quote(name)}")
                if not self.zero:
                    return MISSING, False
            # (missingkey=zero: the zero of the map's element type, a string or a nil)
            zero = "" if isinstance(receiver, StringMap) else None
            receiver, boxed = receiver.get(name, zero), not isinstance(receiver, StringMap)
        return receiver, boxed

    def argument(self, dot: Any, boxed: bool, kind: str, node: Any) -> Any:
        """text/template ``evalArg``: the argument ``node`` for a parameter of ``kind``."""
        if isinstance(node, p.Nil):
            if kind in ("any", "value", "map"):
                return {} if kind == "map" else None
            raise ExecError(f"<nil>: cannot assign nil to {_TYPES[kind]}")
        if isinstance(node, (p.Dot, p.Field, p.Variable, p.Pipe, p.Identifier, p.Chain)):
            return self.validate(self.operand(dot, boxed, node)[0], kind, node)
        literal: dict[str, tuple[type, str]] = {
            "bool": (p.Bool, "bool"), "int": (p.Number, "integer"), "string": (p.String, "string")}
        if kind in literal:
            node_type, word = literal[kind]
            constant: Any = node
            if not isinstance(node, node_type) or (kind == "int" and constant.integral is None):
                raise ExecError(f"<{node}>: expected {word}; found {node}")
            return constant.integral if kind == "int" else constant.value
        if kind == "map":
            raise ExecError(f"<{node}>: can't handle {node} for arg of type "
                            "map[string]interface {}")
        return node.value

    def validate(self, value: Any, kind: str, node: Any) -> Any:
        """text/template ``validateType`` of a value for a parameter of ``kind``."""
        if kind == "value":
            return value
        if value is MISSING:
            if kind in ("any", "map"):
                return {} if kind == "map" else None
            raise ExecError(f"<{node}>: invalid value; expected {_TYPES[kind]}")
        if kind == "any" or _fits(value, kind):
            return value
        got = "interface {}" if value is None else type_name(value)
        raise ExecError(f"<{node}>: wrong type for value; expected {_TYPES[kind]}; got {got}")

    def call(self, dot: Any, boxed: bool, name: str, node: Any, args: tuple[Any, ...],
             final: Any) -> Any:
        """text/template ``evalCall`` of the function ``name``."""
        function = self.functions[name]
        params = function.params
        count = len(args) + (final is not _NONE)
        fixed = len(params) - 1 if function.variadic else len(params)
        if function.variadic and count < fixed:
            raise ExecError(f"<{node}>: wrong number of args for {name}: want at least "
                            f"{fixed} got {len(args)}")
        if not function.variadic and count != len(params):
            raise ExecError(f"<{node}>: wrong number of args for {name}: want {len(params)} "
                            f"got {count}")
        if name in ("and", "or"):
            return self.and_or(dot, boxed, name, args, final)
        values = [self.argument(dot, boxed, params[min(i, len(params) - 1)], arg)
                  for i, arg in enumerate(args)]
        if final is not _NONE:
            values.append(self.validate(final, params[min(len(args), len(params) - 1)],
                                        node))
        try:
            return function.call(*values)
        except CallError as exc:
            raise ExecError(f"<{node}>: error calling {name}: {exc}") from None

    def and_or(self, dot: Any, boxed: bool, name: str, args: tuple[Any, ...], final: Any
               ) -> Any:
        value: Any = MISSING
        for arg in args:
            value = self.argument(dot, boxed, "value", arg)
            if truth(value) == (name == "or"):
                return value
        return final if final is not _NONE else value


_NONE: Any = object()  # no final value: the first command of a pipeline


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
