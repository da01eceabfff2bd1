"""Image reference parsing: known references, round trips and junk."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from platecheck.imageref import (
    FLOATING_TAGS,
    ImageRef,
    ImageRefError,
    is_floating,
    parse_image,
)
from platecheck.policies.pull_policy import default_pull_policy

SHA = "a" * 64

KNOWN = [
    ("nginx", ImageRef(None, "nginx", None, None)),
    ("nginx:1.25", ImageRef(None, "nginx", "1.25", None)),
    ("library/nginx:latest", ImageRef(None, "library/nginx", "latest", None)),
    (
        "harbor.example.com/plate/web:1.4.2",
        ImageRef("harbor.example.com", "plate/web", "1.4.2", None),
    ),
    (
        "harbor.example.com:5000/plate/web",
        ImageRef("harbor.example.com:5000", "plate/web", None, None),
    ),
    ("localhost/web:dev", ImageRef("localhost", "web", "dev", None)),
    ("localhost:5000/web", ImageRef("localhost:5000", "web", None, None)),
    ("[::1]:5000/web:1", ImageRef("[::1]:5000", "web", "1", None)),
    ("Registry/web", ImageRef("Registry", "web", None, None)),
    (f"nginx@sha256:{SHA}", ImageRef(None, "nginx", None, f"sha256:{SHA}")),
    (f"nginx:1.25@sha256:{SHA}", ImageRef(None, "nginx", "1.25", f"sha256:{SHA}")),
    ("a/b__c/d-e---f.g:V_1.0-rc", ImageRef(None, "a/b__c/d-e---f.g", "V_1.0-rc", None)),
    ("localhost:5000", ImageRef(None, "localhost", "5000", None)),  # docker reads a tag here
    ("nginx:", ImageRef(None, "nginx", "", None)),  # an empty tag value, rendered
    ("harbor.example.com:5000/web:", ImageRef("harbor.example.com:5000", "web", "", None)),
]

JUNK = [
    "",
    ":",
    f"nginx:@sha256:{SHA}",
    "Nginx",
    "nginx:-1",
    "nginx:.1",
    "nginx::1",
    "nginx:1 2",
    "-nginx",
    "nginx/",
    "/nginx",
    "a//b",
    "a__-b",
    "nginx@sha256:abc",
    "nginx@sha256",
    f"nginx@{SHA}",
    "nginx:" + "a" * 129,
    "registry_x.example.com/web",
    "{{ .Values.image }}",
    " nginx",
]


@pytest.mark.parametrize(("text", "expected"), KNOWN, ids=[k[0] for k in KNOWN])
def test_known_references(text: str, expected: ImageRef) -> None:
    ref = parse_image(text)
    assert ref == expected
    assert str(ref) == text


@pytest.mark.parametrize("junk", JUNK)
def test_junk_is_rejected(junk: str) -> None:
    with pytest.raises(ImageRefError):
        parse_image(junk)


def test_pinning_digests() -> None:
    assert parse_image(f"nginx@sha256:{SHA}").pinned_by_digest
    assert parse_image(f"nginx@sha512:{'b' * 128}").pinned_by_digest
    assert not parse_image(f"nginx@sha384:{'c' * 96}").pinned_by_digest  # no OCI pinning one
    assert parse_image("registry.example.com/a/b:1").repository == "registry.example.com/a/b"


@pytest.mark.parametrize("reference", [
    f"nginx@sha256:{'a' * 63}0a",  # 65 hex digits
    f"nginx@sha256:{'A' * 64}",  # uppercase hex: go-digest's Validate refuses it
    f"nginx:latest@sha256:{'a' * 32}",  # too short for sha256
    f"nginx@md5:{'a' * 32}",  # no algorithm go-digest knows
    "0123456789abcdef" * 4,  # an image ID: ParseNormalizedNamed refuses it
    "a" * 240 + ":1.0",  # a 240-character name, 258 once normalized (docker.io/library/)
])
def test_what_kubernetes_cannot_parse_is_no_reference(reference: str) -> None:
    """distribution/reference's ParseNormalizedNamed with go-digest: the kubelet cannot pull
    these, and the API server defaults their pull policy to IfNotPresent."""
    with pytest.raises(ImageRefError):
        parse_image(reference)
    assert default_pull_policy(reference) == "IfNotPresent"


def test_floating_tags() -> None:
    pattern = re.compile(r"^v?[0-9]+(\.[0-9]+)?$")
    assert is_floating(None, FLOATING_TAGS, None)
    assert is_floating("", (), None)
    assert is_floating("latest", (), None)
    assert is_floating("LATEST", ("nightly",), None)  # latest in any case, whatever the list
    assert is_floating("Latest", (), None)
    assert is_floating("Stable", FLOATING_TAGS, None)
    assert not is_floating("1.25.3", FLOATING_TAGS, None)
    assert is_floating("1.25", FLOATING_TAGS, pattern)
    assert not is_floating("1.25.3", FLOATING_TAGS, pattern)
    # latest as a word of the tag moves too; a word that merely holds it does not
    for tag in ("prod-latest", "latest-prod", "1.2_Latest", "v1.latest"):
        assert is_floating(tag, (), None), tag
    for tag in ("latest-alpine",):
        assert is_floating(tag, (), None), tag
    # (nor beside a build's date, number or commit: one build)
    for tag in ("latestish", "notlatest", "1.25.3-alpine", "stable-1.2", "latest-20260420",
                "latest-3f2c1a9", "prod-latest-1234567"):
        assert not is_floating(tag, (), None), tag


# --- properties: references built from the grammar split back into their parts -------------

alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
separator = st.sampled_from([".", "_", "__", "-", "--"])


@st.composite
def path_components(draw: st.DrawFn) -> str:
    parts = [draw(alnum)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(separator), draw(alnum)]
    return "".join(parts)


domain_label = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,4}[a-zA-Z0-9])?", fullmatch=True)


@st.composite
def registries(draw: st.DrawFn) -> str:
    labels = draw(st.lists(domain_label, min_size=1, max_size=3))
    host = ".".join(labels)
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    if port is None and "." not in host and host != "localhost":
        host += ".io"  # otherwise it would be read as a path component
    return host if port is None else f"{host}:{port}"


tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
digests = st.sampled_from([("sha256", 64), ("sha384", 96), ("sha512", 128)]).flatmap(
    lambda known: st.text("0123456789abcdef", min_size=known[1], max_size=known[1]).map(
        lambda hex_: f"{known[0]}:{hex_}"))


@given(
    st.one_of(st.none(), registries()),
    st.lists(path_components(), min_size=1, max_size=3).map("/".join),
    st.one_of(st.none(), tags),
    st.one_of(st.none(), digests),
)
def test_round_trip(registry: str | None, path: str, tag: str | None, digest: str | None) -> None:
    first = path.split("/")[0]
    # Without a registry, a first component that looks like a host is read as one (below).
    assume(registry is not None or "/" not in path or ("." not in first and first != "localhost"))
    text = str(ImageRef(registry, path, tag, digest))
    ref = parse_image(text)
    assert ref == ImageRef(registry, path, tag, digest)
    assert str(ref) == text


@given(st.lists(path_components(), min_size=2, max_size=3).map("/".join))
def test_host_like_first_component_is_the_registry(path: str) -> None:
    first, rest = path.split("/", 1)
    if "_" in first and "." in first:  # a host-like first component must be a valid host
        with pytest.raises(ImageRefError, match="invalid registry"):
            parse_image(path)
        return
    ref = parse_image(path)
    if "." in first or first == "localhost":
        assert (ref.registry, ref.path) == (first, rest)
    else:
        assert (ref.registry, ref.path) == (None, path)


@given(st.text(max_size=40))
def test_anything_parses_or_raises_image_ref_error(text: str) -> None:
    try:
        ref = parse_image(text)
    except ImageRefError:
        return
    assert str(ref) == text
