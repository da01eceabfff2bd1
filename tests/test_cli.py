"""The ``platecheck`` command as a user runs it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from parser_words import PARSER, hide_parser_words
from platecheck import __version__
from platecheck.helmbin import helm_version
from platecheck.policies import registry
from platecheck.yamlio import MAX_NESTING
from synthetic import application

REPO = Path(__file__).resolve().parent.parent
BROKEN = REPO / "tests" / "fixtures" / "repos" / "broken"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def run(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    cache = tmp_path_factory.mktemp("cli-cache")

    def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PLATECHECK_HELM": str(helm_bin), "PLATECHECK_CACHE_DIR": str(cache),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                           os.environ.get("PYTHONPATH")]))}
        return subprocess.run([sys.executable, "-m", "platecheck", *map(str, args)], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=300, check=False)

    return run


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version_names_platecheck_and_helm(run: Run) -> None:
    result = run("--version")
    assert result.returncode == 0
    first, second = result.stdout.splitlines()
    assert first == f"platecheck {__version__}"
    assert second.startswith(("helm 3.", "helm 4."))


@pytest.mark.parametrize("path", ["environments/", "helm/applications/plate-web"])
def test_this_repository_lints_clean(run: Run, path: str) -> None:
    """The repository, and a chart of it in chart mode (its configuration's
    singleEnvironment declaration of an app no chart linted deploys is no finding there)."""
    result = run("lint", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("0 errors,")


def test_missing_path_is_a_one_line_error(run: Run) -> None:
    line = _one_line_error(run("lint", "does-not-exist/"))
    assert line == "platecheck: error: does-not-exist/: path not found"


def test_another_tool_s_policies_directory_is_no_root_and_root_is_given(
        run: Run, tmp_path: Path) -> None:
    """``apps/policies/`` of Kyverno's policies marks no root (its sources resolved below
    ``apps/`` did not exist, the other repository's Application was this one's): the root
    is the checkout's, and ``--root`` names another, which findings are relative to."""
    from synthetic import ORIGIN, application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "apps/policies/require-labels.yaml": "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\n"
                                             "metadata:\n  name: require-labels\n",
        "apps/web-app.yaml": application("web", "apps/web", "web"),
        "apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    result = run("lint", repo / "apps", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [t["id"] for t in json.loads(result.stdout)["targets"]] == ["default/web"]
    result = run("lint", repo / "apps", "--root", repo / "apps")
    assert result.returncode == 2  # (below it, the source path apps/web does not exist)
    assert "\nweb-app.yaml:10: error [could-not-check]" in result.stdout, result.stdout


def test_nothing_to_check_is_not_a_pass(run: Run, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "docs").mkdir()
    line = _one_line_error(run("lint", tmp_path / "docs"))
    assert line.endswith("docs: nothing to check: no Argo CD Application or Helm chart found")
    line = _one_line_error(run("lint", "helm/applications/plate-llm", "--env", "prod"))
    assert line == ("platecheck: error: helm/applications/plate-llm: nothing to check: no Argo "
                    "CD Application or Helm chart found for environment prod")
    (tmp_path / "docs" / "apps.jsonnet").write_text("[]\n")  # an app-of-apps in Jsonnet
    line = _one_line_error(run("lint", tmp_path / "docs"))
    assert line.endswith("docs: nothing to check: no Argo CD Application or Helm chart found; "
                         "the Applications a .jsonnet file makes are found through the "
                         "Application (a YAML file) whose source evaluates it")


@pytest.mark.parametrize(("app", "expected"), [
    # Helm 3 and 4 word the template error differently; both name the template line, which
    # is where the error points
    ("failing.yaml", "charts/failing/templates/cm.yaml:6: error [could-not-check] prod/failing: "
                     "helm template failed: "),
    ("missing.yaml", "apps/missing.yaml:13: error [could-not-check] prod/missing: value file "
                     "'values-nope.yaml' not found (charts/ok/values-nope.yaml)"),
    ("malformed.yaml", f"apps/malformed.yaml:6: error [could-not-check] {PARSER}"),
])
def test_could_not_check_exits_2_with_the_file_and_line(run: Run, app: str,
                                                        expected: str) -> None:
    result = run("lint", BROKEN / "apps" / app)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    [line] = [line for line in map(hide_parser_words, result.stdout.splitlines())
              if line.startswith(expected)]
    if app == "failing.yaml":
        assert "failing/templates/cm.yaml:6:56" in line and "nil pointer" in line


