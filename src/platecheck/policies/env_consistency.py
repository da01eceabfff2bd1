"""Staging and production deploy the same thing, differently sized.

What:
    For each app deployed to both a non-production and a production environment (every
    non-production environment is paired with every production one unless ``pairs`` says
    otherwise), the two targets render the same chart (same chart path, or copies of one
    chart: the same name and version in each environment's directory), the same set of
    resources by API group, kind and name (names compared after removing environment words,
    see ``nameNormalization``), and merged values with the same key structure: a key path set on
    one side only, or a mapping on one side and a scalar or list on the other, is a finding.
    Values themselves may differ. The sources of an Application of several sources pair with
    the other environment's by what they render, not by their order: the same chart or path,
    else the same path once environment words are removed (``manifests/stg``,
    ``manifests/prod``), else the same source type in order; a source left over on one side
    is a finding at its path. Each values difference is reported as a dotted path at the
    line of the values file that wrote the key. A different ``nameOverride`` or
    ``fullnameOverride`` that renames resources is one finding at its values line naming what
    it renames (unless ``allowedDifferences`` allows it); the resources it renames (same kind
    and template on both sides) are not reported again; one whose names are alike once
    normalized (``shop-stg``, ``shop-prod``) renames nothing and is a value like any other. An
    app deployed to one environment only is a finding unless ``singleEnvironment`` declares
    it with a reason (a chart linted in chart mode is deployed nowhere: its values files say
    which environments render it); a declaration of an app no Application deploys (a
    misspelt name) is a finding at it, in a run of every target (not in chart mode). No app
    is said missing from an environment where an ApplicationSet platecheck does not expand
    names its Applications by its parameters (``'{{.app}}-staging'``; in every environment
    when its template matches none): that set may deploy it, and not-rendered reports the
    set. An app of several Applications in one environment (one per region or cluster, each
    applied by its own Argo CD) has each
    compared with the Application of the other environment whose file shares the most
    directories with its own (``apps/us/web-prod.yaml`` with ``apps/us/web-stg.yaml``, else
    with the one staging Application): every Application is compared with one.

    A run of some environments (``--env prod``) renders the environments its pairs compare
    them with too, for this policy alone, and reports the findings of those pairs.

    A Kustomize source's values are its kustomizations' fields, merged as kustomize applies
    them: a ``helmCharts`` entry's values are those its chart gets, wherever written
    (``helmCharts[0].valuesInline``: the chart's values.yaml, the ``valuesFile``, the
    ``valuesInline`` and the ``additionalValuesFiles``, merged as kustomize and helm merge
    them); an ``images`` entry is known by the image it replaces (``images.web``), its
    ``newName``, ``newTag`` and ``digest`` being its values; a patch by its file, else its
    target, else the object it names (``patches.replicas.yaml``, ``patches.Deployment/web``)
    and a generator by its name (``configMapGenerator.web``), whatever their order: a patch
    one side lists and the other does not is the finding, not the patches after it. A
    ConfigMap or Secret a generator makes is known by its name without the hash of its
    content that kustomize appends (``alpha`` of ``alpha-89g4tffbfk``), and one that only
    one side renders is at its generator's entry.

Why:
    Staging exists to rehearse production. A key that only staging sets, a resource only
    production renders or a different chart means the rehearsal tested something else, and
    the difference shows up for the first time in production.

Options:
    pairs (list of [environment, environment], default []): the environment pairs to
        compare, two different environments each; empty pairs every non-production
        environment with every production one.
    allowedDifferences (list of globs, default []): values key paths that may differ, e.g.
        ``ingress.annotations.*``; ``*`` matches any characters including dots, list items
        are written ``hosts[0]`` (Kustomize patches and generators as above); a pattern
        also allows everything below the path it matches.
    allowedResourceDifferences (list of globs, default []): ``Kind/name`` (normalized) of
        resources that may exist on one side only, e.g. ``HorizontalPodAutoscaler/*``.
    nameNormalization (list of strings, default ["{env}", "staging", "production", "stage",
        "prd"]): words removed from the names of the resources that are not on both sides
        alike before pairing them (``web-prod`` with ``web-stg``); names are split at ``-``
        and ``.``, words compare case-insensitively, ``{env}`` stands for the target's
        environment name.
    singleEnvironment (mapping, default {}): app -> ``{environments: [...], reason: "..."}``
        for apps deliberately deployed to fewer environments; the reason is required.

Passes:
    stg and prod render helm/applications/plate-web; values-stg.yaml and values-prod.yaml set
    the same keys with different numbers; plate-llm is staging-only and declared so.

Fails:
    values-stg.yaml sets ``debug.enabled`` and values-prod.yaml does not
    prod renders HorizontalPodAutoscaler/plate-web-prod and stg renders no autoscaler
    plate-llm is deployed to stg only and not declared in singleEnvironment
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from platecheck.discover import source_key
from platecheck.errors import PlatecheckError
from platecheck.kustomize_values import paired_entries
from platecheck.model import (
    NO_ENVIRONMENT,
    Finding,
    KeyPath,
    Origin,
    RenderedTarget,
    RenderTarget,
    RepoModel,
    Resource,
    SourceType,
)
from platecheck.options import OptionError, PolicyOptions, option
from platecheck.provenance import at, locate, target_origin

ID = "env-consistency"
SUMMARY = "apps in staging and production share chart, resources and values structure"
SCOPE = "repo"
REMEDIATION = (
    "make both environments' values set the same keys (or allow the path in env-consistency "
    "allowedDifferences), and deploy the app to both environments (or declare it in "
    "singleEnvironment with a reason)"
)
_VALUES_FIX = (
    "set the key in both environments' values files (or list the path in env-consistency "
    "allowedDifferences)"
)
# a Kustomize source's values are its kustomizations (images, replicas, patches)
_KUSTOMIZE_FIX = (
    "write the setting in both environments' kustomizations, or the values files their "
    "helmCharts name (or list the path in env-consistency allowedDifferences)"
)
_RESOURCE_FIX = (
    "render the resource in both environments (or list Kind/name in env-consistency "
    "allowedResourceDifferences)"
)
# the index in spec.sources a target of an Application of several sources has in its id
_SOURCE_INDEX = re.compile(r"\[([0-9]+)\](?:@.*)?$")
CONFIG_FILE_NAME = "platecheck.yaml"
CONFIG_FILE = f"policies/{CONFIG_FILE_NAME}"  # where the declarations are when we cannot tell


def check(repo: RepoModel, options: PolicyOptions[Options]) -> Iterator[Finding]:
    opts = options.default
    pairs = _checked_pairs(list(opts.pairs) or _default_pairs(_production_flags(repo)),
                           repo.compared_only)
    declared = opts.single_environment
    rendered = {r.id: r for r in repo.rendered}
    by_app: dict[str, dict[str, RenderTarget]] = {}
    # every source target of an app in each environment (an Application of several sources),
    # by its Application (one per region or cluster, each of its own Argo CD)
    sources: dict[str, dict[str, dict[int, list[RenderTarget]]]] = {}
    opened: set[str] = set()  # the environments where a set not expanded may deploy any app
    for target in repo.targets:
        if not _names_by_parameters(target):
            if target.is_app:
                by_app.setdefault(target.app, {}).setdefault(target.environment, target)
                sources.setdefault(target.app, {}).setdefault(target.environment, {}).setdefault(
                    id(target.application), []).append(target)
        elif target.unclassified or target.environment == NO_ENVIRONMENT:
            opened.update(env for pair in pairs for env in pair)
        else:
            opened.add(target.environment)

    yield from _single_environment(repo, by_app, declared, pairs, opened)
    for _, targets in sorted(sources.items()):
        for left_env, right_env in pairs:
            if left_env not in targets or right_env not in targets:
                continue
            for left, right in _application_pairs(list(targets[left_env].values()),
                                                  list(targets[right_env].values())):
                paired, alone = _paired_sources(left, right, opts.name_normalization)
                for one, other in paired:
                    yield from _pair_findings(rendered.get(one.id), rendered.get(other.id),
                                              opts)
                for target in alone:
                    other_env = right_env if target.environment == left_env else left_env
                    yield _target_finding(
                        target, f"{target.id} renders {_what(target)}, and {other_env}/"
                        f"{target.app} renders no source like it", _source_origin(target),
                        f"give {target.app} the same sources in both environments")


def _application_pairs(left: list[list[RenderTarget]], right: list[list[RenderTarget]]
                       ) -> list[tuple[list[RenderTarget], list[RenderTarget]]]:
    """The Applications of an app in two environments to compare (each its source targets):
    one on each side, those two; with more (one per region or cluster, each of its own Argo
    CD), each with the one of the other side whose file shares the most directories with its
    own (``apps/eu/web-stg.yaml`` with ``apps/eu/web-prod.yaml``; the first of those alike),
    so that every Application is compared with one."""
    if len(left) == 1 and len(right) == 1:
        return [(left[0], right[0])]

    def nearest(one: list[RenderTarget], others: list[list[RenderTarget]]
                ) -> list[RenderTarget]:
        return max(others, key=lambda other: _shared_directories(one[0], other[0]))

    found: list[tuple[list[RenderTarget], list[RenderTarget]]] = []
    for pair in [*((one, nearest(one, right)) for one in left),
                 *((nearest(one, left), one) for one in right)]:
        if not any(pair[0] is a and pair[1] is b for a, b in found):
            found.append(pair)
    return found


def _shared_directories(one: RenderTarget, other: RenderTarget) -> int:
    """How many leading directories the files of two targets' Applications share."""
    assert one.application is not None and other.application is not None
    mine, theirs = (PurePosixPath(t.file).parent.parts for t in (one.application,
                                                                    other.application))
    return next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False))
                 if a != b),
                min(len(mine), len(theirs)))


