"""Kubernetes: workload namespaces are locked down, and no declared workload escapes its sandbox.

The rules see what the stack declares through pulumi-kubernetes: namespaces, network policies,
RBAC, services, and every kind that carries a pod spec (Pod, PodTemplate, Deployment,
StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, in any API version),
including their server-side-apply `...Patch` types. Children of `kubernetes:yaml` ConfigFile /
ConfigGroup, `kustomize` Directory and Helm `Chart` components are registered as ordinary
resources, so they are checked; a Helm v3 `Release` is one opaque resource whose rendered
manifests the pack never sees (see policy/README.md "Kubernetes").

Security fields of a pod spec are literals: unknown values fail. Names, images and namespace
references may be outputs of other resources and are not read, or count as present.

Patches: server-side apply merges the fields a patch leaves out from the live object, which the
pack cannot see. A patch that declares no pod spec changes no security field and passes; a
patch that declares one is checked like a full object, so it must state the hardened values
itself (a forbidden value it sets always fails).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    Compliance,
    Setting,
    StackView,
    as_list,
    get,
    is_false,
    is_true,
    is_unknown,
    plain,
    resource_policy,
    settings,
    stack_policy,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "kubernetes"

NAMESPACE = "kubernetes:core/v1:Namespace"
NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PSA_LABEL = "pod-security.kubernetes.io/enforce"
PSA_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"
PSA_LEVEL = "restricted"
PATCH = "Patch"

# Kind -> path of its pod spec, for the API groups that define these kinds (core, apps, batch
# and the removed extensions/v1beta1), in every version pulumi-kubernetes ships.
POD_SPEC_PATHS = {
    "Pod": "spec",
    "PodTemplate": "template.spec",
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "ReplicationController": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}
WORKLOAD_GROUPS = ("core", "apps", "batch", "extensions")
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

# Linux capabilities a container may add: binding ports below 1024 only, as the restricted
# Pod Security Standard allows (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
SECCOMP_CONFINED = ("RuntimeDefault", "Localhost")

WORKLOAD_ISOLATION = Compliance(pci=("2.2.6", "2.2.1"), soc2=("CC6.1", "CC6.8"), gdpr=("art32",))


def _type_parts(resource_type: str) -> tuple[str, str, bool] | None:
    """(API group, kind, is a patch) of a `kubernetes:<group>/<version>:<Kind>` type token."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    kind = parts[2]
    is_patch = kind.endswith(PATCH)
    return parts[1].split("/", 1)[0], kind.removesuffix(PATCH) if is_patch else kind, is_patch


def _is_kind(resource_type: str, group: str, *kinds: str) -> bool:
    parts = _type_parts(resource_type)
    return parts is not None and parts[0] == group and parts[1] in kinds


def _workload(resource_type: str) -> tuple[str, str, bool] | None:
    """(kind, pod spec path, is a patch) of a pod-spec-carrying type, else None."""
    parts = _type_parts(resource_type)
    if parts is None or parts[0] not in WORKLOAD_GROUPS or parts[1] not in POD_SPEC_PATHS:
        return None
    return parts[1], POD_SPEC_PATHS[parts[1]], parts[2]


def namespace_name(props: Mapping[str, Any], logical_name: str) -> str:
    """metadata.name, else the logical name (Pulumi autonames from it)."""
    name = get(props, "metadata.name")
    return name if isinstance(name, str) and not is_unknown(name) else logical_name


def _label(props: Mapping[str, Any], key: str) -> Any:
    """A label value; the label keys hold dots, so they are looked up directly rather than through get()."""
    labels = get(props, "metadata.labels")
    if is_unknown(labels):
        return labels
    return labels.get(key) if isinstance(labels, Mapping) else None


# --- namespaces ----------------------------------------------------------------------------

PSA_SETTINGS = {
    # The oldest Pod Security Admission policy version a namespace may pin. An old pin keeps the
    # `restricted` checks of that release; kept at the oldest EKS version in standard support.
    "minimumPolicyVersion": Setting({"type": "string", "pattern": r"^v\d+\.\d+$", "default": "v1.31"}),
}
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


