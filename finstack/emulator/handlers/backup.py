"""AWS Backup in the emulator: vaults, vault locks, plans and selections (moto + moto_ext.backup_selections)."""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name

BACKUP = "backup"


def _delete_vault(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(BACKUP).delete_backup_vault(BackupVaultName=resource_id)


@REGISTRY.register("aws:backup/vault:Vault", BACKUP, _delete_vault)
def create_vault(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A vault encrypted with its CMK; the id is its name (as in the Terraform provider)."""
    vault_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {"BackupVaultName": vault_name, "BackupVaultTags": inputs.get("tags") or {}}
    if inputs.get("kmsKeyArn"):
        kwargs["EncryptionKeyArn"] = inputs["kmsKeyArn"]
    created = ctx.client(BACKUP).create_backup_vault(**kwargs)
    return vault_name, {"arn": created["BackupVaultArn"], "name": vault_name, "recoveryPoints": 0}


def _delete_lock(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    # moto refuses once the lock date has passed, as AWS does for a compliance-mode lock.
    ctx.client(BACKUP).delete_backup_vault_lock_configuration(BackupVaultName=resource_id)


@REGISTRY.register("aws:backup/vaultLockConfiguration:VaultLockConfiguration", BACKUP, _delete_lock)
def put_vault_lock(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The vault's lock; compliance mode when changeableForDays is set."""
    vault_name = inputs["backupVaultName"]
    kwargs: dict[str, Any] = {"BackupVaultName": vault_name}
    for key, aws in (
        ("minRetentionDays", "MinRetentionDays"),
        ("maxRetentionDays", "MaxRetentionDays"),
        ("changeableForDays", "ChangeableForDays"),
    ):
        if inputs.get(key) is not None:
            kwargs[aws] = int(inputs[key])
    client = ctx.client(BACKUP)
    client.put_backup_vault_lock_configuration(**kwargs)
    arn = client.describe_backup_vault(BackupVaultName=vault_name)["BackupVaultArn"]
    return vault_name, {"backupVaultArn": arn}


def _lifecycle(value: Any) -> dict[str, Any]:
    lifecycle = value or {}
    out: dict[str, Any] = {}
    if lifecycle.get("deleteAfter") is not None:
        out["DeleteAfterDays"] = int(lifecycle["deleteAfter"])
    if lifecycle.get("coldStorageAfter") is not None:
        out["MoveToColdStorageAfterDays"] = int(lifecycle["coldStorageAfter"])
    return out


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A Pulumi plan rule -> the AWS Backup `BackupRule` input."""
    out: dict[str, Any] = {"RuleName": rule["ruleName"], "TargetBackupVaultName": rule["targetVaultName"]}
    for key, aws in (
        ("schedule", "ScheduleExpression"),
        ("scheduleExpressionTimezone", "ScheduleExpressionTimezone"),
        ("startWindow", "StartWindowMinutes"),
        ("completionWindow", "CompletionWindowMinutes"),
        ("enableContinuousBackup", "EnableContinuousBackup"),
        ("recoveryPointTags", "RecoveryPointTags"),
    ):
        if rule.get(key) is not None:
            out[aws] = rule[key]
    if rule.get("lifecycle"):
        out["Lifecycle"] = _lifecycle(rule["lifecycle"])
    copies = [
        {"DestinationBackupVaultArn": c["destinationVaultArn"], "Lifecycle": _lifecycle(c.get("lifecycle"))}
        for c in rule.get("copyActions") or []
    ]
    if copies:
        out["CopyActions"] = copies
    return out


def _delete_plan(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(BACKUP).delete_backup_plan(BackupPlanId=resource_id)


@REGISTRY.register("aws:backup/plan:Plan", BACKUP, _delete_plan)
def create_plan(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A plan with its rules; the id is the generated plan id."""
    plan_name = physical_name(name, inputs)
    plan = {"BackupPlanName": plan_name, "Rules": [_rule(r) for r in inputs.get("rules") or []]}
    created = ctx.client(BACKUP).create_backup_plan(BackupPlan=plan, BackupPlanTags=inputs.get("tags") or {})
    return created["BackupPlanId"], {
        "arn": created["BackupPlanArn"],
        "name": plan_name,
        "version": created["VersionId"],
    }


def _delete_selection(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(BACKUP).delete_backup_selection(BackupPlanId=outputs["planId"], SelectionId=resource_id)


@REGISTRY.register("aws:backup/selection:Selection", BACKUP, _delete_selection)
def create_selection(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The resources (Aurora cluster ARNs) a plan backs up, with the role AWS Backup assumes."""
    selection: dict[str, Any] = {
        "SelectionName": physical_name(name, inputs),
        "IamRoleArn": inputs["iamRoleArn"],
        "Resources": list(inputs.get("resources") or []),
    }
    if inputs.get("notResources"):
        selection["NotResources"] = list(inputs["notResources"])
    created = ctx.client(BACKUP).create_backup_selection(BackupPlanId=inputs["planId"], BackupSelection=selection)
    return created["SelectionId"], {"planId": inputs["planId"]}
