"""Resilience policies."""

from __future__ import annotations

import datetime as dt

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions

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
    resource,
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


# --- aurora-deletion-protection-enabled: the global cluster's forceDestroy ---------------------------------


def test_aurora_deletion_protection_enabled__global_force_destroy_fails():
    props = edit(f.global_cluster(), {"forceDestroy": True})
    assert check("aurora-deletion-protection-enabled", f.T_GLOBAL, props) == [
        "Aurora global cluster forceDestroy must not be true."
    ]


@pytest.mark.parametrize("value", [False, DELETE])
def test_aurora_deletion_protection_enabled__global_without_force_destroy_passes(value):
    props = edit(f.global_cluster(), {"forceDestroy": value})
    assert check("aurora-deletion-protection-enabled", f.T_GLOBAL, props) == []


def test_aurora_deletion_protection_enabled__global_unknown_force_destroy_fails():
    props = edit(f.global_cluster(), {"forceDestroy": UNKNOWN_BOOL})
    assert check("aurora-deletion-protection-enabled", f.T_GLOBAL, props) == [
        "Aurora global cluster forceDestroy is unknown at preview; it must be false as a literal so the policy can "
        "prove it."
    ]


def test_aurora_deletion_protection_enabled__global_unprotected_and_force_destroy_both_reported():
    props = edit(f.global_cluster(), {"deletionProtection": False, "forceDestroy": "true"})
    assert check("aurora-deletion-protection-enabled", f.T_GLOBAL, props) == [
        "Aurora global cluster deletionProtection must be true.",
        "Aurora global cluster forceDestroy must not be true.",
    ]


# --- aurora-copy-tags-to-snapshot ----------------------------------------------------------------------------


def test_aurora_copy_tags_to_snapshot__on_passes():
    props = edit(f.aurora_cluster(), {"copyTagsToSnapshot": True})
    assert check("aurora-copy-tags-to-snapshot", f.T_CLUSTER, props) == []


@pytest.mark.parametrize("value", [False, "false", DELETE])
def test_aurora_copy_tags_to_snapshot__off_or_default_fails(value):
    props = edit(f.aurora_cluster(), {"copyTagsToSnapshot": True})
    props = edit(props, {"copyTagsToSnapshot": value})
    assert check("aurora-copy-tags-to-snapshot", f.T_CLUSTER, props) == [
        "Aurora cluster copyTagsToSnapshot must be true."
    ]


def test_aurora_copy_tags_to_snapshot__unknown_fails():
    props = edit(f.aurora_cluster(), {"copyTagsToSnapshot": UNKNOWN_BOOL})
    assert check("aurora-copy-tags-to-snapshot", f.T_CLUSTER, props) == [
        "Aurora cluster copyTagsToSnapshot is unknown at preview; it must be true as a literal so the policy can "
        "prove it."
    ]


def test_aurora_copy_tags_to_snapshot__other_types_ignored():
    assert check("aurora-copy-tags-to-snapshot", f.T_INSTANCE, f.aurora_instance()) == []


# --- aurora-instances-multi-az ----------------------------------------------------------------------------------


def test_aurora_instances_multi_az__resilient_stack_passes():
    assert check_stack("aurora-instances-multi-az", f.resilient_stack().resources) == []


def test_aurora_instances_multi_az__instances_in_one_zone_fail():
    stack = f.resilient_stack()
    name = f"aurora-{SECONDARY}-instance-2"
    resources = stack.replace(name, edit(stack.props(name), {"availabilityZone": f"{SECONDARY}a"}))
    cluster = f"aurora-{SECONDARY}-cluster"
    assert check_stack("aurora-instances-multi-az", resources) == [
        (
            f"Aurora cluster {cluster} must have instances in at least 2 availability zones; all 2 are in "
            f"{SECONDARY}a.",
            urn(f.T_CLUSTER, cluster),
        )
    ]


def test_aurora_instances_multi_az__instance_found_through_dependency_when_identifier_unknown():
    stack = f.resilient_stack()
    for index in (1, 2):
        name = f"aurora-{PRIMARY}-instance-{index}"
        stack.replace(name, edit(stack.props(name), {"clusterIdentifier": UNKNOWN, "availabilityZone": f"{PRIMARY}b"}))
    assert messages(check_stack("aurora-instances-multi-az", stack.resources)) == [
        f"Aurora cluster aurora-{PRIMARY}-cluster must have instances in at least 2 availability zones; all 2 are in "
        f"{PRIMARY}b."
    ]


