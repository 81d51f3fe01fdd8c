"""What an access-log archive bucket looks like to the pack: AWS log delivery may write, nobody else.

Two AWS writers need a bucket the house rules would otherwise refuse:
- ALB access logs are written only to SSE-S3 buckets ("The only server-side encryption option
  that's supported is Amazon S3-managed keys (SSE-S3)", ELB User Guide, "Enable access logs for
  your Application Load Balancer"), by the region's ELB account in regions opened before August
  2022 and by `logdelivery.elasticloadbalancing.amazonaws.com` in newer ones;
- S3 server access logs go only to a bucket without SSE-KMS default encryption, in the source's
  region, written by `logging.s3.amazonaws.com` (S3 User Guide, "Enabling Amazon S3 server
  access logging"; "Permissions for log delivery").

A log archive is a bucket tagged `finstack:role=log-archive` whose bucket policy allows
nothing but such log-delivery writes (`s3:PutObject` on objects, by those principals, service
principals pinned with aws:SourceAccount). `s3-bucket-sse-kms` admits its SSE-S3 encryption,
`s3-bucket-access-logging` does not ask it to log into itself (it is the target), and
`resource-policy-principals-restricted` admits its grants. The tag alone is not enough: a
bucket tagged the same whose policy grants anything else is an ordinary bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource

from ._util import StackView, condition_values, policy_document, statements, strings, tags_of

ROLE_TAG = "finstack:role"
ARCHIVE_ROLE = "log-archive"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOG_DELIVERY_SERVICES = frozenset({"logging.s3.amazonaws.com", "logdelivery.elasticloadbalancing.amazonaws.com"})
# The regional ELB log-delivery accounts of the `aws` partition (ELB User Guide, "Enable access logs
# for your Application Load Balancer", Step 2; terraform-provider-aws
# internal/service/elb/service_account_data_source.go): us-east-1, us-east-2, us-west-1, us-west-2,
# ca-central-1, eu-central-1, eu-west-1, eu-west-2, eu-west-3, eu-north-1, ap-east-1,
# ap-northeast-1..3, ap-southeast-1, ap-southeast-2, ap-south-1, me-south-1, sa-east-1.
_ELB_LOG_ACCOUNT_LIST = (
    "127311923021 033677994240 027434742980 797873946194 985666609251 054676820928 156460612806 "
    "652711504416 009996457667 897822967062 754344448648 582318560864 600734575887 383597477331 "
    "114774131450 783225319266 718504428378 076674570225 507241528517"
)
ELB_LOG_ACCOUNTS = frozenset(_ELB_LOG_ACCOUNT_LIST.split(" "))
_ACCOUNT_ROOT = "arn:aws:iam::{}:root"


def _elb_account_principal(value: str) -> bool:
    return value in ELB_LOG_ACCOUNTS or any(value == _ACCOUNT_ROOT.format(a) for a in ELB_LOG_ACCOUNTS)


def is_log_delivery_grant(statement: Mapping[str, Any]) -> bool:
    """An Allow of exactly s3:PutObject on objects, by log-delivery principals only (service ones pinned by account)."""
    if statement.get("Effect") != "Allow" or "NotPrincipal" in statement or "NotAction" in statement:
        return False
    if strings(statement.get("Action")) != ["s3:PutObject"]:
        return False
    resources = strings(statement.get("Resource"))
    if not resources or not all(r.startswith("arn:aws:s3:::") and "/" in r for r in resources):
        return False
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping) or not set(principal) <= {"Service", "AWS"} or not principal:
        return False
    services = strings(principal.get("Service"))
    accounts = strings(principal.get("AWS"))
    if not all(s in LOG_DELIVERY_SERVICES for s in services) or not all(_elb_account_principal(a) for a in accounts):
        return False
    # A service principal acts for any account unless the statement pins the source account.
    return not services or bool(condition_values(statement, "aws:SourceAccount"))


def grants_only_log_delivery(policy: Any) -> bool:
    """Every Allow of the bucket policy is a log-delivery write, and there is at least one."""
    document = policy_document(policy, ["policy"])
    allows = [s for s in statements(document) if s.get("Effect") == "Allow"]
    return bool(allows) and all(is_log_delivery_grant(s) for s in allows)


def log_archive_buckets(view: StackView) -> set[str]:
    """URNs of the log archive buckets: tagged log-archive, every policy on them granting only log delivery."""
    policies = view.of_type(BUCKET_POLICY)
    found: set[str] = set()
    for bucket in view.of_type(*BUCKET_TYPES):
        props = view.props(bucket)
        if tags_of(props).get(ROLE_TAG) != ARCHIVE_ROLE:
            continue
        mine = [p for p in policies if bucket in view.references(p, "bucket", BUCKET_TYPES, keys=("id", "bucket"))]
        documents = [view.props(p).get("policy") for p in mine]
        if props.get("policy") is not None:
            documents.append(props.get("policy"))
        if documents and all(grants_only_log_delivery(d) for d in documents):
            found.add(bucket.urn)
    return found


def is_archive(view: StackView, bucket: PolicyResource) -> bool:
    """Whether `bucket` is a log archive (see `log_archive_buckets`)."""
    return bucket.urn in log_archive_buckets(view)
