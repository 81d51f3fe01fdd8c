"""RegionalNetwork and CellPeering: the shipped stacks' cells, their variants, and the pure rule tables."""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pytest

from components.network import (
    ANYWHERE,
    EPHEMERAL,
    INTERFACE_ENDPOINTS,
    KAFKA_SASL_IAM,
    KAFKA_TLS,
    POSTGRES,
    ROLES,
    SG_RULES,
    CellPeering,
    CellPeeringArgs,
    PeeringCell,
    RegionalNetwork,
    RegionalNetworkArgs,
    nacl_rules,
    peering_pairs,
)
from components.subnet_plan import TIERS, plan_subnets, tier_cidrs
from components.zones import choose_zones, eks_supports, eks_unsupported
from finstack.engine.fake_cloud import offline_zones
from finstack.engine.recording import ResourceRecord
from tests.plan import Plan, plan_of, plan_with, shipped_config, shipped_plan

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
NACL = "aws:ec2/networkAcl:NetworkAcl"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PCX = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
KEY_TYPES = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
OWN_COMPONENTS = (
    "finstack:network:RegionalNetwork",
    "finstack:network:CellPeering",
    "finstack:security:MultiRegionKeys",
    "finstack:observability:AlertTopic",
)
GLOBAL_TYPES = ("aws:iam/",)


def tag(record: ResourceRecord, key: str) -> str | None:
    return (record.inputs.get("tags") or {}).get(key)


def cell_of(plan: Plan, type_: str, region: str) -> list[ResourceRecord]:
    return [r for r in plan.of_type(type_, region) if tag(r, "finstack:cell") == region]


def by_id(plan: Plan, type_: str) -> dict[str, ResourceRecord]:
    return {r.id: r for r in plan.of_type(type_)}


def ports(rule: dict[str, Any] | ResourceRecord) -> tuple[int, int]:
    inputs = rule.inputs if isinstance(rule, ResourceRecord) else rule
    return int(inputs.get("fromPort") or 0), int(inputs.get("toPort") or 0)


def owned_by(plan: Plan, record: ResourceRecord, types: tuple[str, ...]) -> bool:
    parents = plan.by_urn
    current: ResourceRecord | None = record
    while current is not None and current.parent:
        current = parents.get(current.parent)
        if current is not None and current.type in types:
            return True
    return False


def add_region(raw: dict[str, Any]) -> None:
    raw["finstack:regions"].append({"name": "us-east-2", "cidr": "10.30.0.0/16", "azs": 3, "role": "secondary"})
    # An ARC Region switch plan spans two regions: a third cell runs without ARC.
    raw["finstack:traffic"]["arcEnabled"] = False
    # One cell carries all three cells' nodes after a failover (6 desired x 3).
    raw["finstack:eks"]["nodeMaxSize"] = 18


@pytest.fixture(scope="module")
def prod() -> Plan:
    return shipped_plan("prod")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return shipped_plan("dev")


@pytest.fixture(scope="module")
def three_regions() -> Plan:
    return plan_with("prod", add_region)


@pytest.fixture(scope="module")
def unpeered() -> Plan:
    return plan_with("prod", lambda raw: raw["finstack:network"].update(crossRegionPeering=False))


# -- VPC and subnets ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_regional_network__one_vpc_per_cell_with_dns(stack: str) -> None:
    plan = shipped_plan(stack)
    for cell in shipped_config(stack).regions:
        vpcs = plan.of_type(VPC, cell.name)
        assert len(vpcs) == 1, f"{stack} {cell.name}: {[v.urn for v in vpcs]}"
        vpc = vpcs[0]
        assert vpc.inputs["cidrBlock"] == str(cell.cidr), vpc.urn
        assert vpc.inputs["enableDnsSupport"] is True, vpc.urn
        assert vpc.inputs["enableDnsHostnames"] is True, vpc.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_regional_network__every_az_gets_one_subnet_of_every_tier_as_planned(stack: str) -> None:
    plan = shipped_plan(stack)
    for cell in shipped_config(stack).regions:
        vpc = plan.of_type(VPC, cell.name)[0]
        subnets = plan.of_type(SUBNET, cell.name)
        got = {(tag(s, "finstack:tier"), s.inputs["availabilityZone"], s.inputs["cidrBlock"]) for s in subnets}
        zones = choose_zones(cell.name, offline_zones(cell.name), cell.azs)
        expected = {(p.tier, zones[p.az_index].name, str(p.cidr)) for p in plan_subnets(cell.cidr, cell.azs)}
        assert got == expected, f"{stack} {cell.name}: {sorted(got ^ expected)}"
        for subnet in subnets:
            assert subnet.inputs["vpcId"] == vpc.id, subnet.urn
            assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet.urn


