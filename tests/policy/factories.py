"""Happy-path props, as the finstack components declare them, and a compliant two-cell stack.

Every factory returns the wire-name (camelCase) props a policy reads; tests break one property
at a time with `helpers.edit`. `compliant_stack()` links resources the way the engine does:
ids and ARNs in the outputs plus property dependencies, so stack policies can resolve
references both by value (at `up`) and by dependency (at preview).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import unknown_checking_proxy

from policy.rules._util import plain
from tests.policy.helpers import ACCOUNT, PRIMARY, SECONDARY, depends, key_arn, resource

SHORT = {"us-east-1": "use1", "us-west-2": "usw2", "us-east-2": "use2", "eu-west-1": "euw1"}

T_VPC = "aws:ec2/vpc:Vpc"
T_SUBNET = "aws:ec2/subnet:Subnet"
T_ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
T_ROUTE = "aws:ec2/route:Route"
T_NACL = "aws:ec2/networkAcl:NetworkAcl"
T_SG = "aws:ec2/securityGroup:SecurityGroup"
T_SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
T_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
T_DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
T_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
T_FLOW_LOG = "aws:ec2/flowLog:FlowLog"
T_NAT = "aws:ec2/natGateway:NatGateway"
T_LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
T_KEY = "aws:kms/key:Key"
T_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
T_LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
T_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
T_TOPIC = "aws:sns/topic:Topic"
T_SECRET = "aws:secretsmanager/secret:Secret"
T_GLOBAL = "aws:rds/globalCluster:GlobalCluster"
T_CLUSTER = "aws:rds/cluster:Cluster"
T_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
T_PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
T_EKS = "aws:eks/cluster:Cluster"
T_MSK = "aws:msk/cluster:Cluster"
T_REPLICATOR = "aws:msk/replicator:Replicator"
T_HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
T_ROLE = "aws:iam/role:Role"
T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
T_POLICY = "aws:iam/policy:Policy"
T_BUCKET = "aws:s3/bucket:Bucket"
T_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
T_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
T_LISTENER = "aws:lb/listener:Listener"
T_NAMESPACE = "kubernetes:core/v1:Namespace"
T_NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
T_NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
T_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
T_AWS_PROVIDER = "pulumi:providers:aws"
T_VAULT = "aws:backup/vault:Vault"
T_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
T_PLAN = "aws:backup/plan:Plan"
T_SELECTION = "aws:backup/selection:Selection"

ENDPOINT_SERVICES = ("sts", "ecr.api", "ecr.dkr", "logs", "kms", "secretsmanager")
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy")
EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def cell_tags(region: str, **extra: str) -> dict[str, str]:
    """components.naming.cell_tags, spelled out so the tests do not depend on components/."""
    return {"finstack:cell": region, **{f"finstack:{k}": v for k, v in extra.items()}}


# --- encryption and data stores ------------------------------------------------------------


def aurora_cluster(region: str = PRIMARY, *, primary: bool = True) -> dict[str, Any]:
    """An Aurora PostgreSQL member cluster of the global database."""
    props: dict[str, Any] = {
        "region": region,
        "clusterIdentifier": f"finstack-prod-{SHORT[region]}",
        "engine": "aurora-postgresql",
        "engineVersion": "16.6",
        # Not the engine default (rds-cluster-non-default-port); the shipped stack keeps 5432 under a waiver.
        "port": 6432,
        "globalClusterIdentifier": "finstack-prod",
        "storageEncrypted": True,
        "kmsKeyId": key_arn(region, "data"),
        "iamDatabaseAuthenticationEnabled": True,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": f"finstack-prod-{SHORT[region]}-final",
        "backupRetentionPeriod": 35,
        "preferredBackupWindow": "03:00-04:00",
        "enabledCloudwatchLogsExports": ["postgresql"],
        "copyTagsToSnapshot": True,
        "dbClusterParameterGroupName": f"aurora-{region}-params",
        "dbSubnetGroupName": f"aurora-{region}-subnets",
        "vpcSecurityGroupIds": [f"sg-db{SHORT[region]}"],
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key_arn(region, "data"),
        "tags": cell_tags(region),
    }
    if primary:
        props.update(
            databaseName="ledger",
            masterUsername="ledger_admin",
            manageMasterUserPassword=True,
            masterUserSecretKmsKeyId=key_arn(region, "secrets"),
        )
    return props


def aurora_instance(region: str = PRIMARY, index: int = 1) -> dict[str, Any]:
    """One writer/reader instance of a member cluster."""
    return {
        "region": region,
        "identifier": f"finstack-prod-{SHORT[region]}-{index}",
        "clusterIdentifier": f"finstack-prod-{SHORT[region]}",
        "engine": "aurora-postgresql",
        "instanceClass": "db.r7g.2xlarge",
        "publiclyAccessible": False,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key_arn(region, "data"),
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "monitoringInterval": 15,
        "monitoringRoleArn": f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-ledger-rds-monitoring",
        "tags": cell_tags(region),
    }


def global_cluster() -> dict[str, Any]:
    """The Aurora global cluster (created in the primary region)."""
    return {
        "region": PRIMARY,
        "globalClusterIdentifier": "finstack-prod",
        "engine": "aurora-postgresql",
        "engineVersion": "16.6",
        "databaseName": "ledger",
        "storageEncrypted": True,
        "deletionProtection": True,
    }


def parameter_group(region: str = PRIMARY) -> dict[str, Any]:
    """The cluster parameter group that forces TLS."""
    return {
        "region": region,
        "name": f"aurora-{region}-params",
        "family": "aurora-postgresql16",
        "parameters": [
            {"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"},
            {"name": "log_connections", "value": "1", "applyMethod": "immediate"},
            {"name": "log_disconnections", "value": "1", "applyMethod": "immediate"},
            {
                "name": "shared_preload_libraries",
                "value": "pg_stat_statements,pgaudit",
                "applyMethod": "pending-reboot",
            },
            {"name": "pgaudit.log", "value": "ddl,role", "applyMethod": "immediate"},
        ],
        "tags": cell_tags(region),
    }


def eks_cluster(region: str = PRIMARY) -> dict[str, Any]:
    """A private EKS cluster with secrets encryption, full logging and access entries only."""
    return {
        "region": region,
        "name": f"finstack-prod-{SHORT[region]}",
        "version": "1.35",
        "deletionProtection": True,
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/eks-{region}-cluster",
        "vpcConfig": {
            "subnetIds": [f"subnet-app{SHORT[region]}{z}" for z in "abc"],
            "securityGroupIds": [f"sg-app{SHORT[region]}"],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": key_arn(region, "secrets")}},
        "enabledClusterLogTypes": list(EKS_LOG_TYPES),
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        "tags": cell_tags(region),
    }


def msk_cluster(region: str = PRIMARY) -> dict[str, Any]:
    """A three-AZ MSK cluster: TLS, IAM auth, CMK, broker logs, private."""
    return {
        "region": region,
        "clusterName": f"finstack-prod-{SHORT[region]}",
        "kafkaVersion": "3.8.x",
        "numberOfBrokerNodes": 3,
        "brokerNodeGroupInfo": {
            "instanceType": "kafka.m7g.xlarge",
            "clientSubnets": [f"subnet-data{SHORT[region]}{z}" for z in "abc"],
            "securityGroups": [f"sg-kafka{SHORT[region]}"],
            "storageInfo": {"ebsStorageInfo": {"volumeSize": 2000}},
            "connectivityInfo": {"publicAccess": {"type": "DISABLED"}},
        },
        "encryptionInfo": {
            "encryptionAtRestKmsKeyArn": key_arn(region, "streaming"),
            "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
        },
        "clientAuthentication": {"unauthenticated": False, "sasl": {"iam": True, "scram": False}},
        "loggingInfo": {
            "brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": f"/finstack/prod/{region}/msk"}}
        },
        "tags": cell_tags(region),
    }


def msk_replicator(region: str = SECONDARY, source: str = PRIMARY) -> dict[str, Any]:
    """The replicator that runs in `region` and replicates from `source` into it."""
    return {
        "region": region,
        "replicatorName": f"finstack-prod-{SHORT[source]}-to-{SHORT[region]}",
        "serviceExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/msk-replicator-{region}",
        "kafkaClusters": [
            {
                "amazonMskCluster": {
                    "mskClusterArn": f"arn:aws:kafka:{source}:{ACCOUNT}:cluster/finstack-prod-{SHORT[source]}/x"
                }
            },
            {
                "amazonMskCluster": {
                    "mskClusterArn": f"arn:aws:kafka:{region}:{ACCOUNT}:cluster/finstack-prod-{SHORT[region]}/y"
                }
            },
        ],
        "tags": cell_tags(region),
    }


def log_group(region: str = PRIMARY) -> dict[str, Any]:
    """A log group as the components declare it (logs key, stack retention)."""
    return {
        "region": region,
        "name": f"/finstack/prod/{region}/vpc-flow-logs",
        "kmsKeyId": key_arn(region, "logs"),
        "retentionInDays": 400,
        "deletionProtectionEnabled": True,
        "tags": cell_tags(region),
    }


def kms_key(region: str = PRIMARY, purpose: str = "data") -> dict[str, Any]:
    """A multi-region primary key with rotation and a named-principal key policy."""
    return {
        "region": region,
        "description": f"finstack prod {purpose} key",
        "multiRegion": True,
        "enableKeyRotation": True,
        "rotationPeriodInDays": 365,
        "deletionWindowInDays": 30,
        "keyUsage": "ENCRYPT_DECRYPT",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "policy": key_policy(region),
        "arn": key_arn(region, purpose),
        "tags": cell_tags(region),
    }


def replica_key(region: str = SECONDARY, purpose: str = "data") -> dict[str, Any]:
    """The replica of the `purpose` key in `region`."""
    return {
        "region": region,
        "primaryKeyArn": key_arn(PRIMARY, purpose),
        "description": f"finstack prod {purpose} key ({region} replica)",
        "deletionWindowInDays": 30,
        "policy": key_policy(region),
        "arn": key_arn(region, purpose),
        "tags": cell_tags(region),
    }


def key_policy(region: str = PRIMARY) -> str:
    """The account-root key policy plus a CloudWatch Logs grant in `region` (no wildcard principal)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
            ],
        }
    )


def secret(region: str = PRIMARY) -> dict[str, Any]:
    """A Secrets Manager secret under the secrets key."""
    return {"region": region, "name": f"finstack/prod/{region}/app", "kmsKeyId": key_arn(region, "secrets")}


def sns_topic(region: str = PRIMARY) -> dict[str, Any]:
    """The region's alert topic."""
    return {"region": region, "name": f"finstack-prod-alerts-{region}", "kmsMasterKeyId": key_arn(region, "secrets")}


def launch_template(region: str = PRIMARY) -> dict[str, Any]:
    """The EKS node launch template: encrypted gp3 root volume, IMDSv2, hop limit 2."""
    return {
        "region": region,
        "namePrefix": "eks-nodes-",
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    "volumeSize": 100,
                    "volumeType": "gp3",
                    "encrypted": "true",
                    "kmsKeyId": key_arn(region, "data"),
                },
            }
        ],
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 2},
        "tags": cell_tags(region),
    }


def sse_config(bucket: str = "finstack-prod-audit") -> dict[str, Any]:
    """Bucket default encryption: SSE-KMS with the data key and a bucket key."""
    return {
        "region": PRIMARY,
        "bucket": bucket,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(PRIMARY)},
                "bucketKeyEnabled": True,
            }
        ],
    }


def bucket_policy(bucket: str = "finstack-prod-audit") -> dict[str, Any]:
    """A bucket policy whose only statement denies non-TLS requests."""
    return {
        "region": PRIMARY,
        "bucket": bucket,
        "policy": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    }


def listener() -> dict[str, Any]:
    """An HTTPS listener with a TLS 1.3 policy."""
    return {
        "region": PRIMARY,
        "loadBalancerArn": f"arn:aws:elasticloadbalancing:{PRIMARY}:{ACCOUNT}:loadbalancer/app/api/1",
        "port": 443,
        "protocol": "HTTPS",
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": f"arn:aws:acm:{PRIMARY}:{ACCOUNT}:certificate/abc",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:..."}],
    }


# --- identity ------------------------------------------------------------------------------


def document(*statements: dict[str, Any]) -> str:
    """An IAM policy document as components build it (json.dumps)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def iam_policy() -> dict[str, Any]:
    """A least-privilege workload policy: named actions on named resources."""
    return {
        "name": "ledger-app",
        "policy": document(
            {
                "Sid": "ReadLedgerSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:finstack/prod/ledger-*",
            },
            {
                "Sid": "DescribeClusters",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBClusters"],
                "Resource": "*",
            },
        ),
    }


def node_role() -> dict[str, Any]:
    """The EKS node role: trusted by EC2, no inline policies."""
    return {
        "name": "eks-us-east-1-nodes",
        "arn": f"arn:aws:iam::{ACCOUNT}:role/eks-us-east-1-nodes",
        "assumeRolePolicy": document(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ),
    }


# --- kubernetes ----------------------------------------------------------------------------


def namespace(name: str = "ledger") -> dict[str, Any]:
    """A workload namespace with the restricted Pod Security Standard enforced."""
    return {
        "metadata": {
            "name": name,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        }
    }


def default_deny(namespace_name: str = "ledger") -> dict[str, Any]:
    """The default-deny NetworkPolicy of a namespace."""
    return {
        "metadata": {"name": "default-deny", "namespace": namespace_name},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def deployment() -> dict[str, Any]:
    """A restricted-compliant Deployment."""
    return {
        "metadata": {"name": "api", "namespace": "ledger"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "api",
                            "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/ledger-api:1.4.2",
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "privileged": False,
                                "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }
                    ],
                },
            },
        },
    }


# --- a compliant stack ---------------------------------------------------------------------


@dataclass
class Stack:
    """The resources of a compliant stack, with lookups for tests that break one of them."""

    resources: list[PolicyResource] = field(default_factory=list)

    def add(
        self, type_: str, name: str, props: dict[str, Any], **deps: PolicyResource | list[PolicyResource]
    ) -> PolicyResource:
        """Add a resource; keyword arguments record property dependencies (prop=target or [targets])."""
        created = resource(type_, name, props)
        for prop, targets in deps.items():
            depends(created, prop, *(targets if isinstance(targets, list) else [targets]))
        self.resources.append(created)
        return created

    def named(self, name: str) -> PolicyResource:
        """The resource called `name`."""
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, name
        return found[0]

    def without(self, *names: str) -> list[PolicyResource]:
        """The resources, minus those called `names`."""
        return [r for r in self.resources if r.name not in names]

    def replace(self, name: str, props: dict[str, Any]) -> list[PolicyResource]:
        """The resources, with `name`'s props replaced in place (its dependencies kept)."""
        self.named(name).props = unknown_checking_proxy(copy.deepcopy(props))
        return self.resources

    def props(self, name: str) -> dict[str, Any]:
        """A plain copy of `name`'s props, to edit and `replace`."""
        return plain(self.named(name).props)


def add_cell(stack: Stack, region: str, keys: dict[str, PolicyResource]) -> None:
    """One regional cell: network, endpoints, flow logs, EKS, Aurora member, MSK, alarms."""
    s = SHORT[region]
    cidr = {"us-east-1": "10.10", "us-west-2": "10.20"}[region]
    vpc = stack.add(
        T_VPC,
        f"cell-{region}-vpc",
        {"region": region, "id": f"vpc-{s}", "cidrBlock": f"{cidr}.0.0/16", "tags": cell_tags(region)},
    )
    stack.add(
        T_DEFAULT_SG,
        f"cell-{region}-default-sg",
        {"region": region, "vpcId": f"vpc-{s}", "ingress": [], "egress": []},
        vpcId=vpc,
    )
    for index, zone in enumerate("abc"):
        for tier in ("public", "app", "data", "endpoints"):
            stack.add(
                T_SUBNET,
                f"cell-{region}-{tier}-{zone}",
                {
                    "region": region,
                    "id": f"subnet-{tier}{s}{zone}",
                    "vpcId": f"vpc-{s}",
                    "availabilityZone": f"{region}{zone}",
                    "cidrBlock": f"{cidr}.{index * 16 + 1}.0/24",
                    "mapPublicIpOnLaunch": False,
                    "tags": cell_tags(region, tier=tier),
                },
                vpcId=vpc,
            )
        stack.add(
            T_NAT,
            f"cell-{region}-nat-{zone}",
            {"region": region, "subnetId": f"subnet-public{s}{zone}", "connectivityType": "public"},
        )
        app_rt = stack.add(
            T_ROUTE_TABLE,
            f"cell-{region}-app-rt-{zone}",
            {
                "region": region,
                "id": f"rtb-app{s}{zone}",
                "vpcId": f"vpc-{s}",
                "routes": [],
                "tags": cell_tags(region, tier="app"),
            },
            vpcId=vpc,
        )
        stack.add(
            T_ROUTE,
            f"cell-{region}-app-default-{zone}",
            {
                "region": region,
                "routeTableId": f"rtb-app{s}{zone}",
                "destinationCidrBlock": "0.0.0.0/0",
                "natGatewayId": f"nat-{s}{zone}",
            },
            routeTableId=app_rt,
        )
    stack.add(
        T_ROUTE_TABLE,
        f"cell-{region}-data-rt",
        {
            "region": region,
            "id": f"rtb-data{s}",
            "vpcId": f"vpc-{s}",
            "routes": [],
            "tags": cell_tags(region, tier="data"),
        },
        vpcId=vpc,
    )
    groups = {}
    for role in ("lb", "app", "db", "kafka", "endpoints"):
        groups[role] = stack.add(
            T_SG,
            f"cell-{region}-{role}-sg",
            {
                "region": region,
                "id": f"sg-{role}{s}",
                "vpcId": f"vpc-{s}",
                "ingress": [],
                "egress": [],
                "tags": cell_tags(region, role=role),
            },
            vpcId=vpc,
        )
    rules = [
        ("lb-https", "lb", {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}, None),
        ("app-from-lb", "app", {"ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443}, "lb"),
        ("db-from-app", "db", {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432}, "app"),
        ("kafka-from-app", "kafka", {"ipProtocol": "tcp", "fromPort": 9098, "toPort": 9098}, "app"),
        ("kafka-from-self", "kafka", {"ipProtocol": "tcp", "fromPort": 9098, "toPort": 9098}, "kafka"),
        ("endpoints-from-app", "endpoints", {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443}, "app"),
    ]
    for label, role, ports, source in rules:
        props = {"region": region, "securityGroupId": f"sg-{role}{s}", **ports}
        deps: dict[str, Any] = {"securityGroupId": groups[role]}
        if source:
            props["referencedSecurityGroupId"] = f"sg-{source}{s}"
            deps["referencedSecurityGroupId"] = groups[source]
        stack.add(T_INGRESS, f"cell-{region}-{label}", props, **deps)
    for service in ENDPOINT_SERVICES:
        stack.add(
            T_ENDPOINT,
            f"cell-{region}-{service.replace('.', '-')}-endpoint",
            {
                "region": region,
                "vpcId": f"vpc-{s}",
                "serviceName": f"com.amazonaws.{region}.{service}",
                "vpcEndpointType": "Interface",
                "privateDnsEnabled": True,
            },
            vpcId=vpc,
        )
    stack.add(
        T_ENDPOINT,
        f"cell-{region}-s3-endpoint",
        {
            "region": region,
            "vpcId": f"vpc-{s}",
            "serviceName": f"com.amazonaws.{region}.s3",
            "vpcEndpointType": "Gateway",
        },
        vpcId=vpc,
    )
    flow_logs = stack.add(T_LOG_GROUP, f"cell-{region}-flow-logs", log_group(region), kmsKeyId=keys[f"logs-{region}"])
    stack.add(
        T_FLOW_LOG,
        f"cell-{region}-flow-log",
        {
            "region": region,
            "vpcId": f"vpc-{s}",
            "trafficType": "ALL",
            "logDestinationType": "cloud-watch-logs",
            "logDestination": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/finstack/prod/{region}/vpc-flow-logs",
        },
        vpcId=vpc,
        logDestination=flow_logs,
    )
    stack.add(T_EKS, f"eks-{region}-cluster", eks_cluster(region), encryptionConfig=keys[f"secrets-{region}"])
    stack.add(
        T_LAUNCH_TEMPLATE, f"eks-{region}-nodes-lt", launch_template(region), blockDeviceMappings=keys[f"data-{region}"]
    )
    params = stack.add(T_PARAMS, f"aurora-{region}-params", parameter_group(region))
    cluster = stack.add(
        T_CLUSTER,
        f"aurora-{region}-cluster",
        {**aurora_cluster(region, primary=region == PRIMARY), "id": f"finstack-prod-{s}"},
        kmsKeyId=keys[f"data-{region}"],
        dbClusterParameterGroupName=params,
    )
    for index in (1, 2):
        stack.add(
            T_INSTANCE, f"aurora-{region}-instance-{index}", aurora_instance(region, index), clusterIdentifier=cluster
        )
    stack.add(T_MSK, f"msk-{region}-cluster", msk_cluster(region), encryptionInfo=keys[f"streaming-{region}"])
    topic = stack.add(
        T_TOPIC,
        f"alerts-{region}-topic",
        {**sns_topic(region), "arn": f"arn:aws:sns:{region}:{ACCOUNT}:finstack-prod-alerts-{region}"},
    )
    if region != PRIMARY:
        stack.add(
            T_ALARM,
            f"aurora-{region}-replication-lag",
            {
                "region": region,
                "name": f"aurora-{region}-replication-lag",
                "namespace": "AWS/RDS",
                "metricName": "AuroraGlobalDBReplicationLag",
                "statistic": "Maximum",
                "threshold": 1000,
                "comparisonOperator": "GreaterThanThreshold",
                "evaluationPeriods": 3,
                "period": 60,
                "dimensions": {"DBClusterIdentifier": f"finstack-prod-{s}"},
                "alarmActions": [f"arn:aws:sns:{region}:{ACCOUNT}:finstack-prod-alerts-{region}"],
            },
            alarmActions=topic,
        )
    other = SECONDARY if region == PRIMARY else PRIMARY
    stack.add(T_REPLICATOR, f"msk-{region}-replicator", msk_replicator(region, other))
    stack.add(
        T_ALARM,
        f"msk-{region}-replication-latency",
        {
            "region": region,
            "name": f"msk-{region}-replication-latency",
            "namespace": "AWS/Kafka",
            "metricName": "ReplicationLatency",
            "statistic": "Maximum",
            "threshold": 5000,
            "comparisonOperator": "GreaterThanThreshold",
            "evaluationPeriods": 3,
            "period": 60,
            "alarmActions": [f"arn:aws:sns:{region}:{ACCOUNT}:finstack-prod-alerts-{region}"],
        },
        alarmActions=topic,
    )
    stack.add(
        T_HEALTH_CHECK,
        f"traffic-{region}-health",
        {
            "fqdn": f"api-{region}.pay.example.com",
            "type": "HTTPS",
            "port": 443,
            "resourcePath": "/healthz",
            "tags": {"finstack:cell": region},
        },
    )


# --- AWS Backup (issue 19) -----------------------------------------------------------------


def backup_vault_arn(region: str) -> str:
    return f"arn:aws:backup:{region}:{ACCOUNT}:backup-vault:finstack-prod-{region}"


def backup_vault(region: str = PRIMARY) -> dict[str, Any]:
    """A vault encrypted with the cell's backup key."""
    return {
        "region": region,
        "name": f"finstack-prod-{region}",
        "id": f"finstack-prod-{region}",
        "arn": backup_vault_arn(region),
        "kmsKeyArn": key_arn(region, "backup"),
        "forceDestroy": False,
        "tags": cell_tags(region, purpose="backup"),
    }


def vault_lock(region: str = PRIMARY) -> dict[str, Any]:
    """A compliance-mode lock (changeableForDays set) with both retention bounds."""
    return {
        "region": region,
        "backupVaultName": f"finstack-prod-{region}",
        "changeableForDays": 3,
        "minRetentionDays": 7,
        "maxRetentionDays": 400,
    }


def backup_plan(region: str = PRIMARY, copy_to: str = SECONDARY) -> dict[str, Any]:
    """One daily continuous rule into the cell's vault, copied to `copy_to`'s vault."""
    return {
        "region": region,
        "id": f"plan-{SHORT[region]}",
        "name": f"finstack-prod-{region}",
        "rules": [
            {
                "ruleName": "daily-with-cross-region-copy",
                "targetVaultName": f"finstack-prod-{region}",
                "schedule": "cron(0 5 ? * * *)",
                "enableContinuousBackup": True,
                "lifecycle": {"deleteAfter": 35},
                "copyActions": [{"destinationVaultArn": backup_vault_arn(copy_to), "lifecycle": {"deleteAfter": 35}}],
            }
        ],
        "tags": cell_tags(region, purpose="backup"),
    }


def backup_selection(region: str = PRIMARY) -> dict[str, Any]:
    """The cell's Aurora cluster in the cell's plan."""
    return {
        "region": region,
        "name": "finstack-prod-aurora",
        "planId": f"plan-{SHORT[region]}",
        "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-backup",
        "resources": [f"arn:aws:rds:{region}:{ACCOUNT}:cluster:finstack-prod-{SHORT[region]}"],
    }


def add_backup(stack: Stack) -> None:
    """A locked vault, a plan copying to the other cell and a selection of the Aurora cluster, per cell."""
    vaults = {
        region: stack.add(T_VAULT, f"backup-{region}-vault", backup_vault(region)) for region in (PRIMARY, SECONDARY)
    }
    for region, vault in vaults.items():
        other = SECONDARY if region == PRIMARY else PRIMARY
        stack.add(T_VAULT_LOCK, f"backup-{region}-vault-lock", vault_lock(region), backupVaultName=vault)
        plan = stack.add(T_PLAN, f"backup-{region}-plan", backup_plan(region, other), rules=[vault, vaults[other]])
        stack.add(
            T_SELECTION,
            f"backup-{region}-selection",
            backup_selection(region),
            planId=plan,
            resources=stack.named(f"aurora-{region}-cluster"),
        )


def compliant_stack() -> Stack:
    """Two cells (us-east-1 primary, us-west-2), multi-region keys, the global cluster, node IAM."""
    stack = Stack()
    stack.add(T_AWS_PROVIDER, "aws", {"region": PRIMARY})
    keys: dict[str, PolicyResource] = {}
    for purpose in ("data", "streaming", "secrets", "logs", "backup", "audit"):
        primary = stack.add(T_KEY, f"keys-{purpose}-{PRIMARY}", kms_key(PRIMARY, purpose))
        replica = stack.add(
            T_REPLICA_KEY, f"keys-{purpose}-{SECONDARY}", replica_key(SECONDARY, purpose), primaryKeyArn=primary
        )
        keys[f"{purpose}-{PRIMARY}"], keys[f"{purpose}-{SECONDARY}"] = primary, replica
    stack.add(T_GLOBAL, "aurora-global", global_cluster())
    for region in (PRIMARY, SECONDARY):
        add_cell(stack, region, keys)
    role = stack.add(T_ROLE, "eks-nodes-role", node_role())
    for name in NODE_POLICIES:
        stack.add(
            T_ATTACHMENT,
            f"eks-nodes-{name}",
            {"role": "eks-us-east-1-nodes", "policyArn": f"arn:aws:iam::aws:policy/{name}"},
            role=role,
        )
    namespace_ = stack.add(T_NAMESPACE, "kube-ledger-ns", namespace("ledger"))
    stack.add(T_NETPOL, "kube-ledger-default-deny", default_deny("ledger"), metadata=namespace_)
    # The stack never creates kube-system; it may patch it (a patch that leaves the PSA label alone).
    stack.add(T_NAMESPACE_PATCH, "kube-system-ns", {"metadata": {"name": "kube-system"}})
    add_backup(stack)
    describe_and_attach_groups(stack)
    add_audit_and_detection(stack)
    protect_stateful(stack)
    add_posture(stack)
    return stack


T_HUB = "aws:securityhub/account:Account"
T_SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
T_AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
T_RECORDER = "aws:cfg/recorder:Recorder"
T_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
T_RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
STANDARDS = {
    "fsbp": "standards/aws-foundational-security-best-practices/v/1.0.0",
    "pci": "standards/pci-dss/v/4.0.1",
}


def add_posture(stack: Stack, regions: tuple[str, ...] = (PRIMARY, SECONDARY)) -> None:
    """components/posture.py per cell: Security Hub with both standards, Config; the aggregator in the primary."""
    for region in regions:
        stack.add(T_HUB, f"posture-hub-{region}", {"region": region, "enableDefaultStandards": False})
        for role, suffix in STANDARDS.items():
            stack.add(
                T_SUBSCRIPTION,
                f"posture-{role}-{region}",
                {"region": region, "standardsArn": f"arn:aws:securityhub:{region}::{suffix}"},
            )
        stack.add(
            T_RECORDER,
            f"posture-recorder-{region}",
            {
                "region": region,
                "name": f"posture-recorder-{region}",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": region == PRIMARY},
            },
        )
        stack.add(
            T_CHANNEL,
            f"posture-channel-{region}",
            {"region": region, "s3BucketName": f"finstack-prod-config-{ACCOUNT}-{region}"},
        )
        stack.add(
            T_RECORDER_STATUS,
            f"posture-recording-{region}",
            {"region": region, "name": f"posture-recorder-{region}", "isEnabled": True},
        )
    add_vpc_bpa(stack, regions)
    stack.add(
        T_AGGREGATOR,
        "posture-aggregator",
        {
            "region": regions[0],
            "linkingMode": "SPECIFIED_REGIONS",
            "specifiedRegions": [r for r in regions if r != regions[0]],
        },
    )


T_BPA_OPTIONS = "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions"
T_BPA_EXCLUSION = "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion"


def add_vpc_bpa(stack: Stack, regions: tuple[str, ...] = (PRIMARY, SECONDARY)) -> None:
    """VPC Block Public Access: the public subnets excluded (components/network.py), block-ingress per region."""
    for region in regions:
        exclusions = []
        for zone in "abc":
            subnet = stack.named(f"cell-{region}-public-{zone}")
            name = f"cell-{region}-public-{zone}-bpa-exclusion"
            exclusions.append(
                stack.add(
                    T_BPA_EXCLUSION,
                    name,
                    {
                        "region": region,
                        "subnetId": plain(subnet.props)["id"],
                        "internetGatewayExclusionMode": "allow-bidirectional",
                        "tags": {**cell_tags(region, tier="public"), "Name": name},
                    },
                    subnetId=subnet,
                )
            )
        stack.add(
            T_BPA_OPTIONS, f"posture-vpc-bpa-{region}", {"region": region, "internetGatewayBlockMode": "block-ingress"}
        )


# --- kubernetes workloads, services and RBAC (issue 18, k8s rules) -------------------------

T_ROLE_K8S = "kubernetes:rbac.authorization.k8s.io/v1:Role"
T_CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
T_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
T_CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
T_SERVICE = "kubernetes:core/v1:Service"
T_SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
T_PDB = "kubernetes:policy/v1:PodDisruptionBudget"
T_HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"

# Every type that carries a pod spec -> where the pod spec sits (full objects and their patches).
K8S_WORKLOADS: dict[str, str] = {
    "kubernetes:core/v1:Pod": "spec",
    "kubernetes:core/v1:PodTemplate": "template.spec",
    "kubernetes:core/v1:ReplicationController": "spec.template.spec",
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:apps/v1beta2:Deployment": "spec.template.spec",
    "kubernetes:extensions/v1beta1:DaemonSet": "spec.template.spec",
    "kubernetes:batch/v1beta1:CronJob": "spec.jobTemplate.spec.template.spec",
}


def hardened_pod_spec() -> dict[str, Any]:
    """A pod spec meeting every Kubernetes workload rule (restricted PSS, read-only root, no token)."""
    return {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "api",
                "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/ledger-api:1.4.2",
                "ports": [{"containerPort": 8080}],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
        "volumes": [{"name": "scratch", "emptyDir": {}}],
    }


def workload(type_: str = T_DEPLOYMENT) -> dict[str, Any]:
    """A workload of `type_` (a key of K8S_WORKLOADS) in the ledger namespace with a hardened pod spec."""
    props: dict[str, Any] = {"metadata": {"name": "api", "namespace": "ledger"}}
    node = props
    *parents, last = K8S_WORKLOADS[type_].split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = hardened_pod_spec()
    if type_.endswith(":Deployment"):
        props["spec"]["replicas"] = 3
    return props


def k8s_role() -> dict[str, Any]:
    """A namespaced Role that reads and scales Deployments (the DR scaler's shape)."""
    return {
        "metadata": {"name": "finstack-dr-scaler", "namespace": "ledger"},
        "rules": [
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch", "update"]},
        ],
    }


def k8s_role_binding() -> dict[str, Any]:
    """A RoleBinding of that Role to one named group."""
    return {
        "metadata": {"name": "finstack-dr-scaler", "namespace": "ledger"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "finstack-dr-scaler"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "finstack:dr-scalers"}],
    }


def k8s_service() -> dict[str, Any]:
    """A ClusterIP Service (the ALB reaches pods directly in `ip` target mode)."""
    return {
        "metadata": {"name": "api", "namespace": "ledger"},
        "spec": {"type": "ClusterIP", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def k8s_service_account() -> dict[str, Any]:
    """A workload service account with IRSA and no API token."""
    return {
        "metadata": {
            "name": "ledger",
            "namespace": "ledger",
            "annotations": {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/ledger"},
        },
        "automountServiceAccountToken": False,
    }


def k8s_pdb() -> dict[str, Any]:
    """A PodDisruptionBudget that allows one eviction at a time."""
    return {
        "metadata": {"name": "api", "namespace": "ledger"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}},
    }


# --- encryption at rest and in transit (wt18/enc) --------------------------------------------

T_EC2_INSTANCE = "aws:ec2/instance:Instance"
T_EBS_VOLUME = "aws:ebs/volume:Volume"
T_EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
T_EBS_DEFAULT_KEY = "aws:ebs/defaultKmsKey:DefaultKmsKey"
T_DB_INSTANCE = "aws:rds/instance:Instance"
OTHER_ACCOUNT = "444455556666"


def replicated_secret(region: str = PRIMARY, replica_region: str = SECONDARY) -> dict[str, Any]:
    """A secret under the secrets key with one replica under that key's replica in `replica_region`."""
    props = secret(region)
    props["replicas"] = [{"region": replica_region, "kmsKeyId": key_arn(replica_region, "secrets")}]
    return props


def ec2_instance(region: str = PRIMARY) -> dict[str, Any]:
    """An EC2 instance with an encrypted root and one encrypted data volume."""
    volume = {"encrypted": True, "kmsKeyId": key_arn(region, "data"), "volumeType": "gp3"}
    return {
        "region": region,
        "instanceType": "m7i.large",
        "rootBlockDevice": dict(volume),
        "ebsBlockDevices": [{"deviceName": "/dev/xvdf", **volume}],
        "tags": cell_tags(region),
    }


def ebs_volume(region: str = PRIMARY) -> dict[str, Any]:
    """An encrypted EBS volume."""
    return {
        "region": region,
        "availabilityZone": f"{region}a",
        "size": 100,
        "encrypted": True,
        "kmsKeyId": key_arn(region, "data"),
    }


def rds_instance(region: str = PRIMARY) -> dict[str, Any]:
    """A (non-Aurora) PostgreSQL DB instance, encrypted under the data key, on a current CA."""
    return {
        "region": region,
        "identifier": f"finstack-prod-reporting-{SHORT[region]}",
        "engine": "postgres",
        "instanceClass": "db.m7g.large",
        "storageEncrypted": True,
        "kmsKeyId": key_arn(region, "data"),
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key_arn(region, "data"),
        "caCertIdentifier": "rds-ca-rsa4096-g1",
        "publiclyAccessible": False,
        "tags": cell_tags(region),
    }


def msk_connector(region: str = PRIMARY) -> dict[str, Any]:
    """An MSK Connect connector reaching the cluster over TLS with IAM auth."""
    return {
        "region": region,
        "name": "ledger-sink",
        "kafkaClusterEncryptionInTransit": {"encryptionType": "TLS"},
        "kafkaClusterClientAuthentication": {"authenticationType": "IAM"},
    }


# --- edge: load balancers and public hosted zones (policy/rules/edge.py) ---------------------------

T_LB = "aws:lb/loadBalancer:LoadBalancer"
T_ZONE = "aws:route53/zone:Zone"
T_ZONE_DNSSEC = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
T_KSK = "aws:route53/keySigningKey:KeySigningKey"
T_QUERY_LOG = "aws:route53/queryLog:QueryLog"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
DNSSEC_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def dnssec_signing_key() -> dict[str, Any]:
    """components/zone_signing.py's key: us-east-1, ECC_NIST_P256 SIGN_VERIFY, the shipped key policy."""
    from components.zone_signing import signing_key_policy

    return {
        "region": "us-east-1",
        "description": "finstack prod DNSSEC signing key",
        "multiRegion": False,
        "enableKeyRotation": False,
        "deletionWindowInDays": 30,
        "keyUsage": "SIGN_VERIFY",
        "customerMasterKeySpec": "ECC_NIST_P256",
        "policy": json.dumps(signing_key_policy(ACCOUNT)),
        "arn": DNSSEC_KEY_ARN,
        "tags": cell_tags("us-east-1", purpose="dnssec"),
    }


def load_balancer(region: str = PRIMARY) -> dict[str, Any]:
    """The cell's internet-facing ALB as components/traffic.py declares it, with access logs on."""
    s = SHORT[region]
    return {
        "region": region,
        "name": f"finstack-prod-{s}-api",
        "internal": False,
        "loadBalancerType": "application",
        "subnets": [f"subnet-public{s}a", f"subnet-public{s}b", f"subnet-public{s}c"],
        "securityGroups": [f"sg-lb{s}"],
        "dropInvalidHeaderFields": True,
        "desyncMitigationMode": "defensive",
        "enableDeletionProtection": True,
        "accessLogs": {"bucket": f"finstack-prod-alb-logs-{s}", "prefix": f"alb/{region}", "enabled": True},
        "tags": cell_tags(region, role="lb"),
        "arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/app/finstack-prod-{s}-api/1",
    }


T_WEB_ACL = "aws:wafv2/webAcl:WebAcl"
T_WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
T_WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
WAF_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


def _visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatchMetricsEnabled": True, "metricName": metric, "sampledRequestsEnabled": True}


def web_acl(region: str = PRIMARY) -> dict[str, Any]:
    """The cell's web ACL as components/edge_defence.py declares it: rate rule first, then the managed groups."""
    s = SHORT[region]
    name = f"finstack-prod-{s}-edge"
    rules: list[dict[str, Any]] = [
        {
            "name": "rate-per-client-ip",
            "priority": 0,
            "action": {"block": {}},
            "statement": {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 2000, "evaluationWindowSec": 300}},
            "visibilityConfig": _visibility("rate-per-client-ip"),
        }
    ]
    rules += [
        {
            "name": f"aws-{group}",
            "priority": index + 1,
            "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}},
            "visibilityConfig": _visibility(f"aws-{group}"),
        }
        for index, group in enumerate(WAF_GROUPS)
    ]
    return {
        "region": region,
        "name": name,
        "scope": "REGIONAL",
        "defaultAction": {"allow": {}},
        "rules": rules,
        "visibilityConfig": _visibility(name),
        "tags": cell_tags(region),
        "arn": f"arn:aws:wafv2:{region}:{ACCOUNT}:regional/webacl/{name}/0f1e2d3c",
    }


def waf_log_group_name(region: str = PRIMARY) -> str:
    return f"aws-waf-logs-finstack-prod-{region}"


def waf_logging(region: str = PRIMARY) -> dict[str, Any]:
    """The web ACL's logging into its aws-waf-logs- log group, credentials redacted."""
    return {
        "region": region,
        "resourceArn": web_acl(region)["arn"],
        "logDestinationConfigs": [f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{waf_log_group_name(region)}"],
        "redactedFields": [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}],
    }


def add_edge_defence(stack: Stack, region: str, lb: PolicyResource) -> None:
    """components/edge_defence.py for one cell: the web ACL, its ALB association, its logs."""
    acl = stack.add(T_WEB_ACL, f"edge-{region}-web-acl", web_acl(region))
    stack.add(
        T_WEB_ACL_ASSOCIATION,
        f"edge-{region}-association",
        {"region": region, "resourceArn": load_balancer(region)["arn"], "webAclArn": web_acl(region)["arn"]},
        resourceArn=lb,
        webAclArn=acl,
    )
    group = stack.add(
        T_LOG_GROUP,
        f"edge-{region}-logs",
        {
            **log_group(region),
            "name": waf_log_group_name(region),
            "arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{waf_log_group_name(region)}",
        },
    )
    stack.add(
        T_WEB_ACL_LOGGING,
        f"edge-{region}-logging",
        waf_logging(region),
        resourceArn=acl,
        logDestinationConfigs=group,
    )


def hosted_zone() -> dict[str, Any]:
    """The public zone GlobalTraffic creates (no VPC association)."""
    return {"name": "pay.example.com", "forceDestroy": False, "zoneId": ZONE_ID, "id": ZONE_ID}


def edge_stack(region: str = PRIMARY) -> Stack:
    """One cell's edge: public subnets in three AZs, lb and app groups, the ALB, the signed and logged zone."""
    stack = Stack()
    s = SHORT[region]
    subnets = [
        stack.add(
            T_SUBNET,
            f"cell-{region}-public-{zone}",
            {
                "region": region,
                "id": f"subnet-public{s}{zone}",
                "availabilityZone": f"{region}{zone}",
                "tags": cell_tags(region, tier="public"),
            },
        )
        for zone in "abc"
    ]
    groups = {
        role: stack.add(
            T_SG,
            f"cell-{region}-{role}-sg",
            {"region": region, "id": f"sg-{role}{s}", "tags": cell_tags(region, role=role)},
        )
        for role in ("lb", "app")
    }
    lb = stack.add(T_LB, f"traffic-alb-{region}", load_balancer(region), subnets=subnets, securityGroups=groups["lb"])
    add_edge_defence(stack, region, lb)
    zone = stack.add(T_ZONE, "traffic-zone", hosted_zone())
    signing_key = stack.add(T_KEY, "traffic-dnssec-key", dnssec_signing_key())
    stack.add(
        T_KSK,
        "traffic-ksk",
        {
            "hostedZoneId": ZONE_ID,
            "name": "finstack",
            "status": "ACTIVE",
            "keyManagementServiceArn": DNSSEC_KEY_ARN,
        },
        hostedZoneId=zone,
        keyManagementServiceArn=signing_key,
    )
    stack.add(T_ZONE_DNSSEC, "traffic-dnssec", {"hostedZoneId": ZONE_ID, "signingStatus": "SIGNING"}, hostedZoneId=zone)
    group = stack.add(
        T_LOG_GROUP,
        "traffic-query-logs",
        {
            **log_group(PRIMARY),
            "name": "/aws/route53/pay.example.com",
            "arn": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/route53/pay.example.com",
        },
    )
    stack.add(
        T_QUERY_LOG,
        "traffic-query-log",
        {
            "zoneId": ZONE_ID,
            "cloudwatchLogGroupArn": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/route53/pay.example.com",
        },
        zoneId=zone,
        cloudwatchLogGroupArn=group,
    )
    return stack


# --- network (segmentation and exposure) ------------------------------------------------------

T_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
T_RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
T_NACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
T_IGW = "aws:ec2/internetGateway:InternetGateway"
T_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
T_EC2_INSTANCE = "aws:ec2/instance:Instance"


def describe_and_attach_groups(stack: Stack) -> None:
    """What components/network.py does for every group: descriptions, and the endpoints group on the endpoints.

    security-group-described wants a description on every group and rule; security-group-attached
    wants every group used (lb, app, db and kafka are by their rules, EKS, Aurora and MSK).
    """
    for r in stack.resources:
        if r.resource_type in (T_SG, T_INGRESS):
            stack.replace(r.name, {**stack.props(r.name), "description": f"finstack {r.name}"})
    for r in stack.resources:
        props = stack.props(r.name)
        if r.resource_type == T_ENDPOINT and props.get("vpcEndpointType") == "Interface":
            region = props["region"]
            stack.replace(r.name, {**props, "securityGroupIds": [f"sg-endpoints{SHORT[region]}"]})
            depends(r, "securityGroupIds", stack.named(f"cell-{region}-endpoints-sg"))


def node_group(region: str = PRIMARY) -> dict[str, Any]:
    """An EKS managed node group on the cell's launch template, without remote access."""
    return {
        "region": region,
        "clusterName": f"finstack-prod-{SHORT[region]}",
        "subnetIds": [f"subnet-app{SHORT[region]}{z}" for z in "abc"],
        "launchTemplate": {"id": "lt-0123456789abcdef0", "version": "1"},
        "scalingConfig": {"minSize": 3, "maxSize": 12, "desiredSize": 6},
        "tags": cell_tags(region),
    }


# --- identity: trust, resource policies, S3 public access (issue 18) -----------------------

T_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
T_BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
T_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
T_MSK_POLICY = "aws:msk/clusterPolicy:ClusterPolicy"
T_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
OIDC_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/D942D28FC292A4B545BCB0F063DB50D1"


def irsa_role(namespace_name: str = "ledger") -> dict[str, Any]:
    """A workload role trusted through the cluster's OIDC issuer (IRSA), pinned to one service account."""
    return {
        "name": f"kube-{namespace_name}",
        "assumeRolePolicy": document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_ISSUER}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{OIDC_ISSUER}:aud": "sts.amazonaws.com",
                        f"{OIDC_ISSUER}:sub": f"system:serviceaccount:{namespace_name}:{namespace_name}",
                    }
                },
            }
        ),
    }


def public_access_block(bucket: str = "finstack-prod-audit") -> dict[str, Any]:
    """A bucket's public access block with all four flags on."""
    return {
        "region": PRIMARY,
        "bucket": bucket,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }


def topic_policy(region: str = PRIMARY) -> dict[str, Any]:
    """The alert topic's policy: CloudWatch alarms of this account publish; non-TLS is denied."""
    arn = f"arn:aws:sns:{region}:{ACCOUNT}:finstack-prod-alerts-{region}"
    return {
        "region": region,
        "arn": arn,
        "policy": document(
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*"},
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
    }


def msk_cluster_policy(region: str = PRIMARY) -> dict[str, Any]:
    """A source cluster's policy: the MSK service connects, the replicator role reads."""
    arn = f"arn:aws:kafka:{region}:{ACCOUNT}:cluster/finstack-prod-{SHORT[region]}/abc-1"
    return {
        "region": region,
        "clusterArn": arn,
        "policy": document(
            {
                "Sid": "ReplicatorServiceConnectivity",
                "Effect": "Allow",
                "Principal": {"Service": "kafka.amazonaws.com"},
                "Action": ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers", "kafka:DescribeClusterV2"],
                "Resource": arn,
            },
            {
                "Sid": "ReplicatorRolesConnectivity",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-replicator"},
                "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
                "Resource": arn,
            },
        ),
    }


# --- logging and resilience (issue 18) -------------------------------------------------------------

T_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
T_BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
T_BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"


def monitored_instance(region: str = PRIMARY, index: int = 1) -> dict[str, Any]:
    """aurora_instance() pinned to an AZ (instance n in zone n mod 3), as components/aurora_global.py does."""
    return {
        **aurora_instance(region, index),
        "availabilityZone": f"{region}{'abc'[(index - 1) % 3]}",
        "autoMinorVersionUpgrade": True,
    }


def resilient_stack() -> Stack:
    """compliant_stack() plus what the multi-AZ rule resolves: DB subnet groups over the data subnets,
    instances pinned to distinct AZs."""
    stack = compliant_stack()
    for region in (PRIMARY, SECONDARY):
        s = SHORT[region]
        data = [stack.named(f"cell-{region}-data-{z}") for z in "abc"]
        group = stack.add(
            T_SUBNET_GROUP,
            f"aurora-{region}-subnets",
            {"region": region, "name": f"aurora-{region}-subnets", "subnetIds": [f"subnet-data{s}{z}" for z in "abc"]},
            subnetIds=data,
        )
        cluster = stack.named(f"aurora-{region}-cluster")
        depends(cluster, "dbSubnetGroupName", group)
        for index in (1, 2):
            name = f"aurora-{region}-instance-{index}"
            stack.replace(name, monitored_instance(region, index))
    return stack


T_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
T_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"


def lifecycle_rule(expire_days: int | None = None) -> dict[str, Any]:
    """One enabled rule as components/private_bucket.Lifecycle declares it (noncurrent 30, multipart 7)."""
    rule: dict[str, Any] = {
        "id": "archive-then-expire",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "noncurrentVersionExpiration": {"noncurrentDays": 30},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
    }
    if expire_days is not None:
        rule["expiration"] = {"days": expire_days}
    return rule


def add_bucket(
    stack: Stack,
    name: str,
    *,
    versioning: str | None = "Enabled",
    log_to: str | None = None,
    lifecycle: bool = True,
    events: bool = True,
) -> None:
    """A bucket (+ its BucketVersioning when `versioning`, + a BucketLogging to bucket `log_to`,
    + a lifecycle rule and EventBridge notifications unless turned off)."""
    bucket_name = f"finstack-prod-{name}"
    bucket = stack.add(T_BUCKET, name, {"region": PRIMARY, "bucket": bucket_name, "id": bucket_name})
    if lifecycle:
        stack.add(
            T_LIFECYCLE,
            f"{name}-lifecycle",
            {"region": PRIMARY, "bucket": bucket_name, "rules": [lifecycle_rule()]},
            bucket=bucket,
        )
    if events:
        stack.add(
            T_NOTIFICATION,
            f"{name}-notifications",
            {"region": PRIMARY, "bucket": bucket_name, "eventbridge": True},
            bucket=bucket,
        )
    if versioning is not None:
        stack.add(
            T_BUCKET_VERSIONING,
            f"{name}-versioning",
            {"region": PRIMARY, "bucket": bucket_name, "versioningConfiguration": {"status": versioning}},
            bucket=bucket,
        )
    if log_to is not None:
        target = stack.named(log_to)
        stack.add(
            T_BUCKET_LOGGING,
            f"{name}-logging",
            {"region": PRIMARY, "bucket": bucket_name, "targetBucket": f"finstack-prod-{log_to}", "targetPrefix": name},
            bucket=bucket,
            targetBucket=target,
        )


def bucket_stack() -> Stack:
    """A log bucket (versioned, not logged itself) and an evidence bucket logging to it."""
    stack = Stack()
    stack.add(T_AWS_PROVIDER, "aws", {"region": PRIMARY})
    add_bucket(stack, "access-logs")
    add_bucket(stack, "evidence", log_to="access-logs")
    return stack


STATEFUL_TYPES = (T_GLOBAL, T_CLUSTER, T_KEY, T_REPLICA_KEY, T_MSK, "aws:route53/zone:Zone")


def protect_stateful(stack: Stack) -> None:
    """Set the Pulumi `protect` option on the stack's stateful resources, as the prod components do."""
    for r in stack.resources:
        if r.resource_type in STATEFUL_TYPES:
            r.opts = PolicyResourceOptions(True, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


# --- secret rotation (issue 19) ---------------------------------------------------------------

T_SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
T_LAMBDA = "aws:lambda/function:Function"
T_LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
MASTER_SECRET_NAME = "finstack/prod/ledger/master"
MASTER_SECRET_ARN = f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:{MASTER_SECRET_NAME}-AbCdEf"
ROTATION_FUNCTION_ARN = f"arn:aws:lambda:{PRIMARY}:{ACCOUNT}:function:finstack-prod-ledger-master-rotation"


def rotation_function() -> dict[str, Any]:
    """The master secret's rotation function as components/secret_rotation.py declares it."""
    return {
        "region": PRIMARY,
        "name": "finstack-prod-ledger-master-rotation",
        "arn": ROTATION_FUNCTION_ARN,
        "runtime": "python3.13",
        "handler": "handler.lambda_handler",
        "reservedConcurrentExecutions": 1,
    }


def rotation_permission() -> dict[str, Any]:
    """Secrets Manager may invoke the rotation function, from this account only."""
    return {
        "region": PRIMARY,
        "action": "lambda:InvokeFunction",
        "function": "finstack-prod-ledger-master-rotation",
        "principal": "secretsmanager.amazonaws.com",
        "sourceAccount": ACCOUNT,
    }


def secret_rotation(days: int = 30) -> dict[str, Any]:
    """A 30-day rotation of the master secret."""
    return {
        "region": PRIMARY,
        "secretId": MASTER_SECRET_ARN,
        "rotationLambdaArn": ROTATION_FUNCTION_ARN,
        "rotationRules": {"automaticallyAfterDays": days},
        "rotateImmediately": False,
    }


def rotated_secret_stack() -> Stack:
    """The replicated master secret, its probes (one per region), the rotation function and schedule."""
    stack = Stack()
    master = replicated_secret()
    master.update({"name": MASTER_SECRET_NAME, "arn": MASTER_SECRET_ARN, "id": MASTER_SECRET_ARN})
    secret_ = stack.add(T_SECRET, "aurora-master-secret", master)
    for region in (PRIMARY, SECONDARY):
        probe = secret(region)
        probe.update(
            {
                "name": f"{MASTER_SECRET_NAME}-rotation-probe",
                "arn": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{MASTER_SECRET_NAME}-rotation-probe-XyZ123",
                "tags": cell_tags(region, rotationProbeOf=MASTER_SECRET_NAME),
            }
        )
        stack.add(T_SECRET, f"ledger-rotation-probe-{region}", probe)
    function = stack.add(T_LAMBDA, "ledger-rotation-function", rotation_function())
    stack.add(T_LAMBDA_PERMISSION, "ledger-rotation-invoke", rotation_permission(), function=function)
    stack.add(
        T_SECRET_ROTATION,
        "ledger-rotation-schedule",
        secret_rotation(),
        secretId=secret_,
        rotationLambdaArn=function,
    )
    return stack


# --- log archive (ALB and S3 access logs; components/log_archive.py) -----------------------------------

ARCHIVE = "finstack-prod-logs"
ELB_US_EAST_1 = "127311923021"


def log_delivery_statements(bucket: str = ARCHIVE) -> list[dict[str, Any]]:
    """The archive's grants: the region's ELB account and S3 log delivery (pinned to the account), PutObject only."""
    return [
        {
            "Sid": "AlbAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ELB_US_EAST_1}:root"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/alb/AWSLogs/{ACCOUNT}/*",
        },
        {
            "Sid": "S3ServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/s3/*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"},
            },
        },
    ]


def reader_statement(bucket: str = ARCHIVE) -> dict[str, Any]:
    """A role of the account allowed to read the bucket's objects: more than log delivery."""
    return {
        "Sid": "Reader",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }


def archive_policy(*extra: dict[str, Any], bucket: str = ARCHIVE) -> dict[str, Any]:
    """bucket_policy() (TLS deny) plus the log-delivery grants and `extra` statements."""
    props = bucket_policy(bucket)
    document = json.loads(props["policy"])
    document["Statement"] += [*log_delivery_statements(bucket), *extra]
    return {**props, "policy": json.dumps(document)}


def log_archive_stack(*, role: str | None = "log-archive", policy: dict[str, Any] | None = None) -> Stack:
    """A log archive: bucket tagged finstack:role=log-archive, SSE-S3 default encryption, log-delivery-only policy."""
    stack = Stack()
    tags = {"finstack:role": role} if role else {}
    bucket = stack.add(T_BUCKET, "logs-bucket", {"region": PRIMARY, "bucket": ARCHIVE, "id": ARCHIVE, "tags": tags})
    stack.add(
        T_SSE,
        "logs-encryption",
        {
            "region": PRIMARY,
            "bucket": ARCHIVE,
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        },
        bucket=bucket,
    )
    stack.add(T_BUCKET_POLICY, "logs-policy", policy or archive_policy(), bucket=bucket)
    return stack


# --- audit trail and threat detection (issue 19) ---------------------------------------------

T_TRAIL = "aws:cloudtrail/trail:Trail"
T_OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
T_DETECTOR = "aws:guardduty/detector:Detector"
T_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
T_MACIE = "aws:macie2/account:Account"
T_EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
T_RDS_SUBSCRIPTION = "aws:rds/eventSubscription:EventSubscription"
TRAIL_BUCKET = "finstack-prod-audit-trail"
DETECTOR_FEATURES = {
    "EKS_AUDIT_LOGS": [],
    "EKS_RUNTIME_MONITORING": [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}],
    "RDS_LOGIN_EVENTS": [],
    "S3_DATA_EVENTS": [],
    "EBS_MALWARE_PROTECTION": [],
}


def trail() -> dict[str, Any]:
    """The multi-region trail as components/audit_trail.py declares it."""
    return {
        "region": PRIMARY,
        "name": "finstack-prod-audit",
        "s3BucketName": TRAIL_BUCKET,
        "kmsKeyId": key_arn(PRIMARY, "audit"),
        "isMultiRegionTrail": True,
        "includeGlobalServiceEvents": True,
        "enableLogFileValidation": True,
        "enableLogging": True,
        "cloudWatchLogsGroupArn": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/finstack/prod/cloudtrail:*",
        "cloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/audit-delivery-role",
        "advancedEventSelectors": [
            {"name": "All management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}
        ],
        "insightSelectors": [{"insightType": "ApiCallRateInsight"}, {"insightType": "ApiErrorRateInsight"}],
        "tags": cell_tags(PRIMARY),
    }


def object_lock(days: int = 365, mode: str = "COMPLIANCE") -> dict[str, Any]:
    """The trail bucket's default Object Lock retention."""
    return {
        "region": PRIMARY,
        "bucket": TRAIL_BUCKET,
        "objectLockEnabled": "Enabled",
        "rule": {"defaultRetention": {"mode": mode, "days": days}},
    }


def detector(region: str = PRIMARY) -> dict[str, Any]:
    return {"region": region, "id": f"det{SHORT[region]}", "enable": True, "tags": cell_tags(region)}


def add_audit_and_detection(stack: Stack) -> None:
    """The trail (its bucket is audit_stack's business: the compliant stack holds no bucket), and per cell
    a GuardDuty detector with its features and a Macie account."""
    audit_key = stack.named(f"keys-audit-{PRIMARY}")
    policy = json.loads(plain(audit_key.props)["policy"])
    policy["Statement"].append(
        {
            "Sid": "CloudTrailEncryptLogs",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:{PRIMARY}:{ACCOUNT}:trail/finstack-prod-audit"}
            },
        }
    )
    stack.replace(audit_key.name, {**plain(audit_key.props), "policy": json.dumps(policy)})
    stack.add(T_TRAIL, "audit-trail", trail(), kmsKeyId=audit_key)
    for region in (PRIMARY, SECONDARY):
        found = stack.add(T_DETECTOR, f"detection-{region}-detector", detector(region))
        for name, extra in DETECTOR_FEATURES.items():
            props = {"region": region, "detectorId": f"det{SHORT[region]}", "name": name, "status": "ENABLED"}
            if extra:
                props["additionalConfigurations"] = extra
            stack.add(T_FEATURE, f"detection-{region}-{name.lower()}", props, detectorId=found)
        stack.add(T_MACIE, f"detection-{region}-macie", {"region": region, "status": "ENABLED"})


def audit_stack(*, lock: dict[str, Any] | None = None, bucket_locked: bool = True) -> Stack:
    """A trail, its bucket (Object Lock on at creation) and the bucket's lock configuration."""
    stack = Stack()
    stack.add(T_AWS_PROVIDER, "aws", {"region": PRIMARY})
    bucket = stack.add(
        T_BUCKET,
        "audit-bucket",
        {"region": PRIMARY, "bucket": TRAIL_BUCKET, "id": TRAIL_BUCKET, "objectLockEnabled": bucket_locked},
    )
    stack.add(T_TRAIL, "audit-trail", trail(), s3BucketName=bucket)
    stack.add(T_OBJECT_LOCK, "audit-bucket-object-lock", lock or object_lock(), bucket=bucket)
    return stack


def publisher_stack(key_statements: list[dict[str, Any]], topic_statements: list[dict[str, Any]]) -> Stack:
    """An alert topic under a secrets key, with an EventBridge target and an RDS subscription publishing to it."""
    stack = Stack()
    stack.add(T_AWS_PROVIDER, "aws", {"region": PRIMARY})
    key = stack.add(T_KEY, "keys-secrets", {**kms_key(PRIMARY, "secrets"), "policy": document(*key_statements)})
    topic_arn = f"arn:aws:sns:{PRIMARY}:{ACCOUNT}:alerts"
    topic = stack.add(T_TOPIC, "alerts-topic", {**sns_topic(PRIMARY), "arn": topic_arn}, kmsMasterKeyId=key)
    stack.add(
        T_TOPIC_POLICY,
        "alerts-policy",
        {"region": PRIMARY, "arn": topic_arn, "policy": document(*topic_statements)},
        arn=topic,
    )
    stack.add(T_EVENT_TARGET, "findings-alerts", {"region": PRIMARY, "rule": "findings", "arn": topic_arn}, arn=topic)
    stack.add(
        T_RDS_SUBSCRIPTION,
        "rds-db-cluster",
        {"region": PRIMARY, "snsTopic": topic_arn, "sourceType": "db-cluster"},
        snsTopic=topic,
    )
    return stack


def publisher_statement(service: str, actions: list[str], sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": actions, "Resource": "*"}
