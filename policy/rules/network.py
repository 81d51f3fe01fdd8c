"""Segmentation and exposure: nothing reaches the data tier except the app tier.

The rules lean on the components' tags: `finstack:tier` on subnets, route tables and NACLs and
`finstack:role` on security groups (network-segmentation-tags makes them mandatory, so an
untagged resource cannot slip past the tier rules). Standalone security group rules and routes
are tied to their group / route table through the stack: by id when known, else through the
engine's property dependencies (preview); a public rule that resolves to no group fails.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    ROLE_TAG,
    TIER_TAG,
    Compliance,
    Setting,
    StackView,
    as_list,
    cidr_is_any,
    cidr_is_public,
    get,
    is_private_network,
    is_true,
    is_unknown,
    parse_cidr,
    plain,
    resource_policy,
    settings,
    stack_policy,
    tag,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "network"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
NETWORK_ACLS = (NETWORK_ACL, DEFAULT_NETWORK_ACL)
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE_TYPES = (SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE)
NETWORK_ACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EGRESS_ONLY_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RDS_INSTANCE = "aws:rds/instance:Instance"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
MSK_CLUSTER = "aws:msk/cluster:Cluster"

TIERS = ("public", "app", "data", "endpoints")
ROLES = ("lb", "app", "db", "kafka", "endpoints")
DATA_ROLES = ("db", "kafka")
TIERED_TYPES = {SUBNET: "Subnet", ROUTE_TABLE: "Route table", NETWORK_ACL: "Network ACL"}

# The one internet-facing door: HTTPS to the load balancer group.
PUBLIC_PORT = 443
# Remote-access ports no network ACL may open to public addresses: SSH and RDP (Security Hub
# EC2.21, Checkov CKV_AWS_231/232) and FTP data/control (Checkov CKV_AWS_229/230).
NACL_ADMIN_PORTS = (20, 21, 22, 3389)

EXPOSURE = Compliance(pci=("1.3.1", "1.4.2"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",))
DATA_ISOLATION = Compliance(pci=("1.4.4", "1.3.1"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


# --- tags ----------------------------------------------------------------------------------


def _segmentation_tags(args: ResourceValidationArgs, report: Report) -> None:
    """Subnets, route tables and NACLs carry a tier; security groups carry a role."""
    if args.resource_type not in (*TIERED_TYPES, SECURITY_GROUP):
        return
    tags = plain(args.props).get("tags")
    allowed: tuple[str, ...]
    if args.resource_type == SECURITY_GROUP:
        subject, key, allowed = "Security group", ROLE_TAG, ROLES
    else:
        subject, key, allowed = TIERED_TYPES[args.resource_type], TIER_TAG, TIERS
    value = tags if is_unknown(tags) else get(tags, key)
    if is_unknown(value):
        report(unknown_message(f"{subject} tag {key}", f"one of {', '.join(allowed)}"))
    elif value not in allowed:
        report(f"{subject} must carry tag {key} with one of {', '.join(allowed)}, not {_shown(value)}.")


# --- security group rules ------------------------------------------------------------------


@dataclass
class SgRule:
    """One security group permission (ingress or egress), whichever resource form declared it.

    `cidrs`, `prefix_lists` and `sources` name the other side: the source of an ingress
    permission, the destination of an egress one.
    """

    owner: PolicyResource
    label: str
    groups: list[PolicyResource]
    cidrs: list[Any]
    protocol: Any
    from_port: Any
    to_port: Any
    prefix_lists: list[Any] = field(default_factory=list)
    prefix_list_sources: list[PolicyResource] = field(default_factory=list)
    source_declared: bool = False
    sources: list[PolicyResource] = field(default_factory=list)
    self_reference: bool = False
    description: Any = None


IngressRule = SgRule  # the name the ingress rules were written against


def _port(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _ids(props: dict[str, Any]) -> set[Any]:
    return {props.get("id"), props.get("arn")} - {None}


def _rule_type_matches(value: Any, direction: str) -> bool:
    """A SecurityGroupRule `type` of `direction`; one unknown at preview counts as both directions."""
    return value == direction or is_unknown(value)


def _provider_computed(resource: PolicyResource, prop: str, value: Any) -> bool:
    """An inline rule list the program left unset, that the provider reports unknown at preview.

    SecurityGroup `ingress`/`egress`, NetworkAcl `ingress`/`egress` and RouteTable `routes` are
    optional and computed (terraform-provider-aws: Optional + Computed, ConfigMode attr): left unset,
    the plan shows them unknown and the provider fills them in at `up` from what standalone rule and
    route resources added. A list the program built from other resources' outputs is unknown too,
    but then the engine records property dependencies for it; unknown without any is the provider's.
    """
    return is_unknown(value) and not (resource.property_dependencies or {}).get(prop)


def sg_rules(view: StackView, direction: str) -> list[SgRule]:
    """Every `direction` ("ingress"/"egress") permission of the stack: inline and standalone.

    Inline `ingress`/`egress` entries of SecurityGroup, aws:ec2 SecurityGroupRule of that `type`
    (a type unknown at preview counts for both directions, so it cannot slip past either), and
    aws:vpc SecurityGroupIngressRule / SecurityGroupEgressRule.
    """
    rules: list[SgRule] = []
    groups = view.of_type(SECURITY_GROUP)
    for group in groups:
        props = view.props(group)
        entries = props.get(direction)
        if _provider_computed(group, direction, entries):
            continue
        if is_unknown(entries):
            rules.append(SgRule(group, f"{group.name} {direction}", [group], [entries], None, None, None))
            continue
        for index, entry in enumerate(as_list(entries)):
            source_ids = as_list(get(entry, "securityGroups"))
            sources = [g for g in groups if view.props(g).get("id") in source_ids]
            if any(is_unknown(s) for s in source_ids):
                sources += [g for g in view.references(group, direction, (SECURITY_GROUP,)) if g is not group]
            list_ids = as_list(get(entry, "prefixListIds"))
            lists = [p for p in view.of_type(PREFIX_LIST) if _ids(view.props(p)) & set(list_ids)]
            if any(is_unknown(i) for i in list_ids):
                lists += view.references(group, direction, (PREFIX_LIST,))
            rules.append(
                SgRule(
                    owner=group,
                    label=f"{group.name} {direction}[{index}]",
                    groups=[group],
                    cidrs=as_list(get(entry, "cidrBlocks")) + as_list(get(entry, "ipv6CidrBlocks")),
                    protocol=get(entry, "protocol"),
                    from_port=_port(get(entry, "fromPort")),
                    to_port=_port(get(entry, "toPort")),
                    prefix_lists=list_ids,
                    prefix_list_sources=list(dict.fromkeys(lists)),
                    source_declared=bool(source_ids),
                    sources=list(dict.fromkeys(sources)),
                    self_reference=is_true(get(entry, "self")),
                    description=get(entry, "description"),
                )
            )
    for rule in view.of_type(SECURITY_GROUP_RULE):
        props = view.props(rule)
        if not _rule_type_matches(props.get("type"), direction):
            continue
        rules.append(
            SgRule(
                owner=rule,
                label=rule.name,
                groups=view.references(rule, "securityGroupId", (SECURITY_GROUP,)),
                cidrs=as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks")),
                protocol=props.get("protocol"),
                from_port=_port(props.get("fromPort")),
                to_port=_port(props.get("toPort")),
                prefix_lists=as_list(props.get("prefixListIds")),
                prefix_list_sources=view.references(rule, "prefixListIds", (PREFIX_LIST,)),
                source_declared=props.get("sourceSecurityGroupId") is not None,
                sources=view.references(rule, "sourceSecurityGroupId", (SECURITY_GROUP,)),
                self_reference=is_true(props.get("self")),
                description=props.get("description"),
            )
        )
    for rule in view.of_type(INGRESS_RULE if direction == "ingress" else EGRESS_RULE):
        props = view.props(rule)
        rules.append(
            SgRule(
                owner=rule,
                label=rule.name,
                groups=view.references(rule, "securityGroupId", (SECURITY_GROUP,)),
                cidrs=[c for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c is not None],
                protocol=props.get("ipProtocol"),
                from_port=_port(props.get("fromPort")),
                to_port=_port(props.get("toPort")),
                prefix_lists=as_list(props.get("prefixListId")),
                prefix_list_sources=view.references(rule, "prefixListId", (PREFIX_LIST,)),
                source_declared=props.get("referencedSecurityGroupId") is not None,
                sources=view.references(rule, "referencedSecurityGroupId", (SECURITY_GROUP,)),
                description=props.get("description"),
            )
        )
    return rules


def ingress_rules(view: StackView) -> list[SgRule]:
    """Every ingress permission of the stack (see `sg_rules`)."""
    return sg_rules(view, "ingress")


def _traffic(rule: IngressRule) -> str:
    if str(rule.protocol) in ("-1", "all"):
        return "all traffic"
    return f"{rule.protocol} {rule.from_port}-{rule.to_port}"


def _is_https_only(rule: IngressRule) -> bool:
    return str(rule.protocol) in ("tcp", "6") and rule.from_port == PUBLIC_PORT and rule.to_port == PUBLIC_PORT


def _prefix_list_entries(view: StackView, prefix_list: PolicyResource) -> list[Any]:
    """The CIDRs of a managed prefix list of this stack: inline entries and ManagedPrefixListEntry resources."""
    entries = view.props(prefix_list).get("entries")
    cidrs = [entries] if is_unknown(entries) else [get(e, "cidr") for e in as_list(entries)]
    for entry in view.of_type(PREFIX_LIST_ENTRY):
        if prefix_list in view.references(entry, "prefixListId", (PREFIX_LIST,)):
            cidrs.append(view.props(entry).get("cidr"))
    return cidrs


def _public_prefix_lists(view: StackView, rule: IngressRule) -> tuple[list[str], list[str]]:
    """(public sources, prefix lists with unknown entries) among a rule's managed prefix lists.

    A prefix list this stack does not declare (AWS managed, shared from another account) has
    entries the pack cannot see: it counts as public. One of this stack's is public when an
    entry is; an entry unknown at preview fails (`fail`, like a CIDR).
    """
    if not rule.prefix_lists:
        return [], []
    public: list[str] = []
    unknown: list[str] = []
    known_ids = [i for i in rule.prefix_lists if not is_unknown(i)]
    for list_id in known_ids:
        if not any(list_id in _ids(view.props(p)) for p in rule.prefix_list_sources):
            public.append(f"{list_id} (a prefix list outside this stack)")
    if len(known_ids) < len(rule.prefix_lists) and not rule.prefix_list_sources:
        public.append("a prefix list unknown at preview and outside this stack")
    for prefix_list in rule.prefix_list_sources:
        cidrs = _prefix_list_entries(view, prefix_list)
        if any(is_unknown(c) for c in cidrs):
            unknown.append(prefix_list.name)
        public += [f"{c} (prefix list {prefix_list.name})" for c in cidrs if cidr_is_public(c)]
    return public, unknown


def _public_peers(view: StackView, rule: SgRule, report: Report) -> list[str]:
    """The public CIDRs and prefix lists a rule reaches, once its ports are known; [] when none.

    Shared by the ingress and egress exposure rules. Reports an unknown CIDR, prefix list entry
    or (for a rule that reaches public addresses) port range, and then returns [].
    """
    if any(is_unknown(c) for c in rule.cidrs):
        report(unknown_message(f"Security group rule {rule.label} cidr", "a CIDR block"), rule.owner.urn)
        return []
    public_lists, unknown_lists = _public_prefix_lists(view, rule)
    for name in unknown_lists:
        report(
            unknown_message(f"Managed prefix list {name} entries (used by {rule.label})", "a list of CIDR blocks"),
            rule.owner.urn,
        )
    public = [c for c in rule.cidrs if cidr_is_public(c)] + public_lists
    if public and any(is_unknown(v) for v in (rule.protocol, rule.from_port, rule.to_port)):
        report(unknown_message(f"Security group rule {rule.label} port range", "tcp 443"), rule.owner.urn)
        return []
    return public


def _no_public_ingress(args: StackValidationArgs, report: Report) -> None:
    """No ingress from public addresses (outside PRIVATE_NETWORKS), except tcp 443 to the load balancer group.

    Public is any CIDR that reaches beyond RFC 1918, RFC 6598 and link-local space (IPv4) or
    unique-local and link-local space (IPv6), and any managed prefix list this stack does not
    declare. Unknowns: a CIDR or prefix list entry fails; the group resolves, else fails.
    """
    view = StackView(args.resources)
    for rule in ingress_rules(view):
        public = _public_peers(view, rule, report)
        if not public:
            continue
        if not rule.groups:
            report(
                f"Security group rule {rule.label} securityGroupId must resolve to a security group of this stack; "
                f"it allows ingress from {public[0]}.",
                rule.owner.urn,
            )
        for group in rule.groups:
            if tag(view.props(group), ROLE_TAG) == "lb" and _is_https_only(rule):
                continue
            report(
                f"Security group {group.name} must not allow ingress from {public[0]} ({_traffic(rule)}); "
                f"only the lb group may accept tcp {PUBLIC_PORT} from the internet.",
                rule.owner.urn,
            )


def _data_ingress_from_app_only(args: StackValidationArgs, report: Report) -> None:
    """Database and broker groups accept traffic only from the app group (or themselves)."""
    view = StackView(args.resources)
    for rule in ingress_rules(view):
        for group in rule.groups:
            role = tag(view.props(group), ROLE_TAG)
            if role not in DATA_ROLES:
                continue
            prefix = f"Security group {group.name} ({role}) must accept ingress only from the app security group"
            for cidr in rule.cidrs + rule.prefix_lists:
                shown = "a value unknown at preview" if is_unknown(cidr) else cidr
                report(f"{prefix}; {rule.label} allows {shown}.", rule.owner.urn)
            if rule.source_declared and not rule.sources:
                report(f"{prefix}; {rule.label} references a security group that is not in this stack.", rule.owner.urn)
            for source in rule.sources:
                source_role = tag(view.props(source), ROLE_TAG)
                if source is not group and source_role != "app":
                    report(f"{prefix}; {rule.label} allows {source.name} (role {_shown(source_role)}).", rule.owner.urn)


# Roles whose groups may send traffic to public addresses: the app tier, on tcp 443 only (through
# NAT to ECR, external payment networks and AWS APIs without an interface endpoint, and over
# peering to the other cells' app tiers; components/network.py SG_RULES). The lb group talks to
# the app group only, the endpoints group answers, and the database and broker groups get no
# public egress at all (they replicate over AWS's network, not ours).
PUBLIC_EGRESS_ROLES = ("app",)


def _no_public_egress(args: StackValidationArgs, report: Report) -> None:
    """No egress to public addresses (outside PRIVATE_NETWORKS), except tcp 443 from the app group.

    Same notion of public as security-group-no-public-ingress (CIDRs beyond the private ranges,
    prefix lists outside the stack). Unknowns: a CIDR or prefix list entry fails; the ports of a
    public rule fail; the group resolves, else fails.
    """
    view = StackView(args.resources)
    for rule in sg_rules(view, "egress"):
        public = _public_peers(view, rule, report)
        if not public:
            continue
        if not rule.groups:
            report(
                f"Security group rule {rule.label} securityGroupId must resolve to a security group of this stack; "
                f"it allows egress to {public[0]}.",
                rule.owner.urn,
            )
        for group in rule.groups:
            if tag(view.props(group), ROLE_TAG) in PUBLIC_EGRESS_ROLES and _is_https_only(rule):
                continue
            report(
                f"Security group {group.name} must not allow egress to {public[0]} ({_traffic(rule)}); "
                f"only the app group may send tcp {PUBLIC_PORT} to the internet.",
                rule.owner.urn,
            )


# Data stores and the security group role each may be attached to; the path holds the group ids.
DATA_STORES: dict[str, tuple[str, str, str]] = {
    AURORA_CLUSTER: ("Aurora cluster", "vpcSecurityGroupIds", "db"),
    RDS_INSTANCE: ("RDS instance", "vpcSecurityGroupIds", "db"),
    MSK_CLUSTER: ("MSK cluster", "brokerNodeGroupInfo.securityGroups", "kafka"),
}


@dataclass
class GroupRefs:
    """The security groups one property of a resource names, as far as the stack resolves them."""

    groups: list[PolicyResource]
    outside: list[str]  # known ids that are no group of this stack
    unresolved: bool  # an unknown id that no property dependency explains


def group_refs(view: StackView, resource: PolicyResource, path: str) -> GroupRefs:
    """Resolve a (possibly nested) list of security group ids: by id when known, else by dependency.

    `StackView.references` reads top-level properties only; MSK keeps its groups inside
    brokerNodeGroupInfo, so this reads the path and takes the top-level property's
    dependencies on security groups.
    """
    value = get(view.props(resource), path)
    ids = [value] if is_unknown(value) else [v for v in as_list(value) if v is not None]
    groups = view.of_type(SECURITY_GROUP)
    known = {i for i in ids if isinstance(i, str) and not is_unknown(i)}
    found = [g for g in groups if _ids(view.props(g)) & known]
    deps = [
        d
        for d in (resource.property_dependencies or {}).get(path.split(".", maxsplit=1)[0], [])
        if d.resource_type == SECURITY_GROUP
    ]
    found += [d for d in deps if d not in found]
    # Stack outputs may omit `id`: an id matching no group is explained when the property's
    # dependencies name at least as many groups as it lists ids.
    outside = sorted(i for i in known if not any(i in _ids(view.props(g)) for g in groups))
    if len(found) >= len(ids):
        outside = []
    return GroupRefs(found, outside, any(is_unknown(i) for i in ids) and not deps)


def _data_store_groups(args: StackValidationArgs, report: Report) -> None:
    """Databases and brokers sit only in their own tier's security groups (db, kafka).

    A database attached to the lb or app group accepts whatever that group accepts: the
    ingress rules of data-security-group-app-ingress-only would never see it. Groups resolve by
    id, else through the engine's property dependencies (preview); an id that is no group of
    this stack, or an unknown id without a dependency, fails.
    """
    view = StackView(args.resources)
    for resource in view.of_type(*DATA_STORES):
        subject, path, role = DATA_STORES[resource.resource_type]
        refs = group_refs(view, resource, path)
        where = f"{subject} {resource.name}"
        if refs.unresolved:
            report(unknown_message(f"{where} {path}", f"security groups of role {role} of this stack"), resource.urn)
        for outside in refs.outside:
            report(f"{where} {path} must name security groups of this stack; {outside} is not one.", resource.urn)
        for group in refs.groups:
            group_role = tag(view.props(group), ROLE_TAG)
            if group_role != role:
                report(
                    f"{where} must be attached only to security groups of role {role}; "
                    f"{group.name} has role {_shown(group_role)}.",
                    resource.urn,
                )


# --- security group hygiene ----------------------------------------------------------------

# What the provider fills in when a group is declared without a description (pulumi-aws
# `SecurityGroup.description` defaults to "Managed by Pulumi"; the Terraform provider it wraps
# says "Managed by Terraform"): no description at all for a reviewer.
PLACEHOLDER_DESCRIPTIONS = ("managed by pulumi", "managed by terraform")


def _described(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and value.strip().lower() not in PLACEHOLDER_DESCRIPTIONS


def _sg_described(args: ResourceValidationArgs, report: Report) -> None:
    """Security groups, their inline rules and standalone rules say what they are for (CKV_AWS_23)."""
    if args.resource_type not in (SECURITY_GROUP, *SG_RULE_TYPES):
        return
    props = plain(args.props)
    subject = "Security group" if args.resource_type == SECURITY_GROUP else "Security group rule"
    value = props.get("description")
    if is_unknown(value):
        report(unknown_message(f"{subject} description", "a description"))
    elif not _described(value):
        report(f"{subject} description must say what it allows, not {_shown(value)}.")
    if args.resource_type != SECURITY_GROUP:
        return
    for direction in ("ingress", "egress"):
        entries = props.get(direction)
        if is_unknown(entries):
            continue  # computed by the provider when no inline rules are declared
        for index, entry in enumerate(as_list(entries)):
            value = get(entry, "description")
            if is_unknown(value):
                report(unknown_message(f"Security group {direction}[{index}] description", "a description"))
            elif not _described(value):
                report(f"Security group {direction}[{index}] description must say what it allows, not {_shown(value)}.")


def _normal_ports(rule: SgRule) -> tuple[str, Any, Any]:
    protocol = str(rule.protocol).lower()
    if protocol in ("-1", "all"):
        return ("-1", None, None)
    return ({"6": "tcp", "17": "udp"}.get(protocol, protocol), rule.from_port, rule.to_port)


def _echoes(entry: SgRule, standalone: list[SgRule]) -> bool:
    """True when an inline entry only repeats standalone rules of its group.

    The provider reads every rule of a group into the group's `ingress`/`egress` outputs, so
    after `up` a group managed purely by standalone rules shows them inline too; only an
    inline entry that no standalone rule explains was declared inline.
    """
    same = [r for r in standalone if _normal_ports(r) == _normal_ports(entry)]
    cidrs = {c for r in same for c in r.cidrs}
    sources = {g.urn for r in same for g in r.sources}
    lists = {i for r in same for i in r.prefix_lists}
    return (
        bool(same)
        and set(entry.cidrs) <= cidrs
        and {g.urn for g in entry.sources} <= sources
        and set(entry.prefix_lists) <= lists
        and (not entry.self_reference or any(entry.groups[0] in r.sources for r in same))
    )


def _sg_rule_management_exclusive(args: StackValidationArgs, report: Report) -> None:
    """A group declares its rules inline or as standalone rule resources, never both.

    The provider treats a group's inline `ingress`/`egress` as the complete list: on the next
    update it removes the permissions that standalone SecurityGroupRule / SecurityGroupIngressRule
    / SecurityGroupEgressRule resources added, and the two fight on every run (provider docs,
    "NOTE on Security Groups and Security Group Rules"; AWSGuard
    security-group-no-rule-management-conflicts). Inline entries unknown at preview are the
    provider's computed copy and count as none.
    """
    view = StackView(args.resources)
    for direction in ("ingress", "egress"):
        rules = sg_rules(view, direction)
        for group in view.of_type(SECURITY_GROUP):
            if is_unknown(view.props(group).get(direction)):
                continue
            inline = [r for r in rules if r.owner is group]
            standalone = [r for r in rules if r.owner is not group and group in r.groups]
            declared = [r for r in inline if not _echoes(r, standalone)]
            if declared and standalone:
                report(
                    f"Security group {group.name} must not mix inline {direction} rules ({declared[0].label}) with "
                    f"standalone rule resources ({standalone[0].label}).",
                    group.urn,
                )


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _all_strings(v)]
    return []


def _sg_attached(args: StackValidationArgs, report: Report) -> None:
    """Every security group of the stack is used: something attaches it or another group's rule names it.

    Used means: an AWS resource of the stack (EKS cluster, launch template, Aurora or MSK cluster,
    MSK replicator, VPC endpoint, load balancer, CodeBuild project, ...) names the group's id or
    ARN anywhere in its properties or depends on it through a property (the preview case); or a
    rule of another group references it as source or destination. A group's own rules do not
    count. A group nothing uses is a rule set nobody reviews until someone attaches it (CKV2_AWS_5).
    """
    view = StackView(args.resources)
    groups = view.of_type(SECURITY_GROUP)
    used: set[str] = set()
    for direction in ("ingress", "egress"):
        for rule in sg_rules(view, direction):
            used |= {s.urn for s in rule.sources if s not in rule.groups}
    for resource in view.resources:
        if not resource.resource_type.startswith("aws:") or resource.resource_type in (SECURITY_GROUP, *SG_RULE_TYPES):
            continue
        strings = set(_all_strings(view.props(resource)))
        used |= {g.urn for g in groups if _ids(view.props(g)) & strings}
        for dependencies in (resource.property_dependencies or {}).values():
            used |= {d.urn for d in dependencies if d.resource_type == SECURITY_GROUP}
    for group in groups:
        if group.urn not in used:
            report(
                f"Security group {group.name} must be attached to a resource or referenced by another group's rule; "
                "nothing in this stack uses it.",
                group.urn,
            )


# --- network ACLs --------------------------------------------------------------------------


@dataclass
class NaclEntry:
    """One ingress entry of a network ACL, inline or an aws:ec2/networkAclRule:NetworkAclRule."""

    owner: PolicyResource
    label: str
    rule_no: Any
    action: Any
    protocol: Any
    cidr: Any
    from_port: Any
    to_port: Any


def _nacl_entry(owner: PolicyResource, label: str, props: Any, number: str, action: str) -> NaclEntry:
    cidrs = [c for c in (get(props, "cidrBlock"), get(props, "ipv6CidrBlock")) if c not in (None, "")]
    return NaclEntry(
        owner=owner,
        label=label,
        rule_no=_port(get(props, number)),
        action=get(props, action),
        protocol=get(props, "protocol"),
        cidr=cidrs[0] if cidrs else None,
        from_port=_port(get(props, "fromPort")),
        to_port=_port(get(props, "toPort")),
    )


def _nacl_entries(
    view: StackView, report: Report, egress: bool = False
) -> dict[PolicyResource | None, list[NaclEntry]]:
    """Every ACL's ingress (or egress) entries, inline and standalone; rules of no ACL of this stack under None."""
    direction = "egress" if egress else "ingress"
    entries: dict[PolicyResource | None, list[NaclEntry]] = {}
    for acl in view.of_type(*NETWORK_ACLS):
        inline = view.props(acl).get(direction)
        if _provider_computed(acl, direction, inline):
            inline = []
        if is_unknown(inline):
            report(unknown_message(f"Network ACL {acl.name} {direction}", "a list of rules"), acl.urn)
            continue
        entries[acl] = [
            _nacl_entry(acl, f"{acl.name} {direction}[{i}]", e, "ruleNo", "action")
            for i, e in enumerate(as_list(inline))
        ]
    for rule in view.of_type(NETWORK_ACL_RULE):
        props = view.props(rule)
        # An unknown `egress` flag counts for both directions.
        if not is_unknown(props.get("egress")) and is_true(props.get("egress")) != egress:
            continue
        entry = _nacl_entry(rule, rule.name, props, "ruleNumber", "ruleAction")
        targets: list[PolicyResource | None] = [*view.references(rule, "networkAclId", NETWORK_ACLS)]
        for target in targets or [None]:
            entries.setdefault(target, []).append(entry)
    return entries


