"""Posture: every region records its configuration, is assessed against FSBP and PCI DSS, blocks VPC ingress.

Stack policies over components/posture.py. They are skipped when the stack's config says a landing
zone owns the account-level services (`finstack:security.accountServices: landing-zone`): the
stack then declares none of them and `finstack check`/`up` verify them in the account instead
(finstack/preflight). The pack reads that key from the stack config the engine passes in
PULUMI_CONFIG (see governance.py); structured values arrive as JSON text.

The exception is `vpc-block-public-access-exclusion-public-subnets`: the exclusions are the stack's
own (components/network.py declares them in both modes), so it checks them whoever owns the mode.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._util import (
    TIER_TAG,
    Compliance,
    StackView,
    is_true,
    is_unknown,
    landing_zone_owns_account_services,
    stack_config,
    stack_policy,
    tag,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "posture"

HUB = "aws:securityhub/account:Account"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
AWS_PROVIDER = "pulumi:providers:aws"
BPA_OPTIONS = "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions"
BPA_EXCLUSION = "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
# Internet-facing ALBs and NLBs need the internet gateway ("VPC BPA basics", Amazon VPC User Guide);
# Gateway Load Balancers stay blocked even in excluded subnets, so an exclusion cannot help them.
BPA_EXCLUDABLE_LB_TYPES = ("application", "network")

# VPC Block Public Access modes that block internet-gateway ingress (EC2 API reference,
# VpcBlockPublicAccessOptions.internetGatewayBlockMode: off | block-bidirectional | block-ingress).
BPA_BLOCKING_MODES = ("block-ingress", "block-bidirectional")
# The only tier whose subnets may be excluded: load balancers and NAT gateways (components/network.py).
BPA_EXCLUDABLE_TIER = "public"

# Standards every region must subscribe (Security Hub "Standards reference"), by ARN suffix.
REQUIRED_STANDARDS = {
    "AWS Foundational Security Best Practices v1.0.0": "standards/aws-foundational-security-best-practices/v/1.0.0",
    "PCI DSS v4.0.1": "standards/pci-dss/v/4.0.1",
}

PRIMARY_KEY = "aws:region"

# DORA: Art. 6 (ICT risk-management framework, including assessment against standards) and Art. 10
# (detection of anomalous activity and configuration drift).
POSTURE = Compliance(pci=("2.2.1", "10.2.1"), soc2=("CC7.1",), gdpr=("art32",), dora=("art6", "art10"))
# PCI DSS 1.3.1/1.4.2: inbound traffic to the CDE restricted, no unauthorized inbound from untrusted
# networks. DORA Art. 9 (protection and prevention), as for the network domain's policies.
VPC_BPA = Compliance(
    pci=("1.3.1", "1.4.2"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",), controls=("NET-VPC-BPA",), dora=("art9",)
)


def _primary_region(view: StackView) -> str | None:
    """aws:region from the stack config (the primary, infra/config.py), else the explicit provider's."""
    region = stack_config().get(PRIMARY_KEY)
    if isinstance(region, str) and region:
        return region
    for provider in view.of_type(AWS_PROVIDER):
        value = view.props(provider).get("region")
        if isinstance(value, str) and not is_unknown(value):
            return value
    return None


def _in(view: StackView, resources: list[PolicyResource], region: str) -> list[PolicyResource]:
    return [r for r in resources if view.region(r) == region]


