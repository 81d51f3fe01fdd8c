"""EksCluster under the recording mocks, plus the pure rules in components/eks_policies.py."""

from __future__ import annotations

import dataclasses
import json
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime.mocks import MockResourceArgs

from components.eks import EksCluster, EksClusterArgs
from components.eks_policies import (
    CONTROL_PLANE_LOG_TYPES,
    DR_SCALER_GROUP,
    ami_type,
    check_addons,
    endpoint_access,
    partition_of,
    wildcard_actions,
)
from finstack.engine.fake_cloud import FakeCloud
from finstack.engine.recording import ResourceRecord
from finstack.engine.runner import run_callable
from finstack.errors import ProgramError
from tests.plan import Plan, plan_of, shipped_config

ACCOUNT = "111122223333"
DR_ROLE = f"arn:aws:iam::{ACCOUNT}:role/finstack-dr-automation"
# One multi-region key id per purpose, as MultiRegionKeys hands them out (mrk-, 32 hex).
KEY_IDS = {
    "secrets": "mrk-5ec7e7505ec7e7505ec7e7505ec7e750",
    "data": "mrk-da7ada7ada7ada7ada7ada7ada7ada7a",
    "logs": "mrk-10651065106510651065106510651065",
}

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def key_arn(region: str, purpose: str, partition: str = "aws") -> str:
    return f"arn:{partition}:kms:{region}:{ACCOUNT}:key/{KEY_IDS[purpose]}"


def eks_args(stack: str, cell_region: str, **changes: Any) -> EksClusterArgs:
    """Settings from the shipped stack's config, wiring shaped like the network's and keys' outputs."""
    config = shipped_config(stack)
    eks = config.eks
    cell = next(r for r in config.regions if r.name == cell_region)
    region = cell.name
    args = EksClusterArgs(
        region=region,
        environment=config.environment,
        version=eks.version,
        node_instance_types=eks.node_instance_types,
        node_min_size=eks.node_min_size,
        node_desired_size=eks.node_desired_size,
        node_max_size=eks.node_max_size,
        node_disk_gib=eks.node_disk_gib,
        public_access_cidrs=tuple(str(c) for c in eks.public_access_cidrs),
        app_subnet_ids=[f"subnet-0abc{i}{region[-1]}00000000000{i}" for i in range(cell.azs)],
        app_sg_id="sg-0a1b2c3d4e5f60718",
        secrets_key_arn=key_arn(region, "secrets"),
        ebs_key_arn=key_arn(region, "data"),
        logs_key_arn=key_arn(region, "logs"),
        log_retention_days=config.log_retention_days,
        admin_role_arn=eks.admin_role_arn,
        readonly_role_arn=eks.readonly_role_arn,
        dr_role_arn=DR_ROLE,
        addons=eks.addons,
    )
    return dataclasses.replace(args, **changes)


def eks_plan(stack: str, cell: str, **changes: Any) -> Plan:
    """Run one EksCluster for `cell` of the shipped stack; `changes` override its args."""
    args = eks_args(stack, cell, **changes)

    def program() -> None:
        eks = EksCluster(f"eks-{args.region}", args)
        pulumi.export("cluster_name", eks.cluster_name)
        pulumi.export("endpoint", eks.endpoint)
        pulumi.export("certificate_authority", eks.certificate_authority)
        pulumi.export("oidc_provider_arn", eks.oidc_provider_arn)
        pulumi.export("oidc_issuer", eks.oidc_issuer)
        pulumi.export("nodegroup_names", eks.nodegroup_names)
        pulumi.export("node_role_arn", eks.node_role_arn)

    return plan_of(program, stack)


# The secondary region on purpose: nothing may fall back to the provider's us-east-1.
@pytest.fixture(scope="module")
def prod() -> Plan:
    return eks_plan("prod", "us-west-2")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return eks_plan("dev", "us-east-1")


def the(plan: Plan, type_: str) -> ResourceRecord:
    found = plan.of_type(type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.urn for r in found]}"
    return found[0]


def attached_policies(plan: Plan, role: ResourceRecord) -> set[str]:
    return {r.inputs["policyArn"] for r in plan.of_type(ATTACHMENT) if r.inputs["role"] == role.outputs["name"]}


# -- API endpoint ---------------------------------------------------------------------------------


