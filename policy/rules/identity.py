"""Identity: least privilege for people, nodes and workloads, and no anonymous data access.

IAM and key policy documents usually interpolate ARNs, so at preview they are often unknown:
those checks `defer` (advisory at preview, enforced before the resource is created at `up`).
Authentication switches are literals and fail when unknown.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._log_delivery import is_log_delivery_grant
from ._util import (
    Compliance,
    Setting,
    StackView,
    as_list,
    get,
    is_account_service_scoped,
    is_false,
    is_true,
    is_unknown,
    parse_arn,
    plain,
    policy_document,
    resource_policy,
    settings,
    stack_accounts,
    stack_policy,
    statements,
    strings,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "identity"

IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
MSK_CLUSTER = "aws:msk/cluster:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
MSK_CLUSTER_POLICY = "aws:msk/clusterPolicy:ClusterPolicy"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
DOCUMENT_TYPES = (IAM_POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY)

# Actions that read or write customer data. An Allow of any of them (or of a wildcard that
# covers one) on Resource "*" reaches every object, key, database user or topic of the account.
DATA_PLANE_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "rds-db:connect",
    "kafka-cluster:ReadData",
    "kafka-cluster:WriteData",
    "kafka-cluster:WriteDataIdempotently",
    "secretsmanager:GetSecretValue",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
)

LEAST_PRIVILEGE = Compliance(pci=("7.2.1", "7.2.2"), soc2=("CC6.1", "CC6.3"), gdpr=("art25", "art32"))
AUTHENTICATION = Compliance(pci=("8.3.1", "8.2.1"), soc2=("CC6.1",), gdpr=("art32",))
# Anonymous or foreign access to data: bucket, topic and cluster policies, public ACLs.
NO_PUBLIC_ACCESS = Compliance(pci=("1.4.4", "7.2.1"), soc2=("CC6.1", "CC6.6"), gdpr=("art25", "art32"))
KEY_PROTECTION = Compliance(pci=("3.6.1", "7.2.1"), soc2=("CC6.1",), gdpr=("art32",))
# Passwords of system accounts changed periodically: PCI DSS v4.0.1 8.3.9 and 8.6.3.
ROTATION = Compliance(pci=("8.3.9", "8.6.3"), soc2=("CC6.1",), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


def _documents(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """(subject, parsed document) for each IAM document the resource carries."""
    if resource_type in DOCUMENT_TYPES:
        return [("IAM policy", policy_document(props.get("policy"), ["policy"]))]
    if resource_type == ROLE:
        inline = props.get("inlinePolicies")
        if is_unknown(inline):
            policy_document(inline, ["inlinePolicies"])  # defers
        return [
            (
                f"IAM role inline policy {_shown(get(p, 'name'))}",
                policy_document(get(p, "policy"), ["inlinePolicies", str(i), "policy"]),
            )
            for i, p in enumerate(as_list(inline))
        ]
    return []


def _allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def _sid(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return str(sid) if sid else f"#{index + 1}"


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _no_wildcard_actions(args: ResourceValidationArgs, report: Report) -> None:
    """Allow statements name their actions: no "*", no "<service>:*", no NotAction."""
    if args.resource_type not in (*DOCUMENT_TYPES, ROLE):
        return
    for subject, document in _documents(args.resource_type, plain(args.props)):
        for index, statement in enumerate(statements(document)):
            if not _allows(statement):
                continue
            where = f"{subject} statement {_sid(statement, index)}"
            for action in strings(statement.get("Action")):
                if _is_wildcard_action(action):
                    report(f"{where} must name actions explicitly, not {action}.")
            if "NotAction" in statement:
                report(f"{where} must not combine Allow with NotAction.")


def _data_actions(actions: list[str]) -> list[str]:
    """The statement actions (patterns allowed) that cover a data-plane action."""
    return [a for a in actions if any(fnmatch.fnmatchcase(d.lower(), a.lower()) for d in DATA_PLANE_ACTIONS)]


_WILDCARDS_ONLY = re.compile(r"^[*?/:]*$")
_RESOURCE_TYPE = re.compile(r"^[A-Za-z0-9_.-]+[/:](?P<rest>.*)$")


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _is_broad_resource(resource: str) -> bool:
    """Resource "*", or an ARN that names no particular resource.

    Broad: `*`; an ARN with a wildcard in its partition, service, region or account field
    (`arn:aws:kms:*:*:key/*`, `arn:aws:iam::*:role/x`); an ARN whose resource part is only
    wildcards (`arn:aws:sns:us-east-1:111122223333:*`) or only wildcards after its resource
    type (`key/*`, `role/*`, `topic/*/*/*`); an S3 ARN whose bucket is a wildcard
    (`arn:aws:s3:::*`, `arn:aws:s3:::*/*`). Not broad: a name prefix (`role/app-*`), every
    object of one bucket (`arn:aws:s3:::bucket/*`), a wildcard before a named part
    (`dbuser:*/ledger`: one database user on any cluster of the account and region).
    """
    if _WILDCARDS_ONLY.match(resource):
        return True
    arn = parse_arn(resource)
    if arn is None:
        # `arn:*:...` and other ARNs the parser refuses: a wildcard there reaches further than any name.
        return resource.lower().startswith("arn:") and _has_wildcard(resource)
    if any(_has_wildcard(part) for part in (arn.partition, arn.service, arn.region, arn.account)):
        return True
    if _WILDCARDS_ONLY.match(arn.resource):
        return True
    if arn.service == "s3":
        return bool(_WILDCARDS_ONLY.match(arn.resource.split("/", 1)[0]))
    typed = _RESOURCE_TYPE.match(arn.resource)
    return bool(typed and _WILDCARDS_ONLY.match(typed["rest"]))


def _broad_resources(statement: Mapping[str, Any]) -> list[str]:
    """The statement's Resource entries that name no particular resource (see `_is_broad_resource`)."""
    return [r for r in strings(statement.get("Resource")) if _is_broad_resource(r)]


def _no_wildcard_resource_for_data(args: ResourceValidationArgs, report: Report) -> None:
    """Data-plane actions are granted on named resources, never on "*" or a wildcard ARN."""
    if args.resource_type not in (*DOCUMENT_TYPES, ROLE):
        return
    for subject, document in _documents(args.resource_type, plain(args.props)):
        for index, statement in enumerate(statements(document)):
            if not _allows(statement):
                continue
            where = f"{subject} statement {_sid(statement, index)}"
            if "NotResource" in statement:
                report(f"{where} must not combine Allow with NotResource.")
            broad = _broad_resources(statement)
            if not broad:
                continue
            actions = _data_actions(strings(statement.get("Action")))
            if actions:
                shown = ", ".join(actions)
                report(f'{where} must scope data-plane actions ({shown}) to named resources, not "{broad[0]}".')


# Actions that change who may do what, or mint credentials, in the account: on a broad resource
# each lets the holder grant itself more (Rhino Security Labs' IAM escalation paths, which
# Checkov CKV_AWS_286-290 and cloudsplaining check: privilege escalation, credentials exposure,
# permissions management and resource exposure). iam:PassRole is judged separately (below).
ESCALATION_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:CreatePolicy",
    "iam:CreateRole",
    "iam:CreateUser",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:AddPermission",
    "glue:UpdateDevEndpoint",
    "ec2-instance-connect:SendSSHPublicKey",
    "ssm:SendCommand",
    "ssm:StartSession",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "secretsmanager:PutResourcePolicy",
    "sns:SetTopicAttributes",
    "sqs:SetQueueAttributes",
    "kafka:PutClusterPolicy",
    "ecr:SetRepositoryPolicy",
)
PASS_ROLE = "iam:PassRole"


