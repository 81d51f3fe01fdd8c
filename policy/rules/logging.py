"""Logging: every control plane, database, broker and network path leaves an audit trail.

Retention is explicit: CloudWatch's "never expire" (retentionInDays 0 or unset) is a
violation, because it keeps personal data with no end date (GDPR art. 5(1)(e)) and the
platform's audit horizon is a deliberate choice (PCI DSS 10.5.1: at least twelve months in
prod, via the policy config).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from ._log_delivery import log_archive_buckets
from ._util import (
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
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "logging"

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
AURORA_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")

EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Engine -> the log export that carries its audit trail.
AURORA_LOG_EXPORTS = {"aurora-postgresql": "postgresql", "aurora-mysql": "audit"}

AUDIT = Compliance(pci=("10.2.1",), soc2=("CC7.2",), gdpr=("art32", "art33"))

# Aurora PostgreSQL audit trail (Aurora User Guide, "Aurora PostgreSQL database log files" and
# "Using pgAudit to log database activity"): who connected and for how long (log_connections,
# log_disconnections: PCI DSS 10.2.1.1/10.2.1.2 user access and authentication attempts), and
# pgAudit for schema and privilege changes (10.2.1.5 changes to identification and privileges).
# pgAudit only logs once the library is preloaded (a static parameter) *and* pgaudit.log names
# classes; `ddl` and `role` are the minimum, `none` logs nothing.
PG_AUDIT_PARAMETERS: dict[str, str] = {"log_connections": "1", "log_disconnections": "1"}
PG_AUDIT_CLASSES = ("ddl", "role")
# Aurora MySQL: the Advanced Auditing switch (Aurora User Guide, "Using Advanced Auditing with an
# Amazon Aurora MySQL DB cluster"); Security Hub RDS.34 reads the audit log export beside it.
MYSQL_AUDIT_PARAMETERS: dict[str, str] = {"server_audit_logging": "1"}

# Enhanced Monitoring granularities RDS accepts (CreateDBInstance MonitoringInterval: 0, 1, 5, 10,
# 15, 30, 60; 0 turns it off). Security Hub RDS.6 and Checkov CKV_AWS_118 require a non-zero one.
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)


def _vpc_flow_logs(args: StackValidationArgs, report: Report) -> None:
    """Every VPC records accepted and rejected traffic."""
    view = StackView(args.resources)
    flow_logs = view.of_type(FLOW_LOG)
    for vpc in view.of_type(VPC):
        mine = [f for f in flow_logs if vpc in view.references(f, "vpcId", (VPC,))]
        if not any(view.props(f).get("trafficType") == "ALL" for f in mine):
            report(f"VPC {vpc.name} must have a flow log with trafficType ALL.", vpc.urn)


def _eks_control_plane_logs(args: ResourceValidationArgs, report: Report) -> None:
    """EKS ships all five control plane log types."""
    if args.resource_type != EKS_CLUSTER:
        return
    enabled = plain(args.props).get("enabledClusterLogTypes")
    if is_unknown(enabled) or any(is_unknown(t) for t in as_list(enabled)):
        report(unknown_message("EKS cluster enabledClusterLogTypes", ", ".join(EKS_LOG_TYPES)))
        return
    missing = [t for t in EKS_LOG_TYPES if t not in as_list(enabled)]
    if missing:
        report(f"EKS cluster enabledClusterLogTypes must include {', '.join(missing)}.")


def _aurora_log_exports(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora exports its engine log to CloudWatch Logs."""
    if args.resource_type != AURORA_CLUSTER:
        return
    props = plain(args.props)
    wanted = AURORA_LOG_EXPORTS.get(props.get("engine"))  # type: ignore[arg-type]
    if wanted is None:
        return
    exports = props.get("enabledCloudwatchLogsExports")
    if is_unknown(exports):
        report(unknown_message("Aurora cluster enabledCloudwatchLogsExports", f"a list with {wanted}"))
    elif wanted not in as_list(exports):
        report(f"Aurora cluster enabledCloudwatchLogsExports must include {wanted}.")


def _msk_broker_logs(args: ResourceValidationArgs, report: Report) -> None:
    """MSK broker logs go to CloudWatch Logs."""
    if args.resource_type != MSK_CLUSTER:
        return
    enabled = get(plain(args.props), "loggingInfo.brokerLogs.cloudwatchLogs.enabled")
    if is_unknown(enabled):
        report(unknown_message("MSK cluster loggingInfo.brokerLogs.cloudwatchLogs.enabled", "true"))
    elif not is_true(enabled):
        report("MSK cluster loggingInfo.brokerLogs.cloudwatchLogs.enabled must be true.")


def _parameters(props: dict[str, Any]) -> dict[str, Any]:
    """Map name -> value of a parameter group's `parameters` list (unknown sentinels kept)."""
    return {get(p, "name"): get(p, "value") for p in as_list(props.get("parameters")) if isinstance(p, dict)}


