"""Resilience policies."""

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
    check,
    check_stack,
    edit,
    messages,
    urn,
)

# --- aurora-deletion-protection-enabled / aurora-final-snapshot-kept ----------------------------


@pytest.mark.parametrize(("type_", "factory"), [(f.T_CLUSTER, f.aurora_cluster), (f.T_GLOBAL, f.global_cluster)])
def test_aurora_deletion_protection_enabled__protected_passes(type_, factory):
    assert check("aurora-deletion-protection-enabled", type_, factory()) == []


@pytest.mark.parametrize(
    ("type_", "factory", "subject"),
    [(f.T_CLUSTER, f.aurora_cluster, "Aurora cluster"), (f.T_GLOBAL, f.global_cluster, "Aurora global cluster")],
)
@pytest.mark.parametrize("value", [False, DELETE])
def test_aurora_deletion_protection_enabled__unprotected_fails(type_, factory, subject, value):
    props = edit(factory(), {"deletionProtection": value})
    assert check("aurora-deletion-protection-enabled", type_, props) == [f"{subject} deletionProtection must be true."]


def test_aurora_deletion_protection_enabled__unknown_fails():
    props = edit(f.aurora_cluster(), {"deletionProtection": UNKNOWN_BOOL})
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, props) == [
        "Aurora cluster deletionProtection is unknown at preview; it must be true as a literal so the policy can "
        "prove it."
    ]


def test_aurora_final_snapshot_kept__default_passes():
    props = edit(f.aurora_cluster(), {"skipFinalSnapshot": DELETE})
    assert check("aurora-final-snapshot-kept", f.T_CLUSTER, props) == []


def test_aurora_final_snapshot_kept__skipped_fails():
    props = edit(f.aurora_cluster(), {"skipFinalSnapshot": True})
    assert check("aurora-final-snapshot-kept", f.T_CLUSTER, props) == [
        "Aurora cluster skipFinalSnapshot must be false."
    ]


def test_aurora_final_snapshot_kept__unknown_fails():
    props = edit(f.aurora_cluster(), {"skipFinalSnapshot": UNKNOWN_BOOL})
    assert check("aurora-final-snapshot-kept", f.T_CLUSTER, props) == [
        "Aurora cluster skipFinalSnapshot is unknown at preview; it must be false as a literal so the policy can "
        "prove it."
    ]


# --- aurora-backup-retention -----------------------------------------------------------------------


def test_aurora_backup_retention__35_days_passes():
    assert check("aurora-backup-retention", f.T_CLUSTER, f.aurora_cluster()) == []


@pytest.mark.parametrize(("days", "shown"), [(7, 7), (DELETE, 1)])
def test_aurora_backup_retention__short_retention_fails(days, shown):
    props = edit(f.aurora_cluster(), {"backupRetentionPeriod": days})
    assert check("aurora-backup-retention", f.T_CLUSTER, props) == [
        f"Aurora cluster backupRetentionPeriod must be at least 35 days, not {shown}."
    ]


def test_aurora_backup_retention__configured_minimum_applies():
    props = edit(f.aurora_cluster(), {"backupRetentionPeriod": 1})
    assert check("aurora-backup-retention", f.T_CLUSTER, props, config={"minimumRetentionDays": 7}) == [
        "Aurora cluster backupRetentionPeriod must be at least 7 days, not 1."
    ]


def test_aurora_backup_retention__unknown_fails():
    props = edit(f.aurora_cluster(), {"backupRetentionPeriod": UNKNOWN})
    assert check("aurora-backup-retention", f.T_CLUSTER, props) == [
        "Aurora cluster backupRetentionPeriod is unknown at preview; it must be at least 35 as a literal so the "
        "policy can prove it."
    ]


# --- aurora-cluster-min-instances -----------------------------------------------------------------


def test_aurora_cluster_min_instances__compliant_stack_passes():
    assert check_stack("aurora-cluster-min-instances", f.compliant_stack().resources) == []


