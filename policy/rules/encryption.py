"""Encryption at rest: every data store and log sink under a customer managed KMS key.

Keys are rotated, multi-region, replicated into every cell, and always used in the region of
the resource they protect (a cross-region key is a residency leak and a regional outage
dependency). Unknown key references count as present (`present` mode); unknown booleans fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    Compliance,
    StackView,
    as_list,
    get,
    is_customer_key,
    is_true,
    is_unknown,
    parse_arn,
    plain,
    region_of,
    resource_policy,
    stack_policy,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "encryption"

AURORA_CLUSTER = "aws:rds/cluster:Cluster"
AURORA_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
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
SECRET = "aws:secretsmanager/secret:Secret"
SNS_TOPIC = "aws:sns/topic:Topic"
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
KMS_ALIAS = "aws:kms/alias:Alias"

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
# PCI DSS 3.7.4: a defined cryptoperiod; AWS rotates yearly by default and allows 90-2560 days.
MAX_ROTATION_PERIOD_DAYS = 365

ENCRYPTION = Compliance(pci=("3.5.1",), soc2=("CC6.1", "CC6.7"), gdpr=("art32",))
KEY_MANAGEMENT = Compliance(pci=("3.6.1", "3.7.4"), soc2=("CC6.1",), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


def _require_true(props: dict[str, Any], key: str, subject: str, report: Report) -> None:
    value = props.get(key)
    if is_unknown(value):
        report(unknown_message(f"{subject} {key}", "true"))
    elif not is_true(value):
        report(f"{subject} {key} must be true.")


def _require_cmk(value: Any, subject: str, report: Report) -> None:
    if not is_customer_key(value):
        report(f"{subject} must name a customer managed KMS key.")


def _aurora_storage_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora member clusters encrypt storage with a customer managed key."""
    if args.resource_type != AURORA_CLUSTER:
        return
    props = plain(args.props)
    _require_true(props, "storageEncrypted", "Aurora cluster", report)
    _require_cmk(props.get("kmsKeyId"), "Aurora cluster kmsKeyId", report)


def _aurora_global_storage_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """The global cluster is created encrypted (members then carry their own regional CMK)."""
    if args.resource_type != GLOBAL_CLUSTER:
        return
    _require_true(plain(args.props), "storageEncrypted", "Aurora global cluster", report)


def _performance_insights_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """Performance Insights (it stores SQL text) uses a customer managed key when enabled."""
    if args.resource_type not in (AURORA_CLUSTER, AURORA_INSTANCE):
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


def _s3_sse_kms(args: ResourceValidationArgs, report: Report) -> None:
    """Bucket default encryption is SSE-KMS with a customer managed key."""
    if args.resource_type not in SSE_CONFIGS:
        return
    rules = plain(args.props).get("rules")
    if is_unknown(rules):
        report(unknown_message("S3 bucket encryption rules", "a list with an aws:kms rule"))
        return
    if not as_list(rules):
        report("S3 bucket encryption configuration must have an aws:kms rule.")
    for rule in as_list(rules):
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


def _launch_template_ebs_encrypted(args: ResourceValidationArgs, report: Report) -> None:
    """Node volumes are encrypted with a customer managed key, declared in the template."""
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    mappings = plain(args.props).get("blockDeviceMappings")
    if is_unknown(mappings):
        report(unknown_message("Launch template blockDeviceMappings", "a list of encrypted ebs volumes"))
        return
    volumes = [(get(m, "deviceName"), get(m, "ebs")) for m in as_list(mappings) if get(m, "ebs") is not None]
    if not volumes:
        report("Launch template blockDeviceMappings must declare the root volume with ebs.encrypted and a kmsKeyId.")
    for device, ebs in volumes:
        subject = f"Launch template volume {_shown(device)}"
        if is_unknown(ebs):
            report(unknown_message(f"{subject} ebs", "an object with encrypted true and a kmsKeyId"))
            continue
        encrypted = ebs.get("encrypted")
        if is_unknown(encrypted):
            report(unknown_message(f"{subject} ebs.encrypted", "true"))
        elif not is_true(encrypted):
            report(f"{subject} ebs.encrypted must be true.")
        _require_cmk(ebs.get("kmsKeyId"), f"{subject} ebs.kmsKeyId", report)


def _secret_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """Secrets Manager secrets use a customer managed key, not aws/secretsmanager."""
    if args.resource_type != SECRET:
        return
    _require_cmk(plain(args.props).get("kmsKeyId"), "Secrets Manager secret kmsKeyId", report)


def _sns_topic_cmk(args: ResourceValidationArgs, report: Report) -> None:
    """SNS topics (alerts carry resource names and errors) use a customer managed key."""
    if args.resource_type != SNS_TOPIC:
        return
    _require_cmk(plain(args.props).get("kmsMasterKeyId"), "SNS topic kmsMasterKeyId", report)


def _kms_key_rotation(args: ResourceValidationArgs, report: Report) -> None:
    """Symmetric customer keys rotate automatically at least yearly."""
    if args.resource_type != KMS_KEY:
        return
    props = plain(args.props)
    spec = props.get("customerMasterKeySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT") and not is_unknown(spec):
        return  # AWS rotates only symmetric encryption keys automatically.
    _require_true(props, "enableKeyRotation", "KMS key", report)
    period = props.get("rotationPeriodInDays")
    if is_unknown(period):
        report(unknown_message("KMS key rotationPeriodInDays", f"at most {MAX_ROTATION_PERIOD_DAYS}"))
    elif isinstance(period, (int, float)) and period > MAX_ROTATION_PERIOD_DAYS:
        report(f"KMS key rotationPeriodInDays must be at most {MAX_ROTATION_PERIOD_DAYS}, not {int(period)}.")


