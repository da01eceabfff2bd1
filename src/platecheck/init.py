"""``platecheck init``: a starting ``policies/platecheck.yaml`` from what the repository holds.

The Applications are discovered as ``lint`` discovers them, and those the repository's
sources generate (a chart of Applications) rendered as ``lint`` renders them; each one's
environment is read from, in this order, an environment-like label (``environment``, ``env``,
``stage``...), its name's suffix or prefix (``web-production``, ``prod-web``) and its
destination namespace, against a vocabulary of environment words. The proposed
configuration is then loaded the way ``lint`` loads it, and every Application is classified
with it, so what ``init`` shows is what ``lint`` will do.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platecheck.appset import TEMPLATE_ACTION
from platecheck.boundedread import read_regular_file
from platecheck.config import (
    CONFIG_FILE,
    UNCLASSIFIED,
    Config,
    EnvironmentConfig,
    MatchRules,
)
from platecheck.discover import MANIFEST_SUFFIXES, Discovery, discover, find_root, top_level_charts
from platecheck.errors import PlatecheckError
from platecheck.globs import matches, matches_any, under_any
from platecheck.model import Application, Checkout
from platecheck.plan import Planner, environment_files
from platecheck.planning import inherit_environments
from platecheck.policies import configuration
from platecheck.repourl import (
    checkout,
    git_repo_urls,
    identity,
    named_revisions,
    remote_urls,
    this_repository,
)
from platecheck.walk import walk
from platecheck.yamlio import load_documents

# word in names, labels and namespaces -> (environment name, production)
_WORDS: dict[str, tuple[str, bool]] = {
    "production": ("prod", True), "prod": ("prod", True), "prd": ("prod", True),
    "live": ("prod", True),
    "staging": ("stg", False), "stg": ("stg", False), "stage": ("stg", False),
    "stag": ("stg", False),
    "preprod": ("preprod", False), "pre-prod": ("preprod", False),
    "uat": ("uat", False), "qa": ("qa", False), "test": ("test", False),
    "testing": ("test", False), "sit": ("sit", False),
    "perf": ("perf", False), "performance": ("perf", False),
    "development": ("dev", False), "dev": ("dev", False), "devel": ("dev", False),
    "sandbox": ("sandbox", False), "nonprod": ("nonprod", False), "non-prod": ("nonprod", False),
}
# words an environment label's value says that a name does not (``pre-commit``): Spanish
# teams' dev, pre, pro
_LABEL_WORDS: dict[str, tuple[str, bool]] = {"pro": ("prod", True), "pre": ("preprod", False)}
_ORDER = ("prod", "preprod", "stg", "uat", "qa", "sit", "perf", "test", "dev", "sandbox",
          "nonprod")
_BEFORE_PRODUCTION = ("preprod", "stg", "uat")
_ENV_LABEL = re.compile(r"(^|[./_-])(env|environment|stage|tier)$", re.IGNORECASE)


@dataclass
class _Proposal:
    """What the repository says about one environment."""

    name: str
    production: bool
    labels: dict[str, set[str]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # name globs, e.g. "*-production"
    namespaces: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)  # directories, e.g. "clusters/prod"
    rank: int = 0  # below 0: moved ahead of the environments whose rules caught its Applications


@dataclass(frozen=True)
class Classified:
    """One Application and what the proposed configuration makes of it."""

    application: Application
    environment: str | None  # None: no environment matches
    target: str | None  # "<env>/<app>", the target id lint uses


@dataclass(frozen=True)
class InitResult:
    root: Path
    text: str  # the proposed platecheck.yaml
    classified: tuple[Classified, ...]
    unrendered: str | None = None  # why the sources were not rendered, when they were not
    unread: tuple[PlatecheckError, ...] = ()  # files left out: they could not be read
    # a source that may generate Applications and could not be rendered, when the others
    # were: which, and why
    failed: str | None = None
    # the targetRevisions of this repository's sources that are not this checkout (lint
    # reports those sources not rendered unless argocd-application's revisions names them)
    other_revisions: tuple[str, ...] = ()


def _word(text: str) -> tuple[str, bool] | None:
    return _WORDS.get(text.lower())


def _label_key(apps: Sequence[Application]) -> str | None:
    """The label that names environments: an environment-like key whose values are
    environment words, on the most Applications."""
    counts: Counter[str] = Counter()
    for app in apps:
        for key, value in app.labels.items():
            if _ENV_LABEL.search(key) and (_word(value) or _LABEL_WORDS.get(value.lower())):
                counts[key] += 1
    return counts.most_common(1)[0][0] if counts else None


def _affix(text: str, words: Mapping[str, tuple[str, bool]] = _WORDS,
           middle: str | None = None) -> tuple[str, tuple[str, bool]] | None:
    """The name glob and environment of ``web-production`` or ``prod-web`` (also ``_``), of
    ``words`` (lower case); with ``middle`` (an environment another rule already gives the
    Application), also ``db-prod-infra``'s ``*-prod-*`` when the word is that
    environment's."""
    for sep in ("-", "_"):
        parts = text.split(sep)
        # a word of two (``web-pre-prod``: ``*-pre-prod``, not ``*-prod``)
        if len(parts) > 2 and (pair := f"{parts[-2]}-{parts[-1]}".lower()) in words:
            return f"*{sep}{parts[-2]}{sep}{parts[-1]}", words[pair]
        if len(parts) > 2 and (pair := f"{parts[0]}-{parts[1]}".lower()) in words:
            return f"{parts[0]}{sep}{parts[1]}{sep}*", words[pair]
        head, _, tail = text.rpartition(sep)
        if head and tail.lower() in words:
            return f"*{sep}{tail}", words[tail.lower()]
        first, _, rest = text.partition(sep)
        if rest and first.lower() in words:
            return f"{first}{sep}*", words[first.lower()]
    for sep in ("-", "_") if middle is not None else ():
        inner = [part for part in text.split(sep)[1:-1]
                 if part.lower() in words and words[part.lower()][0] == middle]
        if len(inner) == 1:
            return f"*{sep}{inner[0]}{sep}*", words[inner[0].lower()]
    return None


_ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")


def _label_env(value: str) -> tuple[str, bool] | None:
    """An environment label's value: a known word (``_LABEL_WORDS`` too), else an
    environment of that name (``environment: platform``)."""
    return _word(value) or _LABEL_WORDS.get(value.lower()) or (
        (value, False) if _ENV_NAME.fullmatch(value) else None)


def _propose(apps: Sequence[Application]) -> tuple[dict[str, _Proposal], dict[int, str]]:
    """The environments the Applications suggest, and each Application's own environment
    (by index): its label, else its name, else its namespace says it, else the directory
    of its file (``clusters/prod/root.yaml``: ``paths: [clusters/prod]``)."""
    proposals: dict[str, _Proposal] = {}
    intended: dict[int, str] = {}

    def env(index: int, found: tuple[str, bool]) -> _Proposal:
        name, production = found
        intended.setdefault(index, name)
        return proposals.setdefault(name, _Proposal(name, production))

    key = _label_key(apps)
    for index, app in enumerate(apps):
        value = app.labels.get(key) if key else None
        found = _label_env(value) if value else None
        # the label's own word where it is no known one (``environment: impl``, web-impl)
        words = {**_WORDS, value.lower(): found} if value and found else _WORDS
        if value is not None and found is not None:
            env(index, found).labels.setdefault(str(key), set()).add(value)
        namespace = app.destination_namespace or ""
        whole = words.get(namespace.lower())
        spaced = _affix(namespace, words) if namespace and whole is None else None
        # a word inside the name only where the label or namespace says that environment
        said = found or whole or (spaced[1] if spaced else None)
        # (the whole name a word: ``{{path.basename}}`` of overlays/production)
        named = (app.name, words[app.name.lower()]) if app.name.lower() in words \
            else _affix(app.name, words, said[0] if said else None)
        placed = whole or (spaced[1] if spaced else None)  # (by the namespace)
        if named is not None and _prefix(named[0]) and placed and placed != named[1]:
            named = None  # (``dev-portal`` in ``portal-live``: a product, in production)
        if named is not None:
            env(index, named[1]).names.add(named[0])
        if whole is not None:
            env(index, whole).namespaces.add(namespace)
        elif spaced is not None:
            env(index, spaced[1]).namespaces.add(spaced[0])
        directory = _directory_env(app.file) if not (found or named or whole or spaced) \
            else None
        if directory is not None:
            env(index, directory[1]).paths.add(directory[0])
    return proposals, intended


def _prefix(glob: str) -> bool:
    """Whether a name glob of ``_affix`` is a prefix's (``dev-*``): a word a name starts
    with is often a product's (a developer portal, a test runner), which a namespace that
    says another environment outweighs."""
    return glob.endswith("*") and not glob.startswith("*")


