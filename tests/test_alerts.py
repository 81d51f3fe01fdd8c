"""AlertTopic: one CMK-encrypted SNS topic per cell that only this account's alarms, rules and RDS events publish to."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.alerts import AlertTopic, AlertTopicArgs, topic_policy
from finstack.engine.recording import ResourceRecord
from tests.plan import Plan, plan_of, shipped_plan

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
ACCOUNT = "111122223333"


def secrets_key(plan: Plan, region: str) -> ResourceRecord:
    keys = [
        k
        for t in ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
        for k in plan.of_type(t, region)
        if (k.inputs.get("tags") or {}).get("finstack:purpose") == "secrets"
    ]
    assert len(keys) == 1, [k.urn for k in keys]
    return keys[0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alert_topic__one_per_region_encrypted_with_that_regions_secrets_key(stack: str) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        topics = plan.of_type(TOPIC, region)
        assert len(topics) == 1, f"{region}: {[t.urn for t in topics]}"
        topic = topics[0]
        assert topic.inputs["region"] == region, topic.urn
        assert topic.inputs["kmsMasterKeyId"] == secrets_key(plan, region).outputs["arn"], topic.urn
        assert (topic.inputs.get("tags") or {}).get("finstack:cell") == region, topic.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alert_topic__policy_lets_only_this_accounts_alarms_rules_and_rds_events_publish(stack: str) -> None:
    plan = shipped_plan(stack)
    topics = {t.outputs["arn"]: t for t in plan.of_type(TOPIC)}
    policies = plan.of_type(TOPIC_POLICY)
    assert sorted(p.inputs["arn"] for p in policies) == sorted(topics), [p.urn for p in policies]
    for policy in policies:
        topic = topics[policy.inputs["arn"]]
        assert policy.region == topic.region, policy.urn
        statements = json.loads(policy.inputs["policy"])["Statement"]
        allows = {s["Sid"]: s for s in statements if s["Effect"] == "Allow"}
        assert sorted(allows) == ["CloudWatchAlarmsPublish", "EventBridgeRulesPublish", "RdsEventsPublish"], policy.urn
        for sid, service, source in (
            ("EventBridgeRulesPublish", "events.amazonaws.com", f"events:{topic.region}:{ACCOUNT}:rule/*"),
            ("RdsEventsPublish", "events.rds.amazonaws.com", f"rds:{topic.region}:{ACCOUNT}:*"),
        ):
            assert allows[sid]["Principal"] == {"Service": service}, policy.urn
            assert allows[sid]["Action"] == "sns:Publish", policy.urn
            assert allows[sid]["Condition"] == {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:{source}"},
            }, policy.urn
        allow = allows["CloudWatchAlarmsPublish"]
        assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}, policy.urn
        assert allow["Action"] == "sns:Publish", policy.urn
        assert allow["Resource"] == topic.outputs["arn"], policy.urn
        assert allow["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{topic.region}:{ACCOUNT}:alarm:*"},
        }, policy.urn


def test_alert_topic__denies_publishing_without_tls() -> None:
    doc = topic_policy("arn:aws:sns:us-east-1:111122223333:alerts", "us-east-1", ACCOUNT)
    (deny,) = [s for s in doc["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "sns:Publish"


def test_alert_topic__exposes_the_topic_arn() -> None:
    def program() -> None:
        alerts = AlertTopic(
            "alerts-eu-west-1",
            AlertTopicArgs(region="eu-west-1", secrets_key_arn="arn:aws:kms:eu-west-1:111122223333:key/mrk-1"),
        )
        pulumi.export("topic", alerts.topic_arn)

    plan = plan_of(program)
    topic = plan.named("alerts-eu-west-1-topic")
    assert plan.outputs["topic"] == topic.outputs["arn"], topic.urn
    assert plan.outputs["topic"].startswith(f"arn:aws:sns:eu-west-1:{ACCOUNT}:"), topic.urn
    assert topic.inputs["kmsMasterKeyId"] == "arn:aws:kms:eu-west-1:111122223333:key/mrk-1", topic.urn
    assert plan.named("alerts-eu-west-1-policy").parent == plan.named("alerts-eu-west-1").urn
