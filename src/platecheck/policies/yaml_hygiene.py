"""Values files, Applications and Chart.yaml mean the same to Helm as to the people who read them.

What:
    Looks at the raw bytes of every YAML file platecheck reads (values files, Argo CD
    Applications but those written as ``.json`` or as a JSON stream, starting with ``{``,
    which Argo CD reads as JSON, Chart.yaml, the kustomization files of the walk, policy
    files) for the problems below; platecheck's own policy files are not checked for YAML
    1.1 surprises (platecheck alone reads them, and ``level: off`` is how a policy is turned
    off), and a key written twice in them stops platecheck at load, before this policy runs;
    nor are kustomization files (kustomize refuses a value of the wrong type itself: its
    build's error says so), where a key written twice is kept last by kustomize, without a
    word (a second ``configMapGenerator:`` drops the first one's ConfigMaps). An
    Application's ``helm.values`` written as a literal block (``values: |``) is a values file
    Argo CD hands to helm: it is looked at as one, at its lines in the Application's file:

    - duplicate keys in one mapping (the finding is at the second key, the message names the
      line of the first);
    - an image tag or version (a key ending in ``tag`` or ``version``) written as a plain
      number that Helm prints differently: ``tag: 1.10`` is rendered ``1.1``, ``tag: 1e3``
      ``1000``, ``tag: 20240101`` (an integer of a million or more) ``2.0240101e+07``;
    - plain (unquoted) scalars that Helm reads otherwise than YAML 1.2 readers (and most
      people): the words ``y``/``n``/``yes``/``no``/``on``/``off`` (booleans to Helm, and to
      Argo CD in an Application's file) and
      leading-zero numbers like ``0755`` (octal to Helm); one whose tag makes it text to Helm
      (``!!str yes`` or ``!foo 0755``) is none, nor is an octal file mode under Kubernetes'
      keys of one, ``mode`` or ``defaultMode`` (``defaultMode: 0644``, the form Kubernetes
      documents: Helm reads what is meant, and quoting it would make the field a string the
      API server refuses). Base-60 numbers (``22:22``) and dates (``2024-01-01``) are text to
      Helm, as written: none;
    - tabs in indentation (not a block scalar's text after its indentation, such as a
      tabbed ``name = x`` of a gitconfig in ``config: |``), a byte order mark (at the start,
      or inside the file, where Helm reads it as a character of the key that follows), bytes
      that are not UTF-8;
    - a file that does not parse at all (at the parser's line).

Why:
    Helm reads values with a YAML 1.1 parser and keeps the last of two duplicate keys without a
    word: ``country: no`` becomes ``false``, ``zip: 01234`` becomes 668, and a second
    ``image:`` block silently replaces the first. Editors, reviewers and YAML 1.2 tools see
    something else, so the diff that was reviewed is not what gets deployed.

Options:
    ignoreFiles: globs of repository-relative files not to check (default none).

Passes:
    ``enabled: true``, ``country: "no"``, ``zip: "01234"``, ``defaultMode: 0644``,
    ``schedule: 22:22``, ``date: 2024-01-01``, ``tag: "1.10"``, ``tag: 1.2.3``,
    ``enabled: !!str yes``; each key once per mapping; space indentation; UTF-8 without BOM.

Fails:
    ``enabled: yes`` -> ``unquoted "yes" is the boolean true to Helm (YAML 1.1) but the
    string "yes" to YAML 1.2 readers``; ``tag: 1.10`` -> ``unquoted tag "1.10" is a number to
    Helm and is rendered as "1.1"``; a second ``image:`` key -> ``duplicate key "image"
    (first at line 2): Helm keeps only the last value`` (in an Application file: Argo CD's
    YAML decoding, as kubectl's, keeps only the last value); a tab before a key; a BOM.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from platecheck.cache import code_digest
from platecheck.discover import raw_at, source_key
from platecheck.errors import YamlError, YamlTooDeep
from platecheck.globs import matches_any
from platecheck.goyaml import GO_FALSE, GO_TRUE, go_key, go_scalar, go_tag
from platecheck.model import Application, Finding, RepoModel, YamlFile
from platecheck.options import PolicyOptions
from platecheck.yamlio import (
    MAX_NESTING,
    compose_all,
    compose_first,
    json_stream,
    remembered_result,
)

ID = "yaml-hygiene"
SUMMARY = "no duplicate keys, YAML 1.1 surprises, tabs, BOMs or non-UTF-8 bytes in YAML files"
SCOPE = "repo"
REMEDIATION = "Quote the value, remove the duplicate, or re-save the file as UTF-8 with spaces."


@dataclass(frozen=True)
class Options:
    ignore_files: tuple[str, ...] = ()  # repository-relative globs

# the plain words Go's YAML (and so Helm) reads as booleans where YAML 1.2 reads text
_BOOLEANS = {word: word in GO_TRUE for word in GO_TRUE | GO_FALSE
             if word.lower() not in ("true", "false")}
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
# the keys of Kubernetes' file modes (a volume's ``defaultMode``, an item's ``mode``), which
# Kubernetes documents written as YAML 1.1 octals (``defaultMode: 0644``): Helm's reading is
# the one meant
_MODE_KEY = re.compile(r"^(?:mode|defaultMode)$")
_MERGE_KEY = "<<"
# keys whose values are text that looks numeric: image tags and versions
_VERSION_KEY = re.compile(r"(?i)(tag|version)$")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INT = re.compile(r"[-+]?[0-9]+")


def check(repo: RepoModel, options: PolicyOptions[Options]) -> Iterator[Finding]:
    ignored = options.default.ignore_files
    seen: set[str] = set()
    written: dict[str, list[Application]] = {}  # the Applications of each file
    for app in repo.applications:
        if app.set_line is None:
            written.setdefault(app.file, []).append(app)
    for yaml_file in repo.yaml_files:
        if yaml_file.rel in seen or matches_any(yaml_file.rel, ignored):
            continue
        if yaml_file.role == "application" and (yaml_file.rel.endswith(".json") or json_stream(
                yaml_file.raw[:4096].decode("utf-8-sig", "replace"))):
            continue  # Argo CD reads it as JSON (Go's encoding/json), not as YAML
        seen.add(yaml_file.rel)
        # Only platecheck reads its own policy files, with one YAML 1.1 reader, and validates
        # every value's type at load: ``level: off`` and a waiver's ``expires: 2027-01-31``
        # mean what docs/configuration.md says, whatever YAML 1.2 tools make of them.
        found = _remembered(yaml_file.rel, yaml_file.raw,
                            yaml11=yaml_file.role not in ("policy", "kustomization"),
                            reader=_READERS.get(yaml_file.role, "Helm"))
        if yaml_file.role == "application":
            found += _inline_values(written.get(yaml_file.rel, []), yaml_file)
        yield from sorted(found, key=lambda f: (f.line or 0, f.message))


# a key whose value is a literal block scalar, its lines those of the text (``values: |``)
_LITERAL = re.compile(r":\s*\|[-+0-9]*\s*(?:#.*)?$")


def _inline_values(apps: list[Application], yaml_file: YamlFile) -> list[Finding]:
    """The findings of each ``helm.values`` the Applications ``apps`` of ``yaml_file`` write
    as a literal block (``values: |``): Argo CD hands that text to helm as a values file,
    which helm's YAML reader reads as it reads one (a block of another style, its lines
    folded or joined, is not looked into)."""
    lines = yaml_file.raw.decode("utf-8", errors="replace").splitlines() if apps else []
    found: list[Finding] = []
    for app in apps:
        for index, _ in enumerate(app.sources):
            key = (*source_key(app, index), "helm", "values")
            text, line = raw_at(app.raw, key[:-1]).get("values"), app.lines.get(key)
            if not isinstance(text, str) or line is None or line > len(lines) \
                    or not _LITERAL.search(lines[line - 1]):
                continue
            found += [_shifted(f, line) for f in _remembered(
                yaml_file.rel, text.encode(), yaml11=True, reader="Helm")]
    return found


_FIRST_AT = re.compile(r"\(first at line ([0-9]+)\)")  # a duplicate key's first line


def _shifted(finding: Finding, offset: int) -> Finding:
    """A finding of a text written from the line after ``offset`` of its file, at its line
    there."""
    message = _FIRST_AT.sub(lambda m: f"(first at line {int(m.group(1)) + offset})",
                            finding.message)
    line = finding.line + offset if finding.line else offset
    return dataclasses.replace(finding, line=line, message=message)


# what reads a file of each role and keeps the last of two duplicate keys: an Application's
# YAML is decoded by Argo CD (sigs.k8s.io/yaml, as kubectl does) before the API server sees it
_READERS = {"application": "Argo CD's YAML decoding (as kubectl's)",
            "kustomization": "kustomize"}

# what decides the findings of a file besides its bytes: this code, the reader and PyYAML
_CODE = ("policies/yaml_hygiene.py", "yamlio.py", "goyaml.py")


def _remembered(rel: str, raw: bytes, *, yaml11: bool, reader: str) -> list[Finding]:
    """``check_bytes``, remembered from run to run per file content (``yamlio``)."""
    code = code_digest(_CODE, ("PyYAML",))
    if code is None:
        return list(check_bytes(rel, raw, yaml11=yaml11, reader=reader))
    plain = remembered_result(
        (ID, code, rel, str(yaml11), reader, raw),
        lambda: [[f.line, f.message, f.remediation]
                 for f in check_bytes(rel, raw, yaml11=yaml11, reader=reader)])
    return [_finding(rel, line, message, remediation) for line, message, remediation in plain]


def _finding(rel: str, line: int | None, message: str, remediation: str) -> Finding:
    return Finding(policy=ID, message=message, file=rel, line=line, remediation=remediation)


def _utf8(rel: str, raw: bytes) -> Generator[Finding, None, str]:
    """A UTF-8 file's text, after the findings of a byte order mark and of bytes that are
    not UTF-8 (replaced)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        yield _finding(rel, 1, "file starts with a UTF-8 byte order mark",
                       "Re-save the file as UTF-8 without a byte order mark.")
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        yield _finding(rel, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                       "Re-save the file as UTF-8.")
        return raw.decode("utf-8", errors="replace")


