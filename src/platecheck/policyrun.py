"""Every registered policy run on the model, each finding stamped with its policy, level,
environment and target; waivers applied after. A policy that crashes is a could-not-check
error, not a pass."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import Any

from platecheck import schemas
from platecheck.config import Config
from platecheck.errors import PartlyChecked, PlatecheckError
from platecheck.model import Finding, Level, RenderTarget, RepoModel
from platecheck.policies import (
    argocd_application,
    env_consistency,
    waiver_expired,
    waiver_stale,
)
from platecheck.policies.argocd_application import (
    last_copies,
    with_certificates,
    with_companions,
)
from platecheck.problems import Problems
from platecheck.waivers import apply_waivers


def run_policies(model: RepoModel, config: Config, policies: Mapping[str, ModuleType]
                  ) -> tuple[list[Finding], list[Finding]]:
    findings: list[Finding] = []
    errors = Problems()
    # the copies of an object Argo CD applies; what the other sources of one Application
    # render; the Certificates the other Applications of a cluster deploy
    model = with_certificates(with_companions(last_copies(model)))
    for pid, module in policies.items():
        remediation = str(getattr(module, "REMEDIATION", ""))
        if module.SCOPE == "waivers":
            continue  # produced by platecheck.waivers.apply_waivers, after every other policy
        if module.SCOPE == "target":
            for rendered in model.rendered:
                if config.level(pid, rendered.environment) is Level.OFF \
                        or rendered.environment in model.compared_only:
                    continue
                options = config.policy_options(pid).for_env(rendered.environment)
                produced = _guarded(pid, module.check, (rendered, options), errors,
                                    rendered.target)
                findings.extend(_stamp(produced, pid, config, remediation, rendered.target))
        else:
            options_all = config.policy_options(pid)
            produced = _guarded(pid, module.check, (model, options_all), errors, None)
            findings.extend(_stamp(produced, pid, config, remediation, None))
    return findings, errors.findings


def with_schemas(model: RepoModel, config: Config, policies: Mapping[str, ModuleType]
                  ) -> RepoModel:
    """The model with every target's schemas looked up for each schema policy that runs on
    it: schema files are read here, so that policies read only the model."""
    wanting = [pid for pid, module in policies.items() if module.SCOPE == "target"
               and issubclass(getattr(module, "Options", object), schemas.SchemaOptions)]
    rendered = []
    for target in model.rendered:
        for pid in wanting:
            if config.level(pid, target.environment) is not Level.OFF \
                    and target.environment not in model.compared_only:
                options = config.policy_options(pid).for_env(target.environment)
                target = schemas.prepare(target, options, model.root,
                                         config.kubernetes_version)
        rendered.append(target)
    return dataclasses.replace(model, rendered=tuple(rendered))


def _guarded(pid: str, check: Callable[..., Iterable[Finding]], args: tuple[Any, ...],
             errors: Problems, target: RenderTarget | None) -> list[Finding]:
    """A policy's findings; a policy that crashes is a could-not-check error, not a pass, and
    so is each part of what it checks that it could not (``PartlyChecked``), its findings
    kept. On a target, the error stopped that policy alone (``part_of``): the others checked
    it."""
    try:
        return list(check(*args))
    except PartlyChecked as exc:
        for error in exc.errors:
            errors.add(error, target, part_of=pid)
        return list(exc.found)
    except PlatecheckError as exc:
        errors.add(exc, target, part_of=pid if target else None)
    except Exception as exc:  # noqa: BLE001 - any crash must fail closed, not pass
        where = f" on {target.id}" if target else ""
        errors.add(PlatecheckError(f"policy {pid} failed{where}: {type(exc).__name__}: {exc}"),
                   target, part_of=pid if target else None)
    return []


def _stamp(findings: Iterable[Finding], pid: str, config: Config, remediation: str,
           target: RenderTarget | None) -> Iterator[Finding]:
    for finding in findings:
        environment = finding.environment or (target.environment if target else None)
        level = config.level(pid, environment)
        if level is Level.OFF:
            continue
        yield dataclasses.replace(
            finding, policy=pid, level=level, environment=environment,
            target=finding.target or (target.id if target else None),
            remediation=finding.remediation or remediation)


def waived_findings(findings: list[Finding], config: Config, model: RepoModel
                   ) -> list[Finding]:
    if config.waivers_file is None:
        return findings
    today = datetime.date.today()
    # checked: the targets rendered (one that failed, or whose source is not rendered, holds
    # findings no one knows, so a waiver that may be about it is not stale), but those only
    # compared with (``RepoModel.compared_only``)
    # env-consistency's finding about one environment's target depends on another's render,
    # argocd-application's that two Applications deploy one object on the other's
    waived = apply_waivers(findings, config.waivers, today,
                           [r.id for r in model.rendered
                            if r.environment not in model.compared_only],
                           lambda: model.repository_targets,
                           (env_consistency.ID, argocd_application.ID))
    result = list(waived.findings)
    # stamped here, as run_policies stamps the rest
    for module, produced in ((waiver_expired, waiver_expired.check(waived.expired, today)),
                             (waiver_stale, waiver_stale.check(waived.stale))):
        result.extend(_stamp(produced, module.ID, config, module.REMEDIATION, None))
    return result


def report_order(finding: Finding) -> tuple[Any, ...]:
    return (finding.environment or "", finding.target or "", finding.file or "",
            finding.line or 0, finding.policy, finding.resource or "", finding.message)