def _version_ok(value: str, minimum: str) -> bool:
    if value == "latest":
        return True
    found, floor = _VERSION.match(value), _VERSION.match(minimum)
    if not found or not floor:
        return False
    return (int(found[1]), int(found[2])) >= (int(floor[1]), int(floor[2]))


def _namespace_psa(args: ResourceValidationArgs, report: Report) -> None:
    """Every namespace the stack declares enforces the restricted Pod Security Standard.

    No name is exempt: the stack creates only its own namespaces (kube-system and the other
    system namespaces exist before it and are not declared). A NamespacePatch of an existing
    namespace that does not state the label leaves it unchanged; one that states it must state
    `restricted`.
    """
    if args.resource_type not in (NAMESPACE, NAMESPACE_PATCH):
        return
    props = plain(args.props)
    name = namespace_name(props, args.name)
    is_patch = args.resource_type == NAMESPACE_PATCH
    level = _label(props, PSA_LABEL)
    if is_unknown(level):
        report(unknown_message(f"Namespace {name} label {PSA_LABEL}", PSA_LEVEL))
    elif level != PSA_LEVEL and not (is_patch and level is None):
        report(f"Namespace {name} must carry label {PSA_LABEL}={PSA_LEVEL}.")
    minimum = settings(args, PSA_SETTINGS)["minimumPolicyVersion"]
    version = _label(props, PSA_VERSION_LABEL)
    if is_unknown(version):
        report(unknown_message(f"Namespace {name} label {PSA_VERSION_LABEL}", f"latest or {minimum}+"))
    elif version is not None and not (isinstance(version, str) and _version_ok(version, minimum)):
        report(f"Namespace {name} label {PSA_VERSION_LABEL} must be latest or {minimum} or newer.")


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
    """Every namespace the stack creates (no name exempt) has a default-deny NetworkPolicy."""
    view = StackView(args.resources)
    namespaces = view.of_type(NAMESPACE)
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


# --- pod specs -------------------------------------------------------------------------------

# A forbidden value: how messages show it, how to recognise it, and what to set instead.
Forbidden = tuple[str, Callable[[Any], bool], str]
TRUE: Forbidden = ("true", is_true, "false")
ROOT_UID: Forbidden = ("0", lambda v: not isinstance(v, bool) and v == 0, "a non-zero uid")
UNMASKED: Forbidden = ("Unmasked", lambda v: v == "Unmasked", "Default")
UNCONFINED: Forbidden = ("Unconfined", lambda v: v == "Unconfined", "RuntimeDefault or Localhost")


def _check_flag(value: Any, subject: str, forbidden: Forbidden, report: Report) -> None:
    """Report `subject` when `value` is unknown or is the forbidden literal."""
    shown, matches, safe = forbidden
    if is_unknown(value):
        report(unknown_message(subject, safe))
    elif value is not None and matches(value):
        report(f"{subject} must not be {shown}.")


def _require(value: Any, subject: str, wanted: str, ok: Callable[[Any], bool], report: Report) -> None:
    """Report `subject` unless `value` is the required literal (unset and unknown fail)."""
    if is_unknown(value):
        report(unknown_message(subject, wanted))
    elif not ok(value):
        report(f"{subject} must be {wanted}.")


class PodSpec:
    """The pod spec of one workload resource, and its containers."""

    def __init__(self, kind: str, spec: Mapping[str, Any]):
        self.kind = kind
        self.spec = spec

    def field(self, name: str) -> Any:
        """A pod spec field (None when unset)."""
        return self.spec.get(name)

    def context(self, report: Report) -> Mapping[str, Any]:
        """The pod securityContext ({} when unset; an unknown one is reported)."""
        context = self.spec.get("securityContext")
        if is_unknown(context):
            report(unknown_message(f"{self.kind} pod securityContext", "an object"))
        return context if isinstance(context, Mapping) else {}

    def containers(self, report: Report) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
        """(name, container, its securityContext) of every container, init and ephemeral included."""
        for list_name in CONTAINER_LISTS:
            listed = self.spec.get(list_name)
            if is_unknown(listed):
                report(unknown_message(f"{self.kind} pod spec {list_name}", "a list of containers"))
                continue
            for container in as_list(listed):
                if is_unknown(container):
                    report(unknown_message(f"{self.kind} pod spec {list_name} entry", "a container object"))
                    continue
                if not isinstance(container, Mapping):
                    continue
                name = container.get("name")
                shown = name if isinstance(name, str) and not is_unknown(name) else "?"
                context = container.get("securityContext")
                if is_unknown(context):
                    report(unknown_message(f"Container {shown} securityContext", "an object"))
                    continue
                yield shown, container, context if isinstance(context, Mapping) else {}