def check_bytes(rel: str, raw: bytes, *, yaml11: bool = True,
                reader: str = "Helm") -> Iterator[Finding]:
    """Every hygiene finding of one file's bytes, in line order per kind of problem;
    ``yaml11``: also the plain scalars YAML 1.1 and 1.2 readers disagree on; ``reader``: what
    reads the file, keeping the last of two duplicate keys."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield _finding(rel, 1, "file is UTF-16 encoded (byte order mark): Helm and Argo CD "
                       "read it, but most editors, diffs and YAML tools expect UTF-8",
                       "Re-save the file as UTF-8 without a byte order mark.")
        text = raw.decode("utf-16", errors="replace")  # (what it says, checked as any)
    else:
        text = yield from _utf8(rel, raw)
    try:
        roots, failed = compose_all(text, rel), None
    except YamlError as exc:
        roots, failed = [], exc
    yield from _tabs(rel, text, _block_lines(roots))
    yield from _inner_marks(rel, text)
    if isinstance(failed, YamlTooDeep):
        yield _finding(rel, failed.line, f"nested more than {MAX_NESTING} levels deep: not read",
                       "Flatten the structure; no values file needs this depth.")
        return
    if failed is not None:
        yield _finding(rel, failed.line, f"does not parse{_after_first(text, rel, failed)}: "
                       f"{failed.problem or failed.message}", "Fix the YAML syntax at this line.")
        return
    for root in roots:
        if root is not None:
            yield from _walk(rel, root, yaml11, reader)


def _after_first(text: str, rel: str, failed: YamlError) -> str:
    """Where a text fails after its first document has ended (a ``...`` and more, with no
    ``---``): helm 3 reads a values file's first document alone and never sees the rest,
    helm 4 reads every document and fails."""
    try:
        first = compose_first(text, rel)
    except YamlError:
        return ""
    if first is None or failed.line is None or failed.line <= first.end_mark.line + 1:
        return ""
    return (" after the end of its first document (Helm 3 reads that document alone, Helm 4 "
            "every one and fails)")


def _inner_marks(rel: str, text: str) -> Iterator[Finding]:
    """A byte order mark past the start of the file (two files run together): Helm reads it
    as a character of what follows (``\\ufeffimage`` is no ``image`` key)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "\ufeff" in line and "#" not in line[:line.index("\ufeff")]:  # (not a comment's)
            yield _finding(rel, number, "byte order mark inside the file: Helm reads it as a "
                           "character of the key or value it precedes",
                           "Remove it (re-save the file as UTF-8 without byte order marks).")


