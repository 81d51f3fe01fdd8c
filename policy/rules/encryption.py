"""Encryption at rest: every data store and log sink under a customer managed KMS key.

Keys are rotated, multi-region, replicated into every cell, and always used in the region of
the resource they protect (a cross-region key is a residency leak and a regional outage
dependency). Unknown key references count as present (`present` mode); unknown booleans fail.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._log_delivery import log_archive_buckets
from ._util import (
    Compliance,
    Setting,
    StackView,
    as_list,
    condition_values,
    get,
    is_account_service_scoped,
    is_false,
    is_true,
    is_unknown,
    parse_arn,
    plain,
    region_of,
    resource_policy,
    settings,
    stack_accounts,
    stack_policy,
    statements,
    strings,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "encryption"

AURORA_CLUSTER = "aws:rds/cluster:Cluster"
AURORA_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_INSTANCE = "aws:rds/instance:Instance"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SSE_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
EBS_ENCRYPTION_BY_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
EBS_DEFAULT_KEY = "aws:ebs/defaultKmsKey:DefaultKmsKey"
SECRET = "aws:secretsmanager/secret:Secret"
SNS_TOPIC = "aws:sns/topic:Topic"
TRAIL = "aws:cloudtrail/trail:Trail"
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
KMS_ALIAS = "aws:kms/alias:Alias"
# keyUsage of an asymmetric signing key (KMS API reference, CreateKey KeyUsage).
SIGNING_KEY_USAGE = "SIGN_VERIFY"
BACKUP_VAULT = "aws:backup/vault:Vault"

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
# PCI DSS 3.7.4: a defined cryptoperiod; AWS rotates yearly by default and accepts
# RotationPeriodInDays 90-2560 (EnableKeyRotation, https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html);
# the pack wants at least yearly, so 90-365.
MIN_ROTATION_PERIOD_DAYS = 90
MAX_ROTATION_PERIOD_DAYS = 365
# ScheduleKeyDeletion PendingWindowInDays is 7-30, default 30
# (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html; the provider's
# deletion_window_in_days "Defaults to 30 days"). A deleted key makes every ciphertext under it
# unrecoverable, so a bank keeps the longest undo window.
MAX_DELETION_WINDOW_DAYS = 30

ENCRYPTION = Compliance(pci=("3.5.1",), soc2=("CC6.1", "CC6.7"), gdpr=("art32",))
KEY_MANAGEMENT = Compliance(pci=("3.6.1", "3.7.4"), soc2=("CC6.1",), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


def _number(value: Any) -> str:
    """7.0 -> "7" (the engine hands numbers over as floats)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _require_true(props: dict[str, Any], key: str, subject: str, report: Report) -> None:
    value = props.get(key)
    if is_unknown(value):
        report(unknown_message(f"{subject} {key}", "true"))
    elif not is_true(value):
        report(f"{subject} {key} must be true.")


# AWS managed keys are addressed as `alias/aws/<service>` (bare or in an alias ARN); some APIs also
# take the bare `aws/<service>` name (Secrets Manager's "aws/secretsmanager"). Customers cannot
# create aliases under alias/aws/ ("The alias name cannot begin with alias/aws/", CreateAlias,
# https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html). Case-insensitive to fail closed.
_AWS_MANAGED = re.compile(r"(?i)(^|[:/])alias/aws/|^aws/")


def _is_customer_key(value: Any) -> bool:
    """A key reference that can be a customer managed key of this stack (the local part of the test).

    `_util.is_customer_key` misses the bare `aws/<service>` name, upper-case spellings, ARNs of
    other services and KMS ARNs that are neither `key/` nor `alias/`; this closes those. Whether a
    known reference names a key *of this stack* (and of its account) only the stack can tell:
    `kms-key-reference-customer-managed` does that for every reference checked here.
    """
    if is_unknown(value):
        return True  # the output of a resource of this stack ("present"); resolved by the stack policy.
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        return False
    if _AWS_MANAGED.search(value):
        return False
    if value.startswith("arn:"):
        arn = parse_arn(value)
        return arn is not None and arn.service == "kms" and arn.resource.startswith(("key/", "alias/"))
    return True


def _require_cmk(value: Any, subject: str, report: Report) -> None:
    if not _is_customer_key(value):
        report(f"{subject} must name a customer managed KMS key.")


