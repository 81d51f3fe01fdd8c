"""Logging policies."""

from __future__ import annotations

import pytest

from tests.policy import factories as f
from tests.policy.helpers import (
    DELETE,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    check,
    check_stack,
    edit,
    urn,
)

# --- vpc-flow-logs-all-traffic ------------------------------------------------------------------


def test_vpc_flow_logs_all_traffic__compliant_stack_passes():
    assert check_stack("vpc-flow-logs-all-traffic", f.compliant_stack().resources) == []


def test_vpc_flow_logs_all_traffic__missing_flow_log_fails():
    resources = f.compliant_stack().without(f"cell-{SECONDARY}-flow-log")
    assert check_stack("vpc-flow-logs-all-traffic", resources) == [
        (f"VPC cell-{SECONDARY}-vpc must have a flow log with trafficType ALL.", urn(f.T_VPC, f"cell-{SECONDARY}-vpc"))
    ]


def test_vpc_flow_logs_all_traffic__reject_only_fails():
    stack = f.compliant_stack()
    name = f"cell-{PRIMARY}-flow-log"
    resources = stack.replace(name, edit(stack.props(name), {"trafficType": "REJECT"}))
    assert check_stack("vpc-flow-logs-all-traffic", resources) == [
        (f"VPC cell-{PRIMARY}-vpc must have a flow log with trafficType ALL.", urn(f.T_VPC, f"cell-{PRIMARY}-vpc"))
    ]


def test_vpc_flow_logs_all_traffic__unknown_vpc_id_resolved_through_dependencies():
    stack = f.compliant_stack()
    name = f"cell-{PRIMARY}-flow-log"
    resources = stack.replace(name, edit(stack.props(name), {"vpcId": UNKNOWN}))
    assert check_stack("vpc-flow-logs-all-traffic", resources) == []


# --- eks-control-plane-logging -------------------------------------------------------------------


def test_eks_control_plane_logging__all_types_pass():
    assert check("eks-control-plane-logging", f.T_EKS, f.eks_cluster()) == []


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (
            ["api", "audit"],
            "EKS cluster enabledClusterLogTypes must include authenticator, controllerManager, scheduler.",
        ),
        (
            DELETE,
            "EKS cluster enabledClusterLogTypes must include api, audit, authenticator, controllerManager, scheduler.",
        ),
    ],
)
def test_eks_control_plane_logging__missing_types_fail(types, expected):
    props = edit(f.eks_cluster(), {"enabledClusterLogTypes": types})
    assert check("eks-control-plane-logging", f.T_EKS, props) == [expected]


def test_eks_control_plane_logging__unknown_fails():
    props = edit(f.eks_cluster(), {"enabledClusterLogTypes": UNKNOWN_ARRAY})
    assert check("eks-control-plane-logging", f.T_EKS, props) == [
        "EKS cluster enabledClusterLogTypes is unknown at preview; it must be api, audit, authenticator, "
        "controllerManager, scheduler as a literal so the policy can prove it."
    ]


# --- aurora-log-exports-enabled -------------------------------------------------------------------


def test_aurora_log_exports_enabled__postgresql_export_passes():
    assert check("aurora-log-exports-enabled", f.T_CLUSTER, f.aurora_cluster()) == []


@pytest.mark.parametrize("exports", [[], DELETE, ["upgrade"]])
def test_aurora_log_exports_enabled__missing_postgresql_fails(exports):
    props = edit(f.aurora_cluster(), {"enabledCloudwatchLogsExports": exports})
    assert check("aurora-log-exports-enabled", f.T_CLUSTER, props) == [
        "Aurora cluster enabledCloudwatchLogsExports must include postgresql."
    ]


def test_aurora_log_exports_enabled__mysql_needs_audit():
    props = edit(f.aurora_cluster(), {"engine": "aurora-mysql", "enabledCloudwatchLogsExports": ["error"]})
    assert check("aurora-log-exports-enabled", f.T_CLUSTER, props) == [
        "Aurora cluster enabledCloudwatchLogsExports must include audit."
    ]


def test_aurora_log_exports_enabled__unknown_fails():
    props = edit(f.aurora_cluster(), {"enabledCloudwatchLogsExports": UNKNOWN_ARRAY})
    assert check("aurora-log-exports-enabled", f.T_CLUSTER, props) == [
        "Aurora cluster enabledCloudwatchLogsExports is unknown at preview; it must be a list with postgresql as a "
        "literal so the policy can prove it."
    ]


# --- msk-broker-logs-enabled ----------------------------------------------------------------------


def test_msk_broker_logs_enabled__cloudwatch_logs_pass():
    assert check("msk-broker-logs-enabled", f.T_MSK, f.msk_cluster()) == []


@pytest.mark.parametrize("changes", [{"loggingInfo.brokerLogs.cloudwatchLogs.enabled": False}, {"loggingInfo": DELETE}])
def test_msk_broker_logs_enabled__disabled_fails(changes):
    assert check("msk-broker-logs-enabled", f.T_MSK, edit(f.msk_cluster(), changes)) == [
        "MSK cluster loggingInfo.brokerLogs.cloudwatchLogs.enabled must be true."
    ]


def test_msk_broker_logs_enabled__unknown_fails():
    props = edit(f.msk_cluster(), {"loggingInfo.brokerLogs.cloudwatchLogs.enabled": UNKNOWN_BOOL})
    assert check("msk-broker-logs-enabled", f.T_MSK, props) == [
        "MSK cluster loggingInfo.brokerLogs.cloudwatchLogs.enabled is unknown at preview; it must be true as a "
        "literal so the policy can prove it."
    ]


# --- cloudwatch-log-group-retention ---------------------------------------------------------------


def test_cloudwatch_log_group_retention__prod_retention_passes():
    assert check("cloudwatch-log-group-retention", f.T_LOG_GROUP, f.log_group()) == []


def test_cloudwatch_log_group_retention__default_minimum_is_365():
    props = edit(f.log_group(), {"retentionInDays": 180})
    assert check("cloudwatch-log-group-retention", f.T_LOG_GROUP, props) == [
        "CloudWatch log group retentionInDays must be at least 365, not 180."
    ]


def test_cloudwatch_log_group_retention__configured_minimum_applies():
    props = edit(f.log_group(), {"retentionInDays": 30})
    config = {"minimumRetentionDays": 7.0}  # the analyzer hands JSON numbers over as floats
    assert check("cloudwatch-log-group-retention", f.T_LOG_GROUP, props, config=config) == []
    props = edit(f.log_group(), {"retentionInDays": 3})
    assert check("cloudwatch-log-group-retention", f.T_LOG_GROUP, props, config=config) == [
        "CloudWatch log group retentionInDays must be at least 7, not 3."
    ]


@pytest.mark.parametrize("days", [0, DELETE])
def test_cloudwatch_log_group_retention__never_expire_fails(days):
    props = edit(f.log_group(), {"retentionInDays": days})
    assert check("cloudwatch-log-group-retention", f.T_LOG_GROUP, props) == [
        "CloudWatch log group retentionInDays must be set; never-expire keeps data without an end date."
    ]


def test_cloudwatch_log_group_retention__unknown_fails():
    props = edit(f.log_group(), {"retentionInDays": UNKNOWN_NUMBER})
    assert check("cloudwatch-log-group-retention", f.T_LOG_GROUP, props) == [
        "CloudWatch log group retentionInDays is unknown at preview; it must be at least 365 as a literal so the "
        "policy can prove it."
    ]
