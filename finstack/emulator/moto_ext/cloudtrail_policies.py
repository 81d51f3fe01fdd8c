"""CloudTrail refuses a trail whose bucket or KMS key does not let CloudTrail write, as AWS does.

CreateTrail checks the delivery path before it accepts a trail (botocore cloudtrail model):
``InsufficientS3BucketPolicyException`` ("the policy on the S3 bucket is not sufficient") when the
bucket policy does not let cloudtrail.amazonaws.com PutObject, and
``InsufficientEncryptionPolicyException`` ("the policy on the S3 bucket or KMS key does not have
sufficient permissions") when the trail's KMS key policy does not let it GenerateDataKey ("Configure
AWS KMS key policies for CloudTrail", CloudTrail User Guide). moto 5 accepts any bucket and key.

The check reads the statements that name cloudtrail.amazonaws.com: an Allow of the action whose
`aws:SourceArn` condition, if any, matches this trail's ARN (a statement bound to another trail
does not count). Other conditions (the encryption context, s3:x-amz-acl) hold for CloudTrail's
own requests and are not evaluated.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.cloudtrail.models import CloudTrailBackend
from moto.core.exceptions import JsonRESTError
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from finstack.emulator.moto_ext._registry import Installation

CLOUDTRAIL = "cloudtrail.amazonaws.com"
_SOURCE_ARN_OPERATORS = ("stringequals", "stringlike", "arnequals", "arnlike")


class InsufficientS3BucketPolicyException(JsonRESTError):
    """CloudTrail's answer to a bucket it may not write to."""

    code = 400

    def __init__(self, bucket: str) -> None:
        message = f"Incorrect S3 bucket policy is detected for bucket: {bucket}"
        super().__init__("InsufficientS3BucketPolicyException", message)


class InsufficientEncryptionPolicyException(JsonRESTError):
    """CloudTrail's answer to a KMS key it may not use."""

    code = 400

    def __init__(self, key: str) -> None:
        super().__init__("InsufficientEncryptionPolicyException", f"Insufficient permissions to access KMS key {key}.")


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _source_arn_matches(statement: dict[str, Any], trail_arn: str) -> bool:
    for operator, conditions in (statement.get("Condition") or {}).items():
        if operator.lower() not in _SOURCE_ARN_OPERATORS or not isinstance(conditions, dict):
            continue
        for key, values in conditions.items():
            if key.lower() == "aws:sourcearn" and not any(fnmatch.fnmatchcase(trail_arn, v) for v in _listed(values)):
                return False
    return True


def allows_cloudtrail(policy_text: str | bytes | None, action: str, trail_arn: str) -> bool:
    """The policy has an Allow of `action` for cloudtrail.amazonaws.com that this trail satisfies."""
    if not policy_text:
        return False
    try:
        policy = json.loads(policy_text)
    except ValueError:
        return False
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        services = _listed(principal.get("Service")) if isinstance(principal, dict) else []
        actions = _listed(statement.get("Action"))
        if (
            statement.get("Effect") == "Allow"
            and CLOUDTRAIL in services
            and any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions)
            and _source_arn_matches(statement, trail_arn)
        ):
            return True
    return False


def check_delivery(backend: CloudTrailBackend, name: str, bucket_name: str, kms_key_id: str | None) -> None:
    """Raise what CreateTrail raises when CloudTrail could not deliver to the bucket or encrypt with the key."""
    partition = get_partition(backend.region_name)
    trail_arn = f"arn:{partition}:cloudtrail:{backend.region_name}:{backend.account_id}:trail/{name}"
    bucket = s3_backends[backend.account_id][partition].buckets.get(bucket_name)
    if bucket is None or not allows_cloudtrail(bucket.policy, "s3:PutObject", trail_arn):
        raise InsufficientS3BucketPolicyException(bucket_name)
    if kms_key_id:
        region = kms_key_id.split(":")[3] if kms_key_id.startswith("arn:") else backend.region_name
        try:
            key = kms_backends[backend.account_id][region].describe_key(kms_key_id)
        except Exception as err:  # moto's NotFoundException: AWS answers the same exception for a missing key
            raise InsufficientEncryptionPolicyException(kms_key_id) from err
        if not allows_cloudtrail(key.policy, "kms:GenerateDataKey", trail_arn):
            raise InsufficientEncryptionPolicyException(kms_key_id)


def register(installation: Installation) -> None:
    """Check the bucket and key of every trail CloudTrail is asked to create."""
    create_trail = CloudTrailBackend.create_trail

    def checked_create_trail(self: CloudTrailBackend, name: str, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        # moto's responses call it positionally: (..., cw_log_group_arn, cw_role_arn, kms_key_id, tags_list).
        kms_key_id = kwargs["kms_key_id"] if "kms_key_id" in kwargs else (args[-2] if len(args) >= 2 else None)
        check_delivery(self, name, bucket_name, kms_key_id)
        return create_trail(self, name, bucket_name, *args, **kwargs)

    installation.patch(CloudTrailBackend, "create_trail", checked_create_trail)
