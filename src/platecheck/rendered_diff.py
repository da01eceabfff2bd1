"""``platecheck diff --base REF``: what a change does to what Argo CD will deploy.

Both sides are loaded and checked as ``lint`` would: the working tree, and the commit ``REF``
written into a private temporary directory (``platecheck.basetree``), each with its own
``policies/``. Both use the same render cache, whose keys do not depend on where a chart was
checked out: a target whose chart and values did not change is rendered once, or not at all
when the cache already holds it.

Resources are matched per target by group, kind, namespace and name. Secrets' ``data`` and
``stringData`` values never appear: each is shown as redacted, marked changed when it did.
Findings are matched without their line numbers (an edit above a finding moves it).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from platecheck import basetree, engine
from platecheck.changed import ref_files
from platecheck.discover import find_root
from platecheck.errors import NothingToCheck, PlatecheckError
from platecheck.model import (
    Finding,
    RenderedDiff,
    RenderedTarget,
    RepoModel,
    Report,
    Resource,
    ResourceChange,
    TargetChange,
)
from platecheck.sandbox import scratch
from platecheck.valuefiles import is_glob

_SECRET_FIELDS = ("data", "stringData")
_REDACTED = "<redacted>"
_REDACTED_CHANGED = "<redacted, changed>"


def compute(paths: Sequence[str], ref: str, **options: Any) -> RenderedDiff:
    """Load and check ``paths`` in the working tree and at ``ref``, and compare them."""
    given = [Path(p) for p in paths]
    for path in given:
        if not path.exists():
            raise PlatecheckError("path not found", str(path))
    root = find_root(given[0])
    # (a side that holds nothing to check, every Application added or removed, is empty)
    head_model, head = _loaded([str(p) for p in given], options)
    with scratch("base-") as workdir:
        base_root = workdir / "repo"
        base_root.mkdir()
        commit = basetree.export(root, ref, base_root)
        base_paths = [base_root / Path(os.path.realpath(p)).relative_to(root) for p in given]
        missing = [p for p in base_paths if not p.exists()]
        config_dir = options.pop("config_dir", None)
        if missing:
            base_model, base = None, None
        else:
            base_config_dir = None
            if config_dir is not None and Path(os.path.realpath(config_dir)).is_relative_to(root):
                base_config_dir = base_root / Path(os.path.realpath(config_dir)).relative_to(root)
            base_model, base = _loaded([str(p) for p in base_paths], {
                **options, "root": base_root, "config_dir": base_config_dir})
        if head is None and base is None:
            raise NothingToCheck(f"nothing to check, in the working tree nor at {ref}: no "
                                 "Argo CD Application or Helm chart found", ", ".join(paths))
        base_rendered = base_model.rendered if base_model is not None else ()
        head_rendered = head_model.rendered if head_model is not None else ()
        was = _renamed(base_rendered, head_rendered)
        # (while the base's files are there to read)
        unrendered = _unrendered(base_model, head_model, was)
    # a target one side could not render is not compared: its errors say why (it was
    # "removed", its findings "disappeared")
    failed = _failed(head, head_rendered) | _failed(base, base_rendered)
    changes = sorted([c for c in (*_targets(base_rendered, head_rendered,
                                            base.targets if base else (),
                                            head.targets if head else (), was), *unrendered)
                      if c.target not in failed and c.was not in failed],
                     key=lambda c: c.target)
    # (a target classified anew is compared as the one it was)
    renamed = {old: new for new, old in was.items()}
    environments = {t.id: t.environment for t in (head.targets if head else ())}
    appeared, disappeared = _findings(
        [replace(f, target=renamed[f.target], environment=environments.get(
            renamed[f.target], f.environment)) if f.target in renamed else f
         for f in (base.findings if base else ()) if f.target not in failed],
        [f for f in (head.findings if head else ()) if f.target not in failed])
    errors = [*(head.errors if head else ()), *(_labelled(base.errors, ref) if base else ())]
    return RenderedDiff(ref=ref, commit=commit, targets=tuple(changes), appeared=appeared,
                        disappeared=disappeared, errors=tuple(errors),
                        renders=sum(side.renders for side in (head, base) if side),
                        cache_hits=sum(side.cache_hits for side in (head, base) if side),
                        builds=sum(side.builds for side in (head, base) if side))


def _failed(report: Report | None, rendered: Sequence[RenderedTarget]) -> set[str]:
    """The targets of a side that could not be rendered: each an error's, with no render."""
    if report is None:
        return set()
    return {e.target for e in report.errors if e.target} - {r.id for r in rendered}


