"""The zero-trust Kubernetes baseline of one cell's cluster.

One namespace per bounded context, each admitting only `restricted` pods, denying all traffic
by default, bounded by a quota, and with one service account whose IAM role (IRSA) holds
exactly that context's grants. Everything goes through an explicit Kubernetes provider.

Where the objects are applied from (docs/in-cluster.md): a private-only EKS endpoint answers
only inside its VPC, so the platform program never talks to it. With `manifest_dir` set (what
`infra/program.py` does), the provider renders every object to that directory
(`renderYamlToDirectory`) and the cell's `ClusterRunner`, inside the VPC, applies them. Without
it, the provider applies them live through a kubeconfig built from the cluster's outputs, which
works only from where the endpoint is reachable.

Past the default deny, each namespace may send only what its IRSA design needs: DNS to
CoreDNS, and (when the cell's tier CIDRs are given) TCP to Aurora (5432) and MSK (9098, IAM
auth) in the data tier and to the AWS APIs' interface endpoints (443). Ingress stays denied:
which callers reach a workload is the owning app team's decision, declared in its own
NetworkPolicies next to the workload, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.eks_policies import (
    DR_SCALER_GROUP,
    DR_SCALER_ROLE,
    EgressAllow,
    Grant,
    NamespaceQuota,
    check_grants,
    default_namespace_grants,
    dr_scaler_rules,
    egress_allows,
    irsa_trust_policy,
    kubeconfig,
    partition_of,
    pod_security_labels,
    render_grants,
)
from components.naming import cell_tags

IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
# Regional STS for IRSA: a cell must keep minting credentials when another region is down.
IRSA_REGIONAL_STS_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints"
CONTEXT_LABEL = "finstack/context"
STORAGE_CLASS = "gp3-encrypted"


def service_account_name(namespace: str) -> str:
    """The workload service account of a bounded context: named after its namespace."""
    return namespace


@dataclass(frozen=True)
class KubeBaselineArgs:
    """Wiring from the cell's `EksCluster` plus the namespaces and their IAM grants."""

    region: str
    cluster_name: pulumi.Input[str]
    endpoint: pulumi.Input[str]
    certificate_authority: pulumi.Input[str]
    namespaces: tuple[str, ...]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    account_id: pulumi.Input[str]
    # The cluster's minor version: pins the Pod Security Admission policy version.
    kubernetes_version: str
    # Role `aws eks get-token` assumes for the provider (the cluster has no creator admin);
    # None uses the deployer's own identity, which then needs an access entry.
    auth_role_arn: str | None = None
    # Namespace -> grants of its workload role; None = `default_namespace_grants(namespaces)`.
    grants: Mapping[str, tuple[Grant, ...]] | None = None
    # The cell's MSK cluster name in the grants' Kafka ARNs; `*` = any cluster of this
    # account and region (topics stay scoped to the namespace's prefix).
    kafka_cluster_name: str = "*"
    # The cell's `data` key: when set, a default gp3 StorageClass encrypts volumes with it.
    ebs_key_arn: pulumi.Input[str] | None = None
    quota: NamespaceQuota = field(default_factory=NamespaceQuota)
    # The cell's data-tier subnet CIDRs (Aurora and MSK), e.g. "10.20.160.0/21", from
    # `subnet_plan.tier_cidrs(cidr, azs, "data")`. Every namespace gets egress allows to them on
    # 5432 and 9098 only. () = no Aurora or Kafka allow is declared (pods cannot reach them).
    data_cidrs: tuple[str, ...] = ()
    # The cell's endpoints-tier subnet CIDRs (interface VPC endpoints: STS for IRSA, KMS, ...),
    # from `tier_cidrs(cidr, azs, "endpoints")`. Egress allowed on 443 only. () = no such allow.
    endpoint_cidrs: tuple[str, ...] = ()
    # Render the objects to this directory (relative to the project directory, where the engine
    # runs the provider) instead of applying them: the cell's runner applies them from inside the
    # VPC. None = apply live through the cluster's kubeconfig (reachable endpoints only).
    manifest_dir: str | None = None


