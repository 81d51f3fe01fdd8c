"""ACM issues on validation records, not on a timer; ELBv2 refuses a listener on an unissued certificate."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import settings as moto_settings

from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

pytestmark = pytest.mark.usefixtures("aws")

REGION = "us-east-1"
DOMAIN = "dev.pay.example.com"
NAME = f"api.{DOMAIN}"


@pytest.fixture(autouse=True)
def no_moto_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Stock moto issues every certificate once this many seconds passed: 0 makes it issue at once.
    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 0)


def acm() -> Any:
    return boto3.client("acm", region_name=REGION)


def request() -> str:
    return str(acm().request_certificate(DomainName=NAME, ValidationMethod="DNS")["CertificateArn"])


def status(arn: str) -> str:
    return str(acm().describe_certificate(CertificateArn=arn)["Certificate"]["Status"])


def write_validation_records(arn: str, private: bool = False) -> None:
    route53 = boto3.client("route53")
    config: dict[str, Any] = {"Comment": "test", "PrivateZone": private}
    kwargs: dict[str, Any] = {"Name": DOMAIN, "CallerReference": f"zone-{private}", "HostedZoneConfig": config}
    if private:
        vpc = boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        kwargs["VPC"] = {"VPCRegion": REGION, "VPCId": vpc}
    zone = route53.create_hosted_zone(**kwargs)["HostedZone"]["Id"]
    options = acm().describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    changes = [
        {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": o["ResourceRecord"]["Name"],
                "Type": "CNAME",
                "TTL": 300,
                "ResourceRecords": [{"Value": o["ResourceRecord"]["Value"]}],
            },
        }
        for o in options
    ]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})


def load_balancer() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    elb = boto3.client("elbv2", region_name=REGION)
    return str(elb.create_load_balancer(Name="api", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"])


def https_listener(lb_arn: str, cert_arn: str) -> Any:
    return boto3.client("elbv2", region_name=REGION).create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": cert_arn}],
        DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain"}}
        ],
    )


def test_acm__requested_certificate_stays_pending_without_validation_records() -> None:
    arn = request()
    assert status(arn) == "PENDING_VALIDATION"
    assert status(arn) == "PENDING_VALIDATION", "moto's timer must not issue it"


def test_acm__certificate_issues_once_its_cnames_are_in_a_public_zone() -> None:
    arn = request()
    write_validation_records(arn)
    assert status(arn) == "ISSUED"


def test_acm__records_in_a_private_zone_do_not_validate() -> None:
    # ACM resolves the CNAMEs through public DNS: a private zone is invisible to it.
    arn = request()
    write_validation_records(arn, private=True)
    assert status(arn) == "PENDING_VALIDATION"


def test_elbv2__listener_on_a_pending_certificate_is_refused() -> None:
    arn = request()
    with pytest.raises(ClientError) as caught:
        https_listener(load_balancer(), arn)
    assert caught.value.response["Error"] == {
        "Code": "CertificateNotFound",
        "Message": f"Certificate '{arn}' not found (emulator: it is PENDING_VALIDATION; "
        "ELBv2 binds only ISSUED ACM certificates)",
        "Type": "Sender",
    }


def test_elbv2__listener_on_an_issued_certificate_is_created() -> None:
    arn = request()
    write_validation_records(arn)
    listener = https_listener(load_balancer(), arn)["Listeners"][0]
    assert listener["Certificates"] == [{"CertificateArn": arn}]


def test_elbv2__listener_on_an_unknown_acm_certificate_is_not_found() -> None:
    arn = request().rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as caught:
        https_listener(load_balancer(), arn)
    assert caught.value.response["Error"]["Code"] == "CertificateNotFound"
