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

EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Engine -> the log export that carries its audit trail.
AURORA_LOG_EXPORTS = {"aurora-postgresql": "postgresql", "aurora-mysql": "audit"}

AUDIT = Compliance(pci=("10.2.1",), soc2=("CC7.2",), gdpr=("art32", "art33"))


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
        compliance=Compliance(pci=("10.2.1",), soc2=("CC7.2",), gdpr=("art32", "art33")),
        remediation="Add aws.ec2.FlowLog(vpc_id=<vpc>.id, traffic_type='ALL', log_destination=<CMK log group>).",
    ),
    resource_policy(
        name="eks-control-plane-logging",
        description="EKS clusters must send all five control plane log types to CloudWatch Logs.",
        validate=_eks_control_plane_logs,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUDIT,
        remediation=f"Set enabledClusterLogTypes={list(EKS_LOG_TYPES)}.",
    ),
    resource_policy(
        name="aurora-log-exports-enabled",
        description="Aurora clusters must export their engine log to CloudWatch Logs.",
        validate=_aurora_log_exports,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT,
        remediation='Set enabledCloudwatchLogsExports=["postgresql"] (aurora-postgresql).',
    ),
    resource_policy(
        name="msk-broker-logs-enabled",
        description="MSK clusters must send broker logs to CloudWatch Logs.",
        validate=_msk_broker_logs,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUDIT,
        remediation="Set loggingInfo.brokerLogs.cloudwatchLogs={'enabled': True, 'logGroup': <CMK log group>}.",
    ),
    resource_policy(
        name="cloudwatch-log-group-retention",
        description="CloudWatch log groups must keep logs for the configured minimum and must not keep them forever.",
        validate=_log_retention,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("10.5.1",), soc2=("CC7.2", "C1.2"), gdpr=("art5",)),
        remediation="Set retentionInDays to the stack's logRetentionDays (365 or more in prod).",
        config=RETENTION_CONFIG,
    ),
]
