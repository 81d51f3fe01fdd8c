"""Segmentation and exposure policies."""

from __future__ import annotations

import json
from pathlib import Path

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
T_CODEBUILD = "aws:codebuild/project:Project"
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
    # Routes the program computed from another resource's output (the engine records the dependency).
    stack = f.compliant_stack()
    table = f"{CELL}-data-rt"
    stack.replace(table, edit(stack.props(table), {"routes": UNKNOWN_ARRAY}))
    resources = depends(stack.named(table), "routes", stack.named(f"{CELL}-vpc")) and stack.resources
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


# --- security-group-no-public-egress ------------------------------------------------------------

EGRESS_POLICY = "security-group-no-public-egress"


def _egress_stack(*extra):
    """The compliant stack plus the shipped egress shape: app tcp 443 to anywhere (NAT), app to db by group."""
    stack = f.compliant_stack()
    rules = [
        ("app-https-out", "app", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}),
        ("app-to-db", "app", {"referencedSecurityGroupId": "sg-dbuse1", "ipProtocol": "tcp", "fromPort": 5432}),
        *extra,
    ]
    for label, role, props in rules:
        stack.add(
            f.T_EGRESS,
            label,
            {"region": PRIMARY, "securityGroupId": f"sg-{role}use1", "description": label, **props},
            securityGroupId=stack.named(f"{CELL}-{role}-sg"),
        )
    return stack


def _egress_violation(role, destination, traffic, owner):
    return (
        f"Security group {CELL}-{role}-sg must not allow egress to {destination} ({traffic}); "
        "only the app group may send tcp 443 to the internet.",
        owner,
    )


def test_security_group_no_public_egress__shipped_shape_passes():
    assert check_stack(EGRESS_POLICY, _egress_stack().resources) == []


@pytest.mark.parametrize("role", ["db", "kafka", "lb", "endpoints"])
def test_security_group_no_public_egress__other_groups_https_to_internet_fails(role):
    # Data groups get no public egress at all; lb and endpoints groups answer, they do not call out.
    stack = _egress_stack(("out", role, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}))
    assert check_stack(EGRESS_POLICY, stack.resources) == [
        _egress_violation(role, "0.0.0.0/0", "tcp 443-443", urn(f.T_EGRESS, "out"))
    ]