def _tabs(rel: str, text: str, content: set[int]) -> Iterator[Finding]:
    """A tab where a line's indentation is, but in the ``content`` lines (a block scalar's,
    whose tabs after its indentation are text: ``[user]`` then a tabbed ``name = x``)."""
    in_indent = re.compile(r"^[ ]*\t")
    for number, line in enumerate(text.splitlines(), start=1):
        if in_indent.match(line) and number not in content:
            yield _finding(rel, number, "tab character in indentation",
                           "Indent with spaces; YAML does not allow tabs in indentation.")


def _block_lines(roots: Sequence[Node | None]) -> set[int]:
    """The lines (1-based) of the content of every literal or folded block scalar."""
    lines: set[int] = set()
    stack: list[Node] = [root for root in roots if root is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, ScalarNode) and node.style in ("|", ">"):
            # from the line after the indicator to the last content line (its end is the
            # start of the next line, or the end of a last line with no line break)
            last = node.end_mark.line + (1 if node.end_mark.column else 0)
            lines.update(range(node.start_mark.line + 2, last + 1))
    return lines


def _walk(rel: str, root: Node, yaml11: bool, reader: str) -> Iterator[Finding]:
    # Iterative, so a deeply nested file cannot exhaust the interpreter's stack; an alias
    # points at a node already visited and is checked once.
    visited: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            yield from _duplicates(rel, node, reader)
            for key, value in reversed(node.value):
                stack.extend((value, key))
                if isinstance(key, ScalarNode) and _MODE_KEY.search(key.value) \
                        and isinstance(value, ScalarNode) and _OCTAL.fullmatch(value.value):
                    visited.add(id(value))  # a file mode: meant as Helm reads it
            if yaml11:
                yield from _numeric_versions(rel, node)
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
        elif yaml11 and _untagged_plain(node):
            surprise = yaml11_surprise(node.value, "Argo CD" if reader.startswith("Argo CD")
                                       else "Helm")
            if surprise is not None:
                advice = ("; write true or false if it is a boolean."
                          if node.value in _BOOLEANS else ".")
                yield _finding(rel, node.start_mark.line + 1, surprise,
                               f'Quote it ("{node.value}") if it is text{advice}')