def _covering(patterns: list[str], actions: tuple[str, ...]) -> list[str]:
    """The statement action patterns (IAM wildcards, any case) that cover one of `actions`."""
    return [p for p in patterns if any(fnmatch.fnmatchcase(a.lower(), p.lower()) for a in actions)]


def _restricting_values(statement: Mapping[str, Any], key: str, operators: tuple[str, ...]) -> list[str]:
    """The values `key` must match under one of `operators` (lower-case names), [] when none restricts it."""
    found: list[str] = []
    condition = statement.get("Condition")
    for operator, block in condition.items() if isinstance(condition, Mapping) else []:
        if not isinstance(block, Mapping) or str(operator).lower() not in operators:
            continue
        for name, values in block.items():
            if str(name).lower() == key.lower():
                found += strings(values)
    return found


_STRING_MATCH = ("stringequals", "stringlike", "stringequalsignorecase")
_ARN_MATCH = ("arnequals", "arnlike", "stringequals", "stringlike")


def _no_privilege_escalation(args: ResourceValidationArgs, report: Report) -> None:
    """No escalation or credential action on a broad resource; iam:PassRole named and service-bound.

    AVD-AWS-0342: iam:PassRole on "*" (or a wildcard ARN) lets the holder hand any role to a
    service it can drive (EC2, Lambda, CloudFormation...), and without an iam:PassedToService
    condition even a named role can be handed to any service. Unknown documents defer.
    """
    if args.resource_type not in (*DOCUMENT_TYPES, ROLE):
        return
    for subject, document in _documents(args.resource_type, plain(args.props)):
        for index, statement in enumerate(statements(document)):
            if not _allows(statement):
                continue
            where = f"{subject} statement {_sid(statement, index)}"
            actions = strings(statement.get("Action"))
            broad = _broad_resources(statement)
            if broad:
                for action in _covering(actions, ESCALATION_ACTIONS):
                    report(f'{where} must scope {action} to named resources, not "{broad[0]}".')
            passes = _covering(actions, (PASS_ROLE,))
            if passes and broad:
                report(f'{where} must scope {passes[0]} to named roles, not "{broad[0]}".')
            services = _restricting_values(statement, "iam:PassedToService", _STRING_MATCH)
            if passes and (not services or any(_WILDCARDS_ONLY.match(v) for v in services)):
                report(f"{where} must restrict {passes[0]} with an iam:PassedToService condition.")


NODE_ROLE_CONFIG = {
    "requiredPolicies": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AmazonEKSWorkerNodePolicy"],
            "description": "AWS managed policies every EC2-trusted (node) role must have.",
        }
    ),
    "allowedPolicies": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": [
                "AmazonEKSWorkerNodePolicy",
                "AmazonEC2ContainerRegistryPullOnly",
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonEKS_CNI_Policy",
            ],
            "description": "The only AWS managed policies an EC2-trusted (node) role may have.",
        }
    ),
}


def _trusts_ec2(document: Mapping[str, Any] | None) -> bool:
    for statement in statements(document):
        services = strings(get(statement, "Principal.Service"))
        if _allows(statement) and "ec2.amazonaws.com" in services:
            return True
    return False


def _aws_managed_name(arn: Any) -> str | None:
    """`AmazonEKSWorkerNodePolicy` for arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy, else None."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.account != "aws" or not parsed.resource.startswith("policy/"):
        return None
    return parsed.resource.rsplit("/", 1)[-1]


def _node_roles(view: StackView) -> list[PolicyResource]:
    roles = []
    for role in view.of_type(ROLE):
        trust = view.props(role).get("assumeRolePolicy")
        if is_unknown(trust):
            continue  # an interpolated trust policy (IRSA, pod identity); checked at `up`.
        if _trusts_ec2(policy_document(trust, ["assumeRolePolicy"])):
            roles.append(role)
    return roles


def _node_role_policies(args: StackValidationArgs, report: Report) -> None:
    """Roles EC2 instances assume (EKS nodes) carry exactly the allowed AWS managed policies."""
    view = StackView(args.resources)
    config = settings(args, NODE_ROLE_CONFIG)
    allowed, required = list(config["allowedPolicies"]), list(config["requiredPolicies"])
    for role in _node_roles(view):
        props = view.props(role)
        arns = [
            view.props(a).get("policyArn")
            for a in view.of_type(ROLE_POLICY_ATTACHMENT)
            if role in view.references(a, "role", (ROLE,), keys=("name", "id", "arn"))
        ] + as_list(props.get("managedPolicyArns"))
        names = []
        for arn in arns:
            name = _aws_managed_name(arn)
            if name is None or name not in allowed:
                shown = "an unknown policy" if is_unknown(arn) else str(arn)
                report(
                    f"EKS node role {role.name} must not have {shown} attached; allowed: {', '.join(allowed)}.",
                    role.urn,
                )
            names.append(name)
        for name in required:
            if name not in names:
                report(f"EKS node role {role.name} must have {name} attached.", role.urn)
        inline = [
            p for p in view.of_type(ROLE_POLICY) if role in view.references(p, "role", (ROLE,), keys=("name", "id"))
        ]
        if inline or as_list(props.get("inlinePolicies")):
            report(f"EKS node role {role.name} must not have inline policies.", role.urn)


# 2 is the most an EKS node may allow: one hop for the pod's veth, so system add-ons off the host
# network (the EBS CSI node plugin) can read instance identity. Workload credentials come from
# Pod Identity, and workload namespaces' default-deny egress keeps them off 169.254.169.254.
HOP_CONFIG = {
    "maximumHopLimit": Setting(
        {
            "type": "integer",
            "minimum": 1,
            "default": 2,
            "description": "Highest httpPutResponseHopLimit (2 for EKS nodes; 1 where no pod needs IMDS).",
        }
    ),
}


def _imdsv2(args: ResourceValidationArgs, report: Report) -> None:
    """Instances require IMDSv2 tokens and keep the metadata service out of pods' reach."""
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    maximum = settings(args, HOP_CONFIG)["maximumHopLimit"]
    options = plain(args.props).get("metadataOptions")
    if get(options, "httpEndpoint") == "disabled":
        return
    tokens = get(options, "httpTokens")
    if is_unknown(tokens):
        report(unknown_message("Launch template metadataOptions.httpTokens", "required"))
    elif tokens != "required":
        report(f"Launch template metadataOptions.httpTokens must be required, not {_shown(tokens)}.")
    hops = get(options, "httpPutResponseHopLimit")
    if is_unknown(hops):
        report(unknown_message("Launch template metadataOptions.httpPutResponseHopLimit", f"at most {maximum}"))
    elif isinstance(hops, (int, float)) and hops > maximum:
        report(f"Launch template metadataOptions.httpPutResponseHopLimit must be at most {maximum}, not {int(hops)}.")


def _rds_iam_auth(args: ResourceValidationArgs, report: Report) -> None:
    """Applications authenticate to Aurora with IAM, not long-lived passwords."""
    if args.resource_type != AURORA_CLUSTER:
        return
    value = plain(args.props).get("iamDatabaseAuthenticationEnabled")
    if is_unknown(value):
        report(unknown_message("Aurora cluster iamDatabaseAuthenticationEnabled", "true"))
    elif not is_true(value):
        report("Aurora cluster iamDatabaseAuthenticationEnabled must be true.")


