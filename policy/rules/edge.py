"""The edge: load balancers (exposure, HTTP hardening, logs, zones, deletion, WAF) and public DNS zones.

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

WAFv2 (`aws_wafv2_web_acl`, WAF API reference `Rule`, `RateBasedStatement`, `VisibilityConfig`):
a rule has one `statement`; a rule group reference takes `overrideAction` (`none` enforces the
group's own actions, `count` only counts), any other rule an `action`. Nothing is defaulted:
`visibilityConfig` is required on the web ACL and on every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    ROLE_TAG,
    Compliance,
    Setting,
    StackView,
    as_list,
    get,
    is_true,
    is_unknown,
    parse_arn,
    plain,
    policy_document,
    resource_policy,
    settings,
    stack_policy,
    statements,
    strings,
    tag,
    unknown_message,
)
from .encryption import allows_action, key_spec

Report = Callable[..., None]

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ZONE = "aws:route53/zone:Zone"
ZONE_DNSSEC = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
KEY_SIGNING_KEY = "aws:route53/keySigningKey:KeySigningKey"
QUERY_LOG = "aws:route53/queryLog:QueryLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

# The security group role (and load balancer role tag) of the one public entry: the cell's
# internet-facing ALB behind the `lb` group (components/network.py ROLES, components/traffic.py).
PUBLIC_ENTRY_ROLE = "lb"
# ELB.4 / ELB.12: `monitor` forwards requests that HTTP Desync Guardian classifies as ambiguous.
SAFE_DESYNC_MODES = ("defensive", "strictest")
MINIMUM_AZS = 2
# Route 53 publishes query logs only to a log group in us-east-1 (Route 53 API reference,
# CreateQueryLoggingConfig: "You must create the log group in the us-east-1 region.").
QUERY_LOG_REGION = "us-east-1"
# Route 53 signs a zone only with an asymmetric ECC_NIST_P256 key in us-east-1 that its DNSSEC
# service principal may describe, read the public key of and sign with (Route 53 Developer Guide,
# "Working with customer managed keys for DNSSEC").
DNSSEC_KEY_REGION = "us-east-1"
DNSSEC_KEY_SPEC = "ECC_NIST_P256"
DNSSEC_KEY_USAGE = "SIGN_VERIFY"
DNSSEC_SERVICE = "dnssec-route53.amazonaws.com"
DNSSEC_KEY_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Sign")

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
# The AWS managed rule groups every web ACL must enforce (infra/config.py WAF_MANAGED_GROUPS;
# AWS WAF Developer Guide, "AWS Managed Rules rule groups list"): OWASP-style common rules,
# known bad inputs (Log4j/JNDI: CKV_AWS_192), SQL injection, and Amazon's IP reputation list.
WAF_MANAGED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
WAF_MANAGED_VENDOR = "AWS"
# A rate-based rule per client: the source IP, or the client IP a trusted proxy forwards.
RATE_KEYS = ("IP", "FORWARDED_IP")
# The documented default (infra/config.py WafConfig.rate_limit) is 2000 per 5 minutes; beyond
# 10000 per window one client can already hold a cell's capacity (the rule no longer guards).
DEFAULT_MAX_RATE_LIMIT = 10000
# WAF only delivers logs to destinations named with this prefix (botocore wafv2 model,
# PutLoggingConfiguration: "The name that you give the destination must start with aws-waf-logs-").
WAF_LOG_PREFIX = "aws-waf-logs-"
# Credentials and session tokens stay out of the WAF logs (PCI DSS 3.3.1, 10.3.1).
REDACTED_HEADERS = ("authorization", "cookie")

WAF_RULES = Compliance(
    pci=("6.4.2", "6.4.1"),
    soc2=("CC6.6", "CC6.8"),
    gdpr=("art32",),
    controls=("FIN-WAF-MANAGED-RULES",),
    security_hub=("WAF.10",),
)
WAF_RATE = Compliance(pci=("6.4.2",), soc2=("CC6.6", "A1.2"), gdpr=("art32",), controls=("FIN-WAF-RATE-LIMIT",))
WAF_METRICS = Compliance(
    pci=("10.2.1",), soc2=("CC7.2",), gdpr=("art32",), controls=("FIN-WAF-METRICS",), security_hub=("WAF.12",)
)
WAF_LOGGING = Compliance(
    pci=("10.2.1", "10.3.1"),
    soc2=("CC7.2",),
    gdpr=("art32", "art33"),
    controls=("FIN-WAF-LOGGING",),
    security_hub=("WAF.11",),
)
LB_WAF = Compliance(
    pci=("6.4.2", "1.4.2"), soc2=("CC6.6",), gdpr=("art32",), controls=("NET-LB-WAF",), security_hub=("ELB.16",)
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
        for ksk in keys:
            for problem in _signing_key_problems(view, ksk):
                report(f"Key-signing key {ksk.name} of public hosted zone {zone.name}: {problem}", zone.urn)


def _signing_key_problems(view: StackView, ksk: PolicyResource) -> list[str]:
    """What keeps Route 53 from signing with the KSK's KMS key of this stack (none for a key outside the stack).

    Route 53 Developer Guide, "Working with customer managed keys for DNSSEC"
    (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-configuring-dnssec-cmk-requirements.html):
    the key is in us-east-1, asymmetric ECC_NIST_P256, and its key policy lets
    dnssec-route53.amazonaws.com DescribeKey, GetPublicKey and Sign. Only bites at `up` for
    values unknown at preview (the components set them as literals).
    """
    problems: list[str] = []
    for key in view.references(ksk, "keyManagementServiceArn", (KMS_KEY,), keys=("arn",)):
        props = view.props(key)
        region = view.region(key)
        if region is not None and region != DNSSEC_KEY_REGION:
            problems.append(f"KMS key {key.name} must be in {DNSSEC_KEY_REGION}, not {region}.")
        spec = key_spec(props)
        if not is_unknown(spec) and spec != DNSSEC_KEY_SPEC:
            problems.append(f"KMS key {key.name} must have key spec {DNSSEC_KEY_SPEC}, not {spec}.")
        usage = props.get("keyUsage")
        if not is_unknown(usage) and usage != DNSSEC_KEY_USAGE:
            problems.append(f"KMS key {key.name} must have key usage {DNSSEC_KEY_USAGE}, not {usage}.")
        policy = props.get("policy")
        if is_unknown(policy):
            problems.append(unknown_message(f"KMS key {key.name} policy", f"a grant to {DNSSEC_SERVICE}"))
            continue
        missing = _dnssec_actions_missing(policy)
        if missing:
            problems.append(
                f"KMS key {key.name} policy must allow {', '.join(missing)} to the service principal {DNSSEC_SERVICE}."
            )
    return problems


def _dnssec_actions_missing(policy: Any) -> list[str]:
    """The DNSSEC actions no Allow statement naming the Route 53 DNSSEC service principal grants."""
    document = policy_document(policy, ("policy",)) or {}
    granting = [
        s
        for s in statements(document)
        if s.get("Effect") == "Allow"
        and isinstance(s.get("Principal"), dict)
        and DNSSEC_SERVICE in strings(s["Principal"].get("Service"))
    ]
    return [action for action in DNSSEC_KEY_ACTIONS if not any(allows_action(s, action) for s in granting)]


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


# --- WAFv2 ------------------------------------------------------------------------------------


def _rules(props: dict[str, Any], report: Report) -> list[dict[str, Any]] | None:
    """The web ACL's rules; None (after reporting) when unknown at preview."""
    rules = props.get("rules")
    if is_unknown(rules) or any(is_unknown(r) for r in as_list(rules)):
        report(unknown_message("Web ACL rules", "known rules"))
        return None
    return [r for r in as_list(rules) if isinstance(r, dict)]


