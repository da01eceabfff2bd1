"""``platecheck lint`` as a user runs it, next to the bare helm calls it needs, side by side.

Every figure is a whole process (interpreter start and imports included), timed from outside.
For each repository and round, one after the other:

- floor: the ``helm template`` calls of every rendered target, run directly with platecheck's
  arguments and ``--jobs`` at once, nothing else (no parsing, no lint, no policies), with Go's
  default garbage collector and message catalogue, as a user running helm by hand has it;
- tuned floor: the same calls with the start-up settings platecheck gives helm
  (``START_UP``: Go's collector and kubectl's message catalogue), for reference;
- cold: ``platecheck lint`` with an empty cache directory;
- warm: ``platecheck lint`` again, nothing changed;
- changed: one values file changed (a comment added, so the targets it feeds render anew),
  then ``platecheck lint``.

With ``--baseline PLATECHECK`` (another installed ``platecheck`` script, e.g. an earlier
version in a second virtualenv), each round also runs that command's cold, warm and changed
lints, on the same repository and floor, the two versions taking turns going first: the table
gains a row for it, so two versions compare side by side in one run.

Each run's CPU time (user and system, of the process and every helm or kubectl process it
ran) is recorded too, and printed as a second table of ratios to the floor's CPU: on a busy
machine they move much less than the times. Each platecheck run's peak memory (maximum
resident set of the platecheck process) is recorded, and the findings of cold, warm and
changed runs of a round must agree, else the benchmark fails. Prints a Markdown table of the
medians, their ratios to the floor and the range of the machine's 1-minute load average
after each round.

    python benchmarks/bench_cli.py [--repo PATH]... [--synthetic N]... [--crds K]
                                   [--rounds 5] [--jobs 2] [--baseline PLATECHECK]

``--synthetic N`` generates a repository of N targets (``benchmarks/generate.py``, with
``--crds K`` large CRDs vendored in its first chart, rendered in both environments); without
any ``--repo`` or ``--synthetic`` it measures ``environments/`` of this repository and synthetic
repositories of 20, 100 and 500 targets.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402 - the generator next to this script

from platecheck import __version__  # noqa: E402
from platecheck.engine import load  # noqa: E402
from platecheck.helmbin import find_helm, helm_version  # noqa: E402
from platecheck.helmbin.locate import START_UP  # noqa: E402
from platecheck.model import RepoModel  # noqa: E402
from platecheck.render import Helm  # noqa: E402
from platecheck.sandbox import private_copy  # noqa: E402

KINDS = ("floor", "tuned floor", "cold", "warm", "changed")
RUNS = ("cold", "warm", "changed")
BASELINE = "baseline "  # the prefix of the baseline's kinds


@dataclass
class Subject:
    """A repository to lint: the path given to platecheck and a values file to change."""

    name: str
    path: Path
    changed: Path
    targets: int = 0
    times: dict[str, list[float]] = field(default_factory=lambda: {
        k: [] for k in (*KINDS, *(BASELINE + run for run in RUNS))})
    # CPU seconds of each kind's runs, helm's included
    cpu: dict[str, list[float]] = field(default_factory=lambda: {
        k: [] for k in (*KINDS, *(BASELINE + run for run in RUNS))})
    memory: dict[str, list[int]] = field(default_factory=lambda: {"": [], BASELINE: []})
    load: list[float] = field(default_factory=list)  # 1-minute load average after each round


def floor_calls(subject: Subject, binary: Path, workdir: Path) -> tuple[Helm, list[list[str]]]:
    """The ``helm template`` command lines platecheck runs for ``subject``."""
    model = load(subject.path, use_cache=False, helm=binary, jobs=1)
    runner = Helm(binary=binary, workdir=workdir, root=model.root)
    made = [runner.template_call(t) for t in model.targets if t.rendered_here]
    for call in made:
        if not call.copy.exists():  # helm reads the private copy platecheck would make
            private_copy(call.chart, call.copy)
    calls = [[str(binary), *call.argv] for call in made]
    subject.targets = len(calls)
    return runner, calls


def _own_values(model: RepoModel) -> Path:
    """A values file that feeds exactly one target, as an environment's own file does."""
    users: dict[Path, int] = {}
    for target in model.targets:
        for values in target.value_files:
            users[values.path] = users.get(values.path, 0) + 1
    return next(path for path, count in sorted(users.items()) if count == 1)


def run_floor(runner: Helm, calls: Sequence[list[str]], jobs: int, *, tuned: bool
              ) -> tuple[float, float]:
    """Seconds and CPU seconds for every call, ``jobs`` at once: with platecheck's start-up
    settings when ``tuned``, else with Go's defaults."""
    env = runner.env if tuned else {k: v for k, v in runner.env.items() if k not in START_UP}
    return run_all(calls, jobs, env=env, cwd=runner.workdir)