def _pg_audit_missing(values: dict[str, Any]) -> list[str]:
    missing = [f"{name}={want}" for name, want in PG_AUDIT_PARAMETERS.items() if str(values.get(name)) != want]
    libraries = [lib.strip() for lib in str(values.get("shared_preload_libraries") or "").split(",")]
    if "pgaudit" not in libraries:
        missing.append("pgaudit in shared_preload_libraries")
    classes = [c.strip().lower() for c in str(values.get("pgaudit.log") or "").split(",")]
    absent = [c for c in PG_AUDIT_CLASSES if c not in classes and "all" not in classes]
    if absent or any(c.startswith("-") for c in classes):
        missing.append(f"pgaudit.log with {', '.join(PG_AUDIT_CLASSES)}")
    return missing


def _parameter_group_audit(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora cluster parameter groups log connections, disconnections and (PostgreSQL) pgAudit classes.

    A cluster on the engine's default group is aurora-cluster-tls-parameter-group's finding: every
    group this stack declares is checked here, so a cluster can only dodge this via that rule.
    """
    if args.resource_type != CLUSTER_PARAMETER_GROUP:
        return
    props = plain(args.props)
    family = props.get("family")
    if is_unknown(family):
        report(unknown_message("Aurora cluster parameter group family", "an aurora-postgresql or aurora-mysql family"))
        return
    if not isinstance(family, str) or not family.startswith(("aurora-postgresql", "aurora-mysql")):
        return
    parameters = props.get("parameters")
    values = _parameters(props)
    if is_unknown(parameters) or any(is_unknown(v) for v in values.values()):
        report(unknown_message("Aurora cluster parameter group parameters", "a list of names and values"))
        return
    if family.startswith("aurora-postgresql"):
        missing = _pg_audit_missing(values)
    else:
        missing = [f"{n}={w}" for n, w in MYSQL_AUDIT_PARAMETERS.items() if str(values.get(n)) != w]
    if missing:
        report(f"Aurora cluster parameter group must set {'; '.join(missing)}.")


def _enhanced_monitoring(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora instances send OS metrics (Enhanced Monitoring) and run Performance Insights."""
    if args.resource_type != AURORA_INSTANCE:
        return
    props = plain(args.props)
    interval = props.get("monitoringInterval")
    shown = ", ".join(str(i) for i in MONITORING_INTERVALS)
    if is_unknown(interval):
        report(unknown_message("Aurora instance monitoringInterval", f"one of {shown}"))
    elif not isinstance(interval, (int, float)) or int(interval) not in MONITORING_INTERVALS:
        report(f"Aurora instance monitoringInterval must be one of {shown}, not {_shown(interval)}.")
    # `present`: the role is normally an output of the stack's monitoring role (unknown at preview).
    role = props.get("monitoringRoleArn")
    if not is_unknown(role) and not (isinstance(role, str) and role.strip()):
        report("Aurora instance monitoringRoleArn must name the Enhanced Monitoring role.")
    insights = props.get("performanceInsightsEnabled")
    if is_unknown(insights):
        report(unknown_message("Aurora instance performanceInsightsEnabled", "true"))
    elif not is_true(insights):
        report("Aurora instance performanceInsightsEnabled must be true.")


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bucket_access_logging(args: StackValidationArgs, report: Report) -> None:
    """Every S3 bucket writes server access logs to another bucket; log targets and log archives are exempt.

    A target logging into itself (or into a bucket that logs back) makes log records about log
    delivery without end (S3 User Guide, "Enabling Amazon S3 server access logging": deliver to a
    separate bucket); a log archive (policy/rules/_log_delivery.py) is the target by design.
    """
    view = StackView(args.resources)
    archives = log_archive_buckets(view)
    logged: set[str] = set()
    targets: set[str] = set()
    for setting in view.of_type(*BUCKET_LOGGING_TYPES):
        props = view.props(setting)
        # targetBucket is normally the log bucket's id, unknown at preview: `present`.
        if props.get("targetBucket") is None:
            continue
        logged |= {b.urn for b in view.references(setting, "bucket", BUCKET_TYPES, keys=("id", "bucket"))}
        targets |= {b.urn for b in view.references(setting, "targetBucket", BUCKET_TYPES, keys=("id", "bucket"))}
    for bucket in view.of_type(*BUCKET_TYPES):
        inline = [get(entry, "targetBucket") for entry in as_list(view.props(bucket).get("loggings"))]
        inline += [get(view.props(bucket), "logging.targetBucket")]
        if (
            bucket.urn in logged
            or bucket.urn in targets
            or bucket.urn in archives
            or any(t is not None for t in inline)
        ):
            continue
        report(
            f"S3 bucket {bucket.name} must have server access logging to a log bucket "
            "(an aws.s3.BucketLogging with targetBucket).",
            bucket.urn,
        )


RETENTION_CONFIG = {
    "minimumRetentionDays": Setting(
        {
            "type": "integer",
            "minimum": 1,
            "default": 365,
            "description": "Shortest allowed retentionInDays (PCI DSS 10.5.1: 365 in prod).",
        }
    ),
}


def _log_retention(args: ResourceValidationArgs, report: Report) -> None:
    """Log groups keep logs at least the configured minimum, and never forever."""
    if args.resource_type != LOG_GROUP:
        return
    minimum = settings(args, RETENTION_CONFIG)["minimumRetentionDays"]
    days: Any = plain(args.props).get("retentionInDays")
    if is_unknown(days):
        report(unknown_message("CloudWatch log group retentionInDays", f"at least {minimum}"))
    elif not days:
        report("CloudWatch log group retentionInDays must be set; never-expire keeps data without an end date.")
    elif days < minimum:
        report(f"CloudWatch log group retentionInDays must be at least {minimum}, not {int(days)}.")


POLICIES = [
    stack_policy(
        name="vpc-flow-logs-all-traffic",
        description="Every VPC must have a flow log that records all traffic.",
        validate=_vpc_flow_logs,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUDIT.with_controls("LOG-VPC-FLOW", security_hub=("EC2.6",), cis=("3.7",)),
        remediation="Add aws.ec2.FlowLog(vpc_id=<vpc>.id, traffic_type='ALL', log_destination=<CMK log group>).",
    ),
    resource_policy(
        name="eks-control-plane-logging",
        description="EKS clusters must send all five control plane log types to CloudWatch Logs.",
        validate=_eks_control_plane_logs,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUDIT.with_controls("LOG-EKS-CONTROL-PLANE", security_hub=("EKS.8",)),
        remediation=f"Set enabledClusterLogTypes={list(EKS_LOG_TYPES)}.",
    ),
    resource_policy(
        name="aurora-log-exports-enabled",
        description="Aurora clusters must export their engine log to CloudWatch Logs.",
        validate=_aurora_log_exports,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT.with_controls("LOG-RDS-CLUSTER", security_hub=("RDS.34", "RDS.37")),
        remediation='Set enabledCloudwatchLogsExports=["postgresql"] (aurora-postgresql).',
    ),
    resource_policy(
        name="msk-broker-logs-enabled",
        description="MSK clusters must send broker logs to CloudWatch Logs.",
        validate=_msk_broker_logs,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT.with_controls("LOG-MSK-BROKER"),
        remediation="Set loggingInfo.brokerLogs.cloudwatchLogs={'enabled': True, 'logGroup': <CMK log group>}.",
    ),
    resource_policy(
        name="cloudwatch-log-group-retention",
        description="CloudWatch log groups must keep logs for the configured minimum and must not keep them forever.",
        validate=_log_retention,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("10.5.1",), soc2=("CC7.2", "C1.2"), gdpr=("art5",), controls=("LOG-CWL-RETENTION",)),
        remediation="Set retentionInDays to the stack's logRetentionDays (365 or more in prod).",
        config=RETENTION_CONFIG,
    ),
    resource_policy(
        name="aurora-parameter-group-audit-logging",
        description="Aurora cluster parameter groups must log connections, disconnections and pgAudit ddl and role.",
        validate=_parameter_group_audit,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT.with_controls("LOG-RDS-CLUSTER", security_hub=("RDS.37",)),
        remediation="Set log_connections=1, log_disconnections=1, shared_preload_libraries with pgaudit and "
        "pgaudit.log=ddl,role (aurora-mysql: server_audit_logging=1); components/aurora_plan.cluster_parameters().",
    ),
    resource_policy(
        name="rds-enhanced-monitoring-enabled",
        description="Aurora instances must have Enhanced Monitoring (with its role) and Performance Insights on.",
        validate=_enhanced_monitoring,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=AUDIT.with_controls("LOG-RDS-MONITORING", security_hub=("RDS.6",)),
        remediation="Set monitoringInterval (15 in prod), monitoringRoleArn=<role trusted by "
        "monitoring.rds.amazonaws.com with AmazonRDSEnhancedMonitoringRole> and performanceInsightsEnabled=True.",
    ),
    stack_policy(
        name="s3-bucket-access-logging",
        description="S3 buckets must write server access logs to a log bucket.",
        validate=_bucket_access_logging,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT.with_controls("LOG-S3-ACCESS", security_hub=("S3.9",)),
        remediation="Add aws.s3.BucketLogging(bucket=<bucket>.id, target_bucket=<regional log bucket>.id, "
        "target_prefix='<bucket>/'); the log bucket's policy lets logging.s3.amazonaws.com PutObject.",
    ),
]
