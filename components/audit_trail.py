"""The stack's audit trail: one multi-region CloudTrail trail into a write-once, CMK-encrypted bucket.

* Trail: every region (`isMultiRegionTrail`), global services (IAM, STS, CloudFront events are
  recorded in us-east-1 and reach a multi-region trail only with `includeGlobalServiceEvents`),
  log file integrity validation (signed digest files), the stack's `audit` KMS key, and delivery
  to a CloudWatch Logs group (CIS 3.4: alarms on API activity read the group).
* Events: all management events, read and write. Secrets Manager has no CloudTrail data events:
  every Secrets Manager operation, GetSecretValue included, is a management event ("AWS
  CloudTrail entries for Secrets Manager": `"detail-type": "AWS API Call via CloudTrail"`), so
  reading a secret is recorded by the management selector, which must not filter out read-only
  events. S3 object-level calls are data events (CloudTrail API Reference, `DataResource`):
  one advanced selector records them for the platform's buckets.
* Insights (`INSIGHT_TYPES`): unusual API call and error rates become Insights events.
* Bucket (primary region): S3 Object Lock in COMPLIANCE mode for `retention_days` (PCI DSS
  10.5.1: twelve months of audit history, three immediately available), versioning, SSE-KMS
  with the audit key, lifecycle to colder storage, TLS only, no deletes; CloudTrail may write
  only for this trail ("Amazon S3 bucket policy for CloudTrail": GetBucketAcl and PutObject under
  AWSLogs/<account>/ with aws:SourceArn). Server access logs go to the home region's log archive
  (`infra/program.py` `_access_logs`, components/log_archive.py).

The trail's name is fixed (`keys.audit_trail_name`): the audit key's policy names the trail's ARN
before the trail exists, as CloudTrail's key policy guidance asks (aws:SourceArn).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.keys import audit_trail_arn, audit_trail_name
from components.naming import cell_tags
from components.private_bucket import Lifecycle, ObjectLock, declare_private_bucket, deny_deletes

CLOUDTRAIL = "cloudtrail.amazonaws.com"
# Lifecycle: S3 Glacier Flexible Retrieval after 90 days (the three months PCI DSS 10.5.1 wants
# immediately available stay in S3 Standard), Deep Archive after 180 days. Object Lock retention
# follows each version across storage classes.
GLACIER_AFTER_DAYS = 90
DEEP_ARCHIVE_AFTER_DAYS = 180
# Kept current: the trail's files are evidence for as long as the account exists; Object Lock
# retention holds each version at least `retention_days`.
TRAIL_LIFECYCLE = Lifecycle(
    rule_id="colder-storage",
    transitions=((GLACIER_AFTER_DAYS, "GLACIER"), (DEEP_ARCHIVE_AFTER_DAYS, "DEEP_ARCHIVE")),
    noncurrent_days=None,
    noncurrent_transitions=((GLACIER_AFTER_DAYS, "GLACIER"),),
)
# CloudTrail Insights: unusual rates of write management calls (ApiCallRateInsight) and of failing
# management calls (ApiErrorRateInsight) against a learned baseline, e.g. a burst of
# DeleteSnapshot or of AccessDenied from stolen credentials ("Working with CloudTrail Insights",
# CloudTrail User Guide, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html).
# A trail gets them only if it logs management events: write ones for the call rate, read or write
# for the error rate; the management selector below logs both. Without EventCategories the
# selectors apply to management events (API reference, `InsightSelector`). Cost: Insights are billed
# per 100,000 management events analyzed, per Insights type (AWS CloudTrail pricing).
INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


def trail_bucket_statements(bucket_arn: str, account_id: str, trail_arn: str) -> list[dict[str, Any]]:
    """CloudTrail's grants (bound to this trail) and the deletion deny, for the trail bucket's policy.

    "Amazon S3 bucket policy for CloudTrail" (CloudTrail User Guide): GetBucketAcl on the bucket and
    PutObject under AWSLogs/<account>/ with `s3:x-amz-acl` bucket-owner-full-control, both with
    aws:SourceArn = the trail; then the deletion deny (`private_bucket.deny_deletes`).
    """
    only_this_trail = {"aws:SourceArn": trail_arn}
    cloudtrail = iam_docs.service_principal(CLOUDTRAIL)
    return [
        iam_docs.statement(
            "CloudTrailAclCheck",
            ("s3:GetBucketAcl",),
            [bucket_arn],
            principal=cloudtrail,
            conditions={"StringEquals": only_this_trail},
        ),
        iam_docs.statement(
            "CloudTrailWrite",
            ("s3:PutObject",),
            [f"{bucket_arn}/AWSLogs/{account_id}/*"],
            principal=cloudtrail,
            conditions={"StringEquals": {**only_this_trail, "s3:x-amz-acl": "bucket-owner-full-control"}},
        ),
        deny_deletes(bucket_arn),
    ]


def delivery_role_policy(log_group_arn: str) -> iam_docs.Document:
    """What CloudTrail's delivery role may do: create streams in and put events into the trail's group only.

    "Sending events to CloudWatch Logs" (CloudTrail User Guide): logs:CreateLogStream and
    logs:PutLogEvents on the group's log streams.
    """
    return iam_docs.document(
        iam_docs.statement(
            "DeliverToTrailLogGroup",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            [f"{log_group_arn}:log-stream:*"],
        )
    )


def advanced_event_selectors(
    bucket_names: tuple[pulumi.Input[str], ...],
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs]:
    """The trail's selectors: all management events and the platform buckets' object events.

    Management events carry no readOnly filter: secret reads are read-only management events.
    S3 object data events of `bucket_names` (every bucket of the account when empty).
    """
    management = aws.cloudtrail.TrailAdvancedEventSelectorArgs(
        name="All management events",
        field_selectors=[
            aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])
        ],
    )
    objects = [
        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Data"]),
        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="resources.type", equals=["AWS::S3::Object"]),
    ]
    if bucket_names:
        objects.append(
            aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                field="resources.ARN",
                # An object's ARN is arn:aws:s3:::<bucket>/<key>: the trailing slash keeps
                # "bucket-a" from also matching "bucket-ab".
                starts_withs=[pulumi.Output.concat("arn:aws:s3:::", name, "/") for name in bucket_names],
            )
        )
    data = aws.cloudtrail.TrailAdvancedEventSelectorArgs(name="Platform bucket objects", field_selectors=objects)
    return [management, data]


@dataclass(frozen=True)
class AuditTrailArgs:
    """Inputs of `AuditTrail`.

    `home_region` is the primary region (the trail and its bucket live there); `audit_key_arn` is
    the audit key in that region, `logs_key_arn` the logs key there (the log group).
    `data_bucket_names`: the platform's buckets whose object-level calls are recorded.
    """

    environment: str
    home_region: str
    account_id: pulumi.Input[str]
    audit_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    retention_days: int
    log_retention_days: int
    data_bucket_names: tuple[pulumi.Input[str], ...] = ()

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, got {self.retention_days}")


class AuditTrail(pulumi.ComponentResource):
    """The multi-region trail, its locked bucket, its log group and delivery role."""

    trail_arn: pulumi.Output[str]
    """ARN of the trail."""
    bucket_name: pulumi.Output[str]
    """The trail bucket (log and digest files)."""
    log_group_name: pulumi.Output[str]
    """The CloudWatch Logs group CloudTrail delivers to (metric filters and alarms read it)."""

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:security:AuditTrail", name, None, opts)
        self._name, self._args = name, args
        self._tags = cell_tags(args.home_region, role="audit")
        account = pulumi.Output.from_input(args.account_id)
        self._trail_arn = account.apply(lambda a: audit_trail_arn(args.environment, args.home_region, a))
        bucket = self._create_bucket(account)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/finstack/{args.environment}/cloudtrail",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            # The audit trail's copy in CloudWatch Logs: DeleteLogGroup fails while this is on. Prod only.
            deletion_protection_enabled=args.environment == "prod",
            region=args.home_region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role, role_policy = self._create_delivery_role(account, log_group)
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=audit_trail_name(args.environment),
            s3_bucket_name=bucket.bucket.id,
            kms_key_id=args.audit_key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            # CloudTrail wants the group's ARN with the log stream wildcard.
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selectors=advanced_event_selectors(args.data_bucket_names),
            insight_selectors=[aws.cloudtrail.TrailInsightSelectorArgs(insight_type=t) for t in INSIGHT_TYPES],
            region=args.home_region,
            tags=self._tags,
            # CreateTrail checks the bucket policy and the delivery role: both must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*bucket.settings, role_policy]),
        )
        self.trail_arn = trail.arn
        self.bucket_name = bucket.bucket.id
        self.log_group_name = log_group.name
        self.register_outputs(
            {"trail_arn": self.trail_arn, "bucket_name": self.bucket_name, "log_group_name": self.log_group_name}
        )

    def _create_bucket(self, account: pulumi.Output[str]) -> Any:
        args = self._args
        trail_arn = self._trail_arn
        lock = ObjectLock(
            retention_days=args.retention_days,
            statements=lambda bucket_arn: pulumi.Output.all(bucket_arn, account, trail_arn).apply(
                lambda v: trail_bucket_statements(v[0], v[1], v[2])
            ),
            # CloudTrail encrypts each file with the trail's key under its own encryption context
            # (the key policy's kms:EncryptionContext:aws:cloudtrail:arn condition); an S3 Bucket
            # Key would replace that context with the bucket's.
            bucket_key=False,
        )
        bucket = declare_private_bucket(
            f"{self._name}-bucket",
            bucket_name=None,
            region=args.home_region,
            key_arn=args.audit_key_arn,
            tags=self._tags,
            parent=self,
            protect=args.environment == "prod",
            locked=lock,
            lifecycle=TRAIL_LIFECYCLE,
        )
        return bucket

    def _create_delivery_role(
        self, account: pulumi.Output[str], log_group: aws.cloudwatch.LogGroup
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        role = aws.iam.Role(
            f"{self._name}-delivery-role",
            assume_role_policy=pulumi.Output.all(account, self._trail_arn).apply(
                lambda v: iam_docs.dumps(iam_docs.assume_role_policy(CLOUDTRAIL, source_account=v[0], source_arn=v[1]))
            ),
            description="CloudTrail delivers the audit trail to its CloudWatch Logs group as this role",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-delivery-role-policy",
            role=role.name,
            policy=log_group.arn.apply(lambda arn: iam_docs.dumps(delivery_role_policy(arn))),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role, policy