def run_all(calls: Sequence[list[str]], jobs: int, *, env: dict[str, str] | None = None,
            cwd: Path | None = None, check: bool = False) -> tuple[float, float]:
    """Seconds and CPU seconds of running every command line, ``jobs`` at once."""
    def one(argv: list[str]) -> None:
        subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                       capture_output=True, check=check)

    before = _children_cpu()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, calls))
    return time.perf_counter() - start, _children_cpu() - before


def _children_cpu() -> float:
    """CPU seconds of every process this one has waited for (and theirs), so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def user_environment() -> dict[str, str]:
    """The environment a user's ``platecheck`` runs in: Python reads its modules from the
    bytecode cache. (PYTHONDONTWRITEBYTECODE in the caller's environment would make every
    timed process compile platecheck from source, a cost no installed copy pays.)"""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_platecheck() -> None:
    """Fill platecheck's bytecode cache once, as installing it or its first run does."""
    import platecheck

    compileall.compile_dir(Path(platecheck.__file__).parent, quiet=1)


def platecheck_command() -> list[str]:
    """The ``platecheck`` script installed beside this interpreter, as a user runs it, else
    ``python -m platecheck``."""
    script = Path(sys.executable).with_name("platecheck")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "platecheck"]


def compile_baseline(script: Path) -> None:
    """Fill the bytecode cache of the platecheck that ``script`` runs (the interpreter beside
    it), as for this one."""
    subprocess.run([str(script.with_name("python")), "-c",
                    "import compileall, pathlib, platecheck; compileall.compile_dir("
                    "pathlib.Path(platecheck.__file__).parent, quiet=1)"],
                   check=True, env=user_environment())


def run_lint(subject: Subject, binary: Path, cache: Path, jobs: int,
             report: Path, command: Sequence[str]) -> tuple[float, float, int, str]:
    """Seconds, CPU seconds (helm's included), peak resident bytes of the platecheck process,
    and its findings as JSON."""
    argv = [*command, "lint", str(subject.path), f"--helm={binary}",
            f"--cache-dir={cache}", f"--jobs={jobs}", "--format=json", f"--output={report}"]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=user_environment())
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"{subject.name}: platecheck lint exited {process.returncode}: "
                         f"{stderr.strip()}")
    # wait4's usage of a process holds that of the processes it waited for: its helm
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, _findings(report)


def _findings(report: Path) -> str:
    data = json.loads(report.read_text(encoding="utf-8"))
    kept = {key: data.get(key) for key in ("findings", "errors")}
    return json.dumps(kept, sort_keys=True)


def change(path: Path, original: bytes, round_: int) -> None:
    """A different trailing comment each round: new bytes, so the targets the file feeds render
    anew, and no finding can change."""
    path.write_bytes(original + f"\n# benchmark round {round_}\n".encode())


def measure(subject: Subject, binary: Path, rounds: int, jobs: int, tmp: Path,
            baseline: Path | None = None) -> None:
    runner, calls = floor_calls(subject, binary, tmp)
    original = subject.changed.read_bytes()
    commands = {"": platecheck_command()}
    if baseline is not None:
        commands[BASELINE] = [str(baseline)]
    try:
        for round_ in range(rounds):
            for kind, tuned in (("floor", False), ("tuned floor", True)):
                seconds, cpu = run_floor(runner, calls, jobs, tuned=tuned)
                subject.times[kind].append(seconds)
                subject.cpu[kind].append(cpu)
            # with a baseline, the two versions take turns going first: neither always runs
            # on a machine the other has just warmed (or heated)
            order = list(commands.items())
            for prefix, command in order[round_ % 2:] + order[:round_ % 2]:
                lint_runs(subject, prefix, command, (binary, jobs, tmp, round_), original)
            subject.load.append(os.getloadavg()[0])
            print(f"  {subject.name} round {round_ + 1}: " + ", ".join(
                f"{k} {v[-1]:.2f}s" for k, v in subject.times.items() if v)
                + f", load average {subject.load[-1]:.1f}", file=sys.stderr)
    finally:
        subject.changed.write_bytes(original)


def lint_runs(subject: Subject, prefix: str, command: Sequence[str],
              setting: tuple[Path, int, Path, int], original: bytes) -> None:
    """One round's cold, warm and changed lints of one platecheck command, whose findings
    must agree."""
    binary, jobs, tmp, round_ = setting
    cache = tmp / f"cache-{subject.name}-{round_}-{prefix.strip()}"
    seen = {}
    for kind in RUNS:
        if kind == "changed":
            change(subject.changed, original, round_)
        seconds, cpu, rss, findings = run_lint(subject, binary, cache, jobs,
                                               tmp / "report.json", command)
        subject.times[prefix + kind].append(seconds)
        subject.cpu[prefix + kind].append(cpu)
        subject.memory[prefix].append(rss)
        seen[kind] = findings
    if len(set(seen.values())) != 1:
        raise SystemExit(f"{subject.name}: findings of {prefix or 'this '}platecheck differ "
                         "between cold, warm and changed runs")
    subject.changed.write_bytes(original)
    shutil.rmtree(cache, ignore_errors=True)