def _msk_iam_auth(args: ResourceValidationArgs, report: Report) -> None:
    """MSK clients authenticate with IAM; unauthenticated access is off."""
    if args.resource_type != MSK_CLUSTER:
        return
    auth = plain(args.props).get("clientAuthentication")
    unauthenticated = get(auth, "unauthenticated")
    iam = get(auth, "sasl.iam")
    if is_unknown(unauthenticated):
        report(unknown_message("MSK cluster clientAuthentication.unauthenticated", "false"))
    elif auth is None or is_true(unauthenticated):
        report("MSK cluster clientAuthentication.unauthenticated must be false.")
    if is_unknown(iam):
        report(unknown_message("MSK cluster clientAuthentication.sasl.iam", "true"))
    elif not is_true(iam):
        report("MSK cluster clientAuthentication.sasl.iam must be true.")


def _eks_access_api(args: ResourceValidationArgs, report: Report) -> None:
    """EKS access is granted by access entries only, and the creator gets no implicit admin."""
    if args.resource_type != EKS_CLUSTER:
        return
    access = plain(args.props).get("accessConfig")
    mode = get(access, "authenticationMode")
    if is_unknown(mode):
        report(unknown_message("EKS cluster accessConfig.authenticationMode", "API"))
    elif mode != "API":
        report(f"EKS cluster accessConfig.authenticationMode must be API, not {_shown(mode)}.")
    bootstrap = get(access, "bootstrapClusterCreatorAdminPermissions")
    if is_unknown(bootstrap):
        report(unknown_message("EKS cluster accessConfig.bootstrapClusterCreatorAdminPermissions", "false"))
    elif not is_false(bootstrap):
        # AWS grants the creator cluster-admin when this is unset.
        report("EKS cluster accessConfig.bootstrapClusterCreatorAdminPermissions must be false.")


def _key_policy_principals(args: ResourceValidationArgs, report: Report) -> None:
    """Key policies grant nothing to "*" or through NotPrincipal, and never bypass the lockout safety check.

    `"AWS": "*"` passes only in AWS's documented service-use form, restricted by both
    kms:CallerAccount and kms:ViaService (the default policy of aws/ebs and the other AWS managed keys).
    Unknowns: the bypass flag fails; the document defers (advisory at preview, enforced at `up`).
    """
    if args.resource_type not in (KMS_KEY, KMS_REPLICA_KEY, KMS_KEY_POLICY):
        return
    props = plain(args.props)
    bypass = props.get("bypassPolicyLockoutSafetyCheck")
    if is_unknown(bypass):
        report(unknown_message("KMS key bypassPolicyLockoutSafetyCheck", "false"))
    elif is_true(bypass):
        report("KMS key bypassPolicyLockoutSafetyCheck must be false.")
    document = policy_document(props.get("policy"), ["policy"])
    for index, statement in enumerate(statements(document)):
        if not _allows(statement):
            continue
        if "NotPrincipal" in statement:
            # Allow + NotPrincipal grants every principal except those listed: anonymous ones included.
            report(f"KMS key policy statement {_sid(statement, index)} must not allow with NotPrincipal.")
        elif _is_wildcard_principal(statement.get("Principal")) and not is_account_service_scoped(statement):
            report(
                f'KMS key policy statement {_sid(statement, index)} must not allow the principal "*" '
                "unless kms:CallerAccount and kms:ViaService restrict it."
            )


# --- managed administrator policies ---------------------------------------------------------

ADMIN_POLICY_CONFIG = {
    "forbiddenPolicies": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"],
            "description": "AWS managed policies no role, user or group may have attached.",
        }
    ),
}

# (subject, property holding one ARN or a list of ARNs) per attaching resource type.
_ATTACHMENTS: dict[str, tuple[str, str]] = {
    ROLE_POLICY_ATTACHMENT: ("IAM role policy attachment", "policyArn"),
    USER_POLICY_ATTACHMENT: ("IAM user policy attachment", "policyArn"),
    GROUP_POLICY_ATTACHMENT: ("IAM group policy attachment", "policyArn"),
    POLICY_ATTACHMENT: ("IAM policy attachment", "policyArn"),
    ROLE: ("IAM role managedPolicyArns", "managedPolicyArns"),
}
_ADMIN_ACTIONS = ("*", "iam:*")


def _no_admin_policies(args: ResourceValidationArgs, report: Report) -> None:
    """No AdministratorAccess-class managed policy is attached, and no customer policy grants * or iam:* on *.

    An unknown policyArn is the output of a policy this stack creates (AWS managed ARNs are
    literals): its document is judged here and by iam-no-wildcard-actions (`defer`).
    """
    if args.resource_type not in (*_ATTACHMENTS, *DOCUMENT_TYPES):
        return
    props = plain(args.props)
    if args.resource_type in _ATTACHMENTS:
        forbidden = list(settings(args, ADMIN_POLICY_CONFIG)["forbiddenPolicies"])
        subject, prop = _ATTACHMENTS[args.resource_type]
        for arn in as_list(props.get(prop)):
            name = _aws_managed_name(arn)
            if name is not None and name in forbidden:
                report(f"{subject} must not attach {name}.")
    if args.resource_type == ROLE or args.resource_type in DOCUMENT_TYPES:
        for subject, document in _documents(args.resource_type, props):
            for index, statement in enumerate(statements(document)):
                broad = _broad_resources(statement)
                admin = _covering(strings(statement.get("Action")), _ADMIN_ACTIONS)
                if _allows(statement) and broad and any(a in ("*", "iam:*") for a in admin):
                    report(
                        f"{subject} statement {_sid(statement, index)} must not grant administrator access "
                        f'({", ".join(a for a in admin if a in ("*", "iam:*"))} on "{broad[0]}").'
                    )


# --- role trust policies --------------------------------------------------------------------

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
# What a `sub` value must start with, per OIDC issuer, to name one workload rather than any:
# GitHub `repo:<org>/...` (CKV_AWS_358; GitHub OIDC docs "Example subject claims"), EKS
# `system:serviceaccount:<namespace>:...` (EKS User Guide, "Assign IAM roles to Kubernetes
# service accounts": the trust policy's `:sub` and `:aud` conditions).
_SUB_PREFIX = {
    "token.actions.githubusercontent.com": re.compile(r"^repo:[^*?/]+/"),
    "oidc.eks.": re.compile(r"^system:serviceaccount:[^*?:]+:"),
}


def _aws_principals(principal: Any) -> list[str]:
    if principal == "*":
        return ["*"]
    return strings(principal.get("AWS")) if isinstance(principal, Mapping) else []


def _is_wildcard_aws(value: str) -> bool:
    """`*`, or an ARN (or pseudo-ARN) with a wildcard in the account field (`arn:aws:iam::*:root`)."""
    if value.strip() == "*":
        return True
    arn = parse_arn(value)
    if arn is None:
        return _has_wildcard(value)
    return _has_wildcard(arn.account) or _has_wildcard(arn.partition)


def _is_wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return any(_is_wildcard_aws(v) for v in _aws_principals(principal))


def _principal_account(value: str) -> str | None:
    """The account of an AWS principal: a 12-digit id or the account field of its ARN."""
    if _ACCOUNT_ID.match(value):
        return value
    arn = parse_arn(value)
    return arn.account if arn is not None and _ACCOUNT_ID.match(arn.account) else None


