"""WAFv2 refuses associations and logging destinations that AWS refuses.

moto 5 (`moto.wafv2.models.WAFV2Backend`) associates a web ACL with any string and stores any
logging configuration. AWS does not:

- AssociateWebACL: a regional web ACL protects Application Load Balancers (not network or
  gateway load balancers), API Gateway stages, AppSync, Cognito, App Runner and Verified
  Access, of its own Region (WAF Developer Guide, "Associating or disassociating protection with
  an AWS resource"); a resource ARN of another kind or Region is ``WAFInvalidParameterException``
  ("Your request references an ARN that is malformed, or corresponds to a resource with which a
  web ACL can't be associated", botocore wafv2 model), a load balancer that does not exist
  ``WAFNonexistentItemException``.
- PutLoggingConfiguration: "The name that you give the destination must start with
  aws-waf-logs-" (botocore wafv2 model, PutLoggingConfiguration); the web ACL must exist
  (``WAFNonexistentItemException``).

Only ELBv2 ARNs are checked for existence and kind: the stack associates web ACLs with its ALBs only.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.elbv2.models import elbv2_backends
from moto.wafv2.exceptions import WAFNonexistentItemException
from moto.wafv2.models import WAFV2Backend
from moto.wafv2.responses import WAFV2Response

from finstack.emulator.moto_ext._registry import Installation

WAF_LOG_PREFIX = "aws-waf-logs-"
_ELB_SERVICE = "elasticloadbalancing"


class WAFInvalidParameterException(JsonRESTError):
    """WAF's answer to a parameter it cannot accept (HTTP 400)."""

    code = 400

    def __init__(self, field: str, reason: str) -> None:
        super().__init__("WAFInvalidParameterException", f"Error reason: {reason}, field: {field}")


def destination_name(arn: str) -> str:
    """The name part of a log group, Firehose stream or S3 bucket ARN."""
    resource = arn.split(":", 5)[-1]
    for prefix in ("log-group:", "deliverystream/"):
        if resource.startswith(prefix):
            return resource.removeprefix(prefix).removesuffix(":*")
    return resource


def _check_association(backend: WAFV2Backend, resource_arn: str) -> None:
    parts = resource_arn.split(":", 5)
    if len(parts) < 6 or parts[2] != _ELB_SERVICE:
        return
    region, account = parts[3], parts[4]
    if region != backend.region_name:
        raise WAFInvalidParameterException(
            "RESOURCE_ARN", f"a regional web ACL of {backend.region_name} cannot protect a resource in {region}"
        )
    balancer = elbv2_backends[account][region].load_balancers.get(resource_arn)
    if balancer is None:
        raise WAFNonexistentItemException()
    if balancer.type != "application":
        raise WAFInvalidParameterException(
            "RESOURCE_ARN", f"a web ACL cannot be associated with a {balancer.type} load balancer"
        )


def _check_logging(backend: WAFV2Backend, web_acl_arn: str, destinations: list[str]) -> None:
    if web_acl_arn not in backend.wacls:
        raise WAFNonexistentItemException()
    for arn in destinations:
        if not destination_name(arn).startswith(WAF_LOG_PREFIX):
            raise WAFInvalidParameterException(
                "LOG_DESTINATION", f"the destination name must start with {WAF_LOG_PREFIX} ({arn})"
            )


def register(installation: Installation) -> None:
    """Check AssociateWebACL's resource and PutLoggingConfiguration's web ACL and destinations."""
    associate = WAFV2Backend.associate_web_acl
    put_logging = WAFV2Backend.put_logging_configuration

    def checked_associate(self: WAFV2Backend, web_acl_arn: str, resource_arn: str) -> None:
        _check_association(self, resource_arn)
        associate(self, web_acl_arn, resource_arn)

    def checked_put_logging(self: WAFV2Backend, arn: str, log_destination_configs: list[str], *args: Any) -> Any:
        _check_logging(self, arn, list(log_destination_configs))
        return put_logging(self, arn, log_destination_configs, *args)

    installation.patch(WAFV2Backend, "associate_web_acl", checked_associate)
    installation.patch(WAFV2Backend, "put_logging_configuration", checked_put_logging)
    installation.add(WAFV2Response, "list_resources_for_web_acl", _list_resources_for_web_acl)


# ListResourcesForWebACL's ResourceType -> the ARN part that marks such a resource (botocore wafv2
# model: ResourceType defaults to APPLICATION_LOAD_BALANCER; the stack associates ALBs only).
_RESOURCE_MARKERS = {"APPLICATION_LOAD_BALANCER": ":loadbalancer/app/"}


def _list_resources_for_web_acl(self: WAFV2Response) -> tuple[int, dict[str, str], str]:
    """`ListResourcesForWebACL`, which moto lacks: the web ACL's associated resources of one type.

    Posture scanners (Prowler's elbv2_waf_acl_attached) ask it which ALBs a web ACL protects;
    AWS answers WAFNonexistentItemException for an unknown web ACL.
    """
    body = json.loads(self.body)
    web_acl = self.wafv2_backend.wacls.get(body["WebACLArn"])
    if web_acl is None:
        raise WAFNonexistentItemException
    marker = _RESOURCE_MARKERS.get(body.get("ResourceType", "APPLICATION_LOAD_BALANCER"))
    arns = [arn for arn in web_acl.associated_resources if marker is not None and marker in arn]
    return 200, {"Content-Type": "application/json"}, json.dumps({"ResourceArns": arns})
