"""Every Ingress serves TLS with a certificate cert-manager issues.

What:
    Every Ingress (``networking.k8s.io``, and the old ``extensions`` group) has ``tls`` entries
    whose ``hosts`` cover every rule host (``*.example.com`` covers exactly one label:
    ``a.example.com``, not ``example.com`` nor ``b.a.example.com``; host names compare
    case-insensitively); each tls entry names a ``secretName``; the Ingress carries a
    cert-manager issuer annotation (``cert-manager.io/cluster-issuer`` or
    ``cert-manager.io/issuer``, not both, and not empty; ``cluster-issuer`` not with
    ``cert-manager.io/issuer-kind`` or ``issuer-group``) naming one of ``issuers``, unless
    what its Application deploys (any of its sources) issues the ``secretName`` of each of
    its tls entries in its namespace: a cert-manager ``Certificate`` (cert-manager's
    certificate written out: its ``issuerRef`` must then name one of ``issuers``; or one
    another Application deploys to the same cluster and namespace, a shared certificate), or
    another Ingress annotated for cert-manager whose tls entries list that secret for its
    hosts (ingress-shim's Certificate, which a second annotated Ingress would not own), or
    may (a source of it that was not rendered, a chart of another repository); no
    two tls entries share a ``secretName``, and, annotated for cert-manager, no tls entry
    lacks ``hosts`` (cert-manager issues nothing for it) unless a Certificate or another
    annotated Ingress of its Application issues (or may issue) its secret. In
    production the issuer must be one of ``productionIssuers`` and no annotation in
    ``sslRedirectAnnotations`` may be false: ``"false"``, ``"False"``,
    ``"FALSE"``, ``"f"``, ``"F"`` or ``"0"``, the values ingress-nginx reads as false (Go's
    ``strconv.ParseBool``, https://pkg.go.dev/strconv#ParseBool), unless the
    ``force-ssl-redirect`` annotation of the same prefix is true: ingress-nginx redirects a
    request to HTTPS when ``force-ssl-redirect`` is true, or when the host has a certificate and
    ``ssl-redirect`` is true (its default), so ``force-ssl-redirect: "false"``, its default,
    turns nothing off. Only Ingresses are checked: other ways of exposing a service (Gateway
    API Gateways and routes, OpenShift Routes, Istio Gateways, Traefik IngressRoutes, Contour
    HTTPProxies) are not.

Why:
    A host missing from ``tls`` is served with the controller's default certificate, which
    browsers reject; without a ``secretName`` cert-manager has nowhere to store the certificate;
    with both issuer annotations, an empty issuer name, a cluster issuer with a kind or group,
    or a secretName two tls entries share, cert-manager refuses the Ingress and issues no
    certificate; a production Ingress on the staging issuer serves an untrusted certificate; and
    turning off the redirect lets production traffic stay on plain HTTP.

Options:
    issuers (list of strings, default []): issuer names an Ingress may use; empty accepts any
        issuer, but the annotation must still be there.
    productionIssuers (list of strings, default []): issuer names production may use; empty
        falls back to ``issuers``.
    requireIssuer (bool, default true): a missing issuer annotation is a finding.
    sslRedirectAnnotations (list of strings, default the ssl-redirect annotations of
        ingress-nginx and of the older ``ingress.kubernetes.io`` prefix): annotations that
        must not be false in production.
    certificateAnnotations (list of strings, default the certificate annotations of the AWS
        Load Balancer Controller, GKE and Azure's Application Gateway: ``alb.ingress.
        kubernetes.io/certificate-arn``, ``ingress.gcp.kubernetes.io/pre-shared-cert``,
        ``networking.gke.io/managed-certificates``, ``appgw.ingress.kubernetes.io/
        appgw-ssl-certificate``, and Traefik's ``traefik.ingress.kubernetes.io/router.tls.
        certresolver``): an Ingress with one of them, not empty, is served TLS by its load
        balancer with the certificate it names (Traefik: by its router, with the
        certificate the ACME resolver it names obtains for each rule host), which needs no
        ``tls`` entry nor cert-manager: nothing else is checked of it. So is an ALB's
        Ingress (of the class ``alb``, or of an IngressClass whose controller is
        ``ingress.k8s.aws/alb`` that the render or another Application to its cluster
        deploys) whose
        ``alb.ingress.kubernetes.io/listen-ports`` opens an HTTPS port: the AWS Load
        Balancer Controller serves it with the ACM certificates it discovers for its hosts.
        An Ingress naming no class is of the IngressClass so deployed that is annotated
        ``ingressclass.kubernetes.io/is-default-class: "true"`` (when one alone is), as the
        API server gives it.
    certificateClasses (list of strings, default ["tailscale"]): ingress classes
        (``spec.ingressClassName``, or the ``kubernetes.io/ingress.class`` annotation) whose
        controller provisions and serves each host's certificate itself (the Tailscale
        operator's): nothing is checked of their Ingresses.

Passes:
    annotations: {cert-manager.io/cluster-issuer: letsencrypt-prod}
    tls: [{hosts: [app.example.com], secretName: app-tls}]
    rules: [{host: app.example.com, ...}]
    production: nginx.ingress.kubernetes.io/force-ssl-redirect: "false" (its default)
    no annotation, tls [{hosts: [app.example.com], secretName: app-tls}] and a Certificate
    of secretName app-tls in the render

Fails:
    rules: [{host: www.example.com}] with tls hosts [app.example.com]
    tls: [{hosts: [app.example.com]}]                         (no secretName)
    no cert-manager.io/cluster-issuer or cert-manager.io/issuer annotation
    both cert-manager.io/cluster-issuer and cert-manager.io/issuer
    cert-manager.io/cluster-issuer: ""
    tls: [{hosts: [a.example.com], secretName: tls}, {hosts: [b.example.com], secretName: tls}]
    production: cert-manager.io/cluster-issuer: letsencrypt-staging
    production: nginx.ingress.kubernetes.io/ssl-redirect: "false" (or "0", "F", ...)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from platecheck.hosts import covered
from platecheck.manifest_lines import field_origin
from platecheck.model import Finding, Origin, RenderedTarget, Resource
from platecheck.provenance import find_value, locate, resource_finding, shown_refs

ID = "ingress-tls"
SUMMARY = "every Ingress has TLS for all its hosts, a secretName and a cert-manager issuer"
SCOPE = "target"
ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
_ISSUER_KIND, _ISSUER_GROUP = "cert-manager.io/issuer-kind", "cert-manager.io/issuer-group"


@dataclass(frozen=True)
class Options:
    issuers: tuple[str, ...] = ()
    production_issuers: tuple[str, ...] = ()
    require_issuer: bool = True
    ssl_redirect_annotations: tuple[str, ...] = (
        "nginx.ingress.kubernetes.io/ssl-redirect",
        "ingress.kubernetes.io/ssl-redirect",
    )
    certificate_annotations: tuple[str, ...] = (
        "alb.ingress.kubernetes.io/certificate-arn",
        "ingress.gcp.kubernetes.io/pre-shared-cert",
        "networking.gke.io/managed-certificates",
        "appgw.ingress.kubernetes.io/appgw-ssl-certificate",
        "traefik.ingress.kubernetes.io/router.tls.certresolver",
    )
    certificate_classes: tuple[str, ...] = ("tailscale",)


REMEDIATION = (
    "list every rule host under spec.tls[].hosts with a secretName (give a rule of no host a "
    "host so listed, or drop it), and annotate the Ingress with "
    "cert-manager.io/cluster-issuer: <an allowed issuer>"
)
_GROUPS = ("networking.k8s.io/", "extensions/")
_CERT_MANAGER = "cert-manager.io/"  # a Certificate's group
# The strings Go's strconv.ParseBool reads as false, as ingress-nginx parses its annotations.
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})


def check(target: RenderedTarget, options: Options) -> Iterator[Finding]:
    production = target.target.production
    ingresses = [r for r in target.resources
                 if r.kind == "Ingress" and r.api_version.startswith(_GROUPS)]
    shown = shown_refs(ingresses)
    issued = _issued(target) if ingresses else _Issued({}, {})
    for resource in ingresses:
        for message, origin in _problems(target, resource, options, production, issued):
            yield resource_finding(ID, target, resource.ref,
                                   f"{shown[resource.index]} {message}", origin)


def _values_map(values: Any, annotations: Mapping[str, Any],
                path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """The key path of the values' ``annotations`` map equal to the rendered ``annotations``
    (the template writes it whole: ``toYaml .Values.ingress.annotations``), the first in
    the values' order; None when there is none, or the Ingress has no annotations."""
    if not annotations or not isinstance(values, Mapping):
        return None
    for key, value in values.items():
        if key == "annotations" and isinstance(value, Mapping) and dict(value) == dict(
                annotations):
            return (*path, key)
        found = _values_map(value, annotations, (*path, key))
        if found is not None:
            return found
    return None


