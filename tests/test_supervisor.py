"""The supervisor that starts platecheck's helm and kubectl processes: each starts as it
would on its own (no network, its own session, nothing inherited but its three streams,
default signal dispositions), is killed on time, and none outlives platecheck."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from platecheck import sandbox
from platecheck.errors import ENDED_BY_SIGNAL, PlatecheckError, transient
from platecheck.sandbox import run_bounded

pytestmark = pytest.mark.skipif(sandbox._supervisor() is None,
                                reason="no supervisor on this machine (pidfd_open)")

SH = "/bin/sh"


def _run(script: str, tmp_path: Path, timeout: float = 30) -> sandbox.Completed:
    return run_bounded([SH, "-c", script], env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path,
                       timeout=timeout)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_process_gets_its_streams_exit_code_and_working_directory(tmp_path: Path) -> None:
    done = _run("pwd; echo problem >&2; exit 3", tmp_path)
    assert (done.exit_code, done.stdout, done.stderr) == (
        3, f"{tmp_path}\n".encode(), b"problem\n")
    assert sandbox._supervisor() is not None


def test_a_process_inherits_only_its_three_streams_and_the_default_signals(
        tmp_path: Path) -> None:
    done = _run("ls /proc/self/fd; grep -E '^Sig(Ign|Blk):' /proc/self/status; "
                "echo env; env", tmp_path)
    lines = done.stdout.decode().splitlines()
    fds = lines[:lines.index("env")]
    # ls's own directory handle is the one descriptor beyond the three streams
    assert len([fd for fd in fds if fd.isdigit()]) == 4, fds
    assert "SigIgn:\t0000000000000000" in fds and "SigBlk:\t0000000000000000" in fds, fds
    names = {line.split("=")[0] for line in lines[lines.index("env") + 1:]}
    assert "PATH" in names and names <= {"PATH", "PWD", "SHLVL", "_", "OLDPWD"}, names


def test_a_process_runs_in_its_own_session(tmp_path: Path) -> None:
    done = _run("cut -d' ' -f6 /proc/self/stat; echo $$", tmp_path)
    session, pid = done.stdout.decode().split()
    assert session == pid  # sh is its session's leader


def test_a_process_reaches_no_network(tmp_path: Path) -> None:
    if not sandbox.network_isolation():
        pytest.skip("this machine allows no network namespace")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        done = run_bounded(
            [sys.executable, "-c",
             f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"],
            env={}, cwd=tmp_path, timeout=30)
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
    assert done.exit_code == 1
    assert b"ConnectionRefusedError" in done.stderr or b"OSError" in done.stderr


def test_a_program_that_does_not_exist_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(PlatecheckError) as raised:
        run_bounded([str(tmp_path / "missing")], env={}, cwd=tmp_path, timeout=5)
    assert str(tmp_path / "missing") in raised.value.message


def test_a_process_past_its_time_is_killed_with_its_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    with pytest.raises(PlatecheckError, match="timed out after 1 s"):
        _run(f"sleep 60 & echo $! > {pids}; echo $$ >> {pids}; wait", tmp_path, timeout=1)
    assert time.monotonic() - started < 10
    time.sleep(0.2)
    assert [pid for pid in map(int, pids.read_text().split()) if _alive(pid)] == []


def test_output_past_the_bound_stops_the_process(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 1 << 16)
    with pytest.raises(PlatecheckError, match="^sh's output is larger than"):
        _run("yes", tmp_path)  # named by the program that wrote it, not helm's


def test_a_command_the_supervisor_cannot_take_runs_on_its_own(tmp_path: Path) -> None:
    big = "x" * (sandbox._MAX_REQUEST + 1)
    done = run_bounded([SH, "-c", 'echo "${#BIG}"'], env={"BIG": big}, cwd=tmp_path,
                       timeout=30)
    assert done.stdout == f"{len(big)}\n".encode()
    done = run_bounded(["sh", "-c", "echo relative"], env={"PATH": "/usr/bin:/bin"},
                       cwd=tmp_path, timeout=30)
    assert done.stdout == b"relative\n"


@pytest.mark.parametrize("argv0", [SH, "sh"])  # the supervisor's, and one run on its own
def test_a_process_ended_by_a_signal_is_an_error_another_run_may_not_meet(
        tmp_path: Path, argv0: str) -> None:
    """Killed from outside (the kernel's out-of-memory killer, someone's kill), a process has
    no exit code to report as its input's: an error, one a report is not kept with."""
    with pytest.raises(PlatecheckError) as caught:
        run_bounded([argv0, "-c", "kill -KILL $$"], env={"PATH": "/usr/bin:/bin"},
                    cwd=tmp_path, timeout=30)
    assert caught.value.message == f"sh {ENDED_BY_SIGNAL} SIGKILL"
    assert transient(caught.value.message)


