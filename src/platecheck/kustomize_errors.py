"""kubectl kustomize's errors, told in one line and placed at the kustomization entry they
name: a remote resource, base or component (or ``openapi.path``) an offline build cannot
fetch, the generator or transformer that names a plugin platecheck does not run, or the
entry of the deepest base the build went into."""


from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.kustomize_tree import KustomizeCall, file_layer, repository_layer
from platecheck.manifests import rel_path
from platecheck.model import KeyPath, scalars
from platecheck.realpaths import resolve
from platecheck.values import Layer
from platecheck.walk import rglob
from platecheck.yamlio import read_bytes

_KLOG = re.compile(r'^[IWEF]\d{4} [\d:.]+\s+\d+ [^\]]*\] "[^"]*" err=(?P<err>.*)$')
HELM_ENV = re.compile(r" with env=\[[^\]]*\]")  # kustomize's temporary helm directories


def kubectl_error(stderr: str) -> str:
    """What made ``kubectl kustomize`` fail, as one line. kubectl prints ``error: <cause>``,
    the cause running on over the following lines; kubectl builds that log through klog
    print ``E1202 12:00:00.000000 123 run.go:72] "command failed" err=<``, the cause on the
    following tab-indented lines up to `` >`` (or quoted on the same line)."""
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        match = _KLOG.match(line)
        if match is None:
            continue
        err = match.group("err")
        if err != "<":
            try:
                return _one_line([str(json.loads(err))])
            except ValueError:
                return _one_line([err])
        block = []
        for follow in lines[index + 1:]:
            if follow.strip() == ">":
                break
            block.append(follow)
        return _one_line(block)
    for index, line in enumerate(lines):
        if line.startswith("error:"):
            return _one_line([line[len("error:"):], *lines[index + 1:]])
    return _one_line(lines) or "kubectl failed without a message"


def _one_line(lines: list[str]) -> str:
    text = " ".join(line.strip() for line in lines if line.strip())
    return re.sub(r"\s+:", ":", text).removeprefix("Error: ").removeprefix("error: ")


# what kubectl quotes of a kustomization in its errors: 'missing.yaml', path(patch.yaml)
# a path or name kubectl quotes: 'x', (x), or a resource id's Name:"x" (resid.ResId)
_QUOTED = re.compile(r"'([^'\s]+)'|\(([^()\s]+)\)|\bName:\"([^\"\s]+)\"")


# a resource, base or component kustomize fetches: a URL, a Git repository (git@host:...,
# github.com/owner/repo), not a path of the repository
_REMOTE = re.compile(r"[a-z][a-z0-9+.-]*://|git@|git::|[a-z0-9-]+(\.[a-z0-9-]+)+(:[0-9]+)?/",
                     re.IGNORECASE)
_URL = re.compile(r"https?://", re.IGNORECASE)


def names_remote(entry: str) -> bool:
    """Whether a resource, base or component entry names something kustomize fetches."""
    return _REMOTE.match(entry) is not None


REMOTE_REMEDY = (
    "Vendor what it names into the repository and list the local copy instead: Argo CD's "
    "repo-server fetches it when it builds, but what it fetches is not in the repository "
    "and cannot be checked from it.")


def remote_entry(call: KustomizeCall, reason: str, root: Path
                 ) -> tuple[str, str, int | None] | None:
    """The remote resource, base or component that kubectl's ``reason`` quotes (a build
    that failed fetching it), the kustomization that lists it and the entry's line."""
    quoted = {next(group for group in match.groups() if group)
              for match in _QUOTED.finditer(reason)}
    return next((found for found in _remote_entries(call, root)
                 if found[0] in quoted or f'"{found[0]}"' in reason), None)


# what kustomize fetches itself (its HTTP client, which Go never proxies to a loopback
# address, or ssh), before a build starts
_FETCHED = re.compile(r"[a-z][a-z0-9+.-]*://|git@|git::", re.IGNORECASE)


def fetched_entry(call: KustomizeCall, root: Path) -> tuple[str, str, int | None] | None:
    """A resource, base, component or ``openapi.path`` of a kustomization the build reads
    that kustomize would fetch over the network (a URL, a ``git@`` or ``git::`` address),
    with the kustomization that lists it and the entry's line: found before the build, so
    that no build reaches the network, not even a loopback address a proxy never sees."""
    return next((found for found in _remote_entries(call, root) if _FETCHED.match(found[0])),
                None)


def _remote_entries(call: KustomizeCall, root: Path) -> Iterator[tuple[str, str, int | None]]:
    """Each entry of the kustomizations a build reads that names something remote (and
    names no local path), with its kustomization and line."""
    assert call.target.source_dir is not None
    for directory, file, data in ((call.target.source_dir, call.found, call.data),
                                  *call.nested):
        schema = data.get("openapi")
        schema = schema.get("path") if isinstance(schema, dict) else None
        # kubectl fetches an openapi.path URL, and quotes it in Go's way ("...") when it fails
        if isinstance(schema, str) and _URL.match(schema):
            rel = rel_path(file, root)
            yield schema, rel, file_layer(file, rel).lines.get(("openapi", "path"))
        for key in ("resources", "bases", "components"):
            entries = data.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if (isinstance(entry, str) and names_remote(entry)
                        and not (directory / entry).exists()):
                    rel = rel_path(file, root)
                    yield entry, rel, file_layer(file, rel).lines.get((key, index))
        for path, entry in _loaded_paths(data):
            if _FETCHED.match(entry):
                rel = rel_path(file, root)
                yield entry, rel, file_layer(file, rel).lines.get(path)