def _untagged_plain(node: Node) -> bool:
    """A plain scalar (style ``None``, or ``""`` from libyaml) whose tag is the one its text
    resolves to: a tag such as ``!!str`` or ``!foo`` makes ``!!str yes`` or ``!foo 1.10``
    text to Helm, no surprise."""
    return isinstance(node, ScalarNode) and not node.style and node.tag == go_tag(node.value)


def _numeric_versions(rel: str, node: MappingNode) -> Iterator[Finding]:
    """An image tag or a version written as a plain number that Helm reads as a float and
    prints differently: ``tag: 1.10`` deploys ``image:1.1``, ``tag: 1e3`` deploys
    ``image:1000``."""
    for key, value in node.value:
        if not (isinstance(key, ScalarNode) and _VERSION_KEY.search(key.value)
                and _untagged_plain(value)):
            continue
        printed = helm_number_text(value.value)
        if printed is not None and printed != value.value:
            yield _finding(rel, value.start_mark.line + 1,
                           f'unquoted {key.value} "{value.value}" is a number to Helm and is '
                           f'rendered as "{printed}"',
                           f'Quote it ("{value.value}"): a tag or version is text.')


def helm_number_text(value: str) -> str | None:
    """How Helm prints a plain scalar it reads as a float (YAML 1.1 float syntax, exponent
    allowed), or None when it is no float: Go's ``%v``, the shortest digits that read back,
    with an exponent when it is below -4 or at least 6 (``strconv.FormatFloat(f, 'g', -1)``)."""
    if not _FLOAT.fullmatch(value):
        return None
    if _INT.fullmatch(value) and (abs(int(value)) < 10 ** 6 or _LEADING_ZERO.fullmatch(value)):
        return None  # (an integer below a million prints as written; from there, %v of the
        # float64 Helm's values hold writes an exponent: 20240101 is 2.0240101e+07)
    number = float(value)
    if number == 0 or not math.isfinite(number):
        return "0" if number == 0 else None
    shortest = Decimal(repr(number)).normalize()
    sign, digits, exponent = shortest.as_tuple()
    assert isinstance(exponent, int)
    power = len(digits) + exponent - 1
    if -4 <= power < 6:
        return format(shortest, "f")
    text = "".join(map(str, digits))
    mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"


