"""Reading YAML with the line of every key, so findings can point at the line to edit.

Documents are composed into nodes first (C loader when available) and then built by hand:
the walk that builds the data also records ``key path -> line``. Mapping keys become
strings, as they do when Helm turns values into JSON.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from platecheck.boundedread import read_at_most
from platecheck.cache import Digest, ResultMemo, code_digest, json_copy
from platecheck.errors import (
    FileTooLarge,
    NotRegularFile,
    PlatecheckError,
    UnreadableFile,
    YamlBadValue,
    YamlDuplicateKey,
    YamlEncodingError,
    YamlError,
    YamlSyntaxError,
    YamlTooComplex,
    YamlTooDeep,
)
from platecheck.gojson import read_json, read_values
from platecheck.goyaml import (
    C_LOADER,
    GO_ONLY_ESCAPE,
    MERGE_TAG,
    NULL_KEY,
    PURE_LOADER,
    go_key,
    go_scalar,
)
from platecheck.model import KeyPath, ValuesFile, scalars
from platecheck.runmemo import recall

T = TypeVar("T")


def _default_loader() -> type[Any]:
    """libyaml's loader when PyYAML was built with it, unless ``PLATECHECK_PURE_YAML=1`` asks
    for the pure-Python one (the test suite runs its YAML cases with both)."""
    if os.environ.get("PLATECHECK_PURE_YAML") != "1" and C_LOADER is not None:
        return C_LOADER
    return PURE_LOADER


# The loader every YAML read in platecheck goes through; tests swap it to compare loaders.
LOADER: type[Any] = _default_loader()
_PURE_LOADER = PURE_LOADER
MAX_FILE_SIZE = 32 << 20  # bytes; larger YAML is refused, not read into memory
_MAX_NODES = 250_000  # aliases are expanded; a document that explodes is refused
# Collections inside collections. Checked on the parser's events before composing: libyaml
# 0.2.5 crashes the process on ~30,000 levels and 0.2.6 refuses ~1,000 with an error of its
# own, so the limit sits well below both and every loader gives the same error and line.
MAX_NESTING = 200
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


@dataclass(frozen=True)
class Document:
    """One YAML document: its data, the line of every key path, and its first line."""

    data: Any
    lines: Mapping[KeyPath, int]
    line: int  # 1-based line of the document's first node

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest written ancestor, or of the document."""
        return line_of(self.lines, path, self.line)


def line_of(lines: Mapping[KeyPath, int], path: KeyPath, default: int) -> int:
    """The line of ``path``, or of its nearest ancestor that is written (``default`` when
    none is: the document's first line)."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return default


def below(found: Mapping[KeyPath, T], key: KeyPath) -> dict[KeyPath, T]:
    """The entries of ``found`` (lines, origins) under the key path ``key``, by their paths
    from it (``key`` itself left out)."""
    size = len(key)
    return {path[size:]: value for path, value in found.items()
            if len(path) > size and path[:size] == key}


def decode(raw: bytes, rel: str, lenient: bool = False) -> str:
    """Bytes of a YAML file as text; a UTF-8 byte order mark is dropped, one of UTF-16 decodes
    the file as UTF-16 (go-yaml, which Helm reads values and charts with, detects it, and so
    does the reader Argo CD reads a directory's manifests with), other encodings fail with
    the line of the first undecodable byte. ``lenient``: a byte that is no UTF-8 is U+FFFD
    instead, as the reader of a directory's manifests (``utfutil``'s UTF-8 decoder) makes
    it."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith(UTF16_MARKS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise YamlEncodingError("file starts with a UTF-16 byte order mark but is not "
                                    "valid UTF-16", rel, 1) from None
    try:
        return raw.decode("utf-8", "replace" if lenient else "strict")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlEncodingError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", rel,
                                line) from None


def read_text(path: Path, rel: str, lenient: bool = False) -> tuple[bytes, str]:
    """A YAML file's bytes and text (``decode``). Only regular files up to ``MAX_FILE_SIZE``
    are read."""
    raw = read_bytes(path, rel)
    return raw, decode(raw, rel, lenient)


UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def read_own_text(path: Path, rel: str) -> tuple[bytes, str]:
    """``read_text`` of a file platecheck alone reads (its configuration, its waivers):
    UTF-8 only, a UTF-16 one refused at its first line, as any other encoding is."""
    raw = read_bytes(path, rel)
    if raw.startswith(UTF16_MARKS):
        raise YamlEncodingError("not valid UTF-8 (a UTF-16 byte order mark): platecheck "
                                "reads its own files as UTF-8", rel, 1)
    return raw, decode(raw, rel)


def read_bytes(path: Path, rel: str) -> bytes:
    """A file's bytes. Only regular files up to ``MAX_FILE_SIZE`` are read."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}", rel) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"not a regular file ({_file_kind(info.st_mode)}); platecheck "
                                 "reads only regular files", rel)
        with os.fdopen(handle, "rb", closefd=False) as stream:
            raw = read_at_most(stream, info.st_size, MAX_FILE_SIZE)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}", rel) from None
    finally:
        os.close(handle)
    if len(raw) > MAX_FILE_SIZE:
        raise FileTooLarge(f"file is larger than {MAX_FILE_SIZE >> 20} MiB; platecheck does "
                           "not read files this large", rel)
    return raw


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"


def too_deep(text: str) -> int | None:
    """The 1-based line where ``text`` nests collections more than ``MAX_NESTING`` deep, or
    None. Nesting needs a ``[`` or ``{`` per flow level and a column per block level: text
    with fewer of those than the limit is not scanned. When libyaml stops on an error of its
    own first (0.2.6 refuses deep nesting before the parser's events reach it), the text up
    to that error is read again with the pure-Python parser, which has no such limit, so the
    answer is the same with every loader."""
    if len(text) <= MAX_NESTING:
        return None
    bound = text.count("[") + text.count("{") + max(map(len, text.splitlines()), default=0)
    if bound <= MAX_NESTING:
        return None
    loader = _loader_for(text)  # (escapes libyaml refuses and Go reads: the pure one)
    try:
        return _first_too_deep(yaml.parse(text, Loader=loader))
    except yaml.MarkedYAMLError as exc:
        if loader is _PURE_LOADER or exc.problem_mark is None:
            return None
        prefix = text[:exc.problem_mark.index + 1]
    except yaml.YAMLError:
        return None
    try:
        return _first_too_deep(yaml.parse(prefix, Loader=_PURE_LOADER))
    except yaml.YAMLError:
        return None  # composing stops at the same error, no deeper than the events so far


def _first_too_deep(events: Iterator[yaml.Event]) -> int | None:
    depth = 0
    for event in events:
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_NESTING:
                mark = event.start_mark
                return int(mark.line) + 1 if mark is not None else 1
        elif isinstance(event, _CLOSE):
            depth -= 1
    return None


# a %YAML directive: go-yaml's parser reads documents of version 1.1 alone
_YAML_DIRECTIVE = re.compile(r"^%YAML[ \t]+([0-9]+)\.([0-9]+)", re.MULTILINE)
# the lines before a stream's first document: blank, comments and directives
_PROLOGUE = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n|%[^\n]*\n)*")


def _check_readable(text: str, rel: str, *, first_only: bool = False) -> None:
    """What stops a stream before it is read: a ``%YAML`` directive of another version than
    1.1 (go-yaml: "found incompatible YAML document"; PyYAML reads 1.2), of the first
    document alone when only that one is read; nesting deeper than platecheck reads."""
    end = _PROLOGUE.match(text).end() if first_only else len(text)  # type: ignore[union-attr]
    for match in _YAML_DIRECTIVE.finditer(text, 0, end):
        if (int(match.group(1)), int(match.group(2))) != (1, 1):
            raise YamlSyntaxError(
                f"invalid YAML: found incompatible YAML document (%YAML {match.group(1)}."
                f"{match.group(2)}: Go's YAML, which helm, kubectl and Argo CD read with, reads "
                "version 1.1 only)", rel, text.count("\n", 0, match.start()) + 1)
    line = too_deep(text)
    if line is not None:
        raise YamlTooDeep(f"YAML nested more than {MAX_NESTING} levels deep; platecheck "
                          "does not read it", rel, line)


def yaml_error(exc: BaseException, rel: str, text: str | None = None) -> YamlError:
    """The one mapping from what a YAML loader raises to platecheck's typed errors. The
    parser's own description of a syntax problem is kept after platecheck's words; its
    wording differs between libyaml versions and the pure-Python loader, the type and line
    do not."""
    if isinstance(exc, RecursionError):
        return YamlTooDeep(f"YAML nested more than {MAX_NESTING} levels deep; platecheck does "
                           "not read it", rel)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed"
        kind: type[YamlError] = (YamlBadValue if isinstance(exc, ConstructorError)
                                 else YamlSyntaxError)
        error = kind(f"invalid YAML: {problem}", rel, line)
    elif isinstance(exc, yaml.reader.ReaderError):
        # a character YAML does not allow (a NUL byte, a control character): one line, at
        # the line of ``text`` that holds it
        line = text.count("\n", 0, exc.position) + 1 if text is not None else None
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        error = YamlSyntaxError(f"invalid YAML: character U+{code:04X} ({exc.reason})", rel,
                                line)
    else:
        error = YamlSyntaxError(f"invalid YAML: {' '.join(str(exc).split())}", rel)
    error.problem = str(error.message).removeprefix("invalid YAML: ")
    return error


def compose_all(text: str, rel: str) -> list[Node]:
    """The node trees of every document of a stream (``None`` for empty ones), nesting
    checked first; any loader error is a typed :class:`YamlError`."""
    _check_readable(text, rel)
    try:
        return _read(text, lambda loader: list(yaml.compose_all(text, Loader=loader)))
    except (yaml.YAMLError, RecursionError) as exc:
        raise yaml_error(exc, rel, text) from None


def load_first_data(text: str, rel: str) -> list[Any]:
    """The first document of a stream as plain data, read as Go reads it (``[]`` for an
    empty stream): what ``sigs.k8s.io/yaml`` gives Argo CD of each part of helm's output;
    what follows that document is not read."""
    return _first_of(text, rel, lambda loader: [loader.get_data()] if loader.check_data()
                     else [])


def compose_first(text: str, rel: str) -> Node | None:
    """The node tree of a stream's first document (``None`` for an empty stream), read as
    go-yaml's ``Unmarshal`` reads it: what follows that document is not read, so an error
    there is none."""
    node: Node | None = _first_of(text, rel, lambda loader: [
        loader.get_node() if loader.check_node() else None])[0]
    return node


def _first_of(text: str, rel: str, take: Callable[[Any], list[Any]]) -> list[Any]:
    """What ``take`` reads with a loader of ``text``, the stream's first document alone."""
    _check_readable(text, rel, first_only=True)

    def first(loader_class: type[Any]) -> list[Any]:
        loader = loader_class(text)
        try:
            return take(loader)
        finally:
            loader.dispose()

    try:
        return _read(text, first)
    except (yaml.YAMLError, RecursionError) as exc:
        raise yaml_error(exc, rel, text) from None


def _read(text: str, read: Callable[[type[Any]], list[Any]]) -> list[Any]:
    """``read`` with the loader for ``text`` (``_loader_for``); a document libyaml's composer
    refuses (an anchor defined twice, which Go's YAML accepts) is read again with the
    pure-Python loader, which reads it as Go does, and whose own error stands when it
    refuses it too."""
    loader = _loader_for(text)
    try:
        return read(loader)
    except yaml.composer.ComposerError:
        if loader is _PURE_LOADER:
            raise
        return read(_PURE_LOADER)


# A tag "!" alone (or "!<!>") where a token can start, before a space, a line break, a comma
# or the end: what may be YAML's non-specific tag.
_BARE_TAG = re.compile(r"(?<![^\s\[{,])!(?:<!>)?(?=[\s,]|\Z)")


def _loader_for(text: str) -> type[Any]:
    """The loader of the run, but the pure-Python one for a text with a scalar of the tag
    ``!``, which libyaml's composer resolves as if it had none, with a ``\\/`` or ``\\'``,
    escapes libyaml reads otherwise than Go, or with a byte order mark past its start
    (``PureLoader``). The text is parsed for the tag
    only when it has such a tag's characters (``if ! test``, in a script, has)."""
    if LOADER is _PURE_LOADER or GO_ONLY_ESCAPE.search(text) is not None \
            or "\ufeff" in text[1:]:
        # (libyaml skips a byte order mark at the start of any line; Go's YAML and the
        # pure-Python reader, at the start of the stream alone: ``\ufeffimage:`` is a key)
        return _PURE_LOADER
    if _BARE_TAG.search(text) is None:
        return LOADER
    try:
        if any(isinstance(event, yaml.ScalarEvent) and event.tag == "!"
               for event in yaml.parse(text, Loader=LOADER)):
            return _PURE_LOADER
    except yaml.YAMLError:
        pass  # the loader of the run reports it
    return LOADER


def load_documents(text: str, rel: str, *, unique_keys: bool = False) -> list[Document]:
    """Every document of a YAML stream (empty documents included as ``None`` data). With
    ``unique_keys`` a key repeated in one mapping is an error (platecheck's own files).
    Within a run (``platecheck.runmemo``) a text is read once: discovery and a directory
    source's render share the documents of an Application file, and files of the same text
    share theirs (nothing changes them; ``rel`` names only errors, which are not kept)."""
    return list(recall("documents", (text, unique_keys),
                       lambda: _load_documents(text, rel, unique_keys)))


def _load_documents(text: str, rel: str, unique_keys: bool) -> tuple[Document, ...]:
    documents: tuple[Document, ...] = _remembered(
        ("documents", str(unique_keys), text), lambda: _read_documents(text, rel, unique_keys),
        encode=_plain_documents, decode=_documents_of)
    return documents


def _plain_documents(documents: tuple[Document, ...]) -> list[Any]:
    return [[d.data, [[list(path), line] for path, line in d.lines.items()], d.line]
            for d in documents]


def _documents_of(plain: Any) -> tuple[Document, ...]:
    return tuple(Document(data, {tuple(path): line for path, line in lines}, line)
                 for data, lines, line in plain)


def _read_documents(text: str, rel: str, unique_keys: bool) -> tuple[Document, ...]:
    documents = []
    for node in compose_all(text, rel):
        if node is None:
            continue
        lines: dict[KeyPath, int] = {}
        data = _Builder(rel, lines, unique_keys).build(node, (), 0)
        documents.append(Document(data, lines, node.start_mark.line + 1))
    return tuple(documents)


# --- documents remembered from run to run ------------------------------------------------

# the memo of the run in progress and the name its files start with, see ``remembering``
_memos: list[tuple[ResultMemo, str]] = []
_memo_lock = threading.Lock()  # renders in threads read YAML too
# what decides the documents of a text besides the text: the reader's code and PyYAML
_CODE = ("yamlio.py", "goyaml.py")
_SHARDS = "0123456789abcdef"  # one file per first hex digit of the key


@contextlib.contextmanager
def remembering(directory: Path | None) -> Iterator[None]:
    """Within the block, the documents of every YAML text read are remembered under
    ``directory`` (None: nothing is), by a digest of the text, as JSON when JSON gives them
    back exactly (plain data, string keys, key paths of strings and integers): a later run
    reads the JSON of a text it has read before instead of its YAML. Sixteen files hold
    them, each read once per run; each keeps what the run read and as many older entries
    again. What fails to parse is read, and reported, every time."""
    code = code_digest(_CODE, ("PyYAML",))
    if directory is None or code is None:
        yield
        return
    digest = Digest("documents")
    digest.extend((code, LOADER.__name__))
    entry = (ResultMemo(directory, limit=None, hold=False), digest.hexdigest())
    _memos.append(entry)
    try:
        yield
    finally:
        _memos.remove(entry)
        entry[0].save()


def _get(key: str) -> Any:
    with _memo_lock:
        if not _memos:
            return None
        memo, name = _memos[-1]
        return memo.get(f"{name}-{key[0]}", key)


def _put(key: str, value: Any) -> None:
    """Keep ``value`` as its JSON text, when JSON gives it back exactly: each run then gets
    objects of its own."""
    exact = json_copy(value)
    if exact is None:
        return
    with _memo_lock:
        if _memos:
            memo, name = _memos[-1]
            memo.put(f"{name}-{key[0]}", key, exact[0])


def remembered_result(parts: Sequence[str | bytes], compute: Callable[[], Any]) -> Any:
    """``compute()``, a JSON value computed from a YAML file (``parts``: what decides it, the
    file's bytes and the computing code among them), remembered from run to run beside the
    documents when JSON gives it back exactly: a check of every YAML file of a repository
    reads only the files that changed."""
    return _remembered(parts, compute, encode=lambda value: value, decode=lambda value: value)


def remembered_text(parts: Sequence[str | bytes], compute: Callable[[], str]) -> str:
    """``compute()``, a text a run writes of documents it read (``parts``: what decides it,
    the computing code among them), remembered from run to run beside the documents."""
    return _as_text(_remembered(("text", *parts), compute, encode=lambda text: text,
                                decode=_as_text))


def _as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return value


def _remembered(parts: Sequence[str | bytes], compute: Callable[[], Any], *,
                encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> Any:
    """``compute()``, kept by a digest of ``parts`` as the JSON of ``encode(value)`` and
    given back as ``decode`` of it; what this code did not write is computed again."""
    if not _memos:
        return compute()
    digest = Digest("remembered")
    digest.extend(parts)
    key = digest.hexdigest()
    kept = _get(key)
    if isinstance(kept, str):
        try:
            return decode(json.loads(kept))
        except (TypeError, ValueError):
            pass  # not what this code writes: computed again
    value = compute()
    _put(key, encode(value))
    return value


def read_remembered() -> None:
    """Read the remembered documents and results now (the engine does, before the policies
    run: policies read no file)."""
    with _memo_lock:
        if _memos:
            memo, name = _memos[-1]
            for shard in _SHARDS:
                memo.load(f"{name}-{shard}")


def load_document(text: str, rel: str, *, unique_keys: bool = False) -> Document:
    """A stream expected to hold at most one document; an empty stream is ``None`` data."""
    documents = load_documents(text, rel, unique_keys=unique_keys)
    if len(documents) > 1:
        raise PlatecheckError("expected one YAML document, found several", rel, documents[1].line)
    return documents[0] if documents else Document(None, {}, 1)


def load_values(path: Path, rel: str, helm_major: Callable[[], int] | None = None
                ) -> tuple[ValuesFile, bytes]:
    """A Helm values file (a mapping, or empty) with its raw bytes. A file of several
    documents is read as the helm that renders it reads it (``helm_major``, asked only
    then): Helm 3 reads the first document (``yaml.Unmarshal``), Helm 4 merges them all in
    order (``loader.LoadValues``, maps merged, anything else replaced). Without
    ``helm_major``, such a file is refused; the others mean the same to both."""
    raw, text = read_text(path, rel)
    check_count(text, rel)
    return values_from_document(values_document(text, rel, helm_major), path, rel), raw


# a line that may end one document or start another: a marker or a directive
_MARKER = re.compile(r"^(?:---|\.\.\.|%)", re.MULTILINE)


def values_document(text: str, rel: str, helm_major: Callable[[], int] | None = None
                    ) -> Document:
    """The one document helm reads values from (see ``load_values``). Helm 3 reads the
    first document of the stream (go-yaml's ``Unmarshal``: what follows is not read);
    Helm 4 splits the text at lines that start with ``---`` (apimachinery's ``YAMLReader``),
    reads the first document of each part and merges them."""
    marked = _MARKER.search(text) is not None  # else one document: alike to every helm
    if not marked or helm_major is None:
        documents = load_documents(text, rel)
        extra = [later for later in documents[1:] if later.data not in (None, {})]
        if marked and extra:
            raise PlatecheckError("a values file of several YAML documents is read differently "
                                  "by Helm 3 (the first only) and Helm 4 (all merged); "
                                  "platecheck does not check it: keep one document", rel,
                                  extra[0].line)
        return documents[0] if documents else Document(None, {}, 1)
    if helm_major() >= 4:
        return _merged([_part_document(start, part, rel)
                        for start, part in separated(text, rel)], rel)
    return first_document(text, rel)


def _part_document(start: int, part: str, rel: str) -> Document:
    """The first document of one part of a values file Helm 4 splits (``separated``); an
    error in it says which lines helm reads as one document."""
    try:
        return _document_at(start, part, rel)
    except YamlError as exc:
        end = start + part.count("\n") - 1
        lines = f"line {start}" if end == start else f"lines {start}-{end}"
        error = type(exc)(f"{exc.message} (helm 4 reads {lines} as one document: it splits "
                          "values at each line that starts with ---)", exc.file,
                          min(exc.line, end) if exc.line is not None else None, exc.remedy)
        error.problem = exc.problem
        raise error from None


def _document_at(start: int, part: str, rel: str) -> Document:
    """The first document of ``part``, a part of a stream that starts at line ``start``,
    with the lines of the stream (an error's too)."""
    offset = start - 1
    try:
        document = first_document(part, rel)
    except YamlError as exc:
        if exc.line is not None:
            exc.line += offset
        raise
    return Document(document.data, {path: line + offset for path, line in
                                    document.lines.items()}, document.line + offset)


def separated(text: str, rel: str) -> Iterator[tuple[int, str]]:
    """The parts of ``text`` as apimachinery's ``YAMLReader`` splits a stream (Helm 4 its
    values, Argo CD and kubectl their manifests), each with the line it starts at: a line
    that starts with ``---`` ends a part (and is in none), only spaces or a comment may
    follow it there, a part is any line but such one, and a line ends at ``\n`` (a ``\r``
    before it dropped). Parts come one at a time, as the reader gives them."""
    start, lines, parts = 0, list[str](), 0
    for number, line in enumerate(text.split("\n")[:-1] if text.endswith("\n")
                                  else text.split("\n"), 1):
        line = line.removesuffix("\r")
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise PlatecheckError(f"invalid YAML document separator: {rest!r} follows ---; "
                                      "a line that starts with --- ends a document (as helm 4 "
                                      "and Argo CD split YAML), and only a comment may follow "
                                      "it there", rel, number)
            if lines:
                parts += 1
                if parts > _MAX_NODES:
                    raise YamlTooComplex(f"more than {_MAX_NODES} YAML documents; platecheck "
                                         "does not read a stream this long", rel, number)
                yield start, "".join(lines)
                lines = []
            continue
        if not lines:
            start = number
        lines.append(line + "\n")
    if lines:
        yield start, "".join(lines)


def kube_documents(text: str, rel: str) -> tuple[list[Document], PlatecheckError | None]:
    """The documents of a manifest stream as Kubernetes' YAML decoder reads it (Argo CD a
    directory source's files, kubectl what it applies): the first document of each part
    ``separated`` gives, at its own lines; and the error that stopped the reading (None
    when the whole stream was read), what came before it read. A stream read whole is read
    once per run and remembered from run to run, as ``load_documents`` remembers."""
    if _MARKER.search(text) is None:  # one part: its first document (one, but where
        try:                            # a lone \r breaks lines, which no part splits at)
            return [_json_ready(document, rel) for document in load_documents(text, rel)[:1]
                    ], None
        except PlatecheckError as exc:
            return [], exc
    try:
        return list(recall("kube documents", text, lambda: _remembered(
            ("kube-documents", text), lambda: tuple(_kube_parts(text, rel)),
            encode=_plain_documents, decode=_documents_of))), None
    except PlatecheckError as exc:
        read: list[Document] = []
        with contextlib.suppress(PlatecheckError):
            read.extend(_kube_parts(text, rel))
        return read, exc


_JSON_GUESS = 4096  # bytes Kubernetes' decoder looks at for a '{' (GuessJSONStream)


def json_stream(text: str) -> bool:
    """Whether Kubernetes' decoder reads ``text`` as JSON (``GuessJSONStream``: its first
    character but space, in the first 4 KiB, is ``{``)."""
    return text[:_JSON_GUESS].lstrip().startswith("{")


def kube_stream(text: str, rel: str) -> tuple[list[Document], PlatecheckError | None]:
    """The documents of a manifest file as Kubernetes' ``YAMLOrJSONDecoder`` reads it
    (apimachinery pkg/util/yaml, Argo CD's ``splitYAMLOrJSON``): a stream whose first
    character but space is ``{`` is JSON values one after another (``{...}{...}``, one per
    line), read as Go's ``encoding/json`` reads them; when one fails (or is no object of a
    kind) and no more than one was read before it, the rest, from the end of the last one
    read, past the space up to and including a line break, is read as YAML
    (``kube_documents``); after two, the failure ends the stream. Any other stream is YAML."""
    if not json_stream(text):
        return kube_documents(text, rel)
    documents: list[Document] = []
    count, end = 0, 0  # values read; where the last one ended
    values = read_values(text, rel, MAX_NESTING)
    while True:
        try:
            data, lines, line, after = next(values)
        except StopIteration:
            return documents, None
        except PlatecheckError as exc:
            failed: PlatecheckError | None = exc
        else:
            failed = None if data is None or (isinstance(data, dict) and isinstance(
                data.get("kind"), str) and data["kind"]) else PlatecheckError(
                "a JSON value that is no object of a kind: Kubernetes cannot decode it, so "
                "Argo CD fails this file and renders nothing of the source", rel, line)
        if failed is None:
            count, end = count + 1, after
            if data is not None:  # (null: decoded, and nothing)
                documents.append(Document(data, lines, line))
            continue
        if count > 1:
            return documents, failed
        rest = _after_line_break(text, end)
        read, error = kube_documents("\n" * text.count("\n", 0, rest) + text[rest:], rel)
        return documents + read, error


def _after_line_break(text: str, at: int) -> int:
    """Past the space at ``at`` up to and including the first line break (the decoder's
    ``consumeWhitespace``), or to the first character that is no space."""
    while at < len(text) and text[at].isspace():
        at += 1
        if text[at - 1] == "\n":
            break
    return at


def json_document(text: str, rel: str) -> Document:
    """The one object of a ``.json`` manifest or Application file, read as Argo CD reads it
    (Go's ``encoding/json``, see ``gojson``), not as YAML."""
    data, lines, line = read_json(text, rel, MAX_NESTING)
    return Document(data, lines, line)


def _kube_parts(text: str, rel: str) -> Iterator[Document]:
    for start, part in separated(text, rel):
        yield _json_ready(_document_at(start, part, rel), rel)


def _json_ready(document: Document, rel: str) -> Document:
    """``document``, which Kubernetes' decoder turns into JSON (sigs.k8s.io/yaml's
    ``YAMLToJSON``), unless a value is infinity or NaN (``.inf``, ``.nan``), which JSON cannot
    hold: kubectl and Argo CD refuse the document ("json: unsupported value: +Inf")."""
    for path, value in scalars(document.data):
        if isinstance(value, float) and not math.isfinite(value):
            shown = "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
            raise YamlBadValue(f"invalid YAML: a value is {shown} (.inf or .nan), which JSON "
                               "cannot hold: kubectl and Argo CD refuse the document (json: "
                               f"unsupported value: {shown}); quote it if it is text", rel,
                               document.line_of(path))
    return document


def first_document(text: str, rel: str) -> Document:
    """The first document of ``text``, as Go's ``yaml.Unmarshal`` reads a file (helm its
    Chart.yaml, Argo CD an override file): what follows it is not read (``compose_first``)."""
    node = compose_first(text, rel)
    if node is None:
        return Document(None, {}, 1)
    lines: dict[KeyPath, int] = {}
    return Document(_Builder(rel, lines).build(node, (), 0), lines, node.start_mark.line + 1)


def _merged(documents: Sequence[Document], rel: str) -> Document:
    """Helm 4's values of several documents: each merged over the ones before it (a map
    into a map key by key, any other value replacing), each key at the line of the last
    document that wrote it (a line left from a replaced value names a key that is gone).
    No document at all (a file of ``---`` lines alone) is no values, as to Helm 3."""
    if not documents:
        return Document(None, {}, 1)
    data: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
    for document in documents:
        if document.data is None:
            continue
        values_from_document(document, Path(rel), rel)  # each must be a mapping
        _merge_maps(data, document.data)
        lines.update(document.lines)
    return Document(data, lines, documents[0].line)


def _merge_maps(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge_maps(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def check_count(text: str, rel: str) -> None:
    """Refuse a values file with more than ``_MAX_NODES`` keys and items before composing it
    (composing 31 MiB of small keys takes minutes and gigabytes). Every node but the first
    needs a ``:``, ``,``, ``-`` or ``?`` in the text, so most files are not scanned; the scan
    stops at the limit."""
    if sum(text.count(mark) for mark in ":,-?") < _MAX_NODES:
        return
    nodes = 0
    try:
        for event in yaml.parse(text, Loader=_loader_for(text)):
            if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, *_OPEN)):
                nodes += 1
                if nodes > _MAX_NODES:
                    mark = event.start_mark
                    raise YamlTooComplex(f"more than {_MAX_NODES} keys and items; platecheck "
                                         "does not read values this large", rel,
                                         mark.line + 1 if mark is not None else None)
    except yaml.YAMLError:
        return  # composing reports it, with its line


def values_from_document(document: Document, path: Path, rel: str) -> ValuesFile:
    data = document.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PlatecheckError(
            f"values must be a mapping, found {type_name(data)}", rel, document.line
        )
    return ValuesFile(path=path, rel=rel, data=data, lines=document.lines)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


class _Builder:
    def __init__(self, rel: str, lines: dict[KeyPath, int], unique_keys: bool = False) -> None:
        self.rel = rel
        self.lines = lines
        self.unique_keys = unique_keys
        self.open: set[int] = set()  # nodes being built: meeting one again is a recursive alias
        self.count = 0

    def build(self, node: Node, path: KeyPath, depth: int) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise YamlTooComplex("YAML expands to too many nodes (aliases?)", self.rel,
                                 node.start_mark.line + 1)
        if id(node) in self.open:
            raise YamlTooComplex("YAML alias refers to a collection that contains it", self.rel,
                                 node.start_mark.line + 1)
        if depth > MAX_NESTING:  # only aliases can nest deeper than the text does
            raise YamlTooDeep(f"YAML nested more than {MAX_NESTING} levels deep once its "
                              "aliases are expanded; platecheck does not read it", self.rel,
                              node.start_mark.line + 1)
        if not isinstance(node, (MappingNode, SequenceNode)):
            return self._scalar(node)
        self.open.add(id(node))
        try:
            return self._collection(node, path, depth)
        finally:
            self.open.discard(id(node))

    def _collection(self, node: Node, path: KeyPath, depth: int) -> Any:
        if isinstance(node, MappingNode):
            pairs = list(self._pairs(node, depth))
            result: dict[str, Any] = dict.fromkeys(key for key, _, _ in pairs)
            last = {key: index for index, (key, _, _) in enumerate(pairs)}
            for index, (key, value_node, key_line) in enumerate(pairs):
                child = (*path, key)
                if last[key] != index:  # set again later: built (Go decodes it), then replaced
                    self._overwritten(value_node, child, depth + 1)
                    continue
                self.lines[child] = key_line
                result[key] = self.build(value_node, child, depth + 1)
            return result
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines[child] = item.start_mark.line + 1
                items.append(self.build(item, child, depth + 1))
            return items
        return self._scalar(node)  # pragma: no cover - build() passes collections only

    def _overwritten(self, node: Node, path: KeyPath, depth: int) -> None:
        """Build a value a later key of its mapping replaces, its lines kept apart: Go
        refuses what it cannot read there too, but its keys are not the mapping's."""
        lines, self.lines = self.lines, {}
        try:
            self.build(node, path, depth)
        finally:
            self.lines = lines

    def _pairs(self, node: MappingNode, depth: int) -> Iterator[tuple[str, Node, int]]:
        """Key/value pairs of a mapping in the order go-yaml v2 sets them (``decoder.mapping``
        and ``decoder.merge``): a ``<<`` merge key sets every key of its mapping where it
        stands, replacing what keys before it set, replaced by keys after it; of a sequence of
        mappings, the last first, so that an earlier one wins. A key set twice is set at its
        last place."""
        pairs: list[tuple[str, Node, int]] = []
        own: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG and key_node.value == "<<":
                sources = (value_node.value[::-1] if isinstance(value_node, SequenceNode)
                           else [value_node])
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise YamlSyntaxError("merge key '<<' needs a mapping", self.rel,
                                              key_node.start_mark.line + 1)
                    pairs.extend(self._pairs(source, depth + 1))
                continue
            if not isinstance(key_node, ScalarNode):
                raise YamlSyntaxError("mapping keys must be scalars", self.rel,
                                      key_node.start_mark.line + 1)
            key, line = self._key(key_node), key_node.start_mark.line + 1
            if key in own and self.unique_keys:
                raise YamlDuplicateKey(f"duplicate key {key!r} (first at line {own[key]})",
                                       self.rel, line)
            own.setdefault(key, line)
            pairs.append((key, value_node, line))
        return iter(pairs)

    def _key(self, node: ScalarNode) -> str:
        key = self._scalar(node)
        if key is None:  # sigs.k8s.io/yaml: "unsupported map key of type: <nil>"
            raise YamlError(NULL_KEY, self.rel, node.start_mark.line + 1)
        value = go_key(key)
        return value if isinstance(value, str) else str(node.value)

    def _scalar(self, node: Node) -> Any:
        try:
            return go_scalar(node)
        except ConstructorError as exc:
            error = yaml_error(exc, self.rel)
            error.line = error.line or node.start_mark.line + 1
            raise error from None