def _rule_name(rule: dict[str, Any]) -> str:
    return str(rule.get("name") or f"priority {rule.get('priority')}")


def _managed_group(rule: dict[str, Any]) -> str | None:
    statement = get(rule, "statement.managedRuleGroupStatement")
    if not isinstance(statement, dict) or statement.get("vendorName") != WAF_MANAGED_VENDOR:
        return None
    name = statement.get("name")
    return name if isinstance(name, str) else None


def _counts_only(rule: dict[str, Any]) -> bool:
    """A rule group reference whose overrideAction is count: its matches are only counted."""
    return get(rule, "overrideAction.count") is not None


def _web_acl_managed_rules(args: ResourceValidationArgs, report: Report) -> None:
    """Web ACLs enforce the AWS managed rule groups (none overridden to count)."""
    if args.resource_type != WEB_ACL:
        return
    rules = _rules(plain(args.props), report)
    if rules is None:
        return
    required = list(settings(args, WAF_RULES_CONFIG)["requiredManagedGroups"])
    by_group = {group: rule for rule in rules if (group := _managed_group(rule))}
    for group in required:
        rule = by_group.get(group)
        if rule is None:
            report(f"Web ACL must run the AWS managed rule group {group}.")
        elif _counts_only(rule):
            report(
                f"Web ACL rule {_rule_name(rule)} must enforce managed rule group {group} "
                "(overrideAction none), not only count it."
            )


def rate_rule_problem(rule: dict[str, Any], max_limit: int | None) -> str | None:
    """Why `rule` is no per-client rate limit that blocks (None: it is one)."""
    statement = get(rule, "statement.rateBasedStatement")
    if not isinstance(statement, dict):
        return "is not rate-based"
    key = statement.get("aggregateKeyType")
    if key not in RATE_KEYS:
        return f"must aggregate per client (aggregateKeyType IP or FORWARDED_IP), not {key}"
    if get(rule, "action.block") is None:
        return "must block (action block) the clients over the limit"
    limit = statement.get("limit")
    if max_limit is not None and (not isinstance(limit, (int, float)) or limit > max_limit):
        return f"limit must be at most {max_limit} requests per window, not {limit}"
    return None