_Where = Callable[..., Origin | None]  # locate() for one Ingress of one target


def _problems(
    target: RenderedTarget, ingress: Resource, options: Options, production: bool,
    issued: _Issued,
) -> Iterator[tuple[str, Origin | None]]:
    def where(
        values: tuple[object, ...],
        keys: tuple[str, ...],
        *fields: str,
        parents: tuple[str, ...] = (),
        written: str | None = None,
    ) -> Origin | None:
        # a value under a key of ``ingress`` before another key of the same text
        return locate(target, values, keys=keys, parents=parents, resource=ingress,
                      fields=fields, written=written, context=("ingress",))

    def at_metadata() -> Origin | None:
        """The Ingress's metadata: its template's ``annotations`` (or ``metadata``) line,
        else, for an Ingress a template writes whole from the values (``toYaml``), the
        ``metadata:`` of the values entry that names it."""
        metadata = _mapping(ingress.doc.get("metadata"))
        passed = _values_map(target.values.data, _mapping(metadata.get("annotations")))
        if passed is not None:  # the template writes a values map as it is (toYaml)
            found = locate(target, path=passed)
            if found is not None and found.line is not None:
                return found
        origin = where((), (), "annotations", "metadata")
        if origin is not None and origin.line is not None and ingress.template_file:
            return origin  # (else the Application's line: a chart archive's template)
        name = metadata.get("name")
        if isinstance(name, str) and name:
            found = find_value(target, [name], keys=("name",), parents=("metadata",),
                               require_key=True, up=1)
            if found is not None and found.line is not None:
                return found
        # a template of a chart archive: the values map its annotations came from
        for key, value in _mapping(metadata.get("annotations")).items():
            found = find_value(target, [value], keys=(key,), parents=("annotations",),
                               require_key=True, up=1)
            if found is not None and found.line is not None:
                return found
        return origin

    annotations = _mapping(_mapping(ingress.doc.get("metadata")).get("annotations"))
    if any(str(annotations.get(key) or "").strip() for key in options.certificate_annotations):
        return  # its load balancer serves TLS with the certificate the annotation names
    if _controller_certified(target, ingress, annotations, options):
        return
    yield from _tls_problems(target, ingress, where)
    yield from _unissued(target, ingress, annotations, where, issued)
    certificates = _certificates(target, ingress, issued)
    yield from _certificate_problems(target, certificates, options, production)
    yield from _issuer_problems(ingress, options, production, where, at_metadata,
                                certified=bool(certificates)
                                or _issued_by_another(target, ingress, issued))