def test_regional_network__public_subnets_tagged_for_internet_facing_load_balancers(prod: Plan) -> None:
    for subnet in prod.of_type(SUBNET):
        expected = "1" if tag(subnet, "finstack:tier") == "public" else None
        assert tag(subnet, "kubernetes.io/role/elb") == expected, subnet.urn


def test_regional_network__subnets_route_tables_and_nacls_carry_cell_and_tier(prod: Plan) -> None:
    for type_ in (SUBNET, ROUTE_TABLE, NACL):
        for record in prod.of_type(type_):
            assert tag(record, "finstack:cell") == record.region, record.urn
            assert tag(record, "finstack:tier") in TIERS, record.urn


# -- routing --------------------------------------------------------------------------------------


def table_of_subnets(plan: Plan) -> dict[str, ResourceRecord]:
    """subnet id -> its route table record."""
    tables = by_id(plan, ROUTE_TABLE)
    return {a.inputs["subnetId"]: tables[a.inputs["routeTableId"]] for a in plan.of_type(ASSOCIATION)}


def test_routing__every_subnet_explicitly_uses_its_tiers_route_table(prod: Plan) -> None:
    tables = table_of_subnets(prod)
    for subnet in prod.of_type(SUBNET):
        assert subnet.id in tables, f"{subnet.urn} falls back to the VPC's main route table"
        table = tables[subnet.id]
        assert tag(table, "finstack:tier") == tag(subnet, "finstack:tier"), f"{subnet.urn} -> {table.urn}"
        assert table.region == subnet.region, subnet.urn


def test_routing__data_and_endpoint_tiers_have_no_route_out_of_the_vpc(prod: Plan) -> None:
    tables = by_id(prod, ROUTE_TABLE)
    for table in tables.values():
        assert not table.inputs.get("routes"), f"{table.urn} has inline routes"
    for route in prod.of_type(ROUTE):
        table = tables[route.inputs["routeTableId"]]
        assert tag(table, "finstack:tier") not in ("data", "endpoints"), f"{route.urn} routes out of {table.urn}"


def test_routing__only_the_public_tier_reaches_the_internet_gateway(prod: Plan) -> None:
    tables = by_id(prod, ROUTE_TABLE)
    igws = by_id(prod, IGW)
    to_igw = [r for r in prod.of_type(ROUTE) if r.inputs.get("gatewayId") in igws]
    assert len(to_igw) == len(prod.regions), [r.urn for r in to_igw]
    for route in to_igw:
        table = tables[route.inputs["routeTableId"]]
        assert tag(table, "finstack:tier") == "public", route.urn
        assert route.inputs["destinationCidrBlock"] == ANYWHERE, route.urn
        assert igws[route.inputs["gatewayId"]].region == route.region == table.region, route.urn


def test_routing__app_tier_leaves_through_its_own_azs_nat_gateway(prod: Plan) -> None:
    tables = by_id(prod, ROUTE_TABLE)
    nats = by_id(prod, NAT)
    subnets = by_id(prod, SUBNET)
    app_tables = [t for t in tables.values() if tag(t, "finstack:tier") == "app"]
    assert len(app_tables) == sum(c.azs for c in shipped_config("prod").regions)
    for table in app_tables:
        routes = [r for r in prod.of_type(ROUTE) if r.inputs["routeTableId"] == table.id]
        defaults = [r for r in routes if "natGatewayId" in r.inputs]
        assert len(defaults) == 1, f"{table.urn}: {[r.urn for r in defaults]}"
        route = defaults[0]
        assert route.inputs["destinationCidrBlock"] == ANYWHERE, route.urn
        nat = nats[route.inputs["natGatewayId"]]
        nat_subnet = subnets[nat.inputs["subnetId"]]
        assert tag(nat_subnet, "finstack:tier") == "public", nat.urn
        assert table.name[-1] == nat_subnet.name[-1], f"{route.urn} crosses AZs to {nat.urn}"