@contextlib.contextmanager
def _supervisor_alone() -> Iterator[socket.socket]:
    """A supervisor run without platecheck, and platecheck's end of its socket: closed
    when the block ends, after which the supervisor ends by itself."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = subprocess.Popen([sys.executable, "-I", "-S", str(sandbox.SUPERVISOR),
                                str(theirs.fileno()), str(1 << 30)], pass_fds=(theirs.fileno(),))
    theirs.close()
    try:
        assert ours.recv(16) == b"ready"
        yield ours
    finally:
        ours.close()
        assert process.wait(timeout=10) == 0


def test_the_supervisor_kills_on_time_without_platecheck(tmp_path: Path) -> None:
    with _supervisor_alone() as ours:
        status_r, status_w = os.pipe()
        request = {"op": "run", "id": 1, "argv": ["/bin/sleep", "60"], "env": {},
                   "cwd": str(tmp_path), "limit": 1}
        null = os.open(os.devnull, os.O_WRONLY)
        socket.send_fds(ours, [json.dumps(request).encode()], [null, null, status_w])
        os.close(status_w)
        os.close(null)
        started = time.monotonic()
        with os.fdopen(status_r, "rb") as status:
            lines = status.read().decode().splitlines()
        assert 0.9 < time.monotonic() - started < 10
        assert lines[0].startswith("pid ") and lines[1] == f"exit {-signal.SIGKILL}"


def test_the_supervisor_removes_the_private_directories_platecheck_left(tmp_path: Path) -> None:
    """When platecheck's end closes, the directories it named and has not said it is done
    with are removed; a directory not named as platecheck names its own is never touched."""
    left, done, foreign = (tmp_path / name for name in (
        "platecheck-left", "platecheck-done", "repository"))
    for directory in (left, done, foreign):
        (directory / "chart").mkdir(parents=True)
        (directory / "chart" / "values.yaml").write_text("a: 1\n")
    with _supervisor_alone() as ours:
        for op, path in (("scratch", left), ("scratch", done), ("done", done),
                         ("scratch", foreign), ("scratch", "platecheck-relative")):
            ours.send(json.dumps({"op": op, "path": str(path)}).encode())
    assert not left.exists()
    assert (done / "chart" / "values.yaml").is_file()
    assert (foreign / "chart" / "values.yaml").is_file()


_KILLED_PARENT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from platecheck.sandbox import run_bounded
    print("started", flush=True)
    run_bounded(["/bin/sh", "-c", "echo $$ > " + sys.argv[1] + "; exec sleep 60"], env={},
                cwd=Path(sys.argv[2]), timeout=600)
""")


def test_a_killed_platecheck_leaves_no_process_running(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    parent = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT, str(pid_file),
                               str(tmp_path)], stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text().strip()) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        assert _alive(child)
        parent.kill()  # SIGKILL: platecheck cleans nothing up
        parent.wait()
        deadline = time.monotonic() + 5  # far less than the 600 s the process was given
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        parent.kill()
        parent.wait()


def test_a_forked_process_starts_its_own_supervisor(tmp_path: Path) -> None:
    ours = sandbox._supervisor()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run one process, report its supervisor's pid
        try:
            done = _run("echo forked", tmp_path)
            mine = sandbox._supervisor()
            os.write(write, f"{done.stdout.decode().strip()} {mine.process.pid}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        said, supervisor = answer.read().decode().split()
    os.waitpid(pid, 0)
    assert said == "forked"
    assert ours is not None and int(supervisor) != ours.process.pid
    # the child let its copy of this process's socket go; this process's is untouched
    assert sandbox._supervisor() is ours
    assert _run("echo parent", tmp_path).stdout == b"parent\n"


_DIES_AT_ONCE = """
import socket, sys
channel = socket.socket(fileno=int(sys.argv[1]))
channel.send(b"ready")
channel.recv(1 << 20)  # the first request: the supervisor ends without starting it
"""


def test_a_supervisor_that_ends_is_replaced_and_nothing_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dying = tmp_path / "dying.py"
    dying.write_text(_DIES_AT_ONCE)
    monkeypatch.setattr(sandbox, "SUPERVISOR", dying)
    monkeypatch.setattr(sandbox, "_supervising", {})
    first = sandbox._supervisor()
    assert first is not None
    assert _run("echo alone", tmp_path).stdout == b"alone\n"  # run on its own instead
    assert not first.alive()
    second = sandbox._supervisor()
    assert second is not None and second is not first
    assert _run("echo again", tmp_path).stdout == b"again\n"


def test_where_no_supervisor_starts_processes_run_on_their_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    silent = tmp_path / "silent.py"
    silent.write_text("import sys\nsys.exit(3)\n")  # never says ready
    monkeypatch.setattr(sandbox, "SUPERVISOR", silent)
    monkeypatch.setattr(sandbox, "_supervising", {})
    assert sandbox._supervisor() is None
    done = _run("echo $$; cat /proc/$PPID/cmdline | tr '\\0' ' '", tmp_path)
    assert b"timeout" in done.stdout  # the old way: under coreutils timeout


_IGNORED_SCRIPT = """
import signal, sys, threading
from platecheck import sandbox
if sys.argv[1] == "alone":
    sandbox._supervisor = lambda: None
done = []
def run():
    done.append(sandbox.run_bounded(["/bin/sh", "-c", "grep ^SigIgn: /proc/self/status"],
                                    env={"PATH": "/usr/bin:/bin"}, cwd=".", timeout=30))
worker = threading.Thread(target=run)  # as helm runs: from a worker thread
worker.start()
worker.join()
sys.stdout.write(done[0].stdout.decode())
"""


@pytest.mark.parametrize("path", ["supervisor", "alone"])
def test_signals_platecheck_inherited_ignored_are_not_passed_on(tmp_path: Path,
                                                                 path: str) -> None:
    """Run as a background job (SIGINT and SIGQUIT ignored) or under nohup (SIGHUP),
    platecheck still starts each program with every signal at its default action, through
    the supervisor and without it."""
    def ignoring() -> None:
        for signum in (signal.SIGQUIT, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1):
            signal.signal(signum, signal.SIG_IGN)

    done = subprocess.run([sys.executable, "-c", _IGNORED_SCRIPT, path], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, preexec_fn=ignoring,
                          check=True)
    assert done.stdout.strip() == "SigIgn:\t0000000000000000", done.stdout + done.stderr


def _data_limit(done: sandbox.Completed) -> int:
    [line] = [x for x in done.stdout.decode().splitlines() if x.startswith("Max data size")]
    return int(line.split()[3])


def test_a_process_maps_at_most_the_data_bound(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the supervisor and without it alike."""
    from platecheck.limits import MAX_PROCESS_DATA

    assert _data_limit(_run("cat /proc/self/limits", tmp_path)) == MAX_PROCESS_DATA
    monkeypatch.setattr(sandbox, "_supervisor", lambda: None)
    assert _data_limit(_run("cat /proc/self/limits", tmp_path)) == MAX_PROCESS_DATA


def test_a_template_that_recurses_without_end_stops_at_the_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helm_bin: Path) -> None:
    """tpl of a value that calls tpl grows by gigabytes until helm runs out of memory: at the
    bound (here 256 MiB, so the test is quick), a could-not-check error, not the timeout."""
    from platecheck.engine import lint

    monkeypatch.setattr(sandbox, "_supervisor", lambda: None)
    monkeypatch.setattr(sandbox, "MAX_PROCESS_DATA", 256 << 20)
    chart = tmp_path / "loop"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: loop\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text('x: "{{ tpl .Values.x . }}"\n')
    (chart / "templates" / "cm.yaml").write_text("a: {{ tpl .Values.x . }}\n")
    started = time.monotonic()
    report = lint(chart, cache_dir=tmp_path / "cache", environments=["prod"])
    assert time.monotonic() - started < 60
    [error] = [e for e in report.errors if e.message.startswith("helm template failed: ")]
    # Go says "out of memory" or "cannot allocate memory", by where the bound stops it
    assert error.message.startswith("helm template failed: fatal error: runtime: ")
    assert "memory (it reached the 4 GiB of memory platecheck" in error.message
    assert "recurses without end" in error.message
    assert report.exit_code == 2