def table(subjects: Sequence[Subject], jobs: int, rounds: int, helm: str) -> str:
    lines = [
        f"platecheck {__version__}, helm {helm}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, --jobs {jobs}, "
        f"median of {rounds} rounds",
        "",
        "| repository | targets | floor | tuned floor | cold | warm | one values file changed | "
        "cold(N)/cold(prev) | peak memory | load average |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    previous: Subject | None = None
    for subject in subjects:
        for name, prefix, medians, cells in _rows(subject, subject.times):
            growth = "" if prefix or previous is None else \
                f"{medians['cold'] / statistics.median(previous.times['cold']):.2f}"
            lines.append(f"| {name} | {subject.targets} | {medians['floor']:.2f} s | "
                         f"{' | '.join(cells)} | {growth} | "
                         f"{max(subject.memory[prefix]) / 2**20:.0f} MiB | "
                         f"{min(subject.load):.1f}-{max(subject.load):.1f} |")
        previous = subject if subject.name.startswith("synthetic") else None
    return "\n".join(lines)


def cpu_table(subjects: Sequence[Subject]) -> str:
    """The medians of the CPU each run used, helm's included, and their ratios to the
    floor's."""
    lines = ["| repository | floor CPU | tuned floor | cold | warm | one values file changed |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for subject in subjects:
        for name, _, medians, cells in _rows(subject, subject.cpu):
            lines.append(f"| {name} | {medians['floor']:.2f} s | {' | '.join(cells)} |")
    return "\n".join(lines)


def _rows(subject: Subject, figures: dict[str, list[float]]
          ) -> Iterator[tuple[str, str, dict[str, float], list[str]]]:
    """Per version measured (this one, the baseline): the row's name, the kinds' prefix, the
    medians of ``figures`` and the cells of the tuned floor and the runs, with their ratios
    to the floor."""
    medians = {k: statistics.median(v) for k, v in figures.items() if v}
    for prefix in ("", BASELINE) if BASELINE + "cold" in medians else ("",):
        cells = [f"{medians[k]:.2f} s ({medians[k] / medians['floor']:.2f}x)"
                 for k in ("tuned floor", *(prefix + run for run in RUNS))]
        yield f"{subject.name}{', ' + prefix.strip() if prefix else ''}", prefix, medians, cells


def options(description: str, argv: Sequence[str] | None, rounds: int, sizes: list[int],
            *, baseline: bool = False) -> tuple[argparse.Namespace, list[Path], list[int], Path]:
    """The options of a benchmark of whole runs: its arguments, the repositories and synthetic
    sizes to measure (``environments/`` and ``sizes`` when none is given) and the helm
    binary. Fills platecheck's bytecode cache, as installing it does."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repo", action="append", type=Path, default=[],
                        help="a path to lint (a values file of one target is the one changed)")
    parser.add_argument("--synthetic", action="append", type=int, default=[],
                        metavar="TARGETS", help="a generated repository of this many targets")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--helm", help="helm binary (default: as platecheck finds it)")
    parser.add_argument("--crds", type=int, default=0,
                        help="large CRDs vendored in each synthetic repository's first chart")
    if baseline:
        parser.add_argument("--baseline", type=Path, metavar="PLATECHECK",
                            help="another platecheck script to time in the same rounds")
    args = parser.parse_args(argv)
    if not args.repo and not args.synthetic:
        args.repo, args.synthetic = [Path("environments")], sizes
    compile_platecheck()
    return args, args.repo, args.synthetic, find_helm(args.helm)


def main(argv: Sequence[str] | None = None) -> int:
    args, repos, sizes, binary = options(__doc__.splitlines()[0], argv, 5, [20, 100, 500],
                                         baseline=True)
    with tempfile.TemporaryDirectory(prefix="platecheck-bench-") as name:
        tmp = Path(name)
        subjects = []
        for repo in repos:
            model = load(repo, use_cache=False, helm=binary)
            subjects.append(Subject(str(repo), repo.resolve(), _own_values(model)))
        for size in sizes:
            root = tmp / f"synthetic-{size}"
            files = generate.generate(root, max(1, size // 2), args.crds)
            shown = f" with {args.crds} CRDs" if args.crds else ""
            subjects.append(Subject(f"synthetic {size}{shown}", root / "environments",
                                    files[0]))
        if args.baseline is not None:
            compile_baseline(args.baseline)
        for subject in subjects:
            measure(subject, binary, args.rounds, args.jobs, tmp, args.baseline)
        print(table(subjects, args.jobs, args.rounds, helm_version(binary)))
        print("\nCPU time, user and system, of each run and the processes it started:\n")
        print(cpu_table(subjects))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
