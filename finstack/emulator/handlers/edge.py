"""WAFv2 web ACLs, their load balancer associations and their logging in the emulator."""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list

# Pulumi's wire names are the API's with a lower-case first letter, except where the Terraform
# schema spells a word differently (`cloudwatch_metrics_enabled` for `CloudWatchMetricsEnabled`).
_API_NAMES = {"cloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}


def api_shape(value: Any) -> Any:
    """Pulumi wire names -> WAFv2 API shape: PascalCase keys, integral floats (JSON numbers) as ints."""
    if isinstance(value, dict):
        return {_API_NAMES.get(k, k[:1].upper() + k[1:]): api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _delete_web_acl(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    waf = ctx.client("wafv2")
    current = waf.get_web_acl(Name=outputs["name"], Scope=outputs["scope"], Id=resource_id)
    waf.delete_web_acl(Name=outputs["name"], Scope=outputs["scope"], Id=resource_id, LockToken=current["LockToken"])


@REGISTRY.register("aws:wafv2/webAcl:WebAcl", "wafv2", _delete_web_acl)
def create_web_acl(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Web ACL with its rules, default action and visibility, as the provider sends them."""
    acl_name = physical_name(name, inputs)
    scope = inputs.get("scope") or "REGIONAL"
    kwargs: dict[str, Any] = {
        "Name": acl_name,
        "Scope": scope,
        "DefaultAction": api_shape(inputs["defaultAction"]),
        "VisibilityConfig": api_shape(inputs["visibilityConfig"]),
        "Rules": api_shape(inputs.get("rules") or []),
    }
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if tag_list(inputs):
        kwargs["Tags"] = tag_list(inputs)
    summary = ctx.client("wafv2").create_web_acl(**kwargs)["Summary"]
    return summary["Id"], {"arn": summary["ARN"], "id": summary["Id"], "name": acl_name, "scope": scope}


def _disassociate(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("wafv2").disassociate_web_acl(ResourceArn=outputs["resourceArn"])


@REGISTRY.register("aws:wafv2/webAclAssociation:WebAclAssociation", "wafv2", _disassociate)
def associate_web_acl(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The web ACL in front of a resource (moto_ext.wafv2_edge refuses what AWS refuses)."""
    web_acl_arn, resource_arn = inputs["webAclArn"], inputs["resourceArn"]
    ctx.client("wafv2").associate_web_acl(WebACLArn=web_acl_arn, ResourceArn=resource_arn)
    # The provider's id: "<web ACL ARN>,<resource ARN>".
    return f"{web_acl_arn},{resource_arn}", {"resourceArn": resource_arn, "webAclArn": web_acl_arn}


def _delete_logging(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("wafv2").delete_logging_configuration(ResourceArn=resource_id)


@REGISTRY.register("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "wafv2", _delete_logging)
def put_logging_configuration(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Logging with its destinations and redacted fields (destinations must be named aws-waf-logs-...)."""
    configuration: dict[str, Any] = {
        "ResourceArn": inputs["resourceArn"],
        "LogDestinationConfigs": list(inputs["logDestinationConfigs"]),
    }
    if inputs.get("redactedFields"):
        configuration["RedactedFields"] = api_shape(inputs["redactedFields"])
    if inputs.get("loggingFilter"):
        configuration["LoggingFilter"] = api_shape(inputs["loggingFilter"])
    ctx.client("wafv2").put_logging_configuration(LoggingConfiguration=configuration)
    return inputs["resourceArn"], {"resourceArn": inputs["resourceArn"]}