def _aurora_storage_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora member clusters and (non-Aurora) RDS DB instances encrypt storage with a customer managed key.

    A DB instance read replica (replicateSourceDb) inherits the source's encryption and cannot set
    storageEncrypted, so only its kmsKeyId is checked (AWSGuard's rds-storage-encrypted skips them).
    """
    if args.resource_type not in (AURORA_CLUSTER, RDS_INSTANCE):
        return
    props = plain(args.props)
    subject = "Aurora cluster" if args.resource_type == AURORA_CLUSTER else "RDS instance"
    if args.resource_type == AURORA_CLUSTER or props.get("replicateSourceDb") is None:
        _require_true(props, "storageEncrypted", subject, report)
    _require_cmk(props.get("kmsKeyId"), f"{subject} kmsKeyId", report)


def _aurora_global_storage_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """The global cluster is created encrypted (members then carry their own regional CMK)."""
    if args.resource_type != GLOBAL_CLUSTER:
        return
    _require_true(plain(args.props), "storageEncrypted", "Aurora global cluster", report)


def _performance_insights_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """Performance Insights (it stores SQL text) uses a customer managed key when enabled."""
    if args.resource_type not in (AURORA_CLUSTER, AURORA_INSTANCE, RDS_INSTANCE):
        return
    props = plain(args.props)
    enabled = props.get("performanceInsightsEnabled")
    if is_unknown(enabled):
        report(unknown_message("performanceInsightsEnabled", "true or false"))
    elif is_true(enabled):
        _require_cmk(props.get("performanceInsightsKmsKeyId"), "performanceInsightsKmsKeyId", report)


def _eks_secrets_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """EKS envelope-encrypts Kubernetes Secrets with a customer managed key."""
    if args.resource_type != EKS_CLUSTER:
        return
    config = plain(args.props).get("encryptionConfig")
    if is_unknown(config):
        report(unknown_message("EKS cluster encryptionConfig", 'an object with resources ["secrets"]'))
        return
    resources = get(config, "resources")
    if is_unknown(resources):
        report(unknown_message("EKS cluster encryptionConfig.resources", '["secrets"]'))
    elif "secrets" not in as_list(resources):
        report('EKS cluster encryptionConfig.resources must include "secrets".')
    _require_cmk(get(config, "provider.keyArn"), "EKS cluster encryptionConfig.provider.keyArn", report)


def _msk_at_rest_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """MSK broker storage uses a customer managed key, not the AWS managed aws/kafka key."""
    if args.resource_type != MSK_CLUSTER:
        return
    key = get(plain(args.props), "encryptionInfo.encryptionAtRestKmsKeyArn")
    _require_cmk(key, "MSK cluster encryptionInfo.encryptionAtRestKmsKeyArn", report)


def _log_group_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """Log groups (they hold audit trails and payloads) use a customer managed key."""
    if args.resource_type != LOG_GROUP:
        return
    _require_cmk(plain(args.props).get("kmsKeyId"), "CloudWatch log group kmsKeyId", report)


def _s3_sse_kms(args: StackValidationArgs, report: Report) -> None:
    """Bucket default encryption is SSE-KMS with a customer managed key; a log archive's may be SSE-S3.

    A stack policy because of that one exception: ALB and S3 log delivery write only to SSE-S3
    buckets (policy/rules/_log_delivery.py), so a configuration whose every rule is AES256 passes
    when its bucket is a log archive (tagged log-archive, policy granting log delivery only).
    """
    view = StackView(args.resources)
    archives = log_archive_buckets(view)
    for config in view.of_type(*SSE_CONFIGS):
        rules = view.props(config).get("rules")

        def finding(message: str, urn: str = config.urn) -> None:
            report(message, urn)

        if is_unknown(rules):
            finding(unknown_message("S3 bucket encryption rules", "a list with an aws:kms rule"))
            continue
        algorithms = [get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm") for rule in as_list(rules)]
        buckets = view.references(config, "bucket", BUCKETS, keys=("id", "bucket"))
        if (
            algorithms
            and all(a == "AES256" for a in algorithms)
            and buckets
            and all(b.urn in archives for b in buckets)
        ):
            continue
        _check_sse_rules(as_list(rules), finding)


def _check_sse_rules(rules: list[Any], report: Report) -> None:
    if not rules:
        report("S3 bucket encryption configuration must have an aws:kms rule.")
    for rule in rules:
        algorithm = get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
        if is_unknown(algorithm):
            report(unknown_message("S3 bucket encryption sseAlgorithm", "aws:kms"))
        elif algorithm not in KMS_ALGORITHMS:
            report(f"S3 bucket encryption sseAlgorithm must be aws:kms, not {_shown(algorithm)}.")
        else:
            key = get(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
            _require_cmk(key, "S3 bucket encryption kmsMasterKeyId", report)


def _s3_bucket_encryption_configured(args: StackValidationArgs, report: Report) -> None:
    """Every bucket has an SSE-KMS default-encryption configuration."""
    view = StackView(args.resources)
    configs = view.of_type(*SSE_CONFIGS)
    for bucket in view.of_type(*BUCKETS):
        covered = [c for c in configs if bucket in view.references(c, "bucket", BUCKETS, keys=("id", "bucket"))]
        if not covered:
            report(
                f"S3 bucket {bucket.name} must have a BucketServerSideEncryptionConfiguration with aws:kms.",
                bucket.urn,
            )


# The device the AMI boots from. The EKS optimized AL2 and AL2023 AMIs (and Bottlerocket's OS
# volume) boot from /dev/xvda (the AMI builds map their root there: awslabs/amazon-eks-ami, and
# aws-samples/amazon-eks-custom-amis al2_amd64.pkrvars.hcl); Bottlerocket also keeps its data volume
# (container images, pod storage) on /dev/xvdb (https://github.com/bottlerocket-os/bottlerocket#default-volumes).
# components/eks.py ROOT_DEVICE is the same /dev/xvda (ami_type() picks AL2023 only). A
# template that encrypts another device only leaves the AMI's own mapping for the root: encrypted
# only if the AMI snapshot is, or if the account turned on EBS encryption by default. That account
# switch is not the stack's (anyone with ec2:DisableEbsEncryptionByDefault turns it off for every
# later launch, and it uses one default key for every volume), so the pack requires the template
# itself to encrypt the root device whatever aws:ebs/encryptionByDefault says; a Bottlerocket
# template adds /dev/xvdb through the requiredDeviceNames setting.
ROOT_DEVICE_CONFIG = {
    "requiredDeviceNames": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["/dev/xvda"],
            "description": "Devices every launch template must map to an encrypted EBS volume (the AMI root first).",
        }
    ),
}


def _check_ebs(ebs: Any, subject: str, report: Report) -> None:
    if is_unknown(ebs):
        report(unknown_message(f"{subject} ebs", "an object with encrypted true and a kmsKeyId"))
        return
    encrypted = get(ebs, "encrypted")
    if is_unknown(encrypted):
        report(unknown_message(f"{subject} ebs.encrypted", "true"))
    elif not is_true(encrypted):
        report(f"{subject} ebs.encrypted must be true.")
    _require_cmk(get(ebs, "kmsKeyId"), f"{subject} ebs.kmsKeyId", report)


def _launch_template_ebs_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """Node volumes, the AMI's root device first, are encrypted with a customer key declared in the template."""
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    required = list(settings(args, ROOT_DEVICE_CONFIG)["requiredDeviceNames"])
    mappings = plain(args.props).get("blockDeviceMappings")
    if is_unknown(mappings):
        report(unknown_message("Launch template blockDeviceMappings", "a list of encrypted ebs volumes"))
        return
    declared: set[str] = set()
    for mapping in as_list(mappings):
        device = get(mapping, "deviceName")
        if is_unknown(device):
            report(unknown_message("Launch template blockDeviceMappings deviceName", " or ".join(required)))
            continue
        ebs = get(mapping, "ebs")
        if ebs is None:
            continue  # an instance store (virtualName) or a suppressed (noDevice) mapping: no EBS volume.
        if isinstance(device, str):
            declared.add(device)
        _check_ebs(ebs, f"Launch template volume {_shown(device)}", report)
    for device in required:
        if device not in declared:
            report(
                f"Launch template blockDeviceMappings must map {device} (the AMI root device) "
                "to an ebs volume with encrypted true and a kmsKeyId."
            )


EBS_TYPES = (EC2_INSTANCE, EBS_VOLUME, EBS_ENCRYPTION_BY_DEFAULT, EBS_DEFAULT_KEY)


def _ec2_instance_ebs_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """EC2 instances, EBS volumes and the account's EBS default encryption use customer keys."""
    if args.resource_type not in EBS_TYPES:
        return
    props = plain(args.props)
    if args.resource_type == EC2_INSTANCE:
        root = props.get("rootBlockDevice")
        if root is None:
            report("EC2 instance rootBlockDevice must be declared with encrypted true and a kmsKeyId.")
        else:
            _check_ebs_fields(root, "EC2 instance rootBlockDevice", report)
        devices = props.get("ebsBlockDevices")
        if is_unknown(devices):
            report(unknown_message("EC2 instance ebsBlockDevices", "a list of encrypted volumes"))
            return
        for device in as_list(devices):
            _check_ebs_fields(device, f"EC2 instance ebsBlockDevice {_shown(get(device, 'deviceName'))}", report)
    elif args.resource_type == EBS_VOLUME:
        _check_ebs_fields(props, "EBS volume", report)
    elif args.resource_type == EBS_ENCRYPTION_BY_DEFAULT:
        enabled = props.get("enabled")
        if is_unknown(enabled):
            report(unknown_message("EBS encryption by default enabled", "true"))
        elif is_false(enabled):  # unset: the provider's default is true.
            report("EBS encryption by default enabled must be true.")
    elif args.resource_type == EBS_DEFAULT_KEY:
        _require_cmk(props.get("keyArn"), "EBS default KMS key keyArn", report)


def _check_ebs_fields(block: Any, subject: str, report: Report) -> None:
    """A block whose own `encrypted`/`kmsKeyId` fields describe one volume (instance devices, aws:ebs/volume)."""
    if is_unknown(block):
        report(unknown_message(subject, "an object with encrypted true and a kmsKeyId"))
        return
    encrypted = get(block, "encrypted")
    if is_unknown(encrypted):
        report(unknown_message(f"{subject} encrypted", "true"))
    elif not is_true(encrypted):
        report(f"{subject} encrypted must be true.")
    _require_cmk(get(block, "kmsKeyId"), f"{subject} kmsKeyId", report)


def _secret_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """Secrets Manager secrets, each of their replicas and the RDS-managed master secret use a customer key.

    A replica without kmsKeyId is encrypted with aws/secretsmanager of the replica's region
    (ReplicaRegionType.KmsKeyId, https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicaRegionType.html);
    that the key lives in the replica's region is kms-key-same-region's check. An Aurora cluster
    with manageMasterUserPassword true keeps the master password in a secret RDS creates, under
    masterUserSecretKmsKeyId or else aws/secretsmanager
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html).
    """
    if args.resource_type == AURORA_CLUSTER:
        props = plain(args.props)
        managed = props.get("manageMasterUserPassword")
        if is_unknown(managed):
            report(unknown_message("Aurora cluster manageMasterUserPassword", "true or false"))
        elif is_true(managed):
            _require_cmk(props.get("masterUserSecretKmsKeyId"), "Aurora cluster masterUserSecretKmsKeyId", report)
        return
    if args.resource_type != SECRET:
        return
    props = plain(args.props)
    _require_cmk(props.get("kmsKeyId"), "Secrets Manager secret kmsKeyId", report)
    replicas = props.get("replicas")
    if is_unknown(replicas):
        report(unknown_message("Secrets Manager secret replicas", "a list of regions, each with a kmsKeyId"))
        return
    for replica in as_list(replicas):
        region = get(replica, "region")
        _require_cmk(get(replica, "kmsKeyId"), f"Secrets Manager secret replica {_shown(region)} kmsKeyId", report)


def _sns_topic_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """SNS topics (alerts carry resource names and errors) use a customer managed key."""
    if args.resource_type != SNS_TOPIC:
        return
    _require_cmk(plain(args.props).get("kmsMasterKeyId"), "SNS topic kmsMasterKeyId", report)


def key_spec(props: Mapping[str, Any]) -> Any:
    """A KMS key's spec: `keySpec`, else its deprecated alias `customerMasterKeySpec` (None when neither is set)."""
    spec = props.get("keySpec")
    return spec if spec is not None else props.get("customerMasterKeySpec")


def _kms_key_rotation(args: ResourceValidationArgs, report: Report) -> None:
    """Symmetric customer keys rotate automatically at least yearly."""
    if args.resource_type != KMS_KEY:
        return
    props = plain(args.props)
    # An unknown spec is checked as symmetric (the components set it as a literal, if at all).
    spec = key_spec(props)
    if spec not in (None, "SYMMETRIC_DEFAULT") and not is_unknown(spec):
        return  # AWS rotates only symmetric encryption keys: asymmetric and HMAC keys cannot rotate.
    _require_true(props, "enableKeyRotation", "KMS key", report)
    period = props.get("rotationPeriodInDays")
    bounds = f"between {MIN_ROTATION_PERIOD_DAYS} and {MAX_ROTATION_PERIOD_DAYS}"
    if is_unknown(period):
        report(unknown_message("KMS key rotationPeriodInDays", bounds))
    elif period is None:
        return  # AWS's default period is 365 days.
    elif not isinstance(period, (int, float)) or isinstance(period, bool):
        report(f"KMS key rotationPeriodInDays must be a number of days {bounds}, not {period}.")
    elif not MIN_ROTATION_PERIOD_DAYS <= period <= MAX_ROTATION_PERIOD_DAYS:
        report(f"KMS key rotationPeriodInDays must be {bounds}, not {_number(period)}.")


def _kms_key_enabled(args: ResourceValidationArgs, report: Report) -> None:
    """Keys (primaries: isEnabled, replicas: enabled) stay enabled; a disabled key stops every service using it."""
    if args.resource_type not in (KMS_KEY, KMS_REPLICA_KEY):
        return
    prop = "isEnabled" if args.resource_type == KMS_KEY else "enabled"
    subject = "KMS key" if args.resource_type == KMS_KEY else "KMS replica key"
    value = plain(args.props).get(prop)
    if is_unknown(value):
        report(unknown_message(f"{subject} {prop}", "true"))
    elif is_false(value):  # unset: AWS creates keys enabled.
        report(f"{subject} {prop} must be true.")


DELETION_CONFIG = {
    "minimumDeletionWindowDays": Setting(
        {
            "type": "integer",
            "minimum": 7,
            "maximum": MAX_DELETION_WINDOW_DAYS,
            "default": MAX_DELETION_WINDOW_DAYS,
            "description": "Shortest allowed deletionWindowInDays (30, the KMS maximum, in prod; 7 in dev).",
        }
    ),
}


def _kms_key_deletion_window(args: ResourceValidationArgs, report: Report) -> None:
    """Keys keep the configured (in prod: the longest) deletion window, so a scheduled deletion can be undone."""
    if args.resource_type not in (KMS_KEY, KMS_REPLICA_KEY):
        return
    minimum = settings(args, DELETION_CONFIG)["minimumDeletionWindowDays"]
    subject = "KMS key" if args.resource_type == KMS_KEY else "KMS replica key"
    days = plain(args.props).get("deletionWindowInDays")
    if is_unknown(days):
        report(unknown_message(f"{subject} deletionWindowInDays", f"at least {minimum}"))
    elif days is None:
        return  # AWS's default window is 30 days, the maximum.
    elif not isinstance(days, (int, float)) or isinstance(days, bool) or days < minimum:
        report(f"{subject} deletionWindowInDays must be at least {minimum}, not {_number(days)}.")


def _kms_key_multi_region(args: ResourceValidationArgs, report: Report) -> None:
    """Customer encryption keys are multi-region primaries so every cell holds a replica of the same key."""
    if args.resource_type != KMS_KEY:
        return
    props = plain(args.props)
    if props.get("keyUsage") == SIGNING_KEY_USAGE:
        # A signing key encrypts no data, so no cell ever needs it to decrypt after a failover; the
        # one the stack has signs the public zone, and Route 53 signs only with a key in us-east-1
        # (Route 53 Developer Guide, "Working with customer managed keys for DNSSEC"). Its use is
        # route53-public-zone-dnssec's check. An unknown or unset usage (ENCRYPT_DECRYPT) stays checked.
        return
    _require_true(props, "multiRegion", "KMS key", report)


def _kms_key_replicated(args: StackValidationArgs, report: Report) -> None:
    """Each multi-region primary key has a replica in every other region of the stack."""
    view = StackView(args.resources)
    regions = set(view.regional_regions())
    replicas = view.of_type(KMS_REPLICA_KEY)
    for key in view.of_type(KMS_KEY):
        if not is_true(view.props(key).get("multiRegion")):
            continue  # kms-key-multi-region reports it.
        replica_regions = {
            view.region(r) for r in replicas if key in view.references(r, "primaryKeyArn", (KMS_KEY,), keys=("arn",))
        }
        missing = sorted(regions - replica_regions - {view.region(key)})
        if missing:
            report(f"KMS key {key.name} must have a replica key in {', '.join(missing)}.", key.urn)


# Property names that hold a KMS key reference: kmsKeyId, kmsMasterKeyId,
# encryptionAtRestKmsKeyArn, performanceInsightsKmsKeyId, keyArn, ...
_KEY_PROPERTY = re.compile(r"(?i)^(?=.*kms)(?=.*key).*$|^keyArn$")
# A replica key points at its primary in another region by design.
_NOT_A_KEY_USE = {(KMS_REPLICA_KEY, "primaryKeyArn")}


def _key_references(value: Any, path: str, region: str) -> list[tuple[str, Any, str]]:
    """(path, value, expected region) of every key-reference leaf under `value`.

    An object with its own `region` (a Secrets Manager replica, say) expects keys of that region.
    """
    found: list[tuple[str, Any, str]] = []
    if isinstance(value, dict):
        own = value.get("region")
        region = own if isinstance(own, str) and own and not is_unknown(own) else region
        for key, child in value.items():
            child_path = f"{path}.{key}"
            if _KEY_PROPERTY.match(key) and (isinstance(child, str) or child is None):
                if child:
                    found.append((child_path, child, region))
            else:
                found.extend(_key_references(child, child_path, region))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_key_references(child, f"{path}[{index}]", region))
    return found


