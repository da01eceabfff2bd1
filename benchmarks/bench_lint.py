"""Lint time of a repository next to the bare helm calls it needs, measured side by side.

For each round, in one process and one after the other:

- bare: the ``helm template`` calls of every rendered target, run directly with the same
  arguments and the same parallelism as platecheck, nothing else (no parsing, no policies);
- bare+lint: the same plus the ``helm lint --strict`` calls platecheck also makes;
- cold: ``platecheck.lint`` with an empty cache directory;
- warm: ``platecheck.lint`` again with the cache the cold run filled.

Prints the median of each and the ratios to bare. Usage:

    python benchmarks/bench_lint.py [PATH] [--rounds N] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from platecheck.engine import lint, load
from platecheck.helmbin import find_helm
from platecheck.render import Helm, HelmCall
from platecheck.sandbox import private_copy

T = TypeVar("T")


def helm_calls(path: Path, workdir: Path, jobs: int) -> tuple[Helm, list[HelmCall], list[HelmCall]]:
    """The template and lint calls platecheck makes for ``path``, built by its own planner."""
    model = load(path, use_cache=False, jobs=jobs)
    runner = Helm(binary=find_helm(None), workdir=workdir, root=model.root, jobs=jobs)
    targets = [t for t in model.targets if t.rendered_here]
    templates = [runner.template_call(t) for t in targets]
    lints = []
    seen = set()
    for target in targets:
        assert target.chart is not None
        files = tuple(values.path for values in target.value_files)
        key = (target.chart.path, target.environment, files)
        if key not in seen:
            seen.add(key)
            lints.append(runner.lint_call(target.chart, files, target.kube_version))
    for call in [*templates, *lints]:
        if not call.copy.exists():  # helm reads the private copy platecheck would make
            private_copy(call.chart, call.copy)
    return runner, templates, lints


def run_bare(runner: Helm, calls: Sequence[HelmCall], jobs: int) -> None:
    def one(call: HelmCall) -> None:
        subprocess.run([str(runner.binary), *call.argv], env=runner.env, cwd=runner.workdir,
                       stdin=subprocess.DEVNULL, capture_output=True, check=False)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, calls))


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="environments/", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    times: dict[str, list[float]] = {"bare": [], "bare+lint": [], "cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="platecheck-bench-") as tmp:
        runner, templates, lints = helm_calls(args.path, Path(tmp), args.jobs)
        print(f"{args.path}: {len(templates)} helm template calls, {len(lints)} helm lint "
              f"calls, jobs={args.jobs}, helm {runner.version}, rounds={args.rounds}")
        for round_ in range(args.rounds):
            cache = Path(tmp) / f"cache-{round_}"
            times["bare"].append(timed(partial(run_bare, runner, templates, args.jobs))[0])
            times["bare+lint"].append(
                timed(partial(run_bare, runner, [*templates, *lints], args.jobs))[0])
            run_lint = partial(lint, args.path, cache_dir=cache, jobs=args.jobs)
            seconds, cold = timed(run_lint)
            times["cold"].append(seconds)
            seconds, warm = timed(run_lint)
            times["warm"].append(seconds)
            if warm.renders != 0 or cold.cache_hits != 0:
                print(f"unexpected cache behaviour: cold renders={cold.renders} "
                      f"hits={cold.cache_hits}, warm renders={warm.renders}", file=sys.stderr)
                return 1

    bare = statistics.median(times["bare"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:>10}: median {median * 1000:8.1f} ms  ({median / bare:5.2f} x bare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