def _small_repo(tmp_path: Path) -> Path:
    """One Application rendering one chart, with this fixture's configuration."""
    repo = tmp_path / "repo"
    shutil.copytree(BROKEN / "charts" / "ok", repo / "charts" / "ok")
    shutil.copytree(BROKEN / "policies", repo / "policies")
    (repo / "apps").mkdir()
    shutil.copy(BROKEN / "apps" / "ok.yaml", repo / "apps" / "ok.yaml")
    return repo


def test_special_files_are_not_read(run: Run, tmp_path: Path) -> None:
    repo = _small_repo(tmp_path)
    os.mkfifo(repo / "apps" / "pipe.yaml")  # reading it would wait for a writer forever
    (repo / "charts" / "evil").mkdir()
    (repo / "charts" / "evil" / "Chart.yaml").symlink_to("/dev/zero")  # endless
    # a Chart.yaml is read only for a chart something deploys
    (repo / "apps" / "evil.yaml").write_text(
        (repo / "apps" / "ok.yaml").read_text(encoding="utf-8")
        .replace("ok-prod", "evil-prod").replace("charts/ok", "charts/evil")
        .replace("      valueFiles: [values-prod.yaml]\n", "      releaseName: evil\n"),
        encoding="utf-8")
    result = run("lint", repo)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stdout.splitlines() if "could-not-check" in line]
    # the deployed chart whose Chart.yaml is a device is a could-not-check error, never read
    assert any(line.startswith("apps/evil.yaml:7: error [could-not-check] prod/evil: ")
               and "charts/evil" in line for line in errors), errors
    assert "apps/pipe.yaml: error [could-not-check] not a regular file (a named pipe); " \
           "platecheck reads only regular files" in errors


def test_deeply_nested_yaml_is_an_error_not_a_crash(run: Run, tmp_path: Path) -> None:
    repo = _small_repo(tmp_path)
    deep = "[" * 30000 + "]" * 30000  # libyaml's composer overflows the C stack on this
    (repo / "apps" / "deep.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: deep-prod\n"
        f"  annotations:\n    x: {deep}\n")
    # helm itself refuses more than 10000 levels; its output is checked before parsing too
    (repo / "charts" / "ok" / "templates" / "deep.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n"
        '  x: {{ repeat 2000 "[" }}{{ repeat 2000 "]" }}\n')
    result = run("lint", repo)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stdout.splitlines() if "could-not-check" in line]
    assert errors == [
        f"apps/deep.yaml:6: error [could-not-check] YAML nested more than {MAX_NESTING} levels "
        "deep; platecheck does not read it",
        "apps/ok.yaml:1: error [could-not-check] prod/ok: helm rendered YAML nested more than "
        f"{MAX_NESTING} levels deep from ok/templates/deep.yaml line 6"]


@pytest.mark.parametrize(("output", "message"), [
    ("missing/report.xml", "--output directory {tmp}/missing does not exist"),
    (".", "--output is a directory; name a file"),
    ("repo/apps", "--output is a directory; name a file"),
    ("repo/charts/ok/values-prod.yaml", "--output would write into charts/ok, which platecheck "
                                        "checks; write the report elsewhere"),
    ("repo/policies/report.xml", "--output would write into policies, which platecheck "
                                 "checks; write the report elsewhere"),
])
def test_output_is_checked_before_rendering(run: Run, tmp_path: Path, output: str,
                                            message: str) -> None:
    repo = _small_repo(tmp_path)
    # no helm is looked for: the output is refused first
    line = _one_line_error(run("lint", repo, "--output", output, "--helm", "/nonexistent/helm",
                               cwd=tmp_path))
    assert line == f"platecheck: error: {output}: {message.format(tmp=tmp_path)}"


