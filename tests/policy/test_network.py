"""Segmentation and exposure policies."""

from __future__ import annotations

import pytest

from tests.policy import factories as f
from tests.policy.helpers import (
    DELETE,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_OBJECT,
    check,
    check_stack,
    depends,
    edit,
    messages,
    urn,
)

CELL = f"cell-{PRIMARY}"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
T_NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"


# --- network-segmentation-tags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "tags"),
    [
        (f.T_SUBNET, f.cell_tags(PRIMARY, tier="data")),
        (f.T_ROUTE_TABLE, f.cell_tags(PRIMARY, tier="app")),
        (f.T_NACL, f.cell_tags(PRIMARY, tier="public")),
        (f.T_SG, f.cell_tags(PRIMARY, role="kafka")),
    ],
)
def test_network_segmentation_tags__tagged_resources_pass(type_, tags):
    assert check("network-segmentation-tags", type_, {"region": PRIMARY, "tags": tags}) == []


@pytest.mark.parametrize(
    ("type_", "tags", "expected"),
    [
        (
            f.T_SUBNET,
            f.cell_tags(PRIMARY),
            "Subnet must carry tag finstack:tier with one of public, app, data, endpoints, not unset.",
        ),
        (
            f.T_ROUTE_TABLE,
            f.cell_tags(PRIMARY, tier="private"),
            "Route table must carry tag finstack:tier with one of public, app, data, endpoints, not private.",
        ),
        (
            f.T_NACL,
            None,
            "Network ACL must carry tag finstack:tier with one of public, app, data, endpoints, not unset.",
        ),
        (
            f.T_SG,
            f.cell_tags(PRIMARY, tier="app"),
            "Security group must carry tag finstack:role with one of lb, app, db, kafka, endpoints, not unset.",
        ),
    ],
)
def test_network_segmentation_tags__violation(type_, tags, expected):
    assert check("network-segmentation-tags", type_, {"region": PRIMARY, "tags": tags}) == [expected]


def test_network_segmentation_tags__unknown_tags_fail():
    assert check("network-segmentation-tags", f.T_SG, {"region": PRIMARY, "tags": UNKNOWN_OBJECT}) == [
        "Security group tag finstack:role is unknown at preview; it must be one of lb, app, db, kafka, endpoints "
        "as a literal so the policy can prove it."
    ]


# --- security-group-no-public-ingress ----------------------------------------------------------


def test_security_group_no_public_ingress__compliant_stack_passes():
    assert check_stack("security-group-no-public-ingress", f.compliant_stack().resources) == []


@pytest.mark.parametrize(
    ("changes", "traffic"),
    [
        ({"fromPort": 22, "toPort": 22}, "tcp 22-22"),
        ({"ipProtocol": "-1", "fromPort": DELETE, "toPort": DELETE}, "all traffic"),
    ],
)
def test_security_group_no_public_ingress__lb_group_other_port_fails(changes, traffic):
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    resources = stack.replace(rule, edit(stack.props(rule), changes))
    assert check_stack("security-group-no-public-ingress", resources) == [
        (
            f"Security group {CELL}-lb-sg must not allow ingress from 0.0.0.0/0 ({traffic}); "
            "only the lb group may accept tcp 443 from the internet.",
            urn(f.T_INGRESS, rule),
        )
    ]


def test_security_group_no_public_ingress__app_group_443_from_internet_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-app-from-lb"
    props = edit(
        stack.props(rule), {"referencedSecurityGroupId": DELETE, "cidrIpv6": "::/0", "fromPort": 443, "toPort": 443}
    )
    assert messages(check_stack("security-group-no-public-ingress", stack.replace(rule, props))) == [
        f"Security group {CELL}-app-sg must not allow ingress from ::/0 (tcp 443-443); "
        "only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_ingress__inline_rule_fails():
    stack = f.compliant_stack()
    group = f"{CELL}-db-sg"
    props = edit(
        stack.props(group),
        {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}]},
    )
    assert check_stack("security-group-no-public-ingress", stack.replace(group, props)) == [
        (
            f"Security group {group} must not allow ingress from 0.0.0.0/0 (tcp 5432-5432); "
            "only the lb group may accept tcp 443 from the internet.",
            urn(f.T_SG, group),
        )
    ]


def test_security_group_no_public_ingress__legacy_rule_resolved_by_id_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_SG_RULE,
        "ssh-anywhere",
        {
            "region": PRIMARY,
            "type": "ingress",
            "securityGroupId": "sg-appuse1",
            "protocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"],
        },
    )
    assert check_stack("security-group-no-public-ingress", stack.resources) == [
        (
            f"Security group {CELL}-app-sg must not allow ingress from 0.0.0.0/0 (tcp 22-22); "
            "only the lb group may accept tcp 443 from the internet.",
            urn(f.T_SG_RULE, "ssh-anywhere"),
        )
    ]


def test_security_group_no_public_ingress__egress_rule_ignored():
    stack = f.compliant_stack()
    stack.add(
        f.T_SG_RULE,
        "https-out",
        {
            "region": PRIMARY,
            "type": "egress",
            "securityGroupId": "sg-appuse1",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["0.0.0.0/0"],
        },
    )
    assert check_stack("security-group-no-public-ingress", stack.resources) == []


def test_security_group_no_public_ingress__unknown_group_id_resolved_through_dependencies():
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    resources = stack.replace(rule, edit(stack.props(rule), {"securityGroupId": UNKNOWN}))
    assert check_stack("security-group-no-public-ingress", resources) == []


def test_security_group_no_public_ingress__unresolvable_public_rule_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    stack.named(rule).property_dependencies.clear()
    resources = stack.replace(rule, edit(stack.props(rule), {"securityGroupId": UNKNOWN}))
    assert check_stack("security-group-no-public-ingress", resources) == [
        (
            f"Security group rule {rule} securityGroupId must resolve to a security group of this stack; "
            "it allows ingress from 0.0.0.0/0.",
            urn(f.T_INGRESS, rule),
        )
    ]


def test_security_group_no_public_ingress__unknown_cidr_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    resources = stack.replace(rule, edit(stack.props(rule), {"cidrIpv4": UNKNOWN}))
    assert messages(check_stack("security-group-no-public-ingress", resources)) == [
        f"Security group rule {rule} cidr is unknown at preview; it must be a CIDR block as a literal so the policy "
        "can prove it."
    ]


def test_security_group_no_public_ingress__unknown_port_on_public_rule_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    resources = stack.replace(rule, edit(stack.props(rule), {"toPort": UNKNOWN}))
    assert messages(check_stack("security-group-no-public-ingress", resources)) == [
        f"Security group rule {rule} port range is unknown at preview; it must be tcp 443 as a literal so the "
        "policy can prove it."
    ]


# "Public" is any address outside RFC 1918, RFC 6598 (100.64.0.0/10), IPv4 link-local, IPv6 unique-local
# and IPv6 link-local space, not only 0.0.0.0/0 and ::/0.
PUBLIC_NOT_ANY = ["0.0.0.0/1", "128.0.0.0/1", "8.0.0.0/7", "10.0.0.0/7", "203.0.113.7/32", "2000::/3", "2600::/12"]
PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.4.0/24", "100.64.0.0/10", "169.254.169.254/32", "fd00::/8"]
T_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
T_PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"


def _app_rule_from(**source):
    """The app group's ingress rule from the lb group, turned into a rule from `source` (a CIDR or prefix list)."""
    stack = f.compliant_stack()
    rule = f"{CELL}-app-from-lb"
    props = edit(stack.props(rule), {"referencedSecurityGroupId": DELETE, **source})
    return stack, rule, props


@pytest.mark.parametrize("cidr", PUBLIC_NOT_ANY)
def test_security_group_no_public_ingress__public_cidr_other_than_any_fails(cidr):
    stack, rule, props = _app_rule_from(**{"cidrIpv6" if ":" in cidr else "cidrIpv4": cidr})
    assert check_stack("security-group-no-public-ingress", stack.replace(rule, props)) == [
        (
            f"Security group {CELL}-app-sg must not allow ingress from {cidr} (tcp 8443-8443); "
            "only the lb group may accept tcp 443 from the internet.",
            urn(f.T_INGRESS, rule),
        )
    ]


@pytest.mark.parametrize("cidr", PRIVATE)
def test_security_group_no_public_ingress__private_cidr_passes(cidr):
    stack, rule, props = _app_rule_from(**{"cidrIpv6" if ":" in cidr else "cidrIpv4": cidr})
    assert check_stack("security-group-no-public-ingress", stack.replace(rule, props)) == []