def _kms_key_same_region(args: StackValidationArgs, report: Report) -> None:
    """A regional resource only uses KMS keys of its own region (or of a nested object's own region)."""
    view = StackView(args.resources)
    for resource in view.resources:
        if not resource.resource_type.startswith("aws:") or resource.resource_type.startswith("aws:kms/"):
            continue
        props = view.props(resource)
        region = region_of(props, resource.provider)
        if region is None:
            continue  # resource-region-in-jurisdiction reports resources without a region.
        for top, top_value in props.items():
            if top == "region" or (resource.resource_type, top) in _NOT_A_KEY_USE:
                continue
            for dotted, value, expected in _key_references({top: top_value}, "", region):
                path = dotted.lstrip(".")
                subject = f"{resource.name} {path} must be a KMS key in {expected}"
                arn = parse_arn(value)
                if arn is not None:
                    if arn.region and arn.region != expected:
                        report(f"{subject}, not {arn.region}.", resource.urn)
                    continue
                if not is_unknown(value):
                    continue  # a key id or alias name resolves in the resource's own region.
                keys = view.references(resource, top, (KMS_KEY, KMS_REPLICA_KEY, KMS_ALIAS))
                if not keys:
                    report(
                        f"{resource.name} {path} is unknown at preview and comes from no KMS key of this stack; "
                        f"it must reference a key in {expected}.",
                        resource.urn,
                    )
                elif not any(view.region(key) in (expected, None) for key in keys):
                    for key in keys:
                        report(f"{subject}, not {view.region(key)} ({key.name}).", resource.urn)