@pytest.mark.parametrize(
    ("props", "destination", "traffic"),
    [
        ({"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"}, "0.0.0.0/0", "all traffic"),
        ({"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 80, "toPort": 80}, "::/0", "tcp 80-80"),
        ({"cidrIpv4": "8.0.0.0/7", "ipProtocol": "tcp", "fromPort": 0, "toPort": 65535}, "8.0.0.0/7", "tcp 0-65535"),
    ],
)
def test_security_group_no_public_egress__app_group_beyond_https_fails(props, destination, traffic):
    stack = _egress_stack(("out", "app", props))
    assert check_stack(EGRESS_POLICY, stack.resources) == [
        _egress_violation("app", destination, traffic, urn(f.T_EGRESS, "out"))
    ]


def test_security_group_no_public_egress__inline_rule_fails():
    stack = _egress_stack()
    group = f"{CELL}-kafka-sg"
    props = edit(
        stack.props(group), {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]}
    )
    assert check_stack(EGRESS_POLICY, stack.replace(group, props)) == [
        _egress_violation("kafka", "0.0.0.0/0", "all traffic", urn(f.T_SG, group))
    ]


def test_security_group_no_public_egress__legacy_rule_fails_and_ingress_rule_is_ignored():
    stack = _egress_stack()
    for kind in ("egress", "ingress"):
        stack.add(
            f.T_SG_RULE,
            f"db-{kind}",
            {
                "region": PRIMARY,
                "type": kind,
                "securityGroupId": "sg-dbuse1",
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        )
    assert check_stack(EGRESS_POLICY, stack.resources) == [
        _egress_violation("db", "0.0.0.0/0", "tcp 443-443", urn(f.T_SG_RULE, "db-egress"))
    ]


def test_security_group_no_public_egress__rule_type_unknown_at_preview_counts_for_both_directions():
    stack = _egress_stack()
    stack.add(
        f.T_SG_RULE,
        "db-any",
        {
            "region": PRIMARY,
            "type": UNKNOWN,
            "securityGroupId": "sg-dbuse1",
            "protocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrBlocks": ["0.0.0.0/0"],
        },
    )
    assert check_stack(EGRESS_POLICY, stack.resources) == [
        _egress_violation("db", "0.0.0.0/0", "tcp 22-22", urn(f.T_SG_RULE, "db-any"))
    ]
    assert messages(check_stack("security-group-no-public-ingress", stack.resources)) == [
        f"Security group {CELL}-db-sg must not allow ingress from 0.0.0.0/0 (tcp 22-22); "
        "only the lb group may accept tcp 443 from the internet."
    ]


def test_security_group_no_public_egress__prefix_list_outside_the_stack_fails():
    stack = _egress_stack(
        ("out", "db", {"prefixListId": "pl-0123456789abcdef0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443})
    )
    assert messages(check_stack(EGRESS_POLICY, stack.resources)) == [
        f"Security group {CELL}-db-sg must not allow egress to pl-0123456789abcdef0 (a prefix list outside this "
        "stack) (tcp 443-443); only the app group may send tcp 443 to the internet."
    ]


def test_security_group_no_public_egress__private_destination_passes():
    stack = _egress_stack(("out", "db", {"cidrIpv4": "10.10.0.0/16", "ipProtocol": "-1"}))
    assert check_stack(EGRESS_POLICY, stack.resources) == []


def test_security_group_no_public_egress__unknown_cidr_fails():
    stack = _egress_stack(("out", "db", {"cidrIpv4": UNKNOWN, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}))
    assert messages(check_stack(EGRESS_POLICY, stack.resources)) == [
        "Security group rule out cidr is unknown at preview; it must be a CIDR block as a literal so the policy "
        "can prove it."
    ]


def test_security_group_no_public_egress__unknown_port_on_public_rule_fails():
    stack = _egress_stack(("out", "app", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "toPort": UNKNOWN_NUMBER}))
    assert messages(check_stack(EGRESS_POLICY, stack.resources)) == [
        "Security group rule out port range is unknown at preview; it must be tcp 443 as a literal so the policy "
        "can prove it."
    ]


def test_security_group_no_public_egress__unresolvable_public_rule_fails():
    stack = _egress_stack()
    stack.add(
        f.T_EGRESS,
        "orphan",
        {"region": PRIMARY, "securityGroupId": UNKNOWN, "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443},
    )
    assert check_stack(EGRESS_POLICY, stack.resources) == [
        (
            "Security group rule orphan securityGroupId must resolve to a security group of this stack; "
            "it allows egress to 0.0.0.0/0.",
            urn(f.T_EGRESS, "orphan"),
        )
    ]


# --- data-store-security-group-isolated ---------------------------------------------------------

ISOLATED = "data-store-security-group-isolated"
AURORA = "aurora-us-east-1-cluster"
MSK = "msk-us-east-1-cluster"


def test_data_store_security_group_isolated__compliant_stack_passes():
    assert check_stack(ISOLATED, f.compliant_stack().resources) == []


@pytest.mark.parametrize("role", ["app", "lb", "endpoints", "kafka"])
def test_data_store_security_group_isolated__aurora_in_other_group_fails(role):
    stack = f.compliant_stack()
    resources = stack.replace(AURORA, edit(stack.props(AURORA), {"vpcSecurityGroupIds": [f"sg-{role}use1"]}))
    assert check_stack(ISOLATED, resources) == [
        (
            f"Aurora cluster {AURORA} must be attached only to security groups of role db; "
            f"{CELL}-{role}-sg has role {role}.",
            urn(f.T_CLUSTER, AURORA),
        )
    ]


def test_data_store_security_group_isolated__msk_with_an_extra_lb_group_fails():
    stack = f.compliant_stack()
    props = edit(stack.props(MSK), {"brokerNodeGroupInfo.securityGroups": ["sg-kafkause1", "sg-lbuse1"]})
    assert check_stack(ISOLATED, stack.replace(MSK, props)) == [
        (
            f"MSK cluster {MSK} must be attached only to security groups of role kafka; {CELL}-lb-sg has role lb.",
            urn(f.T_MSK, MSK),
        )
    ]


def test_data_store_security_group_isolated__unknown_ids_resolve_through_dependencies():
    # Preview: the ids are unknown, the engine's property dependencies name the groups.
    stack = f.compliant_stack()
    props = edit(stack.props(MSK), {"brokerNodeGroupInfo.securityGroups": [UNKNOWN]})
    stack.replace(MSK, props)
    depends(stack.named(MSK), "brokerNodeGroupInfo", stack.named(f"{CELL}-app-sg"))
    assert messages(check_stack(ISOLATED, stack.resources)) == [
        f"MSK cluster {MSK} must be attached only to security groups of role kafka; {CELL}-app-sg has role app."
    ]


def test_data_store_security_group_isolated__unknown_id_resolved_to_own_group_passes():
    stack = f.compliant_stack()
    stack.replace(AURORA, edit(stack.props(AURORA), {"vpcSecurityGroupIds": [UNKNOWN]}))
    depends(stack.named(AURORA), "vpcSecurityGroupIds", stack.named(f"{CELL}-db-sg"))
    assert check_stack(ISOLATED, stack.resources) == []


def test_data_store_security_group_isolated__unresolvable_unknown_id_fails():
    stack = f.compliant_stack()
    resources = stack.replace(AURORA, edit(stack.props(AURORA), {"vpcSecurityGroupIds": UNKNOWN_ARRAY}))
    assert messages(check_stack(ISOLATED, resources)) == [
        f"Aurora cluster {AURORA} vpcSecurityGroupIds is unknown at preview; it must be security groups of role db "
        "of this stack as a literal so the policy can prove it."
    ]


def test_data_store_security_group_isolated__group_outside_the_stack_fails():
    stack = f.compliant_stack()
    resources = stack.replace(AURORA, edit(stack.props(AURORA), {"vpcSecurityGroupIds": ["sg-dbuse1", "sg-shared"]}))
    assert messages(check_stack(ISOLATED, resources)) == [
        f"Aurora cluster {AURORA} vpcSecurityGroupIds must name security groups of this stack; sg-shared is not one."
    ]


# --- data-route-table-no-default-route: association and internet gateway ----------------------


def _associate(stack, subnet, table, name="rta"):
    stack.add(
        f.T_RTA,
        name,
        {"region": PRIMARY, "subnetId": UNKNOWN, "routeTableId": UNKNOWN},
        subnetId=stack.named(subnet),
        routeTableId=stack.named(table),
    )


def test_data_route_table_no_default_route__data_subnet_on_app_table_fails():
    # The app table's own tag says app; the data subnet associated with it makes it data-tier.
    stack = f.compliant_stack()
    _associate(stack, f"{CELL}-data-a", f"{CELL}-app-rt-a")
    assert check_stack("data-route-table-no-default-route", stack.resources) == [
        (
            f"Route table {CELL}-app-rt-a (associated with data-tier subnet {CELL}-data-a) must not route 0.0.0.0/0 "
            f"(route {CELL}-app-default-a).",
            urn(f.T_ROUTE, f"{CELL}-app-default-a"),
        )
    ]


def test_data_route_table_no_default_route__data_subnet_on_its_own_table_passes():
    stack = f.compliant_stack()
    _associate(stack, f"{CELL}-data-a", f"{CELL}-data-rt")
    _associate(stack, f"{CELL}-app-a", f"{CELL}-app-rt-a", name="rta-app")
    assert check_stack("data-route-table-no-default-route", stack.resources) == []


def test_data_route_table_no_default_route__internet_gateway_route_to_private_range_fails():
    stack = f.compliant_stack()
    igw = stack.add(f.T_IGW, "igw", {"region": PRIMARY, "vpcId": "vpc-use1"})
    stack.add(
        f.T_ROUTE,
        "data-igw",
        {"region": PRIMARY, "routeTableId": UNKNOWN, "destinationCidrBlock": "10.99.0.0/16", "gatewayId": UNKNOWN},
        routeTableId=stack.named(f"{CELL}-data-rt"),
        gatewayId=igw,
    )
    assert check_stack("data-route-table-no-default-route", stack.resources) == [
        (
            f"Data-tier route table {CELL}-data-rt must not route through internet gateway igw (route data-igw).",
            urn(f.T_ROUTE, "data-igw"),
        )
    ]


def test_data_route_table_no_default_route__inline_igw_id_fails():
    stack = f.compliant_stack()
    table = f"{CELL}-data-rt"
    resources = stack.replace(
        table, edit(stack.props(table), {"routes": [{"cidrBlock": "10.99.0.0/16", "gatewayId": "igw-0abc"}]})
    )
    assert check_stack("data-route-table-no-default-route", resources) == [
        (
            f"Data-tier route table {table} must not route through internet gateway igw-0abc.",
            urn(f.T_ROUTE_TABLE, table),
        )
    ]


def test_data_route_table_no_default_route__unresolvable_table_of_data_subnet_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_RTA,
        "rta-lost",
        {"region": PRIMARY, "subnetId": UNKNOWN, "routeTableId": "rtb-elsewhere"},
        subnetId=stack.named(f"{CELL}-data-b"),
    )
    assert check_stack("data-route-table-no-default-route", stack.resources) == [
        (
            f"Route table association rta-lost of data-tier subnet {CELL}-data-b routeTableId must resolve to a "
            "route table of this stack.",
            urn(f.T_RTA, "rta-lost"),
        )
    ]


# --- private-route-table-default-via-nat ------------------------------------------------------

NAT_POLICY = "private-route-table-default-via-nat"


def test_private_route_table_default_via_nat__compliant_stack_passes():
    assert check_stack(NAT_POLICY, f.compliant_stack().resources) == []


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ({"gatewayId": "igw-use1"}, "gatewayId igw-use1"),
        ({"transitGatewayId": "tgw-1"}, "transitGatewayId tgw-1"),
        ({"gatewayId": UNKNOWN}, "gatewayId (unknown at preview)"),
    ],
)
def test_private_route_table_default_via_nat__app_default_route_elsewhere_fails(target, shown):
    stack = f.compliant_stack()
    route = f"{CELL}-app-default-a"
    props = edit(stack.props(route), {"natGatewayId": DELETE, **target})
    assert check_stack(NAT_POLICY, stack.replace(route, props)) == [
        (
            f"Route table {CELL}-app-rt-a (app tier) must send 0.0.0.0/0 only through a NAT gateway; "
            f"route {route} uses {shown}.",
            urn(f.T_ROUTE, route),
        )
    ]


def test_private_route_table_default_via_nat__app_subnet_on_public_table_fails():
    stack = f.compliant_stack()
    public = stack.add(
        f.T_ROUTE_TABLE,
        "public-rt",
        {"region": PRIMARY, "id": "rtb-public", "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-use1"}]}
        | {"tags": f.cell_tags(PRIMARY, tier="public")},
    )
    assert check_stack(NAT_POLICY, stack.resources) == []
    _associate(stack, f"{CELL}-app-b", public.name)
    assert check_stack(NAT_POLICY, stack.resources) == [
        (
            "Route table public-rt (app tier) must send 0.0.0.0/0 only through a NAT gateway; "
            "route public-rt routes[0] uses gatewayId igw-use1.",
            urn(f.T_ROUTE_TABLE, "public-rt"),
        )
    ]


