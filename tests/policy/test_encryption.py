"""Encryption-at-rest policies: one happy path per policy, one case per broken property, unknowns."""

from __future__ import annotations

import json

import pytest
from pulumi_policy.proxy import unknown_checking_proxy

from tests.policy import factories as f
from tests.policy.helpers import (
    DELETE,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_OBJECT,
    check,
    check_stack,
    edit,
    key_arn,
    messages,
    resource,
    urn,
)

AWS_RDS_KEY = f"arn:aws:kms:{PRIMARY}:111122223333:alias/aws/rds"
ROOT_NOT_MAPPED = (
    "Launch template blockDeviceMappings must map /dev/xvda (the AMI root device) "
    "to an ebs volume with encrypted true and a kmsKeyId."
)


# --- aurora-storage-encrypted ---------------------------------------------------------------


def test_aurora_storage_encrypted__compliant_cluster_passes():
    assert check("aurora-storage-encrypted", f.T_CLUSTER, f.aurora_cluster()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"storageEncrypted": False}, ["Aurora cluster storageEncrypted must be true."]),
        ({"storageEncrypted": DELETE}, ["Aurora cluster storageEncrypted must be true."]),
        ({"kmsKeyId": DELETE}, ["Aurora cluster kmsKeyId must name a customer managed KMS key."]),
        ({"kmsKeyId": AWS_RDS_KEY}, ["Aurora cluster kmsKeyId must name a customer managed KMS key."]),
        ({"kmsKeyId": "alias/aws/rds"}, ["Aurora cluster kmsKeyId must name a customer managed KMS key."]),
    ],
)
def test_aurora_storage_encrypted__violation(changes, expected):
    assert check("aurora-storage-encrypted", f.T_CLUSTER, edit(f.aurora_cluster(), changes)) == expected


def test_aurora_storage_encrypted__unknown_flag_fails():
    props = edit(f.aurora_cluster(), {"storageEncrypted": UNKNOWN_BOOL})
    assert check("aurora-storage-encrypted", f.T_CLUSTER, props) == [
        "Aurora cluster storageEncrypted is unknown at preview; "
        "it must be true as a literal so the policy can prove it."
    ]


def test_aurora_storage_encrypted__unknown_key_arn_counts_as_customer_key():
    props = edit(f.aurora_cluster(), {"kmsKeyId": UNKNOWN})
    assert check("aurora-storage-encrypted", f.T_CLUSTER, props) == []


def test_aurora_storage_encrypted__other_types_ignored():
    assert check("aurora-storage-encrypted", f.T_INSTANCE, {"storageEncrypted": False}) == []


# --- aurora-global-cluster-storage-encrypted ------------------------------------------------


def test_aurora_global_cluster_storage_encrypted__compliant_passes():
    assert check("aurora-global-cluster-storage-encrypted", f.T_GLOBAL, f.global_cluster()) == []


@pytest.mark.parametrize("value", [False, None])
def test_aurora_global_cluster_storage_encrypted__violation(value):
    props = edit(f.global_cluster(), {"storageEncrypted": DELETE if value is None else value})
    assert check("aurora-global-cluster-storage-encrypted", f.T_GLOBAL, props) == [
        "Aurora global cluster storageEncrypted must be true."
    ]


def test_aurora_global_cluster_storage_encrypted__unknown_fails():
    props = edit(f.global_cluster(), {"storageEncrypted": UNKNOWN_BOOL})
    assert check("aurora-global-cluster-storage-encrypted", f.T_GLOBAL, props) == [
        "Aurora global cluster storageEncrypted is unknown at preview; "
        "it must be true as a literal so the policy can prove it."
    ]


# --- rds-performance-insights-cmk ------------------------------------------------------------


@pytest.mark.parametrize(("type_", "factory"), [(f.T_CLUSTER, f.aurora_cluster), (f.T_INSTANCE, f.aurora_instance)])
def test_rds_performance_insights_cmk__compliant_passes(type_, factory):
    assert check("rds-performance-insights-cmk", type_, factory()) == []


@pytest.mark.parametrize(("type_", "factory"), [(f.T_CLUSTER, f.aurora_cluster), (f.T_INSTANCE, f.aurora_instance)])
@pytest.mark.parametrize("key", [DELETE, "alias/aws/rds"])
def test_rds_performance_insights_cmk__aws_managed_key_fails(type_, factory, key):
    props = edit(factory(), {"performanceInsightsKmsKeyId": key})
    assert check("rds-performance-insights-cmk", type_, props) == [
        "performanceInsightsKmsKeyId must name a customer managed KMS key."
    ]


def test_rds_performance_insights_cmk__disabled_needs_no_key():
    props = edit(f.aurora_instance(), {"performanceInsightsEnabled": False, "performanceInsightsKmsKeyId": DELETE})
    assert check("rds-performance-insights-cmk", f.T_INSTANCE, props) == []


def test_rds_performance_insights_cmk__unknown_enabled_fails():
    props = edit(f.aurora_instance(), {"performanceInsightsEnabled": UNKNOWN_BOOL})
    assert check("rds-performance-insights-cmk", f.T_INSTANCE, props) == [
        "performanceInsightsEnabled is unknown at preview; "
        "it must be true or false as a literal so the policy can prove it."
    ]


# --- eks-secrets-encrypted ------------------------------------------------------------------


def test_eks_secrets_encrypted__compliant_passes():
    assert check("eks-secrets-encrypted", f.T_EKS, f.eks_cluster()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"encryptionConfig.resources": []}, ['EKS cluster encryptionConfig.resources must include "secrets".']),
        (
            {"encryptionConfig.provider.keyArn": DELETE},
            ["EKS cluster encryptionConfig.provider.keyArn must name a customer managed KMS key."],
        ),
        (
            {"encryptionConfig": DELETE},
            [
                'EKS cluster encryptionConfig.resources must include "secrets".',
                "EKS cluster encryptionConfig.provider.keyArn must name a customer managed KMS key.",
            ],
        ),
    ],
)
def test_eks_secrets_encrypted__violation(changes, expected):
    assert check("eks-secrets-encrypted", f.T_EKS, edit(f.eks_cluster(), changes)) == expected


def test_eks_secrets_encrypted__unknown_config_fails():
    props = edit(f.eks_cluster(), {"encryptionConfig": UNKNOWN_OBJECT})
    assert check("eks-secrets-encrypted", f.T_EKS, props) == [
        'EKS cluster encryptionConfig is unknown at preview; it must be an object with resources ["secrets"] '
        "as a literal so the policy can prove it."
    ]


def test_eks_secrets_encrypted__unknown_key_arn_passes():
    props = edit(f.eks_cluster(), {"encryptionConfig.provider.keyArn": UNKNOWN})
    assert check("eks-secrets-encrypted", f.T_EKS, props) == []


# --- msk-encrypted-at-rest-cmk ---------------------------------------------------------------


def test_msk_encrypted_at_rest_cmk__compliant_passes():
    assert check("msk-encrypted-at-rest-cmk", f.T_MSK, f.msk_cluster()) == []