@pytest.mark.parametrize("zone", [DELETE, UNKNOWN])
def test_aurora_instances_multi_az__unpinned_or_unknown_zone_passes(zone):
    # Unset: RDS places the instance; unknown: an output only `up` can read.
    stack = f.resilient_stack()
    name = f"aurora-{PRIMARY}-instance-2"
    stack.replace(name, edit(stack.props(name), {"availabilityZone": f"{PRIMARY}a"}))
    resources = stack.replace(name, edit(stack.props(name), {"availabilityZone": zone}))
    assert check_stack("aurora-instances-multi-az", resources) == []


def test_aurora_instances_multi_az__single_instance_left_to_min_instances():
    resources = f.resilient_stack().without(f"aurora-{SECONDARY}-instance-2")
    assert check_stack("aurora-instances-multi-az", resources) == []


def test_aurora_instances_multi_az__single_zone_subnet_group_fails():
    stack = f.resilient_stack()
    for zone in "bc":
        name = f"cell-{PRIMARY}-data-{zone}"
        stack.replace(name, edit(stack.props(name), {"availabilityZone": f"{PRIMARY}a"}))
    cluster = f"aurora-{PRIMARY}-cluster"
    assert check_stack("aurora-instances-multi-az", stack.resources) == [
        (
            f"Aurora cluster {cluster} DB subnet group aurora-{PRIMARY}-subnets must span at least 2 availability "
            "zones, not 1.",
            urn(f.T_CLUSTER, cluster),
        )
    ]


def test_aurora_instances_multi_az__subnet_group_resolved_through_dependencies_at_preview():
    stack = f.resilient_stack()
    group = f"aurora-{PRIMARY}-subnets"
    stack.replace(group, edit(stack.props(group), {"subnetIds": [UNKNOWN, UNKNOWN, UNKNOWN]}))
    for zone in "bc":
        name = f"cell-{PRIMARY}-data-{zone}"
        stack.replace(name, edit(stack.props(name), {"availabilityZone": f"{PRIMARY}a"}))
    assert messages(check_stack("aurora-instances-multi-az", stack.resources)) == [
        f"Aurora cluster aurora-{PRIMARY}-cluster DB subnet group {group} must span at least 2 availability zones, "
        "not 1."
    ]


def test_aurora_instances_multi_az__unresolved_subnets_left_to_aws():
    # Subnets of another stack: CreateDBSubnetGroup itself refuses fewer than two AZs.
    stack = f.resilient_stack()
    group = f"aurora-{PRIMARY}-subnets"
    stack.replace(group, edit(stack.props(group), {"subnetIds": ["subnet-elsewhere1", "subnet-elsewhere2"]}))
    stack.named(group).property_dependencies.clear()
    assert check_stack("aurora-instances-multi-az", stack.resources) == []


# --- rds-auto-minor-version-upgrade ------------------------------------------------------------------------------


@pytest.mark.parametrize(("type_", "factory"), [(f.T_CLUSTER, f.aurora_cluster), (f.T_INSTANCE, f.monitored_instance)])
@pytest.mark.parametrize("value", [True, "true", DELETE])
def test_rds_auto_minor_version_upgrade__on_or_default_passes(type_, factory, value):
    props = edit(factory(), {"autoMinorVersionUpgrade": value})
    assert check("rds-auto-minor-version-upgrade", type_, props) == []


@pytest.mark.parametrize(
    ("type_", "factory", "subject"),
    [(f.T_CLUSTER, f.aurora_cluster, "Aurora cluster"), (f.T_INSTANCE, f.monitored_instance, "Aurora instance")],
)
@pytest.mark.parametrize("value", [False, "false"])
def test_rds_auto_minor_version_upgrade__off_fails(type_, factory, subject, value):
    props = edit(factory(), {"autoMinorVersionUpgrade": value})
    assert check("rds-auto-minor-version-upgrade", type_, props) == [f"{subject} autoMinorVersionUpgrade must be true."]