def _directory_env(file: str) -> tuple[str, tuple[str, bool]] | None:
    """The directory of ``file`` named with a word of environments (its first), alone or
    with an affix, and that environment: ``clusters/prod/root.yaml`` -> ``clusters/prod``,
    prod; ``clusters/staging-eu/root.yaml`` -> ``clusters/staging-eu``, stg; else the file
    itself, its name saying it (``app-set-prod.yaml``, one set per cluster)."""
    parts = file.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    for depth, part in enumerate([*parts[:-1], stem], 1):
        affixed = _affix(part)
        found = _WORDS.get(part.lower()) or (affixed[1] if affixed else None)
        if found is not None:
            return "/".join(parts[:depth]), found
    return None


def _ordered(proposals: dict[str, _Proposal]) -> list[_Proposal]:
    return sorted(proposals.values(),
                  key=lambda p: (p.rank, not p.production, _ORDER.index(p.name)
                                 if p.name in _ORDER else len(_ORDER), p.name))


def _rules(proposal: _Proposal) -> EnvironmentConfig:
    return EnvironmentConfig(proposal.name, proposal.production, MatchRules(
        labels={k: tuple(v) for k, v in proposal.labels.items()},
        namespaces=tuple(sorted(proposal.namespaces)), names=tuple(sorted(proposal.names)),
        paths=tuple(sorted(proposal.paths))))


def _misplaced(proposals: dict[str, _Proposal], apps: Sequence[Application],
               intended: dict[int, str]) -> list[tuple[int, str]]:
    """The Applications the rules put in another environment than their own, by index, with
    the environment that takes each."""
    environments = [_rules(p) for p in _ordered(proposals)]
    wrong = []
    for index, app in enumerate(apps):
        wanted = intended.get(index)
        match = next((e for e in environments
                      if e.matches_app(app)), None)
        if wanted is not None and match is not None and match.name != wanted:
            wrong.append((index, match.name))
    return wrong


def _settle(proposals: dict[str, _Proposal], apps: Sequence[Application],
            intended: dict[int, str]) -> None:
    """Resolve the rules that put an Application in another environment than its own (a ``*-prod``
    namespace rule would catch ``lost-stg`` deployed to ``lost-prod``): first by putting its own
    environment ahead of the one that took it, when that one is some Application's own and the
    move places more Applications right; else by dropping the weakest rule that took it,
    namespace then name then label (a dropped name rule no longer strips the environment from
    app names)."""
    for _ in range(len(apps) * 3 + 1):
        misplaced = _misplaced(proposals, apps, intended)
        if not misplaced:
            return
        index, taken = misplaced[0]
        app, wrong, own = apps[index], proposals[taken], proposals[intended[index]]
        kept = own.rank
        own.rank = min(own.rank, wrong.rank - 1)
        # an environment no Application is in (its rules come from another's namespace)
        # is not kept by moving the others ahead of it
        if taken in intended.values() \
                and len(_misplaced(proposals, apps, intended)) < len(misplaced):
            continue
        own.rank = kept
        namespace = app.destination_namespace or ""
        hits = [g for g in wrong.namespaces if matches(namespace, g)]
        if hits:
            wrong.namespaces.difference_update(hits)
        elif matches_any(app.name, wrong.names):
            wrong.names.difference_update(g for g in list(wrong.names) if matches(app.name, g))
        elif under_any(app.file, wrong.paths):
            wrong.paths.difference_update(g for g in list(wrong.paths)
                                          if under_any(app.file, [g]))
        else:
            for values in wrong.labels.values():
                values.difference_update(set(app.labels.values()))


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in sorted(items)) + "]"


_HEADER = """\
# platecheck configuration (see docs/configuration.md), proposed by `platecheck init` from the
# {source} in this repository. Review it: the environments decide which rules apply where.
kubernetesVersion: "1.31.0"   # the cluster's Kubernetes version: schemas are checked against it

environments:            # order matters: the first environment that matches wins
"""

_POLICIES = """\
policies:
  # Every policy runs at level error unless set here (error, warning, info or off), also per
  # environment, e.g. pull-policy: {{level: {{prod: error, {other}: warning}}}}.
  image-tag-pinned:
    level: error
{pairs}{namespaces}
  resource-ranges:
    # Every container must set cpu and memory requests and limits. Ranges are examples
    # (the plate platform's): uncomment and set your own.
    # options:
    #   cpu: {{requestMin: 50m, requestMax: "1", limitMin: 100m, limitMax: "2"}}
    #   memory: {{requestMin: 64Mi, requestMax: 2Gi, limitMin: 128Mi, limitMax: 4Gi}}
    # environments:
    #   {prod}: {{options: {{memory: {{limitMax: 8Gi}}}}}}

  ingress-tls:
    # The cert-manager issuers this repository defines, and those production may use:
    # options:
    #   issuers: [letsencrypt-staging, letsencrypt-prod]
    #   productionIssuers: [letsencrypt-prod]

  # unknown-kind:
  #   options:
  #     allowKinds: ["monitoring.coreos.com/*/ServiceMonitor"]   # kinds without a schema
"""


