"""The whole-run cache: a warm ``platecheck lint`` reports what a full run reports, without
loading the engine, and any change to what is checked is seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from platecheck.engine import lint
from platecheck.model import Report
from platecheck.modeljson import decode_report, encode_report
from platecheck.runcache import RUNS, cached_lint
from synthetic import generate


@pytest.fixture
def synthetic(tmp_path: Path, helm_bin: Path) -> tuple[Path, list[Path]]:
    """A generated repository of 3 apps (6 targets) and its values files."""
    root = tmp_path / "repo"
    return root, generate(root, 3)


def _run(root: Path, cache: Path) -> Report:
    return cached_lint([root / "environments"], cache_root=cache, skip=[])


def _outcome(report: Report) -> tuple[Any, ...]:
    return report.findings, report.errors, report.targets, report.exit_code


def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Report:
        raise AssertionError("the engine ran although nothing changed")

    monkeypatch.setattr("platecheck.engine.lint", refuse)


def test_warm_run_is_the_cold_report_without_the_engine(
        synthetic: tuple[Path, list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = synthetic
    cold = _run(root, tmp_path / "cache")
    assert cold.renders > 0 and not cold.errors
    _no_engine(monkeypatch)
    warm = _run(root, tmp_path / "cache")
    assert _outcome(warm) == _outcome(cold)
    assert (warm.renders, warm.cache_hits) == (0, cold.renders + cold.cache_hits)


def test_another_commit_checked_out_is_a_run_of_its_own(
        synthetic: tuple[Path, list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit checked out is part of what a run checks (Argo CD substitutes it for
    ``$ARGOCD_APP_REVISION``): with the same files at another commit, the kept answer of
    the first is not given, and the engine runs."""
    root, _ = synthetic
    refs = root / ".git" / "refs" / "heads"
    refs.mkdir(parents=True, exist_ok=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (refs / "main").write_text("1" * 40 + "\n")
    assert _run(root, tmp_path / "cache").renders > 0
    _no_engine(monkeypatch)
    _run(root, tmp_path / "cache")  # the same commit: the kept answer
    (refs / "main").write_text("0" * 40 + "\n")
    with pytest.raises(AssertionError, match="the engine ran"):
        _run(root, tmp_path / "cache")


def test_changed_values_file_is_seen_even_with_its_old_modification_time(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, files = synthetic
    prod = next(f for f in files if f.name == "values-prod.yaml")
    before = os.stat(prod)
    _run(root, tmp_path / "cache")
    text = prod.read_text(encoding="utf-8")
    prod.write_text(text.replace('tag: "1.', 'tag: "latest" # 1.', 1), encoding="utf-8")
    os.utime(prod, ns=(before.st_atime_ns, before.st_mtime_ns))
    changed = _run(root, tmp_path / "cache")
    full = lint(root / "environments", use_cache=False)
    assert _outcome(changed) == _outcome(full)
    assert any(f.policy == "image-tag-pinned" for f in changed.findings)
    assert changed.renders > 0


def test_a_cache_marker_in_the_repository_hides_no_change(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    # The checked repository writes its own CACHEDIR.TAG files: a chart directory marked as a
    # cache is still part of the key, so a changed values file there is seen.
    root, files = synthetic
    prod = next(f for f in files if f.name == "values-prod.yaml")
    (prod.parent / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    _run(root, tmp_path / "cache")
    text = prod.read_text(encoding="utf-8")
    prod.write_text(text.replace('tag: "1.', 'tag: "latest" # 1.', 1), encoding="utf-8")
    changed = _run(root, tmp_path / "cache")
    assert any(f.policy == "image-tag-pinned" for f in changed.findings)


def _cli_findings(path: Path, cache: Path, out: Path) -> tuple[int, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "platecheck", "lint", str(path), f"--cache-dir={cache}",
         "--format=json", f"--output={out}"], capture_output=True, text=True, check=False)
    data = json.loads(out.read_text(encoding="utf-8"))
    return done.returncode, (data["findings"], data["errors"], data["targets"])


def test_findings_identical_cold_warm_and_after_one_values_file_changed(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """The CLI as a user runs it: the JSON findings of the three runs agree."""
    root, files = synthetic
    cache, out = tmp_path / "cache", tmp_path / "report.json"
    cold = _cli_findings(root / "environments", cache, out)
    warm = _cli_findings(root / "environments", cache, out)
    files[0].write_text(files[0].read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    changed = _cli_findings(root / "environments", cache, out)
    assert cold == warm == changed
    assert cold[0] == 0


def test_findings_identical_cold_warm_and_changed_with_findings(
        tmp_path: Path, helm_bin: Path) -> None:
    """The same on a repository with findings, helm lint's among them (a chart linted with
    no value files, one with two), one values file changed between warm and changed."""
    root = tmp_path / "basic"
    shutil.copytree(Path(__file__).parent / "fixtures" / "repos" / "basic", root)
    cache, out = tmp_path / "cache", tmp_path / "report.json"
    cold = _cli_findings(root / "apps", cache, out)
    warm = _cli_findings(root / "apps", cache, out)
    values = root / "values" / "api-prod.yaml"
    values.write_text(values.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    changed = _cli_findings(root / "apps", cache, out)
    assert cold == warm == changed
    exit_code, (findings, errors, _) = cold
    assert exit_code == 1 and not errors
    assert {"chart-lint-warning", "env-consistency"} <= {f["policy"] for f in findings}


def test_errors_of_the_checked_content_are_answered_warm(
        synthetic: tuple[Path, list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A values file that does not parse fails every run alike: the warm run answers it (the
    same errors, exit code 2) without the engine."""
    root, files = synthetic
    files[0].write_text("replicaCount: [unclosed\n", encoding="utf-8")
    cold = _run(root, tmp_path / "cache")
    assert cold.errors and cold.exit_code == 2
    assert {e.file for e in cold.errors} == {files[0].relative_to(root).as_posix()}
    _no_engine(monkeypatch)
    warm = _run(root, tmp_path / "cache")
    assert _outcome(warm) == _outcome(cold)


def test_a_binary_s_change_time_alone_keys_no_new_run(
        synthetic: tuple[Path, list[Path]], tmp_path: Path, helm_bin: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hard link to helm (a confined Kustomize build links it into its root) changes its
    change time, not the binary: the next run is answered warm (it was done in full, every
    run after such a build)."""
    root, _ = synthetic
    cold = _run(root, tmp_path / "cache")
    before = os.stat(helm_bin).st_ctime_ns
    os.chmod(helm_bin, os.stat(helm_bin).st_mode)  # (as a link does: the change time alone)
    assert os.stat(helm_bin).st_ctime_ns != before
    _no_engine(monkeypatch)
    assert _outcome(_run(root, tmp_path / "cache")) == _outcome(cold)


def test_a_report_with_a_timeout_is_not_kept(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """A render that ran out of time may not next time: its report is not kept."""
    root, _ = synthetic
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "platecheck.yaml").write_text("renderTimeout: 0.001\n",
                                                       encoding="utf-8")
    first = _run(root, tmp_path / "cache")
    assert first.errors and all("timed out" in e.message for e in first.errors)
    assert not list((tmp_path / "cache" / RUNS).glob("[0-9a-f]*.json"))


def test_a_kubectl_installed_is_a_run_of_its_own(tmp_path: Path, kubectl_bin: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A Kustomize source with no kubectl to build it fails; once a kubectl is there (as
    ``platecheck setup`` installs it) the next run builds it rather than answer the error."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web", "web", "web"),
        "web/kustomization.yaml": "resources: [cm.yaml]\n",
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"})
    from platecheck.helmbin.locate import KUBECTL_VERSION

    monkeypatch.delenv("PLATECHECK_KUBECTL")
    monkeypatch.setenv("PATH", os.pathsep.join(  # none that holds a kubectl
        d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "kubectl").exists()))
    cache = tmp_path / "cache"
    first = cached_lint([repo], cache_root=cache, skip=[])
    assert [e.message.startswith("kubectl not found") for e in first.errors] == [True]
    installed = cache / "kubectl" / KUBECTL_VERSION / "kubectl"
    installed.parent.mkdir(parents=True)
    shutil.copy2(kubectl_bin, installed)
    second = cached_lint([repo], cache_root=cache, skip=[])
    assert not second.errors and second.builds == 1


def test_unreadable_entry_is_ignored(synthetic: tuple[Path, list[Path]],
                                     tmp_path: Path) -> None:
    root, _ = synthetic
    cold = _run(root, tmp_path / "cache")
    for entry in (tmp_path / "cache" / RUNS).glob("[0-9a-f]*.json"):
        entry.write_text('{"key": "x", "report": ["object", "os.system", {}]}',
                         encoding="utf-8")
    again = _run(root, tmp_path / "cache")
    assert _outcome(again) == _outcome(cold)
    assert again.renders == 0 and again.cache_hits > 0  # the render cache still served


def test_report_round_trips_through_json(synthetic: tuple[Path, list[Path]]) -> None:
    root, _ = synthetic
    report = lint(root / "environments", use_cache=False)
    assert decode_report(json.loads(json.dumps(encode_report(report))), root) == report


def test_an_object_held_in_many_places_is_written_once_and_read_back_as_one(
        synthetic: tuple[Path, list[Path]]) -> None:
    root, _ = synthetic
    report = lint(root / "environments", use_cache=False)
    shared = [t.value_files[0] for t in report.targets if t.value_files]
    assert len(shared) == 6 and len({id(v) for v in shared}) == 1  # the shared values file
    encoded = encode_report(report)
    text = json.dumps(encoded)
    assert text.count(f'"rel": {json.dumps(shared[0].rel)}') == 1
    # the order of an object's keys in the JSON does not matter (a kept entry is sorted)
    back = decode_report(json.loads(json.dumps(encoded, sort_keys=True)), root)
    assert back == report
    assert len({id(t.value_files[0]) for t in back.targets if t.value_files}) == 1


@pytest.mark.parametrize("bad", [
    {"format": 3, "report": ["object", "Popen", {"args": "true"}]},
    {"format": 3, "report": ["nope", 1]},
    {"format": 99, "report": None},
    {"format": 2, "report": ["object", "Report", {}]},  # an entry of an earlier version
    {"format": 3, "report": ["tuple", [["object", "Finding", {}]]]},
    {"format": 3, "report": ["ref", 0]},
    {"format": 3, "report": ["tuple", [["tuple", []], ["ref", 1]]]},  # itself, not yet written
    {"format": 3, "report": ["tuple", [["tuple", []], ["ref", "0"]]]},
    {"format": 3, "report": ["object", "Finding", {"nope": 1}]},
])
def test_decoding_refuses_anything_but_a_report(bad: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises((ValueError, TypeError)):
        decode_report(bad, tmp_path)


def _files_holding(directory: Path, text: str) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*")
                  if path.is_file() and os.fsencode(text) in path.read_bytes())


def test_no_cache_file_holds_the_checkout_path_and_a_copy_elsewhere_reads_it(
        synthetic: tuple[Path, list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    root, _ = synthetic
    cache = tmp_path / "cache"
    cold = _run(root, cache)
    warm = _run(root, cache)
    assert cold.renders > 0 and warm.renders == 0 and not cold.errors
    assert _files_holding(cache, str(root)) == []
    assert _files_holding(cache, str(tmp_path)) == []
    copy = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(root, copy, symlinks=True)
    full = lint(copy / "environments", use_cache=False)  # what the copy reports, uncached
    assert all(t.chart.path.is_relative_to(copy) for t in full.targets if t.chart)
    _no_engine(monkeypatch)  # the copy's run is answered by the cache entry
    moved = _run(copy, cache)
    assert moved.root == copy
    assert _outcome(moved) == _outcome(full)
    assert _files_holding(cache, str(copy)) == []


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from platecheck.cli import main

    code = main(argv)
    return code, capsys.readouterr().out


def test_a_warm_command_line_run_prints_the_kept_answer_as_a_warm_report_would(
        synthetic: tuple[Path, list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from platecheck.runcache import RunCache

    root, _ = synthetic
    junit = tmp_path / "report.xml"
    argv = ["lint", str(root / "environments"), f"--cache-dir={tmp_path / 'cache'}",
            f"--report=junit={junit}"]
    cold = _cli(argv, capsys)
    assert "helm runs, 0 cached)" in cold[1] and "(0 helm runs" not in cold[1]
    assert len(list((tmp_path / "cache" / RUNS).glob("*.answer"))) == 1
    # a warm run from the kept report, the answer not consulted
    with monkeypatch.context() as patch:
        patch.setattr(RunCache, "answer", lambda *args: None)
        from_report = _cli(argv, capsys), junit.read_bytes()
    junit.unlink()
    _no_engine(monkeypatch)
    monkeypatch.setattr(RunCache, "get", lambda *args: pytest.fail("the report was decoded"))
    from_answer = _cli(argv, capsys), junit.read_bytes()
    assert from_answer == from_report
    assert from_answer[0][0] == cold[0] == 0
    assert "(0 helm runs, " in from_answer[0][1]
    assert _files_holding(tmp_path / "cache", str(tmp_path).lstrip("/")) == []


def test_a_kept_answer_still_refuses_an_output_among_the_checked_files(
        synthetic: tuple[Path, list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from platecheck.runcache import RunCache

    root, _ = synthetic
    apps = root / "environments" / "apps"  # the Applications' own directory
    common = [f"--cache-dir={tmp_path / 'cache'}", "--format=json"]
    assert _cli(["lint", str(root), *common, f"--output={tmp_path / 'r.json'}"], capsys)[0] == 0
    assert list((tmp_path / "cache" / RUNS).glob("*.answer"))
    _no_engine(monkeypatch)
    monkeypatch.setattr(RunCache, "get", lambda *args: pytest.fail("the report was decoded"))
    code, out = _cli(["lint", str(root), *common, f"--output={apps / 'r.json'}"], capsys)
    assert code == 2 and out == ""
    assert not (apps / "r.json").exists()
    chart = next((root / "helm" / "apps").iterdir())
    values = chart / "values-prod.yaml"
    before = values.read_bytes()
    assert _cli(["lint", str(root), *common, f"--output={values}"], capsys)[0] == 2
    assert values.read_bytes() == before


def test_a_tampered_answer_is_ignored(synthetic: tuple[Path, list[Path]], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = synthetic
    argv = ["lint", str(root / "environments"), f"--cache-dir={tmp_path / 'cache'}"]
    _cli(argv, capsys)
    warm = _cli(argv, capsys)
    for kept in (tmp_path / "cache" / RUNS).glob("*.answer"):
        data = json.loads(kept.read_text(encoding="utf-8"))
        data["answer"]["exit_code"] = 0 if warm[0] else 1
        data["answer"]["texts"] = ["all clean\n"]
        kept.write_text(json.dumps(data), encoding="utf-8")
    assert _cli(argv, capsys) == warm


def test_a_removed_working_directory_does_not_stop_a_cached_run(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, _ = synthetic
    gone = tmp_path / "gone"
    argv = [sys.executable, "-m", "platecheck", "lint", str(root / "environments"),
            f"--cache-dir={tmp_path / 'cache'}"]
    script = 'mkdir "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"'
    runs = [subprocess.run(["sh", "-c", script, "sh", str(gone), *argv], capture_output=True,
                           text=True, check=False) for _ in range(3)]
    assert [run.returncode for run in runs] == [0, 0, 0], runs[-1].stderr
    assert "(0 helm runs, " in runs[2].stdout


def test_an_answer_naming_the_checkout_is_not_kept(tmp_path: Path) -> None:
    from platecheck.runcache import Answer, RunCache

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "k.json").write_text("{}", encoding="utf-8")  # its report is kept
    cache, root = RunCache(tmp_path / "runs"), tmp_path / "repo"
    relative = str(root).lstrip("/")  # as a path relative to / names it
    for text in (f"{root}/apps/x.yaml:3: bad\n", f"{relative}/apps/x.yaml:3: bad\n"):
        cache.keep_answer("k", "v", Answer((text,), 1, str(root), ()))
        assert cache.answer("k", "v", root) is None
    cache.keep_answer("k", "v", Answer(("apps/x.yaml:3: bad\n",), 1, str(root),
                                       (("app", "apps/x.yaml"),)))
    kept = cache.answer("k", "v", root)
    assert kept is not None
    assert (kept.texts, kept.exit_code, kept.root, kept.guards) == (
        ("apps/x.yaml:3: bad\n",), 1, str(root), (("app", "apps/x.yaml"),))
    moved = cache.answer("k", "v", tmp_path / "elsewhere")  # the same repository elsewhere
    assert moved is not None and moved.root == str(tmp_path / "elsewhere")


def test_a_kept_report_reads_back_and_an_altered_one_does_not(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    from platecheck.runcache import RunCache, as_kept

    root, _ = synthetic
    report = _run(root, tmp_path / "cache")
    cache = RunCache(tmp_path / "runs")
    cache.put("k", report)
    assert cache.get("k", report.root) == as_kept(report)
    entry = tmp_path / "runs" / "k.json"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text.replace('"prod"', '"qa"', 1), encoding="utf-8")
    assert cache.get("k", report.root) is None


@pytest.mark.parametrize("entry", ["runs/stat-index.json", "helm-versions.json"])
@pytest.mark.parametrize("kind", ["pipe", "device-link"])
def test_a_cache_entry_that_is_no_regular_file_is_never_read(
        synthetic: tuple[Path, list[Path]], tmp_path: Path, helm_bin: Path, entry: str,
        kind: str) -> None:
    """A named pipe (which would block) or a link to /dev/zero (which never ends) where the
    cache keeps its stat index or helm's versions: ignored, the run ends with the report."""
    root, files = synthetic
    cache = tmp_path / "cache"
    first, _ = _cli_findings(root / "environments", cache, tmp_path / "first.json")
    (files[0]).write_text(files[0].read_text(encoding="utf-8") + "# changed\n")
    (cache / entry).unlink(missing_ok=True)
    if kind == "pipe":
        os.mkfifo(cache / entry)
    else:
        (cache / entry).symlink_to("/dev/zero")
    done = subprocess.run(
        [sys.executable, "-m", "platecheck", "lint", str(root / "environments"),
         f"--cache-dir={cache}", f"--helm={helm_bin}"], capture_output=True, text=True,
        check=False, timeout=120)
    assert done.returncode == first
    assert "internal error" not in done.stderr


def test_a_source_directory_that_is_there_or_not_is_part_of_the_run(tmp_path: Path) -> None:
    """An empty source directory (one Git does not keep, so an error of its own) removed
    between two runs: the second run is no cached answer of the first."""
    from synthetic import application, write_files

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web", "web", "web")})
    (repo / "web").mkdir()
    cache = tmp_path / "cache"
    first = cached_lint([repo], cache_root=cache, skip=[])
    assert [e.message.split(" is ")[0] for e in first.errors] == ["source path 'web'"]
    assert "empty directory" in first.errors[0].message
    (repo / "web").rmdir()
    second = cached_lint([repo], cache_root=cache, skip=[])
    assert [e.message for e in second.errors] == ["source path 'web' does not exist"]


def test_a_warm_answered_run_imports_no_model_and_no_engine(
        synthetic: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """A warm run of an unchanged repository prints the kept answer: it imports neither the
    engine nor the model (reading which branches are the checkout once imported the model
    on every warm run). Told by the interpreter's own import log, not by a clock."""
    root, _ = synthetic
    argv = [sys.executable, "-X", "importtime", "-m", "platecheck", "lint",
            str(root / "environments"), f"--cache-dir={tmp_path / 'cache'}"]
    cold = subprocess.run(argv, capture_output=True, text=True, check=False)
    warm = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert cold.returncode == warm.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in warm.stderr.splitlines()
                if line.startswith("import time:")}
    assert "platecheck.cli" in imported and "platecheck.runcache" in imported
    assert imported.isdisjoint({"platecheck.model", "platecheck.engine", "yaml"})