def _pod_spec(args: ResourceValidationArgs, report: Report) -> PodSpec | None:
    """The resource's pod spec, or None for other types, patches without one, and unknown specs (reported)."""
    workload = _workload(args.resource_type)
    if workload is None:
        return None
    kind, path, _ = workload
    spec = get(plain(args.props), path)
    if is_unknown(spec):
        report(unknown_message(f"{kind} pod spec", "a pod spec object"))
        return None
    return PodSpec(kind, spec) if isinstance(spec, Mapping) else None


def _effective(container_context: Mapping[str, Any], pod_context: Mapping[str, Any], path: str) -> Any:
    """A container securityContext field, else the pod's (Kubernetes: the container's value wins)."""
    value = get(container_context, path)
    return value if value is not None else get(pod_context, path)


def _capability(value: str) -> str:
    """`cap_sys_admin` and `SYS_ADMIN` name the same capability to the container runtime."""
    return value.upper().removeprefix("CAP_")


def _check_capabilities(subject: str, context: Mapping[str, Any], report: Report) -> None:
    capabilities = context.get("capabilities")
    if is_unknown(capabilities):
        report(unknown_message(f"{subject}.capabilities", "an object dropping ALL"))
        return
    drop = get(capabilities, "drop")
    if is_unknown(drop) or any(is_unknown(d) for d in as_list(drop)):
        report(unknown_message(f"{subject}.capabilities.drop", "a list including ALL"))
    elif "ALL" not in as_list(drop):
        # Exactly "ALL", the spelling the restricted standard checks.
        report(f"{subject}.capabilities.drop must include ALL.")
    add = get(capabilities, "add")
    if is_unknown(add):
        report(unknown_message(f"{subject}.capabilities.add", "empty or NET_BIND_SERVICE"))
        return
    for added in as_list(add):
        if is_unknown(added):
            report(unknown_message(f"{subject}.capabilities.add entry", "NET_BIND_SERVICE"))
        elif not isinstance(added, str) or _capability(added) not in ALLOWED_ADDED_CAPABILITIES:
            report(f"{subject}.capabilities.add must not include {added}.")


def _workload_no_privilege(args: ResourceValidationArgs, report: Report) -> None:
    """Containers run unprivileged, without privilege escalation, as non-root, with no added capability."""
    pod = _pod_spec(args, report)
    if pod is None:
        return
    pod_context = pod.context(report)
    _check_flag(
        get(pod_context, "windowsOptions.hostProcess"),
        f"{pod.kind} pod securityContext.windowsOptions.hostProcess",
        TRUE,
        report,
    )
    _check_flag(
        get(pod_context, "appArmorProfile.type"),
        f"{pod.kind} pod securityContext.appArmorProfile.type",
        UNCONFINED,
        report,
    )
    for name, _, context in pod.containers(report):
        subject = f"Container {name} securityContext"
        _check_flag(context.get("privileged"), f"{subject}.privileged", TRUE, report)
        _check_flag(get(context, "windowsOptions.hostProcess"), f"{subject}.windowsOptions.hostProcess", TRUE, report)
        # The restricted and baseline standards forbid both: an unmasked /proc and no AppArmor confinement.
        _check_flag(context.get("procMount"), f"{subject}.procMount", UNMASKED, report)
        _check_flag(get(context, "appArmorProfile.type"), f"{subject}.appArmorProfile.type", UNCONFINED, report)
        # Unset means allowed: the kubelet lets a process gain privileges unless this is false.
        _require(
            context.get("allowPrivilegeEscalation"), f"{subject}.allowPrivilegeEscalation", "false", is_false, report
        )
        _require(
            _effective(context, pod_context, "runAsNonRoot"),
            f"{subject}.runAsNonRoot (or the pod's)",
            "true",
            is_true,
            report,
        )
        _check_flag(
            _effective(context, pod_context, "runAsUser"), f"{subject}.runAsUser (or the pod's)", ROOT_UID, report
        )
        _check_capabilities(subject, context, report)


