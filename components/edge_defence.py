"""The edge that defends itself: a WAFv2 web ACL in front of a cell's internet-facing ALB.

`EdgeDefence(name, EdgeDefenceArgs, opts)` (`finstack:edge:EdgeDefence`) declares, in the cell's region:

- a REGIONAL web ACL, default action allow, whose rules are (in priority order) a rate-based
  rule per client IP (the thundering-herd guard: `security.waf.rateLimit` requests per
  `rateWindowSeconds`, then blocked) and the AWS managed rule groups of
  `infra.config.WAF_MANAGED_GROUPS` (common, known bad inputs, SQL injection, IP reputation),
  each enforcing (`overrideAction: none`) unless `security.waf.ruleOverrides` names it `count`;
  every rule and the web ACL itself publish CloudWatch metrics and keep sampled requests;
- its association with the cell's ALB;
- its logging into a CloudWatch Logs group named `aws-waf-logs-...`, encrypted with the cell's
  logs key, with the `authorization` and `cookie` headers redacted;
- an alarm on the rate rule's blocked requests (a rate-limit spike) into the cell's alert topic.

Wire shapes (pulumi-aws 7 `aws.wafv2.WebAcl`, generated from terraform-provider-aws
`aws_wafv2_web_acl`): a rule has exactly one `statement`; a rule group reference
(`managedRuleGroupStatement`) takes `overrideAction` (`none` keeps the group's own actions,
`count` only counts) and no `action`, a rate-based rule takes `action` and no `overrideAction`
(WAF API reference, `Rule`: "OverrideAction ... only for rules that reference a rule group").

Attributes: `web_acl_arn`, `web_acl_name`, `log_group_name`, `rate_alarm_arn`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.dashboard import WAF_ALL_RULES, WAF_RATE_RULE
from components.naming import cell_tags, short_region

# AWS managed rule groups are published by the vendor "AWS" (WAF Developer Guide, "AWS Managed Rules rule groups list").
MANAGED_VENDOR = "AWS"
# The dashboard draws this rule's blocked requests as "rate-limited": one name for both.
RATE_RULE_NAME = WAF_RATE_RULE
# The rate rule runs first: a flooding client is cut off before the managed groups spend
# WCUs on its requests (rules run in ascending priority; WAF Developer Guide, "Rule priority").
RATE_RULE_PRIORITY = 0
# Headers that carry credentials and session tokens: kept out of the WAF logs (PCI DSS 3.3, 10.3).
REDACTED_HEADERS = ("authorization", "cookie")
# WAF refuses a logging destination whose name lacks this prefix (botocore wafv2 model,
# PutLoggingConfiguration: "The name that you give the destination must start with aws-waf-logs-").
WAF_LOG_PREFIX = "aws-waf-logs-"
# A WAFV2 metric's Rule dimension for the whole web ACL (WAF Developer Guide, "AWS WAF metrics and dimensions").
ALL_RULES = WAF_ALL_RULES
# WAF publishes a one-minute point per rule only when requests matched (AWS WAF metrics and
# dimensions: metrics are reported once a minute); a minute without blocks has no data.
ALARM_PERIOD_SECONDS = 60
# A spike: more than this many requests blocked by the rate rule in a minute, three minutes out of
# five. One client over its limit is what the rule is for; a sustained wave of blocks is a
# thundering herd or a flood, and an operator should look at it (and at the rate limit).
RATE_ALARM_BLOCKED_PER_MINUTE = 300
RATE_ALARM_DATAPOINTS = 3
RATE_ALARM_EVALUATION_PERIODS = 5

Override = Literal["count"]


def web_acl_name(environment: str, region: str) -> str:
    """The web ACL's name, also its metric name (the `WebACL` dimension): `finstack-<env>-<use1>-edge`."""
    return f"finstack-{environment}-{short_region(region)}-edge"


def waf_log_group_name(environment: str, region: str) -> str:
    """The web ACL's log group: WAF only delivers to names starting `aws-waf-logs-`."""
    return f"{WAF_LOG_PREFIX}finstack-{environment}-{region}"


def managed_rule_name(group: str) -> str:
    """The web ACL rule that runs managed group `group` (also its metric name)."""
    return f"aws-{group}"


@dataclass(frozen=True)
class EdgeDefenceArgs:
    """Plain settings from `StackConfig.security.waf` plus the cell's wiring.

    `managed_groups`: AWS managed rule group names, in priority order. `rule_overrides`: group
    name -> `count` for a group that only counts while a false positive is tuned.
    """

    region: str
    environment: str
    load_balancer_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    rate_limit: int
    rate_window_seconds: int
    log_retention_days: int
    managed_groups: Sequence[str]
    rule_overrides: Mapping[str, Override] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rule_overrides) - set(self.managed_groups))
        if unknown:
            raise ValueError(f"EdgeDefence: overrides name groups the web ACL does not run: {unknown}")


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class EdgeDefence(pulumi.ComponentResource):
    """A cell's web ACL, its ALB association, its redacted logs and its rate-limit alarm."""

    web_acl_arn: pulumi.Output[str]
    """The web ACL's ARN."""
    web_acl_name: str
    """The web ACL's name and metric name (the `WebACL` dimension of its `AWS/WAFV2` metrics)."""
    log_group_name: str
    """The CloudWatch Logs group WAF writes to."""
    rate_alarm_arn: pulumi.Output[str]
    """The alarm on the rate rule's blocked requests."""

    def __init__(self, name: str, args: EdgeDefenceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:edge:EdgeDefence", name, None, opts)
        self._name = name
        self._args = args
        self.web_acl_name = web_acl_name(args.environment, args.region)
        self.log_group_name = waf_log_group_name(args.environment, args.region)
        web_acl = self._create_web_acl()
        self.web_acl_arn = web_acl.arn
        aws.wafv2.WebAclAssociation(
            f"{name}-association",
            resource_arn=args.load_balancer_arn,
            web_acl_arn=web_acl.arn,
            region=args.region,
            opts=self._child(),
        )
        self._create_logging(web_acl)
        self.rate_alarm_arn = self._create_rate_alarm()
        self.register_outputs(
            {
                "web_acl_arn": self.web_acl_arn,
                "web_acl_name": self.web_acl_name,
                "log_group_name": self.log_group_name,
                "rate_alarm_arn": self.rate_alarm_arn,
            }
        )

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _rate_rule(self) -> aws.wafv2.WebAclRuleArgs:
        args = self._args
        return aws.wafv2.WebAclRuleArgs(
            name=RATE_RULE_NAME,
            priority=RATE_RULE_PRIORITY,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    # The client's source address as the ALB sees it: the ALB is the first hop, so
                    # there is no proxy header to trust (and a client could forge one).
                    aggregate_key_type="IP",
                    limit=args.rate_limit,
                    evaluation_window_sec=args.rate_window_seconds,
                )
            ),
            visibility_config=_visibility(RATE_RULE_NAME),
        )

    def _managed_rule(self, priority: int, group: str) -> aws.wafv2.WebAclRuleArgs:
        counting = self._args.rule_overrides.get(group) == "count"
        override = (
            aws.wafv2.WebAclRuleOverrideActionArgs(count=aws.wafv2.WebAclRuleOverrideActionCountArgs())
            if counting
            else aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs())
        )
        return aws.wafv2.WebAclRuleArgs(
            name=managed_rule_name(group),
            priority=priority,
            override_action=override,
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    name=group, vendor_name=MANAGED_VENDOR
                )
            ),
            visibility_config=_visibility(managed_rule_name(group)),
        )

    def _create_web_acl(self) -> aws.wafv2.WebAcl:
        args = self._args
        rules = [self._rate_rule()] + [
            self._managed_rule(RATE_RULE_PRIORITY + 1 + index, group) for index, group in enumerate(args.managed_groups)
        ]
        return aws.wafv2.WebAcl(
            f"{self._name}-web-acl",
            name=self.web_acl_name,
            description=f"finstack {args.environment} {args.region}: rate limit per client IP and AWS managed rules",
            scope="REGIONAL",
            # Whatever no rule blocks reaches the ALB: the rules name what is refused.
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=self.web_acl_name, sampled_requests_enabled=True
            ),
            region=args.region,
            tags=cell_tags(args.region),
            opts=self._child(),
        )

    def _create_logging(self, web_acl: aws.wafv2.WebAcl) -> None:
        args = self._args
        # CloudWatch Logs encrypts with the cell's logs key under its own regional principal,
        # which the key policy already admits for this account's log groups (components/keys.py);
        # WAF's log delivery writes through CloudWatch Logs and needs no key grant of its own
        # (CMK-encrypted WAF log groups: awslabs/nx-plugin-for-aws#1133). WAF adds the log group's
        # resource policy for its delivery when logging is put (botocore wafv2 model,
        # PutLoggingConfiguration: "For an Amazon CloudWatch Logs log group, WAF creates a resource
        # policy on the log group"); the name rule: WAF Developer Guide, "Sending web ACL traffic
        # logs to an Amazon CloudWatch Logs log group" (logging-cw-logs.html#logging-cw-logs-naming).
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=self.log_group_name,
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            deletion_protection_enabled=args.environment == "prod",
            region=args.region,
            tags=cell_tags(args.region),
            opts=self._child(),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{self._name}-logging",
            resource_arn=web_acl.arn,
            # The provider wants the log group ARN without the trailing `:*` (terraform-provider-aws
            # docs, aws_wafv2_web_acl_logging_configuration); `LogGroup.arn` has none.
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            region=args.region,
            opts=self._child(),
        )

    def _create_rate_alarm(self) -> pulumi.Output[str]:
        args = self._args
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-rate-alarm",
            name=f"finstack-{args.environment}-{args.region}-waf-rate-limited",
            alarm_description=(
                f"{self.web_acl_name}: the per-client rate rule blocks more than {RATE_ALARM_BLOCKED_PER_MINUTE} "
                "requests a minute (a thundering herd or a flood)"
            ),
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions={"WebACL": self.web_acl_name, "Region": args.region, "Rule": RATE_RULE_NAME},
            statistic="Sum",
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=RATE_ALARM_EVALUATION_PERIODS,
            datapoints_to_alarm=RATE_ALARM_DATAPOINTS,
            threshold=RATE_ALARM_BLOCKED_PER_MINUTE,
            comparison_operator="GreaterThanThreshold",
            # No point is no blocked request, not a blind spot.
            treat_missing_data="notBreaching",
            alarm_actions=[args.alarm_topic_arn],
            ok_actions=[args.alarm_topic_arn],
            region=args.region,
            tags=cell_tags(args.region),
            opts=self._child(),
        )
        return alarm.arn
