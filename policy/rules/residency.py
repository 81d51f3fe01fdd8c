"""Residency: data and the infrastructure that touches it stay in the stack's jurisdiction.

The pack cannot import the program's config, so each stack's `policy/config.<stack>.json`
lists its jurisdiction's regions as `allowedRegions` for both policies (tests keep them equal
to infra/jurisdictions.py). An unconfigured list fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    Compliance,
    Setting,
    StackView,
    is_regional_aws_type,
    is_unknown,
    parse_arn,
    plain,
    region_of,
    resource_policy,
    settings,
    stack_policy,
)

Report = Callable[..., None]

DOMAIN = "residency"

AWS_PROVIDER = "pulumi:providers:aws"
# Properties that name another region the resource sends data to or reads data from.
REGION_PROPERTIES = ("sourceRegion", "cloudwatchAlarmRegion", "serviceRegion", "destinationRegion")

RESIDENCY_CONFIG = {
    "allowedRegions": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "The regions of the stack's residency jurisdiction (finstack:residency).",
        }
    ),
}


def _arn_regions(value: Any) -> list[str]:
    """Regions of every ARN inside `value` (cross-region references: replicators, replicas, ...)."""
    if isinstance(value, dict):
        return [r for v in value.values() for r in _arn_regions(v)]
    if isinstance(value, list):
        return [r for v in value for r in _arn_regions(v)]
    arn = parse_arn(value)
    return [arn.region] if arn is not None and arn.region else []


def _allowed(args: ResourceValidationArgs | StackValidationArgs) -> list[str]:
    return [str(r) for r in settings(args, RESIDENCY_CONFIG)["allowedRegions"] or []]


def _judge(name: str, region: str | None, props: dict[str, Any], allowed: list[str], report: Report) -> None:
    """Report a resource or provider whose region, or any region it references, is outside `allowed`."""
    shown = ", ".join(allowed)
    if region is None:
        report(f"{name} must have a known region, one of {shown}.")
    elif region not in allowed:
        report(f"{name} region {region} must be one of {shown}.")
    others = [props.get(p) for p in REGION_PROPERTIES] + _arn_regions(props)
    for other in sorted({o for o in others if isinstance(o, str) and o and not is_unknown(o)} - {region}):
        if other not in allowed:
            report(f"{name} references region {other}, which must be one of {shown}.")


def _resource_in_jurisdiction(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A regional AWS resource, its provider's region and the regions it references are allowed.

    A resource policy, so a resource outside the jurisdiction is refused before it is created
    (a stack policy would only fail `up` after the fact). Providers are the stack policy's.
    """
    if not is_regional_aws_type(args.resource_type):
        return
    allowed = _allowed(args)
    if not allowed:
        report_violation(UNCONFIGURED, None)  # fails closed on every resource, even with --skip-preview
        return
    props = plain(args.props)
    _judge(args.name, region_of(props, args.provider), props, allowed, lambda m: report_violation(m, None))


def _providers_in_jurisdiction(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every AWS provider of the stack is configured for an allowed region.

    The resource policy already judges each resource by its provider's region; this also catches a
    provider no resource uses yet, and reports the missing allow-list once.
    """
    allowed = _allowed(args)
    if not allowed:
        report_violation(UNCONFIGURED, None)
        return
    view = StackView(args.resources)
    for provider in view.resources:
        if provider.resource_type != AWS_PROVIDER:
            continue
        props = view.props(provider)
        region = props.get("region")
        region = region if isinstance(region, str) and region and not is_unknown(region) else None
        _judge(provider.name, region, props, allowed, lambda m, urn=provider.urn: report_violation(m, urn))


UNCONFIGURED = "Residency allowedRegions must be configured for this stack (policy/config.<stack>.json)."
RESIDENCY = Compliance(pci=("12.5.2",), soc2=("C1.1",), gdpr=("art44", "art46"), controls=("FIN-RESIDENCY",))
REMEDIATION = "Pick regions of finstack:residency only; set allowedRegions in policy/config.<stack>.json."

POLICIES = [
    resource_policy(
        name="resource-region-in-jurisdiction",
        description="Every regional AWS resource and cross-region reference must stay in the stack's jurisdiction.",
        validate=_resource_in_jurisdiction,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=RESIDENCY,
        remediation=REMEDIATION,
        config=RESIDENCY_CONFIG,
    ),
    stack_policy(
        name="provider-region-in-jurisdiction",
        description="Every AWS provider of the stack must be configured for a region of the stack's jurisdiction.",
        validate=_providers_in_jurisdiction,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=RESIDENCY,
        remediation=REMEDIATION,
        config=RESIDENCY_CONFIG,
    ),
]
