"""BackupPlatform (locked vaults, plans, selections, alarms) under the recording mocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

import pulumi
import pytest

from components.backup import (
    BACKUP_POLICY_ARN,
    RESTORES_POLICY_ARN,
    BackupCellArgs,
    BackupPlatform,
    BackupPlatformArgs,
    continuous_copy_policy,
    vault_name,
)
from tests.plan import Plan, plan_of, shipped_plan

ACCOUNT = "111122223333"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
CLUSTER = "aws:rds/cluster:Cluster"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
REPLICA = "aws:kms/replicaKey:ReplicaKey"
KEY = "aws:kms/key:Key"


def cell(region: str) -> BackupCellArgs:
    return BackupCellArgs(
        region=region,
        backup_key_arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/mrk-4d5e6f7a8b9c40718293a4b5c6d7e8f9",
        cluster_arns=(f"arn:aws:rds:{region}:{ACCOUNT}:cluster:finstack-prod-ledger-{region}",),
        alert_topic_arn=f"arn:aws:sns:{region}:{ACCOUNT}:finstack-alerts",
    )


def args(**changes: object) -> BackupPlatformArgs:
    base: dict[str, object] = {
        "environment": "prod",
        "account_id": ACCOUNT,
        "cells": (cell("us-east-1"), cell("us-west-2")),
        "retention_days": 35,
        "continuous": True,
        "lock_min_retention_days": 7,
        "lock_max_retention_days": 400,
        "lock_changeable_days": 3,
    }
    base.update(changes)
    return BackupPlatformArgs(**base)  # type: ignore[arg-type]


@cache
def three_cells() -> Plan:
    def program() -> None:
        BackupPlatform("backup", args(cells=(cell("us-east-1"), cell("us-west-2"), cell("us-east-2"))))

    return plan_of(program)


def _shipped(stack: str) -> Callable[[], Plan]:
    def plan() -> Plan:
        return shipped_plan(stack)

    return plan


prod = pytest.fixture(scope="module", name="prod")(_shipped("prod"))
dev = pytest.fixture(scope="module", name="dev")(_shipped("dev"))


def rule_of(plan_record: object) -> dict[str, object]:
    rules = plan_record.inputs["rules"]  # type: ignore[attr-defined]
    assert len(rules) == 1, plan_record.urn  # type: ignore[attr-defined]
    return rules[0]  # type: ignore[no-any-return]


# -- args ----------------------------------------------------------------------------------------


def test_args__retention_outside_the_lock_is_refused() -> None:
    with pytest.raises(ValueError, match=r"outside the vault lock's 7\.\.400 days"):
        args(retention_days=5)


def test_args__cells_name_distinct_regions() -> None:
    with pytest.raises(ValueError, match="distinct regions"):
        args(cells=(cell("us-east-1"), cell("us-east-1")))


# -- the shipped stacks --------------------------------------------------------------------------


def test_vaults__one_per_cell_encrypted_with_the_cells_backup_key(prod: Plan) -> None:
    vaults = {v.region: v for v in prod.of_type(VAULT)}
    assert sorted(vaults) == sorted(prod.regions)
    keys = {k.region: k for k in prod.of_type(KEY) + prod.of_type(REPLICA) if "-backup" in k.name}
    for region, vault in vaults.items():
        assert vault.inputs["name"] == vault_name("prod", region), vault.urn
        assert vault.inputs["kmsKeyArn"] == keys[region].outputs["arn"], vault.urn
        assert vault.inputs.get("forceDestroy") is False, vault.urn
        assert vault.protect, f"{vault.urn}: prod vaults are protected"


def test_vault_lock__compliance_mode_with_the_configured_bounds(prod: Plan, dev: Plan) -> None:
    for plan, bounds in ((prod, (7, 400, 3)), (dev, (1, 35, 3))):
        locks = plan.of_type(LOCK)
        assert len(locks) == len(plan.regions)
        for lock in locks:
            got = (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"], lock.inputs["changeableForDays"])
            assert got == bounds, lock.urn
            vault = plan.by_urn[lock.parent]  # type: ignore[index]
            assert lock.inputs["backupVaultName"] == vault.outputs["name"], lock.urn


def test_plan__rule_is_daily_continuous_and_kept_the_configured_days(prod: Plan, dev: Plan) -> None:
    for plan, days in ((prod, 35), (dev, 7)):
        for record in plan.of_type(PLAN):
            rule = rule_of(record)
            assert rule["schedule"] == "cron(0 5 ? * * *)", record.urn
            assert rule["enableContinuousBackup"] is True, record.urn
            assert rule["lifecycle"] == {"deleteAfter": days}, record.urn
            assert rule["startWindow"] == 60 and rule["completionWindow"] == 360, record.urn
            own = prod_vault = plan.named(f"backup-{record.region}-vault")
            assert rule["targetVaultName"] == own.outputs["name"], (record.urn, prod_vault.urn)


def test_plan__copies_into_every_other_cells_vault_with_its_own_lifecycle(prod: Plan) -> None:
    vault_arns = {v.region: v.outputs["arn"] for v in prod.of_type(VAULT)}
    for record in prod.of_type(PLAN):
        copies = rule_of(record)["copyActions"]
        expected = {arn for region, arn in vault_arns.items() if region != record.region}
        assert {c["destinationVaultArn"] for c in copies} == expected, record.urn  # type: ignore[index]
        assert all(c["lifecycle"] == {"deleteAfter": 35} for c in copies), record.urn  # type: ignore[index]


def test_plan__waits_for_every_vault_lock(prod: Plan) -> None:
    locks = {lock.urn for lock in prod.of_type(LOCK)}
    for record in prod.of_type(PLAN):
        assert locks <= set(record.dependencies), record.urn


def test_selection__covers_the_cells_aurora_cluster_with_the_backup_role(prod: Plan) -> None:
    clusters = {c.region: c.outputs["arn"] for c in prod.of_type(CLUSTER)}
    role = prod.named("backup-role")
    for selection in prod.of_type(SELECTION):
        assert selection.inputs["resources"] == [clusters[selection.region]], selection.urn
        assert selection.inputs["iamRoleArn"] == role.outputs["arn"], selection.urn
        plan = prod.named(f"backup-{selection.region}-plan")
        assert selection.inputs["planId"] == plan.id, selection.urn
        attachments = {a.urn for a in prod.of_type(ATTACHMENT) if a.parent == role.urn}
        assert attachments <= set(selection.dependencies), selection.urn


def test_role__trusts_backup_and_has_the_managed_backup_and_restore_policies(prod: Plan) -> None:
    role = prod.named("backup-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "backup.amazonaws.com"}], role.urn
    arns = {a.inputs["policyArn"] for a in prod.of_type(ATTACHMENT) if a.parent == role.urn}
    assert arns == {BACKUP_POLICY_ARN, RESTORES_POLICY_ARN}, role.urn
    assert "managedPolicyArns" not in role.inputs and "inlinePolicies" not in role.inputs, role.urn


def test_continuous_copy_policy__only_deletes_aws_backup_snapshots_of_the_cells() -> None:
    doc = continuous_copy_policy(ACCOUNT, ["us-east-1", "us-west-2"])
    (statement,) = doc["Statement"]
    assert statement["Action"] == ["rds:DeleteDBClusterSnapshot", "rds:DeleteDBSnapshot"]
    assert all(":awsbackup:" in r and ACCOUNT in r for r in statement["Resource"])
    assert {r.split(":")[3] for r in statement["Resource"]} == {"us-east-1", "us-west-2"}


def test_alarms__backup_and_copy_failures_of_each_vault_to_the_cells_topic(prod: Plan) -> None:
    for region in prod.regions:
        topic = prod.named(f"alerts-{region}-topic").outputs["arn"]
        alarms = [a for a in prod.of_type(ALARM, region) if a.inputs.get("namespace") == "AWS/Backup"]
        metrics = sorted(a.inputs["metricName"] for a in alarms)
        assert metrics == ["NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"], region
        for alarm in alarms:
            assert alarm.inputs["dimensions"] == {"BackupVaultName": vault_name("prod", region)}, alarm.urn
            assert alarm.inputs["alarmActions"] == [topic], alarm.urn
            assert alarm.inputs["threshold"] == 0 and alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"


def test_three_cells__each_plan_copies_to_the_two_others() -> None:
    plan = three_cells()
    for record in plan.of_type(PLAN):
        assert len(rule_of(record)["copyActions"]) == 2, record.urn  # type: ignore[arg-type]


def test_outputs__registered_per_region() -> None:
    def program() -> None:
        backup = BackupPlatform("backup", args())
        pulumi.export("vaults", backup.vault_arns)

    plan = plan_of(program)
    assert sorted(plan.outputs["vaults"]) == ["us-east-1", "us-west-2"]