def test_msk_encrypted_at_rest_cmk__missing_key_fails():
    props = edit(f.msk_cluster(), {"encryptionInfo.encryptionAtRestKmsKeyArn": DELETE})
    assert check("msk-encrypted-at-rest-cmk", f.T_MSK, props) == [
        "MSK cluster encryptionInfo.encryptionAtRestKmsKeyArn must name a customer managed KMS key."
    ]


def test_msk_encrypted_at_rest_cmk__unknown_key_passes():
    props = edit(f.msk_cluster(), {"encryptionInfo.encryptionAtRestKmsKeyArn": UNKNOWN})
    assert check("msk-encrypted-at-rest-cmk", f.T_MSK, props) == []


# --- cloudwatch-log-group-cmk ----------------------------------------------------------------


def test_cloudwatch_log_group_cmk__compliant_passes():
    assert check("cloudwatch-log-group-cmk", f.T_LOG_GROUP, f.log_group()) == []


@pytest.mark.parametrize("key", [DELETE, "", "alias/aws/logs"])
def test_cloudwatch_log_group_cmk__violation(key):
    assert check("cloudwatch-log-group-cmk", f.T_LOG_GROUP, edit(f.log_group(), {"kmsKeyId": key})) == [
        "CloudWatch log group kmsKeyId must name a customer managed KMS key."
    ]


# --- s3-bucket-sse-kms / s3-bucket-encryption-configured -------------------------------------


def test_s3_bucket_sse_kms__compliant_passes():
    assert check("s3-bucket-sse-kms", f.T_SSE, f.sse_config()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}},
            ["S3 bucket encryption sseAlgorithm must be aws:kms, not AES256."],
        ),
        (
            {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}},
            ["S3 bucket encryption kmsMasterKeyId must name a customer managed KMS key."],
        ),
        ({"rules": []}, ["S3 bucket encryption configuration must have an aws:kms rule."]),
    ],
)
def test_s3_bucket_sse_kms__violation(changes, expected):
    assert check("s3-bucket-sse-kms", f.T_SSE, edit(f.sse_config(), changes)) == expected


def test_s3_bucket_sse_kms__unknown_algorithm_fails():
    props = edit(f.sse_config(), {"rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": UNKNOWN}})
    assert check("s3-bucket-sse-kms", f.T_SSE, props) == [
        "S3 bucket encryption sseAlgorithm is unknown at preview; it must be aws:kms as a literal so the policy "
        "can prove it."
    ]


def _bucket_stack(*, with_config: bool = True, by_dependency: bool = False) -> list:
    stack = f.Stack()
    bucket = stack.add(
        f.T_BUCKET, "audit-bucket", {"region": PRIMARY, "bucket": "finstack-prod-audit", "id": "finstack-prod-audit"}
    )
    if with_config:
        props = f.sse_config()
        if by_dependency:
            props["bucket"] = UNKNOWN
            stack.add(f.T_SSE, "audit-bucket-sse", props, bucket=bucket)
        else:
            stack.add(f.T_SSE, "audit-bucket-sse", props)
    return stack.resources


def test_s3_bucket_encryption_configured__bucket_with_configuration_passes():
    assert check_stack("s3-bucket-encryption-configured", _bucket_stack()) == []


def test_s3_bucket_encryption_configured__resolves_unknown_bucket_through_dependencies():
    assert check_stack("s3-bucket-encryption-configured", _bucket_stack(by_dependency=True)) == []


def test_s3_bucket_encryption_configured__bucket_without_configuration_fails():
    assert check_stack("s3-bucket-encryption-configured", _bucket_stack(with_config=False)) == [
        (
            "S3 bucket audit-bucket must have a BucketServerSideEncryptionConfiguration with aws:kms.",
            urn(f.T_BUCKET, "audit-bucket"),
        )
    ]


# --- ec2-launch-template-ebs-encrypted -------------------------------------------------------


def test_ec2_launch_template_ebs_encrypted__compliant_passes():
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, f.launch_template()) == []


def test_ec2_launch_template_ebs_encrypted__boolean_true_accepted():
    props = edit(f.launch_template(), {"blockDeviceMappings.0.ebs.encrypted": True})
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"blockDeviceMappings.0.ebs.encrypted": "false"},
            ["Launch template volume /dev/xvda ebs.encrypted must be true."],
        ),
        (
            {"blockDeviceMappings.0.ebs.encrypted": DELETE},
            ["Launch template volume /dev/xvda ebs.encrypted must be true."],
        ),
        (
            {"blockDeviceMappings.0.ebs.kmsKeyId": DELETE},
            ["Launch template volume /dev/xvda ebs.kmsKeyId must name a customer managed KMS key."],
        ),
        ({"blockDeviceMappings": []}, [ROOT_NOT_MAPPED]),
        ({"blockDeviceMappings": DELETE}, [ROOT_NOT_MAPPED]),
    ],
)
def test_ec2_launch_template_ebs_encrypted__violation(changes, expected):
    props = edit(f.launch_template(), changes)
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props) == expected


def test_ec2_launch_template_ebs_encrypted__unknown_flag_fails():
    props = edit(f.launch_template(), {"blockDeviceMappings.0.ebs.encrypted": UNKNOWN})
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template volume /dev/xvda ebs.encrypted is unknown at preview; it must be true as a literal so "
        "the policy can prove it."
    ]


# --- secretsmanager-secret-cmk / sns-topic-cmk ------------------------------------------------


def test_secretsmanager_secret_cmk__compliant_passes():
    assert check("secretsmanager-secret-cmk", f.T_SECRET, f.secret()) == []


def test_secretsmanager_secret_cmk__default_key_fails():
    assert check("secretsmanager-secret-cmk", f.T_SECRET, edit(f.secret(), {"kmsKeyId": DELETE})) == [
        "Secrets Manager secret kmsKeyId must name a customer managed KMS key."
    ]


def test_sns_topic_cmk__compliant_passes():
    assert check("sns-topic-cmk", f.T_TOPIC, f.sns_topic()) == []


@pytest.mark.parametrize("key", [DELETE, "alias/aws/sns"])
def test_sns_topic_cmk__violation(key):
    assert check("sns-topic-cmk", f.T_TOPIC, edit(f.sns_topic(), {"kmsMasterKeyId": key})) == [
        "SNS topic kmsMasterKeyId must name a customer managed KMS key."
    ]


# --- kms-key-rotation-enabled / kms-key-multi-region -----------------------------------------


def test_kms_key_rotation_enabled__compliant_passes():
    assert check("kms-key-rotation-enabled", f.T_KEY, f.kms_key()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"enableKeyRotation": False}, ["KMS key enableKeyRotation must be true."]),
        ({"enableKeyRotation": DELETE}, ["KMS key enableKeyRotation must be true."]),
        ({"rotationPeriodInDays": 730}, ["KMS key rotationPeriodInDays must be between 90 and 365, not 730."]),
        ({"rotationPeriodInDays": 2560}, ["KMS key rotationPeriodInDays must be between 90 and 365, not 2560."]),
        ({"rotationPeriodInDays": 30}, ["KMS key rotationPeriodInDays must be between 90 and 365, not 30."]),
        ({"rotationPeriodInDays": 89.0}, ["KMS key rotationPeriodInDays must be between 90 and 365, not 89."]),
        (
            {"rotationPeriodInDays": "365"},
            ["KMS key rotationPeriodInDays must be a number of days between 90 and 365, not 365."],
        ),
    ],
)
def test_kms_key_rotation_enabled__violation(changes, expected):
    assert check("kms-key-rotation-enabled", f.T_KEY, edit(f.kms_key(), changes)) == expected


