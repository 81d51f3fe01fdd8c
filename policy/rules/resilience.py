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
    is_customer_key,
    is_true,
    is_unknown,
    parse_arn,
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
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
HOSTED_ZONE = "aws:route53/zone:Zone"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
VERSIONING_TYPES = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"

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
    props = plain(args.props)
    value = props.get("deletionProtection")
    if is_unknown(value):
        report(unknown_message(f"{subject} deletionProtection", "true"))
    elif not is_true(value):
        report(f"{subject} deletionProtection must be true.")
    if args.resource_type == GLOBAL_CLUSTER:
        # forceDestroy makes the provider remove every member from the global cluster before
        # deleting it (Terraform AWS provider, aws_rds_global_cluster `force_destroy`): one
        # `destroy` then reaches the member clusters, whose own deletionProtection is all that is left.
        force = props.get("forceDestroy")
        if is_unknown(force):
            report(unknown_message("Aurora global cluster forceDestroy", "false"))
        elif is_true(force):
            report("Aurora global cluster forceDestroy must not be true.")


def _final_snapshot(args: ResourceValidationArgs, report: Report) -> None:
    """Deleting an Aurora cluster leaves a final snapshot."""
    if args.resource_type != AURORA_CLUSTER:
        return
    value = plain(args.props).get("skipFinalSnapshot")
    if is_unknown(value):
        report(unknown_message("Aurora cluster skipFinalSnapshot", "false"))
    elif is_true(value):
        report("Aurora cluster skipFinalSnapshot must be false.")


