"""Emulated `up` / `destroy` of the real stacks, in-process: what lands in the emulated account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from finstack.emulator import session as emulator
from finstack.emulator.deploy import UpReport, destroy, outputs_path, up
from finstack.emulator.session import EmulatorSession
from finstack.project import StackFiles, load_stack
from tests.plan import PROJECT_DIR

SCHEMA = json.loads((PROJECT_DIR / "finstack" / "schemas" / "dr_output.schema.json").read_text())


@pytest.fixture(scope="module")
def active() -> Iterator[EmulatorSession]:
    emulator.stop()
    yield emulator.start()
    emulator.stop()


def _files(stack: str, tmp: Path) -> StackFiles:
    """The shipped stack, with `.finstack/` written under `tmp` instead of the working tree."""
    files = load_stack(stack, PROJECT_DIR)
    for name in ("Pulumi.yaml", f"Pulumi.{stack}.yaml"):
        (tmp / name).write_text((PROJECT_DIR / name).read_text())
    (tmp / "infra").symlink_to(PROJECT_DIR / "infra")
    return StackFiles(tmp, files.project, files.stack, tmp / f"Pulumi.{stack}.yaml", files.raw_config)


@pytest.fixture(scope="module")
def prod(active: EmulatorSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[StackFiles, UpReport]:
    files = _files("prod", tmp_path_factory.mktemp("prod"))
    return files, up(files, active)


def _user_vpcs(active: EmulatorSession, region: str) -> list[dict[str, Any]]:
    return [v for v in active.gateway.client("ec2", region).describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def test_up__global_cluster_has_one_writer_and_a_member_per_region(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    _, report = prod
    dr = report.run.outputs["dr"]
    clusters = active.gateway.client("rds", "us-east-1").describe_global_clusters(
        GlobalClusterIdentifier=dr["globalClusterId"]
    )
    members = clusters["GlobalClusters"][0]["GlobalClusterMembers"]
    writers = [m["DBClusterArn"] for m in members if m["IsWriter"]]
    assert writers == [dr["regions"]["us-east-1"]["auroraClusterArn"]], members
    assert {m["DBClusterArn"].split(":")[3] for m in members} == {"us-east-1", "us-west-2"}, members


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_up__every_cell_exists_in_its_own_region(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession, region: str
) -> None:
    _, report = prod
    cell = report.run.outputs["dr"]["regions"][region]
    vpcs = _user_vpcs(active, region)
    assert [v["CidrBlock"] for v in vpcs] == [str(next(r.cidr for r in report.run.config.regions if r.name == region))]
    eks = active.gateway.client("eks", region)
    assert eks.describe_cluster(name=cell["eksCluster"])["cluster"]["arn"].split(":")[3] == region
    for nodegroup in cell["nodegroups"]:
        assert eks.describe_nodegroup(clusterName=cell["eksCluster"], nodegroupName=nodegroup)["nodegroup"]["status"]
    kafka = active.gateway.client("kafka", region)
    assert (
        kafka.describe_cluster(ClusterArn=cell["mskClusterArn"])["ClusterInfo"]["ClusterArn"] == cell["mskClusterArn"]
    )
    assert kafka.describe_replicator(ReplicatorArn=cell["replicatorArn"])["ReplicatorState"] in ("RUNNING", "CREATING")
    check = active.gateway.client("route53", "us-east-1").get_health_check(HealthCheckId=cell["healthCheckId"])
    assert check["HealthCheck"]["HealthCheckConfig"]["FullyQualifiedDomainName"] == cell["apiHostname"]


def test_up__outputs_file_is_the_dr_contract(prod: tuple[StackFiles, UpReport]) -> None:
    files, report = prod
    document = json.loads(outputs_path(files).read_text())
    jsonschema.validate(document, SCHEMA)
    assert document == report.run.outputs["dr"]
    assert document["routingControlClusterArn"], "prod has ARC: its routing control cluster must be emulated"


def test_up__dr_names_the_arc_endpoints_and_safety_rules_and_leaves_every_routing_control_off(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import arc_backend

    _, report = prod
    dr = report.run.outputs["dr"]
    # The document carries what the control-config API would say, so drills never have to ask it.
    config = active.gateway.client("route53-recovery-control-config", "us-west-2")
    cluster = config.describe_cluster(ClusterArn=dr["routingControlClusterArn"])["Cluster"]
    assert dr["arcClusterEndpoints"] == sorted(
        ({"region": e["Region"], "endpoint": e["Endpoint"]} for e in cluster["ClusterEndpoints"]),
        key=lambda e: e["region"],
    ), dr["routingControlClusterArn"]
    panel = dr["regions"]["us-east-1"]["routingControlArn"].split("/routingcontrol/")[0]
    rules = config.list_safety_rules(ControlPanelArn=panel)["SafetyRules"]
    assert dr["arcSafetyRuleArns"] == [r["ASSERTION"]["SafetyRuleArn"] for r in rules], panel
    # ARC creates routing controls Off; an emulated deploy must too (arming is a separate, verified step).
    controls = arc_backend(active.gateway.account_id()).routing_controls
    states = {region: controls[cell["routingControlArn"]].state for region, cell in dr["regions"].items()}
    assert states == {"us-east-1": "Off", "us-west-2": "Off"}, states


def test_up__reports_what_was_not_emulated(prod: tuple[StackFiles, UpReport]) -> None:
    _, report = prod
    not_emulated = {e.type for e in report.recorded_only}
    # Kubernetes objects live in the cluster, not in AWS; moto has no EKS add-ons or MSK configurations.
    assert "kubernetes:core/v1:Namespace" in not_emulated
    assert "aws:eks/addon:Addon" in not_emulated
    assert "aws:ec2/vpc:Vpc" not in not_emulated and "aws:rds/cluster:Cluster" not in not_emulated


def test_up__master_secret_rotates_through_the_function_which_tested_the_writer(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    from finstack.emulator.moto_ext.rotation_lambda import executed_statements

    _, report = prod
    dr = report.run.outputs["dr"]
    secret = active.gateway.client("secretsmanager", "us-east-1").describe_secret(
        SecretId=dr["regions"]["us-east-1"]["breakGlassSecretArn"]
    )
    assert secret["RotationEnabled"] is True, secret
    assert secret["RotationRules"]["AutomaticallyAfterDays"] == 30, secret
    assert secret["RotationLambdaARN"].endswith(":function:finstack-prod-ledger-master-rotation"), secret
    # rotateImmediately false: Secrets Manager ran testSecret only, through the writer region's probe
    tests = [s for s in executed_statements() if s[0] == dr["regions"]["us-east-1"]["auroraClusterArn"]]
    assert any(sql == "SELECT 1" and "rotation-probe" in secret_arn for _, secret_arn, sql in tests), tests
    assert not any(sql.startswith("ALTER ROLE") for _, _, sql in tests), tests


def test_up__platform_buckets_have_lifecycles_and_eventbridge_and_evidence_is_locked(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    # What posture scanners read back (Prowler s3_bucket_lifecycle_enabled, ..._event_notifications_enabled,
    # s3_bucket_object_lock, cloudtrail_insights_exist): the same calls against the emulated account.
    s3 = active.gateway.client("s3", "us-east-1")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert len(names) >= 8, names
    locked = []
    for name in names:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        assert [r["Status"] for r in rules] == ["Enabled"], name
        assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=name), name
        try:
            lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
        except s3.exceptions.ClientError:
            continue
        assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE", name
        locked.append(name)
    assert any("arc-reports" in n for n in locked) and len(locked) == 2, locked
    cloudtrail = active.gateway.client("cloudtrail", "us-east-1")
    selectors = cloudtrail.get_insight_selectors(TrailName="finstack-prod-audit")["InsightSelectors"]
    assert [s["InsightType"] for s in selectors] == ["ApiCallRateInsight", "ApiErrorRateInsight"]


def test_up__twice_creates_no_duplicates(prod: tuple[StackFiles, UpReport], active: EmulatorSession) -> None:
    files, first = prod
    again = up(files, active)
    assert again.created == [], [e.key for e in again.created]
    assert len(again.reused) == len(first.created)
    assert again.run.outputs["dr"] == first.run.outputs["dr"]
    assert len(_user_vpcs(active, "us-west-2")) == 1


def test_destroy__leaves_nothing_behind(prod: tuple[StackFiles, UpReport], active: EmulatorSession) -> None:
    files, _ = prod
    result = destroy(files, active)
    assert result.failed == [], [(e.key, error) for e, error in result.failed]
    for region in ("us-east-1", "us-west-2"):
        assert _user_vpcs(active, region) == [], region
        assert active.gateway.client("eks", region).list_clusters()["clusters"] == [], region
        assert active.gateway.client("kafka", region).list_clusters()["ClusterInfoList"] == [], region
        assert active.gateway.client("rds", region).describe_db_clusters()["DBClusters"] == [], region
        keys = active.gateway.client("kms", region).list_keys()["Keys"]
        states = {
            active.gateway.client("kms", region).describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in keys
        }
        assert states <= {"PendingDeletion", "PendingReplicaDeletion"}, (region, states)
    assert active.gateway.client("rds", "us-east-1").describe_global_clusters()["GlobalClusters"] == []
    assert active.gateway.client("route53", "us-east-1").list_health_checks()["HealthChecks"] == []
    assert not outputs_path(files).exists()


def test_registry__refuses_a_second_handler_for_a_type() -> None:
    # Two modules handling one type would leave the emulator running whichever was imported last.
    from finstack.emulator.handlers import Registry

    registry = Registry()
    registry.register("aws:s3/bucketLogging:BucketLogging", "s3")(lambda ctx, name, inputs: ("id", {}))
    with pytest.raises(ValueError, match="aws:s3/bucketLogging:BucketLogging already has a handler"):
        registry.register("aws:s3/bucketLogging:BucketLogging", "s3")(lambda ctx, name, inputs: ("id", {}))