# --- key policies grant the using service a path -----------------------------------------------
#
# "Key policies in AWS KMS": the key policy is the primary access control of a KMS key; no
# principal, not even the account, may use a key unless the key policy allows it directly or
# delegates to IAM by naming the account (`arn:aws:iam::<account>:root`, the default policy's
# "Enable IAM User Permissions"). https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
# A service that encrypts on a caller's behalf (S3, RDS, MSK, Secrets Manager, SNS, EKS, EBS)
# calls KMS with the caller's credentials, so the account delegation must include the usage
# actions, optionally narrowed with `kms:ViaService` = `<service>.<region>.amazonaws.com`
# (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
# CloudWatch Logs calls KMS as its own service principal `logs.<region>.amazonaws.com`
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): only a
# statement naming that principal is a path. An account statement with administration actions
# only (kms:Create*, kms:Describe*, kms:Put*, ...) is no path for anyone. AWS's own service-use
# form, `"AWS": "*"` under both kms:CallerAccount (the key's account) and kms:ViaService (the
# service), as in the default policy of aws/ebs, is the same delegation and counts as a path.


@dataclass(frozen=True)
class KeyUse:
    """How a service uses a key: the actions it needs, and whether a caller's delegation counts."""

    service: str
    actions: tuple[str, ...]
    through_callers: bool = True


