"""The edge: load balancers (exposure, HTTP hardening, logs, zones, deletion) and public DNS zones.

Each policy carries the domain of the control it implements (transit, network, logging,
resilience); they live together because they read the same resources. The listener TLS rule
`lb-listener-modern-tls` stays in transit.py.

AWS defaults that decide what an unset value means (Terraform AWS provider `aws_lb`, which
pulumi-aws is generated from, and the ELB user guides):

- `loadBalancerType` unset is `application`; `internal` unset is internet-facing.
- `dropInvalidHeaderFields`, `enableDeletionProtection` and `accessLogs.enabled` default to false
  (access logs stay off "even when bucket is specified").
- `desyncMitigationMode` defaults to `defensive` (ALB user guide, "Desync mitigation mode":
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#desync-mitigation-mode).
- `enableCrossZoneLoadBalancing`: "For network and gateway type load balancers, this feature is
  disabled by default (false). For application load balancer this feature is always enabled
  (true) and cannot be disabled."
- `aws_route53_hosted_zone_dnssec.signing_status` defaults to `SIGNING`,
  `aws_route53_key_signing_key.status` to `ACTIVE`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    ROLE_TAG,
    Compliance,
    StackView,
    as_list,
    get,
    is_true,
    is_unknown,
    parse_arn,
    plain,
    resource_policy,
    stack_policy,
    tag,
    unknown_message,
)

Report = Callable[..., None]

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ZONE = "aws:route53/zone:Zone"
ZONE_DNSSEC = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
KEY_SIGNING_KEY = "aws:route53/keySigningKey:KeySigningKey"
QUERY_LOG = "aws:route53/queryLog:QueryLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# The security group role (and load balancer role tag) of the one public entry: the cell's
# internet-facing ALB behind the `lb` group (components/network.py ROLES, components/traffic.py).
PUBLIC_ENTRY_ROLE = "lb"
# ELB.4 / ELB.12: `monitor` forwards requests that HTTP Desync Guardian classifies as ambiguous.
SAFE_DESYNC_MODES = ("defensive", "strictest")
MINIMUM_AZS = 2
# Route 53 publishes query logs only to a log group in us-east-1 (Route 53 API reference,
# CreateQueryLoggingConfig: "You must create the log group in the us-east-1 region.").
QUERY_LOG_REGION = "us-east-1"

HARDENING = Compliance(
    pci=("6.4.1", "2.2.6"),
    soc2=("CC6.6", "CC6.8"),
    gdpr=("art32",),
    controls=("ENC-LB-HTTP-HARDENING",),
    security_hub=("ELB.4", "ELB.12"),
)
DNSSEC = Compliance(pci=("4.2.1",), soc2=("CC6.7",), gdpr=("art32",), controls=("ENC-R53-DNSSEC",))
EXPOSURE = Compliance(pci=("1.3.1", "1.4.2"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",), controls=("NET-LB-INTERNAL",))
ACCESS_LOGS = Compliance(
    pci=("10.2.1",), soc2=("CC7.2",), gdpr=("art32", "art33"), controls=("LOG-LB-ACCESS",), security_hub=("ELB.5",)
)
QUERY_LOGS = Compliance(
    pci=("10.2.1",), soc2=("CC7.2",), gdpr=("art32", "art33"), controls=("LOG-R53-QUERY",), security_hub=("Route53.2",)
)
DELETION = Compliance(
    pci=("12.10.1",), soc2=("A1.2", "A1.3"), gdpr=("art32",), controls=("RES-LB-DELPROT",), security_hub=("ELB.6",)
)
MULTI_AZ = Compliance(
    pci=("12.10.1",), soc2=("A1.2",), gdpr=("art32",), controls=("RES-LB-MULTI-AZ",), security_hub=("ELB.13",)
)


def _lb_type(props: dict[str, Any]) -> Any:
    """`application`, `network`, `gateway`, or the unknown sentinel; unset is AWS's `application`."""
    value = props.get("loadBalancerType")
    return "application" if value is None else value


