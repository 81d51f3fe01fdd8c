"""A private, versioned, CMK-encrypted S3 bucket that only TLS can reach: one declaration for every bucket.

The ARC execution reports (`dr_control`) and the in-cluster bundles (`cluster_runner`) are both
audit-relevant and both must stay private; one helper keeps their guard rails identical.

Every bucket of the stack (the log archives too, through `declare_bucket_guards`) also sends its
events to Amazon EventBridge: with `EventBridgeConfiguration` on, S3 delivers every event of the
bucket to the default event bus and rules pick what they need ("Using EventBridge", S3 User Guide,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html; AWS::S3::Bucket
EventBridgeConfiguration: "If enabled, all events will be sent to EventBridge"). It needs no
destination policy, unlike SNS/SQS/Lambda targets. And every bucket has a lifecycle fitting its data
(`Lifecycle`, `evidence_lifecycle`): a versioned bucket without one keeps every overwritten version
and every abandoned multipart upload forever.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Document, Statement


def private_bucket_policy(bucket_arn: str, key_arn: str, grants: list[Statement] | None = None) -> Document:
    """TLS only, and no object under another key than the bucket's; then any service `grants`.

    Built by hand, not with `iam_docs.statement`: a Deny must cover every action (`s3:*`);
    the no-wildcard rule is about what a policy grants.
    """
    everyone = {"AWS": "*"}
    return {
        "Version": iam_docs.POLICY_VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOtherKmsKeys",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            },
            *(grants or []),
        ],
    }


# Colder storage once objects are rarely read: Standard-IA bills at least 30 days per object and
# accepts transitions from day 30; Glacier Instant Retrieval keeps millisecond reads for an
# auditor (S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle").
COLDER_STORAGE: tuple[tuple[int, str], ...] = ((30, "STANDARD_IA"), (90, "GLACIER_IR"))
# An overwritten or deleted object stays recoverable this long (every bucket is versioned).
NONCURRENT_DAYS = 30
# Parts of an upload that never completed are billed until aborted.
ABORT_MULTIPART_DAYS = 7


@dataclass(frozen=True)
class Lifecycle:
    """One lifecycle rule over the whole bucket: what happens to current and noncurrent versions.

    `expire_days` None keeps current versions (a bundle in use, trail files kept by Object Lock and
    a landing-zone archive); `transitions` move current versions to colder storage (each strictly
    before `expire_days`: S3 refuses a transition on or after the expiration day);
    `noncurrent_days` None keeps noncurrent versions (moved by `noncurrent_transitions` instead).
    """

    rule_id: str
    expire_days: int | None = None
    transitions: tuple[tuple[int, str], ...] = ()
    noncurrent_days: int | None = NONCURRENT_DAYS
    noncurrent_transitions: tuple[tuple[int, str], ...] = ()
    abort_multipart_days: int = ABORT_MULTIPART_DAYS

    def __post_init__(self) -> None:
        late = [days for days, _ in self.transitions if self.expire_days is not None and days >= self.expire_days]
        if late:
            raise ValueError(
                f"Lifecycle {self.rule_id}: transition at day {late[0]} is not before expiry at {self.expire_days}"
            )

    def args(self) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
        """The rule as pulumi-aws arguments (filter: every object)."""
        return aws.s3.BucketLifecycleConfigurationRuleArgs(
            id=self.rule_id,
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=days, storage_class=storage)
                for days, storage in self.transitions
            ]
            or None,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=self.expire_days)
            if self.expire_days is not None
            else None,
            noncurrent_version_transitions=[
                aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                    noncurrent_days=days, storage_class=storage
                )
                for days, storage in self.noncurrent_transitions
            ]
            or None,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=self.noncurrent_days
            )
            if self.noncurrent_days is not None
            else None,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=self.abort_multipart_days
            ),
        )


def evidence_lifecycle(retention_days: int) -> Lifecycle:
    """Evidence (reports, configuration history, logs): colder storage, then expiry after `retention_days`.

    Expiry at the retention, never before. On a versioned bucket expiry only adds a delete marker
    and the version becomes noncurrent (S3 User Guide, "Expiring objects"); the noncurrent version
    is removed `NONCURRENT_DAYS` later, and on a locked bucket lifecycle never removes a version
    whose retention has not ended (S3 User Guide, "Object Lock considerations", "Managing S3
    Lifecycle policies with Object Lock").
    """
    if retention_days < 1:
        raise ValueError(f"evidence retention must be at least 1 day, got {retention_days}")
    steps = tuple((days, storage) for days, storage in COLDER_STORAGE if days < retention_days)
    return Lifecycle(rule_id="archive-then-expire", expire_days=retention_days, transitions=steps)


def declare_lifecycle(
    name: str, bucket: aws.s3.Bucket, region: str, lifecycle: Lifecycle, versioning: pulumi.Resource
) -> aws.s3.BucketLifecycleConfiguration:
    """Child `name-lifecycle` of `bucket`: the bucket's one lifecycle rule."""
    return aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=[lifecycle.args()],
        region=region,
        # S3 rejects a lifecycle configuration on a bucket whose versioning is still being set.
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[versioning]),
    )


# What no one may do to a write-once bucket: delete an object (any version) or the bucket.
DELETE_ACTIONS = ("s3:DeleteBucket", "s3:DeleteObject", "s3:DeleteObjectVersion")


def deny_deletes(bucket_arn: str) -> Statement:
    """The deletion deny of a locked bucket. Built by hand: it must name every principal.

    Lifecycle expiry is S3's own action, not a request a bucket policy evaluates.
    """
    return {
        "Sid": "DenyDeletes",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(DELETE_ACTIONS),
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
    }


