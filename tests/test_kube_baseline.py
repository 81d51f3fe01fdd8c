"""KubeBaseline under the recording mocks (alone and wired to an EksCluster), plus its pure rules."""

from __future__ import annotations

import dataclasses
import json
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pytest

from components import network
from components.eks import EksCluster
from components.eks_policies import (
    AURORA_PORT,
    DR_SCALER_GROUP,
    HTTPS_PORT,
    KAFKA_SASL_IAM_PORT,
    Grant,
    check_grants,
    egress_allows,
    kubeconfig,
    wildcard_actions,
)
from components.kube_baseline import KubeBaseline, KubeBaselineArgs
from components.subnet_plan import Tier, tier_cidrs
from finstack.engine.recording import ResourceRecord
from finstack.engine.runner import ProgramError, run_callable
from tests.plan import Plan, plan_of, shipped_config, shipped_plan
from tests.test_eks import RegistrationLog, declare, eks_args

ACCOUNT = "111122223333"
REGION = "us-west-2"
ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/5E1D3C0FFEE0B7A1C0DE5EED0F00D123"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER.removeprefix('https://')}"
DATA_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/mrk-da7ada7ada7ada7ada7ada7ada7ada7a"

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PROVIDER = "pulumi:providers:kubernetes"
RBAC_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"


def cell_cidrs(stack: str, tier: Tier, region: str = REGION) -> tuple[str, ...]:
    """The planned subnets of one tier of a shipped stack's cell, as the program computes them."""
    [cell] = [c for c in shipped_config(stack).regions if c.name == region]
    return tuple(str(c) for c in tier_cidrs(cell.cidr, cell.azs, tier))


def baseline_args(stack: str = "prod", **changes: Any) -> KubeBaselineArgs:
    """Namespaces, version and tier CIDRs from the shipped stack; cluster wiring like EksCluster's outputs."""
    config = shipped_config(stack)
    args = KubeBaselineArgs(
        region=REGION,
        cluster_name=f"finstack-{config.environment}-{REGION}",
        endpoint="https://5E1D3C0FFEE0B7A1C0DE5EED0F00D123.gr7.us-west-2.eks.amazonaws.com",
        certificate_authority="LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
        namespaces=config.namespaces,
        oidc_provider_arn=OIDC_ARN,
        oidc_issuer=ISSUER,
        account_id=ACCOUNT,
        kubernetes_version=config.eks.version,
        auth_role_arn=config.eks.admin_role_arn,
        ebs_key_arn=DATA_KEY,
        data_cidrs=cell_cidrs(stack, "data"),
        endpoint_cidrs=cell_cidrs(stack, "endpoints"),
    )
    return dataclasses.replace(args, **changes)


def baseline_plan(stack: str = "prod", **changes: Any) -> Plan:
    args = baseline_args(stack, **changes)

    def program() -> None:
        baseline = KubeBaseline(f"kube-{REGION}", args)
        pulumi.export("namespace_names", baseline.namespace_names)
        pulumi.export("workload_role_arns", baseline.workload_role_arns)

    return plan_of(program, stack)


@pytest.fixture(scope="module")
def prod() -> Plan:
    return baseline_plan("prod")


MANIFEST_DIR = f".finstack/prod/manifests/{REGION}"


def wired_program(stack: str, manifest_dir: str | None) -> Any:
    """The composition infra/program.py uses: the baseline fed from the cell's EksCluster."""

    def program() -> None:
        config = shipped_config(stack)
        eks = EksCluster(f"eks-{REGION}", eks_args(stack, REGION))
        KubeBaseline(
            f"kube-{REGION}",
            dataclasses.replace(
                baseline_args(stack),
                cluster_name=eks.cluster_name,
                endpoint=eks.endpoint,
                certificate_authority=eks.certificate_authority,
                oidc_provider_arn=eks.oidc_provider_arn,
                oidc_issuer=eks.oidc_issuer,
                namespaces=config.namespaces,
                manifest_dir=manifest_dir,
            ),
        )

    return program


@pytest.fixture(scope="module")
def wired() -> Plan:
    """Prod as the program declares it: objects rendered for the cell's runner."""
    return plan_of(wired_program("prod", MANIFEST_DIR), "prod")


@pytest.fixture(scope="module")
def wired_live() -> Plan:
    """Dev applied live: its endpoint is public (behind an allow-list), so the deployer can reach it."""
    return plan_of(wired_program("dev", None), "dev")


