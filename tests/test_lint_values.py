"""A lint with value files runs on a copy of the chart holding what those values come to, so
it can share a process (``platecheck.lintvalues``): helm prints exactly what it prints for the
lint with its value files, with Helm 3 and Helm 4 alike, and the values are written only where
that holds."""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platecheck.cache import HelmResult
from platecheck.helmbin import helm_major
from platecheck.lintvalues import HeldValues, lint_values
from platecheck.model import Chart, ValuesFile
from platecheck.render import Helm, HelmCall, lint_batches
from platecheck.yamlio import load_values

# A name helm lint refuses, made of a hash of every value the template sees: the lint's
# message carries it, so equal messages mean equal values (the subchart's under its key, the
# globals and the dependencies' defaults included). helm lint checks the chart's own
# templates only.
NAMED = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
         "  name: {{{{ toJson .Values | sha256sum | trunc 12 }}}}_{suffix}\n")
FILES = {
    "Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\nicon: https://example.com/i.png\n"
                  "dependencies:\n- name: sub\n  version: 0.1.0\n  condition: sub.enabled\n",
    "values.yaml": "replicas: 1\nimage: {repository: nginx, tag: '1.0'}\nlabels: {team: a}\n"
                   "list: [1, 2]\nratio: 0.5\nglobal: {env: dev}\nsub: {level: warn}\n"
                   "deep: {a: {b: {c: 1}}}\n"
                   # nulls under keys no value file sets: kept whole either way
                   "untouched: {x: null, y: {z: ~}, l: [1, null]}\nempty:\n",
    "templates/cm.yaml": NAMED.format(suffix="app"),
    "templates/deploy.yaml": (
        "{{- if .Values.oldApi }}\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n"
        "metadata: {name: pdb}\nspec: {minAvailable: 1}\n{{- end }}\n"),
    "templates/broken.yaml": "{{- if .Values.breakIt }}{{ .Values.nothing.here }}{{ end }}\n",
    "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n"
                             "icon: https://example.com/i.png\n",
    "charts/sub/values.yaml": "enabled: true\nlevel: info\nextra: null\n"
                              "nested: {a: 1, b: null, t: {x: 1}}\n",
    "charts/sub/templates/cm.yaml": NAMED.format(suffix="sub"),
}
# value files -> the lints that use them (file names under the chart's directory)
VALUES = {
    "one.yaml": "replicas: 3\nimage: {tag: '2.0'}\nlabels: {tier: web}\n"
                "sub: {level: debug, nested: {a: 2, t: {y: 2}}}\nglobal: {region: eu}\n",
    "common.yaml": "list: [3]\ndeep: {a: {b: {d: 2}}}\nextra: {k: v}\n",
    "env.yaml": "list: [4, 5]\ndeep: {a: {b: {c: 9}}}\nextra: {k: w}\noldApi: true\n",
    "numbers.yaml": "ratio: 1e6\ncount: 0x1F\nhuge: 99999999999999999999\n"
                    "big: 12345678901234567\nneg: -0.0\nsmall: 1.0e-7\n"
                    "text: \"\\u00fcn\\u00ef \\u2603 \\U0001F600 \\t\\\"q\\\"\"\n"
                    "flag: n\n'y': 1\n1: one\nwhen: 2024-01-01\nclock: 12:30\n"
                    "bin: !!binary aGk=\n",
    "off.yaml": "sub: {enabled: false}\nbreakIt: true\n",
    "conflict.yaml": "sub: {nested: {a: {b: 5}}}\n",  # a number of the subchart's, as a table
}
LINTS = {
    "one": ["one.yaml"],
    "two": ["common.yaml", "env.yaml"],
    "numbers": ["numbers.yaml"],
    "off": ["off.yaml", "one.yaml"],
    "conflict": ["conflict.yaml"],
}


@pytest.fixture
def helm(each_helm: Path) -> Path:
    return each_helm


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _chart(path: Path, metadata: dict[str, Any] | None = None) -> Chart:
    return Chart(path=path, rel=path.name, name=path.name, version="0.1.0", api_version="v2",
                 metadata=metadata or {})


def _values(path: Path) -> ValuesFile:
    return load_values(path, path.name)[0]