class KubeBaseline(pulumi.ComponentResource):
    """Namespaces, admission labels, network policies, quotas and IRSA service accounts of a cell."""

    provider: k8s.Provider
    """The cluster's Kubernetes provider, for anything else deployed into this cluster."""
    namespace_names: list[pulumi.Output[str]]
    """The bounded-context namespaces, in config order."""
    workload_role_arns: dict[str, pulumi.Output[str]]
    """Namespace -> ARN of its workload service account's IAM role."""

    def __init__(self, name: str, args: KubeBaselineArgs, opts: pulumi.ResourceOptions | None = None):
        # Refuse a wildcard or misplaced grant before declaring anything.
        grants = dict(default_namespace_grants(args.namespaces) if args.grants is None else args.grants)
        strangers = sorted(set(grants) - set(args.namespaces))
        if strangers:
            raise ValueError(f"kube baseline: grants for {', '.join(strangers)}, which is not in namespaces")
        for namespace, namespace_grants in grants.items():
            check_grants(namespace, namespace_grants)
        # Refuse an open (0.0.0.0/0) or malformed egress CIDR the same way.
        self._egress_allows = egress_allows(args.data_cidrs, args.endpoint_cidrs)
        super().__init__("finstack:kubernetes:KubeBaseline", name, None, opts)

        self._args = args
        self._name = name
        self._tags = cell_tags(args.region)
        self.provider = self._create_provider()
        self.namespace_names = []
        self.workload_role_arns = {}
        for namespace in args.namespaces:
            ns = self._create_namespace(namespace)
            ns_name = ns.metadata.apply(lambda m: m.name or "")
            self._create_network_policies(namespace, ns, ns_name)
            self._create_quota(namespace, ns, ns_name)
            role = self._create_workload_role(namespace, grants.get(namespace, ()))
            self._create_service_accounts(namespace, ns, ns_name, role)
            self._create_dr_scaler_binding(namespace, ns, ns_name)
            self.namespace_names.append(ns_name)
            self.workload_role_arns[namespace] = role.arn
        if args.ebs_key_arn is not None:
            self._create_storage_class(args.ebs_key_arn)
        self.register_outputs(
            {
                "provider": self.provider,
                "namespace_names": self.namespace_names,
                "workload_role_arns": self.workload_role_arns,
            }
        )

    # -- provider -------------------------------------------------------------------------------
    def _create_provider(self) -> k8s.Provider:
        args = self._args
        if args.manifest_dir is not None:
            # Render mode contacts no cluster, so `up`, `refresh` and `destroy` of these objects
            # work from outside the VPC; the runner applies the rendered files from inside it.
            # https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/#renderyamltodirectory
            return k8s.Provider(
                f"{self._name}-provider",
                render_yaml_to_directory=args.manifest_dir,
                cluster_identifier=args.cluster_name,
                enable_server_side_apply=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
        config = pulumi.Output.all(args.cluster_name, args.endpoint, args.certificate_authority).apply(
            lambda v: kubeconfig(v[0], v[1], v[2], args.region, args.auth_role_arn)
        )
        return k8s.Provider(
            f"{self._name}-provider",
            kubeconfig=config,
            # Replace the provider (and so every object) only if the cluster itself changes,
            # not when the endpoint, CA or the assumed role in the kubeconfig change.
            cluster_identifier=args.cluster_name,
            # Needed for the `default` service account patch; the default, stated on purpose.
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _opts(self, parent: pulumi.Resource | None = None) -> pulumi.ResourceOptions:
        """Every Kubernetes object names the cell's provider explicitly."""
        return pulumi.ResourceOptions(parent=parent or self, provider=self.provider)

    # -- namespaces -----------------------------------------------------------------------------
    def _create_namespace(self, namespace: str) -> k8s.core.v1.Namespace:
        """The context's namespace, admitting only pods that meet the `restricted` standard."""
        return k8s.core.v1.Namespace(
            f"{self._name}-{namespace}-namespace",
            # A fixed name, not autonamed: IRSA trust conditions and RBAC refer to it.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=namespace,
                labels={**pod_security_labels(self._args.kubernetes_version), CONTEXT_LABEL: namespace},
            ),
            opts=self._opts(),
        )

    def _create_network_policies(self, namespace: str, ns: k8s.core.v1.Namespace, ns_name: pulumi.Output[str]) -> None:
        """Deny every packet in and out, then allow DNS to CoreDNS and the cell's data and endpoints.

        Enforced by the VPC CNI's network policy agent (turned on by `EksCluster`). Policies are
        additive: each allow opens exactly its ports to its CIDRs and leaves the rest denied.
        Ingress (the workload's callers) is allowed by the app team's own policies.
        """
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{namespace}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=ns_name),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress", "Egress"],
            ),
            opts=self._opts(ns),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{namespace}-allow-dns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-dns", namespace=ns_name),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            # One peer with both selectors: kube-dns pods *in* kube-system.
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": "kube-system"}
                                ),
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
                            )
                        ],
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=53),
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=53),
                        ],
                    )
                ],
            ),
            opts=self._opts(ns),
        )
        for allow in self._egress_allows:
            self._create_egress_allow(namespace, ns, ns_name, allow)

    def _create_egress_allow(
        self, namespace: str, ns: k8s.core.v1.Namespace, ns_name: pulumi.Output[str], allow: EgressAllow
    ) -> k8s.networking.v1.NetworkPolicy:
        """Every pod of the namespace may open TCP connections to `allow.ports` on `allow.cidrs`."""
        return k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{namespace}-allow-{allow.purpose}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"allow-{allow.purpose}", namespace=ns_name, annotations={"finstack/why": allow.why}
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
                            for cidr in allow.cidrs
                        ],
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port) for port in allow.ports
                        ],
                    )
                ],
            ),
            opts=self._opts(ns),
        )

    def _create_quota(self, namespace: str, ns: k8s.core.v1.Namespace, ns_name: pulumi.Output[str]) -> None:
        """Bound the context's share of the cell, and give containers default requests and limits."""
        quota = self._args.quota
        k8s.core.v1.ResourceQuota(
            f"{self._name}-{namespace}-quota",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="context-quota", namespace=ns_name),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(
                hard={
                    "requests.cpu": quota.requests_cpu,
                    "requests.memory": quota.requests_memory,
                    "limits.cpu": quota.limits_cpu,
                    "limits.memory": quota.limits_memory,
                    "pods": quota.pods,
                    "persistentvolumeclaims": quota.persistent_volume_claims,
                    "requests.storage": quota.requests_storage,
                    "services.nodeports": quota.node_ports,
                }
            ),
            opts=self._opts(ns),
        )
        k8s.core.v1.LimitRange(
            f"{self._name}-{namespace}-limits",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="container-limits", namespace=ns_name),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={"cpu": quota.default_request_cpu, "memory": quota.default_request_memory},
                        default={"cpu": quota.default_limit_cpu, "memory": quota.default_limit_memory},
                        max={"cpu": quota.max_cpu, "memory": quota.max_memory},
                    )
                ]
            ),
            opts=self._opts(ns),
        )

    # -- identities -----------------------------------------------------------------------------
    def _create_workload_role(self, namespace: str, grants: tuple[Grant, ...]) -> aws.iam.Role:
        """The IAM role only this namespace's workload service account can assume (IRSA)."""
        args = self._args
        account = service_account_name(namespace)
        role = aws.iam.Role(
            f"{self._name}-{namespace}-role",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
                lambda v: irsa_trust_policy(v[0], v[1], namespace, account)
            ),
            description=f"Workloads of {namespace} in cell {args.region} (IRSA {namespace}/{account})",
            tags=cell_tags(args.region, context=namespace),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if grants:
            aws.iam.RolePolicy(
                f"{self._name}-{namespace}-role-policy",
                role=role.name,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account_id: render_grants(
                        grants,
                        partition=partition_of(args.region),
                        region=args.region,
                        account=account_id,
                        namespace=namespace,
                        kafka_cluster=args.kafka_cluster_name,
                    )
                ),
                opts=pulumi.ResourceOptions(parent=role),
            )
        return role

    def _create_service_accounts(
        self, namespace: str, ns: k8s.core.v1.Namespace, ns_name: pulumi.Output[str], role: aws.iam.Role
    ) -> None:
        """The workload service account bound to its IAM role; the `default` one gets no API token."""
        k8s.core.v1.ServiceAccount(
            f"{self._name}-{namespace}-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=service_account_name(namespace),
                namespace=ns_name,
                annotations={IRSA_ROLE_ANNOTATION: role.arn, IRSA_REGIONAL_STS_ANNOTATION: "true"},
            ),
            # Workloads talk to AWS, not to the Kubernetes API. The IRSA web identity token is
            # a separate projected volume, so this does not affect AWS credentials.
            automount_service_account_token=False,
            opts=self._opts(ns),
        )
        # A server-side apply: it works whether or not the service account controller has
        # created `default` yet, and owns only this one field.
        k8s.core.v1.ServiceAccountPatch(
            f"{self._name}-{namespace}-default-service-account",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(name="default", namespace=ns_name),
            automount_service_account_token=False,
            opts=self._opts(ns),
        )

    def _create_dr_scaler_binding(self, namespace: str, ns: k8s.core.v1.Namespace, ns_name: pulumi.Output[str]) -> None:
        """Let the DR automation role's group list and scale this namespace's workloads, nothing more."""
        role = k8s.rbac.v1.Role(
            f"{self._name}-{namespace}-dr-scaler-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DR_SCALER_ROLE, namespace=ns_name),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"])
                for r in dr_scaler_rules()
            ],
            opts=self._opts(ns),
        )
        k8s.rbac.v1.RoleBinding(
            f"{self._name}-{namespace}-dr-scaler-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DR_SCALER_ROLE, namespace=ns_name),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.apply(lambda m: m.name or "")
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=DR_SCALER_GROUP)
            ],
            opts=self._opts(ns),
        )

    # -- storage --------------------------------------------------------------------------------
    def _create_storage_class(self, key_arn: pulumi.Input[str]) -> None:
        """The default StorageClass: gp3 volumes encrypted with the cell's data key."""
        k8s.storage.v1.StorageClass(
            f"{self._name}-storage-class",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=STORAGE_CLASS, annotations={"storageclass.kubernetes.io/is-default-class": "true"}
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": key_arn},
            # Bind where the pod lands (EBS volumes are zonal); keep the volume if a claim is
            # deleted by mistake: data is released by an operator, not by a kubectl typo.
            volume_binding_mode="WaitForFirstConsumer",
            reclaim_policy="Retain",
            allow_volume_expansion=True,
            opts=self._opts(),
        )
