"""The DR control plane: the IAM roles drills use, the ARC Region switch plan, the DR dashboard.

Two components, declared at two points of the program (see docs/components.md):

`DrAutomationRoles(name, DrAutomationRolesArgs, opts)` (`finstack:dr:DrAutomationRoles`), global
IAM, declared before EKS (EKS gives the automation role an access entry). Its policies can only
name what is known before the data and compute layers exist, so they are built from the stable
physical names those components define (`components.eks.cluster_name_of`,
`components.aurora_plan`, `components.replication_topology`) and the account id. Permissions
on resources with generated ids (health checks, routing controls) are attached later by
`DrControl`, scoped to the exact ids.

- `automation_role_arn` / `automation_role_name`: the role drills (`finstack drill`) and operators
  assume. Trusted by the listed operator roles (`operator_role_arns`), or else by principals of
  the account tagged `finstack:dr-operator=true`. It may switch over / fail over / detach
  the stack's Aurora global cluster, resize the stack's EKS node groups, read the MSK
  replicators, start and follow the Region switch plan (never approve it), and (attached by
  `DrControl`) flip the stack's routing controls and invert/inspect its health checks.
- `approver_role_arn`: `finstack-<env>-dr-approver`, the only principal the plan's manual
  approval step names (ARC only; None otherwise). Trusted by `approver_principal_arns`, else by
  principals tagged `finstack:dr-approver=true`; it may approve a step of the plan and read its
  executions, nothing else. A drill runs as the automation role, which cannot approve: the
  writer switch waits for a person acting as this role.
- `plan_execution_role_arn` / `plan_execution_role_name`: the role ARC Region switch assumes to
  run the plan (trust: arc-region-switch.amazonaws.com from this account), every execution block
  included: `EksCluster` gives it the access entry the EKS step scales with. None when ARC is off.
- `report_bucket_name`: the bucket `DrControl` creates for execution reports (None when ARC is off).

`DrControl(name, DrControlArgs, opts)` (`finstack:dr:DrControl`), declared last:

- always: the drill permissions on the stack's health checks (and routing controls), and the
  stack's CloudWatch dashboard in the primary region (`components.dashboard`);
- with ARC (`traffic.arcEnabled`, prod): the execution-report bucket (SSE-KMS with the primary
  region's `logs` key, versioned, public access blocked, owner-enforced, TLS-only) and the
  active/active Region switch plan. Its deactivate workflow: scale the surviving cell's EKS
  workloads, drain the cell (routing control), wait for a human, switch the Aurora writer
  (switchover; failover when executed ungracefully). Its activate workflow: scale, then let the
  cell take traffic again; the writer stays where it is (failback is its own decision).

The EKS step names Kubernetes Deployments (`scaled_workloads`): Region switch scales
workloads, and the cluster autoscaler follows with nodes; without workloads the step is left
out and drills scale node groups directly with the automation role. ARC runs the EKS step as
the plan's execution role: the ARC guide asks for "an EKS access entry for the IAM role that
Region switch uses for plan execution" with AmazonARCRegionSwitchScalingPolicy
(https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html), and an
EKS cluster's `crossAccountRole` is for clusters in another account ("If resources are in
different accounts, you'll need a cross-account role",
https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_cross_account.html).
`EksCluster` declares that entry (scoped to the scaled workloads' namespaces) and the plan
depends on it (`DrControlArgs.plan_prerequisites`): ARC evaluates the plan when it is created.

Attributes of `DrControl`: `plan_arn`, `routing_control_cluster_arn`, `routing_control_arns`
(region -> ARN), all None when ARC is off; `dashboard_name`; `report_bucket_arn` (None when off).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import dr_permissions, iam_docs
from components.aurora_plan import cluster_identifier, global_cluster_identifier, master_secret_name
from components.backup import vault_name as backup_vault_name
from components.dashboard import CellPanel, DashboardSpec, dr_dashboard_body, replicator_name_from_arn
from components.eks import cluster_name_of
from components.iam_docs import PARTITION, Document, document, statement
from components.naming import cell_tags, short_region
from components.private_bucket import ObjectLock, declare_private_bucket, deny_deletes, evidence_lifecycle
from components.replication_topology import full_mesh
from components.traffic import ROUTE53_METRICS_REGION, health_alarm_name

REGION_SWITCH_SERVICE = "arc-region-switch.amazonaws.com"
# The Region switch API takes exactly two regions per plan.
REGION_SWITCH_REGIONS = 2
# Report objects land under this prefix; the execution role may write nowhere else.
REPORT_PREFIX = "region-switch"
# A writer switch waits this long for a human before the execution fails.
APPROVAL_TIMEOUT_MINUTES = 60
# Aurora switchover of a large cluster can take tens of minutes (it drains replication first).
AURORA_SWITCH_TIMEOUT_MINUTES = 60
ROUTING_TIMEOUT_MINUTES = 10
SCALING_TIMEOUT_MINUTES = 30
# The survivor is scaled to the whole load: 100 % of the capacity ARC sampled over 24 hours.
SURVIVOR_TARGET_PERCENT = 100
# What the plan reports its executions against; the drills measure the real figure.
DEFAULT_RTO_MINUTES = 30
# Drill sessions are short: an hour is enough for a switchover, and a leaked session expires.
AUTOMATION_SESSION_SECONDS = 3600
OPERATOR_TAG = "finstack:dr-operator"
APPROVER_TAG = "finstack:dr-approver"
# An approver session only approves one step: an hour is the approval step's own timeout.
APPROVER_SESSION_SECONDS = 3600


# -- physical names of the DR layer (EKS, Aurora and MSK names come from their own modules) ----
def region_switch_plan_name(environment: str) -> str:
    """Plan names are at most 32 characters: `finstack-staging-region-switch` is 30."""
    return f"finstack-{environment}-region-switch"


def automation_role_name(environment: str) -> str:
    """The role drills and operators assume."""
    return f"finstack-{environment}-dr-automation"


def approver_role_name(environment: str) -> str:
    """The role a person assumes to approve the Region switch plan's writer switch."""
    return f"finstack-{environment}-dr-approver"


