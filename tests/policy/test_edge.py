"""Edge policies: load balancers and public hosted zones."""

from __future__ import annotations

import json

import pytest

from tests.policy import factories as f
from tests.policy.helpers import (
    DELETE,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_OBJECT,
    check,
    check_stack,
    depends,
    edit,
    messages,
    resource,
    urn,
)

T_ALB = "aws:alb/loadBalancer:LoadBalancer"
LB_NAME = f"traffic-alb-{PRIMARY}"
LB_URN = urn(f.T_LB, LB_NAME)
ZONE_URN = urn(f.T_ZONE, "traffic-zone")


def nlb() -> dict:
    """An internal NLB with cross-zone on (the shape a private service entry would take)."""
    return edit(
        f.load_balancer(),
        {
            "loadBalancerType": "network",
            "internal": True,
            "enableCrossZoneLoadBalancing": True,
            "dropInvalidHeaderFields": DELETE,
            "desyncMitigationMode": DELETE,
            "tags": f.cell_tags(PRIMARY),
        },
    )


def with_lb(props: dict) -> list:
    """The edge stack with the ALB's props replaced (its dependencies kept)."""
    return f.edge_stack().replace(LB_NAME, props)


# --- lb-http-hardening -------------------------------------------------------------------------


@pytest.mark.parametrize("type_", [f.T_LB, T_ALB])
def test_lb_http_hardening__compliant_passes(type_):
    assert check("lb-http-hardening", type_, f.load_balancer()) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"desyncMitigationMode": DELETE},  # AWS's default is defensive
        {"desyncMitigationMode": "strictest"},
        {"loadBalancerType": DELETE},  # unset is application, and this one is hardened
    ],
)
def test_lb_http_hardening__aws_default_and_strictest_pass(changes):
    assert check("lb-http-hardening", f.T_LB, edit(f.load_balancer(), changes)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"dropInvalidHeaderFields": False}, ["Application load balancer dropInvalidHeaderFields must be true."]),
        ({"dropInvalidHeaderFields": "false"}, ["Application load balancer dropInvalidHeaderFields must be true."]),
        # AWS's default is false: an ALB that does not say so forwards malformed headers.
        ({"dropInvalidHeaderFields": DELETE}, ["Application load balancer dropInvalidHeaderFields must be true."]),
        (
            {"desyncMitigationMode": "monitor"},
            ["Application load balancer desyncMitigationMode must be defensive or strictest, not monitor."],
        ),
        (
            {"loadBalancerType": DELETE, "dropInvalidHeaderFields": DELETE, "desyncMitigationMode": "monitor"},
            [
                "Application load balancer dropInvalidHeaderFields must be true.",
                "Application load balancer desyncMitigationMode must be defensive or strictest, not monitor.",
            ],
        ),
    ],
)
def test_lb_http_hardening__violation(changes, expected):
    assert check("lb-http-hardening", f.T_LB, edit(f.load_balancer(), changes), name=LB_NAME) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"dropInvalidHeaderFields": UNKNOWN_BOOL},
            "Application load balancer dropInvalidHeaderFields is unknown at preview; it must be true as a literal "
            "so the policy can prove it.",
        ),
        (
            {"desyncMitigationMode": UNKNOWN},
            "Application load balancer desyncMitigationMode is unknown at preview; it must be defensive or "
            "strictest as a literal so the policy can prove it.",
        ),
        (
            {"loadBalancerType": UNKNOWN},
            "Load balancer loadBalancerType is unknown at preview; it must be application, network or gateway as "
            "a literal so the policy can prove it.",
        ),
    ],
)
def test_lb_http_hardening__unknown_fails(changes, expected):
    assert check("lb-http-hardening", f.T_LB, edit(f.load_balancer(), changes)) == [expected]


@pytest.mark.parametrize("kind", ["network", "gateway"])
def test_lb_http_hardening__network_and_gateway_are_not_checked(kind):
    # Neither parses HTTP; ELB has no such attributes for them.
    props = edit(f.load_balancer(), {"loadBalancerType": kind, "dropInvalidHeaderFields": DELETE})
    assert check("lb-http-hardening", f.T_LB, props) == []