def test_private_route_table_default_via_nat__unknown_destination_fails():
    stack = f.compliant_stack()
    route = f"{CELL}-app-default-a"
    resources = stack.replace(route, edit(stack.props(route), {"destinationCidrBlock": UNKNOWN}))
    assert messages(check_stack(NAT_POLICY, resources)) == [
        f"Route table {CELL}-app-rt-a (app tier) route {route} destination is unknown at preview; it must be a "
        "CIDR as a literal so the policy can prove it."
    ]


# --- vpc-peering-routes-private ---------------------------------------------------------------

PEERING_POLICY = "vpc-peering-routes-private"


def _peering_route(stack, destination, name="to-peer"):
    key = "destinationIpv6CidrBlock" if ":" in destination else "destinationCidrBlock"
    stack.add(
        f.T_ROUTE,
        name,
        {"region": PRIMARY, "routeTableId": "rtb-appuse1a", key: destination, "vpcPeeringConnectionId": "pcx-1"},
        routeTableId=stack.named(f"{CELL}-app-rt-a"),
    )
    return stack


def test_vpc_peering_routes_private__peer_subnet_route_passes():
    assert check_stack(PEERING_POLICY, _peering_route(f.compliant_stack(), "10.20.1.0/24").resources) == []


@pytest.mark.parametrize("destination", ["0.0.0.0/0", "::/0", "8.0.0.0/7", "128.0.0.0/1"])
def test_vpc_peering_routes_private__public_destination_fails(destination):
    stack = _peering_route(f.compliant_stack(), destination)
    assert check_stack(PEERING_POLICY, stack.resources) == [
        (
            f"Route to-peer through VPC peering must not route {destination}; only private ranges.",
            urn(f.T_ROUTE, "to-peer"),
        )
    ]


