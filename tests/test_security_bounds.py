"""Every bound is a clear error with file and line, reached quickly: values size and key
count, values merging, configuration numbers, helm processes at once, chart size."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platecheck.batch import jobs_for
from platecheck.cache import MAX_CHART_FILES
from platecheck.config import MAX_RENDER_TIMEOUT
from platecheck.discover import discover
from platecheck.engine import lint, load
from platecheck.errors import PlatecheckError, YamlTooComplex
from platecheck.limits import MAX_JOBS
from platecheck.model import Origin
from platecheck.values import Layer, merge_values
from platecheck.walk import remove_tree
from platecheck.yamlio import check_count
from security_helpers import add_crd, make_repo

pytestmark = pytest.mark.usefixtures("helm_bin")


def test_merging_values_is_linear() -> None:
    data = {f"key{i}": {"a": i, "b": [i, i]} for i in range(40_000)}
    started = time.monotonic()
    merged = merge_values(None, [Layer(data, "a.yaml"), Layer(data, "b.yaml")])
    assert time.monotonic() - started < 60  # quadratic: hours (a shared machine is slow)
    assert merged.origins[("key7", "b", 1)].file == "b.yaml"
    assert len(merged.data) == 40_000


_LIST_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {{name: envs, namespace: argocd}}
spec:
  generators:
  - list:
      elements:
{elements}  template:
    metadata: {{name: 'web-{{{{env}}}}'}}
    spec:
      project: default
      destination: {{server: https://kubernetes.default.svc, namespace: 'web-{{{{env}}}}'}}
      source: {{repoURL: https://git.example.com/platform.git, path: d}}
"""


