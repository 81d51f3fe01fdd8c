"""The network of one regional cell (`RegionalNetwork`) and private links between cells (`CellPeering`).

Per cell: a VPC carved by `components.subnet_plan` into four tiers per AZ.

    public     load balancers and NAT gateways; the only tier routed to the internet gateway
    app        EKS nodes and pods; reaches the internet only through NAT, on 443
    data       Aurora and MSK; no route out of the VPC at all
    endpoints  interface VPC endpoints, so AWS API calls never leave the VPC

Defence in depth, from the outside in: route tables decide what can leave, a network ACL per tier
bounds each tier by address, and security groups that reference each other (never CIDRs inside
the VPC) bound each role. The default security group and default network ACL are adopted and
emptied, so anything launched without an explicit choice gets no traffic at all.

VPC Block Public Access (BPA): the public subnets (load balancers and NAT gateways) carry an
`allow-bidirectional` exclusion, declared here in both `accountServices` modes because the stack
owns its subnets; the region's blocking mode itself is account posture (components/posture.py,
or the landing zone). No other tier is ever excluded.

The rule tables (`SG_RULES`, `nacl_rules`) are plain data: they read as the cell's firewall
matrix and are tested without Pulumi.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.naming import az_suffix, cell_tags
from components.subnet_plan import TIERS, Tier, plan_subnets, tier_cidrs
from components.zones import Zone, choose_zones

Role = Literal["lb", "app", "db", "kafka", "endpoints"]
ROLES: tuple[Role, ...] = ("lb", "app", "db", "kafka", "endpoints")
NatMode = Literal["per-az", "single"]

ANYWHERE = "0.0.0.0/0"
HTTPS = 443
POSTGRES = 5432
KAFKA_SASL_IAM = 9098  # MSK brokers, SASL/IAM over TLS: what workloads use
KAFKA_TLS = 9094  # MSK brokers, mutual TLS
RDP = 3389  # inside EPHEMERAL: denied from the internet ahead of the ephemeral allows (nacl_rules)
# Non-root containers cannot bind below 1024, so pods (and NodePorts 30000-32767) listen above
# it. The same range is the client side of every TCP connection (Linux 32768-60999, NAT gateways
# 1024-65535): stateless network ACLs must admit it for return traffic.
EPHEMERAL = (1024, 65535)
ALL_PORTS = (0, 0)

# Interface endpoints a private EKS + Aurora + MSK cell needs, with the client that needs each.
INTERFACE_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("sts", "IRSA web-identity credentials"),
    ("eks", "nodes joining and describing the private cluster"),
    ("eks-auth", "EKS Pod Identity credentials"),
    ("ecr.api", "image manifests (layers come from S3 through the gateway endpoint)"),
    ("ecr.dkr", "image pulls"),
    ("ec2", "the VPC CNI attaching ENIs and addresses to nodes"),
    ("elasticloadbalancing", "the AWS Load Balancer Controller"),
    ("autoscaling", "the cluster autoscaler"),
    ("logs", "container, control-plane and flow logs"),
    ("monitoring", "CloudWatch metrics from Container Insights"),
    ("kms", "envelope encryption by workloads"),
    ("secretsmanager", "the Aurora master secret and application secrets"),
    ("sns", "alerts published by workloads"),
)

# Every field of flow log versions 2 to 5: the default format lacks the subnet, the
# pre-NAT addresses and the traffic path that a network investigation needs.
FLOW_LOG_FORMAT = " ".join(
    f"${{{f}}}"
    for f in (
        "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
        "protocol", "packets", "bytes", "start", "end", "action", "log-status",
        "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
        "region", "az-id", "sublocation-type", "sublocation-id",
        "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
    )
)  # fmt: skip
# One-minute aggregation (instead of ten): flows show up in the logs while an incident is live.
FLOW_LOG_AGGREGATION_SECONDS = 60

# The public tier's exclusion from VPC Block Public Access. An internet-facing ALB needs inbound
# traffic from the internet gateway, which BPA blocks in either blocking mode unless its subnets
# are excluded ("VPC BPA basics", Amazon VPC User Guide: internet-facing ALBs and NLBs "require an
# internet gateway"); `allow-egress` admits no inbound traffic and only means anything under
# block-bidirectional (EC2 API reference, VpcBlockPublicAccessExclusion). Subnet-scoped, never
# the VPC: the app, data and endpoint tiers stay blocked.
BPA_EXCLUSION_MODE = "allow-bidirectional"
BPA_EXCLUDED_TIER: Tier = "public"


# -- the firewall matrix (pure data) --------------------------------------------------------------


@dataclass(frozen=True)
class SgRule:
    """One standalone security group rule of the cell.

    `peer` is another role (the rule references that group), `vpc` (the VPC CIDR),
    `internet` (0.0.0.0/0) or `peer-cells` (one rule per app subnet of the peered cells).
    `ports` None means all traffic (protocol -1).
    """

    role: Role
    direction: Literal["ingress", "egress"]
    peer: Role | Literal["vpc", "internet", "peer-cells"]
    ports: tuple[int, int] | None
    why: str


def _tcp(port: int) -> tuple[int, int]:
    return (port, port)


SG_RULES: tuple[SgRule, ...] = (
    SgRule("lb", "ingress", "internet", _tcp(HTTPS), "HTTPS from clients"),
    SgRule("lb", "egress", "app", EPHEMERAL, "to pod and node ports"),
    SgRule("app", "ingress", "lb", EPHEMERAL, "from the load balancers"),
    # The VPC CNI gives pods addresses on the nodes' ENIs, under the nodes' groups: node-to-node
    # and pod-to-pod traffic (DNS, service mesh, webhooks) is app-to-app.
    SgRule("app", "ingress", "app", None, "node-to-node and pod-to-pod"),
    SgRule("app", "egress", "app", None, "node-to-node and pod-to-pod"),
    SgRule("app", "ingress", "peer-cells", _tcp(HTTPS), "HTTPS from the other cells' app tiers over peering"),
    SgRule("app", "egress", "db", _tcp(POSTGRES), "to Aurora"),
    SgRule("app", "egress", "kafka", _tcp(KAFKA_SASL_IAM), "to MSK (SASL/IAM)"),
    SgRule("app", "egress", "kafka", _tcp(KAFKA_TLS), "to MSK (mTLS)"),
    SgRule("app", "egress", "endpoints", _tcp(HTTPS), "to AWS APIs through the interface endpoints"),
    # Everything else leaves through NAT on 443 only: external payment networks, registries, and
    # the other cells (whose app subnets are routed over peering, not NAT).
    SgRule("app", "egress", "internet", _tcp(HTTPS), "HTTPS out through NAT and to peered cells"),
    SgRule("db", "ingress", "app", _tcp(POSTGRES), "PostgreSQL from the app tier"),
    SgRule("kafka", "ingress", "app", _tcp(KAFKA_SASL_IAM), "Kafka SASL/IAM from the app tier"),
    SgRule("kafka", "ingress", "app", _tcp(KAFKA_TLS), "Kafka mTLS from the app tier"),
    # MSK Replicator places its ENIs in the cluster's subnets with the cluster's security group
    # and reads/writes the brokers over SASL/IAM: the group must admit itself.
    SgRule("kafka", "ingress", "kafka", _tcp(KAFKA_SASL_IAM), "MSK Replicator to the brokers"),
    SgRule("kafka", "egress", "kafka", _tcp(KAFKA_SASL_IAM), "MSK Replicator to the brokers"),
    SgRule("endpoints", "ingress", "vpc", _tcp(HTTPS), "AWS API calls from the VPC"),
)


@dataclass(frozen=True)
class NaclRule:
    """One entry of a tier's network ACL; `ports` (0, 0) with protocol -1 means all traffic."""

    egress: bool
    rule_no: int
    protocol: Literal["tcp", "-1"]
    cidr: str
    ports: tuple[int, int]
    action: Literal["allow", "deny"] = "allow"