def test_vpc_peering_routes_private__inline_route_fails():
    stack = f.compliant_stack()
    table = f"{CELL}-data-rt"
    props = edit(stack.props(table), {"routes": [{"cidrBlock": "0.0.0.0/0", "vpcPeeringConnectionId": UNKNOWN}]})
    assert messages(check_stack(PEERING_POLICY, stack.replace(table, props))) == [
        f"Route {table} routes[0] through VPC peering must not route 0.0.0.0/0; only private ranges."
    ]


def test_vpc_peering_routes_private__unknown_destination_fails():
    stack = _peering_route(f.compliant_stack(), UNKNOWN)
    assert messages(check_stack(PEERING_POLICY, stack.resources)) == [
        "Peering route to-peer destination is unknown at preview; it must be a private CIDR as a literal so the "
        "policy can prove it."
    ]


# --- network-acl-no-public-all-ports / network-acl-attached -----------------------------------

ALL_PORTS = "network-acl-no-public-all-ports"


def _acl_stack(ingress=(), egress=(), **props):
    """The compliant stack plus one ACL with `ingress` and `egress`, attached to a public subnet."""
    stack = f.compliant_stack()
    stack.add(
        f.T_NACL,
        "public-nacl",
        {
            "region": PRIMARY,
            "id": "acl-public",
            "vpcId": "vpc-use1",
            "subnetIds": ["subnet-publicuse1a"],
            "ingress": list(ingress),
            "egress": list(egress),
            "tags": f.cell_tags(PRIMARY, tier="public"),
        }
        | props,
    )
    return stack