@pytest.mark.parametrize(("stack", "per_region"), [("prod", 3), ("dev", 1)])
def test_nat_gateways__per_az_in_prod_single_in_dev(stack: str, per_region: int) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        nats = plan.of_type(NAT, region)
        assert len(nats) == per_region, f"{stack} {region}: {[n.urn for n in nats]}"
        for nat in nats:
            assert nat.inputs["connectivityType"] == "public", nat.urn
            assert any(dep.endswith("-igw") for dep in nat.dependencies), f"{nat.urn} must wait for the IGW"


def test_nat_gateways__single_mode_routes_every_app_az_through_the_one_gateway() -> None:
    plan = plan_with("prod", lambda raw: raw["finstack:network"].update(natGateways="single"))
    for region in plan.regions:
        nats = plan.of_type(NAT, region)
        assert [n.name for n in nats] == [f"cell-{region}-nat-a"], [n.urn for n in nats]
        app_routes = [r for r in plan.of_type(ROUTE, region) if "natGatewayId" in r.inputs]
        assert len(app_routes) == 3, [r.urn for r in app_routes]
        for route in app_routes:
            assert route.inputs["natGatewayId"] == nats[0].id, route.urn


# -- default security group and network ACLs ------------------------------------------------------


def test_defaults__default_security_group_and_nacl_are_adopted_without_rules(prod: Plan) -> None:
    for region in prod.regions:
        vpc = prod.of_type(VPC, region)[0]
        (dsg,) = prod.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", region)
        assert dsg.inputs["vpcId"] == vpc.id, dsg.urn
        assert dsg.inputs.get("ingress") == [] and dsg.inputs.get("egress") == [], dsg.urn
        (dacl,) = prod.of_type("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", region)
        assert dacl.inputs["defaultNetworkAclId"] == vpc.outputs["defaultNetworkAclId"], dacl.urn
        assert dacl.inputs.get("ingress") == [] and dacl.inputs.get("egress") == [], dacl.urn


def test_defaults__default_nacl_ignores_its_subnet_associations(prod: Plan) -> None:
    # Given a subnet that leaves the default ACL only when its tier ACL adopts it (and one created
    # outside the program never does), when the provider reads the default ACL, then its
    # subnetIds must not be diffed against the empty config: the provider cannot remove a subnet
    # from the default ACL, so the diff would recur on every preview (docs/real-aws.md).
    for region in prod.regions:
        (dacl,) = prod.of_type("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", region)
        assert "subnetIds" in dacl.ignore_changes, dacl.urn
        assert "subnetIds" not in dacl.inputs, dacl.urn


def test_nacls__every_subnet_is_in_exactly_its_tiers_nacl(prod: Plan) -> None:
    # The default ACL denies everything, so a subnet left in it would be dead.
    members: dict[str, list[ResourceRecord]] = {}
    for nacl in prod.of_type(NACL):
        for subnet_id in nacl.inputs["subnetIds"]:
            members.setdefault(subnet_id, []).append(nacl)
    for subnet in prod.of_type(SUBNET):
        nacls = members.get(subnet.id, [])
        assert len(nacls) == 1, f"{subnet.urn}: {[n.urn for n in nacls]}"
        assert tag(nacls[0], "finstack:tier") == tag(subnet, "finstack:tier"), f"{subnet.urn} -> {nacls[0].urn}"


def test_nacls__data_tier_admits_only_the_vpc_on_database_and_broker_ports(prod: Plan) -> None:
    for region in prod.regions:
        vpc_cidr = prod.of_type(VPC, region)[0].inputs["cidrBlock"]
        (nacl,) = [n for n in prod.of_type(NACL, region) if tag(n, "finstack:tier") == "data"]
        allowed = {(POSTGRES, POSTGRES), (KAFKA_SASL_IAM, KAFKA_SASL_IAM), (KAFKA_TLS, KAFKA_TLS), EPHEMERAL}
        assert {ports(r) for r in nacl.inputs["ingress"]} == allowed, nacl.urn
        for rule in [*nacl.inputs["ingress"], *nacl.inputs["egress"]]:
            assert rule["cidrBlock"] == vpc_cidr, f"{nacl.urn}: {rule}"
            assert rule["protocol"] == "tcp" and rule["action"] == "allow", f"{nacl.urn}: {rule}"


def test_nacls__rule_numbers_unique_per_direction() -> None:
    for tier in TIERS:
        rules = nacl_rules(tier, "10.0.0.0/16", ("10.1.0.0/19", "10.1.32.0/19"))
        for egress in (False, True):
            numbers = [r.rule_no for r in rules if r.egress == egress]
            assert len(numbers) == len(set(numbers)), f"{tier} egress={egress}: {numbers}"