def _config_recorded(args: StackValidationArgs, report: Report) -> None:
    """Every region records all supported types with a delivery channel and a started recorder."""
    if landing_zone_owns_account_services():
        return
    view = StackView(args.resources)
    recorders, channels, statuses = view.of_type(RECORDER), view.of_type(CHANNEL), view.of_type(RECORDER_STATUS)
    for region in view.regional_regions():
        mine = _in(view, recorders, region)
        if not mine:
            report(
                f"Region {region} must have an AWS Config recorder (aws.cfg.Recorder) recording all supported "
                "resource types.",
                None,
            )
            continue
        for recorder in mine:
            group = view.props(recorder).get("recordingGroup") or {}
            value = group.get("allSupported") if isinstance(group, dict) else None
            if not is_unknown(value) and not is_true(value):
                report(
                    f"AWS Config recorder {recorder.name} in {region} must record all supported resource types "
                    "(recordingGroup.allSupported true).",
                    recorder.urn,
                )
        if not _in(view, channels, region):
            report(f"Region {region} must have an AWS Config delivery channel (aws.cfg.DeliveryChannel).", None)
        started = [s for s in _in(view, statuses, region) if is_true(view.props(s).get("isEnabled"))]
        if not started and not any(is_unknown(view.props(s).get("isEnabled")) for s in _in(view, statuses, region)):
            report(f"Region {region} must start its AWS Config recorder (aws.cfg.RecorderStatus isEnabled true).", None)


def _security_hub_standards(args: StackValidationArgs, report: Report) -> None:
    """Every region has Security Hub on and subscribes FSBP v1.0.0 and PCI DSS v4.0.1 there."""
    if landing_zone_owns_account_services():
        return
    view = StackView(args.resources)
    hubs, subscriptions = view.of_type(HUB), view.of_type(SUBSCRIPTION)
    for region in view.regional_regions():
        if not _in(view, hubs, region):
            report(f"Region {region} must enable Security Hub (aws.securityhub.Account).", None)
            continue
        arns = [view.props(s).get("standardsArn") for s in _in(view, subscriptions, region)]
        if any(is_unknown(a) for a in arns):
            continue
        for title, suffix in REQUIRED_STANDARDS.items():
            if not any(isinstance(a, str) and a.endswith(f":securityhub:{region}::{suffix}") for a in arns):
                report(
                    f"Security Hub in {region} must subscribe {title} (aws.securityhub.StandardsSubscription "
                    f"arn:aws:securityhub:{region}::{suffix}).",
                    None,
                )


def _findings_aggregated(args: StackValidationArgs, report: Report) -> None:
    """A finding aggregator in the primary region links every other region of the stack."""
    if landing_zone_owns_account_services():
        return
    view = StackView(args.resources)
    regions = view.regional_regions()
    primary = _primary_region(view)
    if primary is None or len(regions) < 2:
        return
    aggregators = view.of_type(AGGREGATOR)
    if not _in(view, aggregators, primary):
        report(
            f"Security Hub findings must be aggregated in the primary region {primary} "
            "(aws.securityhub.FindingAggregator there).",
            None,
        )
        return
    for aggregator in _in(view, aggregators, primary):
        props = view.props(aggregator)
        mode, linked = props.get("linkingMode"), props.get("specifiedRegions")
        if is_unknown(mode) or is_unknown(linked) or mode == "ALL_REGIONS":
            continue
        if mode == "SPECIFIED_REGIONS":
            missing = sorted(set(regions) - {primary} - set(linked or []))
            if missing:
                report(
                    f"Security Hub finding aggregator {aggregator.name} must link {', '.join(missing)} "
                    "(specifiedRegions).",
                    aggregator.urn,
                )
        else:
            report(
                f"Security Hub finding aggregator {aggregator.name} must link every region of the stack "
                f"(linkingMode SPECIFIED_REGIONS with them, or ALL_REGIONS), not {mode}.",
                aggregator.urn,
            )