def nacl_rules(tier: Tier, vpc_cidr: str, peer_app_cidrs: Sequence[str] = ()) -> tuple[NaclRule, ...]:
    """The network ACL of `tier`: what may cross the tier boundary, by address and port.

    Network ACLs are stateless, so each allowed connection needs its return path (EPHEMERAL).
    A network ACL ends in an implicit deny-all; the one explicit deny keeps RDP, which lies inside
    EPHEMERAL, closed to the internet (Security Hub EC2.21; policy network-acl-no-public-admin-ingress).
    """
    rules: list[NaclRule] = []

    def add(egress: bool, protocol: Literal["tcp", "-1"], cidr: str, ports: tuple[int, int]) -> None:
        rule_no = 100 + 10 * sum(1 for r in rules if r.egress == egress)
        rules.append(NaclRule(egress, rule_no, protocol, cidr, ports))

    if tier == "public":
        add(False, "tcp", ANYWHERE, _tcp(HTTPS))  # clients to the load balancers
        add(False, "tcp", ANYWHERE, EPHEMERAL)  # replies to connections NAT made for the app tier
        add(False, "-1", vpc_cidr, ALL_PORTS)  # app tier to NAT; targets answering load balancers
        add(True, "tcp", ANYWHERE, _tcp(HTTPS))  # NAT forwarding the app tier's HTTPS
        add(True, "tcp", ANYWHERE, EPHEMERAL)  # load balancers answering clients
        add(True, "-1", vpc_cidr, ALL_PORTS)  # load balancers to targets; NAT replies to the app tier
    elif tier == "app":
        add(False, "-1", vpc_cidr, ALL_PORTS)
        add(False, "tcp", ANYWHERE, EPHEMERAL)  # replies from the internet (through NAT) and peered cells
        for cidr in peer_app_cidrs:
            add(False, "tcp", cidr, _tcp(HTTPS))  # calls from the other cells' app tiers
        add(True, "-1", vpc_cidr, ALL_PORTS)
        add(True, "tcp", ANYWHERE, _tcp(HTTPS))  # out through NAT, and to peered cells
        for cidr in peer_app_cidrs:
            add(True, "tcp", cidr, EPHEMERAL)  # replies to the other cells' calls
    elif tier == "data":
        # Only the VPC itself, only the database and broker ports. Aurora global and MSK
        # Replicator replicate over AWS's network, not our peering: no peer cell CIDRs here.
        for port in (POSTGRES, KAFKA_SASL_IAM, KAFKA_TLS):
            add(False, "tcp", vpc_cidr, _tcp(port))
        add(False, "tcp", vpc_cidr, EPHEMERAL)  # replies to the data tier's own calls (below)
        add(True, "tcp", vpc_cidr, EPHEMERAL)  # replies to clients
        add(True, "tcp", vpc_cidr, _tcp(HTTPS))  # to the interface endpoints
        add(True, "tcp", vpc_cidr, _tcp(KAFKA_SASL_IAM))  # MSK Replicator ENIs to brokers in other AZs
    elif tier == "endpoints":
        add(False, "tcp", vpc_cidr, _tcp(HTTPS))
        add(True, "tcp", vpc_cidr, EPHEMERAL)
    # Rules are evaluated lowest number first, so this deny (below the allows' 100+) takes RDP out of
    # the ephemeral allows from ANYWHERE. Cost: replies to a NAT gateway connection that happened to
    # use source port 3389 (NAT picks 1024-65535) are dropped on the public tier; app-tier nodes
    # use Linux's 32768-60999 and lose nothing.
    if any(not r.egress and r.cidr == ANYWHERE and r.ports[0] <= RDP <= r.ports[1] for r in rules):
        rules.append(NaclRule(False, 90, "tcp", ANYWHERE, _tcp(RDP), action="deny"))
    return tuple(rules)