def test_kms_key_rotation_enabled__asymmetric_key_not_checked():
    props = edit(f.kms_key(), {"customerMasterKeySpec": "RSA_4096", "enableKeyRotation": False})
    assert check("kms-key-rotation-enabled", f.T_KEY, props) == []


@pytest.mark.parametrize("spec", ["RSA_4096", "ECC_NIST_P256", "HMAC_256", "SM2"])
def test_kms_key_rotation_enabled__asymmetric_or_hmac_key_spec_not_checked(spec):
    # keySpec is the current input (customerMasterKeySpec is its deprecated alias); these keys cannot rotate.
    props = edit(f.kms_key(), {"customerMasterKeySpec": DELETE, "keySpec": spec, "enableKeyRotation": False})
    assert check("kms-key-rotation-enabled", f.T_KEY, props) == []


def test_kms_key_rotation_enabled__symmetric_key_spec_wins_over_deprecated_spec():
    props = edit(
        f.kms_key(), {"keySpec": "SYMMETRIC_DEFAULT", "customerMasterKeySpec": "RSA_2048", "enableKeyRotation": False}
    )
    assert check("kms-key-rotation-enabled", f.T_KEY, props) == ["KMS key enableKeyRotation must be true."]


def test_kms_key_rotation_enabled__unknown_fails():
    assert check("kms-key-rotation-enabled", f.T_KEY, edit(f.kms_key(), {"enableKeyRotation": UNKNOWN_BOOL})) == [
        "KMS key enableKeyRotation is unknown at preview; it must be true as a literal so the policy can prove it."
    ]


def test_kms_key_multi_region__compliant_passes():
    assert check("kms-key-multi-region", f.T_KEY, f.kms_key()) == []


def test_kms_key_multi_region__single_region_key_fails():
    assert check("kms-key-multi-region", f.T_KEY, edit(f.kms_key(), {"multiRegion": False})) == [
        "KMS key multiRegion must be true."
    ]


def test_kms_key_multi_region__dnssec_signing_key_not_checked():
    # A SIGN_VERIFY key encrypts nothing a failed-over cell must decrypt; Route 53 signs only in us-east-1.
    assert check("kms-key-multi-region", f.T_KEY, f.dnssec_signing_key()) == []
    assert check_stack("kms-key-replicated-to-every-region", f.edge_stack().resources) == []


@pytest.mark.parametrize("usage", [None, "ENCRYPT_DECRYPT", UNKNOWN])
def test_kms_key_multi_region__encryption_or_unproven_usage_single_region_fails(usage):
    props = edit(f.kms_key(), {"multiRegion": False, "keyUsage": usage})
    assert check("kms-key-multi-region", f.T_KEY, props) == ["KMS key multiRegion must be true."]


def test_kms_key_rotation_enabled__dnssec_signing_key_not_checked():
    # "Automatic key rotation is supported only on symmetric encryption KMS keys" (KMS API, EnableKeyRotation).
    assert check("kms-key-rotation-enabled", f.T_KEY, f.dnssec_signing_key()) == []


# --- kms-key-replicated-to-every-region ------------------------------------------------------


def test_kms_key_replicated_to_every_region__compliant_stack_passes():
    assert check_stack("kms-key-replicated-to-every-region", f.compliant_stack().resources) == []


def test_kms_key_replicated_to_every_region__missing_replica_fails():
    stack = f.compliant_stack()
    resources = stack.without(f"keys-logs-{SECONDARY}")
    assert check_stack("kms-key-replicated-to-every-region", resources) == [
        (f"KMS key keys-logs-{PRIMARY} must have a replica key in {SECONDARY}.", urn(f.T_KEY, f"keys-logs-{PRIMARY}"))
    ]


def test_kms_key_replicated_to_every_region__resolves_unknown_primary_arn_through_dependencies():
    stack = f.compliant_stack()
    name = f"keys-data-{SECONDARY}"
    resources = stack.replace(name, edit(stack.props(name), {"primaryKeyArn": UNKNOWN}))
    assert check_stack("kms-key-replicated-to-every-region", resources) == []


# --- kms-key-same-region --------------------------------------------------------------------


def test_kms_key_same_region__compliant_stack_passes():
    assert check_stack("kms-key-same-region", f.compliant_stack().resources) == []


def test_kms_key_same_region__foreign_key_arn_fails():
    stack = f.compliant_stack()
    name = f"eks-{SECONDARY}-cluster"
    props = edit(stack.props(name), {"encryptionConfig.provider.keyArn": key_arn(PRIMARY, "secrets")})
    assert check_stack("kms-key-same-region", stack.replace(name, props)) == [
        (
            f"{name} encryptionConfig.provider.keyArn must be a KMS key in {SECONDARY}, not {PRIMARY}.",
            urn(f.T_EKS, name),
        )
    ]


def test_kms_key_same_region__nested_list_reference_fails():
    stack = f.compliant_stack()
    name = f"eks-{PRIMARY}-nodes-lt"
    props = edit(stack.props(name), {"blockDeviceMappings.0.ebs.kmsKeyId": key_arn(SECONDARY)})
    assert messages(check_stack("kms-key-same-region", stack.replace(name, props))) == [
        f"{name} blockDeviceMappings[0].ebs.kmsKeyId must be a KMS key in {PRIMARY}, not {SECONDARY}."
    ]


def test_kms_key_same_region__unknown_arn_resolved_to_foreign_key_fails():
    # Given the secondary cluster's key is unknown at preview and depends on the primary-region key
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    cluster = stack.named(name)
    cluster.property_dependencies["kmsKeyId"] = [stack.named(f"keys-data-{PRIMARY}")]
    resources = stack.replace(name, edit(stack.props(name), {"kmsKeyId": UNKNOWN}))
    # Then the dependency's region decides
    assert messages(check_stack("kms-key-same-region", resources)) == [
        f"{name} kmsKeyId must be a KMS key in {SECONDARY}, not {PRIMARY} (keys-data-{PRIMARY})."
    ]


def test_kms_key_same_region__unknown_arn_resolved_to_own_region_key_passes():
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"kmsKeyId": UNKNOWN}))
    assert check_stack("kms-key-same-region", resources) == []


def test_kms_key_same_region__unknown_arn_without_key_dependency_fails():
    stack = f.compliant_stack()
    name = f"msk-{PRIMARY}-cluster"
    stack.named(name).property_dependencies.clear()
    resources = stack.replace(name, edit(stack.props(name), {"encryptionInfo.encryptionAtRestKmsKeyArn": UNKNOWN}))
    assert messages(check_stack("kms-key-same-region", resources)) == [
        f"{name} encryptionInfo.encryptionAtRestKmsKeyArn is unknown at preview and comes from no KMS key of this "
        f"stack; it must reference a key in {PRIMARY}."
    ]


