"""Pure building blocks of a cell's EKS cluster and its Kubernetes baseline (no Pulumi imports).

IAM documents (as JSON text, never the `getPolicyDocument` invoke), the managed-policy and
add-on tables, the API endpoint rule, the kubeconfig the Kubernetes provider uses, and the
per-namespace IAM grants with their validation. `components/eks.py` and
`components/kube_baseline.py` only wire these into resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from typing import Any

# -- partitions and ARNs ----------------------------------------------------------------------

# Region prefix -> ARN partition; everything else is the commercial `aws` partition.
# Longest prefixes first so `us-isob-` is not taken for `us-iso-`.
_PARTITION_PREFIXES: tuple[tuple[str, str], ...] = (
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("us-gov-", "aws-us-gov"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
)


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to (`us-gov-west-1` -> `aws-us-gov`).

    Derived from the region name rather than the `getPartition` invoke: a cell's
    partition is a fact of its region, known before anything is declared.
    """
    for prefix, partition in _PARTITION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


def managed_policy_arn(partition: str, name: str) -> str:
    """ARN of an AWS-managed IAM policy (`name` may carry a path, e.g. `service-role/X`)."""
    return f"arn:{partition}:iam::aws:policy/{name}"


def access_policy_arn(partition: str, name: str) -> str:
    """ARN of an EKS access policy (what an access entry is associated with)."""
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


# Role noun (child resource suffix) -> AWS-managed policy. The cluster role needs nothing
# else: EKS creates the KMS grant for secrets encryption with the deployer's permissions.
CLUSTER_MANAGED_POLICIES: Mapping[str, str] = {"cluster": "AmazonEKSClusterPolicy"}
# Exactly the three policies a managed node joins and runs with. The CNI policy stays on the
# node role (not IRSA) so aws-node can assign pod IPs before any OIDC trust exists.
NODE_MANAGED_POLICIES: Mapping[str, str] = {
    "worker-node": "AmazonEKSWorkerNodePolicy",
    "cni": "AmazonEKS_CNI_Policy",
    "ecr-read": "AmazonEC2ContainerRegistryReadOnly",
}
EBS_CSI_MANAGED_POLICY = "service-role/AmazonEBSCSIDriverPolicy"

ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_ACCESS_POLICY = "AmazonEKSViewPolicy"
# Kubernetes group of the DR automation role's access entry. Bound per namespace to a Role
# that may only read and scale workloads (see `dr_scaler_rules`): AmazonEKSEditPolicy would
# also let it read Secrets and exec into pods, i.e. act as every service account it can see.
DR_SCALER_GROUP = "finstack:dr-scalers"
DR_SCALER_ROLE = "finstack-dr-scaler"
# The EKS access policy ARC Region switch needs on the role it runs the plan as (get/update
# `*/scale`, get `*/status`, get/patch HPAs): ARC guide, "Amazon EKS resource scaling execution
# block", https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html
REGION_SWITCH_SCALING_POLICY = "AmazonARCRegionSwitchScalingPolicy"

# Every control plane log type EKS has; audit and authenticator are the ones an incident needs.
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# The audience the IRSA web identity tokens carry and the IAM OIDC provider accepts.
STS_AUDIENCE = "sts.amazonaws.com"

# IMDSv2 PUT response hop limit on nodes. 2 lets pods that are not on the host network (one
# extra hop through their veth) reach instance metadata, which system add-ons such as the EBS
# CSI driver use to discover their instance and AZ. Workloads get no node credentials from it
# in practice: their IAM comes from IRSA / Pod Identity, and their namespaces' default-deny
# egress blocks 169.254.169.254 anyway.
IMDS_HOP_LIMIT = 2

# -- add-ons ------------------------------------------------------------------------------------

# The cluster is created without EKS's self-managed default add-ons, so the managed ones
# that make a node Ready (pod networking, service routing, Pod Identity credentials) must
# exist before the node group; the rest run as Deployments and need nodes to become healthy.
ADDONS_BEFORE_NODES: frozenset[str] = frozenset({"vpc-cni", "kube-proxy", "eks-pod-identity-agent"})
REQUIRED_ADDONS: tuple[str, ...] = ("vpc-cni", "kube-proxy", "coredns")
POD_IDENTITY_ADDON = "eks-pod-identity-agent"
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"

# Add-on configuration (the add-on's JSON schema). The VPC CNI enforces NetworkPolicy only
# with its network policy agent on: without it the baseline's default-deny is decorative.
_ADDON_CONFIGURATION: Mapping[str, Mapping[str, Any]] = {
    "vpc-cni": {"enableNetworkPolicy": "true"},
}


def addon_configuration(addon: str) -> str | None:
    """The `configurationValues` JSON of a managed add-on, or None to keep its defaults."""
    values = _ADDON_CONFIGURATION.get(addon)
    return json.dumps(values, sort_keys=True) if values is not None else None