# -- RegionalNetwork ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalNetworkArgs:
    """Inputs of `RegionalNetwork`; plain values come from the cell's config.

    `peer_app_cidrs` are the app subnets of the cells this one is peered with (from the subnet
    plan of their config): the app tier admits HTTPS from them. Empty without peering.
    `zone_ids` pins the cell's AZs by AZ ID, in AZ order (`finstack:regions[].zoneIds`); empty:
    the `azs` lowest AZ IDs Amazon EKS supports (`components.zones.choose_zones`).
    """

    region: str
    cidr: str
    azs: int
    environment: str
    nat_gateways: NatMode
    log_retention_days: int
    logs_key_arn: pulumi.Input[str]
    peer_app_cidrs: tuple[str, ...] = ()
    zone_ids: tuple[str, ...] = ()


class RegionalNetwork(pulumi.ComponentResource):
    """VPC, tiered subnets, routing, NAT, network ACLs, security groups, flow logs and endpoints of one cell."""

    region: str
    """The cell's region."""
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: pulumi.Output[list[str]]
    """AZ names (as this account names them) in the order of every per-AZ list below."""
    availability_zone_ids: pulumi.Output[list[str]]
    """The same AZs by AZ ID (`use1-az1`): the physical zones, the same in every account."""
    public_subnet_ids: list[pulumi.Output[str]]
    app_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    endpoint_subnet_ids: list[pulumi.Output[str]]
    app_subnet_cidrs: tuple[str, ...]
    """The app subnets' CIDRs (AZ order), what peered cells route to."""
    app_route_table_ids: list[pulumi.Output[str]]
    """One per AZ: the only route tables that get peering routes."""
    lb_sg_id: pulumi.Output[str]
    app_sg_id: pulumi.Output[str]
    db_sg_id: pulumi.Output[str]
    kafka_sg_id: pulumi.Output[str]
    endpoints_sg_id: pulumi.Output[str]
    flow_log_group_name: pulumi.Output[str]
    bpa_exclusions: list[aws.ec2.VpcBlockPublicAccessExclusion]
    """The public subnets' BPA exclusions: what must exist before a blocking mode is turned on."""
    bpa_exclusion_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: RegionalNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:network:RegionalNetwork", name, None, opts)
        self._name = name
        self._args = args
        self.region = args.region
        self.vpc_cidr = args.cidr

        self._vpc = self._create_vpc()
        zones = self._lookup_zones()
        self.availability_zones = zones.apply(lambda chosen: [z.name for z in chosen])
        self.availability_zone_ids = zones.apply(lambda chosen: [z.zone_id for z in chosen])
        subnets = self._create_subnets()
        igw, nats = self._create_gateways(subnets["public"])
        self.bpa_exclusions = self._create_bpa_exclusions(subnets[BPA_EXCLUDED_TIER])
        route_tables = self._create_routing(subnets, igw, nats)
        self._create_default_lockdown()
        self._create_nacls(subnets)
        groups = self._create_security_groups()
        log_group = self._create_flow_logs()
        self._create_endpoints(subnets["endpoints"], route_tables, groups["endpoints"])

        self.vpc_id = self._vpc.id
        self.public_subnet_ids = [s.id for s in subnets["public"]]
        self.app_subnet_ids = [s.id for s in subnets["app"]]
        self.data_subnet_ids = [s.id for s in subnets["data"]]
        self.endpoint_subnet_ids = [s.id for s in subnets["endpoints"]]
        self.app_subnet_cidrs = tuple(str(c) for c in tier_cidrs(IPv4Network(args.cidr), args.azs, "app"))
        self.app_route_table_ids = [rt.id for rt in route_tables["app"]]
        self.lb_sg_id = groups["lb"].id
        self.app_sg_id = groups["app"].id
        self.db_sg_id = groups["db"].id
        self.kafka_sg_id = groups["kafka"].id
        self.endpoints_sg_id = groups["endpoints"].id
        self.flow_log_group_name = log_group.name
        self.bpa_exclusion_ids = [e.id for e in self.bpa_exclusions]
        self.register_outputs(
            {
                "region": self.region,
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "availability_zones": self.availability_zones,
                "availability_zone_ids": self.availability_zone_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "app_subnet_ids": self.app_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "endpoint_subnet_ids": self.endpoint_subnet_ids,
                "app_subnet_cidrs": list(self.app_subnet_cidrs),
                "app_route_table_ids": self.app_route_table_ids,
                "lb_sg_id": self.lb_sg_id,
                "app_sg_id": self.app_sg_id,
                "db_sg_id": self.db_sg_id,
                "kafka_sg_id": self.kafka_sg_id,
                "endpoints_sg_id": self.endpoints_sg_id,
                "flow_log_group_name": self.flow_log_group_name,
                "bpa_exclusion_ids": self.bpa_exclusion_ids,
            }
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _opts(
        self, parent: pulumi.Resource | None = None, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        """Children hang under this cell (or a natural owner) and never get the component's own opts."""
        return pulumi.ResourceOptions(parent=parent or self, depends_on=list(depends_on) or None)

    def _tags(self, child: str, **extra: str) -> dict[str, str]:
        """Cell tags plus `Name` (what the console shows) = the child's logical name."""
        return {**cell_tags(self._args.region, **extra), "Name": child}

    # -- VPC and subnets --------------------------------------------------------------------------
    def _create_vpc(self) -> aws.ec2.Vpc:
        name = f"{self._name}-vpc"
        return aws.ec2.Vpc(
            name,
            cidr_block=self._args.cidr,
            # Both are needed for private DNS of interface endpoints and for EKS node registration.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            region=self._args.region,
            tags=self._tags(name),
            opts=self._opts(),
        )

    def _lookup_zones(self) -> pulumi.Output[tuple[Zone, ...]]:
        """The cell's AZs, chosen by AZ ID.

        Names map to physical zones differently per account, and the first names can be a zone
        where EKS refuses cluster subnets (use1-az3 in us-east-1).
        """
        azs, region, requested = self._args.azs, self._args.region, self._args.zone_ids
        zones = aws.get_availability_zones_output(
            region=region,
            state="available",
            # Standard AZs only: Local and Wavelength Zones are opt-in and lack most services.
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )

        def choose(answer: list[list[str]]) -> tuple[Zone, ...]:
            names, zone_ids = answer
            # Pairwise: the provider sorts the zones by name and appends each one's name and ID in
            # the same loop (terraform-provider-aws ec2_availability_zones_data_source.go).
            return choose_zones(region, list(zip(names, zone_ids, strict=True)), azs, requested)

        return pulumi.Output.all(zones.names, zones.zone_ids).apply(choose)

    def _create_subnets(self) -> dict[Tier, list[aws.ec2.Subnet]]:
        subnets: dict[Tier, list[aws.ec2.Subnet]] = {tier: [] for tier in TIERS}
        for planned in plan_subnets(IPv4Network(self._args.cidr), self._args.azs):
            name = f"{self._name}-{planned.tier}-{az_suffix(planned.az_index)}"
            extra = {"kubernetes.io/role/elb": "1"} if planned.tier == "public" else {}
            subnets[planned.tier].append(
                aws.ec2.Subnet(
                    name,
                    vpc_id=self._vpc.id,
                    cidr_block=str(planned.cidr),
                    # By name, though chosen by ID: the provider's `availability_zone_id` conflicts
                    # with it and "is not supported in all regions or partitions" (pulumi_aws
                    # ec2.Subnet docs; ConflictsWith in terraform-provider-aws
                    # internal/service/ec2/vpc_subnet.go). The name comes from the same
                    # DescribeAvailabilityZones answer as the ID, so it is that physical zone.
                    availability_zone=self.availability_zones.apply(_nth(planned.az_index)),
                    # Nothing gets a public address by accident: load balancers and NAT gateways
                    # bring their own Elastic IPs.
                    map_public_ip_on_launch=False,
                    region=self._args.region,
                    # The AWS Load Balancer Controller places internet-facing load balancers by this tag.
                    tags={**self._tags(name, tier=planned.tier), **extra},
                    opts=self._opts(),
                )
            )
        return subnets

    # -- gateways and routing ---------------------------------------------------------------------
    def _create_gateways(
        self, public: list[aws.ec2.Subnet]
    ) -> tuple[aws.ec2.InternetGateway, list[aws.ec2.NatGateway]]:
        region = self._args.region
        igw = aws.ec2.InternetGateway(
            f"{self._name}-igw",
            vpc_id=self._vpc.id,
            region=region,
            tags=self._tags(f"{self._name}-igw"),
            opts=self._opts(),
        )
        # per-az: each AZ's app tier leaves through its own AZ, so losing an AZ loses no egress.
        # single: one gateway in the first AZ (dev); the name stays `-nat-a` so switching modes
        # adds or removes gateways without replacing the first.
        count = len(public) if self._args.nat_gateways == "per-az" else 1
        nats: list[aws.ec2.NatGateway] = []
        for index in range(count):
            suffix = az_suffix(index)
            eip = aws.ec2.Eip(
                f"{self._name}-nat-eip-{suffix}",
                domain="vpc",
                region=region,
                tags=self._tags(f"{self._name}-nat-eip-{suffix}"),
                opts=self._opts(),
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{suffix}",
                    allocation_id=eip.allocation_id,
                    subnet_id=public[index].id,
                    connectivity_type="public",
                    region=region,
                    tags=self._tags(f"{self._name}-nat-{suffix}"),
                    # A public NAT gateway created before the IGW is attached comes up without a
                    # working route out; AWS documents the ordering.
                    opts=self._opts(depends_on=[igw]),
                )
            )
        return igw, nats

    def _create_bpa_exclusions(self, subnets: list[aws.ec2.Subnet]) -> list[aws.ec2.VpcBlockPublicAccessExclusion]:
        """One exclusion per public subnet, so the load balancers and NAT gateways keep the internet.

        Exclusions may be created while BPA is off ("You can create BPA exclusions ... even when BPA
        is not enabled on the account to ensure that there is no traffic disruption to the
        exclusions when VPC BPA is turned on", EC2 API reference CreateVpcBlockPublicAccessExclusion),
        so they come first and the blocking mode waits for them (components/posture.py).
        """
        exclusions = []
        for index, subnet in enumerate(subnets):
            name = f"{self._name}-{BPA_EXCLUDED_TIER}-{az_suffix(index)}-bpa-exclusion"
            exclusions.append(
                aws.ec2.VpcBlockPublicAccessExclusion(
                    name,
                    subnet_id=subnet.id,
                    internet_gateway_exclusion_mode=BPA_EXCLUSION_MODE,
                    region=self._args.region,
                    tags=self._tags(name, tier=BPA_EXCLUDED_TIER),
                    opts=self._opts(parent=subnet),
                )
            )
        return exclusions

    def _route_table(self, name: str, tier: Tier) -> aws.ec2.RouteTable:
        # Routes are standalone `aws.ec2.Route`s, never inline: CellPeering adds routes to the app
        # tables, and inline routes would remove them on the next update.
        return aws.ec2.RouteTable(
            name,
            vpc_id=self._vpc.id,
            region=self._args.region,
            tags=self._tags(name, tier=tier),
            opts=self._opts(),
        )

    def _associate(self, tier: Tier, subnet: aws.ec2.Subnet, index: int, table: aws.ec2.RouteTable) -> None:
        aws.ec2.RouteTableAssociation(
            f"{self._name}-{tier}-rta-{az_suffix(index)}",
            subnet_id=subnet.id,
            route_table_id=table.id,
            region=self._args.region,
            opts=self._opts(),
        )

    def _create_routing(
        self,
        subnets: dict[Tier, list[aws.ec2.Subnet]],
        igw: aws.ec2.InternetGateway,
        nats: list[aws.ec2.NatGateway],
    ) -> dict[Tier, list[aws.ec2.RouteTable]]:
        region = self._args.region
        tables: dict[Tier, list[aws.ec2.RouteTable]] = {}

        public = self._route_table(f"{self._name}-public-rt", "public")
        aws.ec2.Route(
            f"{self._name}-public-rt-internet",
            route_table_id=public.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=igw.id,
            region=region,
            opts=self._opts(parent=public),
        )
        tables["public"] = [public]

        # One app table per AZ: each points at its AZ's NAT gateway (or the single one).
        tables["app"] = []
        for index in range(len(subnets["app"])):
            table = self._route_table(f"{self._name}-app-rt-{az_suffix(index)}", "app")
            aws.ec2.Route(
                f"{self._name}-app-rt-{az_suffix(index)}-internet",
                route_table_id=table.id,
                destination_cidr_block=ANYWHERE,
                nat_gateway_id=nats[min(index, len(nats) - 1)].id,
                region=region,
                opts=self._opts(parent=table),
            )
            tables["app"].append(table)

        # Data and endpoints: the local route only (plus the S3 gateway prefix list on data).
        # Explicit tables, so a route someone adds to the VPC's main table never reaches them.
        tables["data"] = [self._route_table(f"{self._name}-data-rt", "data")]
        tables["endpoints"] = [self._route_table(f"{self._name}-endpoints-rt", "endpoints")]

        for tier in TIERS:
            for index, subnet in enumerate(subnets[tier]):
                per_az = tables[tier]
                self._associate(tier, subnet, index, per_az[index] if len(per_az) > 1 else per_az[0])
        return tables

    # -- network ACLs -----------------------------------------------------------------------------
    def _create_default_lockdown(self) -> None:
        """Adopt the VPC's default security group and network ACL and leave them without rules.

        Nothing in the cell uses them (every subnet has its tier's ACL, every ENI a role group);
        an ENI or subnet that falls back to them by mistake gets no traffic instead of AWS's
        allow-all defaults.
        """
        region = self._args.region
        aws.ec2.DefaultSecurityGroup(
            f"{self._name}-default-sg",
            vpc_id=self._vpc.id,
            ingress=[],
            egress=[],
            region=region,
            tags=self._tags(f"{self._name}-default-sg"),
            opts=self._opts(),
        )
        aws.ec2.DefaultNetworkAcl(
            f"{self._name}-default-nacl",
            default_network_acl_id=self._vpc.default_network_acl_id,
            ingress=[],
            egress=[],
            region=region,
            tags=self._tags(f"{self._name}-default-nacl"),
            # Every subnet starts in the default ACL until its tier ACL adopts it, and one created
            # outside this program (or orphaned by a replaced tier ACL) stays there. The provider
            # reads those associations into subnetIds but cannot remove a subnet from the default
            # ACL, so an unmanaged subnetIds is a diff on every preview that no `up` clears
            # (provider docs "Managing Subnets In A Default Network ACL";
            # terraform-aws-modules/terraform-aws-vpc#736/#737). The tier ACLs own the associations.
            opts=pulumi.ResourceOptions.merge(self._opts(), pulumi.ResourceOptions(ignore_changes=["subnetIds"])),
        )

    def _create_nacls(self, subnets: dict[Tier, list[aws.ec2.Subnet]]) -> None:
        for tier in TIERS:
            rules = nacl_rules(tier, self._args.cidr, self._args.peer_app_cidrs)
            name = f"{self._name}-{tier}-nacl"
            aws.ec2.NetworkAcl(
                name,
                vpc_id=self._vpc.id,
                subnet_ids=[s.id for s in subnets[tier]],
                ingress=[_nacl_ingress(r) for r in rules if not r.egress],
                egress=[_nacl_egress(r) for r in rules if r.egress],
                region=self._args.region,
                tags=self._tags(name, tier=tier),
                opts=self._opts(),
            )

    # -- security groups --------------------------------------------------------------------------
    def _create_security_groups(self) -> dict[Role, aws.ec2.SecurityGroup]:
        groups: dict[Role, aws.ec2.SecurityGroup] = {}
        for role in ROLES:
            name = f"{self._name}-{role}-sg"
            # No inline rules: the provider then removes AWS's default allow-all egress, and the
            # standalone rules below can reference groups in both directions without a cycle.
            groups[role] = aws.ec2.SecurityGroup(
                name,
                vpc_id=self._vpc.id,
                description=f"finstack {role} tier of cell {self._args.region}",
                region=self._args.region,
                tags=self._tags(name, role=role),
                opts=self._opts(),
            )
        for rule in SG_RULES:
            for peer in self._rule_targets(rule, groups):
                self._create_sg_rule(rule, peer, groups[rule.role])
        return groups

    def _rule_targets(self, rule: SgRule, groups: dict[Role, aws.ec2.SecurityGroup]) -> list[_Peer]:
        """Every concrete peer of `rule.peer`: a referenced group, or CIDRs."""
        if rule.peer == "internet":
            return [_Peer("internet", cidr_ipv4=ANYWHERE)]
        if rule.peer == "vpc":
            return [_Peer("vpc", cidr_ipv4=self._args.cidr)]
        if rule.peer == "peer-cells":
            return [_Peer(_slug(cidr), cidr_ipv4=cidr) for cidr in self._args.peer_app_cidrs]
        return [_Peer(rule.peer, group_id=groups[rule.peer].id)]

    def _create_sg_rule(self, rule: SgRule, peer: _Peer, group: aws.ec2.SecurityGroup) -> None:
        ports = "all" if rule.ports is None else "-".join(str(p) for p in sorted(set(rule.ports)))
        direction = "in" if rule.direction == "ingress" else "out"
        name = f"{self._name}-{rule.role}-{direction}-{peer.label}-{ports}"
        rule_type = aws.vpc.SecurityGroupIngressRule if rule.direction == "ingress" else aws.vpc.SecurityGroupEgressRule
        rule_type(
            name,
            security_group_id=group.id,
            ip_protocol="-1" if rule.ports is None else "tcp",
            from_port=None if rule.ports is None else rule.ports[0],
            to_port=None if rule.ports is None else rule.ports[1],
            cidr_ipv4=peer.cidr_ipv4,
            referenced_security_group_id=peer.group_id,
            description=rule.why,
            region=self._args.region,
            tags=self._tags(name, role=rule.role),
            opts=self._opts(parent=group),
        )

    # -- flow logs --------------------------------------------------------------------------------
    def _create_flow_logs(self) -> aws.cloudwatch.LogGroup:
        region, name = self._args.region, self._name
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/finstack/{self._args.environment}/{region}/vpc-flow-logs",
            kms_key_id=self._args.logs_key_arn,
            retention_in_days=self._args.log_retention_days,
            # Audit evidence: DeleteLogGroup fails while deletion protection is on ("Protecting log
            # groups from deletion", CloudWatch Logs User Guide). Prod only; dev is rebuilt daily.
            deletion_protection_enabled=self._args.environment == "prod",
            region=region,
            tags=self._tags(f"{name}-flow-logs"),
            opts=self._opts(),
        )
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description=f"VPC flow log delivery of cell {region}",
            assume_role_policy=account_id.apply(
                lambda account: iam_docs.dumps(
                    iam_docs.assume_role_policy(
                        "vpc-flow-logs.amazonaws.com",
                        source_account=account,
                        source_arn=f"arn:{iam_docs.PARTITION}:ec2:{region}:{account}:vpc-flow-log/*",
                    )
                )
            ),
            tags=cell_tags(region),
            opts=self._opts(),
        )
        delivery = aws.iam.RolePolicy(
            f"{name}-flow-logs-delivery",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: iam_docs.dumps(flow_log_delivery_policy(arn))),
            opts=self._opts(parent=role),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self._vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            log_format=FLOW_LOG_FORMAT,
            max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS,
            region=region,
            tags=self._tags(f"{name}-flow-log"),
            # Delivery starts at creation; without the role's policy in place the first
            # deliveries fail and the flow log reports an access error.
            opts=self._opts(depends_on=[delivery]),
        )
        return log_group

    # -- VPC endpoints ----------------------------------------------------------------------------
    def _create_endpoints(
        self,
        subnets: list[aws.ec2.Subnet],
        route_tables: dict[Tier, list[aws.ec2.RouteTable]],
        group: aws.ec2.SecurityGroup,
    ) -> None:
        region = self._args.region
        # S3 gateway: ECR image layers and other S3 traffic stay on AWS's network, free of NAT
        # charges. No endpoint policy: ECR layers live in AWS-owned buckets that an
        # account-scoped policy would cut off.
        aws.ec2.VpcEndpoint(
            f"{self._name}-s3-endpoint",
            vpc_id=self._vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in [*route_tables["app"], *route_tables["data"]]],
            region=region,
            tags=self._tags(f"{self._name}-s3-endpoint"),
            opts=self._opts(),
        )
        for service, _client in INTERFACE_ENDPOINTS:
            name = f"{self._name}-{service.replace('.', '-')}-endpoint"
            aws.ec2.VpcEndpoint(
                name,
                vpc_id=self._vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                # The service's public hostname resolves to the endpoint inside the VPC, so SDKs
                # need no endpoint configuration.
                private_dns_enabled=True,
                subnet_ids=[s.id for s in subnets],
                security_group_ids=[group.id],
                region=region,
                tags=self._tags(name),
                opts=self._opts(),
            )