def _nacl_ingress(view: StackView, report: Report) -> dict[PolicyResource | None, list[NaclEntry]]:
    """Every ACL's ingress entries (see `_nacl_entries`)."""
    return _nacl_entries(view, report)


Network = Any  # ipaddress.IPv4Network | ipaddress.IPv6Network


def _protocols(protocol: Any) -> set[str] | None:
    """The transport protocols (of tcp, udp) an entry matches; None for protocols without ports (icmp, ...)."""
    value = str(protocol).lower()
    if value in ("-1", "all"):
        return {"tcp", "udp"}
    if value in ("6", "tcp"):
        return {"tcp"}
    if value in ("17", "udp"):
        return {"udp"}
    return None


def _covers_port(entry: NaclEntry, port: int) -> bool:
    if str(entry.protocol).lower() in ("-1", "all"):
        return True
    low, high = entry.from_port, entry.to_port
    return isinstance(low, int) and isinstance(high, int) and low <= port <= high


def _subtract(pieces: list[Network], network: Network) -> list[Network]:
    remaining: list[Network] = []
    for piece in pieces:
        if piece.version != network.version or not piece.overlaps(network):
            remaining.append(piece)
        elif not piece.subnet_of(network):
            remaining.extend(piece.address_exclude(network))
    return remaining