def _lb_http_hardening(args: ResourceValidationArgs, report: Report) -> None:
    """ALBs drop invalid header fields and mitigate HTTP desync defensively or strictly."""
    if args.resource_type not in LOAD_BALANCERS:
        return
    props = plain(args.props)
    kind = _lb_type(props)
    if is_unknown(kind):
        report(unknown_message("Load balancer loadBalancerType", "application, network or gateway"))
        return
    if kind != "application":
        return  # NLBs and GWLBs do not parse HTTP: neither attribute exists for them.
    drop = props.get("dropInvalidHeaderFields")
    if is_unknown(drop):
        report(unknown_message("Application load balancer dropInvalidHeaderFields", "true"))
    elif not is_true(drop):
        report("Application load balancer dropInvalidHeaderFields must be true.")
    mode = props.get("desyncMitigationMode")
    if is_unknown(mode):
        report(unknown_message("Application load balancer desyncMitigationMode", "defensive or strictest"))
    elif mode is not None and mode not in SAFE_DESYNC_MODES:
        report(f"Application load balancer desyncMitigationMode must be defensive or strictest, not {mode}.")


def _lb_deletion_protection(args: ResourceValidationArgs, report: Report) -> None:
    """Load balancers cannot be deleted until deletion protection is turned off."""
    if args.resource_type not in LOAD_BALANCERS:
        return
    value = plain(args.props).get("enableDeletionProtection")
    if is_unknown(value):
        report(unknown_message("Load balancer enableDeletionProtection", "true"))
    elif not is_true(value):
        report("Load balancer enableDeletionProtection must be true.")


def _lb_access_logs(args: ResourceValidationArgs, report: Report) -> None:
    """Application and network load balancers deliver access logs to a bucket."""
    if args.resource_type not in LOAD_BALANCERS:
        return
    props = plain(args.props)
    kind = _lb_type(props)
    if is_unknown(kind):
        report(unknown_message("Load balancer loadBalancerType", "application, network or gateway"))
        return
    if kind == "gateway":
        return  # Gateway Load Balancers have no access logs.
    enabled = get(props, "accessLogs.enabled")
    bucket = get(props, "accessLogs.bucket")
    if is_unknown(enabled):
        report(unknown_message("Load balancer accessLogs.enabled", "true"))
    elif not is_true(enabled):
        report("Load balancer accessLogs.enabled must be true.")
    # An unknown bucket is an output of a bucket this stack creates (`present`).
    if not is_unknown(bucket) and not (isinstance(bucket, str) and bucket.strip()):
        report("Load balancer accessLogs.bucket must name the S3 bucket that receives the logs.")


def _leaf_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _leaf_strings(v)]
    return []


def _lb_subnets(view: StackView, lb: PolicyResource) -> tuple[list[PolicyResource], bool]:
    """The stack's subnets the load balancer is placed in, and whether it names any subnet at all."""
    props = view.props(lb)
    found = view.references(lb, "subnets", (SUBNET,), ("id",))
    mappings = props.get("subnetMappings")
    mapped = {s for m in as_list(mappings) for s in _leaf_strings(get(m, "subnetId")) if not is_unknown(s)}
    for subnet in view.of_type(SUBNET):
        if view.props(subnet).get("id") in mapped and subnet not in found:
            found.append(subnet)
    for dependency in (lb.property_dependencies or {}).get("subnetMappings", []):
        if dependency.resource_type == SUBNET and dependency not in found:
            found.append(dependency)
    named = bool(_leaf_strings(props.get("subnets"))) or bool(as_list(mappings))
    return found, named


def _zone_of(view: StackView, subnet: PolicyResource) -> str | None:
    props = view.props(subnet)
    for key in ("availabilityZoneId", "availabilityZone"):
        value = props.get(key)
        if isinstance(value, str) and value and not is_unknown(value):
            return value
    return None


def _lb_multi_az(args: StackValidationArgs, report: Report) -> None:
    """Load balancers span two or more AZs, and NLBs/GWLBs balance across them."""
    view = StackView(args.resources)
    for lb in view.of_type(*LOAD_BALANCERS):
        props = view.props(lb)
        subnets, named = _lb_subnets(view, lb)
        if named and not subnets:
            report(f"Load balancer {lb.name} subnets must resolve to subnets of this stack.", lb.urn)
        else:
            # Only subnets of this stack count: the pack cannot see another stack's AZ. A subnet
            # whose AZ is unknown at preview does not count either (fail).
            zones = {z for z in (_zone_of(view, s) for s in subnets) if z is not None}
            if len(zones) < MINIMUM_AZS:
                report(
                    f"Load balancer {lb.name} must use subnets in at least {MINIMUM_AZS} availability zones "
                    f"(found {len(zones)}).",
                    lb.urn,
                )
        kind = _lb_type(props)
        if is_unknown(kind):
            report(
                unknown_message(f"Load balancer {lb.name} loadBalancerType", "application, network or gateway"), lb.urn
            )
            continue
        if kind == "application":
            continue  # Always cross-zone; the attribute cannot turn it off.
        cross_zone = props.get("enableCrossZoneLoadBalancing")
        if is_unknown(cross_zone):
            report(unknown_message(f"Load balancer {lb.name} enableCrossZoneLoadBalancing", "true"), lb.urn)
        elif not is_true(cross_zone):
            report(f"Load balancer {lb.name} enableCrossZoneLoadBalancing must be true.", lb.urn)


