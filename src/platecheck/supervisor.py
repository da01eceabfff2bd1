"""The process that starts platecheck's helm and kubectl processes (``platecheck.sandbox``).

platecheck starts it once, inside the network namespace helm is to run in (``unshare --net``),
as ``python -I -S supervisor.py FD BYTES``: FD is one end of a ``SOCK_SEQPACKET`` socket
pair whose other end platecheck keeps. Every process it starts then is in that namespace,
with no ``unshare`` and no ``timeout`` process of its own, and may map at most BYTES of data
(``RLIMIT_DATA``, set on the supervisor and so inherited). It reads only the standard
library.

It says ``ready`` once, then takes messages, JSON:

- ``{"op": "run", "id": N, "argv": [...], "env": {...}, "cwd": DIR, "limit": SECONDS}`` with
  three file descriptors: the program's standard output, its standard error, and a status
  pipe. It starts ``argv`` (an absolute path) in a session of its own, standard input
  ``/dev/null``, in ``cwd`` with exactly ``env``, and writes ``pid PID`` to the status pipe (or
  ``fail ERRNO`` when it cannot start it), then ``exit CODE`` once the program has ended (a
  negative code: the signal that ended it), and closes it. After ``limit`` seconds it kills
  the program's process group.
- ``{"op": "kill", "id": N}``: kill that program's process group, if it has not ended.
- ``{"op": "scratch", "path": DIR}`` and ``{"op": "done", "path": DIR}``: DIR is one of
  platecheck's private directories (an absolute path whose name starts with ``platecheck-``)
  from the first message until the second.

When platecheck's end of the socket closes (platecheck ended, was killed, or let it go) or
the supervisor is told to stop (SIGTERM, SIGHUP, SIGINT), it kills every program still
running, removes the private directories platecheck has not said it is done with, and ends.
So no program outlives platecheck, and no copy of the checked repository stays behind, even
when platecheck is killed with SIGKILL.
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time

TYPE_CHECKING = False  # typing itself is not imported: the supervisor starts with less
if TYPE_CHECKING:
    from typing import Any

MAX_MESSAGE = 1 << 20  # bytes of a request, at most (platecheck sends much smaller ones)
SCRATCH_PREFIX = "platecheck-"  # the name of a directory the supervisor may remove starts so


class _Child:
    __slots__ = ("deadline", "id", "pidfd", "process", "status")

    def __init__(self, ident: int, process: subprocess.Popen[bytes], pidfd: int, status: int,
                 deadline: float) -> None:
        self.id, self.process, self.pidfd, self.status, self.deadline = (
            ident, process, pidfd, status, deadline)


def _write(fd: int, text: str) -> None:
    try:
        os.write(fd, text.encode("ascii"))
    except OSError:
        pass  # platecheck stopped reading: it no longer waits for this program


def _kill(child: _Child) -> None:
    if child.process.returncode is None:  # not reaped: the group is still this program's
        try:
            os.killpg(child.process.pid, signal.SIGKILL)
        except OSError:
            pass
    child.deadline = math.inf


def _start(request: dict[str, Any], fds: list[int]) -> subprocess.Popen[bytes] | int:
    """Start the program of ``request`` as platecheck would start it itself (a new session,
    every other descriptor closed, the signals Python ignores restored), or the errno it
    could not be started with."""
    out, err, _ = fds
    try:
        return subprocess.Popen(request["argv"], env=request["env"], cwd=request["cwd"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
    except OSError as exc:
        return exc.errno or 1
    except (KeyError, IndexError, TypeError, ValueError, subprocess.SubprocessError):
        return 22  # EINVAL: not a request platecheck sends


def _serve(sock: socket.socket, poller: select.poll, children: dict[int, _Child],
           scratch: set[str]) -> bool:
    """Take one message; False when platecheck's end has closed."""
    try:
        message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
    except ConnectionError:
        return False
    for fd in fds:  # (recv_fds takes no MSG_CMSG_CLOEXEC before Python 3.12)
        os.set_inheritable(fd, False)  # a program gets them only as its streams
    if not message:
        return False
    try:
        request = json.loads(message)
    except ValueError:
        request = {}
    run = len(fds) == 3 and request.get("op") == "run"
    try:
        if request.get("op") == "kill":
            for child in children.values():
                if child.id == request["id"]:
                    _kill(child)
        elif run:
            _run(request, fds, poller, children)
        elif request.get("op") in ("scratch", "done"):
            _note_scratch(request, scratch)
    finally:
        for fd in fds[:2] if run else fds:
            os.close(fd)  # the program has its own copies; the status pipe is the child's
    return True