def _kms_key_multi_region(args: ResourceValidationArgs, report: Report) -> None:
    """Customer keys are multi-region primaries so every cell holds a replica of the same key."""
    if args.resource_type != KMS_KEY:
        return
    _require_true(plain(args.props), "multiRegion", "KMS key", report)


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


_CMK = "Set the key ARN from MultiRegionKeys.arn(<purpose>, <region>) (components/keys.py)."

POLICIES = [
    resource_policy(
        name="aurora-storage-encrypted",
        description="Aurora clusters must encrypt storage with a customer managed KMS key.",
        validate=_aurora_storage_encrypted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION,
        remediation=f"Set storageEncrypted=True and kmsKeyId to the region's data key. {_CMK}",
    ),
    resource_policy(
        name="aurora-global-cluster-storage-encrypted",
        description="Aurora global clusters must be created with storage encryption on.",
        validate=_aurora_global_storage_encrypted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION,
        remediation="Set storageEncrypted=True on the GlobalCluster; each member sets its regional kmsKeyId.",
    ),
    resource_policy(
        name="rds-performance-insights-cmk",
        description="Performance Insights, when on, must be encrypted with a customer managed KMS key.",
        validate=_performance_insights_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION,
        remediation=f"Set performanceInsightsKmsKeyId to the region's data key. {_CMK}",
    ),
    resource_policy(
        name="eks-secrets-encrypted",
        description="EKS clusters must envelope-encrypt Kubernetes Secrets with a customer managed KMS key.",
        validate=_eks_secrets_encrypted,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION,
        remediation=f'Set encryptionConfig={{"resources": ["secrets"], "provider": {{"keyArn": <key>}}}}. {_CMK}',
    ),
    resource_policy(
        name="msk-encrypted-at-rest-cmk",
        description="MSK clusters must encrypt broker storage with a customer managed KMS key.",
        validate=_msk_at_rest_cmk,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=ENCRYPTION,
        remediation=f"Set encryptionInfo.encryptionAtRestKmsKeyArn to the region's streaming key. {_CMK}",
    ),
    resource_policy(
        name="cloudwatch-log-group-cmk",
        description="CloudWatch log groups must be encrypted with a customer managed KMS key.",
        validate=_log_group_cmk,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("3.5.1", "10.3.1"), soc2=("CC6.1", "CC7.2"), gdpr=("art32",)),
        remediation=f"Set kmsKeyId to the region's logs key (its policy allows logs.<region>.amazonaws.com). {_CMK}",
    ),
    resource_policy(
        name="s3-bucket-sse-kms",
        description="S3 default encryption must be SSE-KMS with a customer managed KMS key.",
        validate=_s3_sse_kms,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION,
        remediation="Set rules[].applyServerSideEncryptionByDefault to sseAlgorithm aws:kms with kmsMasterKeyId.",
    ),
    stack_policy(
        name="s3-bucket-encryption-configured",
        description="Every S3 bucket must have an SSE-KMS default-encryption configuration.",
        validate=_s3_bucket_encryption_configured,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION,
        remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration with bucket=<bucket>.id.",
    ),
    resource_policy(
        name="ec2-launch-template-ebs-encrypted",
        description="Launch templates must declare encrypted EBS volumes with a customer managed KMS key.",
        validate=_launch_template_ebs_encrypted,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ENCRYPTION,
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
        compliance=ENCRYPTION,
        remediation=f"Set kmsKeyId to the region's secrets key. {_CMK}",
    ),
    resource_policy(
        name="sns-topic-cmk",
        description="SNS topics must be encrypted with a customer managed KMS key.",
        validate=_sns_topic_cmk,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=ENCRYPTION,
        remediation=f"Set kmsMasterKeyId to the region's secrets key. {_CMK}",
    ),
    resource_policy(
        name="kms-key-rotation-enabled",
        description="Symmetric customer managed KMS keys must rotate automatically at least yearly.",
        validate=_kms_key_rotation,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=KEY_MANAGEMENT,
        remediation=f"Set enableKeyRotation=True and keep rotationPeriodInDays at or below {MAX_ROTATION_PERIOD_DAYS}.",
    ),
    resource_policy(
        name="kms-key-multi-region",
        description="Customer managed KMS keys must be multi-region primaries.",
        validate=_kms_key_multi_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=KEY_MANAGEMENT,
        remediation="Set multiRegion=True (it forces replacement: create a new key and re-encrypt).",
    ),
    stack_policy(
        name="kms-key-replicated-to-every-region",
        description="Every multi-region primary key must have a replica key in each other region of the stack.",
        validate=_kms_key_replicated,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("3.6.1",), soc2=("CC6.1", "A1.2"), gdpr=("art32",)),
        remediation="Add an aws.kms.ReplicaKey(primary_key_arn=<key>.arn, region=<region>) per other cell.",
    ),
    stack_policy(
        name="kms-key-same-region",
        description="Regional resources must only use KMS keys that live in their own region.",
        validate=_kms_key_same_region,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("3.6.1", "12.5.2"), soc2=("CC6.1", "A1.2"), gdpr=("art32", "art44")),
        remediation="Use MultiRegionKeys.arn(<purpose>, <the resource's region>): the replica in that region.",
    ),
]
