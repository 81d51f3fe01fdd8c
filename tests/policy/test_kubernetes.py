"""Kubernetes policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import PolicyProviderResource, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy

from components.eks_policies import pod_security_labels
from tests.policy import factories as f
from tests.policy.helpers import (
    DELETE,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_OBJECT,
    _options,
    check,
    check_stack,
    edit,
    urn,
)
from tests.policy.helpers import policy as pack_policy

PSA = "pod-security.kubernetes.io/enforce"

# --- k8s-namespace-pod-security-restricted ---------------------------------------------------------

PSA_VERSION = "pod-security.kubernetes.io/enforce-version"


def test_k8s_namespace_pod_security_restricted__restricted_namespace_passes():
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, f.namespace()) == []


@pytest.mark.parametrize("labels", [{PSA: "baseline"}, {PSA: "privileged"}, {PSA: "Restricted"}, {}, None])
def test_k8s_namespace_pod_security_restricted__weaker_level_fails(labels):
    props = f.namespace()
    props["metadata"]["labels"] = labels
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == [
        f"Namespace ledger must carry label {PSA}=restricted."
    ]


@pytest.mark.parametrize("name", ["kube-system", "kube-payments", "kube-public", "default", "openshift-x"])
def test_k8s_namespace_pod_security_restricted__no_name_is_exempt(name):
    # A namespace the stack declares is one it creates: no name (system-looking or not) escapes.
    props = {"metadata": {"name": name, "labels": {PSA: "privileged"}}}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == [
        f"Namespace {name} must carry label {PSA}=restricted."
    ]


def test_k8s_namespace_pod_security_restricted__autonamed_namespace_uses_logical_name():
    props = {"metadata": {"labels": {PSA: "privileged"}}}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props, name="kube-payments") == [
        f"Namespace kube-payments must carry label {PSA}=restricted."
    ]


def test_k8s_namespace_pod_security_restricted__patch_without_label_leaves_it_alone():
    props = {"metadata": {"name": "kube-system", "annotations": {"owner": "platform"}}}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE_PATCH, props) == []


@pytest.mark.parametrize("level", ["privileged", "baseline"])
def test_k8s_namespace_pod_security_restricted__patch_weakening_label_fails(level):
    props = {"metadata": {"name": "ledger", "labels": {PSA: level}}}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE_PATCH, props) == [
        f"Namespace ledger must carry label {PSA}=restricted."
    ]


@pytest.mark.parametrize("version", ["latest", "v1.31", "v1.33", "v2.0"])
def test_k8s_namespace_pod_security_restricted__current_version_passes(version):
    props = f.namespace()
    props["metadata"]["labels"][PSA_VERSION] = version
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == []


@pytest.mark.parametrize("version", ["v1.22", "v1.30", "1.33", "v1", "newest", ""])
def test_k8s_namespace_pod_security_restricted__old_or_malformed_version_fails(version):
    props = f.namespace()
    props["metadata"]["labels"][PSA_VERSION] = version
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == [
        f"Namespace ledger label {PSA_VERSION} must be latest or v1.31 or newer."
    ]


def test_k8s_namespace_pod_security_restricted__minimum_version_is_configurable():
    props = f.namespace()
    props["metadata"]["labels"][PSA_VERSION] = "v1.31"
    config = {"minimumPolicyVersion": "v1.33"}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props, config=config) == [
        f"Namespace ledger label {PSA_VERSION} must be latest or v1.33 or newer."
    ]


def test_k8s_namespace_pod_security_restricted__unknown_labels_fail():
    props = f.namespace()
    props["metadata"]["labels"] = UNKNOWN_OBJECT
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == [
        f"Namespace ledger label {PSA} is unknown at preview; it must be restricted as a literal so the policy can "
        "prove it.",
        f"Namespace ledger label {PSA_VERSION} is unknown at preview; it must be latest or v1.31+ as a literal so "
        "the policy can prove it.",
    ]


def test_k8s_namespace_pod_security_restricted__unknown_level_fails():
    props = f.namespace()
    props["metadata"]["labels"][PSA] = UNKNOWN
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == [
        f"Namespace ledger label {PSA} is unknown at preview; it must be restricted as a literal so the policy can "
        "prove it."
    ]


# --- k8s-namespace-default-deny ------------------------------------------------------------------------


def test_k8s_namespace_default_deny__compliant_stack_passes():
    assert check_stack("k8s-namespace-default-deny", f.compliant_stack().resources) == []


def test_k8s_namespace_default_deny__missing_policy_fails():
    resources = f.compliant_stack().without("kube-ledger-default-deny")
    assert check_stack("k8s-namespace-default-deny", resources) == [
        (
            "Namespace ledger must have a default-deny NetworkPolicy "
            "(empty podSelector, policyTypes Ingress and Egress, no rules).",
            urn(f.T_NAMESPACE, "kube-ledger-ns"),
        )
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"spec.podSelector": {"matchLabels": {"app": "api"}}},
        {"spec.policyTypes": ["Ingress"]},
        {"spec.ingress": [{"from": [{"podSelector": {}}]}]},
        {"spec.egress": [{"to": [{"namespaceSelector": {}}]}]},
        {"spec.podSelector": DELETE},
    ],
)
def test_k8s_namespace_default_deny__policy_that_allows_something_does_not_count(changes):
    stack = f.compliant_stack()
    name = "kube-ledger-default-deny"
    resources = stack.replace(name, edit(stack.props(name), changes))
    assert [m for m, _ in check_stack("k8s-namespace-default-deny", resources)] == [
        "Namespace ledger must have a default-deny NetworkPolicy "
        "(empty podSelector, policyTypes Ingress and Egress, no rules)."
    ]


def test_k8s_namespace_default_deny__policy_in_other_namespace_does_not_count():
    stack = f.compliant_stack()
    name = "kube-ledger-default-deny"
    stack.named(name).property_dependencies.clear()
    resources = stack.replace(name, edit(stack.props(name), {"metadata.namespace": "payments"}))
    assert len(check_stack("k8s-namespace-default-deny", resources)) == 1


def test_k8s_namespace_default_deny__unknown_namespace_resolved_through_dependencies():
    stack = f.compliant_stack()
    name = "kube-ledger-default-deny"
    resources = stack.replace(name, edit(stack.props(name), {"metadata.namespace": UNKNOWN}))
    assert check_stack("k8s-namespace-default-deny", resources) == []


def _in_cluster(resource: PolicyResource, region: str) -> PolicyResource:
    """Declare `resource` with the explicit Kubernetes provider of `region`'s cluster."""
    name = f"kube-{region}-provider"
    resource.provider = PolicyProviderResource(
        "pulumi:providers:kubernetes", {}, urn("pulumi:providers:kubernetes", name), name
    )
    return resource


