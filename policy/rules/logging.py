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
    is_false,
    is_true,
    is_unknown,
    landing_zone_owns_account_services,
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
TRAIL = "aws:cloudtrail/trail:Trail"
LIFECYCLE_TYPES = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
# CloudTrail's Insights types (API reference, `InsightSelector.InsightType`).
INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
OBJECT_LOCK_TYPES = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)

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


def _settings_by_bucket(view: StackView, types: tuple[str, ...]) -> dict[str, list[Any]]:
    """Bucket URN -> the settings resources of `types` whose `bucket` names it."""
    found: dict[str, list[Any]] = {}
    for setting in view.of_type(*types):
        for bucket in view.references(setting, "bucket", BUCKET_TYPES, keys=("id", "bucket")):
            found.setdefault(bucket.urn, []).append(setting)
    return found


def _lock_retention_days(view: StackView, locks: list[Any]) -> float:
    """The longest default retention (days) of a bucket's Object Lock configurations; 0 without one."""
    longest = 0.0
    for lock in locks:
        days, years = (
            get(view.props(lock), "rule.defaultRetention.days"),
            get(view.props(lock), "rule.defaultRetention.years"),
        )
        if isinstance(days, (int, float)):
            longest = max(longest, float(days))
        if isinstance(years, (int, float)):
            longest = max(longest, float(years) * 365)
    return longest


def _bucket_lifecycle(args: StackValidationArgs, report: Report) -> None:
    """Every S3 bucket has an enabled lifecycle rule that ends old versions and abandoned uploads.

    A versioned bucket without one keeps every overwritten version and every incomplete multipart
    upload, billed, forever (S3 User Guide, "Managing the lifecycle of objects"). On an Object Locked
    bucket no expiry may come before the lock's default retention ends: the evidence would be
    scheduled away as soon as the lock lets it.
    """
    view = StackView(args.resources)
    lifecycles = _settings_by_bucket(view, LIFECYCLE_TYPES)
    locks = _settings_by_bucket(view, OBJECT_LOCK_TYPES)
    for bucket in view.of_type(*BUCKET_TYPES):
        rules = [
            rule
            for lifecycle in lifecycles.get(bucket.urn, [])
            for rule in as_list(view.props(lifecycle).get("rules"))
            if get(rule, "status") == "Enabled"
        ]
        where = f"S3 bucket {bucket.name}"
        if not rules:
            report(
                f"{where} must have a lifecycle configuration with an Enabled rule (an "
                "aws.s3.BucketLifecycleConfiguration; components/private_bucket.py Lifecycle).",
                bucket.urn,
            )
            continue
        if not any(get(rule, "abortIncompleteMultipartUpload.daysAfterInitiation") is not None for rule in rules):
            report(
                f"{where} lifecycle must abort incomplete multipart uploads (abortIncompleteMultipartUpload).",
                bucket.urn,
            )
        if not any(
            get(rule, "noncurrentVersionExpiration") is not None or as_list(get(rule, "noncurrentVersionTransitions"))
            for rule in rules
        ):
            report(
                f"{where} lifecycle must expire or transition noncurrent versions (noncurrentVersionExpiration).",
                bucket.urn,
            )
        retention = _lock_retention_days(view, locks.get(bucket.urn, []))
        for rule in rules:
            days = get(rule, "expiration.days")
            if isinstance(days, (int, float)) and days < retention:
                report(
                    f"{where} lifecycle must not expire objects after {int(days)} days, before its Object Lock "
                    f"retention of {int(retention)} days ends.",
                    bucket.urn,
                )


def _bucket_eventbridge(args: StackValidationArgs, report: Report) -> None:
    """Every S3 bucket sends its events to EventBridge (aws.s3.BucketNotification eventbridge=True)."""
    view = StackView(args.resources)
    notifications = _settings_by_bucket(view, (NOTIFICATION,))
    for bucket in view.of_type(*BUCKET_TYPES):
        if not any(is_true(view.props(n).get("eventbridge")) for n in notifications.get(bucket.urn, [])):
            report(
                f"S3 bucket {bucket.name} must send its events to EventBridge (an aws.s3.BucketNotification "
                "with eventbridge=True; components/private_bucket.py declare_bucket_guards).",
                bucket.urn,
            )


