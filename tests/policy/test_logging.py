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


# --- aurora-parameter-group-audit-logging ---------------------------------------------------------------


def _with_parameter(props, name, value):
    """`props` with parameter `name` set to `value` (DELETE removes it)."""
    kept = [p for p in props["parameters"] if p["name"] != name]
    if value is not DELETE:
        kept.append({"name": name, "value": value, "applyMethod": "immediate"})
    return {**props, "parameters": kept}


def test_aurora_parameter_group_audit_logging__audited_group_passes():
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, f.parameter_group()) == []


@pytest.mark.parametrize(
    ("name", "value", "missing"),
    [
        ("log_connections", "0", "log_connections=1"),
        ("log_connections", DELETE, "log_connections=1"),
        ("log_disconnections", "0", "log_disconnections=1"),
        ("shared_preload_libraries", "pg_stat_statements", "pgaudit in shared_preload_libraries"),
        ("shared_preload_libraries", "pg_stat_statements,pgaudit_extra", "pgaudit in shared_preload_libraries"),
        ("pgaudit.log", "none", "pgaudit.log with ddl, role"),
        ("pgaudit.log", "ddl", "pgaudit.log with ddl, role"),
        ("pgaudit.log", "all,-role", "pgaudit.log with ddl, role"),
        ("pgaudit.log", DELETE, "pgaudit.log with ddl, role"),
    ],
)
def test_aurora_parameter_group_audit_logging__missing_audit_parameter_fails(name, value, missing):
    props = _with_parameter(f.parameter_group(), name, value)
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == [
        f"Aurora cluster parameter group must set {missing}."
    ]


@pytest.mark.parametrize("classes", ["ddl,role", "DDL, ROLE, write", "all"])
def test_aurora_parameter_group_audit_logging__wider_pgaudit_classes_pass(classes):
    props = _with_parameter(f.parameter_group(), "pgaudit.log", classes)
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == []


def test_aurora_parameter_group_audit_logging__empty_group_names_everything():
    props = {**f.parameter_group(), "parameters": []}
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == [
        "Aurora cluster parameter group must set log_connections=1; log_disconnections=1; pgaudit in "
        "shared_preload_libraries; pgaudit.log with ddl, role."
    ]


def test_aurora_parameter_group_audit_logging__mysql_needs_advanced_auditing():
    props = {**f.parameter_group(), "family": "aurora-mysql8.0", "parameters": []}
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == [
        "Aurora cluster parameter group must set server_audit_logging=1."
    ]
    props = _with_parameter(props, "server_audit_logging", "1")
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == []


def test_aurora_parameter_group_audit_logging__other_families_ignored():
    props = {**f.parameter_group(), "family": "postgres16", "parameters": []}
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == []


@pytest.mark.parametrize(
    "change",
    [{"parameters": UNKNOWN_ARRAY}, {"family": UNKNOWN}],
)
def test_aurora_parameter_group_audit_logging__unknown_list_or_family_fails(change):
    props = edit(f.parameter_group(), change)
    [message] = check("aurora-parameter-group-audit-logging", f.T_PARAMS, props)
    assert message.startswith("Aurora cluster parameter group ") and "is unknown at preview" in message


def test_aurora_parameter_group_audit_logging__unknown_value_fails():
    props = _with_parameter(f.parameter_group(), "log_connections", UNKNOWN)
    assert check("aurora-parameter-group-audit-logging", f.T_PARAMS, props) == [
        "Aurora cluster parameter group parameters is unknown at preview; it must be a list of names and values as a "
        "literal so the policy can prove it."
    ]


# --- rds-enhanced-monitoring-enabled -----------------------------------------------------------------------


@pytest.mark.parametrize("interval", [1, 5, 10, 15, 30, 60, 15.0])
def test_rds_enhanced_monitoring_enabled__monitored_instance_passes(interval):
    props = edit(f.monitored_instance(), {"monitoringInterval": interval})
    assert check("rds-enhanced-monitoring-enabled", f.T_INSTANCE, props) == []