def _workload_no_host_access(args: ResourceValidationArgs, report: Report) -> None:
    """Pods stay out of the node's namespaces, filesystem and ports."""
    pod = _pod_spec(args, report)
    if pod is None:
        return
    for field in HOST_NAMESPACES:
        _check_flag(pod.field(field), f"{pod.kind} pod spec {field}", TRUE, report)
    volumes = pod.field("volumes")
    if is_unknown(volumes):
        report(unknown_message(f"{pod.kind} pod spec volumes", "a list without hostPath volumes"))
    for index, volume in enumerate(as_list(volumes) if not is_unknown(volumes) else []):
        if is_unknown(volume):
            report(unknown_message(f"{pod.kind} volume {index}", "a volume object without hostPath"))
        elif isinstance(volume, Mapping) and volume.get("hostPath") is not None:
            shown = volume.get("name") if isinstance(volume.get("name"), str) else index
            report(f"{pod.kind} volume {shown} must not be a hostPath volume.")
    for name, container, _ in pod.containers(report):
        ports = container.get("ports")
        if is_unknown(ports):
            report(unknown_message(f"Container {name} ports", "a list without hostPort"))
            continue
        for index, port in enumerate(as_list(ports)):
            host_port = get(port, "hostPort")
            if is_unknown(host_port):
                report(unknown_message(f"Container {name} ports[{index}].hostPort", "unset"))
            elif host_port not in (None, 0):
                report(f"Container {name} ports[{index}].hostPort must not be set.")


def _workload_hardened(args: ResourceValidationArgs, report: Report) -> None:
    """Containers have a read-only root filesystem and a confining seccomp profile."""
    pod = _pod_spec(args, report)
    if pod is None:
        return
    pod_context = pod.context(report)
    for name, _, context in pod.containers(report):
        subject = f"Container {name} securityContext"
        _require(context.get("readOnlyRootFilesystem"), f"{subject}.readOnlyRootFilesystem", "true", is_true, report)
        _require(
            _effective(context, pod_context, "seccompProfile.type"),
            f"{subject}.seccompProfile.type (or the pod's)",
            " or ".join(SECCOMP_CONFINED),
            lambda v: v in SECCOMP_CONFINED,
            report,
        )


SERVICE_ACCOUNT = ("ServiceAccount",)


def _service_account_token(args: ResourceValidationArgs, report: Report) -> None:
    """Pods and service accounts do not mount a Kubernetes API token.

    IRSA does not need it: the EKS pod identity webhook projects its own web identity token
    (`/var/run/secrets/eks.amazonaws.com/serviceaccount/token`), whatever this flag says. A
    workload that calls the Kubernetes API is a documented exception: a waiver.
    """
    if _is_kind(args.resource_type, "core", *SERVICE_ACCOUNT):
        props = plain(args.props)
        name = namespace_name(props, args.name)
        _require(
            props.get("automountServiceAccountToken"),
            f"ServiceAccount {name} automountServiceAccountToken",
            "false",
            is_false,
            report,
        )
        return
    pod = _pod_spec(args, report)
    if pod is None:
        return
    _require(
        pod.field("automountServiceAccountToken"),
        f"{pod.kind} pod spec automountServiceAccountToken",
        "false",
        is_false,
        report,
    )


