"""Identity: least privilege for people, nodes and workloads, and no anonymous data access.

IAM and key policy documents usually interpolate ARNs, so at preview they are often unknown:
those checks `defer` (advisory at preview, enforced before the resource is created at `up`).
Authentication switches are literals and fail when unknown.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

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


def _no_wildcard_resource_for_data(args: ResourceValidationArgs, report: Report) -> None:
    """Data-plane actions are granted on named resources, never on Resource "*"."""
    if args.resource_type not in (*DOCUMENT_TYPES, ROLE):
        return
    for subject, document in _documents(args.resource_type, plain(args.props)):
        for index, statement in enumerate(statements(document)):
            if not _allows(statement):
                continue
            where = f"{subject} statement {_sid(statement, index)}"
            if "NotResource" in statement:
                report(f"{where} must not combine Allow with NotResource.")
            if "*" not in strings(statement.get("Resource")):
                continue
            actions = _data_actions(strings(statement.get("Action")))
            if actions:
                report(f'{where} must scope data-plane actions ({", ".join(actions)}) to named resources, not "*".')


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


def _is_wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in strings(principal.get("AWS"))


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


POLICIES = [
    resource_policy(
        name="iam-no-wildcard-actions",
        description='IAM policies must not allow "*" or "<service>:*" actions, or Allow with NotAction.',
        validate=_no_wildcard_actions,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=LEAST_PRIVILEGE,
        remediation="List the exact actions the workload calls (components build documents with pure functions).",
    ),
    resource_policy(
        name="iam-data-actions-scoped",
        description='IAM policies must not allow data-plane actions on Resource "*" or use Allow with NotResource.',
        validate=_no_wildcard_resource_for_data,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=LEAST_PRIVILEGE,
        remediation="Name the buckets, keys, clusters, topics or secrets in Resource.",
    ),
    stack_policy(
        name="eks-node-role-managed-policies",
        description="EC2-trusted (EKS node) roles must carry exactly the allowed AWS managed policies.",
        validate=_node_role_policies,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=LEAST_PRIVILEGE,
        remediation="Attach only AmazonEKSWorkerNodePolicy and ECR pull; give workloads their own pod identity roles.",
        config=NODE_ROLE_CONFIG,
    ),
    resource_policy(
        name="ec2-launch-template-imdsv2",
        description="Launch templates must require IMDSv2 tokens and limit the metadata hop count.",
        validate=_imdsv2,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=Compliance(pci=("2.2.6", "7.2.1"), soc2=("CC6.1", "CC6.8"), gdpr=("art32",)),
        remediation='Set metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 1}.',
        config=HOP_CONFIG,
    ),
    resource_policy(
        name="rds-iam-auth-enabled",
        description="Aurora clusters must enable IAM database authentication.",
        validate=_rds_iam_auth,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=AUTHENTICATION,
        remediation="Set iamDatabaseAuthenticationEnabled=True.",
    ),
    resource_policy(
        name="msk-iam-auth-only",
        description="MSK clusters must require IAM client authentication and refuse unauthenticated clients.",
        validate=_msk_iam_auth,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=AUTHENTICATION,
        remediation='Set clientAuthentication={"unauthenticated": False, "sasl": {"iam": True}}.',
    ),
    resource_policy(
        name="eks-access-entries-only",
        description="EKS clusters must use access entries only and not grant the creator implicit admin.",
        validate=_eks_access_api,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=AUTHENTICATION,
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
        compliance=Compliance(pci=("3.6.1", "7.2.1"), soc2=("CC6.1",), gdpr=("art32",)),
        remediation=(
            'Name account, role or service principals (or scope "*" with kms:CallerAccount and kms:ViaService); '
            "use Principal, not NotPrincipal; leave bypassPolicyLockoutSafetyCheck unset."
        ),
    ),
]
