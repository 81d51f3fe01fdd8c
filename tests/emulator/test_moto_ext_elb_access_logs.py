"""ALB access logs in the emulator: ModifyLoadBalancerAttributes refuses a bucket ELB cannot write, as AWS does."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from components.log_archive import archive_policy
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

ACCOUNT = "123456789012"  # moto's default account
BUCKET = "finstack-logs"


def _alb(region: str = "us-east-1") -> tuple[boto3.client, str]:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"][:2]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    elb = boto3.client("elbv2", region_name=region)
    arn = elb.create_load_balancer(Name="api", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    return elb, arn


def _bucket(*, policy: dict | None, algorithm: str = "AES256", region: str = "us-east-1") -> None:
    s3 = boto3.client("s3", region_name=region)
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=BUCKET, **kwargs)
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]
        },
    )
    if policy is not None:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))


def _turn_on(elb: boto3.client, arn: str, prefix: str = "alb") -> None:
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": BUCKET},
            {"Key": "access_logs.s3.prefix", "Value": prefix},
        ],
    )


@pytest.mark.usefixtures("aws")
def test_elb_access_logs__log_archive_is_accepted() -> None:
    _bucket(policy=archive_policy(f"arn:aws:s3:::{BUCKET}", "us-east-1", ACCOUNT))
    elb, arn = _alb()
    _turn_on(elb, arn)
    attributes = {
        a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    }
    assert attributes["access_logs.s3.enabled"] == "true"


@pytest.mark.parametrize(
    ("policy", "algorithm", "prefix"),
    [
        (None, "AES256", "alb"),
        ("archive", "aws:kms", "alb"),
        ("archive", "AES256", "elsewhere"),
        ("archive-us-west-2", "AES256", "alb"),
    ],
    ids=["no-policy", "sse-kms", "prefix-not-granted", "other-regions-elb-account"],
)
@pytest.mark.usefixtures("aws")
def test_elb_access_logs__bucket_elb_cannot_write_is_refused(policy, algorithm, prefix) -> None:
    documents = {
        "archive": archive_policy(f"arn:aws:s3:::{BUCKET}", "us-east-1", ACCOUNT),
        "archive-us-west-2": archive_policy(f"arn:aws:s3:::{BUCKET}", "us-west-2", ACCOUNT),
    }
    _bucket(policy=documents.get(policy or ""), algorithm=algorithm)
    elb, arn = _alb()
    with pytest.raises(ClientError, match="Access Denied for bucket"):
        _turn_on(elb, arn, prefix)


@pytest.mark.usefixtures("aws")
def test_elb_access_logs__bucket_in_another_region_is_refused() -> None:
    _bucket(policy=archive_policy(f"arn:aws:s3:::{BUCKET}", "us-west-2", ACCOUNT), region="us-west-2")
    elb, arn = _alb("us-east-1")
    with pytest.raises(ClientError, match="Access Denied for bucket"):
        _turn_on(elb, arn)