# Actions from each service's KMS page: S3 SSE-KMS (GenerateDataKey to write, Decrypt to read),
# RDS/MSK/Secrets Manager/SNS the same envelope pair, EKS secrets encryption (Encrypt, Decrypt),
# EBS (GenerateDataKeyWithoutPlaintext, Decrypt), CloudWatch Logs (Encrypt, Decrypt, GenerateDataKey).
_ENVELOPE = ("kms:Decrypt", "kms:GenerateDataKey")
KEY_USES: dict[str, KeyUse] = {
    **{t: KeyUse("s3", _ENVELOPE) for t in (*SSE_CONFIGS, *BUCKETS)},
    AURORA_CLUSTER: KeyUse("rds", _ENVELOPE),
    AURORA_INSTANCE: KeyUse("rds", _ENVELOPE),
    RDS_INSTANCE: KeyUse("rds", _ENVELOPE),
    MSK_CLUSTER: KeyUse("kafka", _ENVELOPE),
    SECRET: KeyUse("secretsmanager", _ENVELOPE),
    SNS_TOPIC: KeyUse("sns", _ENVELOPE),
    EKS_CLUSTER: KeyUse("eks", ("kms:Encrypt", "kms:Decrypt")),
    LAUNCH_TEMPLATE: KeyUse("ec2", ("kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext")),
    EBS_VOLUME: KeyUse("ec2", ("kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext")),
    LOG_GROUP: KeyUse("logs", ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"), through_callers=False),
    # AWS Backup encrypts what it fully manages through backup.<region>; Aurora copies into the vault
    # are re-encrypted by RDS under the vault's key ("Encryption for backups in AWS Backup"), which
    # components/keys.py also allows (VIA_SERVICES["backup"]).
    BACKUP_VAULT: KeyUse("backup", _ENVELOPE),
    # CloudTrail encrypts log and digest files as its own principal ("Configure AWS KMS key policies for
    # CloudTrail"); CreateTrail fails with InsufficientEncryptionPolicyException without that statement.
    TRAIL: KeyUse("cloudtrail", ("kms:GenerateDataKey",), through_callers=False),
}
_ACCOUNT_PRINCIPAL = re.compile(r"^(?:arn:aws[a-z-]*:iam::(?P<arn_account>\d{12}):root|(?P<account>\d{12}))$")


def _endpoint(service: str, region: str | None) -> str:
    return f"{service}.{region}.amazonaws.com"


def allows_action(statement: Mapping[str, Any], action: str) -> bool:
    """An Allow statement whose Action (wildcards included) covers `action`."""
    if statement.get("Effect") != "Allow":
        return False
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in strings(statement.get("Action")))


def _via_services(statement: Mapping[str, Any]) -> list[str] | None:
    """The statement's kms:ViaService values under any operator, or None when it has no such condition."""
    found: list[str] | None = None
    for operator in (statement.get("Condition") or {}).values():
        if not isinstance(operator, Mapping):
            continue
        for key, values in operator.items():
            if key.lower() == "kms:viaservice":
                found = (found or []) + strings(values)
    return found