def test_expanding_a_list_application_set_is_linear(tmp_path: Path) -> None:
    """Each element's Application takes the template's key lines, collected once per set:
    20,000 elements in seconds (a minute when collected again for every element)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "set.yaml").write_text(_LIST_SET.format(
        elements="".join(f"      - env: e{i}\n" for i in range(20_000))))
    started = time.monotonic()
    found = discover(tmp_path, [tmp_path])
    assert time.monotonic() - started < 30  # quadratic: a minute (and 100,000: 40 minutes)
    assert len(found.applications) == 20_000
    last = found.applications[-1]
    assert (last.name, last.file, last.line, last.destination_namespace) == (
        "web-e19999", "apps/set.yaml", 20_007, "web-e19999")
    assert last.lines[("spec", "source", "path")] == 20_013


def test_a_values_file_with_too_many_keys_is_refused_early(tmp_path: Path) -> None:
    keys = "".join(f"k{i}: {i}\n" for i in range(300_000))
    make_repo(tmp_path, values=keys)
    started = time.monotonic()
    model = load(tmp_path, use_cache=False)
    assert time.monotonic() - started < 60
    [error] = model.errors
    assert error.file == "charts/web/values-prod.yaml" and error.line is not None
    assert error.message.startswith("more than 250000 keys and items; platecheck does not "
                                    "read values this large")


def test_counting_keys_stops_at_the_limit() -> None:
    text = "".join(f"k{i}: [{i}, {i}]\n" for i in range(1_000_000))
    started = time.monotonic()
    with pytest.raises(YamlTooComplex):
        check_count(text, "v.yaml")
    assert time.monotonic() - started < 10
    check_count("a: [1, 2]\nb: {c: d}\n", "v.yaml")  # small files are not scanned


@pytest.mark.parametrize(("line", "message"), [
    ("renderTimeout: .nan", "renderTimeout must be a positive number of seconds"),
    ("renderTimeout: .inf", "renderTimeout must be a positive number of seconds"),
    ("renderTimeout: 100000", f"renderTimeout must be at most {MAX_RENDER_TIMEOUT} seconds"),
    ("jobs: 100000", f"jobs must be at most {MAX_JOBS}"),
])
def test_configuration_numbers_are_bounded(tmp_path: Path, line: str, message: str) -> None:
    make_repo(tmp_path, config=f"{line}\n")
    with pytest.raises(PlatecheckError) as raised:
        load(tmp_path, use_cache=False)
    assert raised.value.file == "policies/platecheck.yaml"
    assert raised.value.line == 2
    assert raised.value.message == message


def test_the_configuration_cannot_ask_for_more_helm_processes_than_cpus() -> None:
    cpus = os.cpu_count() or 1
    assert jobs_for(None, MAX_JOBS) == cpus
    assert jobs_for(None, None) == cpus
    assert jobs_for(3, MAX_JOBS) == 3  # the command line decides
    assert jobs_for(MAX_JOBS + 10, None) == MAX_JOBS


def test_the_command_line_caps_jobs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "platecheck", "lint", str(tmp_path),
                             "--jobs", str(MAX_JOBS + 1)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert f"must be at most {MAX_JOBS}" in result.stderr


def test_a_chart_with_too_many_files_is_not_rendered(tmp_path: Path) -> None:
    chart = make_repo(tmp_path)
    many = chart / "files"
    many.mkdir()
    for index in range(MAX_CHART_FILES + 1):
        (many / f"{index}.txt").write_bytes(b"")
    model = load(tmp_path, use_cache=False)
    assert model.rendered == ()
    [error] = model.errors
    assert error.file == "charts/web/Chart.yaml"
    assert error.message.startswith(f"chart has more than {MAX_CHART_FILES} files")


POLICY = "policies:\n  image-tag-pinned:\n    options:\n      floatingTagPattern: {}\n"


@pytest.mark.parametrize("pattern", ["^(a+)+$", r"^v(\.[0-9.]+)*$", "(x*)*y"])
def test_a_regex_that_can_backtrack_exponentially_is_refused(tmp_path: Path,
                                                             pattern: str) -> None:
    make_repo(tmp_path, config=POLICY.format(json.dumps(pattern)))
    with pytest.raises(PlatecheckError) as raised:
        load(tmp_path, use_cache=False)
    assert (raised.value.file, raised.value.line) == ("policies/platecheck.yaml", 5)
    assert raised.value.message.startswith(f"regular expression {pattern!r} repeats a group")


@pytest.mark.parametrize("pattern", ["^(?>a+)+$", r"^v(?>\.\d+)*$", r"^\d+(\.\d+)?-rc$",
                                     "^(latest|stable|dev-.*)$", r"^v(\.\d+)*$"])
def test_a_linear_regex_is_accepted(tmp_path: Path, pattern: str) -> None:
    make_repo(tmp_path, config=POLICY.format(json.dumps(pattern)))
    assert load(tmp_path, use_cache=False).errors == ()


def test_a_schema_pattern_that_can_backtrack_is_matched_in_linear_time(tmp_path: Path) -> None:
    """``re`` would backtrack for minutes over this pattern; helm matches it with Go's
    linear-time regexp, and so does platecheck (RE2): the value is refused, quickly, as helm
    refuses it, and a matching one passes."""
    chart = make_repo(tmp_path, values=f"a: {'a' * 40}b\n")
    (chart / "values.schema.json").write_text(json.dumps(
        {"properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}))
    started = time.monotonic()
    [error] = load(tmp_path, use_cache=False).errors
    assert time.monotonic() - started < 30
    assert (error.file, error.line) == ("charts/web/values-prod.yaml", 1)
    assert error.message.startswith("values do not meet the chart's values.schema.json at a")
    (chart / "values-prod.yaml").write_text(f"a: {'a' * 40}\n")
    assert load(tmp_path, use_cache=False).errors == ()


@pytest.mark.parametrize("steps", [190, 2000])
def test_a_schema_nested_deeper_than_platecheck_reads_is_refused_at_its_line(
        tmp_path: Path, steps: int) -> None:
    """Helm reads a schema nested up to Go's 10,000 levels; platecheck reads 200, as it reads
    YAML, and says so at the line that goes deeper: not an internal error (``json`` recursing
    too deep), nor a $ref the schema does not have (checking it recursing too deep)."""
    chart = make_repo(tmp_path)
    (chart / "values.schema.json").write_text(
        '{"properties": {"a":\n' * steps + '{"type": "string"}' + "}}" * steps)
    model = load(tmp_path, use_cache=False)
    assert model.rendered == ()
    [error] = model.errors
    assert (error.file, error.line, error.message) == (
        "charts/web/values.schema.json", 101,
        "JSON nested more than 200 levels deep; platecheck does not read it")


def test_a_schema_nested_just_within_the_bound_is_checked(tmp_path: Path) -> None:
    chart = make_repo(tmp_path, values="a: " + "{a: " * 98 + "1" + "}" * 98 + "\n")
    (chart / "values.schema.json").write_text(
        '{"properties": {"a":\n' * 99 + '{"type": "string"}' + "}}" * 99 + "\n")
    [error] = load(tmp_path, use_cache=False).errors
    assert (error.file, error.line) == ("charts/web/values-prod.yaml", 1)
    assert error.message == ("values do not meet the chart's values.schema.json at "
                             f"{'.'.join(['a'] * 99)}: 1 is not of type 'string'")


DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


def test_a_schema_pattern_whose_repeats_are_delimited_is_matched(tmp_path: Path) -> None:
    """Kubernetes' DNS-subdomain pattern repeats inside a repeat, but every pass starts with a
    dot nothing else in it matches: it is linear, and it is applied, not refused."""
    chart = make_repo(tmp_path, values="host: web.example.com\n")
    (chart / "values.schema.json").write_text(json.dumps(
        {"properties": {"host": {"type": "string", "pattern": DNS_SUBDOMAIN}}}))
    assert load(tmp_path, use_cache=False).errors == ()
    (chart / "values-prod.yaml").write_text("host: Web..example\n")
    [error] = load(tmp_path, use_cache=False).errors
    assert (error.file, error.line) == ("charts/web/values-prod.yaml", 1)
    assert error.message.startswith("values do not meet the chart's values.schema.json at host")


def test_a_crd_pattern_that_can_backtrack_is_matched_in_linear_time(tmp_path: Path,
                                                                      helm_bin: Path) -> None:
    """A CustomResourceDefinition's pattern that ``re`` would backtrack over for minutes is
    matched as the API server matches it (Go's regexp: RE2), quickly, run after run."""
    repo = tmp_path / "repo"
    chart = make_repo(repo)
    add_crd(chart, "Slow", "name", "                pattern: '^(a+)+$'\n",
            [("evil", "a" * 40 + "b"), ("fine", "a" * 40)])
    for _ in range(2):  # the second run reads what the first remembered
        started = time.monotonic()
        report = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
        assert time.monotonic() - started < 60
        assert report.errors == ()
        assert [(f.policy, f.resource) for f in report.findings
                if f.resource and f.resource.startswith("Slow/")] == [("k8s-schema", "Slow/evil")]


def test_a_crd_pattern_of_bounded_repeats_is_matched(tmp_path: Path, helm_bin: Path) -> None:
    """Gateway API's duration: bounded passes of a bounded repeat, matched as written."""
    repo = tmp_path / "repo"
    chart = make_repo(repo)
    add_crd(chart, "Route", "timeout",
            "                pattern: '^([0-9]{1,5}(h|m|s|ms)){1,4}$'\n",
            [("good", "1h30m"), ("bad", "banana")])
    report = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.resource) for f in report.findings if f.resource in (
        "Route/good", "Route/bad")] == [("k8s-schema", "Route/bad")]


