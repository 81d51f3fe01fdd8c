"""Identity policies."""

from __future__ import annotations

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

from tests.policy import factories as f
from tests.policy.helpers import (
    ACCOUNT,
    DELETE,
    UNKNOWN,
    UNKNOWN_BOOL,
    check,
    check_stack,
    edit,
    urn,
)

BUCKET = "arn:aws:s3:::finstack-prod-audit/*"


def _policy(*statements):
    return {"name": "workload", "policy": f.document(*statements)}


def _allow(action, resource=BUCKET, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# --- iam-no-wildcard-actions -----------------------------------------------------------------------


@pytest.mark.parametrize("type_", [f.T_POLICY, f.T_ROLE_POLICY, "aws:iam/userPolicy:UserPolicy"])
def test_iam_no_wildcard_actions__named_actions_pass(type_):
    assert check("iam-no-wildcard-actions", type_, f.iam_policy()) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (_allow("*", Sid="Admin"), ["IAM policy statement Admin must name actions explicitly, not *."]),
        (_allow(["s3:GetObject", "s3:*"]), ["IAM policy statement #1 must name actions explicitly, not s3:*."]),
        (
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            ["IAM policy statement #1 must not combine Allow with NotAction."],
        ),
    ],
)
def test_iam_no_wildcard_actions__violation(statement, expected):
    assert check("iam-no-wildcard-actions", f.T_POLICY, _policy(statement)) == expected


def test_iam_no_wildcard_actions__deny_with_wildcard_passes():
    statement = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert check("iam-no-wildcard-actions", f.T_POLICY, _policy(statement)) == []


def test_iam_no_wildcard_actions__role_inline_policy_fails():
    props = {**f.node_role(), "inlinePolicies": [{"name": "debug", "policy": f.document(_allow("ec2:*", "*"))}]}
    assert check("iam-no-wildcard-actions", f.T_ROLE, props) == [
        "IAM role inline policy debug statement #1 must name actions explicitly, not ec2:*."
    ]


def test_iam_no_wildcard_actions__single_statement_object_is_checked():
    props = {"policy": json.dumps({"Version": "2012-10-17", "Statement": _allow("*")})}
    assert check("iam-no-wildcard-actions", f.T_POLICY, props) == [
        "IAM policy statement #1 must name actions explicitly, not *."
    ]


def test_iam_no_wildcard_actions__unknown_document_defers_to_sdk():
    with pytest.raises(UnknownValueError):
        check("iam-no-wildcard-actions", f.T_POLICY, {"policy": UNKNOWN})


# --- iam-data-actions-scoped -------------------------------------------------------------------------


def test_iam_data_actions_scoped__named_resources_pass():
    assert check("iam-data-actions-scoped", f.T_POLICY, f.iam_policy()) == []


@pytest.mark.parametrize(
    ("action", "shown"),
    [
        ("s3:GetObject", "s3:GetObject"),
        (["kms:Decrypt", "kms:DescribeKey"], "kms:Decrypt"),
        ("kms:GenerateDataKey*", "kms:GenerateDataKey*"),
        ("kafka-cluster:*Data*", "kafka-cluster:*Data*"),
        ("rds-db:connect", "rds-db:connect"),
        ("secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue"),
        ("dynamodb:Query", "dynamodb:Query"),
        ("S3:getobject", "S3:getobject"),
    ],
)
def test_iam_data_actions_scoped__data_action_on_any_resource_fails(action, shown):
    assert check("iam-data-actions-scoped", f.T_POLICY, _policy(_allow(action, "*", Sid="Data"))) == [
        f'IAM policy statement Data must scope data-plane actions ({shown}) to named resources, not "*".'
    ]


def test_iam_data_actions_scoped__control_plane_action_on_any_resource_passes():
    statement = _allow(["eks:DescribeCluster", "kms:DescribeKey", "s3:ListAllMyBuckets"], "*")
    assert check("iam-data-actions-scoped", f.T_POLICY, _policy(statement)) == []


def test_iam_data_actions_scoped__not_resource_fails():
    statement = {"Effect": "Allow", "Action": "s3:ListBucket", "NotResource": BUCKET}
    assert check("iam-data-actions-scoped", f.T_POLICY, _policy(statement)) == [
        "IAM policy statement #1 must not combine Allow with NotResource."
    ]


def test_iam_data_actions_scoped__unknown_inline_policy_defers_to_sdk():
    props = {**f.node_role(), "inlinePolicies": [{"name": "app", "policy": UNKNOWN}]}
    with pytest.raises(UnknownValueError):
        check("iam-data-actions-scoped", f.T_ROLE, props)


