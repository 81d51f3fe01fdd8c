"""AWS Backup: a locked vault per cell, a plan over the cell's Aurora cluster, copies into every other cell.

Children of `BackupPlatform("backup", ...)`:

    backup-role, -role-backup, -role-restores     IAM (global): the role AWS Backup assumes, with the
    -role-continuous-copy                         AWS managed backup/restore policies and the temporary
                                                  snapshot clean-up a continuous copy needs
    per region r (config order):
      backup-<r>-vault                            `finstack-<env>-<r>`, encrypted with the cell's `backup` key
        backup-<r>-vault-lock                     compliance mode: min/max retention, cooling-off days
      backup-<r>-plan                             one rule: daily (continuous when configured), copies to
        backup-<r>-selection                      every other cell's vault; the selection names the
                                                  cell's Aurora cluster(s)
      backup-<r>-backup-failed-alarm,             AWS/Backup job failures in the cell, to its alert topic
      backup-<r>-copy-failed-alarm

Why each choice (AWS Backup Developer Guide unless said otherwise):

* Aurora is not "fully managed" by AWS Backup: its recovery points in the cell keep the cluster's
  own (`data`) key, while a cross-Region copy is re-encrypted under the destination vault's key
  ("Encryption for backups in AWS Backup"; "Copy a backup"). So the `backup` key of the destination
  cell must let RDS use it on the backup role's behalf: `components/keys.py` grants the account
  `UseThroughServices` and `GrantsForServices` (kms:CreateGrant with kms:GrantIsForAWSResource)
  through `rds.<region>` and `backup.<region>`, and the role's AWSBackupServiceRolePolicyForBackup
  carries kms:CreateGrant (GrantIsForAWSResource) and kms:DescribeKey ("AWS managed policies for
  AWS Backup", KMSPermissions). No key-policy statement names the role itself.
* Continuous backup (point-in-time restore) keeps at most 35 days, Aurora included ("Continuous
  backups and point-in-time recovery (PITR)"); `infra/config.py` refuses more. Its cross-Region copy is a
  snapshot: "the copied recovery point becomes a snapshot (periodic) backup. PITR is not available
  for these copies" ("Copy a backup"). To copy, AWS Backup takes a temporary snapshot and needs
  rds:DeleteDBSnapshot to remove it ("Copying continuous backups"): `-role-continuous-copy`.
* The plan copies cross-Region only (same account). "Copy a backup" still says RDS and Aurora copy
  either cross-Region or cross-account in one action; AWS announced both in one action in November
  2025. A copy into another account (a logically air-gapped vault) is not part of issue 19.
* Not confirmed from AWS documentation: that AWS Backup backs up the secondary (read-only) member of
  a global database as it does the primary. Each cell's selection names its own member; a job that
  fails raises the cell's `backup-failed` alarm.
* Aurora's continuous recovery point is the cluster's automated backup ("Amazon RDS calls its
  continuous backups automated backups"; one recovery point per cluster, its retention set by the
  plan: "Changing your retention period"). With continuous backup on, the config requires
  finstack:aurora.backupRetentionDays to equal finstack:security.backup.retentionDays, so AWS Backup
  and `pulumi up` never set the cluster's retention against each other (both stacks keep them equal).
* Vault lock in compliance mode: `changeableForDays` set (the Terraform provider's
  aws_backup_vault_lock_configuration creates a governance lock without it). After the cooling-off
  days the lock, and the vault while it holds recovery points, cannot be removed by anyone, AWS
  included ("AWS Backup Vault Lock"): a dev stack keeps its vaults until the last recovery point
  expires (dev: lockMaxRetentionDays 35). `force_destroy` stays off so `destroy` never empties a vault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.naming import cell_tags

BACKUP_SERVICE = "backup.amazonaws.com"
# service-role/ path: these are service role policies ("AWS managed policies for AWS Backup").
BACKUP_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
RESTORES_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
# Daily at 05:00 UTC, after Aurora's own backup window (03:00-04:00 in the shipped config), in AWS
# Backup's six-field cron form (minutes hours day-of-month month day-of-week year).
SCHEDULE = "cron(0 5 ? * * *)"
# A job that has not started within an hour is cancelled; one that runs longer than six hours fails
# (both in minutes; StartWindowMinutes is at least 60 in the AWS Backup API).
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 360
# AWS Backup publishes its job metrics every five minutes; one failed job in an hour pages.
ALARM_PERIOD_SECONDS = 3600
FAILURE_METRICS = (
    ("backup-failed", "NumberOfBackupJobsFailed", "backup job"),
    ("copy-failed", "NumberOfCopyJobsFailed", "cross-Region copy job"),
)


def vault_name(environment: str, region: str) -> str:
    """`finstack-prod-us-east-1`: one vault per cell (the dashboard's BackupVaultName dimension)."""
    return f"finstack-{environment}-{region}"


def role_name(environment: str) -> str:
    """The role AWS Backup assumes for this stack's jobs."""
    return f"finstack-{environment}-backup"


def continuous_copy_policy(account_id: str, regions: Sequence[str], partition: str = "aws") -> iam_docs.Document:
    """Lets AWS Backup remove the temporary snapshot it takes to copy a continuous backup.

    "Copying continuous backups" (AWS Backup Developer Guide): without rds:DeleteDBSnapshot the
    snapshot stays as an expired recovery point. AWS Backup names its RDS snapshots `awsbackup:job-...`.
    """
    resources = [
        f"arn:{partition}:rds:{region}:{account_id}:{kind}:awsbackup:*"
        for region in regions
        for kind in ("cluster-snapshot", "snapshot")
    ]
    return iam_docs.document(
        iam_docs.statement(
            "DeleteTemporaryCopySnapshots", ("rds:DeleteDBClusterSnapshot", "rds:DeleteDBSnapshot"), resources
        )
    )


def backup_trust_policy() -> iam_docs.Document:
    """AWS Backup assumes the role; the AWS-created AWSBackupDefaultServiceRole trusts it the same way.

    No aws:SourceAccount condition: AWS Backup's own default role carries none, and the role can
    only be passed (iam:PassRole) by principals of this account.
    """
    return {
        "Version": iam_docs.POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AssumeFromBackup",
                "Effect": "Allow",
                "Principal": iam_docs.service_principal(BACKUP_SERVICE),
                "Action": "sts:AssumeRole",
            }
        ],
    }


