"""text/template's builtin functions (``funcs.go``) over the values of ``gofmt``: ``and``,
``or``, ``not``, ``len``, ``index``, ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``print``,
``printf``, ``println``. ``and`` and ``or`` short-circuit in the executor
(``gotemplate_exec``); here they are their parameter types alone. Its ``slice`` is not among
them: sprig's ``slice``, in the functions Argo CD gives text/template, replaces it
(``gofuncs``).
"""

from __future__ import annotations

from typing import Any

from platecheck.gofmt import MISSING, StringMap, Unsupported, go_print, sprintf, type_name
from platecheck.gofuncs import CallError, GoFunc


def truth(value: Any) -> bool:
    """text/template's ``isTrue``: no value and nil are false, as are zero and empty ones."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return bool(value)


def _kind(value: Any) -> str:
    """reflect's basic kind of a value (``basicKind``): ``invalid`` for no value and nil."""
    if value is MISSING or value is None:
        return "zero"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "invalid"


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise CallError("missing argument for comparison")
    k1 = _kind(first)
    for other in others:
        k2 = _kind(other)
        if k1 != k2:
            if "zero" not in (k1, k2):
                raise CallError("incompatible types for comparison")
            continue
        if k1 in ("zero", "invalid"):
            raise Unsupported("eq of no value, nil, maps or lists")
        if first == other:
            return True
    return False


def _lt(first: Any, second: Any) -> bool:
    k1, k2 = _kind(first), _kind(second)
    if k1 in ("zero", "invalid") or k2 in ("zero", "invalid"):
        raise CallError("invalid type for comparison")
    if k1 != k2:
        raise CallError("incompatible types for comparison")
    if k1 == "bool":
        raise CallError("invalid type for comparison")
    return bool(first < second)


def _le(first: Any, second: Any) -> bool:
    return _lt(first, second) or _eq(first, second)


def _index_arg(index: Any, cap: int) -> int:
    if index is MISSING or index is None:
        raise CallError("cannot index slice/array with nil")
    if not isinstance(index, int) or isinstance(index, bool):
        raise CallError(f"cannot index slice/array with type {type_name(index)}")
    if index < 0 or index > cap:
        raise CallError(f"index out of range: {index}")
    return index


def _index(item: Any, *indexes: Any) -> Any:
    if item is MISSING or item is None:
        raise CallError("index of untyped nil")
    for index in indexes:
        if item is None:
            raise CallError("index of nil pointer")
        if isinstance(item, list):
            position = _index_arg(index, len(item))
            if position == len(item):
                raise CallError("reflect: slice index out of range")
            item = item[position]
        elif isinstance(item, dict):
            if index is MISSING or index is None:
                raise CallError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise CallError(f"value has type {type_name(index)}; should be string")
            item = item.get(index, "" if isinstance(item, StringMap) else None)
        elif isinstance(item, str):
            raise Unsupported("index of a string (a byte)")
        else:
            raise CallError(f"can't index item of type {type_name(item)}")
    return item


def _len(item: Any) -> int:
    if item is MISSING or item is None:
        raise Unsupported("len of no value")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogatepass"))
    if isinstance(item, (list, dict)):
        return len(item)
    raise CallError(f"len of type {type_name(item)}")


def _sprint(*values: Any) -> str:
    out = []
    for position, value in enumerate(values):
        if position and not isinstance(value, str) and not isinstance(values[position - 1], str):
            out.append(" ")
        out.append(go_print(value))
    return "".join(out)


BUILTINS: dict[str, GoFunc] = {
    "and": GoFunc(("value", "value"), lambda *v: v[-1], variadic=True),
    "or": GoFunc(("value", "value"), lambda *v: v[-1], variadic=True),
    "not": GoFunc(("value",), lambda v: not truth(v)),
    "len": GoFunc(("value",), _len),
    "index": GoFunc(("value", "value"), _index, variadic=True),
    "eq": GoFunc(("value", "value"), _eq, variadic=True),
    "ne": GoFunc(("value", "value"), lambda a, b: not _eq(a, b)),
    "lt": GoFunc(("value", "value"), _lt),
    "le": GoFunc(("value", "value"), _le),
    "gt": GoFunc(("value", "value"), lambda a, b: not _le(a, b)),
    "ge": GoFunc(("value", "value"), lambda a, b: not _lt(a, b)),
    "print": GoFunc(("any",), _sprint, variadic=True),
    "printf": GoFunc(("string", "any"), lambda form, *v: sprintf(form, list(v)),
                     variadic=True),
    "println": GoFunc(("any",), lambda *v: " ".join(go_print(x) for x in v) + "\n",
                      variadic=True),
}
