"""The in-cluster runner of one cell: applies the rendered Kubernetes objects from inside the VPC.

Prod's EKS API endpoint is private-only, so nothing outside the VPC can apply Kubernetes objects
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html). The platform program
renders them (`KubeBaselineArgs.manifest_dir`), `finstack up` uploads the rendered bundle to this
runner's bucket and starts this CodeBuild project, which runs in the cell's app subnets with the
`app` security group (the control plane's ENIs carry the same group, and app admits app) and
applies the bundle with `kubectl apply --server-side`. Why CodeBuild and not a second Pulumi stack
or GitOps: docs/in-cluster.md.

Least privilege: the project's role reads its bundle and writes one record of what it applied,
writes its own log group, creates the ENIs a VPC build needs (in the cell's app subnets only), and
describes its own cluster. Its Kubernetes rights come from an EKS access entry with the cluster
admin access policy: the baseline creates namespaces, RBAC and a StorageClass (cluster-scoped).
Write access to the bundle bucket is therefore as strong as cluster admin; say so to auditors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import yaml

from components import iam_docs
from components.eks_policies import ADMIN_ACCESS_POLICY, access_policy_arn, partition_of
from components.iam_docs import Document, document, statement
from components.naming import cell_tags, short_region
from components.private_bucket import Lifecycle, PrivateBucket, declare_private_bucket

# What `finstack up` uploads (a zip: manifests/, index.json, apply_bundle.py) and what the build
# writes back after a successful apply (the objects it applied, for pruning on the next run).
BUNDLE_KEY = "bundle.zip"
APPLIED_KEY = "applied.json"
# Each `finstack up` replaces bundle.zip and applied.json: the current versions are what the
# cluster runs and stay; replaced ones are kept 30 days (which bundle ran last week, for an
# investigation) and then expire, unfinished uploads after 7. No Object Lock: the bucket's
# objects are overwritten by design, and the trail records every object-level call on them.
BUNDLE_LIFECYCLE = Lifecycle(rule_id="expire-replaced-bundles")
# Amazon Linux 2023 standard image: AWS CLI v2, Python 3 and kubectl from Amazon EKS's bucket
# (aws/aws-codebuild-docker-images, al/x86_64/standard/5.0/Dockerfile). CodeBuild's image list:
# https://docs.aws.amazon.com/codebuild/latest/userguide/ec2-compute-images.html
RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
RUNNER_COMPUTE = "BUILD_GENERAL1_SMALL"
BUILD_TIMEOUT_MINUTES = 30
QUEUED_TIMEOUT_MINUTES = 30
# Tag the emulator's CodeBuild extension recognises: the build it plays is this runner's apply.
RUNNER_TAG = "finstack:runner"


def project_name_of(environment: str, region: str) -> str:
    """`finstack-<env>-<use1>-cluster-runner`: stable, `finstack up` starts it by name."""
    return f"finstack-{environment}-{short_region(region)}-cluster-runner"


def bundle_bucket_name(environment: str, account_id: str, region: str) -> str:
    """Bucket names are global: the account id and region make this one unique (<= 63 chars)."""
    return f"finstack-{environment}-bundles-{account_id}-{short_region(region)}"


def log_group_name_of(environment: str, region: str) -> str:
    """The runner's build logs: `/finstack/<env>/cluster-runner/<region>`."""
    return f"/finstack/{environment}/cluster-runner/{region}"


def buildspec() -> str:
    """The build: kubeconfig for the cell's cluster, the previous apply record, apply, record.

    Environment (set on the project): CLUSTER_NAME, BUNDLE_BUCKET, APPLIED_KEY, BUNDLE_KEY_ARN;
    CodeBuild itself sets AWS_REGION. A missing record (first run, or unreadable) means nothing is
    pruned: the failure mode is "left over", never "deleted by mistake".
    """
    previous = (
        'if aws s3api head-object --bucket "$BUNDLE_BUCKET" --key "$APPLIED_KEY" >/dev/null 2>&1; '
        'then aws s3 cp "s3://$BUNDLE_BUCKET/$APPLIED_KEY" previous.json; '
        "else echo '{\"objects\": []}' > previous.json; fi"
    )
    record = (
        'if [ "$CODEBUILD_BUILD_SUCCEEDING" = "1" ]; then aws s3 cp applied.json '
        '"s3://$BUNDLE_BUCKET/$APPLIED_KEY" --sse aws:kms --sse-kms-key-id "$BUNDLE_KEY_ARN"; fi'
    )
    spec = {
        "version": 0.2,
        "env": {"shell": "bash"},
        "phases": {
            "pre_build": {
                "commands": [
                    'aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_REGION"',
                    "kubectl version --client",
                    previous,
                ]
            },
            "build": {
                "commands": [
                    "python3 apply_bundle.py --index index.json --previous previous.json --applied applied.json"
                ]
            },
            "post_build": {"commands": [record]},
        },
    }
    # Dumped, not written by hand: a shell line with `: ` or braces is not a plain YAML scalar.
    return yaml.safe_dump(spec, sort_keys=False, width=1000)


def runner_policy(
    *,
    region: str,
    account_id: str,
    bucket_arn: str,
    key_arn: str,
    log_group_arn: str,
    cluster_arn: str,
    subnet_arns: Sequence[str],
) -> Document:
    """Exactly what the build needs; each statement names the call that needs it."""
    partition = partition_of(region)
    return document(
        statement(
            "ReadBundleAndRecord",
            ("s3:GetObject", "s3:GetObjectVersion"),
            [f"{bucket_arn}/{BUNDLE_KEY}", f"{bucket_arn}/{APPLIED_KEY}"],
        ),
        # head-object answers 404 (not 403) for a missing record only with ListBucket.
        statement("TellMissingRecord", ("s3:ListBucket",), [bucket_arn]),
        statement("WriteRecord", ("s3:PutObject",), [f"{bucket_arn}/{APPLIED_KEY}"]),
        statement(
            "BundleKeyThroughS3",
            ("kms:Decrypt", "kms:GenerateDataKey"),
            [key_arn],
            conditions={"StringEquals": {"kms:ViaService": iam_docs.service_endpoint("s3", region)}},
        ),
        statement("BuildLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), [f"{log_group_arn}:*"]),
        statement("Kubeconfig", ("eks:DescribeCluster",), [cluster_arn]),
        # A VPC build: CodeBuild creates an ENI in the subnets with the role's credentials
        # (https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html
        # "Allow CodeBuild access to AWS services required to create a VPC network interface").
        # The Describe calls and CreateNetworkInterface support no resource-level scoping.
        statement(
            "VpcNetworkInterfaces",
            (
                "ec2:CreateNetworkInterface",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcs",
            ),
            ["*"],
        ),
        statement(
            "NetworkInterfacesInAppSubnetsOnly",
            ("ec2:CreateNetworkInterfacePermission",),
            [f"arn:{partition}:ec2:{region}:{account_id}:network-interface/*"],
            conditions={
                "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                "ArnEquals": {"ec2:Subnet": list(subnet_arns)},
            },
        ),
    )


@dataclass(frozen=True)
class ClusterRunnerArgs:
    """Wiring from the cell's network, cluster and keys; plain settings from config."""

    region: str
    environment: str
    account_id: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    app_sg_id: pulumi.Input[str]
    # The cell's `logs` key: bundles and build logs are operational evidence.
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int


class ClusterRunner(pulumi.ComponentResource):
    """CodeBuild project in the app subnets, its bucket, logs, role and cluster access entry."""

    project_name: pulumi.Output[str]
    """The CodeBuild project `finstack up` starts."""
    bundle_bucket: pulumi.Output[str]
    """Where `finstack up` uploads `bundle.zip`."""
    role_arn: pulumi.Output[str]
    """The build's IAM role (the principal of its EKS access entry)."""
    log_group_name: pulumi.Output[str]
    """The build logs `finstack up` follows."""
    bundle_key_arn: pulumi.Output[str]
    """The KMS key uploads must name (the bucket policy refuses any other)."""

    def __init__(self, name: str, args: ClusterRunnerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:compute:ClusterRunner", name, None, opts)
        self._name = name
        self._args = args
        self._tags = cell_tags(args.region)
        project = project_name_of(args.environment, args.region)
        account = pulumi.Output.from_input(args.account_id)

        bundles = declare_private_bucket(
            f"{name}-bundles",
            bucket_name=account.apply(lambda a: bundle_bucket_name(args.environment, a, args.region)),
            region=args.region,
            key_arn=args.logs_key_arn,
            tags=self._tags,
            parent=self,
            lifecycle=BUNDLE_LIFECYCLE,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name_of(args.environment, args.region),
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            # The runner's build logs are evidence of what ran in the cluster: DeleteLogGroup fails while
            # deletion protection is on ("Protecting log groups from deletion"). Prod only.
            deletion_protection_enabled=args.environment == "prod",
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role, role_policy = self._create_role(project, bundles.bucket, log_group)
        access = self._create_access(role)
        codebuild = self._create_project(project, role, bundles, log_group, [role_policy, *access])

        self.project_name = codebuild.name
        self.bundle_bucket = bundles.bucket.bucket
        self.role_arn = role.arn
        self.log_group_name = log_group.name
        self.bundle_key_arn = pulumi.Output.from_input(args.logs_key_arn)
        self.register_outputs(
            {
                "project_name": self.project_name,
                "bundle_bucket": self.bundle_bucket,
                "role_arn": self.role_arn,
                "log_group_name": self.log_group_name,
                "bundle_key_arn": self.bundle_key_arn,
            }
        )

    def _create_role(
        self, project: str, bucket: aws.s3.Bucket, log_group: aws.cloudwatch.LogGroup
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        args = self._args
        partition = partition_of(args.region)
        account = pulumi.Output.from_input(args.account_id)
        role = aws.iam.Role(
            f"{self._name}-role",
            assume_role_policy=account.apply(
                lambda a: iam_docs.dumps(
                    iam_docs.assume_role_policy(
                        "codebuild.amazonaws.com",
                        source_account=a,
                        source_arn=f"arn:{partition}:codebuild:{args.region}:{a}:project/{project}",
                    )
                )
            ),
            description=f"finstack in-cluster runner of cell {args.region}: applies the rendered objects",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        subnets = pulumi.Output.all(account, *args.app_subnet_ids).apply(
            lambda v: [f"arn:{partition}:ec2:{args.region}:{v[0]}:subnet/{s}" for s in v[1:]]
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-role-policy",
            role=role.name,
            policy=pulumi.Output.all(
                account, bucket.arn, args.logs_key_arn, log_group.arn, args.cluster_arn, subnets
            ).apply(
                lambda v: iam_docs.dumps(
                    runner_policy(
                        region=args.region,
                        account_id=v[0],
                        bucket_arn=v[1],
                        key_arn=v[2],
                        log_group_arn=v[3],
                        cluster_arn=v[4],
                        subnet_arns=v[5],
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role, policy

    def _create_access(self, role: aws.iam.Role) -> list[pulumi.Resource]:
        """Cluster admin for the runner's role only (namespaces, RBAC and StorageClass are cluster-scoped)."""
        args = self._args
        entry = aws.eks.AccessEntry(
            f"{self._name}-access",
            cluster_name=args.cluster_name,
            principal_arn=role.arn,
            type="STANDARD",
            region=args.region,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        association = aws.eks.AccessPolicyAssociation(
            f"{self._name}-access-policy",
            cluster_name=args.cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=access_policy_arn(partition_of(args.region), ADMIN_ACCESS_POLICY),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=entry),
        )
        return [entry, association]

    def _create_project(
        self,
        project: str,
        role: aws.iam.Role,
        bundles: PrivateBucket,
        log_group: aws.cloudwatch.LogGroup,
        ready: list[pulumi.Resource],
    ) -> aws.codebuild.Project:
        args = self._args
        bucket = bundles.bucket
        env = {
            "CLUSTER_NAME": args.cluster_name,
            "BUNDLE_BUCKET": bucket.bucket,
            "APPLIED_KEY": APPLIED_KEY,
            "BUNDLE_KEY_ARN": args.logs_key_arn,
        }
        return aws.codebuild.Project(
            f"{self._name}-project",
            name=project,
            description=f"finstack: apply the rendered in-cluster objects to {args.region}'s cluster from its VPC",
            service_role=role.arn,
            source=aws.codebuild.ProjectSourceArgs(
                type="S3",
                location=bucket.bucket.apply(lambda b: f"{b}/{BUNDLE_KEY}"),
                buildspec=buildspec(),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                compute_type=RUNNER_COMPUTE,
                image=RUNNER_IMAGE,
                type="LINUX_CONTAINER",
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
                environment_variables=[
                    aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(name=k, value=v, type="PLAINTEXT")
                    for k, v in env.items()
                ],
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id,
                subnets=list(args.app_subnet_ids),
                security_group_ids=[args.app_sg_id],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=log_group.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            build_timeout=BUILD_TIMEOUT_MINUTES,
            queued_timeout=QUEUED_TIMEOUT_MINUTES,
            # One apply at a time per cell: two overlapping applies would race on the record.
            concurrent_build_limit=1,
            region=args.region,
            tags={**self._tags, RUNNER_TAG: "in-cluster"},
            # The role must hold its policy and its cluster access before a build can use them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ready, *bundles.settings]),
        )