@pytest.mark.parametrize("command", ["lint", "render"])
def test_output_never_overwrites_a_checked_file(run: Run, tmp_path: Path, command: str) -> None:
    repo = _small_repo(tmp_path)
    application = (repo / "apps" / "ok.yaml").read_text()
    line = _one_line_error(run(command, repo, "--output", "apps/ok.yaml", cwd=repo))
    assert line == ("platecheck: error: apps/ok.yaml: --output would overwrite apps/ok.yaml, "
                    "which platecheck checks; write the report elsewhere")
    line = _one_line_error(run(command, repo, "--output", "apps/report.xml", cwd=repo))
    assert line.endswith("--output would write into apps, which platecheck checks; write the "
                         "report elsewhere")
    assert (repo / "apps" / "ok.yaml").read_text() == application
    assert sorted(p.name for p in (repo / "apps").iterdir()) == ["ok.yaml"]
    assert run(command, repo, "--output", "report.txt", cwd=repo).returncode == 0
    assert (repo / "report.txt").stat().st_size > 0


@pytest.mark.parametrize("output", ["envs/prod/values.yaml", "envs/prod/extra-report.yaml"])
def test_output_never_writes_a_value_file_a_later_run_would_read(
        run: Run, tmp_path: Path, output: str) -> None:
    """A value file an Application names that is missing (``ignoreMissingValueFiles``), and
    one its glob would match: a report written there would be read as values next time."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "envs" / "prod").mkdir(parents=True)
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (repo / "chart" / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(application("web-prod", "chart", "web-prod",
        source_extra="    helm:\n      ignoreMissingValueFiles: true\n      valueFiles:\n"
                     "        - ../envs/prod/values.yaml\n        - /envs/prod/extra-*.yaml\n"))
    line = _one_line_error(run("lint", repo, "--output", output, cwd=repo))
    assert line.endswith(f"--output would overwrite {output}, which platecheck checks; write "
                         "the report elsewhere")
    assert not (repo / output).exists()


def test_render_never_writes_applications_into_the_repository(run: Run,
                                                               tmp_path: Path) -> None:
    """An app-of-apps chart's render holds Applications: ``render --output out.yaml`` in the
    repository would make them Application files of the next run (each found twice); it is
    refused, and written outside the repository (or as no manifest file) it is not."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "apps" / "templates").mkdir(parents=True)
    (repo / "apps" / "Chart.yaml").write_text("apiVersion: v2\nname: apps\nversion: 0.1.0\n")
    (repo / "apps" / "templates" / "web.yaml").write_text(application("web", "web", "web"))
    (repo / "web").mkdir()
    (repo / "web" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                          "  name: web\n")
    (repo / "root.yaml").write_text(application("root", "apps", "argocd"))
    line = _one_line_error(run("render", repo, "--output", "out.yaml", cwd=repo))
    assert line.endswith("--output would write Applications into the repository, where the "
                         "next run reads them as Application files; write the output "
                         "elsewhere")
    assert not (repo / "out.yaml").exists()
    assert run("render", repo, "--output", str(tmp_path / "out.yaml"), cwd=repo
               ).returncode == 0
    assert "kind: Application" in (tmp_path / "out.yaml").read_text()


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("source", ["directory", "kustomize"])
def test_output_never_overwrites_a_file_of_a_plain_or_kustomize_source(
        run: Run, tmp_path: Path, source: str) -> None:
    """The directory of a plain or Kustomize source is checked as a chart's is: an
    ``--output`` there is refused, and the manifest stays as written."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "manifests").mkdir()
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    (repo / "manifests" / "cm.yaml").write_text(manifest)
    if source == "kustomize":
        (repo / "manifests" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(application("web", "manifests", "web"))
    for output in ("manifests/cm.yaml", "manifests/report.xml"):
        line = _one_line_error(run("lint", repo, "--output", output, cwd=repo))
        assert line.endswith("--output would write into manifests, which platecheck checks; "
                             "write the report elsewhere")
    assert (repo / "manifests" / "cm.yaml").read_text() == manifest
    assert not (repo / "manifests" / "report.xml").exists()


@pytest.mark.usefixtures("kubectl_bin")
def test_output_never_writes_into_a_kustomize_base_outside_the_source(run: Run,
                                                                       tmp_path: Path) -> None:
    """An overlay's bases and components are read by the build: a report there is refused as
    in the overlay's own directory, whichever option names it."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for directory, kustomization in (("base", "resources: [cm.yaml]\n"),
                                     ("comp", "kind: Component\n"
                                              "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                                              "commonAnnotations: {team: web}\n"),
                                     ("overlay", "resources: [../base]\n"
                                                 "components: [../comp]\n")):
        (repo / directory).mkdir()
        (repo / directory / "kustomization.yaml").write_text(kustomization)
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    (repo / "base" / "cm.yaml").write_text(manifest)
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(application("web", "overlay", "web"))
    for option, output, checked in (("--output", "base/cm.yaml", "base"),
                                    ("--output", "base/report.xml", "base"),
                                    ("-o", "comp/report.xml", "comp")):
        line = _one_line_error(run("lint", repo, option, output, cwd=repo))
        assert line.endswith(f"--output would write into {checked}, which platecheck checks; "
                             "write the report elsewhere")
    line = _one_line_error(run("lint", repo, "--report", "junit=base/r.xml", cwd=repo))
    assert line == ("platecheck: error: base/r.xml: --report would write into base, which "
                    "platecheck checks; write the report elsewhere")
    assert (repo / "base" / "cm.yaml").read_text() == manifest
    assert not (repo / "base" / "report.xml").exists()
    assert run("lint", repo, "--report", "junit=r.xml", cwd=repo).returncode == 0