def _unissued(target: RenderedTarget, ingress: Resource, annotations: Mapping[str, Any],
              where: _Where, issued: _Issued) -> Iterator[tuple[str, Origin | None]]:
    """The tls entries of no hosts an Ingress annotated for cert-manager asks it to issue
    (no Certificate or other annotated Ingress of its Application issues their secret):
    ingress-shim skips each (``validateIngressTLSBlock``: "has no hosts specified"), so its
    secret never exists and the controller serves its default certificate."""
    if not any(str(annotations.get(key) or "").strip() for key in ISSUER_ANNOTATIONS) \
            or target.companions_unknown:  # (a source not rendered may issue the secrets)
        return
    home = _namespace(target, ingress)
    tls = _tls(ingress)
    for number, entry in enumerate(tls, 1):
        secret = entry.get("secretName")
        if secret and not _list(entry.get("hosts")) \
                and not issued.by_certificate(home, str(secret)) \
                and issued.hosts_of_others(home, str(secret), ingress) is None:
            yield (f'tls entry #{number} (secretName "{secret}") has no hosts; cert-manager '
                   "issues no certificate for a tls entry without hosts",
                   where((secret,), ("secretName",), "secretName", "tls", parents=("tls",)))


@dataclass(frozen=True)
class _Issued:
    """The secrets what an Application deploys (a target's render and its other sources')
    issues, by namespace and secret name: cert-manager Certificates, and the tls entries
    (with hosts) of Ingresses annotated for cert-manager, each with its Ingress (ingress-shim
    makes a Certificate of that secret for those hosts); and what the Certificates other
    Applications deploy to its cluster issue."""

    certificates: Mapping[tuple[str, str], Resource]
    by_ingresses: Mapping[tuple[str, str], list[tuple[int, list[str]]]]
    # the Certificates other Applications deploy to its cluster issue these
    beside: frozenset[tuple[str, str]] = frozenset()

    def by_certificate(self, namespace: str, secret: str) -> bool:
        """Whether a Certificate (the Application's, or another's) issues the secret."""
        return (namespace, secret) in self.certificates or (namespace, secret) in self.beside

    def hosts_of_others(self, namespace: str, secret: str, ingress: Resource
                        ) -> list[str] | None:
        """The hosts Ingresses other than ``ingress`` have the secret issued for; None when
        none has."""
        entries = [hosts for owner, hosts in self.by_ingresses.get((namespace, secret), [])
                   if owner != id(ingress)]
        return [host for hosts in entries for host in hosts] if entries else None


