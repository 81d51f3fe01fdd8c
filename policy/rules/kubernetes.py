"""Kubernetes: workload namespaces are locked down, and no declared workload escapes its sandbox.

The rules see what the stack declares through pulumi-kubernetes (namespaces, network policies,
workloads, Helm v4 children). Pod security fields are literals: unknown values fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    Compliance,
    StackView,
    as_list,
    get,
    is_false,
    is_true,
    is_unknown,
    plain,
    resource_policy,
    stack_policy,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "kubernetes"

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PSA_LABEL = "pod-security.kubernetes.io/enforce"
PSA_LEVEL = "restricted"
SYSTEM_PREFIX = "kube-"

# Workload type -> path of its pod spec.
POD_SPEC_PATHS = {
    "kubernetes:core/v1:Pod": "spec",
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
}
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

WORKLOAD_ISOLATION = Compliance(pci=("2.2.1", "1.3.1"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",))


def namespace_name(props: Mapping[str, Any], logical_name: str) -> str:
    """metadata.name, else the logical name (Pulumi autonames from it)."""
    name = get(props, "metadata.name")
    return name if isinstance(name, str) and not is_unknown(name) else logical_name


def _is_workload_namespace(name: str) -> bool:
    return not name.startswith(SYSTEM_PREFIX)


def _namespace_psa(args: ResourceValidationArgs, report: Report) -> None:
    """Workload namespaces enforce the restricted Pod Security Standard."""
    if args.resource_type != NAMESPACE:
        return
    props = plain(args.props)
    name = namespace_name(props, args.name)
    if not _is_workload_namespace(name):
        return
    labels = get(props, "metadata.labels")
    # The label key holds dots, so it is looked up directly rather than through get().
    level = labels.get(PSA_LABEL) if isinstance(labels, Mapping) else labels if is_unknown(labels) else None
    if is_unknown(level):
        report(unknown_message(f"Namespace {name} label {PSA_LABEL}", PSA_LEVEL))
    elif level != PSA_LEVEL:
        report(f"Namespace {name} must carry label {PSA_LABEL}={PSA_LEVEL}.")


def _is_default_deny(props: Mapping[str, Any]) -> bool:
    spec = get(props, "spec")
    if not isinstance(spec, Mapping):
        return False
    selector = spec.get("podSelector")
    if not isinstance(selector, Mapping) or selector.get("matchLabels") or selector.get("matchExpressions"):
        return False
    types = as_list(spec.get("policyTypes"))
    return {"Ingress", "Egress"} <= set(types) and not as_list(spec.get("ingress")) and not as_list(spec.get("egress"))


def _cluster_of(resource: PolicyResource) -> str | None:
    """The Kubernetes provider a resource is declared with: which cluster it lives in.

    Namespace names repeat across a stack's clusters (every cell has a `ledger`), so a
    NetworkPolicy only covers the namespace of that name in its own cluster.
    """
    return resource.provider.urn if resource.provider is not None else None


def _policy_namespace(
    view: StackView, policy: PolicyResource, namespaces: list[PolicyResource]
) -> list[PolicyResource]:
    declared = get(view.props(policy), "metadata.namespace")
    cluster = _cluster_of(policy)
    found = [n for n in namespaces if namespace_name(view.props(n), n.name) == declared and _cluster_of(n) == cluster]
    return found or [n for n in view.references(policy, "metadata", (NAMESPACE,)) if n in namespaces]


def _namespace_default_deny(args: StackValidationArgs, report: Report) -> None:
    """Every workload namespace has a default-deny NetworkPolicy for ingress and egress."""
    view = StackView(args.resources)
    namespaces = [n for n in view.of_type(NAMESPACE) if _is_workload_namespace(namespace_name(view.props(n), n.name))]
    covered: set[str] = set()
    for policy in view.of_type(NETWORK_POLICY):
        if _is_default_deny(view.props(policy)):
            covered.update(n.urn for n in _policy_namespace(view, policy, namespaces))
    for namespace in namespaces:
        if namespace.urn not in covered:
            name = namespace_name(view.props(namespace), namespace.name)
            report(
                f"Namespace {name} must have a default-deny NetworkPolicy "
                "(empty podSelector, policyTypes Ingress and Egress, no rules).",
                namespace.urn,
            )


# A forbidden value: how messages show it, how to recognise it, and what to set instead.
Forbidden = tuple[str, Callable[[Any], bool], str]
TRUE: Forbidden = ("true", is_true, "false")
FALSE: Forbidden = ("false", is_false, "true")
ROOT_UID: Forbidden = ("0", lambda v: not isinstance(v, bool) and v == 0, "a non-zero uid")


def _check_flag(value: Any, subject: str, forbidden: Forbidden, report: Report) -> None:
    """Report `subject` when `value` is unknown or is the forbidden literal."""
    shown, matches, safe = forbidden
    if is_unknown(value):
        report(unknown_message(subject, safe))
    elif value is not None and matches(value):
        report(f"{subject} must not be {shown}.")


def _workload_hardened(args: ResourceValidationArgs, report: Report) -> None:
    """Workloads run unprivileged, as non-root, outside the node's namespaces."""
    if args.resource_type not in POD_SPEC_PATHS:
        return
    kind = args.resource_type.rsplit(":", 1)[-1]
    spec = get(plain(args.props), POD_SPEC_PATHS[args.resource_type])
    if is_unknown(spec):
        report(unknown_message(f"{kind} pod spec", "a pod spec object"))
        return
    if not isinstance(spec, Mapping):
        return
    for field in HOST_NAMESPACES:
        _check_flag(spec.get(field), f"{kind} pod spec {field}", TRUE, report)
    _check_flag(get(spec, "securityContext.runAsUser"), f"{kind} pod securityContext.runAsUser", ROOT_UID, report)
    _check_flag(get(spec, "securityContext.runAsNonRoot"), f"{kind} pod securityContext.runAsNonRoot", FALSE, report)
    for list_name in CONTAINER_LISTS:
        for container in as_list(spec.get(list_name)):
            if not isinstance(container, Mapping):
                continue
            subject = f"Container {container.get('name') or '?'} securityContext"
            context = container.get("securityContext")
            _check_flag(get(context, "privileged"), f"{subject}.privileged", TRUE, report)
            _check_flag(get(context, "allowPrivilegeEscalation"), f"{subject}.allowPrivilegeEscalation", TRUE, report)
            _check_flag(get(context, "runAsUser"), f"{subject}.runAsUser", ROOT_UID, report)
            _check_flag(get(context, "runAsNonRoot"), f"{subject}.runAsNonRoot", FALSE, report)


POLICIES = [
    resource_policy(
        name="k8s-namespace-pod-security-restricted",
        description="Workload namespaces must enforce the restricted Pod Security Standard.",
        validate=_namespace_psa,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=WORKLOAD_ISOLATION,
        remediation=f"Label the namespace {PSA_LABEL}={PSA_LEVEL} (KubeBaseline does for finstack:namespaces).",
    ),
    stack_policy(
        name="k8s-namespace-default-deny",
        description="Every workload namespace must have a default-deny NetworkPolicy for ingress and egress.",
        validate=_namespace_default_deny,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("1.3.1", "1.3.2"), soc2=("CC6.6",), gdpr=("art32",)),
        remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress]; then allow flows.",
    ),
    resource_policy(
        name="k8s-workload-no-privilege",
        description="Workloads must not run privileged, as root, or in the node's network, PID or IPC namespace.",
        validate=_workload_hardened,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=WORKLOAD_ISOLATION,
        remediation="Set runAsNonRoot: true, allowPrivilegeEscalation: false and drop host namespaces.",
    ),
]
