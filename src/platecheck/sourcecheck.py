"""What is wrong with an Application's sources, found once when it is planned and recorded in
the model (``Application.source_problems``) for ``argocd-application`` to report.

- a source ``path`` of this repository must stay inside it (no ``..`` escape, no symbolic
  link out), exist and be a directory; Argo CD paths are relative to the repository root,
  so an absolute one is a problem too;
- each ``helm.valueFiles`` entry, resolved as Argo CD resolves it (``valuefiles.py``: relative
  to the source path, ``/`` the repository root, ``$ref/...`` another source, ``$ARGOCD_APP_*``
  substituted), must exist and be a file unless ``ignoreMissingValueFiles`` is set; what a
  glob matches is checked when the Application is planned.

Of a chart from a Helm repository (``chart:``) only what it reads of this repository is here to
check: its ``$ref/...`` value files (what a glob matches too) and ``fileParameters`` paths. A
source of ``spec.sources`` that is only a ``ref`` (for other sources' value files) has nothing
to check. A source with no path and no chart (of ``spec.sources``: and no ref), or an empty
path, is a problem: Argo CD refuses such an Application ("spec.source.repoURL and either
spec.source.path or spec.source.chart are required"), and so is a ``ref`` with characters other
than letters, digits, ``_`` and ``-``, or one an earlier source has too (``GetRefSources``).
Which repoURLs mean this repository is a policy option, so each problem names its source (and
the ``$ref`` source it went through) for the policy to judge.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from platecheck import submodules
from platecheck.argocd_env import app_environment
from platecheck.discover import source_key
from platecheck.errors import PlatecheckError
from platecheck.helmsource import file_argument
from platecheck.model import Application, KeyPath, Source, SourceProblem
from platecheck.realpaths import resolve
from platecheck.repourl import argocd_git_key
from platecheck.valuefiles import Resolver, is_glob, no_match, written_dir


def source_problems(app: Application, root: Path) -> tuple[SourceProblem, ...]:
    refs = {s.ref: s for s in app.sources if s.ref}
    problems: list[SourceProblem] = list(_ref_problems(app))
    for index, source in enumerate(app.sources):
        prefix = source_key(app, index)
        if source.chart:  # a remote chart: its value files of another source ($ref/...) are here
            problems.extend(_value_files(app, index, source, prefix, refs, root,
                                         refs_only=True))
            continue
        if not source.path and not (source.ref and app.multiple_sources):
            # Argo CD refuses the Application (util/argo validateSourcePermissions): a path
            # or a chart, or in spec.sources a ref, is required; an empty path is none
            problems.append(SourceProblem(index, prefix, "source", (
                "source has no path, chart or ref" if app.multiple_sources else
                "source has neither a path nor a chart") + ": Argo CD refuses the Application "
                "and deploys nothing of it"))
            continue
        if not source.path:
            continue
        if source.path is not None:
            problem = path_problem(root, source.path, want_dir=True)
            if problem:
                problems.append(SourceProblem(index, (*prefix, "path"), "path",
                                              f"source path {source.path!r} {problem}"))
                # its value files, relative to it, would say the same again; those of another
                # source ($ref/...) are checked as they are for a remote chart (a path of
                # another repository is no path here)
                problems.extend(_value_files(app, index, source, prefix, refs, root,
                                             refs_only=True))
                continue
        problems.extend(_value_files(app, index, source, prefix, refs, root))
    return tuple(problems)


_REF_KEY = re.compile(r"[a-zA-Z0-9_-]+")  # util/argo GetRefSources: ^[a-zA-Z0-9_-]+$


def _ref_problems(app: Application) -> Iterator[SourceProblem]:
    """A ``ref`` Argo CD refuses (util/argo ``GetRefSources``, before any source renders): one
    with characters other than letters, digits, ``_`` and ``-``, or one an earlier source
    has too. Argo CD refuses the whole Application and deploys nothing of it."""
    seen: dict[str, int] = {}
    for index, source in enumerate(app.sources):
        if not source.ref:
            continue
        key: KeyPath = (*source_key(app, index), "ref")
        if not _REF_KEY.fullmatch(source.ref):
            yield SourceProblem(index, key, "ref-key", (
                f"ref {source.ref!r} holds characters other than letters, digits, '_' and "
                "'-': Argo CD refuses the Application (\"sources.ref cannot contain any "
                "special characters except '_' and '-'\") and deploys nothing of it"))
        elif source.ref in seen:
            yield SourceProblem(index, key, "ref-key", (
                f"ref {source.ref!r} is the ref of spec.sources[{seen[source.ref]}] too: Argo "
                "CD refuses the Application (\"multiple sources had the same `ref` key\") "
                "and deploys nothing of it"))
        else:
            seen[source.ref] = index


VALUE_FILE_REMEDY = ("Name a values file inside this repository, relative to the source "
                     "path (or $ref/... for another source).")
PATH_REMEDY = ("Point source.path at a directory inside this repository (relative to the "
               "repository root): a chart, a kustomization, Jsonnet or manifests.")


def path_remedy(problem: str, repo_url: str | None, repo_urls: Sequence[str],
                own: Sequence[str] = (), *, value_file: bool = False) -> str:
    """What to do about a source path's ``problem`` (a value file's: ``value_file``). A path
    that does not exist may be one of another repository (``repo_url``, the source's or the
    ``ref`` source's it goes through), when neither argocd-application's ``repoUrls`` nor
    the checkout's Git remotes (``own``) say which Git repositories are this one (every
    repoURL is then this repository)."""
    if "Git submodule" in problem:
        return submodules.REMEDY
    if problem.endswith("does not exist") and repo_url and not repo_urls and not own:
        lead = ("Name a values file of this repository" if value_file else
                "Point source.path at a directory of this repository")
        return (f"{lead}; or, if {repo_url} is another repository, list this repository's "
                "URLs in argocd-application's repoUrls (a source of another repository is "
                "then reported as not rendered).")
    return VALUE_FILE_REMEDY if value_file else PATH_REMEDY


def path_problem(root: Path, relative: str, *, want_dir: bool) -> str | None:
    """Why ``root/relative`` is not a usable path inside the repository, or None."""
    if PurePosixPath(relative).is_absolute():
        return "is absolute; Argo CD paths are relative to the repository"
    joined = os.path.normpath(os.path.join(str(root), relative))
    top = os.path.normpath(str(root))
    if joined != top and not joined.startswith(top + os.sep):
        return "leaves the repository"
    real = resolve(joined)
    if not real.is_relative_to(resolve(top)):
        return "resolves outside the repository (symlink)"
    # (a submodule not checked out is an empty directory at its path, nothing below it)
    empty = real.is_dir() and not any(real.iterdir())
    if not real.exists() or empty:
        module = submodules.holding(root, PurePosixPath(os.path.relpath(joined, top)).as_posix())
        if module is not None:
            return submodules.held(module)
    if not real.exists():
        return "does not exist"
    if empty and want_dir:
        return ("is an empty directory, which Git does not keep: Argo CD's checkout of the "
                "repository has no such path")
    if want_dir and not real.is_dir():
        return "is not a directory"
    if not want_dir and not real.is_file():
        return "is not a file"
    return None


def _value_files(app: Application, index: int, source: Source, prefix: KeyPath,
                 refs: Mapping[str, Source], root: Path, refs_only: bool = False
                 ) -> Iterator[SourceProblem]:
    """What is wrong with the source's value files (``refs_only``: only those of another
    source, ``$ref/...``, the others being a remote chart's own files)."""
    helm = source.helm
    if helm is None:
        return
    many = app.multiple_sources
    # resolved as the planner resolves them (the commit is not needed to say where)
    resolver = Resolver(resolve(root), written_dir(resolve(root), source.path),
                        refs if many else None, app_environment(app, source, ""))
    revisions: dict[str, tuple[str, str]] = {}  # repository -> (the first ref, its revision)
    for number, entry in enumerate(helm.value_files):
        key: KeyPath = (*prefix, "helm", "valueFiles", number)
        name = entry[1:].partition("/")[0] if many and entry[:1] == "$" else None
        ref = name if name is not None and name in refs else None
        if refs_only and name is None:
            continue
        try:
            resolved = resolver.path(entry)
        except PlatecheckError as exc:
            # a reference Argo CD cannot follow fails the source whatever repository it is
            # of, before anything is fetched (repository.go resolveReferencedSources)
            kind = "ref" if name is not None and (ref is None or refs[ref].chart) \
                else "value-file"
            yield SourceProblem(index, key, kind, exc.message, ref)
            continue
        clash = _other_revision(revisions, name, refs[ref]) if ref is not None else None
        if clash is not None:
            yield SourceProblem(index, key, "ref", clash, ref)
            continue
        if refs_only and ref is None:
            continue
        if is_glob(str(resolved)):
            # what a glob matches is checked when the Application is planned; a chart
            # pulled from elsewhere is not, so here
            if refs_only:
                problem = _glob_problem(resolver, entry, resolved,
                                        helm.ignore_missing_value_files)
                if problem is not None:
                    yield SourceProblem(index, key, "value-file", problem, ref)
            continue
        if not resolved.exists():
            if not helm.ignore_missing_value_files:
                yield SourceProblem(index, key, "value-file",
                                    _missing_value_file(entry, resolved, resolver.root), ref)
        elif not resolved.is_file():
            yield SourceProblem(index, key, "value-file", f"value file {entry!r} is not a file",
                                ref)
    if many:
        yield from _file_parameter_clashes(source, prefix, refs, revisions, index)
    if many and source.chart:
        yield from _pulled_file_parameters(app, index, source, prefix, refs, resolver)