def _lb_internal_unless_public_entry(args: StackValidationArgs, report: Report) -> None:
    """Only the tagged public entry is internet-facing, and only behind the lb security group."""
    view = StackView(args.resources)
    for lb in view.of_type(*LOAD_BALANCERS):
        props = view.props(lb)
        if _lb_type(props) == "gateway":
            continue  # No scheme: CreateLoadBalancer refuses one for a GWLB; it is reached through endpoints.
        internal = props.get("internal")
        if is_unknown(internal):
            report(unknown_message(f"Load balancer {lb.name} internal", "true or false"), lb.urn)
            continue
        if is_true(internal):
            continue
        # Internet-facing (false, or unset: AWS's default scheme).
        role = tag(props, ROLE_TAG)
        if is_unknown(role) or is_unknown(props.get("tags")):
            report(unknown_message(f"Load balancer {lb.name} tag {ROLE_TAG}", PUBLIC_ENTRY_ROLE), lb.urn)
        elif role != PUBLIC_ENTRY_ROLE:
            report(
                f"Load balancer {lb.name} must be internal unless it is the public entry "
                f'(tag {ROLE_TAG} = "{PUBLIC_ENTRY_ROLE}").',
                lb.urn,
            )
            continue
        references = _leaf_strings(props.get("securityGroups"))
        groups = view.references(lb, "securityGroups", (SECURITY_GROUP,), ("id",))
        if not references and not groups:
            report(
                f"Internet-facing load balancer {lb.name} must use the {PUBLIC_ENTRY_ROLE} security group.",
                lb.urn,
            )
            continue
        if len(groups) < len(references):
            report(
                f"Internet-facing load balancer {lb.name} securityGroups must resolve to security groups "
                "of this stack.",
                lb.urn,
            )
        others = sorted(g.name for g in groups if tag(view.props(g), ROLE_TAG) != PUBLIC_ENTRY_ROLE)
        if others:
            report(
                f"Internet-facing load balancer {lb.name} must use only the {PUBLIC_ENTRY_ROLE} security group, "
                f"not {', '.join(others)}.",
                lb.urn,
            )


def _public_zones(view: StackView) -> list[PolicyResource]:
    """Hosted zones without VPC associations (a whole `vpcs` list unknown at preview counts as public)."""
    zones = []
    for zone in view.of_type(ZONE):
        vpcs = view.props(zone).get("vpcs")
        if is_unknown(vpcs) or not as_list(vpcs):
            zones.append(zone)
    return zones


def _attached(view: StackView, zone: PolicyResource, candidates: list[PolicyResource]) -> list[PolicyResource]:
    return [c for c in candidates if zone in view.references(c, "hostedZoneId", (ZONE,), ("zoneId", "id"))]


def _zone_dnssec(args: StackValidationArgs, report: Report) -> None:
    """Public hosted zones are DNSSEC-signed with an active key-signing key."""
    view = StackView(args.resources)
    for zone in _public_zones(view):
        signing = _attached(view, zone, view.of_type(ZONE_DNSSEC))
        statuses = [view.props(s).get("signingStatus") for s in signing]
        if any(is_unknown(s) for s in statuses):
            report(unknown_message(f"Hosted zone {zone.name} DNSSEC signingStatus", "SIGNING"), zone.urn)
        elif not any(s in (None, "SIGNING") for s in statuses):
            report(f"Public hosted zone {zone.name} must have DNSSEC signing on (signingStatus SIGNING).", zone.urn)
        keys = _attached(view, zone, view.of_type(KEY_SIGNING_KEY))
        key_statuses = [view.props(k).get("status") for k in keys]
        if any(is_unknown(s) for s in key_statuses):
            report(unknown_message(f"Hosted zone {zone.name} key-signing key status", "ACTIVE"), zone.urn)
        elif not any(s in (None, "ACTIVE") for s in key_statuses):
            report(f"Public hosted zone {zone.name} must have an ACTIVE key-signing key.", zone.urn)