# --- eks-node-role-managed-policies ---------------------------------------------------------------------

NODE_ROLE = "eks-nodes-role"


def test_eks_node_role_managed_policies__compliant_stack_passes():
    assert check_stack("eks-node-role-managed-policies", f.compliant_stack().resources) == []


def test_eks_node_role_managed_policies__extra_managed_policy_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_ATTACHMENT,
        "eks-nodes-admin",
        {"role": "eks-us-east-1-nodes", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )
    assert check_stack("eks-node-role-managed-policies", stack.resources) == [
        (
            "EKS node role eks-nodes-role must not have arn:aws:iam::aws:policy/AdministratorAccess attached; allowed: "
            "AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly, AmazonEC2ContainerRegistryReadOnly, "
            "AmazonEKS_CNI_Policy.",
            urn(f.T_ROLE, NODE_ROLE),
        )
    ]


def test_eks_node_role_managed_policies__customer_policy_fails():
    stack = f.compliant_stack()
    arn = f"arn:aws:iam::{ACCOUNT}:policy/node-extra"
    stack.add(f.T_ATTACHMENT, "eks-nodes-extra", {"role": UNKNOWN, "policyArn": arn}, role=stack.named(NODE_ROLE))
    assert [m for m, _ in check_stack("eks-node-role-managed-policies", stack.resources)] == [
        f"EKS node role eks-nodes-role must not have {arn} attached; allowed: AmazonEKSWorkerNodePolicy, "
        "AmazonEC2ContainerRegistryPullOnly, AmazonEC2ContainerRegistryReadOnly, AmazonEKS_CNI_Policy."
    ]


def test_eks_node_role_managed_policies__missing_worker_policy_fails():
    resources = f.compliant_stack().without("eks-nodes-AmazonEKSWorkerNodePolicy")
    assert check_stack("eks-node-role-managed-policies", resources) == [
        ("EKS node role eks-nodes-role must have AmazonEKSWorkerNodePolicy attached.", urn(f.T_ROLE, NODE_ROLE))
    ]


def test_eks_node_role_managed_policies__inline_policy_fails():
    stack = f.compliant_stack()
    stack.add(
        f.T_ROLE_POLICY,
        "eks-nodes-inline",
        {"role": "eks-us-east-1-nodes", "policy": f.document(_allow("ec2:DescribeInstances", "*"))},
    )
    assert check_stack("eks-node-role-managed-policies", stack.resources) == [
        ("EKS node role eks-nodes-role must not have inline policies.", urn(f.T_ROLE, NODE_ROLE))
    ]


def test_eks_node_role_managed_policies__roles_not_trusted_by_ec2_ignored():
    stack = f.compliant_stack()
    trust = f.document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    )
    role = stack.add(f.T_ROLE, "ledger-app-role", {"name": "ledger-app", "assumeRolePolicy": trust})
    stack.add(
        f.T_ATTACHMENT,
        "ledger-app-s3",
        {"role": "ledger-app", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
        role=role,
    )
    assert check_stack("eks-node-role-managed-policies", stack.resources) == []


def test_eks_node_role_managed_policies__configured_allow_list_applies():
    config = {
        "allowedPolicies": ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"],
        "requiredPolicies": ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"],
    }
    found = check_stack("eks-node-role-managed-policies", f.compliant_stack().resources, config=config)
    assert [m for m, _ in found] == [
        "EKS node role eks-nodes-role must not have arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy attached; "
        "allowed: AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly."
    ]


# --- ec2-launch-template-imdsv2 ---------------------------------------------------------------------------


def test_ec2_launch_template_imdsv2__required_tokens_pass():
    assert check("ec2-launch-template-imdsv2", f.T_LAUNCH_TEMPLATE, f.launch_template()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"metadataOptions.httpTokens": "optional"},
            ["Launch template metadataOptions.httpTokens must be required, not optional."],
        ),
        ({"metadataOptions": DELETE}, ["Launch template metadataOptions.httpTokens must be required, not unset."]),
        (
            {"metadataOptions.httpPutResponseHopLimit": 3},
            ["Launch template metadataOptions.httpPutResponseHopLimit must be at most 2, not 3."],
        ),
    ],
)
def test_ec2_launch_template_imdsv2__violation(changes, expected):
    props = edit(f.launch_template(), changes)
    assert check("ec2-launch-template-imdsv2", f.T_LAUNCH_TEMPLATE, props) == expected