def _calls(tmp_path: Path, helm: Path) -> tuple[Helm, dict[str, HelmCall]]:
    chart_dir = tmp_path / "repo" / "app"
    _write(chart_dir, FILES)
    _write(tmp_path / "repo", VALUES)
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm, workdir=tmp_path / "work", root=tmp_path / "repo")
    chart = _chart(chart_dir, {"dependencies": [{"name": "sub", "condition": "sub.enabled"}]})
    calls = {}
    for name, files in LINTS.items():
        paths = [tmp_path / "repo" / file for file in files]
        values = lint_values(chart, _values(chart_dir / "values.yaml"),
                             [_values(p) for p in paths])
        assert values is not None, name
        calls[name] = runner.lint_call(chart, paths, "1.31.0", values)
        assert calls[name].unbaked is not None
        assert not any(a.startswith("--values=") for a in calls[name].argv)
    return runner, calls


def test_same_output_as_the_lint_with_value_files(helm: Path, tmp_path: Path) -> None:
    runner, calls = _calls(tmp_path, helm)
    asked = {name: runner._run_one(call.unbaked) for name, call in calls.items()
             if call.unbaked is not None}
    assert all(isinstance(r, HelmResult) for r in asked.values())
    # the values reach the templates: each lint names other values, and fails where they say
    names = {name: r.stdout for name, r in asked.items() if isinstance(r, HelmResult)}
    assert len(set(names.values())) == len(names)
    assert all("_app" in stdout for name, stdout in names.items() if name != "off")
    assert "nothing" in names["off"] and "PodDisruptionBudget" in names["two"]
    for name, call in calls.items():
        if name == "conflict":
            continue
        assert runner._run_one(call) == asked[name], name
        # helm itself, on the copy holding the values, says what it says with value files
        assert runner.portable(runner._run(call.argv, 60)) == asked[name], name


def test_lints_holding_their_values_share_a_process(helm: Path, tmp_path: Path) -> None:
    runner, calls = _calls(tmp_path, helm)
    quiet = [calls[name] for name in ("one", "two", "numbers")]
    assert lint_batches(quiet) == [quiet]
    assert runner._run_together(quiet) == [runner._run_one(call.unbaked) for call in quiet
                                           if call.unbaked is not None]


def test_what_a_chart_logs_whatever_its_values_is_taken_from_its_copy(
        helm: Path, tmp_path: Path,
        count_helm_runs: Callable[[], list[tuple[str, ...]]]) -> None:
    """The chart's own values set a table of its dependency's to a number: helm warns with
    any value files. Value files that set no key of a dependency give the same warnings on
    the copy holding them, which is not linted again."""
    files = {**FILES, "values.yaml": FILES["values.yaml"] + "sub2: {nested: {t: 5}}\n"}
    files.update({name.replace("charts/sub/", "charts/sub2/"):
                  text.replace("name: sub", "name: sub2")
                  for name, text in FILES.items() if name.startswith("charts/sub/")})
    chart_dir = tmp_path / "repo" / "app"
    _write(chart_dir, files)
    _write(tmp_path / "repo", {"mine.yaml": "replicas: 4\nlabels: {tier: db}\n"})
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm, workdir=tmp_path / "work", root=tmp_path / "repo")
    chart = _chart(chart_dir, {"dependencies": [{"name": "sub"}, {"name": "sub2"}]})
    paths = [tmp_path / "repo" / "mine.yaml"]
    held = lint_values(chart, _values(chart_dir / "values.yaml"), [_values(p) for p in paths])
    assert held is not None and held.logs_alike
    call = runner.lint_call(chart, paths, "1.31.0", held)
    assert call.unbaked is not None
    asked = runner._run_one(call.unbaked)
    started = count_helm_runs()
    assert runner._run_one(call) == asked
    assert started == [call.argv]
    if helm_major(helm) == 3:  # Helm 4 does not log this coalescing warning
        assert isinstance(asked, HelmResult) and "sub2.nested.t" in asked.stderr


def test_a_warning_about_values_runs_the_lint_with_its_value_files(helm: Path,
                                                                  tmp_path: Path) -> None:
    runner, calls = _calls(tmp_path, helm)
    call = calls["conflict"]
    assert call.unbaked is not None
    assert runner._run_one(call) == runner._run_one(call.unbaked)
    held = runner.portable(runner._run(call.argv, 60))
    assert held.stderr.strip()  # helm warned of the table set to a number


def _vendor_archived(chart_dir: Path) -> None:
    """charts/sub as the archive ``helm package`` makes of it."""
    with tarfile.open(chart_dir / "charts" / "sub-0.1.0.tgz", "w:gz") as tar:
        tar.add(chart_dir / "charts" / "sub", arcname="sub")
    shutil.rmtree(chart_dir / "charts" / "sub")