def plan_execution_role_name(environment: str) -> str:
    """The role ARC Region switch assumes to run the plan."""
    return f"finstack-{environment}-arc-plan-execution"


def report_bucket_name(environment: str, account_id: str, region: str) -> str:
    """Bucket names are global: the account id and region make this one unique."""
    return f"finstack-{environment}-arc-reports-{account_id}-{short_region(region)}"


# -- ARNs built from those names -------------------------------------------------------------
def role_arn(account_id: str, name: str) -> str:
    """`arn:aws:iam::<account>:role/<name>`."""
    return f"arn:{PARTITION}:iam::{account_id}:role/{name}"


def aurora_arns(environment: str, account_id: str, regions: Sequence[str]) -> list[str]:
    """The global cluster and every member: switchover and failover need permission on both."""
    global_arn = f"arn:{PARTITION}:rds::{account_id}:global-cluster:{global_cluster_identifier(environment)}"
    members = [f"arn:{PARTITION}:rds:{r}:{account_id}:cluster:{cluster_identifier(environment, r)}" for r in regions]
    return [global_arn, *members]


def eks_cluster_arn(account_id: str, region: str, cluster_name: str) -> str:
    """`arn:aws:eks:<region>:<account>:cluster/<name>`."""
    return f"arn:{PARTITION}:eks:{region}:{account_id}:cluster/{cluster_name}"


def eks_access_entry_arns(account_id: str, region: str, cluster_name: str) -> str:
    """Every access entry of a cluster: `arn:aws:eks:<region>:<account>:access-entry/<name>/*`."""
    return f"arn:{PARTITION}:eks:{region}:{account_id}:access-entry/{cluster_name}/*"


def region_switch_plan_arn_pattern(environment: str, account_id: str) -> str:
    """Plan ARNs end in a generated suffix (`plan/<name>:<6 chars>`), hence the pattern."""
    return f"arn:{PARTITION}:arc-region-switch::{account_id}:plan/{region_switch_plan_name(environment)}:*"


def health_alarm_arns(environment: str, account_id: str, regions: Sequence[str]) -> list[str]:
    """The cells' health alarms (components/traffic.py), all in us-east-1."""
    return [
        f"arn:{PARTITION}:cloudwatch:{ROUTE53_METRICS_REGION}:{account_id}:alarm:{health_alarm_name(environment, r)}"
        for r in regions
    ]


def health_check_arn(health_check_id: str) -> str:
    """Route 53 is global: health check ARNs carry neither region nor account."""
    return f"arn:{PARTITION}:route53:::healthcheck/{health_check_id}"


# -- policy documents (pure) -------------------------------------------------------------------
def automation_trust_policy(account_id: str, operator_role_arns: Sequence[str]) -> Document:
    """Who may assume the automation role: named operator roles, else tagged principals."""
    return _people_trust_policy(account_id, operator_role_arns, "Operators", OPERATOR_TAG)


def approver_trust_policy(account_id: str, approver_principal_arns: Sequence[str]) -> Document:
    """Who may assume the approver role: the named roles, else principals tagged `finstack:dr-approver`."""
    return _people_trust_policy(account_id, approver_principal_arns, "Approvers", APPROVER_TAG)


def _people_trust_policy(account_id: str, role_arns: Sequence[str], sid: str, tag: str) -> Document:
    """Named roles may assume; without any, principals of the account carrying `tag`=true."""
    if role_arns:
        trusted: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"AWS": sorted(role_arns)},
            "Action": "sts:AssumeRole",
        }
    else:
        trusted = {
            "Sid": f"Tagged{sid}",
            "Effect": "Allow",
            "Principal": {"AWS": iam_docs.account_root(account_id)},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {f"aws:PrincipalTag/{tag}": "true"}},
        }
    return {"Version": iam_docs.POLICY_VERSION, "Statement": [trusted]}


def approver_policy(environment: str, account_id: str) -> Document:
    """Approve a step of this stack's plan and read its executions; nothing else.

    ARC's manual approval block needs `arc-region-switch:ApprovePlanExecutionStep` on the plan
    ("Manual approval execution block sample policy",
    https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_manual_approval.html);
    the reads let the approver see what they approve (the execution, its steps and events).
    """
    return document(
        statement(
            "ApproveRegionSwitchSteps",
            [
                "arc-region-switch:ApprovePlanExecutionStep",
                "arc-region-switch:GetPlanExecution",
                "arc-region-switch:ListPlanExecutionEvents",
                "arc-region-switch:ListPlanExecutions",
            ],
            [region_switch_plan_arn_pattern(environment, account_id)],
        )
    )


def _sid(scope: str, via_service: str | None) -> str:
    """`eks-nodegroups` -> `EksNodegroups`; `ViaSecretsmanager` appended for a via-service grant."""
    words = scope.split("-") + (["via", via_service] if via_service else [])
    return "".join(word.capitalize() for word in words)