def _vpc_bpa_on(args: StackValidationArgs, report: Report) -> None:
    """Every region of the stack blocks internet-gateway ingress with VPC Block Public Access."""
    if landing_zone_owns_account_services():
        return
    view = StackView(args.resources)
    options = view.of_type(BPA_OPTIONS)
    for region in view.regional_regions():
        mine = _in(view, options, region)
        if not mine:
            report(
                f"Region {region} must turn on VPC Block Public Access (aws.ec2.VpcBlockPublicAccessOptions with "
                f"internetGatewayBlockMode {' or '.join(BPA_BLOCKING_MODES)}).",
                None,
            )
            continue
        for resource in mine:
            mode = view.props(resource).get("internetGatewayBlockMode")
            if is_unknown(mode):
                report(
                    unknown_message(f"VPC Block Public Access {resource.name} mode", " or ".join(BPA_BLOCKING_MODES))
                )
            elif mode not in BPA_BLOCKING_MODES:
                report(
                    f"VPC Block Public Access {resource.name} in {region} must block internet-gateway ingress "
                    f"(internetGatewayBlockMode {' or '.join(BPA_BLOCKING_MODES)}), not {mode}.",
                    resource.urn,
                )


def _bpa_exclusion_subject(view: StackView, exclusion: PolicyResource, report: Report) -> None:
    """One exclusion: a subnet (never a VPC) of this stack, and a public-tier one."""
    props = view.props(exclusion)
    if props.get("vpcId") is not None:
        report(
            f"VPC Block Public Access exclusion {exclusion.name} must exclude public subnets (subnetId), never a "
            "whole VPC (vpcId): that reopens the app and data tiers to the internet gateway.",
            exclusion.urn,
        )
        return
    subnet_id = props.get("subnetId")
    subnets = view.references(exclusion, "subnetId", (SUBNET,))
    if not subnets:
        if is_unknown(subnet_id):
            report(
                unknown_message(f"VPC Block Public Access exclusion {exclusion.name} subnetId", "a public subnet"),
                exclusion.urn,
            )
        elif subnet_id is not None:
            report(
                f"VPC Block Public Access exclusion {exclusion.name} must exclude a public subnet of this stack; "
                f"{subnet_id} is none of its subnets.",
                exclusion.urn,
            )
        return
    for subnet in subnets:
        tier = tag(view.props(subnet), TIER_TAG)
        if is_unknown(tier):
            report(unknown_message(f"Subnet {subnet.name} tag {TIER_TAG}", BPA_EXCLUDABLE_TIER), exclusion.urn)
        elif tier != BPA_EXCLUDABLE_TIER:
            report(
                f"VPC Block Public Access exclusion {exclusion.name} must exclude only {BPA_EXCLUDABLE_TIER}-tier "
                f"subnets (load balancers, NAT gateways), not the {tier}-tier subnet {subnet.name}; remove it.",
                exclusion.urn,
            )


def _bpa_exclusions_public_subnets(args: StackValidationArgs, report: Report) -> None:
    """Exclusions from VPC Block Public Access name public-tier subnets only (in both accountServices modes)."""
    view = StackView(args.resources)
    for exclusion in view.of_type(BPA_EXCLUSION):
        _bpa_exclusion_subject(view, exclusion, report)


def _excluded(view: StackView) -> tuple[set[str], set[str]]:
    """URNs of the subnets and VPCs an allow-bidirectional (or not yet known) exclusion covers."""
    subnets: set[str] = set()
    vpcs: set[str] = set()
    for exclusion in view.of_type(BPA_EXCLUSION):
        if view.props(exclusion).get("internetGatewayExclusionMode") == "allow-egress":
            continue  # admits no inbound traffic (EC2 API reference, VpcBlockPublicAccessExclusion)
        subnets |= {r.urn for r in view.references(exclusion, "subnetId", (SUBNET,))}
        vpcs |= {r.urn for r in view.references(exclusion, "vpcId", (VPC,))}
    return subnets, vpcs


