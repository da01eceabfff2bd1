"""Find the helm executable to use and ask it for its version."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from platecheck.boundedread import read_regular_file
from platecheck.errors import PlatecheckError
from platecheck.helmbin.releases import DEFAULT_HELM_VERSION, SUPPORTED
from platecheck.semver import EXACT_VERSION

if TYPE_CHECKING:
    import subprocess

ENV_HELM = "PLATECHECK_HELM"
ENV_CACHE_DIR = "PLATECHECK_CACHE_DIR"
ENV_KUBECTL = "PLATECHECK_KUBECTL"
KUBECTL_VERSION = "1.31.9"  # the kubectl ``platecheck.helmbin.kubectl`` installs
VERSION_TIMEOUT = 30.0
_chosen: list[Path] = []  # cache roots chosen by the runs under way (--cache-dir), innermost last


@contextmanager
def chosen_cache_dir(cache_dir: str | os.PathLike[str] | None) -> Iterator[None]:
    """Within the block, ``memo_dir()`` is ``cache_dir`` when one is given: what a run
    remembers beside its renders (helm's version, schemas already checked) goes where
    ``--cache-dir`` says too."""
    if cache_dir is None:
        yield
        return
    _chosen.append(Path(cache_dir))
    try:
        yield
    finally:
        _chosen.pop()


def memo_dir() -> Path:
    """Where a run keeps what it remembers beside its renders (helm's version, schemas
    already checked): the cache root it was given (``chosen_cache_dir``), else the per-user
    cache."""
    return _chosen[-1] if _chosen else default_cache_dir()


def default_cache_dir() -> Path:
    """The per-user cache: ``$PLATECHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/platecheck``,
    else ``~/.cache/platecheck``."""
    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    # The XDG spec says relative values are to be ignored.
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "platecheck"
    return Path.home() / ".cache" / "platecheck"


def cached_kubectl_path(cache_dir: Path | None = None) -> Path:
    """``<cache>/kubectl/<version>/kubectl``, where ``platecheck setup`` installs it."""
    base = cache_dir if cache_dir is not None else default_cache_dir()
    return base / "kubectl" / KUBECTL_VERSION / "kubectl"


def kubectl_candidate(explicit: str | os.PathLike[str] | None = None,
                      cache_dir: Path | None = None) -> tuple[Path | None, str]:
    """The kubectl that would run kustomize, not checked yet, and where it was named: the
    ``explicit`` path (``--kubectl``), ``$PLATECHECK_KUBECTL``, the cache ``platecheck
    setup`` fills (``cache``), else ``kubectl`` on PATH (None when there is none)."""
    for value, origin in ((explicit, "--kubectl"), (os.environ.get(ENV_KUBECTL), ENV_KUBECTL)):
        if value:
            return Path(os.fspath(value)).expanduser(), origin
    cached = cached_kubectl_path(cache_dir)
    if cached.is_file():
        return cached, "cache"
    on_path = shutil.which("kubectl")
    return (Path(on_path) if on_path is not None else None), "PATH"


def cache_outside(cache_dir: str | os.PathLike[str] | None, root: Path) -> None:
    """The cache (render results, and where a helm installed by ``platecheck setup`` is
    looked up) is never inside the checked repository: a pull request could plant a forged
    render or a helm binary there, and platecheck writes nothing inside what it checks.
    Raises ``PlatecheckError`` naming where the cache directory came from."""
    where = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not Path(os.path.realpath(where)).is_relative_to(os.path.realpath(root)):
        return
    origin = _origin(cache_dir, "~/.cache/platecheck, $HOME being in the repository")
    # a root no .git or policies/ marks is the working directory the path lies in, or the
    # directory the Applications' sources are found from (discover.find_root)
    why = "" if (root / ".git").exists() or (root / "policies").is_dir() else (
        ", taken for the repository as no .git or policies/ lies above the path given")
    raise PlatecheckError(f"{origin} is inside the checked repository ({root}{why}); "
                          "platecheck keeps its cache outside what it checks (give a "
                          "--cache-dir outside it)", str(where))


def cache_usable(cache_dir: str | os.PathLike[str] | None) -> None:
    """The cache is a directory, or can be made one: where a file stands (a file given as
    the cache, or one above it), every run would render everything and keep nothing, in
    silence, and ``platecheck setup`` would have nowhere to install. Raises
    ``PlatecheckError`` naming where the cache directory came from."""
    where = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    for path in (where, *where.parents):  # the nearest that exists decides
        if path.is_dir():
            return
        if path.exists():
            origin = _origin(cache_dir, "~/.cache/platecheck")
            problem = "is not a directory" if path == where else \
                f"is under {path}, which is not a directory"
            raise PlatecheckError(f"{origin} {problem}", str(where))


def _origin(cache_dir: str | os.PathLike[str] | None, home: str) -> str:
    """Where the cache directory came from, as an error names it."""
    if cache_dir is not None:
        return "--cache-dir"
    if os.environ.get(ENV_CACHE_DIR):
        return f"the platecheck cache (${ENV_CACHE_DIR})"
    if os.environ.get("XDG_CACHE_HOME", "").startswith("/"):
        return "the platecheck cache ($XDG_CACHE_HOME)"
    return f"the platecheck cache ({home})"


def cache_outside_paths(cache_dir: str | os.PathLike[str] | None,
                        paths: Iterable[Path]) -> None:
    """``cache_outside`` for each resolved path given (a file: its directory), checked before
    the repository root is looked for: the root holds every path, so a cache inside one is
    inside the root, and an unmarked root costs a walk of every YAML file under it."""
    for path in paths:
        cache_outside(cache_dir, path if path.is_dir() else path.parent)


def cached_helm_path(version: str, cache_dir: Path | None = None) -> Path:
    """Where ``platecheck setup`` installs Helm ``version``: ``<cache>/helm/<version>/helm``."""
    return (cache_dir if cache_dir is not None else default_cache_dir()) / "helm" / version / "helm"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _checked(value: str, origin: str) -> Path:
    """``value`` as given by ``origin`` (``--helm`` or the env var), or a one-line error."""
    if not value.strip():
        raise PlatecheckError(f"{origin}: empty path to helm")
    if os.sep not in value and (os.altsep is None or os.altsep not in value):
        found = shutil.which(value)
        if found is not None:
            return Path(found)
    path = Path(value).expanduser()
    if not path.exists():
        raise PlatecheckError(f"{origin}: {value}: no such file")
    if path.is_dir():
        raise PlatecheckError(f"{origin}: {value}: is a directory, not the helm executable")
    if not os.access(path, os.X_OK):
        raise PlatecheckError(f"{origin}: {value}: not executable (chmod +x it)")
    return path


def find_helm(
    explicit: str | os.PathLike[str] | None = None, *, cache_dir: Path | None = None
) -> Path:
    """The helm to run: ``explicit`` (the ``--helm`` value), then ``$PLATECHECK_HELM``, then
    ``helm`` on PATH, then the per-user cache (default version first)."""
    if explicit is not None:
        return _checked(os.fspath(explicit), "--helm")
    from_env = os.environ.get(ENV_HELM)
    if from_env:
        return _checked(from_env, ENV_HELM)
    on_path = shutil.which("helm")
    if on_path is not None:
        return Path(on_path)
    cache_usable(cache_dir)
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    order = [DEFAULT_HELM_VERSION, *(v for v in SUPPORTED if v != DEFAULT_HELM_VERSION)]
    for version in order:
        candidate = cached_helm_path(version, cache)
        if _is_executable(candidate):
            return candidate
    raise PlatecheckError(
        "helm not found: run `platecheck setup` to install Helm "
        f"{DEFAULT_HELM_VERSION} into {cache / 'helm'}, "
        f"or pass --helm PATH, set {ENV_HELM}, or put helm on PATH"
    )


_versions: dict[tuple[str, int, int, int], str] = {}
_unusable: dict[tuple[str, int, int, int], PlatecheckError] = {}  # helm -> why, this run
_asking: dict[str, threading.Thread] = {}  # helm -> the thread asking its version
_asking_lock = threading.Lock()
_VERSIONS_FILE = "helm-versions.json"  # in the cache root: binary identity -> version


_UNREACHABLE_PROXY = "http://127.0.0.1:9"

# Go's garbage collector for the short-lived helm and kubectl processes: collect when the heap
# has grown fourfold rather than doubled, under a soft ceiling of 1 GiB. A render spends a
# quarter less CPU with the same output; a large chart still collects once it nears the ceiling.
GO_RUNTIME = {"GOGC": "400", "GOMEMLIMIT": "1GiB"}

# kubectl's message catalogue, linked into helm and kubectl, is parsed as the process starts, in
# the language LC_ALL names, else LC_MESSAGES, else LANG. The default, English, holds 337
# messages and costs a helm process about a third of its start-up CPU; the French one holds 8,
# short descriptions of kubectl commands that neither prints when it templates, lints or builds.
# The codeset names no installed locale, so a C program they start (git) stays untranslated;
# LC_MESSAGES rather than LC_ALL, because bash (a wrapper script given as helm) warns on stderr
# about an LC_ALL it cannot load and keeps quiet about LC_MESSAGES.
MESSAGE_CATALOGUE = {"LC_MESSAGES": "fr_FR.none"}

# what makes platecheck's helm and kubectl processes cheaper; their output is the same without
START_UP = {**GO_RUNTIME, **MESSAGE_CATALOGUE}


def isolated_environment(home: Path) -> dict[str, str]:
    """The environment helm runs in: only PATH from the user's, an empty ``home`` for every
    Helm directory (no plugin, repository, registry credential or kubeconfig of the user),
    and proxies that make any network access fail at once; Go's collector and the message
    catalogue tuned for a short process (``START_UP``). Creates the directories."""
    for sub in ("cache", "config", "data", "plugins", "repository", "content"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "HELM_PLUGINS": str(home / "plugins"),
        "HELM_REGISTRY_CONFIG": str(home / "config" / "registry.json"),
        "HELM_REPOSITORY_CONFIG": str(home / "config" / "repositories.yaml"),
        "HELM_REPOSITORY_CACHE": str(home / "repository"),
        "HELM_CONTENT_CACHE": str(home / "content"),
        "KUBECONFIG": str(home / "kubeconfig"),
        "HTTP_PROXY": _UNREACHABLE_PROXY,
        "HTTPS_PROXY": _UNREACHABLE_PROXY,
        "ALL_PROXY": _UNREACHABLE_PROXY,
        "NO_PROXY": "",
        **START_UP,
    }


def _run_version(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # process and temporary-directory modules load only when helm is asked: a warm run
    # knows the version and starts no process
    import signal
    import subprocess
    import tempfile

    try:
        with tempfile.TemporaryDirectory(prefix="platecheck-helm-") as home, subprocess.Popen(
                [str(helm), "version", *args], env=isolated_environment(Path(home)), cwd=home,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, start_new_session=True) as process:
            try:
                out, err = process.communicate(timeout=VERSION_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # with whatever it started
                process.communicate()
                raise PlatecheckError(f"{helm}: `helm version` did not answer within "
                                      f"{VERSION_TIMEOUT:g}s") from None
            return subprocess.CompletedProcess(process.args, process.returncode, out, err)
    except OSError as error:
        raise PlatecheckError(f"{helm}: cannot run it: {error.strerror or error}") from None


@contextmanager
def version_asked(helm: str | os.PathLike[str] | None, *,
                  cache_dir: Path | None = None) -> Iterator[None]:
    """Within the block, the helm ``find_helm`` finds is asked its version in the
    background while the caller goes on (planning a cold run, while `helm version` starts);
    ``helm_version`` waits for that answer instead of asking again. The block ends only
    once the question has ended. Nothing happens when no helm is found (whoever needs
    one reports that) or its version is already known."""
    _unusable.clear()  # a helm that did not answer in an earlier run is asked again
    try:
        binary = find_helm(helm, cache_dir=cache_dir)
        known = _known(_identity(binary))
    except PlatecheckError:
        known = ""
    if known is not None:
        yield
        return
    asking = threading.Thread(target=_ask_quietly, args=(binary,), daemon=True)
    with _asking_lock:
        _asking[str(binary)] = asking
    asking.start()
    try:
        yield
    finally:
        asking.join()
        with _asking_lock:
            if _asking.get(str(binary)) is asking:
                del _asking[str(binary)]


def _ask_quietly(helm: Path) -> None:
    try:
        helm_version(helm, wait=False)
    except PlatecheckError:
        pass  # asked again, and reported, by the caller that needs it


def _identity(helm: Path) -> tuple[str, int, int, int]:
    """What a remembered version is known by: the binary's path, modification time, size and
    inode (not its change time, which a hard link to it changes: a confined Kustomize build
    links helm into its root)."""
    try:
        stat = helm.stat()
    except OSError as error:
        raise PlatecheckError(f"{helm}: {error.strerror or error}") from None
    return str(helm.resolve()), stat.st_mtime_ns, stat.st_size, stat.st_ino


def _known(key: tuple[str, int, int, int]) -> str | None:
    """The version remembered for the binary ``key`` identifies, if any."""
    cached = _versions.get(key) or _known_versions().get(json.dumps(key))
    if cached is not None and EXACT_VERSION.fullmatch(cached):
        _versions[key] = cached
        return cached
    return None


def helm_version(helm: Path, *, wait: bool = True) -> str:
    """The version of ``helm`` without the leading "v" (e.g. "3.17.3"), cached per path,
    modification and change time, size and inode: in memory, and on disk in the cache root
    so that a run whose renders all come from the cache starts no helm process. ``wait``:
    first wait for the answer ``version_asked`` is getting in the background."""
    helm = Path(helm)
    if wait:
        with _asking_lock:
            asking = _asking.get(str(helm))
        if asking is not None:
            asking.join()
    key = _identity(helm)
    cached = _known(key)
    if cached is not None:
        return cached
    if key in _unusable:  # asked already in this process (in the background, say): not again
        raise _unusable[key]
    try:
        return _asked(helm, key)
    except PlatecheckError as error:
        _unusable[key] = error
        raise


def _asked(helm: Path, key: tuple[str, int, int, int]) -> str:
    output = ""
    for args in (("--template", "{{.Version}}"), ("--short",)):
        done = _run_version(helm, *args)
        output = done.stdout.strip() or done.stderr.strip()
        match = EXACT_VERSION.match(done.stdout.strip()) if done.returncode == 0 else None
        if match:
            _versions[key] = match.group(1)
            _remember_version(json.dumps(key), match.group(1))
            return match.group(1)
    first_line = output.splitlines()[0] if output else "nothing"
    raise PlatecheckError(f"{helm}: not a usable helm: `helm version` printed {first_line[:80]!r}")


def _known_versions() -> dict[str, str]:
    raw = read_regular_file(memo_dir() / _VERSIONS_FILE, 1 << 20)  # no pipe, link, device
    try:
        data = json.loads(raw) if raw is not None else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _remember_version(key: str, version: str) -> None:
    import tempfile

    path = memo_dir() / _VERSIONS_FILE
    known = _known_versions()
    known[key] = version
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(dict(list(known.items())[-16:])))
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)
    except OSError:
        pass  # a version that cannot be remembered only costs a helm process


def helm_major(helm: Path) -> int:
    """The major version of ``helm`` (3 or 4)."""
    return int(helm_version(helm).split(".", 1)[0])