# --- CloudTrail -------------------------------------------------------------------------------
#
# Security Hub CloudTrail.1 (multi-region trail with read and write management events), .2
# (SSE-KMS), .4 (log file validation), .5 (CloudWatch Logs integration); CIS AWS Foundations 3.1,
# 3.2, 3.5, 3.4 (v1.4 numbering kept by Security Hub); Checkov CKV_AWS_67/36/35, CKV2_AWS_10;
# Trivy AVD-AWS-0014/0016/0015/0162. A trail logs management events unless its selectors leave
# them out: advanced selectors without an `eventCategory = Management` selector record none,
# and a `readOnly` filter on it drops reads (GetSecretValue included).
AUDIT_TRAIL = Compliance(pci=("10.2.1",), soc2=("CC7.2", "CC7.3"), gdpr=("art30", "art32"))


def _management_events_gaps(props: dict[str, Any]) -> str | None:
    """Why the trail does not record every management event, or None."""
    advanced = props.get("advancedEventSelectors")
    if is_unknown(advanced):
        return "advancedEventSelectors is unknown at preview"
    if not as_list(advanced):
        basic = as_list(props.get("eventSelectors"))
        bad = [
            s
            for s in basic
            if get(s, "includeManagementEvents") is False or get(s, "readWriteType") not in (None, "All")
        ]
        return "its event selectors leave out management events or reads" if basic and len(bad) == len(basic) else None
    for selector in as_list(advanced):
        fields = {get(f, "field"): f for f in as_list(get(selector, "fieldSelectors"))}
        if as_list(get(fields.get("eventCategory"), "equals")) == ["Management"]:
            return "its management selector filters readOnly" if "readOnly" in fields else None
    return "no advanced selector records eventCategory Management"


def _trail_multi_region(args: ResourceValidationArgs, report: Report) -> None:
    """The trail records every region, global services and all management events."""
    if args.resource_type != TRAIL:
        return
    props = plain(args.props)
    for flag in ("isMultiRegionTrail", "includeGlobalServiceEvents"):
        value = props.get(flag)
        if is_unknown(value):
            report(unknown_message(f"CloudTrail trail {flag}", "true"))
        elif not is_true(value):
            report(f"CloudTrail trail {flag} must be true.")
    if is_false(props.get("enableLogging")):
        report("CloudTrail trail enableLogging must not be false.")
    gap = _management_events_gaps(props)
    if gap:
        report(f"CloudTrail trail must record all read and write management events; {gap}.")


def _trail_log_validation(args: ResourceValidationArgs, report: Report) -> None:
    """The trail writes signed digest files (log file integrity validation)."""
    if args.resource_type != TRAIL:
        return
    value = plain(args.props).get("enableLogFileValidation")
    if is_unknown(value):
        report(unknown_message("CloudTrail trail enableLogFileValidation", "true"))
    elif not is_true(value):
        report("CloudTrail trail enableLogFileValidation must be true.")


def _trail_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """The trail encrypts its files with a customer managed key (SSE-KMS), not SSE-S3."""
    if args.resource_type != TRAIL:
        return
    key = plain(args.props).get("kmsKeyId")  # `present`: normally the audit key's ARN, unknown at preview
    if not is_unknown(key) and not (isinstance(key, str) and key.strip()):
        report("CloudTrail trail kmsKeyId must name the stack's audit key.")