@pytest.mark.parametrize(("interval", "shown"), [(0, "0"), (DELETE, "unset"), (120, "120"), (20, "20")])
def test_rds_enhanced_monitoring_enabled__interval_off_or_invalid_fails(interval, shown):
    props = edit(f.monitored_instance(), {"monitoringInterval": interval})
    assert check("rds-enhanced-monitoring-enabled", f.T_INSTANCE, props) == [
        f"Aurora instance monitoringInterval must be one of 1, 5, 10, 15, 30, 60, not {shown}."
    ]


@pytest.mark.parametrize("role", [DELETE, "", "  "])
def test_rds_enhanced_monitoring_enabled__missing_role_fails(role):
    props = edit(f.monitored_instance(), {"monitoringRoleArn": role})
    assert check("rds-enhanced-monitoring-enabled", f.T_INSTANCE, props) == [
        "Aurora instance monitoringRoleArn must name the Enhanced Monitoring role."
    ]


def test_rds_enhanced_monitoring_enabled__unknown_role_is_present():
    props = edit(f.monitored_instance(), {"monitoringRoleArn": UNKNOWN})
    assert check("rds-enhanced-monitoring-enabled", f.T_INSTANCE, props) == []


@pytest.mark.parametrize("value", [False, DELETE])
def test_rds_enhanced_monitoring_enabled__performance_insights_off_fails(value):
    props = edit(f.monitored_instance(), {"performanceInsightsEnabled": value})
    assert check("rds-enhanced-monitoring-enabled", f.T_INSTANCE, props) == [
        "Aurora instance performanceInsightsEnabled must be true."
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"monitoringInterval": UNKNOWN_NUMBER},
            "Aurora instance monitoringInterval is unknown at preview; it must be one of 1, 5, 10, 15, 30, 60 as a "
            "literal so the policy can prove it.",
        ),
        (
            {"performanceInsightsEnabled": UNKNOWN_BOOL},
            "Aurora instance performanceInsightsEnabled is unknown at preview; it must be true as a literal so the "
            "policy can prove it.",
        ),
    ],
)
def test_rds_enhanced_monitoring_enabled__unknown_fails(change, message):
    props = edit(f.monitored_instance(), change)
    assert check("rds-enhanced-monitoring-enabled", f.T_INSTANCE, props) == [message]


def test_rds_enhanced_monitoring_enabled__other_types_ignored():
    assert check("rds-enhanced-monitoring-enabled", f.T_CLUSTER, f.aurora_cluster()) == []


# --- s3-bucket-access-logging ---------------------------------------------------------------------------------


def test_s3_bucket_access_logging__logged_bucket_and_log_target_pass():
    assert check_stack("s3-bucket-access-logging", f.bucket_stack().resources) == []


def test_s3_bucket_access_logging__bucket_without_logging_fails():
    resources = f.bucket_stack().without("evidence-logging")
    # Without the BucketLogging, access-logs is no log target either: both are reported.
    assert check_stack("s3-bucket-access-logging", resources) == [
        (
            f"S3 bucket {name} must have server access logging to a log bucket (an aws.s3.BucketLogging with "
            "targetBucket).",
            urn(f.T_BUCKET, name),
        )
        for name in ("access-logs", "evidence")
    ]


def test_s3_bucket_access_logging__logging_without_target_does_not_count():
    stack = f.bucket_stack()
    name = "evidence-logging"
    resources = stack.replace(name, edit(stack.props(name), {"targetBucket": DELETE}))
    stack.named(name).property_dependencies.clear()
    assert [m for m, _ in check_stack("s3-bucket-access-logging", resources)] == [
        f"S3 bucket {b} must have server access logging to a log bucket (an aws.s3.BucketLogging with targetBucket)."
        for b in ("access-logs", "evidence")
    ]


def test_s3_bucket_access_logging__logging_of_another_bucket_does_not_count():
    stack = f.bucket_stack()
    f.add_bucket(stack, "reports")
    urns = [u for _, u in check_stack("s3-bucket-access-logging", stack.resources)]
    assert urns == [urn(f.T_BUCKET, "reports")]


def test_s3_bucket_access_logging__resolved_through_dependencies_at_preview():
    stack = f.bucket_stack()
    name = "evidence-logging"
    resources = stack.replace(name, edit(stack.props(name), {"bucket": UNKNOWN, "targetBucket": UNKNOWN}))
    assert check_stack("s3-bucket-access-logging", resources) == []