def test_network_acl_no_public_all_ports__shipped_shape_passes():
    # components.network public tier: 443 and ephemeral from anywhere, everything only within the VPC.
    ingress = [_entry(90, ports=(3389, 3389), action="deny"), _entry(100, ports=(443, 443)), _entry(110)]
    egress = [_entry(100, ports=(443, 443)), _entry(110)]
    within_vpc = _entry(120, "10.10.0.0/16", (0, 0), "-1")
    stack = _acl_stack([*ingress, within_vpc], [*egress, within_vpc])
    assert check_stack(ALL_PORTS, stack.resources) == []


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        (_entry(100, ports=(0, 0), protocol="-1"), "0.0.0.0/0 (all traffic)"),
        (_entry(100, "::/0", ports=(0, 65535)), "::/0 (tcp 0-65535)"),
        (_entry(100, "8.0.0.0/7", ports=(0, 65535), protocol="udp"), "8.0.0.0/7 (udp 0-65535)"),
    ],
)
def test_network_acl_no_public_all_ports__ingress_fails(entry, shown):
    # A lower-numbered deny does not excuse an all-ports allow.
    stack = _acl_stack([_entry(90, ports=(22, 22), action="deny"), entry])
    assert check_stack(ALL_PORTS, stack.resources) == [
        (
            f"Network ACL public-nacl ingress rule 100 must not allow all ports from {shown}.",
            urn(f.T_NACL, "public-nacl"),
        )
    ]


def test_network_acl_no_public_all_ports__egress_fails():
    stack = _acl_stack(egress=[_entry(100, ports=(0, 0), protocol="-1")])
    assert check_stack(ALL_PORTS, stack.resources) == [
        (
            "Network ACL public-nacl egress rule 100 must not allow all ports to 0.0.0.0/0 (all traffic).",
            urn(f.T_NACL, "public-nacl"),
        )
    ]


def test_network_acl_no_public_all_ports__standalone_rule_fails():
    stack = _acl_stack()
    stack.add(
        T_NACL_RULE,
        "all-out",
        {"region": PRIMARY, "networkAclId": "acl-public", "ruleNumber": 100, "egress": True, "ruleAction": "allow"}
        | {"protocol": "-1", "cidrBlock": "0.0.0.0/0", "fromPort": 0, "toPort": 0},
    )
    assert check_stack(ALL_PORTS, stack.resources) == [
        (
            "Network ACL public-nacl egress rule 100 must not allow all ports to 0.0.0.0/0 (all traffic).",
            urn(T_NACL_RULE, "all-out"),
        )
    ]


def test_network_acl_no_public_all_ports__unknown_cidr_fails():
    stack = _acl_stack([edit(_entry(100, ports=(0, 0), protocol="-1"), {"cidrBlock": UNKNOWN})])
    assert messages(check_stack(ALL_PORTS, stack.resources)) == [
        "Network ACL rule public-nacl ingress[0] cidrBlock is unknown at preview; it must be a CIDR block as a "
        "literal so the policy can prove it."
    ]


def test_network_acl_no_public_all_ports__unknown_protocol_on_public_allow_fails():
    stack = _acl_stack(egress=[_entry(100, protocol=UNKNOWN)])
    assert messages(check_stack(ALL_PORTS, stack.resources)) == [
        "Network ACL rule public-nacl egress[0] action, protocol and ports is unknown at preview; it must be set as "
        "a literal so the policy can prove it."
    ]


def test_network_acl_attached__acl_with_subnets_passes():
    assert check_stack("network-acl-attached", _acl_stack().resources) == []


@pytest.mark.parametrize("subnets", [[], None])
def test_network_acl_attached__acl_without_subnets_fails(subnets):
    stack = _acl_stack(subnetIds=subnets)
    assert check_stack("network-acl-attached", stack.resources) == [
        (
            "Network ACL public-nacl must be associated with at least one subnet (subnetIds or a "
            "NetworkAclAssociation).",
            urn(f.T_NACL, "public-nacl"),
        )
    ]


def test_network_acl_attached__association_resource_or_unknown_subnets_pass():
    stack = _acl_stack(subnetIds=[])
    stack.add(
        f.T_NACL_ASSOCIATION,
        "assoc",
        {"region": PRIMARY, "networkAclId": UNKNOWN, "subnetId": "subnet-publicuse1a"},
        networkAclId=stack.named("public-nacl"),
    )
    assert check_stack("network-acl-attached", stack.resources) == []
    assert check_stack("network-acl-attached", _acl_stack(subnetIds=UNKNOWN_ARRAY).resources) == []


