"""Account posture per cell: Security Hub with FSBP and PCI DSS v4.0.1, AWS Config, a PCI conformance pack.

Declared only when `finstack:security.accountServices` is `stack`; under `landing-zone` the
organization's delegated administrator owns all of it and `finstack check`/`up` verify it is on
(finstack/preflight).

Per cell:

* Security Hub (`aws.securityhub.Account`) without the default standards (they would subscribe
  CIS v1.2.0 too) and with consolidated control findings (`SECURITY_CONTROL`: one finding per
  control across standards), subscribed to AWS Foundational Security Best Practices v1.0.0 and
  PCI DSS v4.0.1. The standards ARNs are regional: "arn:aws:securityhub:<region>::standards/..."
  (Security Hub User Guide, "Standards reference"; the Terraform provider's
  `aws_securityhub_standards_subscription` docs list `.../standards/pci-dss/v/4.0.1`).
* AWS Config: a recorder of all supported resource types; the global IAM types only in the primary
  region, because recording them in every region writes identical configuration items once per
  region ("Selecting which resources AWS Config records", AWS Config Developer Guide; API reference
  `RecordingGroup.includeGlobalResourceTypes`). It records as the service-linked role
  AWSServiceRoleForConfig: Security Hub control Config.1 fails a recorder using any other role
  ("Security Hub controls for AWS Config", Security Hub User Guide). The role is account-wide,
  declared once (retained on destroy) or, with `security.configServiceRole: existing`, only named.
* The delivery channel writes to a house private bucket encrypted with the cell's `logs` key. The
  service-linked role has no S3 or KMS permissions, so Config delivers as the config.amazonaws.com
  principal: the bucket policy grants it GetBucketAcl, ListBucket and PutObject under its prefix
  ("Permissions for the Amazon S3 Bucket for the AWS Config Delivery Channel") and the logs key
  policy grants it Decrypt/GenerateDataKey (components/keys.py, "Permissions for the KMS Key for
  the AWS Config Delivery Channel"), both only for this account (aws:SourceAccount).
* The recorder is switched on (`RecorderStatus`) only after the channel exists: StartConfigurationRecorder
  fails with NoAvailableDeliveryChannelException otherwise (AWS Config API reference).
* A conformance pack of AWS managed rules for PCI DSS 4.0 (`PCI_CONFORMANCE_RULES`), a curated
  subset of AWS's sample "Operational Best Practices for PCI DSS 4.0" chosen for the resource
  kinds this platform declares; README "Posture" lists them and why the rest are left out.

* VPC Block Public Access (`aws.ec2.VpcBlockPublicAccessOptions`) in `block-ingress`: nothing in
  the region's VPCs can be reached from the internet through an internet gateway, while NAT
  gateways and egress-only internet gateways keep working ("Only traffic to and from NAT gateways
  and egress-only internet gateways is allowed", EC2 API reference VpcBlockPublicAccessOptions).
  Not `block-bidirectional`: the NAT gateways sit in the public subnets, excluded
  `allow-bidirectional` for the load balancers anyway, so it would block nothing more and only make
  the app tier's NAT egress (443, components/network.py) hang on those exclusions as well.
  The setting is the account's, per region (the Terraform provider's
  vpc_block_public_access_options.go keys it by region and sets it back to `off` on delete). It
  waits for the cell's exclusions (the public subnets, components/network.py), so the front door
  never goes dark during a deploy; on destroy it is turned off before they go.

Primary region only: a Security Hub finding aggregator (`SPECIFIED_REGIONS`, the other cells), so
findings of every cell are read in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Statement
from components.naming import cell_tags
from components.private_bucket import declare_private_bucket, evidence_lifecycle

FSBP_STANDARD = "aws-foundational-security-best-practices/v/1.0.0"
PCI_STANDARD = "pci-dss/v/4.0.1"
STANDARDS: dict[str, str] = {"fsbp": FSBP_STANDARD, "pci": PCI_STANDARD}

# Consolidated control findings: one finding per control, whatever standards include it.
CONTROL_FINDING_GENERATOR = "SECURITY_CONTROL"
AGGREGATOR_LINKING_MODE = "SPECIFIED_REGIONS"
CONFIG_SERVICE = "config.amazonaws.com"
CONFIG_SERVICE_ROLE = f"role/aws-service-role/{CONFIG_SERVICE}/AWSServiceRoleForConfig"
CONFIG_PREFIX = "config"
# Daily snapshots in addition to the change stream: an assessor can sample a day's state.
SNAPSHOT_FREQUENCY = "TwentyFour_Hours"
# Inbound internet traffic blocked, NAT egress kept (module docstring).
VPC_BPA_MODE = "block-ingress"
# Either blocks internet-gateway ingress: what a landing zone may have chosen instead (preflight).
VPC_BPA_BLOCKING_MODES = ("block-ingress", "block-bidirectional")

# (rule name, managed rule identifier, PCI DSS v4.0.1 requirement it evidences). Every identifier
# appears in AWS's sample pack "Operational Best Practices for PCI DSS 4.0 (excluding global
# resource types)" (awslabs/aws-config-rules, aws-config-conformance-packs/
# Operational-Best-Practices-for-PCI-DSS-v4.0-excluding-global-resourcetypes.yaml).
PCI_CONFORMANCE_RULES: tuple[tuple[str, str, str], ...] = (
    ("cloudtrail-enabled", "CLOUD_TRAIL_ENABLED", "10.2.1"),
    ("multi-region-cloudtrail-enabled", "MULTI_REGION_CLOUD_TRAIL_ENABLED", "10.2.1"),
    ("cloudtrail-security-trail-enabled", "CLOUDTRAIL_SECURITY_TRAIL_ENABLED", "10.2.1"),
    ("eks-secrets-encrypted", "EKS_SECRETS_ENCRYPTED", "3.5.1"),
    ("eks-endpoint-no-public-access", "EKS_ENDPOINT_NO_PUBLIC_ACCESS", "1.4.4"),
    ("eks-cluster-logging-enabled", "EKS_CLUSTER_LOGGING_ENABLED", "10.2.1"),
    ("ec2-imdsv2-check", "EC2_IMDSV2_CHECK", "2.2.6"),
    ("restricted-ssh", "INCOMING_SSH_DISABLED", "1.3.1"),
    ("nacl-no-unrestricted-ssh-rdp", "NACL_NO_UNRESTRICTED_SSH_RDP", "1.3.1"),
    ("wafv2-webacl-not-empty", "WAFV2_WEBACL_NOT_EMPTY", "6.4.1"),
    ("aurora-resources-protected-by-backup-plan", "AURORA_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "12.10.1"),
    ("backup-recovery-point-manual-deletion-disabled", "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED", "10.5.1"),
    ("macie-status-check", "MACIE_STATUS_CHECK", "12.5.2"),
)


def standards_arn(standard: str, region: str, partition: str = iam_docs.PARTITION) -> str:
    """`arn:aws:securityhub:us-east-1::standards/pci-dss/v/4.0.1`: standards ARNs carry the region, no account."""
    return f"arn:{partition}:securityhub:{region}::standards/{standard}"


def conformance_template() -> str:
    """The conformance pack template body: one AWS::Config::ConfigRule per curated managed rule.

    JSON text, which is YAML too (conformance pack templates are CloudFormation-style YAML).
    """
    resources = {
        "".join(part.capitalize() for part in rule.split("-")): {
            "Type": "AWS::Config::ConfigRule",
            "Properties": {
                "ConfigRuleName": rule,
                "Description": f"PCI DSS v4.0.1 {requirement}",
                "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
            },
        }
        for rule, identifier, requirement in PCI_CONFORMANCE_RULES
    }
    return json.dumps({"Resources": resources}, sort_keys=True)


def config_bucket_grants(bucket_arn: str, account_id: str) -> list[Statement]:
    """What the config.amazonaws.com principal needs on its delivery bucket, for this account only.

    ("Permissions for the Amazon S3 Bucket for the AWS Config Delivery Channel", AWS Config
    Developer Guide: the ACL and existence checks, then PutObject under <prefix>/AWSLogs/<account>/Config/
    with the bucket-owner-full-control ACL, which an owner-enforced bucket accepts.)
    """
    principal = iam_docs.service_principal(CONFIG_SERVICE)
    source = {"StringEquals": {"aws:SourceAccount": account_id}}
    return [
        iam_docs.statement(
            "ConfigBucketPermissionsCheck", ("s3:GetBucketAcl",), [bucket_arn], principal=principal, conditions=source
        ),
        iam_docs.statement(
            "ConfigBucketExistenceCheck", ("s3:ListBucket",), [bucket_arn], principal=principal, conditions=source
        ),
        iam_docs.statement(
            "ConfigBucketDelivery",
            ("s3:PutObject",),
            [f"{bucket_arn}/{CONFIG_PREFIX}/AWSLogs/{account_id}/Config/*"],
            principal=principal,
            conditions={"StringEquals": {"aws:SourceAccount": account_id, "s3:x-amz-acl": "bucket-owner-full-control"}},
        ),
    ]


def config_bucket_name(environment: str, account_id: str, region: str) -> str:
    """`finstack-prod-config-111122223333-us-east-1`: global S3 namespace, so account and region in it."""
    return f"finstack-{environment}-config-{account_id}-{region}"


@dataclass(frozen=True)
class PostureCellArgs:
    """One cell: its region, its `logs` key (the Config bucket's encryption) and its BPA exclusions.

    `bpa_exclusions` are the network's public-subnet exclusions: the blocking mode waits for them.
    """

    region: str
    logs_key_arn: pulumi.Input[str]
    bpa_exclusions: tuple[pulumi.Resource, ...] = ()


@dataclass(frozen=True)
class AccountPostureArgs:
    """Inputs of `AccountPosture`."""

    environment: str
    primary_region: str
    account_id: pulumi.Input[str]
    cells: tuple[PostureCellArgs, ...]
    config_service_role: Literal["create", "existing"] = "create"
    # How long configuration snapshots and history stay in the Config bucket
    # (`finstack:security.auditRetentionDays`): evidence of the platform's state for an assessor.
    retention_days: int = 365


class AccountPosture(pulumi.ComponentResource):
    """Security Hub, AWS Config and the PCI conformance pack in every cell; findings aggregated in the primary."""

    hub_arns: dict[str, pulumi.Output[str]]
    """region -> Security Hub hub ARN."""
    recorder_names: dict[str, pulumi.Output[str]]
    """region -> Config recorder name."""
    config_bucket_names: dict[str, pulumi.Output[str]]
    """region -> the bucket Config delivers to."""
    bpa_modes: dict[str, pulumi.Output[str]]
    """region -> the VPC Block Public Access mode declared."""

    def __init__(self, name: str, args: AccountPostureArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("finstack:security:AccountPosture", name, None, opts)
        self._args = args
        self.hub_arns = {}
        self.recorder_names = {}
        self.config_bucket_names = {}
        self.bpa_modes = {}
        hubs: list[pulumi.Resource] = []
        self._service_role = self._create_service_role(name)
        for cell in args.cells:
            hub = self._create_security_hub(name, cell.region)
            hubs.append(hub)
            self.hub_arns[cell.region] = hub.arn
            recorder, bucket = self._create_config(name, cell)
            self.recorder_names[cell.region] = recorder.name
            self.config_bucket_names[cell.region] = bucket
            self.bpa_modes[cell.region] = self._create_vpc_bpa(name, cell).internet_gateway_block_mode
        self._create_aggregator(name, hubs)
        self.register_outputs(
            {
                "hub_arns": self.hub_arns,
                "recorder_names": self.recorder_names,
                "config_bucket_names": self.config_bucket_names,
                "bpa_modes": self.bpa_modes,
            }
        )

    def _create_vpc_bpa(self, name: str, cell: PostureCellArgs) -> aws.ec2.VpcBlockPublicAccessOptions:
        """The region's VPC Block Public Access mode, turned on only once the cell's exclusions exist."""
        return aws.ec2.VpcBlockPublicAccessOptions(
            f"{name}-vpc-bpa-{cell.region}",
            internet_gateway_block_mode=VPC_BPA_MODE,
            region=cell.region,
            # Blocking before the public subnets are excluded would cut the load balancers off the
            # internet; and on destroy Pulumi deletes this (mode back to off) before the exclusions.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(cell.bpa_exclusions)),
        )

    def _create_security_hub(self, name: str, region: str) -> aws.securityhub.Account:
        hub = aws.securityhub.Account(
            f"{name}-hub-{region}",
            # The defaults would subscribe CIS v1.2.0 as well; the standards are chosen below.
            enable_default_standards=False,
            control_finding_generator=CONTROL_FINDING_GENERATOR,
            auto_enable_controls=True,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for role, standard in STANDARDS.items():
            aws.securityhub.StandardsSubscription(
                f"{name}-{role}-{region}",
                standards_arn=standards_arn(standard, region),
                region=region,
                # A subscription needs Security Hub enabled in its region first.
                opts=pulumi.ResourceOptions(parent=hub, depends_on=[hub]),
            )
        return hub

    def _create_aggregator(self, name: str, hubs: list[pulumi.Resource]) -> None:
        others = sorted(c.region for c in self._args.cells if c.region != self._args.primary_region)
        if not others:
            return  # one region: nothing to aggregate
        aws.securityhub.FindingAggregator(
            f"{name}-aggregator",
            linking_mode=AGGREGATOR_LINKING_MODE,
            specified_regions=others,
            region=self._args.primary_region,
            # Linked regions must have Security Hub on, or their findings never arrive.
            opts=pulumi.ResourceOptions(parent=self, depends_on=hubs),
        )

    def _create_service_role(self, name: str) -> list[pulumi.Resource]:
        """AWSServiceRoleForConfig, when this stack is to create it (else nothing: the account has it)."""
        if self._args.config_service_role == "existing":
            return []
        return [
            aws.iam.ServiceLinkedRole(
                f"{name}-config-service-role",
                aws_service_name=CONFIG_SERVICE,
                # Account-wide (every region's recorder and any other tool's use it): destroying the
                # stack must not take it away.
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
        ]

    def _create_config(self, name: str, cell: PostureCellArgs) -> tuple[aws.cfg.Recorder, pulumi.Output[str]]:
        region = cell.region
        tags = cell_tags(region, role="posture")
        account = pulumi.Output.from_input(self._args.account_id)
        bucket_name = account.apply(lambda a: config_bucket_name(self._args.environment, a, region))
        bucket = declare_private_bucket(
            f"{name}-config-{region}",
            bucket_name=bucket_name,
            region=region,
            key_arn=cell.logs_key_arn,
            tags=tags,
            parent=self,
            grants=pulumi.Output.all(bucket_name, account).apply(
                lambda v: config_bucket_grants(f"arn:{iam_docs.PARTITION}:s3:::{v[0]}", v[1])
            ),
            # Evidence, but not Object Locked: "AWS Config does not support the delivery channel to an
            # Amazon S3 bucket where object lock is enabled" (AWS::Config::DeliveryChannel, CloudFormation
            # Template Reference). Versioning (a replaced or deleted object stays a noncurrent
            # version) and a lifecycle that expires nothing before the retention protect it instead.
            lifecycle=evidence_lifecycle(self._args.retention_days),
        )
        role_arn = account.apply(lambda a: f"arn:{iam_docs.PARTITION}:iam::{a}:{CONFIG_SERVICE_ROLE}")
        recorder = aws.cfg.Recorder(
            f"{name}-recorder-{region}",
            role_arn=role_arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True,
                # Global IAM types once, in the primary: identical items per region otherwise.
                include_global_resource_types=region == self._args.primary_region,
            ),
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._service_role),
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-channel-{region}",
            s3_bucket_name=bucket.bucket.bucket,
            s3_key_prefix=CONFIG_PREFIX,
            # The bucket policy refuses objects under another key than the bucket's.
            s3_kms_key_arn=cell.logs_key_arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency=SNAPSHOT_FREQUENCY
            ),
            region=region,
            # PutDeliveryChannel needs a recorder; writes need the bucket's settings in place.
            opts=pulumi.ResourceOptions(parent=recorder, depends_on=[recorder, *bucket.settings]),
        )
        status = aws.cfg.RecorderStatus(
            f"{name}-recording-{region}",
            name=recorder.name,
            is_enabled=True,
            region=region,
            opts=pulumi.ResourceOptions(parent=recorder, depends_on=[channel]),
        )
        aws.cfg.ConformancePack(
            f"{name}-pci-pack-{region}",
            name=f"finstack-{self._args.environment}-pci-dss-4",
            template_body=conformance_template(),
            region=region,
            # Conformance packs evaluate recorded items: the recorder must be on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[status]),
        )
        return recorder, bucket.bucket.bucket