def test_kms_key_same_region__region_falls_back_to_provider():
    stack = f.compliant_stack()
    name = f"alerts-{PRIMARY}-topic"
    props = edit(stack.props(name), {"region": DELETE, "kmsMasterKeyId": key_arn(SECONDARY, "secrets")})
    assert messages(check_stack("kms-key-same-region", stack.replace(name, props))) == [
        f"{name} kmsMasterKeyId must be a KMS key in {PRIMARY}, not {SECONDARY}."
    ]


def test_kms_key_same_region__nested_object_with_own_region_expects_its_key():
    # A Secrets Manager replica in the secondary region is encrypted with the secondary's key.
    stack = f.compliant_stack()
    replicas = [{"region": SECONDARY, "kmsKeyId": key_arn(SECONDARY, "secrets")}]
    stack.add(f.T_SECRET, "master-secret", {**f.secret(), "replicas": replicas})
    assert check_stack("kms-key-same-region", stack.resources) == []
    stack.replace("master-secret", {**f.secret(), "replicas": [{"region": SECONDARY, "kmsKeyId": key_arn(PRIMARY)}]})
    assert messages(check_stack("kms-key-same-region", stack.resources)) == [
        f"master-secret replicas[0].kmsKeyId must be a KMS key in {SECONDARY}, not {PRIMARY}."
    ]


def test_kms_key_same_region__replica_primary_arn_is_not_a_key_use():
    stack = f.compliant_stack()
    replicas = [r for r in stack.resources if r.resource_type == f.T_REPLICA_KEY]
    assert replicas and check_stack("kms-key-same-region", replicas) == []


# --- kms-key-policy-allows-service-use ------------------------------------------------------

POLICY = "kms-key-policy-allows-service-use"
ROOT = f"arn:aws:iam::{f.ACCOUNT}:root"
ADMIN_ONLY = {
    "Sid": "KeyAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": ROOT},
    "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*"],
    "Resource": "*",
}
IAM_DELEGATION = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": ROOT},
    "Action": "kms:*",
    "Resource": "*",
}


def _via(service: str) -> dict:
    """Usage by the account's principals only through `service` in the primary region."""
    return {
        "Sid": "UseThroughServices",
        "Effect": "Allow",
        "Principal": {"AWS": ROOT},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{PRIMARY}.amazonaws.com"}},
    }


def _key_use_stack(*statements: dict, user: str = "bucket", by_dependency: bool = False) -> list:
    """A key with `statements` as its policy and one user of it: a bucket's SSE config, or a log group."""
    stack = f.Stack()
    key = stack.add(f.T_KEY, "keys-evidence", edit(f.kms_key(PRIMARY, "logs"), {"policy": f.document(*statements)}))
    reference = UNKNOWN if by_dependency else key_arn(PRIMARY, "logs")
    if user == "log-group":
        stack.add(f.T_LOG_GROUP, "runner-logs", edit(f.log_group(), {"kmsKeyId": reference}), kmsKeyId=key)
        return stack.resources
    bucket = stack.add(f.T_BUCKET, "evidence-bucket", {"region": PRIMARY, "bucket": "finstack-prod-evidence"})
    sse = edit(
        f.sse_config("finstack-prod-evidence"), {"rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId": reference}
    )
    stack.add(f.T_SSE, "evidence-bucket-sse", sse, bucket=bucket, rules=key)
    return stack.resources


def _violation(service: str, via: str, actions: str = "kms:Decrypt, kms:GenerateDataKey") -> tuple[str, str]:
    bucket = urn(f.T_BUCKET, "evidence-bucket")
    return (
        f"KMS key {urn(f.T_KEY, 'keys-evidence')} policy must allow {actions} to {service} "
        f"({via}, {service}.{PRIMARY}.amazonaws.com) for {bucket} "
        f"(evidence-bucket-sse rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).",
        bucket,
    )


def test_kms_key_policy_allows_service_use__compliant_stack_passes():
    assert check_stack(POLICY, f.compliant_stack().resources) == []


def test_kms_key_policy_allows_service_use__iam_delegation_passes():
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, IAM_DELEGATION)) == []


def test_kms_key_policy_allows_service_use__via_the_using_service_passes():
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, _via("s3"))) == []


def test_kms_key_policy_allows_service_use__admin_only_account_statement_fails():
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY)) == [_violation("s3", "the account through kms:ViaService")]


def test_kms_key_policy_allows_service_use__via_another_service_fails():
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, _via("rds"))) == [
        _violation("s3", "the account through kms:ViaService")
    ]


def test_kms_key_policy_allows_service_use__unknown_reference_resolved_through_dependencies_fails():
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, by_dependency=True)) == [
        _violation("s3", "the account through kms:ViaService")
    ]


def test_kms_key_policy_allows_service_use__unknown_reference_to_no_key_is_skipped():
    resources = [r for r in _key_use_stack(ADMIN_ONLY, by_dependency=True) if r.resource_type != f.T_SSE]
    sse = edit(f.sse_config(), {"rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId": UNKNOWN})
    assert check_stack(POLICY, [*resources, resource(f.T_SSE, "orphan-sse", sse)]) == []


def test_kms_key_policy_allows_service_use__service_principal_passes():
    logs = {
        "Sid": "CloudWatchLogs",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{PRIMARY}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{PRIMARY}:{f.ACCOUNT}:*"}},
    }
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, logs, user="log-group")) == []


def test_kms_key_policy_allows_service_use__log_group_needs_the_logs_service_principal():
    # CloudWatch Logs calls KMS as logs.<region>.amazonaws.com: the account's delegation is no path.
    assert messages(check_stack(POLICY, _key_use_stack(IAM_DELEGATION, user="log-group"))) == [
        f"KMS key {urn(f.T_KEY, 'keys-evidence')} policy must allow kms:Encrypt, kms:Decrypt, kms:GenerateDataKey "
        f"to logs (its service principal, logs.{PRIMARY}.amazonaws.com) for {urn(f.T_LOG_GROUP, 'runner-logs')} "
        "(runner-logs kmsKeyId)."
    ]


def test_kms_key_policy_allows_service_use__unknown_key_policy_fails():
    resources = _key_use_stack(IAM_DELEGATION)
    key = resources[0]
    key.props = unknown_checking_proxy(edit(f.kms_key(PRIMARY, "logs"), {"policy": UNKNOWN}))
    assert messages(check_stack(POLICY, resources)) == [
        f"KMS key {urn(f.T_KEY, 'keys-evidence')} policy is unknown at preview; it must be a document granting s3 "
        f"use for {urn(f.T_BUCKET, 'evidence-bucket')} "
        "(evidence-bucket-sse rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId) as a literal so the policy "
        "can prove it."
    ]


def _scoped_wildcard(service: str, account: str = f.ACCOUNT) -> dict:
    """AWS's service-use form (the aws/ebs default policy): "*" limited by kms:CallerAccount and kms:ViaService."""
    return {
        "Sid": "AllowAccessThroughService",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": account, "kms:ViaService": f"{service}.{PRIMARY}.amazonaws.com"}
        },
    }


