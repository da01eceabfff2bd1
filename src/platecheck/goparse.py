"""The syntax of Go's ``text/template`` (text/template/parse ``lex.go``, ``parse.go``): a
template's text into its tree of nodes, as Go parses it, or ``ParseError``.

Read: text, comments (``{{/* */}}``), trim markers (``{{- ``, `` -}}``), actions of pipelines
(commands joined by ``|``) whose arguments are field chains on ``.``, on variables and on
parenthesised pipelines, ``.``, variables and their declaration and assignment, strings
(quoted, with Go's escapes, and raw), decimal numbers, ``true``, ``false``, ``nil`` and
functions of ``functions``; ``if`` / ``else if`` / ``else``, ``range`` (one or two variables,
``break``, ``continue``, ``else``), ``with`` / ``else``, each closed by ``end``. Refused, as
not read (``ParseError`` too): ``define``, ``template``, ``block``, character constants,
numbers other than decimal ones, a name beyond ASCII, a function not in ``functions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any


class ParseError(Exception):
    """A template Go refuses to parse, or one of a construct not read."""


class GoRefusal(ParseError):
    """A template Go's lexer or parser refuses, as surely as platecheck reads it: an
    unclosed action, comment, string or parenthesis, a bad character in a name, an undefined
    variable (every other ParseError may be a construct platecheck does not read)."""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Dot:
    def __str__(self) -> str:
        return "."


@dataclass(frozen=True)
class Nil:
    def __str__(self) -> str:
        return "nil"


@dataclass(frozen=True)
class Bool:
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True)
class Number:
    """A number constant: ``value`` an ``int`` when Go reads the text as one (``1``), else a
    float64 (``1.0``: ``integral`` then gives the int a parameter of type int takes)."""

    text: str
    value: int | float
    integral: int | None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class String:
    text: str  # as written (Go prints the node so)
    value: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Identifier:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Field:
    """A field chain on dot: ``.a.b`` is ``("a", "b")``."""

    names: tuple[str, ...]

    @property
    def key(self) -> str:
        return ".".join(self.names)

    def __str__(self) -> str:
        return "".join(f".{name}" for name in self.names)


@dataclass(frozen=True)
class Variable:
    """A variable and its field chain: ``$x.a`` is ``("$x", "a")``."""

    names: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.names)


@dataclass(frozen=True)
class Chain:
    """A field chain on a parenthesised pipeline: ``(index .a 0).b``."""

    node: Any
    names: tuple[str, ...]

    def __str__(self) -> str:
        return f"({self.node})" + "".join(f".{name}" for name in self.names)


@dataclass(frozen=True)
class Command:
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return " ".join(f"({arg})" if isinstance(arg, Pipe) else str(arg) for arg in self.args)


@dataclass(frozen=True)
class Pipe:
    decl: tuple[str, ...]
    assign: bool
    cmds: tuple[Command, ...]

    def __str__(self) -> str:
        head = ", ".join(self.decl) + (" = " if self.assign else " := ") if self.decl else ""
        return head + " | ".join(str(cmd) for cmd in self.cmds)


@dataclass(frozen=True)
class Action:
    pipe: Pipe


@dataclass(frozen=True)
class Control:
    """``if``, ``with`` or ``range`` (``kind``) of ``pipe``, its list and its else list."""

    kind: str
    pipe: Pipe
    body: tuple[Any, ...]
    orelse: tuple[Any, ...] | None


@dataclass(frozen=True)
class Jump:
    """``break`` or ``continue``."""

    kind: str


# --- the lexer: (kind, text) items -----------------------------------------------------------
_SPACE = " \t\r\n"
_KEYWORDS = frozenset(("if", "else", "end", "range", "with", "nil", "break", "continue",
                       "define", "template", "block"))
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALNUM = re.compile(r"[A-Za-z0-9_]|[^\x00-\x7f]")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_TERMINATORS = frozenset(_SPACE) | frozenset(".,|:)(}")


@dataclass
class _Lexer:
    text: str
    at: int = 0
    items: list[tuple[str, str]] = field(default_factory=list)

    def right_delim(self) -> tuple[bool, bool]:
        """Whether the action ends here, and with a trim marker (`` -}}``)."""
        rest = self.text[self.at:self.at + 4]
        if len(rest) == 4 and rest[0] in _SPACE and rest[1:] == "-}}":
            return True, True
        return rest.startswith("}}"), False

    def lex(self) -> list[tuple[str, str]]:
        text = self.text
        while (start := text.find("{{", self.at)) >= 0:
            left_trim = text[start + 2:start + 3] == "-" and text[start + 3:start + 4] != "" \
                and text[start + 3] in _SPACE
            literal = text[self.at:start]
            self.items.append(("text", literal.rstrip(_SPACE) if left_trim else literal))
            self.at = start + (4 if left_trim else 2)
            if text.startswith("/*", self.at):
                self.comment()
            else:
                self.items.append(("left", ""))
                self.action()
        self.items.append(("text", text[self.at:]))
        self.items = [item for item in self.items if item != ("text", "")]
        return self.items

    def comment(self) -> None:
        end = self.text.find("*/", self.at + 2)
        if end < 0:
            raise GoRefusal("unclosed comment")
        self.at = end + 2
        self.close(("comment", ""))

    def close(self, item: tuple[str, str] | None = None) -> None:
        """The right delimiter at ``at``, and the space its trim marker drops after it."""
        delim, trim = self.right_delim()
        if not delim:
            raise GoRefusal("comment ends before closing delimiter")
        if item is not None:
            self.items.append(item)
        self.items.append(("right", ""))
        self.at += 4 if trim else 2
        while trim and self.at < len(self.text) and self.text[self.at] in _SPACE:
            self.at += 1

    def action(self) -> None:
        depth = 0
        while True:
            delim, _ = self.right_delim()
            if delim:
                if depth:
                    raise GoRefusal("unclosed left paren")
                self.close()
                return
            depth += self.token(depth)
            if depth < 0:
                raise GoRefusal("unexpected right paren")

    def token(self, depth: int) -> int:  # noqa: C901 - one branch per kind of item
        text, at = self.text, self.at
        if at >= len(text):
            raise GoRefusal("unclosed action")
        char = text[at]
        if char in _SPACE:
            end = at
            while end < len(text) and text[end] in _SPACE:
                end += 1
            if end - at > 1 and text.startswith("-}}", end):
                end -= 1  # (Go's lexSpace leaves the last space to the trim marker " -}}")
            self.emit("space", end)
        elif text.startswith(":=", at):
            self.emit("declare", at + 2)
        elif char in "=|,(),":
            self.emit({"=": "assign", "|": "pipe", ",": "char", "(": "lparen",
                       ")": "rparen"}[char], at + 1)
            return {"(": 1, ")": -1}.get(char, 0)
        elif char == '"':
            match = _STRING.match(text, at)
            if match is None:
                raise GoRefusal("unterminated quoted string")
            self.emit("string", match.end())
        elif char == "`":
            end = text.find("`", at + 1)
            if end < 0:
                raise GoRefusal("unterminated raw quoted string")
            self.emit("raw", end + 1)
        elif char in "$." and not (char == "." and text[at + 1:at + 2].isdigit()):
            self.name(char)
        elif char in "+-.0123456789":
            match = _NUMBER.match(text, at)
            if match is None or _ALNUM.match(text, match.end()) or \
                    text[match.end():match.end() + 1] == ".":
                raise ParseError("bad number syntax")
            self.emit("number", match.end())
        elif _NAME.match(text, at):
            self.name("")
        else:
            raise ParseError(f"unrecognized character in action: {char!r}")
        return 0

    def name(self, sigil: str) -> None:
        """A field (``.a``), a variable (``$x``, ``$``), dot, or an identifier or keyword."""
        start = self.at + len(sigil)
        match = _NAME.match(self.text, start)
        end = match.end() if match else start
        if _ALNUM.match(self.text, end):  # a letter beyond ASCII, which Go's names may hold
            raise ParseError("a name of a letter platecheck does not read")
        if end < len(self.text) and self.text[end] not in _TERMINATORS:
            raise GoRefusal(f"bad character {self.text[end]!r} in a name")
        word = self.text[self.at:end]
        kind = {"$": "variable", ".": "field" if match else "dot"}.get(sigil) or (
            "keyword" if word in _KEYWORDS else "bool" if word in ("true", "false")
            else "identifier")
        self.emit(kind, end)

    def emit(self, kind: str, end: int) -> None:
        self.items.append((kind, self.text[self.at:end]))
        self.at = end


def _unquote(text: str) -> str:
    """A Go quoted string's value (strconv ``Unquote``), its escapes those Go reads."""
    if text.startswith("`"):
        return text[1:-1].replace("\r", "")
    out, i, body = [], 0, text[1:-1]
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"'}
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        escape = body[i + 1]
        if escape in simple:
            out.append(simple[escape])
            i += 2
        elif escape in "xuU" and re.fullmatch(
                r"[0-9A-Fa-f]+", digits := body[i + 2:i + 2 + {"x": 2, "u": 4, "U": 8}[escape]]) \
                and len(digits) == {"x": 2, "u": 4, "U": 8}[escape]:
            code = int(digits, 16)
            if escape == "x" and code > 0x7F or code > 0x10FFFF or 0xD800 <= code < 0xE000:
                raise ParseError("an escape platecheck does not read")
            out.append(chr(code))
            i += 2 + len(digits)
        else:
            raise ParseError(f"invalid syntax: \\{escape}")
    return "".join(out)


