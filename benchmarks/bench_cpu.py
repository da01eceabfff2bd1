"""Where a cold ``platecheck lint`` spends its CPU: in platecheck's own process or in the helm
processes it starts, next to the CPU of the bare ``helm template`` floor.

The wall-clock ratios of ``bench_cli.py`` say how much slower a cold lint is than the floor;
this says why. With ``--jobs`` at or above the number of CPUs the helm processes keep every
CPU busy, so a cold run cannot take less than the CPU it needs divided by the CPUs. For each
repository and round, one after the other:

- floor: the ``helm template`` calls of every rendered target, as ``bench_cli.py`` runs them
  (with the start-up settings platecheck gives helm, as platecheck runs it), and the CPU time those
  processes used;
- cold: ``platecheck lint`` with an empty cache directory, in a process that reports its own
  CPU time (the interpreter, imports, planning, parsing, schemas, policies, reports) and the
  CPU time of the helm processes it waited for (renders and lints, and the supervisor that
  starts them), separately.

    python benchmarks/bench_cpu.py [--repo PATH]... [--synthetic N]... [--rounds 3] [--jobs 2]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cli  # noqa: E402 - the benchmark next to this script
import generate  # noqa: E402

from platecheck.helmbin import helm_version  # noqa: E402

# Runs platecheck's command line in this child and prints the CPU split as JSON on stderr's
# last line (platecheck's own stdout is the report).
_CHILD = """
import json, resource, sys
from platecheck.cli import main
from platecheck.sandbox import release
code = main(sys.argv[1:])
release()  # the supervisor ends: the helm processes it reaped count as this one's children
own = resource.getrusage(resource.RUSAGE_SELF)
helm = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "own": own.ru_utime + own.ru_stime,
                  "helm": helm.ru_utime + helm.ru_stime}), file=sys.stderr)
"""


def floor_cpu(subject: bench_cli.Subject, binary: Path, jobs: int, tmp: Path
              ) -> tuple[float, float]:
    """Wall seconds and CPU seconds of the floor's helm processes."""
    runner, calls = bench_cli.floor_calls(subject, binary, tmp)
    return bench_cli.run_floor(runner, calls, jobs, tuned=True)


def cold_cpu(subject: bench_cli.Subject, binary: Path, jobs: int, tmp: Path
             ) -> tuple[float, float, float]:
    """Wall seconds of a cold lint, platecheck's own CPU seconds and its helm processes'."""
    with tempfile.TemporaryDirectory(dir=tmp) as cache:
        argv = [sys.executable, "-c", _CHILD, "lint", str(subject.path), f"--helm={binary}",
                f"--cache-dir={cache}", f"--jobs={jobs}"]
        start = time.perf_counter()
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False,
                              env=bench_cli.user_environment())
        wall = time.perf_counter() - start
    lines = done.stderr.strip().splitlines()
    split = json.loads(lines[-1]) if lines else {}
    if split.get("code") not in (0, 1):
        raise SystemExit(f"{subject.name}: platecheck lint failed: {done.stderr.strip()}")
    return wall, split["own"], split["helm"]


def main(argv: Sequence[str] | None = None) -> int:
    args, repos, sizes, binary = bench_cli.options(__doc__.splitlines()[0], argv, 3, [100, 500])
    rows = []
    with tempfile.TemporaryDirectory(prefix="platecheck-bench-") as name:
        tmp = Path(name)
        # (no file is changed here: a subject's values file to change is not used)
        subjects = [bench_cli.Subject(str(repo), repo.resolve(), repo) for repo in repos]
        for size in sizes:
            root = tmp / f"synthetic-{size}"
            generate.generate(root, max(1, size // 2), args.crds)
            subjects.append(bench_cli.Subject(f"synthetic {size}", root / "environments", root))
        for subject in subjects:
            seen: dict[str, list[float]] = {k: [] for k in ("fw", "fc", "cw", "own", "helm")}
            for _ in range(args.rounds):
                measured = (*floor_cpu(subject, binary, args.jobs, tmp),
                            *cold_cpu(subject, binary, args.jobs, tmp))
                for key, value in zip(seen, measured, strict=True):
                    seen[key].append(value)
            m = {k: statistics.median(v) for k, v in seen.items()}
            rows.append(f"| {subject.name} | {subject.targets} | {m['fw']:.2f} s | "
                        f"{m['fc']:.2f} s | {m['cw']:.2f} s | {m['helm']:.2f} s "
                        f"({m['helm'] / m['fc']:.2f}x) | {m['own']:.2f} s |")
            print(rows[-1], file=sys.stderr)
    print(f"helm {helm_version(binary)}, --jobs {args.jobs}, median of {args.rounds} rounds\n")
    print("| repository | targets | floor wall | floor CPU (helm) | cold wall | "
          "cold CPU in helm (x floor CPU) | cold CPU in platecheck |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
