"""Security-relevant properties of the real prod plan, broken one at a time.

Each mutation selects one resource of the prod plan export by type and logical-name pattern
(failing loudly when nothing matches, so a renamed resource cannot make a test pass
vacuously), breaks one property, and names where a catch must be reported: the mutated
resource's URN, or, for what only a stack policy can see (a resource removed), the stack or
the resources declared in `reported_on`. The harness in test_real_pack.py feeds each mutated
export through the real analyzer protocol and requires a new mandatory violation there.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Category = Literal[
    "encryption-at-rest",
    "encryption-in-transit",
    "segmentation",
    "logging",
    "resilience",
    "identity",
    "kubernetes",
    "residency",
]
CATEGORIES: tuple[Category, ...] = (
    "encryption-at-rest",
    "encryption-in-transit",
    "segmentation",
    "logging",
    "resilience",
    "identity",
    "kubernetes",
    "residency",
)
STACK_TYPE = "pulumi:pulumi:Stack"

Resource = dict[str, Any]
Edit = Callable[[Resource], None]


class SelectorMatchedNothing(LookupError):
    """A mutation's selector found no resource: the plan changed under the mutation table."""


@dataclass(frozen=True)
class Select:
    """The first resource (in URN order) of `type` whose logical name matches `name` (a regex)."""

    type: str
    name: str = ".*"

    def pick(self, export: Mapping[str, Any]) -> Resource:
        """The selected resource of `export` (the object itself, for editing)."""
        pattern = re.compile(self.name)
        candidates = sorted(
            (r for r in export["resources"] if r["type"] == self.type and pattern.fullmatch(r["name"])),
            key=lambda r: r["urn"],
        )
        if not candidates:
            names = sorted(r["name"] for r in export["resources"] if r["type"] == self.type)
            raise SelectorMatchedNothing(
                f"no {self.type} named /{self.name}/ in the plan; resources of that type: {names or 'none'}"
            )
        return candidates[0]