# --- lb-deletion-protection-enabled ---------------------------------------------------------------


def test_lb_deletion_protection__compliant_passes():
    assert check("lb-deletion-protection-enabled", f.T_LB, f.load_balancer()) == []
    assert check("lb-deletion-protection-enabled", f.T_LB, nlb()) == []


@pytest.mark.parametrize("value", [False, "false", DELETE])
def test_lb_deletion_protection__off_or_unset_fails(value):
    # Unset is AWS's default: off.
    props = edit(f.load_balancer(), {"enableDeletionProtection": value})
    assert check("lb-deletion-protection-enabled", T_ALB, props) == [
        "Load balancer enableDeletionProtection must be true."
    ]


def test_lb_deletion_protection__unknown_fails():
    props = edit(f.load_balancer(), {"enableDeletionProtection": UNKNOWN_BOOL})
    assert check("lb-deletion-protection-enabled", f.T_LB, props) == [
        "Load balancer enableDeletionProtection is unknown at preview; it must be true as a literal so the policy "
        "can prove it."
    ]


# --- lb-access-logs-enabled -------------------------------------------------------------------------


def test_lb_access_logs__compliant_passes():
    assert check("lb-access-logs-enabled", f.T_LB, f.load_balancer()) == []


def test_lb_access_logs__bucket_of_this_stack_unknown_at_preview_passes():
    props = edit(f.load_balancer(), {"accessLogs.bucket": UNKNOWN})
    assert check("lb-access-logs-enabled", f.T_LB, props) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"accessLogs.enabled": False}, ["Load balancer accessLogs.enabled must be true."]),
        # The provider leaves access logs off "even when bucket is specified" unless enabled is true.
        ({"accessLogs.enabled": DELETE}, ["Load balancer accessLogs.enabled must be true."]),
        (
            {"accessLogs": DELETE},
            [
                "Load balancer accessLogs.enabled must be true.",
                "Load balancer accessLogs.bucket must name the S3 bucket that receives the logs.",
            ],
        ),
        (
            {"accessLogs.bucket": ""},
            ["Load balancer accessLogs.bucket must name the S3 bucket that receives the logs."],
        ),
        (
            {"accessLogs.bucket": DELETE},
            ["Load balancer accessLogs.bucket must name the S3 bucket that receives the logs."],
        ),
    ],
)
def test_lb_access_logs__violation(changes, expected):
    assert check("lb-access-logs-enabled", f.T_LB, edit(f.load_balancer(), changes)) == expected


def test_lb_access_logs__network_load_balancers_are_checked_too():
    assert check("lb-access-logs-enabled", f.T_LB, edit(nlb(), {"accessLogs": DELETE}))[0] == (
        "Load balancer accessLogs.enabled must be true."
    )


def test_lb_access_logs__gateway_load_balancers_are_not_checked():
    props = edit(f.load_balancer(), {"loadBalancerType": "gateway", "accessLogs": DELETE})
    assert check("lb-access-logs-enabled", f.T_LB, props) == []


def test_lb_access_logs__unknown_enabled_fails():
    props = edit(f.load_balancer(), {"accessLogs.enabled": UNKNOWN_BOOL})
    assert check("lb-access-logs-enabled", f.T_LB, props) == [
        "Load balancer accessLogs.enabled is unknown at preview; it must be true as a literal so the policy can "
        "prove it."
    ]


# --- lb-multi-az ---------------------------------------------------------------------------------------


def test_lb_multi_az__compliant_stack_passes():
    assert check_stack("lb-multi-az", f.edge_stack().resources) == []


def test_lb_multi_az__subnets_unknown_at_preview_resolve_through_dependencies():
    props = edit(f.load_balancer(), {"subnets": UNKNOWN_ARRAY})
    assert check_stack("lb-multi-az", with_lb(props)) == []


def test_lb_multi_az__subnets_resolved_by_id_without_dependencies():
    stack = f.edge_stack()
    stack.named(LB_NAME).property_dependencies.pop("subnets")
    assert check_stack("lb-multi-az", stack.resources) == []