def test_rds_auto_minor_version_upgrade__unknown_fails():
    props = edit(f.monitored_instance(), {"autoMinorVersionUpgrade": UNKNOWN_BOOL})
    assert check("rds-auto-minor-version-upgrade", f.T_INSTANCE, props) == [
        "Aurora instance autoMinorVersionUpgrade is unknown at preview; it must be true as a literal so the policy "
        "can prove it."
    ]


def test_rds_auto_minor_version_upgrade__waiver_skips_the_named_instance():
    props = edit(f.monitored_instance(), {"autoMinorVersionUpgrade": False})
    waiver = {
        "resource": "aurora-us-east-1-instance-1",
        "reason": "Global database member: upgraded with the global cluster.",
        "owner": "platform-team",
        "approver": "ciso-office",
        "approved": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "expires": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
    }
    config = {"waivers": [waiver]}
    assert check("rds-auto-minor-version-upgrade", f.T_INSTANCE, props, name=waiver["resource"], config=config) == []
    assert check("rds-auto-minor-version-upgrade", f.T_INSTANCE, props, name="other", config=config) == [
        "Aurora instance autoMinorVersionUpgrade must be true."
    ]


# --- eks-supported-version ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.35", "1.36", DELETE])
def test_eks_supported_version__standard_support_passes(version):
    props = edit(f.eks_cluster(), {"version": version})
    assert check("eks-supported-version", f.T_EKS, props) == []


@pytest.mark.parametrize("version", ["1.33", "1.34", "1.29"])
def test_eks_supported_version__outside_standard_support_fails(version):
    props = edit(f.eks_cluster(), {"version": version})
    assert check("eks-supported-version", f.T_EKS, props) == [
        f"EKS cluster version must be one of 1.35, 1.36, not {version}."
    ]


def test_eks_supported_version__configured_list_applies():
    props = edit(f.eks_cluster(), {"version": "1.35"})
    assert check("eks-supported-version", f.T_EKS, props, config={"supportedVersions": ["1.36", "1.37"]}) == [
        "EKS cluster version must be one of 1.36, 1.37, not 1.35."
    ]


def test_eks_supported_version__unknown_fails():
    props = edit(f.eks_cluster(), {"version": UNKNOWN})
    assert check("eks-supported-version", f.T_EKS, props) == [
        "EKS cluster version is unknown at preview; it must be one of 1.35, 1.36 as a literal so the policy can "
        "prove it."
    ]


# --- eks-deletion-protection-enabled ------------------------------------------------------------------------------


def test_eks_deletion_protection_enabled__on_passes():
    props = edit(f.eks_cluster(), {"deletionProtection": True})
    assert check("eks-deletion-protection-enabled", f.T_EKS, props) == []


@pytest.mark.parametrize("value", [False, DELETE])
def test_eks_deletion_protection_enabled__off_or_default_fails(value):
    props = edit(f.eks_cluster(), {"deletionProtection": True})
    props = edit(props, {"deletionProtection": value})
    assert check("eks-deletion-protection-enabled", f.T_EKS, props) == ["EKS cluster deletionProtection must be true."]


def test_eks_deletion_protection_enabled__unknown_fails():
    props = edit(f.eks_cluster(), {"deletionProtection": UNKNOWN_BOOL})
    assert check("eks-deletion-protection-enabled", f.T_EKS, props) == [
        "EKS cluster deletionProtection is unknown at preview; it must be true as a literal so the policy can prove it."
    ]


# --- s3-bucket-versioning-enabled ------------------------------------------------------------------------------------


def test_s3_bucket_versioning_enabled__versioned_buckets_pass():
    assert check_stack("s3-bucket-versioning-enabled", f.bucket_stack().resources) == []


def test_s3_bucket_versioning_enabled__bucket_without_versioning_fails():
    resources = f.bucket_stack().without("evidence-versioning")
    assert check_stack("s3-bucket-versioning-enabled", resources) == [
        (
            "S3 bucket evidence must have versioning Enabled (an aws.s3.BucketVersioning with status Enabled).",
            urn(f.T_BUCKET, "evidence"),
        )
    ]