def _two_clusters(*, west_policy: bool = True, east_policy: bool = True) -> list[PolicyResource]:
    """The same `ledger` namespace in two clusters, each with (or without) its own default-deny."""
    resources = []
    for region, with_policy in (("us-east-1", east_policy), ("us-west-2", west_policy)):
        namespace = _in_cluster(f.resource(f.T_NAMESPACE, f"kube-{region}-ledger-ns", f.namespace("ledger")), region)
        resources.append(namespace)
        if with_policy:
            policy = _in_cluster(
                f.resource(f.T_NETPOL, f"kube-{region}-ledger-default-deny", f.default_deny("ledger")), region
            )
            resources.append(policy)
    return resources


def test_k8s_namespace_default_deny__each_cluster_covered_by_its_own_policy_passes():
    assert check_stack("k8s-namespace-default-deny", _two_clusters()) == []


@pytest.mark.parametrize("missing", ["us-east-1", "us-west-2"])
def test_k8s_namespace_default_deny__policy_in_other_cluster_does_not_count(missing):
    resources = _two_clusters(east_policy=missing != "us-east-1", west_policy=missing != "us-west-2")
    assert check_stack("k8s-namespace-default-deny", resources) == [
        (
            "Namespace ledger must have a default-deny NetworkPolicy "
            "(empty podSelector, policyTypes Ingress and Egress, no rules).",
            urn(f.T_NAMESPACE, f"kube-{missing}-ledger-ns"),
        )
    ]


def test_k8s_namespace_default_deny__system_looking_name_is_not_exempt():
    resources = [f.resource(f.T_NAMESPACE, "kube-tools-ns", f.namespace("kube-tools"))]
    assert check_stack("k8s-namespace-default-deny", resources) == [
        (
            "Namespace kube-tools must have a default-deny NetworkPolicy "
            "(empty podSelector, policyTypes Ingress and Egress, no rules).",
            urn(f.T_NAMESPACE, "kube-tools-ns"),
        )
    ]


def test_k8s_namespace_default_deny__namespace_patch_is_not_a_namespace_the_stack_creates():
    resources = [f.resource(f.T_NAMESPACE_PATCH, "kube-system-ns", {"metadata": {"name": "kube-system"}})]
    assert check_stack("k8s-namespace-default-deny", resources) == []


# --- workloads: shared ---------------------------------------------------------------------------------

POD = "spec.template.spec"
C0 = f"{POD}.containers.0"
WORKLOAD_POLICIES = (
    "k8s-workload-no-privilege",
    "k8s-workload-no-host-access",
    "k8s-workload-hardened-security-context",
    "k8s-service-account-token-not-mounted",
    "k8s-workload-not-in-default-namespace",
    "k8s-workload-availability",
)


def _kind(type_: str) -> str:
    return type_.rsplit(":", 1)[-1].removesuffix("Patch")


@pytest.mark.parametrize("policy", WORKLOAD_POLICIES)
@pytest.mark.parametrize("type_", sorted(f.K8S_WORKLOADS))
def test_k8s_workloads__hardened_workload_of_every_kind_passes(policy, type_):
    assert check(policy, type_, f.workload(type_)) == []


@pytest.mark.parametrize("type_", sorted(f.K8S_WORKLOADS))
def test_k8s_workloads__every_kind_and_its_patch_is_checked(type_):
    pod = f.K8S_WORKLOADS[type_]
    for checked in (type_, f"{type_}Patch"):
        props = edit(f.workload(type_), {f"{pod}.containers.0.securityContext.privileged": True})
        assert check("k8s-workload-no-privilege", checked, props) == [
            "Container api securityContext.privileged must not be true."
        ]
        props = edit(f.workload(type_), {f"{pod}.hostPID": True})
        assert check("k8s-workload-no-host-access", checked, props) == [
            f"{_kind(type_)} pod spec hostPID must not be true."
        ]


