"""Which Git ``repoURL`` is the checked repository.

A Git source of this repository is rendered from the checkout; one of another repository is
reported as not rendered (``not-rendered``), never read from here. What says which is which:

1. argocd-application's ``repoUrls`` globs, when set;
2. else the checkout's own Git remotes of a host (``remote.<name>.url`` in ``.git/config``;
   a local path is no identity), when the Applications (those of the repository's files, else
   also those a render generates) name one of them: a repoURL that is one of those remotes,
   compared as Argo CD compares repository URLs (``git.NormalizeGitURL``: case, scheme,
   user, port and a trailing ``.git`` aside, an SSH ``host:path`` as ``host/path``), is this
   repository and every other is another one. When none names a remote in full but some
   name a repository of the same name as a remote (a fork, a mirror), the name decides;
   when none does either but some name a repository of a remote's host, those are other
   repositories (a repository of Applications whose sources are all elsewhere). Another
   remote that an Application a render generates names in full is this repository too
   (``grown``);
3. else (no remote, or one of a host no Application names: a checkout from a mirror on
   another server) every Git source is this repository.
"""

from __future__ import annotations

import os
import posixpath
import re
import struct
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from platecheck.boundedread import read_regular_file
from platecheck.globs import matches_any

if TYPE_CHECKING:
    from platecheck.model import Application, Checkout, RenderTarget, Source

_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?!//)(?P<path>.*)$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?(?P<host>[^/:]*)(?::\d*)?(?P<path>/.*)?$")
_SECTION = re.compile(r'^\s*\[\s*remote\s+"(?P<name>(?:[^"\\]|\\.)*)"\s*\]\s*$', re.IGNORECASE)
_URL_LINE = re.compile(r"^\s*url\s*=\s*(?P<value>.*?)\s*$", re.IGNORECASE)


def normalized(url: str) -> str:
    """``url`` as ``host/path`` (lowercase, no scheme, user, port, trailing ``/`` or
    ``.git``); a local path as itself, without its trailing ``/`` and ``.git``."""
    text = url.strip().lower()
    match = _URL.match(text)
    if match is not None:
        text = match.group("host") + (match.group("path") or "")
    elif "://" not in text and not text.startswith(("/", ".")):
        scp = _SCP.match(text)
        if scp is not None:
            text = f"{scp.group('host')}/{scp.group('path').lstrip('/')}"
    text = text.rstrip("/")
    return text.removesuffix(".git").rstrip("/")


_SSH_URL = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+\Z", re.DOTALL)  # util/git sshURLRegex