def test_s3_bucket_access_logging__inline_logging_counts():
    stack = f.bucket_stack()
    resources = stack.replace(
        "evidence", edit(stack.props("evidence"), {"loggings": [{"targetBucket": "finstack-prod-access-logs"}]})
    )
    found = check_stack("s3-bucket-access-logging", [r for r in resources if r.name != "evidence-logging"])
    assert [u for _, u in found] == [urn(f.T_BUCKET, "access-logs")]


def test_s3_bucket_access_logging__log_archive_is_exempt_as_the_target():
    # A log archive nobody logs into yet is still the region's target, not a bucket that must log.
    assert check_stack("s3-bucket-access-logging", f.log_archive_stack().resources) == []


def test_s3_bucket_access_logging__tagged_bucket_with_another_grant_is_not_exempt():
    reader = f.reader_statement()
    stack = f.log_archive_stack(policy=f.archive_policy(reader))
    assert check_stack("s3-bucket-access-logging", stack.resources) == [
        (
            "S3 bucket logs-bucket must have server access logging to a log bucket (an aws.s3.BucketLogging with "
            "targetBucket).",
            urn(f.T_BUCKET, "logs-bucket"),
        )
    ]


# --- s3-bucket-lifecycle-configured ---------------------------------------------------------------


def lifecycle_violations(resources) -> list[tuple[str, str]]:
    return check_stack("s3-bucket-lifecycle-configured", resources)


def test_s3_bucket_lifecycle_configured__every_bucket_with_a_rule_passes():
    assert lifecycle_violations(f.bucket_stack().resources) == []


def test_s3_bucket_lifecycle_configured__bucket_without_one_fails():
    resources = f.bucket_stack().without("evidence-lifecycle")
    assert lifecycle_violations(resources) == [
        (
            "S3 bucket evidence must have a lifecycle configuration with an Enabled rule (an "
            "aws.s3.BucketLifecycleConfiguration; components/private_bucket.py Lifecycle).",
            urn(f.T_BUCKET, "evidence"),
        )
    ]


def test_s3_bucket_lifecycle_configured__disabled_rule_does_not_count():
    stack = f.bucket_stack()
    rule = {**f.lifecycle_rule(), "status": "Disabled"}
    resources = stack.replace("evidence-lifecycle", edit(stack.props("evidence-lifecycle"), {"rules": [rule]}))
    assert [u for _, u in lifecycle_violations(resources)] == [urn(f.T_BUCKET, "evidence")]


@pytest.mark.parametrize(
    ("removed", "message"),
    [
        (
            "abortIncompleteMultipartUpload",
            "S3 bucket evidence lifecycle must abort incomplete multipart uploads (abortIncompleteMultipartUpload).",
        ),
        (
            "noncurrentVersionExpiration",
            "S3 bucket evidence lifecycle must expire or transition noncurrent versions (noncurrentVersionExpiration).",
        ),
    ],
)
def test_s3_bucket_lifecycle_configured__rule_missing_an_action_fails(removed, message):
    stack = f.bucket_stack()
    rule = {k: v for k, v in f.lifecycle_rule().items() if k != removed}
    resources = stack.replace("evidence-lifecycle", edit(stack.props("evidence-lifecycle"), {"rules": [rule]}))
    assert lifecycle_violations(resources) == [(message, urn(f.T_BUCKET, "evidence"))]


def test_s3_bucket_lifecycle_configured__noncurrent_transition_counts():
    stack = f.bucket_stack()
    rule = {k: v for k, v in f.lifecycle_rule().items() if k != "noncurrentVersionExpiration"}
    rule["noncurrentVersionTransitions"] = [{"noncurrentDays": 90, "storageClass": "GLACIER"}]
    resources = stack.replace("evidence-lifecycle", edit(stack.props("evidence-lifecycle"), {"rules": [rule]}))
    assert lifecycle_violations(resources) == []


def test_s3_bucket_lifecycle_configured__resolved_through_dependencies_at_preview():
    stack = f.bucket_stack()
    resources = stack.replace("evidence-lifecycle", edit(stack.props("evidence-lifecycle"), {"bucket": UNKNOWN}))
    assert lifecycle_violations(resources) == []