def _run(request: dict[str, Any], fds: list[int], poller: select.poll,
         children: dict[int, _Child]) -> None:
    status = fds[2]
    started = _start(request, fds)
    if isinstance(started, int):
        _write(status, f"fail {started}\n")
        os.close(status)
        return
    try:
        pidfd = os.pidfd_open(started.pid)  # a zombie until reaped: it cannot be another's
    except OSError as exc:  # (checked at start: it works here)
        os.killpg(started.pid, signal.SIGKILL)
        started.wait()
        _write(status, f"fail {exc.errno or 1}\n")
        os.close(status)
        return
    _write(status, f"pid {started.pid}\n")
    children[pidfd] = _Child(request["id"], started, pidfd, status,
                             time.monotonic() + float(request["limit"]))
    poller.register(pidfd, select.POLLIN)


def _note_scratch(request: dict[str, Any], scratch: set[str]) -> None:
    path = request.get("path")
    if not (isinstance(path, str) and os.path.isabs(path)
            and os.path.basename(path).startswith(SCRATCH_PREFIX)):
        return  # not a directory platecheck made
    if request["op"] == "scratch":
        scratch.add(path)
    else:
        scratch.discard(path)


def _remove(scratch: set[str]) -> None:
    """The private directories platecheck left (it was killed before it could remove them)."""
    for path in scratch:
        _remove_tree(path)


def _remove_tree(top: str) -> None:
    """``shutil.rmtree(top, ignore_errors=True)`` without recursion (a copy of a tree a
    thousand directories deep is removed too; the supervisor reads only the standard
    library, so not ``platecheck.walk.remove_tree``): each directory's entries, then the
    directories, deepest first."""
    stack, found = [top], []
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            else:
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass
    for directory in reversed(found):
        try:
            os.rmdir(directory)
        except OSError:
            pass


def _reap(child: _Child, poller: select.poll) -> None:
    poller.unregister(child.pidfd)
    code = child.process.wait()
    _write(child.status, f"exit {code}\n")
    os.close(child.status)
    os.close(child.pidfd)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def default_signals() -> None:
    """Every signal this process inherited ignored (a background job's SIGINT and SIGQUIT,
    nohup's SIGHUP) back to its default action: a program inherits the signals ignored, so
    each one platecheck starts meets signals as it would run by hand."""
    for signum in signal.valid_signals():
        try:
            if signal.getsignal(signum) is signal.SIG_IGN:
                signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):  # one that cannot be caught, or a number no system has
            continue


def main(fd: int, data_limit: int) -> None:
    # every program it starts inherits the bound (platecheck.limits.MAX_PROCESS_DATA)
    resource.setrlimit(resource.RLIMIT_DATA, (data_limit, data_limit))
    default_signals()
    # a status pipe platecheck no longer reads (killed) is EPIPE, not the end of the
    # supervisor before it has reaped and cleaned up; its programs get SIGPIPE's default back
    # (``subprocess``' ``restore_signals``)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _stop)
    sock = socket.socket(fileno=fd)
    sock.set_inheritable(False)
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    children: dict[int, _Child] = {}
    scratch: set[str] = set()
    os.close(os.pidfd_open(os.getpid()))  # where the system refuses it, no "ready"
    try:
        sock.send(b"ready")
        while True:
            nearest = min((child.deadline for child in children.values()), default=math.inf)
            wait = None if nearest == math.inf else max(0.0, nearest - time.monotonic()) * 1000
            for ready, _ in poller.poll(wait):
                if ready == sock.fileno():
                    if not _serve(sock, poller, children, scratch):
                        return
                else:
                    _reap(children.pop(ready), poller)
            now = time.monotonic()
            for child in children.values():
                if child.deadline <= now:
                    _kill(child)
    finally:
        for child in children.values():
            _kill(child)
        for child in list(children.values()):
            _reap(child, poller)
        _remove(scratch)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
