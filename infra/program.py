"""The stack program: validated config -> one regional cell per region + the global layer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.alerts import AlertTopic, AlertTopicArgs
from components.audit_trail import AuditTrail, AuditTrailArgs
from components.aurora_global import AuroraCellArgs, AuroraGlobal, AuroraGlobalArgs
from components.aurora_plan import master_secret_name
from components.backup import BackupCellArgs, BackupPlatform, BackupPlatformArgs
from components.cluster_runner import APPLIED_KEY, BUNDLE_KEY, ClusterRunner, ClusterRunnerArgs
from components.dr_control import (
    DrAutomationRoles,
    DrAutomationRolesArgs,
    DrCellArgs,
    DrControl,
    DrControlArgs,
    ScaledWorkload,
)
from components.edge_defence import EdgeDefence, EdgeDefenceArgs, web_acl_name
from components.eks import EksCluster, EksClusterArgs
from components.keys import MultiRegionKeys, MultiRegionKeysArgs
from components.kube_baseline import KubeBaseline, KubeBaselineArgs
from components.log_archive import LogArchive, LogArchiveArgs
from components.msk import MskCellArgs, MskPlatform, MskPlatformArgs
from components.network import CellPeering, CellPeeringArgs, PeeringCell, RegionalNetwork, RegionalNetworkArgs
from components.posture import AccountPosture, AccountPostureArgs, PostureCellArgs
from components.replication_topology import cluster_name as msk_cluster_name
from components.secret_rotation import SecretRotation, SecretRotationArgs
from components.subnet_plan import tier_cidrs
from components.threat_detection import ThreatDetection, ThreatDetectionArgs
from components.traffic import GlobalTraffic, GlobalTrafficArgs, QueryLogArgs, TrafficCellArgs
from infra.config import WAF_MANAGED_GROUPS, ConfigError, RegionConfig, StackConfig, load_stack_config
from infra.placeholders import is_documentation_account, placeholder_problems


def read_config() -> StackConfig:
    """Validate the stack's config before anything is declared.

    Invalid config ends the program with pulumi.RunError: the CLI shows the message
    without a traceback and declares nothing.
    """
    try:
        return load_stack_config(_config_bag())
    except ConfigError as err:
        raise pulumi.RunError("invalid stack config:\n" + "\n".join(err.problems)) from None


def _config_bag() -> dict[str, Any]:
    """All `ns:key` config values the engine handed the program (JSON text for structured ones)."""
    bag: dict[str, Any] = dict(runtime_config.get_config_env())
    bag.update(runtime_config.CONFIG.get())
    return {k: v for k, v in bag.items() if k.startswith(("finstack:", "aws:region"))}


def platform_tags(config: StackConfig) -> dict[str, str]:
    """Tags every taggable resource carries (provider default tags)."""
    return {
        **config.tags,
        "finstack:environment": config.environment,
        "finstack:stack": pulumi.get_stack(),
    }


@dataclass(frozen=True)
class Foundation:
    """What every later layer (EKS, Aurora, MSK, traffic, DR) builds on."""

    provider: aws.Provider
    account_id: pulumi.Output[str]
    keys: MultiRegionKeys
    networks: dict[str, RegionalNetwork]
    alerts: dict[str, AlertTopic]
    peering: CellPeering | None
    log_archives: dict[str, LogArchive]
    """Region -> the cell's access-log bucket (ALB access logs, S3 server access logs)."""


@dataclass(frozen=True)
class SecurityOperations:
    """The audit trail (None when a landing zone owns it) and each cell's threat detection."""

    audit: AuditTrail | None
    detections: dict[str, ThreatDetection]


