"""Identity policies."""

from __future__ import annotations

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

from tests.policy import factories as f
from tests.policy.helpers import (
    ACCOUNT,
    DELETE,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    check,
    check_stack,
    depends,
    edit,
    messages,
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


# --- broad resources: wildcard ARNs count as "*" ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("kms:Decrypt", "arn:aws:kms:*:*:key/*"),
        ("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"),
        ("s3:GetObject", "arn:aws:s3:::*/*"),
        ("s3:GetObject", "arn:aws:s3:::*"),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:finstack/prod/ledger-*"),
        ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:*:secret:finstack/prod/ledger-*"),
        ("kafka-cluster:ReadData", f"arn:aws:kafka:us-east-1:{ACCOUNT}:topic/*/*/*"),
        ("sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:*"),
        ("s3:GetObject", "arn:*:s3:::finstack-prod-audit/*"),
    ],
)
def test_iam_data_actions_scoped__wildcard_arn_fails(action, resource):
    statement = _allow(action, resource, Sid="Data")
    assert check("iam-data-actions-scoped", f.T_POLICY, _policy(statement)) == [
        f'IAM policy statement Data must scope data-plane actions ({action}) to named resources, not "{resource}".'
    ]


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:s3:::finstack-prod-audit/*",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-1234",
        f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:*/ledger",
        f"arn:aws:kafka:us-east-1:{ACCOUNT}:topic/finstack-prod-use1/*/ledger.*",
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:finstack/prod/ledger-??????",
    ],
)
def test_iam_data_actions_scoped__named_resource_with_wildcard_suffix_passes(resource):
    statement = _allow(["s3:GetObject", "kms:Decrypt", "rds-db:connect", "kafka-cluster:ReadData"], resource)
    assert check("iam-data-actions-scoped", f.T_POLICY, _policy(statement)) == []


# --- iam-no-privilege-escalation ------------------------------------------------------------------------------------


def test_iam_no_privilege_escalation__least_privilege_policy_passes():
    assert check("iam-no-privilege-escalation", f.T_POLICY, f.iam_policy()) == []


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreatePolicyVersion", "*"),
        ("iam:SetDefaultPolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/*"),
        ("iam:AttachRolePolicy", "*"),
        ("iam:Attach*", "*"),
        ("iam:*Policy*", f"arn:aws:iam::{ACCOUNT}:role/*"),
        ("iam:PutUserPolicy", "arn:aws:iam::*:user/ops"),
        ("iam:CreateAccessKey", "*"),
        ("iam:UpdateAssumeRolePolicy", "*"),
        ("iam:CreateLoginProfile", "*"),
        ("iam:UpdateLoginProfile", "*"),
        ("iam:AddUserToGroup", "*"),
        ("sts:AssumeRole", "*"),
        ("sts:Assume*", f"arn:aws:iam::{ACCOUNT}:role/*"),
        ("kms:PutKeyPolicy", "arn:aws:kms:*:*:key/*"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::*"),
        ("IAM:attachgrouppolicy", "*"),
    ],
)
def test_iam_no_privilege_escalation__escalation_action_on_broad_resource_fails(action, resource):
    statement = _allow(action, resource, Sid="Escalate")
    assert check("iam-no-privilege-escalation", f.T_POLICY, _policy(statement)) == [
        f'IAM policy statement Escalate must scope {action} to named resources, not "{resource}".'
    ]


def test_iam_no_privilege_escalation__escalation_action_on_named_resource_passes():
    statement = _allow(["iam:AttachRolePolicy", "sts:AssumeRole"], f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-app")
    assert check("iam-no-privilege-escalation", f.T_POLICY, _policy(statement)) == []


def test_iam_no_privilege_escalation__pass_role_on_any_role_fails():
    statement = _allow(
        "iam:PassRole",
        "*",
        Sid="Pass",
        Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    )
    assert check("iam-no-privilege-escalation", f.T_POLICY, _policy(statement)) == [
        'IAM policy statement Pass must scope iam:PassRole to named roles, not "*".'
    ]


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringLike": {"iam:PassedToService": "*"}},
        {"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
    ],
    ids=["none", "any-service", "negated"],
)
def test_iam_no_privilege_escalation__pass_role_without_service_condition_fails(condition):
    statement = _allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-nodes", Sid="Pass")
    if condition:
        statement["Condition"] = condition
    assert check("iam-no-privilege-escalation", f.T_POLICY, _policy(statement)) == [
        "IAM policy statement Pass must restrict iam:PassRole with an iam:PassedToService condition."
    ]


def test_iam_no_privilege_escalation__pass_role_named_and_service_bound_passes():
    statement = _allow(
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-nodes",
        Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    )
    assert check("iam-no-privilege-escalation", f.T_POLICY, _policy(statement)) == []


def test_iam_no_privilege_escalation__pass_role_with_run_instances_on_any_resource_fails():
    # The classic path: launch an instance with any role and read its credentials from IMDS.
    statement = _allow(["ec2:RunInstances", "iam:PassRole"], "*", Sid="Launch")
    assert check("iam-no-privilege-escalation", f.T_ROLE_POLICY, _policy(statement)) == [
        'IAM policy statement Launch must scope iam:PassRole to named roles, not "*".',
        "IAM policy statement Launch must restrict iam:PassRole with an iam:PassedToService condition.",
    ]


def test_iam_no_privilege_escalation__role_inline_policy_checked():
    props = {
        **f.node_role(),
        "inlinePolicies": [{"name": "ops", "policy": f.document(_allow("iam:PutRolePolicy", "*"))}],
    }
    assert check("iam-no-privilege-escalation", f.T_ROLE, props) == [
        'IAM role inline policy ops statement #1 must scope iam:PutRolePolicy to named resources, not "*".'
    ]


