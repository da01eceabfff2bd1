"""The build environment Argo CD gives a source's tools, and Go ``os.Expand`` over it.

https://argo-cd.readthedocs.io/en/stable/user-guide/build-environment/ : ``$VAR`` and
``${VAR}`` are replaced, an unknown variable by nothing, ``$$`` by ``$``. Offline there is no
resolved commit, so the revision variables are empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from platecheck.model import Application

_VARIABLE = re.compile(r"\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))")


def app_environment(app: Application | None, source: Mapping[str, object]) -> dict[str, str]:
    """``ARGOCD_APP_*`` for one source of an Application."""
    def text(key: str) -> str:
        value = source.get(key)
        return value if isinstance(value, str) else ""

    return {
        "ARGOCD_APP_NAME": app.name if app else "",
        "ARGOCD_APP_NAMESPACE": (app.destination_namespace or "") if app else "",
        "ARGOCD_APP_PROJECT_NAME": (app.project or "") if app else "",
        "ARGOCD_APP_REVISION": "",
        "ARGOCD_APP_REVISION_SHORT": "",
        "ARGOCD_APP_REVISION_SHORT_8": "",
        "ARGOCD_APP_SOURCE_REPO_URL": text("repoURL"),
        "ARGOCD_APP_SOURCE_PATH": text("path"),
        "ARGOCD_APP_SOURCE_TARGET_REVISION": text("targetRevision"),
    }


def expand(text: str, environment: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) == "$":
            return "$"
        return environment.get(match.group(2) if match.group(2) is not None
                               else match.group(3), "")
    return _VARIABLE.sub(one, text)
