"""Route 53 health checks with computed status: injected endpoint health, inversion, calculated checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext import health_check_status, set_endpoint_health
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

pytestmark = pytest.mark.usefixtures("aws")


def route53() -> Any:
    return boto3.client("route53")


def https_check(name: str) -> str:
    config = {
        "Type": "HTTPS",
        "FullyQualifiedDomainName": f"{name}.pay.example.com",
        "Port": 443,
        "ResourcePath": "/healthz",
    }
    return str(route53().create_health_check(CallerReference=name, HealthCheckConfig=config)["HealthCheck"]["Id"])


def status(check_id: str) -> str:
    observations = route53().get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
    assert len({o["StatusReport"]["Status"] for o in observations}) == 1, "every checker Region agrees"
    return str(observations[0]["StatusReport"]["Status"])


def cloudwatch_status(check_id: str) -> float:
    now = datetime.now(UTC)
    points = boto3.client("cloudwatch", region_name="us-east-1").get_metric_statistics(
        Namespace="AWS/Route53",
        MetricName="HealthCheckStatus",
        Dimensions=[{"Name": "HealthCheckId", "Value": check_id}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Minimum"],
    )["Datapoints"]
    return float(min(p["Minimum"] for p in points))


def test_endpoint_check__healthy_until_a_fault_is_injected() -> None:
    check_id = https_check("api-east")
    assert status(check_id).startswith("Success")

    set_endpoint_health(check_id, healthy=False)

    assert status(check_id).startswith("Failure")
    set_endpoint_health(check_id, healthy=True)
    assert status(check_id).startswith("Success")


def test_update_health_check_inverted__reports_the_opposite_status() -> None:
    check_id = https_check("api-east")

    route53().update_health_check(HealthCheckId=check_id, Inverted=True)

    assert status(check_id).startswith("Failure")
    assert "inverted" in status(check_id)
    assert route53().get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]["Inverted"] is True


def test_disabled_check__is_healthy_whatever_its_endpoint_does() -> None:
    check_id = https_check("api-east")
    set_endpoint_health(check_id, healthy=False)

    route53().update_health_check(HealthCheckId=check_id, Disabled=True)

    assert status(check_id).startswith("Success")


def test_calculated_check__healthy_while_enough_children_are_healthy() -> None:
    east, west = https_check("api-east"), https_check("api-west")
    calculated = route53().create_health_check(
        CallerReference="api-any",
        HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [east, west], "HealthThreshold": 1},
    )["HealthCheck"]["Id"]

    set_endpoint_health(east, healthy=False)
    assert health_check_status(calculated) is True
    set_endpoint_health(west, healthy=False)
    assert health_check_status(calculated) is False
    assert cloudwatch_status(calculated) == 0.0


def test_calculated_check__get_health_check_status_is_refused_like_aws() -> None:
    child = https_check("api-east")
    calculated = route53().create_health_check(
        CallerReference="api-any",
        HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [child], "HealthThreshold": 1},
    )["HealthCheck"]["Id"]

    with pytest.raises(ClientError) as excinfo:
        route53().get_health_check_status(HealthCheckId=calculated)

    assert excinfo.value.response["Error"]["Code"] == "InvalidInput"


def test_calculated_check__unknown_child_is_rejected() -> None:
    with pytest.raises(ClientError) as excinfo:
        route53().create_health_check(
            CallerReference="api-any",
            HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": ["not-a-check"], "HealthThreshold": 1},
        )

    assert excinfo.value.response["Error"]["Code"] == "InvalidInput"


def test_set_endpoint_health__refuses_derived_checks_and_unknown_ids() -> None:
    child = https_check("api-east")
    calculated = route53().create_health_check(
        CallerReference="api-any",
        HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [child], "HealthThreshold": 1},
    )["HealthCheck"]["Id"]

    with pytest.raises(ValueError, match="derived"):
        set_endpoint_health(calculated, healthy=False)
    with pytest.raises(Exception, match="NoSuchHealthCheck"):
        set_endpoint_health("no-such-check", healthy=False)