def _pair_findings(left: RenderedTarget | None, right: RenderedTarget | None,
                   opts: Options) -> Iterator[Finding]:
    """What differs between an app's targets of two environments (one source of each)."""
    allowed = opts.allowed_differences
    allowed_resources = opts.allowed_resource_differences
    if left is None or right is None:
        return  # not rendered: reported as such by the engine
    if not _same_chart(left, right):
        yield _chart_finding(left, right)
        return
    left, right = _compared(left, right)
    renames = [p for p in _renames(left, right)
               if allowed is None or not _allowed(allowed, p)]
    only = _only_one_side(left, right, opts.name_normalization, allowed_resources)
    rest, renamed = _pair_renamed(only) if renames else (only, [])
    if renamed:
        # one rename, one finding: the resources it renames are not reported again
        only = rest
        yield from (_rename_finding(left, right, path, renamed) for path in renames)
    else:  # names alike once normalized (shop-stg, shop-prod): a value like any other
        renames = []
    yield from _values_findings(left, right, allowed, skip=set(renames))
    yield from _resource_findings(only)


def _paired_sources(left: Sequence[RenderTarget], right: Sequence[RenderTarget],
                    words: Sequence[str]
                    ) -> tuple[list[tuple[RenderTarget, RenderTarget]], list[RenderTarget]]:
    """The targets of an app's sources in two environments, paired by what each renders, not
    by its place in ``spec.sources`` (Argo CD deploys what all render, in any order): the
    same chart or path, else the same path once environment words are removed
    (``manifests/stg``, ``manifests/prod``), else the same source type in their order (one
    not rendered here, of no known type, a source at another revision, by its path alone);
    and those left over on one side (an Application of more sources)."""
    if len(left) == 1 and len(right) == 1:
        return [(left[0], right[0])], []
    def normalized(target: RenderTarget) -> str:
        return _normalize("/" + _rendered_path(target).replace("/", "-"), words,
                          target.environment)

    keys: list[Callable[[RenderTarget], Any]] = [
        lambda t: (t.source_type, _rendered_path(t)),
        lambda t: (t.source_type, normalized(t)),
        lambda t: t.source_type, _rendered_path, normalized]
    pairs: list[tuple[RenderTarget, RenderTarget]] = []
    rest = [list(left), list(right)]
    for key in keys:
        for one in list(rest[0]):
            mate = next((o for o in rest[1] if key(o) == key(one)), None)
            if mate is not None:
                pairs.append((one, mate))
                rest[0].remove(one)
                rest[1].remove(mate)
    return pairs, [*rest[0], *rest[1]]