def _issued(target: RenderedTarget) -> _Issued:
    certificates: dict[tuple[str, str], Resource] = {}
    by_ingresses: dict[tuple[str, str], list[tuple[int, list[str]]]] = {}
    for resource in (*target.resources, *target.companions):
        spec = _mapping(resource.doc.get("spec"))
        home = _namespace(target, resource)
        if resource.kind == "Certificate" and resource.api_version.startswith(_CERT_MANAGER):
            certificates.setdefault((home, str(spec.get("secretName"))), resource)
        elif resource.kind == "Ingress" and resource.api_version.startswith(_GROUPS) and any(
                str(_mapping(_mapping(resource.doc.get("metadata")).get("annotations")).get(key)
                    or "").strip() for key in ISSUER_ANNOTATIONS):
            for entry in _tls(resource):
                hosts = [str(host) for host in _list(entry.get("hosts"))]
                if entry.get("secretName") and hosts:
                    by_ingresses.setdefault((home, str(entry["secretName"])), []).append(
                        (id(resource), hosts))
    # (another Application's: its issuer is that Application's to check)
    beside = {(home, str(_mapping(resource.doc.get("spec")).get("secretName")))
              for home, resource in target.certificates_beside}
    return _Issued(certificates, by_ingresses, frozenset(beside))


def _namespace(target: RenderedTarget, resource: Resource) -> str:
    """The namespace a resource is applied in: its own, else its Application's
    destination's."""
    return resource.namespace or target.target.namespace