def _lb_subnets_excluded(args: StackValidationArgs, report: Report) -> None:
    """Every internet-facing ALB/NLB sits only in subnets excluded from BPA: otherwise AWS blocks its clients."""
    view = StackView(args.resources)
    subnets, vpcs = _excluded(view)
    for lb in view.of_type(LOAD_BALANCER):
        props = view.props(lb)
        internal, kind = props.get("internal"), props.get("loadBalancerType") or "application"
        if is_unknown(internal) or is_true(internal) or kind not in BPA_EXCLUDABLE_LB_TYPES:
            continue  # unknown scheme: edge.py's lb-internal-unless-public-entry reports it
        placed = view.references(lb, "subnets", (SUBNET,)) + view.references(lb, "subnetMappings", (SUBNET,))
        if not placed and any(is_unknown(props.get(p)) for p in ("subnets", "subnetMappings")):
            report(unknown_message(f"Load balancer {lb.name} subnets", "subnets excluded from BPA"), lb.urn)
        for subnet in placed:
            in_vpc = {r.urn for r in view.references(subnet, "vpcId", (VPC,))}
            if subnet.urn not in subnets and not in_vpc & vpcs:
                report(
                    f"Internet-facing load balancer {lb.name} must sit only in subnets excluded from VPC Block Public "
                    f"Access (allow-bidirectional); subnet {subnet.name} has no exclusion, so AWS blocks its clients "
                    "once the region blocks ingress. Exclude the subnet (components/network.py) or move the "
                    "load balancer to the public tier.",
                    lb.urn,
                )


POLICIES = [
    stack_policy(
        name="config-recorder-every-region",
        description="Every region must record all supported resource types with AWS Config and deliver them.",
        validate=_config_recorded,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=POSTURE.with_controls("FIN-CONFIG-RECORDER", security_hub=("Config.1",), cis=("3.3",)),
        remediation=(
            "Keep finstack:security.accountServices at stack (components/posture.py declares a recorder, delivery "
            "channel and recorder status per cell), or set it to landing-zone when the organization records them."
        ),
    ),
    stack_policy(
        name="securityhub-standards-every-region",
        description="Every region must enable Security Hub with the FSBP v1.0.0 and PCI DSS v4.0.1 standards.",
        validate=_security_hub_standards,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=POSTURE.with_controls("FIN-SECURITYHUB-STANDARDS"),
        remediation=(
            "Declare aws.securityhub.Account and a StandardsSubscription per standard in every region "
            "(components/posture.py), or let a landing zone own them (accountServices: landing-zone)."
        ),
    ),
    stack_policy(
        name="securityhub-findings-aggregated",
        description="Security Hub findings of every region must be aggregated in the primary region.",
        validate=_findings_aggregated,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=POSTURE.with_controls("FIN-SECURITYHUB-AGGREGATION"),
        remediation=(
            "Declare aws.securityhub.FindingAggregator in the primary region with linkingMode SPECIFIED_REGIONS "
            "listing the other regions (components/posture.py)."
        ),
    ),
    stack_policy(
        name="vpc-block-public-access-every-region",
        description="Every region must turn on VPC Block Public Access in block-ingress or block-bidirectional mode.",
        validate=_vpc_bpa_on,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=VPC_BPA,
        remediation=(
            "Keep finstack:security.accountServices at stack (components/posture.py declares "
            "aws.ec2.VpcBlockPublicAccessOptions block-ingress per region), or set it to landing-zone when the "
            "organization turns VPC BPA on (the real-mode preflight verifies it)."
        ),
    ),
    stack_policy(
        name="vpc-block-public-access-exclusion-public-subnets",
        description="VPC Block Public Access exclusions must name public-tier subnets of the stack, never a whole VPC.",
        validate=_bpa_exclusions_public_subnets,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=VPC_BPA,
        remediation=(
            "Exclude only the public subnets (subnetId of a finstack:tier=public subnet, components/network.py); "
            "never set vpcId on aws.ec2.VpcBlockPublicAccessExclusion."
        ),
    ),
    stack_policy(
        name="vpc-block-public-access-lb-subnets-excluded",
        description="Internet-facing load balancers must sit only in subnets excluded from VPC Block Public Access.",
        validate=_lb_subnets_excluded,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=VPC_BPA,
        remediation=(
            "Place internet-facing ALBs/NLBs in the public subnets, which components/network.py excludes "
            "(aws.ec2.VpcBlockPublicAccessExclusion allow-bidirectional per public subnet)."
        ),
    ),
]