def argocd_git_key(url: str) -> str:
    """``url`` as Argo CD's ``git.NormalizeGitURL`` writes it, the key its repo-server files
    a checkout under (one checkout, so one revision, per key): lowercase, an SSH
    ``user@host:path`` as ``user@host/path``, no trailing ``.git``, as Go's ``url.Parse``
    and ``URL.String`` write it, with no ``ssh://``; ``""`` when Go cannot parse it. Unlike
    ``normalized`` it keeps the scheme, user, port and a trailing ``/``."""
    repo = url.strip().lower()
    if _SSH_URL.match(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    written = _go_url(repo.removesuffix(".git"))
    return "" if written is None else written.removeprefix("ssh://")


_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_PORT = re.compile(r"^(?::\d*)?\Z")
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")
_HOST_ESCAPE = re.compile(r"%(?!25|[89a-fA-F][0-9a-fA-F])")  # Go: only non-ASCII in a host
_USERINFO = re.compile(r"^[a-z0-9\-._:~!$&'()*+,;=%@]*\Z", re.IGNORECASE)
# what Go's url package writes unescaped: in a path, in an escaped path it keeps, in a host,
# in a user name or password
_PATH_SAFE = frozenset("-_.~$&+,/:;=@")
_ENCODED_SAFE = _PATH_SAFE | frozenset("!'()*[]%")
_HOST_SAFE = frozenset("-_.~$&+,;=:!'()*[]<>\"")
_USER_SAFE = frozenset("-_.~$&+,;=")


def _go_escape(text: str, safe: frozenset[str]) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in safe) else
                   "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def _go_url(text: str) -> str | None:
    """``text`` as Go's ``url.Parse`` then ``URL.String`` write it, None when it does not
    parse: a control character, a bad ``%`` escape, port, user or host character, a colon in
    the first segment of a URL without a scheme."""
    if text.startswith(":") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None
    rest, _, fragment = text.partition("#")
    scheme = _SCHEME.match(rest)
    rest = rest[scheme.end():] if scheme else rest
    rest, mark, query = rest.partition("?")
    if _BAD_ESCAPE.search(rest + fragment):
        return None
    prefix = f"{scheme.group(1)}:" if scheme else ""
    tail = mark + query + (f"#{_go_path(fragment, _ENCODED_SAFE)}" if fragment else "")
    if scheme and not rest.startswith("/"):
        return prefix + rest + tail  # opaque
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        authority, slash, path = rest[2:].partition("/")
        user, at, host = authority.rpartition("@")
        if at and not _USERINFO.match(user) or not _host_ok(host):
            return None
        name, colon, password = (unquote(part) for part in user.partition(":"))
        prefix += "//" + (_go_escape(name, _USER_SAFE) + (colon and ":") +
                          _go_escape(password, _USER_SAFE) + "@" if at else "")
        prefix += _go_escape(unquote(host), _HOST_SAFE)
        rest = slash + path
    elif not scheme and ":" in rest.partition("/")[0]:
        return None  # "first path segment in URL cannot contain colon"
    return prefix + _go_path(rest, _PATH_SAFE) + tail


def _go_path(text: str, safe: frozenset[str]) -> str:
    """A path (or fragment) as Go writes it back: as written when every character of it may
    stand so, else unescaped and escaped again."""
    if all(c.isascii() and (c.isalnum() or c in _ENCODED_SAFE) for c in text):
        return text
    return _go_escape(unquote(text), safe)


def _host_ok(host: str) -> bool:
    if _HOST_ESCAPE.search(host):
        return False
    if host.startswith("["):
        return "]" in host and bool(_PORT.match(host[host.index("]") + 1:]))
    return bool(_PORT.match(host[host.rfind(":"):] if ":" in host else "")) and all(
        not c.isascii() or c.isalnum() or c in _HOST_SAFE or c == "%" for c in host)


def _hosted(key: str) -> bool:
    """A remote of a host (``host/path``): a local path's last part (a clone of a clone, a
    CI runner's cache) names no repository the Applications could."""
    return "/" in key and not key.startswith(("/", "."))


def _name(key: str) -> str:
    return key.rpartition("/")[2]


def identity(remotes: Iterable[str], repo_urls: Iterable[str]) -> tuple[str, ...]:
    """The normalized repoURLs that mean this repository, from its ``remotes`` and every Git
    ``repoURL`` its Applications name: the remotes one names in full, else the repoURLs of a
    remote's repository name, else, when some name a repository of a remote's host (none of
    its name), the remotes themselves: those are other repositories; ``()`` when the
    Applications name no repository of a remote's host, or there is no remote of a host
    (every Git source is then this repository)."""
    own = {key for key in map(normalized, remotes) if _hosted(key)}
    named = {normalized(url) for url in repo_urls} - {""}
    if own & named:
        return tuple(sorted(own & named))
    names = {_name(key) for key in own}
    of_its_name = tuple(sorted(key for key in named if _name(key) in names))
    if of_its_name:
        return of_its_name
    hosts = {_host(key) for key in own}
    if any(_host(key) in hosts for key in named):
        return tuple(sorted(own))  # they name other repositories of the remote's host
    return ()


def settled(remotes: Iterable[str], repo_urls: Iterable[str]) -> bool:
    """Whether ``identity(remotes, repo_urls)`` stays what it is whatever other repoURLs
    more Applications name: there is no remote of a host, or every one is named in full."""
    own = {key for key in map(normalized, remotes) if _hosted(key)}
    return own <= {normalized(url) for url in repo_urls}