def test_ec2_launch_template_imdsv2__configured_hop_limit_applies():
    props = f.launch_template()
    assert check("ec2-launch-template-imdsv2", f.T_LAUNCH_TEMPLATE, props, config={"maximumHopLimit": 1}) == [
        "Launch template metadataOptions.httpPutResponseHopLimit must be at most 1, not 2."
    ]


def test_ec2_launch_template_imdsv2__disabled_metadata_service_passes():
    props = edit(f.launch_template(), {"metadataOptions": {"httpEndpoint": "disabled"}})
    assert check("ec2-launch-template-imdsv2", f.T_LAUNCH_TEMPLATE, props) == []


def test_ec2_launch_template_imdsv2__unknown_fails():
    props = edit(f.launch_template(), {"metadataOptions.httpTokens": UNKNOWN})
    assert check("ec2-launch-template-imdsv2", f.T_LAUNCH_TEMPLATE, props) == [
        "Launch template metadataOptions.httpTokens is unknown at preview; it must be required as a literal so the "
        "policy can prove it."
    ]


# --- rds-iam-auth-enabled ------------------------------------------------------------------------------------


def test_rds_iam_auth_enabled__enabled_passes():
    assert check("rds-iam-auth-enabled", f.T_CLUSTER, f.aurora_cluster()) == []


@pytest.mark.parametrize("value", [False, DELETE])
def test_rds_iam_auth_enabled__disabled_fails(value):
    props = edit(f.aurora_cluster(), {"iamDatabaseAuthenticationEnabled": value})
    assert check("rds-iam-auth-enabled", f.T_CLUSTER, props) == [
        "Aurora cluster iamDatabaseAuthenticationEnabled must be true."
    ]


def test_rds_iam_auth_enabled__unknown_fails():
    props = edit(f.aurora_cluster(), {"iamDatabaseAuthenticationEnabled": UNKNOWN_BOOL})
    assert check("rds-iam-auth-enabled", f.T_CLUSTER, props) == [
        "Aurora cluster iamDatabaseAuthenticationEnabled is unknown at preview; it must be true as a literal so the "
        "policy can prove it."
    ]


# --- msk-iam-auth-only ------------------------------------------------------------------------------------------


def test_msk_iam_auth_only__iam_only_passes():
    assert check("msk-iam-auth-only", f.T_MSK, f.msk_cluster()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"clientAuthentication.unauthenticated": True},
            ["MSK cluster clientAuthentication.unauthenticated must be false."],
        ),
        ({"clientAuthentication.sasl.iam": False}, ["MSK cluster clientAuthentication.sasl.iam must be true."]),
        (
            {"clientAuthentication": DELETE},
            [
                "MSK cluster clientAuthentication.unauthenticated must be false.",
                "MSK cluster clientAuthentication.sasl.iam must be true.",
            ],
        ),
    ],
)
def test_msk_iam_auth_only__violation(changes, expected):
    assert check("msk-iam-auth-only", f.T_MSK, edit(f.msk_cluster(), changes)) == expected


def test_msk_iam_auth_only__unknown_fails():
    props = edit(f.msk_cluster(), {"clientAuthentication.sasl.iam": UNKNOWN_BOOL})
    assert check("msk-iam-auth-only", f.T_MSK, props) == [
        "MSK cluster clientAuthentication.sasl.iam is unknown at preview; it must be true as a literal so the policy "
        "can prove it."
    ]


# --- eks-access-entries-only --------------------------------------------------------------------------------------


def test_eks_access_entries_only__api_mode_passes():
    assert check("eks-access-entries-only", f.T_EKS, f.eks_cluster()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"accessConfig.authenticationMode": "API_AND_CONFIG_MAP"},
            ["EKS cluster accessConfig.authenticationMode must be API, not API_AND_CONFIG_MAP."],
        ),
        (
            {"accessConfig.bootstrapClusterCreatorAdminPermissions": True},
            ["EKS cluster accessConfig.bootstrapClusterCreatorAdminPermissions must be false."],
        ),
        (
            {"accessConfig": DELETE},
            [
                "EKS cluster accessConfig.authenticationMode must be API, not unset.",
                "EKS cluster accessConfig.bootstrapClusterCreatorAdminPermissions must be false.",
            ],
        ),
    ],
)
def test_eks_access_entries_only__violation(changes, expected):
    assert check("eks-access-entries-only", f.T_EKS, edit(f.eks_cluster(), changes)) == expected


def test_eks_access_entries_only__unknown_fails():
    props = edit(f.eks_cluster(), {"accessConfig.authenticationMode": UNKNOWN})
    assert check("eks-access-entries-only", f.T_EKS, props) == [
        "EKS cluster accessConfig.authenticationMode is unknown at preview; it must be API as a literal so the "
        "policy can prove it."
    ]


