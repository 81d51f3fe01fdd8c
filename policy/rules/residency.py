"""Residency: data and the infrastructure that touches it stay in the stack's jurisdiction.

The pack cannot import the program's config, so each stack's `policy/config.<stack>.json`
lists its jurisdiction's regions as `allowedRegions` (tests keep it equal to
infra/jurisdictions.py). An unconfigured list fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._util import (
    Compliance,
    Setting,
    StackView,
    is_global_type,
    is_unknown,
    parse_arn,
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


def _checked(resource: PolicyResource) -> bool:
    return resource.resource_type == AWS_PROVIDER or (
        resource.resource_type.startswith("aws:") and not is_global_type(resource.resource_type)
    )


def _arn_regions(value: Any) -> list[str]:
    """Regions of every ARN inside `value` (cross-region references: replicators, replicas, ...)."""
    if isinstance(value, dict):
        return [r for v in value.values() for r in _arn_regions(v)]
    if isinstance(value, list):
        return [r for v in value for r in _arn_regions(v)]
    arn = parse_arn(value)
    return [arn.region] if arn is not None and arn.region else []


def _region_in_jurisdiction(args: StackValidationArgs, report: Report) -> None:
    """Every regional resource, provider and cross-region reference is in an allowed region."""
    view = StackView(args.resources)
    allowed = [str(r) for r in settings(args, RESIDENCY_CONFIG)["allowedRegions"] or []]
    if not allowed:
        report("Residency allowedRegions must be configured for this stack (policy/config.<stack>.json).")
        return
    shown = ", ".join(allowed)
    for resource in view.resources:
        if not _checked(resource):
            continue
        props = view.props(resource)
        if resource.resource_type == AWS_PROVIDER:
            region = props.get("region")
            region = region if isinstance(region, str) and region and not is_unknown(region) else None
        else:
            region = view.region(resource)
        if region is None:
            report(f"{resource.name} must have a known region, one of {shown}.", resource.urn)
        elif region not in allowed:
            report(f"{resource.name} region {region} must be one of {shown}.", resource.urn)
        others = [props.get(p) for p in REGION_PROPERTIES] + _arn_regions(props)
        for other in sorted({o for o in others if isinstance(o, str) and o and not is_unknown(o)} - {region}):
            if other not in allowed:
                report(f"{resource.name} references region {other}, which must be one of {shown}.", resource.urn)


POLICIES = [
    stack_policy(
        name="resource-region-in-jurisdiction",
        description="Every AWS resource, provider and cross-region reference must stay in the stack's jurisdiction.",
        validate=_region_in_jurisdiction,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(pci=("12.5.2",), soc2=("C1.1",), gdpr=("art44", "art46")),
        remediation="Pick regions of finstack:residency only; set allowedRegions in policy/config.<stack>.json.",
        config=RESIDENCY_CONFIG,
    ),
]