@dataclass(frozen=True)
class Mutation:
    """One broken property: what it breaks, where, and where a catch must be reported."""

    id: str
    category: Category
    what: str
    select: Select
    edit: Edit | None = None  # None: the resource is removed from the plan
    reported_on: tuple[Select, ...] = field(default_factory=tuple)
    known_gap: str = ""  # why the pack misses it today: the test is a strict xfail until fixed

    def apply(self, export: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
        """A mutated deep copy of `export` and the URNs a catch may name."""
        mutated = copy.deepcopy(dict(export))
        target = self.select.pick(mutated)
        urns = {s.pick(mutated)["urn"] for s in self.reported_on}
        if self.edit is None:
            mutated["resources"] = [r for r in mutated["resources"] if r["urn"] != target["urn"]]
            urns |= {r["urn"] for r in mutated["resources"] if r["type"] == STACK_TYPE}
        else:
            self.edit(target)
            urns.add(target["urn"])
        return mutated, frozenset(urns)

    @property
    def removes(self) -> bool:
        """True when the mutation deletes the resource instead of editing it."""
        return self.edit is None


# -- edits ---------------------------------------------------------------------------------------


Path = str | tuple[str | int, ...]


def _walk(document: Any, path: Path) -> tuple[Any, str | int]:
    """The container of the last element of `path` and that element's key.

    `path` is dotted with [i] list indices (`rules[0].sseAlgorithm`), or a tuple of keys when a
    key itself holds dots (Kubernetes label names).
    """
    parts: list[str | int] = []
    if isinstance(path, tuple):
        parts = list(path)
    else:
        for piece in path.split("."):
            name, *indices = re.findall(r"[^\[\]]+", piece)
            parts.append(name)
            parts.extend(int(i) for i in indices)
    node = document
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def _in_state(resource: Resource) -> list[dict[str, Any]]:
    """Where a program change shows: the inputs, and the outputs the mocks derived from them."""
    return [resource["inputs"], *([resource["outputs"]] if resource.get("outputs") else [])]


def _literal(resource: Resource, path: Path) -> None:
    """A property set to a literal no longer depends on another resource."""
    top = path[0] if isinstance(path, tuple) else re.split(r"[.\[]", path)[0]
    resource.get("propertyDependencies", {}).pop(top, None)


def set_input(path: Path, value: Any) -> Edit:
    """Set the input at `path` to the literal `value` (inputs and outputs alike)."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            node, key = _walk(props, path)
            node[key] = copy.deepcopy(value)
        if isinstance(path, tuple) or "." not in path:
            _literal(resource, path)

    return edit


def drop_input(path: Path) -> Edit:
    """Remove the input at `path`; it must exist (a vanished property is a stale mutation)."""

    def edit(resource: Resource) -> None:
        node, key = _walk(resource["inputs"], path)
        del node[key]
        if resource.get("outputs"):
            node, key = _walk(resource["outputs"], path)
            if isinstance(node, dict):
                node.pop(key, None)
        if isinstance(path, tuple) or "." not in path:
            _literal(resource, path)

    return edit


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> Edit:
    """Change a JSON document held as a string input (IAM, key and bucket policies)."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            node, key = _walk(props, path)
            document = json.loads(node[key])
            change(document)
            node[key] = json.dumps(document)

    return edit


def change_parameter(name: str, value: str) -> Edit:
    """Set one entry of an RDS parameter group's `parameters` list."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            (parameter,) = [p for p in props["parameters"] if p["name"] == name]
            parameter["value"] = value

    return edit


def _statement(document: dict[str, Any], index: int = 0) -> dict[str, Any]:
    statements = document["Statement"]
    return statements[index] if isinstance(statements, list) else statements


def _first_allow_with_resources(document: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in document["Statement"] if s.get("Effect") == "Allow" and "Resource" in s)


def _grant_everyone(document: dict[str, Any]) -> None:
    document["Statement"].append(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    )


def _grant_everyone_not_listed(document: dict[str, Any]) -> None:
    """Allow with NotPrincipal: every principal except the one named, anonymous ones included."""
    document["Statement"].append(
        {
            "Sid": "AllButBreakGlass",
            "Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/break-glass"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )


def _grant_everyone_via_service(document: dict[str, Any]) -> None:
    """AWS's service-use form without kms:CallerAccount: any account's principals, through RDS."""
    document["Statement"].append(
        {
            "Sid": "AnyAccountThroughRds",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "rds.us-east-1.amazonaws.com"}},
        }
    )


def _drop_s3_use(document: dict[str, Any]) -> None:
    """The key keeps administration and the CloudWatch Logs principal, loses its S3 path."""
    for statement in document["Statement"]:
        via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
        if via:
            kept = [endpoint for endpoint in via if not endpoint.startswith("s3.")]
            statement["Condition"]["StringEquals"]["kms:ViaService"] = kept
    document["Statement"] = [
        s for s in document["Statement"] if s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService") != []
    ]


def _drop_tls_deny(document: dict[str, Any]) -> None:
    document["Statement"] = [s for s in document["Statement"] if "aws:SecureTransport" not in json.dumps(s)]


def other_region_key(path: Path) -> Edit:
    """Point a key reference at the same key id in another region of the jurisdiction."""

    def edit(resource: Resource) -> None:
        region = resource["inputs"]["region"]
        other = "us-east-1" if region != "us-east-1" else "us-west-2"
        for props in _in_state(resource):
            node, key = _walk(props, path)
            node[key] = node[key].replace(f":{region}:", f":{other}:")

    return edit


def public_ingress(port: int) -> Edit:
    """Turn a security group ingress rule into `port` from anywhere."""
    return _all(
        drop_input("referencedSecurityGroupId"),
        set_input("cidrIpv4", "0.0.0.0/0"),
        set_input("ipProtocol", "tcp"),
        set_input("fromPort", port),
        set_input("toPort", port),
    )


def drop_nacl_denies(resource: Resource) -> None:
    """Remove a network ACL's deny entries (its ingress allows keep their rule numbers)."""
    for props in _in_state(resource):
        props["ingress"] = [e for e in props["ingress"] if e.get("action") != "deny"]


def add_nacl_ingress(entry: dict[str, Any]) -> Edit:
    """Add one ingress entry to a network ACL."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            props["ingress"] = [*props["ingress"], copy.deepcopy(entry)]

    return edit


def _all(*edits: Edit) -> Edit:
    def edit(resource: Resource) -> None:
        for one in edits:
            one(resource)

    return edit


def renamed(name: str) -> Edit:
    """Give the resource another logical name (and URN): a new resource, which no waiver names yet."""

    def edit(resource: Resource) -> None:
        resource["name"] = name
        resource["urn"] = f"{resource['urn'].rsplit('::', 1)[0]}::{name}"

    return edit


def unprotected(resource: Resource) -> None:
    """Drop the Pulumi `protect` resource option (the export's `options.protect`)."""
    resource["options"]["protect"] = False


# -- the table -----------------------------------------------------------------------------------

AURORA = Select("aws:rds/cluster:Cluster", r"aurora-us-east-1-cluster")
AURORA_INSTANCE = Select("aws:rds/clusterInstance:ClusterInstance", r"aurora-us-east-1-instance-1")
MSK = Select("aws:msk/cluster:Cluster", r"msk-us-east-1-cluster")
EKS = Select("aws:eks/cluster:Cluster", r"eks-us-east-1-cluster")
LAUNCH_TEMPLATE = Select("aws:ec2/launchTemplate:LaunchTemplate", r"eks-us-east-1-node-template")
DATA_KEY = Select("aws:kms/key:Key", r"keys-data")
LOG_GROUP = Select("aws:cloudwatch/logGroup:LogGroup", r"eks-us-east-1-control-plane-logs")
LISTENER = Select("aws:lb/listener:Listener", r"traffic-https-us-east-1")
VPC = Select("aws:ec2/vpc:Vpc", r"cell-us-east-1-vpc")
BUCKET = Select("aws:s3/bucket:Bucket", r"dr-reports")

MUTATIONS: tuple[Mutation, ...] = (
    # -- encryption at rest ----------------------------------------------------------------------
    Mutation(
        "aurora-storage-unencrypted",
        "encryption-at-rest",
        "Aurora member cluster storageEncrypted false",
        AURORA,
        set_input("storageEncrypted", False),
    ),
    Mutation(
        "aurora-aws-managed-key",
        "encryption-at-rest",
        "Aurora member cluster on the AWS managed key",
        AURORA,
        set_input("kmsKeyId", "alias/aws/rds"),
    ),
    Mutation(
        "aurora-global-unencrypted",
        "encryption-at-rest",
        "Aurora global cluster storageEncrypted false",
        Select("aws:rds/globalCluster:GlobalCluster"),
        set_input("storageEncrypted", False),
    ),
    Mutation(
        "aurora-performance-insights-aws-key",
        "encryption-at-rest",
        "Performance Insights (SQL text) under the AWS managed key",
        AURORA_INSTANCE,
        set_input("performanceInsightsKmsKeyId", "alias/aws/rds"),
    ),
    Mutation(
        "eks-secrets-not-envelope-encrypted",
        "encryption-at-rest",
        "EKS encryptionConfig without secrets",
        EKS,
        set_input("encryptionConfig.resources", []),
    ),
    Mutation(
        "msk-at-rest-aws-key",
        "encryption-at-rest",
        "MSK broker storage on the AWS managed key",
        MSK,
        drop_input("encryptionInfo.encryptionAtRestKmsKeyArn"),
    ),
    Mutation(
        "log-group-no-cmk",
        "encryption-at-rest",
        "EKS control-plane log group without a CMK",
        LOG_GROUP,
        drop_input("kmsKeyId"),
    ),
    Mutation(
        "s3-sse-aes256",
        "encryption-at-rest",
        "report bucket default encryption SSE-S3 instead of SSE-KMS",
        Select("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
        set_input("rules[0].applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"),
    ),
    Mutation(
        "s3-encryption-config-removed",
        "encryption-at-rest",
        "report bucket without default encryption",
        Select("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "node-volume-unencrypted",
        "encryption-at-rest",
        "EKS node root volume ebs.encrypted false",
        LAUNCH_TEMPLATE,
        set_input("blockDeviceMappings[0].ebs.encrypted", "false"),
    ),
    Mutation(
        "secret-aws-managed-key",
        "encryption-at-rest",
        "ledger master secret without a CMK",
        Select("aws:secretsmanager/secret:Secret"),
        drop_input("kmsKeyId"),
    ),
    Mutation(
        "sns-topic-unencrypted",
        "encryption-at-rest",
        "alert topic without a CMK",
        Select("aws:sns/topic:Topic", r"alerts-us-east-1-topic"),
        drop_input("kmsMasterKeyId"),
    ),
    Mutation(
        "kms-rotation-off",
        "encryption-at-rest",
        "data key rotation disabled",
        DATA_KEY,
        set_input("enableKeyRotation", False),
    ),
    Mutation(
        "kms-single-region",
        "encryption-at-rest",
        "data key not multi-region",
        DATA_KEY,
        set_input("multiRegion", False),
    ),
    Mutation(
        "kms-replica-removed",
        "encryption-at-rest",
        "data key has no replica in us-west-2",
        Select("aws:kms/replicaKey:ReplicaKey", r"keys-data-replica-us-west-2"),
        reported_on=(DATA_KEY,),
    ),
    Mutation(
        "kms-key-other-region",
        "encryption-at-rest",
        "us-east-1 Aurora cluster encrypted with a us-west-2 key",
        AURORA,
        other_region_key("kmsKeyId"),
    ),
    # -- encryption in transit -------------------------------------------------------------------
    Mutation(
        "msk-client-plaintext",
        "encryption-in-transit",
        "MSK accepts plaintext clients",
        MSK,
        set_input("encryptionInfo.encryptionInTransit.clientBroker", "TLS_PLAINTEXT"),
    ),
    Mutation(
        "msk-in-cluster-plaintext",
        "encryption-in-transit",
        "MSK broker-to-broker traffic in plaintext",
        MSK,
        set_input("encryptionInfo.encryptionInTransit.inCluster", False),
    ),
    Mutation(
        "aurora-params-no-force-ssl",
        "encryption-in-transit",
        "Aurora parameter group rds.force_ssl 0",
        Select("aws:rds/clusterParameterGroup:ClusterParameterGroup", r"aurora-us-east-1-params"),
        change_parameter("rds.force_ssl", "0"),
    ),
    Mutation(
        "aurora-cluster-default-params",
        "encryption-in-transit",
        "Aurora cluster on the default parameter group (TLS not forced)",
        AURORA,
        drop_input("dbClusterParameterGroupName"),
    ),
    Mutation(
        "s3-policy-allows-http",
        "encryption-in-transit",
        "report bucket policy without the TLS-only deny",
        Select("aws:s3/bucketPolicy:BucketPolicy"),
        edit_json("policy", _drop_tls_deny),
    ),
    Mutation(
        "s3-policy-removed",
        "encryption-in-transit",
        "report bucket without a bucket policy",
        Select("aws:s3/bucketPolicy:BucketPolicy"),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "lb-listener-legacy-tls",
        "encryption-in-transit",
        "API listener on a TLS 1.0 policy",
        LISTENER,
        set_input("sslPolicy", "ELBSecurityPolicy-2016-08"),
    ),
    Mutation(
        "lb-listener-tls13-1-0",
        "encryption-in-transit",
        "API listener on a TLS13-prefixed policy that still negotiates TLS 1.0 and 1.1",
        LISTENER,
        set_input("sslPolicy", "ELBSecurityPolicy-TLS13-1-0-2021-06"),
    ),
    Mutation(
        "lb-listener-plain-http",
        "encryption-in-transit",
        "API listener serving plain HTTP on 80",
        LISTENER,
        _all(
            set_input("protocol", "HTTP"), set_input("port", 80), drop_input("sslPolicy"), drop_input("certificateArn")
        ),
    ),
    # -- segmentation ----------------------------------------------------------------------------
    Mutation(
        "app-sg-ssh-from-internet",
        "segmentation",
        "app security group open to SSH from anywhere",
        Select("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", r"cell-us-east-1-app-in-lb-.*"),
        public_ingress(22),
    ),
    Mutation(
        "app-sg-ssh-from-two-halves",
        "segmentation",
        "app security group open to SSH from 0.0.0.0/1 and 128.0.0.0/1 (the internet without 0.0.0.0/0)",
        Select("aws:ec2/securityGroup:SecurityGroup", r"cell-us-east-1-app-sg"),
        set_input(
            "ingress",
            [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}],
        ),
    ),
    Mutation(
        "app-sg-ipv6-any",
        "segmentation",
        "app security group accepts its pod port from ::/0",
        Select("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", r"cell-us-east-1-app-in-lb-.*"),
        _all(drop_input("referencedSecurityGroupId"), set_input("cidrIpv6", "::/0")),
    ),
    Mutation(
        "public-nacl-rdp-deny-removed",
        "segmentation",
        "public-tier NACL without its RDP deny: the ephemeral allow from anywhere admits 3389",
        Select("aws:ec2/networkAcl:NetworkAcl", r"cell-us-east-1-public-nacl"),
        drop_nacl_denies,
    ),
    Mutation(
        "app-nacl-ssh-from-slash-seven",
        "segmentation",
        "app-tier NACL admits SSH from 8.0.0.0/7",
        Select("aws:ec2/networkAcl:NetworkAcl", r"cell-us-east-1-app-nacl"),
        add_nacl_ingress(
            {"ruleNo": 80, "action": "allow", "protocol": "tcp", "cidrBlock": "8.0.0.0/7", "fromPort": 22, "toPort": 22}
        ),
    ),
    Mutation(
        "data-route-two-halves",
        "segmentation",
        "data-tier route table routes 0.0.0.0/1 and 128.0.0.0/1 (a default route in two halves)",
        Select("aws:ec2/routeTable:RouteTable", r"cell-us-east-1-data-rt"),
        set_input(
            "routes",
            [
                {"cidrBlock": "0.0.0.0/1", "natGatewayId": "nat-0123456789abcdef0"},
                {"cidrBlock": "128.0.0.0/1", "natGatewayId": "nat-0123456789abcdef0"},
            ],
        ),
    ),
    Mutation(
        "db-sg-from-vpc-cidr",
        "segmentation",
        "database group accepts the whole VPC CIDR",
        Select("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", r"cell-us-east-1-db-in-app-5432"),
        _all(drop_input("referencedSecurityGroupId"), set_input("cidrIpv4", "10.10.0.0/16")),
    ),
    Mutation(
        "data-route-to-internet",
        "segmentation",
        "data-tier route table with a default route",
        Select("aws:ec2/routeTable:RouteTable", r"cell-us-east-1-data-rt"),
        set_input("routes", [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0123456789abcdef0"}]),
    ),
    Mutation(
        "app-subnet-public-ips",
        "segmentation",
        "app subnet maps public IPs on launch",
        Select("aws:ec2/subnet:Subnet", r"cell-us-east-1-app-a"),
        set_input("mapPublicIpOnLaunch", True),
    ),
    Mutation(
        "subnet-tier-tag-missing",
        "segmentation",
        "data subnet without its finstack:tier tag",
        Select("aws:ec2/subnet:Subnet", r"cell-us-east-1-data-a"),
        drop_input("tags.finstack:tier"),
    ),
    Mutation(
        "default-sg-allows-all",
        "segmentation",
        "default security group with an allow-all ingress rule",
        Select("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", r"cell-us-east-1-default-sg"),
        set_input("ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]),
    ),
    Mutation(
        "default-sg-unmanaged",
        "segmentation",
        "VPC default security group left unmanaged",
        Select("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", r"cell-us-east-1-default-sg"),
        reported_on=(VPC,),
    ),
    Mutation(
        "rds-instance-public",
        "segmentation",
        "Aurora instance publicly accessible",
        AURORA_INSTANCE,
        set_input("publiclyAccessible", True),
    ),
    Mutation(
        "eks-endpoint-public",
        "segmentation",
        "EKS API endpoint public to the internet",
        EKS,
        _all(
            set_input("vpcConfig.endpointPublicAccess", True), set_input("vpcConfig.publicAccessCidrs", ["0.0.0.0/0"])
        ),
    ),
    Mutation(
        "msk-public-access",
        "segmentation",
        "MSK brokers reachable through public IPs",
        MSK,
        set_input("brokerNodeGroupInfo.connectivityInfo.publicAccess", {"type": "SERVICE_PROVIDED_EIPS"}),
    ),
    Mutation(
        "kms-endpoint-removed",
        "segmentation",
        "cell reaches KMS over the internet (no VPC endpoint)",
        Select("aws:ec2/vpcEndpoint:VpcEndpoint", r"cell-us-east-1-kms-endpoint"),
        reported_on=(VPC,),
    ),
    # -- logging ---------------------------------------------------------------------------------
    Mutation(
        "flow-log-accepted-only",
        "logging",
        "VPC flow log records only accepted traffic",
        Select("aws:ec2/flowLog:FlowLog", r"cell-us-east-1-flow-log"),
        set_input("trafficType", "ACCEPT"),
        reported_on=(VPC,),
    ),
    Mutation(
        "flow-log-removed",
        "logging",
        "VPC without a flow log",
        Select("aws:ec2/flowLog:FlowLog", r"cell-us-east-1-flow-log"),
        reported_on=(VPC,),
    ),
    Mutation(
        "eks-audit-log-off",
        "logging",
        "EKS control plane logs only the API server",
        EKS,
        set_input("enabledClusterLogTypes", ["api"]),
    ),
    Mutation(
        "aurora-log-exports-off",
        "logging",
        "Aurora exports no logs to CloudWatch",
        AURORA,
        set_input("enabledCloudwatchLogsExports", []),
    ),
    Mutation(
        "msk-broker-logs-off",
        "logging",
        "MSK broker logs disabled",
        MSK,
        set_input("loggingInfo.brokerLogs.cloudwatchLogs.enabled", False),
    ),
    Mutation(
        "log-retention-30-days",
        "logging",
        "control-plane logs kept for 30 days",
        LOG_GROUP,
        set_input("retentionInDays", 30),
    ),
    Mutation(
        "aurora-pgaudit-off",
        "logging",
        "Aurora parameter group logs no pgAudit classes",
        Select("aws:rds/clusterParameterGroup:ClusterParameterGroup", r"aurora-us-east-1-params"),
        change_parameter("pgaudit.log", "none"),
    ),
    Mutation(
        "aurora-disconnections-unlogged",
        "logging",
        "Aurora parameter group stops logging disconnections",
        Select("aws:rds/clusterParameterGroup:ClusterParameterGroup", r"aurora-us-west-2-params"),
        change_parameter("log_disconnections", "0"),
    ),
    Mutation(
        "aurora-enhanced-monitoring-off",
        "logging",
        "Aurora instance without Enhanced Monitoring",
        AURORA_INSTANCE,
        set_input("monitoringInterval", 0),
    ),
    Mutation(
        "s3-new-bucket-without-access-logs",
        "logging",
        "a new bucket (no waiver names it) without server access logging",
        BUCKET,
        renamed("dr-reports-archive"),
    ),
    # -- resilience ------------------------------------------------------------------------------
    Mutation(
        "aurora-deletion-unprotected",
        "resilience",
        "Aurora cluster deletionProtection false",
        AURORA,
        set_input("deletionProtection", False),
    ),
    Mutation(
        "aurora-skip-final-snapshot",
        "resilience",
        "Aurora cluster skips its final snapshot",
        AURORA,
        set_input("skipFinalSnapshot", True),
    ),
    Mutation(
        "aurora-backups-7-days",
        "resilience",
        "Aurora backups kept 7 days",
        AURORA,
        set_input("backupRetentionPeriod", 7),
    ),
    Mutation(
        "aurora-single-instance",
        "resilience",
        "us-east-1 Aurora cluster left with one instance",
        Select("aws:rds/clusterInstance:ClusterInstance", r"aurora-us-east-1-instance-2"),
        reported_on=(AURORA,),
    ),
    Mutation(
        "msk-two-azs",
        "resilience",
        "MSK brokers in two AZs",
        MSK,
        _all(
            set_input("brokerNodeGroupInfo.clientSubnets", ["subnet-0000000000000000a", "subnet-0000000000000000b"]),
            set_input("numberOfBrokerNodes", 2),
        ),
    ),
    Mutation(
        "nat-gateway-removed",
        "resilience",
        "one app-tier AZ without its NAT gateway",
        Select("aws:ec2/natGateway:NatGateway", r"cell-us-east-1-nat-b"),
    ),
    Mutation(
        "replication-lag-alarm-removed",
        "resilience",
        "no alarm on Aurora replication lag in us-west-2",
        Select("aws:cloudwatch/metricAlarm:MetricAlarm", r"aurora-us-west-2-replication-lag-alarm"),
        reported_on=(Select("aws:rds/cluster:Cluster", r"aurora-us-west-2-cluster"),),
    ),
    Mutation(
        "msk-cell-removed",
        "resilience",
        "us-west-2 runs no MSK cluster (active-active parity)",
        Select("aws:msk/cluster:Cluster", r"msk-us-west-2-cluster"),
    ),
    Mutation(
        "aurora-global-force-destroy",
        "resilience",
        "Aurora global cluster forceDestroy true",
        Select("aws:rds/globalCluster:GlobalCluster", r"aurora-global"),
        set_input("forceDestroy", True),
    ),
    Mutation(
        "aurora-copy-tags-off",
        "resilience",
        "Aurora snapshots lose the cluster's tags",
        AURORA,
        set_input("copyTagsToSnapshot", False),
    ),
    Mutation(
        "aurora-instances-one-az",
        "resilience",
        "both us-east-1 Aurora instances pinned to one AZ",
        Select("aws:rds/clusterInstance:ClusterInstance", r"aurora-us-east-1-instance-2"),
        set_input("availabilityZone", "us-east-1f"),
        reported_on=(AURORA,),
    ),
    Mutation(
        "aurora-cluster-minor-upgrades-off",
        "resilience",
        "Aurora cluster never applies minor engine upgrades",
        AURORA,
        set_input("autoMinorVersionUpgrade", False),
    ),
    Mutation(
        "eks-new-cluster-old-version",
        "resilience",
        "a new EKS cluster (no waiver names it) on Kubernetes 1.31",
        EKS,
        _all(renamed("eks-us-east-1-cluster-next"), set_input("version", "1.31")),
    ),
    Mutation(
        "eks-deletion-unprotected",
        "resilience",
        "EKS cluster deletionProtection false",
        EKS,
        set_input("deletionProtection", False),
    ),
    Mutation(
        "bucket-versioning-suspended",
        "resilience",
        "ARC report bucket versioning suspended",
        Select("aws:s3/bucketVersioning:BucketVersioning", r"dr-reports-versioning"),
        set_input("versioningConfiguration.status", "Suspended"),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "aurora-cluster-unprotected",
        "resilience",
        "Aurora member cluster without the Pulumi protect option",
        AURORA,
        unprotected,
    ),
    Mutation(
        "route53-zone-unprotected",
        "resilience",
        "public hosted zone without the Pulumi protect option",
        Select("aws:route53/zone:Zone", r"traffic-zone"),
        unprotected,
    ),
    Mutation(
        "aurora-log-group-deletable",
        "resilience",
        "the ledger's log group loses its deletion protection",
        Select("aws:cloudwatch/logGroup:LogGroup", r"aurora-us-east-1-logs"),
        set_input("deletionProtectionEnabled", False),
    ),
    # -- identity --------------------------------------------------------------------------------
    Mutation(
        "iam-wildcard-action",
        "identity",
        "DR automation policy grants rds:*",
        Select("aws:iam/rolePolicy:RolePolicy", r"dr-roles-automation-policy"),
        edit_json("policy", lambda d: _statement(d).update(Action="rds:*")),
    ),
    Mutation(
        "iam-data-actions-on-star",
        "identity",
        "workload role's data-plane actions on Resource *",
        Select("aws:iam/rolePolicy:RolePolicy", r"kube-us-east-1-ledger-role-policy"),
        edit_json("policy", lambda d: _first_allow_with_resources(d).update(Resource="*")),
    ),
    Mutation(
        "node-role-admin",
        "identity",
        "EKS node role with AdministratorAccess",
        Select("aws:iam/rolePolicyAttachment:RolePolicyAttachment", r"eks-us-east-1-node-role-cni"),
        set_input("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
        reported_on=(Select("aws:iam/role:Role", r"eks-us-east-1-node-role"),),
    ),
    Mutation(
        "imds-v1-allowed",
        "identity",
        "EKS nodes accept IMDSv1",
        LAUNCH_TEMPLATE,
        set_input("metadataOptions.httpTokens", "optional"),
    ),
    Mutation(
        "rds-password-auth-only",
        "identity",
        "Aurora without IAM database authentication",
        AURORA,
        set_input("iamDatabaseAuthenticationEnabled", False),
    ),
    Mutation(
        "msk-unauthenticated-clients",
        "identity",
        "MSK accepts unauthenticated clients",
        MSK,
        set_input("clientAuthentication.unauthenticated", True),
    ),
    Mutation(
        "eks-aws-auth-configmap",
        "identity",
        "EKS authenticates through the aws-auth ConfigMap",
        EKS,
        set_input("accessConfig.authenticationMode", "API_AND_CONFIG_MAP"),
    ),
    Mutation(
        "kms-policy-everyone",
        "identity",
        "data key policy allows any principal to decrypt",
        DATA_KEY,
        edit_json("policy", _grant_everyone),
    ),
    Mutation(
        "kms-policy-not-principal",
        "identity",
        "data key policy allows decrypt to every principal but one (Allow with NotPrincipal)",
        DATA_KEY,
        edit_json("policy", _grant_everyone_not_listed),
    ),
    Mutation(
        "kms-policy-everyone-via-service",
        "identity",
        'data key policy allows "*" through RDS without kms:CallerAccount (any account)',
        DATA_KEY,
        edit_json("policy", _grant_everyone_via_service),
    ),
    Mutation(
        "kms-logs-key-no-s3-path",
        "identity",
        "logs key policy no longer lets S3 use it, though report buckets are SSE-KMS with it",
        Select("aws:kms/key:Key", r"keys-logs"),
        edit_json("policy", _drop_s3_use),
        # The stack policy names the bucket that can no longer use its key.
        reported_on=(Select("aws:s3/bucket:Bucket", r"dr-reports"),),
    ),
    # -- kubernetes ------------------------------------------------------------------------------
    Mutation(
        "namespace-privileged",
        "kubernetes",
        "ledger namespace enforces the privileged standard",
        Select("kubernetes:core/v1:Namespace", r"kube-us-east-1-ledger-namespace"),
        set_input(("metadata", "labels", "pod-security.kubernetes.io/enforce"), "privileged"),
    ),
    Mutation(
        "namespace-psa-label-missing",
        "kubernetes",
        "payments namespace without a Pod Security label",
        Select("kubernetes:core/v1:Namespace", r"kube-us-east-1-payments-namespace"),
        drop_input(("metadata", "labels", "pod-security.kubernetes.io/enforce")),
    ),
    Mutation(
        "default-deny-removed",
        "kubernetes",
        "risk namespace without its default-deny policy",
        Select("kubernetes:networking.k8s.io/v1:NetworkPolicy", r"kube-us-east-1-risk-default-deny"),
        reported_on=(Select("kubernetes:core/v1:Namespace", r"kube-us-east-1-risk-namespace"),),
    ),
    Mutation(
        "default-deny-ingress-only",
        "kubernetes",
        "ledger default-deny no longer covers egress",
        Select("kubernetes:networking.k8s.io/v1:NetworkPolicy", r"kube-us-east-1-ledger-default-deny"),
        set_input("spec.policyTypes", ["Ingress"]),
        reported_on=(Select("kubernetes:core/v1:Namespace", r"kube-us-east-1-ledger-namespace"),),
    ),
    # -- residency -------------------------------------------------------------------------------
    Mutation(
        "bucket-outside-jurisdiction",
        "residency",
        "DR report bucket in eu-west-1",
        BUCKET,
        set_input("region", "eu-west-1"),
    ),
    Mutation(
        "subnet-outside-jurisdiction",
        "residency",
        "a data subnet in ap-southeast-1",
        Select("aws:ec2/subnet:Subnet", r"cell-us-west-2-data-b"),
        set_input("region", "ap-southeast-1"),
    ),
    Mutation(
        "secret-replica-outside-jurisdiction",
        "residency",
        "ledger secret replicated to eu-central-1",
        Select("aws:secretsmanager/secret:Secret"),
        _all(
            set_input("replicas[0].region", "eu-central-1"),
            set_input("replicas[0].kmsKeyId", "arn:aws:kms:eu-central-1:111122223333:key/mrk-0"),
        ),
    ),
    Mutation(
        "provider-outside-jurisdiction",
        "residency",
        "the default aws provider targets eu-west-1",
        Select("pulumi:providers:aws", r"aws"),
        set_input("region", "eu-west-1"),
    ),
)