# Namespaced kinds whose objects must not land in `default`: every pod-spec kind plus these.
# ServiceAccountPatch is left out on purpose: turning off `default/default`'s token is hardening.
NAMESPACED_KINDS = {
    "core": ("Service", "ServiceAccount", "ConfigMap", "Secret"),
    "rbac.authorization.k8s.io": ("Role", "RoleBinding"),
    "policy": ("PodDisruptionBudget",),
}
DEFAULT_NAMESPACE = "default"


def _provider_namespace(args: ResourceValidationArgs) -> Any:
    """The `namespace` a Kubernetes provider puts objects without one in (None when unset)."""
    provider = args.provider
    if provider is None or provider.resource_type != "pulumi:providers:kubernetes":
        return None
    return (plain(provider.props) or {}).get("namespace")


def _not_in_default_namespace(args: ResourceValidationArgs, report: Report) -> None:
    """Workloads and their objects live in a bounded-context namespace, never `default`."""
    parts = _type_parts(args.resource_type)
    if parts is None:
        return
    group, kind, is_patch = parts
    listed = _workload(args.resource_type) is not None or (
        kind in NAMESPACED_KINDS.get(group, ()) and not (is_patch and kind == "ServiceAccount")
    )
    if not listed:
        return
    namespace = get(plain(args.props), "metadata.namespace")
    if namespace is None:
        # Unset: the provider's `namespace`, else the kubeconfig context's, else `default`.
        namespace = _provider_namespace(args) or DEFAULT_NAMESPACE
    # Unknown: the name output of a Namespace this stack declares (present); that Namespace is
    # itself held to the restricted standard and a default-deny policy.
    if not is_unknown(namespace) and namespace in ("", DEFAULT_NAMESPACE):
        report(f"{kind} metadata.namespace must name a workload namespace, not {DEFAULT_NAMESPACE}.")


def _service_no_external_exposure(args: ResourceValidationArgs, report: Report) -> None:
    """Services stay inside the cluster: ingress comes through the managed ALB in `ip` target mode."""
    if not _is_kind(args.resource_type, "core", "Service"):
        return
    spec = get(plain(args.props), "spec")
    if is_unknown(spec):
        report(unknown_message("Service spec", "an object with type ClusterIP"))
        return
    type_ = get(spec, "type")
    if is_unknown(type_):
        report(unknown_message("Service spec.type", "ClusterIP"))
    elif type_ in ("LoadBalancer", "NodePort"):
        report(f"Service spec.type must be ClusterIP, not {type_}.")
    external = get(spec, "externalIPs")
    if is_unknown(external):
        report(unknown_message("Service spec.externalIPs", "empty"))
    elif as_list(external):
        report("Service spec.externalIPs must be empty.")


# --- RBAC --------------------------------------------------------------------------------------