def _web_acl_rate_rule(args: ResourceValidationArgs, report: Report) -> None:
    """Web ACLs have a rate-based rule per client IP that blocks, within a sane limit."""
    if args.resource_type != WEB_ACL:
        return
    rules = _rules(plain(args.props), report)
    if rules is None:
        return
    max_limit = int(settings(args, WAF_RATE_CONFIG)["maxRateLimit"])
    rated = [r for r in rules if isinstance(get(r, "statement.rateBasedStatement"), dict)]
    if not rated:
        report("Web ACL must have a rate-based rule per client IP (rateBasedStatement).")
        return
    problems = [(r, rate_rule_problem(r, max_limit)) for r in rated]
    if all(problem for _, problem in problems):
        for rule, problem in problems:
            report(f"Web ACL rate-based rule {_rule_name(rule)} {problem}.")


def _web_acl_metrics(args: ResourceValidationArgs, report: Report) -> None:
    """The web ACL and every rule publish CloudWatch metrics."""
    if args.resource_type != WEB_ACL:
        return
    props = plain(args.props)
    enabled = get(props, "visibilityConfig.cloudwatchMetricsEnabled")
    if is_unknown(enabled):
        report(unknown_message("Web ACL visibilityConfig.cloudwatchMetricsEnabled", "true"))
    elif not is_true(enabled):
        report("Web ACL visibilityConfig.cloudwatchMetricsEnabled must be true.")
    rules = _rules(props, report)
    for rule in rules or []:
        if not is_true(get(rule, "visibilityConfig.cloudwatchMetricsEnabled")):
            report(f"Web ACL rule {_rule_name(rule)} visibilityConfig.cloudwatchMetricsEnabled must be true.")


def _destination_name(view: StackView, logging: PolicyResource, arn: str) -> str | None:
    """The name of a logging destination ARN (log group, bucket or Firehose stream)."""
    if is_unknown(arn):
        groups = view.references(logging, "logDestinationConfigs", (LOG_GROUP,), ("arn",))
        names = [view.props(g).get("name") for g in groups]
        return names[0] if len(names) == 1 and isinstance(names[0], str) else None
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    resource = arn.split(":", 5)[-1]
    # log-group:<name>[:*], deliverystream/<name>, or an S3 bucket's bare name.
    for prefix in ("log-group:", "deliverystream/"):
        if resource.startswith(prefix):
            return resource.removeprefix(prefix).removesuffix(":*")
    return resource


def _redacted_headers(props: dict[str, Any]) -> set[str]:
    return {
        str(name).lower()
        for field in as_list(props.get("redactedFields"))
        if isinstance(name := get(field, "singleHeader.name"), str)
    }


def _web_acl_logging(args: StackValidationArgs, report: Report) -> None:
    """Every web ACL logs to an aws-waf-logs- destination with credentials redacted."""
    view = StackView(args.resources)
    loggings = view.of_type(WEB_ACL_LOGGING)
    for acl in view.of_type(WEB_ACL):
        mine = [c for c in loggings if acl in view.references(c, "resourceArn", (WEB_ACL,), ("arn",))]
        if not mine:
            report(
                f"Web ACL {acl.name} must log its traffic (aws.wafv2.WebAclLoggingConfiguration).",
                acl.urn,
            )
            continue
        for logging in mine:
            props = view.props(logging)
            for arn in _leaf_strings(props.get("logDestinationConfigs")):
                name = _destination_name(view, logging, arn)
                if name is not None and not name.startswith(WAF_LOG_PREFIX):
                    report(
                        f"Web ACL {acl.name} logging destination {name} must be named {WAF_LOG_PREFIX}...; "
                        "WAF refuses any other.",
                        logging.urn,
                    )
            fields = props.get("redactedFields")
            if is_unknown(fields):
                report(
                    unknown_message(f"Web ACL {acl.name} logging redactedFields", "authorization, cookie"), logging.urn
                )
                continue
            missing = [h for h in REDACTED_HEADERS if h not in _redacted_headers(props)]
            if missing:
                report(
                    f"Web ACL {acl.name} logging must redact the {', '.join(missing)} header(s) "
                    "(redactedFields singleHeader).",
                    logging.urn,
                )


def _is_public_alb(props: dict[str, Any]) -> bool:
    internal = props.get("internal")
    return _lb_type(props) == "application" and not is_unknown(internal) and not is_true(internal)