def test_iam_no_privilege_escalation__deny_passes():
    statement = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    assert check("iam-no-privilege-escalation", f.T_POLICY, _policy(statement)) == []


def test_iam_no_privilege_escalation__unknown_document_defers_to_sdk():
    with pytest.raises(UnknownValueError):
        check("iam-no-privilege-escalation", f.T_ROLE_POLICY, {"role": UNKNOWN, "policy": UNKNOWN})


# --- iam-no-admin-policies ------------------------------------------------------------------------------------------

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_iam_no_admin_policies__job_policies_pass():
    props = {"role": "eks-us-east-1-nodes", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}
    assert check("iam-no-admin-policies", f.T_ATTACHMENT, props) == []
    assert check("iam-no-admin-policies", f.T_POLICY, f.iam_policy()) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (
            f.T_ATTACHMENT,
            {"role": "app", "policyArn": ADMIN},
            "IAM role policy attachment must not attach AdministratorAccess.",
        ),
        (
            f.T_ATTACHMENT,
            {"role": "app", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
            "IAM role policy attachment must not attach IAMFullAccess.",
        ),
        (
            f.T_ATTACHMENT,
            {"role": "app", "policyArn": "arn:aws-us-gov:iam::aws:policy/PowerUserAccess"},
            "IAM role policy attachment must not attach PowerUserAccess.",
        ),
        (
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            {"user": "ops", "policyArn": ADMIN},
            "IAM user policy attachment must not attach AdministratorAccess.",
        ),
        (
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            {"group": "ops", "policyArn": ADMIN},
            "IAM group policy attachment must not attach AdministratorAccess.",
        ),
        (
            "aws:iam/policyAttachment:PolicyAttachment",
            {"roles": ["app"], "policyArn": ADMIN},
            "IAM policy attachment must not attach AdministratorAccess.",
        ),
        (
            f.T_ROLE,
            {**f.node_role(), "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", ADMIN]},
            "IAM role managedPolicyArns must not attach AdministratorAccess.",
        ),
    ],
)
def test_iam_no_admin_policies__admin_managed_policy_fails(type_, props, expected):
    assert check("iam-no-admin-policies", type_, props) == [expected]


@pytest.mark.parametrize(("action", "resource"), [("*", "*"), ("iam:*", "*"), ("*", "arn:aws:*:*:*:*")])
def test_iam_no_admin_policies__customer_policy_granting_everything_fails(action, resource):
    statement = _allow(action, resource, Sid="Admin")
    assert check("iam-no-admin-policies", f.T_POLICY, _policy(statement)) == [
        f'IAM policy statement Admin must not grant administrator access ({action} on "{resource}").'
    ]


def test_iam_no_admin_policies__unknown_policy_arn_is_a_stack_policy_and_passes():
    # An output ARN is a customer policy of this stack; its document is judged where it is declared.
    assert check("iam-no-admin-policies", f.T_ATTACHMENT, {"role": UNKNOWN, "policyArn": UNKNOWN}) == []


def test_iam_no_admin_policies__configured_list_applies():
    props = {"role": "app", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}
    config = {"forbiddenPolicies": ["AdministratorAccess", "AmazonS3FullAccess"]}
    assert check("iam-no-admin-policies", f.T_ATTACHMENT, props, config=config) == [
        "IAM role policy attachment must not attach AmazonS3FullAccess."
    ]


# --- iam-role-trust-restricted ---------------------------------------------------------------------------------------

TRUST = "IAM role trust policy statement"


def _trust(*statements):
    return {"name": "app", "assumeRolePolicy": f.document(*statements)}


