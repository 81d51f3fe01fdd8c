"""Deterministic, realistic computed outputs for the offline engine (Pulumi `Mocks`).

Every id, ARN and endpoint is derived from the resource's URN and region, so two runs of
the same program give byte-identical exports, and later resources see values shaped like
AWS's (`vpc-0a1b...`, `arn:aws:rds:us-west-2:111122223333:cluster:...`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from components.zones import eks_unsupported
from finstack.engine.reachability import OUTSIDE, Reachability, Vantage, endpoint_of
from infra.jurisdictions import REGION_ZONE_IDS

# The account every offline run pretends to be (the AWS documentation account).
OFFLINE_ACCOUNT_ID = "111122223333"
PARTITION = "aws"

# Resource types whose id AWS prefixes; the rest use the name or the ARN.
_ID_PREFIX: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "pcx",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": "pcx",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": "aclassoc",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
    "aws:ec2transitgateway/transitGateway:TransitGateway": "tgw",
}

# Type -> (service, ARN resource part); `{id}` and `{name}` are substituted.
_ARN: dict[str, tuple[str, str]] = {
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/routeTable:RouteTable": ("ec2", "route-table/{id}"),
    "aws:ec2/internetGateway:InternetGateway": ("ec2", "internet-gateway/{id}"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway/{id}"),
    "aws:ec2/networkAcl:NetworkAcl": ("ec2", "network-acl/{id}"),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ("ec2", "network-acl/{id}"),
    "aws:ec2/flowLog:FlowLog": ("ec2", "vpc-flow-log/{id}"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", "vpc-endpoint/{id}"),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ("ec2", "vpc-peering-connection/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "launch-template/{id}"),
    "aws:ec2/eip:Eip": ("ec2", "elastic-ip/{id}"),
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:kms/replicaKey:ReplicaKey": ("kms", "key/{id}"),
    "aws:kms/alias:Alias": ("kms", "{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/dashboard:Dashboard": ("cloudwatch", "dashboard/{name}"),
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "oidc-provider/{url}"),
    "aws:eks/cluster:Cluster": ("eks", "cluster/{name}"),
    "aws:eks/nodeGroup:NodeGroup": ("eks", "nodegroup/{cluster}/{name}/{hash}"),
    "aws:eks/addon:Addon": ("eks", "addon/{cluster}/{name}/{hash}"),
    "aws:eks/accessEntry:AccessEntry": ("eks", "access-entry/{cluster}/role/{hash}"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": ("eks", "podidentityassociation/{cluster}/a-{hash}"),
    "aws:rds/globalCluster:GlobalCluster": ("rds", "global-cluster:{name}"),
    "aws:rds/cluster:Cluster": ("rds", "cluster:{name}"),
    "aws:rds/clusterInstance:ClusterInstance": ("rds", "db:{name}"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", "subgrp:{name}"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": ("rds", "cluster-pg:{name}"),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", "pg:{name}"),
    "aws:msk/cluster:Cluster": ("kafka", "cluster/{name}/{uuid}"),
    "aws:msk/configuration:Configuration": ("kafka", "configuration/{name}/{uuid}"),
    "aws:msk/replicator:Replicator": ("kafka", "replicator/{name}/{uuid}"),
    "aws:msk/vpcConnection:VpcConnection": ("kafka", "vpc-connection/{account}/{name}/{uuid}"),
    "aws:sns/topic:Topic": ("sns", "{name}"),
    # AWS Backup: a vault's ARN ends in its name; a plan's in its generated id.
    "aws:backup/vault:Vault": ("backup", "backup-vault:{name}"),
    "aws:backup/plan:Plan": ("backup", "backup-plan:{uuid}"),
    "aws:s3/bucket:Bucket": ("s3", "{name}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}-{short}"),
    "aws:lambda/function:Function": ("lambda", "function:{name}"),
    "aws:route53/zone:Zone": ("route53", "hostedzone/{id}"),
    "aws:route53/healthCheck:HealthCheck": ("route53", "healthcheck/{id}"),
    "aws:arcregionswitch/plan:Plan": ("arc-region-switch", "plan/{name}:{short}"),
    "aws:route53recoverycontrol/cluster:Cluster": ("route53-recovery-control", "cluster/{uuid}"),
    "aws:route53recoverycontrol/controlPanel:ControlPanel": ("route53-recovery-control", "controlpanel/{hash}"),
    "aws:route53recoverycontrol/routingControl:RoutingControl": (
        "route53-recovery-control",
        "controlpanel/{panel}/routingcontrol/{short}",
    ),
    "aws:route53recoverycontrol/safetyRule:SafetyRule": (
        "route53-recovery-control",
        "controlpanel/{panel}/safetyrule/{short}",
    ),
    "aws:acm/certificate:Certificate": ("acm", "certificate/{guid}"),
    "aws:lb/loadBalancer:LoadBalancer": ("elasticloadbalancing", "loadbalancer/app/{name}/{hash16}"),
    # WAF API reference, WebACL.ARN: arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>.
    "aws:wafv2/webAcl:WebAcl": ("wafv2", "regional/webacl/{name}/{guid}"),
    "aws:cloudtrail/trail:Trail": ("cloudtrail", "trail/{name}"),
    "aws:cloudwatch/eventRule:EventRule": ("events", "rule/{name}"),
    "aws:guardduty/detector:Detector": ("guardduty", "detector/{id}"),
    "aws:rds/eventSubscription:EventSubscription": ("rds", "es:{name}"),
    # Replaced in _extra_outputs: a listener ARN embeds its load balancer's name and id.
    "aws:lb/listener:Listener": ("elasticloadbalancing", "listener/app/lb/{hash16}/{hash16}"),
}

# Services whose ARNs carry no region (global services).
_GLOBAL_SERVICES = {"iam", "route53", "s3", "route53-recovery-control", "arc-region-switch"}

# Input property that holds the physical name, per type; absent ones are autonamed.
_NAME_INPUT: dict[str, str] = {
    "aws:eks/cluster:Cluster": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:eks/addon:Addon": "addonName",
    "aws:rds/globalCluster:GlobalCluster": "globalClusterIdentifier",
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:rds/clusterInstance:ClusterInstance": "identifier",
    "aws:msk/cluster:Cluster": "clusterName",
    "aws:msk/replicator:Replicator": "replicatorName",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:cloudtrail/trail:Trail": "name",
    "aws:rds/eventSubscription:EventSubscription": "name",
}

# Types whose AWS id is their physical name.
_ID_IS_NAME = {
    "aws:backup/vault:Vault",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role",
    "aws:eks/cluster:Cluster",
    "aws:rds/globalCluster:GlobalCluster",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:s3/bucket:Bucket",
    "aws:kms/alias:Alias",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:lambda/function:Function",
}


# A burstable class (db.t2, db.t3, db.t4g, ...) in a member of an Aurora global database: AWS refuses it with
# "InvalidParameterCombination: The requested instance class is not supported by global databases: <class>"
# (hashicorp/terraform-provider-aws#27736; global databases need memory-optimized classes,
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html).
_BURSTABLE_DB_CLASS = re.compile(r"^db\.t\d")


SUBNET = "aws:ec2/subnet:Subnet"
EKS_CLUSTER = "aws:eks/cluster:Cluster"


class AwsApiError(ValueError):
    """What AWS would answer to this request: its error code and message.

    A ValueError, so the runner reports it as a ProgramError with this message, the way a
    failed `pulumi up` reports the provider's error.
    """

    def __init__(self, operation: str, code: str, message: str):
        super().__init__(f"{operation}: {code}: {message}")
        self.code = code


def offline_zones(region: str) -> list[tuple[str, str]]:
    """The (name, AZ ID) pairs of `region` as the offline account sees them, in name order.

    AWS maps AZ names to physical zones independently per account
    (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html): name order is
    not ID order. This account's mapping is the ID list rotated by one, so its second name is
    the second-lowest ID: us-east-1b is use1-az3, where Amazon EKS refuses cluster subnets, as
    in many real accounts. A program that takes the first names fails here as it would there.
    """
    ids = REGION_ZONE_IDS.get(region) or tuple(f"{region}-az{i}" for i in (1, 2, 3))
    rotated = (*ids[1:], ids[0])
    return [(f"{region}{chr(ord('a') + i)}", zone_id) for i, zone_id in enumerate(rotated)]


def digest(*parts: str, length: int = 17) -> str:
    """Stable lower-case hex digest of `parts`."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def _uuid(seed: str) -> str:
    h = digest(seed, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _provider_key(provider_ref: str | None) -> str | None:
    """`<type>::<name>` of a provider reference (`<urn>::<id>`), how providers are keyed here."""
    if not provider_ref:
        return None
    parts = provider_ref.rsplit("::", 1)[0].split("::")
    return f"{parts[-2].split('$')[-1]}::{parts[-1]}" if len(parts) >= 2 else None


class FakeCloud(Mocks):
    """Mocks that answer like AWS would, deterministically, for one stack."""

    def __init__(self, default_region: str, account_id: str = OFFLINE_ACCOUNT_ID, vantage: Vantage = OUTSIDE):
        self.default_region = default_region
        self.account_id = account_id
        self._provider_regions: dict[str, str] = {}
        # Ids of the Aurora clusters declared as members of a global cluster (what AWS checks instances against).
        self._global_members: set[str] = set()
        # Subnet id -> (region, AZ name): what EKS looks at when it places a cluster's ENIs.
        self._subnet_zones: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        # The program runs where `finstack` runs: outside every VPC, like a workstation or CI.
        self.reachability = Reachability(vantage)

    # -- regions -------------------------------------------------------------------------
    def region_of(self, inputs: dict[str, Any], provider_ref: str | None) -> str:
        """The region a resource lives in: its `region` input, else its provider's, else aws:region."""
        region = inputs.get("region")
        if isinstance(region, str) and region:
            return region
        key = _provider_key(provider_ref)
        if key:
            with self._lock:
                found = self._provider_regions.get(key)
            if found:
                return found
        return self.default_region

    # -- Mocks ---------------------------------------------------------------------------
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Return a realistic id and output state for one registration."""
        inputs = dict(args.inputs)
        if not args.custom:
            return "", inputs
        seed = f"{args.typ}::{args.name}"
        if args.typ.startswith("pulumi:providers:"):
            region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
            with self._lock:
                # The provider URN is not passed to mocks; key by the name the URN ends with.
                self._provider_regions[f"{args.typ}::{args.name}"] = region or self.default_region
            if args.typ == "pulumi:providers:kubernetes":
                self.reachability.add_provider(f"{args.typ}::{args.name}", inputs)
            return _uuid(seed), inputs
        if args.typ.startswith("kubernetes:"):
            self.reachability.check_object(_provider_key(args.provider), args.typ, args.name)
        self._refuse_like_aws(args.typ, args.name, inputs)
        region = self.region_of(inputs, args.provider)
        if args.typ == EKS_CLUSTER:
            self._refuse_unsupported_zones(inputs, region)
            self.reachability.add_cluster(endpoint_of(str(inputs.get("name") or args.name), region, inputs))
        state = self._computed(args.typ, args.name, inputs, region, seed)
        resource_id = state.pop("__id")
        if args.typ == SUBNET:
            state.update(self._place_subnet(resource_id, inputs, region))
        if args.typ == "aws:rds/cluster:Cluster" and inputs.get("globalClusterIdentifier"):
            with self._lock:
                self._global_members.add(resource_id)
        return resource_id, {**inputs, **state}

    def _refuse_like_aws(self, typ: str, name: str, inputs: dict[str, Any]) -> None:
        """Fail a registration AWS would refuse at `up` (ValueError: the runner shows its last line)."""
        if typ != "aws:rds/clusterInstance:ClusterInstance":
            return
        instance_class = str(inputs.get("instanceClass") or "")
        with self._lock:
            in_global = inputs.get("clusterIdentifier") in self._global_members
        if in_global and _BURSTABLE_DB_CLASS.match(instance_class):
            raise ValueError(
                f"{typ} {name}: InvalidParameterCombination: The requested instance class is not supported "
                f"by global databases: {instance_class}"
            )

    # -- availability zones --------------------------------------------------------------
    def _place_subnet(self, subnet_id: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
        """The subnet's AZ by name and ID, remembered for the services that check it."""
        zones = dict(offline_zones(region))
        name = inputs.get("availabilityZone")
        if not isinstance(name, str) or name not in zones:
            return {}
        with self._lock:
            self._subnet_zones[subnet_id] = (region, name)
        return {"availabilityZoneId": zones[name]}

    def _refuse_unsupported_zones(self, inputs: dict[str, Any], region: str) -> None:
        """CreateCluster refuses subnets in an AZ Amazon EKS does not support, as AWS does.

        AWS answers UnsupportedAvailabilityZoneException (botocore eks service model) with
        `clusterName`, `validZones` and this message (the EKS User Guide's troubleshooting
        page quotes it; e.g. github.com/rancher/rancher/issues/14224 shows the whole body).
        Subnets this engine did not create (literal ids) are not judged.
        """
        zones = dict(offline_zones(region))
        unsupported = eks_unsupported(region)
        subnet_ids = (inputs.get("vpcConfig") or {}).get("subnetIds") or []
        with self._lock:
            placed = [self._subnet_zones[s] for s in subnet_ids if isinstance(s, str) and s in self._subnet_zones]
        refused = sorted({name for where, name in placed if where == region and zones[name] in unsupported})
        if not refused:
            return
        cluster = inputs.get("name") or "cluster"
        valid = ", ".join(sorted(n for n, zone_id in zones.items() if zone_id not in unsupported))
        raise AwsApiError(
            f"creating EKS Cluster ({cluster})",
            "UnsupportedAvailabilityZoneException",
            f"Cannot create cluster '{cluster}' because {refused[0]}, the targeted availability zone, does not "
            f"currently have sufficient capacity to support the cluster. Retry and choose from these availability "
            f"zones: {valid}",
        )

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Answer the data-source invokes the program uses (no check failures: the SDK iterates them)."""
        region = self.region_of(dict(args.args), args.provider)
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = offline_zones(region)
            return {
                "id": region,
                "names": [name for name, _ in zones],
                "zoneIds": [zone_id for _, zone_id in zones],
                "groupNames": [region] * len(zones),
                "region": region,
            }, []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": self.account_id,
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:role/finstack-offline",
                "userId": "AROAOFFLINEFINSTACK:offline",
            }, []
        if token == "aws:index/getPartition:getPartition":
            return {
                "id": PARTITION,
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {
                "id": region,
                "name": region,
                "region": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "description": region,
            }, []
        if token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
            # Deterministic, so two offline runs stay byte-identical; real AWS answers a fresh one.
            length = int(args.args.get("passwordLength") or 32)
            pool = digest("random-password", region, json.dumps(dict(args.args), sort_keys=True), length=64)
            password = ("Aa0" + pool.upper()[::2] + pool)[:length]
            return {"id": region, "randomPassword": password, "region": region}, []
        raise NotImplementedError(
            f"the offline engine does not answer invoke {token}; add it to finstack/engine/fake_cloud.py"
        )

    # -- computed outputs ----------------------------------------------------------------
    def _computed(self, typ: str, name: str, inputs: dict[str, Any], region: str, seed: str) -> dict[str, Any]:
        h17 = digest(seed)
        physical = inputs.get(_NAME_INPUT.get(typ, "name"))
        if not isinstance(physical, str) or not physical:
            physical = f"{name}-{digest(seed, length=7)}"
        if typ in _ID_PREFIX:
            resource_id = f"{_ID_PREFIX[typ]}-{h17}"
        elif typ in ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"):
            # Multi-region keys share the key id across regions, prefixed mrk-.
            primary = inputs.get("primaryKeyArn")
            if isinstance(primary, str) and "/mrk-" in primary:
                resource_id = primary.rsplit("/", 1)[1]
            elif inputs.get("multiRegion"):
                resource_id = f"mrk-{digest(seed, length=32)}"
            else:
                resource_id = _uuid(seed)
        elif typ == "aws:route53/zone:Zone":
            resource_id = "Z" + digest(seed, length=20).upper()
        elif typ == "aws:route53/healthCheck:HealthCheck":
            resource_id = _uuid(seed)
        elif typ in _ID_IS_NAME:
            resource_id = physical
        else:
            resource_id = ""
        state: dict[str, Any] = {}
        if typ in _ARN:
            service, template = _ARN[typ]
            part = template.format(
                id=resource_id,
                name=physical,
                cluster=inputs.get("clusterName", "cluster"),
                hash=digest(seed, length=12),
                uuid=_uuid(seed) + "-" + str(int(h17[:2], 16) % 30 + 1),
                short=digest(seed, length=6),
                panel=digest("panel", str(inputs.get("controlPanelArn", "")), length=12),
                account=self.account_id,
                # An OIDC provider's ARN ends with its issuer URL without the scheme.
                url=str(inputs.get("url", "")).removeprefix("https://"),
                guid=_uuid(seed),
                hash16=digest(seed, length=16),
            )
            # Global clusters, like IAM and Route 53, carry no region in their ARN.
            global_arn = service in _GLOBAL_SERVICES or typ == "aws:rds/globalCluster:GlobalCluster"
            arn_region = "" if global_arn else region
            arn_account = "" if service in {"s3", "route53"} else self.account_id
            if typ == "aws:route53recoverycontrol/routingControl:RoutingControl" or typ.startswith(
                "aws:route53recoverycontrol/safetyRule"
            ):
                panel = str(inputs.get("controlPanelArn", ""))
                state["arn"] = (
                    f"{panel}/{part.split('/', 2)[2]}"
                    if panel.startswith("arn:")
                    else (f"arn:aws:{service}::{self.account_id}:{part}")
                )
            else:
                state["arn"] = f"arn:{PARTITION}:{service}:{arn_region}:{arn_account}:{part}"
        if not resource_id:
            resource_id = state.get("arn") or f"{physical}-{digest(seed, length=8)}"
        state["__id"] = resource_id
        state.update(_extra_outputs(typ, inputs, region, physical, resource_id, state.get("arn", ""), seed))
        if typ not in ("aws:kms/alias:Alias",) and "name" not in inputs and typ in _ARN:
            state.setdefault("name", physical)
        name_input = _NAME_INPUT.get(typ)
        if name_input and name_input not in inputs:
            # What Pulumi's autonaming would have filled in (e.g. an autonamed node group).
            state[name_input] = physical
        if "tags" in inputs and "tagsAll" not in inputs:
            state["tagsAll"] = inputs["tags"]
        return state


def _extra_outputs(
    typ: str, inputs: dict[str, Any], region: str, physical: str, resource_id: str, arn: str, seed: str
) -> dict[str, Any]:
    """Type-specific computed attributes later resources or drills read."""
    h = digest(seed, length=12)
    if typ in ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"):
        return {"keyId": resource_id}
    if typ == "aws:ec2/vpc:Vpc":
        return {
            "defaultSecurityGroupId": f"sg-{digest(seed, 'dsg')}",
            "defaultNetworkAclId": f"acl-{digest(seed, 'dacl')}",
            "mainRouteTableId": f"rtb-{digest(seed, 'main')}",
            "ownerId": OFFLINE_ACCOUNT_ID,
        }
    if typ == "aws:ec2/eip:Eip":
        octets = [int(h[i : i + 2], 16) for i in (0, 2, 4)]
        return {"publicIp": f"198.51.{octets[0] % 100}.{octets[1]}", "allocationId": resource_id}
    if typ == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1, "defaultVersion": 1}
    if typ == "aws:eks/cluster:Cluster":
        return {
            "endpoint": f"https://{h.upper()}{digest(seed, 'ep', length=20).upper()}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {
                "data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk9GRkxJTkUKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
            },
            "identities": [
                {
                    "oidcs": [
                        {
                            "issuer": f"https://oidc.eks.{region}.amazonaws.com/id/"
                            + digest(seed, "oidc", length=32).upper()
                        }
                    ]
                }
            ],
            "vpcConfig": {
                **(inputs.get("vpcConfig") or {}),
                "clusterSecurityGroupId": f"sg-{digest(seed, 'csg')}",
                "vpcId": f"vpc-{digest(seed, 'vpc')}",
            },
            "status": "ACTIVE",
            "platformVersion": "eks.5",
        }
    if typ == "aws:eks/nodeGroup:NodeGroup":
        return {"status": "ACTIVE", "resources": [{"autoscalingGroups": [{"name": f"eks-{physical}-{h}"}]}]}
    if typ == "aws:rds/cluster:Cluster":
        return {
            "endpoint": f"{physical}.cluster-{h}.{region}.rds.amazonaws.com",
            "readerEndpoint": f"{physical}.cluster-ro-{h}.{region}.rds.amazonaws.com",
            "clusterResourceId": f"cluster-{digest(seed, 'res', length=26).upper()}",
            "port": 5432,
            "hostedZoneId": "Z2R2ITUGPM61AM",
            **(
                {
                    "masterUserSecrets": [
                        {
                            "secretArn": f"arn:aws:secretsmanager:{region}:{OFFLINE_ACCOUNT_ID}:secret:"
                            f"rds!cluster-{_uuid(seed)}-{h[:6]}",
                            "secretStatus": "active",
                            "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                        }
                    ]
                }
                if inputs.get("manageMasterUserPassword")
                else {}
            ),
        }
    if typ == "aws:rds/clusterInstance:ClusterInstance":
        return {"endpoint": f"{physical}.{h}.{region}.rds.amazonaws.com", "port": 5432, "writer": False}
    if typ == "aws:rds/globalCluster:GlobalCluster":
        return {
            "globalClusterResourceId": f"cluster-{h}",
            "endpoint": f"{physical}.global-{h}.global.rds.amazonaws.com",
        }
    if typ == "aws:msk/cluster:Cluster":
        brokers = int(inputs.get("numberOfBrokerNodes") or 3)
        hosts = ",".join(
            f"b-{i + 1}.{physical}.{h[:6]}.c{i % 3 + 1}.kafka.{region}.amazonaws.com" for i in range(brokers)
        )
        return {
            "bootstrapBrokersSaslIam": ",".join(f"{x}:9098" for x in hosts.split(",")),
            "bootstrapBrokersTls": ",".join(f"{x}:9094" for x in hosts.split(",")),
            "zookeeperConnectString": "",
            "currentVersion": "K3AEGXETSR30VB",
            "clusterUuid": arn.rsplit("/", 1)[-1] if arn else _uuid(seed),
        }
    if typ == "aws:msk/configuration:Configuration":
        return {"latestRevision": 1}
    if typ == "aws:route53/zone:Zone":
        return {
            "zoneId": resource_id,
            "nameServers": [
                f"ns-{int(h[i : i + 3], 16) % 2048}.awsdns-{i:02d}.{tld}"
                for i, tld in ((0, "com"), (3, "net"), (6, "org"), (9, "co.uk"))
            ],
        }
    if typ == "aws:route53/keySigningKey:KeySigningKey":
        # The shape Route 53 answers for an ECC_NIST_P256 KSK (API reference, KeySigningKey): key tag,
        # algorithm 13 (ECDSAP256SHA256), digest type 2 (SHA-256) and a 64-hex-digit digest.
        key_tag = int(h[:4], 16) % 65536
        ds_digest = digest(seed, "ds", length=64).upper()
        return {
            "keyTag": key_tag,
            "signingAlgorithmType": 13,
            "signingAlgorithmMnemonic": "ECDSAP256SHA256",
            "digestAlgorithmType": 2,
            "digestAlgorithmMnemonic": "SHA-256",
            "digestValue": ds_digest,
            "dsRecord": f"{key_tag} 13 2 {ds_digest}",
        }
    if typ == "aws:iam/role:Role":
        return {"uniqueId": f"AROA{digest(seed, length=17).upper()}"}
    if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        return {}
    if typ == "aws:sns/topic:Topic":
        return {}
    if typ == "aws:secretsmanager/secret:Secret":
        return {}
    if typ == "aws:route53recoverycontrol/cluster:Cluster":
        return {
            "clusterEndpoints": [
                {"endpoint": f"https://{h[:8]}.route53-recovery-cluster.{r}.amazonaws.com/v1", "region": r}
                for r in ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-2")
            ],
            "status": "DEPLOYED",
        }
    if typ == "aws:acm/certificate:Certificate":
        names = [inputs.get("domainName"), *(inputs.get("subjectAlternativeNames") or [])]
        return {
            "status": "ISSUED",
            # ACM derives the validation CNAME from account and name alone: the same in every region.
            "domainValidationOptions": [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_{digest('acm', str(domain), length=32)}.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_{digest('acm-value', str(domain), length=32)}.acm-validations.aws.",
                }
                for domain in names
                if isinstance(domain, str)
            ],
        }
    if typ == "aws:acm/certificateValidation:CertificateValidation":
        return {"certificateArn": inputs.get("certificateArn", "")}
    if typ == "aws:lb/loadBalancer:LoadBalancer":
        suffix = arn.split(":loadbalancer/", 1)[-1]
        return {
            "arnSuffix": suffix,
            "dnsName": f"{physical}-{int(h[:8], 16)}.{region}.elb.amazonaws.com",
            "zoneId": _ALB_HOSTED_ZONES.get(region, "Z35SXDOTRQ7X7K"),
        }
    if typ == "aws:lb/listener:Listener":
        lb_arn = str(inputs.get("loadBalancerArn", ""))
        if ":loadbalancer/" in lb_arn:
            listener_arn = f"{lb_arn.replace(':loadbalancer/', ':listener/', 1)}/{digest(seed, length=16)}"
            return {"arn": listener_arn, "__id": listener_arn}
        return {}
    if typ == "aws:route53/record:Record":
        return {"fqdn": str(inputs.get("name", "")).rstrip(".")}
    if typ == "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
        # The accepter side adopts the requester's connection: its id is the connection's id.
        connection = inputs.get("vpcPeeringConnectionId")
        return {"__id": connection, "acceptStatus": "active"} if isinstance(connection, str) and connection else {}
    if typ == "aws:s3/bucket:Bucket":
        return {
            "bucketDomainName": f"{physical}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{physical}.s3.{region}.amazonaws.com",
            "region": region,
        }
    return {}


# Route 53 hosted zone ids of Application Load Balancers per region (what alias records point at).
_ALB_HOSTED_ZONES = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "ca-central-1": "ZQSVJUPU6J1EY",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8",
    "eu-central-1": "Z215JYRZR1TBD5",
    "ap-southeast-2": "Z1GM3OXH4ZPM65",
    "ap-northeast-1": "Z14GRHDCWA56QT",
}


def dumps_stable(value: Any) -> str:
    """JSON with sorted keys: what determinism tests compare."""
    return json.dumps(value, sort_keys=True, indent=2)
