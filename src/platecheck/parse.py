"""Helm's output as resources that remember the template they came from."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platecheck import yamlio
from platecheck.cache import Digest, ResultMemo, code_digest, json_copy
from platecheck.chartfile import Dependency
from platecheck.dependencies import sources as dependency_sources
from platecheck.dependencies import vendored_directory
from platecheck.errors import PlatecheckError, YamlError, YamlTooDeep
from platecheck.manifests import has_kind, rel_path
from platecheck.model import Chart, Resource
from platecheck.realpaths import resolve
from platecheck.resources import applied_objects, make_resource
from platecheck.runmemo import recall
from platecheck.walk import rglob
from platecheck.yamlio import MAX_NESTING, load_first_data

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_SOURCE = re.compile(r"^# Source: (.+?)\s*$", re.MULTILINE)


# A template's output at least this long is parsed once per run however many targets render
# it alike (a chart's CRDs, rendered in every environment).
SHARED_CHUNK = 2048
# What decides the documents a template's output parses to, besides its text.
_CODE = ("yamlio.py", "goyaml.py", "parse.py")


class ParsedChunks:
    """The documents of template outputs already parsed.

    Within a run, a long output (``SHARED_CHUNK``) is parsed once however many targets render
    it, and they share its documents (which nothing changes). With a ``memo``, every output's
    documents are also remembered on disk by a digest of its text, the YAML loader and the
    parser's code, as JSON, when JSON gives back exactly the documents parsed (plain
    mappings, lists, strings, numbers, booleans and nulls; a ``.nan`` or an ``.inf``, a value
    or a key, is not remembered): a later run parses only outputs it has not
    seen, about 15 times faster than reading their YAML again. The outputs of one render
    are kept together (a group per rendered stream): a run reads what it renders and
    nothing older, and holds one render's group in memory at a time."""

    def __init__(self, memo: ResultMemo | None = None) -> None:
        self._shared: dict[str, list[Any]] = {}
        self._memo = memo
        code = code_digest(_CODE, ("PyYAML",)) if memo is not None else None
        self._code = f"{code}:{yamlio.LOADER.__name__}" if code is not None else None

    def group(self, manifest: str) -> str | None:
        """Where the outputs of the rendered stream ``manifest`` are remembered (None: not
        remembered); ``release`` it when they are parsed."""
        if self._code is None:
            return None
        digest = Digest("parsed-render")
        digest.extend((self._code, manifest))
        return digest.hexdigest()

    def release(self, group: str | None) -> None:
        if group is not None and self._memo is not None:
            self._memo.release(group)

    def documents(self, chunk: str, rel: str, group: str | None = None) -> list[Any]:
        """The document of ``chunk``, an output of the stream remembered in ``group`` (none
        for an empty one); a ``YamlError`` (named ``rel``) when it is not YAML. Argo CD reads
        the first document of each part of helm's output (``kube.SplitYAML``: a part after
        a ``...`` line is not deployed)."""
        documents = self._shared.get(chunk)
        if documents is not None:
            return documents
        memo, slot = self._memo, None
        if memo is not None and group is not None:
            slot = (group, self._key(chunk))
            kept = memo.get(*slot)
            documents = kept if isinstance(kept, list) else None
        if documents is None:
            documents = load_first_data(chunk, rel)
            if memo is not None and slot is not None:
                _remember(memo, slot, documents)
        if len(chunk) >= SHARED_CHUNK:
            self._shared[chunk] = documents
        return documents

    def _key(self, chunk: str) -> str:
        digest = Digest("parsed")
        digest.extend((str(self._code), chunk))
        return digest.hexdigest()


def _remember(memo: ResultMemo, slot: tuple[str, str], documents: list[Any]) -> None:
    """Keep a copy of ``documents`` that JSON gives back exactly, else nothing."""
    exact = json_copy(documents)
    if exact is not None:
        memo.put(*slot, exact[1])