@dataclass(frozen=True)
class BackupCellArgs:
    """One cell: its `backup` key, the Aurora cluster(s) to protect, its alert topic."""

    region: str
    backup_key_arn: pulumi.Input[str]
    cluster_arns: tuple[pulumi.Input[str], ...]
    alert_topic_arn: pulumi.Input[str]


@dataclass(frozen=True)
class BackupPlatformArgs:
    """Inputs of `BackupPlatform`; retention and lock bounds come from `finstack:security.backup`."""

    environment: str
    account_id: pulumi.Input[str]
    cells: tuple[BackupCellArgs, ...]
    retention_days: int
    continuous: bool
    lock_min_retention_days: int
    lock_max_retention_days: int
    lock_changeable_days: int

    def __post_init__(self) -> None:
        regions = [c.region for c in self.cells]
        if not regions or len(set(regions)) != len(regions):
            raise ValueError(f"cells must name distinct regions, got {regions}")
        # AWS Backup fails (at job time) every recovery point whose retention the lock refuses.
        if not self.lock_min_retention_days <= self.retention_days <= self.lock_max_retention_days:
            raise ValueError(
                f"retention_days {self.retention_days} is outside the vault lock's "
                f"{self.lock_min_retention_days}..{self.lock_max_retention_days} days"
            )


