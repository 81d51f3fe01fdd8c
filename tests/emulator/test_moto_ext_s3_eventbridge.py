"""A bucket's EventBridge delivery reads back as S3 answers it (moto_ext.s3_eventbridge)."""

from __future__ import annotations

import boto3
import pytest

from tests.emulator.moto_ext_fixtures import EAST, aws_fixture, clock_fixture  # noqa: F401

BUCKET = "finstack-test-events"


def notifications() -> dict[str, object]:
    s3 = boto3.client("s3", region_name=EAST)
    answer = s3.get_bucket_notification_configuration(Bucket=BUCKET)
    answer.pop("ResponseMetadata")
    return answer


@pytest.mark.usefixtures("aws")
def test_get_notifications__eventbridge_on__read_back() -> None:
    s3 = boto3.client("s3", region_name=EAST)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert notifications() == {"EventBridgeConfiguration": {}}


@pytest.mark.usefixtures("aws")
def test_get_notifications__never_configured__empty() -> None:
    boto3.client("s3", region_name=EAST).create_bucket(Bucket=BUCKET)
    assert notifications() == {}


@pytest.mark.usefixtures("aws")
def test_get_notifications__eventbridge_turned_off__empty() -> None:
    s3 = boto3.client("s3", region_name=EAST)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}})
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in notifications()