@pytest.mark.parametrize("policy", WORKLOAD_POLICIES[:4])
def test_k8s_workloads__patch_without_pod_spec_passes(policy):
    # e.g. a DeploymentPatch that only changes labels: no security field changes.
    props = {"metadata": {"name": "api", "namespace": "ledger", "labels": {"team": "ledger"}}}
    assert check(policy, "kubernetes:apps/v1:DeploymentPatch", props) == []


def test_k8s_workloads__patch_with_pod_spec_must_state_hardened_fields():
    # Server-side apply keeps the live values of omitted fields, which the pack cannot see.
    props = {
        "metadata": {"name": "api", "namespace": "ledger"},
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "envoy:1"}]}}},
    }
    found = check("k8s-workload-no-privilege", "kubernetes:apps/v1:DeploymentPatch", props)
    assert found == [
        "Container sidecar securityContext.allowPrivilegeEscalation must be false.",
        "Container sidecar securityContext.runAsNonRoot (or the pod's) must be true.",
        "Container sidecar securityContext.capabilities.drop must include ALL.",
    ]


@pytest.mark.parametrize(
    "type_", ["kubernetes:core/v1:ConfigMap", "kubernetes:apps/v1:ControllerRevision", "kubernetes:yaml:ConfigFile"]
)
def test_k8s_workloads__other_kinds_ignored(type_):
    props = edit(f.workload(), {f"{C0}.securityContext.privileged": True})
    assert check("k8s-workload-no-privilege", type_, props) == []


@pytest.mark.parametrize("policy", WORKLOAD_POLICIES[:4])
def test_k8s_workloads__unknown_pod_spec_fails(policy):
    props = edit(f.workload(), {POD: UNKNOWN_OBJECT})
    assert check(policy, f.T_DEPLOYMENT, props) == [
        "Deployment pod spec is unknown at preview; it must be a pod spec object as a literal so the policy can "
        "prove it."
    ]


def test_k8s_workloads__unknown_container_list_fails():
    props = edit(f.workload(), {f"{POD}.containers": UNKNOWN_ARRAY})
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Deployment pod spec containers is unknown at preview; it must be a list of containers as a literal so "
        "the policy can prove it."
    ]


def test_k8s_workloads__unknown_image_and_name_do_not_matter():
    props = edit(f.workload(), {f"{C0}.image": UNKNOWN, "metadata.name": UNKNOWN})
    for name in WORKLOAD_POLICIES:
        assert check(name, f.T_DEPLOYMENT, props) == [], name


# --- k8s-workload-no-privilege ---------------------------------------------------------------------------

CTX = f"{C0}.securityContext"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({f"{CTX}.privileged": True}, "Container api securityContext.privileged must not be true."),
        ({f"{CTX}.privileged": "true"}, "Container api securityContext.privileged must not be true."),
        (
            {f"{CTX}.allowPrivilegeEscalation": True},
            "Container api securityContext.allowPrivilegeEscalation must be false.",
        ),
        (
            {f"{CTX}.allowPrivilegeEscalation": DELETE},
            "Container api securityContext.allowPrivilegeEscalation must be false.",
        ),
        (
            {f"{POD}.securityContext.runAsNonRoot": False},
            "Container api securityContext.runAsNonRoot (or the pod's) must be true.",
        ),
        (
            {f"{POD}.securityContext.runAsNonRoot": DELETE},
            "Container api securityContext.runAsNonRoot (or the pod's) must be true.",
        ),
        (
            {f"{CTX}.runAsNonRoot": False},
            "Container api securityContext.runAsNonRoot (or the pod's) must be true.",
        ),
        (
            {f"{POD}.securityContext.runAsUser": 0},
            "Container api securityContext.runAsUser (or the pod's) must not be 0.",
        ),
        ({f"{CTX}.runAsUser": 0}, "Container api securityContext.runAsUser (or the pod's) must not be 0."),
        ({f"{CTX}.capabilities": DELETE}, "Container api securityContext.capabilities.drop must include ALL."),
        (
            {f"{CTX}.capabilities.drop": ["NET_RAW"]},
            "Container api securityContext.capabilities.drop must include ALL.",
        ),
        (
            {f"{CTX}.capabilities.add": ["SYS_ADMIN"]},
            "Container api securityContext.capabilities.add must not include SYS_ADMIN.",
        ),
        (
            {f"{CTX}.capabilities.add": ["CAP_SYS_ADMIN"]},
            "Container api securityContext.capabilities.add must not include CAP_SYS_ADMIN.",
        ),
        (
            {f"{CTX}.capabilities.add": ["net_raw"]},
            "Container api securityContext.capabilities.add must not include net_raw.",
        ),
        ({f"{CTX}.capabilities.add": ["ALL"]}, "Container api securityContext.capabilities.add must not include ALL."),
        (
            {f"{CTX}.windowsOptions": {"hostProcess": True}},
            "Container api securityContext.windowsOptions.hostProcess must not be true.",
        ),
        (
            {f"{POD}.securityContext.windowsOptions": {"hostProcess": True}},
            "Deployment pod securityContext.windowsOptions.hostProcess must not be true.",
        ),
        ({f"{CTX}.procMount": "Unmasked"}, "Container api securityContext.procMount must not be Unmasked."),
        (
            {f"{CTX}.appArmorProfile": {"type": "Unconfined"}},
            "Container api securityContext.appArmorProfile.type must not be Unconfined.",
        ),
        (
            {f"{POD}.securityContext.appArmorProfile": {"type": "Unconfined"}},
            "Deployment pod securityContext.appArmorProfile.type must not be Unconfined.",
        ),
    ],
)
def test_k8s_workload_no_privilege__violation(changes, expected):
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, edit(f.workload(), changes)) == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        # The container overrides the pod, both ways.
        {f"{POD}.securityContext.runAsNonRoot": DELETE, f"{CTX}.runAsNonRoot": True},
        {f"{POD}.securityContext.runAsUser": 0, f"{CTX}.runAsUser": 1000},
        {f"{CTX}.capabilities.add": ["NET_BIND_SERVICE"]},
        {f"{CTX}.capabilities.add": ["CAP_NET_BIND_SERVICE"]},
        {f"{POD}.securityContext.runAsUser": DELETE},
    ],
)
def test_k8s_workload_no_privilege__allowed_variants_pass(changes):
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, edit(f.workload(), changes)) == []