def test_lb_multi_az__subnet_mappings_count():
    stack = f.edge_stack()
    lb = stack.named(LB_NAME)
    lb.property_dependencies.pop("subnets")
    mappings = [{"subnetId": "subnet-publicuse1a"}, {"subnetId": "subnet-publicuse1b", "allocationId": "eipalloc-1"}]
    stack.replace(LB_NAME, edit(f.load_balancer(), {"subnets": DELETE, "subnetMappings": mappings}))
    assert check_stack("lb-multi-az", stack.resources) == []


def test_lb_multi_az__one_subnet_fails():
    stack = f.edge_stack()
    lb = stack.named(LB_NAME)
    lb.property_dependencies["subnets"] = [stack.named(f"cell-{PRIMARY}-public-a")]
    stack.replace(LB_NAME, edit(f.load_balancer(), {"subnets": ["subnet-publicuse1a"]}))
    assert check_stack("lb-multi-az", stack.resources) == [
        (f"Load balancer {LB_NAME} must use subnets in at least 2 availability zones (found 1).", LB_URN)
    ]


def test_lb_multi_az__two_subnets_in_one_zone_fail():
    stack = f.edge_stack()
    second = stack.named(f"cell-{PRIMARY}-public-b")
    stack.replace(second.name, {**stack.props(second.name), "availabilityZone": f"{PRIMARY}a"})
    stack.named(LB_NAME).property_dependencies["subnets"] = [stack.named(f"cell-{PRIMARY}-public-a"), second]
    stack.replace(LB_NAME, edit(f.load_balancer(), {"subnets": ["subnet-publicuse1a", "subnet-publicuse1b"]}))
    assert messages(check_stack("lb-multi-az", stack.resources)) == [
        f"Load balancer {LB_NAME} must use subnets in at least 2 availability zones (found 1)."
    ]


def test_lb_multi_az__zone_ids_decide_over_names():
    # Two names in two accounts may be one physical zone; the AZ ID is what counts when known.
    stack = f.edge_stack()
    for zone in "abc":
        name = f"cell-{PRIMARY}-public-{zone}"
        stack.replace(name, {**stack.props(name), "availabilityZoneId": "use1-az1"})
    assert messages(check_stack("lb-multi-az", stack.resources)) == [
        f"Load balancer {LB_NAME} must use subnets in at least 2 availability zones (found 1)."
    ]


def test_lb_multi_az__subnets_of_another_stack_fail():
    stack = f.edge_stack()
    stack.named(LB_NAME).property_dependencies.pop("subnets")
    stack.replace(LB_NAME, edit(f.load_balancer(), {"subnets": ["subnet-0aaa", "subnet-0bbb"]}))
    assert check_stack("lb-multi-az", stack.resources) == [
        (f"Load balancer {LB_NAME} subnets must resolve to subnets of this stack.", LB_URN)
    ]


def test_lb_multi_az__unknown_zone_does_not_count():
    stack = f.edge_stack()
    for zone in "bc":
        name = f"cell-{PRIMARY}-public-{zone}"
        stack.replace(name, {**stack.props(name), "availabilityZone": UNKNOWN})
    assert messages(check_stack("lb-multi-az", stack.resources)) == [
        f"Load balancer {LB_NAME} must use subnets in at least 2 availability zones (found 1)."
    ]


@pytest.mark.parametrize("value", [False, DELETE])
def test_lb_multi_az__network_load_balancer_without_cross_zone_fails(value):
    # NLBs (and GWLBs) keep traffic in the client's AZ unless cross-zone is on; AWS's default is off.
    props = edit(nlb(), {"enableCrossZoneLoadBalancing": value})
    assert check_stack("lb-multi-az", with_lb(props)) == [
        (f"Load balancer {LB_NAME} enableCrossZoneLoadBalancing must be true.", LB_URN)
    ]


def test_lb_multi_az__network_load_balancer_with_cross_zone_passes():
    assert check_stack("lb-multi-az", with_lb(nlb())) == []


def test_lb_multi_az__gateway_load_balancer_without_cross_zone_fails():
    props = edit(nlb(), {"loadBalancerType": "gateway", "enableCrossZoneLoadBalancing": DELETE})
    assert messages(check_stack("lb-multi-az", with_lb(props))) == [
        f"Load balancer {LB_NAME} enableCrossZoneLoadBalancing must be true."
    ]


def test_lb_multi_az__unknown_cross_zone_fails():
    props = edit(nlb(), {"enableCrossZoneLoadBalancing": UNKNOWN_BOOL})
    assert messages(check_stack("lb-multi-az", with_lb(props))) == [
        f"Load balancer {LB_NAME} enableCrossZoneLoadBalancing is unknown at preview; it must be true as a literal "
        "so the policy can prove it."
    ]


# --- lb-internal-unless-public-entry ------------------------------------------------------------------


def test_lb_internal__compliant_stack_passes():
    assert check_stack("lb-internal-unless-public-entry", f.edge_stack().resources) == []


def test_lb_internal__internal_load_balancer_needs_no_role():
    assert check_stack("lb-internal-unless-public-entry", with_lb(nlb())) == []


def test_lb_internal__gateway_load_balancers_have_no_scheme():
    props = edit(nlb(), {"loadBalancerType": "gateway", "internal": DELETE, "securityGroups": DELETE})
    assert check_stack("lb-internal-unless-public-entry", with_lb(props)) == []


def test_lb_internal__groups_unknown_at_preview_resolve_through_dependencies():
    props = edit(f.load_balancer(), {"securityGroups": UNKNOWN_ARRAY})
    assert check_stack("lb-internal-unless-public-entry", with_lb(props)) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"tags": f.cell_tags(PRIMARY)},
        {"tags": f.cell_tags(PRIMARY, role="app")},
        {"tags": DELETE},
        # Unset `internal` is AWS's default scheme: internet-facing.
        {"internal": DELETE, "tags": f.cell_tags(PRIMARY)},
        {"internal": "false", "tags": f.cell_tags(PRIMARY)},
    ],
)
def test_lb_internal__internet_facing_without_the_public_entry_tag_fails(changes):
    assert check_stack("lb-internal-unless-public-entry", with_lb(edit(f.load_balancer(), changes))) == [
        (f'Load balancer {LB_NAME} must be internal unless it is the public entry (tag finstack:role = "lb").', LB_URN)
    ]


def test_lb_internal__public_entry_with_another_group_fails():
    stack = f.edge_stack()
    depends(stack.named(LB_NAME), "securityGroups", stack.named(f"cell-{PRIMARY}-app-sg"))
    stack.replace(LB_NAME, edit(f.load_balancer(), {"securityGroups": ["sg-lbuse1", "sg-appuse1"]}))
    assert check_stack("lb-internal-unless-public-entry", stack.resources) == [
        (
            f"Internet-facing load balancer {LB_NAME} must use only the lb security group, not cell-{PRIMARY}-app-sg.",
            LB_URN,
        )
    ]


def test_lb_internal__public_entry_with_only_another_group_resolved_by_id_fails():
    stack = f.edge_stack()
    stack.named(LB_NAME).property_dependencies.pop("securityGroups")
    stack.replace(LB_NAME, edit(f.load_balancer(), {"securityGroups": ["sg-appuse1"]}))
    assert messages(check_stack("lb-internal-unless-public-entry", stack.resources)) == [
        f"Internet-facing load balancer {LB_NAME} must use only the lb security group, not cell-{PRIMARY}-app-sg."
    ]


def test_lb_internal__public_entry_with_a_group_outside_the_stack_fails():
    stack = f.edge_stack()
    stack.replace(LB_NAME, edit(f.load_balancer(), {"securityGroups": ["sg-lbuse1", "sg-0ffffffffffffffff"]}))
    assert check_stack("lb-internal-unless-public-entry", stack.resources) == [
        (
            f"Internet-facing load balancer {LB_NAME} securityGroups must resolve to security groups of this stack.",
            LB_URN,
        )
    ]


def test_lb_internal__public_entry_without_groups_fails():
    # An internet-facing NLB without security groups accepts whatever its listeners do.
    stack = f.edge_stack()
    stack.named(LB_NAME).property_dependencies.pop("securityGroups")
    props = edit(nlb(), {"internal": False, "tags": f.cell_tags(PRIMARY, role="lb"), "securityGroups": DELETE})
    assert check_stack("lb-internal-unless-public-entry", stack.replace(LB_NAME, props)) == [
        (f"Internet-facing load balancer {LB_NAME} must use the lb security group.", LB_URN)
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"internal": UNKNOWN_BOOL},
            f"Load balancer {LB_NAME} internal is unknown at preview; it must be true or false as a literal so the "
            "policy can prove it.",
        ),
        (
            {"tags": UNKNOWN_OBJECT},
            f"Load balancer {LB_NAME} tag finstack:role is unknown at preview; it must be lb as a literal so the "
            "policy can prove it.",
        ),
        (
            {"tags": {"finstack:role": UNKNOWN}},
            f"Load balancer {LB_NAME} tag finstack:role is unknown at preview; it must be lb as a literal so the "
            "policy can prove it.",
        ),
    ],
)
def test_lb_internal__unknown_fails(changes, expected):
    assert messages(check_stack("lb-internal-unless-public-entry", with_lb(edit(f.load_balancer(), changes)))) == [
        expected
    ]


def test_lb_internal__every_load_balancer_of_the_stack_is_checked():
    stack = f.edge_stack()
    second = resource(T_ALB, "rogue-alb", edit(f.load_balancer(SECONDARY), {"tags": f.cell_tags(SECONDARY)}))
    assert check_stack("lb-internal-unless-public-entry", [*stack.resources, second]) == [
        (
            'Load balancer rogue-alb must be internal unless it is the public entry (tag finstack:role = "lb").',
            urn(T_ALB, "rogue-alb"),
        )
    ]


# --- route53-public-zone-dnssec ------------------------------------------------------------------------


def test_zone_dnssec__compliant_stack_passes():
    assert check_stack("route53-public-zone-dnssec", f.edge_stack().resources) == []


def test_zone_dnssec__provider_defaults_pass():
    # signingStatus defaults to SIGNING and the key-signing key's status to ACTIVE.
    stack = f.edge_stack()
    stack.replace("traffic-dnssec", {"hostedZoneId": f.ZONE_ID})
    stack.replace("traffic-ksk", {"hostedZoneId": f.ZONE_ID, "name": "finstack"})
    assert check_stack("route53-public-zone-dnssec", stack.resources) == []


def test_zone_dnssec__unknown_zone_id_resolves_through_dependencies():
    stack = f.edge_stack()
    stack.replace("traffic-dnssec", {"hostedZoneId": UNKNOWN, "signingStatus": "SIGNING"})
    stack.replace("traffic-ksk", {"hostedZoneId": UNKNOWN, "name": "finstack", "status": "ACTIVE"})
    assert check_stack("route53-public-zone-dnssec", stack.resources) == []


def test_zone_dnssec__private_zone_is_not_checked():
    stack = f.edge_stack()
    stack.replace("traffic-zone", {**f.hosted_zone(), "vpcs": [{"vpcId": "vpc-use1"}]})
    assert check_stack("route53-public-zone-dnssec", stack.without("traffic-dnssec", "traffic-ksk")) == []


@pytest.mark.parametrize("vpcs", [[], None, UNKNOWN_ARRAY])
def test_zone_dnssec__zone_without_vpcs_is_public(vpcs):
    stack = f.edge_stack()
    stack.replace("traffic-zone", {**f.hosted_zone(), "vpcs": vpcs})
    assert len(check_stack("route53-public-zone-dnssec", stack.without("traffic-dnssec", "traffic-ksk"))) == 2


def test_zone_dnssec__unsigned_zone_fails():
    assert check_stack("route53-public-zone-dnssec", f.edge_stack().without("traffic-dnssec", "traffic-ksk")) == [
        ("Public hosted zone traffic-zone must have DNSSEC signing on (signingStatus SIGNING).", ZONE_URN),
        ("Public hosted zone traffic-zone must have an ACTIVE key-signing key.", ZONE_URN),
    ]


def test_zone_dnssec__not_signing_fails():
    stack = f.edge_stack()
    stack.replace("traffic-dnssec", {"hostedZoneId": f.ZONE_ID, "signingStatus": "NOT_SIGNING"})
    assert check_stack("route53-public-zone-dnssec", stack.resources) == [
        ("Public hosted zone traffic-zone must have DNSSEC signing on (signingStatus SIGNING).", ZONE_URN)
    ]


