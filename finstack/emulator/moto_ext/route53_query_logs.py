"""Route 53 query logging: the CloudWatch Logs resource policy is checked, and the group ARN may omit `:*`.

CreateQueryLoggingConfig fails with InsufficientCloudWatchLogsResourcePolicy when no CloudWatch
Logs resource policy (in us-east-1, where the group must be) lets route53.amazonaws.com
`logs:CreateLogStream` and `logs:PutLogEvents` in the log group (botocore route53 service model,
CreateQueryLoggingConfig errors; Route 53 API reference, "Log Group and Resource Policy"). moto 5
does not check the resource policy at all (its own comment in
`Route53Backend.create_query_logging_config` says so), so a stack without it deploys in the
emulator and fails on AWS.

moto also accepts the log group ARN only with the `:*` suffix DescribeLogGroups returns, while
AWS accepts the plain group ARN that CreateLogGroup's caller (and the Pulumi/Terraform provider,
which strips `:*`: terraform-provider-aws internal/service/logs/group.go, `trimLogGroupARNWildcardSuffix`)
hands over; both forms are accepted here.

The policy is evaluated with AWS's semantics (`bucket_policy.evaluate`: wildcards, Deny wins,
conditions) for the statements that apply to Route 53 (its service principal, or everyone), with
the request context Route 53 carries: aws:SourceAccount = the zone's account, aws:SourceArn =
the hosted zone's ARN.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.access_control import PermissionResult
from moto.logs.models import logs_backends
from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend

from finstack.emulator.moto_ext._registry import Installation
from finstack.emulator.moto_ext.bucket_policy import applies_to_service, evaluate

ROUTE53_SERVICE = "route53.amazonaws.com"
LOGS_REGION = "us-east-1"
REQUIRED_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


class InsufficientCloudWatchLogsResourcePolicy(Route53ClientError):
    """No CloudWatch Logs resource policy lets Route 53 write to the log group."""

    def __init__(self) -> None:
        super().__init__(
            "InsufficientCloudWatchLogsResourcePolicy",
            "Amazon Route 53 doesn't have the permissions required to create log streams and send query logs "
            "to log streams.",
        )


def zone_service_permitted(
    policies: list[dict[str, Any]], service: str, actions: tuple[str, ...], resource: str, account_id: str, zone_id: str
) -> bool:
    """Whether the resource policies let `service` do every action on `resource` for hosted zone `zone_id`.

    The request context a Route 53 service principal carries: aws:SourceAccount = the zone's
    account, aws:SourceArn = the hosted zone's ARN (also used by `route53_dnssec` for key policies).
    """
    statements: list[dict[str, Any]] = []
    for policy in policies:
        listed = policy.get("Statement") or []
        for statement in listed if isinstance(listed, list) else [listed]:
            if applies_to_service(statement, service):
                statements.append(statement)
    context = {
        "aws:securetransport": "true",
        "aws:sourceaccount": account_id,
        "aws:sourcearn": f"arn:aws:route53:::hostedzone/{zone_id}",
    }
    return all(
        evaluate({"Statement": statements}, action, resource, context) == PermissionResult.PERMITTED
        for action in actions
    )


def route53_may_write(policies: list[dict[str, Any]], group_arn: str, account_id: str, zone_id: str) -> bool:
    """Whether the resource policies let Route 53 (for `zone_id` of `account_id`) create streams and put events."""
    stream = f"{group_arn}:log-stream:route53-query-log"
    return zone_service_permitted(policies, ROUTE53_SERVICE, REQUIRED_ACTIONS, stream, account_id, zone_id)


def register(installation: Installation) -> None:
    """CreateQueryLoggingConfig checks the resource policy and accepts the group ARN with or without `:*`."""
    original = Route53Backend.create_query_logging_config

    def create_query_logging_config(self: Route53Backend, hosted_zone_id: str, log_group_arn: str) -> Any:
        group_arn = (log_group_arn or "").removesuffix(":*")
        logs = logs_backends[self.account_id][LOGS_REGION]
        policies = [json.loads(p.policy_document) for p in logs.describe_resource_policies()]
        zone_id = hosted_zone_id.rsplit("/", 1)[-1]
        # Only a well-formed ARN reaches the policy check; moto's own validation answers the rest.
        if group_arn.startswith("arn:") and not route53_may_write(policies, group_arn, self.account_id, zone_id):
            raise InsufficientCloudWatchLogsResourcePolicy()
        return original(self, hosted_zone_id, f"{group_arn}:*" if group_arn else log_group_arn)

    installation.patch(Route53Backend, "create_query_logging_config", create_query_logging_config)