def _pinned_accounts(statement: Mapping[str, Any]) -> tuple[list[str], bool]:
    """(accounts the statement's conditions pin the caller to, whether an organization pins it).

    aws:PrincipalAccount and aws:SourceAccount (12-digit literals), the account of
    aws:PrincipalArn / aws:SourceArn (a literal account field), aws:PrincipalOrgID and
    aws:SourceOrgID (literal ids). Only restricting operators count (see _util.condition_values).
    """
    accounts: list[str] = []
    for key in ("aws:PrincipalAccount", "aws:SourceAccount"):
        values = _restricting_values(statement, key, _STRING_MATCH)
        if values and all(_ACCOUNT_ID.match(v) for v in values):
            accounts += values
    for key in ("aws:PrincipalArn", "aws:SourceArn"):
        values = _restricting_values(statement, key, _ARN_MATCH)
        owners = [_principal_account(v) for v in values]
        if values and all(owners):
            accounts += [o for o in owners if o]
    orgs = [
        v
        for key in ("aws:PrincipalOrgID", "aws:SourceOrgID")
        for v in _restricting_values(statement, key, _STRING_MATCH)
    ]
    return accounts, bool(orgs) and not any(_has_wildcard(o) for o in orgs)


def _oidc_issuer(provider: str) -> str:
    """`oidc.eks.us-east-1.amazonaws.com/id/ABC` for its oidc-provider ARN; the value itself otherwise."""
    arn = parse_arn(provider)
    if arn is not None and arn.resource.startswith("oidc-provider/"):
        return arn.resource.removeprefix("oidc-provider/")
    return provider


def _sub_is_specific(issuer: str, value: str) -> bool:
    if _WILDCARDS_ONLY.match(value):
        return False
    for prefix, pattern in _SUB_PREFIX.items():
        if issuer.startswith(prefix):
            return bool(pattern.match(value))
    return True


# Amazon Cognito identity pools: the pool id is the audience; there is no per-workload subject
# (IAM User Guide, "Available keys for AWS web identity federation": cognito-identity.amazonaws.com:aud).
_COGNITO = "cognito-identity.amazonaws.com"
_SAML = "sts:AssumeRoleWithSAML"


def _web_identity_findings(where: str, statement: Mapping[str, Any], provider: str) -> list[str]:
    issuer = _oidc_issuer(provider)
    findings = []
    auds = _restricting_values(statement, f"{issuer}:aud", ("stringequals",))
    if not auds or any(_has_wildcard(v) for v in auds):
        findings.append(f"{where} must pin {issuer}:aud with StringEquals.")
    if issuer == _COGNITO:
        return findings
    subs = _restricting_values(statement, f"{issuer}:sub", ("stringequals", "stringlike"))
    if not subs or not all(_sub_is_specific(issuer, v) for v in subs):
        findings.append(f"{where} must pin {issuer}:sub to named workloads with StringEquals.")
    return findings


def _role_trust(args: ResourceValidationArgs, report: Report) -> None:
    """Trust policies name who may assume the role; `*` only pinned to accounts, OIDC pinned to sub and aud.

    Unknown trust policies (IRSA interpolates the cluster's OIDC issuer) defer: advisory at
    preview, enforced before the role is created at `up`.
    """
    if args.resource_type != ROLE:
        return
    document = policy_document(plain(args.props).get("assumeRolePolicy"), ["assumeRolePolicy"])
    for index, statement in enumerate(statements(document)):
        if not _allows(statement):
            continue
        where = f"IAM role trust policy statement {_sid(statement, index)}"
        principal = statement.get("Principal")
        if "NotPrincipal" in statement:
            report(f"{where} must not allow with NotPrincipal.")
        if _is_wildcard_principal(principal) or "*" in strings(get(principal, "Service")):
            accounts, org = _pinned_accounts(statement)
            if not accounts and not org:
                report(
                    f'{where} must not trust the principal "*" unless aws:PrincipalAccount, aws:PrincipalOrgID '
                    "or aws:SourceAccount restricts it."
                )
        actions = strings(statement.get("Action"))
        if _covering(actions, (_WEB_IDENTITY,)):
            for provider in strings(get(principal, "Federated")):
                if ":saml-provider/" in provider:
                    continue
                for finding in _web_identity_findings(where, statement, provider):
                    report(finding)
        if _covering(actions, (_SAML,)) and strings(get(principal, "Federated")):
            # IAM User Guide, "Configure SAML assertions for the authentication response": the trust
            # policy pins SAML:aud to the sign-in endpoint the assertion is posted to.
            auds = _restricting_values(statement, "SAML:aud", ("stringequals",))
            if not auds or any(_has_wildcard(v) for v in auds):
                report(f"{where} must pin SAML:aud with StringEquals.")


# --- one way to manage a role's policies ----------------------------------------------------


def _role_policy_management(args: ResourceValidationArgs, report: Report) -> None:
    """A role's policies are managed by RolePolicy / RolePolicyAttachment resources, never on the Role.

    A Role's `inlinePolicies` / `managedPolicyArns` take exclusive ownership of that policy type,
    so any RolePolicy / RolePolicyAttachment / PolicyAttachment for the same role is removed on
    one `up` and re-added on the next (pulumi-aws notes on both resources). AWSGuard's
    iam-role-no-policy-management-conflicts looks for both on the stack's outputs, but the
    provider reads a role's actual policies back into those two outputs whenever the program
    sets none (terraform-provider-aws internal/service/iam/role.go, resourceRoleRead: it sets
    `inline_policy` when it differs from the configuration and `managed_policy_arns` always),
    so outputs cannot tell a declaration from the read-back. This policy reads the Role's
    inputs instead and allows one way only, the one the provider recommends (both arguments
    are deprecated in favour of the separate and `...Exclusive` resources). An empty list
    declares nothing (the provider treats it as unset); an unknown one is declared.
    """
    if args.resource_type != ROLE:
        return
    props = plain(args.props)
    for prop, separate in (("inlinePolicies", "RolePolicy"), ("managedPolicyArns", "RolePolicyAttachment")):
        value = props.get(prop)
        if is_unknown(value) or as_list(value):
            report(f"IAM role {prop} must be unset; manage the role's policies with {separate} resources.")


# --- resource policies: buckets, topics, clusters -------------------------------------------

RESOURCE_POLICY_CONFIG = {
    "trustedAccounts": Setting(
        {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]{12}$"},
            "default": [],
            "description": (
                "Accounts (besides the one in the resource's own ARN) that resource policies may grant; "
                "bucket policies carry no account, so their grants need it."
            ),
        }
    ),
    "unscopedServicePrincipals": Setting(
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["kafka.amazonaws.com"],
            "description": (
                "Service principals allowed without aws:SourceAccount/aws:SourceArn: MSK Replicator's "
                "connection to a source cluster carries neither (see components/replication_topology.py)."
            ),
        }
    ),
}

# type -> (subject, policy property, property holding the resource's own ARN)
_RESOURCE_POLICIES: dict[str, tuple[str, str, str | None]] = {
    BUCKET_POLICY: ("S3 bucket policy", "policy", None),
    BUCKETS[0]: ("S3 bucket policy", "policy", None),
    BUCKETS[1]: ("S3 bucket policy", "policy", None),
    SNS_TOPIC_POLICY: ("SNS topic policy", "policy", "arn"),
    SNS_TOPIC: ("SNS topic policy", "policy", "arn"),
    MSK_CLUSTER_POLICY: ("MSK cluster policy", "policy", "clusterArn"),
    SECRET_POLICY: ("Secrets Manager secret policy", "policy", "secretArn"),
    SECRET: ("Secrets Manager secret policy", "policy", "arn"),
    QUEUE_POLICY: ("SQS queue policy", "policy", "queueUrl"),
}