def test_nacls__internet_allows_leave_no_admin_port_open() -> None:
    # Rules are evaluated lowest number first: an allow from anywhere whose range holds 22 or 3389
    # needs a lower-numbered deny for it (Security Hub EC2.21).
    for tier in TIERS:
        rules = nacl_rules(tier, "10.0.0.0/16", ("10.1.0.0/19",))
        for rule in rules:
            if rule.egress or rule.action != "allow" or rule.cidr != "0.0.0.0/0":
                continue
            for port in (22, 3389):
                if rule.ports[0] <= port <= rule.ports[1]:
                    assert any(
                        d.action == "deny" and not d.egress and d.rule_no < rule.rule_no and d.ports == (port, port)
                        for d in rules
                    ), f"{tier}: {rule} admits {port} from anywhere"


def test_nacls__only_public_and_app_tiers_talk_beyond_the_vpc() -> None:
    for tier in ("data", "endpoints"):
        for rule in nacl_rules(tier, "10.0.0.0/16", ("10.1.0.0/19",)):
            assert rule.cidr == "10.0.0.0/16", f"{tier}: {rule}"


def test_nacls__app_tier_admits_peer_app_subnets_on_https_only(prod: Plan) -> None:
    config = shipped_config("prod")
    for cell in config.regions:
        peers = {str(c) for o in config.regions if o.name != cell.name for c in tier_cidrs(o.cidr, o.azs, "app")}
        (nacl,) = [n for n in prod.of_type(NACL, cell.name) if tag(n, "finstack:tier") == "app"]
        from_peers = [r for r in nacl.inputs["ingress"] if r["cidrBlock"] in peers]
        assert {r["cidrBlock"] for r in from_peers} == peers, nacl.urn
        assert all(ports(r) == (443, 443) for r in from_peers), nacl.urn


# -- security groups ------------------------------------------------------------------------------


def groups_by_role(plan: Plan, region: str) -> dict[str, ResourceRecord]:
    return {tag(g, "finstack:role") or "": g for g in plan.of_type(SG, region)}


def test_security_groups__one_per_role_tagged_without_inline_rules(prod: Plan) -> None:
    for region in prod.regions:
        groups = groups_by_role(prod, region)
        assert sorted(groups) == sorted(ROLES), region
        vpc = prod.of_type(VPC, region)[0]
        for group in groups.values():
            assert group.inputs["vpcId"] == vpc.id, group.urn
            assert not group.inputs.get("ingress") and not group.inputs.get("egress"), f"{group.urn} has inline rules"


def rules_of(plan: Plan, type_: str, group: ResourceRecord) -> list[ResourceRecord]:
    return [r for r in plan.of_type(type_) if r.inputs["securityGroupId"] == group.id]


def test_security_groups__db_admits_only_postgres_from_app(prod: Plan) -> None:
    for region in prod.regions:
        groups = groups_by_role(prod, region)
        ingress = rules_of(prod, INGRESS, groups["db"])
        assert len(ingress) == 1, [r.urn for r in ingress]
        rule = ingress[0]
        assert rule.inputs.get("referencedSecurityGroupId") == groups["app"].id, rule.urn
        assert "cidrIpv4" not in rule.inputs, rule.urn
        assert (rule.inputs["ipProtocol"], ports(rule)) == ("tcp", (POSTGRES, POSTGRES)), rule.urn
        assert rules_of(prod, EGRESS, groups["db"]) == [], f"{groups['db'].urn} needs no egress"


def test_security_groups__kafka_admits_broker_ports_from_app_and_itself_only(prod: Plan) -> None:
    for region in prod.regions:
        groups = groups_by_role(prod, region)
        kafka = groups["kafka"]
        got = {(r.inputs["referencedSecurityGroupId"], ports(r)) for r in rules_of(prod, INGRESS, kafka)}
        app = groups["app"].id
        expected = {
            (app, (KAFKA_SASL_IAM, KAFKA_SASL_IAM)),
            (app, (KAFKA_TLS, KAFKA_TLS)),
            (kafka.id, (KAFKA_SASL_IAM, KAFKA_SASL_IAM)),
        }
        assert got == expected, kafka.urn