def build(config: StackConfig) -> None:
    """Declare the whole platform; export the `dr` document the drills read and the `dns` delegation."""
    foundation = build_foundation(config)
    opts = pulumi.ResourceOptions(provider=foundation.provider)
    dr_roles = _dr_roles(config, foundation, opts)
    clusters = {cell.name: _eks(config, cell, foundation, dr_roles, opts) for cell in config.regions}
    runners: dict[str, ClusterRunner] = {}
    for cell in config.regions:
        _kube_baseline(config, cell, foundation, clusters[cell.name], opts)
        runners[cell.name] = _cluster_runner(config, cell, foundation, clusters[cell.name], opts)
    aurora = _aurora(config, foundation, opts)
    _backup(config, foundation, aurora, opts)
    _secret_rotation(config, foundation, aurora, opts)
    msk = _msk(config, foundation, opts)
    traffic = _traffic(config, foundation, opts)
    _edge_defence(config, foundation, traffic, opts)
    security = _audit_and_detection(config, foundation, runners, dr_roles, opts)
    dr = _dr_control(config, foundation, dr_roles, clusters, aurora, msk, traffic, security, opts)
    posture = _posture(config, foundation, opts)
    _access_logs(config, foundation, dr_roles, runners, security.audit, posture)
    pulumi.export("dr", dr_document(config, clusters, aurora, msk, traffic, dr, dr_roles))
    pulumi.export("inCluster", in_cluster_document(config, runners))
    pulumi.export("dns", dns_document(config, traffic))


def manifest_dir_of(stack: str, region: str) -> str:
    """Where the cell's Kubernetes objects are rendered, relative to the project directory."""
    return f".finstack/{stack}/manifests/{region}"


def in_cluster_document(config: StackConfig, runners: dict[str, ClusterRunner]) -> pulumi.Output[dict[str, Any]]:
    """The `inCluster` stack output (README contract): how `finstack up` reaches each cell's runner."""
    return pulumi.Output.from_input(
        {
            cell.name: {
                "manifestDir": manifest_dir_of(pulumi.get_stack(), cell.name),
                "projectName": runners[cell.name].project_name,
                "bundleBucket": runners[cell.name].bundle_bucket,
                "bundleKey": BUNDLE_KEY,
                "bundleKmsKeyArn": runners[cell.name].bundle_key_arn,
                "appliedKey": APPLIED_KEY,
                "logGroupName": runners[cell.name].log_group_name,
            }
            for cell in config.regions
        }
    )


def dns_document(config: StackConfig, traffic: GlobalTraffic) -> pulumi.Output[dict[str, Any]]:
    """The `dns` stack output (README): the zone and the name servers its parent must delegate to.

    `delegationVerified` is true only when this `up` waited for the certificates: ACM issues
    them only after resolving their validation records through public DNS, which needs the
    delegation (an `up` that times out writes no outputs).
    """
    return pulumi.Output.from_input(
        {
            "domain": config.domain,
            "zoneId": traffic.zone_id,
            "zoneCreated": traffic.zone_created,
            "nameServers": traffic.name_servers,
            "dsRecord": traffic.ds_record,
            "certificateValidation": config.traffic.certificate_validation,
            "delegationVerified": not traffic.listeners_deferred,
        }
    )