def _what(target: RenderTarget) -> str:
    """What a target renders: ``chart charts/web``, ``Directory source manifests/stg``."""
    if target.chart is not None:
        return f"chart {target.chart.rel}"
    return f"{target.source_type or SourceType.DIRECTORY} source {_rendered_path(target) or '.'}"


def _source_origin(target: RenderTarget) -> Origin | None:
    """The ``path`` (or ``chart``) of the source a target renders, in its Application."""
    application = target.application
    if application is None:
        return target_origin(target)
    numbered = _SOURCE_INDEX.search(target.id)
    index = int(numbered.group(1)) if numbered else next(
        (i for i, source in enumerate(application.sources) if source.chart or source.path), 0)
    key = source_key(application, index)
    field = "chart" if target.remote and target.remote.chart else "path"
    return application.origin((*key, field)) or target_origin(target)


def _rendered_path(target: RenderTarget) -> str:
    """The chart or directory a target renders, as written in its source."""
    if target.chart is not None:
        return target.chart.rel
    source = target.source_spec.get("path") if target.source_spec else None
    return str(source or (target.remote.path if target.remote else "") or "")


def _compared(left: RenderedTarget, right: RenderedTarget
              ) -> tuple[RenderedTarget, RenderedTarget]:
    """Two targets with the values they compare by: two Kustomize sources' patches and
    generators paired by what they are (``kustomize_values.paired_entries``), not by their
    places in the lists."""
    if left.target.source_type is not SourceType.KUSTOMIZE or \
            right.target.source_type is not SourceType.KUSTOMIZE:
        return left, right
    values = paired_entries(left.values, right.values)
    return replace(left, values=values[0]), replace(right, values=values[1])