def _issued_by_another(target: RenderedTarget, ingress: Resource, issued: _Issued) -> bool:
    """Whether each tls entry's secret (for its hosts) is issued by a Certificate or
    another annotated Ingress its Application deploys (``_Issued``), or may be (a source of
    it not rendered): the Ingress needs no annotation (a second one would not own the
    Certificate: ingress-shim refuses to update it)."""
    home = _namespace(target, ingress)

    def by_another(entry: Mapping[str, Any]) -> bool:
        secret = str(entry.get("secretName"))
        if issued.by_certificate(home, secret) or entry.get("secretName") \
                and target.companions_unknown:  # (a source not rendered may issue it)
            return True
        hosts = issued.hosts_of_others(home, secret, ingress)
        return hosts is not None and all(covered(str(host), hosts)
                                         for host in _list(entry.get("hosts")))
    tls = _tls(ingress)
    return bool(tls) and all(by_another(entry) for entry in tls)


def _certificates(target: RenderedTarget, ingress: Resource, issued: _Issued
                  ) -> list[Resource]:
    """The cert-manager Certificates of the render that issue the secret of each tls entry
    of the Ingress (same namespace, ``spec.secretName``), one per entry; none unless every
    entry has one. Such an Ingress needs no issuer annotation: ingress-shim would make a
    second Certificate of that secret."""
    tls = _tls(ingress)
    home = _namespace(target, ingress)
    found = [issued.certificates.get((home, str(entry.get("secretName")))) for entry in tls]
    return [r for r in found if r is not None] if tls and all(found) else []


def _certificate_problems(target: RenderedTarget, certificates: Sequence[Resource],
                          options: Options, production: bool
                          ) -> Iterator[tuple[str, Origin | None]]:
    """The issuer of each Certificate issuing an Ingress's secrets, against those allowed."""
    allowed = list(options.production_issuers if production and options.production_issuers
                   else options.issuers)
    for certificate in {c.index: c for c in certificates}.values():
        issuer = _mapping(_mapping(certificate.doc.get("spec")).get("issuerRef")).get("name")
        if allowed and str(issuer) not in allowed:
            scope = "production" if production else "this environment"
            choices = ", ".join(f'"{name}"' for name in allowed)
            yield (f'has its certificate from {certificate.ref}, of issuer "{issuer}"; '
                   f"{scope} allows {choices}",
                   field_origin(target, certificate, ("spec", "issuerRef", "name")))


# the AWS Load Balancer Controller's listeners: ``[{"HTTP": 80}, {"HTTPS": 443}]``
_ALB_PORTS = "alb.ingress.kubernetes.io/listen-ports"


# the AWS Load Balancer Controller's name for itself in an IngressClass
_ALB_CONTROLLER = "ingress.k8s.aws/alb"


def _controller_certified(target: RenderedTarget, ingress: Resource,
                          annotations: Mapping[str, Any], options: Options) -> bool:
    """Whether the Ingress's controller provisions its certificates itself: its class is one
    of ``certificateClasses``, or its ALB listens on HTTPS (the AWS Load Balancer
    Controller discovers an ACM certificate for each host when none is named). An Ingress
    is the ALB's when its class is ``alb`` or an IngressClass of the render or of another
    Application on its cluster names that controller (its class, when it names none, the
    default one); another class's controller ignores the ``alb.`` annotations."""
    spec = _mapping(ingress.doc.get("spec"))
    classes = [r for r in (*target.resources, *target.ingress_classes_beside)
               if r.kind == "IngressClass"]
    written = spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class") \
        or _default_class(classes)
    if isinstance(written, str) and written in options.certificate_classes:
        return True
    albs = {"alb"} | {r.name for r in classes
                      if _mapping(r.doc.get("spec")).get("controller") == _ALB_CONTROLLER}
    if written not in albs:
        return False
    ports = annotations.get(_ALB_PORTS)
    try:
        listeners = json.loads(ports) if isinstance(ports, str) else None
    except ValueError:
        return False
    return isinstance(listeners, list) and any(
        isinstance(listener, Mapping) and "HTTPS" in listener for listener in listeners)


