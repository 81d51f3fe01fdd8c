"""ClusterRunner in the shipped stacks: placed in the cell's VPC, least privilege, cluster access."""

from __future__ import annotations

import json

import pytest
import yaml

from components.cluster_runner import APPLIED_KEY, BUNDLE_KEY, RUNNER_IMAGE, buildspec
from tests.plan import Plan, shipped_plan

PROJECT = "aws:codebuild/project:Project"


@pytest.fixture(scope="module", params=["dev", "prod"])
def plan(request: pytest.FixtureRequest) -> Plan:
    return shipped_plan(request.param)


def test_cluster_runner__one_project_per_cell_in_its_app_subnets_with_the_app_group(plan: Plan) -> None:
    for region in plan.regions:
        [project] = plan.of_type(PROJECT, region)
        vpc = plan.named(f"cell-{region}-vpc")
        app_subnets = {s.id for s in plan.of_type("aws:ec2/subnet:Subnet", region) if "-app-" in s.name}
        app_sg = plan.named(f"cell-{region}-app-sg")
        config = project.inputs["vpcConfig"]
        assert config["vpcId"] == vpc.id, project.urn
        assert set(config["subnets"]) == app_subnets and app_subnets, project.urn
        assert config["securityGroupIds"] == [app_sg.id], project.urn
        assert project.inputs["environment"]["image"] == RUNNER_IMAGE, project.urn
        assert project.inputs["environment"]["privilegedMode"] is False, project.urn
        assert project.inputs["source"]["location"].endswith(f"/{BUNDLE_KEY}"), project.urn


def test_cluster_runner__the_cluster_reaches_the_runner_group_on_https(plan: Plan) -> None:
    # The control plane's ENIs join the app group, and app admits app: the runner's path to the API.
    for region in plan.regions:
        [cluster] = plan.of_type("aws:eks/cluster:Cluster", region)
        app_sg = plan.named(f"cell-{region}-app-sg")
        assert app_sg.id in cluster.inputs["vpcConfig"]["securityGroupIds"], cluster.urn
        self_rules = [
            r
            for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", region)
            if r.inputs["securityGroupId"] == app_sg.id and r.inputs.get("referencedSecurityGroupId") == app_sg.id
        ]
        assert any(
            r.inputs["ipProtocol"] == "-1" or r.inputs.get("fromPort", 0) <= 443 <= r.inputs.get("toPort", 0)
            for r in self_rules
        ), app_sg.urn


def test_cluster_runner__role_is_trusted_only_by_its_project_and_grants_no_wildcard(plan: Plan) -> None:
    for region in plan.regions:
        [project] = plan.of_type(PROJECT, region)
        role = plan.named(f"runner-{region}-role")
        [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}, role.urn
        assert trust["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":project/{project.inputs['name']}"), role.urn
        policy = json.loads(plan.named(f"runner-{region}-role-policy").inputs["policy"])
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in a for a in actions), (role.urn, statement)
            if statement["Resource"] == "*":
                assert all(a.startswith("ec2:") and a != "ec2:CreateNetworkInterfacePermission" for a in actions), (
                    statement
                )
        writes = [s for s in policy["Statement"] if "s3:PutObject" in s["Action"]]
        assert [s["Resource"] for s in writes] == [writes[0]["Resource"]] and writes[0]["Resource"].endswith(
            f"/{APPLIED_KEY}"
        ), "the runner writes its apply record, never its own bundle"


def test_cluster_runner__admin_access_entry_scoped_to_its_own_cluster(plan: Plan) -> None:
    for region in plan.regions:
        role = plan.named(f"runner-{region}-role")
        entry = plan.named(f"runner-{region}-access")
        association = plan.named(f"runner-{region}-access-policy")
        [cluster] = plan.of_type("aws:eks/cluster:Cluster", region)
        assert entry.inputs["principalArn"] == role.outputs["arn"], entry.urn
        assert entry.inputs["clusterName"] == cluster.outputs["name"], entry.urn
        assert association.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy"), association.urn
        assert association.inputs["accessScope"] == {"type": "cluster"}, association.urn
        project = plan.of_type(PROJECT, region)[0]
        assert association.urn in project.dependencies, f"{project.urn} could start before its cluster access exists"


def test_cluster_runner__in_cluster_output_names_every_cells_runner(plan: Plan) -> None:
    doc = plan.outputs["inCluster"]
    assert sorted(doc) == sorted(plan.regions)
    for region, cell in doc.items():
        [project] = plan.of_type(PROJECT, region)
        assert cell["projectName"] == project.inputs["name"], project.urn
        assert cell["manifestDir"] == f".finstack/{plan.run.stack}/manifests/{region}"
        provider = plan.named(f"kube-{region}-provider")
        assert provider.inputs["renderYamlToDirectory"] == cell["manifestDir"], provider.urn


def test_buildspec__applies_and_records_only_after_success() -> None:
    spec = yaml.safe_load(buildspec())
    assert spec["version"] == 0.2
    commands = [c for phase in spec["phases"].values() for c in phase["commands"]]
    assert any(c.startswith("aws eks update-kubeconfig") for c in commands)
    assert any("apply_bundle.py" in c for c in spec["phases"]["build"]["commands"])
    [post] = spec["phases"]["post_build"]["commands"]
    assert "CODEBUILD_BUILD_SUCCEEDING" in post and "--sse-kms-key-id" in post