def _copy_tags_to_snapshot(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora snapshots carry the cluster's tags (owner, cell, data classification)."""
    if args.resource_type != AURORA_CLUSTER:
        return
    value = plain(args.props).get("copyTagsToSnapshot")
    if is_unknown(value):
        report(unknown_message("Aurora cluster copyTagsToSnapshot", "true"))
    elif not is_true(value):  # the provider's default is false
        report("Aurora cluster copyTagsToSnapshot must be true.")


def _zones_of_subnet_group(view: StackView, group: PolicyResource) -> set[str] | None:
    """The AZs of a DB subnet group's subnets, when every subnet resolves to one of the stack."""
    ids = as_list(view.props(group).get("subnetIds"))
    subnets = view.references(group, "subnetIds", (SUBNET,), keys=("id",))
    if not ids or is_unknown(view.props(group).get("subnetIds")) or len(subnets) < len(ids):
        return None
    zones = {view.props(s).get("availabilityZone") for s in subnets}
    if any(not isinstance(z, str) or is_unknown(z) for z in zones):
        return None
    return {str(z) for z in zones}


def _aurora_multi_az(args: StackValidationArgs, report: Report) -> None:
    """Each Aurora cluster can lose an AZ: its subnet group spans two or more, and so do its instances."""
    view = StackView(args.resources)
    instances = view.of_type(AURORA_INSTANCE)
    for cluster in view.of_type(AURORA_CLUSTER):
        for group in view.references(cluster, "dbSubnetGroupName", (SUBNET_GROUP,), keys=("name", "id")):
            zones = _zones_of_subnet_group(view, group)
            if zones is not None and len(zones) < 2:
                report(
                    f"Aurora cluster {cluster.name} DB subnet group {group.name} must span at least 2 availability "
                    f"zones, not {len(zones)}.",
                    cluster.urn,
                )
        mine = [
            i
            for i in instances
            if cluster in view.references(i, "clusterIdentifier", (AURORA_CLUSTER,), keys=("id", "clusterIdentifier"))
        ]
        # A single instance is aurora-cluster-min-instances' finding (cost-driven, advisory in dev).
        if len(mine) < 2:
            continue
        zones_of = [view.props(i).get("availabilityZone") for i in mine]
        # An instance without availabilityZone is placed by RDS in one of the subnet group's AZs;
        # an unknown one is an output (e.g. of the network's AZ list) only `up` can read.
        if any(z is None or is_unknown(z) for z in zones_of):
            continue
        if len(set(zones_of)) < 2:
            report(
                f"Aurora cluster {cluster.name} must have instances in at least 2 availability zones; all "
                f"{len(mine)} are in {zones_of[0]}.",
                cluster.urn,
            )


def _minor_version_upgrade(args: ResourceValidationArgs, report: Report) -> None:
    """RDS applies minor engine upgrades (security fixes) in the maintenance window."""
    if args.resource_type not in (AURORA_CLUSTER, AURORA_INSTANCE):
        return
    subject = "Aurora cluster" if args.resource_type == AURORA_CLUSTER else "Aurora instance"
    value = plain(args.props).get("autoMinorVersionUpgrade")
    if is_unknown(value):
        report(unknown_message(f"{subject} autoMinorVersionUpgrade", "true"))
    elif value is not None and not is_true(value):  # unset: the provider (and RDS) default is true
        report(f"{subject} autoMinorVersionUpgrade must be true.")


EKS_VERSION_CONFIG = {
    "supportedVersions": Setting(
        {
            "type": "array",
            "items": {"type": "string", "pattern": r"^1\.\d+$"},
            "minItems": 1,
            # Amazon EKS standard support lasts 14 months per minor ("Understand the Kubernetes version
            # lifecycle on EKS", EKS User Guide): in December 2026 that is 1.35 (until 2027-03-27) and
            # 1.36; 1.34 left standard support on 2026-12-02 and 1.33 on 2026-07-29 (extended support
            # costs six times as much and ends with a forced upgrade). Review with every EKS release.
            "default": ["1.35", "1.36"],
            "description": "Kubernetes minor versions in Amazon EKS standard support.",
        }
    ),
}


def _eks_version(args: ResourceValidationArgs, report: Report) -> None:
    """EKS clusters run a Kubernetes minor version in Amazon EKS standard support."""
    if args.resource_type != EKS_CLUSTER:
        return
    supported = [str(v) for v in settings(args, EKS_VERSION_CONFIG)["supportedVersions"]]
    version = plain(args.props).get("version")
    if is_unknown(version):
        report(unknown_message("EKS cluster version", f"one of {', '.join(supported)}"))
    # Unset: EKS creates the cluster at its current default version, which is in standard support.
    elif version is not None and str(version) not in supported:
        report(f"EKS cluster version must be one of {', '.join(supported)}, not {version}.")


def _eks_deletion_protection(args: ResourceValidationArgs, report: Report) -> None:
    """An EKS cluster cannot be deleted while its deletion protection is on."""
    if args.resource_type != EKS_CLUSTER:
        return
    value = plain(args.props).get("deletionProtection")
    if is_unknown(value):
        report(unknown_message("EKS cluster deletionProtection", "true"))
    elif not is_true(value):  # the EKS default is false
        report("EKS cluster deletionProtection must be true.")


def _log_group_deletion_protection(args: ResourceValidationArgs, report: Report) -> None:
    """A log group (an audit trail) cannot be deleted while its deletion protection is on.

    CloudWatch Logs refuses DeleteLogGroup on a protected group ("Protecting log groups from
    deletion", CloudWatch Logs User Guide); pulumi-aws exposes it as deletionProtectionEnabled.
    """
    if args.resource_type != LOG_GROUP:
        return
    value = plain(args.props).get("deletionProtectionEnabled")
    if is_unknown(value):
        report(unknown_message("CloudWatch log group deletionProtectionEnabled", "true"))
    elif not is_true(value):  # the CloudWatch Logs default is off
        report("CloudWatch log group deletionProtectionEnabled must be true.")


def _bucket_versioning(args: StackValidationArgs, report: Report) -> None:
    """Every S3 bucket keeps prior versions of its objects (recovery from overwrite and delete).

    Cross-region replication (the other half of RES-S3-VERSIONING-CRR) is not required: the
    design (/work/shared/design.md) names no bucket a failover depends on. The runner bundles are
    one bucket per cell, re-uploaded by the program; the ARC execution reports
    (components/dr_control.py) are evidence in one primary-region bucket. Whether that evidence
    must survive the loss of its region is a design question, raised with issue 18, not a rule.
    """
    view = StackView(args.resources)
    enabled: set[str] = set()
    for versioning in view.of_type(*VERSIONING_TYPES):
        status = get(view.props(versioning), "versioningConfiguration.status")
        if status == "Enabled":
            enabled |= {b.urn for b in view.references(versioning, "bucket", BUCKET_TYPES, keys=("id", "bucket"))}
    for bucket in view.of_type(*BUCKET_TYPES):
        inline = get(view.props(bucket), "versioning.enabled")  # the deprecated inline block
        if bucket.urn not in enabled and not is_true(inline):
            report(
                f"S3 bucket {bucket.name} must have versioning Enabled (an aws.s3.BucketVersioning with status "
                "Enabled).",
                bucket.urn,
            )


PROTECT_CONFIG = {
    "resourceTypes": Setting(
        {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": [GLOBAL_CLUSTER, AURORA_CLUSTER, KMS_KEY, KMS_REPLICA_KEY, MSK_CLUSTER, HOSTED_ZONE],
            "description": "Stateful resource types whose every resource must carry the Pulumi protect option.",
        }
    ),
    "resourceNames": Setting(
        {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            # The ARC execution reports (components/dr_control.py): the evidence of every drill.
            "default": ["dr-reports"],
            "description": "Further resources (logical names) that must be protected, e.g. evidence buckets.",
        }
    ),
}


def _pulumi_protect(args: StackValidationArgs, report: Report) -> None:
    """Stateful resources carry the Pulumi `protect` option: no `destroy`, replace or removal from the program.

    Pulumi refuses to delete a protected resource until the option is removed in a separate `up`
    ("Resource options: protect", Pulumi docs), so a replace-triggering change or a deleted line
    stops at preview instead of destroying the ledger, a key or the DNS zone. CrossGuard passes the
    options of every resource (`PolicyResource.opts.protect`; the finstack check export carries
    them); children inherit `protect` from their parent in the SDK, so the value is the effective one.
    """
    config = settings(args, PROTECT_CONFIG)
    for resource in args.resources:
        if resource.resource_type not in config["resourceTypes"] and resource.name not in config["resourceNames"]:
            continue
        if not getattr(resource.opts, "protect", False):
            report(
                f"{resource.resource_type} {resource.name} must carry the Pulumi protect resource option.", resource.urn
            )


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


# --- AWS Backup: locked vaults, cross-Region copies, every Aurora cluster in a plan -------------------
#
# A compliance-mode vault lock is what makes a backup survive a compromised account: once its
# cooling-off time (ChangeableForDays) passes, nobody, the root user and AWS included, can shorten a
# recovery point's retention, delete the lock, or delete the vault while it holds recovery points
# ("AWS Backup Vault Lock", AWS Backup Developer Guide). Without ChangeableForDays the lock is in
# governance mode, which a principal with backup:DeleteBackupVaultLockConfiguration removes (the
# Terraform provider's aws_backup_vault_lock_configuration: "If omitted creates a vault lock in
# governance mode"). AWS Backup accepts ChangeableForDays of at least 3 (the 72-hour cooling-off).

MIN_CHANGEABLE_DAYS = 3


def _backup_vault_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """AWS Backup vaults encrypt recovery points with a customer managed key (CKV_AWS_166)."""
    if args.resource_type != BACKUP_VAULT:
        return
    value = plain(args.props).get("kmsKeyArn")
    # Unset: AWS Backup uses its AWS managed key (aws/backup), whose policy the account cannot scope.
    if not is_customer_key(value):
        report(
            "AWS Backup vault kmsKeyArn must name a customer managed KMS key (unset or alias/aws/backup is the "
            f"AWS managed key), not {_shown(value)}."
        )


def _vault_of_lock(view: StackView, lock: PolicyResource) -> list[PolicyResource]:
    return view.references(lock, "backupVaultName", (BACKUP_VAULT,), keys=("name", "id"))


def _lock_findings(view: StackView, lock: PolicyResource) -> list[str]:
    """Why a vault lock is not a compliance-mode lock with both retention bounds ([] when it is)."""
    props = view.props(lock)
    findings = []
    changeable = props.get("changeableForDays")
    if is_unknown(changeable):
        findings.append(unknown_message("changeableForDays", f"at least {MIN_CHANGEABLE_DAYS}"))
    elif changeable is None:
        findings.append("must set changeableForDays (compliance mode; unset is governance mode, which can be removed)")
    elif changeable < MIN_CHANGEABLE_DAYS:
        findings.append(f"changeableForDays must be at least {MIN_CHANGEABLE_DAYS}, not {int(changeable)}")
    for key in ("minRetentionDays", "maxRetentionDays"):
        value = props.get(key)
        if is_unknown(value):
            findings.append(unknown_message(key, "a number of days"))
        elif value is None:
            findings.append(f"must set {key}")
    return findings


def _compliance_locked(view: StackView) -> dict[str, list[str]]:
    """Vault URN -> the findings of its locks ([] for a vault with a compliance lock); locked vaults only."""
    found: dict[str, list[str]] = {}
    for lock in view.of_type(BACKUP_VAULT_LOCK):
        findings = _lock_findings(view, lock)
        for vault in _vault_of_lock(view, lock):
            if not findings or vault.urn not in found:
                found[vault.urn] = findings
    return found


def _backup_vault_locked(args: StackValidationArgs, report: Report) -> None:
    """Every AWS Backup vault has a vault lock in compliance mode with minimum and maximum retention."""
    view = StackView(args.resources)
    locked = _compliance_locked(view)
    for vault in view.of_type(BACKUP_VAULT):
        findings = locked.get(vault.urn)
        if findings is None:
            report(
                f"AWS Backup vault {vault.name} must have an aws.backup.VaultLockConfiguration in compliance mode "
                "(changeableForDays, minRetentionDays and maxRetentionDays set).",
                vault.urn,
            )
        for finding in findings or []:
            report(f"AWS Backup vault {vault.name} lock {finding.rstrip('.')}.", vault.urn)


def _copy_regions(view: StackView, plan: PolicyResource, rule: Any) -> set[str | None]:
    """The regions a plan rule's copy actions write to (None for a destination not yet resolvable)."""
    regions: set[str | None] = set()
    for action in as_list(get(rule, "copyActions")):
        destination = get(action, "destinationVaultArn")
        arn = parse_arn(destination)
        if arn is not None:
            regions.add(arn.region)
        elif is_unknown(destination):
            # The ARN of a vault of this stack, only known at `up`: the engine's property
            # dependencies of `rules` name the vaults; any one outside the plan's region counts.
            vaults = view.references(plan, "rules", (BACKUP_VAULT,), keys=("arn",))
            regions |= {view.region(v) for v in vaults if view.region(v) != view.region(plan)} or {None}
    return regions


def _backup_plan_cross_region(args: StackValidationArgs, report: Report) -> None:
    """Every AWS Backup plan rule copies its recovery points to a vault in another region."""
    view = StackView(args.resources)
    for plan in view.of_type(BACKUP_PLAN):
        region = view.region(plan)
        for index, rule in enumerate(as_list(view.props(plan).get("rules"))):
            name = get(rule, "ruleName") or index
            if is_unknown(rule) or is_unknown(get(rule, "copyActions")):
                continue  # a computed rule list is read again at `up`
            others = {r for r in _copy_regions(view, plan, rule) if r != region}
            if not others:
                report(
                    f"AWS Backup plan {plan.name} rule {name} must copy to a backup vault in another region than "
                    f"{_shown(region)} (copyActions[].destinationVaultArn).",
                    plan.urn,
                )


def _target_vaults(view: StackView, plan: PolicyResource) -> list[PolicyResource]:
    """The vaults a plan's rules write to (by name; at preview through `rules`' dependencies in its region)."""
    names = {get(rule, "targetVaultName") for rule in as_list(view.props(plan).get("rules"))}
    vaults = view.of_type(BACKUP_VAULT)
    found = [v for v in vaults if {view.props(v).get("name"), view.props(v).get("id")} & names]
    if any(is_unknown(n) for n in names):
        found += [
            v
            for v in view.references(plan, "rules", (BACKUP_VAULT,), keys=("name",))
            if view.region(v) == view.region(plan) and v not in found
        ]
    return found


def _aurora_in_backup_plan(args: StackValidationArgs, report: Report) -> None:
    """Every Aurora cluster is in an AWS Backup selection whose plan writes to a compliance-locked vault."""
    view = StackView(args.resources)
    locked = {urn for urn, findings in _compliance_locked(view).items() if not findings}
    covering: dict[str, list[PolicyResource]] = {}
    for selection in view.of_type(BACKUP_SELECTION):
        for cluster in view.references(selection, "resources", (AURORA_CLUSTER,), keys=("arn",)):
            covering.setdefault(cluster.urn, []).append(selection)
    for cluster in view.of_type(AURORA_CLUSTER):
        selections = covering.get(cluster.urn, [])
        if not selections:
            report(
                f"Aurora cluster {cluster.name} must be listed in an aws.backup.Selection (resources) of an AWS "
                "Backup plan.",
                cluster.urn,
            )
            continue
        plans = [p for s in selections for p in view.references(s, "planId", (BACKUP_PLAN,), keys=("id",))]
        if not any(v.urn in locked for p in plans for v in _target_vaults(view, p)):
            report(
                f"Aurora cluster {cluster.name} must be backed up by a plan whose target vault has a compliance-mode "
                "vault lock.",
                cluster.urn,
            )


POLICIES = [
    resource_policy(
        name="aurora-deletion-protection-enabled",
        description="Aurora global and member clusters must have deletion protection on.",
        validate=_deletion_protection,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("RES-RDS-CLUSTER-DELPROT", "RES-RDS-GLOBAL-DELPROT", security_hub=("RDS.7",)),
        remediation="Set deletionProtection=True (finstack:aurora.deletionProtection); leave forceDestroy unset.",
    ),
    resource_policy(
        name="aurora-final-snapshot-kept",
        description="Aurora clusters must take a final snapshot when deleted.",
        validate=_final_snapshot,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("RES-RDS-FINAL-SNAPSHOT"),
        remediation="Set skipFinalSnapshot=False and a finalSnapshotIdentifier.",
    ),
    resource_policy(
        name="aurora-backup-retention",
        description="Aurora clusters must keep automated backups for at least the configured number of days.",
        validate=_backup_retention,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("RES-RDS-BACKUP-RETENTION", security_hub=("RDS.11",)),
        remediation="Set backupRetentionPeriod (finstack:aurora.backupRetentionDays; 35 in prod).",
        config=BACKUP_CONFIG,
    ),
    stack_policy(
        name="aurora-cluster-min-instances",
        description="Every Aurora cluster must have a writer and at least one failover reader.",
        validate=_min_instances,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY.with_controls("RES-RDS-MULTI-AZ", security_hub=("RDS.15",)),
        remediation="Raise finstack:aurora.instancesPerRegion to 2 or more.",
        config=INSTANCES_CONFIG,
    ),
    resource_policy(
        name="msk-brokers-multi-az",
        description="MSK brokers must span at least three availability zones with the same count in each.",
        validate=_msk_multi_az,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY.with_controls("RES-MSK-AZ-SPREAD"),
        remediation="Use one data subnet per AZ (3 AZs) and numberOfBrokerNodes = brokersPerAz x AZs.",
        config=BROKER_CONFIG,
    ),
    stack_policy(
        name="nat-gateway-per-az",
        description="Regions that egress through NAT must have one NAT gateway per app-tier availability zone.",
        validate=_nat_per_az,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AVAILABILITY.with_controls("FIN-NAT-PER-AZ"),
        remediation="Set finstack:network.natGateways to per-az.",
    ),
    stack_policy(
        name="active-active-region-parity",
        description="Every region of the stack must run a full cell: VPC, EKS, Aurora member, MSK and a health check.",
        validate=_region_parity,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY.with_controls("FIN-ACTIVE-ACTIVE"),
        remediation="Declare the missing component for the region (infra/program.py builds one cell per region).",
    ),
    stack_policy(
        name="replication-lag-alarms-present",
        description="Every Aurora secondary and MSK replicator must have a replication-lag alarm with an action.",
        validate=_replication_alarms,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(
            pci=("12.10.1",), soc2=("A1.2", "CC7.2"), gdpr=("art32",), controls=("FIN-REPLICATION-ALARMS",)
        ),
        remediation="Add an aws.cloudwatch.MetricAlarm on the lag metric in the region with alarmActions=[<topic>].",
    ),
    resource_policy(
        name="aurora-copy-tags-to-snapshot",
        description="Aurora clusters must copy their tags to snapshots.",
        validate=_copy_tags_to_snapshot,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=RECOVERY.with_controls("RES-RDS-COPY-TAGS", security_hub=("RDS.16",)),
        remediation="Set copyTagsToSnapshot=True.",
    ),
    stack_policy(
        name="aurora-instances-multi-az",
        description="Aurora clusters must have a subnet group and instances spanning at least two availability zones.",
        validate=_aurora_multi_az,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AVAILABILITY.with_controls("RES-RDS-MULTI-AZ", security_hub=("RDS.15",)),
        remediation="Use one data subnet per AZ; pin instance n to AZ n mod len (AuroraCellArgs.availability_zones).",
    ),
    resource_policy(
        name="rds-auto-minor-version-upgrade",
        description="Aurora clusters and instances must apply minor engine upgrades automatically.",
        validate=_minor_version_upgrade,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        # CIS AWS Foundations v3.0.0 2.3.2 is the requirement Security Hub names for RDS.13.
        compliance=AVAILABILITY.with_controls(
            "RES-RDS-MINOR-UPGRADE", security_hub=("RDS.13", "RDS.35"), cis=("2.3.2",)
        ),
        remediation="Set autoMinorVersionUpgrade=True, or waive it for global database members (upgraded together).",
    ),
    resource_policy(
        name="eks-supported-version",
        description="EKS clusters must run a Kubernetes version in Amazon EKS standard support.",
        validate=_eks_version,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AVAILABILITY.with_controls("RES-EKS-VERSION", security_hub=("EKS.2",)),
        remediation="Upgrade finstack:eks.version one minor at a time to a version in supportedVersions.",
        config=EKS_VERSION_CONFIG,
    ),
    resource_policy(
        name="eks-deletion-protection-enabled",
        description="EKS clusters must have deletion protection on.",
        validate=_eks_deletion_protection,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=RECOVERY.with_controls("RES-OTHER-DELPROT"),
        remediation="Set deletionProtection=True on the aws.eks.Cluster (components/eks.py: prod).",
    ),
    resource_policy(
        name="cloudwatch-log-group-deletion-protection",
        description="CloudWatch log groups must have deletion protection on.",
        validate=_log_group_deletion_protection,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(
            pci=("10.5.1",), soc2=("A1.2", "CC7.2"), gdpr=("art32",), controls=("RES-OTHER-DELPROT",)
        ),
        remediation="Set deletionProtectionEnabled=True on the aws.cloudwatch.LogGroup (prod).",
    ),
    stack_policy(
        name="s3-bucket-versioning-enabled",
        description="S3 buckets must have versioning enabled.",
        validate=_bucket_versioning,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=RECOVERY.with_controls("RES-S3-VERSIONING-CRR"),
        remediation="Add aws.s3.BucketVersioning(bucket=<bucket>.id, versioning_configuration={'status': 'Enabled'}) "
        "(components/private_bucket.py does).",
    ),
    stack_policy(
        name="stateful-resources-protected",
        description="Stateful resources (databases, keys, brokers, zones, evidence buckets) must carry Pulumi protect.",
        validate=_pulumi_protect,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("RES-PULUMI-PROTECT"),
        remediation="Pass pulumi.ResourceOptions(protect=True) (prod) to the resource or its parent component.",
        config=PROTECT_CONFIG,
    ),
    resource_policy(
        name="backup-vault-cmk",
        description="AWS Backup vaults must encrypt recovery points with a customer managed KMS key.",
        validate=_backup_vault_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("3.5.1", "12.10.1"),
            soc2=("CC6.1", "A1.2"),
            gdpr=("art32",),
            controls=("FIN-BACKUP-VAULT-CMK",),
            security_hub=("Backup.1",),
        ),
        remediation="Set kmsKeyArn to the cell's backup key (foundation.keys.arn('backup', region)).",
    ),
    stack_policy(
        name="backup-vault-locked-compliance",
        description="AWS Backup vaults must have a compliance-mode vault lock with minimum and maximum retention.",
        validate=_backup_vault_locked,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("FIN-BACKUP-VAULT-LOCK"),
        remediation="Add aws.backup.VaultLockConfiguration(backup_vault_name=<vault>.name, changeable_for_days=3, "
        "min_retention_days=..., max_retention_days=...) (finstack:security.backup lock* keys).",
    ),
    stack_policy(
        name="backup-plan-cross-region-copy",
        description="Every AWS Backup plan rule must copy its recovery points to a vault in another region.",
        validate=_backup_plan_cross_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("FIN-BACKUP-CROSS-REGION"),
        remediation="Add a copy action to the other cell's vault ARN (components/backup.py copies to every other "
        "cell).",
    ),
    stack_policy(
        name="aurora-cluster-in-backup-plan",
        description="Every Aurora cluster must be in an AWS Backup plan whose target vault is compliance-locked.",
        validate=_aurora_in_backup_plan,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=RECOVERY.with_controls("RES-RDS-BACKUP-PLAN", security_hub=("RDS.26",)),
        remediation="List the cluster's ARN in the cell's aws.backup.Selection (components/backup.py, "
        "infra/program.py _backup).",
    ),
]
