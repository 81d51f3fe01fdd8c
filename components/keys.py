"""KMS multi-region keys: one primary per purpose in the primary region, a replica in every other.

Every regional resource encrypts with a key in its own region (a cross-region key would make a
cell depend on another region's KMS during an outage). Multi-region keys share key material
and key id (`mrk-...`), so ciphertext written in one cell decrypts in the other after a
failover, and `kms:UpdatePrimaryRegion` can move the primary when the primary region is lost.

Key policies are explicit and per region (a replica gets its own region's service endpoints):

* `KeyAdministration`: the account principal, administrative operations only. Naming the
  account delegates to IAM policies (the AWS pattern that keeps the key manageable); no
  usage operations, so an administrator cannot decrypt data by policy alone.
* `UseThroughServices` / `GrantsForServices`: principals of this account, only through the
  services of the key's purpose (`kms:ViaService`) and only from this account
  (`kms:CallerAccount`); grants only for AWS resources (`kms:GrantIsForAWSResource`).
* Service principals where a service uses the key as itself: CloudWatch Logs (logs key, only for
  log groups of this account and region), CloudWatch alarms publishing to encrypted SNS topics
  (secrets key), and the Auto Scaling service-linked role that launches encrypted EKS node
  volumes (data key).

The Auto Scaling service-linked role must exist before the data keys: KMS refuses a key policy
naming a principal that does not ("The principals in the key policy must exist and be visible to
KMS", botocore kms `CreateKeyRequest.Policy`), and an account gets the role only when it first
creates an Auto Scaling group, which the EKS node groups do after the keys. With
`autoscaling_service_role="create"` (the default) the component declares the role, retained on
destroy because every Auto Scaling group of the account uses it; in an account that already has
it (CreateServiceLinkedRole answers "has been taken"), pass "existing". docs/real-aws.md, item 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Document, Statement
from components.naming import cell_tags

Purpose = Literal["data", "streaming", "secrets", "logs", "backup", "audit"]
PURPOSES: tuple[Purpose, ...] = ("data", "streaming", "secrets", "logs", "backup", "audit")

# Services whose calls on behalf of this account's principals may use each key (kms:ViaService).
VIA_SERVICES: dict[Purpose, tuple[str, ...]] = {
    "data": ("rds", "ec2"),  # Aurora storage and snapshots; EBS volumes of EKS nodes
    "streaming": ("kafka",),  # MSK broker storage
    # Secrets Manager (Aurora master secret), SNS (alert topics), EKS (envelope encryption of
    # Kubernetes secrets: EKS creates a grant for the cluster through the eks endpoint).
    "secrets": ("secretsmanager", "sns", "eks"),
    # CloudWatch Logs uses the key as its own service principal (below), not via a caller. S3 uses
    # it on a caller's behalf for the buckets of operational evidence (ARC execution reports, the
    # in-cluster runner's bundles): without this path, their IAM grants could never take effect
    # (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
    "logs": ("s3",),
    # AWS Backup vaults; RDS performs the snapshot copies that Backup requests for Aurora.
    "backup": ("backup", "rds"),
    # The audit trail's log and digest files: S3 decrypts them for this account's readers (the
    # bucket's default encryption). CloudTrail itself encrypts as its service principal (below).
    "audit": ("s3",),
}

# Administrative operations, spelled out (the console's `Create*`/`Update*` ... expanded, minus
# CreateGrant, which stays behind kms:GrantIsForAWSResource). ReplicateKey and
# UpdatePrimaryRegion are on every key, replicas included: after a regional failover the
# promoted replica is the primary and must be able to replicate and hand the role back.
ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
)
USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
# What AWS Config needs to write an SSE-KMS object to its delivery bucket.
CONFIG_DELIVERY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# What an SNS publisher needs on the topic's key: a data key to encrypt, Decrypt to reuse it.
SNS_PUBLISH_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Service principals that publish to the CMK-encrypted alert topics besides CloudWatch alarms, with
# the source ARN pattern they publish from. AWS drops their messages when the topic's key does not
# let them use it: EventBridge ("Amazon EventBridge User Guide: Permissions for Amazon SNS" /
# re:Post "Why isn't my Amazon SNS topic receiving EventBridge notifications?": the key policy must
# allow events.amazonaws.com kms:Decrypt and kms:GenerateDataKey) and RDS event notifications
# (Aurora User Guide, "Granting permissions to publish notifications to an Amazon SNS topic":
# events.rds.amazonaws.com; an encrypted topic needs the same pair on its key).
TOPIC_PUBLISHERS: dict[str, tuple[str, str]] = {
    "EventBridgeRulesToAlertTopics": ("events.amazonaws.com", "events:{region}:{account}:rule/*"),
    "RdsEventsToAlertTopics": ("events.rds.amazonaws.com", "rds:{region}:{account}:*"),
}
# CloudTrail's use of the audit key ("Configure AWS KMS key policies for CloudTrail", CloudTrail
# User Guide): GenerateDataKey* to encrypt log and digest files and DescribeKey, bound to the trail;
# readers decrypt through S3 (VIA_SERVICES["audit"]).
CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
# The guide's `kms:GenerateDataKey*`, spelled out (iam_docs refuses partial wildcards): CloudTrail
# calls GenerateDataKey for each log and digest file ("How AWS CloudTrail uses AWS KMS").
CLOUDTRAIL_ENCRYPT_ACTIONS = ("kms:GenerateDataKey",)


def audit_trail_name(environment: str) -> str:
    """The one trail of the stack; fixed so the audit key policy can name the trail's ARN before it exists."""
    return f"finstack-{environment}-audit"