def _resource_policy_principals(args: ResourceValidationArgs, report: Report) -> None:
    """Bucket, topic, cluster, secret and queue policies allow no one anonymous or foreign, whatever their Denies say.

    Allowed: principals of the resource's own account (from its ARN) or of `trustedAccounts`;
    `"*"` only pinned by conditions to those accounts or to an organization; service principals
    scoped with aws:SourceAccount / aws:SourceArn to those accounts (or listed in
    `unscopedServicePrincipals`). Documents defer when unknown.
    """
    if args.resource_type not in _RESOURCE_POLICIES:
        return
    subject, prop, arn_prop = _RESOURCE_POLICIES[args.resource_type]
    props = plain(args.props)
    if props.get(prop) is None:
        return
    config = settings(args, RESOURCE_POLICY_CONFIG)
    known = set(config["trustedAccounts"])
    own = _resource_account(props.get(arn_prop)) if arn_prop else None
    if own is not None:
        known.add(own)
    unscoped = set(config["unscopedServicePrincipals"])
    document = policy_document(props.get(prop), [prop])
    for index, statement in enumerate(statements(document)):
        if not _allows(statement):
            continue
        # AWS log delivery into a bucket (ALB access logs, S3 server access logs): the documented
        # principals, write-only on objects (policy/rules/_log_delivery.py). A bucket policy carries
        # no account to compare their aws:SourceAccount with; the grant lets AWS deliver log objects only.
        if subject == "S3 bucket policy" and is_log_delivery_grant(statement):
            continue
        # A service's delivery into a bucket (CloudTrail, AWS Config) pinned to an account: the bucket
        # policy cannot say whether that account is the stack's, so `bucket-policy-delivery-own-account`
        # (a stack policy, which knows the account from the stack's KMS keys) decides it.
        if subject == "S3 bucket policy" and is_service_delivery_grant(statement):
            continue
        where = f"{subject} statement {_sid(statement, index)}"
        for finding in _statement_principal_findings(where, statement, known, unscoped):
            report(finding)


_QUEUE_URL = re.compile(r"^https://[^/]+/(?P<account>\d{12})/")


def _resource_account(value: Any) -> str | None:
    """The account of a resource's own ARN, or of an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)."""
    arn = parse_arn(value)
    if arn is not None:
        return arn.account if _ACCOUNT_ID.match(arn.account) else None
    match = _QUEUE_URL.match(value) if isinstance(value, str) else None
    return match["account"] if match else None


def _statement_principal_findings(
    where: str, statement: Mapping[str, Any], known: set[str], unscoped: set[str]
) -> list[str]:
    findings: list[str] = []
    principal = statement.get("Principal")
    if "NotPrincipal" in statement:
        findings.append(f"{where} must not allow with NotPrincipal.")
    accounts, org = _pinned_accounts(statement)
    pinned = org or (bool(accounts) and all(a in known for a in accounts))
    if _is_wildcard_principal(principal) and not pinned:
        findings.append(
            f'{where} must not allow the principal "*" unless aws:PrincipalAccount, aws:PrincipalOrgID '
            "or aws:SourceAccount restricts it to this stack's accounts."
        )
    for value in _aws_principals(principal):
        account = _principal_account(value)
        if account is not None and account not in known:
            findings.append(f"{where} must not allow account {account}: it is not this resource's or a trusted one.")
    for service in strings(get(principal, "Service")):
        if service not in unscoped and service != "*" and not pinned:
            findings.append(f"{where} must scope service principal {service} with aws:SourceAccount or aws:SourceArn.")
    if isinstance(principal, Mapping) and principal.get("CanonicalUser"):
        findings.append(f"{where} must not allow a canonical user; name an account principal.")
    return findings


# --- service delivery into buckets pins the stack's own account -------------------------------
#
# CloudTrail and AWS Config write into a bucket as their service principals, and the documented
# bucket policies pin them to the writing account or resource ("Amazon S3 bucket policy for
# CloudTrail", CloudTrail User Guide; "Permissions for the Amazon S3 Bucket for the AWS Config
# Delivery Channel", AWS Config Developer Guide). Pinned to another account, the same grant lets
# that account's trail or recorder write into our evidence bucket. A bucket policy names no
# account of its own, so the check needs the stack's account: that of its KMS keys.

DELIVERY_SERVICES = frozenset({"cloudtrail.amazonaws.com", "config.amazonaws.com"})
# The bucket-level checks and the object write the delivery guides list; nothing that reads or deletes.
DELIVERY_ACTIONS = frozenset({"s3:GetBucketAcl", "s3:ListBucket", "s3:PutObject"})


def is_service_delivery_grant(statement: Mapping[str, Any]) -> bool:
    """An Allow of delivery actions only, to delivery service principals only, pinned to concrete accounts."""
    if statement.get("Effect") != "Allow" or "NotPrincipal" in statement or "NotAction" in statement:
        return False
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping) or set(principal) != {"Service"}:
        return False
    services = strings(principal.get("Service"))
    actions = strings(statement.get("Action"))
    if not services or not set(services) <= DELIVERY_SERVICES or not actions or not set(actions) <= DELIVERY_ACTIONS:
        return False
    accounts, _ = _pinned_accounts(statement)
    return bool(accounts)


def _delivery_pinned_accounts(statement: Mapping[str, Any]) -> list[str]:
    """The accounts a delivery grant (service or log delivery) pins its writer to."""
    if is_service_delivery_grant(statement) or is_log_delivery_grant(statement):
        return _pinned_accounts(statement)[0]
    return []


def _delivery_own_account(args: StackValidationArgs, report: Report) -> None:
    """Delivery grants in bucket policies pin this stack's account (of its KMS keys) or a trusted one.

    Unknown documents and a stack whose key ARNs are all unknown (a first preview) are skipped:
    the check runs again, with every value known, after `up`.
    """
    view = StackView(args.resources)
    accounts = stack_accounts(view)
    if not accounts:
        return
    accounts |= set(settings(args, RESOURCE_POLICY_CONFIG)["trustedAccounts"])
    for resource in view.of_type(BUCKET_POLICY, *BUCKETS):
        value = view.props(resource).get("policy")
        if value is None or is_unknown(value):
            continue
        for index, statement in enumerate(statements(policy_document(value, ["policy"]))):
            foreign = sorted({a for a in _delivery_pinned_accounts(statement) if a not in accounts})
            if foreign:
                report(
                    f"{resource.name} statement {_sid(statement, index)} lets the delivery of account "
                    f"{', '.join(foreign)} write into the bucket; pin it to this stack's account "
                    f"({', '.join(sorted(accounts))}).",
                    resource.urn,
                )


# --- S3 public access -----------------------------------------------------------------------

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
# The ACL grantee groups that mean "anyone" and "any AWS account" (S3 User Guide, "Access
# control list (ACL) overview", Amazon S3 predefined groups).
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _acl_findings(subject: str, acl: Any, grants: list[Any]) -> list[str]:
    findings = []
    if is_unknown(acl):
        findings.append(unknown_message(f"{subject} acl", "private"))
    elif isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        findings.append(f"{subject} acl must not be {acl}.")
    for grant in grants:
        uris = [get(grant, "grantee.uri"), *strings(get(grant, "uri")), *strings(get(grant, "uris"))]
        for uri in uris:
            if isinstance(uri, str) and uri.rstrip("/") in PUBLIC_GROUPS:
                findings.append(f"{subject} must not grant {uri.rsplit('/', 1)[-1]}.")
    return findings


