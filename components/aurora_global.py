"""Aurora PostgreSQL Global Database: the payments ledger, one member cluster per cell.

Children of `AuroraGlobal("aurora", ...)`:

    aurora-monitoring-role, -monitoring-policy     IAM (global): Enhanced Monitoring
    aurora-master-secret, -master-secret-version   break-glass credential, replicated to every cell
    aurora-global                                  rds.GlobalCluster `finstack-<env>-ledger`
    per region r (config order):
      aurora-<r>-subnets, -params, -logs           DB subnet group, cluster parameter group, log group
      aurora-<r>-cluster                           `finstack-<env>-ledger-<r>`
        aurora-<r>-instance-<n>                    `finstack-<env>-ledger-<r>-<n>`
        aurora-<r>-replication-lag-alarm,          secondaries only
        aurora-<r>-rpo-lag-alarm

Roles are not names: the config's primary is where the writer starts, but a switchover
flips roles in AWS without touching this program. Everything role-dependent AWS changes
on a switchover is in `MEMBER_IGNORE_CHANGES`, so a later `pulumi up` never undoes a drill.

Credentials: RDS-managed master passwords (`manageMasterUserPassword`) are not supported on
clusters of a global database (Aurora User Guide, "Limitations for Secrets Manager
integration"). Secrets Manager generates the password instead; it is kept in a secret
encrypted with the `secrets` key and replicated to every cell (the credential must survive
the loss of the primary region) and reaches the primary cluster only as a Pulumi secret:
never in config, encrypted in state. Applications use IAM database authentication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.aurora_plan import (
    CA_CERT_IDENTIFIER,
    ENGINE,
    IAM_ENHANCED_MONITORING_POLICY,
    LAG_ALARM_DATAPOINTS,
    LAG_ALARM_EVALUATION_PERIODS,
    LAG_ALARM_PERIOD_SECONDS,
    LOG_EXPORTS,
    MASTER_PASSWORD_LENGTH,
    MASTER_USERNAME,
    PERFORMANCE_INSIGHTS_RETENTION_DAYS,
    availability_zone_for,
    cluster_identifier,
    cluster_parameters,
    final_snapshot_identifier,
    global_cluster_identifier,
    instance_identifier,
    keeps_final_snapshot,
    lag_threshold_ms,
    log_group_name,
    master_secret_document,
    master_secret_name,
    monitoring_interval,
    monitoring_role_name,
    parameter_group_family,
    password_of,
    promotion_tier,
    region_of_arn,
)
from components.naming import cell_tags

if TYPE_CHECKING:
    from infra.config import StackConfig

# Input properties of the global cluster that change outside this program: the engine version moves
# only forward, by an upgrade on the global cluster (see `_create_global_cluster`).
GLOBAL_IGNORE_CHANGES: tuple[str, ...] = ("engineVersion",)

# Input properties of every member cluster that AWS rewrites outside this program.
MEMBER_IGNORE_CHANGES: tuple[str, ...] = (
    # AWS sets this to the writer's ARN on every secondary, and on the former primary after a
    # switchover. Removing it is how the provider *promotes* a replica: a later `up` would
    # detach the cluster from the global database and open a second writer (split brain).
    # The config primary needs it too: roles flip on a switchover, names do not.
    "replicationSourceIdentifier",
    # Membership is changed by drills (switchover, detach-and-promote), never by `up`: a diff
    # here makes the provider call RemoveFromGlobalCluster, or fail with "existing DB
    # clusters cannot be added to an existing global cluster" after a detach. Also on the
    # primary: after a failover it may be the member that was detached.
    "globalClusterIdentifier",
    # The global cluster owns the engine version and upgrades every member in one operation;
    # members reporting the new version must not be "downgraded" (or diffed) by `up`.
    "engineVersion",
)

SECRET_RECOVERY_WINDOW_DAYS = 30
DEV_SECRET_RECOVERY_WINDOW_DAYS = 7
_SECRET_FIELDS = ("data_key_arn", "secrets_key_arn", "logs_key_arn", "alert_topic_arn")


@dataclass(frozen=True)
class AuroraCellArgs:
    """Wiring of one cell's member cluster: outputs of the network, keys and alerts components.

    `availability_zones` (the network's AZ list, in the order of `data_subnet_ids`) pins
    instance n to AZ n mod len: writer and failover target then never share an AZ. Without
    it RDS places the instances itself, which does not promise that they land apart.
    """

    region: str
    data_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    db_sg_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    alert_topic_arn: pulumi.Input[str]
    availability_zones: pulumi.Input[Sequence[str]] | None = None

    def __post_init__(self) -> None:
        """Refuse a literal ARN of another region: a cross-region key would fail only at `up`."""
        for field_name in _SECRET_FIELDS:
            value = getattr(self, field_name)
            if isinstance(value, str) and region_of_arn(value) != self.region:
                raise ValueError(
                    f"AuroraCellArgs({self.region}).{field_name}: {value!r} is not an ARN in {self.region}; "
                    f"pass the {self.region} key or topic"
                )


@dataclass(frozen=True)
class AuroraGlobalArgs:
    """Settings (from the config's `aurora` block) and the cells of `AuroraGlobal`."""

    environment: str
    primary_region: str
    engine_version: str
    instance_class: str
    instances_per_region: int
    database_name: str
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    deletion_protection: bool
    replication_lag_alarm_seconds: float
    log_retention_days: int
    cells: tuple[AuroraCellArgs, ...]

    def __post_init__(self) -> None:
        """Check the invariants the component relies on; the config model checks the rest."""
        regions = [cell.region for cell in self.cells]
        if len(set(regions)) != len(regions):
            raise ValueError(f"AuroraGlobalArgs.cells: one cell per region, got {regions}")
        if self.primary_region not in regions:
            raise ValueError(f"AuroraGlobalArgs.primary_region: {self.primary_region} has no cell; cells are {regions}")
        if not 1 <= self.instances_per_region <= 15:
            raise ValueError(
                "AuroraGlobalArgs.instances_per_region: Aurora allows 1 to 15 instances, "
                f"got {self.instances_per_region}"
            )
        parameter_group_family(self.engine_version)
        lag_threshold_ms(self.replication_lag_alarm_seconds)

    @classmethod
    def from_config(cls, config: StackConfig, cells: Sequence[AuroraCellArgs]) -> AuroraGlobalArgs:
        """Args from a validated StackConfig (its `aurora` block) and the wired cells."""
        aurora = config.aurora
        return cls(
            environment=config.environment,
            primary_region=config.primary.name,
            engine_version=aurora.engine_version,
            instance_class=aurora.instance_class,
            instances_per_region=aurora.instances_per_region,
            database_name=aurora.database_name,
            backup_retention_days=aurora.backup_retention_days,
            backup_window=aurora.backup_window,
            maintenance_window=aurora.maintenance_window,
            deletion_protection=aurora.deletion_protection,
            replication_lag_alarm_seconds=aurora.replication_lag_alarm_seconds,
            log_retention_days=config.log_retention_days,
            cells=tuple(cells),
        )

    @property
    def primary(self) -> AuroraCellArgs:
        """The cell where the writer starts."""
        return next(cell for cell in self.cells if cell.region == self.primary_region)

    @property
    def secondaries(self) -> tuple[AuroraCellArgs, ...]:
        """Every other cell, in the given order."""
        return tuple(cell for cell in self.cells if cell.region != self.primary_region)


@dataclass(frozen=True)
class _Member:
    cluster: aws.rds.Cluster
    instances: tuple[aws.rds.ClusterInstance, ...]


class AuroraGlobal(pulumi.ComponentResource):
    """The ledger: an Aurora PostgreSQL global database with one member cluster per cell."""

    global_cluster_id: pulumi.Output[str]
    """`finstack-<env>-ledger`, what drills pass to SwitchoverGlobalCluster / FailoverGlobalCluster."""
    global_cluster_arn: pulumi.Output[str]
    global_writer_endpoint: pulumi.Output[str]
    """Follows the writer across switchovers: the endpoint applications write to."""
    primary_region: str
    """The region where the writer starts (config); AWS may have moved it since."""
    cluster_ids: dict[str, pulumi.Output[str]]
    """Region -> member cluster identifier."""
    cluster_arns: dict[str, pulumi.Output[str]]
    """Region -> member cluster ARN."""
    reader_endpoints: dict[str, pulumi.Output[str]]
    """Region -> the cell's local reader endpoint."""
    master_secret_arn: pulumi.Output[str]
    """The break-glass master credential (ARN only; the value stays in Secrets Manager)."""
    monitoring_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AuroraGlobalArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:data:AuroraGlobal", name, None, opts)
        self._name = name
        self._args = args
        self.primary_region = args.primary_region

        monitoring = self._create_monitoring_role()
        secret, secret_version = self._create_master_secret()
        global_cluster = self._create_global_cluster()
        members: dict[str, _Member] = {}
        members[args.primary_region] = self._create_member(
            args.primary, global_cluster, monitoring, secret_version=secret_version, after=()
        )
        primary = members[args.primary_region]
        for cell in args.secondaries:
            # AWS adds a region only to a global database whose primary cluster already has
            # a writer instance: otherwise CreateDBCluster fails and there is nothing to replicate.
            members[cell.region] = self._create_member(
                cell, global_cluster, monitoring, secret_version=None, after=(primary.cluster, *primary.instances)
            )
            self._create_lag_alarms(cell, members[cell.region].cluster)

        ordered = [cell.region for cell in args.cells]
        self.global_cluster_id = global_cluster.id
        self.global_cluster_arn = global_cluster.arn
        self.global_writer_endpoint = global_cluster.endpoint
        self.cluster_ids = {r: members[r].cluster.cluster_identifier for r in ordered}
        self.cluster_arns = {r: members[r].cluster.arn for r in ordered}
        self.reader_endpoints = {r: members[r].cluster.reader_endpoint for r in ordered}
        self.master_secret_arn = secret.arn
        self.monitoring_role_arn = monitoring.arn
        self.register_outputs(
            {
                "global_cluster_id": self.global_cluster_id,
                "global_cluster_arn": self.global_cluster_arn,
                "global_writer_endpoint": self.global_writer_endpoint,
                "primary_region": self.primary_region,
                "cluster_ids": self.cluster_ids,
                "cluster_arns": self.cluster_arns,
                "reader_endpoints": self.reader_endpoints,
                "master_secret_arn": self.master_secret_arn,
                "monitoring_role_arn": self.monitoring_role_arn,
            }
        )

    # -- global resources ------------------------------------------------------------------
    def _create_monitoring_role(self) -> aws.iam.Role:
        """Enhanced Monitoring role: assumable by RDS monitoring for this account only."""
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        role = aws.iam.Role(
            f"{self._name}-monitoring-role",
            name=monitoring_role_name(self._args.environment),
            description="RDS Enhanced Monitoring of the finstack ledger (OS metrics to CloudWatch Logs)",
            assume_role_policy=account_id.apply(
                lambda account: iam_docs.dumps(
                    iam_docs.assume_role_policy("monitoring.rds.amazonaws.com", source_account=account)
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The AWS managed policy is the documented minimum: it only writes to the RDSOSMetrics
        # log group (`log-group:RDS*`).
        attachment = aws.iam.RolePolicyAttachment(
            f"{self._name}-monitoring-policy",
            role=role.name,
            policy_arn=IAM_ENHANCED_MONITORING_POLICY,
            opts=pulumi.ResourceOptions(parent=role),
        )
        self._monitoring_ready = attachment
        return role

    def _create_master_secret(self) -> tuple[aws.secretsmanager.Secret, aws.secretsmanager.SecretVersion]:
        """The master credential, generated by Secrets Manager and replicated to every cell."""
        args = self._args
        primary = args.primary
        secret = aws.secretsmanager.Secret(
            f"{self._name}-master-secret",
            name=master_secret_name(args.environment),
            description="Break-glass master credential of the finstack ledger (applications use IAM auth)",
            kms_key_id=primary.secrets_key_arn,
            # After a regional failover the surviving cell needs the credential locally,
            # decrypted by its own replica of the secrets key.
            replicas=[
                aws.secretsmanager.SecretReplicaArgs(region=cell.region, kms_key_id=cell.secrets_key_arn)
                for cell in args.secondaries
            ],
            recovery_window_in_days=(
                SECRET_RECOVERY_WINDOW_DAYS
                if keeps_final_snapshot(args.environment)
                else DEV_SECRET_RECOVERY_WINDOW_DAYS
            ),
            region=primary.region,
            tags=cell_tags(primary.region),
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        generated = aws.secretsmanager.get_random_password_output(
            password_length=MASTER_PASSWORD_LENGTH,
            exclude_punctuation=True,
            include_space=False,
            require_each_included_type=True,
            region=primary.region,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        plain: pulumi.Output[str] = generated.random_password.apply(
            lambda password: master_secret_document(password, args.database_name)
        )
        document: pulumi.Output[str] = pulumi.Output.secret(plain)
        version = aws.secretsmanager.SecretVersion(
            f"{self._name}-master-secret-version",
            secret_id=secret.id,
            secret_string=document,
            region=primary.region,
            # GetRandomPassword answers a new password on every run: the first one is kept
            # (and handed to the cluster from this resource's state), and a rotation done in
            # Secrets Manager later is never reverted by `up`.
            opts=pulumi.ResourceOptions(parent=secret, ignore_changes=["secretString"]),
        )
        return secret, version

    def _create_global_cluster(self) -> aws.rds.GlobalCluster:
        """The global database; it owns the engine version of every member (set at creation, upgraded outside `up`)."""
        args = self._args
        return aws.rds.GlobalCluster(
            f"{self._name}-global",
            global_cluster_identifier=global_cluster_identifier(args.environment),
            engine=ENGINE,
            engine_version=args.engine_version,
            storage_encrypted=True,
            deletion_protection=args.deletion_protection,
            # Managed from the primary region's endpoint; the resource itself spans regions.
            region=args.primary_region,
            tags=cell_tags(args.primary_region),
            opts=pulumi.ResourceOptions(
                parent=self,
                # A replace would destroy the ledger: stop it at preview, before anything is created.
                protect=args.deletion_protection,
                # engine_version is the version a new stack is created at. Upgrades happen on the
                # global cluster outside `up` (ModifyGlobalCluster, or the member-by-member minor
                # upgrade AWS documents); after a refresh, `up` would otherwise try to "upgrade" the
                # running version back to config (the provider's ModifyGlobalCluster path), a downgrade
                # AWS refuses, failing `up`. Changing finstack:aurora.engineVersion therefore no longer
                # upgrades anything: the path and its sources are in docs/dr-on-aws.md section 5.
                ignore_changes=list(GLOBAL_IGNORE_CHANGES),
            ),
        )

    # -- one member cluster per cell --------------------------------------------------------
    def _create_member(
        self,
        cell: AuroraCellArgs,
        global_cluster: aws.rds.GlobalCluster,
        monitoring: aws.iam.Role,
        *,
        secret_version: aws.secretsmanager.SecretVersion | None,
        after: Sequence[pulumi.Resource],
    ) -> _Member:
        """Subnet group, parameter group, log group, cluster and instances of one cell.

        `secret_version` is given for the primary only: secondaries inherit the credentials
        from the global database, and AWS rejects a master user on them.
        """
        args, region = self._args, cell.region
        cluster_id = cluster_identifier(args.environment, region)
        tags = cell_tags(region)
        family = parameter_group_family(args.engine_version)
        subnets = aws.rds.SubnetGroup(
            f"{self._name}-{region}-subnets",
            name=cluster_id,
            description=f"Data tier of the {region} cell: the ledger's subnets, no route to the internet",
            subnet_ids=cell.data_subnet_ids,
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        params = aws.rds.ClusterParameterGroup(
            f"{self._name}-{region}-params",
            # The family is in the name: a major upgrade creates the new group beside the old one.
            name=f"{cluster_id}-{family}",
            family=family,
            description="finstack ledger: TLS only, connection and audit logging",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name=p.name, value=p.value, apply_method=p.apply_method)
                for p in cluster_parameters()
            ],
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Created before the cluster: otherwise RDS creates it on the first export, unencrypted
        # and kept forever, and this declaration then fails with "already exists".
        logs = aws.cloudwatch.LogGroup(
            f"{self._name}-{region}-logs",
            name=log_group_name(cluster_id),
            kms_key_id=cell.logs_key_arn,
            retention_in_days=args.log_retention_days,
            # The ledger's audit trail (pgAudit, connections): CloudWatch Logs refuses DeleteLogGroup
            # while deletion protection is on ("Protecting log groups from deletion", CloudWatch Logs
            # User Guide). Follows the cluster's own deletion protection (off in dev, rebuilt daily).
            deletion_protection_enabled=args.deletion_protection,
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        final_snapshot = keeps_final_snapshot(args.environment)
        master_password: pulumi.Output[str] | None = None
        if secret_version is not None:
            master_password = pulumi.Output.secret(secret_version.secret_string.apply(_password))
        cluster = aws.rds.Cluster(
            f"{self._name}-{region}-cluster",
            cluster_identifier=cluster_id,
            engine=ENGINE,
            engine_version=args.engine_version,
            global_cluster_identifier=global_cluster.id,
            # On the primary this waits: AWS applies it the moment a switchover demotes the
            # cluster, so every cell keeps serving writes whichever region holds the writer.
            enable_global_write_forwarding=True,
            database_name=args.database_name if master_password is not None else None,
            master_username=MASTER_USERNAME if master_password is not None else None,
            master_password=master_password,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[cell.db_sg_id],
            db_cluster_parameter_group_name=params.name,
            iam_database_authentication_enabled=True,
            # The RDS Data API, on every member: the drills' split-brain canary writes through it
            # in whichever cell holds the writer (it answers only on a cluster with a writer
            # instance, so a secondary refuses it; Aurora User Guide, "Limitations for the Amazon
            # RDS Data API"). Provisioned Aurora PostgreSQL 16.1+ supports it, not on T classes.
            # The provider passes it to CreateDBCluster and calls EnableHttpEndpoint on a change.
            enable_http_endpoint=True,
            storage_encrypted=True,
            # The data key of this cluster's own region: a replica cluster cannot use a key
            # of another region, and the multi-region replica keeps one key identity per cell.
            kms_key_id=cell.data_key_arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not final_snapshot,
            final_snapshot_identifier=final_snapshot_identifier(args.environment, region) if final_snapshot else None,
            # Keep the automated backups (point-in-time restore) for their retention period
            # even if the cluster itself is deleted by mistake.
            delete_automated_backups=not final_snapshot,
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[logs, *after],
                ignore_changes=list(MEMBER_IGNORE_CHANGES),
                protect=args.deletion_protection,
            ),
        )
        instances = self._create_instances(cell, cluster, subnets, monitoring)
        return _Member(cluster=cluster, instances=instances)

    def _create_instances(
        self,
        cell: AuroraCellArgs,
        cluster: aws.rds.Cluster,
        subnets: aws.rds.SubnetGroup,
        monitoring: aws.iam.Role,
    ) -> tuple[aws.rds.ClusterInstance, ...]:
        """`instances_per_region` instances; instance 1 is created first so it is the writer."""
        args, region = self._args, cell.region
        instances: list[aws.rds.ClusterInstance] = []
        for index in range(args.instances_per_region):
            number = index + 1
            zone: pulumi.Input[str] | None = None
            if cell.availability_zones is not None:
                zone = _zone_of(cell.availability_zones, index)
            # RDS rejects a monitoring role that cannot yet write the metrics, and the first
            # instance of a cluster becomes its writer: create instance 1 before the others.
            depends_on: list[pulumi.Resource] = [self._monitoring_ready, *instances[:1]]
            instances.append(
                aws.rds.ClusterInstance(
                    f"{self._name}-{region}-instance-{number}",
                    identifier=instance_identifier(args.environment, region, number),
                    cluster_identifier=cluster.id,
                    engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                    instance_class=args.instance_class,
                    db_subnet_group_name=subnets.name,
                    availability_zone=zone,
                    publicly_accessible=False,
                    # Minor versions move with the global cluster only: a member upgrading on
                    # its own would leave the global database on mixed versions.
                    auto_minor_version_upgrade=False,
                    ca_cert_identifier=CA_CERT_IDENTIFIER,
                    monitoring_interval=monitoring_interval(args.environment),
                    monitoring_role_arn=monitoring.arn,
                    performance_insights_enabled=True,
                    performance_insights_kms_key_id=cell.data_key_arn,
                    performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
                    promotion_tier=promotion_tier(index),
                    preferred_maintenance_window=args.maintenance_window,
                    copy_tags_to_snapshot=True,
                    region=region,
                    tags=cell_tags(region),
                    # `protect` is inherited from the cluster; an instance is replaceable (the
                    # data lives in the cluster volume), so changing its AZ must stay possible.
                    opts=pulumi.ResourceOptions(parent=cluster, depends_on=depends_on, protect=False),
                )
            )
        return tuple(instances)

    def _create_lag_alarms(self, cell: AuroraCellArgs, cluster: aws.rds.Cluster) -> None:
        """Replication and RPO lag of a secondary, to the cell's alert topic.

        Missing data is treated deliberately per metric. Replication lag: `missing`, with
        INSUFFICIENT_DATA notified, so a secondary that stops reporting (replication broken,
        or it became the writer in a switchover) is announced once as "no data", never
        mistaken for lag nor kept silent. RPO lag: `notBreaching`, since the replication lag
        alarm already reports silence and one outage should not page twice.
        """
        args, region = self._args, cell.region
        cluster_id = cluster_identifier(args.environment, region)
        threshold = lag_threshold_ms(args.replication_lag_alarm_seconds)
        topic = [cell.alert_topic_arn]
        for role, metric, missing, meaning in (
            ("replication-lag", "AuroraGlobalDBReplicationLag", "missing", "replication lag"),
            ("rpo-lag", "AuroraGlobalDBRPOLag", "notBreaching", "recovery point (committed data not yet here)"),
        ):
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{region}-{role}-alarm",
                name=f"{cluster_id}-{role}",
                alarm_description=(
                    f"Ledger {meaning} in {region} above {args.replication_lag_alarm_seconds} s: "
                    "a regional failover now would lose that much. See the DR runbook."
                ),
                namespace="AWS/RDS",
                metric_name=metric,
                dimensions={"DBClusterIdentifier": cluster.cluster_identifier},
                statistic="Maximum",
                period=LAG_ALARM_PERIOD_SECONDS,
                evaluation_periods=LAG_ALARM_EVALUATION_PERIODS,
                datapoints_to_alarm=LAG_ALARM_DATAPOINTS,
                threshold=threshold,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data=missing,
                alarm_actions=topic,
                ok_actions=topic,
                insufficient_data_actions=topic if missing == "missing" else [],
                region=region,
                tags=cell_tags(region),
                opts=pulumi.ResourceOptions(parent=cluster, protect=False),
            )


def _zone_of(zones: pulumi.Input[Sequence[str]], index: int) -> pulumi.Output[str]:
    return pulumi.Output.from_input(zones).apply(lambda listed: availability_zone_for(index, listed))


def _password(document: str | None) -> str:
    if not document:
        raise ValueError("the master secret version has no secret string")
    return password_of(document)
