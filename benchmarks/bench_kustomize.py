"""``platecheck lint`` of a Kustomize repository as a user runs it, next to the bare
``kubectl kustomize`` builds it needs, side by side.

The repository (``generate``): ``N`` apps under one ``kustomize/`` directory, each a base and
a ``stg`` and a ``prod`` overlay (``2 N`` targets), every base also listing a shared
``kustomize/_common`` directory (a ConfigMap), so that every build reaches into the same
directory as its siblings, the layout of many repositories of Kustomize apps; one Application
per app and environment. It is clean under platecheck's policies. Every run uses the kubectl
platecheck finds by default (``PLATECHECK_KUBECTL`` is set to it), the floor's too.

For each round: the floor (``kubectl kustomize`` of every overlay, ``--jobs`` at once,
nothing else); then for this platecheck (and, with ``--baseline PLATECHECK``, another
installed ``platecheck`` script, the two taking turns going first) a cold lint (empty cache),
a warm lint (nothing changed) and a changed lint (a comment added to one overlay's patch:
only its own build reads it). Every figure is a whole process, timed from outside, with the
CPU time of the processes it started; the findings of a round's cold, warm and changed runs
must agree. Prints a Markdown table of the medians and their ratios to the floor.

    python benchmarks/bench_kustomize.py [--apps 50] [--rounds 5] [--jobs 2]
                                         [--baseline PLATECHECK]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cli import (  # noqa: E402 - the benchmark next to this script
    BASELINE,
    RUNS,
    Subject,
    compile_baseline,
    compile_platecheck,
    lint_runs,
    platecheck_command,
    run_all,
)
from generate import CONFIG, write  # noqa: E402

from platecheck import __version__  # noqa: E402
from platecheck.helmbin import find_helm  # noqa: E402
from platecheck.helmbin.kubectl import ENV_KUBECTL, find_kubectl  # noqa: E402

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
spec:
  replicas: 1
  revisionHistoryLimit: 3
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/{app}:1.0.0
          imagePullPolicy: IfNotPresent
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 200m, memory: 256Mi}}
"""
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
spec:
  replicas: {replicas}
"""
APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {app}-{env}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/synthetic.git
    targetRevision: main
    path: kustomize/{app}/overlays/{env}
  destination:
    server: https://kubernetes.default.svc
    namespace: {app}-{env}
"""
ENVIRONMENTS = ("stg", "prod")


def generate(root: Path, apps: int) -> list[Path]:
    """Write the repository under ``root``; returns the overlays' patch files, in app order."""
    write(root / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(root / "policies" / "platecheck.yaml", CONFIG)
    common = root / "kustomize" / "_common"
    write(common / "kustomization.yaml", "resources: [configmap.yaml]\n")
    write(common / "configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                     "  name: common\ndata:\n  LOG_LEVEL: info\n")
    patches = []
    for index in range(apps):
        app = f"app-{index:03d}"
        base = root / "kustomize" / app / "base"
        write(base / "kustomization.yaml", "resources: [deployment.yaml, ../../_common]\n")
        write(base / "deployment.yaml", DEPLOYMENT.format(app=app))
        for env in ENVIRONMENTS:
            overlay = root / "kustomize" / app / "overlays" / env
            write(overlay / "kustomization.yaml",
                  f"resources: [../../base]\nnameSuffix: -{env}\npatches:\n  - path: patch.yaml\n")
            write(overlay / "patch.yaml", PATCH.format(app=app, replicas=3 if env == "prod" else 1))
            patches.append(overlay / "patch.yaml")
            write(root / "environments" / f"{app}-{env}.yaml", APPLICATION.format(app=app, env=env))
    return patches


def run_floor(kubectl: Path, overlays: list[Path], jobs: int) -> tuple[float, float]:
    """Seconds and CPU seconds of ``kubectl kustomize`` of every overlay, ``jobs`` at once."""
    return run_all([[str(kubectl), "kustomize", str(overlay)] for overlay in overlays], jobs,
                   check=True)


def table(subject: Subject, jobs: int, rounds: int) -> str:
    medians = {k: statistics.median(v) for k, v in subject.times.items() if v}
    cpu = {k: statistics.median(v) for k, v in subject.cpu.items() if v}
    lines = [f"platecheck {__version__}, kubectl kustomize, Python "
             f"{platform.python_version()}, {os.cpu_count()} CPUs, --jobs {jobs}, median of "
             f"{rounds} rounds", "",
             "| version | targets | floor | cold | warm | one overlay's patch changed | "
             "CPU: floor, cold, changed | load average |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for prefix in ("", BASELINE) if BASELINE + "cold" in medians else ("",):
        cells = [f"{medians[prefix + k]:.2f} s ({medians[prefix + k] / medians['floor']:.2f}x)"
                 for k in RUNS]
        lines.append(f"| {prefix.strip() or 'this'} | {subject.targets} | "
                     f"{medians['floor']:.2f} s | {' | '.join(cells)} | {cpu['floor']:.2f} s, "
                     f"{cpu[prefix + 'cold']:.2f} s, {cpu[prefix + 'changed']:.2f} s | "
                     f"{min(subject.load):.1f}-{max(subject.load):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=50, help="apps (targets: twice this)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline", type=Path, metavar="PLATECHECK",
                        help="another platecheck script to time in the same rounds")
    args = parser.parse_args(argv)
    compile_platecheck()
    if args.baseline is not None:
        compile_baseline(args.baseline)
    helm, kubectl = find_helm(None), find_kubectl()
    os.environ[ENV_KUBECTL] = str(kubectl)  # every platecheck timed builds with the floor's
    commands = {"": platecheck_command()}
    if args.baseline is not None:
        commands[BASELINE] = [str(args.baseline)]
    with tempfile.TemporaryDirectory(prefix="platecheck-bench-") as name:
        tmp = Path(name)
        patches = generate(tmp / "repo", args.apps)
        subject = Subject(f"kustomize {2 * args.apps}", tmp / "repo", patches[1],
                          targets=len(patches))
        original = subject.changed.read_bytes()
        for round_ in range(args.rounds):
            seconds, cpu = run_floor(kubectl, [p.parent for p in patches], args.jobs)
            subject.times["floor"].append(seconds)
            subject.cpu["floor"].append(cpu)
            order = list(commands.items())
            for prefix, command in order[round_ % 2:] + order[:round_ % 2]:
                lint_runs(subject, prefix, command, (helm, args.jobs, tmp, round_), original)
            subject.load.append(os.getloadavg()[0])
            print(f"  round {round_ + 1}: " + ", ".join(
                f"{k} {v[-1]:.2f}s" for k, v in subject.times.items() if v), file=sys.stderr)
        print(table(subject, args.jobs, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