def locked_bucket_stack(expire_days: int) -> f.Stack:
    """The audit stack's locked bucket (365-day COMPLIANCE retention) with a lifecycle expiring at `expire_days`."""
    stack = f.audit_stack()
    bucket = stack.named("audit-bucket")
    stack.add(
        f.T_LIFECYCLE,
        "audit-bucket-lifecycle",
        {"region": PRIMARY, "bucket": f.TRAIL_BUCKET, "rules": [f.lifecycle_rule(expire_days)]},
        bucket=bucket,
    )
    return stack


def test_s3_bucket_lifecycle_configured__expiry_at_the_lock_retention_passes():
    assert lifecycle_violations(locked_bucket_stack(365).resources) == []


def test_s3_bucket_lifecycle_configured__expiry_before_the_lock_retention_fails():
    assert lifecycle_violations(locked_bucket_stack(90).resources) == [
        (
            "S3 bucket audit-bucket lifecycle must not expire objects after 90 days, before its Object Lock retention "
            "of 365 days ends.",
            urn(f.T_BUCKET, "audit-bucket"),
        )
    ]


# --- s3-bucket-eventbridge-notifications ------------------------------------------------------------


def test_s3_bucket_eventbridge_notifications__every_bucket_notifying_passes():
    assert check_stack("s3-bucket-eventbridge-notifications", f.bucket_stack().resources) == []


def test_s3_bucket_eventbridge_notifications__bucket_without_one_fails():
    resources = f.bucket_stack().without("access-logs-notifications")
    assert check_stack("s3-bucket-eventbridge-notifications", resources) == [
        (
            "S3 bucket access-logs must send its events to EventBridge (an aws.s3.BucketNotification with "
            "eventbridge=True; components/private_bucket.py declare_bucket_guards).",
            urn(f.T_BUCKET, "access-logs"),
        )
    ]


def test_s3_bucket_eventbridge_notifications__eventbridge_off_does_not_count():
    stack = f.bucket_stack()
    name = "evidence-notifications"
    resources = stack.replace(name, edit(stack.props(name), {"eventbridge": False}))
    assert [u for _, u in check_stack("s3-bucket-eventbridge-notifications", resources)] == [
        urn(f.T_BUCKET, "evidence")
    ]


def test_s3_bucket_eventbridge_notifications__resolved_through_dependencies_at_preview():
    stack = f.bucket_stack()
    name = "evidence-notifications"
    resources = stack.replace(name, edit(stack.props(name), {"bucket": UNKNOWN}))
    assert check_stack("s3-bucket-eventbridge-notifications", resources) == []


# --- CloudTrail (issue 19) ----------------------------------------------------------------------


def test_cloudtrail_trail_policies__shipped_shape_passes():
    for name in (
        "cloudtrail-multi-region",
        "cloudtrail-log-file-validation",
        "cloudtrail-cmk-encrypted",
        "cloudtrail-cloudwatch-delivery",
        "cloudtrail-insights-enabled",
    ):
        assert check(name, f.T_TRAIL, f.trail()) == [], name


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"isMultiRegionTrail": False}, "CloudTrail trail isMultiRegionTrail must be true."),
        ({"includeGlobalServiceEvents": DELETE}, "CloudTrail trail includeGlobalServiceEvents must be true."),
        ({"enableLogging": False}, "CloudTrail trail enableLogging must not be false."),
        (
            {"isMultiRegionTrail": UNKNOWN_BOOL},
            "CloudTrail trail isMultiRegionTrail is unknown at preview; it must be true as a literal so the policy "
            "can prove it.",
        ),
        (
            {
                "advancedEventSelectors": [
                    {
                        "name": "writes",
                        "fieldSelectors": [
                            {"field": "eventCategory", "equals": ["Management"]},
                            {"field": "readOnly", "equals": ["false"]},
                        ],
                    }
                ]
            },
            "CloudTrail trail must record all read and write management events; its management selector filters "
            "readOnly.",
        ),
        (
            {
                "advancedEventSelectors": [
                    {"name": "data", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}
                ]
            },
            "CloudTrail trail must record all read and write management events; no advanced selector records "
            "eventCategory Management.",
        ),
    ],
)
def test_cloudtrail_multi_region__broken_property_fails(changes, expected):
    assert check("cloudtrail-multi-region", f.T_TRAIL, edit(f.trail(), changes)) == [expected]


