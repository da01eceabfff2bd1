"""The ``ARGOCD_APP_*`` variables and Argo CD's substitution of them.

https://argo-cd.readthedocs.io/en/stable/user-guide/build-environment/ — Argo CD's
``newEnv`` (reposerver/repository/repository.go) and ``Env.Envsubst`` (Go ``os.Expand``:
``$VAR`` and ``${VAR}``, an unknown variable is empty, ``$$`` is ``$``). Argo CD substitutes
value-file entries, fileParameters paths and parameter values only.
"""

from __future__ import annotations

from collections.abc import Mapping

from platecheck.model import Application, Source

# the namespaces of Argo CD's control plane by default (Argo CD's, OpenShift GitOps')
CONTROL_PLANE = ("argocd", "openshift-gitops")


def instance_name(app: Application) -> str:
    """The name Argo CD knows an Application by (``Application.InstanceName``): its name in
    the control plane's namespace (or none), ``<namespace>_<name>`` in another (Applications
    in any namespace); the control plane's namespace taken as Argo CD's default."""
    if not app.namespace or app.namespace in CONTROL_PLANE:
        return app.name
    return f"{app.namespace}_{app.name}"


def app_environment(app: Application, source: Source, revision: str) -> dict[str, str]:
    """The variables of one source of ``app``; ``revision`` is the checked commit ("" when
    the repository has none). ``ARGOCD_APP_NAME`` is its instance name (the controller
    sends ``app.InstanceName``: ``team-a_web`` for ``web`` in ``team-a``)."""
    return {
        "ARGOCD_APP_NAME": instance_name(app),
        "ARGOCD_APP_NAMESPACE": app.destination_namespace or "",
        "ARGOCD_APP_PROJECT_NAME": app.project or "",
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_REVISION_SHORT": revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": revision[:8],
        "ARGOCD_APP_SOURCE_REPO_URL": source.repo_url,
        "ARGOCD_APP_SOURCE_PATH": source.path or "",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": source.target_revision or "",
    }


def envsubst(text: str, env: Mapping[str, str]) -> str:
    """Go's ``os.Expand`` with Argo CD's mapping (``$$`` -> ``$``, unknown -> empty)."""
    out: list[str] = []
    index = 0
    size = len(text)
    while index < size:
        char = text[index]
        if char != "$" or index + 1 >= size:
            out.append(char)
            index += 1
            continue
        name, width = _shell_name(text[index + 1:])
        if name == "" and width > 0:
            index += 1 + width  # "${}" and other bad syntax: eaten, as Go does
        elif name == "":
            out.append("$")  # "$" before something that is no name: kept
            index += 1
        else:
            out.append("$" if name == "$" else env.get(name, ""))
            index += 1 + width
    return "".join(out)


def _shell_name(rest: str) -> tuple[str, int]:
    """Go's ``getShellName``: the name after ``$`` and how many characters it took."""
    if rest[0] == "{":
        if len(rest) > 2 and _special(rest[1]) and rest[2] == "}":
            return rest[1], 3
        end = rest.find("}", 1)
        if end == -1:
            return "", 1  # no closing brace: Go eats the "{"
        if end == 1:
            return "", 2  # "${}": bad substitution, eaten
        return rest[1:end], end + 1
    if _special(rest[0]):
        return rest[0], 1
    width = 0
    while width < len(rest) and (rest[width].isascii() and (rest[width].isalnum()
                                                            or rest[width] == "_")):
        width += 1
    return rest[:width], width


def _special(char: str) -> bool:
    return char in "*#$@!?-" or char.isdigit()


    return ""