def _missing_value_file(entry: str, path: Path, root: Path) -> str:
    module = submodules.holding_file(root, path)
    return f"value file {entry!r} does not exist" if module is None \
        else submodules.held_message(f"value file {entry!r}", module)


def _glob_problem(resolver: Resolver, entry: str, pattern: Path,
                  ignore_missing: bool) -> str | None:
    """What is wrong with what a value file glob matches: nothing matched (unless missing
    files are ignored), a directory, a file outside the repository."""
    try:
        matched = resolver.glob(entry, pattern, None, None)
    except PlatecheckError as exc:
        return exc.message
    return None if matched or ignore_missing else no_match(entry)


def _pulled_file_parameters(app: Application, index: int, source: Source, prefix: KeyPath,
                            refs: Mapping[str, Source], resolver: Resolver
                            ) -> Iterator[SourceProblem]:
    """The ``fileParameters`` of a chart Argo CD pulls whose path is ``$ref/...``: a reference
    it cannot follow fails the source before the chart is pulled, a file of this repository
    that is missing fails helm's ``--set-file`` (a path in the chart is not here to check)."""
    for number, parameter in enumerate(source.helm.file_parameters if source.helm else ()):
        name = parameter.value[1:].partition("/")[0] if parameter.value[:1] == "$" else None
        if name is None:
            continue  # a file of the chart
        followed = name in refs and not refs[name].chart
        try:
            file_argument(app, (*prefix, "helm"), number, parameter, resolver)
        except PlatecheckError as exc:
            yield SourceProblem(index, (*prefix, "helm", "fileParameters", number, "path"),
                                "value-file" if followed else "ref", exc.message,
                                name if followed else None)