def _default_class(classes: Sequence[Resource]) -> str | None:
    """The IngressClass the API server gives an Ingress that names none
    (``DefaultIngressClass`` admission): the one of ``classes`` annotated the default, when
    one alone is."""
    defaults = {r.name for r in classes if str(_mapping(_mapping(r.doc.get("metadata")).get(
        "annotations")).get(_DEFAULT_CLASS, "")).lower() == "true"}
    return next(iter(defaults)) if len(defaults) == 1 else None


_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"


def _tls_problems(target: RenderedTarget, ingress: Resource, where: _Where
                  ) -> Iterator[tuple[str, Origin | None]]:
    """Hosts no tls entry covers, tls entries without a secret."""
    spec = _mapping(ingress.doc.get("spec"))
    tls = _tls(ingress)
    rules = [_mapping(rule) for rule in _list(spec.get("rules"))]
    tls_hosts = [str(host) for entry in tls for host in _list(entry.get("hosts"))]
    if not tls and not any(rule.get("host") for rule in rules):
        yield "has no tls entries", where((), (), "spec", "kind")
    for number, rule in enumerate(rules, 1):
        host = rule.get("host")
        if not host:
            if tls and not any(not entry.get("hosts") for entry in tls):
                # the rule itself where its file writes the rules one by one
                yield (
                    f"rule #{number} has no host, so no tls entry covers it",
                    field_origin(target, ingress, ("spec", "rules", number - 1))
                    if ingress.template_file else where((), (), "rules", "spec"),
                )
            continue
        if not covered(str(host), tls_hosts):
            hostless = next((n for n, entry in enumerate(tls, 1)
                             if not _list(entry.get("hosts"))), None)
            yield (
                f'host "{_shown(host)}" is not covered by any tls entry' if hostless is None
                else f'host "{_shown(host)}" is in no tls entry\'s hosts (tls entry #{hostless} '
                'lists none)',
                where((host,), ("host", "hosts", "hostname", "domain"), "host", "rules",
                      written="host", parents=("ingress", "hosts")),  # a global domain last
            )
    for number, entry in enumerate(tls, 1):
        if not entry.get("secretName"):
            hosts = [_shown(h) for h in _list(entry.get("hosts"))]
            named = f" ({', '.join(hosts)})" if hosts else ""
            # An empty secretName written in the values is the line to fix; else the hosts.
            origin = find_value(
                target, ("",), keys=("secretName",), context=tuple(hosts)
            ) or where(tuple(hosts[:1]), ("hosts", "host"), "tls", "hosts", parents=("tls",))
            yield f"tls entry #{number}{named} has no secretName", origin
    # cert-manager's ingress-shim stops at a secretName two tls entries share
    # (checkForDuplicateSecretNames in certificate-shim/sync.go): no certificate at all
    secrets = [str(entry.get("secretName")) for entry in tls if entry.get("secretName")]
    for secret in sorted({name for name in secrets if secrets.count(name) > 1}):
        yield (
            f'names secretName "{secret}" in {secrets.count(secret)} tls entries; '
            "cert-manager issues no certificate for an Ingress whose tls entries share one",
            where((secret,), ("secretName",), "secretName", "tls", parents=("tls",)),
        )