def _scoped_statements(
    scopes: Sequence[dr_permissions.Scope],
    resources: Mapping[dr_permissions.Scope, Sequence[str]],
    regions: Sequence[str],
    *,
    arc_enabled: bool,
) -> list[dict[str, Any]]:
    """One statement per (scope, via service) of the drill-call table, on `resources[scope]`."""
    statements = []
    for scope, by_via in dr_permissions.needs_in(scopes, arc_enabled=arc_enabled).items():
        for via, actions in by_via.items():
            conditions = None
            if via is not None:
                endpoints = [iam_docs.service_endpoint(via, r) for r in regions]
                conditions = {"StringEquals": {"kms:ViaService": endpoints if len(endpoints) > 1 else endpoints[0]}}
            statements.append(statement(_sid(scope, via), actions, sorted(resources[scope]), conditions=conditions))
    return statements


def break_glass_secret_arns(environment: str, account_id: str, regions: Sequence[str]) -> list[str]:
    """The Aurora master secret and its replicas, by name pattern.

    Secrets Manager appends `-` and 6 random characters to a secret's name in its ARN, the same in
    every replica region
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_examples_wildcard).
    """
    name = master_secret_name(environment)
    return [f"arn:{PARTITION}:secretsmanager:{r}:{account_id}:secret:{name}-??????" for r in regions]


def automation_policy(
    environment: str,
    account_id: str,
    regions: Sequence[str],
    arc_enabled: bool,
    secrets_key_arns: Sequence[str],
) -> Document:
    """What a drill does (`components.dr_permissions`), on the stack's own resources only.

    Built before the data and compute layers exist, from the names they will have; permissions
    on resources with generated ids come later (`drill_runtime_policy`).
    """
    aurora = aurora_arns(environment, account_id, regions)
    resources: dict[dr_permissions.Scope, Sequence[str]] = {
        "aurora-global-and-members": aurora,
        "aurora-members": aurora[1:],
        "eks-clusters": [eks_cluster_arn(account_id, r, cluster_name_of(environment, r)) for r in regions],
        # Node group names and ids are generated by EKS: scoped to the stack's clusters instead.
        "eks-nodegroups": [
            f"arn:{PARTITION}:eks:{r}:{account_id}:nodegroup/{cluster_name_of(environment, r)}/*/*" for r in regions
        ],
        # A replicator runs in the region it replicates into; its ARN ends in a generated id.
        "msk-replicators": [
            f"arn:{PARTITION}:kafka:{flow.target}:{account_id}:replicator/{flow.replicator_name(environment)}/*"
            for flow in full_mesh(regions)
        ],
        "break-glass-secret": break_glass_secret_arns(environment, account_id, regions),
        "secrets-keys": list(secrets_key_arns),
        "region-switch-plan": [region_switch_plan_arn_pattern(environment, account_id)],
        "any": ["*"],
    }
    return document(*_scoped_statements(dr_permissions.STATIC_SCOPES, resources, regions, arc_enabled=arc_enabled))


def plan_execution_policy(
    *,
    environment: str,
    account_id: str,
    primary_region: str,
    regions: Sequence[str],
    report_bucket: str,
    report_key_arn: str,
    eks_scaling: bool,
) -> Document:
    """What ARC needs to evaluate and run the plan (execution blocks: Aurora, EKS when `eks_scaling`).

    Routing-control grants name generated ids and come later (`routing_control_statements`).
    """
    plan_role = role_arn(account_id, plan_execution_role_name(environment))
    eks: list[dict[str, Any]] = []
    if eks_scaling:
        clusters = [(r, cluster_name_of(environment, r)) for r in regions]
        # ARC guide, "Amazon EKS resource scaling execution block sample policy"
        # (https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_eks.html):
        # DescribeCluster on the clusters, ListAssociatedAccessPolicies on their access entries
        # (an access-entry resource, not the cluster). The Kubernetes calls themselves are
        # authorized by the access entry `EksCluster` declares for this role.
        eks = [
            statement("EksClusters", ["eks:DescribeCluster"], [eks_cluster_arn(account_id, r, c) for r, c in clusters]),
            statement(
                "EksAccessEntries",
                ["eks:ListAssociatedAccessPolicies"],
                [eks_access_entry_arns(account_id, r, c) for r, c in clusters],
            ),
        ]
    return document(
        statement(
            "PlanRead",
            ["arc-region-switch:GetPlan", "arc-region-switch:GetPlanExecution", "arc-region-switch:ListPlanExecutions"],
            [region_switch_plan_arn_pattern(environment, account_id)],
        ),
        # Plan evaluation simulates the role's policies to warn about missing permissions.
        statement("PlanEvaluation", ["iam:SimulatePrincipalPolicy"], [plan_role]),
        statement(
            "HealthAlarms",
            ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
            health_alarm_arns(environment, account_id, regions),
        ),
        # GetMetricStatistics supports no resource-level permission (capacity sampling reads it).
        statement("CapacityMetrics", ["cloudwatch:GetMetricStatistics"], ["*"]),
        statement(
            "AuroraWriterSwitch",
            [
                "rds:SwitchoverGlobalCluster",
                "rds:FailoverGlobalCluster",
                "rds:DescribeGlobalClusters",
                "rds:DescribeDBClusters",
            ],
            aurora_arns(environment, account_id, regions),
        ),
        *eks,
        statement("ReportWrite", ["s3:PutObject"], [f"arn:{PARTITION}:s3:::{report_bucket}/{REPORT_PREFIX}/*"]),
        # Decrypt as well: S3 needs it to complete a multipart upload of a large report.
        statement(
            "ReportKey",
            ["kms:GenerateDataKey", "kms:Decrypt"],
            [report_key_arn],
            conditions={"StringEquals": {"kms:ViaService": iam_docs.service_endpoint("s3", primary_region)}},
        ),
    )


