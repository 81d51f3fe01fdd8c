"""A cell's log archive: the one bucket per region that AWS log delivery writes into.

`LogArchive(name, LogArchiveArgs, opts)` (`finstack:logging:LogArchive`) declares one S3 bucket
that receives the cell's ALB access logs (prefix `alb/`) and the S3 server access logs of every
platform bucket of that region (prefix `s3/<bucket>/`), with versioning, a lifecycle to colder
storage and expiry after the stack's log retention, TLS-only access, the public access block and
`BucketOwnerEnforced`.

Why it is SSE-S3 and not the house SSE-KMS (components/private_bucket.py): both writers refuse
anything else.
- ALB access logs: "The only server-side encryption option that's supported is Amazon
  S3-managed keys (SSE-S3)" (ELB User Guide, "Enable access logs for your Application Load
  Balancer", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
- S3 server access logs: the destination may use default encryption only with SSE-S3, not
  SSE-KMS, must not have an Object Lock default retention, and must be in the source bucket's
  region and account (S3 User Guide, "Enabling Amazon S3 server access logging",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html;
  PutBucketLogging: "All logs are saved to buckets in the same AWS Region as the source bucket").
The bucket therefore carries `finstack:role=log-archive`, and its policy grants write to AWS's
log-delivery principals only: the policy pack admits SSE-S3 for exactly that shape
(`s3-bucket-sse-kms`) and exempts the archive, being the target, from access logging itself.

Pure policy builders (`archive_policy`, `elb_log_principal`, `lifecycle_steps`) have no Pulumi
state and are unit-tested on their own. The lifecycle is the house evidence lifecycle
(components/private_bucket.py `evidence_lifecycle`) with the log retention.

No Object Lock: S3 server access logging refuses a destination with an Object Lock default
retention (S3 User Guide, "Configuring S3 Object Lock": "S3 buckets with Object Lock can't be used
as destination buckets for server access logs"), and the archive is every bucket's destination.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Document
from components.naming import cell_tags
from components.private_bucket import COLDER_STORAGE, declare_bucket_guards, declare_lifecycle, evidence_lifecycle

ROLE = "log-archive"
ALB_PREFIX = "alb"
S3_PREFIX = "s3"
# Regions opened before August 2022: ELB delivers access logs as a regional ELB account, which
# the bucket policy must name (ELB User Guide, "Enable access logs for your Application Load
# Balancer", Step 2; the same table is terraform-provider-aws
# internal/service/elb/service_account_data_source.go). Newer regions deliver as the service
# principal below. Partitions other than `aws` are not supported by this stack.
ELB_LOG_ACCOUNTS: Mapping[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
S3_LOG_SERVICE = "logging.s3.amazonaws.com"


def elb_log_principal(region: str) -> dict[str, str]:
    """Who writes ALB access logs in `region`: its ELB account, or the service principal in newer regions."""
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is not None:
        return iam_docs.aws_principal(iam_docs.account_root(account))
    return iam_docs.service_principal(ELB_LOG_SERVICE)


def archive_policy(bucket_arn: str, region: str, account_id: str) -> Document:
    """TLS only; ELB writes `alb/AWSLogs/<account>/*`, S3 log delivery writes `s3/*` for this account's buckets.

    Both grants are the documented ones: ELB's per-region principal (see ELB_LOG_ACCOUNTS), and
    `logging.s3.amazonaws.com` with aws:SourceAccount (S3 User Guide, "Permissions for log
    delivery": the condition keeps other accounts' buckets from logging here). No other
    principal is allowed anything.
    """
    elb = elb_log_principal(region)
    elb_conditions = {} if "AWS" in elb else {"StringEquals": {"aws:SourceAccount": account_id}}
    elb_write = iam_docs.statement(
        "AlbAccessLogDelivery",
        ["s3:PutObject"],
        [f"{bucket_arn}/{ALB_PREFIX}/AWSLogs/{account_id}/*"],
        principal=elb,
        conditions=elb_conditions or None,
    )
    s3_write = iam_docs.statement(
        "S3ServerAccessLogDelivery",
        ["s3:PutObject"],
        [f"{bucket_arn}/{S3_PREFIX}/*"],
        principal=iam_docs.service_principal(S3_LOG_SERVICE),
        conditions={
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"},
        },
    )
    deny_plain_http: dict[str, Any] = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {"Version": iam_docs.POLICY_VERSION, "Statement": [deny_plain_http, elb_write, s3_write]}


def lifecycle_steps(retention_days: int) -> tuple[tuple[int, str], ...]:
    """The transitions that happen before expiry (S3 refuses a transition on or after the expiration day)."""
    return tuple((days, storage) for days, storage in COLDER_STORAGE if days < retention_days)


def access_log_prefix(bucket_label: str) -> str:
    """Where a platform bucket's server access logs land in the archive: `s3/<label>/`."""
    return f"{S3_PREFIX}/{bucket_label}/"


@dataclass(frozen=True)
class LogArchiveArgs:
    """`retention_days`: how long logs are kept (the stack's `logRetentionDays`)."""

    region: str
    environment: str
    account_id: pulumi.Input[str]
    retention_days: int

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(f"LogArchive {self.region}: retention_days must be at least 1, got {self.retention_days}")


class LogArchive(pulumi.ComponentResource):
    """The cell's access-log bucket (SSE-S3, log-delivery writes only)."""

    bucket_name: pulumi.Output[str]
    """The bucket's name (an ALB's `accessLogs.bucket`), known only after its policy and encryption exist."""
    bucket_arn: pulumi.Output[str]
    """The bucket's ARN."""
    alb_prefix: str
    """The key prefix ALB access logs use (`alb`)."""

    def __init__(self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:logging:LogArchive", name, None, opts)
        self._name = name
        self._args = args
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            # Logs are evidence: a bucket that still holds some refuses to be deleted.
            force_destroy=False,
            region=args.region,
            tags=cell_tags(args.region, role=ROLE),
            opts=pulumi.ResourceOptions(parent=self, protect=args.environment == "prod"),
        )
        self._bucket = bucket
        self._settings = self._create_settings(bucket)
        # Resolves once the policy and encryption are in place: ELB checks the bucket when an
        # ALB turns access logs on, so a writer that takes the name also waits for them.
        self.bucket_name = pulumi.Output.all(bucket.bucket, *(r.urn for r in self._settings)).apply(
            lambda values: str(values[0])
        )
        self.bucket_arn = bucket.arn
        self.alb_prefix = ALB_PREFIX
        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "alb_prefix": ALB_PREFIX}
        )

    def _create_settings(self, bucket: aws.s3.Bucket) -> list[pulumi.Resource]:
        name, region = self._name, self._args.region
        opts = pulumi.ResourceOptions(parent=bucket)
        # ACLs off (BucketOwnerEnforced): log objects belong to the bucket owner whoever delivers
        # them; ELB and S3 log delivery both work with it when the policy grants them.
        ownership, public_access, versioning = declare_bucket_guards(name, bucket, region)
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    # SSE-S3: the only default encryption ALB and S3 log delivery accept (module doc).
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                )
            ],
            region=region,
            opts=opts,
        )
        # Transitions to Standard-IA at 30 and Glacier IR at 90 days, expiry after the log retention.
        lifecycle = declare_lifecycle(name, bucket, region, evidence_lifecycle(self._args.retention_days), versioning)
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, self._args.account_id).apply(
                lambda values: iam_docs.dumps(archive_policy(values[0], region, values[1]))
            ),
            region=region,
            # S3 rejects policy changes that race the public access block on a new bucket.
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[public_access]),
        )
        return [ownership, public_access, versioning, encryption, lifecycle, policy]

    @property
    def ready(self) -> list[pulumi.Resource]:
        """The settings a writer must wait for: log delivery checks the bucket policy when it is configured."""
        return list(self._settings)

    def log_bucket(
        self, name: str, bucket: pulumi.Input[str], label: str, parent: pulumi.Resource | None = None
    ) -> aws.s3.BucketLogging:
        """Server access logging of the bucket named `bucket` (same region) into this archive under `s3/<label>/`.

        Child `name` (by convention `<bucket's logical name>-access-logs`) of `parent` (default: the
        archive). Pass the source bucket's name as an Output of it, so the plan records which bucket
        is logged (the policy pack resolves it through that dependency).
        """
        return aws.s3.BucketLogging(
            name,
            bucket=bucket,
            target_bucket=self._bucket.id,
            target_prefix=access_log_prefix(label),
            region=self._args.region,
            opts=pulumi.ResourceOptions(parent=parent or self, depends_on=self.ready),
        )
