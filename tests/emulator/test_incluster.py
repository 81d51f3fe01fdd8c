"""The in-cluster layer in the emulator: each cell's runner applies the rendered objects from its VPC."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from finstack.commands.emulate import apply_rendered
from finstack.emulator import session as emulator
from finstack.emulator.deploy import UpReport, up
from finstack.emulator.moto_ext.incluster_runner import cluster_kube
from finstack.emulator.session import EmulatorSession
from finstack.errors import UsageError
from finstack.incluster.bundle import Bundle, for_manifest_dir
from finstack.incluster.driver import RunnerCell, cells_of, deliver
from finstack.project import StackFiles
from tests.emulator.test_deploy import _files


@pytest.fixture(scope="module")
def active() -> Iterator[EmulatorSession]:
    emulator.stop()
    yield emulator.start()
    emulator.stop()


@pytest.fixture(scope="module")
def prod(active: EmulatorSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[StackFiles, UpReport]:
    files = _files("prod", tmp_path_factory.mktemp("prod"))
    return files, up(files, active)


def _cells(report: UpReport) -> list[RunnerCell]:
    return cells_of(report.run.outputs)


def test_up__each_cells_runner_applies_the_rendered_baseline(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    _, report = prod
    assert [o.region for o in report.in_cluster] == ["us-east-1", "us-west-2"], report.in_cluster
    account = active.gateway.account_id()
    for outcome, cell in zip(report.in_cluster, _cells(report), strict=True):
        assert outcome.succeeded, (outcome, outcome.log_tail)
        kube = cluster_kube(account, cell.region, f"finstack-prod-{cell.region}")
        namespace = kube.objects[("", "Namespace", "", "ledger")]
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted", cell
        assert ("networking.k8s.io", "NetworkPolicy", "ledger", "default-deny") in kube.objects, cell
        assert len(kube.objects) == outcome.objects, cell
        record = active.gateway.client("s3", cell.region).get_object(Bucket=cell.bundle_bucket, Key="applied.json")
        assert len(json.loads(record["Body"].read())["objects"]) == outcome.objects, cell


def test_up__a_dropped_object_is_pruned_on_the_next_apply(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    _, report = prod
    cell = _cells(report)[0]
    full = for_manifest_dir(report.run.records, cell.manifest_dir)
    dropped = next(r for r in full.objects if r.kind == "NetworkPolicy" and r.name == "allow-kafka")
    smaller = Bundle(tuple(r for r in full.objects if r != dropped), full.manifests)
    kube = cluster_kube(active.gateway.account_id(), cell.region, f"finstack-prod-{cell.region}")
    try:
        outcome = deliver(active.gateway, cell, smaller, poll_seconds=0.0)
        assert outcome.succeeded, outcome.log_tail
        assert dropped.key not in kube.objects, dropped
    finally:
        assert deliver(active.gateway, cell, full, poll_seconds=0.0).succeeded
    assert dropped.key in kube.objects, dropped


@pytest.mark.parametrize("placement", ["no-vpc", "other-vpc"])
def test_runner__a_build_outside_the_clusters_vpc_cannot_reach_its_private_endpoint(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession, placement: str
) -> None:
    # Given prod's private-only endpoint, When a runner build runs outside the cluster's VPC,
    # Then it fails as it would on AWS, and nothing reaches the cluster.
    _, report = prod
    cell = _cells(report)[1]
    codebuild = active.gateway.client("codebuild", cell.region)
    [project] = codebuild.batch_get_projects(names=[cell.project_name])["projects"]
    extra: dict[str, Any] = {}
    if placement == "other-vpc":
        ec2 = active.gateway.client("ec2", cell.region)
        vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(VpcId=vpc, GroupName="elsewhere", Description="x")["GroupId"]
        extra["vpcConfig"] = {"vpcId": vpc, "subnets": [subnet], "securityGroupIds": [group]}
    name = f"{cell.project_name}-{placement}"
    codebuild.create_project(
        name=name,
        source=project["source"],
        artifacts={"type": "NO_ARTIFACTS"},
        environment=project["environment"],
        serviceRole=project["serviceRole"],
        logsConfig=project["logsConfig"],
        tags=[{"key": "finstack:runner", "value": "in-cluster"}],
        **extra,
    )
    kube = cluster_kube(active.gateway.account_id(), cell.region, f"finstack-prod-{cell.region}")
    before = dict(kube.objects)
    elsewhere = RunnerCell(**{**cell.__dict__, "project_name": name})
    outcome = deliver(
        active.gateway, elsewhere, for_manifest_dir(report.run.records, cell.manifest_dir), poll_seconds=0.0
    )
    assert outcome.status == "FAILED", outcome
    assert any("i/o timeout" in line for line in outcome.log_tail), outcome.log_tail
    assert kube.objects == before


def test_bundle_bucket__refuses_an_upload_under_another_key_and_admits_the_runner_key(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession
) -> None:
    _, report = prod
    cell = _cells(report)[0]
    s3 = active.gateway.client("s3", cell.region)
    with pytest.raises(ClientError, match=r"403|AccessDenied"):
        s3.put_object(Bucket=cell.bundle_bucket, Key="bundle-unencrypted.zip", Body=b"x")
    s3.put_object(
        Bucket=cell.bundle_bucket,
        Key="bundle-encrypted.zip",
        Body=b"x",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=cell.bundle_kms_key_arn,
    )


def test_up_real_mode__the_rendered_directory_reaches_each_runner(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession, tmp_path: Path
) -> None:
    # Given what pulumi-kubernetes renders (one YAML file per object, in subdirectories),
    # When real-mode `finstack up` hands it to the runners, Then each cell applies all of it.
    _, report = prod
    for cell in _cells(report):
        bundle = for_manifest_dir(report.run.records, cell.manifest_dir)
        rendered = tmp_path / cell.manifest_dir / "1-manifest"
        rendered.mkdir(parents=True)
        for ref in bundle.objects:
            (rendered / Path(ref.file).name).write_text(yaml.safe_dump(bundle.manifests[ref.file]), encoding="utf-8")
    outcomes = apply_rendered(tmp_path, report.run.outputs, active.gateway)
    assert [(o.region, o.status) for o in outcomes] == [("us-east-1", "SUCCEEDED"), ("us-west-2", "SUCCEEDED")]
    assert [o.objects for o in outcomes] == [o.objects for o in report.in_cluster]


def test_up_real_mode__no_rendered_manifests_is_a_usage_error(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession, tmp_path: Path
) -> None:
    _, report = prod
    with pytest.raises(UsageError, match=r"no rendered manifests; run `pulumi up` first"):
        apply_rendered(tmp_path, report.run.outputs, active.gateway)


@pytest.mark.parametrize(("access", "refusal"), [("none", "Unauthorized"), ("view-only", "Forbidden")])
def test_runner__a_build_role_without_cluster_admin_is_refused_by_the_api_server(
    prod: tuple[StackFiles, UpReport], active: EmulatorSession, access: str, refusal: str
) -> None:
    # Given the runner's own placement, When its build runs as a role without cluster admin,
    # Then the emulated API server refuses it as EKS would, and nothing is applied.
    _, report = prod
    cell = _cells(report)[0]
    codebuild = active.gateway.client("codebuild", cell.region)
    [project] = codebuild.batch_get_projects(names=[cell.project_name])["projects"]
    role = active.gateway.client("iam", cell.region).create_role(
        RoleName=f"finstack-runner-{access}", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    cluster = f"finstack-prod-{cell.region}"
    if access == "view-only":
        eks = active.gateway.client("eks", cell.region)
        eks.create_access_entry(clusterName=cluster, principalArn=role)
        eks.associate_access_policy(
            clusterName=cluster,
            principalArn=role,
            policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            accessScope={"type": "cluster"},
        )
    name = f"{cell.project_name}-{access}"
    codebuild.create_project(
        name=name,
        source=project["source"],
        artifacts={"type": "NO_ARTIFACTS"},
        environment=project["environment"],
        serviceRole=role,
        logsConfig=project["logsConfig"],
        vpcConfig=project["vpcConfig"],
        tags=[{"key": "finstack:runner", "value": "in-cluster"}],
    )
    kube = cluster_kube(active.gateway.account_id(), cell.region, cluster)
    before = dict(kube.objects)
    as_other = RunnerCell(**{**cell.__dict__, "project_name": name})
    outcome = deliver(
        active.gateway, as_other, for_manifest_dir(report.run.records, cell.manifest_dir), poll_seconds=0.0
    )
    assert outcome.status == "FAILED", outcome
    assert any(refusal in line for line in outcome.log_tail), outcome.log_tail
    assert kube.objects == before
