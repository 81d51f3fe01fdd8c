"""LogArchive: the pure policy/lifecycle builders, the component under mocks, and its wiring in the shipped plans."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.log_archive import (
    ELB_LOG_ACCOUNTS,
    ELB_LOG_SERVICE,
    S3_LOG_SERVICE,
    LogArchive,
    LogArchiveArgs,
    archive_policy,
    elb_log_principal,
    lifecycle_steps,
)
from tests.plan import Plan, plan_of, shipped_plan

ACCOUNT = "111122223333"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
ALB = "aws:lb/loadBalancer:LoadBalancer"
ARN = "arn:aws:s3:::finstack-logs"


# -- pure builders ---------------------------------------------------------------------------------


def test_elb_log_principal__pre_2022_region_is_its_elb_account():
    assert elb_log_principal("us-east-1") == {"AWS": "arn:aws:iam::127311923021:root"}
    assert elb_log_principal("us-west-2") == {"AWS": "arn:aws:iam::797873946194:root"}


def test_elb_log_principal__newer_region_is_the_service_principal():
    # Given a region opened after August 2022 (not in the ELB account table)
    assert "eu-south-2" not in ELB_LOG_ACCOUNTS
    # Then the delivery principal is the ELB log delivery service
    assert elb_log_principal("eu-south-2") == {"Service": ELB_LOG_SERVICE}


def test_archive_policy__denies_plain_http_on_bucket_and_objects():
    [deny] = [s for s in archive_policy(ARN, "us-east-1", ACCOUNT)["Statement"] if s["Effect"] == "Deny"]
    assert deny["Resource"] == [ARN, f"{ARN}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_archive_policy__allows_only_log_delivery_writes_under_their_prefixes():
    allows = {s["Sid"]: s for s in archive_policy(ARN, "us-east-1", ACCOUNT)["Statement"] if s["Effect"] == "Allow"}
    assert set(allows) == {"AlbAccessLogDelivery", "S3ServerAccessLogDelivery"}
    assert all(s["Action"] == "s3:PutObject" for s in allows.values())
    assert allows["AlbAccessLogDelivery"]["Resource"] == f"{ARN}/alb/AWSLogs/{ACCOUNT}/*"
    s3 = allows["S3ServerAccessLogDelivery"]
    assert s3["Principal"] == {"Service": S3_LOG_SERVICE}
    assert s3["Resource"] == f"{ARN}/s3/*"
    assert s3["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_archive_policy__service_principal_elb_is_pinned_to_the_account():
    [elb] = [s for s in archive_policy(ARN, "eu-south-2", ACCOUNT)["Statement"] if s["Sid"] == "AlbAccessLogDelivery"]
    assert elb["Principal"] == {"Service": ELB_LOG_SERVICE}
    assert elb["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pytest.mark.parametrize(
    ("retention", "expected"),
    [(400, ((30, "STANDARD_IA"), (90, "GLACIER_IR"))), (90, ((30, "STANDARD_IA"),)), (30, ()), (1, ())],
)
def test_lifecycle_steps__only_transitions_before_expiry(retention, expected):
    assert lifecycle_steps(retention) == expected


def test_log_archive_args__retention_must_be_positive():
    with pytest.raises(ValueError, match="retention_days must be at least 1"):
        LogArchiveArgs(region="us-east-1", environment="dev", account_id=ACCOUNT, retention_days=0)


# -- component under mocks -------------------------------------------------------------------------


def _archive(environment: str, retention: int) -> Callable[[], None]:
    def build() -> None:
        archive = LogArchive(
            "logs-us-east-1",
            LogArchiveArgs(region="us-east-1", environment=environment, account_id=ACCOUNT, retention_days=retention),
        )
        archive.log_bucket("source-access-logs", "finstack-source", "source")
        pulumi.export("bucket_name", archive.bucket_name)

    return build


@pytest.fixture(scope="module")
def prod() -> Plan:
    return plan_of(_archive("prod", 400), "prod")


def test_log_archive__bucket_is_tagged_protected_and_regional(prod):
    [bucket] = prod.of_type(BUCKET)
    assert bucket.name == "logs-us-east-1-bucket", bucket.urn
    assert bucket.inputs["tags"]["finstack:role"] == "log-archive", bucket.urn
    assert bucket.inputs["forceDestroy"] is False, bucket.urn
    assert bucket.protect is True, bucket.urn
    assert bucket.region == "us-east-1", bucket.urn


def test_log_archive__default_encryption_is_sse_s3(prod):
    [sse] = prod.of_type(SSE)
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule == {"sseAlgorithm": "AES256"}, sse.urn


def test_log_archive__lifecycle_archives_then_expires_after_retention(prod):
    [lifecycle] = prod.of_type(LIFECYCLE)
    [rule] = lifecycle.inputs["rules"]
    assert rule["expiration"]["days"] == 400, lifecycle.urn
    assert [t["storageClass"] for t in rule["transitions"]] == ["STANDARD_IA", "GLACIER_IR"], lifecycle.urn
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30, lifecycle.urn


def test_log_archive__policy_is_the_archive_policy(prod):
    [policy] = prod.of_type(POLICY)
    document = json.loads(policy.inputs["policy"])
    sids = [s["Sid"] for s in document["Statement"]]
    assert sids == ["DenyInsecureTransport", "AlbAccessLogDelivery", "S3ServerAccessLogDelivery"], policy.urn


def test_log_archive__log_bucket_targets_the_archive_under_s3_prefix(prod):
    [logging] = prod.of_type(LOGGING)
    [bucket] = prod.of_type(BUCKET)
    assert logging.inputs["bucket"] == "finstack-source", logging.urn
    assert logging.inputs["targetBucket"] == bucket.id, logging.urn
    assert logging.inputs["targetPrefix"] == "s3/source/", logging.urn
    assert logging.region == "us-east-1", logging.urn


# -- shipped plans -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_shipped__every_cell_has_an_archive_and_its_alb_logs_there(stack):
    plan = shipped_plan(stack)
    for region in plan.regions:
        [bucket] = [b for b in plan.of_type(BUCKET, region) if b.name == f"logs-{region}-bucket"]
        [alb] = [lb for lb in plan.of_type(ALB, region)]
        access_logs: dict[str, Any] = alb.inputs["accessLogs"]
        assert access_logs == {"bucket": bucket.outputs["bucket"], "enabled": True, "prefix": "alb"}, alb.urn


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_shipped__every_other_bucket_logs_to_its_regions_archive(stack):
    plan = shipped_plan(stack)
    archives = {b.region: b for b in plan.of_type(BUCKET) if b.name.startswith("logs-")}
    loggings = plan.of_type(LOGGING)
    for bucket in plan.of_type(BUCKET):
        if bucket.name.startswith("logs-"):
            continue
        mine = [lg for lg in loggings if lg.inputs["bucket"] == bucket.outputs["bucket"]]
        assert len(mine) == 1, bucket.urn
        assert mine[0].inputs["targetBucket"] == archives[bucket.region].id, bucket.urn
        assert mine[0].region == bucket.region, bucket.urn


def test_shipped__alb_waits_for_the_archive_policy_and_encryption():
    # ELB checks the bucket (policy, SSE-S3) the moment access logs are turned on.
    plan = shipped_plan("prod")
    for region in plan.regions:
        [alb] = plan.of_type(ALB, region)
        settings = [r for r in plan.of_type(POLICY, region) + plan.of_type(SSE, region) if r.name.startswith("logs-")]
        assert settings and all(s.urn in alb.dependencies for s in settings), alb.urn
