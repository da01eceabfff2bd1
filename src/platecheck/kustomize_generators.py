"""The ConfigMaps and Secrets a kustomization's ``configMapGenerator`` and
``secretGenerator`` make, known by the entry that made them.

kustomize appends ``-`` and a hash of a generated object's content to its name, after any
prefix and suffix (``alpha-89g4tffbfk``), unless the entry's ``options`` or the
kustomization's ``generatorOptions`` set ``disableNameSuffixHash``
(https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/configmapgenerator/).
The hash is the first ten hexadecimal digits of a sha256, with 0, 1, 3, a and e written g,
h, k, m and t (kustomize ``api/hasher``). One ConfigMap whose data differs between two
environments therefore has two names; the name without the hash is the same in both.

Which kustomization configured a generated object, and with which generator, is what
kustomize's origin annotation says (``configuredIn``, ``configuredBy``): the name is cut
only where that kustomization declares a generator of that kind, with the hash, whose name
the rest holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from platecheck.errors import PlatecheckError
from platecheck.yamlio import first_document

_HASH = re.compile(r"-[2456789bcdfghkmt]{10}$")
_LISTS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}


class Generated(NamedTuple):
    """What made a generated ConfigMap or Secret."""

    name: str  # its name before kustomize appended the hash (its name when none was)
    line: int | None  # the line of the generator's entry in its kustomization


def generated(name: str, generator: str | None, text: str, rel: str) -> Generated | None:
    """The generator entry behind an object named ``name`` that kustomize's origin
    annotation says a ``generator`` (``ConfigMapGenerator``, ``SecretGenerator``) of the
    kustomization ``rel`` (``text``) made; None for another object, or when no entry of
    that kustomization gives it its name (the longest entry name its name holds wins)."""
    key = _LISTS.get(generator or "")
    if key is None:
        return None
    try:
        document = first_document(text, rel)
    except PlatecheckError:
        return None
    data = document.data if isinstance(document.data, dict) else {}
    entries = data.get(key)
    if not isinstance(entries, list):
        return None
    hashed = _HASH.search(name)
    stem = name[:hashed.start()] if hashed else name
    found: list[tuple[int, str, int | None]] = []
    for index, entry in enumerate(entries):
        declared = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(declared, str) or not declared:
            continue
        with_hash = not _unhashed(entry, data)
        if (with_hash and hashed and declared in stem) or (not with_hash and declared in name):
            line = document.lines.get((key, index, "name"), document.lines.get((key, index)))
            found.append((len(declared), stem if with_hash else name, line))
    if not found:
        return None
    _, unhashed, line = max(found, key=lambda item: item[0])
    return Generated(unhashed, line)


def _unhashed(entry: Mapping[str, Any], kustomization: Mapping[str, Any]) -> bool:
    """Whether kustomize appends no hash to the name of what ``entry`` generates."""
    return any(isinstance(options, dict) and options.get("disableNameSuffixHash") is True
               for options in (entry.get("options"), kustomization.get("generatorOptions")))
