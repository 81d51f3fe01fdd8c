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
class IngressRule:
    """One ingress permission, whichever resource form declared it."""

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


def _port(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _ids(props: dict[str, Any]) -> set[Any]:
    return {props.get("id"), props.get("arn")} - {None}


def ingress_rules(view: StackView) -> list[IngressRule]:
    """Every ingress permission of the stack: inline, SecurityGroupRule and SecurityGroupIngressRule."""
    rules: list[IngressRule] = []
    groups = view.of_type(SECURITY_GROUP)
    for group in groups:
        props = view.props(group)
        entries = props.get("ingress")
        if is_unknown(entries):
            rules.append(IngressRule(group, "ingress", [group], [entries], None, None, None))
            continue
        for index, entry in enumerate(as_list(entries)):
            source_ids = as_list(get(entry, "securityGroups"))
            sources = [g for g in groups if view.props(g).get("id") in source_ids]
            if any(is_unknown(s) for s in source_ids):
                sources += [g for g in view.references(group, "ingress", (SECURITY_GROUP,)) if g is not group]
            list_ids = as_list(get(entry, "prefixListIds"))
            lists = [p for p in view.of_type(PREFIX_LIST) if _ids(view.props(p)) & set(list_ids)]
            if any(is_unknown(i) for i in list_ids):
                lists += view.references(group, "ingress", (PREFIX_LIST,))
            rules.append(
                IngressRule(
                    owner=group,
                    label=f"{group.name} ingress[{index}]",
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
                )
            )
    for rule in view.of_type(SECURITY_GROUP_RULE):
        props = view.props(rule)
        if props.get("type") != "ingress":
            continue
        rules.append(
            IngressRule(
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
            )
        )
    for rule in view.of_type(INGRESS_RULE):
        props = view.props(rule)
        rules.append(
            IngressRule(
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
            )
        )
    return rules


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


def _no_public_ingress(args: StackValidationArgs, report: Report) -> None:
    """No ingress from public addresses (outside PRIVATE_NETWORKS), except tcp 443 to the load balancer group.

    Public is any CIDR that reaches beyond RFC 1918, RFC 6598 and link-local space (IPv4) or
    unique-local and link-local space (IPv6), and any managed prefix list this stack does not
    declare. Unknowns: a CIDR or prefix list entry fails; the group resolves, else fails.
    """
    view = StackView(args.resources)
    for rule in ingress_rules(view):
        if any(is_unknown(c) for c in rule.cidrs):
            report(unknown_message(f"Security group rule {rule.label} cidr", "a CIDR block"), rule.owner.urn)
            continue
        public_lists, unknown_lists = _public_prefix_lists(view, rule)
        for name in unknown_lists:
            report(
                unknown_message(f"Managed prefix list {name} entries (used by {rule.label})", "a list of CIDR blocks"),
                rule.owner.urn,
            )
        public = [c for c in rule.cidrs if cidr_is_public(c)] + public_lists
        if not public:
            continue
        if any(is_unknown(v) for v in (rule.protocol, rule.from_port, rule.to_port)):
            report(unknown_message(f"Security group rule {rule.label} port range", "tcp 443"), rule.owner.urn)
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


def _nacl_ingress(view: StackView, report: Report) -> dict[PolicyResource | None, list[NaclEntry]]:
    """Every ACL's ingress entries (inline and standalone); standalone rules of no ACL of this stack under None."""
    entries: dict[PolicyResource | None, list[NaclEntry]] = {}
    for acl in view.of_type(*NETWORK_ACLS):
        inline = view.props(acl).get("ingress")
        if is_unknown(inline):
            report(unknown_message(f"Network ACL {acl.name} ingress", "a list of rules"), acl.urn)
            continue
        entries[acl] = [
            _nacl_entry(acl, f"{acl.name} ingress[{i}]", e, "ruleNo", "action") for i, e in enumerate(as_list(inline))
        ]
    for rule in view.of_type(NETWORK_ACL_RULE):
        props = view.props(rule)
        if is_true(props.get("egress")):
            continue
        entry = _nacl_entry(rule, rule.name, props, "ruleNumber", "ruleAction")
        targets: list[PolicyResource | None] = [*view.references(rule, "networkAclId", NETWORK_ACLS)]
        for target in targets or [None]:
            entries.setdefault(target, []).append(entry)
    return entries


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


# --- routes and subnets --------------------------------------------------------------------


def _default_destination(route: Any) -> Any:
    """The public destination of a route (inline or standalone), the sentinel, or None.

    Not only 0.0.0.0/0 and ::/0: a pair of /1s or 2000::/3 reaches the internet just as well.
    """
    for key in ("cidrBlock", "destinationCidrBlock", "ipv6CidrBlock", "destinationIpv6CidrBlock"):
        value = get(route, key)
        if is_unknown(value) or cidr_is_public(value):
            return value
    return None


def _data_route_table_no_default_route(args: StackValidationArgs, report: Report) -> None:
    """Data-tier route tables have no route to 0.0.0.0/0 or ::/0 (inline or aws:ec2/route:Route)."""
    view = StackView(args.resources)
    for table in view.of_type(ROUTE_TABLE):
        props = view.props(table)
        if tag(props, TIER_TAG) != "data":
            continue
        routes = props.get("routes")
        entries = [routes] if is_unknown(routes) else as_list(routes)
        for route in entries:
            destination = routes if is_unknown(routes) else _default_destination(route)
            if is_unknown(destination):
                report(unknown_message(f"Data-tier route table {table.name} route destination", "a CIDR"), table.urn)
            elif destination is not None:
                report(f"Data-tier route table {table.name} must not route {destination}.", table.urn)
    for route in view.of_type(ROUTE):
        destination = _default_destination(view.props(route))
        if destination is None:
            continue
        tables = view.references(route, "routeTableId", (ROUTE_TABLE,))
        if not tables:
            report(
                f"Route {route.name} routeTableId must resolve to a route table of this stack; "
                f"it routes {destination}.",
                route.urn,
            )
        for table in tables:
            if tag(view.props(table), TIER_TAG) != "data":
                continue
            if is_unknown(destination):
                report(unknown_message(f"Route {route.name} destination", "a CIDR"), route.urn)
            else:
                report(
                    f"Data-tier route table {table.name} must not route {destination} (route {route.name}).", route.urn
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
        compliance=Compliance(pci=("1.2.1", "2.2.1"), soc2=("CC6.6",)),
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
        compliance=EXPOSURE,
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
        compliance=EXPOSURE,
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
        compliance=DATA_ISOLATION,
        remediation="Use aws.vpc.SecurityGroupIngressRule(referenced_security_group_id=<app sg>) instead of CIDRs.",
    ),
    stack_policy(
        name="data-route-table-no-default-route",
        description="Data-tier route tables must have no route to a public address range.",
        validate=_data_route_table_no_default_route,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION,
        remediation="Remove the default route; data subnets reach AWS APIs through VPC endpoints only.",
    ),
    resource_policy(
        name="private-subnet-no-public-ip",
        description="Only public-tier subnets may assign public IP addresses on launch.",
        validate=_private_subnet_no_public_ip,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=DATA_ISOLATION,
        remediation="Set mapPublicIpOnLaunch=False on app, data and endpoints subnets.",
    ),
    resource_policy(
        name="default-security-group-no-rules",
        description="VPC default security groups must have no ingress or egress rules.",
        validate=_default_sg_no_rules,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("1.2.5", "1.3.1"), soc2=("CC6.6",), gdpr=("art25",)),
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=...) with no ingress or egress.",
    ),
    stack_policy(
        name="vpc-default-security-group-managed",
        description="Every VPC must adopt its default security group so that its rules are removed.",
        validate=_vpc_default_sg_managed,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("1.2.5", "1.3.1"), soc2=("CC6.6",), gdpr=("art25",)),
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=<vpc>.id) with no rules in each network.",
    ),
    resource_policy(
        name="rds-not-publicly-accessible",
        description="Aurora clusters and instances must not be publicly accessible.",
        validate=_rds_not_public,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=DATA_ISOLATION,
        remediation="Set publiclyAccessible=False.",
    ),
    resource_policy(
        name="eks-endpoint-access-restricted",
        description="The EKS API endpoint must be private in prod and allow-listed elsewhere.",
        validate=_eks_endpoint_restricted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=EXPOSURE,
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
        compliance=DATA_ISOLATION,
        remediation="Leave brokerNodeGroupInfo.connectivityInfo.publicAccess.type DISABLED.",
    ),
    stack_policy(
        name="vpc-private-endpoints-present",
        description="Every VPC must have private endpoints for the AWS APIs the platform calls.",
        validate=_vpc_endpoints_present,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("1.3.2", "1.4.1"), soc2=("CC6.6",), gdpr=("art32",)),
        remediation="Add aws.ec2.VpcEndpoint resources (Interface with private DNS, and the S3 Gateway) per VPC.",
        config=ENDPOINT_CONFIG,
    ),
]