def _s3_no_public_access(args: ResourceValidationArgs, report: Report) -> None:
    """Public access blocks set all four flags; bucket ACLs grant nothing to AllUsers or AuthenticatedUsers.

    S3 defaults every flag to false (S3 User Guide, "Blocking public access to your Amazon S3
    storage"), so an unset flag fails; an unknown one fails too (`fail`).
    """
    props = plain(args.props)
    if args.resource_type == BUCKET_PUBLIC_ACCESS_BLOCK:
        for flag in PUBLIC_ACCESS_FLAGS:
            value = props.get(flag)
            if is_unknown(value):
                report(unknown_message(f"S3 public access block {flag}", "true"))
            elif not is_true(value):
                report(f"S3 public access block {flag} must be true.")
    elif args.resource_type in BUCKET_ACLS:
        grants = as_list(get(props.get("accessControlPolicy"), "grants"))
        for finding in _acl_findings("S3 bucket ACL", props.get("acl"), grants):
            report(finding)
    elif args.resource_type in BUCKETS:
        for finding in _acl_findings("S3 bucket", props.get("acl"), as_list(props.get("grants"))):
            report(finding)


def _bucket_public_access_block_attached(args: StackValidationArgs, report: Report) -> None:
    """Every bucket has a public access block of its own (whose flags s3-bucket-no-public-access checks)."""
    view = StackView(args.resources)
    blocks = view.of_type(BUCKET_PUBLIC_ACCESS_BLOCK)
    for bucket in view.of_type(*BUCKETS):
        if not any(bucket in view.references(b, "bucket", BUCKETS, keys=("id", "bucket")) for b in blocks):
            report(f"S3 bucket {bucket.name} must have a public access block.", bucket.urn)


# --- Aurora master user ---------------------------------------------------------------------

# Security Hub RDS.24 / RDS.25 flag the engines' default administrator names.
DEFAULT_MASTER_USERNAMES = ("postgres", "admin", "root", "master")