def check_addons(addons: Mapping[str, str]) -> None:
    """Raise ValueError unless the pinned add-ons can bring up a working cluster.

    Nodes never become Ready without the networking add-ons (the cluster skips EKS's
    self-managed defaults), and the EBS CSI driver's Pod Identity needs the agent.
    """
    missing = [addon for addon in REQUIRED_ADDONS if addon not in addons]
    if missing:
        raise ValueError(f"eks addons: {', '.join(missing)} missing; pin a version for each in finstack:eks.addons")
    if EBS_CSI_ADDON in addons and POD_IDENTITY_ADDON not in addons:
        raise ValueError(
            f"eks addons: {EBS_CSI_ADDON} gets its IAM role through Pod Identity; pin {POD_IDENTITY_ADDON} too"
        )
    unpinned = [addon for addon, version in addons.items() if not re.match(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$", version)]
    if unpinned:
        raise ValueError(
            f"eks addons: {', '.join(unpinned)} not pinned to an exact version; write e.g. v1.19.5-eksbuild.3"
        )


# -- API endpoint ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointAccess:
    """How the Kubernetes API endpoint is reachable: always privately, publicly only when listed."""

    public: bool
    public_cidrs: tuple[str, ...]


def endpoint_access(environment: str, cidrs: Iterable[str | IPv4Network]) -> EndpointAccess:
    """The endpoint rule: private always; public only with an explicit allow-list, never in prod.

    The config model enforces the same; this guards the component when it is used directly.
    """
    networks = tuple(ip_network(str(cidr)) for cidr in cidrs)
    if not networks:
        return EndpointAccess(public=False, public_cidrs=())
    if environment == "prod":
        raise ValueError("eks: prod keeps the Kubernetes API private; pass no public_access_cidrs")
    opened = [str(n) for n in networks if n.prefixlen == 0]
    if opened:
        raise ValueError(f"eks: {opened[0]} opens the Kubernetes API to the internet; list office/VPN CIDRs")
    return EndpointAccess(public=True, public_cidrs=tuple(str(n) for n in networks))


# -- nodes ------------------------------------------------------------------------------------

# Graviton families carry a `g` after the generation digit: m7g, c7gn, r8gd, t4g, im4gn.
_GRAVITON = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*\.")


def ami_type(instance_types: Iterable[str]) -> str:
    """The EKS-optimised AL2023 AMI type for the node group's instance types (one architecture)."""
    arm = {bool(_GRAVITON.match(t)) for t in instance_types}
    if len(arm) != 1:
        raise ValueError("eks nodeInstanceTypes: mix of Graviton and x86 types; one node group runs one architecture")
    return "AL2023_ARM_64_STANDARD" if arm.pop() else "AL2023_x86_64_STANDARD"


# -- IAM documents ------------------------------------------------------------------------------


def _document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust_policy(service: str) -> str:
    """Trust policy letting one AWS service principal assume the role."""
    return _document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def pod_identity_trust_policy(account_id: str, cluster_arn: str) -> str:
    """Trust policy of an EKS Pod Identity role, usable only by this cluster (confused deputy guard)."""
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            # Pod Identity tags the session with cluster, namespace and service account.
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnEquals": {"aws:SourceArn": cluster_arn},
            },
        }
    )