def test_zone_dnssec__inactive_key_fails():
    stack = f.edge_stack()
    stack.replace("traffic-ksk", {"hostedZoneId": f.ZONE_ID, "name": "finstack", "status": "INACTIVE"})
    assert check_stack("route53-public-zone-dnssec", stack.resources) == [
        ("Public hosted zone traffic-zone must have an ACTIVE key-signing key.", ZONE_URN)
    ]


def test_zone_dnssec__signing_another_zone_does_not_count():
    stack = f.edge_stack()
    for name in ("traffic-dnssec", "traffic-ksk"):
        stack.named(name).property_dependencies.clear()
        stack.replace(name, {**stack.props(name), "hostedZoneId": "Z0OTHERZONE"})
    assert len(check_stack("route53-public-zone-dnssec", stack.resources)) == 2


def test_zone_dnssec__unknown_status_fails():
    stack = f.edge_stack()
    stack.replace("traffic-dnssec", {"hostedZoneId": f.ZONE_ID, "signingStatus": UNKNOWN})
    assert messages(check_stack("route53-public-zone-dnssec", stack.resources)) == [
        "Hosted zone traffic-zone DNSSEC signingStatus is unknown at preview; it must be SIGNING as a literal so "
        "the policy can prove it."
    ]


def _with_signing_key(**changes: object) -> list:
    stack = f.edge_stack()
    return stack.replace("traffic-dnssec-key", {**f.dnssec_signing_key(), **changes})


def _ksk_problem(text: str) -> tuple[str, str]:
    return (f"Key-signing key traffic-ksk of public hosted zone traffic-zone: {text}", ZONE_URN)


def test_zone_dnssec__signing_key_outside_us_east_1_fails():
    assert check_stack("route53-public-zone-dnssec", _with_signing_key(region="us-west-2")) == [
        _ksk_problem("KMS key traffic-dnssec-key must be in us-east-1, not us-west-2.")
    ]


def test_zone_dnssec__symmetric_signing_key_fails():
    resources = _with_signing_key(customerMasterKeySpec="SYMMETRIC_DEFAULT", keyUsage="ENCRYPT_DECRYPT")
    assert check_stack("route53-public-zone-dnssec", resources) == [
        _ksk_problem("KMS key traffic-dnssec-key must have key spec ECC_NIST_P256, not SYMMETRIC_DEFAULT."),
        _ksk_problem("KMS key traffic-dnssec-key must have key usage SIGN_VERIFY, not ENCRYPT_DECRYPT."),
    ]


def test_zone_dnssec__key_spec_input_wins_over_the_deprecated_alias():
    resources = _with_signing_key(keySpec="ECC_NIST_P384")
    assert messages(check_stack("route53-public-zone-dnssec", resources)) == [
        "Key-signing key traffic-ksk of public hosted zone traffic-zone: KMS key traffic-dnssec-key must have "
        "key spec ECC_NIST_P256, not ECC_NIST_P384."
    ]


def _signing_statement_changed(**changes: object) -> list:
    """The edge stack whose signing key's Route53DnssecSigning statement has `changes`."""
    policy = json.loads(f.dnssec_signing_key()["policy"])
    for statement in policy["Statement"]:
        if statement["Sid"] == "Route53DnssecSigning":
            statement.update(changes)
    return _with_signing_key(policy=json.dumps(policy))


def test_zone_dnssec__key_policy_without_route53_sign_fails():
    resources = _signing_statement_changed(Action=["kms:DescribeKey", "kms:GetPublicKey"])
    assert check_stack("route53-public-zone-dnssec", resources) == [
        _ksk_problem(
            "KMS key traffic-dnssec-key policy must allow kms:Sign to the service principal "
            "dnssec-route53.amazonaws.com."
        )
    ]


def test_zone_dnssec__key_policy_granting_another_service_fails():
    resources = _signing_statement_changed(Principal={"Service": "route53.amazonaws.com"})
    assert messages(check_stack("route53-public-zone-dnssec", resources)) == [
        "Key-signing key traffic-ksk of public hosted zone traffic-zone: KMS key traffic-dnssec-key policy must "
        "allow kms:DescribeKey, kms:GetPublicKey, kms:Sign to the service principal dnssec-route53.amazonaws.com."
    ]


