"""CloudTrail refuses a trail whose bucket or KMS key does not let it write (moto_ext.cloudtrail_policies)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from components.audit_trail import trail_bucket_statements
from components.keys import audit_trail_arn, key_policy
from tests.emulator.moto_ext_fixtures import EAST, aws_fixture, clock_fixture  # noqa: F401

ACCOUNT = "123456789012"  # moto's default account
BUCKET = "finstack-test-audit"
TRAIL = "finstack-test-audit"
TRAIL_ARN = audit_trail_arn("test", EAST, ACCOUNT)


def bucket_with(statements: list[dict[str, Any]]) -> None:
    s3 = boto3.client("s3", region_name=EAST)
    s3.create_bucket(Bucket=BUCKET)
    if statements:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def key_with(trail_arn: str | None) -> str:
    policy = key_policy("audit", EAST, ACCOUNT, trail_arn=trail_arn)
    return boto3.client("kms", region_name=EAST).create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]


def create_trail(key_arn: str) -> dict[str, Any]:
    return boto3.client("cloudtrail", region_name=EAST).create_trail(
        Name=TRAIL, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True, KmsKeyId=key_arn
    )


def code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


@pytest.mark.usefixtures("aws")
def test_create_trail__bucket_and_audit_key_as_the_components_declare_them__accepted() -> None:
    bucket_with(trail_bucket_statements(f"arn:aws:s3:::{BUCKET}", ACCOUNT, TRAIL_ARN))
    trail = create_trail(key_with(TRAIL_ARN))
    assert trail["TrailARN"] == TRAIL_ARN


@pytest.mark.usefixtures("aws")
def test_create_trail__bucket_policy_without_cloudtrail_grant__refused() -> None:
    bucket_with([])
    with pytest.raises(ClientError) as err:
        create_trail(key_with(TRAIL_ARN))
    assert code(err) == "InsufficientS3BucketPolicyException", err.value.response


@pytest.mark.usefixtures("aws")
def test_create_trail__bucket_policy_bound_to_another_trail__refused() -> None:
    other = audit_trail_arn("other", EAST, ACCOUNT)
    bucket_with(trail_bucket_statements(f"arn:aws:s3:::{BUCKET}", ACCOUNT, other))
    with pytest.raises(ClientError) as err:
        create_trail(key_with(TRAIL_ARN))
    assert code(err) == "InsufficientS3BucketPolicyException", err.value.response


@pytest.mark.usefixtures("aws")
def test_create_trail__audit_key_without_the_cloudtrail_statement__refused() -> None:
    # The audit key's replica policy (no trail in its region) lacks CloudTrailEncryptLogs.
    bucket_with(trail_bucket_statements(f"arn:aws:s3:::{BUCKET}", ACCOUNT, TRAIL_ARN))
    with pytest.raises(ClientError) as err:
        create_trail(key_with(None))
    assert code(err) == "InsufficientEncryptionPolicyException", err.value.response
    assert boto3.client("cloudtrail", region_name=EAST).describe_trails()["trailList"] == []