class BackupPlatform(pulumi.ComponentResource):
    """Locked, CMK-encrypted vaults per cell and the plans that fill them and copy across cells."""

    vault_arns: dict[str, pulumi.Output[str]]
    """region -> the cell's backup vault ARN."""
    vault_names: dict[str, pulumi.Output[str]]
    """region -> the cell's backup vault name."""
    plan_ids: dict[str, pulumi.Output[str]]
    """region -> the cell's backup plan id."""
    role_arn: pulumi.Output[str]
    """The role AWS Backup assumes (also the role a restore job passes)."""

    def __init__(self, name: str, args: BackupPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:resilience:BackupPlatform", name, None, opts)
        self._name, self._args = name, args
        # A vault of recovery points is evidence: prod keeps Pulumi from deleting it (the lock keeps AWS).
        self._protect = args.environment == "prod"
        role, grants = self._create_role()
        vaults = {cell.region: self._create_vault(cell) for cell in args.cells}
        locks = {region: self._create_lock(region, vault) for region, vault in vaults.items()}
        self.vault_arns = {region: vault.arn for region, vault in vaults.items()}
        self.vault_names = {region: vault.name for region, vault in vaults.items()}
        self.plan_ids = {}
        for cell in args.cells:
            plan = self._create_plan(cell, vaults, [locks[r] for r in vaults])
            self._create_selection(cell, plan, role, grants)
            self._create_alarms(cell)
            self.plan_ids[cell.region] = plan.id
        self.role_arn = role.arn
        self.register_outputs(
            {
                "vault_arns": self.vault_arns,
                "vault_names": self.vault_names,
                "plan_ids": self.plan_ids,
                "role_arn": self.role_arn,
            }
        )

    def _child(self, **options: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)  # type: ignore[arg-type]

    def _create_role(self) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-role",
            name=role_name(args.environment),
            description="AWS Backup jobs of finstack: Aurora snapshots, continuous backups, cross-Region copies",
            assume_role_policy=iam_docs.dumps(backup_trust_policy()),
            opts=self._child(),
        )
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-role-{suffix}", role=role.name, policy_arn=arn, opts=pulumi.ResourceOptions(parent=role)
            )
            for suffix, arn in (("backup", BACKUP_POLICY_ARN), ("restores", RESTORES_POLICY_ARN))
        ]
        regions = [cell.region for cell in args.cells]
        grants.append(
            aws.iam.RolePolicy(
                f"{self._name}-role-continuous-copy",
                role=role.name,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account: iam_docs.dumps(continuous_copy_policy(account, regions))
                ),
                opts=pulumi.ResourceOptions(parent=role),
            )
        )
        return role, grants

    def _create_vault(self, cell: BackupCellArgs) -> aws.backup.Vault:
        return aws.backup.Vault(
            f"{self._name}-{cell.region}-vault",
            name=vault_name(self._args.environment, cell.region),
            # The cell's own replica of the backup key: a copy into this cell never needs another region's KMS.
            kms_key_arn=cell.backup_key_arn,
            force_destroy=False,
            region=cell.region,
            tags=cell_tags(cell.region, purpose="backup"),
            opts=self._child(protect=self._protect),
        )

    def _create_lock(self, region: str, vault: aws.backup.Vault) -> aws.backup.VaultLockConfiguration:
        args = self._args
        return aws.backup.VaultLockConfiguration(
            f"{self._name}-{region}-vault-lock",
            backup_vault_name=vault.name,
            # Set: compliance mode (unset would be governance, removable by a privileged user).
            changeable_for_days=args.lock_changeable_days,
            min_retention_days=args.lock_min_retention_days,
            max_retention_days=args.lock_max_retention_days,
            region=region,
            opts=pulumi.ResourceOptions(parent=vault, protect=self._protect),
        )

    def _create_plan(
        self,
        cell: BackupCellArgs,
        vaults: dict[str, aws.backup.Vault],
        locks: list[aws.backup.VaultLockConfiguration],
    ) -> aws.backup.Plan:
        args = self._args
        copies = [
            aws.backup.PlanRuleCopyActionArgs(
                destination_vault_arn=vault.arn,
                # The copy has its own lifecycle, inside the destination vault's lock bounds.
                lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=args.retention_days),
            )
            for region, vault in vaults.items()
            if region != cell.region
        ]
        rule = aws.backup.PlanRuleArgs(
            rule_name="daily-with-cross-region-copy",
            target_vault_name=vaults[cell.region].name,
            schedule=SCHEDULE,
            start_window=START_WINDOW_MINUTES,
            completion_window=COMPLETION_WINDOW_MINUTES,
            enable_continuous_backup=args.continuous,
            lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days),
            copy_actions=copies,
            recovery_point_tags=cell_tags(cell.region, purpose="backup"),
        )
        return aws.backup.Plan(
            f"{self._name}-{cell.region}-plan",
            name=f"finstack-{args.environment}-{cell.region}",
            rules=[rule],
            region=cell.region,
            tags=cell_tags(cell.region, purpose="backup"),
            # Every vault the rule writes to is locked before the first job can run.
            opts=self._child(depends_on=list(locks)),
        )

    def _create_selection(
        self, cell: BackupCellArgs, plan: aws.backup.Plan, role: aws.iam.Role, grants: list[pulumi.Resource]
    ) -> aws.backup.Selection:
        return aws.backup.Selection(
            f"{self._name}-{cell.region}-selection",
            name=f"finstack-{self._args.environment}-aurora",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=list(cell.cluster_arns),
            region=cell.region,
            # A job started before the role has its policies would fail with AccessDenied.
            opts=pulumi.ResourceOptions(parent=plan, depends_on=grants),
        )

    def _create_alarms(self, cell: BackupCellArgs) -> None:
        """Backup and copy job failures of the cell's vault, to its alert topic.

        AWS/Backup publishes the job counts per BackupVaultName (CloudWatch User Guide, the
        AWS/Backup metric list); a copy job runs in, and is counted under, its source vault.
        No data (no job in the hour) is not a failure.
        """
        region, topic = cell.region, [cell.alert_topic_arn]
        vault = vault_name(self._args.environment, region)
        for role, metric, what in FAILURE_METRICS:
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{region}-{role}-alarm",
                name=f"{vault}-{role}",
                alarm_description=(
                    f"An AWS Backup {what} of vault {vault} failed: the ledger's recovery point (or its copy in "
                    "the other cell) is missing. See the README, 'Restoring from AWS Backup'."
                ),
                namespace="AWS/Backup",
                metric_name=metric,
                dimensions={"BackupVaultName": vault},
                statistic="Sum",
                period=ALARM_PERIOD_SECONDS,
                evaluation_periods=1,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=topic,
                ok_actions=topic,
                region=region,
                tags=cell_tags(region),
                opts=self._child(),
            )