def test_security_groups__app_admits_workload_ports_from_lb_only(prod: Plan) -> None:
    for region in prod.regions:
        groups = groups_by_role(prod, region)
        from_groups = [r for r in rules_of(prod, INGRESS, groups["app"]) if "referencedSecurityGroupId" in r.inputs]
        sources = {r.inputs["referencedSecurityGroupId"] for r in from_groups}
        assert sources == {groups["lb"].id, groups["app"].id}, [r.urn for r in from_groups]
        (from_lb,) = [r for r in from_groups if r.inputs["referencedSecurityGroupId"] == groups["lb"].id]
        assert ports(from_lb) == EPHEMERAL, from_lb.urn


def test_security_groups__only_lb_is_open_to_the_internet_and_only_on_443(prod: Plan) -> None:
    open_rules = [r for r in prod.of_type(INGRESS) if r.inputs.get("cidrIpv4") == ANYWHERE]
    assert len(open_rules) == len(prod.regions), [r.urn for r in open_rules]
    for rule in open_rules:
        group = by_id(prod, SG)[rule.inputs["securityGroupId"]]
        assert tag(group, "finstack:role") == "lb", rule.urn
        assert (rule.inputs["ipProtocol"], ports(rule)) == ("tcp", (443, 443)), rule.urn


def test_security_groups__endpoints_admit_https_from_the_vpc_cidr(prod: Plan) -> None:
    for region in prod.regions:
        groups = groups_by_role(prod, region)
        (rule,) = rules_of(prod, INGRESS, groups["endpoints"])
        assert rule.inputs["cidrIpv4"] == prod.of_type(VPC, region)[0].inputs["cidrBlock"], rule.urn
        assert ports(rule) == (443, 443), rule.urn


def test_security_groups__app_admits_peer_cells_on_443_only_when_peered(prod: Plan, unpeered: Plan) -> None:
    config = shipped_config("prod")
    for cell in config.regions:
        peers = {str(c) for o in config.regions if o.name != cell.name for c in tier_cidrs(o.cidr, o.azs, "app")}
        app = groups_by_role(prod, cell.name)["app"]
        cidr_rules = [r for r in rules_of(prod, INGRESS, app) if "cidrIpv4" in r.inputs]
        assert {r.inputs["cidrIpv4"] for r in cidr_rules} == peers, app.urn
        assert all(ports(r) == (443, 443) for r in cidr_rules), app.urn
        app_unpeered = groups_by_role(unpeered, cell.name)["app"]
        assert not [r.urn for r in rules_of(unpeered, INGRESS, app_unpeered) if "cidrIpv4" in r.inputs]


def test_security_groups__rules_are_parented_to_their_group(prod: Plan) -> None:
    groups = by_id(prod, SG)
    for rule in [*prod.of_type(INGRESS), *prod.of_type(EGRESS)]:
        assert rule.parent == groups[rule.inputs["securityGroupId"]].urn, rule.urn
        assert rule.inputs.get("description"), f"{rule.urn} needs a description"


def test_sg_rules__matrix_never_opens_more_than_lb_https_to_the_internet() -> None:
    for rule in SG_RULES:
        if rule.direction == "ingress" and rule.peer == "internet":
            assert (rule.role, rule.ports) == ("lb", (443, 443)), rule
        if rule.ports is None:
            assert rule.peer == rule.role == "app", f"all-traffic rule must stay app-to-app: {rule}"


# -- flow logs ------------------------------------------------------------------------------------