def parse_manifest(manifest: str, chart: Chart, root: Path, where: tuple[str, int | None],
                   parsed: ParsedChunks | None = None
                   ) -> tuple[tuple[Resource, ...], dict[str, str]]:
    """Resources of a rendered stream and the text of the templates that produced them.

    ``where`` (file, line) is named when the output is not valid YAML. ``parsed``: the
    outputs already parsed (in this run, or remembered), see ``ParsedChunks``.
    """
    templates: dict[str, str] = {}
    outputs: list[tuple[list[Any], str | None, str | None]] = []  # documents, template, file
    chunks = parsed if parsed is not None else ParsedChunks()
    group = chunks.group(manifest)
    template: str | None = None
    try:
        for chunk in _SEPARATOR.split(manifest):
            match = _SOURCE.search(chunk)
            # a document without a comment of its own is the last template's: one whose
            # output starts with "---" gets its comment above an empty document
            template = match.group(1) if match else template
            try:
                documents = chunks.documents(chunk, template or "a template", group)
            except YamlError as exc:
                raise _rendered_error(exc, chunk, match, template, where) from None
            if any(document is not None for document in documents):
                file = _template_file(template, chart, root, templates)
                if file is not None and ".Files." in templates[file]:  # a chart file, whole
                    file = _included_file(chunk, chart, root, templates) or file
                outputs.append((documents, template, file))
    finally:
        chunks.release(group)
    starts = _document_starts(outputs, templates)
    resources: list[Resource] = []
    for number, (documents, template, template_file) in enumerate(outputs):
        for document in documents:
            if isinstance(document, dict) and not has_kind(document):
                # kube.SplitYAML decodes each document Unstructured, which needs a kind
                raise PlatecheckError(
                    f"helm rendered a document without a kind from {template}: Kubernetes "
                    "cannot decode it, so Argo CD renders nothing of the source",
                    template_file, starts.get(number))
            try:
                applied = applied_objects(document)
            except PlatecheckError as exc:
                raise PlatecheckError(f"{exc.message} (helm's output of {template})",
                                      template_file, starts.get(number)) from None
            for doc in applied:
                resources.append(make_resource(doc, template, template_file, len(resources),
                                               starts.get(number)))
    return tuple(resources), templates


def applied_stream(manifest: str) -> str:
    """``manifest`` without the documents that hold only objects Argo CD never creates
    (``resources.never_applied``: Helm's test hooks...), the rest as it was written: what
    ``platecheck render`` prints. A document that does not parse is kept (lint reports it)."""
    kept: list[str] = []
    chunks = ParsedChunks()
    start = 0
    for separator in (*_SEPARATOR.finditer(manifest), None):
        end = separator.start() if separator is not None else len(manifest)
        piece = manifest[start:end]
        try:
            documents = chunks.documents(_SEPARATOR.sub("", piece, count=1), "a template")
        except YamlError:
            documents = []
        objects = [document for document in documents if isinstance(document, dict)]
        if not objects or any(_applied_or_kept(document) for document in objects):
            kept.append(_first_document_text(piece))
        start = end
    return "".join(kept)


def _applied_or_kept(document: Any) -> bool:
    """Whether ``platecheck render`` prints a document: Argo CD applies something of it, or
    it cannot be read (lint reports it)."""
    try:
        return bool(applied_objects(document))
    except PlatecheckError:
        return True


