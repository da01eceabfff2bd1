"""``--changed-since REF``: which render targets a change since a git revision can affect.

The changed files are ``git diff --name-only REF...HEAD`` (what the branch changed since it
left REF, as a pull request shows it) plus uncommitted changes (staged, unstaged, untracked).
A target is chosen when one of its inputs changed:

- a file inside its chart directory (or a chart it depends on through ``file://``), or, for
  a Kustomize source or a directory holding Jsonnet, anywhere in the repository;
- one of its value files (a shared values file chooses every target that uses it; a chart's
  own ``values.yaml`` every target of the chart);
- its Application manifest;
- an input of the target whose render generates its Application (of the same tree);
- for the ApplicationSet of a git generator platecheck expands, and so every Application it
  makes: a file an entry of its ``files`` names, or one in a directory its ``directories``
  match (made, edited, or gone since REF);
- what a symbolic link under its chart or source directory leads to (a shared helper, a
  shared manifest);
- anything under the policy configuration directory, a file deleted since REF or a
  symbolic link that changed (every target).

Every other environment of a chosen app is added as its counterpart, so the staging/production
consistency check still sees both sides, and each target whose render shares an object with a
chosen one's, or holds a kind whose CRD, or is of an AppProject, the change may have changed
(``widened``), so two Applications deploying one object, an object its CRD now refuses and a
resource its project no longer permits are still found. The engine chooses among every target,
the Applications rendered ones generate included (``engine._chosen``).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from platecheck.appset_generators import git_children
from platecheck.appset_git import generator_reads
from platecheck.chartfile import declared
from platecheck.errors import PlatecheckError
from platecheck.globs import matches
from platecheck.model import Finding, RenderedTarget, RenderTarget
from platecheck.realpaths import resolve
from platecheck.valuefiles import is_glob, ref_path
from platecheck.walk import rglob, walk

COUNTERPART = "counterpart for env-consistency"
SHARES = "shares"  # a target whose render shares an object with a chosen one's
_GIT_TIMEOUT = 60  # seconds; a local diff takes milliseconds


@dataclass(frozen=True)
class Selection:
    """The targets chosen for a ``--changed-since`` run, each with why."""

    ref: str
    changed: tuple[str, ...]  # root-relative POSIX paths changed since ``ref``
    reasons: Mapping[str, str]  # target id -> the changed file (or COUNTERPART), target order
    total: int  # how many targets there were to choose from
    # the chart directories of the chosen targets: a finding of no target there (helm lint's
    # with a chosen target's values, a chart's metadata) is about what is checked
    charts: frozenset[str] = frozenset()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self.reasons)

    def keeps(self, finding: Finding) -> bool:
        """Whether a finding is about the change: its target was chosen, or (repository
        findings) it points at a changed file or into a chosen target's chart directory.
        Everything is kept when every target was."""
        if finding.target is not None:
            return finding.target in self.reasons
        if finding.file is None or len(self.reasons) == self.total > 0:
            return True
        file = finding.file
        return file in self.changed or any(_under(file, chart) for chart in self.charts)

    def describe(self) -> str:
        """One line for the user, e.g. ``changed-since main: prod/plate-web
        (helm/applications/plate-web/values-prod.yaml), stg/plate-web (counterpart for
        env-consistency)``."""
        head = f"changed-since {self.ref}:"
        if not self.reasons:
            files = "no changed files" if not self.changed else (
                f"no target uses the {len(self.changed)} changed file"
                f"{'' if len(self.changed) == 1 else 's'}")
            return f"{head} {files}; nothing to lint"
        why = set(self.reasons.values())
        if len(self.reasons) == self.total > 1 and len(why) == 1:
            return f"{head} all {self.total} targets ({why.pop()})"
        return f"{head} " + ", ".join(f"{tid} ({reason})" for tid, reason in self.reasons.items())


def validate_ref(ref: str, option: str = "--changed-since") -> None:
    """Refuse what git would read as an option or what cannot be a revision."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
        raise PlatecheckError(f"{option}: not a git revision: {ref!r}")