def test_report_file_errors_name_the_report_option(run: Run, tmp_path: Path) -> None:
    repo = _small_repo(tmp_path)
    line = _one_line_error(run("lint", repo, "--report", "junit=missing/r.xml",
                               "--helm", "/nonexistent/helm", cwd=tmp_path))
    assert line == (f"platecheck: error: missing/r.xml: --report directory {tmp_path}/missing "
                    "does not exist")


def test_cache_dir_is_one_cache_for_setup_and_lint(helm_bin: Path, tmp_path: Path) -> None:
    repo = _small_repo(tmp_path)
    cache = tmp_path / "cache"
    # where `platecheck setup --cache-dir` installs it
    installed = cache / "helm" / "3.17.3" / "helm"
    installed.parent.mkdir(parents=True)
    shutil.copy(helm_bin, installed)
    path = os.pathsep.join(d for d in ("/usr/bin", "/bin") if Path(d).is_dir())
    if shutil.which("helm", path=path):
        pytest.skip("a helm on the system PATH would be found first")
    env = {"PATH": path, "HOME": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                       os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "platecheck", "lint", str(repo),
                             "--cache-dir", str(cache)], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # helm's remembered version goes there too, not to ~/.cache (the repository has no schema
    # of its own: platecheck's packaged ones are not checked at run time)
    assert sorted(p.name for p in cache.iterdir()) == [
        ".pruned", "documents", "helm", "helm-versions.json", "parsed", "problems", "renders",
        "runs"]
    assert len(list((cache / "renders").rglob("*.json"))) == 2  # the template and the lint
    result = subprocess.run([sys.executable, "-m", "platecheck", "--version"],
                            env={**env, "PLATECHECK_CACHE_DIR": str(cache)},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.splitlines()[1] == f"helm {helm_version(helm_bin)} ({installed})"


@pytest.mark.parametrize("command", [["lint"], ["render"], ["diff", "stg", "prod"], ["setup"]],
                         ids=["lint", "render", "diff", "setup"])
def test_a_cache_dir_that_is_a_file_is_a_one_line_error(helm_bin: Path, tmp_path: Path,
                                                         command: list[str]) -> None:
    """A file given as the cache (or above it) would leave every run uncached in silence:
    refused, naming where it came from, before anything renders or downloads."""
    repo = _small_repo(tmp_path)
    (tmp_path / "cache").write_text("")
    paths = [] if command == ["setup"] else [str(repo)]
    env = {**os.environ, "PLATECHECK_HELM": str(helm_bin),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                       os.environ.get("PYTHONPATH")]))}

    def error(args: list[str], cache: str | None = None) -> str:
        result = subprocess.run([sys.executable, "-m", "platecheck", *command, *paths, *args],
                                cwd=tmp_path, capture_output=True, text=True, timeout=120,
                                check=False, env={**env, "PLATECHECK_CACHE_DIR": cache or
                                                  str(tmp_path / "other")})
        return _one_line_error(result)

    assert error(["--cache-dir", "cache"]) == (
        "platecheck: error: cache: --cache-dir is not a directory")
    assert error(["--cache-dir", "cache/sub"]) == (
        "platecheck: error: cache/sub: --cache-dir is under cache, which is not a directory")
    assert error([], cache=str(tmp_path / "cache")) == (
        f"platecheck: error: {tmp_path}/cache: the platecheck cache ($PLATECHECK_CACHE_DIR) "
        "is not a directory")
    assert not (tmp_path / "other").exists()