def _admits_public(entry: NaclEntry, denies: list[NaclEntry], protocol: str, port: int) -> bool:
    """True when some public address of the entry's CIDR reaches `protocol`/`port` past the lower-numbered denies."""
    remaining: list[Network] = [parse_cidr(entry.cidr)]
    for deny in denies:
        network = parse_cidr(deny.cidr)
        if network is None or protocol not in (_protocols(deny.protocol) or set()) or not _covers_port(deny, port):
            continue  # an unknown or malformed deny blocks nothing the policy can prove.
        remaining = _subtract(remaining, network)
    return any(not is_private_network(piece) for piece in remaining)


def _nacl_traffic(entry: NaclEntry) -> str:
    if str(entry.protocol).lower() in ("-1", "all"):
        return "all traffic"
    return f"{entry.protocol} {entry.from_port}-{entry.to_port}"


def _nacl_no_public_admin_ingress(args: StackValidationArgs, report: Report) -> None:
    """No ACL admits a public address to SSH, RDP or FTP unless a lower-numbered rule denies it.

    Network ACL rules are evaluated in rule-number order and the first match decides, so an allow
    of a public CIDR (see PRIVATE_NETWORKS) whose port range holds one of NACL_ADMIN_PORTS fails
    unless lower-numbered denies cover every public address of it for that port. Unknowns: an
    allow's CIDR fails; a public allow's protocol, ports or rule number fail; an unknown deny
    counts as no deny.
    """
    view = StackView(args.resources)
    for acl, entries in _nacl_ingress(view, report).items():
        for entry in entries:
            where = f"Network ACL {acl.name if acl else 'rule ' + entry.label}"
            if is_unknown(entry.cidr):
                report(unknown_message(f"Network ACL rule {entry.label} cidrBlock", "a CIDR block"), entry.owner.urn)
                continue
            if entry.action == "deny" or not cidr_is_public(entry.cidr):
                continue
            fields = (entry.action, entry.protocol, entry.rule_no, entry.from_port, entry.to_port)
            if any(is_unknown(v) for v in fields):
                report(
                    unknown_message(f"Network ACL rule {entry.label} action, protocol, ports and rule number", "set"),
                    entry.owner.urn,
                )
                continue
            protocols = _protocols(entry.protocol)
            if protocols is None or parse_cidr(entry.cidr) is None:
                continue  # icmp and the like carry no ports; a malformed CIDR is rejected by AWS.
            denies = [
                d for d in entries if d.action == "deny" and isinstance(d.rule_no, int) and d.rule_no < entry.rule_no
            ]
            ports = [
                port
                for port in NACL_ADMIN_PORTS
                if _covers_port(entry, port) and any(_admits_public(entry, denies, p, port) for p in sorted(protocols))
            ]
            if ports:
                report(
                    f"{where} ingress rule {entry.rule_no} must not allow {entry.cidr} to port "
                    f"{', '.join(map(str, ports))} ({_nacl_traffic(entry)}) unless a lower-numbered rule denies it.",
                    entry.owner.urn,
                )


