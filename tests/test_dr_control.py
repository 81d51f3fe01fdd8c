"""DrAutomationRoles and DrControl under mocks, and the pure dashboard builder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.dashboard import (
    GRID_WIDTH,
    CellPanel,
    DashboardSpec,
    DashboardSpecError,
    dr_dashboard_body,
    replicator_name_from_arn,
)
from components.dr_control import (
    DrAutomationRoles,
    DrAutomationRolesArgs,
    DrCellArgs,
    DrControl,
    DrControlArgs,
    ScaledWorkload,
)
from tests.plan import Plan, plan_of, shipped_config, shipped_plan

ACCOUNT = "111122223333"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PLAN = "aws:arcregionswitch/plan:Plan"
PANEL = "arn:aws:route53-recovery-control::111122223333:controlpanel/4c2b6e0e9f6a4d1b8a7c3e5f2d1a0b9c"
ARC_CLUSTER = "arn:aws:route53-recovery-control::111122223333:cluster/2f6d4a8e-1b3c-4d5e-9f7a-6b8c0d2e4f1a"
REPORT_KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-5c1f9e2d7a3b4c6d8e0f1a2b3c4d5e6f"
SECRETS_KEY = "arn:aws:kms:{region}:111122223333:key/mrk-7e2a4c6b8d0f4a1c9e3b5d7f9a1c3e5b"
AUTOMATION_ROLE = "arn:aws:iam::111122223333:role/finstack-{env}-dr-automation"
PLAN_ROLE = "arn:aws:iam::111122223333:role/finstack-{env}-arc-plan-execution"
APPROVER_ROLE = "arn:aws:iam::111122223333:role/finstack-{env}-dr-approver"
# A person's role, not one a drill can act as.
APPROVING_PERSON = "arn:aws:iam::111122223333:role/dr-approvers"
# Resource "*" only where IAM offers no resource-level permission for the action.
UNSCOPABLE_ACTIONS = {"cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"}
WORKLOADS = (ScaledWorkload("payments", "payments-api", "payments-api"), ScaledWorkload("ledger", "ledger-api"))


def _cell(env: str, region: str, index: int, arc: bool) -> DrCellArgs:
    """Literal identifiers shaped like those EKS, Aurora, MSK and GlobalTraffic hand over."""
    return DrCellArgs(
        region=region,
        eks_cluster_name=f"finstack-{env}-{region}",
        aurora_cluster_arn=f"arn:aws:rds:{region}:{ACCOUNT}:cluster:finstack-{env}-ledger-{region}",
        aurora_cluster_id=f"finstack-{env}-ledger-{region}",
        health_check_id=f"0{index}3e8f6a-5b2c-4d7e-9a1f-6c8b0d2e4f1{index}",
        health_alarm_arn=f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:finstack-{env}-api-{region}-unhealthy",
        routing_control_arn=f"{PANEL}/routingcontrol/9d1e5b7c3a2f4e{index}0" if arc else None,
        replicator_arn=f"arn:aws:kafka:{region}:{ACCOUNT}:replicator/finstack-{env}-into-{region}/7a2c9e1f-3b4d-4e5f-8a6b-0c1d2e3f4a5b-s1",
        load_balancer_arn_suffix=f"app/finstack-{env}-{region[:2]}-api/50dc6c495c0c917{index}",
    )


def _stack(stack: str, operators: tuple[str, ...] | None = None, **overrides: Any) -> Callable[[], None]:
    config = shipped_config(stack)
    env = config.environment
    arc = config.traffic.arc_enabled
    regions = tuple(r.name for r in config.regions)

    def build() -> None:
        DrAutomationRoles(
            "dr-roles",
            DrAutomationRolesArgs(
                environment=env,
                primary_region=config.primary.name,
                regions=regions,
                account_id=ACCOUNT,
                arc_enabled=arc,
                report_key_arn=REPORT_KEY if arc else None,
                operator_role_arns=operators
                if operators is not None
                else ((config.eks.admin_role_arn,) if config.eks.admin_role_arn else ()),
                secrets_key_arns=tuple(SECRETS_KEY.format(region=r) for r in regions),
                eks_scaling=arc and bool(overrides.get("scaled_workloads", WORKLOADS)),
                approver_principal_arns=(APPROVING_PERSON,),
            ),
        )
        args: dict[str, Any] = {
            "environment": env,
            "primary_region": config.primary.name,
            "account_id": ACCOUNT,
            "global_cluster_id": f"finstack-{env}-ledger",
            "cells": tuple(_cell(env, r, i, arc) for i, r in enumerate(regions)),
            "automation_role_name": f"finstack-{env}-dr-automation",
            "arc_enabled": arc,
            "replication_lag_alarm_seconds": config.aurora.replication_lag_alarm_seconds,
        }
        if arc:
            args.update(
                plan_execution_role_arn=PLAN_ROLE.format(env=env),
                plan_execution_role_name=f"finstack-{env}-arc-plan-execution",
                approver_role_arn=APPROVER_ROLE.format(env=env),
                routing_control_cluster_arn=ARC_CLUSTER,
                report_bucket_name=f"finstack-{env}-arc-reports-{ACCOUNT}-use1",
                report_key_arn=REPORT_KEY,
                scaled_workloads=WORKLOADS,
            )
        args.update(overrides)
        DrControl("dr", DrControlArgs(**args))

    return build


@pytest.fixture(scope="module")
def prod() -> Plan:
    return plan_of(_stack("prod"), "prod")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return plan_of(_stack("dev"), "dev")


def _statements(plan: Plan) -> Iterator[tuple[str, dict[str, Any]]]:
    for policy in plan.of_type(ROLE_POLICY):
        for stmt in json.loads(policy.inputs["policy"])["Statement"]:
            yield policy.urn, stmt


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _steps(plan_record: Any, action: str) -> list[dict[str, Any]]:
    [workflow] = [w for w in plan_record.inputs["workflows"] if w["workflowTargetAction"] == action]
    return workflow["steps"]


# -- DrAutomationRoles ---------------------------------------------------------------------------
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dr_roles__policies_grant_no_wildcard_action(stack: str, request: Any) -> None:
    plan: Plan = request.getfixturevalue(stack)
    statements = list(_statements(plan))
    assert statements, "no role policy declared"
    for urn, stmt in statements:
        assert stmt["Effect"] == "Allow", urn
        for action in _listed(stmt["Action"]):
            assert "*" not in action, f"{urn}: {stmt['Sid']} grants wildcard action {action!r}"
        if "*" in _listed(stmt["Resource"]):
            assert set(_listed(stmt["Action"])) <= UNSCOPABLE_ACTIONS, f"{urn}: {stmt['Sid']} on Resource '*'"


def test_dr_roles__automation_policy_is_scoped_to_the_stacks_names(prod: Plan) -> None:
    policy = prod.named("dr-roles-automation-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    aurora = statements["AuroraGlobalAndMembers"]
    writer_actions = {"rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster", "rds:RemoveFromGlobalCluster"}
    assert writer_actions <= set(_listed(aurora["Action"])), policy.urn
    assert sorted(aurora["Resource"]) == sorted(
        [
            f"arn:aws:rds::{ACCOUNT}:global-cluster:finstack-prod-ledger",
            f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:finstack-prod-ledger-us-east-1",
            f"arn:aws:rds:us-west-2:{ACCOUNT}:cluster:finstack-prod-ledger-us-west-2",
        ]
    ), policy.urn
    nodegroups = statements["EksNodegroups"]
    assert "eks:UpdateNodegroupConfig" in nodegroups["Action"], policy.urn
    assert sorted(nodegroups["Resource"]) == [
        f"arn:aws:eks:us-east-1:{ACCOUNT}:nodegroup/finstack-prod-us-east-1/*/*",
        f"arn:aws:eks:us-west-2:{ACCOUNT}:nodegroup/finstack-prod-us-west-2/*/*",
    ], policy.urn
    replicators = statements["MskReplicators"]
    assert _listed(replicators["Action"]) == ["kafka:DescribeReplicator"], policy.urn
    # Each replicator lives in the region it replicates into.
    assert sorted(replicators["Resource"]) == [
        f"arn:aws:kafka:us-east-1:{ACCOUNT}:replicator/finstack-prod-usw2-to-use1/*",
        f"arn:aws:kafka:us-west-2:{ACCOUNT}:replicator/finstack-prod-use1-to-usw2/*",
    ], policy.urn


def test_dr_roles__canary_may_read_the_break_glass_secret_and_decrypt_it_only_through_secrets_manager(
    prod: Plan,
) -> None:
    policy = prod.named("dr-roles-automation-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert _listed(statements["AuroraMembers"]["Action"]) == ["rds-data:ExecuteStatement", "rds:DescribeDBClusters"]
    secret = statements["BreakGlassSecret"]
    assert _listed(secret["Action"]) == ["secretsmanager:GetSecretValue"], policy.urn
    assert sorted(secret["Resource"]) == [
        f"arn:aws:secretsmanager:{r}:{ACCOUNT}:secret:finstack/prod/ledger/master-??????" for r in prod.regions
    ], policy.urn
    key = statements["SecretsKeysViaSecretsmanager"]
    assert _listed(key["Action"]) == ["kms:Decrypt"], policy.urn
    assert sorted(key["Resource"]) == sorted(SECRETS_KEY.format(region=r) for r in prod.regions), policy.urn
    assert key["Condition"] == {
        "StringEquals": {"kms:ViaService": [f"secretsmanager.{r}.amazonaws.com" for r in prod.regions]}
    }, policy.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dr_roles__every_drill_call_is_granted_on_every_scope_it_needs(stack: str, request: Any) -> None:
    """The table in components.dr_permissions is the role: nothing a drill calls is left out."""
    from components.dr_permissions import ARC_SCOPES, DRILL_CALLS

    plan: Plan = request.getfixturevalue(stack)
    arc = shipped_config(stack).traffic.arc_enabled
    granted = {action for _, stmt in _statements(plan) for action in _listed(stmt["Action"])}
    wanted = {n.action for c in DRILL_CALLS for n in c.needs if arc or n.scope not in ARC_SCOPES}
    assert wanted - granted == set(), f"{stack}: DR automation role lacks {sorted(wanted - granted)}"


def test_dr_roles__automation_role_trusts_named_operators_only(prod: Plan) -> None:
    # The plan's EKS step runs as the plan execution role itself: it assumes no other role.
    role = prod.named("dr-roles-automation")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    principals = {s["Sid"]: s["Principal"]["AWS"] for s in trust}
    assert principals == {"Operators": [shipped_config("prod").eks.admin_role_arn]}, role.urn
    assert all("Resource" not in s for s in trust), f"{role.urn}: trust policies take no Resource"


def test_dr_roles__without_operator_roles_only_tagged_principals_may_assume() -> None:
    role = plan_of(_stack("dev", operators=()), "dev").named("dr-roles-automation")
    [stmt] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, role.urn
    assert stmt["Condition"] == {"StringEquals": {"aws:PrincipalTag/finstack:dr-operator": "true"}}, role.urn
    assert role.inputs["maxSessionDuration"] == 3600, role.urn


def test_dr_roles__plan_role_trusts_region_switch_from_this_account_only(prod: Plan) -> None:
    role = prod.named("dr-roles-plan-execution")
    [stmt] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert stmt["Principal"] == {"Service": "arc-region-switch.amazonaws.com"}, role.urn
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, role.urn
    report = {
        s["Sid"]: s for s in json.loads(prod.named("dr-roles-plan-execution-policy").inputs["policy"])["Statement"]
    }
    assert report["ReportWrite"]["Resource"] == f"arn:aws:s3:::finstack-prod-arc-reports-{ACCOUNT}-use1/region-switch/*"
    assert report["ReportKey"]["Resource"] == REPORT_KEY
    assert report["ReportKey"]["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_dr_roles__plan_role_may_describe_the_clusters_and_list_their_access_policies_only(prod: Plan) -> None:
    policy = prod.named("dr-roles-plan-execution-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    clusters = {r: f"finstack-prod-{r}" for r in prod.regions}
    assert _listed(statements["EksClusters"]["Action"]) == ["eks:DescribeCluster"], policy.urn
    assert sorted(_listed(statements["EksClusters"]["Resource"])) == [
        f"arn:aws:eks:{r}:{ACCOUNT}:cluster/{c}" for r, c in clusters.items()
    ], policy.urn
    # ListAssociatedAccessPolicies is authorized on access entries, not on the cluster.
    assert _listed(statements["EksAccessEntries"]["Action"]) == ["eks:ListAssociatedAccessPolicies"], policy.urn
    assert sorted(_listed(statements["EksAccessEntries"]["Resource"])) == [
        f"arn:aws:eks:{r}:{ACCOUNT}:access-entry/{c}/*" for r, c in clusters.items()
    ], policy.urn
    # It assumes no other role: the old EKS step ran as the automation role through sts:AssumeRole.
    actions = {a for s in statements.values() for a in _listed(s["Action"])}
    assert "sts:AssumeRole" not in actions, f"{policy.urn}: {sorted(actions)}"
    assert _listed(statements["PlanEvaluation"]["Resource"]) == [PLAN_ROLE.format(env="prod")], policy.urn


def test_dr_roles__without_an_eks_step_the_plan_role_gets_no_eks_permission() -> None:
    plan = plan_of(_stack("prod", scaled_workloads=()), "prod")
    policy = plan.named("dr-roles-plan-execution-policy")
    actions = {a for s in json.loads(policy.inputs["policy"])["Statement"] for a in _listed(s["Action"])}
    assert not {a for a in actions if a.startswith("eks:")}, f"{policy.urn}: {sorted(actions)}"


def test_dr_roles__approver_role_is_assumed_by_the_approvers_and_may_only_approve_and_read_the_plan(
    prod: Plan,
) -> None:
    role = prod.named("dr-roles-approver")
    assert role.inputs["name"] == "finstack-prod-dr-approver", role.urn
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"AWS": [APPROVING_PERSON]} and trust["Action"] == "sts:AssumeRole", role.urn
    policy = prod.named("dr-roles-approver-policy")
    assert policy.parent == role.urn, policy.urn
    [stmt] = json.loads(policy.inputs["policy"])["Statement"]
    assert sorted(_listed(stmt["Action"])) == [
        "arc-region-switch:ApprovePlanExecutionStep",
        "arc-region-switch:GetPlanExecution",
        "arc-region-switch:ListPlanExecutionEvents",
        "arc-region-switch:ListPlanExecutions",
    ], policy.urn
    assert _listed(stmt["Resource"]) == [f"arn:aws:arc-region-switch::{ACCOUNT}:plan/finstack-prod-region-switch:*"], (
        policy.urn
    )


def test_dr_roles__automation_role_may_not_approve_a_plan_step(prod: Plan) -> None:
    """The drill runs as the automation role: if it could approve, the plan's human gate would not be one."""
    for urn, stmt in _statements(prod):
        if "dr-roles-automation" in urn or "dr-drill-runtime" in urn:
            assert "arc-region-switch:ApprovePlanExecutionStep" not in _listed(stmt["Action"]), f"{urn}: {stmt['Sid']}"