def test_version_names_a_cache_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("")
    env = {"PATH": "/nonexistent", "HOME": str(tmp_path),
           "PLATECHECK_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                       os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "platecheck", "--version"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.splitlines()[1] == (
        f"helm: not available: {tmp_path}/cache: the platecheck cache ($PLATECHECK_CACHE_DIR) "
        "is not a directory")


@pytest.mark.parametrize("command", [["lint"], ["diff", "stg", "prod"]])
def test_the_configuration_is_read_once(helm_bin: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        command: list[str]) -> None:
    from platecheck import cli

    repo = _small_repo(tmp_path)
    opened: list[str] = []
    real_open = os.open

    def counting_open(path: str | os.PathLike[str], *args: int, **kwargs: int) -> int:
        opened.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    # (stg holds nothing: diff names prod's app as a difference, exit 1)
    assert cli.main([*command, str(repo), "--no-cache"]) == (1 if "diff" in command else 0), \
        capsys.readouterr()
    # once as the configuration, once by discovery looking for Applications in every file
    config = str(repo / "policies" / "platecheck.yaml")
    assert [p for p in opened if p.endswith("platecheck.yaml")].count(config) == 2


def test_a_crash_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from platecheck import cli, engine

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(engine, "lint", crash)
    monkeypatch.delenv("PLATECHECK_DEBUG", raising=False)
    assert cli.main(["lint", "."]) == 2
    assert capsys.readouterr().err == (
        "platecheck: internal error: RuntimeError: something broke (set PLATECHECK_DEBUG=1 "
        "for the traceback)\n")
    monkeypatch.setenv("PLATECHECK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="broke"):
        cli.main(["lint", "."])


def test_bad_configuration_fails_before_rendering(run: Run, tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "repos" / "basic", tmp_path / "repo")
    config = tmp_path / "repo" / "policies" / "platecheck.yaml"
    config.write_text("policies:\n  resource-ranges:\n    options:\n      cpuu: {}\n")
    line = _one_line_error(run("lint", tmp_path / "repo"))
    assert line.startswith("platecheck: error: policies/platecheck.yaml:4:")
    assert "cpuu" in line


def test_bad_waiver_fails_before_rendering(run: Run, tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "repos" / "basic", tmp_path / "repo")
    waivers = tmp_path / "repo" / "policies" / "waivers.yaml"
    waivers.write_text("waivers:\n  - policy: image-tag-pinned\n    reason: upstream\n"
                       "    expires: 2030-01-01\n    owner: me\n")
    line = _one_line_error(run("lint", tmp_path / "repo", "--helm", "/nonexistent/helm"))
    assert line.startswith("platecheck: error: policies/waivers.yaml:5:"), line
    assert "owner" in line


@pytest.mark.parametrize(("name", "text", "message"), [
    ("platecheck.yaml", "kubernetesVersion: '1.31.0'\npolicies:\n  image-tag-pinned:\n"
     "    level: off\npolicies:\n  env-consistency:\n    level: warning\n",
     "policies/platecheck.yaml:5: duplicate key 'policies' (first at line 2)"),
    ("waivers.yaml", "waivers:\n  - policy: pull-policy\n    reason: upstream\n"
     "    expires: 2030-01-01\n    reason: other\n",
     "policies/waivers.yaml:5: duplicate key 'reason' (first at line 3)"),
], ids=["platecheck.yaml", "waivers.yaml"])
def test_a_key_written_twice_in_the_configuration_fails_before_rendering(
        run: Run, tmp_path: Path, name: str, text: str, message: str) -> None:
    """platecheck alone reads its configuration: a second block would silently replace the
    first (a policy turned off, then not), so it stops the run at load, naming both lines,
    and no yaml-hygiene finding says Helm keeps the last one."""
    shutil.copytree(REPO / "tests" / "fixtures" / "repos" / "basic", tmp_path / "repo")
    (tmp_path / "repo" / "policies" / name).write_text(text)
    line = _one_line_error(run("lint", tmp_path / "repo", "--helm", "/nonexistent/helm"))
    assert line == f"platecheck: error: {message}"


def test_junit_and_json_reports(run: Run, tmp_path: Path) -> None:
    import xmlschema

    out = tmp_path / "report.xml"
    assert run("lint", "environments/", "--format", "junit", "--output", out).returncode == 0
    xmlschema.XMLSchema(REPO / "tests" / "schemas" / "junit-10.xsd").validate(out)
    result = run("lint", "environments/", "--env", "prod", "--format", "json")
    document = json.loads(result.stdout)
    assert {target["environment"] for target in document["targets"]} == {"prod"}


def test_sarif_of_a_real_run_validates(run: Run) -> None:
    import jsonschema

    schema = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    result = run("lint", "environments/", "--format", "sarif")
    assert result.returncode == 0
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(sarif)
    rules = [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert rules == list(registry())
    # the upstream charts this repository accepts unrendered, each at its Application line
    locations = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                 for r in sarif["runs"][0]["results"]}
    assert "environments/argocd/apps/harbor.yaml" in locations


def test_render_prints_each_target(run: Run) -> None:
    result = run("render", "environments/", "--env", "prod")
    assert result.returncode == 0
    headers = [line for line in result.stdout.splitlines()
               if line.startswith("# platecheck target: ")]
    assert headers == ["# platecheck target: prod/ingress", "# platecheck target: prod/plate-api",
                       "# platecheck target: prod/plate-cache",
                       "# platecheck target: prod/plate-web"]
    assert "kind: Deployment" in result.stdout


def test_render_reports_every_problem_and_exits_2(run: Run) -> None:
    result = run("render", BROKEN / "apps" / "failing.yaml", BROKEN / "apps" / "ok.yaml",
                 BROKEN / "apps" / "kustomize.yaml", BROKEN / "apps" / "appset.yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "# platecheck target: prod/ok\n# source: Helm chart charts/ok (helm template)\n" \
        in result.stdout
    assert ("# platecheck target: prod/kustomized\n# source: Kustomize kustomize/base "
            "(kubectl kustomize)\n") in result.stdout
    lines = result.stderr.splitlines()
    assert lines[:1] == [
        "platecheck: prod/tenants: not rendered: ApplicationSet (Argo CD generates its "
        "Applications)"]
    [failed] = lines[1:]
    assert failed.startswith("platecheck: charts/failing/templates/cm.yaml:6: could not check "
                             "prod/failing: helm template failed: ")
    assert "nil pointer" in failed


def test_render_names_remote_charts(run: Run) -> None:
    result = run("render", "environments/argocd/apps/harbor.yaml")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == ("platecheck: platform/harbor: not rendered: remote chart harbor "
                             "1.17.1 from https://helm.goharbor.io\n")


def test_diff_reports_structural_drift(run: Run, tmp_path: Path) -> None:
    clean = run("diff", "stg", "prod")
    assert (clean.returncode, clean.stdout) == (0, "0 differences between stg and prod "
                                                   "(4 apps in both)\n")
    repo = tmp_path / "repo"
    for name in ("helm", "environments", "policies"):
        shutil.copytree(REPO / name, repo / name)
    values = repo / "helm/applications/plate-api/values-stg.yaml"
    values.write_text(values.read_text() + "nodeSelector:\n  disk: ssd\n")
    line = len(values.read_text().splitlines())
    drift = run("diff", "stg", "prod", repo)
    assert drift.returncode == 1
    assert drift.stdout.splitlines() == [
        f"helm/applications/plate-api/values-stg.yaml:{line}: values key \"nodeSelector.disk\" "
        "is set for stg/plate-api but not for prod/plate-api",
        "1 difference between stg and prod (4 apps in both)"]
    assert "unknown environment 'qa'" in _one_line_error(run("diff", "stg", "qa"))


def test_diff_of_an_environment_that_holds_nothing_names_each_app_of_the_other(
        run: Run, tmp_path: Path) -> None:
    """prod holds no Application: each app of stg is deployed there only (it said "0
    differences"), but one singleEnvironment declares so."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/web-staging.yaml": application("web-staging", "web", "web-staging"),
        "apps/api-staging.yaml": application("api-staging", "web", "api-staging"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "policies/platecheck.yaml": "policies:\n  env-consistency:\n    options:\n"
                                    "      singleEnvironment:\n"
                                    "        api: {environments: [stg], reason: a trial}\n"})
    result = run("diff", "stg", "prod", repo)
    assert (result.returncode, result.stdout.splitlines()) == (1, [
        "apps/web-staging.yaml:1: web is deployed to stg but not to prod, and "
        "singleEnvironment does not declare it",
        "1 difference between stg and prod (0 apps in both; prod holds no Application "
        "(configured environments: prod, stg))"])


def test_diff_names_what_it_could_not_compare_once(run: Run, tmp_path: Path) -> None:
    """A base both environments build fails (a remote resource): one line for the cause,
    naming both targets (it was printed once per target, naming none), and the summary says
    the app was not compared rather than counting no difference."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "apps/web-stg.yaml": application("web-stg", "stg", "web-stg"),
        "apps/web-prod.yaml": application("web-prod", "prod", "web-prod"),
        "base/kustomization.yaml": "resources:\n  - https://example.com/x/deploy.yaml\n",
        "stg/kustomization.yaml": "resources:\n  - ../base\n",
        "prod/kustomization.yaml": "resources:\n  - ../base\n"})
    result = run("diff", "stg", "prod", repo)
    lines = result.stdout.splitlines()
    assert result.returncode == 2
    assert [line.split(": ")[:2] for line in lines[:-1]] == [
        ["base/kustomization.yaml:2", "could not check prod/web, stg/web"]]
    assert lines[-1] == ("0 differences between stg and prod (1 apps in both, 1 of them not "
                         "compared: could not be checked)")


