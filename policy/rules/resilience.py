"""Resilience: every cell can lose an AZ, and any cell can take over from any other.

Cost-driven rules here (instance counts, three-AZ brokers, deletion protection, backup
minimum, NAT per AZ) are the only ones `policy/config.dev.json` may make advisory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    CELL_TAG,
    TIER_TAG,
    Compliance,
    Setting,
    StackView,
    as_list,
    get,
    is_true,
    is_unknown,
    plain,
    resource_policy,
    settings,
    stack_policy,
    tag,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "resilience"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
AURORA_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
MSK_REPLICATOR = "aws:msk/replicator:Replicator"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

AURORA_LAG_METRIC = "AuroraGlobalDBReplicationLag"
MSK_LAG_METRICS = ("ReplicationLatency", "MessageLag")

AVAILABILITY = Compliance(pci=("12.10.1",), soc2=("A1.2",), gdpr=("art32",))
RECOVERY = Compliance(pci=("12.10.1",), soc2=("A1.2", "A1.3"), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


def _deletion_protection(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora global and member clusters cannot be deleted by a stray `pulumi destroy`."""
    if args.resource_type not in (AURORA_CLUSTER, GLOBAL_CLUSTER):
        return
    subject = "Aurora cluster" if args.resource_type == AURORA_CLUSTER else "Aurora global cluster"
    value = plain(args.props).get("deletionProtection")
    if is_unknown(value):
        report(unknown_message(f"{subject} deletionProtection", "true"))
    elif not is_true(value):
        report(f"{subject} deletionProtection must be true.")


def _final_snapshot(args: ResourceValidationArgs, report: Report) -> None:
    """Deleting an Aurora cluster leaves a final snapshot."""
    if args.resource_type != AURORA_CLUSTER:
        return
    value = plain(args.props).get("skipFinalSnapshot")
    if is_unknown(value):
        report(unknown_message("Aurora cluster skipFinalSnapshot", "false"))
    elif is_true(value):
        report("Aurora cluster skipFinalSnapshot must be false.")


BACKUP_CONFIG = {
    "minimumRetentionDays": Setting(
        {"type": "integer", "minimum": 1, "maximum": 35, "default": 35, "description": "Shortest backup retention."}
    ),
}


def _backup_retention(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora keeps automated backups at least the configured number of days."""
    if args.resource_type != AURORA_CLUSTER:
        return
    minimum = settings(args, BACKUP_CONFIG)["minimumRetentionDays"]
    days = plain(args.props).get("backupRetentionPeriod")
    if is_unknown(days):
        report(unknown_message("Aurora cluster backupRetentionPeriod", f"at least {minimum}"))
        return
    days = 1 if days is None else days  # the AWS default
    if days < minimum:
        report(f"Aurora cluster backupRetentionPeriod must be at least {minimum} days, not {int(days)}.")


INSTANCES_CONFIG = {
    "minimumInstances": Setting(
        {"type": "integer", "minimum": 1, "default": 2, "description": "Writer plus failover readers per cluster."}
    ),
}


def _min_instances(args: StackValidationArgs, report: Report) -> None:
    """Each Aurora cluster has a writer and at least one failover reader."""
    view = StackView(args.resources)
    minimum = settings(args, INSTANCES_CONFIG)["minimumInstances"]
    instances = view.of_type(AURORA_INSTANCE)
    for cluster in view.of_type(AURORA_CLUSTER):
        count = sum(
            cluster in view.references(i, "clusterIdentifier", (AURORA_CLUSTER,), keys=("id", "clusterIdentifier"))
            for i in instances
        )
        if count < minimum:
            report(f"Aurora cluster {cluster.name} must have at least {minimum} instances, not {count}.", cluster.urn)


BROKER_CONFIG = {
    "minimumAzs": Setting(
        {"type": "integer", "minimum": 1, "default": 3, "description": "Availability zones the brokers span."}
    ),
}


def _msk_multi_az(args: ResourceValidationArgs, report: Report) -> None:
    """MSK brokers span at least three AZs, evenly."""
    if args.resource_type != MSK_CLUSTER:
        return
    minimum = settings(args, BROKER_CONFIG)["minimumAzs"]
    props = plain(args.props)
    subnets = get(props, "brokerNodeGroupInfo.clientSubnets")
    brokers = props.get("numberOfBrokerNodes")
    if is_unknown(subnets):
        report(unknown_message("MSK cluster brokerNodeGroupInfo.clientSubnets", "a list of subnet ids"))
        return
    count = len(as_list(subnets))
    if count < minimum:
        report(f"MSK cluster brokerNodeGroupInfo.clientSubnets must span at least {minimum} AZs, not {count}.")
    if is_unknown(brokers):
        report(unknown_message("MSK cluster numberOfBrokerNodes", f"a multiple of {count}"))
    elif count and isinstance(brokers, (int, float)) and brokers % count:
        report(f"MSK cluster numberOfBrokerNodes must be a multiple of its {count} client subnets, not {int(brokers)}.")


def _nat_per_az(args: StackValidationArgs, report: Report) -> None:
    """A region that egresses through NAT has one NAT gateway per app-tier AZ."""
    view = StackView(args.resources)
    for region in view.regional_regions():
        nats = [
            n
            for n in view.of_type(NAT_GATEWAY)
            if view.region(n) == region and view.props(n).get("connectivityType") != "private"
        ]
        zones = {
            view.props(s).get("availabilityZone")
            for s in view.of_type(SUBNET)
            if view.region(s) == region and tag(view.props(s), TIER_TAG) == "app"
        }
        if nats and len(nats) < len(zones):
            report(
                f"Region {region} must have a NAT gateway per app-tier availability zone: {len(nats)} for {len(zones)}."
            )


def _health_check_region(view: StackView, check: PolicyResource, regions: list[str]) -> str | None:
    props = view.props(check)
    cell = tag(props, CELL_TAG)
    if cell in regions:
        return str(cell)
    fqdn = props.get("fqdn")
    if isinstance(fqdn, str):
        return next((r for r in regions if r in fqdn), None)
    return None


def _is_member(view: StackView, cluster: PolicyResource) -> bool:
    return view.props(cluster).get("globalClusterIdentifier") is not None


def _region_parity(args: StackValidationArgs, report: Report) -> None:
    """Every region of the stack runs the full cell: VPC, EKS, Aurora member, MSK and a health check."""
    view = StackView(args.resources)
    regions = view.regional_regions()
    checked = {_health_check_region(view, c, regions) for c in view.of_type(HEALTH_CHECK)}
    parts: list[tuple[str, Callable[[PolicyResource], bool], str]] = [
        (VPC, lambda r: True, "a VPC"),
        (EKS_CLUSTER, lambda r: True, "an EKS cluster"),
        (AURORA_CLUSTER, lambda r: _is_member(view, r), "an Aurora global database member cluster"),
        (MSK_CLUSTER, lambda r: True, "an MSK cluster"),
    ]
    for region in regions:
        for type_, wanted, what in parts:
            if not any(view.region(r) == region and wanted(r) for r in view.of_type(type_)):
                report(f"Region {region} must have {what} for active-active parity.")
        if region not in checked:
            report(f"Region {region} must have a Route 53 health check for active-active parity.")


def _alarm_regions(view: StackView, metrics: tuple[str, ...]) -> set[str]:
    """Regions holding an alarm (with an action) on one of `metrics`, plain or in metric math."""
    regions: set[str] = set()
    for alarm in view.of_type(METRIC_ALARM):
        props = view.props(alarm)
        names = [props.get("metricName")] + [get(q, "metric.metricName") for q in as_list(props.get("metricQueries"))]
        region = view.region(alarm)
        if region and any(n in metrics for n in names) and as_list(props.get("alarmActions")):
            regions.add(region)
    return regions


def _is_writer(view: StackView, cluster: PolicyResource) -> bool:
    """The primary member is the one created with master credentials (secondaries cannot set them)."""
    props = view.props(cluster)
    return any(props.get(k) is not None for k in ("masterUsername", "manageMasterUserPassword", "masterPassword"))


def _replication_alarms(args: StackValidationArgs, report: Report) -> None:
    """Every secondary Aurora cluster and every MSK replicator has a replication-lag alarm."""
    view = StackView(args.resources)
    aurora_alarms = _alarm_regions(view, (AURORA_LAG_METRIC,))
    for cluster in view.of_type(AURORA_CLUSTER):
        region = view.region(cluster)
        if _is_member(view, cluster) and not _is_writer(view, cluster) and region not in aurora_alarms:
            report(
                f"Aurora secondary cluster {cluster.name} must have an {AURORA_LAG_METRIC} alarm with an action "
                f"in {_shown(region)}.",
                cluster.urn,
            )
    msk_alarms = _alarm_regions(view, MSK_LAG_METRICS)
    for replicator in view.of_type(MSK_REPLICATOR):
        region = view.region(replicator)
        if region not in msk_alarms:
            report(
                f"MSK replicator {replicator.name} must have a {' or '.join(MSK_LAG_METRICS)} alarm with an action "
                f"in {_shown(region)}.",
                replicator.urn,
            )


POLICIES = [
    resource_policy(
        name="aurora-deletion-protection-enabled",
        description="Aurora global and member clusters must have deletion protection on.",
        validate=_deletion_protection,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY,
        remediation="Set deletionProtection=True (finstack:aurora.deletionProtection).",
    ),
    resource_policy(
        name="aurora-final-snapshot-kept",
        description="Aurora clusters must take a final snapshot when deleted.",
        validate=_final_snapshot,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY,
        remediation="Set skipFinalSnapshot=False and a finalSnapshotIdentifier.",
    ),
    resource_policy(
        name="aurora-backup-retention",
        description="Aurora clusters must keep automated backups for at least the configured number of days.",
        validate=_backup_retention,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY,
        remediation="Set backupRetentionPeriod (finstack:aurora.backupRetentionDays; 35 in prod).",
        config=BACKUP_CONFIG,
    ),
    stack_policy(
        name="aurora-cluster-min-instances",
        description="Every Aurora cluster must have a writer and at least one failover reader.",
        validate=_min_instances,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY,
        remediation="Raise finstack:aurora.instancesPerRegion to 2 or more.",
        config=INSTANCES_CONFIG,
    ),
    resource_policy(
        name="msk-brokers-multi-az",
        description="MSK brokers must span at least three availability zones with the same count in each.",
        validate=_msk_multi_az,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY,
        remediation="Use one data subnet per AZ (3 AZs) and numberOfBrokerNodes = brokersPerAz x AZs.",
        config=BROKER_CONFIG,
    ),
    stack_policy(
        name="nat-gateway-per-az",
        description="Regions that egress through NAT must have one NAT gateway per app-tier availability zone.",
        validate=_nat_per_az,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AVAILABILITY,
        remediation="Set finstack:network.natGateways to per-az.",
    ),
    stack_policy(
        name="active-active-region-parity",
        description="Every region of the stack must run a full cell: VPC, EKS, Aurora member, MSK and a health check.",
        validate=_region_parity,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY,
        remediation="Declare the missing component for the region (infra/program.py builds one cell per region).",
    ),
    stack_policy(
        name="replication-lag-alarms-present",
        description="Every Aurora secondary and MSK replicator must have a replication-lag alarm with an action.",
        validate=_replication_alarms,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("12.10.1",), soc2=("A1.2", "CC7.2"), gdpr=("art32",)),
        remediation="Add an aws.cloudwatch.MetricAlarm on the lag metric in the region with alarmActions=[<topic>].",
    ),
]