def dr_document(
    config: StackConfig,
    clusters: dict[str, EksCluster],
    aurora: AuroraGlobal,
    msk: MskPlatform,
    traffic: GlobalTraffic,
    dr: DrControl,
    dr_roles: DrAutomationRoles,
) -> pulumi.Output[dict[str, Any]]:
    """The `dr` stack output (contract in the README): everything a drill needs, nothing secret."""
    regions = {
        cell.name: {
            "auroraClusterArn": aurora.cluster_arns[cell.name],
            "auroraClusterId": aurora.cluster_ids[cell.name],
            "eksCluster": clusters[cell.name].cluster_name,
            "nodegroups": clusters[cell.name].nodegroup_names,
            "mskClusterArn": msk.cluster_arns[cell.name],
            "replicatorArn": msk.replicator_arns.get(cell.name),
            "healthCheckId": traffic.health_check_ids[cell.name],
            "routingControlArn": (dr.routing_control_arns or {}).get(cell.name),
            "apiHostname": traffic.api_hostnames[cell.name],
            "breakGlassSecretArn": aurora.master_secret_arn.apply(_replica_arn_in(cell.name)),
        }
        for cell in config.regions
    }
    return pulumi.Output.from_input(
        {
            "environment": config.environment,
            "primaryRegion": config.primary.name,
            "globalClusterId": aurora.global_cluster_id,
            "automationRoleArn": dr_roles.automation_role_arn,
            "arcPlanArn": dr.plan_arn,
            "routingControlClusterArn": dr.routing_control_cluster_arn,
            # The data plane's endpoints and the safety rules a fence may override, so a drill
            # never calls the control-config API (us-west-2 only) during a recovery.
            "arcClusterEndpoints": traffic.arc_cluster_endpoints,
            "arcSafetyRuleArns": traffic.safety_rule_arns,
            "regions": regions,
        }
    )


def _replica_arn_in(region: str) -> Callable[[str], str]:
    """The secret's replica in `region`.

    A replica keeps the primary's name and ARN suffix, only the region differs ("Replicate AWS
    Secrets Manager secrets across Regions", Secrets Manager User Guide).
    """

    def replica(primary_arn: str) -> str:
        parts = primary_arn.split(":")
        return ":".join([*parts[:3], region, *parts[4:]]) if len(parts) > 4 else primary_arn

    return replica