@pytest.mark.parametrize("status", ["Suspended", "Disabled", UNKNOWN])
def test_s3_bucket_versioning_enabled__suspended_versioning_fails(status):
    stack = f.bucket_stack()
    name = "evidence-versioning"
    resources = stack.replace(name, edit(stack.props(name), {"versioningConfiguration.status": status}))
    assert messages(check_stack("s3-bucket-versioning-enabled", resources)) == [
        "S3 bucket evidence must have versioning Enabled (an aws.s3.BucketVersioning with status Enabled)."
    ]


def test_s3_bucket_versioning_enabled__versioning_of_another_bucket_does_not_count():
    stack = f.bucket_stack()
    name = "evidence-versioning"
    resources = stack.replace(name, edit(stack.props(name), {"bucket": "finstack-prod-access-logs"}))
    stack.named(name).property_dependencies.clear()
    assert messages(check_stack("s3-bucket-versioning-enabled", resources)) == [
        "S3 bucket evidence must have versioning Enabled (an aws.s3.BucketVersioning with status Enabled)."
    ]


def test_s3_bucket_versioning_enabled__resolved_through_dependency_at_preview():
    stack = f.bucket_stack()
    name = "evidence-versioning"
    resources = stack.replace(name, edit(stack.props(name), {"bucket": UNKNOWN}))
    assert check_stack("s3-bucket-versioning-enabled", resources) == []


def test_s3_bucket_versioning_enabled__inline_versioning_counts():
    stack = f.bucket_stack()
    resources = stack.replace("evidence", edit(stack.props("evidence"), {"versioning": {"enabled": True}}))
    assert check_stack("s3-bucket-versioning-enabled", [r for r in resources if r.name != "evidence-versioning"]) == []


# --- stateful-resources-protected ---------------------------------------------------------------------------------


def _check_protect(type_, name, *, protect, config=None):
    """Run stateful-resources-protected on a one-resource stack with the given `protect` option."""
    subject = resource(type_, name, {"region": PRIMARY})
    subject.opts = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    found = check_stack("stateful-resources-protected", [subject], config=config)
    assert all(u == urn(type_, name) for _, u in found)
    return messages(found)


STATEFUL = [
    (f.T_GLOBAL, "aurora-global"),
    (f.T_CLUSTER, "aurora-us-east-1-cluster"),
    (f.T_KEY, "keys-data"),
    (f.T_REPLICA_KEY, "keys-data-replica-us-west-2"),
    (f.T_MSK, "msk-us-east-1-cluster"),
    ("aws:route53/zone:Zone", "traffic-zone"),
    (f.T_BUCKET, "dr-reports"),
]


@pytest.mark.parametrize(("type_", "name"), STATEFUL)
def test_stateful_resources_protected__protected_passes(type_, name):
    assert _check_protect(type_, name, protect=True) == []


@pytest.mark.parametrize(("type_", "name"), STATEFUL)
def test_stateful_resources_protected__unprotected_fails(type_, name):
    assert _check_protect(type_, name, protect=False) == [
        f"{type_} {name} must carry the Pulumi protect resource option."
    ]


@pytest.mark.parametrize(
    ("type_", "name"), [(f.T_INSTANCE, "aurora-us-east-1-instance-1"), (f.T_BUCKET, "runner-us-east-1-bundles")]
)
def test_stateful_resources_protected__replaceable_resources_ignored(type_, name):
    # An instance is replaceable (data lives in the cluster volume); bundles are rebuilt by the program.
    assert _check_protect(type_, name, protect=False) == []


def test_stateful_resources_protected__configured_types_and_names_apply():
    config = {"resourceTypes": [f.T_SECRET], "resourceNames": ["audit-archive"]}
    assert _check_protect(f.T_SECRET, "aurora-master-secret", protect=False, config=config) == [
        f"{f.T_SECRET} aurora-master-secret must carry the Pulumi protect resource option."
    ]
    assert _check_protect(f.T_BUCKET, "audit-archive", protect=False, config=config) == [
        f"{f.T_BUCKET} audit-archive must carry the Pulumi protect resource option."
    ]
    assert _check_protect(f.T_CLUSTER, "aurora-us-east-1-cluster", protect=False, config=config) == []


def test_stateful_resources_protected__compliant_stack_passes():
    assert check_stack("stateful-resources-protected", f.compliant_stack().resources) == []


