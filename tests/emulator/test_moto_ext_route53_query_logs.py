"""CreateQueryLoggingConfig in the emulator: refused without a resource policy for Route 53, as on AWS."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from components.traffic import query_log_group_name, query_log_policy
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

ACCOUNT = "123456789012"  # moto's default account
DOMAIN = "pay.example.com"


def _zone_and_group(region: str = "us-east-1") -> tuple[str, str]:
    zone = boto3.client("route53", region_name="us-east-1").create_hosted_zone(Name=DOMAIN, CallerReference="ref")
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName=query_log_group_name(DOMAIN))
    arn = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{query_log_group_name(DOMAIN)}"
    return zone["HostedZone"]["Id"].rsplit("/", 1)[-1], arn


def _policy(document: dict) -> None:
    boto3.client("logs", region_name="us-east-1").put_resource_policy(
        policyName="route53-query-logs", policyDocument=json.dumps(document)
    )


def _create(zone_id: str, arn: str) -> dict:
    route53 = boto3.client("route53", region_name="us-east-1")
    return route53.create_query_logging_config(HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=arn)


@pytest.mark.usefixtures("aws")
def test_query_log__with_the_stacks_resource_policy_and_a_plain_group_arn_is_created() -> None:
    zone_id, arn = _zone_and_group()
    _policy(query_log_policy(ACCOUNT, DOMAIN))
    # The provider hands the group ARN without ":*" (moto alone wants it)
    config = _create(zone_id, arn)["QueryLoggingConfig"]
    assert config["HostedZoneId"] == zone_id


@pytest.mark.usefixtures("aws")
def test_query_log__without_a_resource_policy_is_refused() -> None:
    zone_id, arn = _zone_and_group()
    with pytest.raises(ClientError, match="InsufficientCloudWatchLogsResourcePolicy"):
        _create(zone_id, arn)


@pytest.mark.usefixtures("aws")
def test_query_log__policy_pinned_to_another_account_is_refused() -> None:
    zone_id, arn = _zone_and_group()
    _policy(query_log_policy("444455556666", DOMAIN))
    with pytest.raises(ClientError, match="InsufficientCloudWatchLogsResourcePolicy"):
        _create(zone_id, arn)


@pytest.mark.usefixtures("aws")
def test_query_log__policy_for_another_group_is_refused() -> None:
    zone_id, arn = _zone_and_group()
    _policy(query_log_policy(ACCOUNT, "other.example.com"))
    with pytest.raises(ClientError, match="InsufficientCloudWatchLogsResourcePolicy"):
        _create(zone_id, arn)