def _dr_roles(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> DrAutomationRoles:
    operators = tuple(arn for arn in (config.eks.admin_role_arn,) if arn)
    args = DrAutomationRolesArgs(
        environment=config.environment,
        primary_region=config.primary.name,
        regions=tuple(cell.name for cell in config.regions),
        account_id=foundation.account_id,
        arc_enabled=config.traffic.arc_enabled,
        report_key_arn=foundation.keys.arn("logs", config.primary.name) if config.traffic.arc_enabled else None,
        operator_role_arns=operators,
        secrets_key_arns=tuple(foundation.keys.arn("secrets", cell.name) for cell in config.regions),
        eks_scaling=_region_switch_scales_eks(config),
        # A second person if configured; else the operators, who then act as a role the drill is not.
        approver_principal_arns=(config.traffic.approver_role_arn,) if config.traffic.approver_role_arn else operators,
    )
    return DrAutomationRoles("dr-roles", args, opts)


def _region_switch_scales_eks(config: StackConfig) -> bool:
    """The Region switch plan has an EKS scaling step: ARC on and workloads listed to scale."""
    return config.traffic.arc_enabled and bool(config.traffic.scaled_workloads)


def _eks(
    config: StackConfig,
    cell: RegionConfig,
    foundation: Foundation,
    dr_roles: DrAutomationRoles,
    opts: pulumi.ResourceOptions,
) -> EksCluster:
    eks, keys, network = config.eks, foundation.keys, foundation.networks[cell.name]
    args = EksClusterArgs(
        region=cell.name,
        environment=config.environment,
        version=eks.version,
        node_instance_types=eks.node_instance_types,
        node_min_size=eks.node_min_size,
        node_desired_size=eks.node_desired_size,
        node_max_size=eks.node_max_size,
        node_disk_gib=eks.node_disk_gib,
        public_access_cidrs=tuple(str(cidr) for cidr in eks.public_access_cidrs),
        app_subnet_ids=network.app_subnet_ids,
        app_sg_id=network.app_sg_id,
        secrets_key_arn=keys.arn("secrets", cell.name),
        ebs_key_arn=keys.arn("data", cell.name),
        logs_key_arn=keys.arn("logs", cell.name),
        log_retention_days=config.log_retention_days,
        admin_role_arn=eks.admin_role_arn,
        readonly_role_arn=eks.readonly_role_arn,
        dr_role_arn=dr_roles.automation_role_arn,
        addons=eks.addons,
        # The plan's execution role scales the listed workloads through its own access entry.
        region_switch_role_arn=dr_roles.plan_execution_role_arn if _region_switch_scales_eks(config) else None,
        region_switch_namespaces=tuple(sorted({w.namespace for w in config.traffic.scaled_workloads}))
        if _region_switch_scales_eks(config)
        else (),
    )
    return EksCluster(f"eks-{cell.name}", args, opts)


def _kube_baseline(
    config: StackConfig,
    cell: RegionConfig,
    foundation: Foundation,
    cluster: EksCluster,
    opts: pulumi.ResourceOptions,
) -> KubeBaseline:
    args = KubeBaselineArgs(
        region=cell.name,
        cluster_name=cluster.cluster_name,
        endpoint=cluster.endpoint,
        certificate_authority=cluster.certificate_authority,
        namespaces=config.namespaces,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer=cluster.oidc_issuer,
        account_id=foundation.account_id,
        kubernetes_version=config.eks.version,
        auth_role_arn=config.eks.admin_role_arn,
        kafka_cluster_name=msk_cluster_name(config.environment, cell.name),
        ebs_key_arn=foundation.keys.arn("data", cell.name),
        # The cell's planned tier subnets: the namespaces' egress allows to Aurora, MSK and the endpoints.
        data_cidrs=tuple(str(c) for c in tier_cidrs(cell.cidr, cell.azs, "data")),
        endpoint_cidrs=tuple(str(c) for c in tier_cidrs(cell.cidr, cell.azs, "endpoints")),
        # Rendered, never applied from here: the cell's runner applies them inside the VPC.
        manifest_dir=manifest_dir_of(pulumi.get_stack(), cell.name),
    )
    return KubeBaseline(f"kube-{cell.name}", args, opts)


def _cluster_runner(
    config: StackConfig,
    cell: RegionConfig,
    foundation: Foundation,
    cluster: EksCluster,
    opts: pulumi.ResourceOptions,
) -> ClusterRunner:
    network = foundation.networks[cell.name]
    args = ClusterRunnerArgs(
        region=cell.name,
        environment=config.environment,
        account_id=foundation.account_id,
        cluster_name=cluster.cluster_name,
        cluster_arn=cluster.cluster_arn,
        vpc_id=network.vpc_id,
        app_subnet_ids=network.app_subnet_ids,
        app_sg_id=network.app_sg_id,
        logs_key_arn=foundation.keys.arn("logs", cell.name),
        log_retention_days=config.log_retention_days,
    )
    return ClusterRunner(f"runner-{cell.name}", args, opts)


def _traffic(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> GlobalTraffic:
    # Route 53 health-check metrics exist only in us-east-1: the alarms (and their topic) live there.
    alarm_topic = foundation.alerts["us-east-1"].topic_arn if "us-east-1" in foundation.alerts else None
    args = GlobalTrafficArgs(
        environment=config.environment,
        domain=config.domain,
        primary_region=config.primary.name,
        cells=tuple(
            TrafficCellArgs(
                region=cell.name,
                public_subnet_ids=foundation.networks[cell.name].public_subnet_ids,
                lb_sg_id=foundation.networks[cell.name].lb_sg_id,
                access_log_bucket=foundation.log_archives[cell.name].bucket_name,
            )
            for cell in config.regions
        ),
        health_check_path=config.traffic.health_check_path,
        arc_enabled=config.traffic.arc_enabled,
        certificate_validation=config.traffic.certificate_validation,
        hosted_zone_id=config.traffic.hosted_zone_id,
        alarm_topic_arn=alarm_topic,
        # Query logs go to us-east-1 only, under that cell's logs key; no such cell, no key there.
        query_log=QueryLogArgs(
            logs_key_arn=foundation.keys.arn("logs", "us-east-1"),
            retention_days=config.log_retention_days,
            account_id=foundation.account_id,
        )
        if "us-east-1" in foundation.alerts
        else None,
        # DNSSEC signs only with a us-east-1 key (components/zone_signing.py); no such cell, no signing.
        dnssec_account_id=foundation.account_id if "us-east-1" in foundation.alerts else None,
    )
    return GlobalTraffic("traffic", args, opts)


def _edge_defence(
    config: StackConfig, foundation: Foundation, traffic: GlobalTraffic, opts: pulumi.ResourceOptions
) -> dict[str, EdgeDefence]:
    """A web ACL in front of every cell's internet-facing ALB (each cell has exactly one)."""
    waf = config.security.waf
    return {
        cell.name: EdgeDefence(
            f"edge-{cell.name}",
            EdgeDefenceArgs(
                region=cell.name,
                environment=config.environment,
                load_balancer_arn=traffic.load_balancer_arns[cell.name],
                logs_key_arn=foundation.keys.arn("logs", cell.name),
                alarm_topic_arn=foundation.alerts[cell.name].topic_arn,
                rate_limit=waf.rate_limit,
                rate_window_seconds=waf.rate_window_seconds,
                log_retention_days=config.log_retention_days,
                managed_groups=WAF_MANAGED_GROUPS,
                rule_overrides=waf.rule_overrides,
            ),
            opts,
        )
        for cell in config.regions
    }


def _access_logs(
    config: StackConfig,
    foundation: Foundation,
    dr_roles: DrAutomationRoles,
    runners: dict[str, ClusterRunner],
    audit: AuditTrail | None,
    posture: AccountPosture | None,
) -> None:
    """S3 server access logging of every platform bucket into its region's log archive.

    The archive must be in the source bucket's region (S3 PutBucketLogging: logs are saved to a
    bucket in the source bucket's region), hence one archive per cell.
    """
    for cell in config.regions:
        archive = foundation.log_archives[cell.name]
        name = f"runner-{cell.name}-bundles"
        archive.log_bucket(f"{name}-access-logs", runners[cell.name].bundle_bucket, name)
    if dr_roles.report_bucket_name is not None:
        archive = foundation.log_archives[config.primary.name]
        archive.log_bucket("dr-reports-access-logs", dr_roles.report_bucket_name, "dr-reports")
    if audit is not None:
        archive = foundation.log_archives[config.primary.name]
        archive.log_bucket("audit-bucket-access-logs", audit.bucket_name, "audit-bucket")
    if posture is not None:
        for cell in config.regions:
            name = f"posture-config-{cell.name}"
            foundation.log_archives[cell.name].log_bucket(
                f"{name}-access-logs", posture.config_bucket_names[cell.name], name
            )


def _dr_control(
    config: StackConfig,
    foundation: Foundation,
    dr_roles: DrAutomationRoles,
    clusters: dict[str, EksCluster],
    aurora: AuroraGlobal,
    msk: MskPlatform,
    traffic: GlobalTraffic,
    security: SecurityOperations,
    opts: pulumi.ResourceOptions,
) -> DrControl:
    arc = config.traffic.arc_enabled
    cells = tuple(
        DrCellArgs(
            region=cell.name,
            eks_cluster_name=clusters[cell.name].cluster_name,
            aurora_cluster_arn=aurora.cluster_arns[cell.name],
            aurora_cluster_id=aurora.cluster_ids[cell.name],
            health_check_id=traffic.health_check_ids[cell.name],
            health_alarm_arn=traffic.health_alarm_arns[cell.name],
            routing_control_arn=(traffic.routing_control_arns or {}).get(cell.name),
            replicator_arn=msk.replicator_arns.get(cell.name),
            load_balancer_arn_suffix=traffic.load_balancer_arn_suffixes[cell.name],
            waf_web_acl_name=web_acl_name(config.environment, cell.name),
            findings_rule_name=security.detections[cell.name].findings_rule_name,
        )
        for cell in config.regions
    )
    args = DrControlArgs(
        environment=config.environment,
        primary_region=config.primary.name,
        account_id=foundation.account_id,
        global_cluster_id=aurora.global_cluster_id,
        cells=cells,
        automation_role_name=dr_roles.automation_role_name,
        arc_enabled=arc,
        plan_execution_role_arn=dr_roles.plan_execution_role_arn,
        plan_execution_role_name=dr_roles.plan_execution_role_name,
        approver_role_arn=dr_roles.approver_role_arn,
        routing_control_cluster_arn=traffic.routing_control_cluster_arn,
        report_bucket_name=dr_roles.report_bucket_name,
        report_key_arn=foundation.keys.arn("logs", config.primary.name) if arc else None,
        scaled_workloads=tuple(
            ScaledWorkload(w.namespace, w.deployment, w.hpa_name) for w in config.traffic.scaled_workloads
        ),
        replication_lag_alarm_seconds=config.aurora.replication_lag_alarm_seconds,
        # ARC evaluates the plan at creation: its execution role's EKS access must exist first.
        plan_prerequisites=tuple(r for cell in config.regions for r in clusters[cell.name].region_switch_access),
        report_retention_days=config.security.audit_retention_days,
    )
    return DrControl("dr", args, opts)


def _audit_and_detection(
    config: StackConfig,
    foundation: Foundation,
    runners: dict[str, ClusterRunner],
    dr_roles: DrAutomationRoles,
    opts: pulumi.ResourceOptions,
) -> SecurityOperations:
    """The audit trail (primary region) and each cell's threat detection (issue 19).

    With `security.accountServices: landing-zone` the landing zone owns the trail, GuardDuty and
    Macie: none is declared here (finstack's preflight verifies them); the cells still route
    findings and RDS events to their alert topics.
    """
    own = config.security.account_services == "stack"
    primary = config.primary.name
    buckets: dict[str, list[pulumi.Input[str]]] = {
        cell.name: [runners[cell.name].bundle_bucket] for cell in config.regions
    }
    if dr_roles.report_bucket_name is not None:
        buckets[primary].append(dr_roles.report_bucket_name)
    if own:
        trail = AuditTrailArgs(
            environment=config.environment,
            home_region=primary,
            account_id=foundation.account_id,
            audit_key_arn=foundation.keys.arn("audit", primary),
            logs_key_arn=foundation.keys.arn("logs", primary),
            retention_days=config.security.audit_retention_days,
            log_retention_days=config.log_retention_days,
            data_bucket_names=tuple(b for cell in config.regions for b in buckets[cell.name]),
        )
        audit: AuditTrail | None = AuditTrail("audit", trail, opts)
    else:
        audit = None
    detections: dict[str, ThreatDetection] = {}
    for cell in config.regions:
        args = ThreatDetectionArgs(
            region=cell.name,
            environment=config.environment,
            account_id=foundation.account_id,
            alert_topic_arn=foundation.alerts[cell.name].topic_arn,
            account_services=own,
            discovery_bucket_names=tuple(buckets[cell.name]),
        )
        detections[cell.name] = ThreatDetection(f"detection-{cell.name}", args, opts)
    return SecurityOperations(audit, detections)


def _posture(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> AccountPosture | None:
    """Security Hub, AWS Config and the PCI conformance pack, unless a landing zone owns them."""
    if config.security.account_services == "landing-zone":
        return None  # verified by the real-mode preflight instead (finstack/preflight)
    cells = tuple(
        PostureCellArgs(
            cell.name, foundation.keys.arn("logs", cell.name), tuple(foundation.networks[cell.name].bpa_exclusions)
        )
        for cell in config.regions
    )
    args = AccountPostureArgs(
        config.environment,
        config.primary.name,
        foundation.account_id,
        cells,
        config.security.config_service_role,
        retention_days=config.security.audit_retention_days,
    )
    return AccountPosture("posture", args, opts)


def _aurora(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> AuroraGlobal:
    keys = foundation.keys
    cells = tuple(
        AuroraCellArgs(
            region=cell.name,
            data_subnet_ids=foundation.networks[cell.name].data_subnet_ids,
            db_sg_id=foundation.networks[cell.name].db_sg_id,
            data_key_arn=keys.arn("data", cell.name),
            secrets_key_arn=keys.arn("secrets", cell.name),
            logs_key_arn=keys.arn("logs", cell.name),
            alert_topic_arn=foundation.alerts[cell.name].topic_arn,
            availability_zones=foundation.networks[cell.name].availability_zones,
        )
        for cell in config.regions
    )
    return AuroraGlobal("aurora", AuroraGlobalArgs.from_config(config, cells), opts)


def _backup(
    config: StackConfig, foundation: Foundation, aurora: AuroraGlobal, opts: pulumi.ResourceOptions
) -> BackupPlatform:
    backup = config.security.backup
    cells = tuple(
        BackupCellArgs(
            region=cell.name,
            backup_key_arn=foundation.keys.arn("backup", cell.name),
            cluster_arns=(aurora.cluster_arns[cell.name],),
            alert_topic_arn=foundation.alerts[cell.name].topic_arn,
        )
        for cell in config.regions
    )
    args = BackupPlatformArgs(
        environment=config.environment,
        account_id=foundation.account_id,
        cells=cells,
        retention_days=backup.retention_days,
        continuous=backup.continuous,
        lock_min_retention_days=backup.lock_min_retention_days,
        lock_max_retention_days=backup.lock_max_retention_days,
        lock_changeable_days=backup.lock_changeable_days,
    )
    return BackupPlatform("backup", args, opts)


def _secret_rotation(
    config: StackConfig, foundation: Foundation, aurora: AuroraGlobal, opts: pulumi.ResourceOptions
) -> SecretRotation:
    """Rotation of the ledger's break-glass master secret (issue 19), in the secret's primary region."""
    primary = config.primary.name
    args = SecretRotationArgs(
        environment=config.environment,
        home_region=primary,
        account_id=foundation.account_id,
        secret_arn=aurora.master_secret_arn,
        secret_name=master_secret_name(config.environment),
        global_cluster_id=aurora.global_cluster_id,
        global_cluster_arn=aurora.global_cluster_arn,
        cluster_arns=aurora.cluster_arns,
        secrets_key_arns={cell.name: foundation.keys.arn("secrets", cell.name) for cell in config.regions},
        logs_key_arn=foundation.keys.arn("logs", primary),
        log_retention_days=config.log_retention_days,
        deletion_protection=config.aurora.deletion_protection,
        # The first rotation needs the writer's Data API: wait for every member and instance.
        after=(aurora,),
    )
    return SecretRotation("ledger-rotation", args, opts)


def _msk(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> MskPlatform:
    keys, msk = foundation.keys, config.msk
    cells = tuple(
        MskCellArgs(
            region=cell.name,
            data_subnet_ids=foundation.networks[cell.name].data_subnet_ids,
            kafka_sg_id=foundation.networks[cell.name].kafka_sg_id,
            streaming_key_arn=keys.arn("streaming", cell.name),
            logs_key_arn=keys.arn("logs", cell.name),
            alert_topic_arn=foundation.alerts[cell.name].topic_arn,
        )
        for cell in config.regions
    )
    args = MskPlatformArgs(
        environment=config.environment,
        kafka_version=msk.kafka_version,
        broker_instance_type=msk.broker_instance_type,
        brokers_per_az=msk.brokers_per_az,
        volume_gib=msk.volume_gib,
        max_volume_gib=msk.max_volume_gib,
        default_replication_factor=msk.default_replication_factor,
        min_insync_replicas=msk.min_insync_replicas,
        topics=msk.topics,
        namespaces=config.namespaces,
        log_retention_days=config.log_retention_days,
        cells=cells,
        primary_region=config.primary.name,
    )
    return MskPlatform("msk", args, opts)


def build_foundation(config: StackConfig) -> Foundation:
    """Provider, keys, and per cell its network and alert topic; then the peering mesh."""
    provider = aws.Provider(
        "aws",
        region=config.aws_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=platform_tags(config)),
    )
    refuse_placeholders(config, provider)
    opts = pulumi.ResourceOptions(provider=provider)
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
    keys = _keys(config, account_id, opts)
    networks = {cell.name: _network(config, cell, keys, opts) for cell in config.regions}
    alerts = {
        cell.name: AlertTopic(
            f"alerts-{cell.name}",
            AlertTopicArgs(region=cell.name, secrets_key_arn=keys.arn("secrets", cell.name)),
            opts,
        )
        for cell in config.regions
    }
    archives = {
        cell.name: LogArchive(
            f"logs-{cell.name}",
            LogArchiveArgs(
                region=cell.name,
                environment=config.environment,
                account_id=account_id,
                retention_days=config.log_retention_days,
            ),
            opts,
        )
        for cell in config.regions
    }
    return Foundation(provider, account_id, keys, networks, alerts, _peering(config, networks, opts), archives)


def refuse_placeholders(config: StackConfig, provider: aws.Provider) -> None:
    """End the program before any cloud resource is declared if placeholders would reach a real account.

    Documentation values (`infra/placeholders.py`) are fine only in a documentation account: the
    offline engine's and the emulator's. The account is asked synchronously through the explicit
    provider, so the provider is the only resource registered when this refuses.
    """
    problems = placeholder_problems(config)
    if not problems:
        return
    account = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
    if is_documentation_account(account):
        return
    raise pulumi.RunError(
        f"placeholder values would reach AWS account {account}; replace them before deploying:\n" + "\n".join(problems)
    )


def _keys(config: StackConfig, account_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> MultiRegionKeys:
    return MultiRegionKeys(
        "keys",
        MultiRegionKeysArgs(
            environment=config.environment,
            primary_region=config.primary.name,
            regions=tuple(cell.name for cell in config.regions),
            deletion_window_days=config.keys.deletion_window_days,
            account_id=account_id,
            autoscaling_service_role=config.keys.auto_scaling_service_role,
        ),
        opts,
    )


def _network(
    config: StackConfig, cell: RegionConfig, keys: MultiRegionKeys, opts: pulumi.ResourceOptions
) -> RegionalNetwork:
    return RegionalNetwork(
        f"cell-{cell.name}",
        RegionalNetworkArgs(
            region=cell.name,
            cidr=str(cell.cidr),
            azs=cell.azs,
            environment=config.environment,
            nat_gateways=config.network.nat_gateways,
            log_retention_days=config.log_retention_days,
            logs_key_arn=keys.arn("logs", cell.name),
            peer_app_cidrs=_peer_app_cidrs(config, cell),
            zone_ids=cell.zone_ids or (),
        ),
        opts,
    )


def _peered(config: StackConfig) -> bool:
    return config.network.cross_region_peering and len(config.regions) > 1


def _peer_app_cidrs(config: StackConfig, cell: RegionConfig) -> tuple[str, ...]:
    """The other cells' app subnets, from their subnet plans: what this cell's app tier admits."""
    if not _peered(config):
        return ()
    peers = [other for other in config.regions if other.name != cell.name]
    return tuple(str(cidr) for other in peers for cidr in tier_cidrs(other.cidr, other.azs, "app"))


def _peering(
    config: StackConfig, networks: dict[str, RegionalNetwork], opts: pulumi.ResourceOptions
) -> CellPeering | None:
    if not _peered(config):
        return None
    cells = tuple(PeeringCell.of(networks[cell.name]) for cell in config.regions)
    return CellPeering("peering", CellPeeringArgs(cells=cells), opts)


def main() -> None:
    """Program entry: validate config, then build."""
    build(read_config())