def irsa_trust_policy(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy of an IRSA role: only `namespace/service_account` tokens for STS, from this cluster."""
    host = issuer.removeprefix("https://")
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{host}:aud": STS_AUDIENCE,
                }
            },
        }
    )


def ebs_kms_policy(key_arn: str) -> str:
    """What the EBS CSI driver needs on the region's data key to create CMK-encrypted volumes.

    The AWS-managed driver policy covers EC2 only; KMS use is granted on this one key, and
    grants only for AWS resources (EBS attaches volumes through grants).
    """
    return _document(
        {
            "Sid": "VolumeKeyGrants",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": [key_arn],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "VolumeKeyUse",
            "Effect": "Allow",
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            "Resource": [key_arn],
        },
    )


def wildcard_actions(document: str | Mapping[str, Any]) -> list[str]:
    """Actions of a policy document that contain `*` (e.g. `*`, `s3:*`, `kms:Get*`)."""
    doc = json.loads(document) if isinstance(document, str) else document
    statements = doc.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    found: list[str] = []
    for statement in statements:
        for key in ("Action", "NotAction"):
            actions = statement.get(key, [])
            for action in [actions] if isinstance(actions, str) else actions:
                if "*" in action:
                    found.append(action)
    return found


# -- kubeconfig ---------------------------------------------------------------------------------


def kubeconfig(
    cluster_name: str, endpoint: str, certificate_authority: str, region: str, role_arn: str | None = None
) -> str:
    """A kubeconfig (JSON) for one cluster that authenticates with `aws eks get-token`.

    Nothing comes from the ambient ~/.kube/config: the server, CA and the token command's
    cluster and region are all explicit, so a cell's provider can only ever reach its cluster.
    `role_arn` is the role `get-token` assumes (the cluster has no creator admin to fall back on).
    """
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "preferences": {},
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": args,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


# -- namespaces ---------------------------------------------------------------------------------


def pod_security_labels(kubernetes_version: str, level: str = "restricted") -> dict[str, str]:
    """Pod Security Admission labels enforcing, auditing and warning at `level`.

    Pinned to the cluster's minor version so a control plane upgrade never changes what is
    admitted without a reviewed change here.
    """
    version = f"v{kubernetes_version.removeprefix('v')}"
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


@dataclass(frozen=True)
class NamespaceQuota:
    """ResourceQuota and LimitRange values every bounded-context namespace gets.

    Quotas bound the blast radius of one context's runaway deployment on a shared cell;
    the LimitRange defaults make pods without requests admissible under the quota.
    """

    requests_cpu: str = "8"
    requests_memory: str = "16Gi"
    limits_cpu: str = "16"
    limits_memory: str = "32Gi"
    pods: str = "100"
    persistent_volume_claims: str = "10"
    requests_storage: str = "500Gi"
    # Exposure goes through the platform's load balancer tier, never a node port.
    node_ports: str = "0"
    default_request_cpu: str = "100m"
    default_request_memory: str = "128Mi"
    default_limit_cpu: str = "500m"
    default_limit_memory: str = "512Mi"
    max_cpu: str = "4"
    max_memory: str = "8Gi"


def dr_scaler_rules() -> list[dict[str, list[str]]]:
    """RBAC rules of the DR automation role in a namespace: find workloads and scale them, nothing else."""
    return [
        {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["get", "list", "watch"]},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments/scale", "statefulsets/scale"],
            "verbs": ["get", "patch", "update"],
        },
        # The ARC Region switch EKS resource scaling step reads a Deployment's status to see the
        # scaled replicas become ready; AWS's AmazonARCRegionSwitchScalingPolicy access policy
        # grants `get` on `*/status` for that. Read-only, and only the Deployments it scales.
        {"apiGroups": ["apps"], "resources": ["deployments/status"], "verbs": ["get"]},
        {
            "apiGroups": ["autoscaling"],
            "resources": ["horizontalpodautoscalers"],
            "verbs": ["get", "list", "watch", "patch", "update"],
        },
    ]


# -- egress allows ------------------------------------------------------------------------------

# The ports a workload reaches inside its own cell; the same numbers as the security group
# rules of `components.network` (POSTGRES, KAFKA_SASL_IAM, HTTPS), kept in step by a test.
AURORA_PORT = 5432
# MSK brokers, SASL/IAM over TLS: the only listener the workloads' IRSA grants can use.
KAFKA_SASL_IAM_PORT = 9098
HTTPS_PORT = 443


@dataclass(frozen=True)
class EgressAllow:
    """One egress allow NetworkPolicy of a namespace: TCP to `ports` on `cidrs`, nothing else.

    The policy is named `allow-<purpose>`; `cidrs` is never empty (an empty `to` would mean
    every destination) and never holds 0.0.0.0/0.
    """

    purpose: str
    cidrs: tuple[str, ...]
    ports: tuple[int, ...]
    why: str


def _egress_cidrs(field_name: str, cidrs: Iterable[str]) -> tuple[str, ...]:
    """The CIDRs as normalised strings; ValueError for a malformed, open or public block."""
    networks: list[str] = []
    for cidr in cidrs:
        try:
            network = IPv4Network(cidr)
        except ValueError as err:
            raise ValueError(f"kube baseline {field_name}: {cidr!r} is not an IPv4 CIDR ({err})") from None
        if network.prefixlen == 0:
            raise ValueError(f"kube baseline {field_name}: {cidr} would allow egress everywhere; pass the tier subnets")
        if not network.is_private:
            raise ValueError(f"kube baseline {field_name}: {cidr} is not private; pass the cell's tier subnets")
        networks.append(str(network))
    return tuple(networks)


def egress_allows(data_cidrs: Iterable[str], endpoint_cidrs: Iterable[str]) -> tuple[EgressAllow, ...]:
    """The egress a workload namespace needs past its default deny (besides DNS).

    Aurora and MSK (IAM auth) in the data tier, and the AWS APIs (STS for IRSA, the RDS and
    Kafka auth tokens' signing, KMS, ...) through the interface endpoints. A tier without
    CIDRs gets no allow at all, rather than a policy with an empty, match-everything `to`.
    """
    data = _egress_cidrs("data_cidrs", data_cidrs)
    endpoints = _egress_cidrs("endpoint_cidrs", endpoint_cidrs)
    allows: list[EgressAllow] = []
    if data:
        allows.append(EgressAllow("aurora", data, (AURORA_PORT,), "PostgreSQL to Aurora in the data tier"))
        allows.append(EgressAllow("kafka", data, (KAFKA_SASL_IAM_PORT,), "Kafka SASL/IAM to MSK in the data tier"))
    if endpoints:
        allows.append(
            EgressAllow("aws-endpoints", endpoints, (HTTPS_PORT,), "HTTPS to the AWS APIs' interface endpoints")
        )
    return tuple(allows)


# -- per-namespace IAM grants ------------------------------------------------------------------

# Placeholders a grant's resource template may use; filled per cell when the policy is rendered.
TEMPLATE_FIELDS = frozenset({"partition", "region", "account", "namespace", "kafka_cluster"})
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
_SID = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Grant:
    """One IAM statement of a namespace's workload role: exact actions on templated resource ARNs.

    Resources are templates with `{partition}`, `{region}`, `{account}`, `{namespace}` and
    `{kafka_cluster}` so one grant table serves every cell.
    """

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


_KAFKA = "arn:{partition}:kafka:{region}:{account}"

# What a bounded context's workloads may do by default: connect as its own database user,
# and use its own Kafka topics and consumer groups.
# - `rds-db:connect` as the database user named after the namespace. The cluster resource id
#   segment is `*`: the Aurora clusters are declared after the cells' Kubernetes baselines and
#   each region's id differs (a failover must not need an IAM change), so the grant is scoped by
#   account, region and user name; the database decides what that user may touch.
# - MSK IAM access control on topics and consumer groups named `<namespace>.*`, on the cell's
#   cluster (`{kafka_cluster}`, see `KubeBaselineArgs.kafka_cluster_name`).
CONTEXT_GRANTS: tuple[Grant, ...] = (
    Grant(
        sid="DatabaseUser",
        actions=("rds-db:connect",),
        resources=("arn:{partition}:rds-db:{region}:{account}:dbuser:*/{namespace}",),
    ),
    Grant(
        sid="KafkaConnect",
        actions=("kafka-cluster:Connect",),
        resources=(f"{_KAFKA}:cluster/{{kafka_cluster}}/*",),
    ),
    Grant(
        sid="KafkaOwnTopics",
        actions=("kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"),
        resources=(f"{_KAFKA}:topic/{{kafka_cluster}}/*/{{namespace}}.*",),
    ),
    Grant(
        sid="KafkaOwnConsumerGroups",
        actions=("kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"),
        resources=(f"{_KAFKA}:group/{{kafka_cluster}}/*/{{namespace}}.*",),
    ),
)


def default_namespace_grants(namespaces: Iterable[str]) -> dict[str, tuple[Grant, ...]]:
    """The default grants per namespace: `CONTEXT_GRANTS`, each rendered for its own namespace."""
    return {namespace: CONTEXT_GRANTS for namespace in namespaces}


def check_grants(namespace: str, grants: Iterable[Grant]) -> None:
    """Raise ValueError for a wildcard action, a bare `*` resource or an unknown placeholder."""
    for grant in grants:
        if not _SID.match(grant.sid):
            raise ValueError(f"grant {grant.sid!r} of {namespace}: Sid must be alphanumeric (IAM's rule)")
        if not grant.actions or not grant.resources:
            raise ValueError(f"grant {grant.sid!r} of {namespace}: needs at least one action and one resource")
        for action in grant.actions:
            if not _ACTION.match(action):
                raise ValueError(
                    f"grant {grant.sid!r} of {namespace}: action {action!r} is not one exact action; "
                    "list each action (no '*')"
                )
        for resource in grant.resources:
            if resource.strip() == "*":
                raise ValueError(f"grant {grant.sid!r} of {namespace}: Resource '*' is not allowed; scope it to ARNs")
            fields = set(re.findall(r"{(\w*)}", resource))
            unknown = fields - TEMPLATE_FIELDS
            if unknown:
                raise ValueError(
                    f"grant {grant.sid!r} of {namespace}: unknown placeholder {{{sorted(unknown)[0]}}} in "
                    f"{resource!r}; use {', '.join(sorted(TEMPLATE_FIELDS))}"
                )


def render_grants(
    grants: Iterable[Grant], *, partition: str, region: str, account: str, namespace: str, kafka_cluster: str
) -> str:
    """The identity policy (JSON) of a namespace's role in one cell."""
    values = {
        "partition": partition,
        "region": region,
        "account": account,
        "namespace": namespace,
        "kafka_cluster": kafka_cluster,
    }
    return _document(
        *(
            {
                "Sid": grant.sid,
                "Effect": "Allow",
                "Action": list(grant.actions),
                "Resource": [resource.format(**values) for resource in grant.resources],
            }
            for grant in grants
        )
    )