def test_kms_key_policy_allows_service_use__account_and_service_scoped_wildcard_passes():
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, _scoped_wildcard("s3"))) == []


@pytest.mark.parametrize(
    "statement",
    [
        _scoped_wildcard("rds"),
        _scoped_wildcard("s3", account="444455556666"),
        edit(_scoped_wildcard("s3"), {"Condition.StringEquals.kms:CallerAccount": DELETE}),
    ],
    ids=["another-service", "another-account", "no-caller-account"],
)
def test_kms_key_policy_allows_service_use__wildcard_not_scoped_to_the_service_and_account_fails(statement):
    # Regression guard: these statements were never a path; the scoped-"*" form must not make them one.
    assert check_stack(POLICY, _key_use_stack(ADMIN_ONLY, statement)) == [
        _violation("s3", "the account through kms:ViaService")
    ]


# --- customer keys by spelling (every CMK rule) -----------------------------------------------

OTHER_ACCOUNT_KEY = f"arn:aws:kms:{PRIMARY}:{f.OTHER_ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"

# (policy, type, factory, path to the key, the subject of the message)
CMK_RULES = [
    ("aurora-storage-encrypted", f.T_CLUSTER, f.aurora_cluster, "kmsKeyId", "Aurora cluster kmsKeyId"),
    (
        "rds-performance-insights-cmk",
        f.T_INSTANCE,
        f.aurora_instance,
        "performanceInsightsKmsKeyId",
        "performanceInsightsKmsKeyId",
    ),
    (
        "eks-secrets-encrypted",
        f.T_EKS,
        f.eks_cluster,
        "encryptionConfig.provider.keyArn",
        "EKS cluster encryptionConfig.provider.keyArn",
    ),
    (
        "msk-encrypted-at-rest-cmk",
        f.T_MSK,
        f.msk_cluster,
        "encryptionInfo.encryptionAtRestKmsKeyArn",
        "MSK cluster encryptionInfo.encryptionAtRestKmsKeyArn",
    ),
    ("cloudwatch-log-group-cmk", f.T_LOG_GROUP, f.log_group, "kmsKeyId", "CloudWatch log group kmsKeyId"),
    (
        "s3-bucket-sse-kms",
        f.T_SSE,
        f.sse_config,
        "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId",
        "S3 bucket encryption kmsMasterKeyId",
    ),
    (
        "ec2-launch-template-ebs-encrypted",
        f.T_LAUNCH_TEMPLATE,
        f.launch_template,
        "blockDeviceMappings.0.ebs.kmsKeyId",
        "Launch template volume /dev/xvda ebs.kmsKeyId",
    ),
    ("secretsmanager-secret-cmk", f.T_SECRET, f.secret, "kmsKeyId", "Secrets Manager secret kmsKeyId"),
    (
        "secretsmanager-secret-cmk",
        f.T_SECRET,
        f.replicated_secret,
        "replicas.0.kmsKeyId",
        f"Secrets Manager secret replica {SECONDARY} kmsKeyId",
    ),
    (
        "secretsmanager-secret-cmk",
        f.T_CLUSTER,
        f.aurora_cluster,
        "masterUserSecretKmsKeyId",
        "Aurora cluster masterUserSecretKmsKeyId",
    ),
    ("sns-topic-cmk", f.T_TOPIC, f.sns_topic, "kmsMasterKeyId", "SNS topic kmsMasterKeyId"),
    (
        "ec2-ebs-volumes-encrypted",
        f.T_EC2_INSTANCE,
        f.ec2_instance,
        "rootBlockDevice.kmsKeyId",
        "EC2 instance rootBlockDevice kmsKeyId",
    ),
    ("ec2-ebs-volumes-encrypted", f.T_EBS_VOLUME, f.ebs_volume, "kmsKeyId", "EBS volume kmsKeyId"),
]

CMK_CASES = [pytest.param(*rule, id=f"{rule[0]}:{rule[1].split(':')[-1]}:{rule[3]}") for rule in CMK_RULES]


@pytest.mark.parametrize(("policy_name", "type_", "factory", "path", "subject"), CMK_CASES)
def test_cmk_rules__compliant_passes(policy_name, type_, factory, path, subject):
    assert check(policy_name, type_, factory()) == []


@pytest.mark.parametrize(
    "key",
    [
        DELETE,
        "",
        "  ",
        "alias/aws/rds",
        "alias/AWS/rds",
        "aws/secretsmanager",
        f"arn:aws:kms:{PRIMARY}:111122223333:alias/aws/ebs",
        f"arn:aws:iam::111122223333:role/{'x'}",
        f"arn:aws:kms:{PRIMARY}:111122223333:grant/abc",
        f" {key_arn(PRIMARY)}",
    ],
)
@pytest.mark.parametrize(("policy_name", "type_", "factory", "path", "subject"), CMK_CASES)
def test_cmk_rules__aws_managed_or_malformed_key_fails(policy_name, type_, factory, path, subject, key):
    props = edit(factory(), {path: key})
    assert check(policy_name, type_, props) == [f"{subject} must name a customer managed KMS key."]


@pytest.mark.parametrize(("policy_name", "type_", "factory", "path", "subject"), CMK_CASES)
def test_cmk_rules__unknown_key_counts_as_present(policy_name, type_, factory, path, subject):
    assert check(policy_name, type_, edit(factory(), {path: UNKNOWN})) == []


# --- kms-key-reference-customer-managed -------------------------------------------------------


def test_kms_key_reference_customer_managed__compliant_stack_passes():
    assert check_stack("kms-key-reference-customer-managed", f.compliant_stack().resources) == []


# (resource of the compliant stack, path of its key reference, path as the message shows it)
STACK_REFERENCES = [
    (f"aurora-{PRIMARY}-cluster", "kmsKeyId", "kmsKeyId"),
    (f"aurora-{PRIMARY}-cluster", "masterUserSecretKmsKeyId", "masterUserSecretKmsKeyId"),
    (f"aurora-{PRIMARY}-cluster", "performanceInsightsKmsKeyId", "performanceInsightsKmsKeyId"),
    (f"eks-{PRIMARY}-cluster", "encryptionConfig.provider.keyArn", "encryptionConfig.provider.keyArn"),
    (
        f"msk-{PRIMARY}-cluster",
        "encryptionInfo.encryptionAtRestKmsKeyArn",
        "encryptionInfo.encryptionAtRestKmsKeyArn",
    ),
    (f"eks-{PRIMARY}-nodes-lt", "blockDeviceMappings.0.ebs.kmsKeyId", "blockDeviceMappings[0].ebs.kmsKeyId"),
    (f"alerts-{PRIMARY}-topic", "kmsMasterKeyId", "kmsMasterKeyId"),
]