def _values_findings(
    left: RenderedTarget, right: RenderedTarget, allowed: re.Pattern[str] | None,
    skip: set[KeyPath],
) -> Iterator[Finding]:
    differences: list[tuple[KeyPath, str, RenderedTarget]] = []
    for path, change in structural_differences(left.values.data, right.values.data):
        if change == "removed":
            differences.append((path, change, left))
        elif change == "added":
            differences.append((path, change, right))
        else:
            differences.append((path, change, _owner(left, right, path)))
    for path, change, side in sorted(differences, key=lambda d: (dotted(d[0]), d[1])):
        name = dotted(path)
        if path in skip or (allowed is not None and _allowed(allowed, path)):
            continue
        origin = locate(side, path=path)
        if change in ("removed", "added"):
            other = right if side is left else left
            message = f'values key "{name}" is set for {side.id} but not for {other.id}'
            if origin is None or not _is_own_values_file(side, other, origin):
                # The key comes from the shared chart defaults: the other side removed it
                # (``key: null``), and that line is the one to look at.
                deleted = _values_line(other, path)
                if deleted is not None:
                    side, origin = other, deleted
        else:
            was, now = change.split("/")
            message = f'values key "{name}" is {was} for {left.id} but {now} for {right.id}'
        kustomize = side.target.source_type is SourceType.KUSTOMIZE
        yield _finding(side, message, origin, None, _KUSTOMIZE_FIX if kustomize else _VALUES_FIX)


@dataclass(frozen=True)
class _Only:
    """A resource one side of a pair renders and the other does not."""

    key: str  # normalized Kind/name
    side: RenderedTarget
    other: RenderedTarget
    resource: Resource


def _only_one_side(
    left: RenderedTarget,
    right: RenderedTarget,
    words: Sequence[str],
    allowed: re.Pattern[str] | None,
) -> list[_Only]:
    """The resources one side renders and the other does not: a resource of the same API group
    and ``Kind/name`` on both sides is one; of the rest, those whose names are the same once
    each side's environment words are dropped (``web-prod`` and ``web-stg``) pair up, a
    Kustomize generator's ConfigMap or Secret by its name without the hash of its content."""
    sides = (left, right)
    # a resource is its API group, kind and name (a Knative Service is no core Service)
    refs = [{(r.api_version.rpartition("/")[0], r.ref): r for r in t.resources} for t in sides]
    common = refs[0].keys() & refs[1].keys()
    rest: list[dict[tuple[str, str], list[tuple[str, str]]]] = [{}, {}]
    for index, side in enumerate(sides):
        for ident in sorted(refs[index].keys() - common):
            key = (ident[0], _normalize(_unhashed(refs[index][ident]), words, side.environment))
            rest[index].setdefault(key, []).append(ident)
    only: list[tuple[tuple[str, str], int, tuple[str, str]]] = []
    for index in (0, 1):
        for key, names in rest[index].items():
            unpaired = names[len(rest[1 - index].get(key, ())):]
            only.extend((key, index, ident) for ident in unpaired)
    return [_Only(key[1], sides[index], sides[1 - index], refs[index][ident])
            for key, index, ident in sorted(only, key=lambda o: (o[0][1], o[0][0], *o[1:]))
            if allowed is None or not allowed.fullmatch(key[1])]


def _unhashed(resource: Resource) -> str:
    """``Kind/name`` of a resource, a generated one's name without the hash kustomize
    appended to it (``Resource.generated_name``)."""
    if resource.generated_name is None:
        return resource.ref
    return f"{resource.kind}/{resource.generated_name}"


def _resource_findings(only: Sequence[_Only]) -> Iterator[Finding]:
    for item in only:
        # the other side's Kind/name of another API group: say which one this is
        named = item.resource.ref + (f" ({item.resource.api_version})" if any(
            r.ref == item.resource.ref for r in item.other.resources) else "")
        message = f"{named} is rendered for {item.side.id} but not for {item.other.id}"
        resource = item.resource
        # a generator's ConfigMap or Secret: at the generator's entry in its kustomization
        origin = Origin(resource.template_file, resource.line) \
            if resource.generated_name is not None and resource.template_file \
            else locate(item.side, resource=resource, fields=("kind",))
        yield _finding(item.side, message, origin, item.resource.ref, _RESOURCE_FIX)