def flow_log_delivery_policy(log_group_arn: str) -> iam_docs.Document:
    """What VPC flow logs need to deliver into one log group, and nothing else."""
    return iam_docs.document(
        iam_docs.statement(
            "DeliverToFlowLogGroup",
            ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
            [log_group_arn, f"{log_group_arn}:*"],
        )
    )


def _nacl_ingress(rule: NaclRule) -> aws.ec2.NetworkAclIngressArgs:
    return aws.ec2.NetworkAclIngressArgs(
        rule_no=rule.rule_no,
        action=rule.action,
        protocol=rule.protocol,
        cidr_block=rule.cidr,
        from_port=rule.ports[0],
        to_port=rule.ports[1],
    )


def _nacl_egress(rule: NaclRule) -> aws.ec2.NetworkAclEgressArgs:
    return aws.ec2.NetworkAclEgressArgs(
        rule_no=rule.rule_no,
        action=rule.action,
        protocol=rule.protocol,
        cidr_block=rule.cidr,
        from_port=rule.ports[0],
        to_port=rule.ports[1],
    )


@dataclass(frozen=True)
class _Peer:
    """The other side of one security group rule: `label` goes into the rule's name."""

    label: str
    cidr_ipv4: str | None = None
    group_id: pulumi.Input[str] | None = None


