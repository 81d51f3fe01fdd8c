"""EC2 VPC Block Public Access: the region's mode and its exclusions, served and refused as AWS does."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext.vpc_block_public_access import set_exclusions_not_allowed
from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.usefixtures("aws")


def ec2(region: str = EAST) -> Any:
    return boto3.client("ec2", region_name=region)


def _subnet(region: str = EAST) -> tuple[str, str]:
    vpc = ec2(region).create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2(region).create_subnet(VpcId=vpc, CidrBlock="10.10.0.0/24")["Subnet"]["SubnetId"]
    return vpc, subnet


def _code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_options__off_by_default_then_per_region() -> None:
    before = ec2().describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
    assert (before["InternetGatewayBlockMode"], before["State"]) == ("off", "default-state")
    answer = ec2().modify_vpc_block_public_access_options(InternetGatewayBlockMode="block-ingress")
    assert answer["VpcBlockPublicAccessOptions"]["InternetGatewayBlockMode"] == "block-ingress"
    after = ec2().describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
    assert (after["InternetGatewayBlockMode"], after["State"], after["AwsRegion"]) == (
        "block-ingress",
        "update-complete",
        EAST,
    )
    assert after["ExclusionsAllowed"] == "allowed"
    west = ec2(WEST).describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
    assert west["InternetGatewayBlockMode"] == "off"


def test_options__invalid_mode_is_invalid_parameter_value() -> None:
    with pytest.raises(ClientError) as raised:
        ec2().modify_vpc_block_public_access_options(InternetGatewayBlockMode="block-everything")
    assert _code(raised) == "InvalidParameterValue"


def test_exclusion__of_a_subnet_allowed_while_bpa_is_off_and_listed() -> None:
    _, subnet = _subnet()
    created = ec2().create_vpc_block_public_access_exclusion(
        SubnetId=subnet,
        InternetGatewayExclusionMode="allow-bidirectional",
        TagSpecifications=[
            {"ResourceType": "vpc-block-public-access-exclusion", "Tags": [{"Key": "finstack:tier", "Value": "public"}]}
        ],
    )["VpcBlockPublicAccessExclusion"]
    assert created["State"] == "create-complete"
    assert created["ResourceArn"].endswith(f":subnet/{subnet}")
    listed = ec2().describe_vpc_block_public_access_exclusions(
        Filters=[{"Name": "tag:finstack:tier", "Values": ["public"]}]
    )["VpcBlockPublicAccessExclusions"]
    assert [e["ExclusionId"] for e in listed] == [created["ExclusionId"]]
    assert ec2(WEST).describe_vpc_block_public_access_exclusions()["VpcBlockPublicAccessExclusions"] == []


def test_exclusion__unknown_subnet_or_vpc_is_not_found() -> None:
    with pytest.raises(ClientError) as raised:
        ec2().create_vpc_block_public_access_exclusion(
            SubnetId="subnet-0123456789abcdef0", InternetGatewayExclusionMode="allow-bidirectional"
        )
    assert _code(raised) == "InvalidSubnetID.NotFound"
    with pytest.raises(ClientError) as raised:
        ec2().create_vpc_block_public_access_exclusion(
            VpcId="vpc-0123456789abcdef0", InternetGatewayExclusionMode="allow-egress"
        )
    assert _code(raised) == "InvalidVpcID.NotFound"


def test_exclusion__another_regions_subnet_is_not_found() -> None:
    _, subnet = _subnet(WEST)
    with pytest.raises(ClientError) as raised:
        ec2(EAST).create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-egress")
    assert _code(raised) == "InvalidSubnetID.NotFound"


def test_exclusion__invalid_mode_or_both_scopes_refused() -> None:
    vpc, subnet = _subnet()
    with pytest.raises(ClientError) as raised:
        ec2().create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-all")
    assert _code(raised) == "InvalidParameterValue"
    with pytest.raises(ClientError) as raised:
        ec2().create_vpc_block_public_access_exclusion(
            SubnetId=subnet, VpcId=vpc, InternetGatewayExclusionMode="allow-egress"
        )
    assert _code(raised) == "InvalidParameterCombination"


def test_exclusion__modify_then_delete_once() -> None:
    _, subnet = _subnet()
    exclusion_id = ec2().create_vpc_block_public_access_exclusion(
        SubnetId=subnet, InternetGatewayExclusionMode="allow-egress"
    )["VpcBlockPublicAccessExclusion"]["ExclusionId"]
    modified = ec2().modify_vpc_block_public_access_exclusion(
        ExclusionId=exclusion_id, InternetGatewayExclusionMode="allow-bidirectional"
    )["VpcBlockPublicAccessExclusion"]
    assert (modified["InternetGatewayExclusionMode"], modified["State"]) == ("allow-bidirectional", "update-complete")
    deleted = ec2().delete_vpc_block_public_access_exclusion(ExclusionId=exclusion_id)["VpcBlockPublicAccessExclusion"]
    assert deleted["State"] == "delete-complete"
    with pytest.raises(ClientError) as raised:
        ec2().delete_vpc_block_public_access_exclusion(ExclusionId=exclusion_id)
    assert _code(raised) == "InvalidParameterValue"
    with pytest.raises(ClientError) as raised:
        ec2().describe_vpc_block_public_access_exclusions(ExclusionIds=["exclusion-00000000000000000"])
    assert _code(raised) == "InvalidVpcBlockPublicAccessExclusionId.NotFound"


def test_exclusion__refused_under_a_declarative_policy() -> None:
    _, subnet = _subnet()
    account = boto3.client("sts", region_name=EAST).get_caller_identity()["Account"]
    set_exclusions_not_allowed(account, EAST)
    with pytest.raises(ClientError) as raised:
        ec2().create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-egress")
    assert _code(raised) == "OperationNotPermitted"
    options = ec2().describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
    assert (options["ExclusionsAllowed"], options["ManagedBy"]) == ("not-allowed", "declarative-policy")