def test_network_acl_attached__default_acl_exempt():
    stack = f.compliant_stack()
    stack.add(DEFAULT_NACL, "default-nacl", {"region": PRIMARY, "ingress": [], "egress": []})
    assert check_stack("network-acl-attached", stack.resources) == []


# --- ec2-no-public-ip / eks-node-no-ssh-key ----------------------------------------------------


def test_ec2_no_public_ip__shipped_launch_template_passes():
    assert check("ec2-no-public-ip", f.T_LAUNCH_TEMPLATE, f.launch_template()) == []
    private = edit(f.launch_template(), {"networkInterfaces": [{"associatePublicIpAddress": "false"}]})
    assert check("ec2-no-public-ip", f.T_LAUNCH_TEMPLATE, private) == []


@pytest.mark.parametrize("value", ["true", True])
def test_ec2_no_public_ip__launch_template_public_ip_fails(value):
    props = edit(f.launch_template(), {"networkInterfaces": [{"deviceIndex": 0}, {"associatePublicIpAddress": value}]})
    assert check("ec2-no-public-ip", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template networkInterfaces[1].associatePublicIpAddress must be false."
    ]


def test_ec2_no_public_ip__launch_template_unknown_fails():
    props = edit(f.launch_template(), {"networkInterfaces": [{"associatePublicIpAddress": UNKNOWN}]})
    assert check("ec2-no-public-ip", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template networkInterfaces[0].associatePublicIpAddress is unknown at preview; it must be false as a "
        "literal so the policy can prove it."
    ]


def test_ec2_no_public_ip__instance():
    assert check("ec2-no-public-ip", f.T_EC2_INSTANCE, {"associatePublicIpAddress": False}) == []
    assert check("ec2-no-public-ip", f.T_EC2_INSTANCE, {"associatePublicIpAddress": True}) == [
        "EC2 instance associatePublicIpAddress must be false."
    ]
    assert check("ec2-no-public-ip", f.T_EC2_INSTANCE, {"associatePublicIpAddress": UNKNOWN_BOOL}) == [
        "EC2 instance associatePublicIpAddress is unknown at preview; it must be false as a literal so the policy "
        "can prove it."
    ]


def test_eks_node_no_ssh_key__node_group_without_remote_access_passes():
    assert check("eks-node-no-ssh-key", f.T_NODE_GROUP, f.node_group()) == []
    assert check("eks-node-no-ssh-key", f.T_LAUNCH_TEMPLATE, f.launch_template()) == []


def test_eks_node_no_ssh_key__key_without_source_groups_fails_twice():
    props = edit(f.node_group(), {"remoteAccess": {"ec2SshKey": "ops"}})
    assert check("eks-node-no-ssh-key", f.T_NODE_GROUP, props) == [
        "EKS node group remoteAccess must not set ec2SshKey without sourceSecurityGroupIds (EKS then opens port 22 "
        "to 0.0.0.0/0).",
        "EKS node group remoteAccess.ec2SshKey must be unset (use SSM Session Manager), not ops.",
    ]


def test_eks_node_no_ssh_key__key_with_source_groups_still_fails():
    props = edit(f.node_group(), {"remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-bastion"]}})
    assert check("eks-node-no-ssh-key", f.T_NODE_GROUP, props) == [
        "EKS node group remoteAccess.ec2SshKey must be unset (use SSM Session Manager), not ops."
    ]


def test_eks_node_no_ssh_key__unknown_key_fails():
    props = edit(f.node_group(), {"remoteAccess": {"ec2SshKey": UNKNOWN}})
    assert check("eks-node-no-ssh-key", f.T_NODE_GROUP, props) == [
        "EKS node group remoteAccess.ec2SshKey is unknown at preview; it must be unset as a literal so the policy "
        "can prove it."
    ]


def test_eks_node_no_ssh_key__launch_template_key_name_fails():
    props = edit(f.launch_template(), {"keyName": "ops"})
    assert check("eks-node-no-ssh-key", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template keyName must be unset (use SSM Session Manager), not ops."
    ]


# --- security-group-described ------------------------------------------------------------------

DESCRIBED = "security-group-described"


def _group(**changes):
    props = {"region": PRIMARY, "description": "finstack app tier", "tags": f.cell_tags(PRIMARY, role="app")}
    return edit(props, changes)


def test_security_group_described__described_group_and_rules_pass():
    inline = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"], "description": "api"}
    assert check(DESCRIBED, f.T_SG, _group(ingress=[inline], egress=UNKNOWN_ARRAY)) == []
    assert check(DESCRIBED, f.T_EGRESS, {"description": "to Aurora", "ipProtocol": "tcp"}) == []


@pytest.mark.parametrize(
    ("value", "shown"), [(DELETE, "unset"), ("Managed by Pulumi", "Managed by Pulumi"), (" ", " ")]
)
def test_security_group_described__group_without_description_fails(value, shown):
    assert check(DESCRIBED, f.T_SG, _group(description=value)) == [
        f"Security group description must say what it allows, not {shown}."
    ]


@pytest.mark.parametrize("type_", [f.T_INGRESS, f.T_EGRESS, f.T_SG_RULE])
def test_security_group_described__standalone_rule_without_description_fails(type_):
    assert check(DESCRIBED, type_, {"ipProtocol": "tcp", "fromPort": 443}) == [
        "Security group rule description must say what it allows, not unset."
    ]


def test_security_group_described__inline_rule_without_description_fails():
    inline = {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.0.0/8"]}
    assert check(DESCRIBED, f.T_SG, _group(egress=[inline])) == [
        "Security group egress[0] description must say what it allows, not unset."
    ]


def test_security_group_described__unknown_fails():
    assert check(DESCRIBED, f.T_SG, _group(description=UNKNOWN)) == [
        "Security group description is unknown at preview; it must be a description as a literal so the policy can "
        "prove it."
    ]


# --- security-group-rule-management-exclusive --------------------------------------------------

EXCLUSIVE = "security-group-rule-management-exclusive"


def test_security_group_rule_management_exclusive__compliant_stack_passes():
    assert check_stack(EXCLUSIVE, f.compliant_stack().resources) == []


def test_security_group_rule_management_exclusive__inline_and_standalone_fails():
    stack = f.compliant_stack()
    group = f"{CELL}-lb-sg"
    inline = {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["10.0.0.0/8"], "description": "x"}
    resources = stack.replace(group, edit(stack.props(group), {"ingress": [inline]}))
    assert check_stack(EXCLUSIVE, resources) == [
        (
            f"Security group {group} must not mix inline ingress rules ({group} ingress[0]) with standalone rule "
            f"resources ({CELL}-lb-https).",
            urn(f.T_SG, group),
        )
    ]


def test_security_group_rule_management_exclusive__provider_echo_of_standalone_rules_passes():
    # After `up` the provider reports a group's standalone rules in its ingress output too.
    stack = f.compliant_stack()
    group = f"{CELL}-lb-sg"
    echo = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "x"}
    assert check_stack(EXCLUSIVE, stack.replace(group, edit(stack.props(group), {"ingress": [echo]}))) == []
    db = f"{CELL}-db-sg"
    echo = {"protocol": "6", "fromPort": 5432, "toPort": 5432, "securityGroups": ["sg-appuse1"], "description": "x"}
    assert check_stack(EXCLUSIVE, stack.replace(db, edit(stack.props(db), {"ingress": [echo]}))) == []


