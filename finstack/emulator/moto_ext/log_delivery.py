"""S3 server access logging: the target bucket's policy evaluated as AWS does, not by string equality.

PutBucketLogging fails with InvalidTargetBucketForLogging unless the target bucket lets the
logging service write, through its bucket policy (principal `logging.s3.amazonaws.com`,
`s3:PutObject`) or the LogDelivery group's ACL (S3 User Guide, "Permissions for log delivery";
"Enabling Amazon S3 server access logging"). moto 5 (`FakeBucket._log_permissions_enabled_policy`)
accepts only a statement whose `Resource` is literally `bucket/<prefix>*`, `bucket/*` or `bucket`,
and ignores its conditions: a policy granting `bucket/s3/*` (a parent of the prefix, which AWS
accepts) is refused, and one pinned to another account (aws:SourceAccount) is accepted.

Here the statements that apply to the logging service (its service principal, or everyone) are
evaluated with AWS's semantics (`bucket_policy.evaluate`: wildcards, Deny wins, conditions) for
`s3:PutObject` on a log object under the target prefix, with the request context log delivery
carries: aws:SourceAccount = the source bucket's account, aws:SourceArn = the source bucket's ARN.
The same-region and target-exists checks stay moto's.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.exceptions import CrossLocationLoggingProhibited, InvalidTargetBucketForLogging
from moto.s3.models import FakeBucket

from finstack.emulator.moto_ext._registry import Installation
from finstack.emulator.moto_ext.bucket_policy import applies_to_service, evaluate

LOGGING_SERVICE = "logging.s3.amazonaws.com"
# A log object key below the prefix (S3 appends a timestamped name to TargetPrefix).
PROBE_KEY = "2026-01-01-00-00-00-0123456789ABCDEF"


def log_delivery_permitted(policy: dict[str, Any], target: str, prefix: str, source: FakeBucket) -> bool:
    """Whether `policy` (the target's) lets S3 log delivery for `source` write under `target/prefix`."""
    statements = policy.get("Statement") or []
    listed = statements if isinstance(statements, list) else [statements]
    relevant = {"Statement": [s for s in listed if applies_to_service(s, LOGGING_SERVICE)]}
    context = {
        "aws:securetransport": "true",
        "aws:sourceaccount": source.account_id,
        "aws:sourcearn": f"arn:{source.partition}:s3:::{source.name}",
    }
    resource = f"arn:{source.partition}:s3:::{target}/{prefix}{PROBE_KEY}"
    return evaluate(relevant, "s3:PutObject", resource, context) == PermissionResult.PERMITTED


def _set_logging(self: FakeBucket, logging_config: dict[str, Any] | None, bucket_backend: Any) -> None:
    if not logging_config:
        self.logging = {}
        return
    target = bucket_backend.buckets.get(logging_config["TargetBucket"])
    if not target:
        raise InvalidTargetBucketForLogging("The target bucket for logging does not exist.")
    prefix = logging_config.get("TargetPrefix") or ""
    by_policy = target.policy is not None and log_delivery_permitted(
        json.loads(target.policy.decode()), target.name, prefix, self
    )
    if not (by_policy or FakeBucket._log_permissions_enabled_acl(target_bucket=target)):
        raise InvalidTargetBucketForLogging(
            "You must either provide the necessary permissions to the logging service using a bucket "
            "policy or give the log-delivery group WRITE and READ_ACP permissions to the target bucket"
        )
    if target.region_name != self.region_name:
        raise CrossLocationLoggingProhibited()
    self.logging = logging_config


def register(installation: Installation) -> None:
    """PutBucketLogging checks the target's policy with AWS's evaluation."""
    installation.patch(FakeBucket, "set_logging", _set_logging)