def test_k8s_workload_no_privilege__container_runs_as_root_despite_the_pod():
    props = edit(f.workload(), {f"{CTX}.runAsNonRoot": False, f"{CTX}.runAsUser": 0})
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Container api securityContext.runAsNonRoot (or the pod's) must be true.",
        "Container api securityContext.runAsUser (or the pod's) must not be 0.",
    ]


@pytest.mark.parametrize("list_name", ["initContainers", "ephemeralContainers"])
def test_k8s_workload_no_privilege__init_and_ephemeral_containers_checked(list_name):
    container = edit(f.hardened_pod_spec()["containers"][0], {"name": "migrate", "securityContext.privileged": True})
    props = edit(f.workload(), {f"{POD}.{list_name}": [container]})
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Container migrate securityContext.privileged must not be true."
    ]


def test_k8s_workload_no_privilege__second_container_checked():
    sidecar = edit(
        f.hardened_pod_spec()["containers"][0], {"name": "proxy", "securityContext.capabilities.add": ["NET_ADMIN"]}
    )
    props = edit(f.workload(), {f"{POD}.containers": [f.hardened_pod_spec()["containers"][0], sidecar]})
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Container proxy securityContext.capabilities.add must not include NET_ADMIN."
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {f"{CTX}.privileged": UNKNOWN_BOOL},
            "Container api securityContext.privileged is unknown at preview; it must be false as a literal so the "
            "policy can prove it.",
        ),
        (
            {f"{CTX}.allowPrivilegeEscalation": UNKNOWN_BOOL},
            "Container api securityContext.allowPrivilegeEscalation is unknown at preview; it must be false as a "
            "literal so the policy can prove it.",
        ),
        (
            {f"{POD}.securityContext.runAsUser": UNKNOWN_NUMBER},
            "Container api securityContext.runAsUser (or the pod's) is unknown at preview; it must be a non-zero "
            "uid as a literal so the policy can prove it.",
        ),
        (
            {f"{CTX}.capabilities.add": UNKNOWN_ARRAY},
            "Container api securityContext.capabilities.add is unknown at preview; it must be empty or "
            "NET_BIND_SERVICE as a literal so the policy can prove it.",
        ),
        (
            {CTX: UNKNOWN_OBJECT},
            "Container api securityContext is unknown at preview; it must be an object as a literal so the policy "
            "can prove it.",
        ),
    ],
)
def test_k8s_workload_no_privilege__unknown_fails(changes, expected):
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, edit(f.workload(), changes)) == [expected]


# --- k8s-workload-no-host-access ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({f"{POD}.hostNetwork": True}, "Deployment pod spec hostNetwork must not be true."),
        ({f"{POD}.hostPID": True}, "Deployment pod spec hostPID must not be true."),
        ({f"{POD}.hostIPC": True}, "Deployment pod spec hostIPC must not be true."),
        (
            {f"{POD}.volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]},
            "Deployment volume docker must not be a hostPath volume.",
        ),
        (
            {f"{POD}.volumes": [{"name": "root", "hostPath": {"path": "/", "type": "Directory"}}]},
            "Deployment volume root must not be a hostPath volume.",
        ),
        (
            {f"{C0}.ports": [{"containerPort": 8080, "hostPort": 8080}]},
            "Container api ports[0].hostPort must not be set.",
        ),
    ],
)
def test_k8s_workload_no_host_access__violation(changes, expected):
    assert check("k8s-workload-no-host-access", f.T_DEPLOYMENT, edit(f.workload(), changes)) == [expected]


def test_k8s_workload_no_host_access__init_container_host_port_checked():
    init = {"name": "warm", "image": "i", "ports": [{"containerPort": 53, "hostPort": 53}]}
    props = edit(f.workload(), {f"{POD}.initContainers": [init]})
    assert check("k8s-workload-no-host-access", f.T_DEPLOYMENT, props) == [
        "Container warm ports[0].hostPort must not be set."
    ]