def test_aurora_cluster_min_instances__single_instance_fails():
    resources = f.compliant_stack().without(f"aurora-{SECONDARY}-instance-2")
    name = f"aurora-{SECONDARY}-cluster"
    assert check_stack("aurora-cluster-min-instances", resources) == [
        (f"Aurora cluster {name} must have at least 2 instances, not 1.", urn(f.T_CLUSTER, name))
    ]


def test_aurora_cluster_min_instances__configured_minimum_applies():
    resources = f.compliant_stack().resources
    assert messages(check_stack("aurora-cluster-min-instances", resources, config={"minimumInstances": 3})) == [
        f"Aurora cluster aurora-{PRIMARY}-cluster must have at least 3 instances, not 2.",
        f"Aurora cluster aurora-{SECONDARY}-cluster must have at least 3 instances, not 2.",
    ]


def test_aurora_cluster_min_instances__unknown_identifier_resolved_through_dependencies():
    stack = f.compliant_stack()
    for index in (1, 2):
        name = f"aurora-{PRIMARY}-instance-{index}"
        stack.replace(name, edit(stack.props(name), {"clusterIdentifier": UNKNOWN}))
    assert check_stack("aurora-cluster-min-instances", stack.resources) == []


# --- msk-brokers-multi-az ---------------------------------------------------------------------------


def test_msk_brokers_multi_az__three_azs_pass():
    assert check("msk-brokers-multi-az", f.T_MSK, f.msk_cluster()) == []


def test_msk_brokers_multi_az__two_azs_fail():
    props = edit(
        f.msk_cluster(), {"brokerNodeGroupInfo.clientSubnets": ["subnet-a", "subnet-b"], "numberOfBrokerNodes": 2}
    )
    assert check("msk-brokers-multi-az", f.T_MSK, props) == [
        "MSK cluster brokerNodeGroupInfo.clientSubnets must span at least 3 AZs, not 2."
    ]


def test_msk_brokers_multi_az__uneven_brokers_fail():
    props = edit(f.msk_cluster(), {"numberOfBrokerNodes": 4})
    assert check("msk-brokers-multi-az", f.T_MSK, props) == [
        "MSK cluster numberOfBrokerNodes must be a multiple of its 3 client subnets, not 4."
    ]


def test_msk_brokers_multi_az__unknown_subnet_ids_counted():
    props = edit(f.msk_cluster(), {"brokerNodeGroupInfo.clientSubnets": [UNKNOWN, UNKNOWN, UNKNOWN]})
    assert check("msk-brokers-multi-az", f.T_MSK, props) == []


def test_msk_brokers_multi_az__unknown_subnet_list_fails():
    props = edit(f.msk_cluster(), {"brokerNodeGroupInfo.clientSubnets": UNKNOWN_ARRAY})
    assert check("msk-brokers-multi-az", f.T_MSK, props) == [
        "MSK cluster brokerNodeGroupInfo.clientSubnets is unknown at preview; it must be a list of subnet ids as a "
        "literal so the policy can prove it."
    ]


# --- nat-gateway-per-az -------------------------------------------------------------------------------


def test_nat_gateway_per_az__compliant_stack_passes():
    assert check_stack("nat-gateway-per-az", f.compliant_stack().resources) == []


def test_nat_gateway_per_az__single_nat_fails():
    resources = f.compliant_stack().without(f"cell-{SECONDARY}-nat-b", f"cell-{SECONDARY}-nat-c")
    assert check_stack("nat-gateway-per-az", resources) == [
        (f"Region {SECONDARY} must have a NAT gateway per app-tier availability zone: 1 for 3.", None)
    ]


def test_nat_gateway_per_az__no_nat_at_all_passes():
    names = [f"cell-{PRIMARY}-nat-{z}" for z in "abc"]
    assert check_stack("nat-gateway-per-az", f.compliant_stack().without(*names)) == []


# --- active-active-region-parity -----------------------------------------------------------------------


