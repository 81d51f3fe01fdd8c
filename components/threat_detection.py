"""Per cell: GuardDuty with the platform's protection plans, Macie discovery, and security events to the alert topic.

* GuardDuty (account-level, one detector per region): EKS audit logs, EKS Runtime Monitoring with
  the managed agent (GuardDuty installs and updates the EKS add-on: EKS_ADDON_MANAGEMENT), RDS
  login events, S3 data events and malware protection of EBS volumes. The feature names are the
  GuardDuty API's `DetectorFeature` enum (botocore guardduty model). EKS_RUNTIME_MONITORING and
  RUNTIME_MONITORING are exclusive: a detector takes one or the other ("Runtime Monitoring",
  GuardDuty User Guide: EKS Runtime Monitoring is the EKS-only predecessor; enabling both fails).
* Findings of medium severity and up (GuardDuty severity 4.0 and above: Medium 4.0-6.9, High
  7.0-8.9, Critical 9.0+, "Severity levels of GuardDuty findings") go through an EventBridge rule
  to the cell's alert topic. EventBridge's numeric matching (`{"numeric": [">=", 4]}`, "Content
  filtering in Amazon EventBridge event patterns") compares the finding's `detail.severity`.
* Macie (account-level, per region) with a weekly sensitive-data discovery job over the cell's
  platform buckets (GDPR art. 5(1)(c) data minimisation: know where personal data sits).
  pulumi-aws v7 has no resource for Macie's *automated* sensitive data discovery
  (UpdateAutomatedDiscoveryConfiguration, botocore macie2): the scheduled classification job is
  the declarative equivalent for the buckets the platform owns.
* RDS event subscriptions (cluster, parameter group and DB security group events) to the alert
  topic. Valid RDS source types are the botocore rds model's `CreateEventSubscriptionMessage.
  SourceType` list; there is no `db-cluster-parameter-group` source type: a cluster parameter
  group change shows as the cluster's "configuration change" event.

The topic must let events.amazonaws.com and events.rds.amazonaws.com publish (components/alerts.py)
and its KMS key must let them use it (components/keys.py TOPIC_PUBLISHERS): AWS drops the messages
otherwise. With `account_services=False` (a landing zone owns GuardDuty and Macie) no detector
and no Macie account are declared; the routing and the RDS subscriptions remain the stack's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.naming import cell_tags

# Feature -> its additional configuration (name -> status), GuardDuty API names.
FEATURES: dict[str, dict[str, str]] = {
    "EKS_AUDIT_LOGS": {},
    "EKS_RUNTIME_MONITORING": {"EKS_ADDON_MANAGEMENT": "ENABLED"},
    "RDS_LOGIN_EVENTS": {},
    "S3_DATA_EVENTS": {},
    "EBS_MALWARE_PROTECTION": {},
}
# GuardDuty's lower bound of "Medium".
MEDIUM_SEVERITY = 4
# RDS source type -> the event categories that matter for security and availability.
RDS_EVENT_SOURCES: dict[str, tuple[str, ...]] = {
    "db-cluster": ("configuration change", "deletion", "failover", "failure", "global-failover", "maintenance"),
    "db-parameter-group": ("configuration change",),
    "db-security-group": ("configuration change", "failure"),
}


def findings_pattern(minimum_severity: int = MEDIUM_SEVERITY) -> dict[str, object]:
    """EventBridge pattern: GuardDuty findings of `minimum_severity` and above."""
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", minimum_severity]}]},
    }


@dataclass(frozen=True)
class ThreatDetectionArgs:
    """Inputs of `ThreatDetection` for one cell.

    `discovery_bucket_names`: the platform's buckets in this region that Macie inspects.
    `account_services`: declare the account-level detector and Macie account (False under a landing zone).
    """

    region: str
    environment: str
    account_id: pulumi.Input[str]
    alert_topic_arn: pulumi.Input[str]
    account_services: bool = True
    discovery_bucket_names: tuple[pulumi.Input[str], ...] = ()


class ThreatDetection(pulumi.ComponentResource):
    """GuardDuty, Macie and the security event routing of one cell."""

    detector_id: pulumi.Output[str] | None
    """The cell's GuardDuty detector (None when a landing zone owns it)."""
    findings_rule_name: pulumi.Output[str]
    """The EventBridge rule forwarding findings (its metrics count them for the dashboard)."""

    def __init__(self, name: str, args: ThreatDetectionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:security:ThreatDetection", name, None, opts)
        self._name, self._args = name, args
        self._tags = cell_tags(args.region, role="detection")
        self.detector_id = None
        if args.account_services:
            self.detector_id = self._create_guardduty().id
            self._create_macie()
        rule = self._create_findings_route()
        self._create_rds_subscriptions()
        self.findings_rule_name = rule.name
        self.register_outputs({"detector_id": self.detector_id, "findings_rule_name": self.findings_rule_name})

    def _create_guardduty(self) -> aws.guardduty.Detector:
        region = self._args.region
        detector = aws.guardduty.Detector(
            f"{self._name}-detector",
            enable=True,
            # Findings reach EventBridge within minutes; updates to open findings every 15 minutes.
            finding_publishing_frequency="FIFTEEN_MINUTES",
            region=region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for feature, extra in FEATURES.items():
            aws.guardduty.DetectorFeature(
                f"{self._name}-{feature.lower().replace('_', '-')}",
                detector_id=detector.id,
                name=feature,
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=n, status=s) for n, s in extra.items()
                ]
                or None,
                region=region,
                opts=pulumi.ResourceOptions(parent=detector),
            )
        return detector

    def _create_macie(self) -> None:
        args = self._args
        account = aws.macie2.Account(
            f"{self._name}-macie",
            status="ENABLED",
            finding_publishing_frequency="FIFTEEN_MINUTES",
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if not args.discovery_bucket_names:
            return
        aws.macie2.ClassificationJob(
            f"{self._name}-discovery",
            name=f"finstack-{args.environment}-{args.region}-discovery",
            job_type="SCHEDULED",
            schedule_frequency=aws.macie2.ClassificationJobScheduleFrequencyArgs(weekly_schedule="MONDAY"),
            s3_job_definition=aws.macie2.ClassificationJobS3JobDefinitionArgs(
                bucket_definitions=[
                    aws.macie2.ClassificationJobS3JobDefinitionBucketDefinitionArgs(
                        account_id=args.account_id, buckets=list(args.discovery_bucket_names)
                    )
                ]
            ),
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=account, depends_on=[account]),
        )

    def _create_findings_route(self) -> aws.cloudwatch.EventRule:
        args = self._args
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-findings",
            description="GuardDuty findings of medium severity and up, to the cell's alert topic",
            event_pattern=json.dumps(findings_pattern(), sort_keys=True),
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-findings-alerts",
            rule=rule.name,
            arn=args.alert_topic_arn,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=rule),
        )
        return rule

    def _create_rds_subscriptions(self) -> None:
        args = self._args
        for source, categories in RDS_EVENT_SOURCES.items():
            aws.rds.EventSubscription(
                f"{self._name}-rds-{source}",
                name=f"finstack-{args.environment}-{args.region}-{source}",
                sns_topic=args.alert_topic_arn,
                source_type=source,
                event_categories=list(categories),
                enabled=True,
                region=args.region,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