# Helm charts' conventional renaming values (``helm create``'s _helpers.tpl): a difference in
# one of them renames every resource of the release.
_RENAMING_KEYS = ("nameOverride", "fullnameOverride")
_UNSET = object()


def _renames(left: RenderedTarget, right: RenderedTarget) -> list[KeyPath]:
    """The renaming key paths (at any depth, so subcharts' too) whose values differ."""
    paths: set[KeyPath] = set()
    for rendered in (left, right):
        paths.update(_renaming_paths(rendered.values.data, ()))
    return sorted((p for p in paths if _value(left, p) != _value(right, p)), key=dotted)


def _renaming_paths(data: Any, prefix: KeyPath) -> Iterator[KeyPath]:
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if key in _RENAMING_KEYS and not isinstance(value, (Mapping, list)):
            yield (*prefix, key)
        else:
            yield from _renaming_paths(value, (*prefix, str(key)))


def _value(rendered: RenderedTarget, path: KeyPath) -> Any:
    node: Any = rendered.values.data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return _UNSET
        node = node[key]
    return _UNSET if node in (None, "") else node


def _pair_renamed(only: Sequence[_Only]) -> tuple[list[_Only], list[tuple[_Only, _Only]]]:
    """Resources one side renders under another name: the same kind from the same template
    on both sides. Returns what is left unpaired and the pairs (left side first)."""
    pending: dict[tuple[int, str, str | None], list[_Only]] = {}
    pairs: list[tuple[_Only, _Only]] = []
    unpaired: list[_Only] = []
    for item in only:
        first = item.side.id < item.other.id
        key = (0 if first else 1, item.resource.kind, item.resource.template)
        match = pending.get((1 - key[0], key[1], key[2]))
        if match:
            mate = match.pop(0)
            pairs.append((item, mate) if first else (mate, item))
        else:
            pending.setdefault(key, []).append(item)
    for items in pending.values():
        unpaired.extend(items)
    return sorted(unpaired, key=lambda i: (i.key, i.side.id)), pairs


def _rename_finding(left: RenderedTarget, right: RenderedTarget, path: KeyPath,
                    renamed: Sequence[tuple[_Only, _Only]]) -> Finding:
    def shown(side: RenderedTarget) -> str:
        value = _value(side, path)
        return "unset" if value is _UNSET else f"{value!r}"

    side = _owner(left, right, path)
    if _value(side, path) is _UNSET:
        side = left if side is right else right
    a, b = renamed[0]  # (a renaming key whose value renames nothing is no finding)
    more = f" and {len(renamed) - 1} more" if len(renamed) > 1 else ""
    what = f"renames {a.resource.ref} ({a.side.id}) to {b.resource.ref} ({b.side.id}){more}"
    message = (f'values key "{dotted(path)}" is {shown(left)} for {left.id} but {shown(right)} '
               f"for {right.id}: it {what}")
    return _finding(side, message, locate(side, path=path), None,
                    f"give {dotted(path)} the same value in both environments (or none), so "
                    "both deploy the same resource names")


def _chart_finding(left: RenderedTarget, right: RenderedTarget) -> Finding:
    origin = _source_origin(right.target) if right.target.application is not None \
        else locate(right)
    message = f"{right.id} renders {_what(right.target)} but {left.id} renders " \
              f"{_what(left.target)}"
    return _finding(right, message, origin, None, "point both Applications at the same chart")


def _without_reason(repo: RepoModel, declared: Mapping[str, Mapping[str, Any]]
                    ) -> Iterator[Finding]:
    for app, declaration in sorted(declared.items()):
        if not str(declaration.get("reason") or "").strip():
            yield Finding(
                policy=ID,
                message=f'singleEnvironment declaration of "{app}" has no reason',
                remediation='give the declaration a reason: {environments: [...], reason: "..."}',
                **at(_declaration_origin(repo, app)),
            )


def _undeployed_declarations(
    repo: RepoModel,
    by_app: Mapping[str, Mapping[str, RenderTarget]],
    declared: Mapping[str, Mapping[str, Any]],
) -> Iterator[Finding]:
    """A declaration of an app no Application deploys (a misspelt or removed app), told only
    by a run that checked every target of the repository."""
    failed = _failed_environments(repo)
    checked = {t.id for t in repo.targets} | {e.target for e in repo.errors if e.target}
    if not set(repo.repository_targets) <= checked:
        return
    for app in sorted(set(declared) - set(by_app) - set(failed)):
        yield Finding(
            policy=ID,
            message=f'singleEnvironment declares "{app}", which no Application deploys',
            remediation=f"remove the declaration of {app}, or correct its name",
            **at(_declaration_origin(repo, app)),
        )