def git_command(root: Path, *args: str, option: str = "--changed-since") -> list[str]:
    """The git command line for ``args`` run in ``root``, bound to the git directory of the
    checkout that holds it (the nearest ``.git`` at or above ``root``): git never looks for a
    repository itself, so a directory of the checked content shaped as a bare repository
    (``HEAD``, ``objects/``, ``refs/``, a ``config`` with ``core.fsmonitor``) is never taken
    for one, and no command a checked repository's content names is run."""
    top = next((d for d in (root, *root.parents) if os.path.lexists(d / ".git")), None)
    if top is None:
        raise PlatecheckError(f"{option} needs a git work tree", str(root))
    return ["git", "-C", str(root), "-c", "safe.bareRepository=explicit",
            "-c", "core.fsmonitor=false", f"--git-dir={top / '.git'}", f"--work-tree={top}",
            *args]


def _git(root: Path, *args: str, option: str = "--changed-since"
         ) -> subprocess.CompletedProcess[bytes]:
    command = git_command(root, *args, option=option)
    try:
        return subprocess.run(command, capture_output=True, check=False,
                              timeout=_GIT_TIMEOUT, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise PlatecheckError(f"{option} needs git, and git is not on PATH") from None
    except subprocess.TimeoutExpired:
        raise PlatecheckError(f"git {args[0]} took longer than {_GIT_TIMEOUT}s",
                              str(root)) from None


def git_out(root: Path, *args: str, option: str = "--changed-since") -> bytes:
    """git's standard output; a failure is one line naming the git command."""
    result = _git(root, *args, option=option)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        message = detail[-1] if detail else f"exit code {result.returncode}"
        raise PlatecheckError(f"git {args[0]} failed: {message}", str(root))
    return result.stdout


def resolve_commit(root: Path, ref: str, option: str = "--changed-since") -> tuple[str, str]:
    """The commit ``ref`` names, and ``root``'s path from the top of its git work tree
    (``""`` or ``"sub/dir/"``)."""
    validate_ref(ref, option)
    inside = _git(root, "rev-parse", "--is-inside-work-tree", option=option)
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise PlatecheckError(f"{option} needs a git work tree", str(root))
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", option=option)
    if commit.returncode != 0:
        raise PlatecheckError(f"{option}: {ref!r} is not a commit in this repository"
                              f"{_shallow_hint(root, option)}", str(root))
    prefix = git_out(root, "rev-parse", "--show-prefix", option=option)
    return (commit.stdout.decode("ascii").strip(),
            prefix.decode("utf-8", "surrogateescape").strip("\n"))


def _shallow_hint(root: Path, option: str) -> str:
    """What to say of a missing history when the clone is shallow (else nothing)."""
    shallow = _git(root, "rev-parse", "--is-shallow-repository", option=option)
    if shallow.returncode == 0 and shallow.stdout.strip() == b"true":
        return ("; this clone is shallow, so it may lack that history: fetch it (git fetch "
                "--unshallow, or actions/checkout with fetch-depth: 0)")
    return ""


def _names(output: bytes) -> list[str]:
    # -z output: NUL-separated, never quoted (non-ASCII and odd names stay as they are)
    return [name for name in output.decode("utf-8", "surrogateescape").split("\0") if name]


def changed_files(root: Path, ref: str) -> tuple[str, ...]:
    """Root-relative POSIX paths changed since ``ref``: ``git diff REF...HEAD`` plus staged,
    unstaged and untracked (not ignored) files. Renames count as both names."""
    sha, prefix = resolve_commit(root, ref)
    if _git(root, "merge-base", sha, "HEAD").returncode == 1:  # 1: none; above: git failed
        raise PlatecheckError(f"--changed-since: {ref!r} and HEAD have no common ancestor in "
                              f"this repository{_shallow_hint(root, '--changed-since')}",
                              str(root))
    top_relative = [
        *_names(git_out(root, "diff", "--name-only", "-z", "--no-renames", f"{sha}...HEAD",
                         "--")),
        *_names(git_out(root, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--")),
        *_names(git_out(root, "ls-files", "-z", "--full-name", "--others",
                         "--exclude-standard")),
    ]
    # git names paths from the top of the work tree; keep those under root, relative to it
    inside_root = (p[len(prefix):] for p in top_relative if p.startswith(prefix))
    return tuple(sorted(set(inside_root)))


def _under(path: str, directory: str) -> bool:
    return directory in ("", ".") or path == directory or path.startswith(directory + "/")


def _chart_dirs(target: RenderTarget, root: Path) -> list[str]:
    """The target's chart directory and the local charts it depends on (``file://``); a
    directory source's directory; for a Kustomize source the whole repository (its bases and
    components may be anywhere in it)."""
    if target.source_dir is not None and target.source_dir.is_relative_to(root):
        # a Jsonnet file may import any file of the repository (its libs, ``../``)
        if str(target.source_type) == "Kustomize" or next(
                rglob(target.source_dir, "*.jsonnet"), None) is not None:
            return [""]
        return [target.source_dir.relative_to(root).as_posix()]
    if target.chart is None:
        return []
    dirs = [target.chart.rel]
    # as helm reads them: Chart.yaml's, or over it requirements.yaml's (a
    # chart known by its metadata alone, where it has no directory)
    repositories = [dep.repository for dep in declared(target.chart.path, root)] \
        if target.chart.path.is_dir() else [
            dep.get("repository") if isinstance(dep, Mapping) else None
            for dep in target.chart.metadata.get("dependencies") or ()]
    for repo in repositories:
        if isinstance(repo, str) and repo.startswith("file://"):
            dep_dir = (target.chart.path / repo.removeprefix("file://")).resolve()
            if dep_dir.is_relative_to(root):
                dirs.append(dep_dir.relative_to(root).as_posix())
    return dirs


def _inputs(target: RenderTarget, root: Path) -> tuple[list[str], set[str]]:
    """(directories, files) whose change can change what ``target`` renders; a file may be a
    glob (``_ref_files``)."""
    files = {vf.rel for vf in target.value_files} | set(ref_files(target))
    files |= {a.path.relative_to(root).as_posix() for a in target.set_arguments
              if a.path is not None and a.path.is_relative_to(root)}  # --set-file
    if target.application is not None:
        files.add(target.application.file)
    dirs = _chart_dirs(target, root)
    return [*dirs, *(linked for d in dirs if d for linked in _linked(root, d))], files


def ref_files(target: RenderTarget) -> list[str]:
    """The files of the repository a chart not rendered here (a Helm repository's) reads
    through a ``ref`` source (``$values/envs/prod.yaml``; a glob as written, matched as a
    shell glob): Argo CD renders it anew when one changes, so platecheck says again that it
    does not. (A ref source of another repository makes a path that is none of the
    repository's files, or one of the same name: the target is then chosen needlessly.)"""
    helm = target.remote.helm if target.remote is not None else None
    if helm is None:
        return []
    written = [*helm.value_files, *(p.value for p in helm.file_parameters)]
    return [rel for entry in written if (rel := ref_path(entry)) is not None]


def _linked(root: Path, directory: str) -> Iterator[str]:
    """What the symbolic links under ``directory`` lead to inside the repository (a shared
    helper a chart links, a manifest a directory source links): read as the link's."""
    top = resolve(root)
    for parent, names, files in walk(root / directory):
        for name in (*names, *files):
            path = Path(parent) / name
            if path.is_symlink():
                real = resolve(path)
                if real.is_relative_to(top) and real != top:
                    yield real.relative_to(top).as_posix()


def select(targets: Sequence[RenderTarget], changed: Iterable[str], *, ref: str, root: Path,
           config_dir: str | None = "policies", deleted: Iterable[str] = ()) -> Selection:
    """Choose the targets ``changed`` (root-relative POSIX paths) affects.

    ``config_dir`` is the policy configuration directory relative to ``root`` (``None`` when it
    lies outside the repository); any change there chooses every target. So does a file of
    ``deleted`` (gone since REF): a glob or an ``ignoreMissingValueFiles`` entry that read
    it leaves no trace in what the targets read now."""
    changed = tuple(changed)
    reasons: dict[str, str] = {}
    config_change = next((p for p in changed if config_dir and _under(p, config_dir)), None)
    # a symbolic link changed: what reads through it is not told by its name alone
    link = next((p for p in changed if os.path.islink(root / p)), None)
    everything = config_change or next(iter(deleted), None) or link
    # Environment values files usually sit in the chart directory; they are inputs of the
    # targets that name them, not a change of the chart (but a chart's values.yaml, which
    # helm always reads, is); a Kustomize or Jsonnet source reading its directory reads
    # such a file as any other (a configMapGenerator's, an import)
    value_files = {vf.rel for t in targets for vf in t.value_files}
    for target in targets:
        if everything is not None:
            reasons[target.id] = everything
            continue
        dirs, files = _inputs(target, root)
        gits = _git_generators(target)
        helm = target.chart is not None
        hit = next((p for p in changed if p in files or any(
            is_glob(f) and matches(p, f) for f in files) or any(_under(p, d) and (
            not helm or p not in value_files or _read_by_helm(p, d)) for d in dirs)
                    or any(generator_reads(git, p) for git in gits)), None)
        if hit is not None:
            reasons[target.id] = hit
    _generated_by_chosen(targets, reasons)
    chosen_apps = {t.app for t in targets if t.id in reasons}
    for target in targets:
        if target.app in chosen_apps and target.id not in reasons:
            reasons[target.id] = COUNTERPART
    order = {t.id: i for i, t in enumerate(targets)}
    ordered = dict(sorted(reasons.items(), key=lambda item: order[item[0]]))
    charts = frozenset(t.chart.rel for t in targets if t.id in ordered and t.chart is not None)
    return Selection(ref=ref, changed=changed, reasons=ordered, total=len(targets),
                     charts=charts)


def widened(selection: Selection, targets: Sequence[RenderTarget],
            rendered: Sequence[RenderedTarget], kinds: Mapping[tuple[str, str], str] = {},
            projects: Mapping[str, str] = {}) -> Selection:
    """``selection`` with every Application's target whose checks read what the change may
    have changed beyond its own inputs, the reason naming it:

    - its render holds an object of a kind and name a chosen Application's render holds
      too: whether two Applications deploy one object (argocd-application) is known only
      from both renders, and the change may make, or move, either side of it;
    - its render holds an object of a kind (API group and kind) of ``kinds``, whose CRD the
      change may have changed (to where: a file or a chosen target): k8s-schema validates
      the object by it, unknown-kind looks for it;
    - its Application is of a project of ``projects`` (to where it may have changed):
      argocd-project permits its resources and destination by it."""
    chosen = [r for r in rendered if r.id in selection.reasons
              and r.target.application is not None]
    if len(selection.reasons) == selection.total or not (chosen or kinds or projects):
        return selection
    owner: dict[tuple[str, str], str] = {}
    for render in chosen:
        for resource in (*render.resources, *render.superseded):
            owner.setdefault((resource.kind, resource.name), render.id)
    reasons = dict(selection.reasons)
    for render in rendered:
        app = render.target.application
        if render.id in reasons or app is None:
            continue
        every = (*render.resources, *render.superseded)
        shared = next(((r, owner[(r.kind, r.name)]) for r in every
                       if (r.kind, r.name) in owner), None)
        defined = next(((r.kind, kinds[key]) for r in every
                        if (key := (r.api_version.rpartition("/")[0], r.kind)) in kinds), None)
        project = app.project or "default"  # (Argo CD's GetProject)
        if shared is not None:
            reasons[render.id] = f"{SHARES} {shared[0].kind}/{shared[0].name} with {shared[1]}"
        elif defined is not None:
            reasons[render.id] = f"the CRD of {defined[0]} may have changed in {defined[1]}"
        elif project in projects:
            reasons[render.id] = f"project {project} may have changed in {projects[project]}"
    if len(reasons) == len(selection.reasons):
        return selection
    order = {t.id: i for i, t in enumerate(targets)}
    ordered = dict(sorted(reasons.items(), key=lambda item: order.get(item[0], len(order))))
    charts = frozenset(t.chart.rel for t in targets if t.id in ordered and t.chart is not None)
    return dataclasses.replace(selection, reasons=ordered, charts=charts)


def _git_generators(target: RenderTarget) -> list[Mapping[str, Any]]:
    """The git generators of ``target``'s ApplicationSet platecheck expands
    (``appset_generators``): the files they read or directories they find are inputs of each
    Application it makes."""
    app = target.application
    return git_children(app.raw) if app is not None and app.kind == "ApplicationSet" else []


def _read_by_helm(path: str, directory: str) -> bool:
    """Whether helm reads ``path`` whenever it renders the chart at ``directory``: the chart's
    ``values.yaml`` and that of a subchart vendored under its ``charts/`` (at any depth)."""
    prefix = "" if directory in ("", ".") else f"{directory}/"
    return path == f"{prefix}values.yaml" or (
        path.startswith(f"{prefix}charts/") and path.endswith("/values.yaml"))


def _generated_by_chosen(targets: Sequence[RenderTarget], reasons: dict[str, str]) -> None:
    """Add to ``reasons`` the targets whose Applications a chosen target's render generates:
    what the parent's inputs write into them (a values line, a patch) changes them too; the
    whole tree of a chosen top (its file, or its chart's directory in chart mode), and what
    a chosen Application of the tree renders in turn. Another Application of the tree, of
    inputs of its own, is not (``charts/a/values.yaml`` changes a, not its siblings)."""
    for _ in range(len(targets) + 1):
        tops: dict[str, RenderTarget] = {}
        parents: dict[tuple[str, int], RenderTarget] = {}
        for chosen in targets:
            app = chosen.application
            if chosen.id not in reasons:
                continue
            if app is None or app.deployed_by is None:
                top = _top(chosen)
                if top is not None:
                    tops.setdefault(top, chosen)
            else:
                parents.setdefault((app.file, app.line), chosen)
        more = {target.id: f"generated through {by.id}" for target in targets
                if target.id not in reasons and (app := target.application) is not None
                and (by := tops.get(app.deployed_by or "")
                     or parents.get(app.made_by or ("", 0))) is not None}
        if not more:
            return
        reasons.update(more)


def _top(target: RenderTarget) -> str | None:
    """The file of what renders the tree ``target`` is in: its Application's top parent's,
    else its own Application file, else its chart's directory (chart mode)."""
    app = target.application
    if app is not None:
        return app.deployed_by or app.file
    return target.chart.rel if target.chart is not None else None


def config_dir_in(root: Path, config_dir: Path | None) -> str | None:
    """``config_dir`` (default ``root/policies``) relative to ``root``, or ``None`` when it lies
    outside the repository."""
    directory = (config_dir if config_dir is not None else root / "policies").resolve()
    if not directory.is_relative_to(root.resolve()):
        return None
    return PurePosixPath(directory.relative_to(root.resolve()).as_posix()).as_posix()


def changed_since(root: Path, ref: str, targets: Sequence[RenderTarget],
                  config_dir: Path | None = None) -> Selection:
    """The whole step: ask git what changed since ``ref`` and choose the targets."""
    files = changed_files(root, ref)
    return select(targets, files, ref=ref, root=root.resolve(),
                  config_dir=config_dir_in(root, config_dir), deleted=gone(root, files))


def gone(root: Path, files: Iterable[str]) -> list[str]:
    """Those of ``files`` (root-relative) that are no longer in the work tree."""
    return [path for path in files if not (root / path).exists()]