def test_eks_cluster__prod_endpoint_private_only(prod: Plan) -> None:
    cluster = the(prod, CLUSTER)
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True, cluster.urn
    assert vpc["endpointPublicAccess"] is False, cluster.urn
    assert "publicAccessCidrs" not in vpc, f"{cluster.urn}: {vpc.get('publicAccessCidrs')}"


def test_eks_cluster__dev_endpoint_public_only_to_allow_list(dev: Plan) -> None:
    cluster = the(dev, CLUSTER)
    vpc = cluster.inputs["vpcConfig"]
    allowed = [str(c) for c in shipped_config("dev").eks.public_access_cidrs]
    assert allowed and "0.0.0.0/0" not in allowed, "Pulumi.dev.yaml should ship an allow-list"
    assert vpc["endpointPrivateAccess"] is True, cluster.urn
    assert vpc["endpointPublicAccess"] is True, cluster.urn
    assert vpc["publicAccessCidrs"] == allowed, cluster.urn


def test_eks_cluster__dev_without_allow_list_is_private() -> None:
    plan = eks_plan("dev", "us-east-1", public_access_cidrs=())
    cluster = the(plan, CLUSTER)
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False, cluster.urn


@pytest.mark.parametrize(
    ("environment", "cidrs", "message"),
    [
        ("prod", ("203.0.113.0/24",), "prod keeps the Kubernetes API private"),
        ("dev", ("0.0.0.0/0",), "opens the Kubernetes API to the internet"),
        ("dev", ("203.0.113.0/24", "0.0.0.0/0"), "opens the Kubernetes API to the internet"),
    ],
)
def test_endpoint_access__rejects_prod_public_or_open_cidr(
    environment: str, cidrs: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        endpoint_access(environment, cidrs)


NETWORKS = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 32)).map(lambda t: IPv4Network(t, strict=False))


@given(st.lists(NETWORKS, max_size=5))
def test_endpoint_access__public_exactly_when_listed(cidrs: list[IPv4Network]) -> None:
    access = endpoint_access("dev", cidrs)
    assert access.public == bool(cidrs)
    assert access.public_cidrs == tuple(str(c) for c in cidrs)
    assert not endpoint_access("prod", ()).public


def declare(component: Any, name: str, args: Any) -> None:
    component(name, args)


class RegistrationLog(FakeCloud):
    """FakeCloud that remembers the name of every resource registered (components included)."""

    def __init__(self) -> None:
        super().__init__(default_region="us-east-1")
        self.names: list[str] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.names.append(args.name)
        return super().new_resource(args)


def test_eks_cluster__prod_public_cidrs_refused_before_anything_declared() -> None:
    log = RegistrationLog()
    args = eks_args("prod", "us-east-1", public_access_cidrs=("203.0.113.0/24",))
    with pytest.raises(ProgramError, match="prod keeps the Kubernetes API private"):
        run_callable(lambda: declare(EksCluster, "eks-us-east-1", args), shipped_config("prod"), mocks=log)
    assert log.names == [], f"declared before refusing: {log.names}"


# -- control plane ----------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "region"), [("prod", "us-east-1"), ("prod", "us-west-2")])
def test_eks_cluster__secrets_encrypted_with_same_region_key(stack: str, region: str) -> None:
    plan = eks_plan(stack, region)
    cluster = the(plan, CLUSTER)
    encryption = cluster.inputs["encryptionConfig"]
    key = encryption["provider"]["keyArn"]
    assert encryption["resources"] == ["secrets"], cluster.urn
    assert key == key_arn(region, "secrets"), f"{cluster.urn}: {key}"
    assert cluster.region == region and key.split(":")[3] == region, f"{cluster.urn} in {cluster.region}: {key}"


