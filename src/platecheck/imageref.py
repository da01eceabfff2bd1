"""Container image references: ``[registry[:port]/]path[:tag][@digest]``.

The grammar is the distribution reference grammar
(https://github.com/distribution/reference/blob/main/reference.go) that container runtimes use:
a first path component containing ``.`` or ``:``, or equal to ``localhost``, is a registry;
path components are lowercase alphanumerics joined by ``.``, ``_``, ``__`` or dashes; a tag is
``[\\w][\\w.-]{0,127}``; a digest is ``algorithm:hex``, an algorithm go-digest knows (sha256,
sha384, sha512) with its exact lowercase hex; the repository name, normalized
(``docker.io/library/`` before a name of the default registry), is at most 255 characters; a
64-character hexadecimal string alone is an image ID, no reference.

One departure from the grammar: ``name:`` without a digest, what a chart renders from an empty
tag value, parses with the empty tag ``""`` so that policies can name the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[[a-fA-F0-9:]+\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_DOMAIN_RE = re.compile(_DOMAIN, re.ASCII)
_PATH_RE = re.compile(_PATH, re.ASCII)
_TAG_RE = re.compile(_TAG, re.ASCII)
_DIGEST_RE = re.compile(_DIGEST, re.ASCII)

# Digests that pin content: the OCI registered algorithms with their exact lengths.
# https://github.com/opencontainers/image-spec/blob/main/descriptor.md#registered-algorithms
PINNING_DIGESTS: dict[str, int] = {"sha256": 64, "sha512": 128}
_HEX = frozenset("0123456789abcdef")
# the algorithms go-digest knows (a reference naming another does not parse), and the length
# of their lowercase hex encoding
_DIGEST_LENGTHS: dict[str, int] = {"sha256": 64, "sha384": 96, "sha512": 128}
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}", re.ASCII)


def _digest_valid(digest: str) -> bool:
    """What go-digest's ``Parse`` accepts: a known algorithm and its exact lowercase hex."""
    algorithm, _, hex_digits = digest.partition(":")
    return _DIGEST_LENGTHS.get(algorithm) == len(hex_digits) and set(hex_digits) <= _HEX

# Tags that name a moving target by convention. ``latest`` and the empty tag are always
# floating; this list is the default of the policies' ``floatingTags`` option.
FLOATING_TAGS: tuple[str, ...] = (
    "latest",
    "stable",
    "edge",
    "nightly",
    "main",
    "master",
    "develop",
    "dev",
    "head",
    "canary",
)


class ImageRefError(ValueError):
    """A string that is not a valid image reference."""


@dataclass(frozen=True)
class ImageRef:
    registry: str | None  # "harbor.example.com:5000"; None for the default registry
    path: str  # "library/nginx"
    tag: str | None  # None without a tag; "" for ``name:`` (an empty tag value)
    digest: str | None  # "sha256:<hex>"

    @property
    def repository(self) -> str:
        """The reference without tag and digest, e.g. ``harbor.example.com/plate/web``."""
        return f"{self.registry}/{self.path}" if self.registry else self.path

    @property
    def pinned_by_digest(self) -> bool:
        if self.digest is None:
            return False
        algorithm, _, hex_digits = self.digest.partition(":")
        length = PINNING_DIGESTS.get(algorithm)
        return length == len(hex_digits) and set(hex_digits) <= _HEX

    def __str__(self) -> str:
        text = self.repository
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_image(reference: str) -> ImageRef:
    """Split an image reference into registry, path, tag and digest.

    Raises ``ImageRefError`` when the string is not a valid reference.
    """
    if not isinstance(reference, str) or not reference:
        raise ImageRefError(f"{reference!r} is not an image reference")
    if _IDENTIFIER_RE.fullmatch(reference):  # ParseNormalizedNamed refuses an image ID
        raise ImageRefError(f"{reference!r}: a 64-character hexadecimal string is an image ID, "
                            "not a reference")
    name, at, digest = reference.partition("@")
    if at and not (_DIGEST_RE.fullmatch(digest) and _digest_valid(digest)):
        raise ImageRefError(f"{reference!r}: invalid digest {digest!r}")
    tag: str | None = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:  # a colon after the last slash separates the tag, not a port
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG_RE.fullmatch(tag) and (tag or at):
            raise ImageRefError(f"{reference!r}: invalid tag {tag!r}")
    registry: str | None = None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _DOMAIN_RE.fullmatch(first):
            raise ImageRefError(f"{reference!r}: invalid registry {first!r}")
        registry, name = first, rest
    if not _PATH_RE.fullmatch(name):
        raise ImageRefError(f"{reference!r}: invalid repository path {name!r}")
    # measured as normalized: docker.io/library/ before a name of the default registry
    normalized = f"{registry}/{name}" if registry else (
        f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}")
    if len(normalized) > 255:
        raise ImageRefError(f"{reference!r}: repository name longer than 255 characters")
    return ImageRef(registry=registry, path=name, tag=tag, digest=digest if at else None)


_TAG_WORDS = re.compile(r"[-_.]")
# a word of a tag that names one build: a date or build number (6 digits or more), a commit
_BUILD = re.compile(r"[0-9]{6,}|(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}")


def is_floating(
    tag: str | None, floating_tags: tuple[str, ...] | list[str], pattern: re.Pattern[str] | None
) -> bool:
    """Whether a tag names a moving target: absent, empty, ``latest`` (in any case, also as
    a word of the tag between ``-``, ``_`` and ``.``: ``prod-latest``, ``1.2-latest``, but
    not beside a build's date or commit, ``latest-20260420``), in ``floating_tags``
    (case-insensitive) or matching ``pattern``."""
    words = _TAG_WORDS.split(tag.lower()) if tag else []
    if not tag or "latest" in words and not any(_BUILD.fullmatch(word) for word in words):
        return True
    if tag.lower() in {t.lower() for t in floating_tags}:
        return True
    return pattern is not None and pattern.search(tag) is not None


def kustomize_split(text: str) -> tuple[str, str, str]:
    """An image reference as kustomize splits it (``image.Split``): the name, the tag after
    the first ``:`` and the digest after the first ``@`` that follow its first ``/``."""
    slash = text.find("/")
    start = slash if slash > 0 else 0
    colon, at = text.find(":", start), text.find("@", start)
    if colon < 0 and at < 0:
        return text, "", ""
    if at >= 0 and (colon < 0 or at < colon):
        return text[:at], "", text[at + 1:]
    if at >= 0:
        return text[:colon], text[colon + 1:at], text[at + 1:]
    return text[:colon], text[colon + 1:], ""


__all__ = [
    "FLOATING_TAGS",
    "ImageRef",
    "ImageRefError",
    "is_floating",
    "kustomize_split",
    "parse_image",
]