def _opens_all_ports(entry: NaclEntry) -> bool:
    """Protocol -1 (every protocol and port), or tcp/udp over the whole 0-65535 range."""
    if str(entry.protocol).lower() in ("-1", "all"):
        return True
    return (
        _protocols(entry.protocol) is not None
        and isinstance(entry.from_port, int)
        and isinstance(entry.to_port, int)
        and entry.from_port <= 0
        and entry.to_port >= 65535
    )


def _nacl_no_public_all_ports(args: StackValidationArgs, report: Report) -> None:
    """No ACL allow of every port (protocol -1, or tcp/udp 0-65535) from or to a public CIDR (CKV_AWS_352).

    Both directions: an all-ports egress allow to the internet is the exfiltration path the
    ingress check mirrors (Trivy AVD-AWS-0102 flags either). Lower-numbered denies do not excuse
    it: the control asks for specific ports. Unknowns: a CIDR fails; a public allow's protocol
    and ports fail.
    """
    view = StackView(args.resources)
    for egress in (False, True):
        direction, preposition = ("egress", "to") if egress else ("ingress", "from")
        for acl, entries in _nacl_entries(view, report, egress).items():
            for entry in entries:
                where = f"Network ACL {acl.name if acl else 'rule ' + entry.label}"
                if is_unknown(entry.cidr):
                    report(
                        unknown_message(f"Network ACL rule {entry.label} cidrBlock", "a CIDR block"), entry.owner.urn
                    )
                    continue
                if entry.action == "deny" or not cidr_is_public(entry.cidr):
                    continue
                if any(is_unknown(v) for v in (entry.action, entry.protocol, entry.from_port, entry.to_port)):
                    report(
                        unknown_message(f"Network ACL rule {entry.label} action, protocol and ports", "set"),
                        entry.owner.urn,
                    )
                    continue
                if _opens_all_ports(entry):
                    report(
                        f"{where} {direction} rule {entry.rule_no} must not allow all ports {preposition} {entry.cidr} "
                        f"({_nacl_traffic(entry)}).",
                        entry.owner.urn,
                    )