@pytest.mark.parametrize("archived", [False, True], ids=["directory", "archive"])
def test_a_dependency_table_replaced_unseen_is_linted_with_its_value_files(
        helm: Path, tmp_path: Path, archived: bool) -> None:
    """A number where the subchart's defaults hold a table and the chart's own values set
    nothing: with value files helm lint writes the subchart's defaults under the chart's
    values first and warns of the number; a copy holding the values would say nothing, so
    they are not written. Where the chart's own values set the key, or the subchart's
    default is not a table, they are, and helm says the same of the copy."""
    chart_dir = tmp_path / "repo" / "app"
    _write(chart_dir, {**FILES, "values.yaml": FILES["values.yaml"].replace(
        "sub: {level: warn}", "sub: {level: warn, own: {t: 1}}")})
    _write(chart_dir / "charts" / "sub", {"values.yaml": "own: {t: {x: 1}}\n"
                                          + FILES["charts/sub/values.yaml"]})
    if archived:
        _vendor_archived(chart_dir)
    _write(tmp_path / "repo", {"hidden.yaml": "sub: {nested: {t: 5}}\n",
                               "listed.yaml": "sub: {nested: {t: [5]}}\n",
                               "own.yaml": "sub: {own: {t: 5}}\n",
                               "scalar.yaml": "sub: {nested: {a: 5, new: 1}}\n"})
    (tmp_path / "work").mkdir()
    runner = Helm(binary=helm, workdir=tmp_path / "work", root=tmp_path / "repo")
    chart = _chart(chart_dir, {"dependencies": [{"name": "sub", "condition": "sub.enabled"}]})
    for name in ("hidden", "listed", "own", "scalar"):
        path = tmp_path / "repo" / f"{name}.yaml"
        held = lint_values(chart, _values(chart_dir / "values.yaml"), [_values(path)])
        real = runner._run_one(runner.lint_call(chart, [path], "1.31.0"))
        assert isinstance(real, HelmResult)
        if name in ("hidden", "listed"):
            assert held is None, name
            assert "sub.nested.t" in real.stderr, name
            continue
        assert held is not None, name
        call = runner.lint_call(chart, [path], "1.31.0", held)
        runner._prepare(call)
        assert runner.portable(runner._run(call.argv, 60)) == real, name


SUB = {"charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
       "charts/sub/values.yaml": "t: {x: 1}\nn: 1\n"}
INNER = {"charts/sub/charts/inner/Chart.yaml": "apiVersion: v2\nname: inner\nversion: 0.1.0\n"}


@pytest.mark.parametrize(("chart_values", "file", "extra", "held"), [
    ("a: 1\n", "sub: {t: 5}\n", SUB, False),  # a number for the subchart's table
    ("a: 1\n", "sub: {t: [5]}\n", SUB, False),
    ("a: 1\n", "sub: 5\n", SUB, False),
    ("sub: {t: 1}\n", "sub: {t: 5}\n", SUB, True),  # the chart's own number is replaced
    ("a: 1\n", "sub: {n: 5, u: 5, t: {y: 5}}\n", SUB, True),
    ("a: 1\n", "sub: {u: 5}\n", {**SUB, **INNER}, False),  # u may be a chart sub vendors
    ("a: 1\n", "sub: {t: {x: 5}}\n", {**SUB, **INNER}, True),
    ("a: 1\n", "sub: {t: 5}\n", {"charts/sub-0.1.0.tgz": "not an archive"}, False),
    ("a: 1\n", "sub: {t: 5}\n", None, True),  # not in charts/: helm loads no defaults
], ids=["number", "list", "number-for-all", "own-number", "not-tables", "vendoring",
        "vendoring-table", "unreadable", "not-vendored"])
def test_values_not_written_over_a_dependency_table_unseen(
        tmp_path: Path, chart_values: str, file: str, extra: dict[str, str] | None,
        held: bool) -> None:
    found = _lint_values(tmp_path, chart_values, file, extra=extra,
                         metadata={"dependencies": [{"name": "sub"}]})
    assert (found is not None) is held


def _lint_values(tmp_path: Path, chart_values: str | None, *files: str,
                 extra: dict[str, str] | None = None,
                 metadata: dict[str, Any] | None = None) -> HeldValues | None:
    chart_dir = tmp_path / "chart"
    _write(chart_dir, {**({"values.yaml": chart_values} if chart_values is not None else {}),
                       **(extra or {})})
    paths = []
    for index, text in enumerate(files):
        paths.append(tmp_path / f"v{index}.yaml")
        paths[-1].write_text(text, encoding="utf-8")
    return lint_values(_chart(chart_dir, metadata),
                       _values(chart_dir / "values.yaml") if chart_values is not None else None,
                       [_values(p) for p in paths])