def test_a_schema_file_pattern_that_can_backtrack_is_matched_in_linear_time(
        tmp_path: Path, helm_bin: Path) -> None:
    chart = make_repo(tmp_path, config="policies:\n  k8s-schema:\n    options:\n"
                                       "      schemaDirs: [schemas]\n")
    add_crd(chart, "Slow", "name", "                type: string\n", [("evil", "a" * 40 + "c")])
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "slow-example.com-v1.json").write_text(json.dumps(
        {"type": "object", "properties": {"spec": {"properties": {
            "name": {"type": "string", "pattern": "^(a|aa)*(b+)+$"}}}}}))
    started = time.monotonic()
    report = lint(tmp_path, helm=helm_bin, use_cache=False)
    assert time.monotonic() - started < 60
    assert report.errors == ()
    assert {f.message for f in report.findings if f.resource == "Slow/evil"} == {
        f"Slow/evil: spec.name: '{'a' * 40}c' does not match '^(a|aa)*(b+)+$'"}


@pytest.mark.parametrize("name", ["a[99999999]", "a[99999999999999999999]"])
def test_a_huge_parameter_index_is_refused_quickly(tmp_path: Path, name: str) -> None:
    make_repo(tmp_path)
    app = tmp_path / "apps" / "web.yaml"
    app.write_text(app.read_text().replace(
        "      valueFiles: [values-prod.yaml]\n",
        f"      valueFiles: [values-prod.yaml]\n      parameters:\n"
        f"        - name: {json.dumps(name)}\n          value: x\n"))
    started = time.monotonic()
    model = load(tmp_path, use_cache=False)
    assert time.monotonic() - started < 60
    assert model.rendered == ()
    [error] = [e for e in model.errors if e.target == "prod/web"]
    assert error.file == "apps/web.yaml"
    assert "internal error" not in error.message and "MemoryError" not in error.message