def test_dr_control__arc_without_an_approver_role_is_refused() -> None:
    cells = tuple(_cell("prod", r, i, True) for i, r in enumerate(("us-east-1", "us-west-2")))
    settings = {**_prod_arc_settings(), "approver_role_arn": None}
    with pytest.raises(ValueError, match="approver_role_arn"):
        DrControlArgs(cells=cells, **settings)


def test_dr_roles__dev_has_no_plan_role(dev: Plan) -> None:
    names = [r.name for r in dev.of_type("aws:iam/role:Role")]
    assert names == ["dr-roles-automation"], names


# -- DrControl: the Region switch plan ---------------------------------------------------------------
def test_dr_control__prod_plan_is_active_active_over_the_cells(prod: Plan) -> None:
    [plan] = prod.of_type(PLAN)
    assert plan.inputs["recoveryApproach"] == "activeActive", plan.urn
    assert plan.inputs["regions"] == prod.regions, plan.urn
    assert "primaryRegion" not in plan.inputs, f"{plan.urn}: primaryRegion belongs to activePassive plans"
    assert plan.inputs["executionRole"] == PLAN_ROLE.format(env="prod"), plan.urn
    assert "region" not in plan.inputs, f"{plan.urn}: the plan is global (its region input is deprecated)"
    assert sorted(a["resourceIdentifier"] for a in plan.inputs["associatedAlarms"]) == sorted(
        _cell("prod", r, i, True).health_alarm_arn for i, r in enumerate(prod.regions)
    ), plan.urn


def test_dr_control__deactivate_workflow_scales_drains_approves_then_switches_writer(prod: Plan) -> None:
    [plan] = prod.of_type(PLAN)
    steps = _steps(plan, "deactivate")
    blocks = ["EKSResourceScaling", "ARCRoutingControl", "ManualApproval", "AuroraGlobalDatabase"]
    assert [s["executionBlockType"] for s in steps] == blocks, plan.urn
    scaling = steps[0]["eksResourceScalingConfigs"][0]
    routing = steps[1]["arcRoutingControlConfigs"][0]
    approval = steps[2]["executionApprovalConfigs"][0]
    writer = steps[3]["globalAuroraConfigs"][0]
    cells = [_cell("prod", r, i, True) for i, r in enumerate(prod.regions)]
    # The exact identifiers handed in, not names invented inside the component.
    assert writer["globalClusterIdentifier"] == "finstack-prod-ledger", plan.urn
    assert writer["databaseClusterArns"] == [c.aurora_cluster_arn for c in cells], plan.urn
    assert writer["behavior"] == "switchoverOnly" and writer["ungracefuls"] == [{"ungraceful": "failover"}], plan.urn
    # A person acting as the approver role opens the gate; the drill runs as the automation role.
    assert approval["approvalRole"] == APPROVER_ROLE.format(env="prod"), plan.urn
    assert {r["region"]: r["routingControls"][0]["routingControlArn"] for r in routing["regionAndRoutingControls"]} == {
        c.region: c.routing_control_arn for c in cells
    }, plan.urn
    assert [e["clusterArn"] for e in scaling["eksClusters"]] == [
        f"arn:aws:eks:{c.region}:{ACCOUNT}:cluster/{c.eks_cluster_name}" for c in cells
    ], plan.urn
    # Same-account clusters: ARC acts as the plan's execution role, which holds their access entries.
    assert all("crossAccountRole" not in e for e in scaling["eksClusters"]), f"{plan.urn}: {scaling['eksClusters']}"
    # ARC scales the object named `name` in `namespace`; `resourceName` is only the map key.
    scaled = {(r["namespace"], r["name"]) for s in scaling["scalingResources"] for r in s["resources"]}
    assert scaled == {(w.namespace, w.deployment) for w in WORKLOADS}, plan.urn
    hpas = {r["name"]: r.get("hpaName") for s in scaling["scalingResources"] for r in s["resources"]}
    assert hpas == {w.deployment: w.hpa_name for w in WORKLOADS}, plan.urn


def test_dr_control__activate_workflow_restores_traffic_and_leaves_the_writer(prod: Plan) -> None:
    [plan] = prod.of_type(PLAN)
    blocks = [s["executionBlockType"] for s in _steps(plan, "activate")]
    assert blocks == ["EKSResourceScaling", "ARCRoutingControl"], plan.urn


def test_dr_control__without_workloads_the_plan_has_no_eks_step() -> None:
    plan = plan_of(_stack("prod", scaled_workloads=()), "prod")
    [record] = plan.of_type(PLAN)
    blocks = [s["executionBlockType"] for w in record.inputs["workflows"] for s in w["steps"]]
    assert "EKSResourceScaling" not in blocks, record.urn


def test_dr_control__reports_go_to_an_encrypted_versioned_private_tls_only_bucket(prod: Plan) -> None:
    [bucket] = prod.of_type("aws:s3/bucket:Bucket")
    name = bucket.inputs["bucket"]
    assert bucket.inputs["region"] == "us-east-1" and bucket.inputs["forceDestroy"] is False, bucket.urn

    def one(type_: str) -> Any:
        found = [r for r in prod.of_type(type_) if r.inputs["bucket"] == bucket.id]
        assert len(found) == 1, f"{bucket.urn}: expected one {type_}, found {[r.urn for r in found]}"
        return found[0]

    [rule] = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": REPORT_KEY}
    assert one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block.inputs[f] is True for f in flags), block.urn
    ownership = one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, ownership.urn
    policy = json.loads(one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    tls = next(s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(tls["Resource"]) == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    [plan] = prod.of_type(PLAN)
    [s3] = plan.inputs["reportConfigurations"][0]["reportOutputs"][0]["s3Configurations"]
    assert s3 == {"bucketOwner": ACCOUNT, "bucketPath": f"{name}/region-switch"}, plan.urn


def test_dr_control__runtime_grants_name_the_exact_health_checks_and_routing_controls(prod: Plan) -> None:
    cells = [_cell("prod", r, i, True) for i, r in enumerate(prod.regions)]
    grant = prod.named("dr-drill-runtime")
    assert grant.inputs["role"] == "finstack-prod-dr-automation", grant.urn
    statements = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
    assert sorted(statements["HealthChecks"]["Resource"]) == sorted(
        f"arn:aws:route53:::healthcheck/{c.health_check_id}" for c in cells
    ), grant.urn
    assert "route53:UpdateHealthCheck" in statements["HealthChecks"]["Action"], grant.urn
    assert sorted(statements["RoutingControls"]["Resource"]) == sorted(c.routing_control_arn for c in cells)
    # The drills use ARC's data plane only: read, set one, set all (`finstack arm`), on the routing controls.
    assert statements["RoutingControls"]["Action"] == [
        "route53-recovery-cluster:GetRoutingControlState",
        "route53-recovery-cluster:UpdateRoutingControlState",
        "route53-recovery-cluster:UpdateRoutingControlStates",
    ], grant.urn
    # Nothing of the control-config API (served from us-west-2 only): the `dr` output carries
    # the cluster endpoints and safety rules a drill would otherwise look up there.
    assert sorted(statements) == ["HealthChecks", "RoutingControls"], grant.urn
    assert not [a for s in statements.values() for a in s["Action"] if "control-config" in a], grant.urn
    plan_grant = prod.named("dr-plan-runtime")
    assert plan_grant.inputs["role"] == "finstack-prod-arc-plan-execution", plan_grant.urn


def test_dr_control__plan_role_may_describe_the_control_panel_and_flip_the_routing_controls(prod: Plan) -> None:
    grant = prod.named("dr-plan-runtime")
    statements = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
    panel = statements["RoutingControlPanel"]
    assert _listed(panel["Action"]) == ["route53-recovery-control-config:DescribeControlPanel"], grant.urn
    assert _listed(panel["Resource"]) == [PANEL], grant.urn
    state = set(_listed(statements["RoutingControlState"]["Action"]))
    wanted = {"route53-recovery-cluster:GetRoutingControlState", "route53-recovery-cluster:UpdateRoutingControlStates"}
    assert wanted <= state, grant.urn
    assert _listed(statements["RoutingControlCluster"]["Resource"]) == [ARC_CLUSTER], grant.urn


def test_program__region_switch_plan_waits_for_its_execution_roles_eks_access() -> None:
    """ARC evaluates the plan when it is created: the EKS step's access must already exist."""
    program = shipped_plan("prod")
    [plan] = program.of_type(PLAN)
    role = program.named("dr-roles-plan-execution").outputs["arn"]
    associations = [
        r
        for r in program.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.inputs["principalArn"] == role
    ]
    assert sorted(a.region for a in associations) == sorted(program.regions), [a.urn for a in associations]
    for association in associations:
        assert association.inputs["policyArn"].endswith("/AmazonARCRegionSwitchScalingPolicy"), association.urn
        assert association.urn in plan.dependencies, f"{plan.urn} does not depend on {association.urn}"
        assert association.parent in plan.dependencies, f"{plan.urn} does not depend on {association.parent}"


def test_dr_control__dev_declares_no_arc_resources(dev: Plan) -> None:
    for type_ in (PLAN, "aws:s3/bucket:Bucket"):
        assert dev.of_type(type_) == [], f"dev declares {[r.urn for r in dev.of_type(type_)]}"
    [grant] = [r for r in dev.of_type(ROLE_POLICY) if r.name == "dr-drill-runtime"]
    assert [s["Sid"] for s in json.loads(grant.inputs["policy"])["Statement"]] == ["HealthChecks"], grant.urn


def _prod_arc_settings() -> dict[str, Any]:
    return {
        "environment": "prod",
        "primary_region": "us-east-1",
        "account_id": ACCOUNT,
        "global_cluster_id": "finstack-prod-ledger",
        "automation_role_name": "finstack-prod-dr-automation",
        "arc_enabled": True,
        "plan_execution_role_arn": PLAN_ROLE.format(env="prod"),
        "plan_execution_role_name": "finstack-prod-arc-plan-execution",
        "approver_role_arn": APPROVER_ROLE.format(env="prod"),
        "routing_control_cluster_arn": ARC_CLUSTER,
        "report_bucket_name": f"finstack-prod-arc-reports-{ACCOUNT}-use1",
        "report_key_arn": REPORT_KEY,
    }


def test_dr_control__arc_needs_exactly_two_cells() -> None:
    cells = tuple(_cell("prod", r, i, True) for i, r in enumerate(("us-east-1", "us-west-2", "us-east-2")))
    with pytest.raises(ValueError, match="spans exactly 2 regions, this stack has 3"):
        DrControlArgs(cells=cells, **_prod_arc_settings())


def test_dr_control__arc_without_routing_controls_is_refused() -> None:
    cells = tuple(_cell("prod", r, i, False) for i, r in enumerate(("us-east-1", "us-west-2")))
    with pytest.raises(ValueError, match=r"cells\[us-east-1\]\.routing_control_arn"):
        DrControlArgs(cells=cells, **_prod_arc_settings())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dr_control__dashboard_in_primary_region_shows_every_cell(stack: str, request: Any) -> None:
    plan: Plan = request.getfixturevalue(stack)
    [dashboard] = plan.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["region"] == plan.run.config.primary.name, dashboard.urn
    body = json.loads(dashboard.inputs["dashboardBody"])
    metric_lines = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    cells = [_cell(plan.run.config.environment, r, i, False) for i, r in enumerate(plan.regions)]
    shown = {line[3] for line in metric_lines}
    for cell in cells:
        assert cell.health_check_id in shown, f"{dashboard.urn}: no health widget line for {cell.region}"
        assert cell.eks_cluster_name in shown, f"{dashboard.urn}: no node count for {cell.region}"
    lag = {line[3] for line in metric_lines if line[1] == "AuroraGlobalDBReplicationLag"}
    assert lag == {c.aurora_cluster_id for c in cells if c.region != plan.run.config.primary.name}, dashboard.urn


# -- the pure dashboard builder -------------------------------------------------------------------------
def _panel(region: str, writer: bool = False, replicator: str | None = "into") -> CellPanel:
    return CellPanel(
        region=region,
        health_check_id=f"hc-{region}",
        eks_cluster_name=f"finstack-prod-{region}",
        aurora_cluster_id=f"finstack-prod-ledger-{region}",
        is_writer_home=writer,
        replicator_name=f"{replicator}-{region}" if replicator else None,
    )


def test_dr_dashboard_body__every_metric_line_names_its_region() -> None:
    spec = DashboardSpec("t", (_panel("us-east-1", writer=True), _panel("us-west-2")), ("arn:alarm",), 1.0)
    for widget in dr_dashboard_body(spec)["widgets"]:
        for line in widget["properties"].get("metrics", []):
            assert "region" in line[-1], f"{widget['properties']['title']}: {line} has no region"


def test_dr_dashboard_body__route53_metrics_are_read_in_us_east_1() -> None:
    spec = DashboardSpec("t", (_panel("eu-west-1", writer=True), _panel("eu-central-1")))
    [health] = [w for w in dr_dashboard_body(spec)["widgets"] if "health" in w["properties"].get("title", "")]
    assert {line[-1]["region"] for line in health["properties"]["metrics"]} == {"us-east-1"}


def test_dr_dashboard_body__lag_annotation_is_in_milliseconds() -> None:
    spec = DashboardSpec("t", (_panel("us-east-1", writer=True), _panel("us-west-2")), (), 1.5)
    [lag] = [
        w for w in dr_dashboard_body(spec)["widgets"] if w["properties"].get("title") == "Aurora global replication lag"
    ]
    assert lag["properties"]["annotations"]["horizontal"][0]["value"] == 1500


def test_dr_dashboard_body__refuses_duplicate_or_missing_cells() -> None:
    with pytest.raises(DashboardSpecError, match="at least one cell"):
        dr_dashboard_body(DashboardSpec("t", ()))
    with pytest.raises(DashboardSpecError, match="each cell appears once"):
        dr_dashboard_body(DashboardSpec("t", (_panel("us-east-1"), _panel("us-east-1"))))


def test_dr_dashboard_body__backup_widget_shows_failed_jobs_of_each_cell_vault() -> None:
    cells = tuple(
        CellPanel(r, f"hc-{r}", f"eks-{r}", f"db-{r}", i == 0, backup_vault_name=f"finstack-prod-{r}")
        for i, r in enumerate(("us-east-1", "us-west-2"))
    )
    [widget] = [w for w in dr_dashboard_body(DashboardSpec("t", cells))["widgets"] if "AWS Backup" in str(w)]
    lines = widget["properties"]["metrics"]
    failed = {(line[1], line[3], line[-1]["region"]) for line in lines if line[1].endswith("Failed")}
    assert failed == {
        (metric, f"finstack-prod-{r}", r)
        for metric in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed")
        for r in ("us-east-1", "us-west-2")
    }
    assert {line[0] for line in lines} == {"AWS/Backup"} and {line[2] for line in lines} == {"BackupVaultName"}
    assert widget["properties"]["stat"] == "Sum" and widget["properties"]["period"] == 3600


def test_dr_dashboard_body__no_backup_widget_without_vaults() -> None:
    spec = DashboardSpec("t", (_panel("us-east-1", writer=True), _panel("us-west-2")))
    assert not [w for w in dr_dashboard_body(spec)["widgets"] if "AWS Backup" in str(w)]


def test_dr_control__dashboard_shows_the_backup_vaults_the_stack_declares(prod: Plan) -> None:
    [dashboard] = prod.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    lines = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    shown = {line[3] for line in lines if line[0] == "AWS/Backup"}
    assert shown == {f"finstack-prod-{r}" for r in prod.regions}, dashboard.urn


def test_dr_dashboard_body__threat_widget_counts_each_cells_findings_rule() -> None:
    cells = tuple(
        CellPanel(r, f"hc-{r}", f"eks-{r}", f"db-{r}", i == 0, findings_rule_name=f"findings-{r}")
        for i, r in enumerate(("us-east-1", "us-west-2"))
    )
    [widget] = [w for w in dr_dashboard_body(DashboardSpec("t", cells))["widgets"] if "GuardDuty" in str(w)]
    lines = widget["properties"]["metrics"]
    assert {(line[0], line[1], line[2], line[3], line[-1]["region"]) for line in lines} == {
        ("AWS/Events", metric, "RuleName", f"findings-{r}", r)
        for metric in ("MatchedEvents", "FailedInvocations")
        for r in ("us-east-1", "us-west-2")
    }
    assert widget["properties"]["stat"] == "Sum"


def test_dr_control__dashboard_counts_the_findings_rules_the_stack_declares() -> None:
    prod = shipped_plan("prod")
    [dashboard] = prod.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    lines = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    shown = {(line[3], line[-1]["region"]) for line in lines if line[0] == "AWS/Events"}
    rules = {(r.outputs["name"], r.region) for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert shown and shown <= rules, dashboard.urn
    assert {region for _, region in shown} == set(prod.regions), dashboard.urn


REGIONS = st.lists(st.sampled_from(["us-east-1", "us-east-2", "us-west-2", "eu-west-1"]), min_size=1, unique=True)


@given(REGIONS, st.booleans(), st.booleans())
def test_dr_dashboard_body__widgets_tile_the_grid_without_overlap(regions: list[str], alarms: bool, lbs: bool) -> None:
    cells = tuple(
        CellPanel(r, f"hc-{r}", f"eks-{r}", f"db-{r}", i == 0, None, f"app/lb/{i}" if lbs else None)
        for i, r in enumerate(regions)
    )
    widgets = dr_dashboard_body(DashboardSpec("t", cells, ("arn:a",) if alarms else ()))["widgets"]
    cells_taken: set[tuple[int, int]] = set()
    for w in widgets:
        assert w["x"] >= 0 and w["x"] + w["width"] <= GRID_WIDTH
        area = {(x, y) for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])}
        assert not area & cells_taken, f"widget {w['type']} overlaps another"
        cells_taken |= area


def test_replicator_name_from_arn__reads_the_name_and_refuses_other_arns() -> None:
    arn = f"arn:aws:kafka:us-west-2:{ACCOUNT}:replicator/finstack-prod-into-us-west-2/7a2c9e1f-3b4d-s1"
    assert replicator_name_from_arn(arn) == "finstack-prod-into-us-west-2"
    with pytest.raises(DashboardSpecError, match="not an MSK replicator ARN"):
        replicator_name_from_arn(f"arn:aws:kafka:us-west-2:{ACCOUNT}:cluster/finstack-prod/abc")
