"""One CMK-encrypted SNS alert topic per cell, which CloudWatch alarms of that cell publish to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Document
from components.keys import TOPIC_PUBLISHERS
from components.naming import cell_tags


def topic_policy(topic_arn: str, region: str, account_id: str, partition: str = iam_docs.PARTITION) -> Document:
    """Resource policy of an alert topic.

    Only CloudWatch alarms, EventBridge rules (GuardDuty findings) and RDS event subscriptions of
    this account and region may publish (the aws:SourceAccount / aws:SourceArn pair stops another
    account's alarm, rule or subscription using the service as a confused deputy). EventBridge
    needs this statement to deliver to a topic at all ("Amazon SNS permissions", EventBridge User
    Guide), RDS likewise (Aurora User Guide, "Granting permissions to publish notifications to an
    Amazon SNS topic"); both also need the topic's key (components/keys.py TOPIC_PUBLISHERS).
    The account's own principals keep access through IAM, as for any same-account resource.
    Publishing without TLS is denied for everyone; a Deny with `"*"` grants nothing.
    """
    return iam_docs.document(
        iam_docs.statement(
            "CloudWatchAlarmsPublish",
            ("sns:Publish",),
            [topic_arn],
            principal=iam_docs.service_principal("cloudwatch.amazonaws.com"),
            conditions={
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
            },
        ),
        *(
            iam_docs.statement(
                sid.replace("ToAlertTopics", "Publish"),
                ("sns:Publish",),
                [topic_arn],
                principal=iam_docs.service_principal(service),
                conditions={
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:" + source.format(region=region, account=account_id)
                    },
                },
            )
            for sid, (service, source) in TOPIC_PUBLISHERS.items()
        ),
        iam_docs.statement(
            "DenyInsecureTransport",
            ("sns:Publish",),
            [topic_arn],
            effect="Deny",
            principal={"AWS": "*"},
            conditions={"Bool": {"aws:SecureTransport": "false"}},
        ),
    )


@dataclass(frozen=True)
class AlertTopicArgs:
    """Inputs of `AlertTopic`: the cell's region and its `secrets` key (SNS encryption)."""

    region: str
    secrets_key_arn: pulumi.Input[str]


class AlertTopic(pulumi.ComponentResource):
    """The cell's alert topic: alarms publish here; on-call tooling subscribes (outside this stack)."""

    topic_arn: pulumi.Output[str]
    """ARN of the SNS topic, for alarm actions."""

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:observability:AlertTopic", name, None, opts)
        topic = aws.sns.Topic(
            f"{name}-topic",
            # The cell's own replica of the secrets key: publishing never depends on another region.
            kms_master_key_id=args.secrets_key_arn,
            region=args.region,
            tags=cell_tags(args.region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account_id).apply(
                lambda values: iam_docs.dumps(topic_policy(values[0], args.region, values[1]))
            ),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
