"""EKS CreateCluster in the emulator refuses subnets in AZ IDs Amazon EKS does not support, as AWS does."""

from __future__ import annotations

from typing import Any

import boto3
import pulumi_aws as aws
import pytest
from botocore.exceptions import ClientError

from components.network import RegionalNetwork, RegionalNetworkArgs
from components.zones import eks_supports
from finstack.emulator.gateway import AwsGateway
from finstack.emulator.handlers import load_all
from finstack.emulator.mocks import EmulatorMocks
from finstack.emulator.state import DeployState
from finstack.engine.runner import run_callable
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name
from tests.plan import shipped_config

pytestmark = pytest.mark.usefixtures("aws")

ROLE = "arn:aws:iam::123456789012:role/eks"


def subnets_in(region: str, *zones: str) -> list[str]:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]


def create_cluster(region: str, subnet_ids: list[str]) -> dict[str, Any]:
    eks = boto3.client("eks", region_name=region)
    return dict(eks.create_cluster(name="ledger", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnet_ids}))


def test_create_cluster__subnet_in_use1_az3_is_refused_with_aws_error() -> None:
    # moto's account maps us-east-1e to use1-az3
    subnets = subnets_in("us-east-1", "us-east-1a", "us-east-1e")
    with pytest.raises(ClientError) as caught:
        create_cluster("us-east-1", subnets)
    response = caught.value.response
    assert response["Error"]["Code"] == "UnsupportedAvailabilityZoneException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    valid = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"]
    assert response["Error"]["Message"] == (
        "Cannot create cluster 'ledger' because us-east-1e, the targeted availability zone, does not currently "
        f"have sufficient capacity to support the cluster. Retry and choose from these availability zones: "
        f"{', '.join(valid)}"
    )
    assert response["validZones"] == valid
    assert response["clusterName"] == "ledger"
    assert boto3.client("eks", region_name="us-east-1").list_clusters()["clusters"] == []


def test_create_cluster__supported_zones_are_accepted() -> None:
    cluster = create_cluster("us-east-1", subnets_in("us-east-1", "us-east-1a", "us-east-1b"))
    assert cluster["cluster"]["name"] == "ledger"


def test_create_cluster__regions_without_unsupported_zones_are_unaffected() -> None:
    cluster = create_cluster("us-west-2", subnets_in("us-west-2", "us-west-2a", "us-west-2b"))
    assert cluster["cluster"]["name"] == "ledger"


def test_regional_network__five_azs_of_us_east_1_get_an_eks_cluster_in_the_emulator() -> None:
    # Given a cell with five AZs in us-east-1, deployed into the emulator (whose first five names
    # include us-east-1e = use1-az3), with an EKS cluster on its app subnets
    def program() -> None:
        net = RegionalNetwork(
            "cell-us-east-1",
            RegionalNetworkArgs(
                region="us-east-1",
                cidr="10.10.0.0/16",
                azs=5,
                environment="dev",
                nat_gateways="single",
                log_retention_days=30,
                logs_key_arn="arn:aws:kms:us-east-1:123456789012:key/mrk-0123",
            ),
        )
        aws.eks.Cluster(
            "probe-eks",
            name="ledger",
            role_arn=ROLE,
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=net.app_subnet_ids),
            region="us-east-1",
        )

    gateway = AwsGateway()
    mocks = EmulatorMocks("us-east-1", gateway, load_all(), DeployState("probe", "in-process"))
    # When it runs, then CreateCluster accepts the subnets: no UnsupportedAvailabilityZoneException
    run_callable(program, shipped_config("dev"), mocks=mocks, preview=False)
    assert gateway.client("eks", "us-east-1").list_clusters()["clusters"] == ["ledger"]
    subnets = [s for s in gateway.client("ec2", "us-east-1").describe_subnets()["Subnets"] if not s["DefaultForAz"]]
    zone_ids = sorted({s["AvailabilityZoneId"] for s in subnets})
    assert zone_ids == ["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"], zone_ids
    for subnet in subnets:
        assert eks_supports("us-east-1", subnet["AvailabilityZoneId"]), subnet["SubnetId"]