def in_namespace(plan: Plan, type_: str, namespace: str) -> list[ResourceRecord]:
    return [r for r in plan.of_type(type_) if r.inputs["metadata"].get("namespace") == namespace]


def egress_allows_of(plan: Plan, namespace: str, region: str = REGION) -> dict[str, ResourceRecord]:
    """Policy name -> record of the namespace's policies that allow egress, in one cell."""
    prefix = f"kube-{region}-{namespace}-"
    return {
        r.inputs["metadata"]["name"]: r
        for r in in_namespace(plan, NETWORK_POLICY, namespace)
        if r.name.startswith(prefix) and r.inputs["spec"].get("egress")
    }


def tcp_allows(record: ResourceRecord) -> tuple[list[str], list[tuple[str, int]]]:
    """(CIDRs, (protocol, port)s) of an egress allow with one rule of ipBlock peers."""
    spec = record.inputs["spec"]
    assert spec["podSelector"] == {} and spec["policyTypes"] == ["Egress"], record.urn
    assert "ingress" not in spec, record.urn
    [rule] = spec["egress"]
    assert all(set(peer) == {"ipBlock"} and set(peer["ipBlock"]) == {"cidr"} for peer in rule["to"]), record.urn
    return [peer["ipBlock"]["cidr"] for peer in rule["to"]], [(p["protocol"], int(p["port"])) for p in rule["ports"]]


EXPECTED_ALLOWS: dict[str, tuple[Tier, list[tuple[str, int]]]] = {
    "allow-aurora": ("data", [("TCP", 5432)]),
    "allow-kafka": ("data", [("TCP", 9098)]),
    "allow-aws-endpoints": ("endpoints", [("TCP", 443)]),
}


def role_of(plan: Plan, namespace: str) -> ResourceRecord:
    return plan.named(f"kube-{REGION}-{namespace}-role")


def policy_of(plan: Plan, namespace: str) -> dict[str, Any]:
    record = plan.named(f"kube-{REGION}-{namespace}-role-policy")
    assert record.inputs["role"] == role_of(plan, namespace).outputs["name"], record.urn
    return json.loads(record.inputs["policy"])


# -- provider ---------------------------------------------------------------------------------


def test_kube_baseline__rendering_provider_contacts_no_cluster(wired: Plan) -> None:
    provider = wired.named(f"kube-{REGION}-provider")
    assert provider.inputs["renderYamlToDirectory"] == MANIFEST_DIR, provider.urn
    assert "kubeconfig" not in provider.inputs, f"{provider.urn} would reach for a private endpoint"
    assert provider.inputs["clusterIdentifier"] == "finstack-prod-us-west-2", provider.urn


def test_kube_baseline__live_provider_on_a_private_endpoint_is_refused_offline() -> None:
    # Given prod's private-only endpoint, When the baseline applies live from outside the VPC,
    # Then the offline engine refuses as the Kubernetes provider would fail on AWS.
    with pytest.raises(ProgramError, match="configured Kubernetes cluster is unreachable") as err:
        plan_of(wired_program("prod", None), "prod")
    message = str(err.value)
    assert "finstack-prod-us-west-2" in message and "endpointPublicAccess: false" in message, message
    assert "docs/in-cluster.md" in message, message


def test_kube_baseline__provider_kubeconfig_built_from_cluster_outputs(wired_live: Plan) -> None:
    wired = wired_live
    provider = wired.named(f"kube-{REGION}-provider")
    cluster = wired.named(f"eks-{REGION}-cluster")
    config = json.loads(provider.inputs["kubeconfig"])
    [entry] = config["clusters"]
    assert entry["cluster"]["server"] == cluster.outputs["endpoint"], provider.urn
    assert entry["cluster"]["certificate-authority-data"] == cluster.outputs["certificateAuthority"]["data"]
    [user] = config["users"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws", provider.urn
    args = exec_["args"]
    assert args[:2] == ["eks", "get-token"], provider.urn
    assert args[args.index("--cluster-name") + 1] == "finstack-dev-us-west-2", provider.urn
    assert args[args.index("--region") + 1] == REGION, provider.urn
    assert args[args.index("--role-arn") + 1] == shipped_config("dev").eks.admin_role_arn, provider.urn
    assert config["current-context"] == config["contexts"][0]["name"], provider.urn
    assert provider.inputs["clusterIdentifier"] == "finstack-dev-us-west-2", provider.urn


def test_kube_baseline__live_provider_waits_for_the_admin_access_policy(wired_live: Plan) -> None:
    wired = wired_live
    provider = wired.named(f"kube-{REGION}-provider")
    association = wired.named(f"eks-{REGION}-admin-access-policy")
    assert association.urn in provider.dependencies, f"{provider.urn} may race {association.urn}"


def test_kube_baseline__irsa_roles_trust_the_cluster_oidc_provider(wired: Plan) -> None:
    oidc = wired.named(f"eks-{REGION}-oidc")
    host = oidc.inputs["url"].removeprefix("https://")
    for namespace in shipped_config("prod").namespaces:
        role = role_of(wired, namespace)
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}, role.urn
        assert statement["Condition"]["StringEquals"] == {
            f"{host}:sub": f"system:serviceaccount:{namespace}:{namespace}",
            f"{host}:aud": "sts.amazonaws.com",
        }, role.urn


