"""CloudTrail Insights selectors replace, validate and show in DescribeTrails (moto_ext.cloudtrail_insights)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from components.audit_trail import INSIGHT_TYPES, trail_bucket_statements
from components.keys import audit_trail_arn
from tests.emulator.moto_ext_fixtures import EAST, aws_fixture, clock_fixture  # noqa: F401
from tests.emulator.test_moto_ext_cloudtrail import ACCOUNT, BUCKET, TRAIL, bucket_with, create_trail, key_with

TRAIL_ARN = audit_trail_arn("test", EAST, ACCOUNT)


def trail() -> None:
    bucket_with(trail_bucket_statements(f"arn:aws:s3:::{BUCKET}", ACCOUNT, TRAIL_ARN))
    create_trail(key_with(TRAIL_ARN))


def put(*types: str) -> None:
    boto3.client("cloudtrail", region_name=EAST).put_insight_selectors(
        TrailName=TRAIL, InsightSelectors=[{"InsightType": t} for t in types]
    )


def selectors() -> list[str]:
    answer = boto3.client("cloudtrail", region_name=EAST).get_insight_selectors(TrailName=TRAIL)
    return [s["InsightType"] for s in answer.get("InsightSelectors", [])]


def has_insights() -> bool:
    (described,) = boto3.client("cloudtrail", region_name=EAST).describe_trails(trailNameList=[TRAIL])["trailList"]
    return bool(described["HasInsightSelectors"])


@pytest.mark.usefixtures("aws")
def test_put_insight_selectors__the_trails_types__read_back_and_described() -> None:
    trail()
    put(*INSIGHT_TYPES)
    assert selectors() == list(INSIGHT_TYPES)
    assert has_insights()


@pytest.mark.usefixtures("aws")
def test_put_insight_selectors__twice__replaced_not_appended() -> None:
    trail()
    put(*INSIGHT_TYPES)
    put("ApiErrorRateInsight")
    assert selectors() == ["ApiErrorRateInsight"]


@pytest.mark.usefixtures("aws")
def test_put_insight_selectors__empty__insights_off() -> None:
    trail()
    put(*INSIGHT_TYPES)
    put()
    assert selectors() == []
    assert not has_insights()


@pytest.mark.usefixtures("aws")
def test_put_insight_selectors__unknown_type__refused() -> None:
    trail()
    with pytest.raises(ClientError) as err:
        put("ApiLatencyInsight")
    assert err.value.response["Error"]["Code"] == "InvalidInsightSelectorsException"