def test_eks_cluster__all_control_plane_logs_to_encrypted_group(prod: Plan) -> None:
    cluster = the(prod, CLUSTER)
    group = the(prod, "aws:cloudwatch/logGroup:LogGroup")
    assert sorted(cluster.inputs["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    ), cluster.urn
    assert set(CONTROL_PLANE_LOG_TYPES) == set(cluster.inputs["enabledClusterLogTypes"]), cluster.urn
    assert group.inputs["name"] == "/aws/eks/finstack-prod-us-west-2/cluster", group.urn
    assert group.inputs["kmsKeyId"] == key_arn("us-west-2", "logs"), group.urn
    assert group.inputs["retentionInDays"] == shipped_config("prod").log_retention_days, group.urn
    assert group.region == "us-west-2", group.urn
    # EKS creates the group itself (unencrypted, kept forever) unless ours exists first.
    assert group.urn in cluster.dependencies, f"{cluster.urn} does not wait for {group.urn}"


def test_eks_cluster__api_authentication_without_creator_admin(prod: Plan) -> None:
    cluster = the(prod, CLUSTER)
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }, cluster.urn


def test_eks_cluster__stable_physical_name_and_version(prod: Plan) -> None:
    cluster = the(prod, CLUSTER)
    assert cluster.inputs["name"] == "finstack-prod-us-west-2", cluster.urn
    assert cluster.inputs["version"] == shipped_config("prod").eks.version, cluster.urn
    assert prod.outputs["cluster_name"] == "finstack-prod-us-west-2"


def test_eks_cluster__in_app_subnets_with_app_security_group(prod: Plan) -> None:
    cluster = the(prod, CLUSTER)
    args = eks_args("prod", "us-west-2")
    assert cluster.inputs["vpcConfig"]["subnetIds"] == list(args.app_subnet_ids), cluster.urn
    assert cluster.inputs["vpcConfig"]["securityGroupIds"] == [args.app_sg_id], cluster.urn


def test_eks_cluster__deletion_protection_in_prod_only(prod: Plan, dev: Plan) -> None:
    assert the(prod, CLUSTER).inputs["deletionProtection"] is True, the(prod, CLUSTER).urn
    assert the(dev, CLUSTER).inputs["deletionProtection"] is False, the(dev, CLUSTER).urn


# -- access entries -----------------------------------------------------------------------------


def test_eks_cluster__config_roles_get_admin_and_view_policies(prod: Plan) -> None:
    eks = shipped_config("prod").eks
    expected = {
        eks.admin_role_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        eks.readonly_role_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
    }
    associations = prod.of_type(ASSOCIATION)
    got = {r.inputs["principalArn"]: r.inputs["policyArn"] for r in associations}
    assert got == expected, [r.urn for r in associations]
    for association in associations:
        assert association.inputs["accessScope"] == {"type": "cluster"}, association.urn
        assert association.inputs["clusterName"] == "finstack-prod-us-west-2", association.urn
    entries = {r.inputs["principalArn"] for r in prod.of_type(ACCESS_ENTRY)}
    assert set(expected) <= entries, entries


def test_eks_cluster__no_entries_for_roles_config_leaves_unset() -> None:
    # Given a config that sets neither adminRoleArn nor readonlyRoleArn
    dev = eks_plan("dev", "us-east-1", admin_role_arn=None, readonly_role_arn=None)
    # Then only the DR role has an entry, and nobody gets an access policy
    entries = dev.of_type(ACCESS_ENTRY)
    assert [r.inputs["principalArn"] for r in entries] == [DR_ROLE], [r.urn for r in entries]
    assert dev.of_type(ASSOCIATION) == [], [r.urn for r in dev.of_type(ASSOCIATION)]


def test_eks_cluster__dr_role_scales_through_its_group_only(prod: Plan) -> None:
    entry = next(r for r in prod.of_type(ACCESS_ENTRY) if r.inputs["principalArn"] == DR_ROLE)
    assert entry.inputs["kubernetesGroups"] == [DR_SCALER_GROUP], entry.urn
    assert entry.inputs["type"] == "STANDARD", entry.urn
    broad = [r.urn for r in prod.of_type(ASSOCIATION) if r.inputs["principalArn"] == DR_ROLE]
    assert broad == [], f"the DR role must not hold an EKS access policy: {broad}"


PLAN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-arc-plan-execution"
REGION_SWITCH_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"


def test_eks_cluster__region_switch_role_gets_the_arc_scaling_policy_on_the_scaled_namespaces_only() -> None:
    # Given the plan's execution role and the namespaces of the workloads the plan scales
    plan = eks_plan(
        "prod", "us-west-2", region_switch_role_arn=PLAN_ROLE, region_switch_namespaces=("payments", "ledger")
    )
    # Then it has a STANDARD access entry on this cluster, with no Kubernetes group of its own
    [entry] = [r for r in plan.of_type(ACCESS_ENTRY) if r.inputs["principalArn"] == PLAN_ROLE]
    assert entry.inputs["type"] == "STANDARD", entry.urn
    assert entry.inputs["clusterName"] == "finstack-prod-us-west-2" and entry.region == "us-west-2", entry.urn
    assert not entry.inputs.get("kubernetesGroups"), entry.urn
    # And exactly ARC's scaling policy, on those namespaces, never cluster-wide
    [association] = [r for r in plan.of_type(ASSOCIATION) if r.inputs["principalArn"] == PLAN_ROLE]
    assert association.inputs["policyArn"] == REGION_SWITCH_POLICY, association.urn
    assert association.inputs["accessScope"] == {"type": "namespace", "namespaces": ["ledger", "payments"]}, (
        association.urn
    )
    assert association.parent == entry.urn and association.region == "us-west-2", association.urn


def test_eks_cluster__without_a_region_switch_role_no_arc_scaling_policy_is_associated(prod: Plan) -> None:
    granted = [r.urn for r in prod.of_type(ASSOCIATION) if r.inputs["policyArn"] == REGION_SWITCH_POLICY]
    assert granted == [], granted


def test_eks_cluster_args__region_switch_role_without_namespaces_is_refused() -> None:
    with pytest.raises(ValueError, match="region_switch_role_arn needs region_switch_namespaces"):
        eks_args("prod", "us-west-2", region_switch_role_arn=PLAN_ROLE)


def test_eks_cluster__endpoint_output_waits_for_access_policies(prod: Plan) -> None:
    cluster = the(prod, CLUSTER)
    assert prod.outputs["endpoint"] == cluster.outputs["endpoint"], cluster.urn
    assert prod.outputs["endpoint"].startswith("https://"), prod.outputs["endpoint"]


# -- nodes ------------------------------------------------------------------------------------


def test_eks_cluster__launch_template_requires_imdsv2(prod: Plan) -> None:
    template = the(prod, "aws:ec2/launchTemplate:LaunchTemplate")
    metadata = template.inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required", template.urn
    assert metadata["httpEndpoint"] == "enabled", template.urn
    assert metadata["httpPutResponseHopLimit"] == 2, template.urn


def test_eks_cluster__launch_template_encrypts_root_volume_with_data_key(prod: Plan) -> None:
    template = the(prod, "aws:ec2/launchTemplate:LaunchTemplate")
    [mapping] = template.inputs["blockDeviceMappings"]
    ebs = mapping["ebs"]
    assert ebs["encrypted"] == "true", template.urn
    assert ebs["kmsKeyId"] == key_arn("us-west-2", "data"), template.urn
    assert ebs["volumeType"] == "gp3", template.urn
    assert ebs["volumeSize"] == shipped_config("prod").eks.node_disk_gib, template.urn
    assert "keyName" not in template.inputs, f"{template.urn} must not carry an SSH key"
    assert "iamInstanceProfile" not in template.inputs, f"{template.urn}: EKS sets the node profile"


def test_eks_cluster__nodes_join_cluster_and_app_security_groups(prod: Plan) -> None:
    template = the(prod, "aws:ec2/launchTemplate:LaunchTemplate")
    cluster = the(prod, CLUSTER)
    groups = template.inputs["vpcSecurityGroupIds"]
    assert groups == [cluster.outputs["vpcConfig"]["clusterSecurityGroupId"], "sg-0a1b2c3d4e5f60718"], template.urn


def test_eks_cluster__node_group_spans_app_subnets_sized_from_config(prod: Plan) -> None:
    group = the(prod, "aws:eks/nodeGroup:NodeGroup")
    template = the(prod, "aws:ec2/launchTemplate:LaunchTemplate")
    eks = shipped_config("prod").eks
    assert group.inputs["subnetIds"] == list(eks_args("prod", "us-west-2").app_subnet_ids), group.urn
    assert len(group.inputs["subnetIds"]) == 3, group.urn
    assert group.inputs["scalingConfig"] == {
        "minSize": eks.node_min_size,
        "desiredSize": eks.node_desired_size,
        "maxSize": eks.node_max_size,
    }, group.urn
    assert group.inputs["instanceTypes"] == list(eks.node_instance_types), group.urn
    assert group.inputs["launchTemplate"]["id"] == template.id, group.urn
    assert "remoteAccess" not in group.inputs, f"{group.urn} must not open SSH"
    # Drills change only the desired size; `up` owns min and max (a refreshed `up` must push them, never ignore them).
    assert group.ignore_changes == ["scalingConfig.desiredSize"], group.urn
    assert prod.outputs["nodegroup_names"] == [group.outputs["nodeGroupName"]], group.urn


def test_eks_cluster__node_role_has_exactly_the_three_managed_policies(prod: Plan) -> None:
    role = prod.named("eks-us-west-2-node-role")
    assert attached_policies(prod, role) == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }, role.urn
    inline = [r.urn for r in prod.of_type(ROLE_POLICY) if r.inputs["role"] == role.outputs["name"]]
    assert inline == [], f"{role.urn} has inline policies {inline}"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}, role.urn
    assert prod.outputs["node_role_arn"] == role.outputs["arn"], role.urn