def _log_group_region(view: StackView, query_log: PolicyResource) -> str | None:
    """The region of the query log's log group: from its ARN, else from the log group it resolves to."""
    arn = parse_arn(view.props(query_log).get("cloudwatchLogGroupArn"))
    if arn is not None and arn.region:
        return arn.region
    groups = view.references(query_log, "cloudwatchLogGroupArn", (LOG_GROUP,), ("arn",))
    regions = {view.region(g) for g in groups}
    return regions.pop() if len(regions) == 1 else None


def _zone_query_logging(args: StackValidationArgs, report: Report) -> None:
    """Public hosted zones log DNS queries to a CloudWatch Logs group in us-east-1."""
    view = StackView(args.resources)
    query_logs = view.of_type(QUERY_LOG)
    for zone in _public_zones(view):
        mine = [q for q in query_logs if zone in view.references(q, "zoneId", (ZONE,), ("zoneId", "id"))]
        if not mine:
            report(f"Public hosted zone {zone.name} must have a DNS query log (aws.route53.QueryLog).", zone.urn)
            continue
        regions = [_log_group_region(view, q) for q in mine]
        if QUERY_LOG_REGION not in regions:
            shown = ", ".join(sorted(r or "unresolved" for r in regions))
            report(
                f"Public hosted zone {zone.name} query log must write to a log group in {QUERY_LOG_REGION}, "
                f"not {shown}.",
                zone.urn,
            )


POLICIES = [
    resource_policy(
        name="lb-http-hardening",
        description="Application load balancers must drop invalid header fields and mitigate HTTP desync.",
        validate=_lb_http_hardening,
        domain="transit",
        severity=Severity.MEDIUM,
        compliance=HARDENING,
        remediation='Set dropInvalidHeaderFields=True and desyncMitigationMode="defensive" (or "strictest").',
    ),
    stack_policy(
        name="route53-public-zone-dnssec",
        description="Public hosted zones must be DNSSEC-signed with an active key-signing key.",
        validate=_zone_dnssec,
        domain="transit",
        severity=Severity.MEDIUM,
        compliance=DNSSEC,
        remediation=(
            "Add an aws.route53.KeySigningKey (an ECC_NIST_P256 SIGN_VERIFY KMS key in us-east-1) and an "
            "aws.route53.HostedZoneDnsSec for the zone, then publish the DS record in the parent zone."
        ),
    ),
    stack_policy(
        name="lb-internal-unless-public-entry",
        description="Load balancers must be internal unless tagged as the public entry behind the lb security group.",
        validate=_lb_internal_unless_public_entry,
        domain="network",
        severity=Severity.HIGH,
        compliance=EXPOSURE,
        remediation=(
            f'Set internal=True, or tag the public entry {ROLE_TAG}="{PUBLIC_ENTRY_ROLE}" and give it only '
            "the cell's lb security group."
        ),
    ),
    resource_policy(
        name="lb-access-logs-enabled",
        description="Application and network load balancers must deliver access logs to an S3 bucket.",
        validate=_lb_access_logs,
        domain="logging",
        severity=Severity.MEDIUM,
        compliance=ACCESS_LOGS,
        remediation=(
            'Set accessLogs={"enabled": True, "bucket": <an SSE-S3 bucket in the same region whose policy '
            "lets the region's ELB log delivery write>}."
        ),
    ),
    stack_policy(
        name="route53-public-zone-query-logging",
        description="Public hosted zones must log DNS queries to a CloudWatch Logs group in us-east-1.",
        validate=_zone_query_logging,
        domain="logging",
        severity=Severity.MEDIUM,
        compliance=QUERY_LOGS,
        remediation=(
            "Add an aws.route53.QueryLog(zone_id=<zone>.zone_id, cloudwatch_log_group_arn=<a us-east-1 log group>) "
            "and a CloudWatch Logs resource policy that lets route53.amazonaws.com write to it."
        ),
    ),
    resource_policy(
        name="lb-deletion-protection-enabled",
        description="Load balancers must have deletion protection on.",
        validate=_lb_deletion_protection,
        domain="resilience",
        severity=Severity.MEDIUM,
        compliance=DELETION,
        remediation="Set enableDeletionProtection=True (turn it off in the change that removes the load balancer).",
    ),
    stack_policy(
        name="lb-multi-az",
        description="Load balancers must span at least two availability zones and balance across them.",
        validate=_lb_multi_az,
        domain="resilience",
        severity=Severity.MEDIUM,
        compliance=MULTI_AZ,
        remediation="Use subnets in two or more AZs; for NLBs and GWLBs set enableCrossZoneLoadBalancing=True.",
    ),
]