def _rds_master_user(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora clusters use a custom master username (Security Hub RDS.24).

    Global-database secondaries and snapshot restores declare no master user: nothing to check.
    The username is a literal the components set (`fail` when unknown).
    """
    if args.resource_type != AURORA_CLUSTER:
        return
    username = plain(args.props).get("masterUsername")
    if username is None:
        return
    if is_unknown(username):
        report(unknown_message("Aurora cluster masterUsername", "a custom name"))
    elif isinstance(username, str) and username.lower() in DEFAULT_MASTER_USERNAMES:
        report(f"Aurora cluster masterUsername must not be the default {username}.")


def _rds_master_password(args: StackValidationArgs, report: Report) -> None:
    """An Aurora master password is managed by RDS or generated by another resource, never written in the program.

    Passes: `manageMasterUserPassword` (RDS keeps it in Secrets Manager), a write-only
    `masterPasswordWo` (never in state), or a `masterPassword` computed from another resource
    (the engine's property dependency: finstack's Secrets Manager-generated secret version, since
    global databases cannot use manageMasterUserPassword, Aurora User Guide "Limitations for
    Secrets Manager integration"). A stack policy, because only the property dependency tells a
    generated password from a literal: the SDK hands resource policies secrets as plaintext.
    """
    view = StackView(args.resources)
    for cluster in view.of_type(AURORA_CLUSTER):
        props = view.props(cluster)
        password = props.get("masterPassword")
        if password is None or is_unknown(password) or is_true(props.get("manageMasterUserPassword")):
            continue
        if not (cluster.property_dependencies or {}).get("masterPassword"):
            report(
                f"Aurora cluster {cluster.name} masterPassword must not be written in the program; "
                "set manageMasterUserPassword or generate it in Secrets Manager.",
                cluster.urn,
            )


# --- KMS: every key has an explicit key policy ----------------------------------------------


def _key_policy_explicit(args: StackValidationArgs, report: Report) -> None:
    """Every key and replica key declares its key policy, inline or as a KeyPolicy resource.

    Without one AWS applies its default key policy, which delegates all of kms:* to every IAM
    principal of the account that an IAM policy allows (KMS Developer Guide, "Default key
    policy"): the key's own policy then restricts nothing.
    """
    view = StackView(args.resources)
    policies = view.of_type(KMS_KEY_POLICY)
    for key in view.of_type(KMS_KEY, KMS_REPLICA_KEY):
        if view.props(key).get("policy") not in (None, ""):
            continue
        types = (KMS_KEY, KMS_REPLICA_KEY)
        if any(key in view.references(p, "keyId", types, keys=("id", "arn", "keyId")) for p in policies):
            continue
        report(f"KMS key {key.name} must have an explicit key policy.", key.urn)


# --- secret rotation and the rotation function (issue 19) -----------------------------------

SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
# The tag components/secret_rotation.py puts on a rotation probe: the name of the secret it serves.
ROTATION_PROBE_TAG = "finstack:rotationProbeOf"
# PCI DSS v4.0.1 8.3.9: a password that is the only factor changes at least every 90 days.
ROTATION_CONFIG = {
    "maxDays": Setting({"type": "integer", "minimum": 1, "maximum": 365, "default": 90}),
}
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(hours?|days?)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


def _rotation_period_days(rules: Mapping[str, Any]) -> float | None:
    """The longest time between two rotations `rotationRules` allows, in days (None: unbounded/unknown).

    `automaticallyAfterDays`, or `scheduleExpression` as `rate(N days|hours)` or
    `cron(min hour day-of-month month day-of-week year)` (Secrets Manager User Guide, "Rotation
    schedules"). A cron is bounded only when its month field is every month (`*`/`?`): it then fires
    at least every other month (a day-of-month like 31 skips the short months), at most ~62 days.
    """
    days = rules.get("automaticallyAfterDays")
    if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
        return float(days)
    expression = rules.get("scheduleExpression")
    if not isinstance(expression, str):
        return None
    rate = _RATE.match(expression.strip())
    if rate:
        amount = int(rate.group(1))
        return amount / 24 if rate.group(2).startswith("hour") else float(amount)
    cron = _CRON.match(expression.strip())
    if cron:
        fields = cron.group(1).split()
        if len(fields) == 6 and fields[3] in ("*", "?"):
            return 62.0
    return None


def _rotated(view: StackView, rotations: list[PolicyResource], secret: PolicyResource, max_days: int) -> str | None:
    """None when `secret` has an enabled rotation of at most `max_days`; else what is wrong."""
    mine = [r for r in rotations if secret in view.references(r, "secretId", (SECRET,))]
    if not mine:
        return "has no aws:secretsmanager/secretRotation"
    problems = []
    for rotation in mine:
        props = view.props(rotation)
        if is_false(props.get("rotationEnabled")):
            problems.append(f"rotation {rotation.name} is disabled")
            continue
        rules = props.get("rotationRules")
        if is_unknown(rules):
            return None  # decided after up (the inputs are literals in this program)
        period = _rotation_period_days(rules if isinstance(rules, Mapping) else {})
        if period is None or period > max_days:
            problems.append(f"rotation {rotation.name} allows more than {max_days} days between rotations")
            continue
        return None
    return "; ".join(problems)


def _secret_rotation(args: StackValidationArgs, report: Report) -> None:
    """Every secret is rotated at least every `maxDays` days (Security Hub SecretsManager.1/.4, CKV2_AWS_57).

    A rotation probe (tagged `finstack:rotationProbeOf` with a secret's name) holds a credential
    only while its secret's rotation tests it: it passes when the secret it names is in the stack
    and is itself rotated in time, so the tag cannot excuse a secret on its own.
    """
    view = StackView(args.resources)
    max_days = settings(args, ROTATION_CONFIG)["maxDays"]
    rotations = view.of_type(SECRET_ROTATION)
    secrets = view.of_type(SECRET)
    by_name = {view.props(s).get("name"): s for s in secrets}
    for secret in secrets:
        tags = view.props(secret).get("tags")
        served = tags.get(ROTATION_PROBE_TAG) if isinstance(tags, Mapping) else None
        subject = secret
        if isinstance(served, str) and served:
            if served not in by_name or by_name[served] is secret:
                report(
                    f"Secrets Manager secret {secret.name} is tagged as the rotation probe of {served}, "
                    "which this stack does not declare; rotate it or remove the tag.",
                    secret.urn,
                )
                continue
            subject = by_name[served]
        problem = _rotated(view, rotations, subject, max_days)
        if problem is not None:
            whose = "" if subject is secret else f" (the probe of {subject.name})"
            report(
                f"Secrets Manager secret {subject.name}{whose} must be rotated at least every {max_days} days: "
                f"it {problem}. Declare an aws.secretsmanager.SecretRotation with automaticallyAfterDays "
                f"<= {max_days} (components/secret_rotation.py).",
                secret.urn,
            )


# Runtimes Lambda supports and has not announced for deprecation before 2028 ("Lambda runtimes",
# AWS Lambda Developer Guide: python3.12 to 2028-10-31, python3.13 to 2029-06-30, python3.14 to
# 2030-06-30; nodejs22.x to 2027-04-30, nodejs24.x to 2028-04-30). python3.10/3.11 reached their
# deprecation date on 2026-06-30. Security Hub Lambda.2; configurable per stack.
SUPPORTED_RUNTIMES = ("python3.12", "python3.13", "python3.14", "nodejs22.x", "nodejs24.x", "java21", "java25")
RUNTIME_CONFIG = {
    "allowedRuntimes": Setting({"type": "array", "items": {"type": "string"}, "default": list(SUPPORTED_RUNTIMES)}),
}


def _lambda_runtime(args: ResourceValidationArgs, report: Report) -> None:
    """Zip-packaged functions use a supported runtime (container images carry their own)."""
    if args.resource_type != LAMBDA_FUNCTION:
        return
    props = plain(args.props)
    if props.get("packageType") == "Image":
        return
    runtime = props.get("runtime")
    allowed = settings(args, RUNTIME_CONFIG)["allowedRuntimes"]
    if is_unknown(runtime):
        report(unknown_message("Lambda function runtime", "a supported runtime"))
    elif runtime not in allowed:
        report(
            f"Lambda function {args.name} runtime must be a supported one ({', '.join(allowed)}), "
            f"not {runtime or 'unset'}."
        )


def _lambda_no_public_invoke(args: ResourceValidationArgs, report: Report) -> None:
    """No public or cross-account invoke (Security Hub Lambda.1).

    A permission for `*` or an AWS account other than the function's is public; one for an AWS
    service principal must pin the calling account or resource (`sourceAccount`, `sourceArn`, or
    `principalOrgId`), the confused-deputy guard of "Granting function access to other accounts /
    AWS services" (AWS Lambda Developer Guide). A function URL must not use auth type NONE.
    """
    if args.resource_type != LAMBDA_PERMISSION:
        return
    props = plain(args.props)
    principal = props.get("principal")
    if is_unknown(principal):
        report(unknown_message("Lambda permission principal", "a named principal"))
        return
    pinned = any(props.get(k) not in (None, "") for k in ("sourceAccount", "sourceArn", "principalOrgId"))
    if props.get("functionUrlAuthType") == "NONE":
        report(f"Lambda permission {args.name} must not open a function URL without auth (functionUrlAuthType NONE).")
    elif principal == "*" and not pinned:
        report(f"Lambda permission {args.name} must not allow principal * without sourceAccount or sourceArn.")
    elif isinstance(principal, str) and principal.endswith(".amazonaws.com") and not pinned:
        report(
            f"Lambda permission {args.name} for {principal} must pin sourceAccount or sourceArn, "
            "else any account's resources of that service may invoke the function."
        )


POLICIES = [
    resource_policy(
        name="iam-no-wildcard-actions",
        description='IAM policies must not allow "*" or "<service>:*" actions, or Allow with NotAction.',
        validate=_no_wildcard_actions,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=LEAST_PRIVILEGE.with_controls("IAM-ADMIN-STAR", "IAM-STAR-ACTION", security_hub=("IAM.1", "IAM.21")),
        remediation="List the exact actions the workload calls (components build documents with pure functions).",
    ),
    resource_policy(
        name="iam-data-actions-scoped",
        description=(
            'IAM policies must not allow data-plane actions on Resource "*" or a wildcard ARN, '
            "or use Allow with NotResource."
        ),
        validate=_no_wildcard_resource_for_data,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=LEAST_PRIVILEGE.with_controls(
            "IAM-STAR-RESOURCE", "IAM-RISKY-PERMS", security_hub=("KMS.1", "KMS.2")
        ),
        remediation="Name the buckets, keys, clusters, topics or secrets in Resource.",
    ),
    stack_policy(
        name="eks-node-role-managed-policies",
        description="EC2-trusted (EKS node) roles must carry exactly the allowed AWS managed policies.",
        validate=_node_role_policies,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=LEAST_PRIVILEGE.with_controls("IAM-MANAGED-ADMIN"),
        remediation="Attach only AmazonEKSWorkerNodePolicy and ECR pull; give workloads their own pod identity roles.",
        config=NODE_ROLE_CONFIG,
    ),
    resource_policy(
        name="ec2-launch-template-imdsv2",
        description="Launch templates must require IMDSv2 tokens and limit the metadata hop count.",
        validate=_imdsv2,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(
            pci=("2.2.6", "7.2.1"),
            soc2=("CC6.1", "CC6.8"),
            gdpr=("art32",),
            controls=("IAM-NODE-IMDSV2",),
            security_hub=("EC2.8", "EC2.170"),
        ),
        remediation='Set metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 1}.',
        config=HOP_CONFIG,
    ),
    resource_policy(
        name="rds-iam-auth-enabled",
        description="Aurora clusters must enable IAM database authentication.",
        validate=_rds_iam_auth,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUTHENTICATION.with_controls("IAM-RDS-DB-AUTH", security_hub=("RDS.12",)),
        remediation="Set iamDatabaseAuthenticationEnabled=True.",
    ),
    resource_policy(
        name="msk-iam-auth-only",
        description="MSK clusters must require IAM client authentication and refuse unauthenticated clients.",
        validate=_msk_iam_auth,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=AUTHENTICATION.with_controls("IAM-MSK-CLIENT-AUTH", security_hub=("MSK.6",)),
        remediation='Set clientAuthentication={"unauthenticated": False, "sasl": {"iam": True}}.',
    ),
    resource_policy(
        name="eks-access-entries-only",
        description="EKS clusters must use access entries only and not grant the creator implicit admin.",
        validate=_eks_access_api,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUTHENTICATION.with_controls("IAM-EKS-ACCESS"),
        remediation='Set accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}.',
    ),
    resource_policy(
        name="kms-key-policy-no-wildcard-principal",
        description=(
            'KMS key policies must not allow the principal "*" outside account and service conditions, '
            "allow with NotPrincipal, or bypass the policy lockout safety check."
        ),
        validate=_key_policy_principals,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=KEY_PROTECTION.with_controls("IAM-KMS-KEY-POLICY", security_hub=("KMS.5",)),
        remediation=(
            'Name account, role or service principals (or scope "*" with kms:CallerAccount and kms:ViaService); '
            "use Principal, not NotPrincipal; leave bypassPolicyLockoutSafetyCheck unset."
        ),
    ),
    resource_policy(
        name="iam-no-privilege-escalation",
        description=(
            "IAM policies must not allow privilege-escalation, credential or permissions-management actions "
            "on broad resources, or iam:PassRole without named roles and iam:PassedToService."
        ),
        validate=_no_privilege_escalation,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=LEAST_PRIVILEGE.with_controls("IAM-RISKY-PERMS", "IAM-STAR-RESOURCE"),
        remediation=(
            "Name the roles, policies, users, keys or buckets in Resource; bind iam:PassRole to the consuming "
            'service with {"StringEquals": {"iam:PassedToService": "<service>.amazonaws.com"}}.'
        ),
    ),
    resource_policy(
        name="iam-no-admin-policies",
        description=(
            "Roles, users and groups must not have AdministratorAccess, IAMFullAccess or PowerUserAccess attached, "
            "and customer policies must not grant * or iam:* on broad resources."
        ),
        validate=_no_admin_policies,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=LEAST_PRIVILEGE.with_controls("IAM-MANAGED-ADMIN", "IAM-ADMIN-STAR", security_hub=("IAM.1",)),
        remediation="Attach job-specific policies that list the actions and resources the principal needs.",
        config=ADMIN_POLICY_CONFIG,
    ),
    resource_policy(
        name="iam-role-trust-restricted",
        description=(
            'Role trust policies must not trust "*" (or any account) without account or organization conditions, '
            "and web-identity trusts must pin the issuer's sub and aud claims."
        ),
        validate=_role_trust,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=LEAST_PRIVILEGE.with_controls("IAM-TRUST-POLICY"),
        remediation=(
            "Name the trusted service, account or role; for OIDC add StringEquals on <issuer>:aud "
            "(sts.amazonaws.com) and <issuer>:sub (system:serviceaccount:<ns>:<sa>, repo:<org>/<repo>:...)."
        ),
    ),
    resource_policy(
        name="iam-role-policy-management-exclusive",
        description=(
            "IAM roles must not declare inlinePolicies or managedPolicyArns, so that separate RolePolicy "
            "and attachment resources are the only way their policies are managed."
        ),
        validate=_role_policy_management,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=LEAST_PRIVILEGE.with_controls("IAM-ROLE-POLICY-CONFLICT"),
        remediation=(
            "Move inlinePolicies into aws.iam.RolePolicy and managedPolicyArns into aws.iam.RolePolicyAttachment "
            "(add RolePoliciesExclusive / RolePolicyAttachmentsExclusive for exclusive management)."
        ),
    ),
    resource_policy(
        name="resource-policy-principals-restricted",
        description=(
            "Bucket, topic, MSK cluster, secret and queue policies must not allow anonymous, wildcard or "
            "foreign-account principals, or unscoped service principals."
        ),
        validate=_resource_policy_principals,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=NO_PUBLIC_ACCESS.with_controls("IAM-S3-BUCKET-POLICY", security_hub=("S3.6",)),
        remediation=(
            "Grant roles of this account (or trustedAccounts) by ARN; pin service principals with "
            'aws:SourceAccount / aws:SourceArn; keep "*" for Deny statements.'
        ),
        config=RESOURCE_POLICY_CONFIG,
    ),
    stack_policy(
        name="bucket-policy-delivery-own-account",
        description=(
            "Bucket policy grants to CloudTrail, AWS Config and log delivery must pin this stack's account "
            "(of its KMS keys) or a trusted one."
        ),
        validate=_delivery_own_account,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=NO_PUBLIC_ACCESS.with_controls("IAM-S3-BUCKET-POLICY"),
        remediation=(
            "Pin aws:SourceAccount to the deploying account (aws.get_caller_identity()) or aws:SourceArn to "
            "this stack's trail; list another account only in trustedAccounts."
        ),
        config=RESOURCE_POLICY_CONFIG,
    ),
    resource_policy(
        name="s3-bucket-no-public-access",
        description=(
            "S3 public access blocks must set all four flags and bucket ACLs must not grant public or "
            "any-authenticated-user access."
        ),
        validate=_s3_no_public_access,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=NO_PUBLIC_ACCESS.with_controls(
            "NET-S3-PUBLIC", security_hub=("S3.8", "S3.1", "S3.2", "S3.3"), cis=("2.1.4",)
        ),
        remediation=(
            "Set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true; "
            "keep object ownership BucketOwnerEnforced (ACLs off)."
        ),
    ),
    stack_policy(
        name="s3-bucket-public-access-block-attached",
        description="Every S3 bucket must have its own public access block.",
        validate=_bucket_public_access_block_attached,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=NO_PUBLIC_ACCESS.with_controls("NET-S3-PUBLIC", security_hub=("S3.8",), cis=("2.1.4",)),
        remediation="Declare an aws.s3.BucketPublicAccessBlock for the bucket (components/private_bucket.py does).",
    ),
    resource_policy(
        name="aurora-master-user-hardened",
        description="Aurora clusters must use a custom master username, not the engine default.",
        validate=_rds_master_user,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUTHENTICATION.with_controls("IAM-RDS-MASTER", security_hub=("RDS.24",)),
        remediation="Pick a custom masterUsername (components/aurora_plan.py MASTER_USERNAME).",
    ),
    stack_policy(
        name="aurora-master-password-generated",
        description=(
            "Aurora master passwords must be managed by RDS or generated by another resource, not written "
            "in the program or its config."
        ),
        validate=_rds_master_password,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUTHENTICATION.with_controls("IAM-RDS-MASTER"),
        remediation=(
            "Set manageMasterUserPassword=True, or pass a password generated by Secrets Manager "
            "(components/aurora_global.py does for global databases)."
        ),
    ),
    stack_policy(
        name="kms-key-policy-explicit",
        description="Every KMS key and replica key must declare its key policy instead of AWS's default one.",
        validate=_key_policy_explicit,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=KEY_PROTECTION.with_controls("IAM-KMS-KEY-POLICY"),
        remediation="Set the key's policy (components/keys.py builds it from the services that use the key).",
    ),
    stack_policy(
        name="secretsmanager-secret-rotation",
        description=("Every Secrets Manager secret must have an enabled rotation at most maxDays (90) days apart."),
        validate=_secret_rotation,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=ROTATION.with_controls("IAM-SECRET-ROTATION", security_hub=("SecretsManager.1", "SecretsManager.4")),
        remediation=(
            "Declare an aws.secretsmanager.SecretRotation with a rotation function and automaticallyAfterDays "
            "<= 90 (components/secret_rotation.py does for the ledger's master secret)."
        ),
        config=ROTATION_CONFIG,
    ),
    resource_policy(
        name="lambda-supported-runtime",
        description="Lambda functions must use a runtime AWS supports and has not scheduled for deprecation soon.",
        validate=_lambda_runtime,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=Compliance(pci=("6.3.3", "2.2.1"), soc2=("CC7.1",), gdpr=("art32",)).with_controls(
            "FIN-LAMBDA-RUNTIME", security_hub=("Lambda.2",)
        ),
        remediation="Set runtime to a supported one, e.g. python3.13 (components/secret_rotation.py RUNTIME).",
        config=RUNTIME_CONFIG,
    ),
    resource_policy(
        name="lambda-no-public-invoke",
        description=(
            "Lambda permissions must not allow public or unpinned service invocation, nor a function URL without auth."
        ),
        validate=_lambda_no_public_invoke,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=NO_PUBLIC_ACCESS.with_controls("FIN-LAMBDA-PUBLIC", security_hub=("Lambda.1",)),
        remediation="Name the calling service and set sourceAccount (and sourceArn where the service passes it).",
    ),
]
