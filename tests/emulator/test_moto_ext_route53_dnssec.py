"""Route 53 DNSSEC in the emulator: KSKs only on a key Route 53 may sign with, signing only with an active KSK."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from components.zone_signing import signing_key_policy
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

ACCOUNT = "123456789012"  # moto's default account
DOMAIN = "pay.example.com"


def _route53() -> Any:
    return boto3.client("route53", region_name="us-east-1")


def _zone() -> str:
    zone = _route53().create_hosted_zone(Name=DOMAIN, CallerReference="ref")
    return zone["HostedZone"]["Id"].rsplit("/", 1)[-1]


def _key(region: str = "us-east-1", policy: dict | None = None, **spec: str) -> str:
    kms = boto3.client("kms", region_name=region)
    key = kms.create_key(
        KeySpec=spec.get("KeySpec", "ECC_NIST_P256"),
        KeyUsage=spec.get("KeyUsage", "SIGN_VERIFY"),
        Policy=json.dumps(policy or signing_key_policy(ACCOUNT)),
    )
    return key["KeyMetadata"]["Arn"]


def _create(zone_id: str, arn: str, name: str = "finstack_prod_ksk", status: str = "ACTIVE") -> dict:
    return _route53().create_key_signing_key(
        CallerReference=name, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name=name, Status=status
    )


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


@pytest.mark.usefixtures("aws")
def test_dnssec__stack_key_gives_an_active_ksk_and_signing_with_a_valid_ds_record() -> None:
    zone_id = _zone()
    arn = _key()
    created = _create(zone_id, arn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    _route53().enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    dnssec = _route53().get_dnssec(HostedZoneId=zone_id)
    assert dnssec["Status"]["ServeSignature"] == "SIGNING"
    [ksk] = dnssec["KeySigningKeys"]
    assert (ksk["Name"], ksk["KmsArn"], ksk["Status"], ksk["Flag"]) == ("finstack_prod_ksk", arn, "ACTIVE", 257)
    # The DS record is what a validating resolver checks: SHA-256 over owner name + DNSKEY RDATA.
    public = base64.b64decode(ksk["PublicKey"])
    owner = b"".join(bytes([len(label)]) + label.encode() for label in DOMAIN.split(".")) + b"\x00"
    rdata = (257).to_bytes(2, "big") + bytes([3, 13]) + public
    digest = hashlib.sha256(owner + rdata).hexdigest().upper()
    assert ksk["DSRecord"] == f"{ksk['KeyTag']} 13 2 {digest}"
    assert len(public) == 64


@pytest.mark.usefixtures("aws")
def test_dnssec__health_checks_still_answer_after_the_dnssec_routes() -> None:
    check = _route53().create_health_check(
        CallerReference="hc",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": f"api.{DOMAIN}", "Port": 443},
    )
    status = _route53().get_health_check_status(HealthCheckId=check["HealthCheck"]["Id"])
    assert status["HealthCheckObservations"][0]["StatusReport"]["Status"].startswith("Success")


@pytest.mark.usefixtures("aws")
def test_dnssec__key_outside_us_east_1_is_invalid_kms_arn() -> None:
    zone_id = _zone()
    with pytest.raises(ClientError) as err:
        _create(zone_id, _key(region="us-west-2"))
    assert _code(err) == "InvalidKMSArn" and "us-east-1" in str(err.value)


@pytest.mark.parametrize(
    "spec", [{"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}, {"KeySpec": "ECC_NIST_P384"}]
)
@pytest.mark.usefixtures("aws")
def test_dnssec__wrong_key_spec_or_usage_is_invalid_kms_arn(spec: dict[str, str]) -> None:
    zone_id = _zone()
    with pytest.raises(ClientError) as err:
        _create(zone_id, _key(**spec))
    assert _code(err) == "InvalidKMSArn"


@pytest.mark.usefixtures("aws")
def test_dnssec__disabled_key_is_invalid_kms_arn() -> None:
    zone_id = _zone()
    arn = _key()
    boto3.client("kms", region_name="us-east-1").disable_key(KeyId=arn.rsplit("/", 1)[-1])
    with pytest.raises(ClientError) as err:
        _create(zone_id, arn)
    assert _code(err) == "InvalidKMSArn"


def _without(sid: str) -> dict:
    policy = signing_key_policy(ACCOUNT)
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != sid]
    return policy


def _pinned_to(account: str) -> dict:
    policy = signing_key_policy(account)
    # The administration statement must name this account for KMS to accept the policy.
    policy["Statement"][0] = signing_key_policy(ACCOUNT)["Statement"][0]
    return policy


@pytest.mark.parametrize("policy", [_without("Route53DnssecSigning"), _pinned_to("111122223333")])
@pytest.mark.usefixtures("aws")
def test_dnssec__key_policy_not_letting_route53_sign_here_is_invalid_kms_arn(policy: dict) -> None:
    zone_id = _zone()
    with pytest.raises(ClientError) as err:
        _create(zone_id, _key(policy=policy))
    assert _code(err) == "InvalidKMSArn" and "dnssec-route53" in str(err.value)


@pytest.mark.usefixtures("aws")
def test_dnssec__key_policy_deny_wins() -> None:
    policy = signing_key_policy(ACCOUNT)
    policy["Statement"].append(
        {"Sid": "NoSign", "Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*"}
    )
    with pytest.raises(ClientError) as err:
        _create(_zone(), _key(policy=policy))
    assert _code(err) == "InvalidKMSArn"


@pytest.mark.usefixtures("aws")
def test_dnssec__signing_without_an_active_ksk_is_refused() -> None:
    zone_id = _zone()
    with pytest.raises(ClientError) as err:
        _route53().enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    assert _code(err) == "KeySigningKeyWithActiveStatusNotFound"
    _create(zone_id, _key(), status="INACTIVE")
    with pytest.raises(ClientError) as err:
        _route53().enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    assert _code(err) == "KeySigningKeyWithActiveStatusNotFound"
    _route53().activate_key_signing_key(HostedZoneId=zone_id, Name="finstack_prod_ksk")
    _route53().enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    assert _route53().get_dnssec(HostedZoneId=zone_id)["Status"]["ServeSignature"] == "SIGNING"


@pytest.mark.usefixtures("aws")
def test_dnssec__last_active_ksk_of_a_signing_zone_cannot_be_deactivated_nor_an_active_one_deleted() -> None:
    zone_id = _zone()
    _create(zone_id, _key())
    _route53().enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    with pytest.raises(ClientError) as err:
        _route53().deactivate_key_signing_key(HostedZoneId=zone_id, Name="finstack_prod_ksk")
    assert _code(err) == "KeySigningKeyInUse"
    with pytest.raises(ClientError) as err:
        _route53().delete_key_signing_key(HostedZoneId=zone_id, Name="finstack_prod_ksk")
    assert _code(err) == "InvalidKeySigningKeyStatus"
    # The documented order: signing off, then deactivate, then delete.
    _route53().disable_hosted_zone_dnssec(HostedZoneId=zone_id)
    _route53().deactivate_key_signing_key(HostedZoneId=zone_id, Name="finstack_prod_ksk")
    _route53().delete_key_signing_key(HostedZoneId=zone_id, Name="finstack_prod_ksk")
    assert _route53().get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"] == []


@pytest.mark.usefixtures("aws")
def test_dnssec__names_duplicates_limit_and_missing_ksk() -> None:
    zone_id = _zone()
    with pytest.raises(ClientError) as err:
        _create(zone_id, _key(), name="finstack-prod")
    assert _code(err) == "InvalidKeySigningKeyName"
    arn = _key()
    _create(zone_id, arn, name="ksk_one")
    with pytest.raises(ClientError) as err:
        _create(zone_id, arn, name="ksk_two")
    assert _code(err) == "KeySigningKeyAlreadyExists"
    _create(zone_id, _key(), name="ksk_two")
    with pytest.raises(ClientError) as err:
        _create(zone_id, _key(), name="ksk_three")
    assert _code(err) == "TooManyKeySigningKeys"
    with pytest.raises(ClientError) as err:
        _route53().activate_key_signing_key(HostedZoneId=zone_id, Name="nope_ksk")
    assert _code(err) == "NoSuchKeySigningKey"
    with pytest.raises(ClientError) as err:
        _create("Z0NOSUCHZONE", arn, name="ksk_four")
    assert _code(err) == "NoSuchHostedZone"