def test_eks_cluster__cluster_role_has_only_the_cluster_policy(prod: Plan) -> None:
    role = prod.named("eks-us-west-2-cluster-role")
    assert attached_policies(prod, role) == {"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}, role.urn
    assert the(prod, CLUSTER).inputs["roleArn"] == role.outputs["arn"], role.urn


def test_eks_cluster__arns_use_the_region_partition() -> None:
    plan = eks_plan(
        "prod",
        "us-east-1",
        region="us-gov-west-1",
        admin_role_arn="arn:aws-us-gov:iam::111122223333:role/platform-admin",
        readonly_role_arn=None,
        dr_role_arn="arn:aws-us-gov:iam::111122223333:role/finstack-dr",
        secrets_key_arn=key_arn("us-gov-west-1", "secrets", "aws-us-gov"),
    )
    policies = [r.inputs["policyArn"] for r in plan.of_type(ATTACHMENT) + plan.of_type(ASSOCIATION)]
    assert policies and all(p.startswith("arn:aws-us-gov:") for p in policies), policies


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-north-1", "aws-cn"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_partition_of__region_prefix(region: str, partition: str) -> None:
    assert partition_of(region) == partition


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (("m7i.xlarge", "m6i.xlarge"), "AL2023_x86_64_STANDARD"),
        (("m7g.large", "c7gn.xlarge"), "AL2023_ARM_64_STANDARD"),
        (("t3.large",), "AL2023_x86_64_STANDARD"),
        (("t4g.large",), "AL2023_ARM_64_STANDARD"),
    ],
)
def test_ami_type__follows_instance_architecture(types: tuple[str, ...], expected: str) -> None:
    assert ami_type(types) == expected