def _trail_cloudwatch(args: ResourceValidationArgs, report: Report) -> None:
    """The trail delivers to a CloudWatch Logs group (metric filters and alarms read it)."""
    if args.resource_type != TRAIL:
        return
    props = plain(args.props)
    for prop, what in (("cloudWatchLogsGroupArn", "a log group ARN ending in :*"), ("cloudWatchLogsRoleArn", "a role")):
        value = props.get(prop)  # `present`: outputs of the stack's log group and role
        if not is_unknown(value) and not (isinstance(value, str) and value.strip()):
            report(f"CloudTrail trail {prop} must name {what}.")


def _trail_insights(args: ResourceValidationArgs, report: Report) -> None:
    """The trail logs CloudTrail Insights events for unusual API call and error rates."""
    if args.resource_type != TRAIL:
        return
    selectors = as_list(plain(args.props).get("insightSelectors"))
    if any(is_unknown(s) for s in selectors):
        report(unknown_message("CloudTrail trail insightSelectors", ", ".join(INSIGHT_TYPES)))
        return
    present = {get(selector, "insightType") for selector in selectors}
    missing = [t for t in INSIGHT_TYPES if t not in present]
    if missing:
        report(f"CloudTrail trail insightSelectors must include {', '.join(missing)}.")


TRAIL_LOCK_CONFIG = {
    "minimumRetentionDays": Setting(
        {
            "type": "integer",
            "minimum": 1,
            "default": 365,
            "description": "Shortest COMPLIANCE-mode Object Lock retention of the trail bucket (PCI DSS 10.5.1).",
        }
    ),
}