def test_security_group_no_public_ingress__pair_of_slash_ones_on_ssh_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_SG_RULE,
        "ssh-two-halves",
        {
            "region": PRIMARY,
            "type": "ingress",
            "securityGroupId": "sg-appuse1",
            "protocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"],
        },
    )
    assert messages(check_stack("security-group-no-public-ingress", stack.resources)) == [
        f"Security group {CELL}-app-sg must not allow ingress from 0.0.0.0/1 (tcp 22-22); "
        "only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_ingress__inline_ipv6_global_unicast_all_traffic_fails():
    stack = f.compliant_stack()
    group = f"{CELL}-app-sg"
    everything = {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["2000::/3"]}
    props = edit(stack.props(group), {"ingress": [everything]})
    assert messages(check_stack("security-group-no-public-ingress", stack.replace(group, props))) == [
        f"Security group {group} must not allow ingress from 2000::/3 (all traffic); "
        "only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_ingress__lb_range_containing_rdp_from_public_cidr_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    props = edit(stack.props(rule), {"cidrIpv4": "198.51.100.0/24", "fromPort": 443, "toPort": 3389})
    assert messages(check_stack("security-group-no-public-ingress", stack.replace(rule, props))) == [
        f"Security group {CELL}-lb-sg must not allow ingress from 198.51.100.0/24 (tcp 443-3389); "
        "only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_ingress__prefix_list_outside_the_stack_fails():
    # An AWS managed or shared prefix list has entries the pack cannot see: it counts as public.
    stack, rule, props = _app_rule_from(prefixListId="pl-0123456789abcdef0", fromPort=22, toPort=22)
    assert messages(check_stack("security-group-no-public-ingress", stack.replace(rule, props))) == [
        f"Security group {CELL}-app-sg must not allow ingress from pl-0123456789abcdef0 (a prefix list outside "
        "this stack) (tcp 22-22); only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_ingress__lb_https_from_outside_prefix_list_passes():
    stack = f.compliant_stack()
    rule = f"{CELL}-lb-https"
    props = edit(stack.props(rule), {"cidrIpv4": DELETE, "prefixListId": "pl-cloudfront0000000"})
    assert check_stack("security-group-no-public-ingress", stack.replace(rule, props)) == []


def _with_prefix_list(entries, *standalone):
    """The app rule from a prefix list of this stack (id unknown at preview, tied by dependency)."""
    stack, rule, props = _app_rule_from(prefixListId=UNKNOWN)
    prefix_list = stack.add(
        T_PREFIX_LIST, "office-pl", {"region": PRIMARY, "name": "office", "addressFamily": "IPv4", "entries": entries}
    )
    for index, cidr in enumerate(standalone):
        stack.add(
            T_PREFIX_LIST_ENTRY, f"office-pl-{index}", {"prefixListId": UNKNOWN, "cidr": cidr}, prefixListId=prefix_list
        )
    depends(stack.named(rule), "prefixListId", prefix_list)
    return stack.replace(rule, props)


def test_security_group_no_public_ingress__stack_prefix_list_of_private_entries_passes():
    resources = _with_prefix_list([{"cidr": "10.0.0.0/8"}], "172.16.0.0/12")
    assert check_stack("security-group-no-public-ingress", resources) == []


@pytest.mark.parametrize(
    ("entries", "standalone"), [([{"cidr": "198.51.100.0/24"}], ()), ([{"cidr": "10.0.0.0/8"}], ("198.51.100.0/24",))]
)
def test_security_group_no_public_ingress__stack_prefix_list_with_public_entry_fails(entries, standalone):
    assert messages(check_stack("security-group-no-public-ingress", _with_prefix_list(entries, *standalone))) == [
        f"Security group {CELL}-app-sg must not allow ingress from 198.51.100.0/24 (prefix list office-pl) "
        "(tcp 8443-8443); only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_ingress__stack_prefix_list_unknown_entries_fail():
    # Prefix list entries are literals like CIDRs (`fail`): unknown at preview is a violation.
    assert messages(check_stack("security-group-no-public-ingress", _with_prefix_list(UNKNOWN_ARRAY))) == [
        f"Managed prefix list office-pl entries (used by {CELL}-app-from-lb) is unknown at preview; it must be a "
        "list of CIDR blocks as a literal so the policy can prove it."
    ]


# --- network-acl-no-public-admin-ingress ---------------------------------------------------------

NACL_POLICY = "network-acl-no-public-admin-ingress"


def _entry(rule_no, cidr="0.0.0.0/0", ports=(1024, 65535), protocol="tcp", action="allow"):
    key = "ipv6CidrBlock" if ":" in cidr else "cidrBlock"
    return {"ruleNo": rule_no, "action": action, "protocol": protocol, key: cidr, "fromPort": ports[0]} | {
        "toPort": ports[1]
    }


def _nacl_stack(*ingress, type_=f.T_NACL):
    """The compliant stack plus a public-tier ACL with `ingress` (egress allows everything, and is ignored)."""
    stack = f.compliant_stack()
    stack.add(
        type_,
        "public-nacl",
        {
            "region": PRIMARY,
            "id": "acl-public",
            "vpcId": "vpc-use1",
            "ingress": list(ingress),
            "egress": [_entry(100, protocol="-1", ports=(0, 0))],
            "tags": f.cell_tags(PRIMARY, tier="public"),
        },
        vpcId=stack.named(f"{CELL}-vpc"),
    )
    return stack


def _nacl_violation(rule_no, cidr, ports, traffic, acl="public-nacl", owner=None):
    return (
        f"Network ACL {acl} ingress rule {rule_no} must not allow {cidr} to port {ports} ({traffic}) "
        "unless a lower-numbered rule denies it.",
        owner or urn(f.T_NACL, "public-nacl"),
    )


def test_network_acl_no_public_admin_ingress__shipped_shape_passes():
    # components.network: https and ephemeral ports from anywhere, RDP denied first, the VPC for all traffic.
    stack = _nacl_stack(
        _entry(90, ports=(3389, 3389), action="deny"),
        _entry(100, ports=(443, 443)),
        _entry(110),
        _entry(120, "10.10.0.0/16", (0, 0), "-1"),
    )
    assert check_stack(NACL_POLICY, stack.resources) == []


def test_network_acl_no_public_admin_ingress__ephemeral_range_without_deny_fails():
    stack = _nacl_stack(_entry(100, ports=(443, 443)), _entry(110))
    assert check_stack(NACL_POLICY, stack.resources) == [_nacl_violation(110, "0.0.0.0/0", "3389", "tcp 1024-65535")]


@pytest.mark.parametrize(
    "deny",
    [
        _entry(120, ports=(3389, 3389), action="deny"),
        _entry(90, "0.0.0.0/1", (3389, 3389), action="deny"),
        _entry(90, ports=(3389, 3389), protocol="udp", action="deny"),
        _entry(90, ports=(3390, 3400), action="deny"),
    ],
    ids=["higher-number", "half-the-addresses", "other-protocol", "other-ports"],
)
def test_network_acl_no_public_admin_ingress__deny_that_does_not_cover_fails(deny):
    stack = _nacl_stack(deny, _entry(110))
    assert check_stack(NACL_POLICY, stack.resources) == [_nacl_violation(110, "0.0.0.0/0", "3389", "tcp 1024-65535")]


@pytest.mark.parametrize(
    "deny",
    [
        _entry(90, ports=(3389, 3389), protocol="-1", action="deny"),
        _entry(90, ports=(3000, 4000), action="deny"),
    ],
    ids=["all-protocols", "wider-range"],
)
def test_network_acl_no_public_admin_ingress__covering_deny_passes(deny):
    assert check_stack(NACL_POLICY, _nacl_stack(deny, _entry(110)).resources) == []


def test_network_acl_no_public_admin_ingress__pair_of_slash_ones_on_ssh_fails():
    stack = _nacl_stack(_entry(100, "0.0.0.0/1", (22, 22)), _entry(110, "128.0.0.0/1", (22, 22)))
    assert check_stack(NACL_POLICY, stack.resources) == [
        _nacl_violation(100, "0.0.0.0/1", "22", "tcp 22-22"),
        _nacl_violation(110, "128.0.0.0/1", "22", "tcp 22-22"),
    ]


@pytest.mark.parametrize("cidr", ["::/0", "2000::/3", "8.0.0.0/7"])
def test_network_acl_no_public_admin_ingress__all_traffic_from_public_range_fails(cidr):
    stack = _nacl_stack(_entry(100, cidr, (0, 0), "-1"))
    assert check_stack(NACL_POLICY, stack.resources) == [_nacl_violation(100, cidr, "20, 21, 22, 3389", "all traffic")]


@pytest.mark.parametrize("cidr", PRIVATE)
def test_network_acl_no_public_admin_ingress__private_source_passes(cidr):
    assert check_stack(NACL_POLICY, _nacl_stack(_entry(100, cidr, (0, 0), "-1")).resources) == []


def test_network_acl_no_public_admin_ingress__default_network_acl_checked():
    stack = _nacl_stack(_entry(100, "0.0.0.0/0", (0, 0), "-1"), type_="aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    assert check_stack(NACL_POLICY, stack.resources) == [
        _nacl_violation(100, "0.0.0.0/0", "20, 21, 22, 3389", "all traffic", owner=urn(DEFAULT_NACL, "public-nacl"))
    ]


def _standalone(stack, name, rule_number, action, ports, egress=False, resolved=True):
    props = {
        "region": PRIMARY,
        "networkAclId": UNKNOWN,
        "ruleNumber": rule_number,
        "egress": egress,
        "ruleAction": action,
        "protocol": "tcp",
        "cidrBlock": "0.0.0.0/0",
        "fromPort": ports[0],
        "toPort": ports[1],
    }
    deps = {"networkAclId": stack.named("public-nacl")} if resolved else {}
    stack.add("aws:ec2/networkAclRule:NetworkAclRule", name, props, **deps)


def test_network_acl_no_public_admin_ingress__standalone_deny_joins_its_acl():
    stack = _nacl_stack(_entry(110))
    _standalone(stack, "deny-rdp", 90, "deny", (3389, 3389))
    assert check_stack(NACL_POLICY, stack.resources) == []


def test_network_acl_no_public_admin_ingress__standalone_allow_fails():
    stack = _nacl_stack()
    _standalone(stack, "ssh-in", 100, "allow", (22, 22))
    _standalone(stack, "ssh-out", 100, "allow", (22, 22), egress=True)
    assert check_stack(NACL_POLICY, stack.resources) == [
        _nacl_violation(100, "0.0.0.0/0", "22", "tcp 22-22", owner=urn(T_NACL_RULE, "ssh-in"))
    ]


def test_network_acl_no_public_admin_ingress__unresolvable_standalone_rule_checked_alone():
    stack = _nacl_stack()
    _standalone(stack, "ssh-in", 100, "allow", (20, 22), resolved=False)
    assert check_stack(NACL_POLICY, stack.resources) == [
        (
            "Network ACL rule ssh-in ingress rule 100 must not allow 0.0.0.0/0 to port 20, 21, 22 (tcp 20-22) "
            "unless a lower-numbered rule denies it.",
            urn(T_NACL_RULE, "ssh-in"),
        )
    ]


def test_network_acl_no_public_admin_ingress__unknown_cidr_fails():
    stack = _nacl_stack(edit(_entry(110), {"cidrBlock": UNKNOWN}))
    assert messages(check_stack(NACL_POLICY, stack.resources)) == [
        "Network ACL rule public-nacl ingress[0] cidrBlock is unknown at preview; it must be a CIDR block as a "
        "literal so the policy can prove it."
    ]


def test_network_acl_no_public_admin_ingress__unknown_ports_on_public_allow_fail():
    stack = _nacl_stack(edit(_entry(110), {"toPort": UNKNOWN_NUMBER}))
    assert messages(check_stack(NACL_POLICY, stack.resources)) == [
        "Network ACL rule public-nacl ingress[0] action, protocol, ports and rule number is unknown at preview; it "
        "must be set as a literal so the policy can prove it."
    ]


# --- data-security-group-app-ingress-only ------------------------------------------------------


def test_data_security_group_app_ingress_only__compliant_stack_passes():
    assert check_stack("data-security-group-app-ingress-only", f.compliant_stack().resources) == []


def test_data_security_group_app_ingress_only__cidr_source_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-db-from-app"
    props = edit(stack.props(rule), {"referencedSecurityGroupId": DELETE, "cidrIpv4": "10.10.0.0/16"})
    stack.named(rule).property_dependencies.pop("referencedSecurityGroupId")
    assert check_stack("data-security-group-app-ingress-only", stack.replace(rule, props)) == [
        (
            f"Security group {CELL}-db-sg (db) must accept ingress only from the app security group; "
            f"{rule} allows 10.10.0.0/16.",
            urn(f.T_INGRESS, rule),
        )
    ]


def test_data_security_group_app_ingress_only__lb_source_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-kafka-from-app"
    stack.named(rule).property_dependencies["referencedSecurityGroupId"] = [stack.named(f"{CELL}-lb-sg")]
    resources = stack.replace(rule, edit(stack.props(rule), {"referencedSecurityGroupId": "sg-lbuse1"}))
    assert check_stack("data-security-group-app-ingress-only", resources) == [
        (
            f"Security group {CELL}-kafka-sg (kafka) must accept ingress only from the app security group; "
            f"{rule} allows {CELL}-lb-sg (role lb).",
            urn(f.T_INGRESS, rule),
        )
    ]


def test_data_security_group_app_ingress_only__unresolvable_source_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-db-from-app"
    stack.named(rule).property_dependencies.pop("referencedSecurityGroupId")
    resources = stack.replace(rule, edit(stack.props(rule), {"referencedSecurityGroupId": "sg-0ffshore"}))
    assert messages(check_stack("data-security-group-app-ingress-only", resources)) == [
        f"Security group {CELL}-db-sg (db) must accept ingress only from the app security group; "
        f"{rule} references a security group that is not in this stack."
    ]


def test_data_security_group_app_ingress_only__inline_prefix_list_fails():
    stack = f.compliant_stack()
    group = f"{CELL}-db-sg"
    props = edit(
        stack.props(group),
        {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "prefixListIds": ["pl-0123"]}]},
    )
    assert messages(check_stack("data-security-group-app-ingress-only", stack.replace(group, props))) == [
        f"Security group {group} (db) must accept ingress only from the app security group; "
        f"{group} ingress[0] allows pl-0123."
    ]


def test_data_security_group_app_ingress_only__inline_self_and_app_references_pass():
    stack = f.compliant_stack()
    group = f"{CELL}-kafka-sg"
    ingress = [
        {"protocol": "tcp", "fromPort": 9098, "toPort": 9098, "securityGroups": ["sg-kafkause1"]},
        {"protocol": "tcp", "fromPort": 9098, "toPort": 9098, "securityGroups": ["sg-appuse1"]},
    ]
    assert (
        check_stack(
            "data-security-group-app-ingress-only", stack.replace(group, {**stack.props(group), "ingress": ingress})
        )
        == []
    )


def test_data_security_group_app_ingress_only__legacy_rule_from_app_passes():
    stack = f.compliant_stack()
    stack.add(
        f.T_SG_RULE,
        "db-from-app-legacy",
        {
            "region": PRIMARY,
            "type": "ingress",
            "securityGroupId": "sg-dbuse1",
            "sourceSecurityGroupId": "sg-appuse1",
            "protocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
        },
    )
    assert check_stack("data-security-group-app-ingress-only", stack.resources) == []


def test_data_security_group_app_ingress_only__unknown_cidr_fails():
    stack = f.compliant_stack()
    rule = f"{CELL}-db-from-app"
    resources = stack.replace(rule, edit(stack.props(rule), {"cidrIpv4": UNKNOWN}))
    assert messages(check_stack("data-security-group-app-ingress-only", resources)) == [
        f"Security group {CELL}-db-sg (db) must accept ingress only from the app security group; "
        f"{rule} allows a value unknown at preview."
    ]


# --- data-route-table-no-default-route ---------------------------------------------------------


def test_data_route_table_no_default_route__compliant_stack_passes():
    assert check_stack("data-route-table-no-default-route", f.compliant_stack().resources) == []


@pytest.mark.parametrize(
    "route",
    [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}, {"ipv6CidrBlock": "::/0", "egressOnlyGatewayId": "eigw-1"}],
)
def test_data_route_table_no_default_route__inline_default_route_fails(route):
    stack = f.compliant_stack()
    table = f"{CELL}-data-rt"
    resources = stack.replace(table, edit(stack.props(table), {"routes": [route]}))
    destination = route.get("cidrBlock") or route.get("ipv6CidrBlock")
    assert check_stack("data-route-table-no-default-route", resources) == [
        (f"Data-tier route table {table} must not route {destination}.", urn(f.T_ROUTE_TABLE, table))
    ]


@pytest.mark.parametrize(
    "route",
    [
        {"cidrBlock": "0.0.0.0/1", "natGatewayId": "nat-1"},
        {"cidrBlock": "8.0.0.0/7", "natGatewayId": "nat-1"},
        {"ipv6CidrBlock": "2000::/3", "egressOnlyGatewayId": "eigw-1"},
    ],
)
def test_data_route_table_no_default_route__public_range_other_than_any_fails(route):
    # Two /1 routes, or 2000::/3, reach the internet as surely as a default route.
    stack = f.compliant_stack()
    table = f"{CELL}-data-rt"
    resources = stack.replace(table, edit(stack.props(table), {"routes": [route, {"cidrBlock": "10.20.0.0/16"}]}))
    destination = route.get("cidrBlock") or route.get("ipv6CidrBlock")
    assert check_stack("data-route-table-no-default-route", resources) == [
        (f"Data-tier route table {table} must not route {destination}.", urn(f.T_ROUTE_TABLE, table))
    ]


def test_data_route_table_no_default_route__standalone_route_fails():
    stack = f.compliant_stack()
    table = stack.named(f"{CELL}-data-rt")
    stack.add(
        f.T_ROUTE,
        "data-default",
        {"region": PRIMARY, "routeTableId": UNKNOWN, "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-use1a"},
        routeTableId=table,
    )
    assert check_stack("data-route-table-no-default-route", stack.resources) == [
        (
            f"Data-tier route table {CELL}-data-rt must not route 0.0.0.0/0 (route data-default).",
            urn(f.T_ROUTE, "data-default"),
        )
    ]


def test_data_route_table_no_default_route__unresolvable_default_route_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_ROUTE,
        "orphan-default",
        {
            "region": PRIMARY,
            "routeTableId": "rtb-elsewhere",
            "destinationIpv6CidrBlock": "::/0",
            "egressOnlyGatewayId": "eigw-1",
        },
    )
    assert check_stack("data-route-table-no-default-route", stack.resources) == [
        (
            "Route orphan-default routeTableId must resolve to a route table of this stack; it routes ::/0.",
            urn(f.T_ROUTE, "orphan-default"),
        )
    ]


def test_data_route_table_no_default_route__unknown_inline_routes_fail():
    stack = f.compliant_stack()
    table = f"{CELL}-data-rt"
    resources = stack.replace(table, edit(stack.props(table), {"routes": UNKNOWN_ARRAY}))
    assert messages(check_stack("data-route-table-no-default-route", resources)) == [
        f"Data-tier route table {table} route destination is unknown at preview; it must be a CIDR as a literal so "
        "the policy can prove it."
    ]


# --- private-subnet-no-public-ip ---------------------------------------------------------------


def _subnet(tier: str, **changes):
    return edit(
        {
            "region": PRIMARY,
            "cidrBlock": "10.10.32.0/24",
            "mapPublicIpOnLaunch": False,
            "tags": f.cell_tags(PRIMARY, tier=tier),
        },
        changes,
    )


@pytest.mark.parametrize("tier", ["app", "data", "endpoints"])
def test_private_subnet_no_public_ip__private_tiers_pass(tier):
    assert check("private-subnet-no-public-ip", f.T_SUBNET, _subnet(tier)) == []


def test_private_subnet_no_public_ip__public_tier_may_map_public_ips():
    assert check("private-subnet-no-public-ip", f.T_SUBNET, _subnet("public", mapPublicIpOnLaunch=True)) == []


@pytest.mark.parametrize("tier", ["app", "data", "endpoints"])
def test_private_subnet_no_public_ip__private_tier_with_public_ips_fails(tier):
    assert check("private-subnet-no-public-ip", f.T_SUBNET, _subnet(tier, mapPublicIpOnLaunch=True)) == [
        f"{tier}-tier subnet mapPublicIpOnLaunch must be false."
    ]


def test_private_subnet_no_public_ip__unknown_fails():
    assert check("private-subnet-no-public-ip", f.T_SUBNET, _subnet("data", mapPublicIpOnLaunch=UNKNOWN_BOOL)) == [
        "data-tier subnet mapPublicIpOnLaunch is unknown at preview; it must be false as a literal so the policy "
        "can prove it."
    ]


# --- default-security-group-no-rules / vpc-default-security-group-managed ------------------------


def test_default_security_group_no_rules__empty_group_passes():
    props = {"region": PRIMARY, "vpcId": "vpc-use1", "ingress": [], "egress": []}
    assert check("default-security-group-no-rules", f.T_DEFAULT_SG, props) == []


def test_default_security_group_no_rules__rules_fail():
    rule = {"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}
    props = {"region": PRIMARY, "vpcId": "vpc-use1", "ingress": [rule], "egress": [rule]}
    assert check("default-security-group-no-rules", f.T_DEFAULT_SG, props) == [
        "Default security group ingress must be empty.",
        "Default security group egress must be empty.",
    ]


def test_default_security_group_no_rules__unknown_fails():
    props = {"region": PRIMARY, "vpcId": "vpc-use1", "ingress": UNKNOWN_ARRAY, "egress": []}
    assert check("default-security-group-no-rules", f.T_DEFAULT_SG, props) == [
        "Default security group ingress is unknown at preview; it must be an empty list as a literal so the policy "
        "can prove it."
    ]


def test_vpc_default_security_group_managed__compliant_stack_passes():
    assert check_stack("vpc-default-security-group-managed", f.compliant_stack().resources) == []


def test_vpc_default_security_group_managed__unmanaged_default_group_fails():
    resources = f.compliant_stack().without(f"cell-{SECONDARY}-default-sg")
    assert check_stack("vpc-default-security-group-managed", resources) == [
        (
            f"VPC cell-{SECONDARY}-vpc must have a managed DefaultSecurityGroup with no rules.",
            urn(f.T_VPC, f"cell-{SECONDARY}-vpc"),
        )
    ]


# --- rds-not-publicly-accessible ---------------------------------------------------------------


@pytest.mark.parametrize(("type_", "factory"), [(f.T_INSTANCE, f.aurora_instance), (f.T_CLUSTER, f.aurora_cluster)])
def test_rds_not_publicly_accessible__private_passes(type_, factory):
    assert check("rds-not-publicly-accessible", type_, factory()) == []


@pytest.mark.parametrize(
    ("type_", "factory", "subject"),
    [(f.T_INSTANCE, f.aurora_instance, "Aurora instance"), (f.T_CLUSTER, f.aurora_cluster, "Aurora cluster")],
)
def test_rds_not_publicly_accessible__public_fails(type_, factory, subject):
    props = edit(factory(), {"publiclyAccessible": True})
    assert check("rds-not-publicly-accessible", type_, props) == [f"{subject} publiclyAccessible must be false."]


def test_rds_not_publicly_accessible__unknown_fails():
    props = edit(f.aurora_instance(), {"publiclyAccessible": UNKNOWN_BOOL})
    assert check("rds-not-publicly-accessible", f.T_INSTANCE, props) == [
        "Aurora instance publiclyAccessible is unknown at preview; it must be false as a literal so the policy can "
        "prove it."
    ]


# --- eks-endpoint-access-restricted ------------------------------------------------------------

DEV = {"environment": "dev", "allowedPublicAccessCidrs": ["203.0.113.0/24"]}


def _public(cidrs):
    changes = {"vpcConfig.endpointPublicAccess": True}
    changes["vpcConfig.publicAccessCidrs"] = DELETE if cidrs is None else cidrs
    return edit(f.eks_cluster(), changes)


def test_eks_endpoint_access_restricted__private_cluster_passes():
    assert check("eks-endpoint-access-restricted", f.T_EKS, f.eks_cluster()) == []


def test_eks_endpoint_access_restricted__public_endpoint_in_prod_fails():
    assert check("eks-endpoint-access-restricted", f.T_EKS, _public(["203.0.113.0/24"])) == [
        "EKS cluster vpcConfig.endpointPublicAccess must be false in prod."
    ]


def test_eks_endpoint_access_restricted__unset_public_access_is_public():
    props = edit(f.eks_cluster(), {"vpcConfig.endpointPublicAccess": DELETE})
    assert check("eks-endpoint-access-restricted", f.T_EKS, props) == [
        "EKS cluster vpcConfig.endpointPublicAccess must be false in prod."
    ]


def test_eks_endpoint_access_restricted__dev_allow_listed_cidr_passes():
    assert check("eks-endpoint-access-restricted", f.T_EKS, _public(["203.0.113.0/24"]), config=DEV) == []


@pytest.mark.parametrize(
    ("cidrs", "expected"),
    [
        (["0.0.0.0/0"], ["EKS cluster vpcConfig.publicAccessCidrs must not contain 0.0.0.0/0."]),
        (
            ["198.51.100.0/24"],
            [
                "EKS cluster vpcConfig.publicAccessCidrs entry 198.51.100.0/24 must be inside allowedPublicAccessCidrs "
                "(203.0.113.0/24)."
            ],
        ),
        (
            ["203.0.0.0/16"],
            [
                "EKS cluster vpcConfig.publicAccessCidrs entry 203.0.0.0/16 must be inside allowedPublicAccessCidrs "
                "(203.0.113.0/24)."
            ],
        ),
        (
            None,
            ["EKS cluster vpcConfig.publicAccessCidrs must be set when the public endpoint is on (AWS: 0.0.0.0/0)."],
        ),
    ],
)
def test_eks_endpoint_access_restricted__dev_cidr_violation(cidrs, expected):
    assert check("eks-endpoint-access-restricted", f.T_EKS, _public(cidrs), config=DEV) == expected


def test_eks_endpoint_access_restricted__dev_without_allow_list_fails():
    config = {"environment": "dev"}
    assert check("eks-endpoint-access-restricted", f.T_EKS, _public(["203.0.113.0/24"]), config=config) == [
        "EKS cluster vpcConfig.publicAccessCidrs entry 203.0.113.0/24 must be inside allowedPublicAccessCidrs "
        "(none configured)."
    ]


def test_eks_endpoint_access_restricted__private_access_off_fails():
    props = edit(f.eks_cluster(), {"vpcConfig.endpointPrivateAccess": DELETE})
    assert check("eks-endpoint-access-restricted", f.T_EKS, props) == [
        "EKS cluster vpcConfig.endpointPrivateAccess must be true."
    ]


def test_eks_endpoint_access_restricted__unknown_public_access_fails():
    props = edit(f.eks_cluster(), {"vpcConfig.endpointPublicAccess": UNKNOWN_BOOL})
    assert check("eks-endpoint-access-restricted", f.T_EKS, props, config=DEV) == [
        "EKS cluster vpcConfig.endpointPublicAccess is unknown at preview; it must be false as a literal so the "
        "policy can prove it."
    ]


# --- msk-not-public ----------------------------------------------------------------------------


def test_msk_not_public__private_cluster_passes():
    assert check("msk-not-public", f.T_MSK, f.msk_cluster()) == []


def test_msk_not_public__unset_public_access_passes():
    props = edit(f.msk_cluster(), {"brokerNodeGroupInfo.connectivityInfo": DELETE})
    assert check("msk-not-public", f.T_MSK, props) == []


def test_msk_not_public__public_brokers_fail():
    props = edit(f.msk_cluster(), {"brokerNodeGroupInfo.connectivityInfo.publicAccess.type": "SERVICE_PROVIDED_EIPS"})
    assert check("msk-not-public", f.T_MSK, props) == [
        "MSK cluster brokerNodeGroupInfo.connectivityInfo.publicAccess.type must be DISABLED, "
        "not SERVICE_PROVIDED_EIPS."
    ]


def test_msk_not_public__unknown_fails():
    props = edit(f.msk_cluster(), {"brokerNodeGroupInfo.connectivityInfo.publicAccess.type": UNKNOWN})
    assert check("msk-not-public", f.T_MSK, props) == [
        "MSK cluster publicAccess.type is unknown at preview; it must be DISABLED as a literal so the policy can "
        "prove it."
    ]


# --- vpc-private-endpoints-present -------------------------------------------------------------


def test_vpc_private_endpoints_present__compliant_stack_passes():
    assert check_stack("vpc-private-endpoints-present", f.compliant_stack().resources) == []


def test_vpc_private_endpoints_present__missing_interface_endpoint_fails():
    resources = f.compliant_stack().without(f"cell-{SECONDARY}-ecr-dkr-endpoint")
    assert check_stack("vpc-private-endpoints-present", resources) == [
        (
            f"VPC cell-{SECONDARY}-vpc must have an Interface endpoint for com.amazonaws.{SECONDARY}.ecr.dkr.",
            urn(f.T_VPC, f"cell-{SECONDARY}-vpc"),
        )
    ]


def test_vpc_private_endpoints_present__missing_s3_gateway_fails():
    resources = f.compliant_stack().without(f"{CELL}-s3-endpoint")
    assert messages(check_stack("vpc-private-endpoints-present", resources)) == [
        f"VPC {CELL}-vpc must have a Gateway endpoint for com.amazonaws.{PRIMARY}.s3."
    ]


def test_vpc_private_endpoints_present__endpoint_of_other_region_does_not_count():
    stack = f.compliant_stack()
    name = f"{CELL}-kms-endpoint"
    resources = stack.replace(name, edit(stack.props(name), {"serviceName": f"com.amazonaws.{SECONDARY}.kms"}))
    assert messages(check_stack("vpc-private-endpoints-present", resources)) == [
        f"VPC {CELL}-vpc must have an Interface endpoint for com.amazonaws.{PRIMARY}.kms."
    ]


def test_vpc_private_endpoints_present__private_dns_off_fails():
    stack = f.compliant_stack()
    name = f"{CELL}-sts-endpoint"
    resources = stack.replace(name, edit(stack.props(name), {"privateDnsEnabled": False}))
    assert check_stack("vpc-private-endpoints-present", resources) == [
        (
            f"VPC endpoint {name} for com.amazonaws.{PRIMARY}.sts must set privateDnsEnabled to true.",
            urn(f.T_ENDPOINT, name),
        )
    ]


def test_vpc_private_endpoints_present__unknown_vpc_id_resolved_through_dependencies():
    stack = f.compliant_stack()
    name = f"{CELL}-logs-endpoint"
    resources = stack.replace(name, edit(stack.props(name), {"vpcId": UNKNOWN}))
    assert check_stack("vpc-private-endpoints-present", resources) == []
