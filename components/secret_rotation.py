"""Rotation of the ledger's break-glass master secret: a Lambda function Secrets Manager calls.

Children of `SecretRotation("ledger-rotation", ...)`:

    ledger-rotation-probe-<r>                 per region: the probe secret testSecret logs in with
    ledger-rotation-logs                      /aws/lambda/<function>, logs key, retention
    ledger-rotation-role, -role-policy        the function's execution role (least privilege)
    ledger-rotation-function                  python3.13, reserved concurrency 1, outside the VPC
    ledger-rotation-invoke                    Secrets Manager may invoke it, from this account only
    ledger-rotation-schedule                  aws.secretsmanager.SecretRotation, every `rotation_days`

How the function works, and why it needs no VPC reach, is in components/rotation_lambda/handler.py.
The master secret itself stays in components/aurora_global.py; this component only rotates it.

Why the function runs outside the VPC (Checkov CKV_AWS_117): it reaches the database only through
the RDS Data API, a regional AWS endpoint, and the writer moves between the cells' VPCs: inside
one VPC it would need NAT or endpoints in every cell to follow it. No DLQ (CKV_AWS_116): a DLQ
catches asynchronous invocations; Secrets Manager waits for each step and records a failed
rotation on the secret itself. Environment variables hold two identifiers, no secret, so the
Lambda-owned key that encrypts them at rest is enough (CKV_AWS_173).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Document
from components.naming import cell_tags
from components.rotation_lambda import handler as rotation_handler

# Secrets Manager's longest period that PCI DSS v4.0.1 8.3.9 accepts for a password used as the only
# factor is 90 days; a break-glass credential is rotated three times as often.
ROTATION_DAYS = 30
MAX_ROTATION_DAYS = 90
# A supported Lambda runtime ("Lambda runtimes", AWS Lambda Developer Guide: python3.13, deprecation
# planned 2029-06-30). The policy `lambda-supported-runtime` lists the accepted ones.
RUNTIME = "python3.13"
HANDLER = "handler.lambda_handler"
# Four Data API calls at most per step, each answering in seconds; the default 3 s is too tight
# for a cross-region call after a failover.
TIMEOUT_SECONDS = 120
MEMORY_MB = 256
# One rotation at a time: two concurrent invocations would race on AWSPENDING (Checkov CKV_AWS_115).
RESERVED_CONCURRENCY = 1
# The tag naming the secret a probe secret serves (policy `secretsmanager-secret-rotation`
# accepts a probe only for a secret that is itself rotated).
PROBE_TAG = "finstack:rotationProbeOf"
CODE_DIR = os.path.join(os.path.dirname(__file__), "rotation_lambda")
CODE_FILES = ("handler.py", "scram.py")


def function_name(environment: str) -> str:
    """`finstack-prod-ledger-master-rotation`."""
    return f"finstack-{environment}-ledger-master-rotation"


def probe_secret_name(secret_name: str) -> str:
    """The probe secret's name: the rotated secret's, suffixed (the same in every region)."""
    return f"{secret_name}-rotation-probe"


def rotation_policy(
    *,
    account_id: str,
    secret_arn: str,
    regions: Sequence[str],
    probe_arns: Sequence[str],
    global_cluster_arn: str,
    cluster_arns: Sequence[str],
    secrets_key_arns: Sequence[str],
    log_group_arn: str,
    partition: str = iam_docs.PARTITION,
) -> Document:
    """The execution role's permissions: exactly the calls of handler.Boto3Gateway.

    Base set from "Lambda rotation function execution role permissions for AWS Secrets Manager"
    (Secrets Manager User Guide), minus the ec2 ENI actions (no VPC); plus what the Data API
    checks on the caller ("Authorizing access to the Amazon RDS Data API": rds-data:ExecuteStatement
    on the cluster and secretsmanager:GetSecretValue on the secret it names, here the replica in the
    writer's region), and the secrets keys through Secrets Manager only (the key policy delegates
    to IAM via `kms:ViaService`, components/keys.py).
    """
    replicas = [rotation_handler.in_region(secret_arn, region) for region in regions]
    return iam_docs.document(
        iam_docs.statement(
            "RotateTheMasterSecret",
            (
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ),
            [secret_arn],
        ),
        iam_docs.statement("ReadTheReplicasForTheDataApi", ("secretsmanager:GetSecretValue",), replicas),
        iam_docs.statement(
            "WriteAndReadTheProbes", ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"), probe_arns
        ),
        # GetRandomPassword is not resource-scoped (Service Authorization Reference, Secrets Manager).
        iam_docs.statement("GeneratePasswords", ("secretsmanager:GetRandomPassword",), ["*"]),
        iam_docs.statement("FindTheWriter", ("rds:DescribeGlobalClusters",), [global_cluster_arn]),
        iam_docs.statement("ChangeThePasswordOnTheWriter", ("rds-data:ExecuteStatement",), cluster_arns),
        iam_docs.statement(
            "SecretsKeysThroughSecretsManager",
            ("kms:Decrypt", "kms:GenerateDataKey"),
            secrets_key_arns,
            conditions={
                "StringEquals": {
                    "kms:ViaService": [iam_docs.service_endpoint("secretsmanager", region) for region in regions]
                }
            },
        ),
        iam_docs.statement("WriteItsLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), [f"{log_group_arn}:*"]),
    )


@dataclass(frozen=True)
class SecretRotationArgs:
    """Wiring of the rotation: the master secret, the global cluster and the keys of every cell.

    `home_region` is the secret's primary region, where rotation runs (replicas follow);
    `cluster_arns` and `secrets_key_arns` have one entry per region of the global database.
    """

    environment: str
    home_region: str
    account_id: pulumi.Input[str]
    secret_arn: pulumi.Input[str]
    secret_name: str
    global_cluster_id: pulumi.Input[str]
    global_cluster_arn: pulumi.Input[str]
    cluster_arns: Mapping[str, pulumi.Input[str]]
    secrets_key_arns: Mapping[str, pulumi.Input[str]]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    deletion_protection: bool
    rotation_days: int = ROTATION_DAYS
    after: tuple[pulumi.Resource, ...] = field(default=())

    def __post_init__(self) -> None:
        """Refuse a period beyond the policy's bound and a cell without a cluster or key."""
        if not 1 <= self.rotation_days <= MAX_ROTATION_DAYS:
            raise ValueError(
                f"SecretRotationArgs.rotation_days: 1 to {MAX_ROTATION_DAYS} days, got {self.rotation_days}"
            )
        if set(self.cluster_arns) != set(self.secrets_key_arns) or self.home_region not in self.cluster_arns:
            raise ValueError(
                "SecretRotationArgs: cluster_arns and secrets_key_arns need the same regions, the home region "
                f"included; got {sorted(self.cluster_arns)} and {sorted(self.secrets_key_arns)}"
            )

    @property
    def regions(self) -> tuple[str, ...]:
        """The cells, home region first."""
        return (self.home_region, *(r for r in self.cluster_arns if r != self.home_region))