RBAC_GROUP = "rbac.authorization.k8s.io"
# Verbs that let a holder grant or assume more than it holds (Kubernetes RBAC good practices,
# https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks).
ESCALATING_VERBS = ("bind", "escalate", "impersonate")
READ_VERBS = ("get", "list", "watch", "*")
WRITE_VERBS = ("create", "update", "patch", "*")
ANY_VERB = ("*", "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# Subresources and objects whose grant is a privilege escalation or switches a control off, with
# the verbs that do it (Kubernetes RBAC good practices, "Privilege escalation risks"; the peer
# checks CKV_K8S_155/156 and KSV-0050/0053 flag the same grants).
SENSITIVE_GRANTS: dict[str, tuple[str, ...]] = {
    # A shell in any pod of the namespace (websocket exec uses get).
    "pods/exec": ("create", "get", "*"),
    "pods/attach": ("create", "get", "*"),
    # The kubelet API of every node.
    "nodes/proxy": ANY_VERB,
    # Minting a token for any service account of the namespace.
    "serviceaccounts/token": ("create", "*"),
    # Writing RBAC objects (bounded only by escalate/bind checks the API server does per request).
    "roles": WRITE_VERBS,
    "rolebindings": WRITE_VERBS,
    "clusterroles": WRITE_VERBS,
    "clusterrolebindings": WRITE_VERBS,
    # Admission control: rewriting or removing a webhook or policy switches the checks off.
    "mutatingwebhookconfigurations": (*WRITE_VERBS, "delete", "deletecollection"),
    "validatingwebhookconfigurations": (*WRITE_VERBS, "delete", "deletecollection"),
    "validatingadmissionpolicies": (*WRITE_VERBS, "delete", "deletecollection"),
    "validatingadmissionpolicybindings": (*WRITE_VERBS, "delete", "deletecollection"),
    # Approving certificate requests: client certificates for any identity.
    "certificatesigningrequests/approval": ("update", "patch", "*"),
    "signers": ("approve", "*"),
}
# Built-in roles that must never be bound: cluster-admin anywhere; admin/edit cluster-wide.
BROAD_ROLES = {"RoleBinding": ("cluster-admin",), "ClusterRoleBinding": ("cluster-admin", "admin", "edit")}
# Subjects that stand for everyone, or bypass authorization (`system:masters`).
EVERYONE = ("system:anonymous", "system:unauthenticated", "system:authenticated", "system:masters")


def _strings_or_unknown(value: Any, subject: str, report: Report) -> list[str] | None:
    """The list's strings, or None after reporting an unknown list or entry."""
    if is_unknown(value) or any(is_unknown(v) for v in as_list(value)):
        report(unknown_message(subject, "a literal list"))
        return None
    return [v for v in as_list(value) if isinstance(v, str)]


def _check_rule(kind: str, index: int, rule: Any, report: Report) -> None:
    subject = f"{kind} rules[{index}]"
    if is_unknown(rule):
        report(unknown_message(subject, "a literal rule"))
        return
    if not isinstance(rule, Mapping):
        return
    verbs = _strings_or_unknown(rule.get("verbs"), f"{subject}.verbs", report)
    resources = _strings_or_unknown(rule.get("resources"), f"{subject}.resources", report)
    groups = _strings_or_unknown(rule.get("apiGroups"), f"{subject}.apiGroups", report)
    urls = _strings_or_unknown(rule.get("nonResourceURLs"), f"{subject}.nonResourceURLs", report)
    for field, values in (("verbs", verbs), ("apiGroups", groups), ("nonResourceURLs", urls)):
        if values is not None and "*" in values:
            report(f"{subject}.{field} must not include *.")
    if resources is not None and any(r.startswith("*") for r in resources):
        report(f"{subject}.resources must not include a * wildcard.")
    for verb in ESCALATING_VERBS:
        if verbs is not None and verb in verbs:
            report(f"{subject}.verbs must not include {verb}.")
    reads_secrets = (
        verbs is not None
        and resources is not None
        and groups is not None
        and any(v in READ_VERBS for v in verbs)
        and any(r == "secrets" or r.startswith("*") for r in resources)
        and any(g in ("", "*") for g in groups)
    )
    if kind == "ClusterRole" and reads_secrets:
        report(f"{subject} must not read secrets cluster-wide.")
    for resource in resources or []:
        granted = [v for v in verbs or [] if v in SENSITIVE_GRANTS.get(resource, ())]
        if granted:
            report(f"{subject} must not grant {', '.join(granted)} on {resource}.")


def _check_binding(kind: str, props: Mapping[str, Any], report: Report) -> None:
    role = get(props, "roleRef.name")
    # Unknown: the name output of a Role this stack declares (present), checked on its own.
    if isinstance(role, str) and not is_unknown(role) and role in BROAD_ROLES[kind]:
        report(f"{kind} roleRef must not be {role}.")
    subjects = props.get("subjects")
    if is_unknown(subjects):
        report(unknown_message(f"{kind} subjects", "a literal list"))
        return
    for index, subject in enumerate(as_list(subjects)):
        if is_unknown(subject):
            report(unknown_message(f"{kind} subjects[{index}]", "a literal subject"))
        elif isinstance(subject, Mapping) and subject.get("name") in EVERYONE:
            report(f"{kind} must not bind {subject.get('kind') or 'subject'} {subject.get('name')}.")


def _rbac_least_privilege(args: ResourceValidationArgs, report: Report) -> None:
    """Roles grant no wildcard or escalating verbs; bindings give no one broad roles or everyone access."""
    parts = _type_parts(args.resource_type)
    if parts is None or parts[0] != RBAC_GROUP:
        return
    kind = parts[1]
    props = plain(args.props)
    if kind in ("Role", "ClusterRole"):
        rules = props.get("rules")
        if is_unknown(rules):
            report(unknown_message(f"{kind} rules", "a literal list"))
            return
        for index, rule in enumerate(as_list(rules)):
            _check_rule(kind, index, rule, report)
    elif kind in BROAD_ROLES:
        _check_binding(kind, props, report)


# --- availability ------------------------------------------------------------------------------

AVAILABILITY_SETTINGS = {
    # One replica per Availability Zone of a cell (3 in prod): losing a zone leaves capacity.
    "minimumReplicas": Setting({"type": "integer", "minimum": 1, "default": 3}),
}


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _workload_availability(args: ResourceValidationArgs, report: Report) -> None:
    """Deployments and their autoscalers keep enough replicas; disruption budgets allow voluntary evictions."""
    parts = _type_parts(args.resource_type)
    if parts is None:
        return
    group, kind, is_patch = parts
    props = plain(args.props)
    minimum = settings(args, AVAILABILITY_SETTINGS)["minimumReplicas"]
    if (group, kind) in (
        ("apps", "Deployment"),
        ("extensions", "Deployment"),
        ("autoscaling", "HorizontalPodAutoscaler"),
    ):
        field = "spec.replicas" if kind == "Deployment" else "spec.minReplicas"
        value = get(props, field)
        if is_unknown(value):
            report(unknown_message(f"{kind} {field}", f"at least {minimum}"))
        elif value is None and is_patch:
            return  # the patch leaves the live count alone
        elif not _is_count(value) or value < minimum:
            # Unset is 1 for both.
            report(f"{kind} {field} must be at least {minimum}.")
    elif (group, kind) == ("policy", "PodDisruptionBudget"):
        for field, blocking in (("spec.maxUnavailable", (0, "0%")), ("spec.minAvailable", ("100%",))):
            value = get(props, field)
            if is_unknown(value):
                report(unknown_message(f"PodDisruptionBudget {field}", "a literal that allows an eviction"))
            elif value is not None and value in blocking:
                report(f"PodDisruptionBudget {field} must allow at least one voluntary eviction, not {value}.")


# --- the policies ------------------------------------------------------------------------------

POLICIES = [
    resource_policy(
        name="k8s-namespace-pod-security-restricted",
        description="Every namespace the stack declares must enforce the restricted Pod Security Standard.",
        validate=_namespace_psa,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=WORKLOAD_ISOLATION.with_controls("K8S-PSA-RESTRICTED"),
        remediation=(
            f"Label the namespace {PSA_LABEL}={PSA_LEVEL} and pin {PSA_VERSION_LABEL} to latest or a supported "
            "version (KubeBaseline does for finstack:namespaces)."
        ),
        config=PSA_SETTINGS,
    ),
    stack_policy(
        name="k8s-namespace-default-deny",
        description="Every namespace the stack declares must have a default-deny NetworkPolicy for ingress and egress.",
        validate=_namespace_default_deny,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("1.3.1", "1.3.2"), soc2=("CC6.6",), gdpr=("art32",), controls=("K8S-NETPOL-DEFAULT-DENY",)
        ),
        remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress]; then allow flows.",
    ),
    resource_policy(
        name="k8s-workload-no-privilege",
        description=(
            "Containers must not run privileged, escalate privileges, run as root or add capabilities beyond "
            "NET_BIND_SERVICE."
        ),
        validate=_workload_no_privilege,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=WORKLOAD_ISOLATION.with_controls(
            "K8S-NO-PRIVILEGED", "K8S-NO-PRIV-ESC", "K8S-NON-ROOT", "K8S-CAPABILITIES"
        ),
        remediation=(
            "Set privileged: false, allowPrivilegeEscalation: false, runAsNonRoot: true with a non-zero runAsUser, "
            "and capabilities.drop: [ALL] (add at most NET_BIND_SERVICE) on every container; leave procMount and "
            "AppArmor at their defaults."
        ),
    ),
    resource_policy(
        name="k8s-workload-no-host-access",
        description="Pods must not use the node's network, PID or IPC namespace, hostPath volumes or host ports.",
        validate=_workload_no_host_access,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(
            pci=("2.2.6", "1.3.1"), soc2=("CC6.1", "CC6.6"), gdpr=("art32",), controls=("K8S-NO-HOST-NS",)
        ),
        remediation="Drop hostNetwork/hostPID/hostIPC, hostPath volumes and hostPort; use PVCs and Services.",
    ),
    resource_policy(
        name="k8s-workload-hardened-security-context",
        description=(
            "Containers must have a read-only root filesystem and a RuntimeDefault or Localhost seccomp profile."
        ),
        validate=_workload_hardened,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=WORKLOAD_ISOLATION.with_controls("K8S-RO-ROOTFS", "K8S-SECCOMP"),
        remediation=(
            "Set readOnlyRootFilesystem: true (mount an emptyDir for scratch space) and "
            "seccompProfile.type: RuntimeDefault on the pod or each container."
        ),
    ),
    resource_policy(
        name="k8s-service-account-token-not-mounted",
        description="Pods and service accounts must not automount a Kubernetes API token.",
        validate=_service_account_token,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("7.2.1", "7.2.2"), soc2=("CC6.1", "CC6.3"), gdpr=("art25", "art32"), controls=("K8S-SA-TOKEN",)
        ),
        remediation=(
            "Set automountServiceAccountToken: false on the pod spec and the ServiceAccount (IRSA keeps working); "
            "a workload that calls the Kubernetes API needs a waiver naming why."
        ),
    ),
    resource_policy(
        name="k8s-workload-not-in-default-namespace",
        description=(
            "Workloads, services, service accounts and RBAC objects must not be placed in the default namespace."
        ),
        validate=_not_in_default_namespace,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(
            pci=("2.2.1", "1.3.1"), soc2=("CC6.1",), gdpr=("art32",), controls=("K8S-NO-DEFAULT-NS",)
        ),
        remediation="Set metadata.namespace to the bounded context's namespace (KubeBaseline.namespace_names).",
    ),
    resource_policy(
        name="k8s-service-no-external-exposure",
        description="Services must not be of type LoadBalancer or NodePort or carry externalIPs.",
        validate=_service_no_external_exposure,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("1.4.1", "1.3.1"), soc2=("CC6.6",), gdpr=("art32",), controls=("K8S-NO-LB-SERVICE",)
        ),
        remediation=(
            "Use a ClusterIP Service behind an Ingress for the AWS Load Balancer Controller with "
            "alb.ingress.kubernetes.io/target-type: ip."
        ),
    ),
    resource_policy(
        name="k8s-rbac-least-privilege",
        description=(
            "RBAC roles must not grant wildcards, bind, escalate, impersonate, cluster-wide secret reads or other "
            "escalation paths, and bindings must not grant broad roles or everyone."
        ),
        validate=_rbac_least_privilege,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(
            pci=("7.2.1", "7.2.2"), soc2=("CC6.1", "CC6.3"), gdpr=("art25", "art32"), controls=("K8S-RBAC",)
        ),
        remediation=(
            "List the exact apiGroups, resources and verbs the subject needs; bind named groups or service "
            "accounts, never system:anonymous, system:(un)authenticated or system:masters, nor cluster-admin."
        ),
    ),
    resource_policy(
        name="k8s-workload-availability",
        description=(
            "Deployments and their autoscalers must keep the minimum replica count, and disruption budgets must "
            "allow voluntary evictions."
        ),
        validate=_workload_availability,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(
            pci=("12.10.1",), soc2=("A1.2",), gdpr=("art32",), controls=("K8S-AVAILABILITY",), dora=("art11",)
        ),
        remediation=(
            "Set replicas (or the HPA's minReplicas) to at least minimumReplicas, spread across zones; give PDBs "
            "maxUnavailable >= 1 or minAvailable below 100%."
        ),
        config=AVAILABILITY_SETTINGS,
    ),
]