def test_values_written_as_helm_merges_them(tmp_path: Path) -> None:
    assert _lint_values(tmp_path, "a: {b: 1, c: [1]}\nd: x\n", "a: {c: [2]}\ne: 1\n",
                        "a: {b: 3}\n") == HeldValues(
        '{"a": {"b": 3, "c": [2]}, "d": "x", "e": 1}', logs_alike=True)


@pytest.mark.parametrize(("files", "metadata", "alike"), [
    (["a: 2\n"], None, True),
    (["global: {x: 1}\n"], None, False),
    (["sub: {x: 1}\n"], {"dependencies": [{"name": "sub"}]}, False),
    (["db: {x: 1}\n"], {"dependencies": [{"name": "sub", "alias": "db"}]}, False),
    (["vendored: {x: 1}\n"], None, False),  # in charts/ only, by its Chart.yaml's name
    (["dir: {x: 1}\n"], None, True),  # the name of its directory is not its name
], ids=["own", "global", "dependency", "alias", "vendored", "directory-name"])
def test_logs_alike_unless_the_values_reach_a_dependency(
        tmp_path: Path, files: list[str], metadata: dict[str, Any] | None, alike: bool) -> None:
    vendored = {"charts/dir/Chart.yaml": "apiVersion: v2\nname: vendored\nversion: 1.0.0\n"}
    held = _lint_values(tmp_path, "a: 1\n", *files, extra=vendored, metadata=metadata)
    assert held is not None and held.logs_alike is alike


@pytest.mark.parametrize(("chart_values", "files", "extra", "metadata"), [
    (None, ["a: 1\n"], None, None),  # no values.yaml: lint says so
    ("a: 1\n", ["a: null\n"], None, None),  # a user null deletes the chart's key
    ("a: {b: null}\n", ["a: {c: 1}\n"], None, None),  # lint deletes this chart null
    ("a: {b: {c: ~}}\n", ["a: {d: 1}\n"], None, None),  # and this one, further down
    ("a: null\n", ["a: {c: 1}\n"], None, None),  # a table over the chart's null
    ("a: [null]\n", ["b: {c: ~}\n"], None, None),
    ("a: {b: 1}\n", ["a: 1\n"], None, None),  # a table against a number
    ("a: 1\n", ["a: {b: 1}\n"], None, None),
    ("a: 1\n", ["b: \"\\x85\"\n"], None, None),  # a line break to YAML 1.1
    ("a: 1\n", ["b: 1\n"], {".helmignore": "# defaults\nvalues.y*\n"}, None),
    ("a: 1\n", ["b: 1\n"], {".helmignore": "**/*.yaml\n"}, None),
    ("a: 1\n", ["b: 1\n"], {"requirements.yaml": "dependencies: []\n"}, None),
    ("a: 1\n", ["b: 1\n"], None,
     {"dependencies": [{"name": "sub", "import-values": ["data"]}]}),
], ids=["no-values-yaml", "user-null", "chart-null", "chart-null-deeper",
        "table-over-null", "null-below", "table-number",
        "number-table", "next-line", "helmignore", "helmignore-glob",
        "requirements", "import-values"])
def test_values_not_written_where_not_exact(tmp_path: Path, chart_values: str | None,
                                            files: list[str], extra: dict[str, str] | None,
                                            metadata: dict[str, Any] | None) -> None:
    assert _lint_values(tmp_path, chart_values, *files, extra=extra, metadata=metadata) is None
    # and with the difference taken away, they are
    held = _lint_values(tmp_path / "plain", "a: 1\n", "b: 1\n")
    assert held is not None and held.text == '{"a": 1, "b": 1}'


def test_values_too_big_for_a_chart_file_are_linted_as_value_files(
        helm_bin: Path, tmp_path: Path) -> None:
    """The value files come to more than Helm's 5 MiB for one chart file: held in the copy's
    values.yaml, helm lint would refuse the chart for a file the user never wrote; they are
    passed as value files instead, as ``helm lint -f`` of them passes."""
    from platecheck.engine import lint
    from synthetic import application, write_files

    big = "big:\n" + "".join(f"  key{i:06d}: \"{'x' * 60}\"\n" for i in range(90_000))
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "envs/prod.yaml": big,
        "apps/web.yaml": application("web", "chart", "web", source_extra=(
            "    helm:\n      valueFiles: [../envs/prod.yaml]\n")),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "replicas: 1\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert len(big) > 5 << 20
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "chart-metadata"] == []