def test_cloudtrail_log_file_validation__off_fails():
    props = edit(f.trail(), {"enableLogFileValidation": DELETE})
    assert check("cloudtrail-log-file-validation", f.T_TRAIL, props) == [
        "CloudTrail trail enableLogFileValidation must be true."
    ]


def test_cloudtrail_cmk_encrypted__no_key_fails_and_unknown_key_passes():
    assert check("cloudtrail-cmk-encrypted", f.T_TRAIL, edit(f.trail(), {"kmsKeyId": DELETE})) == [
        "CloudTrail trail kmsKeyId must name the stack's audit key."
    ]
    assert check("cloudtrail-cmk-encrypted", f.T_TRAIL, edit(f.trail(), {"kmsKeyId": UNKNOWN})) == []


def test_cloudtrail_cloudwatch_delivery__no_group_fails():
    props = edit(f.trail(), {"cloudWatchLogsGroupArn": DELETE})
    assert check("cloudtrail-cloudwatch-delivery", f.T_TRAIL, props) == [
        "CloudTrail trail cloudWatchLogsGroupArn must name a log group ARN ending in :*."
    ]


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        (DELETE, "CloudTrail trail insightSelectors must include ApiCallRateInsight, ApiErrorRateInsight."),
        (
            [{"insightType": "ApiCallRateInsight"}],
            "CloudTrail trail insightSelectors must include ApiErrorRateInsight.",
        ),
        (
            UNKNOWN_ARRAY,
            "CloudTrail trail insightSelectors is unknown at preview; it must be ApiCallRateInsight, "
            "ApiErrorRateInsight as a literal so the policy can prove it.",
        ),
    ],
)
def test_cloudtrail_insights_enabled__missing_type_fails(selectors, expected):
    props = edit(f.trail(), {"insightSelectors": selectors})
    assert check("cloudtrail-insights-enabled", f.T_TRAIL, props) == [expected]


def test_cloudtrail_insights_enabled__other_types_ignored():
    assert check("cloudtrail-insights-enabled", f.T_BUCKET, {"bucket": "x"}) == []


def test_cloudtrail_bucket_object_locked__compliant_passes():
    assert check_stack("cloudtrail-bucket-object-locked", f.audit_stack().resources) == []
    assert check_stack("cloudtrail-bucket-object-locked", f.compliant_stack().resources) == []


def test_cloudtrail_bucket_object_locked__governance_mode_fails():
    resources = f.audit_stack(lock=f.object_lock(mode="GOVERNANCE")).resources
    assert check_stack("cloudtrail-bucket-object-locked", resources) == [
        (
            "CloudTrail trail audit-trail bucket audit-bucket must have an Object Lock configuration with COMPLIANCE "
            "default retention of at least 365 days.",
            urn(f.T_BUCKET, "audit-bucket"),
        )
    ]


def test_cloudtrail_bucket_object_locked__short_retention_fails_against_config():
    resources = f.audit_stack(lock=f.object_lock(days=30)).resources
    assert check_stack("cloudtrail-bucket-object-locked", resources, config={"minimumRetentionDays": 30}) == []
    assert len(check_stack("cloudtrail-bucket-object-locked", resources)) == 1


def test_cloudtrail_bucket_object_locked__bucket_without_object_lock_fails():
    resources = f.audit_stack(bucket_locked=False).resources
    assert check_stack("cloudtrail-bucket-object-locked", resources) == [
        (
            "CloudTrail trail audit-trail bucket audit-bucket must be created with objectLockEnabled true.",
            urn(f.T_BUCKET, "audit-bucket"),
        )
    ]


def test_cloudtrail_bucket_object_locked__no_trail_fails_unless_landing_zone(monkeypatch):
    resources = f.compliant_stack().without("audit-trail")
    (finding,) = check_stack("cloudtrail-bucket-object-locked", resources)
    assert finding[0].startswith("The stack must declare a multi-region CloudTrail trail")
    monkeypatch.setenv("PULUMI_CONFIG", '{"finstack:security": "{\\"accountServices\\": \\"landing-zone\\"}"}')
    assert check_stack("cloudtrail-bucket-object-locked", resources) == []