def test_diff_says_an_app_not_rendered_was_not_compared(run: Run, tmp_path: Path) -> None:
    """Both environments deploy a chart of a Helm repository, which platecheck does not
    render: nothing of it was compared (it said 0 differences, exit 0)."""
    from synthetic import application, write_files

    remote = ("    repoURL: https://charts.example.com\n    chart: nginx\n"
              "    targetRevision: 1.0.0\n")
    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **{
        f"apps/web-{env}.yaml": application(f"web-{env}", "web", f"web-{env}").replace(
            "    repoURL: https://git.example.com/repo.git\n    path: web\n", remote)
        for env in ("stg", "prod")}})
    result = run("diff", "stg", "prod", repo)
    assert (result.returncode, result.stdout.splitlines()) == (2, [
        "0 differences between stg and prod (1 apps in both, 1 of them not compared: not "
        "rendered)"])


@pytest.mark.parametrize(("value", "color"), [(None, True), ("", True), ("1", False)],
                         ids=["unset", "empty", "set"])
def test_no_color_set_to_a_value_turns_colour_off(monkeypatch: pytest.MonkeyPatch,
                                                  value: str | None, color: bool) -> None:
    """https://no-color.org: only a NO_COLOR that is set and not empty turns colour off."""
    from platecheck import cli
    from platecheck.report.destinations import ReportRequest

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    args = cli.build_parser().parse_args(["lint", "."])
    assert cli._style(args, ReportRequest("text", None)) == ("text", False, color)


