"""The JSON Schema of the `dr` stack output (design.md, Stack outputs contract)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from components.dr_control import DrCellArgs, DrControl, DrControlArgs
from components.traffic import GlobalTraffic, GlobalTrafficArgs, TrafficCellArgs, cluster_endpoint_list
from tests.plan import plan_of, shipped_config, shipped_plan

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "finstack" / "schemas" / "dr_output.schema.json"
ACCOUNT = "111122223333"
PANEL = f"arn:aws:route53-recovery-control::{ACCOUNT}:controlpanel/4c2b6e0e9f6a4d1b8a7c3e5f2d1a0b9c"
ARC_REGIONS = ("ap-northeast-1", "ap-southeast-2", "eu-west-1", "us-east-1", "us-west-2")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _cell(region: str, index: int, arc: bool) -> dict[str, Any]:
    env = "prod" if arc else "dev"
    return {
        "auroraClusterArn": f"arn:aws:rds:{region}:{ACCOUNT}:cluster:finstack-{env}-ledger-{region}",
        "auroraClusterId": f"finstack-{env}-ledger-{region}",
        "eksCluster": f"finstack-{env}-{region}",
        "nodegroups": [f"finstack-{env}-{region}-general-20250101"],
        "mskClusterArn": (
            f"arn:aws:kafka:{region}:{ACCOUNT}:cluster/finstack-{env}-{region}/3f1c2b7e-9a4d-4c6e-8b1f-0d2e4a6c8e1f-{index}"
        ),
        "replicatorArn": (
            f"arn:aws:kafka:{region}:{ACCOUNT}:replicator/finstack-{env}-into-{region}/7a2c9e1f-3b4d-4e5f-8a6b-0c1d2e3f4a5b-s1"
        ),
        "healthCheckId": f"0{index}3e8f6a-5b2c-4d7e-9a1f-6c8b0d2e4f1a",
        "routingControlArn": f"{PANEL}/routingcontrol/9d1e5b7c3a2f4e{index}0" if arc else None,
        "apiHostname": f"api.{region}.{'pay' if arc else 'dev.pay'}.example.com",
        "breakGlassSecretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:finstack/{env}/ledger/master-Q1w2E3",
    }


def _document(arc: bool) -> dict[str, Any]:
    env = "prod" if arc else "dev"
    return {
        "environment": env,
        "primaryRegion": "us-east-1",
        "globalClusterId": f"finstack-{env}-ledger",
        "arcPlanArn": f"arn:aws:arc-region-switch::{ACCOUNT}:plan/finstack-{env}-region-switch:a1b2c3" if arc else None,
        "routingControlClusterArn": (
            f"arn:aws:route53-recovery-control::{ACCOUNT}:cluster/2f6d4a8e-1b3c-4d5e-9f7a-6b8c0d2e4f1a" if arc else None
        ),
        "automationRoleArn": f"arn:aws:iam::{ACCOUNT}:role/finstack-{env}-dr-automation",
        "arcClusterEndpoints": [
            {"region": r, "endpoint": f"https://1a2b3c4d.route53-recovery-cluster.{r}.amazonaws.com/v1"}
            for r in ARC_REGIONS
        ]
        if arc
        else None,
        "arcSafetyRuleArns": [f"{PANEL}/safetyrule/0a1b2c3d4e5f6a7b"] if arc else None,
        "regions": {r: _cell(r, i, arc) for i, r in enumerate(("us-east-1", "us-west-2"))},
    }


def _errors(validator: jsonschema.Draft202012Validator, document: dict[str, Any]) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


@pytest.mark.parametrize("arc", [True, False], ids=["prod-with-arc", "dev-without-arc"])
def test_dr_schema__accepts_the_documented_shape(validator: jsonschema.Draft202012Validator, arc: bool) -> None:
    assert _errors(validator, _document(arc)) == []


def test_dr_schema__accepts_a_cell_without_replicator(validator: jsonschema.Draft202012Validator) -> None:
    document = _document(arc=True)
    document["regions"]["us-east-1"]["replicatorArn"] = None
    assert _errors(validator, document) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[leaf] = value

    return edit


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        del node[leaf]

    return edit


BROKEN: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown top-level key": _set("secret", "hunter2"),
    "unknown cell key": _set("regions.us-east-1.writerEndpoint", "x.rds.amazonaws.com"),
    "missing globalClusterId": _drop("globalClusterId"),
    "missing arcPlanArn (must be present, null when off)": _drop("arcPlanArn"),
    "missing cell healthCheckId": _drop("regions.us-west-2.healthCheckId"),
    "missing cell replicatorArn (must be present, null when none)": _drop("regions.us-west-2.replicatorArn"),
    "unknown environment": _set("environment", "production"),
    "region key is not a region": _set("regions.useast1", _cell("us-east-1", 0, True)),
    "no cells": _set("regions", {}),
    "empty nodegroups": _set("regions.us-east-1.nodegroups", []),
    "nodegroups is a string": _set("regions.us-east-1.nodegroups", "general"),
    "aurora ARN of an instance": _set("regions.us-east-1.auroraClusterArn", f"arn:aws:rds:us-east-1:{ACCOUNT}:db:x-1"),
    "MSK ARN of a replicator": _set(
        "regions.us-east-1.mskClusterArn", f"arn:aws:kafka:us-east-1:{ACCOUNT}:replicator/finstack-prod-into/abc"
    ),
    "health check id is a name": _set("regions.us-east-1.healthCheckId", "api-us-east-1"),
    "apiHostname is the global name": _set("regions.us-east-1.apiHostname", "api.pay.example.com"),
    "plan ARN is an ARN of another service": _set("arcPlanArn", f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-arc"),
    "ARC half off: plan null, controls set": _set("arcPlanArn", None),
    "ARC half off: cluster null": _set("routingControlClusterArn", None),
    "missing automationRoleArn": _drop("automationRoleArn"),
    "automation role is a user": _set("automationRoleArn", f"arn:aws:iam::{ACCOUNT}:user/ops"),
    "missing cell breakGlassSecretArn": _drop("regions.us-west-2.breakGlassSecretArn"),
    "break-glass secret is its value": _set("regions.us-east-1.breakGlassSecretArn", "hunter2"),
    "ARC half off: one routing control null": _set("regions.us-west-2.routingControlArn", None),
    "missing arcClusterEndpoints (must be present, null when off)": _drop("arcClusterEndpoints"),
    "missing arcSafetyRuleArns (must be present, null when off)": _drop("arcSafetyRuleArns"),
    "ARC half off: endpoints null": _set("arcClusterEndpoints", None),
    "ARC half off: safety rules null": _set("arcSafetyRuleArns", None),
    "ARC on without any endpoint": _set("arcClusterEndpoints", []),
    "endpoint without region": _set("arcClusterEndpoints", [{"endpoint": "https://x.example.com/v1"}]),
    "endpoint is not a URL": _set("arcClusterEndpoints", [{"region": "us-east-1", "endpoint": "us-east-1"}]),
    "endpoint region is not a region": _set(
        "arcClusterEndpoints", [{"region": "virginia", "endpoint": "https://x.example.com/v1"}]
    ),
    "safety rule ARN is a routing control ARN": _set("arcSafetyRuleArns", [f"{PANEL}/routingcontrol/9d1e5b7c3a2f4e00"]),
}


@pytest.mark.parametrize("edit", BROKEN.values(), ids=BROKEN.keys())
def test_dr_schema__rejects_broken_documents(
    validator: jsonschema.Draft202012Validator, edit: Callable[[dict[str, Any]], None]
) -> None:
    document = copy.deepcopy(_document(arc=True))
    edit(document)
    assert _errors(validator, document), f"schema accepted {json.dumps(document)[:300]}"


def test_dr_schema__rejects_routing_controls_when_arc_is_off(validator: jsonschema.Draft202012Validator) -> None:
    document = _document(arc=False)
    document["regions"]["us-east-1"]["routingControlArn"] = f"{PANEL}/routingcontrol/9d1e5b7c3a2f4e00"
    assert _errors(validator, document)


@pytest.mark.parametrize("key", ["arcClusterEndpoints", "arcSafetyRuleArns"])
def test_dr_schema__rejects_arc_data_plane_fields_when_arc_is_off(
    validator: jsonschema.Draft202012Validator, key: str
) -> None:
    document = _document(arc=False)
    document[key] = _document(arc=True)[key]
    assert _errors(validator, document), f"{key} set while arcPlanArn is null"


def test_program__dr_output_carries_the_arc_endpoints_and_safety_rules(
    validator: jsonschema.Draft202012Validator,
) -> None:
    # Given the prod and dev programs under the offline engine
    prod, dev = shipped_plan("prod"), shipped_plan("dev")
    [cluster] = prod.of_type("aws:route53recoverycontrol/cluster:Cluster")
    [rule] = prod.of_type("aws:route53recoverycontrol/safetyRule:SafetyRule")
    # Then prod's `dr` names the cluster's five data-plane endpoints and the panel's safety rule
    dr = prod.outputs["dr"]
    assert dr["arcClusterEndpoints"] == cluster_endpoint_list(cluster.outputs["clusterEndpoints"]), cluster.urn
    assert {e["region"] for e in dr["arcClusterEndpoints"]} == set(ARC_REGIONS), cluster.urn
    assert dr["arcSafetyRuleArns"] == [rule.outputs["arn"]], rule.urn
    assert _errors(validator, dr) == []
    # And dev, without ARC, has both null
    assert (dev.outputs["dr"]["arcClusterEndpoints"], dev.outputs["dr"]["arcSafetyRuleArns"]) == (None, None)
    assert _errors(validator, dev.outputs["dr"]) == []


def test_dr_schema__accepts_the_identifiers_the_components_produce(validator: jsonschema.Draft202012Validator) -> None:
    # Given GlobalTraffic and DrControl run under the offline engine's realistic mocks
    config = shipped_config("prod")
    regions = [r.name for r in config.regions]
    literal = {r: _cell(r, i, arc=True) for i, r in enumerate(regions)}

    def build() -> None:
        traffic = GlobalTraffic(
            "traffic",
            GlobalTrafficArgs(
                environment="prod",
                domain=config.domain,
                primary_region=config.primary.name,
                cells=tuple(
                    TrafficCellArgs(r, [f"subnet-0{i}a1b2c3d4e5f6a7b8"], f"sg-0{i}a1b2c3d4e5f6a7b8")
                    for i, r in enumerate(regions)
                ),
                health_check_path="/healthz",
                arc_enabled=True,
                certificate_validation="wait",
            ),
        )
        assert traffic.routing_control_arns is not None
        cells = tuple(
            DrCellArgs(
                region=r,
                eks_cluster_name=literal[r]["eksCluster"],
                aurora_cluster_arn=literal[r]["auroraClusterArn"],
                aurora_cluster_id=literal[r]["auroraClusterId"],
                health_check_id=traffic.health_check_ids[r],
                health_alarm_arn=traffic.health_alarm_arns[r],
                routing_control_arn=traffic.routing_control_arns[r],
            )
            for r in regions
        )
        DrControl(
            "dr",
            DrControlArgs(
                environment="prod",
                primary_region=config.primary.name,
                account_id=ACCOUNT,
                global_cluster_id="finstack-prod-ledger",
                cells=cells,
                automation_role_name="finstack-prod-dr-automation",
                arc_enabled=True,
                plan_execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-arc-plan-execution",
                plan_execution_role_name="finstack-prod-arc-plan-execution",
                approver_role_arn=f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-dr-approver",
                routing_control_cluster_arn=traffic.routing_control_cluster_arn,
                report_bucket_name=f"finstack-prod-arc-reports-{ACCOUNT}-use1",
                report_key_arn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-5c1f9e2d7a3b4c6d8e0f1a2b3c4d5e6f",
            ),
        )

    plan = plan_of(build, "prod")
    # When the dr document is assembled from what they declared
    endpoint_checks = {
        r.inputs["fqdn"]: r.id
        for r in plan.of_type("aws:route53/healthCheck:HealthCheck")
        if r.inputs["type"] == "HTTPS"
    }
    document = _document(arc=True)
    document["arcPlanArn"] = plan.of_type("aws:arcregionswitch/plan:Plan")[0].outputs["arn"]
    [cluster] = plan.of_type("aws:route53recoverycontrol/cluster:Cluster")
    document["routingControlClusterArn"] = cluster.outputs["arn"]
    document["arcClusterEndpoints"] = cluster_endpoint_list(cluster.outputs["clusterEndpoints"])
    document["arcSafetyRuleArns"] = [plan.named("traffic-arc-min-cells-on").outputs["arn"]]
    for region, cell in document["regions"].items():
        cell["apiHostname"] = f"api.{region}.{config.domain}"
        cell["healthCheckId"] = endpoint_checks[cell["apiHostname"]]
        cell["routingControlArn"] = plan.named(f"traffic-routing-control-{region}").outputs["arn"]
    # Then it validates
    assert _errors(validator, document) == []