def _nacl_attached(args: StackValidationArgs, report: Report) -> None:
    """Every network ACL is associated with a subnet: inline subnetIds or an aws:ec2/networkAclAssociation.

    An ACL nobody uses is a rule set that looks enforced and is not (Security Hub EC2.16). Unknown
    subnetIds count as present (subnet ids of this stack). The VPC's default ACL is exempt.
    """
    view = StackView(args.resources)
    associations = view.of_type(NETWORK_ACL_ASSOCIATION)
    for acl in view.of_type(NETWORK_ACL):
        subnets = view.props(acl).get("subnetIds")
        if is_unknown(subnets) or any(s is not None for s in as_list(subnets)):
            continue
        if any(acl in view.references(a, "networkAclId", (NETWORK_ACL,)) for a in associations):
            continue
        report(
            f"Network ACL {acl.name} must be associated with at least one subnet (subnetIds or a "
            "NetworkAclAssociation).",
            acl.urn,
        )


# --- routes and subnets --------------------------------------------------------------------

# Route targets other than a NAT gateway, as the provider names them (inline `routes[]` and
# aws:ec2/route:Route spell them alike).
ROUTE_TARGETS = (
    "gatewayId",
    "egressOnlyGatewayId",
    "vpcPeeringConnectionId",
    "transitGatewayId",
    "networkInterfaceId",
    "vpcEndpointId",
    "carrierGatewayId",
    "localGatewayId",
    "coreNetworkArn",
)


def _default_destination(route: Any) -> Any:
    """The public destination of a route (inline or standalone), the sentinel, or None.

    Not only 0.0.0.0/0 and ::/0: a pair of /1s or 2000::/3 reaches the internet just as well.
    """
    for key in ("cidrBlock", "destinationCidrBlock", "ipv6CidrBlock", "destinationIpv6CidrBlock"):
        value = get(route, key)
        if is_unknown(value) or cidr_is_public(value):
            return value
    return None


@dataclass
class RouteEntry:
    """One route, inline in a route table or an aws:ec2/route:Route, with the tables it belongs to."""

    owner: PolicyResource
    label: str
    tables: list[PolicyResource]
    props: Any
    internet_gateways: list[PolicyResource] = field(default_factory=list)


def _routes(view: StackView) -> list[RouteEntry]:
    """Every route of the stack; inline `routes` unknown at preview are one entry with the sentinel."""
    entries: list[RouteEntry] = []
    for table in view.of_type(ROUTE_TABLE):
        routes = view.props(table).get("routes")
        gateways = view.references(table, "routes", (INTERNET_GATEWAY, EGRESS_ONLY_GATEWAY))
        if _provider_computed(table, "routes", routes):
            continue
        if is_unknown(routes):
            entries.append(RouteEntry(table, f"{table.name} routes", [table], routes, gateways))
            continue
        for index, route in enumerate(as_list(routes)):
            entries.append(RouteEntry(table, f"{table.name} routes[{index}]", [table], route, gateways))
    for route in view.of_type(ROUTE):
        entries.append(
            RouteEntry(
                route,
                route.name,
                view.references(route, "routeTableId", (ROUTE_TABLE,)),
                view.props(route),
                view.references(route, "gatewayId", (INTERNET_GATEWAY,))
                + view.references(route, "egressOnlyGatewayId", (EGRESS_ONLY_GATEWAY,)),
            )
        )
    return entries


def _via_internet_gateway(entry: RouteEntry) -> Any:
    """The internet gateway a route targets (an igw-/eigw- id or a resolved gateway), else None."""
    for key in ("gatewayId", "egressOnlyGatewayId"):
        value = get(entry.props, key)
        if isinstance(value, str) and value.startswith(("igw-", "eigw-")):
            return value
    if entry.internet_gateways and any(get(entry.props, k) is not None for k in ("gatewayId", "egressOnlyGatewayId")):
        return entry.internet_gateways[0].name
    return None


def _table_tiers(view: StackView) -> dict[PolicyResource, dict[str, list[PolicyResource]]]:
    """Each route table's tiers: its own finstack:tier tag, and the tier of every subnet associated with it.

    A tier maps to the data-tier subnets that put it there (empty for the table's own tag), so a
    data subnet associated with a table tagged app is still judged as data.
    """
    tiers: dict[PolicyResource, dict[str, list[PolicyResource]]] = {}
    for table in view.of_type(ROUTE_TABLE):
        tiers[table] = {}
        own = tag(view.props(table), TIER_TAG)
        if isinstance(own, str):
            tiers[table][own] = []
    for association in view.of_type(ROUTE_TABLE_ASSOCIATION):
        for subnet in view.references(association, "subnetId", (SUBNET,)):
            tier = tag(view.props(subnet), TIER_TAG)
            for table in view.references(association, "routeTableId", (ROUTE_TABLE,)):
                if isinstance(tier, str):
                    tiers.setdefault(table, {}).setdefault(tier, []).append(subnet)
    return tiers


def _data_subject(table: PolicyResource, subnets: list[PolicyResource]) -> str:
    if not subnets:
        return f"Data-tier route table {table.name}"
    return f"Route table {table.name} (associated with data-tier subnet {subnets[0].name})"


def _data_route_table_no_default_route(args: StackValidationArgs, report: Report) -> None:
    """Route tables of data-tier subnets have no public route and no internet gateway route.

    A table is data-tier by its own tag or because a data-tier subnet is associated with it
    (aws:ec2/routeTableAssociation), whatever the table's own tag says. Inline routes and
    aws:ec2/route:Route resources (tied by id or dependency) count alike.
    """
    view = StackView(args.resources)
    tiers = _table_tiers(view)
    for association in view.of_type(ROUTE_TABLE_ASSOCIATION):
        data = [
            s for s in view.references(association, "subnetId", (SUBNET,)) if tag(view.props(s), TIER_TAG) == "data"
        ]
        if data and not view.references(association, "routeTableId", (ROUTE_TABLE,)):
            report(
                f"Route table association {association.name} of data-tier subnet {data[0].name} routeTableId must "
                "resolve to a route table of this stack.",
                association.urn,
            )
    for entry in _routes(view):
        destination = _default_destination(entry.props) if not is_unknown(entry.props) else entry.props
        if not entry.tables and isinstance(entry.owner, PolicyResource) and entry.owner.resource_type == ROUTE:
            if destination is not None:
                report(
                    f"Route {entry.label} routeTableId must resolve to a route table of this stack; "
                    f"it routes {destination}.",
                    entry.owner.urn,
                )
            continue
        for table in entry.tables:
            if "data" not in tiers.get(table, {}):
                continue
            subject = _data_subject(table, tiers[table]["data"])
            suffix = "" if entry.owner is table else f" (route {entry.label})"
            if is_unknown(destination):
                name = f"{subject} route destination" if entry.owner is table else f"Route {entry.label} destination"
                report(unknown_message(name, "a CIDR"), entry.owner.urn)
            elif destination is not None:
                report(f"{subject} must not route {destination}{suffix}.", entry.owner.urn)
            elif (gateway := _via_internet_gateway(entry)) is not None:
                report(f"{subject} must not route through internet gateway {gateway}{suffix}.", entry.owner.urn)


def _route_target(route: Any) -> str:
    for key in ROUTE_TARGETS:
        value = get(route, key)
        if value is not None:
            return f"{key} {'(unknown at preview)' if is_unknown(value) else value}"
    return "no target"