@pytest.mark.parametrize(
    "changes", [{f"{POD}.hostNetwork": False}, {f"{C0}.ports": [{"containerPort": 80, "hostPort": 0}]}]
)
def test_k8s_workload_no_host_access__explicitly_off_passes(changes):
    assert check("k8s-workload-no-host-access", f.T_DEPLOYMENT, edit(f.workload(), changes)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {f"{POD}.hostNetwork": UNKNOWN_BOOL},
            "Deployment pod spec hostNetwork is unknown at preview; it must be false as a literal so the policy "
            "can prove it.",
        ),
        (
            {f"{POD}.volumes": UNKNOWN_ARRAY},
            "Deployment pod spec volumes is unknown at preview; it must be a list without hostPath volumes as a "
            "literal so the policy can prove it.",
        ),
        (
            {f"{C0}.ports": [{"containerPort": 80, "hostPort": UNKNOWN_NUMBER}]},
            "Container api ports[0].hostPort is unknown at preview; it must be unset as a literal so the policy "
            "can prove it.",
        ),
    ],
)
def test_k8s_workload_no_host_access__unknown_fails(changes, expected):
    assert check("k8s-workload-no-host-access", f.T_DEPLOYMENT, edit(f.workload(), changes)) == [expected]


# --- k8s-workload-hardened-security-context -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {f"{CTX}.readOnlyRootFilesystem": DELETE},
            "Container api securityContext.readOnlyRootFilesystem must be true.",
        ),
        (
            {f"{CTX}.readOnlyRootFilesystem": False},
            "Container api securityContext.readOnlyRootFilesystem must be true.",
        ),
        (
            {f"{POD}.securityContext.seccompProfile": DELETE},
            "Container api securityContext.seccompProfile.type (or the pod's) must be RuntimeDefault or Localhost.",
        ),
        (
            {f"{POD}.securityContext.seccompProfile.type": "Unconfined"},
            "Container api securityContext.seccompProfile.type (or the pod's) must be RuntimeDefault or Localhost.",
        ),
        (
            {f"{CTX}.seccompProfile": {"type": "Unconfined"}},
            "Container api securityContext.seccompProfile.type (or the pod's) must be RuntimeDefault or Localhost.",
        ),
        (
            {f"{CTX}.readOnlyRootFilesystem": UNKNOWN_BOOL},
            "Container api securityContext.readOnlyRootFilesystem is unknown at preview; it must be true as a "
            "literal so the policy can prove it.",
        ),
    ],
)
def test_k8s_workload_hardened_security_context__violation(changes, expected):
    assert check("k8s-workload-hardened-security-context", f.T_DEPLOYMENT, edit(f.workload(), changes)) == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        {f"{POD}.securityContext.seccompProfile": DELETE, f"{CTX}.seccompProfile": {"type": "RuntimeDefault"}},
        {f"{POD}.securityContext.seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/api.json"}},
    ],
)
def test_k8s_workload_hardened_security_context__container_or_localhost_profile_passes(changes):
    assert check("k8s-workload-hardened-security-context", f.T_DEPLOYMENT, edit(f.workload(), changes)) == []


def test_k8s_workload_hardened_security_context__cronjob_init_container_checked():
    type_ = "kubernetes:batch/v1:CronJob"
    pod = f.K8S_WORKLOADS[type_]
    init = {"name": "fetch", "image": "i", "securityContext": {"readOnlyRootFilesystem": False}}
    props = edit(f.workload(type_), {f"{pod}.initContainers": [init]})
    assert check("k8s-workload-hardened-security-context", type_, props) == [
        "Container fetch securityContext.readOnlyRootFilesystem must be true."
    ]


# --- k8s-service-account-token-not-mounted ---------------------------------------------------------------


@pytest.mark.parametrize("value", [True, DELETE, "true"])
def test_k8s_service_account_token_not_mounted__pod_mounting_token_fails(value):
    props = edit(f.workload(), {f"{POD}.automountServiceAccountToken": value})
    assert check("k8s-service-account-token-not-mounted", f.T_DEPLOYMENT, props) == [
        "Deployment pod spec automountServiceAccountToken must be false."
    ]


def test_k8s_service_account_token_not_mounted__irsa_service_account_passes():
    assert check("k8s-service-account-token-not-mounted", f.T_SERVICE_ACCOUNT, f.k8s_service_account()) == []


@pytest.mark.parametrize("type_", [f.T_SERVICE_ACCOUNT, "kubernetes:core/v1:ServiceAccountPatch"])
@pytest.mark.parametrize("value", [True, DELETE])
def test_k8s_service_account_token_not_mounted__service_account_mounting_token_fails(type_, value):
    # IRSA does not need the API token: the EKS webhook projects its own web identity token.
    props = edit(f.k8s_service_account(), {"automountServiceAccountToken": value})
    assert check("k8s-service-account-token-not-mounted", type_, props) == [
        "ServiceAccount ledger automountServiceAccountToken must be false."
    ]


def test_k8s_service_account_token_not_mounted__unknown_fails():
    props = edit(f.workload(), {f"{POD}.automountServiceAccountToken": UNKNOWN_BOOL})
    assert check("k8s-service-account-token-not-mounted", f.T_DEPLOYMENT, props) == [
        "Deployment pod spec automountServiceAccountToken is unknown at preview; it must be false as a literal so "
        "the policy can prove it."
    ]


# --- k8s-workload-not-in-default-namespace ----------------------------------------------------------------

NAMESPACED = [
    (f.T_DEPLOYMENT, f.workload),
    ("kubernetes:core/v1:Pod", lambda: f.workload("kubernetes:core/v1:Pod")),
    ("kubernetes:apps/v1:DeploymentPatch", f.workload),
    (f.T_SERVICE, f.k8s_service),
    (f.T_SERVICE_ACCOUNT, f.k8s_service_account),
    (f.T_ROLE_K8S, f.k8s_role),
    (f.T_ROLE_BINDING, f.k8s_role_binding),
    (f.T_PDB, f.k8s_pdb),
]


@pytest.mark.parametrize(("type_", "factory"), NAMESPACED)
@pytest.mark.parametrize("namespace", ["default", DELETE])
def test_k8s_workload_not_in_default_namespace__default_or_unset_fails(type_, factory, namespace):
    props = edit(factory(), {"metadata.namespace": namespace})
    assert check("k8s-workload-not-in-default-namespace", type_, props) == [
        f"{_kind(type_)} metadata.namespace must name a workload namespace, not default."
    ]


@pytest.mark.parametrize(("type_", "factory"), NAMESPACED)
def test_k8s_workload_not_in_default_namespace__namespace_output_passes(type_, factory):
    # An unknown namespace is the name output of a Namespace this stack declares.
    props = edit(factory(), {"metadata.namespace": UNKNOWN})
    assert check("k8s-workload-not-in-default-namespace", type_, props) == []


def test_k8s_workload_not_in_default_namespace__provider_namespace_counts():
    props = edit(f.workload(), {"metadata.namespace": DELETE})
    checked = pack_policy("k8s-workload-not-in-default-namespace")
    assert isinstance(checked, ResourceValidationPolicy)
    found: list[str] = []
    for namespace, expected in (
        ("ledger", []),
        ("default", ["Deployment metadata.namespace must name a workload namespace, not default."]),
    ):
        provider = PolicyProviderResource(
            "pulumi:providers:kubernetes", {"namespace": namespace}, urn("pulumi:providers:kubernetes", "k"), "k"
        )
        found.clear()
        checked.validate(
            ResourceValidationArgs(
                f.T_DEPLOYMENT, props, urn(f.T_DEPLOYMENT, "api"), "api", _options(), provider, None
            ),
            lambda message, urn=None: found.append(message),
        )
        assert found == expected


def test_k8s_workload_not_in_default_namespace__hardening_the_default_service_account_is_allowed():
    props = {"metadata": {"name": "default", "namespace": "default"}, "automountServiceAccountToken": False}
    assert check("k8s-workload-not-in-default-namespace", "kubernetes:core/v1:ServiceAccountPatch", props) == []


# --- k8s-service-no-external-exposure -----------------------------------------------------------------------


@pytest.mark.parametrize("type_", [f.T_SERVICE, "kubernetes:core/v1:ServicePatch"])
@pytest.mark.parametrize("service_type", ["ClusterIP", "ExternalName", DELETE])
def test_k8s_service_no_external_exposure__internal_service_passes(type_, service_type):
    props = edit(f.k8s_service(), {"spec.type": service_type})
    assert check("k8s-service-no-external-exposure", type_, props) == []


@pytest.mark.parametrize("type_", [f.T_SERVICE, "kubernetes:core/v1:ServicePatch"])
@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
def test_k8s_service_no_external_exposure__load_balancer_or_node_port_fails(type_, service_type):
    props = edit(f.k8s_service(), {"spec.type": service_type})
    assert check("k8s-service-no-external-exposure", type_, props) == [
        f"Service spec.type must be ClusterIP, not {service_type}."
    ]


def test_k8s_service_no_external_exposure__external_ips_fail():
    props = edit(f.k8s_service(), {"spec.externalIPs": ["203.0.113.10"]})
    assert check("k8s-service-no-external-exposure", f.T_SERVICE, props) == ["Service spec.externalIPs must be empty."]


def test_k8s_service_no_external_exposure__unknown_type_fails():
    props = edit(f.k8s_service(), {"spec.type": UNKNOWN})
    assert check("k8s-service-no-external-exposure", f.T_SERVICE, props) == [
        "Service spec.type is unknown at preview; it must be ClusterIP as a literal so the policy can prove it."
    ]


# --- k8s-rbac-least-privilege ------------------------------------------------------------------------------

RULE = "rules.0"


@pytest.mark.parametrize(
    ("type_", "factory"),
    [(f.T_ROLE_K8S, f.k8s_role), (f.T_CLUSTER_ROLE, f.k8s_role), (f.T_ROLE_BINDING, f.k8s_role_binding)],
)
def test_k8s_rbac_least_privilege__scoped_rbac_passes(type_, factory):
    assert check("k8s-rbac-least-privilege", type_, factory()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({f"{RULE}.verbs": ["*"]}, "Role rules[0].verbs must not include *."),
        ({f"{RULE}.apiGroups": ["*"]}, "Role rules[0].apiGroups must not include *."),
        ({f"{RULE}.resources": ["*"]}, "Role rules[0].resources must not include a * wildcard."),
        ({f"{RULE}.resources": ["*/scale"]}, "Role rules[0].resources must not include a * wildcard."),
        ({f"{RULE}.verbs": ["get", "escalate"]}, "Role rules[0].verbs must not include escalate."),
        ({f"{RULE}.verbs": ["bind"]}, "Role rules[0].verbs must not include bind."),
        ({f"{RULE}.verbs": ["impersonate"]}, "Role rules[0].verbs must not include impersonate."),
        ({f"{RULE}.nonResourceURLs": ["*"]}, "Role rules[0].nonResourceURLs must not include *."),
    ],
)
def test_k8s_rbac_least_privilege__broad_role_fails(changes, expected):
    assert check("k8s-rbac-least-privilege", f.T_ROLE_K8S, edit(f.k8s_role(), changes)) == [expected]


@pytest.mark.parametrize(
    "type_",
    [
        "kubernetes:rbac.authorization.k8s.io/v1:RolePatch",
        "kubernetes:rbac.authorization.k8s.io/v1beta1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1alpha1:Role",
    ],
)
def test_k8s_rbac_least_privilege__every_version_and_patch_checked(type_):
    props = edit(f.k8s_role(), {f"{RULE}.verbs": ["*"]})
    assert check("k8s-rbac-least-privilege", type_, props) == ["Role rules[0].verbs must not include *."]


@pytest.mark.parametrize("verbs", [["get"], ["list"], ["watch"], ["*"]])
def test_k8s_rbac_least_privilege__cluster_role_reading_secrets_fails(verbs):
    rule = {"apiGroups": [""], "resources": ["secrets"], "verbs": verbs}
    props = edit(f.k8s_role(), {RULE: rule})
    found = check("k8s-rbac-least-privilege", f.T_CLUSTER_ROLE, props)
    assert "ClusterRole rules[0] must not read secrets cluster-wide." in found


@pytest.mark.parametrize(
    ("resource", "verbs", "shown"),
    [
        ("pods/exec", ["create"], "create"),
        ("pods/exec", ["get"], "get"),
        ("pods/attach", ["create"], "create"),
        ("nodes/proxy", ["get"], "get"),
        ("serviceaccounts/token", ["create"], "create"),
        ("rolebindings", ["create", "update"], "create, update"),
        ("clusterroles", ["patch"], "patch"),
        ("validatingwebhookconfigurations", ["delete"], "delete"),
        ("mutatingwebhookconfigurations", ["update"], "update"),
        ("validatingadmissionpolicies", ["patch"], "patch"),
        ("certificatesigningrequests/approval", ["update"], "update"),
        ("signers", ["approve"], "approve"),
    ],
)
def test_k8s_rbac_least_privilege__escalation_path_fails(resource, verbs, shown):
    props = edit(
        f.k8s_role(), {RULE: {"apiGroups": ["", "rbac.authorization.k8s.io"], "resources": [resource], "verbs": verbs}}
    )
    assert check("k8s-rbac-least-privilege", f.T_ROLE_K8S, props) == [
        f"Role rules[0] must not grant {shown} on {resource}."
    ]


@pytest.mark.parametrize(
    ("resource", "verbs"),
    [("pods", ["get", "list"]), ("pods/log", ["get"]), ("rolebindings", ["get", "list", "delete"]), ("nodes", ["get"])],
)
def test_k8s_rbac_least_privilege__harmless_grants_pass(resource, verbs):
    props = edit(f.k8s_role(), {RULE: {"apiGroups": [""], "resources": [resource], "verbs": verbs}})
    assert check("k8s-rbac-least-privilege", f.T_ROLE_K8S, props) == []


def test_k8s_rbac_least_privilege__namespaced_role_may_read_its_secrets():
    props = edit(f.k8s_role(), {RULE: {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}})
    assert check("k8s-rbac-least-privilege", f.T_ROLE_K8S, props) == []


@pytest.mark.parametrize(
    ("type_", "changes", "expected"),
    [
        (f.T_ROLE_BINDING, {"roleRef.name": "cluster-admin"}, "RoleBinding roleRef must not be cluster-admin."),
        (
            f.T_CLUSTER_ROLE_BINDING,
            {"roleRef.name": "cluster-admin"},
            "ClusterRoleBinding roleRef must not be cluster-admin.",
        ),
        (f.T_CLUSTER_ROLE_BINDING, {"roleRef.name": "edit"}, "ClusterRoleBinding roleRef must not be edit."),
        (
            f.T_ROLE_BINDING,
            {"subjects.0": {"kind": "Group", "name": "system:anonymous"}},
            "RoleBinding must not bind Group system:anonymous.",
        ),
        (
            f.T_ROLE_BINDING,
            {"subjects.0": {"kind": "User", "name": "system:anonymous"}},
            "RoleBinding must not bind User system:anonymous.",
        ),
        (
            f.T_CLUSTER_ROLE_BINDING,
            {"subjects.0": {"kind": "Group", "name": "system:unauthenticated"}},
            "ClusterRoleBinding must not bind Group system:unauthenticated.",
        ),
        (
            f.T_ROLE_BINDING,
            {"subjects.0": {"kind": "Group", "name": "system:authenticated"}},
            "RoleBinding must not bind Group system:authenticated.",
        ),
        (
            f.T_ROLE_BINDING,
            {"subjects.0": {"kind": "Group", "name": "system:masters"}},
            "RoleBinding must not bind Group system:masters.",
        ),
    ],
)
def test_k8s_rbac_least_privilege__broad_binding_fails(type_, changes, expected):
    assert check("k8s-rbac-least-privilege", type_, edit(f.k8s_role_binding(), changes)) == [expected]


