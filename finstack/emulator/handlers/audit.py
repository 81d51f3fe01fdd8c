"""The audit trail and threat detection in the emulator: CloudTrail, GuardDuty, Macie, EventBridge, RDS events.

The trail bucket's Object Lock setting is here too (the bucket itself is `data.create_bucket`, which
turns Object Lock on at creation as S3 requires; its lifecycle and access logging are `data`'s). Macie classification
jobs have no handler: moto 5 implements no CreateClassificationJob (they are reported "not
emulated").
"""

from __future__ import annotations

import json
from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list

# --- S3: the trail bucket's settings -----------------------------------------------------------


@REGISTRY.register("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "s3")
def put_object_lock(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Default Object Lock retention (S3 refuses it on a bucket created without Object Lock)."""
    retention = (inputs.get("rule") or {}).get("defaultRetention") or {}
    default: dict[str, Any] = {"Mode": retention.get("mode", "COMPLIANCE")}
    if retention.get("days"):
        default["Days"] = int(retention["days"])
    if retention.get("years"):
        default["Years"] = int(retention["years"])
    ctx.client("s3").put_object_lock_configuration(
        Bucket=inputs["bucket"],
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": default}},
    )
    return inputs["bucket"], {}


# --- CloudTrail -------------------------------------------------------------------------------


def _delete_trail(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("cloudtrail").delete_trail(Name=resource_id)


def _selectors(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    keys = {
        "equals": "Equals",
        "startsWiths": "StartsWith",
        "endsWiths": "EndsWith",
        "notEquals": "NotEquals",
        "notStartsWiths": "NotStartsWith",
        "notEndsWiths": "NotEndsWith",
    }
    return [
        {
            "Name": selector.get("name", ""),
            "FieldSelectors": [
                {"Field": f["field"], **{aws: list(f[key]) for key, aws in keys.items() if f.get(key)}}
                for f in selector.get("fieldSelectors") or []
            ],
        }
        for selector in inputs.get("advancedEventSelectors") or []
    ]


@REGISTRY.register("aws:cloudtrail/trail:Trail", "cloudtrail", _delete_trail)
def create_trail(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The trail, its advanced event selectors, Insights selectors, and logging started (pulumi-aws enable_logging)."""
    cloudtrail = ctx.client("cloudtrail")
    trail_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {
        "Name": trail_name,
        "S3BucketName": inputs["s3BucketName"],
        "IsMultiRegionTrail": bool(inputs.get("isMultiRegionTrail")),
        "IncludeGlobalServiceEvents": bool(inputs.get("includeGlobalServiceEvents", True)),
        "EnableLogFileValidation": bool(inputs.get("enableLogFileValidation")),
        "TagsList": tag_list(inputs),
    }
    for key, aws in (
        ("kmsKeyId", "KmsKeyId"),
        ("cloudWatchLogsGroupArn", "CloudWatchLogsLogGroupArn"),
        ("cloudWatchLogsRoleArn", "CloudWatchLogsRoleArn"),
        ("s3KeyPrefix", "S3KeyPrefix"),
    ):
        if inputs.get(key):
            kwargs[aws] = inputs[key]
    trail = cloudtrail.create_trail(**kwargs)
    if inputs.get("advancedEventSelectors"):
        cloudtrail.put_event_selectors(TrailName=trail_name, AdvancedEventSelectors=_selectors(inputs))
    if inputs.get("insightSelectors"):
        # After the event selectors: Insights need the trail to log management events (CloudTrail User
        # Guide, "Working with CloudTrail Insights").
        cloudtrail.put_insight_selectors(
            TrailName=trail_name,
            InsightSelectors=[{"InsightType": s["insightType"]} for s in inputs["insightSelectors"]],
        )
    if inputs.get("enableLogging", True):
        cloudtrail.start_logging(Name=trail_name)
    return trail_name, {"arn": trail["TrailARN"], "name": trail_name, "homeRegion": ctx.region}


# --- GuardDuty --------------------------------------------------------------------------------


def _delete_detector(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("guardduty").delete_detector(DetectorId=resource_id)


@REGISTRY.register("aws:guardduty/detector:Detector", "guardduty", _delete_detector)
def create_detector(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The region's detector (features are separate resources)."""
    detector_id = ctx.client("guardduty").create_detector(
        Enable=bool(inputs.get("enable", True)),
        FindingPublishingFrequency=inputs.get("findingPublishingFrequency") or "SIX_HOURS",
        Tags=inputs.get("tags") or {},
    )["DetectorId"]
    arn = f"arn:aws:guardduty:{ctx.region}:{ctx.account_id}:detector/{detector_id}"
    return detector_id, {"arn": arn, "accountId": ctx.account_id}


@REGISTRY.register("aws:guardduty/detectorFeature:DetectorFeature", "guardduty")
def put_detector_feature(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One protection plan on the detector (UpdateDetector with that feature, as the provider does)."""
    feature: dict[str, Any] = {"Name": inputs["name"], "Status": inputs.get("status", "ENABLED")}
    configurations = inputs.get("additionalConfigurations") or []
    extra = [{"Name": c["name"], "Status": c["status"]} for c in configurations if c.get("name")]
    if extra:
        feature["AdditionalConfiguration"] = extra
    ctx.client("guardduty").update_detector(DetectorId=inputs["detectorId"], Features=[feature])
    return f"{inputs['detectorId']}/{inputs['name']}", {}


# --- EventBridge ------------------------------------------------------------------------------


def _delete_rule(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("events").delete_rule(Name=resource_id)


@REGISTRY.register("aws:cloudwatch/eventRule:EventRule", "events", _delete_rule)
def create_rule(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A rule on the default bus."""
    rule_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {"Name": rule_name, "State": inputs.get("state") or "ENABLED", "Tags": tag_list(inputs)}
    if inputs.get("eventPattern"):
        pattern = inputs["eventPattern"]
        kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    for key, aws in (("scheduleExpression", "ScheduleExpression"), ("description", "Description")):
        if inputs.get(key):
            kwargs[aws] = inputs[key]
    arn = ctx.client("events").put_rule(**kwargs)["RuleArn"]
    return rule_name, {"arn": arn, "name": rule_name}


def _delete_target(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    rule, target_id = resource_id.split("/", 1)
    ctx.client("events").remove_targets(Rule=rule, Ids=[target_id])


@REGISTRY.register("aws:cloudwatch/eventTarget:EventTarget", "events", _delete_target)
def put_target(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One target of a rule."""
    target_id = inputs.get("targetId") or physical_name(name, {})
    ctx.client("events").put_targets(Rule=inputs["rule"], Targets=[{"Id": target_id, "Arn": inputs["arn"]}])
    return f"{inputs['rule']}/{target_id}", {"targetId": target_id}


# --- Macie ------------------------------------------------------------------------------------


def _disable_macie(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("macie2").disable_macie()


@REGISTRY.register("aws:macie2/account:Account", "macie2", _disable_macie)
def enable_macie(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Macie on in the region."""
    macie = ctx.client("macie2")
    macie.enable_macie(
        status=inputs.get("status") or "ENABLED",
        findingPublishingFrequency=inputs.get("findingPublishingFrequency") or "FIFTEEN_MINUTES",
    )
    return ctx.account_id, {"serviceRole": f"arn:aws:iam::{ctx.account_id}:role/aws-service-role/macie.amazonaws.com"}


# --- RDS event subscriptions ------------------------------------------------------------------


def _delete_subscription(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("rds").delete_event_subscription(SubscriptionName=resource_id)


@REGISTRY.register("aws:rds/eventSubscription:EventSubscription", "rds", _delete_subscription)
def create_event_subscription(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """RDS events of one source type to an SNS topic."""
    subscription = physical_name(name, inputs)
    kwargs: dict[str, Any] = {
        "SubscriptionName": subscription,
        "SnsTopicArn": inputs["snsTopic"],
        "Enabled": bool(inputs.get("enabled", True)),
        "Tags": tag_list(inputs),
    }
    if inputs.get("sourceType"):
        kwargs["SourceType"] = inputs["sourceType"]
    if inputs.get("eventCategories"):
        kwargs["EventCategories"] = list(inputs["eventCategories"])
    if inputs.get("sourceIds"):
        kwargs["SourceIds"] = list(inputs["sourceIds"])
    result = ctx.client("rds").create_event_subscription(**kwargs)["EventSubscription"]
    return subscription, {"arn": result.get("EventSubscriptionArn", ""), "customerAwsId": ctx.account_id}