def _nth(index: int) -> Callable[[list[str]], str]:
    return lambda names: names[index]


def _slug(cidr: str) -> str:
    """10.20.0.0/18 -> 10-20-0-0-18: a CIDR inside a logical name."""
    return cidr.replace(".", "-").replace("/", "-")


# -- CellPeering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeeringCell:
    """What peering needs of one cell (built from its `RegionalNetwork`)."""

    region: str
    vpc_id: pulumi.Input[str]
    app_subnet_cidrs: tuple[str, ...]
    app_route_table_ids: tuple[pulumi.Input[str], ...]

    @staticmethod
    def of(network: RegionalNetwork) -> PeeringCell:
        """The peering view of a cell's network."""
        return PeeringCell(
            region=network.region,
            vpc_id=network.vpc_id,
            app_subnet_cidrs=network.app_subnet_cidrs,
            app_route_table_ids=tuple(network.app_route_table_ids),
        )


@dataclass(frozen=True)
class CellPeeringArgs:
    """The cells to connect, in config order (the earlier cell of each pair requests)."""

    cells: tuple[PeeringCell, ...]

    def __post_init__(self) -> None:
        regions = [c.region for c in self.cells]
        if len(set(regions)) != len(regions):
            raise ValueError(f"cells {regions} list a region twice; inter-region peering needs one VPC per region")