def _lb_public_waf(args: StackValidationArgs, report: Report) -> None:
    """Internet-facing ALBs are associated with a web ACL that has a blocking per-client rate rule."""
    view = StackView(args.resources)
    associations = view.of_type(WEB_ACL_ASSOCIATION)
    for lb in view.of_type(*LOAD_BALANCERS):
        if not _is_public_alb(view.props(lb)):
            continue  # lb-internal-unless-public-entry reports an unknown scheme or type
        mine = [a for a in associations if lb in view.references(a, "resourceArn", LOAD_BALANCERS, ("arn", "id"))]
        if not mine:
            report(
                f"Internet-facing load balancer {lb.name} must be associated with a WAFv2 web ACL "
                "(aws.wafv2.WebAclAssociation).",
                lb.urn,
            )
            continue
        acls = [acl for a in mine for acl in view.references(a, "webAclArn", (WEB_ACL,), ("arn",))]
        if not acls:
            report(
                f"Internet-facing load balancer {lb.name} web ACL association must resolve to a web ACL of this stack.",
                lb.urn,
            )
            continue
        rated = any(
            rate_rule_problem(rule, None) is None
            for acl in acls
            for rule in as_list(view.props(acl).get("rules"))
            if isinstance(rule, dict)
        )
        if not rated:
            report(
                f"Internet-facing load balancer {lb.name} web ACL must have a rate-based rule per client IP "
                "that blocks.",
                lb.urn,
            )


WAF_RULES_CONFIG = {
    "requiredManagedGroups": Setting(
        {"type": "array", "items": {"type": "string"}, "default": list(WAF_MANAGED_GROUPS)}
    ),
}
WAF_RATE_CONFIG = {
    "maxRateLimit": Setting({"type": "integer", "minimum": 10, "default": DEFAULT_MAX_RATE_LIMIT}),
}


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
        description=(
            "Public hosted zones must be DNSSEC-signed with an active key-signing key whose us-east-1 "
            "ECC_NIST_P256 key Route 53 may sign with."
        ),
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
    resource_policy(
        name="wafv2-web-acl-managed-rules",
        description=(
            "WAFv2 web ACLs must enforce the AWS managed rule groups (common, known bad inputs, SQLi, IP reputation)."
        ),
        validate=_web_acl_managed_rules,
        domain="network",
        severity=Severity.HIGH,
        compliance=WAF_RULES,
        remediation=(
            "Add a rule with managedRuleGroupStatement {vendorName: AWS, name: <group>} and overrideAction "
            "{none: {}} for each required group; a count override while tuning needs a waiver."
        ),
        config=WAF_RULES_CONFIG,
    ),
    resource_policy(
        name="wafv2-web-acl-rate-limited",
        description="WAFv2 web ACLs must have a rate-based rule per client IP that blocks, within the maximum limit.",
        validate=_web_acl_rate_rule,
        domain="network",
        severity=Severity.HIGH,
        compliance=WAF_RATE,
        remediation=(
            'Add a rule with rateBasedStatement {aggregateKeyType: "IP", limit: <= maxRateLimit} and action '
            "{block: {}} (finstack:security.waf.rateLimit)."
        ),
        config=WAF_RATE_CONFIG,
    ),
    resource_policy(
        name="wafv2-web-acl-metrics-enabled",
        description="WAFv2 web ACLs and each of their rules must publish CloudWatch metrics.",
        validate=_web_acl_metrics,
        domain="logging",
        severity=Severity.MEDIUM,
        compliance=WAF_METRICS,
        remediation="Set visibilityConfig.cloudwatchMetricsEnabled=True on the web ACL and on every rule.",
    ),
    stack_policy(
        name="wafv2-web-acl-logging-redacted",
        description=(
            "WAFv2 web ACLs must log to an aws-waf-logs- destination with the authorization and cookie headers "
            "redacted."
        ),
        validate=_web_acl_logging,
        domain="logging",
        severity=Severity.MEDIUM,
        compliance=WAF_LOGGING,
        remediation=(
            "Add an aws.wafv2.WebAclLoggingConfiguration(resource_arn=<web ACL>.arn, log_destination_configs="
            "[<log group named aws-waf-logs-...>.arn], redacted_fields=[{singleHeader: {name: authorization}}, "
            "{singleHeader: {name: cookie}}])."
        ),
    ),
    stack_policy(
        name="lb-public-waf-rate-limited",
        description=(
            "Internet-facing application load balancers must sit behind a WAFv2 web ACL with a rate-based rule."
        ),
        validate=_lb_public_waf,
        domain="network",
        severity=Severity.HIGH,
        compliance=LB_WAF,
        remediation=(
            "Add an aws.wafv2.WebAclAssociation(resource_arn=<ALB>.arn, web_acl_arn=<web ACL>.arn) whose web ACL "
            "has a blocking rateBasedStatement per IP (components/edge_defence.py)."
        ),
    ),
]