def _issuer_problems(ingress: Resource, options: Options, production: bool,
                     where: _Where, at_metadata: Callable[[], Origin | None],
                     certified: bool) -> Iterator[tuple[str, Origin | None]]:
    """cert-manager issuer annotations (none needed when Certificates of the render issue
    its secrets: ``certified``), and the HTTPS redirect in production."""
    metadata = _mapping(ingress.doc.get("metadata"))
    annotations = {str(k): v for k, v in _mapping(metadata.get("annotations")).items()}
    issuers = [(key, annotations[key]) for key in ISSUER_ANNOTATIONS if key in annotations]
    allowed = list(options.issuers)
    if production and options.production_issuers:
        allowed = list(options.production_issuers)
    if not issuers and options.require_issuer and not certified:
        yield (
            f"has no cert-manager issuer annotation ({' or '.join(ISSUER_ANNOTATIONS)})",
            at_metadata(),
        )
    if len(issuers) > 1:
        # ingress-shim stops with "both ... may not be set" (issuerForIngressLike in
        # https://github.com/cert-manager/cert-manager/blob/master/pkg/controller/certificate-shim/sync.go)
        key, issuer = issuers[-1]
        yield (
            f"sets both {' and '.join(ISSUER_ANNOTATIONS)}; "
            "cert-manager issues no certificate when both are set",
            where((issuer,), (key,), key, "annotations"),
        )
    if len(issuers) == 1 and issuers[0][1] in ("", None):
        # issuerForIngressLike: "failed to determine issuer name to be used for ingress
        # resource" (the key overrides the controller's default issuer)
        key, issuer = issuers[0]
        yield (
            f'names no issuer ({key}: ""); cert-manager issues no certificate',
            where((issuer,), (key,), key, "annotations"),
        )
    cluster = ISSUER_ANNOTATIONS[0]
    for other in (_ISSUER_KIND, _ISSUER_GROUP) if cluster in annotations else ():
        if other in annotations:
            yield (
                f"sets both {cluster} and {other}; cert-manager issues no certificate when "
                "both are set",
                where((annotations[other],), (other,), other, "annotations"),
            )
    for key, issuer in issuers:
        if allowed and str(issuer) not in allowed:
            scope = "production" if production else "this environment"
            choices = ", ".join(f'"{name}"' for name in allowed)
            yield (
                f'uses issuer "{issuer}" ({key}); {scope} allows {choices}',
                where((issuer,), (key,), key, "annotations"),
            )
    if production:
        for name in options.ssl_redirect_annotations:
            value = annotations.get(name)
            shown = "false" if value is False else str(value)
            if value is not None and shown in _FALSE and not _forced(annotations, name):
                yield (
                    f'disables the HTTPS redirect in production ({name}: "{shown}")',
                    where((value,), (name,), name, "annotations"),
                )


def _forced(annotations: Mapping[str, Any], name: str) -> bool:
    """Whether ``force-ssl-redirect`` of ``name``'s prefix is true: ingress-nginx then
    redirects whatever ``ssl-redirect`` says."""
    # redirect_to_https in https://github.com/kubernetes/ingress-nginx/blob/main/
    # rootfs/etc/nginx/lua/lua_ingress.lua
    prefix, _, annotation = name.rpartition("/")
    if annotation != "ssl-redirect":
        return False
    force = annotations.get(f"{prefix}/force-ssl-redirect")
    return force is True or str(force) in _TRUE


def _tls(ingress: Resource) -> list[Mapping[str, Any]]:
    """The Ingress's tls entries (an entry that is no mapping: an empty one)."""
    return [_mapping(entry) for entry in _list(_mapping(ingress.doc.get("spec")).get("tls"))]


def _shown(value: Any) -> str:
    """A value as a message shows it: text as it is, anything else as JSON (a host written
    as a list or a number, which k8s-schema reports)."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("any-issuer-when-unlisted", "both-issuer-annotations", "cluster-issuer-with-kind",
         "empty-issuer-name", "empty-secret-name", "shared-secret-name",
         "force-ssl-redirect-false", "host-without-tls", "ingress-written-from-values",
         "no-issuer-annotation", "no-secret-name", "ssl-redirect-disabled", "ssl-redirect-go-false",
         "staging-issuer-in-production", "staging-may-skip-redirect", "wildcard-certificate",
         "wildcard-covers-one-label", "controller-certificates", "tls-entry-without-hosts")
