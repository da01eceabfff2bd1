"""How helm is confined: a private copy of the chart, no network, a bounded process.

- ``private_copy``: helm reads a copy of the chart directory in platecheck's temporary
  directory, never the repository: no ``.git`` (a chart at the repository root would hand
  helm's ``.Files`` the token that ``actions/checkout`` leaves in ``.git/config``), nothing
  outside the chart (symbolic links are resolved when they stay in it and refused
  otherwise), regular files only, and no ``values.schema.json``: platecheck validates the
  values against it without fetching anything (``platecheck.values_schema``). helm still
  validates subcharts against theirs, which must reference nothing helm would fetch.
- ``run_bounded``: one helm process in its own process group, in a network namespace when the
  machine allows one (``unshare --net``), killed as a group on timeout, on SIGTERM/SIGINT of
  platecheck and when its output passes ``MAX_OUTPUT`` bytes; coreutils ``timeout`` wraps it
  when present, so even a platecheck killed with SIGKILL leaves no helm running past its
  time.

See docs/security.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
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
from typing import Any, TypeVar

from platecheck.boundedread import read_at_most
from platecheck.cache import chart_tree
from platecheck.errors import PlatecheckError

T = TypeVar("T")
R = TypeVar("R")

SCHEMA_FILE = "values.schema.json"

MAX_OUTPUT = 32 << 20  # bytes of helm's stdout (and, separately, stderr) read at most
_GRACE = 5  # seconds ``timeout`` waits beyond platecheck's own deadline
_CHUNK = 1 << 16

_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()
# Set by ``kill_all`` while platecheck is being stopped: a worker thread that was about to start
# a process must not start one that nothing would stop.
_stopping = threading.Event()


@dataclass(frozen=True)
class Completed:
    exit_code: int
    stdout: bytes
    stderr: bytes


def private_copy(chart: Path, dest: Path, skip: Sequence[Path] = ()) -> None:
    """Copy what helm may read of ``chart`` into ``dest`` (which must not exist, unless the
    directories ``skip`` of ``chart``, copied before, are there). Links out of the chart or
    into ``.git`` are refused by ``chart_tree`` before this runs; a file that is not regular
    here is a could-not-check error, never opened for reading."""
    tree = chart_tree(chart, chart)
    if tree.outside:
        link = tree.outside[0]
        raise PlatecheckError(f"symbolic link {link.relative_to(chart).as_posix()} leads "
                              "out of the chart; platecheck does not follow it")
    dest.mkdir(parents=True, exist_ok=bool(skip))
    for file in tree.files:
        if any(file.is_relative_to(done) for done in skip):
            continue
        if file.name == SCHEMA_FILE and file.parent == chart:
            # checked by platecheck (values_schema); `helm lint` fetches its $refs even when
            # told to skip schema validation (Helm 3.17), so helm never sees the file
            continue
        if file.name == SCHEMA_FILE or file.name.endswith(".tgz"):
            _check_subchart_schemas(file, chart)
        target = dest / file.relative_to(chart)
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_regular(file, target, chart)


# What a JSON schema may hold for helm to validate a subchart with it offline: no reference
# to resolve, and a meta-schema helm knows without fetching it.
_REFERENCES = ('"$ref"', '"$dynamicRef"', '"$recursiveRef"')
_KNOWN_META = re.compile(r'"\$schema"\s*:\s*"https?://json-schema\.org/[^"]*"')
_MAX_MEMBERS = 10_000


def _check_subchart_schemas(file: Path, chart: Path) -> None:
    """A subchart's ``values.schema.json`` (a directory in ``charts/`` or inside a ``.tgz``)
    is validated by helm, which fetches what it references: one that references anything
    is a could-not-check error, never given to helm."""
    rel = file.relative_to(chart).as_posix()
    if file.name == SCHEMA_FILE:
        with open(file, "rb") as stream:
            problem = _schema_problem(read_at_most(stream, os.fstat(stream.fileno()).st_size,
                                                   MAX_OUTPUT - 1))
        if problem:
            raise PlatecheckError(f"{rel}: {problem}")
        return
    try:
        with tarfile.open(file, "r:gz") as archive:
            for count, member in enumerate(archive):
                if count > _MAX_MEMBERS:
                    raise PlatecheckError(f"{rel}: more than {_MAX_MEMBERS} files")
                if not (member.isfile() and member.name.endswith(f"/{SCHEMA_FILE}")):
                    continue
                extracted = archive.extractfile(member)
                problem = _schema_problem(extracted.read(MAX_OUTPUT) if extracted else b"")
                if problem:
                    raise PlatecheckError(f"{rel} ({member.name}): {problem}")
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return  # not a chart archive helm can read either; helm reports it


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
        raise PlatecheckError("this machine allows no user or network namespace (unshare), "
                              "in which platecheck confines a build to the repository")
    return (*prefix, f"--root={root}", "--wd=/")


def run_bounded(argv: Sequence[str], *, env: dict[str, str], cwd: Path,
                timeout: float, root: Path | None = None) -> Completed:
    """Run ``argv`` confined and bounded (with ``root``, in that root directory alone, see
    ``confined_root``). Raises ``PlatecheckError`` on timeout or when an output stream passes
    ``MAX_OUTPUT``; the whole process group is killed either way."""
    command = ([*_deadline_prefix(timeout), *confined_root(root), *argv] if root is not None
               else [*network_isolation(), *_deadline_prefix(timeout), *argv])
    if _stopping.is_set():
        raise PlatecheckError("platecheck is stopping")
    try:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True)
    except OSError as exc:
        raise PlatecheckError(f"cannot run {argv[0]}: {exc.strerror}") from None
    with _running_lock:
        _running.add(process)
        if _stopping.is_set():
            _signal_group(process)
    try:
        out, err = _collect(process, time.monotonic() + timeout, timeout)
        code = process.wait()
    finally:
        _kill(process)
        with _running_lock:
            _running.discard(process)
    return Completed(code, out, err)


def _collect(process: subprocess.Popen[bytes], deadline: float,
             timeout: float) -> tuple[bytes, bytes]:
    assert process.stdout is not None and process.stderr is not None
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    streams = {out_fd: bytearray(), err_fd: bytearray()}
    names = {out_fd: "output", err_fd: "error output"}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise PlatecheckError(f"timed out after {timeout:g} s")
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
                    raise PlatecheckError(f"helm's {names[fd]} is larger than "
                                          f"{MAX_OUTPUT >> 20} MiB; platecheck stopped it")
    return bytes(streams[out_fd]), bytes(streams[err_fd])


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


def bounded_map(run: Callable[[T], R], items: Sequence[T], jobs: int,
                meanwhile: Callable[[Iterator[R]], None] | None = None) -> list[R]:
    """``run`` over ``items`` in order, at most ``jobs`` at once (threads that each wait for
    a confined process). ``meanwhile`` runs in the calling thread once they have started,
    given the results as they come, in order (it may take as many as it likes), with prompt
    thread switches, so that a thread whose process ended starts the next one without
    waiting out the interpreter's switch interval. Interrupted (SIGINT, SIGTERM), no process
    it started outlives it."""
    pool = None
    if jobs > 1 and (len(items) > 1 or (items and meanwhile is not None)):
        pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        results = iter(pool.map(run, items) if pool is not None else map(run, items))
        done: list[R] = []

        def taken() -> Iterator[R]:
            for result in results:
                done.append(result)
                yield result

        if meanwhile is not None:
            with _prompt_switches():
                meanwhile(taken())
        done.extend(results)
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
    for process in running:
        _signal_group(process)


def resume() -> None:
    """Allow processes to start again (a library caller goes on after an interrupted run)."""
    _stopping.clear()
