"""Route 53 ARC: control plane, routing control state with safety rules, RECOVERY_CONTROL health checks."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext import health_check_status
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

pytestmark = pytest.mark.usefixtures("aws")


def control_config() -> Any:
    return boto3.client("route53-recovery-control-config", region_name="us-west-2")


class Arc:
    """A cluster, a control panel with one routing control per Region, and a data-plane client."""

    def __init__(self, regions: tuple[str, ...] = ("us-east-1", "us-west-2")) -> None:
        cc = control_config()
        self.cluster = cc.create_cluster(ClusterName="finstack")["Cluster"]
        self.panel_arn = cc.create_control_panel(ClusterArn=self.cluster["ClusterArn"], ControlPanelName="cells")[
            "ControlPanel"
        ]["ControlPanelArn"]
        self.controls = {
            region: cc.create_routing_control(
                ClusterArn=self.cluster["ClusterArn"],
                ControlPanelArn=self.panel_arn,
                RoutingControlName=f"cell-{region}",
            )["RoutingControl"]["RoutingControlArn"]
            for region in regions
        }
        endpoint = self.cluster["ClusterEndpoints"][0]
        self.data = boto3.client(
            "route53-recovery-cluster", region_name=endpoint["Region"], endpoint_url=endpoint["Endpoint"]
        )

    def state(self, region: str) -> str:
        return str(self.data.get_routing_control_state(RoutingControlArn=self.controls[region])["RoutingControlState"])

    def set(self, **states: str) -> None:
        self.data.update_routing_control_states(
            UpdateRoutingControlStateEntries=[
                {"RoutingControlArn": self.controls[region.replace("_", "-")], "RoutingControlState": state}
                for region, state in states.items()
            ]
        )

    def at_least_one_on(self) -> str:
        rule = control_config().create_safety_rule(
            AssertionRule={
                "AssertedControls": list(self.controls.values()),
                "ControlPanelArn": self.panel_arn,
                "Name": "one-cell-serves",
                "RuleConfig": {"Type": "ATLEAST", "Threshold": 1, "Inverted": False},
                "WaitPeriodMs": 5000,
            }
        )
        return str(rule["AssertionRule"]["SafetyRuleArn"])


def test_create_cluster__has_a_default_panel_and_five_regional_endpoints() -> None:
    arc = Arc()
    panels = control_config().list_control_panels(ClusterArn=arc.cluster["ClusterArn"])["ControlPanels"]

    assert sorted((p["Name"], p["DefaultControlPanel"], p["RoutingControlCount"]) for p in panels) == [
        ("DefaultControlPanel", True, 0),
        ("cells", False, 2),
    ]
    assert len(arc.cluster["ClusterEndpoints"]) == 5
    assert arc.cluster["Status"] == "DEPLOYED"


def test_routing_control__starts_off_and_follows_updates() -> None:
    arc = Arc()
    assert arc.state("us-east-1") == "Off"

    arc.data.update_routing_control_state(RoutingControlArn=arc.controls["us-east-1"], RoutingControlState="On")

    assert arc.state("us-east-1") == "On"
    listed = arc.data.list_routing_controls(ControlPanelArn=arc.panel_arn)["RoutingControls"]
    assert {c["RoutingControlName"]: c["RoutingControlState"] for c in listed} == {
        "cell-us-east-1": "On",
        "cell-us-west-2": "Off",
    }
    assert {c["ControlPanelName"] for c in listed} == {"cells"}


def test_safety_rule_atleast__blocks_turning_off_the_last_control_that_is_on() -> None:
    arc = Arc()
    arc.set(us_east_1="On", us_west_2="On")
    rule_arn = arc.at_least_one_on()
    arc.set(us_east_1="Off")

    with pytest.raises(ClientError) as excinfo:
        arc.set(us_west_2="Off")

    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    assert excinfo.value.response["resourceId"] == rule_arn
    assert arc.state("us-west-2") == "On"


def test_update_routing_control_states__a_batch_moves_traffic_in_one_step() -> None:
    # Flipping two cells one control at a time would break the rule in between; one batch does not.
    arc = Arc()
    arc.set(us_east_1="On")
    arc.at_least_one_on()

    arc.set(us_east_1="Off", us_west_2="On")

    assert (arc.state("us-east-1"), arc.state("us-west-2")) == ("Off", "On")


def test_update_routing_control_states__a_rejected_batch_changes_nothing() -> None:
    arc = Arc()
    arc.set(us_east_1="On", us_west_2="On")
    arc.at_least_one_on()

    with pytest.raises(ClientError):
        arc.set(us_east_1="Off", us_west_2="Off")

    assert (arc.state("us-east-1"), arc.state("us-west-2")) == ("On", "On")


def test_safety_rule__override_lets_a_break_glass_update_through() -> None:
    arc = Arc()
    arc.set(us_east_1="On")
    rule_arn = arc.at_least_one_on()

    arc.data.update_routing_control_state(
        RoutingControlArn=arc.controls["us-east-1"], RoutingControlState="Off", SafetyRulesToOverride=[rule_arn]
    )

    assert arc.state("us-east-1") == "Off"


def test_gating_rule__target_controls_only_change_while_the_gate_is_on() -> None:
    # Given a "manual failover allowed" gate guarding both cells
    arc = Arc(regions=("us-east-1", "us-west-2", "gate"))
    control_config().create_safety_rule(
        GatingRule={
            "GatingControls": [arc.controls["gate"]],
            "TargetControls": [arc.controls["us-east-1"], arc.controls["us-west-2"]],
            "ControlPanelArn": arc.panel_arn,
            "Name": "change-window",
            "RuleConfig": {"Type": "OR", "Threshold": 1, "Inverted": False},
            "WaitPeriodMs": 5000,
        }
    )

    with pytest.raises(ClientError):
        arc.set(us_east_1="On")
    arc.set(gate="On")
    arc.set(us_east_1="On")

    assert arc.state("us-east-1") == "On"


def test_create_safety_rule__threshold_above_the_number_of_controls_is_rejected() -> None:
    arc = Arc()

    with pytest.raises(ClientError) as excinfo:
        control_config().create_safety_rule(
            AssertionRule={
                "AssertedControls": list(arc.controls.values()),
                "ControlPanelArn": arc.panel_arn,
                "Name": "impossible",
                "RuleConfig": {"Type": "ATLEAST", "Threshold": 3, "Inverted": False},
                "WaitPeriodMs": 5000,
            }
        )

    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_describe_and_list__return_what_was_created() -> None:
    arc = Arc()
    rule_arn = arc.at_least_one_on()
    cc = control_config()

    assert cc.describe_cluster(ClusterArn=arc.cluster["ClusterArn"])["Cluster"]["Name"] == "finstack"
    assert cc.describe_control_panel(ControlPanelArn=arc.panel_arn)["ControlPanel"]["Name"] == "cells"
    control = cc.describe_routing_control(RoutingControlArn=arc.controls["us-west-2"])["RoutingControl"]
    assert control["Name"] == "cell-us-west-2"
    assert cc.describe_safety_rule(SafetyRuleArn=rule_arn)["AssertionRule"]["RuleConfig"]["Threshold"] == 1
    (listed,) = cc.list_safety_rules(ControlPanelArn=arc.panel_arn)["SafetyRules"]
    assert listed["ASSERTION"]["SafetyRuleArn"] == rule_arn


def test_get_routing_control_state__unknown_arn_is_not_found() -> None:
    arc = Arc()

    with pytest.raises(ClientError) as excinfo:
        arc.data.get_routing_control_state(RoutingControlArn=arc.controls["us-east-1"] + "0")

    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_recovery_control_health_check__follows_routing_control_state() -> None:
    arc = Arc()
    route53 = boto3.client("route53")
    check_id = route53.create_health_check(
        CallerReference="cell-us-east-1",
        HealthCheckConfig={"Type": "RECOVERY_CONTROL", "RoutingControlArn": arc.controls["us-east-1"]},
    )["HealthCheck"]["Id"]

    def status() -> str:
        observations = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
        return str(observations[0]["StatusReport"]["Status"])

    assert status().startswith("Failure")
    arc.set(us_east_1="On")
    assert status().startswith("Success")
    assert health_check_status(check_id) is True
    config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
    assert config["RoutingControlArn"] == arc.controls["us-east-1"]
    associated = control_config().list_associated_route53_health_checks(RoutingControlArn=arc.controls["us-east-1"])
    assert associated["HealthCheckIds"] == [check_id]


def test_recovery_control_health_check__unknown_routing_control_is_rejected() -> None:
    with pytest.raises(ClientError) as excinfo:
        boto3.client("route53").create_health_check(
            CallerReference="ghost",
            HealthCheckConfig={
                "Type": "RECOVERY_CONTROL",
                "RoutingControlArn": "arn:aws:route53-recovery-control::123456789012:controlpanel/x/routingcontrol/y",
            },
        )

    assert excinfo.value.response["Error"]["Code"] == "InvalidInput"