def _is_path(statement: Mapping[str, Any], use: KeyUse, region: str | None, account: str | None) -> bool:
    """The statement lets `use.service` (in `region`) use the key: its service principal, or the account through it."""
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return False  # "*" is kms-key-policy-no-wildcard-principal's business, not a path.
    services = {s.lower() for s in strings(principal.get("Service"))}
    if {_endpoint(use.service, region), f"{use.service}.amazonaws.com"} & services:
        return True
    if not use.through_callers:
        return False
    via = _via_services(statement)
    endpoint = _endpoint(use.service, region)
    through_service = via is None or any(fnmatch.fnmatchcase(endpoint, v.lower()) for v in via)
    if "*" in strings(principal.get("AWS")):
        # AWS's service-use form: any principal, but only of the caller account and only through
        # the service (kms-key-policy-no-wildcard-principal rejects "*" in any other form).
        callers = condition_values(statement, "kms:CallerAccount") or []
        return (
            is_account_service_scoped(statement)
            and (account is None or account in callers)
            and any(fnmatch.fnmatchcase(endpoint, v.lower()) for v in via or [])
        )
    roots = [m for m in map(_ACCOUNT_PRINCIPAL.match, strings(principal.get("AWS"))) if m]
    if not any(account is None or account in (m["arn_account"], m["account"]) for m in roots):
        return False
    return through_service


def _missing_actions(document: Mapping[str, Any], use: KeyUse, region: str | None, account: str | None) -> list[str]:
    """The usage actions no path statement of the key policy allows `use.service`."""
    paths = [s for s in statements(document) if _is_path(s, use, region, account)]
    return [a for a in use.actions if not any(allows_action(s, a) for s in paths)]


def _key_policy_document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _resolve_keys(view: StackView, resource: PolicyResource, top: str, value: Any, region: str) -> list[PolicyResource]:
    """The stack's keys (primary or replica) a key reference names: by ARN, id or alias; by dependency when unknown."""
    keys = view.of_type(KMS_KEY, KMS_REPLICA_KEY)
    if not is_unknown(value):
        aliases = [a for a in view.of_type(KMS_ALIAS) if value in (view.props(a).get("name"), view.props(a).get("arn"))]
        targets = {value} | {view.props(a).get("targetKeyId") for a in aliases}
        found = [k for k in keys if targets & {view.props(k).get(p) for p in ("arn", "keyId", "id")}]
        if len(found) > 1:  # a multi-region key id names the primary and every replica: take this region's.
            found = [k for k in found if view.region(k) == region] or found
        return found
    candidates = view.references(resource, top, (KMS_KEY, KMS_REPLICA_KEY, KMS_ALIAS))
    resolved = [k for k in candidates if k.resource_type != KMS_ALIAS]
    for alias in (c for c in candidates if c.resource_type == KMS_ALIAS):
        resolved += view.references(alias, "targetKeyId", (KMS_KEY, KMS_REPLICA_KEY), keys=("keyId", "id", "arn"))
    return [k for k in resolved if view.region(k) in (region, None)] or resolved


def _subjects(view: StackView, resource: PolicyResource) -> list[PolicyResource]:
    """Whom a violation names: the bucket of an encryption configuration, else the resource itself."""
    if resource.resource_type in SSE_CONFIGS:
        return view.references(resource, "bucket", BUCKETS, keys=("id", "bucket")) or [resource]
    return [resource]


def _kms_key_policy_allows_service_use(args: StackValidationArgs, report: Report) -> None:
    """Every key a resource uses grants that resource's service a usage path in its key policy.

    Unknowns: a key reference that is unknown at preview and resolves to no key of this stack
    (no property dependency on one) is skipped, as is a known reference to a key outside the
    stack (its policy is not visible here). A key policy that is unknown fails (`fail`): the
    components build it from literals and the account id, known at preview.
    """
    view = StackView(args.resources)
    for resource in view.resources:
        use = KEY_USES.get(resource.resource_type)
        if use is None:
            continue
        props = view.props(resource)
        region = region_of(props, resource.provider)
        for top, top_value in props.items():
            if top == "region":
                continue
            for dotted, value, expected in _key_references({top: top_value}, "", region or ""):
                for key in _resolve_keys(view, resource, top, value, expected):
                    _check_key_use(view, resource, dotted.lstrip("."), key, use, report)


def _check_key_use(
    view: StackView, resource: PolicyResource, path: str, key: PolicyResource, use: KeyUse, report: Report
) -> None:
    policy = view.props(key).get("policy")
    arn = parse_arn(view.props(key).get("arn"))
    region = view.region(key) or (arn.region if arn else None)
    for subject in _subjects(view, resource):
        where = f"{subject.urn} ({resource.name} {path})"
        if is_unknown(policy):
            report(
                unknown_message(f"KMS key {key.urn} policy", f"a document granting {use.service} use for {where}"),
                subject.urn,
            )
            continue
        document = _key_policy_document(policy) or {}
        missing = _missing_actions(document, use, region, arn.account if arn else None)
        if missing:
            via = "its service principal" if not use.through_callers else "the account through kms:ViaService"
            report(
                f"KMS key {key.urn} policy must allow {', '.join(missing)} to {use.service} "
                f"({via}, {_endpoint(use.service, region)}) for {where}.",
                subject.urn,
            )


# --- every customer-key reference names a key of this stack ---------------------------------------
#
# The resource rules above can only judge a reference's spelling. A well-formed ARN may still
# name a key of another account (its owner controls, and may revoke or read, our data), a key id
# may belong to no key of the stack, and an alias may point at an AWS managed key. This stack
# policy resolves each reference the resource rules check to a aws:kms/key or aws:kms/replicaKey of
# this stack (by ARN, key id or alias; by property dependency when unknown at preview).