@pytest.mark.parametrize(("name", "path", "shown"), STACK_REFERENCES)
def test_kms_key_reference_customer_managed__key_of_another_account_fails(name, path, shown):
    stack = f.compliant_stack()
    resources = stack.replace(name, edit(stack.props(name), {path: OTHER_ACCOUNT_KEY}))
    assert messages(check_stack("kms-key-reference-customer-managed", resources)) == [
        f"{name} {shown} must name a customer managed KMS key of this stack; {OTHER_ACCOUNT_KEY} is a key of "
        f"account {f.OTHER_ACCOUNT}, not of 111122223333."
    ]


@pytest.mark.parametrize(
    "key",
    [
        "alias/aws/rds",
        f"arn:aws:kms:{PRIMARY}:111122223333:alias/aws/rds",
        "aws/rds",
    ],
)
def test_kms_key_reference_customer_managed__aws_managed_key_fails(key):
    stack = f.compliant_stack()
    name = f"aurora-{PRIMARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"kmsKeyId": key}))
    assert check_stack("kms-key-reference-customer-managed", resources) == [
        (
            f"{name} kmsKeyId must name a customer managed KMS key of this stack; {key} is an AWS managed key "
            "or no KMS key.",
            urn(f.T_CLUSTER, name),
        )
    ]


@pytest.mark.parametrize(
    "key",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",  # a key id of no key of the stack (an AWS managed key's, say)
        f"arn:aws:kms:{PRIMARY}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/finstack/prod/unknown",
    ],
)
def test_kms_key_reference_customer_managed__key_of_no_stack_key_fails(key):
    stack = f.compliant_stack()
    name = f"msk-{PRIMARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"encryptionInfo.encryptionAtRestKmsKeyArn": key}))
    assert messages(check_stack("kms-key-reference-customer-managed", resources)) == [
        f"{name} encryptionInfo.encryptionAtRestKmsKeyArn must name a customer managed KMS key of this stack; "
        f"{key} is no KMS key of this stack."
    ]


def test_kms_key_reference_customer_managed__alias_of_a_stack_key_passes():
    stack = f.compliant_stack()
    stack.add(
        "aws:kms/alias:Alias",
        "keys-data-alias",
        {"region": PRIMARY, "name": "alias/finstack/prod/data", "targetKeyId": key_arn(PRIMARY)},
    )
    name = f"aurora-{PRIMARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"kmsKeyId": "alias/finstack/prod/data"}))
    assert check_stack("kms-key-reference-customer-managed", resources) == []


def test_kms_key_reference_customer_managed__secret_replica_key_of_another_account_fails():
    stack = f.compliant_stack()
    other = OTHER_ACCOUNT_KEY.replace(PRIMARY, SECONDARY)
    stack.add(f.T_SECRET, "ledger-secret", edit(f.replicated_secret(), {"replicas.0.kmsKeyId": other}))
    assert messages(check_stack("kms-key-reference-customer-managed", stack.resources)) == [
        f"ledger-secret replicas[0].kmsKeyId must name a customer managed KMS key of this stack; {other} is a key "
        f"of account {f.OTHER_ACCOUNT}, not of 111122223333."
    ]


def test_kms_key_reference_customer_managed__unknown_key_resolved_through_dependency_passes():
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    stack.named(name).property_dependencies["kmsKeyId"] = [stack.named(f"keys-data-{SECONDARY}")]
    resources = stack.replace(name, edit(stack.props(name), {"kmsKeyId": UNKNOWN}))
    assert check_stack("kms-key-reference-customer-managed", resources) == []


def test_kms_key_reference_customer_managed__unknown_key_without_key_dependency_fails():
    stack = f.compliant_stack()
    name = f"msk-{PRIMARY}-cluster"
    stack.named(name).property_dependencies.clear()
    resources = stack.replace(name, edit(stack.props(name), {"encryptionInfo.encryptionAtRestKmsKeyArn": UNKNOWN}))
    assert messages(check_stack("kms-key-reference-customer-managed", resources)) == [
        f"{name} encryptionInfo.encryptionAtRestKmsKeyArn must name a customer managed KMS key of this stack; "
        "its value is unknown at preview and comes from no KMS key of this stack."
    ]


# --- secretsmanager-secret-cmk: replicas and the RDS-managed master secret ---------------------


def test_secretsmanager_secret_cmk__replica_without_key_fails():
    props = edit(f.replicated_secret(), {"replicas.0.kmsKeyId": DELETE})
    assert check("secretsmanager-secret-cmk", f.T_SECRET, props) == [
        f"Secrets Manager secret replica {SECONDARY} kmsKeyId must name a customer managed KMS key."
    ]


def test_secretsmanager_secret_cmk__each_replica_is_checked():
    props = f.replicated_secret()
    props["replicas"].append({"region": "us-east-2"})
    assert check("secretsmanager-secret-cmk", f.T_SECRET, props) == [
        "Secrets Manager secret replica us-east-2 kmsKeyId must name a customer managed KMS key."
    ]


def test_secretsmanager_secret_cmk__unknown_replicas_fail():
    props = edit(f.replicated_secret(), {"replicas": UNKNOWN_ARRAY})
    assert check("secretsmanager-secret-cmk", f.T_SECRET, props) == [
        "Secrets Manager secret replicas is unknown at preview; it must be a list of regions, each with a "
        "kmsKeyId as a literal so the policy can prove it."
    ]


def test_kms_key_same_region__secret_replica_key_of_the_primary_region_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_SECRET, "ledger-secret", edit(f.replicated_secret(), {"replicas.0.kmsKeyId": key_arn(PRIMARY, "secrets")})
    )
    assert messages(check_stack("kms-key-same-region", stack.resources)) == [
        f"ledger-secret replicas[0].kmsKeyId must be a KMS key in {SECONDARY}, not {PRIMARY}."
    ]


@pytest.mark.parametrize("key", [DELETE, "alias/aws/secretsmanager"])
def test_secretsmanager_secret_cmk__managed_master_secret_without_cmk_fails(key):
    props = edit(f.aurora_cluster(), {"masterUserSecretKmsKeyId": key})
    assert check("secretsmanager-secret-cmk", f.T_CLUSTER, props) == [
        "Aurora cluster masterUserSecretKmsKeyId must name a customer managed KMS key."
    ]


@pytest.mark.parametrize("managed", [False, DELETE])
def test_secretsmanager_secret_cmk__unmanaged_master_password_needs_no_secret_key(managed):
    props = edit(f.aurora_cluster(), {"manageMasterUserPassword": managed, "masterUserSecretKmsKeyId": DELETE})
    assert check("secretsmanager-secret-cmk", f.T_CLUSTER, props) == []


def test_secretsmanager_secret_cmk__unknown_manage_flag_fails():
    props = edit(f.aurora_cluster(), {"manageMasterUserPassword": UNKNOWN_BOOL})
    assert check("secretsmanager-secret-cmk", f.T_CLUSTER, props) == [
        "Aurora cluster manageMasterUserPassword is unknown at preview; it must be true or false as a literal "
        "so the policy can prove it."
    ]


# --- ec2-launch-template-ebs-encrypted: the AMI's root device ----------------------------------


def _data_volume(**ebs):
    return {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "true", "kmsKeyId": key_arn(PRIMARY), **ebs}}