PRIVATE_TIERS = ("app", "endpoints")


def _private_default_route_via_nat(args: StackValidationArgs, report: Report) -> None:
    """App and endpoints route tables send public destinations only through a NAT gateway (CKV2_AWS_35).

    A table counts as private when it is tagged app or endpoints or an app or endpoints subnet is
    associated with it (a private subnet associated with the public table fails here). The data
    tier may not route public destinations at all (data-route-table-no-default-route). Unknowns:
    a destination fails; natGatewayId unknown is present (the stack's own NAT gateway).
    """
    view = StackView(args.resources)
    tiers = _table_tiers(view)
    for entry in _routes(view):
        destination = _default_destination(entry.props) if not is_unknown(entry.props) else entry.props
        if destination is None:
            continue
        for table in entry.tables:
            private = [t for t in PRIVATE_TIERS if t in tiers.get(table, {})]
            if not private:
                continue
            subject = f"Route table {table.name} ({', '.join(private)} tier)"
            if is_unknown(destination):
                report(unknown_message(f"{subject} route {entry.label} destination", "a CIDR"), entry.owner.urn)
            elif get(entry.props, "natGatewayId") is None:
                report(
                    f"{subject} must send {destination} only through a NAT gateway; "
                    f"route {entry.label} uses {_route_target(entry.props)}.",
                    entry.owner.urn,
                )


def _peering_routes_private(args: StackValidationArgs, report: Report) -> None:
    """Routes through a VPC peering connection carry private destinations only (CKV2_AWS_44).

    A peering route to 0.0.0.0/0, ::/0 or any public range hands the peer this VPC's internet
    path (and the peer cannot even use it: AWS drops edge-to-edge routing through peering), so it
    is a mistake at best. Unknowns: the destination of a peering route fails.
    """
    view = StackView(args.resources)
    for entry in _routes(view):
        if is_unknown(entry.props) or get(entry.props, "vpcPeeringConnectionId") is None:
            continue
        destination = _default_destination(entry.props)
        if is_unknown(destination):
            report(unknown_message(f"Peering route {entry.label} destination", "a private CIDR"), entry.owner.urn)
        elif destination is not None:
            report(
                f"Route {entry.label} through VPC peering must not route {destination}; only private ranges.",
                entry.owner.urn,
            )


def _private_subnet_no_public_ip(args: ResourceValidationArgs, report: Report) -> None:
    """Only public-tier subnets may hand out public IPs."""
    if args.resource_type != SUBNET:
        return
    props = plain(args.props)
    tier = tag(props, TIER_TAG)
    if tier == "public":
        return
    value = props.get("mapPublicIpOnLaunch")
    if is_unknown(value):
        report(unknown_message(f"{_shown(tier)}-tier subnet mapPublicIpOnLaunch", "false"))
    elif is_true(value):
        report(f"{_shown(tier)}-tier subnet mapPublicIpOnLaunch must be false.")


# --- default security group ----------------------------------------------------------------


def _default_sg_no_rules(args: ResourceValidationArgs, report: Report) -> None:
    """The VPC default security group is adopted and stripped of every rule."""
    if args.resource_type != DEFAULT_SECURITY_GROUP:
        return
    props = plain(args.props)
    for direction in ("ingress", "egress"):
        value = props.get(direction)
        if is_unknown(value):
            report(unknown_message(f"Default security group {direction}", "an empty list"))
        elif as_list(value):
            report(f"Default security group {direction} must be empty.")


def _vpc_default_sg_managed(args: StackValidationArgs, report: Report) -> None:
    """Every VPC's default security group is managed by the stack (so its rules are removed)."""
    view = StackView(args.resources)
    managed = view.of_type(DEFAULT_SECURITY_GROUP)
    for vpc in view.of_type(VPC):
        if not any(vpc in view.references(g, "vpcId", (VPC,)) for g in managed):
            report(f"VPC {vpc.name} must have a managed DefaultSecurityGroup with no rules.", vpc.urn)


# --- public endpoints ----------------------------------------------------------------------


