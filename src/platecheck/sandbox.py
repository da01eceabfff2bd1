"""How helm is confined: a private copy of the chart, no network, a bounded process.

- ``private_copy``: helm reads a copy of the chart directory in platecheck's temporary
  directory, never the repository: no ``.git`` (a chart at the repository root would hand
  helm's ``.Files`` the token that ``actions/checkout`` leaves in ``.git/config``), nothing
  outside the chart (symbolic links are resolved when they stay in it and refused
  otherwise), regular files only, and not the rendered chart's ``values.schema.json``:
  platecheck validates the values against it without fetching anything
  (``platecheck.values_schema``). helm still validates subcharts against theirs (a
  ``file://`` dependency's too), which must reference nothing helm would fetch.
- ``run_bounded``: one helm process in its own process group, in a network namespace when the
  machine allows one (``unshare --net``), killed as a group on timeout, on SIGTERM/SIGINT of
  platecheck and when its output passes ``MAX_OUTPUT`` bytes. The supervisor
  (``platecheck.supervisor``), started once inside the namespace, starts each process and
  kills what is left when platecheck ends, even killed with SIGKILL; where it cannot run,
  each process runs under ``unshare --net`` and coreutils ``timeout`` of its own, so no helm
  runs past its time either way.

See docs/security.md.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import itertools
import json
import os
import posixpath
import re
import resource
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from platecheck.boundedread import is_regular_file, read_at_most
from platecheck.cache import chart_tree
from platecheck.errors import (
    CANNOT_RUN,
    ENDED_BY_SIGNAL,
    NO_NAMESPACES,
    STOPPING,
    SUPERVISOR_ENDED,
    TIMED_OUT,
    PlatecheckError,
)
from platecheck.limits import MAX_PROCESS_DATA
from platecheck.supervisor import SCRATCH_PREFIX, default_signals
from platecheck.walk import temporary_directory

T = TypeVar("T")
R = TypeVar("R")

SCHEMA_FILE = "values.schema.json"

MAX_OUTPUT = 32 << 20  # bytes of helm's stdout (and, separately, stderr) read at most
_GRACE = 5  # seconds ``timeout`` waits beyond platecheck's own deadline
_CHUNK = 1 << 16

_running: set[Callable[[], None]] = set()  # how to stop each process that runs
# reentrant: ``interrupt`` takes it in a signal handler, which may run in the thread holding it
_running_lock = threading.RLock()
# Set by ``kill_all`` while platecheck is being stopped: a worker thread that was about to start
# a process must not start one that nothing would stop.
_stopping = threading.Event()
_interrupted: list[BaseException] = []  # what stopped platecheck (``interrupt``)


@dataclass(frozen=True)
class Completed:
    exit_code: int
    stdout: bytes
    stderr: bytes


def private_copy(chart: Path, dest: Path, skip: Sequence[Path] = (),
                 dependency: bool = False, within: Path | None = None) -> None:
    """Copy what helm may read of ``chart`` into ``dest`` (which must not exist, unless the
    directories ``skip`` of ``chart``, copied before, are there), following its links
    within ``within`` (the repository; default: the chart) as helm follows them. Links out
    of it or into ``.git`` are refused by ``chart_tree`` before this runs; a file that is
    not regular here is a could-not-check error, never opened for reading. The chart's own
    ``values.schema.json`` is left out, unless it is copied as a ``dependency`` of the
    chart rendered: helm validates a subchart's schema, as for any other subchart."""
    tree = chart_tree(chart, within or chart, tracked_only=True)
    real_chart = os.path.realpath(chart)
    # (a loop back to a directory a link outside the chart leads to is not copied as one)
    strays = [link for link in tree.loops
              if not Path(os.path.realpath(link)).is_relative_to(real_chart)]
    if tree.outside or strays:
        link = [*tree.outside, *strays][0]
        raise PlatecheckError(f"symbolic link {link.relative_to(chart).as_posix()} leads "
                              "out of the repository, into .git, or in a loop out of the "
                              "chart; platecheck does not follow it")
    dest.mkdir(parents=True, exist_ok=bool(skip))
    for file in tree.files:
        if any(file.is_relative_to(done) for done in skip):
            continue
        if file.name == SCHEMA_FILE and file.parent == chart and not dependency:
            # checked by platecheck (values_schema); `helm lint` fetches its $refs even when
            # told to skip schema validation (Helm 3.17), so helm never sees the file
            continue
        if chart_part(file.relative_to(chart).as_posix()) and is_regular_file(file):
            _check_subchart_schemas(file, chart)  # (what is not is refused when copied)
        target = dest / file.relative_to(chart)
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_regular(file, target, chart)
    for link in tree.loops:  # helm meets the loop in the copy as in the chart
        target = dest / link.relative_to(chart)
        above = dest / Path(os.path.realpath(link)).relative_to(real_chart)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(os.path.relpath(above, target.parent))