def routing_control_statements(routing_control_arns: Sequence[str], cluster_arn: str) -> list[dict[str, Any]]:
    """Read and flip the stack's routing controls (and find the cluster's endpoints and panel).

    The ARC routing control execution block needs DescribeControlPanel and DescribeCluster on the
    panel and cluster, and the state calls on the controls ("ARC routing controls execution block
    sample policy", https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_arc_routing.html).
    """
    return [
        statement(
            "RoutingControlState",
            [
                "route53-recovery-cluster:GetRoutingControlState",
                "route53-recovery-cluster:UpdateRoutingControlState",
                "route53-recovery-cluster:UpdateRoutingControlStates",
            ],
            sorted(routing_control_arns),
        ),
        statement(
            "RoutingControlConfig",
            ["route53-recovery-control-config:DescribeRoutingControl"],
            sorted(routing_control_arns),
        ),
        statement("RoutingControlCluster", ["route53-recovery-control-config:DescribeCluster"], [cluster_arn]),
        statement(
            "RoutingControlPanel",
            ["route53-recovery-control-config:DescribeControlPanel"],
            sorted({control_panel_of(arn) for arn in routing_control_arns}),
        ),
    ]


def control_panel_of(routing_control_arn: str) -> str:
    """A routing control's ARN is its panel's ARN + `/routingcontrol/<id>` (ARC API Reference)."""
    return routing_control_arn.split("/routingcontrol/", 1)[0]


def drill_runtime_policy(
    health_check_ids: Sequence[str], routing_control_arns: Sequence[str], cluster_arn: str | None
) -> Document:
    """The automation role's grants on resources with generated ids, attached once they exist.

    `cluster_arn` only says whether the stack has ARC: the drills make no call on the cluster or
    its control panel (the data plane is authorized on the routing controls alone), so neither
    is granted anything.
    """
    resources: dict[dr_permissions.Scope, Sequence[str]] = {
        "health-checks": [health_check_arn(hc) for hc in health_check_ids],
        "routing-controls": list(routing_control_arns),
    }
    statements = _scoped_statements(dr_permissions.RUNTIME_SCOPES, resources, (), arc_enabled=cluster_arn is not None)
    return document(*statements)


# -- DrAutomationRoles ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DrAutomationRolesArgs:
    """Plain settings from `StackConfig`, the account id, the report key (ARC only).

    `report_key_arn`: the primary region's `logs` key (execution reports are audit evidence,
    kept under the key of the other audit records); required when `arc_enabled`.
    `operator_role_arns`: roles allowed to assume the automation role (e.g. the platform admin
    role); empty means any principal of the account tagged `finstack:dr-operator=true`.
    `secrets_key_arns`: the `secrets` key of each region (in `regions` order), which encrypts the
    break-glass secret the split-brain canary reads.
    `eks_scaling`: the plan has an EKS resource scaling step (ARC with scaled workloads): its
    execution role then may describe the stack's clusters and their access entries.
    `approver_principal_arns`: roles allowed to assume the approver role (ARC only); empty means
    principals of the account tagged `finstack:dr-approver=true`.
    """

    environment: str
    primary_region: str
    regions: tuple[str, ...]
    account_id: pulumi.Input[str]
    arc_enabled: bool
    report_key_arn: pulumi.Input[str] | None = None
    operator_role_arns: tuple[str, ...] = ()
    secrets_key_arns: tuple[pulumi.Input[str], ...] = ()
    eks_scaling: bool = False
    approver_principal_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.secrets_key_arns) != len(self.regions):
            raise ValueError(
                "DrAutomationRoles: secrets_key_arns needs the secrets key of every region (the canary reads the "
                "break-glass secret, encrypted with it, in the region it writes to)"
            )
        if self.primary_region not in self.regions:
            raise ValueError(f"DrAutomationRoles: primary region {self.primary_region} is not one of {self.regions}")
        if self.arc_enabled and self.report_key_arn is None:
            raise ValueError("DrAutomationRoles: the Region switch plan needs report_key_arn (the primary logs key)")


