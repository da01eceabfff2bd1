"""Sources that platecheck cannot render are reported, never silently skipped.

What:
    Every target whose source platecheck does not render: a chart from a Helm or OCI repository
    (``chart:`` with a Helm repository ``repoURL``), an OCI artifact (an ``oci://`` URL, whose
    ``path`` is a directory inside the artifact, not this repository), a config management
    plugin (``plugin:``), or an ApplicationSet platecheck does not expand. It expands one whose
    generators are plain ``list`` or ``git`` generators of this repository, one or several, or a
    ``matrix`` of two, without ``goTemplate`` or with a Go template it executes exactly
    (text/template with the sprig functions docs/sources.md lists; ``goTemplateOptions`` none or
    ``missingkey`` options), its ``templatePatch`` applied as Argo CD applies it (a strategic
    merge patch; not one of JSON text, of a ``$`` directive or of a field the Application's type
    has not): each Application it makes is checked. One finding per target, at the line of the
    source in the Application file; an ApplicationSet's names what platecheck does not expand in
    how the set is written (``a clusters generator``, ``a generator's selector``, a Go
    template's function it does not execute), when that is why, and is at the first generator of
    that kind (in a matrix or merge generator too) when that is what it names, or at its git
    generator when that is of another repository or finds nothing to make Applications of (which
    it says).

    A Git source of another repository is not rendered either: argocd-application's
    ``repoUrls`` say which repoURLs are this repository, else this checkout's Git remotes
    do when an Application names one (or a repository of its name, or only other
    repositories of its host: then every source is another repository's), else every Git
    source is this repository.

    A source of this repository at a ``targetRevision`` that is not this checkout (a branch
    of rendered manifests, an environment branch, a tag: argocd-application's ``revisions``,
    else docs/engine.md) is not rendered either: Argo CD deploys that revision's files. Nor is
    an ApplicationSet whose git generator reads this repository at such a ``revision``.

    Every other source of this repository is rendered, by the type Argo CD gives it (an explicit
    ``helm``, ``kustomize``, ``directory`` or ``plugin`` key, else ``Chart.yaml`` or a
    kustomization in the path, else a directory): a Helm chart with ``helm template``, a
    Kustomize source with ``kubectl kustomize``, a directory's manifests as written and its
    ``.jsonnet`` files evaluated (docs/sources.md).

Why:
    platecheck renders offline, from this repository only. Whatever a remote chart or an
    ApplicationSet deploys has not been checked by any other policy, so a pass would claim
    more than was proven. The built-in level is error; a repository that deploys upstream
    charts on purpose lowers it or lists their repositories in ignoreRepoURLs.

Options:
    ignoreRepoURLs: repository URL globs whose sources are accepted unchecked
        (default: none), e.g. ``["https://charts.jetstack.io"]``.

Passes:
    An Application whose ``source.path`` is a chart directory of this repository.

Fails:
    ``source: {repoURL: https://charts.example.com/stable, chart: redis,
    targetRevision: 18.1.0}`` -> "chart redis 18.1.0 from https://charts.example.com/stable is
    not rendered: its resources are not checked".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from platecheck.appset_generators import generators, git_children, unexpanded_reason
from platecheck.globs import matches_any
from platecheck.model import Finding, KeyPath, Origin, RenderTarget, RepoModel, Source, SourceType
from platecheck.options import PolicyOptions, option
from platecheck.repourl import other_repository, this_repository

ID = "not-rendered"
SUMMARY = "sources platecheck cannot render (remote charts, plugins, ApplicationSets)"
SCOPE = "repo"
REMEDIATION = (
    "Vendor the chart into this repository (or accept it with ignoreRepoURLs in "
    "policies/platecheck.yaml, or waive it with a reason)."
)


@dataclass(frozen=True)
class Options:
    # read for each target's environment
    ignore_repo_urls: tuple[str, ...] = option((), name="ignoreRepoURLs", per_environment=True)


def check(repo: RepoModel, options: PolicyOptions[Options]) -> Iterator[Finding]:
    for target in repo.targets:
        if target.remote is None or target.application is None or target.expanded:
            continue
        ignored = options.for_env(target.environment).ignore_repo_urls
        if matches_any(target.remote.repo_url, ignored):
            continue
        revision = _other_revision(target, repo)
        elsewhere = _set_revision(target, repo)
        origin = _plugin_override(target) or _placed(target) or Origin(
            target.application.file, (_field_line(target, target.remote, "targetRevision")
                                      if revision is not None else None)
            or _line(target, target.remote))
        yield Finding(
            policy=ID,
            message=f"{_describe(target, target.remote, repo, revision)} is not rendered: "
                    f"its resources are not checked{_why(target, repo, elsewhere)}",
            file=origin.file,
            line=origin.line,
            environment=target.environment,
            target=target.id,
            resource=f"{target.application.raw.get('kind') or 'Application'}/"
                     f"{target.application.name}",
            remediation=REVISION_REMEDY if revision is not None or elsewhere is not None
            else remediation(target, repo.own_repo_urls),
        )


def _why(target: RenderTarget, repo: RepoModel, elsewhere: str | None) -> str:
    """Of an ApplicationSet, what platecheck does not expand in how it is written, or the
    git generator of another repository, or of another revision (``elsewhere``), it reads."""
    assert target.application is not None
    if target.application.kind != "ApplicationSet":
        return ""
    reason = unexpanded_reason(target.application.raw)
    if reason is None:
        gits = git_children(target.application.raw)
        other = next((git["repoURL"] for git in gits
                      if not this_repository(git["repoURL"], (), repo.own_repo_urls)), None)
        if elsewhere is not None:
            return (f" (its git generator reads this repository at revision {elsewhere}, "
                    "which is not this checkout)")
        if gits and other is None:  # expanded, into nothing
            return (" (its git generator finds nothing to make Applications of, or nothing "
                    "platecheck reads exactly)")
        reason = f"a git generator of another repository, {other}" if other else None
    return f" (platecheck does not expand {reason})" if reason else ""


def _set_revision(target: RenderTarget, repo: RepoModel) -> str | None:
    """The ``revision`` of an ApplicationSet's git generator of this repository that is
    not this checkout: the files it reads are that revision's, so it is not expanded; None
    for an Application."""
    assert target.application is not None
    if target.application.kind != "ApplicationSet":
        return None
    for git in git_children(target.application.raw):
        revision = git.get("revision")
        revision = revision.strip() if isinstance(revision, str) else None
        if repo.checkout is not None and not repo.checkout.holds(revision) \
                and this_repository(git["repoURL"], (), repo.own_repo_urls):
            return revision
    return None


def _other_revision(target: RenderTarget, repo: RepoModel) -> str | None:
    """The ``targetRevision`` of a Git source of this repository that is not this checkout
    (``RepoModel.checkout``), which is why it is not rendered; None for any other."""
    source = target.remote
    if source is None or repo.checkout is None or not other_repository(target) \
            or repo.checkout.holds(source.target_revision) \
            or not this_repository(source.repo_url, (), repo.own_repo_urls):
        return None
    return (source.target_revision or "").strip()


# a shell-style placeholder (``${repo_url}``) another tool fills in: Argo CD reads none in a
# repoURL
_PLACEHOLDER = "${"

REVISION_REMEDY = (
    "platecheck checks this checkout's files; Argo CD deploys this source from that revision "
    "(an environment branch, a branch of rendered manifests, a tag). Lint a checkout of that "
    "revision, or, when this checkout is what it deploys (a branch that merges into it), list "
    "it in argocd-application's revisions.")


def _describe(target: RenderTarget, source: Source, repo: RepoModel,
              revision: str | None) -> str:
    """What is not rendered; ``revision``: the source's, when that is why
    (``_other_revision``)."""
    assert target.application is not None
    # (a Helm source reading a value file through a ref source: that source is the remote)
    what = "value file" if any(target.foreign_value_file == entry for each in
                               target.application.sources if each.helm
                               for entry in each.helm.value_files) else "file"
    if revision is not None:
        checkout = repo.checkout
        assert checkout is not None
        names = list(checkout.globs) or sorted(checkout.names)
        which = f"the commit checked out, {checkout.head[:12]}" if re.fullmatch(
            "[0-9a-fA-F]{7,64}", revision) else ", ".join(["HEAD", *names])
        read = f"Helm source whose {what} {target.foreign_value_file} is read" \
            if target.foreign_value_file else f"source {source.path or '.'} of this repository"
        return f"{read} at revision {revision}, which is not this checkout ({which}),"
    if target.application.kind == "ApplicationSet":
        return f"ApplicationSet {target.application.name}"
    if target.foreign_value_file:
        return (f"Helm source whose {what} {target.foreign_value_file} is in another "
                f"repository, {source.repo_url}," if source.repo_url.strip() else
                f"Helm source whose {what} {target.foreign_value_file} is in a source of no "
                "repoURL, and")
    if not source.repo_url.strip():
        return f"source {source.chart or source.path or '.'} has no repoURL and"
    if source.chart:
        version = f" {source.target_revision}" if source.target_revision else ""
        return f"chart {source.chart}{version} from {source.repo_url}"
    if source.repo_url.startswith("oci://"):
        # Argo CD extracts the artifact and detects its type there: not necessarily a chart
        return f"OCI artifact {source.repo_url}"
    if other_repository(target) and _PLACEHOLDER in source.repo_url:
        return (f"source {source.path or '.'} of {source.repo_url}, a placeholder another "
                "tool fills in,")
    if other_repository(target):
        return f"source {source.path or '.'} of another repository, {source.repo_url},"
    kind = target.source_type or SourceType.DIRECTORY
    if kind is SourceType.PLUGIN:
        return f"config management plugin source {source.path or '.'} from {source.repo_url}"
    return f"{kind} source {source.path or '.'} from {source.repo_url}"


def _plugin_override(target: RenderTarget) -> Origin | None:
    """Where a ``.argocd-source*.yaml`` file of the source's directory made it a plugin
    source (Argo CD applies it before it decides the source's type)."""
    assert target.application is not None and target.remote is not None
    if target.source_type is not SourceType.PLUGIN:
        return None
    app, path = target.application, target.remote.path
    return next((origin for key, origin in app.places.items()
                 if key[-1:] == ("plugin",) and origin.file != app.file
                 and (key[1] == "source" or isinstance(key[2], int)
                      and app.sources[key[2]].path == path)), None)


def _placed(target: RenderTarget) -> Origin | None:
    """Where the parent's values wrote the source of an Application (or the generators of
    an ApplicationSet) a chart of Applications renders whole from them (``toYaml``): the
    values' lines, not the template line every child shares."""
    app, source = target.application, target.remote
    assert app is not None and source is not None
    index = next((i for i, s in enumerate(app.sources) if s is source), None)
    key: KeyPath = ("spec", "generators") if app.kind == "ApplicationSet" \
        and unexpanded_reason(app.raw) is not None else ("spec", "sources", index) \
        if app.multiple_sources and index is not None else ("spec", "source")
    origin = app.origin(key)
    return origin if origin.file != app.file else None


def _line(target: RenderTarget, source: Source) -> int | None:
    """The source's line; for an ApplicationSet whose template has none (its templatePatch
    writes them), the templatePatch's; for one not expanded for a kind of generator, that
    generator's (the first of its kind), and for one its git generator expands into nothing,
    the git generator's."""
    assert target.application is not None
    is_set = target.application.kind == "ApplicationSet"
    reason = unexpanded_reason(target.application.raw) if is_set else None
    named = re.match(r"a (\w+) generator", reason or "")
    kind = named.group(1) if named else None
    if is_set and reason is None and git_children(target.application.raw):
        kind = "git"  # expanded into nothing: at its git generator
    spec = target.application.raw.get("spec")
    written = spec.get("generators") if isinstance(spec, Mapping) else None
    if kind is not None and isinstance(written, list):
        path = _generator_path(written, kind, ("spec", "generators"))
        line = target.application.lines.get(path) if path is not None else None
        if line is not None:
            return line
    if not (source.repo_url or source.path or source.chart):
        patch = target.application.lines.get(("spec", "templatePatch"))
        if target.application.kind == "ApplicationSet" and patch is not None:
            return patch
    # another repository's source of an Application a set made: at its repoURL, a list
    # element's key when that filled it (each element names its own repository)
    return (_field_line(target, source, "repoURL") if target.application.set_line is not None
            and other_repository(target) else None) or source.line or target.application.line


def _field_line(target: RenderTarget, source: Source, field: str) -> int | None:
    """The line of ``field`` of the source (the line of the list element's key that filled
    it, in an Application a set made); None when it is not written."""
    app = target.application
    assert app is not None
    index = next((i for i, s in enumerate(app.sources) if s is source), None)
    if index is None:
        return None
    key = ("spec", "sources", index) if app.multiple_sources else ("spec", "source")
    return app.lines.get((*key, field))


def _generator_path(generators: list[Any], kind: str, at: KeyPath) -> KeyPath | None:
    """The key path of the first generator of ``kind`` among ``generators`` (written at
    ``at``), in a matrix or merge generator's too."""
    for index, item in enumerate(generators):
        if not isinstance(item, Mapping):
            continue
        if kind in item:
            return (*at, index, kind)
        for nesting in ("matrix", "merge"):
            inner = item.get(nesting)
            inner = inner.get("generators") if isinstance(inner, Mapping) else None
            found = _generator_path(inner, kind, (*at, index, nesting, "generators")) \
                if isinstance(inner, list) else None
            if found is not None:
                return found
    return None


def _set_remediation(target: RenderTarget, own: tuple[str, ...]) -> str:
    """What to do of an ApplicationSet not expanded: one of this repository's git
    generators that finds nothing, a list of no elements, or a set of what platecheck does
    not expand."""
    assert target.application is not None
    gits = git_children(target.application.raw)
    # (this repository's URLs as the checkout names them: a repoUrls setting aside)
    if gits and all(this_repository(git["repoURL"], (), own) for git in gits):
        if any(child.kind == "list" and not child.options.get("elements")
               and not child.options.get("elementsYaml")
               for generator in generators(target.application.raw) or []
               for child in generator.children):
            return ("platecheck expands this kind of ApplicationSet, but a list generator "
                    "of it has no elements, so as written it makes no Application, in Argo "
                    "CD either: give the list its elements, or waive this finding with a "
                    "reason (elements a Kustomize overlay patches in: platecheck checks "
                    "the set as it is written).")
        return ("platecheck expands this kind of ApplicationSet, but its git generator "
                "finds no directory or file in this repository to make Applications of, "
                "or one platecheck does not read exactly (pathspec magic, a file that "
                "links elsewhere: docs/sources.md); a set that finds nothing creates no "
                "Application in Argo CD either. Fix the generator's path, or waive this "
                "finding with a reason (a path a Kustomize overlay patches in).")
    return ("Argo CD generates this ApplicationSet's Applications when it runs; platecheck "
            "expands only plain list generators (each element starting a line of its "
            "own) and git generators of this repository (directories or files), one or "
            "several, or a matrix of two or a merge of them, with no goTemplate or a Go "
            "template of the functions docs/sources.md lists, and a templatePatch of the "
            "Application's own fields in YAML, no $patch directive: waive this finding with a "
            "reason, or list its repoURL in ignoreRepoURLs; what it generates stays unchecked "
            "either way.")


def remediation(target: RenderTarget, own: tuple[str, ...] = ()) -> str:
    """What to do depends on the source: vendoring is advice for a remote chart only."""
    if target.application is not None and target.application.raw.get("kind") == \
            "ApplicationSet":
        return _set_remediation(target, own)
    if target.foreign_value_file:
        return ("Argo CD reads this value file from the checkout of that repository, which "
                "platecheck does not fetch: check the chart with it there, list that "
                "repoURL in ignoreRepoURLs, or, if it is this repository, list this "
                "repository's URLs in argocd-application's repoUrls.")
    if target.remote is not None and not target.remote.repo_url.strip():
        return ("Set the source's repoURL (this repository's URL for a path in it): Argo CD "
                "refuses a source without one.")
    if other_repository(target) and target.remote is not None \
            and _PLACEHOLDER in target.remote.repo_url:
        return ("This file is a template another tool (Terraform's templatefile, Flux's "
                "substitution, envsubst) fills in before it applies it, not an Application "
                "Argo CD reads as written: leave it out with exclude in "
                "policies/platecheck.yaml (and name the Applications that tool applies in "
                "argocd-application's appOfApps), or waive this finding with a reason.")
    if other_repository(target):
        return ("This source is another Git repository's, not this checkout's (argocd-"
                "application's repoUrls, else this checkout's Git remotes, say which repoURLs "
                "are this repository): check it in that repository, list its repoURL in "
                "ignoreRepoURLs, or, if it is this repository, list this repository's URLs in "
                "repoUrls.")
    if target.remote is not None and not target.remote.chart and \
            target.remote.repo_url.startswith("oci://"):
        return ("Vendor what the OCI artifact holds at the source path into this repository "
                "(or accept it with ignoreRepoURLs in policies/platecheck.yaml, or waive it "
                "with a reason).")
    if target.source_type in (SourceType.KUSTOMIZE, SourceType.DIRECTORY):
        return ("platecheck renders this source itself (docs/sources.md): make it renderable "
                "here (`platecheck setup` installs kubectl), or waive it with a reason.")
    if target.source_type is SourceType.PLUGIN:
        return ("platecheck does not run config management plugins: accept the source with "
                "a waiver giving the reason, or render it to plain manifests in this "
                "repository.")
    return REMEDIATION


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("ignored-repository", "remote-chart")