def test_kube_baseline__every_kubernetes_object_uses_the_cell_provider(prod: Plan) -> None:
    [provider] = prod.of_type(PROVIDER)
    objects = [r for r in prod if r.type.startswith("kubernetes:")]
    assert len(objects) >= 9 * len(shipped_config("prod").namespaces), [r.urn for r in objects]
    for record in objects:
        assert record.provider_urn == provider.urn, f"{record.urn} uses {record.provider}"


def test_kubeconfig__one_cluster_one_user_no_ambient_context() -> None:
    config = json.loads(kubeconfig("finstack-dev-us-east-1", "https://x.eks.amazonaws.com", "Q0E=", "us-east-1"))
    assert [c["name"] for c in config["clusters"]] == ["finstack-dev-us-east-1"]
    assert len(config["users"]) == len(config["contexts"]) == 1
    assert "--role-arn" not in config["users"][0]["user"]["exec"]["args"]
    assert config["users"][0]["user"]["exec"]["interactiveMode"] == "Never"


# -- namespaces -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_kube_baseline__namespaces_enforce_restricted_pod_security(stack: str) -> None:
    plan = baseline_plan(stack)
    config = shipped_config(stack)
    namespaces = plan.of_type(NAMESPACE)
    assert sorted(r.inputs["metadata"]["name"] for r in namespaces) == sorted(config.namespaces)
    for record in namespaces:
        labels = record.inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", record.urn
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == f"v{config.eks.version}", record.urn


def test_kube_baseline__namespaces_deny_all_traffic_both_directions(prod: Plan) -> None:
    for namespace in shipped_config("prod").namespaces:
        policies = in_namespace(prod, NETWORK_POLICY, namespace)
        deny = [
            r
            for r in policies
            if r.inputs["spec"].get("podSelector") == {}
            and sorted(r.inputs["spec"].get("policyTypes", [])) == ["Egress", "Ingress"]
            and not r.inputs["spec"].get("ingress")
            and not r.inputs["spec"].get("egress")
        ]
        assert len(deny) == 1, f"{namespace}: no default-deny among {[r.urn for r in policies]}"


def test_kube_baseline__dns_allowed_out_only_to_kube_dns(prod: Plan) -> None:
    for namespace in shipped_config("prod").namespaces:
        record = egress_allows_of(prod, namespace)["allow-dns"]
        spec = record.inputs["spec"]
        assert spec["policyTypes"] == ["Egress"] and "ingress" not in spec, record.urn
        [rule] = spec["egress"]
        assert rule["to"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ], record.urn
        assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)], record.urn


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_kube_baseline__namespaces_reach_only_data_tier_and_endpoints_past_dns(stack: str) -> None:
    plan = baseline_plan(stack)
    for namespace in shipped_config(stack).namespaces:
        allows = egress_allows_of(plan, namespace)
        assert sorted(allows) == sorted([*EXPECTED_ALLOWS, "allow-dns"]), [r.urn for r in allows.values()]
        for name, (tier, ports) in EXPECTED_ALLOWS.items():
            record = allows[name]
            assert record.name == f"kube-{REGION}-{namespace}-{name}", record.urn
            cidrs, allowed = tcp_allows(record)
            assert cidrs == list(cell_cidrs(stack, tier)), f"{record.urn} allows {cidrs}"
            assert allowed == ports, f"{record.urn} allows {allowed}"


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_program__every_cell_allows_egress_to_its_own_tiers(stack: str) -> None:
    plan = shipped_plan(stack)
    config = shipped_config(stack)
    for cell in config.regions:
        for namespace in config.namespaces:
            allows = egress_allows_of(plan, namespace, cell.name)
            for name, (tier, ports) in EXPECTED_ALLOWS.items():
                assert name in allows, f"{cell.name}/{namespace}: no {name} among {sorted(allows)}"
                cidrs, allowed = tcp_allows(allows[name])
                assert cidrs == list(cell_cidrs(stack, tier, cell.name)), f"{allows[name].urn} allows {cidrs}"
                assert allowed == ports, allows[name].urn


@pytest.mark.parametrize("fixture", ["prod", "wired"])
def test_kube_baseline__no_network_policy_peer_means_everywhere(fixture: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(fixture)
    policies = plan.of_type(NETWORK_POLICY)
    assert len(policies) == 5 * len(shipped_config("prod").namespaces), [r.urn for r in policies]
    for record in policies:
        spec = record.inputs["spec"]
        for direction, peers_key in (("egress", "to"), ("ingress", "from")):
            for rule in spec.get(direction) or []:
                # A missing or empty peer list admits every address (and every pod).
                assert rule.get(peers_key), f"{record.urn}: {direction} rule without `{peers_key}` allows everywhere"
                for peer in rule[peers_key]:
                    assert peer, f"{record.urn}: empty {direction} peer allows everywhere"
                    block = peer.get("ipBlock")
                    if block is not None:
                        cidr = IPv4Network(block["cidr"])
                        assert cidr.prefixlen > 0 and cidr.is_private, f"{record.urn}: {direction} to {cidr}"


def test_kube_baseline__no_ingress_allowed_past_the_default_deny(prod: Plan) -> None:
    for record in prod.of_type(NETWORK_POLICY):
        assert not record.inputs["spec"].get("ingress"), f"{record.urn} allows ingress (the app teams' policies do)"


def test_kube_baseline__no_egress_allow_without_tier_cidrs() -> None:
    # Given a cell without data or endpoint CIDRs
    plan = baseline_plan("prod", data_cidrs=(), endpoint_cidrs=())
    for namespace in shipped_config("prod").namespaces:
        # Then only DNS is allowed out, and the default deny still covers both directions
        allows = egress_allows_of(plan, namespace)
        assert sorted(allows) == ["allow-dns"], [r.urn for r in allows.values()]
        names = sorted(r.inputs["metadata"]["name"] for r in in_namespace(plan, NETWORK_POLICY, namespace))
        assert names == ["allow-dns", "default-deny"], names


def test_kube_baseline__endpoints_alone_allow_only_https() -> None:
    plan = baseline_plan("dev", data_cidrs=())
    allows = egress_allows_of(plan, "ledger")
    assert sorted(allows) == ["allow-aws-endpoints", "allow-dns"], [r.urn for r in allows.values()]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data_cidrs": ("0.0.0.0/0",)}, "would allow egress everywhere"),
        ({"endpoint_cidrs": ("10.20.192.0/24", "0.0.0.0/0")}, "would allow egress everywhere"),
        ({"endpoint_cidrs": ("52.94.0.0/22",)}, "is not private"),
        ({"data_cidrs": ("10.20.160.1/21",)}, "is not an IPv4 CIDR"),
    ],
)
def test_kube_baseline__open_egress_cidr_refused_before_anything_declared(
    changes: dict[str, Any], message: str
) -> None:
    log = RegistrationLog()
    args = baseline_args("prod", **changes)
    with pytest.raises(ProgramError, match=message):
        run_callable(lambda: declare(KubeBaseline, f"kube-{REGION}", args), shipped_config("prod"), mocks=log)
    assert log.names == [], f"declared before refusing: {log.names}"


def test_egress_allows__ports_match_the_cell_security_group_rules() -> None:
    assert (AURORA_PORT, KAFKA_SASL_IAM_PORT, HTTPS_PORT) == (network.POSTGRES, network.KAFKA_SASL_IAM, network.HTTPS)
    assert [a.purpose for a in egress_allows(("10.0.0.0/24",), ("10.0.1.0/24",))] == [
        "aurora",
        "kafka",
        "aws-endpoints",
    ]


def test_kube_baseline__quota_and_limit_range_in_every_namespace(prod: Plan) -> None:
    for namespace in shipped_config("prod").namespaces:
        [quota] = in_namespace(prod, "kubernetes:core/v1:ResourceQuota", namespace)
        hard = quota.inputs["spec"]["hard"]
        for resource in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods"):
            assert hard.get(resource), f"{quota.urn} does not bound {resource}"
        assert hard["services.nodeports"] == "0", quota.urn
        [limits] = in_namespace(prod, "kubernetes:core/v1:LimitRange", namespace)
        [item] = limits.inputs["spec"]["limits"]
        assert item["type"] == "Container" and item["defaultRequest"] and item["default"], limits.urn


def test_kube_baseline__namespace_names_exported_in_config_order(prod: Plan) -> None:
    assert prod.outputs["namespace_names"] == list(shipped_config("prod").namespaces)


# -- identities -------------------------------------------------------------------------------


def test_kube_baseline__service_account_annotated_with_its_own_role(prod: Plan) -> None:
    for namespace in shipped_config("prod").namespaces:
        accounts = [
            r for r in in_namespace(prod, SERVICE_ACCOUNT, namespace) if r.inputs["metadata"]["name"] != "default"
        ]
        assert len(accounts) == 1, [r.urn for r in accounts]
        account = accounts[0]
        role = role_of(prod, namespace)
        annotations = account.inputs["metadata"]["annotations"]
        assert annotations["eks.amazonaws.com/role-arn"] == role.outputs["arn"], account.urn
        assert annotations["eks.amazonaws.com/sts-regional-endpoints"] == "true", account.urn
        assert account.inputs["automountServiceAccountToken"] is False, account.urn
        assert prod.outputs["workload_role_arns"][namespace] == role.outputs["arn"], role.urn


def test_kube_baseline__default_service_account_gets_no_api_token(prod: Plan) -> None:
    patches = prod.of_type("kubernetes:core/v1:ServiceAccountPatch")
    assert sorted(r.inputs["metadata"]["namespace"] for r in patches) == sorted(shipped_config("prod").namespaces)
    for patch in patches:
        assert patch.inputs["metadata"]["name"] == "default", patch.urn
        assert patch.inputs["automountServiceAccountToken"] is False, patch.urn


def test_kube_baseline__ledger_connects_as_its_db_user_and_uses_its_own_topics(prod: Plan) -> None:
    statements = {s["Sid"]: s for s in policy_of(prod, "ledger")["Statement"]}
    assert statements["DatabaseUser"]["Action"] == ["rds-db:connect"]
    assert statements["DatabaseUser"]["Resource"] == [f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:*/ledger"]
    topics = statements["KafkaOwnTopics"]
    assert sorted(topics["Action"]) == [
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:ReadData",
        "kafka-cluster:WriteData",
    ]
    assert topics["Resource"] == [f"arn:aws:kafka:{REGION}:{ACCOUNT}:topic/*/*/ledger.*"]
    assert statements["KafkaConnect"]["Action"] == ["kafka-cluster:Connect"]


def test_kube_baseline__each_context_scoped_to_its_own_namespace(prod: Plan) -> None:
    namespaces = shipped_config("prod").namespaces
    for namespace in namespaces:
        resources = [res for s in policy_of(prod, namespace)["Statement"] for res in s["Resource"]]
        others = [n for n in namespaces if n != namespace]
        leaked = [res for res in resources for other in others if f"/{other}" in res]
        assert leaked == [], f"{role_of(prod, namespace).urn} reaches {leaked}"


def test_kube_baseline__kafka_cluster_name_scopes_the_grants() -> None:
    plan = baseline_plan("prod", kafka_cluster_name="finstack-prod-usw2")
    resources = [res for s in policy_of(plan, "payments")["Statement"] for res in s["Resource"]]
    kafka = [res for res in resources if ":kafka:" in res]
    assert kafka and all("/finstack-prod-usw2/" in res for res in kafka), kafka


def test_kube_baseline__no_iam_document_with_wildcard_action_or_bare_resource(wired: Plan) -> None:
    documents = [(r.urn, r.inputs["assumeRolePolicy"]) for r in wired.of_type(ROLE)]
    documents += [(r.urn, r.inputs["policy"]) for r in wired.of_type(ROLE_POLICY)]
    assert len(documents) >= 2 * len(shipped_config("prod").namespaces), documents
    for urn, document in documents:
        assert wildcard_actions(document) == [], f"{urn}: {wildcard_actions(document)}"
        for statement in json.loads(document)["Statement"]:
            resources = statement.get("Resource", [])
            assert "*" not in ([resources] if isinstance(resources, str) else resources), urn


def test_kube_baseline__custom_grants_replace_the_defaults() -> None:
    # Given only ledger gets a (read-only) grant
    grants = {
        "ledger": (
            Grant(
                "ReadEntries",
                ("kafka-cluster:ReadData",),
                ("arn:{partition}:kafka:{region}:{account}:topic/x/*/{namespace}.entries",),
            ),
        )
    }
    plan = baseline_plan("prod", grants=grants)
    # Then ledger's policy is exactly that, and the other contexts' roles hold no policy at all
    assert policy_of(plan, "ledger")["Statement"] == [
        {
            "Sid": "ReadEntries",
            "Effect": "Allow",
            "Action": ["kafka-cluster:ReadData"],
            "Resource": [f"arn:aws:kafka:{REGION}:{ACCOUNT}:topic/x/*/ledger.entries"],
        }
    ]
    assert [r.name for r in plan.of_type(ROLE_POLICY)] == [f"kube-{REGION}-ledger-role-policy"]


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (Grant("All", ("*",), ("arn:aws:s3:::bucket",)), "not one exact action"),
        (Grant("Service", ("kafka-cluster:*",), ("arn:aws:kafka:::x",)), "not one exact action"),
        (Grant("Prefix", ("kms:Get*",), ("arn:aws:kms:::x",)), "not one exact action"),
        (Grant("Anything", ("rds-db:connect",), ("*",)), "Resource '\\*' is not allowed"),
        (Grant("Typo", ("rds-db:connect",), ("arn:aws:rds-db:{regoin}:1:dbuser:*/x",)), "unknown placeholder"),
        (Grant("bad-sid", ("rds-db:connect",), ("arn:aws:rds-db:r:1:dbuser:*/x",)), "Sid must be alphanumeric"),
        (Grant("Empty", (), ("arn:aws:rds-db:r:1:dbuser:*/x",)), "at least one action"),
    ],
)
def test_check_grants__rejects_wildcards_and_typos(grant: Grant, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_grants("ledger", [grant])


def test_kube_baseline__wildcard_grant_refused_before_anything_declared() -> None:
    log = RegistrationLog()
    grants = {"risk": (Grant("All", ("kafka-cluster:*",), ("arn:aws:kafka:us-west-2:1:cluster/x/*",)),)}
    args = baseline_args("prod", grants=grants)
    # The runner reports a component's ValueError as a ProgramError carrying its message.
    with pytest.raises(ProgramError, match="not one exact action"):
        run_callable(lambda: declare(KubeBaseline, f"kube-{REGION}", args), shipped_config("prod"), mocks=log)
    assert log.names == [], f"declared before refusing: {log.names}"


def test_kube_baseline__grants_for_unknown_namespace_refused() -> None:
    with pytest.raises(Exception, match="grants for treasury"):
        baseline_plan("prod", grants={"treasury": ()})


# -- DR scaling and storage -----------------------------------------------------------------


def test_kube_baseline__dr_group_may_only_read_and_scale_workloads(prod: Plan) -> None:
    for namespace in shipped_config("prod").namespaces:
        [role] = in_namespace(prod, RBAC_ROLE, namespace)
        [binding] = in_namespace(prod, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", namespace)
        assert binding.inputs["subjects"] == [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": DR_SCALER_GROUP}
        ], binding.urn
        assert binding.inputs["roleRef"]["name"] == role.inputs["metadata"]["name"], binding.urn
        for rule in role.inputs["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], role.urn
            assert set(rule["verbs"]) <= {"get", "list", "watch", "patch", "update"}, role.urn
            assert {"secrets", "pods/exec", "pods"}.isdisjoint(rule["resources"]), role.urn


def test_kube_baseline__dr_group_may_read_deployment_status(prod: Plan) -> None:
    # ARC Region switch's EKS scaling step reads it (AmazonARCRegionSwitchScalingPolicy: */status get).
    for namespace in shipped_config("prod").namespaces:
        [role] = in_namespace(prod, RBAC_ROLE, namespace)
        granted = {
            (group, resource, verb)
            for rule in role.inputs["rules"]
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        }
        assert ("apps", "deployments/status", "get") in granted, role.urn
        status = {(g, r, v) for g, r, v in granted if r.endswith("/status")}
        assert status == {("apps", "deployments/status", "get")}, f"{role.urn}: {status}"


def test_kube_baseline__default_storage_class_encrypts_with_data_key(prod: Plan) -> None:
    [storage] = prod.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage.inputs["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": DATA_KEY}, storage.urn
    assert storage.inputs["provisioner"] == "ebs.csi.aws.com", storage.urn
    annotations = storage.inputs["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "true", storage.urn


def test_kube_baseline__no_storage_class_without_data_key() -> None:
    plan = baseline_plan("dev", ebs_key_arn=None)
    assert plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass") == []
