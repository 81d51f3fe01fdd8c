"""EC2 networking in the emulator: VPCs, subnets, gateways, routes, NACLs, SGs, flow logs, endpoints, peering."""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_specs
from finstack.engine.fake_cloud import digest

EC2 = "ec2"


def _arn(ctx: HandlerContext, kind: str, resource_id: str) -> str:
    return f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:{kind}/{resource_id}"


def _delete(call: str, key: str) -> Any:
    def delete(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
        getattr(ctx.client(EC2), call)(**{key: resource_id})

    return delete


@REGISTRY.register("aws:ec2/vpc:Vpc", EC2, _delete("delete_vpc", "VpcId"))
def create_vpc(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """VPC with its DNS attributes."""
    ec2 = ctx.client(EC2)
    vpc = ec2.create_vpc(CidrBlock=inputs["cidrBlock"], TagSpecifications=tag_specs("vpc", inputs))["Vpc"]
    vpc_id = vpc["VpcId"]
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        if attribute in inputs:
            key = attribute[0].upper() + attribute[1:]
            ec2.modify_vpc_attribute(VpcId=vpc_id, **{key: {"Value": bool(inputs[attribute])}})
    sgs = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"]
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    return vpc_id, {
        "arn": _arn(ctx, "vpc", vpc_id),
        "defaultSecurityGroupId": sgs[0]["GroupId"] if sgs else "",
        "defaultNetworkAclId": acls[0]["NetworkAclId"] if acls else "",
        "mainRouteTableId": tables[0]["RouteTableId"] if tables else "",
        "ownerId": ctx.account_id,
    }


@REGISTRY.register("aws:ec2/subnet:Subnet", EC2, _delete("delete_subnet", "SubnetId"))
def create_subnet(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Subnet in its AZ."""
    ec2 = ctx.client(EC2)
    kwargs: dict[str, Any] = {"VpcId": inputs["vpcId"], "CidrBlock": inputs["cidrBlock"]}
    if inputs.get("availabilityZone"):
        kwargs["AvailabilityZone"] = inputs["availabilityZone"]
    subnet = ec2.create_subnet(**kwargs, TagSpecifications=tag_specs("subnet", inputs))["Subnet"]
    if inputs.get("mapPublicIpOnLaunch"):
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    return subnet["SubnetId"], {
        "arn": _arn(ctx, "subnet", subnet["SubnetId"]),
        "availabilityZone": subnet["AvailabilityZone"],
        "availabilityZoneId": subnet.get("AvailabilityZoneId", ""),
    }


def _delete_igw(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ec2 = ctx.client(EC2)
    if outputs.get("vpcId"):
        ec2.detach_internet_gateway(InternetGatewayId=resource_id, VpcId=outputs["vpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=resource_id)


@REGISTRY.register("aws:ec2/internetGateway:InternetGateway", EC2, _delete_igw)
def create_igw(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Internet gateway, attached to its VPC."""
    ec2 = ctx.client(EC2)
    igw = ec2.create_internet_gateway(TagSpecifications=tag_specs("internet-gateway", inputs))["InternetGateway"]
    if inputs.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=inputs["vpcId"])
    return igw["InternetGatewayId"], {"arn": _arn(ctx, "internet-gateway", igw["InternetGatewayId"])}


@REGISTRY.register("aws:ec2/eip:Eip", EC2, _delete("release_address", "AllocationId"))
def create_eip(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Elastic IP in the VPC domain."""
    address = ctx.client(EC2).allocate_address(Domain="vpc", TagSpecifications=tag_specs("elastic-ip", inputs))
    return address["AllocationId"], {"publicIp": address["PublicIp"], "allocationId": address["AllocationId"]}


@REGISTRY.register("aws:ec2/natGateway:NatGateway", EC2, _delete("delete_nat_gateway", "NatGatewayId"))
def create_nat(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """NAT gateway in a public subnet."""
    nat = ctx.client(EC2).create_nat_gateway(
        SubnetId=inputs["subnetId"],
        AllocationId=inputs.get("allocationId", ""),
        TagSpecifications=tag_specs("natgateway", inputs),
    )["NatGateway"]
    return nat["NatGatewayId"], {}


def _route_target(route: dict[str, Any]) -> dict[str, str]:
    mapping = {
        "gatewayId": "GatewayId",
        "natGatewayId": "NatGatewayId",
        "vpcPeeringConnectionId": "VpcPeeringConnectionId",
        "transitGatewayId": "TransitGatewayId",
        "vpcEndpointId": "VpcEndpointId",
    }
    return {aws: route[key] for key, aws in mapping.items() if route.get(key)}


def _add_route(ctx: HandlerContext, table_id: str, route: dict[str, Any]) -> None:
    destination: dict[str, str] = {}
    if route.get("cidrBlock") or route.get("destinationCidrBlock"):
        destination["DestinationCidrBlock"] = route.get("cidrBlock") or route["destinationCidrBlock"]
    if route.get("ipv6CidrBlock") or route.get("destinationIpv6CidrBlock"):
        destination["DestinationIpv6CidrBlock"] = route.get("ipv6CidrBlock") or route["destinationIpv6CidrBlock"]
    ctx.client(EC2).create_route(RouteTableId=table_id, **destination, **_route_target(route))


@REGISTRY.register("aws:ec2/routeTable:RouteTable", EC2, _delete("delete_route_table", "RouteTableId"))
def create_route_table(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Route table with its inline routes."""
    table = ctx.client(EC2).create_route_table(
        VpcId=inputs["vpcId"], TagSpecifications=tag_specs("route-table", inputs)
    )["RouteTable"]
    for route in inputs.get("routes") or []:
        _add_route(ctx, table["RouteTableId"], route)
    return table["RouteTableId"], {"arn": _arn(ctx, "route-table", table["RouteTableId"])}


def _delete_route(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EC2).delete_route(
        RouteTableId=outputs["routeTableId"], DestinationCidrBlock=outputs.get("destinationCidrBlock", "")
    )


@REGISTRY.register("aws:ec2/route:Route", EC2, _delete_route)
def create_route(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One route in a table."""
    _add_route(ctx, inputs["routeTableId"], inputs)
    destination = inputs.get("destinationCidrBlock") or inputs.get("destinationIpv6CidrBlock", "")
    return f"r-{inputs['routeTableId']}{digest(str(destination), length=10)}", {}


def _delete_association(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EC2).disassociate_route_table(AssociationId=resource_id)


@REGISTRY.register("aws:ec2/routeTableAssociation:RouteTableAssociation", EC2, _delete_association)
def create_association(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Subnet (or gateway) to route table association."""
    kwargs = {"SubnetId": inputs["subnetId"]} if inputs.get("subnetId") else {"GatewayId": inputs["gatewayId"]}
    association = ctx.client(EC2).associate_route_table(RouteTableId=inputs["routeTableId"], **kwargs)
    return association["AssociationId"], {}


def _permission(rule: dict[str, Any]) -> dict[str, Any]:
    """A standalone SG rule's inputs -> an IpPermission."""
    protocol = str(rule.get("ipProtocol", rule.get("protocol", "-1")))
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if protocol != "-1":
        permission["FromPort"] = int(rule.get("fromPort", 0))
        permission["ToPort"] = int(rule.get("toPort", 0))
    if rule.get("cidrIpv4"):
        permission["IpRanges"] = [{"CidrIp": rule["cidrIpv4"], "Description": rule.get("description", "")}]
    if rule.get("cidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["cidrIpv6"]}]
    if rule.get("referencedSecurityGroupId"):
        permission["UserIdGroupPairs"] = [{"GroupId": rule["referencedSecurityGroupId"]}]
    if rule.get("prefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": rule["prefixListId"]}]
    return permission


def _inline_permission(rule: dict[str, Any]) -> dict[str, Any]:
    """An inline `ingress`/`egress` block -> an IpPermission."""
    permission: dict[str, Any] = {"IpProtocol": str(rule.get("protocol", "-1"))}
    if permission["IpProtocol"] != "-1":
        permission["FromPort"] = int(rule.get("fromPort", 0))
        permission["ToPort"] = int(rule.get("toPort", 0))
    if rule.get("cidrBlocks"):
        permission["IpRanges"] = [{"CidrIp": c} for c in rule["cidrBlocks"]]
    if rule.get("securityGroups"):
        permission["UserIdGroupPairs"] = [{"GroupId": g} for g in rule["securityGroups"]]
    return permission


@REGISTRY.register("aws:ec2/securityGroup:SecurityGroup", EC2, _delete("delete_security_group", "GroupId"))
def create_security_group(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Security group; inline rules if any, and AWS's default allow-all egress removed when egress is managed."""
    ec2 = ctx.client(EC2)
    group_name = physical_name(name, inputs)
    group = ec2.create_security_group(
        GroupName=group_name,
        Description=inputs.get("description") or "Managed by Pulumi",
        VpcId=inputs.get("vpcId", ""),
        TagSpecifications=tag_specs("security-group", inputs),
    )
    group_id = group["GroupId"]
    if "egress" in inputs:
        # Pulumi removes AWS's default allow-all egress rule when egress is declared.
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        for rule in inputs.get("egress") or []:
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[_inline_permission(rule)])
    for rule in inputs.get("ingress") or []:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[_inline_permission(rule)])
    return group_id, {"arn": _arn(ctx, "security-group", group_id), "name": group_name, "ownerId": ctx.account_id}


def _rule_delete(direction: str) -> Any:
    def delete(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
        call = getattr(ctx.client(EC2), f"revoke_security_group_{direction}")
        call(GroupId=outputs["securityGroupId"], SecurityGroupRuleIds=[resource_id])

    return delete


def _create_rule(direction: str) -> Any:
    def create(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        call = getattr(ctx.client(EC2), f"authorize_security_group_{direction}")
        response = call(GroupId=inputs["securityGroupId"], IpPermissions=[_permission(inputs)])
        rules = response.get("SecurityGroupRules") or [{}]
        rule_id = rules[0].get("SecurityGroupRuleId") or f"sgr-{digest(name, direction)}"
        return rule_id, {"securityGroupRuleId": rule_id, "arn": _arn(ctx, "security-group-rule", rule_id)}

    return create


REGISTRY.register("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", EC2, _rule_delete("ingress"))(
    _create_rule("ingress")
)
REGISTRY.register("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", EC2, _rule_delete("egress"))(
    _create_rule("egress")
)


@REGISTRY.register("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", EC2)
def adopt_default_sg(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Adopt the VPC's default group and strip every rule not declared (Pulumi's semantics)."""
    ec2 = ctx.client(EC2)
    group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [inputs["vpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    for rule in inputs.get("ingress") or []:
        ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[_inline_permission(rule)])
    for rule in inputs.get("egress") or []:
        ec2.authorize_security_group_egress(GroupId=group["GroupId"], IpPermissions=[_inline_permission(rule)])
    return group["GroupId"], {"arn": _arn(ctx, "security-group", group["GroupId"]), "name": "default"}


def _acl_entries(ctx: HandlerContext, acl_id: str, inputs: dict[str, Any]) -> None:
    ec2 = ctx.client(EC2)
    for egress, key in ((False, "ingress"), (True, "egress")):
        for entry in inputs.get(key) or []:
            protocol = str(entry.get("protocol", "-1"))
            protocol = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}.get(protocol, protocol)
            kwargs: dict[str, Any] = {
                "NetworkAclId": acl_id,
                "RuleNumber": int(entry["ruleNo"]),
                "Protocol": protocol,
                "RuleAction": entry["action"],
                "Egress": egress,
                "CidrBlock": entry.get("cidrBlock", "0.0.0.0/0"),
            }
            if protocol != "-1":
                kwargs["PortRange"] = {"From": int(entry.get("fromPort", 0)), "To": int(entry.get("toPort", 0))}
            ec2.create_network_acl_entry(**kwargs)


def _associate_acl(ctx: HandlerContext, acl_id: str, subnet_ids: list[str]) -> None:
    ec2 = ctx.client(EC2)
    for subnet_id in subnet_ids:
        found = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        for acl in found["NetworkAcls"]:
            for association in acl.get("Associations", []):
                if association.get("SubnetId") == subnet_id:
                    ec2.replace_network_acl_association(
                        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
                    )


def _delete_network_acl(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    """Move the NACL's subnets back to the VPC default (as Pulumi does), then delete it."""
    ec2 = ctx.client(EC2)
    acl = ec2.describe_network_acls(NetworkAclIds=[resource_id])["NetworkAcls"][0]
    default = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [acl["VpcId"]]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]
    for association in acl.get("Associations", []):
        ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId=default["NetworkAclId"]
        )
    ec2.delete_network_acl(NetworkAclId=resource_id)


@REGISTRY.register("aws:ec2/networkAcl:NetworkAcl", EC2, _delete_network_acl)
def create_network_acl(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """NACL with its entries, associated with its subnets."""
    acl = ctx.client(EC2).create_network_acl(VpcId=inputs["vpcId"], TagSpecifications=tag_specs("network-acl", inputs))
    acl_id = acl["NetworkAcl"]["NetworkAclId"]
    _acl_entries(ctx, acl_id, inputs)
    _associate_acl(ctx, acl_id, list(inputs.get("subnetIds") or []))
    return acl_id, {"arn": _arn(ctx, "network-acl", acl_id), "ownerId": ctx.account_id}


@REGISTRY.register("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", EC2)
def adopt_default_acl(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Adopt the VPC's default NACL and replace its entries with the declared ones (none = deny all)."""
    ec2 = ctx.client(EC2)
    acl_id = inputs["defaultNetworkAclId"]
    acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    for entry in acl.get("Entries", []):
        if int(entry["RuleNumber"]) < 32767:
            ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=entry["RuleNumber"], Egress=entry["Egress"])
    _acl_entries(ctx, acl_id, inputs)
    return acl_id, {"arn": _arn(ctx, "network-acl", acl_id), "vpcId": acl["VpcId"]}


@REGISTRY.register("aws:ec2/networkAclAssociation:NetworkAclAssociation", EC2)
def create_acl_association(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Move a subnet onto a NACL."""
    _associate_acl(ctx, inputs["networkAclId"], [inputs["subnetId"]])
    return f"aclassoc-{inputs['subnetId'][7:]}", {}


def _delete_flow_log(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EC2).delete_flow_logs(FlowLogIds=[resource_id])


@REGISTRY.register("aws:ec2/flowLog:FlowLog", EC2, _delete_flow_log)
def create_flow_log(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """VPC flow log to CloudWatch Logs (or S3)."""
    resource_id = inputs.get("vpcId") or inputs.get("subnetId") or inputs.get("eniId")
    resource_type = "VPC" if inputs.get("vpcId") else ("Subnet" if inputs.get("subnetId") else "NetworkInterface")
    kwargs: dict[str, Any] = {
        "ResourceIds": [resource_id],
        "ResourceType": resource_type,
        "TrafficType": inputs.get("trafficType", "ALL"),
        "LogDestinationType": inputs.get("logDestinationType", "cloud-watch-logs"),
    }
    if inputs.get("logDestination"):
        kwargs["LogDestination"] = inputs["logDestination"]
    if inputs.get("iamRoleArn"):
        kwargs["DeliverLogsPermissionArn"] = inputs["iamRoleArn"]
    if inputs.get("maxAggregationInterval"):
        kwargs["MaxAggregationInterval"] = int(inputs["maxAggregationInterval"])
    created = ctx.client(EC2).create_flow_logs(**kwargs)
    if created.get("Unsuccessful"):
        raise RuntimeError(f"flow log for {resource_id}: {created['Unsuccessful']}")
    flow_log_id = created["FlowLogIds"][0]
    return flow_log_id, {"arn": _arn(ctx, "vpc-flow-log", flow_log_id)}


def _delete_endpoint(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EC2).delete_vpc_endpoints(VpcEndpointIds=[resource_id])


@REGISTRY.register("aws:ec2/vpcEndpoint:VpcEndpoint", EC2, _delete_endpoint)
def create_vpc_endpoint(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Gateway or interface VPC endpoint."""
    kwargs: dict[str, Any] = {
        "VpcId": inputs["vpcId"],
        "ServiceName": inputs["serviceName"],
        "VpcEndpointType": inputs.get("vpcEndpointType", "Gateway"),
    }
    for key, aws in (
        ("subnetIds", "SubnetIds"),
        ("securityGroupIds", "SecurityGroupIds"),
        ("routeTableIds", "RouteTableIds"),
    ):
        if inputs.get(key):
            kwargs[aws] = list(inputs[key])
    if "privateDnsEnabled" in inputs and kwargs["VpcEndpointType"] == "Interface":
        kwargs["PrivateDnsEnabled"] = bool(inputs["privateDnsEnabled"])
    if inputs.get("policy"):
        kwargs["PolicyDocument"] = inputs["policy"]
    endpoint = ctx.client(EC2).create_vpc_endpoint(**kwargs, TagSpecifications=tag_specs("vpc-endpoint", inputs))
    endpoint_id = endpoint["VpcEndpoint"]["VpcEndpointId"]
    return endpoint_id, {"arn": _arn(ctx, "vpc-endpoint", endpoint_id), "state": "available"}


def _delete_peering(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EC2).delete_vpc_peering_connection(VpcPeeringConnectionId=resource_id)


@REGISTRY.register("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", EC2, _delete_peering)
def create_peering(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Peering request from this region's VPC to a (possibly other-region) peer VPC."""
    kwargs: dict[str, Any] = {"VpcId": inputs["vpcId"], "PeerVpcId": inputs["peerVpcId"]}
    if inputs.get("peerRegion"):
        kwargs["PeerRegion"] = inputs["peerRegion"]
    peering = ctx.client(EC2).create_vpc_peering_connection(
        **kwargs, TagSpecifications=tag_specs("vpc-peering-connection", inputs)
    )
    peering_id = peering["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    status = peering["VpcPeeringConnection"]["Status"]["Code"]
    return peering_id, {"acceptStatus": status}


@REGISTRY.register("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", EC2)
def accept_peering(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Accept the peering request in the peer's region."""
    peering_id = inputs["vpcPeeringConnectionId"]
    status = "pending-acceptance"
    if inputs.get("autoAccept"):
        accepted = ctx.client(EC2).accept_vpc_peering_connection(VpcPeeringConnectionId=peering_id)
        status = accepted["VpcPeeringConnection"]["Status"]["Code"]
    return peering_id, {"acceptStatus": status}


def _delete_template(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EC2).delete_launch_template(LaunchTemplateId=resource_id)


@REGISTRY.register("aws:ec2/launchTemplate:LaunchTemplate", EC2, _delete_template)
def create_launch_template(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Launch template carrying metadata options and encrypted block devices."""
    data: dict[str, Any] = {}
    metadata = inputs.get("metadataOptions") or {}
    if metadata:
        data["MetadataOptions"] = {
            "HttpTokens": metadata.get("httpTokens", "optional"),
            "HttpPutResponseHopLimit": int(metadata.get("httpPutResponseHopLimit", 1)),
            "HttpEndpoint": metadata.get("httpEndpoint", "enabled"),
        }
    devices = []
    for mapping in inputs.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {}
        device: dict[str, Any] = {"DeviceName": mapping.get("deviceName", "/dev/xvda"), "Ebs": {}}
        if "encrypted" in ebs:
            device["Ebs"]["Encrypted"] = str(ebs["encrypted"]).lower() == "true"
        for key, aws in (("kmsKeyId", "KmsKeyId"), ("volumeType", "VolumeType")):
            if ebs.get(key):
                device["Ebs"][aws] = ebs[key]
        if ebs.get("volumeSize"):
            device["Ebs"]["VolumeSize"] = int(ebs["volumeSize"])
        devices.append(device)
    if devices:
        data["BlockDeviceMappings"] = devices
    template = ctx.client(EC2).create_launch_template(
        LaunchTemplateName=physical_name(name, inputs), LaunchTemplateData=data
    )
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    return template_id, {"arn": _arn(ctx, "launch-template", template_id), "latestVersion": 1, "defaultVersion": 1}


@REGISTRY.register(
    "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion",
    EC2,
    _delete("delete_vpc_block_public_access_exclusion", "ExclusionId"),
)
def create_bpa_exclusion(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A VPC Block Public Access exclusion of one subnet or VPC (moto_ext.vpc_block_public_access)."""
    kwargs: dict[str, Any] = {"InternetGatewayExclusionMode": inputs["internetGatewayExclusionMode"]}
    for key, wire in (("subnetId", "SubnetId"), ("vpcId", "VpcId")):
        if inputs.get(key):
            kwargs[wire] = inputs[key]
    exclusion = ctx.client(EC2).create_vpc_block_public_access_exclusion(
        **kwargs, TagSpecifications=tag_specs("vpc-block-public-access-exclusion", inputs)
    )["VpcBlockPublicAccessExclusion"]
    return exclusion["ExclusionId"], {"resourceArn": exclusion["ResourceArn"]}