def _trail_bucket_locked(args: StackValidationArgs, report: Report) -> None:
    """The stack has a multi-region trail, and its bucket is write-once for the configured minimum.

    Skipped when a landing zone owns the account's trail (`finstack:security.accountServices`).
    """
    if landing_zone_owns_account_services():
        return
    view = StackView(args.resources)
    minimum = settings(args, TRAIL_LOCK_CONFIG)["minimumRetentionDays"]
    trails = view.of_type(TRAIL)
    if not any(is_true(view.props(t).get("isMultiRegionTrail")) for t in trails):
        report(
            "The stack must declare a multi-region CloudTrail trail (or set finstack:security.accountServices "
            "to landing-zone where the organization's trail covers the account).",
            None,
        )
    locks = _settings_by_bucket(view, OBJECT_LOCK_TYPES)
    for trail in trails:
        for bucket in view.references(trail, "s3BucketName", BUCKET_TYPES, keys=("id", "bucket")):
            where = f"CloudTrail trail {trail.name} bucket {bucket.name}"
            if not is_true(view.props(bucket).get("objectLockEnabled")):
                report(f"{where} must be created with objectLockEnabled true.", bucket.urn)
            retention = [get(view.props(lock), "rule.defaultRetention") for lock in locks.get(bucket.urn, [])]
            if not any(
                get(r, "mode") == "COMPLIANCE"
                and isinstance(get(r, "days"), (int, float))
                and get(r, "days") >= minimum
                for r in retention
            ):
                report(
                    f"{where} must have an Object Lock configuration with COMPLIANCE default retention of at least "
                    f"{minimum} days.",
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
    stack_policy(
        name="s3-bucket-lifecycle-configured",
        description="S3 buckets must have an enabled lifecycle rule for noncurrent versions and incomplete "
        "uploads that expires nothing before their Object Lock retention ends.",
        validate=_bucket_lifecycle,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=Compliance(pci=("10.5.1",), soc2=("C1.2",), gdpr=("art5",)).with_controls(
            "LOG-S3-LIFECYCLE", security_hub=("S3.13",)
        ),
        remediation="Pass lifecycle= to components/private_bucket.declare_private_bucket (evidence_lifecycle("
        "<retention days>) for evidence), or declare aws.s3.BucketLifecycleConfiguration with "
        "noncurrentVersionExpiration and abortIncompleteMultipartUpload.",
    ),
    stack_policy(
        name="s3-bucket-eventbridge-notifications",
        description="S3 buckets must send their events to Amazon EventBridge.",
        validate=_bucket_eventbridge,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=AUDIT.with_controls("LOG-S3-EVENTS", security_hub=("S3.11",)),
        remediation="Declare aws.s3.BucketNotification(bucket=<bucket>.id, eventbridge=True) "
        "(components/private_bucket.declare_bucket_guards does).",
    ),
    resource_policy(
        name="cloudtrail-multi-region",
        description="CloudTrail trails must cover every region and global services and record all management events.",
        validate=_trail_multi_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUDIT_TRAIL.with_controls(
            "LOG-CLOUDTRAIL-MULTI-REGION", security_hub=("CloudTrail.1",), cis=("3.1",)
        ),
        remediation="Set isMultiRegionTrail=True, includeGlobalServiceEvents=True and an advanced event selector "
        "with eventCategory=Management and no readOnly filter (components/audit_trail.py).",
    ),
    resource_policy(
        name="cloudtrail-log-file-validation",
        description="CloudTrail trails must have log file integrity validation on.",
        validate=_trail_log_validation,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("10.3.4",), soc2=("CC7.2",), gdpr=("art32",)).with_controls(
            "LOG-CLOUDTRAIL-VALIDATION", security_hub=("CloudTrail.4",), cis=("3.2",)
        ),
        remediation="Set enableLogFileValidation=True.",
    ),
    resource_policy(
        name="cloudtrail-cmk-encrypted",
        description="CloudTrail trails must encrypt log files with a customer managed KMS key.",
        validate=_trail_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("10.3.2",), soc2=("CC6.1",), gdpr=("art32",)).with_controls(
            "LOG-CLOUDTRAIL-CMK", security_hub=("CloudTrail.2",), cis=("3.5",)
        ),
        remediation="Set kmsKeyId=MultiRegionKeys.arn('audit', <primary region>); the audit key policy lets "
        "cloudtrail.amazonaws.com GenerateDataKey for this trail (components/keys.py).",
    ),
    resource_policy(
        name="cloudtrail-cloudwatch-delivery",
        description="CloudTrail trails must deliver events to a CloudWatch Logs group.",
        validate=_trail_cloudwatch,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT_TRAIL.with_controls("LOG-CLOUDTRAIL-CLOUDWATCH", security_hub=("CloudTrail.5",), cis=("3.4",)),
        remediation="Set cloudWatchLogsGroupArn=<log group ARN>:* and cloudWatchLogsRoleArn=<role trusted by "
        "cloudtrail.amazonaws.com with logs:CreateLogStream and logs:PutLogEvents on the group>.",
    ),
    resource_policy(
        name="cloudtrail-insights-enabled",
        description="CloudTrail trails must log Insights events for unusual API call and error rates.",
        validate=_trail_insights,
        domain=DOMAIN,
        severity=Severity.LOW,
        compliance=Compliance(pci=("11.5.1", "10.2.1"), soc2=("CC7.2", "CC7.3"), gdpr=("art32", "art33")).with_controls(
            "LOG-CLOUDTRAIL-INSIGHTS"
        ),
        remediation=f"Set insightSelectors=[{{'insightType': t}} for t in {list(INSIGHT_TYPES)}] "
        "(components/audit_trail.py INSIGHT_TYPES).",
    ),
    stack_policy(
        name="cloudtrail-bucket-object-locked",
        description="The stack must have a multi-region trail whose bucket is Object Locked in compliance mode.",
        validate=_trail_bucket_locked,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("10.5.1", "10.3.2"), soc2=("CC7.2", "C1.1"), gdpr=("art5", "art32")).with_controls(
            "FIN-AUDIT-IMMUTABLE"
        ),
        remediation="Declare components/audit_trail.AuditTrail (its bucket: objectLockEnabled and a COMPLIANCE "
        "default retention of finstack:security.auditRetentionDays), or set accountServices: landing-zone.",
        config=TRAIL_LOCK_CONFIG,
    ),
]