def test_ami_type__rejects_mixed_architectures() -> None:
    with pytest.raises(ValueError, match="mix of Graviton and x86"):
        ami_type(("m7i.large", "m7g.large"))


# -- add-ons ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_eks_cluster__addon_versions_pinned_from_config(stack: str, prod: Plan, dev: Plan) -> None:
    plan = prod if stack == "prod" else dev
    pinned = dict(shipped_config(stack).eks.addons)
    addons = plan.of_type(ADDON)
    got = {r.inputs["addonName"]: r.inputs.get("addonVersion") for r in addons}
    assert got == pinned, [r.urn for r in addons]
    for addon in addons:
        assert addon.inputs["region"] == addon.region == plan.of_type(CLUSTER)[0].region, addon.urn


def test_eks_cluster__vpc_cni_enforces_network_policies(prod: Plan) -> None:
    cni = prod.named("eks-us-west-2-addon-vpc-cni")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}, cni.urn


def test_eks_cluster__networking_addons_before_nodes_others_after(prod: Plan) -> None:
    group = the(prod, "aws:eks/nodeGroup:NodeGroup")
    for addon in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        urn = prod.named(f"eks-us-west-2-addon-{addon}").urn
        assert urn in group.dependencies, f"{group.urn} must wait for {urn}"
    for addon in ("coredns", "aws-ebs-csi-driver"):
        record = prod.named(f"eks-us-west-2-addon-{addon}")
        assert group.urn in record.dependencies, f"{record.urn} must wait for {group.urn}"
    assert the(prod, CLUSTER).inputs["bootstrapSelfManagedAddons"] is False