def _rds_not_public(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora clusters and instances are never publicly accessible."""
    if args.resource_type not in (CLUSTER_INSTANCE, AURORA_CLUSTER):
        return
    subject = "Aurora instance" if args.resource_type == CLUSTER_INSTANCE else "Aurora cluster"
    value = plain(args.props).get("publiclyAccessible")
    if is_unknown(value):
        report(unknown_message(f"{subject} publiclyAccessible", "false"))
    elif is_true(value):
        report(f"{subject} publiclyAccessible must be false.")


EKS_ENDPOINT_CONFIG = {
    "environment": Setting({"type": "string", "enum": ["dev", "staging", "prod"], "default": "prod"}),
    "allowedPublicAccessCidrs": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Outside prod: CIDRs the public API endpoint may be opened to (office/VPN).",
        }
    ),
}


def _within(cidr: str, allowed: list[str]) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
        return any(
            network.version == a.version and network.subnet_of(a)  # type: ignore[arg-type]
            for a in (ipaddress.ip_network(x, strict=False) for x in allowed)
        )
    except ValueError:
        return False


def _eks_endpoint_restricted(args: ResourceValidationArgs, report: Report) -> None:
    """The Kubernetes API is private in prod; elsewhere public only to an allow-list."""
    if args.resource_type != EKS_CLUSTER:
        return
    config = settings(args, EKS_ENDPOINT_CONFIG)
    vpc = plain(args.props).get("vpcConfig")
    private = get(vpc, "endpointPrivateAccess")
    if is_unknown(private):
        report(unknown_message("EKS cluster vpcConfig.endpointPrivateAccess", "true"))
    elif not is_true(private):
        report("EKS cluster vpcConfig.endpointPrivateAccess must be true.")
    public = get(vpc, "endpointPublicAccess")
    if is_unknown(public):
        report(unknown_message("EKS cluster vpcConfig.endpointPublicAccess", "false"))
        return
    if public is not None and not is_true(public):
        return
    # AWS turns the public endpoint on when endpointPublicAccess is unset.
    if config["environment"] == "prod":
        report("EKS cluster vpcConfig.endpointPublicAccess must be false in prod.")
        return
    cidrs = get(vpc, "publicAccessCidrs")
    if is_unknown(cidrs) or any(is_unknown(c) for c in as_list(cidrs)):
        report(unknown_message("EKS cluster vpcConfig.publicAccessCidrs", "a list of allowed CIDRs"))
        return
    if not as_list(cidrs):
        report("EKS cluster vpcConfig.publicAccessCidrs must be set when the public endpoint is on (AWS: 0.0.0.0/0).")
    allowed = [str(c) for c in config["allowedPublicAccessCidrs"] or []]
    for cidr in as_list(cidrs):
        if cidr_is_any(cidr):
            report(f"EKS cluster vpcConfig.publicAccessCidrs must not contain {cidr}.")
        elif not _within(str(cidr), allowed):
            report(
                f"EKS cluster vpcConfig.publicAccessCidrs entry {cidr} must be inside allowedPublicAccessCidrs "
                f"({', '.join(allowed) or 'none configured'})."
            )


def _msk_not_public(args: ResourceValidationArgs, report: Report) -> None:
    """MSK brokers get no public endpoints."""
    if args.resource_type != MSK_CLUSTER:
        return
    access = get(plain(args.props), "brokerNodeGroupInfo.connectivityInfo.publicAccess.type")
    if is_unknown(access):
        report(unknown_message("MSK cluster publicAccess.type", "DISABLED"))
    elif access not in (None, "DISABLED"):
        report(f"MSK cluster brokerNodeGroupInfo.connectivityInfo.publicAccess.type must be DISABLED, not {access}.")


# --- nodes and instances -------------------------------------------------------------------


def _no_public_ip(args: ResourceValidationArgs, report: Report) -> None:
    """Launch templates and instances never ask for a public IP (EC2.9, EC2.25, CKV_AWS_88).

    The launch template's network interfaces carry `associatePublicIpAddress` as the string
    "true"/"false" in the provider (a tri-state: unset leaves the subnet's default, which
    private-subnet-no-public-ip keeps false). Unknowns fail.
    """
    if args.resource_type not in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        return
    props = plain(args.props)
    if args.resource_type == EC2_INSTANCE:
        value = props.get("associatePublicIpAddress")
        if is_unknown(value):
            report(unknown_message("EC2 instance associatePublicIpAddress", "false"))
        elif is_true(value):
            report("EC2 instance associatePublicIpAddress must be false.")
        return
    interfaces = props.get("networkInterfaces")
    if is_unknown(interfaces):
        report(unknown_message("Launch template networkInterfaces", "a list without public IPs"))
        return
    for index, interface in enumerate(as_list(interfaces)):
        value = get(interface, "associatePublicIpAddress")
        if is_unknown(value):
            report(unknown_message(f"Launch template networkInterfaces[{index}].associatePublicIpAddress", "false"))
        elif is_true(value):
            report(f"Launch template networkInterfaces[{index}].associatePublicIpAddress must be false.")


def _node_no_ssh(args: ResourceValidationArgs, report: Report) -> None:
    """EKS nodes take no SSH key: node access goes through SSM Session Manager (CKV_AWS_100).

    The peers fail only a node group `remoteAccess.ec2SshKey` without `sourceSecurityGroupIds`
    (then EKS opens port 22 to 0.0.0.0/0, per the EKS RemoteAccessConfig API reference). For a bank
    any SSH key on a node fails: a long-lived key shared by operators is an unaudited credential,
    and Session Manager gives IAM-authenticated, logged shells without an open port. The node
    launch template's `keyName` counts too. Unknowns fail.
    """
    if args.resource_type not in (NODE_GROUP, LAUNCH_TEMPLATE):
        return
    props = plain(args.props)
    if args.resource_type == LAUNCH_TEMPLATE:
        key = props.get("keyName")
        if is_unknown(key):
            report(unknown_message("Launch template keyName", "unset"))
        elif key not in (None, ""):
            report(f"Launch template keyName must be unset (use SSM Session Manager), not {key}.")
        return
    access = props.get("remoteAccess")
    key = get(access, "ec2SshKey")
    if is_unknown(key):
        report(unknown_message("EKS node group remoteAccess.ec2SshKey", "unset"))
        return
    if key in (None, ""):
        return
    sources = get(access, "sourceSecurityGroupIds")
    if not is_unknown(sources) and not as_list(sources):
        report(
            "EKS node group remoteAccess must not set ec2SshKey without sourceSecurityGroupIds "
            "(EKS then opens port 22 to 0.0.0.0/0)."
        )
    report(f"EKS node group remoteAccess.ec2SshKey must be unset (use SSM Session Manager), not {key}.")


# Engine default ports (RDS CreateDBCluster `Port`: 3306 for aurora-mysql, 5432 for
# aurora-postgresql); an unset port is the default.
ENGINE_DEFAULT_PORTS = {
    "aurora": 3306,
    "aurora-mysql": 3306,
    "aurora-postgresql": 5432,
    "postgres": 5432,
    "mysql": 3306,
}


def _rds_non_default_port(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora clusters listen on a port other than the engine default (Security Hub RDS.23).

    A non-default port only slows an untargeted scan; finstack keeps 5432 behind the db group's
    app-only ingress and ships a waiver per cluster (policy/README.md "Waivers"). Unknowns fail.
    """
    if args.resource_type != AURORA_CLUSTER:
        return
    props = plain(args.props)
    engine, port = props.get("engine"), _port(props.get("port"))
    if is_unknown(engine) or is_unknown(port):
        report(unknown_message("Aurora cluster engine and port", "set"))
        return
    default = ENGINE_DEFAULT_PORTS.get(str(engine))
    if default is None:
        return
    if port is None or port == default:
        report(f"Aurora cluster port must not be the {engine} default {default} (it is {_shown(port)}).")


# --- VPC endpoints -------------------------------------------------------------------------

ENDPOINT_CONFIG = {
    "interfaceServices": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["sts", "ecr.api", "ecr.dkr", "logs", "kms", "secretsmanager"],
            "description": "Services every VPC reaches through an Interface endpoint with private DNS.",
        }
    ),
    "gatewayServices": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["s3"],
            "description": "Services every VPC reaches through a Gateway endpoint.",
        }
    ),
}


def _vpc_endpoints_present(args: StackValidationArgs, report: Report) -> None:
    """Every VPC reaches AWS APIs through private endpoints, not the internet."""
    view = StackView(args.resources)
    config = settings(args, ENDPOINT_CONFIG)
    endpoints = view.of_type(VPC_ENDPOINT)
    for vpc in view.of_type(VPC):
        region = view.region(vpc) or "<region>"
        mine = [e for e in endpoints if vpc in view.references(e, "vpcId", (VPC,))]
        wanted = [(s, "Interface") for s in config["interfaceServices"]] + [
            (s, "Gateway") for s in config["gatewayServices"]
        ]
        for service, kind in wanted:
            name = f"com.amazonaws.{region}.{service}"
            found = [
                e
                for e in mine
                if view.props(e).get("serviceName") == name
                and (view.props(e).get("vpcEndpointType") or "Gateway") == kind
            ]
            if not found:
                article = "an" if kind == "Interface" else "a"
                report(f"VPC {vpc.name} must have {article} {kind} endpoint for {name}.", vpc.urn)
            for endpoint in found:
                if kind == "Interface" and not is_true(view.props(endpoint).get("privateDnsEnabled")):
                    report(f"VPC endpoint {endpoint.name} for {name} must set privateDnsEnabled to true.", endpoint.urn)