def _assume(principal, **extra):
    return {"Sid": "Trust", "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


@pytest.mark.parametrize(
    "props",
    [
        f.node_role(),
        f.irsa_role(),
        _trust(_assume({"AWS": f"arn:aws:iam::{ACCOUNT}:role/platform-admin"})),
        _trust(_assume({"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})),
        _trust(_assume({"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})),
    ],
    ids=["ec2-service", "irsa", "named-role", "any-principal-of-org", "any-principal-of-account"],
)
def test_iam_role_trust_restricted__named_or_pinned_principals_pass(props):
    assert check("iam-role-trust-restricted", f.T_ROLE, props) == []


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": ["*"]},
        {"AWS": "arn:aws:iam::*:root"},
        {"AWS": "arn:aws:iam::*:role/deployer"},
        {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "arn:aws:iam::*:root"]},
        {"Service": "*"},
    ],
)
def test_iam_role_trust_restricted__wildcard_principal_fails(principal):
    assert check("iam-role-trust-restricted", f.T_ROLE, _trust(_assume(principal))) == [
        f'{TRUST} Trust must not trust the principal "*" unless aws:PrincipalAccount, aws:PrincipalOrgID or '
        "aws:SourceAccount restricts it."
    ]


@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotEquals": {"aws:PrincipalAccount": "444455556666"}},
        {"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}},
        {"StringLike": {"aws:PrincipalAccount": "*"}},
        {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
        {"Bool": {"aws:SecureTransport": "true"}},
    ],
    ids=["negated", "if-exists", "any-account", "any-org", "unrelated"],
)
def test_iam_role_trust_restricted__wildcard_with_non_pinning_condition_fails(condition):
    assert check("iam-role-trust-restricted", f.T_ROLE, _trust(_assume("*", Condition=condition))) == [
        f'{TRUST} Trust must not trust the principal "*" unless aws:PrincipalAccount, aws:PrincipalOrgID or '
        "aws:SourceAccount restricts it."
    ]


def test_iam_role_trust_restricted__not_principal_fails():
    statement = {
        "Sid": "Trust",
        "Effect": "Allow",
        "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }
    assert check("iam-role-trust-restricted", f.T_ROLE, _trust(statement)) == [
        f"{TRUST} Trust must not allow with NotPrincipal."
    ]


def _web_identity(condition, provider=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{f.OIDC_ISSUER}"):
    statement = {
        "Sid": "Irsa",
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return _trust(statement)


AUD = f"{f.OIDC_ISSUER}:aud"
SUB = f"{f.OIDC_ISSUER}:sub"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            None,
            [
                f"{TRUST} Irsa must pin {AUD} with StringEquals.",
                f"{TRUST} Irsa must pin {SUB} to named workloads with StringEquals.",
            ],
        ),
        (
            {"StringEquals": {AUD: "sts.amazonaws.com"}},
            [f"{TRUST} Irsa must pin {SUB} to named workloads with StringEquals."],
        ),
        (
            {"StringEquals": {SUB: "system:serviceaccount:ledger:ledger"}},
            [f"{TRUST} Irsa must pin {AUD} with StringEquals."],
        ),
        (
            {"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "*"}},
            [f"{TRUST} Irsa must pin {SUB} to named workloads with StringEquals."],
        ),
        (
            {"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "system:serviceaccount:*"}},
            [f"{TRUST} Irsa must pin {SUB} to named workloads with StringEquals."],
        ),
        (
            {"StringLike": {AUD: "*", SUB: "system:serviceaccount:ledger:*"}},
            [f"{TRUST} Irsa must pin {AUD} with StringEquals."],
        ),
    ],
    ids=["no-condition", "aud-only", "sub-only", "sub-any", "sub-any-namespace", "aud-any"],
)
def test_iam_role_trust_restricted__web_identity_without_sub_and_aud_fails(condition, expected):
    assert check("iam-role-trust-restricted", f.T_ROLE, _web_identity(condition)) == expected


GITHUB = "token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("sub", "ok"),
    [("repo:finstack/platform:ref:refs/heads/main", True), ("repo:finstack/*", True), ("repo:*", False), ("*", False)],
)
def test_iam_role_trust_restricted__github_sub_must_name_an_organization(sub, ok):
    condition = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}, "StringLike": {f"{GITHUB}:sub": sub}}
    props = _web_identity(condition, provider=f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}")
    expected = [] if ok else [f"{TRUST} Irsa must pin {GITHUB}:sub to named workloads with StringEquals."]
    assert check("iam-role-trust-restricted", f.T_ROLE, props) == expected


def test_iam_role_trust_restricted__unknown_trust_policy_defers_to_sdk():
    with pytest.raises(UnknownValueError):
        check("iam-role-trust-restricted", f.T_ROLE, {"name": "app", "assumeRolePolicy": UNKNOWN})


# --- iam-role-policy-management-exclusive -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "props",
    [f.node_role(), {**f.node_role(), "inlinePolicies": [], "managedPolicyArns": []}],
    ids=["unset", "empty-lists"],
)
def test_iam_role_policy_management_exclusive__policies_managed_separately_pass(props):
    assert check("iam-role-policy-management-exclusive", f.T_ROLE, props) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]},
            [
                "IAM role managedPolicyArns must be unset; manage the role's policies with RolePolicyAttachment "
                "resources."
            ],
        ),
        (
            {"inlinePolicies": [{"name": "nodes", "policy": f.document(_allow("ec2:DescribeTags", "*"))}]},
            ["IAM role inlinePolicies must be unset; manage the role's policies with RolePolicy resources."],
        ),
        (
            {"inlinePolicies": UNKNOWN_ARRAY, "managedPolicyArns": [UNKNOWN]},
            [
                "IAM role inlinePolicies must be unset; manage the role's policies with RolePolicy resources.",
                "IAM role managedPolicyArns must be unset; manage the role's policies with RolePolicyAttachment "
                "resources.",
            ],
        ),
    ],
    ids=["managed-arns", "inline", "unknown"],
)
def test_iam_role_policy_management_exclusive__policies_declared_on_the_role_fail(changes, expected):
    assert check("iam-role-policy-management-exclusive", f.T_ROLE, edit(f.node_role(), changes)) == expected


# --- resource-policy-principals-restricted ----------------------------------------------------------------------------

OTHER = "444455556666"


def _bucket_policy(*extra_statements):
    props = f.bucket_policy()
    document = json.loads(props["policy"])
    document["Statement"] += list(extra_statements)
    return {**props, "policy": json.dumps(document)}


