"""One EKS cluster per cell: private API, envelope-encrypted secrets, IMDSv2-only encrypted nodes.

The cluster lives in the cell's app subnets with the network's `app` security group; access is
by EKS access entries only (no aws-auth ConfigMap, no implicit creator admin). Pure rules and
IAM documents live in `components/eks_policies.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.eks_policies import (
    ADDONS_BEFORE_NODES,
    ADMIN_ACCESS_POLICY,
    CLUSTER_MANAGED_POLICIES,
    CONTROL_PLANE_LOG_TYPES,
    DR_SCALER_GROUP,
    EBS_CSI_ADDON,
    EBS_CSI_MANAGED_POLICY,
    EBS_CSI_SERVICE_ACCOUNT,
    IMDS_HOP_LIMIT,
    NODE_MANAGED_POLICIES,
    POD_IDENTITY_ADDON,
    REGION_SWITCH_SCALING_POLICY,
    STS_AUDIENCE,
    VIEW_ACCESS_POLICY,
    EndpointAccess,
    access_policy_arn,
    addon_configuration,
    ami_type,
    check_addons,
    ebs_kms_policy,
    endpoint_access,
    managed_policy_arn,
    partition_of,
    pod_identity_trust_policy,
    service_trust_policy,
)
from components.naming import cell_tags

# Root volume of the EKS-optimised AL2023 AMIs.
ROOT_DEVICE = "/dev/xvda"


def cluster_name_of(environment: str, region: str) -> str:
    """Physical cluster name, `finstack-<env>-<region>`: stable, drills and runbooks reference it."""
    return f"finstack-{environment}-{region}"


@dataclass(frozen=True)
class EksClusterArgs:
    """Settings (from `config.eks`) and wiring (from the cell's network and keys) of one cluster."""

    region: str
    environment: str
    version: str
    node_instance_types: tuple[str, ...]
    node_min_size: int
    node_desired_size: int
    node_max_size: int
    node_disk_gib: int
    # Empty: private endpoint only. Never allowed in prod, never 0.0.0.0/0.
    public_access_cidrs: tuple[str, ...]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    app_sg_id: pulumi.Input[str]
    # The cell region's `secrets`, `data` and `logs` keys.
    secrets_key_arn: pulumi.Input[str]
    ebs_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    admin_role_arn: str | None
    readonly_role_arn: str | None
    dr_role_arn: pulumi.Input[str]
    # Managed add-on name -> exact pinned version.
    addons: Mapping[str, str]
    # The ARC Region switch plan's execution role (prod with ARC and scaled workloads), given
    # AmazonARCRegionSwitchScalingPolicy on `region_switch_namespaces` only; None: no entry.
    region_switch_role_arn: pulumi.Input[str] | None = None
    region_switch_namespaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.region_switch_role_arn is not None and not self.region_switch_namespaces:
            raise ValueError(
                f"EksCluster {self.region}: region_switch_role_arn needs region_switch_namespaces (the namespaces "
                "of the workloads the Region switch plan scales); its access policy is never cluster-wide"
            )


class EksCluster(pulumi.ComponentResource):
    """A cell's EKS cluster, its managed node group, add-ons and access entries."""

    cluster_name: pulumi.Output[str]
    """Physical cluster name, `finstack-<env>-<region>`."""
    cluster_arn: pulumi.Output[str]
    """Cluster ARN (the Pod Identity trust condition and the DR role's IAM scope use it)."""
    endpoint: pulumi.Output[str]
    """API server URL; resolves only once the access entries exist, so a Kubernetes provider
    built from it never races the admin's access policy association."""
    certificate_authority: pulumi.Output[str]
    """Base64 PEM of the cluster CA."""
    oidc_issuer: pulumi.Output[str]
    """The cluster's OIDC issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/...`)."""
    oidc_provider_arn: pulumi.Output[str]
    """IAM OIDC provider for IRSA roles of this cluster."""
    nodegroup_names: list[pulumi.Output[str]]
    """Managed node group names (the drills scale them)."""
    node_role_arn: pulumi.Output[str]
    """IAM role of the nodes."""
    region_switch_access: list[pulumi.Resource]
    """The Region switch role's access entry and policy association (empty without one): the plan
    depends on them, because ARC evaluates the plan's EKS step when the plan is created."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        # Fail before declaring anything: these are config mistakes, not cloud errors.
        access = endpoint_access(args.environment, args.public_access_cidrs)
        check_addons(args.addons)
        node_ami = ami_type(args.node_instance_types)
        super().__init__("finstack:compute:EksCluster", name, None, opts)

        self._args = args
        self._name = name
        self._partition = partition_of(args.region)
        self._tags = cell_tags(args.region)
        physical_name = cluster_name_of(args.environment, args.region)

        cluster_role, cluster_policies = self._create_role("cluster", "eks.amazonaws.com", CLUSTER_MANAGED_POLICIES)
        node_role, node_policies = self._create_role("node", "ec2.amazonaws.com", NODE_MANAGED_POLICIES)
        log_group = self._create_log_group(physical_name)
        cluster = self._create_cluster(physical_name, access, cluster_role, [log_group, *cluster_policies])
        oidc = self._create_oidc_provider(cluster)
        associations = self._create_access_entries(cluster)
        self.region_switch_access = self._create_region_switch_access(cluster)
        early_addons = self._create_addons(cluster, [a for a in args.addons if a in ADDONS_BEFORE_NODES], [])
        template = self._create_launch_template(cluster)
        node_group = self._create_node_group(
            cluster, node_role, template, node_ami, depends_on=[*node_policies, *early_addons.values()]
        )
        late = [a for a in args.addons if a not in ADDONS_BEFORE_NODES]
        after_nodes: list[pulumi.Resource] = [node_group]
        if POD_IDENTITY_ADDON in early_addons:
            # The EBS CSI driver gets its credentials from the Pod Identity agent.
            after_nodes.append(early_addons[POD_IDENTITY_ADDON])
        ebs_role = self._create_ebs_csi_role(cluster) if EBS_CSI_ADDON in late else None
        self._create_addons(cluster, late, after_nodes, ebs_role=ebs_role)

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        # Carry the access policy associations as dependencies of the endpoint value.
        self.endpoint = pulumi.Output.all(cluster.endpoint, *[a.id for a in associations]).apply(lambda v: v[0])
        self.certificate_authority = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.oidc_issuer = _issuer_of(cluster)
        self.oidc_provider_arn = oidc.arn
        self.nodegroup_names = [node_group.node_group_name]
        self.node_role_arn = node_role.arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_issuer": self.oidc_issuer,
                "oidc_provider_arn": self.oidc_provider_arn,
                "nodegroup_names": self.nodegroup_names,
                "node_role_arn": self.node_role_arn,
                "region_switch_access": [r.urn for r in self.region_switch_access],
            }
        )

    # -- IAM ------------------------------------------------------------------------------------
    def _create_role(
        self, role: str, service: str, policies: Mapping[str, str]
    ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """A service role with exactly the given AWS-managed policies (IAM is global: no region)."""
        iam_role = aws.iam.Role(
            f"{self._name}-{role}-role",
            assume_role_policy=service_trust_policy(service),
            description=f"EKS {role} role of cell {self._args.region}",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-{role}-role-{noun}",
                role=iam_role.name,
                policy_arn=managed_policy_arn(self._partition, policy),
                opts=pulumi.ResourceOptions(parent=iam_role),
            )
            for noun, policy in policies.items()
        ]
        return iam_role, attachments

    def _create_ebs_csi_role(self, cluster: aws.eks.Cluster) -> aws.iam.Role:
        """The EBS CSI controller's role, assumable through Pod Identity by this cluster only.

        Pod Identity rather than IRSA: the add-on API binds the role to its service account
        itself, and the trust names the cluster ARN instead of a per-cluster OIDC condition.
        """
        account = cluster.arn.apply(lambda arn: arn.split(":")[4])
        role = aws.iam.Role(
            f"{self._name}-ebs-csi-role",
            assume_role_policy=pulumi.Output.all(account, cluster.arn).apply(
                lambda v: pod_identity_trust_policy(v[0], v[1])
            ),
            description=f"EBS CSI driver of cell {self._args.region} (Pod Identity)",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-ebs-csi-role-driver",
            role=role.name,
            policy_arn=managed_policy_arn(self._partition, EBS_CSI_MANAGED_POLICY),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.iam.RolePolicy(
            f"{self._name}-ebs-csi-role-volume-key",
            role=role.name,
            policy=pulumi.Output.from_input(self._args.ebs_key_arn).apply(ebs_kms_policy),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role

    # -- control plane --------------------------------------------------------------------------
    def _create_log_group(self, cluster_name: str) -> aws.cloudwatch.LogGroup:
        """The control plane log group, declared before the cluster so it is ours.

        EKS writes to this fixed name and would create it itself, unencrypted and kept forever.
        """
        return aws.cloudwatch.LogGroup(
            f"{self._name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            kms_key_id=self._args.logs_key_arn,
            retention_in_days=self._args.log_retention_days,
            # Control-plane audit logs: DeleteLogGroup fails while deletion protection is on
            # ("Protecting log groups from deletion", CloudWatch Logs User Guide). Prod only.
            deletion_protection_enabled=self._args.environment == "prod",
            region=self._args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_cluster(
        self, cluster_name: str, access: EndpointAccess, role: aws.iam.Role, depends_on: list[pulumi.Resource]
    ) -> aws.eks.Cluster:
        """The control plane: private API, KMS envelope encryption, every log type, access entries only."""
        args = self._args
        return aws.eks.Cluster(
            f"{self._name}-cluster",
            name=cluster_name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.app_subnet_ids),
                # The control plane ENIs join the network's `app` group, so the data tier's
                # rules for `app` and the nodes' traffic to the API both hold.
                security_group_ids=[args.app_sg_id],
                endpoint_private_access=True,
                endpoint_public_access=access.public,
                public_access_cidrs=list(access.public_cidrs) if access.public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # Whoever runs `pulumi up` gets no hidden cluster-admin; access is only what
                # the access entries below grant, and it is visible in this program.
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            # No unmanaged aws-node/kube-proxy/CoreDNS: every add-on is a pinned managed one.
            bootstrap_self_managed_addons=False,
            # ARC zonal shift can move traffic away from an impaired AZ during an incident.
            zonal_shift_config=aws.eks.ClusterZonalShiftConfigArgs(enabled=True),
            # Enforced by EKS itself, so it also stops deletes from outside Pulumi.
            deletion_protection=args.environment == "prod",
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _create_oidc_provider(self, cluster: aws.eks.Cluster) -> aws.iam.OpenIdConnectProvider:
        """The IAM OIDC provider IRSA roles trust.

        No thumbprint: IAM validates the issuer's certificate against its library of trusted
        root CAs (or, for other IdPs, fetches the thumbprint itself when none is given). A
        pinned thumbprint would need a TLS fetch at preview and break at the next rotation.
        """
        return aws.iam.OpenIdConnectProvider(
            f"{self._name}-oidc",
            url=_issuer_of(cluster),
            client_id_lists=[STS_AUDIENCE],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_access_entries(self, cluster: aws.eks.Cluster) -> list[aws.eks.AccessPolicyAssociation]:
        """Access entries: admin and read-only from config, the DR role as workload scaler."""
        args = self._args
        associations: list[aws.eks.AccessPolicyAssociation] = []
        for role, principal, policy in (
            ("admin", args.admin_role_arn, ADMIN_ACCESS_POLICY),
            ("readonly", args.readonly_role_arn, VIEW_ACCESS_POLICY),
        ):
            if principal is None:
                continue
            entry = aws.eks.AccessEntry(
                f"{self._name}-{role}-access",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                region=args.region,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            associations.append(
                aws.eks.AccessPolicyAssociation(
                    f"{self._name}-{role}-access-policy",
                    cluster_name=cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=access_policy_arn(self._partition, policy),
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    region=args.region,
                    opts=pulumi.ResourceOptions(parent=entry),
                )
            )
        # The DR role gets no EKS access policy: AmazonEKSEditPolicy would let it read Secrets
        # and exec into pods. It joins a Kubernetes group that the baseline binds, per
        # namespace, to a Role that may only list and scale workloads. Node group scaling is
        # an EKS API call, governed by the role's own IAM policy, not by this entry.
        aws.eks.AccessEntry(
            f"{self._name}-dr-access",
            cluster_name=cluster.name,
            principal_arn=args.dr_role_arn,
            type="STANDARD",
            kubernetes_groups=[DR_SCALER_GROUP],
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return associations

    def _create_region_switch_access(self, cluster: aws.eks.Cluster) -> list[pulumi.Resource]:
        """The access ARC Region switch scales workloads with: an entry for the plan's execution role.

        ARC reaches the cluster as "the IAM role that Region switch uses for plan execution", with
        an access entry associated with AmazonARCRegionSwitchScalingPolicy (ARC guide, "Configure
        EKS access entry permissions",
        https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html). The
        guide's own example scopes the association to a namespace: here, only the namespaces of
        the scaled workloads, so the role can scale nothing else. Not the DR automation role: a
        `crossAccountRole` is for clusters in other accounts (ARC guide, "Cross-account resource
        permissions"), and that role deliberately holds no access policy (see above).
        """
        args = self._args
        if args.region_switch_role_arn is None:
            return []
        entry = aws.eks.AccessEntry(
            f"{self._name}-region-switch-access",
            cluster_name=cluster.name,
            principal_arn=args.region_switch_role_arn,
            type="STANDARD",
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        association = aws.eks.AccessPolicyAssociation(
            f"{self._name}-region-switch-access-policy",
            cluster_name=cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=access_policy_arn(self._partition, REGION_SWITCH_SCALING_POLICY),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                type="namespace", namespaces=sorted(args.region_switch_namespaces)
            ),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=entry),
        )
        return [entry, association]

    # -- add-ons --------------------------------------------------------------------------------
    def _create_addons(
        self,
        cluster: aws.eks.Cluster,
        addons: list[str],
        depends_on: list[pulumi.Resource],
        ebs_role: aws.iam.Role | None = None,
    ) -> dict[str, aws.eks.Addon]:
        created: dict[str, aws.eks.Addon] = {}
        for addon in addons:
            pod_identity = (
                [
                    aws.eks.AddonPodIdentityAssociationArgs(
                        role_arn=ebs_role.arn, service_account=EBS_CSI_SERVICE_ACCOUNT
                    )
                ]
                if addon == EBS_CSI_ADDON and ebs_role is not None
                else None
            )
            created[addon] = aws.eks.Addon(
                f"{self._name}-addon-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                addon_version=self._args.addons[addon],
                configuration_values=addon_configuration(addon),
                pod_identity_associations=pod_identity,
                # This program owns the add-ons' configuration: drift made in the cluster
                # is overwritten on the next `up` instead of failing it.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                region=self._args.region,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )
        return created

    # -- nodes ----------------------------------------------------------------------------------
    def _create_launch_template(self, cluster: aws.eks.Cluster) -> aws.ec2.LaunchTemplate:
        """Node launch template: IMDSv2 only, CMK-encrypted gp3 root volume, no SSH key."""
        args = self._args
        return aws.ec2.LaunchTemplate(
            f"{self._name}-node-template",
            description=f"EKS nodes of cell {args.region}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # See IMDS_HOP_LIMIT: 2 for pods off the host network, not 1 and not more.
                http_put_response_hop_limit=IMDS_HOP_LIMIT,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.node_disk_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.ebs_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            # Security groups in a launch template replace the ones EKS would attach, so list
            # both: the cluster security group (control plane <-> kubelet, node <-> node) and
            # the network's `app` group (what the data tier admits).
            vpc_security_group_ids=[cluster.vpc_config.cluster_security_group_id, args.app_sg_id],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=self._tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_node_group(
        self,
        cluster: aws.eks.Cluster,
        role: aws.iam.Role,
        template: aws.ec2.LaunchTemplate,
        node_ami: str,
        depends_on: list[pulumi.Resource],
    ) -> aws.eks.NodeGroup:
        """One managed node group across every app subnet (so every AZ), sized from config.

        Autonamed: changing instance types replaces the group, and create-before-replace
        needs a fresh name. Drills read the names from the stack outputs.
        """
        args = self._args
        return aws.eks.NodeGroup(
            f"{self._name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=role.arn,
            subnet_ids=list(args.app_subnet_ids),
            ami_type=node_ami,
            capacity_type="ON_DEMAND",
            instance_types=list(args.node_instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.node_min_size,
                desired_size=args.node_desired_size,
                max_size=args.node_max_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"finstack/cell": args.region},
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends_on,
                # The autoscaler and the DR drills change the desired size; an `up` (even after a
                # `pulumi refresh`) must not undo a scale-out in the middle of an incident. Min and
                # max are deliberately not ignored: `up` owns them (finstack:eks.nodeMinSize /
                # nodeMaxSize) and the drills never touch them (finstack/drills/plan.py whole_load
                # caps the desired size at the live max), so a refreshed `up` never pushes a max
                # below a drill's desired size, which EKS refuses (desiredSize must be <= maxSize).
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )


def _issuer_of(cluster: aws.eks.Cluster) -> pulumi.Output[str]:
    """The cluster's OIDC issuer URL (EKS reports exactly one identity with one OIDC issuer)."""

    def first_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
        oidcs = identities[0].oidcs if identities else None
        return (oidcs[0].issuer or "") if oidcs else ""

    return cluster.identities.apply(first_issuer)
