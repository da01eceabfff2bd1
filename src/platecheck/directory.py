"""Rendering a directory source: its manifest files as Argo CD applies them (manifests.py),
Jsonnet files evaluated (jsonnet.py), as resources that remember their file."""

from __future__ import annotations

from pathlib import Path

from platecheck.errors import PlatecheckError
from platecheck.manifests import (
    SKIP_MARKER,
    DirectoryOptions,
    manifest_files,
    read_manifests,
    rel_path,
)
from platecheck.model import MergedValues, RenderedTarget, RenderTarget, Resource
from platecheck.provenance import object_lines, target_origin
from platecheck.resources import applied_items, make_resource
from platecheck.submodules import refuse_within
from platecheck.yamlio import read_bytes, read_text

ARGO_KINDS = ("Application", "ApplicationSet")
# Argo CD's repo server reads at most this many bytes of a directory source's manifest files
# (--max-combined-directory-manifests-size, "10M" by default; Jsonnet files not counted)
MAX_COMBINED_MANIFESTS = 10_000_000


def _within_size(files: list[Path], directory: Path, root: Path) -> None:
    """Refuse what Argo CD refuses to render: manifest files that add up to more than
    ``MAX_COMBINED_MANIFESTS`` (``getPotentiallyValidManifests``), counting neither Jsonnet
    files nor those holding the skip-rendering marker, which it leaves out before counting."""
    counted = [path for path in files if not path.name.endswith(".jsonnet")]
    total = sum(path.stat().st_size for path in counted)
    if total > MAX_COMBINED_MANIFESTS:  # only then read them all for the marker
        marker = SKIP_MARKER.encode()
        total = sum(path.stat().st_size for path in counted
                    if marker not in read_bytes(path, rel_path(path, root)))
    if total > MAX_COMBINED_MANIFESTS:
        raise PlatecheckError(
            f"the source's manifest files add up to {total:,} bytes, more than the "
            f"{MAX_COMBINED_MANIFESTS:,} Argo CD's repo server reads of a directory by default "
            "(--max-combined-directory-manifests-size); it fails with 'exceeded max combined "
            "manifest file size'", rel_path(directory, root))


def _jsonnet_places(files: list[Path], root: Path) -> dict[Path, int]:
    """Each ``.jsonnet`` file's place (from 1) among those Argo CD evaluates, ``files`` being
    in the order of its walk (``manifest_files``); one holding the skip marker it never
    evaluates."""
    evaluated = [path for path in files if path.name.endswith(".jsonnet")
                 and SKIP_MARKER not in read_text(path, rel_path(path, root))[1]]
    return {path: place for place, path in enumerate(evaluated, 1)}


def _files(target: RenderTarget, directory: Path, root: Path, options: DirectoryOptions
           ) -> list[Path]:
    """The files of the source ``directory`` Argo CD reads, refused when it would read more
    than is here (a submodule not checked out) or than it reads at most."""
    if options.recurse:
        refuse_within(root, directory, f"the directory {rel_path(directory, root)} (recurse)",
                      target_origin(target))
    files = list(manifest_files(directory, root, options))
    _within_size(files, directory, root)
    return files


def render_directory(target: RenderTarget, root: Path, timeout: float = 120.0
                     ) -> RenderedTarget:
    """The resources of a directory source. Argo CD Applications its files hold are left out:
    discovery follows them as children (an app-of-apps), and argocd-application checks them.
    Those a Jsonnet file evaluates to stay, as the Applications a rendered source generates
    (discovery reads no Jsonnet)."""
    assert target.source_dir is not None
    options = DirectoryOptions.of(target.source_spec)
    resources: list[Resource] = []
    templates: dict[str, str] = {}
    includes: dict[str, tuple[str, ...]] = {}
    chunks: list[str] = []
    files = _files(target, target.source_dir, root, options)
    places = _jsonnet_places(files, root)
    for path in files:
        written = not path.name.endswith(".jsonnet")  # its documents are the file's text
        if not written:
            from platecheck.jsonnet import evaluate

            documents, text, output, imports = evaluate(path, root, target, timeout,
                                                        places.get(path, 1))
            includes[rel_path(path, root)] = tuple(rel for rel, _ in imports)
            for rel, imported in imports:
                templates.setdefault(rel, imported)
        else:
            documents, text = read_manifests(path, root)
            output = text
        if not text:
            continue
        rel = documents[0].file if documents else rel_path(path, root)
        templates[rel] = text
        chunks.append(f"---\n# Source: {rel}\n{output.rstrip()}\n")
        starts = [d.document.line for d in documents] if written else object_lines(
            text, [d.document.data for d in documents])
        for document, start in zip(documents, starts, strict=True):
            try:
                applied = applied_items(document.document.data)
            except PlatecheckError as exc:
                raise PlatecheckError(exc.message, rel, start) from None
            for index, doc in applied:
                if written and _is_argo(doc):
                    continue
                # a List's item from its own line: what is found of it is searched there
                line = document.document.lines.get(("items", index), start) \
                    if written and index is not None else start
                resources.append(make_resource(doc, rel, rel, len(resources), line))
        if documents and not all(isinstance(d.document.data, dict) for d in documents):
            line = next(d.document.line for d in documents if not isinstance(d.document.data,
                                                                              dict))
            raise PlatecheckError("a manifest must be a mapping (an object)", rel, line)
    if places:  # (the tlas and extVars Jsonnet was given)
        from platecheck.jsonnet import variable_values

        values = variable_values(target)
    else:
        values = MergedValues({}, {})
    return RenderedTarget(target=target, resources=tuple(resources), values=values,
                          manifest="".join(chunks), templates=templates, includes=includes)


def _is_argo(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    api_version = str(doc.get("apiVersion", ""))
    return api_version.startswith("argoproj.io/") and doc.get("kind") in ARGO_KINDS