def _duplicates(rel: str, node: MappingNode, reader: str) -> Iterator[Finding]:
    """Keys of one mapping that are one key as Go reads them (``1.0`` and ``1``, ``true``
    and ``True``: sigs.k8s.io/yaml writes each as the JSON key ``go_key`` gives)."""
    first: dict[Any, tuple[str, int]] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.value == _MERGE_KEY:
            continue
        line = key.start_mark.line + 1
        try:
            read = go_key(go_scalar(key))
        except (yaml.YAMLError, ValueError):
            read = key.value
        if read not in first:
            first[read] = (key.value, line)
            continue
        written, at = first[read]
        earlier = f"line {at}" if written == key.value else \
            f'line {at} as "{written}", one key to {reader}'
        yield _finding(rel, line,
                       f'duplicate key "{key.value}" (first at {earlier}): {reader} keeps only '
                       "the last value", "Remove one of the two keys, or merge their contents.")


def yaml11_surprise(value: str, reader: str = "Helm") -> str | None:
    """Why a plain scalar reads differently in YAML 1.1 (Helm's, or Argo CD's, ``reader``)
    and YAML 1.2, or None."""
    shown = f'"{value}"'
    if value in _BOOLEANS:
        meaning = "true" if _BOOLEANS[value] else "false"
        return (f"unquoted {shown} is the boolean {meaning} to {reader} (YAML 1.1) but the "
                f"string {shown} to YAML 1.2 readers")
    if _LEADING_ZERO.fullmatch(value):
        sign = -1 if value.startswith("-") else 1
        digits = value.lstrip("+-").replace("_", "")
        if re.fullmatch(r"0[0-7]+", digits):
            if int(digits, 8) == int(digits, 10):  # (``01``: 1 either way)
                return None
            return (f"unquoted {shown} is the octal number {sign * int(digits, 8)} to {reader} "
                    f"(YAML 1.1) but {sign * int(digits, 10)} to YAML 1.2 readers")
        return f"unquoted {shown} has a leading zero: YAML readers disagree on its type"
    return None


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("duplicate-key", "quoted-words")
