"""Kubernetes policies."""

from __future__ import annotations

import pytest
from pulumi_policy import PolicyProviderResource, PolicyResource

from tests.policy import factories as f
from tests.policy.helpers import DELETE, UNKNOWN, UNKNOWN_BOOL, UNKNOWN_OBJECT, check, check_stack, edit, urn

PSA = "pod-security.kubernetes.io/enforce"

# --- k8s-namespace-pod-security-restricted ---------------------------------------------------------


def test_k8s_namespace_pod_security_restricted__restricted_namespace_passes():
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, f.namespace()) == []


@pytest.mark.parametrize("labels", [{PSA: "baseline"}, {}, None])
def test_k8s_namespace_pod_security_restricted__weaker_level_fails(labels):
    props = f.namespace()
    props["metadata"]["labels"] = labels
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == [
        f"Namespace ledger must carry label {PSA}=restricted."
    ]


def test_k8s_namespace_pod_security_restricted__system_namespaces_exempt():
    props = {"metadata": {"name": "kube-system", "labels": {}}}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props) == []


def test_k8s_namespace_pod_security_restricted__autonamed_namespace_uses_logical_name():
    props = {"metadata": {"labels": {PSA: "privileged"}}}
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props, name="kube-payments") == []
    assert check("k8s-namespace-pod-security-restricted", f.T_NAMESPACE, props, name="payments") == [
        f"Namespace payments must carry label {PSA}=restricted."
    ]


def test_k8s_namespace_pod_security_restricted__unknown_labels_fail():
    props = f.namespace()
    props["metadata"]["labels"] = UNKNOWN_OBJECT
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


# --- k8s-workload-no-privilege ---------------------------------------------------------------------------

POD = "spec.template.spec"


def test_k8s_workload_no_privilege__restricted_deployment_passes():
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, f.deployment()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({f"{POD}.hostNetwork": True}, "Deployment pod spec hostNetwork must not be true."),
        ({f"{POD}.hostPID": True}, "Deployment pod spec hostPID must not be true."),
        ({f"{POD}.hostIPC": True}, "Deployment pod spec hostIPC must not be true."),
        ({f"{POD}.securityContext.runAsUser": 0}, "Deployment pod securityContext.runAsUser must not be 0."),
        (
            {f"{POD}.securityContext.runAsNonRoot": False},
            "Deployment pod securityContext.runAsNonRoot must not be false.",
        ),
        (
            {f"{POD}.containers.0.securityContext.privileged": True},
            "Container api securityContext.privileged must not be true.",
        ),
        (
            {f"{POD}.containers.0.securityContext.allowPrivilegeEscalation": True},
            "Container api securityContext.allowPrivilegeEscalation must not be true.",
        ),
        (
            {f"{POD}.containers.0.securityContext.runAsUser": 0},
            "Container api securityContext.runAsUser must not be 0.",
        ),
        (
            {f"{POD}.containers.0.securityContext.runAsNonRoot": False},
            "Container api securityContext.runAsNonRoot must not be false.",
        ),
    ],
)
def test_k8s_workload_no_privilege__violation(changes, expected):
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, edit(f.deployment(), changes)) == [expected]


def test_k8s_workload_no_privilege__init_container_checked():
    props = edit(
        f.deployment(),
        {f"{POD}.initContainers": [{"name": "migrate", "image": "migrate:1", "securityContext": {"privileged": True}}]},
    )
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Container migrate securityContext.privileged must not be true."
    ]


@pytest.mark.parametrize(
    ("type_", "path"),
    [
        ("kubernetes:core/v1:Pod", "spec"),
        ("kubernetes:apps/v1:StatefulSet", "spec.template.spec"),
        ("kubernetes:apps/v1:DaemonSet", "spec.template.spec"),
        ("kubernetes:batch/v1:Job", "spec.template.spec"),
        ("kubernetes:batch/v1:CronJob", "spec.jobTemplate.spec.template.spec"),
    ],
)
def test_k8s_workload_no_privilege__every_workload_kind_checked(type_, path):
    pod = {"hostNetwork": True, "containers": [{"name": "c", "image": "i"}]}
    props = edit({}, {path: pod})
    kind = type_.rsplit(":", 1)[-1]
    assert check("k8s-workload-no-privilege", type_, props) == [f"{kind} pod spec hostNetwork must not be true."]


def test_k8s_workload_no_privilege__unknown_flag_fails():
    props = edit(f.deployment(), {f"{POD}.containers.0.securityContext.privileged": UNKNOWN_BOOL})
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Container api securityContext.privileged is unknown at preview; it must be false as a literal so the "
        "policy can prove it."
    ]


def test_k8s_workload_no_privilege__unknown_pod_spec_fails():
    props = edit(f.deployment(), {POD: UNKNOWN_OBJECT})
    assert check("k8s-workload-no-privilege", f.T_DEPLOYMENT, props) == [
        "Deployment pod spec is unknown at preview; it must be a pod spec object as a literal so the policy can "
        "prove it."
    ]