def _loaded(paths: list[str], options: Mapping[str, Any]
            ) -> tuple[RepoModel, Report] | tuple[None, None]:
    """``engine.load_and_check`` of ``paths``; none when they hold nothing to check."""
    try:
        return engine.load_and_check(paths, **options)
    except NothingToCheck:
        return None, None


def _labelled(errors: Iterable[Finding], ref: str) -> list[Finding]:
    return [replace(e, message=f"at {ref}: {e.message}") for e in errors]


def _resource_key(resource: Resource) -> tuple[str, str, str, str]:
    group = resource.api_version.rpartition("/")[0]
    return (group, resource.kind, resource.namespace or "", resource.name)


def _label(resource: Resource) -> str:
    where = f" -n {resource.namespace}" if resource.namespace else ""
    return f"{resource.kind}/{resource.name}{where}"


def _targets(base: Sequence[RenderedTarget], head: Sequence[RenderedTarget],
             base_targets: Iterable[Any], head_targets: Iterable[Any],
             was: Mapping[str, str]) -> list[TargetChange]:
    """What changed in each target, ``was`` (new id -> old id, ``_renamed``) compared as
    one."""
    before = {t.id: t for t in base}
    after = {t.id: t for t in head}
    declared = {t.id: t for t in [*base_targets, *head_targets]}
    for new_id, old_id in was.items():
        before[new_id] = before.pop(old_id)
    changes = []
    for tid in sorted(set(before) | set(after)):
        old, new = before.get(tid), after.get(tid)
        resources = _resources(old.resources if old else (), new.resources if new else ())
        if not resources:
            continue
        status = "added" if old is None else "removed" if new is None else "changed"
        target = declared.get(tid)
        app = getattr(target, "application", None)
        where = f"{app.file}:{app.line}" if app is not None else None
        changes.append(TargetChange(tid, status, where, tuple(resources), was.get(tid)))
    return changes


NOT_RENDERED = "not-rendered"  # a target's status: what it deploys changed, not known how


def _unrendered(base: RepoModel | None, head: RepoModel | None, was: Mapping[str, str]
                ) -> list[TargetChange]:
    """The targets of both sides that platecheck does not render (a chart of a Helm
    repository) whose Application's spec, or a file of the repository they read through a
    ``ref`` (``changed.ref_files``), changed: Argo CD deploys something else, which
    platecheck cannot show."""
    if base is None or head is None:
        return []
    before = {was.get(t.id, t.id): t for t in base.targets}
    changes = []
    for target in head.targets:
        old = before.get(target.id)
        if target.rendered_here or target.expanded or old is None or old.rendered_here:
            continue
        app, old_app = target.application, old.application
        spec = app.raw.get("spec") if app is not None else None
        if spec != (old_app.raw.get("spec") if old_app is not None else None) or any(
                _read(head.root, rel) != _read(base.root, rel)
                for rel in ref_files(target)):
            where = f"{app.file}:{app.line}" if app is not None else None
            changes.append(TargetChange(target.id, NOT_RENDERED, where, (),
                                        was.get(target.id)))
    return changes


def _read(root: Path, rel: str) -> bytes | None:
    """The bytes of ``rel`` under ``root`` (a glob: of each file it matches), None when
    there is none."""
    found = sorted(root.glob(rel)) if is_glob(rel) else [root / rel]
    texts = [path.read_bytes() for path in found if path.is_file()]
    return b"\0".join(texts) if texts else None