def test_active_active_region_parity__compliant_stack_passes():
    assert check_stack("active-active-region-parity", f.compliant_stack().resources) == []


@pytest.mark.parametrize(
    ("removed", "what"),
    [
        (f"cell-{SECONDARY}-vpc", "a VPC"),
        (f"eks-{SECONDARY}-cluster", "an EKS cluster"),
        (f"aurora-{SECONDARY}-cluster", "an Aurora global database member cluster"),
        (f"msk-{SECONDARY}-cluster", "an MSK cluster"),
        (f"traffic-{SECONDARY}-health", "a Route 53 health check"),
    ],
)
def test_active_active_region_parity__missing_part_fails(removed, what):
    resources = f.compliant_stack().without(removed)
    assert check_stack("active-active-region-parity", resources) == [
        (f"Region {SECONDARY} must have {what} for active-active parity.", None)
    ]


def test_active_active_region_parity__standalone_cluster_is_not_a_member():
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"globalClusterIdentifier": DELETE}))
    assert messages(check_stack("active-active-region-parity", resources)) == [
        f"Region {SECONDARY} must have an Aurora global database member cluster for active-active parity."
    ]


def test_active_active_region_parity__health_check_found_by_fqdn():
    stack = f.compliant_stack()
    name = f"traffic-{SECONDARY}-health"
    resources = stack.replace(name, edit(stack.props(name), {"tags": DELETE}))
    assert check_stack("active-active-region-parity", resources) == []


# --- replication-lag-alarms-present ----------------------------------------------------------------------


def test_replication_lag_alarms_present__compliant_stack_passes():
    assert check_stack("replication-lag-alarms-present", f.compliant_stack().resources) == []


def test_replication_lag_alarms_present__secondary_without_aurora_alarm_fails():
    resources = f.compliant_stack().without(f"aurora-{SECONDARY}-replication-lag")
    name = f"aurora-{SECONDARY}-cluster"
    assert check_stack("replication-lag-alarms-present", resources) == [
        (
            f"Aurora secondary cluster {name} must have an AuroraGlobalDBReplicationLag alarm with an action in "
            f"{SECONDARY}.",
            urn(f.T_CLUSTER, name),
        )
    ]


def test_replication_lag_alarms_present__alarm_without_action_does_not_count():
    stack = f.compliant_stack()
    alarm = f"msk-{PRIMARY}-replication-latency"
    resources = stack.replace(alarm, edit(stack.props(alarm), {"alarmActions": []}))
    assert check_stack("replication-lag-alarms-present", resources) == [
        (
            f"MSK replicator msk-{PRIMARY}-replicator must have a ReplicationLatency or MessageLag alarm with an "
            f"action in {PRIMARY}.",
            urn(f.T_REPLICATOR, f"msk-{PRIMARY}-replicator"),
        )
    ]


def test_replication_lag_alarms_present__metric_math_alarm_counts():
    stack = f.compliant_stack()
    alarm = f"aurora-{SECONDARY}-replication-lag"
    props = edit(
        stack.props(alarm),
        {
            "metricName": DELETE,
            "metricQueries": [
                {
                    "id": "lag",
                    "returnData": True,
                    "metric": {
                        "metricName": "AuroraGlobalDBReplicationLag",
                        "namespace": "AWS/RDS",
                        "period": 60,
                        "stat": "Maximum",
                    },
                }
            ],
        },
    )
    assert check_stack("replication-lag-alarms-present", stack.replace(alarm, props)) == []


def test_replication_lag_alarms_present__alarm_in_other_region_does_not_count():
    stack = f.compliant_stack()
    alarm = f"aurora-{SECONDARY}-replication-lag"
    resources = stack.replace(alarm, edit(stack.props(alarm), {"region": PRIMARY}))
    assert messages(check_stack("replication-lag-alarms-present", resources)) == [
        f"Aurora secondary cluster aurora-{SECONDARY}-cluster must have an AuroraGlobalDBReplicationLag alarm with "
        f"an action in {SECONDARY}."
    ]