@pytest.mark.parametrize(
    ("mappings", "expected"),
    [
        # Only the Bottlerocket-style data volume: the root keeps the AMI's (unencrypted) mapping.
        ([_data_volume()], [ROOT_NOT_MAPPED]),
        # An unknown device name: not the root either.
        ([{**_data_volume(), "deviceName": "/dev/sdf"}], [ROOT_NOT_MAPPED]),
        # A root mapping without ebs (noDevice / instance store): no EBS volume is declared for it.
        ([{"deviceName": "/dev/xvda", "noDevice": ""}, _data_volume()], [ROOT_NOT_MAPPED]),
        (
            [{"deviceName": "/dev/xvda", "ebs": {"encrypted": False, "kmsKeyId": key_arn(PRIMARY)}}],
            ["Launch template volume /dev/xvda ebs.encrypted must be true."],
        ),
        (
            [{"deviceName": "/dev/xvda", "ebs": {"encrypted": True}}],
            ["Launch template volume /dev/xvda ebs.kmsKeyId must name a customer managed KMS key."],
        ),
        (
            [f.launch_template()["blockDeviceMappings"][0], _data_volume(encrypted="false")],
            ["Launch template volume /dev/xvdb ebs.encrypted must be true."],
        ),
    ],
)
def test_ec2_launch_template_ebs_encrypted__root_device_variants(mappings, expected):
    props = edit(f.launch_template(), {"blockDeviceMappings": mappings})
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props) == expected


def test_ec2_launch_template_ebs_encrypted__bottlerocket_needs_both_devices_when_configured():
    config = {"requiredDeviceNames": ["/dev/xvda", "/dev/xvdb"]}
    props = f.launch_template()
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props, config=config) == [
        "Launch template blockDeviceMappings must map /dev/xvdb (the AMI root device) to an ebs volume with "
        "encrypted true and a kmsKeyId."
    ]
    props["blockDeviceMappings"].append(_data_volume())
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props, config=config) == []


def test_ec2_launch_template_ebs_encrypted__unknown_device_name_fails():
    props = edit(f.launch_template(), {"blockDeviceMappings.0.deviceName": UNKNOWN})
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template blockDeviceMappings deviceName is unknown at preview; it must be /dev/xvda as a literal "
        "so the policy can prove it.",
        ROOT_NOT_MAPPED,
    ]


def test_ec2_launch_template_ebs_encrypted__unknown_mappings_fail():
    props = edit(f.launch_template(), {"blockDeviceMappings": UNKNOWN_ARRAY})
    assert check("ec2-launch-template-ebs-encrypted", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template blockDeviceMappings is unknown at preview; it must be a list of encrypted ebs volumes "
        "as a literal so the policy can prove it."
    ]


# --- ec2-ebs-volumes-encrypted ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (f.T_EC2_INSTANCE, f.ec2_instance()),
        (f.T_EBS_VOLUME, f.ebs_volume()),
        (f.T_EBS_DEFAULT, {"region": PRIMARY, "enabled": True}),
        (f.T_EBS_DEFAULT, {"region": PRIMARY}),
        (f.T_EBS_DEFAULT_KEY, {"region": PRIMARY, "keyArn": key_arn(PRIMARY)}),
    ],
)
def test_ec2_ebs_volumes_encrypted__compliant_passes(type_, props):
    assert check("ec2-ebs-volumes-encrypted", type_, props) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (
            f.T_EC2_INSTANCE,
            edit(f.ec2_instance(), {"rootBlockDevice": DELETE}),
            ["EC2 instance rootBlockDevice must be declared with encrypted true and a kmsKeyId."],
        ),
        (
            f.T_EC2_INSTANCE,
            edit(f.ec2_instance(), {"rootBlockDevice.encrypted": False}),
            ["EC2 instance rootBlockDevice encrypted must be true."],
        ),
        (
            f.T_EC2_INSTANCE,
            edit(f.ec2_instance(), {"ebsBlockDevices.0.encrypted": DELETE}),
            ["EC2 instance ebsBlockDevice /dev/xvdf encrypted must be true."],
        ),
        (
            f.T_EC2_INSTANCE,
            edit(f.ec2_instance(), {"ebsBlockDevices.0.kmsKeyId": "alias/aws/ebs"}),
            ["EC2 instance ebsBlockDevice /dev/xvdf kmsKeyId must name a customer managed KMS key."],
        ),
        (f.T_EBS_VOLUME, edit(f.ebs_volume(), {"encrypted": DELETE}), ["EBS volume encrypted must be true."]),
        (
            f.T_EBS_DEFAULT,
            {"region": PRIMARY, "enabled": False},
            ["EBS encryption by default enabled must be true."],
        ),
        (
            f.T_EBS_DEFAULT_KEY,
            {"region": PRIMARY, "keyArn": "alias/aws/ebs"},
            ["EBS default KMS key keyArn must name a customer managed KMS key."],
        ),
    ],
)
def test_ec2_ebs_volumes_encrypted__violation(type_, props, expected):
    assert check("ec2-ebs-volumes-encrypted", type_, props) == expected


def test_ec2_ebs_volumes_encrypted__unknown_flag_fails():
    props = edit(f.ec2_instance(), {"rootBlockDevice.encrypted": UNKNOWN_BOOL})
    assert check("ec2-ebs-volumes-encrypted", f.T_EC2_INSTANCE, props) == [
        "EC2 instance rootBlockDevice encrypted is unknown at preview; it must be true as a literal so the policy "
        "can prove it."
    ]


# --- kms-key-rotation-enabled: period bounds ---------------------------------------------------


@pytest.mark.parametrize("period", [90, 180, 365, 365.0, DELETE])
def test_kms_key_rotation_enabled__period_within_bounds_passes(period):
    assert check("kms-key-rotation-enabled", f.T_KEY, edit(f.kms_key(), {"rotationPeriodInDays": period})) == []


def test_kms_key_rotation_enabled__unknown_period_fails():
    props = edit(f.kms_key(), {"rotationPeriodInDays": UNKNOWN_NUMBER})
    assert check("kms-key-rotation-enabled", f.T_KEY, props) == [
        "KMS key rotationPeriodInDays is unknown at preview; it must be between 90 and 365 as a literal so the "
        "policy can prove it."
    ]


# --- kms-key-enabled ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (f.T_KEY, f.kms_key()),
        (f.T_KEY, edit(f.kms_key(), {"isEnabled": True})),
        (f.T_REPLICA_KEY, f.replica_key()),
        (f.T_REPLICA_KEY, edit(f.replica_key(), {"enabled": True})),
    ],
)
def test_kms_key_enabled__enabled_or_unset_passes(type_, props):
    assert check("kms-key-enabled", type_, props) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (f.T_KEY, edit(f.kms_key(), {"isEnabled": False}), ["KMS key isEnabled must be true."]),
        (f.T_KEY, edit(f.kms_key(), {"isEnabled": "false"}), ["KMS key isEnabled must be true."]),
        (f.T_REPLICA_KEY, edit(f.replica_key(), {"enabled": False}), ["KMS replica key enabled must be true."]),
    ],
)
def test_kms_key_enabled__disabled_fails(type_, props, expected):
    assert check("kms-key-enabled", type_, props) == expected