def test_security_group_rule_management_exclusive__inline_only_group_passes():
    stack = f.compliant_stack()
    group = stack.add(
        f.T_SG,
        "inline-only",
        {"region": PRIMARY, "id": "sg-inline", "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443}]},
    )
    assert group and check_stack(EXCLUSIVE, stack.resources) == []


# --- security-group-attached --------------------------------------------------------------------

ATTACHED = "security-group-attached"


def _spare_group(stack, name="spare-sg"):
    return stack.add(
        f.T_SG,
        name,
        {"region": PRIMARY, "id": "sg-spare", "description": "spare", "tags": f.cell_tags(PRIMARY, role="app")},
    )


def test_security_group_attached__compliant_stack_passes():
    assert check_stack(ATTACHED, f.compliant_stack().resources) == []


def test_security_group_attached__unused_group_fails():
    stack = f.compliant_stack()
    _spare_group(stack)
    stack.add(
        f.T_INGRESS,
        "spare-self",
        {"region": PRIMARY, "securityGroupId": "sg-spare", "referencedSecurityGroupId": "sg-spare", "ipProtocol": "-1"},
    )
    assert check_stack(ATTACHED, stack.resources) == [
        (
            "Security group spare-sg must be attached to a resource or referenced by another group's rule; nothing "
            "in this stack uses it.",
            urn(f.T_SG, "spare-sg"),
        )
    ]


def test_security_group_attached__endpoints_group_removed_from_endpoints_fails():
    stack = f.compliant_stack()
    for r in stack.resources:
        if r.resource_type == f.T_ENDPOINT and r.name.startswith(CELL):
            stack.replace(r.name, edit(stack.props(r.name), {"securityGroupIds": DELETE}))
            r.property_dependencies.pop("securityGroupIds", None)
    assert messages(check_stack(ATTACHED, stack.resources)) == [
        f"Security group {CELL}-endpoints-sg must be attached to a resource or referenced by another group's rule; "
        "nothing in this stack uses it."
    ]


def test_security_group_attached__used_by_dependency_or_another_groups_rule_passes():
    stack = f.compliant_stack()
    spare = _spare_group(stack)
    stack.add(T_CODEBUILD, "runner", {"region": PRIMARY, "vpcConfig": {"securityGroupIds": [UNKNOWN]}}, vpcConfig=spare)
    assert check_stack(ATTACHED, stack.resources) == []
    stack = f.compliant_stack()
    _spare_group(stack)
    stack.add(
        f.T_EGRESS,
        "app-to-spare",
        {"region": PRIMARY, "securityGroupId": "sg-appuse1", "referencedSecurityGroupId": "sg-spare"},
    )
    assert check_stack(ATTACHED, stack.resources) == []


# --- rds-cluster-non-default-port ---------------------------------------------------------------

PORT = "rds-cluster-non-default-port"


def test_rds_cluster_non_default_port__other_port_passes():
    assert check(PORT, f.T_CLUSTER, f.aurora_cluster()) == []


@pytest.mark.parametrize(
    ("engine", "port", "default", "shown"),
    [
        ("aurora-postgresql", 5432, 5432, "5432"),
        ("aurora-postgresql", DELETE, 5432, "unset"),
        ("aurora-mysql", 3306.0, 3306, "3306"),
    ],
)
def test_rds_cluster_non_default_port__default_port_fails(engine, port, default, shown):
    props = edit(f.aurora_cluster(), {"engine": engine, "port": port})
    assert check(PORT, f.T_CLUSTER, props) == [
        f"Aurora cluster port must not be the {engine} default {default} (it is {shown})."
    ]


def test_rds_cluster_non_default_port__unknown_fails():
    props = edit(f.aurora_cluster(), {"port": UNKNOWN_NUMBER})
    assert check(PORT, f.T_CLUSTER, props) == [
        "Aurora cluster engine and port is unknown at preview; it must be set as a literal so the policy can prove it."
    ]


def test_rds_cluster_non_default_port__shipped_waiver_applies():
    props = edit(f.aurora_cluster(), {"port": 5432})
    config = json.loads((Path(__file__).parents[2] / "policy" / "config.prod.json").read_text())[PORT]
    assert check(PORT, f.T_CLUSTER, props, name=AURORA, config=config) == []
    assert check(PORT, f.T_CLUSTER, props, name="aurora-eu-west-1-cluster", config=config) != []


# --- inline rule lists the provider computes ------------------------------------------------------
# SecurityGroup ingress/egress, NetworkAcl ingress/egress and RouteTable routes are optional and
# computed: left unset (the components declare rules and routes as standalone resources), a real
# preview shows them unknown, without a property dependency.


def test_provider_computed_inline_lists__unknown_without_dependency_passes():
    stack = f.compliant_stack()
    for name in (f"{CELL}-db-sg", f"{CELL}-app-sg"):
        stack.replace(name, edit(stack.props(name), {"ingress": UNKNOWN_ARRAY, "egress": UNKNOWN_ARRAY}))
    stack.replace(f"{CELL}-data-rt", edit(stack.props(f"{CELL}-data-rt"), {"routes": UNKNOWN_ARRAY}))
    stack.add(
        f.T_NACL,
        "data-nacl",
        {"region": PRIMARY, "subnetIds": [UNKNOWN], "ingress": UNKNOWN_ARRAY, "egress": UNKNOWN_ARRAY}
        | {"tags": f.cell_tags(PRIMARY, tier="data")},
    )
    for name in (
        "security-group-no-public-ingress",
        EGRESS_POLICY,
        "data-security-group-app-ingress-only",
        "data-route-table-no-default-route",
        NAT_POLICY,
        PEERING_POLICY,
        NACL_POLICY,
        ALL_PORTS,
        EXCLUSIVE,
    ):
        assert check_stack(name, stack.resources) == [], name


def test_provider_computed_inline_lists__program_computed_security_group_list_fails():
    stack = f.compliant_stack()
    group = f"{CELL}-db-sg"
    stack.replace(group, edit(stack.props(group), {"egress": UNKNOWN_ARRAY}))
    depends(stack.named(group), "egress", stack.named(f"{CELL}-vpc"))
    assert check_stack(EGRESS_POLICY, stack.resources) == [
        (
            f"Security group rule {group} egress cidr is unknown at preview; it must be a CIDR block as a literal so "
            "the policy can prove it.",
            urn(f.T_SG, group),
        )
    ]