def _number(text: str) -> Number:
    """A decimal number constant as Go's ``newNumber`` and ``idealConstant`` read it."""
    digits = text.lstrip("+-")
    if re.match(r"0[0-9]", digits):
        raise ParseError("an octal number")
    if not any(c in text for c in ".eE"):
        value = int(text)
        if not -(2 ** 63) <= value < 2 ** 63:
            raise ParseError("integer overflow")
        return Number(text, value, value)
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ParseError("value out of range")
    integral = int(number) if number.is_integer() and abs(number) < 2 ** 63 else None
    return Number(text, number, integral)


# --- the parser ------------------------------------------------------------------------------
class _Parser:
    def __init__(self, items: list[tuple[str, str]], functions: Collection[str]) -> None:
        self.items, self.at, self.functions = items, 0, functions
        self.vars: list[str] = ["$"]
        self.range_depth = 0

    def peek(self, skip_space: bool = False) -> tuple[str, str]:
        at = self.at
        while skip_space and at < len(self.items) and self.items[at][0] == "space":
            at += 1
        return self.items[at] if at < len(self.items) else ("eof", "")

    def next(self, skip_space: bool = False) -> tuple[str, str]:
        item = self.peek(skip_space)
        while skip_space and self.items[self.at][0] == "space":
            self.at += 1
        self.at += 1
        return item

    def item_list(self, top: bool = False) -> tuple[list[Any], tuple[str, str]]:
        """The nodes up to an ``else`` or ``end`` action (the end of the text at ``top``)."""
        nodes: list[Any] = []
        while (item := self.next())[0] != "eof":
            if item[0] == "text":
                nodes.append(Text(item[1]))
            elif item[0] == "comment":
                self.expect("right")
            else:
                node = self.action()
                if isinstance(node, tuple):
                    if top:
                        raise ParseError(f"unexpected {node[1]}")
                    return nodes, node
                nodes.append(node)
        if not top:
            raise ParseError("unexpected EOF")
        return nodes, ("eof", "")

    def expect(self, kind: str) -> None:
        if self.next(skip_space=True)[0] != kind:
            raise ParseError(f"expected {kind}")

    def action(self) -> Any:
        kind, word = self.peek(skip_space=True)
        if kind != "keyword" or word == "nil":
            return Action(self.pipeline("command"))
        self.next(skip_space=True)
        if word in ("if", "with", "range"):
            return self.control(word)
        if word in ("break", "continue"):
            self.expect("right")
            if not self.range_depth:
                raise ParseError(f"{{{{{word}}}}} outside {{{{range}}}}")
            return Jump(word)
        if word == "end":
            self.expect("right")
            return ("end", "end")
        if word == "else":
            if self.peek(skip_space=True) == ("keyword", "if"):
                return ("else", "else if")
            self.expect("right")
            return ("else", "else")
        raise ParseError(f"{{{{{word}}}}} is not one platecheck executes")

    def control(self, kind: str) -> Control:
        mark = len(self.vars)
        pipe = self.pipeline(kind)
        self.range_depth += kind == "range"
        body, stop = self.item_list()
        self.range_depth -= kind == "range"
        orelse: list[Any] | None = None
        if stop[1] == "else if":
            if kind != "if":
                raise ParseError(f"else if in {kind}")
            self.next(skip_space=True)  # (the "if": {{else}}{{if}}, one {{end}} for both)
            orelse = [self.control("if")]
        elif stop[0] == "else":
            orelse, stop = self.item_list()
            if stop[0] != "end":
                raise ParseError("expected end; found else")
        del self.vars[mark:]
        return Control(kind, pipe, tuple(body), None if orelse is None else tuple(orelse))

    def pipeline(self, context: str) -> Pipe:
        decl, assign = self.declarations(context)
        return Pipe(tuple(decl), assign, self.commands("right", context))

    def commands(self, closing: str, context: str) -> tuple[Command, ...]:
        """The commands of a pipeline up to the ``closing`` item, which is read too."""
        cmds: list[Command] = []
        while (item := self.peek(skip_space=True))[0] != closing:
            if item[0] not in ("bool", "dot", "field", "identifier", "number", "string", "raw",
                               "variable", "lparen") and item != ("keyword", "nil"):
                raise ParseError(f"unexpected {item[1]!r} in {context}")
            cmds.append(self.command())
            if self.peek()[0] == "pipe":  # (a last one before the delimiter is no error)
                self.next()
        self.next(skip_space=True)
        self.check(cmds, context)
        return tuple(cmds)

    def declarations(self, context: str) -> tuple[list[str], bool]:
        decl: list[str] = []
        while self.peek(skip_space=True)[0] == "variable":
            start = self.at
            name = self.next(skip_space=True)[1]
            after = self.peek(skip_space=True)
            if after[0] in ("declare", "assign") and "." not in name[1:]:
                self.next(skip_space=True)
                if after[0] == "assign" and (decl or context == "range" or name not in self.vars):
                    raise ParseError("an assignment platecheck does not read")
                decl.append(name)
                self.vars.append(name)
                return decl, after[0] == "assign"
            if after == ("char", ",") and context == "range" and not decl \
                    and "." not in name[1:]:
                self.next(skip_space=True)
                decl.append(name)
                self.vars.append(name)
                continue
            if decl:
                raise ParseError("range can only initialize variables")
            self.at = start
            break
        return decl, False

    def check(self, cmds: list[Command], context: str) -> None:
        if not cmds:
            raise ParseError(f"missing value for {context}")
        for cmd in cmds[1:]:
            if isinstance(cmd.args[0], (Bool, Dot, Nil, Number, String)):
                raise ParseError("non executable command in pipeline")

    def command(self) -> Command:
        args: list[Any] = []
        while True:
            self.peek(skip_space=True)
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            kind = self.peek()[0]
            if kind == "space":
                self.next()
                continue
            if kind not in ("right", "rparen", "pipe"):
                raise ParseError(f"unexpected {self.peek()[1]!r} in operand")
            break
        if not args:
            raise ParseError("empty command")
        return Command(tuple(args))

    def operand(self) -> Any:
        node = self.term()
        if node is None or self.peek()[0] != "field":
            return node
        names: list[str] = []
        while self.peek()[0] == "field":
            names.append(self.next()[1][1:])
        if isinstance(node, Field):
            return Field((*node.names, *names))
        if isinstance(node, Variable):
            return Variable((*node.names, *names))
        if isinstance(node, (Bool, String, Number, Nil, Dot)):
            raise ParseError(f"unexpected . after term {node}")
        return Chain(node, tuple(names))

    def term(self) -> Any:
        while self.peek()[0] == "space":
            self.next()
        kind, text = self.peek()
        if kind == "lparen":
            self.next()
            pipe = self.paren_pipeline()
            return pipe
        if kind not in ("identifier", "dot", "keyword", "variable", "field", "bool", "number",
                        "string", "raw") or (kind == "keyword" and text != "nil"):
            return None
        self.next()
        if kind == "identifier":
            if text not in self.functions:
                raise ParseError(f"function {text!r} is not one platecheck executes")
            return Identifier(text)
        if kind == "variable":
            if text.split(".")[0] not in self.vars:
                raise GoRefusal(f"undefined variable {text!r}")
            return Variable((text,))
        constants: dict[str, Callable[[], Any]] = {"dot": lambda: Dot(), "keyword": lambda: Nil(),
                     "field": lambda: Field((text[1:],)), "bool": lambda: Bool(text == "true"),
                     "number": lambda: _number(text),
                     "string": lambda: String(text, _unquote(text)),
                     "raw": lambda: String(text, _unquote(text))}
        return constants[kind]()

    def paren_pipeline(self) -> Pipe:
        return Pipe((), False, self.commands("rparen", "parenthesized pipeline"))


def parse_tree(text: str, functions: Collection[str]) -> tuple[Any, ...]:
    """The nodes of the template ``text`` whose functions are ``functions``; ``ParseError``
    when Go refuses it or it holds a construct not read."""
    parser = _Parser(_Lexer(text).lex(), functions)
    nodes, _ = parser.item_list(top=True)
    return tuple(nodes)
