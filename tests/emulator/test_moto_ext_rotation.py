"""moto_ext.rotation_lambda: Secrets Manager's rotation steps run finstack's function in-process.

A two-region global database, the master secret in us-east-1 replicated to us-west-2, one probe
secret per region and the rotation function as components/secret_rotation.py packages it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from components.rotation_lambda import handler
from components.secret_rotation import CODE_DIR, CODE_FILES, HANDLER, RUNTIME, probe_secret_name
from finstack.emulator.moto_ext import VirtualClock
from finstack.emulator.moto_ext.rotation_lambda import executed_statements
from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture, make_global_db, rds

__all__ = ["aws_fixture", "clock_fixture"]

NAME = "finstack/prod/ledger/master"
FIRST = {"engine": "postgres", "username": "finstack_admin", "password": "correct-horse-battery", "dbname": "ledger"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in CODE_FILES:
            archive.write(f"{CODE_DIR}/{name}", name)
    return buffer.getvalue()


@pytest.fixture(name="rotation")
def rotation_fixture(aws: None) -> Iterator[dict[str, Any]]:
    db = make_global_db("finstack-prod-ledger")
    secrets = boto3.client("secretsmanager", region_name=EAST)
    master = secrets.create_secret(Name=NAME, SecretString=json.dumps(FIRST), AddReplicaRegions=[{"Region": WEST}])[
        "ARN"
    ]
    for region in (EAST, WEST):
        boto3.client("secretsmanager", region_name=region).create_secret(
            Name=probe_secret_name(NAME), SecretString="{}"
        )
    role = boto3.client("iam").create_role(
        RoleName="rotation",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    function = boto3.client("lambda", region_name=EAST).create_function(
        FunctionName="finstack-prod-ledger-master-rotation",
        Runtime=RUNTIME,
        Role=role,
        Handler=HANDLER,
        Code={"ZipFile": _zip()},
        Environment={
            "Variables": {
                handler.ENV_GLOBAL_CLUSTER: db.global_id,
                handler.ENV_PROBE_SECRET: probe_secret_name(NAME),
            }
        },
    )["FunctionArn"]
    yield {"db": db, "master": master, "function": function, "before": len(executed_statements())}


def _rotate(secret_id: str, function_arn: str, *, immediately: bool) -> None:
    """RotateSecret as the SecretRotation resource sends it (30 days)."""
    boto3.client("secretsmanager", region_name=EAST).rotate_secret(
        SecretId=secret_id,
        RotationLambdaARN=function_arn,
        RotationRules={"AutomaticallyAfterDays": 30},
        RotateImmediately=immediately,
    )


def _current(secret_id: str, region: str = EAST) -> dict[str, Any]:
    client = boto3.client("secretsmanager", region_name=region)
    return dict(json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"]))


def _alters(since: int) -> list[tuple[str, str, str]]:
    return [s for s in executed_statements()[since:] if s[2].startswith("ALTER ROLE")]


def test_rotate_secret__runs_the_four_steps_on_the_writer(rotation: dict[str, Any]) -> None:
    _rotate(rotation["master"], rotation["function"], immediately=True)
    current = _current(rotation["master"])
    assert current["password"] != FIRST["password"] and current["username"] == FIRST["username"]
    (alter,) = _alters(rotation["before"])
    assert alter[0] == rotation["db"].east_arn
    assert alter[1] == rotation["master"]
    assert current["password"] not in alter[2]
    assert (
        boto3.client("secretsmanager", region_name=EAST).get_secret_value(SecretId=probe_secret_name(NAME))[
            "SecretString"
        ]
        == handler.PROBE_PLACEHOLDER
    )


def test_rotate_secret__not_immediately_runs_only_test_secret(rotation: dict[str, Any]) -> None:
    # As the SecretRotation resource does (rotateImmediately false): the configuration is tested, nothing changes
    _rotate(rotation["master"], rotation["function"], immediately=False)
    assert _current(rotation["master"]) == FIRST
    assert _alters(rotation["before"]) == []
    assert [s[2] for s in executed_statements()[rotation["before"] :]] == ["SELECT 1"]


def test_rotate_secret__follows_the_writer_to_the_other_region(rotation: dict[str, Any], clock: VirtualClock) -> None:
    db = rotation["db"]
    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    clock.advance(30)
    _rotate(rotation["master"], rotation["function"], immediately=True)
    (alter,) = _alters(rotation["before"])
    assert alter[0] == db.west_arn
    assert alter[1] == handler.in_region(rotation["master"], WEST)


def test_invoke__a_failed_step_reports_a_function_error(rotation: dict[str, Any]) -> None:
    # testSecret for a version whose password never reached the database: the login is refused
    _rotate(rotation["master"], rotation["function"], immediately=False)
    token = "a" * 32
    boto3.client("secretsmanager", region_name=EAST).put_secret_value(
        SecretId=rotation["master"],
        ClientRequestToken=token,
        SecretString=json.dumps({**FIRST, "password": "Wrong0Password"}),
        VersionStages=["AWSPENDING"],
    )
    answer = boto3.client("lambda", region_name=EAST).invoke(
        FunctionName=rotation["function"],
        Payload=json.dumps({"SecretId": rotation["master"], "ClientRequestToken": token, "Step": "testSecret"}),
    )
    assert answer.get("FunctionError") == "Unhandled"
    assert f"pending version {token} does not log in" in answer["Payload"].read().decode()


def test_rotate_secret__not_immediately_tests_the_current_value_of_a_secret_filled_later(
    rotation: dict[str, Any],
) -> None:
    # As the provider does: CreateSecret without a value, then PutSecretValue (the SecretVersion)
    secrets = boto3.client("secretsmanager", region_name=EAST)
    arn = secrets.create_secret(Name="finstack/prod/ledger/filled-later")["ARN"]
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(FIRST))
    _rotate(arn, rotation["function"], immediately=False)
    assert [s[2] for s in executed_statements()[rotation["before"] :]] == ["SELECT 1"]