def _file_parameter_clashes(source: Source, prefix: KeyPath, refs: Mapping[str, Source],
                            revisions: dict[str, tuple[str, str]], index: int
                            ) -> Iterator[SourceProblem]:
    """The refs of ``helm.fileParameters`` paths that name a second revision of a repository
    a value file's ref (or an earlier one of them) names: Argo CD checks the paths after the
    value files, in one list (repository.go ``runManifestGenAsync``: ``refCandidates``)."""
    for number, parameter in enumerate(source.helm.file_parameters if source.helm else ()):
        name = parameter.value[1:].partition("/")[0] if parameter.value[:1] == "$" else None
        if name is None or name not in refs or refs[name].chart:
            continue
        clash = _other_revision(revisions, name, refs[name])
        if clash is not None:
            yield SourceProblem(index, (*prefix, "helm", "fileParameters", number, "path"), "ref",
                                clash,
                                name)


def _other_revision(revisions: dict[str, tuple[str, str]], name: str | None, source: Source
                    ) -> str | None:
    """Argo CD's refusal of two refs to one repository at two revisions (one checkout of
    each repository serves every ``$ref``), else None; ``revisions`` records the first."""
    repository = argocd_git_key(source.repo_url)
    revision = source.target_revision or ""
    first = revisions.setdefault(repository, (f"${name}", revision))
    if first[1] == revision:
        return None
    return (f"cannot reference multiple revisions for the same repository (${name} references "
            f"{revision!r} while {first[0]} references {first[1]!r})")


def out_of_bounds_link(root: Path, links: Iterable[str]) -> str | None:
    """The first of ``links`` (repository-relative paths of the symbolic links a clone
    holds, ``repourl.tracked_links``), in the order of Go's walk of the repository, that
    Argo CD's repo-server refuses before it renders any source of the repository
    (``CheckOutOfBoundsSymlinks``: "repository contains out-of-bounds symlinks"): one to an
    absolute path, or one whose target, followed a part at a time from the link's
    directory, passes outside the repository, even to come back in; None when there is
    none."""
    base = os.path.abspath(root)
    for link in sorted(links, key=lambda path: path.split("/")):
        path = os.path.join(base, *link.split("/"))
        try:
            target = os.readlink(path)
        except OSError:
            continue  # not a link in this checkout (changed, or not checked out)
        if _leaves(base, os.path.dirname(path), target):
            return link
    return None


def _leaves(base: str, directory: str, target: str) -> bool:
    if os.path.isabs(target):
        return True
    current = directory
    for part in target.split(os.sep):
        current = os.path.normpath(os.path.join(current, part))
        relative = os.path.relpath(current, base)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return True
    return False