def test_policies_and_explain(run: Run) -> None:
    listed = [line.split()[0] for line in run("policies").stdout.splitlines()]
    assert listed == list(registry())
    text = run("explain", "image-tag-pinned").stdout
    for section in ("What:", "Why:", "Options:", "Passes:", "Fails:", "Remediation:"):
        assert section in text
    line = _one_line_error(run("explain", "no-such-policy"))
    assert line.startswith("platecheck: error: unknown policy 'no-such-policy'")
    # the id every report gives what could not be checked is explained too
    explained = run("explain", "could-not-check")
    assert explained.returncode == 0 and explained.stdout.startswith("could-not-check: ")
    assert "Remediation: " in explained.stdout


def test_a_configuration_directory_without_configuration_is_a_usage_error(
        run: Run, tmp_path: Path) -> None:
    """``--config DIR`` names the configuration: a directory holding none of it (a typo, an
    empty checkout) is an error, not the built-in configuration in silence."""
    line = _one_line_error(run("lint", "environments/", "--config", str(tmp_path)))
    assert line.startswith(f"platecheck: error: {tmp_path}: the configuration directory holds "
                           "neither platecheck.yaml nor waivers.yaml")


def test_usage_errors_exit_2(run: Run) -> None:
    assert run().returncode == 2
    assert run("lint").returncode == 2
    assert run("lint", "environments/", "--jobs", "0").returncode == 2
    assert run("lint", "environments/", "--format", "yaml").returncode == 2
    line = _one_line_error(run("lint", "environments/", "--helm", "/nonexistent/helm"))
    assert "/nonexistent/helm" in line
    # a helm that does not answer `helm version` is one error, not one per target
    line = _one_line_error(run("lint", "environments/", "--helm", "/bin/false"))
    assert line == ("platecheck: error: /bin/false: not a usable helm: `helm version` printed "
                    "'nothing'")