def test_zone_dnssec__unknown_key_policy_fails():
    assert messages(check_stack("route53-public-zone-dnssec", _with_signing_key(policy=UNKNOWN))) == [
        "Key-signing key traffic-ksk of public hosted zone traffic-zone: KMS key traffic-dnssec-key policy is "
        "unknown at preview; it must be a grant to dnssec-route53.amazonaws.com as a literal so the policy can "
        "prove it."
    ]


def test_zone_dnssec__key_outside_the_stack_is_not_judged():
    stack = f.edge_stack()
    stack.named("traffic-ksk").property_dependencies.pop("keyManagementServiceArn")
    resources = stack.without("traffic-dnssec-key")
    assert check_stack("route53-public-zone-dnssec", resources) == []


# --- route53-public-zone-query-logging -----------------------------------------------------------------


def test_zone_query_logging__compliant_stack_passes():
    assert check_stack("route53-public-zone-query-logging", f.edge_stack().resources) == []


def test_zone_query_logging__unknown_arn_resolves_to_a_us_east_1_group():
    stack = f.edge_stack()
    stack.replace("traffic-query-log", {"zoneId": UNKNOWN, "cloudwatchLogGroupArn": UNKNOWN})
    assert check_stack("route53-public-zone-query-logging", stack.resources) == []


def test_zone_query_logging__missing_fails():
    assert check_stack("route53-public-zone-query-logging", f.edge_stack().without("traffic-query-log")) == [
        ("Public hosted zone traffic-zone must have a DNS query log (aws.route53.QueryLog).", ZONE_URN)
    ]


def test_zone_query_logging__log_group_outside_us_east_1_fails():
    # Route 53 only writes query logs to a log group in us-east-1.
    stack = f.edge_stack()
    arn = "arn:aws:logs:us-west-2:111122223333:log-group:/aws/route53/pay.example.com"
    stack.replace("traffic-query-log", {"zoneId": f.ZONE_ID, "cloudwatchLogGroupArn": arn})
    assert check_stack("route53-public-zone-query-logging", stack.resources) == [
        ("Public hosted zone traffic-zone query log must write to a log group in us-east-1, not us-west-2.", ZONE_URN)
    ]


def test_zone_query_logging__unknown_arn_resolving_to_another_region_fails():
    stack = f.edge_stack()
    stack.replace("traffic-query-logs", f.log_group(SECONDARY))
    stack.replace("traffic-query-log", {"zoneId": f.ZONE_ID, "cloudwatchLogGroupArn": UNKNOWN})
    assert messages(check_stack("route53-public-zone-query-logging", stack.resources)) == [
        "Public hosted zone traffic-zone query log must write to a log group in us-east-1, not us-west-2."
    ]


def test_zone_query_logging__unresolved_log_group_fails():
    stack = f.edge_stack()
    stack.named("traffic-query-log").property_dependencies.pop("cloudwatchLogGroupArn")
    stack.replace("traffic-query-log", {"zoneId": f.ZONE_ID, "cloudwatchLogGroupArn": UNKNOWN})
    assert messages(check_stack("route53-public-zone-query-logging", stack.resources)) == [
        "Public hosted zone traffic-zone query log must write to a log group in us-east-1, not unresolved."
    ]


def test_zone_query_logging__log_of_another_zone_does_not_count():
    stack = f.edge_stack()
    stack.named("traffic-query-log").property_dependencies.pop("zoneId")
    stack.replace("traffic-query-log", {**stack.props("traffic-query-log"), "zoneId": "Z0OTHERZONE"})
    assert messages(check_stack("route53-public-zone-query-logging", stack.resources)) == [
        "Public hosted zone traffic-zone must have a DNS query log (aws.route53.QueryLog)."
    ]


def test_zone_query_logging__private_zone_is_not_checked():
    stack = f.edge_stack()
    stack.replace("traffic-zone", {**f.hosted_zone(), "vpcs": [{"vpcId": UNKNOWN}]})
    assert check_stack("route53-public-zone-query-logging", stack.without("traffic-query-log")) == []