@pytest.mark.parametrize(
    ("addons", "message"),
    [
        ({"kube-proxy": "v1.33.0-eksbuild.2", "coredns": "v1.12.1-eksbuild.2"}, "vpc-cni missing"),
        (
            {
                "vpc-cni": "v1.19.5-eksbuild.3",
                "kube-proxy": "v1.33.0-eksbuild.2",
                "coredns": "v1.12.1-eksbuild.2",
                "aws-ebs-csi-driver": "v1.44.0-eksbuild.1",
            },
            "pin eks-pod-identity-agent",
        ),
        (
            {"vpc-cni": "latest", "kube-proxy": "v1.33.0-eksbuild.2", "coredns": "v1.12.1-eksbuild.2"},
            "vpc-cni not pinned",
        ),
    ],
)
def test_check_addons__rejects_unusable_sets(addons: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_addons(addons)


def test_eks_cluster__ebs_csi_driver_assumes_its_role_through_pod_identity(prod: Plan) -> None:
    addon = prod.named("eks-us-west-2-addon-aws-ebs-csi-driver")
    role = prod.named("eks-us-west-2-ebs-csi-role")
    cluster = the(prod, CLUSTER)
    assert addon.inputs["podIdentityAssociations"] == [
        {"roleArn": role.outputs["arn"], "serviceAccount": "ebs-csi-controller-sa"}
    ], addon.urn
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}, role.urn
    assert statement["Condition"]["ArnEquals"] == {"aws:SourceArn": cluster.outputs["arn"]}, role.urn
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role.urn
    assert attached_policies(prod, role) == {"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"}
    [key_policy] = [r for r in prod.of_type(ROLE_POLICY) if r.inputs["role"] == role.outputs["name"]]
    resources = {res for s in json.loads(key_policy.inputs["policy"])["Statement"] for res in s["Resource"]}
    assert resources == {key_arn("us-west-2", "data")}, key_policy.urn


def test_eks_cluster__oidc_provider_trusts_the_cluster_issuer(prod: Plan) -> None:
    oidc = the(prod, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = the(prod, CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["url"] == issuer, oidc.urn
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"], oidc.urn
    assert prod.outputs["oidc_issuer"] == issuer
    assert prod.outputs["oidc_provider_arn"] == oidc.outputs["arn"], oidc.urn
    assert oidc.outputs["arn"].endswith(issuer.removeprefix("https://")), oidc.outputs["arn"]


# -- cross-cutting ---------------------------------------------------------------------------


def test_eks_cluster__no_iam_document_with_wildcards(prod: Plan) -> None:
    documents = [(r.urn, r.inputs["assumeRolePolicy"]) for r in prod.of_type(ROLE)]
    documents += [(r.urn, r.inputs["policy"]) for r in prod.of_type(ROLE_POLICY)]
    assert len(documents) >= 4, documents
    for urn, document in documents:
        assert wildcard_actions(document) == [], f"{urn}: {wildcard_actions(document)}"
        for statement in json.loads(document)["Statement"]:
            resources = statement.get("Resource", [])
            assert "*" not in ([resources] if isinstance(resources, str) else resources), urn


def test_eks_cluster__every_regional_resource_pinned_to_its_cell(prod: Plan) -> None:
    regional = [r for r in prod if r.custom and r.type.startswith("aws:") and not r.type.startswith("aws:iam/")]
    assert len(regional) > 10, [r.urn for r in regional]
    for record in regional:
        assert record.inputs.get("region") == "us-west-2", f"{record.urn}: region {record.inputs.get('region')}"
    taggable = [r for r in prod if r.custom and "tags" in r.inputs]
    for record in taggable:
        assert record.inputs["tags"].get("finstack:cell") == "us-west-2", record.urn


def test_eks_cluster__children_named_after_component(prod: Plan) -> None:
    component = the(prod, "finstack:compute:EksCluster")
    stack = the(prod, "pulumi:pulumi:Stack")
    for record in prod:
        if record not in (stack, component):
            assert record.name.startswith("eks-us-west-2-"), record.urn
            assert record.parent not in (None, stack.urn), f"{record.urn} is not under the component"


def test_wildcard_actions__finds_service_and_prefix_wildcards() -> None:
    document = {"Statement": [{"Action": ["s3:GetObject", "kms:*"]}, {"Action": "*"}, {"NotAction": "iam:Get*"}]}
    assert wildcard_actions(document) == ["kms:*", "*", "iam:Get*"]
