"""An in-process renderer, evaluated: the Helm SDK for Python (``helm-python-sdk``) next to the
helm binary, on every target platecheck renders.

For each target: ``helm template`` exactly as platecheck runs it, and ``Chart.render`` of the
SDK with the same value files merged in order (maps merged key by key, later files winning,
as helm merges ``-f`` files), the same release name and namespace. The outputs are compared
per template (the ``# Source:`` sections of helm's stream against the SDK's mapping of
template to text, each split into its non-empty documents). Prints the time per render both
ways and every target whose output differs. The SDK is not a platecheck dependency:

    pip install helm-python-sdk
    python benchmarks/bench_sdk.py [PATH] [--rounds 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from platecheck.engine import load
from platecheck.helmbin import find_helm
from platecheck.model import RenderTarget
from platecheck.render import Helm
from platecheck.sandbox import private_copy


def merged(files: Sequence[Path]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        _merge(result, data)
    return result


def _merge(into: dict[str, Any], over: Mapping[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def documents(text: str) -> list[str]:
    """The non-empty YAML documents of a stream, split at ``---`` lines."""
    return [doc.strip() for doc in re.split(r"(?m)^---[ \t]*$", text) if doc.strip()]


def helm_sections(stream: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    for doc in documents(stream):
        lines = doc.splitlines()
        if lines and lines[0].startswith("# Source: "):
            source = lines[0][len("# Source: "):]
            sections.setdefault(source, []).extend(documents("\n".join(lines[1:])))
    return sections


def sdk_sections(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    sections = {name: documents(text) for name, text in mapping.items()
                if not name.endswith("NOTES.txt")}
    return {name: docs for name, docs in sections.items() if docs}


def main(argv: Sequence[str] | None = None) -> int:
    from helm_python import Chart, HelmError  # type: ignore[import-not-found]

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="environments/", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    model = load(args.path, use_cache=False)
    targets: list[RenderTarget] = [t for t in model.targets if t.rendered_here]
    binary = find_helm(None)
    helm_times: list[float] = []
    sdk_times: list[float] = []
    differing: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        runner = Helm(binary=binary, workdir=Path(tmp), root=model.root)
        for target in targets:
            assert target.chart is not None
            call = runner.template_call(target)
            if not call.copy.exists():  # helm reads the private copy platecheck would make
                private_copy(call.chart, call.copy)
            values = merged([v.path for v in target.value_files])
            for data, _ in target.inline_values:
                _merge(values, data)
            chart = Chart.load(str(target.chart.path))
            for _ in range(args.rounds):
                start = time.perf_counter()
                done = subprocess.run([str(binary), *call.argv], env=runner.env, cwd=tmp,
                                      capture_output=True, text=True, check=False)
                helm_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                try:
                    out: Mapping[str, str] | None = chart.render(
                        values, name=target.release_name, namespace=target.namespace)
                except HelmError:
                    out = None
                sdk_times.append(time.perf_counter() - start)
            same = (done.returncode == 0) == (out is not None) and (
                out is None or helm_sections(done.stdout) == sdk_sections(out))
            if not same:
                differing.append(target.id)
    print(f"{len(targets)} targets, helm {runner.version}, SDK render median "
          f"{statistics.median(sdk_times) * 1000:.1f} ms, helm template median "
          f"{statistics.median(helm_times) * 1000:.1f} ms "
          f"({statistics.median(helm_times) / statistics.median(sdk_times):.0f}x)")
    print(f"identical output: {len(targets) - len(differing)} of {len(targets)}")
    for target_id in differing:
        print(f"  differs: {target_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