def peering_pairs(regions: Sequence[str]) -> list[tuple[str, str]]:
    """Full mesh: every unordered pair of regions once, the earlier (config order) one requesting."""
    return list(itertools.combinations(regions, 2))


class CellPeering(pulumi.ComponentResource):
    """Inter-region VPC peering between every pair of cells, routed from app tiers to app tiers only.

    The data tiers get no route to a peer (their replication is AWS-managed), and the public
    and endpoint tiers none either: only the app route tables learn the peers' app subnets.
    """

    connection_ids: dict[str, pulumi.Output[str]]
    """`"<requester>/<accepter>"` -> peering connection id."""

    def __init__(self, name: str, args: CellPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:network:CellPeering", name, None, opts)
        by_region = {c.region: c for c in args.cells}
        self.connection_ids = {}
        for requester_region, accepter_region in peering_pairs([c.region for c in args.cells]):
            requester, accepter = by_region[requester_region], by_region[accepter_region]
            connection_id = self._connect(name, requester, accepter)
            self.connection_ids[f"{requester.region}/{accepter.region}"] = connection_id
            self._route(name, requester, accepter, connection_id)
            self._route(name, accepter, requester, connection_id)
        self.register_outputs({"connection_ids": self.connection_ids})

    def _connect(self, name: str, requester: PeeringCell, accepter: PeeringCell) -> pulumi.Output[str]:
        pair = f"{name}-{requester.region}-{accepter.region}"
        connection = aws.ec2.VpcPeeringConnection(
            pair,
            vpc_id=requester.vpc_id,
            peer_vpc_id=accepter.vpc_id,
            peer_region=accepter.region,
            # Inter-region peering cannot be auto-accepted by the requester; the accepter below does it.
            auto_accept=False,
            region=requester.region,
            tags={**cell_tags(requester.region), "Name": pair},
            opts=pulumi.ResourceOptions(parent=self),
        )
        accepted = aws.ec2.VpcPeeringConnectionAccepter(
            f"{pair}-accepter",
            vpc_peering_connection_id=connection.id,
            auto_accept=True,
            region=accepter.region,
            tags={**cell_tags(accepter.region), "Name": pair},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The accepter's id is the connection's id; routing through it orders every route after
        # acceptance (a route to a pending connection is rejected).
        return accepted.id

    def _route(self, name: str, source: PeeringCell, peer: PeeringCell, connection_id: pulumi.Input[str]) -> None:
        for table_index, table_id in enumerate(source.app_route_table_ids):
            for cidr_index, cidr in enumerate(peer.app_subnet_cidrs):
                aws.ec2.Route(
                    f"{name}-{source.region}-app-{az_suffix(table_index)}-to-{peer.region}-app-{az_suffix(cidr_index)}",
                    route_table_id=table_id,
                    destination_cidr_block=cidr,
                    vpc_peering_connection_id=connection_id,
                    region=source.region,
                    opts=pulumi.ResourceOptions(parent=self),
                )