# a line that ends a document: what follows it in the same part is not deployed
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(?:#.*)?$\n?", re.MULTILINE)


def _first_document_text(piece: str) -> str:
    """``piece`` (one part of helm's output) up to the end of its first document: the part
    Argo CD deploys (``ParsedChunks.documents``)."""
    end = _DOCUMENT_END.search(piece)
    return piece if end is None else piece[:end.start()]


_LITERAL_KIND = re.compile(r"""^kind:\s*["']?([A-Za-z0-9]+)["']?\s*(?:#.*)?$""")


def _document_starts(outputs: list[tuple[list[Any], str | None, str | None]],
                     templates: dict[str, str]) -> dict[int, int]:
    """The template line where the document of each output (by its position) starts, for
    the templates whose documents map one to one onto what they rendered: as many
    ``---``-separated documents as outputs, each written ``kind:`` equal to the rendered
    kind, or, every kind written as a literal, the same kinds in the order helm sorts them
    in. A template whose conditions or loops make more or fewer documents maps none."""
    by_template: dict[str, list[int]] = {}
    for number, (_, _, template_file) in enumerate(outputs):
        if template_file is not None:
            by_template.setdefault(template_file, []).append(number)
    starts: dict[int, int] = {}
    for template_file, numbers in by_template.items():
        # a template's documents are found once per run, however many targets render it
        text = templates[template_file]
        written = recall("template documents", text,
                         functools.partial(_template_documents, text))
        if len(written) != len(numbers):
            continue
        kinds = [_kind(outputs[number][0]) for number in numbers]
        if all(kind is None or kind == rendered for (_, kind), rendered in zip(written, kinds,
                                                                              strict=True)):
            starts.update(zip(numbers, (line for line, _ in written), strict=True))
        elif sorted(map(str, kinds)) == sorted(str(kind) for _, kind in written) \
                and None not in kinds:
            # helm sorts its output by kind (install order; stable within a kind): the
            # n-th document of a kind is the n-th written of that kind
            lines: dict[str, list[int]] = {}
            for line, kind in written:
                lines.setdefault(str(kind), []).append(line)
            for number, kind in zip(numbers, kinds, strict=True):
                starts[number] = lines[str(kind)].pop(0)
    return starts


def _template_documents(text: str) -> list[tuple[int, str | None]]:
    """The documents of a template: (first line with content, the kind written there when
    it is a literal), leaving out those holding only comments, blank lines and actions."""
    documents: list[tuple[int, str | None]] = []
    first: int | None = None
    kinds: list[str] = []

    def close() -> None:
        if first is not None:
            documents.append((first, kinds[0] if len(kinds) == 1 else None))

    for number, line in enumerate(text.splitlines(), start=1):
        if _SEPARATOR.match(line):
            close()
            first, kinds = None, []
            continue
        stripped = _ACTIONS.sub("", line).strip()
        if stripped and not stripped.startswith("#") and first is None:
            first = number
        literal = _LITERAL_KIND.match(line)
        if literal:
            kinds.append(literal.group(1))
    close()
    return documents


_ACTIONS = re.compile(r"\{\{.*?\}\}")


def _kind(documents: list[Any]) -> str | None:
    kinds = [d.get("kind") for d in documents if isinstance(d, dict)]
    return str(kinds[0]) if len(kinds) == 1 else None


def _rendered_error(exc: YamlError, chunk: str, match: re.Match[str] | None,
                    template: str | None, where: tuple[str, int | None]) -> YamlError:
    """A YAML error in helm's output, told as where it came from, same type."""
    line = exc.line
    if line is not None and match is not None:
        # helm puts its "# Source:" comment right above the template's first line
        line -= chunk.count("\n", 0, match.end()) + 1
    at = f"{template or 'a template'} line {line}" if line is not None else template
    if isinstance(exc, YamlTooDeep):
        text = f"helm rendered YAML nested more than {MAX_NESTING} levels deep from {at}"
    else:
        text = f"helm rendered invalid YAML from {at}: {exc.problem or exc.message}"
    error = type(exc)(text, *where)
    error.problem = exc.problem
    return error


def _template_file(template: str | None, chart: Chart, root: Path,
                   templates: dict[str, str]) -> str | None:
    """``<chart name>/templates/x.yaml`` as a repository-relative path, with its text kept."""
    if not template or ("/" not in template and chart.name != "."):
        return None
    # helm names a template by the chart's name joined to its path, cleaned: a chart named
    # "." (which helm takes) gives the path alone
    inner = template if chart.name == "." else template.split("/", 1)[1]
    direct = _in_repository(chart, inner)
    if direct in templates:
        return direct
    found = _repository_template(chart, inner, root)
    if found is None:
        return None
    rel, text = found
    templates.setdefault(rel, text)
    return rel


# a template helm names with a line: "a/templates/x.yaml:3:8", "(a/templates/x.yaml:4)"
_NAMED_LINE = re.compile(r'([^\s:()"<>]+/templates/[^\s:()"<>]+):(\d+)')
# helm's own parse of a template's output: its line counts the output, not the template
_OUTPUT_YAML = re.compile(r'YAML parse error on ([^\s:()"<>]+/templates/[^\s:()"<>]+):')


def error_location(message: str, chart: Chart, root: Path) -> tuple[str, int | None] | None:
    """The repository file, and line, of the template a helm error ``message`` names: the
    last one named with a line (an ``include``d template that failed comes after the one
    including it; an unclosed action's start after where parsing stopped), else the template
    whose output was not YAML, without a line. None when it is no file of the repository
    (e.g. a chart archive's; see ``_repository_template``)."""
    for match in reversed(list(_NAMED_LINE.finditer(message))):
        rel = _chart_file(match.group(1), chart, root)
        if rel is not None:
            return rel, int(match.group(2))
    loaded = _load_failure(message, chart, root)
    if loaded is not None:
        return loaded, None
    output = _OUTPUT_YAML.search(message)
    rel = _chart_file(output.group(1), chart, root) if output else None
    return (rel, None) if rel is not None else None


# helm's chart loader: `error unpacking subchart <name> in <chart>: <why>`, one per level
_UNPACKING = re.compile(r"error unpacking subchart (.+?) in (.+?): ")


def _load_failure(message: str, chart: Chart, root: Path) -> str | None:
    """The file of the repository helm could not load the chart for: the entry of
    ``charts/`` (a subchart's, level by level) it could not unpack (a stray README.md: "error
    unpacking subchart README.md in web"; a subchart's Chart.yaml), or, when it says
    Chart.yaml is missing where there is one, the ``.helmignore`` that leaves it out."""
    levels = _UNPACKING.findall(message)
    path = chart.path
    if levels and levels[0][1] == chart.name:
        for name, _ in levels:
            path = path / "charts" / name
    if "Chart.yaml file is missing" in message and (path / "Chart.yaml").is_file() \
            and (path / ".helmignore").is_file():
        path = path / ".helmignore"
    elif path != chart.path and (path / "Chart.yaml").is_file():
        path = path / "Chart.yaml"  # a subchart helm refuses for its metadata
    if path == chart.path or not os.path.lexists(path) \
            or not resolve(path).is_relative_to(resolve(root)):
        return None
    return rel_path(path, root)


def _chart_file(template: str, chart: Chart, root: Path) -> str | None:
    """``<chart name>/templates/x.yaml`` (or ``<chart name>/charts/sub/...``) as a
    repository-relative path, when it is a file of the repository."""
    name, _, inner = template.partition("/")
    found = _repository_template(chart, inner, root) if name == chart.name else None
    return found[0] if found is not None else None


def _repository_template(chart: Chart, inner: str, root: Path) -> tuple[str, str] | None:
    """The repository-relative path and text of the file ``inner`` of ``chart`` as helm
    renders it: in the chart's directory or, for a subchart that a ``file://`` dependency
    supplies (``helm dependency build`` packs it into ``charts/``), in that dependency's
    directory. None for a file of a chart archive, or one outside the repository."""
    text = _read_template(chart.path / inner, root)
    if text is not None:
        return _in_repository(chart, inner), text
    vendored = _vendored_file(chart.path, inner, root)
    if vendored is not None:
        text = _read_template(vendored, root)
        if text is not None:
            return rel_path(vendored, root), text
    head, _, rest = inner.partition("/")
    subchart, _, rest = rest.partition("/")
    if head != "charts" or not rest:
        return None
    for dependency, directory in _file_dependencies(chart.path, root):
        if (dependency.alias or dependency.name) == subchart:
            text = _read_template(directory / rest, root)
            return (rel_path(directory / rest, root), text) if text is not None else None
    return None


def _vendored_file(chart: Path, inner: str, root: Path) -> Path | None:
    """The file of a subchart vendored as a directory that helm names ``inner``
    (``charts/<name>/templates/x.yaml``, levels nested; ``dependencies.vendored_directory``).
    None where no directory holds it."""
    parts = inner.split("/")
    directory, index = chart, 0
    while index + 2 < len(parts) and parts[index] == "charts":
        found = vendored_directory(directory, parts[index + 1], root)
        if found is None:
            return None
        directory, index = found, index + 2
    return directory.joinpath(*parts[index:]) if index else None


def _file_dependencies(chart: Path, root: Path) -> list[tuple[Dependency, Path]]:
    """The ``file://`` dependencies built into ``chart``'s private copy (none when one could
    not be: that render failed already), looked up once per run."""
    return recall("file dependencies", (chart, root),
                  functools.partial(_file_dependencies_of, chart, root))


def _file_dependencies_of(chart: Path, root: Path) -> list[tuple[Dependency, Path]]:
    try:
        return dependency_sources(chart, root)
    except PlatecheckError:
        return []


def add_helpers(templates: dict[str, str], root: Path, chart: Chart | None = None
                ) -> dict[str, tuple[str, ...]]:
    """Add to ``templates`` the helper templates (files of ``templates/`` whose name starts
    with ``_``, which helm renders only where another template includes them) of each chart
    directory whose templates are there, and of the charts ``chart`` renders with (its
    subcharts and ``file://`` dependencies: a library chart's, which no template of its own
    names): helm shares every ``define`` across them. Answer each template's helpers: what
    an ``include`` wrote has its place in one, its own chart's first."""
    homes: dict[str, list[str]] = {}
    for rel in templates:
        home = helper_home(rel)
        if home is not None:
            homes.setdefault(home, []).append(rel)
    shared = [helper for home in (_tree_homes(chart, root) if chart is not None else ())
              for helper in recall("helper templates", (home, root),
                                   functools.partial(_helpers, home, root))]
    includes: dict[str, tuple[str, ...]] = {}
    for home, users in homes.items():
        helpers = recall("helper templates", (home, root),
                         functools.partial(_helpers, home, root))
        for rel, text in (*helpers, *shared):
            templates.setdefault(rel, text)
        mine = [*helpers, *(helper for helper in shared if helper not in helpers)]
        includes.update((user, _included(templates[user], mine)) for user in users)
    return includes


_DEFINE = re.compile(r'\{\{-?\s*define\s+"([^"]+)"')
_ACTION_TEXT = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_CALL = re.compile(r'\b(?:include|template)\s+(?:"([^"]*)"|(\S))')


def _included(text: str, helpers: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The helper files whose ``define``s a template's text includes, and those they
    include in turn; all of them when a name is not written as it is (built with
    ``printf``, say)."""
    wanted: set[str] = set()
    queue = [text]
    files: list[str] = []
    while queue:
        calls = (call for action in _ACTION_TEXT.findall(queue.pop())
                 if not action.lstrip("{- ").startswith("/*")
                 for call in _CALL.finditer(action))
        for match in calls:
            if match.group(1) is None:
                return tuple(rel for rel, _ in helpers)
            wanted.add(match.group(1))
        for rel, helper in helpers:
            if rel not in files and wanted & set(_DEFINE.findall(helper)):
                files.append(rel)
                queue.append(helper)
    return tuple(rel for rel, _ in helpers if rel in files)


def _tree_homes(chart: Chart, root: Path) -> list[str]:
    """The repository directories holding the helper templates of the charts ``chart``
    renders with: its vendored subcharts (``charts/``) and its ``file://`` dependencies."""
    top = resolve(root)
    directories = [chart.path / "charts",
                   *(directory for _, directory in _file_dependencies(chart.path, root))]
    return [rel_path(d, root) for d in directories
            if d.is_dir() and resolve(d).is_relative_to(top)]


def helper_home(rel: str) -> str | None:
    """The ``templates/`` directory (repository path) a template file ``rel`` is in, or
    None when it is in none."""
    parts = rel.split("/")[:-1]
    if "templates" not in parts:
        return None
    return "/".join(parts[:len(parts) - parts[::-1].index("templates")])


def is_helper(rel: str) -> bool:
    """Whether template file ``rel`` is a helper template (its name starts with ``_``)."""
    return rel.rsplit("/", 1)[-1].startswith("_")


def _helpers(home: str, root: Path) -> list[tuple[str, str]]:
    """The helper templates under ``home`` that read: (repository path, text)."""
    found = []
    for path in sorted(rglob(root / home, "_*")):
        rel = path.relative_to(root).as_posix()
        text = _read_template(path, root) if is_helper(rel) else None
        if text is not None:
            found.append((rel, text))
    return found


def _in_repository(chart: Chart, inner: str) -> str:
    """The repository-relative path of the file ``inner`` of ``chart``'s directory."""
    return f"{chart.rel}/{inner}" if chart.rel not in ("", ".") else inner


_MAX_CHART_FILES = 2000  # the files of a chart looked through for what .Files wrote


def _included_file(chunk: str, chart: Chart, root: Path, templates: dict[str, str]
                   ) -> str | None:
    """The chart file (outside ``templates/`` and ``charts/``) that holds a template's output
    document as written, when the template writes it with ``.Files.Get`` (or ``.Glob``):
    what to fix is there. None when no one file, or several, hold it."""
    body = _SOURCE.sub("", chunk, count=1).strip()
    if "\n" not in body:
        return None  # too little to tell one file from another
    holding = [rel for rel, text in recall("chart files", (chart.path, root), functools.partial(
        _chart_files, chart.path, root)) if body in text]
    if len(holding) != 1:
        return None
    text = _read_template(root / holding[0], root)
    if text is None:
        return None
    templates.setdefault(holding[0], text)
    return holding[0]


def _chart_files(chart: Path, root: Path) -> list[tuple[str, str]]:
    """The repository-relative path and text of each file of a chart a template may read
    whole with ``.Files`` (not its templates nor subcharts, not hidden), a bounded number."""
    found: list[tuple[str, str]] = []
    for file in sorted(rglob(chart)):
        parts = file.relative_to(chart).parts
        if parts[0] in ("templates", "charts") or any(p.startswith(".") for p in parts) \
                or not file.name.endswith((".yaml", ".yml", ".json")):
            continue
        text = _read_template(file, root)
        if text is not None:
            found.append((rel_path(file, root), text))
        if len(found) >= _MAX_CHART_FILES:
            break
    return found


def _read_template(path: Path, root: Path) -> str | None:
    return recall("template text", (path, root), lambda: _template_text(path, root))


def _template_text(path: Path, root: Path) -> str | None:
    """The text of a chart's template inside the repository, read once per run however many
    targets render the chart (``platecheck.runmemo``)."""
    try:
        if not path.is_file() or not resolve(path).is_relative_to(root):
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
