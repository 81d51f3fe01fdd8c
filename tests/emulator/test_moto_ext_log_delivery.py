"""PutBucketLogging in the emulator: the target's policy evaluated as AWS does (prefix wildcards, conditions)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from components.log_archive import archive_policy
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

ACCOUNT = "123456789012"  # moto's default account
TARGET, SOURCE = "finstack-logs", "finstack-reports"


def _buckets(policy: dict | None, *, target_region: str = "us-east-1") -> boto3.client:
    s3 = boto3.client("s3", region_name="us-east-1")
    target = boto3.client("s3", region_name=target_region)
    kwargs = (
        {} if target_region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": target_region}}
    )
    target.create_bucket(Bucket=TARGET, **kwargs)
    s3.create_bucket(Bucket=SOURCE)
    if policy is not None:
        target.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(policy))
    return s3


def _log(s3: boto3.client, prefix: str = "s3/finstack-reports/") -> None:
    s3.put_bucket_logging(
        Bucket=SOURCE, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": TARGET, "TargetPrefix": prefix}}
    )


@pytest.mark.usefixtures("aws")
def test_log_delivery__archive_policy_grant_on_a_parent_prefix_is_accepted() -> None:
    # Given the log archive's policy (S3 log delivery may write s3/*, pinned to the account)
    s3 = _buckets(archive_policy(f"arn:aws:s3:::{TARGET}", "us-east-1", ACCOUNT))
    # When a bucket logs under s3/<bucket>/ (moto alone wants the exact prefix in Resource)
    _log(s3)
    # Then logging is on
    assert s3.get_bucket_logging(Bucket=SOURCE)["LoggingEnabled"]["TargetBucket"] == TARGET


@pytest.mark.usefixtures("aws")
def test_log_delivery__grant_pinned_to_another_account_is_refused() -> None:
    s3 = _buckets(archive_policy(f"arn:aws:s3:::{TARGET}", "us-east-1", "444455556666"))
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        _log(s3)


@pytest.mark.usefixtures("aws")
def test_log_delivery__prefix_outside_the_grant_is_refused() -> None:
    s3 = _buckets(archive_policy(f"arn:aws:s3:::{TARGET}", "us-east-1", ACCOUNT))
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        _log(s3, prefix="alb/")


@pytest.mark.usefixtures("aws")
def test_log_delivery__target_without_policy_or_acl_is_refused() -> None:
    s3 = _buckets(None)
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        _log(s3)


@pytest.mark.usefixtures("aws")
def test_log_delivery__target_in_another_region_is_refused() -> None:
    s3 = _buckets(archive_policy(f"arn:aws:s3:::{TARGET}", "us-west-2", ACCOUNT), target_region="us-west-2")
    with pytest.raises(ClientError, match="CrossLocationLoggingProhibited"):
        _log(s3)
