"""IAM in the emulator: roles, policies, attachments, inline policies, OIDC providers (global)."""

from __future__ import annotations

import json
from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list

IAM = "iam"
# IAM is global; its API lives in us-east-1.
IAM_REGION = "us-east-1"


def _iam(ctx: HandlerContext) -> Any:
    return ctx.client(IAM, IAM_REGION)


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _delete_role(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    iam = _iam(ctx)
    for policy in iam.list_attached_role_policies(RoleName=resource_id)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=resource_id, PolicyArn=policy["PolicyArn"])
    for policy_name in iam.list_role_policies(RoleName=resource_id)["PolicyNames"]:
        iam.delete_role_policy(RoleName=resource_id, PolicyName=policy_name)
    iam.delete_role(RoleName=resource_id)


@REGISTRY.register("aws:iam/role:Role", IAM, _delete_role)
def create_role(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Role with its trust policy, inline policies and managed attachments."""
    iam = _iam(ctx)
    role_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {
        "RoleName": role_name,
        "AssumeRolePolicyDocument": _document(inputs["assumeRolePolicy"]),
        "Path": inputs.get("path", "/"),
        "Tags": tag_list(inputs),
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("maxSessionDuration"):
        kwargs["MaxSessionDuration"] = int(inputs["maxSessionDuration"])
    role = iam.create_role(**kwargs)["Role"]
    for inline in inputs.get("inlinePolicies") or []:
        if inline.get("name") and inline.get("policy"):
            iam.put_role_policy(
                RoleName=role_name, PolicyName=inline["name"], PolicyDocument=_document(inline["policy"])
            )
    for arn in inputs.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    return role_name, {"arn": role["Arn"], "name": role_name, "uniqueId": role["RoleId"]}


# No delete: the program retains the role (retainOnDelete), as `pulumi destroy` would.
@REGISTRY.register("aws:iam/serviceLinkedRole:ServiceLinkedRole", IAM, None)
def create_service_linked_role(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Service-linked role; the provider's id is its ARN."""
    kwargs: dict[str, Any] = {"AWSServiceName": inputs["awsServiceName"]}
    for key, field in (("customSuffix", "CustomSuffix"), ("description", "Description")):
        if inputs.get(key):
            kwargs[field] = inputs[key]
    role = _iam(ctx).create_service_linked_role(**kwargs)["Role"]
    return role["Arn"], {"arn": role["Arn"], "name": role["RoleName"], "path": role["Path"], "uniqueId": role["RoleId"]}


def _delete_policy(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _iam(ctx).delete_policy(PolicyArn=resource_id)


@REGISTRY.register("aws:iam/policy:Policy", IAM, _delete_policy)
def create_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Customer managed policy."""
    policy = _iam(ctx).create_policy(
        PolicyName=physical_name(name, inputs),
        PolicyDocument=_document(inputs["policy"]),
        Path=inputs.get("path", "/"),
        Description=inputs.get("description", ""),
        Tags=tag_list(inputs),
    )["Policy"]
    return policy["Arn"], {"arn": policy["Arn"], "name": policy["PolicyName"], "policyId": policy["PolicyId"]}


def _detach(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _iam(ctx).detach_role_policy(RoleName=outputs["role"], PolicyArn=outputs["policyArn"])


@REGISTRY.register("aws:iam/rolePolicyAttachment:RolePolicyAttachment", IAM, _detach)
def attach(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Managed policy attachment."""
    # AWS-managed policies exist because the emulator loads them (iam.load_aws_managed_policies).
    _iam(ctx).attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
    return f"{inputs['role']}-{name}", {}


def _delete_inline(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    role, policy_name = resource_id.split(":", 1)
    _iam(ctx).delete_role_policy(RoleName=role, PolicyName=policy_name)


@REGISTRY.register("aws:iam/rolePolicy:RolePolicy", IAM, _delete_inline)
def put_inline(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Inline role policy."""
    policy_name = physical_name(name, inputs)
    _iam(ctx).put_role_policy(
        RoleName=inputs["role"], PolicyName=policy_name, PolicyDocument=_document(inputs["policy"])
    )
    return f"{inputs['role']}:{policy_name}", {"name": policy_name}


def _delete_oidc(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _iam(ctx).delete_open_id_connect_provider(OpenIDConnectProviderArn=resource_id)


@REGISTRY.register("aws:iam/openIdConnectProvider:OpenIdConnectProvider", IAM, _delete_oidc)
def create_oidc(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """IRSA identity provider for an EKS cluster's issuer."""
    thumbprints = list(inputs.get("thumbprintLists") or []) or ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    provider = _iam(ctx).create_open_id_connect_provider(
        Url=inputs["url"],
        ClientIDList=list(inputs.get("clientIdLists") or []),
        ThumbprintList=thumbprints,
        Tags=tag_list(inputs),
    )
    arn = provider["OpenIDConnectProviderArn"]
    return arn, {"arn": arn}
