"""``platecheck lint`` of an app-of-apps chart whose Applications each carry a large values
block, side by side with another platecheck.

The repository: one root Application deploying the chart ``apps``, whose template writes one
production Application per entry of ``apps`` (``--apps``) with ``helm.values`` made of the
chart's other values (``toYaml (omit $.Values "apps")``, ``--leaves`` scalars in maps of ten),
each deploying a small chart of this repository. Finding where each generated Application's fields were written searches
those values once per field: the cost of such a repository is in that search, not in helm.

Every figure is a whole ``platecheck lint`` process with an empty cache directory (imports
and every helm process included), the commands taking turns going first in each round; the
medians of ``--rounds`` and their ratio are printed, and the findings of the two commands
must agree.

    python benchmarks/bench_generated_values.py [--apps 60] [--leaves 500] [--rounds 3]
                                                [--baseline PLATECHECK]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/repo.git
    path: apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""

TEMPLATE = """\
{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ . }}-prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/repo.git
    path: web
    helm:
      values: |
        {{- toYaml (omit $.Values "apps") | nindent 8 }}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{ . }}-prod
{{- end }}
"""


def generate(root: Path, apps: int, leaves: int) -> None:
    """The repository described above, under ``root`` (a Git checkout of its own)."""
    files = {
        "root.yaml": ROOT,
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/templates/apps.yaml": TEMPLATE,
        "apps/values.yaml": "apps:\n" + "".join(f"  - app-{i:03d}\n" for i in range(apps))
        + "shared:\n" + "".join(
            f"  group{i // 10:03d}:\n" * (i % 10 == 0) + f"    key{i % 10}: value-{i}\n"
            for i in range(leaves)),
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def lint(command: list[str], repo: Path, cache: Path) -> tuple[float, list[tuple[str, ...]]]:
    """One cold ``platecheck lint``: its wall-clock seconds and its findings."""
    shutil.rmtree(cache, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([*command, "lint", str(repo), "--cache-dir", str(cache),
                           "--format", "json"], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    report = json.loads(done.stdout)
    return elapsed, sorted((f["policy"], f["file"] or "", str(f["line"]), f["message"])
                           for f in [*report["findings"], *report["errors"]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=60)
    parser.add_argument("--leaves", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, metavar="PLATECHECK",
                        help="another platecheck script to run side by side")
    args = parser.parse_args()
    commands = {"platecheck": [sys.executable, "-m", "platecheck"]}
    if args.baseline is not None:
        commands["baseline"] = [str(args.baseline)]
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "repo"
        generate(repo, args.apps, args.leaves)
        for round_ in range(args.rounds):
            order = list(commands) if round_ % 2 == 0 else list(reversed(commands))
            found = {}
            for name in order:
                elapsed, found[name] = lint(commands[name], repo, Path(scratch) / "cache")
                times[name].append(elapsed)
            if len({tuple(f) for f in found.values()}) != 1:
                sys.exit("the findings differ between the commands")
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.apps} Applications x {args.leaves} values leaves, medians of {args.rounds}:")
    for name, median in medians.items():
        print(f"  {name}: {median:.2f} s")
    if "baseline" in medians:
        print(f"  platecheck / baseline: {medians['platecheck'] / medians['baseline']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