def test_stateful_resources_protected__unprotected_cluster_in_stack_fails():
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    stack.named(name).opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    assert check_stack("stateful-resources-protected", stack.resources) == [
        (f"{f.T_CLUSTER} {name} must carry the Pulumi protect resource option.", urn(f.T_CLUSTER, name))
    ]


# --- cloudwatch-log-group-deletion-protection ---------------------------------------------------------------------


def test_cloudwatch_log_group_deletion_protection__on_passes():
    assert check("cloudwatch-log-group-deletion-protection", f.T_LOG_GROUP, f.log_group()) == []


@pytest.mark.parametrize("value", [False, "false", DELETE])
def test_cloudwatch_log_group_deletion_protection__off_or_default_fails(value):
    props = edit(f.log_group(), {"deletionProtectionEnabled": value})
    assert check("cloudwatch-log-group-deletion-protection", f.T_LOG_GROUP, props) == [
        "CloudWatch log group deletionProtectionEnabled must be true."
    ]


def test_cloudwatch_log_group_deletion_protection__unknown_fails():
    props = edit(f.log_group(), {"deletionProtectionEnabled": UNKNOWN_BOOL})
    assert check("cloudwatch-log-group-deletion-protection", f.T_LOG_GROUP, props) == [
        "CloudWatch log group deletionProtectionEnabled is unknown at preview; it must be true as a literal so the "
        "policy can prove it."
    ]


def test_cloudwatch_log_group_deletion_protection__other_types_ignored():
    assert check("cloudwatch-log-group-deletion-protection", f.T_EKS, f.eks_cluster()) == []


# --- AWS Backup (issue 19) ---------------------------------------------------------------------


def test_backup_vault_cmk__cell_backup_key_passes():
    assert check("backup-vault-cmk", f.T_VAULT, f.backup_vault()) == []


def test_backup_vault_cmk__unknown_key_is_a_key_of_this_stack():
    assert check("backup-vault-cmk", f.T_VAULT, edit(f.backup_vault(), {"kmsKeyArn": UNKNOWN})) == []


@pytest.mark.parametrize(("value", "shown"), [(DELETE, "unset"), ("alias/aws/backup", "alias/aws/backup")])
def test_backup_vault_cmk__aws_managed_key_fails(value, shown):
    assert check("backup-vault-cmk", f.T_VAULT, edit(f.backup_vault(), {"kmsKeyArn": value})) == [
        "AWS Backup vault kmsKeyArn must name a customer managed KMS key (unset or alias/aws/backup is the AWS "
        f"managed key), not {shown}."
    ]


def test_backup_vault_locked_compliance__compliant_stack_passes():
    assert check_stack("backup-vault-locked-compliance", f.compliant_stack().resources) == []


def test_backup_vault_locked_compliance__vault_without_lock_fails():
    stack = f.compliant_stack()
    resources = stack.without("backup-us-west-2-vault-lock")
    assert check_stack("backup-vault-locked-compliance", resources) == [
        (
            "AWS Backup vault backup-us-west-2-vault must have an aws.backup.VaultLockConfiguration in compliance mode "
            "(changeableForDays, minRetentionDays and maxRetentionDays set).",
            urn(f.T_VAULT, "backup-us-west-2-vault"),
        )
    ]


def test_backup_vault_locked_compliance__governance_mode_fails():
    stack = f.compliant_stack()
    resources = stack.replace("backup-us-east-1-vault-lock", edit(f.vault_lock(PRIMARY), {"changeableForDays": DELETE}))
    assert messages(check_stack("backup-vault-locked-compliance", resources)) == [
        "AWS Backup vault backup-us-east-1-vault lock must set changeableForDays (compliance mode; unset is governance "
        "mode, which can be removed)."
    ]


def test_backup_vault_locked_compliance__missing_bounds_and_short_cooling_off_fail():
    stack = f.compliant_stack()
    props = edit(f.vault_lock(PRIMARY), {"changeableForDays": 1, "maxRetentionDays": DELETE})
    resources = stack.replace("backup-us-east-1-vault-lock", props)
    assert messages(check_stack("backup-vault-locked-compliance", resources)) == [
        "AWS Backup vault backup-us-east-1-vault lock changeableForDays must be at least 3, not 1.",
        "AWS Backup vault backup-us-east-1-vault lock must set maxRetentionDays.",
    ]


