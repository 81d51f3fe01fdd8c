"""CloudWatch Logs, alarms, dashboards and SNS topics in the emulator."""

from __future__ import annotations

import json
from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list


def _delete_log_group(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("logs").delete_log_group(logGroupName=resource_id)


@REGISTRY.register("aws:cloudwatch/logGroup:LogGroup", "logs", _delete_log_group)
def create_log_group(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Log group with its CMK and retention."""
    logs = ctx.client("logs")
    group_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {"logGroupName": group_name, "tags": inputs.get("tags") or {}}
    if inputs.get("kmsKeyId"):
        kwargs["kmsKeyId"] = inputs["kmsKeyId"]
    logs.create_log_group(**kwargs)
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=group_name, retentionInDays=int(inputs["retentionInDays"]))
    return group_name, {"arn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group_name}", "name": group_name}


def _delete_alarm(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("cloudwatch").delete_alarms(AlarmNames=[resource_id])


_ALARM_KEYS = {
    "comparisonOperator": "ComparisonOperator",
    "evaluationPeriods": "EvaluationPeriods",
    "metricName": "MetricName",
    "namespace": "Namespace",
    "period": "Period",
    "statistic": "Statistic",
    "threshold": "Threshold",
    "treatMissingData": "TreatMissingData",
    "alarmDescription": "AlarmDescription",
    "datapointsToAlarm": "DatapointsToAlarm",
    "unit": "Unit",
}


@REGISTRY.register("aws:cloudwatch/metricAlarm:MetricAlarm", "cloudwatch", _delete_alarm)
def create_alarm(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Metric alarm with its actions."""
    alarm_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {"AlarmName": alarm_name}
    for key, aws in _ALARM_KEYS.items():
        if key in inputs and inputs[key] is not None:
            kwargs[aws] = inputs[key]
    kwargs.setdefault("EvaluationPeriods", 1)
    kwargs.setdefault("ComparisonOperator", "GreaterThanThreshold")
    kwargs["Dimensions"] = [{"Name": k, "Value": str(v)} for k, v in (inputs.get("dimensions") or {}).items()]
    for key, aws in (
        ("alarmActions", "AlarmActions"),
        ("okActions", "OKActions"),
        ("insufficientDataActions", "InsufficientDataActions"),
    ):
        if inputs.get(key):
            kwargs[aws] = list(inputs[key])
    if inputs.get("metricQueries"):
        kwargs["Metrics"] = [
            {k[0].upper() + k[1:]: v for k, v in query.items() if k in ("id", "expression", "label", "returnData")}
            for query in inputs["metricQueries"]
        ]
    ctx.client("cloudwatch").put_metric_alarm(**kwargs, Tags=tag_list(inputs))
    return alarm_name, {"arn": f"arn:aws:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:{alarm_name}"}


def _delete_dashboard(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("cloudwatch").delete_dashboards(DashboardNames=[resource_id])


@REGISTRY.register("aws:cloudwatch/dashboard:Dashboard", "cloudwatch", _delete_dashboard)
def create_dashboard(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Dashboard body as declared."""
    dashboard_name = physical_name(name, inputs, "dashboardName")
    body = inputs.get("dashboardBody")
    ctx.client("cloudwatch").put_dashboard(
        DashboardName=dashboard_name, DashboardBody=body if isinstance(body, str) else json.dumps(body)
    )
    arn = f"arn:aws:cloudwatch::{ctx.account_id}:dashboard/{dashboard_name}"
    return dashboard_name, {"dashboardArn": arn}


def _delete_topic(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("sns").delete_topic(TopicArn=resource_id)


@REGISTRY.register("aws:sns/topic:Topic", "sns", _delete_topic)
def create_topic(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """SNS topic with its CMK."""
    attributes: dict[str, str] = {}
    if inputs.get("kmsMasterKeyId"):
        attributes["KmsMasterKeyId"] = inputs["kmsMasterKeyId"]
    if inputs.get("policy"):
        attributes["Policy"] = inputs["policy"]
    topic_name = physical_name(name, inputs)
    topic = ctx.client("sns").create_topic(Name=topic_name, Attributes=attributes, Tags=tag_list(inputs))
    return topic["TopicArn"], {"arn": topic["TopicArn"], "name": topic_name}


@REGISTRY.register("aws:sns/topicPolicy:TopicPolicy", "sns")
def set_topic_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Topic access policy."""
    ctx.client("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
    )
    return inputs["arn"], {}


AUTOSCALING = "application-autoscaling"


def _deregister_target(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(AUTOSCALING).deregister_scalable_target(
        ServiceNamespace=outputs["serviceNamespace"],
        ResourceId=outputs["resourceId"],
        ScalableDimension=outputs["scalableDimension"],
    )


@REGISTRY.register("aws:appautoscaling/target:Target", AUTOSCALING, _deregister_target)
def register_target(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Scalable target (MSK broker storage auto-scaling)."""
    kwargs: dict[str, Any] = {
        "ServiceNamespace": inputs["serviceNamespace"],
        "ResourceId": inputs["resourceId"],
        "ScalableDimension": inputs["scalableDimension"],
        "MinCapacity": int(inputs["minCapacity"]),
        "MaxCapacity": int(inputs["maxCapacity"]),
    }
    if inputs.get("roleArn"):
        kwargs["RoleARN"] = inputs["roleArn"]
    ctx.client(AUTOSCALING).register_scalable_target(**kwargs)
    return f"{inputs['serviceNamespace']}/{inputs['resourceId']}/{inputs['scalableDimension']}", {}


def _delete_scaling_policy(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(AUTOSCALING).delete_scaling_policy(
        PolicyName=resource_id,
        ServiceNamespace=outputs["serviceNamespace"],
        ResourceId=outputs["resourceId"],
        ScalableDimension=outputs["scalableDimension"],
    )


@REGISTRY.register("aws:appautoscaling/policy:Policy", AUTOSCALING, _delete_scaling_policy)
def put_scaling_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Target-tracking scaling policy."""
    policy_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {
        "PolicyName": policy_name,
        "ServiceNamespace": inputs["serviceNamespace"],
        "ResourceId": inputs["resourceId"],
        "ScalableDimension": inputs["scalableDimension"],
        "PolicyType": inputs.get("policyType", "TargetTrackingScaling"),
    }
    tracking = inputs.get("targetTrackingScalingPolicyConfiguration")
    if tracking:
        config: dict[str, Any] = {"TargetValue": float(tracking["targetValue"])}
        if "disableScaleIn" in tracking:
            config["DisableScaleIn"] = bool(tracking["disableScaleIn"])
        predefined = tracking.get("predefinedMetricSpecification")
        if predefined:
            config["PredefinedMetricSpecification"] = {"PredefinedMetricType": predefined["predefinedMetricType"]}
        kwargs["TargetTrackingScalingPolicyConfiguration"] = config
    policy = ctx.client(AUTOSCALING).put_scaling_policy(**kwargs)
    return policy_name, {"arn": policy["PolicyARN"], "name": policy_name}


def _delete_log_resource_policy(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("logs").delete_resource_policy(policyName=resource_id)


@REGISTRY.register("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "logs", _delete_log_resource_policy)
def put_log_resource_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """CloudWatch Logs resource policy (e.g. Route 53 query logging's)."""
    document = inputs["policyDocument"]
    ctx.client("logs").put_resource_policy(
        policyName=inputs["policyName"],
        policyDocument=document if isinstance(document, str) else json.dumps(document),
    )
    return inputs["policyName"], {}