def _names_by_parameters(target: RenderTarget) -> bool:
    """An ApplicationSet platecheck did not expand whose template names each Application by
    its parameters (``'{{.app}}-staging'``): the apps it makes, in its environment (in any,
    when its template matches none), are not known. One of a written name (``web-staging``)
    makes that app, and is known by it."""
    application = target.application
    if application is None or application.kind != "ApplicationSet" or target.expanded:
        return False
    template = (application.raw.get("spec") or {}).get("template")
    metadata = template.get("metadata") if isinstance(template, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return not isinstance(name, str) or "{{" in name


def _single_environment(
    repo: RepoModel,
    by_app: Mapping[str, Mapping[str, RenderTarget]],
    declared: Mapping[str, Mapping[str, Any]],
    pairs: Sequence[tuple[str, str]],
    opened: set[str],
) -> Iterator[Finding]:
    """Apps deployed to one environment of a pair and not the other, unless declared; none
    is said missing from an environment where an ApplicationSet platecheck did not expand
    may deploy it (``opened``: that set is reported not rendered)."""
    yield from _without_reason(repo, declared)
    if not opened and not repo.compared_only and repo.applications:
        # (a run of every environment, of Applications: chart mode deploys nothing)
        yield from _undeployed_declarations(repo, by_app, declared)
    # Only environments that are compared can be missing an app; with one of them loaded
    # (e.g. ``--env prod``) nothing can be said.
    paired = {env for pair in pairs for env in pair}
    present = {target.environment for target in repo.targets if target.is_app} & paired
    if len(present) < 2:
        return
    failed = _failed_environments(repo)
    for app, targets in sorted(by_app.items()):
        loaded = sorted(env for env in targets if env in paired)
        if not loaded:
            continue  # deployed only to environments nobody compares (cluster services)
        # an Application that failed to load is deployed all the same: the engine reports it
        deployed = set(targets) | failed.get(app, set())
        envs = sorted(env for env in deployed if env in paired)
        absent = ({b for a, b in pairs if a in deployed and b not in deployed}
                  | {a for a, b in pairs if b in deployed and a not in deployed})
        if absent & opened or all(t.application is None for t in targets.values()):
            # a set platecheck did not expand may deploy it there; a chart linted in chart
            # mode is deployed nowhere (its values files say which environments it renders)
            continue
        missing = sorted(absent & present)
        yield from _deployed_finding(targets[loaded[0]], app, envs, missing, declared.get(app))


def alone_in(repo: RepoModel, env: str, other: str, declared: Mapping[str, Mapping[str, Any]]
             ) -> Iterator[Finding]:
    """Each app deployed to ``env`` when ``other`` holds none at all, unless
    singleEnvironment ``declared`` it so (``platecheck diff``, which names both: the run's
    env-consistency says nothing of an environment that holds nothing, as of one not
    loaded)."""
    targets = [t for t in repo.targets if t.is_app and not _names_by_parameters(t)]
    if any(t.environment == other for t in targets):
        return
    first: dict[str, RenderTarget] = {}
    for target in targets:
        if target.environment == env:
            first.setdefault(target.app, target)
    for app, target in sorted(first.items()):
        yield from _deployed_finding(target, app, [env], [other], declared.get(app))


def _deployed_finding(target: RenderTarget, app: str, envs: Sequence[str],
                      missing: Sequence[str], entry: Mapping[str, Any] | None
                      ) -> Iterator[Finding]:
    """What ``app``, deployed to ``envs`` and not to ``missing``, is against its
    singleEnvironment declaration ``entry`` (None: not declared)."""
    origin = target_origin(target)
    if entry is None:
        if missing:
            yield _target_finding(
                target,
                f"{app} is deployed to {', '.join(envs)} but not to {', '.join(missing)}, "
                "and singleEnvironment does not declare it",
                origin,
                f"deploy {app} to {', '.join(missing)} as well, or declare it in "
                f"env-consistency singleEnvironment: {{{app}: {{environments: "
                f"[{', '.join(envs)}], reason: ...}}}}",
            )
        return
    wanted = sorted(str(env) for env in entry.get("environments") or ())
    if not missing:
        yield _target_finding(
            target,
            f"{app} is declared in singleEnvironment but is deployed to {', '.join(envs)}",
            origin,
            f"remove the singleEnvironment declaration of {app}",
        )
    elif wanted and wanted != list(envs):
        yield _target_finding(
            target,
            f"{app} is deployed to {', '.join(envs)} but singleEnvironment declares "
            f"{', '.join(wanted)}",
            origin,
            f"make the singleEnvironment environments of {app} say where it is deployed",
        )


def _failed_environments(repo: RepoModel) -> dict[str, set[str]]:
    """App -> the environments whose target could not be loaded (``repo.errors``); a target
    that failed while planning is missing from ``repo.targets``."""
    failed: dict[str, set[str]] = {}
    for error in repo.errors:
        if error.environment is None or error.target is None:
            continue
        app = error.target.removeprefix(f"{error.environment}/")
        failed.setdefault(app, set()).add(error.environment)
    return failed


def _declaration_origin(repo: RepoModel, app: str) -> Origin:
    """The line declaring ``app`` in the configuration file, when platecheck read one."""
    config = next(
        (f for f in repo.yaml_files if f.role == "policy" and f.rel.endswith(CONFIG_FILE_NAME)),
        None,
    )
    if config is None:
        return Origin(CONFIG_FILE, None)
    lines = config.raw.decode("utf-8", errors="replace").splitlines()
    start = next((i for i, line in enumerate(lines) if "singleEnvironment" in line), 0)
    key = re.compile(rf"^\s*[\"']?{re.escape(app)}[\"']?\s*:")
    line = next((i + 1 for i in range(start, len(lines)) if key.match(lines[i])), None)
    return Origin(config.rel, line)


def _finding(
    side: RenderedTarget,
    message: str,
    origin: Origin | None,
    resource: str | None,
    remediation: str,
) -> Finding:
    return _target_finding(side.target, message, origin, remediation, resource)


def _target_finding(
    target: RenderTarget, message: str, origin: Origin | None, remediation: str,
    resource: str | None = None,
) -> Finding:
    return Finding(
        policy=ID,
        message=message,
        environment=target.environment,
        target=target.id,
        resource=resource,
        remediation=remediation,
        **at(origin),
    )


def _owner(left: RenderedTarget, right: RenderedTarget, path: KeyPath) -> RenderedTarget:
    """The side whose own values file wrote a key both sides have (production on a tie)."""
    for side, other in ((right, left), (left, right)):
        origin = locate(side, path=path)
        if origin is not None and _is_own_values_file(side, other, origin):
            return side
    return right


def _is_own_values_file(side: RenderedTarget, other: RenderedTarget, origin: Origin) -> bool:
    """Whether ``origin`` is in a values source of ``side`` that ``other`` does not share."""
    own = {f.rel for f in side.target.value_files} | {o.file for _, o in side.target.inline_values}
    shared = {f.rel for f in other.target.value_files}
    return origin.file in own - shared


def _values_line(rendered: RenderedTarget, path: KeyPath) -> Origin | None:
    """The line of ``path`` in the last of a target's value files that writes it."""
    for values_file in reversed(rendered.target.value_files):
        if path in values_file.lines:
            return Origin(values_file.rel, values_file.lines[path])
    return None


def structural_differences(left: Any, right: Any, path: KeyPath = ()
                           ) -> Iterator[tuple[KeyPath, str]]:
    """Where two values differ in structure: a mapping key only one side has ("removed" from
    the left, "added" on the right) and a value whose shape (mapping, list, scalar) differs
    ("<left shape>/<right shape>"). Lists are compared item by item at the indices both
    have; scalars that differ only in value or type are no structural difference. Every
    mapping is compared key by key however few keys the sides share."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        yield from ((path + (key,), "removed") for key in left if key not in right)
        yield from ((path + (key,), "added") for key in right if key not in left)
        for key in left:
            if key in right:
                yield from structural_differences(left[key], right[key], path + (key,))
    elif isinstance(left, list) and isinstance(right, list):
        for index, (one, other) in enumerate(zip(left, right, strict=False)):
            yield from structural_differences(one, other, path + (index,))
    elif _shape(left) != _shape(right):
        yield path, f"{_shape(left)}/{_shape(right)}"


def _shape(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a scalar"


def dotted(path: KeyPath) -> str:
    """``("ingress", "hosts", 0, "host")`` -> ``ingress.hosts[0].host``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed(pattern: re.Pattern[str], path: KeyPath) -> bool:
    return any(pattern.fullmatch(dotted(path[:end])) for end in range(1, len(path) + 1))


def _globs(patterns: Any) -> re.Pattern[str] | None:
    """One regex for a list of globs where ``*`` matches anything and ``?`` one character."""
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise PlatecheckError(f"{ID}: allowed differences must be a list of glob strings")
    if not patterns:
        return None
    parts = [re.escape(p).replace(r"\*", ".*").replace(r"\?", ".") for p in patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts))


