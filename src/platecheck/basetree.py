"""A commit's files written into a private directory, for ``platecheck diff --base REF``.

The files are read from git's object database (``git ls-tree`` and ``git cat-file --batch``):
the checked working tree, its index and ``.git`` are never written, and, unlike
``git archive``, the repository's ``.gitattributes`` cannot rewrite or drop what is exported
(``export-subst``, ``export-ignore``). Submodules are not exported (their commits are of other
repositories): what a source reads of one is reported as in a submodule not checked out, as
for a clone without its submodules (Argo CD checks them out).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from platecheck.changed import git_command, git_out, resolve_commit
from platecheck.errors import PlatecheckError
from platecheck.repourl import branches, remote_urls

OPTION = "--base"
_GIT_TIMEOUT = 120
_SYMLINK, _EXECUTABLE, _SUBMODULE = "120000", "100755", "160000"


def export(root: Path, ref: str, dest: Path) -> str:
    """Write the tree of ``root`` at ``ref`` into ``dest`` (an empty directory); return the
    commit's full hash."""
    sha, prefix = resolve_commit(root, ref, OPTION)
    tree = f"{sha}:{prefix.rstrip('/')}" if prefix else sha
    listing = git_out(root, "ls-tree", "-r", "-z", "--full-tree", tree, option=OPTION)
    entries: list[tuple[str, str, str]] = []  # mode, object id, path
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, _, raw_name = item.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split(" ")
        if kind == "blob" and mode != _SUBMODULE:
            entries.append((mode, oid, raw_name.decode("utf-8", "surrogateescape")))
    contents = _blobs(root, [oid for _, oid, _ in entries])
    base = dest.resolve()
    for (mode, _oid, name), data in zip(entries, contents, strict=True):
        path = base / name
        if not path.resolve().is_relative_to(base) or ".." in Path(name).parts:
            raise PlatecheckError(f"{OPTION}: {ref} holds a path outside its tree: {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode == _SYMLINK:
            os.symlink(data.decode("utf-8", "surrogateescape"), path)
            continue
        path.write_bytes(data)
        if mode == _EXECUTABLE:
            path.chmod(0o755)
    _as_checkout(root, base, sha)
    return sha


def _as_checkout(root: Path, dest: Path, sha: str) -> None:
    """A ``.git`` in ``dest`` holding only its commit (``ARGOCD_APP_REVISION``), the
    checkout's remote URLs (which repoURLs are this repository) and its branches (which
    revisions are this checkout: ``repourl.branches``), so that the tree at the revision is
    read as the checkout is."""
    git = dest / ".git"
    git.mkdir()
    (git / "HEAD").write_text(f"{sha}\n", "utf-8")
    remotes = "".join(f'[remote "r{index}"]\n\turl = {url}\n'
                      for index, url in enumerate(remote_urls(root)))
    (git / "config").write_text(remotes, "utf-8")
    for index, branch in enumerate(branches(root)):  # each as a remote's default branch
        pointer = git / "refs" / "remotes" / f"b{index}" / "HEAD"
        pointer.parent.mkdir(parents=True)
        pointer.write_text(f"ref: refs/remotes/b{index}/{branch}\n", "utf-8")


def _blobs(root: Path, oids: list[str]) -> list[bytes]:
    """The content of each object, in order, from one ``git cat-file --batch``."""
    if not oids:
        return []
    try:
        result = subprocess.run(git_command(root, "cat-file", "--batch", option=OPTION),
                                input="".join(f"{oid}\n" for oid in oids).encode("ascii"),
                                capture_output=True, check=False, timeout=_GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PlatecheckError(f"git cat-file took longer than {_GIT_TIMEOUT}s",
                              str(root)) from None
    if result.returncode != 0:
        raise PlatecheckError(f"git cat-file failed with exit code {result.returncode}",
                              str(root))
    out, position, blobs = result.stdout, 0, []
    for _ in oids:
        end = out.index(b"\n", position)
        header = out[position:end].decode("ascii").split(" ")
        if len(header) != 3:
            raise PlatecheckError(f"git cat-file: unexpected answer {header!r}", str(root))
        size = int(header[2])
        blobs.append(out[end + 1:end + 1 + size])
        position = end + 1 + size + 1
    return blobs