def test_a_parameter_thousands_of_indexes_deep_is_read_in_linear_time(tmp_path: Path) -> None:
    """Helm's --set parser bounds dotted names, not list indexes: ``deep[0]...[0]`` 5000 deep
    renders, and its origin at each depth is the parameter's value line (found walking down
    the path once, not back from every depth: minutes before)."""
    make_repo(tmp_path, data='  a: {{ kindOf .Values.deep | quote }}\n')
    app = tmp_path / "apps" / "web.yaml"
    app.write_text(app.read_text().replace(
        "      valueFiles: [values-prod.yaml]\n",
        "      valueFiles: [values-prod.yaml]\n      parameters:\n"
        f"        - name: deep{'[0]' * 5000}\n          value: x\n"))
    model = load(tmp_path, use_cache=False)
    assert model.errors == ()
    [rendered] = model.rendered
    [configmap] = rendered.resources
    assert configmap.doc["data"] == {"a": "slice"}
    entry = app.read_text().splitlines().index(f"        - name: deep{'[0]' * 5000}") + 2
    origins = rendered.values.origins
    assert origins[("deep",)] == origins[("deep", 0)] == Origin("apps/web.yaml", entry)
    assert origins[("deep",) + (0,) * 5000] == Origin("apps/web.yaml", entry)


def _deep(root: Path, levels: int) -> Path:
    """A directory ``levels`` deep under ``root`` (made one level at a time: ``makedirs``
    recurses too), holding a YAML file."""
    current = root
    root.mkdir(exist_ok=True)
    for _ in range(levels):
        current = current / "d"
        current.mkdir()
    (current / "deep.yaml").write_text("a: 1\n")
    return current


@pytest.mark.parametrize("kustomize", [False, True], ids=["directory", "kustomize-root"])
def test_a_tree_a_thousand_directories_deep_is_walked(
        tmp_path: Path, helm_bin: Path, kubectl_bin: Path, kustomize: bool) -> None:
    """Git stores it and Argo CD walks it; Python's recursive walks stopped at it (an
    internal error). A Kustomize source at the root copies the whole tree and removes the
    copy."""
    from synthetic import POD, application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "." if kustomize else "web",
                                                      "web-prod"),
        "web/pod.yaml": POD,
        **({"kustomization.yaml": "resources:\n  - web/pod.yaml\n"} if kustomize else {})})
    _deep(repo / "other", 1000)
    try:
        report = lint(repo, helm=str(helm_bin), cache_dir=tmp_path / "cache")
    finally:  # (pytest's removal of old temporary directories recurses)
        remove_tree(repo / "other")
    assert report.errors == ()
    assert [(f.policy, f.location) for f in report.findings if f.policy == "image-tag-pinned"] \
        == [("image-tag-pinned", "web/pod.yaml:8")]


def test_a_tree_a_thousand_directories_deep_is_copied_and_removed(tmp_path: Path) -> None:
    """What a Kustomize build copies, and a private directory's removal (``shutil``'s recurse
    too): the copy holds the deep file and its link, and nothing is left."""
    from platecheck.walk import copy_tree

    deepest = _deep(tmp_path / "tree", 1000)
    (tmp_path / "tree" / "link").symlink_to("d")
    (tmp_path / "tree" / ".git").mkdir()
    copy_tree(tmp_path / "tree", tmp_path / "copy", shutil.copyfile,
              lambda name: name == ".git")
    copied = tmp_path / "copy" / deepest.relative_to(tmp_path / "tree")
    assert (copied / "deep.yaml").read_text() == "a: 1\n"
    assert os.readlink(tmp_path / "copy" / "link") == "d"
    assert not (tmp_path / "copy" / ".git").exists()
    for tree in ("tree", "copy"):
        remove_tree(tmp_path / tree)
        assert not (tmp_path / tree).exists()


def test_an_application_name_longer_than_a_file_name_is_an_error_at_it(
        tmp_path: Path, helm_bin: Path) -> None:
    """Argo CD looks for ``.argocd-source-<name>.yaml`` and fails the source when it cannot
    (a name of 236 characters or more makes too long a file name); the other Applications
    are checked. It was an internal error that stopped the run."""
    from synthetic import CM, application, write_files

    long_name = "a" * 236 + "-prod"
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/long.yaml": application(long_name, "web", "web-prod"),
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/cm.yaml": CM.format(name="web")})
    report = lint(repo, helm=str(helm_bin), cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report.errors] == [
        ("apps/long.yaml:4", f"prod/{'a' * 236}")]
    assert [t.id for t in report.targets] == ["prod/web"]
