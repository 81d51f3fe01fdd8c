"""ZoneSigning under mocks: the us-east-1 signing key, the ACTIVE KSK, signing after it, the two alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.traffic import GlobalTrafficArgs
from components.zone_signing import ALARM_METRICS, DNSSEC_SERVICE, NOT_FOR_SIGNING_KEYS, signing_key_policy
from tests.plan import Plan, plan_of, shipped_config, shipped_plan
from tests.test_traffic import ALERTS_TOPIC, _cells, _traffic

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
KSK = "aws:route53/keySigningKey:KeySigningKey"
SIGNING = "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def prod() -> Plan:
    return plan_of(_traffic("prod", dnssec_account_id=ACCOUNT), "prod")


def _signing_key(plan: Plan) -> Any:
    [key] = [k for k in plan.of_type(KEY) if k.name == "traffic-dnssec-key"]
    return key


def test_zone_signing__key_is_an_ecc_p256_signing_key_in_us_east_1(prod: Plan) -> None:
    key = _signing_key(prod)
    assert key.region == "us-east-1", key.urn
    assert (key.inputs["customerMasterKeySpec"], key.inputs["keyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY"), key.urn
    assert key.inputs["multiRegion"] is False and key.inputs["enableKeyRotation"] is False, key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    # A deleted signing key takes the zone down for validating resolvers: prod protects it.
    assert key.protect, key.urn
    [alias] = [a for a in prod.of_type(ALIAS) if a.name == "traffic-dnssec-key-alias"]
    assert (alias.inputs["name"], alias.region) == ("alias/finstack/prod/dnssec", "us-east-1"), alias.urn
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"], alias.urn


def test_zone_signing__key_policy_lets_route53_dnssec_sign_for_this_account_only(prod: Plan) -> None:
    key = _signing_key(prod)
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    signing = statements["Route53DnssecSigning"]
    assert signing["Principal"] == {"Service": DNSSEC_SERVICE}, key.urn
    assert sorted(signing["Action"]) == ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], key.urn
    assert signing["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"},
    }, key.urn
    grants = statements["Route53DnssecGrants"]
    assert grants["Action"] == "kms:CreateGrant", key.urn
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}, key.urn
    admin = statements["KeyAdministration"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, key.urn
    # Administration only: no kms:*, no use, nothing KMS refuses for an asymmetric single-region key.
    assert not {"kms:*", "kms:Sign", "kms:Decrypt"} & set(admin["Action"]), key.urn
    assert not NOT_FOR_SIGNING_KEYS & set(admin["Action"]), key.urn
    assert set(statements) == {"KeyAdministration", "Route53DnssecSigning", "Route53DnssecGrants"}, key.urn


def test_zone_signing__active_ksk_on_the_key_then_signing(prod: Plan) -> None:
    [zone] = prod.of_type("aws:route53/zone:Zone")
    [ksk] = prod.of_type(KSK)
    [signing] = prod.of_type(SIGNING)
    key = _signing_key(prod)
    assert ksk.inputs["hostedZoneId"] == zone.outputs["zoneId"], ksk.urn
    assert ksk.inputs["keyManagementServiceArn"] == key.outputs["arn"], ksk.urn
    assert (ksk.inputs["name"], ksk.inputs["status"]) == ("finstack_prod_ksk", "ACTIVE"), ksk.urn
    assert ksk.protect, ksk.urn
    assert (signing.inputs["hostedZoneId"], signing.inputs["signingStatus"]) == (zone.outputs["zoneId"], "SIGNING")
    # Route 53 refuses to sign without an active KSK.
    assert ksk.urn in signing.dependencies, signing.urn


def test_zone_signing__both_recommended_alarms_watch_the_zone_in_us_east_1(prod: Plan) -> None:
    [zone] = prod.of_type("aws:route53/zone:Zone")
    alarms = {a.inputs["metricName"]: a for a in prod.of_type(ALARM) if a.inputs["metricName"] in ALARM_METRICS}
    assert sorted(alarms) == sorted(ALARM_METRICS)
    for alarm in alarms.values():
        assert alarm.region == "us-east-1" and alarm.inputs["namespace"] == "AWS/Route53", alarm.urn
        assert alarm.inputs["dimensions"] == {"HostedZoneId": zone.outputs["zoneId"]}, alarm.urn
        assert alarm.inputs["alarmActions"] == [ALERTS_TOPIC], alarm.urn
        assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 0)


def test_zone_signing__dev_does_not_protect_the_key_or_ksk() -> None:
    plan = plan_of(_traffic("dev", dnssec_account_id=ACCOUNT), "dev")
    [ksk] = plan.of_type(KSK)
    assert not ksk.protect and not _signing_key(plan).protect, ksk.urn
    assert _signing_key(plan).inputs["deletionWindowInDays"] == 30


def test_global_traffic__existing_zone_or_no_account_is_not_signed() -> None:
    existing = plan_of(_traffic("prod", hosted_zone_id="Z0123456789ABCDEFGHIJ", dnssec_account_id=ACCOUNT), "prod")
    unsigned = plan_of(_traffic("prod"), "prod")
    for plan in (existing, unsigned):
        assert plan.of_type(KSK) == [] and plan.of_type(SIGNING) == []


def test_global_traffic_args__signing_needs_the_alarm_topic() -> None:
    config = shipped_config("prod")
    with pytest.raises(ValueError, match="DNSSEC signing needs alarm_topic_arn"):
        GlobalTrafficArgs(
            environment="prod",
            domain=config.domain,
            primary_region=config.primary.name,
            cells=_cells(config),
            health_check_path="/healthz",
            arc_enabled=False,
            certificate_validation="wait",
            dnssec_account_id=ACCOUNT,
        )


def test_signing_key_policy__partition_reaches_every_arn() -> None:
    text = json.dumps(signing_key_policy(ACCOUNT, partition="aws-us-gov"))
    assert "arn:aws:" not in text and "arn:aws-us-gov:route53:::hostedzone/*" in text


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_program__shipped_zone_is_signed_and_exports_the_ds_record(stack: str) -> None:
    plan = shipped_plan(stack)
    [ksk] = plan.of_type(KSK)
    [signing] = plan.of_type(SIGNING)
    assert signing.inputs["signingStatus"] == "SIGNING", signing.urn
    assert plan.outputs["dns"]["dsRecord"] == ksk.outputs["dsRecord"], ksk.urn
    assert ksk.outputs["dsRecord"].split()[1:3] == ["13", "2"], ksk.urn
    [topic] = [a for a in plan.of_type(ALARM) if a.inputs["metricName"] == "DNSSECInternalFailure"]
    assert topic.inputs["alarmActions"] and topic.inputs["alarmActions"][0].startswith("arn:aws:sns:us-east-1:")