def _grant(principal, **extra):
    return {
        "Sid": "Grant",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::finstack-prod-audit/*",
        **extra,
    }


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (f.T_BUCKET_POLICY, f.bucket_policy()),
        (f.T_TOPIC_POLICY, f.topic_policy()),
        (f.T_MSK_POLICY, f.msk_cluster_policy()),
    ],
)
def test_resource_policy_principals_restricted__shipped_forms_pass(type_, props):
    assert check("resource-policy-principals-restricted", type_, props) == []


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}, {"AWS": "arn:aws:iam::*:root"}])
def test_resource_policy_principals_restricted__public_bucket_policy_fails_despite_tls_deny(principal):
    props = _bucket_policy(_grant(principal))
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, props) == [
        'S3 bucket policy statement Grant must not allow the principal "*" unless aws:PrincipalAccount, '
        "aws:PrincipalOrgID or aws:SourceAccount restricts it to this stack's accounts."
    ]


def test_resource_policy_principals_restricted__wildcard_pinned_to_org_passes():
    props = _bucket_policy(_grant("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}))
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, props) == []


def test_resource_policy_principals_restricted__wildcard_pinned_to_foreign_account_fails():
    props = f.topic_policy()
    document = json.loads(props["policy"])
    document["Statement"].append(
        {**_grant("*", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}}), "Action": "sns:Subscribe"}
    )
    props["policy"] = json.dumps(document)
    assert check("resource-policy-principals-restricted", f.T_TOPIC_POLICY, props) == [
        'SNS topic policy statement Grant must not allow the principal "*" unless aws:PrincipalAccount, '
        "aws:PrincipalOrgID or aws:SourceAccount restricts it to this stack's accounts."
    ]


@pytest.mark.parametrize(
    "principal", [{"AWS": OTHER}, {"AWS": f"arn:aws:iam::{OTHER}:root"}, {"AWS": f"arn:aws:iam::{OTHER}:role/x"}]
)
def test_resource_policy_principals_restricted__foreign_account_fails(principal):
    props = f.msk_cluster_policy()
    document = json.loads(props["policy"])
    document["Statement"][1]["Principal"] = principal
    props["policy"] = json.dumps(document)
    assert check("resource-policy-principals-restricted", f.T_MSK_POLICY, props) == [
        f"MSK cluster policy statement ReplicatorRolesConnectivity must not allow account {OTHER}: it is not this "
        "resource's or a trusted one."
    ]


def test_resource_policy_principals_restricted__bucket_grants_need_trusted_accounts():
    # A bucket policy carries no account of its own: grants to any account need trustedAccounts.
    props = _bucket_policy(_grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}))
    message = f"S3 bucket policy statement Grant must not allow account {ACCOUNT}: it is not this resource's or a " + (
        "trusted one."
    )
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, props) == [message]
    assert (
        check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, props, config={"trustedAccounts": [ACCOUNT]})
        == []
    )


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEquals": {"aws:SourceAccount": OTHER}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:*:alarm:*"}},
    ],
    ids=["none", "foreign-account", "any-account-arn"],
)
def test_resource_policy_principals_restricted__unscoped_service_principal_fails(condition):
    props = f.topic_policy()
    document = json.loads(props["policy"])
    statement = document["Statement"][0]
    statement.pop("Condition")
    if condition:
        statement["Condition"] = condition
    props["policy"] = json.dumps(document)
    assert check("resource-policy-principals-restricted", f.T_TOPIC_POLICY, props) == [
        "SNS topic policy statement CloudWatchAlarmsPublish must scope service principal cloudwatch.amazonaws.com "
        "with aws:SourceAccount or aws:SourceArn."
    ]


def test_resource_policy_principals_restricted__unscoped_service_allow_list_is_configurable():
    config = {"unscopedServicePrincipals": []}
    assert check("resource-policy-principals-restricted", f.T_MSK_POLICY, f.msk_cluster_policy(), config=config) == [
        "MSK cluster policy statement ReplicatorServiceConnectivity must scope service principal kafka.amazonaws.com "
        "with aws:SourceAccount or aws:SourceArn."
    ]


def test_resource_policy_principals_restricted__not_principal_and_canonical_user_fail():
    allow_not = {
        "Sid": "AllBut",
        "Effect": "Allow",
        "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "s3:GetObject",
    }
    canonical = _grant({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, _bucket_policy(allow_not, canonical)) == [
        "S3 bucket policy statement AllBut must not allow with NotPrincipal.",
        "S3 bucket policy statement Grant must not allow a canonical user; name an account principal.",
    ]


def test_resource_policy_principals_restricted__topic_inline_policy_checked():
    props = {**f.sns_topic(), "arn": f"arn:aws:sns:{f.PRIMARY}:{ACCOUNT}:t", "policy": f.document(_grant("*"))}
    assert check("resource-policy-principals-restricted", f.T_TOPIC, props) == [
        'SNS topic policy statement Grant must not allow the principal "*" unless aws:PrincipalAccount, '
        "aws:PrincipalOrgID or aws:SourceAccount restricts it to this stack's accounts."
    ]


def test_resource_policy_principals_restricted__unknown_document_defers_to_sdk():
    with pytest.raises(UnknownValueError):
        check(
            "resource-policy-principals-restricted", f.T_MSK_POLICY, edit(f.msk_cluster_policy(), {"policy": UNKNOWN})
        )


# --- s3-bucket-no-public-access -----------------------------------------------------------------------------------


def test_s3_bucket_no_public_access__all_flags_pass():
    assert check("s3-bucket-no-public-access", f.T_PAB, f.public_access_block()) == []


@pytest.mark.parametrize("flag", ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
@pytest.mark.parametrize("value", [False, DELETE])
def test_s3_bucket_no_public_access__flag_off_or_unset_fails(flag, value):
    props = edit(f.public_access_block(), {flag: value})
    assert check("s3-bucket-no-public-access", f.T_PAB, props) == [f"S3 public access block {flag} must be true."]


def test_s3_bucket_no_public_access__unknown_flag_fails():
    props = edit(f.public_access_block(), {"blockPublicPolicy": UNKNOWN_BOOL})
    assert check("s3-bucket-no-public-access", f.T_PAB, props) == [
        "S3 public access block blockPublicPolicy is unknown at preview; it must be true as a literal so the policy "
        "can prove it."
    ]


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_s3_bucket_no_public_access__public_canned_acl_fails(acl):
    props = {"bucket": "finstack-prod-audit", "acl": acl}
    assert check("s3-bucket-no-public-access", f.T_BUCKET_ACL, props) == [f"S3 bucket ACL acl must not be {acl}."]


@pytest.mark.parametrize("group", ["AllUsers", "AuthenticatedUsers"])
def test_s3_bucket_no_public_access__grant_to_public_group_fails(group):
    props = {
        "bucket": "finstack-prod-audit",
        "accessControlPolicy": {
            "owner": {"id": "owner"},
            "grants": [
                {"grantee": {"type": "CanonicalUser", "id": "owner"}, "permission": "FULL_CONTROL"},
                {
                    "grantee": {"type": "Group", "uri": f"http://acs.amazonaws.com/groups/global/{group}"},
                    "permission": "READ",
                },
            ],
        },
    }
    assert check("s3-bucket-no-public-access", f.T_BUCKET_ACL, props) == [f"S3 bucket ACL must not grant {group}."]


def test_s3_bucket_no_public_access__private_acl_passes():
    assert check("s3-bucket-no-public-access", f.T_BUCKET_ACL, {"bucket": "b", "acl": "private"}) == []


# --- s3-bucket-public-access-block-attached ---------------------------------------------------------------------------


def _bucket_stack(with_block=True, by_dependency=False):
    stack = f.Stack()
    bucket = stack.add(
        f.T_BUCKET, "audit-bucket", {"region": f.PRIMARY, "bucket": "finstack-prod-audit", "id": "finstack-prod-audit"}
    )
    if with_block:
        props = f.public_access_block()
        if by_dependency:
            stack.add(f.T_PAB, "audit-public-access", {**props, "bucket": UNKNOWN}, bucket=bucket)
        else:
            stack.add(f.T_PAB, "audit-public-access", props)
    return stack


@pytest.mark.parametrize("by_dependency", [False, True], ids=["by-name", "by-dependency"])
def test_s3_bucket_public_access_block_attached__bucket_with_block_passes(by_dependency):
    assert check_stack("s3-bucket-public-access-block-attached", _bucket_stack(True, by_dependency).resources) == []


def test_s3_bucket_public_access_block_attached__bucket_without_block_fails():
    stack = _bucket_stack(with_block=False)
    stack.add(f.T_PAB, "other-public-access", f.public_access_block("finstack-prod-other"))
    assert check_stack("s3-bucket-public-access-block-attached", stack.resources) == [
        ("S3 bucket audit-bucket must have a public access block.", urn(f.T_BUCKET, "audit-bucket"))
    ]


# --- aurora-master-user-hardened -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "props",
    [f.aurora_cluster(), f.aurora_cluster(f.SECONDARY, primary=False)],
    ids=["custom", "global-secondary"],
)
def test_aurora_master_user_hardened__custom_user_passes(props):
    assert check("aurora-master-user-hardened", f.T_CLUSTER, props) == []


@pytest.mark.parametrize("username", ["postgres", "admin", "Admin", "root"])
def test_aurora_master_user_hardened__default_username_fails(username):
    props = edit(f.aurora_cluster(), {"masterUsername": username})
    assert check("aurora-master-user-hardened", f.T_CLUSTER, props) == [
        f"Aurora cluster masterUsername must not be the default {username}."
    ]


def test_aurora_master_user_hardened__unknown_username_fails():
    props = edit(f.aurora_cluster(), {"masterUsername": UNKNOWN})
    assert check("aurora-master-user-hardened", f.T_CLUSTER, props) == [
        "Aurora cluster masterUsername is unknown at preview; it must be a custom name as a literal so the policy "
        "can prove it."
    ]


# --- aurora-master-password-generated ------------------------------------------------------------------------------

PRIMARY_CLUSTER = "aurora-us-east-1-cluster"


def test_aurora_master_password_generated__managed_password_passes():
    assert check_stack("aurora-master-password-generated", f.compliant_stack().resources) == []


def _with_password(password, source=None):
    """The compliant stack with the primary's password set (computed from `source` when given)."""
    stack = f.compliant_stack()
    props = edit(stack.props(PRIMARY_CLUSTER), {"manageMasterUserPassword": DELETE, "masterPassword": password})
    stack.replace(PRIMARY_CLUSTER, props)
    if source is not None:
        version = stack.add("aws:secretsmanager/secretVersion:SecretVersion", source, {})
        depends(stack.named(PRIMARY_CLUSTER), "masterPassword", version)
    return stack


def test_aurora_master_password_generated__password_from_another_resource_passes():
    # finstack's global database: Secrets Manager generates it; the cluster gets it through a secret version,
    # and the SDK hands it to the policy as plaintext.
    stack = _with_password("generated-Plaintext-As-The-SDK-Hands-It", source="aurora-master-secret-version")
    assert check_stack("aurora-master-password-generated", stack.resources) == []


@pytest.mark.parametrize("password", ["Sup3rSecret!", "[secret]"], ids=["literal", "config-secret"])
def test_aurora_master_password_generated__password_in_the_program_fails(password):
    # The SDK hands secrets to policies as plaintext: only the missing dependency tells a literal.
    assert check_stack("aurora-master-password-generated", _with_password(password).resources) == [
        (
            f"Aurora cluster {PRIMARY_CLUSTER} masterPassword must not be written in the program; set "
            "manageMasterUserPassword or generate it in Secrets Manager.",
            urn(f.T_CLUSTER, PRIMARY_CLUSTER),
        )
    ]


def test_aurora_master_password_generated__unknown_password_is_an_output_and_passes():
    assert check_stack("aurora-master-password-generated", _with_password(UNKNOWN).resources) == []


# --- kms-key-policy-explicit + wildcard account principals ------------------------------------------------------------


def test_kms_key_policy_explicit__compliant_stack_passes():
    assert check_stack("kms-key-policy-explicit", f.compliant_stack().resources) == []


@pytest.mark.parametrize("name", ["keys-data-us-east-1", "keys-data-us-west-2"])
def test_kms_key_policy_explicit__key_without_policy_fails(name):
    stack = f.compliant_stack()
    resources = stack.replace(name, edit(stack.props(name), {"policy": DELETE}))
    type_ = f.T_KEY if name.endswith(f.PRIMARY) else f.T_REPLICA_KEY
    assert check_stack("kms-key-policy-explicit", resources) == [
        (f"KMS key {name} must have an explicit key policy.", urn(type_, name))
    ]


@pytest.mark.parametrize("by_dependency", [False, True], ids=["by-arn", "by-dependency"])
def test_kms_key_policy_explicit__separate_key_policy_passes(by_dependency):
    stack = f.compliant_stack()
    name = "keys-data-us-east-1"
    stack.replace(name, edit(stack.props(name), {"policy": DELETE}))
    key = stack.named(name)
    props = {"keyId": UNKNOWN if by_dependency else f.key_arn(f.PRIMARY, "data"), "policy": f.key_policy()}
    stack.add(f.T_KEY_POLICY, "keys-data-policy", props, keyId=key if by_dependency else [])
    assert check_stack("kms-key-policy-explicit", stack.resources) == []


@pytest.mark.parametrize("principal", [{"AWS": "arn:aws:iam::*:root"}, {"AWS": "arn:aws:iam::*:role/ops"}])
def test_kms_key_policy_no_wildcard_principal__wildcard_account_principal_fails(principal):
    statement = {"Sid": "Open", "Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}
    props = edit(f.kms_key(), {"policy": f.document(statement)})
    assert check("kms-key-policy-no-wildcard-principal", f.T_KEY, props) == [
        'KMS key policy statement Open must not allow the principal "*" unless kms:CallerAccount and kms:ViaService '
        "restrict it."
    ]


# --- more federation and resource-policy forms -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:12345678-pool"}}, []),
        (None, [f"{TRUST} Irsa must pin cognito-identity.amazonaws.com:aud with StringEquals."]),
    ],
    ids=["pool-pinned", "any-pool"],
)
def test_iam_role_trust_restricted__cognito_trust_needs_the_pool_as_audience(condition, expected):
    props = _web_identity(condition, provider="cognito-identity.amazonaws.com")
    assert check("iam-role-trust-restricted", f.T_ROLE, props) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}, []),
        (None, [f"{TRUST} Sso must pin SAML:aud with StringEquals."]),
        ({"StringLike": {"SAML:aud": "*"}}, [f"{TRUST} Sso must pin SAML:aud with StringEquals."]),
    ],
    ids=["pinned", "none", "any"],
)
def test_iam_role_trust_restricted__saml_trust_pins_the_audience(condition, expected):
    statement = {
        "Sid": "Sso",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp"},
        "Action": "sts:AssumeRoleWithSAML",
    }
    if condition:
        statement["Condition"] = condition
    assert check("iam-role-trust-restricted", f.T_ROLE, _trust(statement)) == expected


def test_resource_policy_principals_restricted__secret_policy_foreign_account_fails():
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf"
    grant = {
        **_grant({"AWS": f"arn:aws:iam::{OTHER}:root"}),
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
    own = {
        **_grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/dr"}),
        "Sid": "Own",
        "Action": "secretsmanager:GetSecretValue",
    }
    props = {"secretArn": arn, "policy": f.document(own, grant)}
    assert check("resource-policy-principals-restricted", "aws:secretsmanager/secretPolicy:SecretPolicy", props) == [
        f"Secrets Manager secret policy statement Grant must not allow account {OTHER}: it is not this resource's or "
        "a trusted one."
    ]


def test_resource_policy_principals_restricted__queue_policy_account_comes_from_the_url():
    url = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/finstack-prod-events"
    own = {**_grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"}), "Action": "sqs:SendMessage", "Resource": "*"}
    props = {"queueUrl": url, "policy": f.document(own)}
    assert check("resource-policy-principals-restricted", "aws:sqs/queuePolicy:QueuePolicy", props) == []
    props["policy"] = f.document({**own, "Principal": "*"})
    assert check("resource-policy-principals-restricted", "aws:sqs/queuePolicy:QueuePolicy", props) == [
        'SQS queue policy statement Grant must not allow the principal "*" unless aws:PrincipalAccount, '
        "aws:PrincipalOrgID or aws:SourceAccount restricts it to this stack's accounts."
    ]


def test_s3_bucket_no_public_access__bucket_inline_acl_and_grants_checked():
    props = {
        "bucket": "finstack-prod-audit",
        "acl": "public-read",
        "grants": [
            {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": ["READ"]}
        ],
    }
    assert check("s3-bucket-no-public-access", f.T_BUCKET, props) == [
        "S3 bucket acl must not be public-read.",
        "S3 bucket must not grant AllUsers.",
    ]


def test_resource_policy_principals_restricted__bucket_inline_policy_checked():
    props = {"bucket": "finstack-prod-audit", "policy": f.document(_grant({"AWS": "*"}))}
    assert check("resource-policy-principals-restricted", f.T_BUCKET, props) == [
        'S3 bucket policy statement Grant must not allow the principal "*" unless aws:PrincipalAccount, '
        "aws:PrincipalOrgID or aws:SourceAccount restricts it to this stack's accounts."
    ]


# --- secretsmanager-secret-rotation ---------------------------------------------------------------

ROTATION = "secretsmanager-secret-rotation"


def test_secret_rotation__rotated_secret_and_its_probes_pass():
    assert check_stack(ROTATION, f.rotated_secret_stack().resources) == []


def test_secret_rotation__secret_without_rotation_fails():
    stack = f.rotated_secret_stack()
    found = check_stack(ROTATION, stack.without("ledger-rotation-schedule"))
    assert messages(found)[0] == (
        "Secrets Manager secret aurora-master-secret must be rotated at least every 90 days: it has no "
        "aws:secretsmanager/secretRotation. Declare an aws.secretsmanager.SecretRotation with "
        "automaticallyAfterDays <= 90 (components/secret_rotation.py)."
    )
    # The probes fall with the secret they serve
    assert sorted(urn for _, urn in found) == sorted(
        urn(f.T_SECRET, n)
        for n in ("aurora-master-secret", *(f"ledger-rotation-probe-{r}" for r in (PRIMARY, SECONDARY)))
    )


@pytest.mark.parametrize(
    "rules",
    [
        {"automaticallyAfterDays": 91},
        {"scheduleExpression": "rate(120 days)"},
        {"scheduleExpression": "cron(0 4 1 1 ? *)"},
    ],
)
def test_secret_rotation__period_beyond_90_days_fails(rules):
    stack = f.rotated_secret_stack()
    props = stack.props("ledger-rotation-schedule")
    props["rotationRules"] = rules
    found = check_stack(ROTATION, stack.replace("ledger-rotation-schedule", props))
    assert "rotation ledger-rotation-schedule allows more than 90 days between rotations" in messages(found)[0]


@pytest.mark.parametrize(
    "rules",
    [
        {"automaticallyAfterDays": 90},
        {"scheduleExpression": "rate(30 days)"},
        {"scheduleExpression": "rate(4 hours)"},
        {"scheduleExpression": "cron(0 4 1 * ? *)"},
    ],
)
def test_secret_rotation__period_within_90_days_passes(rules):
    stack = f.rotated_secret_stack()
    props = stack.props("ledger-rotation-schedule")
    props["rotationRules"] = rules
    assert check_stack(ROTATION, stack.replace("ledger-rotation-schedule", props)) == []


def test_secret_rotation__disabled_rotation_fails():
    stack = f.rotated_secret_stack()
    props = stack.props("ledger-rotation-schedule")
    props["rotationEnabled"] = False
    found = check_stack(ROTATION, stack.replace("ledger-rotation-schedule", props))
    assert "rotation ledger-rotation-schedule is disabled" in messages(found)[0]


def test_secret_rotation__max_days_is_configurable():
    stack = f.rotated_secret_stack()
    assert "at least every 14 days" in messages(check_stack(ROTATION, stack.resources, config={"maxDays": 14}))[0]


def test_secret_rotation__probe_tag_naming_an_absent_secret_fails():
    stack = f.rotated_secret_stack()
    props = stack.props(f"ledger-rotation-probe-{SECONDARY}")
    props["tags"]["finstack:rotationProbeOf"] = "finstack/prod/other"
    found = check_stack(ROTATION, stack.replace(f"ledger-rotation-probe-{SECONDARY}", props))
    assert messages(found) == [
        f"Secrets Manager secret ledger-rotation-probe-{SECONDARY} is tagged as the rotation probe of "
        "finstack/prod/other, which this stack does not declare; rotate it or remove the tag."
    ]


# --- lambda-supported-runtime / lambda-no-public-invoke ------------------------------------------


def test_lambda_runtime__supported_runtime_passes():
    assert check("lambda-supported-runtime", f.T_LAMBDA, f.rotation_function()) == []


@pytest.mark.parametrize("runtime", ["python3.9", "python3.11", "nodejs18.x", None])
def test_lambda_runtime__deprecated_runtime_fails(runtime):
    props = edit(f.rotation_function(), {"runtime": runtime})
    assert check("lambda-supported-runtime", f.T_LAMBDA, props, name="fn")[0].startswith(
        "Lambda function fn runtime must be a supported one (python3.12, python3.13"
    )


def test_lambda_runtime__container_image_is_skipped():
    props = edit(f.rotation_function(), {"runtime": DELETE, "packageType": "Image"})
    assert check("lambda-supported-runtime", f.T_LAMBDA, props) == []


def test_lambda_public_invoke__pinned_service_permission_passes():
    assert check("lambda-no-public-invoke", f.T_LAMBDA_PERMISSION, f.rotation_permission()) == []


def test_lambda_public_invoke__service_without_source_fails():
    props = edit(f.rotation_permission(), {"sourceAccount": DELETE})
    assert check("lambda-no-public-invoke", f.T_LAMBDA_PERMISSION, props, name="p") == [
        "Lambda permission p for secretsmanager.amazonaws.com must pin sourceAccount or sourceArn, "
        "else any account's resources of that service may invoke the function."
    ]


def test_lambda_public_invoke__wildcard_principal_fails():
    props = edit(f.rotation_permission(), {"principal": "*", "sourceAccount": DELETE})
    assert check("lambda-no-public-invoke", f.T_LAMBDA_PERMISSION, props, name="p") == [
        "Lambda permission p must not allow principal * without sourceAccount or sourceArn."
    ]


def test_lambda_public_invoke__function_url_without_auth_fails():
    props = edit(f.rotation_permission(), {"functionUrlAuthType": "NONE"})
    assert (
        "must not open a function URL without auth" in check("lambda-no-public-invoke", f.T_LAMBDA_PERMISSION, props)[0]
    )


def test_resource_policy_principals_restricted__log_delivery_grants_pass():
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, f.archive_policy()) == []


def test_resource_policy_principals_restricted__elb_account_beyond_putobject_fails():
    # The ELB log-delivery account is admitted for log writes only, not to read the bucket.
    grant = {**f.log_delivery_statements()[0], "Sid": "Grant", "Action": ["s3:PutObject", "s3:GetObject"]}
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, _bucket_policy(grant)) == [
        f"S3 bucket policy statement Grant must not allow account {f.ELB_US_EAST_1}: it is not this resource's or a "
        "trusted one."
    ]


def test_resource_policy_principals_restricted__unpinned_s3_log_delivery_fails():
    grant = {**f.log_delivery_statements()[1], "Sid": "Grant"}
    del grant["Condition"]
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, _bucket_policy(grant)) == [
        "S3 bucket policy statement Grant must scope service principal logging.s3.amazonaws.com with "
        "aws:SourceAccount or aws:SourceArn."
    ]


# --- bucket-policy-delivery-own-account -----------------------------------------------------------------------------

CONFIG_BUCKET = "finstack-prod-config-111122223333-us-east-1"


def _config_grants(account: str = ACCOUNT) -> list[dict]:
    """components/posture.py config_bucket_grants: config.amazonaws.com pinned by aws:SourceAccount."""
    pin = {"StringEquals": {"aws:SourceAccount": account}}
    principal = {"Service": "config.amazonaws.com"}
    bucket = f"arn:aws:s3:::{CONFIG_BUCKET}"
    return [
        {
            "Sid": "ConfigAcl",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:GetBucketAcl",
            "Resource": bucket,
            "Condition": pin,
        },
        {
            "Sid": "ConfigList",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:ListBucket",
            "Resource": bucket,
            "Condition": pin,
        },
        {
            "Sid": "ConfigDelivery",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/config/AWSLogs/{account}/Config/*",
            "Condition": pin,
        },
    ]


def _trail_grant(account: str = ACCOUNT) -> dict:
    """components/audit_trail.py: CloudTrail pinned to this stack's trail by aws:SourceArn."""
    return {
        "Sid": "CloudTrailWrite",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::finstack-prod-audit/AWSLogs/{account}/*",
        "Condition": {
            "StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/finstack-prod-audit"}
        },
    }


def _delivery_stack(*grants: dict, key_arn_value: str | None = None) -> f.Stack:
    stack = f.Stack()
    key = f.kms_key()
    if key_arn_value is not None:
        key["arn"] = key_arn_value
    stack.add(f.T_KEY, "keys-data", key)
    stack.add(f.T_BUCKET_POLICY, "posture-config-us-east-1-policy", _bucket_policy(*grants))
    return stack


@pytest.mark.parametrize("grants", [_config_grants(), [_trail_grant()]], ids=["config", "cloudtrail"])
def test_resource_policy_principals_restricted__delivery_grants_defer_their_account(grants):
    # Pinned to an account a bucket policy cannot place: the resource rule leaves it to the stack policy.
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, _bucket_policy(*grants)) == []
    foreign = [{**g, "Condition": json.loads(json.dumps(g["Condition"]).replace(ACCOUNT, OTHER))} for g in grants]
    assert check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, _bucket_policy(*foreign)) == []


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        ({"Action": ["s3:PutObject", "s3:GetObject"]}, "must scope service principal config.amazonaws.com"),
        ({"Condition": {}}, "must scope service principal config.amazonaws.com"),
        ({"Principal": {"Service": "ec2.amazonaws.com"}}, "must scope service principal ec2.amazonaws.com"),
    ],
    ids=["reads-too", "unpinned", "not-a-delivery-service"],
)
def test_resource_policy_principals_restricted__not_a_delivery_grant_is_judged_in_full(change, finding):
    grant = {**_config_grants(OTHER)[2], **change}
    found = check("resource-policy-principals-restricted", f.T_BUCKET_POLICY, _bucket_policy(grant))
    assert len(found) == 1 and finding in found[0], found


def test_bucket_policy_delivery_own_account__stack_account_passes():
    assert (
        check_stack("bucket-policy-delivery-own-account", _delivery_stack(*_config_grants(), _trail_grant()).resources)
        == []
    )


@pytest.mark.parametrize(
    "grants",
    [
        _config_grants(OTHER),
        [_trail_grant(OTHER)],
        [{**f.log_delivery_statements()[1], "Condition": {"StringEquals": {"aws:SourceAccount": OTHER}}}],
    ],
    ids=["config-source-account", "cloudtrail-source-arn", "s3-log-delivery"],
)
def test_bucket_policy_delivery_own_account__foreign_account_fails(grants):
    stack = _delivery_stack(*grants)
    found = check_stack("bucket-policy-delivery-own-account", stack.resources)
    assert found, grants
    message, failed = found[0]
    assert failed == stack.named("posture-config-us-east-1-policy").urn
    assert f"lets the delivery of account {OTHER} write into the bucket" in message
    assert f"pin it to this stack's account ({ACCOUNT})" in message


def test_bucket_policy_delivery_own_account__trusted_account_passes():
    stack = _delivery_stack(*_config_grants(OTHER))
    assert check_stack("bucket-policy-delivery-own-account", stack.resources, config={"trustedAccounts": [OTHER]}) == []


def test_bucket_policy_delivery_own_account__skips_until_the_account_is_known():
    # A first preview: no key ARN is known yet, and an unknown document is not read.
    assert (
        check_stack(
            "bucket-policy-delivery-own-account",
            _delivery_stack(*_config_grants(OTHER), key_arn_value=UNKNOWN).resources,
        )
        == []
    )
    stack = _delivery_stack()
    stack.replace(
        "posture-config-us-east-1-policy", edit(stack.props("posture-config-us-east-1-policy"), {"policy": UNKNOWN})
    )
    assert check_stack("bucket-policy-delivery-own-account", stack.resources) == []