# What a JSON schema may hold for helm to validate a subchart with it offline: no reference
# to resolve, and a meta-schema helm knows without fetching it.
_REFERENCES = ('"$ref"', '"$dynamicRef"', '"$recursiveRef"')
_KNOWN_META = re.compile(r'"\$schema"\s*:\s*"https?://json-schema\.org/[^"]*"')
_MAX_MEMBERS = 10_000


_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"




def chart_part(rel: str) -> str | None:
    """What helm's loader (``loader.LoadFiles``) takes the file at ``rel`` (relative to a
    chart's root) to be: ``schema`` (a values.schema.json of the chart or of a subchart
    directory in ``charts/``), ``archive`` (a ``.tgz`` right in a ``charts/``), or None (a
    plain file a template may read; a name in ``charts/`` starting with ``_`` or ``.`` is
    no subchart)."""
    parts = rel.split("/")
    while True:
        if parts == [SCHEMA_FILE]:
            return "schema"
        if len(parts) < 2 or parts[0] != "charts" or parts[1][:1] in ("_", "."):
            return None
        if len(parts) == 2:
            return "archive" if parts[1].endswith(".tgz") else None
        parts = parts[2:]  # a file of a subchart directory, from its root


def _check_subchart_schemas(file: Path, chart: Path) -> None:
    """A subchart's ``values.schema.json`` (a directory in ``charts/`` or inside a ``.tgz``)
    is validated by helm, which fetches what it references: one that references anything
    is a could-not-check error, never given to helm. So is an archive that is a Git LFS
    pointer (the archive itself was not fetched), in words that say so."""
    rel = file.relative_to(chart).as_posix()
    if file.name == SCHEMA_FILE:
        with open(file, "rb") as stream:
            problem = _schema_problem(read_at_most(stream, os.fstat(stream.fileno()).st_size,
                                                   MAX_OUTPUT - 1))
        if problem:
            raise PlatecheckError(f"{rel}: {problem}")
        return
    try:
        with open(file, "rb") as stream:
            pointer = stream.read(len(_LFS_POINTER)) == _LFS_POINTER
    except OSError:
        pointer = False  # copying it reports why it cannot be read
    if pointer:
        raise PlatecheckError(f"{rel} is a Git LFS pointer, not the chart archive: fetch it "
                              "(git lfs pull) before linting, as Argo CD does for a "
                              "repository with LFS enabled")
    try:
        with tarfile.open(file, "r:gz") as archive:
            _check_archive(archive, rel, 0)
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return  # not a chart archive helm can read either; helm reports it


_MAX_NESTING = 8  # chart archives inside chart archives


def _check_archive(archive: tarfile.TarFile, rel: str, depth: int) -> None:
    """The subchart schemas of a chart archive, and of the chart archives inside it, as
    helm's loader names its members (``\\`` read as ``/``, the name cleaned: a trailing
    ``/`` dropped)."""
    for count, member in enumerate(archive):
        if count > _MAX_MEMBERS:
            raise PlatecheckError(f"{rel}: more than {_MAX_MEMBERS} files")
        name = posixpath.normpath(member.name.replace("\\", "/"))
        # (helm reads an archive's files below its top directory, the chart's root)
        part = chart_part(name.partition("/")[2])
        schema = part == "schema"
        if part is None or member.issym() or member.islnk():
            continue
        raw = _member_bytes(archive, member)
        if schema:
            problem = _schema_problem(raw)
            if problem:
                raise PlatecheckError(f"{rel} ({member.name}): {problem}")
        elif depth >= _MAX_NESTING:
            raise PlatecheckError(f"{rel}: chart archives nested more than {_MAX_NESTING} deep")
        else:
            try:
                with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as inner:
                    _check_archive(inner, f"{rel} ({member.name})", depth + 1)
            except (tarfile.TarError, EOFError, zlib.error):
                continue  # not an archive helm can read either


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """A member's data as helm reads it, whatever tarfile makes of its type (a regular
    file whose name ends in ``/`` is a directory to tarfile, a file to helm)."""
    if member.size > MAX_OUTPUT:
        raise PlatecheckError(f"{member.name}: larger than {MAX_OUTPUT} bytes")
    assert archive.fileobj is not None
    archive.fileobj.seek(member.offset_data)
    return bytes(archive.fileobj.read(member.size))


def _schema_problem(raw: bytes) -> str | None:
    text = raw.decode("utf-8", "replace")
    if any(reference in text for reference in _REFERENCES) and not _only_local_refs(text):
        return ("a subchart's values.schema.json with a $ref: helm would fetch it, so "
                "platecheck does not render this chart")
    if '"$schema"' in text and not _KNOWN_META.search(text):
        return ("a subchart's values.schema.json names a meta-schema helm would fetch, so "
                "platecheck does not render this chart")
    return None


def _only_local_refs(text: str) -> bool:
    """Whether every reference of a JSON schema points into the schema itself (``#...``,
    resolved by helm without fetching, whatever the root's ``$id``), with no ``$id`` below
    the root that could make a fragment mean another document."""
    try:
        schema = json.loads(text)
    except ValueError:
        return False
    stack: list[Any] = [(schema, True)]
    while stack:
        node, top = stack.pop()
        if isinstance(node, list):
            stack.extend((item, False) for item in node)
        elif isinstance(node, dict):
            if "$dynamicRef" in node or "$recursiveRef" in node or ("$id" in node and not top):
                return False
            reference = node.get("$ref", "#")
            if not (isinstance(reference, str) and reference.startswith("#")):
                return False
            stack.extend((value, False) for value in node.values())
    return True


def _copy_regular(source: Path, target: Path, chart: Path) -> None:
    try:
        handle = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise PlatecheckError(f"cannot read {source.relative_to(chart).as_posix()}: "
                              f"{exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise PlatecheckError(f"{source.relative_to(chart).as_posix()} is not a regular "
                                  "file; platecheck gives helm only regular files")
        with os.fdopen(handle, "rb", closefd=False) as stream, open(target, "wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK * 16)
    finally:
        os.close(handle)


_probe_lock = threading.Lock()


def network_isolation() -> tuple[str, ...]:
    """``_network_isolation``, probed once even when the first processes start together."""
    with _probe_lock:
        return _network_isolation()


@cache
def _network_isolation() -> tuple[str, ...]:
    """The command prefix that runs helm without a network, or ``()`` when this machine
    allows no network namespace (then ``values.schema.json`` is validated by platecheck and
    helm told to skip it, which leaves helm nothing that fetches; see docs/security.md)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for prefix in ((unshare, "--net"), (unshare, "--net", "--map-root-user")):
        try:
            probe = subprocess.run([*prefix, "true"], stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return prefix
    return ()


def _deadline_prefix(timeout: float) -> tuple[str, ...]:
    found = shutil.which("timeout")
    if found is None:
        return ()
    return (found, "--signal=KILL", f"{timeout + _GRACE:g}")


def confined_root(root: Path) -> tuple[str, ...]:
    """The command prefix that runs a program with ``root`` as its root directory (a
    ``chroot`` in a user namespace) and no network; the program and every file it needs must
    be inside ``root``. Raises ``PlatecheckError`` when this machine allows no namespace."""
    prefix = network_isolation()
    if not prefix:
        raise PlatecheckError(f"{NO_NAMESPACES} (unshare), "
                              "in which platecheck confines a build to the repository")
    return (*prefix, f"--root={root}", "--wd=/")


def run_bounded(argv: Sequence[str], *, env: dict[str, str], cwd: Path,
                timeout: float, root: Path | None = None) -> Completed:
    """Run ``argv`` confined and bounded (with ``root``, in that root directory alone, see
    ``confined_root``). Raises ``PlatecheckError`` on timeout or when an output stream passes
    ``MAX_OUTPUT``; the whole process group is killed either way."""
    if _stopping.is_set():
        raise PlatecheckError(STOPPING)
    _starting()
    if root is None:
        supervisor = _supervisor()
        if supervisor is not None:
            request = supervisor.request(argv, env, cwd, timeout + _GRACE)
            done = supervisor.run(request, argv[0], timeout) if request is not None else None
            if done is not None:
                return done
    command = ([*_deadline_prefix(timeout), *confined_root(root), *argv] if root is not None
               else [*network_isolation(), *_deadline_prefix(timeout), *argv])
    try:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True, preexec_fn=_bounded_data)
    except OSError as exc:
        raise PlatecheckError(f"{CANNOT_RUN} {argv[0]}: {exc.strerror}") from None
    stop = functools.partial(_signal_group, process)
    _started(stop)
    try:
        assert process.stdout is not None and process.stderr is not None
        out, err = _collect(process.stdout.fileno(), process.stderr.fileno(),
                            time.monotonic() + timeout, timeout, argv[0])
        code = process.wait()
    finally:
        _kill(process)
        _ended(stop)
    return _completed(argv[0], code, out, err)


_SENT_FROM_OUTSIDE = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


def _completed(program: str, code: int, out: bytes, err: bytes) -> Completed:
    """What a program that ended did; ``PlatecheckError`` when a signal sent from outside
    ended it (the kernel's out-of-memory killer, someone's kill: not of its input), unless
    platecheck is stopping (the stop is what the run raises). A program that crashed of itself
    (Go's fatal error aborts a process that embeds Go: SIGABRT) ended of its input, with what
    it wrote."""
    if -code in _SENT_FROM_OUTSIDE and not _stopping.is_set():
        raise PlatecheckError(f"{os.path.basename(program)} {ENDED_BY_SIGNAL} "
                              f"{signal.Signals(-code).name}")
    return Completed(code, out, err)


def _bounded_data() -> None:
    """In the child, before it runs the program: the data bound and default signals the
    supervisor's programs inherit from it (``platecheck.limits.MAX_PROCESS_DATA``,
    ``supervisor.default_signals``)."""
    resource.setrlimit(resource.RLIMIT_DATA, (MAX_PROCESS_DATA, MAX_PROCESS_DATA))
    default_signals()


def _started(stop: Callable[[], None]) -> None:
    """Remember how to stop a process that has started (``kill_all``); stop it at once when
    platecheck is being stopped."""
    with _running_lock:
        _running.add(stop)
        if _stopping.is_set():
            stop()


def _ended(stop: Callable[[], None]) -> None:
    with _running_lock:
        _running.discard(stop)


def _collect(out_fd: int, err_fd: int, deadline: float, timeout: float,
             program: str) -> tuple[bytes, bytes]:
    streams = {out_fd: bytearray(), err_fd: bytearray()}
    program = os.path.basename(program)  # helm, kubectl: who wrote too much
    names = {out_fd: "output", err_fd: "error output"}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise PlatecheckError(f"{TIMED_OUT} {timeout:g} s")
            for key, _ in selector.select(left):
                fd = int(key.fd)
                try:
                    block = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not block:
                    selector.unregister(fd)
                    continue
                streams[fd] += block
                if len(streams[fd]) > MAX_OUTPUT:
                    raise PlatecheckError(f"{program}'s {names[fd]} is larger than "
                                          f"{MAX_OUTPUT >> 20} MiB; platecheck stopped it")
    return bytes(streams[out_fd]), bytes(streams[err_fd])


# -- the supervisor ---------------------------------------------------------------------------

# The processes ``run_bounded`` starts outside a confined root are started by one supervisor
# process (``platecheck.supervisor``) that platecheck starts once, in the network namespace
# (``unshare --net``): none of them needs an ``unshare`` or a ``timeout`` process of its own,
# and none outlives platecheck, even one killed with SIGKILL (the supervisor kills them when
# platecheck's end of its socket closes). Where it cannot start (no ``pidfd_open``: Linux
# before 5.3, or another system), each process runs with its own prefixes, as below.
SUPERVISOR = Path(__file__).with_name("supervisor.py")
_MAX_REQUEST = 100_000  # bytes of one request; a larger one (a huge command line) runs alone
_READY_TIMEOUT = 10.0  # seconds the supervisor may take to start

_supervisor_lock = threading.Lock()
_supervising: dict[int, Supervisor | None] = {}  # platecheck's pid -> its supervisor, if any


def prepare() -> None:
    """Start the supervisor now, in the background, rather than with the first process: a
    cold run plans while it starts."""
    threading.Thread(target=_supervisor, daemon=True).start()


def release() -> None:
    """Let this process's supervisor go and wait for it to end (it ends by itself when
    platecheck does; this makes the CPU time of the processes it ran count as platecheck's
    children's, for a benchmark)."""
    with _supervisor_lock:
        supervisor = _supervising.pop(os.getpid(), None)
    if supervisor is not None:
        supervisor.close()


def _supervisor() -> Supervisor | None:
    """This process's supervisor (a forked child starts its own), started when needed; None
    where none can start."""
    with _supervisor_lock:
        pid = os.getpid()
        if pid not in _supervising or not _usable(_supervising[pid]):
            # a supervisor that has gone is not closed here: a thread may still be sending to
            # it; its socket closes when the last thread lets it go
            for parent, inherited in list(_supervising.items()):
                if parent != pid and inherited is not None:  # a parent's, through fork: this
                    inherited.channel.close()  # process's copy of its socket is let go, so
            _supervising.clear()  # that it ends with the parent; only this thread runs here
            _supervising[pid] = Supervisor.start()
            _release_at_exit()
        return _supervising[pid]


@contextlib.contextmanager
def scratch(kind: str = "") -> Iterator[Path]:
    """A private temporary directory (``platecheck-KIND...``) for the block, removed when it
    ends; should platecheck be killed before (SIGKILL), the supervisor removes it: no copy of
    the checked repository stays behind."""
    with temporary_directory(f"{SCRATCH_PREFIX}{kind}") as name:
        supervisor = _supervisor()
        if supervisor is not None:
            supervisor.note("scratch", name)
        try:
            yield Path(name)
        finally:
            if supervisor is not None:
                supervisor.note("done", name)


@cache
def _release_at_exit() -> None:
    """Reap the supervisor when platecheck ends (once registered, also for a forked child)."""
    atexit.register(release)


def _usable(supervisor: Supervisor | None) -> bool:
    return supervisor is None or supervisor.alive()


class Supervisor:
    """A ``platecheck.supervisor`` process and platecheck's end of its socket."""

    def __init__(self, process: subprocess.Popen[bytes], channel: socket.socket) -> None:
        self.process = process
        self.channel = channel
        self._sending = threading.RLock()  # ``kill`` may run in a signal handler
        self._ids = itertools.count(1)
        self.gone = False

    @classmethod
    def start(cls) -> Supervisor | None:
        if not all(hasattr(module, name) for module, name in (
                (os, "pidfd_open"), (socket, "send_fds"))):
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = subprocess.Popen(
                [*network_isolation(), sys.executable, "-I", "-S", "-B", str(SUPERVISOR),
                 str(theirs.fileno()), str(MAX_PROCESS_DATA)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env={"PATH": os.environ.get("PATH", os.defpath)})
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        ours.settimeout(_READY_TIMEOUT)
        try:
            ready = ours.recv(16)
        except OSError:
            ready = b""
        supervisor = cls(process, ours)
        if ready != b"ready":
            supervisor.close()
            return None
        ours.settimeout(None)
        return supervisor

    def alive(self) -> bool:
        return not self.gone and self.process.poll() is None

    def close(self) -> None:
        """Let it go: it kills what still runs and ends."""
        self.channel.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def request(self, argv: Sequence[str], env: dict[str, str], cwd: Path,
                limit: float) -> tuple[int, bytes] | None:
        """The message that runs ``argv`` (killed after ``limit`` seconds), or None when the
        supervisor cannot take it: a command without an absolute path, or too large."""
        if not os.path.isabs(argv[0]):
            return None
        ident = next(self._ids)
        message = json.dumps({"op": "run", "id": ident, "argv": list(argv), "env": env,
                              "cwd": os.path.abspath(cwd), "limit": limit}).encode()
        return (ident, message) if len(message) <= _MAX_REQUEST else None

    def run(self, request: tuple[int, bytes], name: str, timeout: float) -> Completed | None:
        """Run ``request``; None when the supervisor has gone before starting it (the caller
        runs it alone)."""
        ident, message = request
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        status_r, status_w = os.pipe()
        status = _Lines(status_r)
        try:
            try:
                with self._sending:
                    socket.send_fds(self.channel, [message], [out_w, err_w, status_w])
            except OSError:
                self.gone = True
                return None
            finally:
                for fd in (out_w, err_w, status_w):
                    os.close(fd)
            word, _, number = status.line().partition(" ")
            if word == "fail":
                raise PlatecheckError(f"{CANNOT_RUN} {name}: {os.strerror(int(number))}")
            if word != "pid":
                self.gone = True  # the next process starts another supervisor
                return None
            return self._follow(ident, name, (out_r, err_r), status, timeout)
        finally:
            for fd in (out_r, err_r):
                os.close(fd)
            status.close()

    def _follow(self, ident: int, name: str, outputs: tuple[int, int], status: _Lines,
                timeout: float) -> Completed:
        """The outputs and exit code of the started request ``ident``."""
        stop = functools.partial(self.kill, ident)
        _started(stop)
        try:
            out, err = _collect(*outputs, time.monotonic() + timeout, timeout, name)
        except BaseException:
            stop()
            raise
        finally:
            word, _, number = status.line().partition(" ")  # it has ended, or was killed
            _ended(stop)
        if word != "exit":
            raise PlatecheckError(f"{name}: {SUPERVISOR_ENDED}")
        return _completed(name, int(number), out, err)

    def kill(self, ident: int) -> None:
        """Kill the process group of request ``ident``, if it still runs."""
        self._send({"op": "kill", "id": ident})

    def note(self, op: str, path: str) -> None:
        """Tell it a private directory to remove should platecheck end before it does
        (``scratch``), or that platecheck has removed it (``done``)."""
        self._send({"op": op, "path": os.path.abspath(path)})

    def _send(self, message: dict[str, Any]) -> None:
        try:
            with self._sending:
                self.channel.send(json.dumps(message).encode())
        except OSError:
            pass  # the supervisor has gone, and killed what it ran


class _Lines:
    """The lines the supervisor writes to a status pipe, read as they come."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = b""

    def line(self) -> str:
        """The next line without its newline; "" once the pipe has closed."""
        while b"\n" not in self.pending:
            block = os.read(self.fd, 256)
            if not block:
                return ""
            self.pending += block
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode("ascii", "replace")

    def close(self) -> None:
        os.close(self.fd)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the process group (helm and anything it started), reap the leader, close the
    pipes. Only the thread that runs ``process`` calls this: it owns the pipes."""
    _signal_group(process)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _signal_group(process: subprocess.Popen[bytes]) -> None:
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


_announce = threading.local()  # a worker's ``_FirstWave``, told when its process starts


def _starting() -> None:
    """A process is about to start in this thread: its ``bounded_map`` may go on."""
    wave = getattr(_announce, "wave", None)
    if wave is not None:
        _announce.wave = None  # the item's next process is not its first
        wave.arrived()


class _FirstWave:
    """The first ``size`` items of a ``bounded_map``: the calling thread waits until each
    has started its process, or ended without one, before it does its own work, so that
    preparing them (copying a chart, building a command) does not share the interpreter
    with it while the processes could already run."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._all = threading.Event()
        self._lock = threading.Lock()
        if size <= 0:
            self._all.set()

    def arrived(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left <= 0:
                self._all.set()

    def running(self, run: Callable[[T], R]) -> Callable[[T], R]:
        """``run``, telling this wave once per item: when its first process starts, or
        when it ends without one."""
        def one(item: T) -> R:
            _announce.wave = self
            try:
                return run(item)
            finally:
                if getattr(_announce, "wave", None) is self:
                    self.arrived()
                _announce.wave = None
        return one

    def wait(self) -> None:
        self._all.wait(_FIRST_WAVE_WAIT)


_FIRST_WAVE_WAIT = 0.25  # seconds, at most: the calling thread's work is held no longer


def bounded_map(run: Callable[[T], R], items: Sequence[T], jobs: int,
                meanwhile: Callable[[Iterator[R]], None] | None = None) -> list[R]:
    """``run`` over ``items`` in order, at most ``jobs`` at once (threads that each wait for
    a confined process). ``meanwhile`` runs in the calling thread once the first ``jobs``
    items have started their processes (``_FirstWave``), given the results as they come, in
    order (it may take as many as it likes), with prompt thread switches, so that a thread
    whose process ended starts the next one without waiting out the interpreter's switch
    interval. Interrupted (SIGINT, SIGTERM), no process it started outlives it."""
    pool = None
    if jobs > 1 and (len(items) > 1 or (items and meanwhile is not None)):
        pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        wave = _FirstWave(min(jobs, len(items)) if pool is not None else 0)
        results = iter(pool.map(wave.running(run), items) if pool is not None
                       else map(run, items))
        done: list[R] = []

        def taken() -> Iterator[R]:
            for result in results:
                done.append(result)
                yield result

        if meanwhile is not None:
            with _prompt_switches():
                wave.wait()
                meanwhile(taken())
        done.extend(results)
        if _interrupted:  # its exception was lost; the processes were killed all the same
            raise _interrupted[0]
        return done
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        kill_all()  # before waiting for the threads that wait for their processes
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


_switching_lock = threading.Lock()
_switching: list[float] = []  # the interval before the first block, one entry per block open


@contextlib.contextmanager
def _prompt_switches() -> Iterator[None]:
    """A switch interval of half a millisecond (instead of five) within the block; the
    interval before the first of several blocks open at once (runs in threads of one
    process) is restored when the last one ends."""
    with _switching_lock:
        before = _switching[0] if _switching else sys.getswitchinterval()
        _switching.append(before)
        sys.setswitchinterval(min(before, 0.0005))
    try:
        yield
    finally:
        with _switching_lock:
            _switching.pop()
            if not _switching:
                sys.setswitchinterval(before)


def kill_all() -> None:
    """Kill every helm process group still running (platecheck is being stopped); the
    threads that run them see their output end and clean up. No process starts after this
    until ``resume`` is called."""
    with _running_lock:
        _stopping.set()
        running = list(_running)
    for stop in running:
        stop()


def interrupt(stop: BaseException) -> NoReturn:
    """Stop platecheck from a signal handler: kill every process now, then raise ``stop``.
    Python drops an exception raised while the main thread runs a weak reference's callback
    or a finalizer (an import releasing its module lock, a garbage collection): the
    processes are killed all the same, and ``bounded_map`` raises ``stop`` again once its
    threads are done, so an interrupted run neither waits for helm nor goes on."""
    _interrupted[:] = [stop]
    kill_all()
    raise stop


def resume() -> None:
    """Allow processes to start again (a library caller goes on after an interrupted run)."""
    _interrupted.clear()
    _stopping.clear()