POLICIES = [
    resource_policy(
        name="network-segmentation-tags",
        description="Subnets, route tables and NACLs must carry finstack:tier and security groups finstack:role.",
        validate=_segmentation_tags,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("1.2.1", "2.2.1"), soc2=("CC6.6",), controls=("FIN-SEGMENTATION-TAGS",)),
        remediation="Tag with components.naming.cell_tags(region, tier=...) or cell_tags(region, role=...).",
    ),
    stack_policy(
        name="security-group-no-public-ingress",
        description=(
            "Security groups must not accept ingress from public addresses or outside prefix lists, "
            "except tcp 443 on the lb group."
        ),
        validate=_no_public_ingress,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=EXPOSURE.with_controls(
            "NET-SG-WORLD-INGRESS",
            "NET-SG-ADMIN-PORTS",
            "NET-SG-HTTP",
            security_hub=("EC2.13", "EC2.14", "EC2.18", "EC2.19", "EC2.53", "EC2.54"),
            cis=("5.2", "5.3"),
        ),
        remediation="Remove the rule, or move the listener behind the lb-role group on tcp 443.",
    ),
    stack_policy(
        name="network-acl-no-public-admin-ingress",
        description=(
            "Network ACLs must not allow public addresses to SSH, RDP or FTP ports unless a lower-numbered rule "
            "denies them."
        ),
        validate=_nacl_no_public_admin_ingress,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=EXPOSURE.with_controls("NET-NACL-ADMIN-PORTS", security_hub=("EC2.21",), cis=("5.1",)),
        remediation=(
            "Add lower-numbered deny entries for tcp 20-22 and 3389 from 0.0.0.0/0 and ::/0, or narrow the allow's "
            "CIDR or port range."
        ),
    ),
    stack_policy(
        name="data-security-group-app-ingress-only",
        description="Database and broker security groups must accept ingress only from the app security group.",
        validate=_data_ingress_from_app_only,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION.with_controls("FIN-DATA-SG-INGRESS"),
        remediation="Use aws.vpc.SecurityGroupIngressRule(referenced_security_group_id=<app sg>) instead of CIDRs.",
    ),
    stack_policy(
        name="data-route-table-no-default-route",
        description=(
            "Route tables of data-tier subnets must have no route to a public address range or an internet gateway."
        ),
        validate=_data_route_table_no_default_route,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION.with_controls("NET-ROUTES"),
        remediation="Remove the default route; data subnets reach AWS APIs through VPC endpoints only.",
    ),
    resource_policy(
        name="private-subnet-no-public-ip",
        description="Only public-tier subnets may assign public IP addresses on launch.",
        validate=_private_subnet_no_public_ip,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=DATA_ISOLATION.with_controls("NET-SUBNET-NO-PUBLIC-IP", security_hub=("EC2.15",)),
        remediation="Set mapPublicIpOnLaunch=False on app, data and endpoints subnets.",
    ),
    resource_policy(
        name="default-security-group-no-rules",
        description="VPC default security groups must have no ingress or egress rules.",
        validate=_default_sg_no_rules,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("1.2.5", "1.3.1"),
            soc2=("CC6.6",),
            gdpr=("art25",),
            controls=("NET-SG-DEFAULT-CLOSED",),
            security_hub=("EC2.2",),
            cis=("5.4",),
        ),
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=...) with no ingress or egress.",
    ),
    stack_policy(
        name="vpc-default-security-group-managed",
        description="Every VPC must adopt its default security group so that its rules are removed.",
        validate=_vpc_default_sg_managed,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(
            pci=("1.2.5", "1.3.1"),
            soc2=("CC6.6",),
            gdpr=("art25",),
            controls=("NET-SG-DEFAULT-CLOSED",),
            security_hub=("EC2.2",),
            cis=("5.4",),
        ),
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=<vpc>.id) with no rules in each network.",
    ),
    resource_policy(
        name="rds-not-publicly-accessible",
        description="Aurora clusters and instances must not be publicly accessible.",
        validate=_rds_not_public,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION.with_controls("NET-RDS-PRIVATE", security_hub=("RDS.2",), cis=("2.3.3",)),
        remediation="Set publiclyAccessible=False.",
    ),
    resource_policy(
        name="eks-endpoint-access-restricted",
        description="The EKS API endpoint must be private in prod and allow-listed elsewhere.",
        validate=_eks_endpoint_restricted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=EXPOSURE.with_controls("NET-EKS-ENDPOINT-PRIVATE", "NET-EKS-PUBLIC-CIDRS", security_hub=("EKS.1",)),
        remediation=(
            "Set vpcConfig.endpointPrivateAccess=True and endpointPublicAccess=False "
            "(outside prod: publicAccessCidrs inside allowedPublicAccessCidrs)."
        ),
        config=EKS_ENDPOINT_CONFIG,
    ),
    resource_policy(
        name="msk-not-public",
        description="MSK clusters must not have public broker endpoints.",
        validate=_msk_not_public,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION.with_controls("NET-MSK-PRIVATE", security_hub=("MSK.4",)),
        remediation="Leave brokerNodeGroupInfo.connectivityInfo.publicAccess.type DISABLED.",
    ),
    stack_policy(
        name="vpc-private-endpoints-present",
        description="Every VPC must have private endpoints for the AWS APIs the platform calls.",
        validate=_vpc_endpoints_present,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(
            pci=("1.3.2", "1.4.1"),
            soc2=("CC6.6",),
            gdpr=("art32",),
            controls=("NET-VPC-ENDPOINTS",),
            security_hub=("EC2.10", "EC2.55", "EC2.56", "EC2.57"),
        ),
        remediation="Add aws.ec2.VpcEndpoint resources (Interface with private DNS, and the S3 Gateway) per VPC.",
        config=ENDPOINT_CONFIG,
    ),
    stack_policy(
        name="security-group-no-public-egress",
        description=(
            "Security groups must not send traffic to public addresses or outside prefix lists, "
            "except tcp 443 from the app group."
        ),
        validate=_no_public_egress,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(
            pci=("1.3.2", "1.4.4"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",), controls=("NET-SG-WORLD-EGRESS",)
        ),
        remediation=(
            "Reference the peer group (referenced_security_group_id) or a VPC endpoint instead of a public CIDR; "
            "only the app group keeps tcp 443 to 0.0.0.0/0 for NAT."
        ),
    ),
    stack_policy(
        name="network-acl-no-public-all-ports",
        description="Network ACLs must not allow every port from or to a public address range.",
        validate=_nacl_no_public_all_ports,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("1.2.5", "1.3.1"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",), controls=("NET-NACL-ALL-PORTS",)
        ),
        remediation="Replace the protocol -1 (or 0-65535) allow with the specific ports the tier needs.",
    ),
    stack_policy(
        name="network-acl-attached",
        description="Every network ACL must be associated with at least one subnet.",
        validate=_nacl_attached,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=Compliance(
            pci=("1.2.1", "1.2.5"), soc2=("CC6.6",), controls=("NET-NACL-ATTACHED",), security_hub=("EC2.16",)
        ),
        remediation="Set subnet_ids on the NetworkAcl (or add a NetworkAclAssociation), or delete the ACL.",
    ),
    stack_policy(
        name="data-store-security-group-isolated",
        description="Aurora and MSK clusters must be attached only to their own tier's security groups (db, kafka).",
        validate=_data_store_groups,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION.with_controls("FIN-DATA-SG-ATTACHMENT"),
        remediation="Attach the cluster to the cell's db (Aurora) or kafka (MSK) group only.",
    ),
    stack_policy(
        name="private-route-table-default-via-nat",
        description="App and endpoints route tables must reach public address ranges only through a NAT gateway.",
        validate=_private_default_route_via_nat,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=DATA_ISOLATION.with_controls("NET-ROUTES"),
        remediation="Point the private tier's default route at the AZ's NAT gateway (nat_gateway_id), not gateway_id.",
    ),
    stack_policy(
        name="vpc-peering-routes-private",
        description="Routes through a VPC peering connection must not carry public address ranges.",
        validate=_peering_routes_private,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("1.3.1", "1.3.2"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",), controls=("NET-ROUTES",)
        ),
        remediation="Route only the peer's subnet CIDRs through the peering connection.",
    ),
    resource_policy(
        name="ec2-no-public-ip",
        description="Launch templates and EC2 instances must not associate public IP addresses.",
        validate=_no_public_ip,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=DATA_ISOLATION.with_controls("NET-NODE-NO-PUBLIC-IP", security_hub=("EC2.9", "EC2.25")),
        remediation="Leave associate_public_ip_address unset or false; nodes leave through NAT.",
    ),
    resource_policy(
        name="eks-node-no-ssh-key",
        description="EKS node groups and launch templates must not install an SSH key.",
        validate=_node_no_ssh,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=EXPOSURE.with_controls("NET-EKS-NODE-SSH"),
        remediation="Drop remote_access / key_name; reach nodes through SSM Session Manager.",
    ),
    resource_policy(
        name="security-group-described",
        description="Security groups and their rules must carry a description of what they allow.",
        validate=_sg_described,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=Compliance(pci=("1.2.5", "1.2.1"), soc2=("CC6.6",), controls=("NET-SG-DESCRIBED",)),
        remediation="Set description on the group and on every rule (components/network.py SgRule.why).",
    ),
    stack_policy(
        name="security-group-rule-management-exclusive",
        description="A security group must declare its rules either inline or as standalone rule resources.",
        validate=_sg_rule_management_exclusive,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("1.2.1", "1.2.5"), soc2=("CC6.6", "CC8.1"), controls=("NET-SG-RULE-CONFLICT",)),
        remediation="Move the inline ingress/egress entries to aws.vpc.SecurityGroupIngressRule/EgressRule resources.",
    ),
    stack_policy(
        name="security-group-attached",
        description="Every security group must be attached to a resource or referenced by another group's rule.",
        validate=_sg_attached,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=Compliance(
            pci=("1.2.5", "1.2.1"), soc2=("CC6.6",), controls=("NET-SG-UNUSED",), security_hub=("EC2.22",)
        ),
        remediation="Attach the group where it is meant to be used, or delete it.",
    ),
    resource_policy(
        name="rds-cluster-non-default-port",
        description="Aurora clusters must not listen on the engine's default port.",
        validate=_rds_non_default_port,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=Compliance(
            pci=("2.2.1", "1.2.5"), soc2=("CC6.6",), controls=("NET-RDS-PORT",), security_hub=("RDS.23",)
        ),
        remediation="Set port to a non-default value, or waive the cluster with a documented reason.",
    ),
]