def render_config(proposals: dict[str, _Proposal], source: str = "Applications",
                  namespaces: Mapping[str, Sequence[str]] | None = None,
                  instances: Mapping[str, Sequence[str]] | None = None) -> str:
    order = _ordered(proposals)
    lines = [_HEADER.format(source=source).rstrip("\n")]
    for proposal in order:
        lines.append(f"  {proposal.name}:")
        if proposal.production:
            lines.append("    production: true")
        if not (proposal.labels or proposal.namespaces or proposal.names or proposal.paths):
            lines.append("    match: {}   # its charts' values files are named after it")
            continue
        lines.append("    match:")
        if proposal.labels:
            labels = ", ".join(f"{key}: {_flow(values)}"
                               for key, values in sorted(proposal.labels.items()))
            lines.append(f"      labels: {{{labels}}}")
        if proposal.namespaces:
            lines.append(f"      namespaces: {_flow(proposal.namespaces)}")
        if proposal.names:
            lines.append(f"      names: {_flow(proposal.names)}")
        if proposal.paths:
            lines.append(f"      paths: {_flow(proposal.paths)}")
    production = [p.name for p in order if p.production]
    others = [p.name for p in order if not p.production]
    # the environments that stand in for production before a release
    before = [name for name in others if name in _BEFORE_PRODUCTION]
    prod = production[0] if production else "prod"
    other = others[0] if others else "stg"
    pairs = ""
    if production and before:
        pairs = ("\n  env-consistency:\n    # these environments must not drift apart "
                 "(values keys, rendered resources, chart)\n    options:\n"
                 f"      pairs: [{', '.join(f'[{o}, {prod}]' for o in before)}]\n")
    lines.append("")
    lines.append(_POLICIES.format(pairs=pairs, namespaces=_argocd_options(namespaces or {},
                                                                          instances or {}),
                                  prod=prod, other=other).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _argocd_options(namespaces: Mapping[str, Sequence[str]],
                    instances: Mapping[str, Sequence[str]]) -> str:
    """argocd-application's options of the proposal: the namespaces each environment's
    Applications deploy to, and the Argo CD instance of each cluster's directory."""
    allowed = "".join(f"        {env}: {_flow(found)}\n"
                      for env, found in sorted(namespaces.items()))
    if allowed:
        allowed = ("      # the destination namespaces each environment's Applications deploy "
                   "to, as init found\n      # them (by default an environment's are those "
                   "its match rules name, else *-<env>\n      # and <env>)\n"
                   "      namespaces:\n" + allowed)
    own = "".join(f"        {env}: {_flow(globs)}\n" for env, globs in sorted(instances.items()))
    if own:
        own = ("      # each directory is a cluster of its own Argo CD: Applications of one "
               "name there are\n      # two, no conflict\n      instances:\n" + own)
    return f"\n  argocd-application:\n    options:\n{allowed}{own}" if allowed or own else ""


def _instances(proposals: Mapping[str, _Proposal], apps: Sequence[Application]
               ) -> dict[str, list[str]]:
    """The Argo CD instances of the directories the proposal classifies by, when one name is
    an Application's in two of them (each cluster's root called ``root``): each directory
    is a cluster of its own Argo CD (one Argo CD holds no two Applications of one name in
    one namespace), named by its last name."""
    directories = sorted({*(path for p in proposals.values() for path in p.paths),
                          *_sibling_copies(apps)})
    seen: dict[tuple[str, str | None], set[str]] = {}
    for app in apps:
        directory = next((path for path in directories if under_any(app.file, [path])), None)
        if directory is not None:
            seen.setdefault((app.name, app.namespace), set()).add(directory)
    if not any(len(found) > 1 for found in seen.values()):
        return {}
    # (an instance of each directory, named by its last name: prod-eu and prod-us are two)
    # (a file's instance is named by its name without the suffix: app-set-prod)
    files = {path for path in directories if path.endswith(MANIFEST_SUFFIXES)}
    names = [path.rsplit("/", 1)[-1].rsplit(".", 1)[0] if path in files
             else path.rsplit("/", 1)[-1] for path in directories]
    return {name if names.count(name) == 1 else path.replace("/", "-"):
            [path if path in files else f"{path}/**"]
            for name, path in zip(names, directories, strict=True)}


def _sibling_copies(apps: Sequence[Application]) -> set[str]:
    """The directories two Application names at least (each in one namespace) are written in
    alike, files whose paths differ in one directory's name alone
    (``clusters/alpha/argocd/web.yaml``, ``clusters/beta/argocd/web.yaml``, and ``root.yaml``
    beside them: ``clusters/alpha`` and ``clusters/beta``), in a directory of clusters
    (``_CLUSTERS``): copies of one layout, each a cluster's (one name copied is a name used
    twice, not a layout; nor are a directory and its variant, ``seaweedfs`` and
    ``seaweedfs_with_tolerations``, and elsewhere two directories of one name's copies are
    an app's variants). None of them nested in another (first match wins: an instance
    inside another would name nothing)."""
    files: dict[tuple[str, str | None], set[str]] = {}
    for app in apps:
        files.setdefault((app.name, app.namespace), set()).add(app.file)
    shared: dict[tuple[str, str], set[tuple[str, str | None]]] = {}
    for key, same in files.items():
        for one, other in itertools.combinations(sorted(same), 2):
            a, b = one.split("/"), other.split("/")
            if len(a) != len(b):
                continue
            apart = [index for index, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
            if len(apart) == 1 and apart[0] < len(a) - 1 \
                    and _CLUSTERS.search(a[apart[0] - 1] if apart[0] else "") \
                    and not _variants(a[apart[0]], b[apart[0]]):
                pair = tuple("/".join(parts[:apart[0] + 1]) for parts in (a, b))
                shared.setdefault((pair[0], pair[1]), set()).add(key)
    found = {directory for pair, names in shared.items() if len(names) > 1
             for directory in pair}
    return {d for d in found
            if not any(o != d and (under_any(o, [d]) or under_any(d, [o])) for o in found)}


# a directory of clusters' directories: clusters/, k8s-clusters/, environments/, regions/
_CLUSTERS = re.compile(r"cluster|^(envs|environments|regions|sites|fleets?)$", re.IGNORECASE)


def _variants(one: str, other: str) -> bool:
    """Whether two directory names are one's variant (``seaweedfs`` and
    ``seaweedfs_with_tolerations``): alternatives of one app, not two clusters."""
    return one.startswith(other) or other.startswith(one)


def propose(path: Path, **options: Any) -> InitResult:
    """The proposed configuration for the repository holding ``path``, and what it makes of
    each Application (the configuration is loaded as lint loads it). ``options``: the
    engine's ``load`` options the sources are rendered with (``helm``, ``cache_dir``,
    ``jobs``)."""
    root = find_root(path)
    found = discover(root, [path.resolve()])
    here, revisions, own = _checkout(root, found)
    parents = _app_of_apps(found, here, own)
    apps = [a for a in [*found.applications, *found.application_sets]
            if (a.file, a.line) not in parents]
    rendered, kept, expanded, unrendered, failed = _generated(path, options) if (
        found.applications or found.application_sets
        or top_level_charts([path.resolve()], root)) else ([], None, set(), None, None)
    # a written Application that rendered ones replace (a Kustomize base the overlays
    # rename) is none Argo CD deploys; an ApplicationSet platecheck expanded is the
    # app-of-apps of the Applications it makes, which are classified instead
    apps = [a for a in apps if kept is None or (a.file, a.line) in kept
            or a.kind == "ApplicationSet" and (a.file, a.line) not in expanded] + rendered
    if not apps and found.errors:
        raise found.errors[0]  # nothing read: what stopped it is the answer
    charts = _chart_environments(top_level_charts([path.resolve()], root)) if not apps \
        and not found.unparsed else {}
    if not apps and not charts:
        because = f" (the sources were not rendered: {unrendered})" if unrendered else ""
        raise PlatecheckError("no Argo CD Application found, and no chart with values files "
                              f"of environments; nothing to propose environments from{because}",
                              str(path))
    # (an app-of-apps its children inherit from proposes by its name and labels too:
    # ``apps-uat`` is the only one to name uat)
    basis = [*apps, *(a for a in found.app_of_apps if (a.file, a.line) in parents)]
    proposals, intended = _propose(basis) if apps else (charts, {})
    _settle(proposals, basis, intended)
    # an environment whose every rule put an Application elsewhere would match nothing
    proposals = {name: p for name, p in proposals.items()
                 if not apps or p.labels or p.namespaces or p.names or p.paths}
    if not proposals:  # nothing to read environments from: the usual two, to edit
        proposals = _usual()
    source = "Applications" if apps else "charts' values files"
    instances = _instances(proposals, [*found.applications, *found.application_sets, *apps])
    build_line = _argocd_lines(root)
    text = _with_line(render_config(proposals, source, instances=instances), build_line)
    config = _loaded(root, text)
    outside = _outside(config, _inheriting(config, found, apps))
    if outside:  # namespaces the environments' rules do not allow: allowed by name
        text = _with_line(render_config(proposals, source, outside, instances), build_line)
        config = _loaded(root, text)
    return InitResult(root, text, tuple(_classify(config, app)
                                        for app in _inheriting(config, found, apps)),
                      unrendered, tuple(found.errors), failed, tuple(revisions))


_BUILD_OPTIONS_KEY = "kustomize.buildOptions"
_GLOBBING_KEY = "applicationsetcontroller.enable.new.git.file.globbing"
_GLOBBING_FLAG = "--enable-new-git-file-globbing"
_SETTING_WORDS = (_BUILD_OPTIONS_KEY.encode(), _GLOBBING_KEY.encode(), _GLOBBING_FLAG.encode())
_MAX_SCANNED = 1 << 20  # bytes of a YAML file looked through for argocd-cm's build options


def _argocd_lines(root: Path) -> str | None:
    """The configuration lines of the Argo CD settings the repository writes that change
    what platecheck renders: argocd-cm's ``kustomize.buildOptions`` (``_build_options_line``)
    and the ApplicationSet controller's new git file globbing (``newGitFileGlobbing``)."""
    found = _argocd_settings(root)
    lines = [line for line in (_build_options_line(root, found.get("build")),
                               _globbing_line(found.get("globbing"))) if line]
    return "\n".join(lines) or None


def _build_options_line(root: Path, found: tuple[Any, str] | None) -> str | None:
    """argocd-cm's ``kustomize.buildOptions`` the repository writes (``found``: with its
    file) as ``kustomizeBuildOptions``, which Argo CD builds every Kustomize source with;
    commented out, with why, when platecheck does not follow one of its options."""
    if found is None:
        return None
    value, rel = found
    line = f"kustomizeBuildOptions: {json.dumps(value)}   # argocd-cm's kustomize.buildOptions " \
        f"({rel})"
    try:
        _loaded(root, f"{line}\n")
    except PlatecheckError:
        line = (f"# {line}; it holds an option platecheck does not follow (plugins, exec "
                "functions, the network): keep those platecheck follows")
    return line


def _globbing_line(found: tuple[Any, str] | None) -> str | None:
    """``newGitFileGlobbing: true`` when the repository's Argo CD turns the ApplicationSet
    controller's new git file globbing on (``found``: with its file)."""
    if found is None or not found[0]:
        return None
    return (f"newGitFileGlobbing: true   # {_GLOBBING_KEY} ({found[1]}): git files "
            "generators' paths are globs")


def _with_line(text: str, line: str | None) -> str:
    """The configuration ``text`` with ``line`` before its environments."""
    if line is None:
        return text
    head, marker, rest = text.partition("\nenvironments:")
    return f"{head}\n{line}\n{marker}{rest}" if marker else f"{text}{line}\n"


def _argocd_settings(root: Path) -> dict[str, tuple[Any, str]]:
    """The first ``kustomize.buildOptions`` (``build``) and new git file globbing setting
    (``globbing``) of the repository's YAML files (by path), each with its file."""
    found: dict[str, tuple[Any, str]] = {}
    for current, dirs, names in walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(current) / name
            raw = read_regular_file(path, _MAX_SCANNED)
            if raw is None or not any(word in raw for word in _SETTING_WORDS):
                continue
            rel = path.relative_to(root).as_posix()
            try:
                documents = load_documents(raw.decode("utf-8", "replace"), rel)
            except PlatecheckError:
                continue
            for data in (d.data for d in documents if isinstance(d.data, dict)):
                value, globbing = _options_in(data), _globbing_in(data)
                if isinstance(value, str) and value.strip():
                    found.setdefault("build", (" ".join(value.split()), rel))
                if globbing is not None:
                    found.setdefault("globbing", (globbing, rel))
    return found


def _options_in(data: Mapping[str, Any]) -> Any:
    """``kustomize.buildOptions`` of an ``argocd-cm`` ConfigMap, or of ``configs.cm``."""
    return _setting(data, "argocd-cm", "cm", _BUILD_OPTIONS_KEY)


def _setting(data: Mapping[str, Any], config_map: str, values_key: str, key: str) -> Any:
    """``key`` of the ConfigMap ``config_map``'s data, or of the argo-cd chart's values
    ``configs.<values_key>``."""
    metadata, configs = data.get("metadata"), data.get("configs")
    if data.get("kind") == "ConfigMap" and isinstance(metadata, dict) \
            and metadata.get("name") == config_map and isinstance(data.get("data"), dict):
        return data["data"].get(key)
    if isinstance(configs, dict) and isinstance(configs.get(values_key), dict):
        return configs[values_key].get(key)
    return None


def _globbing_in(data: Mapping[str, Any]) -> bool | None:
    """Whether the ApplicationSet controller's new git file globbing is on: the key of
    ``argocd-cmd-params-cm`` (or the argo-cd chart's ``configs.params``), or the flag among
    its arguments (the Argo CD operator's ``spec.applicationSet.extraCommandArgs``, the
    chart's ``applicationSet.extraArgs``); None when ``data`` says nothing of it."""
    value = _setting(data, "argocd-cmd-params-cm", "params", _GLOBBING_KEY)
    if value is not None:
        return str(value).strip().lower() == "true"
    spec = data.get("spec") if data.get("kind") == "ArgoCD" else data
    controller = spec.get("applicationSet") if isinstance(spec, dict) else None
    args = [controller.get(key) for key in ("extraCommandArgs", "extraArgs")] \
        if isinstance(controller, dict) else []
    return True if any(isinstance(a, list) and _GLOBBING_FLAG in a for a in args) else None


def _inheriting(config: Config, found: Discovery, apps: Sequence[Application]
                ) -> list[Application]:
    """``apps`` in the environments they inherit under ``config``, as lint puts them
    (``planning.inherit_environments``): a written child of its app-of-apps' directory or
    of a list's set, and one a render generated, of the written parent that rendered it."""
    planner = Planner(config, found)
    inherit_environments(planner, found)
    by_place = {(a.file, a.line): a for a in (*found.applications, *found.application_sets,
                                              *found.expanded_sets)}
    out = []
    for app in apps:
        if app.deployed_by is None:
            app = by_place.get((app.file, app.line), app)
        elif app.made_by in by_place:
            app = planner.inheriting(dataclasses.replace(app, inherited_environment=None),
                                     by_place[app.made_by])
        out.append(app)
    return out


def _checkout(root: Path, found: Discovery) -> tuple[Checkout, list[str], tuple[str, ...]]:
    """Which revisions of this repository are this checkout, as lint infers them with no
    configuration (``repourl.apps_checkout``), those the Applications' sources of this
    repository name that are not, in order, and the repoURLs that are this repository
    (``repourl.identity``)."""
    apps = [*found.applications, *found.application_sets]
    own = identity(remote_urls(root), git_repo_urls(apps))
    named = named_revisions(apps, (), own)
    here = checkout(root, named)
    others = [(revision or "").strip() for revision in named if not here.holds(revision)]
    return here, list(dict.fromkeys(others)), own


def _app_of_apps(found: Discovery, here: Checkout, own: tuple[str, ...]
                 ) -> set[tuple[str, int]]:
    """The app-of-apps (file and line) discovery found whose directory source, or one of
    them, is this checkout's (a source of another repository, or at another revision,
    deploys that one's files, not the Applications of this checkout's directory: it is an
    Application to classify)."""
    by_place = {(a.file, a.line): a for a in found.app_of_apps}
    return {link.parent for link in found.children if link.parent in by_place
            and link.source < len(by_place[link.parent].sources)
            and this_repository((source := by_place[link.parent].sources[link.source]
                                 ).repo_url, (), own)
            and here.holds(source.target_revision)}


def _loaded(root: Path, text: str) -> Config:
    """The configuration ``text`` loaded exactly as lint loads one."""
    with tempfile.TemporaryDirectory(prefix="platecheck-init-") as scratch:
        (Path(scratch) / CONFIG_FILE).write_text(text, encoding="utf-8")
        return configuration(root, Path(scratch))


def _outside(config: Config, apps: Sequence[Application]) -> dict[str, list[str]]:
    """For each environment one of whose Applications deploys to a namespace that
    argocd-application's default rule for it does not allow (its match rules' namespaces,
    else ``*-<env>`` and ``<env>``), those namespaces and the rule's own. Not of the
    Applications of no configured environment, whose namespaces that rule never checks."""
    found: dict[str, set[str]] = {}
    by_directory: dict[str, set[str]] = {}
    for app in apps:
        env = config.match_environment(app)
        namespace = app.destination_namespace
        if env is None or not namespace or TEMPLATE_ACTION.search(namespace) \
                or app.inherited_environment is not None or (
                env.name == UNCLASSIFIED and config.environment(UNCLASSIFIED) is None):
            continue
        if not env.match.namespaces and under_any(app.file, env.match.paths):
            # its directory said its environment: lint guesses no namespace for it, but
            # holds it to those listed for its environment, when some are
            by_directory.setdefault(env.name, set()).add(namespace)
            continue
        rule = list(env.match.namespaces) or [f"*-{env.name}", env.name]
        if not matches_any(namespace, rule):
            found.setdefault(env.name, set(rule)).add(namespace)
    return {env: sorted(namespaces | by_directory.get(env, set()))
            for env, namespaces in found.items()}


def _chart_environments(charts: Sequence[Path]) -> dict[str, _Proposal]:
    """For a repository of charts without Applications (chart mode): the environments the
    charts' ``values-<name>.yaml`` (or ``<name>-values.yaml``) files name with a word of
    environments, a file of another spelling matched by a name glob (``values-prd.yaml``:
    ``prod``, names ``*-prd``), as chart mode chooses each environment's file."""
    proposals: dict[str, _Proposal] = {}
    for chart in charts:
        for name, _ in environment_files(chart):
            found = _word(name)  # a word of environments: values-common.yaml is none
            if found is None:
                continue
            proposal = proposals.setdefault(found[0], _Proposal(*found))
            if name != proposal.name:
                proposal.names.add(f"*-{name}")
    return proposals


def _generated(path: Path, options: Mapping[str, Any]
               ) -> tuple[list[Application], set[tuple[str, int]] | None,
                          set[tuple[str, int]], str | None, str | None]:
    """The Applications the repository's sources generate (a chart of Applications), as
    lint renders them, but those that generate others in turn; the written ones lint keeps
    and the ApplicationSets platecheck expanded (app-of-apps of their generators, whose
    Applications are among the generated), by file and line; why the sources could not be
    rendered (no helm, say), and which that may generate Applications could not be and why
    (a template that fails), None when they were."""
    from platecheck.engine import load  # only init's rendering needs the engine
    from platecheck.generated import as_written
    from platecheck.generation import may_generate

    try:
        model = load(path, **options)
    except PlatecheckError as exc:
        return [], None, set(), exc.message, None
    parents = {parent for parent, _ in model.generated_links}
    built = {r.id for r in model.rendered}
    generating = {t.id for t in model.targets if may_generate(t, model.root)}
    failed = [e for e in model.errors if e.target in generating - built]
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    # (a render of a written file as it is, a Kustomize app-of-apps', is that Application)
    written = {as_written(a) for a in model.applications}
    return ([a for a in model.generated
             if (a.file, a.line) not in parents and as_written(a) not in written],
            {(a.file, a.line) for a in model.applications},
            {(t.application.file, t.application.line) for t in model.targets
             if t.expanded and t.application is not None}, None,
            f"{failed[0].target}: {failed[0].location}: {failed[0].message.splitlines()[0]}"
            f"{more}" if failed else None)


def _usual() -> dict[str, _Proposal]:
    """Production and staging matched as the built-in configuration matches them (an
    ``environment`` label, a name or namespace prefix or suffix), for a repository whose
    Applications name no environment: a configuration that loads, whose Applications are
    then reported as matching none until it is edited."""
    prod = {"*-prod", "*-production", "*-prd", "prod-*", "production-*", "prd-*"}
    stg = {"*-stg", "*-staging", "*-stage", "stg-*", "staging-*", "stage-*"}
    return {"prod": _Proposal("prod", True, {"environment": {"production", "prod", "prd"}},
                              set(prod), set(prod)),
            "stg": _Proposal("stg", False, {"environment": {"staging", "stg", "stage"}},
                             set(stg), set(stg))}


def _classify(config: Config, app: Application) -> Classified:
    env = config.match_environment(app)
    if env is None or (env.name == UNCLASSIFIED and config.environment(UNCLASSIFIED) is None):
        # lint would check it as unclassified; init's job is to give it an environment
        return Classified(app, None, None)
    # (an ApplicationSet platecheck does not expand is a target known by its own name)
    name = app.name if app.kind == "ApplicationSet" else env.app_of(app)
    return Classified(app, env.name, f"{env.name}/{name}")


def summary(result: InitResult) -> list[str]:
    """One line per Application: where it is declared and what it is classified as."""
    width = max((len(f"{c.application.file}:{c.application.line}") for c in result.classified),
                default=0)
    lines = []
    for item in result.classified:
        where = f"{item.application.file}:{item.application.line}"
        what = item.target if item.target else "not classified: no environment matches"
        lines.append(f"{where:<{width}}  {item.application.name} -> {what}")
    return lines
