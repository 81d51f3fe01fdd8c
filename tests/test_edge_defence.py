"""EdgeDefence under mocks: the cell's web ACL, its ALB association, redacted logs and rate alarm; the WAF widget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.dashboard import CellPanel, DashboardSpec, dr_dashboard_body
from components.edge_defence import (
    ALL_RULES,
    RATE_RULE_NAME,
    REDACTED_HEADERS,
    WAF_LOG_PREFIX,
    EdgeDefence,
    EdgeDefenceArgs,
    managed_rule_name,
    web_acl_name,
)
from infra.config import WAF_MANAGED_GROUPS
from tests.plan import Plan, plan_of, shipped_plan

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ALB = "aws:lb/loadBalancer:LoadBalancer"
REGION = "us-west-2"
ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:111122223333:loadbalancer/app/finstack-prod-usw2-api/0a1b2c3d4e5f6a7b"
LOGS_KEY = f"arn:aws:kms:{REGION}:111122223333:key/mrk-0123456789abcdef0123456789abcdef"
TOPIC = f"arn:aws:sns:{REGION}:111122223333:finstack-prod-alerts-usw2"


def _edge(**overrides: Any) -> Callable[[], None]:
    def build() -> None:
        settings: dict[str, Any] = {
            "region": REGION,
            "environment": "prod",
            "load_balancer_arn": ALB_ARN,
            "logs_key_arn": LOGS_KEY,
            "alarm_topic_arn": TOPIC,
            "rate_limit": 1500,
            "rate_window_seconds": 120,
            "log_retention_days": 400,
            "managed_groups": WAF_MANAGED_GROUPS,
            **overrides,
        }
        edge = EdgeDefence(f"edge-{REGION}", EdgeDefenceArgs(**settings))
        pulumi.export("web_acl_name", edge.web_acl_name)

    return build


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_of(_edge())


def _rules(plan: Plan) -> dict[str, dict[str, Any]]:
    [acl] = plan.of_type(WEB_ACL)
    return {rule["name"]: rule for rule in acl.inputs["rules"]}


def test_edge_defence__regional_web_acl_allows_by_default_in_the_cell(plan: Plan) -> None:
    [acl] = plan.of_type(WEB_ACL)
    assert acl.name == f"edge-{REGION}-web-acl"
    assert (acl.inputs["scope"], acl.inputs["region"]) == ("REGIONAL", REGION), acl.urn
    assert acl.inputs["defaultAction"] == {"allow": {}}, acl.urn
    assert acl.inputs["name"] == acl.inputs["visibilityConfig"]["metricName"] == web_acl_name("prod", REGION)
    assert acl.parent is not None and acl.parent.endswith(f"finstack:edge:EdgeDefence::edge-{REGION}"), acl.urn


def test_edge_defence__rate_rule_first_per_client_ip_from_config(plan: Plan) -> None:
    rules = _rules(plan)
    rate = rules[RATE_RULE_NAME]
    assert rate["priority"] == min(r["priority"] for r in rules.values())
    assert rate["action"] == {"block": {}}
    assert "overrideAction" not in rate, "a rate-based rule takes an action, not an override"
    assert rate["statement"] == {
        "rateBasedStatement": {"aggregateKeyType": "IP", "limit": 1500, "evaluationWindowSec": 120}
    }


def test_edge_defence__every_managed_group_enforces(plan: Plan) -> None:
    rules = _rules(plan)
    for group in WAF_MANAGED_GROUPS:
        rule = rules[managed_rule_name(group)]
        assert rule["statement"] == {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}}
        assert rule["overrideAction"] == {"none": {}}, group
        assert "action" not in rule, "a rule group reference takes overrideAction, not action"
    assert len({r["priority"] for r in rules.values()}) == len(rules), "priorities must be distinct"


def test_edge_defence__every_rule_publishes_metrics_and_samples(plan: Plan) -> None:
    for name, rule in _rules(plan).items():
        visibility = rule["visibilityConfig"]
        assert visibility == {"cloudwatchMetricsEnabled": True, "metricName": name, "sampledRequestsEnabled": True}


def test_edge_defence__override_counts_only_the_named_group() -> None:
    overridden = plan_of(_edge(rule_overrides={"AWSManagedRulesSQLiRuleSet": "count"}))
    rules = _rules(overridden)
    assert rules[managed_rule_name("AWSManagedRulesSQLiRuleSet")]["overrideAction"] == {"count": {}}
    others = [g for g in WAF_MANAGED_GROUPS if g != "AWSManagedRulesSQLiRuleSet"]
    assert all(rules[managed_rule_name(g)]["overrideAction"] == {"none": {}} for g in others)


def test_edge_defence__override_of_a_group_it_does_not_run_is_refused() -> None:
    with pytest.raises(ValueError, match="AWSManagedRulesBotControlRuleSet"):
        EdgeDefenceArgs(
            region=REGION,
            environment="prod",
            load_balancer_arn=ALB_ARN,
            logs_key_arn=LOGS_KEY,
            alarm_topic_arn=TOPIC,
            rate_limit=2000,
            rate_window_seconds=300,
            log_retention_days=365,
            managed_groups=WAF_MANAGED_GROUPS,
            rule_overrides={"AWSManagedRulesBotControlRuleSet": "count"},
        )


def test_edge_defence__associated_with_the_cells_alb(plan: Plan) -> None:
    [acl] = plan.of_type(WEB_ACL)
    [association] = plan.of_type(ASSOCIATION)
    assert association.inputs["resourceArn"] == ALB_ARN, association.urn
    assert association.inputs["webAclArn"] == acl.outputs["arn"], association.urn
    assert association.inputs["region"] == REGION, association.urn


def test_edge_defence__logs_to_an_encrypted_aws_waf_logs_group_with_credentials_redacted(plan: Plan) -> None:
    [acl] = plan.of_type(WEB_ACL)
    [group] = plan.of_type(LOG_GROUP)
    [logging] = plan.of_type(LOGGING)
    assert group.inputs["name"].startswith(WAF_LOG_PREFIX), group.urn
    assert (group.inputs["kmsKeyId"], group.inputs["retentionInDays"]) == (LOGS_KEY, 400), group.urn
    assert group.inputs["region"] == logging.inputs["region"] == REGION
    assert logging.inputs["resourceArn"] == acl.outputs["arn"], logging.urn
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]], logging.urn
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": h}} for h in REDACTED_HEADERS]
    assert set(REDACTED_HEADERS) == {"authorization", "cookie"}


def test_edge_defence__rate_limit_spike_alarms_into_the_cells_topic(plan: Plan) -> None:
    [acl] = plan.of_type(WEB_ACL)
    [alarm] = plan.of_type(ALARM)
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/WAFV2", "BlockedRequests"), alarm.urn
    assert alarm.inputs["dimensions"] == {
        "WebACL": acl.inputs["visibilityConfig"]["metricName"],
        "Region": REGION,
        "Rule": _rules(plan)[RATE_RULE_NAME]["visibilityConfig"]["metricName"],
    }, alarm.urn
    assert alarm.inputs["region"] == REGION, alarm.urn
    assert alarm.inputs["alarmActions"] == [TOPIC], alarm.urn
    assert alarm.inputs["treatMissingData"] == "notBreaching", alarm.urn


# -- the shipped stacks ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program__every_internet_facing_alb_is_behind_a_web_acl_with_a_rate_rule(stack: str) -> None:
    plan = shipped_plan(stack)
    acls = {acl.outputs["arn"]: acl for acl in plan.of_type(WEB_ACL)}
    associations = plan.of_type(ASSOCIATION)
    public = [lb for lb in plan.of_type(ALB) if not lb.inputs.get("internal")]
    assert public, "the shipped stack has no internet-facing ALB"
    for lb in public:
        mine = [a for a in associations if a.inputs["resourceArn"] == lb.outputs["arn"]]
        assert len(mine) == 1, f"{lb.urn}: {len(mine)} web ACL associations"
        acl = acls[mine[0].inputs["webAclArn"]]
        assert acl.inputs["region"] == lb.inputs["region"], acl.urn
        rate = [r for r in acl.inputs["rules"] if "rateBasedStatement" in r["statement"]]
        limit = plan.run.config.security.waf.rate_limit
        assert [r["statement"]["rateBasedStatement"]["limit"] for r in rate] == [limit], acl.urn


def test_program__dashboard_shows_each_cells_waf_requests() -> None:
    plan = shipped_plan("prod")
    [dashboard] = plan.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    lines = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    waf = [line for line in lines if line[0] == "AWS/WAFV2"]
    for acl in plan.of_type(WEB_ACL):
        region = acl.inputs["region"]
        mine = {(line[1], line[7]) for line in waf if line[3] == acl.inputs["visibilityConfig"]["metricName"]}
        expected = {("AllowedRequests", ALL_RULES), ("BlockedRequests", ALL_RULES), ("BlockedRequests", RATE_RULE_NAME)}
        assert mine == expected, f"{dashboard.urn}: WAF lines of {acl.urn}"
        assert all(line[5] == region == line[-1]["region"] for line in waf if line[3] == acl.inputs["name"])


def test_dr_dashboard_body__waf_widget_only_for_cells_with_a_web_acl() -> None:
    def panel(region: str, acl: str | None) -> CellPanel:
        return CellPanel(
            region, f"hc-{region}", f"eks-{region}", f"db-{region}", region == "us-east-1", None, None, acl
        )

    without = dr_dashboard_body(DashboardSpec("t", (panel("us-east-1", None), panel("us-west-2", None))))
    assert not any("WAF" in w["properties"].get("title", "") for w in without["widgets"])
    spec = DashboardSpec("t", (panel("us-east-1", "finstack-prod-use1-edge"), panel("us-west-2", None)))
    [widget] = [w for w in dr_dashboard_body(spec)["widgets"] if "WAF" in w["properties"].get("title", "")]
    labels = [line[-1]["label"] for line in widget["properties"]["metrics"]]
    assert labels == ["allowed us-east-1", "blocked us-east-1", "rate-limited us-east-1"]
