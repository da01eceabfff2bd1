"""helm has no way out: no network, a private copy of the chart without .git, bounded output
and time, and no helm process outlives platecheck."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from platecheck import sandbox
from platecheck.engine import load
from platecheck.helmbin import helm_major, install_helm
from platecheck.sandbox import MAX_OUTPUT
from security_helpers import TOKEN, make_repo

pytestmark = pytest.mark.usefixtures("helm_bin")


@pytest.fixture(params=[3, 4], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    path = install_helm(str(request.param))
    assert helm_major(path) == request.param
    return path


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def _schema(chart: Path, properties: dict[str, object]) -> None:
    (chart / "values.schema.json").write_text(json.dumps(
        {"type": "object", "properties": properties}))


def test_a_network_schema_ref_makes_no_connection(tmp_path: Path, helm: Path,
                                                 listener: Listener) -> None:
    chart = make_repo(tmp_path)
    _schema(chart, {"a": {"$ref": f"http://127.0.0.1:{listener.port}/a.json"}})
    model = load(tmp_path, helm=helm, use_cache=False)
    time.sleep(0.3)  # a late connection would still be counted
    assert listener.accepted == 0
    [error] = model.errors
    assert (error.file, error.target) == ("charts/web/values.schema.json", "prod/web")
    assert error.message.startswith(f"$ref http://127.0.0.1:{listener.port}/a.json is not "
                                    "fetched")
    assert model.rendered == ()


@pytest.mark.parametrize("ref", ["file:///dev/zero", "file:///etc/passwd"])
def test_a_schema_ref_out_of_the_chart_is_not_read(tmp_path: Path, ref: str) -> None:
    chart = make_repo(tmp_path)
    (chart / ".git").mkdir()
    (chart / ".git" / "config").write_text("{}")
    _schema(chart, {"a": {"$ref": ref}})
    started = time.monotonic()
    model = load(tmp_path, use_cache=False)
    assert time.monotonic() - started < 30
    [error] = model.errors
    assert error.file == "charts/web/values.schema.json"
    assert error.message == f"$ref {ref} leads out of the chart; platecheck does not read it"


@pytest.mark.parametrize(("ref", "values"), [
    ("defs.json#/name", "a: 1\n"), ("defs.json#/name", "{}\n"),
    ("./defs.json", "a: x\n"), ("../../.git/config", "a: 1\n"), (".git/config", "a: 1\n")])
def test_a_relative_schema_ref_is_refused_as_helm_refuses_it(tmp_path: Path, ref: str,
                                                             values: str) -> None:
    """helm resolves a relative ``$ref`` against /, not against the chart beside it, before
    it validates anything (Helm 3.17: "Reference /defs.json#/name must be canonical", Helm
    4: 'failing loading "file:///defs.json"'): the chart never renders, whatever the
    values, so it is could-not-check at the reference, and nothing is read."""
    chart = make_repo(tmp_path, values=values)
    (chart / "defs.json").write_text(json.dumps({"name": {"type": "string"}}))
    (chart / "values.schema.json").write_text(json.dumps(
        {"type": "object", "properties": {"b": {"type": "string"}, "a": {"$ref": ref}}},
        indent=1))
    [error] = load(tmp_path, use_cache=False).errors
    file = ref.split("#")[0]
    assert (error.file, error.line, error.message) == (
        "charts/web/values.schema.json", 8,
        f"$ref {file} is relative: helm resolves it against /, not against the chart, and "
        "cannot load it, so the chart does not render (nor in Argo CD); put what it names in "
        "this schema (under definitions, as #/definitions/...)")


def test_a_file_localhost_schema_ref_is_helm_4_s_file_alone(tmp_path: Path,
                                                            helm: Path) -> None:
    """``file://localhost/<the chart>/defs.json``: Helm 4's loader takes the path and reads
    the file (values checked against it); Helm 3 opens ``localhost/...`` relative to where
    it runs, and the chart does not render (platecheck passed it)."""
    chart = make_repo(tmp_path, values="a: 1\n")
    (chart / "defs.json").write_text(json.dumps({"type": "integer"}))
    _schema(chart, {"a": {"$ref": f"file://localhost{chart.resolve()}/defs.json"}})
    model = load(tmp_path, helm=helm, use_cache=False)
    if helm_major(helm) >= 4:
        assert model.errors == () and len(model.rendered) == 1
    else:
        [error] = model.errors
        assert error.file == "charts/web/values.schema.json"
        assert "names a host" in error.message


@pytest.mark.parametrize("value_file", ["../../.git/config", "/.git/config"])
def test_a_value_file_in_git_is_never_read(tmp_path: Path, value_file: str) -> None:
    """A value file that resolves into ``.git`` is refused before it is read: it was parsed
    first (an error about its YAML, which a message quoting it would have leaked)."""
    make_repo(tmp_path)
    app = tmp_path / "apps" / "web.yaml"
    app.write_text(app.read_text().replace("[values-prod.yaml]", f"['{value_file}']"))
    [error] = load(tmp_path, use_cache=False).errors
    assert error.file == ".git/config"
    assert "resolves into a .git directory" in error.message
    assert TOKEN not in error.message


def test_a_schema_ref_to_nothing_names_the_reference(tmp_path: Path) -> None:
    """``#/definitions/x`` in a schema of no definitions: helm fails the chart (Helm 3
    "Object has no key 'definitions'"); the error names the reference, not a class."""
    chart = make_repo(tmp_path, values="a: 1\n")
    _schema(chart, {"a": {"$ref": "#/definitions/x"}})
    [error] = load(tmp_path, use_cache=False).errors
    assert (error.file, error.message.split(" points")[0]) == (
        "charts/web/values.schema.json", "$ref #/definitions/x")


def test_a_schema_ref_cycle_is_refused_as_one(tmp_path: Path) -> None:
    """Two definitions that refer to each other: Helm 4 refuses the cycle, Helm 3 overflows
    its stack; platecheck says its check recursed too deep through the $refs."""
    chart = make_repo(tmp_path, values="a: 1\n")
    (chart / "values.schema.json").write_text(json.dumps({
        "type": "object", "properties": {"a": {"$ref": "#/definitions/b"}},
        "definitions": {"b": {"$ref": "#/definitions/c"}, "c": {"$ref": "#/definitions/b"}}}))
    [error] = load(tmp_path, use_cache=False).errors
    assert (error.file, error.line, error.message) == (
        "charts/web/values.schema.json", None,
        "checking this schema recurses deeper than platecheck goes, through its $refs")


def test_skip_schema_validation_turns_the_check_off(tmp_path: Path) -> None:
    import dataclasses

    from platecheck.model import MergedValues
    from platecheck.values_schema import check_values

    chart = make_repo(tmp_path)
    _schema(chart, {"a": {"$ref": "http://127.0.0.1:9/a.json"}})
    [target] = load(tmp_path, use_cache=False).targets
    check_values(dataclasses.replace(target, skip_schema_validation=True),
                 lambda: MergedValues(data={"a": 1}, origins={}))


def test_a_chart_at_the_repository_root_gives_helm_no_git(tmp_path: Path) -> None:
    make_repo(tmp_path, chart_path=".", data=(
        '  got: {{ .Files.Get ".git/config" | b64enc | quote }}\n'
        '  globbed: {{ .Files.Glob ".git/**" | len | quote }}\n'))
    model = load(tmp_path, use_cache=False)
    assert model.errors == ()
    [rendered] = model.rendered
    [configmap] = rendered.resources
    assert configmap.doc["data"] == {"got": "", "globbed": "0"}
    assert TOKEN not in rendered.manifest


@pytest.mark.parametrize(("link", "points_to", "leads"), [
    ("templates/git.txt", "../../../.git/config", "into .git"),
    ("git.txt", ".git/config", "into .git"),
    ("shared", "..", "to a directory holding the chart"),
    ("etc", "/etc", "out of the repository"),
])
def test_a_link_into_git_or_out_of_the_chart_is_refused(tmp_path: Path, link: str,
                                                         points_to: str, leads: str) -> None:
    chart = make_repo(tmp_path, data='  got: {{ .Files.Get "git.txt" | b64enc | quote }}\n')
    (chart / ".git").mkdir()
    (chart / ".git" / "config").write_text(TOKEN)
    (chart / link).symlink_to(points_to)
    model = load(tmp_path, use_cache=False)
    assert model.rendered == () and model.renders == 0
    [error] = model.errors
    assert (error.file, error.target) == (f"charts/web/{link}", "prod/web")
    assert error.message == (f"symbolic link to {points_to} leads {leads}; platecheck does not "
                             "follow it, so this chart is not rendered")


@pytest.mark.parametrize("tracked", [True, False], ids=["tracked", "untracked"])
def test_a_link_to_a_tracked_file_of_the_repository_is_followed_as_helm_follows_it(
        tmp_path: Path, helm: Path, tracked: bool) -> None:
    """A chart's ``LICENSE`` linked to the repository's (``../../LICENSE``, bjw-s's charts):
    helm follows it, and so does Argo CD (the link stays in the repository); the chart is
    rendered from a copy holding the file's bytes, as helm renders the chart itself. A file
    Git does not track (a CI job's credentials written into the checkout) is in no clone,
    and is not given to helm: the chart is refused."""
    chart = make_repo(tmp_path, data='  got: {{ .Files.Get "LICENSE" | quote }}\n')
    (tmp_path / "LICENSE").write_text("MIT\n")
    (chart / "LICENSE").symlink_to("../../LICENSE")
    subprocess.run(["git", "-C", str(tmp_path), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "charts" if not tracked else "."],
                   check=True)
    plain = subprocess.run([str(helm), "template", "web", str(chart)], capture_output=True,
                           check=True, text=True,
                           env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert '"MIT\\n"' in plain.stdout
    model = load(tmp_path, helm=helm, use_cache=False)
    if not tracked:
        assert [(e.file, e.message) for e in model.errors] == [
            ("charts/web/LICENSE", "symbolic link to ../../LICENSE leads to a file the Git "
             "index does not track; platecheck does not follow it, so this chart is not "
             "rendered")]
        return
    assert model.errors == ()
    [rendered] = model.rendered
    [configmap] = rendered.resources
    assert configmap.doc["data"]["got"] == "MIT\n"


@pytest.mark.parametrize(("link", "points_to"), [("templates/self", "."), ("sub/up", "..")])
@pytest.mark.parametrize("ignored", [False, True], ids=["walked", "helmignored"])
def test_a_link_back_to_a_directory_above_it_loops_as_in_helm(
        tmp_path: Path, helm: Path, link: str, points_to: str, ignored: bool) -> None:
    """helm follows a link to one of its own ancestors until the system refuses ("too many
    levels of symbolic links"), unless .helmignore leaves it out: the chart's copy holds the
    link, so helm decides as it does on the chart."""
    chart = make_repo(tmp_path)
    (chart / link).parent.mkdir(parents=True, exist_ok=True)
    (chart / link).symlink_to(points_to)
    if ignored:
        (chart / ".helmignore").write_text(f"{link}\n")
    plain = subprocess.run([str(helm), "template", "web", str(chart)], capture_output=True,
                           check=False, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert (plain.returncode == 0) is ignored
    model = load(tmp_path, helm=helm, use_cache=False)
    if ignored:
        assert model.errors == () and len(model.rendered) == 1
    else:
        assert model.rendered == () and model.errors
        assert all("too many levels of symbolic links" in e.message for e in model.errors)


def test_a_named_pipe_in_a_chart_is_not_opened(tmp_path: Path) -> None:
    chart = make_repo(tmp_path)
    os.mkfifo(chart / "templates" / "pipe.yaml")
    started = time.monotonic()
    model = load(tmp_path, use_cache=False)
    assert time.monotonic() - started < 30
    assert model.errors and model.rendered == ()
    for error in model.errors:  # the render and helm lint: neither read the pipe
        assert error.target == "prod/web"
        assert "templates/pipe.yaml is not a regular file" in error.message


def test_helm_output_is_bounded(tmp_path: Path) -> None:
    size = MAX_OUTPUT + (1 << 20)
    make_repo(tmp_path, data=f'  big: {{{{ repeat {size} "a" | quote }}}}\n')
    model = load(tmp_path, use_cache=False)
    [error] = model.errors
    assert error.file == "apps/web.yaml"
    assert error.message == ("helm template charts/web: helm's output is larger than 32 MiB; "
                             "platecheck stopped it")


def _helm_processes(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (a test's own temporary path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in command and b"template" in command:
            found.append(int(entry.name))
    return found


SLOW = "  slow: {{ range $i := until 200000000 }}{{ end }}x\n"


def test_a_render_that_times_out_leaves_no_helm_running(tmp_path: Path) -> None:
    make_repo(tmp_path, data=SLOW, config="renderTimeout: 1\n")
    started = time.monotonic()
    model = load(tmp_path, use_cache=False, jobs=1)
    assert time.monotonic() - started < 30
    messages = {error.message for error in model.errors}
    assert "helm template charts/web: timed out after 1 s" in messages
    time.sleep(0.5)
    assert _helm_processes(str(tmp_path)) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_platecheck_stops_helm(tmp_path: Path, signum: int) -> None:
    make_repo(tmp_path, data=SLOW)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "platecheck", "lint", str(tmp_path), "--no-cache"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not _helm_processes(str(tmp_path / "tmp")) and time.monotonic() < deadline \
                and process.poll() is None:
            time.sleep(0.1)
        assert _helm_processes(str(tmp_path / "tmp")), \
            f"helm never started (platecheck: {process.poll()})"
        process.send_signal(signum)
        code = process.wait(timeout=30)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert code in (130, 128 + signum), stderr
    deadline = time.monotonic() + 5  # killed processes leave /proc once the kernel is done
    while _helm_processes(str(tmp_path / "tmp")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _helm_processes(str(tmp_path / "tmp")) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the private copies are gone


def test_an_interruption_python_drops_still_stops_the_run(tmp_path: Path) -> None:
    """Python drops an exception a signal handler raises while the main thread runs a weak
    reference's callback (an import's module lock): the processes are killed by the handler
    all the same, and the run stops with that exception instead of waiting for them."""
    from platecheck import sandbox

    marker = tmp_path / "sleep-marker"

    def slow(_: int) -> sandbox.Completed:
        return sandbox.run_bounded(["/bin/sh", "-c", f"sleep 60; : {marker}"],
                                   env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=120)

    def meanwhile(_: Iterator[sandbox.Completed]) -> None:
        deadline = time.monotonic() + 20
        while len(_sleepers(str(marker))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            sandbox.interrupt(KeyboardInterrupt())
        except KeyboardInterrupt:
            pass  # as Python drops it in a callback

    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            sandbox.bounded_map(slow, [1, 2], 2, meanwhile)
    finally:
        sandbox.resume()
    assert time.monotonic() - started < 30
    assert _sleepers(str(marker)) == []


def _sleepers(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if marker.encode() in command and b"sleep" in command:
            found.append(int(entry.name))
    return found


def test_helm_outlives_a_killed_platecheck_by_its_timeout_at_most(tmp_path: Path) -> None:
    """Killed with SIGKILL, platecheck cleans nothing up: its supervisor kills helm (or, where
    none runs, helm's own timeout does) and removes the private copies of the charts."""
    make_repo(tmp_path, data=SLOW, config="renderTimeout: 2\n")
    private = tmp_path / "tmp"
    private.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "platecheck", "lint", str(tmp_path), "--no-cache"],
        env={**os.environ, "TMPDIR": str(private)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _helm_processes(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _helm_processes(str(tmp_path)), "helm never started"
        assert list(private.iterdir())  # the private copies
        process.kill()  # SIGKILL: platecheck cannot clean up
        process.wait()
        deadline = time.monotonic() + 2 + 5 + 5  # renderTimeout, the grace, some slack
        while _helm_processes(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _helm_processes(str(tmp_path)) == []
        if sandbox._supervisor() is not None:
            deadline = time.monotonic() + 5
            while list(private.iterdir()) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert list(private.iterdir()) == []
    finally:
        process.kill()
        process.wait()


def test_a_value_file_that_resolves_into_git_is_not_given_to_helm(tmp_path: Path) -> None:
    chart = make_repo(tmp_path)
    (chart / "values-prod.yaml").unlink()
    (tmp_path / ".git" / "values.yaml").write_text(f"token: {TOKEN}\n")
    (chart / "values-prod.yaml").symlink_to("../../.git/values.yaml")
    model = load(tmp_path, use_cache=False)
    assert model.rendered == () and model.renders == 0
    assert model.errors
    for error in model.errors:
        assert TOKEN not in error.message and error.target == "prod/web"


def _subchart(chart: Path, schema: dict[str, object], *, packed: bool = False) -> None:
    sub = chart / "charts" / "sub"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    (sub / "values.yaml").write_text("size: 1\n")
    (sub / "values.schema.json").write_text(json.dumps(schema))
    if packed:
        import tarfile

        with tarfile.open(chart / "charts" / "sub-0.1.0.tgz", "w:gz") as archive:
            archive.add(sub, arcname="sub")
        import shutil

        shutil.rmtree(sub)


def test_helm_still_checks_a_subcharts_schema(tmp_path: Path) -> None:
    chart = make_repo(tmp_path, values="sub:\n  size: big\n")
    _subchart(chart, {"properties": {"size": {"type": "integer"}}})
    [error] = load(tmp_path, use_cache=False).errors
    assert (error.file, error.target) == ("apps/web.yaml", "prod/web")
    assert error.message.startswith("helm template failed: ")


def _refused_without_fetching(root: Path, helm: Path, listener: Listener) -> None:
    """The repository at ``root`` is not rendered, for a subchart schema's ``$ref``, and
    nothing reached ``listener``."""
    model = load(root, helm=helm, use_cache=False)
    time.sleep(0.3)
    assert listener.accepted == 0
    assert model.rendered == () and model.errors
    for error in model.errors:
        assert error.target == "prod/web"
        assert "values.schema.json with a $ref: helm would fetch it" in error.message


@pytest.mark.parametrize("packed", [False, True], ids=["directory", "archive"])
def test_a_subchart_schema_with_a_ref_is_not_given_to_helm(tmp_path: Path, helm: Path,
                                                           listener: Listener,
                                                           packed: bool) -> None:
    chart = make_repo(tmp_path)
    _subchart(chart, {"properties": {
        "size": {"$ref": f"http://127.0.0.1:{listener.port}/size.json"}}}, packed=packed)
    _refused_without_fetching(tmp_path, helm, listener)


@pytest.mark.parametrize("packed", [False, True], ids=["directory", "archive"])
def test_a_subchart_schema_referring_into_itself_is_given_to_helm(tmp_path: Path, helm: Path,
                                                                  packed: bool) -> None:
    """``#/$defs/...`` resolves inside the schema, whatever the root's ``$id`` (cert-manager's
    and other published charts write that): helm validates it offline."""
    chart = make_repo(tmp_path, values="sub:\n  size: big\n")
    _subchart(chart, {"$schema": "http://json-schema.org/draft-07/schema#",
                      "$id": "https://charts.example.com/sub/values.schema.json",
                      "$defs": {"size": {"type": "integer"}},
                      "properties": {"size": {"$ref": "#/$defs/size"}}}, packed=packed)
    [error] = load(tmp_path, helm=helm, use_cache=False).errors
    assert error.message.startswith("helm template failed: ")  # helm applied the schema
    (chart / "values-prod.yaml").write_text("sub:\n  size: 3\n")
    model = load(tmp_path, helm=helm, use_cache=False)
    assert model.errors == () and len(model.rendered) == 1


@pytest.mark.parametrize("schema", [
    {"$defs": {"a": {"$id": "https://elsewhere.example.com/a.json"}},
     "properties": {"a": {"$ref": "#/$defs/a"}}},
    {"properties": {"a": {"$ref": "other.json#/a"}}},
    {"properties": {"a": {"$dynamicRef": "#meta"}}},
])
def test_a_subchart_schema_that_could_mean_another_document_is_refused(
        tmp_path: Path, helm: Path, schema: dict[str, object]) -> None:
    chart = make_repo(tmp_path)
    _subchart(chart, schema)
    model = load(tmp_path, helm=helm, use_cache=False)
    assert model.rendered == ()
    assert all("values.schema.json with a $ref" in e.message for e in model.errors)
    assert model.errors


def _tar_bytes(members: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)  # a regular file whatever its name ends with
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _chart_members(name: str, schema_name: str, schema: bytes) -> dict[str, bytes]:
    return {f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n".encode(),
            f"{name}/values.yaml": b"size: 1\n", schema_name: schema}


@pytest.mark.parametrize("layout", ["backslash", "trailing-slash", "nested"])
def test_a_subchart_schema_helm_reads_under_another_name_is_checked(
        tmp_path: Path, helm: Path, listener: Listener, layout: str) -> None:
    """helm's loader reads ``sub\\values.schema.json`` and ``sub/values.schema.json/`` as the
    subchart's schema, and the schema of a chart archive inside a chart archive: each with a
    ``$ref`` is refused like any other, and nothing is fetched."""
    chart = make_repo(tmp_path)
    schema = json.dumps({"properties": {"size": {
        "$ref": f"http://127.0.0.1:{listener.port}/size.json"}}}).encode()
    if layout == "nested":
        inner = _tar_bytes(_chart_members("inner", "inner/values.schema.json", schema))
        members = {**_chart_members("sub", "sub/charts/inner-0.1.0.tgz", inner)}
    else:
        name = "sub\\values.schema.json" if layout == "backslash" else \
            "sub/values.schema.json/"
        members = _chart_members("sub", name, schema)
    (chart / "charts").mkdir(exist_ok=True)
    (chart / "charts" / "sub-0.1.0.tgz").write_bytes(_tar_bytes(members))
    _refused_without_fetching(tmp_path, helm, listener)


@pytest.mark.parametrize("layout", ["files", "archive-files", "archive-at-root",
                                    "hidden-in-charts"])
def test_a_schema_or_archive_helm_loads_as_a_plain_file_is_no_subchart(
        tmp_path: Path, helm: Path, layout: str) -> None:
    """helm's loader takes a chart's ``values.schema.json`` at its root alone, and an
    archive only right in ``charts/`` (not one starting ``_`` or ``.``), for a subchart:
    elsewhere each is a file templates may read (JonasHess/homelab-iac vendors a chart
    whose root keeps its own older packages, nested ten deep: it was refused as archives
    nested too deep). Such files are given to helm as they are, and the chart renders."""
    chart = make_repo(tmp_path)
    schema = json.dumps({"properties": {"a": {"$ref": "http://127.0.0.1:1/a.json"}}}).encode()
    nested = _tar_bytes({"old/Chart.yaml": b"apiVersion: v2\nname: old\nversion: 0.0.1\n"})
    for _ in range(10):
        nested = _tar_bytes({"old/old.tgz": nested})
    files = {
        "files": {"files/values.schema.json": schema},
        "archive-files": {"charts/sub-0.1.0.tgz": _tar_bytes({
            **_chart_members("sub", "sub/files/values.schema.json", schema),
            "sub/old.tgz": nested})},
        "archive-at-root": {"old.tgz": nested},
        "hidden-in-charts": {"charts/_old.tgz": nested, "charts/.old/values.schema.json": schema},
    }[layout]
    for name, data in files.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_bytes(data)
    model = load(tmp_path, helm=helm, use_cache=False)
    assert (model.errors, len(model.rendered)) == ((), 1)


@pytest.mark.parametrize("pipe", [".helmignore", "charts/sub-0.1.0.tgz",
                                  "charts/sub/values.schema.json"])
def test_a_named_pipe_where_a_schema_or_archive_is_read_is_not_opened(
        tmp_path: Path, pipe: str) -> None:
    chart = make_repo(tmp_path)
    (chart / pipe).parent.mkdir(parents=True, exist_ok=True)
    if pipe.endswith(".json"):
        (chart / "charts" / "sub" / "Chart.yaml").write_text(
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    os.mkfifo(chart / pipe)
    started = time.monotonic()
    model = load(tmp_path, use_cache=False)
    assert time.monotonic() - started < 30
    assert model.rendered == () and model.errors
    for error in model.errors:
        assert error.target == "prod/web"
        assert f"{pipe} is not a regular file" in error.message
