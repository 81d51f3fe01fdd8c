"""AWS Backup selections in the emulator: moto has vaults, locks and plans, finstack adds selections."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_ext_fixtures import EAST, aws_fixture, clock_fixture  # noqa: F401

ROLE = "finstack-test-backup"


def _role() -> str:
    iam = boto3.client("iam", region_name=EAST)
    statement = {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    return iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _plan(backup: object) -> str:
    plan = {"BackupPlanName": "p", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v"}]}
    return backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"]  # type: ignore[attr-defined]


def _selection(role_arn: str, name: str = "aurora") -> dict[str, object]:
    return {
        "SelectionName": name,
        "IamRoleArn": role_arn,
        "Resources": ["arn:aws:rds:us-east-1:123456789012:cluster:c"],
    }


@pytest.mark.usefixtures("aws")
def test_backup_selection__created_under_its_plan_and_read_back() -> None:
    # Given a plan and the role AWS Backup assumes
    backup = boto3.client("backup", region_name=EAST)
    plan_id, role_arn = _plan(backup), _role()
    # When a selection puts a cluster into the plan
    created = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=_selection(role_arn))
    # Then it reads back with its resources, and lists under the plan
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert got["BackupSelection"]["Resources"] == ["arn:aws:rds:us-east-1:123456789012:cluster:c"]
    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [s["SelectionName"] for s in listed] == ["aurora"]
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])


@pytest.mark.usefixtures("aws")
def test_backup_selection__unknown_plan_is_refused() -> None:
    backup = boto3.client("backup", region_name=EAST)
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        backup.create_backup_selection(BackupPlanId="0" * 36, BackupSelection=_selection(_role()))


@pytest.mark.usefixtures("aws")
def test_backup_selection__role_that_does_not_exist_is_refused() -> None:
    backup = boto3.client("backup", region_name=EAST)
    plan_id = _plan(backup)
    missing = "arn:aws:iam::123456789012:role/nobody"
    with pytest.raises(ClientError, match="InvalidParameterValueException") as err:
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=_selection(missing))
    assert "nobody" in str(err.value)


@pytest.mark.usefixtures("aws")
def test_backup_selection__duplicate_name_in_a_plan_is_refused() -> None:
    backup = boto3.client("backup", region_name=EAST)
    plan_id, role_arn = _plan(backup), _role()
    backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=_selection(role_arn))
    with pytest.raises(ClientError, match="AlreadyExistsException"):
        backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=_selection(role_arn))


@pytest.mark.usefixtures("aws")
def test_backup_plans__moto_operations_still_answer_through_the_extension() -> None:
    backup = boto3.client("backup", region_name=EAST)
    plan_id = _plan(backup)
    assert backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["BackupPlanName"] == "p"
    assert [p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]] == [plan_id]
