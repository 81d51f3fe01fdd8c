"""Detection policies: GuardDuty protections, detectors and Macie in every region, alert delivery."""

from __future__ import annotations

import pytest

from tests.policy import factories as f
from tests.policy.helpers import PRIMARY, SECONDARY, check_stack, edit, urn

DETECTOR = f"detection-{PRIMARY}-detector"
SECRETS_TO_EVENTS = f.publisher_statement(
    "events.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey"], "EventBridgeRulesToAlertTopics"
)
SECRETS_TO_RDS = f.publisher_statement(
    "events.rds.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey"], "RdsEventsToAlertTopics"
)
TOPIC_TO_EVENTS = f.publisher_statement("events.amazonaws.com", ["sns:Publish"], "EventBridgeRulesPublish")
TOPIC_TO_RDS = f.publisher_statement("events.rds.amazonaws.com", ["sns:Publish"], "RdsEventsPublish")


# --- guardduty-detector-protections -------------------------------------------------------------


def test_guardduty_detector_protections__compliant_stack_passes():
    assert check_stack("guardduty-detector-protections", f.compliant_stack().resources) == []


@pytest.mark.parametrize("feature", sorted(f.DETECTOR_FEATURES))
def test_guardduty_detector_protections__disabled_feature_fails(feature):
    stack = f.compliant_stack()
    name = f"detection-{PRIMARY}-{feature.lower()}"
    resources = stack.replace(name, edit(stack.props(name), {"status": "DISABLED"}))
    assert check_stack("guardduty-detector-protections", resources) == [
        (f"GuardDuty detector {DETECTOR} must have feature {feature} ENABLED.", urn(f.T_DETECTOR, DETECTOR))
    ]


def test_guardduty_detector_protections__runtime_monitoring_without_managed_agent_fails():
    stack = f.compliant_stack()
    name = f"detection-{PRIMARY}-eks_runtime_monitoring"
    resources = stack.replace(name, edit(stack.props(name), {"additionalConfigurations": []}))
    assert check_stack("guardduty-detector-protections", resources) == [
        (
            f"GuardDuty detector {DETECTOR} feature EKS_RUNTIME_MONITORING must have EKS_ADDON_MANAGEMENT ENABLED "
            "(GuardDuty manages the security agent).",
            urn(f.T_DETECTOR, DETECTOR),
        )
    ]


def test_guardduty_detector_protections__disabled_detector_fails():
    stack = f.compliant_stack()
    resources = stack.replace(DETECTOR, edit(stack.props(DETECTOR), {"enable": False}))
    assert check_stack("guardduty-detector-protections", resources) == [
        (f"GuardDuty detector {DETECTOR} enable must be true.", urn(f.T_DETECTOR, DETECTOR))
    ]


# --- threat-detection-every-region --------------------------------------------------------------


def test_threat_detection_every_region__compliant_stack_passes():
    assert check_stack("threat-detection-every-region", f.compliant_stack().resources) == []


def test_threat_detection_every_region__missing_detector_or_macie_fails(monkeypatch):
    stack = f.compliant_stack()
    resources = stack.without(f"detection-{SECONDARY}-detector", f"detection-{PRIMARY}-macie")
    messages = sorted(m for m, _ in check_stack("threat-detection-every-region", resources))
    assert messages == [
        f"Region {PRIMARY} must have a Macie account (components/threat_detection.py), or set "
        "finstack:security.accountServices to landing-zone.",
        f"Region {SECONDARY} must have a GuardDuty detector (components/threat_detection.py), or set "
        "finstack:security.accountServices to landing-zone.",
    ]
    monkeypatch.setenv("PULUMI_CONFIG", '{"finstack:security": {"accountServices": "landing-zone"}}')
    assert check_stack("threat-detection-every-region", resources) == []


# --- sns-topic-publishers-can-deliver -----------------------------------------------------------


def test_sns_topic_publishers_can_deliver__topic_and_key_allowing_both_pass():
    stack = f.publisher_stack([SECRETS_TO_EVENTS, SECRETS_TO_RDS], [TOPIC_TO_EVENTS, TOPIC_TO_RDS])
    assert check_stack("sns-topic-publishers-can-deliver", stack.resources) == []


def test_sns_topic_publishers_can_deliver__key_denying_eventbridge_fails():
    stack = f.publisher_stack([SECRETS_TO_RDS], [TOPIC_TO_EVENTS, TOPIC_TO_RDS])
    assert check_stack("sns-topic-publishers-can-deliver", stack.resources) == [
        (
            "SNS topic alerts-topic (target of findings-alerts) is encrypted with KMS key keys-secrets, whose policy "
            "must allow kms:Decrypt, kms:GenerateDataKey to events.amazonaws.com; AWS drops the events otherwise.",
            urn(f.T_EVENT_TARGET, "findings-alerts"),
        )
    ]


def test_sns_topic_publishers_can_deliver__topic_policy_without_rds_fails():
    stack = f.publisher_stack([SECRETS_TO_EVENTS, SECRETS_TO_RDS], [TOPIC_TO_EVENTS])
    assert check_stack("sns-topic-publishers-can-deliver", stack.resources) == [
        (
            "SNS topic alerts-topic (target of rds-db-cluster) policy must allow sns:Publish to "
            "events.rds.amazonaws.com.",
            urn(f.T_RDS_SUBSCRIPTION, "rds-db-cluster"),
        )
    ]


# --- kms-key-policy-allows-service-use: the trail's key lets CloudTrail encrypt ----------------


def test_kms_key_policy_allows_service_use__trail_key_with_cloudtrail_statement_passes():
    assert check_stack("kms-key-policy-allows-service-use", f.compliant_stack().resources) == []


def test_kms_key_policy_allows_service_use__trail_key_without_cloudtrail_statement_fails():
    stack = f.compliant_stack()
    name = f"keys-audit-{PRIMARY}"
    resources = stack.replace(name, {**stack.props(name), "policy": f.key_policy(PRIMARY)})
    findings = check_stack("kms-key-policy-allows-service-use", resources)
    assert [u for _, u in findings] == [urn(f.T_TRAIL, "audit-trail")], findings
    assert "must allow kms:GenerateDataKey to cloudtrail" in findings[0][0], findings