def grown(own: tuple[str, ...], remotes: Iterable[str], repo_urls: Iterable[str]
          ) -> tuple[str, ...]:
    """``own`` (``identity``) with each other remote of the checkout that ``repo_urls`` (of
    Applications a render generated) name in full, when ``own`` are remotes named in full:
    an app-of-apps of the checkout's ``origin`` may generate Applications of its
    ``upstream``, the same repository. Nothing is taken away, so what was planned as this
    repository stays this repository."""
    hosted = {key for key in map(normalized, remotes) if _hosted(key)}
    if not own or not set(own) <= hosted:
        return own
    return tuple(sorted({*own, *(hosted & {normalized(url) for url in repo_urls})}))


def _host(key: str) -> str:
    return key.partition("/")[0]


def is_root_path(path: str | None) -> bool:
    """Whether a source ``path`` names the repository's root (``.``, ``/``, ``./``, none)."""
    return posixpath.normpath(path.strip("/") or ".") == "." if path is not None else True


# a URL, an scp-like address (git@host:org/repo) or a path of a host (host/org/repo): no
# whitespace nor characters no URL holds (a placeholder's angle brackets)
_URL_LIKE = re.compile(r"[^\s<>\"{}|\\^`]*[/:][^\s<>\"{}|\\^`]*")


def this_repository(repo_url: str, repo_urls: Iterable[str], own: Iterable[str] = ()) -> bool:
    """Whether a Git source's ``repoURL`` is the checked repository: one of argocd-application's
    ``repoUrls`` globs when it names any, else one of ``own`` (``identity``) when known, else
    any. An ``oci://`` URL is an OCI registry, never a Git repository: Argo CD extracts the
    artifact and reads the source path inside it (``runRepoOperation`` in argo-cd
    ``reposerver/repository/repository.go``). A source with no ``repoURL`` is no repository's
    (Argo CD refuses it), nor is one that is no URL at all (``<REPO_URL>``, a placeholder
    a bootstrap script fills in: Argo CD cannot reach it)."""
    if repo_url.startswith("oci://") or not _URL_LIKE.fullmatch(repo_url.strip()):
        return False
    patterns = tuple(repo_urls)
    if patterns:
        return matches_any(repo_url, patterns)
    known = tuple(own)
    return not known or normalized(repo_url) in known


def remote_urls(root: Path) -> tuple[str, ...]:
    """The ``url`` of every ``[remote "..."]`` section of the ``config`` of the checkout at
    ``root``; ``()`` when there is none or it cannot be read. Nothing else of the file is kept."""
    dirs = git_dirs(root)
    text = _small_text(dirs[1] / "config") if dirs is not None else None
    if text is None:
        return ()
    urls: list[str] = []
    in_remote = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_remote = _SECTION.match(stripped) is not None
            continue
        match = _URL_LINE.match(line) if in_remote else None
        if match is not None:
            value = match.group("value")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            urls.append(value)
    return tuple(urls)


_GIT_FILE_LIMIT = 1 << 20  # bytes of a file of .git read at most


def _small_text(path: Path) -> str | None:
    """The text of the regular file ``path`` (never a pipe or a device, which could block),
    None when it is not one, is larger than ``_GIT_FILE_LIMIT`` or cannot be read. Nothing
    about it is changed, not even its times."""
    raw = read_regular_file(path, _GIT_FILE_LIMIT)
    return raw.decode("utf-8", "replace") if raw is not None else None


def git_dirs(root: Path) -> tuple[Path, Path] | None:
    """The Git directory of the checkout at ``root`` and its common directory (the same, but
    in a linked worktree: where refs and ``config`` live), read without running git; None when
    ``root`` holds no ``.git``."""
    git = root / ".git"
    try:
        if git.is_file():
            pointer = (_small_text(git) or "").strip()
            if not pointer.startswith("gitdir:"):
                return None
            git = (root / pointer[len("gitdir:"):].strip()).resolve()
        if not git.is_dir():
            return None
        common = git
        if (git / "commondir").is_file():
            common = (git / (_small_text(git / "commondir") or ".").strip()).resolve()
    except OSError:
        return None
    return git, common