def _renamed(base: Sequence[RenderedTarget], head: Sequence[RenderedTarget]
             ) -> dict[str, str]:
    """New id -> old id of the targets only one side has that are one source of one
    Application (its file, name and source) on both: the configuration classified it anew
    (an environment added, a match rule changed), which changes its id, not what it is."""
    base_ids, head_ids = {t.id for t in base}, {t.id for t in head}
    removed = [t for t in base if t.id not in head_ids]
    added = [t for t in head if t.id not in base_ids]

    def place(rendered: RenderedTarget) -> tuple[Any, ...] | None:
        app = rendered.target.application
        if app is None:
            return None
        return (app.file, app.kind, app.namespace, app.name, rendered.id.rpartition("[")[2]
                if rendered.id.endswith("]") else "")

    def unique(side: Sequence[RenderedTarget]) -> dict[tuple[Any, ...], str]:
        places: dict[tuple[Any, ...], list[str]] = {}
        for rendered in side:
            key = place(rendered)
            if key is not None:
                places.setdefault(key, []).append(rendered.id)
        return {key: ids[0] for key, ids in places.items() if len(ids) == 1}

    old, new = unique(removed), unique(added)
    return {new[key]: old[key] for key in new.keys() & old.keys()}


def _resources(old: Sequence[Resource], new: Sequence[Resource]) -> list[ResourceChange]:
    before = {_resource_key(r): r for r in old}
    after = {_resource_key(r): r for r in new}
    result = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is None and b is not None:
            result.append(ResourceChange(_label(b), "added", _unified(None, b)))
        elif b is None and a is not None:
            result.append(ResourceChange(_label(a), "removed", _unified(a, None)))
        elif a is not None and b is not None and a.doc != b.doc:
            result.append(ResourceChange(_label(b), "changed", _unified(a, b)))
    return result


def _unified(old: Resource | None, new: Resource | None) -> str:
    shown = new if new is not None else old
    assert shown is not None
    label = _label(shown)
    before = _redacted(old, None)
    after = _redacted(new, old)
    lines = difflib.unified_diff(_yaml(before).splitlines(keepends=True),
                                 _yaml(after).splitlines(keepends=True),
                                 fromfile=f"a/{label}", tofile=f"b/{label}", n=3)
    return "".join(lines)


def _yaml(doc: Mapping[str, Any] | None) -> str:
    if doc is None:
        return ""
    return yaml.safe_dump(dict(doc), sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=100)


def _redacted(resource: Resource | None, before: Resource | None) -> Mapping[str, Any] | None:
    """A Secret with its values replaced; a value that differs from ``before`` is marked
    changed, so the diff shows that it changed and never what it is."""
    if resource is None:
        return None
    doc = resource.doc
    if resource.kind != "Secret" or resource.api_version != "v1":
        return doc
    shown = dict(doc)
    for field in _SECRET_FIELDS:
        values = doc.get(field)
        if not isinstance(values, Mapping):
            continue
        old = before.doc.get(field) if before is not None else None
        old = old if isinstance(old, Mapping) else {}
        shown[field] = {key: _REDACTED_CHANGED if key in old and old[key] != value
                        else _REDACTED for key, value in values.items()}
    return shown


def _finding_key(finding: Finding) -> tuple[Any, ...]:
    return (finding.policy, finding.level, finding.environment, finding.target,
            finding.resource, finding.message, finding.file, finding.waived is not None)


def _findings(base: Sequence[Finding], head: Sequence[Finding]
              ) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    before = [_finding_key(f) for f in base]
    after = [_finding_key(f) for f in head]
    appeared = tuple(f for f, key in zip(head, after, strict=True) if key not in before)
    disappeared = tuple(f for f, key in zip(base, before, strict=True) if key not in after)
    return appeared, disappeared
