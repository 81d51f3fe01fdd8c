"""IAM authorization of assumed-role requests (moto_ext.iam_enforcement), as AWS evaluates it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext.iam_enforcement import Check, UnsupportedCondition, allowed
from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture  # noqa: F401

ACCOUNT = "123456789012"  # moto's default account
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- the evaluation, pure -----------------------------------------------------------------------


def test_allowed__implicit_deny_without_a_matching_statement() -> None:
    policy = _policy(_allow("eks:DescribeCluster", "arn:aws:eks:us-east-1:1:cluster/a"))
    assert not allowed([policy], Check("eks:DescribeCluster", "arn:aws:eks:us-east-1:1:cluster/b"))
    assert not allowed([policy], Check("eks:DeleteCluster", "arn:aws:eks:us-east-1:1:cluster/a"))
    assert allowed([policy], Check("eks:DescribeCluster", "arn:aws:eks:us-east-1:1:cluster/a"))


def test_allowed__an_explicit_deny_wins_over_any_allow() -> None:
    policies = [
        _policy(_allow("rds:*", "*")),
        _policy({"Effect": "Deny", "Action": "rds:FailoverGlobalCluster", "Resource": "*"}),
    ]
    assert not allowed(policies, Check("rds:FailoverGlobalCluster", "arn:aws:rds::1:global-cluster:g"))
    assert allowed(policies, Check("rds:SwitchoverGlobalCluster", "arn:aws:rds::1:global-cluster:g"))


def test_allowed__actions_match_case_insensitively_and_resources_by_wildcard() -> None:
    policy = _policy(_allow("EKS:describe*", "arn:aws:eks:*:1:nodegroup/c/*/*"))
    assert allowed([policy], Check("eks:DescribeNodegroup", "arn:aws:eks:us-west-2:1:nodegroup/c/general/abc"))
    assert not allowed([policy], Check("eks:DescribeNodegroup", "arn:aws:eks:us-west-2:1:nodegroup/other/g/abc"))


def test_allowed__a_condition_on_a_key_the_request_lacks_does_not_hold() -> None:
    via = {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
    policy = _policy(_allow("kms:Decrypt", "*", Condition=via))
    assert not allowed([policy], Check("kms:Decrypt", "k"))
    assert not allowed([policy], Check("kms:Decrypt", "k", {"kms:ViaService": "s3.us-east-1.amazonaws.com"}))
    assert allowed([policy], Check("kms:Decrypt", "k", {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}))
    lenient = _policy(_allow("kms:Decrypt", "*", Condition={"StringEqualsIfExists": via["StringEquals"]}))
    assert allowed([lenient], Check("kms:Decrypt", "k"))


def test_allowed__an_unknown_condition_operator_is_refused_not_guessed() -> None:
    policy = _policy(_allow("kms:Decrypt", "*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}))
    with pytest.raises(UnsupportedCondition, match="DateGreaterThan"):
        allowed([policy], Check("kms:Decrypt", "k"))


# -- the hook, through the emulator ---------------------------------------------------------------


def _session_of(policy: dict[str, Any]) -> boto3.Session:
    """Credentials of a fresh role whose only permissions are `policy`."""
    iam = boto3.client("iam", region_name=EAST)
    arn = iam.create_role(RoleName="drill", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="drill", PolicyName="p", PolicyDocument=json.dumps(policy))
    credentials = boto3.client("sts", region_name=EAST).assume_role(RoleArn=arn, RoleSessionName="tester")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


@pytest.mark.usefixtures("aws")
def test_assumed_role__refused_what_its_policy_does_not_grant_with_the_services_error_code() -> None:
    boto3.client("rds", region_name=EAST).create_global_cluster(GlobalClusterIdentifier="g", Engine="aurora-postgresql")
    role = _session_of(_policy(_allow("eks:ListClusters", "*")))

    with pytest.raises(ClientError) as query:  # rds: the query protocol's code
        role.client("rds", region_name=EAST).describe_global_clusters(GlobalClusterIdentifier="g")
    with pytest.raises(ClientError) as rest_json:  # eks: rest-json
        role.client("eks", region_name=WEST).describe_cluster(name="c")

    assert query.value.response["Error"]["Code"] == "AccessDenied"
    assert "rds:DescribeGlobalClusters on resource: arn:aws:rds::123456789012:global-cluster:g" in str(query.value)
    assert rest_json.value.response["Error"]["Code"] == "AccessDeniedException"
    assert role.client("eks", region_name=WEST).list_clusters()["clusters"] == []


@pytest.mark.usefixtures("aws")
def test_assumed_role__a_grant_scoped_to_the_resource_allows_the_call() -> None:
    boto3.client("rds", region_name=EAST).create_global_cluster(GlobalClusterIdentifier="g", Engine="aurora-postgresql")
    role = _session_of(_policy(_allow("rds:DescribeGlobalClusters", f"arn:aws:rds::{ACCOUNT}:global-cluster:g")))

    found = role.client("rds", region_name=EAST).describe_global_clusters(GlobalClusterIdentifier="g")

    assert [g["GlobalClusterIdentifier"] for g in found["GlobalClusters"]] == ["g"]


@pytest.mark.usefixtures("aws")
def test_assumed_role__get_secret_value_also_needs_decrypt_through_secrets_manager() -> None:
    key = boto3.client("kms", region_name=EAST).create_key()["KeyMetadata"]["Arn"]
    secret = boto3.client("secretsmanager", region_name=EAST).create_secret(Name="s", KmsKeyId=key, SecretString="x")
    read = _allow("secretsmanager:GetSecretValue", secret["ARN"])
    decrypt = _allow(
        "kms:Decrypt",
        key,
        Condition={"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    )

    without = _session_of(_policy(read))
    with pytest.raises(ClientError) as denied:
        without.client("secretsmanager", region_name=EAST).get_secret_value(SecretId=secret["ARN"])
    assert f"kms:Decrypt on resource: {key}" in str(denied.value)

    boto3.client("iam", region_name=EAST).put_role_policy(
        RoleName="drill", PolicyName="p", PolicyDocument=json.dumps(_policy(read, decrypt))
    )
    assert without.client("secretsmanager", region_name=EAST).get_secret_value(SecretId=secret["ARN"])["SecretString"]


@pytest.mark.usefixtures("aws")
def test_emulator_credentials__stay_the_accounts_administrator() -> None:
    # The deploy runs with the emulator's own credentials, which are no assumed role.
    boto3.client("rds", region_name=EAST).create_global_cluster(GlobalClusterIdentifier="g", Engine="aurora-postgresql")
    assert boto3.client("rds", region_name=EAST).describe_global_clusters()["GlobalClusters"]
