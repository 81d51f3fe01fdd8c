"""Detection: GuardDuty and Macie in every region, and security events that actually reach the alert topic.

* GuardDuty (Security Hub GuardDuty.1 enabled; .5 EKS audit logs; .7 EKS Runtime Monitoring with
  the managed agent; .8 Malware Protection for EC2; .9 RDS Protection; .10 S3 Protection): every
  detector of the stack is enabled and runs those protection plans, declared as
  `aws:guardduty/detectorFeature` resources (the GuardDuty API's `DetectorFeature` names).
* Every region with regional resources has a detector and a Macie account, unless a landing zone
  owns them (`finstack:security.accountServices: landing-zone`, read from the stack config the
  engine passes in PULUMI_CONFIG).
* An EventBridge rule target or an RDS event subscription pointing at an SNS topic delivers only
  if the topic's policy lets the service publish and the topic's KMS key lets the service use it
  (EventBridge User Guide "Amazon SNS permissions"; Aurora User Guide "Granting permissions to
  publish notifications to an Amazon SNS topic"); otherwise AWS drops the events silently (the
  rule's FailedInvocations metric is the only trace).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._util import (
    Compliance,
    StackView,
    as_list,
    get,
    is_true,
    is_unknown,
    landing_zone_owns_account_services,
    stack_policy,
    statements,
    strings,
)
from .encryption import KeyUse, _key_policy_document, _missing_actions, _resolve_keys

Report = Callable[..., None]

DOMAIN = "logging"

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
MACIE_ACCOUNT = "aws:macie2/account:Account"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RDS_SUBSCRIPTION = "aws:rds/eventSubscription:EventSubscription"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"

# Feature -> additional configuration that must be ENABLED with it.
REQUIRED_FEATURES: dict[str, tuple[str, ...]] = {
    "EKS_AUDIT_LOGS": (),
    "EKS_RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT",),
    "RDS_LOGIN_EVENTS": (),
    "S3_DATA_EVENTS": (),
    "EBS_MALWARE_PROTECTION": (),
}
# RUNTIME_MONITORING (EKS, ECS and EC2 in one) supersedes EKS_RUNTIME_MONITORING; a detector runs one of them.
EQUIVALENT = {"EKS_RUNTIME_MONITORING": "RUNTIME_MONITORING"}

THREATS = Compliance(pci=("11.5.1", "10.2.1"), soc2=("CC7.2", "CC7.3"), gdpr=("art32", "art33"))


def _enabled(props: dict[str, Any]) -> bool:
    return props.get("status") == "ENABLED"


def _detector_protections(args: StackValidationArgs, report: Report) -> None:
    """Every detector is enabled and runs the platform's protection plans."""
    view = StackView(args.resources)
    features = view.of_type(FEATURE)
    for detector in view.of_type(DETECTOR):
        props = view.props(detector)
        if not is_unknown(props.get("enable")) and not is_true(props.get("enable")):
            report(f"GuardDuty detector {detector.name} enable must be true.", detector.urn)
        mine = {
            view.props(f).get("name"): view.props(f)
            for f in features
            if detector in view.references(f, "detectorId", (DETECTOR,), keys=("id", "detectorId"))
        }
        for name, extras in REQUIRED_FEATURES.items():
            feature = mine.get(name) or mine.get(EQUIVALENT.get(name, ""))
            if feature is None or not _enabled(feature):
                report(f"GuardDuty detector {detector.name} must have feature {name} ENABLED.", detector.urn)
                continue
            configured = {get(c, "name"): get(c, "status") for c in as_list(feature.get("additionalConfigurations"))}
            for extra in extras:
                if configured.get(extra) != "ENABLED":
                    report(
                        f"GuardDuty detector {detector.name} feature {name} must have {extra} ENABLED "
                        "(GuardDuty manages the security agent).",
                        detector.urn,
                    )


def _every_region(args: StackValidationArgs, report: Report) -> None:
    """Each region with regional resources has a GuardDuty detector and a Macie account."""
    if landing_zone_owns_account_services():
        return
    view = StackView(args.resources)
    for kind, what in ((DETECTOR, "a GuardDuty detector"), (MACIE_ACCOUNT, "a Macie account")):
        covered = {view.region(r) for r in view.of_type(kind)}
        for region in view.regional_regions():
            if region not in covered:
                report(
                    f"Region {region} must have {what} (components/threat_detection.py), or set "
                    "finstack:security.accountServices to landing-zone.",
                    None,
                )