def key_arn(plan: Plan, purpose: str, region: str) -> str:
    keys = [r for t in KEY_TYPES for r in plan.of_type(t, region) if tag(r, "finstack:purpose") == purpose]
    assert len(keys) == 1, f"{purpose} key in {region}: {[k.urn for k in keys]}"
    return str(keys[0].outputs["arn"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_flow_logs__every_vpc_logs_all_traffic_to_a_group_under_its_regions_logs_key(stack: str) -> None:
    plan = shipped_plan(stack)
    config = shipped_config(stack)
    groups = {g.outputs["arn"]: g for g in plan.of_type(LOG_GROUP)}
    for region in plan.regions:
        vpc = plan.of_type(VPC, region)[0]
        logs = [f for f in plan.of_type(FLOW_LOG) if f.inputs.get("vpcId") == vpc.id]
        assert len(logs) == 1, f"{vpc.urn}: {[f.urn for f in logs]}"
        flow = logs[0]
        assert flow.region == region, flow.urn
        assert flow.inputs["trafficType"] == "ALL", flow.urn
        assert flow.inputs["logDestinationType"] == "cloud-watch-logs", flow.urn
        group = groups[flow.inputs["logDestination"]]
        assert group.region == region, f"{flow.urn} delivers to {group.urn}"
        assert group.inputs["kmsKeyId"] == key_arn(plan, "logs", region), group.urn
        assert group.inputs["retentionInDays"] == config.log_retention_days, group.urn


def test_flow_logs__role_trusts_only_this_accounts_flow_logs_in_its_region(prod: Plan) -> None:
    roles = {r.outputs["arn"]: r for r in prod.of_type("aws:iam/role:Role")}
    for flow in prod.of_type(FLOW_LOG):
        role = roles[flow.inputs["iamRoleArn"]]
        (stmt,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert stmt["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}, role.urn
        assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}, role.urn
        assert stmt["Condition"]["ArnLike"] == {
            "aws:SourceArn": f"arn:aws:ec2:{flow.region}:111122223333:vpc-flow-log/*"
        }, role.urn


def test_flow_logs__delivery_policy_writes_only_its_own_log_group(prod: Plan) -> None:
    roles = {r.outputs["arn"]: r for r in prod.of_type("aws:iam/role:Role")}
    policies = {p.inputs["role"]: p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy")}
    for flow in prod.of_type(FLOW_LOG):
        policy = policies[roles[flow.inputs["iamRoleArn"]].id]
        (stmt,) = json.loads(policy.inputs["policy"])["Statement"]
        group = flow.inputs["logDestination"]
        assert stmt["Effect"] == "Allow", policy.urn
        assert sorted(stmt["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        assert sorted(stmt["Resource"]) == sorted([group, f"{group}:*"]), policy.urn
        assert any(dep == policy.urn for dep in flow.dependencies), f"{flow.urn} must wait for {policy.urn}"


# -- VPC endpoints --------------------------------------------------------------------------------


def test_endpoints__s3_gateway_on_app_and_data_route_tables_only(prod: Plan) -> None:
    tables = by_id(prod, ROUTE_TABLE)
    for region in prod.regions:
        (s3,) = [e for e in prod.of_type(ENDPOINT, region) if e.inputs["vpcEndpointType"] == "Gateway"]
        assert s3.inputs["serviceName"] == f"com.amazonaws.{region}.s3", s3.urn
        tiers = sorted(tag(tables[t], "finstack:tier") or "" for t in s3.inputs["routeTableIds"])
        assert tiers == ["app", "app", "app", "data"], s3.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_endpoints__interface_endpoints_private_in_endpoint_subnets_behind_endpoints_sg(stack: str) -> None:
    plan = shipped_plan(stack)
    required = {"sts", "ecr.api", "ecr.dkr", "logs", "kms", "secretsmanager", "eks", "eks-auth"}
    assert required <= {service for service, _ in INTERFACE_ENDPOINTS}
    for region in plan.regions:
        endpoint_subnets = sorted(s.id for s in plan.of_type(SUBNET, region) if tag(s, "finstack:tier") == "endpoints")
        sg = groups_by_role(plan, region)["endpoints"]
        interfaces = [e for e in plan.of_type(ENDPOINT, region) if e.inputs["vpcEndpointType"] == "Interface"]
        services = {e.inputs["serviceName"].removeprefix(f"com.amazonaws.{region}.") for e in interfaces}
        assert services == {service for service, _ in INTERFACE_ENDPOINTS}, region
        for endpoint in interfaces:
            assert endpoint.inputs["privateDnsEnabled"] is True, endpoint.urn
            assert sorted(endpoint.inputs["subnetIds"]) == endpoint_subnets, endpoint.urn
            assert endpoint.inputs["securityGroupIds"] == [sg.id], endpoint.urn


# -- peering --------------------------------------------------------------------------------------


def app_table_ids(plan: Plan, region: str) -> set[str]:
    return {t.id for t in plan.of_type(ROUTE_TABLE, region) if tag(t, "finstack:tier") == "app"}


@pytest.mark.parametrize("plan_name", ["prod", "three_regions"])
def test_peering__routes_only_from_app_tables_to_peer_app_subnets(
    plan_name: str, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue(plan_name)
    config = plan.run.config
    app_cidrs = {c.name: {str(x) for x in tier_cidrs(c.cidr, c.azs, "app")} for c in config.regions}
    routes = [r for r in plan.of_type(ROUTE) if "vpcPeeringConnectionId" in r.inputs]
    n = len(config.regions)
    # every app table (azs per cell) gets every app subnet of every other cell (azs per cell)
    assert len(routes) == sum(c.azs for c in config.regions) * 3 * (n - 1), len(routes)
    for route in routes:
        assert route.inputs["routeTableId"] in app_table_ids(plan, route.region), f"{route.urn} is not on an app table"
        peers = set().union(*(cidrs for region, cidrs in app_cidrs.items() if region != route.region))
        assert route.inputs["destinationCidrBlock"] in peers, route.urn


def test_peering__full_mesh_requester_and_accepter_in_their_own_regions(three_regions: Plan) -> None:
    vpcs = {v.region: v for v in three_regions.of_type(VPC)}
    connections = three_regions.of_type(PCX)
    pairs = {(c.region, c.inputs["peerRegion"]) for c in connections}
    assert pairs == set(peering_pairs(["us-east-1", "us-west-2", "us-east-2"])), pairs
    accepters = {a.inputs["vpcPeeringConnectionId"]: a for a in three_regions.of_type(ACCEPTER)}
    for connection in connections:
        assert connection.inputs["vpcId"] == vpcs[connection.region].id, connection.urn
        assert connection.inputs["peerVpcId"] == vpcs[connection.inputs["peerRegion"]].id, connection.urn
        assert connection.inputs["autoAccept"] is False, connection.urn
        accepter = accepters[connection.id]
        assert accepter.region == connection.inputs["peerRegion"], accepter.urn
        assert accepter.inputs["autoAccept"] is True, accepter.urn
        assert accepter.id == connection.id, accepter.urn


def test_peering__routes_wait_for_acceptance(prod: Plan) -> None:
    (accepter,) = prod.of_type(ACCEPTER)
    for route in prod.of_type(ROUTE):
        if "vpcPeeringConnectionId" in route.inputs:
            assert accepter.urn in route.dependencies, route.urn


def test_peering__switched_off_by_config(unpeered: Plan) -> None:
    assert unpeered.of_type(PCX) == [] and unpeered.of_type(ACCEPTER) == []
    assert [r.urn for r in unpeered.of_type(ROUTE) if "vpcPeeringConnectionId" in r.inputs] == []


def test_peering_pairs__each_unordered_pair_once_earlier_region_requests() -> None:
    pairs = [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]
    assert peering_pairs(["a", "b", "c", "d"]) == pairs
    assert peering_pairs(["a"]) == []


def test_cell_peering_args__rejects_a_region_twice() -> None:
    cell = PeeringCell("us-east-1", "vpc-1", ("10.0.0.0/19",), ("rtb-1",))
    with pytest.raises(ValueError, match="list a region twice"):
        CellPeeringArgs(cells=(cell, cell))


# -- every regional resource names its region -----------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_regional_resources__every_one_passes_its_region_explicitly(stack: str) -> None:
    plan = shipped_plan(stack)
    checked = 0
    for record in plan:
        if not record.custom or not record.type.startswith("aws:") or record.type.startswith(GLOBAL_TYPES):
            continue
        if not owned_by(plan, record, OWN_COMPONENTS):
            continue
        checked += 1
        assert record.inputs.get("region") in plan.regions, f"{record.urn} has region {record.inputs.get('region')!r}"
        cell = tag(record, "finstack:cell")
        if cell is not None:
            assert cell == record.inputs["region"], f"{record.urn}: tagged {cell}, lives in {record.inputs['region']}"
    assert checked > 100, checked


# -- availability zones ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_regional_network__shipped_stacks_place_no_subnet_in_an_eks_unsupported_zone(stack: str) -> None:
    # Given the offline account, whose us-east-1b is use1-az3 (EKS refuses cluster subnets there)
    plan = shipped_plan(stack)
    subnets = plan.of_type(SUBNET)
    assert subnets, stack
    for subnet in subnets:
        zone_id = subnet.outputs.get("availabilityZoneId")
        assert zone_id, f"{subnet.urn}: no AZ ID"
        assert eks_supports(subnet.region or "", zone_id), f"{subnet.urn}: {zone_id} is EKS-unsupported"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_regional_network__zones_are_the_lowest_supported_ids_whatever_the_names(stack: str) -> None:
    plan = shipped_plan(stack)
    for cell in shipped_config(stack).regions:
        ids = sorted({s.outputs["availabilityZoneId"] for s in cell_of(plan, SUBNET, cell.name)})
        names = {zone_id: name for name, zone_id in offline_zones(cell.name)}
        usable = sorted(z for z in names if z not in eks_unsupported(cell.name))
        assert ids == usable[: cell.azs], f"{stack} {cell.name}: {ids}"
        for subnet in cell_of(plan, SUBNET, cell.name):
            assert subnet.inputs["availabilityZone"] == names[subnet.outputs["availabilityZoneId"]], subnet.urn


def test_regional_network__zone_ids_config_pins_the_zones_in_its_order() -> None:
    pinned = ["use1-az6", "use1-az1", "use1-az2"]
    plan = plan_with("prod", lambda raw: raw["finstack:regions"][0].update(zoneIds=pinned))
    for tier in TIERS:
        for index, suffix in enumerate("abc"):
            subnet = plan.named(f"cell-us-east-1-{tier}-{suffix}")
            assert subnet.outputs["availabilityZoneId"] == pinned[index], subnet.urn


# -- the component's interface --------------------------------------------------------------------


def test_regional_network__exposes_ids_in_az_order() -> None:
    def program() -> None:
        net = RegionalNetwork(
            "cell-eu-west-1",
            RegionalNetworkArgs(
                region="eu-west-1",
                cidr="10.50.0.0/20",
                azs=2,
                environment="dev",
                nat_gateways="single",
                log_retention_days=30,
                logs_key_arn="arn:aws:kms:eu-west-1:111122223333:key/mrk-0123",
            ),
        )
        pulumi.export(
            "net",
            {
                "vpc_id": net.vpc_id,
                "vpc_cidr": net.vpc_cidr,
                "azs": net.availability_zones,
                "az_ids": net.availability_zone_ids,
                "app": net.app_subnet_ids,
                "data": net.data_subnet_ids,
                "public": net.public_subnet_ids,
                "endpoints": net.endpoint_subnet_ids,
                "app_rts": net.app_route_table_ids,
                "sgs": [net.lb_sg_id, net.app_sg_id, net.db_sg_id, net.kafka_sg_id, net.endpoints_sg_id],
                "app_cidrs": list(net.app_subnet_cidrs),
            },
        )

    plan = plan_of(program, stack="dev")
    out = plan.outputs["net"]
    assert out["vpc_id"] == plan.named("cell-eu-west-1-vpc").id
    assert out["vpc_cidr"] == "10.50.0.0/20"
    # The offline account names euw1-az1 eu-west-1c and euw1-az2 eu-west-1a: chosen by ID, named by name.
    assert out["az_ids"] == ["euw1-az1", "euw1-az2"]
    assert out["azs"] == ["eu-west-1c", "eu-west-1a"]
    for index, suffix in enumerate("ab"):
        subnet = plan.named(f"cell-eu-west-1-app-{suffix}")
        assert subnet.inputs["availabilityZone"] == out["azs"][index], subnet.urn
    for tier, key in (("app", "app"), ("data", "data"), ("public", "public"), ("endpoints", "endpoints")):
        assert out[key] == [plan.named(f"cell-eu-west-1-{tier}-{s}").id for s in "ab"], tier
    assert out["app_rts"] == [plan.named(f"cell-eu-west-1-app-rt-{s}").id for s in "ab"]
    assert out["sgs"] == [plan.named(f"cell-eu-west-1-{role}-sg").id for role in ROLES]
    assert out["app_cidrs"] == [str(c) for c in tier_cidrs(IPv4Network("10.50.0.0/20"), 2, "app")]
    for record in plan.where(lambda r: r.type.startswith("aws:ec2/")):
        assert record.region == "eu-west-1", record.urn


def test_cell_peering__works_from_literal_cells() -> None:
    def program() -> None:
        CellPeering(
            "peering",
            CellPeeringArgs(
                cells=(
                    PeeringCell("us-east-1", "vpc-a", ("10.0.0.0/18",), ("rtb-a1", "rtb-a2")),
                    PeeringCell("us-west-2", "vpc-b", ("10.1.0.0/18", "10.1.64.0/18"), ("rtb-b1",)),
                )
            ),
        )

    plan = plan_of(program)
    routes = plan.of_type(ROUTE)
    got = sorted((r.region, r.inputs["routeTableId"], r.inputs["destinationCidrBlock"]) for r in routes)
    assert got == [
        ("us-east-1", "rtb-a1", "10.1.0.0/18"),
        ("us-east-1", "rtb-a1", "10.1.64.0/18"),
        ("us-east-1", "rtb-a2", "10.1.0.0/18"),
        ("us-east-1", "rtb-a2", "10.1.64.0/18"),
        ("us-west-2", "rtb-b1", "10.0.0.0/18"),
    ], got