@dataclass(frozen=True)
class PrivateBucket:
    """The bucket and the settings resources that must exist before anything is written to it."""

    bucket: aws.s3.Bucket
    settings: list[pulumi.Resource]


def declare_bucket_guards(
    name: str, bucket: aws.s3.Bucket, region: str
) -> tuple[aws.s3.BucketOwnershipControls, aws.s3.BucketPublicAccessBlock, aws.s3.BucketVersioning]:
    """Children `name-ownership` (ACLs off), `-public-access` (all four blocks), `-versioning` (on) of `bucket`.

    What every bucket of the stack has, whatever it holds and however it is encrypted (the log
    archive, components/log_archive.py, too). Also `name-notifications`: the bucket's events go
    to EventBridge (module doc).
    """
    opts = pulumi.ResourceOptions(parent=bucket)
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        region=region,
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=opts,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        region=region,
        opts=opts,
    )
    aws.s3.BucketNotification(f"{name}-notifications", bucket=bucket.id, eventbridge=True, region=region, opts=opts)
    return ownership, public_access, versioning


def declare_private_bucket(
    name: str,
    *,
    bucket_name: pulumi.Input[str] | None,
    region: str,
    key_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    lifecycle: Lifecycle,
    protect: bool = False,
    locked: ObjectLock | None = None,
    grants: pulumi.Input[list[Statement]] | None = None,
) -> PrivateBucket:
    """Bucket `name` and its settings (children `name-<setting>`).

    Children: `name-ownership`, `-public-access`, `-versioning`, `-notifications`, `-encryption`,
    `-policy`, `-lifecycle`. `lifecycle` is required: every bucket says what happens to old
    versions (`evidence_lifecycle` for evidence).
    `protect` sets Pulumi's protect option on the bucket: `pulumi destroy` and replacements stop at
    it (for evidence that must outlive the stack). `locked` makes it a write-once bucket (child
    `name-object-lock`) and adds its statements to the bucket policy. `grants` adds statements (after
    the two denies) for services that write as their own principal, such as AWS Config's.
    """
    if locked and lifecycle.expire_days is not None and lifecycle.expire_days < locked.retention_days:
        raise ValueError(
            f"{name}: the lifecycle expires objects after {lifecycle.expire_days} days, before the Object Lock "
            f"retention of {locked.retention_days} days ends"
        )
    key = pulumi.Output.from_input(key_arn)
    bucket = aws.s3.Bucket(
        name,
        bucket=bucket_name,
        # Object Lock on at creation (S3 User Guide, "Configuring S3 Object Lock", "Enable Object Lock
        # when creating a new S3 general purpose bucket") unless the lock comes to a bucket that already
        # exists: then the configuration below turns it on (`ObjectLock.at_creation`).
        object_lock_enabled=True if locked and locked.at_creation else None,
        # Its objects are evidence: a bucket that still holds some refuses to be deleted.
        force_destroy=False,
        region=region,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    ownership, public_access, versioning = declare_bucket_guards(name, bucket, region)
    opts = pulumi.ResourceOptions(parent=bucket)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key
                ),
                # One data key per bucket instead of one KMS call per object; off where a service
                # writes under its own encryption context (CloudTrail: see ObjectLock.bucket_key).
                bucket_key_enabled=locked.bucket_key if locked else True,
            )
        ],
        region=region,
        opts=opts,
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, key, grants or [], locked.statements(bucket.arn) if locked else []).apply(
            # The service grants, then the lock's writer grants and deletion denies: one list of additions.
            lambda values: iam_docs.dumps(private_bucket_policy(values[0], values[1], [*values[2], *values[3]]))
        ),
        region=region,
        # S3 rejects policy changes that race the public access block on a new bucket.
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[public_access]),
    )
    settings: list[pulumi.Resource] = [ownership, public_access, versioning, encryption, policy]
    settings.append(declare_lifecycle(name, bucket, region, lifecycle, versioning))
    if locked:
        settings.append(
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=locked.mode, days=locked.retention_days
                    )
                ),
                region=region,
                # Object Lock needs versioning on (S3 refuses the configuration otherwise).
                opts=pulumi.ResourceOptions(parent=bucket, depends_on=[versioning]),
            )
        )
    return PrivateBucket(bucket, settings)


@dataclass(frozen=True)
class ObjectLock:
    """A write-once bucket: default Object Lock retention and the policy statements of its writer.

    `statements(bucket_arn)` returns the extra bucket policy statements (the writing service's
    grants and the deletion denies). COMPLIANCE mode: no one, the root user included, can shorten
    the retention or delete a locked version before it ends (S3 User Guide, "Object Lock").

    `at_creation` False: the bucket may already exist (a protected prod bucket that gains the lock),
    so the bucket is not created with Object Lock (pulumi-aws would replace it) and the lock
    configuration turns it on: PutObjectLockConfiguration with ObjectLockEnabled on a versioned
    bucket ("You can enable Object Lock for new or existing buckets", S3 API Reference,
    PutObjectLockConfiguration; "Enable Object Lock on an existing S3 bucket", S3 User Guide,
    "Configuring S3 Object Lock"; `aws.s3.BucketObjectLockConfiguration` "can be used enable Object
    Lock for new and existing buckets", pulumi-aws/terraform-provider-aws docs of the resource).
    """

    retention_days: int
    statements: Callable[[pulumi.Output[str]], pulumi.Input[Sequence[dict[str, object]]]]
    mode: str = "COMPLIANCE"
    bucket_key: bool = True
    at_creation: bool = True