def test_kms_key_enabled__unknown_fails():
    assert check("kms-key-enabled", f.T_KEY, edit(f.kms_key(), {"isEnabled": UNKNOWN_BOOL})) == [
        "KMS key isEnabled is unknown at preview; it must be true as a literal so the policy can prove it."
    ]


# --- kms-key-deletion-window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (f.T_KEY, f.kms_key()),
        (f.T_KEY, edit(f.kms_key(), {"deletionWindowInDays": DELETE})),
        (f.T_REPLICA_KEY, f.replica_key()),
        (f.T_KEY, edit(f.kms_key(), {"deletionWindowInDays": 30.0})),
    ],
)
def test_kms_key_deletion_window__thirty_days_or_unset_passes(type_, props):
    assert check("kms-key-deletion-window", type_, props) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (
            f.T_KEY,
            edit(f.kms_key(), {"deletionWindowInDays": 7}),
            ["KMS key deletionWindowInDays must be at least 30, not 7."],
        ),
        (
            f.T_REPLICA_KEY,
            edit(f.replica_key(), {"deletionWindowInDays": 29.0}),
            ["KMS replica key deletionWindowInDays must be at least 30, not 29."],
        ),
    ],
)
def test_kms_key_deletion_window__short_window_fails(type_, props, expected):
    assert check("kms-key-deletion-window", type_, props) == expected


def test_kms_key_deletion_window__dev_minimum_admits_seven_days():
    props = edit(f.kms_key(), {"deletionWindowInDays": 7})
    assert check("kms-key-deletion-window", f.T_KEY, props, config={"minimumDeletionWindowDays": 7}) == []


def test_kms_key_deletion_window__unknown_fails():
    props = edit(f.kms_key(), {"deletionWindowInDays": UNKNOWN_NUMBER})
    assert check("kms-key-deletion-window", f.T_KEY, props) == [
        "KMS key deletionWindowInDays is unknown at preview; it must be at least 30 as a literal so the policy "
        "can prove it."
    ]


# --- RDS DB instances (aurora-storage-encrypted, rds-performance-insights-cmk) ------------------


def test_aurora_storage_encrypted__encrypted_rds_instance_passes():
    assert check("aurora-storage-encrypted", f.T_DB_INSTANCE, f.rds_instance()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"storageEncrypted": DELETE}, ["RDS instance storageEncrypted must be true."]),
        ({"storageEncrypted": False}, ["RDS instance storageEncrypted must be true."]),
        ({"kmsKeyId": "alias/aws/rds"}, ["RDS instance kmsKeyId must name a customer managed KMS key."]),
        # A read replica inherits the source's encryption; its key must still be a customer key.
        (
            {"replicateSourceDb": "finstack-prod-reporting", "storageEncrypted": DELETE, "kmsKeyId": DELETE},
            ["RDS instance kmsKeyId must name a customer managed KMS key."],
        ),
    ],
)
def test_aurora_storage_encrypted__rds_instance_violation(changes, expected):
    assert check("aurora-storage-encrypted", f.T_DB_INSTANCE, edit(f.rds_instance(), changes)) == expected


def test_rds_performance_insights_cmk__rds_instance_on_aws_key_fails():
    props = edit(f.rds_instance(), {"performanceInsightsKmsKeyId": DELETE})
    assert check("rds-performance-insights-cmk", f.T_DB_INSTANCE, props) == [
        "performanceInsightsKmsKeyId must name a customer managed KMS key."
    ]


def test_kms_key_reference_customer_managed__rds_instance_key_of_another_account_fails():
    stack = f.compliant_stack()
    stack.add(f.T_DB_INSTANCE, "reporting-db", edit(f.rds_instance(), {"kmsKeyId": OTHER_ACCOUNT_KEY}))
    assert messages(check_stack("kms-key-reference-customer-managed", stack.resources)) == [
        f"reporting-db kmsKeyId must name a customer managed KMS key of this stack; {OTHER_ACCOUNT_KEY} is a key "
        f"of account {f.OTHER_ACCOUNT}, not of 111122223333."
    ]


def test_kms_key_policy_allows_service_use__backup_vault_key_must_allow_backup():
    # Given the us-west-2 backup key usable only through RDS
    stack = f.compliant_stack()
    props = stack.props("keys-backup-us-west-2")
    statement = {
        "Sid": "UseThroughRds",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{f.ACCOUNT}:root"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "rds.us-west-2.amazonaws.com"}},
    }
    props["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    stack.replace("keys-backup-us-west-2", props)
    stack.named("backup-us-west-2-vault").property_dependencies["kmsKeyArn"] = [stack.named("keys-backup-us-west-2")]
    # Then the vault that uses it is named
    found = check_stack("kms-key-policy-allows-service-use", stack.resources)
    assert [u for _, u in found] == [urn(f.T_VAULT, "backup-us-west-2-vault")]
    assert "to backup (the account through kms:ViaService, backup.us-west-2.amazonaws.com)" in found[0][0]


# --- s3-bucket-sse-kms: the log archive exception ----------------------------------------------------

SSE_S3_FINDING = ("S3 bucket encryption sseAlgorithm must be aws:kms, not AES256.", urn(f.T_SSE, "logs-encryption"))


def test_s3_bucket_sse_kms__log_archive_may_use_sse_s3():
    assert check_stack("s3-bucket-sse-kms", f.log_archive_stack().resources) == []


def test_s3_bucket_sse_kms__sse_s3_without_the_log_archive_tag_fails():
    assert check_stack("s3-bucket-sse-kms", f.log_archive_stack(role=None).resources) == [SSE_S3_FINDING]


def test_s3_bucket_sse_kms__tagged_bucket_whose_policy_grants_more_than_log_delivery_fails():
    # Given a bucket tagged like an archive whose policy also lets a role read it
    reader = f.reader_statement()
    stack = f.log_archive_stack(policy=f.archive_policy(reader))
    # Then it is an ordinary bucket: SSE-S3 fails
    assert check_stack("s3-bucket-sse-kms", stack.resources) == [SSE_S3_FINDING]


@pytest.mark.parametrize(
    "grant",
    [
        {"Action": ["s3:PutObject", "s3:DeleteObject"]},
        {"Condition": {}},
        {"Principal": {"Service": "delivery.logs.amazonaws.com"}},
        {"Resource": f"arn:aws:s3:::{f.ARCHIVE}"},
    ],
    ids=["more-actions", "unpinned-service", "other-service", "bucket-not-objects"],
)
def test_s3_bucket_sse_kms__tagged_bucket_with_a_loose_delivery_grant_fails(grant):
    loose = {**f.log_delivery_statements()[1], "Sid": "Loose", **grant}
    stack = f.log_archive_stack(policy=f.archive_policy(loose))
    assert check_stack("s3-bucket-sse-kms", stack.resources) == [SSE_S3_FINDING]


def test_s3_bucket_sse_kms__log_archive_without_a_policy_fails():
    stack = f.log_archive_stack()
    assert check_stack("s3-bucket-sse-kms", stack.without("logs-policy")) == [SSE_S3_FINDING]