_INDEX_LIMIT = 1 << 28  # bytes of .git/index read at most
_LINK_MODE = 0o120000


def tracked_links(root: Path) -> tuple[str, ...] | None:
    """The symbolic links the Git index of the checkout at ``root`` tracks (what a clone,
    Argo CD's, holds as links; an untracked link, a virtualenv's, is in no clone), as
    repository-relative paths in the index's order, read without running git; None when
    there is no index or it is not one this reads (versions 2 to 4)."""
    entries = _index_entries(root)
    return None if entries is None else tuple(p for p, mode in entries if mode == _LINK_MODE)


def tracked_files(root: Path) -> frozenset[str] | None:
    """Every path the Git index of the checkout at ``root`` tracks (what a clone holds: no
    file the checkout alone has, a CI job's credentials), repository-relative; None as for
    ``tracked_links``."""
    entries = _index_entries(root)
    return None if entries is None else frozenset(p for p, _ in entries)


def _index_entries(root: Path) -> list[tuple[str, int]] | None:
    """The entries (path, type of mode) of the Git index of the checkout at ``root``."""
    dirs = git_dirs(root)
    data = read_regular_file(dirs[0] / "index", _INDEX_LIMIT) if dirs is not None else None
    if data is None or data[:4] != b"DIRC":
        return None
    try:
        return _index_paths(data)
    except (IndexError, ValueError, struct.error, UnicodeDecodeError):
        return None


def _index_paths(data: bytes) -> list[tuple[str, int]] | None:
    """The paths of the entries in an index file, each with the type bits of its mode
    (git's Documentation/gitformat-index.txt)."""
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        return None
    position, previous = 12, b""
    entries: list[tuple[str, int]] = []
    for _ in range(count):
        start = position
        mode = struct.unpack_from(">I", data, position + 24)[0]
        flags = struct.unpack_from(">H", data, position + 60)[0]
        position += 62 + (2 if version >= 3 and flags & 0x4000 else 0)
        if version == 4:  # the path: a number of bytes dropped from the previous one, then
            strip, position = _offset(data, position)  # the rest up to a NUL
            end = data.index(b"\0", position)
            path = previous[:len(previous) - strip] + data[position:end]
            position = end + 1
        else:  # the path up to a NUL, the entry padded with NULs to a multiple of 8
            end = data.index(b"\0", position)
            path = data[position:end]
            position = start + ((end - start + 8) & ~7)
        previous = path
        entries.append((path.decode("utf-8"), mode & 0o170000))
    return entries


def _offset(data: bytes, position: int) -> tuple[int, int]:
    """git's variable-length offset encoding (varint.c), and the position after it."""
    byte = data[position]
    value = byte & 0x7F
    while byte & 0x80:
        position += 1
        byte = data[position]
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, position + 1


def git_source(source: Source) -> bool:
    """A source of a Git repository: a ``repoURL`` with no chart, not an OCI registry."""
    return bool(source.repo_url) and not source.chart and not source.repo_url.startswith(
        "oci://")


def git_repo_urls(apps: Iterable[Application]) -> set[str]:
    """The ``repoURL`` of every Git source of ``apps``."""
    return {source.repo_url for app in apps for source in app.sources if git_source(source)}


def other_repository(target: RenderTarget) -> bool:
    """A Git source (no plugin) that planning found is not this repository's."""
    remote = target.remote
    return remote is not None and git_source(remote) and target.source_type != "Plugin"


_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
# the branch names a repository's default branch has, whatever the checkout says
_DEFAULT_BRANCHES = ("main", "master")