# the fields whose paths kustomize's loader reads, which fetches a URL as it reads a file
_LOADED_LISTS = ("patchesStrategicMerge", "crds", "transformers", "generators", "validators",
                 "configurations")
_LOADED_ITEMS = {"patches": ("path",), "patchesJson6902": ("path",), "replacements": ("path",),
                 "helmCharts": ("valuesFile", "additionalValuesFiles"),
                 "configMapGenerator": ("files", "envs", "env"),
                 "secretGenerator": ("files", "envs", "env")}


def _loaded_paths(data: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Each path (key path, text) a kustomization names that kustomize reads through its
    loader: a patch, generator file (``key=path``: the path), CRD, replacement, values file
    or plugin configuration."""
    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    for key in _LOADED_LISTS:
        for index, entry in enumerate(listed(data.get(key))):
            if isinstance(entry, str):
                yield (key, index), entry
    for key, fields in _LOADED_ITEMS.items():
        for index, item in enumerate(listed(data.get(key))):
            for field in fields if isinstance(item, dict) else ():
                value = item.get(field)
                for number, entry in ([(None, value)] if isinstance(value, str)
                                      else enumerate(listed(value))):
                    if isinstance(entry, str):
                        where = (key, index, field) if number is None else (
                            key, index, field, number)
                        yield where, entry.rpartition("=")[2] if field == "files" else entry


_SCHEMA = "values.schema.json"
_MAX_SCHEMA = 32 << 20  # bytes of a schema read, in a directory or an archive


def schema_reference(chart: Path) -> tuple[Path, str] | None:
    """The first ``values.schema.json`` of a chart kustomize inflates (its own, or one of
    its subcharts', in a directory or an archive) holding a ``$ref`` to anything but a place
    in itself (``#...``), and that reference: the helm kustomize starts validates the values
    with it, and would read what it names from the machine's files or the network."""
    for path in sorted(rglob(chart)):
        if path.name == _SCHEMA and path.is_file() and path.stat().st_size <= _MAX_SCHEMA:
            ref = _outside_reference(path.read_bytes())
        elif path.name.endswith((".tgz", ".tar.gz")) and path.is_file():
            ref = _archived_reference(path.read_bytes(), depth=0)
        else:
            continue
        if ref is not None:
            return path, ref
    return None


def _archived_reference(data: bytes, depth: int) -> str | None:
    import io
    import tarfile

    if depth > 4:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive:
                if not member.isfile() or member.size > _MAX_SCHEMA:
                    continue
                name = member.name.rsplit("/", 1)[-1]
                if name != _SCHEMA and not name.endswith((".tgz", ".tar.gz")):
                    continue
                read = archive.extractfile(member)
                content = read.read() if read is not None else b""
                ref = _outside_reference(content) if name == _SCHEMA else \
                    _archived_reference(content, depth + 1)
                if ref is not None:
                    return ref
    except (tarfile.TarError, OSError, EOFError):
        return None  # helm refuses what it cannot read, and reads nothing of it
    return None


def _outside_reference(text: bytes) -> str | None:
    try:
        schema = json.loads(text)
    except ValueError:
        return None  # helm refuses it before it reads a reference
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return ref
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return None


# kubectl's error once it has gone into a base: what follows is that base's
_RECURSED = re.compile(r"recursed accumulation of path '([^']+)'")


_PLUGIN = re.compile(r"unable to load external plugin '([^']+)'")
_PLUGIN_FIELDS = ("generators", "transformers", "validators")
PLUGIN_REMEDY = (
    "platecheck runs no kustomize plugin or KRM function (ksops, exec and container "
    "functions): they run programs the repository names. Argo CD runs them only where "
    "argocd-cm's kustomize.buildOptions enable them (--enable-alpha-plugins, "
    "--enable-exec); what such a build outputs cannot be checked here.")


def plugin_entry(call: KustomizeCall, reason: str, root: Path
                 ) -> tuple[str, int | None] | None:
    """Where a build that needs a plugin names it: the ``generators``, ``transformers`` or
    ``validators`` entry whose file's ``kind`` is the plugin kubectl could not load; the
    kustomization alone when no entry says; None when ``reason`` is no plugin's."""
    match = _PLUGIN.search(reason)
    if match is None:
        return None
    for directory, file in ((call.target.source_dir, call.found),
                            *((d, f) for d, f, _ in call.nested)):
        if directory is None:
            continue
        layer = file_layer(file, rel_path(file, root))
        for key in _PLUGIN_FIELDS:
            entries = layer.data.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else ()):
                if _plugin_kind(entry, directory, root) == match.group(1):
                    return layer.file, layer.lines.get((key, index))
    return call.kustomization, None


def _plugin_kind(entry: object, directory: Path, root: Path) -> object:
    """The ``kind`` of the configuration a generator or transformer entry names (a file of
    the repository) or writes inline (a YAML text of more than one line)."""
    if isinstance(entry, str) and "\n" in entry:
        inline = _INLINE_KIND.search(entry)
        return inline.group(1) if inline else None
    layer = repository_layer(directory / entry, root) if isinstance(entry, str) else None
    return layer.data.get("kind") if layer is not None else None


# the kind of an inline generator or transformer configuration, at its top level
_INLINE_KIND = re.compile(r"""^kind:[ \t]*["']?([^\s"'#]+)""", re.MULTILINE)


# go-yaml's refusal of a key written twice in one mapping, which names no file
_DUPLICATE = re.compile(r'line (\d+): mapping key "((?:[^"\\]|\\.)*)" already defined at '
                        r"line (\d+)")


def duplicate_key_file(call: KustomizeCall, reason: str, root: Path) -> tuple[str, int] | None:
    """The file and line of the key written twice kubectl's ``reason`` names ("line 7:
    mapping key "a" already defined at line 6", no file named): the one file the build
    reads (its kustomizations, the files they list) that writes that key on both lines; None
    when not exactly one does."""
    from platecheck.kustomize_tree import listed_files

    found = _DUPLICATE.search(reason)
    if found is None:
        return None
    second, first = int(found.group(1)), int(found.group(3))
    key = re.escape(json.loads(f'"{found.group(2)}"'))
    written = re.compile(rf"""^(\s*)(?:-\s+)?(["']?){key}\2\s*:(?:\s|$)""")
    candidates = {call.found, *(file for _, file, _ in call.nested),
                  *listed_files(call.found.parent, root)}
    matches = []
    for path in sorted(candidates):
        if not resolve(path).is_relative_to(resolve(root)):
            continue  # (a link out of the repository: kustomize's own error says so)
        try:
            lines = read_bytes(path, rel_path(path, root)).decode("utf-8", "replace").splitlines()
        except PlatecheckError:
            continue
        if max(first, second) <= len(lines):
            a, b = written.match(lines[first - 1]), written.match(lines[second - 1])
            if a and b and len(a.group(1)) == len(b.group(1)):
                matches.append((rel_path(path, root), second))
    return matches[0] if len(matches) == 1 else None


def failing_entry(call: KustomizeCall, reason: str, root: Path) -> tuple[str, int | None]:
    """The kustomization and line of the entry kubectl's ``reason`` names: in the deepest
    base the build went into that lists it, else in the build's own kustomization (the line
    that leads to that base)."""
    deepest = list(_RECURSED.finditer(reason))[-1:]
    for match in deepest:
        for directory, file, _ in call.nested:
            if rel_path(directory, root) == match.group(1):
                rel = rel_path(file, root)
                line = _entry_line(file_layer(file, rel), reason[match.end():])
                if line is not None:
                    return rel, line
    return call.kustomization, _entry_line(file_layer(call.found, call.kustomization),
                                           reason)


def _entry_line(kustomization: Layer, reason: str) -> int | None:
    """The line of the kustomization's entry the error ``reason`` names first (a resource, a
    patch file, a component it could not read); None when it names none of them (an entry
    the Application adds, an error of another file)."""
    written: dict[str, KeyPath] = {}
    here = posixpath.dirname(kustomization.file)
    for path, value in scalars(kustomization.data):
        if isinstance(value, str):
            written.setdefault(value, path)
    for path, value in scalars(kustomization.data):
        if isinstance(value, str):  # the load restrictor quotes a file from the repository's
            # top: '../values.yaml' of k/overlay is 'k/values.yaml'
            written.setdefault(posixpath.normpath(posixpath.join(here, value)), path)
    for match in _QUOTED.finditer(reason):
        entry = written.get(next(group for group in match.groups() if group))
        if entry is not None and entry in kustomization.lines:
            return kustomization.lines[entry]
    return _mistyped_line(kustomization, reason)


# kustomize's decoding of a field of the wrong type: "json: cannot unmarshal number into Go
# struct field Image.images.newTag of type string"
_MISTYPED = re.compile(r"cannot unmarshal (\w+) into Go struct field \w+\.([\w.]+) of type")
_JSON_TYPES = {"number": (int, float), "bool": (bool,), "string": (str,), "array": (list,),
               "object": (dict,)}


def _mistyped_line(kustomization: Layer, reason: str) -> int | None:
    """The line of the first field of the path kubectl's decoding error names (``images``,
    ``newTag``: each entry's) whose value is of the type it names; None when none is."""
    match = _MISTYPED.search(reason)
    if match is None:
        return None
    names, kind = match.group(2).split("."), _JSON_TYPES.get(match.group(1), ())
    for path, value in scalars(kustomization.data):
        if [k for k in path if isinstance(k, str)] == names and isinstance(value, kind) \
                and not (kind == (int, float) and isinstance(value, bool)) \
                and path in kustomization.lines:
            return kustomization.lines[path]
    return None
