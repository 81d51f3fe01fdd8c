"""KMS key policies must name IAM roles that exist (moto_ext.kms_policy_principals)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture  # noqa: F401

ACCOUNT = "123456789012"  # moto's default account
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def policy_naming(*principals: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Admin",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "Use",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(principals)},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                },
            ],
        }
    )


def refused(err: pytest.ExceptionInfo[ClientError]) -> bool:
    error = err.value.response["Error"]
    return error["Code"] == "MalformedPolicyDocumentException" and "invalid principals" in error["Message"]


@pytest.mark.usefixtures("aws")
def test_create_key__naming_a_role_that_does_not_exist__refused() -> None:
    # Given a fresh account: no Auto Scaling group ever ran, so no service-linked role.
    kms = boto3.client("kms", region_name=EAST)
    with pytest.raises(ClientError) as err:
        kms.create_key(Policy=policy_naming(SLR))
    assert refused(err), err.value.response
    assert kms.list_keys()["Keys"] == []


@pytest.mark.usefixtures("aws")
def test_create_key__naming_the_service_linked_role_once_created__accepted() -> None:
    boto3.client("iam", region_name=EAST).create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    key = boto3.client("kms", region_name=EAST).create_key(Policy=policy_naming(SLR))["KeyMetadata"]
    assert key["KeyState"] == "Enabled"


@pytest.mark.usefixtures("aws")
def test_put_key_policy_and_replicate_key__naming_a_missing_role__refused() -> None:
    kms = boto3.client("kms", region_name=EAST)
    key_id = kms.create_key(Policy=policy_naming(f"arn:aws:iam::{ACCOUNT}:root"), MultiRegion=True)["KeyMetadata"][
        "KeyId"
    ]
    with pytest.raises(ClientError) as err:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy_naming(SLR))
    assert refused(err), err.value.response
    with pytest.raises(ClientError) as err:
        kms.replicate_key(KeyId=key_id, ReplicaRegion=WEST, Policy=policy_naming(SLR))
    assert refused(err), err.value.response
    assert boto3.client("kms", region_name=WEST).list_keys()["Keys"] == []


@pytest.mark.usefixtures("aws")
def test_create_key__roles_of_other_accounts_and_service_principals__not_checked() -> None:
    # The emulator holds one account; AWS checks the others too, but they are not ours to model.
    other = "arn:aws:iam::210987654321:role/elsewhere"
    key = boto3.client("kms", region_name=EAST).create_key(Policy=policy_naming(other))["KeyMetadata"]
    assert key["KeyState"] == "Enabled"