# --- kms-key-policy-no-wildcard-principal ------------------------------------------------------------------------


@pytest.mark.parametrize(("type_", "factory"), [(f.T_KEY, f.kms_key), (f.T_REPLICA_KEY, f.replica_key)])
def test_kms_key_policy_no_wildcard_principal__named_principals_pass(type_, factory):
    assert check("kms-key-policy-no-wildcard-principal", type_, factory()) == []


def test_kms_key_policy_no_wildcard_principal__default_policy_passes():
    props = edit(f.kms_key(), {"policy": DELETE})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == []


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}])
def test_kms_key_policy_no_wildcard_principal__wildcard_principal_fails(principal):
    statement = {"Sid": "Open", "Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}
    props = edit(f.kms_key(), {"policy": f.document(statement)})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == [
        'KMS key policy statement Open must not allow the principal "*" unless kms:CallerAccount and kms:ViaService '
        "restrict it."
    ]


def test_kms_key_policy_no_wildcard_principal__bypass_lockout_fails():
    props = edit(f.kms_key(), {"bypassPolicyLockoutSafetyCheck": True})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == [
        "KMS key bypassPolicyLockoutSafetyCheck must be false."
    ]


def test_kms_key_policy_no_wildcard_principal__key_policy_resource_checked():
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
    props = {"keyId": UNKNOWN, "policy": f.document(statement)}
    assert check("kms-key-policy-no-wildcard-principal", "aws:kms/keyPolicy:KeyPolicy", props) == [
        'KMS key policy statement #1 must not allow the principal "*" unless kms:CallerAccount and kms:ViaService '
        "restrict it."
    ]


def test_kms_key_policy_no_wildcard_principal__unknown_document_defers_to_sdk():
    with pytest.raises(UnknownValueError):
        check("kms-key-policy-no-wildcard-principal", f.T_KEY, edit(f.kms_key(), {"policy": UNKNOWN}))


# AWS's service-use statement, as in the default key policy of aws/ebs: any principal of the account,
# only through EC2 in the key's region.
EBS_SERVICE_USE = {
    "Sid": "AllowAccessThroughEBS",
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant"],
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
}


@pytest.mark.parametrize(
    "condition",
    [
        EBS_SERVICE_USE["Condition"],
        {
            "StringEquals": {"kms:CallerAccount": [ACCOUNT]},
            "StringLike": {"kms:ViaService": ["rds.*.amazonaws.com", "ec2.us-east-1.amazonaws.com"]},
        },
    ],
    ids=["one-block", "separate-operators"],
)
def test_kms_key_policy_no_wildcard_principal__account_and_service_scoped_wildcard_passes(condition):
    props = edit(f.kms_key(), {"policy": f.document({**EBS_SERVICE_USE, "Condition": condition})})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
        {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
        {"StringLike": {"kms:CallerAccount": "*", "kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
        {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "*"}},
        {"StringNotEquals": {"kms:CallerAccount": "444455556666", "kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
        {"StringEqualsIfExists": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
    ],
    ids=["account-only", "service-only", "any-account", "any-service", "negated", "if-exists"],
)
def test_kms_key_policy_no_wildcard_principal__wildcard_without_both_conditions_fails(condition):
    # Only restricting operators count: a negated or IfExists condition lets other callers through.
    props = edit(f.kms_key(), {"policy": f.document({**EBS_SERVICE_USE, "Condition": condition})})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == [
        'KMS key policy statement AllowAccessThroughEBS must not allow the principal "*" unless kms:CallerAccount '
        "and kms:ViaService restrict it."
    ]


@pytest.mark.parametrize(
    "not_principal", [{"AWS": f"arn:aws:iam::{ACCOUNT}:role/break-glass"}, {"Service": "logs.amazonaws.com"}]
)
def test_kms_key_policy_no_wildcard_principal__allow_with_not_principal_fails(not_principal):
    # Allow + NotPrincipal grants everyone not listed, anonymous principals included.
    statement = {"Sid": "AllButOne", "Effect": "Allow", "NotPrincipal": not_principal, "Action": "kms:Decrypt"}
    props = edit(f.kms_key(), {"policy": f.document(statement)})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == [
        "KMS key policy statement AllButOne must not allow with NotPrincipal."
    ]


def test_kms_key_policy_no_wildcard_principal__deny_with_not_principal_passes():
    statement = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    props = edit(f.kms_key(), {"policy": f.document(statement)})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == []
