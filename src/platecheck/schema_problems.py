"""Schema violations as ``path: problem`` lines, and remembered per schema and document
content (``remembering``), so a changed run validates only what changed."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from platecheck import goregex
from platecheck.cache import Digest, ResultMemo, code_digest

if TYPE_CHECKING:
    import jsonschema  # type: ignore[import-untyped]

# jsonschema (about 50 ms to import with referencing) is imported where an error is
# described: a run whose documents' problems are all remembered needs it not.

QUANTITY_FORMAT = "kubernetes-quantity"
BYTE_FORMAT = "byte"  # a Go []byte, written in base64
Validator = Any  # a jsonschema validator instance (the protocol is not exported as a type)


# --- errors as "path: problem" -----------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: Iterable[str | int]) -> str:
    """``("spec", "containers", 0, "image")`` -> ``spec.containers[0].image``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation: where (as a path into the document) and what."""

    path: tuple[str | int, ...]
    message: str

    @property
    def text(self) -> str:
        where = format_path(self.path)
        return f"{where}: {self.message}" if where else self.message


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _describe(error: jsonschema.ValidationError) -> Iterator[SchemaProblem]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        for key in sorted(error.instance):
            if key not in known and not any(p.search(key) for p in patterns):
                yield SchemaProblem((*path, key), "unknown field")
        return
    if error.validator == "required" and isinstance(error.instance, dict):
        for missing in error.validator_value:
            if missing not in error.instance:
                yield SchemaProblem(path, f"required field {missing!r} is missing")
        return
    if error.validator == "type":
        wanted = error.validator_value
        wanted_text = " or ".join(t for t in ([wanted] if isinstance(wanted, str) else wanted)
                                  if t != "null")
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        shown = "" if error.instance is None else f" {_short(error.instance)}"
        yield SchemaProblem(path, f"expected {wanted_text}, got {got}{shown}")
        return
    if error.validator == "enum":
        allowed = ", ".join(_short(v) for v in error.validator_value if v is not None)
        yield SchemaProblem(path, f"{_short(error.instance)} is not one of {allowed}")
        return
    if error.validator == "format" and error.validator_value == QUANTITY_FORMAT:
        yield SchemaProblem(path, f"{_short(error.instance)} is not a Kubernetes quantity "
                                  "(e.g. 500m, 2, 512Mi, 50Gi, 50G)")
        return
    if error.validator == "format" and error.validator_value in ("int32", "int64"):
        number = error.instance
        whole = int(number) if isinstance(number, float) and number.is_integer() else number
        yield SchemaProblem(path, f"{_short(whole)} does not fit an {error.validator_value}; "
                                  "the API server refuses it")
        return
    if error.validator == "format" and error.validator_value == BYTE_FORMAT:
        # the value is left out: a Secret's data is no text for a report
        yield SchemaProblem(path, "not base64 (the standard alphabet, padded with '='); the API "
                                  "server cannot decode it into bytes and refuses it")
        return
    if error.validator == "pattern" and isinstance(error.validator_value, str):
        # as jsonschema says it, with the pattern as the schema wrote it (goregex)
        yield SchemaProblem(path, f"{error.instance!r} does not match "
                                  f"{goregex.quoted(error.validator_value)}")
        return
    if error.validator in ("oneOf", "anyOf") and error.context:
        import jsonschema

        best = jsonschema.exceptions.best_match(error.context)
        if best is not None:
            yield from _describe(best)
            return
    yield SchemaProblem(path, str(error.message))


def as_json(value: Any) -> Any:
    """A parsed YAML value as the JSON kubectl and Argo CD send: mapping keys are strings and
    timestamps stay the text they were (Go's YAML reader keeps them as strings)."""
    if isinstance(value, Mapping):
        return {_json_key(k): as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _sort_key(problem: SchemaProblem) -> tuple[Any, ...]:
    return (tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in problem.path),
            problem.message)


def problems(validator: Validator, document: Mapping[str, Any],
             identity: str | None = None) -> list[SchemaProblem]:
    """Every schema violation in ``document``, sorted by path then message. With the
    validator's ``identity`` (see FoundSchema) inside ``remembering``, what was found for the
    same document content is not looked for again."""
    data = as_json(document)
    slot = _slot(identity, data)
    if slot is not None:
        known = _as_problems(slot.memo.get(slot.group, slot.key))
        if known is not None:
            return known
    found = [p for error in validator.iter_errors(data) for p in _describe(error)]
    unique = sorted({(p.path, p.message): p for p in found}.values(), key=_sort_key)
    if slot is not None:
        slot.memo.put(slot.group, slot.key, [[list(p.path), p.message] for p in unique])
    return unique


# --- remembered problems -------------------------------------------------------------------------

_memos: list[ResultMemo] = []  # the memo of the run in progress, see ``remembering``
# what decides the problems found besides the schema: Python (its ``re``), jsonschema,
# kubernetes-validate and platecheck's code that builds the validators (quantities, Go
# patterns) and describes their errors
_CODE = ("schemas.py", "schema_validators.py", "schema_problems.py", "quantity.py", "goregex.py")


@contextlib.contextmanager
def remembering(directory: Path | None) -> Iterator[None]:
    """Within the block, ``problems`` remembers what it finds under ``directory`` (None:
    nothing is remembered), per schema identity and document content, and answers from
    there: a changed run validates only what changed."""
    if directory is None or _code_version() is None:
        yield
        return
    memo = ResultMemo(directory)
    _memos.append(memo)
    try:
        yield
    finally:
        _memos.remove(memo)
        memo.save()


def active_memo() -> ResultMemo | None:
    """The memo of the innermost ``remembering`` block, if any."""
    return _memos[-1] if _memos else None


def recall(identities: Iterable[str | None]) -> None:
    """Read what is remembered for ``identities`` now, so that policies read no file."""
    if _memos:
        for identity in sorted({i for i in identities if i is not None}):
            _memos[-1].load(identity)


class _Slot(NamedTuple):
    memo: ResultMemo
    group: str
    key: str


def _slot(identity: str | None, data: Any) -> _Slot | None:
    """Where the problems of ``data`` under a validator of ``identity`` are remembered."""
    if not _memos or identity is None:
        return None
    key = _document_key(data)
    return _Slot(_memos[-1], identity, key) if key is not None else None


def _code_version() -> str | None:
    return code_digest(_CODE, ("jsonschema", "kubernetes-validate"))


def schema_identity(*parts: str) -> str | None:
    code = _code_version()
    if code is None:
        return None
    digest = Digest("schema-problems")
    digest.extend([code, *parts])
    return digest.hexdigest()


def _document_key(data: Any) -> str | None:
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()
    except (TypeError, ValueError):
        return None  # not plain JSON (a key of mixed types cannot be sorted): not remembered


def _as_problems(known: Any) -> list[SchemaProblem] | None:
    if not isinstance(known, list):
        return None
    result = []
    for item in known:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)
                and isinstance(item[1], str)):
            return None
        result.append(SchemaProblem(tuple(item[0]), item[1]))
    return result