def checkout(root: Path, named: Iterable[str | None], globs: Iterable[str] = ()) -> Checkout:
    """The ``Checkout`` at ``root``: with argocd-application's ``revisions`` (``globs``),
    those; else the checked-out branch, each remote's default branch and those a CI system
    names (``branches``), ``main`` and ``master``, and the revision the sources of this
    repository (``named``) name most, when one does (not two as often) and none of them
    names the checkout already (none, ``HEAD``, or one of those branches): a repository whose
    Applications all follow one branch of another name."""
    from platecheck.model import Checkout  # (the warm path reads the branches alone)

    known = {*_DEFAULT_BRANCHES, *branches(root)}
    counted = Counter(name or "HEAD" for name in ((n or "").strip() for n in named)
                      if "{{" not in name and "$" not in name)
    top = counted.most_common(2)
    names = set(known)
    if top and (len(top) == 1 or top[0][1] > top[1][1]) \
            and not {"HEAD", *known} & set(counted):
        names.add(top[0][0])
    return Checkout(frozenset(names), repository_revision(root), tuple(globs))


def apps_checkout(root: Path, apps: Iterable[Application], repo_urls: Iterable[str] = (),
                  own: Iterable[str] = (), globs: Iterable[str] = ()) -> Checkout:
    """``checkout`` of the revisions the Git sources of ``apps`` that are this repository
    name (``named_revisions``)."""
    return checkout(root, named_revisions(apps, repo_urls, own), globs)


def named_revisions(apps: Iterable[Application], repo_urls: Iterable[str] = (),
                    own: Iterable[str] = ()) -> list[str | None]:
    """The ``targetRevision`` of each Git source of ``apps`` that is this repository
    (``this_repository`` by ``repo_urls`` and ``own``), in order."""
    urls, known = tuple(repo_urls), tuple(own)
    return [source.target_revision for app in apps for source in app.sources
            if git_source(source) and this_repository(source.repo_url, urls, known)]


# the variables of CI systems that name the branch a change goes into, or is on (GitHub
# Actions, GitLab CI): a CI checkout is often of a detached commit, which names none
_CI_BRANCHES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_COMMIT_BRANCH",
                "CI_DEFAULT_BRANCH")


def branches(root: Path) -> tuple[str, ...]:
    """The branch checked out at ``root``, the default branch of each of its remotes (what
    ``refs/remotes/<remote>/HEAD`` points at), read without running git, and those the CI
    system's variables name (``_CI_BRANCHES``)."""
    found = [value.strip() for value in map(os.environ.get, _CI_BRANCHES) if value and
             value.strip()]
    dirs = git_dirs(root)
    if dirs is None:
        return tuple(dict.fromkeys(found))
    head = (_small_text(dirs[0] / "HEAD") or "").strip()
    if head.startswith("ref: refs/heads/"):
        found.append(head.removeprefix("ref: refs/heads/"))
    remotes = dirs[1] / "refs" / "remotes"
    try:
        pointers = sorted(remotes.glob("*/HEAD")) if remotes.is_dir() else []
    except OSError:
        pointers = []
    for pointer in pointers:
        text = (_small_text(pointer) or "").strip()
        prefix = f"ref: refs/remotes/{pointer.parent.name}/"
        if text.startswith(prefix):
            found.append(text.removeprefix(prefix))
    return tuple(dict.fromkeys(found))


def repository_revision(root: Path) -> str:
    """The commit checked out at ``root`` (``ARGOCD_APP_REVISION``), read from ``.git``
    without running git; "" when ``root`` is not a Git checkout with a commit."""
    dirs = git_dirs(root)
    if dirs is None:
        return ""
    git, common = dirs
    try:
        head = (git / "HEAD").read_text("utf-8").strip()
        if not head.startswith("ref:"):
            return head if _SHA.match(head) else ""
        ref = head[len("ref:"):].strip()
        for base in (git, common):
            loose = base / ref
            if loose.is_file():
                sha = loose.read_text("utf-8").strip()
                return sha if _SHA.match(sha) else ""
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text("utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref and _SHA.match(sha):
                    return sha
    except (OSError, UnicodeDecodeError):
        return ""
    return ""
