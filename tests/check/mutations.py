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


def _tls_deny_on_bucket_only(document: dict[str, Any]) -> None:
    """The TLS-only deny keeps the bucket ARN and loses `<bucket>/*`: objects readable over plain HTTP."""
    for statement in document["Statement"]:
        if "aws:SecureTransport" in json.dumps(statement):
            statement["Resource"] = [r for r in statement["Resource"] if not r.endswith("/*")]


def _append_statement(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """Append one statement to a policy document (the existing ones, Deny included, stay)."""

    def change(document: dict[str, Any]) -> None:
        document["Statement"] = [*document["Statement"], copy.deepcopy(statement)]

    return change


def _without_sid(sid: str) -> Callable[[dict[str, Any]], None]:
    """Remove the statement `sid` from a policy document (it must be there)."""

    def change(document: dict[str, Any]) -> None:
        kept = [s for s in document["Statement"] if s.get("Sid") != sid]
        assert len(kept) < len(document["Statement"]), f"no statement {sid}"
        document["Statement"] = kept

    return change


def _pin_delivery_to(account: str) -> Callable[[dict[str, Any]], None]:
    """Pin every aws:SourceAccount condition of the document to `account`."""

    def change(document: dict[str, Any]) -> None:
        pinned = [
            s for s in document["Statement"] if "aws:SourceAccount" in s.get("Condition", {}).get("StringEquals", {})
        ]
        assert pinned, "no statement pins aws:SourceAccount"
        for statement in pinned:
            statement["Condition"]["StringEquals"]["aws:SourceAccount"] = account

    return change


def _trust_anyone(document: dict[str, Any]) -> None:
    """A trust policy whose first statement trusts every principal of every account."""
    _statement(document)["Principal"] = {"AWS": "*"}


def _drop_oidc_sub(document: dict[str, Any]) -> None:
    """An IRSA trust policy that keeps the audience but no longer pins the service account."""
    equals = _statement(document)["Condition"]["StringEquals"]
    for key in [k for k in equals if k.endswith(":sub")]:
        del equals[key]


def _open_replicator_grant(document: dict[str, Any]) -> None:
    """The cluster policy's replicator-role statements granted to "*" instead."""
    for statement in document["Statement"]:
        if statement.get("Sid") == "ReplicatorRolesConnectivity":
            statement["Principal"] = {"AWS": "*"}


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


def drop_tag(key: str) -> Edit:
    """Remove one tag from `tags` and from the provider's merged `tagsAll`."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            del props["tags"][key]
            props.get("tagsAll", {}).pop(key, None)

    return edit


def add_nacl_egress(entry: dict[str, Any]) -> Edit:
    """Add one egress entry to a network ACL."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            props["egress"] = [*props["egress"], copy.deepcopy(entry)]

    return edit


def add_security_group(group_id: str) -> Edit:
    """Attach one more security group, by a literal id, next to the ones the resource already uses."""

    def edit(resource: Resource) -> None:
        for props in _in_state(resource):
            props["securityGroups"] = [*props["securityGroups"], group_id]

    return edit


def redirect_dependency(prop: str, old: str, new: str) -> Edit:
    """Point `prop` at another resource of the plan: its dependency URNs ending `old` now end `new`.

    What the engine records when the program passes another resource's output (e.g. the app
    group's id instead of the db group's): the value stays an id, the dependency names the new
    resource, and stack policies resolve the reference through it.
    """

    def edit(resource: Resource) -> None:
        dependencies = resource["propertyDependencies"][prop]
        assert any(urn.endswith(old) for urn in dependencies), f"{prop} does not depend on *{old}"
        swapped = [urn[: -len(old)] + new if urn.endswith(old) else urn for urn in dependencies]
        resource["propertyDependencies"][prop] = swapped
        resource["dependencies"] = list(dict.fromkeys([*resource.get("dependencies", []), *swapped]))

    return edit


def keep_first_subnet(resource: Resource) -> None:
    """Leave a load balancer in its first subnet only (value and property dependency alike)."""
    for props in _in_state(resource):
        props["subnets"] = props["subnets"][:1]
    dependencies = resource.get("propertyDependencies", {})
    if dependencies.get("subnets"):
        dependencies["subnets"] = dependencies["subnets"][:1]


def _all(*edits: Edit) -> Edit:
    def edit(resource: Resource) -> None:
        for one in edits:
            one(resource)

    return edit


# Where the prod plan declares no object of a kind yet (workloads, Services, PDBs), a mutation
# turns one of the cell's namespaced objects into one, declared with the same provider, parent
# and namespace, so the broken object goes through the real analyzer like any other.
LEDGER_LIMITS = Select("kubernetes:core/v1:LimitRange", r"kube-us-east-1-ledger-limits")


def hardened_pod_spec() -> dict[str, Any]:
    """A pod spec that meets every Kubernetes workload rule of the pack."""
    return {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "api",
                "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/ledger-api:1.4.2",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }


def become(type_: str, name: str, inputs: dict[str, Any]) -> Edit:
    """Turn the selected resource into a `type_` object called `name` with `inputs` (same provider and parent)."""

    def edit(resource: Resource) -> None:
        prefix = resource["urn"].rsplit("::", 1)[0].removesuffix(resource["type"])
        resource["urn"] = f"{prefix}{type_}::{name}"
        resource["type"], resource["name"] = type_, name
        resource["inputs"] = copy.deepcopy(inputs)
        if resource.get("outputs"):
            resource["outputs"] = copy.deepcopy(inputs)
        kept = resource.get("propertyDependencies", {}).get("metadata", [])
        resource["propertyDependencies"] = {key: kept if key == "metadata" else [] for key in inputs}

    return edit


def renamed(name: str) -> Edit:
    """Give the resource another logical name (and URN): a new resource, which no waiver names yet."""

    def edit(resource: Resource) -> None:
        resource["name"] = name
        resource["urn"] = f"{resource['urn'].rsplit('::', 1)[0]}::{name}"

    return edit


def workload(kind: str, changes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A hardened `kind` (Deployment, DaemonSet, Job) in the ledger namespace, then `changes` (dotted paths)."""
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "api"}}, "template": {"spec": hardened_pod_spec()}}
    if kind == "Deployment":
        spec["replicas"] = 3
    if kind == "Job":
        spec = {"template": {"spec": {**hardened_pod_spec(), "restartPolicy": "Never"}}}
    document: dict[str, Any] = {"metadata": {"name": "api", "namespace": "ledger"}, "spec": spec}
    for path, value in (changes or {}).items():
        node, key = _walk(document, path)
        node[key] = value
    return document


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
LOAD_BALANCER = Select("aws:lb/loadBalancer:LoadBalancer", r"traffic-alb-us-east-1")
TRAFFIC_ZONE = Select("aws:route53/zone:Zone", r"traffic-zone")
DNSSEC_KEY = Select("aws:kms/key:Key", r"traffic-dnssec-key")
VPC = Select("aws:ec2/vpc:Vpc", r"cell-us-east-1-vpc")
BUCKET = Select("aws:s3/bucket:Bucket", r"dr-reports")
WEB_ACL = Select("aws:wafv2/webAcl:WebAcl", r"edge-us-east-1-web-acl")
LOG_ARCHIVE = Select("aws:s3/bucket:Bucket", r"logs-us-east-1-bucket")
LOG_ARCHIVE_SSE = Select(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    r"logs-us-east-1-encryption",
)
TRAIL = Select("aws:cloudtrail/trail:Trail", r"audit-trail")
DETECTOR = Select("aws:guardduty/detector:Detector", r"detection-us-east-1-detector")

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
        Select(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            r"dr-reports-encryption",
        ),
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
    Mutation(
        "aurora-key-other-account",
        "encryption-at-rest",
        "Aurora member cluster encrypted with a key ARN of another account",
        AURORA,
        set_input("kmsKeyId", "arn:aws:kms:us-east-1:444455556666:key/mrk-0123456789abcdef0123456789abcdef"),
    ),
    Mutation(
        "log-group-key-of-no-stack-key",
        "encryption-at-rest",
        "EKS control-plane log group under a key id that names no key of the stack",
        LOG_GROUP,
        set_input("kmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ),
    Mutation(
        "secret-replica-aws-managed-key",
        "encryption-at-rest",
        "ledger master secret replica in us-west-2 without a kmsKeyId (aws/secretsmanager)",
        Select("aws:secretsmanager/secret:Secret"),
        drop_input("replicas[0].kmsKeyId"),
    ),
    Mutation(
        "node-template-encrypts-xvdb-only",
        "encryption-at-rest",
        "EKS node launch template encrypts /dev/xvdb only: the AL2023 root /dev/xvda keeps the AMI mapping",
        LAUNCH_TEMPLATE,
        set_input("blockDeviceMappings[0].deviceName", "/dev/xvdb"),
    ),
    Mutation(
        "kms-key-disabled",
        "encryption-at-rest",
        "data key disabled",
        DATA_KEY,
        set_input("isEnabled", False),
    ),
    Mutation(
        "kms-key-short-deletion-window",
        "encryption-at-rest",
        "data key deletion window of 7 days",
        DATA_KEY,
        set_input("deletionWindowInDays", 7),
    ),
    Mutation(
        "kms-key-rotation-period-two-years",
        "encryption-at-rest",
        "data key rotates every 730 days",
        DATA_KEY,
        set_input("rotationPeriodInDays", 730),
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
        "s3-policy-tls-deny-bucket-only",
        "encryption-in-transit",
        "report bucket TLS deny covers the bucket ARN but not its objects",
        Select("aws:s3/bucketPolicy:BucketPolicy"),
        edit_json("policy", _tls_deny_on_bucket_only),
    ),
    Mutation(
        "aurora-instance-expired-ca",
        "encryption-in-transit",
        "Aurora writer on the expired rds-ca-2019 server CA",
        AURORA_INSTANCE,
        set_input("caCertIdentifier", "rds-ca-2019"),
    ),
    Mutation(
        "s3-policy-removed",
        "encryption-in-transit",
        "report bucket without a bucket policy",
        Select("aws:s3/bucketPolicy:BucketPolicy", r"dr-reports-policy"),
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
        "lb-listener-tls13-ext2",
        "encryption-in-transit",
        "API listener on TLS13-1-2-Ext2, which adds static-RSA and SHA-1 CBC ciphers",
        LISTENER,
        set_input("sslPolicy", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06"),
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
    Mutation(
        "lb-keeps-invalid-headers",
        "encryption-in-transit",
        "API load balancer forwards header fields that are not valid HTTP",
        LOAD_BALANCER,
        set_input("dropInvalidHeaderFields", False),
    ),
    Mutation(
        "lb-desync-monitor-only",
        "encryption-in-transit",
        "API load balancer only monitors HTTP desync (request smuggling) instead of blocking it",
        LOAD_BALANCER,
        set_input("desyncMitigationMode", "monitor"),
    ),
    # DNSSEC of the public zone (components/zone_signing.py): route53-public-zone-dnssec reports on the zone.
    Mutation(
        "zone-dnssec-not-signing",
        "encryption-in-transit",
        "public zone's DNSSEC signing turned off",
        Select("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec", r"traffic-dnssec-signing"),
        set_input("signingStatus", "NOT_SIGNING"),
        reported_on=(TRAFFIC_ZONE,),
    ),
    Mutation(
        "zone-dnssec-ksk-inactive",
        "encryption-in-transit",
        "public zone's key-signing key INACTIVE",
        Select("aws:route53/keySigningKey:KeySigningKey", r"traffic-dnssec-ksk"),
        set_input("status", "INACTIVE"),
        reported_on=(TRAFFIC_ZONE,),
    ),
    Mutation(
        "zone-dnssec-key-symmetric",
        "encryption-in-transit",
        "the KSK's KMS key becomes a symmetric encryption key (Route 53 cannot sign with it)",
        DNSSEC_KEY,
        _all(set_input("customerMasterKeySpec", "SYMMETRIC_DEFAULT"), set_input("keyUsage", "ENCRYPT_DECRYPT")),
        reported_on=(TRAFFIC_ZONE,),
    ),
    Mutation(
        "zone-dnssec-key-policy-without-route53",
        "encryption-in-transit",
        "the KSK's key policy loses the dnssec-route53 signing grant",
        DNSSEC_KEY,
        edit_json("policy", _without_sid("Route53DnssecSigning")),
        reported_on=(TRAFFIC_ZONE,),
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
    Mutation(
        "lb-public-without-entry-role",
        "segmentation",
        "an internet-facing load balancer that is not tagged as the cell's public entry",
        LOAD_BALANCER,
        drop_tag("finstack:role"),
    ),
    Mutation(
        "lb-public-extra-security-group",
        "segmentation",
        "the public entry also in a security group the stack does not declare (pasted id)",
        LOAD_BALANCER,
        add_security_group("sg-0123456789abcdef0"),
    ),
    Mutation(
        "kafka-sg-egress-to-internet",
        "segmentation",
        "broker group may send to 0.0.0.0/0 (the data tier gets no public egress)",
        Select("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", r"cell-us-east-1-kafka-out-kafka-9098"),
        _all(drop_input("referencedSecurityGroupId"), set_input("cidrIpv4", "0.0.0.0/0")),
    ),
    Mutation(
        "app-sg-all-egress-to-internet",
        "segmentation",
        "app group's NAT egress widened from tcp 443 to all traffic",
        Select("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", r"cell-us-east-1-app-out-internet-443"),
        _all(set_input("ipProtocol", "-1"), drop_input("fromPort"), drop_input("toPort")),
    ),
    Mutation(
        "aurora-in-app-sg",
        "segmentation",
        "Aurora cluster attached to the app security group instead of the db group",
        AURORA,
        redirect_dependency("vpcSecurityGroupIds", "::cell-us-east-1-db-sg", "::cell-us-east-1-app-sg"),
    ),
    Mutation(
        "msk-in-lb-sg",
        "segmentation",
        "MSK brokers attached to the load balancer group instead of the kafka group",
        MSK,
        redirect_dependency("brokerNodeGroupInfo", "::cell-us-east-1-kafka-sg", "::cell-us-east-1-lb-sg"),
    ),
    Mutation(
        "data-subnet-on-app-route-table",
        "segmentation",
        "data subnet associated with the app route table (default route through NAT)",
        Select("aws:ec2/routeTableAssociation:RouteTableAssociation", r"cell-us-east-1-data-rta-a"),
        redirect_dependency("routeTableId", "::cell-us-east-1-data-rt", "::cell-us-east-1-app-rt-a"),
        reported_on=(Select("aws:ec2/route:Route", r"cell-us-east-1-app-rt-a-internet"),),
    ),
    Mutation(
        "app-default-route-via-igw",
        "segmentation",
        "app-tier default route through the internet gateway instead of NAT",
        Select("aws:ec2/route:Route", r"cell-us-east-1-app-rt-a-internet"),
        _all(drop_input("natGatewayId"), set_input("gatewayId", "igw-0123456789abcdef0")),
    ),
    Mutation(
        "peering-route-to-internet",
        "segmentation",
        "route through the inter-region peering connection widened to 0.0.0.0/0",
        Select("aws:ec2/route:Route", r"peering-us-east-1-app-a-to-us-west-2-app-a"),
        set_input("destinationCidrBlock", "0.0.0.0/0"),
    ),
    Mutation(
        "data-nacl-all-ports-to-internet",
        "segmentation",
        "data-tier NACL allows all traffic out to 0.0.0.0/0",
        Select("aws:ec2/networkAcl:NetworkAcl", r"cell-us-east-1-data-nacl"),
        add_nacl_egress(
            {"ruleNo": 90, "action": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0", "fromPort": 0, "toPort": 0}
        ),
    ),
    Mutation(
        "app-nacl-detached",
        "segmentation",
        "app-tier NACL associated with no subnet (the subnets fall back to the default ACL)",
        Select("aws:ec2/networkAcl:NetworkAcl", r"cell-us-east-1-app-nacl"),
        set_input("subnetIds", []),
    ),
    Mutation(
        "node-template-public-ip",
        "segmentation",
        "EKS node launch template asks for public IPs",
        LAUNCH_TEMPLATE,
        set_input("networkInterfaces", [{"deviceIndex": 0, "associatePublicIpAddress": "true"}]),
    ),
    Mutation(
        "node-group-ssh-key",
        "segmentation",
        "EKS node group with an SSH key and no source groups (port 22 open to the internet)",
        Select("aws:eks/nodeGroup:NodeGroup", r"eks-us-east-1-nodes"),
        set_input("remoteAccess", {"ec2SshKey": "ops"}),
    ),
    Mutation(
        "db-rule-undescribed",
        "segmentation",
        "database ingress rule without a description",
        Select("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", r"cell-us-east-1-db-in-app-5432"),
        drop_input("description"),
    ),
    Mutation(
        "lb-sg-inline-and-standalone-rules",
        "segmentation",
        "lb group declares an inline ingress rule next to its standalone rules",
        Select("aws:ec2/securityGroup:SecurityGroup", r"cell-us-east-1-lb-sg"),
        set_input(
            "ingress",
            [
                {
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                    "cidrBlocks": ["10.10.0.0/16"],
                    "description": "internal health checks",
                }
            ],
        ),
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
        "trail-single-region",
        "logging",
        "the audit trail records only its home region",
        TRAIL,
        set_input("isMultiRegionTrail", False),
    ),
    Mutation(
        "trail-no-log-validation",
        "logging",
        "the audit trail writes no signed digest files",
        TRAIL,
        set_input("enableLogFileValidation", False),
    ),
    Mutation(
        "trail-sse-s3",
        "logging",
        "the audit trail's files are encrypted with SSE-S3 instead of the audit key",
        TRAIL,
        drop_input("kmsKeyId"),
    ),
    Mutation(
        "trail-no-cloudwatch",
        "logging",
        "the audit trail no longer delivers to CloudWatch Logs",
        TRAIL,
        drop_input("cloudWatchLogsGroupArn"),
    ),
    Mutation(
        "trail-bucket-governance-lock",
        "logging",
        "the trail bucket's Object Lock retention is GOVERNANCE (removable with a permission)",
        Select("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", r"audit-bucket-object-lock"),
        set_input("rule.defaultRetention.mode", "GOVERNANCE"),
        reported_on=(Select("aws:s3/bucket:Bucket", r"audit-bucket"),),
    ),
    Mutation(
        "guardduty-runtime-monitoring-off",
        "logging",
        "GuardDuty EKS Runtime Monitoring disabled in us-east-1",
        Select("aws:guardduty/detectorFeature:DetectorFeature", r"detection-us-east-1-eks-runtime-monitoring"),
        set_input("status", "DISABLED"),
        reported_on=(DETECTOR,),
    ),
    Mutation(
        "guardduty-detector-removed",
        "logging",
        "no GuardDuty detector in us-west-2",
        Select("aws:guardduty/detector:Detector", r"detection-us-west-2-detector"),
    ),
    Mutation(
        "alert-key-denies-eventbridge",
        "logging",
        "the secrets key no longer lets EventBridge use it: findings never reach the alert topic",
        Select("aws:kms/key:Key", r"keys-secrets"),
        edit_json("policy", _without_sid("EventBridgeRulesToAlertTopics")),
        reported_on=(Select("aws:cloudwatch/eventTarget:EventTarget", r"detection-us-east-1-findings-alerts"),),
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
        "s3-bucket-logging-removed",
        "logging",
        "DR report bucket's server access logging to the log archive removed",
        Select("aws:s3/bucketLogging:BucketLogging", r"dr-reports-access-logs"),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "s3-bucket-lifecycle-removed",
        "logging",
        "DR report bucket's lifecycle configuration removed",
        Select("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", r"dr-reports-lifecycle"),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "s3-lifecycle-expires-before-lock",
        "logging",
        "DR report bucket's lifecycle expires reports after 30 days, inside their Object Lock retention",
        Select("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", r"dr-reports-lifecycle"),
        set_input(("rules", 0, "expiration", "days"), 30),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "s3-bucket-eventbridge-off",
        "logging",
        "DR report bucket's EventBridge notifications turned off",
        Select("aws:s3/bucketNotification:BucketNotification", r"dr-reports-notifications"),
        set_input("eventbridge", False),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "cloudtrail-insights-removed",
        "logging",
        "audit trail without CloudTrail Insights selectors",
        TRAIL,
        drop_input("insightSelectors"),
    ),
    Mutation(
        "alb-access-logs-off",
        "logging",
        "cell ALB access logs to the log archive turned off",
        LOAD_BALANCER,
        set_input("accessLogs.enabled", False),
    ),
    Mutation(
        "log-archive-untagged",
        "encryption-at-rest",
        "SSE-S3 log archive loses its log-archive role tag: an ordinary bucket on SSE-S3, logging nowhere",
        LOG_ARCHIVE,
        set_input(("tags", "finstack:role"), "app"),
        reported_on=(LOG_ARCHIVE_SSE,),
    ),
    Mutation(
        "log-archive-policy-grants-reader",
        "encryption-at-rest",
        "SSE-S3 log archive's policy also lets a role read it: no longer log-delivery only",
        Select("aws:s3/bucketPolicy:BucketPolicy", r"logs-us-east-1-policy"),
        edit_json(
            "policy",
            _append_statement(
                {
                    "Sid": "Reader",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:role/log-reader"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::*/*",
                }
            ),
        ),
        reported_on=(LOG_ARCHIVE_SSE,),
    ),
    Mutation(
        "zone-query-log-removed",
        "logging",
        "public zone's DNS query log removed",
        Select("aws:route53/queryLog:QueryLog", r"traffic-query-log"),
        reported_on=(Select("aws:route53/zone:Zone", r"traffic-zone"),),
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
        "backup-vault-aws-managed-key",
        "resilience",
        "us-east-1 backup vault falls back to the AWS managed aws/backup key",
        Select("aws:backup/vault:Vault", r"backup-us-east-1-vault"),
        drop_input("kmsKeyArn"),
    ),
    Mutation(
        "backup-vault-governance-lock",
        "resilience",
        "us-east-1 backup vault lock in governance mode (no changeableForDays): removable by a privileged user",
        Select("aws:backup/vaultLockConfiguration:VaultLockConfiguration", r"backup-us-east-1-vault-lock"),
        drop_input("changeableForDays"),
        reported_on=(Select("aws:backup/vault:Vault", r"backup-us-east-1-vault"),),
    ),
    Mutation(
        "backup-plan-no-cross-region-copy",
        "resilience",
        "us-east-1 backup plan keeps its recovery points in us-east-1 only",
        Select("aws:backup/plan:Plan", r"backup-us-east-1-plan"),
        set_input("rules[0].copyActions", []),
    ),
    Mutation(
        "aurora-not-in-backup-selection",
        "resilience",
        "us-west-2 Aurora cluster left out of AWS Backup",
        Select("aws:backup/selection:Selection", r"backup-us-west-2-selection"),
        reported_on=(Select("aws:rds/cluster:Cluster", r"aurora-us-west-2-cluster"),),
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
        "lb-deletion-unprotected",
        "resilience",
        "API load balancer deletion protection off",
        LOAD_BALANCER,
        set_input("enableDeletionProtection", False),
    ),
    Mutation(
        "lb-single-az",
        "resilience",
        "API load balancer left in one public subnet (one AZ)",
        LOAD_BALANCER,
        keep_first_subnet,
    ),
    # -- the edge's web ACL (components/edge_defence.py: rule 0 rate, rules 1-4 managed groups) --------
    Mutation(
        "waf-managed-group-count-only",
        "segmentation",
        "the common rule set only counts (overrideAction count) on the us-east-1 web ACL",
        WEB_ACL,
        set_input(("rules", 1, "overrideAction"), {"count": {}}),
    ),
    Mutation(
        "waf-rate-limit-unbounded",
        "segmentation",
        "the per-client rate rule raised to 2,000,000,000 requests per window",
        WEB_ACL,
        set_input(("rules", 0, "statement", "rateBasedStatement", "limit"), 2_000_000_000),
    ),
    Mutation(
        "waf-rule-metrics-off",
        "logging",
        "the SQLi rule group publishes no CloudWatch metrics",
        WEB_ACL,
        set_input(("rules", 3, "visibilityConfig", "cloudwatchMetricsEnabled"), False),
    ),
    Mutation(
        "waf-logs-keep-cookies",
        "logging",
        "WAF logs keep the cookie header (only authorization redacted)",
        Select("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", r"edge-us-east-1-logging"),
        set_input("redactedFields", [{"singleHeader": {"name": "authorization"}}]),
    ),
    Mutation(
        "waf-association-removed",
        "segmentation",
        "the us-east-1 ALB faces the internet without its web ACL",
        Select("aws:wafv2/webAclAssociation:WebAclAssociation", r"edge-us-east-1-association"),
        reported_on=(LOAD_BALANCER,),
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
    Mutation(
        "iam-data-actions-on-wildcard-arn",
        "identity",
        "workload role reads every topic of every cluster (topic/*/*/*, not Resource *)",
        Select("aws:iam/rolePolicy:RolePolicy", r"kube-us-east-1-ledger-role-policy"),
        edit_json(
            "policy",
            lambda d: next(s for s in d["Statement"] if s.get("Sid") == "KafkaOwnTopics").update(
                Resource="arn:aws:kafka:us-east-1:111122223333:topic/*/*/*"
            ),
        ),
    ),
    Mutation(
        "iam-pass-role-any",
        "identity",
        "DR automation may pass any role to any service",
        Select("aws:iam/rolePolicy:RolePolicy", r"dr-roles-automation-policy"),
        edit_json(
            "policy",
            _append_statement({"Sid": "PassAny", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        ),
    ),
    Mutation(
        "iam-attach-policy-any-role",
        "identity",
        "DR automation may attach any policy to any role of the account (iam:Attach* on role/*)",
        Select("aws:iam/rolePolicy:RolePolicy", r"dr-roles-automation-policy"),
        edit_json(
            "policy",
            _append_statement(
                {
                    "Sid": "AttachAny",
                    "Effect": "Allow",
                    "Action": "iam:Attach*",
                    "Resource": "arn:aws:iam::111122223333:role/*",
                }
            ),
        ),
    ),
    Mutation(
        "workload-role-admin",
        "identity",
        "EBS CSI driver role (not a node role) with AdministratorAccess",
        Select("aws:iam/rolePolicyAttachment:RolePolicyAttachment", r"eks-us-east-1-ebs-csi-role-driver"),
        set_input("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ),
    Mutation(
        "role-trust-anyone",
        "identity",
        "DR approver role trusts every principal of every account",
        Select("aws:iam/role:Role", r"dr-roles-approver"),
        edit_json("assumeRolePolicy", _trust_anyone),
    ),
    Mutation(
        "irsa-trust-any-service-account",
        "identity",
        "ledger IRSA role assumable by any service account of the cluster (no :sub condition)",
        Select("aws:iam/role:Role", r"kube-us-east-1-ledger-role"),
        edit_json("assumeRolePolicy", _drop_oidc_sub),
    ),
    Mutation(
        "role-inline-and-separate-policies",
        "identity",
        "runner role declares inlinePolicies while a RolePolicy manages its inline policy",
        Select("aws:iam/role:Role", r"runner-us-east-1-role"),
        set_input(
            "inlinePolicies",
            [
                {
                    "name": "describe",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "eks:ListClusters", "Resource": "*"}],
                        }
                    ),
                }
            ],
        ),
    ),
    Mutation(
        "bucket-policy-public-read",
        "identity",
        "DR report bucket policy lets anyone read objects (its TLS deny stays)",
        Select("aws:s3/bucketPolicy:BucketPolicy", r"dr-reports-policy"),
        edit_json(
            "policy",
            _append_statement(
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::finstack-prod-arc-reports-111122223333-use1/*",
                }
            ),
        ),
    ),
    Mutation(
        "config-bucket-foreign-delivery",
        "identity",
        "AWS Config bucket lets another account's recorder deliver into it (aws:SourceAccount of another account)",
        Select("aws:s3/bucketPolicy:BucketPolicy", r"posture-config-us-east-1-policy"),
        edit_json("policy", _pin_delivery_to("444455556666")),
    ),
    Mutation(
        "topic-policy-foreign-account",
        "identity",
        "alert topic lets another account subscribe",
        Select("aws:sns/topicPolicy:TopicPolicy", r"alerts-us-east-1-policy"),
        edit_json(
            "policy",
            _append_statement(
                {
                    "Sid": "Partner",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "sns:Subscribe",
                    "Resource": "*",
                }
            ),
        ),
    ),
    Mutation(
        "msk-cluster-policy-anyone",
        "identity",
        "MSK source cluster policy grants its connectivity to any principal",
        Select("aws:msk/clusterPolicy:ClusterPolicy", r"msk-us-east-1-cluster-policy"),
        edit_json("policy", _open_replicator_grant),
    ),
    Mutation(
        "bucket-public-policy-allowed",
        "identity",
        "bundle bucket's public access block no longer blocks public policies",
        Select("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", r"runner-us-east-1-bundles-public-access"),
        set_input("blockPublicPolicy", False),
    ),
    Mutation(
        "bucket-public-access-block-removed",
        "identity",
        "DR report bucket without its public access block",
        Select("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", r"dr-reports-public-access"),
        reported_on=(BUCKET,),
    ),
    Mutation(
        "aurora-default-master-user",
        "identity",
        "Aurora primary keeps the engine's default master user",
        AURORA,
        set_input("masterUsername", "postgres"),
    ),
    Mutation(
        "aurora-literal-master-password",
        "identity",
        "Aurora primary's master password written in the program instead of generated in Secrets Manager",
        AURORA,
        set_input("masterPassword", "Sup3rSecret!"),
    ),
    Mutation(
        "kms-replica-default-key-policy",
        "identity",
        "a replica key falls back to AWS's default key policy",
        Select("aws:kms/replicaKey:ReplicaKey", r"keys-backup-replica-us-west-2"),
        drop_input("policy"),
    ),
    Mutation(
        "secret-rotation-removed",
        "identity",
        "the break-glass master secret's rotation schedule removed",
        Select("aws:secretsmanager/secretRotation:SecretRotation", r"ledger-rotation-schedule"),
        reported_on=(Select("aws:secretsmanager/secret:Secret", r"aurora-master-secret"),),
    ),
    Mutation(
        "secret-rotation-yearly",
        "identity",
        "the master secret rotated only every 365 days",
        Select("aws:secretsmanager/secretRotation:SecretRotation", r"ledger-rotation-schedule"),
        set_input("rotationRules.automaticallyAfterDays", 365),
        reported_on=(Select("aws:secretsmanager/secret:Secret", r"aurora-master-secret"),),
    ),
    Mutation(
        "lambda-deprecated-runtime",
        "identity",
        "the rotation function on python3.9",
        Select("aws:lambda/function:Function", r"ledger-rotation-function"),
        set_input("runtime", "python3.9"),
    ),
    Mutation(
        "lambda-invoke-any-account",
        "identity",
        "Secrets Manager of any account may invoke the rotation function",
        Select("aws:lambda/permission:Permission", r"ledger-rotation-invoke"),
        drop_input("sourceAccount"),
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
    Mutation(
        "namespace-psa-version-outdated",
        "kubernetes",
        "ledger namespace pins the restricted standard of Kubernetes 1.22",
        Select("kubernetes:core/v1:Namespace", r"kube-us-east-1-ledger-namespace"),
        set_input(("metadata", "labels", "pod-security.kubernetes.io/enforce-version"), "v1.22"),
    ),
    Mutation(
        "role-wildcard-verbs",
        "kubernetes",
        "the DR scaler role may do anything to deployments",
        Select("kubernetes:rbac.authorization.k8s.io/v1:Role", r"kube-us-east-1-ledger-dr-scaler-role"),
        set_input("rules[0].verbs", ["*"]),
    ),
    Mutation(
        "role-escalate-verb",
        "kubernetes",
        "the DR scaler role may escalate (grant itself what it lacks)",
        Select("kubernetes:rbac.authorization.k8s.io/v1:Role", r"kube-us-west-2-payments-dr-scaler-role"),
        set_input(
            "rules",
            [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["get", "escalate"]}],
        ),
    ),
    Mutation(
        "role-pods-exec",
        "kubernetes",
        "the DR scaler role may exec into the ledger pods",
        Select("kubernetes:rbac.authorization.k8s.io/v1:Role", r"kube-us-west-2-ledger-dr-scaler-role"),
        set_input("rules[2]", {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}),
    ),
    Mutation(
        "rolebinding-anonymous",
        "kubernetes",
        "the DR scaler binding also grants system:anonymous",
        Select("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", r"kube-us-east-1-risk-dr-scaler-binding"),
        set_input("subjects[0].name", "system:anonymous"),
    ),
    Mutation(
        "rolebinding-cluster-admin",
        "kubernetes",
        "the DR scaler group is bound to cluster-admin in the ledger namespace",
        Select("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", r"kube-us-east-1-ledger-dr-scaler-binding"),
        set_input("roleRef", {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}),
    ),
    Mutation(
        "service-account-token-mounted",
        "kubernetes",
        "the ledger workload service account mounts a Kubernetes API token",
        Select("kubernetes:core/v1:ServiceAccount", r"kube-us-east-1-ledger-service-account"),
        set_input("automountServiceAccountToken", True),
    ),
    Mutation(
        "default-service-account-token-mounted",
        "kubernetes",
        "the default service account patch no longer turns the token off",
        Select("kubernetes:core/v1:ServiceAccountPatch", r"kube-us-east-1-notifications-default-service-account"),
        drop_input("automountServiceAccountToken"),
    ),
    Mutation(
        "deployment-privileged",
        "kubernetes",
        "a ledger Deployment with a privileged container",
        LEDGER_LIMITS,
        become(
            "kubernetes:apps/v1:Deployment",
            "ledger-api",
            workload("Deployment", {"spec.template.spec.containers[0].securityContext.privileged": True}),
        ),
    ),
    Mutation(
        "deployment-sys-admin",
        "kubernetes",
        "a ledger Deployment whose container adds SYS_ADMIN",
        LEDGER_LIMITS,
        become(
            "kubernetes:apps/v1:Deployment",
            "ledger-api",
            workload(
                "Deployment",
                {"spec.template.spec.containers[0].securityContext.capabilities.add": ["SYS_ADMIN"]},
            ),
        ),
    ),
    Mutation(
        "daemonset-host-path",
        "kubernetes",
        "a ledger DaemonSet mounting the node's root filesystem",
        LEDGER_LIMITS,
        become(
            "kubernetes:apps/v1:DaemonSet",
            "ledger-agent",
            workload("DaemonSet", {"spec.template.spec.volumes": [{"name": "root", "hostPath": {"path": "/"}}]}),
        ),
    ),
    Mutation(
        "deployment-patch-host-network",
        "kubernetes",
        "a server-side-apply DeploymentPatch that puts the pods on the node's network",
        LEDGER_LIMITS,
        become(
            "kubernetes:apps/v1:DeploymentPatch",
            "ledger-api-patch",
            workload("Deployment", {"spec.template.spec.hostNetwork": True}),
        ),
    ),
    Mutation(
        "job-writable-root",
        "kubernetes",
        "a ledger Job with a writable root filesystem",
        LEDGER_LIMITS,
        become(
            "kubernetes:batch/v1:Job",
            "ledger-migrate",
            workload("Job", {"spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem": False}),
        ),
    ),
    Mutation(
        "deployment-in-default-namespace",
        "kubernetes",
        "a Deployment placed in the default namespace",
        LEDGER_LIMITS,
        become(
            "kubernetes:apps/v1:Deployment", "ledger-api", workload("Deployment", {"metadata.namespace": "default"})
        ),
    ),
    Mutation(
        "deployment-single-replica",
        "kubernetes",
        "a ledger Deployment with one replica",
        LEDGER_LIMITS,
        become("kubernetes:apps/v1:Deployment", "ledger-api", workload("Deployment", {"spec.replicas": 1})),
    ),
    Mutation(
        "service-load-balancer",
        "kubernetes",
        "a ledger Service of type LoadBalancer next to the managed ALB",
        LEDGER_LIMITS,
        become(
            "kubernetes:core/v1:Service",
            "ledger-api-service",
            {
                "metadata": {"name": "api", "namespace": "ledger"},
                "spec": {"type": "LoadBalancer", "selector": {"app": "api"}, "ports": [{"port": 443}]},
            },
        ),
    ),
    Mutation(
        "pdb-blocks-evictions",
        "kubernetes",
        "a ledger PodDisruptionBudget with maxUnavailable 0",
        LEDGER_LIMITS,
        become(
            "kubernetes:policy/v1:PodDisruptionBudget",
            "ledger-api-pdb",
            {"metadata": {"name": "api", "namespace": "ledger"}, "spec": {"maxUnavailable": 0}},
        ),
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
        "config-recorder-partial",
        "logging",
        "us-west-2 AWS Config recorder records only selected resource types",
        Select("aws:cfg/recorder:Recorder", r"posture-recorder-us-west-2"),
        set_input(("recordingGroup", "allSupported"), False),
    ),
    Mutation(
        "securityhub-pci-unsubscribed",
        "logging",
        "us-west-2 Security Hub no longer subscribed to PCI DSS v4.0.1",
        Select("aws:securityhub/standardsSubscription:StandardsSubscription", r"posture-pci-us-west-2"),
    ),
    Mutation(
        "securityhub-aggregator-unlinked",
        "logging",
        "the finding aggregator links no other region",
        Select("aws:securityhub/findingAggregator:FindingAggregator", r"posture-aggregator"),
        set_input("specifiedRegions", []),
    ),
    Mutation(
        "vpc-bpa-off",
        "segmentation",
        "us-west-2 VPC Block Public Access set to off",
        Select("aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions", r"posture-vpc-bpa-us-west-2"),
        set_input("internetGatewayBlockMode", "off"),
    ),
    Mutation(
        "vpc-bpa-missing",
        "segmentation",
        "us-east-1 declares no VPC Block Public Access mode",
        Select("aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions", r"posture-vpc-bpa-us-east-1"),
    ),
    Mutation(
        "vpc-bpa-exclusion-whole-vpc",
        "segmentation",
        "a BPA exclusion names the whole us-east-1 VPC instead of a public subnet",
        Select(
            "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion",
            r"cell-us-east-1-public-a-bpa-exclusion",
        ),
        _all(drop_input("subnetId"), set_input("vpcId", "vpc-0a1b2c3d4e5f60718")),
    ),
    Mutation(
        "vpc-bpa-exclusion-data-subnet",
        "segmentation",
        "a BPA exclusion opens a us-west-2 data-tier subnet to the internet gateway",
        Select(
            "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion",
            r"cell-us-west-2-public-b-bpa-exclusion",
        ),
        redirect_dependency("subnetId", "::cell-us-west-2-public-b", "::cell-us-west-2-data-b"),
    ),
    Mutation(
        "vpc-bpa-lb-subnet-not-excluded",
        "segmentation",
        "a us-east-1 public subnet of the ALB loses its BPA exclusion (the front door goes dark on AWS)",
        Select(
            "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion",
            r"cell-us-east-1-public-b-bpa-exclusion",
        ),
        reported_on=(Select("aws:lb/loadBalancer:LoadBalancer", r"traffic-alb-us-east-1"),),
    ),
    Mutation(
        "provider-outside-jurisdiction",
        "residency",
        "the default aws provider targets eu-west-1",
        Select("pulumi:providers:aws", r"aws"),
        set_input("region", "eu-west-1"),
    ),
)