class DrAutomationRoles(pulumi.ComponentResource):
    """The automation role drills assume and the Region switch plan's execution role (global IAM)."""

    automation_role_arn: pulumi.Output[str]
    """The role drills and operators assume; EKS gives it an access entry."""
    automation_role_name: pulumi.Output[str]
    """Its name, for policies attached later (`DrControl`)."""
    plan_execution_role_arn: pulumi.Output[str] | None
    """The role ARC Region switch assumes; None when ARC is off."""
    plan_execution_role_name: pulumi.Output[str] | None
    """Its name; None when ARC is off."""
    approver_role_arn: pulumi.Output[str] | None
    """The only principal that may approve the plan's manual step; None when ARC is off."""
    report_bucket_name: pulumi.Output[str] | None
    """The execution-report bucket `DrControl` creates; None when ARC is off."""

    def __init__(self, name: str, args: DrAutomationRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:dr:DrAutomationRoles", name, None, opts)
        self._name = name
        self._args = args
        account = pulumi.Output.from_input(args.account_id)
        self.report_bucket_name = None
        self.plan_execution_role_arn = None
        self.plan_execution_role_name = None
        self.approver_role_arn = None
        if args.arc_enabled:
            self.report_bucket_name = account.apply(
                lambda acct: report_bucket_name(args.environment, acct, args.primary_region)
            )
            plan_role = self._create_plan_role(account)
            self.plan_execution_role_arn = plan_role.arn
            self.plan_execution_role_name = plan_role.name
            self.approver_role_arn = self._create_approver_role(account).arn
        automation = self._create_automation_role(account)
        self.automation_role_arn = automation.arn
        self.automation_role_name = automation.name
        self.register_outputs(
            {
                "automation_role_arn": self.automation_role_arn,
                "automation_role_name": self.automation_role_name,
                "plan_execution_role_arn": self.plan_execution_role_arn,
                "plan_execution_role_name": self.plan_execution_role_name,
                "approver_role_arn": self.approver_role_arn,
                "report_bucket_name": self.report_bucket_name,
            }
        )

    def _create_plan_role(self, account: pulumi.Output[str]) -> aws.iam.Role:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-plan-execution",
            name=plan_execution_role_name(args.environment),
            description=f"ARC Region switch runs the finstack {args.environment} plan as this role",
            # Pinned to this account against a confused deputy in another one.
            assume_role_policy=account.apply(
                lambda acct: iam_docs.dumps(iam_docs.assume_role_policy(REGION_SWITCH_SERVICE, source_account=acct))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        report_key = pulumi.Output.from_input(args.report_key_arn or "")
        aws.iam.RolePolicy(
            f"{self._name}-plan-execution-policy",
            role=role.name,
            name="region-switch-execution",
            policy=pulumi.Output.all(account, report_key).apply(
                lambda values: iam_docs.dumps(
                    plan_execution_policy(
                        environment=args.environment,
                        account_id=values[0],
                        primary_region=args.primary_region,
                        regions=args.regions,
                        report_bucket=report_bucket_name(args.environment, values[0], args.primary_region),
                        report_key_arn=values[1],
                        eks_scaling=args.eks_scaling,
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role

    def _create_approver_role(self, account: pulumi.Output[str]) -> aws.iam.Role:
        """The plan's approver: a principal of its own, so the drill (the automation role) cannot approve."""
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-approver",
            name=approver_role_name(args.environment),
            description=f"A person approves the finstack {args.environment} Region switch writer switch as this role",
            max_session_duration=APPROVER_SESSION_SECONDS,
            assume_role_policy=account.apply(
                lambda acct: iam_docs.dumps(approver_trust_policy(acct, args.approver_principal_arns))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{self._name}-approver-policy",
            role=role.name,
            name="region-switch-approval",
            policy=account.apply(lambda acct: iam_docs.dumps(approver_policy(args.environment, acct))),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role

    def _create_automation_role(self, account: pulumi.Output[str]) -> aws.iam.Role:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-automation",
            name=automation_role_name(args.environment),
            description=f"DR drills and operators of finstack {args.environment} act as this role",
            max_session_duration=AUTOMATION_SESSION_SECONDS,
            assume_role_policy=account.apply(
                lambda acct: iam_docs.dumps(automation_trust_policy(acct, args.operator_role_arns))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{self._name}-automation-policy",
            role=role.name,
            name="dr-automation",
            policy=pulumi.Output.all(account, *args.secrets_key_arns).apply(
                lambda values: iam_docs.dumps(
                    automation_policy(args.environment, values[0], args.regions, args.arc_enabled, values[1:])
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role


# -- DrControl -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DrCellArgs:
    """One cell as the DR plane sees it: identifiers from EKS, Aurora, MSK and GlobalTraffic.

    `health_check_id` is the cell's endpoint check (`GlobalTraffic.health_check_ids`),
    `routing_control_arn` its routing control (None when ARC is off), `replicator_arn` the MSK
    replicator that replicates into the cell (None if there is none).
    """

    region: str
    eks_cluster_name: pulumi.Input[str]
    aurora_cluster_arn: pulumi.Input[str]
    aurora_cluster_id: pulumi.Input[str]
    health_check_id: pulumi.Input[str]
    health_alarm_arn: pulumi.Input[str]
    routing_control_arn: pulumi.Input[str] | None = None
    replicator_arn: pulumi.Input[str] | None = None
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    # The cell's web ACL name (components/edge_defence.py web_acl_name): a plain name, known before `up`.
    waf_web_acl_name: str | None = None
    # The cell's GuardDuty findings rule (components/threat_detection.py): its metrics count findings.
    findings_rule_name: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ScaledWorkload:
    """A Deployment Region switch scales in the surviving cell (optionally through its HPA)."""

    namespace: str
    deployment: str
    hpa_name: str | None = None


@dataclass(frozen=True)
class DrControlArgs:
    """Plain settings from `StackConfig` plus wiring from the roles, data, compute and traffic layers.

    With `arc_enabled` every ARC field is required: `plan_execution_role_arn`/`_name`,
    `approver_role_arn`, `routing_control_cluster_arn`, each cell's `routing_control_arn`,
    `report_bucket_name`, `report_key_arn`; and exactly two cells (a Region switch plan spans two regions).
    `plan_prerequisites`: what must exist before ARC evaluates the plan at creation, beyond the
    grants `DrControl` declares itself: the execution role's EKS access entries and
    associations (`EksCluster.region_switch_access`).
    """

    environment: str
    primary_region: str
    account_id: pulumi.Input[str]
    global_cluster_id: pulumi.Input[str]
    cells: tuple[DrCellArgs, ...]
    automation_role_name: pulumi.Input[str]
    arc_enabled: bool
    plan_execution_role_arn: pulumi.Input[str] | None = None
    plan_execution_role_name: pulumi.Input[str] | None = None
    approver_role_arn: pulumi.Input[str] | None = None
    routing_control_cluster_arn: pulumi.Input[str] | None = None
    report_bucket_name: pulumi.Input[str] | None = None
    report_key_arn: pulumi.Input[str] | None = None
    scaled_workloads: tuple[ScaledWorkload, ...] = ()
    replication_lag_alarm_seconds: float | None = None
    recovery_time_objective_minutes: int = DEFAULT_RTO_MINUTES
    plan_prerequisites: tuple[pulumi.Resource, ...] = ()
    # Object Lock retention and lifecycle expiry of the execution reports
    # (`finstack:security.auditRetentionDays`).
    report_retention_days: int = 365

    def __post_init__(self) -> None:
        regions = [cell.region for cell in self.cells]
        if len(set(regions)) != len(regions) or self.primary_region not in regions:
            raise ValueError(f"DrControl: cells {regions} must be distinct and include {self.primary_region}")
        if not self.arc_enabled:
            return
        missing = [
            field
            for field in (
                "plan_execution_role_arn",
                "plan_execution_role_name",
                "approver_role_arn",
                "routing_control_cluster_arn",
                "report_bucket_name",
                "report_key_arn",
            )
            if getattr(self, field) is None
        ]
        missing += [f"cells[{c.region}].routing_control_arn" for c in self.cells if c.routing_control_arn is None]
        if missing:
            raise ValueError(f"DrControl: ARC is enabled but {', '.join(missing)} is not set")
        if len(self.cells) != REGION_SWITCH_REGIONS:
            raise ValueError(
                f"finstack:traffic.arcEnabled: an ARC Region switch plan spans exactly {REGION_SWITCH_REGIONS} "
                f"regions, this stack has {len(self.cells)}; turn ARC off or run two cells"
            )


class DrControl(pulumi.ComponentResource):
    """Region switch plan, its report bucket, the drills' runtime grants, the DR dashboard."""

    plan_arn: pulumi.Output[str] | None
    """The ARC Region switch plan; None when ARC is off."""
    routing_control_cluster_arn: pulumi.Output[str] | None
    """The ARC cluster drills talk to; None when ARC is off."""
    routing_control_arns: dict[str, pulumi.Output[str]] | None
    """Region -> the cell's routing control; None when ARC is off."""
    report_bucket_arn: pulumi.Output[str] | None
    """Where Region switch writes execution reports; None when ARC is off."""
    dashboard_name: pulumi.Output[str]
    """The stack's CloudWatch dashboard (primary region)."""

    def __init__(self, name: str, args: DrControlArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:dr:DrControl", name, None, opts)
        self._name = name
        self._args = args
        self.plan_arn = None
        self.routing_control_cluster_arn = None
        self.routing_control_arns = None
        self.report_bucket_arn = None
        self._grant_drill_runtime()
        if args.arc_enabled:
            self.routing_control_cluster_arn = pulumi.Output.from_input(args.routing_control_cluster_arn or "")
            self.routing_control_arns = {
                c.region: pulumi.Output.from_input(c.routing_control_arn or "") for c in args.cells
            }
            plan_grant = self._grant_plan_runtime()
            bucket, bucket_ready = self._create_report_bucket()
            self.report_bucket_arn = bucket.arn
            self.plan_arn = self._create_plan(bucket, [plan_grant, *bucket_ready, *args.plan_prerequisites])
        self.dashboard_name = self._create_dashboard()
        self.register_outputs(
            {
                "plan_arn": self.plan_arn,
                "routing_control_cluster_arn": self.routing_control_cluster_arn,
                "routing_control_arns": self.routing_control_arns,
                "report_bucket_arn": self.report_bucket_arn,
                "dashboard_name": self.dashboard_name,
            }
        )

    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)

    # -- runtime grants on generated ids ----------------------------------------------------------
    def _routing_inputs(self) -> pulumi.Output[list[Any]]:
        args = self._args
        controls = [c.routing_control_arn for c in args.cells] if args.arc_enabled else []
        return pulumi.Output.all(args.routing_control_cluster_arn if args.arc_enabled else None, *controls)

    def _grant_drill_runtime(self) -> aws.iam.RolePolicy:
        health_checks = pulumi.Output.all(*[c.health_check_id for c in self._args.cells])
        return aws.iam.RolePolicy(
            f"{self._name}-drill-runtime",
            role=self._args.automation_role_name,
            name="dr-runtime",
            policy=pulumi.Output.all(health_checks, self._routing_inputs()).apply(
                lambda values: iam_docs.dumps(drill_runtime_policy(values[0], values[1][1:], values[1][0]))
            ),
            opts=self._child(),
        )

    def _grant_plan_runtime(self) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(
            f"{self._name}-plan-runtime",
            role=self._args.plan_execution_role_name or "",
            name="region-switch-runtime",
            policy=self._routing_inputs().apply(
                lambda values: iam_docs.dumps(document(*routing_control_statements(values[1:], values[0])))
            ),
            opts=self._child(),
        )

    # -- execution reports -------------------------------------------------------------------------
    def _create_report_bucket(self) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        args = self._args
        reports = declare_private_bucket(
            f"{self._name}-reports",
            bucket_name=args.report_bucket_name,
            region=args.primary_region,
            key_arn=pulumi.Output.from_input(args.report_key_arn or ""),
            tags=cell_tags(args.primary_region),
            parent=self,
            # Drill evidence is kept for auditors; in prod neither a destroy nor a replacement may take it.
            protect=args.environment == "prod",
            # Write-once for the audit retention (COMPLIANCE), then expiry at the same age. The lock
            # may come to a bucket that already exists: the lock configuration turns it on
            # (ObjectLock.at_creation). Writers need only s3:PutObject: the bucket's default
            # retention applies to every new version. S3 then requires Content-MD5 or an SDK checksum on
            # each PutObject ("Content-MD5 HTTP header is required for Put Object requests with Object
            # Lock parameters"; current AWS SDKs send a CRC checksum by default); moto refuses the same.
            locked=ObjectLock(
                retention_days=args.report_retention_days,
                statements=lambda bucket_arn: bucket_arn.apply(lambda arn: [deny_deletes(arn)]),
                at_creation=False,
            ),
            lifecycle=evidence_lifecycle(args.report_retention_days),
        )
        return reports.bucket, reports.settings

    # -- the Region switch plan ---------------------------------------------------------------------
    def _create_plan(self, bucket: aws.s3.Bucket, ready: list[pulumi.Resource]) -> pulumi.Output[str]:
        args = self._args
        env = args.environment
        plan = aws.arcregionswitch.Plan(
            f"{self._name}-region-switch",
            name=region_switch_plan_name(env),
            description=f"finstack {env}: shift traffic and the Aurora writer away from a cell, and back",
            execution_role=args.plan_execution_role_arn or "",
            # Both cells serve traffic; a plan execution deactivates one and the other takes all.
            recovery_approach="activeActive",
            regions=[c.region for c in args.cells],
            recovery_time_objective_minutes=args.recovery_time_objective_minutes,
            # Shown beside every execution, so whoever approves sees the cells' health. No
            # triggers: a cross-region writer move starts when a person decides, not on one alarm
            # (latency routing already drains a cell whose endpoint fails).
            associated_alarms=[
                aws.arcregionswitch.PlanAssociatedAlarmArgs(
                    map_block_key=health_alarm_name(env, c.region),
                    alarm_type="applicationHealth",
                    resource_identifier=c.health_alarm_arn,
                )
                for c in args.cells
            ],
            report_configurations=[
                aws.arcregionswitch.PlanReportConfigurationArgs(
                    report_outputs=[
                        aws.arcregionswitch.PlanReportConfigurationReportOutputArgs(
                            s3_configurations=[
                                aws.arcregionswitch.PlanReportConfigurationReportOutputS3ConfigurationArgs(
                                    # ARC checks the owner before writing: no report lands in a
                                    # bucket someone re-created under the same name elsewhere.
                                    bucket_owner=args.account_id,
                                    bucket_path=pulumi.Output.concat(bucket.bucket, "/", REPORT_PREFIX),
                                )
                            ]
                        )
                    ]
                )
            ],
            workflows=[self._deactivate_workflow(), self._activate_workflow()],
            # The plan is evaluated on creation: its grants, the EKS access of its execution
            # role and its report bucket must be in place.
            opts=self._child(depends_on=ready),
        )
        return plan.arn

    def _scale_step(self, step_name: str, description: str) -> list[aws.arcregionswitch.PlanWorkflowStepArgs]:
        """Scale the listed Deployments before traffic moves; no step without workloads."""
        args = self._args
        if not args.scaled_workloads:
            return []
        by_namespace: dict[str, list[ScaledWorkload]] = {}
        for workload in args.scaled_workloads:
            by_namespace.setdefault(workload.namespace, []).append(workload)
        clusters = [
            aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigEksClusterArgs(
                # No crossAccountRole: the cluster is in the plan's account, so ARC acts as the
                # execution role, which holds the cluster's Region switch access entry.
                cluster_arn=pulumi.Output.all(args.account_id, c.eks_cluster_name).apply(_cluster_arn_in(c.region)),
            )
            for c in args.cells
        ]
        scaling = aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigArgs(
            capacity_monitoring_approach="sampledMaxInLast24Hours",
            target_percent=SURVIVOR_TARGET_PERCENT,
            eks_clusters=clusters,
            kubernetes_resource_types=[
                aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigKubernetesResourceTypeArgs(
                    api_version="apps/v1", kind="Deployment"
                )
            ],
            scaling_resources=[
                aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigScalingResourceArgs(
                    namespace=namespace,
                    resources=[
                        # `name` is the Kubernetes object ARC scales; `resource_name` is only
                        # the key of the API's map of resources (the provider's
                        # expandEKSResourceScalingConfig: KubernetesScalingResource.Name = name,
                        # map[resource_name] = it), unique per namespace.
                        aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigScalingResourceResourceArgs(
                            name=w.deployment,
                            namespace=w.namespace,
                            resource_name=f"{w.namespace}-{w.deployment}",
                            hpa_name=w.hpa_name,
                        )
                        for w in workloads
                    ],
                )
                for namespace, workloads in sorted(by_namespace.items())
            ],
            timeout_minutes=SCALING_TIMEOUT_MINUTES,
        )
        return [
            aws.arcregionswitch.PlanWorkflowStepArgs(
                name=step_name,
                description=description,
                execution_block_type="EKSResourceScaling",
                eks_resource_scaling_configs=[scaling],
            )
        ]

    def _routing_step(self, step_name: str, description: str) -> aws.arcregionswitch.PlanWorkflowStepArgs:
        # Each cell's control with the state it has while the cell is active (On); ARC applies
        # it to the activated cell and the opposite to the deactivated one. The safety rule
        # (at least one cell On) refuses a drain of the last serving cell.
        return aws.arcregionswitch.PlanWorkflowStepArgs(
            name=step_name,
            description=description,
            execution_block_type="ARCRoutingControl",
            arc_routing_control_configs=[
                aws.arcregionswitch.PlanWorkflowStepArcRoutingControlConfigArgs(
                    region_and_routing_controls=[
                        aws.arcregionswitch.PlanWorkflowStepArcRoutingControlConfigRegionAndRoutingControlArgs(
                            region=c.region,
                            routing_controls=[
                                aws.arcregionswitch.PlanWorkflowStepArcRoutingControlConfigRegionAndRoutingControlRoutingControlArgs(
                                    routing_control_arn=c.routing_control_arn or "", state="On"
                                )
                            ],
                        )
                        for c in self._args.cells
                    ],
                    timeout_minutes=ROUTING_TIMEOUT_MINUTES,
                )
            ],
        )

    def _deactivate_workflow(self) -> aws.arcregionswitch.PlanWorkflowArgs:
        """Shift away: capacity first, then traffic (reversible), then, after a human, the writer."""
        args = self._args
        approval = aws.arcregionswitch.PlanWorkflowStepArgs(
            name="approve-writer-switch",
            description="A person confirms the Aurora writer may move (failover can lose recent writes)",
            execution_block_type="ManualApproval",
            execution_approval_configs=[
                aws.arcregionswitch.PlanWorkflowStepExecutionApprovalConfigArgs(
                    # Not the automation role: the drill runs as it, and a gate its own runner
                    # opens is no gate. "Anyone who has access to the role defined in the
                    # execution block can approve" (ARC guide, "Manual approval execution block").
                    approval_role=args.approver_role_arn or "",
                    timeout_minutes=APPROVAL_TIMEOUT_MINUTES,
                )
            ],
        )
        writer = aws.arcregionswitch.PlanWorkflowStepArgs(
            name="switch-aurora-writer",
            description="Move the global writer out of the deactivated cell",
            execution_block_type="AuroraGlobalDatabase",
            global_aurora_configs=[
                aws.arcregionswitch.PlanWorkflowStepGlobalAuroraConfigArgs(
                    # Graceful: switchover, replication drained first, no data lost.
                    behavior="switchoverOnly",
                    global_cluster_identifier=args.global_cluster_id,
                    database_cluster_arns=[c.aurora_cluster_arn for c in args.cells],
                    # Ungraceful (the writer's region is impaired): failover, RPO = replication lag.
                    ungracefuls=[
                        aws.arcregionswitch.PlanWorkflowStepGlobalAuroraConfigUngracefulArgs(ungraceful="failover")
                    ],
                    timeout_minutes=AURORA_SWITCH_TIMEOUT_MINUTES,
                )
            ],
        )
        steps = [
            *self._scale_step("scale-surviving-cell", "Scale the cell that stays to the whole load first"),
            self._routing_step("drain-cell", "Turn the cell's routing control Off: Route 53 stops answering with it"),
            approval,
            writer,
        ]
        return aws.arcregionswitch.PlanWorkflowArgs(
            workflow_target_action="deactivate",
            workflow_description="Shift traffic and the Aurora writer away from one cell",
            steps=steps,
        )

    def _activate_workflow(self) -> aws.arcregionswitch.PlanWorkflowArgs:
        """Return: capacity, then traffic. The writer stays put; moving it back is a separate drill."""
        steps = [
            *self._scale_step("scale-returning-cell", "Give the returning cell its share of capacity first"),
            self._routing_step("restore-cell", "Turn the cell's routing control On: it serves traffic again"),
        ]
        return aws.arcregionswitch.PlanWorkflowArgs(
            workflow_target_action="activate",
            workflow_description="Let a drained cell take traffic again",
            steps=steps,
        )

    # -- dashboard ---------------------------------------------------------------------------------------
    def _create_dashboard(self) -> pulumi.Output[str]:
        args = self._args
        panels = [
            pulumi.Output.all(
                c.health_check_id,
                c.eks_cluster_name,
                c.aurora_cluster_id,
                c.replicator_arn,
                c.load_balancer_arn_suffix,
                c.findings_rule_name,
            ).apply(
                _panel_of(
                    c.region,
                    c.region == args.primary_region,
                    c.waf_web_acl_name,
                    backup_vault_name(args.environment, c.region),
                )
            )
            for c in args.cells
        ]
        alarms = [c.health_alarm_arn for c in args.cells]
        title = f"finstack {args.environment}: cells, replication, capacity"
        body = pulumi.Output.all(*panels, *alarms).apply(
            lambda values: json.dumps(
                dr_dashboard_body(
                    DashboardSpec(
                        title=title,
                        cells=tuple(values[: len(panels)]),
                        health_alarm_arns=tuple(values[len(panels) :]),
                        replication_lag_alarm_seconds=args.replication_lag_alarm_seconds,
                    )
                ),
                sort_keys=True,
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=f"finstack-{args.environment}-dr",
            dashboard_body=body,
            region=args.primary_region,
            opts=self._child(),
        )
        return dashboard.dashboard_name


def _cluster_arn_in(region: str) -> Callable[[Sequence[str]], str]:
    """`[account_id, cluster_name]` -> the cluster's ARN in `region` (for `.apply`)."""

    def arn(values: Sequence[str]) -> str:
        return eks_cluster_arn(values[0], region, values[1])

    return arn


def _panel_of(
    region: str, is_writer_home: bool, waf_web_acl_name: str | None = None, vault: str | None = None
) -> Callable[[Sequence[Any]], CellPanel]:
    """Resolved cell identifiers -> the cell's dashboard panel (for `.apply`)."""

    def panel(values: Sequence[Any]) -> CellPanel:
        health_check_id, cluster, aurora_id, replicator_arn, lb_suffix, findings_rule = values
        return CellPanel(
            region=region,
            health_check_id=health_check_id,
            eks_cluster_name=cluster,
            aurora_cluster_id=aurora_id,
            is_writer_home=is_writer_home,
            replicator_name=replicator_name_from_arn(replicator_arn) if replicator_arn else None,
            load_balancer_suffix=lb_suffix or None,
            waf_web_acl_name=waf_web_acl_name,
            backup_vault_name=vault,
            findings_rule_name=findings_rule or None,
        )

    return panel
