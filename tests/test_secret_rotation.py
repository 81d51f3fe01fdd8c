"""SecretRotation: the break-glass master secret is rotated by a least-privilege Data API function."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from components.secret_rotation import (
    MAX_ROTATION_DAYS,
    PROBE_TAG,
    RESERVED_CONCURRENCY,
    RUNTIME,
    SecretRotationArgs,
    function_name,
    rotation_policy,
)
from tests.plan import shipped_plan

SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "111122223333"


def _master(stack: str) -> Any:
    return shipped_plan(stack).named("aurora-master-secret")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_rotation__rotates_the_master_secret_every_30_days_in_its_primary_region(stack: str) -> None:
    plan = shipped_plan(stack)
    master = _master(stack)
    rotation = plan.named("ledger-rotation-schedule")
    assert rotation.inputs["secretId"] == master.outputs["arn"], rotation.urn
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == 30, rotation.urn
    assert rotation.inputs["rotateImmediately"] is False, rotation.urn
    assert rotation.region == master.region, rotation.urn
    function = plan.named("ledger-rotation-function")
    assert rotation.inputs["rotationLambdaArn"] == function.outputs["arn"], rotation.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_rotation__function_is_hardened(stack: str) -> None:
    plan = shipped_plan(stack)
    function = plan.named("ledger-rotation-function")
    assert function.inputs["runtime"] == RUNTIME, function.urn
    assert function.inputs["reservedConcurrentExecutions"] == RESERVED_CONCURRENCY, function.urn
    assert "vpcConfig" not in function.inputs, function.urn
    assert function.inputs["name"] == function_name(plan.run.config.environment), function.urn
    logs = plan.named("ledger-rotation-logs")
    assert function.inputs["loggingConfig"]["logGroup"] == logs.outputs.get("name", logs.inputs["name"]), function.urn
    assert logs.inputs["kmsKeyId"], logs.urn
    assert logs.inputs["retentionInDays"] == plan.run.config.log_retention_days, logs.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_rotation__only_secrets_manager_of_this_account_may_invoke(stack: str) -> None:
    plan = shipped_plan(stack)
    permissions = plan.of_type(PERMISSION)
    assert len(permissions) == 1, [p.urn for p in permissions]
    permission = permissions[0]
    assert permission.inputs["principal"] == "secretsmanager.amazonaws.com", permission.urn
    assert permission.inputs["sourceAccount"] == ACCOUNT, permission.urn
    assert permission.inputs["action"] == "lambda:InvokeFunction", permission.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_rotation__one_probe_per_cell_encrypted_like_the_master(stack: str) -> None:
    plan = shipped_plan(stack)
    master = _master(stack)
    for region in plan.regions:
        probe = plan.named(f"ledger-rotation-probe-{region}")
        assert probe.region == region, probe.urn
        assert probe.inputs["tags"][PROBE_TAG] == master.inputs["name"], probe.urn
        assert probe.inputs["kmsKeyId"], probe.urn
        assert not probe.inputs.get("replicas"), probe.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secret_rotation__role_reaches_every_writer_and_the_keys_only_through_secrets_manager(stack: str) -> None:
    plan = shipped_plan(stack)
    policy = plan.named("ledger-rotation-role-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    clusters = sorted(c.outputs["arn"] for c in plan.of_type("aws:rds/cluster:Cluster"))
    listed = statements["ChangeThePasswordOnTheWriter"]["Resource"]
    assert sorted(listed if isinstance(listed, list) else [listed]) == clusters, policy.urn
    via = statements["SecretsKeysThroughSecretsManager"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert sorted(via) == sorted(f"secretsmanager.{r}.amazonaws.com" for r in plan.regions), policy.urn
    assert all(s["Resource"] != "*" for sid, s in statements.items() if sid != "GeneratePasswords"), policy.urn


def test_rotation_policy__names_the_replica_of_every_region() -> None:
    doc = rotation_policy(
        account_id=ACCOUNT,
        secret_arn=f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf",
        regions=("us-east-1", "us-west-2"),
        probe_arns=("p1", "p2"),
        global_cluster_arn=f"arn:aws:rds::{ACCOUNT}:global-cluster:finstack-prod-ledger",
        cluster_arns=("c1", "c2"),
        secrets_key_arns=("k1", "k2"),
        log_group_arn="lg",
    )
    replicas = next(s for s in doc["Statement"] if s["Sid"] == "ReadTheReplicasForTheDataApi")["Resource"]
    assert replicas == [
        f"arn:aws:secretsmanager:{r}:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf"
        for r in ("us-east-1", "us-west-2")
    ]


def test_secret_rotation_args__refuses_a_period_beyond_90_days() -> None:
    with pytest.raises(ValueError, match=f"rotation_days: 1 to {MAX_ROTATION_DAYS} days, got 91"):
        SecretRotationArgs(
            environment="prod",
            home_region="us-east-1",
            account_id=ACCOUNT,
            secret_arn="arn",
            secret_name="s",
            global_cluster_id="g",
            global_cluster_arn="ga",
            cluster_arns={"us-east-1": "c"},
            secrets_key_arns={"us-east-1": "k"},
            logs_key_arn="l",
            log_retention_days=365,
            deletion_protection=True,
            rotation_days=91,
        )


def test_rotation_code__imports_flat_as_lambda_loads_it(tmp_path: Any) -> None:
    # Given the archive's files unpacked at the root, as Lambda does
    from components.secret_rotation import CODE_DIR, CODE_FILES

    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in CODE_FILES:
            zf.write(f"{CODE_DIR}/{name}", name)
    import subprocess
    import sys

    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "task")
    check = (
        "import sys; sys.path.insert(0, '.'); import handler; "
        "assert handler.scram.__name__ == 'scram'; print(handler.lambda_handler.__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", check], cwd=tmp_path / "task", capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "lambda_handler"