def audit_trail_arn(environment: str, home_region: str, account_id: str, partition: str = iam_docs.PARTITION) -> str:
    """ARN of the stack's multi-region trail (its home region is the primary region)."""
    return f"arn:{partition}:cloudtrail:{home_region}:{account_id}:trail/{audit_trail_name(environment)}"


# Auto Scaling launches the EKS managed node group instances; their encrypted EBS volumes are
# created as this role (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
# The name CreateServiceLinkedRole gives the role without a custom suffix; EKS managed node groups
# cannot use a suffixed one (hashicorp/terraform-provider-aws#28644).
AUTOSCALING_SERVICE_ROLE = f"role/aws-service-role/{AUTOSCALING_SERVICE}/AWSServiceRoleForAutoScaling"
AutoScalingRoleMode = Literal["create", "existing"]

# One year: the cryptoperiod PCI DSS 3.6.4 expects to be defined; KMS's default, made explicit.
ROTATION_PERIOD_DAYS = 365


def alias_name(environment: str, purpose: str) -> str:
    """`alias/finstack/prod/data`: the same alias in every region, so code never hard-codes ARNs."""
    return f"alias/finstack/{environment}/{purpose}"


def key_policy(
    purpose: Purpose,
    region: str,
    account_id: str,
    partition: str = iam_docs.PARTITION,
    *,
    trail_arn: str | None = None,
) -> Document:
    """The key policy of the `purpose` key (primary or replica) in `region`.

    `Resource: "*"` in a key policy means "this key": the policy is attached to one key.
    `trail_arn` (audit key in the trail's home region only): the trail CloudTrail may encrypt
    for (aws:SourceArn). Replicas get none: a trail writes with the key of its home region.
    """
    root = iam_docs.account_root(account_id, partition)
    statements: list[Statement] = [
        iam_docs.statement("KeyAdministration", ADMIN_ACTIONS, ["*"], principal=iam_docs.aws_principal(root))
    ]
    services = VIA_SERVICES[purpose]
    if services:
        via: dict[str, str | list[str]] = {
            "kms:CallerAccount": account_id,
            "kms:ViaService": [iam_docs.service_endpoint(s, region) for s in services],
        }
        statements += [
            iam_docs.statement(
                "UseThroughServices",
                USE_ACTIONS,
                ["*"],
                principal=iam_docs.aws_principal(root),
                conditions={"StringEquals": via},
            ),
            iam_docs.statement(
                "GrantsForServices",
                GRANT_ACTIONS,
                ["*"],
                principal=iam_docs.aws_principal(root),
                conditions={"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    statements += _service_statements(purpose, region, account_id, partition)
    if purpose == "audit" and trail_arn:
        statements += cloudtrail_statements(account_id, trail_arn, partition)
    return iam_docs.document(*statements)


def cloudtrail_statements(account_id: str, trail_arn: str, partition: str = iam_docs.PARTITION) -> list[Statement]:
    """The audit key's CloudTrail statements, as "Configure AWS KMS key policies for CloudTrail" prescribes.

    Encrypt: cloudtrail.amazonaws.com, GenerateDataKey, only for this stack's trail
    (aws:SourceArn, the documented best practice) and only with a trail of this account as the
    encryption context. DescribeKey: CloudTrail reads the key's properties when the trail is
    created or updated. The guide's decrypt section (the account's readers) is the key's
    `UseThroughServices` statement: readers get log and digest files through S3 GetObject, so
    S3 decrypts on their behalf (kms:ViaService s3), and no account principal uses a key
    outside its purpose's services.
    """
    trails_of_account = f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
    cloudtrail = iam_docs.service_principal(CLOUDTRAIL_SERVICE)
    return [
        iam_docs.statement(
            "CloudTrailEncryptLogs",
            CLOUDTRAIL_ENCRYPT_ACTIONS,
            ["*"],
            principal=cloudtrail,
            conditions={
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails_of_account},
            },
        ),
        iam_docs.statement(
            "CloudTrailDescribeKey",
            ("kms:DescribeKey",),
            ["*"],
            principal=cloudtrail,
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        ),
    ]


def _service_statements(purpose: Purpose, region: str, account_id: str, partition: str) -> list[Statement]:
    """Statements for AWS services that use the key under their own identity."""
    if purpose == "logs":
        # The condition limits the key to log groups of this account in this region
        # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
        return [
            iam_docs.statement(
                "CloudWatchLogsInThisRegion",
                USE_ACTIONS,
                ["*"],
                principal=iam_docs.service_principal(f"logs.{region}.amazonaws.com"),
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    }
                },
            ),
            # AWS Config recording with its service-linked role delivers to the Config bucket as the
            # config.amazonaws.com principal, which needs the key itself ("Permissions for the KMS Key
            # for the AWS Config Delivery Channel", AWS Config Developer Guide); only for this account.
            iam_docs.statement(
                "ConfigDeliveryOfThisAccount",
                CONFIG_DELIVERY_ACTIONS,
                ["*"],
                principal=iam_docs.service_principal("config.amazonaws.com"),
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            ),
        ]
    if purpose == "secrets":
        # Alarms publish to the CMK-encrypted alert topics as cloudwatch.amazonaws.com; SNS then
        # asks KMS for a data key on the alarm's behalf. Only alarms and topics of this account
        # and region qualify.
        return [
            iam_docs.statement(
                "CloudWatchAlarmsToAlertTopics",
                SNS_PUBLISH_ACTIONS,
                ["*"],
                principal=iam_docs.service_principal("cloudwatch.amazonaws.com"),
                conditions={
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*",
                        "kms:EncryptionContext:aws:sns:topicArn": f"arn:{partition}:sns:{region}:{account_id}:*",
                    },
                },
            ),
            *(
                iam_docs.statement(
                    sid,
                    SNS_PUBLISH_ACTIONS,
                    ["*"],
                    principal=iam_docs.service_principal(service),
                    conditions={
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {
                            "aws:SourceArn": f"arn:{partition}:" + source.format(region=region, account=account_id),
                            "kms:EncryptionContext:aws:sns:topicArn": f"arn:{partition}:sns:{region}:{account_id}:*",
                        },
                    },
                )
                for sid, (service, source) in TOPIC_PUBLISHERS.items()
            ),
        ]
    if purpose == "data":
        role = iam_docs.aws_principal(f"arn:{partition}:iam::{account_id}:{AUTOSCALING_SERVICE_ROLE}")
        return [
            iam_docs.statement("AutoScalingNodeVolumes", USE_ACTIONS, ["*"], principal=role),
            iam_docs.statement(
                "AutoScalingNodeVolumeGrants",
                ("kms:CreateGrant",),
                ["*"],
                principal=role,
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    return []


@dataclass(frozen=True)
class MultiRegionKeysArgs:
    """Inputs of `MultiRegionKeys`.

    `regions` lists every cell in config order and includes `primary_region`.
    """

    environment: str
    primary_region: str
    regions: tuple[str, ...]
    deletion_window_days: int
    account_id: pulumi.Input[str]
    autoscaling_service_role: AutoScalingRoleMode = "create"
    """Declare the Auto Scaling service-linked role the data key policy names, or rely on an existing one."""

    def __post_init__(self) -> None:
        if self.primary_region not in self.regions:
            raise ValueError(f"primary_region {self.primary_region} is not one of regions {self.regions}")
        if len(set(self.regions)) != len(self.regions):
            raise ValueError(f"regions {self.regions} lists a region twice")
        # KMS accepts 7 to 30 days; anything else fails only at deploy time.
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError(f"deletion_window_days must be 7..30, got {self.deletion_window_days}")


class MultiRegionKeys(pulumi.ComponentResource):
    """Customer managed multi-region keys per purpose, replicated into every cell, with aliases."""

    key_arns: dict[str, dict[str, pulumi.Output[str]]]
    """region -> purpose -> key ARN (the primary key in the primary region, its replica elsewhere)."""
    key_ids: dict[str, dict[str, pulumi.Output[str]]]
    """region -> purpose -> key id (`mrk-...`, equal across regions)."""

    def __init__(self, name: str, args: MultiRegionKeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:security:MultiRegionKeys", name, None, opts)
        self._args = args
        # Deleting a key (after its waiting period) makes every ciphertext under it unreadable, so in
        # prod Pulumi's protect option stops `pulumi destroy` and replacements at the keys. Dev is
        # rebuilt daily (the pack runs stateful-resources-protected as advisory there).
        self._protect = args.environment == "prod"
        self.key_arns = {region: {} for region in args.regions}
        self.key_ids = {region: {} for region in args.regions}
        principals = self._create_autoscaling_role(name)
        for purpose in PURPOSES:
            # Only the data key names the role (AutoScalingNodeVolumes).
            needs = principals if purpose == "data" else []
            primary = self._create_primary(name, purpose, needs)
            self.key_arns[args.primary_region][purpose] = primary.arn
            self.key_ids[args.primary_region][purpose] = primary.key_id
            for region in args.regions:
                if region != args.primary_region:
                    replica = self._create_replica(name, purpose, region, primary, needs)
                    self.key_arns[region][purpose] = replica.arn
                    self.key_ids[region][purpose] = replica.key_id
            for region in args.regions:
                self._create_alias(name, purpose, region, self.key_ids[region][purpose])
        self.register_outputs({"key_arns": self.key_arns, "key_ids": self.key_ids})

    def arn(self, purpose: str, region: str) -> pulumi.Output[str]:
        """The ARN of the `purpose` key in `region` (raises KeyError naming what is missing)."""
        if region not in self.key_arns:
            raise KeyError(f"no keys in region {region}; cells are {sorted(self.key_arns)}")
        if purpose not in self.key_arns[region]:
            raise KeyError(f"no {purpose!r} key; purposes are {PURPOSES}")
        return self.key_arns[region][purpose]

    def _policy(self, purpose: Purpose, region: str) -> pulumi.Output[str]:
        args = self._args
        return pulumi.Output.from_input(args.account_id).apply(
            lambda account: iam_docs.dumps(
                key_policy(
                    purpose,
                    region,
                    account,
                    trail_arn=audit_trail_arn(args.environment, region, account)
                    if region == args.primary_region
                    else None,
                )
            )
        )

    def _create_autoscaling_role(self, name: str) -> list[pulumi.Resource]:
        """The Auto Scaling service-linked role, when this stack is to create it (else nothing)."""
        if self._args.autoscaling_service_role == "existing":
            return []
        return [
            aws.iam.ServiceLinkedRole(
                f"{name}-autoscaling-role",
                aws_service_name=AUTOSCALING_SERVICE,
                description="Auto Scaling service-linked role; created by finstack for encrypted EKS node volumes",
                # Account-wide and shared with every Auto Scaling group: destroying the stack
                # must not take it from the others (and DeleteServiceLinkedRole fails while used).
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
        ]

    def _create_primary(self, name: str, purpose: Purpose, depends_on: list[pulumi.Resource]) -> aws.kms.Key:
        region = self._args.primary_region
        return aws.kms.Key(
            f"{name}-{purpose}",
            description=f"finstack {self._args.environment} {purpose} (multi-region primary)",
            multi_region=True,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            # Rotation is set on the primary; KMS rotates the shared material of every replica.
            enable_key_rotation=True,
            rotation_period_in_days=ROTATION_PERIOD_DAYS,
            deletion_window_in_days=self._args.deletion_window_days,
            policy=self._policy(purpose, region),
            region=region,
            tags=cell_tags(region, purpose=purpose),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, protect=self._protect),
        )

    def _create_replica(
        self, name: str, purpose: Purpose, region: str, primary: aws.kms.Key, depends_on: list[pulumi.Resource]
    ) -> aws.kms.ReplicaKey:
        return aws.kms.ReplicaKey(
            f"{name}-{purpose}-replica-{region}",
            primary_key_arn=primary.arn,
            description=f"finstack {self._args.environment} {purpose} (replica in {region})",
            deletion_window_in_days=self._args.deletion_window_days,
            policy=self._policy(purpose, region),
            region=region,
            tags=cell_tags(region, purpose=purpose),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, protect=self._protect),
        )

    def _create_alias(self, name: str, purpose: Purpose, region: str, key_id: pulumi.Input[str]) -> aws.kms.Alias:
        return aws.kms.Alias(
            f"{name}-{purpose}-alias-{region}",
            name=alias_name(self._args.environment, purpose),
            target_key_id=key_id,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )
