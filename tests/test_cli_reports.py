"""One lint run, several reports: ``--format``/``--output`` repeated and ``--report``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_helpers import Run, cli_runner
from platecheck.errors import PlatecheckError
from platecheck.report import FORMATS
from platecheck.report.destinations import requests

REPO = Path(__file__).resolve().parent.parent
BASIC = REPO / "tests" / "fixtures" / "repos" / "basic"


@pytest.fixture(scope="module")
def run(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return cli_runner(helm_bin, tmp_path_factory.mktemp("reports-cache"))


def test_one_run_writes_what_three_runs_write(run: Run, tmp_path: Path) -> None:
    # a warm cache for every run alike: the text summary counts helm runs and cache hits
    assert run("lint", BASIC).returncode == 1
    text = run("lint", BASIC)
    junit = run("lint", BASIC, "--format", "junit", "--output", tmp_path / "three.xml")
    sarif = run("lint", BASIC, "--format", "sarif", "--output", tmp_path / "three.sarif")
    assert text.returncode == junit.returncode == sarif.returncode == 1
    one = run("lint", BASIC, "--report", f"junit={tmp_path / 'one.xml'}",
              "--report", f"sarif={tmp_path / 'one.sarif'}")
    assert one.returncode == 1
    assert one.stdout == text.stdout
    assert "error [env-consistency]" in one.stdout
    assert (tmp_path / "one.xml").read_bytes() == (tmp_path / "three.xml").read_bytes()
    assert (tmp_path / "one.sarif").read_bytes() == (tmp_path / "three.sarif").read_bytes()
    # the same with --format/--output pairs and text named explicitly
    pairs = run("lint", BASIC, "--format", "junit", "--output", tmp_path / "pair.xml",
                "--format", "text", "--format", "sarif", "--output", tmp_path / "pair.sarif")
    assert pairs.returncode == 1
    assert pairs.stdout == text.stdout
    assert (tmp_path / "pair.xml").read_bytes() == (tmp_path / "three.xml").read_bytes()
    assert (tmp_path / "pair.sarif").read_bytes() == (tmp_path / "three.sarif").read_bytes()


def test_text_and_annotations_share_standard_output(run: Run) -> None:
    both = run("lint", BASIC, "--report", "github=-")
    assert both.returncode == 1
    text = run("lint", BASIC).stdout
    github = run("lint", BASIC, "--format", "github").stdout
    assert both.stdout == text + github


def test_every_report_file_is_checked_before_rendering(run: Run, tmp_path: Path) -> None:
    result = run("lint", BASIC, "--report", f"junit={tmp_path / 'ok.xml'}",
                 "--report", "sarif=policies/x.sarif", "--helm", "/nonexistent/helm", cwd=BASIC)
    assert result.returncode == 2
    assert result.stderr == ("platecheck: error: policies/x.sarif: --report would write into "
                             "policies, which platecheck checks; write the report elsewhere\n")
    assert not (tmp_path / "ok.xml").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "json", "--format", "sarif"],
     "several reports would go to standard output (json, sarif); give each but one a file"),
    (["--output", "a.xml", "--output", "b.xml"],
     "--output a.xml has no --format before it; give --format FORMAT --output FILE in pairs"),
    (["--report", "yaml=out.yaml"],
     "unknown report format 'yaml'; choose one of: github, json, junit, sarif, text"),
    (["--report", "junit={tmp}/r.xml", "--format", "sarif", "--output", "{tmp}/r.xml"],
     "{tmp}/r.xml: two reports (sarif and junit) would write the same file"),
])
def test_report_requests_that_cannot_work_are_one_line_errors(
        run: Run, tmp_path: Path, args: list[str], message: str) -> None:
    result = run("lint", BASIC, *(a.format(tmp=tmp_path) for a in args))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == f"platecheck: error: {message.format(tmp=tmp_path)}\n"


def test_a_malformed_report_option_is_a_usage_error(run: Run) -> None:
    result = run("lint", BASIC, "--report", "junit")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "platecheck lint: error: argument --report: expected FORMAT=PATH, e.g. "
        "junit=report.xml: 'junit'")


F, FILE = "FORMAT", "FILE"


@pytest.mark.parametrize(("ordered", "extra", "expected"), [
    (None, None, [("text", None)]),
    ([(FILE, "r.xml"), (F, "junit")], None, [("junit", "r.xml")]),  # one of each, any order
    ([(F, "junit"), (FILE, "-")], None, [("junit", None)]),
    ([(F, "junit"), (FILE, "a.xml"), (F, "text")], None, [("junit", "a.xml"), ("text", None)]),
    ([(F, "text"), (F, "junit"), (FILE, "a.xml")], None, [("text", None), ("junit", "a.xml")]),
    (None, [("sarif", "s.sarif")], [("text", None), ("sarif", "s.sarif")]),
    ([(F, "github")], [("sarif", "s"), ("text", "-")],
     [("github", None), ("sarif", "s"), ("text", None)]),
])
def test_formats_and_outputs_pair_in_order(
        ordered: list[tuple[str, str]] | None, extra: list[tuple[str, str]] | None,
        expected: list[tuple[str, str | None]]) -> None:
    result = requests(ordered, extra, list(FORMATS))
    assert [request[:2] for request in result] == [
        (fmt, None if path is None else Path(path)) for fmt, path in expected]
    # a file --report names is --report's in messages
    assert [request.option for request in result] == (
        ["--output"] * (len(expected) - len(extra or ())) + ["--report"] * len(extra or ()))


def test_a_report_standard_output_has_already_is_that_one() -> None:
    """``--report text=-`` asks for the default text report again: it is written once, and
    beside ``github=-`` it is the text ``github`` may share standard output with (it was
    "several reports would go to standard output (text, github, text)")."""
    assert [r[:2] for r in requests(None, [("text", "-")], list(FORMATS))] == [("text", None)]
    assert [r[:2] for r in requests(None, [("github", "-"), ("text", "-")], list(FORMATS))] \
        == [("text", None), ("github", None)]
    with pytest.raises(PlatecheckError, match="several reports would go to standard output"):
        requests([(F, "json")], [("text", "-")], list(FORMATS))