def test_backup_vault_locked_compliance__unknown_cooling_off_fails():
    stack = f.compliant_stack()
    resources = stack.replace(
        "backup-us-east-1-vault-lock", edit(f.vault_lock(PRIMARY), {"changeableForDays": UNKNOWN})
    )
    assert messages(check_stack("backup-vault-locked-compliance", resources)) == [
        "AWS Backup vault backup-us-east-1-vault lock changeableForDays is unknown at preview; it must be at least 3 "
        "as a literal so the policy can prove it."
    ]


def test_backup_plan_cross_region_copy__compliant_stack_passes():
    assert check_stack("backup-plan-cross-region-copy", f.compliant_stack().resources) == []


@pytest.mark.parametrize("copies", [[], DELETE])
def test_backup_plan_cross_region_copy__rule_without_copy_fails(copies):
    stack = f.compliant_stack()
    resources = stack.replace("backup-us-east-1-plan", edit(f.backup_plan(), {"rules.0.copyActions": copies}))
    assert check_stack("backup-plan-cross-region-copy", resources) == [
        (
            "AWS Backup plan backup-us-east-1-plan rule daily-with-cross-region-copy must copy to a backup vault in "
            "another region than us-east-1 (copyActions[].destinationVaultArn).",
            urn(f.T_PLAN, "backup-us-east-1-plan"),
        )
    ]


def test_backup_plan_cross_region_copy__copy_into_its_own_region_fails():
    stack = f.compliant_stack()
    resources = stack.replace("backup-us-east-1-plan", f.backup_plan(PRIMARY, copy_to=PRIMARY))
    assert len(check_stack("backup-plan-cross-region-copy", resources)) == 1


def test_backup_plan_cross_region_copy__unknown_destination_resolves_through_dependencies():
    stack = f.compliant_stack()
    props = edit(f.backup_plan(), {"rules.0.copyActions.0.destinationVaultArn": UNKNOWN})
    assert check_stack("backup-plan-cross-region-copy", stack.replace("backup-us-east-1-plan", props)) == []


def test_aurora_cluster_in_backup_plan__compliant_stack_passes():
    assert check_stack("aurora-cluster-in-backup-plan", f.compliant_stack().resources) == []


def test_aurora_cluster_in_backup_plan__cluster_without_selection_fails():
    resources = f.compliant_stack().without("backup-us-west-2-selection")
    assert check_stack("aurora-cluster-in-backup-plan", resources) == [
        (
            "Aurora cluster aurora-us-west-2-cluster must be listed in an aws.backup.Selection (resources) of an AWS "
            "Backup plan.",
            urn(f.T_CLUSTER, "aurora-us-west-2-cluster"),
        )
    ]


def test_aurora_cluster_in_backup_plan__plan_into_an_unlocked_vault_fails():
    resources = f.compliant_stack().without("backup-us-east-1-vault-lock")
    assert check_stack("aurora-cluster-in-backup-plan", resources) == [
        (
            "Aurora cluster aurora-us-east-1-cluster must be backed up by a plan whose target vault has a "
            "compliance-mode vault lock.",
            urn(f.T_CLUSTER, "aurora-us-east-1-cluster"),
        )
    ]


def test_aurora_cluster_in_backup_plan__governance_lock_is_not_enough():
    stack = f.compliant_stack()
    resources = stack.replace("backup-us-east-1-vault-lock", edit(f.vault_lock(PRIMARY), {"changeableForDays": DELETE}))
    assert messages(check_stack("aurora-cluster-in-backup-plan", resources)) == [
        "Aurora cluster aurora-us-east-1-cluster must be backed up by a plan whose target vault has a compliance-mode "
        "vault lock."
    ]


def test_aurora_cluster_in_backup_plan__unknown_arns_resolve_at_preview():
    stack = f.compliant_stack()
    stack.replace(
        "backup-us-east-1-selection", edit(f.backup_selection(), {"resources": UNKNOWN_ARRAY, "planId": UNKNOWN})
    )
    assert check_stack("aurora-cluster-in-backup-plan", stack.resources) == []