CMK_TYPES = (*KEY_USES, EC2_INSTANCE, EBS_DEFAULT_KEY)


def _foreign_key_reason(
    view: StackView, accounts: set[str], resource: PolicyResource, top: str, value: Any, region: str
) -> str | None:
    """Why `value` is not a customer managed key of this stack (whose keys live in `accounts`), or None."""
    if is_unknown(value):
        if _resolve_keys(view, resource, top, value, region):
            return None
        return "its value is unknown at preview and comes from no KMS key of this stack"
    if not _is_customer_key(value):
        return f"{value} is an AWS managed key or no KMS key"
    arn = parse_arn(value)
    if arn is not None and accounts and arn.account not in accounts:
        return f"{value} is a key of account {arn.account}, not of {', '.join(sorted(accounts))}"
    if not _resolve_keys(view, resource, top, value, region):
        return f"{value} is no KMS key of this stack"
    return None


def _kms_key_reference_customer_managed(args: StackValidationArgs, report: Report) -> None:
    """Every key reference of an encrypted resource resolves to a customer managed key of this stack."""
    view = StackView(args.resources)
    accounts = stack_accounts(view)
    for resource in view.of_type(*CMK_TYPES):
        props = view.props(resource)
        region = region_of(props, resource.provider) or ""
        for top, top_value in props.items():
            if top == "region":
                continue
            for dotted, value, expected in _key_references({top: top_value}, "", region):
                reason = _foreign_key_reason(view, accounts, resource, top, value, expected)
                if reason is not None:
                    path = dotted.lstrip(".")
                    report(
                        f"{resource.name} {path} must name a customer managed KMS key of this stack; {reason}.",
                        resource.urn,
                    )


_CMK = "Set the key ARN from MultiRegionKeys.arn(<purpose>, <region>) (components/keys.py)."

POLICIES = [
    resource_policy(
        name="aurora-storage-encrypted",
        description="Aurora clusters and RDS DB instances must encrypt storage with a customer managed KMS key.",
        validate=_aurora_storage_encrypted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION.with_controls(
            "ENC-RDS-CLUSTER-STORAGE",
            "ENC-RDS-CLUSTER-CMK",
            "ENC-RDS-INSTANCE-STORAGE",
            security_hub=("RDS.27", "RDS.3"),
        ),
        remediation=f"Set storageEncrypted=True and kmsKeyId to the region's data key. {_CMK}",
    ),
    resource_policy(
        name="aurora-global-cluster-storage-encrypted",
        description="Aurora global clusters must be created with storage encryption on.",
        validate=_aurora_global_storage_encrypted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION.with_controls("ENC-RDS-GLOBAL-STORAGE"),
        remediation="Set storageEncrypted=True on the GlobalCluster; each member sets its regional kmsKeyId.",
    ),
    resource_policy(
        name="rds-performance-insights-cmk",
        description="Performance Insights, when on, must be encrypted with a customer managed KMS key.",
        validate=_performance_insights_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION.with_controls("ENC-RDS-PI-CMK"),
        remediation=f"Set performanceInsightsKmsKeyId to the region's data key. {_CMK}",
    ),
    resource_policy(
        name="eks-secrets-encrypted",
        description="EKS clusters must envelope-encrypt Kubernetes Secrets with a customer managed KMS key.",
        validate=_eks_secrets_encrypted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION.with_controls("ENC-EKS-SECRETS"),
        remediation=f'Set encryptionConfig={{"resources": ["secrets"], "provider": {{"keyArn": <key>}}}}. {_CMK}',
    ),
    resource_policy(
        name="msk-encrypted-at-rest-cmk",
        description="MSK clusters must encrypt broker storage with a customer managed KMS key.",
        validate=_msk_at_rest_cmk,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION.with_controls("ENC-MSK-AT-REST"),
        remediation=f"Set encryptionInfo.encryptionAtRestKmsKeyArn to the region's streaming key. {_CMK}",
    ),
    resource_policy(
        name="cloudwatch-log-group-cmk",
        description="CloudWatch log groups must be encrypted with a customer managed KMS key.",
        validate=_log_group_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("3.5.1", "10.3.1"), soc2=("CC6.1", "CC7.2"), gdpr=("art32",), controls=("ENC-CWL-KMS",)
        ),
        remediation=f"Set kmsKeyId to the region's logs key (its policy allows logs.<region>.amazonaws.com). {_CMK}",
    ),
    stack_policy(
        name="s3-bucket-sse-kms",
        description="S3 default encryption must be SSE-KMS with a customer managed KMS key.",
        validate=_s3_sse_kms,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION.with_controls("ENC-S3-SSE", security_hub=("S3.4",)),
        remediation="Set rules[].applyServerSideEncryptionByDefault to sseAlgorithm aws:kms with kmsMasterKeyId. "
        "SSE-S3 (AES256) passes only on a log archive: a bucket tagged finstack:role=log-archive whose policy grants "
        "nothing but AWS log delivery (components/log_archive.py), since ALB and S3 access logs refuse SSE-KMS.",
    ),
    stack_policy(
        name="s3-bucket-encryption-configured",
        description="Every S3 bucket must have an SSE-KMS default-encryption configuration.",
        validate=_s3_bucket_encryption_configured,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION.with_controls("ENC-S3-SSE", security_hub=("S3.4",)),
        remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration with bucket=<bucket>.id.",
    ),
    resource_policy(
        name="ec2-launch-template-ebs-encrypted",
        description="Launch templates must declare encrypted EBS volumes with a customer managed KMS key.",
        validate=_launch_template_ebs_encrypted,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION.with_controls("ENC-EBS-NODES", security_hub=("EC2.3", "EC2.7")),
        config=ROOT_DEVICE_CONFIG,
        remediation=(
            'Add blockDeviceMappings=[{"deviceName": "/dev/xvda", '
            '"ebs": {"encrypted": "true", "kmsKeyId": <data key>}}]. ' + _CMK
        ),
    ),
    resource_policy(
        name="secretsmanager-secret-cmk",
        description="Secrets Manager secrets must be encrypted with a customer managed KMS key.",
        validate=_secret_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION.with_controls("ENC-SECRETS-CMK"),
        remediation=f"Set kmsKeyId to the region's secrets key. {_CMK}",
    ),
    resource_policy(
        name="sns-topic-cmk",
        description="SNS topics must be encrypted with a customer managed KMS key.",
        validate=_sns_topic_cmk,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=ENCRYPTION.with_controls("FIN-SNS-CMK"),  # no peer table row checks SNS topic encryption
        remediation=f"Set kmsMasterKeyId to the region's secrets key. {_CMK}",
    ),
    resource_policy(
        name="kms-key-rotation-enabled",
        description="Symmetric customer managed KMS keys must rotate automatically at least yearly.",
        validate=_kms_key_rotation,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=KEY_MANAGEMENT.with_controls("ENC-KMS-ROTATION", security_hub=("KMS.4",)),
        remediation=(
            "Set enableKeyRotation=True and keep rotationPeriodInDays between "
            f"{MIN_ROTATION_PERIOD_DAYS} and {MAX_ROTATION_PERIOD_DAYS} (unset: 365)."
        ),
    ),
    resource_policy(
        name="kms-key-multi-region",
        description="Customer managed KMS keys must be multi-region primaries.",
        validate=_kms_key_multi_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=KEY_MANAGEMENT.with_controls("ENC-KMS-MRK"),
        remediation="Set multiRegion=True (it forces replacement: create a new key and re-encrypt).",
    ),
    stack_policy(
        name="kms-key-replicated-to-every-region",
        description="Every multi-region primary key must have a replica key in each other region of the stack.",
        validate=_kms_key_replicated,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("3.6.1",), soc2=("CC6.1", "A1.2"), gdpr=("art32",), controls=("ENC-KMS-MRK",)),
        remediation="Add an aws.kms.ReplicaKey(primary_key_arn=<key>.arn, region=<region>) per other cell.",
    ),
    stack_policy(
        name="kms-key-same-region",
        description="Regional resources must only use KMS keys that live in their own region.",
        validate=_kms_key_same_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("3.6.1", "12.5.2"), soc2=("CC6.1", "A1.2"), gdpr=("art32", "art44"), controls=("ENC-KMS-MRK",)
        ),
        remediation="Use MultiRegionKeys.arn(<purpose>, <the resource's region>): the replica in that region.",
    ),
    stack_policy(
        name="kms-key-policy-allows-service-use",
        description="Every KMS key a resource uses must grant that resource's service a usage path in its key policy.",
        validate=_kms_key_policy_allows_service_use,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(
            pci=("3.6.1", "3.5.1"), soc2=("CC6.1", "A1.2"), gdpr=("art32",), controls=("IAM-KMS-KEY-POLICY",)
        ),
        remediation=(
            "Add the service to VIA_SERVICES[<purpose>] (or a service principal statement) in components/keys.py "
            "so the key policy allows the usage actions through <service>.<region>.amazonaws.com."
        ),
    ),
    resource_policy(
        name="kms-key-enabled",
        description="Customer managed KMS keys and their replicas must stay enabled.",
        validate=_kms_key_enabled,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("3.6.1",), soc2=("CC6.1", "A1.2"), gdpr=("art32",), controls=("RES-KMS-ENABLED",)),
        remediation="Leave isEnabled (ReplicaKey: enabled) unset or True; retire a key by replacing its uses first.",
    ),
    resource_policy(
        name="kms-key-deletion-window",
        description="Customer managed KMS keys and their replicas must keep the configured deletion waiting period.",
        validate=_kms_key_deletion_window,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("3.6.1",),
            soc2=("CC6.1", "A1.2"),
            gdpr=("art32",),
            controls=("RES-KMS-NO-DELETION",),
            security_hub=("KMS.3",),
        ),
        remediation=f"Set deletionWindowInDays={MAX_DELETION_WINDOW_DAYS} (the KMS maximum) on keys and replica keys.",
        config=DELETION_CONFIG,
    ),
    stack_policy(
        name="kms-key-reference-customer-managed",
        description="Every KMS key an encrypted resource names must be a customer managed key of this stack.",
        validate=_kms_key_reference_customer_managed,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(
            pci=("3.6.1", "3.5.1"),
            soc2=("CC6.1", "CC6.7"),
            gdpr=("art32",),
            controls=(
                "ENC-RDS-CLUSTER-CMK",
                "ENC-RDS-PI-CMK",
                "ENC-EKS-SECRETS",
                "ENC-MSK-AT-REST",
                "ENC-CWL-KMS",
                "ENC-S3-SSE",
                "ENC-EBS-NODES",
                "ENC-SECRETS-CMK",
            ),
        ),
        remediation=f"Reference the stack's own key, not an ARN, id or alias typed in. {_CMK}",
    ),
    resource_policy(
        name="ec2-ebs-volumes-encrypted",
        description="EC2 instance and EBS volumes, and EBS encryption by default, must use customer managed KMS keys.",
        validate=_ec2_instance_ebs_encrypted,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION.with_controls("ENC-EBS-NODES", security_hub=("EC2.3", "EC2.7")),
        remediation=(
            "Declare rootBlockDevice and every ebsBlockDevice with encrypted=True and kmsKeyId; keep "
            "EncryptionByDefault enabled and DefaultKmsKey on a customer key. " + _CMK
        ),
    ),
]