class SecretRotation(pulumi.ComponentResource):
    """Scheduled rotation of the ledger's master secret through a Data API rotation function."""

    function_arn: pulumi.Output[str]
    """The rotation function."""
    role_arn: pulumi.Output[str]
    """Its execution role."""
    probe_secret_arns: dict[str, pulumi.Output[str]]
    """Region -> the probe secret testSecret logs in with."""

    def __init__(self, name: str, args: SecretRotationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:security:SecretRotation", name, None, opts)
        self._name = name
        self._args = args
        probes = {region: self._create_probe(region) for region in args.regions}
        logs = self._create_log_group()
        role, role_policy = self._create_role(probes, logs)
        function = self._create_function(role, logs, [role_policy])
        self._create_schedule(function)

        self.function_arn = function.arn
        self.role_arn = role.arn
        self.probe_secret_arns = {region: probe.arn for region, probe in probes.items()}
        self.register_outputs(
            {"function_arn": self.function_arn, "role_arn": self.role_arn, "probe_secret_arns": self.probe_secret_arns}
        )

    def _create_probe(self, region: str) -> aws.secretsmanager.Secret:
        """A secret of the cell's own region (the Data API reads only those), never replicated.

        It holds the pending document only while testSecret runs, then a placeholder; it is
        encrypted with the same key as the master secret and has the same readers.
        """
        args = self._args
        return aws.secretsmanager.Secret(
            f"{self._name}-probe-{region}",
            name=probe_secret_name(args.secret_name),
            description="Rotation probe of the ledger's break-glass secret: a pending password only during testSecret",
            kms_key_id=args.secrets_key_arns[region],
            recovery_window_in_days=7,
            region=region,
            tags={**cell_tags(region), PROBE_TAG: args.secret_name},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_log_group(self) -> aws.cloudwatch.LogGroup:
        """Created before the function, with the logs key: Lambda would create it unencrypted, kept forever."""
        args = self._args
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/aws/lambda/{function_name(args.environment)}",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            deletion_protection_enabled=args.deletion_protection,
            region=args.home_region,
            tags=cell_tags(args.home_region),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_role(
        self, probes: Mapping[str, aws.secretsmanager.Secret], logs: aws.cloudwatch.LogGroup
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        args = self._args
        account = pulumi.Output.from_input(args.account_id)
        role = aws.iam.Role(
            f"{self._name}-role",
            assume_role_policy=account.apply(
                lambda a: iam_docs.dumps(iam_docs.assume_role_policy("lambda.amazonaws.com", source_account=a))
            ),
            description="Rotation function of the ledger's break-glass master secret",
            tags=cell_tags(args.home_region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        regions = list(args.regions)
        n = len(regions)
        values = pulumi.Output.all(
            account,
            args.secret_arn,
            args.global_cluster_arn,
            logs.arn,
            *(probes[r].arn for r in regions),
            *(args.cluster_arns[r] for r in regions),
            *(args.secrets_key_arns[r] for r in regions),
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-role-policy",
            role=role.name,
            policy=values.apply(
                lambda v: iam_docs.dumps(
                    rotation_policy(
                        account_id=v[0],
                        secret_arn=v[1],
                        regions=regions,
                        global_cluster_arn=v[2],
                        log_group_arn=v[3],
                        probe_arns=v[4 : 4 + n],
                        cluster_arns=v[4 + n : 4 + 2 * n],
                        secrets_key_arns=v[4 + 2 * n : 4 + 3 * n],
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role, policy

    def _create_function(
        self, role: aws.iam.Role, logs: aws.cloudwatch.LogGroup, after: Sequence[pulumi.Resource]
    ) -> aws.lambda_.Function:
        args = self._args
        return aws.lambda_.Function(
            f"{self._name}-function",
            name=function_name(args.environment),
            description="Rotates the ledger's break-glass master secret on the global writer (RDS Data API)",
            runtime=RUNTIME,
            handler=HANDLER,
            code=pulumi.AssetArchive({f: pulumi.FileAsset(os.path.join(CODE_DIR, f)) for f in CODE_FILES}),
            role=role.arn,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            reserved_concurrent_executions=RESERVED_CONCURRENCY,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    rotation_handler.ENV_GLOBAL_CLUSTER: args.global_cluster_id,
                    rotation_handler.ENV_PROBE_SECRET: probe_secret_name(args.secret_name),
                }
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
            region=args.home_region,
            tags=cell_tags(args.home_region),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs, *after]),
        )

    def _create_schedule(self, function: aws.lambda_.Function) -> None:
        args = self._args
        # Secrets Manager calls the function as its service principal; only for this account's secrets
        # (aws:SourceAccount, the confused-deputy guard of "Lambda rotation functions", Secrets Manager
        # User Guide). Never a public invoke (Security Hub Lambda.1).
        permission = aws.lambda_.Permission(
            f"{self._name}-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="secretsmanager.amazonaws.com",
            source_account=args.account_id,
            region=args.home_region,
            opts=pulumi.ResourceOptions(parent=function),
        )
        aws.secretsmanager.SecretRotation(
            f"{self._name}-schedule",
            secret_id=args.secret_arn,
            rotation_lambda_arn=function.arn,
            rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                automatically_after_days=args.rotation_days
            ),
            # RotateSecret would otherwise rotate at once, during the first `up`, before anyone has
            # checked that the cluster answers the Data API; the first rotation comes on schedule.
            rotate_immediately=False,
            region=args.home_region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission, *args.after]),
        )
