"""ThreatDetection: GuardDuty with its protection plans, Macie discovery, findings and RDS events to the alert topic."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.threat_detection import FEATURES, ThreatDetection, ThreatDetectionArgs, findings_pattern
from tests.plan import plan_of, plan_with, shipped_plan

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SUBSCRIPTION = "aws:rds/eventSubscription:EventSubscription"
MACIE = "aws:macie2/account:Account"
JOB = "aws:macie2/classificationJob:ClassificationJob"
ACCOUNT = "111122223333"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_threat_detection__one_enabled_detector_per_region_with_every_feature(stack: str) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        (detector,) = plan.of_type(DETECTOR, region)
        assert detector.inputs["enable"] is True, detector.urn
        features = {f.inputs["name"]: f for f in plan.of_type(FEATURE, region)}
        assert sorted(features) == sorted(FEATURES), region
        for feature in features.values():
            assert feature.inputs["status"] == "ENABLED", feature.urn
            assert feature.inputs["detectorId"] == detector.id, feature.urn
            assert feature.parent == detector.urn, feature.urn
        # The managed agent: GuardDuty installs and updates the EKS add-on itself.
        assert features["EKS_RUNTIME_MONITORING"].inputs["additionalConfigurations"] == [
            {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}
        ]
        assert "RUNTIME_MONITORING" not in features, "exclusive with EKS_RUNTIME_MONITORING"


def test_threat_detection__medium_and_higher_findings_reach_the_cells_alert_topic() -> None:
    plan = shipped_plan("prod")
    topics = {t.region: t for t in plan.of_type("aws:sns/topic:Topic")}
    for region in plan.regions:
        (rule,) = plan.of_type(RULE, region)
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern == {
            "source": ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            "detail": {"severity": [{"numeric": [">=", 4]}]},
        }, rule.urn
        (target,) = plan.of_type(TARGET, region)
        assert target.inputs["rule"] == rule.outputs["name"], target.urn
        assert target.inputs["arn"] == topics[region].outputs["arn"], target.urn


def test_findings_pattern__numeric_threshold_is_the_lower_bound_of_medium() -> None:
    assert findings_pattern(7)["detail"] == {"severity": [{"numeric": [">=", 7]}]}


def test_threat_detection__rds_cluster_and_parameter_group_events_to_the_alert_topic() -> None:
    plan = shipped_plan("prod")
    topics = {t.region: t.outputs["arn"] for t in plan.of_type("aws:sns/topic:Topic")}
    for region in plan.regions:
        subs = {s.inputs["sourceType"]: s for s in plan.of_type(SUBSCRIPTION, region)}
        assert sorted(subs) == ["db-cluster", "db-parameter-group", "db-security-group"], region
        for sub in subs.values():
            assert sub.inputs["snsTopic"] == topics[region] and sub.inputs["enabled"] is True, sub.urn
        assert {"failover", "configuration change"} <= set(subs["db-cluster"].inputs["eventCategories"])


def test_threat_detection__macie_inspects_the_cells_platform_buckets() -> None:
    plan = shipped_plan("prod")
    for region in plan.regions:
        (macie,) = plan.of_type(MACIE, region)
        assert macie.inputs["status"] == "ENABLED", macie.urn
        (job,) = plan.of_type(JOB, region)
        assert job.inputs["jobType"] == "SCHEDULED" and macie.urn in job.dependencies, job.urn
        (definition,) = job.inputs["s3JobDefinition"]["bucketDefinitions"]
        bundles = [
            b.outputs["bucket"] for b in plan.of_type("aws:s3/bucket:Bucket", region) if b.name.endswith("-bundles")
        ]
        assert definition["accountId"] == ACCOUNT and set(bundles) <= set(definition["buckets"]), job.urn


def test_threat_detection__landing_zone_declares_no_account_level_service() -> None:
    plan = plan_with("dev", lambda raw: raw["finstack:security"].update(accountServices="landing-zone"))
    for kind in (DETECTOR, FEATURE, MACIE, JOB):
        assert plan.of_type(kind) == [], [r.urn for r in plan.of_type(kind)]
    # The stack's own routing stays: findings of the landing zone's detector still reach the cell.
    assert len(plan.of_type(RULE)) == len(plan.regions)
    assert len(plan.of_type(SUBSCRIPTION)) == 3 * len(plan.regions)


def test_threat_detection__exposes_detector_and_rule() -> None:
    def program() -> None:
        detection = ThreatDetection(
            "detection-eu-west-1",
            ThreatDetectionArgs(
                region="eu-west-1",
                environment="dev",
                account_id=ACCOUNT,
                alert_topic_arn="arn:aws:sns:eu-west-1:111122223333:alerts",
            ),
        )
        pulumi.export("rule", detection.findings_rule_name)
        pulumi.export("detector", detection.detector_id)

    plan = plan_of(program, "dev")
    assert plan.outputs["rule"] == plan.named("detection-eu-west-1-findings").outputs["name"]
    assert plan.outputs["detector"] == plan.named("detection-eu-west-1-detector").id
    assert plan.of_type(JOB) == [], "no buckets given: no discovery job"
    assert all(r.region == "eu-west-1" for r in plan if r.type.startswith("aws:")), "every child in the cell's region"