def test_lint_never_writes_inside_the_checked_repository(run: Run, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for name in ("helm", "environments", "policies"):
        shutil.copytree(REPO / name, repo / name)

    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p.relative_to(repo)): (p.stat().st_mtime_ns, p.stat().st_size)
                for p in sorted(repo.rglob("*"))}

    before = snapshot()
    assert run("lint", repo / "environments").returncode == 0
    assert run("render", repo / "environments").returncode == 0
    assert snapshot() == before


def test_full_collections_are_rarer_during_a_command_and_restored_after(monkeypatch):
    import gc

    from platecheck import cli

    seen = []
    monkeypatch.setattr(cli, "_print_version", lambda: seen.append(gc.get_threshold()) or 0)
    before = gc.get_threshold()
    assert cli.main(["--version"]) == 0
    assert seen == [(before[0], before[1], cli.FULL_COLLECTION_EVERY)]
    assert gc.get_threshold() == before
    monkeypatch.setattr(cli, "_print_version", lambda: 1 / 0)  # an internal error: exit 2
    assert cli.main(["--version"]) == 2
    assert gc.get_threshold() == before


def test_the_command_ends_with_its_output_whole_and_its_exit_handlers_run() -> None:
    """``platecheck`` (``cli.run``) ends the process without the interpreter's teardown:
    what ``main`` wrote is all flushed, its exit code kept, the exit handlers and the threads
    still running done first."""
    script = """
import atexit, sys, threading, time
from platecheck import cli

def main():
    atexit.register(lambda: sys.stderr.write("handler ran\\n"))
    threading.Thread(target=lambda: (time.sleep(0.2), sys.stderr.write("thread done\\n"))
                     ).start()
    sys.stdout.write("x" * 300_000)  # more than any buffer holds, no newline
    sys.stderr.write("partial line")
    return 3

cli.main = main
cli.run()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=False,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] /
                                                                 "src")})
    assert result.returncode == 3
    assert result.stdout == "x" * 300_000
    assert result.stderr == "partial linethread done\nhandler ran\n"
