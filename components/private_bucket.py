"""A private, versioned, CMK-encrypted S3 bucket that only TLS can reach: one declaration for every bucket.

The ARC execution reports (`dr_control`) and the in-cluster bundles (`cluster_runner`) are both
audit-relevant and both must stay private; one helper keeps their guard rails identical.
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
    archive, components/log_archive.py, too).
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
    return ownership, public_access, versioning


def declare_private_bucket(
    name: str,
    *,
    bucket_name: pulumi.Input[str] | None,
    region: str,
    key_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    protect: bool = False,
    locked: ObjectLock | None = None,
    grants: pulumi.Input[list[Statement]] | None = None,
) -> PrivateBucket:
    """Bucket `name` (children `name-ownership`, `-public-access`, `-versioning`, `-encryption`, `-policy`).

    `protect` sets Pulumi's protect option on the bucket: `pulumi destroy` and replacements stop at
    it (for evidence that must outlive the stack). `locked` makes it a write-once bucket (child
    `name-object-lock`) and adds its statements to the bucket policy. `grants` adds statements (after
    the two denies) for services that write as their own principal, such as AWS Config's.
    """
    key = pulumi.Output.from_input(key_arn)
    bucket = aws.s3.Bucket(
        name,
        bucket=bucket_name,
        # S3 turns Object Lock on only at bucket creation (S3 User Guide, "Configuring S3 Object
        # Lock"); the default retention is the separate configuration below.
        object_lock_enabled=True if locked else None,
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
    """

    retention_days: int
    statements: Callable[[pulumi.Output[str]], pulumi.Input[Sequence[dict[str, object]]]]
    mode: str = "COMPLIANCE"
    bucket_key: bool = True