def _normalize(ref: str, words: Sequence[str], environment: str) -> str:
    kind, _, name = ref.partition("/")
    drop = {w.replace("{env}", environment).lower() for w in words}
    tokens = re.split(r"([-.])", name)
    kept: list[str] = []
    for token in tokens[::2]:
        if token.lower() not in drop:
            kept.append(token)
    return f"{kind}/{'-'.join(kept)}"


def _same_chart(left: RenderedTarget, right: RenderedTarget) -> bool:
    """Whether two targets render one chart: of one path, or copies of one chart (one name
    and version, each environment's or cluster's directory holding one); or neither a
    chart."""
    one, other = left.target.chart, right.target.chart
    if one is None or other is None:
        return one is other
    return one.rel == other.rel or (one.name, one.version) == (other.name, other.version)


def _production_flags(repo: RepoModel) -> dict[str, bool]:
    flags = {env.name: env.production for env in repo.environments}
    for target in repo.targets:
        # Applications of no environment have nothing to match
        if not target.unclassified and target.is_app:
            flags.setdefault(target.environment, target.production)
    return flags


def counterparts(pairs: Sequence[tuple[str, str]], production: Mapping[str, bool],
                 wanted: Set[str]) -> set[str]:
    """The environments the ``pairs`` option (empty: the default pairs of environments
    whose production flags are ``production``) compares ``wanted`` ones with, not among
    them: a run of ``wanted`` only loads them too (``RepoModel.compared_only``)."""
    return {other for pair in (list(pairs) or _default_pairs(production))
            for env, other in (pair, pair[::-1]) if env in wanted} - set(wanted)


def _checked_pairs(pairs: Sequence[tuple[str, str]], compared_only: Sequence[str]
                   ) -> list[tuple[str, str]]:
    """The pairs a run compares: in a run of some environments, those with one of them
    (two environments loaded only to be compared with those are not compared together)."""
    return [pair for pair in pairs if not set(pair) <= set(compared_only)]


def _default_pairs(production: Mapping[str, bool]) -> list[tuple[str, str]]:
    """Every non-production environment with every production one."""
    staging = [env for env, prod in production.items() if not prod]
    live = [env for env, prod in production.items() if prod]
    return [(s, p) for s in staging for p in live]


def _pairs(option: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(option, list):
        raise PlatecheckError(f"{ID}: option pairs must be a list of [environment, environment]")
    pairs = []
    for index, pair in enumerate(option):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(e, str) for e in pair)
        ):
            raise OptionError(f"{ID}: option pairs: {pair!r} is not [environment, environment]",
                              (index,))
        if pair[0] == pair[1]:  # an environment compared with itself: nothing is compared
            raise OptionError(f"{ID}: option pairs: {pair!r} pairs {pair[0]} with itself; a "
                              "pair names two environments to compare", (index,))
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _declarations(option: Any) -> dict[str, Mapping[str, Any]]:
    if option is None:
        return {}
    if not isinstance(option, Mapping) or not all(
        isinstance(v, Mapping | None) for v in option.values()
    ):
        raise PlatecheckError(
            f"{ID}: option singleEnvironment must map app names to "
            "{environments: [...], reason: ...}"
        )
    return {str(app): (value or {}) for app, value in option.items()}



@dataclass(frozen=True)
class Options:
    # [staging, production] environment pairs; none: every non-production environment with
    # every production one
    pairs: tuple[tuple[str, str], ...] = option((), parse=_pairs, environments=True)
    allowed_differences: re.Pattern[str] | None = option(parse=_globs, written=[])
    allowed_resource_differences: re.Pattern[str] | None = option(parse=_globs, written=[])
    # (the built-in environments' words: docs/configuration.md)
    name_normalization: tuple[str, ...] = ("{env}", "staging", "production", "stage", "prd")
    single_environment: Mapping[str, Mapping[str, Any]] = option(parse=_declarations,
                                                                 factory=dict)


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("allowed-differences", "declaration-of-no-app", "declaration-without-reason",
         "declared-but-deployed-everywhere",
         "key-only-in-staging", "mapping-versus-scalar", "mappings-sharing-few-keys",
         "name-with-an-environment-word-in-one-environment",
         "names-with-environment-words-alike", "rename-is-one-finding",
         "rename-to-alike-names-is-no-finding", "resource-only-in-production",
         "single-environment", "single-environment-declared")