# Publisher type -> (the property naming the topic, the service principal that publishes).
PUBLISHERS: dict[str, tuple[str, str]] = {
    EVENT_TARGET: ("arn", "events.amazonaws.com"),
    RDS_SUBSCRIPTION: ("snsTopic", "events.rds.amazonaws.com"),
}
_PUBLISH_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def _topic_allows(document: dict[str, Any], service: str) -> bool:
    """The topic policy has an Allow of sns:Publish for `service`."""
    for statement in statements(document):
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        if service in strings(principal.get("Service")) and any(
            fnmatch.fnmatchcase("sns:publish", a.lower()) for a in strings(statement.get("Action"))
        ):
            return True
    return False


def _check_topic(
    view: StackView, publisher: PolicyResource, topic: PolicyResource, service: str, report: Report
) -> None:
    where = f"SNS topic {topic.name} (target of {publisher.name})"
    policies = [p for p in view.of_type(SNS_TOPIC_POLICY) if topic in view.references(p, "arn", (SNS_TOPIC,), ("arn",))]
    documents = [view.props(p).get("policy") for p in policies] + [view.props(topic).get("policy")]
    known = [_key_policy_document(d) for d in documents if d is not None and not is_unknown(d)]
    if not any(d and _topic_allows(d, service) for d in known) and len(known) == len([d for d in documents if d]):
        report(f"{where} policy must allow sns:Publish to {service}.", publisher.urn)
    region = view.region(topic) or ""
    key_ref = view.props(topic).get("kmsMasterKeyId")
    if key_ref is None:
        return
    use = KeyUse(service.removesuffix(".amazonaws.com"), _PUBLISH_KEY_ACTIONS, through_callers=False)
    for key in _resolve_keys(view, topic, "kmsMasterKeyId", key_ref, region):
        policy = view.props(key).get("policy")
        if is_unknown(policy):
            continue  # the key policy is built from literals and the account id: known at up at the latest
        missing = _missing_actions(_key_policy_document(policy) or {}, use, view.region(key), None)
        if missing:
            report(
                f"{where} is encrypted with KMS key {key.name}, whose policy must allow {', '.join(missing)} "
                f"to {service}; AWS drops the events otherwise.",
                publisher.urn,
            )


def _publishers_can_deliver(args: StackValidationArgs, report: Report) -> None:
    """EventBridge targets and RDS event subscriptions may publish to their topic and use its key."""
    view = StackView(args.resources)
    for kind, (prop, service) in PUBLISHERS.items():
        for publisher in view.of_type(kind):
            for topic in view.references(publisher, prop, (SNS_TOPIC,), keys=("arn",)):
                _check_topic(view, publisher, topic, service, report)


POLICIES = [
    stack_policy(
        name="guardduty-detector-protections",
        description="GuardDuty detectors must be enabled with EKS, runtime, RDS, S3 and malware protection.",
        validate=_detector_protections,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=THREATS.with_controls(
            "DET-GUARDDUTY-PROTECTIONS",
            security_hub=("GuardDuty.1", "GuardDuty.5", "GuardDuty.7", "GuardDuty.8", "GuardDuty.9", "GuardDuty.10"),
        ),
        remediation="Declare aws.guardduty.DetectorFeature(status='ENABLED') for EKS_AUDIT_LOGS, "
        "EKS_RUNTIME_MONITORING (additionalConfigurations EKS_ADDON_MANAGEMENT=ENABLED), RDS_LOGIN_EVENTS, "
        "S3_DATA_EVENTS and EBS_MALWARE_PROTECTION (components/threat_detection.py).",
    ),
    stack_policy(
        name="threat-detection-every-region",
        description="Every region of the stack must have a GuardDuty detector and a Macie account.",
        validate=_every_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("11.5.1",), soc2=("CC7.2",), gdpr=("art5", "art32")).with_controls(
            "DET-EVERY-REGION", security_hub=("GuardDuty.1", "Macie.1")
        ),
        remediation="Declare components/threat_detection.ThreatDetection for every cell, or set "
        "finstack:security.accountServices: landing-zone where the organization runs them.",
    ),
    stack_policy(
        name="sns-topic-publishers-can-deliver",
        description="EventBridge and RDS event publishers must be allowed by their SNS topic's policy and KMS key.",
        validate=_publishers_can_deliver,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=THREATS.with_controls("DET-ALERT-DELIVERY"),
        remediation="Allow sns:Publish to the service in the topic policy (components/alerts.py) and "
        "kms:GenerateDataKey and kms:Decrypt to it in the topic key's policy (components/keys.py TOPIC_PUBLISHERS).",
    ),
]