def test_k8s_rbac_least_privilege__role_name_output_passes():
    props = edit(f.k8s_role_binding(), {"roleRef.name": UNKNOWN})
    assert check("k8s-rbac-least-privilege", f.T_ROLE_BINDING, props) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (
            f.T_ROLE_K8S,
            edit(f.k8s_role(), {f"{RULE}.verbs": UNKNOWN_ARRAY}),
            "Role rules[0].verbs is unknown at preview; it must be a literal list as a literal so the policy can "
            "prove it.",
        ),
        (
            f.T_ROLE_K8S,
            edit(f.k8s_role(), {"rules": UNKNOWN_ARRAY}),
            "Role rules is unknown at preview; it must be a literal list as a literal so the policy can prove it.",
        ),
        (
            f.T_ROLE_BINDING,
            edit(f.k8s_role_binding(), {"subjects": UNKNOWN_ARRAY}),
            "RoleBinding subjects is unknown at preview; it must be a literal list as a literal so the policy can "
            "prove it.",
        ),
    ],
)
def test_k8s_rbac_least_privilege__unknown_fails(type_, props, expected):
    assert check("k8s-rbac-least-privilege", type_, props) == [expected]


# --- k8s-workload-availability ------------------------------------------------------------------------------


@pytest.mark.parametrize("replicas", [0, 1, 2, DELETE])
def test_k8s_workload_availability__too_few_replicas_fail(replicas):
    props = edit(f.workload(), {"spec.replicas": replicas})
    assert check("k8s-workload-availability", f.T_DEPLOYMENT, props) == ["Deployment spec.replicas must be at least 3."]


def test_k8s_workload_availability__minimum_is_configurable():
    props = edit(f.workload(), {"spec.replicas": 2})
    assert check("k8s-workload-availability", f.T_DEPLOYMENT, props, config={"minimumReplicas": 2}) == []


def test_k8s_workload_availability__patch_leaving_replicas_alone_passes():
    props: dict[str, Any] = {
        "metadata": {"name": "api", "namespace": "ledger"},
        "spec": {"template": {"spec": f.hardened_pod_spec()}},
    }
    assert check("k8s-workload-availability", "kubernetes:apps/v1:DeploymentPatch", props) == []
    props["spec"]["replicas"] = 1
    assert check("k8s-workload-availability", "kubernetes:apps/v1:DeploymentPatch", props) == [
        "Deployment spec.replicas must be at least 3."
    ]


@pytest.mark.parametrize(
    ("min_replicas", "expected"),
    [
        (3, []),
        (1, ["HorizontalPodAutoscaler spec.minReplicas must be at least 3."]),
        (DELETE, ["HorizontalPodAutoscaler spec.minReplicas must be at least 3."]),
    ],
)
def test_k8s_workload_availability__autoscaler_minimum(min_replicas, expected):
    props = edit(
        {"metadata": {"name": "api", "namespace": "ledger"}, "spec": {"maxReplicas": 10}},
        {"spec.minReplicas": min_replicas},
    )
    assert check("k8s-workload-availability", f.T_HPA, props) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"spec.maxUnavailable": 0},
            "PodDisruptionBudget spec.maxUnavailable must allow at least one voluntary eviction, not 0.",
        ),
        (
            {"spec.maxUnavailable": "0%"},
            "PodDisruptionBudget spec.maxUnavailable must allow at least one voluntary eviction, not 0%.",
        ),
        (
            {"spec.maxUnavailable": DELETE, "spec.minAvailable": "100%"},
            "PodDisruptionBudget spec.minAvailable must allow at least one voluntary eviction, not 100%.",
        ),
    ],
)
def test_k8s_workload_availability__blocking_disruption_budget_fails(changes, expected):
    assert check("k8s-workload-availability", f.T_PDB, edit(f.k8s_pdb(), changes)) == [expected]


@pytest.mark.parametrize(
    "changes", [{"spec.maxUnavailable": "25%"}, {"spec.maxUnavailable": DELETE, "spec.minAvailable": 2}]
)
def test_k8s_workload_availability__disruption_budget_allowing_evictions_passes(changes):
    assert check("k8s-workload-availability", f.T_PDB, edit(f.k8s_pdb(), changes)) == []


def test_k8s_workload_availability__unknown_replicas_fail():
    props = edit(f.workload(), {"spec.replicas": UNKNOWN_NUMBER})
    assert check("k8s-workload-availability", f.T_DEPLOYMENT, props) == [
        "Deployment spec.replicas is unknown at preview; it must be at least 3 as a literal so the policy can prove it."
    ]


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_k8s_namespace_pod_security_restricted__stack_pin_meets_the_configured_minimum(stack):
    # KubeBaseline pins enforce-version to the cluster's minor version: it must stay admissible.
    root = Path(__file__).resolve().parents[2]
    version = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())["config"]["finstack:eks"]["version"]
    entry = json.loads((root / "policy" / f"config.{stack}.json").read_text())["k8s-namespace-pod-security-restricted"]
    config = entry if isinstance(entry, dict) else None
    props = f.namespace()
    props["metadata"]["labels"].update(pod_security_labels(version))
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props, config=config) == []
